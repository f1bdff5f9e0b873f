//! VLAN on the simulated card: filtering without pools (VFTA), strip on receive per queue
//! (RXDCTL.VME), insertion on transmit per pool (PFVMVIR), as Snabb intel_mp's vlan selftest.

mod steer_kit;
use driver_82599::filter::PoolSet;
use driver_82599::vlan::VlanInsert;
use driver_82599::vmdq::VmdqConfig;
use driver_82599::{Config, QueueDevice};
use steer_kit::*;

#[test]
fn vlan_filter_table_drops_other_vlans_and_keeps_untagged() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    rx.add_vlan(7, PoolSet::NONE).unwrap();
    rx.add_vlan(4095, PoolSet::NONE).unwrap();
    rx.set_vlan_filter(true).unwrap();
    let frames = [
        frame(BCAST, Some(7), 0),
        frame(BCAST, Some(8), 1),
        frame(BCAST, Some(0xE000 | 4095), 2), // priority bits do not matter
        frame(BCAST, None, 3),
    ];
    send(&sim, &mut tx, &frames);
    let got = landed(&drain(&mut rx));
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), [0, 2, 3]);
    rx.remove_vlan(7).unwrap();
    send(&sim, &mut tx, &[frame(BCAST, Some(7), 4)]);
    assert!(drain(&mut rx).is_empty());
    // Filtering off again: every VLAN passes.
    rx.set_vlan_filter(false).unwrap();
    send(&sim, &mut tx, &[frame(BCAST, Some(8), 5)]);
    assert_eq!(
        landed(&drain(&mut rx)).keys().copied().collect::<Vec<_>>(),
        [5]
    );
    assert_no_violations(&sim);
}

#[test]
fn vlan_strip_takes_the_tag_out_on_the_queues_that_ask() {
    let sim = sim2();
    let rxc = Config {
        rx_queues: 2,
        ..cfg()
    };
    let (mut tx, mut rx) = pair(&sim, rxc);
    // Broadcast frames without IP go to queue 0 under RSS; strip there only.
    rx.set_vlan_strip(0, true).unwrap();
    send(
        &sim,
        &mut tx,
        &[frame(BCAST, Some(0x2064), 0), frame(BCAST, None, 1)],
    );
    let got = drain(&mut rx);
    let q0 = &got[&0];
    assert_eq!(q0[0], frame(BCAST, None, 0)[..q0[0].len()].to_vec());
    assert_eq!(q0[0].len(), 60 - 4, "the 4 tag bytes are gone");
    assert_eq!(q0[1], frame(BCAST, None, 1));
    // Off again: the tag stays in the frame.
    rx.set_vlan_strip(0, false).unwrap();
    send(&sim, &mut tx, &[frame(BCAST, Some(0x2064), 2)]);
    assert_eq!(drain(&mut rx)[&0][0], frame(BCAST, Some(0x2064), 2));
    assert!(rx.set_vlan_strip(2, true).is_err());
    assert_no_violations(&sim);
}

#[test]
fn vlan_insert_tags_every_frame_of_a_pool() {
    let sim = sim2();
    // The sender has pools: its queue 0 is pool 0's.
    let txc = Config {
        rx_queues: 2,
        tx_queues: 2,
        vmdq: Some(VmdqConfig::default()),
        ..cfg()
    };
    let mut tx = driver_82599::Device::new(sim.port(0), sim.dma(), txc).unwrap();
    let mut rx = driver_82599::Device::new(sim.port(1), sim.dma(), cfg()).unwrap();
    tx.set_pool_vlan_insert(0, VlanInsert::Always(0x6000 | 42))
        .unwrap();
    send(&sim, &mut tx, &[frame(BCAST, None, 0)]);
    let got = drain(&mut rx);
    let f = &got[&0][0];
    // The sent frame with 0x8100 0x602A after the addresses: 4 bytes longer.
    let mut want = frame(BCAST, None, 0);
    want.splice(12..12, [0x81, 0x00, 0x60, 42]);
    assert_eq!(f, &want);
    tx.set_pool_vlan_insert(0, VlanInsert::Never).unwrap();
    send(&sim, &mut tx, &[frame(BCAST, None, 1)]);
    assert_eq!(drain(&mut rx)[&0][0], frame(BCAST, None, 1));
    assert!(tx.set_pool_vlan_insert(1, VlanInsert::Never).is_err());
    assert_no_violations(&sim);
}

#[test]
fn vlan_tag_and_rss_metadata_come_with_each_packet() {
    let sim = sim2();
    let rxc = Config {
        rx_queues: 2,
        ..cfg()
    };
    let (mut tx, mut rx) = pair(&sim, rxc);
    rx.set_vlan_strip(0, true).unwrap();
    rx.set_vlan_strip(1, true).unwrap();
    let mut frames = vec![frame(BCAST, Some(0x2064), 0), frame(BCAST, None, 1)];
    frames.push(steer_kit::udp_frame(BCAST, 4000, 2));
    send(&sim, &mut tx, &frames);
    let (mut out, mut meta) = (Vec::new(), Vec::new());
    for q in 0..2 {
        rx.rx_batch_meta(q, &mut out, &mut meta, 16).unwrap();
    }
    assert_eq!(out.len(), 3);
    assert_eq!(meta.len(), 3);
    let by_seq: std::collections::BTreeMap<u32, driver_82599::RxMeta> = out
        .iter()
        .zip(&meta)
        .map(|(p, m)| (seq_of(p).unwrap(), *m))
        .collect();
    assert_eq!(by_seq[&0].vlan, Some(0x2064), "the stripped tag");
    assert_eq!(by_seq[&1].vlan, None);
    // The UDP/IPv4 frame: RSS type 7 (UDP over IPv4), packet type IPv4 + UDP, a hash.
    let m = by_seq[&2];
    assert_eq!(m.rss_type, 7);
    assert_eq!(m.packet_type & 0x21, 0x21, "{:#x}", m.packet_type);
    assert_ne!(m.rss_hash, 0);
    assert_no_violations(&sim);
}
