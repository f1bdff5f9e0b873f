//! What the `ixgbe` command-line tests share: running the binary and reading what it printed.
#![allow(dead_code)] // each test file uses its own part

use std::process::{Command, Output};

/// Everything a run printed: stdout, then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The `ixgbe` binary of this build, with `args`.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ixgbe"));
    c.args(args);
    c
}

/// Runs `ixgbe args` to the end: whether it succeeded, and what it printed.
pub fn ixgbe(args: &[&str]) -> (bool, String) {
    let out = command(args).output().expect("run ixgbe");
    (out.status.success(), text(&out))
}

/// The first number after `key` on the first line containing it.
pub fn number_after(text: &str, key: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("no {key:?} in:\n{text}"));
    let rest = &line[line.find(key).unwrap() + key.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number after {key:?} in {line:?}"))
}
