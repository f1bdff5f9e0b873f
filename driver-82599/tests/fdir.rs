//! Flow Director perfect filters on the simulated card: a 5-tuple steered to a queue over
//! RSS, changed and removed at run time, dropped flows, checks, and the card's strict rules.

mod steer_kit;
use driver_82599::fdir::{FdirMasks, FdirMode, Flow, L4};
use driver_82599::{Config, Device, Error};
use sim_82599::Port;
use std::net::Ipv4Addr;
use steer_kit::*;

#[test]
fn fdir_steers_a_flow_to_its_queue_over_rss() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    // Where RSS puts each flow without filters.
    let frames: Vec<_> = (0..64)
        .map(|i| udp_frame(BCAST, 5000 + i as u16, i))
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    // Every flow to queue 2 except those RSS already sends there.
    let moved: Vec<u16> = (0..64u16)
        .filter(|&i| before[&u32::from(i)] != [2])
        .collect();
    assert!(moved.len() > 10);
    for &i in &moved {
        rx.add_fdir(flow(5000 + i), Some(2)).unwrap();
    }
    let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..64u32 {
        assert_eq!(after[&i], [2], "flow {i}");
    }
    // The card counted a match for each steered frame.
    // FDIRMATCH (read-to-clear, so read here through the bus at its offset).
    let matched = regdsl_rt::Bus::read32(rx.regs().bus(), 0x0EE58, regdsl_rt::Site::UNNAMED);
    assert_eq!(matched as usize, moved.len());
    // One flow moved to queue 1, one removed (back to RSS), one dropped (drop queue 3).
    rx.add_fdir(flow(5000 + moved[0]), Some(1)).unwrap();
    rx.remove_fdir(flow(5000 + moved[1])).unwrap();
    rx.add_fdir(flow(5000 + moved[2]), None).unwrap();
    let again = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(again[&u32::from(moved[0])], [1]);
    assert_eq!(again[&u32::from(moved[1])], before[&u32::from(moved[1])]);
    assert_eq!(again[&u32::from(moved[2])], [3]);
    assert!(matches!(
        rx.remove_fdir(flow(5000 + moved[1])),
        Err(Error::NoSuchFilter(_))
    ));
    // A TCP flow with the same addresses and ports is another flow.
    let tcp = Flow {
        l4: L4::Tcp,
        ..flow(5000 + moved[3])
    };
    assert!(rx.remove_fdir(tcp).is_err());
    assert_no_violations(&sim);
}

#[test]
fn fdir_configuration_is_checked() {
    let mut c = cfg4();
    c.fdir.as_mut().unwrap().drop_queue = 4;
    assert!(c.validate().unwrap_err().to_string().contains("drop_queue"));
    let mut c = cfg4();
    c.vmdq = Some(driver_82599::vmdq::VmdqConfig::default());
    assert!(c.validate().is_err());
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, cfg4());
    assert!(rx.add_fdir(flow(1), Some(4)).is_err(), "no queue 4");
    let (mut plain, _) = pair(&sim2(), cfg());
    assert!(
        plain.add_fdir(flow(1), Some(0)).is_err(),
        "Flow Director is off"
    );
}

#[test]
fn fdir_strict_card_flags_filters_before_init_and_over_the_packet_buffer() {
    use driver_82599::regs::*;
    let sim = sim2();
    let (_tx, rx) = pair(&sim, cfg());
    // A command with Flow Director never initialised.
    rx.regs().FDIRCMD().write(FDIRCMD::CMD::ADD);
    assert_eq!(sim.violations()[0].rule, sim_82599::Rule::FdirBeforeInit);
    // Enabled while RXPBSIZE[0] still holds all 512 KB.
    rx.regs()
        .FDIRCTRL()
        .write(FDIRCTRL::PBALLOC::K64 | FDIRCTRL::PERFECT_MATCH);
    assert_eq!(
        sim.violations()[1].rule,
        sim_82599::Rule::FdirOverPacketBuffer
    );
}

#[test]
fn fdir_card_finds_a_filter_only_in_the_bucket_of_its_hash() {
    use driver_82599::fdir::{bucket_hash, HASH_KEY};
    // Filed by hand under a wrong bucket hash.
    hand_filed_filter_is_not_found(cfg4(), |rx, f| {
        // The card uses 11 bits of it (64 KB of perfect filters).
        write_filter(rx, f, (bucket_hash(HASH_KEY, f) + 1) & 0x7FF);
    });
}

