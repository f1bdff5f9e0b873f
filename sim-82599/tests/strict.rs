mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::{Rule, Violation};

fn one(v: Vec<Violation>, rule: Rule, access: &str) {
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, rule);
    assert_eq!(v[0].access(), access, "{}", v[0]);
    assert!(v[0].to_string().contains(access));
}

#[test]
fn fctrl_changed_while_rx_enabled() {
    let sim = common::sim(1);
    let p = sim.port(0);
    rx_enable(&p, BAM);
    assert!(sim.violations().is_empty());
    w(&p, R::FCTRL, 0, BAM | UPE | MPE);
    one(
        sim.take_violations(),
        Rule::FilterChangedWhileRxEnabled,
        "W 0x05080 0x00000700 FCTRL",
    );
    // Same value again: no change, no violation.
    w(&p, R::FCTRL, 0, BAM | UPE | MPE);
    assert!(sim.violations().is_empty());
}

#[test]
fn ring_registers_changed_while_enabled() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let dma = sim.dma();
    let _rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let _tx = Tx::setup(&p, &*dma, 1, 32);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    w(&p, R::RDLEN, 0, 64 * 16);
    one(
        sim.take_violations(),
        Rule::RingChangedWhileEnabled,
        "W 0x01008 0x00000400 RDLEN[0]",
    );
    w(&p, R::TDBAL, 1, 0x1000);
    one(
        sim.take_violations(),
        Rule::RingChangedWhileEnabled,
        "W 0x06040 0x00001000 TDBAL[1]",
    );
}

#[test]
fn tail_beyond_ring() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let dma = sim.dma();
    let _rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let _tx = Tx::setup(&p, &*dma, 0, 32);
    w(&p, R::RDT, 0, 32);
    one(
        sim.take_violations(),
        Rule::TailBeyondRing,
        "W 0x01018 0x00000020 RDT[0]",
    );
    w(&p, R::TDT, 0, 40);
    one(
        sim.take_violations(),
        Rule::TailBeyondRing,
        "W 0x06018 0x00000028 TDT[0]",
    );
}

#[test]
fn ring_alignment() {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::RDBAL, 0, 0x1040);
    one(
        sim.take_violations(),
        Rule::RingMisaligned,
        "W 0x01000 0x00001040 RDBAL[0]",
    );
    w(&p, R::TDLEN, 2, 1000);
    one(
        sim.take_violations(),
        Rule::RingMisaligned,
        "W 0x06088 0x000003E8 TDLEN[2]",
    );
}

#[test]
fn reserved_bits() {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::EIMC, 0, 0xFFFF_FFFF);
    one(
        sim.take_violations(),
        Rule::ReservedBits,
        "W 0x00888 0xFFFFFFFF EIMC",
    );
    w(&p, R::EIMC, 0, 0x7FFF_FFFF);
    w(&p, R::DTXMXSZRQ, 0, 0xFFF);
    assert!(sim.violations().is_empty());
    w(&p, R::DTXMXSZRQ, 0, 0xFFFF);
    one(
        sim.take_violations(),
        Rule::ReservedBits,
        "W 0x08100 0x0000FFFF DTXMXSZRQ",
    );
    assert_eq!(rd(&p, R::DTXMXSZRQ, 0), 0xFFF, "only bits 11:0 are stored");
}

#[test]
fn dmatxctl_vt_clobbered() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let v = rd(&p, R::DMATXCTL, 0);
    w(&p, R::DMATXCTL, 0, v | 1);
    assert!(sim.violations().is_empty());
    w(&p, R::DMATXCTL, 0, 1);
    one(
        sim.take_violations(),
        Rule::VtClobbered,
        "W 0x04A80 0x00000001 DMATXCTL",
    );
}

#[test]
fn queue_enabled_before_ring() {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::RXDCTL, 5, ENABLE);
    one(
        sim.take_violations(),
        Rule::EnabledBeforeRing,
        "W 0x01168 0x02000000 RXDCTL[5]",
    );
    assert_eq!(rd(&p, R::RXDCTL, 5) & ENABLE, 0);
    w(&p, R::TXDCTL, 0, ENABLE);
    one(
        sim.take_violations(),
        Rule::EnabledBeforeRing,
        "W 0x06028 0x02000000 TXDCTL[0]",
    );
}

#[test]
fn strict_off_records_nothing() {
    let sim = sim_82599::Sim::builder().strict(false).build();
    let p = sim.port(0);
    w(&p, R::EIMC, 0, 0xFFFF_FFFF);
    w(&p, R::RXDCTL, 0, ENABLE);
    assert!(sim.violations().is_empty());
}
