//! Throughput of `pktgen` and `fwd` on the simulated card, one thread, the card stepped in
//! the same thread; the driver's and the card's time are measured apart (TSC).
//!
//! `cargo run --release -p bench --bin throughput [-- --seconds 5 --batch 32 --ring 512]`
//!
//! - pktgen: one port, no wire; allocate a batch of ready 60-byte frames, send it.
//! - fwd: two ports cabled back to back, packets circulating both ways (see `bench::fwd`).
//!
//! The run is cut into chunks of 100 000 packets. "Mpps together" is packets over the wall
//! time (driver + card + harness in one thread); "Mpps driver only" is packets over the time
//! inside the driver's calls. Each is given for the whole run (mean) and for the best chunk:
//! on a shared machine the best chunk is the one least disturbed by other work.

use bench::args::Args;
use bench::{tsc, Fwd, FwdOptions, Pktgen};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const CHUNK: u64 = 100_000;

/// One chunk: packets, wall time, driver and card TSC.
#[derive(Clone, Copy, Default)]
struct Chunk {
    pkts: u64,
    cpu: Duration,
    wall: Duration,
    driver: u64,
    card: u64,
}

impl Chunk {
    fn add(&mut self, c: &Chunk) {
        self.pkts += c.pkts;
        self.cpu += c.cpu;
        self.wall += c.wall;
        self.driver += c.driver;
        self.card += c.card;
    }
    fn mpps(&self, d: Duration) -> f64 {
        self.pkts as f64 / d.as_secs_f64() / 1e6
    }
    fn driver_ns(&self, ghz: f64) -> f64 {
        self.driver as f64 / ghz / self.pkts as f64
    }
    fn card_ns(&self, ghz: f64) -> f64 {
        self.card as f64 / ghz / self.pkts as f64
    }
}

/// Runs `chunk` (which returns packets, driver TSC, card TSC) for `span`; prints a row.
fn measure(
    name: &str,
    span: Duration,
    ghz: f64,
    mut chunk: impl FnMut() -> Result<(u64, u64, u64), String>,
) -> Result<(), String> {
    chunk()?; // warm up
    let mut all = Chunk::default();
    let (mut best_cpu, mut best_drv) = (f64::MAX, f64::MAX);
    let mut best_card = f64::MAX;
    let start = Instant::now();
    while start.elapsed() < span {
        let (t0, c0) = (Instant::now(), tsc::thread_cpu());
        let (pkts, driver, card) = chunk()?;
        let c = Chunk {
            pkts,
            cpu: tsc::thread_cpu().saturating_sub(c0),
            wall: t0.elapsed(),
            driver,
            card,
        };
        best_cpu = best_cpu.min(c.cpu.as_secs_f64() * 1e9 / pkts as f64);
        best_drv = best_drv.min(c.driver_ns(ghz));
        best_card = best_card.min(c.card_ns(ghz));
        all.add(&c);
    }
    let (d, k) = (all.driver_ns(ghz), all.card_ns(ghz));
    println!(
        "| {name} | {} | {:.2} ({:.2}) | {:.2} | {:.1} ({:.1}) | {d:.1} ({best_drv:.1}) | {k:.1} ({best_card:.1}) | {:.0} |",
        all.pkts,
        all.mpps(all.cpu),
        1e3 / best_cpu,
        all.mpps(all.wall),
        1e3 / d,
        1e3 / best_drv,
        k / (d + k) * 100.0,
    );
    Ok(())
}

fn run() -> Result<(), String> {
    let a = Args::parse(std::env::args().skip(1), &["seconds", "batch", "ring"], &[])?;
    let secs: f64 = a.get("seconds", 5.0)?;
    let batch: usize = a.get("batch", 32)?;
    let ring: usize = a.get("ring", 512)?;
    if !(secs > 0.0 && secs <= 60.0) {
        return Err(format!("--seconds {secs}: must be in (0, 60]"));
    }
    let span = Duration::from_secs_f64(secs);
    let ghz = tsc::ghz(Duration::from_millis(200));
    println!("TSC {ghz:.3} GHz, batch {batch}, ring {ring}, {secs} s each, 64-byte frames; mean (best chunk of {CHUNK} packets)\n");
    println!("| loop | packets | Mpps together (CPU time) | Mpps together (wall) | Mpps driver only | driver ns/packet | card ns/packet | card share % |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");

    let mut g = Pktgen::new(batch, ring).map_err(|e| e.to_string())?;
    measure("pktgen", span, ghz, || {
        let t0 = g.totals;
        g.run(CHUNK).map_err(|e| e.to_string())?;
        let t = g.totals;
        Ok((
            t.sent - t0.sent,
            t.driver_tsc - t0.driver_tsc,
            t.card_tsc - t0.card_tsc,
        ))
    })?;
    g.check().map_err(|e| e.to_string())?;
    drop(g);

    let mut opts = FwdOptions::new(batch);
    opts.ring = ring;
    let mut f = Fwd::new(opts).map_err(|e| e.to_string())?;
    measure("fwd (both ways)", span, ghz, || {
        let t0 = f.totals;
        f.run(CHUNK).map_err(|e| e.to_string())?;
        let t = f.totals;
        Ok((
            t.forwarded - t0.forwarded,
            t.driver_tsc - t0.driver_tsc,
            t.card_tsc - t0.card_tsc,
        ))
    })?;
    f.check().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("throughput: {e}");
            ExitCode::FAILURE
        }
    }
}
