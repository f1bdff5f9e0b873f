//! Issue 14.1 in strict mode: the driver must stop the card before it releases memory the
//! card may write. Rings written by hand (tests/common), released in the wrong order.

mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::{Rule, Wire};

#[test]
fn releasing_the_ring_of_an_enabled_queue_is_a_violation() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let dma = sim.dma();
    let rx = Rx::setup(&p, &*dma, 0, 64, 2, DROP_EN);
    drop(rx);
    let v = sim.take_violations();
    assert!(!v.is_empty(), "no violation");
    assert!(
        v.iter().all(|v| v.rule == Rule::ReleasedWhileInUse),
        "{v:#?}"
    );
    assert!(
        v[0].detail.contains("descriptor ring of RX queue 0"),
        "{}",
        v[0]
    );
}

#[test]
fn releasing_buffers_handed_to_the_card_is_a_violation_and_the_card_does_not_write_them() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let dma = sim.dma();
    let mut rx = Rx::setup(&p, &*dma, 0, 64, 2, DROP_EN);
    let mut tx = Tx::setup(&p, &*dma, 0, 64);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15)); // MAC loopback
    rx_enable(&p, BAM | UPE | MPE);
    tx.send(&p, &counting(MAC0, 60, 1));
    sim.step();
    assert_eq!(rx.poll(&p).len(), 1);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    // The buffers go back while the queue still owns them (RXDCTL.ENABLE = 1).
    let bufs = std::mem::replace(&mut rx.bufs, dma.alloc(4096, 128).unwrap());
    drop(bufs);
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::ReleasedWhileInUse);
    assert!(v[0].detail.contains("buffer"), "{}", v[0]);
    // A frame arriving now would be written into them: flagged, not written, queue stopped.
    tx.send(&p, &counting(MAC0, 60, 2));
    sim.step();
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::DmaIntoReleasedMemory);
    assert_eq!(sim.stats(0).unwrap().dma_error_drops, 1);
}

#[test]
fn stopping_the_queue_first_is_clean() {
    let sim = common::sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let p = sim.port(0);
    let dma = sim.dma();
    let rx = Rx::setup(&p, &*dma, 0, 64, 2, DROP_EN);
    let tx = Tx::setup(&p, &*dma, 0, 64);
    rx_enable(&p, BAM);
    // Receive off, queues disabled and read back as 0, then the memory goes back.
    w(&p, R::RXCTRL, 0, 0);
    w(&p, R::RXDCTL, 0, 0);
    w(&p, R::TXDCTL, 0, 0);
    assert_eq!(rd(&p, R::RXDCTL, 0) & ENABLE, 0);
    assert_eq!(rd(&p, R::TXDCTL, 0) & ENABLE, 0);
    drop((rx, tx));
    sim.step();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn releasing_transmit_buffers_the_card_has_not_sent_is_a_violation() {
    // A transmit buffer between TDH and TDT of an enabled queue may be read (and sent) by the
    // card at any time: releasing it first is the same mistake as for a receive buffer.
    let sim = common::sim(1);
    let p = sim.port(0);
    let dma = sim.dma();
    let mut tx = Tx::setup(&p, &*dma, 0, 64);
    tx.send(&p, &counting(MAC0, 60, 1));
    // Not stepped: the frame is still the card's.
    let bufs = std::mem::replace(&mut tx.bufs, dma.alloc(64 * 2048, 128).unwrap());
    drop(bufs);
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::ReleasedWhileInUse);
    assert!(
        v[0].detail.contains("TX queue 0's descriptor 0"),
        "{}",
        v[0]
    );
    // Once the card has sent what it held, the buffers are the driver's again.
    tx.send(&p, &counting(MAC0, 60, 2));
    for _ in 0..4 {
        sim.step();
    }
    assert_eq!(rd(&p, R::TDH, 0), rd(&p, R::TDT, 0));
    let _ = sim.take_violations();
    drop(std::mem::replace(
        &mut tx.bufs,
        dma.alloc(64 * 2048, 128).unwrap(),
    ));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
