//! The device-independent part of the Intel NIC drivers (`driver-82599`, `driver-82576`): both
//! chips use Intel's advanced receive and transmit descriptors with the same layout for what the
//! drivers use (82599 datasheet 7.1.6 / 7.2.3.2.4, 82576 datasheet 7.1.5 / 7.2.2.3), so one ring
//! engine serves both.
//!
//! - [`desc`]: the descriptor layouts and volatile accessors;
//! - [`RxQueue`] / [`TxQueue`]: batched zero-copy receive and send of mempool [`Packet`]s
//!   (receive eight descriptors at a time with AVX2 where the CPU has it, four with SSE2 on
//!   other x86_64 CPUs, one at a time elsewhere, [`RxPath`]; transmit with RS every
//!   few descriptors and lazy bulk reclaim, whose pool rule is [`config::check_pool`]);
//! - [`QueueCounters`]: the per-queue software counters;
//! - [`Queues`]: a device's numbered queues (lookup, batched calls, take out), their pools and
//!   counters, as both drivers' `Device` holds them;
//! - [`QueueDevice`]: the queue operations of a driver's `Device` (pool, lookup, take out,
//!   batched calls) written once over its [`Queues`]; programs generic over the card use it;
//! - [`config`]: the ring/buffer/pool checks both drivers make.
//!
//! What differs per device comes in through small traits, resolved at compile time (no
//! `dyn` on the hot path): [`QueueRegs`], a queue's registers as its start, tail writes and stop
//! need them, implemented once by [`RingRegs`] over [`RingTable`], in which each driver names
//! its generated queue registers and its enable step in ordinary code next to its table (so
//! this crate knows no register); and [`desc::RxFormat`], the write-back error bits that mean
//! a bad frame. Failures are one [`QueueError`], which each driver wraps.
//!
//! A queue's life, as a driver's `Device::new` runs it (the device-wide steps in between are the
//! driver's):
//!
//! ```text
//! RxQueue::new(regs, ring, size, pool, counters)   ring filled with buffers (memory only)
//! rxq.set_ring()?                                  QueueRegs::set_ring: base, length, head/tail 0
//! rxq.start(timeout)?                              QueueRegs::enable, wait_enabled, write_tail
//! ... rx_batch / tx_batch ...                      QueueRegs::write_tail once per batch or refill
//! drop(rxq)                                        QueueRegs::stop, then the buffers go home
//! ```

pub mod config;
pub mod counters;
pub mod desc;
pub mod device;
pub mod error;
pub mod queues;
pub mod ringregs;
pub mod rxmeta;
pub mod rxq;
pub mod table;
#[cfg(test)]
mod testutil;
pub mod txq;

pub use counters::{QueueCounters, SwQueueStats};
pub use desc::RxFormat;
pub use device::QueueDevice;
pub use dma::{Mempool, Packet};
pub use error::{DeviceError, ErrorKind, QueueError};
pub use queues::Queues;
pub use ringregs::{RingRegs, RingTable};
pub use rxmeta::RxMeta;
pub use rxq::{RxPath, RxQueue};
pub use txq::{DrainWait, TxQueue};

use std::time::Duration;

/// The registers of one receive or transmit queue, as the ring engine needs them to start,
/// feed and stop the queue. Both drivers use [`RingRegs`], which implements it over the
/// registers a driver names in a [`RingTable`]; a test double implements it directly.
pub trait QueueRegs {
    /// The queue number.
    fn id(&self) -> u32;
    /// Hands the card every descriptor before `tail`: a release fence (so that the descriptor
    /// writes made before are visible first), then the tail register write. Called once per
    /// batch on the hot path: keep it `#[inline(always)]` and free of checks.
    fn write_tail(&self, tail: u32);
    /// Programs the ring while the queue is off: its device address `phys` and length in
    /// `bytes` (base and length registers), and head and tail 0 where software writes them.
    /// Fails when the registers cannot hold the values.
    fn set_ring(&self, phys: u64, bytes: usize) -> Result<(), QueueError>;
    /// Turns the queue on (its enable bit, with the thresholds the device wants).
    fn enable(&self);
    /// Waits, at most `timeout`, for the card to report the queue enabled; `false` when it
    /// does not.
    fn wait_enabled(&self, timeout: Duration) -> bool;
    /// Stops the queue (its enable bit cleared, bounded wait); `false` when it did not stop,
    /// and the card may still use the ring and buffers (they are then leaked, not reused).
    fn stop(&self) -> bool;
    /// The card's head pointer (RDH/TDH): the next descriptor it will process. Off the hot
    /// path: the stop of a transmit queue reads it to wait for the ring to drain and to count
    /// what the card never sent (82599 datasheet 4.6.8.1).
    fn head(&self) -> u32;
}
