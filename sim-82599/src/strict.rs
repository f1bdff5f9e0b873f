//! Strict mode: datasheet rules a driver must follow, each break recorded with the access that
//! caused it.

use regdsl_rt::{Dir, TraceLine};
use std::fmt;

/// The rule a driver broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// FCTRL (or RXCSUM) changed while RXCTRL.RXEN = 1 (datasheet 8.2.3.7.1, 4.6.7).
    FilterChangedWhileRxEnabled,
    /// Base, length or head of a ring changed while its queue is enabled (4.6.7.1, 4.6.8.1).
    RingChangedWhileEnabled,
    /// RDT/TDT at or beyond the number of descriptors in the ring.
    TailBeyondRing,
    /// Ring base not 128-byte aligned, or length not a multiple of 128 (8.2.3.8.1, 8.2.3.8.3).
    RingMisaligned,
    /// Reserved bits written with a value other than the required one.
    ReservedBits,
    /// DMATXCTL written so that its VT field (VLAN EtherType, reset 0x8100) was lost.
    VtClobbered,
    /// RXDCTL/TXDCTL.ENABLE set before the queue's ring was configured.
    EnabledBeforeRing,
    /// An access outside BAR0 or not 4-byte aligned.
    BadAccess,
    /// RXCTRL.RXEN set (0 -> 1) while the Rx security path was not halted: SECRXCTRL.RX_DIS
    /// clear, or SECRXSTAT.SECRX_RDY not yet read as 1 since RX_DIS was set (datasheet 4.6.7;
    /// also an 82599 erratum: traffic arriving as receive is enabled can hang the Rx DMA).
    RxEnabledWithSecurityPathActive,
    /// The queuing mode (MRQC.MRQE, PFVTCTL.VT_ENA/DEF_PL/DIS_DEF_POOL) changed while
    /// RXCTRL.RXEN = 1 (datasheet 4.6.10.1, 4.6.11.3).
    PoolModeChangedWhileRxEnabled,
    /// A receive address made valid (RAH.AV) with pools and receive on before MPSAR selects a
    /// pool for it: frames to it are misdelivered in between. (MAC addresses with pools:
    /// datasheet 4.6.10.1.4. The order is Intel's shared code's, ixgbe_set_rar_generic; no
    /// datasheet sentence requiring it was found, so with receive off it is not flagged.)
    AddressWithoutPool,
    /// A Flow Director command before FDIRCTRL.INIT_DONE: the table is still being
    /// initialised (datasheet 7.1.2.7, FDIRCTRL; Linux polls INIT_DONE before any filter).
    FdirBeforeInit,
    /// Flow Director enabled while RXPBSIZE gives its memory to the traffic classes (the
    /// filters live in the receive packet buffer: FDIRCTRL.PBALLOC, datasheet 7.1.2.7).
    FdirOverPacketBuffer,
    /// The Flow Director masks (FDIRM) changed while filters are in the table: the bucket
    /// hash covers the masked fields, so the filters added before sit in buckets the lookup
    /// no longer reaches (Linux's ixgbe refuses a second mask while filters exist; the
    /// flexible-byte offset cannot change under filters, a FDIRCTRL write empties the table).
    FdirMaskWithFilters,
    /// A perfect filter added with bits set that the field masks (FDIRSIP4M, FDIRDIP4M,
    /// FDIRTCPM, FDIRUDPM, FDIRSCTPM, FDIRIP6M) ignore: the card compares the frame's fields
    /// with those bits cleared, so the filter never matches (datasheet 7.1.2.7; Linux's ixgbe
    /// clears them in the filter and its hash).
    FdirFilterNotMasked,
    /// A Flow Director command the card could not carry out: an add with the table full
    /// (FDIRFREE.FREE = 0) or a remove of a filter the table does not hold. The card only
    /// counts it (FDIRFSTAT, datasheet 8.2.3.21.13); a driver that believes it succeeded has
    /// a filter list that is no longer the card's.
    FdirCommandFailed,
    /// CTRL.RST/LRST written while PCIe master requests may be pending: CTRL
    /// .PCIE_MASTER_DISABLE not set, or STATUS.PCIE_MASTER_ENABLE_STATUS not read as 0 since
    /// (datasheet 5.2.5.3.2, 4.6.3.2).
    ResetWithMasterActive,
    /// Receive or a queue enabled while CTRL_EXT.DRV_LOAD = 0: the firmware does not know a
    /// driver has the card (datasheet 8.2.3.1.3).
    DriverNotLoaded,
    /// RXCTRL.RXEN set while a filter table the reset leaves undefined (RAL/RAH[1..127], MTA,
    /// VFTA, FTQF, SAQF, DAQF, SDPQF) has an element never written since power-up (4.6.7).
    FiltersNotCleared,
    /// TXPBSIZE or MTQC written while RTTDCS.ARBDIS = 0 (datasheet 4.6.11.3.1).
    TxSetupWithArbiterOn,
    /// The link restarted (AUTOC.RESTART_AN) in a link mode that is not the card's media's:
    /// the simulated card is an SFP+ part (AUTOC.LMS = 10 Gb/s serial, AUTOC2 serial PMA/PMD =
    /// SFI; datasheet 4.6.4).
    LinkModeNotForMedia,
    /// The driver released DMA memory that an enabled queue still uses: a descriptor ring, or
    /// a buffer handed to the card (descriptors between head and tail).
    ReleasedWhileInUse,
    /// The card wrote into DMA memory the driver had released.
    DmaIntoReleasedMemory,
    /// A malformed transmit offload request (datasheet 7.2.3.2.3, 7.2.4, 7.2.5): checksum or
    /// TSO without a written context, MSS 0, header lengths out of range or beyond the
    /// packet, PAYLEN wrong, TSO of a non-TCP packet, RS (reserved) on a context descriptor.
    /// The packet is dropped.
    BadOffload,
    /// TXDCTL.ENABLE cleared while the queue still holds descriptors the card has not sent
    /// (TDH != TDT) without the driver having read TDH since its last TDT write: it neither
    /// waited for the ring to drain nor learnt what it drops (datasheet 4.6.8.1; issue 14).
    TxDisabledWithPending,
    /// A register shared with the firmware written without its semaphore (datasheet 10.5.4):
    /// SW_FW_SYNC without SWSM (SMBI + SWESMBI) held, or AUTOC/AUTOC2 without
    /// SW_FW_SYNC.SW_MAC_CSR_SM.
    SemaphoreNotHeld,
    /// A receive queue enabled with its head (RDH) not at its tail (RDT): a ring reused
    /// (after a process died) without its head reset (datasheet 4.6.7.1).
    HeadNotAtTail,
    /// A legal setting the simulated card does not model (e.g. low-latency interrupt
    /// moderation in EITR, or EITR[64..127] of the VF vectors): flagged rather than silently
    /// ignored.
    Unmodelled,
    /// In MSI-X mode, an interrupt cause enabled that no vector carries: an other cause
    /// (EIMS bits 30:16, e.g. LSC) while IVAR_MISC maps it to no vector, so its message can
    /// never be sent (datasheet 7.3.1). The usual mistake behind it: a queue vector 16..63
    /// armed through EIMS instead of EIMS_EX.
    CauseWithoutVector,
}

/// One strict-mode rule break: the access (as a trace line) and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub port: usize,
    pub dir: Dir,
    pub offset: usize,
    pub value: u32,
    /// Register name (`?` when the offset is not a known register) and index.
    pub register: String,
    pub index: Option<u32>,
    pub rule: Rule,
    pub detail: String,
}

impl Violation {
    /// The access in the project's trace format: `W 0x01018 0x00000200 RDT[0]`.
    pub fn access(&self) -> String {
        TraceLine {
            dir: self.dir,
            offset: self.offset,
            value: u64::from(self.value),
            bits: 32,
            name: &self.register,
            index: self.index,
        }
        .to_string()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port {}: {}: {:?}: {}",
            self.port,
            self.access(),
            self.rule,
            self.detail
        )
    }
}
