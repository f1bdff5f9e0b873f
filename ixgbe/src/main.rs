//! `ixgbe`: run the 82599 driver on the simulated card (default) or on real hardware
//! (`--pci ADDR`): packet generator, forwarder, echo/ARP+ICMP responder, statistics, register
//! dump. Prints Mpps and Gbit/s once per second.
//!
//! Exit paths: SIGINT/SIGTERM stop the loops, which print their totals and return (exit 0);
//! errors return through `?` and panics unwind (exit 1 and 101; a wrong or conflicting
//! argument, found before any card is touched, exits 2 as clap's own usage errors do). On
//! each of them the devices are dropped, and `Device::drop` stops the card, before the DMA
//! memory they used is released. Nothing here calls `process::exit`, which would skip that. On the simulated card
//! the strict-mode rules are checked after the devices are gone, so a card left running while
//! its memory goes back is reported (exit 1), on the panic path too.

mod cmds;
mod meter;

use clap::{Args, Parser, Subcommand};
use driver_82599::filter::PoolSet;
use driver_82599::share::{AttachConfig, Attached, Primary, Reserved, ShareDir};
use driver_82599::vmdq::{PoolLayout, VmdqConfig};
use driver_82599::{backend, Config, Device};
use ixgbe::signal;
use pci_dma::PciOptions;
use sim_82599::{Sim, Wire};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(name = "ixgbe", version, about = "User-space Intel 82599 driver tools")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Where the port is: a real card by PCI address, or the simulated card.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// PCI address of a real 82599 (e.g. 0000:03:00.0); the simulated card when absent.
    /// One port (fwd takes two).
    #[arg(long = "pci", value_name = "ADDR", value_parser = parse_pci)]
    pub pci: Vec<String>,
    #[command(flatten)]
    pub sysfs: SysfsRoot,
}

impl Target {
    /// The one real port, if any: a second `--pci` is refused, not ignored.
    fn port(&self, cmd: &str) -> AnyResult<Option<&str>> {
        match self.pci.as_slice() {
            [] => Ok(None),
            [a] => Ok(Some(a)),
            more => Err(usage(format!(
                "{cmd} drives one port, but --pci was given {} times ({}); only fwd takes two",
                more.len(),
                more.join(", ")
            ))),
        }
    }
}

/// The sysfs tree real devices are found in (tests point it at a fake tree).
#[derive(Args, Clone, Debug)]
pub struct SysfsRoot {
    /// Root of the sysfs tree for --pci (a fake tree in tests; not root-checked then).
    #[arg(long, value_name = "DIR", default_value = "/sys", hide = true)]
    pub sysfs_root: PathBuf,
}

impl SysfsRoot {
    fn options(&self) -> PciOptions {
        let real = self.sysfs_root == std::path::Path::new("/sys");
        PciOptions {
            sysfs_root: self.sysfs_root.clone(),
            require_root: real,
            backend: if real {
                pci_dma::Backend::Auto
            } else {
                pci_dma::Backend::Sysfs
            },
            ..PciOptions::default()
        }
    }
}

/// Options of the simulated card.
#[derive(Args, Clone, Debug)]
pub struct SimOpts {
    /// Write the simulated card's register access trace to this file (each line starts with
    /// its port: p0, p1, ...).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Run the simulated card's engines on their own thread instead of stepping them in the
    /// driver's loop.
    #[arg(long)]
    pub threaded: bool,
}

/// A simulated card in another process (`ixgbe card --socket PATH`) instead of in-process.
#[derive(Args, Clone, Debug)]
pub struct CardOpts {
    /// Use the simulated card served by `ixgbe card --socket PATH` (another process) instead
    /// of an in-process one.
    #[arg(long, value_name = "PATH", conflicts_with = "pci")]
    pub card: Option<PathBuf>,
    /// With --card: the card's port to use (`fwd`: the first of two).
    #[arg(long, default_value_t = 0, requires = "card", value_parser = parse_port)]
    pub port: usize,
}

/// Sharing one card between processes (`driver_82599::share`): a primary that initialises
/// it and sets queues aside, secondaries attached to those queues.
#[derive(Args, Clone, Debug)]
pub struct ShareOpts {
    /// Primary: set this many queue pairs aside for secondaries (queues 1..=N; RSS spreads
    /// over queue 0 and them; the primary itself runs on queue 0); with --vmdq, this many
    /// whole pools (pools 1..=N, the primary on pool 0). fwd: on each of its two ports, each
    /// with its own share directory.
    #[arg(long, value_name = "N", default_value_t = 0, conflicts_with = "attach",
          value_parser = clap::value_parser!(u16).range(0..=15))]
    pub share: u16,
    /// Primary, with --share: at the end, wait up to this many seconds for attached
    /// secondaries to detach before stopping the card (they see it stopped after that).
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "share")]
    pub wait_secondaries: u64,
    /// Attach to a card another process (the primary) initialised, without resetting it:
    /// touch only the registers of --queue (or --pool's queues; stats: read only, no queue).
    /// Ends with its totals on SIGINT/SIGTERM or --seconds, and with an error once the
    /// primary stops.
    #[arg(long)]
    pub attach: bool,
    /// With --attach: the queue pair to take. fwd: queue pair N of both ports (each port's
    /// primary must share it), A's received frames sent from B's queue N and the other way.
    #[arg(long, value_name = "N", requires = "attach", conflicts_with = "pool")]
    pub queue: Option<u16>,
    /// With --attach: the VMDq pool to take, all its queue pairs together (the primary runs
    /// --vmdq and shares it). The loops run on the pool's first queue, where every frame of
    /// the pool arrives (no RSS inside the pools); pktgen sends to the address the primary
    /// gave the pool (--pool-mac). fwd: pool P of both ports.
    #[arg(long, value_name = "P", requires = "attach")]
    pub pool: Option<u16>,
}

/// The share directory of a card process's port: next to its socket.
fn card_share_dir(socket: &std::path::Path, port: usize) -> ShareDir {
    let mut s = socket.as_os_str().to_owned();
    s.push(format!(".port{port}.share"));
    ShareDir::new(PathBuf::from(s))
}

/// Options of the packet loops (pktgen, fwd, echo).
#[derive(Args, Clone, Debug)]
pub struct LoopOpts {
    /// Stop after this many seconds (default: run until interrupted, Ctrl-C or SIGTERM).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Packets per batch (1..=4096).
    #[arg(long, default_value_t = 32, value_parser = parse_batch)]
    pub batch: usize,
    /// Descriptors per ring (a power of two, 8..=32768).
    #[arg(long, default_value_t = 512, value_parser = parse_ring)]
    pub ring: usize,
    /// Test hook: panic inside the loop after this many seconds (checks that a panic stops
    /// the card before its memory goes back).
    #[arg(long, value_name = "SECS", hide = true)]
    pub panic_after: Option<u64>,
    /// fwd/echo: receive by interrupt (MSI-X), NAPI-like: poll while packets come, sleep on
    /// the receive queue's vector after 64 empty polls. Needs a card that runs on its own:
    /// --card, --threaded, or --pci through VFIO.
    #[arg(long, alias = "irq")]
    pub interrupts: bool,
    /// With --interrupts: minimum time between two interrupts of a queue, in microseconds
    /// (EITR moderation, 2 us steps, at most 1022).
    #[arg(long, value_name = "US", default_value_t = 0, requires = "interrupts",
          value_parser = clap::value_parser!(u32).range(0..=1022))]
    pub itr_us: u32,
}

