//! Issue 14.1, the program's part: SIGINT and SIGTERM end `pktgen`, `fwd` and `echo` cleanly
//! (the totals per port, exit 0), and on the signal and panic paths the devices are dropped,
//! stopping the simulated card, before its memory is released: the program checks the card's
//! strict-mode rules after the devices are gone and exits 1 on a violation ("strict mode:"
//! lines), so these tests fail if a path leaves the card running into released memory.

mod common;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Runs `ixgbe args`, sends `sig` once it has printed its first rate line (so the devices are
/// up and the loop runs), and returns the exit status and everything it printed.
fn interrupt(args: &[&str], sig: libc::c_int) -> (std::process::ExitStatus, String) {
    use std::io::{BufRead, Read};
    let mut child = common::command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ixgbe");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let t = Instant::now();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("ixgbe ended before its first rate line:\n{text}");
        }
        text.push_str(&line);
        if line.contains("Mpps") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no rate line:\n{text}"
        );
    }
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
    let t = Instant::now();
    stdout.read_to_string(&mut text).unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(t.elapsed() < Duration::from_secs(10), "slow to stop");
    (status, text)
}

/// From a `--trace` file: the last value written to `reg` on port `port`.
fn last_write(trace: &str, port: &str, reg: &str) -> Option<u32> {
    trace
        .lines()
        .rev()
        .find_map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (w.len() == 5 && w[0] == port && w[1] == "W" && w[4] == reg).then(|| w[3])
        })
        .map(|v| u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap())
}

/// The trace ends with every port stopped by `Device::drop`: receive off (RXCTRL.RXEN, bit 0)
/// and queue 0 disabled (RXDCTL[0]/TXDCTL[0].ENABLE, bit 25).
fn assert_stopped(trace: &str, ports: usize, what: &str) {
    for p in 0..ports {
        let port = format!("p{p}");
        let rxctrl = last_write(trace, &port, "RXCTRL").expect("RXCTRL written");
        assert_eq!(rxctrl & 1, 0, "{what}: {port} receive still on");
        for q in ["RXDCTL[0]", "TXDCTL[0]"] {
            let v = last_write(trace, &port, q).expect("queue written");
            assert_eq!(v & 1 << 25, 0, "{what}: {port} {q} still enabled");
        }
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ixgbe-life-{}-{name}", std::process::id()))
}

#[test]
fn sigint_and_sigterm_stop_the_loops_with_totals_and_exit_0() {
    for (cmd, sig, name, ports) in [
        ("pktgen", libc::SIGINT, "SIGINT", &["port 0:"][..]),
        (
            "fwd",
            libc::SIGTERM,
            "SIGTERM",
            &["port 0 (A):", "port 1 (B):"][..],
        ),
        ("echo", libc::SIGINT, "SIGINT", &["port 0:"][..]),
    ] {
        let path = temp(cmd);
        let (status, text) = interrupt(&[cmd, "--trace", path.to_str().unwrap()], sig);
        let trace = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_stopped(&trace, if cmd == "fwd" { 4 } else { ports.len() }, cmd);
        assert!(status.success(), "{cmd} after {name}: {status}\n{text}");
        assert!(
            text.contains(&format!("{name}: stopping")),
            "{cmd}:\n{text}"
        );
        assert!(text.contains("total "), "{cmd}: no totals\n{text}");
        for p in ports {
            let line = text
                .lines()
                .find(|l| l.starts_with(p))
                .unwrap_or_else(|| panic!("{cmd}: no {p} line\n{text}"));
            assert!(
                line.contains(" rx ") && line.contains(" tx ") && line.contains(" drops "),
                "{line}"
            );
            // After the stop: every frame queued was sent or dropped at stop (issue 14).
            let stop = format!("{p} at stop: tx dropped ");
            let line = text
                .lines()
                .find(|l| l.starts_with(&stop))
                .unwrap_or_else(|| panic!("{cmd}: no {stop:?} line\n{text}"));
            assert!(!line.contains("UNACCOUNTED"), "{line}");
        }
        assert!(!text.contains("strict mode"), "{cmd}:\n{text}");
    }
}

#[test]
fn a_panic_in_the_loop_stops_the_card_before_its_memory_goes() {
    // Threaded: the card's engines keep running on their own thread while the panic unwinds,
    // as a real card would keep DMAing.
    for threaded in [false, true] {
        let path = temp(&format!("panic-{threaded}"));
        let mut args = vec![
            "fwd",
            "--panic-after",
            "1",
            "--seconds",
            "30",
            "--trace",
            path.to_str().unwrap(),
        ];
        if threaded {
            args.push("--threaded");
        }
        let out = common::command(&args).output().unwrap();
        let text = common::text(&out);
        assert_eq!(out.status.code(), Some(101), "a panic exits 101:\n{text}");
        assert!(text.contains("--panic-after"), "{text}");
        assert!(
            !text.contains("strict mode"),
            "threaded {threaded}:\n{text}"
        );
    }
}
