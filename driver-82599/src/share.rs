//! Sharing one card between processes: a **primary** that resets and initialises the card
//! (an ordinary [`Device`] with [`shared_queues`](crate::Config::shared_queues) queue pairs
//! set aside) and **secondaries** that attach to those queues ([`Attached::attach`]) and
//! touch nothing else.
//!
//! # What a secondary touches
//!
//! Only the registers of its own queues, and only while it holds their locks: RXDCTL, RDBAL,
//! RDBAH, RDLEN, RDH, RDT, SRRCTL, DCA_RXCTRL of receive queue `q`; TXDCTL, TDBAL, TDBAH,
//! TDLEN, TDH, TDT of transmit queue `q`. It reads the card's state that does not change on
//! reading (CTRL, CTRL_EXT, STATUS, LINKS, MAXFRS, DMATXCTL, and on request RAL/RAH\[0\],
//! RSSRK, RETA, and for a pool RAL/RAH/MPSAR: [`Attached::pool_macs`]) and **no read-to-clear
//! register**: the card's counters clear on read (8.2.3.23), the per-queue ones (QPRC, QBRC,
//! QPRDC, QPTC, QBTC) included, so a secondary reading its queue's QPRC would take those
//! counts from the primary's totals. Only the primary reads counters; it publishes its 64-bit
//! totals of every counter set in the share directory ([`Primary::publish_stats`]), which
//! secondaries and `ixgbe stats --attach` read ([`read_published`]). A secondary's own exact
//! figures are its queues' software counters ([`Attached::stats`]).
//!
//! A secondary never resets the card and never writes a register another process relies on
//! (filters, RSS, receive or transmit enables, the stats mapping, AUTOC): those are the
//! primary's, set before any secondary attaches. So no register needs the software/firmware
//! semaphore between driver processes; the primary takes it ([`crate::swfw`]) around the
//! registers it shares with the firmware.
//!
//! # Several ports, pools, and the end of a secondary
//!
//! A secondary on the same queue pair of two ports (a forwarder: `ixgbe fwd --attach`; each
//! port has its own primary and share directory) reserves both first ([`Attached::reserve`]:
//! every check and lock, no register written) and only then starts them
//! ([`Reserved::start`]): a refusal on the second port leaves the first untouched.
//!
//! With VMDq pools ([`crate::vmdq`]), [`Config::shared_queues`](crate::Config::shared_queues)
//! sets whole pools aside, the ones after the primary's own, switched on and open to the
//! primary's MAC and VLAN filters (which it sets: a secondary writes no filter). A secondary
//! takes a pool whole ([`AttachConfig::pool`]): its queue pairs locked in order, the first one
//! taken refusing the pool (no lock kept). [`Attached::pool_macs`] reads the addresses the
//! primary gave the pool.
//!
//! [`Attached::stop`] stops a secondary's queues before it reports: its counters are then
//! final, every frame the card wrote to a queue taken or counted as dropped at stop.
//!
//! # Coordination: files and locks in a share directory
//!
//! One directory per card port ([`ShareDir`]: by PCI address under `/run/ixgbe`, or next to
//! a card process's socket). Every lock is a `flock`, which the kernel drops however its
//! holder dies (SIGKILL included):
//! - `up`: held exclusively by the primary from the end of its initialisation until it begins
//!   to stop. A secondary that can take it shared finds no primary and is refused
//!   ([`crate::Error::NoPrimary`]).
//! - `attached`: held shared by every secondary while it runs. The primary holds it
//!   exclusively from its claim, before it resets the card ([`Primary::claim`], refused while
//!   secondaries of an earlier primary still run), to its publication; and takes it again when
//!   stopping, to know none is left ([`Primary::wait_detached`]).
//! - `queue<N>`: held exclusively by the process that uses queue pair `N` (the primary holds
//!   its own queues'); each names its holder's pid. A taken queue is refused
//!   ([`crate::Error::QueueTaken`]).
//! - `queues`: the layout the primary shares (first queue, count, queues per pool or 0 without
//!   pools); `stats`: its counters.
//!
//! Who is primary is the lock a primary takes before it resets the card: `pci_dma`'s lock on
//! `resource0` for a real card, `sim_client::PortLock` for a card process.
//!
//! # A secondary that dies
//!
//! Its locks go with it; its queues keep running on the card. The next secondary taking the
//! queue disables it and waits for RXDCTL/TXDCTL.ENABLE to read 0 (4.6.7.1, 4.6.8.1), sets
//! RDH to 0 (the head a crashed process left is anywhere), then programs its own ring and
//! buffers and starts the queue. On a card process the dead secondary's DMA memory stays
//! allocated in the card; on a real card its hugepages return to the kernel while its queue may
//! still run until the next secondary (or the primary's stop) stops it: the hazard any
//! user-space driver killed outright has, described in the crate docs ("Stopping").
//!
//! # The primary's exit
//!
//! A primary that stops first releases `up`: no new secondary can attach, and that is the
//! signal for the attached ones to stop. It then waits, bounded, for them to detach
//! ([`Primary::wait_detached`]: they release `attached` as they exit), and then stops the
//! card (receive off, mastering off, CTRL_EXT.DRV_LOAD cleared: its `Device`'s drop), whether
//! they are gone or not. Secondaries check the primary often
//! ([`Attached::check_primary`]: `up` held, DRV_LOAD set) and stop with
//! [`crate::Error::PrimaryGone`], stopping their queues on the way out. One that does not
//! (stuck) finds the card stopped when it runs again: its queues no longer move, DRV_LOAD is
//! clear. So the card never stops under a secondary that checks, and a secondary never keeps
//! the card. This is what `ixgbe` does (`--wait-secondaries`, 10 s by default).
//!
//! ```
//! use driver_82599::prelude::*;
//! use driver_82599::share::{AttachConfig, Attached, Primary, ShareDir};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! sim.connect(sim_82599::Wire::Loopback(0))?;
//! # let tmp = std::env::temp_dir().join(format!("share-doc-{}", std::process::id()));
//! let dir = ShareDir::new(&tmp);
//! // The primary: queue 0 its own, queues 1 and 2 for secondaries (RSS spreads over 0..=2).
//! let cfg = Config { shared_queues: 2, ..Config::default() };
//! let mut primary = Primary::claim(dir.clone())?;    // before the reset
//! let dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! primary.publish(&dev)?;
//! // A secondary (in another process, usually) on queue 2.
//! let mut sec = Attached::attach(sim.port(0), sim.dma(), &dir, AttachConfig::queue(2))?;
//! assert_eq!(sec.hw_queue(0), Some(2));
//! // Queue 0 is the primary's, queue 2 this secondary's: refused, naming the holder; queue 5
//! // is not shared.
//! for q in [0, 2] {
//!     let e = Attached::attach(sim.port(0), sim.dma(), &dir, AttachConfig::queue(q)).err().unwrap();
//!     assert!(matches!(e, Error::QueueTaken { queue, .. } if queue == q), "{e}");
//! }
//! let e = Attached::attach(sim.port(0), sim.dma(), &dir, AttachConfig::queue(5)).err().unwrap();
//! assert!(matches!(e, Error::NotShared { queue: 5, .. }), "{e}");
//! let mut pkts = Vec::new();
//! sec.pool(0)?.alloc_batch(&mut pkts, 1, 60);
//! pkts[0][..6].fill(0xFF);
//! sec.tx_batch(0, &mut pkts)?;                    // sent from transmit queue 2
//! sim.step();
//! drop(sec);                                      // stops queue 2, releases its lock
//! assert!(primary.wait_detached(std::time::Duration::from_secs(1)).is_empty());
//! drop(dev);
//! # let _ = std::fs::remove_dir_all(&tmp);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::config::{BSIZE_UNIT, MAX_RING};
use crate::error::{Error, Result};
use crate::regs::*;
use crate::stats::HwQueueStats;
use crate::{desc, init, rxq, txq, Device, Link, Mempool};
use dma::DmaMemory;
use nic_queue::{QueueRegs, SwQueueStats};
use pci_dma::{FileLock, LockMode};
use regdsl_rt::Bus;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the processes sharing one card port keep their lock files (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareDir {
    path: PathBuf,
}

impl ShareDir {
    /// The directory `path` (created when first used).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ShareDir { path: path.into() }
    }

    /// The directory of a real card's port, by PCI address: `/run/ixgbe/<addr>`.
    pub fn for_pci(addr: &str) -> Self {
        ShareDir::new(Path::new("/run/ixgbe").join(addr))
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn queue_file(&self, q: u16) -> PathBuf {
        self.file(&format!("queue{q}"))
    }

    fn err(&self, err: std::io::Error) -> Error {
        Error::ShareDir {
            path: self.path.display().to_string(),
            err,
        }
    }

    fn ensure(&self) -> Result<()> {
        std::fs::create_dir_all(&self.path).map_err(|e| self.err(e))
    }

    fn try_lock(&self, name: &Path, mode: LockMode) -> Result<Option<FileLock>> {
        FileLock::try_lock(name, mode).map_err(|e| self.err(e))
    }

    /// Takes queue `q`'s lock for this process (its pid written in it), or tells who holds it.
    fn lock_queue(&self, q: u16) -> Result<FileLock> {
        let path = self.queue_file(q);
        let Some(mut l) = self.try_lock(&path, LockMode::Exclusive)? else {
            return Err(Error::QueueTaken {
                queue: q,
                holder: pci_dma::lockfile::holder(&path),
                path: path.display().to_string(),
            });
        };
        l.write_pid().map_err(|e| self.err(e))?;
        Ok(l)
    }

    /// Writes `text` to `name` atomically (a reader sees the old or the new file whole).
    fn write_file(&self, name: &str, text: &str) -> Result<()> {
        let tmp = self.file(&format!(".{name}.{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(|e| self.err(e))?;
        std::fs::rename(&tmp, self.file(name)).map_err(|e| self.err(e))
    }

    /// The queues the primary shares, `first..first + count`, and its queues per VMDq pool
    /// (0: no pools).
    fn layout(&self) -> Option<(u16, u16, u16)> {
        let s = std::fs::read_to_string(self.file("queues")).ok()?;
        let mut w = s.split_whitespace().map(str::parse::<u16>);
        let (first, count) = (w.next()?.ok()?, w.next()?.ok()?);
        Some((first, count, w.next().and_then(|q| q.ok()).unwrap_or(0)))
    }

    /// Every queue lock held now, with its holder (`queue<N>` files only; probing takes each
    /// free lock for an instant, so call it when no process is attaching).
    pub fn queue_holders(&self) -> Vec<(u16, String)> {
        let mut v = Vec::new();
        let Ok(rd) = std::fs::read_dir(&self.path) else {
            return v;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(q) = name
                .to_str()
                .and_then(|n| n.strip_prefix("queue"))
                .and_then(|n| n.parse::<u16>().ok())
            else {
                continue;
            };
            if let Ok(None) = FileLock::try_lock(&e.path(), LockMode::Exclusive) {
                v.push((q, pci_dma::lockfile::holder(&e.path())));
            }
        }
        v.sort();
        v
    }
}

/// The shared queues as text (`1..=3`, or `none`).
fn range_text(first: u16, count: u16) -> String {
    if count == 0 {
        "none".into()
    } else {
        format!("{first}..={}", first + count - 1)
    }
}

/// The primary's side: first a claim on the card ([`Primary::claim`], before the reset), then
/// its own queues locked, the shared layout published and `up` held ([`Primary::publish`]).
/// Dropping it releases everything (the kernel does so too if the process dies).
#[derive(Debug)]
pub struct Primary {
    dir: ShareDir,
    up: Option<FileLock>,
    _own: Vec<FileLock>,
    /// `attached`, held exclusively from the claim to the publication: no secondary attaches
    /// to a card being reset and set up.
    claim: Option<FileLock>,
}

impl Primary {
    /// Claims the card in `dir` before this process resets it: refused with
    /// [`Error::SecondariesRunning`] while secondaries still run on it (left by a primary that
    /// died: resetting the card would pull their rings from under them), and no secondary can
    /// attach until [`Primary::publish`]. Take it while holding the lock that makes this process
    /// the port's driver, before [`Device::new`].
    pub fn claim(dir: ShareDir) -> Result<Primary> {
        dir.ensure()?;
        let Some(claim) = dir.try_lock(&dir.file("attached"), LockMode::Exclusive)? else {
            let who: Vec<String> = dir
                .queue_holders()
                .iter()
                .map(|(q, pid)| format!("queue {q}: process {pid}"))
                .collect();
            return Err(Error::SecondariesRunning(if who.is_empty() {
                "another primary may be starting".into()
            } else {
                who.join(", ")
            }));
        };
        Ok(Primary {
            dir,
            up: None,
            _own: Vec::new(),
            claim: Some(claim),
        })
    }

    /// Publishes `dev`'s shared queues (a device made with
    /// [`Config::shared_queues`](crate::Config::shared_queues); 0 shares none), locks its own
    /// queues and marks the card up: secondaries may attach from now on. Call it once the
    /// device is initialised.
    pub fn publish<B: Bus + Clone>(&mut self, dev: &Device<B>) -> Result<()> {
        let dir = &self.dir;
        let cfg = dev.config();
        let first = cfg.rx_queues.max(cfg.tx_queues);
        let mut own = Vec::new();
        for q in 0..first {
            own.push(dir.lock_queue(q)?);
        }
        let qpp = cfg.vmdq.as_ref().map_or(0, |v| v.layout.queues_per_pool());
        dir.write_file("queues", &format!("{first} {} {qpp}\n", cfg.shared_queues))?;
        // Secondaries probe `up` for an instant only: waiting for them is short.
        let mut up =
            FileLock::lock_wait(&dir.file("up"), LockMode::Exclusive).map_err(|e| dir.err(e))?;
        up.write_pid().map_err(|e| dir.err(e))?;
        self._own = own;
        self.up = Some(up);
        self.claim = None;
        Ok(())
    }

    /// The share directory.
    pub fn dir(&self) -> &ShareDir {
        &self.dir
    }

    /// Publishes the device's counters (64-bit totals of every queue counter set, and the
    /// port's) for secondaries and `ixgbe stats --attach`, which must not read the
    /// read-to-clear registers themselves. Call it after [`Device::stats`].
    pub fn publish_stats(&self, s: &crate::Stats) -> Result<()> {
        let mut t = format!(
            "port {} {} {} {} {}\n",
            s.rx_packets,
            s.rx_bytes,
            s.tx_packets,
            s.tx_bytes,
            s.rx_drops()
        );
        for (i, c) in s.counter_sets.iter().enumerate() {
            t.push_str(&format!(
                "set {i} {} {} {} {} {}\n",
                c.rx_packets, c.rx_bytes, c.rx_drops, c.tx_packets, c.tx_bytes
            ));
        }
        self.dir.write_file("stats", &t)
    }

    /// Stops accepting secondaries (releases `up`), then waits up to `timeout` for the
    /// attached ones to detach. Returns the queues still held by a secondary at the end
    /// (empty: none left), with their holders' pids.
    pub fn wait_detached(&mut self, timeout: Duration) -> Vec<(u16, String)> {
        self.up = None;
        let deadline = Instant::now() + timeout;
        loop {
            match FileLock::try_lock(&self.dir.file("attached"), LockMode::Exclusive) {
                Ok(Some(_)) | Err(_) => return Vec::new(),
                Ok(None) if Instant::now() >= deadline => {
                    let own = self._own.len() as u16;
                    return self
                        .dir
                        .queue_holders()
                        .into_iter()
                        .filter(|&(q, _)| q >= own)
                        .collect();
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

/// The counters a primary published last ([`Primary::publish_stats`]): the port's
/// `(rx_packets, rx_bytes, tx_packets, tx_bytes, rx_drops)` and each counter set's totals.
/// `None` when it published none yet.
pub fn read_published(dir: &ShareDir) -> Option<Published> {
    let s = std::fs::read_to_string(dir.file("stats")).ok()?;
    let mut p = Published::default();
    for line in s.lines() {
        let mut w = line.split_whitespace();
        let kind = w.next()?;
        let n: Vec<u64> = w.filter_map(|x| x.parse().ok()).collect();
        match (kind, n.as_slice()) {
            ("port", &[rp, rb, tp, tb, d]) => p.port = [rp, rb, tp, tb, d],
            ("set", &[i, rp, rb, rd, tp, tb]) => {
                let i = i as usize;
                if p.sets.len() <= i {
                    p.sets.resize(i + 1, HwQueueStats::default());
                }
                p.sets[i] = HwQueueStats {
                    rx_packets: rp,
                    rx_bytes: rb,
                    rx_drops: rd,
                    tx_packets: tp,
                    tx_bytes: tb,
                };
            }
            _ => return None,
        }
    }
    Some(p)
}

/// Counters a primary published (see [`read_published`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Port totals: received packets, bytes, sent packets, bytes, receive drops.
    pub port: [u64; 5],
    /// Each hardware counter set (queue `q < 16` counts in set `q`).
    pub sets: Vec<HwQueueStats>,
}

/// How a secondary attaches: which queue pairs (or which VMDq pool), and its rings and buffers.
#[derive(Clone, Debug)]
pub struct AttachConfig {
    /// The queue pairs (receive and transmit queue of the same number) to take.
    pub queues: Vec<u16>,
    /// Instead of `queues`: every queue pair of this VMDq pool, taken together (the primary
    /// runs pools and shares this one; [`AttachConfig::pool`]).
    pub pool: Option<u16>,
    /// Descriptors per receive / transmit ring (power of two).
    pub rx_ring: usize,
    pub tx_ring: usize,
    /// Bytes per buffer (a multiple of 1024, holding the largest frame the primary set).
    pub buf_size: usize,
    /// Buffers in each receive queue's pool (at least `rx_ring + tx_ring`).
    pub pool_size: usize,
    /// Bound of every wait (queue stop, queue enable).
    pub wait_timeout: Duration,
}

impl AttachConfig {
    /// Queue pair `q`, with the driver's default ring and buffer sizes.
    pub fn queue(q: u16) -> Self {
        let d = crate::Config::default();
        AttachConfig {
            queues: vec![q],
            pool: None,
            rx_ring: d.rx_ring,
            tx_ring: d.tx_ring,
            buf_size: d.buf_size,
            pool_size: d.pool_size,
            wait_timeout: d.wait_timeout,
        }
    }

    /// Every queue pair of VMDq pool `p` (the device's queue `i` is the pool's `i`-th queue),
    /// with the driver's default ring and buffer sizes. The pool is taken whole or refused
    /// whole: when one of its queues is taken, no lock is kept.
    pub fn pool(p: u16) -> Self {
        AttachConfig {
            queues: Vec::new(),
            pool: Some(p),
            ..AttachConfig::queue(0)
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        match (self.queues.is_empty(), self.pool) {
            (true, None) => return bad("attach: no queue given".into()),
            (false, Some(p)) => {
                return bad(format!(
                    "attach: pool {p} and queues {:?} given; a pool brings its own queues",
                    self.queues
                ))
            }
            _ => {}
        }
        for (i, q) in self.queues.iter().enumerate() {
            if self.queues[..i].contains(q) {
                return bad(format!("attach: queue {q} given twice"));
            }
        }
        for (what, n) in [("rx_ring", self.rx_ring), ("tx_ring", self.tx_ring)] {
            nic_queue::config::check_ring(what, n, MAX_RING).map_err(Error::Config)?;
        }
        nic_queue::config::check_buf(self.buf_size, BSIZE_UNIT).map_err(Error::Config)?;
        nic_queue::config::check_pool(self.pool_size, self.rx_ring, self.tx_ring)
            .map_err(Error::Config)
    }
}

/// A secondary: queue pairs of a card a primary runs, attached without resetting anything.
///
/// Its queue `i` (for [`QueueDevice`](nic_queue::QueueDevice)'s `rx_batch(i, ..)` etc.) is hardware queue
/// `cfg.queues[i]` ([`Attached::hw_queue`]). Dropping it stops its queues (disabled and waited
/// for, before their memory goes back) and then releases their locks.
pub struct Attached<B: Bus + Clone> {
    regs: Regs<B>,
    dma: Arc<dyn DmaMemory>,
    queues: nic_queue::Queues<rxq::RxRegs<B>, desc::Format, txq::TxRegs<B>>,
    hw: Vec<u16>,
    vmdq_pool: Option<u16>,
    dir: ShareDir,
    // Dropped after the queues (field order): a queue is stopped before its lock goes.
    _locks: Vec<FileLock>,
    _attached: FileLock,
}

impl<B: Bus + Clone> Attached<B> {
    /// Attaches to `cfg.queues` of the card behind `bus`, which a primary runs (its share
    /// directory is `dir`). Refused, before any register is written, when no primary runs
    /// the card ([`Error::NoPrimary`]), when the card would need a reset
    /// ([`Error::NeedsReset`]), when a queue is not one the primary shares
    /// ([`Error::NotShared`]) or another process holds it ([`Error::QueueTaken`]).
    ///
    /// Each queue is stopped first (a process that died may have left it running), then
    /// given this process's ring and buffers and started. The same as
    /// [`Attached::reserve`] then [`Reserved::start`].
    pub fn attach(
        bus: B,
        dma: Arc<dyn DmaMemory>,
        dir: &ShareDir,
        cfg: AttachConfig,
    ) -> Result<Self> {
        Self::reserve(bus, dma, dir, cfg)?.start()
    }

    /// The first half of [`Attached::attach`]: every check and every lock, no register
    /// written. A process that attaches to several ports (`ixgbe fwd --attach`: the same
    /// queue pair on two ports) reserves on each before it starts any, so that a refusal on
    /// the second port leaves the first untouched. Dropping the reservation releases its locks.
    pub fn reserve(
        bus: B,
        dma: Arc<dyn DmaMemory>,
        dir: &ShareDir,
        cfg: AttachConfig,
    ) -> Result<Reserved<B>> {
        cfg.validate()?;
        dir.ensure()?;
        let regs = Regs::new(bus.clone());
        // Attached first, then `up`: a primary stopping releases `up` before it looks for
        // attached secondaries, so one of the two sees the other.
        let attached = dir
            .try_lock(&dir.file("attached"), LockMode::Shared)?
            .ok_or_else(|| {
                Error::NoPrimary("a primary is setting the card up, or stopping".into())
            })?;
        check_up(dir)?;
        check_card(&regs)?;
        let (first, count, qpp) = dir
            .layout()
            .ok_or_else(|| Error::NoPrimary(format!("no {}", dir.file("queues").display())))?;
        let mut cfg = cfg;
        if let Some(p) = cfg.pool {
            // Whole pools after the primary's own: pools first/qpp .. (first+count)/qpp.
            let shared = match (first.checked_div(qpp), count.checked_div(qpp)) {
                (Some(f), Some(c)) => range_text(f, c),
                _ => "none (it runs no pools)".to_string(),
            };
            let qs = u32::from(p) * u32::from(qpp)..(u32::from(p) + 1) * u32::from(qpp);
            if qpp == 0 || qs.start < u32::from(first) || qs.end > u32::from(first + count) {
                return Err(Error::PoolNotShared { pool: p, shared });
            }
            cfg.queues = qs.map(|q| q as u16).collect();
        }
        // Locked in order; the first taken refuses the whole set (the locks taken so far go).
        let mut locks = Vec::new();
        for &q in &cfg.queues {
            if q >= first + count {
                return Err(Error::NotShared {
                    queue: q,
                    shared: range_text(first, count),
                });
            }
            locks.push(dir.lock_queue(q)?);
        }
        // The largest frame the primary accepts must fit one buffer (CRC stripped).
        let frame = regs.MAXFRS().read().get(MAXFRS::MFS) as usize;
        if frame.saturating_sub(4) > cfg.buf_size {
            return Err(Error::Config(format!(
                "attach: the card accepts frames of {frame} bytes (MAXFRS), buf_size = {} is too small",
                cfg.buf_size
            )));
        }
        Ok(Reserved {
            bus,
            dma,
            dir: dir.clone(),
            cfg,
            locks,
            attached,
        })
    }

    /// The hardware queue number of this device's queue `i`.
    pub fn hw_queue(&self, i: usize) -> Option<u16> {
        self.hw.get(i).copied()
    }

    /// The hardware queue numbers, in this device's order.
    pub fn hw_queues(&self) -> &[u16] {
        &self.hw
    }

    /// The VMDq pool this device took whole ([`AttachConfig::pool`]), if any.
    pub fn vmdq_pool(&self) -> Option<u16> {
        self.vmdq_pool
    }

    /// Whether this device's transmit queue `i` has sent everything placed on it (its
    /// TDH reached TDT; both read-only reads of its own queue).
    pub fn tx_idle(&self, i: usize) -> bool {
        match self.hw_queue(i) {
            Some(q) => {
                let q = u32::from(q);
                self.regs.TDH().at(q).read().bits() == self.regs.TDT().at(q).read().bits()
            }
            None => true,
        }
    }

    /// The DMA memory the queues use (for more pools).
    pub fn dma(&self) -> &Arc<dyn DmaMemory> {
        &self.dma
    }

    /// The share directory.
    pub fn dir(&self) -> &ShareDir {
        &self.dir
    }

    /// Link state now (LINKS, read-only).
    pub fn link(&self) -> Link {
        crate::link::read(&self.regs)
    }

    /// The card's receive address 0 (`RAL/RAH[0]`, read-only).
    pub fn mac_addr(&self) -> [u8; 6] {
        let lo = self.regs.RAL().at(0).read().get(RAL::ADDRL).to_le_bytes();
        let hi = self.regs.RAH().at(0).read().get(RAH::ADDRH).to_le_bytes();
        [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]]
    }

    /// The unicast addresses the primary's filters give to this device's pool
    /// ([`AttachConfig::pool`]): each valid receive address (RAL/RAH\[1..\]) whose pool select
    /// (MPSAR) names the pool; read-only. Empty when attached by queue.
    pub fn pool_macs(&self) -> Vec<[u8; 6]> {
        let Some(p) = self.vmdq_pool else {
            return Vec::new();
        };
        let mut v = Vec::new();
        for i in 1..self.regs.RAL().len() as u32 {
            let hi = self.regs.RAH().at(i).read();
            if !hi.is_set(RAH::AV) {
                continue;
            }
            let pools = u64::from(self.regs.MPSAR_LO().at(i).read().bits())
                | u64::from(self.regs.MPSAR_HI().at(i).read().bits()) << 32;
            if pools >> (p & 63) & 1 == 1 {
                let lo = self.regs.RAL().at(i).read().get(RAL::ADDRL).to_le_bytes();
                let hi = hi.get(RAH::ADDRH).to_le_bytes();
                v.push([lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]]);
            }
        }
        v
    }

    /// The RSS key and redirection table the primary programmed (RSSRK, RETA: read-only), to
    /// send flows that come back to a given queue.
    pub fn rss(&self) -> crate::RssConfig {
        let mut c = crate::RssConfig::spread(1);
        for (i, r) in self.regs.RSSRK().iter().enumerate() {
            c.key[i * 4..i * 4 + 4].copy_from_slice(&r.read().get(RSSRK::KEY).to_le_bytes());
        }
        for (i, r) in self.regs.RETA().iter().enumerate() {
            let v = r.read();
            let e = [RETA::ENTRY0, RETA::ENTRY1, RETA::ENTRY2, RETA::ENTRY3];
            for (j, f) in e.iter().enumerate() {
                c.reta[i * 4 + j] = v.get(*f) as u8;
            }
        }
        c
    }

    /// Stops this process's queues now (each disabled and waited for, its buffers returned),
    /// as dropping it would, but keeps the locks and the counters: [`Attached::stats`] then
    /// gives final figures, in which every frame the card wrote to a queue was taken or is
    /// counted in `rx_dropped_at_stop`, and every frame placed on a transmit ring was sent or is
    /// counted in `tx_dropped_at_stop`. Queue operations fail afterwards; a second call does
    /// nothing.
    pub fn stop(&mut self) {
        self.queues.clear();
    }

    /// `Ok` while the primary still runs the card (`up` held, CTRL_EXT.DRV_LOAD set);
    /// [`Error::PrimaryGone`] once it stopped it, [`Error::DeviceGone`] if the card reads all
    /// ones.
    pub fn check_primary(&self) -> Result<()> {
        let ext = self.regs.CTRL_EXT().read();
        // All ones: the card itself is gone (see `Device::check_present`).
        if ext.bits() == u32::MAX {
            return Err(Error::DeviceGone);
        }
        if !ext.is_set(CTRL_EXT::DRV_LOAD) {
            return Err(Error::PrimaryGone("CTRL_EXT.DRV_LOAD is clear".into()));
        }
        match check_up(&self.dir) {
            Ok(()) => Ok(()),
            Err(Error::NoPrimary(_)) => Err(Error::PrimaryGone(
                "it released the share directory's `up` lock: it is stopping".into(),
            )),
            Err(e) => Err(e),
        }
    }

    /// This process's per-queue software counters (exact: packets handed to it, sent by it)
    /// with the hardware counters of the queue's set as the primary last published them
    /// (`None` when not published, or for queues past the 16 counter sets).
    pub fn stats(&self) -> Vec<AttachedQueueStats> {
        let published = read_published(&self.dir);
        self.hw
            .iter()
            .zip(self.queues.counters())
            .map(|(&q, c)| AttachedQueueStats {
                queue: q,
                sw: c.snapshot(),
                hw: published
                    .as_ref()
                    .and_then(|p| p.sets.get(usize::from(q)).copied()),
            })
            .collect()
    }
}

/// Queue pairs checked and locked for this process, nothing written yet
/// ([`Attached::reserve`]); [`Reserved::start`] takes them over. Dropping it releases the locks.
pub struct Reserved<B: Bus + Clone> {
    bus: B,
    dma: Arc<dyn DmaMemory>,
    dir: ShareDir,
    cfg: AttachConfig,
    locks: Vec<FileLock>,
    attached: FileLock,
}

impl<B: Bus + Clone> Reserved<B> {
    /// The hardware queues reserved.
    pub fn hw_queues(&self) -> &[u16] {
        &self.cfg.queues
    }

    /// Stops each reserved queue (a process that died may have left it running), gives it
    /// this process's ring and buffers, and starts it. On an error the queues set up so far
    /// are stopped again before their memory goes back.
    pub fn start(self) -> Result<Attached<B>> {
        let Reserved {
            bus,
            dma,
            dir,
            cfg,
            locks,
            attached,
        } = self;
        let mut a = Attached {
            regs: Regs::new(bus.clone()),
            dma,
            queues: nic_queue::Queues::new(),
            hw: cfg.queues.clone(),
            vmdq_pool: cfg.pool,
            dir,
            _locks: locks,
            _attached: attached,
        };
        let t = cfg.wait_timeout;
        for &q in &cfg.queues {
            let q32 = u32::from(q);
            let rx = rxq::RxRegs::new(Regs::new(bus.clone()), q32)?;
            let tx = txq::TxRegs::new(Regs::new(bus.clone()), q32)?;
            // 4.6.7.1, 4.6.8.1: a queue left running (by a process that died) is disabled and
            // waited for before its ring registers change.
            if !rx.stop() {
                return Err(Error::NeedsReset(format!(
                    "RX queue {q} does not stop (RXDCTL.ENABLE still 1)"
                )));
            }
            if !tx.stop() {
                return Err(Error::NeedsReset(format!(
                    "TX queue {q} does not stop (TXDCTL.ENABLE still 1)"
                )));
            }
            // The head a crashed process left is anywhere: back to 0 while disabled.
            a.regs.RDH().at(q32).write(0u32);
            let ring = desc::alloc_ring(&*a.dma, cfg.rx_ring)?;
            let pool = Mempool::new(&*a.dma, cfg.pool_size, cfg.buf_size)?;
            let rxq = a.queues.add_rx(rx, ring, cfg.rx_ring, pool);
            init::init_rx_queue(&a.regs, rxq, cfg.buf_size)?;
            let ring = desc::alloc_ring(&*a.dma, cfg.tx_ring)?;
            let txq = a.queues.add_tx(tx, ring, cfg.tx_ring);
            init::init_tx_queue(&a.regs, txq)?;
        }
        for rxq in a.queues.rx_iter() {
            rxq.start(t)?;
        }
        for txq in a.queues.tx_iter() {
            txq.start(t)?;
        }
        Ok(a)
    }
}

/// One attached queue's counters ([`Attached::stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachedQueueStats {
    /// The hardware queue.
    pub queue: u16,
    /// This process's counters of the queue.
    pub sw: SwQueueStats,
    /// The queue's hardware counter set as the primary last published it.
    pub hw: Option<HwQueueStats>,
}

/// A primary holds `up`: taking it shared fails.
pub(crate) fn check_up(dir: &ShareDir) -> Result<()> {
    let up = dir.file("up");
    match dir.try_lock(&up, LockMode::Shared)? {
        Some(_) => Err(Error::NoPrimary(format!("nothing holds {}", up.display()))),
        None => Ok(()),
    }
}

/// The card is initialised and running (a secondary attaches to nothing less): a driver
/// loaded (CTRL_EXT.DRV_LOAD), no reset in progress, PCIe mastering and transmit DMA on.
fn check_card<B: Bus>(regs: &Regs<B>) -> Result<()> {
    let ctrl = regs.CTRL().read();
    if ctrl.any(CTRL::RST | CTRL::LRST) {
        return Err(Error::NeedsReset(
            "a reset is in progress (CTRL.RST/LRST)".into(),
        ));
    }
    if !regs.CTRL_EXT().read().is_set(CTRL_EXT::DRV_LOAD) {
        return Err(Error::NoPrimary("CTRL_EXT.DRV_LOAD is clear".into()));
    }
    if ctrl.is_set(CTRL::PCIE_MASTER_DISABLE) {
        return Err(Error::NeedsReset(
            "PCIe mastering is disabled (CTRL.PCIE_MASTER_DISABLE)".into(),
        ));
    }
    if !regs.DMATXCTL().read().is_set(DMATXCTL::TE) {
        return Err(Error::NeedsReset(
            "transmit DMA is off (DMATXCTL.TE)".into(),
        ));
    }
    Ok(())
}

nic_queue::impl_queue_device! {
    [B: Bus + Clone] Attached<B> {
        rx: rxq::RxRegs<B>, format: desc::Format, tx: txq::TxRegs<B>, error: Error, queues: queues
    }
}

/// Stops this process's queues (each disabled and waited for) before their memory goes back;
/// nothing else on the card is touched. The locks go after (field order).
impl<B: Bus + Clone> Drop for Attached<B> {
    fn drop(&mut self) {
        self.queues.clear();
    }
}
