//! A register bus onto a simulated port whose writes can be *posted*: recorded in a small log
//! and replayed to the card later, in order, before the card is stepped.
//!
//! On real hardware a tail write is one uncached store that the CPU posts and moves on from.
//! On the simulated card a register write runs the card's register-file model (decoding,
//! strict-mode rules, doorbell), which is the card's work, not the driver's. While posting is
//! on, a write costs the driver a few instructions (a bounds check and two stores into the
//! log), close to the real store; the card's model runs when [`CardBus::flush`] replays it,
//! outside the measured region. The card only acts on registers when it is stepped (it runs
//! in the same thread, `threaded(false)`), so replaying before each step changes nothing it
//! sees.
//!
//! The register names generated code passes along (`Site`) are dropped, as `Mmio` drops them:
//! the card uses them only for its trace, which the benchmarks do not take, and passing them
//! on would make the compiler build them on every write.

use regdsl_rt::{Bus, Site};
use sim_82599::Port;
use std::cell::Cell;
use std::rc::Rc;

/// Writes held at most between two flushes. The forward loop makes two per batch on each
/// port and at most 128 batches per port and round (64 frames in flight per direction at
/// batch 1); a write that finds the log full goes through and is counted as spilled.
const SLOTS: usize = 1024;

struct Posted {
    on: Cell<bool>,
    len: Cell<usize>,
    log: [Cell<(u32, u32)>; SLOTS],
    reads: Cell<u64>,
    writes: Cell<u64>,
    spilled: Cell<u64>,
}

/// A simulated port as a [`Bus`], with optional posted writes. Clones share the log.
#[derive(Clone)]
pub struct CardBus {
    port: Port,
    posted: Rc<Posted>,
}

impl CardBus {
    pub fn new(port: Port) -> Self {
        CardBus {
            port,
            posted: Rc::new(Posted {
                on: Cell::new(false),
                len: Cell::new(0),
                log: std::array::from_fn(|_| Cell::new((0, 0))),
                reads: Cell::new(0),
                writes: Cell::new(0),
                spilled: Cell::new(0),
            }),
        }
    }

    /// Posting on or off; turning it off replays what is held.
    pub fn set_posting(&self, on: bool) {
        if !on {
            self.flush();
        }
        self.posted.on.set(on);
    }

    /// Replays the held writes to the card, oldest first; returns how many.
    pub fn flush(&self) -> usize {
        let p = &*self.posted;
        let n = p.len.get();
        for slot in &p.log[..n] {
            let (off, v) = slot.get();
            self.port.write32(off as usize, v, Site::UNNAMED);
        }
        p.len.set(0);
        if p.on.get() {
            p.writes.set(p.writes.get() + n as u64);
        }
        n
    }

    /// Register reads made while posting was on, and writes posted (counted when replayed).
    pub fn posted_counts(&self) -> (u64, u64) {
        (self.posted.reads.get(), self.posted.writes.get())
    }

    /// Writes that found the log full and went straight to the card.
    pub fn spilled(&self) -> u64 {
        self.posted.spilled.get()
    }
}

impl Bus for CardBus {
    // The 82599 has no 8- or 16-bit registers; passed to the card (which reports them).
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        self.flush();
        self.port.read8(offset, Site::UNNAMED)
    }
    fn write8(&self, offset: usize, value: u8, _site: Site) {
        self.flush();
        self.port.write8(offset, value, Site::UNNAMED)
    }
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        self.flush();
        self.port.read16(offset, Site::UNNAMED)
    }
    fn write16(&self, offset: usize, value: u16, _site: Site) {
        self.flush();
        self.port.write16(offset, value, Site::UNNAMED)
    }
    #[inline]
    fn read32(&self, offset: usize, _site: Site) -> u32 {
        let p = &*self.posted;
        if p.on.get() {
            // A read must see every earlier write: the card's model runs here.
            p.reads.set(p.reads.get() + 1);
            self.flush();
        }
        self.port.read32(offset, Site::UNNAMED)
    }

    #[inline]
    fn write32(&self, offset: usize, value: u32, _site: Site) {
        if self.posted.on.get() {
            self.post(offset, value);
            return;
        }
        self.port.write32(offset, value, Site::UNNAMED)
    }
}

impl CardBus {
    #[inline(always)]
    fn post(&self, offset: usize, value: u32) {
        let p = &*self.posted;
        let n = p.len.get();
        match p.log.get(n) {
            Some(slot) => {
                slot.set((offset as u32, value));
                p.len.set(n + 1);
            }
            None => self.spill(offset, value),
        }
    }

    /// Log full: keep the order, then write through (the card's work then runs inside the
    /// measured region, which `spilled` makes visible).
    #[cold]
    #[inline(never)]
    fn spill(&self, offset: usize, value: u32) {
        let p = &*self.posted;
        p.spilled.set(p.spilled.get() + 1);
        self.flush();
        self.port.write32(offset, value, Site::UNNAMED);
    }
}
