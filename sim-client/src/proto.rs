//! The card socket's wire format, shared by the card process (`sim_82599::server`) and the
//! client ([`crate::Card`]). ARCHITECTURE.md, "The card process", describes the protocol.
//!
//! Shaped like vfio-user (request/reply pairs on a `SOCK_STREAM` Unix socket, region
//! reads/writes as messages, a memory file passed with `SCM_RIGHTS`), but smaller: fixed-size
//! little-endian messages, one outstanding request per connection, and the *card* owns the DMA
//! memory (the client maps the card's memory file and asks the card to allocate in it), so that
//! physical addresses stay the card's and the strict DMA checks work as in-process.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Bumped on any change of the messages below.
pub const VERSION: u64 = 3;

/// Requests (`Request::cmd`).
pub mod cmd {
    /// `a` = protocol version. Reply: `a` = ports, `b` = DMA memory bytes, `c` = physical
    /// address of its first byte; the memory file comes with the reply (`SCM_RIGHTS`).
    pub const HELLO: u32 = 1;
    /// `a` = BAR0 offset. Reply: `a` = value.
    pub const READ32: u32 = 2;
    /// `a` = BAR0 offset, `b` = value. Posted, as a PCIe memory write: no reply; the card
    /// handles requests in order, so a later read returns only after the write took effect.
    pub const WRITE32: u32 = 3;
    /// `a` = BAR0 offset (8-aligned). Reply: `a` = value.
    pub const READ64: u32 = 4;
    /// `a` = BAR0 offset (8-aligned), `b` = value. Posted (no reply), as `WRITE32`.
    pub const WRITE64: u32 = 5;
    /// `a` = bytes, `b` = alignment. Reply: `a` = physical address (zeroed memory, never
    /// handed out twice).
    pub const DMA_ALLOC: u32 = 6;
    /// Reply: `a` = strict-mode violations so far, `b` = DMA faults so far.
    pub const STATUS: u32 = 7;
    /// `a` = physical address of a region this connection allocated: the driver released it
    /// (the card's strict mode then flags any DMA into it). Unknown addresses: `BAD_REGION`.
    pub const DMA_FREE: u32 = 8;
    /// `a` = BAR0 offset. Reply: `a` = value (the 82599's registers are 32 bits wide: the card
    /// answers all ones and records a strict-mode violation, as in-process).
    pub const READ8: u32 = 9;
    pub const READ16: u32 = 10;
    /// `a` = BAR0 offset, `b` = value. Posted (no reply), as `WRITE32`.
    pub const WRITE8: u32 = 11;
    pub const WRITE16: u32 = 12;
    /// `a` = MSI-X vector, `b` = 1: bind it to the eventfd sent right after this request as
    /// a 1-byte message carrying the descriptor (`SCM_RIGHTS`); `b` = 0: unbind. Each message
    /// of the vector then writes 1 to the eventfd (as VFIO's `VFIO_DEVICE_SET_IRQS` with
    /// `DATA_EVENTFD | ACTION_TRIGGER`). Reply: `OK`, `BAD_VECTOR`, `NO_FD`.
    pub const SET_MSIX: u32 = 13;
}

/// Reply status codes (`Reply::status`).
pub mod status {
    pub const OK: u32 = 0;
    pub const BAD_COMMAND: u32 = 1;
    pub const BAD_PORT: u32 = 2;
    pub const BAD_VERSION: u32 = 3;
    /// `a` = bytes asked, `b` = bytes the memory has.
    pub const DMA_EXHAUSTED: u32 = 4;
    pub const DMA_BAD_ALIGN: u32 = 5;
    pub const NOT_HELLO: u32 = 6;
    pub const BAD_REGION: u32 = 7;
    pub const BAD_VECTOR: u32 = 8;
    /// A `SET_MSIX` bind whose descriptor did not come.
    pub const NO_FD: u32 = 9;
}

/// Whether a request gets no reply (posted writes).
pub fn is_posted(cmd: u32) -> bool {
    matches!(
        cmd,
        cmd::WRITE8 | cmd::WRITE16 | cmd::WRITE32 | cmd::WRITE64
    )
}

