//! Register handles: a bus reference, an offset and (for arrays) an index. No reference to
//! device memory; every access goes through the [`Bus`].

use crate::bus::{Bus, Site};
use crate::counter::Counter;
use crate::error::Timeout;
use crate::int::Int;
use crate::spec::{CounterMode, Readable, ReadableUnique, Register, Writable};
use crate::value::{Bits, Field, FieldValue, IntoValue, Value};
use core::marker::PhantomData;

/// A handle to one register (or one element of an array) on bus `B`.
pub struct Reg<'a, B: ?Sized, R> {
    bus: &'a B,
    offset: usize,
    index: Option<u32>,
    _r: PhantomData<fn() -> R>,
}

impl<B: ?Sized, R> Clone for Reg<'_, B, R> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: ?Sized, R> Copy for Reg<'_, B, R> {}

/// A handle obtained with unique access to the registers (`regs.NAME_mut()`): needed to read
/// read-to-clear registers, so two parts of a driver cannot both consume a count.
pub struct RegMut<'a, B: ?Sized, R>(Reg<'a, B, R>);

impl<'a, B: Bus + ?Sized, R: Register> Reg<'a, B, R> {
    /// Generated code only: `offset` comes from the table.
    #[doc(hidden)]
    #[inline(always)]
    pub fn at_offset(bus: &'a B, offset: usize, index: Option<u32>) -> Self {
        Reg {
            bus,
            offset,
            index,
            _r: PhantomData,
        }
    }
    #[doc(hidden)]
    #[inline(always)]
    pub fn bus(&self) -> &'a B {
        self.bus
    }
    /// Byte offset from the register base.
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// Array index, `None` for a single register.
    #[inline(always)]
    pub fn index(&self) -> Option<u32> {
        self.index
    }
    pub fn name(&self) -> &'static str {
        R::NAME
    }
    #[inline(always)]
    fn site(&self) -> Site {
        Site::new(R::NAME, self.index)
    }
    #[inline(always)]
    fn raw_read(&self) -> R::Int {
        R::Int::read(self.bus, self.offset, self.site())
    }
    /// Reserved bits take the value the table requires.
    #[inline(always)]
    fn raw_write(&self, v: R::Int) {
        let v = (v & !R::RSV_MASK) | R::RSV_VALUE;
        R::Int::write(self.bus, self.offset, v, self.site())
    }

    /// Read the register.
    #[inline(always)]
    pub fn read(&self) -> Value<R>
    where
        R::Mode: Readable,
    {
        Value::from_bits(self.raw_read())
    }
    /// Read field `f`.
    #[inline(always)]
    pub fn read_field(&self, f: Field<R>) -> R::Int
    where
        R::Mode: Readable,
    {
        self.read().get(f)
    }
    /// Every bit of `b` set?
    #[inline(always)]
    pub fn is_set(&self, b: Bits<R>) -> bool
    where
        R::Mode: Readable,
    {
        self.read().is_set(b)
    }

    /// Write `v` (reserved bits forced to the table's value).
    #[inline(always)]
    pub fn write(&self, v: impl IntoValue<R>)
    where
        R::Mode: Writable,
    {
        self.raw_write(v.into_value().bits())
    }
    /// Read, change with `f`, write. W1C bits read as 1 are written back as 0 (they would
    /// clear): set a W1C bit in `f` to clear it on purpose.
    #[inline(always)]
    pub fn modify(&self, f: impl FnOnce(Value<R>) -> Value<R>)
    where
        R::Mode: Readable + Writable,
    {
        let old = self.raw_read() & !R::W1C_MASK;
        self.raw_write(f(Value::from_bits(old)).bits())
    }
    /// Like [`modify`](Self::modify) with a fallible closure (field values checked against
    /// their width); nothing is written on error.
    #[inline(always)]
    pub fn try_modify<E>(&self, f: impl FnOnce(Value<R>) -> Result<Value<R>, E>) -> Result<(), E>
    where
        R::Mode: Readable + Writable,
    {
        let old = self.raw_read() & !R::W1C_MASK;
        self.raw_write(f(Value::from_bits(old))?.bits());
        Ok(())
    }
    /// Read-modify-write setting `b` (or a [`FieldValue`]: its fields take its values).
    #[inline(always)]
    pub fn set(&self, b: impl Into<FieldValue<R>>)
    where
        R::Mode: Readable + Writable,
    {
        let v = b.into();
        self.modify(|old| old.with(v))
    }
    /// Read-modify-write clearing `b`.
    #[inline(always)]
    pub fn clr(&self, b: Bits<R>)
    where
        R::Mode: Readable + Writable,
    {
        self.modify(|old| old.clr(b))
    }
    /// Publish, then write: a release fence (see [`crate::fence::publish`]) so that descriptor
    /// writes made before reach memory before the device sees this write (a tail register).
    #[inline(always)]
    pub fn write_publish(&self, v: impl IntoValue<R>)
    where
        R::Mode: Writable,
    {
        crate::fence::publish();
        self.write(v)
    }

    /// Poll until `pred` holds for a read value; at most `polls` reads. For `no_std`.
    pub fn wait_polls(
        &self,
        mask: u64,
        polls: u32,
        mut pred: impl FnMut(Value<R>) -> bool,
    ) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        let mut last = self.read();
        for _ in 1..polls.max(1) {
            if pred(last) {
                return Ok(last);
            }
            self.bus.relax();
            last = self.read();
        }
        if pred(last) {
            return Ok(last);
        }
        Err(self.timeout(mask, last))
    }
    fn timeout(&self, mask: u64, last: Value<R>) -> Timeout {
        Timeout {
            register: R::NAME,
            index: self.index,
            mask,
            last: last.bits().to_u64(),
        }
    }
    /// Poll until every bit of `b` is set; at most `polls` reads.
    pub fn wait_set_polls(&self, b: Bits<R>, polls: u32) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        self.wait_polls(b.mask(), polls, |v| v.is_set(b))
    }
    /// Poll until every bit of `b` is clear; at most `polls` reads.
    pub fn wait_clear_polls(&self, b: Bits<R>, polls: u32) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        self.wait_polls(b.mask(), polls, |v| v.is_clear(b))
    }
}