/// Writes the registers of the IPv4 filter `f` by hand, with bucket hash `hash` and software
/// index 9 (the command is the caller's).
fn write_filter(rx: &Device<Port>, f: &Flow, hash: u32) {
    use driver_82599::regs::*;
    let (std::net::IpAddr::V4(src), std::net::IpAddr::V4(dst)) = (f.src, f.dst) else {
        panic!("an IPv4 flow");
    };
    let r = rx.regs();
    // Addresses in frame order (first byte in bits 7:0).
    r.FDIRIPSA()
        .write(FDIRIPSA::IP.val(u32::from_le_bytes(src.octets())));
    r.FDIRIPDA()
        .write(FDIRIPDA::IP.val(u32::from_le_bytes(dst.octets())));
    r.FDIRPORT().write(
        FDIRPORT::SOURCE.val(u32::from(f.sport)) | FDIRPORT::DESTINATION.val(u32::from(f.dport)),
    );
    r.FDIRHASH()
        .write(FDIRHASH::HASH.val(hash) | FDIRHASH::SW_INDEX.val(9));
}

/// A flow RSS does not send to queue 2, filed for queue 2 by hand (`file` writes the filter's
/// registers, then a UDP add command goes to FDIRCMD) in a way the card cannot find: RSS
/// still decides; filed by the driver, with the right hashes: found, to queue 2.
fn hand_filed_filter_is_not_found(c: Config, file: impl FnOnce(&Device<Port>, &Flow)) {
    use driver_82599::regs::*;
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, c);
    let frames: Vec<_> = (0..16)
        .map(|i| udp_frame(BCAST, 7000 + i as u16, i))
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    let i = (0..16u16).find(|&i| before[&u32::from(i)] != [2]).unwrap();
    let f = flow(7000 + i);
    file(&rx, &f);
    rx.regs().FDIRCMD().write(
        FDIRCMD::CMD::ADD | FDIRCMD::L4TYPE::UDP | FDIRCMD::QUEUE_EN | FDIRCMD::RX_QUEUE.val(2),
    );
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(
        got[&u32::from(i)],
        before[&u32::from(i)],
        "not found: RSS decides"
    );
    rx.add_fdir(f, Some(2)).unwrap();
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(got[&u32::from(i)], [2]);
    assert_no_violations(&sim);
}

const V6_SRC: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];
const V6_DST: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
];

/// An IPv6 frame (UDP or TCP: `proto` 17 or 6) from `sport` to port 12345, carrying `seq`
/// right after an 8-byte L4 header (where `seq_of` reads it).
fn v6_frame(proto: u8, src: [u8; 16], dst: [u8; 16], sport: u16, seq: u32) -> Vec<u8> {
    let mut f = BCAST.to_vec();
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x86, 0xDD]);
    f.extend_from_slice(&[0x60, 0, 0, 0, 0, 12, proto, 64]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&[0x30, 0x39, 0, 12, 0, 0]);
    f.extend_from_slice(&seq.to_be_bytes());
    f
}

fn v6_flow(l4: L4, src: [u8; 16], dst: [u8; 16], sport: u16) -> Flow {
    Flow::v6(l4, src.into(), sport, dst.into(), 12345)
}

/// Flows whose frames `before` shows RSS does not put on `q` (by sequence number).
fn not_on(before: &std::collections::BTreeMap<u32, Vec<usize>>, q: usize) -> Vec<u32> {
    before
        .iter()
        .filter(|(_, v)| **v != [q])
        .map(|(&s, _)| s)
        .collect()
}

