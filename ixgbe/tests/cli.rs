//! The `ixgbe` command line on the simulated card: every command runs, stops by itself with
//! `--seconds`, prints its rates, and fails with a clear message on bad input.

mod common;
use common::ixgbe;

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
        assert!(text.contains(" drops "), "{cmd}:\n{text}");
        assert!(text.contains("no line-rate limit"), "{cmd}:\n{text}");
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
    // Field by field: the initialised card's receive enable and the link state.
    let (ok, text) = ixgbe(&["regs", "--fields", "rxctrl", "links"]);
    assert!(ok, "{text}");
    assert!(text.contains("RXCTRL at 0x03000 = 0x00000001"), "{text}");
    let rxen = text.lines().find(|l| l.contains(" RXEN ")).expect(&text);
    assert!(
        rxen.trim_start().starts_with("0 ") && rxen.contains(" 1 "),
        "{rxen}"
    );
    assert!(text.contains("LINKS at 0x042A4 = "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("30  LINK_UP")),
        "{text}"
    );
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
        trace
            .lines()
            .next()
            .unwrap_or("")
            .starts_with("p0 W 0x00888 "),
        "EIMC first, port column"
    );
    assert!(trace.lines().any(|l| l.ends_with(" TDT[0]")));
    assert!(!trace.lines().any(|l| l.ends_with(" ?")), "unnamed access");
    // fwd's four ports interleave; each line says which port it is.
    let (ok, text) = ixgbe(&["fwd", "--seconds", "1", "--trace", path.to_str().unwrap()]);
    assert!(ok, "{text}");
    let trace = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    for p in ["p0 ", "p1 ", "p2 ", "p3 "] {
        assert!(
            trace
                .lines()
                .any(|l| l.starts_with(p) && l.ends_with(" RDT[0]")),
            "{p}"
        );
    }
    assert!(trace
        .lines()
        .all(|l| l.split(' ').count() >= 5 && l.starts_with('p')));
    // A trace that cannot be written (a full disk) fails the run; it exited 0 with the trace
    // cut short.
    if std::path::Path::new("/dev/full").exists() {
        let (ok, text) = ixgbe(&["pktgen", "--seconds", "1", "--trace", "/dev/full"]);
        assert!(
            !ok && text.contains("writing trace file /dev/full: "),
            "{text}"
        );
    }
}

#[test]
fn fwd_labels_its_ports_and_accounts_for_every_frame() {
    // Stepped, and with the card's engines on their own thread (the drain must wait for them).
    for threaded in [false, true] {
        let mut args = vec!["fwd", "--seconds", "2"];
        if threaded {
            args.push("--threaded");
        }
        let (ok, text) = ixgbe(&args);
        assert!(ok, "{text}");
        fwd_accounts(&text);
    }
}

fn fwd_accounts(text: &str) {
    for p in ["port 0 (A): rx ", "port 1 (B): rx "] {
        assert!(text.lines().any(|l| l.starts_with(p)), "{p}\n{text}");
    }
    // Each direction: the generator's frames all received or dropped, the forwarder's all
    // sent or dropped at stop (released from a ring); the numbers on the line add up.
    for dir in ["account A->B: ", "account B->A: "] {
        let line = text
            .lines()
            .find(|l| l.starts_with(dir))
            .unwrap_or_else(|| panic!("no {dir} line\n{text}"));
        let n: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        // port, received, dropped, took, sent, dropped, port, sent, left at stop in the
        // receiving port, port, unsent at stop in the sending port, port
        let [_, rx, rx_drop, took, sent, fwd_drop, _, tx, left, _, unsent, _] = n[..] else {
            panic!("{line}")
        };
        assert!(took > 0, "{line}");
        assert_eq!(took, sent + fwd_drop, "{line}");
        assert_eq!(sent, tx + unsent, "{line}");
        assert!(rx >= took + left, "{line}");
        let _ = rx_drop;
    }
    assert_eq!(
        text.matches("every frame accounted for").count(),
        2,
        "{text}"
    );
    assert!(!text.contains("UNACCOUNTED"), "{text}");
}

