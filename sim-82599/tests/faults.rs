mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::{Fault, Sim};
use std::time::Duration;

#[test]
fn reset_that_never_completes() {
    let sim = common::sim(1);
    let p = sim.port(0);
    sim.inject(0, Fault::ResetNeverCompletes).unwrap();
    common::reset(&p);
    std::thread::sleep(Duration::from_millis(5));
    assert_ne!(rd(&p, R::CTRL, 0) & (1 << 26), 0);
    assert_eq!(rd(&p, R::EEC, 0) & (1 << 9), 0);
    sim.clear_faults(0).unwrap();
    assert_eq!(
        rd(&p, R::CTRL, 0) & (1 << 26),
        0,
        "completes once the fault is gone"
    );
}

#[test]
fn link_never_up_and_flapping() {
    let sim = Sim::builder()
        .manual_clock(true)
        .link_delay(Duration::from_millis(10))
        .build();
    let p = sim.port(0);
    sim.inject(0, Fault::LinkNeverUp).unwrap();
    sim.advance(Duration::from_secs(10)).unwrap();
    assert!(!sim.link_up(0).unwrap());
    assert_eq!(rd(&p, R::LINKS, 0) & (1 << 30), 0);
    sim.clear_faults(0).unwrap();
    sim.inject(
        0,
        Fault::LinkFlap {
            period: Duration::from_millis(100),
        },
    )
    .unwrap();
    sim.advance(Duration::from_millis(10)).unwrap();
    assert!(sim.link_up(0).unwrap());
    let _ = rd(&p, R::EICR, 0);
    let mut states = Vec::new();
    for _ in 0..4 {
        sim.advance(Duration::from_millis(100)).unwrap();
        states.push(sim.link_up(0).unwrap());
        assert_ne!(rd(&p, R::EICR, 0) & (1 << 20), 0, "LSC on every change");
    }
    assert_eq!(states, [false, true, false, true]);
}

fn looped() -> (Sim, sim_82599::Port, Rx, Tx) {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15));
    rx_enable(&p, BAM);
    let dma = sim.dma();
    let rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let tx = Tx::setup(&p, &*dma, 0, 32);
    (sim, p, rx, tx)
}

#[test]
fn injected_dma_errors() {
    let (sim, p, mut rx, mut tx) = looped();
    sim.inject(0, Fault::DmaError { count: 2 }).unwrap();
    for i in 0..4 {
        tx.send(&p, &counting(MAC0, 60, i));
    }
    sim.step();
    // The first two transfers fail (TX side: not sent, descriptors still complete).
    assert!(tx.dd(0) && tx.dd(1) && tx.dd(3));
    let got = rx.poll(&p);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].data, counting(MAC0, 60, 2));
    let f = sim.dma_faults();
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.injected));
    assert_eq!(sim.stats(0).unwrap().dma_error_drops, 2);
}

#[test]
fn write_back_length_larger_than_buffer() {
    let (sim, p, mut rx, mut tx) = looped();
    sim.inject(
        0,
        Fault::RxLengthTooLarge {
            extra: 4096,
            count: 1,
        },
    )
    .unwrap();
    tx.send(&p, &counting(MAC0, 60, 0));
    tx.send(&p, &counting(MAC0, 60, 1));
    sim.step();
    let d0 = rx.desc(0);
    // SAFETY: descriptor memory of this test's ring, read after the step.
    let len = unsafe { core::ptr::read_volatile(d0.wrapping_add(12) as *const u32) } & 0xFFFF;
    assert_eq!(len, 60 + 4096);
    assert!(len as usize > rx.bsize);
    let got = rx.poll(&p);
    assert_eq!(got[1].len, 60, "only one write-back affected");
}

#[test]
fn descriptor_error_bits() {
    let (sim, p, mut rx, mut tx) = looped();
    sim.inject(
        0,
        Fault::RxDescErrors {
            bits: 1 << 29,
            count: 1,
        },
    )
    .unwrap();
    tx.send(&p, &counting(MAC0, 60, 0));
    tx.send(&p, &counting(MAC0, 60, 1));
    sim.step();
    let got = rx.poll(&p);
    assert_eq!(got[0].status & 0xFFF0_0000, 1 << 29);
    assert_eq!(got[1].status & 0xFFF0_0000, 0);
}

#[test]
fn a_link_that_needs_restarts_comes_up_after_the_last_one() {
    let sim = Sim::builder()
        .manual_clock(true)
        .link_delay(Duration::from_millis(10))
        .build();
    let p = sim.port(0);
    sim.advance(Duration::from_millis(10)).unwrap();
    assert!(sim.link_up(0).unwrap());
    sim.inject(0, Fault::LinkNeedsRestarts { count: 2 })
        .unwrap();
    assert!(!sim.link_up(0).unwrap(), "the fault takes the link down");
    let restart = |p: &sim_82599::Port| w(p, R::AUTOC, 0, rd(p, R::AUTOC, 0) | (1 << 12));
    // A reset does not bring it back.
    common::reset(&p);
    sim.advance(Duration::from_secs(1)).unwrap();
    assert!(!sim.link_up(0).unwrap());
    restart(&p);
    sim.advance(Duration::from_secs(1)).unwrap();
    assert!(!sim.link_up(0).unwrap(), "one restart of two");
    restart(&p);
    sim.advance(Duration::from_millis(9)).unwrap();
    assert!(!sim.link_up(0).unwrap(), "up only after the link delay");
    sim.advance(Duration::from_millis(1)).unwrap();
    assert!(sim.link_up(0).unwrap());
    assert_ne!(rd(&p, R::LINKS, 0) & (1 << 30), 0);
}
