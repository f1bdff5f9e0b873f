//! The device's steering API: MAC and VLAN filters, pools, mirroring, rate limits, queue
//! statistics mapping (the register work is in `filter`, `vlan`, `vmdq`, `mirror`,
//! `ratelimit`).

use crate::error::{Error, Result};
use crate::filter::{self, PoolSet};
use crate::mirror::{self, MirrorRule};
use crate::regs::*;
use crate::stats::QueueStatsMap;
use crate::vlan::{self, VlanInsert};
use crate::vmdq::{self, PoolAccept};
use crate::{Device, HW_STAT_QUEUES};
use regdsl_rt::Bus;
use std::ops::Range;

impl<B: Bus + Clone> Device<B> {
    /// Pools that have queues, when pools are on.
    fn pools_in_use(&self) -> Option<usize> {
        self.cfg.vmdq.as_ref().map(|v| v.pools_in_use(&self.cfg))
    }

    fn need_pools(&self, what: &str) -> Result<usize> {
        self.pools_in_use()
            .ok_or_else(|| Error::Config(format!("{what} needs pools (Config::vmdq)")))
    }

    fn check_pool(&self, pool: u8) -> Result<usize> {
        let n = self.need_pools("a pool")?;
        if usize::from(pool) >= n {
            return Err(Error::Config(format!(
                "pool {pool}: only pools 0..{n} have queues"
            )));
        }
        Ok(n)
    }

    /// The queues (receive and transmit) of `pool`.
    pub fn pool_queues(&self, pool: u8) -> Result<Range<usize>> {
        self.check_pool(pool)?;
        let v = self.cfg.vmdq.as_ref().expect("checked");
        Ok(v.queues(usize::from(pool)))
    }

    /// Accepts frames to `mac` (RAL/RAH), into `pools` when pools are on (MPSAR; empty
    /// without pools). Adding an address already there adds the pools. Returns its entry.
    pub fn add_mac(&mut self, mac: [u8; 6], pools: PoolSet) -> Result<usize> {
        filter::check_pools(pools, self.pools_in_use())?;
        if self.pools_in_use().is_some() && pools.is_empty() {
            return Err(Error::Config(format!(
                "address {} needs at least one pool",
                filter::fmt_mac(mac)
            )));
        }
        filter::add_mac(&self.regs, mac, pools)
    }

    /// Stops accepting frames to `mac` (entries 1..127; entry 0 is the card's address,
    /// [`Device::set_mac_addr`]).
    pub fn remove_mac(&mut self, mac: [u8; 6]) -> Result<()> {
        filter::remove_mac(&self.regs, mac, None)
    }

    /// Takes `pools` off `mac`; the address goes with its last pool.
    pub fn remove_mac_pools(&mut self, mac: [u8; 6], pools: PoolSet) -> Result<()> {
        filter::remove_mac(&self.regs, mac, Some(pools))
    }

    /// Accepts multicast frames to `mac` through the multicast table (MTA, 4096 hash bits:
    /// other addresses with the same hash pass too). With pools, pools with
    /// [`PoolAccept::multicast_table`] get them.
    pub fn add_multicast(&mut self, mac: [u8; 6]) -> Result<()> {
        filter::add_multicast(&self.regs, &mut self.mta, mac)
    }

    pub fn remove_multicast(&mut self, mac: [u8; 6]) -> Result<()> {
        filter::remove_multicast(&self.regs, &mut self.mta, mac)
    }

    /// Unicast addresses beyond the 128 entries: the unicast hash table (PFUTA), for pools
    /// with [`PoolAccept::unicast_hash`].
    pub fn add_unicast_hash(&mut self, mac: [u8; 6]) -> Result<()> {
        self.need_pools("the unicast hash table")?;
        filter::add_unicast_hash(&self.regs, &mut self.uta, mac)
    }

    pub fn remove_unicast_hash(&mut self, mac: [u8; 6]) -> Result<()> {
        filter::remove_unicast_hash(&self.regs, &mut self.uta, mac)
    }

    /// What `pool` accepts beyond its filters (PFVML2FLT).
    pub fn set_pool_accept(&mut self, pool: u8, a: PoolAccept) -> Result<()> {
        self.check_pool(pool)?;
        vmdq::set_accept(&self.regs, u32::from(pool), a);
        Ok(())
    }

    /// Receive on or off for `pool` (PFVFRE): frames for a pool that is off are dropped.
    pub fn set_pool_rx(&mut self, pool: u8, on: bool) -> Result<()> {
        self.check_pool(pool)?;
        let (w, b) = (u32::from(pool / 32), 1u64 << (pool % 32));
        self.regs.VFRE().at(w).modify(|v| {
            let bits = u64::from(v.bits());
            v.with(VFRE::VFRE.val((if on { bits | b } else { bits & !b }) as u32))
        });
        Ok(())
    }

    /// Accepts VLAN `vlan` (VFTA); with pools, into `pools` (PFVLVF/PFVLVFB, 64 VLANs).
    /// Filtering by VLAN is on once [`Device::set_vlan_filter`] turns it on.
    pub fn add_vlan(&mut self, vlan: u16, pools: PoolSet) -> Result<()> {
        filter::check_pools(pools, self.pools_in_use())?;
        vlan::add(&self.regs, vlan, pools, self.cfg.vmdq.is_some()).map(|_| ())
    }

    /// Stops accepting VLAN `vlan`.
    pub fn remove_vlan(&mut self, vlan: u16) -> Result<()> {
        vlan::remove(&self.regs, vlan, None, self.cfg.vmdq.is_some())
    }

