//! A receive queue: its descriptor ring, the buffers lent to the card, and the batched receive
//! path (advanced one-buffer descriptors, DD write-back: 82599 datasheet 7.1, 82576 7.1).

use crate::counters::QueueCounters;
use crate::desc::{self, rx_read, rx_wb, RxFormat};
use crate::{QueueError, QueueRegs};
use core::marker::PhantomData;
use dma::DmaRegion;
use dma::{Mempool, Packet};
use std::sync::Arc;
use std::time::Duration;

/// One receive queue. `Send`: move it to the thread that polls it.
///
/// Ring state: descriptors `[next, tail)` belong to the card (filled with a buffer);
/// `[tail, next - 1)` are empty, waiting for buffers; one slot always stays empty so that the
/// tail register never equals the head (82599 datasheet 7.1.9: RDT == RDH means "ring empty").
///
/// Emptied slots are refilled in runs of at least `refill_at` (ring/8, at most 64) with one
/// tail write per run, so a receive call of a few packets usually writes no register and
/// takes no pool lock. The card therefore always holds at least `ring - refill_at`
/// descriptors (all but the one kept empty and fewer than `refill_at` waiting): it never
/// starves for lack of a refill, only when the pool itself is empty.
///
/// `R` reaches the queue's registers (tail write, stop); `F` says which write-back error bits
/// mean a bad frame.
pub struct RxQueue<R: QueueRegs, F: RxFormat> {
    base: *mut u8,
    mask: u32,
    next: u32,
    tail: u32,
    buf_size: u32,
    /// Empty slots that trigger a refill (see above).
    refill_at: u32,
    /// Inside a packet spread over several descriptors: drop until its EOP.
    discarding: bool,
    /// Buffer index of each descriptor in `[next, tail)`.
    bufs: Box<[u32]>,
    /// Buffers the queue owns outside the ring (from dropped descriptors), used first on refill.
    spare: Vec<u32>,
    pool: Mempool,
    regs: R,
    counters: Arc<QueueCounters>,
    /// Keeps the ring memory alive; last, so it is dropped after everything that points into it.
    ring: Option<DmaRegion>,
    /// How descriptors are examined (see [`RxPath`]).
    path: RxPath,
    format: PhantomData<fn() -> F>,
}

/// How the receive loop examines descriptors. Every path delivers and counts the same
/// packets for the same write-backs (tested); they differ in instructions per packet.
///
/// A queue picks [`RxPath::best`] once, when it is made (the CPU's features are detected
/// then, not per call); [`RxQueue::set_rx_path`] forces another path this CPU runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxPath {
    /// One descriptor at a time: every target.
    Scalar,
    /// Four descriptors at a time with SSE2 (baseline on x86_64, so always there): their
    /// status, errors and lengths are checked in one vector and four packets are written with
    /// four 16-byte stores; anything unusual (a descriptor not done, a bad frame, the ring's
    /// end) falls back to the scalar step for that descriptor.
    Sse2,
    /// Eight descriptors at a time with AVX2 (x86_64 CPUs that have it, detected at run
    /// time): two descriptors per 32-byte load, eight checked in one vector, eight packets
    /// written with four 32-byte stores; then one SSE2 group of four where four are left, and
    /// the scalar step for the rest and for anything unusual, as [`RxPath::Sse2`].
    Avx2,
}

impl RxPath {
    /// The widest path this CPU runs: AVX2 where the CPU has it, else SSE2 on x86_64, else
    /// scalar.
    pub fn best() -> RxPath {
        [RxPath::Avx2, RxPath::Sse2]
            .into_iter()
            .find(|p| p.supported())
            .unwrap_or(RxPath::Scalar)
    }

    /// Whether this CPU can run the path (AVX2: asks the CPU, through
    /// `is_x86_feature_detected!`).
    pub fn supported(self) -> bool {
        match self {
            RxPath::Scalar => true,
            RxPath::Sse2 => cfg!(target_arch = "x86_64"),
            #[cfg(target_arch = "x86_64")]
            RxPath::Avx2 => std::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            RxPath::Avx2 => false,
        }
    }
}

// SAFETY: `base` points into `ring`, owned by this queue; nothing else touches the ring.
unsafe impl<R: QueueRegs + Send, F: RxFormat> Send for RxQueue<R, F> {}

impl<R: QueueRegs, F: RxFormat> RxQueue<R, F> {
    /// A queue over `ring` (`size` descriptors, a power of two) with buffers from `pool`.
    /// Fills every slot but one (memory only: no register is touched). Then
    /// [`RxQueue::set_ring`] programs the ring and, once the device's receive path is set up,
    /// [`RxQueue::start`] turns the queue on.
    pub fn new(
        regs: R,
        ring: DmaRegion,
        size: usize,
        pool: Mempool,
        counters: Arc<QueueCounters>,
    ) -> Self {
        debug_assert!(size.is_power_of_two() && ring.len() >= size * desc::DESC_SIZE);
        let buf_size = pool.buf_size() as u32;
        let mut q = RxQueue {
            base: ring.virt(),
            mask: size as u32 - 1,
            next: 0,
            tail: 0,
            buf_size,
            refill_at: refill_threshold(size as u32),
            discarding: false,
            bufs: vec![0; size].into_boxed_slice(),
            spare: Vec::with_capacity(size),
            pool,
            regs,
            counters,
            ring: Some(ring),
            path: RxPath::best(),
            format: PhantomData,
        };
        q.fill();
        q
    }

    /// The queue number.
    pub fn id(&self) -> u32 {
        self.regs.id()
    }

    /// How this queue examines descriptors ([`RxPath::best`] unless set).
    pub fn rx_path(&self) -> RxPath {
        self.path
    }

    /// Chooses how this queue examines descriptors (e.g. the scalar path, to compare); `false`
    /// (and no change) when this CPU cannot run `path`.
    pub fn set_rx_path(&mut self, path: RxPath) -> bool {
        if path.supported() {
            self.path = path;
        }
        path.supported()
    }

    /// Programs the ring into the queue's registers ([`QueueRegs::set_ring`]: device address,
    /// length, head and tail 0), the queue still off.
    pub fn set_ring(&self) -> Result<(), QueueError> {
        self.regs
            .set_ring(self.ring_phys(), self.ring_size() * desc::DESC_SIZE)
    }

    /// Turns the queue on and hands the card its buffers: the enable bit, a bounded wait for
    /// it to read back set, then the tail (82599 datasheet 4.6.7.1: the tail is written only
    /// once the queue is enabled).
    pub fn start(&self, timeout: Duration) -> Result<(), QueueError> {
        self.regs.enable();
        if !self.regs.wait_enabled(timeout) {
            return Err(QueueError::EnableTimeout {
                dir: "RX",
                queue: self.id(),
                timeout,
            });
        }
        self.regs_tail();
        Ok(())
    }

