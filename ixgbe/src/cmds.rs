//! The command loops, generic over the register bus (real hardware or the simulated card).

use crate::meter::{Count, Meter};
use crate::{AnyResult, Common};
use driver_82599::QueueDevice;
use driver_82599::{Device, Mempool, Packet};
use ixgbe::responder::{self, Action, Identity};
use regdsl_rt::{Access, Bus, Site};

/// How often (in loop iterations) the meter looks at the clock.
const TICK: u32 = 256;

/// A pool of `n` buffers whose first `size` bytes hold a test frame: buffers keep their
/// contents, so allocating from it later yields ready frames without writing them again.
fn frame_pool<B: Bus + Clone>(dev: &Device<B>, n: usize, size: usize) -> AnyResult<Mempool> {
    let pool = Mempool::new(&**dev.dma(), n, 2048)?;
    let mut all = Vec::new();
    pool.alloc_batch(&mut all, n, size);
    for p in all.iter_mut() {
        p.fill(0);
        // Broadcast: accepted without promiscuous mode.
        testkit::frame::header(p, testkit::frame::BROADCAST, testkit::frame::SRC);
    }
    Ok(pool)
}

pub fn pktgen<B: Bus + Clone>(
    dev: &mut Device<B>,
    step: &dyn Fn(),
    c: &Common,
    size: usize,
) -> AnyResult {
    let pool = frame_pool(dev, 4 * c.ring.max(c.batch), size)?;
    let mut meter = Meter::new(&["TX", "RX"], c.seconds);
    let (mut tx, mut rx) = (Count::default(), Count::default());
    let mut out: Vec<Packet> = Vec::with_capacity(c.batch);
    let mut got: Vec<Packet> = Vec::with_capacity(c.batch);
    let mut i = 0u32;
    loop {
        let want = c.batch - out.len();
        pool.alloc_batch(&mut out, want, size);
        let n = dev.tx_batch(0, &mut out)?;
        tx.add(n, n * size);
        step();
        let m = dev.rx_batch(0, &mut got, c.batch)?;
        rx.add(m, got.iter().map(|p| p.len()).sum());
        got.clear();
        i += 1;
        if i % TICK == 0 && !meter.tick(&[tx, rx]) {
            break;
        }
    }
    meter.summary(&[tx, rx]);
    print_drops(dev);
    Ok(())
}

pub fn fwd<B: Bus + Clone>(
    a: &mut Device<B>,
    b: &mut Device<B>,
    step: &mut dyn FnMut(),
    c: &Common,
) -> AnyResult {
    let mut meter = Meter::new(&["A->B", "B->A"], c.seconds);
    let (mut ab, mut ba) = (Count::default(), Count::default());
    let mut buf: Vec<Packet> = Vec::with_capacity(c.batch);
    let mut i = 0u32;
    loop {
        // Zero copy: the buffer received on one port is sent on the other; what the ring
        // cannot take is dropped (returned to its pool).
        a.rx_batch(0, &mut buf, c.batch)?;
        let bytes: usize = buf.iter().map(|p| p.len()).sum();
        let n = b.tx_batch(0, &mut buf)?;
        ab.add(
            n,
            if buf.is_empty() {
                bytes
            } else {
                bytes - buf.iter().map(|p| p.len()).sum::<usize>()
            },
        );
        buf.clear();
        b.rx_batch(0, &mut buf, c.batch)?;
        let bytes: usize = buf.iter().map(|p| p.len()).sum();
        let n = a.tx_batch(0, &mut buf)?;
        ba.add(
            n,
            if buf.is_empty() {
                bytes
            } else {
                bytes - buf.iter().map(|p| p.len()).sum::<usize>()
            },
        );
        buf.clear();
        step();
        i += 1;
        if i % TICK == 0 && !meter.tick(&[ab, ba]) {
            break;
        }
    }
    meter.summary(&[ab, ba]);
    print_drops(a);
    print_drops(b);
    Ok(())
}

pub fn echo<B: Bus + Clone>(
    dev: &mut Device<B>,
    step: &mut dyn FnMut(),
    c: &Common,
    respond: Option<std::net::Ipv4Addr>,
) -> AnyResult {
    let me = respond.map(|ip| Identity {
        mac: dev.mac_addr(),
        ip: ip.octets(),
    });
    if let Some(me) = &me {
        let m = me.mac;
        println!(
            "responder {} at {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            respond.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5]
        );
    }
    let mut meter = Meter::new(&["echoed"], c.seconds);
    let mut done = Count::default();
    let mut buf: Vec<Packet> = Vec::with_capacity(c.batch);
    let mut i = 0u32;
    let (mut arp, mut icmp) = (0u64, 0u64);
    loop {
        dev.rx_batch(0, &mut buf, c.batch)?;
        if let Some(me) = &me {
            buf.retain_mut(|p| match responder::respond(me, p) {
                Action::ArpReply => {
                    arp += 1;
                    true
                }
                Action::EchoReply => {
                    icmp += 1;
                    true
                }
                Action::Ignore => false,
            });
        }
        let bytes: usize = buf.iter().map(|p| p.len()).sum();
        let n = dev.tx_batch(0, &mut buf)?;
        done.add(n, if buf.is_empty() { bytes } else { 0 });
        buf.clear();
        step();
        i += 1;
        if i % TICK == 0 && !meter.tick(&[done]) {
            break;
        }
    }
    meter.summary(&[done]);
    if me.is_some() {
        println!("answered {arp} ARP requests and {icmp} pings");
    }
    print_drops(dev);
    Ok(())
}

