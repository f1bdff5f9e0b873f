//! A transmit queue: its descriptor ring, the packets lent to the card, and the batched send
//! path (advanced data descriptors, completion by DD write-back: 82599 datasheet 7.2, 82576 7.2).

use crate::counters::QueueCounters;
use crate::desc::{self, tx_read, tx_wb};
use crate::{QueueError, QueueRegs};
use core::mem::MaybeUninit;
use dma::mempool::{free_raw_slice, RawPacket};
use dma::DmaRegion;
use dma::Packet;
use std::sync::Arc;
use std::time::Duration;

/// One transmit queue. `Send`: move it to the thread that sends on it.
///
/// Ring state: descriptors `[clean, tail)` are the card's (sent or being sent); the rest are
/// free, less one so that the tail never catches up with the oldest unreclaimed descriptor.
/// Completion is learnt from the DD bit the card writes back (RS is set on every descriptor),
/// never by reading TDH. The card completes descriptors in order, so on the send path one DD
/// read tells that a whole chunk of descriptors is done.
///
/// `R` reaches the queue's registers (tail write, stop).
pub struct TxQueue<R: QueueRegs> {
    base: *mut u8,
    mask: u32,
    tail: u32,
    clean: u32,
    /// Descriptors reclaimed at once on the send path (32, or half a small ring).
    chunk: u32,
    /// The packet of each descriptor; initialised exactly for `[clean, tail)`.
    slots: Box<[MaybeUninit<RawPacket>]>,
    regs: R,
    counters: Arc<QueueCounters>,
    ring: Option<DmaRegion>,
}

/// Descriptors reclaimed per DD check on the send path.
const RECLAIM_CHUNK: u32 = 32;

// SAFETY: `base` points into `ring`, owned by this queue; nothing else touches the ring.
unsafe impl<R: QueueRegs + Send> Send for TxQueue<R> {}

impl<R: QueueRegs> TxQueue<R> {
    /// A queue over `ring` (`size` descriptors, a power of two), empty (memory only: no
    /// register is touched). Then [`TxQueue::set_ring`] programs the ring and [`TxQueue::start`]
    /// turns the queue on.
    pub fn new(regs: R, ring: DmaRegion, size: usize, counters: Arc<QueueCounters>) -> Self {
        debug_assert!(size.is_power_of_two() && ring.len() >= size * desc::DESC_SIZE);
        TxQueue {
            base: ring.virt(),
            mask: size as u32 - 1,
            tail: 0,
            clean: 0,
            chunk: (size as u32 / 2).clamp(1, RECLAIM_CHUNK),
            slots: (0..size).map(|_| MaybeUninit::uninit()).collect(),
            regs,
            counters,
            ring: Some(ring),
        }
    }

    /// The queue number.
    pub fn id(&self) -> u32 {
        self.regs.id()
    }

    /// Programs the ring into the queue's registers ([`QueueRegs::set_ring`]: device address,
    /// length, head and tail 0), the queue still off.
    pub fn set_ring(&self) -> Result<(), QueueError> {
        self.regs
            .set_ring(self.ring_phys(), self.ring_size() * desc::DESC_SIZE)
    }

    /// Turns the queue on: the enable bit and a bounded wait for it to read back set (82599
    /// datasheet 4.6.8.1).
    pub fn start(&self, timeout: Duration) -> Result<(), QueueError> {
        self.regs.enable();
        if self.regs.wait_enabled(timeout) {
            Ok(())
        } else {
            Err(QueueError::EnableTimeout {
                dir: "TX",
                queue: self.id(),
                timeout,
            })
        }
    }

