//! The configuration checks both drivers make of their rings, buffers and pools (the limits
//! that differ per device are arguments). Each returns the message for the driver's
//! configuration error, naming the bad value.

/// Smallest ring: RDLEN/TDLEN count bytes in multiples of 128, that is 8 descriptors (82599
/// datasheet 8.2.3.8.3, 82576 8.10.7).
pub const MIN_RING: usize = 8;
/// SRRCTL.BSIZEPACKET counts 1 KiB units (82599 8.2.3.8.7, 82576 8.10.2).
pub const BSIZE_UNIT: usize = 1024;
/// Largest buffer SRRCTL.BSIZEPACKET describes.
pub const MAX_BUF: usize = 16 * 1024;

/// Ring sizes: a power of two in `MIN_RING..=max`.
pub fn check_ring(what: &str, n: usize, max: usize) -> Result<(), String> {
    if n.is_power_of_two() && (MIN_RING..=max).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "{what} = {n}, must be a power of two in {MIN_RING}..={max}"
        ))
    }
}

/// Buffer size: a multiple of [`BSIZE_UNIT`], at least `min` (rounded up to a unit), at most
/// [`MAX_BUF`].
pub fn check_buf(buf_size: usize, min: usize) -> Result<(), String> {
    let min = min.max(1).div_ceil(BSIZE_UNIT) * BSIZE_UNIT;
    if buf_size % BSIZE_UNIT == 0 && (min..=MAX_BUF).contains(&buf_size) {
        Ok(())
    } else {
        Err(format!(
            "buf_size = {buf_size}, must be a multiple of {BSIZE_UNIT} in {min}..={MAX_BUF}"
        ))
    }
}

/// Transmit descriptors per report-status group: the card writes DD back on every
/// `tx_rs_thresh`-th descriptor (RS set on descriptors `k * rs - 1`), and the send path
/// reclaims a whole group per DD read, its buffers returned under one pool lock. A quarter of
/// the ring, at most 64 (DPDK's ixgbe vector path uses 32; 64 halves the per-group cost, about
/// 5 instructions per packet, BENCHMARKS.md); a power of two dividing the ring.
pub fn tx_rs_thresh(tx_ring: usize) -> usize {
    (tx_ring / 4).clamp(1, 64)
}

/// The send path reclaims (lazily) only once fewer than this many descriptors are free (or
/// fewer than the call needs): the same as [`tx_rs_thresh`], so one reclaimed group restores
/// the margin.
pub fn tx_free_thresh(tx_ring: usize) -> usize {
    tx_rs_thresh(tx_ring)
}

