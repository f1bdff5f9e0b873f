//! Interrupts: MSI-X vectors per receive queue, moderation, waiting with a timeout, a
//! NAPI-like receive loop that polls under load and sleeps when idle, and the link status
//! change interrupt (datasheet 7.3).
//!
//! Set-up ([`Device::enable_rx_interrupts`], 7.3.1, 7.3.4): `GPIE.MSIX_MODE` (one vector per
//! cause group) and `GPIE.EIAME` (auto-mask); receive queue `q` mapped to MSI-X vector `q`
//! (`IVAR`, valid bit set), for every receive queue the device has (up to the 82599's 64
//! vectors); `EITR[q]` the moderation interval; the queue's cause clears itself when its
//! message is sent (`EIAC` for vectors 0..15; vectors 16..63 have no `EIAC` bit and always do)
//! and `EIAM_EX` masks the vector then, so a vector sends one message per arming. Every vector
//! starts masked. Vector `v` is armed, masked and auto-masked through bit `v % 32` of
//! `EIMS_EX`/`EIMC_EX`/`EIAM_EX[v / 32]` (8.2.3.5), for vectors 0..15 too: `EIMS` bits
//! 30:16 are the other causes, not vectors 16..30.
//!
//! Each vector's messages go to an eventfd the driver creates ([`pci_dma::EventFd`]); the
//! platform is told where with the fds from [`Device::msix_fds`]: `pci_dma` with VFIO binds
//! them with `VFIO_DEVICE_SET_IRQS`, the simulated card with `Sim::set_msix`, a card process
//! with `Card::set_msix`.
//!
//! Waiting ([`Device::rx_wait`], [`RxIrq::wait`]): if the queue's next descriptor is already
//! written back, return at once; otherwise consume stale notifications, arm the vector
//! (`EIMS_EX`), check the ring again (a frame written back just before the arming set the
//! cause, and the unmasking sends its message; the check saves the system call), and
//! sleep on the eventfd until a message or the timeout. After processing, the vector stays
//! masked (auto-mask) until the next wait arms it: no interrupts while the program polls.
//!
//! [`Napi`] combines both: it polls while polls return packets, and after `idle_polls`
//! empty polls in a row it arms the interrupt and sleeps (up to `sleep_timeout`); the first
//! packet wakes it and it polls again. Under load it never sleeps and takes no interrupt;
//! at a low rate it sleeps between packets and costs one wake-up per packet (or per EITR
//! interval, with moderation).
//!
//! The link ([`Device::enable_link_interrupt`], [`LinkIrq::wait`]): the other causes are
//! mapped to the vector after the receive queues' (`IVAR_MISC`, vector `rx_queues`) and the
//! link status change (`EICR.LSC`) enabled in `EIMS`; each change of the link sends one
//! message, which the wait acknowledges (`EICR.LSC` written 1) before it returns.
//!
//! Transmit ([`Device::enable_tx_interrupts`], [`Device::tx_wait`]): transmit queue `q`'s
//! completions go to receive queue `q`'s vector (`IVAR` `INT_ALLOC1/3`), a queue pair on one
//! vector; a sender whose ring is full sleeps until the card writes a descriptor back, and a
//! [`Napi`] loop on that vector reclaims the completions on its empty polls.
//!
//! ```
//! use driver_82599::prelude::*;
//! use driver_82599::irq::{IrqConfig, Napi};
//! use std::time::Duration;
//! let sim = sim_82599::Sim::builder().threaded(true).build();
//! sim.connect(sim_82599::Wire::Loopback(0))?;
//! let mut dev = Device::new(sim.port(0), sim.dma(), Config::default())?;
//! dev.enable_rx_interrupts(&IrqConfig::default())?;
//! let link = dev.enable_link_interrupt()?;               // vector 1, after queue 0's
//! for (vector, fd) in dev.msix_fds() {
//!     sim.set_msix(0, vector as usize, Some(fd))?;      // what VFIO_DEVICE_SET_IRQS does
//! }
//! // Nothing arrives: the wait times out.
//! assert!(!dev.rx_wait(0, Duration::from_millis(5))?);
//! // A frame arrives: the card writes it back and the vector wakes the waiter.
//! let mut pkts = Vec::new();
//! dev.pool(0)?.alloc_batch(&mut pkts, 1, 60);
//! pkts[0][..6].fill(0xFF);
//! dev.tx_batch(0, &mut pkts)?;
//! assert!(dev.rx_wait(0, Duration::from_secs(5))?);
//! let mut napi = Napi::new(Duration::from_millis(1));
//! let mut got = Vec::new();
//! assert_eq!(napi.rx(&mut dev, 0, &mut got, 32)?, 1);
//! // The cable is pulled: the link interrupt reports it.
//! sim.inject(0, sim_82599::Fault::LinkNeverUp)?;
//! assert!(link.wait(Duration::from_secs(5))?);
//! assert!(!dev.link().up);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use crate::regs::*;
use crate::Device;
use nic_queue::QueueDevice;
use pci_dma::EventFd;
use regdsl_rt::Bus;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

