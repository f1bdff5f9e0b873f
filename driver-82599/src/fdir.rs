//! Flow Director (82599 datasheet 7.1.2.7): steer an IPv4 or IPv6 TCP, UDP or SCTP flow
//! (5-tuple, optionally with two flexible bytes of the frame) to a receive queue, or drop it,
//! with perfect-match or signature filters; filters are added and removed at run time. The
//! table compares whole flows or, with [`FdirMasks`], some of their bits (a network, a port).
//!
//! The card keeps filters in buckets chosen by a hash of the flow under FDIRHKEY; software
//! computes that hash when it adds a filter ([`bucket_hash`]). A perfect filter holds the
//! flow's fields (the whole IPv6 source, the last 4 bytes of an IPv6 destination: the rest
//! of it only selects the bucket) and a unique software index; a signature filter holds only
//! a second hash of them ([`signature_hash`], FDIRSKEY), which is 4 times smaller in the
//! card's memory but lets two flows with the same bucket and signature be one filter: the
//! driver refuses the second.
//!
//! The flexible bytes ([`FdirConfig::flex_offset`]) are 2 bytes at a fixed offset in the
//! first 64 bytes of every frame (12: the EtherType); with them on, each filter names the
//! value it wants ([`Flow::with_flex`]).
//!
//! ```
//! use driver_82599::{Config, Device, fdir::{FdirConfig, FdirMode, Flow, L4}};
//! use std::net::{Ipv4Addr, Ipv6Addr};
//! let sim = sim_82599::Sim::builder().ports(1).build();
//! let cfg = Config {
//!     rx_queues: 4, rx_ring: 64, tx_ring: 64, pool_size: 128, wait_link: false,
//!     fdir: Some(FdirConfig { flex_offset: Some(12), ..FdirConfig::default() }),
//!     ..Config::default()
//! };
//! let mut dev = Device::new(sim.port(0), sim.dma(), cfg)?;
//! let flow = Flow::v4(L4::Udp, Ipv4Addr::new(10, 0, 0, 1), 1234, Ipv4Addr::new(10, 0, 0, 2), 4789)
//!     .with_flex(0x0800);                                   // IPv4 EtherType at offset 12
//! dev.add_fdir(flow, Some(3))?;      // to queue 3
//! let v6 = Flow::v6(L4::Tcp, Ipv6Addr::LOCALHOST, 80, Ipv6Addr::LOCALHOST, 8080).with_flex(0x86DD);
//! dev.add_fdir(v6, None)?;           // dropped
//! dev.remove_fdir(flow)?;
//! assert!(dev.add_fdir(Flow { flex: None, ..flow }, Some(1)).is_err(), "flexible bytes are on");
//! assert!(sim.violations().is_empty());
//! # let _ = FdirMode::Signature;
//! # Ok::<(), driver_82599::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The bucket hash key written to FDIRHKEY (the value public drivers use).
pub const HASH_KEY: u32 = 0x3DAD_14E2;
/// The signature hash key written to FDIRSKEY (the value public drivers use).
pub const SIGNATURE_KEY: u32 = 0x174D_3614;

/// Memory for the filters, taken from the 512 KB receive packet buffer (FDIRCTRL.PBALLOC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FdirSize {
    /// 64 KB: 2046 perfect or 8190 signature filters.
    #[default]
    K64,
    /// 128 KB: 4094 perfect or 16382 signature filters.
    K128,
    /// 256 KB: 8190 perfect or 32766 signature filters.
    K256,
}

