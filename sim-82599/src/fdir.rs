//! Flow Director (82599 datasheet 7.1.2.7): the filter table the driver programs through
//! FDIRCMD, perfect-match or signature filters, and the lookup of a received frame.
//!
//! A filter lives in the bucket of the hash the driver computed (FDIRHASH.HASH); a frame is
//! looked up in the bucket of the hash the card computes from it with FDIRHKEY. A driver
//! whose hash is wrong sees its filters never match (as on the card). Perfect filters
//! (FDIRCTRL.PERFECT_MATCH) compare the frame's fields with the filter's; signature filters
//! compare a second hash of them (FDIRSKEY, 15 bits in FDIRHASH 30:16), so two flows with
//! the same bucket and signature are one filter to the card.
//!
//! The hash input (datasheet 7.1.2.7) is 11 dwords, each taken as a big-endian number of the bytes
//! it holds: d0 = pool (31:24), flow type (23:16: L4TYPE, +4 for IPv6), VLAN tag (15:0); d1-d4
//! the destination address (IPv4 in d1), d5-d8 the source (IPv4 in d5), d9 = source port
//! (31:16), destination port (15:0), d10 = the flexible bytes (31:16). Fields FDIRM masks are
//! 0 in it and not compared. The 16-bit hash is the XOR, over the key's set bits k, of a
//! 16-bit window: bits k+16.. (mod 32) of the XOR of d1-d10, and of d0 folded as
//! `(d0 ^ d0 << 16) >> k` for k in 1..=15, `(d0 ^ d0 >> 16) >> (k - 16)` for k >= 16 (nothing
//! for k = 0). The bucket takes the hash's low 11-13 bits (perfect, by PBALLOC) or 13-15
//! (signature); the signature its low 15. Checked against hashes a real 82599 reported
//! (tests below).
//!
//! Registers hold addresses and the flexible bytes in frame order (first byte in bits 7:0),
//! ports and the VLAN tag as numbers (as Linux's ixgbe writes them). An IPv6 perfect filter
//! holds the whole
//! source (FDIRSIPv6[0..2], FDIRIPSA) but only the last 4 bytes of the destination
//! (FDIRIPDA, compared when FDIRCMD.IPV6DMATCH is set): a filter has 32 bytes of table
//! memory (DPDK's test plan: 32 bytes per perfect filter, 8 per signature filter), the rest of
//! the destination only selects the bucket.
//!
//! The field masks (8.2.3.21: FDIRSIP4M, FDIRDIP4M, FDIRTCPM, FDIRUDPM, FDIRSCTPM, FDIRIP6M)
//! hold, for the whole table, the bits the lookup ignores (a set bit: not compared, and 0 in
//! the hash input): the IPv4 masks in frame order like the addresses; the port masks with the
//! source port's in 15:0 and the destination's in 31:16, each bit-reversed (register bit 0
//! masks the port's bit 15), per L4 type; FDIRIP6M one bit per byte of the IPv6 source (15:0)
//! and destination (31:16), bit i for byte i. A driver computes the hash of the flow with the
//! masked bits cleared and writes the filter so (as Linux's ixgbe does): a filter written with
//! bits the masks ignore could never match, a strict `FdirFilterNotMasked`; changing a mask
//! with filters in the table is `FdirMaskWithFilters`, as for FDIRM. SCTP flows (L4TYPE 3)
//! are looked up with their ports like TCP and UDP.
//!
//! Statistics (8.2.3.21.10-15, kept by `card.rs`): FDIRMATCH and FDIRMISS count the frames
//! looked up (read-to-clear counters); FDIRUSTAT counts filters added (ADD, 15:0) and removed
//! (REMOVE, 31:16), FDIRFSTAT adds that failed because the table was full (FADD, 7:0) and
//! removes of a filter not in the table (FREMOVE, 15:8), each field saturating, the whole
//! register cleared by reading; FDIRLEN holds the longest bucket an add made since it was
//! last read (MAXLEN, 5:0) and that bucket's hash (MAXHASH, 30:16), cleared by reading;
//! FDIRFREE.FREE the filters still free (the table's capacity, 2 K - 2 perfect or 8 K - 2
//! signature filters per 64 KB of PBALLOC, less those in it), not cleared by reading. An add
//! that replaces a filter with the same bucket and software index (or signature) changes its
//! action and counts in neither register. Not modelled: FDIRM.L4P, FDIRFREE.COLL (the
//! collision flag of signature filters; it stays 0).