/// MSI-X vectors of the 82599 (7.3.1, non-IOV mode): receive queue `q` is mapped to vector
/// `q`, so queues 0..63 can have one; the link interrupt takes the vector after the receive
/// queues'.
pub const MAX_VECTORS: usize = 64;

/// Largest EITR interval: `ITR_INTERVAL` is 9 bits of 2 us (8.2.3.5.12).
pub const MAX_MODERATION_US: u32 = 0x1FF * 2;

/// How receive interrupts are set up.
#[derive(Clone, Debug, Default)]
pub struct IrqConfig {
    /// Minimum time between two interrupts of a queue (EITR), in microseconds, rounded down
    /// to the 2 us unit; 0: every write-back may interrupt at once. At most
    /// [`MAX_MODERATION_US`].
    pub moderation_us: u32,
}

/// The interrupt of one receive queue: its vector and eventfd, and the register that arms
/// it. Clone it into the thread that polls a queue taken out of the device.
pub struct RxIrq<B: Bus + Clone> {
    queue: u32,
    vector: u32,
    fd: Arc<EventFd>,
    regs: Regs<B>,
}

impl<B: Bus + Clone> Clone for RxIrq<B> {
    fn clone(&self) -> Self {
        RxIrq {
            queue: self.queue,
            vector: self.vector,
            fd: self.fd.clone(),
            regs: Regs::new(self.regs.bus().clone()),
        }
    }
}

impl<B: Bus + Clone> RxIrq<B> {
    /// The receive queue.
    pub fn queue(&self) -> u32 {
        self.queue
    }

    /// The MSI-X vector.
    pub fn vector(&self) -> u32 {
        self.vector
    }

    /// The eventfd its messages go to.
    pub fn event_fd(&self) -> &EventFd {
        &self.fd
    }

    /// Unmasks the vector (`EIMS_EX`, 8.2.3.5): its next cause sends one message (after which
    /// the card masks it again, auto-mask). A cause already set sends it at once.
    pub fn arm(&self) {
        let (i, bit) = ex(self.vector);
        self.regs
            .EIMS_EX()
            .at(i)
            .write(EIMS_EX::INTERRUPT_ENABLE.val(bit));
    }

    /// Masks the vector (`EIMC_EX`).
    pub fn disarm(&self) {
        let (i, bit) = ex(self.vector);
        self.regs
            .EIMC_EX()
            .at(i)
            .write(EIMC_EX::INTERRUPT_MASK.val(bit));
    }

    /// Waits for the queue: `ready` says whether its next descriptor is written back
    /// (`RxQueue::ready`). Returns true at once when it is; otherwise arms the vector and
    /// sleeps until an interrupt or `timeout`; true when woken by one.
    pub fn wait(&self, ready: impl Fn() -> bool, timeout: Duration) -> Result<bool> {
        if ready() {
            return Ok(true);
        }
        // Notifications from earlier armings that nobody waited for.
        self.fd.take().map_err(irq_err)?;
        self.arm();
        if ready() {
            return Ok(true);
        }
        let woke = self.fd.wait(timeout).map_err(irq_err)?;
        if woke {
            self.fd.take().map_err(irq_err)?;
        }
        Ok(woke || ready())
    }
}

