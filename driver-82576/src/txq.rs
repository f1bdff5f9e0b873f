//! A transmit queue: its descriptor ring, the packets lent to the device, and the batched send
//! path (advanced data descriptors, completion by the DD write-back).

use crate::desc::{self, tx_read, tx_wb};
use crate::regs::Regs;
use crate::stats::QueueCounters;
use pci_dma::mempool::{free_raw_packets, Packet, RawPacket};
use pci_dma::DmaRegion;
use regdsl_rt::Bus;
use std::sync::Arc;

/// One transmit queue. `Send`: move it to the thread that sends on it.
///
/// Ring state: descriptors `[clean, tail)` are the device's (sent or being sent); the rest are
/// free, less one so that the tail never catches up with the oldest unreclaimed descriptor.
/// Completion is learnt from DD (RS is set on every descriptor), never by reading TDH.
pub struct TxQueue<B: Bus> {
    base: *mut u8,
    mask: u32,
    tail: u32,
    clean: u32,
    /// The packet of each descriptor in `[clean, tail)`.
    slots: Box<[Option<RawPacket>]>,
    regs: Regs<B>,
    queue: u32,
    counters: Arc<QueueCounters>,
    ring: Option<DmaRegion>,
}

// SAFETY: `base` points into `ring`, owned by this queue; nothing else touches the ring.
unsafe impl<B: Bus + Send> Send for TxQueue<B> {}

impl<B: Bus> TxQueue<B> {
    pub(crate) fn new(
        regs: Regs<B>,
        queue: u32,
        ring: DmaRegion,
        size: usize,
        counters: Arc<QueueCounters>,
    ) -> Self {
        debug_assert!(size.is_power_of_two() && ring.len() >= size * desc::DESC_SIZE);
        TxQueue {
            base: ring.virt(),
            mask: size as u32 - 1,
            tail: 0,
            clean: 0,
            slots: (0..size).map(|_| None).collect(),
            regs,
            queue,
            counters,
            ring: Some(ring),
        }
    }

    /// The queue number.
    pub fn id(&self) -> u32 {
        self.queue
    }

    /// Descriptors in the ring.
    pub fn ring_size(&self) -> usize {
        self.mask as usize + 1
    }

    /// This queue's software counters.
    pub fn counters(&self) -> &QueueCounters {
        &self.counters
    }

    pub(crate) fn ring_phys(&self) -> u64 {
        self.ring.as_ref().map_or(0, |r| r.phys())
    }

    /// Descriptors handed to the device and not yet reclaimed.
    pub fn in_flight(&self) -> usize {
        (self.tail.wrapping_sub(self.clean) & self.mask) as usize
    }

    /// Sends as many packets from the front of `pkts` as the ring has room for, with one tail
    /// write; returns how many were taken (the rest stay in `pkts`). Completed descriptors are
    /// reclaimed first, their buffers returned to their pools.
    ///
    /// A packet of length 0 (or over 64 KiB) cannot be described: it is taken, dropped and
    /// counted in `tx_invalid`.
    #[inline]
    pub fn tx_batch(&mut self, pkts: &mut Vec<Packet>) -> usize {
        self.reclaim();
        let mask = self.mask;
        let room = (self.clean.wrapping_sub(self.tail).wrapping_sub(1) & mask) as usize;
        let n = room.min(pkts.len());
        if n == 0 {
            return 0;
        }
        let mut t = self.tail;
        let (mut bytes, mut invalid, mut sent) = (0u64, 0u64, 0u64);
        for p in pkts.drain(..n) {
            let Some((cmd, olinfo)) = desc::tx_words(p.len()) else {
                invalid += 1;
                continue;
            };
            bytes += p.len() as u64;
            let raw = p.into_raw();
            // SAFETY: `t <= mask`, inside the ring; the slot is free (not the device's).
            unsafe {
                let d = desc::at(self.base, t as usize);
                desc::write64(d, tx_read::BUFFER_ADDR, raw.phys());
                desc::write32(d, tx_read::CMD_TYPE_LEN, cmd);
                desc::write32(d, tx_read::OLINFO_STATUS, olinfo);
            }
            self.slots[t as usize] = Some(raw);
            sent += 1;
            t = (t + 1) & mask;
        }
        if t != self.tail {
            self.tail = t;
            // Descriptors must be visible before the device reads the tail.
            regdsl_rt::fence::publish();
            self.regs.TDT().at(self.queue).write(t);
        }
        self.counters.add_tx(sent, bytes, invalid);
        n
    }

    /// Returns the buffers of every descriptor the device reports done, oldest first; returns
    /// how many.
    #[inline]
    pub fn reclaim(&mut self) -> usize {
        let mask = self.mask;
        let start = self.clean;
        let mut c = start;
        while c != self.tail {
            // SAFETY: `c <= mask`, inside the ring.
            let st = unsafe { desc::read32(desc::at(self.base, c as usize), tx_wb::STATUS) };
            if st & tx_wb::STAT_DD == 0 {
                break;
            }
            c = (c + 1) & mask;
        }
        if c == start {
            return 0;
        }
        self.clean = c;
        let n = (c.wrapping_sub(start) & mask) as usize;
        let slots = &mut self.slots;
        let taken = (0..n).filter_map(|k| slots[(start as usize + k) & mask as usize].take());
        // SAFETY: DD says the device has finished reading these buffers.
        unsafe { free_raw_packets(taken) };
        n
    }

    /// Stops the queue and returns the unreclaimed buffers; leaks them when it does not stop.
    fn shutdown(&mut self) {
        if !crate::init::disable_tx_queue(&self.regs, self.queue) {
            // A dropped `RawPacket` is not returned to its pool: the buffers stay lent out.
            std::mem::forget(self.ring.take());
            return;
        }
        let taken = self.slots.iter_mut().filter_map(Option::take);
        // SAFETY: the queue is disabled; the device no longer reads the buffers.
        unsafe { free_raw_packets(taken) };
    }
}

impl<B: Bus> Drop for TxQueue<B> {
    fn drop(&mut self) {
        self.shutdown();
    }
}
