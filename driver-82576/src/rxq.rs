//! A receive queue: its descriptor ring, the buffers lent to the device, and the batched receive
//! path (advanced one-buffer descriptors, completion by the DD write-back).

use crate::desc::{self, rx_read, rx_wb, RxStatus};
use crate::regs::Regs;
use crate::stats::QueueCounters;
use pci_dma::mempool::{Mempool, Packet};
use pci_dma::DmaRegion;
use regdsl_rt::Bus;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

/// One receive queue. `Send`: move it to the thread that polls it.
///
/// Ring state: descriptors `[next, tail)` are the device's (each holds a buffer); `[tail,
/// next - 1)` are empty; one slot always stays empty so that the tail never equals the head
/// (RDT == RDH means "no descriptor for the device").
pub struct RxQueue<B: Bus> {
    base: *mut u8,
    mask: u32,
    next: u32,
    tail: u32,
    buf_size: u32,
    /// Inside a frame spread over several descriptors: drop until its EOP.
    discarding: bool,
    /// Buffer index of each descriptor in `[next, tail)`.
    bufs: Box<[u32]>,
    /// Buffers of dropped descriptors, reused first on refill.
    spare: Vec<u32>,
    pool: Mempool,
    regs: Regs<B>,
    queue: u32,
    counters: Arc<QueueCounters>,
    /// Keeps the ring memory alive; last, so it is dropped after everything pointing into it.
    ring: Option<DmaRegion>,
}

// SAFETY: `base` points into `ring`, owned by this queue; nothing else touches the ring.
unsafe impl<B: Bus + Send> Send for RxQueue<B> {}

impl<B: Bus> RxQueue<B> {
    /// A queue over `ring` (`size` descriptors, a power of two) with buffers from `pool`; fills
    /// every slot but one. The caller programs the registers and then writes [`RxQueue::tail`].
    pub(crate) fn new(
        regs: Regs<B>,
        queue: u32,
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
            discarding: false,
            bufs: vec![0; size].into_boxed_slice(),
            spare: Vec::with_capacity(size),
            pool,
            regs,
            queue,
            counters,
            ring: Some(ring),
        };
        q.fill();
        q
    }

    /// The queue number.
    pub fn id(&self) -> u32 {
        self.queue
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

    pub(crate) fn ring_phys(&self) -> u64 {
        self.ring.as_ref().map_or(0, |r| r.phys())
    }

    /// Descriptors currently holding a buffer for the device.
    pub fn filled(&self) -> usize {
        (self.tail.wrapping_sub(self.next) & self.mask) as usize
    }

    /// The value for RDT after filling.
    pub(crate) fn tail(&self) -> u32 {
        self.tail
    }

    /// Receives up to `max` packets, appending them to `out`; returns how many.
    ///
    /// Write-backs are checked, not trusted: a frame error, a length of 0 or beyond the buffer,
    /// or a frame spread over several descriptors is dropped and counted (`rx_desc_errors`), its
    /// buffer reused. The emptied slots are then refilled from the pool with one tail write;
    /// when the pool is empty they stay empty and are refilled on a later call.
    #[inline]
    pub fn rx_batch(&mut self, out: &mut Vec<Packet>, max: usize) -> usize {
        let mask = self.mask;
        let limit = max.min(self.filled());
        let mut i = self.next;
        let (mut seen, mut got, mut bytes, mut bad) = (0, 0, 0u64, 0u64);
        out.reserve(limit);
        while seen < limit {
            // SAFETY: `i <= mask`, inside the ring; 16-aligned.
            let d = unsafe { desc::at(self.base, i as usize) };
            // SAFETY: as above; status, errors, length, VLAN in one read.
            let s = RxStatus::decode(unsafe { desc::read64(d, rx_wb::STATUS_ERROR) });
            if !s.done {
                break;
            }
            // Everything the device wrote before DD is visible after this.
            fence(Ordering::Acquire);
            let buf = self.bufs[i as usize];
            let len = u32::from(s.len);
            if !self.discarding && s.eop && !s.frame_error && len != 0 && len <= self.buf_size {
                // SAFETY: the device is done with `buf` (DD, then the acquire fence) and this
                // queue owned it; ownership moves to the packet.
                out.push(unsafe { self.pool.packet(buf, len as usize) });
                bytes += u64::from(len);
                got += 1;
            } else {
                self.discarding = !s.eop;
                self.spare.push(buf);
                bad += 1;
            }
            i = (i + 1) & mask;
            seen += 1;
        }
        self.next = i;
        if self.fill() != 0 {
            // The descriptors written must be visible before the device reads the tail.
            regdsl_rt::fence::publish();
            self.regs.RDT().at(self.queue).write(self.tail);
        }
        if seen != 0 {
            self.counters.add_rx(got as u64, bytes, bad);
        }
        got
    }

    /// Fills empty slots from the spare stack, then the pool; returns how many were filled.
    fn fill(&mut self) -> usize {
        let mask = self.mask as usize;
        let want = (self.next.wrapping_sub(self.tail).wrapping_sub(1) & self.mask) as usize;
        if want == 0 {
            return 0;
        }
        let start = self.tail as usize;
        let mut n = 0;
        while n < want {
            let Some(b) = self.spare.pop() else { break };
            self.bufs[(start + n) & mask] = b;
            n += 1;
        }
        while n < want {
            let from = (start + n) & mask;
            let run = (want - n).min(self.bufs.len() - from);
            let got = self.pool.alloc_raw(&mut self.bufs[from..from + run]);
            n += got;
            if got < run {
                self.counters.add_rx_no_buf((want - n) as u64);
                break;
            }
        }
        for k in 0..n {
            let j = (start + k) & mask;
            let phys = self.pool.phys(self.bufs[j]);
            // SAFETY: `j <= mask`, inside the ring; the slot is empty (not the device's).
            unsafe {
                let d = desc::at(self.base, j);
                desc::write64(d, rx_read::PKT_ADDR, phys);
                // Header address 0 also clears DD (same bytes).
                desc::write64(d, rx_read::HDR_ADDR, 0);
            }
        }
        self.tail = ((start + n) & mask) as u32;
        n
    }

    /// Stops the device using the ring and returns the buffers; leaks ring and buffers when the
    /// queue does not stop (the device might still write them).
    fn shutdown(&mut self) {
        if !crate::init::disable_rx_queue(&self.regs, self.queue) {
            std::mem::forget(self.ring.take());
            return;
        }
        let mut held = Vec::with_capacity(self.filled() + self.spare.len());
        let mut i = self.next;
        while i != self.tail {
            held.push(self.bufs[i as usize]);
            i = (i + 1) & self.mask;
        }
        self.next = self.tail;
        held.append(&mut self.spare);
        // SAFETY: buffers of this pool, no longer used by the device (queue disabled), each
        // returned once.
        unsafe { self.pool.free_raw(&held) };
    }
}

impl<B: Bus> Drop for RxQueue<B> {
    fn drop(&mut self) {
        self.shutdown();
    }
}