/// Sleeps on several queues' interrupts at once (queues of several ports, say): consumes
/// stale notifications, arms them all, and unless `ready()` (any of the queues has a
/// packet) sleeps until one of them fires or `timeout`; true when woken or ready.
pub fn wait_any<B: Bus + Clone>(
    irqs: &[&RxIrq<B>],
    ready: &mut dyn FnMut() -> bool,
    timeout: Duration,
) -> Result<bool> {
    for i in irqs {
        i.fd.take().map_err(irq_err)?;
        i.arm();
    }
    if ready() {
        return Ok(true);
    }
    let fds: Vec<&EventFd> = irqs.iter().map(|i| &*i.fd).collect();
    let woke = EventFd::wait_any(&fds, timeout).map_err(irq_err)?;
    Ok(woke || ready())
}

impl<B: Bus + Clone> AsRawFd for RxIrq<B> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn irq_err(e: std::io::Error) -> Error {
    Error::Interrupt(e.to_string())
}

/// Vector `v`'s element and bit in the `_EX` registers (vectors 0..31 in `[0]`, 32..63 in
/// `[1]`; 8.2.3.5).
fn ex(v: u32) -> (u32, u32) {
    (v / 32, 1 << (v % 32))
}

/// The `_EX` elements a vector set touches: `(element, its 32 bits)` for each non-zero one.
fn ex_elements(vectors: u64) -> impl Iterator<Item = (u32, u32)> {
    (0..2u32)
        .map(move |i| (i, (vectors >> (32 * i)) as u32))
        .filter(|&(_, bits)| bits != 0)
}

/// The link status change interrupt: its vector and eventfd. Clone it into the thread that
/// watches the link.
pub struct LinkIrq<B: Bus + Clone> {
    vector: u32,
    fd: Arc<EventFd>,
    regs: Regs<B>,
}

impl<B: Bus + Clone> Clone for LinkIrq<B> {
    fn clone(&self) -> Self {
        LinkIrq {
            vector: self.vector,
            fd: self.fd.clone(),
            regs: Regs::new(self.regs.bus().clone()),
        }
    }
}

impl<B: Bus + Clone> LinkIrq<B> {
    /// The MSI-X vector of the other causes (`IVAR_MISC`).
    pub fn vector(&self) -> u32 {
        self.vector
    }

    /// The eventfd its messages go to.
    pub fn event_fd(&self) -> &EventFd {
        &self.fd
    }

    /// Waits up to `timeout` for a change of the link (up or down) since the last wait (or
    /// since the interrupt was enabled); true when one came: read the new state with
    /// [`Device::link`]. The change is acknowledged (`EICR.LSC` written 1, 8.2.3.5.1), so the
    /// next wait waits for the next change.
    pub fn wait(&self, timeout: Duration) -> Result<bool> {
        // Enabled since `enable_link_interrupt`; written again in case a stop or another
        // agent masked it. A change not yet acknowledged sends its message at once.
        self.regs.EIMS().write(EIMS::INTERRUPT_ENABLE.val(EICR_LSC));
        let woke = self.fd.wait(timeout).map_err(irq_err)?;
        if woke {
            self.fd.take().map_err(irq_err)?;
            self.regs.EICR().write(EICR::LSC);
        }
        Ok(woke)
    }
}

impl<B: Bus + Clone> AsRawFd for LinkIrq<B> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// `EICR.LSC` (bit 20) as an `EIMS` bit: the interrupt-enable bits match the cause bits.
const EICR_LSC: u32 = 1 << 20;

