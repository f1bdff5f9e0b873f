//! The driver's side of a simulated 82599 running as a process of its own (`ixgbe card
//! --socket PATH`): register accesses over the card's Unix socket, DMA memory shared with it.
//!
//! [`Card::connect`] says hello, receives the card's memory file and maps it; [`Card::port`]
//! gives a [`CardPort`] (a `regdsl_rt::Bus`: every access is one request and reply) and
//! [`Card::dma`] a `dma::DmaMemory` whose regions the card allocates (so their physical
//! addresses are the card's, checked by its strict mode) and this process reaches through its
//! own mapping of the same file. Packets and descriptors never cross the socket.
//!
//! A card that goes away behaves as hardware does on surprise removal: reads return all ones,
//! writes are lost, and [`Card::lost`] says so (with one message on standard error).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("sim-client-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("card.sock");
//! # let _ = std::fs::remove_file(&path);
//! # let listener = std::os::unix::net::UnixListener::bind(&path)?;
//! # std::thread::spawn(move || doc_card(listener));
//! use regdsl_rt::{Bus, Site};
//! let card = sim_client::Card::connect(&path)?;
//! let port0 = card.port(0)?;
//! port0.write32(0x0A600, 0x1234, Site::UNNAMED);          // a register, on the card
//! let ring = card.dma().alloc(4096, 128)?;                 // memory the card can DMA into
//! assert_ne!(ring.phys(), ring.virt() as u64);
//! # let _ = port0.read32(0x0A600, Site::UNNAMED);
//! # Ok(()) }
//! # // A stand-in card for the example: a memory file and a register array.
//! # fn doc_card(l: std::os::unix::net::UnixListener) {
//! #     use sim_client::proto::*; use std::os::fd::AsFd;
//! #     let (mut s, _) = l.accept().unwrap();
//! #     let f = tempfile_mem(1 << 20);
//! #     let mut regs = vec![0u32; 0x20000 / 4]; let mut next = 0u64;
//! #     while let Ok(Some(r)) = Request::read_from(&mut s) {
//! #         let rep = match r.cmd {
//! #             cmd::HELLO => { let rep = Reply { status: 0, a: 1, b: 1 << 20, c: 1 << 32 };
//! #                 send_with_fd(s.as_fd(), &rep.encode(), f.as_fd()).unwrap(); continue }
//! #             cmd::READ32 => Reply::ok(regs[r.a as usize / 4] as u64),
//! #             cmd::WRITE32 => { regs[r.a as usize / 4] = r.b as u32; continue } // posted
//! #             cmd::DMA_ALLOC => { let p = next.next_multiple_of(r.b); next = p + r.a; Reply::ok((1 << 32) + p) }
//! #             _ => Reply::err(status::BAD_COMMAND),
//! #         };
//! #         rep.write_to(&mut s).unwrap();
//! #     }
//! # }
//! # fn tempfile_mem(len: u64) -> std::fs::File {
//! #     let p = std::env::temp_dir().join(format!("sim-client-doc-mem-{}", std::process::id()));
//! #     let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&p).unwrap();
//! #     f.set_len(len).unwrap(); let _ = std::fs::remove_file(&p); f
//! # }
//! ```

mod lock;
pub mod proto;

pub use lock::PortLock;

use dma::{DmaError, DmaMemory, DmaRegion};
use proto::{cmd, status, Reply, Request};
use regdsl_rt::{Bus, Site};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Why a connection to a card process failed.
#[derive(Debug)]
pub enum CardError {
    Connect {
        path: String,
        err: io::Error,
    },
    Io(io::Error),
    /// The card answered with a status code (`proto::status`).
    Refused {
        what: &'static str,
        status: u32,
    },
    NoMemoryFile,
    BadPort {
        port: usize,
        ports: usize,
    },
    /// Another live process drives this port ([`PortLock`]).
    PortBusy {
        port: usize,
        holder: String,
        path: String,
    },
    Lock {
        path: String,
        err: io::Error,
    },
}