#[test]
fn fdir_ipv6_perfect_filters_steer_and_remove() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    let frames: Vec<_> = (0..32u32)
        .map(|i| v6_frame(17, V6_SRC, V6_DST, 6000 + i as u16, i))
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    let moved = not_on(&before, 2);
    assert!(moved.len() > 5, "{before:?}");
    // Frames of other flows, close to the first moved one: another source (last byte),
    // another destination (in the last 4 bytes, which the filter compares), TCP instead of
    // UDP. Where RSS puts them:
    let i = moved[0];
    let mut src = V6_SRC;
    src[15] = 0x09;
    let mut dst = V6_DST;
    dst[13] = 0x77;
    let others = vec![
        v6_frame(17, src, V6_DST, 6000 + i as u16, 100),
        v6_frame(17, V6_SRC, dst, 6000 + i as u16, 101),
        v6_frame(6, V6_SRC, V6_DST, 6000 + i as u16, 102),
    ];
    let rss_others = landed(&exchange(&sim, &mut tx, &mut rx, &others));
    for &i in &moved {
        rx.add_fdir(v6_flow(L4::Udp, V6_SRC, V6_DST, 6000 + i as u16), Some(2))
            .unwrap();
    }
    let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..32u32 {
        assert_eq!(after[&i], [2], "flow {i}");
    }
    // The other flows are not the filter's: still where RSS put them.
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &others));
    assert_eq!(got, rss_others);
    assert!(rss_others.values().any(|q| *q != [2]), "{rss_others:?}");
    let base = before[&i][0];
    // A TCP filter for the same addresses and ports takes the TCP frame to queue 3.
    rx.add_fdir(v6_flow(L4::Tcp, V6_SRC, V6_DST, 6000 + i as u16), Some(3))
        .unwrap();
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &others));
    assert_eq!(got[&102], [3]);
    // Removed: back where RSS puts it.
    rx.remove_fdir(v6_flow(L4::Udp, V6_SRC, V6_DST, 6000 + i as u16))
        .unwrap();
    let again = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(again[&i], [base]);
    // Mixed address families are refused before anything is written.
    let mixed = Flow {
        dst: Ipv4Addr::new(10, 0, 0, 2).into(),
        ..v6_flow(L4::Udp, V6_SRC, V6_DST, 1)
    };
    assert!(matches!(rx.add_fdir(mixed, Some(1)), Err(Error::Config(_))));
    assert_no_violations(&sim);
}

#[test]
fn fdir_flex_bytes_tell_frames_of_one_flow_apart() {
    // The 2 bytes at offset 44: the low half of the sequence number the frames carry in
    // their UDP payload. One filter for flow 7000 with flex 5: only frame 5 goes to queue
    // 2 (IPv4), likewise for an IPv6 flow (its offset 44 falls in the destination address,
    // so the filter names those bytes: 00 00).
    let mut c = cfg4();
    c.fdir.as_mut().unwrap().flex_offset = Some(44);
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, c);
    let frames: Vec<_> = (0..16u32).map(|i| udp_frame(BCAST, 7000, i)).collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    let rss_q = before[&0][0];
    let q = (rss_q + 2) % 4;
    let q = if q == 3 { 1 } else { q };
    rx.add_fdir(flow(7000).with_flex(5), Some(q as u16))
        .unwrap();
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..16u32 {
        assert_eq!(got[&i], [if i == 5 { q } else { rss_q }], "frame {i}");
    }
    // A flow without flexible bytes is refused while they are on.
    assert!(matches!(
        rx.add_fdir(flow(7001), Some(1)),
        Err(Error::Config(m)) if m.contains("flexible")
    ));
    let v6 = vec![v6_frame(17, V6_SRC, V6_DST, 6001, 50)];
    let rss6 = landed(&exchange(&sim, &mut tx, &mut rx, &v6))[&50][0];
    let q6 = if rss6 == 1 { 2 } else { 1 };
    rx.add_fdir(
        v6_flow(L4::Udp, V6_SRC, V6_DST, 6001).with_flex(0x0000),
        Some(q6 as u16),
    )
    .unwrap();
    assert_eq!(landed(&exchange(&sim, &mut tx, &mut rx, &v6))[&50], [q6]);
    assert_no_violations(&sim);
    let mut c = cfg4();
    c.fdir.as_mut().unwrap().flex_offset = Some(63);
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("flex_offset"));
}

#[test]
fn fdir_signature_filters_steer_and_remove() {
    use driver_82599::fdir::{FdirMode, FdirSize};
    let mut c = cfg4();
    let f = c.fdir.as_mut().unwrap();
    f.mode = FdirMode::Signature;
    f.size = FdirSize::K128;
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, c);
    let frames: Vec<_> = (0..64u32)
        .map(|i| udp_frame(BCAST, 5000 + i as u16, i))
        .chain((64..96u32).map(|i| v6_frame(6, V6_SRC, V6_DST, 5000 + i as u16, i)))
        .collect();
    let flow_of = |i: u32| {
        if i < 64 {
            flow(5000 + i as u16)
        } else {
            v6_flow(L4::Tcp, V6_SRC, V6_DST, 5000 + i as u16)
        }
    };
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    let moved = not_on(&before, 1);
    for &i in &moved {
        rx.add_fdir(flow_of(i), Some(1)).unwrap();
    }
    let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..96u32 {
        assert_eq!(after[&i], [1], "flow {i}");
    }
    // One dropped (to the drop queue, 3), one removed.
    rx.add_fdir(flow_of(moved[0]), None).unwrap();
    rx.remove_fdir(flow_of(moved[1])).unwrap();
    let again = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(again[&moved[0]], [3]);
    assert_eq!(again[&moved[1]], before[&moved[1]]);
    assert_no_violations(&sim);
}

