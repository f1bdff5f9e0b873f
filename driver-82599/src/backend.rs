//! Where a device comes from: the simulated card (tests, and the CLI's default) or real
//! hardware by PCI address (through `pci_dma`).

use crate::config::Config;
use crate::error::Result;
use crate::share::{AttachConfig, Attached, ShareDir};
use crate::Device;
use pci_dma::{PciDevice, PciId, PciOptions};
use regdsl_rt::Mmio;

const fn intel(device: u16) -> PciId {
    PciId::new(0x8086, device)
}

/// The 82599's physical functions: the `IXGBE_DEV_ID_82599*` values of the Linux ixgbe header
/// (virtual functions 0x10ED and 0x152E are a different device model and left out).
pub const DEVICE_IDS: &[PciId] = &[
    intel(0x10F7), // 82599_KX4
    intel(0x1514), // 82599_KX4_MEZZ
    intel(0x1517), // 82599_KR
    intel(0x10F8), // 82599_COMBO_BACKPLANE
    intel(0x10F9), // 82599_CX4
    intel(0x10FB), // 82599_SFP (the common SFP+ part)
    intel(0x152A), // 82599_BACKPLANE_FCOE
    intel(0x1529), // 82599_SFP_FCOE
    intel(0x1507), // 82599_SFP_EM
    intel(0x154D), // 82599_SFP_SF2
    intel(0x154A), // 82599_SFP_SF_QP
    intel(0x154F), // 82599_LS
    intel(0x1557), // 82599EN_SFP
    intel(0x1558), // 82599_QSFP_SF_QP
    intel(0x10FC), // 82599_XAUI_LOM
    intel(0x151C), // 82599_T3_LOM
];

/// The media of an 82599 part, by device id (datasheet 4.6.4 sets the link up per media through
/// AUTOC.LMS and AUTOC2's serial PMA/PMD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// SFP+ cage (SFI): the media this driver sets up (10 Gb/s serial, AUTOC2 SFI).
    Sfp,
    /// KX4, KX or KR backplane (clause 73 auto-negotiation, AUTOC.LMS = 1xxb).
    Backplane,
    /// CX4 (10 Gb/s parallel, AUTOC.PMA_PMD_10G = CX4).
    Cx4,
    /// XAUI to an external PHY (10 Gb/s parallel).
    Xaui,
    /// 10GBASE-T through an external PHY (MDIO set-up).
    Copper,
    /// QSFP+ or low-power SFP parts, which need their module set-up.
    OtherFiber,
}

impl Media {
    /// Why the driver cannot bring this media's link up (`None`: it can).
    pub fn unsupported_reason(self) -> Option<&'static str> {
        match self {
            Media::Sfp => None,
            Media::Backplane => Some("backplane (KX4/KX/KR) needs clause 73 auto-negotiation (AUTOC.LMS = KX4_KX_KR, datasheet 4.6.4), which this driver does not set up"),
            Media::Cx4 => Some("CX4 needs the 10 Gb/s parallel link mode (AUTOC.LMS = LINK_10G_NO_AN, PMA_PMD_10G = CX4), which this driver does not set up"),
            Media::Xaui => Some("XAUI needs the 10 Gb/s parallel link mode and the external PHY's set-up, which this driver does not do"),
            Media::Copper => Some("10GBASE-T needs the external PHY set up through MDIO, which this driver does not do"),
            Media::OtherFiber => Some("QSFP+ and low-power SFP parts need their module set-up, which this driver does not do"),
        }
    }
}

/// The media of an 82599 physical function by device id (`None`: not an 82599).
pub fn media(id: PciId) -> Option<Media> {
    if id.vendor != 0x8086 {
        return None;
    }
    Some(match id.device {
        0x10FB | 0x1529 | 0x1507 | 0x154D | 0x154A | 0x1557 => Media::Sfp,
        0x10F7 | 0x1514 | 0x1517 | 0x10F8 | 0x152A => Media::Backplane,
        0x10F9 => Media::Cx4,
        0x10FC => Media::Xaui,
        0x151C => Media::Copper,
        0x154F | 0x1558 => Media::OtherFiber,
        _ => return None,
    })
}

/// The ids [`open_pci`] brings up: the 82599 parts with SFP+ (SFI) media.
pub fn link_ids() -> Vec<PciId> {
    DEVICE_IDS
        .iter()
        .copied()
        .filter(|&id| media(id) == Some(Media::Sfp))
        .collect()
}

/// Bytes of BAR0 the register table needs (its highest register end).
pub fn bar_size_needed() -> usize {
    nic_queue::table::bar_size_needed(crate::regs::REGISTERS)
}

