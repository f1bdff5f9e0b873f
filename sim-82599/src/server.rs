//! The simulated card as a process of its own: serves driver processes over a Unix socket
//! (`ixgbe card --socket PATH`).
//!
//! Each connection says hello and receives the card's memory file (the simulated physical
//! memory, a `memfd`) with `SCM_RIGHTS`; then every register access is one request and one
//! reply (`sim_client::proto`), and DMA allocations are made by the card in its memory, so
//! physical addresses, DMA faults and strict mode work as for an in-process driver. Frames
//! and descriptors never cross the socket: the engines (threaded) read and write the shared
//! memory. ARCHITECTURE.md, "The card process", describes the protocol and why it is not
//! vfio-user.

use crate::Sim;
use ::dma::{DmaError, DmaMemory};
use regdsl_rt::{Bus, Site};
use sim_client::proto::{self, cmd, status, Reply, Request};
use std::collections::HashMap;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;

/// Serve clients of `sim` on `listener` until accepting fails; one thread per client.
/// Build `sim` threaded: its engines must run without a driver stepping them.
pub fn serve(sim: Arc<Sim>, listener: UnixListener) -> io::Result<()> {
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let sim = sim.clone();
        std::thread::Builder::new()
            .name("sim-82599-client".into())
            .spawn(move || {
                if let Err(e) = client(&sim, stream) {
                    // A client that vanishes mid-request is normal (killed): nothing to undo,
                    // its queues stay as they are, as on hardware.
                    if e.kind() != io::ErrorKind::BrokenPipe
                        && e.kind() != io::ErrorKind::ConnectionReset
                    {
                        eprintln!("sim-82599 server: client: {e}");
                    }
                }
            })?;
    }
    Ok(())
}

/// One client connection, until it closes.
fn client(sim: &Sim, mut s: UnixStream) -> io::Result<()> {
    // The regions this client holds, by physical address. Dropped on DMA_FREE (a release the
    // card's strict mode watches). A client that disconnects without freeing (killed) leaves
    // them allocated: the card process's memory stays valid under rings it may still run.
    let mut leases: HashMap<u64, ::dma::DmaRegion> = HashMap::new();
    let r = serve_client(sim, &mut s, &mut leases);
    // Gone without freeing them (killed, or a broken connection): the regions stay
    // allocated, never released (a release would tell strict mode the driver freed memory
    // under rings the card still runs, and a later allocation never reuses them anyway).
    for (_, region) in leases.drain() {
        std::mem::forget(region);
    }
    r
}

fn serve_client(
    sim: &Sim,
    s: &mut UnixStream,
    leases: &mut HashMap<u64, ::dma::DmaRegion>,
) -> io::Result<()> {
    let mem = sim.memory();
    let mut hello = false;
    while let Some(r) = Request::read_from(&mut *s)? {
        if r.cmd == cmd::HELLO {
            if r.a != proto::VERSION {
                Reply::err(status::BAD_VERSION).write_to(&mut *s)?;
                return Ok(());
            }
            let rep = Reply {
                status: status::OK,
                a: sim.ports() as u64,
                b: mem.size() as u64,
                c: crate::PHYS_BASE,
            };
            proto::send_with_fd(s.as_fd(), &rep.encode(), mem.file().as_fd())?;
            hello = true;
            continue;
        }
        let posted = hello && proto::is_posted(r.cmd);
        let rep = if !hello {
            Reply::err(status::NOT_HELLO)
        } else if r.cmd == cmd::DMA_ALLOC {
            alloc(sim, &r, leases)
        } else if r.cmd == cmd::SET_MSIX {
            set_msix(sim, &r, s)
        } else if r.cmd == cmd::DMA_FREE {
            match leases.remove(&r.a) {
                Some(region) => {
                    drop(region);
                    Reply::ok(0)
                }
                None => Reply::err(status::BAD_REGION),
            }
        } else {
            answer(sim, &r)
        };
        // A posted write that fails (a port the card does not have) is lost, as a PCIe write
        // to nowhere; the card's strict mode records a bad offset.
        if !posted {
            s.write_all(&rep.encode())?;
        }
    }
    Ok(())
}

