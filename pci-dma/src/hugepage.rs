//! DMA memory carved out of 2 MiB pages.
//!
//! Hugepages come from `mmap(MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB)`: no hugetlbfs mount is
//! needed, only pages reserved in `/proc/sys/vm/nr_hugepages`. Each page is mlocked, touched and
//! translated once through /proc/self/pagemap. A 2 MiB hugepage is physically contiguous and
//! 2 MiB-aligned, but two pages are not adjacent, so a piece never crosses a page: pieces are
//! bump-allocated inside the current page (never reused; a driver allocates its rings and
//! buffer pools once) and a new page is mapped when the current one is full.

use std::ptr;
use std::sync::{Arc, Mutex};

use crate::error::PciError;
use crate::pagemap::virt_to_phys;
use dma::{DmaError, DmaMemory, DmaRegion};

/// Size of one hugepage and the largest single allocation.
pub const HUGE_PAGE_SIZE: usize = 2 << 20;

/// Run before a page is unmapped.
pub(crate) type BeforeUnmap = Box<dyn Fn(&Page) + Send + Sync>;

/// One mapped page the device sees at `dev_addr` (physical address or IOVA).
pub(crate) struct Page {
    pub virt: *mut u8,
    pub len: usize,
    pub dev_addr: u64,
    /// Run before munmap (VFIO: remove the IOMMU mapping first).
    pub before_unmap: Option<BeforeUnmap>,
}

// SAFETY: `Page` owns its mapping; the pointer is only handed out through `DmaRegion`, whose
// users synchronise access themselves.
unsafe impl Send for Page {}
// SAFETY: as for `Send`; no method reads through the pointer.
unsafe impl Sync for Page {}

impl Drop for Page {
    fn drop(&mut self) {
        if let Some(f) = self.before_unmap.take() {
            f(self);
        }
        // SAFETY: `virt..virt+len` is this page's own mapping; every region carved out of it
        // held an `Arc<Page>`, so none is left.
        unsafe { libc::munmap(self.virt.cast(), self.len) };
    }
}

/// Map `len` bytes of anonymous shared memory, hugetlb-backed if `huge`.
pub(crate) fn map_anonymous(len: usize, huge: bool) -> std::io::Result<*mut u8> {
    let mut flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_POPULATE;
    if huge {
        flags |= libc::MAP_HUGETLB;
    }
    // SAFETY: a fresh anonymous mapping at an address the kernel chooses touches no existing
    // memory.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(p.cast())
}

