//! The receive engine: MAC checks, L2 filters (datasheet 7.1.1), queue selection (RSS,
//! 7.1.2.8), the packet buffer, DMA into advanced one-buffer descriptors and write-back
//! (7.1.6.2).

use crate::card::{PortHw, Shared};
use crate::dma::{self, DmaFault};
use crate::engine::{bucket, Buffered, Meta, PortEng, RxQ};

use crate::fault::FaultState;
use crate::regs::{self, R};
use crate::rss;
use std::sync::atomic::{fence, Ordering};

// Write-back status bits (datasheet 7.1.6.2).
pub const STAT_DD: u32 = 1 << 0;
pub const STAT_EOP: u32 = 1 << 1;
/// VLAN packet: the tag was stripped and is in the descriptor's VLAN field.
pub const STAT_VP: u32 = 1 << 3;

/// A frame (without FCS, as pcap and TAP carry it) arrives at port `p` from the wire.
pub(crate) fn deliver(pe: &mut PortEng, sh: &Shared, p: &PortHw, f: &[u8], step: u64) {
    let st = &mut pe.st;
    st.dirty = true;
    let wire_len = f.len() + 4;
    if !pe.cfg.rxen || pe.cfg.secrx_halted {
        // Receiver off, or the Rx security path halted (SECRXCTRL.RX_DIS): the frame is not
        // taken in (datasheet 8.2.3.8.10, 4.6.7).
        st.m_lost_rxdis += 1;
        return;
    }
    st.tpr += 1;
    st.tor += wire_len as u64;
    if wire_len < 64 {
        st.ruc += 1;
        return;
    }
    if wire_len > pe.cfg.max_len && !vlan_allowance(&pe.cfg, f, wire_len) {
        st.roc += 1;
        return;
    }
    let dst = &f[..6];
    let bcast = dst == [0xFF; 6];
    let mcast = dst[0] & 1 != 0;
    let c = &pe.cfg;
    if c.plain {
        // No pools, VLAN filter or Flow Director: the L2 filters, then RSS.
        let accept = if bcast {
            c.fctrl & (regs::FCTRL_BAM | regs::FCTRL_MPE) != 0
        } else if mcast {
            c.fctrl & regs::FCTRL_MPE != 0 || mta_match(c.mcstctrl, &c.mta, dst)
        } else {
            c.fctrl & regs::FCTRL_UPE != 0 || c.macs.iter().any(|(m, _)| m == dst)
        };
        if !accept {
            st.m_filtered += 1;
            return;
        }
        let meta = classify(pe, f);
        if enqueue(pe, sh, p, meta, f, step) {
            count_good(pe, wire_len, bcast, mcast);
        }
        return;
    }
    deliver_filtered(pe, sh, p, f, step, bcast, mcast);
}

/// `deliver` with pools, VLAN filtering or Flow Director on.
#[inline(never)]
fn deliver_filtered(
    pe: &mut PortEng,
    sh: &Shared,
    p: &PortHw,
    f: &[u8],
    step: u64,
    bcast: bool,
    mcast: bool,
) {
    let wire_len = f.len() + 4;
    let dst = &f[..6];
    let c = &pe.cfg;
    let st = &mut pe.st;
    let (accept, mta, rar) = if bcast {
        (
            c.fctrl & (regs::FCTRL_BAM | regs::FCTRL_MPE) != 0,
            false,
            None,
        )
    } else if mcast {
        let mta = mta_match(c.mcstctrl, &c.mta, dst);
        let rar = c.pools.as_ref().and_then(|_| rar_pools(&c.macs, dst));
        (
            c.fctrl & regs::FCTRL_MPE != 0 || mta || rar.is_some(),
            mta,
            rar,
        )
    } else {
        let rar = rar_pools(&c.macs, dst);
        (c.fctrl & regs::FCTRL_UPE != 0 || rar.is_some(), false, rar)
    };
    if c.pools.is_none() && !c.vlan.vfe {
        if !accept {
            st.m_filtered += 1;
            return;
        }
        let mut meta = classify(pe, f);
        if pe.cfg.fdir.is_some() {
            fdir_steer(pe, f, &mut meta);
        }
        if enqueue(pe, sh, p, meta, f, step) {
            count_good(pe, wire_len, bcast, mcast);
        }
        return;
    }
    // VLAN filter (7.1.1.2), then pools (7.10.3).
    let tag = c.vlan.tag(f);
    let uta = !accept
        && !mcast
        && c.pools
            .as_ref()
            .is_some_and(|pc| pc.uta_match(c.mcstctrl, dst));
    if !(accept || uta) || !c.vlan.passes(tag) {
        st.m_filtered += 1;
        return;
    }
    let meta = classify(pe, f);
    let Some(pc) = &pe.cfg.pools else {
        if enqueue(pe, sh, p, meta, f, step) {
            count_good(pe, wire_len, bcast, mcast);
        }
        return;
    };
    let mut pools = pc.pools(dst, rar, mta, uta, tag, pe.cfg.vlan.vfe);
    if pools == 0 {
        pe.st.m_filtered += 1;
        return;
    }
    // One copy per pool (replication, mirroring), each in the pool's queue.
    let reta = meta.queue as u8;
    let mut queues = [0u32; 64];
    let mut n = 0;
    while pools != 0 {
        let pool = pools.trailing_zeros();
        pools &= pools - 1;
        queues[n] = pc.queue(pool, reta);
        n += 1;
    }
    let mut any = false;
    for &queue in &queues[..n] {
        any |= enqueue(pe, sh, p, Meta { queue, ..meta }, f, step);
    }
    if any {
        count_good(pe, wire_len, bcast, mcast);
    }
}

