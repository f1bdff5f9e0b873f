//! Per-queue scaling (issue 17, point 2): the forward loop of `fwd-cost` on one thread, then
//! on N threads at once, each thread with its own queues (its own two simulated ports, pools
//! and rings: queues share nothing, no lock and no counter). Prints, per run, each thread's
//! packets per CPU-second of that thread and its driver time per packet (TSC), and the sum:
//! with per-queue state only, each thread keeps one thread's rate, so N threads forward N
//! times as many packets per CPU-second in total.
//!
//! `cargo run --release -p bench --bin scaling [-- --threads 2 --seconds 3 --batch 32]`
//!
//! Instructions per packet with N threads: `fwd-loop --threads N` under callgrind (see
//! BENCHMARKS.md). The card's model runs in each thread too (stepped between rounds), so
//! "Mpps per CPU-second" includes the card's work; the driver-only column does not.

use bench::args::Args;
use bench::{tsc, Fwd, FwdOptions};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// One thread's result: packets, its CPU time, driver TSC cycles.
struct Run {
    pkts: u64,
    cpu: Duration,
    driver_tsc: u64,
}

fn one(batch: usize, span: Duration, start: &Barrier) -> Result<Run, String> {
    let mut f = Fwd::new(FwdOptions::new(batch)).map_err(|e| e.to_string())?;
    f.run(100_000).map_err(|e| e.to_string())?; // warm up
    start.wait();
    let (t0, c0, p0, d0) = (
        Instant::now(),
        tsc::thread_cpu(),
        f.totals.forwarded,
        f.totals.driver_tsc,
    );
    while t0.elapsed() < span {
        f.run(50_000).map_err(|e| e.to_string())?;
    }
    let r = Run {
        pkts: f.totals.forwarded - p0,
        cpu: tsc::thread_cpu().saturating_sub(c0),
        driver_tsc: f.totals.driver_tsc - d0,
    };
    f.check().map_err(|e| e.to_string())?;
    Ok(r)
}

fn run() -> Result<(), String> {
    let a = Args::parse(
        std::env::args().skip(1),
        &["threads", "seconds", "batch"],
        &[],
    )?;
    let threads: usize = a.get("threads", 2)?;
    let secs: f64 = a.get("seconds", 3.0)?;
    let batch: usize = a.get("batch", 32)?;
    if !(1..=64).contains(&threads) {
        return Err(format!("--threads {threads}: must be 1..=64"));
    }
    if !(secs > 0.0 && secs <= 60.0) {
        return Err(format!("--seconds {secs}: must be in (0, 60]"));
    }
    let span = Duration::from_secs_f64(secs);
    let ghz = tsc::ghz(Duration::from_millis(200));
    println!(
        "TSC {ghz:.3} GHz, batch {batch}, {secs} s per run, {} CPUs online",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| threads | thread | Mpps per CPU-second | driver ns / packet | packets |");
    println!("|---:|---:|---:|---:|---:|");
    let mut counts = vec![1];
    if threads > 1 {
        counts.push(threads);
    }
    for n in counts {
        let start = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let start = start.clone();
                std::thread::spawn(move || one(batch, span, &start))
            })
            .collect();
        let mut total = 0.0;
        for (i, h) in handles.into_iter().enumerate() {
            let r = h.join().map_err(|_| "a forwarding thread panicked")??;
            let mpps = r.pkts as f64 / r.cpu.as_secs_f64().max(1e-9) / 1e6;
            total += mpps;
            println!(
                "| {n} | {i} | {mpps:.2} | {:.2} | {} |",
                r.driver_tsc as f64 / ghz / r.pkts.max(1) as f64,
                r.pkts
            );
        }
        println!("| {n} | all | {total:.2} (sum) | | |");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scaling: {e}");
            ExitCode::FAILURE
        }
    }
}
