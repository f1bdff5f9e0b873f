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
    start_card_with(path, 1, false, seconds)
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
        // "queue Q: received R sent S | at stop: X received not taken, Y queued never sent"
        let mine = numbers(&t, &format!("queue {q}:"));
        let (received, sent, not_taken, unsent) = (mine[0], mine[1], mine[2], mine[3]);
        assert!(received > 0, "{ctx}");
        // "queue counters Q: rx P pkts B bytes D drops | tx P pkts B bytes"
        let hw = numbers(&pt, &format!("queue counters {q}:"));
        let (rx, drops, tx) = (hw[0], hw[2], hw[3]);
        assert_eq!(
            tx,
            sent - unsent,
            "queue {q}: the card sent all the secondary queued\n{ctx}"
        );
        assert_eq!(
            rx,
            received + not_taken,
            "queue {q}: the secondary got all the card wrote, or counted it at its stop\n{ctx}"
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
    // "queue 1: received R sent S | at stop: ..."
    let mine = numbers(&t, "queue 1:");
    assert!(mine[0] > 0, "the next secondary received on queue 1:\n{t}");
    assert!(mine[1] >= mine[0], "{t}");
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

// ---------------------------------------------------------------------------------------------
// fwd and echo as secondaries (and as primaries sharing queues).

/// A card process with `ports` ports for `seconds`, wired in pairs (0-1, 2-3, ...) or each
/// looped back.
fn start_card_with(path: &Path, ports: u16, pairs: bool, seconds: u32) -> Child {
    let mut cmd = ixgbe();
    cmd.args(["card", "--ports", &ports.to_string()]);
    if pairs {
        cmd.arg("--pairs");
    }
    let child = cmd
        .args(["--seconds", &seconds.to_string(), "--socket"])
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

/// `child` holds lock file `name` of port `port`'s share directory.
fn wait_port_holder(path: &Path, port: u16, name: &str, child: &Child) {
    let file = PathBuf::from(format!("{}.port{port}.share/{name}", path.display()));
    wait_for(
        || std::fs::read_to_string(&file).unwrap_or_default().trim() == child.id().to_string(),
        &format!("process {} to hold {}", child.id(), file.display()),
    );
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Ends `child` with SIGINT and returns what it printed.
fn interrupt(child: Child) -> (Output, String) {
    signal(&child, "-INT");
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    (o, t)
}

/// `cmd --port port --seconds 600 args...` on the card (stopped by the test with SIGINT).
fn spawn_on(cmd: &str, port: u16, args: &[&str], path: &Path) -> Child {
    let p = port.to_string();
    spawn(
        &[&[cmd, "--port", &p, "--seconds", "600"][..], args].concat(),
        path,
    )
}

/// A primary of `cmd` on `port` sharing queue 1, up.
fn primary_on(cmd: &str, port: u16, path: &Path) -> Child {
    let c = spawn_on(cmd, port, &["--share", "1"], path);
    wait_port_holder(path, port, "up", &c);
    c
}

/// A secondary of `cmd` on queue 1 of `port` (fwd: and of `port + 1`), holding it.
fn secondary_on(cmd: &str, port: u16, path: &Path) -> Child {
    let c = spawn_on(cmd, port, &["--attach", "--queue", "1"], path);
    wait_port_holder(path, port, "queue1", &c);
    c
}

/// `pktgen --attach --queue 1` on `port` for `seconds`.
fn pktgen_secondary(port: u16, seconds: &str, path: &Path) -> Child {
    let p = port.to_string();
    spawn(
        &[
            "pktgen",
            "--port",
            &p,
            "--seconds",
            seconds,
            "--attach",
            "--queue",
            "1",
        ],
        path,
    )
}

fn finished(c: Child, what: &str) -> String {
    let o = c.wait_with_output().unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{what}:\n{t}");
    t
}

/// Port 0 (pktgen primary sharing queue 1, a pktgen secondary on queue 1) is wired to port 1
/// (echo primary sharing queue 1, an echo secondary on queue 1): the generator's frames reach
/// port 1's queue 1 (the same RSS table on both ports), the echo secondary sends them back from
/// its transmit queue 1, and they reach port 0's queue 1 again. Every frame is counted at every
/// step, against the card's per-queue counters the primaries publish; the echo secondary ends
/// on SIGINT with its totals.
#[test]
fn an_echo_secondary_sends_back_exactly_what_its_queue_receives() {
    let path = socket("echo");
    let card = start_card_with(&path, 2, true, 60);
    let p0 = primary_on("pktgen", 0, &path);
    let p1 = primary_on("echo", 1, &path);
    let echo = secondary_on("echo", 1, &path);
    let gen = finished(pktgen_secondary(0, "1", &path), "generator");
    let (eo, et) = interrupt(echo);
    let (o0, t0) = interrupt(p0);
    let (o1, t1) = interrupt(p1);
    let (card, _) = interrupt(card);
    let ct = text(&card);
    let ctx = format!(
        "generator:\n{gen}\necho secondary:\n{et}\nport 0 primary:\n{t0}\nport 1 primary:\n{t1}\ncard:\n{ct}"
    );
    assert!(eo.status.success(), "{ctx}");
    assert!(et.contains("SIGINT"), "{ctx}");
    assert!(o0.status.success() && o1.status.success(), "{ctx}");
    assert!(card.status.success(), "card (strict mode): {ctx}");
    // "queue 1: received R sent S | at stop: X received not taken, Y queued never sent"
    let g = numbers(&gen, "queue 1:");
    let (received, sent, not_taken, never_sent) = (g[0], g[1], g[2], g[3]);
    // "echo queue 1: took T sent S dropped D (transmit ring full)"
    let e = numbers(&et, "echo queue 1:");
    let (took, echoed, full) = (e[0], e[1], e[2]);
    // "queue 1: received R sent S | at stop: X received not taken, Y queued never sent"
    let q = numbers(&et, "queue 1:");
    let (e_rx, e_tx, left, unsent) = (q[0], q[1], q[2], q[3]);
    // "queue counters 1: rx P pkts B bytes D drops | tx P pkts B bytes"
    let h0 = numbers(&t0, "queue counters 1:");
    let h1 = numbers(&t1, "queue counters 1:");
    assert!(echoed > 0, "{ctx}");
    assert_eq!(
        h0[3],
        sent - never_sent,
        "port 0 queue 1 sent what the generator queued\n{ctx}"
    );
    assert_eq!(
        h1[0] + h1[2],
        h0[3],
        "port 1 queue 1 received or dropped it\n{ctx}"
    );
    assert_eq!((took, echoed), (e_rx, e_tx), "{ctx}");
    assert_eq!(
        h1[0],
        took + left,
        "the echo took what the card wrote\n{ctx}"
    );
    assert_eq!(took, echoed + full, "taken = sent back + ring full\n{ctx}");
    assert_eq!(
        h1[3] + unsent,
        echoed,
        "the card sent what the echo queued\n{ctx}"
    );
    assert_eq!(
        h0[0] + h0[2],
        h1[3],
        "port 0 queue 1 received or dropped it\n{ctx}"
    );
    assert_eq!(
        h0[0],
        received + not_taken,
        "the generator got what came back, or counted it at its stop\n{ctx}"
    );
}

/// Ports 0-1 and 2-3 wired in pairs; fwd runs on ports 1 and 2 (a primary sharing queue 1 on
/// each, a secondary on queue 1 of both); pktgen secondaries on queue 1 of ports 0 and 3 (under
/// echo primaries) send into it from both sides. Each direction is counted at every step
/// against the primaries' published per-queue counters.
#[test]
fn a_fwd_secondary_forwards_both_ways_with_exact_counts() {
    let path = socket("fwd");
    let card = start_card_with(&path, 4, true, 60);
    let p0 = primary_on("echo", 0, &path);
    let p3 = primary_on("echo", 3, &path);
    let f = primary_on("fwd", 1, &path);
    wait_port_holder(&path, 2, "up", &f);
    let fs = secondary_on("fwd", 1, &path);
    wait_port_holder(&path, 2, "queue1", &fs);
    let (g0, g3) = (
        pktgen_secondary(0, "1", &path),
        pktgen_secondary(3, "1", &path),
    );
    let (g0, g3) = (finished(g0, "generator 0"), finished(g3, "generator 3"));
    let (so, st) = interrupt(fs);
    let (o0, t0) = interrupt(p0);
    let (o3, t3) = interrupt(p3);
    let (of, tf) = interrupt(f);
    let (card, _) = interrupt(card);
    let ct = text(&card);
    let ctx = format!(
        "generator 0:\n{g0}\ngenerator 3:\n{g3}\nfwd secondary:\n{st}\nport 0 primary:\n{t0}\n\
         port 3 primary:\n{t3}\nfwd primary:\n{tf}\ncard:\n{ct}"
    );
    assert!(so.status.success(), "{ctx}");
    assert!(st.contains("SIGINT"), "{ctx}");
    assert!(
        o0.status.success() && o3.status.success() && of.status.success(),
        "{ctx}"
    );
    assert!(card.status.success(), "card (strict mode): {ctx}");
    // One direction: generator `gen` (under primary output `src`) into fwd port `a`, out of
    // fwd port `b`, to the generator under `dst`.
    let check = |dir: &str, gen: &str, src: &str, a: &str, b: &str, dst: &str, back: &str| {
        // The generator: "queue 1: received R sent S | at stop: X received not taken, Y queued
        // never sent".
        let g = numbers(gen, "queue 1:");
        let sent = g[1] - g[3];
        let hs = numbers(src, "queue counters 1:");
        let ha = numbers(&tf, &format!("{a} queue counters 1:"));
        let hb = numbers(&tf, &format!("{b} queue counters 1:"));
        let hd = numbers(dst, "queue counters 1:");
        // "forwarded A->B: took T sent S dropped D (transmit ring full)"
        let d = numbers(&st, &format!("forwarded {dir}:"));
        let (took, fwd, full) = (d[0], d[1], d[2]);
        // "<port> queue 1: received R sent S | at stop: X received not taken, Y queued never sent"
        let qa = numbers(&st, &format!("{a} queue 1:"));
        let qb = numbers(&st, &format!("{b} queue 1:"));
        assert!(fwd > 0, "{dir}\n{ctx}");
        assert_eq!(hs[3], sent, "{dir}: the generator's queue sent all\n{ctx}");
        assert_eq!(
            ha[0] + ha[2],
            sent,
            "{dir}: {a} received or dropped all\n{ctx}"
        );
        assert_eq!(ha[0], qa[0] + qa[2], "{dir}: taken or left at stop\n{ctx}");
        assert_eq!(took, qa[0], "{dir}\n{ctx}");
        assert_eq!(took, fwd + full, "{dir}: taken = sent + ring full\n{ctx}");
        assert_eq!(qb[1], fwd, "{dir}: queued on {b}\n{ctx}");
        assert_eq!(hb[3] + qb[3], fwd, "{dir}: {b} sent all queued\n{ctx}");
        assert_eq!(
            hd[0] + hd[2],
            hb[3],
            "{dir}: received or dropped all\n{ctx}"
        );
        let far = numbers(back, "queue 1:");
        assert_eq!(
            hd[0],
            far[0] + far[2],
            "{dir}: the far generator got it, or counted it at its stop\n{ctx}"
        );
    };
    let (a, b) = ("port 1 (A)", "port 2 (B)");
    check("A->B", &g0, &t0, a, b, &t3, &g3);
    check("B->A", &g3, &t3, b, a, &t0, &g0);
}

/// A fwd secondary killed with SIGKILL while frames flow: the next one takes the queue pair
/// on both ports (stopping what the first left running) and forwards both ways; one holding
/// them is refused to other secondaries, fwd and echo.
#[test]
fn a_killed_fwd_secondary_leaves_its_queues_to_the_next() {
    let path = socket("fwdkill");
    let card = start_card_with(&path, 4, true, 60);
    let p0 = primary_on("echo", 0, &path);
    let p3 = primary_on("echo", 3, &path);
    let f = primary_on("fwd", 1, &path);
    wait_port_holder(&path, 2, "up", &f);
    let mut first = secondary_on("fwd", 1, &path);
    wait_port_holder(&path, 2, "queue1", &first);
    let taken = format!("queue 1: it is taken by process {}", first.id());
    for (cmd, port) in [("fwd", "1"), ("echo", "1"), ("echo", "2")] {
        let o = run(
            &[
                cmd,
                "--port",
                port,
                "--seconds",
                "1",
                "--attach",
                "--queue",
                "1",
            ],
            &path,
        );
        assert!(!o.status.success(), "{cmd} on {port}: {}", text(&o));
        assert!(text(&o).contains(&taken), "{cmd} on {port}: {}", text(&o));
    }
    // Killed while frames flow both ways.
    let (g0, g3) = (
        pktgen_secondary(0, "2", &path),
        pktgen_secondary(3, "2", &path),
    );
    std::thread::sleep(Duration::from_millis(500));
    first.kill().unwrap();
    first.wait().unwrap();
    finished(g0, "generator 0");
    finished(g3, "generator 3");
    let next = secondary_on("fwd", 1, &path);
    wait_port_holder(&path, 2, "queue1", &next);
    let (g0, g3) = (
        pktgen_secondary(0, "1", &path),
        pktgen_secondary(3, "1", &path),
    );
    let (g0, g3) = (finished(g0, "generator 0"), finished(g3, "generator 3"));
    let (so, st) = interrupt(next);
    for p in [p0, p3, f] {
        let (o, t) = interrupt(p);
        assert!(o.status.success(), "{t}");
    }
    let (card, _) = interrupt(card);
    let ct = text(&card);
    let ctx = format!("generators:\n{g0}\n{g3}\nnext fwd secondary:\n{st}\ncard:\n{ct}");
    assert!(so.status.success(), "{ctx}");
    for dir in ["A->B", "B->A"] {
        let d = numbers(&st, &format!("forwarded {dir}:"));
        assert!(d[1] > 0, "{dir}: the next secondary forwarded\n{ctx}");
        assert_eq!(d[0], d[1] + d[2], "{dir}\n{ctx}");
    }
    // Strict mode: the queues taken over were stopped and their heads reset before use.
    assert!(card.status.success(), "card:\n{ctx}");
}

/// `RDLEN[1]` of `port` as the register dump shows it (elements that read 0 are not shown).
fn rdlen1(path: &Path, port: &str) -> Option<String> {
    let o = run(&["regs", "--port", port, "RDLEN"], path);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("RDLEN[0]"), "the primary's ring shows: {t}");
    t.lines()
        .find(|l| l.starts_with("RDLEN[1] "))
        .map(str::to_string)
}

#[test]
fn fwd_and_echo_attaches_that_cannot_work_are_refused_before_any_write() {
    let path = socket("fwdrefuse");
    let card = start_card_with(&path, 2, false, 60);
    let refused = |args: &[&str], what: &str| {
        let o = run(args, &path);
        assert!(!o.status.success(), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(what), "{args:?}: {}", text(&o));
    };
    let attach = |cmd: &'static str, q: &'static str| -> Vec<&'static str> {
        vec![cmd, "--seconds", "1", "--attach", "--queue", q]
    };
    for cmd in ["fwd", "echo"] {
        refused(
            &attach(cmd, "1"),
            "no primary process has initialised the card",
        );
        refused(
            &[cmd, "--attach"],
            &format!("{cmd} --attach needs --queue N or --pool P"),
        );
        refused(
            &[&attach(cmd, "1")[..], &["--mac", "02:00:00:00:00:01"]].concat(),
            "program the primary's filters; not with --attach",
        );
        refused(
            &[&attach(cmd, "1")[..], &["--interrupts"]].concat(),
            "primary's interrupt registers",
        );
        // The in-process card is this process's own: nothing to attach to.
        let (ok, t) = common::ixgbe(&attach(cmd, "1"));
        assert!(!ok && t.contains("give --card PATH"), "{t}");
    }
    refused(
        &[&attach("echo", "1")[..], &["--tap", "x"]].concat(),
        "not with --attach",
    );
    refused(
        &[&attach("echo", "1")[..], &["--respond"]].concat(),
        "--respond answers ARP",
    );
    // Port 0 has a primary, port 1 none: fwd is refused, and port 0's queue 1 was not touched
    // (its ring length never written) and is free again.
    let p0 = primary_on("echo", 0, &path);
    refused(
        &attach("fwd", "1"),
        "no primary process has initialised the card",
    );
    assert_eq!(rdlen1(&path, "0"), None);
    // Both ports up; queue 1 of port 1 taken by an echo secondary: fwd is refused as a whole.
    let p1 = primary_on("echo", 1, &path);
    let e1 = secondary_on("echo", 1, &path);
    refused(
        &attach("fwd", "1"),
        &format!("queue 1: it is taken by process {}", e1.id()),
    );
    assert_eq!(rdlen1(&path, "0"), None);
    refused(&attach("fwd", "5"), "the primary shares queues 1..=1");
    refused(
        &attach("fwd", "0"),
        &format!("taken by process {}", p0.id()),
    );
    refused(
        &attach("echo", "0"),
        &format!("taken by process {}", p0.id()),
    );
    refused(&attach("echo", "3"), "the primary shares queues 1..=1");
    refused(
        &["echo", "--seconds", "1", "--attach", "--pool", "1"],
        "cannot attach to pool 1: the primary shares pools none (it runs no pools)",
    );
    // Port 0's queue 1 is free: an echo secondary takes it.
    let o = run(&attach("echo", "1"), &path);
    assert!(o.status.success(), "{}", text(&o));
    assert!(rdlen1(&path, "0").is_some());
    for c in [e1, p0, p1] {
        let (o, t) = interrupt(c);
        assert!(o.status.success(), "{t}");
    }
    let (card, _) = interrupt(card);
    assert!(card.status.success(), "card:\n{}", text(&card));
}

/// The primaries stop (SIGINT) while a fwd secondary and an echo secondary run: each sees it,
/// stops its queues and exits with the reason; the primaries find nobody left attached.
#[test]
fn the_primarys_exit_stops_fwd_and_echo_secondaries() {
    let path = socket("fwdgone");
    let card = start_card_with(&path, 3, false, 60);
    let f = primary_on("fwd", 0, &path);
    wait_port_holder(&path, 1, "up", &f);
    let p2 = primary_on("echo", 2, &path);
    // Bounded (20 s), so that a secondary that missed the primary's exit ends on its own,
    // successfully, and fails the test instead of hanging it.
    let bounded = |cmd: &str, port: u16| {
        let p = port.to_string();
        let args = [
            cmd,
            "--port",
            &p,
            "--seconds",
            "20",
            "--attach",
            "--queue",
            "1",
        ];
        let c = spawn(&args, &path);
        wait_port_holder(&path, port, "queue1", &c);
        c
    };
    let fs = bounded("fwd", 0);
    wait_port_holder(&path, 1, "queue1", &fs);
    let es = bounded("echo", 2);
    for (p, s) in [(f, fs), (p2, es)] {
        let (po, pt) = interrupt(p);
        let so = s.wait_with_output().unwrap();
        let stt = text(&so);
        assert!(po.status.success(), "{pt}");
        assert!(!pt.contains("still attached"), "{pt}");
        assert!(!so.status.success(), "{stt}");
        assert!(stt.contains("the primary process is stopping"), "{stt}");
        // The error still prints the secondary's totals, its queues stopped and counted.
        assert!(stt.contains("the totals so far"), "{stt}");
        assert!(stt.contains("queue 1: received "), "{stt}");
        assert!(stt.contains("| at stop: "), "{stt}");
    }
    let (card, _) = interrupt(card);
    assert!(card.status.success(), "card:\n{}", text(&card));
}

/// A primary with VMDq pools (64 of 2 queues), pools 1 and 2 shared, each given an address:
/// a pool is refused whole while one of its queues is held; two pktgen secondaries take one
/// pool each and every frame is counted on the pool's first queue, against the primary's
/// published counters; the pool's other queue carries nothing.
#[test]
fn secondaries_take_whole_vmdq_pools() {
    let path = socket("pools");
    let card = start_card_with(&path, 1, false, 60);
    let primary = spawn_on(
        "echo",
        0,
        &[
            "--vmdq",
            "64x2",
            "--share",
            "2",
            "--pool-mac",
            "1=02:00:00:00:00:01",
            "--pool-mac",
            "2=02:00:00:00:00:02",
        ],
        &path,
    );
    wait_port_holder(&path, 0, "up", &primary);
    let pool = |p: &'static str| ["pktgen", "--seconds", "1", "--attach", "--pool", p];
    // Queue 3 (pool 1's second) held alone: pool 1 is refused whole.
    let q3 = spawn_on("echo", 0, &["--attach", "--queue", "3"], &path);
    wait_port_holder(&path, 0, "queue3", &q3);
    let o = run(&pool("1"), &path);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("queue 3: it is taken by process {}", q3.id())),
        "{}",
        text(&o)
    );
    let (o, t) = interrupt(q3);
    assert!(o.status.success(), "{t}");
    for p in ["0", "3"] {
        let o = run(&pool(p), &path);
        assert!(!o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("the primary shares pools 1..=2"),
            "{}",
            text(&o)
        );
    }
    let (g1, g2) = (spawn(&pool("1"), &path), spawn(&pool("2"), &path));
    let (g1, g2) = (finished(g1, "pool 1"), finished(g2, "pool 2"));
    let (po, pt) = interrupt(primary);
    let (card, _) = interrupt(card);
    let ct = text(&card);
    let ctx = format!("pool 1:\n{g1}\npool 2:\n{g2}\nprimary:\n{pt}\ncard:\n{ct}");
    assert!(po.status.success(), "{ctx}");
    assert!(card.status.success(), "card (strict mode): {ctx}");
    assert!(g1.contains("attached to pool 1 (queues [2, 3])"), "{ctx}");
    assert!(g2.contains("attached to pool 2 (queues [4, 5])"), "{ctx}");
    for (g, first) in [(&g1, 2), (&g2, 4)] {
        // "queue Q: received R sent S | at stop: X received not taken, Y queued never sent"
        let mine = numbers(g, &format!("queue {first}:"));
        let (received, sent, not_taken, unsent) = (mine[0], mine[1], mine[2], mine[3]);
        // "queue counters Q: rx P pkts B bytes D drops | tx P pkts B bytes"
        let hw = numbers(&pt, &format!("queue counters {first}:"));
        assert!(received > 0, "{ctx}");
        assert_eq!(
            hw[3],
            sent - unsent,
            "queue {first}: the card sent all\n{ctx}"
        );
        assert_eq!(
            hw[0],
            received + not_taken,
            "queue {first}: the secondary got all, or counted it at its stop\n{ctx}"
        );
        assert_eq!(hw[0] + hw[2], sent, "queue {first}: nothing lost\n{ctx}");
        assert_eq!(
            numbers(g, &format!("queue {}:", first + 1))[..2],
            [0, 0],
            "{ctx}"
        );
    }
    assert!(
        !pt.contains("queue counters 0:"),
        "pool 0 got nothing: {ctx}"
    );
}

