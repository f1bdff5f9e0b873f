//! Test frames: a header that says what the frame is (kind, sequence number, length) and a
//! payload in which every byte depends on the sequence number and its position, so that any
//! lost, reordered, truncated or corrupted byte is caught.
//!
//! Layout: destination MAC (0..6), source MAC (6..12), EtherType 0x88B5 (IEEE local experimental,
//! 12..14), magic "R576" (14..18), kind (18), 0 (19), sequence number (20..24, big-endian), frame
//! length (24..26, big-endian), payload (26..).

pub const ETHERTYPE: u16 = 0x88B5;
pub const MAGIC: &[u8; 4] = b"R576";
pub const HEADER: usize = 26;
pub const MIN_LEN: usize = 60;
pub const MAX_LEN: usize = 1514;
pub const BROADCAST: [u8; 6] = [0xFF; 6];

/// What a frame is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// NIC A to NIC B.
    Request = 1,
    /// NIC B's echo of a request back to A.
    Echo = 2,
    /// NIC A to the host peer.
    ToPeer = 3,
    /// The host peer's answer to `ToPeer`: same header fields, payload bytes inverted.
    FromPeer = 4,
    /// NIC A to everyone (broadcast).
    Broadcast = 5,
}

/// Frame length of sequence number `seq`: 60 and 1514 first, then spread over 60..=1514.
pub fn len_of(seq: u32) -> usize {
    match seq {
        0 => MIN_LEN,
        1 => MAX_LEN,
        _ => {
            let h = seq.wrapping_mul(2_654_435_761) >> 7;
            MIN_LEN + (h as usize % (MAX_LEN - MIN_LEN + 1))
        }
    }
}

/// Payload byte `i` (counted from the frame start) of sequence number `seq`.
#[inline(always)]
pub fn pattern(seq: u32, i: usize) -> u8 {
    let x = seq.wrapping_mul(0x9E37_79B9) ^ (i as u32).wrapping_mul(0x85EB_CA6B);
    (x ^ (x >> 13) ^ (x >> 24)) as u8
}

/// Writes a whole frame into `buf` (which must be `len_of(seq)` bytes long).
pub fn build(buf: &mut [u8], dst: [u8; 6], src: [u8; 6], kind: Kind, seq: u32) {
    let len = buf.len();
    buf[0..6].copy_from_slice(&dst);
    buf[6..12].copy_from_slice(&src);
    buf[12..14].copy_from_slice(&ETHERTYPE.to_be_bytes());
    buf[14..18].copy_from_slice(MAGIC);
    buf[18] = kind as u8;
    buf[19] = 0;
    buf[20..24].copy_from_slice(&seq.to_be_bytes());
    buf[24..26].copy_from_slice(&(len as u16).to_be_bytes());
    for (i, b) in buf.iter_mut().enumerate().skip(HEADER) {
        *b = pattern(seq, i);
    }
}

/// Checks a received frame against everything it must be; `invert` for the peer's answers.
pub fn verify(
    buf: &[u8],
    dst: [u8; 6],
    src: [u8; 6],
    kind: Kind,
    seq: u32,
    invert: bool,
) -> Result<(), String> {
    let want = len_of(seq);
    if buf.len() != want {
        return Err(format!("seq {seq}: length {} instead of {want}", buf.len()));
    }
    if buf[12..14] != ETHERTYPE.to_be_bytes() || &buf[14..18] != MAGIC {
        return Err(format!("seq {seq}: not a test frame"));
    }
    if buf[0..6] != dst || buf[6..12] != src {
        return Err(format!(
            "seq {seq}: addresses {} <- {}, expected {} <- {}",
            mac_str(&buf[0..6]),
            mac_str(&buf[6..12]),
            mac_str(&dst),
            mac_str(&src)
        ));
    }
    if buf[18] != kind as u8 {
        return Err(format!("seq {seq}: kind {} instead of {kind:?}", buf[18]));
    }
    let got = u32::from_be_bytes([buf[20], buf[21], buf[22], buf[23]]);
    if got != seq {
        return Err(format!("expected seq {seq}, got {got} (lost or reordered)"));
    }
    let l = u16::from_be_bytes([buf[24], buf[25]]) as usize;
    if l != want {
        return Err(format!("seq {seq}: length field {l} instead of {want}"));
    }
    let flip = if invert { 0xFF } else { 0 };
    if let Some(i) = (HEADER..want).find(|&i| buf[i] != pattern(seq, i) ^ flip) {
        return Err(format!(
            "seq {seq}: byte {i} is {:#04x}, expected {:#04x}",
            buf[i],
            pattern(seq, i) ^ flip
        ));
    }
    Ok(())
}

/// Sequence number and kind of a test frame, if it is one.
pub fn peek(buf: &[u8]) -> Option<(u8, u32)> {
    if buf.len() < HEADER || buf[12..14] != ETHERTYPE.to_be_bytes() || &buf[14..18] != MAGIC {
        return None;
    }
    Some((
        buf[18],
        u32::from_be_bytes([buf[20], buf[21], buf[22], buf[23]]),
    ))
}

pub fn mac_str(m: &[u8]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (o, p) in m.iter_mut().zip(parts) {
        if p.len() != 2 {
            return None;
        }
        *o = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}
