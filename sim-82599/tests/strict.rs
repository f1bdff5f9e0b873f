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
    take_control(&p);
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
    take_control(&p);
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
    take_control(&p);
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
    take_control(&p);
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
    take_control(&p);
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
    take_control(&p);
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
    take_control(&p);
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
    take_control(&p);
    w(&p, R::EIMC, 0, 0xFFFF_FFFF);
    w(&p, R::RXDCTL, 0, ENABLE);
    assert!(sim.violations().is_empty());
}

#[test]
fn receive_or_a_queue_enabled_before_drv_load_is_a_violation() {
    // Issue 14.5: CTRL_EXT.DRV_LOAD tells the firmware a driver has the card (8.2.3.1.3).
    let sim = common::sim(1);
    let p = sim.port(0);
    let dma = sim.dma();
    let ring = dma::DmaMemory::alloc(&*dma, 4096, 128).unwrap();
    w(&p, R::RDBAL, 0, ring.phys() as u32);
    w(&p, R::RDBAH, 0, (ring.phys() >> 32) as u32);
    w(&p, R::RDLEN, 0, 4096);
    w(&p, R::RXDCTL, 0, ENABLE);
    one(
        sim.take_violations(),
        Rule::DriverNotLoaded,
        "W 0x01028 0x02000000 RXDCTL[0]",
    );
    take_control(&p);
    w(&p, R::RXDCTL, 0, 0);
    w(&p, R::RXDCTL, 0, ENABLE);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn receive_enabled_with_filter_tables_never_cleared_is_a_violation() {
    // Issue 14.5: RAL/RAH[1..127], MTA, VFTA and the 5-tuple filters are undefined after
    // power-up; a driver clears them before receive is enabled.
    let sim = common::sim(1);
    let p = sim.port(0);
    let ext = rd(&p, R::CTRL_EXT, 0);
    w(&p, R::CTRL_EXT, 0, ext | DRV_LOAD);
    for i in 1..128 {
        w(&p, R::RAL, i, 0);
        w(&p, R::RAH, i, 0);
    }
    for r in [R::MTA, R::FTQF, R::SAQF, R::DAQF, R::SDPQF] {
        for i in 0..128 {
            w(&p, r, i, 0);
        }
    }
    // VFTA left as it came up.
    rxen_halted(&p);
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::FiltersNotCleared);
    assert!(v[0].detail.contains("VFTA[0]"), "{}", v[0]);
    // Once cleared, receive may come on.
    w(&p, R::RXCTRL, 0, 0);
    for i in 0..128 {
        w(&p, R::VFTA, i, 0);
    }
    rxen_halted(&p);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn tx_packet_buffer_or_mtqc_set_with_the_arbiter_on_is_a_violation() {
    // Issue 14.5: RTTDCS.ARBDIS around the Tx packet-buffer and MTQC set-up (4.6.11.3.1).
    let sim = common::sim(1);
    let p = sim.port(0);
    take_control(&p);
    w(&p, R::TXPBSIZE, 0, 160 << 10);
    one(
        sim.take_violations(),
        Rule::TxSetupWithArbiterOn,
        "W 0x0CC00 0x00028000 TXPBSIZE[0]",
    );
    let rttdcs = rd(&p, R::RTTDCS, 0);
    w(&p, R::RTTDCS, 0, rttdcs | (1 << 6));
    w(&p, R::TXPBSIZE, 0, 160 << 10);
    w(&p, R::MTQC, 0, 0);
    w(&p, R::RTTDCS, 0, rttdcs);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    w(&p, R::MTQC, 0, 0);
    assert_eq!(sim.take_violations()[0].rule, Rule::TxSetupWithArbiterOn);
}

#[test]
fn a_link_restart_in_a_mode_other_than_sfi_is_a_violation() {
    // Issue 14.4: the simulated card is an SFP+ part: 10 Gb/s serial link mode with the serial
    // PMA/PMD set to SFI (4.6.4). The old driver set LMS but never AUTOC2.
    let sim = common::sim(1);
    let p = sim.port(0);
    common::hold_mac_csr(&p);
    let autoc = rd(&p, R::AUTOC, 0) & !(0b111 << 13);
    w(&p, R::AUTOC, 0, autoc | (0b011 << 13));
    w(&p, R::AUTOC, 0, autoc | (0b011 << 13) | (1 << 12));
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::LinkModeNotForMedia);
    assert!(v[0].detail.contains("00b"), "{}", v[0]);
    w(&p, R::AUTOC2, 0, 0b10 << 16);
    w(&p, R::AUTOC, 0, autoc | (0b011 << 13) | (1 << 12));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_tx_queue_disabled_with_unsent_descriptors_it_never_looked_at_is_a_violation() {
    // Issue 14: a driver that clears TXDCTL.ENABLE while the card still holds frames it has
    // not sent, without reading TDH (so without waiting for the ring or learning what it
    // drops), loses them uncounted.
    let sim = common::sim(1);
    let p = sim.port(0);
    take_control(&p);
    let dma = sim.dma();
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    let frame = [0xFFu8; 60];
    for _ in 0..3 {
        tx.send(&p, &frame);
    }
    // Not stepped: the card has sent nothing; TDH 0, TDT 3.
    w(&p, R::TXDCTL, 0, 0);
    one(
        sim.take_violations(),
        Rule::TxDisabledWithPending,
        "W 0x06028 0x00000000 TXDCTL[0]",
    );

    // The same with TDH read after the last tail write (the driver waited and counts the
    // rest): allowed.
    w(&p, R::TXDCTL, 0, ENABLE);
    tx.send(&p, &frame);
    assert_ne!(rd(&p, R::TDH, 0), rd(&p, R::TDT, 0));
    w(&p, R::TXDCTL, 0, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());

    // A read before a later tail write does not count: the driver must look after it.
    w(&p, R::TXDCTL, 0, ENABLE);
    let _ = rd(&p, R::TDH, 0);
    tx.send(&p, &frame);
    w(&p, R::TXDCTL, 0, 0);
    assert_eq!(sim.take_violations().len(), 1);

    // A drained ring (the card sent everything: TDH = TDT) may be disabled without a look.
    w(&p, R::TXDCTL, 0, ENABLE);
    tx.send(&p, &frame);
    for _ in 0..4 {
        sim.step();
    }
    assert_eq!(rd(&p, R::TDH, 0), rd(&p, R::TDT, 0));
    tx.send(&p, &frame);
    sim.step();
    sim.step();
    w(&p, R::TXDCTL, 0, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn shared_registers_need_the_software_firmware_semaphore() {
    // Datasheet 10.5.4: SW_FW_SYNC only under SWSM, AUTOC/AUTOC2 only with SW_MAC_CSR_SM.
    let sim = common::sim(1);
    let p = sim.port(0);
    let autoc = rd(&p, R::AUTOC, 0);
    w(&p, R::AUTOC, 0, autoc);
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::SemaphoreNotHeld);
    assert!(v[0].detail.contains("SW_MAC_CSR_SM"), "{}", v[0]);
    w(&p, R::GSSR, 0, 1 << 3);
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(v[0].detail.contains("SWSM"), "{}", v[0]);
    w(&p, R::GSSR, 0, 0);
    sim.take_violations();
    // SMBI: the first read gets it (reads 0 and sets it), the next reads 1 until released.
    assert_eq!(rd(&p, R::SWSM, 0) & 1, 0);
    assert_eq!(rd(&p, R::SWSM, 0) & 1, 1, "taken by the first read");
    w(&p, R::SWSM, 0, 0);
    common::hold_mac_csr(&p);
    w(&p, R::AUTOC, 0, autoc);
    w(&p, R::AUTOC2, 0, rd(&p, R::AUTOC2, 0));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    // The firmware's bits are not the software's to write.
    w(&p, R::SWSM, 0, 0b11);
    w(&p, R::GSSR, 0, 0x3FF);
    assert_eq!(rd(&p, R::GSSR, 0), 0x1F);
    // A reset gives everything back.
    common::reset(&p);
    assert_eq!((rd(&p, R::SWSM, 0) & 1, rd(&p, R::GSSR, 0)), (0, 0));
}

#[test]
fn a_receive_queue_enabled_with_its_head_away_from_its_tail_is_a_violation() {
    // A ring a crashed process left keeps its head: the next user must set it back to 0
    // before enabling the queue (datasheet 4.6.7.1), or card and driver disagree on where the
    // ring starts.
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    let ring = sim.dma().alloc(4096, 128).unwrap();
    w(&p, R::RDBAL, 1, ring.phys() as u32);
    w(&p, R::RDBAH, 1, (ring.phys() >> 32) as u32);
    w(&p, R::RDLEN, 1, 4096);
    w(&p, R::RDH, 1, 7);
    w(&p, R::RDT, 1, 0);
    w(&p, R::RXDCTL, 1, 1 << 25);
    one(
        sim.take_violations(),
        Rule::HeadNotAtTail,
        "W 0x01068 0x02000000 RXDCTL[1]",
    );
    w(&p, R::RXDCTL, 1, 0);
    w(&p, R::RDH, 1, 0);
    w(&p, R::RXDCTL, 1, 1 << 25);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    w(&p, R::RXDCTL, 1, 0);
}