/// A receive queue's pool must cover a full receive ring *and* a full transmit ring:
/// `pool_size >= rx_ring + tx_ring`.
///
/// Why: a transmit queue reclaims lazily, only when fewer than [`tx_free_thresh`] of its
/// descriptors are free, so it may keep up to `tx_ring - 1 - tx_free_thresh` buffers the card
/// has long finished with while it sends nothing more. A forwarder sends only what it
/// receives: if those parked buffers are most of the pool, the receive ring cannot be refilled,
/// nothing more arrives, nothing more is sent, and the parked buffers never come back (the
/// forwarder starves; `nic-queue`'s `a_forwarder_starves_below_the_pool_rule` test shows it).
/// With `rx_ring + tx_ring` buffers the receive ring is refilled completely (`rx_ring - 1`)
/// even while the transmit ring holds all it can (`tx_ring - 1`), which leaves one buffer per
/// ring for the application in between; an application that holds more (a batch between its
/// receive and send calls, packets kept for later) adds that to the pool. A pool whose
/// packets go to several transmit queues needs one `tx_ring` per queue.
pub fn check_pool(pool_size: usize, rx_ring: usize, tx_ring: usize) -> Result<(), String> {
    if pool_size >= rx_ring + tx_ring {
        Ok(())
    } else {
        Err(format!(
            "pool_size = {pool_size} is smaller than rx_ring + tx_ring = {} (a transmit ring \
             keeps sent buffers until it reclaims them, and the receive ring must still be refilled)",
            rx_ring + tx_ring
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_messages() {
        check_ring("rx_ring", 8, 4096).unwrap();
        check_ring("rx_ring", 4096, 4096).unwrap();
        for n in [0, 4, 100, 8192] {
            let e = check_ring("rx_ring", n, 4096).unwrap_err();
            assert!(e.starts_with(&format!("rx_ring = {n},")), "{e}");
        }
        check_buf(1024, 0).unwrap();
        check_buf(2048, 1514).unwrap();
        check_buf(16384, 1514).unwrap();
        for b in [0, 1000, 1024, 17408] {
            let e = check_buf(b, 1514).unwrap_err();
            assert!(e.contains(&format!("buf_size = {b},")), "{e}");
            assert!(e.contains("in 2048..=16384"), "{e}");
        }
        check_pool(1024, 512, 512).unwrap();
        check_pool(96, 64, 32).unwrap();
        let e = check_pool(1023, 512, 512).unwrap_err();
        assert!(
            e.contains("pool_size = 1023") && e.contains("= 1024"),
            "{e}"
        );
        assert!(check_pool(8, 64, 8).unwrap_err().contains("pool_size = 8"));
        for (ring, rs) in [
            (8, 2),
            (16, 4),
            (64, 16),
            (128, 32),
            (256, 64),
            (512, 64),
            (32768, 64),
        ] {
            assert_eq!(tx_rs_thresh(ring), rs);
            assert_eq!(ring % rs, 0);
            assert!(tx_free_thresh(ring) < ring - 1);
        }
    }

    /// A forwarder (receive, then send what it received on another queue of the same pool)
    /// against a card that completes every send and brings `arrive` new frames per step,
    /// dropping those that find no receive descriptor. Returns the packets forwarded in each
    /// half of the run.
    fn forward(pool_size: usize, rx_ring: usize, tx_ring: usize) -> (u64, u64) {
        use crate::desc::{self, rx_wb, tx_read, tx_wb, RxFormat};
        use crate::testutil::FakeRegs;
        use crate::{RxQueue, TxQueue};
        use dma::testing::HeapDma;
        use dma::{DmaMemory, Mempool};
        use std::rc::Rc;
        use std::sync::Arc;
        struct Fmt;
        impl RxFormat for Fmt {
            const ERR_FRAME: u32 = 0;
        }
        let dma = HeapDma::new();
        let pool = Mempool::new(&dma, pool_size, 2048).unwrap();
        let rx_mem = dma.alloc(rx_ring * desc::DESC_SIZE, 128).unwrap();
        let tx_mem = dma.alloc(tx_ring * desc::DESC_SIZE, 128).unwrap();
        let (rx_base, tx_base) = (rx_mem.virt(), tx_mem.virt());
        let tx_regs = FakeRegs::new(0, Rc::default());
        let tdt = tx_regs.last_tail.clone();
        let mut rxq: RxQueue<FakeRegs, Fmt> = RxQueue::new(
            FakeRegs::new(0, Rc::default()),
            rx_mem,
            rx_ring,
            pool,
            Arc::default(),
        );
        let mut txq = TxQueue::new(tx_regs, tx_mem, tx_ring, Arc::default());
        let (mut rx_next, mut tx_done) = (0usize, 0usize);
        let mut halves = [0u64; 2];
        let mut buf = Vec::new();
        const STEPS: usize = 400;
        for step in 0..STEPS {
            // The card: sends everything it was given (DD where RS is set)...
            while tx_done != tdt.get() as usize {
                // SAFETY: `tx_done < tx_ring`; the ring outlives the loop.
                unsafe {
                    let d = desc::at(tx_base, tx_done);
                    if desc::read32(d, tx_read::CMD_TYPE_LEN) & tx_read::DCMD_RS != 0 {
                        desc::write32(d, tx_wb::STATUS, tx_wb::STAT_DD);
                    }
                }
                tx_done = (tx_done + 1) % tx_ring;
            }
            // ... and receives 4 frames where it holds a descriptor (up to RDT).
            for _ in 0..4 {
                if rx_next == rxq.tail() as usize {
                    break; // no descriptor: the card drops the frame
                }
                let w = u64::from(rx_wb::STAT_DD | rx_wb::STAT_EOP) | (60 << rx_wb::LENGTH_SHIFT);
                // SAFETY: `rx_next < rx_ring`; the ring outlives the loop.
                unsafe { desc::write64(desc::at(rx_base, rx_next), rx_wb::STATUS_ERROR, w) };
                rx_next = (rx_next + 1) % rx_ring;
            }
            // The forwarder: receive a batch, send it (a send call every step).
            rxq.rx_batch(&mut buf, 8);
            halves[step * 2 / STEPS] += txq.tx_batch(&mut buf) as u64;
        }
        drop(buf);
        (halves[0], halves[1])
    }

    #[test]
    fn a_forwarder_starves_below_the_pool_rule() {
        // A receive ring of 16 and a transmit ring of 64: the transmit queue keeps up to
        // 64 - 1 - 16 sent buffers before its free threshold makes it reclaim. A pool of 32
        // (enough for the receive ring alone, the old rule) ends up parked there: the receive
        // ring runs dry, nothing arrives, nothing is sent, nothing is reclaimed.
        assert!(check_pool(32, 16, 64).is_err());
        let (first, second) = forward(32, 16, 64);
        assert!(first > 0, "it forwarded at first");
        assert_eq!(second, 0, "then starved for good");
        // With the rule's pool it forwards all along: 4 frames a step in, 4 out.
        check_pool(80, 16, 64).unwrap();
        let (first, second) = forward(80, 16, 64);
        assert!(first > 0);
        assert_eq!(second, 4 * 200, "every frame of the second half forwarded");
    }
}