/// The device's interrupts: one per receive queue that has one, and the link's.
pub(crate) struct Vectors<B: Bus + Clone> {
    pub rx: Vec<RxIrq<B>>,
    pub link: Option<LinkIrq<B>>,
    /// Transmit queues mapped to their receive queue's vector (`enable_tx_interrupts`).
    pub tx: bool,
}

impl<B: Bus + Clone> Default for Vectors<B> {
    fn default() -> Self {
        Vectors {
            rx: Vec::new(),
            link: None,
            tx: false,
        }
    }
}

impl<B: Bus + Clone> Device<B> {
    /// Sets up one MSI-X vector per receive queue (queue `q` on vector `q`, every receive
    /// queue of the device; see the [module docs](crate::irq)), all masked. Then bind
    /// [`Device::msix_fds`] to the platform's vectors, and wait with [`Device::rx_wait`] (or
    /// poll [`Device::rx_irq`]'s fd). Calling it again reprograms the moderation and keeps the
    /// eventfds.
    pub fn enable_rx_interrupts(&mut self, cfg: &IrqConfig) -> Result<()> {
        let n = usize::from(self.cfg.rx_queues);
        if n > MAX_VECTORS {
            return Err(Error::Config(format!(
                "receive interrupts: {n} queues, but the 82599 has {MAX_VECTORS} MSI-X vectors (one per queue)"
            )));
        }
        if cfg.moderation_us > MAX_MODERATION_US {
            return Err(Error::Config(format!(
                "interrupt moderation of {} us: EITR holds at most {MAX_MODERATION_US} us (8.2.3.5.12)",
                cfg.moderation_us
            )));
        }
        let regs = &self.regs;
        let all: u64 = if n == 64 { u64::MAX } else { (1 << n) - 1 };
        // 7.3.1: every queue vector masked until armed (EIMC_EX: vectors 0..31, 32..63).
        for (i, bits) in ex_elements(all) {
            regs.EIMC_EX()
                .at(i)
                .write(EIMC_EX::INTERRUPT_MASK.val(bits));
        }
        // MSI-X mode, auto-mask on.
        regs.GPIE()
            .modify(|v| v.set(GPIE::MSIX_MODE).set(GPIE::EIAME));
        for q in 0..n as u32 {
            let v = q;
            map_queue(regs, Queue::Rx(q), v);
            // 8.2.3.5.12: ITR_INTERVAL in 2 us units.
            regs.EITR()
                .at(v)
                .write(EITR::ITR_INTERVAL.val(cfg.moderation_us / 2));
        }
        // 7.3.1.4: the cause clears itself on each message (EIAC has bits for vectors 0..15;
        // 16..63 always do) and the vector masks itself (EIAM_EX, with GPIE.EIAME).
        let low = (all & 0xFFFF) as u32;
        regs.EIAC()
            .modify(|r| r.with(EIAC::RTXQ.val(r.get(EIAC::RTXQ) | low)));
        for (i, bits) in ex_elements(all) {
            regs.EIAM_EX()
                .at(i)
                .modify(|r| r.with(EIAM_EX::AUTO_MASK.val(r.get(EIAM_EX::AUTO_MASK) | bits)));
        }
        let vectors = self.irq.get_or_insert_with(Vectors::default);
        if vectors.rx.is_empty() {
            let mut rx = Vec::with_capacity(n);
            for q in 0..n as u32 {
                rx.push(RxIrq {
                    queue: q,
                    vector: q,
                    fd: Arc::new(EventFd::new().map_err(irq_err)?),
                    regs: Regs::new(self.regs.bus().clone()),
                });
            }
            vectors.rx = rx;
        }
        Ok(())
    }

