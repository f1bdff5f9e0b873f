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
