//! Statistics: the device's read-to-clear counters accumulated into 64-bit totals (82576
//! datasheet 8.19), and the driver's own per-queue counters.

use crate::regs;
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

/// Adds to a counter only one thread writes: a plain load and store, no locked instruction.
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
    /// Packets handed to the application, and their bytes (no CRC).
    pub rx_packets: u64,
    pub rx_bytes: u64,
    /// Descriptors dropped by the driver: frame errors, bad length, multi-descriptor packets.
    pub rx_desc_errors: u64,
    /// Ring slots left empty because the pool ran dry.
    pub rx_no_buf: u64,
    /// Packets placed on the ring, and their bytes (no CRC).
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Packets refused (length 0 or over 64 KiB) and dropped.
    pub tx_invalid: u64,
}

/// Device totals since the driver started (64-bit, no count lost: every read-to-clear counter
/// is read in one pass, [`crate::Device::stats`]). Octet counts include the 4-byte CRC, as the
/// device counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// GPRC / GORC: good packets and octets received.
    pub rx_packets: u64,
    pub rx_bytes: u64,
    /// GPTC / GOTC: good packets and octets sent.
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// BPRC / MPRC: broadcast and multicast packets received.
    pub rx_broadcast: u64,
    pub rx_multicast: u64,
    /// TPR / TPT: all packets received (good or bad) and sent.
    pub rx_total_packets: u64,
    pub tx_total_packets: u64,
    /// MPC: missed for lack of packet-buffer space; RNBC: no receive descriptor was free.
    pub rx_missed: u64,
    pub rx_no_buffer: u64,
    /// CRCERRS, RLEC, RUC + ROC, and ALGNERRC + SYMERRS + RXERRC.
    pub rx_crc_errors: u64,
    pub rx_length_errors: u64,
    pub rx_size_errors: u64,
    pub rx_other_errors: u64,
    /// RQDPC[0]: dropped for lack of a descriptor in the receive queue (SRRCTL.DROP_EN).
    pub rx_queue_drops: u64,
    /// Per queue: the driver's software counters.
    pub queues: Vec<SwQueueStats>,
}

impl Stats {
    /// From the totals of every counter of the table (`raw`, read in table order: each low
    /// octet half before its high half, whose read clears both).
    pub(crate) fn from_raw(raw: &regs::Stats, queues: Vec<SwQueueStats>) -> Self {
        let pair = |lo: &regdsl_rt::Counter, hi: &regdsl_rt::Counter| {
            lo.total().wrapping_add(hi.total() << 32)
        };
        Stats {
            rx_packets: raw.GPRC.total(),
            rx_bytes: pair(&raw.GORCL, &raw.GORCH),
            tx_packets: raw.GPTC.total(),
            tx_bytes: pair(&raw.GOTCL, &raw.GOTCH),
            rx_broadcast: raw.BPRC.total(),
            rx_multicast: raw.MPRC.total(),
            rx_total_packets: raw.TPR.total(),
            tx_total_packets: raw.TPT.total(),
            rx_missed: raw.MPC.total(),
            rx_no_buffer: raw.RNBC.total(),
            rx_crc_errors: raw.CRCERRS.total(),
            rx_length_errors: raw.RLEC.total(),
            rx_size_errors: raw.RUC.total() + raw.ROC.total(),
            rx_other_errors: raw.ALGNERRC.total() + raw.SYMERRS.total() + raw.RXERRC.total(),
            rx_queue_drops: raw.RQDPC[0].total(),
            queues,
        }
    }

    /// Packets the driver handed to the application.
    pub fn rx_delivered(&self) -> u64 {
        self.queues.iter().map(|q| q.rx_packets).sum()
    }
    /// Packets the driver placed on transmit rings.
    pub fn tx_queued(&self) -> u64 {
        self.queues.iter().map(|q| q.tx_packets).sum()
    }
}
