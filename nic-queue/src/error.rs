//! The one error of the queue layer. Each driver wraps it (`Error::Queue(#[from] QueueError)`),
//! so no driver error is named here.

use std::time::Duration;

/// Why a queue could not be found, programmed or started.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// A queue number that does not exist on this device, or was taken out already.
    #[error(
        "no {dir} queue {queue} here (device has {count}; queues given out with take_* are gone)"
    )]
    NoQueue {
        /// `"RX"` or `"TX"`.
        dir: &'static str,
        /// The queue asked for.
        queue: usize,
        /// Queues of that direction the device has.
        count: usize,
    },
    /// The queue's enable bit (RXDCTL/TXDCTL.ENABLE) did not read back as set in time
    /// (82599 datasheet 4.6.7.1 / 4.6.8.1; the 82576 alike).
    #[error("{dir} queue {queue} did not enable within {timeout:?}")]
    EnableTimeout {
        dir: &'static str,
        queue: u32,
        timeout: Duration,
    },
    /// The device's queue registers cannot describe this queue: a queue number past the
    /// table's register array, or a ring length its length field cannot hold.
    #[error("{dir} queue {queue}: {reason}")]
    Register {
        dir: &'static str,
        queue: u32,
        reason: String,
    },
}

/// What kind of failure a driver's error is, the same for every driver: a program generic over
/// the card ([`crate::QueueDevice`]) matches on [`DeviceError::kind`] where a program for one
/// card matches on that driver's `Error` variants (which keep their device's details and
/// messages: the registers awaited, the datasheet section).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device reset (or a step of its init that waits on the card: EEPROM auto-read, DMA
    /// init, the Rx security path) did not complete in time.
    Init,
    /// The link did not come up in time.
    LinkTimeout,
    /// A configuration value the card or the driver cannot use.
    Config,
    /// A queue: not there, not enabled in time, or not describable by its registers
    /// ([`QueueError`]).
    Queue,
    /// DMA memory for rings or buffers.
    Dma,
    /// The packet buffer pool.
    Mempool,
    /// A register access the generated code rejected.
    Register,
    /// Opening real hardware (PCI, sysfs, VFIO), or a part the driver refuses to touch.
    Pci,
    /// The PHY (management interface) did not answer or reported an error.
    Phy,
    /// A filter table (addresses, VLANs, flows, ...) is full, or has no such entry to remove.
    Filter,
    /// Sharing one card between processes: no primary runs it, the queue is taken or not
    /// shared, the card would need a reset, or the primary stopped it.
    Attach,
    /// The device is gone: its registers read all ones (removed from the bus, or a simulated
    /// card's process ended).
    Gone,
}

/// A driver's error, as a program generic over the card sees it: a standard error (with the
/// driver's message) of one [`ErrorKind`]. Implemented by `driver_82599::Error` and
/// `driver_82576::Error`.
pub trait DeviceError: std::error::Error + Send + Sync + 'static {
    /// The kind of failure.
    fn kind(&self) -> ErrorKind;
}
