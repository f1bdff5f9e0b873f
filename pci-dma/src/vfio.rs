//! VFIO (Linux Documentation/driver-api/vfio.rst, uapi linux/vfio.h): the device behind an
//! IOMMU. Container (`/dev/vfio/vfio`) + group (`/dev/vfio/N`) + device fd; BAR0 and config
//! space are regions of the device fd; DMA memory is mapped into the IOMMU with
//! `VFIO_IOMMU_MAP_DMA` at IOVAs chosen inside the ranges the IOMMU reports
//! (`VFIO_IOMMU_GET_INFO`), from 4 GiB up where the IOMMU reaches that far.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use memmap2::MmapOptions;

use crate::bar::Bar;
use crate::config::{self, BusMaster};
use crate::device::PciOptions;
use crate::error::{is_root, PciError};
use crate::hugepage::{
    lock_and_touch, map_anonymous, other, Carver, Page, PageSource, HUGE_PAGE_SIZE,
};
use crate::ids::{PciAddr, PciId};
use crate::sysfs::Sysfs;
use dma::{DmaError, DmaMemory, DmaRegion};

/// `_IO(type, nr)`: direction none, size 0 (asm-generic/ioctl.h: nr bits 0-7, type bits 8-15).
pub(crate) const fn io(ty: u8, nr: u8) -> u64 {
    ((ty as u64) << 8) | nr as u64
}

pub(crate) const VFIO_TYPE: u8 = b';';
pub(crate) const VFIO_BASE: u8 = 100;
pub(crate) const VFIO_GET_API_VERSION: u64 = io(VFIO_TYPE, VFIO_BASE);
pub(crate) const VFIO_CHECK_EXTENSION: u64 = io(VFIO_TYPE, VFIO_BASE + 1);
pub(crate) const VFIO_SET_IOMMU: u64 = io(VFIO_TYPE, VFIO_BASE + 2);
pub(crate) const VFIO_GROUP_GET_STATUS: u64 = io(VFIO_TYPE, VFIO_BASE + 3);
pub(crate) const VFIO_GROUP_SET_CONTAINER: u64 = io(VFIO_TYPE, VFIO_BASE + 4);
pub(crate) const VFIO_GROUP_GET_DEVICE_FD: u64 = io(VFIO_TYPE, VFIO_BASE + 6);
pub(crate) const VFIO_DEVICE_GET_REGION_INFO: u64 = io(VFIO_TYPE, VFIO_BASE + 8);
pub(crate) const VFIO_IOMMU_GET_INFO: u64 = io(VFIO_TYPE, VFIO_BASE + 12);
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
const VFIO_IOMMU_INFO_CAPS: u32 = 1 << 1;
const VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: u16 = 1;

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

