//! Per-packet receive metadata (82599 datasheet 7.1.6.2, advanced write-back): what the card
//! computed for each packet, delivered by [`RxQueue::rx_batch_meta`], a receive loop of its
//! own, so that [`RxQueue::rx_batch`] (the path that does not ask) is unchanged.

use crate::desc::{self, rx_wb, RxFormat};
use crate::rxq::RxQueue;
use crate::QueueRegs;
use dma::mempool::Packet;

/// What the advanced write-back says about one packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxMeta {
    /// RSS hash (with RXCSUM.PCSD set; otherwise the IP identification and fragment checksum).
    pub rss_hash: u32,
    /// RSS type (bits 3:0 of the first dword: 1 TCP/IPv4, 2 IPv4, 3 TCP/IPv6, 5 IPv6, 7 UDP/IPv4,
    /// 8 UDP/IPv6; 0 none).
    pub rss_type: u8,
    /// Packet type (bits 16:4 of the first dword: IPv4 bit 0, IPv6 bit 2, TCP bit 4, UDP bit 5,
    /// ...).
    pub packet_type: u16,
    /// The VLAN tag the card stripped (status VP), if it did.
    pub vlan: Option<u16>,
    /// The IPv4 header checksum was checked (IPCS): `Some(good)`.
    pub ip_checksum: Option<bool>,
    /// The TCP/UDP checksum was checked (L4CS): `Some(good)`.
    pub l4_checksum: Option<bool>,
}

// Status and error bits (82599 7.1.6.2).
const STAT_VP: u32 = 1 << 3;
const STAT_L4CS: u32 = 1 << 5;
const STAT_IPCS: u32 = 1 << 6;
const ERR_TCPE: u32 = 1 << 30;
const ERR_IPE: u32 = 1 << 31;

impl RxMeta {
    /// Decodes the two write-back words.
    pub fn decode(lo: u64, w: u64) -> RxMeta {
        let status = w as u32;
        let d0 = lo as u32;
        RxMeta {
            rss_hash: (lo >> 32) as u32,
            rss_type: (d0 & 0xF) as u8,
            packet_type: ((d0 >> 4) & 0x1FFF) as u16,
            vlan: (status & STAT_VP != 0).then_some((w >> rx_wb::VLAN_SHIFT) as u16),
            ip_checksum: (status & STAT_IPCS != 0).then_some(status & ERR_IPE == 0),
            l4_checksum: (status & STAT_L4CS != 0).then_some(status & ERR_TCPE == 0),
        }
    }
}

impl<R: QueueRegs, F: RxFormat> RxQueue<R, F> {
    /// As [`RxQueue::rx_batch`], with each packet's metadata appended to `meta` (one entry per
    /// packet appended to `out`). A scalar loop reading the whole write-back; dropped
    /// descriptors are handled by `rx_batch` (this call stops before them).
    pub fn rx_batch_meta(
        &mut self,
        out: &mut Vec<Packet>,
        meta: &mut Vec<RxMeta>,
        max: usize,
    ) -> usize {
        let mut got = 0;
        while got < max {
            let Some((w, lo)) = self.peek_written() else {
                break;
            };
            let status = w as u32;
            let len = (w >> rx_wb::LENGTH_SHIFT) as u16 as u32;
            if status & (rx_wb::STAT_EOP | F::ERR_FRAME) != rx_wb::STAT_EOP || len == 0 {
                // Not a good one-descriptor packet: the general path drops and counts it.
                got += self.rx_batch(out, 1);
                continue;
            }
            let n = self.rx_batch(out, 1);
            if n == 0 {
                break;
            }
            meta.push(RxMeta::decode(lo, w));
            got += n;
        }
        got
    }

    /// The write-back words of the next descriptor, once the card has written it back.
    fn peek_written(&self) -> Option<(u64, u64)> {
        if self.filled() == 0 {
            return None;
        }
        let d = self.next_desc();
        // SAFETY: `d` is a live, 16-aligned descriptor of this queue's ring.
        let w = unsafe { desc::read64(d, rx_wb::STATUS_ERROR) };
        if (w as u32) & rx_wb::STAT_DD == 0 {
            return None;
        }
        regdsl_rt::fence::acquire();
        // SAFETY: as above; the card wrote the first qword before DD.
        let lo = unsafe { desc::read64(d, 0) };
        Some((w, lo))
    }
}
