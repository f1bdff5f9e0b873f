//! User-space driver for the Intel 82599 10 GbE controller, written only against the register
//! types generated from `registers/82599.txt`.
//!
//! A device is a register bus and DMA memory: [`backend::open_pci`] gives both for a real port;
//! here, in the examples, a port of the simulated card (`sim_82599`, a dev-dependency of this
//! crate only) with its wire looped back:
//!
//! ```
//! use driver_82599::prelude::*;                 // Device, Config, QueueDevice, ...
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! sim.connect(sim_82599::Wire::Loopback(0))?;
//! let mut dev = Device::new(sim.port(0), sim.dma(), Config::default())?;
//! let pool = dev.pool(0)?.clone();                // receive queue 0's buffers
//! let mut pkts = Vec::new();
//! pool.alloc_batch(&mut pkts, 4, 60);             // four 60-byte frames
//! for p in pkts.iter_mut() {
//!     p[..6].fill(0xFF);                          // broadcast
//! }
//! dev.tx_batch(0, &mut pkts)?;                    // sends (and frees once the card is done)
//! let mut got = Vec::new();
//! while got.len() < 4 {
//!     sim.step();                                 // the simulated card moves the frames
//!     dev.rx_batch(0, &mut got, 32)?;             // zero-copy packets from the queue's pool
//! }
//! let s = dev.stats();                            // 64-bit totals
//! assert_eq!((s.tx_packets, s.rx_packets), (4, 4));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! The queue operations (`pool`, `rx_batch`, `tx_batch`, `take_rx_queue`, ...) come from
//! [`QueueDevice`], the trait both drivers (`driver-82576` too) implement: with it a program is
//! generic over the card, and [`DeviceError::kind`] tells the [`ErrorKind`] of any driver's
//! error:
//!
//! ```
//! use driver_82599::prelude::*;
//!
//! /// Forwards one batch from queue 0 of `a` to queue 0 of `b`, whatever cards they are.
//! fn forward<A: QueueDevice, B: QueueDevice>(a: &mut A, b: &mut B, buf: &mut Vec<Packet>)
//!     -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
//!     a.rx_batch(0, buf, 32)?;
//!     let sent = b.tx_batch(0, buf)?;
//!     buf.clear();                                // no room in the ring: freed, and counted
//!     Ok(sent)
//! }
//! let sim = sim_82599::Sim::builder().ports(2).build();
//! sim.connect(sim_82599::Wire::Pair(0, 1))?;
//! let mut p0 = Device::new(sim.port(0), sim.dma(), Config::default())?;
//! let mut p1 = Device::new(sim.port(1), sim.dma(), Config::default())?;
//! let mut pkts = Vec::new();
//! p1.pool(0)?.alloc_batch(&mut pkts, 2, 60);
//! p1.tx_batch(0, &mut pkts)?;                     // p1 -> wire -> p0
//! let mut buf = Vec::new();
//! let mut sent = 0;
//! while sent < 2 {
//!     sim.step();
//!     sent += forward(&mut p0, &mut p1, &mut buf)?; // and back to p1
//! }
//! let err = p0.rx_batch(7, &mut buf, 32).unwrap_err(); // there is no queue 7
//! assert!(matches!(err, Error::Queue(QueueError::NoQueue { queue: 7, .. })));
//! assert_eq!(err.kind(), ErrorKind::Queue);
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! # Stopping
//!
//! A user-space driver owns memory the card writes by DMA, so the card is stopped before any
//! of it is released, on every exit path the library sees:
//! - dropping the [`Device`] (also when a `?` or a panic unwinds past it), or
//!   [`Device::stop`] before it: receive off (RXCTRL.RXEN); each transmit ring drains, a
//!   bounded wait (10 ms without progress, 100 ms in all, for every ring together) for the card
//!   to send what it holds, and the packets it never sent are counted as dropped
//!   ([`stats::SwQueueStats::tx_dropped_at_stop`]: sent = queued - dropped at stop); then
//!   each queue disabled and waited for (RXDCTL/TXDCTL.ENABLE reads 0)
//!   before its ring and buffers go back (a queue that does not stop leaks them instead), then
//!   transmit DMA off, PCIe mastering off with its pending requests drained (CTRL
//!   .PCIE_MASTER_DISABLE, STATUS.PCIE_MASTER_ENABLE_STATUS), and CTRL_EXT.DRV_LOAD cleared;
//!   on a real card opened with [`backend::open_pci`], last the PCI command register's
//!   bus-master bit is cleared ([`pci_dma::BusMaster`]), also when `open_pci` fails after the
//!   device was taken;
//! - an error during [`Device::new`] after rings were handed to the card: the same, as the
//!   half-built device is dropped (errors before that point happen before any memory is
//!   handed over);
//! - a queue taken out with [`QueueDevice::take_rx_queue`]/[`QueueDevice::take_tx_queue`] stops itself
//!   when dropped; dropping the device while taken queues run stops receive and mastering for
//!   the whole port, so keep the device alive as long as they run.
//!
//! A process killed outright (SIGKILL, abort) runs none of this: the card keeps its rings. The
//! next [`Device::new`] disables mastering and resets the card before anything else. Signals
//! are the program's to handle: stop by dropping the devices (returning from `main` or
//! unwinding), not by `process::exit`, which runs no destructor.
//!
//! The simulated card checks this in strict mode: DMA into memory the driver released, and a
//! release of memory still programmed into an enabled ring, are violations.
//!
//! # Sharing one card between processes
//!
//! One process (the primary) initialises the card with [`Config::shared_queues`] queue pairs
//! (or whole VMDq pools) set aside; other processes attach to those ([`share::Attached::attach`],
//! [`backend::attach_pci`]) without resetting anything and touch only their queues' registers.
//! Who holds what is kept in `flock`ed files that survive a crashed process; the primary's
//! exit with secondaries attached is defined there too: see [`share`]. A secondary killed
//! outright leaves its queue running; the next one to take it stops it first.
//!
//! For one thread per queue, take the queues out: [`QueueDevice::take_rx_queue`] and
//! [`QueueDevice::take_tx_queue`] give [`RxQueue`]/[`TxQueue`] values that are `Send`. That is
//! also the cheapest way to poll: [`QueueDevice::rx_batch`]/[`QueueDevice::tx_batch`] look the queue up
//! on every call (a bounds check and a "taken" check, about 6 instructions), while a held
//! queue's `rx_batch`/`tx_batch` go straight to the ring.