#[test]
fn each_subcommand_shows_only_its_own_options() {
    let help = |cmd: &str| {
        let (ok, text) = ixgbe(&[cmd, "--help"]);
        assert!(ok, "{text}");
        text
    };
    let loops = [
        "--seconds",
        "--batch",
        "--ring",
        "--threaded",
        "--trace",
        "--pci",
    ];
    for cmd in ["pktgen", "fwd", "echo"] {
        let h = help(cmd);
        for o in loops {
            assert!(h.contains(o), "{cmd} lacks {o}:\n{h}");
        }
        assert!(
            !h.contains("--counters") && !h.contains("--init"),
            "{cmd}:\n{h}"
        );
        // Test hooks stay hidden.
        assert!(
            !h.contains("--panic-after") && !h.contains("--sysfs-root"),
            "{h}"
        );
    }
    assert!(help("pktgen").contains("--size") && !help("fwd").contains("--size"));
    assert!(help("echo").contains("--respond") && !help("pktgen").contains("--respond"));
    let regs = help("regs");
    for o in [
        "--batch",
        "--ring",
        "--threaded",
        "--seconds",
        "--size",
        "--respond",
        "--mac",
        "--vmdq",
        "--rate",
    ] {
        assert!(!regs.contains(o), "regs shows {o}:\n{regs}");
    }
    assert!(help("pktgen").contains("--rate") && !help("fwd").contains("--rate"));
    assert!(help("fwd").contains("--vmdq") && help("echo").contains("--mac"));
    assert!(regs.contains("--init") && regs.contains("--counters"));
    let stats = help("stats");
    for o in ["--batch", "--ring", "--size", "--counters"] {
        assert!(!stats.contains(o), "stats shows {o}:\n{stats}");
    }
    assert!(stats.contains("--init") && stats.contains("--seconds"));
    // What a command refuses is not offered in its help: --fdir and --interrupts are the
    // receive loops' (fwd, echo).
    let pktgen = help("pktgen");
    for o in ["--fdir", "--interrupts", "--itr-us"] {
        assert!(!pktgen.contains(o), "pktgen shows {o}:\n{pktgen}");
        for cmd in ["fwd", "echo"] {
            assert!(help(cmd).contains(o), "{cmd} lacks {o}");
        }
    }
    assert!(!stats.contains("--fdir"), "stats shows --fdir:\n{stats}");
}

/// `ixgbe args`: its exit code and what it printed.
fn exit_code(args: &[&str]) -> (Option<i32>, String) {
    let out = common::command(args).output().expect("run ixgbe");
    (out.status.code(), common::text(&out))
}

