//! Interrupts on the simulated card: a vector fires only when its queue is mapped (IVAR) and
//! it is unmasked (EIMS_EX), once per arming (auto-mask), within EITR moderation; `rx_wait`
//! returns on a packet and times out without one; the NAPI loop sleeps when idle and only
//! polls under load; queues past 15 (a 64-queue pool device) have their own vectors; a
//! transmit queue's completions raise its vector; the link interrupt reports link changes.

mod common;
use common::*;
use driver_82599::filter::PoolSet;
use driver_82599::irq::{IrqConfig, Napi};
use driver_82599::regs::{EICR, EIMC_EX, EIMS, EIMS_EX, IVAR};
use driver_82599::vmdq::{PoolLayout, VmdqConfig};
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
fn strict_mode_flags_reserved_bits_and_vectors_armed_through_eims() {
    let sim = strict_sim(1);
    let mut dev = open(&sim, 0, small_config());
    let bus = dev.regs().bus();
    use regdsl_rt::{Bus, Site};
    bus.write32(0x00808, 1 << 31, Site::UNNAMED); // EICS bit 31
    bus.write32(0x00900, 0x80 | 20, Site::UNNAMED); // IVAR[0]: queue 0 -> vector 20 (legal)
    let v = sim.take_violations();
    assert!(v
        .iter()
        .any(|v| v.rule == Rule::ReservedBits && v.register == "EICS"));
    assert_eq!(v.len(), 1, "{v:?}");
    // In MSI-X mode, "vector 20" written to EIMS enables LSC, which no vector carries.
    dev.enable_rx_interrupts(&IrqConfig::default()).unwrap();
    dev.regs().EIMS().write(EIMS::INTERRUPT_ENABLE.val(1 << 20));
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].rule, v[0].register.as_str()),
        (Rule::CauseWithoutVector, "EIMS")
    );
    // Through EIMS_EX it is vector 20: no rule.
    dev.regs()
        .EIMS_EX()
        .at(0)
        .write(EIMS_EX::INTERRUPT_ENABLE.val(1 << 20));
    assert_no_violations(&sim);
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
    assert!(sim.set_msix(0, 63, None).is_ok() && sim.set_msix(0, 64, None).is_err());
    let irq = dev.rx_irq(0).unwrap();
    let mine = EventFd::new().unwrap();
    use std::os::fd::AsRawFd;
    assert!(irq.as_raw_fd() >= 0 && irq.as_raw_fd() != mine.as_raw_fd());
    assert!(dev.rx_irq(1).is_err());
}

const A: [u8; 6] = [0x02, 0, 0, 0, 0xAA, 0x01];

/// 32 pools of 2 queues, 64 queues: pool `p` receives on queue `2p` (no RSS).
fn pools64() -> Config {
    Config {
        rx_queues: 64,
        tx_queues: 64,
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 128,
        promisc: false,
        vmdq: Some(VmdqConfig {
            layout: PoolLayout::Pools64x2,
            ..VmdqConfig::default()
        }),
        ..small_config()
    }
}

/// `n` frames to `dst` from transmit queue `q`.
fn send_to(dev: &mut Device<Port>, q: usize, dst: [u8; 6], n: usize) {
    let pool = dev.pool(q).unwrap().clone();
    let mut out: Vec<Packet> = (0..n as u32)
        .map(|s| {
            let mut p = frame(&pool, 60, s).unwrap();
            p[..6].copy_from_slice(&dst);
            p
        })
        .collect();
    assert_eq!(dev.tx_batch(q, &mut out).unwrap(), n);
}

fn all_fired(sim: &Sim) -> u64 {
    (0..64).map(|v| sim.msix_count(0, v).unwrap()).sum()
}

