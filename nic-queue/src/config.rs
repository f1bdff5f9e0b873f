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
}