#[test]
fn fdir_card_matches_a_signature_filter_by_its_signature() {
    use driver_82599::fdir::{bucket_hash, signature_hash, FdirMode, HASH_KEY};
    use driver_82599::regs::*;
    let mut c = cfg4();
    c.fdir.as_mut().unwrap().mode = FdirMode::Signature;
    // The right bucket, a wrong signature: a signature filter holds nothing else, so the
    // card cannot find the flow.
    hand_filed_filter_is_not_found(c, |rx, f| {
        let wrong = signature_hash(f) ^ 1;
        rx.regs()
            .FDIRHASH()
            .write(FDIRHASH::HASH.val(bucket_hash(HASH_KEY, f)) | FDIRHASH::SW_INDEX.val(wrong));
    });
}

#[test]
fn fdir_flows_with_one_hash_signature_refused_perfect_tells_apart() {
    use driver_82599::fdir::{bucket_hash, signature_hash, FdirMode, HASH_KEY};
    // The hash folds the address dwords by XOR: two sources that differ by the same value in
    // their first two dwords have the same bucket and signature.
    let a = V6_SRC;
    let mut b = V6_SRC;
    b[3] ^= 0x40;
    b[7] ^= 0x40;
    let fa = v6_flow(L4::Udp, a, V6_DST, 6100);
    let fb = v6_flow(L4::Udp, b, V6_DST, 6100);
    assert_eq!(bucket_hash(HASH_KEY, &fa), bucket_hash(HASH_KEY, &fb));
    assert_eq!(signature_hash(&fa), signature_hash(&fb));
    // Signature filters cannot tell them apart: the second is refused.
    let mut c = cfg4();
    c.fdir.as_mut().unwrap().mode = FdirMode::Signature;
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, c);
    rx.add_fdir(fa, Some(1)).unwrap();
    assert!(matches!(
        rx.add_fdir(fb, Some(2)),
        Err(Error::Config(m)) if m.contains("cannot tell apart")
    ));
    // Perfect filters can: one bucket, two filters, each frame to its own queue.
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    rx.add_fdir(fa, Some(1)).unwrap();
    rx.add_fdir(fb, Some(2)).unwrap();
    let frames = vec![
        v6_frame(17, a, V6_DST, 6100, 1),
        v6_frame(17, b, V6_DST, 6100, 2),
    ];
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(got[&1], [1]);
    assert_eq!(got[&2], [2]);
    assert_no_violations(&sim);
}

#[test]
fn fdir_strict_card_flags_masks_changed_under_filters() {
    use driver_82599::regs::*;
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, cfg4());
    // Before any filter: the masks may change.
    let m = rx.regs().FDIRM().read();
    rx.regs().FDIRM().write(FDIRM::VLANID | FDIRM::VLANP);
    rx.regs().FDIRM().write(m);
    assert_no_violations(&sim);
    rx.add_fdir(flow(1), Some(1)).unwrap();
    // Unmasking the flexible bytes now strands the filter in its old bucket.
    rx.regs()
        .FDIRM()
        .write(FDIRM::VLANID | FDIRM::VLANP | FDIRM::POOL);
    let v = sim.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, sim_82599::Rule::FdirMaskWithFilters);
}

/// `udp_frame` from `src` (bytes 26..30: the IPv4 source), as IP protocol `proto`.
fn ip_frame(proto: u8, src: [u8; 4], sport: u16, seq: u32) -> Vec<u8> {
    let mut f = udp_frame(BCAST, sport, seq);
    f[23] = proto;
    f[26..30].copy_from_slice(&src);
    f
}

fn masked(masks: FdirMasks, mode: FdirMode) -> Config {
    let mut c = cfg4();
    let f = c.fdir.as_mut().unwrap();
    f.masks = masks;
    f.mode = mode;
    c
}