    /// Sets up the link status change interrupt (see the [module docs](crate::irq)): the other
    /// causes on vector `rx_queues` (`IVAR_MISC`, MSI-X mode), `EICR.LSC` enabled, changes
    /// before this call forgotten. Bind [`Device::msix_fds`] (which then includes this
    /// vector) to the platform's vectors, and wait with [`LinkIrq::wait`]. Calling it again
    /// returns the same interrupt. Fails when every vector is a receive queue's (64 queues).
    pub fn enable_link_interrupt(&mut self) -> Result<LinkIrq<B>> {
        if let Some(l) = self.irq.as_ref().and_then(|v| v.link.as_ref()) {
            return Ok(l.clone());
        }
        let v = u32::from(self.cfg.rx_queues);
        if v as usize >= MAX_VECTORS {
            return Err(Error::Config(format!(
                "link interrupt: the {MAX_VECTORS} MSI-X vectors all carry receive queues (rx_queues = {v})"
            )));
        }
        let regs = &self.regs;
        // 8.2.3.5: IVAR_MISC INT_ALLOC1 is the other causes' vector; mapped before the cause
        // is enabled, so its first message has somewhere to go.
        regs.IVAR_MISC().modify(|r| {
            r.with(IVAR_MISC::INT_ALLOC1.val(v))
                .set(IVAR_MISC::INT_ALLOC_VAL1)
        });
        regs.EITR().at(v).write(EITR::ITR_INTERVAL.val(0));
        regs.GPIE().modify(|r| r.set(GPIE::MSIX_MODE));
        // Changes before now are not reported (power-on link-up, say). The vector itself is
        // enabled too (EIMS_EX), as public 82599 drivers do for theirs; it has no auto-mask
        // bit, so it stays enabled.
        regs.EICR().write(EICR::LSC);
        let (i, bit) = ex(v);
        regs.EIMS_EX()
            .at(i)
            .write(EIMS_EX::INTERRUPT_ENABLE.val(bit));
        regs.EIMS().write(EIMS::INTERRUPT_ENABLE.val(EICR_LSC));
        let link = LinkIrq {
            vector: v,
            fd: Arc::new(EventFd::new().map_err(irq_err)?),
            regs: Regs::new(self.regs.bus().clone()),
        };
        self.irq.get_or_insert_with(Vectors::default).link = Some(link.clone());
        Ok(link)
    }

    /// The eventfd of each vector, to bind to the platform's MSI-X vectors: `(vector, fd)`, in
    /// vector order: the receive queues' (0..rx_queues), then the link's (`rx_queues`), so the
    /// list has no gap when both are enabled (VFIO's `Msix::set_vectors` binds them by
    /// position). Empty before [`Device::enable_rx_interrupts`] or
    /// [`Device::enable_link_interrupt`].
    pub fn msix_fds(&self) -> Vec<(u32, BorrowedFd<'_>)> {
        self.irq.as_ref().map_or_else(Vec::new, |v| {
            v.rx.iter()
                .map(|i| (i.vector, std::os::fd::AsFd::as_fd(&*i.fd)))
                .chain(
                    v.link
                        .iter()
                        .map(|l| (l.vector, std::os::fd::AsFd::as_fd(&*l.fd))),
                )
                .collect()
        })
    }

    /// Receive queue `q`'s interrupt (to wait on it from the thread that polls the queue, or
    /// to put its fd in an epoll set).
    pub fn rx_irq(&self, q: usize) -> Result<RxIrq<B>> {
        self.irq
            .as_ref()
            .and_then(|v| v.rx.get(q))
            .cloned()
            .ok_or_else(|| no_irq(q))
    }

    /// Waits up to `timeout` for a packet on receive queue `q` (see the [module
    /// docs](crate::irq)); true when one is there or an interrupt came. The queue must be in
    /// the device (a queue taken out waits with [`RxIrq::wait`] and its own `ready`).
    pub fn rx_wait(&mut self, q: usize, timeout: Duration) -> Result<bool> {
        let irq = self
            .irq
            .as_ref()
            .and_then(|v| v.rx.get(q))
            .ok_or_else(|| no_irq(q))?
            .clone();
        let rxq = self.queues_mut().rx_queue(q)?;
        let rxq = &*rxq;
        irq.wait(|| rxq.ready(), timeout)
    }

