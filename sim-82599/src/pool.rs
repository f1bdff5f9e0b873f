//! Pools (virtualisation, VMDq): which pools a received frame goes to and which of each pool's
//! queues (82599 datasheet 7.10.3.3-7.10.3.6, 4.6.10), VLAN filtering (7.1.1.2), mirroring
//! (7.10.3.6) and the VLAN tag of a frame.
//!
//! The steps, in the datasheet's order:
//! 1. MAC: a unicast address in RAL/RAH[n] selects the pools of MPSAR[n]; an address that hits
//!    only the unicast hash table (PFUTA) selects the pools with PFVML2FLT.ROPE; a multicast
//!    frame the pools with MPE, or with ROMPE when it hits the MTA; a broadcast frame the pools
//!    with BAM.
//! 2. VLAN (with VLNCTRL.VFE): a tagged frame keeps only the pools of the PFVLVF filter of its
//!    VLAN id (PFVLVFB); an untagged frame only the pools with PFVML2FLT.AUPE.
//! 3. No pool: the default pool (PFVTCTL.DEF_PL) unless PFVTCTL.DIS_DEF_POOL.
//! 4. Only pools with receive enabled (PFVFRE): a frame for pools that are all off is dropped.
//!    Replication off (PFVTCTL.RPL_EN = 0): the lowest pool only.
//! 5. Mirror rules (PFMRCTL): uplink (every received frame), pool (VPME with PFMRVM) and VLAN
//!    (VLME with PFMRVLAN) mirroring add the rule's mirror pool.
//! 6. The queue in the pool: its first, or with RSS (MRQC.MRQE 1010b/1011b) the low
//!    PSRTYPE[pool].RQPL bits of the redirection table entry.

use crate::card::PortHw;
use crate::regs::{self, R};

/// Pool configuration, loaded with the RX configuration when VT is on (PFVTCTL.VT_ENA).
#[derive(Clone)]
pub(crate) struct PoolCfg {
    /// Queues per pool: 2 (64 pools) or 4 (32 pools).
    pub qpp: u32,
    pub pools: u32,
    /// RSS inside the pool (MRQE 1010b, 1011b).
    pub rss: bool,
    pub def_pool: u32,
    pub dis_def: bool,
    pub rpl: bool,
    pub vfre: u64,
    pub vmolr: [u32; 64],
    pub uta: [u32; 128],
    pub rqpl: [u8; 64],
    pub vlvf: [u32; 64],
    pub vlvfb: [u64; 64],
    /// Mirror rules: control, VLAN filter mask, pool mask.
    pub mirror: [(u32, u64, u64); 4],
}

/// VLAN filtering, used with and without pools.
#[derive(Clone)]
pub(crate) struct VlanCfg {
    /// VLNCTRL.VFE.
    pub vfe: bool,
    /// VLNCTRL.VET: the VLAN ether type.
    pub vet: u16,
    pub vfta: [u32; 128],
}

impl VlanCfg {
    pub fn load(p: &PortHw) -> VlanCfg {
        let r = &p.regs;
        let v = r.get(R::VLNCTRL, 0);
        let mut vfta = [0u32; 128];
        for (i, w) in vfta.iter_mut().enumerate() {
            *w = r.get(R::VFTA, i as u32);
        }
        VlanCfg {
            vfe: v & regs::VLNCTRL_VFE != 0,
            vet: v as u16,
            vfta,
        }
    }

    /// The tag control information of a tagged frame (ether type at bytes 12-13 = VET).
    #[inline]
    pub fn tag(&self, f: &[u8]) -> Option<u16> {
        if f.len() >= 18 && u16::from_be_bytes([f[12], f[13]]) == self.vet {
            Some(u16::from_be_bytes([f[14], f[15]]))
        } else {
            None
        }
    }

    /// VFTA check (7.1.1.2): a tagged frame passes only when its VLAN id's bit is set.
    pub fn passes(&self, tag: Option<u16>) -> bool {
        match tag {
            Some(t) if self.vfe => {
                let id = t & 0xFFF;
                self.vfta[usize::from(id >> 5)] & (1 << (id & 31)) != 0
            }
            _ => true,
        }
    }
}

impl PoolCfg {
    /// `None` when PFVTCTL.VT_ENA is clear or MRQC.MRQE is not a virtualisation mode the model
    /// has (1000b, 1010b, 1011b).
    pub fn load(p: &PortHw) -> Option<PoolCfg> {
        let r = &p.regs;
        let vt = r.get(R::VT_CTL, 0);
        if vt & regs::VT_CTL_VT_ENA == 0 {
            return None;
        }
        let (pools, qpp, rss) = match r.get(R::MRQC, 0) & 0xF {
            0b1000 => (64, 2, false),
            0b1010 => (32, 4, true),
            0b1011 => (64, 2, true),
            _ => return None,
        };
        let pair = |reg: R, n: u32| u64::from(r.get(reg, n)) | u64::from(r.get(reg, n + 4)) << 32;
        let mut c = PoolCfg {
            qpp,
            pools,
            rss,
            def_pool: (vt >> 7) & 0x3F,
            dis_def: vt & regs::VT_CTL_DIS_DEF_POOL != 0,
            rpl: vt & regs::VT_CTL_RPL_EN != 0,
            vfre: u64::from(r.get(R::VFRE, 0)) | u64::from(r.get(R::VFRE, 1)) << 32,
            vmolr: [0; 64],
            uta: [0; 128],
            rqpl: [0; 64],
            vlvf: [0; 64],
            vlvfb: [0; 64],
            mirror: [(0, 0, 0); 4],
        };
        for i in 0..64u32 {
            c.vmolr[i as usize] = r.get(R::VMOLR, i);
            c.rqpl[i as usize] = (r.get(R::PSRTYPE, i) >> 29) as u8;
            c.vlvf[i as usize] = r.get(R::VLVF, i);
            c.vlvfb[i as usize] =
                u64::from(r.get(R::VLVFB, 2 * i)) | u64::from(r.get(R::VLVFB, 2 * i + 1)) << 32;
        }
        for (i, u) in c.uta.iter_mut().enumerate() {
            *u = r.get(R::UTA, i as u32);
        }
        for n in 0..4u32 {
            c.mirror[n as usize] = (r.get(R::MRCTL, n), pair(R::VMRVLAN, n), pair(R::VMRVM, n));
        }
        Some(c)
    }