/// How long [`Card::connect`] waits for the card process to answer its hello.
const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardError::Connect { path, err } => write!(
                f,
                "cannot reach the card process at {path}: {err} (is `ixgbe card --socket {path}` running?)"
            ),
            CardError::Io(e) => write!(f, "card socket: {e}"),
            CardError::Refused { what, status } => {
                write!(f, "the card process refused {what} (status {status})")
            }
            CardError::NoMemoryFile => f.write_str("the card process sent no memory file"),
            CardError::BadPort { port, ports } => {
                write!(f, "no port {port}: the card process has {ports} port(s)")
            }
            CardError::PortBusy { port, holder, path } => write!(
                f,
                "port {port} of the card is in use by process {holder} (lock file {path}); \
                 initialising it would reset that process's rings"
            ),
            CardError::Lock { path, err } => write!(f, "lock file {path}: {err}"),
        }
    }
}

impl std::error::Error for CardError {}

impl From<io::Error> for CardError {
    fn from(e: io::Error) -> Self {
        CardError::Io(e)
    }
}

/// The card's memory, mapped in this process.
struct Mapping {
    _map: memmap2::MmapMut,
    base: *mut u8,
    len: usize,
    phys_base: u64,
}

// SAFETY: plain shared memory reached only through raw pointers; the driver and the card
// synchronise on it with fences around tail writes and DD bits, as with a real card.
unsafe impl Send for Mapping {}
// SAFETY: as for `Send`.
unsafe impl Sync for Mapping {}

struct Conn {
    sock: Mutex<UnixStream>,
    lost: AtomicBool,
}

impl Conn {
    /// One request and its reply (a posted write: none, `Some(OK)` once sent); `None` when
    /// the card is gone.
    fn call(&self, r: Request) -> Option<Reply> {
        if self.lost.load(Ordering::Relaxed) {
            return None;
        }
        let mut s = self.sock.lock().unwrap_or_else(|e| e.into_inner());
        let mut b = [0u8; proto::REPLY_LEN];
        let posted = proto::is_posted(r.cmd);
        let res =
            s.write_all(&r.encode()).and_then(
                |()| {
                    if posted {
                        Ok(())
                    } else {
                        s.read_exact(&mut b)
                    }
                },
            );
        match res {
            Ok(()) if posted => Some(Reply::ok(0)),
            Ok(()) => Some(Reply::decode(&b)),
            Err(e) => {
                if !self.lost.swap(true, Ordering::Relaxed) {
                    eprintln!("sim-client: the card process is gone ({e}): reads return all ones");
                }
                None
            }
        }
    }
}

impl Conn {
    /// A request followed by a 1-byte message carrying `fd` (`SCM_RIGHTS`), and its reply.
    fn call_with_fd(&self, r: Request, fd: BorrowedFd<'_>) -> Option<Reply> {
        if self.lost.load(Ordering::Relaxed) {
            return None;
        }
        let mut s = self.sock.lock().unwrap_or_else(|e| e.into_inner());
        let mut b = [0u8; proto::REPLY_LEN];
        let res = s
            .write_all(&r.encode())
            .and_then(|()| proto::send_with_fd(s.as_fd(), &[0], fd))
            .and_then(|()| s.read_exact(&mut b));
        match res {
            Ok(()) => Some(Reply::decode(&b)),
            Err(e) => {
                if !self.lost.swap(true, Ordering::Relaxed) {
                    eprintln!("sim-client: the card process is gone ({e}): reads return all ones");
                }
                None
            }
        }
    }
}