/// Downlink mirroring (PFMRCTL.DPME, 7.10.3.6): a copy of a frame the port transmits goes to
/// the rules' mirror pools on the same port.
#[cold]
pub(crate) fn mirror_egress(pe: &mut PortEng, sh: &Shared, p: &PortHw, f: &[u8], step: u64) {
    let Some(pc) = &pe.cfg.pools else { return };
    let mut pools = pc.downlink_mirror();
    if pools == 0 || !pe.cfg.rxen || f.len() < 14 {
        return;
    }
    let reta = classify(pe, f);
    let Some(pc) = pe.cfg.pools.clone() else {
        return;
    };
    while pools != 0 {
        let pool = pools.trailing_zeros();
        pools &= pools - 1;
        let queue = pc.queue(pool, reta.queue as u8);
        enqueue(pe, sh, p, Meta { queue, ..reta }, f, step);
    }
}

/// The pools of the receive address `dst` matches (MPSAR), if it matches one.
#[inline]
fn rar_pools(macs: &[([u8; 6], u64)], dst: &[u8]) -> Option<u64> {
    macs.iter().find(|(m, _)| m == dst).map(|&(_, p)| p)
}

/// Into the queue, or the packet buffer behind anything already waiting there (one FIFO per
/// traffic class; the model has one class). False when the packet buffer is full: the frame
/// is missed (counted, MPC).
#[inline(always)]
fn enqueue(pe: &mut PortEng, sh: &Shared, p: &PortHw, meta: Meta, f: &[u8], step: u64) -> bool {
    if pe.pb.is_empty() {
        match write(pe, sh, p, meta, f, step) {
            Ok(()) => return true,
            Err(NoRoom) if rxq(pe, sh, p, meta.queue, step).drop_en => {
                let m = pe.cfg.rqsm[meta.queue as usize] as usize;
                pe.st.qprdc[m] += 1;
                pe.st.m_no_desc += 1;
                return true;
            }
            Err(NoRoom) => {}
        }
    }
    if pe.pb_bytes + f.len() > pe.cfg.pb_limit {
        // Packet buffer full: missed packet (datasheet 8.2.3.23.4).
        pe.st.mpc += 1;
        pe.st.m_missed += 1;
        return false;
    }
    let mut data = pe.pool.pop().unwrap_or_default();
    data.clear();
    data.extend_from_slice(f);
    pe.pb_bytes += f.len();
    pe.pb.push_back(Buffered { meta, data });
    true
}

/// A VLAN-tagged frame may exceed the maximum frame size by its 4-byte tag (MAXFRS.MFS and
/// HLREG0.JUMBOEN count untagged frames; datasheet 8.2.3.22.13).
#[cold]
fn vlan_allowance(c: &crate::engine::RxCfg, f: &[u8], wire_len: usize) -> bool {
    f.len() >= 14 && u16::from_be_bytes([f[12], f[13]]) == c.vet && wire_len <= c.max_len + 4
}

