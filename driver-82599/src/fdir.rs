//! Flow Director perfect filters (82599 datasheet 7.1.2.7): steer an IPv4 TCP or UDP flow
//! (5-tuple) to a receive queue, or drop it; filters are added and removed at run time.
//!
//! The card finds a filter in the bucket of a 15-bit hash of the flow (FDIRHKEY); software
//! computes that hash when it adds the filter ([`bucket_hash`]), and gives each filter a
//! unique software index.
//!
//! ```
//! use driver_82599::{Config, Device, fdir::{FdirConfig, Flow, L4}};
//! use std::net::Ipv4Addr;
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config {
//!     rx_queues: 4, rx_ring: 64, tx_ring: 64, pool_size: 128, wait_link: false,
//!     fdir: Some(FdirConfig::default()),
//!     ..Config::default()
//! };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! let flow = Flow { l4: L4::Udp, src: Ipv4Addr::new(10, 0, 0, 1), dst: Ipv4Addr::new(10, 0, 0, 2), sport: 1234, dport: 4789 };
//! dev.add_fdir(flow, Some(3))?;      // to queue 3
//! dev.remove_fdir(flow)?;
//! assert!(sim.violations().is_empty());
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;
use std::net::Ipv4Addr;
use std::time::Duration;

/// The bucket hash key written to FDIRHKEY (the value public drivers use).
pub const HASH_KEY: u32 = 0x3DAD_14E2;

/// Memory for the filters, taken from the 512 KB receive packet buffer (FDIRCTRL.PBALLOC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FdirSize {
    /// 64 KB: 2046 perfect filters.
    #[default]
    K64,
    /// 128 KB: 4094 perfect filters.
    K128,
    /// 256 KB: 8190 perfect filters.
    K256,
}

impl FdirSize {
    pub fn kb(self) -> u32 {
        match self {
            FdirSize::K64 => 64,
            FdirSize::K128 => 128,
            FdirSize::K256 => 256,
        }
    }
    /// Perfect filters that fit.
    pub fn filters(self) -> usize {
        (self.kb() as usize / 64) * 2048 - 2
    }
}

/// Flow Director configuration ([`crate::Config::fdir`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdirConfig {
    pub size: FdirSize,
    /// Queue of the flows a filter drops (FDIRCTRL.DROP_QUEUE): give it a queue nobody
    /// polls with SRRCTL.DROP_EN, or read it to count.
    pub drop_queue: u8,
}

/// L4 protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L4 {
    Udp,
    Tcp,
}

impl L4 {
    fn l4type(self) -> u32 {
        match self {
            L4::Udp => 1,
            L4::Tcp => 2,
        }
    }
}

/// An IPv4 5-tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flow {
    pub l4: L4,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub sport: u16,
    pub dport: u16,
}

/// The 15-bit bucket hash of `flow` under `key` (7.1.2.7.15): every key bit n set XORs in
/// the 16 bits from bit n of the filter input, taken around the input dword by dword — which
/// is the XOR of all input dwords rotated right by n.
pub fn bucket_hash(key: u32, flow: &Flow) -> u32 {
    // Input dwords: flow type; destination IP; source IP; ports (the others 0 for IPv4).
    let x = (flow.l4.l4type() << 8)
        ^ u32::from(flow.dst)
        ^ u32::from(flow.src)
        ^ (u32::from(flow.sport) | u32::from(flow.dport) << 16);
    let mut h = 0;
    for n in 0..32 {
        if key & (1 << n) != 0 {
            h ^= x.rotate_right(n) & 0xFFFF;
        }
    }
    h & 0x7FFF
}

/// The filters the driver put in the table, with their software indices.
#[derive(Default)]
pub(crate) struct Filters {
    pub size: Option<FdirSize>,
    pub flows: Vec<(Flow, u32)>,
}

const CMD_WAIT: Duration = Duration::from_millis(10);

/// 7.1.2.7.11: with receive off, the packet buffer of TC 0 reduced by the filters' memory,
/// then FDIRCTRL, then a bounded wait for INIT_DONE.
pub fn init<B: Bus>(regs: &Regs<B>, c: &FdirConfig, timeout: Duration) -> Result<()> {
    let pb = 512 - c.size.kb();
    regs.RXPBSIZE().at(0).write(
        RXPBSIZE::SIZE
            .try_val(pb)
            .map_err(|e| Error::Register(e.to_string()))?,
    );
    regs.FDIRHKEY().write(FDIRHKEY::KEY.val(HASH_KEY));
    let alloc = match c.size {
        FdirSize::K64 => FDIRCTRL::PBALLOC::K64,
        FdirSize::K128 => FDIRCTRL::PBALLOC::K128,
        FdirSize::K256 => FDIRCTRL::PBALLOC::K256,
    };
    regs.FDIRCTRL().write(
        alloc
            | FDIRCTRL::PERFECT_MATCH
            | FDIRCTRL::DROP_QUEUE
                .try_val(u32::from(c.drop_queue))
                .map_err(|e| Error::Register(e.to_string()))?,
    );
    regs.FDIRCTRL()
        .wait_set(FDIRCTRL::INIT_DONE, timeout)
        .map_err(|_| {
            Error::Config(format!(
                "Flow Director init (FDIRCTRL.INIT_DONE) not done within {timeout:?}"
            ))
        })?;
    Ok(())
}

