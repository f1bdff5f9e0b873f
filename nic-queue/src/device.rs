//! [`QueueDevice`]: a device's queue operations, written once for every driver.
//!
//! Both drivers' `Device` hold their queues in a [`Queues`] and expose the same operations on
//! them (a queue's pool, lookup, take out, batched receive and send by queue number). The
//! trait gives them once: a driver implements the two accessors and names its types, and
//! gets the rest. A program can be generic over the card with it:
//!
//! ```
//! use nic_queue::{DeviceError, ErrorKind, Packet, QueueDevice};
//!
//! /// Moves what arrives on `rx_dev`'s queue 0 to `tx_dev`'s queue 0, for any two cards
//! /// (an 82599 port to an 82576 port, say).
//! fn forward<A: QueueDevice, B: QueueDevice>(
//!     rx_dev: &mut A,
//!     tx_dev: &mut B,
//!     buf: &mut Vec<Packet>,
//! ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
//!     let n = rx_dev.rx_batch(0, buf, 32)?;
//!     if let Err(e) = tx_dev.tx_batch(0, buf) {
//!         if e.kind() == ErrorKind::Queue {
//!             eprintln!("no transmit queue 0 here: {e}"); // the driver's own message
//!         }
//!         return Err(e.into());
//!     }
//!     buf.clear(); // what the transmit ring had no room for is dropped (and freed)
//!     Ok(n)
//! }
//! ```
//!
//! `driver_82599`'s crate docs run it on the simulated card.
//!
//! Every provided method is `#[inline(always)]` over the matching [`Queues`] method, so a call
//! through the trait compiles to the same code as a call on [`Queues`] (monomorphised, no
//! `dyn`): `bench`'s `fwd-cost` counts the same instructions per packet as with the drivers'
//! former inherent methods (BENCHMARKS.md).

use crate::{DeviceError, QueueError, QueueRegs, Queues, RxFormat, RxMeta, RxQueue, TxQueue};
use dma::{Mempool, Packet};

/// A device with numbered receive and transmit queues held in a [`Queues`]: implemented by
/// `driver_82599::Device` and `driver_82576::Device` (each re-exports it, also in its
/// `prelude`). Bring it into scope to call the queue operations on a device.
pub trait QueueDevice {
    /// The receive queues' registers ([`QueueRegs`]).
    type RxRegs: QueueRegs;
    /// The receive write-back's error bits ([`RxFormat`]).
    type Format: RxFormat;
    /// The transmit queues' registers ([`QueueRegs`]).
    type TxRegs: QueueRegs;
    /// The driver's error, which wraps [`QueueError`] and tells its [`crate::ErrorKind`].
    type Error: DeviceError + From<QueueError>;

    /// The device's queues.
    fn queues(&self) -> &Queues<Self::RxRegs, Self::Format, Self::TxRegs>;
    /// The device's queues, to use or take out.
    fn queues_mut(&mut self) -> &mut Queues<Self::RxRegs, Self::Format, Self::TxRegs>;

    /// Receive queue `q`'s buffer pool (there even once the queue is taken); also where to
    /// allocate packets to send.
    #[inline(always)]
    fn pool(&self, q: usize) -> Result<&Mempool, Self::Error> {
        Ok(self.queues().pool(q)?)
    }

    /// Receive queue `q`, while it is still here.
    #[inline(always)]
    fn rx_queue(
        &mut self,
        q: usize,
    ) -> Result<&mut RxQueue<Self::RxRegs, Self::Format>, Self::Error> {
        Ok(self.queues_mut().rx_queue(q)?)
    }

    /// Transmit queue `q`, while it is still here.
    #[inline(always)]
    fn tx_queue(&mut self, q: usize) -> Result<&mut TxQueue<Self::TxRegs>, Self::Error> {
        Ok(self.queues_mut().tx_queue(q)?)
    }

    /// Moves receive queue `q` out (to poll it from another thread); it is gone from the
    /// device afterwards, while its pool and counters stay. Keep the device alive while taken
    /// queues run: dropping it turns receive off for the whole port (each queue still stops
    /// itself when dropped).
    fn take_rx_queue(
        &mut self,
        q: usize,
    ) -> Result<RxQueue<Self::RxRegs, Self::Format>, Self::Error> {
        Ok(self.queues_mut().take_rx_queue(q)?)
    }