#[test]
fn queue_40_raises_vector_40_through_the_ex_registers() {
    let sim = strict_sim(1);
    let mut dev = setup(&sim, pools64(), IrqConfig::default());
    assert_eq!(dev.msix_fds().len(), 64, "one vector per queue");
    dev.add_mac(A, PoolSet::one(20)).unwrap(); // pool 20: queues 40 and 41
    let irq = dev.rx_irq(40).unwrap();
    assert_eq!((irq.queue(), irq.vector()), (40, 40));
    // Masked: the frame lands on queue 40 without a message.
    send_to(&mut dev, 0, A, 1);
    sim.step();
    assert_eq!(all_fired(&sim), 0);
    // Armed (EIMS_EX[1] bit 8) with the cause set: vector 40's message at once, no other.
    dev.rx_arm(40).unwrap();
    assert_eq!(sim.msix_count(0, 40).unwrap(), 1);
    assert_eq!(all_fired(&sim), 1);
    assert_eq!(irq.event_fd().take().unwrap(), 1);
    assert_eq!(drain(&mut dev, 40), 1);
    // Auto-mask (EIAM_EX): the next frame sends nothing until re-armed.
    send_to(&mut dev, 0, A, 1);
    sim.step();
    assert_eq!(sim.msix_count(0, 40).unwrap(), 1);
    dev.rx_arm(40).unwrap();
    assert_eq!(sim.msix_count(0, 40).unwrap(), 2);
    // Auto-clear (vectors 16..63): the cause went with the message; arming sends nothing.
    assert_eq!(drain(&mut dev, 40), 1);
    dev.rx_arm(40).unwrap();
    assert_eq!(sim.msix_count(0, 40).unwrap(), 2);
    // Masked again (EIMC_EX): a frame sends nothing.
    irq.disarm();
    send_to(&mut dev, 0, A, 1);
    sim.step();
    assert_eq!(sim.msix_count(0, 40).unwrap(), 2);
    assert_eq!(drain(&mut dev, 40), 1);
    assert_eq!(all_fired(&sim), 2);
    // Every vector is a queue's: none is left for the link.
    let e = dev.enable_link_interrupt().err().expect("no free vector");
    assert!(e.to_string().contains("64"), "{e}");
    // Stopping masks vectors 16..63 too (EIMC_EX), not only EIMC's 0..15.
    dev.rx_arm(41).unwrap();
    dev.rx_arm(3).unwrap();
    let ex = |dev: &Device<Port>, i| dev.regs().EIMS_EX().at(i).read().bits();
    assert_eq!((ex(&dev, 0), ex(&dev, 1)), (1 << 3, 1 << 9));
    dev.stop();
    assert_eq!((ex(&dev, 0), ex(&dev, 1)), (0, 0));
    assert_no_violations(&sim);
}

#[test]
fn rx_wait_on_queue_40_is_woken_by_its_interrupt() {
    let sim = Sim::builder().strict(true).threaded(true).build();
    let mut dev = setup(&sim, pools64(), IrqConfig::default());
    dev.add_mac(A, PoolSet::one(20)).unwrap();
    assert!(!dev.rx_wait(40, Duration::from_millis(20)).unwrap());
    let pool = dev.pool(0).unwrap().clone();
    let mut txq = dev.take_tx_queue(0).unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let mut p = frame(&pool, 60, 7).unwrap();
        p[..6].copy_from_slice(&A);
        let mut v = vec![p];
        txq.tx_batch(&mut v);
        txq
    });
    assert!(dev.rx_wait(40, Duration::from_secs(10)).unwrap());
    assert_eq!(drain(&mut dev, 40), 1);
    assert_eq!(sim.msix_count(0, 40).unwrap(), 1, "woken by vector 40");
    drop(sender.join().unwrap());
    assert_no_violations(&sim);
}

