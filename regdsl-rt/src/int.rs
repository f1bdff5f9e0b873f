//! Register widths: `u8`, `u16`, `u32` and `u64`, and how each reaches the bus.

use crate::bus::{Bus, Site};
use core::fmt::{Debug, LowerHex, UpperHex};
use core::ops::{BitAnd, BitOr, Not};

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// The integer type of a register: `u8`, `u16`, `u32` or `u64`.
pub trait Int:
    sealed::Sealed
    + Copy
    + Eq
    + Debug
    + LowerHex
    + UpperHex
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
    + Not<Output = Self>
    + 'static
{
    const BITS: u32;
    const ZERO: Self;
    const ONES: Self;
    fn to_u64(self) -> u64;
    /// Truncating conversion (callers only pass values that fit).
    fn from_u64(v: u64) -> Self;
    fn read<B: Bus + ?Sized>(bus: &B, offset: usize, site: Site) -> Self;
    fn write<B: Bus + ?Sized>(bus: &B, offset: usize, value: Self, site: Site);
}

macro_rules! narrow {
    ($t:ty, $bits:expr, $read:ident, $write:ident) => {
        impl Int for $t {
            const BITS: u32 = $bits;
            const ZERO: Self = 0;
            const ONES: Self = <$t>::MAX;
            #[inline(always)]
            fn to_u64(self) -> u64 {
                u64::from(self)
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn read<B: Bus + ?Sized>(bus: &B, offset: usize, site: Site) -> Self {
                bus.$read(offset, site)
            }
            #[inline(always)]
            fn write<B: Bus + ?Sized>(bus: &B, offset: usize, value: Self, site: Site) {
                bus.$write(offset, value, site)
            }
        }
    };
}
narrow!(u8, 8, read8, write8);
narrow!(u16, 16, read16, write16);

impl Int for u32 {
    const BITS: u32 = 32;
    const ZERO: Self = 0;
    const ONES: Self = u32::MAX;
    #[inline(always)]
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as u32
    }
    #[inline(always)]
    fn read<B: Bus + ?Sized>(bus: &B, offset: usize, site: Site) -> Self {
        bus.read32(offset, site)
    }
    #[inline(always)]
    fn write<B: Bus + ?Sized>(bus: &B, offset: usize, value: Self, site: Site) {
        bus.write32(offset, value, site)
    }
}

impl Int for u64 {
    const BITS: u32 = 64;
    const ZERO: Self = 0;
    const ONES: Self = u64::MAX;
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v
    }
    /// 8-aligned: one 64-bit access; otherwise two 32-bit halves, low half first (the
    /// 82599's 64-bit statistics latch the high half when the low half is read).
    #[inline(always)]
    fn read<B: Bus + ?Sized>(bus: &B, offset: usize, site: Site) -> Self {
        if offset & 7 == 0 {
            bus.read64(offset, site)
        } else {
            let lo = u64::from(bus.read32(offset, site));
            let hi = u64::from(bus.read32(offset + 4, site));
            lo | (hi << 32)
        }
    }
    #[inline(always)]
    fn write<B: Bus + ?Sized>(bus: &B, offset: usize, value: Self, site: Site) {
        if offset & 7 == 0 {
            bus.write64(offset, value, site)
        } else {
            bus.write32(offset, value as u32, site);
            bus.write32(offset + 4, (value >> 32) as u32, site);
        }
    }
}