/// mlock the mapping and touch every small page so all are present.
pub(crate) fn lock_and_touch(virt: *mut u8, len: usize) -> std::io::Result<()> {
    // SAFETY: `virt..virt+len` is a mapping this process owns.
    if unsafe { libc::mlock(virt.cast(), len) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let step = crate::pagemap::page_size();
    for off in (0..len).step_by(step) {
        // SAFETY: inside the fresh mapping, which no device knows about yet.
        unsafe { ptr::write_volatile(virt.add(off), 0) };
    }
    Ok(())
}

/// Where new pages come from.
pub(crate) trait PageSource: Send + Sync {
    fn new_page(&self) -> Result<Page, DmaError>;
}

/// Bump allocation of aligned pieces inside pages from a [`PageSource`].
pub(crate) struct Carver<S> {
    source: S,
    max_pages: usize,
    state: Mutex<CarveState>,
}

#[derive(Default)]
struct CarveState {
    page: Option<Arc<Page>>,
    used: usize,
    pages: usize,
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    v.checked_add(align - 1).map(|x| x & !(align - 1))
}

/// Offset inside `page` where a `size`-byte piece aligned to `align` in device address fits.
fn fit(page: &Page, used: usize, size: usize, align: usize) -> Option<usize> {
    let start = align_up(page.dev_addr + used as u64, align as u64)? - page.dev_addr;
    let start = usize::try_from(start).ok()?;
    (start.checked_add(size)? <= page.len).then_some(start)
}

impl<S: PageSource> Carver<S> {
    pub fn new(source: S, max_pages: usize) -> Self {
        Carver {
            source,
            max_pages,
            state: Mutex::new(CarveState::default()),
        }
    }

    /// Map the first page now, so a missing resource shows at open time.
    pub fn prime(&self) -> Result<(), DmaError> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.page.is_none() {
            self.next_page(&mut st, 0)?;
        }
        Ok(())
    }

    fn next_page(&self, st: &mut CarveState, size: usize) -> Result<(), DmaError> {
        if st.pages >= self.max_pages {
            return Err(DmaError::Exhausted { size });
        }
        let page = self.source.new_page()?;
        st.page = Some(Arc::new(page));
        st.used = 0;
        st.pages += 1;
        Ok(())
    }

    pub fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        if !align.is_power_of_two() || align > HUGE_PAGE_SIZE {
            return Err(DmaError::BadAlign(align));
        }
        if size > HUGE_PAGE_SIZE {
            return Err(DmaError::TooLarge {
                size,
                max: HUGE_PAGE_SIZE,
            });
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let current = st.page.as_ref().and_then(|p| fit(p, st.used, size, align));
        let start = match current {
            Some(s) => s,
            None => {
                self.next_page(&mut st, size)?;
                let page = st.page.as_ref().expect("just mapped");
                fit(page, 0, size, align).ok_or(DmaError::TooLarge {
                    size,
                    max: page.len,
                })?
            }
        };
        let page = Arc::clone(st.page.as_ref().expect("page present"));
        st.used = start + size;
        drop(st);
        // SAFETY: `start + size <= page.len` (checked by `fit`), so the piece is inside the page.
        let virt = unsafe { page.virt.add(start) };
        // SAFETY: the piece belongs to no other region (bump allocation) and the device has
        // not been given its address yet.
        unsafe { ptr::write_bytes(virt, 0, size) };
        let dev = page.dev_addr + start as u64;
        // SAFETY: `virt..virt+size` is mapped and writable, the device sees it at `dev`, and the
        // `Arc<Page>` owner keeps the page mapped while the region lives.
        Ok(unsafe { DmaRegion::new(virt, dev, size, Box::new(page)) })
    }
}

/// Hugepages with physical addresses from /proc/self/pagemap (needs root). For devices
/// without an IOMMU in the way.
struct PagemapSource;

impl PageSource for PagemapSource {
    fn new_page(&self) -> Result<Page, DmaError> {
        let os = |what: &str, err| DmaError::Os {
            what: what.to_string(),
            err,
        };
        let virt = map_anonymous(HUGE_PAGE_SIZE, true).map_err(|e| {
            os(
                &format!("mapping a 2 MiB hugepage ({})", hugepage_counts()),
                e,
            )
        })?;
        let mut page = Page {
            virt,
            len: HUGE_PAGE_SIZE,
            dev_addr: 0,
            before_unmap: None,
        };
        lock_and_touch(virt, HUGE_PAGE_SIZE).map_err(|e| os("mlock of a hugepage", e))?;
        let phys = virt_to_phys(virt).map_err(|e| os("translating a hugepage", other(e)))?;
        if phys % HUGE_PAGE_SIZE as u64 != 0 {
            return Err(os(
                "translating a hugepage",
                other(format!("physical address {phys:#x} is not 2 MiB-aligned")),
            ));
        }
        page.dev_addr = phys;
        Ok(page)
    }
}

pub(crate) fn other(e: impl ToString) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// `HugePages_Total`/`HugePages_Free` from /proc/meminfo, for messages.
pub fn hugepage_counts() -> String {
    match std::fs::read_to_string("/proc/meminfo") {
        Ok(m) => {
            let get = |k: &str| {
                m.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_else(|| "?".to_string())
            };
            format!(
                "HugePages_Total {}, HugePages_Free {}, Hugepagesize {}; reserve some with \
                 `echo 64 > /proc/sys/vm/nr_hugepages`",
                get("HugePages_Total:"),
                get("HugePages_Free:"),
                get("Hugepagesize:")
            )
        }
        Err(e) => format!("/proc/meminfo: {e}"),
    }
}

/// DMA memory from 2 MiB hugepages, addressed physically (no IOMMU).
///
/// ```no_run
/// use pci_dma::{DmaMemory, HugepageAllocator};
/// let dma = HugepageAllocator::new()?;
/// let ring = dma.alloc(4096, 128)?;
/// println!("ring at {:p}, physical {:#x}", ring.virt(), ring.phys());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct HugepageAllocator {
    carver: Carver<PagemapSource>,
}

