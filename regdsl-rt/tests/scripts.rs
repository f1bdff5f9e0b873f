//! The benchmark scripts in `scripts/` run in their quick modes, so that they keep working and
//! the zero-cost comparison can fail a test run. No timing is asserted: figures belong in
//! BENCHMARKS.md. Each test skips, saying why, when a tool it needs is missing.
//!
//! The nested cargo builds use their own target directories (under the workspace's `target/`),
//! so they never wait for the lock of the build running these tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir(name: &str) -> PathBuf {
    crate_dir().join("..").join("target").join(name)
}

/// `None` when `tool --version` cannot be run.
fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn run(script: &Path, args: &[&str], target: Option<&Path>) -> (bool, String) {
    let mut c = Command::new("bash");
    c.arg(script).args(args).current_dir(crate_dir());
    if let Some(t) = target {
        c.env("CARGO_TARGET_DIR", t);
    }
    let out = c.output().expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Builds `examples/zero_cost.rs` in release and compares each generated accessor with its
/// hand-written twin: the script exits 1 when an instruction count differs.
#[test]
fn zero_cost_generated_and_hand_written_have_equal_instruction_counts() {
    for tool in ["bash", "objdump"] {
        if !have(tool) {
            eprintln!("SKIP: `{tool}` not found; the zero-cost comparison needs it");
            return;
        }
    }
    let script = crate_dir().join("scripts/zero_cost.sh");
    let (ok, text) = run(&script, &[], Some(&target_dir("regdsl-zero-cost-test")));
    println!("{text}");
    assert!(ok, "zero_cost.sh failed:\n{text}");
    // Every case was compared (the script prints one row per gen_* function).
    let rows = text.lines().filter(|l| !l.starts_with(' ')).count();
    assert!(rows >= 9, "expected a header and 8 cases:\n{text}");
}

/// Generates the small table and both crates of the compile-time benchmark, and checks both.
#[test]
fn compile_bench_quick_mode_builds_generated_and_hand_written_crates() {
    for tool in ["bash", "python3"] {
        if !have(tool) {
            eprintln!("SKIP: `{tool}` not found; compile_bench.sh needs it");
            return;
        }
    }
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("SKIP: /usr/bin/time not found; compile_bench.sh needs it");
        return;
    }
    let script = crate_dir().join("scripts/compile_bench.sh");
    let work = target_dir("regdsl-compile-bench-quick");
    let (ok, text) = run(&script, &["--quick", work.to_str().unwrap()], None);
    println!("{text}");
    assert!(ok, "compile_bench.sh --quick failed:\n{text}");
    assert!(text.contains("20 registers"), "{text}");
    for c in ["gen_regs", "hand_regs"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(c) && l.contains("cargo check")),
            "no figure for {c}:\n{text}"
        );
    }
    let table = std::fs::read_to_string(work.join("big.txt")).expect("the table was written");
    assert!(table.contains("R0019"), "the quick table has 20 registers");
}
