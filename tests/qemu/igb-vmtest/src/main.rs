//! Runs inside the QEMU guest of `tests/qemu/run`: brings up both emulated 82576 (igb) devices
//! with driver-82576 and checks the driver on them, then prints `N passed, N failed`.
//!
//! 1. discovery by id, and refusal of a device that is not an 82576 (its command register
//!    untouched);
//! 2. init of both devices: reset, EEPROM wait, link through the PHY, queues;
//! 3. N frames of sizes 60..1514 from NIC A to NIC B, each echoed back by B, every byte, length
//!    and sequence number checked on both sides;
//! 4. the devices' statistics counters against what was sent and received;
//! 5. broadcast frames (B must accept them);
//! 6. with `--peer-mac`: frames to the host-side peer on the hub, whose answers (payload
//!    inverted) A must receive, while B's unicast filter must keep them out;
//! 7. when A is reached through VFIO: receive by interrupt. A's receive queue is mapped to
//!    MSI-X vector 0, bound to an eventfd with `VFIO_DEVICE_SET_IRQS`; a wait with nothing
//!    sent times out, a frame B sends while A's vector is armed signals the eventfd (the
//!    emulated device's MSI-X message through the IOMMU's interrupt remapping and vfio-pci),
//!    and `rx_wait` then returns with the frame there.
//!
//! `--backend A,B` (each auto|sysfs|vfio, default auto,auto) picks how pci-dma reaches each
//! device; with `vfio`, the device is bound to vfio-pci, its DMA goes through the IOMMU at
//! IOVAs, and a check confirms it (`vfio.rs`). Without an IOMMU or the vfio modules, the run
//! prints `SKIP:` with the reason and stops after discovery.
//!
//! Usage: igb-vmtest [--expect N] [--frames N] [--peer-mac MAC] [--peer-frames N]
//!                   [--backend A,B]

mod frames;
mod vfio;

use driver_82576::QueueDevice;
use driver_82576::{backend, Config, Device, Error, Packet, Stats};
use frames::{build, len_of, mac_str, parse_mac, peek, verify, Kind, BROADCAST};
use pci_dma::{Backend, PciAddr, PciError, PciOptions, Sysfs};
use regdsl_rt::Mmio;
use std::time::{Duration, Instant};

/// Frames A may have sent that have not come back yet.
const WINDOW: u32 = 128;
/// A phase fails when nothing moves for this long.
const STALL: Duration = Duration::from_secs(15);
const BROADCASTS: u32 = 16;

#[derive(Default)]
struct Report {
    passed: u32,
    failed: u32,
}

impl Report {
    fn check(&mut self, name: &str, r: Result<String, String>) -> bool {
        match r {
            Ok(detail) => {
                self.passed += 1;
                println!("ok   {name}: {detail}");
                true
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL {name}: {why}");
                false
            }
        }
    }
    fn finish(&self) -> ! {
        println!("{} passed, {} failed", self.passed, self.failed);
        std::process::exit(if self.failed == 0 { 0 } else { 1 })
    }
}

struct Args {
    expect: usize,
    frames: u32,
    peer_mac: Option<[u8; 6]>,
    peer_frames: u32,
    backends: [Backend; 2],
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        expect: 2,
        frames: 10_000,
        peer_mac: None,
        peer_frames: 1000,
        backends: [Backend::Auto; 2],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
        let num = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| format!("{k}: {v:?} is not a number"))
        };
        match k.as_str() {
            "--expect" => a.expect = num(v)? as usize,
            "--frames" => a.frames = num(v)?,
            "--peer-frames" => a.peer_frames = num(v)?,
            "--backend" => a.backends = vfio::parse_backends(v)?,
            "--peer-mac" => {
                a.peer_mac = Some(parse_mac(v).ok_or_else(|| format!("--peer-mac: bad MAC {v:?}"))?)
            }
            _ => return Err(format!("unknown option {k}")),
        }
    }
    Ok(a)
}

