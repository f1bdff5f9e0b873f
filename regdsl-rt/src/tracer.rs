//! `Trace<B, S>`: a bus wrapper that reports every access as a [`TraceLine`].

use crate::bus::{Bus, Site};
use crate::trace::{Dir, TraceLine};

/// Where trace lines go.
pub trait TraceSink {
    fn line(&self, line: &TraceLine<'_>);
}

/// A closure as a sink: `Trace::new(bus, TraceFn(|l| eprintln!("{l}")))`.
pub struct TraceFn<F>(pub F);

impl<F: Fn(&TraceLine<'_>)> TraceSink for TraceFn<F> {
    fn line(&self, line: &TraceLine<'_>) {
        (self.0)(line)
    }
}

impl<T: TraceSink + ?Sized> TraceSink for &T {
    fn line(&self, line: &TraceLine<'_>) {
        (**self).line(line)
    }
}

/// A tracing bus: forwards to `inner` and reports each access to `sink`, named by the
/// access's [`Site`], else by `lookup(offset)` (the generated `lookup`), else `?`.
pub struct Trace<B, S> {
    inner: B,
    sink: S,
    lookup: Option<fn(usize) -> Option<Site>>,
}

impl<B: Bus, S: TraceSink> Trace<B, S> {
    pub fn new(inner: B, sink: S) -> Self {
        Trace {
            inner,
            sink,
            lookup: None,
        }
    }
    /// Name unnamed accesses with the table's `lookup`.
    pub fn with_lookup(mut self, lookup: fn(usize) -> Option<Site>) -> Self {
        self.lookup = Some(lookup);
        self
    }
    pub fn inner(&self) -> &B {
        &self.inner
    }
    pub fn sink(&self) -> &S {
        &self.sink
    }
    pub fn into_parts(self) -> (B, S) {
        (self.inner, self.sink)
    }
    fn emit(&self, dir: Dir, offset: usize, value: u64, bits: u8, site: Site) {
        let site = if site.is_named() {
            site
        } else {
            self.lookup.and_then(|f| f(offset)).unwrap_or(Site::UNNAMED)
        };
        self.sink.line(&TraceLine {
            dir,
            offset,
            value,
            bits,
            name: site.name,
            index: site.index,
        });
    }
}

impl<B: Bus, S: TraceSink> Bus for Trace<B, S> {
    fn read8(&self, offset: usize, site: Site) -> u8 {
        let v = self.inner.read8(offset, site);
        self.emit(Dir::R, offset, u64::from(v), 8, site);
        v
    }
    fn write8(&self, offset: usize, value: u8, site: Site) {
        self.emit(Dir::W, offset, u64::from(value), 8, site);
        self.inner.write8(offset, value, site)
    }
    fn read16(&self, offset: usize, site: Site) -> u16 {
        let v = self.inner.read16(offset, site);
        self.emit(Dir::R, offset, u64::from(v), 16, site);
        v
    }
    fn write16(&self, offset: usize, value: u16, site: Site) {
        self.emit(Dir::W, offset, u64::from(value), 16, site);
        self.inner.write16(offset, value, site)
    }
    fn read32(&self, offset: usize, site: Site) -> u32 {
        let v = self.inner.read32(offset, site);
        self.emit(Dir::R, offset, u64::from(v), 32, site);
        v
    }
    fn write32(&self, offset: usize, value: u32, site: Site) {
        self.emit(Dir::W, offset, u64::from(value), 32, site);
        self.inner.write32(offset, value, site)
    }
    fn read64(&self, offset: usize, site: Site) -> u64 {
        let v = self.inner.read64(offset, site);
        self.emit(Dir::R, offset, v, 64, site);
        v
    }
    fn write64(&self, offset: usize, value: u64, site: Site) {
        self.emit(Dir::W, offset, value, 64, site);
        self.inner.write64(offset, value, site)
    }
    fn relax(&self) {
        self.inner.relax()
    }
}

/// A sink that keeps the formatted lines (tests, `sim` logs).
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct TraceLog(std::sync::Mutex<Vec<String>>);

#[cfg(feature = "std")]
impl TraceLog {
    pub fn new() -> Self {
        Self::default()
    }
    /// The lines so far, emptying the log.
    pub fn take(&self) -> Vec<String> {
        core::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(feature = "std")]
impl TraceSink for TraceLog {
    fn line(&self, line: &TraceLine<'_>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_string());
    }
}

/// A sink writing one line per access to an `io::Write` (a file, stderr).
#[cfg(feature = "std")]
pub struct TraceWriter<W>(std::sync::Mutex<W>);

#[cfg(feature = "std")]
impl<W: std::io::Write> TraceWriter<W> {
    pub fn new(w: W) -> Self {
        TraceWriter(std::sync::Mutex::new(w))
    }
}

#[cfg(feature = "std")]
impl<W: std::io::Write> TraceSink for TraceWriter<W> {
    fn line(&self, line: &TraceLine<'_>) {
        let mut w = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A trace that cannot be written must not change what the driver does.
        let _ = writeln!(w, "{line}");
    }
}

#[cfg(feature = "std")]
impl<T: TraceSink + ?Sized> TraceSink for std::sync::Arc<T> {
    fn line(&self, line: &TraceLine<'_>) {
        (**self).line(line)
    }
}