/// Binds a vector to the eventfd that follows the request (or unbinds it).
fn set_msix(sim: &Sim, r: &Request, s: &UnixStream) -> Reply {
    let fd = if r.b != 0 {
        let mut one = [0u8; 1];
        match proto::recv_with_fd(s.as_fd(), &mut one) {
            Ok(Some(fd)) => Some(fd),
            _ => return Reply::err(status::NO_FD),
        }
    } else {
        None
    };
    let vector = usize::try_from(r.a).unwrap_or(usize::MAX);
    match sim.set_msix(r.port as usize, vector, fd.as_ref().map(|f| f.as_fd())) {
        Ok(()) => Reply::ok(0),
        Err(crate::SimError::BadPort { .. }) => Reply::err(status::BAD_PORT),
        Err(_) => Reply::err(status::BAD_VECTOR),
    }
}

/// A DMA allocation for a client, kept in its leases.
fn alloc(sim: &Sim, r: &Request, leases: &mut HashMap<u64, ::dma::DmaRegion>) -> Reply {
    let (Ok(size), Ok(align)) = (usize::try_from(r.a), usize::try_from(r.b)) else {
        return Reply::err(status::DMA_EXHAUSTED);
    };
    match sim.memory().alloc(size, align) {
        Ok(region) => {
            let phys = region.phys();
            leases.insert(phys, region);
            Reply::ok(phys)
        }
        Err(DmaError::BadAlign(_)) => Reply::err(status::DMA_BAD_ALIGN),
        Err(DmaError::TooLarge { max, .. }) => Reply {
            status: status::DMA_EXHAUSTED,
            a: r.a,
            b: max as u64,
            c: 0,
        },
        Err(_) => Reply::err(status::DMA_EXHAUSTED),
    }
}

/// The reply to one request after the hello. Bad input gets a status, never a panic:
/// register offsets are checked by the register file itself (strict mode records them).
fn answer(sim: &Sim, r: &Request) -> Reply {
    let port = || sim.try_port(r.port as usize).ok();
    // Offsets beyond usize (32-bit hosts) or far outside BAR0 go to the register file's
    // own range check as an impossible offset.
    let off = usize::try_from(r.a).unwrap_or(usize::MAX - 8);
    match r.cmd {
        cmd::READ8
        | cmd::WRITE8
        | cmd::READ16
        | cmd::WRITE16
        | cmd::READ32
        | cmd::WRITE32
        | cmd::READ64
        | cmd::WRITE64 => {
            let Some(p) = port() else {
                return Reply::err(status::BAD_PORT);
            };
            match r.cmd {
                cmd::READ8 => Reply::ok(u64::from(p.read8(off, Site::UNNAMED))),
                cmd::READ16 => Reply::ok(u64::from(p.read16(off, Site::UNNAMED))),
                cmd::WRITE8 => {
                    p.write8(off, r.b as u8, Site::UNNAMED);
                    Reply::ok(0)
                }
                cmd::WRITE16 => {
                    p.write16(off, r.b as u16, Site::UNNAMED);
                    Reply::ok(0)
                }
                cmd::READ32 => Reply::ok(u64::from(p.read32(off, Site::UNNAMED))),
                cmd::WRITE32 => {
                    p.write32(off, r.b as u32, Site::UNNAMED);
                    Reply::ok(0)
                }
                cmd::READ64 => Reply::ok(p.read64(off, Site::UNNAMED)),
                _ => {
                    p.write64(off, r.b, Site::UNNAMED);
                    Reply::ok(0)
                }
            }
        }
        cmd::STATUS => Reply {
            status: status::OK,
            a: sim.violations().len() as u64,
            b: sim.dma_faults().len() as u64,
            c: 0,
        },
        _ => Reply::err(status::BAD_COMMAND),
    }
}
