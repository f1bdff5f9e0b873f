//! Link status and speed (82599 datasheet 8.2.3.22.19 LINKS).

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;
use std::fmt;
use std::time::Duration;

/// Link speed as LINKS.LINK_SPEED reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Mb100,
    Gb1,
    Gb10,
    /// A value the datasheet reserves.
    Unknown,
}

impl Speed {
    /// Bits per second.
    pub fn bps(self) -> u64 {
        match self {
            Speed::Mb100 => 100_000_000,
            Speed::Gb1 => 1_000_000_000,
            Speed::Gb10 => 10_000_000_000,
            Speed::Unknown => 0,
        }
    }
}

/// Link state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub up: bool,
    pub speed: Speed,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.up {
            return f.write_str("down");
        }
        match self.speed {
            Speed::Mb100 => f.write_str("up, 100 Mbit/s"),
            Speed::Gb1 => f.write_str("up, 1 Gbit/s"),
            Speed::Gb10 => f.write_str("up, 10 Gbit/s"),
            Speed::Unknown => f.write_str("up, unknown speed"),
        }
    }
}

/// Reads LINKS once.
pub fn read<B: Bus>(regs: &Regs<B>) -> Link {
    let v = regs.LINKS().read();
    let speed = if v.is(LINKS::LINK_SPEED::SPEED_10G) {
        Speed::Gb10
    } else if v.is(LINKS::LINK_SPEED::SPEED_1G) {
        Speed::Gb1
    } else if v.is(LINKS::LINK_SPEED::SPEED_100M) {
        Speed::Mb100
    } else {
        Speed::Unknown
    };
    Link {
        up: v.is_set(LINKS::LINK_UP),
        speed,
    }
}

/// 4.6.4: waits (bounded) for LINKS.LINK_UP. The wait is cut into `restarts + 1` equal slices;
/// after each slice but the last that ends with the link still down, the link setup is
/// restarted (AUTOC.RESTART_AN, 8.2.3.22.1): some ports come up only after that.
pub fn wait_up<B: Bus>(regs: &Regs<B>, timeout: Duration, restarts: u32) -> Result<Link> {
    let slice = timeout / (restarts.saturating_add(1));
    for attempt in 0..=restarts {
        let last = attempt == restarts;
        // The last slice takes what integer division left over.
        let t = if last {
            timeout - slice * restarts
        } else {
            slice
        };
        if regs.LINKS().wait_set(LINKS::LINK_UP, t).is_ok() {
            return Ok(read(regs));
        }
        if !last {
            // AUTOC is shared with the firmware (10.5.4).
            crate::swfw::with(
                regs,
                crate::swfw::Resource::MAC_CSR,
                crate::swfw::TIMEOUT,
                || regs.AUTOC().set(AUTOC::RESTART_AN),
            )?;
        }
    }
    Err(Error::LinkTimeout(timeout))
}
