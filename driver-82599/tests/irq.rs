//! Receive interrupts on the simulated card: a vector fires only when its queue is mapped
//! (IVAR) and it is unmasked (EIMS), once per arming (auto-mask), within EITR moderation;
//! `rx_wait` returns on a packet and times out without one; the NAPI loop sleeps when idle
//! and only polls under load.

mod common;
use common::*;
use driver_82599::irq::{IrqConfig, Napi};
use driver_82599::regs::IVAR;
use driver_82599::{Config, Device, Packet, QueueDevice};
use pci_dma::EventFd;
use sim_82599::{Port, Rule, Sim, Wire};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A looped-back port with receive interrupts bound to eventfds (the test's duplicates).
fn setup(sim: &Sim, cfg: Config, irq: IrqConfig) -> Device<Port> {
    sim.connect(Wire::Loopback(0)).unwrap();
    let mut dev = open(sim, 0, cfg);
    dev.enable_rx_interrupts(&irq).unwrap();
    for (v, fd) in dev.msix_fds() {
        sim.set_msix(0, v as usize, Some(fd)).unwrap();
    }
    dev
}

fn send(dev: &mut Device<Port>, q: usize, n: usize) {
    let pool = dev.pool(q).unwrap().clone();
    let mut out: Vec<Packet> = (0..n as u32)
        .map(|s| frame(&pool, 60, s).unwrap())
        .collect();
    for p in out.iter_mut() {
        p[..6].fill(0xFF);
    }
    assert_eq!(dev.tx_batch(q, &mut out).unwrap(), n);
}

fn drain(dev: &mut Device<Port>, q: usize) -> usize {
    let mut got = Vec::new();
    dev.rx_batch(q, &mut got, 64).unwrap();
    got.len()
}

fn fired(sim: &Sim) -> u64 {
    sim.msix_count(0, 0).unwrap()
}

#[test]
fn a_masked_vector_sends_nothing_until_armed_then_once() {
    let sim = strict_sim(1);
    let mut dev = setup(&sim, small_config(), IrqConfig::default());
    let fd = dev.rx_irq(0).unwrap();
    send(&mut dev, 0, 1);
    sim.step();
    // Written back, but the vector is masked: the cause waits in EICR.
    assert_eq!(fired(&sim), 0);
    assert_eq!(fd.event_fd().take().unwrap(), 0);
    // Arming with the cause set sends the message at once.
    dev.rx_arm(0).unwrap();
    assert_eq!(fired(&sim), 1);
    assert_eq!(fd.event_fd().take().unwrap(), 1);
    assert_eq!(drain(&mut dev, 0), 1);
    // Auto-mask: the next frame does not interrupt until re-armed.
    send(&mut dev, 0, 1);
    sim.step();
    assert_eq!(fired(&sim), 1);
    dev.rx_arm(0).unwrap();
    assert_eq!(fired(&sim), 2);
    // Auto-clear: the cause went with the message, so arming again sends nothing.
    assert_eq!(drain(&mut dev, 0), 1);
    dev.rx_arm(0).unwrap();
    assert_eq!(fired(&sim), 2);
    // Armed and idle, the next write-back interrupts on its own.
    send(&mut dev, 0, 1);
    sim.step();
    assert_eq!(fired(&sim), 3);
    assert_eq!(fd.event_fd().take().unwrap(), 2);
    assert_no_violations(&sim);
}

#[test]
fn an_unmapped_queue_raises_no_vector() {
    let sim = strict_sim(1);
    let mut dev = setup(&sim, small_config(), IrqConfig::default());
    // IVAR[0] entry of queue 0 not valid: its write-backs have no cause.
    dev.regs().IVAR().at(0).write(IVAR::INT_ALLOC0.val(0));
    dev.rx_arm(0).unwrap();
    send(&mut dev, 0, 3);
    sim.step();
    assert_eq!(drain(&mut dev, 0), 3);
    assert_eq!(fired(&sim), 0);
    assert_eq!(dev.rx_irq(0).unwrap().event_fd().take().unwrap(), 0);
    assert_no_violations(&sim);
}

#[test]
fn each_queue_raises_its_own_vector() {
    let sim = strict_sim(1);
    let cfg = Config {
        rx_queues: 2,
        tx_queues: 2,
        ..small_config()
    };
    let mut dev = setup(&sim, cfg, IrqConfig::default());
    dev.rx_arm(0).unwrap();
    dev.rx_arm(1).unwrap();
    // Queue 1 transmits, but everything is received on queue 0 (no RSS): vector 0 only.
    send(&mut dev, 1, 1);
    sim.step();
    assert_eq!(sim.msix_count(0, 0).unwrap(), 1);
    assert_eq!(sim.msix_count(0, 1).unwrap(), 0);
    assert_eq!(dev.rx_irq(1).unwrap().event_fd().take().unwrap(), 0);
    assert_no_violations(&sim);
}

#[test]
fn moderation_holds_the_next_message_for_the_eitr_interval() {
    let sim = Arc::new(
        Sim::builder()
            .strict(true)
            .threaded(false)
            .manual_clock(true)
            .reset_delay(Duration::from_micros(10))
            .link_delay(Duration::from_micros(10))
            .build(),
    );
    // The clock runs on its own only while the device comes up.
    let mut dev = with_clock_running(&sim, || {
        setup(&sim, small_config(), IrqConfig { moderation_us: 100 })
    });
    sim.advance(Duration::from_millis(1)).unwrap();
    dev.rx_arm(0).unwrap();
    send(&mut dev, 0, 1);
    sim.step();
    assert_eq!(fired(&sim), 1, "the first message is not held");
    assert_eq!(drain(&mut dev, 0), 1);
    dev.rx_arm(0).unwrap();
    send(&mut dev, 0, 1);
    sim.step();
    assert_eq!(fired(&sim), 1, "held: within 100 us of the last message");
    sim.advance(Duration::from_micros(90)).unwrap();
    sim.step();
    assert_eq!(fired(&sim), 1, "still held at 90 us");
    sim.advance(Duration::from_micros(20)).unwrap();
    sim.step();
    assert_eq!(fired(&sim), 2, "sent once the interval ended");
    assert_no_violations(&sim);
}

#[test]
fn rx_wait_returns_on_a_packet_and_times_out_without() {
    let sim = Sim::builder().strict(true).threaded(true).build();
    let mut dev = setup(&sim, small_config(), IrqConfig::default());
    let t = Instant::now();
    assert!(!dev.rx_wait(0, Duration::from_millis(30)).unwrap());
    assert!(t.elapsed() >= Duration::from_millis(30), "returned early");
    // A packet sent from another thread, after the waiter went to sleep.
    let pool = dev.pool(0).unwrap().clone();
    let mut txq = dev.take_tx_queue(0).unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let mut p = frame(&pool, 60, 7).unwrap();
        p[..6].fill(0xFF);
        let mut v = vec![p];
        txq.tx_batch(&mut v);
        txq
    });
    let t = Instant::now();
    assert!(dev.rx_wait(0, Duration::from_secs(10)).unwrap());
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(drain(&mut dev, 0), 1);
    assert!(sim.msix_count(0, 0).unwrap() >= 1, "woken by the vector");
    drop(sender.join().unwrap());
    assert_no_violations(&sim);
}

