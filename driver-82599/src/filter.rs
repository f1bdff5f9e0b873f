//! MAC filters (82599 datasheet 7.1.1.1, 7.10.3.3): the 128 receive addresses (RAL/RAH) with
//! their pools (MPSAR), the multicast table (MTA) and the unicast hash table (PFUTA), for
//! addresses beyond the 128. Added and removed at run time.
//!
//! ```
//! use driver_82599::{Config, Device, filter::PoolSet};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config { promisc: false, rx_ring: 64, tx_ring: 64, pool_size: 128, wait_link: false, ..Config::default() };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! let slot = dev.add_mac([0x02, 0, 0, 0, 0, 0x22], PoolSet::NONE)?;   // RAL/RAH[slot]
//! dev.add_multicast([0x01, 0x00, 0x5E, 0, 0, 1])?;                      // MTA
//! dev.remove_mac([0x02, 0, 0, 0, 0, 0x22])?;
//! assert!(slot >= 1);
//! assert!(sim.violations().is_empty());
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;

/// Receive addresses of the card (RAL/RAH[0..127]); entry 0 is the card's own.
pub const RAR_ENTRIES: usize = 128;

/// A set of pools (bit i: pool i).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PoolSet(pub u64);

impl PoolSet {
    /// No pool (without pools: the address is simply accepted).
    pub const NONE: PoolSet = PoolSet(0);
    /// Pool `p` alone.
    pub fn one(p: u8) -> PoolSet {
        PoolSet(1u64 << (p & 63))
    }
    /// Every pool of `pools` (0..pools).
    pub fn first(pools: usize) -> PoolSet {
        PoolSet(if pools >= 64 {
            u64::MAX
        } else {
            (1u64 << pools) - 1
        })
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The highest pool in the set.
    pub fn max(self) -> Option<u32> {
        (self.0 != 0).then(|| 63 - self.0.leading_zeros())
    }
}

fn split(mac: [u8; 6]) -> (u32, u32) {
    (
        u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]),
        u32::from(u16::from_le_bytes([mac[4], mac[5]])),
    )
}

/// Checks the pools against the pools in use (`None`: pools are off, the set must be empty).
pub(crate) fn check_pools(pools: PoolSet, in_use: Option<usize>) -> Result<()> {
    match (pools.max(), in_use) {
        (None, _) => Ok(()),
        (Some(p), None) => Err(Error::Config(format!(
            "pool {p} given, but pools are off (Config::vmdq)"
        ))),
        (Some(p), Some(n)) if p as usize >= n => Err(Error::Config(format!(
            "pool {p} given, but only pools 0..{n} have queues"
        ))),
        _ => Ok(()),
    }
}

fn read_mac<B: Bus>(regs: &Regs<B>, i: u32) -> Option<[u8; 6]> {
    let h = regs.RAH().at(i).read();
    if !h.is_set(RAH::AV) {
        return None;
    }
    let lo = regs.RAL().at(i).read().bits().to_le_bytes();
    let hi = (h.get(RAH::ADDRH) as u16).to_le_bytes();
    Some([lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]])
}

fn write_pools<B: Bus>(regs: &Regs<B>, i: u32, pools: PoolSet) {
    regs.MPSAR_LO()
        .at(i)
        .write(MPSAR_LO::POOL_ENA.val(pools.0 as u32));
    regs.MPSAR_HI()
        .at(i)
        .write(MPSAR_HI::POOL_ENA.val((pools.0 >> 32) as u32));
}

fn read_pools<B: Bus>(regs: &Regs<B>, i: u32) -> PoolSet {
    PoolSet(
        u64::from(regs.MPSAR_LO().at(i).read().bits())
            | u64::from(regs.MPSAR_HI().at(i).read().bits()) << 32,
    )
}

/// Adds `mac` (or more pools to it): the pools first, then the address, then its valid bit,
/// so that no frame sees the address without its pools. Returns its entry.
pub(crate) fn add_mac<B: Bus>(regs: &Regs<B>, mac: [u8; 6], pools: PoolSet) -> Result<usize> {
    let mut free = None;
    for i in 0..RAR_ENTRIES as u32 {
        match read_mac(regs, i) {
            Some(m) if m == mac => {
                let have = read_pools(regs, i);
                write_pools(regs, i, PoolSet(have.0 | pools.0));
                return Ok(i as usize);
            }
            None if free.is_none() && i != 0 => free = Some(i),
            _ => {}
        }
    }
    let i = free.ok_or(Error::FilterFull {
        table: "receive address (RAL/RAH)",
        capacity: RAR_ENTRIES - 1,
    })?;
    let (lo, hi) = split(mac);
    write_pools(regs, i, pools);
    regs.RAL().at(i).write(RAL::ADDRL.val(lo));
    regs.RAH().at(i).write(RAH::ADDRH.val(hi) | RAH::AV);
    Ok(i as usize)
}

