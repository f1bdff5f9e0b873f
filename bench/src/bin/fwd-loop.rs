//! The forward loop alone, for callgrind: `fwd-loop --batch B --packets N` forwards at least
//! N packets and prints one `fwd-loop key=value ...` line. `run-fwd-cost`/`fwd-cost` run it
//! under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=*fwd_driver_calls*`.
//! `--threads T` runs T forwarders at once, each on its own thread with its own queues (and
//! simulated ports), and reports their sums: per-queue scaling, BENCHMARKS.md. `--rx-path
//! scalar|sse2|avx2` forces the receive path (default: the queue's best, `RxPath::best`).

use bench::args::Args;
use bench::{Fwd, FwdOptions};
use nic_queue::RxPath;
use std::process::ExitCode;

/// One forwarder's run: (totals, register reads, register writes).
fn forward(
    opts: FwdOptions,
    rx_path: Option<RxPath>,
    packets: u64,
) -> Result<(bench::Totals, u64, u64), String> {
    let mut f = Fwd::new(opts).map_err(|e| e.to_string())?;
    if let Some(p) = rx_path {
        if !f.set_rx_path(p) {
            return Err(format!("this CPU does not run the {p:?} receive path"));
        }
    }
    f.run(packets).map_err(|e| e.to_string())?;
    // Register accesses of the forwarding itself (the check below reads the counters).
    let (reads, writes) = f.register_accesses();
    f.check().map_err(|e| e.to_string())?;
    Ok((f.totals, reads, writes))
}

fn run() -> Result<(), String> {
    let a = Args::parse(
        std::env::args().skip(1),
        &["batch", "packets", "ring", "threads", "rx-path"],
        &[],
    )?;
    let mut opts = FwdOptions::new(a.get("batch", 32usize)?);
    opts.ring = a.get("ring", opts.ring)?;
    let packets: u64 = a.get("packets", 100_000)?;
    let threads: usize = a.get("threads", 1)?;
    let rx_path = a.rx_path()?;
    if !(1..=64).contains(&threads) {
        return Err(format!("--threads {threads}: must be 1..=64"));
    }
    let runs: Vec<_> = (0..threads)
        .map(|_| std::thread::spawn(move || forward(opts, rx_path, packets)))
        .collect();
    let (mut t, mut reads, mut writes) = (bench::Totals::default(), 0, 0);
    for h in runs {
        let (r, rd, wr) = h.join().map_err(|_| "a forwarding thread panicked")??;
        t.forwarded += r.forwarded;
        t.batches += r.batches;
        t.steps += r.steps;
        t.driver_tsc += r.driver_tsc;
        t.card_tsc += r.card_tsc;
        reads += rd;
        writes += wr;
    }
    println!(
        "fwd-loop batch={} threads={threads} forwarded={} batches={} steps={} driver_tsc={} card_tsc={} reg_reads={reads} reg_writes={writes}",
        opts.batch, t.forwarded, t.batches, t.steps, t.driver_tsc, t.card_tsc
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fwd-loop: {e}");
            ExitCode::FAILURE
        }
    }
}