    /// Descriptors in the ring.
    pub fn ring_size(&self) -> usize {
        self.mask as usize + 1
    }

    /// The pool this queue receives into (also a good place to allocate packets to send).
    pub fn pool(&self) -> &Mempool {
        &self.pool
    }

    /// This queue's software counters.
    pub fn counters(&self) -> &QueueCounters {
        &self.counters
    }

    /// The registers, for the unit tests that look at what the queue did to them.
    #[cfg(test)]
    pub(crate) fn regs_for_test(&self) -> &R {
        &self.regs
    }

    /// Device address of the ring.
    pub fn ring_phys(&self) -> u64 {
        self.ring.as_ref().map_or(0, |r| r.phys())
    }

    /// The next descriptor to look at (for [`crate::rxmeta`]).
    pub(crate) fn next_desc(&self) -> *mut u8 {
        // SAFETY: `next <= mask`, inside the ring.
        unsafe { desc::at(self.base, self.next as usize) }
    }

    /// Whether the next descriptor is written back (DD): [`RxQueue::rx_batch`] would return
    /// something. One volatile read; what an interrupt-driven receive loop checks before it
    /// sleeps.
    pub fn ready(&self) -> bool {
        if self.filled() == 0 {
            return false;
        }
        // SAFETY: `next <= mask`, inside the ring; a live, 16-aligned descriptor.
        let w =
            unsafe { desc::read32(desc::at(self.base, self.next as usize), rx_wb::STATUS_ERROR) };
        w & rx_wb::STAT_DD != 0
    }

    /// Descriptors currently holding a buffer for the card.
    pub fn filled(&self) -> usize {
        (self.tail.wrapping_sub(self.next) & self.mask) as usize
    }

    /// Empty slots (waiting for a buffer), not counting the one always kept empty.
    #[inline(always)]
    fn empty(&self) -> u32 {
        self.next.wrapping_sub(self.tail).wrapping_sub(1) & self.mask
    }

    /// Fills every empty slot now (one tail write), whatever the refill threshold; returns
    /// how many were filled (fewer when the pool runs short).
    #[inline(never)]
    pub fn refill_all(&mut self) -> usize {
        let n = self.fill();
        if n != 0 {
            self.regs_tail();
        }
        n
    }

    /// The tail: the first slot not handed to the card.
    pub fn tail(&self) -> u32 {
        self.tail
    }

    /// Receives up to `max` packets, appending them to `out`; returns how many.
    ///
    /// Write-back values are checked, not trusted: a descriptor with a frame error, a length of
    /// 0 or beyond the buffer, or a packet spread over several descriptors is dropped and
    /// counted (`rx_desc_errors`), its buffer reused. Afterwards, once enough slots are empty
    /// (ring/8, at most 64), they are refilled from the pool with one tail write; when the pool
    /// is empty they stay empty (the card then drops and counts what it cannot place) and are
    /// refilled on a later call.
    #[inline(always)]
    pub fn rx_batch(&mut self, out: &mut Vec<Packet>, max: usize) -> usize {
        let mask = self.mask;
        let limit = max.min(self.filled());
        if limit == 1 && !self.discarding {
            if let Some(got) = self.rx_one(out, mask) {
                return got;
            }
        }
        out.reserve(limit);
        let base_len = out.len();
        // Written straight into the vector's spare room (reserved above), then `set_len`.
        let dst = out.spare_capacity_mut().as_mut_ptr();
        let mut i = self.next;
        // `limit` < ring size, so `stop == i` only when there is nothing to look at.
        let stop = (i + limit as u32) & mask;
        if self.discarding {
            i = drop_rest(&mut self.discard_state(), i, stop);
        }
        // The vector paths only where they can run: their set-up costs more than a short call.
        #[cfg(target_arch = "x86_64")]
        let (i, w_out, bytes) = if limit >= 4 && self.path == RxPath::Sse2 {
            // SAFETY: as for `rx_loop`, with the room reserved above.
            unsafe { self.rx_loop::<SSE2>(i, stop, dst) }
        } else if limit >= 4 && self.path == RxPath::Avx2 {
            // SAFETY: as above; `Avx2` is only ever set where the CPU has AVX2
            // (`RxPath::best`, `set_rx_path`).
            unsafe { self.rx_loop_avx2(i, stop, dst) }
        } else {
            // SAFETY: as above.
            unsafe { self.rx_loop::<SCALAR>(i, stop, dst) }
        };
        #[cfg(not(target_arch = "x86_64"))]
        // SAFETY: as above.
        let (i, w_out, bytes) = unsafe { self.rx_loop::<SCALAR>(i, stop, dst) };
        // SAFETY: `w_out` only moved forward from `dst`, one slot per packet written.
        let got = unsafe { w_out.offset_from(dst) } as usize;
        // SAFETY: the first `got` spare slots were initialised above.
        unsafe { out.set_len(base_len + got) };
        let seen = i.wrapping_sub(self.next) & mask;
        self.next = i;
        if seen != 0 {
            // Every descriptor seen was delivered or dropped.
            self.counters
                .add_rx(got as u64, bytes, u64::from(seen) - got as u64);
        }
        if self.empty() >= self.refill_at {
            self.refill_all();
        }
        got
    }