    /// Sends transmit queue `q`'s completions to the vector of receive queue `q` (IVAR
    /// `INT_ALLOC1`/`INT_ALLOC3`, 8.2.3.5.16), for every transmit queue that has a receive
    /// queue of its number: a queue pair shares one vector, as Linux's ixgbe pairs them, and
    /// a completion (a descriptor written back, DD) raises it. After
    /// [`Device::enable_rx_interrupts`]; then wait with [`Device::tx_wait`]. One thread per
    /// queue pair: a receive waiter and a transmit waiter of one pair share the eventfd.
    pub fn enable_tx_interrupts(&mut self) -> Result<()> {
        let n = self.irq.as_ref().map_or(0, |v| v.rx.len()) as u32;
        if n == 0 {
            return Err(Error::Interrupt(
                "transmit interrupts share the receive queues' vectors: call enable_rx_interrupts first".into(),
            ));
        }
        for q in 0..n.min(u32::from(self.cfg.tx_queues)) {
            map_queue(&self.regs, Queue::Tx(q), q);
        }
        if let Some(v) = self.irq.as_mut() {
            v.tx = true;
        }
        Ok(())
    }

    /// Waits up to `timeout` for transmit queue `q` to complete a descriptor (its buffers can
    /// then be reclaimed: the next send does it), sleeping on the queue pair's vector; true
    /// at once when nothing is in flight or a completion is already written back, true when
    /// woken (by this queue's completion or its receive queue's frame), false on timeout.
    /// For a sender whose ring is full: sleep instead of spinning.
    pub fn tx_wait(&mut self, q: usize, timeout: Duration) -> Result<bool> {
        let irq = self
            .irq
            .as_ref()
            .filter(|v| v.tx)
            .and_then(|v| v.rx.get(q))
            .ok_or_else(|| {
                Error::Interrupt(format!(
                    "transmit queue {q} has no interrupt (call enable_tx_interrupts after enable_rx_interrupts; queue q shares receive queue q's vector)"
                ))
            })?
            .clone();
        let txq = self.queues_mut().tx_queue(q)?;
        let txq = &*txq;
        irq.wait(|| txq.in_flight() == 0 || txq.any_done(), timeout)
    }

    /// Reclaims transmit queue `q`'s completed descriptors when it shares receive queue `q`'s
    /// vector ([`Device::enable_tx_interrupts`]): what [`Napi`] does on an empty poll. 0 when
    /// it does not, or the queue was taken out of the device.
    fn reclaim_shared_tx(&mut self, q: usize) -> usize {
        let shared = self.irq.as_ref().is_some_and(|v| v.tx && q < v.rx.len());
        match self.queues_mut().tx_queue(q) {
            Ok(t) if shared && t.in_flight() != 0 => t.reclaim(),
            _ => 0,
        }
    }

    /// Arms receive queue `q`'s interrupt without waiting (for a program that polls the fd
    /// itself: arm, then `epoll_wait`).
    pub fn rx_arm(&self, q: usize) -> Result<()> {
        self.irq
            .as_ref()
            .and_then(|v| v.rx.get(q))
            .ok_or_else(|| no_irq(q))?
            .arm();
        Ok(())
    }
}

/// A queue whose cause an `IVAR` entry maps.
enum Queue {
    Rx(u32),
    Tx(u32),
}

/// Maps `queue`'s cause to MSI-X vector `v`, valid (8.2.3.5.16): `IVAR[q/2]` holds queue
/// pair `q`'s entries, receive in INT_ALLOC0 (even queue) / INT_ALLOC2 (odd), transmit in
/// INT_ALLOC1 / INT_ALLOC3.
fn map_queue<B: Bus>(regs: &Regs<B>, queue: Queue, v: u32) {
    let (q, tx) = match queue {
        Queue::Rx(q) => (q, false),
        Queue::Tx(q) => (q, true),
    };
    regs.IVAR().at(q / 2).modify(|r| match (q % 2 == 0, tx) {
        (true, false) => r.with(IVAR::INT_ALLOC0.val(v)).set(IVAR::INT_ALLOC_VAL0),
        (true, true) => r.with(IVAR::INT_ALLOC1.val(v)).set(IVAR::INT_ALLOC_VAL1),
        (false, false) => r.with(IVAR::INT_ALLOC2.val(v)).set(IVAR::INT_ALLOC_VAL2),
        (false, true) => r.with(IVAR::INT_ALLOC3.val(v)).set(IVAR::INT_ALLOC_VAL3),
    });
}

