//! Sharing one card between processes (issue 16.2), on a card process: a primary
//! (`pktgen --share N`) and secondaries attached to its queues (`pktgen --attach --queue Q`),
//! each secondary's traffic steered back to its own queue by RSS; every frame is counted per
//! queue, a secondary killed with SIGKILL leaves its queue to the next, and attaches that
//! cannot work are refused.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::text;

fn ixgbe() -> Command {
    common::command(&[])
}

fn socket(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ixgbe-attach-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("card.sock")
}

fn spawn(args: &[&str], path: &Path) -> Child {
    ixgbe()
        .args(args)
        .arg("--card")
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ixgbe")
}

fn run(args: &[&str], path: &Path) -> Output {
    ixgbe().args(args).arg("--card").arg(path).output().unwrap()
}

/// A one-port card process for `seconds`, once it accepts connections.
fn start_card(path: &Path, seconds: u32) -> Child {
    let child = ixgbe()
        .args([
            "card",
            "--ports",
            "1",
            "--seconds",
            &seconds.to_string(),
            "--socket",
        ])
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ixgbe card");
    wait_for(
        || std::os::unix::net::UnixStream::connect(path).is_ok(),
        "the card listening",
    );
    child
}

fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < Duration::from_secs(30), "waited for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn share_file(path: &Path, name: &str) -> PathBuf {
    PathBuf::from(format!("{}.port0.share/{name}", path.display()))
}

/// `child` holds the share directory's lock file `name`: the file names its pid.
fn wait_holder(path: &Path, name: &str, child: &Child, what: &str) {
    let file = share_file(path, name);
    wait_for(
        || std::fs::read_to_string(&file).unwrap_or_default().trim() == child.id().to_string(),
        what,
    );
}

/// The primary is up: its share directory names it in `up`.
fn wait_primary(path: &Path, primary: &Child) {
    wait_holder(path, "up", primary, "the primary to publish its queues");
}

/// A secondary's arguments: `pktgen --attach --queue queue` for `seconds`.
fn secondary<'a>(seconds: &'a str, queue: &'a str) -> [&'a str; 6] {
    ["pktgen", "--seconds", seconds, "--attach", "--queue", queue]
}

/// A primary, up, that shares queue 1, stops after 2 s and then waits `wait` seconds for
/// its secondaries.
fn stopping_primary(path: &Path, wait: &str) -> Child {
    let args = ["pktgen", "--seconds", "2", "--share", "1"];
    let primary = spawn(&[&args[..], &["--wait-secondaries", wait]].concat(), path);
    wait_primary(path, &primary);
    primary
}

