//! The fuzz driver's quick mode, run by `cargo test` (and so by ./run-tests): every seed table
//! unmutated, then a few thousand mutated inputs (fixed PRNG seed, so a failure reproduces)
//! through compile, render, fmt, dump, doc and codegen: no panic, no broken invariant. The long
//! runs use `cargo run --release -p regdsl --example fuzz -- 10000000` (BENCHMARKS.md).

#[test]
fn quick_fuzz_run() {
    let seeds = regdsl::fuzzing::repository_seeds().expect("seed directories");
    assert!(seeds.len() >= 30, "only {} seed tables", seeds.len());
    let start = std::time::Instant::now();
    let r = regdsl::fuzzing::run(&seeds, 3_000, 13, || start.elapsed(), |_| {});
    if let Some((msg, input)) = &r.first_failure {
        panic!(
            "{} panics, {} violations; first: {msg}\ninput: {:?}",
            r.panics,
            r.violations,
            String::from_utf8_lossy(input)
        );
    }
    eprintln!(
        "quick fuzz: {} inputs, slowest mutated input {:?}, slowest seed {:?}",
        r.inputs, r.slowest.0, r.slowest_seed
    );
    cargo_fuzz_note();
}

/// The libFuzzer target (`fuzz/`) needs a nightly toolchain and cargo-fuzz: say whether it can
/// run here, and how.
fn cargo_fuzz_note() {
    let has = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let nightly = has("rustup", &["run", "nightly", "rustc", "--version"]);
    let cargo_fuzz = has("cargo", &["fuzz", "--version"]);
    if nightly && cargo_fuzz {
        eprintln!("cargo-fuzz target: run `cd fuzz && cargo +nightly fuzz run tables`");
    } else {
        eprintln!(
            "cargo-fuzz target fuzz/fuzz_targets/tables.rs not run here: {} (the stable driver above covers the same entry point, regdsl::fuzzing::exercise)",
            if nightly { "cargo-fuzz is not installed (`cargo install cargo-fuzz`)" } else { "no nightly toolchain (`rustup toolchain list`)" }
        );
    }
}
