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
