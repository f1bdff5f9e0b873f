mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::wire::pcap;
use sim_82599::Wire;

#[test]
fn pcap_out_then_in() {
    let dir = std::env::temp_dir().join(format!("sim82599-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.pcap");
    let frames: Vec<_> = (0..3)
        .map(|i| counting(MAC1, 60 + i * 10, i as u8))
        .collect();
    {
        let sim = common::sim(1);
        sim.connect(Wire::PcapOut {
            port: 0,
            path: path.clone(),
        })
        .unwrap();
        let p = sim.port(0);
        let dma = sim.dma();
        let mut tx = Tx::setup(&p, &*dma, 0, 32);
        for f in &frames {
            tx.send(&p, f);
        }
        sim.step();
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_le_bytes());
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
        1,
        "Ethernet"
    );
    let mut r = pcap::Reader::open(&path).unwrap();
    let mut buf = Vec::new();
    for f in &frames {
        assert!(r.next_into(&mut buf).unwrap());
        assert_eq!(&buf, f);
    }
    assert!(!r.next_into(&mut buf).unwrap());
    tcpdump_reads(&path, &frames);
    // The file as a source for another card's port.
    let sim = common::sim(2);
    sim.connect(Wire::PcapIn {
        port: 1,
        path: path.clone(),
    })
    .unwrap();
    let b = sim.port(1);
    rx_enable(&b, 0);
    let dma = sim.dma();
    let mut rx = Rx::setup(&b, &*dma, 0, 32, 2, 0);
    sim.step();
    let got: Vec<_> = rx.poll(&b).into_iter().map(|g| g.data).collect();
    assert_eq!(got, frames);
    assert!(sim.violations().is_empty());
    // Not a pcap file: a clear error.
    std::fs::write(dir.join("bad"), b"hello world, not a capture").unwrap();
    let e = sim
        .connect(Wire::PcapIn {
            port: 0,
            path: dir.join("bad"),
        })
        .unwrap_err();
    assert!(e.to_string().contains("not a pcap file"), "{e}");
    let e = sim.connect(Wire::Loopback(7)).unwrap_err();
    assert!(e.to_string().contains("no port 7"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// tcpdump (libpcap, as Wireshark) reads the file: one line per frame, with the lengths we wrote.
fn tcpdump_reads(path: &std::path::Path, frames: &[Vec<u8>]) {
    let out = match std::process::Command::new("tcpdump")
        .args(["-nn", "-e", "-r"])
        .arg(path)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            println!("SKIP tcpdump check: tcpdump not runnable ({e})");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tcpdump -r failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Unknown ethertypes come with a hex dump on indented lines: count the frame lines only.
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('\t')).collect();
    assert_eq!(lines.len(), frames.len(), "tcpdump output:\n{text}");
    for (line, f) in lines.iter().zip(frames) {
        assert!(
            line.contains(&format!("length {}", f.len())),
            "tcpdump line {line:?} lacks length {}",
            f.len()
        );
    }
}

fn tap_usable() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: TAP test needs root");
        return false;
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        eprintln!("SKIP: /dev/net/tun missing");
        return false;
    }
    true
}

fn ip(args: &[&str]) -> bool {
    std::process::Command::new("ip")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn tap_frames_reach_the_kernel() {
    if !tap_usable() {
        return;
    }
    let name = format!("s82599t{}", std::process::id() % 10000);
    let sim = common::sim(1);
    if let Err(e) = sim.connect(Wire::Tap {
        port: 0,
        name: name.clone(),
    }) {
        eprintln!("SKIP: cannot create TAP device {name}: {e}");
        return;
    }
    if !ip(&["link", "set", &name, "up"]) {
        eprintln!("SKIP: cannot bring {name} up");
        return;
    }
    let stat = |what: &str| {
        std::fs::read_to_string(format!("/sys/class/net/{name}/statistics/{what}"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let before = stat("rx_packets");
    let p = sim.port(0);
    let dma = sim.dma();
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    for i in 0..3 {
        tx.send(&p, &counting([0xFF; 6], 60, i));
    }
    sim.step();
    assert_eq!(
        stat("rx_packets"),
        before + 3,
        "the kernel received the card's frames"
    );
    assert_eq!(rd(&p, R::GPTC, 0), 3);
    // The kernel sends on an interface that is up (IPv6 router/neighbour solicitations,
    // which may take a moment); whatever arrives is counted by the card's filters.
    rx_enable(&p, UPE | MPE | BAM);
    let mut rx = Rx::setup(&p, &*dma, 0, 64, 2, 0);
    let sent_before = stat("tx_packets");
    let t0 = std::time::Instant::now();
    let mut got = 0;
    while t0.elapsed() < std::time::Duration::from_secs(3) && got == 0 {
        sim.step();
        got += rx.poll(&p).len();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = stat("tx_packets") - sent_before;
    if sent == 0 && got == 0 {
        eprintln!("note: the kernel sent nothing on {name} within 3 s (IPv6 disabled?)");
    } else {
        assert!(got > 0, "kernel sent {sent} frames, card received none");
    }
    ip(&["link", "del", &name]);
}