use std::collections::HashMap;

/// FDIRM bits (8.2.3.21.9).
pub(crate) const FDIRM_VLANID: u32 = 1 << 0;
pub(crate) const FDIRM_VLANP: u32 = 1 << 1;
pub(crate) const FDIRM_POOL: u32 = 1 << 2;
pub(crate) const FDIRM_FLEX: u32 = 1 << 4;
pub(crate) const FDIRM_DIPV6: u32 = 1 << 5;

/// The field masks (registers as written: a set bit is not compared).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masks {
    pub fdirm: u32,
    /// FDIRSIP4M, FDIRDIP4M: frame order (first byte in 7:0).
    pub sip4: u32,
    pub dip4: u32,
    /// FDIRUDPM, FDIRTCPM, FDIRSCTPM: by L4TYPE 1, 2, 3.
    pub ports: [u32; 3],
    pub ip6: u32,
}

impl Masks {
    /// The source and destination port bits ignored for flow type `flow_type`.
    fn ports(&self, flow_type: u32) -> (u16, u16) {
        match flow_type & 3 {
            0 => (0, 0),
            t => {
                let r = self.ports[t as usize - 1];
                ((r as u16).reverse_bits(), ((r >> 16) as u16).reverse_bits())
            }
        }
    }

    /// `addr`'s bytes with the ignored bits cleared: the IPv4 mask `v4` (frame order) for
    /// IPv4, one bit of `v6` per byte for IPv6.
    fn addr(addr: &[u8; 16], v6: bool, v4: u32, v6m: u16) -> [u8; 16] {
        let mut a = *addr;
        if v6 {
            for (i, b) in a.iter_mut().enumerate() {
                if v6m >> i & 1 != 0 {
                    *b = 0;
                }
            }
        } else {
            for (i, b) in a[..4].iter_mut().enumerate() {
                *b &= !(v4 >> (8 * i)) as u8;
            }
        }
        a
    }

    fn src(&self, a: &[u8; 16], flow_type: u32) -> [u8; 16] {
        Self::addr(a, flow_type & 4 != 0, self.sip4, self.ip6 as u16)
    }

    fn dst(&self, a: &[u8; 16], flow_type: u32) -> [u8; 16] {
        Self::addr(a, flow_type & 4 != 0, self.dip4, (self.ip6 >> 16) as u16)
    }

    /// `f`'s fields that the masks ignore but the filter has set: why it can never match.
    pub fn unmasked(&self, f: &Filter) -> Option<String> {
        let v6 = f.flow_type & 4 != 0;
        let src = if v6 { 16 } else { 4 };
        let mut dst = [0u8; 16];
        if v6 {
            dst[12..].copy_from_slice(&f.dst);
        } else {
            dst[..4].copy_from_slice(&f.dst);
        }
        let (sp, dp) = self.ports(f.flow_type);
        let mut bad = Vec::new();
        if self.src(&f.src, f.flow_type)[..src] != f.src[..src] {
            bad.push("source address");
        }
        if self.dst(&dst, f.flow_type) != dst {
            bad.push("destination address");
        }
        if f.sport & sp != 0 {
            bad.push("source port");
        }
        if f.dport & dp != 0 {
            bad.push("destination port");
        }
        (!bad.is_empty()).then(|| bad.join(", "))
    }
}

/// One filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    /// FDIRCMD 7:5: L4TYPE, IPv6 in bit 2.
    pub flow_type: u32,
    /// Source address bytes (IPv4: the first 4).
    pub src: [u8; 16],
    /// FDIRIPDA: the IPv4 destination, or the last 4 bytes of an IPv6 one.
    pub dst: [u8; 4],
    /// FDIRCMD.IPV6DMATCH.
    pub dst_match: bool,
    pub sport: u16,
    pub dport: u16,
    pub vlan: u16,
    /// The flexible bytes as a big-endian number (first byte in 15:8).
    pub flex: u16,
    pub pool: u32,
    /// FDIRHASH 30:16: the software index (perfect) or the signature.
    pub id: u32,
    /// Queue, or `None`: the drop queue.
    pub queue: Option<u32>,
}

