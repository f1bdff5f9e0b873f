//! The VFIO side of igb-vmtest: which backend opens each device (`--backend A,B`), the
//! availability check that turns a missing IOMMU or vfio module into a SKIP, and the checks
//! that the device really reaches its memory through the IOMMU (IOVAs, not physical addresses).

use std::path::Path;

use driver_82576::Device;
use pci_dma::{virt_to_phys, Backend, PciAddr, Sysfs};
use regdsl_rt::Mmio;

/// Guest RAM ends far below this (the VM has 512 MiB): an address at or above it reaches
/// memory only through the IOMMU's translation.
const FOUR_GIB: u64 = 1 << 32;

pub fn parse_backend(s: &str) -> Option<Backend> {
    match s {
        "auto" => Some(Backend::Auto),
        "sysfs" => Some(Backend::Sysfs),
        "vfio" => Some(Backend::Vfio),
        _ => None,
    }
}

/// `--backend A,B`: one backend per device, e.g. `vfio,sysfs`.
pub fn parse_backends(s: &str) -> Result<[Backend; 2], String> {
    let bad = || format!("--backend: {s:?} is not two of auto|sysfs|vfio, comma-separated");
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    Ok([
        parse_backend(a).ok_or_else(bad)?,
        parse_backend(b).ok_or_else(bad)?,
    ])
}

/// Why VFIO cannot be used for `addr` here (reads only), for a SKIP line.
pub fn unavailable(sysfs: &Sysfs, addr: PciAddr) -> Option<String> {
    pci_dma::vfio::unavailable_reason(sysfs, Path::new("/dev"), addr)
}

/// The 64-bit base addresses of queue 0's rings as the device was programmed (RDBAH:RDBAL,
/// TDBAH:TDBAL; 82576 datasheet 8.10.1, 8.12.1).
fn ring_bases(dev: &Device<Mmio>) -> (u64, u64) {
    let r = dev.regs();
    let rd =
        u64::from(r.RDBAH().at(0).read().bits()) << 32 | u64::from(r.RDBAL().at(0).read().bits());
    let td =
        u64::from(r.TDBAH().at(0).read().bits()) << 32 | u64::from(r.TDBAL().at(0).read().bits());
    (rd, td)
}

/// `/sys/kernel/iommu_groups/N/type`: the default domain type (`identity` in passthrough).
fn group_type(n: u32) -> String {
    std::fs::read_to_string(format!("/sys/kernel/iommu_groups/{n}/type"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// After the device opened with `backend`: is it reached the way the backend says?
///
/// VFIO: bound to vfio-pci, its group node open-able, a fresh DMA region's device address an
/// IOVA at or above 4 GiB that is not the memory's physical address, and the rings the driver
/// programmed at such IOVAs. Sysfs: no driver bound, ring addresses below 4 GiB (physical).
pub fn backend_check(
    sysfs: &Sysfs,
    addr: PciAddr,
    backend: Backend,
    dev: &Device<Mmio>,
) -> Result<String, String> {
    let driver = sysfs.driver(addr);
    let group = sysfs.iommu_group(addr);
    let (rd, td) = ring_bases(dev);
    let group_txt = match group {
        Some(n) => format!("IOMMU group {n} (default domain {})", group_type(n)),
        None => "no IOMMU group".into(),
    };
    match backend {
        Backend::Vfio => {
            if driver.as_deref() != Some("vfio-pci") {
                return Err(format!("bound to {driver:?}, not vfio-pci"));
            }
            let n = group.ok_or("no IOMMU group")?;
            if !Path::new(&format!("/dev/vfio/{n}")).exists() {
                return Err(format!("/dev/vfio/{n} does not exist"));
            }
            let r = dev.dma().alloc(4096, 128).map_err(|e| e.to_string())?;
            let iova = r.phys();
            let phys = virt_to_phys(r.virt()).map_err(|e| e.to_string())?;
            if iova < FOUR_GIB || iova == phys {
                return Err(format!(
                    "DMA region's device address {iova:#x} (physical {phys:#x}) is not an \
                     IOVA above RAM"
                ));
            }
            if rd < FOUR_GIB || td < FOUR_GIB {
                return Err(format!(
                    "rings programmed at RX {rd:#x} / TX {td:#x}: not IOVAs"
                ));
            }
            Ok(format!(
                "vfio-pci, {group_txt}; rings at IOVA RX {rd:#x} TX {td:#x}; a DMA page at \
                 IOVA {iova:#x} is physical {phys:#x}"
            ))
        }
        Backend::Sysfs => {
            if let Some(d) = driver {
                return Err(format!("still bound to {d}"));
            }
            if rd >= FOUR_GIB || td >= FOUR_GIB {
                return Err(format!(
                    "rings programmed at RX {rd:#x} / TX {td:#x}: not physical addresses"
                ));
            }
            Ok(format!(
                "no driver, {group_txt}; rings at physical RX {rd:#x} TX {td:#x}"
            ))
        }
        Backend::Auto => Ok(format!(
            "driver {driver:?}, {group_txt}; rings RX {rd:#x} TX {td:#x}"
        )),
    }
}
