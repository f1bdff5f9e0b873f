//! User-space driver for the Intel 82576 1 GbE controller (QEMU's `igb` device), written only
//! against the register types generated from `registers/82576.txt` (and the PHY's registers
//! from `registers/82576-phy.txt`, reached through MDIC).
//!
//! The same shape as the 82599 driver: batched receive and transmit of [`Packet`]s from a
//! shared [`Mempool`], 64-bit [`Stats`], one typed [`Error`].
//!
//! ```no_run
//! use driver_82576::{backend, prelude::*};
//! let mut dev = backend::open_pci("0000:01:00.0", Config::default())?;
//! let mut pkts = Vec::new();
//! let n = dev.rx_batch(0, &mut pkts, 32)?;     // zero-copy packets from the queue's pool
//! dev.tx_batch(0, &mut pkts)?;                 // sends them (buffers return once sent)
//! let s = dev.stats();                         // 64-bit totals of the device's counters
//! # let _ = (n, s);
//! # Ok::<(), driver_82576::Error>(())
//! ```

pub mod backend;
pub mod config;
pub mod desc;
pub mod error;
pub mod init;
pub mod irq;
pub mod link;
pub mod mdio;
pub mod queue;
pub mod regs;
pub mod rxq;
pub mod stats;
pub mod txq;

pub use config::Config;
pub use dma::{Mempool, Packet};
pub use error::{Error, Result};
pub use link::{Link, Speed};
pub use nic_queue::{DeviceError, ErrorKind, QueueDevice, QueueError};
pub use rxq::RxQueue;
pub use stats::{QueueCounters, Stats, SwQueueStats};
pub use txq::TxQueue;

/// What a program on this driver usually needs, in one `use driver_82576::prelude::*`: the device,
/// its configuration and error, packets, and [`QueueDevice`] (the trait the queue operations
/// are called through).
pub mod prelude {
    pub use crate::{
        Config, Device, DeviceError, Error, ErrorKind, Mempool, Packet, QueueDevice, QueueError,
        RxQueue, TxQueue,
    };
}

use crate::regs::*;
use dma::DmaMemory;
use regdsl_rt::Bus;
use std::sync::Arc;
use std::time::Duration;

/// One 82576 port, initialised and running.
///
/// `B` is how registers are reached: `regdsl_rt::Mmio` from `pci_dma` on real hardware, a
/// register file in tests. `Clone`, so that every queue has its own handle (read-to-clear
/// counters are read only through the device's).
pub struct Device<B: Bus + Clone> {
    regs: Regs<B>,
    dma: Arc<dyn DmaMemory>,
    cfg: Config,
    queues: nic_queue::Queues<rxq::RxRegs<B>, desc::Format, txq::TxRegs<B>>,
    raw: regs::Stats,
    stats: Stats,
    eeprom_auto_read: bool,
    /// Receive queues' eventfds, once interrupts are set up (`irq`).
    irq: Vec<pci_dma::EventFd>,
    /// MSI-X vectors of a card opened through VFIO.
    msix: Option<Arc<pci_dma::Msix>>,
}

impl<B: Bus + Clone> Device<B> {
    /// Resets and initialises the device behind `bus` (82576 datasheet 4.5), with rings and
    /// buffers from `dma`, and starts every queue.
    pub fn new(bus: B, dma: Arc<dyn DmaMemory>, cfg: Config) -> Result<Self> {
        cfg.validate()?;
        let regs = Regs::new(bus.clone());
        let t = cfg.wait_timeout;
        // 4.5.4-4.5.5: interrupts off, global reset, settle.
        init::reset(&regs, t)?;
        // 4.5.3: EEPROM auto-read (tolerated when it never signals).
        let eeprom_auto_read = init::wait_eeprom(&regs, cfg.eeprom_timeout);
        // 4.5.7: link setup through the PHY (the link comes up later; waited for at the end).
        init::setup_link(&regs, t)?;
        let mut dev = Device {
            regs,
            dma,
            cfg: cfg.clone(),
            queues: nic_queue::Queues::new(),
            raw: regs::Stats::new(),
            stats: Stats::default(),
            eeprom_auto_read,
            irq: Vec::new(),
            msix: None,
        };
        // 4.5.8: statistics start from zero: read (and so clear) every counter once.
        dev.raw.update(&mut dev.regs);
        dev.raw = regs::Stats::new();
        // 4.5.9: receive: filters, then each queue's ring and buffers.
        init::init_rx(&dev.regs);
        for q in 0..u32::from(cfg.rx_queues) {
            let ring = desc::alloc_ring(&*dev.dma, cfg.rx_ring)?;
            let pool = Mempool::new(&*dev.dma, cfg.pool_size, cfg.buf_size)?;
            let regs = rxq::RxRegs::new(Regs::new(bus.clone()), q)?;
            let rxq = dev.queues.add_rx(regs, ring, cfg.rx_ring, pool);
            init::init_rx_queue(&dev.regs, rxq, &cfg)?;
        }
        // 4.5.10: transmit rings.
        for q in 0..u32::from(cfg.tx_queues) {
            let ring = desc::alloc_ring(&*dev.dma, cfg.tx_ring)?;
            let regs = txq::TxRegs::new(Regs::new(bus.clone()), q)?;
            let txq = dev.queues.add_tx(regs, ring, cfg.tx_ring);
            init::init_tx_queue(&dev.regs, txq)?;
        }
        // 4.5.9-4.5.10: queues enabled, then receive and transmit on, then the receive buffers
        // handed over; 4.5.7: bounded wait for the link.
        for txq in dev.queues.tx_iter() {
            txq.start(t)?;
        }
        init::enable_tx(&dev.regs);
        init::enable_rx(&dev.regs, cfg.promisc);
        for rxq in dev.queues.rx_iter() {
            rxq.start(t)?;
        }
        if cfg.wait_link {
            link::wait_up(&dev.regs, cfg.link_timeout)?;
        }
        Ok(dev)
    }

