mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::{Port, Sim, Wire};

fn lpbk(p: &Port) {
    w(p, R::HLREG0, 0, rd(p, R::HLREG0, 0) | (1 << 15));
}

/// Port 0 in MAC loopback, receiving broadcasts, with queue 0's rings of 32 descriptors
/// (2 KiB receive buffers).
fn looped_port(sim: &Sim) -> (Port, Rx, Tx) {
    let p = sim.port(0);
    lpbk(&p);
    rx_enable(&p, BAM);
    let dma = sim.dma();
    let rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let tx = Tx::setup(&p, &*dma, 0, 32);
    (p, rx, tx)
}

#[test]
fn loopback_tx_to_rx_with_write_back() {
    let sim = common::sim(1);
    let (p, mut rx, mut tx) = looped_port(&sim);
    let frames: Vec<_> = (0..5)
        .map(|i| counting(MAC0, 60 + i * 100, i as u8))
        .collect();
    for f in &frames {
        tx.send(&p, f);
    }
    assert_eq!(sim.step(), 5);
    for i in 0..5 {
        assert!(tx.dd(i), "TX descriptor {i} written back (RS)");
    }
    assert_eq!(rd(&p, R::TDH, 0), 5);
    let got = rx.poll(&p);
    assert_eq!(got.len(), 5);
    for (g, f) in got.iter().zip(&frames) {
        assert_eq!(&g.data, f, "CRC stripped (HLREG0.RXCRCSTRP reset 1)");
        assert_eq!(g.status & 3, 3, "DD and EOP");
        assert_eq!(g.len as usize, f.len());
    }
    assert_eq!(rd(&p, R::RDH, 0), 5);
    assert_eq!(rd(&p, R::QPRC, 0), 5);
    assert_eq!(rd(&p, R::QPTC, 0), 5);
    let bytes: u32 = frames.iter().map(|f| f.len() as u32 + 4).sum();
    assert_eq!(rd(&p, R::QBTC_L, 0), bytes);
    assert_eq!(rd(&p, R::GOTCL, 0), bytes);
    assert_eq!(rd(&p, R::PRC64, 0), 1);
    assert_eq!(rd(&p, R::PTC127, 0), 0, "64+100+4 = 164 bytes is PTC255");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(sim.dma_faults().is_empty());
}

#[test]
fn pair_both_ways_and_multi_descriptor_frames() {
    let sim = common::sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let (a, b) = (sim.port(0), sim.port(1));
    let dma = sim.dma();
    rx_enable(&a, BAM);
    rx_enable(&b, BAM);
    w(&b, R::HLREG0, 0, rd(&b, R::HLREG0, 0) | (1 << 2)); // JUMBOEN
    w(&b, R::MAXFRS, 0, 9018 << 16);
    let mut rxa = Rx::setup(&a, &*dma, 0, 32, 2, 0);
    let mut rxb = Rx::setup(&b, &*dma, 0, 32, 1, 0); // 1 KiB buffers
    let mut txa = Tx::setup(&a, &*dma, 0, 32);
    let mut txb = Tx::setup(&b, &*dma, 0, 32);
    // A 2500-byte frame as two descriptors (1500 + 1000), to a 1 KiB-buffer queue: 3 RX descriptors.
    let big = counting(MAC1, 2500, 7);
    txa.send_cmd(&a, &big[..1500], (0x3 << 20) | (1 << 29) | (1 << 25), false);
    txa.send_cmd(&a, &big[1500..], TX_CMD, true);
    txb.send(&b, &counting(MAC0, 100, 1));
    sim.step();
    let gb = rxb.poll(&b);
    assert_eq!(gb.len(), 1);
    assert_eq!(gb[0].data, big);
    assert_eq!(rxb.next, 3, "three 1 KiB descriptors");
    let ga = rxa.poll(&a);
    assert_eq!(ga.len(), 1);
    assert_eq!(ga[0].data, counting(MAC0, 100, 1));
    assert!(txa.dd(1) && txb.dd(0));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn filters_crc_and_padding() {
    let sim = common::sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let (a, b) = (sim.port(0), sim.port(1));
    let dma = sim.dma();
    rx_enable(&b, 0); // no BAM, no promiscuous
    w(&b, R::HLREG0, 0, rd(&b, R::HLREG0, 0) & !(1 << 1)); // keep CRC
    let mut rxb = Rx::setup(&b, &*dma, 0, 32, 2, 0);
    let mut txa = Tx::setup(&a, &*dma, 0, 32);
    txa.send(&a, &counting([0xFF; 6], 60, 0)); // broadcast, BAM = 0: dropped
    txa.send(&a, &counting([0x02, 9, 9, 9, 9, 9], 60, 0)); // other unicast: dropped
    let short = counting(MAC1, 42, 3); // padded to 60 by TXPADEN
    txa.send(&a, &short);
    sim.step();
    let g = rxb.poll(&b);
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].data.len(), 64, "60 bytes padded + 4 CRC");
    assert_eq!(&g[0].data[..42], &short[..]);
    assert!(g[0].data[42..60].iter().all(|&x| x == 0));
    let crc = !g[0].data[..60].iter().fold(0xFFFF_FFFFu32, |mut c, &x| {
        c ^= u32::from(x);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        c
    });
    assert_eq!(&g[0].data[60..], &crc.to_le_bytes());
    assert_eq!(sim.stats(1).unwrap().filtered, 2);
    assert_eq!(rd(&b, R::TPR, 0), 3);
    assert_eq!(rd(&b, R::GPRC, 0), 1);
    // Promiscuous (while RXEN = 0): everything is taken.
    w(&b, R::RXCTRL, 0, 0);
    rx_enable(&b, UPE | MPE);
    txa.send(&a, &counting([0x02, 9, 9, 9, 9, 9], 60, 0));
    txa.send(&a, &counting([0x01, 0, 0x5E, 0, 0, 1], 60, 0));
    sim.step();
    assert_eq!(rxb.poll(&b).len(), 2);
    assert_eq!(rd(&b, R::MPRC, 0), 1);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

