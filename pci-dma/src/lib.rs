//! PCI device access and DMA memory for user-space drivers.
pub mod dma;

pub use dma::{DmaError, DmaMemory, DmaRegion};
