//! Flow Director statistics on the simulated card (datasheet 8.2.3.21.10-15): matches and
//! misses of a known traffic mix, filters added and removed, free filters, the longest
//! bucket, failed adds and removes; totals kept across the card's clear-on-read registers.

mod steer_kit;
use driver_82599::fdir::{bucket_hash, FdirStats, Flow, HASH_KEY};
use driver_82599::{Device, Error};
use sim_82599::Port;
use std::collections::HashMap;
use steer_kit::*;

/// Perfect filters in 64 KB (FDIRCTRL.PBALLOC = 64 KB: 2 K - 2).
const PERFECT_64K: u32 = 2046;

/// `n` frames of the flow with source port `sport`, numbered from `seq`.
fn frames(sport: u16, n: u32, seq: u32) -> Vec<Vec<u8>> {
    (0..n).map(|i| udp_frame(BCAST, sport, seq + i)).collect()
}

/// The statistics register at `offset`, read through the bus (a read clears it).
fn raw(rx: &Device<Port>, offset: usize) -> u32 {
    regdsl_rt::Bus::read32(rx.regs().bus(), offset, regdsl_rt::Site::UNNAMED)
}

#[test]
fn fdir_stats_count_a_known_traffic_mix() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    assert_eq!(
        rx.fdir_stats(),
        Some(FdirStats {
            free: PERFECT_64K,
            ..FdirStats::default()
        }),
        "an empty table: every filter free, nothing counted"
    );
    // Three filters; then flow 1 again to another queue: a change, not a new filter.
    for (sport, q) in [(1000, 1), (1001, 2), (1002, 1)] {
        rx.add_fdir(flow(sport), Some(q)).unwrap();
    }
    rx.add_fdir(flow(1000), Some(2)).unwrap();
    // 5 frames of flow 1000, 3 of 1001, 7 of unfiltered flows, 4 that are not IP (not looked
    // up at all).
    let mut mix = frames(1000, 5, 0);
    mix.extend(frames(1001, 3, 100));
    mix.extend((0..7).map(|i| udp_frame(BCAST, 2000 + i, 200 + u32::from(i))));
    mix.extend((0..4).map(|i| frame(BCAST, None, 300 + i)));
    let got = exchange(&sim, &mut tx, &mut rx, &mix);
    assert_eq!(got.values().map(Vec::len).sum::<usize>(), mix.len());
    assert!(got[&2].len() >= 8, "flows 1000 and 1001 on queue 2");
    let first = rx.fdir_stats().unwrap();
    assert_eq!(
        first,
        FdirStats {
            matches: 8,
            misses: 7,
            adds: 3,
            removes: 0,
            free: PERFECT_64K - 3,
            max_bucket_len: 1,
            max_bucket_hash: bucket_hash(HASH_KEY, &flow(1000)) & 0x7FF,
            ..FdirStats::default()
        }
    );
    // The card's registers were consumed by that read: read again, they hold nothing.
    assert_eq!(raw(&rx, 0x0EE50), 0, "FDIRUSTAT cleared by reading");
    assert_eq!(raw(&rx, 0x0EE4C), 0, "FDIRLEN cleared by reading");
    assert_eq!(raw(&rx, 0x0EE58), 0, "FDIRMATCH cleared by reading");
    // FDIRFREE is not: it reads the same twice.
    assert_eq!(raw(&rx, 0x0EE38), PERFECT_64K - 3);
    assert_eq!(raw(&rx, 0x0EE38), PERFECT_64K - 3);
    // Flow 1001 removed: its 2 frames now miss. A fourth filter added. The totals go on
    // from the first read.
    rx.remove_fdir(flow(1001)).unwrap();
    rx.add_fdir(flow(1003), Some(3)).unwrap();
    let mut more = frames(1001, 2, 400);
    more.extend(frames(1002, 4, 500));
    exchange(&sim, &mut tx, &mut rx, &more);
    let s = rx.stats().fdir.unwrap();
    assert_eq!(
        (s.matches, s.misses, s.adds, s.removes, s.free),
        (12, 9, 4, 1, PERFECT_64K - 3)
    );
    assert_eq!((s.failed_adds, s.failed_removes, s.collisions), (0, 0, 0));
    assert_no_violations(&sim);
}