#[cfg(feature = "std")]
impl<B: Bus + ?Sized, R: Register> Reg<'_, B, R> {
    /// Poll until `pred` holds or `timeout` has passed (then `Err(Timeout)` with the last value
    /// read). The register is read at least once after the deadline check, never hangs.
    pub fn wait_until(
        &self,
        mask: u64,
        timeout: core::time::Duration,
        mut pred: impl FnMut(Value<R>) -> bool,
    ) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        let start = std::time::Instant::now();
        loop {
            let expired = start.elapsed() > timeout;
            let v = self.read();
            if pred(v) {
                return Ok(v);
            }
            if expired {
                return Err(self.timeout(mask, v));
            }
            self.bus.relax();
        }
    }
    /// Poll until every bit of `b` is set, for at most `timeout`.
    pub fn wait_set(&self, b: Bits<R>, timeout: core::time::Duration) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        self.wait_until(b.mask(), timeout, |v| v.is_set(b))
    }
    /// Poll until every bit of `b` is clear, for at most `timeout`.
    pub fn wait_clear(&self, b: Bits<R>, timeout: core::time::Duration) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        self.wait_until(b.mask(), timeout, |v| v.is_clear(b))
    }
}

impl<'a, B: Bus + ?Sized, R: Register> RegMut<'a, B, R> {
    #[doc(hidden)]
    #[inline(always)]
    pub fn at_offset(bus: &'a B, offset: usize, index: Option<u32>) -> Self {
        RegMut(Reg::at_offset(bus, offset, index))
    }
    /// The shared handle (everything but reads of read-to-clear registers).
    #[inline(always)]
    pub fn shared(&self) -> Reg<'a, B, R> {
        self.0
    }
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.0.offset
    }
    #[inline(always)]
    pub fn index(&self) -> Option<u32> {
        self.0.index
    }
    /// Read (for RC registers: returns the count and clears it).
    #[inline(always)]
    pub fn read(&self) -> Value<R>
    where
        R::Mode: ReadableUnique,
    {
        Value::from_bits(self.0.raw_read())
    }
    /// Read the counter and add it to `c` (RC: the value read; RCR: the difference since the
    /// last read, wrapping at the register width). Returns the new total.
    #[inline]
    pub fn accumulate(&self, c: &mut Counter) -> u64
    where
        R::Mode: CounterMode,
    {
        let v = self.0.raw_read().to_u64();
        if <R::Mode as CounterMode>::CLEARS_ON_READ {
            c.add(v)
        } else {
            c.add_wrapping(v, <R::Int as Int>::BITS)
        }
    }
}
