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
    fn rx_write_back_decodes() {
        // DD | EOP, length 1514, VLAN 0x0123.
        let w = 0x3u64 | (1514u64 << 32) | (0x0123u64 << 48);
        let s = RxStatus::decode::<Format>(w);
        assert_eq!(
            s,
            RxStatus {
                done: true,
                eop: true,
                frame_error: false,
                len: 1514,
                vlan: 0x0123
            }
        );
        // A CRC error (CE, bit 24) is a frame error; a TCP checksum error (bit 29) is not.
        assert!(RxStatus::decode::<Format>(0x0100_0003).frame_error);
        assert!(!RxStatus::decode::<Format>(0x2000_0003).frame_error);
        assert!(RxStatus::decode::<Format>(0x8000_0003).frame_error);
        // Not done: a zeroed header-address word.
        assert!(!RxStatus::decode::<Format>(0).done);
    }
}
