//! The driver's own per-queue counters (the cards' read-to-clear registers stay with each
//! driver: they differ per device).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters kept by one queue's software (one writer: the queue; any reader).
#[derive(Debug, Default)]
pub struct QueueCounters {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    rx_desc_errors: AtomicU64,
    rx_no_buf: AtomicU64,
    rx_stop_drops: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    tx_invalid: AtomicU64,
    tx_stop_drops: AtomicU64,
}

/// Adds to a counter that only one thread writes: a plain load and store, no locked
/// instruction on the hot path.
#[inline(always)]
fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

impl QueueCounters {
    #[inline(always)]
    pub(crate) fn add_rx(&self, pkts: u64, bytes: u64, bad: u64) {
        bump(&self.rx_packets, pkts);
        bump(&self.rx_bytes, bytes);
        if bad != 0 {
            bump(&self.rx_desc_errors, bad);
        }
    }
    #[inline(always)]
    pub(crate) fn add_rx_no_buf(&self, n: u64) {
        bump(&self.rx_no_buf, n);
    }
    #[inline(always)]
    pub(crate) fn add_tx(&self, pkts: u64, bytes: u64, invalid: u64) {
        bump(&self.tx_packets, pkts);
        bump(&self.tx_bytes, bytes);
        if invalid != 0 {
            bump(&self.tx_invalid, invalid);
        }
    }
    /// Frames received into the ring and not taken when the queue stopped.
    pub(crate) fn add_rx_stop_drops(&self, n: u64) {
        bump(&self.rx_stop_drops, n);
    }
    /// Packets still on the ring, never sent by the card, when the queue stopped.
    pub(crate) fn add_tx_stop_drops(&self, n: u64) {
        bump(&self.tx_stop_drops, n);
    }
    /// A copy of the counters now.
    pub fn snapshot(&self) -> SwQueueStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SwQueueStats {
            rx_packets: g(&self.rx_packets),
            rx_bytes: g(&self.rx_bytes),
            rx_desc_errors: g(&self.rx_desc_errors),
            rx_no_buf: g(&self.rx_no_buf),
            rx_dropped_at_stop: g(&self.rx_stop_drops),
            tx_packets: g(&self.tx_packets),
            tx_bytes: g(&self.tx_bytes),
            tx_invalid: g(&self.tx_invalid),
            tx_dropped_at_stop: g(&self.tx_stop_drops),
        }
    }
}

/// What one queue's software saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwQueueStats {
    /// Packets handed to the application, and their bytes (no CRC).
    pub rx_packets: u64,
    pub rx_bytes: u64,
    /// Descriptors dropped by the driver: frame errors, bad length, multi-descriptor packets.
    pub rx_desc_errors: u64,
    /// Refills that found the pool empty or short, leaving ring slots empty (the card then
    /// drops, and counts, what finds no descriptor). A count of events, not of packets.
    pub rx_no_buf: u64,
    /// Frames the card had written into the ring (counted by the card as received) that the
    /// application had not taken when the queue stopped: released with the ring, dropped.
    pub rx_dropped_at_stop: u64,
    /// Packets placed on the ring, and their bytes (no CRC).
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Packets refused (length 0, or over the 16-bit DTALEN: 65535 bytes) and dropped.
    pub tx_invalid: u64,
    /// Packets placed on the ring (counted in `tx_packets`) that the card had not sent when
    /// the queue stopped (device dropped or stopped, on any exit path) after a bounded wait
    /// for the ring to drain: released and dropped. So `tx_packets` = sent by the card +
    /// `tx_dropped_at_stop` once the queue is stopped.
    pub tx_dropped_at_stop: u64,
}
