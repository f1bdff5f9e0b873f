//! The bidirectional forward loop on the simulated card, one thread.
//!
//! Ports A (0) and B (1) are cabled back to back (`Wire::Pair(0, 1)`). The forwarder receives
//! on A and sends on B, and receives on B and sends on A, zero copy, as a two-port forwarder
//! does. Because the ports are cabled to each other, what B sends arrives at A again: the
//! packets circulate, so no generator runs and the only work besides the driver's is the
//! card's. At start each port sends `in_flight` frames, one circulation per direction.
//!
//! Each round: replay the posted register writes and step the card (the card's work, timed
//! apart); then, per direction, while the card has placed at least `batch` frames in the
//! receive ring, one receive call of `batch` and one send call. A receive call is never made
//! with fewer than `batch` frames ready, so there are no empty or short polls, and the
//! driver's work per packet is the same in every run.

use crate::bus::CardBus;
use crate::tsc;
use driver_82599::QueueDevice;
use driver_82599::{Config, Device, Packet, RxQueue, TxQueue};
use sim_82599::{Sim, Wire};
use std::fmt;

/// The driver on a simulated port with posted register writes.
pub type Dev = Device<CardBus>;

/// Name of the function that callgrind collects (`--toggle-collect=*NAME*`).
pub const TOGGLE_FNS: [&str; 1] = ["fwd_driver_calls"];

/// A receive queue of a [`Dev`], held by the forwarder.
pub type RxQ = RxQueue<CardBus>;
/// A transmit queue of a [`Dev`].
pub type TxQ = TxQueue<CardBus>;

/// The driver's receive call and send call (it reclaims completed descriptors first) of one
/// forwarding step, in one out-of-line function, so that callgrind collects exactly the
/// instructions executed in the two calls, as a forwarder's loop runs them (the calls are
/// `#[inline(always)]`). It reaches nothing of the card: register writes are posted.
/// Returns (received, sent).
///
/// The forwarder holds its queues (`Device::take_rx_queue`/`take_tx_queue`), as a forwarder
/// built for speed does; `Device::rx_batch(q, ..)` adds the lookup of queue `q` and a
/// `Result` (BENCHMARKS.md gives its cost).
#[inline(never)]
pub fn fwd_driver_calls(
    rxq: &mut RxQ,
    txq: &mut TxQ,
    buf: &mut Vec<Packet>,
    max: usize,
) -> (usize, usize) {
    let got = rxq.rx_batch(buf, max);
    let sent = txq.tx_batch(buf);
    (got, sent)
}

/// [`fwd_driver_calls`] through the device (`Device::rx_batch(q, ..)`/`tx_batch(q, ..)`,
/// [`driver_82599::QueueDevice`]): the lookup of queue `q` and the `Result` on top. Out of
/// line so that its machine code can be compared (`objdump -d`), e.g. before and after a
/// change to the queue delegation.
#[inline(never)]
pub fn fwd_device_calls(
    rx: &mut Dev,
    tx: &mut Dev,
    buf: &mut Vec<Packet>,
    max: usize,
) -> Result<(usize, usize), driver_82599::Error> {
    let got = rx.rx_batch(0, buf, max)?;
    let sent = tx.tx_batch(0, buf)?;
    Ok((got, sent))
}

/// Batch sizes of the table.
pub const BATCHES: [usize; 7] = [1, 4, 8, 16, 32, 64, 128];

#[derive(Clone, Copy, Debug)]
pub struct FwdOptions {
    /// Packets per receive call (and so per send call).
    pub batch: usize,
    /// Descriptors per ring (both rings of both ports).
    pub ring: usize,
    /// Frames circulating in each direction.
    pub in_flight: usize,
}

impl FwdOptions {
    /// `batch` with 512-descriptor rings (as ixy's benchmarks) and three batches in flight
    /// per direction (at least 64).
    pub fn new(batch: usize) -> Self {
        FwdOptions {
            batch,
            ring: 512,
            in_flight: (3 * batch).max(64),
        }
    }

    fn check(&self) -> Result<(), BenchError> {
        let bad = |m: String| Err(BenchError::Options(m));
        if self.batch == 0 {
            return bad("batch must be at least 1".into());
        }
        if self.in_flight < self.batch {
            return bad(format!(
                "in_flight ({}) must be at least the batch ({})",
                self.in_flight, self.batch
            ));
        }
        // Every circulating frame must fit in a receive ring (one slot stays empty) and in
        // a send ring at once.
        if self.in_flight >= self.ring {
            return bad(format!(
                "in_flight ({}) must be below the ring size ({})",
                self.in_flight, self.ring
            ));
        }
        Ok(())
    }
}

/// What a run measured. TSC figures already have the timing overhead taken off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Packets received on one port and taken by the other's send call.
    pub forwarded: u64,
    /// Receive calls (each paired with one send call).
    pub batches: u64,
    /// TSC cycles inside the driver's receive and send calls.
    pub driver_tsc: u64,
    /// TSC cycles of the card's work: replaying posted writes and stepping.
    pub card_tsc: u64,
    /// Card steps.
    pub steps: u64,
    /// Receive calls that returned fewer than the card had placed (a harness or driver bug).
    pub short_rx: u64,
    /// Received packets the send call did not take (dropped; the rings leave room for all).
    pub tx_left: u64,
}

