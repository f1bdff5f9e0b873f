//! A behavioural model of the Intel 82599 10 GbE controller.
//!
//! The card is hardware: it sees register accesses through a [`Port`] (a `regdsl_rt::Bus`)
//! and DMA into its simulated physical memory ([`Sim::dma`], a `dma::DmaMemory`). Tests
//! and tools drive it through [`Sim`]: wires, stepping, faults, traces, strict-mode records.
//!
//! ```
//! use regdsl_rt::{Bus, Site};
//! let sim = sim_82599::Sim::builder().ports(2).threaded(false).build();
//! let port0 = sim.port(0);
//! sim.connect(sim_82599::Wire::Pair(0, 1)).unwrap();
//! assert_eq!(port0.read32(0x042A4, Site::UNNAMED) & (1 << 30), 0); // LINKS: no link yet
//! sim.step();
//! assert!(sim.violations().is_empty());
//! ```

mod card;
mod crc;
pub mod dma;
mod engine;
pub mod fault;
mod fdir;
pub mod irq;
mod lifecycle;
mod master;
mod offload;
mod pool;
pub mod regs;
pub mod rss;
mod rx;
mod secrx;
pub mod server;
pub mod strict;
pub mod trace;
mod tx;
pub mod wire;

pub use dma::{DmaFault, SimMemory, PHYS_BASE};
pub use fault::Fault;
pub use strict::{Rule, Violation};
pub use wire::Wire;

use card::{Clock, Config, PortHw, Shared};
use engine::Engine;
use regdsl_rt::{Bus, Site};
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Errors of the control API.
#[derive(Debug)]
pub enum SimError {
    BadPort { port: usize, ports: usize },
    Io(std::io::Error),
    Dma(::dma::DmaError),
    NotManualClock,
    BadVector { vector: usize },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::BadPort { port, ports } => {
                write!(f, "no port {port}: the simulated card has {ports} port(s)")
            }
            SimError::Io(e) => write!(f, "{e}"),
            SimError::Dma(e) => write!(f, "{e}"),
            SimError::NotManualClock => {
                f.write_str("advance() needs a card built with manual_clock(true)")
            }
            SimError::BadVector { vector } => write!(
                f,
                "no MSI-X vector {vector}: the card has vectors 0..{}",
                irq::VECTORS - 1
            ),
        }
    }
}

impl std::error::Error for SimError {}

impl From<std::io::Error> for SimError {
    fn from(e: std::io::Error) -> Self {
        SimError::Io(e)
    }
}

/// Configuration of a simulated card; [`Sim::builder`].
#[derive(Clone, Debug)]
pub struct SimBuilder {
    ports: usize,
    strict: bool,
    threaded: bool,
    dma_size: usize,
    reset_delay: Duration,
    link_delay: Duration,
    manual_clock: bool,
    macs: Vec<(usize, [u8; 6])>,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder {
            ports: 1,
            strict: true,
            threaded: false,
            dma_size: 256 << 20,
            reset_delay: Duration::from_millis(1),
            link_delay: Duration::from_millis(10),
            manual_clock: false,
            macs: Vec::new(),
        }
    }
}