fn config() -> Config {
    Config {
        link_timeout: Duration::from_secs(10),
        ..Config::default()
    }
}

/// The first PCI device that is not an 82576 (the q35 host bridge, the root ports).
fn other_device(sysfs: &Sysfs) -> Option<(PciAddr, pci_dma::PciId)> {
    sysfs
        .list()
        .ok()?
        .into_iter()
        .find(|d| !backend::DEVICE_IDS.contains(&d.id))
        .map(|d| (d.addr, d.id))
}

fn options(backend: Backend) -> PciOptions {
    PciOptions {
        backend,
        ..PciOptions::default()
    }
}

/// A device that is not an 82576 is refused untouched: command register and bound driver as
/// they were (with `Backend::Vfio`: not rebound to vfio-pci).
fn refusal_check(rep: &mut Report, sysfs: &Sysfs, backend: Backend) {
    let Some((addr, id)) = other_device(sysfs) else {
        rep.check(
            "refuse a non-82576",
            Err("no other PCI device to try".into()),
        );
        return;
    };
    let before = (sysfs.command(addr).ok(), sysfs.driver(addr));
    let r = backend::open_pci_with(&addr.to_string(), config(), &options(backend));
    let after = (sysfs.command(addr).ok(), sysfs.driver(addr));
    rep.check(
        &format!("refuse {addr} ({id}, backend {backend:?})"),
        match r {
            Err(Error::Pci(PciError::WrongDevice { found, .. })) if found == id => {
                if before.0.is_some() && before == after {
                    Ok(format!(
                        "WrongDevice, command register ({:#06x}) and driver ({:?}) untouched",
                        after.0.unwrap_or(0),
                        after.1
                    ))
                } else {
                    Err(format!("command register, driver {before:?} -> {after:?}"))
                }
            }
            Err(e) => Err(format!("wrong error: {e}")),
            Ok(_) => Err("the driver opened a device that is not an 82576".into()),
        },
    );
}

/// What one traffic phase saw.
#[derive(Default)]
struct Phase {
    sent: u32,
    /// Frames each side accepted as correct, and the octets (with CRC) the device counts.
    ok_b: u32,
    ok_a: u32,
    octets: u64,
    errors: Vec<String>,
    stalled: bool,
}

impl Phase {
    fn error(&mut self, e: String) {
        if self.errors.len() < 10 {
            self.errors.push(e);
        } else if self.errors.len() == 10 {
            self.errors.push("(more errors not shown)".into());
        }
    }
}

fn macs(dev: &Device<Mmio>) -> [u8; 6] {
    dev.mac_addr()
}

/// A sends `n` requests to B, B checks each and sends it back (the same buffer, addresses
/// swapped), A checks the echo. At most `WINDOW` frames are out at a time.
fn echo(a: &mut Device<Mmio>, b: &mut Device<Mmio>, n: u32) -> Result<Phase, Error> {
    let (ma, mb) = (macs(a), macs(b));
    let pool = a.pool(0)?.clone();
    let mut ph = Phase::default();
    let (mut next, mut want_b, mut want_a) = (0u32, 0u32, 0u32);
    let (mut txa, mut rxb, mut txb, mut rxa) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut moved = Instant::now();
    while want_a < n || !txb.is_empty() {
        let mut progress = false;
        while next < n && next - want_a < WINDOW && txa.len() < 64 {
            let len = len_of(next);
            let Some(mut p) = pool.alloc(len) else { break };
            build(&mut p, mb, ma, Kind::Request, next);
            ph.octets += len as u64 + 4;
            txa.push(p);
            next += 1;
        }
        if !txa.is_empty() {
            progress |= a.tx_batch(0, &mut txa)? != 0;
        }
        if b.rx_batch(0, &mut rxb, 64)? != 0 {
            progress = true;
        }
        for mut p in rxb.drain(..) {
            match verify(&p, mb, ma, Kind::Request, want_b, false) {
                Ok(()) => ph.ok_b += 1,
                Err(e) => ph.error(format!("B: {e}")),
            }
            want_b = peek(&p).map_or(want_b, |(_, s)| s) + 1;
            p[0..6].copy_from_slice(&ma);
            p[6..12].copy_from_slice(&mb);
            p[18] = Kind::Echo as u8;
            txb.push(p);
        }
        if !txb.is_empty() {
            progress |= b.tx_batch(0, &mut txb)? != 0;
        }
        if a.rx_batch(0, &mut rxa, 64)? != 0 {
            progress = true;
        }
        for p in rxa.drain(..) {
            match verify(&p, ma, mb, Kind::Echo, want_a, false) {
                Ok(()) => ph.ok_a += 1,
                Err(e) => ph.error(format!("A: {e}")),
            }
            want_a = peek(&p).map_or(want_a, |(_, s)| s) + 1;
        }
        if progress {
            moved = Instant::now();
        } else if moved.elapsed() > STALL {
            ph.stalled = true;
            break;
        }
    }
    ph.sent = next;
    Ok(ph)
}

