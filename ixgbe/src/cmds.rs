//! The command loops, generic over the register bus (real hardware or the simulated card).

use crate::meter::{Count, Meter};
use crate::{AnyResult, LoopOpts};
use driver_82599::share::{Attached, Primary, ShareDir};
use driver_82599::{Device, Mempool, Packet, QueueDevice};
use ixgbe::responder::{self, Action, Identity};
use regdsl_rt::{Access, Bus, Site};

/// How often (in loop iterations) the meter looks at the clock.
const TICK: u32 = 256;

/// With --interrupts: empty polls in a row before the loop sleeps on its vectors, and the
/// longest sleep (then the meter and the signal flag are looked at).
const IDLE_POLLS: u32 = 64;
const SLEEP: std::time::Duration = std::time::Duration::from_millis(100);

/// --interrupts: sets up `dev`'s receive interrupts and binds each vector's eventfd with
/// `bind(vector, fd)` (the platform's: the simulated card, a card process, VFIO).
pub fn enable_irq<B: Bus + Clone>(
    dev: &mut Device<B>,
    l: &LoopOpts,
    bind: &mut dyn FnMut(usize, std::os::fd::BorrowedFd<'_>) -> AnyResult,
) -> AnyResult {
    if !l.interrupts {
        return Ok(());
    }
    dev.enable_rx_interrupts(&driver_82599::irq::IrqConfig {
        moderation_us: l.itr_us,
    })?;
    for (v, fd) in dev.msix_fds() {
        bind(v as usize, fd)?;
    }
    Ok(())
}

/// Interrupt mode of a loop: counts empty polls and sleeps once there were enough.
#[derive(Default)]
struct Idle {
    on: bool,
    polls: u32,
    sleeps: u64,
    wakeups: u64,
}

impl Idle {
    fn new(l: &LoopOpts) -> Idle {
        Idle {
            on: l.interrupts,
            ..Idle::default()
        }
    }

    /// After a loop iteration that moved `moved` packets: whether to sleep now.
    fn should_sleep(&mut self, moved: usize) -> bool {
        if moved != 0 {
            self.polls = 0;
            return false;
        }
        self.polls = self.polls.saturating_add(1);
        self.on && self.polls >= IDLE_POLLS
    }

    /// Sleeps on receive queue 0 of every device in `devs` until a packet or `SLEEP`.
    fn sleep<B: Bus + Clone>(&mut self, devs: &mut [&mut Device<B>]) -> AnyResult {
        let irqs = devs
            .iter()
            .map(|d| d.rx_irq(0))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<_> = irqs.iter().collect();
        self.sleeps += 1;
        let mut ready = || {
            devs.iter_mut()
                .any(|d| d.rx_queue(0).map(|q| q.ready()).unwrap_or(false))
        };
        if driver_82599::irq::wait_any(&refs, &mut ready, SLEEP)? {
            self.wakeups += 1;
        }
        Ok(())
    }

    fn report(&self) {
        if self.on {
            println!(
                "interrupts: slept {} times, woken by a packet {} times",
                self.sleeps, self.wakeups
            );
        }
    }
}

/// A pool of `n` buffers whose first `size` bytes hold a test frame: buffers keep their
/// contents, so allocating from it later yields ready frames without writing them again.
/// `udp`: IPv4 UDP frames from 10.0.0.1 ports 1000-1015 to 10.0.0.2, half of them to port
/// 4789 and half to 53 (flows for `--fdir` rules), else frames that are not IP.
fn frame_pool<B: Bus + Clone>(
    dev: &Device<B>,
    n: usize,
    size: usize,
    udp: bool,
) -> AnyResult<Mempool> {
    let pool = Mempool::new(&**dev.dma(), n, 2048)?;
    let mut all = Vec::new();
    pool.alloc_batch(&mut all, n, size);
    for (i, p) in all.iter_mut().enumerate() {
        p.fill(0);
        // Broadcast: accepted without promiscuous mode.
        if udp {
            let sport = 1000 + (i % 16) as u16;
            let dport = if i % 2 == 0 { 4789 } else { 53 };
            let f = testkit::frame::ipv4(
                testkit::frame::BROADCAST,
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                17,
                sport,
                dport,
            );
            let n = f.len().min(size);
            p[..n].copy_from_slice(&f[..n]);
            // The IP total length of the frame as sent.
            p[16..18].copy_from_slice(&((size - 14) as u16).to_be_bytes());
        } else {
            testkit::frame::header(p, testkit::frame::BROADCAST, testkit::frame::SRC);
        }
    }
    Ok(pool)
}

/// The device configuration `--fdir` rules need (checked when they are added, [`add_fdir`]):
/// Flow Director with the rules' field masks; with a `drop` rule, one more receive queue
/// that nobody polls as the drop queue (its frames are counted, SRRCTL.DROP_EN drops them
/// once its ring is full), which RSS leaves out.
pub fn fdir_config(
    cfg: driver_82599::Config,
    rules: &[ixgbe::fdir_rule::Rule],
) -> driver_82599::Config {
    use driver_82599::fdir::FdirConfig;
    use driver_82599::rss::{RssConfig, DEFAULT_KEY, RETA_LEN};
    if rules.is_empty() {
        return cfg;
    }
    let plan = ixgbe::fdir_rule::plan(rules).unwrap_or(ixgbe::fdir_rule::Plan {
        masks: Default::default(),
        drop: false,
    });
    let own = cfg.rx_queues;
    let rx_queues = own + u16::from(plan.drop);
    driver_82599::Config {
        rx_queues,
        rss: plan.drop.then_some(RssConfig {
            key: DEFAULT_KEY,
            // Every entry one of the polled queues: RSS never picks the drop queue.
            reta: [0; RETA_LEN],
        }),
        fdir: Some(FdirConfig {
            masks: plan.masks,
            drop_queue: if plan.drop { own as u8 } else { 0 },
            ..FdirConfig::default()
        }),
        ..cfg
    }
}

/// Adds the `--fdir` rules' filters: queue 0 is this process's, queues 1..=N a primary's
/// `--share N` secondaries'.
pub fn add_fdir<B: Bus + Clone>(
    dev: &mut Device<B>,
    rules: &[ixgbe::fdir_rule::Rule],
) -> AnyResult {
    ixgbe::fdir_rule::plan(rules)?;
    let shared = dev.config().shared_queues;
    for r in rules {
        if let Some(q) = r.queue.filter(|&q| q > shared) {
            return Err(format!(
                "--fdir {:?}: queue {q}: this process runs on queue 0{}",
                r.text,
                match shared {
                    0 => " (give --share N for queues 1..=N, each a secondary's)".to_string(),
                    n => format!(" and --share {n} gives secondaries queues 1..={n}"),
                }
            )
            .into());
        }
        dev.add_fdir(r.flow(), r.queue)
            .map_err(|e| format!("--fdir {:?}: {e}", r.text))?;
    }
    Ok(())
}

/// How a command's loop ended. An error or a panic in the loop still gets the totals counted
/// so far printed: after an error the device is stopped and its totals read as at a normal
/// end, then the error is returned; after a panic only this process's own counts are printed
/// (no register is touched while a panic is in flight), then the panic goes on unwinding and
/// the device's drop stops the card.
enum Ended {
    Done,
    Failed(Box<dyn std::error::Error>),
    Panicked(Box<dyn std::any::Any + Send>),
}

impl Ended {
    /// Runs `body` (the loop), catching an error or a panic.
    fn run(body: impl FnOnce() -> AnyResult) -> Ended {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
            Ok(Ok(())) => Ended::Done,
            Ok(Err(e)) => {
                println!("the run ended with an error ({e}); the totals so far:");
                Ended::Failed(e)
            }
            Err(p) => Ended::Panicked(p),
        }
    }

    /// After a panic: `summary` (the counts, no register access), then the panic resumes.
    fn panicked(self, summary: impl FnOnce()) -> Ended {
        if let Ended::Panicked(p) = self {
            println!("the run panicked; this process's counts so far:");
            summary();
            std::panic::resume_unwind(p);
        }
        self
    }

    /// The command's result once the totals are printed: the loop's error first, then `end`'s
    /// (the stop and the reconciliation).
    fn result(self, end: AnyResult) -> AnyResult {
        match self {
            Ended::Failed(e) => Err(e),
            Ended::Panicked(p) => std::panic::resume_unwind(p),
            Ended::Done => end,
        }
    }
}

