//! The transmit engine: fetch descriptors between TDH and TDT (advanced data and context
//! descriptors, legacy descriptors), gather each packet up to EOP, write back DD where RS is
//! set (datasheet 7.2.3), pad short frames (HLREG0.TXPADEN) and put the frame on the wire.

use crate::card::Shared;
use crate::dma::{self, DmaFault};
use crate::engine::{bucket, Engine, MAX_FRAME, TX_BUDGET};
use crate::fault::FaultState;
use crate::offload::{self, Request, DCMD_TSE, MAX_GATHER, OFFLOAD_OLINFO};
use crate::regs::{self, R};
use crate::wire::Sink;
use std::sync::atomic::{fence, Ordering};

// DCMD bits, the same places in legacy and advanced descriptors (datasheet 7.2.3.2.4).
const DCMD_EOP: u32 = 1 << 24;
const DCMD_RS: u32 = 1 << 27;
const DCMD_DEXT: u32 = 1 << 29;
const DCMD_VLE: u32 = 1 << 30;
const DTYP_CONTEXT: u32 = 0x2;
/// DD in the write-back STA field (bits 3:0 of dword 3).
const STA_DD: u32 = 1;
/// Minimum frame without FCS (64 on the wire).
const MIN_FRAME: usize = 60;

pub(crate) fn run(eng: &mut Engine, sh: &Shared, pi: usize) -> usize {
    let p = &sh.ports[pi];
    let lpbk = eng.ports[pi].cfg.lpbk;
    // Without link the MAC does not transmit; descriptors wait (MAC loopback needs no link).
    if !lpbk && !p.link_up.load(Ordering::Acquire) {
        return 0;
    }
    let bits = p.tx_en.snapshot();
    let mut frame = std::mem::take(&mut eng.frame);
    // The gather buffer holds any frame (a TSO packet up to 256 KiB); only the bytes of the
    // current one are used.
    frame.resize(MAX_GATHER, 0);
    let mut work = 0;
    for (w, mut b) in bits.into_iter().enumerate() {
        while b != 0 {
            let q = w as u32 * 64 + b.trailing_zeros();
            b &= b - 1;
            // Queues with a rate limit or a pool VLAN tag take the general loop; the others
            // one without those checks.
            work += if shaped(p, q) {
                queue::<true>(eng, sh, pi, q, &mut frame)
            } else {
                queue::<false>(eng, sh, pi, q, &mut frame)
            };
        }
    }
    eng.frame = frame;
    work
}

/// The pool of TX queue `q` when pools are on (MTQC.VT_ENA: 64 pools of 2 queues or 32 of 4).
fn pool_of(p: &crate::card::PortHw, q: u32) -> Option<u32> {
    let mtqc = p.regs.get(R::MTQC, 0);
    (mtqc & regs::MTQC_VT_ENA != 0).then(|| q / if (mtqc >> 2) & 3 == 0b10 { 4 } else { 2 })
}

fn shaped(p: &crate::card::PortHw, q: u32) -> bool {
    p.rate[q as usize].load(Ordering::Relaxed) & regs::RTTBCNRC_RS_ENA != 0
        || pool_of(p, q).is_some_and(|pl| p.regs.get(R::VMVIR, pl) >> 30 == 0b01)
}

