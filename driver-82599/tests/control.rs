//! Control path on the simulated card: MAC address, promiscuous mode, MTU and jumbo frames,
//! statistics accumulated across reads.

mod common;
use common::*;
use driver_82599::QueueDevice;
use driver_82599::{Config, Error};
use sim_82599::Wire;

#[test]
fn mac_address_reads_and_sets() {
    let sim = strict_sim(1);
    let mut dev = open(&sim, 0, small_config());
    let mac = dev.mac_addr();
    assert_ne!(mac, [0; 6], "the card loads its address at reset");
    let new = [0x02, 0x12, 0x34, 0x56, 0x78, 0x9A];
    dev.set_mac_addr(new);
    assert_eq!(dev.mac_addr(), new);
    assert_no_violations(&sim);
}

/// Sends one frame to `dst` over loopback; returns whether it came back.
fn unicast_arrives(
    sim: &sim_82599::Sim,
    dev: &mut driver_82599::Device<sim_82599::Port>,
    dst: [u8; 6],
) -> bool {
    let pool = dev.pool(0).unwrap().clone();
    let mut p = pool.alloc(64).unwrap();
    numbered(&mut p, 7);
    p[0..6].copy_from_slice(&dst);
    let mut out = vec![p];
    assert_eq!(dev.tx_batch(0, &mut out).unwrap(), 1);
    sim.step();
    sim.step();
    let mut got = Vec::new();
    dev.rx_batch(0, &mut got, 8).unwrap() == 1
}

#[test]
fn promiscuous_mode_filters_and_passes() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let cfg = Config {
        promisc: false,
        ..small_config()
    };
    let mut dev = open(&sim, 0, cfg);
    assert!(!dev.promisc());
    let other = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE];
    let own = dev.mac_addr();
    assert!(unicast_arrives(&sim, &mut dev, own), "own address accepted");
    assert!(
        !unicast_arrives(&sim, &mut dev, other),
        "foreign unicast filtered"
    );
    dev.set_promisc(true).unwrap();
    assert!(dev.promisc());
    assert!(
        unicast_arrives(&sim, &mut dev, other),
        "promiscuous accepts it"
    );
    dev.set_promisc(false).unwrap();
    assert!(!unicast_arrives(&sim, &mut dev, other));
    // The filter changes happened with receive off (strict mode checks it).
    assert_no_violations(&sim);
}

#[test]
fn jumbo_frames_pass_intact_and_oversize_frames_are_counted() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let cfg = Config {
        mtu: 9000,
        buf_size: 10240,
        ..small_config()
    };
    let mut dev = open(&sim, 0, cfg);
    assert_eq!(dev.mtu(), 9000);
    let pool = dev.pool(0).unwrap().clone();
    let mut out = Vec::new();
    for seq in 0..10 {
        // 9014 bytes: a 9000-byte payload and the Ethernet header.
        out.push(frame(&pool, 9014, seq).unwrap());
    }
    assert_eq!(dev.tx_batch(0, &mut out).unwrap(), 10);
    sim.step();
    sim.step();
    let mut got = Vec::new();
    assert_eq!(dev.rx_batch(0, &mut got, 32).unwrap(), 10);
    for (i, p) in got.iter().enumerate() {
        assert_eq!(p.len(), 9014);
        assert_eq!(check(p), Some(i as u32));
    }
    got.clear();
    // Back to a 1500 MTU: a 9014-byte frame is now oversize, dropped and counted (ROC).
    dev.set_mtu(1500).unwrap();
    out.push(frame(&pool, 9014, 99).unwrap());
    dev.tx_batch(0, &mut out).unwrap();
    sim.step();
    sim.step();
    assert_eq!(dev.rx_batch(0, &mut got, 32).unwrap(), 0);
    let s = dev.stats().clone();
    assert_eq!(s.rx_size_errors, 1, "{s:#?}");
    assert_eq!(s.rx_drops(), 1);
    // An MTU the buffers cannot hold is refused.
    assert!(matches!(dev.set_mtu(12000), Err(Error::Config(_))));
    assert_no_violations(&sim);
}

#[test]
fn statistics_accumulate_across_reads() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let mut dev = open(&sim, 0, small_config());
    let pool = dev.pool(0).unwrap().clone();
    let mut total = 0u64;
    let mut bytes = 0u64;
    for round in 0..5u32 {
        let mut out = Vec::new();
        for k in 0..20 {
            out.push(frame(&pool, 100, round * 100 + k).unwrap());
        }
        dev.tx_batch(0, &mut out).unwrap();
        sim.step();
        sim.step();
        let mut got = Vec::new();
        total += dev.rx_batch(0, &mut got, 64).unwrap() as u64;
        bytes += got.iter().map(|p| p.len() as u64).sum::<u64>();
        // Reading in between must not lose counts (the registers clear on read).
        let s = dev.stats();
        assert_eq!(s.rx_packets, total);
        assert_eq!(s.tx_packets, total);
    }
    let s = dev.stats().clone();
    assert_eq!(total, 100);
    assert_eq!(s.queues[0].sw.rx_bytes, bytes);
    assert_eq!(s.queues[0].hw.rx_packets, 100);
    // The card counts bytes with the 4-byte CRC.
    assert_eq!(s.rx_bytes, bytes + 4 * total, "GORC");
    assert_eq!(s.tx_bytes, s.rx_bytes, "GOTC = GORC over a loopback");
}
