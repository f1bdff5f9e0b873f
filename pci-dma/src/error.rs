//! One error type for opening a device: each variant says what failed and where.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::ids::{PciAddr, PciId};
use dma::DmaError;

/// Why a device could not be opened or prepared.
#[derive(Debug)]
pub enum PciError {
    /// The operation needs root (or CAP_SYS_ADMIN); `what` says which one.
    NotRoot { what: String },
    /// A PCI address that does not parse (`0000:03:00.0` expected).
    BadAddress { input: String, reason: String },
    /// A vendor:device id that does not parse (`8086:10fb` expected).
    BadId { input: String, reason: String },
    /// No such device directory in sysfs.
    NoSuchDevice { addr: PciAddr, path: PathBuf },
    /// The device is not one the driver supports. Nothing was written to it.
    WrongDevice {
        addr: PciAddr,
        found: PciId,
        supported: Vec<PciId>,
    },
    /// The device is in use: another process holds it, or the host uses it.
    Busy { addr: PciAddr, reason: String },
    /// No 2 MiB hugepages could be had.
    NoHugepages { detail: String },
    /// Reading or writing a file failed.
    Io { path: PathBuf, err: io::Error },
    /// /proc/self/pagemap did not give a usable physical address.
    Pagemap { virt: usize, reason: String },
    /// The BAR is smaller than the driver's register table.
    BarTooSmall {
        addr: PciAddr,
        size: usize,
        needed: usize,
    },
    /// Memory-space decoding is off in the command register, so BAR0 reads would return all
    /// ones; a read-only open does not turn it on.
    MemoryDecodingOff { addr: PciAddr },
    /// A VFIO step failed.
    Vfio { what: String, err: io::Error },
    /// Setting up DMA memory failed.
    Dma(DmaError),
}

impl PciError {
    /// An I/O error on `path`; permission errors become [`PciError::NotRoot`].
    pub(crate) fn io(path: impl Into<PathBuf>, err: io::Error) -> Self {
        let path = path.into();
        if err.kind() == io::ErrorKind::PermissionDenied && !is_root() {
            return PciError::NotRoot {
                what: format!("access to {} ({err})", path.display()),
            };
        }
        PciError::Io { path, err }
    }
}

/// Effective user id 0.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn list(ids: &[PciId]) -> String {
    if ids.is_empty() {
        return "none".to_string();
    }
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for PciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PciError::NotRoot { what } => write!(f, "not root: {what} needs root"),
            PciError::BadAddress { input, reason } => write!(
                f,
                "bad PCI address {input:?}: {reason} (expected DDDD:BB:DD.F, e.g. 0000:03:00.0)"
            ),
            PciError::BadId { input, reason } => write!(
                f,
                "bad PCI id {input:?}: {reason} (expected VVVV:DDDD in hex, e.g. 8086:10fb)"
            ),
            PciError::NoSuchDevice { addr, path } => {
                write!(f, "no PCI device {addr} ({} does not exist)", path.display())
            }
            PciError::WrongDevice {
                addr,
                found,
                supported,
            } => write!(
                f,
                "PCI device {addr} is {found}, not a supported device (supported: {}); left untouched",
                list(supported)
            ),
            PciError::Busy { addr, reason } => write!(f, "PCI device {addr} is busy: {reason}"),
            PciError::NoHugepages { detail } => write!(f, "no 2 MiB hugepages: {detail}"),
            PciError::Io { path, err } => write!(f, "{}: {err}", path.display()),
            PciError::Pagemap { virt, reason } => {
                write!(f, "/proc/self/pagemap for {virt:#x}: {reason}")
            }
            PciError::BarTooSmall { addr, size, needed } => write!(
                f,
                "PCI device {addr}: BAR0 is {size:#x} bytes, the driver needs {needed:#x}"
            ),
            PciError::MemoryDecodingOff { addr } => write!(
                f,
                "PCI device {addr}: memory decoding is off (no driver has enabled the device), \
                 so its registers cannot be read without writing the command register; \
                 initialise it first (--init)"
            ),
            PciError::Vfio { what, err } => write!(f, "VFIO: {what}: {err}"),
            PciError::Dma(e) => write!(f, "DMA memory: {e}"),
        }
    }
}

impl std::error::Error for PciError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PciError::Io { err, .. } | PciError::Vfio { err, .. } => Some(err),
            PciError::Dma(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DmaError> for PciError {
    fn from(e: DmaError) -> Self {
        PciError::Dma(e)
    }
}