#[inline(always)]
fn count_good(pe: &mut PortEng, wire_len: usize, bcast: bool, mcast: bool) {
    let st = &mut pe.st;
    st.gprc += 1;
    st.gorc += wire_len as u64;
    if let Some(b) = bucket(wire_len) {
        st.prc[b] += 1;
    }
    if bcast {
        st.bprc += 1;
    } else if mcast {
        st.mprc += 1;
    }
}

/// Multicast table lookup: 12 bits of the destination address chosen by MCSTCTRL.MO
/// (datasheet 8.2.3.7.7), bit 4:0 in MTA[11:5].
fn mta_match(mcstctrl: u32, mta: &[u32; 128], dst: &[u8]) -> bool {
    if mcstctrl & regs::MCSTCTRL_MFE == 0 {
        return false;
    }
    let h = crate::pool::hash12(mcstctrl, dst);
    mta[usize::from(h >> 5)] & (1 << (h & 31)) != 0
}

/// Queue and write-back fields (RSS type, packet type, and the RSS field: the hash with
/// RXCSUM.PCSD set, else the IP identification and fragment checksum).
#[inline]
fn classify(pe: &PortEng, f: &[u8]) -> Meta {
    let mut m = classify_rss(pe, f);
    if !pe.cfg.pcsd {
        m.hash = rss::ip_id_checksum(f);
    }
    m
}

fn classify_rss(pe: &PortEng, f: &[u8]) -> Meta {
    let c = &pe.cfg;
    // MRQC.MRQE: RSS in modes 0001b, with DCB 0100b/0101b and with pools 1010b/1011b
    // (datasheet 8.2.3.7.12). With pools, `queue` is the redirection table entry (crate::pool).
    let rss_on = matches!(c.mrqc & 0xF, 0b0001 | 0b0100 | 0b0101 | 0b1010 | 0b1011);
    if !rss_on {
        return Meta::default();
    }
    let parsed = rss::parse(f);
    match rss::hash(&c.key, c.mrqc, &parsed) {
        Some((h, t)) => Meta {
            queue: u32::from(c.reta[(h & 0x7F) as usize] & 0xF),
            lo: t as u32 | parsed.ptype,
            hash: h,
        },
        None => Meta {
            queue: 0,
            lo: parsed.ptype,
            hash: 0,
        },
    }
}

/// Flow Director (7.1.2.7): a filter that matches the frame's flow picks its queue
/// (before RSS, 7.1.2); matches and misses are counted (FDIRMATCH, FDIRMISS).
#[cold]
fn fdir_steer(pe: &mut PortEng, f: &[u8], meta: &mut Meta) {
    let Some(t) = &pe.cfg.fdir else { return };
    let p = rss::parse(f);
    match t.lookup(f, &p) {
        Some(Some(q)) => {
            meta.queue = q;
            pe.st.fdirmatch += 1;
        }
        Some(None) => pe.st.fdirmiss += 1,
        None => {}
    }
}

pub(crate) struct NoRoom;

/// The queue's state for this step, loaded from the registers on first use (in place: the
/// hot path reads and updates single fields, never copies of the whole state).
#[inline]
pub(crate) fn rxq<'a>(pe: &'a mut PortEng, sh: &Shared, p: &PortHw, q: u32, step: u64) -> &'a RxQ {
    if pe.rxq[q as usize].stamp != step {
        load(pe, sh, p, q, step);
    }
    &pe.rxq[q as usize]
}

