//! The command loops, generic over the register bus (real hardware or the simulated card).

use crate::meter::{Count, Meter};
use crate::{AnyResult, LoopOpts};
use driver_82599::{Device, Mempool, Packet, QueueDevice};
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
    l: &LoopOpts,
    size: usize,
    simulated: bool,
) -> AnyResult {
    let pool = frame_pool(dev, 4 * l.ring.max(l.batch), size)?;
    let mut meter = meter(&["TX", "RX"], l, simulated.then_some(size));
    let (mut tx, mut rx) = (Count::default(), Count::default());
    let mut out: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut got: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    loop {
        let want = l.batch - out.len();
        pool.alloc_batch(&mut out, want, size);
        let n = dev.tx_batch(0, &mut out)?;
        tx.add(n, n * size);
        step();
        let m = dev.rx_batch(0, &mut got, l.batch)?;
        rx.add(m, got.iter().map(|p| p.len()).sum());
        got.clear();
        i += 1;
        if i % TICK == 0 && !meter.tick(&[tx, rx]) {
            break;
        }
    }
    meter.summary(&[tx, rx]);
    print_port("port 0", dev);
    Ok(())
}

/// The per-second meter of a packet loop; `line_rate`: the frame size, to mark rates above
/// 10 Gbit/s line rate (on the simulated card, which has no such limit).
fn meter(names: &[&str], l: &LoopOpts, line_rate: Option<usize>) -> Meter {
    let m = Meter::new(names, l.seconds).panic_after(l.panic_after);
    if let Some(size) = line_rate {
        println!(
            "the simulated card has no line-rate limit: rates above 10 Gbit/s line rate \
             ({:.2} Mpps at {size}-byte frames) are marked \"above line rate\"",
            crate::meter::line_rate_pps(size) / 1e6
        );
        m.line_rate_check(size)
    } else {
        m
    }
}

/// What the forwarder counted in one direction.
#[derive(Clone, Copy, Default)]
struct Dir {
    /// Packets and bytes sent on the other port.
    sent: Count,
    /// Packets taken from the receiving port.
    took: u64,
    /// Packets the other port's ring could not take (returned to their pool).
    dropped: u64,
}

impl Dir {
    /// Receives a batch on `from` and sends it on `to`.
    fn forward<B: Bus + Clone>(
        &mut self,
        from: &mut Device<B>,
        to: &mut Device<B>,
        buf: &mut Vec<Packet>,
        batch: usize,
    ) -> AnyResult<usize> {
        // Zero copy: the buffer received on one port is sent on the other; what the ring
        // cannot take is dropped (returned to its pool) and counted.
        let m = from.rx_batch(0, buf, batch)?;
        let bytes: usize = buf.iter().map(|p| p.len()).sum();
        let n = to.tx_batch(0, buf)?;
        let left: usize = buf.iter().map(|p| p.len()).sum();
        self.took += m as u64;
        self.dropped += buf.len() as u64;
        self.sent.add(n, bytes - left);
        buf.clear();
        Ok(m)
    }
}

/// Forwards between `ports[0]` (A) and `ports[1]` (B) both ways. With a generator (the
/// simulated card), the generator stops at the end and the forwarder drains what is still in
/// the rings, then every frame is accounted for: each frame a generator sent was received or
/// dropped by the card, and each frame the forwarder took was sent, dropped for lack of room,
/// or is still in a transmit ring.
pub fn fwd<B: Bus + Clone>(
    ports: [&mut Device<B>; 2],
    names: &[String; 2],
    step: &mut dyn FnMut(),
    mut gen: Option<&mut Generator<B>>,
    l: &LoopOpts,
) -> AnyResult {
    let [a, b] = ports;
    let mut meter = meter(&["A->B", "B->A"], l, gen.is_some().then_some(60));
    let (mut ab, mut ba) = (Dir::default(), Dir::default());
    let mut buf: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    loop {
        ab.forward(a, b, &mut buf, l.batch)?;
        ba.forward(b, a, &mut buf, l.batch)?;
        if let Some(g) = gen.as_mut() {
            g.run();
        }
        step();
        i += 1;
        if i % TICK == 0 && !meter.tick(&[ab.sent, ba.sent]) {
            break;
        }
    }
    if let Some(g) = gen.as_mut() {
        // Drain: no new frames; forward until nothing has moved for 20 ms (bounded: 2 s), so
        // that the card's engines (stepped here, or on their own thread) finish the rings.
        let start = std::time::Instant::now();
        let mut last_move = start;
        while last_move.elapsed() < std::time::Duration::from_millis(20)
            && start.elapsed() < std::time::Duration::from_secs(2)
        {
            let moved =
                ab.forward(a, b, &mut buf, l.batch)? + ba.forward(b, a, &mut buf, l.batch)?;
            let drained = g.drain();
            step();
            if moved + drained != 0 {
                last_move = std::time::Instant::now();
            }
        }
    }
    meter.summary(&[ab.sent, ba.sent]);
    print_port(&names[0], a);
    print_port(&names[1], b);
    let gens = gen.map(|g| g.sent());
    let src = |i: usize| gens.as_ref().map(|g| g[i]);
    let unaccounted = account("A->B", ab, a, b, &names[0], &names[1], src(0))?
        + account("B->A", ba, b, a, &names[1], &names[0], src(1))?;
    if unaccounted != 0 {
        return Err(format!("{unaccounted} frame(s) unaccounted for").into());
    }
    Ok(())
}

