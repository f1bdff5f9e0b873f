//! Statistics: the card's read-to-clear counters accumulated into 64-bit totals (82599
//! datasheet 8.2.3.23), and the driver's own per-queue counters.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters kept by one queue's software (one writer: the queue; any reader).
#[derive(Debug, Default)]
pub struct QueueCounters {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    rx_desc_errors: AtomicU64,
    rx_no_buf: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    tx_invalid: AtomicU64,
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
    /// A copy of the counters now.
    pub fn snapshot(&self) -> SwQueueStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SwQueueStats {
            rx_packets: g(&self.rx_packets),
            rx_bytes: g(&self.rx_bytes),
            rx_desc_errors: g(&self.rx_desc_errors),
            rx_no_buf: g(&self.rx_no_buf),
            tx_packets: g(&self.tx_packets),
            tx_bytes: g(&self.tx_bytes),
            tx_invalid: g(&self.tx_invalid),
        }
    }
}

/// What one queue's software saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwQueueStats {
    /// Packets handed to the application.
    pub rx_packets: u64,
    pub rx_bytes: u64,
    /// Descriptors dropped by the driver: frame errors, bad length, multi-descriptor packets.
    pub rx_desc_errors: u64,
    /// Refills that found the pool empty or short, leaving ring slots empty (the card then
    /// drops, and counts, what finds no descriptor). A count of events, not of packets.
    pub rx_no_buf: u64,
    /// Packets placed on the ring.
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Packets refused (length 0 or over 16 KiB) and dropped.
    pub tx_invalid: u64,
}

/// One queue's hardware counters (queues 0..15 have their own; 82599 datasheet 8.2.3.23.71+).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HwQueueStats {
    /// QPRC: packets received into the queue.
    pub rx_packets: u64,
    /// QBRC: bytes received.
    pub rx_bytes: u64,
    /// QPRDC: packets dropped because the queue had no free descriptor (SRRCTL.DROP_EN).
    pub rx_drops: u64,
    /// QPTC: packets sent.
    pub tx_packets: u64,
    /// QBTC: bytes sent.
    pub tx_bytes: u64,
}

/// Device totals since the driver started, 64-bit, never losing a count (each read-to-clear
/// register is read and added in one place, [`crate::Device::stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// GPRC: good packets received.
    pub rx_packets: u64,
    /// GORC: good octets received.
    pub rx_bytes: u64,
    /// GPTC: good packets sent.
    pub tx_packets: u64,
    /// GOTC: good octets sent.
    pub tx_bytes: u64,
    /// MPC[0..7]: packets missed for lack of packet-buffer space.
    pub rx_missed: u64,
    /// CRCERRS: frames with a bad CRC.
    pub rx_crc_errors: u64,
    /// RLEC: frames with a bad length.
    pub rx_length_errors: u64,
    /// ILLERRC + ERRBC: illegal bytes and byte errors.
    pub rx_symbol_errors: u64,
    /// RUC + ROC: frames under 64 bytes or over the maximum frame size.
    pub rx_size_errors: u64,
    /// Frames the card accepted (GPRC) but placed in no queue and dropped in no queue
    /// (GPRC - sum QPRC - sum QPRDC): lost to a failed DMA write. Known only when every
    /// receive queue has its own counters (at most 16 queues), else 0.
    pub rx_dma_errors: u64,
    /// Per queue: hardware counters (queues 0..15) and software counters.
    pub queues: Vec<QueueStats>,
}

/// Hardware and software counters of one queue pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub hw: HwQueueStats,
    pub sw: SwQueueStats,
}

impl Stats {
    /// Packets lost on receive, counted by the card or the driver: missed, dropped for lack
    /// of a descriptor, bad frames, and descriptors the driver rejected.
    pub fn rx_drops(&self) -> u64 {
        self.rx_missed
            + self.rx_dma_errors
            + self.rx_crc_errors
            + self.rx_length_errors
            + self.rx_size_errors
            + self
                .queues
                .iter()
                .map(|q| q.hw.rx_drops + q.sw.rx_desc_errors)
                .sum::<u64>()
    }
    /// Packets the driver handed to the application.
    pub fn rx_delivered(&self) -> u64 {
        self.queues.iter().map(|q| q.sw.rx_packets).sum()
    }
    /// Packets the driver placed on transmit rings.
    pub fn tx_queued(&self) -> u64 {
        self.queues.iter().map(|q| q.sw.tx_packets).sum()
    }
    /// Packets placed on transmit rings that the card has not (yet) counted as sent (GPTC):
    /// still queued, or lost to a failed DMA read. Exact once the rings are idle.
    pub fn tx_not_sent(&self) -> u64 {
        self.tx_queued().saturating_sub(self.tx_packets)
    }
}
