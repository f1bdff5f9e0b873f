//! Transmit offloads: IPv4 header and TCP/UDP checksum insertion (datasheet 7.2.5) and TCP
//! segmentation (7.2.4), driven by an advanced context descriptor (7.2.3.2.3) and the POPTS,
//! TSE and PAYLEN fields of the packet's first data descriptor (7.2.3.2.4).
//!
//! What the card expects from the driver (and checks in strict mode, [`Rule::BadOffload`]):
//! MACLEN 14..=127, IPLEN 20..=511 (IPv4) or at least 40 (IPv6), the headers inside the frame;
//! with TSE a context whose L4T is TCP, L4LEN 20..=255, MACLEN + IPLEN + L4LEN < 512, MSS not
//! 0, TXSM set (and IXSM for IPv4), PAYLEN the bytes after the headers. The L4 checksum field
//! holds the pseudo-header sum (folded, not complemented; without the length under TSO), the
//! card adds the rest and complements it.

use crate::strict::Rule;

/// DCMD.TSE (bit 31 of the command dword).
pub(crate) const DCMD_TSE: u32 = 1 << 31;
/// POPTS.IXSM: insert the IPv4 header checksum.
pub(crate) const POPTS_IXSM: u32 = 1 << 8;
/// POPTS.TXSM: insert the TCP/UDP checksum.
pub(crate) const POPTS_TXSM: u32 = 1 << 9;
/// What a data descriptor's first dword 3 asks for that needs this module.
pub(crate) const OFFLOAD_OLINFO: u32 = POPTS_IXSM | POPTS_TXSM;
/// TUCMD.IPV4 (bit 10 of the context's dword 2).
const TUCMD_IPV4: u32 = 1 << 10;
/// TUCMD.L4T (bits 12:11): 00b UDP, 01b TCP, 10b SCTP.
const L4T_SHIFT: u32 = 11;
/// The gather buffer: the largest TSO packet (PAYLEN is 18 bits, headers under 512 bytes).
pub(crate) const MAX_GATHER: usize = (1 << 18) + 512;
/// TCP flag masks at their reset values (DTXTCPFLGL/H, 8.2.3.9.12): FIN and PSH cleared in
/// the first and middle segments, CWR in the last.
const FLAGS_FIRST_MID: u8 = 0xF6;
const FLAGS_LAST: u8 = 0x7F;

/// A checksum or segmentation request as the descriptors give it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request {
    /// Context dwords 0 (IPLEN, MACLEN, VLAN), 2 (TUCMD) and 3 (L4LEN, MSS); `None` when the
    /// slot the data descriptor names was never written.
    pub ctx: Option<[u32; 4]>,
    /// The first data descriptor's command dword (TSE) and dword 3 (POPTS, PAYLEN).
    pub cmd: u32,
    pub olinfo: u32,
}

/// A malformed request: the rule and what was wrong (the frame is dropped).
pub(crate) type Bad = (Rule, String);

struct Layout {
    maclen: usize,
    iplen: usize,
    ipv4: bool,
    l4t: u32,
}

fn layout(r: &Request, n: usize) -> Result<Layout, Bad> {
    let bad = |s: String| Err((Rule::BadOffload, s));
    let Some(c) = r.ctx else {
        return bad(
            "offload requested (TSE/IXSM/TXSM) but the context slot it names was never written"
                .into(),
        );
    };
    let maclen = ((c[0] >> 9) & 0x7F) as usize;
    let iplen = (c[0] & 0x1FF) as usize;
    let ipv4 = c[2] & TUCMD_IPV4 != 0;
    let l4t = (c[2] >> L4T_SHIFT) & 3;
    if maclen < 14 {
        return bad(format!("MACLEN {maclen} below 14"));
    }
    if iplen < if ipv4 { 20 } else { 40 } {
        return bad(format!(
            "IPLEN {iplen} too short for IPv{}",
            if ipv4 { 4 } else { 6 }
        ));
    }
    if maclen + iplen > n {
        return bad(format!(
            "MACLEN {maclen} + IPLEN {iplen} beyond the {n}-byte frame"
        ));
    }
    if r.olinfo & POPTS_IXSM != 0 && !ipv4 {
        return bad("IXSM with TUCMD.IPV4 clear (an IPv6 header has no checksum)".into());
    }
    if r.olinfo & POPTS_TXSM != 0 && l4t > 1 {
        return bad(format!(
            "TXSM with L4T {l4t:02b}b (SCTP CRC or reserved): not modelled"
        ));
    }
    Ok(Layout {
        maclen,
        iplen,
        ipv4,
        l4t,
    })
}

