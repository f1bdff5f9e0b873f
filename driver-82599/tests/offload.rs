//! Transmit offloads on the simulated card: IPv4 header and TCP/UDP checksum insertion
//! (datasheet 7.2.5), TCP segmentation (7.2.4) and per-packet VLAN insertion through the
//! context descriptor (7.2.3.2.3). The card's output frames are checked against checksums
//! computed here, independently of the card and the driver (RFC 1071).

mod steer_kit;
use driver_82599::offload::{TxOffload, L3, L4};
use driver_82599::{Device, Error, Packet, QueueDevice};
use sim_82599::Port;
use steer_kit::*;

const DST: [u8; 6] = [0xFF; 6];

/// RFC 1071: the one's-complement sum of 16-bit words (an odd byte padded with zero), folded.
fn ones_sum(chunks: &[&[u8]]) -> u16 {
    let mut bytes = Vec::new();
    for c in chunks {
        bytes.extend_from_slice(c);
    }
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let mut s: u32 = 0;
    for w in bytes.chunks(2) {
        s += u32::from(w[0]) << 8 | u32::from(w[1]);
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

/// Whether the IPv4 header at 14 of `f` has a correct checksum.
fn ip_ok(f: &[u8]) -> bool {
    let ihl = usize::from(f[14] & 0xF) * 4;
    ones_sum(&[&f[14..14 + ihl]]) == 0xFFFF
}

/// The TCP/UDP checksum `f` should carry (IPv4 at 14, the L4 header after it), computed over
/// the pseudo-header and the segment with the checksum field taken as 0.
fn l4_expected(f: &[u8]) -> u16 {
    let ihl = usize::from(f[14] & 0xF) * 4;
    let tot = usize::from(u16::from_be_bytes([f[16], f[17]]));
    let proto = f[23];
    let l4 = &f[14 + ihl..14 + tot];
    let at = if proto == 6 { 16 } else { 6 };
    let mut seg = l4.to_vec();
    seg[at..at + 2].fill(0);
    let len = (l4.len() as u16).to_be_bytes();
    let c = !ones_sum(&[&f[26..34], &[0, proto], &len, &seg]);
    if proto == 17 && c == 0 {
        0xFFFF
    } else {
        c
    }
}

fn l4_field(f: &[u8]) -> u16 {
    let ihl = usize::from(f[14] & 0xF) * 4;
    let at = 14 + ihl + if f[23] == 6 { 16 } else { 6 };
    u16::from_be_bytes([f[at], f[at + 1]])
}

/// An IPv4/TCP frame (20-byte headers) with `payload`, wrong checksums in both headers.
fn tcp_frame(seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = DST.to_vec();
    f.extend_from_slice(&SRC);
    f.extend_from_slice(&[0x08, 0x00]);
    let tot = (40 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&tot.to_be_bytes());
    f.extend_from_slice(&[0x12, 0x34, 0x40, 0, 64, 6, 0xDE, 0xAD]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&[0x04, 0xD2, 0x16, 0x2E]); // ports 1234 -> 5678
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0xBE, 0xEF, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// An IPv4/UDP frame with `payload`, wrong checksums.
fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = DST.to_vec();
    f.extend_from_slice(&SRC);
    f.extend_from_slice(&[0x08, 0x00]);
    let tot = (28 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&tot.to_be_bytes());
    f.extend_from_slice(&[0, 7, 0, 0, 64, 17, 0x55, 0x55]);
    f.extend_from_slice(&[192, 168, 1, 1, 192, 168, 1, 200]);
    f.extend_from_slice(&[0x30, 0x39, 0x00, 0x35]);
    f.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    f.extend_from_slice(&[0x12, 0x34]);
    f.extend_from_slice(payload);
    f
}

fn packet(pool: &dma::Mempool, f: &[u8]) -> Packet {
    let mut p = pool.alloc(f.len()).expect("buffer");
    p.copy_from_slice(f);
    p
}

/// Sends `reqs` on queue 0 and runs the card until they are through; returns TDT moves.
fn send_offload(
    sim: &sim_82599::Sim,
    tx: &mut Device<Port>,
    pool: &dma::Mempool,
    reqs: &[(Vec<u8>, TxOffload)],
) -> u32 {
    let t0 = tx.regs().TDT().at(0).read().bits();
    let mut batch: Vec<(Packet, TxOffload)> =
        reqs.iter().map(|(f, o)| (packet(pool, f), *o)).collect();
    for _ in 0..1000 {
        if batch.is_empty() {
            break;
        }
        tx.tx_offload(0, &mut batch).unwrap();
        sim.step();
    }
    assert!(batch.is_empty(), "the ring stopped taking packets");
    sim.step_until_idle(100);
    let t1 = tx.regs().TDT().at(0).read().bits();
    (t1 + 64 - t0) % 64
}

fn received(rx: &mut Device<Port>) -> Vec<Vec<u8>> {
    drain(rx).remove(&0).unwrap_or_default()
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn checksum_ipv4_tcp_and_udp_inserted_by_the_card() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    let pool = tx.pool(0).unwrap().clone();
    let tcp = TxOffload::tcp4(14, 20, 20);
    let udp = TxOffload::udp4(14, 20);
    let frames = vec![
        (tcp_frame(1000, 0x18, &payload(100)), tcp),
        (tcp_frame(2000, 0x10, &payload(33)), tcp), // odd length
        (udp_frame(&payload(51)), udp),
        (udp_frame(&payload(200)), udp),
    ];
    // One context per change: TCP (ctx + 2 data), UDP (ctx + 2 data).
    assert_eq!(send_offload(&sim, &mut tx, &pool, &frames), 6);
    let got = received(&mut rx);
    assert_eq!(got.len(), 4);
    for (g, (sent, _)) in got.iter().zip(&frames) {
        assert!(ip_ok(g), "IPv4 header checksum");
        assert_eq!(l4_field(g), l4_expected(g), "TCP/UDP checksum");
        // Everything but the two checksum fields is as sent.
        let tot = 14 + usize::from(u16::from_be_bytes([sent[16], sent[17]]));
        assert_eq!(g.len(), tot.max(60));
        let mut a = g[..tot].to_vec();
        let mut b = sent.clone();
        let at = 34 + if sent[23] == 6 { 16 } else { 6 };
        for v in [&mut a, &mut b] {
            v[24..26].fill(0);
            v[at..at + 2].fill(0);
        }
        assert_eq!(a, b);
    }
    // The same requests again: both contexts are still in the card's two slots.
    assert_eq!(send_offload(&sim, &mut tx, &pool, &frames[1..3]), 2);
    let again = received(&mut rx);
    assert_eq!(again.len(), 2);
    assert!(again
        .iter()
        .all(|g| ip_ok(g) && l4_field(g) == l4_expected(g)));
    // Only the IP checksum: the TCP field stays as the driver left it (the pseudo-header sum).
    let ip_only = TxOffload {
        l4: L4::None,
        ..tcp
    };
    send_offload(
        &sim,
        &mut tx,
        &pool,
        &[(tcp_frame(1, 0x10, &payload(10)), ip_only)],
    );
    let g = &received(&mut rx)[0];
    assert!(ip_ok(g));
    assert_ne!(l4_field(g), l4_expected(g));
    assert_no_violations(&sim);
}

#[test]
fn tso_splits_a_large_tcp_payload_into_mss_segments() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    let big = dma::Mempool::new(&*sim.dma(), 16, 16384).unwrap();
    let data = payload(10_000);
    let mss = 1448;
    // ACK | PSH | FIN | CWR: FIN and PSH belong on the last segment only, CWR not on it
    // (DTXTCPFLGL/H at their reset values).
    let flags = 0x10 | 0x08 | 0x01 | 0x80;
    let seq0 = 0xFFFF_F000; // the sequence numbers wrap
    let f = tcp_frame(seq0, flags, &data);
    let tso = TxOffload::tcp4(14, 20, 20).with_tso(mss);
    send_offload(&sim, &mut tx, &big, &[(f.clone(), tso)]);
    let got = received(&mut rx);
    let n = data.len().div_ceil(usize::from(mss));
    assert_eq!(got.len(), n, "segments");
    let mut joined = Vec::new();
    for (k, g) in got.iter().enumerate() {
        let last = k + 1 == n;
        let len = if last {
            data.len() - k * usize::from(mss)
        } else {
            usize::from(mss)
        };
        assert_eq!(g.len(), 54 + len, "segment {k} length");
        assert_eq!(
            u16::from_be_bytes([g[16], g[17]]) as usize,
            40 + len,
            "IP total length"
        );
        assert_eq!(
            u16::from_be_bytes([g[18], g[19]]),
            0x1234 + k as u16,
            "IP id"
        );
        let seq = u32::from_be_bytes(g[38..42].try_into().unwrap());
        assert_eq!(seq, seq0.wrapping_add((k * usize::from(mss)) as u32), "seq");
        let fl = g[47];
        assert_eq!(
            fl & 0x09 != 0,
            last,
            "FIN/PSH on the last segment only: {fl:#x}"
        );
        assert_eq!(
            fl & 0x80 != 0,
            !last,
            "CWR not on the last segment: {fl:#x}"
        );
        assert_ne!(fl & 0x10, 0, "ACK on every segment");
        assert!(ip_ok(g), "segment {k}: IP checksum");
        assert_eq!(l4_field(g), l4_expected(g), "segment {k}: TCP checksum");
        // Addresses, ports, ack, window, urgent pointer are copied.
        assert_eq!(g[..16], f[..16]);
        assert_eq!(g[26..38], f[26..38]);
        assert_eq!(g[42..46], f[42..46]);
        assert_eq!(g[48..50], f[48..50]);
        joined.extend_from_slice(&g[54..]);
    }
    assert_eq!(joined, data, "the payload, in order");
    assert_eq!(sim.stats(0).unwrap().offload_drops, 0);
    assert_no_violations(&sim);
}

#[test]
fn tso_and_checksum_requests_that_do_not_fit_are_refused_before_the_card() {
    let sim = sim2();
    let (mut tx, _rx) = pair(&sim, cfg());
    let pool = tx.pool(0).unwrap().clone();
    let f = tcp_frame(1, 0x10, &payload(100));
    let tcp = TxOffload::tcp4(14, 20, 20);
    let bad = [
        (tcp.with_tso(0), "MSS 0"),
        (TxOffload::udp4(14, 20).with_tso(100), "needs L4::Tcp"),
        (TxOffload::tcp4(14, 20, 24), "TCP header"),
        (TxOffload::tcp4(14, 24, 20), "IPv4 header"),
        (TxOffload::tcp4(200, 20, 20), "l2_len"),
        (TxOffload::udp4(14, 20), "not UDP"),
        (
            TxOffload {
                l3: L3::Ipv4 { checksum: false },
                ..tcp.with_tso(100)
            },
            "IXSM",
        ),
    ];
    let t0 = tx.regs().TDT().at(0).read().bits();
    for (o, why) in bad {
        let mut batch = vec![
            (packet(&pool, &tcp_frame(2, 0x10, &[])), tcp),
            (packet(&pool, &f), o),
        ];
        match tx.tx_offload(0, &mut batch) {
            Err(Error::Offload(e)) => {
                assert_eq!(e.index, 1);
                assert!(e.reason.contains(why), "{why}: {}", e.reason);
            }
            other => panic!("{why}: {other:?}"),
        }
        assert_eq!(batch.len(), 2, "nothing taken");
    }
    // Headers beyond a short packet.
    let mut batch = vec![(packet(&pool, &f[..40]), tcp)];
    assert!(tx.tx_offload(0, &mut batch).is_err());
    assert_eq!(
        tx.regs().TDT().at(0).read().bits(),
        t0,
        "no descriptor written"
    );
    assert_no_violations(&sim);
}

#[test]
fn vlan_insert_per_packet_through_the_context() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    let pool = tx.pool(0).unwrap().clone();
    let plain = frame(DST, None, 1);
    let frames = vec![
        (plain.clone(), TxOffload::vlan_only(0x6000 | 42)),
        (frame(DST, None, 2), TxOffload::vlan_only(7)),
        (
            tcp_frame(9, 0x10, &payload(64)),
            TxOffload::tcp4(14, 20, 20).with_vlan(5),
        ),
    ];
    assert_eq!(send_offload(&sim, &mut tx, &pool, &frames), 6);
    // And a frame through the plain path right after: no tag.
    send(&sim, &mut tx, &[frame(DST, None, 3)]);
    let got = received(&mut rx);
    assert_eq!(got.len(), 4);
    let mut want = plain.clone();
    want.splice(12..12, [0x81, 0x00, 0x60, 42]);
    assert_eq!(got[0], want);
    assert_eq!(got[1][12..16], [0x81, 0x00, 0, 7]);
    assert_eq!(seq_of(&got[1]), Some(2));
    // The TCP frame: tagged, and its checksums right at their new place.
    let g = &got[2];
    assert_eq!(g[12..16], [0x81, 0x00, 0, 5]);
    let mut untagged = g[..12].to_vec();
    untagged.extend_from_slice(&g[16..]);
    assert!(ip_ok(&untagged));
    assert_eq!(l4_field(&untagged), l4_expected(&untagged));
    assert_eq!(got[3], frame(DST, None, 3));
    assert_no_violations(&sim);
}

