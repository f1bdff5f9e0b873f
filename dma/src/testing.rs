//! A test double of [`DmaMemory`]: heap memory whose device address is far from its virtual
//! address, so a driver that writes one where the other belongs is caught by whatever plays the
//! card. (The simulated 82599's memory, `sim_82599::Sim::dma()`, is the other double: it
//! also checks every address the card uses.)

use crate::mempool::MAX_CHUNK;
use crate::{DmaError, DmaMemory, DmaRegion};
use std::sync::Mutex;

/// Heap "DMA" memory: zeroed, 4 KiB aligned, device address = virtual address +
/// [`HeapDma::PHYS_OFFSET`]. Pieces larger than its limit are refused with
/// [`DmaError::TooLarge`], as a hugepage allocator refuses more than a page.
#[derive(Debug)]
pub struct HeapDma {
    max: usize,
    allocs: Mutex<Vec<usize>>,
}

impl Default for HeapDma {
    fn default() -> Self {
        Self::new()
    }
}

impl HeapDma {
    /// What is added to a virtual address to make its device address (64 TiB: above any
    /// user-space address of x86-64's 47-bit space, so a virtual address is never mistaken for
    /// a device one).
    pub const PHYS_OFFSET: u64 = 0x4000_0000_0000;

    /// Pieces of up to 2 MiB (one hugepage), as the real allocators.
    pub fn new() -> Self {
        Self::with_max(MAX_CHUNK)
    }

    /// Pieces of up to `max` bytes.
    pub fn with_max(max: usize) -> Self {
        HeapDma {
            max,
            allocs: Mutex::new(Vec::new()),
        }
    }

    /// The size of every piece handed out so far, in order.
    pub fn allocations(&self) -> Vec<usize> {
        self.allocs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Alignment of every piece (enough for rings and buffers).
const PAGE: usize = 4096;

impl DmaMemory for HeapDma {
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        if !align.is_power_of_two() || align > PAGE {
            return Err(DmaError::BadAlign(align));
        }
        if size > self.max {
            return Err(DmaError::TooLarge {
                size,
                max: self.max,
            });
        }
        let block = HeapBlock::zeroed(size)?;
        let virt = block.as_ptr();
        self.allocs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(size);
        // SAFETY: `virt..virt + size` is allocated and writable, kept alive by the block moved
        // into the region; "the device" sees it at the offset address.
        Ok(unsafe { DmaRegion::new(virt, virt as u64 + Self::PHYS_OFFSET, size, Box::new(block)) })
    }
}

/// One zeroed, page-aligned heap block, owned through a raw pointer: a pointer into it stays
/// valid when the owner moves (a `Box<[u8]>` moved into a region would assert unique access to
/// its bytes and invalidate that pointer, as Miri reports). [`HeapDma`]'s pieces, and the
/// simulated card's memory under Miri.
pub struct HeapBlock {
    ptr: std::ptr::NonNull<u8>,
    layout: std::alloc::Layout,
}

impl HeapBlock {
    /// `size` zeroed bytes (at least one), aligned to 4 KiB.
    pub fn zeroed(size: usize) -> Result<Self, DmaError> {
        let layout = std::alloc::Layout::from_size_align(size.max(1), PAGE)
            .map_err(|_| DmaError::Exhausted { size })?;
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr = std::ptr::NonNull::new(ptr).ok_or(DmaError::Exhausted { size })?;
        Ok(HeapBlock { ptr, layout })
    }

    /// The block's first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for HeapBlock {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout, freed once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

// SAFETY: the block is plain bytes owned by this value alone; the region that holds it reaches
// them only through raw pointers and volatile accesses.
unsafe impl Send for HeapBlock {}
// SAFETY: as above; `HeapBlock` itself has no method that touches the bytes.
unsafe impl Sync for HeapBlock {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_zeroed_aligned_offset_and_limited() {
        let m = HeapDma::with_max(8192);
        let r = m.alloc(100, 128).unwrap();
        assert_eq!(r.virt() as usize % PAGE, 0);
        assert_eq!(r.phys(), r.virt() as u64 + HeapDma::PHYS_OFFSET);
        // SAFETY: inside the region, nothing else writes it.
        assert!((0..100).all(|i| unsafe { r.virt().add(i).read_volatile() } == 0));
        assert!(matches!(
            m.alloc(8193, 64),
            Err(DmaError::TooLarge {
                size: 8193,
                max: 8192
            })
        ));
        assert!(matches!(m.alloc(64, 3), Err(DmaError::BadAlign(3))));
        assert_eq!(m.allocations(), [100]);
    }
}
