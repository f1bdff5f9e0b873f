//! The `ixgbe` command line on the simulated card: every command runs, stops by itself with
//! `--seconds`, prints its rates, and fails with a clear message on bad input.

use std::process::Command;

fn ixgbe(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ixgbe"))
        .args(args)
        .output()
        .expect("run ixgbe");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn pktgen_fwd_and_echo_print_rates_and_stop() {
    for cmd in ["pktgen", "fwd", "echo"] {
        let (ok, text) = ixgbe(&[cmd, "--seconds", "2"]);
        assert!(ok, "{cmd} failed:\n{text}");
        assert!(
            text.contains("Mpps") && text.contains("Gbit/s"),
            "{cmd}:\n{text}"
        );
        // At least one per-second line, and packets actually moved.
        let total = text
            .lines()
            .find(|l| l.starts_with("total"))
            .unwrap_or_else(|| panic!("{cmd}: no total line:\n{text}"));
        let pkts: u64 = total
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or(0);
        assert!(pkts > 0, "{cmd} moved no packets:\n{text}");
        assert!(text.contains("receive drops"), "{cmd}:\n{text}");
    }
}

#[test]
fn stats_and_regs_work_on_the_simulated_card() {
    let (ok, text) = ixgbe(&["stats", "--seconds", "1"]);
    assert!(ok, "{text}");
    assert!(text.contains("link: up, 10 Gbit/s"), "{text}");
    let (ok, text) = ixgbe(&["regs", "rxctrl", "links"]);
    assert!(ok, "{text}");
    assert!(text.lines().any(|l| l.starts_with("RXCTRL ")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("LINKS ")), "{text}");
    let (ok, text) = ixgbe(&["regs", "no-such-register"]);
    assert!(!ok && text.contains("no readable register"), "{text}");
}

#[test]
fn trace_file_names_every_access() {
    let path = std::env::temp_dir().join(format!("drv82599-trace-{}.txt", std::process::id()));
    let (ok, text) = ixgbe(&[
        "pktgen",
        "--seconds",
        "1",
        "--trace",
        path.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let trace = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        trace.lines().next().unwrap_or("").starts_with("W 0x00888 "),
        "EIMC first"
    );
    assert!(trace.lines().any(|l| l.ends_with(" TDT[0]")));
    assert!(!trace.lines().any(|l| l.ends_with(" ?")), "unnamed access");
}

#[test]
fn bad_arguments_are_clear_errors() {
    let (ok, text) = ixgbe(&["fwd", "--pci", "0000:00:00.0"]);
    assert!(!ok && text.contains("fwd takes two ports"), "{text}");
    let (ok, text) = ixgbe(&["pktgen", "--size", "20"]);
    assert!(!ok && text.contains("--size 20"), "{text}");
    for b in ["0", "5000", "x"] {
        let (ok, text) = ixgbe(&["fwd", "--batch", b, "--seconds", "1"]);
        assert!(!ok && text.contains("--batch"), "--batch {b}: {text}");
    }
    let (ok, text) = ixgbe(&["pktgen", "--ring", "100", "--seconds", "1"]);
    assert!(!ok && text.contains("ring"), "{text}");
    let (ok, text) = ixgbe(&["pktgen", "--pci", "7fff:ff:1f.7", "--seconds", "1"]);
    assert!(!ok && text.contains("7fff:ff:1f.7"), "{text}");
}