/// `struct vfio_iommu_type1_info` (24 bytes with the trailing padding; the kernel accepts
/// any argsz from the end of `cap_offset` on).
#[repr(C)]
#[derive(Default)]
pub(crate) struct IommuInfo {
    pub argsz: u32,
    pub flags: u32,
    pub iova_pgsizes: u64,
    pub cap_offset: u32,
    pub pad: u32,
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

/// [`ioctl_ptr`] for the other VFIO modules.
pub(crate) fn ioctl_ptr_pub<T>(fd: &impl AsRawFd, req: u64, arg: *mut T) -> io::Result<i32> {
    ioctl_ptr(fd, req, arg)
}

/// ioctl with a pointer to a `#[repr(C)]` argument (or to a buffer of `argsz` bytes that
/// starts with one).
fn ioctl_ptr<T>(fd: &impl AsRawFd, req: u64, arg: *mut T) -> io::Result<i32> {
    // SAFETY: `arg` points to a live value of the struct type `req` expects, or to a buffer
    // at least as long as the `argsz` the caller set in it; the kernel reads and fills in at
    // most `argsz` bytes.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Where IOVAs start when the IOMMU reaches that far: above every 32-bit address, where the
/// reserved windows sit (the MSI doorbells at 0xfee00000, a VM's PCI hole), and beyond the RAM
/// of a small machine, so an IOVA is never also the physical address of the same memory.
const IOVA_BASE: u64 = 1 << 32;

/// Without the IOVA range capability (kernels before 5.4), assume 39 bits: the narrowest
/// address width of Intel IOMMUs with 3-level tables (VT-d spec 3.4.5, SAGAW).
const IOVA_DEFAULT_END: u64 = (1 << 39) - 1;

/// Bump allocation of IOVAs inside the valid ranges (inclusive ends), never reused.
#[derive(Debug)]
pub(crate) struct IovaSpace {
    ranges: Vec<(u64, u64)>,
    next: u64,
}

impl IovaSpace {
    pub(crate) fn new(mut ranges: Vec<(u64, u64)>) -> Self {
        ranges.retain(|&(s, e)| s <= e);
        ranges.sort_unstable();
        let next = if ranges.iter().any(|&(_, e)| e >= IOVA_BASE) {
            IOVA_BASE
        } else {
            0
        };
        IovaSpace { ranges, next }
    }

    /// A `len`-byte IOVA range aligned to `align` (a power of two) inside one valid range.
    pub(crate) fn alloc(&mut self, len: u64, align: u64) -> Option<u64> {
        for &(start, end) in &self.ranges {
            let Some(s) = start
                .max(self.next)
                .checked_add(align - 1)
                .map(|x| x & !(align - 1))
            else {
                continue;
            };
            let Some(last) = s.checked_add(len - 1) else {
                continue;
            };
            if last <= end {
                self.next = last.saturating_add(1);
                return Some(s);
            }
        }
        None
    }
}

/// The IOMMU container; DMA mappings belong to it.
pub(crate) struct Container {
    fd: OwnedFd,
    iova: Mutex<IovaSpace>,
}

/// The valid IOVA ranges from `VFIO_IOMMU_GET_INFO`'s capability chain (uapi linux/vfio.h:
/// call once to learn the size, again with a buffer that large).
fn iova_ranges(container: &OwnedFd) -> io::Result<Vec<(u64, u64)>> {
    let mut info = IommuInfo {
        argsz: std::mem::size_of::<IommuInfo>() as u32,
        ..Default::default()
    };
    ioctl_ptr(container, VFIO_IOMMU_GET_INFO, &mut info)?;
    let need = info.argsz as usize;
    if info.flags & VFIO_IOMMU_INFO_CAPS == 0 || need <= std::mem::size_of::<IommuInfo>() {
        return Ok(vec![(0, IOVA_DEFAULT_END)]);
    }
    if need > 1 << 20 {
        return Err(other(format!("VFIO_IOMMU_GET_INFO wants {need} bytes")));
    }
    // u64 words: aligned for the header and every field the kernel writes; argsz is the
    // first u32.
    let mut buf = vec![0u64; need.div_ceil(8)];
    let mut first = [0u8; 8];
    first[..4].copy_from_slice(&(need as u32).to_ne_bytes());
    buf[0] = u64::from_ne_bytes(first);
    let ptr = buf.as_mut_ptr();
    ioctl_ptr(container, VFIO_IOMMU_GET_INFO, ptr)?;
    let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_ne_bytes()).collect();
    parse_iova_caps(&bytes[..need]).map(|r| r.unwrap_or_else(|| vec![(0, IOVA_DEFAULT_END)]))
}

fn rd<const N: usize>(b: &[u8], at: usize) -> io::Result<[u8; N]> {
    at.checked_add(N)
        .and_then(|end| b.get(at..end))
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| {
            other(format!(
                "VFIO_IOMMU_GET_INFO: capability at {at} beyond the buffer"
            ))
        })
}

