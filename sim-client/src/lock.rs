//! Who drives a port of a card process: an exclusive `flock` on a lock file next to the card's
//! socket (`PATH.port<N>.lock`), as `pci_dma` locks a real card's `resource0`.
//!
//! The kernel drops a `flock` when its holder dies, however it dies (SIGKILL included), so a
//! crashed driver never leaves its port locked; the file itself stays, holding the process id
//! of the last holder for the message that names who has the port.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Held while a process drives a port (resets and initialises it, owns its queues).
#[derive(Debug)]
pub struct PortLock {
    _file: File,
    path: PathBuf,
}

impl PortLock {
    /// The lock file of `port` of the card at `socket`.
    pub fn path_for(socket: &Path, port: usize) -> PathBuf {
        let mut s = socket.as_os_str().to_owned();
        s.push(format!(".port{port}.lock"));
        PathBuf::from(s)
    }

    /// Take the lock, or say which process holds it.
    pub fn acquire(socket: &Path, port: usize) -> Result<PortLock, crate::CardError> {
        let path = Self::path_for(socket, port);
        let io = |err: io::Error| crate::CardError::Lock {
            path: path.display().to_string(),
            err,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // SAFETY: flock on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io(err));
            }
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            return Err(crate::CardError::PortBusy {
                port,
                holder: pid.trim().to_string(),
                path: path.display().to_string(),
            });
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(PortLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