/// Opens the 82599 at PCI address `addr` (`0000:03:00.0`) and initialises it.
///
/// Refuses, with a [`crate::Error::Pci`] that says why, when not root, when there are no
/// hugepages, when the device is not an 82599 (nothing is written to it then), or when it is
/// in use; with [`crate::Error::UnsupportedMedia`] when it is an 82599 whose link the driver
/// cannot set up ([`media`]: only SFP+ parts), before anything is done to it. The BAR mapping is kept for the rest of the process, since queues moved to other
/// threads may outlive the `Device`.
pub fn open_pci(addr: &str, cfg: Config) -> Result<Device<Mmio>> {
    open_pci_with(addr, cfg, PciOptions::default())
}

/// As [`open_pci`], with explicit options (another sysfs root, a backend choice).
pub fn open_pci_with(addr: &str, cfg: Config, opts: PciOptions) -> Result<Device<Mmio>> {
    cfg.validate()?;
    let opts = PciOptions {
        min_bar_size: bar_size_needed(),
        ..opts
    };
    // The media by id, read from sysfs before the device is opened (nothing written to it).
    let pci_addr: pci_dma::PciAddr = addr.parse()?;
    let id = pci_dma::Sysfs::new(&opts.sysfs_root).check_supported(pci_addr, DEVICE_IDS)?;
    if let Some(reason) = media(id).and_then(Media::unsupported_reason) {
        return Err(crate::Error::UnsupportedMedia {
            addr: addr.to_string(),
            id,
            reason,
        });
    }
    let dev = PciDevice::open(addr, &link_ids(), &opts)?;
    let msix = dev.msix();
    let (bar, dma, master) = dev.into_parts_with_master();
    // On an error the device was stopped inside `new`; dropping `master` then turns bus
    // mastering off. On success the device turns it off last when it is dropped.
    let mut dev = Device::new(bar.leak(), dma, cfg)?;
    dev.master = Some(master);
    dev.msix = msix;
    Ok(dev)
}

/// Maps the 82599 at `addr`'s BAR0 read-only, to read registers without disturbing the device
/// (`ixgbe regs`/`stats --pci`): the device is checked to be an 82599, then only mapped. The
/// kernel driver stays bound, bus mastering is not turned on, nothing is reset or written
/// (writes through the returned [`pci_dma::Bar`] panic). See [`pci_dma::Sysfs::map_bar_read_only`].
pub fn map_pci(addr: &str) -> Result<pci_dma::Bar> {
    map_pci_with(addr, PciOptions::default())
}

/// As [`map_pci`], with explicit options (another sysfs root).
pub fn map_pci_with(addr: &str, opts: PciOptions) -> Result<pci_dma::Bar> {
    let opts = PciOptions {
        min_bar_size: bar_size_needed(),
        ..opts
    };
    let pci_addr: pci_dma::PciAddr = addr.parse()?;
    Ok(pci_dma::Sysfs::new(&opts.sysfs_root).map_bar_read_only(pci_addr, DEVICE_IDS, &opts)?)
}

/// Attaches to queue pairs of the 82599 at `addr` that a primary process initialised and runs
/// ([`crate::share`]; its share directory [`ShareDir::for_pci`]): BAR0 mapped read-write
/// without taking the device ([`pci_dma::Sysfs::map_bar_shared`]: no unbind, no reset, no
/// command-register write), DMA memory from hugepages (the sysfs backend; a device under
/// VFIO is the primary's container and cannot be shared), then [`Attached::attach`].
/// Refused before the device is mapped when no primary runs it.
pub fn attach_pci(addr: &str, cfg: AttachConfig) -> Result<Attached<Mmio>> {
    attach_pci_with(addr, &ShareDir::for_pci(addr), cfg, PciOptions::default())
}

/// As [`attach_pci`], with another share directory and options (another sysfs root).
pub fn attach_pci_with(
    addr: &str,
    dir: &ShareDir,
    cfg: AttachConfig,
    opts: PciOptions,
) -> Result<Attached<Mmio>> {
    reserve_pci_with(addr, dir, cfg, opts)?.start()
}

/// The first half of [`attach_pci_with`] ([`Attached::reserve`]): mapped, checked and locked,
/// nothing written; [`Reserved::start`](crate::share::Reserved::start) takes the queues over.
pub fn reserve_pci_with(
    addr: &str,
    dir: &ShareDir,
    cfg: AttachConfig,
    opts: PciOptions,
) -> Result<crate::share::Reserved<Mmio>> {
    cfg.validate()?;
    crate::share::check_up(dir)?;
    let opts = PciOptions {
        min_bar_size: bar_size_needed(),
        ..opts
    };
    let pci_addr: pci_dma::PciAddr = addr.parse()?;
    let bar = pci_dma::Sysfs::new(&opts.sysfs_root).map_bar_shared(pci_addr, &link_ids(), &opts)?;
    let dma: std::sync::Arc<dyn dma::DmaMemory> =
        std::sync::Arc::new(pci_dma::HugepageAllocator::new()?);
    // The mapping stays for the rest of the process, as with open_pci.
    Attached::reserve(bar.leak(), dma, dir, cfg)
}
