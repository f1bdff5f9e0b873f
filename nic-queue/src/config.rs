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

/// A receive pool must hold at least a ring's worth of buffers.
pub fn check_pool(pool_size: usize, rx_ring: usize) -> Result<(), String> {
    if pool_size >= rx_ring {
        Ok(())
    } else {
        Err(format!(
            "pool_size = {pool_size} is smaller than rx_ring = {rx_ring}"
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
        check_pool(512, 512).unwrap();
        assert!(check_pool(8, 64).unwrap_err().contains("pool_size = 8"));
    }
}
