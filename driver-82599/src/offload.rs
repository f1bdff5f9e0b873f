//! Transmit offloads (82599 datasheet 7.2.3.2.3 context descriptor, 7.2.4 TCP segmentation,
//! 7.2.5 checksum offload): the card inserts the IPv4 header checksum and the TCP/UDP
//! checksum, splits a large TCP packet into MSS-sized segments (IP total length and
//! identification, TCP sequence numbers and flags, checksums of each), and inserts a VLAN tag
//! per packet (DCMD.VLE with the tag in the context; a pool's PFVMVIR action, when set, takes
//! precedence, 7.10.3.9).
//!
//! No register is needed: the requests travel in the descriptors. The ring work is
//! [`nic_queue::txq::offload`] ([`TxQueue::tx_offload`](nic_queue::txq::TxQueue::tx_offload)):
//! context descriptors are cached per queue (written only when a packet needs one the card's
//! two slots do not hold), and [`QueueDevice::tx_batch`](crate::QueueDevice::tx_batch) is untouched.
//!
//! ```
//! use driver_82599::{Config, Device, QueueDevice, offload::TxOffload};
//! let sim = sim_82599::Sim::builder().ports(1).strict(true).build();
//! let cfg = Config { rx_ring: 64, tx_ring: 64, pool_size: 128, wait_link: false, ..Config::default() };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! // An IPv4/UDP frame: 14 bytes of Ethernet, a 20-byte IP header, 8 bytes of UDP, 18 of data.
//! let mut f = vec![0xFF; 12];
//! f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0]);
//! f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x30, 0x3A, 0, 26, 0, 0]);
//! f.resize(60, 0xA5);
//! let mut p = dev.pool(0)?.alloc(f.len()).unwrap();
//! p.copy_from_slice(&f);
//! let mut batch = vec![(p, TxOffload::udp4(14, 20).with_vlan(7))];
//! assert_eq!(dev.tx_offload(0, &mut batch)?, 1);
//! // A bad request is refused before anything reaches the ring.
//! let mut p = dev.pool(0)?.alloc(f.len()).unwrap();
//! p.copy_from_slice(&f);
//! assert!(dev.tx_offload(0, &mut vec![(p, TxOffload::udp4(14, 20).with_tso(0))]).is_err());
//! assert!(sim.violations().is_empty());
//! # Ok::<(), driver_82599::Error>(())
//! ```

pub use nic_queue::txq::offload::{OffloadError, TxOffload, L3, L4};

use crate::error::Result;
use crate::Device;
use dma::Packet;
use regdsl_rt::Bus;

impl<B: Bus + Clone> Device<B> {
    /// Sends packets with offload requests on queue `q`; see
    /// [`TxQueue::tx_offload`](nic_queue::txq::TxQueue::tx_offload). A request that does not
    /// fit its packet fails the call ([`crate::Error::Offload`]) with nothing sent.
    pub fn tx_offload(&mut self, q: usize, pkts: &mut Vec<(Packet, TxOffload)>) -> Result<usize> {
        Ok(self.queues.tx_queue(q)?.tx_offload(pkts)?)
    }
}
