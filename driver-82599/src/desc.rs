//! Advanced descriptor layouts (82599 datasheet 7.1.6 receive, 7.2.3.2.4 transmit) and
//! volatile accessors.
//!
//! Descriptors live in DMA memory the card writes, so they are only ever touched through raw
//! pointers with volatile reads and writes; no `&` to a descriptor is created. All multi-byte
//! fields are little-endian (the host is little-endian; `to_le`/`from_le` make that explicit).

/// Bytes per descriptor (RX and TX, read and write-back formats).
pub const DESC_SIZE: usize = 16;
/// Ring base and length alignment (datasheet 8.2.3.8.1 RDBAL, 8.2.3.9.5 TDLEN).
pub const RING_ALIGN: usize = 128;

/// Receive descriptor, read format (7.1.6.1).
pub mod rx_read {
    /// Packet buffer address, bytes 0-7.
    pub const PKT_ADDR: usize = 0;
    /// Header buffer address, bytes 8-15; bit 0 overlaps DD, so writing 0 clears DD.
    pub const HDR_ADDR: usize = 8;
}

/// Receive descriptor, write-back format (7.1.6.2).
pub mod rx_wb {
    /// RSS hash (or IP id / checksum), bytes 4-7.
    pub const RSS: usize = 4;
    /// Extended status (bits 19:0) and extended errors (bits 31:20), bytes 8-11. Read together
    /// with `LENGTH` and `VLAN` as one 64-bit word at this offset.
    pub const STATUS_ERROR: usize = 8;
    /// Bit position of PKT_LEN (bytes 12-13) in the 64-bit word at `STATUS_ERROR`.
    pub const LENGTH_SHIFT: u32 = 32;
    /// Bit position of the VLAN tag (bytes 14-15) in that word.
    pub const VLAN_SHIFT: u32 = 48;
    /// Descriptor done.
    pub const STAT_DD: u32 = 1 << 0;
    /// End of packet.
    pub const STAT_EOP: u32 = 1 << 1;
    /// Errors that mean the frame itself is bad (CE 24, LE 25, PE 27, OSE 28, USE 29). The
    /// checksum errors (TCPE 30, IPE 31) are reported, not dropped: the frame arrived intact.
    pub const ERR_FRAME: u32 = (1 << 24) | (1 << 25) | (1 << 27) | (1 << 28) | (1 << 29);
}

/// Transmit data descriptor, read format (7.2.3.2.4).
pub mod tx_read {
    /// Buffer address, bytes 0-7.
    pub const BUFFER_ADDR: usize = 0;
    /// DTALEN 15:0, DTYP 23:20, DCMD 31:24; bytes 8-11.
    pub const CMD_TYPE_LEN: usize = 8;
    /// STA 3:0, IDX 6:4, POPTS 13:8, PAYLEN 31:14; bytes 12-15.
    pub const OLINFO_STATUS: usize = 12;
    /// DTYP = 0011b, advanced data descriptor.
    pub const DTYP_DATA: u32 = 0b0011 << 20;
    /// DCMD.EOP: last descriptor of the packet.
    pub const DCMD_EOP: u32 = 1 << 24;
    /// DCMD.IFCS: the MAC appends the Ethernet CRC.
    pub const DCMD_IFCS: u32 = 1 << 25;
    /// DCMD.RS: report status (write back DD).
    pub const DCMD_RS: u32 = 1 << 27;
    /// DCMD.DEXT: advanced descriptor format.
    pub const DCMD_DEXT: u32 = 1 << 29;
    /// DTALEN field mask.
    pub const DTALEN_MASK: u32 = 0xFFFF;
    /// PAYLEN position in `OLINFO_STATUS`.
    pub const PAYLEN_SHIFT: u32 = 14;
    /// Everything but the length, for a one-buffer packet with status report.
    pub const CMD_ONE_BUFFER: u32 = DTYP_DATA | DCMD_EOP | DCMD_IFCS | DCMD_RS | DCMD_DEXT;
}

/// Transmit descriptor, write-back format (7.2.3.2.4).
pub mod tx_wb {
    /// STA field, bytes 12-15.
    pub const STATUS: usize = 12;
    /// STA.DD: the card is done with the descriptor (written when RS was set).
    pub const STAT_DD: u32 = 1 << 0;
}

/// Pointer to descriptor `i` of the ring at `base`.
///
/// # Safety
/// `base` is a ring of more than `i` descriptors.
#[inline(always)]
pub unsafe fn at(base: *mut u8, i: usize) -> *mut u8 {
    // SAFETY: forwarded to the caller.
    unsafe { base.add(i * DESC_SIZE) }
}

/// # Safety
/// `d + off .. d + off + 4` is inside a live descriptor, 4-aligned.
#[inline(always)]
pub unsafe fn read32(d: *const u8, off: usize) -> u32 {
    // SAFETY: forwarded to the caller.
    u32::from_le(unsafe { core::ptr::read_volatile(d.add(off) as *const u32) })
}

/// # Safety
/// As for [`read32`], 8 bytes, 8-aligned.
#[inline(always)]
pub unsafe fn read64(d: *const u8, off: usize) -> u64 {
    // SAFETY: forwarded to the caller.
    u64::from_le(unsafe { core::ptr::read_volatile(d.add(off) as *const u64) })
}

/// # Safety
/// As for [`read32`].
#[inline(always)]
pub unsafe fn write32(d: *mut u8, off: usize, v: u32) {
    // SAFETY: forwarded to the caller.
    unsafe { core::ptr::write_volatile(d.add(off) as *mut u32, v.to_le()) }
}

/// # Safety
/// As for [`read64`].
#[inline(always)]
pub unsafe fn write64(d: *mut u8, off: usize, v: u64) {
    // SAFETY: forwarded to the caller.
    unsafe { core::ptr::write_volatile(d.add(off) as *mut u64, v.to_le()) }
}
