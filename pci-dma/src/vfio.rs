//! VFIO (Linux Documentation/driver-api/vfio.rst, uapi linux/vfio.h): the device behind an
//! IOMMU. Container (`/dev/vfio/vfio`) + group (`/dev/vfio/N`) + device fd; BAR0 and config
//! space are regions of the device fd; DMA memory is mapped into the IOMMU with
//! `VFIO_IOMMU_MAP_DMA`, with IOVA = the virtual address.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memmap2::MmapOptions;

use crate::bar::Bar;
use crate::config;
use crate::device::PciOptions;
use crate::dma::{DmaError, DmaMemory, DmaRegion};
use crate::error::{is_root, PciError};
use crate::hugepage::{
    lock_and_touch, map_anonymous, other, Carver, Page, PageSource, HUGE_PAGE_SIZE,
};
use crate::ids::{PciAddr, PciId};
use crate::sysfs::Sysfs;

/// `_IO(type, nr)`: direction none, size 0 (asm-generic/ioctl.h: nr bits 0-7, type bits 8-15).
pub(crate) const fn io(ty: u8, nr: u8) -> u64 {
    ((ty as u64) << 8) | nr as u64
}

const VFIO_TYPE: u8 = b';';
const VFIO_BASE: u8 = 100;
pub(crate) const VFIO_GET_API_VERSION: u64 = io(VFIO_TYPE, VFIO_BASE);
pub(crate) const VFIO_CHECK_EXTENSION: u64 = io(VFIO_TYPE, VFIO_BASE + 1);
pub(crate) const VFIO_SET_IOMMU: u64 = io(VFIO_TYPE, VFIO_BASE + 2);
pub(crate) const VFIO_GROUP_GET_STATUS: u64 = io(VFIO_TYPE, VFIO_BASE + 3);
pub(crate) const VFIO_GROUP_SET_CONTAINER: u64 = io(VFIO_TYPE, VFIO_BASE + 4);
pub(crate) const VFIO_GROUP_GET_DEVICE_FD: u64 = io(VFIO_TYPE, VFIO_BASE + 6);
pub(crate) const VFIO_DEVICE_GET_REGION_INFO: u64 = io(VFIO_TYPE, VFIO_BASE + 8);
pub(crate) const VFIO_IOMMU_MAP_DMA: u64 = io(VFIO_TYPE, VFIO_BASE + 13);
pub(crate) const VFIO_IOMMU_UNMAP_DMA: u64 = io(VFIO_TYPE, VFIO_BASE + 14);

const VFIO_API_VERSION: i32 = 0;
const VFIO_TYPE1_IOMMU: libc::c_ulong = 1;
const VFIO_GROUP_FLAGS_VIABLE: u32 = 1 << 0;
const VFIO_PCI_BAR0_REGION_INDEX: u32 = 0;
const VFIO_PCI_CONFIG_REGION_INDEX: u32 = 7;
const VFIO_REGION_INFO_FLAG_MMAP: u32 = 1 << 2;
const VFIO_DMA_MAP_FLAG_READ: u32 = 1 << 0;
const VFIO_DMA_MAP_FLAG_WRITE: u32 = 1 << 1;

/// `struct vfio_group_status`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct GroupStatus {
    pub argsz: u32,
    pub flags: u32,
}

/// `struct vfio_region_info`.
#[repr(C)]
#[derive(Default, Debug)]
pub(crate) struct RegionInfo {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub cap_offset: u32,
    pub size: u64,
    pub offset: u64,
}

/// `struct vfio_iommu_type1_dma_map`.
#[repr(C)]
pub(crate) struct DmaMap {
    pub argsz: u32,
    pub flags: u32,
    pub vaddr: u64,
    pub iova: u64,
    pub size: u64,
}

/// `struct vfio_iommu_type1_dma_unmap`.
#[repr(C)]
pub(crate) struct DmaUnmap {
    pub argsz: u32,
    pub flags: u32,
    pub iova: u64,
    pub size: u64,
}

fn vfio_err(what: impl Into<String>, err: io::Error) -> PciError {
    PciError::Vfio {
        what: what.into(),
        err,
    }
}

