//! [`EventFd`]: the file descriptor an interrupt vector is delivered to.
//!
//! VFIO binds a device's MSI-X vector to an eventfd (`VFIO_DEVICE_SET_IRQS`); the simulated
//! card and its card process do the same. A driver waits on it ([`EventFd::wait`], or an
//! application's own `poll`/`epoll` through [`AsRawFd`]) and reads it to consume the
//! interrupts that arrived ([`EventFd::take`]).
//!
//! ```
//! use std::time::Duration;
//! let irq = pci_dma::EventFd::new()?;
//! assert!(!irq.wait(Duration::from_millis(1))?);  // nothing yet: times out
//! irq.signal()?;                                   // what a vector's message does
//! assert!(irq.wait(Duration::from_millis(100))?);
//! assert_eq!(irq.take()?, 1);                      // consumed
//! assert_eq!(irq.take()?, 0);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// A non-blocking, close-on-exec eventfd (`eventfd(2)`).
#[derive(Debug)]
pub struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// A new eventfd with its counter at 0.
    pub fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd takes no pointer; a non-negative result is a new descriptor.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        Ok(EventFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Adds 1 to the counter (wakes a waiter), as an interrupt message does.
    pub fn signal(&self) -> io::Result<()> {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer.
        let r = unsafe { libc::write(self.fd.as_raw_fd(), one.as_ptr().cast(), 8) };
        if r == 8 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Reads and resets the counter: the interrupts since the last `take` (0: none).
    pub fn take(&self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a live buffer of 8.
        let r = unsafe { libc::read(self.fd.as_raw_fd(), b.as_mut_ptr().cast(), 8) };
        if r == 8 {
            return Ok(u64::from_ne_bytes(b));
        }
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::WouldBlock {
            Ok(0)
        } else {
            Err(e)
        }
    }

    /// Waits until the counter is non-zero or `timeout` passes; true when signalled (the
    /// counter is left as it is: [`EventFd::take`] consumes it). Interrupted waits resume
    /// with the time left.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        EventFd::wait_any(&[self], timeout)
    }

    /// Waits until any of `fds` is signalled or `timeout` passes; true when one was (their
    /// counters are left as they are).
    pub fn wait_any(fds: &[&EventFd], timeout: Duration) -> io::Result<bool> {
        let end = std::time::Instant::now() + timeout;
        let mut pfds: Vec<libc::pollfd> = fds
            .iter()
            .map(|f| libc::pollfd {
                fd: f.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            // SAFETY: `pfds` is a live array of `pfds.len()` pollfds.
            let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
            if r > 0 {
                return Ok(true);
            }
            if r == 0 {
                if std::time::Instant::now() >= end {
                    return Ok(false);
                }
                continue;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// A second descriptor of the same eventfd (to hand to a card or to VFIO).
    pub fn try_clone_fd(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<EventFd> for OwnedFd {
    fn from(e: EventFd) -> OwnedFd {
        e.fd
    }
}