/// 7: receive by MSI-X interrupt on A (reached through VFIO): see the crate docs.
fn interrupt(a: &mut Device<Mmio>, b: &mut Device<Mmio>) -> Result<String, String> {
    let e = |e: Error| e.to_string();
    let msix = a
        .msix()
        .ok_or("A has no MSI-X vectors (VFIO_DEVICE_GET_IRQ_INFO)")?;
    a.enable_rx_interrupts().map_err(e)?;
    // Whatever earlier phases left in A's ring (none expected) out of the way first.
    let mut rx = Vec::new();
    while a.rx_batch(0, &mut rx, 64).map_err(e)? != 0 {}
    rx.clear();
    let fds: Vec<_> = a.msix_fds().into_iter().map(|(_, fd)| fd).collect();
    msix.set_vectors(&fds)
        .map_err(|err| format!("VFIO_DEVICE_SET_IRQS with {} eventfd(s): {err}", fds.len()))?;
    // Nothing on the wire: the wait times out (and leaves vector 0 armed).
    let t = Instant::now();
    if a.rx_wait(0, Duration::from_millis(300)).map_err(e)? {
        return Err("rx_wait returned with nothing sent".into());
    }
    let waited = t.elapsed();
    // B sends one broadcast frame; the emulated device transmits inside the TDT write and A's
    // armed vector fires when the frame is written back.
    let mb = macs(b);
    let mut tx = Vec::new();
    let mut p = b
        .pool(0)
        .map_err(e)?
        .alloc(len_of(7))
        .ok_or("B's pool is empty")?;
    build(&mut p, BROADCAST, mb, Kind::Broadcast, 7);
    tx.push(p);
    let t = Instant::now();
    if b.tx_batch(0, &mut tx).map_err(e)? != 1 {
        return Err("B could not send".into());
    }
    let fd = a.rx_event_fd(0).map_err(e)?;
    if !fd
        .wait(Duration::from_secs(5))
        .map_err(|err| err.to_string())?
    {
        return Err("no MSI-X message within 5 s of the frame".into());
    }
    let woke = t.elapsed();
    let n = fd.take().map_err(|err| err.to_string())?;
    if !a.rx_wait(0, Duration::from_secs(1)).map_err(e)? {
        return Err("signalled, but rx_wait found no frame".into());
    }
    a.rx_batch(0, &mut rx, 8).map_err(e)?;
    if rx.len() != 1 {
        return Err(format!("{} frame(s) received, expected 1", rx.len()));
    }
    verify(&rx[0], BROADCAST, mb, Kind::Broadcast, 7, false).map_err(|err| format!("A: {err}"))?;
    Ok(format!(
        "{} vector(s), timed out after {:.0} ms with nothing sent; message {} us after B's \
         send ({n} signal(s))",
        msix.vectors(),
        waited.as_secs_f64() * 1e3,
        woke.as_micros()
    ))
}

