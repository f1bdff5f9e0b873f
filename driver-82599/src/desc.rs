//! Advanced descriptors (82599 datasheet 7.1.6 receive, 7.2.3.2.4 transmit): the layouts and
//! volatile accessors are `nic_queue`'s, shared with the 82576; what is the 82599's own is the
//! set of receive error bits that mean a bad frame.

pub use nic_queue::desc::*;

/// Receive descriptor, write-back format (7.1.6.2): the shared layout and the 82599's errors.
pub mod rx_wb {
    pub use nic_queue::desc::rx_wb::*;
    /// Extended errors, bits 31:20 of the status/error dword (7.1.6.2).
    /// Header buffer overflow.
    pub const ERR_HBO: u32 = 1 << 23;
    /// CRC error or symbol error.
    pub const ERR_CE: u32 = 1 << 24;
    /// Length error.
    pub const ERR_LE: u32 = 1 << 25;
    /// Packet error (a framing error in the packet).
    pub const ERR_PE: u32 = 1 << 27;
    /// Oversize error.
    pub const ERR_OSE: u32 = 1 << 28;
    /// Undersize error.
    pub const ERR_USE: u32 = 1 << 29;
    /// TCP/UDP checksum error.
    pub const ERR_TCPE: u32 = 1 << 30;
    /// IPv4 header checksum error.
    pub const ERR_IPE: u32 = 1 << 31;
    /// Errors that mean the frame itself is bad. The checksum errors (TCPE, IPE) are
    /// reported, not dropped: the frame arrived intact.
    pub const ERR_FRAME: u32 = ERR_CE | ERR_LE | ERR_PE | ERR_OSE | ERR_USE;
}

/// The 82599's receive write-back format, for the shared ring engine.
pub struct Format;

impl RxFormat for Format {
    const ERR_FRAME: u32 = rx_wb::ERR_FRAME;
}

#[cfg(test)]
mod tests {
    #[test]
    fn frame_errors_are_the_datasheet_bits() {
        // 7.1.6.2: CE 24, LE 25, PE 27, OSE 28, USE 29.
        assert_eq!(super::rx_wb::ERR_FRAME, 0x3B00_0000);
    }
}
