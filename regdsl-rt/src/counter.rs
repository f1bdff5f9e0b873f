//! 64-bit totals of hardware counters, so that no count is lost when a 32-bit counter wraps
//! or is cleared by a read (82599 datasheet 8.2.3.23: statistics are RC or wrap).

/// A running total of one counter register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    total: u64,
    last: Option<u64>,
}

impl Counter {
    pub const fn new() -> Self {
        Counter {
            total: 0,
            last: None,
        }
    }
    pub fn total(&self) -> u64 {
        self.total
    }
    /// Add a read-to-clear value.
    pub fn add(&mut self, v: u64) -> u64 {
        self.total = self.total.wrapping_add(v);
        self.total
    }
    /// Add the difference to the previous raw value of a wrapping counter of `bits` bits. The
    /// first reading only sets the base (counts before it are not known to be ours).
    pub fn add_wrapping(&mut self, raw: u64, bits: u32) -> u64 {
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        if let Some(prev) = self.last {
            self.total = self.total.wrapping_add(raw.wrapping_sub(prev) & mask);
        }
        self.last = Some(raw & mask);
        self.total
    }
    /// Forget the total (the hardware counter is left as is).
    pub fn reset(&mut self) {
        self.total = 0;
    }
}

/// Accumulate every element of a counter array (generated `Stats::update`).
pub fn update_array<B, R>(totals: &mut [Counter], regs: crate::ArrayMut<'_, B, R>)
where
    B: crate::Bus + ?Sized,
    R: crate::ArraySpec,
    R::Mode: crate::CounterMode,
{
    for (c, r) in totals.iter_mut().zip(regs.iter()) {
        r.accumulate(c);
    }
}

/// Call `f(name, index, total)` for each element of a counter array (generated `Stats`).
pub fn visit_array(
    totals: &[Counter],
    name: &'static str,
    segs: &[crate::Seg],
    f: &mut impl FnMut(&'static str, Option<u32>, u64),
) {
    let indices = segs.iter().flat_map(|s| s.min..=s.max);
    for (c, i) in totals.iter().zip(indices) {
        f(name, Some(i), c.total());
    }
}
