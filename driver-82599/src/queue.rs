//! The 82599's queue registers for the shared ring engines: the receive and transmit
//! [`RingTable`]s naming the registers generated from `registers/82599.txt`, and the queue
//! enable steps of `init.rs`; [`nic_queue::RingRegs`] writes them ([`nic_queue::QueueRegs`]).

use crate::regs::*;
#[cfg(test)]
use nic_queue::QueueRegs;
use nic_queue::{RingRegs, RingTable};
use regdsl_rt::{ArraySpec, Bits, Bus, Field};

/// A receive queue's registers. RDT's offset is resolved once (it is a split array: queues
/// 0..63 and 64..127 sit at different bases), so the per-refill tail write is one store.
/// `RxRegs::new(regs, q)` refuses a queue the table has no RDT for.
pub type RxRegs<B> = RingRegs<B, RxRing>;

/// A transmit queue's registers, TDT's offset resolved once. `TxRegs::new(regs, q)` refuses a
/// queue the table has no TDT for.
pub type TxRegs<B> = RingRegs<B, TxRing>;

/// The receive queue registers (4.6.7.1): RDBAL/RDBAH, RDLEN, RDH, RDT, RXDCTL.ENABLE.
pub struct RxRing;

impl RingTable for RxRing {
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
    /// RDH is read-only on the 82599 (8.2.3.8.5) and 0 after reset: `set_ring` writes RDT only.
    const ZERO_HEAD: bool = false;
    #[inline(always)]
    fn bus<B: Bus>(regs: &Regs<B>) -> &B {
        regs.bus()
    }
    fn enable<B: Bus>(regs: &Regs<B>, q: u32) {
        crate::init::enable_rx_queue(regs, q);
    }
}

/// The transmit queue registers (4.6.8.1): TDBAL/TDBAH, TDLEN, TDH = TDT = 0, TXDCTL.ENABLE.
pub struct TxRing;

impl RingTable for TxRing {
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
    #[inline(always)]
    fn bus<B: Bus>(regs: &Regs<B>) -> &B {
        regs.bus()
    }
    fn enable<B: Bus>(regs: &Regs<B>, q: u32) {
        crate::init::enable_tx_queue(regs, q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bus that is never reached: these tests only validate queue numbers.
    #[derive(Clone, Copy)]
    struct NoBus;
    impl Bus for NoBus {
        fn read8(&self, _: usize, _: regdsl_rt::Site) -> u8 {
            unreachable!()
        }
        fn write8(&self, _: usize, _: u8, _: regdsl_rt::Site) {
            unreachable!()
        }
        fn read16(&self, _: usize, _: regdsl_rt::Site) -> u16 {
            unreachable!()
        }
        fn write16(&self, _: usize, _: u16, _: regdsl_rt::Site) {
            unreachable!()
        }
        fn read32(&self, _: usize, _: regdsl_rt::Site) -> u32 {
            unreachable!()
        }
        fn write32(&self, _: usize, _: u32, _: regdsl_rt::Site) {
            unreachable!()
        }
    }

    #[test]
    fn tail_registers_cover_every_queue_and_refuse_others() {
        // RDT is a split array (0..63 and 64..127 at another base); TDT one run of 128.
        for q in [0, 63, 64, 127] {
            assert_eq!(RxRegs::new(Regs::new(NoBus), q).unwrap().id(), q);
            assert_eq!(TxRegs::new(Regs::new(NoBus), q).unwrap().id(), q);
        }
        let e = RxRegs::new(Regs::new(NoBus), 128)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("queue 128"), "{e}");
        assert!(e.contains("RDT"), "{e}");
        let e = TxRegs::new(Regs::new(NoBus), 128)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("TX queue 128") && e.contains("TDT"), "{e}");
    }
}
