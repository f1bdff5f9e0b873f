//! Errors of register accesses.

use core::fmt;

/// A `wait_*` gave up: the bits never reached the wanted state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout {
    pub register: &'static str,
    pub index: Option<u32>,
    /// The bits waited for.
    pub mask: u64,
    /// The last value read.
    pub last: u64,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timeout waiting on {}", self.register)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        write!(f, " (bits {:#x}, last value {:#x})", self.mask, self.last)
    }
}
#[cfg(feature = "std")]
impl std::error::Error for Timeout {}

/// An array index outside the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexError {
    pub register: &'static str,
    pub index: u32,
    /// The valid indices, e.g. `0..=127`.
    pub valid: &'static str,
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "index {} out of range for register array {} (valid: {})",
            self.index, self.register, self.valid
        )
    }
}
#[cfg(feature = "std")]
impl std::error::Error for IndexError {}
