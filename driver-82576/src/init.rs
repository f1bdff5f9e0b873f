//! Bringing the device up, in the order of the 82576 datasheet's software initialization (4.5):
//! interrupts masked, reset, EEPROM auto-read, link setup through the PHY, statistics cleared,
//! receive, transmit. Every wait is bounded and ends in a typed error, except the EEPROM wait,
//! which is tolerated (QEMU's model never sets EECD.AUTO_RD; on a real 82576 it is set within
//! milliseconds of reset).

use crate::config::{Config, BSIZE_UNIT};
use crate::error::{reg_err, Error, Result};
use crate::mdio::{Mdio, PHY_ADDR};
use crate::regs::phy::{BMCR, BMSR};
use crate::regs::*;
use regdsl_rt::Bus;
use std::time::Duration;

/// Settle time after the reset bit clears, before the registers are used again (the datasheet
/// asks software to wait at least 1 ms after a software reset).
const POST_RESET: Duration = Duration::from_millis(2);

/// Mask every interrupt cause and clear pending ones: the driver polls (legacy causes IMC/ICR,
/// extended causes EIMC/EICR).
pub fn disable_interrupts<B: Bus>(regs: &Regs<B>) {
    regs.IMC().write(u32::MAX);
    regs.EIMC().write(u32::MAX);
    regs.ICR().write(u32::MAX);
    regs.EICR().write(u32::MAX);
}

/// Device reset (CTRL.RST, self-clearing), bounded wait, settle, interrupts masked again.
/// Also stops receive and transmit first so that no DMA is in flight across the reset.
pub fn reset<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    disable_interrupts(regs);
    regs.RCTL().write(0u32);
    regs.TCTL().clr(TCTL::EN);
    regs.CTRL().set(CTRL::RST);
    regs.CTRL()
        .wait_clear(CTRL::RST, timeout)
        .map_err(|_| Error::ResetTimeout(timeout))?;
    std::thread::sleep(POST_RESET);
    disable_interrupts(regs);
    Ok(())
}

/// Bounded wait for the EEPROM auto-read (EECD.AUTO_RD). Returns whether it was seen; running
/// out is not an error.
pub fn wait_eeprom<B: Bus>(regs: &Regs<B>, timeout: Duration) -> bool {
    regs.EECD().wait_set(EECD::AUTO_RD, timeout).is_ok()
}

/// Link setup for the internal copper PHY: the MAC follows the PHY (auto speed detection, link
/// set up, no forced speed or duplex, no link reset), then auto-negotiation is enabled and
/// restarted in the PHY's BMCR through MDIC. The link comes up later (waited for at the end of
/// init): QEMU's model raises it only after this restart, a real PHY after negotiation.
pub fn setup_link<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    regs.CTRL_EXT()
        .modify(|v| v.with(CTRL_EXT::LINK_MODE::COPPER));
    regs.CTRL().modify(|v| {
        v.set(CTRL::SLU | CTRL::ASDE)
            .clr(CTRL::LRST | CTRL::FRCSPD | CTRL::FRCDPX | CTRL::PHY_RST)
    });
    let mdio = Mdio::new(regs, PHY_ADDR, timeout);
    let phy = phy::Regs::new(&mdio);
    phy.BMCR().modify(|v| {
        v.set(BMCR::ANENABLE | BMCR::ANRESTART)
            .clr(BMCR::PDOWN | BMCR::ISOLATE)
    });
    mdio.result()
}

/// The PHY's basic status (BMSR), read twice: link status is latched low.
pub fn phy_status<B: Bus>(
    regs: &Regs<B>,
    timeout: Duration,
) -> Result<regdsl_rt::Value<BMSR::Reg>> {
    let mdio = Mdio::new(regs, PHY_ADDR, timeout);
    let phy = phy::Regs::new(&mdio);
    let _ = phy.BMSR().read();
    let v = phy.BMSR().read();
    mdio.result()?;
    Ok(v)
}