    /// The receive loop from descriptor `i` up to `stop` (or the first not written back),
    /// packets written from `w_out`; returns (next descriptor, end of the packets written,
    /// their bytes). `V`: the vector path tried first at each step ([`SCALAR`]: none, [`SSE2`]:
    /// four descriptors at a time, [`AVX2`]: eight).
    ///
    /// # Safety
    /// `w_out` has room for `(stop - i) & mask` packets; `i..stop` are descriptors this queue
    /// gave the card (`[next, tail)`). `V == AVX2` only where the CPU has AVX2.
    #[inline(always)]
    unsafe fn rx_loop<const V: u8>(
        &mut self,
        mut i: u32,
        stop: u32,
        mut w_out: *mut core::mem::MaybeUninit<Packet>,
    ) -> (u32, *mut core::mem::MaybeUninit<Packet>, u64) {
        let mask = self.mask;
        let mut bytes = 0u64;
        // Locals, not reloaded through `self` after each packet written out.
        let base = self.base;
        let bufs = self.bufs.as_ptr();
        let buf_size = self.buf_size;
        let source = self.pool.packet_source();
        while i != stop {
            #[cfg(target_arch = "x86_64")]
            if V != SCALAR {
                // Groups up to `stop` or the ring's end, whichever comes first.
                let end = if stop > i { stop } else { mask + 1 };
                if end - i >= 4 {
                    let ring = sse2::Ring {
                        base,
                        bufs,
                        pool: source.pool_word(),
                        buf_size,
                        err: F::ERR_FRAME,
                    };
                    // SAFETY: `i + 4 <= end <= ring size`: the descriptors and `bufs` slots
                    // exist; every descriptor in `i..end` is within `limit` of `next`, so
                    // the packets written stay within the room reserved in `out`; AVX2 only
                    // where the CPU has it (this function's contract).
                    let r = unsafe {
                        if V == AVX2 {
                            avx2::rx_run(&ring, i, end, w_out)
                        } else {
                            sse2::rx_run(ring, i, end, w_out)
                        }
                    };
                    i = r.next & mask;
                    w_out = r.out;
                    bytes += r.bytes;
                    if i == stop {
                        break;
                    }
                }
            }
            // SAFETY: `i <= mask`, inside the ring.
            let d = unsafe { desc::at(base, i as usize) };
            // Status, errors, length and VLAN in one read (82599 7.1.6.2, 82576 7.1.5.2).
            // SAFETY: `d` is a live descriptor, 16-aligned.
            let w = unsafe { desc::read64(d, rx_wb::STATUS_ERROR) };
            let status = w as u32;
            if status & rx_wb::STAT_DD == 0 {
                break;
            }
            // Everything the card wrote before DD is visible after this.
            regdsl_rt::fence::acquire();
            let len = (w >> rx_wb::LENGTH_SHIFT) as u16 as u32;
            if status & (rx_wb::STAT_EOP | F::ERR_FRAME) != rx_wb::STAT_EOP
                || len.wrapping_sub(1) >= buf_size
            {
                // Dropped, with the rest of its packet when it does not end here.
                let mut q = Discard {
                    base,
                    mask,
                    bufs: &self.bufs,
                    spare: &mut self.spare,
                    discarding: &mut self.discarding,
                };
                i = drop_rest(&mut q, i, stop);
                continue;
            }
            // SAFETY: `i <= mask < bufs.len()`.
            let buf = unsafe { *bufs.add(i as usize) };
            // SAFETY: the card is done with `buf` (DD, then the acquire fence), this queue
            // owned it and ownership moves to the packet; 0 < len <= buf_size. At most
            // `limit` slots are written, all within the room reserved.
            unsafe {
                w_out.write(core::mem::MaybeUninit::new(source.packet_exact(buf, len)));
                w_out = w_out.add(1);
            }
            bytes += u64::from(len);
            i = (i + 1) & mask;
        }
        (i, w_out, bytes)
    }

    /// `rx_loop` with the AVX2 path, compiled for AVX2: out of line (a function compiled for
    /// AVX2 is not inlined into one that is not), so the whole loop is in it and the caller
    /// pays one call.
    ///
    /// # Safety
    /// As `rx_loop`; the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline(never)]
    unsafe fn rx_loop_avx2(
        &mut self,
        i: u32,
        stop: u32,
        w_out: *mut core::mem::MaybeUninit<Packet>,
    ) -> (u32, *mut core::mem::MaybeUninit<Packet>, u64) {
        // SAFETY: per this function's contract.
        unsafe { self.rx_loop::<AVX2>(i, stop, w_out) }
    }

    /// [`RxQueue::rx_batch`] for one descriptor (the card holds at least one, and no dropped
    /// packet goes on): no loop. `None` when the descriptor must be dropped: the general
    /// path does that.
    #[inline(always)]
    fn rx_one(&mut self, out: &mut Vec<Packet>, mask: u32) -> Option<usize> {
        // No room: the general path grows the vector. Without a possible call here, the
        // caller keeps its values in registers on this path (at batch 1 it is most of the
        // cost).
        let n = out.len();
        if n == out.capacity() {
            return None;
        }
        let i = self.next;
        // SAFETY: `i <= mask`, inside the ring; a live, 16-aligned descriptor.
        let w = unsafe { desc::read64(desc::at(self.base, i as usize), rx_wb::STATUS_ERROR) };
        let status = w as u32;
        if status & rx_wb::STAT_DD == 0 {
            return Some(0);
        }
        // Everything the card wrote before DD is visible after this.
        regdsl_rt::fence::acquire();
        let len = (w >> rx_wb::LENGTH_SHIFT) as u16 as u32;
        if status & (rx_wb::STAT_EOP | F::ERR_FRAME) != rx_wb::STAT_EOP
            || len.wrapping_sub(1) >= self.buf_size
        {
            return None;
        }
        // SAFETY: `i <= mask < bufs.len()`; the card is done with the buffer (DD, then the
        // acquire fence), this queue owned it and ownership moves to the packet;
        // 0 < len <= buf_size.
        let p = unsafe {
            let buf = *self.bufs.get_unchecked(i as usize);
            self.pool.packet_source().packet_exact(buf, len)
        };
        // SAFETY: `n < capacity`: slot `n` is spare room; it is initialised, then counted.
        unsafe {
            out.as_mut_ptr().add(n).write(p);
            out.set_len(n + 1);
        }
        self.next = (i + 1) & mask;
        self.counters.add_rx(1, u64::from(len), 0);
        if self.empty() >= self.refill_at {
            self.refill_all();
        }
        Some(1)
    }

