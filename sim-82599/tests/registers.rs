mod common;
use common::*;
use regdsl_rt::{Bus, Site};
use sim_82599::regs::R;
use sim_82599::Sim;
use std::time::Duration;

fn manual() -> Sim {
    Sim::builder()
        .manual_clock(true)
        .reset_delay(Duration::from_millis(2))
        .link_delay(Duration::from_millis(50))
        .build()
}

#[test]
fn reset_self_clears_after_delay_and_restores_reset_values() {
    let sim = manual();
    let p = sim.port(0);
    w(&p, R::FCTRL, 0, BAM);
    w(&p, R::RDLEN, 3, 0x1000);
    assert_eq!(rd(&p, R::FCTRL, 0), BAM);
    assert_ne!(rd(&p, R::EEC, 0) & (1 << 9), 0, "EEC.ARD up at power-on");
    assert_ne!(
        rd(&p, R::RDRXCTL, 0) & (1 << 3),
        0,
        "RDRXCTL.DMAIDONE up at power-on"
    );
    // Master requests drained first (5.2.5.3.2), then the reset.
    w(&p, R::CTRL, 0, 1 << 2);
    assert_eq!(rd(&p, R::STATUS, 0) & (1 << 19), 0);
    w(&p, R::CTRL, 0, (1 << 2) | (1 << 26) | (1 << 3));
    assert_eq!(
        rd(&p, R::CTRL, 0) & ((1 << 26) | (1 << 3)),
        (1 << 26) | (1 << 3)
    );
    assert_eq!(rd(&p, R::EEC, 0) & (1 << 9), 0, "ARD down during reset");
    assert_eq!(
        rd(&p, R::RDRXCTL, 0) & (1 << 3),
        0,
        "DMAIDONE down during reset"
    );
    sim.advance(Duration::from_millis(1)).unwrap();
    assert_ne!(
        rd(&p, R::CTRL, 0) & (1 << 26),
        0,
        "still in reset after 1 of 2 ms"
    );
    sim.advance(Duration::from_millis(1)).unwrap();
    assert_eq!(rd(&p, R::CTRL, 0), 0, "RST and LRST self-clear");
    assert_ne!(rd(&p, R::EEC, 0) & (1 << 9), 0);
    assert_ne!(rd(&p, R::RDRXCTL, 0) & (1 << 3), 0);
    assert_eq!(rd(&p, R::FCTRL, 0), 0, "reset value restored");
    assert_eq!(rd(&p, R::RDLEN, 3), 0);
    assert_eq!(rd(&p, R::DMATXCTL, 0) >> 16, 0x8100);
    assert_eq!(rd(&p, R::HLREG0, 0), 0x0801_2C0B);
    assert_eq!(rd(&p, R::SRRCTL, 5), 0x402);
    assert_eq!(rd(&p, R::RXPBSIZE, 0), 0x80000);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn read_to_clear_counters_and_eicr() {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15)); // MAC loopback
    rx_enable(&p, BAM | UPE);
    let dma = sim.dma();
    let mut rx = Rx::setup(&p, &*dma, 0, 64, 2, 0);
    let mut tx = Tx::setup(&p, &*dma, 0, 64);
    for i in 0..3 {
        tx.send(&p, &counting(MAC0, 60, i));
    }
    sim.step();
    assert_eq!(rx.poll(&p).len(), 3);
    assert_eq!(rd(&p, R::GPRC, 0), 3);
    assert_eq!(rd(&p, R::GPRC, 0), 0, "GPRC cleared by the read");
    assert_eq!(rd(&p, R::GPTC, 0), 3);
    assert_eq!(rd(&p, R::GORCL, 0), 3 * 64);
    assert_eq!(rd(&p, R::GORCH, 0), 0);
    assert_eq!(rd(&p, R::GORCL, 0), 0);
    // Writes to a counter are ignored.
    w(&p, R::GPTC, 0, 55);
    assert_eq!(rd(&p, R::GPTC, 0), 0);
    // EICR: set by EICS, write-1-to-clear, read-to-clear.
    let _ = rd(&p, R::EICR, 0);
    w(&p, R::EICS, 0, 0x5);
    w(&p, R::EICR, 0, 0x1);
    assert_eq!(rd(&p, R::EICR, 0), 0x4);
    assert_eq!(rd(&p, R::EICR, 0), 0);
    // EIMS/EIMC: set and clear the mask; EIMC reads 0.
    w(&p, R::EIMS, 0, 0x30);
    w(&p, R::EIMC, 0, 0x10);
    assert_eq!(rd(&p, R::EIMS, 0), 0x20);
    assert_eq!(rd(&p, R::EIMC, 0), 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn aliases_are_the_same_registers() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let pairs: [(usize, R, u32); 7] = [
        (0x05400, R::RAL, 0),
        (0x05404 + 8 * 3, R::RAH, 3),
        (0x02100 + 4 * 7, R::SRRCTL, 7),
        (0x02200 + 4 * 2, R::DCA_RXCTRL, 2),
        (0x05C00 + 4 * 31, R::RETA, 31),
        (0x05C80 + 4 * 9, R::RSSRK, 9),
        (0x05818, R::MRQC, 0),
    ];
    for (alias, r, i) in pairs {
        let v = 0x0000_0003 | (i << 8);
        p.write32(alias, v, Site::UNNAMED);
        assert_eq!(
            rd(&p, r, i) & 0xFF03,
            v & r.def().wmask,
            "{} via {alias:#x}",
            r.def().name
        );
        let before = rd(&p, r, i);
        w(&p, r, i, 0);
        assert_ne!(rd(&p, r, i), before);
        assert_eq!(p.read32(alias, Site::UNNAMED), rd(&p, r, i));
    }
    // RAL/RAH[0] hold the MAC address at reset (02:00:00:82:59:00).
    let s2 = common::sim(1);
    assert_eq!(s2.port(0).read32(0x05400, Site::UNNAMED), 0x8200_0002);
    assert_eq!(rd(&s2.port(0), R::RAH, 0), 0x8000_0059);
    assert_eq!(sim_82599::regs::lookup(0x02100), Some(("SRRCTL", Some(0))));
    assert_eq!(sim_82599::regs::lookup(0x0D014), Some(("SRRCTL", Some(64))));
}