fn conservation(drop_en: bool) {
    let sim = common::sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let (a, b) = (sim.port(0), sim.port(1));
    let dma = sim.dma();
    rx_enable(&b, BAM);
    // A small packet buffer so that it overflows: 4 KB.
    w(&b, R::RXPBSIZE, 0, 4 << 10);
    let mut rxb = Rx::setup(&b, &*dma, 0, 16, 2, if drop_en { DROP_EN } else { 0 });
    let mut txa = Tx::setup(&a, &*dma, 0, 512);
    let sent = 400u32;
    for i in 0..sent {
        txa.send(&a, &counting(MAC1, 1000, i as u8));
    }
    // The receiver does not poll during the burst: 15 descriptors, then drops.
    sim.step();
    let buffered = sim.rx_buffered(1).unwrap() as u32;
    let mut received = 0;
    for _ in 0..10 {
        received += rxb.poll(&b).len() as u32;
        sim.step();
    }
    let qprdc = rd(&b, R::QPRDC, 0);
    let mpc = rd(&b, R::MPC, 0);
    assert_eq!(sim.rx_buffered(1).unwrap(), 0);
    assert_eq!(
        sent,
        received + qprdc + mpc,
        "received {received} qprdc {qprdc} mpc {mpc}"
    );
    assert_eq!(rd(&a, R::GPTC, 0), sent);
    assert_eq!(
        rd(&b, R::GPRC, 0),
        sent - mpc,
        "GPRC counts what the packet buffer took"
    );
    if drop_en {
        assert!(qprdc > 0 && mpc == 0 && buffered == 0);
    } else {
        assert!(mpc > 0 && qprdc == 0);
        assert!(
            buffered > 0,
            "frames wait in the packet buffer for descriptors"
        );
        assert_eq!(received, 15 + buffered);
    }
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn conservation_with_drop_en() {
    conservation(true)
}

#[test]
fn conservation_with_packet_buffer() {
    conservation(false)
}

#[test]
fn nothing_moves_without_step_and_threaded_moves_alone() {
    let sim = common::sim(1);
    let (p, mut rx, mut tx) = looped_port(&sim);
    tx.send(&p, &counting(MAC0, 60, 0));
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(rx.poll(&p).is_empty());
    drop((rx, tx));

    let sim = Sim::builder()
        .threaded(true)
        .link_delay(std::time::Duration::ZERO)
        .build();
    let (p, mut rx, mut tx) = looped_port(&sim);
    let mut got = 0;
    for i in 0..20 {
        tx.send(&p, &counting(MAC0, 60, i));
        let t0 = std::time::Instant::now();
        while got <= i as usize && t0.elapsed() < std::time::Duration::from_secs(5) {
            got += rx.poll(&p).len();
            std::thread::yield_now();
        }
    }
    assert_eq!(got, 20);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn tx_waits_for_link() {
    let sim = Sim::builder()
        .ports(2)
        .manual_clock(true)
        .link_delay(std::time::Duration::from_millis(10))
        .build();
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let (a, b) = (sim.port(0), sim.port(1));
    let dma = sim.dma();
    rx_enable(&b, BAM);
    let mut rxb = Rx::setup(&b, &*dma, 0, 32, 2, 0);
    let mut txa = Tx::setup(&a, &*dma, 0, 32);
    txa.send(&a, &counting(MAC1, 60, 0));
    sim.step();
    assert!(!txa.dd(0), "no link: descriptor still pending");
    sim.advance(std::time::Duration::from_millis(10)).unwrap();
    sim.step();
    assert!(txa.dd(0));
    assert_eq!(rxb.poll(&b).len(), 1);
}

#[test]
fn a_vlan_tagged_frame_may_be_4_bytes_longer_than_the_maximum() {
    // Issue 14.8: at MTU 1500 (HLREG0.JUMBOEN = 0: 1518 bytes), a VLAN-tagged frame of 1522
    // bytes on the wire is good (8.2.3.22.13); an untagged one of 1522, or a tagged one of
    // 1526, is oversize (ROC).
    let sim = common::sim(1);
    let (p, mut rx, mut tx) = looped_port(&sim);
    let tagged = |len: usize| {
        let mut f = counting(MAC0, len, 7);
        f[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
        f[14..16].copy_from_slice(&0x0005u16.to_be_bytes()); // VLAN 5
        f[16..18].copy_from_slice(&0x88B5u16.to_be_bytes());
        f
    };
    // Lengths without the 4-byte FCS.
    tx.send(&p, &tagged(1518));
    tx.send(&p, &counting(MAC0, 1518, 1));
    tx.send(&p, &tagged(1522));
    sim.step();
    let got = rx.poll(&p);
    assert_eq!(got.len(), 1, "only the tagged 1522-byte frame");
    assert_eq!(got[0].data, tagged(1518));
    assert_eq!(rd(&p, R::ROC, 0), 2);
    assert_eq!(rd(&p, R::PRC1522, 0), 1);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn the_two_ends_of_a_cable_share_one_link_and_nothing_sent_is_lost() {
    // Issue 14.8: port 1 down (its link restarting) took port 0's link down too on a real
    // cable; frames port 0 sends meanwhile wait in its ring (the MAC holds them) and go out
    // once the link is back, none lost.
    let sim = Sim::builder()
        .ports(2)
        .manual_clock(true)
        .reset_delay(std::time::Duration::ZERO)
        .build();
    sim.connect(Wire::Pair(0, 1)).unwrap();
    sim.advance(std::time::Duration::from_millis(20)).unwrap();
    assert!(sim.link_up(0).unwrap() && sim.link_up(1).unwrap());
    let (a, b) = (sim.port(0), sim.port(1));
    let dma = sim.dma();
    rx_enable(&b, BAM);
    let mut rx = Rx::setup(&b, &*dma, 0, 32, 2, 0);
    let mut tx = Tx::setup(&a, &*dma, 0, 32);
    // Port 1 restarts its link (AUTOC.RESTART_AN in its SFI mode).
    hold_mac_csr(&b);
    w(&b, R::AUTOC2, 0, 0b10 << 16);
    let autoc = (rd(&b, R::AUTOC, 0) & !(0b111 << 13)) | (0b011 << 13);
    w(&b, R::AUTOC, 0, autoc | (1 << 12));
    assert!(!sim.link_up(1).unwrap());
    assert!(
        !sim.link_up(0).unwrap(),
        "the other end of the cable is down too"
    );
    assert_eq!(
        rd(&a, R::LINKS, 0) & (1 << 30),
        0,
        "LINKS.LINK_UP of port 0"
    );
    for i in 0..3 {
        tx.send(&a, &counting(MAC1, 60, i));
    }
    sim.step();
    assert_eq!(rx.poll(&b).len(), 0);
    assert_eq!(sim.stats(0).unwrap().lost_link_down, 0);
    assert_eq!(rd(&a, R::TDH, 0), 0, "the frames wait in the ring");
    sim.advance(std::time::Duration::from_millis(20)).unwrap();
    assert!(sim.link_up(0).unwrap() && sim.link_up(1).unwrap());
    sim.step();
    assert_eq!(rx.poll(&b).len(), 3, "sent once the link is back");
    assert_eq!(sim.stats(0).unwrap().lost_link_down, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