fn queue<const SHAPED: bool>(
    eng: &mut Engine,
    sh: &Shared,
    pi: usize,
    q: u32,
    frame: &mut [u8],
) -> usize {
    let p = &sh.ports[pi];
    if !p.tx_can_run(q) {
        return 0;
    }
    let count = p.tx_count(q);
    let base = u64::from(p.regs.get(R::TDBAL, q)) | (u64::from(p.regs.get(R::TDBAH, q)) << 32);
    let Some(ring) = sh.mem.translate(base, count as usize * 16) else {
        sh.dma_fault(DmaFault {
            port: pi,
            what: "TX descriptor ring",
            queue: q,
            addr: base,
            len: count as usize * 16,
            virtual_address: sh.mem.is_host_address(base),
            injected: false,
        });
        p.tx_stop.set(q, true);
        return 0;
    };
    if !sh.may_write(p, "TX descriptor ring", q, base, count as usize * 16) {
        p.tx_stop.set(q, true);
        return 0;
    }
    let reset_gen = p.reset_gen.load(Ordering::Acquire);
    let head = p.regs.get(R::TDH, q);
    let tail = p.regs.get(R::TDT, q);
    if head >= count || tail >= count {
        return 0;
    }
    // Pools (MTQC.VT_ENA): the queue's pool must be enabled to transmit (PFVFTE, 4.6.10.1.4).
    let pool = pool_of(p, q);
    if let Some(pl) = pool {
        if p.regs.get(R::VFTE, pl / 32) & (1 << (pl % 32)) == 0 {
            return 0;
        }
    }
    // VLAN insertion: the pool's action (PFVMVIR.VLANA), else the descriptor's (DCMD.VLE with
    // the tag of the context descriptor it names, 7.2.3.2.3).
    let vmvir = pool.map_or(0, |pl| p.regs.get(R::VMVIR, pl));
    let pool_tag = (SHAPED && vmvir >> 30 == 0b01).then_some(vmvir as u16);
    let desc_tags = vmvir >> 30 == 0b00;
    // Rate scheduler (RTTBCNRC of the queue, 7.7.2.2): the queue sends while its next
    // allowed time has come; each frame moves that time on by its wire time times the rate
    // factor (line rate / target rate, 10.14 fixed point).
    let rf = p.rate[q as usize].load(Ordering::Acquire);
    let limited = SHAPED && rf & regs::RTTBCNRC_RS_ENA != 0 && rf & 0x00FF_FFFF != 0;
    let (now_ps, mut next_ps) = if limited {
        (
            sh.now().saturating_mul(1000),
            p.rate_next[q as usize].load(Ordering::Acquire),
        )
    } else {
        (0, 0)
    };
    if limited {
        // An idle queue saves no credit (7.7.2.2). Idle means: from when the card found it
        // empty (`rate_idle`: a simulated card running late sends a backlog at once, and the
        // driver cannot refill before it sees those completions) to the tail write that gave
        // it frames again (`rate_fill`, card.rs).
        let q = q as usize;
        let since = p.rate_idle[q].load(Ordering::Acquire);
        if head == tail {
            if since == u64::MAX {
                p.rate_idle[q].store(now_ps, Ordering::Release);
            }
            return 0;
        }
        if since != u64::MAX {
            // The tail write that ended the idle time came after `since` (the start of the
            // step that found the queue empty; a write before it would have been seen).
            let fill = p.rate_fill[q].load(Ordering::Acquire);
            let busy = if fill == u64::MAX {
                now_ps
            } else {
                fill.clamp(since, now_ps.max(since))
            };
            next_ps = idle_credit(next_ps, since, busy);
            p.rate_idle[q].store(u64::MAX, Ordering::Release);
        }
    }
    // Faults injected while this queue runs apply from the next step.
    let faults = p.faults.packet_faults();
    let txpad = eng.ports[pi].cfg.txpad;
    let mut vle = false;
    let desc = |i: u32| ring.wrapping_add(i as usize * 16);
    let next = |i: u32| if i + 1 == count { 0 } else { i + 1 };
    // One pass over the descriptors: each is read once, its buffer gathered at once; a packet
    // is sent when its EOP descriptor is reached before the tail (all its descriptors fetched).
    let mut sent = 0;
    let mut start = head; // first descriptor of the packet being gathered
    let mut i = head;
    let mut flen = 0usize;
    let mut rs_inner = false; // RS on a descriptor of the packet other than EOP (rare)
    let mut wrote_back = false; // a DD written back in this pass (the queue's cause)
    let mut bad = None; // first buffer of the packet outside the simulated memory
    let mut ctx_vlan = 0u16;
    // The packet's first data descriptor (its offload fields, 7.2.3.2.4) when it asks for one.
    let mut first = true;
    let mut request: Option<Request> = None;
    while i != tail && sent < TX_BUDGET {
        if limited && i == start && next_ps > now_ps {
            break;
        }
        let d = desc(i);
        let cmd = dma::rd32(d, 8);
        let len = (cmd & 0xFFFF) as usize;
        let context = cmd & DCMD_DEXT != 0 && (cmd >> 20) & 0xF == DTYP_CONTEXT;
        if context {
            // Context slot IDX (bits 6:4 of dword 3; the 82599 has 2 per queue).
            let dw3 = dma::rd32(d, 12);
            let idx = ((dw3 >> 4) & 1) as usize;
            eng.ports[pi].tx_ctx[q as usize][idx] = [dma::rd32(d, 0), dma::rd32(d, 4), cmd, dw3];
            if cmd & DCMD_RS != 0 && sh.cfg.strict {
                // Reserved in a context (DCMD bits 4:0): no status comes back for it, so a
                // driver that waits for its DD waits forever.
                let why =
                    "RS set on a context descriptor (reserved there: no status is written back)";
                sh.violation(
                    p,
                    regdsl_rt::Dir::W,
                    tdt_offset(q),
                    cmd,
                    crate::strict::Rule::BadOffload,
                    why.into(),
                );
            }
        } else if cmd & (DCMD_DEXT | DCMD_VLE) == DCMD_DEXT | DCMD_VLE && desc_tags {
            let idx = ((dma::rd32(d, 12) >> 4) & 1) as usize;
            vle = true;
            ctx_vlan = (eng.ports[pi].tx_ctx[q as usize][idx][0] >> 16) as u16;
        }
        if !context && std::mem::take(&mut first) && cmd & DCMD_DEXT != 0 {
            let olinfo = dma::rd32(d, 12);
            if cmd & DCMD_TSE != 0 || olinfo & OFFLOAD_OLINFO != 0 {
                let c = eng.ports[pi].tx_ctx[q as usize][((olinfo >> 4) & 1) as usize];
                request = Some(Request {
                    ctx: (c[2] & DCMD_DEXT != 0).then_some(c),
                    cmd,
                    olinfo,
                });
            }
        }
        let limit = if request.is_some_and(|r| r.cmd & DCMD_TSE != 0) {
            MAX_GATHER
        } else {
            MAX_FRAME
        };
        if !context && len != 0 && bad.is_none() {
            let addr = dma::rd64(d, 0);
            match sh.mem.translate(addr, len) {
                Some(src) if flen + len <= limit => {
                    dma::copy_from(src, &mut frame[flen..flen + len]);
                    flen += len;
                }
                Some(_) => {} // beyond the model's largest frame: truncated
                None => bad = Some((addr, len)),
            }
        }
        let eop = i;
        i = next(i);
        if cmd & DCMD_EOP == 0 {
            rs_inner |= cmd & DCMD_RS != 0;
            continue;
        }
        let injected = faults && FaultState::take(&p.faults.dma_errors);
        if let (Some((addr, len)), false) = (bad, injected) {
            sh.dma_fault(DmaFault {
                port: pi,
                what: "TX buffer",
                queue: q,
                addr,
                len,
                virtual_address: sh.mem.is_host_address(addr),
                injected: false,
            });
            // The queue stops at the packet it could not fetch.
            p.tx_stop.set(q, true);
            break;
        }
        // Write back DD on the packet's descriptors with RS, after their reads (datasheet
        // 7.2.3.5.1).
        fence(Ordering::Release);
        if rs_inner {
            let mut k = start;
            while k != eop {
                write_back(desc(k), dma::rd32(desc(k), 8));
                k = next(k);
            }
        }
        wrote_back |= write_back(d, cmd) | rs_inner;
        sent += 1;
        start = i;
        rs_inner = false;
        bad = None;
        first = true;
        let req = request.take();
        let n = std::mem::take(&mut flen);
        if injected {
            // Not sent, but its descriptors complete (crate::Fault::DmaError).
            sh.dma_fault(DmaFault {
                port: pi,
                what: "TX buffer",
                queue: q,
                addr: dma::rd64(d, 0),
                len: 0,
                virtual_address: false,
                injected: true,
            });
            eng.ports[pi].st.m_dma_drops += 1;
            eng.ports[pi].st.dirty = true;
            continue;
        }
        let tag = (vle || pool_tag.is_some()).then(|| pool_tag.unwrap_or(ctx_vlan));
        vle = false;
        let mut wire = 0u64;
        match req {
            None => wire += out(eng, sh, pi, q, frame, n, tag, txpad),
            Some(r) if r.cmd & DCMD_TSE == 0 => match offload::checksum(&r, frame, n) {
                Ok(()) => wire += out(eng, sh, pi, q, frame, n, tag, txpad),
                Err((_, why)) => bad_offload(sh, p, q, r.cmd, why),
            },
            Some(r) => {
                let mut seg = std::mem::take(&mut eng.seg);
                let res = offload::segment(&r, frame, n, &mut seg, MAX_FRAME, |s, len| {
                    wire += out(eng, sh, pi, q, s, len, tag, txpad);
                });
                eng.seg = seg;
                if let Err((_, why)) = res {
                    bad_offload(sh, p, q, r.cmd, why);
                }
            }
        }
        if limited {
            // Bytes on the wire: frame, CRC, preamble and inter-packet gap (4 + 8 + 12);
            // 800 ps per byte at 10 Gb/s.
            let cost = (wire * 800 * u64::from(rf & 0x00FF_FFFF)) >> 14;
            next_ps += cost;
        }
    }
    if limited {
        p.rate_next[q as usize].store(next_ps, Ordering::Release);
    }
    // Packets whose EOP is not yet before the tail wait (head stays at their first descriptor).
    if sent != 0 && p.reset_gen.load(Ordering::Acquire) == reset_gen {
        // The counters first: a driver that sees TDH reach TDT reads final counts (its stop
        // waits for that, then reads GPTC).
        eng.ports[pi].st.flush(p);
        p.regs.set(R::TDH, q, start);
        // The queue's interrupt cause: a completion written back, as DD or head (7.3.4).
        if head_writeback(sh, pi, q, start) || wrote_back {
            sh.tx_cause(p, q);
        }
    }
    // Emptied, unless the driver wrote the tail meanwhile: idle from this step's start.
    if limited && i == tail && start == i && p.regs.get(R::TDT, q) == tail {
        p.rate_idle[q as usize].store(now_ps, Ordering::Release);
    }
    sent
}