pub fn stats<B: Bus + Clone>(dev: &mut Device<B>, step: &dyn Fn(), c: &Common) -> AnyResult {
    println!("link: {}", dev.link());
    let mut meter = Meter::new(&[], c.seconds);
    let mut i = 0u32;
    let mut last = std::time::Instant::now();
    loop {
        step();
        i += 1;
        if last.elapsed() >= std::time::Duration::from_secs(1) {
            last = std::time::Instant::now();
            let s = dev.stats();
            println!(
                "rx {} pkts {} bytes | tx {} pkts {} bytes | missed {} crc {} length {} size {} \
                 dma {} | drops {}",
                s.rx_packets,
                s.rx_bytes,
                s.tx_packets,
                s.tx_bytes,
                s.rx_missed,
                s.rx_crc_errors,
                s.rx_length_errors,
                s.rx_size_errors,
                s.rx_dma_errors,
                s.rx_drops()
            );
        }
        if i % TICK == 0 && !meter.tick(&[]) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let s = dev.stats().clone();
    println!("{s:#?}");
    // The hardware counter sets in use (RQSMR/TQSM: queue i counts in set i).
    for (i, q) in s.counter_sets.iter().enumerate() {
        if *q != Default::default() {
            println!(
                "queue counters {i}: rx {} pkts {} bytes {} drops | tx {} pkts {} bytes",
                q.rx_packets, q.rx_bytes, q.rx_drops, q.tx_packets, q.tx_bytes
            );
        }
    }
    Ok(())
}

fn print_drops<B: Bus + Clone>(dev: &mut Device<B>) {
    let s = dev.stats();
    println!(
        "card: rx {} tx {} packets; receive drops {} (missed {}, no descriptor {}, driver {})",
        s.rx_packets,
        s.tx_packets,
        s.rx_drops(),
        s.rx_missed,
        s.queues.iter().map(|q| q.hw.rx_drops).sum::<u64>(),
        s.queues.iter().map(|q| q.sw.rx_desc_errors).sum::<u64>(),
    );
}

/// Options of the register dump.
pub struct DumpOptions {
    pub names: Vec<String>,
    pub counters: bool,
    pub all: bool,
}

/// Reads every register of the table by name (write-only ones are skipped, read-to-clear
/// counters only with `counters`).
pub fn dump<B: Bus>(bus: &B, o: &DumpOptions) -> AnyResult {
    let want: Vec<String> = o.names.iter().map(|n| n.to_ascii_uppercase()).collect();
    let mut shown = 0;
    for r in driver_82599::regs::REGISTERS {
        if !want.is_empty() && !want.iter().any(|w| r.name.contains(w.as_str())) {
            continue;
        }
        match r.access {
            Access::WO => continue,
            Access::RC if !o.counters => continue,
            // Reading would consume pending interrupt causes.
            Access::RTC => continue,
            _ => {}
        }
        let indices: Vec<Option<u32>> = if r.is_array() {
            r.segments
                .iter()
                .flat_map(|s| (s.min..=s.max).map(Some))
                .collect()
        } else {
            vec![None]
        };
        for i in indices {
            let Some(off) = r.offset_of(i) else { continue };
            let site = Site::new(r.name, i);
            let (v, text) = if r.bits == 64 {
                let v = bus.read64(off, site);
                (v, format!("0x{v:016X}"))
            } else {
                let v = u64::from(bus.read32(off, site));
                (v, format!("0x{v:08X}"))
            };
            if i.is_some() && v == 0 && !o.all {
                continue;
            }
            let name = match i {
                Some(i) => format!("{}[{i}]", r.name),
                None => r.name.to_string(),
            };
            println!("{name:<16} 0x{off:05X} {text}  {}", r.description);
            shown += 1;
        }
    }
    if shown == 0 && !want.is_empty() {
        return Err(format!("no readable register matches {}", o.names.join(", ")).into());
    }
    Ok(())
}

/// Keeps ports busy with ready-made frames and drains what they receive (the simulated
/// traffic sources of `fwd` and `echo`).
pub struct Generator<B: Bus + Clone> {
    devs: Vec<(Device<B>, Mempool)>,
    batch: usize,
    size: usize,
    out: Vec<Packet>,
}

impl<B: Bus + Clone> Generator<B> {
    pub fn new(devs: Vec<Device<B>>, batch: usize, size: usize) -> AnyResult<Self> {
        let devs = devs
            .into_iter()
            .map(|d| {
                let p = frame_pool(&d, 2048, size)?;
                Ok((d, p))
            })
            .collect::<AnyResult<Vec<_>>>()?;
        Ok(Generator {
            devs,
            batch,
            size,
            out: Vec::with_capacity(batch),
        })
    }

    pub fn run(&mut self) {
        for (d, pool) in self.devs.iter_mut() {
            let want = self.batch - self.out.len();
            pool.alloc_batch(&mut self.out, want, self.size);
            let _ = d.tx_batch(0, &mut self.out);
            self.out.clear();
            let _ = d.rx_batch(0, &mut self.out, self.batch);
            self.out.clear();
        }
    }
}
