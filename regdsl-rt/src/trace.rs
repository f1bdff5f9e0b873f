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
/// upper-case hex digits, value as `0x` and 8 (32-bit) or 16 (64-bit) upper-case hex digits,
/// the register name (`?` when unknown) and `[index]` for arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceLine<'a> {
    pub dir: Dir,
    pub offset: usize,
    pub value: u64,
    pub wide: bool,
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
        if self.wide {
            write!(f, "0x{:016X} ", self.value)?;
        } else {
            write!(f, "0x{:08X} ", self.value as u32)?;
        }
        f.write_str(if self.name.is_empty() { "?" } else { self.name })?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}