    /// What [`drop_rest`] works on.
    fn discard_state(&mut self) -> Discard<'_> {
        Discard {
            base: self.base,
            mask: self.mask,
            bufs: &self.bufs,
            spare: &mut self.spare,
            discarding: &mut self.discarding,
        }
    }

    #[inline(always)]
    fn regs_tail(&self) {
        // Publishes: the descriptors written above are visible before the card reads the tail.
        self.regs.write_tail(self.tail);
    }

    /// Fills empty slots from the spare stack, then the pool; returns how many were filled.
    #[inline(always)]
    fn fill(&mut self) -> usize {
        let mask = self.mask;
        let want = self.empty() as usize;
        if want == 0 {
            return 0;
        }
        let start = self.tail as usize;
        let mut n = 0;
        while n < want {
            let Some(b) = self.spare.pop() else { break };
            self.bufs[(start + n) & mask as usize] = b;
            n += 1;
        }
        // The rest straight from the pool into the slots (at most two runs around the wrap).
        while n < want {
            let from = (start + n) & mask as usize;
            let run = (want - n).min(self.bufs.len() - from);
            let got = self.pool.alloc_raw(&mut self.bufs[from..from + run]);
            n += got;
            if got < run {
                self.counters.add_rx_no_buf(1);
                break;
            }
        }
        let size = self.bufs.len();
        let end = start + n;
        // At most two runs around the wrap.
        self.write_read_descs(start, end.min(size));
        if end > size {
            self.write_read_descs(0, end - size);
        }
        self.tail = ((start + n) & mask as usize) as u32;
        n
    }

    /// Gives descriptors `from..to` (no wrap) their buffers: read format, DD cleared.
    #[inline(always)]
    fn write_read_descs(&mut self, from: usize, to: usize) {
        let table = self.pool.phys_table();
        let (base, bufs) = (self.base, self.bufs.as_ptr());
        // One descriptor: its buffer's address, header address 0 (which also clears DD, bit
        // 0 of the same word).
        // SAFETY (both loops): `j < to <= bufs.len()`, inside the ring and `bufs`; the slot
        // is empty (not the card's) and now holds a buffer of this pool.
        let one = |j: usize| unsafe {
            let d = desc::at(base, j);
            desc::write64(d, rx_read::PKT_ADDR, table.get(*bufs.add(j)));
            desc::write64(d, rx_read::HDR_ADDR, 0);
        };
        // Eight per step: the loop's own work once per eight descriptors.
        let mut j = from;
        let end8 = from + (to - from) / 8 * 8;
        while j != end8 {
            for k in 0..8 {
                one(j + k);
            }
            j += 8;
        }
        while j < to {
            one(j);
            j += 1;
        }
    }

    /// Stops the card using the ring ([`QueueRegs::stop`]) and returns the
    /// buffers. When the queue does not stop, the buffers and ring are leaked rather than
    /// reused while the card might still write them.
    fn shutdown(&mut self) {
        let stopped = self.regs.stop();
        // Frames the card wrote into the ring that nobody took: dropped at stop, counted.
        if self.ring.is_some() {
            self.counters.add_rx_stop_drops(self.waiting_packets());
        }
        if !stopped {
            std::mem::forget(self.ring.take());
            return;
        }
        let mut i = self.next;
        let mut held = Vec::with_capacity(self.filled());
        while i != self.tail {
            held.push(self.bufs[i as usize]);
            i = (i + 1) & self.mask;
        }
        self.next = self.tail;
        held.append(&mut self.spare);
        // SAFETY: these buffers came from this pool, the card no longer uses them (queue
        // disabled), and each is returned once.
        unsafe { self.pool.free_raw(&held) };
    }
}

impl<R: QueueRegs, F: RxFormat> RxQueue<R, F> {
    /// Packets the card wrote back (DD with EOP) from the next descriptor to hand out up to
    /// the tail: received, not yet taken. Read from the ring; off the hot path.
    fn waiting_packets(&self) -> u64 {
        let mut n = 0;
        let mut i = self.next;
        while i != self.tail {
            // SAFETY: `i <= mask`, inside the ring this queue owns; a 16-aligned descriptor.
            let status =
                unsafe { desc::read64(desc::at(self.base, i as usize), rx_wb::STATUS_ERROR) }
                    as u32;
            if status & rx_wb::STAT_DD == 0 {
                break;
            }
            if status & rx_wb::STAT_EOP != 0 {
                n += 1;
            }
            i = (i + 1) & self.mask;
        }
        n
    }
}

/// A receive queue's state for dropping descriptors.
struct Discard<'a> {
    base: *mut u8,
    mask: u32,
    bufs: &'a [u32],
    spare: &'a mut Vec<u32>,
    discarding: &'a mut bool,
}

/// Drops descriptors from `i` (the card has written it back) up to and including the end of
/// its packet, or up to `stop` or the first one not written back yet (then `discarding` stays
/// set and a later call goes on). Their buffers go to `spare` for the next refill. Returns the
/// next descriptor to look at. Out of line, so that the receive loop keeps its registers for
/// the common case.
#[cold]
#[inline(never)]
fn drop_rest(q: &mut Discard<'_>, mut i: u32, stop: u32) -> u32 {
    *q.discarding = true;
    while i != stop {
        // SAFETY: `i <= mask`, inside the ring; a live, 16-aligned descriptor.
        let status =
            unsafe { desc::read64(desc::at(q.base, i as usize), rx_wb::STATUS_ERROR) } as u32;
        if status & rx_wb::STAT_DD == 0 {
            break;
        }
        regdsl_rt::fence::acquire();
        q.spare.push(q.bufs[i as usize]);
        i = (i + 1) & q.mask;
        if status & rx_wb::STAT_EOP != 0 {
            *q.discarding = false;
            break;
        }
    }
    i
}

/// `RxQueue::rx_loop`'s vector path: none.
const SCALAR: u8 = 0;
/// `RxQueue::rx_loop`'s vector path: [`RxPath::Sse2`].
#[cfg(target_arch = "x86_64")]
const SSE2: u8 = 1;
/// `RxQueue::rx_loop`'s vector path: [`RxPath::Avx2`].
#[cfg(target_arch = "x86_64")]
const AVX2: u8 = 2;

