//! Sharing one card (issue 16.2): a primary with queues set aside, secondaries attached to
//! them (here in one process, on one strict simulated card; `ixgbe/tests/attach.rs` runs
//! them as processes on a card process).

mod common;
use common::*;
use driver_82599::rss::source_port_for_queue;
use driver_82599::share::{read_published, AttachConfig, Attached, Primary, ShareDir};
use driver_82599::{Config, Device, Error, ErrorKind, Packet, QueueDevice};
use nic_queue::DeviceError;
use regdsl_rt::{Bus, Site};
use sim_82599::{Port, Wire};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn dir(name: &str) -> ShareDir {
    let p: PathBuf =
        std::env::temp_dir().join(format!("driver-share-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    ShareDir::new(p)
}

fn small_attach(q: u16) -> AttachConfig {
    AttachConfig {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 256,
        ..AttachConfig::queue(q)
    }
}

fn primary_config(shared: u16) -> Config {
    Config {
        shared_queues: shared,
        ..small_config()
    }
}

const SRC: [u8; 4] = [10, 0, 0, 1];
const DST: [u8; 4] = [10, 0, 0, 2];
const DPORT: u16 = 9;

/// `n` UDP frames whose RSS hash brings them back to hardware queue `q` (the redirection
/// table read from the card, as a secondary sees it).
fn frames_for(dev: &Attached<Port>, n: usize) -> Vec<Packet> {
    let q = dev.hw_queue(0).unwrap() as u8;
    let sport = source_port_for_queue(&dev.rss(), SRC, DST, DPORT, q).unwrap();
    let f = testkit::frame::ipv4([0xFF; 6], SRC, DST, 17, sport, DPORT);
    let mut v = Vec::new();
    dev.pool(0).unwrap().alloc_batch(&mut v, n, f.len());
    for p in v.iter_mut() {
        p.copy_from_slice(&f);
    }
    v
}

#[test]
fn secondaries_get_their_own_queues_traffic_and_the_counts_add_up() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let d = dir("traffic");
    let mut primary = Primary::claim(d.clone()).unwrap();
    let mut dev = open(&sim, 0, primary_config(3));
    primary.publish(&dev).unwrap();
    let mut secs: Vec<Attached<Port>> = (1..=3)
        .map(|q| Attached::attach(sim.port(0), sim.dma(), &d, small_attach(q)).unwrap())
        .collect();
    // Each secondary sends 10 * q frames that hash to its own queue; the primary sends 7
    // non-IP broadcasts, which RSS gives to queue 0.
    for (i, s) in secs.iter_mut().enumerate() {
        let mut f = frames_for(s, 10 * (i + 1));
        assert_eq!(s.tx_batch(0, &mut f).unwrap(), 10 * (i + 1));
    }
    let mut f = Vec::new();
    dev.pool(0).unwrap().alloc_batch(&mut f, 7, 60);
    for p in f.iter_mut() {
        p.fill(0);
        testkit::frame::header(p, testkit::frame::BROADCAST, testkit::frame::SRC);
    }
    dev.tx_batch(0, &mut f).unwrap();
    let mut got = [0usize; 4];
    let mut buf = Vec::new();
    for _ in 0..20 {
        sim.step();
        got[0] += dev.rx_batch(0, &mut buf, 64).unwrap();
        for (i, s) in secs.iter_mut().enumerate() {
            got[i + 1] += s.rx_batch(0, &mut buf, 64).unwrap();
        }
        buf.clear();
    }
    assert_eq!(got, [7, 10, 20, 30]);
    // The primary reads the counters (the secondaries never do) and publishes them.
    let s = dev.stats().clone();
    primary.publish_stats(&s).unwrap();
    for (q, &n) in got.iter().enumerate() {
        let c = s.counter_sets[q];
        assert_eq!(
            (c.rx_packets, c.tx_packets),
            (n as u64, n as u64),
            "set {q}"
        );
        assert_eq!(c.rx_drops, 0);
    }
    assert_eq!(s.rx_packets, 67);
    assert_eq!(s.rx_drops(), 0);
    let p = read_published(&d).unwrap();
    assert_eq!(p.sets[2], s.counter_sets[2]);
    let st = secs[1].stats();
    assert_eq!(st[0].queue, 2);
    assert_eq!((st[0].sw.rx_packets, st[0].sw.tx_packets), (20, 20));
    assert_eq!(st[0].hw.unwrap().rx_packets, 20);
    for s in &secs {
        s.check_primary().unwrap();
    }
    drop(secs);
    assert!(primary
        .wait_detached(std::time::Duration::from_secs(1))
        .is_empty());
    drop(dev);
    assert_no_violations(&sim);
}

/// A bus that records every access by register name, over a simulated port.
#[derive(Clone)]
struct Recording {
    port: Port,
    log: Arc<Mutex<Vec<(bool, String)>>>,
}

impl Recording {
    fn note(&self, write: bool, site: Site) {
        let name = match site.index {
            Some(i) => format!("{}[{i}]", site.name),
            None => site.name.to_string(),
        };
        self.log.lock().unwrap().push((write, name));
    }
}

impl Bus for Recording {
    fn read8(&self, o: usize, s: Site) -> u8 {
        self.note(false, s);
        self.port.read8(o, s)
    }
    fn write8(&self, o: usize, v: u8, s: Site) {
        self.note(true, s);
        self.port.write8(o, v, s)
    }
    fn read16(&self, o: usize, s: Site) -> u16 {
        self.note(false, s);
        self.port.read16(o, s)
    }
    fn write16(&self, o: usize, v: u16, s: Site) {
        self.note(true, s);
        self.port.write16(o, v, s)
    }
    fn read32(&self, o: usize, s: Site) -> u32 {
        self.note(false, s);
        self.port.read32(o, s)
    }
    fn write32(&self, o: usize, v: u32, s: Site) {
        self.note(true, s);
        self.port.write32(o, v, s)
    }
}

#[test]
fn a_secondary_writes_only_its_queue_registers_and_reads_no_counter() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let d = dir("regs");
    let mut _primary = Primary::claim(d.clone()).unwrap();
    let dev = open(&sim, 0, primary_config(2));
    _primary.publish(&dev).unwrap();
    let bus = Recording {
        port: sim.port(0),
        log: Arc::default(),
    };
    let mut sec = Attached::attach(bus.clone(), sim.dma(), &d, small_attach(2)).unwrap();
    let mut f = Vec::new();
    sec.pool(0).unwrap().alloc_batch(&mut f, 4, 60);
    sec.tx_batch(0, &mut f).unwrap();
    sim.step();
    let _ = sec.rx_batch(0, &mut f, 8).unwrap();
    let _ = sec.stats();
    sec.check_primary().unwrap();
    let _ = (sec.link(), sec.mac_addr(), sec.rss());
    drop(sec);
    let own = [
        "RXDCTL",
        "RDBAL",
        "RDBAH",
        "RDLEN",
        "RDH",
        "RDT",
        "SRRCTL",
        "DCA_RXCTRL",
        "TXDCTL",
        "TDBAL",
        "TDBAH",
        "TDLEN",
        "TDH",
        "TDT",
    ];
    let read_only = [
        "CTRL", "CTRL_EXT", "STATUS", "LINKS", "MAXFRS", "DMATXCTL", "RAL", "RAH", "RSSRK", "RETA",
    ];
    let log = bus.log.lock().unwrap();
    assert!(log.iter().any(|(w, _)| *w), "no write recorded");
    for (write, name) in log.iter() {
        let base = name.split('[').next().unwrap();
        let own_queue = own.contains(&base) && name.ends_with("[2]");
        if *write {
            assert!(own_queue, "the secondary wrote {name}");
        } else {
            assert!(
                own_queue || read_only.iter().any(|r| name.starts_with(r)),
                "the secondary read {name}"
            );
        }
    }
    drop(dev);
    assert_no_violations(&sim);
}

