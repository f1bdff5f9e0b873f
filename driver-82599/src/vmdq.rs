//! VMDq pools (82599 datasheet 4.6.10, 7.10): the receive and transmit queues grouped into 64
//! pools of 2 queues or 32 pools of 4; the MAC and VLAN filters ([`crate::filter`],
//! [`crate::vlan`]) choose the pool of a received frame, RSS (when asked) the queue inside it.
//!
//! ```
//! use driver_82599::{Config, Device, vmdq::{PoolLayout, VmdqConfig}, filter::PoolSet};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config {
//!     rx_queues: 4, tx_queues: 4, rx_ring: 64, tx_ring: 64, pool_size: 128, promisc: false,
//!     vmdq: Some(VmdqConfig { layout: PoolLayout::Pools64x2, ..VmdqConfig::default() }),
//!     wait_link: false,
//!     ..Config::default()
//! };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! // Frames to this address go to pool 1: queues 2 and 3.
//! dev.add_mac([0x02, 0, 0, 0, 0, 0x11], PoolSet::one(1))?;
//! assert_eq!(dev.pool_queues(1)?, 2..4);
//! assert!(sim.violations().is_empty());
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::config::Config;
use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;
use std::ops::Range;

/// How the 128 queues are grouped (MRQC.MRQE, MTQC.NUM_TC_OR_Q; datasheet 7.10.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PoolLayout {
    /// 64 pools of 2 queues each.
    #[default]
    Pools64x2,
    /// 32 pools of 4 queues each.
    Pools32x4,
}

impl PoolLayout {
    /// Queues per pool.
    pub fn queues_per_pool(self) -> usize {
        match self {
            PoolLayout::Pools64x2 => 2,
            PoolLayout::Pools32x4 => 4,
        }
    }
    /// Pools of the layout.
    pub fn pools(self) -> usize {
        128 / self.queues_per_pool()
    }
}

/// Pools: layout, default pool, replication, RSS inside each pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmdqConfig {
    pub layout: PoolLayout,
    /// Spread each pool's frames over its queues by RSS (MRQC.MRQE 1010b/1011b with
    /// PSRTYPE.RQPL); otherwise every frame goes to the pool's first queue.
    pub rss: bool,
    /// The pool of frames that match no pool filter (PFVTCTL.DEF_PL); `None`: such frames
    /// are dropped (PFVTCTL.DIS_DEF_POOL). The card's own address (receive address 0) selects it.
    pub default_pool: Option<u8>,
    /// A frame that selects several pools (broadcast, multicast, an address given to several
    /// pools) goes to each (PFVTCTL.RPL_EN); otherwise only to the lowest.
    pub replicate: bool,
}

impl Default for VmdqConfig {
    fn default() -> Self {
        VmdqConfig {
            layout: PoolLayout::Pools64x2,
            rss: false,
            default_pool: Some(0),
            replicate: true,
        }
    }
}

impl VmdqConfig {
    /// Pools that have queues: the primary's own and the shared ones
    /// ([`Config::shared_queues`]), `(rx_queues + shared_queues) / queues_per_pool`.
    pub fn pools_in_use(&self, cfg: &Config) -> usize {
        usize::from(cfg.all_rx_queues()) / self.layout.queues_per_pool()
    }

    /// Checks the pools against the queue counts; called by [`Config::validate`].
    pub fn validate(&self, cfg: &Config) -> Result<()> {
        let qpp = self.layout.queues_per_pool();
        let bad = |m: String| Err(Error::Config(m));
        for (what, n) in [("rx_queues", cfg.rx_queues), ("tx_queues", cfg.tx_queues)] {
            if usize::from(n) % qpp != 0 {
                return bad(format!(
                    "{what} = {n} with {:?}: must be a multiple of {qpp} (whole pools)",
                    self.layout
                ));
            }
        }
        if cfg.rx_queues != cfg.tx_queues {
            return bad(format!(
                "rx_queues = {} and tx_queues = {} with pools: each pool has as many of each",
                cfg.rx_queues, cfg.tx_queues
            ));
        }
        let pools = self.pools_in_use(cfg);
        if let Some(d) = self.default_pool {
            if usize::from(d) >= pools {
                return bad(format!(
                    "default_pool = {d}, but only pools 0..{pools} have queues"
                ));
            }
        }
        if let Some(rss) = &cfg.rss {
            if !self.rss {
                return bad("rss set with pools but VmdqConfig::rss = false".into());
            }
            if let Some(q) = rss.reta.iter().find(|&&q| usize::from(q) >= qpp) {
                return bad(format!(
                    "RSS redirection table names queue {q}: with pools it picks one of the {qpp} queues of a pool"
                ));
            }
        }
        Ok(())
    }

    /// The receive (and transmit) queues of `pool`.
    pub fn queues(&self, pool: usize) -> Range<usize> {
        let qpp = self.layout.queues_per_pool();
        pool * qpp..(pool + 1) * qpp
    }
}

