//! Helpers of the driver's tests on the simulated card: the test kit's (frames, trace sink,
//! strict card), and the driver's own configuration and open.
#![allow(dead_code, unused_imports)]

use driver_82599::{Config, Device, Packet};
use sim_82599::{Port, Sim};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
pub use testkit::frame::{check, numbered};
pub use testkit::{assert_no_violations, strict_sim, TraceBuf};

/// A small configuration that keeps the simulated memory use low.
pub fn small_config() -> Config {
    Config {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 256,
        link_timeout: Duration::from_secs(5),
        ..Config::default()
    }
}

pub fn open(sim: &Sim, port: usize, cfg: Config) -> Device<Port> {
    Device::new(sim.port(port), sim.dma(), cfg).expect("device init on the simulated card")
}

/// A [`numbered`] frame of `len` bytes from `pool`.
pub fn frame(pool: &driver_82599::Mempool, len: usize, seq: u32) -> Option<Packet> {
    let mut p = pool.alloc(len)?;
    numbered(&mut p, seq);
    Some(p)
}

/// Runs `f` (a device coming up, say) while `sim`'s manual clock runs on its own (100 us of
/// card time every 200 us of wall time), then stops it: from then on only the test moves it.
pub fn with_clock_running<T>(sim: &Arc<Sim>, f: impl FnOnce() -> T) -> T {
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (sim, stop) = (sim.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                sim.advance(Duration::from_micros(100)).unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let r = f();
    stop.store(true, Ordering::Release);
    ticker.join().unwrap();
    r
}
