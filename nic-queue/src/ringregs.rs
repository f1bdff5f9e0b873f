//! A queue's registers ([`QueueRegs`]) written once for every driver, over the register types
//! the driver generates from its table (`registers!`). Both Intel families lay a queue out the
//! same way: base address low/high, length (a `LEN` field in bytes), head, tail, and a control
//! register with an `ENABLE` bit that reads back set once the queue runs (82599 datasheet
//! 4.6.7.1/4.6.8.1, 82576 4.5.9/4.5.10). A driver names its registers for one direction in a
//! [`RingTable`] (a marker type, ordinary code next to its table) and gets [`RingRegs`];
//! this crate still names no register.
//!
//! ```
//! use nic_queue::{QueueRegs, RingRegs, RingTable};
//! use regdsl_rt::{ArraySpec, Bits, Bus, Field, Mmio};
//! regdsl_rt::registers!(mod t, inline "
//! RDBAL  0x1000 +0x40*0..3 RW Receive Descriptor Base Address Low
//! RDBAH  0x1004 +0x40*0..3 RW Receive Descriptor Base Address High
//! RDLEN  0x1008 +0x40*0..3 RW Receive Descriptor Length
//!   .LEN 19:0 RW Ring length in bytes
//! RDH    0x1010 +0x40*0..3 RW Receive Descriptor Head
//! RDT    0x1018 +0x40*0..3 RW Receive Descriptor Tail
//! RXDCTL 0x1028 +0x40*0..3 RW Receive Descriptor Control
//!   .ENABLE 25 RW Queue enable
//! ");
//! use t::*;
//!
//! /// This device's receive queue registers.
//! struct Rx;
//! impl RingTable for Rx {
//!     const DIR: &'static str = "RX";
//!     type Regs<B: Bus> = Regs<B>;
//!     type Indices = <RDT::Reg as ArraySpec>::Indices;
//!     type BaseLow = RDBAL::Reg;
//!     type BaseHigh = RDBAH::Reg;
//!     type Len = RDLEN::Reg;
//!     type Head = RDH::Reg;
//!     type Tail = RDT::Reg;
//!     type Ctl = RXDCTL::Reg;
//!     const LEN: Field<RDLEN::Reg> = RDLEN::LEN;
//!     const ENABLE: Bits<RXDCTL::Reg> = RXDCTL::ENABLE;
//!     const ZERO_HEAD: bool = true;
//!     fn bus<B: Bus>(regs: &Regs<B>) -> &B {
//!         regs.bus()
//!     }
//!     fn enable<B: Bus>(regs: &Regs<B>, q: u32) {
//!         regs.RXDCTL().at(q).set(RXDCTL::ENABLE);
//!     }
//! }
//!
//! let mut bar = vec![0u32; 0x2000 / 4]; // stands in for a mapped BAR
//! // SAFETY: `bar` is a live, aligned buffer of 0x2000 bytes.
//! let mmio = unsafe { Mmio::new(bar.as_mut_ptr().cast(), 0x2000) };
//! let rx = RingRegs::<_, Rx>::new(Regs::new(mmio), 2)?;
//! rx.set_ring(0x1_2345_6000, 512 * 16)?;
//! rx.write_tail(511);
//! assert_eq!(bar[(0x1000 + 2 * 0x40) / 4], 0x2345_6000); // RDBAL[2]
//! assert_eq!(bar[(0x1008 + 2 * 0x40) / 4], 8192); // RDLEN[2]
//! assert_eq!(bar[(0x1018 + 2 * 0x40) / 4], 511); // RDT[2]
//! let e = RingRegs::<_, Rx>::new(Regs::new(mmio), 4).err().unwrap();
//! assert_eq!(e.to_string(), "RX queue 4: no RDT register for it (RDT has 4 elements)");
//! # Ok::<(), nic_queue::QueueError>(())
//! ```

use crate::{QueueError, QueueRegs};
use regdsl_rt::{
    ArraySpec, Bits, Bus, Element, Field, Index, IndexSet, ReadModifyWrite, Readable, Register,
    Writable,
};
use std::time::Duration;

/// Bound of the queue-disable waits at shutdown ([`QueueRegs::stop`]).
pub const STOP_TIMEOUT: Duration = Duration::from_millis(100);

