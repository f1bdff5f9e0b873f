//! The card's interrupt registers alone (datasheet 7.3): MSI/legacy mode sends every cause on
//! vector 0, auto-mask needs GPIE.EIAME, auto-clear follows EIAC, a cleared cause owes nothing;
//! vectors 16..63 through the `_EX` registers; the link change on the IVAR_MISC vector; the
//! strict rules of the interrupt registers.

use pci_dma::EventFd;
use regdsl_rt::{Bus, Site};
use sim_82599::Sim;
use std::os::fd::AsFd;

const EICR: usize = 0x00800;
const EICS: usize = 0x00808;
const EIAC: usize = 0x00810;
const EIMS: usize = 0x00880;
const EIMC: usize = 0x00888;
const EIAM: usize = 0x00890;
const GPIE: usize = 0x00898;
const IVAR_MISC: usize = 0x00A00;
const EICS_EX: usize = 0x00A90;
const EIMS_EX: usize = 0x00AA0;
const EIMC_EX: usize = 0x00AB0;
const EIAM_EX: usize = 0x00AD0;
const LSC: u32 = 1 << 20;
const MSIX_MODE: u32 = 1 << 4;
const EIAME: u32 = 1 << 30;

fn eventfd() -> EventFd {
    EventFd::new().unwrap()
}

/// The messages the vector sent since the last call.
fn take(fd: &EventFd) -> u64 {
    fd.take().unwrap()
}

fn card() -> (Sim, sim_82599::Port) {
    let sim = Sim::builder().threaded(false).build();
    let p = sim.port(0);
    (sim, p)
}