/// Prints one direction's reconciliation; returns how many frames it could not account for.
fn account<B: Bus + Clone>(
    dir: &str,
    d: Dir,
    from: &mut Device<B>,
    to: &mut Device<B>,
    fname: &str,
    tname: &str,
    source: Option<(usize, u64)>,
) -> AnyResult<u64> {
    let fs = from.stats().clone();
    // Let the sending port finish its ring (bounded: 100 ms), then read what is left and
    // what the card counted as sent.
    let t0 = std::time::Instant::now();
    while to.tx_queue(0)?.in_flight() != 0 && t0.elapsed() < std::time::Duration::from_millis(100) {
        to.tx_queue(0)?.reclaim();
        std::thread::yield_now();
    }
    let ts = to.stats().clone();
    to.tx_queue(0)?.reclaim();
    let in_ring = to.tx_queue(0)?.in_flight() as u64;
    // Frames the card placed in the receive ring (QPRC), those it dropped (no room in the
    // packet buffer or the ring, bad frames, failed DMA), and those the driver rejected.
    let placed: u64 = fs.queues.iter().map(|q| q.hw.rx_packets).sum();
    let rejected: u64 = fs.queues.iter().map(|q| q.sw.rx_desc_errors).sum();
    let card_dropped = fs.rx_drops() - rejected;
    // Placed but not taken by the forwarder yet.
    let waiting = placed.saturating_sub(d.took + rejected);
    println!(
        "account {dir}: {fname} received {}, dropped {} | forwarder took {}, sent {}, dropped {} \
         (ring full) | {tname} sent {} | in rings: {} waiting in {fname}, {} in {tname}",
        placed,
        card_dropped + rejected,
        d.took,
        d.sent.pkts,
        d.dropped,
        ts.tx_packets,
        waiting,
        in_ring
    );
    let mut missing = 0;
    // The forwarder's own counts against the sending port's card counter and ring.
    let out = ts.tx_packets + in_ring;
    if d.sent.pkts != out {
        println!(
            "  UNACCOUNTED: forwarder sent {} on {tname}, the card sent {} with {} in its ring",
            d.sent.pkts, ts.tx_packets, in_ring
        );
        missing += d.sent.pkts.abs_diff(out);
    }
    if let Some((port, sent)) = source {
        let seen = fs.rx_packets
            + fs.rx_missed
            + fs.rx_crc_errors
            + fs.rx_length_errors
            + fs.rx_size_errors;
        if sent == seen {
            println!(
                "  generator port {port} sent {sent} = {seen} received or dropped by {fname}: \
                 every frame accounted for"
            );
        } else {
            println!(
                "  UNACCOUNTED: generator port {port} sent {sent}, {fname} received or dropped {seen}"
            );
            missing += sent.abs_diff(seen);
        }
    }
    Ok(missing)
}