impl FdirSize {
    pub fn kb(self) -> u32 {
        match self {
            FdirSize::K64 => 64,
            FdirSize::K128 => 128,
            FdirSize::K256 => 256,
        }
    }
    /// FDIRCTRL.PBALLOC.
    fn pballoc(self) -> u32 {
        match self {
            FdirSize::K64 => 1,
            FdirSize::K128 => 2,
            FdirSize::K256 => 3,
        }
    }
    /// Perfect filters that fit (32 bytes each).
    pub fn filters(self) -> usize {
        (self.kb() as usize / 64) * 2048 - 2
    }
    /// Filters that fit in `mode` (a signature filter takes 8 bytes).
    pub fn filters_in(self, mode: FdirMode) -> usize {
        match mode {
            FdirMode::Perfect => self.filters(),
            FdirMode::Signature => (self.kb() as usize / 64) * 8192 - 2,
        }
    }
    /// Bits of the bucket hash the card uses: one bucket per perfect filter (2 K per 64 KB)
    /// or per 4 signature filters' worth (8 K per 64 KB).
    pub fn bucket_bits(self, mode: FdirMode) -> u32 {
        let p = self.pballoc();
        match mode {
            FdirMode::Perfect => 10 + p,
            FdirMode::Signature => 12 + p,
        }
    }
}

/// What a filter compares (FDIRCTRL.PERFECT_MATCH).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FdirMode {
    /// The flow's fields.
    #[default]
    Perfect,
    /// A 15-bit signature hash of them.
    Signature,
}

/// Flow Director configuration ([`crate::Config::fdir`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdirConfig {
    pub size: FdirSize,
    pub mode: FdirMode,
    /// Queue of the flows a filter drops (FDIRCTRL.DROP_QUEUE): give it a queue nobody
    /// polls with SRRCTL.DROP_EN, or read it to count.
    pub drop_queue: u8,
    /// Offset in bytes from the frame's start of the 2 flexible bytes every filter then
    /// compares (FDIRCTRL.FLEX_OFFSET, in 2-byte words: even, at most 62); `None`: not
    /// compared (FDIRM.FLEX).
    pub flex_offset: Option<u8>,
    /// The bits of a flow every filter compares (default: all).
    pub masks: FdirMasks,
}

/// The bits of a flow the filters compare, one set for the whole table (the field masks,
/// datasheet 7.1.2.7 and 8.2.3.21: FDIRSIP4M, FDIRDIP4M, FDIRTCPM/FDIRUDPM/FDIRSCTPM,
/// FDIRIP6M), written at init. A set bit is compared; [`Default`] compares everything. A
/// filter then steers every flow equal to it in the compared bits: with `src_port: 0`, one
/// filter per server port takes every client. Flows are compared masked, so two flows equal
/// under the masks are one filter, and removing either removes it.
///
/// ```
/// use driver_82599::fdir::FdirMasks;
/// use std::net::Ipv4Addr;
/// // A /24 source network to a server port, whatever the client port.
/// let m = FdirMasks { src_v4: Ipv4Addr::new(255, 255, 255, 0), src_port: 0, ..FdirMasks::default() };
/// assert_eq!(m.registers().tcp, 0x0000_FFFF);     // the source port ignored: bits 15:0 set
/// assert_eq!(m.registers().src_v4, 0xFF00_0000);  // the last byte ignored (frame order)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdirMasks {
    /// IPv4 source bits compared (255.255.255.0: the /24).
    pub src_v4: Ipv4Addr,
    /// IPv4 destination bits compared.
    pub dst_v4: Ipv4Addr,
    /// Source port bits compared (TCP, UDP and SCTP alike).
    pub src_port: u16,
    /// Destination port bits compared.
    pub dst_port: u16,
    /// IPv6 source bytes compared, bit i for byte i (0xFFFF: all 16; the card masks whole
    /// bytes only).
    pub src_v6_bytes: u16,
    /// IPv6 destination bytes compared (a perfect filter compares only the last 4 bytes;
    /// all of them select its bucket).
    pub dst_v6_bytes: u16,
}

impl Default for FdirMasks {
    fn default() -> Self {
        FdirMasks {
            src_v4: Ipv4Addr::BROADCAST,
            dst_v4: Ipv4Addr::BROADCAST,
            src_port: 0xFFFF,
            dst_port: 0xFFFF,
            src_v6_bytes: 0xFFFF,
            dst_v6_bytes: 0xFFFF,
        }
    }
}