#[test]
fn without_msix_mode_every_cause_goes_to_vector_0() {
    let (sim, p) = card();
    let (v0, v3) = (eventfd(), eventfd());
    sim.set_msix(0, 0, Some(v0.as_fd())).unwrap();
    sim.set_msix(0, 3, Some(v3.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(EIMS, 1 << 3, s);
    p.write32(EICS, 1 << 3, s);
    assert_eq!((take(&v0), take(&v3)), (1, 0));
    // MSI-X mode: its own vector.
    p.write32(EICR, u32::MAX, s);
    p.write32(GPIE, MSIX_MODE, s);
    p.write32(EICS, 1 << 3, s);
    assert_eq!((take(&v0), take(&v3)), (0, 1));
    assert!(sim.violations().is_empty());
}

#[test]
fn without_msix_mode_other_causes_and_vectors_past_15_go_to_vector_0() {
    let (sim, p) = card();
    let (v0, v40) = (eventfd(), eventfd());
    sim.set_msix(0, 0, Some(v0.as_fd())).unwrap();
    sim.set_msix(0, 40, Some(v40.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(EIMS, LSC, s);
    p.write32(EICS, LSC, s);
    assert_eq!(take(&v0), 1, "LSC");
    p.write32(EIMS_EX + 4, 1 << 8, s);
    p.write32(EICS_EX + 4, 1 << 8, s);
    assert_eq!((take(&v0), take(&v40)), (1, 0), "vector 40's cause");
    assert!(sim.violations().is_empty());
}

#[test]
fn auto_mask_needs_eiame_and_auto_clear_follows_eiac() {
    let (sim, p) = card();
    let v = eventfd();
    sim.set_msix(0, 1, Some(v.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(GPIE, MSIX_MODE, s);
    p.write32(EIAM, 1 << 1, s);
    p.write32(EIMS, 1 << 1, s);
    p.write32(EICS, 1 << 1, s);
    assert_eq!(take(&v), 1);
    // No EIAME: still unmasked; no EIAC: the cause stays set.
    assert_eq!(p.read32(EIMS, s), 1 << 1);
    assert_eq!(
        p.read32(EICR, s) & (1 << 1),
        1 << 1,
        "EICR is read-to-clear"
    );
    p.write32(GPIE, MSIX_MODE | EIAME, s);
    p.write32(EIAC, 1 << 1, s);
    p.write32(EICS, 1 << 1, s);
    assert_eq!(take(&v), 1);
    assert_eq!(p.read32(EIMS, s), 0, "auto-masked");
    // Auto-cleared: re-arming sends nothing.
    p.write32(EIMS, 1 << 1, s);
    assert_eq!(take(&v), 0);
    assert!(sim.violations().is_empty());
}

#[test]
fn a_cause_cleared_while_masked_owes_nothing() {
    let (sim, p) = card();
    let v = eventfd();
    sim.set_msix(0, 2, Some(v.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(GPIE, MSIX_MODE, s);
    p.write32(EIMC, 1 << 2, s);
    p.write32(EICS, 1 << 2, s);
    assert_eq!(take(&v), 0, "masked");
    p.write32(EICR, 1 << 2, s); // write 1 to clear
    p.write32(EIMS, 1 << 2, s);
    assert_eq!(take(&v), 0, "cleared before the unmasking");
    p.write32(EICS, 1 << 2, s);
    assert_eq!(take(&v), 1);
    assert_eq!(sim.msix_count(0, 2).unwrap(), 1);
    assert!(sim.violations().is_empty());
}

#[test]
fn no_message_while_pcie_mastering_is_off_and_the_owed_one_follows() {
    let (sim, p) = card();
    let v = eventfd();
    sim.set_msix(0, 0, Some(v.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(GPIE, MSIX_MODE, s);
    p.write32(EIMS, 1, s);
    p.write32(0x00000, 1 << 2, s); // CTRL.PCIE_MASTER_DISABLE: an MSI-X message is a memory write
    p.write32(EICS, 1, s);
    assert_eq!(take(&v), 0);
    p.write32(0x00000, 0, s);
    assert_eq!(take(&v), 1);
    assert!(sim.violations().is_empty());
}

#[test]
fn vector_40_is_set_armed_masked_and_auto_masked_through_the_ex_registers() {
    let (sim, p) = card();
    let (v40, v8) = (eventfd(), eventfd());
    sim.set_msix(0, 40, Some(v40.as_fd())).unwrap();
    sim.set_msix(0, 8, Some(v8.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(GPIE, MSIX_MODE | EIAME, s);
    p.write32(EIAM_EX + 4, 1 << 8, s); // vector 40 = EIAM_EX[1] bit 8
                                       // Set while masked: no message; the cause waits.
    p.write32(EICS_EX + 4, 1 << 8, s);
    assert_eq!((take(&v40), take(&v8)), (0, 0));
    // Armed through EIMS_EX[1]: its message, on vector 40 only (not 8, not 8 + 16).
    p.write32(EIMS_EX + 4, 1 << 8, s);
    assert_eq!((take(&v40), take(&v8)), (1, 0));
    assert_eq!(
        p.read32(EIMS_EX + 4, s),
        0,
        "auto-masked (EIAM_EX, GPIE.EIAME)"
    );
    // Vectors 16..63 auto-clear (EIAC has no bit for them): arming again sends nothing.
    p.write32(EIMS_EX + 4, 1 << 8, s);
    assert_eq!(take(&v40), 0);
    assert_eq!(p.read32(EIMS_EX + 4, s), 1 << 8);
    // EIMC_EX masks it: a cause while masked sends nothing until armed.
    p.write32(EIMC_EX + 4, 1 << 8, s);
    assert_eq!(p.read32(EIMS_EX + 4, s), 0);
    p.write32(EICS_EX + 4, 1 << 8, s);
    assert_eq!(take(&v40), 0);
    // Legacy EIMS bits 30:16 are other causes, not vectors 16..30: bit 8 + 16 arms nothing.
    p.write32(EIMS, 1 << 24, s);
    assert_eq!(take(&v40), 0);
    p.write32(EIMS_EX + 4, 1 << 8, s);
    assert_eq!(take(&v40), 1);
    assert_eq!(sim.msix_count(0, 40).unwrap(), 2);
    // No auto-mask bit: the vector stays armed after its message.
    p.write32(EIAM_EX + 4, 0, s);
    p.write32(EIMS_EX + 4, 1 << 8, s);
    p.write32(EICS_EX + 4, 1 << 8, s);
    p.write32(EICS_EX + 4, 1 << 8, s);
    assert_eq!(take(&v40), 2);
    assert_eq!(p.read32(EIMS_EX + 4, s), 1 << 8);
    let v = sim.take_violations();
    assert!(
        v.iter()
            .all(|v| v.register == "EIMS" && v.rule == sim_82599::Rule::CauseWithoutVector),
        "{v:?}"
    );
}

#[test]
fn vectors_0_to_15_are_the_same_bits_in_eims_and_eims_ex_0() {
    let (sim, p) = card();
    let v5 = eventfd();
    sim.set_msix(0, 5, Some(v5.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(GPIE, MSIX_MODE | EIAME, s);
    p.write32(EIMS_EX, (1 << 5) | (1 << 17), s);
    assert_eq!(p.read32(EIMS, s) & 0xFFFF, 1 << 5, "EIMS shows vector 5");
    assert_eq!(p.read32(EIMS_EX, s), (1 << 5) | (1 << 17));
    p.write32(EIMC, 1 << 5, s);
    assert_eq!(
        p.read32(EIMS_EX, s),
        1 << 17,
        "EIMC masks it in EIMS_EX[0] too"
    );
    p.write32(EIAM, 1 << 5, s);
    assert_eq!(p.read32(EIAM_EX, s), 1 << 5);
    p.write32(EIMS_EX, 1 << 5, s);
    p.write32(EICS_EX, 1 << 5, s);
    assert_eq!(take(&v5), 1);
    assert_eq!(
        p.read32(EICR, s) & (1 << 5),
        1 << 5,
        "vector 5's cause is EICR bit 5"
    );
    assert_eq!(p.read32(EIMS_EX, s), 1 << 17, "auto-masked through EIAM");
    assert!(sim.violations().is_empty());
}

#[test]
fn a_link_change_sends_lsc_on_the_ivar_misc_vector() {
    let sim = Sim::builder()
        .threaded(false)
        .link_delay(std::time::Duration::from_millis(2))
        .build();
    let p = sim.port(0);
    let v63 = eventfd();
    sim.set_msix(0, 63, Some(v63.as_fd())).unwrap();
    let s = Site::UNNAMED;
    p.write32(GPIE, MSIX_MODE, s);
    // Other causes -> vector 63 (INT_ALLOC1 15:8, valid bit 15); LSC enabled.
    p.write32(IVAR_MISC, (0x80 | 63) << 8, s);
    p.write32(EIMS, LSC, s);
    // Power-on link-up (its LSC may already be set: read to clear, then wait for a change).
    std::thread::sleep(std::time::Duration::from_millis(5));
    p.read32(EICR, s);
    take(&v63);
    let before = sim.msix_count(0, 63).unwrap();
    assert!(sim.link_up(0).unwrap());
    sim.inject(0, sim_82599::Fault::LinkNeverUp).unwrap();
    p.read32(0x00008, s); // the register access that runs the card's timers
    assert!(!sim.link_up(0).unwrap());
    assert_eq!(take(&v63), 1, "link down: LSC on vector 63");
    assert_eq!(p.read32(EICR, s) & LSC, LSC);
    // Masked (EIMC) or unmapped (IVAR_MISC valid bit clear): the next change sends nothing.
    p.write32(EIMC, LSC, s);
    sim.clear_faults(0).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    p.read32(0x00008, s);
    assert!(sim.link_up(0).unwrap());
    assert_eq!(take(&v63), 0, "LSC masked");
    // Enabling it with the cause set sends the owed message.
    p.write32(EIMS, LSC, s);
    assert_eq!(take(&v63), 1);
    p.write32(EICR, LSC, s);
    p.write32(IVAR_MISC, 0, s);
    sim.inject(0, sim_82599::Fault::LinkNeverUp).unwrap();
    p.read32(0x00008, s);
    assert_eq!(take(&v63), 0, "no vector mapped");
    assert_eq!(sim.msix_count(0, 63).unwrap() - before, 2);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn strict_mode_flags_misused_interrupt_registers() {
    use sim_82599::Rule;
    let (sim, p) = card();
    let s = Site::UNNAMED;
    // MSI/legacy mode: EIMS bit 20 is LSC, enabled without a vector: fine (vector 0 carries all).
    p.write32(EIMS, LSC, s);
    assert!(sim.take_violations().is_empty());
    // MSI-X mode: "vector 20" through EIMS enables LSC, which no vector carries.
    p.write32(GPIE, MSIX_MODE, s);
    p.write32(EIMS, 1 << 20, s);
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].rule, v[0].register.as_str()),
        (Rule::CauseWithoutVector, "EIMS")
    );
    // The same through EIMS_EX (vector 20), or with IVAR_MISC mapping the other causes: fine.
    p.write32(EIMS_EX, 1 << 20, s);
    p.write32(IVAR_MISC, 0x80 << 8, s);
    p.write32(EIMS, 1 << 20, s);
    assert!(sim.take_violations().is_empty());
    // The TCP timer has its own entry (INT_ALLOC0).
    p.write32(EIMS, 1 << 30, s);
    assert_eq!(sim.take_violations()[0].rule, Rule::CauseWithoutVector);
    // Reserved bits of IVAR_MISC; EITR of a VF vector; low-latency moderation.
    p.write32(IVAR_MISC, 1 << 16, s);
    p.write32(0x12300 + 4 * (64 - 24), 0x28, s); // EITR[64]
    p.write32(0x00820, 1 << 15, s); // EITR[0].LLI_MODERATION
    let v = sim.take_violations();
    let rules: Vec<_> = v.iter().map(|v| (v.rule, v.register.as_str())).collect();
    assert_eq!(
        rules,
        [
            (Rule::ReservedBits, "IVAR_MISC"),
            (Rule::Unmodelled, "EITR"),
            (Rule::Unmodelled, "EITR")
        ]
    );
    // Every vector 0..63 may be named by IVAR: no rule.
    p.write32(
        0x00900,
        0x8080_8080 | (63 << 24) | (40 << 16) | (20 << 8) | 16,
        s,
    );
    assert!(sim.take_violations().is_empty());
    assert!(sim.set_msix(0, 63, None).is_ok() && sim.set_msix(0, 64, None).is_err());
}
