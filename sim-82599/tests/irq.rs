//! The card's interrupt registers alone (datasheet 7.3): MSI/legacy mode sends every cause on
//! vector 0, auto-mask needs GPIE.EIAME, auto-clear follows EIAC, a cleared cause owes nothing.

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