/// What `pktgen` sends.
pub struct Traffic {
    /// Frame size in bytes.
    pub size: usize,
    /// The transmit queue's rate limit (Mbit/s), if any: the achieved rate is printed.
    pub rate: Option<u32>,
    /// On the simulated card (the meter notes it has no line-rate limit).
    pub simulated: bool,
}

/// `share`: this process is the primary of a shared card; it publishes the counters once a
/// second for the secondaries (which never read the read-to-clear registers).
pub fn pktgen<B: Bus + Clone>(
    dev: &mut Device<B>,
    port: &str,
    step: &dyn Fn(),
    l: &LoopOpts,
    traffic: Traffic,
    mut share: Option<(&mut Primary, std::time::Duration)>,
) -> AnyResult {
    let Traffic {
        size,
        rate,
        simulated,
    } = traffic;
    let mut published = std::time::Instant::now();
    let pool = frame_pool(dev, 4 * l.ring.max(l.batch), size, false)?;
    // Under a rate limit, what the card sent (GPTC) is the achieved rate; what the driver
    // queued runs ahead of it by up to a ring.
    let sent_before = dev.stats().tx_packets;
    let t0 = std::time::Instant::now();
    let mut meter = meter(&["TX", "RX"], l, simulated.then_some(size));
    let (mut tx, mut rx) = (Count::default(), Count::default());
    let mut out: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut got: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    let ended = Ended::run(|| loop {
        let want = l.batch - out.len();
        pool.alloc_batch(&mut out, want, size);
        let n = dev.tx_batch(0, &mut out)?;
        tx.add(n, n * size);
        step();
        let m = dev.rx_batch(0, &mut got, l.batch)?;
        rx.add(m, got.iter().map(|p| p.len()).sum());
        got.clear();
        i += 1;
        if i % TICK == 0 {
            dev.check_present()?;
            if let Some((p, _)) = share.as_ref() {
                if published.elapsed() >= std::time::Duration::from_secs(1) {
                    published = std::time::Instant::now();
                    p.publish_stats(dev.stats())?;
                }
            }
            if !meter.tick(&[tx, rx]) {
                return Ok(());
            }
        }
    })
    .panicked(|| meter.summary(&[tx, rx]));
    let shared = match share.as_mut() {
        Some((p, wait)) => finish_primary("", dev, p, *wait),
        None => Ok(()),
    };
    finish(dev, &mut || step());
    meter.summary(&[tx, rx]);
    if let Some(r) = rate {
        let secs = t0.elapsed().as_secs_f64();
        let sent = dev.stats().tx_packets - sent_before;
        // Wire bits: frame, CRC, preamble and inter-frame gap (the limiter's measure, 7.7.2.2).
        let mbps = (sent * (size as u64 + 24) * 8) as f64 / secs / 1e6;
        println!(
            "rate limit {r} Mbit/s: the card sent {sent} frames in {secs:.2} s, \
             {mbps:.2} Mbit/s on the wire ({:.1}% of the limit)",
            mbps / f64::from(r) * 100.0
        );
    }
    print_port(port, dev);
    ended.result(shared)
}

