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
    /// Mapped without write permission ([`crate::Sysfs::map_bar_read_only`]): writes panic
    /// with the register's name instead of faulting.
    read_only: bool,
    /// Files, locks and VFIO handles that must outlive the mapping's use.
    _keep: Box<dyn Send + Sync>,
}

impl Bar {
    pub(crate) fn new(map: MmapRaw, keep: Box<dyn Send + Sync>) -> Self {
        Bar {
            map,
            read_only: false,
            _keep: keep,
        }
    }

    pub(crate) fn new_read_only(map: MmapRaw, keep: Box<dyn Send + Sync>) -> Self {
        Bar {
            map,
            read_only: true,
            _keep: keep,
        }
    }

    /// Whether the mapping is read-only (writes through [`Bus`] panic).
    pub fn is_read_only(&self) -> bool {
        self.read_only
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
    /// The returned `Mmio` (and its copies) must not be used after this `Bar` is dropped, nor
    /// written through when the mapping is read-only ([`Bar::is_read_only`]): the write would
    /// fault.
    pub unsafe fn mmio(&self) -> Mmio {
        // SAFETY: the mapping is `len()` bytes of device registers; the caller promises not to
        // outlive it.
        unsafe { Mmio::new(self.map.as_mut_ptr(), self.map.len()) }
    }

    /// Keep the mapping for the rest of the process and return a `'static` [`Mmio`].
    ///
    /// # Panics
    /// On a read-only mapping: an [`Mmio`] cannot refuse writes, and a write would fault.
    pub fn leak(self) -> Mmio {
        assert!(
            !self.read_only,
            "a read-only BAR mapping cannot become an Mmio (writes would fault)"
        );
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

impl Bar {
    #[inline(always)]
    fn check_writable(&self, offset: usize, site: Site) {
        assert!(
            !self.read_only,
            "write to {}{} at {offset:#x} through a read-only BAR mapping",
            site.name,
            site.index.map(|i| format!("[{i}]")).unwrap_or_default()
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
        self.check_writable(offset, site);
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
        self.check_writable(offset, site);
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