#[test]
fn attaches_that_cannot_work_are_refused_with_the_reason() {
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let d = dir("refused");
    let attach = |q: u16| Attached::attach(sim.port(0), sim.dma(), &d, small_attach(q));
    // No primary at all: nothing holds `up`.
    let e = attach(1).err().unwrap();
    assert!(matches!(e, Error::NoPrimary(_)), "{e}");
    assert_eq!(e.kind(), ErrorKind::Attach);
    // A primary that shares nothing.
    let mut p = Primary::claim(d.clone()).unwrap();
    let dev = open(&sim, 0, small_config());
    p.publish(&dev).unwrap();
    let e = attach(1).err().unwrap();
    assert!(matches!(e, Error::NotShared { queue: 1, .. }), "{e}");
    assert!(e.to_string().contains("shares queues none"), "{e}");
    let e = attach(0).err().unwrap();
    assert!(
        e.to_string()
            .contains(&format!("taken by process {}", std::process::id())),
        "{e}"
    );
    drop(p);
    drop(dev);
    // A card whose driver let go (CTRL_EXT.DRV_LOAD clear), though `up` were held.
    p = Primary::claim(d.clone()).unwrap();
    // Claimed, not yet published: no attach while the card is being set up.
    let e = attach(1).err().unwrap();
    assert!(e.to_string().contains("setting the card up"), "{e}");
    let dev = open(&sim, 0, primary_config(1));
    p.publish(&dev).unwrap();
    let sec = attach(1).unwrap();
    // A second process for a taken queue.
    let e = attach(1).err().unwrap();
    assert!(matches!(e, Error::QueueTaken { queue: 1, .. }), "{e}");
    drop(sec);
    // Mastering off (a primary half-way through stopping or resetting): would need a reset.
    dev.regs()
        .CTRL()
        .set(driver_82599::regs::CTRL::PCIE_MASTER_DISABLE);
    let e = attach(1).err().unwrap();
    assert!(matches!(e, Error::NeedsReset(_)), "{e}");
    dev.regs()
        .CTRL()
        .clr(driver_82599::regs::CTRL::PCIE_MASTER_DISABLE);
    let sec = attach(1).unwrap();
    // The primary stops: no new attach, and the attached one sees it gone.
    let left = p.wait_detached(std::time::Duration::from_millis(50));
    assert_eq!(left, vec![(1, std::process::id().to_string())]);
    let e = attach(1).err().unwrap();
    assert!(matches!(e, Error::NoPrimary(_)), "{e}");
    drop(dev);
    // A new primary would reset the card under the secondary still attached: refused.
    let e = Primary::claim(d.clone()).err().unwrap();
    assert!(matches!(e, Error::SecondariesRunning(_)), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("queue 1: process {}", std::process::id())),
        "{e}"
    );
    let e = sec.check_primary().err().unwrap();
    assert!(matches!(e, Error::PrimaryGone(_)), "{e}");
    drop(sec);
    drop(p);
    // A card never initialised by anyone since power-up, with a stale `up` holder gone.
    let fresh = strict_sim(1);
    let e = Attached::attach(fresh.port(0), fresh.dma(), &d, small_attach(1))
        .err()
        .unwrap();
    assert!(matches!(e, Error::NoPrimary(_)), "{e}");
    assert_no_violations(&sim);
    assert_no_violations(&fresh);
}