/// Receive filters and pools of the port a command runs on.
#[derive(Args, Clone, Debug)]
pub struct FilterOpts {
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
    /// With --vmdq: give pool P this unicast address (repeatable; a RAL/RAH filter whose
    /// MPSAR selects pool P): frames to it go to pool P, e.g. a shared pool's secondary.
    #[arg(long = "pool-mac", value_name = "P=MAC", value_parser = parse_pool_mac, requires = "vmdq")]
    pub pool_macs: Vec<(u8, [u8; 6])>,
    /// fwd/echo: steer a flow with a Flow Director filter (repeatable), e.g. 'udp dst-port
    /// 4789 queue 1' or 'tcp src 10.0.0.0/8 drop': FLOW (tcp udp sctp, tcp6 udp6 sctp6),
    /// then any of src ADDR[/LEN], dst ADDR[/LEN], src-port N, dst-port N (all rules the
    /// same fields), then queue N (0: this process; 1..=N: --share's secondaries) or drop.
    /// The simulated generators then send IPv4 UDP from 10.0.0.1 ports 1000-1015 to 10.0.0.2
    /// ports 4789 and 53.
    #[arg(long = "fdir", value_name = "RULE", value_parser = ixgbe::fdir_rule::parse)]
    pub fdir: Vec<ixgbe::fdir_rule::Rule>,
}

fn parse_pool_mac(s: &str) -> Result<(u8, [u8; 6]), String> {
    let (p, m) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: give POOL=MAC, e.g. 1=02:00:00:00:00:01"))?;
    let p = p
        .parse::<u8>()
        .ok()
        .filter(|&p| p < 64)
        .ok_or_else(|| format!("{s:?}: {p:?} is not a pool number (0..=63)"))?;
    let mac = parse_mac(m)?;
    // The group bit: a multicast (or broadcast) address selects no one pool.
    if mac[0] & 1 != 0 {
        return Err(format!(
            "{s:?}: {m} is a multicast address; a pool's address is unicast"
        ));
    }
    Ok((p, mac))
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
        // from_str_radix takes a sign (`+2`): only one or two hex digits are a byte here.
        if !(1..=2).contains(&p.len()) || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("{s:?}: {p:?} is not a hex byte"));
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| format!("{s:?}: {p:?} is not a hex byte"))?;
    }
    Ok(m)
}

/// `--pci`: a PCI address, checked while parsing (the device itself when it is opened), in
/// its sysfs spelling: `03:00.0` and `0000:03:00.0` are one device, with one share directory
/// (`/run/ixgbe/ADDR`), and fwd refuses them as two ports.
fn parse_pci(s: &str) -> Result<String, String> {
    s.parse::<pci_dma::PciAddr>()
        .map(|a| a.to_string())
        .map_err(|e| e.to_string())
}

/// `--ip`: an address a host can have (ARP and ping answered for it).
fn parse_ip(s: &str) -> Result<std::net::Ipv4Addr, String> {
    let ip: std::net::Ipv4Addr = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
        return Err(format!(
            "{ip} is not a host's address (not 0.0.0.0, broadcast or multicast)"
        ));
    }
    Ok(ip)
}

/// `--port`: a card process has at most 64 ports (`ixgbe card --ports`); whether this one has
/// the port is asked when it is reached.
fn parse_port(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n < 64 => Ok(n),
        Ok(n) => Err(format!(
            "port {n}: a card process has at most 64 ports (0..=63)"
        )),
        Err(e) => Err(format!("{s:?}: {e}")),
    }
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

/// `--ring`: what the driver accepts (a power of two, `MIN_RING..=MAX_RING`), checked while
/// parsing.
fn parse_ring(s: &str) -> Result<usize, String> {
    use driver_82599::config::{MAX_RING, MIN_RING};
    match s.parse::<usize>() {
        Ok(n) if n.is_power_of_two() && (MIN_RING..=MAX_RING).contains(&n) => Ok(n),
        Ok(n) => Err(format!(
            "{n} descriptors: must be a power of two, {MIN_RING}..={MAX_RING}"
        )),
        Err(e) => Err(format!("{s:?}: {e}")),
    }
}

/// `--rate`: Mbit/s the transmit rate scheduler can hold (`driver_82599::ratelimit`).
fn parse_rate(s: &str) -> Result<u32, String> {
    use driver_82599::ratelimit::{LINE_RATE_MBPS, MIN_RATE_MBPS};
    match s.parse::<u32>() {
        Ok(n) if (MIN_RATE_MBPS..=LINE_RATE_MBPS).contains(&n) => Ok(n),
        Ok(n) => Err(format!(
            "{n} Mbit/s: must be {MIN_RATE_MBPS}..={LINE_RATE_MBPS}"
        )),
        Err(e) => Err(format!("{s:?}: {e}")),
    }
}