/// A connection to a card process.
#[derive(Clone)]
pub struct Card {
    path: PathBuf,
    conn: Arc<Conn>,
    mem: Arc<Mapping>,
    ports: usize,
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sim_client::Card {{ ports: {}, phys: {:#x}..{:#x} }}",
            self.ports,
            self.mem.phys_base,
            self.mem.phys_base + self.mem.len as u64
        )
    }
}

impl Card {
    /// Connect to the card process listening at `path` and map its DMA memory.
    pub fn connect(path: impl AsRef<Path>) -> Result<Card, CardError> {
        let path = path.as_ref();
        let sock = UnixStream::connect(path).map_err(|err| CardError::Connect {
            path: path.display().to_string(),
            err,
        })?;
        let hello = Request {
            cmd: cmd::HELLO,
            a: proto::VERSION,
            ..Request::default()
        };
        // Something that is not a card process (or a stopped one) may listen there and never
        // answer: the handshake waits a bounded time, not for ever (SIGINT cannot end a
        // process blocked in it).
        sock.set_read_timeout(Some(HELLO_TIMEOUT))?;
        (&sock).write_all(&hello.encode())?;
        let mut b = [0u8; proto::REPLY_LEN];
        let fd = proto::recv_with_fd(sock.as_fd(), &mut b).map_err(|err| match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => CardError::Connect {
                path: path.display().to_string(),
                err: io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "no answer to the handshake within {} s (something else listens there, \
                         or the card process is stopped)",
                        HELLO_TIMEOUT.as_secs()
                    ),
                ),
            },
            _ => CardError::Io(err),
        })?;
        sock.set_read_timeout(None)?;
        let r = Reply::decode(&b);
        if r.status != status::OK {
            return Err(CardError::Refused {
                what: "the protocol version",
                status: r.status,
            });
        }
        let file = std::fs::File::from(fd.ok_or(CardError::NoMemoryFile)?);
        let len = r.b as usize;
        if file.metadata()?.len() < r.b {
            return Err(CardError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "the card's memory file is smaller than it says",
            )));
        }
        // SAFETY: the card never truncates its memory file; the mapping is shared so both
        // processes see the same bytes, and it is touched only through raw pointers.
        let mut map = unsafe { memmap2::MmapOptions::new().len(len).map_mut(&file)? };
        let base = map.as_mut_ptr();
        Ok(Card {
            path: path.to_path_buf(),
            conn: Arc::new(Conn {
                sock: Mutex::new(sock),
                lost: AtomicBool::new(false),
            }),
            mem: Arc::new(Mapping {
                _map: map,
                base,
                len,
                phys_base: r.c,
            }),
            ports: r.a as usize,
        })
    }

    pub fn ports(&self) -> usize {
        self.ports
    }

    /// The register file (BAR0) of a port, as a bus.
    pub fn port(&self, port: usize) -> Result<CardPort, CardError> {
        if port >= self.ports {
            return Err(CardError::BadPort {
                port,
                ports: self.ports,
            });
        }
        Ok(CardPort {
            conn: self.conn.clone(),
            port: port as u32,
        })
    }

    /// Claim `port` for this process (to reset and initialise it): refused while another live
    /// process holds it. Keep the lock for as long as the port is driven; drop it after the
    /// device.
    pub fn lock_port(&self, port: usize) -> Result<PortLock, CardError> {
        self.port(port)?;
        PortLock::acquire(&self.path, port)
    }

    /// The card's DMA memory, for the driver's allocator.
    pub fn dma(&self) -> Arc<dyn DmaMemory> {
        Arc::new(CardDma {
            conn: self.conn.clone(),
            mem: self.mem.clone(),
        })
    }

    /// Strict-mode violations and DMA faults the card recorded so far (for all its clients).
    pub fn status(&self) -> Result<(u64, u64), CardError> {
        let r = self
            .conn
            .call(Request {
                cmd: cmd::STATUS,
                ..Request::default()
            })
            .ok_or_else(|| CardError::Io(io::ErrorKind::BrokenPipe.into()))?;
        Ok((r.a, r.b))
    }

    /// Binds MSI-X vector `vector` of `port` to an eventfd (`None`: unbinds): the card
    /// process writes 1 to it on each of the vector's messages, as VFIO's
    /// `VFIO_DEVICE_SET_IRQS` does for a real card. The descriptor travels with `SCM_RIGHTS`;
    /// the card keeps its copy until the vector is bound again (a process that dies leaves
    /// it bound to an eventfd nobody reads, which costs nothing).
    pub fn set_msix(
        &self,
        port: usize,
        vector: usize,
        fd: Option<BorrowedFd<'_>>,
    ) -> Result<(), CardError> {
        self.port(port)?;
        let r = Request {
            cmd: cmd::SET_MSIX,
            port: port as u32,
            a: vector as u64,
            b: u64::from(fd.is_some()),
        };
        let rep = match fd {
            Some(fd) => self.conn.call_with_fd(r, fd),
            None => self.conn.call(r),
        }
        .ok_or_else(|| CardError::Io(io::ErrorKind::BrokenPipe.into()))?;
        if rep.status != status::OK {
            return Err(CardError::Refused {
                what: "the MSI-X vector binding",
                status: rep.status,
            });
        }
        Ok(())
    }

    /// Whether the card process went away (reads then return all ones).
    pub fn lost(&self) -> bool {
        self.conn.lost.load(Ordering::Relaxed)
    }
}