impl SimBuilder {
    /// Number of ports (functions), 1 or more (default 1; the 82599 has 2).
    pub fn ports(mut self, n: usize) -> Self {
        self.ports = n.max(1);
        self
    }
    /// Check datasheet rules and record violations (default on).
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }
    /// Run the engines on their own thread (default off: nothing moves unless `step`).
    pub fn threaded(mut self, on: bool) -> Self {
        self.threaded = on;
        self
    }
    /// Size of the simulated physical memory (default 256 MiB, mapped lazily).
    pub fn dma_size(mut self, bytes: usize) -> Self {
        self.dma_size = bytes;
        self
    }
    /// Time from CTRL.RST/LRST to their self-clearing (default 1 ms).
    pub fn reset_delay(mut self, d: Duration) -> Self {
        self.reset_delay = d;
        self
    }
    /// Time from reset or AUTOC.RESTART_AN to link up (default 10 ms).
    pub fn link_delay(mut self, d: Duration) -> Self {
        self.link_delay = d;
        self
    }
    /// Time advances only through [`Sim::advance`] (for deterministic timer tests).
    pub fn manual_clock(mut self, on: bool) -> Self {
        self.manual_clock = on;
        self
    }
    /// The MAC address a port loads into `RAL/RAH[0]` at reset (default 02:00:00:82:59:0N).
    pub fn mac(mut self, port: usize, mac: [u8; 6]) -> Self {
        self.macs.push((port, mac));
        self
    }

    /// Build the card (panics only if the simulated memory cannot be mapped; see `try_build`).
    pub fn build(self) -> Sim {
        match self.try_build() {
            Ok(s) => s,
            Err(e) => panic!("cannot build the simulated 82599: {e}"),
        }
    }

    pub fn try_build(self) -> Result<Sim, SimError> {
        let mem = Arc::new(SimMemory::new(self.dma_size).map_err(SimError::Dma)?);
        let ports = (0..self.ports)
            .map(|i| {
                let mac = self
                    .macs
                    .iter()
                    .rev()
                    .find(|(p, _)| *p == i)
                    .map(|(_, m)| *m)
                    .unwrap_or([0x02, 0x00, 0x00, 0x82, 0x59, i as u8]);
                PortHw::new(i, mac)
            })
            .collect();
        let sh = Arc::new(Shared {
            ports,
            mem: mem.clone(),
            cfg: Config {
                strict: self.strict,
                reset_ns: self.reset_delay.as_nanos() as u64,
                link_ns: self.link_delay.as_nanos() as u64,
            },
            clock: if self.manual_clock {
                Clock::Manual(AtomicU64::new(0))
            } else {
                Clock::Real(std::time::Instant::now())
            },
            violations: Mutex::new(Vec::new()),
            dma_faults: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            doorbell: AtomicU64::new(0),
            passes: AtomicU64::new(0),
        });
        // Strict mode: memory released while the card may still write it.
        let weak = Arc::downgrade(&sh);
        mem.on_release(Box::new(move |phys, len| {
            if let Some(sh) = weak.upgrade() {
                sh.check_release(phys, len);
            }
        }));
        // Power-on: reset done (DMA init done too, as after CTRL.RST), the link comes up after
        // the link delay.
        let now = sh.now();
        for p in &sh.ports {
            p.regs
                .cell(regs::R::RDRXCTL, 0)
                .fetch_or(regs::RDRXCTL_DMAIDONE, Ordering::AcqRel);
            sh.arm_link(p, now);
        }
        let eng = Arc::new(Mutex::new(Engine::new(&sh)));
        let thread = self.threaded.then(|| {
            let (sh, eng) = (sh.clone(), eng.clone());
            std::thread::Builder::new()
                .name("sim-82599".into())
                .spawn(move || run_thread(&sh, &eng))
                .map_err(SimError::Io)
        });
        let thread = thread.transpose()?;
        Ok(Sim {
            sh,
            eng,
            mem,
            thread,
        })
    }
}

/// The engines' thread: step while there is work; back off when idle.
fn run_thread(sh: &Shared, eng: &Mutex<Engine>) {
    let mut idle = 0u32;
    while !sh.stop.load(Ordering::Acquire) {
        let bell = sh.doorbell.load(Ordering::Acquire);
        let n = eng.lock().unwrap_or_else(|e| e.into_inner()).step(sh);
        if n != 0 {
            idle = 0;
            continue;
        }
        idle = idle.saturating_add(1);
        // A message held by moderation (EITR) is due within microseconds: no sleeping.
        let held = sh.ports.iter().any(|p| p.irq.any_held());
        if idle < 64 || held {
            std::thread::yield_now();
        } else {
            // Sleep in short slices, waking early when the driver rings a doorbell.
            let slices = (idle - 63).min(20);
            for _ in 0..slices {
                if sh.doorbell.load(Ordering::Acquire) != bell || sh.stop.load(Ordering::Acquire) {
                    idle = 0;
                    break;
                }
                std::thread::sleep(Duration::from_micros(10));
            }
        }
    }
}

/// A simulated 82599.
pub struct Sim {
    sh: Arc<Shared>,
    eng: Arc<Mutex<Engine>>,
    mem: Arc<SimMemory>,
    thread: Option<JoinHandle<()>>,
}

