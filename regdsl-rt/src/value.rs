//! Register values, bit masks and fields: constant descriptors, not a function per field.

use crate::int::Int;
use crate::spec::Register;
use core::fmt;
use core::marker::PhantomData;
use core::ops::BitOr;

macro_rules! copy_marker {
    ($t:ident) => {
        impl<R> Clone for $t<R> {
            #[inline(always)]
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<R> Copy for $t<R> {}
    };
}

const fn width_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// A set of bits of register `R` (single-bit fields, `|`-combined; or ad hoc with `raw`/`bit`).
pub struct Bits<R> {
    mask: u64,
    _r: PhantomData<fn() -> R>,
}
copy_marker!(Bits);

// Constructors for generated code, without bounds or checks (the table checker has checked the
// masks): thousands of field constants are evaluated by every `cargo check`.
impl<R> Bits<R> {
    #[doc(hidden)]
    pub const fn __new(mask: u64) -> Self {
        Bits {
            mask,
            _r: PhantomData,
        }
    }
}
impl<R> Field<R> {
    #[doc(hidden)]
    pub const fn __new(name: &'static str, lsb: u32, width: u32) -> Self {
        Field {
            lsb,
            width,
            name,
            _r: PhantomData,
        }
    }
}
impl<R> FieldValue<R> {
    #[doc(hidden)]
    pub const fn __new(mask: u64, value: u64) -> Self {
        FieldValue {
            mask,
            value,
            _r: PhantomData,
        }
    }
}

impl<R: Register> Bits<R> {
    /// Ad-hoc mask for registers without field rows. Panics (at compile time in a `const`)
    /// when the mask has bits outside the register width.
    #[inline(always)]
    pub const fn raw(mask: u64) -> Self {
        if mask & !width_mask(<R::Int as Int>::BITS) != 0 {
            panic!("mask has bits outside the register width");
        }
        Bits {
            mask,
            _r: PhantomData,
        }
    }
    /// Bit `n`; panics when `n` is outside the register width.
    #[inline(always)]
    pub const fn bit(n: u32) -> Self {
        if n >= <R::Int as Int>::BITS {
            panic!("bit number outside the register width");
        }
        Self::raw(1u64 << n)
    }
    /// No bits.
    pub const NONE: Self = Bits {
        mask: 0,
        _r: PhantomData,
    };
    #[inline(always)]
    pub const fn mask(self) -> u64 {
        self.mask
    }
    #[inline(always)]
    pub fn bits(self) -> R::Int {
        R::Int::from_u64(self.mask)
    }
    /// Union, usable in `const` items.
    #[inline(always)]
    pub const fn or(self, o: Self) -> Self {
        Bits {
            mask: self.mask | o.mask,
            _r: PhantomData,
        }
    }
}

impl<R: Register> BitOr for Bits<R> {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        self.or(o)
    }
}

impl<R: Register> fmt::Debug for Bits<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bits<{}>({:#x})", R::NAME, self.mask)
    }
}

/// A multi-bit field of register `R`: bits `lsb .. lsb + width`.
pub struct Field<R> {
    lsb: u32,
    width: u32,
    name: &'static str,
    _r: PhantomData<fn() -> R>,
}
copy_marker!(Field);

impl<R: Register> Field<R> {
    /// Generated code only; `lsb + width` is inside the register (checked by the table checker).
    pub const fn new(name: &'static str, lsb: u32, width: u32) -> Self {
        Field {
            lsb,
            width,
            name,
            _r: PhantomData,
        }
    }
    pub const fn lsb(self) -> u32 {
        self.lsb
    }
    pub const fn width(self) -> u32 {
        self.width
    }
    pub const fn name(self) -> &'static str {
        self.name
    }
    /// The field's bits in place.
    pub const fn mask(self) -> Bits<R> {
        Bits {
            mask: width_mask(self.width) << self.lsb,
            _r: PhantomData,
        }
    }
    /// The field set to `v`; panics, naming register, field, width and value, when `v` does
    /// not fit. For a constant, [`crate::val!`] makes that a compile error instead.
    #[inline(always)]
    #[track_caller]
    pub fn val(self, v: R::Int) -> FieldValue<R> {
        match self.try_val(v) {
            Ok(fv) => fv,
            Err(e) => field_overflow(e),
        }
    }
    /// The field set to `v`, or an error naming register, field, width and value.
    #[inline(always)]
    pub fn try_val(self, v: R::Int) -> Result<FieldValue<R>, FieldError> {
        let v = v.to_u64();
        if v & !width_mask(self.width) != 0 {
            Err(FieldError {
                register: R::NAME,
                field: self.name,
                value: v,
                width: self.width,
            })
        } else {
            Ok(self.placed(v))
        }
    }
    /// `val!` only: the field set to `v`, checked in a `const` (a compile error when `v` does
    /// not fit).
    #[doc(hidden)]
    pub const fn __const_val(self, v: u64) -> FieldValue<R> {
        if v & !width_mask(self.width) != 0 {
            panic!("value does not fit the field");
        }
        self.placed(v)
    }
    #[inline(always)]
    const fn placed(self, v: u64) -> FieldValue<R> {
        FieldValue {
            mask: width_mask(self.width) << self.lsb,
            value: v << self.lsb,
            _r: PhantomData,
        }
    }
}

