//! The real-hardware platform of the user-space drivers: PCI device access (sysfs discovery and
//! id check, unbind, bus mastering, BAR mapping) and DMA memory that implements the `dma`
//! crate's contract (hugepages + pagemap, or VFIO). The contract itself ([`DmaMemory`],
//! [`DmaRegion`], the packet pool) is the `dma` crate's, re-exported here.
//!
//! ```no_run
//! use pci_dma::{PciDevice, PciId, PciOptions};
//! const SUPPORTED: &[PciId] = &[PciId::new(0x8086, 0x10c9)];
//! let dev = PciDevice::open("0000:03:00.0", SUPPORTED, &PciOptions::default())?;
//! let (bar, dma) = dev.into_parts();
//! let status = regdsl_rt::Bus::read32(&bar, 0x8, regdsl_rt::Site::UNNAMED);
//! let ring = dma.alloc(4096, 128)?; // ring.virt() for the CPU, ring.phys() for the card
//! # let _ = (status, ring);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
pub mod bar;
pub mod config;
pub mod device;
pub mod error;
pub mod eventfd;
pub mod fake;
pub mod hugepage;
pub mod ids;
pub mod lockfile;
pub mod msix;
pub mod pagemap;
pub mod sysfs;
pub mod vfio;

pub use bar::Bar;
pub use config::BusMaster;
pub use device::{Backend, PciDevice, PciOptions};
pub use dma::{DmaError, DmaMemory, DmaRegion};
pub use error::{is_root, PciError};
pub use eventfd::EventFd;
pub use fake::FakeTree;
pub use hugepage::{hugepage_counts, HugepageAllocator, HUGE_PAGE_SIZE};
pub use ids::{PciAddr, PciId};
pub use lockfile::{FileLock, LockMode};
pub use msix::Msix;
pub use pagemap::virt_to_phys;
pub use sysfs::{DeviceInfo, Sysfs};
pub use vfio::VfioDma;