/// Ends a run on a device: lets the card send what its transmit ring holds (bounded: 100 ms;
/// the stepped simulated card moves only when stepped), then stops the device
/// ([`Device::stop`], which itself waits, bounded, for a real or threaded card): every frame
/// queued is then sent or counted as dropped at stop, and the totals printed after are final.
fn finish<B: Bus + Clone>(dev: &mut Device<B>, step: &mut dyn FnMut()) {
    let t0 = std::time::Instant::now();
    if let Ok(q) = dev.tx_queue(0) {
        while q.unsent() != 0 && t0.elapsed() < std::time::Duration::from_millis(100) {
            step();
        }
    }
    dev.stop();
}

/// The primary's end with secondaries: no new attach, a bounded wait for the attached ones
/// to detach (they stop once the card stops, see `driver_82599::share`), then the counters of
/// every queue counter set, published a last time and printed (each line prefixed with
/// `name`: the port, for a primary of two).
pub fn finish_primary<B: Bus + Clone>(
    name: &str,
    dev: &mut Device<B>,
    share: &mut Primary,
    wait: std::time::Duration,
) -> AnyResult {
    let left = share.wait_detached(wait);
    if !left.is_empty() {
        let who: Vec<String> = left
            .iter()
            .map(|(q, pid)| format!("queue {q} (process {pid})"))
            .collect();
        println!(
            "stopping the card with secondaries still attached after {wait:?}: {}; they see the card stopped",
            who.join(", ")
        );
    }
    let s = dev.stats().clone();
    share.publish_stats(&s)?;
    for (i, q) in s.counter_sets.iter().enumerate() {
        if *q != Default::default() {
            println!(
                "{name}queue counters {i}: rx {} pkts {} bytes {} drops | tx {} pkts {} bytes",
                q.rx_packets, q.rx_bytes, q.rx_drops, q.tx_packets, q.tx_bytes
            );
        }
    }
    Ok(())
}

