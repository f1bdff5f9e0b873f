//! A transmit queue: its descriptor ring, the packets lent to the card, and the batched send
//! path (advanced data descriptors, completion by DD write-back: 82599 datasheet 7.2, 82576 7.2).

use crate::config;
use crate::counters::QueueCounters;
use crate::desc::{self, tx_read, tx_wb};
use crate::{QueueError, QueueRegs};
use core::mem::MaybeUninit;
use dma::mempool::PoolRef;
use dma::DmaRegion;
use dma::Packet;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub mod offload;

/// One transmit queue. `Send`: move it to the thread that sends on it.
///
/// Ring state: descriptors `[clean, tail)` are the card's (sent or being sent, not yet
/// reclaimed); the rest are free, less one so that the tail never catches up with the oldest
/// unreclaimed descriptor. Completion is learnt from the DD bit the card writes back, never by
/// reading TDH.
///
/// Report status (RS, which asks the card for DD) is set on every `rs`-th descriptor (the
/// group ends `k * rs - 1`, [`config::tx_rs_thresh`]) and on the last descriptor of each send
/// call, so that [`TxQueue::reclaim`] can return everything once a queue goes quiet. The card
/// completes in order, so one DD read at a group end tells that the whole group is done.
///
/// Reclaim is lazy and in bulk: the send path reclaims only when fewer than `free_thresh`
/// descriptors are free ([`config::tx_free_thresh`]) or fewer than the call needs, a group at
/// a time, each group's buffers returned with one pool lock when they share a pool. Sent
/// buffers therefore stay with the queue (up to a ring's worth) until then: see
/// [`config::check_pool`] for the pool size this needs.
///
/// `R` reaches the queue's registers (tail write, stop).
pub struct TxQueue<R: QueueRegs> {
    base: *mut u8,
    mask: u32,
    tail: u32,
    clean: u32,
    /// RS group size (a power of two dividing the ring).
    rs: u32,
    /// Free descriptors under which the send path reclaims.
    free_thresh: u32,
    /// The pool and buffer index of each descriptor; initialised exactly for `[clean, tail)`.
    pools: Box<[MaybeUninit<PoolRef>]>,
    idx: Box<[u32]>,
    regs: R,
    counters: Arc<QueueCounters>,
    ring: Option<DmaRegion>,
    /// The card's context slots as [`TxQueue::tx_offload`] last wrote them.
    ctx: offload::CtxCache,
    /// The tail at the last [`TxQueue::drain`] (`u32::MAX`: none): the stop waits again only
    /// when packets were sent since.
    drained_at: u32,
}

/// The stop's wait for a transmit ring to drain ([`TxQueue::drain`]): it ends when the card
/// has fetched every descriptor, when the head has not moved for `idle` (link down, paused),
/// or after `max` in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrainWait {
    pub idle: Duration,
    pub max: Duration,
}

impl DrainWait {
    /// What a queue's stop waits: 10 ms without progress, 100 ms in all. A full ring of
    /// 4096 full-size frames leaves in 5 ms at 10 Gbit/s; a PAUSE frame holds transmit for at
    /// most 3.4 ms.
    pub const STOP: DrainWait = DrainWait {
        idle: Duration::from_millis(10),
        max: Duration::from_millis(100),
    };
}

// SAFETY: `base` points into `ring`, owned by this queue; nothing else touches the ring.
unsafe impl<R: QueueRegs + Send> Send for TxQueue<R> {}