/// The SSE2 receive path ([`RxPath::Sse2`]).
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::rx_wb;
    use core::arch::x86_64::*;
    use core::mem::MaybeUninit;
    use dma::Packet;

    /// What the run needs of the queue.
    #[derive(Clone, Copy)]
    pub(super) struct Ring {
        pub base: *mut u8,
        pub bufs: *const u32,
        /// Bytes 0-7 of every packet of the queue's pool.
        pub pool: *const (),
        pub buf_size: u32,
        /// The format's frame-error bits.
        pub err: u32,
    }

    pub(super) struct Run {
        /// The first descriptor not taken (`i + 4k + c`, not wrapped).
        pub next: u32,
        pub out: *mut MaybeUninit<Packet>,
        pub bytes: u64,
    }

    /// Takes descriptors from `i` in groups of four while `i + 4 <= end` and all four are
    /// written back (DD) with one good, whole frame each (EOP, no frame error, length
    /// 1..=buf_size); writes their packets at `out`. In the first group that is not all good,
    /// takes its good prefix (the descriptors before the first not done or bad one) and
    /// stops: the caller's scalar step deals with that descriptor.
    ///
    /// # Safety
    /// `i + 4 <= end <= ring size`; `bufs` holds the buffer of every descriptor in `i..end`,
    /// which this queue lent to the card; `out` has room for `end - i` packets.
    #[inline(always)]
    pub(super) unsafe fn rx_run(
        q: Ring,
        mut i: u32,
        end: u32,
        mut out: *mut MaybeUninit<Packet>,
    ) -> Run {
        // SAFETY (whole function): SSE2 is part of x86_64. Every pointer is in bounds per the
        // contract: descriptors `i..i+4` of the ring (16-aligned, `i + 4 <= end`), `bufs[i..i+4]`,
        // and four packet slots at `out`. Descriptors are loaded with volatile 16-byte loads
        // through raw pointers (no reference to memory the card writes); each 8-byte half is
        // read atomically, so a descriptor's DD bit and its length come from one write-back.
        unsafe {
            let want = _mm_set1_epi32((rx_wb::STAT_DD | rx_wb::STAT_EOP) as i32);
            let check = _mm_set1_epi32((rx_wb::STAT_DD | rx_wb::STAT_EOP | q.err) as i32);
            let len_mask = _mm_set1_epi32(0xFFFF);
            // `1 <= len <= buf_size` as one signed compare: `len - 1 + i32::MIN` runs from
            // i32::MIN (length 1) and wraps to i32::MAX for length 0.
            let len_bias = _mm_set1_epi32(i32::MIN.wrapping_sub(1));
            let len_lim = _mm_set1_epi32(i32::MIN.wrapping_add(q.buf_size as i32));
            let mut sum = _mm_setzero_si128();
            for _ in 0..(end - i) / 4 {
                let d = q.base.add(i as usize * 16) as *const __m128i;
                let d0 = core::ptr::read_volatile(d);
                let d1 = core::ptr::read_volatile(d.add(1));
                let d2 = core::ptr::read_volatile(d.add(2));
                let d3 = core::ptr::read_volatile(d.add(3));
                // The status/error dword and the length/VLAN dword of each (bytes 8-15).
                let s01 = _mm_castsi128_ps(_mm_unpackhi_epi64(d0, d1));
                let s23 = _mm_castsi128_ps(_mm_unpackhi_epi64(d2, d3));
                let st = _mm_castps_si128(_mm_shuffle_ps::<0b10_00_10_00>(s01, s23));
                let len = _mm_and_si128(
                    _mm_castps_si128(_mm_shuffle_ps::<0b11_01_11_01>(s01, s23)),
                    len_mask,
                );
                let good = _mm_and_si128(
                    _mm_cmpeq_epi32(_mm_and_si128(st, check), want),
                    _mm_cmplt_epi32(_mm_add_epi32(len, len_bias), len_lim),
                );
                let m = _mm_movemask_ps(_mm_castsi128_ps(good)) as u32;
                // Everything the card wrote before DD is visible after this.
                regdsl_rt::fence::acquire();
                // Packets: pool word, then buffer index and length.
                let idx = _mm_loadu_si128(q.bufs.add(i as usize) as *const __m128i);
                let lo = _mm_unpacklo_epi32(idx, len);
                let hi = _mm_unpackhi_epi32(idx, len);
                // Pool pointers as pointer stores (so they keep their provenance), index and length
                // pairs as 8-byte vector stores.
                let o = out as *mut u64;
                let w = out as *mut *const ();
                w.write(q.pool);
                w.add(2).write(q.pool);
                w.add(4).write(q.pool);
                w.add(6).write(q.pool);
                _mm_storel_epi64(o.add(1) as *mut __m128i, lo);
                _mm_storeh_pd(o.add(3) as *mut f64, _mm_castsi128_pd(lo));
                _mm_storel_epi64(o.add(5) as *mut __m128i, hi);
                _mm_storeh_pd(o.add(7) as *mut f64, _mm_castsi128_pd(hi));
                if m == 0xF {
                    sum = _mm_add_epi32(sum, len);
                    i += 4;
                    out = out.add(4);
                    continue;
                }
                // The good prefix only; the slots after it are left unused.
                let c = (!m).trailing_zeros();
                let lanes = _mm_setr_epi32(0, 1, 2, 3);
                let keep = _mm_cmplt_epi32(lanes, _mm_set1_epi32(c as i32));
                sum = _mm_add_epi32(sum, _mm_and_si128(len, keep));
                i += c;
                out = out.add(c as usize);
                break;
            }
            // The sum fits 32 bits: at most a ring (32768) of 16-bit lengths.
            let s = _mm_add_epi32(sum, _mm_shuffle_epi32::<0b11_10_11_10>(sum));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_01_01_01>(s));
            let bytes = u64::from(_mm_cvtsi128_si32(s) as u32);
            Run {
                next: i,
                out,
                bytes,
            }
        }
    }
}

