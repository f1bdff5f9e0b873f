//! Mirroring (82599 datasheet 7.10.3.6): up to 4 rules, each copying to one pool the frames
//! received by other pools (PFMRVM), of some VLANs (PFMRVLAN), every frame the port receives
//! (uplink) or transmits (downlink). Needs pools ([`crate::vmdq`]).
//!
//! ```
//! use driver_82599::{Config, Device, filter::PoolSet, mirror::MirrorRule, vmdq::VmdqConfig};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config {
//!     rx_queues: 4, tx_queues: 4, rx_ring: 64, tx_ring: 64, pool_size: 128, promisc: false,
//!     vmdq: Some(VmdqConfig::default()), wait_link: false, ..Config::default()
//! };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! // Pool 1 sees a copy of everything pool 0 receives.
//! let rule = dev.add_mirror(&MirrorRule { to_pool: 1, pools: PoolSet::one(0), ..MirrorRule::default() })?;
//! dev.remove_mirror(rule)?;
//! assert!(sim.violations().is_empty());
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::filter::PoolSet;
use crate::regs::*;
use regdsl_rt::Bus;

/// Mirror rules of the card.
pub const MIRROR_RULES: usize = 4;

/// One mirror rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MirrorRule {
    /// The pool that gets the copies.
    pub to_pool: u8,
    /// Frames received by these pools are copied (VPME).
    pub pools: PoolSet,
    /// Frames of these VLANs (each must have a pool VLAN filter, [`crate::Device::add_vlan`])
    /// are copied (VLME).
    pub vlans: Vec<u16>,
    /// Every frame the port receives is copied (UPME).
    pub uplink: bool,
    /// Every frame the port transmits is copied (DPME).
    pub downlink: bool,
}

pub(crate) fn add<B: Bus>(regs: &Regs<B>, r: &MirrorRule, pools_in_use: usize) -> Result<usize> {
    if usize::from(r.to_pool) >= pools_in_use {
        return Err(Error::Config(format!(
            "mirror pool {}: only pools 0..{pools_in_use} have queues",
            r.to_pool
        )));
    }
    crate::filter::check_pools(r.pools, Some(pools_in_use))?;
    let mut vlan_mask = 0u64;
    for &v in &r.vlans {
        crate::vlan::check_id(v)?;
        let e = crate::vlan::entry(regs, v).ok_or_else(|| {
            Error::Config(format!(
                "mirrored VLAN {v} has no pool VLAN filter (add_vlan first)"
            ))
        })?;
        vlan_mask |= 1 << e;
    }
    if r.pools.is_empty() && vlan_mask == 0 && !r.uplink && !r.downlink {
        return Err(Error::Config("mirror rule mirrors nothing".into()));
    }
    let slot = (0..MIRROR_RULES as u32)
        .find(|&i| regs.MRCTL().at(i).read().bits() & 0xF == 0)
        .ok_or(Error::FilterFull {
            table: "mirror rule (PFMRCTL)",
            capacity: MIRROR_RULES,
        })?;
    // What the rule selects first, then the rule on.
    regs.VMRVM()
        .at(slot)
        .write(VMRVM::POOL.val(r.pools.0 as u32));
    regs.VMRVM()
        .at(slot + 4)
        .write(VMRVM::POOL.val((r.pools.0 >> 32) as u32));
    regs.VMRVLAN()
        .at(slot)
        .write(VMRVLAN::VLAN.val(vlan_mask as u32));
    regs.VMRVLAN()
        .at(slot + 4)
        .write(VMRVLAN::VLAN.val((vlan_mask >> 32) as u32));
    let mut v = MRCTL::MP.val(u32::from(r.to_pool));
    if !r.pools.is_empty() {
        v = v | MRCTL::VPME;
    }
    if vlan_mask != 0 {
        v = v | MRCTL::VLME;
    }
    if r.uplink {
        v = v | MRCTL::UPME;
    }
    if r.downlink {
        v = v | MRCTL::DPME;
    }
    regs.MRCTL().at(slot).write(v);
    Ok(slot as usize)
}

pub(crate) fn remove<B: Bus>(regs: &Regs<B>, rule: usize) -> Result<()> {
    if rule >= MIRROR_RULES || regs.MRCTL().at(rule as u32).read().bits() & 0xF == 0 {
        return Err(Error::NoSuchFilter(format!(
            "mirror rule {rule} is not in use"
        )));
    }
    let i = rule as u32;
    regs.MRCTL().at(i).write(0u32);
    for k in [i, i + 4] {
        regs.VMRVM().at(k).write(0u32);
        regs.VMRVLAN().at(k).write(0u32);
    }
    Ok(())
}