    /// Takes `pools` off VLAN `vlan`; the VLAN goes with its last pool.
    pub fn remove_vlan_pools(&mut self, vlan: u16, pools: PoolSet) -> Result<()> {
        vlan::remove(&self.regs, vlan, Some(pools), self.cfg.vmdq.is_some())
    }

    /// VLAN filtering (VLNCTRL.VFE) on or off: tagged frames of VLANs not added are dropped.
    /// Receive pauses for the change, as for the other receive filters.
    pub fn set_vlan_filter(&mut self, on: bool) -> Result<()> {
        let ((), rx_on) = self.with_rx_off(|regs| {
            if on {
                regs.VLNCTRL().set(VLNCTRL::VFE);
            } else {
                regs.VLNCTRL().clr(VLNCTRL::VFE);
            }
        });
        rx_on
    }

    /// Strips the VLAN tag of frames received on queue `q` (RXDCTL.VME): the tag is in the
    /// receive descriptor's VLAN field, with status bit VP.
    pub fn set_vlan_strip(&mut self, q: usize, on: bool) -> Result<()> {
        if q >= usize::from(self.cfg.rx_queues) {
            return Err(Error::Queue(nic_queue::QueueError::NoQueue {
                dir: "RX",
                queue: q,
                count: usize::from(self.cfg.rx_queues),
            }));
        }
        let r = self.regs.RXDCTL();
        let r = r.at(q as u32);
        if on {
            r.set(RXDCTL::VME);
        } else {
            r.clr(RXDCTL::VME);
        }
        Ok(())
    }

    /// What `pool`'s transmit queues do with VLAN tags (PFVMVIR).
    pub fn set_pool_vlan_insert(&mut self, pool: u8, how: VlanInsert) -> Result<()> {
        self.check_pool(pool)?;
        vlan::set_insert(&self.regs, u32::from(pool), how);
        Ok(())
    }

    /// Adds a mirror rule (of 4); returns its number.
    pub fn add_mirror(&mut self, rule: &MirrorRule) -> Result<usize> {
        let n = self.need_pools("mirroring")?;
        mirror::add(&self.regs, rule, n)
    }

    pub fn remove_mirror(&mut self, rule: usize) -> Result<()> {
        mirror::remove(&self.regs, rule)
    }

    /// Steers `flow` to receive queue `queue` (`None`: to the drop queue) with a Flow
    /// Director filter (perfect or signature, as configured); adding a flow again changes
    /// its queue. The queue may be one set aside for a secondary ([`crate::Config::shared_queues`]).
    pub fn add_fdir(&mut self, flow: crate::fdir::Flow, queue: Option<u16>) -> Result<()> {
        self.fdir
            .add(&self.regs, flow, queue, self.cfg.all_rx_queues())
    }

    /// Removes the filter of `flow`.
    pub fn remove_fdir(&mut self, flow: crate::fdir::Flow) -> Result<()> {
        self.fdir.remove(&self.regs, flow)
    }

    /// Flow Director statistics, read now (with every other counter: [`Device::stats`],
    /// whose [`crate::Stats::fdir`] they are); `None` without Flow Director.
    pub fn fdir_stats(&mut self) -> Option<crate::fdir::FdirStats> {
        self.stats().fdir
    }

    /// Limits transmit queue `q` to `mbps` Mbit/s on the wire (`None`: no limit).
    pub fn set_tx_rate(&mut self, q: usize, mbps: Option<u32>) -> Result<()> {
        if q >= usize::from(self.cfg.tx_queues) {
            return Err(Error::Queue(nic_queue::QueueError::NoQueue {
                dir: "TX",
                queue: q,
                count: usize::from(self.cfg.tx_queues),
            }));
        }
        crate::ratelimit::set(&self.regs, q as u32, mbps)
    }

    /// Maps each queue to one of the 16 hardware counter sets. The counts so far stay with
    /// the sets they were counted in ([`crate::Stats::counter_sets`]).
    pub fn set_queue_stats_map(&mut self, map: &QueueStatsMap) -> Result<()> {
        for (what, m, n) in [
            ("receive", &map.rx, self.cfg.rx_queues),
            ("transmit", &map.tx, self.cfg.tx_queues),
        ] {
            if m.len() > usize::from(n) {
                return Err(Error::Config(format!(
                    "{} {what} queues mapped, the device has {n}",
                    m.len()
                )));
            }
            if let Some((q, s)) = m
                .iter()
                .enumerate()
                .find(|(_, &s)| usize::from(s) >= HW_STAT_QUEUES)
            {
                return Err(Error::Config(format!(
                    "{what} queue {q} mapped to counter set {s}: there are {HW_STAT_QUEUES}"
                )));
            }
        }
        // What was counted under the old mapping goes to its sets first.
        self.raw.update(&mut self.regs);
        let get = |m: &[u8], q: usize| u32::from(m.get(q).copied().unwrap_or(0));
        for i in 0..32u32 {
            let q = 4 * i as usize;
            self.regs.RQSMR().at(i).write(
                RQSMR::Q_MAP0.val(get(&map.rx, q))
                    | RQSMR::Q_MAP1.val(get(&map.rx, q + 1))
                    | RQSMR::Q_MAP2.val(get(&map.rx, q + 2))
                    | RQSMR::Q_MAP3.val(get(&map.rx, q + 3)),
            );
            self.regs.TQSM().at(i).write(
                TQSM::Q_MAP0.val(get(&map.tx, q))
                    | TQSM::Q_MAP1.val(get(&map.tx, q + 1))
                    | TQSM::Q_MAP2.val(get(&map.tx, q + 2))
                    | TQSM::Q_MAP3.val(get(&map.tx, q + 3)),
            );
        }
        self.qmap = map.clone();
        Ok(())
    }
}
