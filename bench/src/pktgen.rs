//! The packet generator on the simulated card, one thread: allocate a batch of ready frames
//! from a pool, send it; the card (stepped in the same thread, timed apart) puts the frames
//! on a port with no wire plugged in, where they leave the card and are gone.

use crate::bus::CardBus;
use crate::fwd::{fill_frame, BenchError, Dev, FRAME};
use crate::tsc;
use driver_82599::QueueDevice;
use driver_82599::{Config, Device, Mempool, Packet};
use sim_82599::Sim;

/// The generator's driver work per batch: refill the batch from the pool, send it.
#[inline(never)]
pub fn pktgen_driver_tx(
    dev: &mut Dev,
    pool: &Mempool,
    out: &mut Vec<Packet>,
    batch: usize,
) -> driver_82599::Result<usize> {
    pool.alloc_batch(out, batch - out.len(), FRAME);
    dev.tx_batch(0, out)
}

/// What a run measured; TSC figures without the timing overhead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PktgenTotals {
    /// Packets the send calls took.
    pub sent: u64,
    pub batches: u64,
    pub driver_tsc: u64,
    pub card_tsc: u64,
    pub steps: u64,
}

pub struct Pktgen {
    dev: Dev,
    pool: Mempool,
    bus: CardBus,
    sim: Sim,
    batch: usize,
    out: Vec<Packet>,
    overhead: u64,
    pub totals: PktgenTotals,
}

impl Pktgen {
    pub fn new(batch: usize, ring: usize) -> Result<Self, BenchError> {
        if batch == 0 || batch >= ring {
            return Err(BenchError::Options(format!(
                "batch {batch} must be 1..ring ({ring})"
            )));
        }
        let sim = Sim::builder()
            .ports(1)
            .strict(true)
            .threaded(false)
            .try_build()?;
        let bus = CardBus::new(sim.port(0));
        let cfg = Config {
            rx_ring: ring,
            tx_ring: ring,
            pool_size: (2 * ring).max(1024),
            ..Config::default()
        };
        let dev = Device::new(bus.clone(), sim.dma(), cfg)?;
        // Frames written once: a buffer keeps its contents, so allocation yields ready frames.
        let n = 4 * ring.max(batch);
        let pool = Mempool::new(&**dev.dma(), n, 2048)
            .map_err(|e| BenchError::Check(format!("frame pool: {e}")))?;
        let mut all = Vec::with_capacity(n);
        pool.alloc_batch(&mut all, n, FRAME);
        for p in all.iter_mut() {
            fill_frame(p, 0);
        }
        drop(all);
        bus.set_posting(true);
        Ok(Pktgen {
            dev,
            pool,
            bus,
            sim,
            batch,
            out: Vec::with_capacity(batch),
            overhead: tsc::overhead(),
            totals: PktgenTotals::default(),
        })
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// One round: the driver's batch, then the card's step.
    pub fn round(&mut self) -> Result<u64, BenchError> {
        let t0 = tsc::start();
        let n = pktgen_driver_tx(&mut self.dev, &self.pool, &mut self.out, self.batch);
        let t1 = tsc::stop();
        let n = n?;
        self.totals.driver_tsc += t1.wrapping_sub(t0).saturating_sub(self.overhead);
        self.totals.batches += 1;
        self.totals.sent += n as u64;
        let t0 = tsc::start();
        self.bus.flush();
        self.sim.step();
        let t1 = tsc::stop();
        self.totals.card_tsc += t1.wrapping_sub(t0).saturating_sub(self.overhead);
        self.totals.steps += 1;
        Ok(n as u64)
    }

    /// Rounds until at least `packets` more are sent.
    pub fn run(&mut self, packets: u64) -> Result<(), BenchError> {
        let goal = self.totals.sent + packets;
        let mut idle = 0u64;
        while self.totals.sent < goal {
            if self.round()? == 0 {
                idle += 1;
                if idle >= 10_000 {
                    return Err(BenchError::Stalled {
                        rounds: idle,
                        what: format!("sent {} of {goal}", self.totals.sent),
                    });
                }
            } else {
                idle = 0;
            }
        }
        Ok(())
    }

    /// Every packet the driver took left the card, except those still in the ring; the
    /// driver's count agrees; no strict-mode violation.
    pub fn check(&mut self) -> Result<(), BenchError> {
        self.bus.flush();
        self.sim.step_until_idle(100);
        let err = |m: String| Err(BenchError::Check(m));
        if self.bus.spilled() != 0 {
            return err(format!("{} register writes spilled", self.bus.spilled()));
        }
        let v = self.sim.violations();
        if !v.is_empty() {
            return err(format!("strict-mode violations: {v:?}"));
        }
        let on_wire = self.sim.stats(0)?.tx_frames;
        if on_wire != self.totals.sent {
            return err(format!(
                "the driver sent {} packets, the card put {on_wire} on the wire",
                self.totals.sent
            ));
        }
        let q = self.dev.stats().queues[0].sw;
        if q.tx_packets != self.totals.sent {
            return err(format!(
                "the driver counts {} sent, the harness {}",
                q.tx_packets, self.totals.sent
            ));
        }
        Ok(())
    }
}