/// The rate scheduler's next send time after the queue was idle from `since` to `busy`: a
/// slot that was due while idle is lost (`next` moves to `busy`); a backlog the card had not
/// caught up on when it found the queue empty (`next < since`) is kept.
fn idle_credit(next: u64, since: u64, busy: u64) -> u64 {
    if next >= since {
        next.max(busy)
    } else {
        next + (busy - since)
    }
}

/// Tags, pads and emits the frame's first `n` bytes; returns its bytes on the wire (with CRC,
/// preamble and inter-packet gap: + 24).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn out(
    eng: &mut Engine,
    sh: &Shared,
    pi: usize,
    q: u32,
    frame: &mut [u8],
    n: usize,
    tag: Option<u16>,
    txpad: bool,
) -> u64 {
    let n = match tag {
        Some(t) => insert_tag(&sh.ports[pi], frame, n, t),
        None => n,
    };
    let n = if txpad && n < MIN_FRAME {
        frame[n..MIN_FRAME].fill(0);
        MIN_FRAME
    } else {
        n
    };
    emit(eng, sh, pi, q, &frame[..n]);
    n as u64 + 24
}

/// A malformed offload request: a strict-mode violation on the queue's TDT (the write that
/// handed the descriptors over); the packet is dropped and counted.
#[cold]
fn bad_offload(sh: &Shared, p: &crate::card::PortHw, q: u32, cmd: u32, why: String) {
    p.model.offload_drops.fetch_add(1, Ordering::Relaxed);
    if sh.cfg.strict {
        let off = tdt_offset(q);
        sh.violation(
            p,
            regdsl_rt::Dir::W,
            off,
            cmd,
            crate::strict::Rule::BadOffload,
            why,
        );
    }
}

