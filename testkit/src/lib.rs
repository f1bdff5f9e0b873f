//! The test kit: what the tests and benchmarks of several crates share, so that each is written
//! once.
//!
//! - [`frame`]: test frames (the local experimental EtherType 0x88B5): a header, numbered frames
//!   whose every byte is checked on arrival, counting payloads, UDP/TCP over IPv4;
//! - [`TraceBuf`]: a sink for the simulated card's register trace that a test reads back;
//! - [`strict_sim`] / [`assert_no_violations`]: the simulated card as the driver tests run it.
//!
//! ```
//! let sim = testkit::strict_sim(1);
//! let trace = testkit::TraceBuf::default();
//! sim.trace_to(trace.clone());
//! let mut f = vec![0u8; 64];
//! testkit::frame::numbered(&mut f, 7);
//! assert_eq!(testkit::frame::check(&f), Some(7));
//! testkit::assert_no_violations(&sim);
//! assert!(trace.text().is_empty());
//! ```

pub mod frame;

use sim_82599::Sim;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A trace sink a test reads back: `sim.trace_to(buf.clone())`, then `buf.text()`.
#[derive(Clone, Debug, Default)]
pub struct TraceBuf(Arc<Mutex<Vec<u8>>>);

impl TraceBuf {
    /// What was written, as text (the trace is ASCII).
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("trace is UTF-8")
    }

    /// What was written.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

impl Write for TraceBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A simulated card with `ports` ports in strict mode (every datasheet rule break recorded),
/// stepped by the test (`threaded(false)`): deterministic.
pub fn strict_sim(ports: usize) -> Sim {
    Sim::builder()
        .ports(ports)
        .strict(true)
        .threaded(false)
        .build()
}

/// Asserts the card saw no strict-mode rule break, listing them otherwise.
#[track_caller]
pub fn assert_no_violations(sim: &Sim) {
    let v = sim.violations();
    assert!(
        v.is_empty(),
        "strict-mode violations:\n{}",
        v.iter().map(|v| format!("  {v}\n")).collect::<String>()
    );
}
