//! Link status and speed (STATUS.LU and STATUS.SPEED).

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;
use std::fmt;
use std::time::Duration;

/// Link speed as STATUS.SPEED reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Mb10,
    Mb100,
    Gb1,
}

impl Speed {
    /// Bits per second.
    pub fn bps(self) -> u64 {
        match self {
            Speed::Mb10 => 10_000_000,
            Speed::Mb100 => 100_000_000,
            Speed::Gb1 => 1_000_000_000,
        }
    }
}

/// Link state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub up: bool,
    pub speed: Speed,
    pub full_duplex: bool,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.up {
            return f.write_str("down");
        }
        let s = match self.speed {
            Speed::Mb10 => "10 Mbit/s",
            Speed::Mb100 => "100 Mbit/s",
            Speed::Gb1 => "1 Gbit/s",
        };
        let d = if self.full_duplex { "full" } else { "half" };
        write!(f, "up, {s}, {d} duplex")
    }
}

/// Reads STATUS once.
pub fn read<B: Bus>(regs: &Regs<B>) -> Link {
    let v = regs.STATUS().read();
    let speed = if v.is(STATUS::SPEED::S10) {
        Speed::Mb10
    } else if v.is(STATUS::SPEED::S100) {
        Speed::Mb100
    } else {
        // 10b and 11b both mean 1000 Mb/s.
        Speed::Gb1
    };
    Link {
        up: v.is_set(STATUS::LU),
        speed,
        full_duplex: v.is_set(STATUS::FD),
    }
}

/// Waits (bounded) for STATUS.LU.
pub fn wait_up<B: Bus>(regs: &Regs<B>, timeout: Duration) -> Result<Link> {
    regs.STATUS()
        .wait_set(STATUS::LU, timeout)
        .map_err(|_| Error::LinkTimeout(timeout))?;
    Ok(read(regs))
}
