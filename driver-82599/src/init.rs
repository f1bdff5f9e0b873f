//! Bringing the card up, step by step in the datasheet's order (82599 datasheet 4.6.3 and
//! after). Every wait is bounded and ends in a typed error.

use crate::config::{Config, BSIZE_UNIT, FRAME_OVERHEAD};
use crate::error::{Error, Result};
use crate::regs::*;
use crate::rss::{self, RssConfig};
use regdsl_rt::{Bus, Timeout};
use std::time::Duration;

/// Time the datasheet asks to wait after the reset bits clear before touching the card
/// (4.6.3.2: "at least 10 ms").
const POST_RESET: Duration = Duration::from_millis(10);
/// Bound of the wait for the card's master requests to drain after CTRL.PCIE_MASTER_DISABLE
/// (5.2.5.3.2; public drivers allow up to 80 ms, 800 polls of 100 us).
pub const MASTER_DISABLE_TIMEOUT: Duration = Duration::from_millis(80);
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
    // MSI-X vectors 16..63 are masked only here (8.2.3.5); 0..15 are EIMC's bits 15:0 too.
    for i in 0..2 {
        regs.EIMC_EX().at(i).write(EIMC_EX::INTERRUPT_MASK.mask());
    }
    let _ = regs.EICR().read();
}

/// 5.2.5.3.2: stop the card issuing new master requests (CTRL.PCIE_MASTER_DISABLE) and wait
/// (bounded) until none is pending (STATUS.PCIE_MASTER_ENABLE_STATUS clear). `false` when
/// requests are still pending at the end of the wait.
pub fn disable_pcie_master<B: Bus>(regs: &Regs<B>, timeout: Duration) -> bool {
    regs.CTRL().set(CTRL::PCIE_MASTER_DISABLE);
    regs.STATUS()
        .wait_clear(STATUS::PCIE_MASTER_ENABLE_STATUS, timeout)
        .is_ok()
}

/// 4.6.3.2: global reset (CTRL.RST | CTRL.LRST) once the card's master requests have drained
/// (5.2.5.3.2: a reset with requests pending can corrupt them), bounded wait for both bits to
/// clear, then the settle time and interrupts masked again (the reset unmasked them).
pub fn global_reset<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    disable_interrupts(regs);
    // A master that does not drain in time is reset anyway (5.2.5.3.2 allows it; the reset
    // clears PCIE_MASTER_DISABLE): refusing would leave the card as it is, still running.
    let _drained = disable_pcie_master(regs, MASTER_DISABLE_TIMEOUT.min(timeout));
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

/// 8.2.3.1.3: tell the firmware a driver has taken the card (CTRL_EXT.DRV_LOAD); cleared again
/// when the driver lets go ([`stop`]).
pub fn take_control<B: Bus>(regs: &Regs<B>) {
    regs.CTRL_EXT().set(CTRL_EXT::DRV_LOAD);
}

/// 4.6.4: link setup for the media the driver supports, SFP+ (SFI): 10 Gb/s serial link mode
/// (AUTOC.LMS = 011b, 8.2.3.22.1) with the serial PMA/PMD set to SFI (AUTOC2.10G_PMA_PMD_SERIAL
/// = 10b, 8.2.3.22.3; AUTOC's PMA_PMD_10G is for the parallel modes and stays as loaded), then
/// a link restart. Other media are refused by device id before the card is touched
/// ([`crate::backend::media`]). The link comes up later (waited for at the end of init).
///
/// AUTOC and AUTOC2 are shared with the firmware: written holding SW_FW_SYNC.SW_MAC_CSR_SM
/// ([`crate::swfw`], datasheet 10.5.4).
pub fn setup_link<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<()> {
    crate::swfw::with(regs, crate::swfw::Resource::MAC_CSR, timeout, || {
        regs.AUTOC2()
            .modify(|v| v.with(AUTOC2::PMA_PMD_10G_SERIAL::SFI));
        regs.AUTOC().modify(|v| v.with(AUTOC::LMS::SERIAL_10G));
        regs.AUTOC().set(AUTOC::RESTART_AN);
    })
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
    clear_filters(regs);
    // 7.1.2.8, 8.2.3.7.5: the descriptor's RSS field carries the RSS hash, not the IP
    // identification and fragment checksum (which this driver does not use). Written here, with
    // receive off, so that set_rss can turn RSS on later without stopping receive.
    regs.RXCSUM().set(RXCSUM::PCSD);
    set_rss(regs, cfg.rss.as_ref(), cfg.all_rx_queues())?;
    Ok(())
}