pub mod backend;
pub mod config;
pub mod desc;
pub mod error;
pub mod fdir;
pub mod filter;
pub mod init;
pub mod irq;
pub mod link;
pub mod mirror;
pub mod offload;
pub mod queue;
pub mod ratelimit;
pub mod regs;
pub mod rss;
pub mod rxq;
pub mod share;
pub mod stats;
mod steer;
pub mod swfw;
pub mod txq;
pub mod vlan;
pub mod vmdq;

pub use config::Config;
pub use dma::{Mempool, Packet};
pub use error::{Error, Result};
pub use link::{Link, Speed};
pub use nic_queue::{DeviceError, DrainWait, ErrorKind, QueueDevice, QueueError, RxMeta};
pub use rss::RssConfig;
pub use rxq::RxQueue;
pub use stats::{QueueCounters, Stats};
pub use txq::TxQueue;

/// What a program on this driver usually needs, in one `use driver_82599::prelude::*`: the device,
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

/// Queues with their own hardware counters: the length of QPRC (and of QPTC, QBRC, QPRDC,
/// QBTC) in the table, 82599 datasheet 8.2.3.23.71+.
pub const HW_STAT_QUEUES: usize = regs::elements(<QPRC::Reg as regdsl_rt::ArraySpec>::SEGMENTS);

/// One 82599 port, initialised and running.
///
/// `B` is how registers are reached: `pci_dma`'s `Mmio` on real hardware, a `sim_82599` port
/// in tests. It must be `Clone` so that every queue has its own handle (read-to-clear counters
/// are read only through the device's).
pub struct Device<B: Bus + Clone> {
    regs: Regs<B>,
    /// PCI bus mastering of a real card (command register), turned off last when stopping.
    master: Option<pci_dma::BusMaster>,
    dma: Arc<dyn DmaMemory>,
    cfg: Config,
    queues: nic_queue::Queues<rxq::RxRegs<B>, desc::Format, txq::TxRegs<B>>,
    /// 64-bit totals of every counter of the table (the generated `Stats`).
    raw: regs::Stats,
    stats: Stats,
    /// Addresses in the multicast table (MTA) and the unicast hash table (PFUTA).
    mta: filter::HashTable,
    uta: filter::HashTable,
    /// Counter set of each receive / transmit queue (RQSMR/TQSM).
    qmap: stats::QueueStatsMap,
    fdir: fdir::Filters,
    /// [`Device::stop`] ran: the card is stopped and every queue is gone.
    stopped: bool,
    /// Interrupts, once set up ([`Device::enable_rx_interrupts`], [`Device::enable_link_interrupt`]).
    irq: Option<irq::Vectors<B>>,
    /// A real card's MSI-X vectors (opened through VFIO).
    msix: Option<Arc<pci_dma::Msix>>,
}

