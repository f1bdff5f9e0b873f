//! The project's one trace-line format, used by every tracer (the tracing bus, the simulated
//! card): `W 0x00000 0x04000008 CTRL`, `R 0x01028 0x02000000 RXDCTL[0]`.

use core::fmt;

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    R,
    W,
}

/// One register access, displayed in the trace format: direction, offset as `0x` and five
/// upper-case hex digits, value as `0x` and as many upper-case hex digits as the access is
/// wide (2, 4, 8 or 16 for 8-, 16-, 32- and 64-bit accesses),
/// the register name (`?` when unknown) and `[index]` for arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceLine<'a> {
    pub dir: Dir,
    pub offset: usize,
    pub value: u64,
    /// Access width in bits: 8, 16, 32 or 64.
    pub bits: u8,
    pub name: &'a str,
    pub index: Option<u32>,
}

impl fmt::Display for TraceLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.dir {
            Dir::R => 'R',
            Dir::W => 'W',
        };
        write!(f, "{d} 0x{:05X} ", self.offset)?;
        let digits = usize::from(self.bits.clamp(8, 64) / 4);
        let mask = if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits.max(8)) - 1
        };
        write!(f, "0x{:0digits$X} ", self.value & mask)?;
        f.write_str(if self.name.is_empty() { "?" } else { self.name })?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}
