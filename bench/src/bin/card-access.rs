//! Cost of a register access on a card process (`sim_client` over the card socket) against
//! the in-process card: round-trip reads and posted writes, per access, in wall-clock time.
//! The card is served in this process on a Unix socket (the same code as `ixgbe card`), so
//! the figure is the protocol's: two context switches and a socket message each way.
//!
//! `cargo run --release -p bench --bin card-access [-- ACCESSES]`

use regdsl_rt::{Bus, Site};
use std::sync::Arc;
use std::time::Instant;

/// `RAL[1]`: a plain read/write register without side effects.
const REG: usize = 0x0A208;

fn per_access(n: u32, f: impl Fn(u32)) -> f64 {
    for i in 0..n / 10 {
        f(i);
    }
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    t.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|e| format!("ACCESSES {a:?}: {e}"))?,
        None => 200_000,
    };
    let sim = Arc::new(
        sim_82599::Sim::builder()
            .threaded(true)
            .dma_size(16 << 20)
            .build(),
    );
    let dir = std::env::temp_dir().join(format!("card-access-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("card.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path)?;
    let served = sim.clone();
    std::thread::spawn(move || sim_82599::server::serve(served, listener));
    let card = sim_client::Card::connect(&path)?;
    let remote = card.port(0)?;
    let local = sim.port(0);
    let s = Site::UNNAMED;
    println!("{n} accesses each (ns per access):");
    let r = per_access(n, |_| {
        std::hint::black_box(local.read32(REG, s));
    });
    let w = per_access(n, |i| local.write32(REG, i, s));
    println!("in-process card:  read {r:8.0}  write {w:8.0}");
    let r = per_access(n, |_| {
        std::hint::black_box(remote.read32(REG, s));
    });
    let w = per_access(n, |i| remote.write32(REG, i, s));
    // A read after the writes: returns only once every posted write took effect.
    assert_eq!(remote.read32(REG, s), n - 1);
    println!("card process:     read {r:8.0}  write {w:8.0}  (writes posted)");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