/// One's-complement sum of `data` (RFC 1071) added to `acc`, not folded.
fn sum(acc: u32, data: &[u8]) -> u32 {
    let mut s = acc as u64;
    let mut it = data.chunks_exact(2);
    for w in &mut it {
        s += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [b] = it.remainder() {
        s += u64::from(*b) << 8;
    }
    while s >> 16 != 0 {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u32
}

fn fold(s: u32) -> u16 {
    let mut s = s;
    while s >> 16 != 0 {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

fn ip_checksum(hdr: &mut [u8]) {
    hdr[10..12].fill(0);
    let c = !fold(sum(0, hdr));
    hdr[10..12].copy_from_slice(&c.to_be_bytes());
}

/// The L4 checksum over `l4` (its checksum field holding the pseudo-header sum) plus `extra`
/// (the L4 length under TSO).
fn l4_checksum(l4: &mut [u8], at: usize, extra: u32, udp: bool) {
    let c = !fold(sum(extra, l4));
    // UDP sends 0 as all ones (RFC 768).
    let c = if udp && c == 0 { 0xFFFF } else { c };
    l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

fn csum_offset(l4t: u32) -> usize {
    if l4t == 1 {
        16
    } else {
        6
    }
}

/// Checksum insertion without segmentation, in place over the frame's `n` bytes.
pub(crate) fn checksum(r: &Request, frame: &mut [u8], n: usize) -> Result<(), Bad> {
    let l = layout(r, n)?;
    let paylen = (r.olinfo >> 14) as usize;
    if paylen != n {
        return Err((
            Rule::BadOffload,
            format!("PAYLEN {paylen} is not the packet's {n} bytes (no TSE)"),
        ));
    }
    let l3 = l.maclen;
    let l4 = l3 + l.iplen;
    if r.olinfo & POPTS_IXSM != 0 {
        ip_checksum(&mut frame[l3..l4]);
    }
    if r.olinfo & POPTS_TXSM != 0 {
        let at = csum_offset(l.l4t);
        if l4 + at + 2 > n {
            return Err((
                Rule::BadOffload,
                format!(
                    "TXSM: the L4 checksum field (byte {}) beyond the {n}-byte frame",
                    l4 + at
                ),
            ));
        }
        l4_checksum(&mut frame[l4..n], at, 0, l.l4t == 0);
    }
    Ok(())
}

/// TCP segmentation of the frame's `n` bytes: each segment (headers + up to MSS bytes) is
/// built in `seg` and handed to `out` with its length.
pub(crate) fn segment(
    r: &Request,
    frame: &[u8],
    n: usize,
    seg: &mut Vec<u8>,
    max_frame: usize,
    mut out: impl FnMut(&mut [u8], usize),
) -> Result<usize, Bad> {
    let l = layout(r, n)?;
    let c = r.ctx.unwrap_or_default();
    let bad = |s: String| Err((Rule::BadOffload, s));
    let l4len = ((c[3] >> 8) & 0xFF) as usize;
    let mss = (c[3] >> 16) as usize;
    let hdr = l.maclen + l.iplen + l4len;
    if l.l4t != 1 {
        return bad(format!(
            "TSE with L4T {:02b}b: only TCP is segmented",
            l.l4t
        ));
    }
    if r.olinfo & POPTS_TXSM == 0 || (l.ipv4 && r.olinfo & POPTS_IXSM == 0) {
        return bad("TSE without TXSM (or, for IPv4, without IXSM)".into());
    }
    if !(20..=255).contains(&l4len) || hdr >= 512 {
        return bad(format!(
            "L4LEN {l4len} (MACLEN + IPLEN + L4LEN = {hdr}, must be < 512)"
        ));
    }
    if mss == 0 {
        return bad("TSE with MSS 0".into());
    }
    if hdr > n {
        return bad(format!("headers ({hdr} bytes) beyond the {n}-byte packet"));
    }
    let paylen = (r.olinfo >> 14) as usize;
    if paylen != n - hdr {
        return bad(format!(
            "PAYLEN {paylen} is not the {} bytes after the {hdr} header bytes",
            n - hdr
        ));
    }
    if hdr + mss > max_frame {
        return bad(format!("MSS {mss}: segments beyond the largest frame"));
    }
    let (l3, l4) = (l.maclen, l.maclen + l.iplen);
    let id = u16::from_be_bytes([frame[l3 + 4], frame[l3 + 5]]);
    let seq = u32::from_be_bytes([frame[l4 + 4], frame[l4 + 5], frame[l4 + 6], frame[l4 + 7]]);
    let flags = frame[l4 + 13];
    let count = paylen.div_ceil(mss).max(1);
    seg.resize(max_frame + 4, 0);
    for k in 0..count {
        let off = k * mss;
        let len = mss.min(paylen - off);
        let s = &mut seg[..hdr + len];
        s[..hdr].copy_from_slice(&frame[..hdr]);
        s[hdr..].copy_from_slice(&frame[hdr + off..hdr + off + len]);
        if l.ipv4 {
            let tot = (l.iplen + l4len + len) as u16;
            s[l3 + 2..l3 + 4].copy_from_slice(&tot.to_be_bytes());
            s[l3 + 4..l3 + 6].copy_from_slice(&id.wrapping_add(k as u16).to_be_bytes());
            ip_checksum(&mut s[l3..l4]);
        } else {
            let pl = (l.iplen - 40 + l4len + len) as u16;
            s[l3 + 4..l3 + 6].copy_from_slice(&pl.to_be_bytes());
        }
        s[l4 + 4..l4 + 8].copy_from_slice(&seq.wrapping_add(off as u32).to_be_bytes());
        let last = k + 1 == count;
        s[l4 + 13] = flags & if last { FLAGS_LAST } else { FLAGS_FIRST_MID };
        l4_checksum(&mut s[l4..], 16, (l4len + len) as u32, false);
        out(&mut seg[..], hdr + len);
    }
    Ok(count)
}

// Receive write-back status and error bits of the checksums (7.1.6.2).
const RX_STAT_L4CS: u32 = 1 << 5;
const RX_STAT_IPCS: u32 = 1 << 6;
const RX_ERR_TCPE: u32 = 1 << 30;
const RX_ERR_IPE: u32 = 1 << 31;

/// The receive checksum status of a frame (datasheet 7.1.11): IPCS with IPE when its IPv4
/// header checksum is wrong, L4CS with TCPE when its TCP/UDP checksum is wrong. The 82599
/// always checks (RXCSUM has no enable for it; PCSD only chooses what the RSS field carries).
/// Not checked: IP fragments (no L4 checksum over one fragment), UDP with checksum 0 (none
/// sent), frames shorter than their headers say.
pub(crate) fn rx_status(f: &[u8]) -> u32 {
    if f.len() < 14 {
        return 0;
    }
    let mut at = 12;
    let mut et = u16::from_be_bytes([f[at], f[at + 1]]);
    if et == 0x8100 && f.len() >= 18 {
        at = 16;
        et = u16::from_be_bytes([f[at], f[at + 1]]);
    }
    let l3 = at + 2;
    let ip = &f[l3.min(f.len())..];
    let (mut bits, proto, l4, l4_len, pseudo) = match et {
        0x0800 if ip.len() >= 20 && ip[0] >> 4 == 4 => {
            let ihl = usize::from(ip[0] & 0xF) * 4;
            let tot = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            if ihl < 20 || tot < ihl || tot > ip.len() {
                return 0;
            }
            let mut bits = RX_STAT_IPCS;
            if fold(sum(0, &ip[..ihl])) != 0xFFFF {
                bits |= RX_ERR_IPE;
            }
            // A fragment (MF, or an offset): no L4 check.
            if u16::from_be_bytes([ip[6], ip[7]]) & 0x3FFF != 0 {
                return bits;
            }
            let s = sum(0, &ip[12..20]);
            (bits, ip[9], &ip[ihl..tot], tot - ihl, s)
        }
        0x86DD if ip.len() >= 40 && ip[0] >> 4 == 6 => {
            let pl = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            if 40 + pl > ip.len() {
                return 0;
            }
            (0, ip[6], &ip[40..40 + pl], pl, sum(0, &ip[8..40]))
        }
        _ => return 0,
    };
    let at = match proto {
        6 if l4_len >= 20 => 16,
        17 if l4_len >= 8 => 6,
        _ => return bits,
    };
    if proto == 17 && l4[at..at + 2] == [0, 0] {
        return bits;
    }
    bits |= RX_STAT_L4CS;
    let s = sum(pseudo + u32::from(proto) + l4_len as u32, l4);
    if fold(s) != 0xFFFF {
        bits |= RX_ERR_TCPE;
    }
    bits
}