/// The filter table: buckets by hash.
#[derive(Clone, Default)]
pub(crate) struct Table {
    pub buckets: HashMap<u32, Vec<Filter>>,
    pub hkey: u32,
    pub skey: u32,
    pub perfect: bool,
    pub hash_mask: u32,
    pub drop_queue: u32,
    /// Frame offset of the flexible bytes (FDIRCTRL.FLEX_OFFSET words).
    pub flex_offset: usize,
    /// FDIRM and the field masks, read when the receive configuration is loaded.
    pub masks: Masks,
    /// Filters the memory PBALLOC gives holds, and filters in the table.
    pub capacity: u32,
    pub len: u32,
}

/// What an add command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// A new filter, now one of `bucket_len` in its bucket.
    New { bucket_len: usize },
    /// A filter with the same bucket and id was there: its action replaced.
    Replaced,
    /// The table is full: nothing added.
    Full,
}

/// The table after FDIRCTRL is written with PBALLOC `pballoc` (1..=3).
pub(crate) fn table(fdirctrl: u32, hkey: u32, skey: u32) -> Table {
    let pballoc = fdirctrl & 3;
    let perfect = fdirctrl & (1 << 4) != 0;
    // 2 K perfect filters (8 K signature) per 64 KB, one bucket each.
    let bits = if perfect { 10 + pballoc } else { 12 + pballoc };
    let capacity = match pballoc {
        0 => 0,
        p => (if perfect { 2048 } else { 8192 } << (p - 1)) - 2,
    };
    Table {
        capacity,
        hkey,
        skey,
        perfect,
        hash_mask: (1 << bits) - 1,
        drop_queue: (fdirctrl >> 8) & 0x7F,
        flex_offset: 2 * ((fdirctrl >> 16) & 0x1F) as usize,
        ..Default::default()
    }
}

/// The 16-bit hash of the input dwords `d` under `key` (see the module doc).
pub(crate) fn hash(key: u32, d: &[u32; 11]) -> u32 {
    let x = d[1..].iter().fold(0u32, |a, &w| a ^ w);
    let f = d[0];
    let mut h = 0u32;
    for k in 0..32u32 {
        if (key >> k) & 1 == 0 {
            continue;
        }
        let folded = match k {
            0 => 0,
            1..=15 => (f ^ f << 16) >> k,
            _ => (f ^ f >> 16) >> (k - 16),
        };
        h ^= (x.rotate_right((k + 16) % 32) ^ folded) & 0xFFFF;
    }
    h
}

/// What the card takes from a frame for the lookup.
pub(crate) struct Key {
    pub flow_type: u32,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub sport: u16,
    pub dport: u16,
    pub vlan: u16,
    pub flex: u16,
    pub pool: u32,
}

impl Key {
    /// The frame's key, or `None` when it is not IP. `parsed`: its addresses and ports.
    pub fn of(f: &[u8], parsed: &crate::rss::Parsed, flex_offset: usize) -> Option<Key> {
        let v6 = match parsed.addr_len {
            8 => false,
            32 => true,
            _ => return None,
        };
        let n = parsed.addr_len / 2;
        let mut k = Key {
            flow_type: match (parsed.l4, parsed.sctp) {
                (17, _) => 1,
                (6, _) => 2,
                (_, true) => 3,
                _ => 0,
            } | u32::from(v6) << 2,
            src: [0; 16],
            dst: [0; 16],
            sport: 0,
            dport: 0,
            vlan: 0,
            flex: 0,
            pool: 0,
        };
        k.src[..n].copy_from_slice(&parsed.input[..n]);
        k.dst[..n].copy_from_slice(&parsed.input[n..2 * n]);
        if parsed.l4 != 0 || parsed.sctp {
            let p = &parsed.input[2 * n..2 * n + 4];
            k.sport = u16::from_be_bytes([p[0], p[1]]);
            k.dport = u16::from_be_bytes([p[2], p[3]]);
        }
        if f.len() >= 18 && f[12..14] == [0x81, 0x00] {
            k.vlan = u16::from_be_bytes([f[14], f[15]]);
        }
        // The flexible bytes come from the first 64 bytes of the frame (7.1.2.7.1).
        if flex_offset + 2 <= f.len().min(64) {
            k.flex = u16::from_be_bytes([f[flex_offset], f[flex_offset + 1]]);
        }
        Some(k)
    }