/// Walk the capability chain of a filled `vfio_iommu_type1_info` buffer for the IOVA ranges.
pub(crate) fn parse_iova_caps(b: &[u8]) -> io::Result<Option<Vec<(u64, u64)>>> {
    let flags = u32::from_ne_bytes(rd(b, 4)?);
    if flags & VFIO_IOMMU_INFO_CAPS == 0 {
        return Ok(None);
    }
    let mut off = u32::from_ne_bytes(rd(b, 16)?) as usize;
    let mut hops = 0;
    while off != 0 {
        hops += 1;
        if hops > 64 {
            return Err(other("VFIO_IOMMU_GET_INFO: capability chain loops"));
        }
        // struct vfio_info_cap_header { u16 id; u16 version; u32 next; }
        let id = u16::from_ne_bytes(rd(b, off)?);
        let next = u32::from_ne_bytes(rd(b, off + 4)?) as usize;
        if id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE {
            // header, u32 nr_iovas, u32 reserved, then { u64 start; u64 end; } each.
            let n = u32::from_ne_bytes(rd(b, off + 8)?) as usize;
            let mut ranges = Vec::with_capacity(n.min(64));
            for i in 0..n {
                let at = off + 16 + 16 * i;
                ranges.push((
                    u64::from_ne_bytes(rd(b, at)?),
                    u64::from_ne_bytes(rd(b, at + 8)?),
                ));
            }
            return Ok(Some(ranges));
        }
        off = next;
    }
    Ok(None)
}

