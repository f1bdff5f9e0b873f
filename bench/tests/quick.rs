//! Quick mode of every driver benchmark: each harness and program runs briefly and its counts
//! are checked (no timing assertions: speed targets live in BENCHMARKS.md, not in tests).

use bench::{callgrind, Fwd, FwdOptions, Pktgen};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bench-quick-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temporary directory");
    d
}

#[test]
fn forward_loop_moves_exact_batches_both_ways() {
    for batch in [1, 32, 128] {
        let mut f = Fwd::new(FwdOptions::new(batch)).expect("forward loop set-up");
        f.run(1500).expect("forwarding");
        let t = f.totals;
        assert!(t.forwarded >= 1500, "batch {batch}: {t:?}");
        // No empty or short polls: every receive call returned a full batch, and each was sent.
        assert_eq!(
            t.forwarded,
            t.batches * batch as u64,
            "batch {batch}: {t:?}"
        );
        assert_eq!((t.short_rx, t.tx_left), (0, 0), "batch {batch}: {t:?}");
        // The driver made no register read while forwarding, and one tail write per call.
        let (reads, _) = f.register_accesses();
        assert_eq!(reads, 0, "batch {batch}");
        f.check()
            .expect("conservation against the card's and the driver's counts");
        // Writes are counted when replayed to the card: after `check`, which replays the last
        // round's (its statistics reads write nothing). The receive side writes RDT once per
        // refill run, not per call, so the last round's writes matter at batch 1.
        let (_, writes) = f.register_accesses();
        assert!(
            writes <= 2 * t.batches && writes >= t.batches,
            "batch {batch}: {writes} writes"
        );
    }
}

#[test]
fn forward_loop_rejects_bad_options() {
    for (batch, ring, in_flight) in [(0, 512, 64), (64, 512, 32), (32, 64, 64)] {
        let o = FwdOptions {
            batch,
            ring,
            in_flight,
        };
        let e = Fwd::new(o).err().expect("refused");
        assert!(e.to_string().starts_with("bad options"), "{e}");
    }
    assert!(Pktgen::new(0, 512).is_err());
    assert!(Pktgen::new(512, 512).is_err());
}

#[test]
fn pktgen_sends_and_the_card_puts_every_frame_on_the_wire() {
    let mut g = Pktgen::new(32, 512).expect("pktgen set-up");
    g.run(3000).expect("sending");
    assert!(g.totals.sent >= 3000);
    g.check().expect("conservation");
}

fn run_bin(exe: &str, args: &[&str]) -> String {
    let o = Command::new(exe)
        .args(args)
        .output()
        .expect("run bench program");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{exe} {args:?} failed:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn programs_run_in_quick_mode() {
    let out = run_bin(env!("CARGO_BIN_EXE_throughput"), &["--seconds", "0.2"]);
    assert!(
        out.contains("| pktgen |") && out.contains("| fwd (both ways) |"),
        "{out}"
    );
    let out = run_bin(
        env!("CARGO_BIN_EXE_fwd-cost"),
        &[
            "--no-callgrind",
            "--batches",
            "4,32",
            "--cycle-packets",
            "1000",
            "--reps",
            "1",
        ],
    );
    assert!(
        out.contains("| 4 | - |") && out.contains("| 32 | - |"),
        "{out}"
    );
    let out = run_bin(
        env!("CARGO_BIN_EXE_fwd-loop"),
        &["--batch", "8", "--packets", "800"],
    );
    let (fwd, batches) = callgrind::parse_report(&out).expect("report line");
    assert!(fwd >= 800 && fwd == 8 * batches, "{out}");
    // Two forwarders on two threads, each with its own queues: twice the packets.
    let out = run_bin(
        env!("CARGO_BIN_EXE_fwd-loop"),
        &["--batch", "8", "--packets", "800", "--threads", "2"],
    );
    let (fwd, batches) = callgrind::parse_report(&out).expect("report line");
    assert!(fwd >= 1600 && fwd == 8 * batches, "{out}");
    let out = run_bin(
        env!("CARGO_BIN_EXE_scaling"),
        &["--seconds", "0.2", "--threads", "2", "--batch", "8"],
    );
    assert!(
        out.contains("| 1 | all |") && out.contains("| 2 | all |"),
        "{out}"
    );
    // Bad input: a clear error, no panic.
    let o = Command::new(env!("CARGO_BIN_EXE_fwd-loop"))
        .args(["--batch", "x"])
        .output()
        .expect("run fwd-loop");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--batch x"));
}

#[test]
fn callgrind_count_is_deterministic() {
    if let Err(why) = callgrind::valgrind_version() {
        println!("SKIP callgrind_count_is_deterministic: {why}");
        return;
    }
    let dir = tmp_dir("callgrind");
    let exe = Path::new(env!("CARGO_BIN_EXE_fwd-loop"));
    let a = callgrind::measure(exe, 32, 640, &dir).expect("callgrind run");
    let b = callgrind::measure(exe, 32, 640, &dir).expect("callgrind run");
    assert!(a.forwarded >= 640 && a.forwarded == 32 * a.batches, "{a:?}");
    assert!(a.instructions > 0, "{a:?}");
    // The count repeats run to run: the card's work, the harness and empty polls are out.
    assert_eq!(a.instructions, b.instructions, "{a:?} vs {b:?}");
    // More packets, more instructions (the count is of the forwarding, not of set-up).
    let c = callgrind::measure(exe, 32, 1280, &dir).expect("callgrind run");
    assert!(
        c.instructions > a.instructions + a.instructions / 2,
        "{a:?} vs {c:?}"
    );
    println!(
        "debug build, batch 32: {:.1} instructions/packet",
        a.per_packet()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