    /// The hash input dwords, with the fields FDIRM masks and the bits the field masks
    /// ignore cleared.
    pub fn input(&self, m: &Masks) -> [u32; 11] {
        let fdirm = m.fdirm;
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let mut d = [0u32; 11];
        let vlan = vlan_masked(self.vlan, fdirm);
        let pool = if fdirm & FDIRM_POOL != 0 {
            0
        } else {
            self.pool
        };
        d[0] = (pool & 0xFF) << 24 | (self.flow_type & 0xFF) << 16 | u32::from(vlan);
        let masked_dst = self.flow_type & 4 != 0 && fdirm & FDIRM_DIPV6 != 0;
        let (src, dst) = (
            m.src(&self.src, self.flow_type),
            m.dst(&self.dst, self.flow_type),
        );
        for i in 0..4 {
            if !masked_dst {
                d[1 + i] = be(&dst[4 * i..]);
            }
            d[5 + i] = be(&src[4 * i..]);
        }
        let (sp, dp) = m.ports(self.flow_type);
        d[9] = u32::from(self.sport & !sp) << 16 | u32::from(self.dport & !dp);
        if fdirm & FDIRM_FLEX == 0 {
            d[10] = u32::from(self.flex) << 16;
        }
        d
    }
}

fn vlan_masked(vlan: u16, fdirm: u32) -> u16 {
    let mut v = vlan;
    if fdirm & FDIRM_VLANID != 0 {
        v &= !0x0FFF;
    }
    if fdirm & FDIRM_VLANP != 0 {
        v &= !0xE000;
    }
    v
}

impl Table {
    pub fn add(&mut self, bucket: u32, f: Filter) -> Added {
        let full = self.len >= self.capacity;
        let b = self.buckets.entry(bucket & self.hash_mask).or_default();
        match b.iter_mut().find(|g| g.id == f.id) {
            Some(g) => {
                *g = f;
                Added::Replaced
            }
            None if full => Added::Full,
            None => {
                b.push(f);
                self.len += 1;
                Added::New {
                    bucket_len: b.len(),
                }
            }
        }
    }

    /// Removes the filter with software index (perfect) or signature `id` from `bucket`.
    pub fn remove(&mut self, bucket: u32, id: u32) -> bool {
        let Some(b) = self.buckets.get_mut(&(bucket & self.hash_mask)) else {
            return false;
        };
        let n = b.len();
        b.retain(|g| g.id != id);
        let removed = n != b.len();
        if removed {
            self.len -= 1;
        }
        removed
    }

    /// FDIRFREE.FREE.
    pub fn free(&self) -> u32 {
        self.capacity - self.len
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.values().all(Vec::is_empty)
    }

    /// The queue of a frame: `Some(Some(q))` a filter steers it, `Some(None)` it matched no
    /// filter, `None` it is not a frame the filters see (not IP).
    pub fn lookup(&self, f: &[u8], parsed: &crate::rss::Parsed) -> Option<Option<u32>> {
        let k = Key::of(f, parsed, self.flex_offset)?;
        let d = k.input(&self.masks);
        let bucket = self.buckets.get(&(hash(self.hkey, &d) & self.hash_mask));
        let found = if self.perfect {
            bucket.and_then(|b| b.iter().find(|g| self.matches(g, &k)))
        } else {
            let sig = hash(self.skey, &d) & 0x7FFF;
            bucket.and_then(|b| b.iter().find(|g| g.id == sig && g.flow_type == k.flow_type))
        };
        Some(found.map(|g| g.queue.unwrap_or(self.drop_queue)))
    }

