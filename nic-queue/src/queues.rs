//! A device's queues as both drivers' `Device` keeps them: numbered receive and transmit
//! queues that can be looked up, polled in batches, or taken out (to run on another thread),
//! each receive queue's pool (kept after its queue is taken: it is also where packets to send
//! come from), and every queue's software counters (kept too: they still show in the stats).

use crate::counters::QueueCounters;
use crate::desc::RxFormat;
use crate::rxq::RxQueue;
use crate::txq::TxQueue;
use crate::{QueueError, QueueRegs};
use dma::DmaRegion;
use dma::{Mempool, Packet};
use std::sync::Arc;

/// The error of a failed lookup, out of line so that the hot path keeps only the check.
#[cold]
#[inline(never)]
fn no_queue(dir: &'static str, queue: usize, count: usize) -> QueueError {
    QueueError::NoQueue { dir, queue, count }
}

/// The receive queues (`R` their registers, `F` their write-back format) and transmit queues
/// (`T`) of one device, numbered from 0 in the order they were added.
pub struct Queues<R: QueueRegs, F: RxFormat, T: QueueRegs> {
    rx: Vec<Option<RxQueue<R, F>>>,
    tx: Vec<Option<TxQueue<T>>>,
    pools: Vec<Mempool>,
    counters: Vec<Arc<QueueCounters>>,
}

impl<R: QueueRegs, F: RxFormat, T: QueueRegs> Default for Queues<R, F, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: QueueRegs, F: RxFormat, T: QueueRegs> Queues<R, F, T> {
    /// No queues yet.
    pub fn new() -> Self {
        Queues {
            rx: Vec::new(),
            tx: Vec::new(),
            pools: Vec::new(),
            counters: Vec::new(),
        }
    }

    /// The counters of queue number `q` (receive and transmit queue `q` share them), created
    /// with the first queue of that number.
    fn counters_for(&mut self, q: usize) -> Arc<QueueCounters> {
        while self.counters.len() <= q {
            self.counters.push(Arc::new(QueueCounters::default()));
        }
        self.counters[q].clone()
    }

    /// Every queue number's counters, in order.
    pub fn counters(&self) -> &[Arc<QueueCounters>] {
        &self.counters
    }

    /// Builds the next receive queue (number `rx_count()`) over `ring` (`size` descriptors)
    /// with buffers from `pool` (see [`RxQueue::new`]), adds it and keeps its pool; returns it,
    /// for the caller to program its registers.
    pub fn add_rx(
        &mut self,
        regs: R,
        ring: DmaRegion,
        size: usize,
        pool: Mempool,
    ) -> &RxQueue<R, F> {
        let counters = self.counters_for(self.rx.len());
        self.pools.push(pool.clone());
        self.rx
            .push(Some(RxQueue::new(regs, ring, size, pool, counters)));
        self.rx.last().and_then(Option::as_ref).expect("just added")
    }

    /// Builds the next transmit queue (number `tx_count()`) over `ring`, adds it and returns it.
    pub fn add_tx(&mut self, regs: T, ring: DmaRegion, size: usize) -> &TxQueue<T> {
        let counters = self.counters_for(self.tx.len());
        self.tx.push(Some(TxQueue::new(regs, ring, size, counters)));
        self.tx.last().and_then(Option::as_ref).expect("just added")
    }

    /// Receive queues added (taken ones included).
    pub fn rx_count(&self) -> usize {
        self.rx.len()
    }

    /// Transmit queues added (taken ones included).
    pub fn tx_count(&self) -> usize {
        self.tx.len()
    }

    /// The receive queues still here.
    pub fn rx_iter(&self) -> impl Iterator<Item = &RxQueue<R, F>> {
        self.rx.iter().flatten()
    }

    /// The transmit queues still here.
    pub fn tx_iter(&self) -> impl Iterator<Item = &TxQueue<T>> {
        self.tx.iter().flatten()
    }

    /// Receive queue `q`'s buffer pool (there even once the queue is taken).
    pub fn pool(&self, q: usize) -> Result<&Mempool, QueueError> {
        match self.pools.get(q) {
            Some(p) => Ok(p),
            None => Err(no_queue("RX", q, self.pools.len())),
        }
    }

    /// Receive queue `q`, while it is still here.
    #[inline(always)]
    pub fn rx_queue(&mut self, q: usize) -> Result<&mut RxQueue<R, F>, QueueError> {
        let count = self.rx.len();
        match self.rx.get_mut(q) {
            Some(Some(rxq)) => Ok(rxq),
            _ => Err(no_queue("RX", q, count)),
        }
    }

    /// Transmit queue `q`, while it is still here.
    #[inline(always)]
    pub fn tx_queue(&mut self, q: usize) -> Result<&mut TxQueue<T>, QueueError> {
        let count = self.tx.len();
        match self.tx.get_mut(q) {
            Some(Some(txq)) => Ok(txq),
            _ => Err(no_queue("TX", q, count)),
        }
    }