/// The AVX2 receive path ([`RxPath::Avx2`]).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::rx_wb;
    use super::sse2::{self, Ring, Run};
    use core::arch::x86_64::*;
    use core::mem::MaybeUninit;
    use dma::Packet;

    /// [`sse2::rx_run`] eight descriptors at a time: groups of eight while `i + 8 <= end` and
    /// all eight are written back with one good, whole frame each; then, if four are left
    /// before `end`, one SSE2 group of four. The first group that is not all good gives its
    /// good prefix and ends the run: the caller's scalar step deals with the next descriptor.
    ///
    /// Inlined into `RxQueue::rx_loop_avx2`, also compiled for AVX2.
    ///
    /// # Safety
    /// The CPU has AVX2; `i + 4 <= end <= ring size`; `bufs` holds the buffer of every
    /// descriptor in `i..end`, which this queue lent to the card; `out` has room for `end - i`
    /// packets.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn rx_run(
        q: &Ring,
        mut i: u32,
        end: u32,
        mut out: *mut MaybeUninit<Packet>,
    ) -> Run {
        // SAFETY (whole function): the CPU has AVX2 (contract). Every pointer is in bounds per
        // the contract: descriptors `i..i+8` of the ring (`i + 8 <= end`), `bufs[i..i+8]`,
        // and eight packet slots at `out`. Descriptors are loaded two at a time with
        // [`load8`] through raw pointers (no reference to memory the card writes); each
        // descriptor's 8-byte status/error/length half is read in one access, so its DD bit
        // and its length come from one write-back.
        unsafe {
            let want = _mm256_set1_epi32((rx_wb::STAT_DD | rx_wb::STAT_EOP) as i32);
            let check = _mm256_set1_epi32((rx_wb::STAT_DD | rx_wb::STAT_EOP | q.err) as i32);
            let len_mask = _mm256_set1_epi32(0xFFFF);
            // `1 <= len <= buf_size` as one signed compare, as in the SSE2 path.
            let len_bias = _mm256_set1_epi32(i32::MIN.wrapping_sub(1));
            let len_lim = _mm256_set1_epi32(i32::MIN.wrapping_add(q.buf_size as i32));
            let pool = _mm256_set1_epi64x(q.pool as i64);
            // After the gather below, lane k of the status and length vectors holds
            // descriptor `ORDER[k]`: 0, 2, 4, 6 in the low 128 bits, 1, 3, 5, 7 in the high.
            let order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
            let mut sum = _mm256_setzero_si256();
            for _ in 0..(end - i) / 8 {
                // Descriptors 2k (low 128 bits) and 2k+1 (high).
                let [d01, d23, d45, d67] = load8(q.base.add(i as usize * 16));
                // Bytes 8-15 (status/error dword, length/VLAN dword) of each, per 128-bit lane:
                // s = 0, 2 | 1, 3 and t = 4, 6 | 5, 7.
                let s = _mm256_castsi256_ps(_mm256_unpackhi_epi64(d01, d23));
                let t = _mm256_castsi256_ps(_mm256_unpackhi_epi64(d45, d67));
                let st = _mm256_castps_si256(_mm256_shuffle_ps::<0b10_00_10_00>(s, t));
                let len = _mm256_and_si256(
                    _mm256_castps_si256(_mm256_shuffle_ps::<0b11_01_11_01>(s, t)),
                    len_mask,
                );
                let good = _mm256_and_si256(
                    _mm256_cmpeq_epi32(_mm256_and_si256(st, check), want),
                    _mm256_cmpgt_epi32(len_lim, _mm256_add_epi32(len, len_bias)),
                );
                let m = _mm256_movemask_ps(_mm256_castsi256_ps(good)) as u32;
                // Everything the card wrote before DD is visible after this.
                regdsl_rt::fence::acquire();
                // Buffer indices in the lanes' order, then (index, length) pairs:
                // lo = 0, 2 | 1, 3 and hi = 4, 6 | 5, 7.
                let idx = _mm256_permutevar8x32_epi32(
                    _mm256_loadu_si256(q.bufs.add(i as usize) as *const __m256i),
                    order,
                );
                let lo = _mm256_unpacklo_epi32(idx, len);
                let hi = _mm256_unpackhi_epi32(idx, len);
                // Packets (pool word, then index and length), two per 32-byte store:
                // 0 | 1, 2 | 3, 4 | 5, 6 | 7.
                let o = out as *mut __m256i;
                _mm256_storeu_si256(o, _mm256_unpacklo_epi64(pool, lo));
                _mm256_storeu_si256(o.add(1), _mm256_unpackhi_epi64(pool, lo));
                _mm256_storeu_si256(o.add(2), _mm256_unpacklo_epi64(pool, hi));
                _mm256_storeu_si256(o.add(3), _mm256_unpackhi_epi64(pool, hi));
                if m == 0xFF {
                    sum = _mm256_add_epi32(sum, len);
                    i += 8;
                    out = out.add(8);
                    continue;
                }
                // The good prefix only (descriptor order: lane k holds descriptor
                // `INVERSE[k]`); the slots after it are left unused.
                let inverse = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
                let m = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_permutevar8x32_epi32(
                    good, inverse,
                ))) as u32;
                let c = (!m).trailing_zeros();
                let keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(c as i32), order);
                sum = _mm256_add_epi32(sum, _mm256_and_si256(len, keep));
                return Run {
                    next: i + c,
                    out: out.add(c as usize),
                    bytes: total(sum),
                };
            }
            let mut bytes = total(sum);
            if end - i >= 4 {
                let r = sse2::rx_run(*q, i, end, out);
                (i, out) = (r.next, r.out);
                bytes += r.bytes;
            }
            Run {
                next: i,
                out,
                bytes,
            }
        }
    }

    /// Eight descriptors from `p`, two per 32-byte load, loads that the compiler may not
    /// drop, merge or move (as volatile reads: the card writes this memory). `read_volatile`
    /// of an `__m256i` needs 32-byte alignment, but a group starts at any descriptor
    /// (16-aligned), hence four `vmovdqu` in an `asm!` block. Each 8-byte-aligned half of a
    /// descriptor is read in one access (a 16-aligned descriptor never crosses a cache line),
    /// as in the SSE2 path's 16-byte loads.
    ///
    /// # Safety
    /// The CPU has AVX; `p` is 16-aligned and 128 bytes from it are readable.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn load8(p: *const u8) -> [__m256i; 4] {
        let (a, b, c, d): (__m256i, __m256i, __m256i, __m256i);
        // SAFETY: per the contract; reads 128 bytes at `p`, writes no memory and no flag.
        unsafe {
            core::arch::asm!(
                "vmovdqu {a}, ymmword ptr [{p}]",
                "vmovdqu {b}, ymmword ptr [{p} + 32]",
                "vmovdqu {c}, ymmword ptr [{p} + 64]",
                "vmovdqu {d}, ymmword ptr [{p} + 96]",
                p = in(reg) p,
                a = out(ymm_reg) a,
                b = out(ymm_reg) b,
                c = out(ymm_reg) c,
                d = out(ymm_reg) d,
                options(nostack, preserves_flags, readonly),
            );
        }
        [a, b, c, d]
    }

    /// The sum of the eight lanes (it fits 32 bits: at most a ring, 32768, of 16-bit
    /// lengths).
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn total(sum: __m256i) -> u64 {
        // SAFETY: the CPU has AVX2 (contract); register operations only. (Rust 1.86 and
        // later call these intrinsics safely here; the workspace's 1.80 needs the block.)
        #[allow(unused_unsafe)]
        unsafe {
            let s = _mm_add_epi32(
                _mm256_castsi256_si128(sum),
                _mm256_extracti128_si256::<1>(sum),
            );
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b11_10_11_10>(s));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_01_01_01>(s));
            u64::from(_mm_cvtsi128_si32(s) as u32)
        }
    }
}

/// Most slots refilled per run: 64, as the transmit side's report-status group.
const REFILL_MAX: u32 = 64;

/// Empty slots that trigger a refill for a ring of `size` descriptors: ring/8, 1..=64.
fn refill_threshold(size: u32) -> u32 {
    (size / 8).clamp(1, REFILL_MAX)
}

impl<R: QueueRegs, F: RxFormat> Drop for RxQueue<R, F> {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeRegs;
    use dma::testing::HeapDma;
    use dma::DmaMemory;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Bit 20 means a bad frame in this test format.
    struct Fmt;
    impl RxFormat for Fmt {
        const ERR_FRAME: u32 = 1 << 20;
    }

    const RING: usize = 16;
    const BUF: usize = 2048;
    const POOL: usize = 40;
    const DD_EOP: u32 = rx_wb::STAT_DD | rx_wb::STAT_EOP;

