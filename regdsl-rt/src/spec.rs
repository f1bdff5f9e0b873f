//! What generated code says about each register: the spec traits, implemented by the
//! zero-sized `Reg` marker of every register module, and the access-mode markers.

use crate::info::RegInfo;
use crate::int::Int;
use core::marker::PhantomData;

/// Register access modes as data (for tables such as [`crate::RegInfo`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    RO,
    RW,
    WO,
    RC,
    RCR,
    W1C,
    RTC,
    RTCW,
}

/// Access-mode marker types; a register's `Mode` decides which handle methods exist.
pub mod mode {
    /// Read only: no `write`/`set`/`clr`/`modify`.
    pub struct RO;
    /// Read and write.
    pub struct RW;
    /// Write only: no `read`.
    pub struct WO;
    /// Read-to-clear counter: reading needs unique access (`Regs::NAME_mut()`).
    pub struct RC;
    /// Counter that is not cleared by reads (wraps).
    pub struct RCR;
    /// Write 1 to clear: `modify` never writes back the 1s it read.
    pub struct W1C;
    /// Read-to-clear, not a counter (interrupt causes, a UART's line status): reading needs
    /// unique access (`Regs::NAME_mut()`); not in `Stats`; not writable.
    pub struct RTC;
    /// Read-to-clear and writable, not a counter (interrupt causes printed `RC/W`, `RC/WC`,
    /// `RC/W1C`): reading needs unique access; `write` (of 1s) also clears; no `set`/`clr`/
    /// `modify` (the read would consume causes); not in `Stats`.
    pub struct RTCW;
}

/// Implemented by the mode markers in [`mode`].
pub trait Mode: 'static {
    const ACCESS: Access;
}

/// Modes whose registers can be read through a shared handle.
#[diagnostic::on_unimplemented(
    message = "this register cannot be read through a shared handle (mode {Self})",
    label = "not readable here",
    note = "write-only registers have no read; read-to-clear registers (RC, RTC, RTCW) are read through `regs.NAME_mut()` (needs `&mut Regs`)"
)]
pub trait Readable: Mode {}

/// Modes whose registers can be read and written back through a shared handle: `set`, `clr`
/// and `modify` read the register first.
#[diagnostic::on_unimplemented(
    message = "`set`, `clr` and `modify` read the register, then write it back: not possible with mode {Self}",
    label = "read-modify-write here",
    note = "a write-only register cannot be read: write the whole value with `write`; a read-only register cannot be written; a read-to-clear register would lose what the read clears"
)]
pub trait ReadModifyWrite: Readable + Writable {}

/// Modes whose registers can be written.
#[diagnostic::on_unimplemented(
    message = "this register is not writable (mode {Self})",
    label = "no write on this register",
    note = "the table declares it read-only or a counter"
)]
pub trait Writable: Mode {}

/// Modes whose registers can be read with unique access (all readable ones and RC).
#[diagnostic::on_unimplemented(
    message = "this register cannot be read (mode {Self})",
    label = "write-only register"
)]
pub trait ReadableUnique: Mode {}

/// Counter modes (RC, RCR): `accumulate` into a [`crate::Counter`].
#[diagnostic::on_unimplemented(message = "this register is not a counter (mode {Self})")]
pub trait CounterMode: Mode {
    /// Reading returns the count since the last read (RC) rather than a running value (RCR).
    const CLEARS_ON_READ: bool;
}

macro_rules! modes {
    ($($m:ident: $($t:ident),*;)*) => {$(
        impl Mode for mode::$m { const ACCESS: Access = Access::$m; }
        $(#[diagnostic::do_not_recommend] impl $t for mode::$m {})*
    )*};
}
impl ReadModifyWrite for mode::RW {}
impl ReadModifyWrite for mode::W1C {}

modes! {
    RO: Readable, ReadableUnique;
    RW: Readable, ReadableUnique, Writable;
    WO: Writable;
    RC: ReadableUnique;
    RCR: Readable, ReadableUnique;
    W1C: Readable, ReadableUnique, Writable;
    RTC: ReadableUnique;
    RTCW: ReadableUnique, Writable;
}
impl CounterMode for mode::RC {
    const CLEARS_ON_READ: bool = true;
}
impl CounterMode for mode::RCR {
    const CLEARS_ON_READ: bool = false;
}

/// A register's table (generated `__Table`): its entries, `REGISTERS`, are what every
/// [`Register`] constant is read from.
pub trait Table: 'static {
    const INFO: &'static [RegInfo];
}