#[test]
fn a_queue_left_running_is_stopped_and_reprogrammed_by_the_next_secondary() {
    // A process that died leaves its queue enabled with its ring and head where they were;
    // here the "dead" secondary's queue is left running by taking it out of the device and
    // forgetting it (no stop), and its lock freed by dropping the rest.
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let d = dir("reuse");
    let mut _p = Primary::claim(d.clone()).unwrap();
    let dev = open(&sim, 0, primary_config(1));
    _p.publish(&dev).unwrap();
    let mut first = Attached::attach(sim.port(0), sim.dma(), &d, small_attach(1)).unwrap();
    let mut f = frames_for(&first, 5);
    first.tx_batch(0, &mut f).unwrap();
    sim.step();
    let mut buf = Vec::new();
    assert_eq!(first.rx_batch(0, &mut buf, 64).unwrap(), 5);
    buf.clear();
    std::mem::forget(first.take_rx_queue(0).unwrap());
    std::mem::forget(first.take_tx_queue(0).unwrap());
    drop(first);
    let rdh = dev.regs().RDH().at(1).read().bits();
    assert_eq!(rdh, 5, "the head the first left");
    assert!(dev
        .regs()
        .RXDCTL()
        .at(1)
        .read()
        .is_set(driver_82599::regs::RXDCTL::ENABLE));
    let mut second = Attached::attach(sim.port(0), sim.dma(), &d, small_attach(1)).unwrap();
    let mut f = frames_for(&second, 9);
    second.tx_batch(0, &mut f).unwrap();
    let mut got = 0;
    for _ in 0..5 {
        sim.step();
        got += second.rx_batch(0, &mut buf, 64).unwrap();
        buf.clear();
    }
    assert_eq!(got, 9);
    drop(second);
    drop(dev);
    assert_no_violations(&sim);
}

