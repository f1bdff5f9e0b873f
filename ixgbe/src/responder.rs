//! An ARP and ICMP echo responder on top of the driver: the example application (the CLI's
//! `echo --respond` mode and `examples/responder.rs`). It turns a received frame into the reply
//! frame, in place, so that the same buffer goes straight back out (zero copy).

/// Ethernet header length.
const ETH: usize = 14;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ARP_REQUEST: u16 = 1;
const ARP_REPLY: u16 = 2;
const IPPROTO_ICMP: u8 = 1;
const ICMP_ECHO_REQUEST: u8 = 8;
const ICMP_ECHO_REPLY: u8 = 0;

/// Who the responder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
}

/// What [`respond`] did with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The frame was rewritten into an ARP reply; send it.
    ArpReply,
    /// The frame was rewritten into an ICMP echo reply; send it.
    EchoReply,
    /// Not for us, or not something we answer; drop it.
    Ignore,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// Rewrites `frame` into the reply it deserves; returns what it did. Frames that are
/// truncated, malformed or not addressed to `me` are ignored, never a panic.
pub fn respond(me: &Identity, frame: &mut [u8]) -> Action {
    if frame.len() < ETH {
        return Action::Ignore;
    }
    match be16(frame, 12) {
        ETHERTYPE_ARP => arp(me, frame),
        ETHERTYPE_IPV4 => icmp(me, frame),
        _ => Action::Ignore,
    }
}

fn arp(me: &Identity, f: &mut [u8]) -> Action {
    // htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4, op: 28 bytes after the Ethernet header.
    if f.len() < ETH + 28 {
        return Action::Ignore;
    }
    let a = ETH;
    if be16(f, a) != 1 || be16(f, a + 2) != ETHERTYPE_IPV4 || f[a + 4] != 6 || f[a + 5] != 4 {
        return Action::Ignore;
    }
    if be16(f, a + 6) != ARP_REQUEST || f[a + 24..a + 28] != me.ip {
        return Action::Ignore;
    }
    let mut sha = [0u8; 6];
    sha.copy_from_slice(&f[a + 8..a + 14]);
    let mut spa = [0u8; 4];
    spa.copy_from_slice(&f[a + 14..a + 18]);
    f[0..6].copy_from_slice(&sha);
    f[6..12].copy_from_slice(&me.mac);
    f[a + 6..a + 8].copy_from_slice(&ARP_REPLY.to_be_bytes());
    f[a + 8..a + 14].copy_from_slice(&me.mac);
    f[a + 14..a + 18].copy_from_slice(&me.ip);
    f[a + 18..a + 24].copy_from_slice(&sha);
    f[a + 24..a + 28].copy_from_slice(&spa);
    Action::ArpReply
}

fn icmp(me: &Identity, f: &mut [u8]) -> Action {
    let ip = ETH;
    if f.len() < ip + 20 || f[ip] >> 4 != 4 {
        return Action::Ignore;
    }
    let ihl = usize::from(f[ip] & 0x0F) * 4;
    let total = usize::from(be16(f, ip + 2));
    if ihl < 20 || total < ihl + 8 || ip + total > f.len() {
        return Action::Ignore;
    }
    if f[ip + 9] != IPPROTO_ICMP || f[ip + 16..ip + 20] != me.ip {
        return Action::Ignore;
    }
    // Fragments are not reassembled: answer only whole datagrams.
    if be16(f, ip + 6) & 0x3FFF != 0 {
        return Action::Ignore;
    }
    let icmp = ip + ihl;
    if f[icmp] != ICMP_ECHO_REQUEST || checksum(&f[icmp..ip + total]) != 0 {
        return Action::Ignore;
    }
    // Ethernet: back to the sender.
    let mut src = [0u8; 6];
    src.copy_from_slice(&f[6..12]);
    f[0..6].copy_from_slice(&src);
    f[6..12].copy_from_slice(&me.mac);
    // IP: swap addresses, fresh TTL and header checksum.
    let mut s = [0u8; 4];
    s.copy_from_slice(&f[ip + 12..ip + 16]);
    f[ip + 12..ip + 16].copy_from_slice(&me.ip);
    f[ip + 16..ip + 20].copy_from_slice(&s);
    f[ip + 8] = 64;
    f[ip + 10..ip + 12].fill(0);
    let c = checksum(&f[ip..ip + ihl]);
    f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    // ICMP: type 0, checksum over the message.
    f[icmp] = ICMP_ECHO_REPLY;
    f[icmp + 2..icmp + 4].fill(0);
    let c = checksum(&f[icmp..ip + total]);
    f[icmp + 2..icmp + 4].copy_from_slice(&c.to_be_bytes());
    Action::EchoReply
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Identity = Identity {
        mac: [0x02, 0, 0, 0, 0, 0x99],
        ip: [10, 0, 0, 2],
    };
    const PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

    fn arp_request(target: [u8; 4]) -> Vec<u8> {
        let mut f = vec![0xFF; 6];
        f.extend_from_slice(&PEER);
        f.extend_from_slice(&ETHERTYPE_ARP.to_be_bytes());
        f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
        f.extend_from_slice(&PEER);
        f.extend_from_slice(&[10, 0, 0, 1]);
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&target);
        f.resize(60, 0);
        f
    }

    fn ping(payload: &[u8]) -> Vec<u8> {
        let mut f = ME.mac.to_vec();
        f.extend_from_slice(&PEER);
        f.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        let total = (20 + 8 + payload.len()) as u16;
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        f.extend_from_slice(&ip);
        let mut icmp = vec![8, 0, 0, 0, 0xAB, 0xCD, 0, 1];
        icmp.extend_from_slice(payload);
        let c = checksum(&icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        f.extend_from_slice(&icmp);
        f
    }

    #[test]
    fn answers_arp_for_own_address_only() {
        let mut f = arp_request(ME.ip);
        assert_eq!(respond(&ME, &mut f), Action::ArpReply);
        assert_eq!(&f[0..6], &PEER);
        assert_eq!(&f[22..28], &ME.mac);
        assert_eq!(&f[28..32], &ME.ip);
        assert_eq!(&f[38..42], &[10, 0, 0, 1]);
        let mut g = arp_request([10, 0, 0, 3]);
        assert_eq!(respond(&ME, &mut g), Action::Ignore);
    }

    #[test]
    fn echo_reply_has_valid_checksums_and_same_payload() {
        let mut f = ping(b"hello, world");
        assert_eq!(respond(&ME, &mut f), Action::EchoReply);
        assert_eq!(&f[0..6], &PEER);
        assert_eq!(checksum(&f[14..34]), 0, "IP header checksum");
        assert_eq!(checksum(&f[34..]), 0, "ICMP checksum");
        assert_eq!(f[34], 0);
        assert_eq!(&f[26..30], &ME.ip);
        assert_eq!(&f[30..34], &[10, 0, 0, 1]);
        assert_eq!(&f[42..], b"hello, world");
    }

    #[test]
    fn malformed_frames_are_ignored() {
        let good = ping(b"x");
        for n in 0..good.len() {
            let mut f = good[..n].to_vec();
            assert_eq!(respond(&ME, &mut f), Action::Ignore, "truncated to {n}");
        }
        let mut bad = ping(b"x");
        bad[40] ^= 0xFF; // corrupt the ICMP checksum
        assert_eq!(respond(&ME, &mut bad), Action::Ignore);
        let mut odd = ping(b"odd");
        assert_eq!(respond(&ME, &mut odd), Action::EchoReply);
        assert_eq!(checksum(&odd[34..]), 0);
    }
}
