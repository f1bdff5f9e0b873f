//! Throughput of the simulated card alone (no driver): 64-byte frames (60 + FCS) through
//! MAC loopback on one port, and both ways between two cabled ports, one core (the caller's
//! thread steps the card; no engine thread).
//!
//! The "driver" here is the minimum a poll-mode driver must do: advance TDT over descriptors
//! written once (the card only writes their status dword), and give RX descriptors back by
//! rewriting the read format and moving RDT.
//!
//! Run: `cargo bench -p sim-82599 --bench throughput` (optional argument: seconds per case).

use dma::DmaRegion;
use sim_82599::regs::R;
use sim_82599::{Port, Sim, Wire};
use std::time::{Duration, Instant};

const RING: u32 = 1024;
const BATCH: u32 = 256;
const FRAME: usize = 60;

// The tests' helpers: register access by name, and receive enabled as the datasheet says.
#[path = "../tests/common/mod.rs"]
mod common;
use common::{rd, rx_enable, w};

struct Q {
    port: Port,
    rx_ring: DmaRegion,
    rx_bufs: DmaRegion,
    tx_tail: u32,
    rx_next: u32,
    _tx: (DmaRegion, DmaRegion),
}

fn setup(sim: &Sim, i: usize, lpbk: bool) -> Q {
    let p = sim.port(i);
    let dma = sim.dma();
    let mac = [0x02, 0, 0, 0x82, 0x59, i as u8];
    if lpbk {
        w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15));
    }
    // FCTRL.BAM, then RXEN with the Rx security path halted (4.6.7; strict mode checks it).
    rx_enable(&p, 1 << 10);
    // RX ring, 2 KiB buffers.
    let rx_ring = dma.alloc(RING as usize * 16, 128).unwrap();
    let rx_bufs = dma.alloc(RING as usize * 2048, 128).unwrap();
    w(&p, R::RDBAL, 0, rx_ring.phys() as u32);
    w(&p, R::RDBAH, 0, (rx_ring.phys() >> 32) as u32);
    w(&p, R::RDLEN, 0, RING * 16);
    w(&p, R::SRRCTL, 0, (1 << 25) | 2 | (1 << 28));
    for k in 0..RING {
        arm(&rx_ring, &rx_bufs, k);
    }
    w(&p, R::RXDCTL, 0, 1 << 25);
    w(&p, R::RDT, 0, RING - 1);
    // TX ring: every descriptor written once with a 60-byte frame to the peer's MAC.
    let tx_ring = dma.alloc(RING as usize * 16, 128).unwrap();
    let tx_bufs = dma.alloc(RING as usize * 2048, 128).unwrap();
    let peer = if lpbk {
        mac
    } else {
        [0x02, 0, 0, 0x82, 0x59, (i ^ 1) as u8]
    };
    for k in 0..RING as usize {
        let b = tx_bufs.virt().wrapping_add(k * 2048);
        let mut f = [0u8; FRAME];
        testkit::frame::header(&mut f, peer, mac);
        // SAFETY: buffer k of this bench's TX buffers, not yet given to the card.
        unsafe {
            core::ptr::copy_nonoverlapping(f.as_ptr(), b, FRAME);
            let d = tx_ring.virt().wrapping_add(k * 16);
            core::ptr::write_volatile(d as *mut u64, tx_bufs.phys() + (k * 2048) as u64);
            let cmd = (1u32 << 24) | (1 << 25) | (1 << 27) | (1 << 29) | (0x3 << 20);
            core::ptr::write_volatile(d.add(8) as *mut u32, cmd | FRAME as u32);
            core::ptr::write_volatile(d.add(12) as *mut u32, (FRAME as u32) << 14);
        }
    }
    w(&p, R::TDBAL, 0, tx_ring.phys() as u32);
    w(&p, R::TDBAH, 0, (tx_ring.phys() >> 32) as u32);
    w(&p, R::TDLEN, 0, RING * 16);
    w(&p, R::DMATXCTL, 0, rd(&p, R::DMATXCTL, 0) | 1);
    w(&p, R::TXDCTL, 0, 1 << 25);
    Q {
        port: p,
        rx_ring,
        rx_bufs,
        tx_tail: 0,
        rx_next: 0,
        _tx: (tx_ring, tx_bufs),
    }
}

fn arm(ring: &DmaRegion, bufs: &DmaRegion, k: u32) {
    let d = ring.virt().wrapping_add(k as usize * 16);
    // SAFETY: descriptor k of this bench's RX ring, handed back by the card (or never given).
    unsafe {
        core::ptr::write_volatile(d as *mut u64, bufs.phys() + k as u64 * 2048);
        core::ptr::write_volatile(d.add(8) as *mut u64, 0);
    }
}

impl Q {
    fn kick_tx(&mut self) {
        self.tx_tail = (self.tx_tail + BATCH) % RING;
        std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
        w(&self.port, R::TDT, 0, self.tx_tail);
    }
    /// Give back the RX descriptors the card completed; returns how many.
    fn recycle_rx(&mut self) -> u64 {
        let head = rd(&self.port, R::RDH, 0);
        let mut n = 0;
        while self.rx_next != head {
            arm(&self.rx_ring, &self.rx_bufs, self.rx_next);
            self.rx_next = (self.rx_next + 1) % RING;
            n += 1;
        }
        if n != 0 {
            w(&self.port, R::RDT, 0, (head + RING - 1) % RING);
        }
        n
    }
}

/// CPU time of this thread: the figure that says what one core does, whatever else the
/// machine runs at the same time.
fn cpu_time() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn run(name: &str, sim: &Sim, qs: &mut [Q], secs: f64) {
    // Warm up.
    for _ in 0..100 {
        for q in qs.iter_mut() {
            q.kick_tx();
        }
        sim.step();
        for q in qs.iter_mut() {
            q.recycle_rx();
        }
    }
    let t0 = Instant::now();
    let c0 = cpu_time();
    let mut rx = 0u64;
    while t0.elapsed() < Duration::from_secs_f64(secs) {
        for _ in 0..64 {
            for q in qs.iter_mut() {
                q.kick_tx();
            }
            sim.step();
            for q in qs.iter_mut() {
                rx += q.recycle_rx();
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let dt = cpu_time() - c0;
    let per_dir = rx as f64 / dt / 1e6 / qs.len() as f64;
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(sim.dma_faults().is_empty());
    assert!(rx > 0, "{name}: no frame moved");
    println!(
        "{name}: {per_dir:.2} Mpps per port and direction per CPU-second \
         ({} direction(s), {rx} frames of 64 bytes, {dt:.2} s CPU of one thread, {wall:.2} s wall, \
         {:.1} ns per frame)",
        qs.len(),
        dt * 1e9 / rx as f64
    );
}

fn main() {
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`) this is the quick
    // mode that keeps the benchmark from rotting: a few milliseconds per case.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench");
    let secs: f64 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(if quick { 0.02 } else { 2.0 });
    let sim = Sim::builder().link_delay(Duration::ZERO).build();
    let mut qs = vec![setup(&sim, 0, true)];
    run("MAC loopback, 1 port (TX+RX)", &sim, &mut qs, secs);
    drop(qs);
    drop(sim);

    let sim = Sim::builder().ports(2).link_delay(Duration::ZERO).build();
    sim.connect(Wire::Pair(0, 1)).unwrap();
    let mut qs = vec![setup(&sim, 0, false), setup(&sim, 1, false)];
    run("2 ports back to back, both ways", &sim, &mut qs, secs);
}