/// The model's own counts for one port (beyond the datasheet's registers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Frames put on the wire (or looped back).
    pub tx_frames: u64,
    /// Frames written into RX descriptors.
    pub rx_frames: u64,
    /// Frames lost because the receiving port's link was down.
    pub lost_link_down: u64,
    /// Frames arriving while RXCTRL.RXEN = 0 or the Rx security path is halted
    /// (SECRXCTRL.RX_DIS = 1).
    pub lost_rx_disabled: u64,
    /// Frames rejected by the L2 filters.
    pub filtered: u64,
    /// Frames dropped by DMA faults (injected or bad addresses).
    pub dma_error_drops: u64,
    /// Frames dropped for want of a receive descriptor (SRRCTL.DROP_EN; also in QPRDC).
    pub no_descriptor: u64,
    /// Frames dropped because the packet buffer was full (also in MPC).
    pub missed: u64,
    /// Errors writing to pcap/TAP sinks or reading sources.
    pub wire_errors: u64,
    /// Packets dropped for a malformed transmit offload request (checksum or TSO; each also a
    /// strict-mode `Rule::BadOffload`).
    pub offload_drops: u64,
}

impl Sim {
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    pub fn ports(&self) -> usize {
        self.sh.ports.len()
    }

    fn check_port(&self, port: usize) -> Result<&PortHw, SimError> {
        self.sh.ports.get(port).ok_or(SimError::BadPort {
            port,
            ports: self.sh.ports.len(),
        })
    }