fn parse_batch(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_BATCH).contains(&n) => Ok(n),
        Ok(n) => Err(format!("{n} packets: must be 1..={MAX_BATCH}")),
        Err(e) => Err(format!("{s:?}: {e}")),
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Send packets as fast as possible and report the TX rate (one port).
    // Options of the receive loops, refused here by name: not in the help.
    #[command(mut_arg("fdir", |a| a.hide(true)), mut_arg("interrupts", |a| a.hide(true)),
              mut_arg("itr_us", |a| a.hide(true)))]
    Pktgen {
        #[command(flatten)]
        t: Target,
        #[command(flatten)]
        c: CardOpts,
        #[command(flatten)]
        s: SimOpts,
        #[command(flatten)]
        l: LoopOpts,
        #[command(flatten)]
        f: FilterOpts,
        /// Frame size in bytes without CRC (60..=1514).
        #[arg(long, default_value_t = 60)]
        size: usize,
        /// Limit the transmit queue to this many Mbit/s on the wire (10..=10000).
        #[arg(long, value_name = "MBPS", value_parser = parse_rate)]
        rate: Option<u32>,
        #[command(flatten)]
        sh: ShareOpts,
    },
    /// Forward everything between two ports, both ways (--attach: queue pair or pool of each
    /// port, under each port's primary).
    Fwd {
        /// PCI addresses of the two real 82599 ports (give --pci twice); the simulated card
        /// when absent.
        #[arg(long = "pci", value_name = "ADDR", value_parser = parse_pci)]
        pci: Vec<String>,
        #[command(flatten)]
        sysfs: SysfsRoot,
        #[command(flatten)]
        c: CardOpts,
        #[command(flatten)]
        s: SimOpts,
        #[command(flatten)]
        l: LoopOpts,
        #[command(flatten)]
        f: FilterOpts,
        #[command(flatten)]
        sh: ShareOpts,
    },
    /// Send every received packet back out of the same port; with --respond, answer ARP and
    /// ICMP echo requests instead.
    #[command(group(clap::ArgGroup::new("responder").args(["respond", "tap"]).multiple(true)))]
    Echo {
        #[command(flatten)]
        t: Target,
        #[command(flatten)]
        c: CardOpts,
        #[command(flatten)]
        s: SimOpts,
        #[command(flatten)]
        l: LoopOpts,
        #[command(flatten)]
        f: FilterOpts,
        /// Answer ARP and ping for --ip instead of reflecting everything.
        #[arg(long)]
        respond: bool,
        /// Attach the simulated port to this Linux TAP device (implies --respond).
        #[arg(long, value_name = "NAME")]
        tap: Option<String>,
        /// Our IPv4 address for --respond.
        #[arg(long, default_value = "10.11.12.2", requires = "responder", value_parser = parse_ip)]
        ip: std::net::Ipv4Addr,
        #[command(flatten)]
        sh: ShareOpts,
    },
    /// Print the device statistics once per second. With --pci it only maps BAR0 and reads
    /// the counters (reading clears them); --init takes the device and initialises it.
    #[command(mut_arg("fdir", |a| a.hide(true)))]
    Stats {
        #[command(flatten)]
        t: Target,
        #[command(flatten)]
        c: CardOpts,
        #[command(flatten)]
        s: SimOpts,
        #[command(flatten)]
        f: FilterOpts,
        /// Stop after this many seconds (default: run until interrupted, Ctrl-C or SIGTERM).
        #[arg(long)]
        seconds: Option<u64>,
        /// With --pci: unbind the kernel driver, reset and initialise the port first (always
        /// done on the simulated card).
        #[arg(long)]
        init: bool,
        /// Read the per-queue state of a card other processes share (with --card), without
        /// taking anything or reading a register that clears.
        #[arg(long)]
        attach: bool,
    },
    /// Run the simulated card as a process of its own, serving `--card PATH` clients until
    /// interrupted (SIGINT/SIGTERM; or --seconds), then print each port's totals.
    Card {
        /// The Unix socket to listen on (a stale socket file is replaced).
        #[arg(long, value_name = "PATH")]
        socket: PathBuf,
        /// Number of ports.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
        ports: u16,
        /// Wire ports 0-1, 2-3, ... to each other instead of looping each back to itself.
        #[arg(long)]
        pairs: bool,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Dump the registers by name. With --pci it only maps BAR0 and reads (the kernel driver
    /// stays bound, nothing is reset or written); --init initialises the device first.
    Regs {
        #[command(flatten)]
        t: Target,
        #[command(flatten)]
        c: CardOpts,
        /// Write the simulated card's register access trace to this file.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Only registers whose name contains one of these (case-insensitive).
        names: Vec<String>,
        /// With --pci: unbind the kernel driver, reset and initialise the port first (always
        /// done on the simulated card).
        #[arg(long)]
        init: bool,
        /// Also read the read-to-clear counters (reading clears them).
        #[arg(long)]
        counters: bool,
        /// Print array elements that read 0 too.
        #[arg(long)]
        all: bool,
        /// Show each value field by field: named values, and set bits no field of the table
        /// defines (as `regdsl decode` does).
        #[arg(long)]
        fields: bool,
    },
}

/// The driver's errors, and the tool's own.
type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// A wrong or conflicting argument, found before the card is touched: exit 2, as clap's own
/// usage errors (other errors exit 1).
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn usage(msg: impl Into<String>) -> Box<dyn std::error::Error> {
    Box::new(Usage(msg.into()))
}

fn config(ring: usize, f: &FilterOpts) -> Config {
    let queues = f.vmdq.map_or(1, |l| l.queues_per_pool() as u16);
    let cfg = Config {
        rx_ring: ring,
        tx_ring: ring,
        pool_size: (ring * 4).max(1024),
        rx_queues: queues,
        tx_queues: queues,
        promisc: f.macs.is_empty() && f.vmdq.is_none(),
        vmdq: f.vmdq.map(|layout| VmdqConfig {
            layout,
            ..VmdqConfig::default()
        }),
        ..Config::default()
    };
    cmds::fdir_config(cfg, &f.fdir)
}

/// The plain configuration (no filters, no pools).
fn plain(ring: usize) -> Config {
    config(
        ring,
        &FilterOpts {
            macs: vec![],
            vlans: vec![],
            vmdq: None,
            pool_macs: vec![],
            fdir: vec![],
        },
    )
}

/// `--fdir` steers received frames: for the receive loops only.
fn no_fdir(f: &FilterOpts, cmd: &str) -> AnyResult {
    if !f.fdir.is_empty() {
        return Err(usage(format!(
            "--fdir steers received frames to fwd's and echo's queues; not with {cmd}"
        )));
    }
    Ok(())
}

/// What the --fdir rules and --pool-mac addresses name, checked against each other and
/// --share before the card is touched (the driver would refuse them only once it is reset).
/// `share`: None for a command without --share (stats).
fn check_filters(f: &FilterOpts, share: Option<u16>) -> AnyResult {
    ixgbe::fdir_rule::plan(&f.fdir).map_err(usage)?;
    let hint = |what: &str| match share {
        None => String::new(),
        Some(0) => format!(" (give --share N for {what}s 1..=N, each a secondary's)"),
        Some(n) => format!(" and --share {n} gives secondaries {what}s 1..={n}"),
    };
    let share = share.unwrap_or(0);
    for r in &f.fdir {
        if let Some(q) = r.queue.filter(|&q| q > share) {
            return Err(usage(format!(
                "--fdir {:?}: queue {q}: this process runs on queue 0{}",
                r.text,
                hint("queue")
            )));
        }
    }
    for &(p, _) in &f.pool_macs {
        if u16::from(p) > share {
            return Err(usage(format!(
                "--pool-mac {p}=MAC: pool {p} has no queues: this process runs pool 0{}",
                hint("pool")
            )));
        }
    }
    Ok(())
}

/// The simulated generators' configuration: the command's filters, no Flow Director.
fn gen_config(ring: usize, f: &FilterOpts) -> Config {
    Config {
        fdir: None,
        ..config(
            ring,
            &FilterOpts {
                fdir: vec![],
                ..f.clone()
            },
        )
    }
}

/// The --mac and --vlan filters, into pool 0 with pools.
fn filters<B: regdsl_rt::Bus + Clone>(dev: &mut Device<B>, f: &FilterOpts) -> AnyResult {
    let pools = if f.vmdq.is_some() {
        PoolSet::one(0)
    } else {
        PoolSet::NONE
    };
    for &m in &f.macs {
        dev.add_mac(m, pools)?;
    }
    for &(p, m) in &f.pool_macs {
        dev.add_mac(m, PoolSet::one(p))?;
    }
    for &v in &f.vlans {
        dev.add_vlan(v, pools)?;
    }
    if !f.vlans.is_empty() {
        dev.set_vlan_filter(true)?;
    }
    cmds::add_fdir(dev, &f.fdir)
}

/// A port the command runs on: opened, with the --mac/--vlan filters.
fn open_sim_with(
    sim: &Sim,
    port: usize,
    ring: usize,
    f: &FilterOpts,
) -> AnyResult<Device<sim_82599::Port>> {
    let mut dev = open_sim(sim, port, config(ring, f))?;
    filters(&mut dev, f)?;
    Ok(dev)
}

/// A simulated card with `ports` ports, tracing to `trace`.
/// The simulated card's DMA memory for `ports` ports configured as `cfg`: per port its rings,
/// a receive pool per queue and a frame pool as large (pktgen's, a generator's), with slack;
/// at least the card's default 256 MiB. The memory is sparse: only what is used costs. A ring
/// size that needs more than 8 GiB is refused here, by name, rather than failing later as
/// "DMA memory exhausted".
fn sim_memory(ports: usize, cfg: &Config) -> AnyResult<usize> {
    const MAX: usize = 8 << 30;
    let queues = usize::from(cfg.rx_queues.max(cfg.tx_queues));
    let buffers = cfg.pool_size * (queues + 1) + 2048;
    let rings = queues * (cfg.rx_ring + cfg.tx_ring) * 16;
    let need = ports * (buffers * cfg.buf_size.max(2048) + rings + (4 << 20));
    if need > MAX {
        return Err(usage(format!(
            "--ring {}: {} port(s) would need {} MiB of simulated DMA memory ({} buffers of {} \
             bytes per port); the simulated card has at most {} MiB: use a smaller --ring",
            cfg.rx_ring,
            ports,
            need >> 20,
            buffers,
            cfg.buf_size,
            MAX >> 20
        )));
    }
    Ok(need.max(256 << 20))
}

fn sim(s: &SimOpts, ports: usize, cfg: &Config) -> AnyResult<Sim> {
    let sim = Sim::builder()
        .ports(ports)
        .strict(true)
        .threaded(s.threaded)
        .dma_size(sim_memory(ports, cfg)?)
        .try_build()?;
    if let Some(path) = &s.trace {
        let f = std::fs::File::create(path)
            .map_err(|e| format!("cannot create trace file {}: {e}", path.display()))?;
        let out: Shared = Arc::new(Mutex::new(std::io::BufWriter::new(f)));
        for port in 0..ports {
            sim.trace_port_to(
                port,
                PortColumn {
                    port,
                    line: Vec::new(),
                    out: out.clone(),
                    path: path.clone(),
                },
            )?;
        }
    }
    Ok(sim)
}

type Shared = Arc<Mutex<std::io::BufWriter<std::fs::File>>>;

/// One port's trace lines into the shared trace file, each whole line prefixed with the port
/// (`p1 W 0x01028 0x02000000 RXDCTL[0]`): the ports' lines interleave.
struct PortColumn {
    port: usize,
    line: Vec<u8>,
    out: Shared,
    path: PathBuf,
}

/// The first error writing a `--trace` file (a full disk): the card's trace sink cannot
/// return it, so the command fails with it at the end instead of leaving a cut trace behind
/// an exit 0.
static TRACE_ERROR: Mutex<Option<String>> = Mutex::new(None);

impl PortColumn {
    fn failed<T>(&self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            let mut first = TRACE_ERROR.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert_with(|| format!("writing trace file {}: {e}", self.path.display()));
        }
        r
    }
}