#[cold]
fn load(pe: &mut PortEng, sh: &Shared, p: &PortHw, q: u32, step: u64) {
    let mut rq = RxQ {
        stamp: step,
        ..RxQ::default()
    };
    let srrctl = p.regs.get(R::SRRCTL, q);
    rq.drop_en = srrctl & regs::SRRCTL_DROP_EN != 0;
    rq.vme = p.regs.get(R::RXDCTL, q) & regs::RXDCTL_VME != 0;
    // BSIZEPACKET in 1 KB units; 0 is not allowed by the datasheet, treated as the 2 KB default.
    rq.bsize = match (srrctl & regs::SRRCTL_BSIZEPACKET) as usize {
        0 => 2048,
        k => k * 1024,
    };
    if p.rx_can_run(q) {
        let count = p.rx_count(q);
        let base = u64::from(p.regs.get(R::RDBAL, q)) | (u64::from(p.regs.get(R::RDBAH, q)) << 32);
        match sh.mem.translate(base, count as usize * 16) {
            Some(_) if !sh.may_write(p, "RX descriptor ring", q, base, count as usize * 16) => {
                p.rx_stop.set(q, true);
            }
            Some(ring) => {
                let head = p.regs.get(R::RDH, q);
                let tail = p.regs.get(R::RDT, q);
                if head < count {
                    rq.running = true;
                    rq.ring = crate::engine::HostPtr(ring);
                    rq.count = count;
                    rq.head = head;
                    rq.head0 = head;
                    // A tail beyond the ring (a strict violation) gives the card nothing.
                    rq.tail = if tail < count { tail } else { head };
                }
            }
            None => {
                sh.dma_fault(DmaFault {
                    port: p.idx,
                    what: "RX descriptor ring",
                    queue: q,
                    addr: base,
                    len: count as usize * 16,
                    virtual_address: sh.mem.is_host_address(base),
                    injected: false,
                });
                p.rx_stop.set(q, true);
            }
        }
    }
    pe.rxq[q as usize] = rq;
    pe.touched.push(q);
}

/// DMA one frame into the queue's descriptors and write them back.
///
/// The common case (the queue loaded for this step, the frame in one buffer, CRC stripped,
/// no fault pending, a good buffer address) inline; everything else in `write_any`.
#[inline(always)]
fn write(
    pe: &mut PortEng,
    sh: &Shared,
    p: &PortHw,
    meta: Meta,
    f: &[u8],
    step: u64,
) -> Result<(), NoRoom> {
    let qi = (meta.queue & 127) as usize;
    let fast = !pe.faults && pe.cfg.strip_crc;
    let rq = &mut pe.rxq[qi];
    if fast
        && rq.stamp == step
        && rq.running
        && !rq.vme
        && rq.head != rq.tail
        && f.len() <= rq.bsize
    {
        let ring = rq.ring.0;
        let d = ring.wrapping_add(rq.head as usize * 16);
        if let Some(buf) = sh.mem.translate(dma::rd64(d, 0), f.len()) {
            dma::copy_to(f, buf);
            dma::wr64(d, 0, u64::from(meta.lo) | (u64::from(meta.hash) << 32));
            dma::wr32(d, 12, f.len() as u32);
            // The descriptor's other fields before DD: the driver reads them once it sees DD.
            fence(Ordering::Release);
            dma::wr32(d, 8, STAT_DD | STAT_EOP | crate::offload::rx_status(f));
            rq.head = if rq.head + 1 == rq.count {
                0
            } else {
                rq.head + 1
            };
            let m = pe.cfg.rqsm[qi] as usize & 15;
            pe.st.qprc[m] += 1;
            pe.st.qbrc[m] += f.len() as u64;
            pe.st.m_rx += 1;
            return Ok(());
        }
    }
    write_any(pe, sh, p, meta, f, step)
}