    /// Descriptors in the ring.
    pub fn ring_size(&self) -> usize {
        self.mask as usize + 1
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

    /// Descriptors handed to the card and not yet reclaimed.
    pub fn in_flight(&self) -> usize {
        (self.tail.wrapping_sub(self.clean) & self.mask) as usize
    }

    /// Sends as many packets from the front of `pkts` as the ring has room for, with one tail
    /// write; returns how many were taken (the rest stay in `pkts`). Completed descriptors are
    /// reclaimed first and their buffers go back to their pools.
    ///
    /// A packet of length 0 or over 65535 bytes cannot be sent (DTALEN is 16 bits and the card
    /// needs at least one byte): it is taken, dropped and counted in `tx_invalid`.
    #[inline(always)]
    pub fn tx_batch(&mut self, pkts: &mut Vec<Packet>) -> usize {
        self.reclaim_chunks();
        let mask = self.mask;
        let mut room = (self.clean.wrapping_sub(self.tail).wrapping_sub(1) & mask) as usize;
        if room < pkts.len() {
            self.reclaim();
            room = (self.clean.wrapping_sub(self.tail).wrapping_sub(1) & mask) as usize;
        }
        let n = room.min(pkts.len());
        if n == 0 {
            return 0;
        }
        let mut t = self.tail;
        let mut bytes = 0u64;
        let mut invalid = 0u64;
        let src = pkts.as_mut_ptr();
        // Locals, not reloaded through `self` after each descriptor written.
        let base = self.base;
        let slots = self.slots.as_mut_ptr();
        for k in 0..n {
            // SAFETY: `k < n <= pkts.len()`; each packet is moved out exactly once and the
            // vector forgets them below.
            let p = unsafe { src.add(k).read() };
            let len = p.len() as u32;
            // 1 ..= 0xFFFF bytes in one compare.
            if len.wrapping_sub(1) >= tx_read::DTALEN_MASK {
                invalid += 1;
                continue;
            }
            let raw = p.into_raw();
            // SAFETY: `t <= mask`, inside the ring and the slot array; the slot is free (not
            // the card's, its old packet already reclaimed).
            unsafe {
                let d = desc::at(base, t as usize);
                desc::write64(d, tx_read::BUFFER_ADDR, raw.phys());
                desc::write32(d, tx_read::CMD_TYPE_LEN, tx_read::CMD_ONE_BUFFER | len);
                desc::write32(d, tx_read::OLINFO_STATUS, len << tx_read::PAYLEN_SHIFT);
                (*slots.add(t as usize)).write(raw);
            }
            bytes += u64::from(len);
            t = (t + 1) & mask;
        }
        let left = pkts.len() - n;
        // SAFETY: the first `n` packets were moved out above; the rest move to the front
        // (usually none: no `memmove` call for zero bytes).
        unsafe {
            if left != 0 {
                core::ptr::copy(src.add(n), src, left);
            }
            pkts.set_len(left);
        }
        if t != self.tail {
            self.tail = t;
            // Publishes: the descriptors are visible before the card reads the tail.
            self.regs.write_tail(t);
        }
        self.counters.add_tx(n as u64 - invalid, bytes, invalid);
        n
    }

    /// Whether the card has written back descriptor `i`.
    #[inline(always)]
    fn done(&self, i: u32) -> bool {
        // SAFETY: `i <= mask`, inside the ring.
        let st = unsafe { desc::read32(desc::at(self.base, i as usize), tx_wb::STATUS) };
        st & tx_wb::STAT_DD != 0
    }

    /// The send path's reclaim: whole chunks, one DD read each (completion is in order).
    #[inline(always)]
    fn reclaim_chunks(&mut self) {
        let chunk = self.chunk;
        while self.in_flight() as u32 >= chunk && self.done((self.clean + chunk - 1) & self.mask) {
            self.free(chunk);
        }
    }

    /// Returns the buffers of the `n` oldest descriptors, which the card has finished.
    #[inline(always)]
    fn free(&mut self, n: u32) {
        let start = self.clean as usize;
        let end = start + n as usize;
        let size = self.slots.len();
        // At most two runs around the wrap.
        let (first, second) = if end <= size {
            (&self.slots[start..end], &self.slots[..0])
        } else {
            (&self.slots[start..], &self.slots[..end - size])
        };
        // SAFETY: slots in `[clean, clean + n)` hold packets the card is done with (DD);
        // `clean` moves past them below, so none is read again.
        unsafe {
            free_raw_slice(first);
            free_raw_slice(second);
        }
        self.clean = (end & self.mask as usize) as u32;
    }

    /// Returns the buffers of every descriptor the card reports done (DD), oldest first;
    /// returns how many.
    pub fn reclaim(&mut self) -> usize {
        let mut n = 0;
        let mut c = self.clean;
        while c != self.tail && self.done(c) {
            c = (c + 1) & self.mask;
            n += 1;
        }
        if n != 0 {
            self.free(n);
        }
        n as usize
    }

    /// Stops the queue ([`QueueRegs::stop`]) and returns the unreclaimed buffers;
    /// leaks them when the queue does not stop.
    fn shutdown(&mut self) {
        // The queue is disabled (the card no longer reads the buffers) or they are leaked.
        if !self.regs.stop() {
            // Raw packets are not returned when dropped: the buffers stay lent (leaked).
            std::mem::forget(self.ring.take());
            return;
        }
        let n = self.in_flight() as u32;
        self.free(n);
    }
}

impl<R: QueueRegs> Drop for TxQueue<R> {
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
    use dma::Mempool;
    use std::rc::Rc;