/// ioctl with an integer argument.
fn ioctl_val(fd: &impl AsRawFd, req: u64, arg: libc::c_ulong) -> io::Result<i32> {
    // SAFETY: VFIO ioctls that take a plain integer read no memory through it.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// ioctl with a pointer to a `#[repr(C)]` argument.
fn ioctl_ptr<T>(fd: &impl AsRawFd, req: u64, arg: *mut T) -> io::Result<i32> {
    // SAFETY: `arg` points to a live value of the struct type `req` expects (argsz set by the
    // caller), which the kernel reads and may fill in.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// The IOMMU container; DMA mappings belong to it.
pub(crate) struct Container {
    fd: OwnedFd,
}

impl Container {
    fn map_dma(&self, virt: *mut u8, len: usize) -> io::Result<()> {
        let mut m = DmaMap {
            argsz: std::mem::size_of::<DmaMap>() as u32,
            flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
            vaddr: virt as u64,
            iova: virt as u64,
            size: len as u64,
        };
        ioctl_ptr(&self.fd, VFIO_IOMMU_MAP_DMA, &mut m).map(drop)
    }

    fn unmap_dma(&self, iova: u64, len: usize) {
        let mut u = DmaUnmap {
            argsz: std::mem::size_of::<DmaUnmap>() as u32,
            flags: 0,
            iova,
            size: len as u64,
        };
        // Nothing useful to do on failure while dropping: the container's close unmaps too.
        let _ = ioctl_ptr(&self.fd, VFIO_IOMMU_UNMAP_DMA, &mut u);
    }
}

/// Everything that must stay open while the BAR is mapped.
struct Handles {
    _container: Arc<Container>,
    _group: OwnedFd,
    _device: File,
}

/// Is VFIO usable for this device: it has an IOMMU group and `/dev/vfio/vfio` exists.
pub fn available(sysfs: &Sysfs, dev_root: &Path, addr: PciAddr) -> bool {
    sysfs.iommu_group(addr).is_some() && dev_root.join("vfio/vfio").exists()
}

/// Bind the device to vfio-pci (driver_override, unbind, drivers_probe) unless it already is.
fn bind_vfio_pci(sysfs: &Sysfs, addr: PciAddr, opts: &PciOptions) -> Result<(), PciError> {
    if sysfs.driver(addr).as_deref() == Some("vfio-pci") {
        return Ok(());
    }
    if opts.require_root && !is_root() {
        return Err(PciError::NotRoot {
            what: format!("binding {addr} to vfio-pci"),
        });
    }
    sysfs.check_not_in_use(addr)?;
    if !sysfs.root().join("bus/pci/drivers/vfio-pci").exists() {
        return Err(vfio_err(
            format!("binding {addr}"),
            other("the vfio-pci driver is not loaded (modprobe vfio-pci)"),
        ));
    }
    let dir = sysfs.device_dir(addr);
    let write = |path: PathBuf, text: &str| -> Result<(), PciError> {
        std::fs::write(&path, text).map_err(|e| PciError::io(path, e))
    };
    write(dir.join("driver_override"), "vfio-pci")?;
    sysfs.unbind(addr)?;
    write(
        sysfs.root().join("bus/pci/drivers_probe"),
        &addr.to_string(),
    )?;
    Ok(())
}

fn open_rw(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

fn region_info(device: &File, index: u32) -> Result<RegionInfo, PciError> {
    let mut info = RegionInfo {
        argsz: std::mem::size_of::<RegionInfo>() as u32,
        index,
        ..Default::default()
    };
    ioctl_ptr(device, VFIO_DEVICE_GET_REGION_INFO, &mut info)
        .map_err(|e| vfio_err(format!("region info {index}"), e))?;
    Ok(info)
}

/// Open `addr` through VFIO: BAR0 mapping and IOMMU-mapped DMA memory.
pub(crate) fn open(
    sysfs: &Sysfs,
    addr: PciAddr,
    supported: &[PciId],
    opts: &PciOptions,
) -> Result<(Bar, Arc<dyn DmaMemory>), PciError> {
    sysfs.check_supported(addr, supported)?;
    let group_no = sysfs.iommu_group(addr).ok_or_else(|| {
        vfio_err(
            format!("device {addr}"),
            other("no iommu_group in sysfs (no IOMMU)"),
        )
    })?;
    bind_vfio_pci(sysfs, addr, opts)?;

    let cpath = opts.dev_root.join("vfio/vfio");
    let container = open_rw(&cpath).map_err(|e| PciError::io(&cpath, e))?;
    let container = Container {
        fd: OwnedFd::from(container),
    };
    let v = ioctl_val(&container.fd, VFIO_GET_API_VERSION, 0)
        .map_err(|e| vfio_err("VFIO_GET_API_VERSION", e))?;
    if v != VFIO_API_VERSION {
        return Err(vfio_err(
            "VFIO_GET_API_VERSION",
            other(format!("unknown API version {v}")),
        ));
    }
    if ioctl_val(&container.fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU).unwrap_or(0) <= 0 {
        return Err(vfio_err(
            "VFIO_CHECK_EXTENSION",
            other("type 1 IOMMU not supported"),
        ));
    }

    // The group node appears shortly after vfio-pci binds.
    let gpath = opts.dev_root.join(format!("vfio/{group_no}"));
    let deadline = Instant::now() + Duration::from_secs(2);
    let group = loop {
        match open_rw(&gpath) {
            Ok(f) => break OwnedFd::from(f),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                return Err(PciError::Busy {
                    addr,
                    reason: format!("{} is open in another process", gpath.display()),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(PciError::io(&gpath, e)),
        }
    };
    let mut status = GroupStatus {
        argsz: std::mem::size_of::<GroupStatus>() as u32,
        flags: 0,
    };
    ioctl_ptr(&group, VFIO_GROUP_GET_STATUS, &mut status)
        .map_err(|e| vfio_err("VFIO_GROUP_GET_STATUS", e))?;
    if status.flags & VFIO_GROUP_FLAGS_VIABLE == 0 {
        return Err(PciError::Busy {
            addr,
            reason: format!(
                "IOMMU group {group_no} is not viable: bind every device in it to vfio-pci"
            ),
        });
    }
    let mut cfd: libc::c_int = container.fd.as_raw_fd();
    ioctl_ptr(&group, VFIO_GROUP_SET_CONTAINER, &mut cfd)
        .map_err(|e| vfio_err("VFIO_GROUP_SET_CONTAINER", e))?;
    ioctl_val(&container.fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)
        .map_err(|e| vfio_err("VFIO_SET_IOMMU", e))?;

    let name = CString::new(addr.to_string()).expect("no NUL in an address");
    let dfd = ioctl_ptr(
        &group,
        VFIO_GROUP_GET_DEVICE_FD,
        name.as_ptr() as *mut libc::c_char,
    )
    .map_err(|e| vfio_err("VFIO_GROUP_GET_DEVICE_FD", e))?;
    // SAFETY: the ioctl returned a new file descriptor that nothing else owns.
    let device = unsafe { File::from_raw_fd(dfd) };

    let bar0 = region_info(&device, VFIO_PCI_BAR0_REGION_INDEX)?;
    if bar0.flags & VFIO_REGION_INFO_FLAG_MMAP == 0 || bar0.size == 0 {
        return Err(vfio_err(
            "BAR0",
            other(format!("region cannot be mmapped ({bar0:?})")),
        ));
    }
    if (bar0.size as usize) < opts.min_bar_size {
        return Err(PciError::BarTooSmall {
            addr,
            size: bar0.size as usize,
            needed: opts.min_bar_size,
        });
    }
    let cfg = region_info(&device, VFIO_PCI_CONFIG_REGION_INDEX)?;
    config::enable_bus_master(&device, cfg.offset)
        .map_err(|e| vfio_err("enabling bus mastering through the config region", e))?;
    let map = MmapOptions::new()
        .offset(bar0.offset)
        .len(bar0.size as usize)
        .map_raw(&device)
        .map_err(|e| vfio_err("mapping BAR0", e))?;

    let container = Arc::new(container);
    let dma = VfioDma::new(Arc::clone(&container), opts.max_dma_pages)?;
    let keep = Handles {
        _container: container,
        _group: group,
        _device: device,
    };
    Ok((Bar::new(map, Box::new(keep)), Arc::new(dma)))
}

/// Pages for VFIO: hugepages if there are any, else ordinary memory trimmed to a 2 MiB-aligned
/// piece (the IOMMU makes it contiguous for the device either way).
struct VfioSource {
    container: Arc<Container>,
}

fn map_aligned_small() -> io::Result<*mut u8> {
    let len = 2 * HUGE_PAGE_SIZE;
    let p = map_anonymous(len, false)?;
    let start = (p as usize).next_multiple_of(HUGE_PAGE_SIZE);
    let head = start - p as usize;
    let tail = len - head - HUGE_PAGE_SIZE;
    // SAFETY: both pieces are parts of the mapping just made that are not kept.
    unsafe {
        if head > 0 {
            libc::munmap(p.cast(), head);
        }
        if tail > 0 {
            libc::munmap((start + HUGE_PAGE_SIZE) as *mut libc::c_void, tail);
        }
    }
    Ok(start as *mut u8)
}

impl PageSource for VfioSource {
    fn new_page(&self) -> Result<Page, DmaError> {
        let os = |what: &str, err| DmaError::Os {
            what: what.to_string(),
            err,
        };
        let virt = map_anonymous(HUGE_PAGE_SIZE, true)
            .or_else(|_| map_aligned_small())
            .map_err(|e| os("mapping 2 MiB for VFIO DMA", e))?;
        let container = Arc::clone(&self.container);
        let mut page = Page {
            virt,
            len: HUGE_PAGE_SIZE,
            dev_addr: virt as u64,
            before_unmap: None,
        };
        lock_and_touch(virt, HUGE_PAGE_SIZE).map_err(|e| os("mlock of DMA memory", e))?;
        container
            .map_dma(virt, HUGE_PAGE_SIZE)
            .map_err(|e| os("VFIO_IOMMU_MAP_DMA", e))?;
        page.before_unmap = Some(Box::new(move |p: &Page| {
            container.unmap_dma(p.dev_addr, p.len)
        }));
        Ok(page)
    }
}

/// DMA memory mapped into the device's IOMMU domain (IOVA = virtual address).
pub struct VfioDma {
    carver: Carver<VfioSource>,
}

impl VfioDma {
    fn new(container: Arc<Container>, max_pages: usize) -> Result<Self, PciError> {
        let d = VfioDma {
            carver: Carver::new(VfioSource { container }, max_pages.max(1)),
        };
        d.carver.prime()?;
        Ok(d)
    }
}

impl DmaMemory for VfioDma {
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        self.carver.alloc(size, align)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn ioctl_numbers_match_the_uapi_header() {
        // _IO(';', 100 + n) = 0x3b64 + n.
        assert_eq!(VFIO_GET_API_VERSION, 0x3b64);
        assert_eq!(VFIO_CHECK_EXTENSION, 0x3b65);
        assert_eq!(VFIO_SET_IOMMU, 0x3b66);
        assert_eq!(VFIO_GROUP_GET_STATUS, 0x3b67);
        assert_eq!(VFIO_GROUP_SET_CONTAINER, 0x3b68);
        assert_eq!(VFIO_GROUP_GET_DEVICE_FD, 0x3b6a);
        assert_eq!(VFIO_DEVICE_GET_REGION_INFO, 0x3b6c);
        assert_eq!(VFIO_IOMMU_MAP_DMA, 0x3b71);
        assert_eq!(VFIO_IOMMU_UNMAP_DMA, 0x3b72);
    }

    #[test]
    fn struct_layouts_match_the_uapi_header() {
        assert_eq!(size_of::<GroupStatus>(), 8);
        assert_eq!(size_of::<RegionInfo>(), 32);
        assert_eq!(std::mem::offset_of!(RegionInfo, size), 16);
        assert_eq!(std::mem::offset_of!(RegionInfo, offset), 24);
        assert_eq!(size_of::<DmaMap>(), 32);
        assert_eq!(std::mem::offset_of!(DmaMap, vaddr), 8);
        assert_eq!(std::mem::offset_of!(DmaMap, iova), 16);
        assert_eq!(size_of::<DmaUnmap>(), 24);
    }

    #[test]
    fn aligned_small_mapping_is_2mib_aligned() {
        let p = map_aligned_small().unwrap();
        assert_eq!(p as usize % HUGE_PAGE_SIZE, 0);
        // SAFETY: the 2 MiB kept by map_aligned_small belong to this test.
        unsafe {
            std::ptr::write_volatile(p.add(HUGE_PAGE_SIZE - 1), 1);
            libc::munmap(p.cast(), HUGE_PAGE_SIZE);
        }
    }
}
