//! Advanced descriptors (82599 datasheet 7.1.6 receive, 7.2.3.2.4 transmit): the layouts and
//! volatile accessors are `nic_queue`'s, shared with the 82576; what is the 82599's own is the
//! set of receive error bits that mean a bad frame.

pub use nic_queue::desc::*;

/// Receive descriptor, write-back format (7.1.6.2): the shared layout and the 82599's errors.
pub mod rx_wb {
    pub use nic_queue::desc::rx_wb::*;
    /// Errors that mean the frame itself is bad (CE 24, LE 25, PE 27, OSE 28, USE 29). The
    /// checksum errors (TCPE 30, IPE 31) are reported, not dropped: the frame arrived intact.
    pub const ERR_FRAME: u32 = (1 << 24) | (1 << 25) | (1 << 27) | (1 << 28) | (1 << 29);
}

/// The 82599's receive write-back format, for the shared ring engine.
pub struct Format;

impl RxFormat for Format {
    const ERR_FRAME: u32 = rx_wb::ERR_FRAME;
}
