//! Register-array handles. One element is reached with
//! - `at(i)`: infallible. A `u32` is checked (out of range panics, naming the register and its
//!   valid indices); an [`Index`] was validated when it was made, so nothing is checked again;
//! - `get(i)`: fallible, `Result<_, IndexError>` for a `u32` that may be out of range;
//! - `at_const::<N>()`: a constant index, checked by the compiler when the call is built
//!   (`cargo build`/`cargo test`; see [`Array::at_const`]);
//! - `element(i)`: an owned [`Element`] (offset resolved once) that a driver stores.

use crate::bus::Bus;
use crate::error::IndexError;
use crate::handle::{Reg, RegMut};
use crate::spec::{Array as ArraySpec, Index, IndexSet};
use core::marker::PhantomData;

/// A register array on bus `B`.
pub struct Array<'a, B: ?Sized, R> {
    bus: &'a B,
    _r: PhantomData<fn() -> R>,
}

impl<B: ?Sized, R> Clone for Array<'_, B, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: ?Sized, R> Copy for Array<'_, B, R> {}

/// The panic of `at`: generic so that the call site passes only the index.
#[cold]
#[inline(never)]
#[track_caller]
fn out_of_range<R: ArraySpec>(i: u32) -> ! {
    panic!("{}", error::<R>(i))
}

/// Offset of a validated index: no check left for single-segment arrays.
#[inline(always)]
fn offset_of_valid<R: ArraySpec>(i: u32) -> usize {
    let segs = R::SEGMENTS;
    if segs.len() == 1 {
        segs[0].base + segs[0].step * (i - segs[0].min) as usize
    } else {
        match R::offset(i) {
            Some(o) => o,
            // Every array with index set `R::Indices` covers it (the set is built from the
            // array's own rows), so this is unreachable; panicking beats a wild access.
            None => out_of_range::<R>(i),
        }
    }
}

/// The compile-time check of [`Array::at_const`]: `OK` fails to evaluate, with a message naming
/// the index, the register and its valid indices, when `N` is not one of the array's indices.
struct ConstIndexCheck<R, const N: u32>(PhantomData<fn() -> R>);

impl<R: ArraySpec, const N: u32> ConstIndexCheck<R, N> {
    const MESSAGE: Message = Message::new()
        .push("constant index ")
        .push_u32(N)
        .push(" is out of range for register array ")
        .push(R::NAME)
        .push(": its indices are ")
        .push(<R::Indices as IndexSet>::TEXT)
        .push(" (`.at(i)` or `.get(i)` take run-time indices)");
    const OK: () = if !ranges_contain(<R::Indices as IndexSet>::RANGES, N) {
        panic!("{}", Self::MESSAGE.as_str())
    };
}

const fn ranges_contain(ranges: &[(u32, u32)], i: u32) -> bool {
    let mut k = 0;
    while k < ranges.len() {
        if ranges[k].0 <= i && i <= ranges[k].1 {
            return true;
        }
        k += 1;
    }
    false
}

/// A message built at compile time (const panics on stable Rust format only one `&str`).
struct Message {
    buf: [u8; 512],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Message {
            buf: [0; 512],
            len: 0,
        }
    }
    const fn push(mut self, s: &str) -> Self {
        let s = s.as_bytes();
        let mut k = 0;
        // Whole characters only: a cut text stays UTF-8.
        while k < s.len() && self.len < self.buf.len() - 4 {
            self.buf[self.len] = s[k];
            self.len += 1;
            k += 1;
        }
        while self.len > 0 && k < s.len() && (s[k] & 0xC0) == 0x80 {
            self.len -= 1;
            k -= 1;
        }
        self
    }
    const fn push_u32(mut self, v: u32) -> Self {
        let mut digits = [0u8; 10];
        let (mut n, mut v) = (0, v);
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        while n > 0 && self.len < self.buf.len() {
            n -= 1;
            self.buf[self.len] = digits[n];
            self.len += 1;
        }
        self
    }
    const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "constant index out of range for this register array",
        }
    }
}

fn error<R: ArraySpec>(i: u32) -> IndexError {
    IndexError {
        register: R::NAME,
        index: i,
        valid: <R::Indices as IndexSet>::TEXT,
    }
}

