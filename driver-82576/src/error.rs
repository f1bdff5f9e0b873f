//! Every way the driver can fail, as one typed error.

use nic_queue::{DeviceError, ErrorKind};
use std::time::Duration;

/// A driver error. Every bounded wait that runs out has its own variant naming what was awaited.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// CTRL.RST did not clear after a device reset (82576 datasheet 4.5, software initialization).
    #[error("device reset did not complete within {0:?} (CTRL.RST still set)")]
    ResetTimeout(Duration),
    /// An MDIC operation did not report READY.
    #[error("MDIC {op} of PHY register {reg} did not complete within {timeout:?}")]
    MdicTimeout {
        op: &'static str,
        reg: u32,
        timeout: Duration,
    },
    /// An MDIC operation ended with MDIC.ERROR (no PHY at the address, or an unsupported register).
    #[error("MDIC {op} of PHY register {reg} failed (MDIC.ERROR set, MDIC {mdic:#010x})")]
    MdicError {
        op: &'static str,
        reg: u32,
        mdic: u32,
    },
    /// STATUS.LU stayed clear.
    #[error("link did not come up within {0:?}")]
    LinkTimeout(Duration),
    /// A configuration value the card or the driver cannot use.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Receive interrupts: a queue without one (not set up), or the eventfd failed.
    #[error("interrupts: {0}")]
    Interrupt(String),
    /// A queue: a number that does not exist here or was handed out already, one that did not
    /// enable (RXDCTL/TXDCTL.ENABLE), or a ring its registers cannot hold.
    #[error(transparent)]
    Queue(#[from] nic_queue::QueueError),
    /// DMA memory for rings or buffers.
    #[error("DMA memory: {0}")]
    Dma(#[from] dma::DmaError),
    /// The packet buffer pool.
    #[error("mempool: {0}")]
    Mempool(#[from] dma::MempoolError),
    /// A register access the generated code rejected (index out of range, value too wide).
    #[error("register access: {0}")]
    Register(String),
    /// Opening real hardware.
    #[error("PCI: {0}")]
    Pci(#[from] pci_dma::PciError),
}

/// The kind, shared by every driver: what a program generic over the card
/// ([`nic_queue::QueueDevice`]) matches on.
impl DeviceError for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::ResetTimeout(_) => ErrorKind::Init,
            Error::MdicTimeout { .. } | Error::MdicError { .. } => ErrorKind::Phy,
            Error::LinkTimeout(_) => ErrorKind::LinkTimeout,
            Error::Config(_) | Error::Interrupt(_) => ErrorKind::Config,
            Error::Queue(_) => ErrorKind::Queue,
            Error::Dma(_) => ErrorKind::Dma,
            Error::Mempool(_) => ErrorKind::Mempool,
            Error::Register(_) => ErrorKind::Register,
            Error::Pci(_) => ErrorKind::Pci,
        }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn reg_err(e: impl std::fmt::Display) -> Error {
    Error::Register(e.to_string())
}
