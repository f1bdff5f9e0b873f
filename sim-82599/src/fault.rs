//! Fault injection: hardware misbehaviour a driver must survive.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// A fault to inject into one port with [`crate::Sim::inject`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// CTRL.RST/LRST never clear (and EEC.ARD, RDRXCTL.DMAIDONE never come up).
    ResetNeverCompletes,
    /// The link never comes up (as with no cable); takes it down if it is up.
    LinkNeverUp,
    /// Once up, the link goes down and up again every `period` (LSC each time).
    LinkFlap { period: Duration },
    /// The next `count` packet-buffer DMA transfers fail (an RX frame is dropped without
    /// using its descriptor; a TX frame is not sent but its descriptor completes).
    DmaError { count: u32 },
    /// The next `count` RX write-backs report a length `extra` bytes larger than the buffer.
    RxLengthTooLarge { extra: u16, count: u32 },
    /// The next `count` RX write-backs carry `bits` in the error field (STATUS_ERROR 31:20).
    RxDescErrors { bits: u32, count: u32 },
    /// The link stays down until AUTOC.RESTART_AN has been written `count` more times (a
    /// module or link partner that needs the link setup restarted, as some real ports do);
    /// takes it down now. A reset does not bring it up meanwhile.
    LinkNeedsRestarts { count: u32 },
    /// SECRXSTAT.SECRX_RDY never asserts: the Rx security path reports it is never empty
    /// after SECRXCTRL.RX_DIS is set (datasheet 4.6.7).
    SecRxNeverReady,
    /// The firmware holds the MAC registers it shares with software (SW_FW_SYNC
    /// .FW_MAC_CSR_SM reads 1, through resets): a driver waiting for SW_MAC_CSR_SM times out
    /// (datasheet 10.5.4).
    FirmwareHoldsMacCsr,
    /// The port leaves the bus (a surprise removal, a PCIe link that went down): every
    /// register reads all ones, writes are lost, and the card does no more DMA for it. A
    /// driver should notice (STATUS reads 0xFFFFFFFF) and stop counting. Cleared only by
    /// [`crate::Sim::clear_faults`].
    Removed,
}

/// Faults in effect on one port; read by the register file and the engines.
#[derive(Default)]
pub(crate) struct FaultState {
    pub reset_never: AtomicBool,
    pub link_never: AtomicBool,
    /// AUTOC.RESTART_AN writes still needed before the link may come up.
    pub an_restarts: AtomicU32,
    pub flap_ns: AtomicU64,
    pub dma_errors: AtomicU32,
    pub len_extra: AtomicU32,
    pub len_count: AtomicU32,
    pub err_bits: AtomicU32,
    pub err_count: AtomicU32,
    pub secrx_never: AtomicBool,
    pub removed: AtomicBool,
    pub fw_mac_csr: AtomicBool,
}

impl FaultState {
    pub fn clear(&self) {
        self.reset_never.store(false, Ordering::Relaxed);
        self.link_never.store(false, Ordering::Relaxed);
        self.an_restarts.store(0, Ordering::Relaxed);
        self.flap_ns.store(0, Ordering::Relaxed);
        self.dma_errors.store(0, Ordering::Relaxed);
        self.len_count.store(0, Ordering::Relaxed);
        self.err_count.store(0, Ordering::Relaxed);
        self.secrx_never.store(false, Ordering::Relaxed);
        self.removed.store(false, Ordering::Relaxed);
        self.fw_mac_csr.store(false, Ordering::Relaxed);
    }

    /// Take one from a countdown; true if it was positive.
    pub fn take(c: &AtomicU32) -> bool {
        c.load(Ordering::Relaxed) != 0
            && c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
                .is_ok()
    }

    /// Whether any per-packet fault is pending (one load on the fast path).
    #[inline]
    pub fn packet_faults(&self) -> bool {
        self.dma_errors.load(Ordering::Relaxed) != 0
            || self.len_count.load(Ordering::Relaxed) != 0
            || self.err_count.load(Ordering::Relaxed) != 0
    }
}
