//! The Rx security path's halt handshake around RXCTRL.RXEN (82599 datasheet 4.6.7):
//! SECRXSTAT.SECRX_RDY, the strict-mode rule, frames while halted, and the fault that keeps
//! SECRX_RDY low.

mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::{Fault, Rule, Sim};
use std::time::{Duration, Instant};

const RXEN: u32 = 1;

fn sec_rule(sim: &Sim) -> Vec<String> {
    let v = sim.take_violations();
    assert!(
        v.iter()
            .all(|v| v.rule == Rule::RxEnabledWithSecurityPathActive),
        "{v:#?}"
    );
    v.iter().map(|v| v.to_string()).collect()
}

#[test]
fn secrx_rdy_follows_rx_dis() {
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    // Reset: RX_DIS clear, so the path is running and SECRX_RDY is 0.
    assert_eq!(rd(&p, R::SECRXCTRL, 0) & RX_DIS, 0);
    assert_eq!(rd(&p, R::SECRXSTAT, 0), 0);
    let sec = rd(&p, R::SECRXCTRL, 0);
    w(&p, R::SECRXCTRL, 0, sec | RX_DIS);
    // Not threaded: no engine pass runs during the read, the path is empty at once.
    assert_eq!(rd(&p, R::SECRXSTAT, 0), SECRX_RDY);
    // SECRXSTAT is read-only.
    w(&p, R::SECRXSTAT, 0, 0);
    assert_eq!(rd(&p, R::SECRXSTAT, 0), SECRX_RDY);
    // Still ready across engine passes while RX_DIS stays set.
    sim.step();
    assert_eq!(rd(&p, R::SECRXSTAT, 0), SECRX_RDY);
    w(&p, R::SECRXCTRL, 0, sec);
    assert_eq!(rd(&p, R::SECRXSTAT, 0), 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn secrx_rdy_asserts_with_the_engine_thread() {
    let sim = Sim::builder().threaded(true).build();
    let p = sim.port(0);
    common::take_control(&p);
    w(&p, R::SECRXCTRL, 0, rd(&p, R::SECRXCTRL, 0) | RX_DIS);
    let t = Instant::now();
    while rd(&p, R::SECRXSTAT, 0) & SECRX_RDY == 0 {
        assert!(t.elapsed() < Duration::from_secs(5), "SECRX_RDY never came");
        std::thread::yield_now();
    }
    w(&p, R::RXCTRL, 0, RXEN);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn rxen_without_the_halt_is_a_violation_citing_the_datasheet() {
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    w(&p, R::RXCTRL, 0, RXEN);
    let v = sec_rule(&sim);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("W 0x03000 0x00000001 RXCTRL"), "{}", v[0]);
    assert!(v[0].contains("RX_DIS = 0"), "{}", v[0]);
    assert!(v[0].contains("82599 datasheet 4.6.7"), "{}", v[0]);
    // 1 -> 1 and 1 -> 0 are no enable.
    w(&p, R::RXCTRL, 0, RXEN);
    w(&p, R::RXCTRL, 0, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn rxen_before_secrx_rdy_was_read_is_a_violation() {
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    let sec = rd(&p, R::SECRXCTRL, 0);
    // RX_DIS set, but SECRX_RDY not awaited.
    w(&p, R::SECRXCTRL, 0, sec | RX_DIS);
    w(&p, R::RXCTRL, 0, RXEN);
    let v = sec_rule(&sim);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("not yet read as 1"), "{}", v[0]);
    w(&p, R::RXCTRL, 0, 0);
    // Awaited, then RX_DIS cleared and set again: the earlier read no longer counts.
    assert_eq!(rd(&p, R::SECRXSTAT, 0), SECRX_RDY);
    w(&p, R::SECRXCTRL, 0, sec);
    w(&p, R::SECRXCTRL, 0, sec | RX_DIS);
    w(&p, R::RXCTRL, 0, RXEN);
    assert_eq!(sec_rule(&sim).len(), 1);
    w(&p, R::RXCTRL, 0, 0);
    // The full handshake: no violation.
    rxen_halted(&p);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn reset_clears_the_handshake() {
    let sim = Sim::builder().reset_delay(Duration::ZERO).build();
    let p = sim.port(0);
    common::take_control(&p);
    w(&p, R::SECRXCTRL, 0, rd(&p, R::SECRXCTRL, 0) | RX_DIS);
    assert_eq!(rd(&p, R::SECRXSTAT, 0), SECRX_RDY);
    common::reset(&p);
    common::take_control(&p);
    assert_eq!(rd(&p, R::CTRL, 0) & (1 << 26), 0, "reset done");
    assert_eq!(rd(&p, R::SECRXCTRL, 0) & RX_DIS, 0);
    assert_eq!(rd(&p, R::SECRXSTAT, 0), 0);
    w(&p, R::RXCTRL, 0, RXEN);
    assert_eq!(sec_rule(&sim).len(), 1);
}

#[test]
fn strict_off_records_no_security_path_violation() {
    let sim = Sim::builder().strict(false).build();
    let p = sim.port(0);
    common::take_control(&p);
    w(&p, R::RXCTRL, 0, RXEN);
    assert!(sim.violations().is_empty());
}

#[test]
fn secrx_never_ready_fault_keeps_secrx_rdy_low() {
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    sim.inject(0, Fault::SecRxNeverReady).unwrap();
    w(&p, R::SECRXCTRL, 0, rd(&p, R::SECRXCTRL, 0) | RX_DIS);
    for _ in 0..10 {
        sim.step();
        assert_eq!(rd(&p, R::SECRXSTAT, 0), 0);
    }
    sim.clear_faults(0).unwrap();
    assert_eq!(
        rd(&p, R::SECRXSTAT, 0),
        SECRX_RDY,
        "asserts once the fault is gone"
    );
}

#[test]
fn frames_are_not_taken_in_while_the_path_is_halted() {
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15)); // loopback
    rx_enable(&p, BAM);
    let dma = sim.dma();
    let mut rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    let sec = rd(&p, R::SECRXCTRL, 0);
    w(&p, R::SECRXCTRL, 0, sec | RX_DIS);
    tx.send(&p, &counting(MAC0, 60, 1));
    sim.step();
    assert!(rx.poll(&p).is_empty(), "received while halted");
    assert_eq!(sim.stats(0).unwrap().lost_rx_disabled, 1);
    // Running again: frames flow.
    w(&p, R::SECRXCTRL, 0, sec);
    tx.send(&p, &counting(MAC0, 60, 2));
    sim.step();
    let got = rx.poll(&p);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, counting(MAC0, 60, 2));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
