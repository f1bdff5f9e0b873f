//! Per-second rate lines: packets and bytes counted by the loops, printed as Mpps and Gbit/s.

use std::time::{Duration, Instant};

/// Counts of one direction of one port.
#[derive(Clone, Copy, Default)]
pub struct Count {
    pub pkts: u64,
    pub bytes: u64,
}

impl Count {
    pub fn add(&mut self, pkts: usize, bytes: usize) {
        self.pkts += pkts as u64;
        self.bytes += bytes as u64;
    }
}

/// Prints one line per second for named counters and says when the run is over.
pub struct Meter {
    names: Vec<String>,
    last: Vec<Count>,
    at: Instant,
    start: Instant,
    stop: Option<Duration>,
    pub lines: u64,
}

/// Bytes on the wire besides the frame: the 4-byte CRC the card adds. (Preamble and gap are
/// not counted, so 64-byte frames at 10 Gbit/s line rate show 14.88 Mpps, 7.62 Gbit/s.)
const CRC: u64 = 4;

impl Meter {
    pub fn new(names: &[&str], seconds: Option<u64>) -> Self {
        let now = Instant::now();
        Meter {
            names: names.iter().map(|s| s.to_string()).collect(),
            last: vec![Count::default(); names.len()],
            at: now,
            start: now,
            stop: seconds.map(Duration::from_secs),
            lines: 0,
        }
    }

    /// Call often: prints when a second has passed. Returns false when the run is over.
    pub fn tick(&mut self, now_counts: &[Count]) -> bool {
        let el = self.at.elapsed();
        if el >= Duration::from_secs(1) {
            let secs = el.as_secs_f64();
            let mut line = String::new();
            for (i, c) in now_counts.iter().enumerate() {
                let d_p = c.pkts - self.last[i].pkts;
                let d_b = c.bytes - self.last[i].bytes + d_p * CRC;
                if !line.is_empty() {
                    line.push_str(" | ");
                }
                line.push_str(&format!(
                    "{}: {:.2} Mpps {:.2} Gbit/s",
                    self.names[i],
                    d_p as f64 / secs / 1e6,
                    d_b as f64 * 8.0 / secs / 1e9
                ));
            }
            println!("{line}");
            self.lines += 1;
            self.last.copy_from_slice(now_counts);
            self.at = Instant::now();
        }
        match self.stop {
            Some(s) => self.start.elapsed() < s,
            None => true,
        }
    }

    /// Totals over the whole run.
    pub fn summary(&self, counts: &[Count]) {
        let secs = self.start.elapsed().as_secs_f64();
        for (i, c) in counts.iter().enumerate() {
            println!(
                "total {}: {} packets, {} bytes, {:.2} Mpps average over {:.1} s",
                self.names[i],
                c.pkts,
                c.bytes,
                c.pkts as f64 / secs / 1e6,
                secs
            );
        }
    }
}