#[test]
fn read_only_and_masked_bits() {
    let sim = common::sim(1);
    let p = sim.port(0);
    let st = rd(&p, R::STATUS, 0);
    w(&p, R::STATUS, 0, 0xFFFF_FFFF);
    assert_eq!(rd(&p, R::STATUS, 0), st);
    // RDBAL bits 6:0 read as 0; RXCTRL has only RXEN.
    w(&p, R::RDBAL, 0, 0x1234_5600);
    assert_eq!(rd(&p, R::RDBAL, 0), 0x1234_5600);
    w(&p, R::RXCTRL, 0, 0xFFFF_FFFF);
    assert_eq!(rd(&p, R::RXCTRL, 0), 1);
    let sim2 = Sim::builder().ports(2).build();
    assert_eq!(
        rd(&sim2.port(1), R::STATUS, 0) & 0xC,
        1 << 2,
        "LAN ID of port 1"
    );
}

#[test]
fn queue_enable_reads_back_only_when_the_queue_can_run() {
    let sim = common::sim(1);
    let p = sim.port(0);
    common::take_control(&p);
    let dma = sim.dma();
    let ring = dma::DmaMemory::alloc(&*dma, 4096, 128).unwrap();
    // TX: ring set, but DMATXCTL.TE = 0: ENABLE reads 0 until TE is set.
    w(&p, R::TDBAL, 1, ring.phys() as u32);
    w(&p, R::TDBAH, 1, (ring.phys() >> 32) as u32);
    w(&p, R::TDLEN, 1, 4096);
    w(&p, R::TXDCTL, 1, ENABLE);
    assert_eq!(rd(&p, R::TXDCTL, 1) & ENABLE, 0);
    w(&p, R::DMATXCTL, 0, rd(&p, R::DMATXCTL, 0) | 1);
    assert_eq!(rd(&p, R::TXDCTL, 1) & ENABLE, ENABLE);
    // RX: ring set: reads 1 at once; disabled: 0.
    let r2 = dma::DmaMemory::alloc(&*dma, 4096, 128).unwrap();
    w(&p, R::RDBAL, 2, r2.phys() as u32);
    w(&p, R::RDBAH, 2, (r2.phys() >> 32) as u32);
    w(&p, R::RDLEN, 2, 4096);
    w(&p, R::RXDCTL, 2, ENABLE);
    assert_eq!(rd(&p, R::RXDCTL, 2) & ENABLE, ENABLE);
    w(&p, R::RXDCTL, 2, 0);
    assert_eq!(rd(&p, R::RXDCTL, 2) & ENABLE, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn links_follows_autoc_restart_with_events() {
    let sim = manual();
    let p = sim.port(0);
    let up = |p: &sim_82599::Port| rd(p, R::LINKS, 0) & (1 << 30) != 0;
    assert!(!up(&p), "no link at power-on before the link delay");
    sim.advance(Duration::from_millis(50)).unwrap();
    assert!(up(&p));
    assert_eq!(rd(&p, R::LINKS, 0) & (3 << 28), 3 << 28, "10 Gb/s");
    assert_ne!(rd(&p, R::STATUS, 0) & (1 << 7), 0);
    assert_ne!(rd(&p, R::EICR, 0) & (1 << 20), 0, "LSC on link up");
    // Restart AN: down at once (LSC), up after the delay (LSC).
    w(&p, R::AUTOC, 0, rd(&p, R::AUTOC, 0) | (1 << 12));
    assert_eq!(rd(&p, R::AUTOC, 0) & (1 << 12), 0, "RESTART_AN self-clears");
    assert!(!up(&p));
    assert_ne!(rd(&p, R::EICR, 0) & (1 << 20), 0, "LSC on link down");
    sim.advance(Duration::from_millis(49)).unwrap();
    assert!(!up(&p));
    sim.advance(Duration::from_millis(1)).unwrap();
    assert!(up(&p));
    assert_ne!(rd(&p, R::EICR, 0) & (1 << 20), 0);
}

#[test]
fn bad_offsets_are_reported_not_fatal() {
    let sim = common::sim(1);
    let p = sim.port(0);
    assert_eq!(p.read32(0x20000, Site::UNNAMED), 0xFFFF_FFFF);
    p.write32(0x3, 1, Site::UNNAMED);
    let v = sim.violations();
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|v| v.rule == sim_82599::Rule::BadAccess));
    // Unknown but valid offsets are plain storage.
    p.write32(0x0F800, 0xABCD, Site::UNNAMED);
    assert_eq!(p.read32(0x0F800, Site::UNNAMED), 0xABCD);
}

