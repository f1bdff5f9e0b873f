//! MAC filters without pools: receive addresses (RAL/RAH) and the multicast table (MTA),
//! added and removed at run time.

mod steer_kit;
use driver_82599::filter::PoolSet;
use driver_82599::Error;
use steer_kit::*;

const A: [u8; 6] = [0x02, 0, 0, 0, 0xAA, 0x01];
const M: [u8; 6] = [0x01, 0x00, 0x5E, 0x00, 0x12, 0x34];
const M2: [u8; 6] = [0x01, 0x00, 0x5E, 0x00, 0x56, 0x78];

#[test]
fn mac_filter_accepts_added_addresses_until_removed() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg());
    let own = rx.mac_addr();
    send(
        &sim,
        &mut tx,
        &[frame(A, None, 0), frame(own, None, 1), frame(M, None, 2)],
    );
    let got = landed(&drain(&mut rx));
    assert_eq!(
        got.keys().copied().collect::<Vec<_>>(),
        [1],
        "only the card's own address"
    );
    rx.add_mac(A, PoolSet::NONE).unwrap();
    rx.add_multicast(M).unwrap();
    send(
        &sim,
        &mut tx,
        &[frame(A, None, 3), frame(M, None, 4), frame(M2, None, 5)],
    );
    let got = landed(&drain(&mut rx));
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), [3, 4]);
    rx.remove_mac(A).unwrap();
    rx.remove_multicast(M).unwrap();
    send(&sim, &mut tx, &[frame(A, None, 6), frame(M, None, 7)]);
    assert!(drain(&mut rx).is_empty());
    assert!(matches!(
        rx.remove_multicast(M),
        Err(Error::NoSuchFilter(_))
    ));
    assert!(rx.add_multicast(A).is_err(), "not a multicast address");
    assert!(rx.add_mac(A, PoolSet::one(0)).is_err(), "pools are off");
    assert_no_violations(&sim);
}
