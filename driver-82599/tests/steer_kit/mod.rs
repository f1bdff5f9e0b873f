//! Helpers of the steering tests (pools, MAC/VLAN filters, mirroring, rate limits): a sender
//! port and a receiver port on one wire, frames that carry a sequence number, and where
//! each frame landed.
#![allow(dead_code)]

use driver_82599::{Config, Device, Packet, QueueDevice};
use sim_82599::{Port, Sim, Wire};
use std::collections::BTreeMap;
use std::time::Duration;

pub const SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const BCAST: [u8; 6] = [0xFF; 6];

/// Four queue pairs and Flow Director with queue 3 as its drop queue (the Flow Director tests).
pub fn cfg4() -> Config {
    Config {
        rx_queues: 4,
        tx_queues: 4,
        fdir: Some(driver_82599::fdir::FdirConfig {
            drop_queue: 3,
            ..Default::default()
        }),
        ..cfg()
    }
}

/// The flow of `udp_frame(_, sport, _)` (the Flow Director tests).
pub fn flow(sport: u16) -> driver_82599::fdir::Flow {
    driver_82599::fdir::Flow::v4(
        driver_82599::fdir::L4::Udp,
        std::net::Ipv4Addr::new(10, 0, 0, 1),
        sport,
        std::net::Ipv4Addr::new(10, 0, 0, 2),
        12345,
    )
}

/// Small rings, unicast filtering on (not promiscuous), no link wait beyond the sim's.
pub fn cfg() -> Config {
    Config {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 256,
        promisc: false,
        link_timeout: Duration::from_secs(5),
        ..Config::default()
    }
}

pub fn sim2() -> Sim {
    let sim = Sim::builder().ports(2).strict(true).threaded(false).build();
    sim.connect(Wire::Pair(0, 1)).unwrap();
    sim
}

/// Port 0 sends with the default configuration (one queue); port 1 receives with `rx`.
pub fn pair(sim: &Sim, rx: Config) -> (Device<Port>, Device<Port>) {
    let tx = Device::new(sim.port(0), sim.dma(), cfg()).expect("sender init");
    let rx = Device::new(sim.port(1), sim.dma(), rx).expect("receiver init");
    (tx, rx)
}

/// An Ethernet frame to `dst`, with an 802.1Q tag when `vlan` is given, carrying `seq`.
pub fn frame(dst: [u8; 6], vlan: Option<u16>, seq: u32) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&SRC);
    if let Some(tci) = vlan {
        f.extend_from_slice(&[0x81, 0x00]);
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&[0x88, 0xB5]);
    f.extend_from_slice(&seq.to_be_bytes());
    f.resize(f.len().max(60), 0xA5);
    f
}

/// An IPv4/UDP frame to `dst` from source port `sport` (one RSS flow per port), carrying `seq`.
pub fn udp_frame(dst: [u8; 6], sport: u16, seq: u32) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&SRC);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&[0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&[0x30, 0x39, 0, 12, 0, 0]);
    f.extend_from_slice(&seq.to_be_bytes());
    f.resize(60, 0);
    f
}

/// The sequence number of a frame made by [`frame`] or [`udp_frame`], or an IPv6 UDP/TCP
/// frame that carries it in the first 4 bytes after an 8-byte L4 header (`None`: unknown).
pub fn seq_of(p: &[u8]) -> Option<u32> {
    let at = match u16::from_be_bytes([p[12], p[13]]) {
        0x8100 => 18,
        0x0800 => 42,
        0x86DD => 62,
        _ => 14,
    };
    let at = if at == 18 && u16::from_be_bytes([p[16], p[17]]) == 0x0800 {
        46
    } else {
        at
    };
    Some(u32::from_be_bytes(p.get(at..at + 4)?.try_into().ok()?))
}

/// Sends `frames` from the sender's queue 0 and runs the card until they are through.
pub fn send(sim: &Sim, tx: &mut Device<Port>, frames: &[Vec<u8>]) {
    let pool = tx.pool(0).unwrap().clone();
    for chunk in frames.chunks(32) {
        let mut out: Vec<Packet> = chunk
            .iter()
            .map(|f| {
                let mut p = pool.alloc(f.len()).expect("buffer");
                p.copy_from_slice(f);
                p
            })
            .collect();
        while !out.is_empty() {
            tx.tx_batch(0, &mut out).unwrap();
            sim.step();
        }
    }
    sim.step_until_idle(100);
}

/// Every frame waiting on the receiver's queues: queue -> frames.
pub fn drain(rx: &mut Device<Port>) -> BTreeMap<usize, Vec<Vec<u8>>> {
    let mut m = BTreeMap::new();
    for q in 0..usize::from(rx.config().rx_queues) {
        let mut got = Vec::new();
        rx.rx_batch(q, &mut got, 512).unwrap();
        if !got.is_empty() {
            m.insert(q, got.iter().map(|p| p.to_vec()).collect());
        }
    }
    m
}

/// The queues each sequence number arrived on.
pub fn landed(m: &BTreeMap<usize, Vec<Vec<u8>>>) -> BTreeMap<u32, Vec<usize>> {
    let mut r: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (&q, fs) in m {
        for f in fs {
            r.entry(seq_of(f).expect("a test frame"))
                .or_default()
                .push(q);
        }
    }
    r
}

pub use testkit::assert_no_violations;

/// Sends `frames` 32 at a time, draining the receiver after each batch (rings of 64 do not
/// overflow); queue -> frames received.
pub fn exchange(
    sim: &Sim,
    tx: &mut Device<Port>,
    rx: &mut Device<Port>,
    frames: &[Vec<u8>],
) -> BTreeMap<usize, Vec<Vec<u8>>> {
    let mut all: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
    for chunk in frames.chunks(32) {
        send(sim, tx, chunk);
        for (q, mut v) in drain(rx) {
            all.entry(q).or_default().append(&mut v);
        }
    }
    all
}
