//! `ixgbe`: run the 82599 driver on the simulated card (default) or on real hardware
//! (`--pci ADDR`): packet generator, forwarder, echo/ARP+ICMP responder, statistics, register
//! dump. Prints Mpps and Gbit/s once per second.

mod cmds;
mod meter;

use clap::{Args, Parser, Subcommand};
use driver_82599::filter::PoolSet;
use driver_82599::vmdq::{PoolLayout, VmdqConfig};
use driver_82599::{backend, Config, Device};
use sim_82599::{Sim, Wire};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ixgbe", version, about = "User-space Intel 82599 driver tools")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Options every command takes.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// PCI address of a real 82599 (e.g. 0000:03:00.0); the simulated card when absent.
    /// `fwd` takes two.
    #[arg(long = "pci", value_name = "ADDR")]
    pub pci: Vec<String>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Write the simulated card's register access trace to this file.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,
    /// Packets per batch (1..=4096).
    #[arg(long, default_value_t = 32, value_parser = parse_batch)]
    pub batch: usize,
    /// Descriptors per ring (power of two).
    #[arg(long, default_value_t = 512)]
    pub ring: usize,
    /// Run the simulated card's engines on their own thread instead of stepping them in the
    /// driver's loop.
    #[arg(long)]
    pub threaded: bool,
    /// Receive only frames to these addresses (and broadcast) instead of everything
    /// (repeatable; RAL/RAH filters).
    #[arg(long = "mac", value_name = "MAC", value_parser = parse_mac)]
    pub macs: Vec<[u8; 6]>,
    /// Receive only these VLANs among tagged frames (repeatable; VFTA, VLNCTRL.VFE).
    #[arg(long = "vlan", value_name = "ID", value_parser = clap::value_parser!(u16).range(0..4096))]
    pub vlans: Vec<u16>,
    /// VMDq pools, 64x2 or 32x4: the command runs on pool 0 (the default pool), which gets
    /// the --mac and --vlan filters.
    #[arg(long, value_name = "LAYOUT", value_parser = parse_layout)]
    pub vmdq: Option<PoolLayout>,
}

fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = s.split(':').collect();
    let mut m = [0u8; 6];
    if parts.len() != 6 {
        return Err(format!(
            "{s:?}: a MAC address is six hex bytes, aa:bb:cc:dd:ee:ff"
        ));
    }
    for (b, p) in m.iter_mut().zip(parts) {
        *b = u8::from_str_radix(p, 16).map_err(|_| format!("{s:?}: {p:?} is not a hex byte"))?;
    }
    Ok(m)
}

fn parse_layout(s: &str) -> Result<PoolLayout, String> {
    match s {
        "64x2" => Ok(PoolLayout::Pools64x2),
        "32x4" => Ok(PoolLayout::Pools32x4),
        _ => Err(format!("{s:?}: pools are 64x2 or 32x4")),
    }
}

/// Largest `--batch`: more than any ring gives back in one call.
const MAX_BATCH: usize = 4096;

fn parse_batch(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_BATCH).contains(&n) => Ok(n),
        Ok(n) => Err(format!("{n} packets: must be 1..={MAX_BATCH}")),
        Err(e) => Err(format!("{s:?}: {e}")),
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Send packets as fast as possible and report the TX rate.
    Pktgen {
        #[command(flatten)]
        c: Common,
        /// Frame size in bytes without CRC (60..=1514).
        #[arg(long, default_value_t = 60)]
        size: usize,
        /// Limit the transmit queue to this many Mbit/s on the wire (10..=10000).
        #[arg(long, value_name = "MBPS")]
        rate: Option<u32>,
    },
    /// Forward everything between two ports, both ways.
    Fwd {
        #[command(flatten)]
        c: Common,
    },
    /// Send every received packet back out of the same port; with --respond, answer ARP and
    /// ICMP echo requests instead.
    Echo {
        #[command(flatten)]
        c: Common,
        /// Answer ARP and ping for --ip instead of reflecting everything.
        #[arg(long)]
        respond: bool,
        /// Attach the simulated port to this Linux TAP device (implies --respond).
        #[arg(long, value_name = "NAME")]
        tap: Option<String>,
        /// Our IPv4 address for --respond.
        #[arg(long, default_value = "10.11.12.2")]
        ip: std::net::Ipv4Addr,
    },
    /// Print the device statistics once per second.
    Stats {
        #[command(flatten)]
        c: Common,
    },
    /// Dump the registers by name.
    Regs {
        #[command(flatten)]
        c: Common,
        /// Only registers whose name contains one of these (case-insensitive).
        names: Vec<String>,
        /// Initialise the device first (always done on the simulated card).
        #[arg(long)]
        init: bool,
        /// Also read the read-to-clear counters (reading clears them).
        #[arg(long)]
        counters: bool,
        /// Print array elements that read 0 too.
        #[arg(long)]
        all: bool,
    },
}

