//! Instructions (callgrind) and TSC cycles per forwarded packet of the driver's receive and
//! send calls in the bidirectional forward loop, per batch size; prints a Markdown table.
//!
//! `cargo run --release -p bench --bin fwd-cost` (needs valgrind for the instruction column;
//! `--no-callgrind` leaves it out). Options: `--batches 1,4,8,16,32,64,128`, `--packets N`
//! (per callgrind run, default 50000), `--cycle-packets N` (per timed repetition, default
//! 50000), `--reps N` (timed repetitions, default 30; the best and the median are reported:
//! on a shared machine the best is the driver's own cost, the median shows the noise),
//! `--rx-path scalar|sse2|avx2` (force the receive path; default: the queue's best).

use bench::args::Args;
use bench::{callgrind, fwd, ixy, tsc, Fwd, FwdOptions};
use nic_queue::RxPath;
use std::process::ExitCode;
use std::time::Duration;

struct Cycles {
    median: f64,
    min: f64,
    card_median: f64,
    card_min: f64,
}

fn cycles(
    batch: usize,
    rx_path: Option<RxPath>,
    packets: u64,
    reps: usize,
) -> Result<Cycles, String> {
    let mut f = Fwd::new(FwdOptions::new(batch)).map_err(|e| e.to_string())?;
    if let Some(p) = rx_path {
        if !f.set_rx_path(p) {
            return Err(format!("this CPU does not run the {p:?} receive path"));
        }
    }
    f.run(packets / 10).map_err(|e| e.to_string())?; // warm up
    let mut per = Vec::new();
    let mut card = Vec::new();
    for _ in 0..reps.max(1) {
        let t0 = f.totals;
        f.run(packets).map_err(|e| e.to_string())?;
        let t = f.totals;
        let n = (t.forwarded - t0.forwarded) as f64;
        per.push((t.driver_tsc - t0.driver_tsc) as f64 / n);
        card.push((t.card_tsc - t0.card_tsc) as f64 / n);
    }
    f.check().map_err(|e| e.to_string())?;
    per.sort_by(f64::total_cmp);
    card.sort_by(f64::total_cmp);
    Ok(Cycles {
        median: per[per.len() / 2],
        min: per[0],
        card_median: card[card.len() / 2],
        card_min: card[0],
    })
}

fn run() -> Result<(), String> {
    let a = Args::parse(
        std::env::args().skip(1),
        &["batches", "packets", "cycle-packets", "reps", "rx-path"],
        &["no-callgrind"],
    )?;
    let batches: Vec<usize> = a.list("batches", &fwd::BATCHES)?;
    let packets: u64 = a.get("packets", 50_000)?;
    let cycle_packets: u64 = a.get("cycle-packets", 50_000)?;
    let reps: usize = a.get("reps", 30)?;
    let rx_path = a.rx_path()?;
    let extra: Vec<String> = match rx_path {
        Some(p) => vec!["--rx-path".into(), format!("{p:?}").to_lowercase()],
        None => Vec::new(),
    };
    println!(
        "receive path: {:?}{}",
        rx_path.unwrap_or_else(RxPath::best),
        if rx_path.is_some() {
            " (forced)"
        } else {
            " (the queue's default, RxPath::best)"
        }
    );
    let use_cg = !a.flag("no-callgrind");
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let fwd_loop = exe.with_file_name(format!("fwd-loop{}", std::env::consts::EXE_SUFFIX));
    let dir = exe.with_file_name("fwd-cost.callgrind");
    if use_cg {
        let v = callgrind::valgrind_version()?;
        if !fwd_loop.exists() {
            return Err(format!(
                "{} is missing: build it with `cargo build --release -p bench`",
                fwd_loop.display()
            ));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        println!("{v}; callgrind files in {}", dir.display());
    }
    let ghz = tsc::ghz(Duration::from_millis(200));
    println!(
        "TSC {ghz:.3} GHz; cycles are TSC cycles per packet over {reps} repetitions of {cycle_packets} packets\n"
    );
    println!("| batch | driver instructions / packet | ixy (C): published, ~estimated | vs ixy | driver TSC cycles / packet: best (median) | card TSC cycles / packet: best (median) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for &b in &batches {
        let (ixy_ins, published) = ixy::instructions(b);
        let ixy_col = format!("{}{ixy_ins:.0}", if published { "" } else { "~" });
        let (ins, vs) = if use_cg {
            let r = callgrind::measure_with(&fwd_loop, b, packets, &dir, &extra)?;
            let vs = format!("{:+.0}%", (r.per_packet() / ixy_ins - 1.0) * 100.0);
            let ins = format!(
                "{:.1} ({} Ir / {} packets)",
                r.per_packet(),
                r.instructions,
                r.forwarded
            );
            (ins, vs)
        } else {
            ("-".into(), "-".into())
        };
        let c = cycles(b, rx_path, cycle_packets, reps)?;
        println!(
            "| {b} | {ins} | {ixy_col} | {vs} | {:.1} ({:.1}) | {:.0} ({:.0}) |",
            c.min, c.median, c.card_min, c.card_median
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fwd-cost: {e}");
            ExitCode::FAILURE
        }
    }
}