#[test]
fn a_transmit_queue_raises_its_vector_when_a_completion_is_written_back() {
    let sim = strict_sim(1);
    let mut dev = setup(&sim, small_config(), IrqConfig::default());
    let v = EventFd::new().unwrap();
    use std::os::fd::AsFd;
    sim.set_msix(0, 5, Some(v.as_fd())).unwrap();
    dev.regs()
        .EIMS_EX()
        .at(0)
        .write(EIMS_EX::INTERRUPT_ENABLE.val(1 << 5));
    // Not mapped: the completion (the send path asks for DD on each call's last descriptor)
    // raises no vector.
    send(&mut dev, 0, 8);
    sim.step();
    assert_eq!(sim.msix_count(0, 5).unwrap(), 0);
    // Transmit queue 0 -> vector 5 (IVAR[0].INT_ALLOC1): each written-back completion.
    dev.regs()
        .IVAR()
        .at(0)
        .modify(|r| r.with(IVAR::INT_ALLOC1.val(5)).set(IVAR::INT_ALLOC_VAL1));
    send(&mut dev, 0, 8);
    sim.step();
    assert_eq!(
        sim.msix_count(0, 5).unwrap(),
        1,
        "DD written back: the cause"
    );
    assert_eq!(v.take().unwrap(), 1);
    // Masked (EIMC_EX): the next completion waits; enabling sends it.
    dev.regs()
        .EIMC_EX()
        .at(0)
        .write(EIMC_EX::INTERRUPT_MASK.val(1 << 5));
    send(&mut dev, 0, 8);
    sim.step();
    assert_eq!(sim.msix_count(0, 5).unwrap(), 1);
    dev.regs()
        .EIMS_EX()
        .at(0)
        .write(EIMS_EX::INTERRUPT_ENABLE.val(1 << 5));
    assert_eq!(sim.msix_count(0, 5).unwrap(), 2);
    // The receive side's vector (0, masked) sent nothing.
    assert_eq!(sim.msix_count(0, 0).unwrap(), 0);
    assert_eq!(drain(&mut dev, 0), 24);
    assert_no_violations(&sim);
}

#[test]
fn the_link_interrupt_reports_each_link_change() {
    let sim = Sim::builder().strict(true).threaded(true).build();
    let mut dev = setup(&sim, small_config(), IrqConfig::default());
    let link = dev.enable_link_interrupt().unwrap();
    assert_eq!(link.vector(), 1, "the vector after the receive queue's");
    for (v, fd) in dev.msix_fds() {
        sim.set_msix(0, v as usize, Some(fd)).unwrap();
    }
    assert!(dev.link().up);
    assert!(
        !link.wait(Duration::from_millis(20)).unwrap(),
        "no change yet"
    );
    sim.inject(0, sim_82599::Fault::LinkNeverUp).unwrap();
    assert!(link.wait(Duration::from_secs(10)).unwrap());
    assert!(!dev.link().up);
    assert!(
        !dev.regs().EICR().read().is_set(EICR::LSC),
        "the wait acknowledged the change"
    );
    sim.clear_faults(0).unwrap();
    assert!(link.wait(Duration::from_secs(10)).unwrap());
    assert!(dev.link().up);
    assert!(!link.wait(Duration::from_millis(20)).unwrap());
    assert_eq!(sim.msix_count(0, 1).unwrap(), 2, "one message per change");
    assert_eq!(
        sim.msix_count(0, 0).unwrap(),
        0,
        "none on the queue's vector"
    );
    assert_eq!(dev.enable_link_interrupt().unwrap().vector(), 1);
    assert_no_violations(&sim);
}

#[test]
fn tx_wait_sleeps_until_the_card_completes_a_transmit() {
    let sim = strict_sim(1);
    // No promiscuous mode: frames to a foreign unicast MAC come back on the loopback but are
    // filtered, so only the transmit side can raise the queue pair's vector.
    let cfg = Config {
        promisc: false,
        ..small_config()
    };
    let mut dev = setup(&sim, cfg, IrqConfig::default());
    let e = dev.tx_wait(0, Duration::from_millis(1)).unwrap_err();
    assert!(e.to_string().contains("enable_tx_interrupts"), "{e}");
    dev.enable_tx_interrupts().unwrap();
    // IVAR[0].INT_ALLOC1: transmit queue 0 on vector 0, valid.
    let ivar = dev.regs().IVAR().at(0).read();
    assert_eq!(ivar.get(IVAR::INT_ALLOC1), 0);
    assert!(ivar.is_set(IVAR::INT_ALLOC_VAL1));
    // Nothing in flight: ready at once.
    assert!(dev.tx_wait(0, Duration::from_millis(1)).unwrap());
    send_to(&mut dev, 0, [0x02, 0, 0, 0, 0, 0x99], 8);
    // The card not stepped: nothing completes; the wait times out.
    assert!(!dev.tx_wait(0, Duration::from_millis(20)).unwrap());
    // The card steps 50 ms later, on another thread: the completion's message wakes the wait.
    let t = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            sim.step();
        });
        assert!(dev.tx_wait(0, Duration::from_secs(10)).unwrap());
    });
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(40) && waited < Duration::from_secs(5),
        "woken by the interrupt, not the timeout: {waited:?}"
    );
    assert_eq!(fired(&sim), 1, "one message, the completion's");
    assert_eq!(drain(&mut dev, 0), 0, "nothing was received");
    // Completed and not yet reclaimed: ready at once.
    assert!(dev.tx_wait(0, Duration::from_millis(1)).unwrap());
    assert_no_violations(&sim);
}