/// One port's registers on a card process: a `regdsl_rt::Bus`.
#[derive(Clone)]
pub struct CardPort {
    conn: Arc<Conn>,
    port: u32,
}

impl fmt::Debug for CardPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sim_client::CardPort({})", self.port)
    }
}

impl CardPort {
    fn call(&self, cmd: u32, a: usize, b: u64) -> Option<Reply> {
        self.conn
            .call(Request {
                cmd,
                port: self.port,
                a: a as u64,
                b,
            })
            .filter(|r| r.status == status::OK)
    }
}

impl Bus for CardPort {
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        self.call(cmd::READ8, offset, 0)
            .map_or(u8::MAX, |r| r.a as u8)
    }
    fn write8(&self, offset: usize, value: u8, _site: Site) {
        let _ = self.call(cmd::WRITE8, offset, u64::from(value));
    }
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        self.call(cmd::READ16, offset, 0)
            .map_or(u16::MAX, |r| r.a as u16)
    }
    fn write16(&self, offset: usize, value: u16, _site: Site) {
        let _ = self.call(cmd::WRITE16, offset, u64::from(value));
    }
    fn read32(&self, offset: usize, _site: Site) -> u32 {
        self.call(cmd::READ32, offset, 0)
            .map_or(u32::MAX, |r| r.a as u32)
    }
    fn write32(&self, offset: usize, value: u32, _site: Site) {
        let _ = self.call(cmd::WRITE32, offset, u64::from(value));
    }
    fn read64(&self, offset: usize, _site: Site) -> u64 {
        self.call(cmd::READ64, offset, 0).map_or(u64::MAX, |r| r.a)
    }
    fn write64(&self, offset: usize, value: u64, _site: Site) {
        let _ = self.call(cmd::WRITE64, offset, value);
    }
    fn relax(&self) {
        // The card's engines run in their own process: let them.
        std::thread::yield_now();
    }
}

/// Keeps the mapping alive under a region and tells the card when the driver releases it
/// (its strict mode flags DMA into released memory, as in-process).
struct Lease {
    _mem: Arc<Mapping>,
    conn: Arc<Conn>,
    phys: u64,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = self.conn.call(Request {
            cmd: cmd::DMA_FREE,
            a: self.phys,
            ..Request::default()
        });
    }
}

/// DMA memory of a card process: allocated by the card, reached through this process's
/// mapping of the card's memory file.
struct CardDma {
    conn: Arc<Conn>,
    mem: Arc<Mapping>,
}

impl DmaMemory for CardDma {
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        if !align.is_power_of_two() {
            return Err(DmaError::BadAlign(align));
        }
        let r = self
            .conn
            .call(Request {
                cmd: cmd::DMA_ALLOC,
                port: 0,
                a: size as u64,
                b: align as u64,
            })
            .ok_or_else(|| DmaError::Os {
                what: "allocating DMA memory on the card process".into(),
                err: io::ErrorKind::BrokenPipe.into(),
            })?;
        match r.status {
            status::OK => {}
            status::DMA_BAD_ALIGN => return Err(DmaError::BadAlign(align)),
            status::DMA_EXHAUSTED if r.b != 0 && size > r.b as usize => {
                return Err(DmaError::TooLarge {
                    size,
                    max: r.b as usize,
                })
            }
            _ => return Err(DmaError::Exhausted { size }),
        }
        let off =
            r.a.checked_sub(self.mem.phys_base)
                .filter(|o| o.saturating_add(size as u64) <= self.mem.len as u64)
                .ok_or(DmaError::Exhausted { size })? as usize;
        let owner: Box<dyn Send + Sync> = Box::new(Lease {
            _mem: self.mem.clone(),
            conn: self.conn.clone(),
            phys: r.a,
        });
        // SAFETY: `off + size <= len` (checked above), inside the mapping kept alive by
        // `owner`; the card sees these bytes at physical address `r.a`.
        Ok(unsafe { DmaRegion::new(self.mem.base.add(off), r.a, size, owner) })
    }
}
