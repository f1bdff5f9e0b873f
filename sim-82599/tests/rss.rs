mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::rss::toeplitz;
use std::net::IpAddr;

/// Microsoft's published RSS verification vectors (a copy in `tests/data/`, source named there).
fn reference() -> String {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/rss-vectors.tsv");
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn toeplitz_matches_published_vectors() {
    let text = reference();
    let key_line = text
        .lines()
        .find(|l| l.starts_with("# key"))
        .expect("key line");
    let key: [u8; 40] = hex(key_line.rsplit(' ').next().unwrap())
        .try_into()
        .unwrap();
    let mut n = 0;
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("family"))
    {
        let c: Vec<&str> = l.split('\t').collect();
        let (src, sport, dst, dport) = (c[1], c[2], c[3], c[4]);
        let ip = |s: &str| match s.parse::<IpAddr>().unwrap() {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        let mut input = ip(src);
        input.extend(ip(dst));
        let addrs = u32::from_str_radix(c[5].trim_start_matches("0x"), 16).unwrap();
        let ports = u32::from_str_radix(c[6].trim_start_matches("0x"), 16).unwrap();
        assert_eq!(toeplitz(&key, &input), addrs, "{l}");
        input.extend(sport.parse::<u16>().unwrap().to_be_bytes());
        input.extend(dport.parse::<u16>().unwrap().to_be_bytes());
        assert_eq!(toeplitz(&key, &input), ports, "{l}");
        n += 1;
    }
    assert_eq!(n, 8, "all vectors read");
}

#[test]
fn rss_spreads_over_reta_and_writes_hash_and_type() {
    let text = reference();
    let key_line = text.lines().find(|l| l.starts_with("# key")).unwrap();
    let key = hex(key_line.rsplit(' ').next().unwrap());
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15));
    for i in 0..10 {
        w(
            &p,
            R::RSSRK,
            i,
            u32::from_le_bytes(key[i as usize * 4..i as usize * 4 + 4].try_into().unwrap()),
        );
    }
    // RETA: entry n -> queue n % 4.
    for i in 0..32 {
        w(&p, R::RETA, i, 0x0302_0100);
    }
    // RSS on, hashing IPv4 and TCP/IPv4 (MRQC 8.2.3.7.12); the hash in the descriptor
    // (RXCSUM.PCSD, 8.2.3.7.5).
    w(&p, R::MRQC, 0, 1 | (1 << 16) | (1 << 17));
    w(&p, R::RXCSUM, 0, PCSD);
    rx_enable(&p, UPE);
    let dma = sim.dma();
    let mut rx: Vec<Rx> = (0..4).map(|q| Rx::setup(&p, &*dma, q, 32, 2, 0)).collect();
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    // First vector: 66.9.149.187:2794 -> 161.142.100.80:1766, hash 0x51ccc178 with ports.
    tx.send(
        &p,
        &ipv4(MAC0, [66, 9, 149, 187], [161, 142, 100, 80], 6, 2794, 1766),
    );
    // UDP is not enabled in MRQC: hashed over addresses only (IPv4 type), 0x323e8fc2.
    tx.send(
        &p,
        &ipv4(MAC0, [66, 9, 149, 187], [161, 142, 100, 80], 17, 2794, 1766),
    );
    sim.step();
    let mut seen = Vec::new();
    for (q, r) in rx.iter_mut().enumerate() {
        for g in r.poll(&p) {
            seen.push((q as u32, g.hash, g.lo & 0xF, g.lo & 0x1FFF0));
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 2);
    let by_hash = |h: u32| seen.iter().find(|s| s.1 == h).copied().unwrap();
    let t = by_hash(0x51cc_c178);
    assert_eq!(
        (t.0, t.2, t.3),
        ((0x51cc_c178 & 0x7F) % 4, 1, 0x110),
        "TCP/IPv4, PT IPV4|TCP"
    );
    let u = by_hash(0x323e_8fc2);
    assert_eq!(
        (u.0, u.2, u.3),
        ((0x323e_8fc2 & 0x7F) % 4, 2, 0x210),
        "IPv4, PT IPV4|UDP"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

const PCSD: u32 = 1 << 13;

#[test]
fn without_pcsd_the_descriptor_carries_the_ip_id_and_checksum_not_the_hash() {
    // Issue 14.5: with RXCSUM.PCSD clear the card writes the IP identification (15:0) and the
    // fragment checksum (31:16) where the RSS hash would be (7.1.6.2); RSS still picks the queue.
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15));
    for i in 0..10 {
        w(&p, R::RSSRK, i, 0x6d5a_56da);
    }
    w(&p, R::MRQC, 0, 1 | (1 << 16) | (1 << 17));
    rx_enable(&p, UPE);
    let dma = sim.dma();
    let mut rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    let mut f = ipv4(MAC0, [10, 0, 0, 1], [10, 0, 0, 2], 17, 1000, 2000);
    f[18..20].copy_from_slice(&0xBEEFu16.to_be_bytes()); // IP identification
    tx.send(&p, &f);
    sim.step();
    let g = rx.poll(&p);
    assert_eq!(g.len(), 1);
    assert_eq!(
        g[0].hash & 0xFFFF,
        0xBEEF,
        "IP identification, not the hash"
    );
    assert_eq!(g[0].hash, sim_82599::rss::ip_id_checksum(&f));
    assert_eq!(g[0].lo & 0xF, 2, "the RSS type is still reported");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn ipv6_extension_headers_are_walked_to_the_ports_and_typed_ipv6e() {
    // Issue 14.8: IPv6 with a hop-by-hop and a destination options header before UDP is hashed
    // over addresses and ports (MRQC UDP/IPv6 enabled), and its packet type has IPV6E.
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15));
    let key: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
    for i in 0..10 {
        w(
            &p,
            R::RSSRK,
            i,
            u32::from_le_bytes(key[i as usize * 4..i as usize * 4 + 4].try_into().unwrap()),
        );
    }
    // RSS on with IPv6 and UDP/IPv6 (bits 20, 23).
    w(&p, R::MRQC, 0, 1 | (1 << 20) | (1 << 23));
    w(&p, R::RXCSUM, 0, PCSD);
    rx_enable(&p, UPE);
    let dma = sim.dma();
    let mut rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    let (src, dst) = ([0x20u8; 16], [0x30u8; 16]);
    let mut f = vec![0u8; 14 + 40 + 8 + 8 + 8 + 8];
    f[..6].copy_from_slice(&MAC0);
    f[12..14].copy_from_slice(&0x86DDu16.to_be_bytes());
    let ip = 14;
    f[ip] = 0x60;
    f[ip + 4..ip + 6].copy_from_slice(&32u16.to_be_bytes());
    f[ip + 6] = 0; // hop-by-hop
    f[ip + 7] = 64;
    f[ip + 8..ip + 24].copy_from_slice(&src);
    f[ip + 24..ip + 40].copy_from_slice(&dst);
    let e1 = ip + 40;
    f[e1] = 60; // then destination options, 8 bytes each
    let e2 = e1 + 8;
    f[e2] = 17; // then UDP
    let udp = e2 + 8;
    f[udp..udp + 2].copy_from_slice(&4000u16.to_be_bytes());
    f[udp + 2..udp + 4].copy_from_slice(&53u16.to_be_bytes());
    tx.send(&p, &f);
    sim.step();
    let g = rx.poll(&p);
    assert_eq!(g.len(), 1);
    let mut input = Vec::new();
    input.extend_from_slice(&src);
    input.extend_from_slice(&dst);
    input.extend_from_slice(&4000u16.to_be_bytes());
    input.extend_from_slice(&53u16.to_be_bytes());
    let key: [u8; 40] = key.try_into().unwrap();
    assert_eq!(
        g[0].hash,
        sim_82599::rss::toeplitz(&key, &input),
        "addresses and ports"
    );
    assert_eq!(g[0].lo & 0xF, 8, "RSS type UDP/IPv6");
    let pt = (g[0].lo >> 4) & 0x1FFF;
    assert_eq!(pt & 0b1100, 0b1100, "packet type IPV6 and IPV6E: {pt:#x}");
    assert_ne!(pt & (1 << 5), 0, "UDP");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
