//! PHY registers through MDIC (82576 datasheet 8.2, MDI Control): a [`Bus`] whose offset `4*N` is
//! PHY register `N`, so that the PHY table (`registers/82576-phy.txt`) gives typed handles too:
//!
//! ```
//! # use driver_82576::mdio::{Mdio, PHY_ADDR};
//! # use driver_82576::regs::{phy, phy::BMCR, Regs};
//! # use regdsl_rt::{Bus, Site};
//! # use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
//! # use std::time::Duration;
//! # /// A stand-in MAC with only MDIC (0x00020) and a PHY of 32 registers: each MDIC command
//! # /// completes at once (READY, bit 28); OP 01b writes DATA, 10b reads into DATA.
//! # struct Mac { mdic: AtomicU32, phy: [AtomicU32; 32] }
//! # impl Bus for Mac {
//! #     fn read8(&self, _: usize, _: Site) -> u8 { unreachable!() }
//! #     fn write8(&self, _: usize, _: u8, _: Site) { unreachable!() }
//! #     fn read16(&self, _: usize, _: Site) -> u16 { unreachable!() }
//! #     fn write16(&self, _: usize, _: u16, _: Site) { unreachable!() }
//! #     fn read32(&self, off: usize, _: Site) -> u32 { assert_eq!(off, 0x20); self.mdic.load(Relaxed) }
//! #     fn write32(&self, off: usize, v: u32, _: Site) {
//! #         assert_eq!(off, 0x20);
//! #         let reg = &self.phy[(v >> 16 & 0x1F) as usize];
//! #         if v >> 26 & 3 == 1 { reg.store(v & 0xFFFF, Relaxed) }
//! #         self.mdic.store(v & !0xFFFF | reg.load(Relaxed) | 1 << 28, Relaxed);
//! #     }
//! # }
//! # let mac = Mac { mdic: AtomicU32::new(0), phy: std::array::from_fn(|_| AtomicU32::new(0)) };
//! # let regs = Regs::new(&mac);
//! # let timeout = Duration::from_millis(10);
//! let mdio = Mdio::new(&regs, PHY_ADDR, timeout);
//! let phy = phy::Regs::new(&mdio);
//! phy.BMCR().set(BMCR::ANENABLE | BMCR::ANRESTART);   // MDIC read, then MDIC write
//! mdio.result()?;                                      // the first MDIC failure, if any
//! assert!(phy.BMCR().read().is_set(BMCR::ANENABLE));
//! # Ok::<(), driver_82576::Error>(())
//! ```
//! A `Bus` cannot return errors, so a failed operation reads as 0, is not retried, and is kept:
//! every later access is skipped, and [`Mdio::result`] reports the first failure.

use crate::error::{Error, Result};
use crate::regs::{Regs, MDIC};
use regdsl_rt::{Bus, Site, Value};
use std::cell::Cell;
use std::time::Duration;

/// The internal PHY's MDIO address (the 82576's copper PHY answers at 1).
pub const PHY_ADDR: u32 = 1;

/// PHY register access through one device's MDIC register.
pub struct Mdio<'a, B: Bus> {
    regs: &'a Regs<B>,
    phy_addr: u32,
    timeout: Duration,
    failed: Cell<Option<MdioFailure>>,
}

#[derive(Clone, Copy, Debug)]
enum MdioFailure {
    Timeout {
        op: &'static str,
        reg: u32,
    },
    Error {
        op: &'static str,
        reg: u32,
        mdic: u32,
    },
}

impl<'a, B: Bus> Mdio<'a, B> {
    pub fn new(regs: &'a Regs<B>, phy_addr: u32, timeout: Duration) -> Self {
        Mdio {
            regs,
            phy_addr,
            timeout,
            failed: Cell::new(None),
        }
    }

    /// `Ok` if every operation so far completed; else the first failure.
    pub fn result(&self) -> Result<()> {
        match self.failed.get() {
            None => Ok(()),
            Some(MdioFailure::Timeout { op, reg }) => Err(Error::MdicTimeout {
                op,
                reg,
                timeout: self.timeout,
            }),
            Some(MdioFailure::Error { op, reg, mdic }) => Err(Error::MdicError { op, reg, mdic }),
        }
    }

    /// One MDIC transaction: the command with READY and ERROR written as 0, then a bounded wait for
    /// READY, then ERROR checked. Returns MDIC as read at the end.
    fn transact(&self, op: &'static str, reg: u32, data: u32) -> Option<Value<MDIC::Reg>> {
        if self.failed.get().is_some() {
            return None;
        }
        let cmd = if op == "read" {
            MDIC::OP::READ
        } else {
            MDIC::OP::WRITE
        };
        let v = MDIC::DATA.val(data & 0xFFFF)
            | MDIC::REGADD.val(reg & 0x1F)
            | MDIC::PHYADD.val(self.phy_addr & 0x1F)
            | cmd;
        self.regs.MDIC().write(v);
        let done = match self.regs.MDIC().wait_set(MDIC::READY, self.timeout) {
            Ok(v) => v,
            Err(_) => {
                self.failed.set(Some(MdioFailure::Timeout { op, reg }));
                return None;
            }
        };
        if done.is_set(MDIC::ERROR) {
            self.failed.set(Some(MdioFailure::Error {
                op,
                reg,
                mdic: done.bits(),
            }));
            return None;
        }
        Some(done)
    }

    /// PHY register number of a table offset (the PHY table places register N at 4*N).
    fn reg_of(offset: usize) -> u32 {
        debug_assert!(offset % 4 == 0 && offset / 4 <= 0x1F);
        (offset / 4) as u32
    }
}

impl<B: Bus> Bus for Mdio<'_, B> {
    // PHY registers are 16 bits wide (the PHY table declares them 32-bit at 4*N): a 16-bit
    // access is the register itself, an 8-bit one a byte of it.
    fn read8(&self, offset: usize, site: Site) -> u8 {
        (self.read16(offset & !1, site) >> (8 * (offset & 1))) as u8
    }
    fn write8(&self, offset: usize, value: u8, site: Site) {
        let old = self.read16(offset & !1, site);
        let shift = 8 * (offset & 1);
        self.write16(
            offset & !1,
            (old & !(0xFF << shift)) | (u16::from(value) << shift),
            site,
        )
    }
    fn read16(&self, offset: usize, site: Site) -> u16 {
        self.read32(offset & !3, site) as u16
    }
    fn write16(&self, offset: usize, value: u16, site: Site) {
        self.write32(offset & !3, u32::from(value), site)
    }
    fn read32(&self, offset: usize, _site: Site) -> u32 {
        let reg = Self::reg_of(offset);
        self.transact("read", reg, 0)
            .map_or(0, |v| v.get(MDIC::DATA))
    }
    fn write32(&self, offset: usize, value: u32, _site: Site) {
        let reg = Self::reg_of(offset);
        self.transact("write", reg, value);
    }
}
