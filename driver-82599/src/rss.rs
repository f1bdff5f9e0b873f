//! Receive-side scaling: the Toeplitz hash the card computes (82599 datasheet 7.1.2.8), the
//! 40-byte key (RSSRK) and the 128-entry redirection table (RETA).

use crate::regs::{elements, RETA, RSSRK};
use regdsl_rt::ArraySpec;

/// Bytes in the RSS key: RSSRK[0..9] of the table, each holding 4 bytes of the key in its
/// 32-bit KEY field (8.2.3.7.16).
pub const KEY_LEN: usize =
    elements(<RSSRK::Reg as ArraySpec>::SEGMENTS) * (RSSRK::KEY.width() as usize / 8);
/// Entries in the redirection table: RETA[0..31] of the table, four entries (ENTRY0..ENTRY3)
/// each (8.2.3.7.15).
pub const RETA_LEN: usize = elements(<RETA::Reg as ArraySpec>::SEGMENTS) * 4;

/// Queues a redirection-table entry can name: the width of RETA.ENTRY0 (4 bits, 8.2.3.7.15).
/// RSS without virtualisation or DCB reaches no other receive queue (7.1.2.8).
pub const MAX_QUEUES: u16 = 1 << RETA::ENTRY0.width();

/// The key Microsoft publishes with its RSS verification vectors; a fine default.
pub const DEFAULT_KEY: [u8; KEY_LEN] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

/// RSS configuration: key and redirection table (each entry a queue number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RssConfig {
    pub key: [u8; KEY_LEN],
    pub reta: [u8; RETA_LEN],
}

impl RssConfig {
    /// The default key with the table spread round-robin over `queues` queues.
    pub fn spread(queues: u8) -> Self {
        let q = queues.max(1);
        let mut reta = [0u8; RETA_LEN];
        for (i, e) in reta.iter_mut().enumerate() {
            *e = (i % q as usize) as u8;
        }
        RssConfig {
            key: DEFAULT_KEY,
            reta,
        }
    }

    /// Checks the table against the receive queues the device has: every entry must name one
    /// of them (and so one a 4-bit entry can hold). The error names the first bad entry.
    pub fn check(&self, rx_queues: u16) -> Result<(), String> {
        let limit = rx_queues.min(MAX_QUEUES);
        match self.reta.iter().position(|&q| u16::from(q) >= limit) {
            Some(i) => Err(format!(
                "RSS redirection table entry {i} names queue {}, but the device has {limit} receive queue(s) RSS can reach (rx_queues = {rx_queues}, at most {MAX_QUEUES})",
                self.reta[i]
            )),
            None => Ok(()),
        }
    }

    /// The queue a packet with this hash goes to: the 7 low bits index the table (7.1.2.8.3).
    pub fn queue_for(&self, hash: u32) -> u8 {
        self.reta[(hash as usize) & (RETA_LEN - 1)]
    }
}

/// The Toeplitz hash of `input` under `key` (7.1.2.8.1): for each input bit that is set, XOR in
/// the 32 key bits starting at that bit position.
pub fn toeplitz(key: &[u8; KEY_LEN], input: &[u8]) -> u32 {
    let mut hash = 0u32;
    // `window` holds key bits [i, i+64) as the input bit index i advances.
    let mut window = u64::from_be_bytes(key[0..8].try_into().expect("8 bytes"));
    for (next, &b) in (8..).zip(input) {
        for bit in 0..8 {
            if b & (0x80 >> bit) != 0 {
                hash ^= (window >> 32) as u32;
            }
            window <<= 1;
        }
        // After 8 shifts, refill the low byte from the key (zero past the key's end).
        window |= u64::from(key.get(next).copied().unwrap_or(0));
    }
    hash
}

/// Hash input for IPv4: source address, destination address, then (for TCP/UDP) source and
/// destination port, all in network byte order (7.1.2.8.1).
pub fn ipv4_input(src: [u8; 4], dst: [u8; 4], ports: Option<(u16, u16)>) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    if let Some((s, d)) = ports {
        v.extend_from_slice(&s.to_be_bytes());
        v.extend_from_slice(&d.to_be_bytes());
    }
    v
}

/// A UDP/TCP source port (from 1024 up) that makes the IPv4 flow `src:port -> dst:dport`
/// hash to `queue` under `rss` (`None`: no port does). Tools and tests use it to send
/// traffic that comes back to a given queue (`ixgbe pktgen --attach`).
pub fn source_port_for_queue(
    rss: &RssConfig,
    src: [u8; 4],
    dst: [u8; 4],
    dport: u16,
    queue: u8,
) -> Option<u16> {
    (1024..=u16::MAX).find(|&p| {
        rss.queue_for(toeplitz(&rss.key, &ipv4_input(src, dst, Some((p, dport))))) == queue
    })
}

/// As [`ipv4_input`] for IPv6 addresses.
pub fn ipv6_input(src: [u8; 16], dst: [u8; 16], ports: Option<(u16, u16)>) -> Vec<u8> {
    let mut v = Vec::with_capacity(36);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    if let Some((s, d)) = ports {
        v.extend_from_slice(&s.to_be_bytes());
        v.extend_from_slice(&d.to_be_bytes());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_published_vector() {
        // 66.9.149.187:2794 -> 161.142.100.80:1766 (a well-known vector; the full table is
        // checked in tests/rss.rs against the reference file).
        let i = ipv4_input([66, 9, 149, 187], [161, 142, 100, 80], Some((2794, 1766)));
        assert_eq!(toeplitz(&DEFAULT_KEY, &i), 0x51cc_c178);
        let i = ipv4_input([66, 9, 149, 187], [161, 142, 100, 80], None);
        assert_eq!(toeplitz(&DEFAULT_KEY, &i), 0x323e_8fc2);
    }

    #[test]
    fn spread_covers_all_queues() {
        let c = RssConfig::spread(4);
        assert_eq!(c.queue_for(0), 0);
        assert_eq!(c.queue_for(5), 1);
        assert_eq!(c.queue_for(0x80 + 3), 3);
    }
}