#[test]
fn fdir_masks_take_every_client_port_with_one_filter() {
    // The source port not compared: one filter per server port, in both modes.
    for mode in [FdirMode::Perfect, FdirMode::Signature] {
        let sim = sim2();
        let any_client = FdirMasks {
            src_port: 0,
            ..FdirMasks::default()
        };
        let (mut tx, mut rx) = pair(&sim, masked(any_client, mode));
        let frames: Vec<_> = (0..64)
            .map(|i| udp_frame(BCAST, 5000 + i as u16, i))
            .collect();
        let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
        assert!(not_on(&before, 2).len() > 10, "RSS spreads the clients");
        rx.add_fdir(flow(1), Some(2)).unwrap();
        let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
        assert!(after.values().all(|q| *q == [2]), "{mode:?}: {after:?}");
        // Another client port is the same filter: updated, then removed.
        rx.add_fdir(flow(7), Some(1)).unwrap();
        let moved = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
        assert!(moved.values().all(|q| *q == [1]), "{mode:?}");
        rx.remove_fdir(flow(99)).unwrap();
        assert!(rx.remove_fdir(flow(1)).is_err(), "one filter, removed");
        assert_eq!(landed(&exchange(&sim, &mut tx, &mut rx, &frames)), before);
        assert_no_violations(&sim);
    }
}

#[test]
fn fdir_masks_compare_a_source_network() {
    let sim = sim2();
    let net24 = FdirMasks {
        src_v4: Ipv4Addr::new(255, 255, 255, 0),
        src_port: 0,
        ..FdirMasks::default()
    };
    let (mut tx, mut rx) = pair(&sim, masked(net24, FdirMode::Perfect));
    // 10.0.0.x and 10.0.1.x clients, from many ports.
    let frames: Vec<_> = (0..64u32)
        .map(|i| {
            let host = [10, 0, (i % 2) as u8, 1 + (i * 3) as u8];
            ip_frame(17, host, 4000 + i as u16, i)
        })
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    let target = (0..4)
        .find(|&q| (0..64).filter(|i| i % 2 == 0).any(|i| before[&i] != [q]))
        .unwrap();
    let client = Flow::v4(
        L4::Udp,
        Ipv4Addr::new(10, 0, 0, 200),
        1,
        Ipv4Addr::new(10, 0, 0, 2),
        12345,
    );
    rx.add_fdir(client, Some(target as u16)).unwrap();
    let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..64u32 {
        let want = if i % 2 == 0 {
            vec![target]
        } else {
            before[&i].clone()
        };
        assert_eq!(after[&i], want, "frame {i}");
    }
    assert_no_violations(&sim);
}

#[test]
fn fdir_steers_an_sctp_flow_apart_from_udp() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    let src = [10, 0, 0, 1];
    let frames: Vec<_> = (0..8)
        .map(|i| ip_frame(if i < 4 { 132 } else { 17 }, src, 3868, i))
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    let q = (0..4).find(|&q| before[&0] != [q]).unwrap();
    let sctp = Flow {
        l4: L4::Sctp,
        ..flow(3868)
    };
    rx.add_fdir(sctp, Some(q as u16)).unwrap();
    let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..8u32 {
        let want = if i < 4 { vec![q] } else { before[&i].clone() };
        assert_eq!(after[&i], want, "frame {i} (SCTP: 0..4)");
    }
    rx.remove_fdir(sctp).unwrap();
    assert_eq!(landed(&exchange(&sim, &mut tx, &mut rx, &frames)), before);
    assert_no_violations(&sim);
}

#[test]
fn fdir_strict_card_flags_filters_with_masked_bits_and_masks_under_filters() {
    use driver_82599::fdir::{bucket_hash, HASH_KEY};
    use driver_82599::regs::*;
    let sim = sim2();
    let any_client = FdirMasks {
        src_port: 0,
        ..FdirMasks::default()
    };
    let (_tx, mut rx) = pair(&sim, masked(any_client, FdirMode::Perfect));
    // Filed by hand with the client port set, which the masks ignore: it can never match.
    let f = flow(5000);
    write_filter(
        &rx,
        &f,
        bucket_hash(HASH_KEY, &any_client.apply(&f)) & 0x7FF,
    );
    rx.regs().FDIRCMD().write(
        FDIRCMD::CMD::ADD | FDIRCMD::L4TYPE::UDP | FDIRCMD::QUEUE_EN | FDIRCMD::RX_QUEUE.val(2),
    );
    let v = sim.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, sim_82599::Rule::FdirFilterNotMasked);
    assert!(v[0].detail.contains("source port"), "{}", v[0].detail);
    // The driver clears them: no new violation.
    rx.add_fdir(f, Some(2)).unwrap();
    assert_eq!(sim.violations().len(), 1);
    // A field mask changed with filters in the table.
    rx.regs().FDIRUDPM().write(0u32);
    let v = sim.violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[1].rule, sim_82599::Rule::FdirMaskWithFilters);
}