/// One direction's queue registers in a driver's generated table (implemented by a marker
/// type per direction, e.g. `RxRing`), and what the device does differently. Every register is
/// an array over the same queue numbers ([`RingTable::Indices`]), so the queue number validated
/// once by [`RingRegs::new`] reaches all of them without another check.
pub trait RingTable: 'static {
    /// `"RX"` or `"TX"`: errors name it.
    const DIR: &'static str;
    /// The generated register block (`Regs<B>`).
    type Regs<B: Bus>;
    /// The queue numbers the table has registers for (the tail's index set).
    type Indices: IndexSet;
    /// RDBAL/TDBAL: the ring's device address, low 32 bits.
    type BaseLow: ArraySpec<Indices = Self::Indices, Int = u32, Mode: Writable>;
    /// RDBAH/TDBAH: the ring's device address, high 32 bits.
    type BaseHigh: ArraySpec<Indices = Self::Indices, Int = u32, Mode: Writable>;
    /// RDLEN/TDLEN, whose field [`RingTable::LEN`] holds the ring's length in bytes.
    type Len: ArraySpec<Indices = Self::Indices, Int = u32, Mode: Writable>;
    /// RDH/TDH: the next descriptor the card processes.
    type Head: ArraySpec<Indices = Self::Indices, Int = u32, Mode: Readable + Writable>;
    /// RDT/TDT: where software hands descriptors over (the hot path's one write).
    type Tail: ArraySpec<Indices = Self::Indices, Int = u32, Mode: Writable>;
    /// RXDCTL/TXDCTL, with the [`RingTable::ENABLE`] bit.
    type Ctl: ArraySpec<Indices = Self::Indices, Mode: ReadModifyWrite>;
    /// The ring length in bytes (RDLEN.LEN/TDLEN.LEN).
    const LEN: Field<Self::Len>;
    /// Queue enable: set by [`RingTable::enable`], reads back set once the queue runs.
    const ENABLE: Bits<Self::Ctl>;
    /// Whether [`QueueRegs::set_ring`] writes head = 0 (false where software may not write
    /// it, e.g. the 82599's RDH, 0 after reset).
    const ZERO_HEAD: bool;
    /// The bus the registers are reached through (`regs.bus()`).
    fn bus<B: Bus>(regs: &Self::Regs<B>) -> &B;
    /// Turns queue `q` on: [`RingTable::ENABLE`], with the thresholds the device wants.
    fn enable<B: Bus>(regs: &Self::Regs<B>, q: u32);
}

/// A queue's registers ([`QueueRegs`]) for the device whose table `T` names them, on bus `B`.
/// The tail's offset is resolved once (a split array's segment chosen when the queue is made),
/// so the per-batch tail write is one store.
pub struct RingRegs<B: Bus, T: RingTable> {
    regs: T::Regs<B>,
    q: Index<T::Indices>,
    tail: Element<T::Tail>,
}

impl<B: Bus, T: RingTable> RingRegs<B, T> {
    /// Queue `q`'s registers; an error when the table has no tail register for `q`.
    pub fn new(regs: T::Regs<B>, q: u32) -> Result<Self, QueueError> {
        let Some(i) = Index::<T::Indices>::new(q) else {
            let tail = <T::Tail as Register>::NAME;
            let len: usize = <T::Tail as ArraySpec>::SEGMENTS
                .iter()
                .map(|s| (s.max - s.min) as usize + 1)
                .sum();
            return Err(QueueError::Register {
                dir: T::DIR,
                queue: q,
                reason: format!("no {tail} register for it ({tail} has {len} elements)"),
            });
        };
        Ok(RingRegs {
            regs,
            q: i,
            tail: Element::new(i),
        })
    }

    /// Register `R` of this queue.
    #[inline(always)]
    fn reg<R: ArraySpec<Indices = T::Indices>>(&self) -> regdsl_rt::Reg<'_, B, R> {
        Element::<R>::new(self.q).on(T::bus(&self.regs))
    }
}

