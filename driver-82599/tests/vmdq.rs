//! VMDq pools on the simulated card (Snabb intel_mp's vmdq selftests as they apply to the
//! 82599): steering by MAC, by MAC + VLAN, RSS inside pools, run-time address changes, and
//! the datasheet's programming order checked by the card in strict mode.

mod steer_kit;
use driver_82599::filter::PoolSet;
use driver_82599::vmdq::{PoolAccept, PoolLayout, VmdqConfig};
use driver_82599::{Config, Error};
use steer_kit::*;

const A: [u8; 6] = [0x02, 0, 0, 0, 0xAA, 0x01];
const B: [u8; 6] = [0x02, 0, 0, 0, 0xBB, 0x02];
const C: [u8; 6] = [0x02, 0, 0, 0, 0xCC, 0x03];
const UNKNOWN: [u8; 6] = [0x02, 0, 0, 0, 0xDD, 0x04];

fn pools(layout: PoolLayout, queues: u16, rss: bool) -> Config {
    Config {
        rx_queues: queues,
        tx_queues: queues,
        vmdq: Some(VmdqConfig {
            layout,
            rss,
            ..VmdqConfig::default()
        }),
        ..cfg()
    }
}

#[test]
fn vmdq_steers_by_mac_into_64_pools_of_2() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools(PoolLayout::Pools64x2, 8, false));
    rx.add_mac(A, PoolSet::one(1)).unwrap();
    rx.add_mac(B, PoolSet::one(2)).unwrap();
    rx.add_mac(C, PoolSet(0b1010)).unwrap(); // pools 1 and 3: replicated
    let frames = [
        frame(A, None, 0),
        frame(B, None, 1),
        frame(C, None, 2),
        frame(UNKNOWN, None, 3),
        frame(BCAST, None, 4),
    ];
    send(&sim, &mut tx, &frames);
    let got = landed(&drain(&mut rx));
    // A pool's frames arrive on its first queue (no RSS): pool p -> queue 2p.
    assert_eq!(got[&0], [2]);
    assert_eq!(got[&1], [4]);
    assert_eq!(got[&2], [2, 6]);
    // Not filtered in (not promiscuous): dropped, not sent to the default pool.
    assert!(!got.contains_key(&3), "{got:?}");
    // Broadcast: every pool accepts it (BAM at init), replicated to each.
    assert_eq!(got[&4], [0, 2, 4, 6]);
    assert_no_violations(&sim);
}

#[test]
fn vmdq_addresses_come_and_go_at_run_time() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools(PoolLayout::Pools64x2, 8, false));
    rx.add_mac(A, PoolSet::one(3)).unwrap();
    send(&sim, &mut tx, &[frame(A, None, 0)]);
    assert_eq!(landed(&drain(&mut rx))[&0], [6]);
    // Moved to pool 1: add there, take pool 3 off.
    rx.add_mac(A, PoolSet::one(1)).unwrap();
    rx.remove_mac_pools(A, PoolSet::one(3)).unwrap();
    send(&sim, &mut tx, &[frame(A, None, 1)]);
    assert_eq!(landed(&drain(&mut rx))[&1], [2]);
    // Removed: no longer received.
    rx.remove_mac(A).unwrap();
    send(&sim, &mut tx, &[frame(A, None, 2)]);
    assert!(drain(&mut rx).is_empty());
    assert!(matches!(rx.remove_mac(A), Err(Error::NoSuchFilter(_))));
    // Pool 1 off (PFVFRE): its frames are dropped.
    rx.add_mac(B, PoolSet::one(1)).unwrap();
    rx.set_pool_rx(1, false).unwrap();
    send(&sim, &mut tx, &[frame(B, None, 3)]);
    assert!(drain(&mut rx).is_empty());
    rx.set_pool_rx(1, true).unwrap();
    send(&sim, &mut tx, &[frame(B, None, 4)]);
    assert_eq!(landed(&drain(&mut rx))[&4], [2]);
    assert_no_violations(&sim);
}

#[test]
fn vmdq_default_pool_takes_what_matches_no_pool_when_promiscuous() {
    let sim = sim2();
    let mut c = pools(PoolLayout::Pools32x4, 8, false);
    c.promisc = true;
    c.vmdq.as_mut().unwrap().default_pool = Some(1);
    let (mut tx, mut rx) = pair(&sim, c);
    rx.add_mac(A, PoolSet::one(0)).unwrap();
    send(&sim, &mut tx, &[frame(A, None, 0), frame(UNKNOWN, None, 1)]);
    let got = landed(&drain(&mut rx));
    // 32 pools of 4: pool p -> queue 4p.
    assert_eq!(got[&0], [0]);
    assert_eq!(got[&1], [4]);
    assert_no_violations(&sim);
}