/// The numbers of the first line that starts with `prefix`.
fn numbers(text: &str, prefix: &str) -> Vec<u64> {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{text}"));
    line[prefix.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect()
}

#[test]
fn two_processes_share_one_card() {
    share_one_card(2);
}

#[test]
fn four_processes_share_one_card() {
    share_one_card(4);
}

/// A primary with `n - 1` queues set aside and a secondary on each: each secondary's frames
/// come back to its queue, and per queue, what the secondary sent is what the card sent from
/// that queue, what it received is what the card wrote to that queue, and the difference is
/// counted as dropped there (no descriptor free): nothing lost.
fn share_one_card(n: u16) {
    let path = socket(&format!("n{n}"));
    let card = start_card(&path, 20);
    let shared = (n - 1).to_string();
    let primary = spawn(&["pktgen", "--seconds", "4", "--share", &shared], &path);
    wait_primary(&path, &primary);
    let secs: Vec<Child> = (1..n)
        .map(|q| {
            let q = q.to_string();
            spawn(&secondary("1", &q), &path)
        })
        .collect();
    // While they run: the read-only view names every queue's holder.
    std::thread::sleep(Duration::from_millis(300));
    let view = run(&["stats", "--attach", "--seconds", "1"], &path);
    let view_text = text(&view);
    assert!(view.status.success(), "{view_text}");
    let sec_pids: Vec<u32> = secs.iter().map(Child::id).collect();
    let primary_pid = primary.id();
    let outs: Vec<Output> = secs
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let p = primary.wait_with_output().unwrap();
    let pt = text(&p);
    let card = card.wait_with_output().unwrap();
    let ct = text(&card);
    assert!(p.status.success(), "primary:\n{pt}\ncard:\n{ct}");
    assert!(
        view_text.contains(&format!("queue 0 (process {primary_pid})")),
        "{view_text}"
    );
    for (i, o) in outs.iter().enumerate() {
        let q = i + 1;
        let t = text(o);
        let ctx = format!("secondary {q}:\n{t}\nprimary:\n{pt}\ncard:\n{ct}");
        assert!(o.status.success(), "{ctx}");
        assert!(
            view_text.contains(&format!("queue {q} (process {})", sec_pids[i])),
            "{view_text}"
        );
        // "queue Q: sent S received R (this process's counts)..."
        let mine = numbers(&t, &format!("queue {q}:"));
        let (sent, received) = (mine[0], mine[1]);
        assert!(received > 0, "{ctx}");
        // "queue counters Q: rx P pkts B bytes D drops | tx P pkts B bytes"
        let hw = numbers(&pt, &format!("queue counters {q}:"));
        let (rx, drops, tx) = (hw[0], hw[2], hw[3]);
        assert_eq!(
            tx, sent,
            "queue {q}: the card sent all the secondary queued\n{ctx}"
        );
        assert_eq!(
            rx, received,
            "queue {q}: the secondary got all the card wrote\n{ctx}"
        );
        assert_eq!(rx + drops, tx, "queue {q}: nothing lost\n{ctx}");
    }
    assert!(numbers(&pt, "queue counters 0:")[0] > 0, "{pt}");
    // The card's own account of the port: every frame sent was received or counted.
    let c = numbers(&ct, "port 0:");
    assert_eq!(c.len(), 9, "{ct}");
    assert_eq!(c[0], c[1..].iter().sum::<u64>(), "{ct}");
    assert!(card.status.success(), "card (strict mode):\n{ct}");
}

#[test]
fn a_killed_secondary_leaves_its_queue_to_the_next_and_taken_queues_are_refused() {
    let path = socket("kill");
    let card = start_card(&path, 20);
    let primary = spawn(&["pktgen", "--seconds", "5", "--share", "1"], &path);
    wait_primary(&path, &primary);
    let mut first = spawn(&secondary("30", "1"), &path);
    wait_holder(
        &path,
        "queue1",
        &first,
        "the first secondary to take queue 1",
    );
    std::thread::sleep(Duration::from_millis(300));
    // Taken: refused, naming the holder; the primary's queue too; a queue not shared.
    let o = run(&secondary("1", "1"), &path);
    assert!(!o.status.success());
    assert!(
        text(&o).contains(&format!("queue 1: it is taken by process {}", first.id())),
        "{}",
        text(&o)
    );
    let o = run(&secondary("1", "0"), &path);
    assert!(
        text(&o).contains(&format!("taken by process {}", primary.id())),
        "{}",
        text(&o)
    );
    let o = run(&secondary("1", "5"), &path);
    assert!(
        text(&o).contains("the primary shares queues 1..=1"),
        "{}",
        text(&o)
    );
    // SIGKILL: no destructor runs; its queue keeps running on the card.
    first.kill().unwrap();
    first.wait().unwrap();
    let o = run(&secondary("1", "1"), &path);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let mine = numbers(&t, "queue 1:");
    assert!(mine[1] > 0, "the next secondary received on queue 1:\n{t}");
    assert!(mine[0] >= mine[1], "{t}");
    let p = primary.wait_with_output().unwrap();
    assert!(p.status.success(), "{}", text(&p));
    let card = card.wait_with_output().unwrap();
    // Strict mode: the queue taken over was stopped and its head reset before it was used.
    assert!(card.status.success(), "card:\n{}", text(&card));
}

#[test]
fn attaches_without_a_running_primary_are_refused_and_a_primary_stopping_is_seen() {
    let path = socket("refuse");
    let card = start_card(&path, 20);
    // No primary ever: nothing initialised the card.
    let o = run(&secondary("1", "1"), &path);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no primary process has initialised the card"),
        "{}",
        text(&o)
    );
    let o = run(&["pktgen", "--seconds", "1", "--attach"], &path);
    assert!(text(&o).contains("--attach needs --queue"), "{}", text(&o));
    // A primary killed outright: the card may be in any state; attaching would need the reset
    // only a primary does. Refused.
    let mut primary = spawn(&["pktgen", "--seconds", "30", "--share", "1"], &path);
    wait_primary(&path, &primary);
    primary.kill().unwrap();
    primary.wait().unwrap();
    let o = run(&secondary("1", "1"), &path);
    assert!(!o.status.success());
    assert!(text(&o).contains("no primary process"), "{}", text(&o));
    // A primary that stops while a secondary runs: it releases `up`, the secondary sees it,
    // stops its queue and exits; the primary then stops the card.
    let primary = stopping_primary(&path, "10");
    let sec = spawn(&secondary("30", "1"), &path);
    let p = primary.wait_with_output().unwrap();
    let pt = text(&p);
    assert!(p.status.success(), "{pt}");
    assert!(!pt.contains("still attached"), "{pt}");
    let s = sec.wait_with_output().unwrap();
    assert!(!s.status.success(), "{}", text(&s));
    assert!(text(&s).contains("it is stopping"), "{}", text(&s));
    // A secondary that does not answer (stopped with SIGSTOP): the primary waits 1 s, then
    // stops the card and says so; the secondary, running again, finds the card stopped.
    let primary = stopping_primary(&path, "1");
    let sec = spawn(&secondary("30", "1"), &path);
    wait_holder(&path, "queue1", &sec, "the secondary to take queue 1");
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, &sec.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    };
    signal("-STOP");
    let p = primary.wait_with_output().unwrap();
    let pt = text(&p);
    // A new primary would reset the card under the secondary still attached: refused.
    let o = run(&["pktgen", "--seconds", "1", "--share", "1"], &path);
    signal("-CONT");
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "secondaries still run on this card (queue 1: process {})",
            sec.id()
        )),
        "{}",
        text(&o)
    );
    assert!(p.status.success(), "{pt}");
    assert!(
        pt.contains(&format!(
            "secondaries still attached after 1s: queue 1 (process {})",
            sec.id()
        )),
        "{pt}"
    );
    let s = sec.wait_with_output().unwrap();
    assert!(!s.status.success(), "{}", text(&s));
    assert!(
        text(&s).contains("the primary process is stopping or stopped the card"),
        "{}",
        text(&s)
    );
    let card = card.wait_with_output().unwrap();
    assert!(card.status.success(), "card:\n{}", text(&card));
}