/// A `--trace` file that could not be written whole is an error.
fn trace_written() -> AnyResult {
    match TRACE_ERROR.lock().unwrap_or_else(|e| e.into_inner()).take() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

impl std::io::Write for PortColumn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
                let r = write!(out, "p{} ", self.port).and_then(|()| out.write_all(&self.line));
                drop(out);
                self.line.clear();
                self.failed(r)?;
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.out.lock().unwrap_or_else(|e| e.into_inner()).flush();
        self.failed(r)
    }
}

impl Drop for PortColumn {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

fn open_sim(sim: &Sim, port: usize, cfg: Config) -> AnyResult<Device<sim_82599::Port>> {
    Ok(Device::new(sim.port(port), sim.dma(), cfg)?)
}

/// Runs `body` on the simulated card, then checks its strict-mode rules once everything
/// `body` made (devices, pools) is gone, whether `body` returned or panicked: a card still
/// running when its memory was released shows here. A panic goes on unwinding afterwards.
fn on_sim(sim: &Sim, body: impl FnOnce(&Sim) -> AnyResult) -> AnyResult {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(sim)));
    let violations = print_violations(sim, 0);
    match r {
        Err(panic) => std::panic::resume_unwind(panic),
        Ok(r) => {
            r?;
            no_violations(violations)
        }
    }
}

/// Prints the in-process card's strict-mode violations after the first `seen`; returns how
/// many it has recorded in all.
fn print_violations(sim: &Sim, seen: usize) -> usize {
    let v = sim.violations();
    for x in &v[seen.min(v.len())..] {
        eprintln!("strict mode: {x}");
    }
    v.len()
}

/// Strict-mode violations of the in-process card are an error.
fn no_violations(count: usize) -> AnyResult {
    if count == 0 {
        Ok(())
    } else {
        Err(format!("{count} strict-mode violation(s)").into())
    }
}

/// A card process's ports in use by this process: each locked, then reset and initialised.
/// Fields drop in order: the devices stop before their locks go.
struct CardPorts {
    /// The primary's claim and publication of each port (its share directory).
    share: Vec<Primary>,
    devs: Vec<Device<sim_client::CardPort>>,
    _locks: Vec<sim_client::PortLock>,
    card: sim_client::Card,
}

impl CardPorts {
    /// Runs `body` on the one port opened, with its share directory and how long to wait for
    /// its secondaries at the end; then the card's strict-mode record.
    fn run_one(
        &mut self,
        wait: std::time::Duration,
        body: impl FnOnce(
            &mut Device<sim_client::CardPort>,
            (&mut Primary, std::time::Duration),
        ) -> AnyResult,
    ) -> AnyResult {
        let CardPorts { share, devs, .. } = self;
        let share = share.first_mut().ok_or("no share directory")?;
        body(&mut devs[0], (share, wait))?;
        report_card(&self.card)
    }
}

/// The card process's ports `c.port..c.port + ports`, locked (a port another live process
/// drives is refused, not reset under it), opened, initialised and filtered.
fn open_card(
    path: &std::path::Path,
    c: &CardOpts,
    ports: usize,
    cfg: Config,
    f: &FilterOpts,
) -> AnyResult<CardPorts> {
    let card = sim_client::Card::connect(path)?;
    let locks = (c.port..c.port + ports)
        .map(|p| card.lock_port(p))
        .collect::<Result<Vec<_>, _>>()?;
    // Each port's share directory, claimed before the reset: refused while secondaries of
    // an earlier primary still run on it.
    let mut share = (c.port..c.port + ports)
        .map(|p| Primary::claim(card_share_dir(path, p)))
        .collect::<Result<Vec<_>, _>>()?;
    let devs = (c.port..c.port + ports)
        .map(|p| {
            let mut dev = Device::new(card.port(p)?, card.dma(), cfg.clone())?;
            filters(&mut dev, f)?;
            Ok(dev)
        })
        .collect::<AnyResult<Vec<_>>>()?;
    for (p, dev) in share.iter_mut().zip(&devs) {
        p.publish(dev)?;
    }
    Ok(CardPorts {
        share,
        devs,
        _locks: locks,
        card,
    })
}

