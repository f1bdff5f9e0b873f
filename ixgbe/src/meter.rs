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
    /// Frame size for the line-rate check (`None`: sizes vary, no check).
    frame: Option<usize>,
    /// Test hook (`--panic-after`): panic in the loop after this long.
    panic_after: Option<Duration>,
    last: Vec<Count>,
    at: Instant,
    start: Instant,
    stop: Option<Duration>,
    pub lines: u64,
}

/// Bytes on the wire besides the frame: the 4-byte CRC the card adds. (Preamble and gap are
/// not counted, so 64-byte frames at 10 Gbit/s line rate show 14.88 Mpps, 7.62 Gbit/s.)
const CRC: u64 = 4;

/// Bytes a frame occupies on the wire besides frame and CRC: preamble, start delimiter and the
/// minimum inter-frame gap (IEEE 802.3: 8 + 12).
const WIRE_OVERHEAD: u64 = 20;

/// The 82599's line rate, bits per second.
pub const LINE_RATE: f64 = 10e9;

/// Packets per second at 10 Gbit/s line rate for frames of `size` bytes without CRC.
pub fn line_rate_pps(size: usize) -> f64 {
    LINE_RATE / ((size as u64 + CRC + WIRE_OVERHEAD) * 8) as f64
}

impl Meter {
    pub fn new(names: &[&str], seconds: Option<u64>) -> Self {
        let now = Instant::now();
        Meter {
            names: names.iter().map(|s| s.to_string()).collect(),
            frame: None,
            panic_after: None,
            last: vec![Count::default(); names.len()],
            at: now,
            start: now,
            stop: seconds.map(Duration::from_secs),
            lines: 0,
        }
    }

    /// Flags rates above 10 Gbit/s line rate for frames of `size` bytes (the simulated card
    /// has no line-rate limit).
    pub fn line_rate_check(mut self, size: usize) -> Self {
        self.frame = Some(size);
        self
    }

    /// Test hook: panic in the loop once `after` has passed.
    pub fn panic_after(mut self, after: Option<u64>) -> Self {
        self.panic_after = after.map(Duration::from_secs);
        self
    }

    /// Call often: prints when a second has passed. Returns false when the run is over: its
    /// time is up, or SIGINT/SIGTERM asked it to stop.
    pub fn tick(&mut self, now_counts: &[Count]) -> bool {
        if let Some(sig) = ixgbe::signal::requested() {
            println!("{sig}: stopping");
            return false;
        }
        if self.panic_after.is_some_and(|p| self.start.elapsed() >= p) {
            panic!("--panic-after: panicking in the loop as asked (test hook)");
        }
        let el = self.at.elapsed();
        if el >= Duration::from_secs(1) {
            // A meter of no counts (stats) prints its own lines: no empty one.
            if !self.names.is_empty() {
                println!("{}", self.rate_line(now_counts, el.as_secs_f64()));
            }
            self.lines += 1;
            self.last.copy_from_slice(now_counts);
            self.at = Instant::now();
        }
        match self.stop {
            Some(s) => self.start.elapsed() < s,
            None => true,
        }
    }

    /// One line of rates since the last one, `secs` seconds ago.
    fn rate_line(&self, now_counts: &[Count], secs: f64) -> String {
        let mut line = String::new();
        for (i, c) in now_counts.iter().enumerate() {
            let d_p = c.pkts - self.last[i].pkts;
            let d_b = c.bytes - self.last[i].bytes + d_p * CRC;
            if !line.is_empty() {
                line.push_str(" | ");
            }
            let pps = d_p as f64 / secs;
            line.push_str(&format!(
                "{}: {:.2} Mpps {:.2} Gbit/s",
                self.names[i],
                pps / 1e6,
                d_b as f64 * 8.0 / secs / 1e9
            ));
            if self.frame.is_some_and(|size| pps > line_rate_pps(size)) {
                line.push_str(" (above line rate)");
            }
        }
        line
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_rate_is_14_88_mpps_at_60_bytes_and_rates_above_it_are_marked() {
        assert!((line_rate_pps(60) / 1e6 - 14.88).abs() < 0.01);
        assert!((line_rate_pps(1514) - 812_743.8).abs() < 1.0);
        let m = Meter::new(&["TX"], None).line_rate_check(60);
        let at = |pkts: u64| Count {
            pkts,
            bytes: pkts * 60,
        };
        // 29 Mpps at 64 bytes (the figure) is marked; 14 Mpps is not.
        assert!(m
            .rate_line(&[at(29_000_000)], 1.0)
            .ends_with("(above line rate)"));
        assert!(!m.rate_line(&[at(14_000_000)], 1.0).contains("above"));
        // Without a frame size (real hardware) nothing is marked.
        let m = Meter::new(&["TX"], None);
        assert!(!m.rate_line(&[at(29_000_000)], 1.0).contains("above"));
    }
}
