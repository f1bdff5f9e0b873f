//! Transmit offloads through advanced context descriptors (82599 datasheet 7.2.3.2.3; the
//! 82576's layout is the same, 7.2.2.3.1): IPv4 header and TCP/UDP checksum insertion (7.2.5),
//! TCP segmentation (TSO, 7.2.4) and a per-packet VLAN tag (DCMD.VLE, the tag in the context).
//!
//! [`TxQueue::tx_offload`] is a send path of its own: [`TxQueue::tx_batch`] is unchanged. Each
//! packet names what it wants in a [`TxOffload`]; the queue keeps the card's two context slots
//! in software and writes a context descriptor only when a packet needs one that neither slot
//! holds (the least recently used slot is replaced).
//!
//! What the driver does for the card (so the caller does not): the IPv4 header checksum field
//! is zeroed, and the TCP/UDP checksum field gets the pseudo-header sum (without the length
//! under TSO: the card adds each segment's), as 7.2.5.2 and 7.2.4.2 expect.
//!
//! Ring bookkeeping: a context descriptor takes a ring slot but carries no packet; it holds one
//! free buffer of the packet's pool ([`dma::Packet::alloc_sibling_raw`]) so that reclaim, which
//! returns one buffer per slot, needs no case of its own. A context descriptor never asks for
//! status (RS is reserved there): when one falls on an RS group end, the data descriptor after
//! it carries RS and reclaim reads that one.

use super::TxQueue;
use crate::desc::{self, tx_read};
use crate::QueueRegs;
use dma::Packet;

/// DCMD.VLE: insert the context's VLAN tag.
const DCMD_VLE: u32 = 1 << 30;
/// DCMD.TSE: TCP segmentation.
const DCMD_TSE: u32 = 1 << 31;
/// DTYP = 0010b, context descriptor.
pub(crate) const DTYP_CONTEXT: u32 = 0b0010 << 20;
/// POPTS.IXSM (dword 3 bit 8): insert the IPv4 header checksum.
const POPTS_IXSM: u32 = 1 << 8;
/// POPTS.TXSM (bit 9): insert the TCP/UDP checksum.
const POPTS_TXSM: u32 = 1 << 9;
/// TUCMD.IPV4 (context dword 2, bit 10).
const TUCMD_IPV4: u32 = 1 << 10;
/// TUCMD.L4T = TCP (bits 12:11 = 01b; 00b is UDP).
const TUCMD_L4T_TCP: u32 = 1 << 11;
/// Largest TSO payload (PAYLEN, 18 bits).
const MAX_TSO_PAYLOAD: usize = (1 << 18) - 1;

/// The network layer of a packet to offload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L3 {
    /// IPv4; `checksum`: the card computes the header checksum (IXSM; required with TSO).
    Ipv4 {
        /// Insert the header checksum.
        checksum: bool,
    },
    /// IPv6 (no header checksum).
    Ipv6,
}

/// The transport layer whose checksum the card inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4 {
    /// No transport checksum.
    None,
    /// TCP (checksum, and segmentation when [`TxOffload::mss`] is set).
    Tcp,
    /// UDP (checksum).
    Udp,
}

/// What the card does to one packet on its way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxOffload {
    /// Network layer.
    pub l3: L3,
    /// Transport layer.
    pub l4: L4,
    /// Bytes before the IP header (14, or 18 with a VLAN tag in the buffer): MACLEN, 14..=127.
    pub l2_len: u8,
    /// IP header bytes (IPLEN): the IPv4 IHL times 4, or 40 and more for IPv6; up to 511.
    pub l3_len: u16,
    /// Transport header bytes (L4LEN): the TCP data offset times 4 (20..=60), 8 for UDP.
    pub l4_len: u8,
    /// TCP segmentation: the payload bytes per segment (MSS), `None` for one frame.
    pub mss: Option<u16>,
    /// A VLAN tag (TCI) to insert after the addresses (DMATXCTL.VT as the EtherType).
    pub vlan: Option<u16>,
}