/// Removes `pools` from `mac` (all of them: the address itself): the valid bit first.
pub(crate) fn remove_mac<B: Bus>(
    regs: &Regs<B>,
    mac: [u8; 6],
    pools: Option<PoolSet>,
) -> Result<()> {
    for i in 1..RAR_ENTRIES as u32 {
        if read_mac(regs, i) != Some(mac) {
            continue;
        }
        let left = pools.map_or(0, |p| read_pools(regs, i).0 & !p.0);
        if left != 0 {
            write_pools(regs, i, PoolSet(left));
        } else {
            regs.RAH().at(i).write(0u32);
            regs.RAL().at(i).write(0u32);
            write_pools(regs, i, PoolSet::NONE);
        }
        return Ok(());
    }
    Err(Error::NoSuchFilter(format!(
        "address {} is not in the receive address table",
        fmt_mac(mac)
    )))
}

pub(crate) fn fmt_mac(m: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// The 12-bit hash of the MTA and PFUTA with MCSTCTRL.MO = 00b: address bits 47:36
/// (datasheet 7.1.1.1.2).
pub fn hash12(mac: [u8; 6]) -> u16 {
    ((u16::from(mac[4]) >> 4) | (u16::from(mac[5]) << 4)) & 0xFFF
}

/// Hash tables (MTA, PFUTA) kept as the list of addresses put in them, so that removing one
/// clears its bit only when no other address shares it.
#[derive(Clone, Debug, Default)]
pub(crate) struct HashTable {
    pub addrs: Vec<[u8; 6]>,
}

impl HashTable {
    /// Adds `mac`; returns (word, bit mask) to set.
    pub fn add(&mut self, mac: [u8; 6]) -> (u32, u32) {
        if !self.addrs.contains(&mac) {
            self.addrs.push(mac);
        }
        let h = hash12(mac);
        (u32::from(h >> 5), 1 << (h & 31))
    }
    /// Removes `mac`; returns (word, bit mask, still set by another address).
    pub fn remove(&mut self, mac: [u8; 6]) -> Option<(u32, u32, bool)> {
        let at = self.addrs.iter().position(|&m| m == mac)?;
        self.addrs.swap_remove(at);
        let h = hash12(mac);
        let shared = self.addrs.iter().any(|&m| hash12(m) == h);
        Some((u32::from(h >> 5), 1 << (h & 31), shared))
    }
}

pub(crate) fn add_multicast<B: Bus>(regs: &Regs<B>, t: &mut HashTable, mac: [u8; 6]) -> Result<()> {
    if mac[0] & 1 == 0 {
        return Err(Error::Config(format!(
            "{} is not a multicast address (bit 0 of the first byte clear)",
            fmt_mac(mac)
        )));
    }
    let (w, b) = t.add(mac);
    regs.MTA()
        .at(w)
        .modify(|v| v.with(MTA::BIT_VECTOR.val(v.bits() | b)));
    regs.MCSTCTRL()
        .modify(|v| v.with(MCSTCTRL::MO::BITS_47_36).set(MCSTCTRL::MFE));
    Ok(())
}

pub(crate) fn remove_multicast<B: Bus>(
    regs: &Regs<B>,
    t: &mut HashTable,
    mac: [u8; 6],
) -> Result<()> {
    let (w, b, shared) = t.remove(mac).ok_or_else(|| {
        Error::NoSuchFilter(format!("{} is not in the multicast table", fmt_mac(mac)))
    })?;
    if !shared {
        regs.MTA()
            .at(w)
            .modify(|v| v.with(MTA::BIT_VECTOR.val(v.bits() & !b)));
    }
    Ok(())
}

pub(crate) fn add_unicast_hash<B: Bus>(
    regs: &Regs<B>,
    t: &mut HashTable,
    mac: [u8; 6],
) -> Result<()> {
    if mac[0] & 1 != 0 {
        return Err(Error::Config(format!(
            "{} is a multicast address: use the multicast table",
            fmt_mac(mac)
        )));
    }
    let (w, b) = t.add(mac);
    regs.UTA()
        .at(w)
        .modify(|v| v.with(UTA::BIT_VECTOR.val(v.bits() | b)));
    Ok(())
}

pub(crate) fn remove_unicast_hash<B: Bus>(
    regs: &Regs<B>,
    t: &mut HashTable,
    mac: [u8; 6],
) -> Result<()> {
    let (w, b, shared) = t.remove(mac).ok_or_else(|| {
        Error::NoSuchFilter(format!("{} is not in the unicast hash table", fmt_mac(mac)))
    })?;
    if !shared {
        regs.UTA()
            .at(w)
            .modify(|v| v.with(UTA::BIT_VECTOR.val(v.bits() & !b)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_address_bits_47_36() {
        // 01:00:5E:00:00:01 -> bytes 4, 5 = 0x00, 0x01 -> bits 47:36 = 0x010.
        assert_eq!(hash12([0x01, 0, 0x5E, 0, 0, 1]), 0x010);
        assert_eq!(hash12([0, 0, 0, 0, 0xF0, 0xFF]), 0xFFF);
    }

    #[test]
    fn a_shared_hash_bit_stays_until_its_last_address_goes() {
        let mut t = HashTable::default();
        let a = [1, 0, 0, 0, 0x10, 0x20];
        let b = [1, 9, 9, 9, 0x1F, 0x20]; // same bits 47:36
        assert_eq!(hash12(a), hash12(b));
        t.add(a);
        t.add(b);
        assert!(t.remove(a).unwrap().2);
        assert!(!t.remove(b).unwrap().2);
        assert!(t.remove(b).is_none());
    }
}
