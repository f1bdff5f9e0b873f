//! Issue 14.1, the library's part: dropping the device stops the card before its memory is
//! released (receive off, queues disabled and waited for, transmit DMA off, PCIe mastering
//! off, DRV_LOAD cleared), so the simulated card in strict mode sees no DMA into released
//! memory and no release of memory still in an enabled ring, even with traffic arriving.

mod common;
use common::*;
use driver_82599::regs::*;
use driver_82599::Packet;
use driver_82599::QueueDevice;
use sim_82599::Wire;

#[test]
fn dropping_the_device_under_traffic_stops_the_card_first() {
    let sim = strict_sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let dev0 = open(&sim, 0, small_config());
    let mut dev1 = open(&sim, 1, small_config());
    let pool = dev1.pool(0).unwrap().clone();
    let send = |dev: &mut driver_82599::Device<sim_82599::Port>, n: u32| {
        let mut out: Vec<Packet> = (0..n).filter_map(|i| frame(&pool, 60, i)).collect();
        dev.tx_batch(0, &mut out).unwrap();
    };
    // Frames in port 0's ring, not yet taken by the driver, when it goes.
    send(&mut dev1, 32);
    sim.step();
    drop(dev0);
    assert_no_violations(&sim);
    let regs = Regs::new(sim.port(0));
    assert!(!regs.RXCTRL().read().is_set(RXCTRL::RXEN), "receive off");
    assert!(
        !regs.RXDCTL().at(0).read().is_set(RXDCTL::ENABLE),
        "RX queue off"
    );
    assert!(
        !regs.TXDCTL().at(0).read().is_set(TXDCTL::ENABLE),
        "TX queue off"
    );
    assert!(!regs.DMATXCTL().read().is_set(DMATXCTL::TE), "TX DMA off");
    assert!(
        regs.CTRL().read().is_set(CTRL::PCIE_MASTER_DISABLE),
        "mastering off"
    );
    assert!(
        !regs
            .STATUS()
            .read()
            .is_set(STATUS::PCIE_MASTER_ENABLE_STATUS),
        "no master request pending"
    );
    assert!(
        !regs.CTRL_EXT().read().is_set(CTRL_EXT::DRV_LOAD),
        "firmware told"
    );
    // More frames arrive at the stopped port: not written anywhere, counted by the card.
    let lost = sim.stats(0).unwrap().lost_rx_disabled;
    send(&mut dev1, 16);
    sim.step();
    assert_eq!(sim.stats(0).unwrap().lost_rx_disabled, lost + 16);
    assert_no_violations(&sim);
    // And the port comes up again cleanly for the next user.
    let dev0 = open(&sim, 0, small_config());
    drop(dev0);
    drop(dev1);
    assert_no_violations(&sim);
}

#[test]
fn an_init_that_fails_after_rings_were_handed_over_stops_the_card() {
    // The link never comes up: Device::new fails at its very end, after every queue runs.
    let sim = strict_sim(1);
    sim.inject(0, sim_82599::Fault::LinkNeverUp).unwrap();
    let cfg = driver_82599::Config {
        link_timeout: std::time::Duration::from_millis(50),
        ..small_config()
    };
    let e = driver_82599::Device::new(sim.port(0), sim.dma(), cfg)
        .err()
        .unwrap();
    assert!(matches!(e, driver_82599::Error::LinkTimeout(_)), "{e}");
    assert_no_violations(&sim);
    let regs = Regs::new(sim.port(0));
    assert!(!regs.RXDCTL().at(0).read().is_set(RXDCTL::ENABLE));
    assert!(regs.CTRL().read().is_set(CTRL::PCIE_MASTER_DISABLE));
}

#[test]
fn frames_the_card_never_sent_are_counted_as_dropped_at_stop() {
    // Issue 14: frames queued for transmit that the card has not sent when the device stops
    // are counted (`tx_dropped_at_stop`), after a bounded wait for the ring to drain, so that
    // queued = sent + dropped at stop; the card in strict mode flags a queue disabled with
    // unsent descriptors the driver never looked at.
    let sim = strict_sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let mut dev = open(&sim, 0, small_config());
    let _peer = open(&sim, 1, small_config());
    let pool = dev.pool(0).unwrap().clone();
    let send = |dev: &mut driver_82599::Device<sim_82599::Port>, n: u32| {
        let mut out: Vec<Packet> = (0..n).filter_map(|i| frame(&pool, 60, i)).collect();
        assert_eq!(dev.tx_batch(0, &mut out).unwrap(), n as usize);
    };
    send(&mut dev, 20);
    for _ in 0..4 {
        sim.step();
    }
    // The card is not stepped again (a stalled link, say): these stay in the ring.
    send(&mut dev, 12);
    let t = std::time::Instant::now();
    dev.stop();
    let waited = t.elapsed();
    assert_no_violations(&sim);
    assert!(
        waited >= driver_82599::DrainWait::STOP.idle,
        "the stop waited {waited:?} for the ring"
    );
    let s = dev.stats().clone();
    assert_eq!(s.tx_queued(), 32);
    assert_eq!(s.tx_packets, 20, "GPTC");
    assert_eq!(sim.stats(0).unwrap().tx_frames, 20);
    assert_eq!(s.tx_dropped_at_stop(), 12);
    assert_eq!(s.tx_queued(), s.tx_packets + s.tx_dropped_at_stop());
    // Stopped: queue operations are refused, a second stop and the drop do nothing more.
    assert!(dev.tx_batch(0, &mut Vec::new()).is_err());
    dev.stop();
    drop(dev);
    assert_no_violations(&sim);
    assert_eq!(pool.free_count(), pool.capacity(), "every buffer back");
}

#[test]
fn the_stop_waits_for_a_running_card_to_send_the_ring() {
    // With the card's engines on their own thread, the stop's wait lets them send what the
    // ring holds: nothing is dropped, GPTC counts every frame queued.
    let sim = sim_82599::Sim::builder()
        .ports(2)
        .strict(true)
        .threaded(true)
        .build();
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let mut dev = open(&sim, 0, small_config());
    let _peer = open(&sim, 1, small_config());
    let pool = dev.pool(0).unwrap().clone();
    let mut out: Vec<Packet> = (0..48).filter_map(|i| frame(&pool, 60, i)).collect();
    assert_eq!(dev.tx_batch(0, &mut out).unwrap(), 48);
    dev.stop();
    assert_no_violations(&sim);
    let s = dev.stats().clone();
    assert_eq!(s.tx_dropped_at_stop(), 0);
    assert_eq!(s.tx_packets, 48);
}

#[test]
fn frames_received_but_not_taken_at_stop_are_counted() {
    // The receive side of the same rule: frames the card wrote into the ring that the
    // application never took are released with it at stop, and counted.
    let sim = strict_sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let mut dev = open(&sim, 0, small_config());
    let mut peer = open(&sim, 1, small_config());
    let pool = peer.pool(0).unwrap().clone();
    let mut out: Vec<Packet> = (0..9).filter_map(|i| frame(&pool, 60, i)).collect();
    assert_eq!(peer.tx_batch(0, &mut out).unwrap(), 9);
    for _ in 0..4 {
        sim.step();
    }
    let mut got = Vec::new();
    assert_eq!(dev.rx_batch(0, &mut got, 4).unwrap(), 4);
    drop(got);
    dev.stop();
    let s = dev.stats().clone();
    assert_eq!(s.rx_packets, 9, "GPRC");
    assert_eq!(s.rx_delivered(), 4);
    assert_eq!(s.rx_dropped_at_stop(), 5);
    assert_no_violations(&sim);
}
