//! The deterministic mutational fuzz driver (stable Rust): mutated tables from the real ones
//! (registers/*.txt), the Snabb tables (tests/data/snabb-tables) and the pasted forms
//! (regdsl/tests/data/pasted), through compile, render, fmt, dump, doc and codegen.
//!
//! ```text
//! cargo run --release -p regdsl --example fuzz -- [INPUTS] [SEED]
//! ```
//!
//! Prints the inputs run, panics, invariant violations, the slowest input's time (the
//! thread's CPU time; every 100,000 inputs on stderr too) with its time per stage (compile,
//! render, dump, doc, codegen, fmt, and `refmt`: fmt's idempotence and model checks), and the
//! longest time any input spent in each stage; writes the slowest input to
//! `target/fuzz-slowest.txt` and failing ones to `target/fuzz-failure-N.txt` as they happen.
//! Exits 1 if anything panicked or broke an invariant.
use std::path::PathBuf;
use std::time::Duration;

use regdsl::fuzzing::Event;

/// CPU time of this thread: an input's cost, not the machine's load.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported
    // on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("INPUTS: a number"));
    let seed: u64 = args
        .next()
        .map_or(1, |a| a.parse().expect("SEED: a number"));
    let seeds = regdsl::fuzzing::repository_seeds().expect("seed directories");
    if std::env::var_os("FUZZ_VERBOSE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let start = std::time::Instant::now();
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target");
    let mut failures = 0u64;
    let r = regdsl::fuzzing::run(&seeds, n, seed, thread_cpu_time, |e| {
        match e {
        Event::Progress(r) => eprintln!(
            "{} inputs, {} panics, {} violations, slowest mutated input {:.3} ms, slowest seed {:.3} ms (CPU time), {:.0} s",
            r.inputs,
            r.panics,
            r.violations,
            r.slowest.0.as_secs_f64() * 1e3,
            r.slowest_seed.as_secs_f64() * 1e3,
            start.elapsed().as_secs_f64()
        ),
        Event::Failure(msg, input) => {
            failures += 1;
            if failures <= 20 {
                let path = target.join(format!("fuzz-failure-{failures}.txt"));
                let _ = std::fs::write(&path, input);
                eprintln!("failure: {msg} (input in {})", path.display());
            }
        }
        Event::Slowest(dt, input, stages) => {
            let _ = std::fs::write(target.join("fuzz-slowest.txt"), input);
            if dt.as_millis() >= 20 {
                eprintln!(
                    "slowest so far: {:.3} ms, {} bytes ({})",
                    dt.as_secs_f64() * 1e3,
                    input.len(),
                    regdsl::fuzzing::stage_summary(stages)
                );
            }
        }
    }
    });
    println!(
        "inputs {} (seed {seed}, {} seed tables), panics {}, violations {}, slowest mutated input {:.3} ms ({} bytes), slowest seed table {:.3} ms, {:.0} s",
        r.inputs,
        seeds.len(),
        r.panics,
        r.violations,
        r.slowest.0.as_secs_f64() * 1e3,
        r.slowest.1.len(),
        r.slowest_seed.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64()
    );
    println!(
        "slowest mutated input by stage: {}",
        regdsl::fuzzing::stage_summary(&r.slowest_stages)
    );
    println!(
        "longest time in each stage (any input): {}",
        regdsl::fuzzing::stage_summary(&r.stage_max)
    );
    if r.panics > 0 || r.violations > 0 {
        std::process::exit(1);
    }
}