/// 4.6.7, 8.2.3.7: the filter tables that the reset leaves undefined, cleared before receive
/// is enabled: receive addresses 1..127 (RAL/RAH, address 0 is the card's own, loaded from the
/// EEPROM), the multicast table (MTA), the VLAN filter table (VFTA) and the 5-tuple filters
/// (FTQF, SAQF, DAQF, SDPQF).
pub fn clear_filters<B: Bus>(regs: &Regs<B>) {
    for i in 1..regs.RAL().len() as u32 {
        regs.RAH().at(i).write(0u32);
        regs.RAL().at(i).write(0u32);
    }
    for r in regs.MTA().iter() {
        r.write(0u32);
    }
    for r in regs.VFTA().iter() {
        r.write(0u32);
    }
    // FTQF first: its queue-enable bit off before the tuple it applies to changes.
    for r in regs.FTQF().iter() {
        r.write(0u32);
    }
    for r in regs.SAQF().iter() {
        r.write(0u32);
    }
    for r in regs.DAQF().iter() {
        r.write(0u32);
    }
    for r in regs.SDPQF().iter() {
        r.write(0u32);
    }
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
    for (i, r) in regs.RSSRK().iter().enumerate() {
        let k = &rss.key[i * 4..i * 4 + 4];
        let word = u32::from_le_bytes([k[0], k[1], k[2], k[3]]);
        r.write(RSSRK::KEY.val(word));
    }
    // RETA[i] holds entries 4i..4i+3 (8.2.3.7.15); Config::validate checked each entry.
    for (i, r) in regs.RETA().iter().enumerate() {
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
    // corrupts payloads): write the register's reset settings (DCA off, relaxed ordering of
    // descriptor reads, data writes and replicated headers on) with bit 12 clear (the table's
    // RSV12, written 0 by every write through the generated handle).
    regs.DCA_RXCTRL().at(q).write(
        DCA_RXCTRL::RX_DESC_READ_RO_EN
            | DCA_RXCTRL::RX_DATA_WRITE_RO_EN
            | DCA_RXCTRL::RX_REP_HEADER_RO_EN,
    );
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
    // 4.6.11.3.1 (DCB off): the descriptor-plane arbiter is disabled (RTTDCS.ARBDIS) while the
    // packet buffers and the queue mode change, and enabled again after.
    regs.RTTDCS().set(RTTDCS::ARBDIS);
    // The whole 160 KiB transmit packet buffer to TC 0.
    for (i, r) in regs.TXPBSIZE().iter().enumerate() {
        let kb = if i == 0 { TX_PB_KB } else { 0 };
        r.write(TXPBSIZE::SIZE.try_val(kb).map_err(reg_err)?);
    }
    // 8.2.3.9.15: no DCB, no virtualisation: 64 queues (MTQC = 0).
    regs.MTQC().write(0u32);
    regs.RTTDCS().clr(RTTDCS::ARBDIS);
    // 8.2.3.9.11: the field is 12 bits wide; its maximum.
    regs.DTXMXSZRQ().write(DTXMXSZRQ::MAX_BYTES_NUM_REQ.mask());
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

/// Stops the card before the driver lets go of it or of its memory (every exit path: [`Drop`]
/// of the device, and an init that failed after rings were handed over): receive off
/// (RXCTRL.RXEN), transmit DMA off (DMATXCTL.TE), then PCIe mastering off and its requests
/// drained (5.2.5.3.2), and the firmware told the driver is gone (CTRL_EXT.DRV_LOAD, 8.2.3.1.3).
/// The queues are disabled (and waited for) by their own drop, before their memory is released.
/// `false` when master requests were still pending at the end of the bounded wait.
pub fn stop<B: Bus>(regs: &Regs<B>) -> bool {
    regs.RXCTRL().clr(RXCTRL::RXEN);
    regs.DMATXCTL().clr(DMATXCTL::TE);
    let drained = disable_pcie_master(regs, MASTER_DISABLE_TIMEOUT);
    regs.CTRL_EXT().clr(CTRL_EXT::DRV_LOAD);
    drained
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
