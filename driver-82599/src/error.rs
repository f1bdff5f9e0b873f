//! Every way the driver can fail, as one typed error.

use nic_queue::{DeviceError, ErrorKind};
use std::time::Duration;

/// A driver error. Every bounded wait that runs out has its own variant naming what was awaited.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// CTRL.RST/LRST did not clear after a global reset (datasheet 4.6.3.2).
    #[error("device reset did not complete within {0:?} (CTRL.RST/CTRL.LRST still set)")]
    ResetTimeout(Duration),
    /// EEC.ARD never came up: the EEPROM auto-read did not finish (4.6.3).
    #[error("EEPROM auto-read did not complete within {0:?} (EEC.ARD not set)")]
    EepromTimeout(Duration),
    /// RDRXCTL.DMAIDONE never came up (4.6.3).
    #[error("DMA initialisation did not complete within {0:?} (RDRXCTL.DMAIDONE not set)")]
    DmaInitTimeout(Duration),
    /// SECRXSTAT.SECRX_RDY stayed clear after SECRXCTRL.RX_DIS was set: the Rx security path
    /// did not report itself empty, so receive was not enabled (4.6.7).
    #[error("Rx security path did not drain within {0:?} (SECRXSTAT.SECRX_RDY not set after SECRXCTRL.RX_DIS); receive not enabled")]
    SecRxTimeout(Duration),
    /// LINKS.UP stayed clear (4.6.4).
    #[error("link did not come up within {0:?}")]
    LinkTimeout(Duration),
    /// A configuration value the card or the driver cannot use.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A queue: a number that does not exist here or was handed out already, one that did not
    /// enable (RXDCTL/TXDCTL.ENABLE, 4.6.7.1, 4.6.8.1), or a ring its registers cannot hold.
    #[error(transparent)]
    Queue(#[from] nic_queue::QueueError),
    /// A transmit offload request that does not fit its packet (nothing of the call was sent).
    #[error(transparent)]
    Offload(#[from] nic_queue::txq::offload::OffloadError),
    /// DMA memory for rings or buffers.
    #[error("DMA memory: {0}")]
    Dma(#[from] dma::DmaError),
    /// The packet buffer pool.
    #[error("mempool: {0}")]
    Mempool(#[from] dma::MempoolError),
    /// A register access the generated code rejected (index out of range, value too wide).
    #[error("register access: {0}")]
    Register(String),
    /// A filter table has no free entry.
    #[error("the {table} table is full ({capacity} entries)")]
    FilterFull {
        table: &'static str,
        capacity: usize,
    },
    /// Removing a filter that is not there.
    #[error("no such filter: {0}")]
    NoSuchFilter(String),
    /// An 82599 part whose link the driver cannot set up (by device id, before anything was
    /// written to it; see `backend::media`).
    #[error("PCI device {addr} is an 82599 ({id}) with media this driver cannot bring up: {reason}; left untouched")]
    UnsupportedMedia {
        addr: String,
        id: pci_dma::PciId,
        reason: &'static str,
    },
    /// Receive interrupts: a queue without one (not set up), or the eventfd failed.
    #[error("interrupts: {0}")]
    Interrupt(String),
    /// Opening real hardware.
    #[error("PCI: {0}")]
    Pci(#[from] pci_dma::PciError),
    /// The software/firmware semaphore (datasheet 10.5.4) was not granted in time: the
    /// firmware, or another agent, holds it.
    #[error("the software/firmware semaphore ({what}) was not granted within {timeout:?} (datasheet 10.5.4)")]
    SemaphoreTimeout {
        what: &'static str,
        timeout: std::time::Duration,
    },
    /// Attaching to a card ([`crate::share`]): no primary process runs it.
    #[error("cannot attach: no primary process has initialised the card ({0}); start one (without --attach) first")]
    NoPrimary(String),
    /// Attaching to a card that would need a reset first, which only the primary does.
    #[error("cannot attach: the card would need a reset ({0}); a secondary never resets it: restart the primary")]
    NeedsReset(String),
    /// Attaching to a queue another process holds.
    #[error("cannot attach to queue {queue}: it is taken by process {holder} ({path})")]
    QueueTaken {
        queue: u16,
        holder: String,
        path: String,
    },
    /// Attaching to a queue the primary did not set aside for secondaries.
    #[error("cannot attach to queue {queue}: the primary shares queues {shared} (Config::shared_queues)")]
    NotShared { queue: u16, shared: String },
    /// Attaching to a VMDq pool the primary did not set aside for secondaries (or a primary
    /// without pools).
    #[error("cannot attach to pool {pool}: the primary shares pools {shared} (Config::vmdq with Config::shared_queues)")]
    PoolNotShared { pool: u16, shared: String },
    /// A primary about to reset a card that secondaries (of an earlier primary) still use.
    #[error("secondaries still run on this card ({0}): resetting it would pull their rings from under them; stop them first")]
    SecondariesRunning(String),
    /// The primary is stopping, or stopped the card, while this secondary ran.
    #[error("the primary process is stopping or stopped the card ({0})")]
    PrimaryGone(String),
    /// The share directory (its lock files) could not be used.
    #[error("share directory {path}: {err}")]
    ShareDir { path: String, err: std::io::Error },
    /// STATUS reads all ones, which its reserved bits 31:20 never do on a present card
    /// (8.2.3.1.2): the device left the bus (surprise removal, a reset PCIe link), or a
    /// simulated card's process ended. Counters read after it would be garbage and are not
    /// added to the totals.
    #[error("the device is gone: STATUS reads 0xFFFFFFFF (removed from the bus, or the card process ended)")]
    DeviceGone,
}

/// The kind, shared by every driver: what a program generic over the card
/// ([`nic_queue::QueueDevice`]) matches on.
impl DeviceError for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::ResetTimeout(_)
            | Error::EepromTimeout(_)
            | Error::DmaInitTimeout(_)
            | Error::SecRxTimeout(_)
            | Error::SemaphoreTimeout { .. } => ErrorKind::Init,
            Error::LinkTimeout(_) => ErrorKind::LinkTimeout,
            // An offload request that does not fit its packet: bad input, as a bad configuration.
            // Interrupts used before they are set up, as a configuration mistake.
            Error::Config(_) | Error::Offload(_) | Error::Interrupt(_) => ErrorKind::Config,
            Error::Queue(_) => ErrorKind::Queue,
            Error::Dma(_) => ErrorKind::Dma,
            Error::Mempool(_) => ErrorKind::Mempool,
            Error::Register(_) => ErrorKind::Register,
            Error::FilterFull { .. } | Error::NoSuchFilter(_) => ErrorKind::Filter,
            Error::UnsupportedMedia { .. } | Error::Pci(_) => ErrorKind::Pci,
            Error::NoPrimary(_)
            | Error::NeedsReset(_)
            | Error::QueueTaken { .. }
            | Error::NotShared { .. }
            | Error::PoolNotShared { .. }
            | Error::PrimaryGone(_)
            | Error::SecondariesRunning(_)
            | Error::ShareDir { .. } => ErrorKind::Attach,
            Error::DeviceGone => ErrorKind::Gone,
        }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