impl TxOffload {
    /// IPv4 + TCP, both checksums, no segmentation.
    pub fn tcp4(l2_len: u8, l3_len: u16, l4_len: u8) -> Self {
        TxOffload {
            l3: L3::Ipv4 { checksum: true },
            l4: L4::Tcp,
            l2_len,
            l3_len,
            l4_len,
            mss: None,
            vlan: None,
        }
    }

    /// IPv4 + UDP, both checksums.
    pub fn udp4(l2_len: u8, l3_len: u16) -> Self {
        TxOffload {
            l4: L4::Udp,
            l4_len: 8,
            ..Self::tcp4(l2_len, l3_len, 8)
        }
    }

    /// Only a VLAN tag, no checksum.
    pub fn vlan_only(tci: u16) -> Self {
        TxOffload {
            l3: L3::Ipv4 { checksum: false },
            l4: L4::None,
            l2_len: 14,
            l3_len: 20,
            l4_len: 0,
            mss: None,
            vlan: Some(tci),
        }
    }

    /// The same with TCP segmentation into `mss`-byte payloads.
    pub fn with_tso(self, mss: u16) -> Self {
        TxOffload {
            mss: Some(mss),
            ..self
        }
    }

    /// The same with a VLAN tag inserted.
    pub fn with_vlan(self, tci: u16) -> Self {
        TxOffload {
            vlan: Some(tci),
            ..self
        }
    }

    fn ip_checksum(&self) -> bool {
        matches!(self.l3, L3::Ipv4 { checksum: true })
    }

    fn offloads(&self) -> bool {
        self.ip_checksum() || self.l4 != L4::None
    }