    /// Moves transmit queue `q` out.
    fn take_tx_queue(&mut self, q: usize) -> Result<TxQueue<Self::TxRegs>, Self::Error> {
        Ok(self.queues_mut().take_tx_queue(q)?)
    }

    /// Receives up to `max` packets from queue `q` into `out`; see [`RxQueue::rx_batch`].
    /// Holding the [`RxQueue`] (`take_rx_queue`) saves the lookup (a bounds check and a
    /// "taken" check).
    #[inline(always)]
    fn rx_batch(
        &mut self,
        q: usize,
        out: &mut Vec<Packet>,
        max: usize,
    ) -> Result<usize, Self::Error> {
        Ok(self.queues_mut().rx_batch(q, out, max)?)
    }

    /// As [`QueueDevice::rx_batch`], with what the card computed for each packet (RSS hash
    /// and type, packet type, stripped VLAN tag, checksum status) in `meta`, one entry per
    /// packet; see [`RxQueue::rx_batch_meta`]. A loop of its own: `rx_batch` does not pay for
    /// it.
    fn rx_batch_meta(
        &mut self,
        q: usize,
        out: &mut Vec<Packet>,
        meta: &mut Vec<RxMeta>,
        max: usize,
    ) -> Result<usize, Self::Error> {
        Ok(self.queues_mut().rx_queue(q)?.rx_batch_meta(out, meta, max))
    }

    /// Sends packets from the front of `pkts` on queue `q`; see [`TxQueue::tx_batch`].
    /// Holding the [`TxQueue`] (`take_tx_queue`) saves the lookup.
    #[inline(always)]
    fn tx_batch(&mut self, q: usize, pkts: &mut Vec<Packet>) -> Result<usize, Self::Error> {
        Ok(self.queues_mut().tx_batch(q, pkts)?)
    }
}

/// Implements [`QueueDevice`] for a driver's type that keeps its [`Queues`] in a field: the
/// two accessors and the four types, written once for every driver's `Device` (and
/// `driver_82599`'s secondary `Attached`).
///
/// ```
/// # use nic_queue::{DeviceError, ErrorKind, QueueError, QueueRegs, Queues};
/// # use std::time::Duration;
/// # struct Regs;
/// # impl QueueRegs for Regs {
/// #     fn id(&self) -> u32 { 0 }
/// #     fn write_tail(&self, _: u32) {}
/// #     fn set_ring(&self, _: u64, _: usize) -> Result<(), QueueError> { Ok(()) }
/// #     fn enable(&self) {}
/// #     fn wait_enabled(&self, _: Duration) -> bool { true }
/// #     fn stop(&self) -> bool { true }
/// #     fn head(&self) -> u32 { 0 }
/// # }
/// # #[derive(Debug)]
/// # struct Error(QueueError);
/// # impl std::fmt::Display for Error {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { self.0.fmt(f) }
/// # }
/// # impl std::error::Error for Error {}
/// # impl From<QueueError> for Error { fn from(e: QueueError) -> Self { Error(e) } }
/// # impl DeviceError for Error { fn kind(&self) -> ErrorKind { ErrorKind::Queue } }
/// # struct Format;
/// # impl nic_queue::RxFormat for Format { const ERR_FRAME: u32 = 0; }
/// struct Device<T> {
///     queues: Queues<Regs, Format, Regs>,
///     _t: T,
/// }
///
/// nic_queue::impl_queue_device! {
///     [T] Device<T> { rx: Regs, format: Format, tx: Regs, error: Error, queues: queues }
/// }
/// ```
///
/// The generics in brackets are those of the `impl` (bounds included, as in
/// `[B: Bus + Clone] Device<B>`); the accessors are `#[inline(always)]`.
#[macro_export]
macro_rules! impl_queue_device {
    ([$($gen:tt)*] $dev:ty {
        rx: $rx:ty,
        format: $format:ty,
        tx: $tx:ty,
        error: $err:ty,
        queues: $field:ident $(,)?
    }) => {
        impl<$($gen)*> $crate::QueueDevice for $dev {
            type RxRegs = $rx;
            type Format = $format;
            type TxRegs = $tx;
            type Error = $err;

            #[inline(always)]
            fn queues(&self) -> &$crate::Queues<$rx, $format, $tx> {
                &self.$field
            }

            #[inline(always)]
            fn queues_mut(&mut self) -> &mut $crate::Queues<$rx, $format, $tx> {
                &mut self.$field
            }
        }
    };
}