#[test]
fn master_disable_clears_master_enable_status() {
    // Datasheet 8.2.3.1.1/8.2.3.1.2: before a reset, software sets CTRL.PCIE_MASTER_DISABLE and
    // waits for STATUS.PCIE_MASTER_ENABLE_STATUS (bit 19) to clear; the model has nothing in
    // flight.
    let sim = manual();
    let p = sim.port(0);
    assert_ne!(
        rd(&p, R::STATUS, 0) & (1 << 19),
        0,
        "master enabled at power-on"
    );
    w(&p, R::CTRL, 0, 1 << 2);
    assert_eq!(rd(&p, R::STATUS, 0) & (1 << 19), 0);
    w(&p, R::CTRL, 0, 0);
    assert_ne!(rd(&p, R::STATUS, 0) & (1 << 19), 0);
    // Strict mode: a reset without the drained master (issue 14.2) is flagged ...
    w(&p, R::CTRL, 0, 1 << 26);
    sim.advance(Duration::from_millis(2)).unwrap();
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, sim_82599::Rule::ResetWithMasterActive);
    // ... also with the disable set but STATUS not awaited ...
    w(&p, R::CTRL, 0, 1 << 2);
    w(&p, R::CTRL, 0, (1 << 2) | (1 << 26));
    sim.advance(Duration::from_millis(2)).unwrap();
    assert_eq!(sim.take_violations().len(), 1);
    // ... and not once STATUS read 0.
    w(&p, R::CTRL, 0, 1 << 2);
    assert_eq!(rd(&p, R::STATUS, 0) & (1 << 19), 0);
    w(&p, R::CTRL, 0, (1 << 2) | (1 << 26));
    sim.advance(Duration::from_millis(2)).unwrap();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert_eq!(rd(&p, R::CTRL, 0), 0, "reset clears the master disable bit");
    assert_ne!(
        rd(&p, R::STATUS, 0) & (1 << 19),
        0,
        "and the reset value of STATUS has it enabled"
    );
}