    /// Checks the request against the packet it goes with; the reason when it cannot be sent.
    pub fn check(&self, pkt: &[u8]) -> Result<(), &'static str> {
        if self.mss.is_some() && self.l4 != L4::Tcp {
            return Err("TSO needs L4::Tcp");
        }
        if !self.offloads() {
            return Ok(());
        }
        let (l2, l3, l4) = (
            usize::from(self.l2_len),
            usize::from(self.l3_len),
            usize::from(self.l4_len),
        );
        if !(14..=127).contains(&l2) {
            return Err("l2_len out of 14..=127 (MACLEN)");
        }
        if l3 > 511 {
            return Err("l3_len over 511 (IPLEN)");
        }
        let hdr = l2 + l3 + l4;
        if hdr > pkt.len() {
            return Err("headers (l2_len + l3_len + l4_len) beyond the packet");
        }
        let ip = &pkt[l2..];
        let proto = match self.l3 {
            L3::Ipv4 { .. } => {
                if ip[0] >> 4 != 4 || usize::from(ip[0] & 0xF) * 4 != l3 || l3 < 20 {
                    return Err("not an IPv4 header of l3_len bytes at l2_len");
                }
                ip[9]
            }
            L3::Ipv6 => {
                if ip[0] >> 4 != 6 || l3 < 40 {
                    return Err("not an IPv6 header at l2_len (l3_len at least 40)");
                }
                // Extension headers inside l3_len: the last one names the transport.
                if l3 == 40 {
                    ip[6]
                } else {
                    0
                }
            }
        };
        match self.l4 {
            L4::Tcp => {
                if !(20..=60).contains(&l4) || usize::from(pkt[l2 + l3 + 12] >> 4) * 4 != l4 {
                    return Err("l4_len is not the TCP header's length (data offset)");
                }
                if proto != 6 && proto != 0 {
                    return Err("L4::Tcp but the IP header's protocol is not TCP");
                }
            }
            L4::Udp => {
                if l4 != 8 {
                    return Err("l4_len must be 8 for UDP");
                }
                if proto != 17 && proto != 0 {
                    return Err("L4::Udp but the IP header's protocol is not UDP");
                }
            }
            L4::None => {}
        }
        if let Some(mss) = self.mss {
            if mss == 0 {
                return Err("MSS 0");
            }
            if matches!(self.l3, L3::Ipv4 { checksum: false }) {
                return Err("TSO over IPv4 needs the header checksum (IXSM)");
            }
            if hdr >= 512 {
                return Err("TSO: l2_len + l3_len + l4_len must be under 512");
            }
            let payload = pkt.len() - hdr;
            if payload == 0 || payload > MAX_TSO_PAYLOAD {
                return Err("TSO payload empty or over 256 KiB");
            }
        }
        Ok(())
    }

    /// Context descriptor dwords 0, 2 and 3 (IDX left 0).
    fn context(&self) -> [u32; 3] {
        let vlan = u32::from(self.vlan.unwrap_or(0)) << 16;
        if !self.offloads() {
            return [vlan, DTYP_CONTEXT | tx_read::DCMD_DEXT, 0];
        }
        let dw0 = u32::from(self.l3_len) | (u32::from(self.l2_len) << 9) | vlan;
        let mut tucmd = DTYP_CONTEXT | tx_read::DCMD_DEXT;
        if matches!(self.l3, L3::Ipv4 { .. }) {
            tucmd |= TUCMD_IPV4;
        }
        if self.l4 == L4::Tcp {
            tucmd |= TUCMD_L4T_TCP;
        }
        let dw3 = (u32::from(self.l4_len) << 8) | (u32::from(self.mss.unwrap_or(0)) << 16);
        [dw0, tucmd, dw3]
    }

    /// Readies the packet for the card: zeroes the IPv4 header checksum, writes the
    /// pseudo-header sum into the TCP/UDP checksum field (7.2.5.2, 7.2.4.2).
    fn prepare(&self, pkt: &mut [u8]) {
        let l2 = usize::from(self.l2_len);
        let l4 = l2 + usize::from(self.l3_len);
        if self.ip_checksum() {
            pkt[l2 + 10..l2 + 12].fill(0);
        }
        let (proto, at) = match self.l4 {
            L4::Tcp => (6u32, 16),
            L4::Udp => (17, 6),
            L4::None => return,
        };
        // The L4 length in the pseudo-header, except under TSO (the card adds each segment's).
        let len = if self.mss.is_some() {
            0
        } else {
            (pkt.len() - l4) as u32
        };
        let mut s = proto + len;
        let addrs = match self.l3 {
            L3::Ipv4 { .. } => &pkt[l2 + 12..l2 + 20],
            L3::Ipv6 => &pkt[l2 + 8..l2 + 40],
        };
        for w in addrs.chunks_exact(2) {
            s += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        while s >> 16 != 0 {
            s = (s & 0xFFFF) + (s >> 16);
        }
        pkt[l4 + at..l4 + at + 2].copy_from_slice(&(s as u16).to_be_bytes());
    }

    /// The data descriptor's command bits and dword 3 (without DTALEN, RS and IDX).
    fn data_words(&self, len: usize) -> (u32, u32) {
        let mut cmd = tx_read::CMD_NO_RS;
        let mut olinfo = 0;
        if self.vlan.is_some() {
            cmd |= DCMD_VLE;
        }
        if self.ip_checksum() {
            olinfo |= POPTS_IXSM;
        }
        if self.l4 != L4::None {
            olinfo |= POPTS_TXSM;
        }
        let paylen = if self.mss.is_some() {
            cmd |= DCMD_TSE;
            len - usize::from(self.l2_len) - usize::from(self.l3_len) - usize::from(self.l4_len)
        } else {
            len
        };
        (cmd, olinfo | ((paylen as u32) << tx_read::PAYLEN_SHIFT))
    }
}

/// A request the queue refused; nothing of the call was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transmit offload of packet {index}: {reason}")]
pub struct OffloadError {
    /// The packet's position in the call.
    pub index: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The card's two context slots of one queue, as the driver last wrote them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CtxCache {
    slot: [Option<[u32; 3]>; 2],
    /// The most recently used slot.
    mru: u8,
}

impl CtxCache {
    /// The slot holding `c`, or the slot to write it into (`true`: a context is needed).
    fn lookup(&self, c: &[u32; 3]) -> (u8, bool) {
        for i in 0..2u8 {
            if self.slot[i as usize].as_ref() == Some(c) {
                return (i, false);
            }
        }
        (self.mru ^ 1, true)
    }
}