#[test]
fn fdir_stats_are_none_without_flow_director() {
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, cfg());
    assert_eq!(rx.fdir_stats(), None);
    assert_eq!(rx.stats().fdir, None);
}

/// Every filter's bucket (11 bits for 64 KB of perfect filters): the longest bucket the
/// adds made and the first bucket to reach that length.
fn longest_bucket(flows: &[Flow]) -> (u32, u32) {
    let mut n: HashMap<u32, u32> = HashMap::new();
    let (mut len, mut hash) = (0, 0);
    for f in flows {
        let b = bucket_hash(HASH_KEY, f) & 0x7FF;
        let c = n.entry(b).or_default();
        *c += 1;
        if *c > len {
            (len, hash) = (*c, b);
        }
    }
    (len, hash)
}

#[test]
fn fdir_stats_fill_the_table_and_count_failed_commands() {
    use driver_82599::regs::*;
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, cfg4());
    // Fill the table, reading the statistics on the way (the card's ADD field is cleared
    // by each read; the totals carry on).
    let flows: Vec<Flow> = (0..PERFECT_64K as u16).map(|i| flow(10_000 + i)).collect();
    for (i, f) in flows.iter().enumerate() {
        rx.add_fdir(*f, Some(1)).unwrap();
        if i % 500 == 0 {
            rx.fdir_stats();
        }
    }
    let s = rx.fdir_stats().unwrap();
    assert_eq!((s.adds, s.free), (u64::from(PERFECT_64K), 0));
    // The buckets the driver's hash chose: 2046 filters in 2048 buckets share some.
    let (len, hash) = longest_bucket(&flows);
    assert!(len >= 2, "{len}");
    assert_eq!((s.max_bucket_len, s.max_bucket_hash), (len, hash));
    // The driver refuses one more, without a command.
    assert!(matches!(
        rx.add_fdir(flow(9_000), Some(1)),
        Err(Error::FilterFull { capacity: 2046, .. })
    ));
    assert_eq!(rx.fdir_stats().unwrap().failed_adds, 0);
    assert_no_violations(&sim);
    // A command the driver would never give: an add to the full table, by hand (the
    // registers of a filter the table does not hold), then a remove of that filter.
    let r = rx.regs();
    r.FDIRIPSA().write(FDIRIPSA::IP.val(0x0100_000A));
    r.FDIRIPDA().write(FDIRIPDA::IP.val(0x0200_000A));
    r.FDIRPORT()
        .write(FDIRPORT::SOURCE.val(9_000) | FDIRPORT::DESTINATION.val(12345));
    let h = bucket_hash(HASH_KEY, &flow(9_000));
    r.FDIRHASH()
        .write(FDIRHASH::HASH.val(h) | FDIRHASH::SW_INDEX.val(4000));
    r.FDIRCMD().write(
        FDIRCMD::CMD::ADD | FDIRCMD::L4TYPE::UDP | FDIRCMD::QUEUE_EN | FDIRCMD::RX_QUEUE.val(1),
    );
    r.FDIRCMD()
        .write(FDIRCMD::CMD::REMOVE | FDIRCMD::L4TYPE::UDP);
    let v = sim.violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v
        .iter()
        .all(|v| v.rule == sim_82599::Rule::FdirCommandFailed));
    assert!(v[0].detail.contains("full"), "{}", v[0].detail);
    let s = rx.fdir_stats().unwrap();
    assert_eq!(
        (s.adds, s.removes, s.failed_adds, s.failed_removes, s.free),
        (u64::from(PERFECT_64K), 0, 1, 1, 0)
    );
    // Every filter removed: all free again, each remove counted.
    for f in &flows {
        rx.remove_fdir(*f).unwrap();
    }
    let s = rx.fdir_stats().unwrap();
    assert_eq!((s.removes, s.free), (u64::from(PERFECT_64K), PERFECT_64K));
}
