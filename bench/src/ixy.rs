//! ixy's instruction counts per forwarded packet, for comparison (BENCHMARKS.md, "Where ixy's
//! figures come from").
//!
//! Published for two batch sizes only: ixy (C) forwarding both ways, CPU counters divided by
//! the rate (Xeon E3-1230 v3 at 1.6 GHz; ixy-languages, `Rust-vs-C-performance.md`, from the
//! ANCS'19 paper "The Case for Writing Network Drivers in High-Level Programming Languages").
//! Elsewhere an estimate from the model `a + b / batch` through those two points.

/// (batch, instructions per packet) as published for ixy (C).
pub const PUBLISHED: [(usize, f64); 2] = [(8, 139.0), (32, 127.0)];

/// ixy (C) at `batch`: the published count, or the model's estimate. `true` when published.
pub fn instructions(batch: usize) -> (f64, bool) {
    if let Some(&(_, v)) = PUBLISHED.iter().find(|&&(b, _)| b == batch) {
        return (v, true);
    }
    let (a, b) = model();
    (a + b / batch as f64, false)
}

/// The model's (a, b) through the published points: a per packet, b per receive+send call pair.
pub fn model() -> (f64, f64) {
    let [(b1, v1), (b2, v2)] = PUBLISHED;
    let (x1, x2) = (1.0 / b1 as f64, 1.0 / b2 as f64);
    let b = (v1 - v2) / (x1 - x2);
    (v1 - b * x1, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_goes_through_the_published_points() {
        let (a, b) = model();
        assert!(
            (a - 123.0).abs() < 1e-9 && (b - 128.0).abs() < 1e-9,
            "{a} {b}"
        );
        assert_eq!(instructions(8), (139.0, true));
        assert_eq!(instructions(32), (127.0, true));
        assert_eq!(instructions(1), (251.0, false));
        assert_eq!(instructions(128), (124.0, false));
    }
}