/// A register, as described by the table. Implemented by the generated `NAME::Reg` marker with
/// types and literals only (its table, its index there, mode, integer type, layout); every
/// constant is read from the register's entry in the table when it is used. An impl of literals
/// is what a large table's `cargo check` pays least for (BENCHMARKS.md, "Compile time").
pub trait Register: 'static {
    /// Generated code only: the table and the register's index in it.
    #[doc(hidden)]
    type __Table: Table;
    #[doc(hidden)]
    const __INDEX: usize;
    type Mode: Mode;
    /// `u8`, `u16`, `u32` or `u64`.
    type Int: Int;
    /// Generated code only: [`Lone`] for a single register, the index set (`idx::I0To127`) of an
    /// array; read through [`Single`] and [`Array`].
    #[doc(hidden)]
    type __Layout: 'static;
    /// The table's name.
    const NAME: &'static str = info::<Self>().name;
    /// Reset value, when the table gives one (of an array: of the elements the table gives no
    /// reset of their own).
    const RESET: Option<u64> = info::<Self>().reset;
    /// Bits of reserved (RSV) fields, and the value every write keeps in them.
    const RSV_MASK: u64 = info::<Self>().rsv_mask;
    const RSV_VALUE: u64 = info::<Self>().rsv_value;
    /// Write-1-to-clear bits: read-modify-write never writes back the 1s read there.
    const W1C_MASK: u64 = info::<Self>().w1c;
    /// Bits software can change by writing (writable fields; every bit of a writable register
    /// without fields). For a software device.
    const WRITABLE: u64 = info::<Self>().writable;
}

/// The table entry of `R`.
const fn info<R: Register + ?Sized>() -> &'static RegInfo {
    &<R::__Table as Table>::INFO[R::__INDEX]
}

/// The layout of a register that is not an array (see [`Register`]).
pub struct Lone;

/// A register at one offset (every [`Register`] whose layout is [`Lone`]).
pub trait Single: Register {
    const OFFSET: usize;
}

impl<R: Register<__Layout = Lone>> Single for R {
    const OFFSET: usize = info::<R>().offset;
}

/// One row of an array: element `i` (`min <= i <= max`) is at `base + step * (i - min)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub base: usize,
    pub step: usize,
    pub min: u32,
    pub max: u32,
}

impl Seg {
    #[inline(always)]
    pub const fn offset(&self, i: u32) -> Option<usize> {
        if i >= self.min && i <= self.max {
            Some(self.base + self.step * (i - self.min) as usize)
        } else {
            None
        }
    }
}

/// Offset of element `i` in `segs` (split arrays have several segments). One- and
/// two-segment arrays (nearly all) are written out so that the optimiser folds the constant
/// segments into immediates, as in hand-written code.
#[inline(always)]
pub fn seg_offset(segs: &[Seg], i: u32) -> Option<usize> {
    #[inline(always)]
    fn one(s: Seg, i: u32) -> Option<usize> {
        let k = i.wrapping_sub(s.min);
        (k <= s.max - s.min).then(|| s.base + s.step * k as usize)
    }
    match segs.len() {
        1 => one(segs[0], i),
        2 => one(segs[0], i).or_else(|| one(segs[1], i)),
        _ => segs.iter().find_map(|s| one(*s, i)),
    }
}

/// A register array (every [`Register`] whose layout is an [`IndexSet`]).
pub trait Array: Register {
    /// The set of valid indices (shared by every array with the same indices, so an
    /// [`Index`] validated once serves all of them, e.g. a queue number).
    type Indices: IndexSet;
    /// The table's rows for this array, sorted by `min`.
    const SEGMENTS: &'static [Seg];
    /// Offset of element `i`, `None` when `i` is not an index of the array.
    #[inline(always)]
    fn offset(i: u32) -> Option<usize> {
        seg_offset(Self::SEGMENTS, i)
    }
}

impl<R: Register> Array for R
where
    R::__Layout: IndexSet,
{
    type Indices = R::__Layout;
    const SEGMENTS: &'static [Seg] = info::<R>().segments;
}

/// A set of array indices (generated `idx::I0To127` types).
pub trait IndexSet: 'static {
    /// Rows of the set: each `(min, max)` inclusive, sorted.
    const RANGES: &'static [(u32, u32)];
    /// Printable, e.g. `0..=63, 64..=127` is shown as `0..=127`.
    const TEXT: &'static str;
    #[inline(always)]
    fn contains(i: u32) -> bool {
        Self::RANGES.iter().any(|&(a, b)| a <= i && i <= b)
    }
}

/// An index already known to be valid for every array whose indices are `I` (validate a queue
/// number once, then access its registers without re-checking).
pub struct Index<I> {
    i: u32,
    _set: PhantomData<fn() -> I>,
}

impl<I> Clone for Index<I> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I> Copy for Index<I> {}
impl<I> PartialEq for Index<I> {
    fn eq(&self, o: &Self) -> bool {
        self.i == o.i
    }
}
impl<I> Eq for Index<I> {}
impl<I> core::fmt::Debug for Index<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Index({})", self.i)
    }
}

impl<I: IndexSet> Index<I> {
    /// `None` when `i` is not in the set.
    #[inline(always)]
    pub fn new(i: u32) -> Option<Self> {
        I::contains(i).then_some(Index {
            i,
            _set: PhantomData,
        })
    }
    #[inline(always)]
    pub const fn get(self) -> u32 {
        self.i
    }
    /// Every index of the set, in order.
    pub fn all() -> impl Iterator<Item = Self> {
        I::RANGES.iter().flat_map(|&(a, b)| {
            (a..=b).map(|i| Index {
                i,
                _set: PhantomData,
            })
        })
    }
}