#[test]
fn offload_contexts_on_rs_group_ends_still_reclaim() {
    // Alternating requests need a context before almost every packet; many rounds through a
    // 64-descriptor ring put contexts on every RS group end: the ring must keep reclaiming
    // (buffers back in the pool) and every frame arrive with good checksums.
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    let pool = tx.pool(0).unwrap().clone();
    let free0 = pool.free_count();
    let kinds = [
        TxOffload::tcp4(14, 20, 20),
        TxOffload::udp4(14, 20),
        TxOffload::tcp4(14, 20, 20).with_vlan(3),
    ];
    let mut total = 0;
    for round in 0..40 {
        let reqs: Vec<(Vec<u8>, TxOffload)> = (0..5)
            .map(|i| {
                let o = kinds[(round + i) % 3];
                let f = if o.l4 == L4::Udp {
                    udp_frame(&payload(30 + i))
                } else {
                    tcp_frame(i as u32, 0x10, &payload(40 + i))
                };
                (f, o)
            })
            .collect();
        send_offload(&sim, &mut tx, &pool, &reqs);
        let got = received(&mut rx);
        total += got.len();
        for g in got {
            let g = if g[12] == 0x81 {
                [&g[..12], &g[16..]].concat()
            } else {
                g
            };
            assert!(ip_ok(&g) && l4_field(&g) == l4_expected(&g));
        }
    }
    assert_eq!(total, 200);
    tx.tx_queue(0).unwrap().reclaim();
    assert!(pool.free_count() + 64 >= free0, "buffers come back");
    assert_no_violations(&sim);
}

