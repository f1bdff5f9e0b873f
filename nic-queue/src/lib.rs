//! The device-independent part of the Intel NIC drivers (`driver-82599`, `driver-82576`): both
//! chips use Intel's advanced receive and transmit descriptors with the same layout for what the
//! drivers use (82599 datasheet 7.1.6 / 7.2.3.2.4, 82576 datasheet 7.1.5 / 7.2.2.3), so one ring
//! engine serves both.
//!
//! - [`desc`]: the descriptor layouts and volatile accessors;
//! - [`RxQueue`] / [`TxQueue`]: batched zero-copy receive and send of mempool [`Packet`]s;
//! - [`QueueCounters`]: the per-queue software counters;
//! - [`Queues`]: a device's numbered queues (lookup, batched calls, take out), their pools and
//!   counters, as both drivers' `Device` holds them;
//! - [`config`]: the ring/buffer/pool checks both drivers make.
//!
//! What differs per device comes in through two small traits, resolved at compile time (no
//! `dyn` on the hot path): [`QueueRegs`], the queue's tail register and its stop, written by each
//! driver with its generated register handles (so this crate knows no register offset), and
//! [`desc::RxFormat`], the write-back error bits that mean a bad frame.

pub mod config;
pub mod counters;
pub mod desc;
mod glue;
pub mod queues;
pub mod rxq;
pub mod table;
#[cfg(test)]
mod testutil;
pub mod txq;

pub use counters::{QueueCounters, SwQueueStats};
pub use desc::RxFormat;
pub use pci_dma::mempool::{Mempool, Packet};
pub use queues::{NoQueue, Queues};
pub use rxq::{RxPath, RxQueue};
pub use txq::TxQueue;

/// The registers of one receive or transmit queue, as the ring engine needs them. Each driver
/// implements it with its generated handles, e.g. `regs.RDT().idx(q).write_publish(tail)`.
pub trait QueueRegs {
    /// The queue number.
    fn id(&self) -> u32;
    /// Hands the card every descriptor before `tail`: a release fence (so that the descriptor
    /// writes made before are visible first), then the tail register write. Called once per
    /// batch on the hot path: keep it `#[inline(always)]` and free of checks.
    fn write_tail(&self, tail: u32);
    /// Stops the queue (its ENABLE bit cleared, bounded wait); `false` when it did not stop,
    /// and the card may still use the ring and buffers (they are then leaked, not reused).
    fn stop(&self) -> bool;
}