/// --card runs the driver on another process's card: the in-process card's options do not
/// apply.
fn no_sim_opts_with_card(c: &CardOpts, trace: &Option<PathBuf>, threaded: bool) -> AnyResult {
    if c.card.is_some() && (trace.is_some() || threaded) {
        return Err(usage(
            "--trace and --threaded are options of the in-process card; not with --card",
        ));
    }
    Ok(())
}

/// Strict-mode violations the card process recorded (for all its clients) are an error.
fn report_card(card: &sim_client::Card) -> AnyResult {
    let (violations, faults) = card.status()?;
    if violations != 0 || faults != 0 {
        return Err(format!(
            "the card process recorded {violations} strict-mode violation(s) and {faults} \
             DMA fault(s) (its standard error names them)"
        )
        .into());
    }
    Ok(())
}

fn no_sim_opts(s: &SimOpts) -> AnyResult {
    if s.trace.is_some() {
        return Err(usage(
            "--trace records the simulated card; it cannot be used with --pci",
        ));
    }
    if s.threaded {
        return Err(usage(
            "--threaded runs the simulated card; it cannot be used with --pci",
        ));
    }
    Ok(())
}

fn open_pci(
    addr: &str,
    sysfs: &SysfsRoot,
    ring: usize,
    f: &FilterOpts,
) -> AnyResult<Device<regdsl_rt::Mmio>> {
    open_pci_cfg(addr, sysfs, config(ring, f), f)
}

fn open_pci_cfg(
    addr: &str,
    sysfs: &SysfsRoot,
    cfg: Config,
    f: &FilterOpts,
) -> AnyResult<Device<regdsl_rt::Mmio>> {
    let mut dev = backend::open_pci_with(addr, cfg, sysfs.options())?;
    filters(&mut dev, f)?;
    Ok(dev)
}

/// A real port run by this process as the primary: with --share, its share directory claimed
/// before the reset; opened and filtered; `setup` run on it; then published to secondaries.
/// The device comes second, so that it is dropped (the card stopped) before the claim.
fn open_pci_primary(
    addr: &str,
    sysfs: &SysfsRoot,
    cfg: Config,
    f: &FilterOpts,
    sh: &ShareOpts,
    setup: impl FnOnce(&mut Device<regdsl_rt::Mmio>) -> AnyResult,
) -> AnyResult<(Option<Primary>, Device<regdsl_rt::Mmio>)> {
    let mut share = (sh.share > 0)
        .then(|| Primary::claim(ShareDir::for_pci(addr)))
        .transpose()?;
    let mut dev = open_pci_cfg(addr, sysfs, cfg, f)?;
    setup(&mut dev)?;
    if let Some(p) = share.as_mut() {
        p.publish(&dev)?;
    }
    Ok((share, dev))
}

/// --attach on a real port: queue pair or pool `q` of the card at `addr` checked and locked,
/// nothing written yet (`start` takes the queues over).
fn reserve_pci(
    addr: &str,
    sysfs: &SysfsRoot,
    q: AttachConfig,
    ring: usize,
) -> AnyResult<Reserved<regdsl_rt::Mmio>> {
    Ok(backend::reserve_pci_with(
        addr,
        &ShareDir::for_pci(addr),
        attach_config(q, ring),
        sysfs.options(),
    )?)
}

/// Runs `body` on queue pair or pool `q` of each of the card process's `ports`, attached as
/// a secondary: every port checked and locked before any queue is written (as
/// [`reserve_pci`]); once the queues are given back, the card's strict-mode record.
fn on_card_attached(
    path: &std::path::Path,
    ports: &[usize],
    q: AttachConfig,
    ring: usize,
    body: impl FnOnce(&mut [Attached<sim_client::CardPort>]) -> AnyResult,
) -> AnyResult {
    let card = sim_client::Card::connect(path)?;
    let reserved = ports
        .iter()
        .map(|&p| {
            let cfg = attach_config(q.clone(), ring);
            Ok(Attached::reserve(
                card.port(p)?,
                card.dma(),
                &card_share_dir(path, p),
                cfg,
            )?)
        })
        .collect::<AnyResult<Vec<_>>>()?;
    let mut devs = reserved
        .into_iter()
        .map(|r| Ok(r.start()?))
        .collect::<AnyResult<Vec<_>>>()?;
    let r = body(&mut devs);
    drop(devs);
    r?;
    report_card(&card)
}

/// A primary's configuration with `--share N` queue pairs set aside.
/// With --vmdq, `--share N` sets N whole pools aside (after pool 0, the primary's).
fn shared(cfg: Config, sh: &ShareOpts) -> AnyResult<Config> {
    let per = cfg
        .vmdq
        .as_ref()
        .map_or(1, |v| v.layout.queues_per_pool() as u16);
    if sh.share > 0 && cfg.fdir.as_ref().is_some_and(|f| f.drop_queue > 0) {
        return Err(usage(
            "--fdir ... drop takes a receive queue of its own after queue 0, where \
                    --share's queues are: not with --share (steer the flow to a queue instead)",
        ));
    }
    Ok(Config {
        shared_queues: sh.share * per,
        ..cfg
    })
}

/// A secondary's queue pair or pool `target` with `ring` descriptors per ring.
fn attach_config(target: AttachConfig, ring: usize) -> AttachConfig {
    AttachConfig {
        rx_ring: ring,
        tx_ring: ring,
        pool_size: (ring * 4).max(1024),
        ..target
    }
}

/// The queue `pktgen --attach` sends on; a secondary has no rate scheduler of its own.
fn pktgen_attach_queue(
    sh: &ShareOpts,
    l: &LoopOpts,
    f: &FilterOpts,
    rate: bool,
) -> AnyResult<AttachConfig> {
    let q = sh.secondary("pktgen", l, f)?;
    if rate {
        return Err(usage(
            "--rate programs the primary's rate scheduler; not with --attach",
        ));
    }
    Ok(q)
}

impl ShareOpts {
    fn wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.wait_secondaries)
    }

    /// What a secondary takes (`cmd --attach` needs `--queue` or `--pool`), refusing the
    /// options it cannot use: filters, pools and interrupts are the primary's registers.
    fn secondary(&self, cmd: &str, l: &LoopOpts, f: &FilterOpts) -> AnyResult<AttachConfig> {
        let q = match (self.queue, self.pool) {
            (Some(q), None) => AttachConfig::queue(q),
            (None, Some(p)) => AttachConfig::pool(p),
            _ => return Err(usage(format!("{cmd} --attach needs --queue N or --pool P"))),
        };
        if !f.macs.is_empty()
            || !f.vlans.is_empty()
            || f.vmdq.is_some()
            || !f.pool_macs.is_empty()
            || !f.fdir.is_empty()
        {
            return Err(usage(
                "--mac, --vlan, --vmdq, --pool-mac and --fdir program the primary's filters; not \
                 with --attach",
            ));
        }
        if l.interrupts {
            return Err(usage(
                "--interrupts programs the primary's interrupt registers; not with --attach",
            ));
        }
        Ok(q)
    }

    /// --share and --attach need a card other processes can reach.
    fn needs_shared_card(&self) -> AnyResult {
        if self.attach || self.share > 0 {
            return Err(usage(
                "--share and --attach share a card with other processes: give --card PATH or \
                 --pci ADDR",
            ));
        }
        Ok(())
    }
}

