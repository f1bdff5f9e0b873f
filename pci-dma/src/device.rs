//! The entry point: open a supported device by address, with VFIO where there is an IOMMU
//! group and `/dev/vfio`, else sysfs + hugepages.

use std::path::PathBuf;
use std::sync::Arc;

use crate::bar::Bar;
use crate::config::BusMaster;
use crate::error::PciError;
use crate::hugepage::HugepageAllocator;
use crate::ids::{PciAddr, PciId};
use crate::sysfs::Sysfs;
use crate::vfio;
use dma::DmaMemory;

/// Which way to reach the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// VFIO when the device has an IOMMU group and `/dev/vfio/vfio` exists, else sysfs.
    #[default]
    Auto,
    /// sysfs `resource0` + hugepages with physical addresses (no IOMMU, needs root).
    Sysfs,
    /// VFIO only.
    Vfio,
}

/// How to open a device.
#[derive(Clone, Debug)]
pub struct PciOptions {
    /// Root of the sysfs tree (`/sys`; tests use a fake tree).
    pub sysfs_root: PathBuf,
    /// Root of the device nodes (`/dev`; VFIO uses `dev_root/vfio/...`).
    pub dev_root: PathBuf,
    pub backend: Backend,
    /// Refuse early with [`PciError::NotRoot`] when not root (sysfs path). Tests on a fake tree
    /// turn it off.
    pub require_root: bool,
    /// Refuse a BAR0 smaller than this (the driver's register table size).
    pub min_bar_size: usize,
    /// Limit of 2 MiB pages of DMA memory.
    pub max_dma_pages: usize,
}

impl Default for PciOptions {
    fn default() -> Self {
        PciOptions {
            sysfs_root: PathBuf::from("/sys"),
            dev_root: PathBuf::from("/dev"),
            backend: Backend::Auto,
            require_root: true,
            min_bar_size: 0,
            max_dma_pages: HugepageAllocator::DEFAULT_MAX_PAGES,
        }
    }
}

/// An opened device: its mapped BAR0 and the DMA memory it can reach.
pub struct PciDevice {
    addr: PciAddr,
    id: PciId,
    backend: Backend,
    bar: Bar,
    /// Before `dma`: an unused device turns mastering off before its memory goes.
    master: BusMaster,
    dma: Arc<dyn DmaMemory>,
    /// MSI-X vectors (VFIO only).
    msix: Option<Arc<crate::Msix>>,
}

impl PciDevice {
    /// Open the device at `addr` (e.g. `0000:03:00.0`) if its id is one of `supported`.
    ///
    /// A device with another id is refused before anything is written to it.
    pub fn open(addr: &str, supported: &[PciId], opts: &PciOptions) -> Result<Self, PciError> {
        let addr: PciAddr = addr.parse()?;
        let sysfs = Sysfs::new(&opts.sysfs_root);
        // Refuse early, on reads only, whatever the backend.
        let id = sysfs.check_supported(addr, supported)?;
        let use_vfio = match opts.backend {
            Backend::Vfio => true,
            Backend::Sysfs => false,
            Backend::Auto => vfio::available(&sysfs, &opts.dev_root, addr),
        };
        if use_vfio {
            let (bar, dma, master, msix) = vfio::open(&sysfs, addr, supported, opts)?;
            return Ok(PciDevice {
                addr,
                id,
                backend: Backend::Vfio,
                bar,
                dma,
                master,
                msix: msix.map(Arc::new),
            });
        }
        let (bar, master) = sysfs.open_bar_master(addr, supported, opts)?;
        let dma = HugepageAllocator::with_max_pages(opts.max_dma_pages)?;
        Ok(PciDevice {
            addr,
            id,
            backend: Backend::Sysfs,
            bar,
            dma: Arc::new(dma),
            master,
            msix: None,
        })
    }

    pub fn addr(&self) -> PciAddr {
        self.addr
    }
    pub fn id(&self) -> PciId {
        self.id
    }
    /// The backend actually used (never `Auto`).
    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn bar(&self) -> &Bar {
        &self.bar
    }
    pub fn dma(&self) -> Arc<dyn DmaMemory> {
        Arc::clone(&self.dma)
    }
    /// The device's MSI-X vectors, to bind to eventfds: opened through VFIO only (`None`
    /// through sysfs, where a kernel driver would own the interrupts).
    pub fn msix(&self) -> Option<Arc<crate::Msix>> {
        self.msix.clone()
    }
    /// The BAR mapping owner and the DMA memory, for a driver to keep. Bus mastering stays on
    /// for the rest of the process; [`PciDevice::into_parts_with_master`] hands out the guard
    /// that turns it off.
    pub fn into_parts(self) -> (Bar, Arc<dyn DmaMemory>) {
        std::mem::forget(self.master);
        (self.bar, self.dma)
    }

    /// As [`PciDevice::into_parts`], with the [`BusMaster`] guard: dropping it (or
    /// [`BusMaster::disable`]) turns bus mastering off. A driver drops it after its queues are
    /// stopped and before their memory is released.
    pub fn into_parts_with_master(self) -> (Bar, Arc<dyn DmaMemory>, BusMaster) {
        (self.bar, self.dma, self.master)
    }
}