#[test]
fn napi_sleeps_when_idle_and_polls_under_load() {
    let sim = Sim::builder().strict(true).threaded(true).build();
    let mut dev = setup(&sim, small_config(), IrqConfig::default());
    let mut napi = Napi::new(Duration::from_millis(5));
    napi.idle_polls = 4;
    let mut got = Vec::new();
    // Idle: four empty polls, then it sleeps (and times out: nothing comes).
    for _ in 0..6 {
        napi.rx(&mut dev, 0, &mut got, 32).unwrap();
    }
    let s = napi.stats();
    assert_eq!(s.polls, 6);
    assert_eq!(s.sleeps, 2);
    assert_eq!(s.timeouts, 2);
    assert!(napi.sleeping());
    // Load: frames waiting; the sleeping loop returns at once and then keeps polling.
    send(&mut dev, 0, 32);
    let before = napi.stats();
    let mut n = 0;
    while n < 32 {
        n += napi.rx(&mut dev, 0, &mut got, 8).unwrap();
        assert!(napi.stats().polls - before.polls < 10_000, "stalled at {n}");
    }
    let s = napi.stats();
    assert!(s.sleeps - before.sleeps <= 1, "slept under load: {s:?}");
    assert_eq!(
        s.timeouts, before.timeouts,
        "a wake-up with packets waiting timed out"
    );
    assert!(!napi.sleeping());
    assert_no_violations(&sim);
}

#[test]
fn strict_mode_flags_reserved_bits_and_unmodelled_vectors() {
    let sim = strict_sim(1);
    let dev = open(&sim, 0, small_config());
    let bus = dev.regs().bus();
    use regdsl_rt::{Bus, Site};
    bus.write32(0x00808, 1 << 31, Site::UNNAMED); // EICS bit 31
    bus.write32(0x00900, 0x80 | 20, Site::UNNAMED); // IVAR[0]: queue 0 -> vector 20
    let v = sim.take_violations();
    assert!(v
        .iter()
        .any(|v| v.rule == Rule::ReservedBits && v.register == "EICS"));
    assert!(v
        .iter()
        .any(|v| v.rule == Rule::Unmodelled && v.register == "IVAR"));
}

#[test]
fn eventfd_is_pollable_and_bad_settings_are_refused() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let mut dev = open(&sim, 0, small_config());
    assert!(
        dev.rx_wait(0, Duration::ZERO).is_err(),
        "no interrupts set up"
    );
    let e = dev
        .enable_rx_interrupts(&IrqConfig {
            moderation_us: 5000,
        })
        .unwrap_err();
    assert!(e.to_string().contains("EITR"), "{e}");
    dev.enable_rx_interrupts(&IrqConfig::default()).unwrap();
    assert!(sim.set_msix(0, 16, None).is_err());
    let irq = dev.rx_irq(0).unwrap();
    let mine = EventFd::new().unwrap();
    use std::os::fd::AsRawFd;
    assert!(irq.as_raw_fd() >= 0 && irq.as_raw_fd() != mine.as_raw_fd());
    assert!(dev.rx_irq(1).is_err());
}
