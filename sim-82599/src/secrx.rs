//! The Rx security path's halt handshake (82599 datasheet 4.6.7, 8.2.3.12): software sets
//! SECRXCTRL.RX_DIS, waits for SECRXSTAT.SECRX_RDY (the path holds no frame), and only then
//! sets RXCTRL.RXEN and clears RX_DIS again.
//!
//! In the model a frame crosses the security block inside one engine pass (`Engine::step`),
//! under the RX_DIS the pass saw when it began. So the path is empty once no pass that began
//! before RX_DIS was set is still running: at once when the engine was idle at that write
//! (always so without the engine thread, since `Sim::step` runs on the caller's thread), else
//! when the pass in progress ends. While RX_DIS is set, arriving frames are not taken in
//! (counted with those lost to RXEN = 0).

use crate::card::{PortHw, Shared};
use crate::regs::{R, SECRXCTRL_RX_DIS, SECRXSTAT_SECRX_RDY};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Per-port handshake state.
#[derive(Default)]
pub(crate) struct SecRx {
    /// `Shared::passes` when RX_DIS last went 0 -> 1 (odd: a pass was running).
    halt_pass: AtomicU64,
    /// SECRX_RDY was read as 1 since RX_DIS was last set (what strict mode asks for).
    ready_seen: AtomicBool,
}

impl SecRx {
    /// A reset clears RX_DIS and with it the handshake.
    pub fn reset(&self) {
        self.ready_seen.store(false, Ordering::Release);
    }
}

fn rx_dis(p: &PortHw) -> bool {
    p.regs.get(R::SECRXCTRL, 0) & SECRXCTRL_RX_DIS != 0
}

impl Shared {
    /// SECRXCTRL was written (`new` already stored).
    pub(crate) fn secrx_written(&self, p: &PortHw, old: u32, new: u32) {
        let (was, now) = (old & SECRXCTRL_RX_DIS != 0, new & SECRXCTRL_RX_DIS != 0);
        if was == now {
            return;
        }
        p.secrx.ready_seen.store(false, Ordering::Release);
        // The engines reload their snapshot (and with it RX_DIS) at their next pass. SeqCst
        // pairs with the engine's increment of `passes` and its load of `cfg_gen`: either the
        // pass seen here has not begun (it will see RX_DIS), or it is waited for.
        p.cfg_gen.fetch_add(1, Ordering::SeqCst);
        if now {
            let pass = self.passes.load(Ordering::SeqCst);
            p.secrx.halt_pass.store(pass, Ordering::Release);
        }
    }

    /// The value of SECRXSTAT: SECRX_RDY once RX_DIS is set and the path is empty.
    pub(crate) fn secrx_status(&self, p: &PortHw) -> u32 {
        if !rx_dis(p) || p.faults.secrx_never.load(Ordering::Relaxed) {
            return 0;
        }
        let h = p.secrx.halt_pass.load(Ordering::Acquire);
        if h % 2 == 1 && self.passes.load(Ordering::SeqCst) == h {
            // The pass that was running when RX_DIS was set may still hold a frame.
            return 0;
        }
        p.secrx.ready_seen.store(true, Ordering::Release);
        SECRXSTAT_SECRX_RDY
    }

    /// Receive may be enabled: RX_DIS set and SECRX_RDY read as 1 since.
    pub(crate) fn secrx_halted(&self, p: &PortHw) -> bool {
        rx_dis(p) && p.secrx.ready_seen.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use crate::regs::{SECRXCTRL_RX_DIS, SECRXSTAT_SECRX_RDY};
    use regdsl_rt::{Bus, Site};
    use std::sync::atomic::Ordering;

    const SECRXCTRL: usize = 0x08D00;
    const SECRXSTAT: usize = 0x08D04;

    #[test]
    fn not_ready_until_the_pass_running_at_the_write_ends() {
        let sim = crate::Sim::builder().build();
        let p = sim.port(0);
        let passes = &sim.sh.passes;
        // The engine thread is inside a pass (it may hold a frame) when RX_DIS is set.
        passes.fetch_add(1, Ordering::SeqCst);
        let sec = p.read32(SECRXCTRL, Site::UNNAMED);
        p.write32(SECRXCTRL, sec | SECRXCTRL_RX_DIS, Site::UNNAMED);
        assert_eq!(p.read32(SECRXSTAT, Site::UNNAMED), 0);
        // That pass ends: empty. A pass begun after the write saw RX_DIS: still empty.
        passes.fetch_add(1, Ordering::SeqCst);
        assert_eq!(p.read32(SECRXSTAT, Site::UNNAMED), SECRXSTAT_SECRX_RDY);
        passes.fetch_add(1, Ordering::SeqCst);
        assert_eq!(p.read32(SECRXSTAT, Site::UNNAMED), SECRXSTAT_SECRX_RDY);
        passes.fetch_add(1, Ordering::SeqCst);
    }
}
