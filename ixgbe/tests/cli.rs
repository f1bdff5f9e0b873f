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

#[test]
fn filters_pools_rate_and_queue_counters() {
    // fwd with pools, an address filter and a VLAN filter still forwards the generators'
    // (broadcast, untagged) frames through pool 0.
    let (ok, text) = ixgbe(&[
        "fwd",
        "--seconds",
        "1",
        "--vmdq",
        "64x2",
        "--mac",
        "02:00:00:00:00:99",
        "--vlan",
        "5",
    ]);
    assert!(ok, "{text}");
    let total = text
        .lines()
        .find(|l| l.starts_with("total A->B"))
        .unwrap_or("");
    assert!(!total.contains(" 0 packets"), "{text}");
    // pktgen under a rate limit sends far fewer than without.
    let (ok, text) = ixgbe(&["pktgen", "--seconds", "1", "--rate", "50", "--ring", "4096"]);
    assert!(ok, "{text}");
    let pkts = |t: &str| -> u64 {
        t.lines()
            .find(|l| l.starts_with("total TX"))
            .and_then(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
            .unwrap_or(0)
    };
    // 50 Mbit/s of 60-byte frames (84 bytes on the wire): 74,405 per second at most.
    assert!(pkts(&text) > 0 && pkts(&text) < 100_000, "{text}");
    let (ok, text) = ixgbe(&["pktgen", "--rate", "5", "--seconds", "1"]);
    assert!(!ok && text.contains("5 Mbit/s"), "{text}");
    let (ok, text) = ixgbe(&["fwd", "--mac", "02:00", "--seconds", "1"]);
    assert!(!ok && text.contains("six hex bytes"), "{text}");
    let (ok, text) = ixgbe(&["echo", "--vmdq", "8x16", "--seconds", "1"]);
    assert!(!ok && text.contains("64x2 or 32x4"), "{text}");
    // stats prints the per-queue counter sets.
    let (ok, text) = ixgbe(&["stats", "--seconds", "1"]);
    assert!(ok, "{text}");
    assert!(text.contains("counter_sets"), "{text}");
}