/// The driver's errors, and the tool's own.
type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn config(c: &Common) -> Config {
    let queues = c.vmdq.map_or(1, |l| l.queues_per_pool() as u16);
    Config {
        rx_ring: c.ring,
        tx_ring: c.ring,
        pool_size: (c.ring * 4).max(1024),
        rx_queues: queues,
        tx_queues: queues,
        promisc: c.macs.is_empty() && c.vmdq.is_none(),
        vmdq: c.vmdq.map(|layout| VmdqConfig {
            layout,
            ..VmdqConfig::default()
        }),
        ..Config::default()
    }
}

/// The --mac and --vlan filters, into pool 0 with pools.
fn filters<B: regdsl_rt::Bus + Clone>(dev: &mut Device<B>, c: &Common) -> AnyResult {
    let pools = if c.vmdq.is_some() {
        PoolSet::one(0)
    } else {
        PoolSet::NONE
    };
    for &m in &c.macs {
        dev.add_mac(m, pools)?;
    }
    for &v in &c.vlans {
        dev.add_vlan(v, pools)?;
    }
    if !c.vlans.is_empty() {
        dev.set_vlan_filter(true)?;
    }
    Ok(())
}

/// A simulated card with `ports` ports, tracing to `--trace`.
fn sim(c: &Common, ports: usize) -> AnyResult<Sim> {
    let sim = Sim::builder()
        .ports(ports)
        .strict(true)
        .threaded(c.threaded)
        .try_build()?;
    if let Some(path) = &c.trace {
        let f = std::fs::File::create(path)
            .map_err(|e| format!("cannot create trace file {}: {e}", path.display()))?;
        sim.trace_to(std::io::BufWriter::new(f));
    }
    Ok(sim)
}

fn open_sim(sim: &Sim, port: usize, cfg: Config) -> AnyResult<Device<sim_82599::Port>> {
    Ok(Device::new(sim.port(port), sim.dma(), cfg)?)
}

/// A port the command runs on: opened, with the --mac/--vlan filters.
fn open_sim_with(sim: &Sim, port: usize, c: &Common) -> AnyResult<Device<sim_82599::Port>> {
    let mut dev = open_sim(sim, port, config(c))?;
    filters(&mut dev, c)?;
    Ok(dev)
}

fn open_pci_with(addr: &str, c: &Common) -> AnyResult<Device<regdsl_rt::Mmio>> {
    let mut dev = backend::open_pci(addr, config(c))?;
    filters(&mut dev, c)?;
    Ok(dev)
}

fn report_violations(sim: &Sim) -> AnyResult {
    let v = sim.violations();
    if v.is_empty() {
        return Ok(());
    }
    for x in &v {
        eprintln!("strict mode: {x}");
    }
    Err(format!("{} strict-mode violation(s)", v.len()).into())
}

fn hw_only(c: &Common) -> AnyResult {
    if c.trace.is_some() {
        return Err("--trace records the simulated card; it cannot be used with --pci".into());
    }
    Ok(())
}

