//! The simulated card as a process (`ixgbe card --socket`) with driver processes on it
//! (`--card PATH`): each process drives its own port, every frame it sends is counted by the
//! card, and the card records no strict-mode violation.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{number_after, text};

fn ixgbe() -> Command {
    common::command(&[])
}

fn socket(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ixgbe-card-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("card.sock")
}

/// A card process with `ports` ports for `seconds`, once its socket accepts connections.
fn start_card(path: &Path, ports: u32, seconds: u32) -> Child {
    let child = ixgbe()
        .args(["card", "--socket"])
        .arg(path)
        .args(["--ports", &ports.to_string()])
        .args(["--seconds", &seconds.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ixgbe card");
    let t = Instant::now();
    while std::os::unix::net::UnixStream::connect(path).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the card never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Waits (bounded) until `driver` holds port 0 of the card at `path`: the port's lock file
/// names its process once it has initialised the port.
fn wait_holder(path: &Path, driver: &Child) {
    let lock = format!("{}.port0.lock", path.display());
    let t = Instant::now();
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != driver.id().to_string() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "process {} never took the port",
            driver.id()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_driver_processes_on_one_card_process() {
    processes_on_one_card(2);
}

#[test]
fn four_driver_processes_on_one_card_process() {
    processes_on_one_card(4);
}

/// `n` pktgen processes, one per port of one card process, at the same time.
fn processes_on_one_card(n: u32) {
    let path = socket(&format!("n{n}"));
    let card = start_card(&path, n, 8);
    let drivers: Vec<Child> = (0..n)
        .map(|port| {
            ixgbe()
                .args(["pktgen", "--seconds", "2", "--card"])
                .arg(&path)
                .args(["--port", &port.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run ixgbe pktgen")
        })
        .collect();
    let outs: Vec<Output> = drivers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let card = card.wait_with_output().unwrap();
    let card_text = text(&card);
    assert!(card.status.success(), "card:\n{card_text}");
    for (port, o) in outs.iter().enumerate() {
        let t = text(o);
        assert!(
            o.status.success(),
            "driver on port {port}:\n{t}\ncard:\n{card_text}"
        );
        let queued = number_after(&t, "total TX:");
        assert!(queued > 0, "port {port} sent nothing:\n{t}");
        // The driver's totals name its own port.
        assert!(
            t.lines()
                .any(|l| l.starts_with(&format!("port {port}: rx "))),
            "{t}"
        );
        let line = card_text
            .lines()
            .find(|l| l.starts_with(&format!("port {port}:")))
            .unwrap_or_else(|| panic!("no port {port} in:\n{card_text}"));
        // "port P: SENT frames sent, RECEIVED received; dropped: ... ; BUFFERED still buffered"
        let n: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .map(|w| w.parse().unwrap())
            .collect();
        assert_eq!(n.len(), 10, "{line}");
        let sent = n[1];
        // Every frame the card sent came back on the looped port and was written to a
        // descriptor, dropped and counted, or is still in the packet buffer (the card's own
        // totals at its exit, when every driver has stopped): nothing lost.
        let accounted: u64 = n[2..].iter().sum();
        let ctx = format!("port {port}:\n{t}\ncard:\n{card_text}");
        assert_eq!(accounted, sent, "{ctx}");
        // The card's transmit counter as the driver read it (GPTC, before its last frames
        // left) never exceeds what the card sent.
        assert!(number_after(&t, " tx ") <= sent, "{ctx}");
        // Frames still in the transmit ring when the driver stopped (after a bounded wait for
        // the ring to drain) were never sent and are counted as dropped at stop: every frame
        // the driver queued was sent by the card or counted (issue 14).
        let dropped = number_after(&t, "+ dropped at stop");
        assert_eq!(queued, sent + dropped, "{ctx}");
    }
}

#[test]
fn regs_and_stats_on_a_card_process_and_clear_errors() {
    let path = socket("regs");
    let card = start_card(&path, 2, 4);
    let o = ixgbe()
        .args(["regs", "links", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).lines().any(|l| l.starts_with("LINKS ")),
        "{}",
        text(&o)
    );
    let o = ixgbe()
        .args(["stats", "--seconds", "1", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("link: up"), "{}", text(&o));
    // Its totals name the port it read (they said "port 0" whatever --port was).
    let o = ixgbe()
        .args(["stats", "--seconds", "1", "--port", "1", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("\nport 1: rx "), "{}", text(&o));
    // A port the card does not have, and a second card on the same socket: refused.
    let o = ixgbe()
        .args(["regs", "--port", "3", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("no port 3"), "{}", text(&o));
    let o = ixgbe()
        .args(["card", "--seconds", "1", "--socket"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("another card process"), "{}", text(&o));
    let card = card.wait_with_output().unwrap();
    assert!(card.status.success(), "{}", text(&card));
    // The card is gone: a clear error, not a hang.
    let o = ixgbe()
        .args(["stats", "--seconds", "1", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("cannot reach the card process"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_port_in_use_is_refused_and_freed_when_its_process_is_killed() {
    let path = socket("lock");
    let card = start_card(&path, 1, 12);
    let run = || {
        ixgbe()
            .args(["pktgen", "--seconds", "8", "--card"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = run();
    // Wait until the first holds the port.
    wait_holder(&path, &first);
    // A second driver would reset the card under the first: refused, naming the holder.
    let o = ixgbe()
        .args(["pktgen", "--seconds", "1", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("in use by process {}", first.id())),
        "{}",
        text(&o)
    );
    // SIGKILL: no destructor runs, the kernel drops the lock; the next driver takes the port,
    // resets it and runs.
    first.kill().unwrap();
    first.wait().unwrap();
    let o = ixgbe()
        .args(["pktgen", "--seconds", "1", "--card"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(number_after(&text(&o), "total TX:") > 0, "{}", text(&o));
    let card = card.wait_with_output().unwrap();
    assert!(card.status.success(), "{}", text(&card));
}

/// The card going away mid-run (its process killed; on real hardware, a surprise removal):
/// registers read all ones. The driver process notices within a meter tick, stops with
/// "the device is gone", exit 1, and still prints its totals so far, the last counters read
/// while the card was there (not all-ones garbage).
#[test]
fn a_card_that_goes_away_ends_the_run_with_its_totals() {
    let path = socket("gone");
    let mut card = start_card(&path, 1, 60);
    let mut run = ixgbe()
        .args(["pktgen", "--seconds", "30", "--card"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let frames flow once the driver holds the port, then kill the card.
    wait_holder(&path, &run);
    std::thread::sleep(Duration::from_millis(1500));
    card.kill().unwrap();
    card.wait().unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = run.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the driver did not notice the card was gone"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let o = Output {
        status,
        ..run.wait_with_output().unwrap()
    };
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("the device is gone"), "{t}");
    assert!(t.contains("the totals so far"), "{t}");
    let sent = number_after(&t, "total TX:");
    assert!(sent > 0, "{t}");
    // "port 0: rx R tx T drops D (...)": what the card counted before it went, never more
    // than the driver queued (all-ones reads would add 4294967295 per counter).
    let rx = number_after(&t, "port 0: rx");
    let tx = number_after(&t, " tx ");
    assert!(rx <= sent && tx <= sent, "{t}");
    assert!(
        t.contains("the device is gone: its counters are the last read"),
        "{t}"
    );
    assert!(!t.contains("UNACCOUNTED"), "{t}");
}