impl<R: QueueRegs> TxQueue<R> {
    /// Sends packets with offloads (checksums, TSO, VLAN tag), each with its request, as many
    /// from the front of `pkts` as the ring has room for, with one tail write; returns how many
    /// were taken (the rest stay). Every request is checked first ([`TxOffload::check`]): a
    /// bad one fails the call with nothing sent. A packet whose context does not fit, or
    /// whose pool has no free buffer for its context's ring slot, waits for the next call.
    pub fn tx_offload(
        &mut self,
        pkts: &mut Vec<(Packet, TxOffload)>,
    ) -> Result<usize, OffloadError> {
        for (index, (p, o)) in pkts.iter().enumerate() {
            o.check(p)
                .map_err(|reason| OffloadError { index, reason })?;
            if p.len() > tx_read::DTALEN_MASK as usize || p.is_empty() {
                return Err(OffloadError {
                    index,
                    reason: "packet length 0 or over 65535 bytes",
                });
            }
        }
        let len = pkts.len();
        let mut free = self.free_descs();
        if (free as usize) < (2 * len).max(self.free_thresh as usize) {
            free = self.reclaim_groups(2 * len);
        }
        let mask = self.mask;
        let group = self.rs - 1;
        let t0 = self.tail;
        let mut t = t0;
        let mut bytes = 0u64;
        let mut k = 0;
        let mut rs_next = false;
        let src = pkts.as_mut_ptr();
        while k < len {
            // SAFETY: `k < len`; the packet is still in the vector (read in place).
            let (p, o) = unsafe { &*src.add(k) };
            let c = o.context();
            let (slot, need) = self.ctx.lookup(&c);
            if free < 1 + u32::from(need) {
                break;
            }
            let ctx_buf = if need {
                match p.alloc_sibling_raw() {
                    Some(i) => Some(i),
                    None => break,
                }
            } else {
                None
            };
            // SAFETY: moved out once; the vector forgets it below.
            let (mut p, o) = unsafe { src.add(k).read() };
            k += 1;
            o.prepare(&mut p);
            let (cmd, olinfo) = o.data_words(p.len());
            let idx_bits = u32::from(slot) << 4;
            let (pool, idx, plen) = p.into_parts();
            if let Some(cb) = ctx_buf {
                // SAFETY: `t <= mask`, a free slot; `cb` a buffer of `pool` now owned here.
                unsafe {
                    let d = desc::at(self.base, t as usize);
                    desc::write32(d, 0, c[0]);
                    desc::write32(d, 4, 0);
                    desc::write32(d, 8, c[1]);
                    desc::write32(d, 12, c[2] | idx_bits);
                    self.pools[t as usize].write(pool);
                    self.idx[t as usize] = cb;
                }
                self.ctx.slot[slot as usize] = Some(c);
                // A context on a group end: the next data descriptor reports for it.
                rs_next = t & group == group;
                t = (t + 1) & mask;
                free -= 1;
            }
            self.ctx.mru = slot;
            let rs = rs_next || t & group == group || k == len;
            rs_next = false;
            // SAFETY: `t <= mask`, a free slot; `idx` lent from `pool`.
            unsafe {
                let d = desc::at(self.base, t as usize);
                desc::write64(d, tx_read::BUFFER_ADDR, pool.phys(idx));
                let rs = if rs { tx_read::DCMD_RS } else { 0 };
                desc::write32(d, tx_read::CMD_TYPE_LEN, cmd | rs | plen);
                desc::write32(d, tx_read::OLINFO_STATUS, olinfo | idx_bits);
            }
            self.pools[t as usize].write(pool);
            self.idx[t as usize] = idx;
            bytes += u64::from(plen);
            t = (t + 1) & mask;
            free -= 1;
        }
        if k != 0 && k != len {
            // The call's last descriptor reports status (the loop marked it only if k == len).
            let last = t.wrapping_sub(1) & mask;
            // SAFETY: `last` was written by this call, a data descriptor, not yet the card's.
            unsafe { super::or_rs(desc::at(self.base, last as usize)) };
        }
        // SAFETY: the first `k` packets were moved out; the rest move to the front.
        unsafe {
            core::ptr::copy(src.add(k), src, len - k);
            pkts.set_len(len - k);
        }
        if t != t0 {
            self.tail = t;
            self.regs.write_tail(t);
        }
        self.counters.add_tx(k as u64, bytes, 0);
        Ok(k)
    }
}