#[test]
fn wrong_arguments_exit_2_and_name_what_was_wrong() {
    // Usage errors exit 2, as clap's own do, whether clap or the command finds them; each
    // names the option, and none panics or runs.
    for (args, says) in [
        (&["pktgen", "--fdir", "udp drop"][..], "not with pktgen"),
        (&["pktgen", "--interrupts"], "not pktgen"),
        (&["pktgen", "--size", "20"], "--size 20"),
        (&["fwd", "--pci", "0000:03:00.0"], "fwd takes two ports"),
        (&["stats", "--fdir", "udp drop"], "not with stats"),
        (&["pktgen", "--attach", "--queue", "1"], "give --card PATH"),
        (&["pktgen", "--ring", "100"], "--ring"),
        (&["pktgen", "--ring", "0"], "power of two"),
        (&["fwd", "--ring", "65536"], "8..=32768"),
        (&["pktgen", "--rate", "0"], "0 Mbit/s: must be 10..=10000"),
        (&["pktgen", "--rate", "100000"], "must be 10..=10000"),
        (
            &["echo", "--threaded", "--interrupts", "--itr-us", "5000"],
            "--itr-us",
        ),
        // A port number past any card: refused, not an overflow panic (fwd adds one).
        (
            &[
                "fwd",
                "--card",
                "/nonexistent",
                "--port",
                "18446744073709551615",
            ],
            "at most 64 ports",
        ),
        (&["stats", "--pci", "zzz"], "bad PCI address \"zzz\""),
        (
            &["fwd", "--pci", "0000:03:00.0", "--pci", "03:00"],
            "bad PCI address",
        ),
        // One device spelt two ways is not two ports.
        (
            &["fwd", "--pci", "03:00.0", "--pci", "0000:03:00.0"],
            "two different ports",
        ),
        (
            &["fwd", "--mac", "+2:00:00:00:00:01"],
            "\"+2\" is not a hex byte",
        ),
        // Rules and pool addresses that name what the command has not got: refused before
        // the card is reset, not by the driver afterwards.
        (
            &[
                "echo",
                "--vmdq",
                "64x2",
                "--pool-mac",
                "1=02:00:00:00:00:01",
            ],
            "pool 1 has no queues",
        ),
        (
            &["echo", "--fdir", "udp dst-port 1 queue 2"],
            "give --share N",
        ),
        (
            &[
                "fwd",
                "--fdir",
                "udp dst-port 1 drop",
                "--fdir",
                "udp src-port 2 drop",
            ],
            "same ports",
        ),
        // Options that would be ignored are refused.
        (&["echo", "--ip", "10.0.0.9"], "--respond"),
        (
            &[
                "echo",
                "--vmdq",
                "64x2",
                "--pool-mac",
                "0=01:00:5e:00:00:01",
            ],
            "a pool's address is unicast",
        ),
        (
            &["echo", "--respond", "--ip", "255.255.255.255"],
            "not a host's address",
        ),
        (&["pktgen", "--wait-secondaries", "3"], "--share"),
        (
            &["stats", "--attach", "--init", "--card", "/nonexistent"],
            "not with --init",
        ),
        (
            &[
                "stats",
                "--pci",
                "0000:03:00.0",
                "--mac",
                "02:00:00:00:00:01",
            ],
            "only read",
        ),
        (
            &["stats", "--attach", "--card", "/nonexistent", "--vlan", "5"],
            "only read",
        ),
    ] {
        let mut a = args.to_vec();
        a.extend(["--seconds", "1"]);
        let (code, text) = exit_code(&a);
        assert_eq!(code, Some(2), "{a:?}: {text}");
        assert!(text.contains(says), "{a:?}: {text}");
        assert!(!text.contains("panicked"), "{a:?}: {text}");
    }
    // What goes wrong at run time exits 1.
    let (code, text) = exit_code(&["pktgen", "--card", "/nonexistent", "--seconds", "1"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("/nonexistent"), "{text}");
}

#[test]
fn card_replaces_only_a_stale_socket() {
    // `card --socket FILE` removed whatever was at FILE (a stale socket is replaced): a
    // regular file or a directory there is refused and left alone.
    let dir = std::env::temp_dir().join(format!("ixgbe-cli-socket-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    for path in [&file, &dir] {
        let (code, text) =
            exit_code(&["card", "--seconds", "1", "--socket", path.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains("is not a socket"), "{text}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_are_clear_errors() {
    let (ok, text) = ixgbe(&["fwd", "--pci", "0000:00:00.0"]);
    assert!(!ok && text.contains("fwd takes two ports"), "{text}");
    let (ok, text) = ixgbe(&["fwd", "--pci", "0000:00:00.0", "--pci", "0000:00:00.0"]);
    assert!(!ok && text.contains("two different ports"), "{text}");
    // One-port commands refuse a second port instead of ignoring it.
    for cmd in ["pktgen", "echo", "stats", "regs"] {
        let (ok, text) = ixgbe(&[cmd, "--pci", "0000:03:00.0", "--pci", "0000:03:00.1"]);
        assert!(
            !ok && text.contains(&format!(
                "{cmd} drives one port, but --pci was given 2 times"
            )),
            "{cmd}: {text}"
        );
    }
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
    // pktgen under a rate limit, default ring: what the card sent (GPTC) over the run is the
    // set rate. The simulated card's limiter runs on its clock (real time here) and keeps
    // the slots it could not serve while it ran late (a loaded machine), so the lower bound
    // holds there too; the upper one is the limiter's (no frame before its slot).
    let (ok, text) = ixgbe(&["pktgen", "--seconds", "2", "--rate", "50", "--size", "1000"]);
    assert!(ok, "{text}");
    let pct: f64 = text
        .lines()
        .find(|l| l.starts_with("rate limit 50 Mbit/s"))
        .and_then(|l| l.rsplit('(').next())
        .and_then(|w| w.split('%').next())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no achieved rate in:\n{text}"));
    assert!(
        (85.0..=103.0).contains(&pct),
        "achieved {pct}% of the limit:\n{text}"
    );
    let (ok, text) = ixgbe(&["pktgen", "--rate", "5", "--seconds", "1"]);
    assert!(!ok && text.contains("5 Mbit/s"), "{text}");
    let (ok, text) = ixgbe(&["fwd", "--mac", "02:00", "--seconds", "1"]);
    assert!(!ok && text.contains("six hex bytes"), "{text}");
    let (ok, text) = ixgbe(&["echo", "--vmdq", "8x16", "--seconds", "1"]);
    assert!(!ok && text.contains("64x2 or 32x4"), "{text}");
    // stats prints the per-queue counter sets, as lines (not a Rust debug dump), and no
    // empty line per second.
    let (ok, text) = ixgbe(&["stats", "--seconds", "2"]);
    assert!(ok, "{text}");
    assert!(text.contains("queue counters"), "{text}");
    assert!(
        !text.contains("counter_sets") && !text.contains('{'),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.trim().is_empty()), "{text}");
}

#[test]
fn large_rings_run_on_the_simulated_card_and_the_generators_keep_sending() {
    // `--ring 8192` is a valid ring: the simulated card is sized for it (it ran out of DMA
    // memory at 256 MiB), and the generators' frame pools outgrow their transmit rings (a
    // 2048-buffer pool disappeared into an 8192-descriptor ring: 2048 frames, then nothing).
    let (ok, text) = ixgbe(&["fwd", "--seconds", "2", "--ring", "8192"]);
    assert!(ok, "{text}");
    fwd_accounts(&text);
    for g in ["generator port 2 sent ", "generator port 3 sent "] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(g))
            .unwrap_or_else(|| panic!("no {g:?}\n{text}"));
        let sent: u64 = line.trim_start()[g.len()..]
            .split(' ')
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap();
        assert!(sent > 2 * 2048, "{line}");
    }
}

/// The numbers on the first line containing `key`, after it.
fn numbers_after(text: &str, key: &str) -> Vec<u64> {
    let line = text
        .lines()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("no {key:?} in:\n{text}"));
    line[line.find(key).unwrap() + key.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn fdir_rules_drop_and_steer_flows_and_print_their_counts() {
    // The generator sends IPv4 UDP, half to port 4789 (dropped by the rule), half to 53
    // (no rule: echoed). Every frame is looked up: matched + missed = received; every
    // match lands on the drop queue.
    let (ok, text) = ixgbe(&["echo", "--seconds", "1", "--fdir", "udp dst-port 4789 drop"]);
    assert!(ok, "{text}");
    let f = numbers_after(&text, "port 0: flow director: ");
    let [matched, missed, added, removed, failed, free, dropped] = f[..] else {
        panic!("{f:?}\n{text}")
    };
    assert!(matched > 0 && missed > 0, "{text}");
    assert_eq!((added, removed, failed, free), (1, 0, 0, 2045), "{text}");
    assert_eq!(dropped, matched, "{text}");
    let rx = common::number_after(&text, "port 0: rx ");
    assert_eq!(rx, matched + missed, "{text}");
    let echoed = common::number_after(&text, "total echoed: ");
    assert!(echoed > 0 && echoed <= missed, "{text}");
    // fwd: port 53 to the forwarder's queue, 4789 dropped; every frame still accounted for.
    let (ok, text) = ixgbe(&[
        "fwd",
        "--seconds",
        "1",
        "--fdir",
        "udp dst-port 53 queue 0",
        "--fdir",
        "udp dst-port 4789 drop",
    ]);
    assert!(ok, "{text}");
    fwd_accounts(&text);
    for p in ["port 0 (A): flow director: ", "port 1 (B): flow director: "] {
        let f = numbers_after(&text, p);
        // Every frame matches one of the two rules; half of them are dropped.
        assert!(f[0] > 0 && f[1] == 0, "{p}{f:?}\n{text}");
        assert_eq!((f[2], f[5]), (2, 2044), "{text}");
        assert!(f[6] > 0 && f[6] < f[0], "{text}");
    }
    // Without --fdir: no Flow Director line.
    let (ok, text) = ixgbe(&["echo", "--seconds", "1"]);
    assert!(ok && !text.contains("flow director"), "{text}");
}

#[test]
fn bad_fdir_rules_are_clear_errors() {
    for (args, says) in [
        (&["echo", "--fdir", "udp dst-port 4789"][..], "no action"),
        (&["echo", "--fdir", "icmp drop"], "not a flow type"),
        (&["fwd", "--fdir", "udp dst-port 99999 drop"], "not a port"),
        (
            &[
                "echo",
                "--fdir",
                "udp dst-port 1 drop",
                "--fdir",
                "udp src-port 2 drop",
            ],
            "same ports",
        ),
        (
            &[
                "echo",
                "--fdir",
                "udp dst-port 1 drop",
                "--fdir",
                "udp dst-port 1 queue 0",
            ],
            "same flow",
        ),
        (
            &["echo", "--fdir", "udp dst-port 1 queue 2"],
            "give --share N",
        ),
        (&["echo", "--fdir", "udp drop", "--vmdq", "64x2"], "vmdq"),
        (
            &["echo", "--fdir", "udp drop", "--share", "1"],
            "not with --share",
        ),
        (&["pktgen", "--fdir", "udp drop"], "not with pktgen"),
        (&["stats", "--fdir", "udp drop"], "not with stats"),
        (
            &[
                "echo",
                "--card",
                "/nonexistent",
                "--attach",
                "--queue",
                "1",
                "--fdir",
                "udp drop",
            ],
            "not with --attach",
        ),
    ] {
        let mut a = args.to_vec();
        a.extend(["--seconds", "1"]);
        let (ok, text) = ixgbe(&a);
        assert!(!ok && text.contains(says), "{a:?}: {text}");
        assert!(!text.contains("panicked"), "{a:?}: {text}");
    }
}

#[test]
fn a_socket_that_is_not_a_card_is_a_clear_error_not_a_hang() {
    // Something that accepts the connection and never answers: `--card` waited for its hello
    // reply for ever, and SIGINT/SIGTERM could not end it.
    let path = std::env::temp_dir().join(format!("ixgbe-cli-mute-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        // Connections kept open, unanswered, while the test process lives.
        let mut conns = Vec::new();
        while let Ok(c) = listener.accept() {
            conns.push(c);
        }
    });
    let mut child = common::command(&["regs", "--card", path.to_str().unwrap(), "links"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("ixgbe regs --card on a mute socket still waits after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text = common::text(&out);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("no answer to the handshake"), "{text}");
}