#[test]
fn rx_checksum_status_good_and_bad_in_the_metadata() {
    // Receive side (7.1.11): the card checks IPv4 header and TCP/UDP checksums; rx_batch_meta
    // delivers IPCS/L4CS with IPE/TCPE. Good frames come from the card's own transmit
    // offload; bad ones are sent on the plain path with broken checksums.
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    let pool = tx.pool(0).unwrap().clone();
    let good_tcp = tcp_frame(5, 0x10, &payload(99));
    let good_udp = udp_frame(&payload(40));
    send_offload(
        &sim,
        &mut tx,
        &pool,
        &[
            (good_tcp.clone(), TxOffload::tcp4(14, 20, 20)),
            (good_udp.clone(), TxOffload::udp4(14, 20)),
        ],
    );
    // Bad IP header checksum (0xDEAD as built), and a good IP header with a bad TCP checksum.
    let bad_ip = tcp_frame(6, 0x10, &payload(20));
    let mut bad_l4 = bad_ip.clone();
    let c = !ones_sum(&[&{
        let mut h = bad_l4[14..34].to_vec();
        h[10..12].fill(0);
        h
    }]);
    bad_l4[24..26].copy_from_slice(&c.to_be_bytes());
    // Not IP: nothing checked.
    send(&sim, &mut tx, &[bad_ip, bad_l4, frame(DST, None, 9)]);
    let (mut out, mut meta) = (Vec::new(), Vec::new());
    rx.rx_batch_meta(0, &mut out, &mut meta, 16).unwrap();
    assert_eq!(meta.len(), 5);
    let got: Vec<_> = meta
        .iter()
        .map(|m| (m.ip_checksum, m.l4_checksum))
        .collect();
    assert_eq!(
        got,
        [
            (Some(true), Some(true)),
            (Some(true), Some(true)),
            (Some(false), Some(false)), // the TCP field was 0xFFFF as built
            (Some(true), Some(false)),
            (None, None),
        ]
    );
    assert_no_violations(&sim);
}
