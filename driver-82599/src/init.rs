//! Bringing the card up, step by step in the datasheet's order (82599 datasheet 4.6.3 and
//! after). Every wait is bounded and ends in a typed error.

use crate::config::{Config, BSIZE_UNIT, FRAME_OVERHEAD};
use crate::error::{Error, Result};
use crate::regs::*;
use crate::rss::{self, RssConfig, KEY_LEN, RETA_LEN};
use regdsl_rt::{Bus, Timeout};
use std::time::Duration;

/// Time the datasheet asks to wait after the reset bits clear before touching the card
/// (4.6.3.2: "at least 10 ms").
const POST_RESET: Duration = Duration::from_millis(10);
/// Receive packet buffer of the 82599 in KB, all of it to TC 0 without DCB (4.6.11.3.1).
const RX_PB_KB: u32 = 512;
/// Transmit packet buffer in KB (4.6.11.3.1).
const TX_PB_KB: u32 = 160;
/// The largest standard (non-jumbo) frame, CRC included (8.2.3.22.8 HLREG0.JUMBOEN).
const STD_MAX_FRAME: u32 = 1518;
/// TXDCTL prefetch and host thresholds as public drivers set them for throughput (7.2.3.4.1);
/// write-back threshold 0: DD is written for every RS descriptor without delay.
const TX_PTHRESH: u32 = 36;
const TX_HTHRESH: u32 = 8;
const TX_WTHRESH: u32 = 0;

fn reg_err(e: impl std::fmt::Display) -> Error {
    Error::Register(e.to_string())
}

/// 4.6.3.1: mask every interrupt cause and clear pending ones (the driver polls).
pub fn disable_interrupts<B: Bus>(regs: &Regs<B>) {
    regs.EIMC().write(EIMC::INTERRUPT_MASK.mask());
    let _ = regs.EICR().read();
}

/// 4.6.3.2: global reset (CTRL.RST | CTRL.LRST), bounded wait for both bits to clear, then the
/// settle time and interrupts masked again (the reset unmasked them).
pub fn global_reset<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    disable_interrupts(regs);
    regs.CTRL().set(CTRL::RST | CTRL::LRST);
    regs.CTRL()
        .wait_clear(CTRL::RST | CTRL::LRST, timeout)
        .map_err(|_: Timeout| Error::ResetTimeout(timeout))?;
    std::thread::sleep(POST_RESET);
    disable_interrupts(regs);
    Ok(())
}

/// 4.6.3: wait for the EEPROM auto-read (EEC.ARD) and DMA initialisation (RDRXCTL.DMAIDONE).
pub fn wait_eeprom_and_dma<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    regs.EEC()
        .wait_set(EEC::ARD, timeout)
        .map_err(|_| Error::EepromTimeout(timeout))?;
    regs.RDRXCTL()
        .wait_set(RDRXCTL::DMAIDONE, timeout)
        .map_err(|_| Error::DmaInitTimeout(timeout))?;
    Ok(())
}

/// 4.6.4: link setup for 10 Gb/s serial (SFP+) and an auto-negotiation restart.
pub fn setup_link<B: Bus>(regs: &Regs<B>) {
    regs.AUTOC().modify(|v| {
        v.with(AUTOC::LMS::SERIAL_10G)
            .with(AUTOC::PMA_PMD_10G::XAUI)
    });
    regs.AUTOC().set(AUTOC::RESTART_AN);
}

/// 4.6.7: receive path, with RXCTRL.RXEN clear while the filters and buffers are set.
pub fn init_rx<B: Bus>(regs: &Regs<B>, cfg: &Config) -> Result<()> {
    regs.RXCTRL().clr(RXCTRL::RXEN);
    // 4.6.11.3.1 (no DCB): the whole 512 KiB receive packet buffer to TC 0.
    for (i, r) in regs.RXPBSIZE().iter().enumerate() {
        let kb = if i == 0 { RX_PB_KB } else { 0 };
        r.write(RXPBSIZE::SIZE.try_val(kb).map_err(reg_err)?);
    }
    // 4.6.7: strip the CRC in the MAC and in the DMA; RSC state reset as 8.2.3.8.8 asks.
    regs.HLREG0().set(HLREG0::RXCRCSTRP);
    regs.RDRXCTL().modify(|v| {
        v.set(RDRXCTL::CRCSTRIP | RDRXCTL::RSCACKC | RDRXCTL::FCOE_WRFIX)
            .with(RDRXCTL::RSCFRSTSIZE.val(0))
    });
    // 8.2.3.7.1: broadcast accepted; unicast/multicast promiscuous on request. Only while
    // RXEN = 0.
    set_filter(regs, cfg.promisc);
    set_frame_size(regs, cfg.mtu)?;
    // 4.6.7: no-snoop disable, as every public driver does for DMA coherency.
    regs.CTRL_EXT().set(CTRL_EXT::NS_DIS);
    set_rss(regs, cfg.rss.as_ref(), cfg.rx_queues)?;
    Ok(())
}

