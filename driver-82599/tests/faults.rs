//! Every injected fault ends in a clear error or a counted drop: never a hang, a panic or
//! wrong data handed to the application. Conservation holds throughout.

mod common;
use common::*;
use driver_82599::QueueDevice;
use driver_82599::Stats;
use sim_82599::{Fault, Sim, Wire};
use std::time::{Duration, Instant};

/// Sends `n` numbered frames over loopback in batches and receives them; returns the
/// sequence numbers delivered (each checked byte for byte) and the final statistics.
fn run(sim: &Sim, dev: &mut driver_82599::Device<sim_82599::Port>, n: u32) -> (Vec<u32>, Stats) {
    // The receive pool also serves the frames to send (the simulated memory is not reused
    // once allocated, so no new pool per run).
    let pool = dev.pool(0).unwrap().clone();
    let mut seq = 0;
    let mut delivered = Vec::new();
    let mut got = Vec::new();
    let start = Instant::now();
    while seq < n || sim.step() != 0 || dev.tx_queue(0).unwrap().in_flight() != 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "hang");
        let mut out = Vec::new();
        while seq < n && out.len() < 32 {
            let Some(p) = frame(&pool, 64 + (seq as usize % 200), seq) else {
                break;
            };
            out.push(p);
            seq += 1;
        }
        let mut left = out.len();
        while left != 0 {
            let sent = dev.tx_batch(0, &mut out).unwrap();
            left -= sent;
            sim.step();
            dev.tx_queue(0).unwrap().reclaim();
        }
        sim.step();
        dev.tx_queue(0).unwrap().reclaim();
        dev.rx_batch(0, &mut got, 64).unwrap();
        for p in got.drain(..) {
            delivered.push(check(&p).expect("a corrupted frame reached the application"));
        }
    }
    for _ in 0..4 {
        sim.step();
        dev.rx_batch(0, &mut got, 64).unwrap();
        for p in got.drain(..) {
            delivered.push(check(&p).expect("a corrupted frame reached the application"));
        }
    }
    (delivered, dev.stats().clone())
}

/// Sent = delivered + counted drops on the receive side + not sent on the transmit side.
fn assert_conserved(n: u32, delivered: &[u32], s: &Stats) {
    assert_eq!(s.tx_queued(), u64::from(n), "{s:?}");
    assert_eq!(
        delivered.len() as u64 + s.rx_drops() + s.tx_not_sent(),
        u64::from(n),
        "delivered {} + rx drops {} + tx not sent {} != {n}\n{s:#?}",
        delivered.len(),
        s.rx_drops(),
        s.tx_not_sent()
    );
}

fn setup() -> (Sim, driver_82599::Device<sim_82599::Port>) {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let dev = open(&sim, 0, small_config());
    (sim, dev)
}

#[test]
fn rx_length_beyond_the_buffer_is_dropped_and_counted() {
    let (sim, mut dev) = setup();
    sim.inject(
        0,
        Fault::RxLengthTooLarge {
            extra: 4000,
            count: 7,
        },
    )
    .unwrap();
    let (d, s) = run(&sim, &mut dev, 200);
    assert_eq!(d.len(), 193);
    assert_eq!(s.queues[0].sw.rx_desc_errors, 7);
    assert_conserved(200, &d, &s);
    assert_no_violations(&sim);
}

#[test]
fn rx_frame_errors_are_dropped_and_counted() {
    let (sim, mut dev) = setup();
    // CE (CRC error), bit 24 of the write-back status/error word (datasheet 7.1.6.2).
    sim.inject(
        0,
        Fault::RxDescErrors {
            bits: 1 << 24,
            count: 5,
        },
    )
    .unwrap();
    let (d, s) = run(&sim, &mut dev, 100);
    assert_eq!(d.len(), 95);
    assert_eq!(s.queues[0].sw.rx_desc_errors, 5);
    assert_conserved(100, &d, &s);
}

#[test]
fn checksum_error_bits_do_not_drop_an_intact_frame() {
    let (sim, mut dev) = setup();
    // IPE (bit 31): a checksum verdict, not a damaged frame; the payload is still intact.
    sim.inject(
        0,
        Fault::RxDescErrors {
            bits: 1 << 31,
            count: 5,
        },
    )
    .unwrap();
    let (d, s) = run(&sim, &mut dev, 50);
    assert_eq!(d.len(), 50);
    assert_conserved(50, &d, &s);
}

