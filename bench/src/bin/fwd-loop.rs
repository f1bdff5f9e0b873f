//! The forward loop alone, for callgrind: `fwd-loop --batch B --packets N` forwards at least
//! N packets and prints one `fwd-loop key=value ...` line. `run-fwd-cost`/`fwd-cost` run it
//! under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=*fwd_driver_calls*`.

use bench::args::Args;
use bench::{Fwd, FwdOptions};
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let a = Args::parse(std::env::args().skip(1), &["batch", "packets", "ring"], &[])?;
    let mut opts = FwdOptions::new(a.get("batch", 32usize)?);
    opts.ring = a.get("ring", opts.ring)?;
    let packets: u64 = a.get("packets", 100_000)?;
    let mut f = Fwd::new(opts).map_err(|e| e.to_string())?;
    f.run(packets).map_err(|e| e.to_string())?;
    // Register accesses of the forwarding itself (the check below reads the counters).
    let (reads, writes) = f.register_accesses();
    f.check().map_err(|e| e.to_string())?;
    let t = f.totals;
    println!(
        "fwd-loop batch={} forwarded={} batches={} steps={} driver_tsc={} card_tsc={} reg_reads={reads} reg_writes={writes}",
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