/// 8.2.3.7.1 FCTRL: broadcast accept, and unicast + multicast promiscuous when asked.
pub fn set_filter<B: Bus>(regs: &Regs<B>, promisc: bool) {
    regs.FCTRL().modify(|v| {
        let v = v.set(FCTRL::BAM);
        if promisc {
            v.set(FCTRL::MPE | FCTRL::UPE)
        } else {
            v.clr(FCTRL::MPE | FCTRL::UPE)
        }
    });
}

/// 8.2.3.22.13 MAXFRS.MFS (MHADD on the 82598) and 8.2.3.22.8 HLREG0.JUMBOEN for frames of MTU + 18 bytes.
pub fn set_frame_size<B: Bus>(regs: &Regs<B>, mtu: usize) -> Result<()> {
    let frame = (mtu + FRAME_OVERHEAD) as u32;
    regs.MAXFRS()
        .set(MAXFRS::MFS.try_val(frame).map_err(reg_err)?);
    if frame > STD_MAX_FRAME {
        regs.HLREG0().set(HLREG0::JUMBOEN);
    } else {
        regs.HLREG0().clr(HLREG0::JUMBOEN);
    }
    Ok(())
}

/// 7.1.2.8: RSS key (RSSRK), redirection table (RETA) and MRQC. One queue: RSS off.
pub fn set_rss<B: Bus>(regs: &Regs<B>, rss: Option<&RssConfig>, queues: u16) -> Result<()> {
    if queues <= 1 && rss.is_none() {
        regs.MRQC().write(MRQC::MRQE::NONE);
        return Ok(());
    }
    let spread = RssConfig::spread(queues.min(rss::MAX_QUEUES) as u8);
    let rss = rss.unwrap_or(&spread);
    // RSSRK[i] holds key bytes 4i..4i+3, byte 4i in the low bits (7.1.2.8.1).
    for (i, r) in regs.RSSRK().iter().enumerate().take(KEY_LEN / 4) {
        let k = &rss.key[i * 4..i * 4 + 4];
        let word = u32::from_le_bytes([k[0], k[1], k[2], k[3]]);
        r.write(RSSRK::KEY.val(word));
    }
    // RETA[i] holds entries 4i..4i+3 (8.2.3.7.15).
    for (i, r) in regs.RETA().iter().enumerate().take(RETA_LEN / 4) {
        let e = |j: usize| u32::from(rss.reta[i * 4 + j]);
        let v = RETA::ENTRY0.try_val(e(0)).map_err(reg_err)?
            | RETA::ENTRY1.try_val(e(1)).map_err(reg_err)?
            | RETA::ENTRY2.try_val(e(2)).map_err(reg_err)?
            | RETA::ENTRY3.try_val(e(3)).map_err(reg_err)?;
        r.write(v);
    }
    regs.MRQC().write(
        MRQC::MRQE::RSS
            | MRQC::IPV4
            | MRQC::TCPIPV4
            | MRQC::UDPIPV4
            | MRQC::IPV6
            | MRQC::TCPIPV6
            | MRQC::UDPIPV6,
    );
    Ok(())
}

/// 4.6.7.1: one receive queue's registers (buffer size, descriptor type, drop enable, then the
/// ring through [`crate::queue::RxRegs`]).
pub fn init_rx_queue<B: Bus + Clone>(
    regs: &Regs<B>,
    rxq: &crate::RxQueue<B>,
    buf_size: usize,
) -> Result<()> {
    let q = rxq.id();
    let bsize = (buf_size / BSIZE_UNIT) as u32;
    let bsize = SRRCTL::BSIZEPACKET.try_val(bsize).map_err(reg_err)?;
    regs.SRRCTL()
        .at(q)
        .set(SRRCTL::DESCTYPE::ADV_ONEBUF | SRRCTL::DROP_EN | bsize);
    rxq.set_ring()?;
    // DCA_RXCTRL bit 12 resets to 1 but must be 0 (datasheet 8.2.3.11.1; left set it
    // corrupts payloads). The table declares it reserved with write=0, so any write through
    // the generated handle clears it: rewrite the register with its other bits unchanged.
    regs.DCA_RXCTRL().at(q).modify(|v| v);
    Ok(())
}