impl<B: Bus + Clone> Device<B> {
    /// Resets and initialises the card behind `bus` (datasheet 4.6.3 and after), with rings
    /// and buffers from `dma`, and starts every queue.
    pub fn new(bus: B, dma: Arc<dyn DmaMemory>, cfg: Config) -> Result<Self> {
        cfg.validate()?;
        let regs = Regs::new(bus.clone());
        let t = cfg.wait_timeout;
        // 4.6.3.1-2: interrupts off, global reset, settle.
        init::global_reset(&regs, t)?;
        // 4.6.3: EEPROM auto-read and DMA init done.
        init::wait_eeprom_and_dma(&regs, t)?;
        // 8.2.3.1.3: the driver has the card (the firmware keeps off it).
        init::take_control(&regs);
        // 4.6.4: link setup (the link comes up later; waited for at the end).
        init::setup_link(&regs, t)?;
        let mut dev = Device {
            regs,
            master: None,
            dma,
            cfg: cfg.clone(),
            queues: nic_queue::Queues::new(),
            raw: regs::Stats::new(),
            stats: Stats::default(),
            mta: filter::HashTable::default(),
            uta: filter::HashTable::default(),
            qmap: stats::QueueStatsMap::identity(cfg.all_rx_queues(), cfg.all_tx_queues()),
            fdir: fdir::Filters::new(cfg.fdir.clone()),
            stopped: false,
            irq: None,
            msix: None,
        };
        // 4.6.5: statistics cleared by reading them once.
        dev.raw.update(&mut dev.regs);
        dev.raw = regs::Stats::new();
        // 4.6.7: receive.
        init::init_rx(&dev.regs, &cfg)?;
        init::map_queue_stats(&dev.regs, cfg.all_rx_queues(), cfg.all_tx_queues());
        // 4.6.10.1: pools, before receive is enabled.
        if let Some(v) = &cfg.vmdq {
            vmdq::init_rx(&dev.regs, &cfg, v)?;
        }
        // Flow Director (7.1.2.7), with receive off.
        if let Some(f) = &cfg.fdir {
            fdir::init(&dev.regs, f, t)?;
        }
        for q in 0..u32::from(cfg.rx_queues) {
            let ring = desc::alloc_ring(&*dev.dma, cfg.rx_ring)?;
            let pool = Mempool::new(&*dev.dma, cfg.pool_size, cfg.buf_size)?;
            let regs = rxq::RxRegs::new(Regs::new(bus.clone()), q)?;
            let rxq = dev.queues.add_rx(regs, ring, cfg.rx_ring, pool);
            init::init_rx_queue(&dev.regs, rxq, cfg.buf_size)?;
        }
        // 4.6.8: transmit.
        init::init_tx(&dev.regs)?;
        for q in 0..u32::from(cfg.tx_queues) {
            let ring = desc::alloc_ring(&*dev.dma, cfg.tx_ring)?;
            let regs = txq::TxRegs::new(Regs::new(bus.clone()), q)?;
            let txq = dev.queues.add_tx(regs, ring, cfg.tx_ring);
            init::init_tx_queue(&dev.regs, txq)?;
        }
        if let Some(v) = &cfg.vmdq {
            vmdq::init_tx(&dev.regs, &cfg, v);
        }
        init::enable_tx_dma(&dev.regs);
        // 4.6.7: receive on, then each queue enabled and given its buffers (4.6.7.1).
        init::enable_rx(&dev.regs, t)?;
        for rxq in dev.queues.rx_iter() {
            rxq.start(t)?;
        }
        for txq in dev.queues.tx_iter() {
            txq.start(t)?;
        }
        // 4.6.4: bounded wait for the link.
        if cfg.wait_link {
            link::wait_up(&dev.regs, cfg.link_timeout, cfg.link_restarts)?;
        }
        Ok(dev)
    }

    /// The configuration the device runs with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The register handles (e.g. to dump them; `regs().bus()` reaches registers by table
    /// offset).
    pub fn regs(&self) -> &Regs<B> {
        &self.regs
    }