/// A sends `n` broadcast frames; B must receive every one.
fn broadcast(a: &mut Device<Mmio>, b: &mut Device<Mmio>, n: u32) -> Result<Phase, Error> {
    let ma = macs(a);
    let pool = a.pool(0)?.clone();
    let mut ph = Phase::default();
    let mut tx = Vec::new();
    for seq in 0..n {
        let Some(mut p) = pool.alloc(len_of(seq)) else {
            break;
        };
        build(&mut p, BROADCAST, ma, Kind::Broadcast, seq);
        ph.octets += p.len() as u64 + 4;
        tx.push(p);
    }
    let mut rx = Vec::new();
    let mut moved = Instant::now();
    while ph.ok_b + (ph.errors.len() as u32) < n {
        let sent = if tx.is_empty() {
            0
        } else {
            a.tx_batch(0, &mut tx)?
        };
        ph.sent += sent as u32;
        let got = b.rx_batch(0, &mut rx, 64)?;
        for p in rx.drain(..) {
            let seq = ph.ok_b + ph.errors.len() as u32;
            match verify(&p, BROADCAST, ma, Kind::Broadcast, seq, false) {
                Ok(()) => ph.ok_b += 1,
                Err(e) => ph.error(format!("B: {e}")),
            }
        }
        if sent + got != 0 {
            moved = Instant::now();
        } else if moved.elapsed() > STALL {
            ph.stalled = true;
            break;
        }
    }
    // A receives nothing of its own broadcasts (a hub does not send a frame back to its port).
    let mut own = Vec::new();
    a.rx_batch(0, &mut own, 64)?;
    if !own.is_empty() {
        ph.error(format!(
            "A received {} frame(s) during its own broadcast",
            own.len()
        ));
    }
    Ok(ph)
}

/// A sends `n` frames to the host peer, which answers each with the payload inverted; B sees
/// the peer's answers on the hub but its unicast filter must drop them.
fn peer(
    a: &mut Device<Mmio>,
    b: &mut Device<Mmio>,
    peer: [u8; 6],
    n: u32,
) -> Result<(Phase, usize), Error> {
    let ma = macs(a);
    let pool = a.pool(0)?.clone();
    let mut ph = Phase::default();
    let (mut next, mut want) = (0u32, 0u32);
    let (mut tx, mut rx, mut stray) = (Vec::new(), Vec::new(), Vec::<Packet>::new());
    let mut moved = Instant::now();
    let mut b_got = 0;
    while want < n {
        let mut progress = false;
        while next < n && next - want < 32 && tx.len() < 32 {
            let len = len_of(next);
            let Some(mut p) = pool.alloc(len) else { break };
            build(&mut p, peer, ma, Kind::ToPeer, next);
            tx.push(p);
            next += 1;
        }
        if !tx.is_empty() {
            progress |= a.tx_batch(0, &mut tx)? != 0;
        }
        if a.rx_batch(0, &mut rx, 64)? != 0 {
            progress = true;
        }
        for p in rx.drain(..) {
            match verify(&p, ma, peer, Kind::FromPeer, want, true) {
                Ok(()) => {
                    ph.ok_a += 1;
                    ph.octets += p.len() as u64 + 4;
                }
                Err(e) => ph.error(format!("A: {e}")),
            }
            want = peek(&p).map_or(want, |(_, s)| s) + 1;
        }
        b_got += b.rx_batch(0, &mut stray, 64)?;
        stray.clear();
        if progress {
            moved = Instant::now();
        } else if moved.elapsed() > STALL {
            ph.stalled = true;
            break;
        }
    }
    ph.sent = next;
    Ok((ph, b_got))
}

