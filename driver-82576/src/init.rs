//! Bringing the device up, step by step in the order of the 82576 datasheet's software
//! initialization (4.5.3): interrupts masked (4.5.4), global reset (4.5.5), EEPROM auto-read,
//! link setup through the PHY (4.5.7), statistics cleared (4.5.8), receive (4.5.9), transmit
//! (4.5.10). Every wait is bounded and ends in a typed error, except the EEPROM wait, which is
//! tolerated (QEMU's model never sets EECD.AUTO_RD; on a real 82576 it is set within
//! milliseconds of reset).

use crate::config::{Config, BSIZE_UNIT};
use crate::error::{reg_err, Error, Result};
use crate::mdio::{Mdio, PHY_ADDR};
use crate::regs::phy::{BMCR, BMSR};
use crate::regs::*;
use regdsl_rt::Bus;
use std::time::Duration;

/// Settle time after the reset bit clears, before the registers are used again (4.5.5: at
/// least 1 ms after a software reset; 2 for margin).
const POST_RESET: Duration = Duration::from_millis(2);
/// Every cause of IMC/ICR and EIMC/EICR (the registers' full width).
const ALL_CAUSES: u32 = u32::MAX;
/// Receive queue thresholds (RXDCTL, 4.5.9): descriptors fetched once 8 are free (PTHRESH),
/// from 8 in host memory (HTHRESH), written back one at a time (WTHRESH 1: the driver sees each
/// frame at once).
const RX_PTHRESH: u32 = 8;
const RX_HTHRESH: u32 = 8;
const RX_WTHRESH: u32 = 1;
/// Transmit queue thresholds (TXDCTL, 4.5.10): prefetch 8, host 1, write-back per descriptor.
const TX_PTHRESH: u32 = 8;
const TX_HTHRESH: u32 = 1;
const TX_WTHRESH: u32 = 1;
/// TCTL.CT: collision threshold, the datasheet's value (4.5.10; unused in full duplex).
const TX_COLLISION_THRESHOLD: u32 = 15;
/// TCTL.COLD: collision distance in byte times, 63 for full duplex (4.5.10).
const TX_COLLISION_DISTANCE_FD: u32 = 63;

/// 4.5.4: mask every interrupt cause and clear pending ones: the driver polls (legacy causes
/// IMC/ICR, extended causes EIMC/EICR).
pub fn disable_interrupts<B: Bus>(regs: &Regs<B>) {
    regs.IMC().write(ALL_CAUSES);
    regs.EIMC().write(ALL_CAUSES);
    regs.ICR().write(ALL_CAUSES);
    regs.EICR().write(ALL_CAUSES);
}

/// 4.5.5: device reset (CTRL.RST, self-clearing), bounded wait, settle, interrupts masked again
/// (the reset unmasks them). Receive and transmit are stopped first so that no DMA is in flight
/// across the reset.
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

/// 4.5.3: bounded wait for the EEPROM auto-read (EECD.AUTO_RD). Returns whether it was seen;
/// running out is not an error.
pub fn wait_eeprom<B: Bus>(regs: &Regs<B>, timeout: Duration) -> bool {
    regs.EECD().wait_set(EECD::AUTO_RD, timeout).is_ok()
}

/// 4.5.7: link setup for the internal copper PHY: the MAC follows the PHY (auto speed detection, link
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

/// 4.5.9: receive setup before any queue runs: receiver off, unicast address 0 kept valid (the
/// device loads it from the EEPROM), every other address entry and the multicast table
/// cleared.
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

/// 4.5.9: one receive queue's registers: advanced one-buffer descriptors of `buf_size` bytes,
/// then the ring, head and tail 0 (through [`crate::queue::RxRegs`]). The queue is enabled
/// later ([`enable_rx_queue`], from `RxQueue::start`).
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

/// 4.5.9: receive on: broadcast accepted, CRC stripped (lengths and buffers hold the frame
/// only), promiscuous on request, descriptor-type field of RCTL left 0 (SRRCTL decides).
pub fn enable_rx<B: Bus>(regs: &Regs<B>, promisc: bool) {
    let mut v = RCTL::EN | RCTL::BAM | RCTL::SECRC;
    if promisc {
        v = v | RCTL::UPE | RCTL::MPE;
    }
    regs.RCTL().write(v);
}

/// 4.5.9: enable a receive queue with its thresholds. `RxQueue::start` then waits for ENABLE
/// to read back and hands the device its buffers with the tail write.
pub fn enable_rx_queue<B: Bus>(regs: &Regs<B>, q: u32) {
    regs.RXDCTL().at(q).write(
        RXDCTL::PTHRESH.val(RX_PTHRESH)
            | RXDCTL::HTHRESH.val(RX_HTHRESH)
            | RXDCTL::WTHRESH.val(RX_WTHRESH)
            | RXDCTL::ENABLE,
    );
}

/// 4.5.10: one transmit queue's registers (the ring through [`crate::queue::TxRegs`]); enabled
/// later ([`enable_tx_queue`], from `TxQueue::start`).
pub fn init_tx_queue<B: Bus + Clone>(regs: &Regs<B>, txq: &crate::TxQueue<B>) -> Result<()> {
    regs.TXDCTL().at(txq.id()).clr(TXDCTL::ENABLE);
    Ok(txq.set_ring()?)
}

/// 4.5.10: enable a transmit queue with its thresholds; `TxQueue::start` then waits for it.
pub fn enable_tx_queue<B: Bus>(regs: &Regs<B>, q: u32) {
    regs.TXDCTL().at(q).write(
        TXDCTL::PTHRESH.val(TX_PTHRESH)
            | TXDCTL::HTHRESH.val(TX_HTHRESH)
            | TXDCTL::WTHRESH.val(TX_WTHRESH)
            | TXDCTL::ENABLE,
    );
}

/// 4.5.10: transmit on: pad short frames (PSP), collision threshold and distance as the
/// datasheet recommends for full duplex.
pub fn enable_tx<B: Bus>(regs: &Regs<B>) {
    regs.TCTL().write(
        TCTL::EN
            | TCTL::PSP
            | TCTL::CT.val(TX_COLLISION_THRESHOLD)
            | TCTL::COLD.val(TX_COLLISION_DISTANCE_FD),
    );
}
