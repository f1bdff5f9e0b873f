//! DMA memory: what a driver allocates descriptor rings and packet buffers from.
//!
//! Implemented by hugepages (physical addresses from /proc/self/pagemap), by VFIO (IOVAs
//! mapped through the IOMMU), and by the simulated card (its own physical address space, so a
//! virtual address written into a descriptor is caught).

use std::fmt;

/// A physically contiguous piece of DMA memory.
///
/// Holds raw pointers only: the device may write this memory at any time, so no `&`/`&mut`
/// to it is ever created here. The memory stays valid while the region lives.
pub struct DmaRegion {
    virt: *mut u8,
    phys: u64,
    len: usize,
    _owner: Box<dyn Send + Sync>,
}

// SAFETY: the region is plain memory described by raw pointers; whoever reads or writes it
// through `virt()` is responsible for synchronising with the device and other threads.
unsafe impl Send for DmaRegion {}
// SAFETY: as for `Send`: no method dereferences the pointer.
unsafe impl Sync for DmaRegion {}

impl DmaRegion {
    /// # Safety
    /// `virt..virt+len` must be mapped, writable memory that the device sees at
    /// `phys..phys+len`, kept alive by `owner` (dropped with the region).
    pub unsafe fn new(virt: *mut u8, phys: u64, len: usize, owner: Box<dyn Send + Sync>) -> Self {
        DmaRegion {
            virt,
            phys,
            len,
            _owner: owner,
        }
    }
    /// Start of the region in this process.
    pub fn virt(&self) -> *mut u8 {
        self.virt
    }
    /// Start of the region as the device addresses it (physical address or IOVA).
    pub fn phys(&self) -> u64 {
        self.phys
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for DmaRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DmaRegion")
            .field("virt", &self.virt)
            .field("phys", &format_args!("{:#x}", self.phys))
            .field("len", &self.len)
            .finish()
    }
}

/// Why an allocation failed.
#[derive(Debug)]
pub enum DmaError {
    /// Asked for more than one physically contiguous piece can hold.
    TooLarge { size: usize, max: usize },
    /// Alignment not a power of two, or larger than the allocator supports.
    BadAlign(usize),
    /// The memory is used up.
    Exhausted { size: usize },
    /// An operating-system call failed.
    Os { what: String, err: std::io::Error },
}

impl fmt::Display for DmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DmaError::TooLarge { size, max } => write!(
                f,
                "DMA allocation of {size} bytes is larger than one contiguous piece ({max} bytes)"
            ),
            DmaError::BadAlign(a) => write!(f, "DMA alignment {a} is not a supported power of two"),
            DmaError::Exhausted { size } => {
                write!(f, "DMA memory exhausted (asked for {size} bytes)")
            }
            DmaError::Os { what, err } => write!(f, "{what}: {err}"),
        }
    }
}

impl std::error::Error for DmaError {}

/// Something that hands out DMA memory.
pub trait DmaMemory: Send + Sync {
    /// `size` bytes, physically contiguous, zeroed, `align`-aligned in the device's address.
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError>;
}
