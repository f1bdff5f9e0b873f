//! Per-queue transmit rate limiting (82599 datasheet 7.7.2.2): the rate scheduler of a queue
//! (RTTBCNRC, reached through RTTDQSEL) spaces its frames so that it sends at
//! line rate / rate factor.
//!
//! The rate counts the bytes a frame takes on the wire: the frame, its CRC, the preamble and
//! the inter-packet gap (24 bytes more than the frame without CRC).
//!
//! ```
//! use driver_82599::{Config, Device};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config { rx_ring: 64, tx_ring: 64, pool_size: 128, wait_link: false, ..Config::default() };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! dev.set_tx_rate(0, Some(1000))?;     // queue 0 at 1 Gbit/s
//! assert!(dev.set_tx_rate(0, Some(5)).is_err());
//! dev.set_tx_rate(0, None)?;           // line rate again
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;

/// The line rate the factor divides, Mbit/s.
pub const LINE_RATE_MBPS: u32 = 10_000;
/// The smallest rate: the factor's integer part has 10 bits (RF_INT), so at most 1023.99.
pub const MIN_RATE_MBPS: u32 = 10;

/// The rate factor (line rate / rate) in 10.14 fixed point, or an error naming the bounds.
pub fn factor(mbps: u32) -> Result<u32> {
    if !(MIN_RATE_MBPS..=LINE_RATE_MBPS).contains(&mbps) {
        return Err(Error::Config(format!(
            "rate limit {mbps} Mbit/s: must be {MIN_RATE_MBPS}..={LINE_RATE_MBPS}"
        )));
    }
    let f = ((u64::from(LINE_RATE_MBPS) << 14) + u64::from(mbps) / 2) / u64::from(mbps);
    Ok(f as u32)
}

pub(crate) fn set<B: Bus>(regs: &Regs<B>, queue: u32, mbps: Option<u32>) -> Result<()> {
    let v = match mbps {
        Some(r) => {
            let f = factor(r)?;
            Some(
                RTTBCNRC::RF_INT.val(f >> 14) | RTTBCNRC::RF_DEC.val(f & 0x3FFF) | RTTBCNRC::RS_ENA,
            )
        }
        None => None,
    };
    regs.RTTDQSEL().write(
        RTTDQSEL::TXDQ_IDX
            .try_val(queue)
            .map_err(|e| Error::Register(e.to_string()))?,
    );
    match v {
        Some(v) => regs.RTTBCNRC().write(v),
        None => regs.RTTBCNRC().write(0u32),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn factors() {
        assert_eq!(super::factor(10_000).unwrap(), 1 << 14);
        assert_eq!(super::factor(1_000).unwrap(), 10 << 14);
        assert_eq!(super::factor(3_000).unwrap(), 54613); // 3.33333 * 16384
        assert!(super::factor(9).is_err());
        assert!(super::factor(10_001).is_err());
    }
}