fn run(cli: Cli) -> AnyResult {
    match cli.cmd {
        Cmd::Pktgen { c, size, rate } => {
            if !(60..=1514).contains(&size) {
                return Err(format!("--size {size}: must be 60..=1514").into());
            }
            if let Some(r) = rate {
                driver_82599::ratelimit::factor(r)?;
            }
            if let Some(addr) = c.pci.first() {
                hw_only(&c)?;
                let mut dev = open_pci_with(addr, &c)?;
                dev.set_tx_rate(0, rate)?;
                return cmds::pktgen(&mut dev, &|| {}, &c, size);
            }
            let sim = sim(&c, 1)?;
            sim.connect(Wire::Loopback(0))?;
            let mut dev = open_sim_with(&sim, 0, &c)?;
            dev.set_tx_rate(0, rate)?;
            println!("simulated card, port 0 looped back (rates include the simulator's work)");
            let step = stepper(&sim, c.threaded);
            cmds::pktgen(&mut dev, &step, &c, size)?;
            report_violations(&sim)
        }
        Cmd::Fwd { c } => {
            if !c.pci.is_empty() {
                hw_only(&c)?;
                let [a, b] = c.pci.as_slice() else {
                    return Err("fwd takes two ports: --pci A --pci B".into());
                };
                let mut da = open_pci_with(a, &c)?;
                let mut db = open_pci_with(b, &c)?;
                return cmds::fwd(&mut da, &mut db, &mut || {}, &c);
            }
            // gen(2) <-> A(0), B(1) <-> gen(3): two generators feed the forwarder both ways.
            let sim = sim(&c, 4)?;
            sim.connect(Wire::Pair(2, 0))?;
            sim.connect(Wire::Pair(1, 3))?;
            let mut da = open_sim_with(&sim, 0, &c)?;
            let mut db = open_sim_with(&sim, 1, &c)?;
            let mut g = cmds::Generator::new(
                vec![
                    open_sim(&sim, 2, config(&c))?,
                    open_sim(&sim, 3, config(&c))?,
                ],
                c.batch,
                60,
            )?;
            println!(
                "simulated card: generators on ports 2 and 3 feed ports 0 <-> 1 \
                 (rates include the simulator's and the generators' work)"
            );
            let step = stepper(&sim, c.threaded);
            cmds::fwd(
                &mut da,
                &mut db,
                &mut || {
                    g.run();
                    step()
                },
                &c,
            )?;
            report_violations(&sim)
        }
        Cmd::Echo {
            c,
            respond,
            tap,
            ip,
        } => {
            let respond = respond || tap.is_some();
            if let Some(addr) = c.pci.first() {
                hw_only(&c)?;
                if tap.is_some() {
                    return Err(
                        "--tap attaches the simulated card; it cannot be used with --pci".into(),
                    );
                }
                let mut dev = open_pci_with(addr, &c)?;
                return cmds::echo(&mut dev, &mut || {}, &c, respond.then_some(ip));
            }
            let sim = sim(&c, 2)?;
            let mut gen = None;
            if let Some(name) = &tap {
                sim.connect(Wire::Tap {
                    port: 0,
                    name: name.clone(),
                })
                .map_err(|e| format!("cannot attach TAP device {name}: {e}"))?;
                println!(
                    "simulated port 0 attached to TAP {name}; answering ARP and ping for {ip}"
                );
            } else {
                sim.connect(Wire::Pair(1, 0))?;
                println!("simulated card: a generator on port 1 feeds port 0");
            }
            let mut dev = open_sim_with(&sim, 0, &c)?;
            if tap.is_none() {
                gen = Some(cmds::Generator::new(
                    vec![open_sim(&sim, 1, config(&c))?],
                    c.batch,
                    60,
                )?);
            }
            let step = stepper(&sim, c.threaded);
            cmds::echo(
                &mut dev,
                &mut || {
                    if let Some(g) = gen.as_mut() {
                        g.run();
                    }
                    step()
                },
                &c,
                respond.then_some(ip),
            )?;
            report_violations(&sim)
        }
        Cmd::Stats { c } => {
            if let Some(addr) = c.pci.first() {
                hw_only(&c)?;
                let mut dev = backend::open_pci(addr, config(&c))?;
                return cmds::stats(&mut dev, &|| {}, &c);
            }
            let sim = sim(&c, 1)?;
            sim.connect(Wire::Loopback(0))?;
            let mut dev = open_sim(&sim, 0, config(&c))?;
            let step = stepper(&sim, c.threaded);
            cmds::stats(&mut dev, &step, &c)?;
            report_violations(&sim)
        }
        Cmd::Regs {
            c,
            names,
            init,
            counters,
            all,
        } => {
            let opts = cmds::DumpOptions {
                names,
                counters,
                all,
            };
            if let Some(addr) = c.pci.first() {
                hw_only(&c)?;
                if init {
                    let dev = backend::open_pci(addr, config(&c))?;
                    return cmds::dump(dev.regs().bus(), &opts);
                }
                let bar = backend::map_pci(addr)?;
                return cmds::dump(&bar, &opts);
            }
            let sim = sim(&c, 1)?;
            let dev = open_sim(
                &sim,
                0,
                Config {
                    wait_link: false,
                    ..config(&c)
                },
            )?;
            cmds::dump(dev.regs().bus(), &opts)?;
            report_violations(&sim)
        }
    }
}

/// What the driver loop calls between batches: step the simulated card, unless it runs on
/// its own thread.
fn stepper(sim: &Sim, threaded: bool) -> impl Fn() + '_ {
    move || {
        if !threaded {
            sim.step();
        }
    }
}

fn main() -> ExitCode {
    // Die quietly when stdout goes away (`ixgbe regs | head`), as command-line tools do,
    // instead of failing in `println!`.
    // SAFETY: restoring the default disposition of a signal; no handler code is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ixgbe: {e}");
            ExitCode::FAILURE
        }
    }
}
