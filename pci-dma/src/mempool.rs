//! Packet buffers in DMA memory (owned by the driver work).