/// A primary sharing queue 1 on each of `ports` ports of `sim`, each port its own share
/// directory (as `ixgbe` keeps them).
fn primaries(
    sim: &sim_82599::Sim,
    ports: usize,
    name: &str,
) -> Vec<(Primary, Device<Port>, ShareDir)> {
    (0..ports)
        .map(|p| {
            let d = dir(&format!("{name}-{p}"));
            let mut primary = Primary::claim(d.clone()).unwrap();
            let dev = open(sim, p, primary_config(1));
            primary.publish(&dev).unwrap();
            (primary, dev, d)
        })
        .collect()
}

fn attach_on(sim: &sim_82599::Sim, port: usize, d: &ShareDir) -> Attached<Port> {
    Attached::attach(sim.port(port), sim.dma(), d, small_attach(1)).unwrap()
}

/// Receives on `from`'s queue 0 and sends on `to`'s queue 0 (`to` = `from`: an echo);
/// returns (taken, sent).
fn pass(
    from: &mut Attached<Port>,
    to: Option<&mut Attached<Port>>,
    buf: &mut Vec<Packet>,
) -> (usize, usize) {
    let m = from.rx_batch(0, buf, 64).unwrap();
    let n = match to {
        Some(to) => to.tx_batch(0, buf).unwrap(),
        None => from.tx_batch(0, buf).unwrap(),
    };
    assert!(buf.is_empty(), "a ring was full");
    (m, n)
}

/// Port 0 (a secondary sending on queue 1) wired to port 1 (a secondary echoing on queue 1):
/// every frame goes out, is echoed and comes back, counted on each queue by the card and by
/// each process; `Attached::stop` gives the final counts.
#[test]
fn an_echoing_secondary_sends_back_every_frame_its_queue_receives() {
    let sim = strict_sim(2);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let mut ps = primaries(&sim, 2, "echo");
    let mut gen = attach_on(&sim, 0, &ps[0].2);
    let mut echo = attach_on(&sim, 1, &ps[1].2);
    let mut f = frames_for(&gen, 50);
    assert_eq!(gen.tx_batch(0, &mut f).unwrap(), 50);
    let (mut took, mut echoed, mut back) = (0, 0, 0);
    let mut buf = Vec::new();
    for _ in 0..20 {
        sim.step();
        let (m, n) = pass(&mut echo, None, &mut buf);
        took += m;
        echoed += n;
        back += gen.rx_batch(0, &mut buf, 64).unwrap();
        buf.clear();
    }
    assert_eq!((took, echoed, back), (50, 50, 50));
    echo.stop();
    gen.stop();
    let e = echo.stats()[0].sw;
    assert_eq!(
        (
            e.rx_packets,
            e.tx_packets,
            e.rx_dropped_at_stop,
            e.tx_dropped_at_stop
        ),
        (50, 50, 0, 0)
    );
    assert!(echo.tx_batch(0, &mut buf).is_err(), "stopped");
    for (p, dev, _) in ps.iter_mut() {
        let s = dev.stats().clone();
        let c = s.counter_sets[1];
        assert_eq!(
            (c.rx_packets, c.tx_packets, c.rx_drops),
            (50, 50, 0),
            "{p:?}"
        );
    }
    drop((gen, echo));
    drop(ps);
    assert_no_violations(&sim);
}

