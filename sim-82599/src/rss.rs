//! Receive-side scaling (datasheet 7.1.2.8): packet parsing, the Toeplitz hash over
//! RSSRK, queue selection through RETA.

/// The Toeplitz hash of `input` under a 40-byte key (datasheet 7.1.2.8.1): for every set bit
/// of the input, XOR in the 32 key bits starting at that bit position.
pub fn toeplitz(key: &[u8; 40], input: &[u8]) -> u32 {
    let mut hash = 0u32;
    // `window` holds key bits [i, i+64) for input bit i, refilled a byte at a time.
    let mut window = u64::from_be_bytes([
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
    ]);
    for (n, &b) in input.iter().enumerate() {
        for bit in 0..8 {
            if b & (0x80 >> bit) != 0 {
                hash ^= (window >> 32) as u32;
            }
            window <<= 1;
        }
        let next = key.get(n + 8).copied().unwrap_or(0);
        window |= u64::from(next);
    }
    hash
}

/// RSS packet types of the write-back descriptor (datasheet 7.1.6.2, "RSS Type").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum RssType {
    None = 0,
    TcpIpv4 = 1,
    Ipv4 = 2,
    TcpIpv6 = 3,
    Ipv6 = 5,
    UdpIpv4 = 7,
    UdpIpv6 = 8,
    Ipv6Ex = 4,
    TcpIpv6Ex = 6,
    UdpIpv6Ex = 9,
}

// MRQC field-enable bits (datasheet 8.2.3.7.12).
const F_IPV4_TCP: u32 = 1 << 16;
const F_IPV4: u32 = 1 << 17;
const F_IPV6_EX_TCP: u32 = 1 << 18;
const F_IPV6_EX: u32 = 1 << 19;
const F_IPV6: u32 = 1 << 20;
const F_IPV6_TCP: u32 = 1 << 21;
const F_IPV4_UDP: u32 = 1 << 22;
const F_IPV6_UDP: u32 = 1 << 23;
const F_IPV6_EX_UDP: u32 = 1 << 24;

// Packet type bits of the write-back (bits 16:4 of the first dword, datasheet 7.1.6.2).
pub const PT_IPV4: u32 = 1 << 4;
pub const PT_IPV6: u32 = 1 << 6;
/// IPv6 with extension headers (set with `PT_IPV6`).
pub const PT_IPV6E: u32 = 1 << 7;
pub const PT_TCP: u32 = 1 << 8;
pub const PT_UDP: u32 = 1 << 9;

/// What the parser found in a frame.
#[derive(Clone, Copy, Debug)]
pub struct Parsed {
    /// Packet type bits for the write-back.
    pub ptype: u32,
    /// Hash input: addresses (8 or 32 bytes) then ports (4 bytes).
    pub input: [u8; 36],
    pub addr_len: usize,
    /// 6 = TCP, 17 = UDP, with ports present (not a fragment).
    pub l4: u8,
    /// An SCTP packet (not a fragment) whose ports are in `input` after the addresses (as
    /// TCP's and UDP's are) for the Flow Director; RSS and the packet type ignore SCTP.
    pub sctp: bool,
}

/// Parse Ethernet (optionally one VLAN tag), IPv4/IPv6, TCP/UDP.
pub fn parse(f: &[u8]) -> Parsed {
    let mut p = Parsed {
        ptype: 0,
        input: [0; 36],
        addr_len: 0,
        l4: 0,
        sctp: false,
    };
    if f.len() < 14 {
        return p;
    }
    let mut et = u16::from_be_bytes([f[12], f[13]]);
    let mut off = 14;
    if et == 0x8100 && f.len() >= 18 {
        et = u16::from_be_bytes([f[16], f[17]]);
        off = 18;
    }
    let (proto, l4off) = match et {
        0x0800 if f.len() >= off + 20 && f[off] >> 4 == 4 => {
            let ihl = usize::from(f[off] & 0xF) * 4;
            p.ptype = PT_IPV4;
            p.input[..8].copy_from_slice(&f[off + 12..off + 20]);
            p.addr_len = 8;
            let frag = u16::from_be_bytes([f[off + 6], f[off + 7]]) & 0x3FFF != 0;
            (if frag { 0 } else { f[off + 9] }, off + ihl)
        }
        0x86DD if f.len() >= off + 40 && f[off] >> 4 == 6 => {
            p.ptype = PT_IPV6;
            p.input[..32].copy_from_slice(&f[off + 8..off + 40]);
            p.addr_len = 32;
            ipv6_l4(f, off + 40, f[off + 6], &mut p.ptype)
        }
        _ => return p,
    };
    if (proto == 6 || proto == 17) && f.len() >= l4off + 4 {
        p.ptype |= if proto == 6 { PT_TCP } else { PT_UDP };
        p.input[p.addr_len..p.addr_len + 4].copy_from_slice(&f[l4off..l4off + 4]);
        p.l4 = proto;
    } else if proto == 132 && f.len() >= l4off + 4 {
        p.input[p.addr_len..p.addr_len + 4].copy_from_slice(&f[l4off..l4off + 4]);
        p.sctp = true;
    }
    p
}