fn no_irq(q: usize) -> Error {
    Error::Interrupt(format!(
        "receive queue {q} has no interrupt (call enable_rx_interrupts first; each of the device's receive queues has one)"
    ))
}

/// What a [`Napi`] loop did (to see it switch modes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NapiStats {
    /// Calls that polled the ring.
    pub polls: u64,
    /// Times it armed the interrupt and slept.
    pub sleeps: u64,
    /// Sleeps ended by an interrupt (or a packet already there when armed).
    pub wakeups: u64,
    /// Sleeps that ended at the timeout.
    pub timeouts: u64,
    /// Transmit descriptors the loop reclaimed (their buffers back in their pools): with
    /// transmit interrupts on, the queue pair's completions raise the vector the loop sleeps
    /// on, and the loop frees what they completed.
    pub tx_reclaimed: u64,
}

/// A NAPI-like receive loop for one queue: polls while there is traffic, sleeps on the
/// queue's interrupt when a number of polls in a row found nothing.
///
/// Each [`Napi::rx`] polls once (up to `budget` packets). A poll that finds packets resets
/// the idle count: under load the loop only polls, with the interrupt masked. After
/// `idle_polls` empty polls it arms the interrupt and sleeps until a packet or
/// `sleep_timeout`, then polls again. With `idle_polls` = 1 it sleeps as soon as the ring
/// is empty (lowest CPU use); larger values trade CPU for the wake-up latency of bursts that
/// follow each other closely.
///
/// With transmit interrupts on ([`Device::enable_tx_interrupts`]) transmit queue `q` shares
/// the vector: a completion wakes the loop, and each poll that finds no packet reclaims the
/// transmit queue's completed descriptors (as Linux's NAPI poll cleans the queue pair's
/// transmit ring), so a sender that stops gets its buffers back without sending again.
#[derive(Clone, Debug)]
pub struct Napi {
    /// Empty polls in a row before sleeping (default 64).
    pub idle_polls: u32,
    /// Longest sleep (a call returns 0 after it, so the caller can check for shutdown).
    pub sleep_timeout: Duration,
    idle: u32,
    stats: NapiStats,
}

impl Napi {
    /// A loop that sleeps after 64 empty polls, at most `sleep_timeout` at a time.
    pub fn new(sleep_timeout: Duration) -> Napi {
        Napi {
            idle_polls: 64,
            sleep_timeout,
            idle: 0,
            stats: NapiStats::default(),
        }
    }

    /// What the loop did so far.
    pub fn stats(&self) -> NapiStats {
        self.stats
    }

    /// Whether the next call that finds nothing sleeps (the loop is in interrupt mode).
    pub fn sleeping(&self) -> bool {
        self.idle >= self.idle_polls.max(1)
    }

    /// One step of the loop on device queue `q`: poll, or sleep then poll. Returns the
    /// packets appended to `out`.
    pub fn rx<B: Bus + Clone>(
        &mut self,
        dev: &mut Device<B>,
        q: usize,
        out: &mut Vec<dma::Packet>,
        budget: usize,
    ) -> Result<usize> {
        if self.sleeping() {
            self.stats.sleeps += 1;
            if dev.rx_wait(q, self.sleep_timeout)? {
                self.stats.wakeups += 1;
            } else {
                self.stats.timeouts += 1;
            }
        }
        self.stats.polls += 1;
        let n = dev.rx_batch(q, out, budget)?;
        if n != 0 {
            self.idle = 0;
        } else {
            self.idle = self.idle.saturating_add(1);
            self.stats.tx_reclaimed += dev.reclaim_shared_tx(q) as u64;
        }
        Ok(n)
    }
}