#[derive(Debug)]
pub enum BenchError {
    Options(String),
    Driver(driver_82599::Error),
    Sim(sim_82599::SimError),
    Stalled { rounds: u64, what: String },
    Check(String),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Options(m) => write!(f, "bad options: {m}"),
            BenchError::Driver(e) => write!(f, "driver: {e}"),
            BenchError::Sim(e) => write!(f, "simulated card: {e}"),
            BenchError::Stalled { rounds, what } => {
                write!(f, "no progress for {rounds} rounds ({what})")
            }
            BenchError::Check(m) => write!(f, "check failed: {m}"),
        }
    }
}

impl std::error::Error for BenchError {}

impl From<driver_82599::Error> for BenchError {
    fn from(e: driver_82599::Error) -> Self {
        BenchError::Driver(e)
    }
}

impl From<sim_82599::SimError> for BenchError {
    fn from(e: sim_82599::SimError) -> Self {
        BenchError::Sim(e)
    }
}

/// Each port sends `in_flight` frames from its own pool to the other port.
fn prime(devs: &mut [Dev; 2], in_flight: usize) -> Result<(), BenchError> {
    for (i, dev) in devs.iter_mut().enumerate() {
        let pool = dev.pool(0)?.clone();
        let mut out = Vec::with_capacity(in_flight);
        let got = pool.alloc_batch(&mut out, in_flight, FRAME);
        if got != in_flight {
            return Err(BenchError::Check(format!(
                "pool of port {i} gave {got} of {} buffers",
                in_flight
            )));
        }
        for p in out.iter_mut() {
            fill_frame(p, i as u8);
        }
        let sent = dev.tx_batch(0, &mut out)?;
        if sent != in_flight {
            return Err(BenchError::Check(format!(
                "port {i} took {sent} of {} frames to prime the loop",
                in_flight
            )));
        }
    }
    Ok(())
}

/// A 60-byte frame (64 on the wire with the CRC): broadcast, so any port accepts it.
pub fn fill_frame(p: &mut [u8], src_port: u8) {
    p.fill(0);
    testkit::frame::header(
        p,
        testkit::frame::BROADCAST,
        [0x02, 0, 0, 0x82, 0x59, src_port],
    );
}

/// Frame size without CRC.
pub const FRAME: usize = 60;

/// Rounds without any packet moved before a run gives up.
const STALL_ROUNDS: u64 = 10_000;

pub struct Fwd {
    // Queues first: each stops itself while its device (which turns receive off when dropped)
    // is alive; devices next, while the card still exists.
    rxq: [RxQ; 2],
    txq: [TxQ; 2],
    devs: [Dev; 2],
    buses: [CardBus; 2],
    sim: Sim,
    opts: FwdOptions,
    buf: Vec<Packet>,
    /// Packets the driver took from each port's receive ring.
    received: [u64; 2],
    overhead: u64,
    pub totals: Totals,
}

impl Fwd {
    pub fn new(opts: FwdOptions) -> Result<Self, BenchError> {
        opts.check()?;
        let sim = Sim::builder()
            .ports(2)
            .strict(true)
            .threaded(false)
            .try_build()?;
        sim.connect(Wire::Pair(0, 1))?;
        let cfg = Config {
            rx_ring: opts.ring,
            tx_ring: opts.ring,
            pool_size: (4 * opts.ring).max(1024),
            ..Config::default()
        };
        let buses = [CardBus::new(sim.port(0)), CardBus::new(sim.port(1))];
        let mut devs = [
            Device::new(buses[0].clone(), sim.dma(), cfg.clone())?,
            Device::new(buses[1].clone(), sim.dma(), cfg)?,
        ];
        prime(&mut devs, opts.in_flight)?;
        let [a, b] = &mut devs;
        let rxq = [a.take_rx_queue(0)?, b.take_rx_queue(0)?];
        let txq = [a.take_tx_queue(0)?, b.take_tx_queue(0)?];
        let f = Fwd {
            rxq,
            txq,
            devs,
            buses,
            sim,
            opts,
            buf: Vec::with_capacity(opts.batch),
            received: [0; 2],
            overhead: tsc::overhead(),
            totals: Totals::default(),
        };
        for b in &f.buses {
            b.set_posting(true);
        }
        Ok(f)
    }

    /// Forces the receive path of both receive queues (`RxQueue::set_rx_path`); `false`
    /// (nothing changed) when this CPU does not run it.
    pub fn set_rx_path(&mut self, path: nic_queue::RxPath) -> bool {
        self.rxq.iter_mut().all(|q| q.set_rx_path(path))
    }

    /// The receive path of the receive queues.
    pub fn rx_path(&self) -> nic_queue::RxPath {
        self.rxq[0].rx_path()
    }