fn run(cli: Cli) -> AnyResult {
    match cli.cmd {
        Cmd::Pktgen {
            t,
            c,
            s,
            l,
            f,
            size,
            rate,
            sh,
        } => {
            if !(60..=1514).contains(&size) {
                return Err(usage(format!("--size {size}: must be 60..=1514")));
            }
            if l.interrupts {
                return Err(usage(
                    "--interrupts is for the receive loops (fwd, echo), not pktgen",
                ));
            }
            no_fdir(&f, "pktgen")?;
            if !sh.attach {
                check_filters(&f, Some(sh.share))?;
            }
            if let Some(r) = rate {
                driver_82599::ratelimit::factor(r)?;
            }
            let cfg = shared(config(l.ring, &f), &sh)?;
            if let Some(addr) = t.port("pktgen")? {
                no_sim_opts(&s)?;
                if sh.attach {
                    let q = pktgen_attach_queue(&sh, &l, &f, rate.is_some())?;
                    let mut dev = reserve_pci(addr, &t.sysfs, q, l.ring)?.start()?;
                    return cmds::pktgen_attached(&mut dev, &l, size);
                }
                let (mut share, mut dev) = open_pci_primary(addr, &t.sysfs, cfg, &f, &sh, |dev| {
                    Ok(dev.set_tx_rate(0, rate)?)
                })?;
                let wait = sh.wait();
                return cmds::pktgen(
                    &mut dev,
                    &format!("port {addr}"),
                    &|| {},
                    &l,
                    cmds::Traffic {
                        size,
                        rate,
                        simulated: false,
                    },
                    share.as_mut().map(|p| (p, wait)),
                );
            }
            if let Some(path) = &c.card {
                no_sim_opts_with_card(&c, &s.trace, s.threaded)?;
                if sh.attach {
                    let q = pktgen_attach_queue(&sh, &l, &f, rate.is_some())?;
                    return on_card_attached(path, &[c.port], q, l.ring, |devs| {
                        cmds::pktgen_attached(&mut devs[0], &l, size)
                    });
                }
                let mut cp = open_card(path, &c, 1, cfg, &f)?;
                cp.devs[0].set_tx_rate(0, rate)?;
                return cp.run_one(sh.wait(), |dev, share| {
                    let traffic = cmds::Traffic {
                        size,
                        rate,
                        simulated: true,
                    };
                    let name = format!("port {}", c.port);
                    cmds::pktgen(dev, &name, &|| {}, &l, traffic, Some(share))
                });
            }
            sh.needs_shared_card()?;
            let sim = sim(&s, 1, &config(l.ring, &f))?;
            sim.connect(Wire::Loopback(0))?;
            on_sim(&sim, |sim| {
                let mut dev = open_sim_with(sim, 0, l.ring, &f)?;
                dev.set_tx_rate(0, rate)?;
                println!("simulated card, port 0 looped back (rates include the simulator's work)");
                let step = stepper(sim, s.threaded);
                let traffic = cmds::Traffic {
                    size,
                    rate,
                    simulated: true,
                };
                cmds::pktgen(&mut dev, "port 0", &step, &l, traffic, None)
            })
        }
        Cmd::Fwd {
            pci,
            sysfs,
            c,
            s,
            l,
            f,
            sh,
        } => {
            if !sh.attach {
                check_filters(&f, Some(sh.share))?;
            }
            let cfg = shared(config(l.ring, &f), &sh)?;
            if !pci.is_empty() {
                no_sim_opts(&s)?;
                let [a, b] = pci.as_slice() else {
                    return Err(usage(format!(
                        "fwd takes two ports: --pci A --pci B ({} given)",
                        pci.len()
                    )));
                };
                if a == b {
                    return Err(usage(format!(
                        "fwd needs two different ports (--pci {a} twice)"
                    )));
                }
                let names = [format!("port {a} (A)"), format!("port {b} (B)")];
                if sh.attach {
                    let q = sh.secondary("fwd", &l, &f)?;
                    // Both ports checked and locked before either queue is written.
                    let reserve = |addr: &str| reserve_pci(addr, &sysfs, q.clone(), l.ring);
                    let (ra, rb) = (reserve(a)?, reserve(b)?);
                    let mut da = ra.start()?;
                    let mut db = rb.start()?;
                    return cmds::fwd_attached([&mut da, &mut db], &names, &l);
                }
                let mut share = if sh.share > 0 {
                    vec![
                        Primary::claim(ShareDir::for_pci(a))?,
                        Primary::claim(ShareDir::for_pci(b))?,
                    ]
                } else {
                    Vec::new()
                };
                let mut da = open_pci_cfg(a, &sysfs, cfg.clone(), &f)?;
                let mut db = open_pci_cfg(b, &sysfs, cfg, &f)?;
                for (p, dev) in share.iter_mut().zip([&da, &db]) {
                    p.publish(dev)?;
                }
                irq_pci(&mut da, &l)?;
                irq_pci(&mut db, &l)?;
                let wait = sh.wait();
                return cmds::fwd(
                    [&mut da, &mut db],
                    &names,
                    &mut || {},
                    None,
                    &l,
                    (!share.is_empty()).then_some((&mut share[..], wait)),
                );
            }
            if let Some(path) = &c.card {
                no_sim_opts_with_card(&c, &s.trace, s.threaded)?;
                let names = [
                    format!("port {} (A)", c.port),
                    format!("port {} (B)", c.port + 1),
                ];
                if sh.attach {
                    let q = sh.secondary("fwd", &l, &f)?;
                    return on_card_attached(path, &[c.port, c.port + 1], q, l.ring, |devs| {
                        let [da, db] = devs else {
                            return Err("fwd attaches to two ports".into());
                        };
                        cmds::fwd_attached([da, db], &names, &l)
                    });
                }
                let mut cp = open_card(path, &c, 2, cfg, &f)?;
                irq_card(&mut cp, c.port, &l)?;
                let wait = sh.wait();
                let CardPorts { share, devs, .. } = &mut cp;
                let (a, b) = devs.split_at_mut(1);
                cmds::fwd(
                    [&mut a[0], &mut b[0]],
                    &names,
                    &mut || {},
                    None,
                    &l,
                    Some((&mut share[..], wait)),
                )?;
                return report_card(&cp.card);
            }
            sh.needs_shared_card()?;
            // gen(2) <-> A(0), B(1) <-> gen(3): two generators feed the forwarder both ways.
            let sim = sim(&s, 4, &config(l.ring, &f))?;
            sim.connect(Wire::Pair(2, 0))?;
            sim.connect(Wire::Pair(1, 3))?;
            irq_needs_engines(&l, s.threaded)?;
            on_sim(&sim, |sim| {
                let mut da = open_sim_with(sim, 0, l.ring, &f)?;
                let mut db = open_sim_with(sim, 1, l.ring, &f)?;
                irq_sim(sim, &mut da, 0, &l)?;
                irq_sim(sim, &mut db, 1, &l)?;
                let mut g = cmds::Generator::new(
                    vec![
                        (2, open_sim(sim, 2, gen_config(l.ring, &f))?),
                        (3, open_sim(sim, 3, gen_config(l.ring, &f))?),
                    ],
                    l.batch,
                    60,
                    !f.fdir.is_empty(),
                )?;
                println!(
                    "simulated card: generators on ports 2 and 3 feed ports 0 <-> 1 \
                     (rates include the simulator's and the generators' work)"
                );
                let step = stepper(sim, s.threaded);
                let names = ["port 0 (A)".to_string(), "port 1 (B)".to_string()];
                cmds::fwd(
                    [&mut da, &mut db],
                    &names,
                    &mut || step(),
                    Some(&mut g),
                    &l,
                    None,
                )
            })
        }
        Cmd::Echo {
            t,
            c,
            s,
            l,
            f,
            respond,
            tap,
            ip,
            sh,
        } => {
            let respond = respond || tap.is_some();
            if !sh.attach {
                check_filters(&f, Some(sh.share))?;
            }
            let cfg = shared(config(l.ring, &f), &sh)?;
            if sh.attach && tap.is_some() {
                return Err(usage(
                    "--tap attaches an in-process card; not with --attach",
                ));
            }
            if sh.attach && respond {
                return Err(usage(
                    "--respond answers ARP, which RSS and the pools give to the primary's \
                     queue 0 (not IP, no pool address): not with --attach",
                ));
            }
            if let Some(addr) = t.port("echo")? {
                no_sim_opts(&s)?;
                if tap.is_some() {
                    return Err(usage(
                        "--tap attaches the simulated card; it cannot be used with --pci",
                    ));
                }
                if sh.attach {
                    let q = sh.secondary("echo", &l, &f)?;
                    let mut dev = reserve_pci(addr, &t.sysfs, q, l.ring)?.start()?;
                    return cmds::echo_attached(&mut dev, &l);
                }
                let (mut share, mut dev) =
                    open_pci_primary(addr, &t.sysfs, cfg, &f, &sh, |_| Ok(()))?;
                irq_pci(&mut dev, &l)?;
                let wait = sh.wait();
                return cmds::echo(
                    &mut dev,
                    &format!("port {addr}"),
                    &mut || {},
                    &l,
                    respond.then_some(ip),
                    false,
                    share.as_mut().map(|p| (p, wait)),
                );
            }
            if let Some(path) = &c.card {
                no_sim_opts_with_card(&c, &s.trace, s.threaded)?;
                if tap.is_some() {
                    return Err(usage("--tap attaches an in-process card; not with --card"));
                }
                if sh.attach {
                    let q = sh.secondary("echo", &l, &f)?;
                    return on_card_attached(path, &[c.port], q, l.ring, |devs| {
                        cmds::echo_attached(&mut devs[0], &l)
                    });
                }
                let mut cp = open_card(path, &c, 1, cfg, &f)?;
                irq_card(&mut cp, c.port, &l)?;
                return cp.run_one(sh.wait(), |dev, share| {
                    let name = format!("port {}", c.port);
                    let ip = respond.then_some(ip);
                    cmds::echo(dev, &name, &mut || {}, &l, ip, false, Some(share))
                });
            }
            sh.needs_shared_card()?;
            let sim = sim(&s, 2, &config(l.ring, &f))?;
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
            irq_needs_engines(&l, s.threaded)?;
            on_sim(&sim, |sim| {
                let mut dev = open_sim_with(sim, 0, l.ring, &f)?;
                irq_sim(sim, &mut dev, 0, &l)?;
                let mut gen = None;
                if tap.is_none() {
                    gen = Some(cmds::Generator::new(
                        vec![(1, open_sim(sim, 1, gen_config(l.ring, &f))?)],
                        l.batch,
                        60,
                        !f.fdir.is_empty(),
                    )?);
                }
                let step = stepper(sim, s.threaded);
                cmds::echo(
                    &mut dev,
                    "port 0",
                    &mut || {
                        if let Some(g) = gen.as_mut() {
                            g.run();
                        }
                        step()
                    },
                    &l,
                    respond.then_some(ip),
                    tap.is_none(),
                    None,
                )
            })
        }
        Cmd::Stats {
            t,
            c,
            s,
            f,
            seconds,
            init,
            attach,
        } => {
            no_fdir(&f, "stats")?;
            check_filters(&f, None)?;
            // Reading only (--attach, or --pci without --init): nothing is programmed.
            let filtered = !f.macs.is_empty() || !f.vlans.is_empty() || f.vmdq.is_some();
            if filtered && (attach || (!t.pci.is_empty() && !init)) {
                return Err(usage(
                    "--mac, --vlan, --vmdq and --pool-mac program the card; stats --attach and \
                     stats --pci (without --init) only read it",
                ));
            }
            if attach {
                if init {
                    return Err(usage("stats --attach only reads; not with --init"));
                }
                if let Some(addr) = t.port("stats")? {
                    no_sim_opts(&s)?;
                    let bar = backend::map_pci_with(addr, t.sysfs.options())?;
                    return cmds::stats_attached(&bar, &ShareDir::for_pci(addr), seconds);
                }
                let Some(path) = &c.card else {
                    return Err(usage(
                        "stats --attach reads a card shared by processes: give --card PATH or --pci ADDR"),
                    );
                };
                no_sim_opts_with_card(&c, &s.trace, s.threaded)?;
                let card = sim_client::Card::connect(path)?;
                return cmds::stats_attached(
                    &card.port(c.port)?,
                    &card_share_dir(path, c.port),
                    seconds,
                );
            }
            if let Some(addr) = t.port("stats")? {
                no_sim_opts(&s)?;
                if init {
                    let mut dev = open_pci(addr, &t.sysfs, 512, &f)?;
                    return cmds::stats(&mut dev, &format!("port {addr}"), &|| {}, seconds);
                }
                let bar = backend::map_pci_with(addr, t.sysfs.options())?;
                return cmds::stats_read_only(&bar, seconds);
            }
            if let Some(path) = &c.card {
                no_sim_opts_with_card(&c, &s.trace, s.threaded)?;
                let mut cp = open_card(path, &c, 1, config(512, &f), &f)?;
                let name = format!("port {}", c.port);
                cmds::stats(&mut cp.devs[0], &name, &|| {}, seconds)?;
                return report_card(&cp.card);
            }
            let sim = sim(&s, 1, &config(512, &f))?;
            sim.connect(Wire::Loopback(0))?;
            on_sim(&sim, |sim| {
                let mut dev = open_sim_with(sim, 0, 512, &f)?;
                let step = stepper(sim, s.threaded);
                cmds::stats(&mut dev, "port 0", &step, seconds)
            })
        }
        Cmd::Card {
            socket,
            ports,
            pairs,
            seconds,
        } => card(&socket, usize::from(ports), pairs, seconds),
        Cmd::Regs {
            t,
            c,
            trace,
            names,
            init,
            counters,
            all,
            fields,
        } => {
            let opts = cmds::DumpOptions {
                names,
                counters,
                all,
                fields,
            };
            if let Some(addr) = t.port("regs")? {
                if trace.is_some() {
                    return Err(usage(
                        "--trace records the simulated card; it cannot be used with --pci",
                    ));
                }
                if init {
                    let dev = backend::open_pci_with(addr, plain(512), t.sysfs.options())?;
                    return cmds::dump(dev.regs().bus(), &opts);
                }
                let bar = backend::map_pci_with(addr, t.sysfs.options())?;
                return cmds::dump(&bar, &opts);
            }
            if let Some(path) = &c.card {
                no_sim_opts_with_card(&c, &trace, false)?;
                let card = sim_client::Card::connect(path)?;
                if init {
                    let cfg = Config {
                        wait_link: false,
                        ..plain(512)
                    };
                    let _lock = card.lock_port(c.port)?;
                    let _claim = Primary::claim(card_share_dir(path, c.port))?;
                    let dev = Device::new(card.port(c.port)?, card.dma(), cfg)?;
                    cmds::dump(dev.regs().bus(), &opts)?;
                } else {
                    // Reading only: no lock, no reset (the port may be in use).
                    cmds::dump(&card.port(c.port)?, &opts)?;
                }
                return report_card(&card);
            }
            let sim = sim(
                &SimOpts {
                    trace,
                    threaded: false,
                },
                1,
                &plain(512),
            )?;
            on_sim(&sim, |sim| {
                let dev = open_sim(
                    sim,
                    0,
                    Config {
                        wait_link: false,
                        ..plain(512)
                    },
                )?;
                cmds::dump(dev.regs().bus(), &opts)
            })
        }
    }
}