    /// The configuration the device runs with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The register handles (e.g. to dump them).
    pub fn regs(&self) -> &Regs<B> {
        &self.regs
    }

    /// The DMA memory the device uses (for more pools).
    pub fn dma(&self) -> &Arc<dyn DmaMemory> {
        &self.dma
    }

    /// Whether EECD.AUTO_RD was seen during init (never on QEMU's model).
    pub fn eeprom_auto_read_done(&self) -> bool {
        self.eeprom_auto_read
    }

    /// Link state now.
    pub fn link(&self) -> Link {
        link::read(&self.regs)
    }

    /// Waits (bounded) for the link.
    pub fn wait_link(&self, timeout: Duration) -> Result<Link> {
        link::wait_up(&self.regs, timeout)
    }

    /// The PHY's basic status register (through MDIC).
    pub fn phy_status(&self) -> Result<regdsl_rt::Value<regs::phy::BMSR::Reg>> {
        init::phy_status(&self.regs, self.cfg.wait_timeout)
    }

    /// Receive address 0 (`RAL/RAH[0]`): the device's MAC address.
    pub fn mac_addr(&self) -> [u8; 6] {
        let lo = self.regs.RAL().at(0).read().get(RAL::RAL).to_le_bytes();
        let hi = self.regs.RAH().at(0).read().get(RAH::RAH).to_le_bytes();
        [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]]
    }

    /// Sets receive address 0 (valid bit set).
    pub fn set_mac_addr(&mut self, mac: [u8; 6]) {
        let lo = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
        let hi = u16::from_le_bytes([mac[4], mac[5]]);
        self.regs.RAL().at(0).write(lo);
        self.regs
            .RAH()
            .at(0)
            .modify(|v| v.with(RAH::RAH.val(u32::from(hi))).set(RAH::AV));
    }

    /// Promiscuous mode on or off (RCTL.UPE and MPE).
    pub fn set_promisc(&mut self, on: bool) {
        if on {
            self.regs.RCTL().set(RCTL::UPE | RCTL::MPE);
        } else {
            self.regs.RCTL().clr(RCTL::UPE | RCTL::MPE);
        }
        self.cfg.promisc = on;
    }

    /// Reads every counter of the table once (all in one pass: a model that mirrors one counter
    /// into another, as some QEMU versions do for GPTC/TPT, stays consistent) into the 64-bit
    /// totals, and returns them with the driver's per-queue counters.
    pub fn stats(&mut self) -> &Stats {
        self.raw.update(&mut self.regs);
        let queues = self
            .queues
            .counters()
            .iter()
            .map(|c| c.snapshot())
            .collect();
        self.stats = Stats::from_raw(&self.raw, queues);
        &self.stats
    }

    /// Totals of every counter of the table, as of the last [`Device::stats`].
    pub fn raw_stats(&self) -> &regs::Stats {
        &self.raw
    }
}

// The queue operations (`QueueDevice::pool`, `QueueDevice::rx_batch`,
// `QueueDevice::take_rx_queue`, ...), shared with the other drivers: bring the trait into
// scope (`use driver_82576::prelude::*`).
nic_queue::impl_queue_device! {
    [B: Bus + Clone] Device<B> {
        rx: rxq::RxRegs<B>, format: desc::Format, tx: txq::TxRegs<B>, error: Error, queues: queues
    }
}

impl<B: Bus + Clone> Drop for Device<B> {
    fn drop(&mut self) {
        // No more interrupt messages once the device goes (its eventfds close with it).
        if !self.irq.is_empty() {
            init::disable_interrupts(&self.regs);
        }
        // Receive off first, then the queues stop themselves before their buffers go back.
        self.regs.RCTL().clr(RCTL::EN);
        self.queues.clear();
        self.regs.TCTL().clr(TCTL::EN);
    }
}
