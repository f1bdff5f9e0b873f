//! The 82576's queue registers for the shared ring engines ([`nic_queue::QueueRegs`]): ring
//! base and length, enable and its bounded waits, the tail, each written through the handles
//! generated from `registers/82576.txt`.

use crate::regs::*;
use nic_queue::{QueueError, QueueRegs};
use regdsl_rt::{ArraySpec, Bus, Element, Index};
use std::time::Duration;

/// Bound of the queue-disable waits at shutdown.
const STOP_TIMEOUT: Duration = Duration::from_millis(100);

fn no_register(dir: &'static str, queue: u32, reg: &str, len: usize) -> QueueError {
    QueueError::Register {
        dir,
        queue,
        reason: format!("no {reg} register for it ({reg} has {len} elements)"),
    }
}

fn bad_value(dir: &'static str, queue: u32, e: impl std::fmt::Display) -> QueueError {
    QueueError::Register {
        dir,
        queue,
        reason: e.to_string(),
    }
}

/// A receive queue's registers. RDT's offset is resolved once, so the per-refill tail write is
/// one store.
pub struct RxRegs<B: Bus> {
    regs: Regs<B>,
    rdt: Element<RDT::Reg>,
}

impl<B: Bus> RxRegs<B> {
    /// Receive queue `q`'s registers; an error when the table has no RDT for `q`.
    pub fn new(regs: Regs<B>, q: u32) -> Result<Self, QueueError> {
        let i = Index::<<RDT::Reg as ArraySpec>::Indices>::new(q)
            .ok_or_else(|| no_register("RX", q, "RDT", regs.RDT().len()))?;
        Ok(RxRegs {
            regs,
            rdt: Element::new(i),
        })
    }

    fn q(&self) -> u32 {
        self.rdt.index()
    }
}

impl<B: Bus> QueueRegs for RxRegs<B> {
    #[inline(always)]
    fn id(&self) -> u32 {
        self.rdt.index()
    }
    /// The release fence, then RDT.
    #[inline(always)]
    fn write_tail(&self, tail: u32) {
        self.rdt.on(self.regs.bus()).write_publish(tail);
    }
    /// RDBAL/RDBAH, RDLEN, RDH = RDT = 0 (4.5.9).
    fn set_ring(&self, phys: u64, bytes: usize) -> Result<(), QueueError> {
        let q = self.q();
        let len = RDLEN::LEN
            .try_val(u32::try_from(bytes).unwrap_or(u32::MAX))
            .map_err(|e| bad_value("RX", q, e))?;
        self.regs.RDBAL().at(q).write(phys as u32);
        self.regs.RDBAH().at(q).write((phys >> 32) as u32);
        self.regs.RDLEN().at(q).write(len);
        self.regs.RDH().at(q).write(0u32);
        self.regs.RDT().at(q).write(0u32);
        Ok(())
    }
    fn enable(&self) {
        crate::init::enable_rx_queue(&self.regs, self.q());
    }
    /// RXDCTL.ENABLE reads back set (4.5.9).
    fn wait_enabled(&self, timeout: Duration) -> bool {
        self.regs
            .RXDCTL()
            .at(self.q())
            .wait_set(RXDCTL::ENABLE, timeout)
            .is_ok()
    }
    /// RXDCTL.ENABLE = 0 and a bounded wait until it reads 0 (4.5.9).
    fn stop(&self) -> bool {
        let q = self.q();
        self.regs.RXDCTL().at(q).clr(RXDCTL::ENABLE);
        self.regs
            .RXDCTL()
            .at(q)
            .wait_clear(RXDCTL::ENABLE, STOP_TIMEOUT)
            .is_ok()
    }
    /// RDH: the next descriptor the card processes.
    fn head(&self) -> u32 {
        self.regs.RDH().at(self.q()).read().bits()
    }
}

/// A transmit queue's registers, TDT's offset resolved once.
pub struct TxRegs<B: Bus> {
    regs: Regs<B>,
    tdt: Element<TDT::Reg>,
}

impl<B: Bus> TxRegs<B> {
    /// Transmit queue `q`'s registers; an error when the table has no TDT for `q`.
    pub fn new(regs: Regs<B>, q: u32) -> Result<Self, QueueError> {
        let i = Index::<<TDT::Reg as ArraySpec>::Indices>::new(q)
            .ok_or_else(|| no_register("TX", q, "TDT", regs.TDT().len()))?;
        Ok(TxRegs {
            regs,
            tdt: Element::new(i),
        })
    }

    fn q(&self) -> u32 {
        self.tdt.index()
    }
}

impl<B: Bus> QueueRegs for TxRegs<B> {
    #[inline(always)]
    fn id(&self) -> u32 {
        self.tdt.index()
    }
    /// The release fence, then TDT.
    #[inline(always)]
    fn write_tail(&self, tail: u32) {
        self.tdt.on(self.regs.bus()).write_publish(tail);
    }
    /// TDBAL/TDBAH, TDLEN, TDH = TDT = 0.
    fn set_ring(&self, phys: u64, bytes: usize) -> Result<(), QueueError> {
        let q = self.q();
        let len = TDLEN::LEN
            .try_val(u32::try_from(bytes).unwrap_or(u32::MAX))
            .map_err(|e| bad_value("TX", q, e))?;
        self.regs.TDBAL().at(q).write(phys as u32);
        self.regs.TDBAH().at(q).write((phys >> 32) as u32);
        self.regs.TDLEN().at(q).write(len);
        self.regs.TDH().at(q).write(0u32);
        self.regs.TDT().at(q).write(0u32);
        Ok(())
    }
    fn enable(&self) {
        crate::init::enable_tx_queue(&self.regs, self.q());
    }
    /// TXDCTL.ENABLE reads back set.
    fn wait_enabled(&self, timeout: Duration) -> bool {
        self.regs
            .TXDCTL()
            .at(self.q())
            .wait_set(TXDCTL::ENABLE, timeout)
            .is_ok()
    }
    /// TXDCTL.ENABLE = 0 and a bounded wait until it reads 0.
    fn stop(&self) -> bool {
        let q = self.q();
        self.regs.TXDCTL().at(q).clr(TXDCTL::ENABLE);
        self.regs
            .TXDCTL()
            .at(q)
            .wait_clear(TXDCTL::ENABLE, STOP_TIMEOUT)
            .is_ok()
    }
    /// TDH: the next descriptor the card processes.
    fn head(&self) -> u32 {
        self.regs.TDH().at(self.q()).read().bits()
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
        for q in [0, 15] {
            assert_eq!(RxRegs::new(Regs::new(NoBus), q).unwrap().id(), q);
            assert_eq!(TxRegs::new(Regs::new(NoBus), q).unwrap().id(), q);
        }
        let e = RxRegs::new(Regs::new(NoBus), 16).err().unwrap().to_string();
        assert!(e.contains("queue 16"), "{e}");
        assert!(e.contains("RDT"), "{e}");
        let e = TxRegs::new(Regs::new(NoBus), 16).err().unwrap().to_string();
        assert!(e.contains("TX queue 16") && e.contains("TDT"), "{e}");
    }
}
