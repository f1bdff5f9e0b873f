//! Test frames. All carry the IEEE local experimental EtherType, so no stack mistakes them for
//! traffic of its own.

/// IEEE 802 local experimental EtherType 1.
pub const ETHERTYPE: u16 = 0x88B5;
/// The broadcast address: every port accepts it, promiscuous or not.
pub const BROADCAST: [u8; 6] = [0xFF; 6];
/// The locally administered source address of [`numbered`] frames.
pub const SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// Writes the Ethernet header: `dst`, `src`, [`ETHERTYPE`] (bytes 0..14).
pub fn header(buf: &mut [u8], dst: [u8; 6], src: [u8; 6]) {
    buf[0..6].copy_from_slice(&dst);
    buf[6..12].copy_from_slice(&src);
    buf[12..14].copy_from_slice(&ETHERTYPE.to_be_bytes());
}

/// Makes `buf` (at least 18 bytes) a broadcast frame numbered `seq`: the number in bytes
/// 14..18, then a pattern derived from it, so that [`check`] can tell any changed byte.
pub fn numbered(buf: &mut [u8], seq: u32) {
    header(buf, BROADCAST, SRC);
    buf[14..18].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in buf[18..].iter_mut().enumerate() {
        *b = (seq as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
}

/// The number of a frame made by [`numbered`], if every byte matches its pattern.
pub fn check(buf: &[u8]) -> Option<u32> {
    if buf.len() < 18 {
        return None;
    }
    let seq = u32::from_be_bytes(buf[14..18].try_into().ok()?);
    let mut want = vec![0u8; buf.len()];
    numbered(&mut want, seq);
    (want == buf).then_some(seq)
}

/// A frame of `len` bytes (without FCS) to `dst` from 02:00:00:00:00:aa, payload bytes counting
/// up from `seq`.
pub fn counting(dst: [u8; 6], len: usize, seq: u8) -> Vec<u8> {
    let mut f = vec![0u8; len];
    header(&mut f, dst, [0x02, 0, 0, 0, 0, 0xAA]);
    for (i, b) in f[14..].iter_mut().enumerate() {
        *b = seq.wrapping_add(i as u8);
    }
    f
}

/// A UDP (`proto` 17) or TCP (6) over IPv4 frame to `dst` from 02:00:00:00:00:bb: addresses
/// and ports set, everything else zero (no checksums: the card's RSS hash reads only these).
pub fn ipv4(
    dst: [u8; 6],
    src: [u8; 4],
    dstip: [u8; 4],
    proto: u8,
    sport: u16,
    dport: u16,
) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20 + 20 + 16];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0xBB]);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let tot = (f.len() - 14) as u16;
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&tot.to_be_bytes());
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dstip);
    f[34..36].copy_from_slice(&sport.to_be_bytes());
    f[36..38].copy_from_slice(&dport.to_be_bytes());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_frames_check_and_any_changed_byte_is_seen() {
        let mut f = vec![0u8; 100];
        numbered(&mut f, 0x0102_0304);
        assert_eq!(&f[..6], &BROADCAST);
        assert_eq!(&f[12..18], &[0x88, 0xB5, 1, 2, 3, 4]);
        assert_eq!(check(&f), Some(0x0102_0304));
        for i in [0, 13, 18, 99] {
            let mut g = f.clone();
            g[i] ^= 1;
            assert_ne!(check(&g), Some(0x0102_0304), "byte {i}");
        }
        assert_eq!(check(&f[..17]), None);
    }

    #[test]
    fn counting_and_ipv4_frames() {
        let f = counting([2, 0, 0, 0, 0, 9], 60, 250);
        assert_eq!((f.len(), f[14], f[15], f[20]), (60, 250, 251, 0));
        assert_eq!(&f[12..14], &[0x88, 0xB5]);
        let f = ipv4(BROADCAST, [10, 0, 0, 1], [10, 0, 0, 2], 17, 1000, 53);
        assert_eq!(&f[12..14], &[8, 0]);
        assert_eq!((f[14], f[23]), (0x45, 17));
        assert_eq!(&f[26..34], &[10, 0, 0, 1, 10, 0, 0, 2]);
        assert_eq!(&f[34..38], &[0x03, 0xE8, 0, 53]);
    }
}
