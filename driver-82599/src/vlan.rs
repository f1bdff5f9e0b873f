//! VLAN filters and tags (82599 datasheet 7.1.1.2, 7.10.3.4, 7.4.5): the VLAN filter table
//! (VFTA, with VLNCTRL.VFE), the 64 pool VLAN filters (PFVLVF with their pools in PFVLVFB),
//! tag stripping on receive per queue (RXDCTL.VME: the tag moves to the descriptor) and
//! insertion on transmit per pool (PFVMVIR).
//!
//! ```
//! use driver_82599::{Config, Device, filter::PoolSet};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config { rx_ring: 64, tx_ring: 64, pool_size: 128, wait_link: false, ..Config::default() };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! dev.add_vlan(100, PoolSet::NONE)?;   // VFTA bit of VLAN 100
//! dev.set_vlan_filter(true)?;          // tagged frames of other VLANs are dropped
//! dev.set_vlan_strip(0, true)?;        // queue 0 gets frames without their tag
//! assert!(sim.violations().is_empty());
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::filter::PoolSet;
use crate::regs::*;
use regdsl_rt::Bus;

/// Pool VLAN filters (PFVLVF).
pub const VLVF_ENTRIES: usize = 64;

/// What a pool's transmit queues do with VLAN tags (PFVMVIR.VLANA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VlanInsert {
    /// Insert the tag a descriptor asks for (none from this driver's send path).
    Descriptor,
    /// Insert this tag control word (priority 15:13, CFI 12, VLAN id 11:0) in every frame.
    Always(u16),
    /// Never insert a tag.
    Never,
}

pub(crate) fn check_id(vlan: u16) -> Result<()> {
    if vlan > 4095 {
        return Err(Error::Config(format!("VLAN id {vlan}: must be 0..=4095")));
    }
    Ok(())
}

/// VFTA bit of `vlan`; with pools, the PFVLVF entry of the VLAN gets `pools` (its pools
/// first, then the entry made valid).
pub(crate) fn add<B: Bus>(
    regs: &Regs<B>,
    vlan: u16,
    pools: PoolSet,
    vt: bool,
) -> Result<Option<usize>> {
    check_id(vlan)?;
    let entry = if vt {
        let mut free = None;
        let mut found = None;
        for i in 0..VLVF_ENTRIES as u32 {
            let v = regs.VLVF().at(i).read();
            if v.is_set(VLVF::VI_EN) {
                if v.get(VLVF::VLAN_ID) == u32::from(vlan) {
                    found = Some(i);
                    break;
                }
            } else if free.is_none() {
                free = Some(i);
            }
        }
        let i = found.or(free).ok_or(Error::FilterFull {
            table: "pool VLAN filter (PFVLVF)",
            capacity: VLVF_ENTRIES,
        })?;
        for (half, bits) in [(0, pools.0 & 0xFFFF_FFFF), (1, pools.0 >> 32)] {
            regs.VLVFB()
                .at(2 * i + half)
                .modify(|v| v.with(VLVFB::POOL_ENA.val(v.bits() | bits as u32)));
        }
        regs.VLVF()
            .at(i)
            .write(VLVF::VLAN_ID.val(u32::from(vlan)) | VLVF::VI_EN);
        Some(i as usize)
    } else {
        None
    };
    let (w, b) = (u32::from(vlan >> 5), 1u32 << (vlan & 31));
    regs.VFTA()
        .at(w)
        .modify(|v| v.with(VFTA::VLAN_FLT.val(v.bits() | b)));
    Ok(entry)
}

/// Takes `pools` off `vlan` (`None`: the VLAN altogether); the VFTA bit goes with its last pool.
pub(crate) fn remove<B: Bus>(
    regs: &Regs<B>,
    vlan: u16,
    pools: Option<PoolSet>,
    vt: bool,
) -> Result<()> {
    check_id(vlan)?;
    let (w, b) = (u32::from(vlan >> 5), 1u32 << (vlan & 31));
    if regs.VFTA().at(w).read().bits() & b == 0 {
        return Err(Error::NoSuchFilter(format!(
            "VLAN {vlan} is not in the VLAN filter table"
        )));
    }
    let mut last = true;
    if vt {
        for i in 0..VLVF_ENTRIES as u32 {
            let v = regs.VLVF().at(i).read();
            if !v.is_set(VLVF::VI_EN) || v.get(VLVF::VLAN_ID) != u32::from(vlan) {
                continue;
            }
            let have = u64::from(regs.VLVFB().at(2 * i).read().bits())
                | u64::from(regs.VLVFB().at(2 * i + 1).read().bits()) << 32;
            let left = pools.map_or(0, |p| have & !p.0);
            if left == 0 {
                // The entry off first, then its pools.
                regs.VLVF().at(i).write(0u32);
            } else {
                last = false;
            }
            regs.VLVFB()
                .at(2 * i)
                .write(VLVFB::POOL_ENA.val(left as u32));
            regs.VLVFB()
                .at(2 * i + 1)
                .write(VLVFB::POOL_ENA.val((left >> 32) as u32));
        }
    }
    if last {
        regs.VFTA()
            .at(w)
            .modify(|v| v.with(VFTA::VLAN_FLT.val(v.bits() & !b)));
    }
    Ok(())
}

/// The PFVLVF entry of a VLAN, if it has one.
pub(crate) fn entry<B: Bus>(regs: &Regs<B>, vlan: u16) -> Option<u32> {
    (0..VLVF_ENTRIES as u32).find(|&i| {
        let v = regs.VLVF().at(i).read();
        v.is_set(VLVF::VI_EN) && v.get(VLVF::VLAN_ID) == u32::from(vlan)
    })
}

pub(crate) fn set_insert<B: Bus>(regs: &Regs<B>, pool: u32, how: VlanInsert) {
    let v = match how {
        VlanInsert::Descriptor => VMVIR::VLANA::DESCRIPTOR | VMVIR::PORT_VLAN_ID.val(0),
        VlanInsert::Always(tci) => VMVIR::VLANA::ALWAYS | VMVIR::PORT_VLAN_ID.val(u32::from(tci)),
        VlanInsert::Never => VMVIR::VLANA::NEVER | VMVIR::PORT_VLAN_ID.val(0),
    };
    regs.VMVIR().at(pool).write(v);
}