#[test]
fn napi_reclaims_transmit_completions_on_the_shared_vector() {
    // Frames to a foreign MAC, filtered on the way back in: only transmit completions raise
    // the queue pair's vector, and nothing is received.
    let sim = Sim::builder().strict(true).threaded(true).build();
    let cfg = Config {
        promisc: false,
        ..small_config()
    };
    let mut dev = setup(&sim, cfg, IrqConfig::default());
    dev.enable_tx_interrupts().unwrap();
    let pool = dev.pool(0).unwrap().clone();
    let free = pool.free_count();
    send_to(&mut dev, 0, [0x02, 0, 0, 0, 0, 0x99], 8);
    assert_eq!(pool.free_count(), free - 8);
    let mut napi = Napi::new(Duration::from_secs(5));
    napi.idle_polls = 1;
    let mut got = Vec::new();
    let t = Instant::now();
    // The sender sends nothing more: the loop alone gives the buffers back, woken by the
    // completions (or finding them done), never by its 5 s timeout.
    while dev.tx_queue(0).unwrap().in_flight() != 0 {
        napi.rx(&mut dev, 0, &mut got, 32).unwrap();
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "transmit never reclaimed: {:?}",
            napi.stats()
        );
    }
    let s = napi.stats();
    assert_eq!(s.tx_reclaimed, 8, "{s:?}");
    assert_eq!(s.timeouts, 0, "{s:?}");
    assert_eq!(pool.free_count(), free, "every buffer back in the pool");
    assert!(got.is_empty());
    assert_no_violations(&sim);
    // The control: without transmit interrupts the loop leaves the transmit ring to the send
    // path, and nothing else frees the completed descriptors.
    let sim = Sim::builder().strict(true).threaded(true).build();
    let cfg = Config {
        promisc: false,
        ..small_config()
    };
    let mut dev = setup(&sim, cfg, IrqConfig::default());
    send_to(&mut dev, 0, [0x02, 0, 0, 0, 0, 0x99], 8);
    let mut napi = Napi::new(Duration::from_millis(5));
    napi.idle_polls = 1;
    for _ in 0..4 {
        napi.rx(&mut dev, 0, &mut got, 32).unwrap();
    }
    assert_eq!(napi.stats().tx_reclaimed, 0);
    assert_eq!(dev.tx_queue(0).unwrap().in_flight(), 8);
    assert_no_violations(&sim);
}

#[test]
fn a_link_change_is_not_lost_while_the_card_thread_sends_a_queue_message() {
    // The card thread evaluates owed messages while the test thread injects the link change:
    // the card once stored its snapshot of owed causes back over the change's new bit, and
    // the link message was lost (about one run in ten: the crate's interrupt example failed
    // in CI). Fifty runs of the example's steps.
    for run in 0..50 {
        let sim = Sim::builder().strict(true).threaded(true).build();
        let mut dev = setup(&sim, small_config(), IrqConfig::default());
        let link = dev.enable_link_interrupt().unwrap();
        for (v, fd) in dev.msix_fds() {
            sim.set_msix(0, v as usize, Some(fd)).unwrap();
        }
        send(&mut dev, 0, 1);
        assert!(dev.rx_wait(0, Duration::from_secs(5)).unwrap(), "run {run}");
        let mut napi = Napi::new(Duration::from_millis(1));
        let mut got = Vec::new();
        assert_eq!(napi.rx(&mut dev, 0, &mut got, 32).unwrap(), 1, "run {run}");
        sim.inject(0, sim_82599::Fault::LinkNeverUp).unwrap();
        assert!(
            link.wait(Duration::from_secs(5)).unwrap(),
            "run {run}: the link change sent no message"
        );
        assert!(!dev.link().up);
        drop(got);
        drop(dev);
        assert_no_violations(&sim);
    }
}