/// Queue statistics mapping (8.2.3.23.70 RQSMR, 8.2.3.23.71 TQSM): queue q counts into
/// per-queue counter q for q < 16.
pub fn map_queue_stats<B: Bus>(regs: &Regs<B>, rx: u16, tx: u16) {
    // Queue 4i+j is mapped by field Q_MAPj of word i; queues past 15 share counter 0.
    let m = |n: u16, q: usize| -> u32 {
        if q < usize::from(n) && q < crate::HW_STAT_QUEUES {
            q as u32
        } else {
            0
        }
    };
    for i in 0..crate::HW_STAT_QUEUES / 4 {
        let i32 = i as u32;
        regs.RQSMR().at(i32).write(
            RQSMR::Q_MAP0.val(m(rx, 4 * i))
                | RQSMR::Q_MAP1.val(m(rx, 4 * i + 1))
                | RQSMR::Q_MAP2.val(m(rx, 4 * i + 2))
                | RQSMR::Q_MAP3.val(m(rx, 4 * i + 3)),
        );
        regs.TQSM().at(i32).write(
            TQSM::Q_MAP0.val(m(tx, 4 * i))
                | TQSM::Q_MAP1.val(m(tx, 4 * i + 1))
                | TQSM::Q_MAP2.val(m(tx, 4 * i + 2))
                | TQSM::Q_MAP3.val(m(tx, 4 * i + 3)),
        );
    }
}

/// 4.6.8: transmit path.
pub fn init_tx<B: Bus>(regs: &Regs<B>) -> Result<()> {
    regs.HLREG0().set(HLREG0::TXCRCEN | HLREG0::TXPADEN);
    // 4.6.11.3.1 (no DCB): the whole 160 KiB transmit packet buffer to TC 0.
    for (i, r) in regs.TXPBSIZE().iter().enumerate() {
        let kb = if i == 0 { TX_PB_KB } else { 0 };
        r.write(TXPBSIZE::SIZE.try_val(kb).map_err(reg_err)?);
    }
    // 8.2.3.9.11: the field is 12 bits wide; its maximum.
    regs.DTXMXSZRQ().write(DTXMXSZRQ::MAX_BYTES_NUM_REQ.mask());
    // 4.6.8: the DCB arbiter off during setup, as required without DCB.
    regs.RTTDCS().clr(RTTDCS::ARBDIS);
    Ok(())
}

/// 4.6.8.1: one transmit queue's registers (the ring through [`crate::queue::TxRegs`]).
pub fn init_tx_queue<B: Bus + Clone>(regs: &Regs<B>, txq: &crate::TxQueue<B>) -> Result<()> {
    let q = txq.id();
    txq.set_ring()?;
    // 7.2.3.4: prefetch/host thresholds as public drivers use them; write-back per descriptor.
    regs.TXDCTL().at(q).set(
        TXDCTL::PTHRESH.val(TX_PTHRESH)
            | TXDCTL::HTHRESH.val(TX_HTHRESH)
            | TXDCTL::WTHRESH.val(TX_WTHRESH),
    );
    Ok(())
}

/// 4.6.8: transmit DMA on (read-modify-write: the register's upper half is the VLAN ether type).
pub fn enable_tx_dma<B: Bus>(regs: &Regs<B>) {
    regs.DMATXCTL().set(DMATXCTL::TE);
}

/// 4.6.7: receive on, with the Rx security path halted around it (also the workaround for an
/// 82599 erratum: frames arriving as RXEN is set can hang the receive DMA). SECRXCTRL.RX_DIS
/// set, bounded wait for SECRXSTAT.SECRX_RDY (the path holds no frame), RXCTRL.RXEN set, then
/// RX_DIS cleared. On timeout RXEN stays clear and RX_DIS is cleared again.
pub fn enable_rx<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    regs.SECRXCTRL().set(SECRXCTRL::RX_DIS);
    if regs
        .SECRXSTAT()
        .wait_set(SECRXSTAT::SECRX_RDY, timeout)
        .is_err()
    {
        regs.SECRXCTRL().clr(SECRXCTRL::RX_DIS);
        return Err(Error::SecRxTimeout(timeout));
    }
    regs.RXCTRL().set(RXCTRL::RXEN);
    regs.SECRXCTRL().clr(SECRXCTRL::RX_DIS);
    Ok(())
}

/// 4.6.7.1: enable a receive queue (`RxQueue::start` then waits for it and hands the card its
/// buffers with the RDT write).
pub fn enable_rx_queue<B: Bus>(regs: &Regs<B>, q: u32) {
    regs.RXDCTL().at(q).set(RXDCTL::ENABLE);
}

/// 4.6.8.1: enable a transmit queue (`TxQueue::start` then waits for it).
pub fn enable_tx_queue<B: Bus>(regs: &Regs<B>, q: u32) {
    regs.TXDCTL().at(q).set(TXDCTL::ENABLE);
}