#[inline(never)]
fn write_any(
    pe: &mut PortEng,
    sh: &Shared,
    p: &PortHw,
    meta: Meta,
    f: &[u8],
    step: u64,
) -> Result<(), NoRoom> {
    let q = meta.queue;
    let qi = q as usize;
    let rq = rxq(pe, sh, p, q, step);
    if !rq.running {
        return Err(NoRoom);
    }
    let (ring, count, tail, bsize) = (rq.ring.0, rq.count, rq.tail, rq.bsize);
    let mut head = rq.head;
    // Checksum status (7.1.11), over the frame as received.
    let csum = crate::offload::rx_status(f);
    // VLAN strip (RXDCTL.VME, 7.1.1.2): the tag leaves the frame for the descriptor.
    let tag = if rq.vme { pe.cfg.vlan.tag(f) } else { None };
    let f: &[u8] = match tag {
        Some(_) => {
            crate::pool::strip(f, &mut pe.vlanbuf);
            &pe.vlanbuf
        }
        None => f,
    };
    let data: &[u8] = if pe.cfg.strip_crc {
        f
    } else {
        // CRC kept (HLREG0.RXCRCSTRP = 0): the frame as on the wire, FCS included.
        pe.crcbuf.clear();
        pe.crcbuf.extend_from_slice(f);
        pe.crcbuf
            .extend_from_slice(&crate::crc::crc32(f).to_le_bytes());
        &pe.crcbuf
    };
    let (vp, vlan) = match tag {
        Some(t) => (STAT_VP, u32::from(t) << 16),
        None => (0, 0),
    };
    let ndesc = if data.len() <= bsize {
        1
    } else {
        data.len().div_ceil(bsize) as u32
    };
    let avail = if tail >= head {
        tail - head
    } else {
        tail + count - head
    };
    if avail < ndesc {
        return Err(NoRoom);
    }
    let faults = p.faults.packet_faults();
    if faults && FaultState::take(&p.faults.dma_errors) {
        sh.dma_fault(DmaFault {
            port: p.idx,
            what: "RX buffer",
            queue: q,
            addr: dma::rd64(ring, head as usize * 16),
            len: data.len(),
            virtual_address: false,
            injected: true,
        });
        pe.st.m_dma_drops += 1;
        return Ok(());
    }
    let (mut extra_len, mut err_bits) = (0u32, 0u32);
    if faults {
        if FaultState::take(&p.faults.len_count) {
            extra_len = p.faults.len_extra.load(Ordering::Relaxed);
        }
        if FaultState::take(&p.faults.err_count) {
            err_bits = p.faults.err_bits.load(Ordering::Relaxed) & 0xFFF0_0000;
        }
    }
    let mut rest = data;
    let lo = u64::from(meta.lo) | (u64::from(meta.hash) << 32);
    for k in 0..ndesc {
        let d = ring.wrapping_add(head as usize * 16);
        let addr = dma::rd64(d, 0);
        let n = rest.len().min(bsize);
        let Some(buf) = sh.mem.translate(addr, n) else {
            sh.dma_fault(DmaFault {
                port: p.idx,
                what: "RX buffer",
                queue: q,
                addr,
                len: n,
                virtual_address: sh.mem.is_host_address(addr),
                injected: false,
            });
            // A failed DMA write stops the queue (its ring state is no longer trusted).
            p.rx_stop.set(q, true);
            pe.rxq[qi].running = false;
            pe.rxq[qi].head = head;
            pe.st.m_dma_drops += 1;
            return Ok(());
        };
        if !sh.may_write(p, "RX buffer", q, addr, n) {
            p.rx_stop.set(q, true);
            pe.rxq[qi].running = false;
            pe.rxq[qi].head = head;
            pe.st.m_dma_drops += 1;
            return Ok(());
        }
        dma::copy_to(&rest[..n], buf);
        rest = &rest[n..];
        let last = k + 1 == ndesc;
        let len = (n as u32 + if last { extra_len } else { 0 }).min(0xFFFF);
        let status = STAT_DD | vp | if last { STAT_EOP | err_bits | csum } else { 0 };
        dma::wr64(d, 0, lo);
        dma::wr32(d, 12, len | vlan);
        // The descriptor's other fields before DD: the driver reads them once it sees DD.
        fence(Ordering::Release);
        dma::wr32(d, 8, status);
        head = if head + 1 == count { 0 } else { head + 1 };
    }
    pe.rxq[qi].head = head;
    let m = pe.cfg.rqsm[q as usize] as usize;
    pe.st.qprc[m] += 1;
    pe.st.qbrc[m] += data.len() as u64;
    pe.st.m_rx += 1;
    Ok(())
}

/// Move frames waiting in the packet buffer into their queues, in order.
pub(crate) fn drain(pe: &mut PortEng, sh: &Shared, p: &PortHw, step: u64) -> usize {
    let mut n = 0;
    while let Some(b) = pe.pb.pop_front() {
        pe.pb_bytes -= b.data.len();
        let r = write(pe, sh, p, b.meta, &b.data, step);
        match r {
            Ok(()) => {}
            Err(NoRoom) if rxq(pe, sh, p, b.meta.queue, step).drop_en => {
                let m = pe.cfg.rqsm[b.meta.queue as usize] as usize;
                pe.st.qprdc[m] += 1;
                pe.st.m_no_desc += 1;
                pe.st.dirty = true;
            }
            Err(NoRoom) => {
                pe.pb_bytes += b.data.len();
                pe.pb.push_front(b);
                break;
            }
        }
        pe.st.dirty = true;
        pe.pool.push(b.data);
        n += 1;
    }
    n
}