/// TDT of queue `q` (datasheet 8.2.3.9.10): the write that handed the descriptors over.
fn tdt_offset(q: u32) -> usize {
    0x06018 + 0x40 * q as usize
}

/// The frame's first `n` bytes with a VLAN tag (DMATXCTL.VT, `tci`) after the addresses;
/// returns the new length.
#[cold]
fn insert_tag(p: &crate::card::PortHw, frame: &mut [u8], n: usize, tci: u16) -> usize {
    if n < 12 || n + 4 > MAX_FRAME {
        return n;
    }
    let vet = (p.regs.get(R::DMATXCTL, 0) >> regs::DMATXCTL_VT_SHIFT) as u16;
    frame.copy_within(12..n, 16);
    frame[12..14].copy_from_slice(&vet.to_be_bytes());
    frame[14..16].copy_from_slice(&tci.to_be_bytes());
    n + 4
}

/// DD into a descriptor the card is done with, if it asked for it (RS); true when written.
#[inline]
fn write_back(d: *mut u8, cmd: u32) -> bool {
    if cmd & DCMD_RS != 0 {
        if cmd & DCMD_DEXT != 0 {
            dma::wr32(d, 12, STA_DD);
        } else {
            // Legacy: STA shares dword 3 with CSS and VLAN, which stay.
            let v = dma::rd32(d, 12);
            dma::wr32(d, 12, v | STA_DD);
        }
        return true;
    }
    false
}

