//! The deterministic mutational fuzz driver (stable Rust): mutated tables from the real ones
//! (registers/*.txt), the Snabb tables (tests/data/snabb-tables) and the pasted forms
//! (regdsl/tests/data/pasted), through compile, render, fmt, dump, doc and codegen.
//!
//! ```text
//! cargo run --release -p regdsl --example fuzz -- [INPUTS] [SEED]
//! ```
//!
//! Prints the inputs run, panics, invariant violations and the slowest input's time (every
//! 100,000 inputs on stderr too); writes
//! the slowest input and the first failing one to `target/fuzz-slowest.txt` and
//! `target/fuzz-failure.txt`. Exits 1 if anything panicked or broke an invariant.
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("INPUTS: a number"));
    let seed: u64 = args
        .next()
        .map_or(1, |a| a.parse().expect("SEED: a number"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dirs = [
        root.join("../registers"),
        root.join("../tests/data/snabb-tables"),
        root.join("tests/data/pasted"),
    ];
    let seeds: Vec<Vec<u8>> = regdsl::fuzzing::seeds(&dirs)
        .expect("seed directories")
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    if std::env::var_os("FUZZ_VERBOSE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let start = std::time::Instant::now();
    let r = regdsl::fuzzing::run(&seeds, n, seed, |r| {
        eprintln!(
            "{} inputs, {} panics, {} violations, slowest mutated input {:.3} ms, slowest seed {:.3} ms, {:.0} s",
            r.inputs,
            r.panics,
            r.violations,
            r.slowest.0.as_secs_f64() * 1e3,
            r.slowest_seed.as_secs_f64() * 1e3,
            start.elapsed().as_secs_f64()
        );
    });
    let target = root.join("../target");
    let _ = std::fs::write(target.join("fuzz-slowest.txt"), &r.slowest.1);
    if let Some((msg, input)) = &r.first_failure {
        let _ = std::fs::write(target.join("fuzz-failure.txt"), input);
        eprintln!("first failure: {msg} (input in target/fuzz-failure.txt)");
    }
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
    if r.panics > 0 || r.violations > 0 {
        std::process::exit(1);
    }
}
