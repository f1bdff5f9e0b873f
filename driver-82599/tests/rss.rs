//! RSS: the driver's Toeplitz hash and the card's queue choice, checked against Microsoft's
//! published verification vectors (`tests/data/rss-vectors.tsv`, a copy; source named in
//! `tests/data/README.md`).

mod common;
use common::*;
use driver_82599::rss::{self, RssConfig};
use driver_82599::QueueDevice;
use driver_82599::{Config, Packet};
use sim_82599::Wire;
use std::net::IpAddr;

struct Vector {
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    hash_addrs: u32,
    hash_ports: u32,
}

fn vectors() -> (Vec<Vector>, [u8; 40]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/rss-vectors.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut key = None;
    let mut v = Vec::new();
    for line in text.lines() {
        if let Some(k) = line.strip_prefix("# key (40 bytes): ") {
            let bytes: Vec<u8> = (0..40)
                .map(|i| u8::from_str_radix(&k[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            key = Some(<[u8; 40]>::try_from(bytes).unwrap());
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if line.starts_with('#') || f.len() != 7 || f[0] == "family" {
            continue;
        }
        let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
        v.push(Vector {
            src: f[1].parse().unwrap(),
            sport: f[2].parse().unwrap(),
            dst: f[3].parse().unwrap(),
            dport: f[4].parse().unwrap(),
            hash_addrs: hex(f[5]),
            hash_ports: hex(f[6]),
        });
    }
    assert!(!v.is_empty(), "no vectors parsed from {path}");
    (v, key.expect("key line in the vector file"))
}

fn input(v: &Vector, ports: bool) -> Vec<u8> {
    let p = ports.then_some((v.sport, v.dport));
    match (v.src, v.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => rss::ipv4_input(s.octets(), d.octets(), p),
        (IpAddr::V6(s), IpAddr::V6(d)) => rss::ipv6_input(s.octets(), d.octets(), p),
        _ => panic!("mixed address families"),
    }
}

#[test]
fn toeplitz_matches_every_published_vector() {
    let (vs, key) = vectors();
    assert_eq!(key, rss::DEFAULT_KEY);
    for v in &vs {
        assert_eq!(
            rss::toeplitz(&key, &input(v, false)),
            v.hash_addrs,
            "{}",
            v.src
        );
        assert_eq!(
            rss::toeplitz(&key, &input(v, true)),
            v.hash_ports,
            "{}",
            v.src
        );
    }
}

/// An Ethernet + IP + TCP frame for the vector's 4-tuple; `seq` in the payload.
fn tcp_frame(v: &Vector, seq: u32, buf: &mut Packet) {
    let mut f = vec![0xFF; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    let tcp_len = 20 + 4;
    match (v.src, v.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            f.extend_from_slice(&[0x08, 0x00]);
            let total = (20 + tcp_len) as u16;
            f.extend_from_slice(&[0x45, 0]);
            f.extend_from_slice(&total.to_be_bytes());
            f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            f.extend_from_slice(&s.octets());
            f.extend_from_slice(&d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            f.extend_from_slice(&[0x86, 0xDD]);
            f.extend_from_slice(&[0x60, 0, 0, 0]);
            f.extend_from_slice(&(tcp_len as u16).to_be_bytes());
            f.extend_from_slice(&[6, 64]);
            f.extend_from_slice(&s.octets());
            f.extend_from_slice(&d.octets());
        }
        _ => unreachable!(),
    }
    f.extend_from_slice(&v.sport.to_be_bytes());
    f.extend_from_slice(&v.dport.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xFF, 0xFF, 0, 0, 0, 0]);
    f.extend_from_slice(&seq.to_be_bytes());
    f.resize(f.len().max(60), 0);
    buf.set_len(f.len());
    buf.copy_from_slice(&f);
}

#[test]
fn card_spreads_flows_over_queues_as_the_vectors_predict() {
    let (vs, key) = vectors();
    const Q: u16 = 8;
    // A permutation, so that a wrong hash bit lands on a wrong queue.
    let mut reta = [0u8; rss::RETA_LEN];
    for (i, e) in reta.iter_mut().enumerate() {
        *e = ((i * 5 + 3) % Q as usize) as u8;
    }
    let cfg = Config {
        rx_queues: Q,
        rss: Some(RssConfig { key, reta }),
        ..small_config()
    };
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let mut dev = open(&sim, 0, cfg.clone());
    let pool = dev.pool(0).unwrap().clone();
    let mut out = Vec::new();
    for (i, v) in vs.iter().enumerate() {
        let mut p = pool.alloc(60).unwrap();
        tcp_frame(v, i as u32, &mut p);
        out.push(p);
    }
    assert_eq!(dev.tx_batch(0, &mut out).unwrap(), vs.len());
    sim.step();
    sim.step();
    let mut seen = vec![None; vs.len()];
    for q in 0..usize::from(Q) {
        let mut got = Vec::new();
        dev.rx_batch(q, &mut got, 64).unwrap();
        for p in got {
            let n = p.len();
            // The sequence number sits right after the TCP header.
            let off = if p[12] == 0x08 {
                14 + 20 + 20
            } else {
                14 + 40 + 20
            };
            assert!(n >= off + 4);
            let seq = u32::from_be_bytes(p[off..off + 4].try_into().unwrap()) as usize;
            seen[seq] = Some(q);
        }
    }
    for (i, v) in vs.iter().enumerate() {
        let want = usize::from(reta[(v.hash_ports & 0x7F) as usize]);
        assert_eq!(seen[i], Some(want), "vector {i} ({} -> {})", v.src, v.dst);
    }
    // More than one queue was used, or the check proves nothing.
    let mut used: Vec<_> = seen.iter().flatten().collect();
    used.sort();
    used.dedup();
    assert!(used.len() > 1, "all vectors on one queue: {used:?}");
    assert_no_violations(&sim);
}

#[test]
fn a_bad_rss_configuration_is_refused_before_the_card_is_touched() {
    // Issue 14.7: a redirection-table entry naming queue 17 with 20 receive queues passed the
    // check, then failed after the reset; queues 16..63 were accepted and never received.
    let sim = strict_sim(1);
    let trace = TraceBuf::default();
    sim.trace_to(trace.clone());
    let mut reta = RssConfig::spread(16);
    reta.reta[9] = 17;
    for (rx_queues, want) in [(20, "rx_queues = 20"), (16, "entry 9 names queue 17")] {
        let cfg = Config {
            rx_queues,
            rss: Some(reta.clone()),
            ..small_config()
        };
        let e = driver_82599::Device::new(sim.port(0), sim.dma(), cfg)
            .err()
            .expect("refused");
        assert!(e.to_string().contains(want), "{e}");
    }
    assert!(trace.is_empty(), "the card was touched:\n{}", trace.text());
    // The same check at run time, before any register is written.
    let mut dev = open(
        &sim,
        0,
        Config {
            rx_queues: 4,
            ..small_config()
        },
    );
    let before = trace.text().len();
    let e = dev.set_rss(&RssConfig::spread(8)).unwrap_err();
    assert!(e.to_string().contains("names queue 4"), "{e}");
    assert_eq!(
        trace.text().len(),
        before,
        "set_rss wrote registers before refusing"
    );
    assert_no_violations(&sim);
}

#[test]
fn the_descriptor_carries_the_rss_hash() {
    // Issue 14.5: RXCSUM.PCSD is set (with receive off), so the card reports the RSS hash, not
    // the IP identification and checksum (the simulated card models both).
    let sim = strict_sim(1);
    let dev = open(
        &sim,
        0,
        Config {
            rx_queues: 4,
            ..small_config()
        },
    );
    let regs = driver_82599::regs::Regs::new(sim.port(0));
    assert!(regs
        .RXCSUM()
        .read()
        .is_set(driver_82599::regs::RXCSUM::PCSD));
    drop(dev);
    assert_no_violations(&sim);
}