impl HugepageAllocator {
    /// Default limit: 64 pages (128 MiB).
    pub const DEFAULT_MAX_PAGES: usize = 64;

    /// Maps the first hugepage now, so "no hugepages" or "not root" show here, not later.
    pub fn new() -> Result<Self, PciError> {
        Self::with_max_pages(Self::DEFAULT_MAX_PAGES)
    }

    pub fn with_max_pages(max_pages: usize) -> Result<Self, PciError> {
        let a = HugepageAllocator {
            carver: Carver::new(PagemapSource, max_pages.max(1)),
        };
        a.carver.prime().map_err(|e| match e {
            DmaError::Os { what, err } if what.starts_with("mapping") => PciError::NoHugepages {
                detail: format!("{err}; {}", hugepage_counts()),
            },
            DmaError::Os { what, err }
                if what.starts_with("translating") && !crate::error::is_root() =>
            {
                PciError::NotRoot {
                    what: format!("{what} ({err})"),
                }
            }
            e => PciError::Dma(e),
        })?;
        Ok(a)
    }
}

impl DmaMemory for HugepageAllocator {
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        self.carver.alloc(size, align)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordinary (non-huge) memory with a made-up device address: tests the carving alone.
    struct FakeSource {
        dev_base: u64,
    }

    impl PageSource for FakeSource {
        fn new_page(&self) -> Result<Page, DmaError> {
            let virt = map_anonymous(HUGE_PAGE_SIZE, false).map_err(|err| DmaError::Os {
                what: "mmap".into(),
                err,
            })?;
            Ok(Page {
                virt,
                len: HUGE_PAGE_SIZE,
                dev_addr: self.dev_base,
                before_unmap: None,
            })
        }
    }

    #[test]
    fn pieces_are_aligned_zeroed_and_never_cross_a_page() {
        let c = Carver::new(
            FakeSource {
                dev_base: 0x4000_0000,
            },
            3,
        );
        let a = c.alloc(100, 64).unwrap();
        let b = c.alloc(4096, 4096).unwrap();
        assert_eq!(a.phys(), 0x4000_0000);
        assert_eq!(b.phys(), 0x4000_1000);
        assert_eq!(b.virt() as usize - a.virt() as usize, 0x1000);
        // SAFETY: the region is ours, 4096 bytes long, and no device exists.
        let bytes = unsafe { std::slice::from_raw_parts(b.virt(), b.len()) };
        assert!(bytes.iter().all(|&x| x == 0));
        // Does not fit in what is left of page 1: goes to the start of page 2.
        let big = c.alloc(HUGE_PAGE_SIZE - 0x1000, 128).unwrap();
        assert_eq!(big.phys(), 0x4000_0000);
        assert_ne!(big.virt(), a.virt());
        let whole = c.alloc(HUGE_PAGE_SIZE, 4096).unwrap();
        assert_eq!(whole.len(), HUGE_PAGE_SIZE);
        // Three pages used: the fourth is refused.
        assert!(matches!(c.alloc(64, 64), Err(DmaError::Exhausted { .. })));
    }

    #[test]
    fn bad_requests_are_refused() {
        let c = Carver::new(FakeSource { dev_base: 0 }, 1);
        assert!(matches!(
            c.alloc(HUGE_PAGE_SIZE + 1, 64),
            Err(DmaError::TooLarge { size, max }) if size == HUGE_PAGE_SIZE + 1 && max == HUGE_PAGE_SIZE
        ));
        assert!(matches!(c.alloc(64, 3), Err(DmaError::BadAlign(3))));
        assert!(matches!(c.alloc(64, 0), Err(DmaError::BadAlign(0))));
        assert!(matches!(c.alloc(64, 4 << 20), Err(DmaError::BadAlign(_))));
    }

    #[test]
    fn alignment_follows_the_device_address() {
        // A page whose device address is only 4 KiB-aligned (an IOVA of ordinary memory).
        let c = Carver::new(
            FakeSource {
                dev_base: 0x7f00_1000,
            },
            1,
        );
        let r = c.alloc(64, 0x10000).unwrap();
        assert_eq!(r.phys() % 0x10000, 0);
        assert_eq!(r.phys(), 0x7f01_0000);
    }
}
