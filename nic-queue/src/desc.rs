//! Advanced descriptor layouts and volatile accessors. The layout is the same on the 82599
//! (datasheet 7.1.6 receive, 7.2.3.2.4 transmit) and the 82576 (7.1.5, 7.2.2.3) for everything
//! used here; only the receive error bits differ ([`RxFormat`]).
//!
//! Descriptors live in DMA memory the card writes, so they are only ever touched through raw
//! pointers with volatile reads and writes; no `&` to a descriptor is created. All multi-byte
//! fields are little-endian (the host is little-endian; `to_le`/`from_le` make that explicit).

/// Bytes per descriptor (RX and TX, read and write-back formats).
pub const DESC_SIZE: usize = 16;
/// Ring base and length alignment (82599 8.2.3.8.1 RDBAL, 8.2.3.9.5 TDLEN; on the 82576
/// RDBAL/TDBAL ignore bits 6:0 and RDLEN/TDLEN count multiples of 128 bytes).
pub const RING_ALIGN: usize = 128;

/// A descriptor ring of `descriptors` entries from `dma`, aligned as the base registers need.
pub fn alloc_ring(
    dma: &dyn dma::DmaMemory,
    descriptors: usize,
) -> Result<dma::DmaRegion, dma::DmaError> {
    dma.alloc(descriptors * DESC_SIZE, RING_ALIGN)
}

/// What differs between the devices' receive write-back formats.
pub trait RxFormat {
    /// Extended-error bits (of the status/error dword) that mean the frame itself is bad: such a
    /// descriptor is dropped and counted. Checksum errors are not in it: the frame arrived intact.
    const ERR_FRAME: u32;
}

/// Receive descriptor, read format (82599 7.1.6.1, 82576 7.1.5.1).
pub mod rx_read {
    /// Packet buffer address, bytes 0-7.
    pub const PKT_ADDR: usize = 0;
    /// Header buffer address, bytes 8-15; bit 0 overlaps DD, so writing 0 clears DD.
    pub const HDR_ADDR: usize = 8;
}

/// Receive descriptor, write-back format (82599 7.1.6.2, 82576 7.1.5.2).
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
}

/// Transmit data descriptor, read format (82599 7.2.3.2.4, 82576 7.2.2.3.2).
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
    pub const CMD_ONE_BUFFER: u32 = CMD_NO_RS | DCMD_RS;
    /// As [`CMD_ONE_BUFFER`] without status report: the send path sets RS only every few
    /// descriptors (see `TxQueue`).
    pub const CMD_NO_RS: u32 = DTYP_DATA | DCMD_EOP | DCMD_IFCS | DCMD_DEXT;
}

/// Transmit descriptor, write-back format (82599 7.2.3.2.4, 82576 7.2.2.3.3).
pub mod tx_wb {
    /// STA field, bytes 12-15.
    pub const STATUS: usize = 12;
    /// STA.DD: the card is done with the descriptor (written when RS was set).
    pub const STAT_DD: u32 = 1 << 0;
}

/// The `CMD_TYPE_LEN` and `OLINFO_STATUS` words of a one-buffer data descriptor of `len`
/// bytes, or `None` when the length cannot be sent (0, or over 16 bits).
#[inline(always)]
pub fn tx_words(len: usize) -> Option<(u32, u32)> {
    if len == 0 || len > tx_read::DTALEN_MASK as usize {
        return None;
    }
    let len = len as u32;
    Some((tx_read::CMD_ONE_BUFFER | len, len << tx_read::PAYLEN_SHIFT))
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Ce;
    impl RxFormat for Ce {
        const ERR_FRAME: u32 = 1 << 24;
    }

    #[test]
    fn tx_data_descriptor_words() {
        // 60 bytes: DTYP 0011b, EOP|IFCS|RS|DEXT, length in 15:0 and PAYLEN in 31:14.
        let (cmd, olinfo) = tx_words(60).unwrap();
        assert_eq!(cmd, 0x2B30_003C);
        assert_eq!(olinfo, 60 << 14);
        let (cmd, olinfo) = tx_words(1514).unwrap();
        assert_eq!(cmd & 0xFFFF, 1514);
        assert_eq!(olinfo >> 14, 1514);
        assert_eq!(tx_words(0), None);
        assert_eq!(tx_words(0x1_0000), None);
        assert!(tx_words(0xFFFF).is_some());
    }

    #[test]
    fn rx_write_back_fields_sit_where_the_receive_loop_reads_them() {
        // DD | EOP, length 1514, VLAN 0x0123, as one 64-bit read at STATUS_ERROR.
        let w = 0x3u64 | (1514u64 << 32) | (0x0123u64 << 48);
        let status = w as u32;
        assert_ne!(status & rx_wb::STAT_DD, 0);
        assert_ne!(status & rx_wb::STAT_EOP, 0);
        assert_eq!(status & Ce::ERR_FRAME, 0);
        assert_eq!((w >> rx_wb::LENGTH_SHIFT) as u16, 1514);
        assert_eq!((w >> rx_wb::VLAN_SHIFT) as u16, 0x0123);
        // The format's error bits decide: CE (bit 24) is a frame error here, bit 25 is not.
        assert_ne!(0x0100_0003 & Ce::ERR_FRAME, 0);
        assert_eq!(0x0200_0003 & Ce::ERR_FRAME, 0);
        // A zeroed header-address word (the read format) is not done.
        let read_format = [0u64; 2];
        assert_eq!(read_format[1] as u32 & rx_wb::STAT_DD, 0);
    }

    #[test]
    fn descriptors_round_trip_through_memory() {
        #[repr(align(16))]
        struct Ring([u8; 64]);
        let mut ring = Ring([0; 64]);
        let base = ring.0.as_mut_ptr();
        // SAFETY: descriptor 2 of a 4-descriptor ring; plain memory owned here.
        unsafe {
            let d = at(base, 2);
            write64(d, tx_read::BUFFER_ADDR, 0x1234_5678_9ABC_DEF0);
            write32(d, tx_read::CMD_TYPE_LEN, 0xA5A5_0001);
            assert_eq!(read64(d, 0), 0x1234_5678_9ABC_DEF0);
            assert_eq!(read32(d, 8), 0xA5A5_0001);
        }
        assert_eq!(ring.0[32], 0xF0, "little-endian, descriptor 2 at byte 32");
        assert_eq!(ring.0[40], 0x01);
    }
}