/// The mask registers' values for [`FdirMasks`]: a set bit is *not* compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdirMaskRegisters {
    /// FDIRSIP4M, FDIRDIP4M: frame order (first byte in 7:0), as the addresses.
    pub src_v4: u32,
    pub dst_v4: u32,
    /// FDIRTCPM = FDIRUDPM = FDIRSCTPM: source port in 15:0, destination in 31:16, each
    /// bit-reversed (register bit 0 masks port bit 15), as public drivers write them.
    pub tcp: u32,
    /// FDIRIP6M: source bytes in 15:0, destination bytes in 31:16.
    pub ip6: u32,
}

impl FdirMasks {
    /// The register values.
    pub fn registers(&self) -> FdirMaskRegisters {
        let ports =
            u32::from(self.dst_port.reverse_bits()) << 16 | u32::from(self.src_port.reverse_bits());
        FdirMaskRegisters {
            src_v4: !frame_order(&self.src_v4.octets()),
            dst_v4: !frame_order(&self.dst_v4.octets()),
            tcp: !ports,
            ip6: !(u32::from(self.dst_v6_bytes) << 16 | u32::from(self.src_v6_bytes)),
        }
    }

    /// `flow` with the bits not compared cleared: what the filter holds and is hashed from.
    pub fn apply(&self, flow: &Flow) -> Flow {
        let addr = |a: IpAddr, v4: Ipv4Addr, v6: u16| match a {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & u32::from(v4))),
            IpAddr::V6(a) => {
                let mut o = a.octets();
                for (i, b) in o.iter_mut().enumerate() {
                    if v6 >> i & 1 == 0 {
                        *b = 0;
                    }
                }
                IpAddr::V6(Ipv6Addr::from(o))
            }
        };
        Flow {
            src: addr(flow.src, self.src_v4, self.src_v6_bytes),
            dst: addr(flow.dst, self.dst_v4, self.dst_v6_bytes),
            sport: flow.sport & self.src_port,
            dport: flow.dport & self.dst_port,
            ..*flow
        }
    }

    fn write<B: Bus>(&self, regs: &Regs<B>) {
        let r = self.registers();
        regs.FDIRSIP4M().write(FDIRSIP4M::IP.val(r.src_v4));
        regs.FDIRDIP4M().write(FDIRDIP4M::IP.val(r.dst_v4));
        let (src, dst) = (r.tcp & 0xFFFF, r.tcp >> 16);
        regs.FDIRTCPM()
            .write(FDIRTCPM::SOURCE.val(src) | FDIRTCPM::DESTINATION.val(dst));
        regs.FDIRUDPM()
            .write(FDIRUDPM::SOURCE.val(src) | FDIRUDPM::DESTINATION.val(dst));
        regs.FDIRSCTPM()
            .write(FDIRSCTPM::SOURCE.val(src) | FDIRSCTPM::DESTINATION.val(dst));
        regs.FDIRIP6M()
            .write(FDIRIP6M::SOURCE.val(r.ip6 & 0xFFFF) | FDIRIP6M::DESTINATION.val(r.ip6 >> 16));
    }
}

impl FdirConfig {
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        match self.flex_offset {
            Some(o) if o % 2 != 0 || o > 62 => Err(format!(
                "fdir flex_offset = {o}: must be even and at most 62 (2 bytes in the first 64)"
            )),
            _ => Ok(()),
        }
    }
}

/// L4 protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L4 {
    Udp,
    Tcp,
    Sctp,
}

impl L4 {
    fn l4type(self) -> u32 {
        match self {
            L4::Udp => 1,
            L4::Tcp => 2,
            L4::Sctp => 3,
        }
    }
}

/// A flow: IPv4 or IPv6 5-tuple, and the flexible bytes when the configuration has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flow {
    pub l4: L4,
    /// Source and destination: both IPv4 or both IPv6.
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// The 2 flexible bytes as a big-endian number (0x0800: bytes 08 00).
    pub flex: Option<u16>,
}

