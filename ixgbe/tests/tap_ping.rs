//! The example application end to end: `ping` from the Linux stack, through a TAP device
//! attached to the simulated card, answered by `ixgbe echo --tap` (ARP and ICMP responder on
//! the driver). Runs in a network namespace the test creates, with private addresses only;
//! skipped with the reason when namespaces, TAP or the tools are unavailable.

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root for a network namespace and a TAP device".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun is missing".into());
    }
    for t in ["unshare", "ip", "ping"] {
        if !have(t) {
            return Some(format!("`{t}` is not installed"));
        }
    }
    let probe = Command::new("unshare").args(["--net", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        return Some("cannot create a network namespace (unshare --net failed)".into());
    }
    None
}

#[test]
fn ping_through_tap_is_answered_by_the_responder() {
    if let Some(why) = skip_reason() {
        eprintln!("SKIP: {why}");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_ixgbe");
    // Inside a fresh namespace: start the responder (it creates the TAP device), wait for
    // the device, give the kernel side 10.11.12.1/24, and ping the responder's 10.11.12.2.
    let script = format!(
        r#"
        set -u
        ip link set lo up
        "{bin}" echo --tap t82599 --ip 10.11.12.2 --seconds 12 > /tmp/drv82599-echo-$$.log 2>&1 &
        pid=$!
        i=0
        while ! ip link show t82599 >/dev/null 2>&1; do
            i=$((i+1)); [ $i -gt 100 ] && {{ echo "TAP never appeared"; cat /tmp/drv82599-echo-$$.log; exit 3; }}
            sleep 0.05
        done
        ip addr add 10.11.12.1/24 dev t82599
        ip link set t82599 up
        ping -c 3 -i 0.2 -W 2 10.11.12.2
        rc=$?
        kill $pid 2>/dev/null; wait $pid 2>/dev/null
        cat /tmp/drv82599-echo-$$.log; rm -f /tmp/drv82599-echo-$$.log
        exit $rc
        "#
    );
    let out = Command::new("unshare")
        .args(["--net", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ping failed:\n{text}");
    assert!(text.contains("3 received"), "{text}");
}