fn command<B: Bus>(
    regs: &Regs<B>,
    flow: &Flow,
    sw: u32,
    cmd: regdsl_rt::FieldValue<FDIRCMD::Reg>,
) -> Result<()> {
    regs.FDIRIPSA().write(FDIRIPSA::IP.val(u32::from(flow.src)));
    regs.FDIRIPDA().write(FDIRIPDA::IP.val(u32::from(flow.dst)));
    regs.FDIRPORT().write(
        FDIRPORT::SOURCE.val(u32::from(flow.sport))
            | FDIRPORT::DESTINATION.val(u32::from(flow.dport)),
    );
    regs.FDIRVLAN().write(0u32);
    regs.FDIRHASH().write(
        FDIRHASH::HASH.val(bucket_hash(HASH_KEY, flow))
            | FDIRHASH::BUCKET_VALID
            | FDIRHASH::SW_INDEX.val(sw),
    );
    let l4 = match flow.l4 {
        L4::Udp => FDIRCMD::L4TYPE::UDP,
        L4::Tcp => FDIRCMD::L4TYPE::TCP,
    };
    regs.FDIRCMD().write(cmd | l4);
    // The card clears CMD once the command is done (7.1.2.7.10).
    regs.FDIRCMD()
        .wait_until(FDIRCMD::CMD.mask().mask(), CMD_WAIT, |v| {
            v.get(FDIRCMD::CMD) == 0
        })
        .map_err(|_| {
            Error::Config(format!(
                "Flow Director command not done within {CMD_WAIT:?}"
            ))
        })?;
    Ok(())
}

impl Filters {
    pub fn add<B: Bus>(
        &mut self,
        regs: &Regs<B>,
        flow: Flow,
        queue: Option<u16>,
        queues: u16,
    ) -> Result<()> {
        let size = self
            .size
            .ok_or_else(|| Error::Config("Flow Director filters need Config::fdir".into()))?;
        if let Some(q) = queue {
            if q >= queues {
                return Err(Error::Config(format!(
                    "Flow Director queue {q}: the device has {queues}"
                )));
            }
        }
        let sw = match self.flows.iter().find(|(f, _)| *f == flow) {
            Some(&(_, sw)) => sw,
            None => {
                if self.flows.len() >= size.filters() {
                    return Err(Error::FilterFull {
                        table: "Flow Director",
                        capacity: size.filters(),
                    });
                }
                // The lowest index not in use.
                let mut used: Vec<u32> = self.flows.iter().map(|&(_, s)| s).collect();
                used.sort_unstable();
                let sw = used
                    .iter()
                    .enumerate()
                    .find(|&(i, &s)| i as u32 != s)
                    .map_or(used.len() as u32, |(i, _)| i as u32);
                self.flows.push((flow, sw));
                sw
            }
        };
        let action = match queue {
            Some(q) => FDIRCMD::QUEUE_EN | FDIRCMD::RX_QUEUE.val(u32::from(q)),
            None => FDIRCMD::DROP.into(),
        };
        command(
            regs,
            &flow,
            sw,
            FDIRCMD::CMD::ADD | FDIRCMD::FILTER_UPDATE | action,
        )
    }

    pub fn remove<B: Bus>(&mut self, regs: &Regs<B>, flow: Flow) -> Result<()> {
        let at = self
            .flows
            .iter()
            .position(|(f, _)| *f == flow)
            .ok_or_else(|| Error::NoSuchFilter(format!("no Flow Director filter for {flow:?}")))?;
        let (_, sw) = self.flows.swap_remove(at);
        command(regs, &flow, sw, FDIRCMD::CMD::REMOVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_takes_every_input_bit_into_account() {
        let f = Flow {
            l4: L4::Tcp,
            src: Ipv4Addr::new(192, 168, 0, 1),
            dst: Ipv4Addr::new(10, 1, 2, 3),
            sport: 40000,
            dport: 80,
        };
        let h = bucket_hash(HASH_KEY, &f);
        assert!(h < 0x8000);
        let g = Flow { sport: 40001, ..f };
        assert_ne!(bucket_hash(HASH_KEY, &g), h);
        let g = Flow { l4: L4::Udp, ..f };
        assert_ne!(bucket_hash(HASH_KEY, &g), h);
        // Key bit 0 alone: the low 15 bits of the XOR of the input dwords.
        let x = (2 << 8) ^ u32::from(f.dst) ^ u32::from(f.src) ^ (40000 | 80 << 16);
        assert_eq!(bucket_hash(1, &f), x & 0x7FFF);
    }
}