impl Flow {
    pub fn v4(l4: L4, src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16) -> Flow {
        Flow::new(l4, src.into(), sport, dst.into(), dport)
    }
    pub fn v6(l4: L4, src: Ipv6Addr, sport: u16, dst: Ipv6Addr, dport: u16) -> Flow {
        Flow::new(l4, src.into(), sport, dst.into(), dport)
    }
    /// Both addresses of one family by construction (`v4`/`v6`), no flexible bytes.
    fn new(l4: L4, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Flow {
        Flow {
            l4,
            src,
            dst,
            sport,
            dport,
            flex: None,
        }
    }
    pub fn with_flex(self, flex: u16) -> Flow {
        Flow {
            flex: Some(flex),
            ..self
        }
    }

    fn is_v6(&self) -> bool {
        self.src.is_ipv6()
    }

    /// FDIRCMD.L4TYPE and IPV6 (bits 7:5): the hash input's flow type.
    fn flow_type(&self) -> u32 {
        self.l4.l4type() | u32::from(self.is_v6()) << 2
    }

    /// The hash input (datasheet 7.1.2.7): 11 dwords, each the big-endian number of the
    /// bytes it holds. d0: pool (31:24), flow type (23:16), VLAN (15:0), 0 here (the driver
    /// masks pool and VLAN); d1-d4: destination (IPv4 in d1); d5-d8: source (IPv4 in d5);
    /// d9: source port (31:16), destination port (15:0); d10: flexible bytes (31:16).
    pub fn hash_input(&self) -> [u32; 11] {
        let mut d = [0u32; 11];
        d[0] = self.flow_type() << 16;
        let mut put = |at: usize, a: IpAddr| match a {
            IpAddr::V4(v) => d[at] = u32::from(v),
            IpAddr::V6(v) => {
                for (i, w) in v.octets().chunks(4).enumerate() {
                    d[at + i] = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
                }
            }
        };
        put(1, self.dst);
        put(5, self.src);
        d[9] = u32::from(self.sport) << 16 | u32::from(self.dport);
        d[10] = u32::from(self.flex.unwrap_or(0)) << 16;
        d
    }
}

/// The 16-bit Flow Director hash of the input dwords `d` under `key` (datasheet 7.1.2.7,
/// in the form Linux's ixgbe computes it): the 10 dwords after the first are folded into
/// one by XOR, its word-swapped copy (`lo`) serves key bits 0-15 and itself (`hi`) key bits
/// 16-31, each set key bit n XORing in the 16 bits from bit n (mod 16) of its word; the
/// first dword (flow type, pool, VLAN) enters `hi` at once and `lo` after key bit 0.
pub fn hash(key: u32, d: &[u32; 11]) -> u32 {
    let common = d[1..].iter().fold(0u32, |a, &w| a ^ w);
    let f = d[0];
    let hi = common ^ f ^ (f >> 16);
    let mut lo = common.rotate_left(16);
    let mut h = 0u32;
    for n in 0..16 {
        if n == 1 {
            lo ^= f ^ (f << 16);
        }
        if key & (1 << n) != 0 {
            h ^= lo >> n;
        }
        if key & (1 << (n + 16)) != 0 {
            h ^= hi >> n;
        }
    }
    h & 0xFFFF
}

/// The 15-bit bucket hash of `flow` under `key` (the card uses its low
/// [`FdirSize::bucket_bits`] bits).
pub fn bucket_hash(key: u32, flow: &Flow) -> u32 {
    hash(key, &flow.hash_input()) & 0x7FFF
}

/// The 15-bit signature of `flow` (FDIRSKEY = [`SIGNATURE_KEY`]).
pub fn signature_hash(flow: &Flow) -> u32 {
    hash(SIGNATURE_KEY, &flow.hash_input()) & 0x7FFF
}

/// The filters the driver put in the table, with their ids (software index or signature),
/// and the statistics read so far.
#[derive(Default)]
pub(crate) struct Filters {
    pub cfg: Option<FdirConfig>,
    pub flows: Vec<(Flow, u32)>,
    /// Totals of the read-to-clear fields (FDIRUSTAT, FDIRFSTAT, FDIRLEN).
    totals: FdirStats,
}

/// Flow Director statistics ([`crate::Device::fdir_stats`], [`crate::Stats::fdir`]), as
/// 64-bit totals since the driver started. The card keeps them in FDIRMATCH, FDIRMISS and
/// the fields of FDIRUSTAT, FDIRFSTAT, FDIRLEN (each register cleared by reading, so each is
/// read in one place and added up here) and FDIRFREE (datasheet 8.2.3.21.10-15).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdirStats {
    /// FDIRMATCH: received frames that matched a filter.
    pub matches: u64,
    /// FDIRMISS: received frames looked up that matched none.
    pub misses: u64,
    /// FDIRUSTAT.ADD: filters added (an add that changes an existing filter's queue is not
    /// a new filter).
    pub adds: u64,
    /// FDIRUSTAT.REMOVE: filters removed.
    pub removes: u64,
    /// FDIRFSTAT.FADD: adds the card could not carry out (table full).
    pub failed_adds: u64,
    /// FDIRFSTAT.FREMOVE: removes of a filter the card did not hold.
    pub failed_removes: u64,
    /// FDIRFREE.FREE at the last read: filters that still fit.
    pub free: u32,
    /// FDIRFREE.COLL at the last read: filters with a collision indication.
    pub collisions: u32,
    /// FDIRLEN.MAXLEN: the longest bucket an add made (filters sharing one bucket hash,
    /// each one more step of the card's lookup), over every read.
    pub max_bucket_len: u32,
    /// FDIRLEN.MAXHASH: that bucket's hash.
    pub max_bucket_hash: u32,
}