    const RING: usize = 16;
    const BUF: usize = 2048;
    const POOL: usize = 48;

    /// One step of a run: the application sends packets of these lengths (0 cannot be sent),
    /// or the card completes up to this many descriptors.
    #[derive(Clone, Debug)]
    enum Step {
        Send(Vec<usize>),
        Complete(usize),
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            proptest::collection::vec(prop_oneof![4 => 1..=BUF, 1 => Just(0usize)], 0..24)
                .prop_map(Step::Send),
            (0..RING + 4).prop_map(Step::Complete),
        ]
    }

    /// Plays the card: completes (writes DD back), in order, up to `k` of the descriptors it
    /// was given (`done..tail`).
    fn complete(base: *mut u8, done: &mut usize, tail: usize, k: usize) {
        for _ in 0..k {
            if *done == tail {
                break;
            }
            // SAFETY: `done < RING`, inside the ring, which the test keeps alive; nothing else
            // writes it meanwhile.
            unsafe { desc::write32(desc::at(base, *done), tx_wb::STATUS, tx_wb::STAT_DD) };
            *done = (*done + 1) % RING;
        }
    }

    proptest::proptest! {
        /// Whatever the application sends and whenever the card completes: each packet taken
        /// is on the ring with its buffer's device address and length, or refused and counted
        /// (length 0); what the ring has no room for stays with the caller; the tail register
        /// holds the last descriptor written; and every buffer is back in its pool once the
        /// card is done.
        #[test]
        fn any_send_and_completion_sequence_keeps_every_buffer(
            steps in proptest::collection::vec(step(), 1..60),
        ) {
            let ring = HeapDma::new().alloc(RING * desc::DESC_SIZE, 128).unwrap();
            let base = ring.virt();
            let regs = FakeRegs::new(0, Rc::default());
            let last_tail = regs.last_tail.clone();
            let mut q = TxQueue::new(regs, ring, RING, Arc::default());
            let pool = Mempool::new(&HeapDma::new(), POOL, BUF).unwrap();
            let mut held: Vec<Packet> = Vec::new();
            let (mut done, mut tail) = (0usize, 0usize);
            let (mut taken, mut valid) = (0u64, 0u64);
            for s in steps {
                match s {
                    Step::Send(lens) => {
                        for len in lens {
                            let Some(mut p) = pool.alloc(BUF) else { break };
                            p.set_len(len);
                            held.push(p);
                        }
                        let expect: Vec<(u64, usize)> =
                            held.iter().map(|p| (p.phys(), p.len())).collect();
                        let n = q.tx_batch(&mut held);
                        proptest::prop_assert_eq!(held.len(), expect.len() - n);
                        taken += n as u64;
                        for &(phys, len) in &expect[..n] {
                            if len == 0 {
                                continue;
                            }
                            valid += 1;
                            // SAFETY: `tail < RING`; the test plays the card, nothing else
                            // writes the ring.
                            let (addr, cmd) = unsafe {
                                let d = desc::at(base, tail);
                                (
                                    desc::read64(d, tx_read::BUFFER_ADDR),
                                    desc::read32(d, tx_read::CMD_TYPE_LEN),
                                )
                            };
                            proptest::prop_assert_eq!(addr, phys);
                            proptest::prop_assert_eq!((cmd & 0xFFFF) as usize, len);
                            tail = (tail + 1) % RING;
                        }
                        if valid != 0 {
                            proptest::prop_assert_eq!(last_tail.get() as usize, tail);
                        }
                    }
                    Step::Complete(k) => complete(base, &mut done, tail, k),
                }
                proptest::prop_assert_eq!(q.in_flight(), (tail + RING - q.clean as usize) % RING);
                proptest::prop_assert!(
                    q.in_flight() >= (tail + RING - done) % RING,
                    "a descriptor the card has not completed was reclaimed"
                );
                proptest::prop_assert_eq!(
                    pool.free_count() + q.in_flight() + held.len(),
                    POOL,
                    "a buffer is lost"
                );
            }
            let c = q.counters().snapshot();
            proptest::prop_assert_eq!(c.tx_packets, valid);
            proptest::prop_assert_eq!(c.tx_packets + c.tx_invalid, taken);
            // The card finishes everything: every buffer goes home.
            complete(base, &mut done, tail, RING);
            q.reclaim();
            proptest::prop_assert_eq!(q.in_flight(), 0);
            drop(held);
            proptest::prop_assert_eq!(pool.free_count(), POOL);
        }
    }
}
