//! Device configuration, checked before anything is written to the device.

use crate::error::{Error, Result};
use std::time::Duration;

/// Transmit queues the 82576 has (receive: one queue here; see [`Config::rx_queues`]).
pub const MAX_TX_QUEUES: u16 = 16;
pub use nic_queue::config::{BSIZE_UNIT, MAX_BUF, MIN_RING};
/// Ring sizes: a power of two of at least [`MIN_RING`] (RDLEN/TDLEN count bytes in multiples of
/// 128); the head/tail registers hold 16 bits.
pub const MAX_RING: usize = 4096;
/// Largest standard frame without CRC (1500 bytes MTU + 14 bytes Ethernet header); larger frames
/// need RCTL.LPE and RLPML.
pub const MAX_STD_FRAME: usize = 1514;

/// How to bring the device up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Receive queues. Only 1: spreading frames over several queues needs RSS or VMDq, which
    /// this driver does not program.
    pub rx_queues: u16,
    /// Transmit queues (1..=16).
    pub tx_queues: u16,
    /// Descriptors per receive ring (power of two, 8..=4096).
    pub rx_ring: usize,
    /// Descriptors per transmit ring (power of two, 8..=4096).
    pub tx_ring: usize,
    /// Bytes per packet buffer: a multiple of 1024, at most 16384, at least one standard frame.
    pub buf_size: usize,
    /// Buffers in the receive queue's pool: at least `rx_ring + tx_ring`, since a transmit
    /// queue keeps sent buffers until it reclaims them in bulk (`nic_queue::config::check_pool`).
    pub pool_size: usize,
    /// Accept every unicast and multicast frame (else: own address, broadcast).
    pub promisc: bool,
    /// SRRCTL.DROP_EN: drop frames when the queue has no descriptor instead of holding them.
    pub drop_when_full: bool,
    /// Wait for the link during init (bounded by `link_timeout`); otherwise report it later.
    pub wait_link: bool,
    pub link_timeout: Duration,
    /// Bound of the EEPROM auto-read wait. Running out is not an error (QEMU's model never
    /// signals it): [`crate::Device::eeprom_auto_read_done`] tells.
    pub eeprom_timeout: Duration,
    /// Bound of every other wait (reset, MDIC, queue enable).
    pub wait_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rx_queues: 1,
            tx_queues: 1,
            rx_ring: 512,
            tx_ring: 512,
            buf_size: 2048,
            pool_size: 2048,
            promisc: false,
            drop_when_full: true,
            wait_link: true,
            link_timeout: Duration::from_secs(10),
            eeprom_timeout: Duration::from_millis(20),
            wait_timeout: Duration::from_secs(1),
        }
    }
}

impl Config {
    /// Checks every value; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.rx_queues != 1 {
            return bad(format!(
                "rx_queues = {}, must be 1 (RSS/VMDq are not programmed by this driver)",
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
        nic_queue::config::check_buf(self.buf_size, MAX_STD_FRAME).map_err(Error::Config)?;
        nic_queue::config::check_pool(self.pool_size, self.rx_ring, self.tx_ring)
            .map_err(Error::Config)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_values_are_named() {
        Config::default().validate().unwrap();
        for (c, want) in [
            (
                Config {
                    rx_ring: 100,
                    ..Config::default()
                },
                "rx_ring = 100",
            ),
            (
                Config {
                    rx_queues: 2,
                    ..Config::default()
                },
                "rx_queues = 2",
            ),
            (
                Config {
                    tx_queues: 17,
                    ..Config::default()
                },
                "tx_queues = 17",
            ),
            (
                Config {
                    buf_size: 1024,
                    ..Config::default()
                },
                "buf_size = 1024",
            ),
            (
                Config {
                    pool_size: 8,
                    ..Config::default()
                },
                "pool_size = 8",
            ),
        ] {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
