//! Device configuration, checked before anything is written to the card.

use crate::error::{Error, Result};
use crate::rss::RssConfig;
use std::time::Duration;

/// Queues the driver supports (the card has 128 of each; RSS spreads over at most 16).
pub const MAX_QUEUES: u16 = 64;
pub use nic_queue::config::{BSIZE_UNIT, MAX_BUF, MIN_RING};
/// Ring sizes: a power of two of at least [`MIN_RING`]; RDLEN/TDLEN hold at most 20 bits of
/// bytes (datasheet 8.2.3.8.3). Buffer sizes: SRRCTL.BSIZEPACKET counts 1 KiB units, 1..=16
/// (8.2.3.8.7).
pub const MAX_RING: usize = 32768;
/// Ethernet header + CRC: frame size = MTU + this.
pub const FRAME_OVERHEAD: usize = 18;
/// The largest frame the card accepts (MHADD.MFS, datasheet 8.2.3.22.13: 9.5 KiB jumbo).
pub const MAX_FRAME: usize = 15872;

/// How to bring the device up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Receive queues (1..=64). With more than one, RSS spreads flows over them.
    pub rx_queues: u16,
    /// Transmit queues (1..=64).
    pub tx_queues: u16,
    /// Descriptors per receive ring (power of two, 8..=32768).
    pub rx_ring: usize,
    /// Descriptors per transmit ring (power of two, 8..=32768).
    pub tx_ring: usize,
    /// Bytes per packet buffer: a multiple of 1024, at most 16384, holding the largest frame.
    pub buf_size: usize,
    /// Buffers in each receive queue's pool (at least the ring size).
    pub pool_size: usize,
    /// Maximum IP packet size; frames up to MTU + 18 bytes are accepted. Over 1500 enables
    /// jumbo frames.
    pub mtu: usize,
    /// Accept every unicast and multicast frame.
    pub promisc: bool,
    /// RSS key and redirection table (default: Microsoft's key, round-robin over the queues).
    pub rss: Option<RssConfig>,
    /// Wait for the link during init (bounded by `link_timeout`); otherwise report it later.
    pub wait_link: bool,
    pub link_timeout: Duration,
    /// Times a link wait restarts the link setup (AUTOC.RESTART_AN) when the link is still
    /// down, spread evenly over `link_timeout`: some ports come up only after the setup is
    /// restarted. Each slice (`link_timeout / (link_restarts + 1)`) must be longer than the
    /// port's normal time to link (0.5-8 s on real cards), or the restarts keep a slow port
    /// down: e.g. 30 s with 2 restarts. 0 (the default): wait only.
    pub link_restarts: u32,
    /// Bound of every other wait (reset, EEPROM, DMA init, queue enable).
    pub wait_timeout: Duration,
    /// VMDq pools (`None`: no pools; [`crate::vmdq`]).
    pub vmdq: Option<crate::vmdq::VmdqConfig>,
    /// Flow Director perfect filters (`None`: off; [`crate::fdir`]). Not with pools.
    pub fdir: Option<crate::fdir::FdirConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rx_queues: 1,
            tx_queues: 1,
            rx_ring: 512,
            tx_ring: 512,
            buf_size: 2048,
            pool_size: 4096,
            mtu: 1500,
            promisc: true,
            rss: None,
            wait_link: true,
            link_timeout: Duration::from_secs(10),
            link_restarts: 0,
            wait_timeout: Duration::from_secs(1),
            vmdq: None,
            fdir: None,
        }
    }
}

impl Config {
    /// Checks every value; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        for (what, n) in [("rx_queues", self.rx_queues), ("tx_queues", self.tx_queues)] {
            if n == 0 || n > MAX_QUEUES {
                return bad(format!("{what} = {n}, must be 1..={MAX_QUEUES}"));
            }
        }
        for (what, n) in [("rx_ring", self.rx_ring), ("tx_ring", self.tx_ring)] {
            nic_queue::config::check_ring(what, n, MAX_RING).map_err(Error::Config)?;
        }
        nic_queue::config::check_buf(self.buf_size, BSIZE_UNIT).map_err(Error::Config)?;
        nic_queue::config::check_pool(self.pool_size, self.rx_ring).map_err(Error::Config)?;
        self.check_mtu(self.mtu)?;
        if let Some(f) = &self.fdir {
            if self.vmdq.is_some() {
                return bad(
                    "fdir with vmdq: the driver's Flow Director filters have no pool".into(),
                );
            }
            if u16::from(f.drop_queue) >= self.rx_queues {
                return bad(format!(
                    "fdir drop_queue = {}, but rx_queues = {}",
                    f.drop_queue, self.rx_queues
                ));
            }
        }
        if let Some(v) = &self.vmdq {
            return v.validate(self);
        }
        if let Some(rss) = &self.rss {
            if let Some(q) = rss.reta.iter().find(|&&q| u16::from(q) >= self.rx_queues) {
                return bad(format!(
                    "RSS redirection table names queue {q}, but rx_queues = {}",
                    self.rx_queues
                ));
            }
        }
        Ok(())
    }

    /// An MTU must give a frame the card accepts and that fits one buffer (CRC stripped).
    pub fn check_mtu(&self, mtu: usize) -> Result<()> {
        let frame = mtu + FRAME_OVERHEAD;
        if !(68..=MAX_FRAME - FRAME_OVERHEAD).contains(&mtu) {
            return Err(Error::Config(format!(
                "mtu = {mtu}, must be 68..={}",
                MAX_FRAME - FRAME_OVERHEAD
            )));
        }
        if frame - 4 > self.buf_size {
            return Err(Error::Config(format!(
                "mtu = {mtu} needs {} byte buffers, buf_size = {}",
                frame - 4,
                self.buf_size
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_values_are_named() {
        Config::default().validate().unwrap();
        let c = Config {
            rx_ring: 100,
            ..Config::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("rx_ring = 100"));
        let c = Config {
            mtu: 9000,
            ..Config::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("buf_size = 2048"));
        let c = Config {
            mtu: 9000,
            buf_size: 10240,
            ..Config::default()
        };
        c.validate().unwrap();
        let c = Config {
            rx_queues: 2,
            rss: Some(RssConfig::spread(4)),
            ..Config::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("queue 2"));
    }
}