/// `pktgen --attach`: a secondary on its queue pair. It sends UDP frames whose RSS hash (by
/// the key and table the primary programmed) brings them back to its own receive queue, and
/// counts what comes back. At the end it stops sending and drains: until its transmit queue
/// is idle (TDH = TDT) and nothing has arrived for 50 ms, so that what it reports sent and
/// received is all the card sent and wrote for this queue.
pub fn pktgen_attached<B: Bus + Clone>(
    dev: &mut Attached<B>,
    l: &LoopOpts,
    size: usize,
) -> AnyResult {
    use driver_82599::rss::source_port_for_queue;
    let q = dev.hw_queue(0).ok_or("attached to no queue")?;
    let (src, dst, dport) = ([10, 0, 0, 1], [10, 0, 0, 2], 9);
    let (mac, sport) = match dev.vmdq_pool() {
        // A pool: frames to the address the primary gave it come back to its first queue.
        Some(p) => {
            let mac = *dev.pool_macs().first().ok_or_else(|| {
                format!("the primary gave pool {p} no address (--pool-mac {p}=MAC on the primary)")
            })?;
            println!(
                "attached to pool {p} (queues {:?}): frames to {} come back to queue {q}",
                dev.hw_queues(),
                mac.map(|b| format!("{b:02x}")).join(":")
            );
            (mac, 1024)
        }
        None => {
            let sport =
                source_port_for_queue(&dev.rss(), src, dst, dport, q as u8).ok_or_else(|| {
                    format!("no UDP flow reaches queue {q} under the card's RSS table (is RSS on?)")
                })?;
            println!("attached to queue {q}: UDP {sport} -> {dport} comes back to it");
            (testkit::frame::BROADCAST, sport)
        }
    };
    let mut frame = testkit::frame::ipv4(mac, src, dst, 17, sport, dport);
    frame.resize(size.max(frame.len()), 0);
    let size = frame.len();
    let n = 4 * l.ring.max(l.batch);
    let pool = Mempool::new(&**dev.dma(), n, 2048)?;
    let mut all = Vec::new();
    pool.alloc_batch(&mut all, n, size);
    for p in all.iter_mut() {
        p.copy_from_slice(&frame);
    }
    drop(all);
    let mut meter = meter(&["TX", "RX"], l, None);
    let (mut tx, mut rx) = (Count::default(), Count::default());
    let mut out: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut got: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    let mut checked = std::time::Instant::now();
    let ended = Ended::run(|| loop {
        let want = l.batch - out.len();
        pool.alloc_batch(&mut out, want, size);
        let n = dev.tx_batch(0, &mut out)?;
        tx.add(n, n * size);
        let m = dev.rx_batch(0, &mut got, l.batch)?;
        rx.add(m, got.iter().map(|p| p.len()).sum());
        got.clear();
        i += 1;
        if i % TICK == 0 {
            if checked.elapsed() >= CHECK_PRIMARY {
                checked = std::time::Instant::now();
                dev.check_primary()?;
            }
            if !meter.tick(&[tx, rx]) {
                return Ok(());
            }
        }
    })
    .panicked(|| meter.summary(&[tx, rx]));
    // Unsent packets go back to the pool; then drain (bounded; not after an error) and stop
    // the queue, which counts what the card wrote back after the last take (under load the
    // card may write after any quiet period): what the card wrote = received + received not
    // taken.
    out.clear();
    let drained = match ended {
        Ended::Done => drain_attached(&mut [&mut *dev], &mut |d| {
            let m = d[0].rx_batch(0, &mut got, l.batch)?;
            rx.add(m, got.iter().map(|p| p.len()).sum());
            got.clear();
            Ok(m)
        }),
        _ => Ok(()),
    };
    dev.stop();
    meter.summary(&[tx, rx]);
    print_attached("", dev);
    ended.result(drained)
}

/// A primary's counters published for its secondaries, once a second: `share[i]` is
/// `devs[i]`'s port.
fn publish_each<B: Bus + Clone>(
    share: &mut [Primary],
    devs: &mut [&mut Device<B>],
    last: &mut std::time::Instant,
) -> AnyResult {
    if last.elapsed() < std::time::Duration::from_secs(1) {
        return Ok(());
    }
    *last = std::time::Instant::now();
    for (p, dev) in share.iter_mut().zip(devs.iter_mut()) {
        p.publish_stats(dev.stats())?;
    }
    Ok(())
}

/// How often a secondary looks at its primary ([`Attached::check_primary`]).
const CHECK_PRIMARY: std::time::Duration = std::time::Duration::from_millis(200);

