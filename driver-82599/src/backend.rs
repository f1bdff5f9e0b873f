//! Where a device comes from: the simulated card (tests, and the CLI's default) or real
//! hardware by PCI address (through `pci_dma`).

use crate::config::Config;
use crate::error::Result;
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

/// Bytes of BAR0 the register table needs (its highest register end).
pub fn bar_size_needed() -> usize {
    nic_queue::table::bar_size_needed(crate::regs::REGISTERS)
}

/// Opens the 82599 at PCI address `addr` (`0000:03:00.0`) and initialises it.
///
/// Refuses, with a [`crate::Error::Pci`] that says why, when not root, when there are no
/// hugepages, when the device is not an 82599 (nothing is written to it then), or when it is
/// in use. The BAR mapping is kept for the rest of the process, since queues moved to other
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
    let dev = PciDevice::open(addr, DEVICE_IDS, &opts)?;
    let (bar, dma) = dev.into_parts();
    Device::new(bar.leak(), dma, cfg)
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
