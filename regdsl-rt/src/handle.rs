//! Register handles: a bus reference, an offset and (for arrays) an index. No reference to
//! device memory; every access goes through the [`Bus`].

use crate::bus::{Bus, Site};
use crate::counter::Counter;
use crate::error::Timeout;
use crate::int::Int;
use crate::spec::{CounterMode, ReadModifyWrite, Readable, ReadableUnique, Register, Writable};
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
        let v = (v & !R::Int::from_u64(R::RSV_MASK)) | R::Int::from_u64(R::RSV_VALUE);
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
        R::Mode: ReadModifyWrite,
    {
        let old = self.raw_read() & !R::Int::from_u64(R::W1C_MASK);
        self.raw_write(f(Value::from_bits(old)).bits())
    }
    /// Like [`modify`](Self::modify) with a fallible closure (field values checked against
    /// their width); nothing is written on error.
    #[inline(always)]
    pub fn try_modify<E>(&self, f: impl FnOnce(Value<R>) -> Result<Value<R>, E>) -> Result<(), E>
    where
        R::Mode: ReadModifyWrite,
    {
        let old = self.raw_read() & !R::Int::from_u64(R::W1C_MASK);
        self.raw_write(f(Value::from_bits(old))?.bits());
        Ok(())
    }
    /// Read-modify-write setting `b` (or a [`FieldValue`]: its fields take its values).
    #[inline(always)]
    pub fn set(&self, b: impl Into<FieldValue<R>>)
    where
        R::Mode: ReadModifyWrite,
    {
        let v = b.into();
        self.modify(|old| old.with(v))
    }
    /// Read-modify-write clearing `b`.
    #[inline(always)]
    pub fn clr(&self, b: Bits<R>)
    where
        R::Mode: ReadModifyWrite,
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
    /// Poll until `pred` holds or the timeout has passed (then `Err(Timeout)` with the last
    /// value read). `poll` is a [`Duration`](core::time::Duration) (the timeout, default pacing) or a [`Poll`]: the
    /// first polls are back to back, then the pauses double up to a bound, so that a wait of
    /// seconds is a few hundred reads, not millions. The register is read once more after the
    /// deadline; never hangs.
    pub fn wait_until(
        &self,
        mask: u64,
        poll: impl Into<Poll>,
        mut pred: impl FnMut(Value<R>) -> bool,
    ) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        let poll = poll.into();
        let start = std::time::Instant::now();
        let mut pause = poll.first_pause;
        let mut n = 0u32;
        loop {
            let elapsed = start.elapsed();
            let expired = elapsed > poll.timeout;
            let v = self.read();
            if pred(v) {
                return Ok(v);
            }
            if expired {
                return Err(self.timeout(mask, v));
            }
            self.bus.relax();
            n = n.saturating_add(1);
            if n >= poll.spins {
                // Never sleep far past the deadline: the last read comes right after it.
                let left = poll.timeout.saturating_sub(elapsed);
                std::thread::sleep(pause.min(left + core::time::Duration::from_micros(1)));
                pause = (pause * 2).min(poll.max_pause);
            }
        }
    }
    /// Poll until every bit of `b` is set, for at most the timeout of `poll` (a [`Duration`](core::time::Duration)
    /// or a [`Poll`]).
    pub fn wait_set(&self, b: Bits<R>, poll: impl Into<Poll>) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        self.wait_until(b.mask(), poll, |v| v.is_set(b))
    }
    /// Poll until every bit of `b` is clear, for at most the timeout of `poll`.
    pub fn wait_clear(&self, b: Bits<R>, poll: impl Into<Poll>) -> Result<Value<R>, Timeout>
    where
        R::Mode: Readable,
    {
        self.wait_until(b.mask(), poll, |v| v.is_clear(b))
    }
}

/// How a `wait_*` polls: for at most `timeout`; the first `spins` polls back to back (a bit
/// that is already set, or sets within microseconds, costs no sleep); then a pause between
/// polls that starts at `first_pause` and doubles up to `max_pause` (ixy polls every 10 ms;
/// Linux drivers sleep with `usleep_range`). A [`Duration`](core::time::Duration) converts to the default pacing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll {
    pub timeout: core::time::Duration,
    pub spins: u32,
    pub first_pause: core::time::Duration,
    pub max_pause: core::time::Duration,
}

impl Poll {
    /// Default pacing: 8 polls back to back, then pauses from 10 µs doubling up to 10 ms.
    /// A 10 ms wait is about 20 reads; an 8 s link wait about 810.
    pub const fn new(timeout: core::time::Duration) -> Self {
        Poll {
            timeout,
            spins: 8,
            first_pause: core::time::Duration::from_micros(10),
            max_pause: core::time::Duration::from_millis(10),
        }
    }
    /// Polls made back to back before the first pause.
    pub const fn spins(self, spins: u32) -> Self {
        Poll { spins, ..self }
    }
    /// The first pause and the bound of the doubling pauses.
    pub const fn pauses(self, first: core::time::Duration, max: core::time::Duration) -> Self {
        Poll {
            first_pause: first,
            max_pause: max,
            ..self
        }
    }
}

impl From<core::time::Duration> for Poll {
    fn from(timeout: core::time::Duration) -> Self {
        Poll::new(timeout)
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