    /// The register file of a port, as a bus for the driver.
    ///
    /// # Panics
    /// If `port` does not exist (see [`Sim::try_port`]).
    pub fn port(&self, port: usize) -> Port {
        match self.try_port(port) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    pub fn try_port(&self, port: usize) -> Result<Port, SimError> {
        self.check_port(port)?;
        Ok(Port {
            sh: self.sh.clone(),
            idx: port,
        })
    }

    /// The card's DMA memory, for the driver's allocator.
    pub fn dma(&self) -> Arc<dyn ::dma::DmaMemory> {
        self.mem.clone()
    }

    /// The same memory with its simulator-side API (translate, size).
    pub fn memory(&self) -> Arc<SimMemory> {
        self.mem.clone()
    }

    /// Plug in a wire. Connecting a port again adds to what is already plugged in.
    pub fn connect(&self, wire: Wire) -> Result<(), SimError> {
        for p in wire.ports() {
            self.check_port(p)?;
        }
        use wire::{Sink, Source};
        let mut eng = self.engine();
        match wire {
            Wire::Loopback(p) => eng.sinks[p].push(Sink::Port(p)),
            Wire::Pair(a, b) => {
                eng.sinks[a].push(Sink::Port(b));
                if a != b {
                    eng.sinks[b].push(Sink::Port(a));
                    // One cable, one link: each end's link is up only while both PHYs are.
                    let (pa, pb) = (&self.sh.ports[a], &self.sh.ports[b]);
                    pa.peer.store(b, Ordering::Release);
                    pb.peer.store(a, Ordering::Release);
                    self.sh.set_phy(pa, pa.phy_up.load(Ordering::Acquire));
                }
            }
            Wire::PcapOut { port, path } => {
                let w = wire::pcap::Writer::create(&path)?;
                eng.sinks[port].push(Sink::Pcap(w));
            }
            Wire::PcapIn { port, path } => {
                let r = wire::pcap::Reader::open(&path)?;
                eng.sources[port].push(Source::Pcap(r));
            }
            Wire::Tap { port, name } => {
                let t = Arc::new(wire::tap::Tap::open(&name)?);
                eng.sinks[port].push(Sink::Tap(t.clone()));
                eng.sources[port].push(Source::Tap(t));
            }
        }
        Ok(())
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.eng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run every engine once (timers, RX packet buffer, TX rings, sources); returns the
    /// number of frames moved. Works in threaded mode too (the thread and this take turns).
    pub fn step(&self) -> usize {
        self.engine().step(&self.sh)
    }

    /// Step until a step moves nothing (at most `max` steps); returns the frames moved.
    pub fn step_until_idle(&self, max: usize) -> usize {
        let mut total = 0;
        for _ in 0..max {
            let n = self.step();
            total += n;
            if n == 0 {
                break;
            }
        }
        total
    }

    /// Advance a manual clock (see [`SimBuilder::manual_clock`]).
    pub fn advance(&self, d: Duration) -> Result<(), SimError> {
        match &self.sh.clock {
            Clock::Manual(n) => {
                n.fetch_add(d.as_nanos() as u64, Ordering::AcqRel);
                for p in &self.sh.ports {
                    self.sh.poll_timers(p);
                    self.sh.irq_eval(p);
                }
                Ok(())
            }
            Clock::Real(_) => Err(SimError::NotManualClock),
        }
    }

    /// Binds MSI-X vector `vector` of `port` to an eventfd (`None`: unbinds): each message
    /// the vector sends writes 1 to it, as VFIO's `VFIO_DEVICE_SET_IRQS` (with
    /// `VFIO_IRQ_SET_DATA_EVENTFD`) binds a real card's vector. The card keeps its own
    /// duplicate of the descriptor. See [`irq`] for what raises a vector.
    pub fn set_msix(
        &self,
        port: usize,
        vector: usize,
        fd: Option<std::os::fd::BorrowedFd<'_>>,
    ) -> Result<(), SimError> {
        let p = self.check_port(port)?;
        if vector >= irq::VECTORS {
            return Err(SimError::BadVector { vector });
        }
        let fd = fd.map(|f| f.try_clone_to_owned()).transpose()?;
        p.irq.set_fd(vector, fd);
        Ok(())
    }

    /// MSI-X messages `port`'s vector `vector` has sent since the card was built.
    pub fn msix_count(&self, port: usize, vector: usize) -> Result<u64, SimError> {
        let p = self.check_port(port)?;
        p.irq
            .sent
            .get(vector)
            .map(|c| c.load(Ordering::Relaxed))
            .ok_or(SimError::BadVector { vector })
    }

    /// When `port`'s vector `vector` last sent a message, on the card's clock
    /// ([`Sim::card_time`]); `None`: never.
    pub fn msix_last_sent(&self, port: usize, vector: usize) -> Result<Option<Duration>, SimError> {
        let p = self.check_port(port)?;
        if vector >= irq::VECTORS {
            return Err(SimError::BadVector { vector });
        }
        let t = p.irq.last_sent(vector);
        Ok((t != 0).then(|| Duration::from_nanos(t - 1)))
    }

    /// The card's clock: time since it was built (or as advanced, with a manual clock).
    pub fn card_time(&self) -> Duration {
        Duration::from_nanos(self.sh.now() - 1)
    }

    /// Inject a fault into a port.
    pub fn inject(&self, port: usize, fault: Fault) -> Result<(), SimError> {
        let p = self.check_port(port)?;
        let f = &p.faults;
        match fault {
            Fault::ResetNeverCompletes => f.reset_never.store(true, Ordering::Release),
            Fault::LinkNeverUp => {
                f.link_never.store(true, Ordering::Release);
                self.sh.set_phy(p, false);
            }
            Fault::LinkFlap { period } => {
                let ns = (period.as_nanos() as u64).max(1);
                f.flap_ns.store(ns, Ordering::Release);
                if p.phy_up.load(Ordering::Acquire) {
                    p.link_at.store(self.sh.now() + ns, Ordering::Release);
                }
            }
            Fault::DmaError { count } => {
                f.dma_errors.fetch_add(count, Ordering::AcqRel);
            }
            Fault::RxLengthTooLarge { extra, count } => {
                f.len_extra.store(u32::from(extra), Ordering::Release);
                f.len_count.store(count, Ordering::Release);
            }
            Fault::RxDescErrors { bits, count } => {
                f.err_bits.store(bits, Ordering::Release);
                f.err_count.store(count, Ordering::Release);
            }
            Fault::SecRxNeverReady => f.secrx_never.store(true, Ordering::Release),
            Fault::FirmwareHoldsMacCsr => f.fw_mac_csr.store(true, Ordering::Release),
            Fault::Removed => f.removed.store(true, Ordering::Release),
            Fault::LinkNeedsRestarts { count } => {
                f.an_restarts.store(count, Ordering::Release);
                if count != 0 {
                    self.sh.set_phy(p, false);
                }
            }
        }
        Ok(())
    }

    /// Remove every injected fault of a port (a pending reset or link-up then proceeds).
    pub fn clear_faults(&self, port: usize) -> Result<(), SimError> {
        let p = self.check_port(port)?;
        p.faults.clear();
        if !p.phy_up.load(Ordering::Acquire) && p.link_at.load(Ordering::Acquire) == 0 {
            self.sh.arm_link(p, self.sh.now());
        }
        Ok(())
    }

    /// Log every register access of every port to `w`, one `TraceLine` per line.
    pub fn trace_to(&self, w: impl Write + Send + 'static) {
        let w: trace::TraceWriter = Arc::new(Mutex::new(Box::new(w)));
        for p in &self.sh.ports {
            p.tracer.set(Some(w.clone()));
        }
    }

    /// Log the register accesses of one port to `w`.
    pub fn trace_port_to(
        &self,
        port: usize,
        w: impl Write + Send + 'static,
    ) -> Result<(), SimError> {
        let p = self.check_port(port)?;
        p.tracer.set(Some(Arc::new(Mutex::new(Box::new(w)))));
        Ok(())
    }

    /// Stop tracing.
    pub fn trace_off(&self) {
        for p in &self.sh.ports {
            p.tracer.set(None);
        }
    }

    /// Strict-mode rule breaks so far, in order.
    pub fn violations(&self) -> Vec<Violation> {
        self.sh
            .violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Take (and forget) the violations recorded so far.
    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut *self.sh.violations.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// DMA accesses the card could not make, in order.
    pub fn dma_faults(&self) -> Vec<DmaFault> {
        self.sh
            .dma_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether a port's link is up.
    pub fn link_up(&self, port: usize) -> Result<bool, SimError> {
        let p = self.check_port(port)?;
        self.sh.poll_timers(p);
        Ok(p.link_up.load(Ordering::Acquire))
    }

    /// The model's own counts for a port.
    pub fn stats(&self, port: usize) -> Result<PortStats, SimError> {
        let m = &self.check_port(port)?.model;
        let g = |a: &AtomicU64| a.load(Ordering::Acquire);
        Ok(PortStats {
            tx_frames: g(&m.tx_frames),
            rx_frames: g(&m.rx_frames),
            lost_link_down: g(&m.lost_link_down),
            lost_rx_disabled: g(&m.lost_rx_disabled),
            filtered: g(&m.filtered),
            dma_error_drops: g(&m.dma_error_drops),
            no_descriptor: g(&m.no_descriptor),
            missed: g(&m.missed),
            wire_errors: g(&m.sink_errors),
            offload_drops: g(&m.offload_drops),
        })
    }

    /// Frames waiting in a port's RX packet buffer (no descriptor yet, SRRCTL.DROP_EN = 0).
    pub fn rx_buffered(&self, port: usize) -> Result<usize, SimError> {
        self.check_port(port)?;
        Ok(self.engine().ports[port].pb.len())
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.sh.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        for s in self.engine().sinks.iter_mut().flatten() {
            s.flush();
        }
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("ports", &self.sh.ports.len())
            .field("strict", &self.sh.cfg.strict)
            .field("threaded", &self.thread.is_some())
            .finish()
    }
}

/// One port's register file (BAR0), as the driver sees it.
#[derive(Clone)]
pub struct Port {
    sh: Arc<Shared>,
    idx: usize,
}

impl Port {
    pub fn index(&self) -> usize {
        self.idx
    }
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sim_82599::Port({})", self.idx)
    }
}

impl Bus for Port {
    // The 82599's registers are 32 bits wide: a narrower access is a strict-mode violation
    // (BadAccess); reads return all ones, writes are dropped.
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        self.sh.narrow(&self.sh.ports[self.idx], offset, 8);
        0xFF
    }
    fn write8(&self, offset: usize, _value: u8, _site: Site) {
        self.sh.narrow(&self.sh.ports[self.idx], offset, 8);
    }
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        self.sh.narrow(&self.sh.ports[self.idx], offset, 16);
        0xFFFF
    }
    fn write16(&self, offset: usize, _value: u16, _site: Site) {
        self.sh.narrow(&self.sh.ports[self.idx], offset, 16);
    }
    #[inline]
    fn read32(&self, offset: usize, site: Site) -> u32 {
        self.sh.read32(&self.sh.ports[self.idx], offset, site)
    }
    #[inline]
    fn write32(&self, offset: usize, value: u32, site: Site) {
        self.sh
            .write32(&self.sh.ports[self.idx], offset, value, site)
    }
}