pub fn echo<B: Bus + Clone>(
    dev: &mut Device<B>,
    step: &mut dyn FnMut(),
    l: &LoopOpts,
    respond: Option<std::net::Ipv4Addr>,
    simulated: bool,
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
    let mut meter = meter(&["echoed"], l, simulated.then_some(60));
    let mut done = Count::default();
    let mut buf: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    let (mut arp, mut icmp) = (0u64, 0u64);
    loop {
        dev.rx_batch(0, &mut buf, l.batch)?;
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
    print_port("port 0", dev);
    Ok(())
}

pub fn stats<B: Bus + Clone>(
    dev: &mut Device<B>,
    step: &dyn Fn(),
    seconds: Option<u64>,
) -> AnyResult {
    println!("link: {}", dev.link());
    let mut meter = Meter::new(&[], seconds);
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
        if i % 16 == 0 && !meter.tick(&[]) {
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
    print_port("port 0", dev);
    Ok(())
}

/// `stats --pci` without `--init`: the card's counters read through a read-only BAR0 mapping,
/// once per second, without taking the device (it may be the kernel driver's).
pub fn stats_read_only<B: Bus>(bus: &B, seconds: Option<u64>) -> AnyResult {
    use driver_82599::regs::Regs;
    use regdsl_rt::Counter;
    let mut regs = Regs::new(bus);
    println!("link: {}", driver_82599::link::read(&regs));
    println!(
        "reading the card's counters without taking it; they clear on read, so a kernel \
         driver bound to it misses what is counted here"
    );
    #[derive(Default)]
    struct C {
        rx: Counter,
        tx: Counter,
        rxb: u64,
        txb: u64,
        missed: Counter,
        crc: Counter,
    }
    let mut c = C::default();
    let read = |r: &mut Regs<&B>, c: &mut C| {
        r.GPRC_mut().accumulate(&mut c.rx);
        r.GPTC_mut().accumulate(&mut c.tx);
        // Low half first: reading the high half clears the pair (8.2.3.23.26).
        c.rxb +=
            u64::from(r.GORCL_mut().read().bits()) | u64::from(r.GORCH_mut().read().bits()) << 32;
        c.txb +=
            u64::from(r.GOTCL_mut().read().bits()) | u64::from(r.GOTCH_mut().read().bits()) << 32;
        for m in r.MPC_mut().iter() {
            m.accumulate(&mut c.missed);
        }
        r.CRCERRS_mut().accumulate(&mut c.crc);
    };
    let mut meter = Meter::new(&[], seconds);
    let mut last = std::time::Instant::now();
    loop {
        if last.elapsed() >= std::time::Duration::from_secs(1) {
            last = std::time::Instant::now();
            read(&mut regs, &mut c);
            println!(
                "rx {} pkts {} bytes | tx {} pkts {} bytes | missed {} crc {}",
                c.rx.total(),
                c.rxb,
                c.tx.total(),
                c.txb,
                c.missed.total(),
                c.crc.total()
            );
        }
        if !meter.tick(&[]) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    read(&mut regs, &mut c);
    println!(
        "total: rx {} tx {} drops {} (missed {}, crc {})",
        c.rx.total(),
        c.tx.total(),
        c.missed.total() + c.crc.total(),
        c.missed.total(),
        c.crc.total()
    );
    Ok(())
}

/// The per-port totals line: received, sent, dropped on receive (and why).
fn print_port<B: Bus + Clone>(name: &str, dev: &mut Device<B>) {
    let s = dev.stats();
    println!(
        "{name}: rx {} tx {} drops {} (missed {}, no descriptor {}, bad frames {}, driver {})",
        s.rx_packets,
        s.tx_packets,
        s.rx_drops(),
        s.rx_missed,
        s.queues.iter().map(|q| q.hw.rx_drops).sum::<u64>(),
        s.rx_crc_errors + s.rx_length_errors + s.rx_size_errors,
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
            Access::RTC | Access::RTCW => continue,
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
/// traffic sources of `fwd` and `echo`), counting what the driver handed to the card.
pub struct Generator<B: Bus + Clone> {
    devs: Vec<(usize, Device<B>, Mempool)>,
    batch: usize,
    size: usize,
    out: Vec<Packet>,
}

impl<B: Bus + Clone> Generator<B> {
    /// `devs`: (port number, device) pairs.
    pub fn new(devs: Vec<(usize, Device<B>)>, batch: usize, size: usize) -> AnyResult<Self> {
        let devs = devs
            .into_iter()
            .map(|(n, d)| {
                let p = frame_pool(&d, 2048, size)?;
                Ok((n, d, p))
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
        for (_, d, pool) in self.devs.iter_mut() {
            let want = self.batch - self.out.len();
            pool.alloc_batch(&mut self.out, want, self.size);
            let _ = d.tx_batch(0, &mut self.out);
            self.out.clear();
            let _ = d.rx_batch(0, &mut self.out, self.batch);
            self.out.clear();
        }
    }

    /// Sends nothing new; takes what the ports received. Returns how many frames were taken.
    pub fn drain(&mut self) -> usize {
        let mut n = 0;
        for (_, d, _) in self.devs.iter_mut() {
            n += d.rx_batch(0, &mut self.out, self.batch).unwrap_or(0);
            self.out.clear();
        }
        n
    }

    /// Frames each port's card put on the wire: (port number, GPTC total).
    pub fn sent(&mut self) -> Vec<(usize, u64)> {
        self.devs
            .iter_mut()
            .map(|(n, d, _)| (*n, d.stats().tx_packets))
            .collect()
    }
}