/// Ports 0-1 and 2-3 wired in pairs; one process forwards between queue 1 of port 1 and queue 1
/// of port 2 (each port under its own primary); secondaries on queue 1 of ports 0 and 3 send
/// into it from both sides. Every frame reaches the far side, counted on every queue.
#[test]
fn a_forwarding_secondary_on_two_ports_moves_every_frame_both_ways() {
    let sim = strict_sim(4);
    sim.connect(Wire::Pair(0, 1)).unwrap();
    sim.connect(Wire::Pair(2, 3)).unwrap();
    let mut ps = primaries(&sim, 4, "fwd");
    let mut g0 = attach_on(&sim, 0, &ps[0].2);
    let mut g3 = attach_on(&sim, 3, &ps[3].2);
    // The forwarder reserves both ports before it starts either.
    let ra = Attached::reserve(sim.port(1), sim.dma(), &ps[1].2, small_attach(1)).unwrap();
    let rb = Attached::reserve(sim.port(2), sim.dma(), &ps[2].2, small_attach(1)).unwrap();
    assert_eq!(ra.hw_queues(), &[1]);
    let (mut a, mut b) = (ra.start().unwrap(), rb.start().unwrap());
    let mut f = frames_for(&g0, 30);
    g0.tx_batch(0, &mut f).unwrap();
    let mut f = frames_for(&g3, 20);
    g3.tx_batch(0, &mut f).unwrap();
    let (mut ab, mut ba, mut got0, mut got3) = (0, 0, 0, 0);
    let mut buf = Vec::new();
    for _ in 0..20 {
        sim.step();
        ab += pass(&mut a, Some(&mut b), &mut buf).1;
        ba += pass(&mut b, Some(&mut a), &mut buf).1;
        got0 += g0.rx_batch(0, &mut buf, 64).unwrap();
        buf.clear();
        got3 += g3.rx_batch(0, &mut buf, 64).unwrap();
        buf.clear();
    }
    assert_eq!((ab, ba, got3, got0), (30, 20, 30, 20));
    let expect = [(20, 30), (30, 20), (20, 30), (30, 20)]; // (rx, tx) of queue 1 per port
    for (i, (_, dev, _)) in ps.iter_mut().enumerate() {
        let c = dev.stats().counter_sets[1];
        assert_eq!(
            (c.rx_packets, c.tx_packets, c.rx_drops),
            (expect[i].0, expect[i].1, 0),
            "port {i}"
        );
    }
    drop((g0, g3, a, b));
    drop(ps);
    assert_no_violations(&sim);
}

/// A process that takes the same queue on two ports, where the second is refused, leaves the
/// first untouched: reserving writes no register, and a dropped reservation frees the queue.
#[test]
fn a_reservation_writes_nothing_and_a_refused_second_port_leaves_the_first_untouched() {
    let sim = strict_sim(2);
    sim.connect(Wire::Loopback(0)).unwrap();
    let d0 = dir("reserve-0");
    let d1 = dir("reserve-1");
    let mut p0 = Primary::claim(d0.clone()).unwrap();
    let dev = open(&sim, 0, primary_config(1));
    p0.publish(&dev).unwrap();
    let bus = Recording {
        port: sim.port(0),
        log: Arc::default(),
    };
    let ra = Attached::reserve(bus.clone(), sim.dma(), &d0, small_attach(1)).unwrap();
    // Port 1 has no primary.
    let e = Attached::reserve(sim.port(1), sim.dma(), &d1, small_attach(1))
        .err()
        .unwrap();
    assert!(matches!(e, Error::NoPrimary(_)), "{e}");
    // While reserved, queue 1 is taken.
    let e = Attached::attach(sim.port(0), sim.dma(), &d0, small_attach(1))
        .err()
        .unwrap();
    assert!(matches!(e, Error::QueueTaken { queue: 1, .. }), "{e}");
    drop(ra);
    {
        let log = bus.log.lock().unwrap();
        assert!(!log.is_empty(), "the reservation read the card");
        assert!(log.iter().all(|(w, _)| !w), "a reservation wrote: {log:?}");
    }
    assert_eq!(dev.regs().RDLEN().at(1).read().bits(), 0);
    // Freed with the reservation.
    let sec = Attached::attach(sim.port(0), sim.dma(), &d0, small_attach(1)).unwrap();
    assert_ne!(dev.regs().RDLEN().at(1).read().bits(), 0);
    drop(sec);
    drop(dev);
    assert_no_violations(&sim);
}

/// Sends `n` frames to `mac` from `dev`'s queue `i`.
fn send_to(dev: &mut Attached<Port>, i: usize, mac: [u8; 6], n: usize) {
    let mut v = Vec::new();
    dev.pool(i).unwrap().alloc_batch(&mut v, n, 60);
    for p in v.iter_mut() {
        p.fill(0);
        testkit::frame::header(p, mac, testkit::frame::SRC);
    }
    assert_eq!(dev.tx_batch(i, &mut v).unwrap(), n);
}

