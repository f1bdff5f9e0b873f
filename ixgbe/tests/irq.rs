//! `--interrupts` on the receive loops: an echo process that sleeps on its queue's MSI-X
//! eventfd (bound over the card socket) answers a rate-limited generator in another process,
//! and is woken by the card's messages; refused where no card runs on its own.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{command, ixgbe, number_after, text};

fn socket(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ixgbe-irq-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("card.sock")
}

#[test]
fn echo_with_interrupts_on_a_card_process_is_woken_by_the_card() {
    let path = socket("echo");
    let card = command(&[
        "card",
        "--ports",
        "2",
        "--pairs",
        "--seconds",
        "6",
        "--socket",
    ])
    .arg(&path)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run ixgbe card");
    let t = Instant::now();
    while std::os::unix::net::UnixStream::connect(&path).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the card never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let echo = command(&[
        "echo",
        "--interrupts",
        "--seconds",
        "4",
        "--port",
        "0",
        "--card",
    ])
    .arg(&path)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run ixgbe echo");
    std::thread::sleep(Duration::from_millis(500));
    // 10 Mbit/s: about 15 000 frames/s, slow enough for the echo loop to go idle between them.
    let gen = command(&[
        "pktgen",
        "--rate",
        "10",
        "--seconds",
        "2",
        "--port",
        "1",
        "--card",
    ])
    .arg(&path)
    .output()
    .expect("run ixgbe pktgen");
    let echo = echo.wait_with_output().unwrap();
    let card = card.wait_with_output().unwrap();
    let (et, gt, ct) = (text(&echo), text(&gen), text(&card));
    let ctx = format!("echo:\n{et}\npktgen:\n{gt}\ncard:\n{ct}");
    assert!(echo.status.success() && gen.status.success(), "{ctx}");
    assert!(card.status.success(), "{ctx}");
    let echoed = number_after(&et, "total echoed:");
    assert!(echoed > 1000, "{ctx}");
    let woken = number_after(&et, "woken by a packet");
    let slept = number_after(&et, "slept");
    assert!(woken > 0 && slept >= woken, "{ctx}");
    // The generator got its frames back (echoed by the sleeping process).
    assert!(number_after(&gt, "total RX:") > 0, "{ctx}");
}

#[test]
fn interrupts_need_a_card_that_runs_on_its_own() {
    let (ok, t) = ixgbe(&["echo", "--interrupts", "--seconds", "1"]);
    assert!(!ok && t.contains("--threaded"), "{t}");
    let (ok, t) = ixgbe(&["pktgen", "--interrupts", "--seconds", "1"]);
    assert!(!ok && t.contains("not pktgen"), "{t}");
    let (ok, t) = ixgbe(&["echo", "--itr-us", "10", "--seconds", "1"]);
    assert!(!ok && t.contains("--interrupts"), "{t}");
}

#[test]
fn fwd_with_interrupts_on_the_threaded_card_accounts_for_every_frame() {
    let (ok, t) = ixgbe(&[
        "fwd",
        "--threaded",
        "--interrupts",
        "--itr-us",
        "20",
        "--seconds",
        "1",
    ]);
    assert!(ok, "{t}");
    assert!(t.contains("interrupts: slept"), "{t}");
}