const CMD_WAIT: Duration = Duration::from_millis(10);

fn reg_err(e: impl std::fmt::Display) -> Error {
    Error::Register(e.to_string())
}

/// Flow Director init (datasheet 7.1.2.7), with receive off: the packet buffer of TC 0
/// reduced by the filters' memory (which PBALLOC takes from it), the hash keys and masks,
/// then FDIRCTRL, then a bounded wait for INIT_DONE before any filter is added.
pub fn init<B: Bus>(regs: &Regs<B>, c: &FdirConfig, timeout: Duration) -> Result<()> {
    c.validate().map_err(Error::Config)?;
    let pb = 512 - c.size.kb();
    regs.RXPBSIZE()
        .at(0)
        .write(RXPBSIZE::SIZE.try_val(pb).map_err(reg_err)?);
    regs.FDIRHKEY().write(FDIRHKEY::KEY.val(HASH_KEY));
    regs.FDIRSKEY().write(SIGNATURE_KEY);
    // Filters name no VLAN and no pool; the flexible bytes only when configured.
    let mut m = FDIRM::VLANID | FDIRM::VLANP | FDIRM::POOL;
    if c.flex_offset.is_none() {
        m = m | FDIRM::FLEX;
    }
    regs.FDIRM().write(m);
    c.masks.write(regs);
    let alloc = match c.size {
        FdirSize::K64 => FDIRCTRL::PBALLOC::K64,
        FdirSize::K128 => FDIRCTRL::PBALLOC::K128,
        FdirSize::K256 => FDIRCTRL::PBALLOC::K256,
    };
    let mut ctrl = alloc
        | FDIRCTRL::DROP_QUEUE
            .try_val(u32::from(c.drop_queue))
            .map_err(reg_err)?
        | FDIRCTRL::FLEX_OFFSET.val(u32::from(c.flex_offset.unwrap_or(0) / 2))
        // The values Linux's ixgbe uses: a bucket of more than 10 filters is reported long,
        // the table full with fewer than 64 free.
        | FDIRCTRL::MAX_LENGTH.val(0xA)
        | FDIRCTRL::FULL_THRESH.val(4);
    if c.mode == FdirMode::Perfect {
        ctrl = ctrl | FDIRCTRL::PERFECT_MATCH;
    }
    regs.FDIRCTRL().write(ctrl);
    regs.FDIRCTRL()
        .wait_set(FDIRCTRL::INIT_DONE, timeout)
        .map_err(|_| {
            Error::Config(format!(
                "Flow Director init (FDIRCTRL.INIT_DONE) not done within {timeout:?}"
            ))
        })?;
    Ok(())
}