/// A primary with VMDq pools (64 of 2 queues; its own pool 0, pools 1 and 2 shared, each
/// given a MAC address by the primary): two secondaries take one pool each, whole; frames to
/// each pool's address reach only that pool's secondary, counted exactly; a pool is refused
/// whole when one of its queues is taken, keeping no lock.
#[test]
fn secondaries_take_whole_vmdq_pools_and_a_pool_with_a_taken_queue_is_refused_whole() {
    use driver_82599::filter::PoolSet;
    use driver_82599::vmdq::{PoolLayout, VmdqConfig};
    let sim = strict_sim(1);
    sim.connect(Wire::Loopback(0)).unwrap();
    let d = dir("pools");
    let mut primary = Primary::claim(d.clone()).unwrap();
    let cfg = Config {
        rx_queues: 2,
        tx_queues: 2,
        promisc: false,
        vmdq: Some(VmdqConfig {
            layout: PoolLayout::Pools64x2,
            ..VmdqConfig::default()
        }),
        shared_queues: 4,
        ..small_config()
    };
    // Pools are shared whole.
    let half = Config {
        shared_queues: 3,
        ..cfg.clone()
    };
    let e = half.validate().err().unwrap();
    assert!(
        e.to_string()
            .contains("must be a multiple of 2 (whole pools)"),
        "{e}"
    );
    let mut dev = open(&sim, 0, cfg);
    let macs = [[0x02, 0, 0, 0, 0, 0x01], [0x02, 0, 0, 0, 0, 0x02]];
    dev.add_mac(macs[0], PoolSet::one(1)).unwrap();
    dev.add_mac(macs[1], PoolSet::one(2)).unwrap();
    primary.publish(&dev).unwrap();
    let pool = |p: u16| AttachConfig {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 256,
        ..AttachConfig::pool(p)
    };
    let attach = |c: AttachConfig| Attached::attach(sim.port(0), sim.dma(), &d, c);
    let mut s1 = attach(pool(1)).unwrap();
    let mut s2 = attach(pool(2)).unwrap();
    assert_eq!((s1.hw_queues(), s1.vmdq_pool()), (&[2, 3][..], Some(1)));
    assert_eq!(s2.hw_queues(), &[4, 5]);
    for p in [0, 3] {
        let e = attach(pool(p)).err().unwrap();
        assert!(matches!(e, Error::PoolNotShared { .. }), "{e}");
        assert!(e.to_string().contains("shares pools 1..=2"), "{e}");
    }
    let e = attach(pool(1)).err().unwrap();
    assert!(matches!(e, Error::QueueTaken { queue: 2, .. }), "{e}");
    // Each secondary sends to its pool's address, from its pool's second queue: the frames
    // come back to its pool's first queue (no RSS inside the pools).
    assert_eq!(
        (s1.pool_macs(), s2.pool_macs()),
        (vec![macs[0]], vec![macs[1]])
    );
    send_to(&mut s1, 1, macs[0], 10);
    send_to(&mut s2, 1, macs[1], 20);
    let mut got = [[0usize; 2]; 2];
    let mut buf = Vec::new();
    for _ in 0..10 {
        sim.step();
        for (s, g) in [&mut s1, &mut s2].into_iter().zip(got.iter_mut()) {
            for (i, n) in g.iter_mut().enumerate() {
                *n += s.rx_batch(i, &mut buf, 64).unwrap();
                buf.clear();
            }
        }
        let mut own = Vec::new();
        assert_eq!(
            dev.rx_batch(0, &mut own, 64).unwrap(),
            0,
            "pool 0 got a frame"
        );
    }
    assert_eq!(got, [[10, 0], [20, 0]]);
    let s = dev.stats().clone();
    let set = |q: usize| {
        let c = s.counter_sets[q];
        (c.rx_packets, c.tx_packets, c.rx_drops)
    };
    assert_eq!(
        [set(0), set(1), set(2), set(3), set(4), set(5)],
        [
            (0, 0, 0),
            (0, 0, 0),
            (10, 0, 0),
            (0, 10, 0),
            (20, 0, 0),
            (0, 20, 0)
        ]
    );
    // Queue 3 alone taken: pool 1 is refused whole, and keeps no lock on queue 2 (locked
    // first).
    drop(s1);
    let q3 = attach(small_attach(3)).unwrap();
    let e = attach(pool(1)).err().unwrap();
    assert!(matches!(e, Error::QueueTaken { queue: 3, .. }), "{e}");
    let q2 = attach(small_attach(2)).unwrap();
    drop((q2, q3, s2));
    assert!(primary
        .wait_detached(std::time::Duration::from_secs(1))
        .is_empty());
    drop(dev);
    assert_no_violations(&sim);
}