    /// Moves receive queue `q` out; it is gone from here afterwards (its pool and counters stay).
    pub fn take_rx_queue(&mut self, q: usize) -> Result<RxQueue<R, F>, QueueError> {
        let count = self.rx.len();
        match self.rx.get_mut(q).and_then(Option::take) {
            Some(rxq) => Ok(rxq),
            None => Err(no_queue("RX", q, count)),
        }
    }

    /// Moves transmit queue `q` out.
    pub fn take_tx_queue(&mut self, q: usize) -> Result<TxQueue<T>, QueueError> {
        let count = self.tx.len();
        match self.tx.get_mut(q).and_then(Option::take) {
            Some(txq) => Ok(txq),
            None => Err(no_queue("TX", q, count)),
        }
    }

    /// [`RxQueue::rx_batch`] on queue `q`.
    #[inline(always)]
    pub fn rx_batch(
        &mut self,
        q: usize,
        out: &mut Vec<Packet>,
        max: usize,
    ) -> Result<usize, QueueError> {
        Ok(self.rx_queue(q)?.rx_batch(out, max))
    }

    /// [`TxQueue::tx_batch`] on queue `q`.
    #[inline(always)]
    pub fn tx_batch(&mut self, q: usize, pkts: &mut Vec<Packet>) -> Result<usize, QueueError> {
        Ok(self.tx_queue(q)?.tx_batch(pkts))
    }