    /// Plays the card: writes descriptors back in ring order.
    struct Card {
        base: *mut u8,
        next: usize,
    }

    impl Card {
        fn write_back(&mut self, status: u32, len: u16) {
            let w = u64::from(status) | (u64::from(len) << rx_wb::LENGTH_SHIFT);
            // SAFETY: `next < RING`, inside the ring, which outlives the test's card.
            unsafe { desc::write64(desc::at(self.base, self.next), rx_wb::STATUS_ERROR, w) };
            self.next = (self.next + 1) % RING;
        }
    }

    fn queue() -> (RxQueue<FakeRegs, Fmt>, Card, Rc<Cell<u32>>) {
        let ring = HeapDma::new().alloc(RING * desc::DESC_SIZE, 128).unwrap();
        let card = Card {
            base: ring.virt(),
            next: 0,
        };
        let pool = Mempool::new(&HeapDma::new(), POOL, BUF).unwrap();
        let regs = FakeRegs::new(0, Rc::default());
        let tails = regs.tails.clone();
        let q = RxQueue::new(regs, ring, RING, pool, Arc::default());
        assert_eq!(q.filled(), RING - 1);
        (q, card, tails)
    }

    fn lens(out: &[Packet]) -> Vec<usize> {
        out.iter().map(Packet::len).collect()
    }

    /// Every buffer is in the pool, in the ring or delivered.
    fn assert_conserved(q: &RxQueue<FakeRegs, Fmt>, delivered: usize) {
        let spare = q.spare.len();
        assert_eq!(
            q.pool().free_count() + q.filled() + spare + delivered,
            POOL,
            "buffers lost (free {}, filled {}, spare {spare}, delivered {delivered})",
            q.pool().free_count(),
            q.filled()
        );
    }

    #[test]
    fn bad_write_backs_and_packets_over_several_descriptors_are_dropped_and_counted() {
        let (mut q, mut card, tails) = queue();
        card.write_back(DD_EOP, 60);
        // One packet over three descriptors: the driver takes one buffer per packet.
        card.write_back(rx_wb::STAT_DD, 100);
        card.write_back(rx_wb::STAT_DD, 100);
        card.write_back(DD_EOP, 100);
        card.write_back(DD_EOP, 61);
        card.write_back(DD_EOP | Fmt::ERR_FRAME, 62);
        card.write_back(DD_EOP, 0);
        card.write_back(DD_EOP, BUF as u16 + 1);
        card.write_back(DD_EOP, 63);
        let mut out = Vec::new();
        assert_eq!(q.rx_batch(&mut out, 32), 3);
        assert_eq!(lens(&out), [60, 61, 63]);
        let c = q.counters().snapshot();
        assert_eq!((c.rx_packets, c.rx_bytes, c.rx_desc_errors), (3, 184, 6));
        // Nine slots emptied: refilled (dropped buffers first) with one tail write.
        assert_eq!((q.filled(), tails.get()), (RING - 1, 1));
        assert_conserved(&q, out.len());
        drop(out);
        assert_conserved(&q, 0);
    }

    #[test]
    fn a_packet_spread_over_two_calls_is_dropped_up_to_its_end() {
        let (mut q, mut card, _) = queue();
        card.write_back(rx_wb::STAT_DD, 200);
        card.write_back(rx_wb::STAT_DD, 200);
        let mut out = Vec::new();
        assert_eq!(q.rx_batch(&mut out, 32), 0);
        assert_eq!(q.counters().snapshot().rx_desc_errors, 2);
        // Its last descriptor arrives later, then a good frame.
        card.write_back(DD_EOP, 50);
        card.write_back(DD_EOP, 64);
        assert_eq!(q.rx_batch(&mut out, 32), 1);
        assert_eq!(lens(&out), [64]);
        let c = q.counters().snapshot();
        assert_eq!((c.rx_packets, c.rx_desc_errors), (1, 3));
        assert_conserved(&q, 1);
    }

    #[test]
    fn a_batch_limit_inside_a_dropped_packet_keeps_dropping_on_the_next_call() {
        let (mut q, mut card, _) = queue();
        card.write_back(rx_wb::STAT_DD, 300);
        card.write_back(rx_wb::STAT_DD, 300);
        card.write_back(DD_EOP, 300);
        card.write_back(DD_EOP, 70);
        let mut out = Vec::new();
        for _ in 0..3 {
            assert_eq!(q.rx_batch(&mut out, 1), 0);
        }
        assert_eq!(q.rx_batch(&mut out, 1), 1);
        assert_eq!(lens(&out), [70]);
        assert_eq!(q.counters().snapshot().rx_desc_errors, 3);
        // Nothing more written back: nothing received, nothing counted.
        assert_eq!(q.rx_batch(&mut out, 32), 0);
        let c = q.counters().snapshot();
        assert_eq!((c.rx_packets, c.rx_desc_errors), (1, 3));
        assert_conserved(&q, 1);
    }

    #[test]
    fn one_packet_calls_deliver_into_a_full_or_a_roomy_vector() {
        let (mut q, mut card, _) = queue();
        // A vector with no spare room: the one-packet path leaves it to the general one,
        // which grows it; then one with room: written in place.
        let mut out = Vec::new();
        for (k, len) in [60u16, 61, 62, 63].into_iter().enumerate() {
            card.write_back(DD_EOP, len);
            let cap = out.capacity();
            assert_eq!(q.rx_batch(&mut out, 1), 1, "call {k} (capacity {cap})");
        }
        assert_eq!(lens(&out), [60, 61, 62, 63]);
        // Not written back yet: nothing, whatever the room.
        assert_eq!(q.rx_batch(&mut out, 1), 0);
        let c = q.counters().snapshot();
        assert_eq!((c.rx_packets, c.rx_bytes, c.rx_desc_errors), (4, 246, 0));
        assert_conserved(&q, 4);
    }

    /// What a card may write back into a receive descriptor: DD always, the rest random.
    #[derive(Clone, Debug)]
    struct WriteBack {
        eop: bool,
        error: bool,
        /// Other status/error bits (2..=19 and 21..=31 minus the frame-error bit): ignored.
        noise: u32,
        len: u16,
    }

    fn write_back() -> impl proptest::strategy::Strategy<Value = WriteBack> {
        use proptest::prelude::*;
        (
            proptest::bool::weighted(0.75),
            proptest::bool::weighted(0.1),
            any::<u32>(),
            prop_oneof![3 => 1u16..=BUF as u16, 1 => any::<u16>()],
        )
            .prop_map(|(eop, error, noise, len)| WriteBack {
                eop,
                error,
                noise: noise & !(DD_EOP | Fmt::ERR_FRAME),
                len,
            })
    }

