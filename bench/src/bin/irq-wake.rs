//! Interrupt-driven receive at a low rate: the receiving thread's CPU time (getrusage
//! `RUSAGE_THREAD`) and the delay from a frame's send to its delivery to the application,
//! with the NAPI-like loop (`driver_82599::irq::Napi`: sleeps on the queue's MSI-X eventfd
//! when idle) against a busy-polling loop, on the in-process card and on a card process.
//!
//! Port 1 sends `RATE` frames per second, each carrying its send time, over a cable to port
//! 0, whose receive loop runs on a thread of its own. The delay measured is send -> the
//! receive loop holding the frame; it includes the simulated card's transit (its engine
//! thread's polling), the same in both loops, so the interrupt's own wake-up cost is the
//! difference between the two loops' figures.
//!
//! The card process is served in this process on a Unix socket (the same code as
//! `ixgbe card`); the eventfds reach it with `SCM_RIGHTS`, the receiver's CPU time is its
//! own thread's, and the card's engines run on the card's threads as in `ixgbe card`.
//!
//! `cargo run --release -p bench --bin irq-wake [-- SECONDS [RATE]]`

use driver_82599::irq::{IrqConfig, Napi};
use driver_82599::prelude::*;
use regdsl_rt::Bus;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CPU time (user + system) of the calling thread.
fn thread_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct Result {
    received: u64,
    cpu: Duration,
    wall: Duration,
    delays_us: Vec<f64>,
    /// Message sent by the card -> the receive loop holds the frame, for each frame whose
    /// interrupt woke the loop.
    wakes_us: Vec<f64>,
    sleeps: u64,
}

/// Receives on `dev`'s queue 0 until `stop`: with interrupts (`napi`) or busy polling.
fn receive<B: Bus + Clone>(
    dev: &mut Device<B>,
    epoch: Instant,
    stop: &AtomicBool,
    napi: Option<Napi>,
    sim: &sim_82599::Sim,
) -> Result {
    let cpu0 = thread_cpu();
    let t0 = Instant::now();
    let mut napi = napi;
    let mut got = Vec::with_capacity(32);
    let mut delays = Vec::new();
    let mut wakes = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let msgs = sim.msix_count(0, 0).expect("vector 0");
        let n = match napi.as_mut() {
            Some(n) => n.rx(dev, 0, &mut got, 32).expect("receive"),
            None => dev.rx_batch(0, &mut got, 32).expect("receive"),
        };
        if n != 0 && napi.is_some() && sim.msix_count(0, 0).expect("vector 0") != msgs {
            // This call slept and a message woke it.
            if let Some(at) = sim.msix_last_sent(0, 0).expect("vector 0") {
                wakes.push(sim.card_time().saturating_sub(at).as_nanos() as f64 / 1e3);
            }
        }
        if n != 0 {
            let now = epoch.elapsed().as_nanos() as u64;
            for p in got.drain(..) {
                let mut ts = [0u8; 8];
                ts.copy_from_slice(&p[14..22]);
                delays.push(now.saturating_sub(u64::from_le_bytes(ts)) as f64 / 1e3);
            }
        }
    }
    Result {
        received: delays.len() as u64,
        cpu: thread_cpu() - cpu0,
        wall: t0.elapsed(),
        delays_us: delays,
        wakes_us: wakes,
        sleeps: napi.map_or(0, |n| n.stats().sleeps),
    }
}

