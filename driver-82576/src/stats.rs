//! Statistics: the device's read-to-clear counters accumulated into 64-bit totals (82576
//! datasheet 8.19), and the driver's own per-queue counters.

use crate::regs;
pub use nic_queue::{QueueCounters, SwQueueStats};

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
    /// `RQDPC[0]`: dropped for lack of a descriptor in the receive queue (SRRCTL.DROP_EN).
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