    pub fn options(&self) -> FwdOptions {
        self.opts
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Register reads and writes the driver made while forwarding (reads: none expected).
    pub fn register_accesses(&self) -> (u64, u64) {
        let (r0, w0) = self.buses[0].posted_counts();
        let (r1, w1) = self.buses[1].posted_counts();
        (r0 + r1, w0 + w1)
    }

    /// One round: the card's step, then the forwarder over both directions. Returns the
    /// packets forwarded.
    pub fn round(&mut self) -> Result<u64, BenchError> {
        let t0 = tsc::start();
        for b in &self.buses {
            b.flush();
        }
        self.sim.step();
        let t1 = tsc::stop();
        self.totals.card_tsc += t1.wrapping_sub(t0).saturating_sub(self.overhead);
        self.totals.steps += 1;
        let batch = self.opts.batch;
        let mut moved = 0;
        for rx in [0usize, 1] {
            let placed = self.sim.stats(rx)?.rx_frames;
            while placed - self.received[rx] >= batch as u64 {
                let (rxq, txq) = (&mut self.rxq[rx], &mut self.txq[1 - rx]);
                let t0 = tsc::start();
                let (got, sent) = fwd_driver_calls(rxq, txq, &mut self.buf, batch);
                let t1 = tsc::stop();
                self.totals.driver_tsc += t1.wrapping_sub(t0).saturating_sub(self.overhead);
                self.totals.batches += 1;
                self.received[rx] += got as u64;
                if got < batch {
                    self.totals.short_rx += 1;
                    if got == 0 {
                        break;
                    }
                }
                self.totals.tx_left += self.buf.len() as u64;
                self.buf.clear();
                self.totals.forwarded += sent as u64;
                moved += sent as u64;
            }
        }
        Ok(moved)
    }

    /// Rounds until at least `packets` more packets are forwarded.
    pub fn run(&mut self, packets: u64) -> Result<(), BenchError> {
        let goal = self.totals.forwarded + packets;
        let mut idle = 0;
        while self.totals.forwarded < goal {
            if self.round()? == 0 {
                idle += 1;
                if idle >= STALL_ROUNDS {
                    return Err(BenchError::Stalled {
                        rounds: idle,
                        what: format!("forwarded {} of {goal}", self.totals.forwarded),
                    });
                }
            } else {
                idle = 0;
            }
        }
        Ok(())
    }

    /// Conservation checks against the card's own counts and the driver's statistics:
    /// every frame either port put on the wire was received, and every received frame was
    /// forwarded or is waiting in a receive ring; no strict-mode violation, no DMA fault.
    pub fn check(&mut self) -> Result<(), BenchError> {
        for b in &self.buses {
            b.flush();
        }
        let t = self.totals;
        let err = |m: String| Err(BenchError::Check(m));
        let spilled: u64 = self.buses.iter().map(CardBus::spilled).sum();
        if spilled != 0 {
            return err(format!(
                "{spilled} register writes went to the card inside the driver's calls"
            ));
        }
        if t.short_rx != 0 || t.tx_left != 0 {
            return err(format!(
                "{} short receive calls, {} packets not taken by a send call",
                t.short_rx, t.tx_left
            ));
        }
        let v = self.sim.violations();
        if !v.is_empty() {
            return err(format!("strict-mode violations: {v:?}"));
        }
        if !self.sim.dma_faults().is_empty() {
            return err(format!("DMA faults: {:?}", self.sim.dma_faults()));
        }
        let s = [self.sim.stats(0)?, self.sim.stats(1)?];
        let primed = self.opts.in_flight as u64;
        if self.received[0] + self.received[1] != t.forwarded {
            return err(format!(
                "received {} + {} but forwarded {}",
                self.received[0], self.received[1], t.forwarded
            ));
        }
        for (i, st) in s.iter().enumerate() {
            let other = 1 - i;
            // What i put on the wire arrived at the other port (cabled, no loss).
            if st.tx_frames != s[other].rx_frames {
                return err(format!(
                    "port {i} sent {} frames but port {other} received {}",
                    st.tx_frames, s[other].rx_frames
                ));
            }
            // The card sent at most the primed frames plus what was forwarded to it.
            if st.tx_frames > primed + self.received[other] {
                return err(format!(
                    "port {i} sent {} frames, more than primed {primed} + forwarded {}",
                    st.tx_frames, self.received[other]
                ));
            }
            if st.rx_frames < self.received[i] {
                return err(format!(
                    "driver took {} frames from port {i}, the card placed {}",
                    self.received[i], st.rx_frames
                ));
            }
        }
        for (i, d) in self.devs.iter_mut().enumerate() {
            let st = d.stats();
            let q = &st.queues[0].sw;
            if q.rx_packets != self.received[i] {
                return err(format!(
                    "port {i}: driver counts {} received, the harness {}",
                    q.rx_packets, self.received[i]
                ));
            }
            // Port i queued its primed frames and everything it forwarded from the other.
            let queued = primed + self.received[1 - i];
            if q.tx_packets != queued {
                return err(format!(
                    "port {i}: driver counts {} queued for sending, expected {queued}",
                    q.tx_packets
                ));
            }
        }
        Ok(())
    }
}
