//! Facts about a generated register table that every driver's PCI backend needs.

use regdsl_rt::RegInfo;

/// Bytes of BAR0 a register table needs: the end of its highest register (every element of
/// every array segment counted).
pub fn bar_size_needed(regs: &[RegInfo]) -> usize {
    regs.iter()
        .map(|r| {
            let last = r
                .segments
                .iter()
                .map(|s| s.base + s.step * (s.max - s.min) as usize)
                .max()
                .unwrap_or(r.offset);
            last + r.bytes()
        })
        .max()
        .unwrap_or(0)
}
