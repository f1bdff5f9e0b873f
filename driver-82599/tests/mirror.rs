//! Mirroring on the simulated card (datasheet 7.10.3.6; Snabb intel_mp's vmdq_mirror
//! selftest): pool, VLAN and uplink rules copy frames to a mirror pool; removing the rule
//! stops the copies.

mod steer_kit;
use driver_82599::filter::PoolSet;
use driver_82599::mirror::MirrorRule;
use driver_82599::vmdq::VmdqConfig;
use driver_82599::{Config, Error};
use steer_kit::*;

const A: [u8; 6] = [0x02, 0, 0, 0, 0xAA, 0x01];
const B: [u8; 6] = [0x02, 0, 0, 0, 0xBB, 0x02];

fn pools8() -> Config {
    Config {
        rx_queues: 8,
        tx_queues: 8,
        vmdq: Some(VmdqConfig::default()),
        ..cfg()
    }
}

#[test]
fn mirror_pool_copies_a_pools_frames() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools8());
    rx.add_mac(A, PoolSet::one(1)).unwrap();
    rx.add_mac(B, PoolSet::one(2)).unwrap();
    let rule = rx
        .add_mirror(&MirrorRule {
            to_pool: 3,
            pools: PoolSet::one(1),
            ..MirrorRule::default()
        })
        .unwrap();
    send(&sim, &mut tx, &[frame(A, None, 0), frame(B, None, 1)]);
    let got = landed(&drain(&mut rx));
    assert_eq!(got[&0], [2, 6], "pool 1's frame, and its copy in pool 3");
    assert_eq!(got[&1], [4], "pool 2 is not mirrored");
    rx.remove_mirror(rule).unwrap();
    send(&sim, &mut tx, &[frame(A, None, 2)]);
    assert_eq!(landed(&drain(&mut rx))[&2], [2]);
    assert!(matches!(
        rx.remove_mirror(rule),
        Err(Error::NoSuchFilter(_))
    ));
    assert_no_violations(&sim);
}

#[test]
fn mirror_uplink_copies_every_received_frame() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools8());
    rx.add_mac(A, PoolSet::one(1)).unwrap();
    rx.add_mirror(&MirrorRule {
        to_pool: 2,
        uplink: true,
        ..MirrorRule::default()
    })
    .unwrap();
    send(
        &sim,
        &mut tx,
        &[frame(A, None, 0), frame([0xFF; 6], None, 1)],
    );
    let got = landed(&drain(&mut rx));
    assert_eq!(got[&0], [2, 4]);
    // Broadcast goes to every pool anyway; the mirror pool gets one copy.
    assert_eq!(got[&1], [0, 2, 4, 6]);
    assert_no_violations(&sim);
}

#[test]
fn mirror_vlan_copies_one_vlans_frames() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools8());
    rx.add_mac(A, PoolSet::one(1)).unwrap();
    rx.add_vlan(10, PoolSet::one(1)).unwrap();
    rx.add_vlan(20, PoolSet::one(1)).unwrap();
    rx.set_vlan_filter(true).unwrap();
    rx.add_mirror(&MirrorRule {
        to_pool: 3,
        vlans: vec![20],
        ..MirrorRule::default()
    })
    .unwrap();
    send(
        &sim,
        &mut tx,
        &[frame(A, Some(10), 0), frame(A, Some(20), 1)],
    );
    let got = landed(&drain(&mut rx));
    assert_eq!(got[&0], [2]);
    assert_eq!(got[&1], [2, 6]);
    assert_no_violations(&sim);
}

#[test]
fn mirror_rules_are_checked_and_limited_to_four() {
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, pools8());
    let r = |to_pool, uplink| MirrorRule {
        to_pool,
        uplink,
        ..MirrorRule::default()
    };
    assert!(rx.add_mirror(&r(4, true)).is_err(), "pool 4 has no queues");
    assert!(rx.add_mirror(&r(1, false)).is_err(), "mirrors nothing");
    let vlan_without_filter = MirrorRule {
        to_pool: 1,
        vlans: vec![5],
        ..MirrorRule::default()
    };
    assert!(rx.add_mirror(&vlan_without_filter).is_err());
    for i in 0..4 {
        assert_eq!(rx.add_mirror(&r(1, true)).unwrap(), i);
    }
    assert!(matches!(
        rx.add_mirror(&r(1, true)),
        Err(Error::FilterFull { .. })
    ));
    // Without pools there is nothing to mirror to.
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, cfg());
    assert!(rx.add_mirror(&r(0, true)).is_err());
    assert_no_violations(&sim);
}

#[test]
fn mirror_downlink_copies_every_transmitted_frame() {
    let sim = sim2();
    // The sender has pools; pool 1 (queues 2, 3) gets a copy of what the port sends.
    let mut tx = driver_82599::Device::new(sim.port(0), sim.dma(), pools8()).unwrap();
    let promisc = Config {
        promisc: true,
        ..cfg()
    };
    let mut rx = driver_82599::Device::new(sim.port(1), sim.dma(), promisc).unwrap();
    tx.add_mirror(&MirrorRule {
        to_pool: 1,
        downlink: true,
        ..MirrorRule::default()
    })
    .unwrap();
    send(&sim, &mut tx, &[frame(B, None, 0), frame(B, None, 1)]);
    let copies = landed(&drain(&mut tx));
    assert_eq!(copies.keys().copied().collect::<Vec<_>>(), [0, 1]);
    assert!(copies.values().all(|q| q == &[2]), "{copies:?}");
    // And went out on the wire.
    let out = landed(&drain(&mut rx));
    assert_eq!(out.keys().copied().collect::<Vec<_>>(), [0, 1]);
    assert_no_violations(&sim);
}
