//! PCIe master disable (82599 datasheet 5.2.5.3.2, 8.2.3.1.1-2): software sets
//! CTRL.PCIE_MASTER_DISABLE, the card issues no new DMA, and STATUS.PCIE_MASTER_ENABLE_STATUS
//! clears once no request is pending. Only then may the card be reset.
//!
//! In the model DMA happens inside engine passes (`Engine::step`), so requests may be pending
//! while a pass that began before the disable is still running (as for the Rx security path,
//! `secrx`). Strict mode flags a reset that is not preceded by STATUS read with the bit clear.

use crate::card::{PortHw, Shared};
use crate::regs::{CTRL_PCIE_MASTER_DISABLE, STATUS_PCIE_MASTER_ENABLE};
use std::sync::atomic::Ordering;

impl Shared {
    /// CTRL was written without a reset bit (`new` already stored).
    pub(crate) fn master_written(&self, p: &PortHw, old: u32, new: u32) {
        let (was, now) = (
            old & CTRL_PCIE_MASTER_DISABLE != 0,
            new & CTRL_PCIE_MASTER_DISABLE != 0,
        );
        if was == now {
            return;
        }
        p.master_idle_seen.store(false, Ordering::Release);
        if now {
            let pass = self.passes.load(Ordering::SeqCst);
            p.master_pass.store(pass, Ordering::Release);
        }
    }

    /// The value of STATUS: PCIE_MASTER_ENABLE_STATUS computed from the disable and the engine.
    pub(crate) fn status(&self, p: &PortHw, stored: u32) -> u32 {
        let v = stored & !STATUS_PCIE_MASTER_ENABLE;
        if !p.master_disabled() {
            return v | STATUS_PCIE_MASTER_ENABLE;
        }
        let h = p.master_pass.load(Ordering::Acquire);
        if h % 2 == 1 && self.passes.load(Ordering::SeqCst) == h {
            // The pass running at the disable may still be writing.
            return v | STATUS_PCIE_MASTER_ENABLE;
        }
        p.master_idle_seen.store(true, Ordering::Release);
        v
    }
}

#[cfg(test)]
mod tests {
    use regdsl_rt::{Bus, Site};
    use std::sync::atomic::Ordering;

    const CTRL: usize = 0x00000;
    const STATUS: usize = 0x00008;
    const GIO: u32 = 1 << 19;

    #[test]
    fn requests_drain_when_the_pass_running_at_the_disable_ends() {
        let sim = crate::Sim::builder().build();
        let p = sim.port(0);
        assert_ne!(p.read32(STATUS, Site::UNNAMED) & GIO, 0, "master enabled");
        let passes = &sim.sh.passes;
        passes.fetch_add(1, Ordering::SeqCst);
        p.write32(CTRL, 1 << 2, Site::UNNAMED);
        assert_ne!(
            p.read32(STATUS, Site::UNNAMED) & GIO,
            0,
            "pass still running"
        );
        passes.fetch_add(1, Ordering::SeqCst);
        assert_eq!(p.read32(STATUS, Site::UNNAMED) & GIO, 0, "drained");
        p.write32(CTRL, (1 << 2) | (1 << 26), Site::UNNAMED);
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    }
}