/// A primary's `--fdir` rule steers to a secondary's queue: `echo --share 2 --fdir 'udp queue
/// 2'` takes every UDP frame to queue 2. The pktgen secondary on queue 1 (whose frames RSS
/// would bring back to it) gets none; the one on queue 2 gets its own and queue 1's. Every
/// frame the card sent matched the rule, and queue 2's counters hold them all.
#[test]
fn an_fdir_rule_of_the_primary_steers_to_a_secondarys_queue() {
    let path = socket("fdir");
    let card = start_card(&path, 10);
    let primary = spawn(
        &[
            "echo",
            "--seconds",
            "3",
            "--share",
            "2",
            "--fdir",
            "udp queue 2",
        ],
        &path,
    );
    wait_primary(&path, &primary);
    let s1 = spawn(&secondary("1", "1"), &path);
    let s2 = spawn(&secondary("1", "2"), &path);
    let (t1, t2) = (finished(s1, "secondary 1"), finished(s2, "secondary 2"));
    let pt = finished(primary, "primary");
    let ct = finished(card, "card");
    let ctx = format!("secondary 1:\n{t1}\nsecondary 2:\n{t2}\nprimary:\n{pt}\ncard:\n{ct}");
    // "queue Q: received R sent S | at stop: X received not taken, Y queued never sent"
    let (q1, q2) = (numbers(&t1, "queue 1:"), numbers(&t2, "queue 2:"));
    assert_eq!(q1[0], 0, "nothing comes back to queue 1\n{ctx}");
    assert!(q1[1] > 0 && q2[1] > 0, "{ctx}");
    // "queue counters Q: rx P pkts B bytes D drops | tx P pkts B bytes"
    let (c1, c2) = (
        numbers(&pt, "queue counters 1:"),
        numbers(&pt, "queue counters 2:"),
    );
    let sent = c1[3] + c2[3];
    assert_eq!(c1[0] + c1[2], 0, "{ctx}");
    assert_eq!(c2[0] + c2[2], sent, "queue 2 received every frame\n{ctx}");
    assert_eq!(c2[0], q2[0] + q2[2], "{ctx}");
    // "port 0: flow director: matched M missed X | filters added A removed R failed F free N"
    let f = numbers(&pt, "port 0: flow director:");
    assert_eq!((f[0], f[1], f[2]), (sent, 0, 1), "{ctx}");
}