impl Container {
    /// Map `virt..virt+len` at a fresh IOVA; returns the IOVA.
    ///
    /// Fix (first real run, QEMU's VT-d with aw-bits=39): this mapped at IOVA = virtual
    /// address, but user-space addresses reach 47 bits and many IOMMUs translate 39 bits only,
    /// so MAP_DMA failed; and a virtual address may fall in a reserved window. IOVAs now come
    /// from the ranges the kernel reports.
    fn map_dma(&self, virt: *mut u8, len: usize) -> io::Result<u64> {
        let iova = self
            .iova
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .alloc(len as u64, HUGE_PAGE_SIZE as u64)
            .ok_or_else(|| {
                other(format!(
                    "no room for {len:#x} bytes in the IOMMU's IOVA ranges {:x?}",
                    self.iova.lock().unwrap_or_else(|e| e.into_inner()).ranges
                ))
            })?;
        let mut m = DmaMap {
            argsz: std::mem::size_of::<DmaMap>() as u32,
            flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
            vaddr: virt as u64,
            iova,
            size: len as u64,
        };
        ioctl_ptr(&self.fd, VFIO_IOMMU_MAP_DMA, &mut m).map_err(|e| {
            if e.raw_os_error() == Some(libc::ENOMEM) {
                other(format!(
                    "{e} (pinned memory counts against RLIMIT_MEMLOCK unless CAP_IPC_LOCK)"
                ))
            } else {
                e
            }
        })?;
        Ok(iova)
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

/// Why VFIO cannot be used for this device, or `None` if nothing is known to be missing (no
/// IOMMU group, `/dev/vfio/vfio` absent, vfio-pci not loaded). Reads only.
pub fn unavailable_reason(sysfs: &Sysfs, dev_root: &Path, addr: PciAddr) -> Option<String> {
    if !sysfs.device_dir(addr).is_dir() {
        return Some(format!("no PCI device {addr}"));
    }
    if sysfs.iommu_group(addr).is_none() {
        return Some(format!(
            "{addr} has no IOMMU group: this machine has no IOMMU, or it is off \
             (intel_iommu=on / amd_iommu=on on the kernel command line)"
        ));
    }
    let container = dev_root.join("vfio/vfio");
    if !container.exists() {
        return Some(format!(
            "{} does not exist (modprobe vfio vfio_iommu_type1)",
            container.display()
        ));
    }
    if !sysfs.root().join("bus/pci/drivers/vfio-pci").exists() {
        return Some("the vfio-pci driver is not loaded (modprobe vfio-pci)".to_string());
    }
    None
}

/// The devices of IOMMU group `n`, for messages.
fn group_members(sysfs: &Sysfs, n: u32) -> String {
    let dir = sysfs
        .root()
        .join(format!("kernel/iommu_groups/{n}/devices"));
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            let mut v: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v.join(" ")
        }
        Err(e) => format!("{}: {e}", dir.display()),
    }
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

/// What [`open`] gives: BAR0, the DMA memory, the bus-master guard, MSI-X (if the device has it).
pub(crate) type Opened = (Bar, Arc<dyn DmaMemory>, BusMaster, Option<crate::Msix>);

/// Open `addr` through VFIO: BAR0 mapping and IOMMU-mapped DMA memory.
pub(crate) fn open(
    sysfs: &Sysfs,
    addr: PciAddr,
    supported: &[PciId],
    opts: &PciOptions,
) -> Result<Opened, PciError> {
    sysfs.check_supported(addr, supported)?;
    let group_no = sysfs.iommu_group(addr).ok_or_else(|| {
        vfio_err(
            format!("device {addr}"),
            other("no iommu_group in sysfs (no IOMMU)"),
        )
    })?;
    if !sysfs.root().join("bus/pci/drivers/vfio-pci").exists() {
        return Err(vfio_err(
            format!("binding {addr}"),
            other("the vfio-pci driver is not loaded (modprobe vfio-pci)"),
        ));
    }

    // Fix (first real run): the container is opened and checked before the device is
    // rebound, so a missing /dev/vfio/vfio or type 1 IOMMU leaves the device as it was.
    let cpath = opts.dev_root.join("vfio/vfio");
    let cfile = open_rw(&cpath).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => vfio_err(
            format!("{}", cpath.display()),
            other("does not exist (modprobe vfio vfio_iommu_type1)"),
        ),
        _ => PciError::io(&cpath, e),
    })?;
    let cfd = OwnedFd::from(cfile);
    let v = ioctl_val(&cfd, VFIO_GET_API_VERSION, 0)
        .map_err(|e| vfio_err("VFIO_GET_API_VERSION", e))?;
    if v != VFIO_API_VERSION {
        return Err(vfio_err(
            "VFIO_GET_API_VERSION",
            other(format!("unknown API version {v}")),
        ));
    }
    if ioctl_val(&cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU).unwrap_or(0) <= 0 {
        return Err(vfio_err(
            "VFIO_CHECK_EXTENSION",
            other("type 1 IOMMU not supported"),
        ));
    }

    bind_vfio_pci(sysfs, addr, opts)?;

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
                "IOMMU group {group_no} is not viable: bind every device in it to vfio-pci \
                 (members: {})",
                group_members(sysfs, group_no)
            ),
        });
    }
    let mut raw: libc::c_int = cfd.as_raw_fd();
    ioctl_ptr(&group, VFIO_GROUP_SET_CONTAINER, &mut raw)
        .map_err(|e| vfio_err("VFIO_GROUP_SET_CONTAINER", e))?;
    ioctl_val(&cfd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU).map_err(|e| {
        let hint = if e.raw_os_error() == Some(libc::EPERM) {
            " (no interrupt remapping: vfio_iommu_type1 refuses the platform unless loaded \
             with allow_unsafe_interrupts=1)"
        } else {
            ""
        };
        vfio_err(format!("VFIO_SET_IOMMU{hint}"), e)
    })?;
    // The IOVA ranges are known once the container has an IOMMU (uapi linux/vfio.h).
    let ranges = iova_ranges(&cfd).map_err(|e| vfio_err("VFIO_IOMMU_GET_INFO", e))?;
    let container = Container {
        fd: cfd,
        iova: Mutex::new(IovaSpace::new(ranges)),
    };

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
    let master = BusMaster::new(
        device
            .try_clone()
            .map_err(|e| vfio_err("duplicating the device handle", e))?,
        cfg.offset,
    );
    let map = MmapOptions::new()
        .offset(bar0.offset)
        .len(bar0.size as usize)
        .map_raw(&device)
        .map_err(|e| vfio_err("mapping BAR0", e))?;

    // MSI-X, for a driver that wants interrupts (a device without it simply has none).
    let msix = device
        .try_clone()
        .ok()
        .and_then(|d| crate::Msix::new(d).ok())
        .filter(|m| m.vectors() != 0);
    let container = Arc::new(container);
    let dma = VfioDma::new(Arc::clone(&container), opts.max_dma_pages)?;
    let keep = Handles {
        _container: container,
        _group: group,
        _device: device,
    };
    Ok((Bar::new(map, Box::new(keep)), Arc::new(dma), master, msix))
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
            dev_addr: 0,
            before_unmap: None,
        };
        lock_and_touch(virt, HUGE_PAGE_SIZE).map_err(|e| os("mlock of DMA memory", e))?;
        page.dev_addr = container
            .map_dma(virt, HUGE_PAGE_SIZE)
            .map_err(|e| os("VFIO_IOMMU_MAP_DMA", e))?;
        page.before_unmap = Some(Box::new(move |p: &Page| {
            container.unmap_dma(p.dev_addr, p.len)
        }));
        Ok(page)
    }
}