#[test]
fn dma_errors_lose_frames_that_are_counted() {
    let (sim, mut dev) = setup();
    sim.inject(0, Fault::DmaError { count: 9 }).unwrap();
    let (d, s) = run(&sim, &mut dev, 300);
    assert_eq!(d.len(), 291, "{s:#?}");
    assert_eq!(s.rx_dma_errors + s.tx_not_sent(), 9, "{s:#?}");
    assert_conserved(300, &d, &s);
    // The queues keep working afterwards.
    let (d2, _) = run(&sim, &mut dev, 50);
    assert_eq!(d2.len(), 50);
}

#[test]
fn link_flaps_are_survived_and_reported() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let mut dev = open(&sim, 0, small_config());
    sim.inject(
        0,
        Fault::LinkFlap {
            period: Duration::from_millis(5),
        },
    )
    .unwrap();
    let start = Instant::now();
    let mut saw_down = false;
    while start.elapsed() < Duration::from_millis(200) {
        saw_down |= !dev.link().up;
        let (d, s) = run(&sim, &mut dev, 20);
        // Frames may be lost while the link is down, never corrupted (checked in `run`).
        assert!(d.len() <= 20);
        let _ = s;
    }
    assert!(saw_down, "the flap was never visible in LINKS");
    sim.clear_faults(0).unwrap();
    dev.wait_link(Duration::from_secs(5)).unwrap();
}

#[test]
fn firmware_holding_the_mac_registers_ends_init_in_a_semaphore_timeout() {
    // Datasheet 10.5.4: AUTOC/AUTOC2 are written only holding SW_FW_SYNC.SW_MAC_CSR_SM, which
    // the driver cannot take while the firmware holds FW_MAC_CSR_SM: a bounded wait, an error
    // naming the resource, SWSM given back, and nothing written to AUTOC.
    let sim = strict_sim(1);
    sim.inject(0, Fault::FirmwareHoldsMacCsr).unwrap();
    let cfg = driver_82599::Config {
        wait_timeout: Duration::from_millis(50),
        ..small_config()
    };
    let t = Instant::now();
    let e = driver_82599::Device::new(sim.port(0), sim.dma(), cfg)
        .err()
        .unwrap();
    assert!(
        matches!(
            e,
            driver_82599::Error::SemaphoreTimeout {
                what: "MAC_CSR",
                ..
            }
        ),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    // SWSM given back: the next read gets SMBI (reads 0; the read takes it, so give it back).
    let regs = driver_82599::regs::Regs::new(sim.port(0));
    let swsm = regs.SWSM().read();
    regs.SWSM().write(0u32);
    assert!(!swsm.any(driver_82599::regs::SWSM::SMBI | driver_82599::regs::SWSM::SWESMBI));
    // An SMBI left set by an agent that died holding it is cleared after the bounded wait.
    let _ = regs.SWSM().read();
    driver_82599::swfw::with(
        &regs,
        driver_82599::swfw::Resource::EEPROM,
        Duration::from_millis(20),
        || (),
    )
    .unwrap();
    assert_no_violations(&sim);
    // The firmware lets go: the next init takes the semaphore and brings the card up.
    sim.clear_faults(0).unwrap();
    let mut dev = open(&sim, 0, small_config());
    let _ = dev.stats();
    drop(dev);
    assert_no_violations(&sim);
}

#[test]
fn a_removed_card_is_reported_gone_and_its_all_ones_counters_are_not_added() {
    let (sim, mut dev) = setup();
    let (d, s) = run(&sim, &mut dev, 100);
    assert_eq!(d.len(), 100);
    assert_conserved(100, &d, &s);
    dev.check_present().unwrap();
    sim.inject(0, Fault::Removed).unwrap();
    let e = dev.check_present().unwrap_err();
    assert!(matches!(e, driver_82599::Error::DeviceGone), "{e}");
    assert_eq!(nic_queue::DeviceError::kind(&e), nic_queue::ErrorKind::Gone);
    // Every counter now reads 0xFFFFFFFF: the totals stay those read while it was there.
    let after = dev.stats().clone();
    assert_eq!(after.rx_packets, s.rx_packets, "{after:#?}");
    assert_eq!(after.tx_packets, s.tx_packets);
    assert_eq!(after.rx_drops(), s.rx_drops());
    // Frames queued now go nowhere (no DMA), and nothing hangs or panics; the device drops
    // (stops) with its bounded waits.
    let pool = dev.pool(0).unwrap().clone();
    let mut out: Vec<_> = (0..8).filter_map(|i| frame(&pool, 64, 1000 + i)).collect();
    dev.tx_batch(0, &mut out).unwrap();
    for _ in 0..4 {
        sim.step();
    }
    let mut got = Vec::new();
    assert_eq!(dev.rx_batch(0, &mut got, 64).unwrap(), 0);
    drop(dev);
}