fn pool_bits(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// 4.6.10.1: receive side of the pools, with RXCTRL.RXEN clear (after [`crate::init::init_rx`]).
pub fn init_rx<B: Bus>(regs: &Regs<B>, cfg: &Config, v: &VmdqConfig) -> Result<()> {
    let mrqe = match (v.layout, v.rss) {
        (PoolLayout::Pools64x2, false) => MRQC::MRQE::VMDQ,
        (PoolLayout::Pools64x2, true) => MRQC::MRQE::VMDQ64_RSS,
        // 32 pools without RSS: the 32-pool RSS mode with one queue used per pool (RQPL 0).
        (PoolLayout::Pools32x4, _) => MRQC::MRQE::VMDQ32_RSS,
    };
    regs.MRQC().modify(|m| m.with(mrqe));
    let pools = v.pools_in_use(cfg);
    let rqpl = match (v.rss, v.layout) {
        (false, _) => 0,
        (true, PoolLayout::Pools64x2) => 1,
        (true, PoolLayout::Pools32x4) => 2,
    };
    for p in 0..pools as u32 {
        regs.PSRTYPE().at(p).write(PSRTYPE::RQPL.val(rqpl));
        // Untagged and broadcast frames accepted (4.6.10.1.4).
        regs.VMOLR().at(p).write(VMOLR::AUPE | VMOLR::BAM);
    }
    let used = pool_bits(pools);
    regs.VFRE().at(0).write(VFRE::VFRE.val(used as u32));
    regs.VFRE().at(1).write(VFRE::VFRE.val((used >> 32) as u32));
    // The card's own address to the default pool, before the pools are switched on.
    let own = v.default_pool.map_or(0, |d| 1u64 << d);
    regs.MPSAR_LO()
        .at(0)
        .write(MPSAR_LO::POOL_ENA.val(own as u32));
    regs.MPSAR_HI()
        .at(0)
        .write(MPSAR_HI::POOL_ENA.val((own >> 32) as u32));
    let mut vt = VT_CTL::VT_ENA | VT_CTL::DEF_PL.val(u32::from(v.default_pool.unwrap_or(0)));
    if v.default_pool.is_none() {
        vt = vt | VT_CTL::DIS_DEF_POOL;
    }
    if v.replicate {
        vt = vt | VT_CTL::RPL_EN;
    }
    regs.VT_CTL().write(vt);
    Ok(())
}

/// 4.6.11.3.3: transmit side of the pools: MTQC with the arbiter off (7.2.1.2.1), then the
/// pools' transmit enable (PFVFTE).
pub fn init_tx<B: Bus>(regs: &Regs<B>, cfg: &Config, v: &VmdqConfig) {
    regs.RTTDCS().set(RTTDCS::ARBDIS);
    let n = match v.layout {
        PoolLayout::Pools64x2 => 0b01,
        PoolLayout::Pools32x4 => 0b10,
    };
    regs.MTQC().write(MTQC::VT_ENA | MTQC::NUM_TC_OR_Q.val(n));
    regs.RTTDCS().clr(RTTDCS::ARBDIS);
    let used = pool_bits(v.pools_in_use(cfg));
    regs.VFTE().at(0).write(VFTE::VFTE.val(used as u32));
    regs.VFTE().at(1).write(VFTE::VFTE.val((used >> 32) as u32));
}

/// What a pool accepts besides its MAC and VLAN filters (PFVML2FLT, 7.10.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolAccept {
    /// Untagged frames (AUPE; set at init).
    pub untagged: bool,
    /// Broadcast frames (BAM; set at init).
    pub broadcast: bool,
    /// Every multicast frame (MPE).
    pub all_multicast: bool,
    /// Multicast frames that hit the multicast table (ROMPE; [`crate::Device::add_multicast`]).
    pub multicast_table: bool,
    /// Unicast frames that hit the unicast hash table (ROPE; [`crate::Device::add_unicast_hash`]).
    pub unicast_hash: bool,
}

impl Default for PoolAccept {
    fn default() -> Self {
        PoolAccept {
            untagged: true,
            broadcast: true,
            all_multicast: false,
            multicast_table: false,
            unicast_hash: false,
        }
    }
}

pub(crate) fn set_accept<B: Bus>(regs: &Regs<B>, pool: u32, a: PoolAccept) {
    let all = VMOLR::AUPE | VMOLR::BAM | VMOLR::MPE | VMOLR::ROMPE | VMOLR::ROPE;
    regs.VMOLR().at(pool).modify(|v| {
        let mut v = v.clr(all);
        for (on, b) in [
            (a.untagged, VMOLR::AUPE),
            (a.broadcast, VMOLR::BAM),
            (a.all_multicast, VMOLR::MPE),
            (a.multicast_table, VMOLR::ROMPE),
            (a.unicast_hash, VMOLR::ROPE),
        ] {
            if on {
                v = v.set(b);
            }
        }
        v
    });
}
