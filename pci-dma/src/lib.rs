//! PCI device access and DMA memory for user-space drivers.
pub mod dma;
pub mod mempool;

pub use dma::{DmaError, DmaMemory, DmaRegion};