    /// One step of a run: write-backs by the card, then one receive call of at most `max`.
    type Steps = Vec<(Vec<WriteBack>, usize)>;

    /// What a run delivered: (buffer index, length) of every packet in order, the counters,
    /// and the ring state at the end.
    type Outcome = (Vec<(u32, usize)>, crate::SwQueueStats, (u32, u32));

    /// Plays `steps` on a fresh queue using `path`, checking every delivery against the
    /// reference (whole, good, single-descriptor packets in order; every other descriptor
    /// counted as an error; no buffer lost).
    fn run_reference(
        path: RxPath,
        steps: &Steps,
    ) -> Result<Outcome, proptest::test_runner::TestCaseError> {
        let (mut q, mut card, _) = queue();
        proptest::prop_assert!(q.set_rx_path(path));
        let mut want = Vec::new();
        let mut discarding = false;
        let (mut written, mut got_total) = (0u64, Vec::new());
        for (wbs, max) in steps {
            for wb in wbs {
                // The card writes back only descriptors it was given.
                let given = (q.tail() as usize + RING - card.next) % RING;
                if given == 0 {
                    break;
                }
                let mut status = rx_wb::STAT_DD | wb.noise;
                if wb.eop {
                    status |= rx_wb::STAT_EOP;
                }
                if wb.error {
                    status |= Fmt::ERR_FRAME;
                }
                card.write_back(status, wb.len);
                written += 1;
                // The reference: deliver a whole, good, single-descriptor packet.
                let good = wb.eop && !wb.error && (1..=BUF).contains(&usize::from(wb.len));
                if !discarding && good {
                    want.push(usize::from(wb.len));
                }
                // A packet goes on past a descriptor without EOP, whatever else it says.
                discarding = !wb.eop;
            }
            let mut out = Vec::new();
            q.rx_batch(&mut out, *max);
            for p in &out {
                proptest::prop_assert!((1..=BUF).contains(&p.len()));
            }
            got_total.extend(out.iter().map(|p| (p.index(), p.len())));
            // Buffers: free, in the ring, kept for refill, or held by the application.
            assert_conserved(&q, out.len());
            drop(out);
        }
        // Take whatever is still written back.
        let mut out = Vec::new();
        q.rx_batch(&mut out, RING);
        got_total.extend(out.iter().map(|p| (p.index(), p.len())));
        drop(out);
        let lens: Vec<usize> = got_total.iter().map(|&(_, l)| l).collect();
        proptest::prop_assert_eq!(&lens, &want);
        let c = q.counters().snapshot();
        proptest::prop_assert_eq!(c.rx_packets, want.len() as u64);
        proptest::prop_assert_eq!(c.rx_packets + c.rx_desc_errors, written);
        proptest::prop_assert_eq!(c.rx_bytes, want.iter().sum::<usize>() as u64);
        assert_conserved(&q, 0);
        Ok((got_total, c, (q.next, q.tail)))
    }

    /// The paths this CPU runs.
    fn paths() -> Vec<RxPath> {
        let all = [RxPath::Scalar, RxPath::Sse2, RxPath::Avx2];
        for p in all.iter().filter(|p| !p.supported()) {
            println!("{p:?} receive path skipped: this CPU does not run it");
        }
        all.into_iter().filter(|p| p.supported()).collect()
    }

    /// Mostly good frames, so that the vector path takes whole groups, with now and then a
    /// bad one, a packet over several descriptors or a bad length in the middle of a group.
    fn mostly_good() -> impl proptest::strategy::Strategy<Value = WriteBack> {
        use proptest::prelude::*;
        (
            proptest::bool::weighted(0.95),
            proptest::bool::weighted(0.03),
            any::<u32>(),
            prop_oneof![
                30 => 1u16..=BUF as u16,
                1 => Just(0u16),
                1 => Just(BUF as u16),
                1 => Just(BUF as u16 + 1),
            ],
        )
            .prop_map(|(eop, error, noise, len)| WriteBack {
                eop,
                error,
                noise: noise & !(DD_EOP | Fmt::ERR_FRAME),
                len,
            })
    }

    #[test]
    fn the_vector_path_is_the_default_where_the_cpu_has_it() {
        let (q, _, _) = queue();
        assert_eq!(q.rx_path(), RxPath::best());
        if cfg!(target_arch = "x86_64") {
            assert!(RxPath::Sse2.supported());
            let want = if RxPath::Avx2.supported() {
                RxPath::Avx2
            } else {
                println!("no AVX2 on this CPU: SSE2 is the best path");
                RxPath::Sse2
            };
            assert_eq!(RxPath::best(), want);
        } else {
            assert_eq!(RxPath::best(), RxPath::Scalar);
            assert!(!RxPath::Avx2.supported());
        }
        assert!(RxPath::Scalar.supported());
    }

    #[test]
    fn a_path_the_cpu_lacks_cannot_be_forced() {
        let (mut q, _, _) = queue();
        for p in [RxPath::Scalar, RxPath::Sse2, RxPath::Avx2] {
            let before = q.rx_path();
            assert_eq!(q.set_rx_path(p), p.supported());
            assert_eq!(q.rx_path(), if p.supported() { p } else { before });
        }
    }

    proptest::proptest! {
        /// Whatever a card writes back, in whatever batches it is taken: the driver delivers
        /// exactly the well-formed single-descriptor packets, in order (the rest of a packet
        /// spread over several descriptors is dropped up to its end), counts every other
        /// descriptor as an error, and loses no buffer; on every receive path.
        #[test]
        fn any_write_back_sequence_is_delivered_or_counted(
            steps in proptest::collection::vec(
                (proptest::collection::vec(write_back(), 0..12), 1usize..20),
                1..40,
            ),
        ) {
            for path in paths() {
                run_reference(path, &steps)?;
            }
        }

        /// The scalar and the vector path give the same results on the same write-backs:
        /// the same packets (buffer and length) in the same order, the same counters, the
        /// same ring state.
        #[test]
        fn scalar_and_vector_paths_give_the_same_results(
            steps in proptest::collection::vec(
                (proptest::collection::vec(mostly_good(), 0..16), 1usize..24),
                1..40,
            ),
        ) {
            let scalar = run_reference(RxPath::Scalar, &steps)?;
            for path in paths() {
                proptest::prop_assert_eq!(&run_reference(path, &steps)?, &scalar);
            }
        }
    }
}