/// TX head write-back (TDWBAL.Head_WB_En, datasheet 7.2.3.5.2); true when written.
fn head_writeback(sh: &Shared, pi: usize, q: u32, head: u32) -> bool {
    let p = &sh.ports[pi];
    let lo = p.regs.get(R::TDWBAL, q);
    if lo & regs::TDWBAL_EN == 0 {
        return false;
    }
    let addr = u64::from(lo & !3) | (u64::from(p.regs.get(R::TDWBAH, q)) << 32);
    match sh.mem.translate(addr, 4) {
        Some(ptr) => {
            dma::wr32(ptr, 0, head);
            true
        }
        None => {
            sh.dma_fault(DmaFault {
                port: pi,
                what: "TX head write-back",
                queue: q,
                addr,
                len: 4,
                virtual_address: sh.mem.is_host_address(addr),
                injected: false,
            });
            false
        }
    }
}

/// Count a transmitted frame and hand it to the port's wires.
#[inline(always)]
fn emit(eng: &mut Engine, sh: &Shared, pi: usize, q: u32, frame: &[u8]) {
    let Engine {
        ports,
        sinks,
        step_no,
        ..
    } = eng;
    let step = *step_no;
    let pe = &mut ports[pi];
    let st = &mut pe.st;
    st.dirty = true;
    let wire_len = frame.len() + 4;
    st.gptc += 1;
    st.gotc += wire_len as u64;
    if let Some(b) = bucket(wire_len) {
        st.ptc[b] += 1;
    }
    if frame.len() >= 6 && frame[0] & 1 != 0 {
        if frame[..6] == [0xFF; 6] {
            st.bptc += 1;
        } else {
            st.mptc += 1;
        }
    }
    let m = pe.cfg.tqsm[q as usize] as usize;
    st.qptc[m] += 1;
    st.qbtc[m] += wire_len as u64;
    st.m_tx += 1;
    if !pe.cfg.plain {
        crate::rx::mirror_egress(pe, sh, &sh.ports[pi], frame, step);
    }
    let pe = &mut ports[pi];
    if pe.cfg.lpbk {
        // MAC loopback (HLREG0.LPBK): back into this port's receive path, not onto the wire.
        crate::rx::deliver(pe, sh, &sh.ports[pi], frame, step);
        return;
    }
    for sink in sinks[pi].iter_mut() {
        match sink {
            Sink::Port(d) => {
                let d = *d;
                if sh.ports[d].link_up.load(Ordering::Acquire) {
                    crate::rx::deliver(&mut ports[d], sh, &sh.ports[d], frame, step);
                } else {
                    ports[pi].st.m_lost_link += 1;
                }
            }
            other => {
                if other.write(frame).is_err() {
                    ports[pi].st.m_sink_err += 1;
                }
            }
        }
    }
}