/// `ixgbe card`: the simulated card as a process (sim_82599::server), its engines on their
/// own thread; strict-mode violations are printed as they happen.
fn card(socket: &std::path::Path, ports: usize, pairs: bool, seconds: Option<u64>) -> AnyResult {
    if ports % 2 != 0 && pairs {
        return Err(usage(format!(
            "--pairs needs an even number of ports, not {ports}"
        )));
    }
    let sim = Sim::builder()
        .ports(ports)
        .strict(true)
        .threaded(true)
        .try_build()?;
    for p in 0..ports {
        if pairs {
            if p % 2 == 0 {
                sim.connect(Wire::Pair(p, p + 1))?;
            }
        } else {
            sim.connect(Wire::Loopback(p))?;
        }
    }
    // A socket file nobody listens on is stale (a card process that died): replace it; one
    // somebody listens on is another card's. Anything else there is not ours to remove.
    if std::os::unix::net::UnixStream::connect(socket).is_ok() {
        return Err(format!("{}: another card process is listening", socket.display()).into());
    }
    if let Ok(m) = std::fs::symlink_metadata(socket) {
        use std::os::unix::fs::FileTypeExt;
        if !m.file_type().is_socket() {
            return Err(format!(
                "--socket {}: exists and is not a socket (a stale socket is replaced, nothing \
                 else): give a new path",
                socket.display()
            )
            .into());
        }
    }
    let _ = std::fs::remove_file(socket);
    // Port locks of a card that died belong to nobody now: start afresh.
    let remove_locks = || {
        for p in 0..ports {
            let _ = std::fs::remove_file(sim_client::PortLock::path_for(socket, p));
            let _ = std::fs::remove_dir_all(card_share_dir(socket, p).path());
        }
    };
    remove_locks();
    let listener = std::os::unix::net::UnixListener::bind(socket)
        .map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
    let sim = std::sync::Arc::new(sim);
    let served = sim.clone();
    std::thread::spawn(move || {
        if let Err(e) = sim_82599::server::serve(served, listener) {
            eprintln!("ixgbe card: {e}");
        }
    });
    println!(
        "simulated card with {ports} port(s) ({}) serving {}",
        if pairs {
            "wired in pairs"
        } else {
            "each looped back"
        },
        socket.display()
    );
    let start = std::time::Instant::now();
    let mut seen = 0;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        seen = print_violations(&sim, seen);
        if seconds.is_some_and(|s| start.elapsed().as_secs() >= s) {
            break;
        }
        if let Some(sig) = signal::requested() {
            println!("{sig}: stopping the card");
            break;
        }
    }
    let _ = std::fs::remove_file(socket);
    remove_locks();
    for p in 0..ports {
        let s = sim.stats(p)?;
        // Where every frame that reached the port went (the card's own counts, not its
        // read-to-clear registers, which the drivers read).
        println!(
            "port {p}: {} frames sent, {} received; dropped: {} no descriptor, {} missed, {} \
             receive off, {} filtered, {} link down, {} DMA error; {} still buffered",
            s.tx_frames,
            s.rx_frames,
            s.no_descriptor,
            s.missed,
            s.lost_rx_disabled,
            s.filtered,
            s.lost_link_down,
            s.dma_error_drops,
            sim.rx_buffered(p)?,
        );
    }
    no_violations(print_violations(&sim, seen))
}