/// DMA memory mapped into the device's IOMMU domain: `DmaRegion::phys()` is an IOVA, 2 MiB
/// pages at IOVAs from 4 GiB up (where the IOMMU reaches), unrelated to the physical address.
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
        assert_eq!(VFIO_IOMMU_GET_INFO, 0x3b70);
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
        assert_eq!(size_of::<IommuInfo>(), 24);
        assert_eq!(std::mem::offset_of!(IommuInfo, cap_offset), 16);
    }

    #[test]
    fn missing_container_is_reported_before_the_device_is_rebound() {
        // A fake tree: an 82576 in IOMMU group 3 with a driver, vfio-pci loaded, no
        // /dev/vfio/vfio. Nothing may be written: no driver_override, no unbind.
        let root = std::env::temp_dir().join(format!("pci-dma-vfio-{}", std::process::id()));
        let dev = root.join("bus/pci/devices/0000:01:00.0");
        std::fs::create_dir_all(dev.join("driver")).unwrap();
        std::fs::create_dir_all(root.join("kernel/iommu_groups/3")).unwrap();
        std::fs::create_dir_all(root.join("bus/pci/drivers/vfio-pci")).unwrap();
        std::os::unix::fs::symlink(root.join("kernel/iommu_groups/3"), dev.join("iommu_group"))
            .unwrap();
        std::fs::write(dev.join("vendor"), "0x8086\n").unwrap();
        std::fs::write(dev.join("device"), "0x10c9\n").unwrap();
        std::fs::write(dev.join("driver/unbind"), "").unwrap();
        let sysfs = Sysfs::new(&root);
        let addr: PciAddr = "0000:01:00.0".parse().unwrap();
        let opts = PciOptions {
            sysfs_root: root.clone(),
            dev_root: root.join("dev"),
            require_root: false,
            ..PciOptions::default()
        };
        let why = unavailable_reason(&sysfs, &opts.dev_root, addr).unwrap();
        assert!(why.contains("vfio/vfio does not exist"), "{why}");
        let err = open(&sysfs, addr, &[PciId::new(0x8086, 0x10c9)], &opts)
            .err()
            .unwrap()
            .to_string();
        let unbind = std::fs::read_to_string(dev.join("driver/unbind")).unwrap();
        let override_written = dev.join("driver_override").exists();
        std::fs::remove_dir_all(&root).unwrap();
        assert!(
            err.contains("vfio/vfio") && err.contains("does not exist"),
            "{err}"
        );
        assert_eq!(unbind, "", "the device was unbound");
        assert!(!override_written, "driver_override was written");
    }

    const MIB2: u64 = HUGE_PAGE_SIZE as u64;

    #[test]
    fn iovas_start_at_4gib_inside_the_ranges_and_skip_holes() {
        // What QEMU's VT-d with aw-bits=39 reports: all of 39 bits but the MSI window.
        let mut s = IovaSpace::new(vec![(0xfef0_0000, (1 << 39) - 1), (0, 0xfedf_ffff)]);
        assert_eq!(s.alloc(MIB2, MIB2), Some(1 << 32));
        assert_eq!(s.alloc(MIB2, MIB2), Some((1 << 32) + MIB2));
        // A range ending below 4 GiB only: from its start; a hole is skipped.
        let mut s = IovaSpace::new(vec![(0x1000, 0x3f_ffff), (0x100_0000, 0x13f_ffff)]);
        assert_eq!(s.alloc(MIB2, MIB2), Some(0x20_0000));
        assert_eq!(s.alloc(MIB2, MIB2), Some(0x100_0000));
        assert_eq!(s.alloc(MIB2, MIB2), Some(0x120_0000));
        assert_eq!(s.alloc(MIB2, MIB2), None, "full");
        // No overflow at the top of the address space.
        let mut s = IovaSpace::new(vec![(u64::MAX - MIB2 + 1, u64::MAX)]);
        assert_eq!(s.alloc(MIB2, MIB2), Some(u64::MAX - MIB2 + 1));
        assert_eq!(s.alloc(MIB2, MIB2), None);
        assert_eq!(
            IovaSpace::new(vec![(5, 4)]).alloc(1, 1),
            None,
            "empty range"
        );
    }

    fn info_buf(caps: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![0u8; 24];
        b[4..8].copy_from_slice(&(VFIO_IOMMU_INFO_CAPS | 1).to_ne_bytes());
        b[16..20].copy_from_slice(&24u32.to_ne_bytes());
        for (i, (id, body)) in caps.iter().enumerate() {
            let next = if i + 1 == caps.len() {
                0
            } else {
                b.len() + 8 + body.len()
            };
            b.extend_from_slice(&id.to_ne_bytes());
            b.extend_from_slice(&1u16.to_ne_bytes());
            b.extend_from_slice(&(next as u32).to_ne_bytes());
            b.extend_from_slice(body);
        }
        b
    }

    #[test]
    fn iova_range_capability_is_found_in_the_chain() {
        let mut ranges = Vec::new();
        ranges.extend_from_slice(&2u32.to_ne_bytes());
        ranges.extend_from_slice(&0u32.to_ne_bytes());
        for v in [0u64, 0xfedf_ffff, 0xfef0_0000, (1 << 39) - 1] {
            ranges.extend_from_slice(&v.to_ne_bytes());
        }
        // A capability of another id first (e.g. DMA_AVAIL, id 3), then the ranges.
        let b = info_buf(&[(3, vec![0; 8]), (1, ranges)]);
        assert_eq!(
            parse_iova_caps(&b).unwrap(),
            Some(vec![(0, 0xfedf_ffff), (0xfef0_0000, (1 << 39) - 1)])
        );
        assert_eq!(
            parse_iova_caps(&info_buf(&[(3, vec![0; 8])])).unwrap(),
            None
        );
    }

    #[test]
    fn bad_capability_chains_are_errors_not_panics() {
        let mut b = info_buf(&[(1, vec![0xff; 8])]); // claims 0xffffffff ranges
        assert!(parse_iova_caps(&b).is_err());
        // A chain pointing at itself.
        b = info_buf(&[(3, vec![0; 8])]);
        b[28..32].copy_from_slice(&24u32.to_ne_bytes());
        assert!(parse_iova_caps(&b).is_err());
        // Offset beyond the buffer.
        b[16..20].copy_from_slice(&4096u32.to_ne_bytes());
        assert!(parse_iova_caps(&b).is_err());
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
