//! Test helpers: heap "DMA" memory and queue registers that record what the engines do.

use crate::QueueRegs;
use pci_dma::{DmaError, DmaMemory, DmaRegion};
use std::cell::Cell;
use std::rc::Rc;

/// Heap memory with a device address far from the virtual one.
pub struct HeapDma;

impl DmaMemory for HeapDma {
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        let mut v = vec![0u8; size + 4096].into_boxed_slice();
        let off = v.as_mut_ptr().align_offset(align.max(64));
        // SAFETY: `off + size <= v.len()`; the box is moved into the region, which keeps it.
        let virt = unsafe { v.as_mut_ptr().add(off) };
        // SAFETY: the memory is mapped, writable, kept alive by the owner box.
        Ok(unsafe { DmaRegion::new(virt, virt as u64 + (1 << 40), size, Box::new(v)) })
    }
}

/// Queue registers that record tail writes and stops.
pub struct FakeRegs {
    pub id: u32,
    /// Tail writes, and the last value written.
    pub tails: Rc<Cell<u32>>,
    pub last_tail: Rc<Cell<u32>>,
    pub stops: Rc<Cell<u32>>,
}

impl FakeRegs {
    pub fn new(id: u32, stops: Rc<Cell<u32>>) -> Self {
        FakeRegs {
            id,
            tails: Rc::default(),
            last_tail: Rc::default(),
            stops,
        }
    }
}

impl QueueRegs for FakeRegs {
    fn id(&self) -> u32 {
        self.id
    }
    fn write_tail(&self, tail: u32) {
        self.tails.set(self.tails.get() + 1);
        self.last_tail.set(tail);
    }
    fn stop(&self) -> bool {
        self.stops.set(self.stops.get() + 1);
        true
    }
}
