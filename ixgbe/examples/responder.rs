//! A minimal application on the driver: answer ARP and ping for one IPv4 address.
//!
//! `cargo run -p ixgbe --example responder -- TAPNAME 10.11.12.2 SECONDS` attaches the simulated card's
//! port 0 to a Linux TAP device (created if absent; needs root) and answers the kernel's ARP
//! requests and pings through the driver's zero-copy receive and send paths. Ctrl-C ends it
//! early the same way as the time running out: the loop stops and `main` returns, so the
//! device is dropped (and the card stopped) before the memory it uses is released.

use driver_82599::QueueDevice;
use driver_82599::{Config, Device};
use ixgbe::responder::{respond, Action, Identity};
use sim_82599::{Sim, Wire};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let tap = args.next().unwrap_or_else(|| "t82599".into());
    let ip: std::net::Ipv4Addr = args.next().unwrap_or_else(|| "10.11.12.2".into()).parse()?;
    let secs: u64 = args.next().unwrap_or_else(|| "10".into()).parse()?;

    let sim = Sim::builder().ports(1).build();
    sim.connect(Wire::Tap {
        port: 0,
        name: tap.clone(),
    })?;
    let mut dev = Device::new(sim.port(0), sim.dma(), Config::default())?;
    let me = Identity {
        mac: dev.mac_addr(),
        ip: ip.octets(),
    };
    println!("answering ARP and ping for {ip} on TAP {tap} for {secs} s");

    ixgbe::signal::install();
    let mut pkts = Vec::with_capacity(32);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) && ixgbe::signal::requested().is_none() {
        sim.step();
        dev.rx_batch(0, &mut pkts, 32)?;
        // Rewrite requests into replies in place; drop everything else.
        pkts.retain_mut(|p| respond(&me, p) != Action::Ignore);
        dev.tx_batch(0, &mut pkts)?;
        pkts.clear();
        std::thread::sleep(Duration::from_micros(100));
    }
    Ok(())
}
