//! A mapped BAR: owns the mapping (and whatever keeps the device open) and gives out [`Mmio`].

use std::fmt;

use memmap2::MmapRaw;
use regdsl_rt::{Bus, Mmio, Site};

/// BAR0 of an opened device, mapped into this process.
///
/// The mapping lives as long as this value. Three ways to reach the registers:
/// - `Regs::new(&bar)`: `Bar` is a [`Bus`] (bounds-checked), the borrow keeps the mapping alive;
/// - [`Bar::leak`]: a `'static` [`Mmio`] (the mapping is never unmapped);
/// - [`Bar::mmio`] (unsafe): an [`Mmio`] the caller must not use after the `Bar` is dropped.
pub struct Bar {
    map: MmapRaw,
    /// Files, locks and VFIO handles that must outlive the mapping's use.
    _keep: Box<dyn Send + Sync>,
}

impl Bar {
    pub(crate) fn new(map: MmapRaw, keep: Box<dyn Send + Sync>) -> Self {
        Bar { map, _keep: keep }
    }

    /// Size of the mapping in bytes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// An [`Mmio`] for this mapping.
    ///
    /// # Safety
    /// The returned `Mmio` (and its copies) must not be used after this `Bar` is dropped.
    pub unsafe fn mmio(&self) -> Mmio {
        // SAFETY: the mapping is `len()` bytes of device registers; the caller promises not to
        // outlive it.
        unsafe { Mmio::new(self.map.as_mut_ptr(), self.map.len()) }
    }

    /// Keep the mapping for the rest of the process and return a `'static` [`Mmio`].
    pub fn leak(self) -> Mmio {
        let bar = Box::leak(Box::new(self));
        // SAFETY: the `Bar` is leaked, so the mapping is never unmapped.
        unsafe { bar.mmio() }
    }

    #[inline(always)]
    fn check(&self, offset: usize, width: usize) {
        assert!(
            offset.is_multiple_of(width) && offset.checked_add(width).is_some_and(|e| e <= self.len()),
            "register access at {offset:#x} ({width} bytes) outside BAR of {:#x} bytes or unaligned",
            self.len()
        );
    }
}

impl Bus for Bar {
    #[inline(always)]
    fn read8(&self, offset: usize, site: Site) -> u8 {
        self.check(offset, 1);
        // SAFETY: bounds checked above; the mapping lives as long as `self`.
        unsafe { self.mmio() }.read8(offset, site)
    }
    #[inline(always)]
    fn write8(&self, offset: usize, value: u8, site: Site) {
        self.check(offset, 1);
        // SAFETY: as in `read8`.
        unsafe { self.mmio() }.write8(offset, value, site)
    }
    #[inline(always)]
    fn read16(&self, offset: usize, site: Site) -> u16 {
        self.check(offset, 2);
        // SAFETY: as in `read8`.
        unsafe { self.mmio() }.read16(offset, site)
    }
    #[inline(always)]
    fn write16(&self, offset: usize, value: u16, site: Site) {
        self.check(offset, 2);
        // SAFETY: as in `read8`.
        unsafe { self.mmio() }.write16(offset, value, site)
    }
    #[inline(always)]
    fn read32(&self, offset: usize, site: Site) -> u32 {
        self.check(offset, 4);
        // SAFETY: bounds checked above; the mapping lives as long as `self`.
        unsafe { self.mmio() }.read32(offset, site)
    }
    #[inline(always)]
    fn write32(&self, offset: usize, value: u32, site: Site) {
        self.check(offset, 4);
        // SAFETY: as in `read32`.
        unsafe { self.mmio() }.write32(offset, value, site)
    }
    #[inline(always)]
    fn read64(&self, offset: usize, site: Site) -> u64 {
        self.check(offset, 8);
        // SAFETY: as in `read32`.
        unsafe { self.mmio() }.read64(offset, site)
    }
    #[inline(always)]
    fn write64(&self, offset: usize, value: u64, site: Site) {
        self.check(offset, 8);
        // SAFETY: as in `read32`.
        unsafe { self.mmio() }.write64(offset, value, site)
    }
}

impl fmt::Debug for Bar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bar")
            .field("base", &self.map.as_ptr())
            .field("len", &format_args!("{:#x}", self.len()))
            .finish()
    }
}