/// Bytes of an address in frame order as a register holds them (first byte in 7:0).
fn frame_order(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Writes the filter registers and FDIRCMD, then waits for the card to take the command.
fn command<B: Bus>(
    regs: &Regs<B>,
    flow: &Flow,
    hash: regdsl_rt::FieldValue<FDIRHASH::Reg>,
    cmd: regdsl_rt::FieldValue<FDIRCMD::Reg>,
) -> Result<()> {
    let mut cmd = cmd
        | match flow.l4 {
            L4::Udp => FDIRCMD::L4TYPE::UDP,
            L4::Tcp => FDIRCMD::L4TYPE::TCP,
            L4::Sctp => FDIRCMD::L4TYPE::SCTP,
        };
    match (flow.src, flow.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            regs.FDIRIPSA()
                .write(FDIRIPSA::IP.val(frame_order(&s.octets())));
            regs.FDIRIPDA()
                .write(FDIRIPDA::IP.val(frame_order(&d.octets())));
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let (s, d) = (s.octets(), d.octets());
            for i in 0..3 {
                regs.FDIRSIPv6()
                    .at(i)
                    .write(FDIRSIPv6::IP.val(frame_order(&s[4 * i as usize..])));
            }
            regs.FDIRIPSA()
                .write(FDIRIPSA::IP.val(frame_order(&s[12..])));
            regs.FDIRIPDA()
                .write(FDIRIPDA::IP.val(frame_order(&d[12..])));
            cmd = cmd | FDIRCMD::IPV6 | FDIRCMD::IPV6DMATCH;
        }
        _ => unreachable!("checked by Filters::check"),
    }
    regs.FDIRPORT().write(
        FDIRPORT::SOURCE.val(u32::from(flow.sport))
            | FDIRPORT::DESTINATION.val(u32::from(flow.dport)),
    );
    // The flexible bytes in frame order (first byte in 23:16).
    let flex = u32::from(flow.flex.unwrap_or(0).swap_bytes());
    regs.FDIRVLAN().write(FDIRVLAN::FLEX.val(flex));
    regs.FDIRHASH().write(hash);
    regs.FDIRCMD().write(cmd);
    // The card clears CMD once the command is done (FDIRCMD.CMD).
    regs.FDIRCMD()
        .wait_until(FDIRCMD::CMD.mask().mask(), CMD_WAIT, |v| {
            v.get(FDIRCMD::CMD) == 0
        })
        .map_err(|_| {
            Error::Config(format!(
                "Flow Director command not done within {CMD_WAIT:?}"
            ))
        })?;
    Ok(())
}

impl Filters {
    pub fn new(cfg: Option<FdirConfig>) -> Self {
        Filters {
            cfg,
            ..Filters::default()
        }
    }

    /// Reads the statistics registers (the read-to-clear ones only here) and adds them to
    /// the totals; FDIRMATCH and FDIRMISS are counters of the table's `Stats`, read with the
    /// others (`raw`). `None` without Flow Director.
    pub fn stats<B: Bus>(&mut self, regs: &mut Regs<B>, raw: &Stats) -> Option<FdirStats> {
        self.cfg.as_ref()?;
        let t = &mut self.totals;
        let u = regs.FDIRUSTAT_mut().read();
        t.adds += u64::from(u.get(FDIRUSTAT::ADD));
        t.removes += u64::from(u.get(FDIRUSTAT::REMOVE));
        let f = regs.FDIRFSTAT_mut().read();
        t.failed_adds += u64::from(f.get(FDIRFSTAT::FADD));
        t.failed_removes += u64::from(f.get(FDIRFSTAT::FREMOVE));
        let l = regs.FDIRLEN_mut().read();
        if l.get(FDIRLEN::MAXLEN) > t.max_bucket_len {
            t.max_bucket_len = l.get(FDIRLEN::MAXLEN);
            t.max_bucket_hash = l.get(FDIRLEN::MAXHASH);
        }
        let free = regs.FDIRFREE().read();
        t.free = free.get(FDIRFREE::FREE);
        t.collisions = free.get(FDIRFREE::COLL);
        t.matches = raw.FDIRMATCH.total();
        t.misses = raw.FDIRMISS.total();
        Some(*t)
    }

    fn cfg(&self) -> Result<&FdirConfig> {
        self.cfg
            .as_ref()
            .ok_or_else(|| Error::Config("Flow Director filters need Config::fdir".into()))
    }

