//! MSI-X through VFIO: a device's vectors bound to eventfds with `VFIO_DEVICE_SET_IRQS`
//! (uapi `linux/vfio.h`), so that each message the device sends wakes a reader of the
//! eventfd ([`crate::EventFd`]) instead of a kernel driver's handler.

use crate::error::PciError;
use crate::vfio::{io, ioctl_ptr_pub as ioctl_ptr, VFIO_BASE, VFIO_TYPE};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

pub(crate) const VFIO_DEVICE_GET_IRQ_INFO: u64 = io(VFIO_TYPE, VFIO_BASE + 9);
pub(crate) const VFIO_DEVICE_SET_IRQS: u64 = io(VFIO_TYPE, VFIO_BASE + 10);
const VFIO_PCI_MSIX_IRQ_INDEX: u32 = 2;
const VFIO_IRQ_SET_DATA_NONE: u32 = 1 << 0;
const VFIO_IRQ_SET_DATA_EVENTFD: u32 = 1 << 2;
const VFIO_IRQ_SET_ACTION_TRIGGER: u32 = 1 << 5;
const VFIO_IRQ_INFO_EVENTFD: u32 = 1 << 0;

/// `struct vfio_irq_info`.
#[repr(C)]
#[derive(Debug, Default)]
pub(crate) struct IrqInfo {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub count: u32,
}

/// A VFIO device's MSI-X vectors (only devices opened through VFIO have one:
/// [`crate::PciDevice::msix`]).
#[derive(Debug)]
pub struct Msix {
    device: File,
    count: u32,
}

impl Msix {
    /// The MSI-X capability of the VFIO device `device` (its own handle).
    pub(crate) fn new(device: File) -> Result<Msix, PciError> {
        let mut info = IrqInfo {
            argsz: std::mem::size_of::<IrqInfo>() as u32,
            index: VFIO_PCI_MSIX_IRQ_INDEX,
            ..IrqInfo::default()
        };
        ioctl_ptr(&device, VFIO_DEVICE_GET_IRQ_INFO, &mut info).map_err(|e| PciError::Vfio {
            what: "VFIO_DEVICE_GET_IRQ_INFO (MSI-X)".into(),
            err: e,
        })?;
        let count = if info.flags & VFIO_IRQ_INFO_EVENTFD != 0 {
            info.count
        } else {
            0
        };
        Ok(Msix { device, count })
    }

    /// Vectors the device has (0: no MSI-X).
    pub fn vectors(&self) -> u32 {
        self.count
    }

    /// Enables MSI-X with vectors `0..fds.len()`, vector `i` signalling `fds[i]`
    /// (`VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER`). All at once: kernels
    /// before 6.5 cannot add vectors to an enabled MSI-X set one by one.
    pub fn set_vectors(&self, fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        if fds.is_empty() || fds.len() as u32 > self.count {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} MSI-X vector(s) asked, the device has {}",
                    fds.len(),
                    self.count
                ),
            ));
        }
        // struct vfio_irq_set (20 bytes) followed by one s32 per vector, as u32 words.
        let mut buf = vec![0u32; 5 + fds.len()];
        buf[0] = (buf.len() * 4) as u32;
        buf[1] = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
        buf[2] = VFIO_PCI_MSIX_IRQ_INDEX;
        buf[3] = 0;
        buf[4] = fds.len() as u32;
        for (i, fd) in fds.iter().enumerate() {
            buf[5 + i] = fd.as_raw_fd() as u32;
        }
        ioctl_ptr(&self.device, VFIO_DEVICE_SET_IRQS, buf.as_mut_ptr()).map(|_| ())
    }

    /// Disables MSI-X (`DATA_NONE | ACTION_TRIGGER`, count 0): the vectors' eventfds are
    /// released by the kernel.
    pub fn disable(&self) -> io::Result<()> {
        let mut buf = [
            20u32,
            VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
            VFIO_PCI_MSIX_IRQ_INDEX,
            0,
            0,
        ];
        ioctl_ptr(&self.device, VFIO_DEVICE_SET_IRQS, buf.as_mut_ptr()).map(|_| ())
    }
}

impl Drop for Msix {
    fn drop(&mut self) {
        // Nothing to do on failure: closing the device handle disables it too.
        let _ = self.disable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_and_layout_match_the_uapi_header() {
        assert_eq!(VFIO_DEVICE_GET_IRQ_INFO, 0x3b6d);
        assert_eq!(VFIO_DEVICE_SET_IRQS, 0x3b6e);
        assert_eq!(std::mem::size_of::<IrqInfo>(), 16);
    }
}
