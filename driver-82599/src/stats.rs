//! Statistics: the card's read-to-clear counters accumulated into 64-bit totals (82599
//! datasheet 8.2.3.23), and the driver's own per-queue counters.

use crate::regs;
pub use nic_queue::{QueueCounters, SwQueueStats};
use regdsl_rt::Counter;
use std::sync::Arc;

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
    /// Per queue: hardware counters (those of the counter set the queue is mapped to, see
    /// [`crate::Device::set_queue_stats_map`]) and software counters.
    pub queues: Vec<QueueStats>,
    /// The 16 hardware counter sets (QPRC/QBRC/QPRDC/QPTC/QBTC, indexed by set), 64-bit totals.
    pub counter_sets: Vec<HwQueueStats>,
    /// Flow Director statistics (`None`: Flow Director off).
    pub fdir: Option<crate::fdir::FdirStats>,
}

/// Hardware and software counters of one queue pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub hw: HwQueueStats,
    pub sw: SwQueueStats,
}

impl Stats {
    /// From the totals of every counter of the table (`raw`, read by the generated
    /// `Stats::update`) and the driver's per-queue counters. `per_queue_hw`: every receive
    /// queue has its own hardware counters (needed for [`Stats::rx_dma_errors`]).
    pub(crate) fn from_raw(
        raw: &regs::Stats,
        sw: &[Arc<QueueCounters>],
        per_queue_hw: bool,
    ) -> Self {
        // A low/high pair without a 64-bit view (QBRC is not 8-byte aligned): each read of the
        // pair returned low + high << 32, so the totals add up the same way.
        let pair = |lo: &Counter, hi: &Counter| lo.total().wrapping_add(hi.total() << 32);
        let sum = |c: &[Counter]| c.iter().map(Counter::total).sum::<u64>();
        let hw = |i: usize| HwQueueStats {
            rx_packets: raw.QPRC[i].total(),
            rx_bytes: pair(&raw.QBRC[i], &raw.QBRC_H[i]),
            rx_drops: raw.QPRDC[i].total(),
            tx_packets: raw.QPTC[i].total(),
            tx_bytes: raw.QBTC64[i].total(),
        };
        let rx_dma_errors = if per_queue_hw {
            let placed = sum(&raw.QPRC) + sum(&raw.QPRDC);
            raw.GPRC.total().saturating_sub(placed)
        } else {
            0
        };
        Stats {
            rx_packets: raw.GPRC.total(),
            rx_bytes: raw.GORC64.total(),
            tx_packets: raw.GPTC.total(),
            tx_bytes: raw.GOTC64.total(),
            rx_missed: sum(&raw.MPC),
            rx_crc_errors: raw.CRCERRS.total(),
            rx_length_errors: raw.RLEC.total(),
            rx_symbol_errors: raw.ILLERRC.total() + raw.ERRBC.total(),
            rx_size_errors: raw.RUC.total() + raw.ROC.total(),
            rx_dma_errors,
            counter_sets: (0..raw.QPRC.len()).map(hw).collect(),
            queues: sw
                .iter()
                .enumerate()
                .map(|(i, c)| QueueStats {
                    hw: if i < raw.QPRC.len() {
                        hw(i)
                    } else {
                        HwQueueStats::default()
                    },
                    sw: c.snapshot(),
                })
                .collect(),
            fdir: None,
        }
    }

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
    /// Frames the card received into a ring that the application had not taken when its
    /// queue stopped ([`crate::Device::stop`] or drop): counted by the card as received
    /// (GPRC), then released with the ring.
    pub fn rx_dropped_at_stop(&self) -> u64 {
        self.queues.iter().map(|q| q.sw.rx_dropped_at_stop).sum()
    }
    /// Packets placed on transmit rings that the card never sent: still there when their queue
    /// stopped ([`crate::Device::stop`] or drop), after a bounded wait for the ring to drain.
    pub fn tx_dropped_at_stop(&self) -> u64 {
        self.queues.iter().map(|q| q.sw.tx_dropped_at_stop).sum()
    }
    /// Packets placed on transmit rings that the card has not (yet) counted as sent (GPTC):
    /// still queued, or lost to a failed DMA read. Exact once the rings are idle.
    pub fn tx_not_sent(&self) -> u64 {
        self.tx_queued().saturating_sub(self.tx_packets)
    }
}

/// Which of the 16 hardware counter sets each queue counts into (RQSMR/TQSM, datasheet
/// 8.2.3.23.70-71). Several queues may share a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueStatsMap {
    /// Counter set (0..16) of receive queue i.
    pub rx: Vec<u8>,
    /// Counter set (0..16) of transmit queue i.
    pub tx: Vec<u8>,
}

impl QueueStatsMap {
    /// Queue i counts into set i; queues from 16 on into set 0 (the driver's default).
    pub fn identity(rx: u16, tx: u16) -> Self {
        let m = |n: u16| (0..n).map(|q| if q < 16 { q as u8 } else { 0 }).collect();
        QueueStatsMap {
            rx: m(rx),
            tx: m(tx),
        }
    }
    pub(crate) fn is_identity(&self) -> bool {
        let id = |m: &[u8]| {
            m.iter()
                .enumerate()
                .all(|(i, &s)| usize::from(s) == if i < 16 { i } else { 0 })
        };
        id(&self.rx) && id(&self.tx)
    }
    pub(crate) fn rx_set(&self, q: usize) -> usize {
        usize::from(self.rx.get(q).copied().unwrap_or(0))
    }
    pub(crate) fn tx_set(&self, q: usize) -> usize {
        usize::from(self.tx.get(q).copied().unwrap_or(0))
    }
}
