//! Helpers shared by the tests on the simulated card.
#![allow(dead_code)]

use driver_82599::{Config, Device, Packet};
use sim_82599::{Port, Sim};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A trace sink the test reads back (`sim.trace_to(buf.clone())`, then `buf.text()`).
#[derive(Clone, Default)]
pub struct Buf(pub Arc<Mutex<Vec<u8>>>);

impl Buf {
    /// What was written, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("trace is UTF-8")
    }
}

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small configuration that keeps the simulated memory use low.
pub fn small_config() -> Config {
    Config {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 256,
        link_timeout: Duration::from_secs(5),
        ..Config::default()
    }
}

/// A simulated card with `ports` ports in strict, deterministic mode.
pub fn sim(ports: usize) -> Sim {
    Sim::builder()
        .ports(ports)
        .strict(true)
        .threaded(false)
        .build()
}

pub fn open(sim: &Sim, port: usize, cfg: Config) -> Device<Port> {
    Device::new(sim.port(port), sim.dma(), cfg).expect("device init on the simulated card")
}

/// Asserts the card saw no strict-mode rule break.
pub fn assert_no_violations(sim: &Sim) {
    let v = sim.violations();
    assert!(
        v.is_empty(),
        "strict-mode violations:\n{}",
        v.iter().map(|v| format!("  {v}\n")).collect::<String>()
    );
}

/// A frame of `len` bytes whose payload encodes `seq` and a pattern derived from it.
pub fn frame(pool: &driver_82599::Mempool, len: usize, seq: u32) -> Option<Packet> {
    let mut p = pool.alloc(len)?;
    fill(&mut p, seq);
    Some(p)
}

pub fn fill(buf: &mut [u8], seq: u32) {
    // Broadcast destination so that every port accepts it; locally administered source.
    buf[0..6].fill(0xFF);
    buf[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    buf[12..14].copy_from_slice(&[0x88, 0xB5]); // local experimental ethertype
    buf[14..18].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in buf[18..].iter_mut().enumerate() {
        *b = (seq as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
}

/// The sequence number of a frame made by [`fill`], if every byte matches the pattern.
pub fn check(buf: &[u8]) -> Option<u32> {
    if buf.len() < 18 {
        return None;
    }
    let seq = u32::from_be_bytes(buf[14..18].try_into().ok()?);
    let mut want = vec![0u8; buf.len()];
    fill(&mut want, seq);
    (want == buf).then_some(seq)
}