    fn with(&self, bit: u32) -> u64 {
        let mut m = 0u64;
        for (i, v) in self.vmolr.iter().enumerate().take(self.pools as usize) {
            if v & bit != 0 {
                m |= 1 << i;
            }
        }
        m
    }

    /// The VLVF filter of a VLAN id.
    fn vlan_filter(&self, tag: u16) -> Option<usize> {
        let id = u32::from(tag & 0xFFF);
        self.vlvf
            .iter()
            .position(|&v| v & regs::VLVF_VI_EN != 0 && v & 0xFFF == id)
    }

    /// The pools a frame goes to (bit i: pool i), steps 1-5.
    ///
    /// `rar`: the pools of the receive address the destination matched (MPSAR), `mta`: the
    /// multicast table hit, `uta`: the unicast hash table hit.
    pub fn pools(
        &self,
        dst: &[u8],
        rar: Option<u64>,
        mta: bool,
        uta: bool,
        tag: Option<u16>,
        vfe: bool,
    ) -> u64 {
        let bcast = dst == [0xFF; 6];
        let mcast = dst[0] & 1 != 0;
        let mut m = if bcast {
            self.with(regs::VMOLR_BAM)
        } else if mcast {
            rar.unwrap_or(0)
                | self.with(regs::VMOLR_MPE)
                | if mta { self.with(regs::VMOLR_ROMPE) } else { 0 }
        } else {
            match rar {
                Some(p) => p,
                None if uta => self.with(regs::VMOLR_ROPE),
                None => 0,
            }
        };
        let filter = tag.and_then(|t| self.vlan_filter(t));
        match tag {
            Some(_) if vfe => m &= filter.map_or(0, |k| self.vlvfb[k]),
            Some(_) => {}
            None => m &= self.with(regs::VMOLR_AUPE),
        }
        if m == 0 && !self.dis_def {
            m = 1 << self.def_pool;
        }
        // A pool with receive off drops its frames (they do not fall to the default pool).
        m &= self.vfre;
        if !self.rpl && m != 0 {
            m &= m.wrapping_neg();
        }
        let mut mirror = 0u64;
        for &(ctl, vlans, pools) in &self.mirror {
            let to = 1u64 << ((ctl >> 8) & 0x3F);
            if ctl & regs::MRCTL_UPME != 0
                || (ctl & regs::MRCTL_VPME != 0 && m & pools != 0)
                || (ctl & regs::MRCTL_VLME != 0 && filter.is_some_and(|k| vlans & (1 << k) != 0))
            {
                mirror |= to;
            }
        }
        m | mirror
    }

    /// The mirror pools of frames the port transmits (rules with DPME).
    pub fn downlink_mirror(&self) -> u64 {
        self.mirror
            .iter()
            .filter(|(ctl, _, _)| ctl & regs::MRCTL_DPME != 0)
            .fold(0, |m, &(ctl, _, _)| m | 1u64 << ((ctl >> 8) & 0x3F))
    }

    /// Unicast hash table lookup (PFUTA, hashed as the MTA: 7.10.3.3).
    pub fn uta_match(&self, mcstctrl: u32, dst: &[u8]) -> bool {
        let h = hash12(mcstctrl, dst);
        self.uta[usize::from(h >> 5)] & (1 << (h & 31)) != 0
    }

    /// The queue of `pool` for a frame whose redirection table entry is `reta` (0 without RSS).
    pub fn queue(&self, pool: u32, reta: u8) -> u32 {
        let within = if self.rss {
            let bits = u32::from(self.rqpl[pool as usize]).min(self.qpp.trailing_zeros());
            u32::from(reta) & ((1 << bits) - 1)
        } else {
            0
        };
        pool * self.qpp + within
    }
}

/// The 12 bits of the destination address that index the MTA and PFUTA (MCSTCTRL.MO,
/// datasheet 8.2.3.7.7).
pub(crate) fn hash12(mcstctrl: u32, dst: &[u8]) -> u16 {
    let a = u16::from(dst[4]) | (u16::from(dst[5]) << 8);
    (match mcstctrl & 3 {
        0 => a >> 4,
        1 => a >> 3,
        2 => a >> 2,
        _ => a,
    }) & 0xFFF
}

/// The frame with its VLAN tag (bytes 12-15) taken out.
pub(crate) fn strip(f: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&f[..12]);
    out.extend_from_slice(&f[16..]);
}