    /// Drops every queue still here, receive queues first (each stops itself before its
    /// buffers go back); the transmit rings first drain, with one bounded wait for all
    /// ([`crate::txq::drain_all`]). Pools and counters stay.
    pub fn clear(&mut self) {
        self.rx.clear();
        // Transmit rings drain together (one bounded wait), then each queue stops, counts
        // what the card never sent and returns its buffers.
        crate::txq::drain_all(self.tx.iter_mut().flatten(), crate::txq::DrainWait::STOP);
        self.tx.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeRegs;
    use dma::testing::HeapDma;
    use dma::DmaMemory;
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    struct Fmt;
    impl RxFormat for Fmt {
        const ERR_FRAME: u32 = 0;
    }

    const RING: usize = 8;

    /// (dir, queue, count) of a `NoQueue` error; panics on any other.
    fn no_queue_of(e: QueueError) -> (&'static str, usize, usize) {
        match e {
            QueueError::NoQueue { dir, queue, count } => (dir, queue, count),
            other => panic!("not NoQueue: {other:?}"),
        }
    }

    /// Two receive and two transmit queues; the returned cell counts queue stops.
    fn queues() -> (Queues<FakeRegs, Fmt, FakeRegs>, Rc<Cell<u32>>) {
        let stops = Rc::new(Cell::new(0));
        let regs = |id| FakeRegs::new(id, stops.clone());
        let mut qs = Queues::new();
        for q in 0..2u32 {
            let ring = HeapDma::new()
                .alloc(RING * crate::desc::DESC_SIZE, 128)
                .unwrap();
            let pool = Mempool::new(&HeapDma::new(), 16 + q as usize, 2048).unwrap();
            let rxq = qs.add_rx(regs(q), ring, RING, pool);
            assert_eq!((rxq.id(), rxq.filled()), (q, RING - 1));
        }
        for q in 0..2u32 {
            let ring = HeapDma::new()
                .alloc(RING * crate::desc::DESC_SIZE, 128)
                .unwrap();
            assert_eq!(qs.add_tx(regs(q), ring, RING).id(), q);
        }
        assert_eq!(qs.counters().len(), 2, "one set per queue number");
        (qs, stops)
    }

    #[test]
    fn lookup_take_and_errors_name_the_queue() {
        let (mut qs, _) = queues();
        assert_eq!((qs.rx_count(), qs.tx_count()), (2, 2));
        assert_eq!(qs.rx_queue(1).unwrap().id(), 1);
        assert_eq!(qs.tx_queue(0).unwrap().id(), 0);
        let e = qs.rx_queue(2).err().unwrap();
        assert_eq!(
            e,
            QueueError::NoQueue {
                dir: "RX",
                queue: 2,
                count: 2
            }
        );
        assert!(e.to_string().contains("no RX queue 2"), "{e}");
        assert_eq!(no_queue_of(qs.tx_queue(5).err().unwrap()).0, "TX");

        let rxq = qs.take_rx_queue(1).unwrap();
        assert_eq!(rxq.id(), 1);
        assert_eq!(
            no_queue_of(qs.rx_queue(1).err().unwrap()).1,
            1,
            "a taken queue is gone"
        );
        assert!(qs.take_rx_queue(1).is_err());
        assert_eq!(qs.rx_count(), 2, "numbering stays");
        assert_eq!(qs.rx_iter().map(|q| q.id()).collect::<Vec<_>>(), [0]);
        // The pool stays after the queue is taken: it is the queue's own.
        assert_eq!(qs.pool(1).unwrap().capacity(), rxq.pool().capacity());
        assert_eq!(qs.pool(1).unwrap().capacity(), 17);
        assert_eq!(no_queue_of(qs.pool(2).unwrap_err()).2, 2);

        let txq = qs.take_tx_queue(0).unwrap();
        assert_eq!(txq.id(), 0);
        assert!(qs.take_tx_queue(0).is_err());
        assert_eq!(qs.tx_iter().map(|q| q.id()).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn batches_go_to_the_queue_or_fail_without_touching_anything() {
        let (mut qs, _) = queues();
        let mut out = Vec::new();
        // Nothing written back by a card: nothing received, no error.
        assert_eq!(qs.rx_batch(0, &mut out, 32), Ok(0));
        assert!(out.is_empty());
        assert_eq!(
            no_queue_of(qs.rx_batch(2, &mut out, 32).unwrap_err()).0,
            "RX"
        );

        let pool = qs.pool(0).unwrap().clone();
        let mut pkts: Vec<Packet> = (0..3).map(|_| pool.alloc(60).unwrap()).collect();
        assert_eq!(qs.tx_batch(1, &mut pkts), Ok(3));
        assert!(pkts.is_empty());
        assert_eq!(qs.tx_queue(1).unwrap().in_flight(), 3);
        assert_eq!(qs.counters()[1].snapshot().tx_packets, 3);
        assert_eq!(qs.counters()[0].snapshot().tx_packets, 0);

        let mut more: Vec<Packet> = vec![pool.alloc(60).unwrap()];
        let e = qs.tx_batch(2, &mut more).unwrap_err();
        assert_eq!(no_queue_of(e), ("TX", 2, 2));
        assert_eq!(more.len(), 1, "a failed call keeps the packets");
    }

    #[test]
    fn clear_stops_every_queue_still_here() {
        let (mut qs, stops) = queues();
        let taken = qs.take_tx_queue(1).unwrap();
        qs.clear();
        assert_eq!(stops.get(), 3);
        assert_eq!(qs.rx_iter().count() + qs.tx_iter().count(), 0);
        drop(taken);
        assert_eq!(stops.get(), 4);
        assert!(qs.pool(0).is_ok(), "pools stay");
    }

    #[test]
    fn queues_program_their_ring_and_start_through_their_registers() {
        let (mut qs, _) = queues();
        let rxq = qs.rx_queue(1).unwrap();
        let log = rxq.regs_for_test().log.clone();
        rxq.set_ring().unwrap();
        rxq.start(Duration::from_millis(5)).unwrap();
        let ring = format!(
            "ring {:#x} {}",
            rxq.ring_phys(),
            RING * crate::desc::DESC_SIZE
        );
        // The tail (every slot but one filled) only once the queue reads back enabled.
        let tail = format!("tail {}", RING - 1);
        assert_eq!(
            *log.borrow(),
            [ring.as_str(), "enable", "wait", tail.as_str()]
        );

        let txq = qs.tx_queue(0).unwrap();
        let log = txq.regs_for_test().log.clone();
        txq.set_ring().unwrap();
        txq.start(Duration::from_millis(5)).unwrap();
        assert_eq!(
            log.borrow().len(),
            3,
            "ring, enable, wait: {:?}",
            log.borrow()
        );
        assert_eq!(log.borrow()[1..], ["enable", "wait"]);
    }

    #[test]
    fn a_queue_that_does_not_enable_is_an_error_naming_it_and_gets_no_tail() {
        let stops = Rc::new(Cell::new(0));
        let mut regs = FakeRegs::new(3, stops.clone());
        regs.enables = false;
        let log = regs.log.clone();
        let ring = HeapDma::new()
            .alloc(RING * crate::desc::DESC_SIZE, 128)
            .unwrap();
        let pool = Mempool::new(&HeapDma::new(), 16, 2048).unwrap();
        let rxq = RxQueue::<_, Fmt>::new(regs, ring, RING, pool, Arc::default());
        let t = Duration::from_millis(5);
        let e = rxq.start(t).unwrap_err();
        assert_eq!(
            e,
            QueueError::EnableTimeout {
                dir: "RX",
                queue: 3,
                timeout: t
            }
        );
        assert_eq!(e.to_string(), "RX queue 3 did not enable within 5ms");
        assert_eq!(*log.borrow(), ["enable", "wait"]);

        let mut regs = FakeRegs::new(2, stops);
        regs.enables = false;
        let ring = HeapDma::new()
            .alloc(RING * crate::desc::DESC_SIZE, 128)
            .unwrap();
        let txq = TxQueue::new(regs, ring, RING, Arc::default());
        let e = txq.start(t).unwrap_err();
        assert!(
            e.to_string().starts_with("TX queue 2 did not enable"),
            "{e}"
        );
    }
}