impl<R: Register> fmt::Debug for Field<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}[{}+{}]", R::NAME, self.name, self.lsb, self.width)
    }
}

/// Some fields of register `R` set to given values: a named value (`SRRCTL::DESCTYPE::ADV_ONEBUF`),
/// `Field::val`, or single bits; `|` combines. `mask` says which bits it defines.
pub struct FieldValue<R> {
    mask: u64,
    value: u64,
    _r: PhantomData<fn() -> R>,
}
copy_marker!(FieldValue);

impl<R: Register> FieldValue<R> {
    /// Generated named values: `value` is already in place and inside `mask`.
    pub const fn new(mask: u64, value: u64) -> Self {
        FieldValue {
            mask,
            value: value & mask,
            _r: PhantomData,
        }
    }
    pub const fn mask(self) -> u64 {
        self.mask
    }
    pub const fn value(self) -> u64 {
        self.value
    }
    pub const fn or(self, o: Self) -> Self {
        FieldValue {
            mask: self.mask | o.mask,
            value: (self.value & !o.mask) | o.value,
            _r: PhantomData,
        }
    }
}

impl<R: Register> From<Bits<R>> for FieldValue<R> {
    #[inline(always)]
    fn from(b: Bits<R>) -> Self {
        FieldValue::new(b.mask, b.mask)
    }
}
impl<R: Register> BitOr for FieldValue<R> {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        self.or(o)
    }
}
impl<R: Register> BitOr<Bits<R>> for FieldValue<R> {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Bits<R>) -> Self {
        self.or(o.into())
    }
}
impl<R: Register> BitOr<FieldValue<R>> for Bits<R> {
    type Output = FieldValue<R>;
    #[inline(always)]
    fn bitor(self, o: FieldValue<R>) -> FieldValue<R> {
        FieldValue::from(self).or(o)
    }
}
impl<R: Register> fmt::Debug for FieldValue<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{{mask {:#x}, value {:#x}}}",
            R::NAME,
            self.mask,
            self.value
        )
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn field_overflow(e: FieldError) -> ! {
    panic!("{e}")
}

/// A field value that does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub register: &'static str,
    pub field: &'static str,
    pub value: u64,
    pub width: u32,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "value {:#x} does not fit field {}.{} ({} bits)",
            self.value, self.register, self.field, self.width
        )
    }
}
#[cfg(feature = "std")]
impl std::error::Error for FieldError {}

/// A value of register `R`, as read or to be written.
pub struct Value<R: Register> {
    bits: R::Int,
    _r: PhantomData<fn() -> R>,
}

impl<R: Register> Clone for Value<R> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}
impl<R: Register> Copy for Value<R> {}
impl<R: Register> PartialEq for Value<R> {
    fn eq(&self, o: &Self) -> bool {
        self.bits == o.bits
    }
}
impl<R: Register> Eq for Value<R> {}

