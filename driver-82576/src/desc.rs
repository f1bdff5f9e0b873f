//! Advanced descriptors (82576 datasheet 7.1.5 receive, 7.2.2.3 transmit; the layout QEMU's
//! model uses too): the layouts and volatile accessors are `nic_queue`'s, shared with the
//! 82599; what is the 82576's own is the set of receive error bits that mean a bad frame.

pub use nic_queue::desc::*;

/// Receive descriptor, write-back format (7.1.5.2): the shared layout and the 82576's errors.
pub mod rx_wb {
    pub use nic_queue::desc::rx_wb::*;
    /// Errors that mean the frame itself is bad: CRC/alignment (CE 24), symbol (SE 25), sequence
    /// (SEQ 26), carrier extension (CXE 28), RX data error (RXE 31). Checksum errors (TCPE 29,
    /// IPE 30) are reported, not dropped.
    pub const ERR_FRAME: u32 = (1 << 24) | (1 << 25) | (1 << 26) | (1 << 28) | (1 << 31);
}

/// The 82576's receive write-back format, for the shared ring engine.
pub struct Format;

impl RxFormat for Format {
    const ERR_FRAME: u32 = rx_wb::ERR_FRAME;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_errors_are_the_82576s() {
        // A CRC error (CE, bit 24), symbol (25), sequence (26), carrier extension (28) and RX
        // data error (31) mean a bad frame; the checksum errors (TCPE 29, IPE 30) do not.
        for bit in [24, 25, 26, 28, 31] {
            assert_ne!(Format::ERR_FRAME & (1 << bit), 0, "bit {bit}");
        }
        for bit in [29, 30] {
            assert_eq!(Format::ERR_FRAME & (1 << bit), 0, "bit {bit}");
        }
        // No status bit (DD, EOP, ...: bits 19:0) is taken for an error.
        assert_eq!(Format::ERR_FRAME & 0x000F_FFFF, 0);
    }
}