impl<B: Bus, T: RingTable> QueueRegs for RingRegs<B, T> {
    #[inline(always)]
    fn id(&self) -> u32 {
        self.tail.index()
    }
    /// The release fence, then the tail register.
    #[inline(always)]
    fn write_tail(&self, tail: u32) {
        self.tail.on(T::bus(&self.regs)).write_publish(tail);
    }
    /// Base low/high, length, head = 0 where [`RingTable::ZERO_HEAD`], tail = 0 (82599
    /// 4.6.7.1/4.6.8.1, 82576 4.5.9/4.5.10).
    fn set_ring(&self, phys: u64, bytes: usize) -> Result<(), QueueError> {
        let len = T::LEN
            .try_val(u32::try_from(bytes).unwrap_or(u32::MAX))
            .map_err(|e| QueueError::Register {
                dir: T::DIR,
                queue: self.id(),
                reason: e.to_string(),
            })?;
        self.reg::<T::BaseLow>().write(phys as u32);
        self.reg::<T::BaseHigh>().write((phys >> 32) as u32);
        self.reg::<T::Len>().write(len);
        if T::ZERO_HEAD {
            self.reg::<T::Head>().write(0u32);
        }
        self.reg::<T::Tail>().write(0u32);
        Ok(())
    }
    fn enable(&self) {
        T::enable(&self.regs, self.id());
    }
    /// The enable bit reads back set.
    fn wait_enabled(&self, timeout: Duration) -> bool {
        self.reg::<T::Ctl>().wait_set(T::ENABLE, timeout).is_ok()
    }
    /// The enable bit cleared and a bounded wait ([`STOP_TIMEOUT`]) until it reads 0.
    fn stop(&self) -> bool {
        let ctl = self.reg::<T::Ctl>();
        ctl.clr(T::ENABLE);
        ctl.wait_clear(T::ENABLE, STOP_TIMEOUT).is_ok()
    }
    /// The head register: the next descriptor the card processes.
    fn head(&self) -> u32 {
        self.reg::<T::Head>().read().bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regdsl_rt::{Site, Trace, TraceLog};
    use std::cell::RefCell;

    // Receive registers split as the 82599's (queues 2..3 at another base), transmit in one run.
    regdsl_rt::registers!(mod t, inline "
RDBAL  0x1000 +0x40*0..1 RW Receive Descriptor Base Address Low
RDBAL  0x3000 +0x40*2..3 RW Receive Descriptor Base Address Low
RDBAH  0x1004 +0x40*0..1 RW Receive Descriptor Base Address High
RDBAH  0x3004 +0x40*2..3 RW Receive Descriptor Base Address High
RDLEN  0x1008 +0x40*0..1 RW Receive Descriptor Length
  .LEN 19:0 RW Ring length in bytes
RDLEN  0x3008 +0x40*2..3 RW Receive Descriptor Length
RDH    0x1010 +0x40*0..1 RW Receive Descriptor Head
RDH    0x3010 +0x40*2..3 RW Receive Descriptor Head
RDT    0x1018 +0x40*0..1 RW Receive Descriptor Tail
RDT    0x3018 +0x40*2..3 RW Receive Descriptor Tail
RXDCTL 0x1028 +0x40*0..1 RW Receive Descriptor Control
  .ENABLE 25 RW Queue enable
RXDCTL 0x3028 +0x40*2..3 RW Receive Descriptor Control
TDBAL  0x2000 +0x40*0..3 RW Transmit Descriptor Base Address Low
TDBAH  0x2004 +0x40*0..3 RW Transmit Descriptor Base Address High
TDLEN  0x2008 +0x40*0..3 RW Transmit Descriptor Length
  .LEN 19:0 RW Ring length in bytes
TDH    0x2010 +0x40*0..3 RW Transmit Descriptor Head
TDT    0x2018 +0x40*0..3 RW Transmit Descriptor Tail
TXDCTL 0x2028 +0x40*0..3 RW Transmit Descriptor Control
  .ENABLE 25 RW Queue enable
");
    use t::*;

    /// Register memory: what is written reads back (an enable bit reads set at once).
    struct Mem(RefCell<Vec<u32>>);
    impl Mem {
        fn new() -> Self {
            Mem(RefCell::new(vec![0; 0x4000 / 4]))
        }
        fn at(&self, offset: usize) -> u32 {
            self.0.borrow()[offset / 4]
        }
    }
    impl Bus for Mem {
        fn read8(&self, _: usize, _: Site) -> u8 {
            unreachable!("32-bit registers only")
        }
        fn write8(&self, _: usize, _: u8, _: Site) {
            unreachable!("32-bit registers only")
        }
        fn read16(&self, _: usize, _: Site) -> u16 {
            unreachable!("32-bit registers only")
        }
        fn write16(&self, _: usize, _: u16, _: Site) {
            unreachable!("32-bit registers only")
        }
        fn read32(&self, offset: usize, _: Site) -> u32 {
            self.at(offset)
        }
        fn write32(&self, offset: usize, value: u32, _: Site) {
            self.0.borrow_mut()[offset / 4] = value;
        }
    }

    struct Rx;
    impl RingTable for Rx {
        const DIR: &'static str = "RX";
        type Regs<B: Bus> = Regs<B>;
        type Indices = <RDT::Reg as ArraySpec>::Indices;
        type BaseLow = RDBAL::Reg;
        type BaseHigh = RDBAH::Reg;
        type Len = RDLEN::Reg;
        type Head = RDH::Reg;
        type Tail = RDT::Reg;
        type Ctl = RXDCTL::Reg;
        const LEN: Field<RDLEN::Reg> = RDLEN::LEN;
        const ENABLE: Bits<RXDCTL::Reg> = RXDCTL::ENABLE;
        const ZERO_HEAD: bool = false;
        fn bus<B: Bus>(regs: &Regs<B>) -> &B {
            regs.bus()
        }
        fn enable<B: Bus>(regs: &Regs<B>, q: u32) {
            regs.RXDCTL().at(q).set(RXDCTL::ENABLE);
        }
    }

    struct Tx;
    impl RingTable for Tx {
        const DIR: &'static str = "TX";
        type Regs<B: Bus> = Regs<B>;
        type Indices = <TDT::Reg as ArraySpec>::Indices;
        type BaseLow = TDBAL::Reg;
        type BaseHigh = TDBAH::Reg;
        type Len = TDLEN::Reg;
        type Head = TDH::Reg;
        type Tail = TDT::Reg;
        type Ctl = TXDCTL::Reg;
        const LEN: Field<TDLEN::Reg> = TDLEN::LEN;
        const ENABLE: Bits<TXDCTL::Reg> = TXDCTL::ENABLE;
        const ZERO_HEAD: bool = true;
        fn bus<B: Bus>(regs: &Regs<B>) -> &B {
            regs.bus()
        }
        fn enable<B: Bus>(regs: &Regs<B>, q: u32) {
            regs.TXDCTL().at(q).set(TXDCTL::ENABLE);
        }
    }

    /// Each traced access as `W RDBAL[3]`.
    fn accesses(log: &TraceLog) -> Vec<String> {
        log.take()
            .iter()
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                format!("{} {}", w[0], w[3])
            })
            .collect()
    }