impl<R: QueueRegs> TxQueue<R> {
    /// A queue over `ring` (`size` descriptors, a power of two of at least
    /// [`config::MIN_RING`]), empty (memory only: no register is touched). Then
    /// [`TxQueue::set_ring`] programs the ring and [`TxQueue::start`] turns the queue on.
    pub fn new(regs: R, ring: DmaRegion, size: usize, counters: Arc<QueueCounters>) -> Self {
        debug_assert!(size.is_power_of_two() && ring.len() >= size * desc::DESC_SIZE);
        let rs = config::tx_rs_thresh(size) as u32;
        TxQueue {
            base: ring.virt(),
            mask: size as u32 - 1,
            tail: 0,
            clean: 0,
            rs,
            free_thresh: config::tx_free_thresh(size) as u32,
            pools: (0..size).map(|_| MaybeUninit::uninit()).collect(),
            idx: vec![0; size].into_boxed_slice(),
            regs,
            counters,
            ring: Some(ring),
            ctx: offload::CtxCache::default(),
            drained_at: u32::MAX,
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

    /// Descriptors handed to the card and not yet reclaimed (sent or not).
    pub fn in_flight(&self) -> usize {
        (self.tail.wrapping_sub(self.clean) & self.mask) as usize
    }

    /// Free descriptors.
    #[inline(always)]
    fn free_descs(&self) -> u32 {
        self.clean.wrapping_sub(self.tail).wrapping_sub(1) & self.mask
    }

    /// Sends as many packets from the front of `pkts` as the ring has room for, with one tail
    /// write; returns how many were taken (the rest stay in `pkts`). When fewer descriptors
    /// are free than the free threshold or than `pkts` needs, completed groups are reclaimed
    /// first and their buffers go back to their pools (also on a call with nothing to send).
    ///
    /// A packet of length 0 or over 65535 bytes cannot be sent (DTALEN is 16 bits and the card
    /// needs at least one byte): it is taken, dropped and counted in `tx_invalid`.
    #[inline(always)]
    pub fn tx_batch(&mut self, pkts: &mut Vec<Packet>) -> usize {
        let mask = self.mask;
        let mut free = self.free_descs() as usize;
        let len = pkts.len();
        if free < len.max(self.free_thresh as usize) {
            free = self.reclaim_groups(len) as usize;
        }
        if len == 1 && free != 0 {
            return self.tx_one(pkts);
        }
        let n = free.min(len);
        if n == 0 {
            return 0;
        }
        let t0 = self.tail as usize;
        let src = pkts.as_mut_ptr();
        // Locals, not reloaded through `self` after each descriptor written.
        let base = self.base;
        let pools = self.pools.as_mut_ptr();
        let idxs = self.idx.as_mut_ptr();
        let mut bytes = 0u64;
        // Fast path: descriptors t0.. up to the end of the ring, valid lengths.
        let run = n.min(mask as usize + 1 - t0);
        let mut k = 0;
        while k < run {
            // SAFETY: `k < n <= pkts.len()`; each packet is read (moved out) once here or
            // in `tx_rest`, and the vector forgets them below.
            let p = unsafe { src.add(k).read() };
            if (p.len() as u32).wrapping_sub(1) >= tx_read::DTALEN_MASK {
                // 0 or over 16 bits: `tx_rest` drops and counts it.
                core::mem::forget(p);
                break;
            }
            let (pool, idx, len) = p.into_parts();
            let t = t0 + k;
            // SAFETY: `t < ring size`, inside the ring and the slot arrays; the slot is free
            // (not the card's, its old packet already reclaimed); `idx` is a buffer of `pool`
            // lent to this queue.
            unsafe {
                let d = desc::at(base, t);
                desc::write64(d, tx_read::BUFFER_ADDR, pool.phys(idx));
                desc::write64(
                    d,
                    tx_read::CMD_TYPE_LEN,
                    u64::from(tx_read::CMD_NO_RS | len)
                        | (u64::from(len) << (32 + tx_read::PAYLEN_SHIFT)),
                );
                (*pools.add(t)).write(pool);
                *idxs.add(t) = idx;
            }
            bytes += u64::from(len);
            k += 1;
        }
        let mut t = (t0 + k) as u32 & mask;
        let mut invalid = 0;
        if k < n {
            // The ring wraps, or a packet cannot be sent: the general loop.
            // SAFETY: packets `k..n` of `pkts` are still unread; `t` is the next free slot and
            // `n - k` slots are free from it.
            let r = unsafe { self.tx_rest(src, k, n, t) };
            t = r.0;
            bytes += r.1;
            invalid = r.2;
        }
        let left = len - n;
        // SAFETY: the first `n` packets were moved out above; the rest move to the front
        // (usually none: no `memmove` call for zero bytes).
        unsafe {
            if left != 0 {
                core::ptr::copy(src.add(n), src, left);
            }
            pkts.set_len(left);
        }
        if t != self.tail {
            self.set_rs(t);
            self.tail = t;
            // Publishes: the descriptors are visible before the card reads the tail.
            self.regs.write_tail(t);
        }
        self.counters.add_tx(n as u64 - invalid, bytes, invalid);
        n
    }

    /// [`TxQueue::tx_batch`] for one packet, with a free descriptor: no loop, and RS (the
    /// call's last descriptor) written with the command word.
    #[inline(always)]
    fn tx_one(&mut self, pkts: &mut Vec<Packet>) -> usize {
        // SAFETY: `pkts` holds one packet, moved out here; the vector forgets it below.
        let p = unsafe { pkts.as_ptr().read() };
        // SAFETY: as above: the packet is now owned by `p`.
        unsafe { pkts.set_len(0) };
        let len = p.len() as u32;
        if len.wrapping_sub(1) >= tx_read::DTALEN_MASK {
            drop(p);
            self.counters.add_tx(0, 0, 1);
            return 1;
        }
        let (pool, idx, len) = p.into_parts();
        let t = self.tail as usize;
        // SAFETY: `t <= mask`, a free descriptor and slot (the caller checked one is free);
        // `idx` is a buffer of `pool` lent to this queue.
        unsafe {
            let d = desc::at(self.base, t);
            desc::write64(d, tx_read::BUFFER_ADDR, pool.phys(idx));
            desc::write64(
                d,
                tx_read::CMD_TYPE_LEN,
                u64::from(tx_read::CMD_ONE_BUFFER | len)
                    | (u64::from(len) << (32 + tx_read::PAYLEN_SHIFT)),
            );
            (*self.pools.as_mut_ptr().add(t)).write(pool);
            *self.idx.as_mut_ptr().add(t) = idx;
        }
        let next = (t as u32 + 1) & self.mask;
        self.tail = next;
        // Publishes: the descriptor is visible before the card reads the tail.
        self.regs.write_tail(next);
        self.counters.add_tx(1, u64::from(len), 0);
        1
    }

    /// Sets RS on the descriptors written from `self.tail` up to `t` (exclusive) that need it:
    /// the last one, and every group end among the others.
    #[inline(always)]
    fn set_rs(&mut self, t: u32) {
        let mask = self.mask;
        let last = t.wrapping_sub(1) & mask;
        // SAFETY: `last <= mask`, inside the ring; written by this call, not yet the card's.
        unsafe { or_rs(desc::at(self.base, last as usize)) };
        // A group end before `last` exists when the first and the last descriptor are in
        // different groups (a wrap crosses the ring's end, itself a group end).
        if (self.tail ^ last) & !(self.rs - 1) != 0 {
            self.set_rs_groups(last);
        }
    }

    /// RS on every group end from `self.tail` up to (not including) `last`.
    #[inline(never)]
    fn set_rs_groups(&mut self, last: u32) {
        let mask = self.mask;
        let span = last.wrapping_sub(self.tail) & mask;
        let mut g = self.tail | (self.rs - 1);
        while g.wrapping_sub(self.tail) & mask < span {
            // SAFETY: `g <= mask`, a descriptor written by this call (not yet the card's).
            unsafe { or_rs(desc::at(self.base, g as usize)) };
            g = (g + self.rs) & mask;
        }
    }

    /// The send loop for what the fast path leaves: the part after the ring's end, and
    /// packets that cannot be sent. Returns (next tail, bytes, packets dropped).
    ///
    /// # Safety
    /// Packets `k..n` at `src` are initialised and not yet moved out; `n - k` descriptors are
    /// free from `t`.
    #[inline(never)]
    unsafe fn tx_rest(
        &mut self,
        src: *mut Packet,
        mut k: usize,
        n: usize,
        mut t: u32,
    ) -> (u32, u64, u64) {
        let (mut bytes, mut invalid) = (0, 0);
        while k < n {
            // SAFETY: per the contract, read once.
            let p = unsafe { src.add(k).read() };
            k += 1;
            let len = p.len() as u32;
            if len.wrapping_sub(1) >= tx_read::DTALEN_MASK {
                invalid += 1;
                drop(p);
                continue;
            }
            let (pool, idx, len) = p.into_parts();
            // SAFETY: `t <= mask`; a free slot (per the contract); `idx` lent from `pool`.
            unsafe {
                let d = desc::at(self.base, t as usize);
                desc::write64(d, tx_read::BUFFER_ADDR, pool.phys(idx));
                desc::write32(d, tx_read::CMD_TYPE_LEN, tx_read::CMD_NO_RS | len);
                desc::write32(d, tx_read::OLINFO_STATUS, len << tx_read::PAYLEN_SHIFT);
            }
            self.pools[t as usize].write(pool);
            self.idx[t as usize] = idx;
            bytes += u64::from(len);
            t = (t + 1) & self.mask;
        }
        (t, bytes, invalid)
    }

    /// Whether the card has written back descriptor `i`.
    #[inline(always)]
    fn done(&self, i: u32) -> bool {
        // SAFETY: `i <= mask`, inside the ring.
        let st = unsafe { desc::read32(desc::at(self.base, i as usize), tx_wb::STATUS) };
        st & tx_wb::STAT_DD != 0
    }

    /// Whether group end `end` is a context descriptor (which never reports status) whose
    /// data descriptor, the next one, is done ([`TxQueue::tx_offload`] sets RS there).
    #[cold]
    fn done_after_context(&self, end: u32) -> bool {
        // SAFETY: `end <= mask`, inside the ring; a descriptor this queue wrote.
        let cmd = unsafe { desc::read32(desc::at(self.base, end as usize), tx_read::CMD_TYPE_LEN) };
        let next = (end + 1) & self.mask;
        cmd & (0xF << 20 | tx_read::DCMD_DEXT) == offload::DTYP_CONTEXT | tx_read::DCMD_DEXT
            && (next.wrapping_sub(self.clean) & self.mask) < self.in_flight() as u32
            && self.done(next)
    }

    /// The send path's reclaim: whole groups (up to the next group end, which has RS), one DD
    /// read each, until at least `want` (and the free threshold) descriptors are free or the
    /// next group is not done. Returns the free descriptors. Out of line: it runs once per
    /// group of sends.
    #[inline(never)]
    fn reclaim_groups(&mut self, want: usize) -> u32 {
        let want = want.max(self.free_thresh as usize);
        loop {
            let free = self.free_descs();
            let end = self.clean | (self.rs - 1);
            let span = end - self.clean + 1;
            if free as usize >= want
                || span as usize > self.in_flight()
                || !(self.done(end) || self.done_after_context(end))
            {
                return free;
            }
            // SAFETY: the card completed `end` (DD), so everything before it too.
            unsafe { self.free(span) };
        }
    }

    /// Returns the buffers of the `n` oldest descriptors, which the card has finished and
    /// which do not wrap around the ring's end.
    ///
    /// # Safety
    /// The card is done with descriptors `clean..clean + n`, and `clean + n <= ring size`.
    #[inline(always)]
    unsafe fn free(&mut self, n: u32) {
        let start = self.clean as usize;
        let end = start + n as usize;
        debug_assert!(n as usize <= self.in_flight() && end <= self.idx.len());
        // SAFETY: `[clean, clean + n)` are initialised (in flight).
        let pools: &[PoolRef] = unsafe {
            &*(&self.pools[start..end] as *const [MaybeUninit<PoolRef>] as *const [PoolRef])
        };
        let idx = &self.idx[start..end];
        // One lock for the group when every buffer is from one pool (the usual case; the
        // comparison is branch-free, so the compiler vectorises it).
        let first = pools[0];
        let mixed = differ(pools, first);
        if mixed == 0 {
            // SAFETY: these buffers were lent to this queue, the card is done, and `clean`
            // moves past them below, so each is returned once.
            unsafe { first.free_raw(idx) };
        } else {
            let mut s = 0;
            while s < pools.len() {
                let p = pools[s];
                let e = s + pools[s..].iter().take_while(|&&q| q == p).count();
                // SAFETY: as above, per run of one pool.
                unsafe { p.free_raw(&idx[s..e]) };
                s = e;
            }
        }
        self.clean = (end & self.mask as usize) as u32;
    }

    /// Returns the buffers of every descriptor the card reports done, oldest first (up to the
    /// newest descriptor with DD: the card completes in order); returns how many. Off the hot
    /// path (it reads every descriptor in flight); the send path reclaims by itself.
    pub fn reclaim(&mut self) -> usize {
        let mut upto = None;
        let mut c = self.clean;
        while c != self.tail {
            if self.done(c) {
                upto = Some(c);
            }
            c = (c + 1) & self.mask;
        }
        let Some(last) = upto else { return 0 };
        let n = (last.wrapping_sub(self.clean) & self.mask) + 1;
        self.free_n(n);
        n as usize
    }

    /// Frees the `n` oldest descriptors' buffers, in at most two runs around the wrap.
    fn free_n(&mut self, n: u32) {
        let to_end = self.mask + 1 - self.clean;
        let first = n.min(to_end);
        // SAFETY: the callers pass descriptors the card no longer uses; `first` ends at or
        // before the ring's end, and after it `clean` is 0 for the rest.
        unsafe {
            if first != 0 {
                self.free(first);
            }
            if n > first {
                self.free(n - first);
            }
        }
    }

    /// Whether the card has written back a descriptor in flight, so that the next
    /// [`TxQueue::reclaim`] (or send) frees buffers: what a transmit interrupt's waiter checks
    /// before and after arming. Off the hot path (it reads the descriptors in flight).
    pub fn any_done(&self) -> bool {
        let mut c = self.clean;
        while c != self.tail {
            if self.done(c) {
                return true;
            }
            c = (c + 1) & self.mask;
        }
        false
    }

    /// Descriptors the card has not fetched yet: from its head ([`QueueRegs::head`], a
    /// register read) to the tail. All in flight when the head is not among them.
    pub fn unsent(&self) -> usize {
        match self.head_in_flight() {
            Some(head) => (self.tail.wrapping_sub(head) & self.mask) as usize,
            None => self.in_flight(),
        }
    }

    /// The card's head when it lies among the descriptors in flight (`clean..=tail`), else
    /// `None`: a card gone away (all ones) or reset under the driver (head 0) says nothing
    /// about this ring, and the stop then counts every packet in flight.
    fn head_in_flight(&self) -> Option<u32> {
        let head = self.regs.head();
        (head <= self.mask
            && (head.wrapping_sub(self.clean) & self.mask) <= self.in_flight() as u32)
            .then_some(head)
    }

    /// Waits (bounded by `wait`) for the card to fetch every descriptor handed to it, then
    /// reclaims what it reports done; returns the descriptors still unsent (0: drained). The
    /// first step of stopping a transmit queue (82599 datasheet 4.6.8.1: software waits for
    /// the head to reach the tail before it clears TXDCTL.ENABLE; Linux waits likewise for the
    /// ring to empty). Off the hot path: it polls the head register.
    pub fn drain(&mut self, wait: DrainWait) -> usize {
        let start = Instant::now();
        let mut last = self.unsent();
        let mut moved = start;
        while last != 0 && moved.elapsed() < wait.idle && start.elapsed() < wait.max {
            std::thread::sleep(Duration::from_micros(20));
            let now = self.unsent();
            if now != last {
                last = now;
                moved = Instant::now();
            }
        }
        self.drained_at = self.tail;
        self.reclaim();
        last
    }

    /// Packets (end-of-packet data descriptors) between the card's head and the tail: what it
    /// never sent. Read from the ring, which the card no longer reads (the queue is stopped).
    fn unsent_packets(&self) -> u64 {
        let from = self.head_in_flight().unwrap_or(self.clean);
        let mut n = 0;
        let mut i = from;
        while i != self.tail {
            // SAFETY: `i <= mask`: a descriptor of the ring, which this queue owns; the queue
            // is disabled, so the card no longer writes it.
            let cmd =
                unsafe { desc::read32(desc::at(self.base, i as usize), tx_read::CMD_TYPE_LEN) };
            let data = cmd & tx_read::DCMD_DEXT == 0 || cmd & (0xF << 20) == tx_read::DTYP_DATA;
            if data && cmd & tx_read::DCMD_EOP != 0 {
                n += 1;
            }
            i = (i + 1) & self.mask;
        }
        n
    }

    /// Stops the queue: waits for the ring to drain ([`TxQueue::drain`], unless that was just
    /// done), disables it ([`QueueRegs::stop`]), counts the packets the card never sent in
    /// `tx_dropped_at_stop`, and returns every unreclaimed buffer; leaks them (the ring too)
    /// when the queue does not stop, as the card may still read them.
    fn shutdown(&mut self) {
        if self.drained_at != self.tail {
            self.drain(DrainWait::STOP);
        }
        let stopped = self.regs.stop();
        let unsent = if self.ring.is_some() {
            self.unsent_packets()
        } else {
            0
        };
        self.counters.add_tx_stop_drops(unsent);
        if !stopped {
            // The buffers stay lent (leaked): the card may still read them.
            std::mem::forget(self.ring.take());
            return;
        }
        let n = self.in_flight() as u32;
        self.free_n(n);
    }
}

/// Drains several transmit queues at once (one wait for all, so stopping a device with many
/// queues on a stalled link waits once, not once per queue); see [`TxQueue::drain`].
pub fn drain_all<'a, R: QueueRegs + 'a>(
    queues: impl IntoIterator<Item = &'a mut TxQueue<R>>,
    wait: DrainWait,
) {
    let mut qs: Vec<(&mut TxQueue<R>, usize)> = queues
        .into_iter()
        .map(|q| {
            let u = q.unsent();
            (q, u)
        })
        .collect();
    let start = Instant::now();
    let mut moved = start;
    while qs.iter().any(|(_, u)| *u != 0)
        && moved.elapsed() < wait.idle
        && start.elapsed() < wait.max
    {
        std::thread::sleep(Duration::from_micros(20));
        for (q, u) in qs.iter_mut().filter(|(_, u)| *u != 0) {
            let now = q.unsent();
            if now != *u {
                *u = now;
                moved = Instant::now();
            }
        }
    }
    for (q, _) in qs {
        q.drained_at = q.tail;
        q.reclaim();
    }
}

/// Non-zero when some of `pools` is not `first`: branch-free, eight at a time (the compiler
/// turns the lanes into vector registers).
#[inline(always)]
fn differ(pools: &[PoolRef], first: PoolRef) -> usize {
    let f = first.addr();
    let mut acc = [0usize; 8];
    let mut chunks = pools.chunks_exact(8);
    for c in &mut chunks {
        for (a, p) in acc.iter_mut().zip(c) {
            *a |= p.addr() ^ f;
        }
    }
    let rest = chunks.remainder().iter().fold(0, |m, p| m | (p.addr() ^ f));
    acc.iter().fold(rest, |m, a| m | a)
}

/// Sets RS in a descriptor's command word.
///
/// # Safety
/// `d` is a descriptor of a ring, written by the driver and not yet handed to the card.
#[inline(always)]
unsafe fn or_rs(d: *mut u8) {
    // SAFETY: forwarded to the caller.
    unsafe {
        let cmd = desc::read32(d, tx_read::CMD_TYPE_LEN);
        desc::write32(d, tx_read::CMD_TYPE_LEN, cmd | tx_read::DCMD_RS);
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
    /// each from pool A or B (`true`), or the card completes up to this many descriptors.
    #[derive(Clone, Debug)]
    enum Step {
        Send(Vec<(usize, bool)>),
        Complete(usize),
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            proptest::collection::vec(
                (
                    prop_oneof![4 => 1..=BUF, 1 => Just(0usize)],
                    proptest::bool::weighted(0.2)
                ),
                0..24
            )
            .prop_map(Step::Send),
            (0..RING + 4).prop_map(Step::Complete),
        ]
    }

    fn has_rs(base: *mut u8, i: usize) -> bool {
        // SAFETY: `i < RING`, inside the ring, which the test keeps alive.
        let cmd = unsafe { desc::read32(desc::at(base, i), tx_read::CMD_TYPE_LEN) };
        cmd & tx_read::DCMD_RS != 0
    }

    /// Plays the card: completes, in order, up to `k` of the descriptors it was given
    /// (`done..tail`), writing DD back where RS asks for it (82599 datasheet 7.2.3.5.1).
    fn complete(base: *mut u8, done: &mut usize, tail: usize, k: usize) {
        for _ in 0..k {
            if *done == tail {
                break;
            }
            if has_rs(base, *done) {
                // SAFETY: `done < RING`, inside the ring, which the test keeps alive; nothing
                // else writes it meanwhile.
                unsafe { desc::write32(desc::at(base, *done), tx_wb::STATUS, tx_wb::STAT_DD) };
            }
            *done = (*done + 1) % RING;
        }
    }

    proptest::proptest! {
        /// Whatever the application sends (from two pools) and whenever the card completes:
        /// each packet taken is on the ring with its buffer's device address and length, or
        /// refused and counted (length 0); what the ring has no room for stays with the
        /// caller; the tail register holds the last descriptor written; RS is set on exactly
        /// the group ends and the last descriptor of each call; completed groups are reclaimed
        /// only under the free threshold or when the call needs room, never before the card is
        /// done; and every buffer is back in its pool once the card is done.
        #[test]
        fn any_send_and_completion_sequence_keeps_every_buffer(
            steps in proptest::collection::vec(step(), 1..60),
        ) {
            let ring = HeapDma::new().alloc(RING * desc::DESC_SIZE, 128).unwrap();
            let base = ring.virt();
            let regs = FakeRegs::new(0, Rc::default());
            let last_tail = regs.last_tail.clone();
            let mut q = TxQueue::new(regs, ring, RING, Arc::default());
            let rs = config::tx_rs_thresh(RING);
            let thresh = config::tx_free_thresh(RING);
            let pools = [
                Mempool::new(&HeapDma::new(), POOL, BUF).unwrap(),
                Mempool::new(&HeapDma::new(), POOL, BUF).unwrap(),
            ];
            let mut held: Vec<Packet> = Vec::new();
            let (mut done, mut tail) = (0usize, 0usize);
            let (mut taken, mut valid) = (0u64, 0u64);
            for s in steps {
                match s {
                    Step::Send(lens) => {
                        for (len, b) in lens {
                            let Some(mut p) = pools[b as usize].alloc(BUF) else { break };
                            p.set_len(len);
                            held.push(p);
                        }
                        let expect: Vec<(u64, usize)> =
                            held.iter().map(|p| (p.phys(), p.len())).collect();
                        let (clean0, free0) = (q.clean, q.free_descs() as usize);
                        let n = q.tx_batch(&mut held);
                        if free0 >= expect.len().max(thresh) {
                            proptest::prop_assert_eq!(q.clean, clean0, "reclaimed too early");
                        }
                        proptest::prop_assert_eq!(held.len(), expect.len() - n);
                        taken += n as u64;
                        let first = tail;
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
                        // RS on the group ends and on the call's last descriptor, only there.
                        let mut i = first;
                        while i != tail {
                            let last = (i + 1) % RING == tail;
                            proptest::prop_assert_eq!(
                                has_rs(base, i),
                                last || i % rs == rs - 1,
                                "RS of descriptor {}", i
                            );
                            i = (i + 1) % RING;
                        }
                        if n < expect.len() {
                            // The ring was full: the next group was not done (or not whole).
                            let end = q.clean as usize | (rs - 1);
                            let whole = (end + RING - q.clean as usize) % RING < q.in_flight();
                            proptest::prop_assert!(
                                !whole || (end + RING - done) % RING < (tail + RING - done) % RING,
                                "a completed group was left while the call needed room"
                            );
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
                    pools[0].free_count() + pools[1].free_count() + q.in_flight() + held.len(),
                    2 * POOL,
                    "a buffer is lost"
                );
            }
            let c = q.counters().snapshot();
            proptest::prop_assert_eq!(c.tx_packets, valid);
            proptest::prop_assert_eq!(c.tx_packets + c.tx_invalid, taken);
            // The card finishes everything: every buffer goes home (the last descriptor of
            // every call has RS, so the explicit reclaim gets them all).
            complete(base, &mut done, tail, RING);
            q.reclaim();
            proptest::prop_assert_eq!(q.in_flight(), 0);
            drop(held);
            proptest::prop_assert_eq!(pools[0].free_count(), POOL);
            proptest::prop_assert_eq!(pools[1].free_count(), POOL);
        }
    }

    /// Issue 14: a queue stopped while the card still holds packets it has not sent waits
    /// (bounded) for the ring to drain, reads the head before it disables the queue, and
    /// counts exactly the packets between head and tail as dropped at stop; every buffer goes
    /// back to its pool.
    #[test]
    fn stop_waits_for_the_ring_then_counts_what_the_card_never_sent() {
        let pool = Mempool::new(&HeapDma::new(), POOL, BUF).unwrap();
        let ring = HeapDma::new().alloc(RING * desc::DESC_SIZE, 128).unwrap();
        let regs = FakeRegs::new(0, Rc::default());
        let (head, log) = (regs.head.clone(), regs.log.clone());
        let counters = Arc::new(QueueCounters::default());
        let mut q = TxQueue::new(regs, ring, RING, counters.clone());
        let mut pkts: Vec<Packet> = (0..10)
            .map(|_| {
                let mut p = pool.alloc(BUF).unwrap();
                p.set_len(60);
                p
            })
            .collect();
        assert_eq!(q.tx_batch(&mut pkts), 10);
        // The card fetched 3 descriptors and then stalls (link down, say).
        head.set(Some(3));
        assert_eq!(q.unsent(), 7);
        let t = std::time::Instant::now();
        drop(q);
        let waited = t.elapsed();
        assert!(
            waited >= DrainWait::STOP.idle && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        assert_eq!(counters.snapshot().tx_dropped_at_stop, 7);
        assert_eq!(counters.snapshot().tx_packets, 10);
        // The head is read before the queue is disabled (the card sees that the driver
        // looked), and once more after it to count.
        let log = log.borrow();
        let stop = log.iter().position(|l| l == "stop").unwrap();
        assert!(log[..stop].iter().any(|l| l == "head"), "{log:?}");
        assert_eq!(pool.free_count(), POOL);
    }

    #[test]
    fn a_head_outside_the_ring_in_flight_counts_everything_in_flight() {
        // A card gone away reads all ones; one reset under the driver reads 0: neither says
        // which packets left, so all in flight are counted as dropped at stop.
        for bogus in [u32::MAX, 12] {
            let pool = Mempool::new(&HeapDma::new(), POOL, BUF).unwrap();
            let ring = HeapDma::new().alloc(RING * desc::DESC_SIZE, 128).unwrap();
            let regs = FakeRegs::new(0, Rc::default());
            let head = regs.head.clone();
            let counters = Arc::new(QueueCounters::default());
            let mut q = TxQueue::new(regs, ring, RING, counters.clone());
            let mut pkts: Vec<Packet> = Vec::new();
            for _ in 0..10 {
                let mut p = pool.alloc(BUF).unwrap();
                p.set_len(60);
                pkts.push(p);
            }
            assert_eq!(q.tx_batch(&mut pkts), 10);
            head.set(Some(bogus));
            assert_eq!(q.unsent(), 10, "head {bogus}");
            drop(q);
            assert_eq!(counters.snapshot().tx_dropped_at_stop, 10, "head {bogus}");
            assert_eq!(pool.free_count(), POOL);
        }
    }

    #[test]
    // Under Miri every step is slow enough to pass the idle wait this test measures against.
    #[cfg_attr(miri, ignore)]
    fn a_drained_ring_stops_at_once_and_drops_nothing() {
        let pool = Mempool::new(&HeapDma::new(), POOL, BUF).unwrap();
        let ring = HeapDma::new().alloc(RING * desc::DESC_SIZE, 128).unwrap();
        let regs = FakeRegs::new(0, Rc::default());
        let counters = Arc::new(QueueCounters::default());
        let mut q = TxQueue::new(regs, ring, RING, counters.clone());
        let mut pkts: Vec<Packet> = Vec::new();
        for _ in 0..5 {
            let mut p = pool.alloc(BUF).unwrap();
            p.set_len(60);
            pkts.push(p);
        }
        assert_eq!(q.tx_batch(&mut pkts), 5);
        // Head = tail: the card fetched everything.
        assert_eq!(q.drain(DrainWait::STOP), 0);
        let t = std::time::Instant::now();
        drop(q);
        assert!(t.elapsed() < DrainWait::STOP.idle, "{:?}", t.elapsed());
        assert_eq!(counters.snapshot().tx_dropped_at_stop, 0);
        assert_eq!(pool.free_count(), POOL);
    }
}