    /// The flow fits the configuration: one address family, flexible bytes iff configured.
    fn check(c: &FdirConfig, flow: &Flow) -> Result<()> {
        if flow.src.is_ipv6() != flow.dst.is_ipv6() {
            return Err(Error::Config(format!(
                "Flow Director flow {} -> {}: source and destination must be both IPv4 or both IPv6",
                flow.src, flow.dst
            )));
        }
        match (c.flex_offset, flow.flex) {
            (Some(o), None) => Err(Error::Config(format!(
                "Flow Director flow without flexible bytes, but Config::fdir compares the 2 bytes at offset {o}: give Flow::with_flex"
            ))),
            (None, Some(_)) => Err(Error::Config(
                "Flow Director flow with flexible bytes, but Config::fdir has no flex_offset".into(),
            )),
            _ => Ok(()),
        }
    }

    pub fn add<B: Bus>(
        &mut self,
        regs: &Regs<B>,
        flow: Flow,
        queue: Option<u16>,
        queues: u16,
    ) -> Result<()> {
        let c = self.cfg()?.clone();
        Self::check(&c, &flow)?;
        let flow = c.masks.apply(&flow);
        if let Some(q) = queue {
            if q >= queues {
                return Err(Error::Config(format!(
                    "Flow Director queue {q}: the device has {queues}"
                )));
            }
        }
        let bucket = bucket_hash(HASH_KEY, &flow);
        let id = match self.flows.iter().find(|(f, _)| *f == flow) {
            Some(&(_, id)) => id,
            None => {
                let capacity = c.size.filters_in(c.mode);
                if self.flows.len() >= capacity {
                    return Err(Error::FilterFull {
                        table: "Flow Director",
                        capacity,
                    });
                }
                let id = match c.mode {
                    FdirMode::Perfect => {
                        // The lowest software index not in use.
                        let mut used: Vec<u32> = self.flows.iter().map(|&(_, s)| s).collect();
                        used.sort_unstable();
                        used.iter()
                            .enumerate()
                            .find(|&(i, &s)| i as u32 != s)
                            .map_or(used.len() as u32, |(i, _)| i as u32)
                    }
                    FdirMode::Signature => {
                        let sig = signature_hash(&flow);
                        let mask = (1 << c.size.bucket_bits(c.mode)) - 1;
                        let same = |f: &Flow, s: u32| {
                            s == sig
                                && f.flow_type() == flow.flow_type()
                                && bucket_hash(HASH_KEY, f) & mask == bucket & mask
                        };
                        if let Some((other, _)) = self.flows.iter().find(|(f, s)| same(f, *s)) {
                            return Err(Error::Config(format!(
                                "Flow Director signature filter for {flow:?}: same bucket and signature ({sig:#06x}) as the filter of {other:?}, which the card cannot tell apart"
                            )));
                        }
                        sig
                    }
                };
                self.flows.push((flow, id));
                id
            }
        };
        let action = match queue {
            Some(q) => FDIRCMD::QUEUE_EN | FDIRCMD::RX_QUEUE.val(u32::from(q)),
            None => FDIRCMD::DROP.into(),
        };
        let hash = FDIRHASH::HASH.val(bucket) | FDIRHASH::SW_INDEX.val(id);
        command(
            regs,
            &flow,
            hash,
            FDIRCMD::CMD::ADD | FDIRCMD::FILTER_UPDATE | action,
        )
    }