/// Sends `rate` frames per second on `dev`'s queue 0 for `secs`, each stamped with its send
/// time since `epoch`.
fn send<B: Bus + Clone>(dev: &mut Device<B>, epoch: Instant, secs: f64, rate: f64) -> u64 {
    let pool = dev.pool(0).expect("pool").clone();
    let gap = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut sent = 0u64;
    let mut next = start;
    while start.elapsed().as_secs_f64() < secs {
        let now = Instant::now();
        if now < next {
            std::thread::sleep(next - now);
        }
        next += gap;
        let Some(mut p) = pool.alloc(60) else {
            continue;
        };
        p[..6].fill(0xFF);
        p[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        p[12..14].copy_from_slice(&[0x88, 0xB5]);
        let ts = epoch.elapsed().as_nanos() as u64;
        p[14..22].copy_from_slice(&ts.to_le_bytes());
        let mut v = vec![p];
        sent += dev.tx_batch(0, &mut v).expect("send") as u64;
    }
    sent
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn report(card: &str, mode: &str, sent: u64, mut r: Result) {
    let cpu_pct = 100.0 * r.cpu.as_secs_f64() / r.wall.as_secs_f64();
    let wakes = if r.wakes_us.is_empty() {
        "-".to_string()
    } else {
        format!(
            "{:.1} / {:.1} / {:.1} ({})",
            pct(&mut r.wakes_us, 0.5),
            pct(&mut r.wakes_us, 0.9),
            pct(&mut r.wakes_us, 0.99),
            r.wakes_us.len()
        )
    };
    println!(
        "| {card} | {mode} | {sent} / {} | {cpu_pct:.2} % | {} | {wakes} | {:.1} / {:.1} / {:.1} |",
        r.received,
        r.sleeps,
        pct(&mut r.delays_us, 0.5),
        pct(&mut r.delays_us, 0.9),
        pct(&mut r.delays_us, 0.99),
    );
}

/// One run: a receiver thread on `rx`, a sender on `tx` in this thread.
#[allow(clippy::too_many_arguments)]
fn run<B: Bus + Clone + Send + 'static>(
    sim: Arc<sim_82599::Sim>,
    card: &str,
    mode: &str,
    mut rx: Device<B>,
    mut tx: Device<B>,
    napi: Option<Napi>,
    secs: f64,
    rate: f64,
) where
    Device<B>: Send,
{
    let epoch = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let h = std::thread::spawn(move || {
        let r = receive(&mut rx, epoch, &st, napi, &sim);
        (r, rx)
    });
    // Let the receiver settle into its loop (and go to sleep).
    std::thread::sleep(Duration::from_millis(200));
    let sent = send(&mut tx, epoch, secs, rate);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    // The sleeping receiver wakes at its sleep timeout to see `stop`.
    let (r, rx) = h.join().expect("receiver");
    report(card, mode, sent, r);
    drop(rx);
    drop(tx);
}

/// One row of the table: `rx` on interrupts (its vectors bound to eventfds with `set_msix`)
/// or busy polling, then the card's strict-mode verdict.
#[allow(clippy::too_many_arguments)]
fn row<B: Bus + Clone + Send + 'static, E: Into<Box<dyn std::error::Error>>>(
    sim: &Arc<sim_82599::Sim>,
    card: &str,
    irq: bool,
    mut rx: Device<B>,
    tx: Device<B>,
    set_msix: impl Fn(usize, BorrowedFd<'_>) -> std::result::Result<(), E>,
    secs: f64,
    rate: f64,
) -> std::result::Result<(), Box<dyn std::error::Error>>
where
    Device<B>: Send,
{
    if irq {
        rx.enable_rx_interrupts(&IrqConfig::default())?;
        for (v, fd) in rx.msix_fds() {
            set_msix(v as usize, fd).map_err(Into::into)?;
        }
    }
    let mode = if irq {
        "interrupts (Napi)"
    } else {
        "busy poll"
    };
    let napi = irq.then(napi).flatten();
    run(sim.clone(), card, mode, rx, tx, napi, secs, rate);
    let v = sim.violations();
    if !v.is_empty() {
        return Err(format!("strict mode: {v:?}").into());
    }
    Ok(())
}

fn napi() -> Option<Napi> {
    Some(Napi::new(Duration::from_millis(50)))
}

fn cfg() -> Config {
    Config {
        rx_ring: 256,
        tx_ring: 256,
        pool_size: 1024,
        ..Config::default()
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().map_or(Ok(5.0), |a| a.parse())?;
    let rate: f64 = args.next().map_or(Ok(1000.0), |a| a.parse())?;
    println!("{rate} frames/s for {secs} s per row; times in us, p50 / p90 / p99");
    println!("| card | receive loop | sent / received | receiver thread CPU | sleeps | wake-up: MSI-X message -> loop has the frame (frames) | send -> loop has the frame |");
    println!("|---|---|---|---|---|---|---|");

    // In-process card, engines on their own thread.
    for irq in [true, false] {
        let sim = Arc::new(sim_82599::Sim::builder().ports(2).threaded(true).build());
        sim.connect(sim_82599::Wire::Pair(0, 1))?;
        let rx = Device::new(sim.port(0), sim.dma(), cfg())?;
        let tx = Device::new(sim.port(1), sim.dma(), cfg())?;
        let set_msix = |v, fd: BorrowedFd<'_>| sim.set_msix(0, v, Some(fd));
        row(&sim, "in-process", irq, rx, tx, set_msix, secs, rate)?;
    }

    // A card process (served on a socket by this process).
    for irq in [true, false] {
        let sim = Arc::new(
            sim_82599::Sim::builder()
                .ports(2)
                .threaded(true)
                .dma_size(64 << 20)
                .build(),
        );
        sim.connect(sim_82599::Wire::Pair(0, 1))?;
        let dir = std::env::temp_dir().join(format!("irq-wake-{}-{irq}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("card.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path)?;
        let served = sim.clone();
        std::thread::spawn(move || sim_82599::server::serve(served, listener));
        let rx_card = sim_client::Card::connect(&path)?;
        let tx_card = sim_client::Card::connect(&path)?;
        let rx = Device::new(rx_card.port(0)?, rx_card.dma(), cfg())?;
        let tx = Device::new(tx_card.port(1)?, tx_card.dma(), cfg())?;
        let set_msix = |v, fd: BorrowedFd<'_>| rx_card.set_msix(0, v, Some(fd));
        row(&sim, "card process", irq, rx, tx, set_msix, secs, rate)?;
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