#[test]
fn vmdq_steers_by_mac_and_vlan() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools(PoolLayout::Pools64x2, 8, false));
    rx.add_mac(A, PoolSet(0b0110)).unwrap(); // pools 1 and 2
    rx.add_vlan(100, PoolSet::one(1)).unwrap();
    rx.add_vlan(200, PoolSet::one(2)).unwrap();
    rx.set_vlan_filter(true).unwrap();
    // Pool 2 takes no untagged frames.
    rx.set_pool_accept(
        2,
        PoolAccept {
            untagged: false,
            ..PoolAccept::default()
        },
    )
    .unwrap();
    let frames = [
        frame(A, Some(100), 0),
        frame(A, Some(200), 1),
        frame(A, Some(300), 2), // not in the VLAN filter table: dropped
        frame(A, None, 3),      // untagged: pools with AUPE only
        frame(B, Some(100), 4), // VLAN fine, address not: dropped
    ];
    send(&sim, &mut tx, &frames);
    let got = landed(&drain(&mut rx));
    assert_eq!(got[&0], [2]);
    assert_eq!(got[&1], [4]);
    assert!(!got.contains_key(&2), "{got:?}");
    assert_eq!(got[&3], [2]);
    assert!(!got.contains_key(&4), "{got:?}");
    // VLAN 200 removed at run time: its frames are now filtered out.
    rx.remove_vlan(200).unwrap();
    send(&sim, &mut tx, &[frame(A, Some(200), 5)]);
    assert!(drain(&mut rx).is_empty());
    assert_no_violations(&sim);
}

#[test]
fn vmdq_rss_spreads_a_pools_flows_over_its_4_queues() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools(PoolLayout::Pools32x4, 8, true));
    rx.add_mac(A, PoolSet::one(1)).unwrap();
    let frames: Vec<_> = (0..200).map(|i| udp_frame(A, 1000 + i as u16, i)).collect();
    send(&sim, &mut tx, &frames);
    let got = drain(&mut rx);
    let queues: Vec<usize> = got.keys().copied().collect();
    assert_eq!(queues, [4, 5, 6, 7], "pool 1's queues, each used");
    assert_eq!(got.values().map(Vec::len).sum::<usize>(), 200);
    assert_no_violations(&sim);
}

#[test]
fn vmdq_rss_spreads_a_pools_flows_over_its_2_queues() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, pools(PoolLayout::Pools64x2, 8, true));
    rx.add_mac(A, PoolSet::one(2)).unwrap();
    let frames: Vec<_> = (0..100).map(|i| udp_frame(A, 1000 + i as u16, i)).collect();
    send(&sim, &mut tx, &frames);
    let got = drain(&mut rx);
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), [4, 5]);
    assert_eq!(got.values().map(Vec::len).sum::<usize>(), 100);
    assert_no_violations(&sim);
}

#[test]
fn vmdq_configuration_is_checked_before_the_card_is_touched() {
    let bad = |c: Config| {
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("invalid configuration"), "{e}");
        e
    };
    assert!(bad(pools(PoolLayout::Pools32x4, 6, false)).contains("multiple of 4"));
    let mut c = pools(PoolLayout::Pools64x2, 4, false);
    c.vmdq.as_mut().unwrap().default_pool = Some(2);
    assert!(bad(c).contains("default_pool = 2"));
    let mut c = pools(PoolLayout::Pools64x2, 4, false);
    c.tx_queues = 2;
    assert!(bad(c).contains("tx_queues"));
    // Filters name pools that exist.
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, pools(PoolLayout::Pools64x2, 4, false));
    assert!(rx.add_mac(A, PoolSet::one(5)).is_err());
    assert!(rx.add_mac(A, PoolSet::NONE).is_err());
    assert!(rx.add_vlan(4096, PoolSet::one(0)).is_err());
    // The table is full after 127 addresses (entry 0 is the card's own).
    for i in 0..127u8 {
        rx.add_mac([0x02, 1, 0, 0, 0, i], PoolSet::one(0)).unwrap();
    }
    assert!(matches!(
        rx.add_mac([0x02, 2, 0, 0, 0, 0], PoolSet::one(0)),
        Err(Error::FilterFull { .. })
    ));
    assert_no_violations(&sim);
}

#[test]
fn vmdq_strict_card_flags_an_address_made_valid_before_its_pool() {
    use driver_82599::regs::*;
    let sim = sim2();
    let (_tx, rx) = pair(&sim, pools(PoolLayout::Pools64x2, 4, false));
    // The wrong order by hand: RAH.AV before MPSAR.
    rx.regs().RAL().at(5).write(0x0000_0002u32);
    rx.regs()
        .RAH()
        .at(5)
        .write(RAH::ADDRH.val(0x1234) | RAH::AV);
    let v = sim.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, sim_82599::Rule::AddressWithoutPool);
    // And the queuing mode changed under receive.
    rx.regs().MRQC().write(MRQC::MRQE::RSS);
    assert_eq!(
        sim.violations()[1].rule,
        sim_82599::Rule::PoolModeChangedWhileRxEnabled
    );
    // MTQC with the transmit arbiter running.
    rx.regs().MTQC().write(0u32);
    assert_eq!(
        sim.violations()[2].rule,
        sim_82599::Rule::TxSetupWithArbiterOn
    );
}

#[test]
fn vmdq_strict_card_allows_either_order_with_receive_off() {
    // The order matters only while frames can arrive: with receive off, RAH.AV before MPSAR
    // is fine (Snabb's intel_mp writes them in that order).
    use driver_82599::regs::*;
    let sim = sim2();
    let (_tx, rx) = pair(&sim, pools(PoolLayout::Pools64x2, 4, false));
    rx.regs().RXCTRL().write(0u32);
    rx.regs().RAL().at(6).write(0x0000_0003u32);
    rx.regs()
        .RAH()
        .at(6)
        .write(RAH::ADDRH.val(0x1234) | RAH::AV);
    rx.regs().MPSAR_LO().at(6).write(1u32);
    assert_no_violations(&sim);
}
