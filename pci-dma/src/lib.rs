//! PCI device access and DMA memory for user-space drivers.