fn phase_result(ph: &Phase, n: u32, per_side: &[(&str, u32)]) -> Result<String, String> {
    let mut why = ph.errors.clone();
    if ph.sent != n {
        why.push(format!("sent {} of {n}", ph.sent));
    }
    for (side, got) in per_side {
        if *got != n {
            why.push(format!("{side} accepted {got} of {n}"));
        }
    }
    if ph.stalled {
        why.push(format!("no progress for {STALL:?}"));
    }
    if why.is_empty() {
        let detail = per_side
            .iter()
            .map(|(s, g)| format!("{s} {g}/{n} ok"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(detail)
    } else {
        Err(why.join("; "))
    }
}

/// Differences of the device counters between two snapshots.
fn delta(after: &Stats, before: &Stats) -> Stats {
    Stats {
        rx_packets: after.rx_packets - before.rx_packets,
        rx_bytes: after.rx_bytes - before.rx_bytes,
        tx_packets: after.tx_packets - before.tx_packets,
        tx_bytes: after.tx_bytes - before.tx_bytes,
        rx_broadcast: after.rx_broadcast - before.rx_broadcast,
        rx_multicast: after.rx_multicast - before.rx_multicast,
        rx_total_packets: after.rx_total_packets - before.rx_total_packets,
        tx_total_packets: after.tx_total_packets - before.tx_total_packets,
        rx_missed: after.rx_missed - before.rx_missed,
        rx_no_buffer: after.rx_no_buffer - before.rx_no_buffer,
        rx_crc_errors: after.rx_crc_errors - before.rx_crc_errors,
        rx_length_errors: after.rx_length_errors - before.rx_length_errors,
        rx_size_errors: after.rx_size_errors - before.rx_size_errors,
        rx_other_errors: after.rx_other_errors - before.rx_other_errors,
        rx_queue_drops: after.rx_queue_drops - before.rx_queue_drops,
        queues: Vec::new(),
    }
}

/// Frames the device missed, had no buffer for, or received broken (MPC, RNBC, CRC, length and
/// size errors): each phase expects none.
fn lost(d: &Stats) -> u64 {
    d.rx_missed + d.rx_no_buffer + d.rx_crc_errors + d.rx_length_errors + d.rx_size_errors
}

/// The device counters of one phase: (name, counted, expected).
fn stats_check(rep: &mut Report, name: &str, rows: &[(&str, u64, u64)]) {
    let bad: Vec<String> = rows
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(n, got, want)| format!("{n} {got} (expected {want})"))
        .collect();
    let all: Vec<String> = rows
        .iter()
        .map(|(n, got, _)| format!("{n} {got}"))
        .collect();
    rep.check(
        name,
        if bad.is_empty() {
            Ok(all.join(", "))
        } else {
            Err(bad.join(", "))
        },
    );
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("igb-vmtest: {e}");
            eprintln!(
                "usage: igb-vmtest [--expect N] [--frames N] [--peer-mac MAC] [--peer-frames N] \
                 [--backend auto|sysfs|vfio,auto|sysfs|vfio]"
            );
            std::process::exit(2);
        }
    };
    let mut rep = Report::default();
    let sysfs = Sysfs::default();

    let found = backend::find(&sysfs).unwrap_or_else(|e| {
        println!("FAIL listing PCI devices: {e}");
        Vec::new()
    });
    let listed: Vec<String> = found.iter().map(|a| a.to_string()).collect();
    let enough = rep.check(
        "find 82576 devices",
        if found.len() == args.expect && found.len() >= 2 {
            Ok(listed.join(" "))
        } else {
            Err(format!(
                "found {:?}, expected {} (at least 2)",
                listed, args.expect
            ))
        },
    );
    let use_vfio = args.backends.contains(&Backend::Vfio);
    refusal_check(
        &mut rep,
        &sysfs,
        if use_vfio {
            Backend::Vfio
        } else {
            Backend::Auto
        },
    );
    if !enough {
        rep.finish();
    }
    for (addr, be) in found.iter().zip(args.backends) {
        if be == Backend::Vfio {
            if let Some(why) = vfio::unavailable(&sysfs, *addr) {
                println!("SKIP: igb-vmtest: VFIO for {addr}: {why}");
                rep.finish();
            }
        }
    }

    let mut devs = Vec::new();
    for (addr, be) in found[..2].iter().zip(args.backends) {
        let t = Instant::now();
        match backend::open_pci_with(&addr.to_string(), config(), &options(be)) {
            Ok(d) => {
                rep.check(
                    &format!("{addr} init"),
                    Ok(format!(
                        "{:.0} ms, link {}, MAC {}, EEPROM auto-read {}",
                        t.elapsed().as_secs_f64() * 1e3,
                        d.link(),
                        mac_str(&d.mac_addr()),
                        if d.eeprom_auto_read_done() {
                            "done"
                        } else {
                            "not signalled (tolerated)"
                        }
                    )),
                );
                rep.check(
                    &format!("{addr} reached through backend {be:?}"),
                    vfio::backend_check(&sysfs, *addr, be, &d),
                );
                devs.push(d);
            }
            Err(e) => {
                rep.check(&format!("{addr} init"), Err(e.to_string()));
            }
        }
    }
    if devs.len() != 2 {
        rep.finish();
    }
    let (mut a, mut b) = {
        let mut it = devs.into_iter();
        (it.next().unwrap(), it.next().unwrap())
    };
    let (ma, mb) = (a.mac_addr(), b.mac_addr());
    rep.check(
        "MAC addresses",
        if ma != mb && ma[0] & 1 == 0 && mb[0] & 1 == 0 && ma != [0; 6] && mb != [0; 6] {
            Ok(format!("A {} B {}", mac_str(&ma), mac_str(&mb)))
        } else {
            Err(format!("A {} B {}", mac_str(&ma), mac_str(&mb)))
        },
    );
    for (name, d) in [("A", &a), ("B", &b)] {
        rep.check(
            &format!("{name} PHY status through MDIC"),
            match d.phy_status() {
                Ok(v)
                    if v.is_set(driver_82576::regs::phy::BMSR::LSTATUS)
                        && v.is_set(driver_82576::regs::phy::BMSR::ANEGCOMPLETE) =>
                {
                    Ok(format!(
                        "BMSR {:#06x}: link up, auto-negotiation complete",
                        v.bits()
                    ))
                }
                Ok(v) => Err(format!("BMSR {:#06x}", v.bits())),
                Err(e) => Err(e.to_string()),
            },
        );
    }
    let s0a = a.stats().clone();
    let s0b = b.stats().clone();
    rep.check(
        "counters zero after init",
        if s0a.rx_packets + s0a.tx_packets + s0b.rx_packets + s0b.tx_packets == 0 {
            Ok("GPRC/GPTC 0 on both".into())
        } else {
            Err(format!("A {s0a:?}, B {s0b:?}"))
        },
    );

    // A -> B -> A.
    let n = args.frames;
    let t = Instant::now();
    let ph = match echo(&mut a, &mut b, n) {
        Ok(p) => p,
        Err(e) => {
            rep.check("echo", Err(e.to_string()));
            rep.finish();
        }
    };
    let secs = t.elapsed().as_secs_f64();
    rep.check(
        &format!("{n} frames A->B->A, 60..1514 bytes, every byte checked"),
        phase_result(&ph, n, &[("B", ph.ok_b), ("A", ph.ok_a)]).map(|d| {
            format!(
                "{d}, {:.1} s ({:.0} frames/s each way)",
                secs,
                f64::from(n) / secs
            )
        }),
    );
    let (s1a, s1b) = (a.stats().clone(), b.stats().clone());
    let (da, db) = (delta(&s1a, &s0a), delta(&s1b, &s0b));
    let nn = u64::from(n);
    stats_check(
        &mut rep,
        "A counters after echo",
        &[
            ("GPTC", da.tx_packets, nn),
            ("GOTC", da.tx_bytes, ph.octets),
            ("GPRC", da.rx_packets, nn),
            ("GORC", da.rx_bytes, ph.octets),
            ("TPT", da.tx_total_packets, nn),
            ("TPR", da.rx_total_packets, nn),
            ("MPC+RNBC+errors", lost(&da), 0),
            (
                "driver TX",
                s1a.queues[0].tx_packets - s0a.queues[0].tx_packets,
                nn,
            ),
            (
                "driver RX",
                s1a.queues[0].rx_packets - s0a.queues[0].rx_packets,
                nn,
            ),
        ],
    );
    stats_check(
        &mut rep,
        "B counters after echo",
        &[
            ("GPRC", db.rx_packets, nn),
            ("GORC", db.rx_bytes, ph.octets),
            ("GPTC", db.tx_packets, nn),
            ("GOTC", db.tx_bytes, ph.octets),
            ("BPRC", db.rx_broadcast, 0),
            ("MPC+RNBC+errors", lost(&db), 0),
            (
                "driver RX",
                s1b.queues[0].rx_packets - s0b.queues[0].rx_packets,
                nn,
            ),
            (
                "driver RX bytes",
                s1b.queues[0].rx_bytes - s0b.queues[0].rx_bytes,
                ph.octets - 4 * nn,
            ),
        ],
    );

    // Broadcast.
    match broadcast(&mut a, &mut b, BROADCASTS) {
        Ok(ph) => {
            rep.check(
                &format!("{BROADCASTS} broadcast frames A->all"),
                phase_result(&ph, BROADCASTS, &[("B", ph.ok_b)]),
            );
            let s2b = b.stats().clone();
            let d = delta(&s2b, &s1b);
            stats_check(
                &mut rep,
                "B counters after broadcast",
                &[
                    ("BPRC", d.rx_broadcast, u64::from(BROADCASTS)),
                    ("GPRC", d.rx_packets, u64::from(BROADCASTS)),
                    ("GORC", d.rx_bytes, ph.octets),
                ],
            );
        }
        Err(e) => {
            rep.check("broadcast", Err(e.to_string()));
        }
    }

    // The host peer.
    if let Some(pm) = args.peer_mac {
        let (sa, sb) = (a.stats().clone(), b.stats().clone());
        let m = args.peer_frames;
        let t = Instant::now();
        match peer(&mut a, &mut b, pm, m) {
            Ok((ph, b_got)) => {
                let secs = t.elapsed().as_secs_f64();
                rep.check(
                    &format!("{m} frames A->host peer->A ({})", mac_str(&pm)),
                    phase_result(&ph, m, &[("A", ph.ok_a)]).map(|d| format!("{d}, {secs:.1} s")),
                );
                let (ea, eb) = (a.stats().clone(), b.stats().clone());
                let (da, db) = (delta(&ea, &sa), delta(&eb, &sb));
                let mm = u64::from(m);
                stats_check(
                    &mut rep,
                    "counters after the host peer exchange",
                    &[
                        ("A GPTC", da.tx_packets, mm),
                        ("A GPRC", da.rx_packets, mm),
                        ("A GORC", da.rx_bytes, ph.octets),
                        ("B GPRC (unicast filter)", db.rx_packets, 0),
                        ("B frames delivered", b_got as u64, 0),
                    ],
                );
            }
            Err(e) => {
                rep.check("host peer", Err(e.to_string()));
            }
        }
    } else {
        println!("note: no --peer-mac, host peer exchange not run");
    }
    if a.msix().is_some() {
        rep.check(
            "A receives a frame by MSI-X interrupt (VFIO eventfd)",
            interrupt(&mut a, &mut b),
        );
    } else {
        println!("note: A not reached through VFIO, no interrupt check");
    }
    drop(a);
    drop(b);
    rep.finish();
}