    pub fn remove<B: Bus>(&mut self, regs: &Regs<B>, flow: Flow) -> Result<()> {
        let flow = self.cfg()?.masks.apply(&flow);
        let at = self
            .flows
            .iter()
            .position(|(f, _)| *f == flow)
            .ok_or_else(|| Error::NoSuchFilter(format!("no Flow Director filter for {flow:?}")))?;
        let (_, id) = self.flows.swap_remove(at);
        let hash = FDIRHASH::HASH.val(bucket_hash(HASH_KEY, &flow)) | FDIRHASH::SW_INDEX.val(id);
        command(regs, &flow, hash, FDIRCMD::CMD::REMOVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes a real 82599 reported for these flows (DPDK's Flow Director test plan, dts
    /// test_plans/fdir_test_plan.rst: testpmd printing the card's write-back, the keys above,
    /// 64 KB, the flexible bytes at offset 12): bucket hash in 13 bits and signature (bit 15
    /// set in every report, not part of the 15-bit hash) from signature mode; the bucket in
    /// 11 bits from perfect mode.
    #[test]
    fn hashes_are_those_a_real_82599_reported() {
        let a = Ipv4Addr::new(192, 168, 0, 1);
        let b = Ipv4Addr::new(192, 168, 0, 2);
        let udp = Flow::v4(L4::Udp, a, 1024, b, 1024).with_flex(0x0800);
        let tcp = Flow::v4(L4::Tcp, a, 1024, b, 1024).with_flex(0x0800);
        let s6: Ipv6Addr = "2001:0db8:85a3:0000:0000:8a2e:0370:7000".parse().unwrap();
        let d6: Ipv6Addr = "2001:0db8:85a3:0000:0000:8a2e:0370:7338".parse().unwrap();
        let udp6 = Flow::v6(L4::Udp, s6, 1024, d6, 1024).with_flex(0x86DD);
        for (f, bucket, sig, perfect) in [
            (udp, 0x143C, 0xE230, 0x43C),
            (tcp, 0x1B47, 0xBD2B, 0x347),
            (udp6, 0x04AA, 0xEA83, 0x4AA),
        ] {
            assert_eq!(bucket_hash(HASH_KEY, &f) & 0x1FFF, bucket, "{f:?}");
            assert_eq!(signature_hash(&f), sig & 0x7FFF, "{f:?}");
            assert_eq!(bucket_hash(HASH_KEY, &f) & 0x7FF, perfect, "{f:?}");
        }
        // The plan's fourth flow is IPv4 without L4 (flow type 0, ports 0), which the
        // driver's filters do not offer; its hash input by hand.
        let mut d = udp.hash_input();
        d[0] = 0;
        d[9] = 0;
        assert_eq!(hash(HASH_KEY, &d) & 0x1FFF, 0x1681);
        assert_eq!(hash(SIGNATURE_KEY, &d) & 0x7FFF, 0xF3ED & 0x7FFF);
    }

    #[test]
    fn hash_by_hand_for_one_input_bit() {
        // Only the flow type UDP (d0 = 0x0001_0000): hi = d0 ^ d0 >> 16 = 0x0001_0001,
        // lo (after key bit 0) = d0 ^ d0 << 16 = 0x0001_0000. Key 0x3DAD14E2 has bits
        // 1 5 6 7 10 12 (lo >> n: 8000 0800 0400 0200 0040 0010) and 16 18 19 21 23 24 26 27
        // 28 29 (hi >> n-16: 0001 4000 2000 0800 0200 0100 0040 0020 0010 0008), whose XOR,
        // low 16 bits, is 0xE529.
        let mut d = [0u32; 11];
        d[0] = 1 << 16;
        assert_eq!(hash(HASH_KEY, &d), 0xE529);
    }

    #[test]
    fn config_and_flows_are_checked() {
        let c = FdirConfig {
            flex_offset: Some(13),
            ..FdirConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("even"));
        let c = FdirConfig {
            flex_offset: Some(64),
            ..FdirConfig::default()
        };
        assert!(c.validate().is_err());
        let mixed = Flow {
            dst: Ipv6Addr::LOCALHOST.into(),
            ..Flow::v4(L4::Tcp, Ipv4Addr::LOCALHOST, 1, Ipv4Addr::LOCALHOST, 2)
        };
        assert!(Filters::check(&FdirConfig::default(), &mixed).is_err());
        let f = Flow::v4(L4::Tcp, Ipv4Addr::LOCALHOST, 1, Ipv4Addr::LOCALHOST, 2);
        assert!(Filters::check(&FdirConfig::default(), &f.with_flex(1)).is_err());
        assert_eq!(FdirSize::K64.bucket_bits(FdirMode::Perfect), 11);
        assert_eq!(FdirSize::K256.bucket_bits(FdirMode::Perfect), 13);
        assert_eq!(FdirSize::K256.bucket_bits(FdirMode::Signature), 15);
    }
}