impl<R: Register> Value<R> {
    #[inline(always)]
    pub fn from_bits(bits: R::Int) -> Self {
        Value {
            bits,
            _r: PhantomData,
        }
    }
    /// All zeros.
    #[inline(always)]
    pub fn zero() -> Self {
        Self::from_bits(R::Int::ZERO)
    }
    /// The reset value from the table (zero when the table gives none).
    #[inline(always)]
    pub fn reset() -> Self {
        Self::from_raw(R::RESET.unwrap_or(0))
    }
    #[inline(always)]
    pub fn bits(self) -> R::Int {
        self.bits
    }
    #[inline(always)]
    fn raw(self) -> u64 {
        self.bits.to_u64()
    }
    #[inline(always)]
    fn from_raw(v: u64) -> Self {
        Self::from_bits(R::Int::from_u64(v))
    }
    /// Every bit of `b` set.
    #[inline(always)]
    pub fn is_set(self, b: Bits<R>) -> bool {
        self.raw() & b.mask == b.mask
    }
    /// Every bit of `b` clear.
    #[inline(always)]
    pub fn is_clear(self, b: Bits<R>) -> bool {
        self.raw() & b.mask == 0
    }
    /// Some bit of `b` set.
    #[inline(always)]
    pub fn any(self, b: Bits<R>) -> bool {
        self.raw() & b.mask != 0
    }
    /// The value of field `f`.
    #[inline(always)]
    pub fn get(self, f: Field<R>) -> R::Int {
        R::Int::from_u64((self.raw() & f.mask().mask) >> f.lsb)
    }
    /// Whether the bits of `v` (a named value, for example) are as `v` says.
    #[inline(always)]
    pub fn is(self, v: FieldValue<R>) -> bool {
        self.raw() & v.mask == v.value
    }
    /// The bits of `v` set as `v` says: a named value, `FIELD.val(x)`, `FIELD.try_val(x)?`,
    /// `val!(FIELD, x)`, single bits, or several of them combined with `|`.
    #[inline(always)]
    pub fn with(self, v: impl Into<FieldValue<R>>) -> Self {
        let v = v.into();
        Self::from_raw((self.raw() & !v.mask) | v.value)
    }
    #[inline(always)]
    pub fn set(self, b: Bits<R>) -> Self {
        Self::from_raw(self.raw() | b.mask)
    }
    #[inline(always)]
    pub fn clr(self, b: Bits<R>) -> Self {
        Self::from_raw(self.raw() & !b.mask)
    }
}

impl<R: Register> fmt::Debug for Value<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:#x})", R::NAME, self.bits)
    }
}
impl<R: Register> fmt::LowerHex for Value<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.bits, f)
    }
}
impl<R: Register> fmt::UpperHex for Value<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(&self.bits, f)
    }
}

/// What `write` accepts: a [`Value`], [`Bits`], a [`FieldValue`] (bits outside its mask are 0),
/// or the register's integer type.
pub trait IntoValue<R: Register> {
    fn into_value(self) -> Value<R>;
}
impl<R: Register> IntoValue<R> for Value<R> {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        self
    }
}
impl<R: Register> IntoValue<R> for Bits<R> {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        Value::from_raw(self.mask)
    }
}
impl<R: Register> IntoValue<R> for FieldValue<R> {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        Value::from_raw(self.value)
    }
}
impl<R: Register<Int = u8>> IntoValue<R> for u8 {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        Value::from_bits(self)
    }
}
impl<R: Register<Int = u16>> IntoValue<R> for u16 {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        Value::from_bits(self)
    }
}
impl<R: Register<Int = u32>> IntoValue<R> for u32 {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        Value::from_bits(self)
    }
}
impl<R: Register<Int = u64>> IntoValue<R> for u64 {
    #[inline(always)]
    fn into_value(self) -> Value<R> {
        Value::from_bits(self)
    }
}

/// A compile-time checked field value: `val!(SRRCTL::BSIZEPACKET, 2)`. A value too wide for the
/// field fails `cargo check`, naming the field, the value and the field's width ("value 32
/// does not fit field SRRCTL::BSIZEPACKET", "`FieldFits::<5, 32>`": 5 bits, value 32).
#[macro_export]
macro_rules! val {
    ($field:expr, $v:expr) => {{
        const __REGDSL_W: u32 = ($field).width();
        const __REGDSL_V: u64 = $v as u64;
        const __REGDSL_OK: () = $crate::value::FieldFits::<__REGDSL_W, __REGDSL_V>::check(concat!(
            "value ",
            stringify!($v),
            " does not fit field ",
            stringify!($field)
        ));
        #[allow(clippy::let_unit_value)]
        let () = __REGDSL_OK;
        ($field).__const_val(__REGDSL_V)
    }};
}

/// `val!` only: the compile-time check that `VALUE` fits `WIDTH` bits; the error names both
/// in the type (`FieldFits::<5, 32>`).
#[doc(hidden)]
pub struct FieldFits<const WIDTH: u32, const VALUE: u64>;

impl<const WIDTH: u32, const VALUE: u64> FieldFits<WIDTH, VALUE> {
    #[doc(hidden)]
    pub const fn check(what: &'static str) {
        if VALUE & !width_mask(WIDTH) != 0 {
            panic!("{}", what);
        }
    }
}

/// Ad-hoc bits by number for registers without field rows, Snabb's `bits{A=0, B=4}`:
/// `bits!(RTTDCS::Reg; 0, 4)`. A bit outside the register fails `cargo check`.
#[macro_export]
macro_rules! bits {
    ($reg:ty; $($n:expr),+ $(,)?) => {{
        const __REGDSL_B: $crate::Bits<$reg> = $crate::Bits::<$reg>::NONE $(.or($crate::Bits::<$reg>::bit($n)))+;
        __REGDSL_B
    }};
}
