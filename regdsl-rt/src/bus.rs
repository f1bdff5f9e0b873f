//! The bus: how generated register handles reach a device.
//!
//! A bus is anything with 8-, 16-, 32- and 64-bit reads and writes at a byte offset. Real hardware is
//! [`Mmio`] (a raw pointer to a mapped BAR, volatile accesses, monomorphised away); the
//! simulated card and the tracing wrapper are other buses. Nothing above the bus knows which
//! one it runs on.

/// The name an access is made through, for tracing: `RXDCTL` with index `Some(0)`.
/// Buses that do not trace ignore it, and after inlining it costs nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub name: &'static str,
    pub index: Option<u32>,
}

impl Site {
    /// An access made without a register name (raw offset).
    pub const UNNAMED: Site = Site {
        name: "",
        index: None,
    };
    pub const fn new(name: &'static str, index: Option<u32>) -> Self {
        Site { name, index }
    }
    pub fn is_named(&self) -> bool {
        !self.name.is_empty()
    }
}

/// 8/16/32/64-bit register access at a byte offset from the device's register base.
///
/// Offsets passed by generated code are always inside the table and aligned to the access
/// width (64-bit registers that are not 8-aligned are accessed as two 32-bit halves by the
/// generated code, low half first). Generated code makes 8- and 16-bit accesses only for
/// registers the table declares that wide (a 16550 UART, PCI configuration space): a bus for
/// a device without such registers may report them as errors of its own kind.
pub trait Bus {
    fn read8(&self, offset: usize, site: Site) -> u8;
    fn write8(&self, offset: usize, value: u8, site: Site);
    fn read16(&self, offset: usize, site: Site) -> u16;
    fn write16(&self, offset: usize, value: u16, site: Site);
    fn read32(&self, offset: usize, site: Site) -> u32;
    fn write32(&self, offset: usize, value: u32, site: Site);
    /// An 8-aligned 64-bit access. The default does two 32-bit accesses, low half first.
    fn read64(&self, offset: usize, site: Site) -> u64 {
        let lo = u64::from(self.read32(offset, site));
        let hi = u64::from(self.read32(offset + 4, site));
        lo | (hi << 32)
    }
    fn write64(&self, offset: usize, value: u64, site: Site) {
        self.write32(offset, value as u32, site);
        self.write32(offset + 4, (value >> 32) as u32, site);
    }
    /// Called between two polls of a `wait_*` loop. Real hardware just hints the CPU; a
    /// simulated device that runs in the caller's thread may advance its engines here.
    #[inline(always)]
    fn relax(&self) {
        core::hint::spin_loop();
    }
}

impl<B: Bus + ?Sized> Bus for &B {
    #[inline(always)]
    fn read8(&self, offset: usize, site: Site) -> u8 {
        (**self).read8(offset, site)
    }
    #[inline(always)]
    fn write8(&self, offset: usize, value: u8, site: Site) {
        (**self).write8(offset, value, site)
    }
    #[inline(always)]
    fn read16(&self, offset: usize, site: Site) -> u16 {
        (**self).read16(offset, site)
    }
    #[inline(always)]
    fn write16(&self, offset: usize, value: u16, site: Site) {
        (**self).write16(offset, value, site)
    }
    #[inline(always)]
    fn read32(&self, offset: usize, site: Site) -> u32 {
        (**self).read32(offset, site)
    }
    #[inline(always)]
    fn write32(&self, offset: usize, value: u32, site: Site) {
        (**self).write32(offset, value, site)
    }
    #[inline(always)]
    fn read64(&self, offset: usize, site: Site) -> u64 {
        (**self).read64(offset, site)
    }
    #[inline(always)]
    fn write64(&self, offset: usize, value: u64, site: Site) {
        (**self).write64(offset, value, site)
    }
    #[inline(always)]
    fn relax(&self) {
        (**self).relax()
    }
}

/// Memory-mapped registers: a raw pointer to a mapped BAR.
///
/// Holds a pointer, never a reference: a reference to device memory would let the compiler
/// invent or merge reads.
#[derive(Clone, Copy, Debug)]
pub struct Mmio {
    base: *mut u8,
    len: usize,
}

// SAFETY: `Mmio` is a pointer into a device mapping; accesses are volatile and the device
// serialises them. Sharing the handle across threads is what a multi-queue driver does
// (each queue writes its own tail register).
unsafe impl Send for Mmio {}
// SAFETY: see `Send`; `Mmio` has no interior state besides the pointer.
unsafe impl Sync for Mmio {}

impl Mmio {
    /// # Safety
    /// `base` must point to a mapping of at least `len` bytes of device registers that stays
    /// mapped for as long as this `Mmio` (and copies of it) are used.
    pub const unsafe fn new(base: *mut u8, len: usize) -> Self {
        Mmio { base, len }
    }
    pub fn base(&self) -> *mut u8 {
        self.base
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Bus for Mmio {
    #[inline(always)]
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        debug_assert!(offset < self.len);
        // SAFETY: generated code passes only offsets inside the table, and `new`'s contract
        // makes those point into the live mapping.
        unsafe { core::ptr::read_volatile(self.base.add(offset)) }
    }
    #[inline(always)]
    fn write8(&self, offset: usize, value: u8, _site: Site) {
        debug_assert!(offset < self.len);
        // SAFETY: as in `read8`.
        unsafe { core::ptr::write_volatile(self.base.add(offset), value) }
    }
    #[inline(always)]
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        debug_assert!(offset + 2 <= self.len && offset & 1 == 0);
        // SAFETY: as in `read8`, with 2-byte alignment.
        unsafe { core::ptr::read_volatile(self.base.add(offset) as *const u16) }
    }
    #[inline(always)]
    fn write16(&self, offset: usize, value: u16, _site: Site) {
        debug_assert!(offset + 2 <= self.len && offset & 1 == 0);
        // SAFETY: as in `read16`.
        unsafe { core::ptr::write_volatile(self.base.add(offset) as *mut u16, value) }
    }
    #[inline(always)]
    fn read32(&self, offset: usize, _site: Site) -> u32 {
        debug_assert!(offset + 4 <= self.len && offset & 3 == 0);
        // SAFETY: generated code passes only aligned offsets inside the table, and `new`'s
        // contract makes those point into the live mapping.
        unsafe { core::ptr::read_volatile(self.base.add(offset) as *const u32) }
    }
    #[inline(always)]
    fn write32(&self, offset: usize, value: u32, _site: Site) {
        debug_assert!(offset + 4 <= self.len && offset & 3 == 0);
        // SAFETY: as in `read32`.
        unsafe { core::ptr::write_volatile(self.base.add(offset) as *mut u32, value) }
    }
    #[inline(always)]
    fn read64(&self, offset: usize, _site: Site) -> u64 {
        debug_assert!(offset + 8 <= self.len && offset & 7 == 0);
        // SAFETY: as in `read32`, with 8-byte alignment.
        unsafe { core::ptr::read_volatile(self.base.add(offset) as *const u64) }
    }
    #[inline(always)]
    fn write64(&self, offset: usize, value: u64, _site: Site) {
        debug_assert!(offset + 8 <= self.len && offset & 7 == 0);
        // SAFETY: as in `read64`.
        unsafe { core::ptr::write_volatile(self.base.add(offset) as *mut u64, value) }
    }
}