/// The RSS field of a receive write-back when RXCSUM.PCSD is clear (datasheet 7.1.6.2): for an
/// IPv4 frame, the IP identification in bits 15:0 and the fragment checksum (the 16-bit one's
/// complement sum of the IP payload, unfolded into no final complement) in bits 31:16; 0 for
/// other frames.
pub fn ip_id_checksum(f: &[u8]) -> u32 {
    let mut off = 14;
    if f.len() >= 18 && f[12..14] == [0x81, 0x00] {
        off = 18;
    }
    if f.len() < off + 20 || f[off - 2..off] != [0x08, 0x00] || f[off] >> 4 != 4 {
        return 0;
    }
    let ip = &f[off..];
    let ihl = usize::from(ip[0] & 0xF) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
    let id = u32::from(u16::from_be_bytes([ip[4], ip[5]]));
    let payload = ip.get(ihl..total).unwrap_or(&[]);
    let mut sum = 0u32;
    for c in payload.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    id | (sum << 16)
}

/// Walks IPv6 extension headers from `off` (next header `nh`): hop-by-hop (0), routing (43),
/// destination options (60) and fragment (44) are skipped to the upper-layer header
/// (datasheet 7.1.2.8.1: the 82599 parses extension headers). Marks `PT_IPV6E` when any is
/// present. A fragment other than the first, or a header the card does not parse, has no L4
/// ports to hash: protocol 0.
fn ipv6_l4(f: &[u8], mut off: usize, mut nh: u8, ptype: &mut u32) -> (u8, usize) {
    for _ in 0..8 {
        match nh {
            0 | 43 | 60 if f.len() >= off + 8 => {
                *ptype |= PT_IPV6E;
                nh = f[off];
                off += (usize::from(f[off + 1]) + 1) * 8;
            }
            44 if f.len() >= off + 8 => {
                *ptype |= PT_IPV6E;
                let frag_off = u16::from_be_bytes([f[off + 2], f[off + 3]]) & !7;
                if frag_off != 0 {
                    return (0, off);
                }
                nh = f[off];
                off += 8;
            }
            0 | 43 | 60 | 44 => return (0, off),
            _ => return (nh, off),
        }
    }
    (0, off)
}

/// The hash and RSS type for a parsed frame under MRQC's field enables, if any applies.
pub fn hash(key: &[u8; 40], mrqc: u32, p: &Parsed) -> Option<(u32, RssType)> {
    let v4 = p.ptype & PT_IPV4 != 0;
    let v6 = p.ptype & PT_IPV6 != 0;
    let with_ports = |t| Some((toeplitz(key, &p.input[..p.addr_len + 4]), t));
    let addrs = |t| Some((toeplitz(key, &p.input[..p.addr_len]), t));
    let ex = p.ptype & PT_IPV6E != 0;
    match (v4, v6, p.l4) {
        // With extension headers, the Ex fields when enabled, else as plain IPv6.
        (_, true, 6) if ex && mrqc & F_IPV6_EX_TCP != 0 => with_ports(RssType::TcpIpv6Ex),
        (_, true, 17) if ex && mrqc & F_IPV6_EX_UDP != 0 => with_ports(RssType::UdpIpv6Ex),
        (_, true, _) if ex && mrqc & F_IPV6_EX != 0 => addrs(RssType::Ipv6Ex),
        (true, _, 6) if mrqc & F_IPV4_TCP != 0 => with_ports(RssType::TcpIpv4),
        (true, _, 17) if mrqc & F_IPV4_UDP != 0 => with_ports(RssType::UdpIpv4),
        (true, _, _) if mrqc & F_IPV4 != 0 => addrs(RssType::Ipv4),
        (_, true, 6) if mrqc & F_IPV6_TCP != 0 => with_ports(RssType::TcpIpv6),
        (_, true, 17) if mrqc & F_IPV6_UDP != 0 => with_ports(RssType::UdpIpv6),
        (_, true, _) if mrqc & F_IPV6 != 0 => addrs(RssType::Ipv6),
        _ => None,
    }
}