    #[test]
    fn a_queue_is_programmed_started_fed_and_stopped_through_its_own_registers() {
        let (mem, log) = (Mem::new(), TraceLog::new());
        let rx = RingRegs::<_, Rx>::new(Regs::new(Trace::new(&mem, &log)), 3).unwrap();
        assert_eq!(rx.id(), 3);
        rx.set_ring(0x1_2345_6000, 4096).unwrap();
        rx.enable();
        assert!(rx.wait_enabled(Duration::from_millis(10)));
        rx.write_tail(255);
        assert_eq!(rx.head(), 0);
        assert!(rx.stop());
        // No head write (ZERO_HEAD = false); every access on queue 3, in the second segment.
        let rx_seq = [
            "W RDBAL[3]",
            "W RDBAH[3]",
            "W RDLEN[3]",
            "W RDT[3]",
            "R RXDCTL[3]",
            "W RXDCTL[3]",
            "R RXDCTL[3]",
            "W RDT[3]",
            "R RDH[3]",
            "R RXDCTL[3]",
            "W RXDCTL[3]",
            "R RXDCTL[3]",
        ];
        assert_eq!(accesses(&log), rx_seq);
        let q3 = 0x3000 + 0x40;
        assert_eq!(
            [
                mem.at(q3),
                mem.at(q3 + 4),
                mem.at(q3 + 8),
                mem.at(q3 + 0x18)
            ],
            [0x2345_6000, 1, 4096, 255]
        );
        assert_eq!(mem.at(q3 + 0x28), 0, "disabled again");

        let tx = RingRegs::<_, Tx>::new(Regs::new(Trace::new(&mem, &log)), 1).unwrap();
        tx.set_ring(0x8000, 1024).unwrap();
        let tx_seq = [
            "W TDBAL[1]",
            "W TDBAH[1]",
            "W TDLEN[1]",
            "W TDH[1]",
            "W TDT[1]",
        ];
        assert_eq!(accesses(&log), tx_seq);
    }

    #[test]
    fn queues_and_rings_the_registers_cannot_hold_are_refused_before_any_write() {
        let (mem, log) = (Mem::new(), TraceLog::new());
        let e = RingRegs::<_, Tx>::new(Regs::new(Trace::new(&mem, &log)), 4).err();
        let e = e.unwrap().to_string();
        assert_eq!(e, "TX queue 4: no TDT register for it (TDT has 4 elements)");
        let rx = RingRegs::<_, Rx>::new(Regs::new(Trace::new(&mem, &log)), 0).unwrap();
        let e = rx.set_ring(0x1000, 1 << 20).unwrap_err().to_string();
        assert!(
            e.starts_with("RX queue 0: ") && e.contains("RDLEN.LEN"),
            "{e}"
        );
        assert!(log.take().is_empty(), "nothing written");
    }
}