/// A secondary's end: `once` (one pass of its loop, returning the packets it moved) runs until
/// nothing has moved for 50 ms and every transmit queue of `devs` is idle (TDH = TDT),
/// bounded by 5 s, so that what came back or was still in flight when the loop ended is
/// taken and sent too.
fn drain_attached<B: Bus + Clone>(
    devs: &mut [&mut Attached<B>],
    once: &mut dyn FnMut(&mut [&mut Attached<B>]) -> AnyResult<usize>,
) -> AnyResult {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut quiet = std::time::Instant::now();
    while std::time::Instant::now() < end {
        if once(devs)? > 0 {
            quiet = std::time::Instant::now();
        } else if devs.iter().all(|d| d.tx_idle(0))
            && quiet.elapsed() >= std::time::Duration::from_millis(50)
        {
            break;
        } else {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }
    Ok(())
}

/// A stopped secondary's per-queue account ([`Attached::stop`] first): what it took and
/// queued, what was dropped at stop, and the primary's last published counters of the queue.
fn print_attached<B: Bus + Clone>(name: &str, dev: &Attached<B>) {
    for s in dev.stats() {
        println!(
            "{name}queue {}: received {} sent {} | at stop: {} received not taken, {} queued never \
             sent (this process's counts){}",
            s.queue,
            s.sw.rx_packets,
            s.sw.tx_packets,
            s.sw.rx_dropped_at_stop,
            s.sw.tx_dropped_at_stop,
            match s.hw {
                Some(h) => format!(
                    "; the primary last published rx {} drops {} tx {}",
                    h.rx_packets, h.rx_drops, h.tx_packets
                ),
                None => String::new(),
            }
        );
    }
}

/// `echo --attach`: a secondary that sends what its queue pair (a pool's first) receives back
/// out of its own transmit queue. It checks the primary every 200 ms and ends with
/// [`driver_82599::Error::PrimaryGone`] once it stops. At the end (a signal, `--seconds`) it
/// drains, stops its queues and prints its totals: every frame taken was sent back or dropped
/// for a full ring.
pub fn echo_attached<B: Bus + Clone>(dev: &mut Attached<B>, l: &LoopOpts) -> AnyResult {
    let q = dev.hw_queue(0).ok_or("attached to no queue")?;
    println!("attached to queue {q}: sending back what it receives");
    let mut meter = meter(&["echoed"], l, None);
    let mut e = Dir::default();
    let mut buf: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    let mut checked = std::time::Instant::now();
    let ended = Ended::run(|| loop {
        e.echo(dev, &mut buf, l.batch)?;
        i += 1;
        if i % TICK == 0 {
            if checked.elapsed() >= CHECK_PRIMARY {
                checked = std::time::Instant::now();
                dev.check_primary()?;
            }
            if !meter.tick(&[e.sent]) {
                return Ok(());
            }
        }
    })
    .panicked(|| meter.summary(&[e.sent]));
    // After an error (the primary gone, the card gone) no drain: stop and count.
    let drained = match ended {
        Ended::Done => drain_attached(&mut [&mut *dev], &mut |d| {
            e.echo(&mut *d[0], &mut buf, l.batch)
        }),
        _ => Ok(()),
    };
    dev.stop();
    meter.summary(&[e.sent]);
    println!(
        "echo queue {q}: took {} sent {} dropped {} (transmit ring full)",
        e.took, e.sent.pkts, e.dropped
    );
    print_attached("", dev);
    ended.result(drained)
}

/// `fwd --attach`: a secondary on the same queue pair of two ports (each port's primary and
/// share directory its own): what queue Q of A receives goes out of queue Q of B, and the
/// other way. Checks both primaries every 200 ms (either one's exit ends it with
/// [`driver_82599::Error::PrimaryGone`]); at the end drains, stops its queues and prints
/// each direction's and each queue's totals.
pub fn fwd_attached<B: Bus + Clone>(
    ports: [&mut Attached<B>; 2],
    names: &[String; 2],
    l: &LoopOpts,
) -> AnyResult {
    let [a, b] = ports;
    println!(
        "attached to queue {} of {} and queue {} of {}: forwarding both ways",
        a.hw_queue(0).ok_or("attached to no queue")?,
        names[0],
        b.hw_queue(0).ok_or("attached to no queue")?,
        names[1]
    );
    let mut meter = meter(&["A->B", "B->A"], l, None);
    let (mut ab, mut ba) = (Dir::default(), Dir::default());
    let mut buf: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    let mut checked = std::time::Instant::now();
    let ended = Ended::run(|| loop {
        ab.forward(a, b, &mut buf, l.batch)?;
        ba.forward(b, a, &mut buf, l.batch)?;
        i += 1;
        if i % TICK == 0 {
            if checked.elapsed() >= CHECK_PRIMARY {
                checked = std::time::Instant::now();
                a.check_primary()?;
                b.check_primary()?;
            }
            if !meter.tick(&[ab.sent, ba.sent]) {
                return Ok(());
            }
        }
    })
    .panicked(|| meter.summary(&[ab.sent, ba.sent]));
    // After an error (a primary gone, a card gone) no drain: stop and count.
    let drained = match ended {
        Ended::Done => drain_attached(&mut [&mut *a, &mut *b], &mut |d| {
            let [a, b] = d else {
                return Err("two ports".into());
            };
            Ok(ab.forward(&mut **a, &mut **b, &mut buf, l.batch)?
                + ba.forward(&mut **b, &mut **a, &mut buf, l.batch)?)
        }),
        _ => Ok(()),
    };
    a.stop();
    b.stop();
    meter.summary(&[ab.sent, ba.sent]);
    for (dir, d) in [("A->B", ab), ("B->A", ba)] {
        println!(
            "forwarded {dir}: took {} sent {} dropped {} (transmit ring full)",
            d.took, d.sent.pkts, d.dropped
        );
    }
    print_attached(&format!("{} ", names[0]), a);
    print_attached(&format!("{} ", names[1]), b);
    ended.result(drained)
}

/// `stats --attach`: the card's per-queue state while other processes run it, read-only:
/// who holds each queue, the counters the primary published, and each queue's ring
/// positions (RDH/RDT/TDH/TDT, which do not clear on read). No read-to-clear register is
/// read, nothing is written.
pub fn stats_attached<B: Bus>(bus: &B, dir: &ShareDir, seconds: Option<u64>) -> AnyResult {
    use driver_82599::regs::{Regs, RXDCTL, TXDCTL};
    let regs = Regs::new(bus);
    println!("link: {}", driver_82599::link::read(&regs));
    let mut meter = Meter::new(&[], seconds);
    let mut last: Option<std::time::Instant> = None;
    loop {
        if last.map_or(true, |t| t.elapsed() >= std::time::Duration::from_secs(1)) {
            last = Some(std::time::Instant::now());
            let holders = dir.queue_holders();
            let published = driver_82599::share::read_published(dir);
            match &published {
                Some(p) => println!(
                    "port (published by the primary): rx {} pkts {} bytes | tx {} pkts {} bytes | drops {}",
                    p.port[0], p.port[1], p.port[2], p.port[3], p.port[4]
                ),
                None => println!("port: the primary has published no counters yet"),
            }
            for &(q, ref pid) in &holders {
                let q32 = u32::from(q);
                let hw = published
                    .as_ref()
                    .and_then(|p| p.sets.get(usize::from(q)).copied())
                    .unwrap_or_default();
                let on = |b: bool| if b { "on" } else { "off" };
                println!(
                    "queue {q} (process {pid}): rx {} pkts {} bytes {} drops | tx {} pkts {} bytes | \
                     rx {} RDH {} RDT {} | tx {} TDH {} TDT {}",
                    hw.rx_packets,
                    hw.rx_bytes,
                    hw.rx_drops,
                    hw.tx_packets,
                    hw.tx_bytes,
                    on(regs.RXDCTL().at(q32).read().is_set(RXDCTL::ENABLE)),
                    regs.RDH().at(q32).read().bits(),
                    regs.RDT().at(q32).read().bits(),
                    on(regs.TXDCTL().at(q32).read().is_set(TXDCTL::ENABLE)),
                    regs.TDH().at(q32).read().bits(),
                    regs.TDT().at(q32).read().bits(),
                );
            }
        }
        if !meter.tick(&[]) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
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

/// What a loop counted in one direction: packets taken from a receive queue and sent on a
/// transmit queue (fwd: to the other port; echo: back out of the same one).
#[derive(Clone, Copy, Default)]
struct Dir {
    /// Packets and bytes sent.
    sent: Count,
    /// Packets taken from the receive queue.
    took: u64,
    /// Packets the transmit ring could not take (returned to their pool).
    dropped: u64,
}

impl Dir {
    /// Receives a batch on `from`'s queue 0 and sends it on `to`'s queue 0 (a device of
    /// the primary, or a secondary's attached queue).
    fn forward<D: QueueDevice>(
        &mut self,
        from: &mut D,
        to: &mut D,
        buf: &mut Vec<Packet>,
        batch: usize,
    ) -> AnyResult<usize>
    where
        D::Error: std::error::Error + 'static,
    {
        let m = from.rx_batch(0, buf, batch)?;
        self.send(m, buf, |b| to.tx_batch(0, b))
    }

    /// Receives a batch on queue 0 and sends it back on queue 0.
    fn echo<D: QueueDevice>(
        &mut self,
        dev: &mut D,
        buf: &mut Vec<Packet>,
        batch: usize,
    ) -> AnyResult<usize>
    where
        D::Error: std::error::Error + 'static,
    {
        let m = dev.rx_batch(0, buf, batch)?;
        self.send(m, buf, |b| dev.tx_batch(0, b))
    }

    /// Counts the `m` packets taken into `buf` and sends them with `tx`. Zero copy: the
    /// buffers received are the ones sent; what the ring cannot take (left in `buf`) is
    /// dropped (returned to its pool) and counted.
    fn send<E: std::error::Error + 'static>(
        &mut self,
        m: usize,
        buf: &mut Vec<Packet>,
        tx: impl FnOnce(&mut Vec<Packet>) -> Result<usize, E>,
    ) -> AnyResult<usize> {
        let bytes: usize = buf.iter().map(|p| p.len()).sum();
        let n = tx(buf)?;
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
///
/// `share`: this process is the primary of both ports (`share[0]` A's, `share[1]` B's); it
/// publishes their counters once a second and waits for their secondaries at the end.
pub fn fwd<B: Bus + Clone>(
    ports: [&mut Device<B>; 2],
    names: &[String; 2],
    step: &mut dyn FnMut(),
    mut gen: Option<&mut Generator<B>>,
    l: &LoopOpts,
    mut share: Option<(&mut [Primary], std::time::Duration)>,
) -> AnyResult {
    let [a, b] = ports;
    let mut published = std::time::Instant::now();
    let mut meter = meter(&["A->B", "B->A"], l, gen.is_some().then_some(60));
    let (mut ab, mut ba) = (Dir::default(), Dir::default());
    let mut buf: Vec<Packet> = Vec::with_capacity(l.batch);
    let mut i = 0u32;
    let mut idle = Idle::new(l);
    let ended = Ended::run(|| loop {
        let moved = ab.forward(a, b, &mut buf, l.batch)? + ba.forward(b, a, &mut buf, l.batch)?;
        if let Some(g) = gen.as_mut() {
            g.run();
        }
        step();
        i += 1;
        let slept = idle.should_sleep(moved);
        if slept {
            idle.sleep(&mut [&mut *a, &mut *b])?;
        }
        if slept || i % TICK == 0 {
            a.check_present()?;
            b.check_present()?;
            if let Some((p, _)) = share.as_mut() {
                publish_each(p, &mut [&mut *a, &mut *b], &mut published)?;
            }
            if !meter.tick(&[ab.sent, ba.sent]) {
                return Ok(());
            }
        }
    })
    .panicked(|| meter.summary(&[ab.sent, ba.sent]));
    idle.report();
    let mut end: AnyResult = match (gen.as_mut(), &ended) {
        // Drain: no new frames; forward until nothing has moved for 20 ms (bounded: 2 s), so
        // that the card's engines (stepped here, or on their own thread) finish the rings.
        (Some(g), Ended::Done) => (|| {
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
            Ok(())
        })(),
        _ => Ok(()),
    };
    if let Some((p, wait)) = share.as_mut() {
        for ((p, dev), name) in p.iter_mut().zip([&mut *a, &mut *b]).zip(names) {
            let r = finish_primary(&format!("{name} "), dev, p, *wait);
            end = end.and(r);
        }
    }
    finish(a, step);
    finish(b, step);
    meter.summary(&[ab.sent, ba.sent]);
    print_port(&names[0], a);
    print_port(&names[1], b);
    let gens = gen.map(|g| g.stop_and_count());
    let src = |i: usize| gens.as_ref().map(|g| g[i]);
    // The reconciliation needs the card's counters up to the stop: not after an error.
    let accounted = match ended {
        Ended::Done => account("A->B", ab, a, b, &names[0], &names[1], src(0))
            .and_then(|x| Ok(x + account("B->A", ba, b, a, &names[1], &names[0], src(1))?)),
        _ => {
            println!(
                "no reconciliation: the run ended early, the counters above are the last read"
            );
            Ok(0)
        }
    };
    let end = end.and(accounted).and_then(|unaccounted| {
        if unaccounted != 0 {
            return Err(format!("{unaccounted} frame(s) unaccounted for").into());
        }
        Ok(())
    });
    ended.result(end)
}

/// Prints one direction's reconciliation, once both ports are stopped (every ring empty);
/// returns how many frames it could not account for.
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
    let ts = to.stats().clone();
    // With queues shared, the port's counter (GPTC) holds the secondaries' frames too: the
    // forwarder's own are its queues' counter sets.
    let to_sent = if to.config().shared_queues > 0 {
        ts.queues.iter().map(|q| q.hw.tx_packets).sum()
    } else {
        ts.tx_packets
    };
    // Frames the card placed in the receive ring (QPRC), those it dropped (no room in the
    // packet buffer or the ring, bad frames, failed DMA), and those the driver rejected.
    let placed: u64 = fs.queues.iter().map(|q| q.hw.rx_packets).sum();
    let rejected: u64 = fs.queues.iter().map(|q| q.sw.rx_desc_errors).sum();
    let card_dropped = fs.rx_drops() - rejected;
    // Placed but not taken by the forwarder when the port stopped; queued on the other port
    // but never sent when it stopped: both released and counted by the driver.
    let (left, unsent) = (fs.rx_dropped_at_stop(), ts.tx_dropped_at_stop());
    println!(
        "account {dir}: {fname} received {}, dropped {} | forwarder took {}, sent {}, dropped {} \
         (ring full) | {tname} sent {} | dropped at stop: {} received in {fname} not taken, {} \
         queued in {tname} never sent",
        placed,
        card_dropped + rejected,
        d.took,
        d.sent.pkts,
        d.dropped,
        to_sent,
        left,
        unsent
    );
    let mut missing = 0;
    // The forwarder's own counts against the sending port's card counter and stop count.
    let out = to_sent + unsent;
    if d.sent.pkts != out {
        println!(
            "  UNACCOUNTED: forwarder sent {} on {tname}, the card sent {} and {} were dropped at stop",
            d.sent.pkts, to_sent, unsent
        );
        missing += d.sent.pkts.abs_diff(out);
    }
    // What the card placed in the receiving ring against what the forwarder took.
    if placed != d.took + rejected + left {
        println!(
            "  UNACCOUNTED: {fname} placed {placed} in its ring; the forwarder took {}, the driver \
             rejected {rejected}, {left} were left at stop",
            d.took
        );
        missing += placed.abs_diff(d.took + rejected + left);
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

/// Sends every packet received on queue 0 back out of queue 0 (`respond`: only the answers to
/// ARP and ping for that address). `share`: this process is the primary of a shared card.
pub fn echo<B: Bus + Clone>(
    dev: &mut Device<B>,
    port: &str,
    step: &mut dyn FnMut(),
    l: &LoopOpts,
    respond: Option<std::net::Ipv4Addr>,
    simulated: bool,
    mut share: Option<(&mut Primary, std::time::Duration)>,
) -> AnyResult {
    let mut published = std::time::Instant::now();
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
    let mut idle = Idle::new(l);
    let ended = Ended::run(|| loop {
        let moved = dev.rx_batch(0, &mut buf, l.batch)?;
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
        let slept = idle.should_sleep(moved);
        if slept {
            idle.sleep(&mut [&mut *dev])?;
        }
        if slept || i % TICK == 0 {
            dev.check_present()?;
            if let Some((p, _)) = share.as_mut() {
                publish_each(std::slice::from_mut(*p), &mut [&mut *dev], &mut published)?;
            }
            if !meter.tick(&[done]) {
                return Ok(());
            }
        }
    })
    .panicked(|| meter.summary(&[done]));
    idle.report();
    let shared = match share.as_mut() {
        Some((p, wait)) => finish_primary("", dev, p, *wait),
        None => Ok(()),
    };
    finish(dev, step);
    meter.summary(&[done]);
    if me.is_some() {
        println!("answered {arp} ARP requests and {icmp} pings");
    }
    print_port(port, dev);
    ended.result(shared)
}

pub fn stats<B: Bus + Clone>(
    dev: &mut Device<B>,
    name: &str,
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
    dev.stop();
    let s = dev.stats().clone();
    // The hardware counter sets in use (RQSMR/TQSM: queue i counts in set i).
    let mut shown = 0;
    for (i, q) in s.counter_sets.iter().enumerate() {
        if *q != Default::default() {
            shown += 1;
            println!(
                "queue counters {i}: rx {} pkts {} bytes {} drops | tx {} pkts {} bytes",
                q.rx_packets, q.rx_bytes, q.rx_drops, q.tx_packets, q.tx_bytes
            );
        }
    }
    if shown == 0 {
        println!("queue counters: all {} sets 0", s.counter_sets.len());
    }
    print_port(name, dev);
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

/// The per-port totals: received, sent, dropped on receive (and why); once the device is
/// stopped, what it dropped at stop and the transmit reconciliation (queued = sent + dropped at
/// stop: every frame the driver queued is accounted for).
fn print_port<B: Bus + Clone>(name: &str, dev: &mut Device<B>) {
    let shared = dev.config().shared_queues > 0;
    let gone = dev.check_present().is_err();
    let drop_queue = dev.config().fdir.as_ref().map_or(0, |f| f.drop_queue);
    let s = dev.stats();
    if let Some(f) = &s.fdir {
        // Frames the rules dropped: those the card put on the drop queue (never polled, released
        // at stop) and those it dropped there once its ring was full.
        let dropped = match s.queues.get(usize::from(drop_queue)) {
            Some(q) if drop_queue > 0 => {
                format!(" | dropped by rules {}", q.hw.rx_packets + q.hw.rx_drops)
            }
            _ => String::new(),
        };
        println!(
            "{name}: flow director: matched {} missed {} | filters added {} removed {} failed {} \
             free {}{dropped}",
            f.matches,
            f.misses,
            f.adds,
            f.removes,
            f.failed_adds + f.failed_removes,
            f.free
        );
    }
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
    let (queued, unsent) = (s.tx_queued(), s.tx_dropped_at_stop());
    // With queues shared, the port's counter (GPTC) holds the secondaries' frames too: the
    // driver's own are its queues' counter sets.
    let sent = if shared {
        s.queues.iter().map(|q| q.hw.tx_packets).sum()
    } else {
        s.tx_packets
    };
    println!(
        "{name}: at stop: tx dropped {unsent} (queued, never sent), rx dropped {} (received, not \
         taken) | tx queued {queued} = sent {sent} + dropped at stop {unsent}{}",
        s.rx_dropped_at_stop(),
        if gone {
            "  (the device is gone: its counters are the last read while it was there)"
        } else if queued == sent + unsent {
            ""
        } else {
            "  UNACCOUNTED"
        }
    );
}

/// Options of the register dump.
pub struct DumpOptions {
    pub names: Vec<String>,
    pub counters: bool,
    pub all: bool,
    /// Each value field by field (`regdsl::explain`).
    pub fields: bool,
}

/// Reads every register of the table by name (write-only ones are skipped, read-to-clear
/// counters only with `counters`).
pub fn dump<B: Bus>(bus: &B, o: &DumpOptions) -> AnyResult {
    let want: Vec<String> = o.names.iter().map(|n| n.to_ascii_uppercase()).collect();
    // The driver's own table, compiled at run time for its fields (the generated code keeps
    // only what accesses need).
    let table = if o.fields {
        let t = regdsl::compile(
            "registers/82599.txt",
            include_str!("../../registers/82599.txt"),
        );
        Some(t.table.ok_or("registers/82599.txt did not compile")?)
    } else {
        None
    };
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
            match table.as_ref().and_then(|t| t.get(r.name)) {
                Some(reg) => print!("{}", regdsl::explain::read(reg, i, v)?),
                None => println!("{name:<16} 0x{off:05X} {text}  {}", r.description),
            }
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
    /// `devs`: (port number, device) pairs; `udp`: IPv4 UDP frames (see `frame_pool`).
    pub fn new(
        devs: Vec<(usize, Device<B>)>,
        batch: usize,
        size: usize,
        udp: bool,
    ) -> AnyResult<Self> {
        let devs = devs
            .into_iter()
            .map(|(n, mut d)| {
                // More buffers than the transmit ring holds (sent buffers stay there until
                // reclaimed): else a large ring swallows the pool and the generator stalls.
                let ring = d.tx_queue(0)?.ring_size();
                let p = frame_pool(&d, (4 * ring.max(batch)).max(2048), size, udp)?;
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

    /// Stops the generating ports and returns the frames each one's card put on the wire:
    /// (port number, GPTC total). What they still held is dropped at stop, never sent.
    pub fn stop_and_count(&mut self) -> Vec<(usize, u64)> {
        self.devs
            .iter_mut()
            .map(|(n, d, _)| {
                d.stop();
                (*n, d.stats().tx_packets)
            })
            .collect()
    }
}
