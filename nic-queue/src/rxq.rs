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
            format: PhantomData,
        };
        q.fill();
        q
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

    /// The tail: the first slot not handed to the card.
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
        // Locals, not reloaded through `self` after each packet written out.
        let base = self.base;
        let bufs = self.bufs.as_ptr();
        let buf_size = self.buf_size;
        if self.discarding {
            i = drop_rest(&mut self.discard_state(), i, stop);
        }
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

    /// Stops the card using the ring ([`QueueRegs::stop`]) and returns the
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

    proptest::proptest! {
        /// Whatever a card writes back, in whatever batches it is taken: the driver delivers
        /// exactly the well-formed single-descriptor packets, in order (the rest of a packet
        /// spread over several descriptors is dropped up to its end), counts every other
        /// descriptor as an error, and loses no buffer.
        #[test]
        fn any_write_back_sequence_is_delivered_or_counted(
            steps in proptest::collection::vec(
                (proptest::collection::vec(write_back(), 0..12), 1usize..20),
                1..40,
            ),
        ) {
            let (mut q, mut card, _) = queue();
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
                q.rx_batch(&mut out, max);
                for p in &out {
                    proptest::prop_assert!((1..=BUF).contains(&p.len()));
                }
                got_total.extend(lens(&out));
                // Buffers: free, in the ring, kept for refill, or held by the application.
                assert_conserved(&q, out.len());
                drop(out);
            }
            // Take whatever is still written back.
            let mut out = Vec::new();
            q.rx_batch(&mut out, RING);
            got_total.extend(lens(&out));
            drop(out);
            proptest::prop_assert_eq!(&got_total, &want);
            let c = q.counters().snapshot();
            proptest::prop_assert_eq!(c.rx_packets, want.len() as u64);
            proptest::prop_assert_eq!(c.rx_packets + c.rx_desc_errors, written);
            proptest::prop_assert_eq!(c.rx_bytes, want.iter().sum::<usize>() as u64);
            assert_conserved(&q, 0);
        }
    }
}