/// What the driver loop calls between batches: step the simulated card, unless it runs on
/// its own thread.
/// --interrupts on the in-process card: its engines must run on their own (a loop that
/// sleeps does not step them).
fn irq_needs_engines(l: &LoopOpts, threaded: bool) -> AnyResult {
    if l.interrupts && !threaded {
        return Err(usage(
            "--interrupts sleeps until the card interrupts: the in-process card needs \
                    --threaded (or use --card)",
        ));
    }
    Ok(())
}

/// --interrupts: the in-process card's vectors of `port` to `dev`'s eventfds.
fn irq_sim(sim: &Sim, dev: &mut Device<sim_82599::Port>, port: usize, l: &LoopOpts) -> AnyResult {
    cmds::enable_irq(dev, l, &mut |v, fd| Ok(sim.set_msix(port, v, Some(fd))?))
}

/// --interrupts: each port's vectors on the card process (eventfds passed over the socket).
fn irq_card(cp: &mut CardPorts, first: usize, l: &LoopOpts) -> AnyResult {
    let card = cp.card.clone();
    for (i, dev) in cp.devs.iter_mut().enumerate() {
        cmds::enable_irq(dev, l, &mut |v, fd| {
            Ok(card.set_msix(first + i, v, Some(fd))?)
        })?;
    }
    Ok(())
}

/// --interrupts on a real card: MSI-X through VFIO.
fn irq_pci(dev: &mut Device<regdsl_rt::Mmio>, l: &LoopOpts) -> AnyResult {
    if !l.interrupts {
        return Ok(());
    }
    let Some(msix) = dev.msix() else {
        return Err("--interrupts on a real card needs VFIO (MSI-X through \
                    VFIO_DEVICE_SET_IRQS); this device was opened through sysfs"
            .into());
    };
    dev.enable_rx_interrupts(&driver_82599::irq::IrqConfig {
        moderation_us: l.itr_us,
    })?;
    // All vectors in one VFIO_DEVICE_SET_IRQS (vector i: the i-th fd).
    let fds: Vec<_> = dev.msix_fds().into_iter().map(|(_, fd)| fd).collect();
    msix.set_vectors(&fds)
        .map_err(|e| format!("binding MSI-X vectors through VFIO: {e}"))?;
    Ok(())
}

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
    signal::install();
    match run(Cli::parse()).and_then(|()| trace_written()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ixgbe: {e}");
            if e.is::<Usage>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
