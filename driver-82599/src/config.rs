//! Device configuration, checked before anything is written to the card.

use crate::error::{Error, Result};
use crate::rss::RssConfig;
use std::time::Duration;

/// Receive queues the driver can fill: RSS without virtualisation or DCB spreads over the
/// queues a redirection-table entry can name (16, the width of RETA.ENTRY0; 7.1.2.8). More
/// would be accepted by the card and never receive a frame.
pub const MAX_RX_QUEUES: u16 = crate::rss::MAX_QUEUES;
/// Transmit queues without virtualisation or DCB (MTQC = 0): queues 0..63 (8.2.3.9.15, 7.2.1.2.1).
pub const MAX_TX_QUEUES: u16 = 64;
pub use nic_queue::config::{BSIZE_UNIT, MAX_BUF, MIN_RING};
/// Ring sizes: a power of two of at least [`MIN_RING`], whose bytes fit RDLEN.LEN/TDLEN.LEN
/// (20 bits, 8.2.3.8.3): the largest power of two of 16-byte descriptors below 2^20 bytes.
pub const MAX_RING: usize = {
    let bytes = 1usize << crate::regs::RDLEN::LEN.width();
    bytes / 2 / crate::desc::DESC_SIZE
};
/// Ethernet header + CRC: frame size = MTU + this (a VLAN tag adds 4 more, which the card
/// allows on top of MAXFRS.MFS, 8.2.3.22.13).
pub const FRAME_OVERHEAD: usize = 18;
/// The largest frame the card accepts (MAXFRS.MFS, datasheet 8.2.3.22.13: 15.5 KiB jumbo; the
/// field is wider than the card's limit, so this is the datasheet's figure).
pub const MAX_FRAME: usize = 15872;

/// How to bring the device up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Receive queues (1..=16; with VMDq pools, as many as transmit queues, up to 64). With
    /// more than one, RSS spreads flows over them (without pools).
    pub rx_queues: u16,
    /// Transmit queues (1..=64).
    pub tx_queues: u16,
    /// Descriptors per receive ring (power of two, 8..=32768).
    pub rx_ring: usize,
    /// Descriptors per transmit ring (power of two, 8..=32768).
    pub tx_ring: usize,
    /// Bytes per packet buffer: a multiple of 1024, at most 16384, holding the largest frame.
    pub buf_size: usize,
    /// Buffers in each receive queue's pool: at least `rx_ring + tx_ring`, since a transmit
    /// queue keeps sent buffers until it reclaims them in bulk (`nic_queue::config::check_pool`).
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
    /// Flow Director filters (`None`: off; [`crate::fdir`]). Not with pools.
    pub fdir: Option<crate::fdir::FdirConfig>,
    /// Queue pairs set aside for secondary processes ([`crate::share`]): queues
    /// `rx_queues..rx_queues + shared_queues` are left disabled for them to attach to, RSS
    /// spreads over every queue (own and shared) unless `rss` says otherwise, and each has its
    /// statistics counter set. Needs `rx_queues == tx_queues`. With pools (`vmdq`), whole
    /// pools: a multiple of the queues per pool, the pools after the primary's own, switched on
    /// (VFRE/VFTE, PSRTYPE, VMOLR) and open to the primary's filters; a secondary takes one
    /// whole ([`crate::share::AttachConfig::pool`]). 0: none.
    pub shared_queues: u16,
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
            shared_queues: 0,
        }
    }
}

