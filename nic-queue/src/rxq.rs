//! A receive queue: its descriptor ring, the buffers lent to the card, and the batched receive
//! path (advanced one-buffer descriptors, DD write-back: 82599 datasheet 7.1, 82576 7.1).

use crate::counters::QueueCounters;
use crate::desc::{self, rx_read, rx_wb, RxFormat};
use crate::QueueRegs;
use core::marker::PhantomData;
use pci_dma::mempool::{Mempool, Packet};
use pci_dma::DmaRegion;
use std::sync::Arc;

/// One receive queue. `Send`: move it to the thread that polls it.
///
/// Ring state: descriptors `[next, tail)` belong to the card (filled with a buffer);
/// `[tail, next - 1)` are empty, waiting for buffers; one slot always stays empty so that the
/// tail register never equals the head (82599 datasheet 7.1.9: RDT == RDH means "ring empty").
///
/// Emptied slots are refilled in runs of at least `refill_at` (ring/8, at most 32) with one
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
    format: PhantomData<fn() -> F>,
}

// SAFETY: `base` points into `ring`, owned by this queue; nothing else touches the ring.
unsafe impl<R: QueueRegs + Send, F: RxFormat> Send for RxQueue<R, F> {}

impl<R: QueueRegs, F: RxFormat> RxQueue<R, F> {
    /// A queue over `ring` (`size` descriptors, a power of two) with buffers from `pool`.
    /// Fills every slot but one; the caller programs the queue's registers (ring address
    /// [`RxQueue::ring_phys`]) and, once the queue is enabled, writes [`RxQueue::tail`].
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
            format: PhantomData,
        };
        q.fill();
        q
    }

    /// The queue number.
    pub fn id(&self) -> u32 {
        self.regs.id()
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

    /// Device address of the ring, for RDBAL/RDBAH.
    pub fn ring_phys(&self) -> u64 {
        self.ring.as_ref().map_or(0, |r| r.phys())
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
    pub fn refill_all(&mut self) -> usize {
        let n = self.fill();
        if n != 0 {
            self.regs_tail();
        }
        n
    }

    /// The value for RDT after filling.
    pub fn tail(&self) -> u32 {
        self.tail
    }

    /// Receives up to `max` packets, appending them to `out`; returns how many.
    ///
    /// Write-back values are checked, not trusted: a descriptor with a frame error, a length of
    /// 0 or beyond the buffer, or a packet spread over several descriptors is dropped and
    /// counted (`rx_desc_errors`), its buffer reused. Afterwards, once enough slots are empty
    /// (ring/8, at most 32), they are refilled from the pool with one tail write; when the pool
    /// is empty they stay empty (the card then drops and counts what it cannot place) and are
    /// refilled on a later call.
    #[inline(always)]
    pub fn rx_batch(&mut self, out: &mut Vec<Packet>, max: usize) -> usize {
        let mask = self.mask;
        let limit = max.min(self.filled());
        out.reserve(limit);
        let base_len = out.len();
        // Written straight into the vector's spare room (reserved above), then `set_len`.
        let dst = out.spare_capacity_mut().as_mut_ptr();
        let mut i = self.next;
        // `limit` < ring size, so `stop == i` only when there is nothing to look at.
        let stop = (i + limit as u32) & mask;
        let mut w_out = dst;
        let mut bytes = 0u64;
        let mut bad = 0u64;
        let buf_size = self.buf_size;
        let mut discarding = self.discarding;
        // Locals, not reloaded through `self` after each packet written out.
        let base = self.base;
        let bufs = self.bufs.as_ptr();
        let source = self.pool.packet_source();
        while i != stop {
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
            // SAFETY: `i <= mask < bufs.len()`.
            let buf = unsafe { *bufs.add(i as usize) };
            if status & (rx_wb::STAT_EOP | F::ERR_FRAME) == rx_wb::STAT_EOP
                && !discarding
                && len.wrapping_sub(1) < buf_size
            {
                // SAFETY: the card is done with `buf` (DD, then the acquire fence), this queue
                // owned it and ownership moves to the packet; 0 < len <= buf_size. At most
                // `limit` slots are written, all within the room reserved.
                unsafe {
                    w_out.write(core::mem::MaybeUninit::new(source.packet_exact(buf, len)));
                    w_out = w_out.add(1);
                }
                bytes += u64::from(len);
            } else {
                discarding = drop_desc(&mut self.spare, buf, status);
                bad += 1;
            }
            i = (i + 1) & mask;
        }
        // SAFETY: `w_out` only moved forward from `dst`, one slot per packet written.
        let got = unsafe { w_out.offset_from(dst) } as usize;
        // SAFETY: the first `got` spare slots were initialised above.
        unsafe { out.set_len(base_len + got) };
        let seen = i.wrapping_sub(self.next) & mask;
        self.discarding = discarding;
        self.next = i;
        if seen != 0 {
            self.counters.add_rx(got as u64, bytes, bad);
        }
        if self.empty() >= self.refill_at {
            self.refill_all();
        }
        got
    }

    #[inline(always)]
    fn regs_tail(&self) {
        // Publishes: the descriptors written above are visible before the card reads the tail.
        self.regs.write_tail(self.tail);
    }

    /// Fills empty slots from the spare stack, then the pool; returns how many were filled.
    #[inline]
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
        for j in from..to {
            // SAFETY: `j < to <= bufs.len()`, inside the ring and `bufs`; the slot is empty
            // (not the card's) and now holds a buffer of this pool.
            unsafe {
                let phys = table.get(*self.bufs.get_unchecked(j));
                let d = desc::at(self.base, j);
                desc::write64(d, rx_read::PKT_ADDR, phys);
                // Header address 0 also clears DD (bit 0 of the same word).
                desc::write64(d, rx_read::HDR_ADDR, 0);
            }
        }
    }

    /// Stops the card using the ring (RXDCTL.ENABLE = 0, bounded wait) and returns the
    /// buffers. When the queue does not stop, the buffers and ring are leaked rather than
    /// reused while the card might still write them.
    fn shutdown(&mut self) {
        if !self.regs.stop() {
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

/// A descriptor the application does not get: its buffer is kept in `spare` for the next
/// refill. Returns whether the packet goes on in later descriptors (dropped up to its EOP).
/// Out of line, so that the receive loop keeps its registers for the common case.
#[cold]
#[inline(never)]
fn drop_desc(spare: &mut Vec<u32>, buf: u32, status: u32) -> bool {
    spare.push(buf);
    status & rx_wb::STAT_EOP == 0
}

/// Most slots refilled per run; 32 as the transmit side's reclaim chunk.
const REFILL_MAX: u32 = 32;

/// Empty slots that trigger a refill for a ring of `size` descriptors: ring/8, 1..=32.
fn refill_threshold(size: u32) -> u32 {
    (size / 8).clamp(1, REFILL_MAX)
}

impl<R: QueueRegs, F: RxFormat> Drop for RxQueue<R, F> {
    fn drop(&mut self) {
        self.shutdown();
    }
}