    /// A real card's MSI-X vectors, to bind [`Device::msix_fds`] to (`Msix::set_vectors`):
    /// there when [`backend::open_pci`] opened the card through VFIO.
    pub fn msix(&self) -> Option<Arc<pci_dma::Msix>> {
        self.msix.clone()
    }

    /// The DMA memory the device uses (for more pools).
    pub fn dma(&self) -> &Arc<dyn DmaMemory> {
        &self.dma
    }

    /// Link state now.
    pub fn link(&self) -> Link {
        link::read(&self.regs)
    }

    /// `Ok` while the card answers; [`Error::DeviceGone`] once its registers read all ones
    /// (STATUS, whose bits 31:20 are reserved and read 0). One register read: a loop calls it
    /// now and then (the `ixgbe` commands once per meter tick), as Linux's ixgbe checks for a
    /// removed adapter.
    pub fn check_present(&self) -> Result<()> {
        if self.regs.STATUS().read().bits() == u32::MAX {
            return Err(Error::DeviceGone);
        }
        Ok(())
    }

    /// Waits (bounded) for the link, restarting the link setup up to
    /// [`Config::link_restarts`] times while it stays down (see [`link::wait_up`]).
    pub fn wait_link(&self, timeout: Duration) -> Result<Link> {
        link::wait_up(&self.regs, timeout, self.cfg.link_restarts)
    }

