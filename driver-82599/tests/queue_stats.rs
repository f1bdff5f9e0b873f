//! Per-queue counters (RQSMR/TQSM mapping to the 16 counter sets, 64-bit totals) and RSS over
//! 2 and 4 queues, as Snabb intel_mp's counter and rss selftests.

mod steer_kit;
use driver_82599::stats::QueueStatsMap;
use driver_82599::Config;
use steer_kit::*;

fn rss_over(queues: u16) {
    let sim = sim2();
    let (mut tx, mut rx) = pair(
        &sim,
        Config {
            rx_queues: queues,
            tx_queues: queues,
            ..cfg()
        },
    );
    let n = 400;
    let frames: Vec<_> = (0..n)
        .map(|i| udp_frame(BCAST, 2000 + i as u16, i))
        .collect();
    let got = exchange(&sim, &mut tx, &mut rx, &frames);
    assert_eq!(
        got.len(),
        usize::from(queues),
        "every queue gets flows: {:?}",
        got.keys()
    );
    let per: Vec<usize> = got.values().map(Vec::len).collect();
    assert_eq!(
        per.iter().sum::<usize>(),
        n as usize,
        "none lost or duplicated"
    );
    // Spread: no queue has less than half its share.
    let share = n as usize / usize::from(queues);
    assert!(per.iter().all(|&k| k > share / 2), "{per:?}");
    // The card's per-queue counters agree with what each queue delivered.
    let s = rx.stats().clone();
    for (q, k) in got.iter().map(|(&q, v)| (q, v.len())) {
        assert_eq!(s.queues[q].hw.rx_packets, k as u64, "queue {q}");
        assert_eq!(s.queues[q].sw.rx_packets, k as u64, "queue {q}");
    }
    assert_no_violations(&sim);
}

#[test]
fn rss_over_2_queues() {
    rss_over(2);
}

#[test]
fn rss_over_4_queues() {
    rss_over(4);
}

#[test]
fn per_queue_stats_follow_the_users_mapping() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(
        &sim,
        Config {
            rx_queues: 4,
            tx_queues: 4,
            ..cfg()
        },
    );
    // Receive queues 0, 1 count in set 5; 2, 3 in set 9. The sender's queue 0 in set 15.
    let map = QueueStatsMap {
        rx: vec![5, 5, 9, 9],
        tx: vec![0; 4],
    };
    rx.set_queue_stats_map(&map).unwrap();
    tx.set_queue_stats_map(&QueueStatsMap {
        rx: vec![0],
        tx: vec![15],
    })
    .unwrap();
    let frames: Vec<_> = (0..200)
        .map(|i| udp_frame(BCAST, 3000 + i as u16, i))
        .collect();
    let got = exchange(&sim, &mut tx, &mut rx, &frames);
    let k = |q: usize| got.get(&q).map_or(0, Vec::len) as u64;
    let bytes = |q: usize| {
        got.get(&q)
            .map_or(0, |v| v.iter().map(|f| f.len() as u64).sum::<u64>())
    };
    let s = rx.stats().clone();
    assert_eq!(s.counter_sets.len(), 16);
    assert_eq!(s.counter_sets[5].rx_packets, k(0) + k(1));
    assert_eq!(s.counter_sets[9].rx_packets, k(2) + k(3));
    assert_eq!(s.counter_sets[5].rx_bytes, bytes(0) + bytes(1));
    assert_eq!(s.counter_sets[0].rx_packets, 0);
    assert!(k(0) + k(1) > 0 && k(2) + k(3) > 0, "both sets used");
    assert_eq!(
        s.queues[2].hw.rx_packets,
        k(2) + k(3),
        "a queue shows its set's counts"
    );
    let t = tx.stats().clone();
    assert_eq!(t.counter_sets[15].tx_packets, 200);
    assert_eq!(t.counter_sets[0].tx_packets, 0);
    // Counts before a remap stay in the old sets.
    rx.set_queue_stats_map(&QueueStatsMap::identity(4, 4))
        .unwrap();
    send(&sim, &mut tx, &frames[..10]);
    drain(&mut rx);
    let s2 = rx.stats().clone();
    assert_eq!(s2.counter_sets[5].rx_packets, s.counter_sets[5].rx_packets);
    let new: u64 = (0..4).map(|i| s2.counter_sets[i].rx_packets).sum();
    assert_eq!(new, 10);
    // Bad mappings are refused before any register is written.
    let bad = QueueStatsMap {
        rx: vec![16],
        tx: vec![],
    };
    assert!(rx.set_queue_stats_map(&bad).is_err());
    let bad = QueueStatsMap {
        rx: vec![0; 5],
        tx: vec![],
    };
    assert!(rx.set_queue_stats_map(&bad).is_err());
    assert_no_violations(&sim);
}