impl Config {
    /// Checks every value; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.rx_queues == 0 || (self.rx_queues > MAX_RX_QUEUES && self.vmdq.is_none()) {
            return bad(format!(
                "rx_queues = {}, must be 1..={MAX_RX_QUEUES} (RSS reaches no other queue without virtualisation or DCB, which this driver does not program; with VMDq pools up to {MAX_TX_QUEUES})",
                self.rx_queues
            ));
        }
        if self.tx_queues == 0 || self.tx_queues > MAX_TX_QUEUES {
            return bad(format!(
                "tx_queues = {}, must be 1..={MAX_TX_QUEUES}",
                self.tx_queues
            ));
        }
        for (what, n) in [("rx_ring", self.rx_ring), ("tx_ring", self.tx_ring)] {
            nic_queue::config::check_ring(what, n, MAX_RING).map_err(Error::Config)?;
        }
        nic_queue::config::check_buf(self.buf_size, BSIZE_UNIT).map_err(Error::Config)?;
        nic_queue::config::check_pool(self.pool_size, self.rx_ring, self.tx_ring)
            .map_err(Error::Config)?;
        self.check_mtu(self.mtu)?;
        if let Some(f) = &self.fdir {
            if self.vmdq.is_some() {
                return bad(
                    "fdir with vmdq: the driver's Flow Director filters have no pool".into(),
                );
            }
            f.validate().map_err(Error::Config)?;
            if u16::from(f.drop_queue) >= self.rx_queues {
                return bad(format!(
                    "fdir drop_queue = {}, but rx_queues = {}",
                    f.drop_queue, self.rx_queues
                ));
            }
        }
        if self.shared_queues > 0 {
            if let Some(v) = &self.vmdq {
                let qpp = v.layout.queues_per_pool();
                if usize::from(self.shared_queues) % qpp != 0 {
                    return bad(format!(
                        "shared_queues = {} with {:?}: must be a multiple of {qpp} (whole pools)",
                        self.shared_queues, v.layout
                    ));
                }
            }
            if self.rx_queues != self.tx_queues {
                return bad(format!(
                    "shared_queues needs as many receive as transmit queues (rx_queues = {}, tx_queues = {}): secondaries take queue pairs",
                    self.rx_queues, self.tx_queues
                ));
            }
            if self.all_rx_queues() > MAX_RX_QUEUES {
                return bad(format!(
                    "rx_queues + shared_queues = {}, must be at most {MAX_RX_QUEUES} (the queues RSS reaches, and with pools the queues with a statistics counter set of their own, which the secondaries' counts come from)",
                    self.all_rx_queues()
                ));
            }
        }
        if let Some(v) = &self.vmdq {
            return v.validate(self);
        }
        if let Some(rss) = &self.rss {
            rss.check(self.all_rx_queues()).map_err(Error::Config)?;
        }
        Ok(())
    }

    /// Receive queues the card is set up for: the driver's own and the shared ones.
    pub fn all_rx_queues(&self) -> u16 {
        self.rx_queues.saturating_add(self.shared_queues)
    }

    /// Transmit queues the card is set up for: the driver's own and the shared ones.
    pub fn all_tx_queues(&self) -> u16 {
        self.tx_queues.saturating_add(self.shared_queues)
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
        // The pool must cover a receive and a transmit ring (lazy reclaim: see
        // nic_queue::config::check_pool).
        let c = Config {
            rx_ring: 512,
            tx_ring: 512,
            pool_size: 1023,
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("pool_size = 1023") && e.contains("rx_ring + tx_ring"),
            "{e}"
        );
        let c = Config {
            pool_size: 1024,
            ..c
        };
        c.validate().unwrap();
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

    #[test]
    fn rss_and_queue_limits_are_checked_before_the_card_is_touched() {
        // Issue 14.7: an entry naming queue 17 with 20 queues passed, then failed after the
        // reset; queues 16..63 were accepted but never received.
        let mut rss = RssConfig::spread(16);
        rss.reta[5] = 17;
        let c = Config {
            rx_queues: 20,
            rss: Some(rss.clone()),
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("rx_queues = 20"), "{e}");
        let c = Config {
            rx_queues: 16,
            rss: Some(rss),
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("entry 5 names queue 17"), "{e}");
        let c = Config {
            rx_queues: 16,
            tx_queues: 64,
            rss: Some(RssConfig::spread(16)),
            ..Config::default()
        };
        c.validate().unwrap();
        assert_eq!((MAX_RX_QUEUES, MAX_RING), (16, 32768));
        // With pools every queue receives (a pool's frames go to its queues): up to 64.
        let pools = |n: u16| Config {
            rx_queues: n,
            tx_queues: n,
            vmdq: Some(crate::vmdq::VmdqConfig::default()),
            ..Config::default()
        };
        pools(64).validate().unwrap();
        let e = pools(66).validate().unwrap_err().to_string();
        assert!(e.contains("tx_queues = 66"), "{e}");
    }
}
