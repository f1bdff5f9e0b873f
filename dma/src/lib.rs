//! The DMA memory contract: what a driver allocates descriptor rings and packet buffers from,
//! and the packet buffer pool built on it. Nothing here reaches the operating system; the
//! platforms implement [`DmaMemory`]:
//!
//! - `pci_dma::HugepageAllocator` (hugepages, physical addresses from `/proc/self/pagemap`) and
//!   `pci_dma::VfioDma` (IOVAs mapped through the IOMMU): real hardware;
//! - `sim_82599::Sim::dma()`: the simulated card's physical memory (physical addresses outside
//!   the process, so a virtual address written into a descriptor is caught);
//! - [`testing::HeapDma`]: heap memory for unit tests (device address far from the virtual one).
//!
//! ```
//! use dma::{DmaMemory, Mempool};
//! let mem = dma::testing::HeapDma::new();
//! let ring = mem.alloc(512 * 16, 128)?;          // ring.virt() for the CPU, ring.phys() for the card
//! let pool = Mempool::new(&mem, 64, 2048)?;      // 64 buffers of 2 KiB
//! let mut p = pool.alloc(60).expect("a free buffer");
//! p[..6].fill(0xFF);                             // a Packet derefs to its bytes
//! assert_eq!((p.len(), pool.free_count()), (60, 63));
//! drop(p);                                       // back to the pool
//! assert_eq!(pool.free_count(), 64);
//! # let _ = ring;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Memory the card may write is touched only through raw pointers and volatile reads and
//! writes: no `&`/`&mut` to a descriptor, nor to a buffer the card owns. A buffer is lent out as
//! a [`Packet`] (a slice) only once the card handed it back.

pub mod mempool;
mod region;
pub mod testing;

pub use mempool::{Mempool, MempoolError, Packet};
pub use region::{DmaError, DmaMemory, DmaRegion};