/// Receive setup before any queue runs: receiver off, unicast address 0 kept valid (the device
/// loads it from the EEPROM), every other address entry and the multicast table cleared.
pub fn init_rx<B: Bus>(regs: &Regs<B>) {
    regs.RCTL().write(0u32);
    regs.RAH().at(0).set(RAH::AV);
    for i in 1..regs.RAL().len() as u32 {
        regs.RAH().at(i).write(0u32);
        regs.RAL().at(i).write(0u32);
    }
    for m in regs.MTA().iter() {
        m.write(0u32);
    }
}

/// One receive queue's registers: advanced one-buffer descriptors of `buf_size` bytes, then the
/// ring, head and tail 0 (through [`crate::queue::RxRegs`]). The queue is enabled later
/// ([`enable_rx_queue`], from `RxQueue::start`).
pub fn init_rx_queue<B: Bus + Clone>(
    regs: &Regs<B>,
    rxq: &crate::RxQueue<B>,
    cfg: &Config,
) -> Result<()> {
    let q = rxq.id();
    regs.RXDCTL().at(q).clr(RXDCTL::ENABLE);
    let bsize = (cfg.buf_size / BSIZE_UNIT) as u32;
    let bsize = SRRCTL::BSIZEPACKET.try_val(bsize).map_err(reg_err)?;
    regs.SRRCTL().at(q).modify(|v| {
        let v = v.with(SRRCTL::DESCTYPE::ADV_ONEBUF | bsize | SRRCTL::BSIZEHEADER.val(0));
        if cfg.drop_when_full {
            v.set(SRRCTL::DROP_EN)
        } else {
            v.clr(SRRCTL::DROP_EN)
        }
    });
    rxq.set_ring()?;
    Ok(())
}

/// Receive on: broadcast accepted, CRC stripped (lengths and buffers hold the frame only),
/// promiscuous on request, descriptor-type field of RCTL left 0 (SRRCTL decides).
pub fn enable_rx<B: Bus>(regs: &Regs<B>, promisc: bool) {
    let mut v = RCTL::EN | RCTL::BAM | RCTL::SECRC;
    if promisc {
        v = v | RCTL::UPE | RCTL::MPE;
    }
    regs.RCTL().write(v);
}

/// Enable a receive queue (thresholds: prefetch 8, host 8, write-back 1 so that every
/// descriptor is written back at once). `RxQueue::start` then waits for ENABLE to read back and
/// hands the device its buffers with the tail write.
pub fn enable_rx_queue<B: Bus>(regs: &Regs<B>, q: u32) {
    regs.RXDCTL().at(q).write(
        RXDCTL::PTHRESH.val(8) | RXDCTL::HTHRESH.val(8) | RXDCTL::WTHRESH.val(1) | RXDCTL::ENABLE,
    );
}

/// One transmit queue's registers (the ring through [`crate::queue::TxRegs`]); enabled later
/// ([`enable_tx_queue`], from `TxQueue::start`).
pub fn init_tx_queue<B: Bus + Clone>(regs: &Regs<B>, txq: &crate::TxQueue<B>) -> Result<()> {
    regs.TXDCTL().at(txq.id()).clr(TXDCTL::ENABLE);
    Ok(txq.set_ring()?)
}

/// Enable a transmit queue (write-back per descriptor); `TxQueue::start` then waits for it.
pub fn enable_tx_queue<B: Bus>(regs: &Regs<B>, q: u32) {
    regs.TXDCTL().at(q).write(
        TXDCTL::PTHRESH.val(8) | TXDCTL::HTHRESH.val(1) | TXDCTL::WTHRESH.val(1) | TXDCTL::ENABLE,
    );
}

/// Transmit on: pad short frames, collision threshold 15 and distance 63 (full duplex), as the
/// datasheet recommends.
pub fn enable_tx<B: Bus>(regs: &Regs<B>) {
    regs.TCTL()
        .write(TCTL::EN | TCTL::PSP | TCTL::CT.val(15) | TCTL::COLD.val(63));
}
