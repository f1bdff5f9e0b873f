//! Flow Director perfect-match filters (82599 datasheet 7.1.2.7): the filter table the
//! driver programs through FDIRCMD, and the lookup of a received frame's 5-tuple.
//!
//! A filter lives in the bucket of the hash the driver computed (FDIRHASH.HASH); a frame is
//! looked up in the bucket of the hash the card computes from it with FDIRHKEY. A driver
//! whose hash is wrong sees its filters never match (as on the card).
//!
//! The hash (7.1.2.7.15, as the model reads it): the filter input is 11 dwords (d0: pool in
//! 7:0, flow type in 15:8, VLAN in 31:16; d1: destination IPv4; d5: source IPv4; d9: source
//! port in 15:0, destination port in 31:16; d10: flexible bytes; the others 0 for IPv4); for
//! every bit i of that 352-bit string whose key bit (i mod 32) is set, the 16 bits from i on
//! (wrapping around) are XORed into the hash. Only IPv4 filters are modelled.

use std::collections::HashMap;

/// One perfect filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub l4type: u32,
    pub src: u32,
    pub dst: u32,
    pub sport: u16,
    pub dport: u16,
    pub vlan: u16,
    pub pool: u32,
    pub sw_index: u32,
    /// Queue, or `None`: the drop queue.
    pub queue: Option<u32>,
}

/// The filter table: buckets by hash.
#[derive(Clone, Default)]
pub(crate) struct Table {
    pub buckets: HashMap<u32, Vec<Filter>>,
    pub hkey: u32,
    pub hash_mask: u32,
    pub drop_queue: u32,
}

/// The filter input dwords of a flow (see the module doc).
pub(crate) fn input(
    l4type: u32,
    src: u32,
    dst: u32,
    sport: u16,
    dport: u16,
    vlan: u16,
    pool: u32,
) -> [u32; 11] {
    let mut d = [0u32; 11];
    d[0] = (pool & 0xFF) | (l4type & 0xFF) << 8 | u32::from(vlan) << 16;
    d[1] = dst;
    d[5] = src;
    d[9] = u32::from(sport) | u32::from(dport) << 16;
    d
}

/// The hash of `d` under `key`, bit by bit as defined.
pub(crate) fn hash(key: u32, d: &[u32; 11]) -> u32 {
    let bit = |i: usize| (d[(i / 32) % 11] >> (i % 32)) & 1;
    let mut h = 0u32;
    for i in 0..352 {
        if key & (1 << (i % 32)) != 0 {
            let mut w = 0u32;
            for j in 0..16 {
                w |= bit((i + j) % 352) << j;
            }
            h ^= w;
        }
    }
    h
}

impl Table {
    pub fn add(&mut self, bucket: u32, f: Filter) {
        let b = self.buckets.entry(bucket & self.hash_mask).or_default();
        match b.iter_mut().find(|g| g.sw_index == f.sw_index) {
            Some(g) => *g = f,
            None => b.push(f),
        }
    }

    pub fn remove(&mut self, bucket: u32, sw_index: u32) -> bool {
        let Some(b) = self.buckets.get_mut(&(bucket & self.hash_mask)) else {
            return false;
        };
        let n = b.len();
        b.retain(|g| g.sw_index != sw_index);
        n != b.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.values().all(Vec::is_empty)
    }

    /// The queue of a frame's flow: `Some(Some(q))` a filter steers it, `Some(None)` it matched
    /// no filter, `None` it is not a flow the filters see (not IPv4 TCP/UDP).
    pub fn lookup(
        &self,
        l4: u8,
        src: u32,
        dst: u32,
        sport: u16,
        dport: u16,
    ) -> Option<Option<u32>> {
        let l4type = match l4 {
            17 => 1,
            6 => 2,
            _ => return None,
        };
        let d = input(l4type, src, dst, sport, dport, 0, 0);
        let h = hash(self.hkey, &d) & self.hash_mask;
        let found = self.buckets.get(&h).and_then(|b| {
            b.iter().find(|f| {
                f.l4type == l4type
                    && f.src == src
                    && f.dst == dst
                    && f.sport == sport
                    && f.dport == dport
            })
        });
        Some(found.map(|f| f.queue.unwrap_or(self.drop_queue)))
    }
}