    /// A perfect filter's comparison (the fields FDIRM masks and the bits the field masks
    /// ignore are not compared; the filter holds them cleared, `Masks::unmasked`).
    fn matches(&self, g: &Filter, k: &Key) -> bool {
        let ms = &self.masks;
        let m = ms.fdirm;
        let v6 = k.flow_type & 4 != 0;
        let src_len = if v6 { 16 } else { 4 };
        let (src, dst) = (ms.src(&k.src, k.flow_type), ms.dst(&k.dst, k.flow_type));
        let (sp, dp) = ms.ports(k.flow_type);
        let dst_ok = if !v6 {
            g.dst == dst[..4]
        } else {
            !g.dst_match || m & FDIRM_DIPV6 != 0 || g.dst == dst[12..16]
        };
        g.flow_type == k.flow_type
            && g.src[..src_len] == src[..src_len]
            && dst_ok
            && g.sport == k.sport & !sp
            && g.dport == k.dport & !dp
            && vlan_masked(g.vlan, m) == vlan_masked(k.vlan, m)
            && (m & FDIRM_FLEX != 0 || g.flex == k.flex)
            && (m & FDIRM_POOL != 0 || g.pool == k.pool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key from text addresses (either family), ports, flow type and flexible bytes.
    fn key(flow_type: u32, src: &str, dst: &str, sport: u16, dport: u16, flex: u16) -> Key {
        let bytes = |a: &str| -> [u8; 16] {
            let mut b = [0; 16];
            match a.parse::<std::net::IpAddr>().unwrap() {
                std::net::IpAddr::V4(v) => b[..4].copy_from_slice(&v.octets()),
                std::net::IpAddr::V6(v) => b = v.octets(),
            }
            b
        };
        Key {
            flow_type,
            src: bytes(src),
            dst: bytes(dst),
            sport,
            dport,
            vlan: 0,
            flex,
            pool: 0,
        }
    }

    #[test]
    fn hashes_are_those_a_real_82599_reported() {
        // DPDK's test plan for the 82599's Flow Director (dts, test_plans/fdir_test_plan.rst)
        // prints what the card wrote back for these flows with the keys Linux and DPDK use
        // (bucket 0x3DAD14E2, signature 0x174D3614), 64 KB of filters, the flexible bytes
        // at offset 12 (the EtherType): in signature mode the bucket hash (13 bits) and the
        // signature (its bit 15 set in every report: the card keeps 15 bits), in perfect
        // mode the bucket hash in 11 bits.
        let (bk, sk) = (0x3DAD_14E2, 0x174D_3614);
        let v6s = "2001:0db8:85a3:0000:0000:8a2e:0370:7000";
        let v6d = "2001:0db8:85a3:0000:0000:8a2e:0370:7338";
        let cases = [
            (
                key(1, "192.168.0.1", "192.168.0.2", 1024, 1024, 0x0800),
                0x143C,
                0xE230,
                0x43C,
            ),
            (
                key(2, "192.168.0.1", "192.168.0.2", 1024, 1024, 0x0800),
                0x1B47,
                0xBD2B,
                0x347,
            ),
            (
                key(0, "192.168.0.1", "192.168.0.2", 0, 0, 0x0800),
                0x1681,
                0xF3ED,
                0x681,
            ),
            (key(5, v6s, v6d, 1024, 1024, 0x86DD), 0x04AA, 0xEA83, 0x4AA),
        ];
        for (k, bucket, sig, perfect) in cases {
            let d = k.input(&Masks::default());
            assert_eq!(hash(bk, &d) & 0x1FFF, bucket, "bucket of {:?}", d);
            assert_eq!(hash(sk, &d) & 0x7FFF, sig & 0x7FFF, "signature of {:?}", d);
            assert_eq!(hash(bk, &d) & 0x7FF, perfect);
        }
    }

    #[test]
    fn capacity_follows_pballoc_and_mode_and_a_full_table_refuses_new_filters() {
        // FDIRCTRL: PBALLOC in 1:0, PERFECT_MATCH bit 4. 2 K - 2 perfect or 8 K - 2 signature
        // filters per 64 KB.
        for (ctrl, cap) in [
            (0x11, 2046),
            (0x13, 8190),
            (0x01, 8190),
            (0x03, 32766),
            (0, 0),
        ] {
            assert_eq!(table(ctrl, 0, 0).capacity, cap, "FDIRCTRL {ctrl:#x}");
        }
        let mut t = table(0x11, 0, 0);
        t.capacity = 2;
        let f = |id| Filter {
            flow_type: 1,
            src: [0; 16],
            dst: [0; 4],
            dst_match: false,
            sport: 0,
            dport: 0,
            vlan: 0,
            flex: 0,
            pool: 0,
            id,
            queue: Some(1),
        };
        assert_eq!(t.add(5, f(0)), Added::New { bucket_len: 1 });
        assert_eq!(t.add(5, f(1)), Added::New { bucket_len: 2 });
        assert_eq!(t.free(), 0);
        assert_eq!(t.add(6, f(2)), Added::Full);
        // The same bucket and id: the filter's action replaced, even with the table full.
        assert_eq!(t.add(5, f(1)), Added::Replaced);
        assert!(t.remove(5, 0));
        assert!(!t.remove(5, 0));
        assert_eq!((t.len, t.free()), (1, 1));
        assert_eq!(t.add(6, f(2)), Added::New { bucket_len: 1 });
    }

    #[test]
    fn masked_fields_are_zero_in_the_hash() {
        let mut k = key(1, "10.0.0.1", "10.0.0.2", 1, 2, 0xABCD);
        k.vlan = 0x2005;
        let all = FDIRM_VLANID | FDIRM_VLANP | FDIRM_FLEX;
        let fdirm = |fdirm| Masks {
            fdirm,
            ..Masks::default()
        };
        let d = k.input(&fdirm(all));
        assert_eq!(d[0], 1 << 16);
        assert_eq!(d[10], 0);
        assert_eq!(k.input(&fdirm(0))[10], 0xABCD << 16);
        assert_eq!(k.input(&fdirm(FDIRM_VLANID))[0] & 0xFFFF, 0x2000);
    }

    #[test]
    fn field_masks_clear_what_they_ignore() {
        let k = key(2, "10.1.2.3", "192.168.7.9", 0x1234, 0xABCD, 0);
        // Ignore the low byte of the source (a /24: frame-order byte 3 in bits 31:24), the
        // destination entirely, the source port's low 8 bits: register bits 15:8 (reversed).
        let m = Masks {
            sip4: 0xFF00_0000,
            dip4: 0xFFFF_FFFF,
            ports: [0, 0x0000_FF00, 0],
            ..Masks::default()
        };
        let d = k.input(&m);
        assert_eq!(d[5], 0x0A01_0200, "source 10.1.2.0");
        assert_eq!(d[1], 0, "destination ignored");
        assert_eq!(
            d[9], 0x1200_ABCD,
            "source port 0x12xx, destination port whole"
        );
        // The same masks on a UDP flow: FDIRUDPM (0 here) applies, not FDIRTCPM.
        assert_eq!(
            key(1, "10.1.2.3", "1.1.1.1", 0x1234, 1, 0).input(&m)[9],
            0x1234_0001
        );
        // IPv6: one bit per byte, bit i for byte i; the destination's in 31:16.
        let k6 = key(6, "2001:db8::1", "2001:db8::2", 1, 2, 0);
        let m6 = Masks {
            ip6: 0x8000_0001,
            ..Masks::default()
        };
        let d6 = k6.input(&m6);
        assert_eq!(d6[5], 0x0001_0DB8, "source byte 0 ignored");
        assert_eq!(d6[4], 0, "destination byte 15 ignored");
        assert_eq!(k6.input(&Masks::default())[4], 2);
    }

    #[test]
    fn a_filter_with_ignored_bits_set_is_reported() {
        let m = Masks {
            sip4: 0xFF00_0000,
            // TCP: the source port's bits 15:8 and the destination port's bit 0 ignored.
            ports: [0, 0x8000_00FF, 0],
            ..Masks::default()
        };
        let mut f = Filter {
            flow_type: 2,
            src: [0; 16],
            dst: [1, 2, 3, 4],
            dst_match: false,
            sport: 0x00FF,
            dport: 0xFF00,
            vlan: 0,
            flex: 0,
            pool: 0,
            id: 0,
            queue: Some(1),
        };
        f.src[..4].copy_from_slice(&[10, 0, 0, 0]);
        assert_eq!(m.unmasked(&f), None);
        f.src[3] = 7;
        f.dport = 0xFF01;
        assert_eq!(
            m.unmasked(&f).as_deref(),
            Some("source address, destination port")
        );
    }
}