impl<'a, B: Bus + ?Sized, R: ArraySpec> Array<'a, B, R> {
    #[doc(hidden)]
    #[inline(always)]
    pub fn new(bus: &'a B) -> Self {
        Array {
            bus,
            _r: PhantomData,
        }
    }
    /// Element `i`: a `u32` is checked (panics naming the register and its valid indices when
    /// out of range); an [`Index`] is already valid and costs no check.
    #[inline(always)]
    #[track_caller]
    pub fn at(&self, i: impl At<R>) -> Reg<'a, B, R> {
        let (offset, i) = i.resolve();
        Reg::at_offset(self.bus, offset, Some(i))
    }
    /// Element `i`, or an error naming the register and its valid indices.
    #[inline(always)]
    pub fn get(&self, i: u32) -> Result<Reg<'a, B, R>, IndexError> {
        match R::offset(i) {
            Some(o) => Ok(Reg::at_offset(self.bus, o, Some(i))),
            None => Err(error::<R>(i)),
        }
    }
    /// Element `N`, a constant index checked by the compiler: an index that is not one of the
    /// array's is a build error naming the index, the register and its valid indices
    /// (`constant index 128 is out of range for register array RDT: its indices are 0..=127`).
    /// The check is a constant evaluated for each `N` the crate uses, so it fails `cargo build`
    /// and `cargo test`; `cargo check`, which does not instantiate generic functions, does not
    /// see it. One generic check instead of one trait impl per index keeps large arrays cheap to
    /// compile.
    #[inline(always)]
    pub fn at_const<const N: u32>(&self) -> Reg<'a, B, R> {
        #[allow(clippy::let_unit_value)]
        let () = ConstIndexCheck::<R, N>::OK;
        Reg::at_offset(self.bus, offset_of_valid::<R>(N), Some(N))
    }
    /// Element `i` as an owned [`Element`]: its offset resolved now, once.
    #[inline(always)]
    pub fn element(&self, i: Index<R::Indices>) -> Element<R> {
        Element::new(i)
    }
    /// Every element, in index order.
    pub fn iter(&self) -> impl Iterator<Item = Reg<'a, B, R>> + 'a {
        let bus = self.bus;
        R::SEGMENTS.iter().flat_map(move |s| {
            (s.min..=s.max)
                .map(move |i| Reg::at_offset(bus, s.base + s.step * (i - s.min) as usize, Some(i)))
        })
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        R::SEGMENTS
            .iter()
            .map(|s| (s.max - s.min) as usize + 1)
            .sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A register array reached with unique access (`regs.NAME_mut()`), for read-to-clear arrays.
pub struct ArrayMut<'a, B: ?Sized, R>(Array<'a, B, R>);

impl<'a, B: Bus + ?Sized, R: ArraySpec> ArrayMut<'a, B, R> {
    #[doc(hidden)]
    #[inline(always)]
    pub fn new(bus: &'a B) -> Self {
        ArrayMut(Array::new(bus))
    }
    #[inline(always)]
    fn wrap(r: Reg<'a, B, R>) -> RegMut<'a, B, R> {
        RegMut::at_offset(r.bus(), r.offset(), r.index())
    }
    /// Element `i`, as [`Array::at`].
    #[inline(always)]
    #[track_caller]
    pub fn at(&self, i: impl At<R>) -> RegMut<'a, B, R> {
        Self::wrap(self.0.at(i))
    }
    /// Element `i`, as [`Array::get`].
    #[inline(always)]
    pub fn get(&self, i: u32) -> Result<RegMut<'a, B, R>, IndexError> {
        self.0.get(i).map(Self::wrap)
    }
    /// Element `N`, as [`Array::at_const`] (checked when built).
    #[inline(always)]
    pub fn at_const<const N: u32>(&self) -> RegMut<'a, B, R> {
        Self::wrap(self.0.at_const::<N>())
    }
    pub fn iter(&self) -> impl Iterator<Item = RegMut<'a, B, R>> + 'a {
        self.0.iter().map(Self::wrap)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The shared handle.
    pub fn shared(&self) -> Array<'a, B, R> {
        self.0
    }
}

/// What [`Array::at`] accepts: a `u32` (checked when used) or an [`Index`] (checked when made).
pub trait At<R: ArraySpec>: Copy {
    /// The element's offset and index; panics when the index is not one of the array's.
    #[doc(hidden)]
    fn resolve(self) -> (usize, u32);
}

impl<R: ArraySpec> At<R> for u32 {
    #[inline(always)]
    #[track_caller]
    fn resolve(self) -> (usize, u32) {
        match R::offset(self) {
            Some(o) => (o, self),
            None => out_of_range::<R>(self),
        }
    }
}

impl<R: ArraySpec> At<R> for Index<R::Indices> {
    #[inline(always)]
    fn resolve(self) -> (usize, u32) {
        (offset_of_valid::<R>(self.get()), self.get())
    }
}

/// One element of a register array with its offset resolved once, owned and holding no bus:
/// a driver keeps it next to its bus (a queue's tail register in the queue) and reaches the
/// register with [`Element::on`]. An access through it is a plain access at the stored offset:
/// no index arithmetic and no choice between the segments of a split array on each write.
pub struct Element<R> {
    offset: usize,
    index: u32,
    _r: PhantomData<fn() -> R>,
}

impl<R> Clone for Element<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Element<R> {}

impl<R: ArraySpec> core::fmt::Debug for Element<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}[{}] @ {:#07x}", R::NAME, self.index, self.offset)
    }
}

impl<R: ArraySpec> Element<R> {
    /// Element `i` (validated once, when the [`Index`] was made).
    #[inline]
    pub fn new(i: Index<R::Indices>) -> Self {
        Element {
            offset: offset_of_valid::<R>(i.get()),
            index: i.get(),
            _r: PhantomData,
        }
    }
    /// The register on `bus`.
    #[inline(always)]
    pub fn on<'a, B: Bus + ?Sized>(&self, bus: &'a B) -> Reg<'a, B, R> {
        Reg::at_offset(bus, self.offset, Some(self.index))
    }
    /// The array index.
    #[inline(always)]
    pub fn index(&self) -> u32 {
        self.index
    }
    /// Byte offset from the register base.
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.offset
    }
}