/// One request: `cmd`, the port (function) it addresses, two arguments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub cmd: u32,
    pub port: u32,
    pub a: u64,
    pub b: u64,
}

/// One reply: `status` and up to three values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub status: u32,
    pub a: u64,
    pub b: u64,
    pub c: u64,
}

pub const REQUEST_LEN: usize = 24;
pub const REPLY_LEN: usize = 32;

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

impl Request {
    pub fn encode(&self) -> [u8; REQUEST_LEN] {
        let mut b = [0u8; REQUEST_LEN];
        b[0..4].copy_from_slice(&self.cmd.to_le_bytes());
        b[4..8].copy_from_slice(&self.port.to_le_bytes());
        b[8..16].copy_from_slice(&self.a.to_le_bytes());
        b[16..24].copy_from_slice(&self.b.to_le_bytes());
        b
    }
    pub fn decode(b: &[u8; REQUEST_LEN]) -> Request {
        Request {
            cmd: u32_at(b, 0),
            port: u32_at(b, 4),
            a: u64_at(b, 8),
            b: u64_at(b, 16),
        }
    }
    /// Read one request; `Ok(None)` at a clean end of stream.
    pub fn read_from(r: &mut impl Read) -> io::Result<Option<Request>> {
        let mut b = [0u8; REQUEST_LEN];
        match r.read_exact(&mut b) {
            Ok(()) => Ok(Some(Request::decode(&b))),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Reply {
    pub fn ok(a: u64) -> Reply {
        Reply {
            a,
            ..Reply::default()
        }
    }
    pub fn err(status: u32) -> Reply {
        Reply {
            status,
            ..Reply::default()
        }
    }
    pub fn encode(&self) -> [u8; REPLY_LEN] {
        let mut b = [0u8; REPLY_LEN];
        b[0..4].copy_from_slice(&self.status.to_le_bytes());
        b[8..16].copy_from_slice(&self.a.to_le_bytes());
        b[16..24].copy_from_slice(&self.b.to_le_bytes());
        b[24..32].copy_from_slice(&self.c.to_le_bytes());
        b
    }
    pub fn decode(b: &[u8; REPLY_LEN]) -> Reply {
        Reply {
            status: u32_at(b, 0),
            a: u64_at(b, 8),
            b: u64_at(b, 16),
            c: u64_at(b, 24),
        }
    }
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.encode())
    }
}

/// Send `bytes` with one file descriptor attached (`SCM_RIGHTS`).
pub fn send_with_fd(sock: BorrowedFd<'_>, bytes: &[u8], fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw: RawFd = fd.as_raw_fd();
    // SAFETY: CMSG_SPACE is a pure computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
    let mut cbuf = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: a zeroed msghdr is a valid empty message; every pointer set below outlives the
    // sendmsg call, and the control buffer is CMSG_SPACE bytes for one descriptor.
    let n = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = space as _;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut RawFd, raw);
        libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL)
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n as usize != bytes.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short sendmsg"));
    }
    Ok(())
}

/// Receive exactly `buf.len()` bytes and the file descriptor sent with them, if any.
pub fn recv_with_fd(sock: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Option<OwnedFd>> {
    // SAFETY: as in `send_with_fd`.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
    let mut cbuf = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: the message points at `buf` and `cbuf`, both live for the call; MSG_CMSG_CLOEXEC
    // keeps a received descriptor from leaking into child processes.
    let (n, msg) = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = space as _;
        let n = libc::recvmsg(
            sock.as_raw_fd(),
            &mut msg,
            libc::MSG_CMSG_CLOEXEC | libc::MSG_WAITALL,
        );
        (n, msg)
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n as usize != buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the card closed the connection",
        ));
    }
    // SAFETY: `msg` was filled by recvmsg; CMSG_FIRSTHDR/NXTHDR stay inside `cbuf`.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let fd = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const RawFd);
                return Ok(Some(OwnedFd::from_raw_fd(fd)));
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(None)
}