    /// The receive address 0 (8.2.3.7.9 `RAL/RAH[0]`): the card's MAC address.
    pub fn mac_addr(&self) -> [u8; 6] {
        let lo = self.regs.RAL().at(0).read().get(RAL::ADDRL).to_le_bytes();
        let hi = self.regs.RAH().at(0).read().get(RAH::ADDRH).to_le_bytes();
        [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]]
    }

    /// Sets receive address 0 (valid bit set).
    pub fn set_mac_addr(&mut self, mac: [u8; 6]) {
        let lo = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
        let hi = u32::from(u16::from_le_bytes([mac[4], mac[5]]));
        self.regs.RAL().at(0).write(RAL::ADDRL.val(lo));
        self.regs
            .RAH()
            .at(0)
            .modify(|v| v.with(RAH::ADDRH.val(hi)).set(RAH::AV));
    }

    /// Promiscuous mode on or off. The filters change only with receive off (8.2.3.7.1), so
    /// receive pauses for the change (and fails with [`Error::SecRxTimeout`] if it cannot be
    /// enabled again).
    pub fn set_promisc(&mut self, on: bool) -> Result<()> {
        let ((), rx_on) = self.with_rx_off(|regs| init::set_filter(regs, on));
        // The filter is in effect even when receive did not come back on.
        self.cfg.promisc = on;
        rx_on
    }

    /// Whether promiscuous mode is on.
    pub fn promisc(&self) -> bool {
        self.regs.FCTRL().read().is_set(FCTRL::UPE | FCTRL::MPE)
    }

    /// Changes the MTU (frames up to MTU + 18 bytes; over 1500 is jumbo). The buffers must hold
    /// the frame.
    pub fn set_mtu(&mut self, mtu: usize) -> Result<()> {
        self.cfg.check_mtu(mtu)?;
        let (set, rx_on) = self.with_rx_off(|regs| init::set_frame_size(regs, mtu));
        set?;
        // The frame size is in effect even when receive did not come back on.
        self.cfg.mtu = mtu;
        rx_on
    }

    /// The MTU in effect.
    pub fn mtu(&self) -> usize {
        self.cfg.mtu
    }

    /// Reprograms the RSS key and redirection table.
    pub fn set_rss(&mut self, rss: &RssConfig) -> Result<()> {
        if self.cfg.vmdq.is_some() {
            // init::set_rss writes MRQC.MRQE = RSS, which would leave the pool mode.
            return Err(Error::Config(
                "set_rss with pools: give the RSS table in Config (VmdqConfig::rss)".into(),
            ));
        }
        let c = Config {
            rss: Some(rss.clone()),
            ..self.cfg.clone()
        };
        c.validate()?;
        init::set_rss(&self.regs, Some(rss), self.cfg.all_rx_queues())?;
        self.cfg.rss = Some(rss.clone());
        Ok(())
    }

    /// Runs `f` with receive off; receive comes back on through the Rx security path halt
    /// (4.6.7, [`init::enable_rx`]). Returns what `f` returned, and whether receive came back
    /// on (when it did not, receive stays off and `f`'s change is in effect).
    fn with_rx_off<T>(&mut self, f: impl FnOnce(&Regs<B>) -> T) -> (T, Result<()>) {
        let was = self.regs.RXCTRL().read().is_set(RXCTRL::RXEN);
        if was {
            self.regs.RXCTRL().clr(RXCTRL::RXEN);
        }
        let r = f(&self.regs);
        let on = if was {
            init::enable_rx(&self.regs, self.cfg.wait_timeout)
        } else {
            Ok(())
        };
        (r, on)
    }

    /// Reads every counter of the table once (the generated `Stats`: the 64-bit views where
    /// the table declares them, each low half before its high half) into the 64-bit totals,
    /// and returns them with the driver's per-queue counters.
    ///
    /// A device that is gone ([`Device::check_present`]) reads all ones: its counters are not
    /// read, and the totals stay those of the last read while it was present.
    pub fn stats(&mut self) -> &Stats {
        if self.check_present().is_err() {
            return &self.stats;
        }
        self.raw.update(&mut self.regs);
        let per_queue_hw = usize::from(self.cfg.all_rx_queues()) <= HW_STAT_QUEUES;
        self.stats = Stats::from_raw(&self.raw, self.queues.counters(), per_queue_hw);
        self.stats.fdir = self.fdir.stats(&mut self.regs, &self.raw);
        // With a mapping other than queue i -> set i, a queue's hardware counters are its set's.
        if !self.qmap.is_identity() {
            let s = &mut self.stats;
            for (i, q) in s.queues.iter_mut().enumerate() {
                let (r, t) = (self.qmap.rx_set(i), self.qmap.tx_set(i));
                let (r, t) = (&s.counter_sets[r], &s.counter_sets[t]);
                q.hw = stats::HwQueueStats {
                    rx_packets: r.rx_packets,
                    rx_bytes: r.rx_bytes,
                    rx_drops: r.rx_drops,
                    tx_packets: t.tx_packets,
                    tx_bytes: t.tx_bytes,
                };
            }
        }
        &self.stats
    }

    /// Stops the card now, as dropping the device does (crate docs, "Stopping"): receive off;
    /// each transmit ring drains (a bounded wait for the card to send what it holds) and what
    /// it never sent is counted in [`stats::SwQueueStats::tx_dropped_at_stop`]; every queue disabled,
    /// waited for and its buffers returned; transmit DMA and PCIe mastering off. Afterwards the
    /// queue operations fail ([`nic_queue::QueueError::NoQueue`]) and [`Device::stats`] gives
    /// the final totals, in which every frame placed on a ring was sent or dropped at stop.
    /// Dropping the device after `stop` does nothing more; a second `stop` does nothing.
    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        // No more interrupt messages (their eventfds are closed with the device).
        if self.irq.is_some() {
            init::disable_interrupts(&self.regs);
        }
        // Receive off first: no new frame enters a ring being taken down.
        self.regs.RXCTRL().clr(RXCTRL::RXEN);
        // Transmit rings drain; then each queue disables itself and waits for the card to let
        // go of it (RXDCTL/TXDCTL.ENABLE reads 0) before its ring and buffers are released; a
        // queue that does not stop leaks them instead.
        self.queues.clear();
        // Transmit DMA off, PCIe mastering off, the firmware told the driver is gone.
        init::stop(&self.regs);
        // Then the PCI command register's bus-master bit (real cards): no DMA at all.
        if let Some(m) = &self.master {
            if let Err(e) = m.disable() {
                eprintln!("driver-82599: could not turn bus mastering off: {e}");
            }
        }
    }

    /// Totals of every counter of the table, as of the last [`Device::stats`].
    pub fn raw_stats(&self) -> &regs::Stats {
        &self.raw
    }
}

// The queue operations (`QueueDevice::pool`, `QueueDevice::rx_batch`,
// `QueueDevice::take_rx_queue`, ...), shared with the other drivers: bring the trait into
// scope (`use driver_82599::prelude::*`).
nic_queue::impl_queue_device! {
    [B: Bus + Clone] Device<B> {
        rx: rxq::RxRegs<B>, format: desc::Format, tx: txq::TxRegs<B>, error: Error, queues: queues
    }
}

/// Stops the card before its memory goes back (see the crate docs, "Stopping").
impl<B: Bus + Clone> Drop for Device<B> {
    fn drop(&mut self) {
        self.stop();
    }
}
