//! Two-port forwarding on the simulated card: a generator port feeds port A, the forwarder
//! moves every packet A -> B and B -> A without copying, a sink port checks what arrives.

mod common;
use common::*;
use driver_82599::Packet;
use driver_82599::QueueDevice;
use sim_82599::Wire;
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn forwards_both_ways_with_every_byte_intact() {
    let sim = strict_sim(4);
    // gen(2) <-> A(0)   B(1) <-> sink(3)
    sim.connect(Wire::Pair(2, 0)).unwrap();
    sim.connect(Wire::Pair(1, 3)).unwrap();
    let mut a = open(&sim, 0, small_config());
    let mut b = open(&sim, 1, small_config());
    let mut gen = open(&sim, 2, small_config());
    let mut sink = open(&sim, 3, small_config());
    let gpool = gen.pool(0).unwrap().clone();
    let spool = sink.pool(0).unwrap().clone();
    const N: u32 = 3000;
    let (mut sent_ab, mut sent_ba) = (0u32, 0u32);
    let (mut got_ab, mut got_ba) = (0u32, 0u32);
    let mut buf: Vec<Packet> = Vec::new();
    let mut rx: Vec<Packet> = Vec::new();
    let start = Instant::now();
    while got_ab < N || got_ba < N {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "stalled: {got_ab} {got_ba}"
        );
        // Generators: gen -> A, sink -> B (the reverse direction).
        for (dev, pool, sent, base) in [
            (&mut gen, &gpool, &mut sent_ab, 0u32),
            (&mut sink, &spool, &mut sent_ba, 1 << 24),
        ] {
            let mut out = Vec::new();
            while *sent + (out.len() as u32) < N && out.len() < 32 {
                let seq = base + *sent + out.len() as u32;
                match frame(pool, 60 + (seq as usize % 1400), seq) {
                    Some(p) => out.push(p),
                    None => break,
                }
            }
            *sent += dev.tx_batch(0, &mut out).unwrap() as u32;
        }
        sim.step();
        // The forwarder: A -> B and B -> A, zero copy, whatever does not fit is dropped.
        a.rx_batch(0, &mut buf, 32).unwrap();
        b.tx_batch(0, &mut buf).unwrap();
        buf.clear();
        b.rx_batch(0, &mut buf, 32).unwrap();
        a.tx_batch(0, &mut buf).unwrap();
        buf.clear();
        sim.step();
        // Checkers.
        for (dev, got, base) in [
            (&mut sink, &mut got_ab, 0u32),
            (&mut gen, &mut got_ba, 1 << 24),
        ] {
            dev.rx_batch(0, &mut rx, 64).unwrap();
            for p in rx.drain(..) {
                let seq = check(&p).expect("corrupted frame");
                assert_eq!(seq, base + *got, "lost or reordered");
                *got += 1;
            }
        }
    }
    let sa = a.stats().clone();
    let sb = b.stats().clone();
    assert_eq!(sa.rx_delivered(), u64::from(N));
    assert_eq!(sb.tx_queued(), u64::from(N));
    assert_eq!(sb.rx_delivered(), u64::from(N));
    assert_eq!(sa.tx_queued(), u64::from(N));
    assert_no_violations(&sim);
}

#[test]
fn queues_run_on_their_own_threads() {
    // Threaded simulation; each of 4 queue pairs is looped on its own thread.
    let sim = sim_82599::Sim::builder()
        .ports(1)
        .strict(true)
        .threaded(true)
        .build();
    sim.connect(Wire::Loopback(0)).unwrap();
    let cfg = driver_82599::Config {
        rx_queues: 4,
        tx_queues: 4,
        ..small_config()
    };
    let mut dev = open(&sim, 0, cfg);
    let mut handles = Vec::new();
    for q in 0..4 {
        let mut rxq = dev.take_rx_queue(q).unwrap();
        let mut txq = dev.take_tx_queue(q).unwrap();
        handles.push(thread::spawn(move || {
            let pool = rxq.pool().clone();
            let mut got = 0u32;
            let mut sent = 0u32;
            let mut rx = Vec::new();
            let start = Instant::now();
            // Each thread sends on its own TX queue; RSS puts the frames (all of one
            // non-IP flow) on RX queue 0, so count what this thread's RX queue sees.
            while sent < 500 {
                assert!(start.elapsed() < Duration::from_secs(30), "stalled");
                let mut out = Vec::new();
                if let Some(p) = frame(&pool, 100, (q as u32) << 16 | sent) {
                    out.push(p);
                }
                sent += txq.tx_batch(&mut out) as u32;
                got += rxq.rx_batch(&mut rx, 32) as u32;
                for p in rx.drain(..) {
                    check(&p).expect("corrupted frame");
                }
            }
            (sent, got, rxq, txq)
        }));
    }
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(results.iter().all(|r| r.0 == 500));
    assert!(dev.take_rx_queue(0).is_err(), "a taken queue is gone");
    // Drain what is still arriving; one RX queue took four senders' frames, so some may
    // have been dropped: every frame must be delivered or counted.
    let mut queues: Vec<_> = results.into_iter().map(|r| (r.1, r.2, r.3)).collect();
    let mut delivered: u64 = queues.iter().map(|q| u64::from(q.0)).sum();
    let start = Instant::now();
    let mut rx = Vec::new();
    loop {
        for q in queues.iter_mut() {
            delivered += q.1.rx_batch(&mut rx, 64) as u64;
            for p in rx.drain(..) {
                check(&p).expect("corrupted frame");
            }
        }
        let s = dev.stats().clone();
        assert_eq!(s.tx_queued(), 2000);
        assert_eq!(s.rx_delivered(), delivered);
        if delivered + s.rx_drops() == 2000 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "frames neither delivered nor counted: {delivered} + {} of 2000",
            s.rx_drops()
        );
        thread::sleep(Duration::from_millis(1));
    }
    drop(queues);
    assert_no_violations(&sim);
}
