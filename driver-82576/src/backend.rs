//! Where a device comes from: real hardware by PCI address, through `pci_dma` (the backend the
//! 82599 driver uses too).

use crate::config::Config;
use crate::error::Result;
use crate::Device;
use pci_dma::{PciAddr, PciDevice, PciId, PciOptions, Sysfs};
use regdsl_rt::Mmio;

const fn intel(device: u16) -> PciId {
    PciId::new(0x8086, device)
}

/// The 82576's physical functions (the `E1000_DEV_ID_82576*` values of the Linux igb driver,
/// also in QEMU's model; the virtual function 0x10CA is a different device model).
pub const DEVICE_IDS: &[PciId] = &[
    intel(0x10C9), // 82576 (QEMU's igb)
    intel(0x10E6), // 82576_FIBER
    intel(0x10E7), // 82576_SERDES
    intel(0x10E8), // 82576_QUAD_COPPER
    intel(0x1526), // 82576_QUAD_COPPER_ET2
    intel(0x150A), // 82576_NS
    intel(0x1518), // 82576_NS_SERDES
    intel(0x150D), // 82576_SERDES_QUAD
];

/// Bytes of BAR0 the register table needs (its highest register end).
pub fn bar_size_needed() -> usize {
    nic_queue::table::bar_size_needed(crate::regs::REGISTERS)
}

/// Addresses of every 82576 under `sysfs` (read-only).
pub fn find(sysfs: &Sysfs) -> Result<Vec<PciAddr>> {
    Ok(sysfs.find(DEVICE_IDS)?)
}

/// Opens the 82576 at PCI address `addr` (`0000:01:00.0`) and initialises it.
///
/// Refuses, with a [`crate::Error::Pci`] that says why, when not root, when there are no
/// hugepages, when the device is not an 82576 (nothing is written to it then), or when it is in
/// use. The BAR mapping is kept for the rest of the process (queues moved to other threads may
/// outlive the `Device`).
pub fn open_pci(addr: &str, cfg: Config) -> Result<Device<Mmio>> {
    open_pci_with(addr, cfg, &PciOptions::default())
}

/// [`open_pci`] with explicit options (a fake sysfs tree in tests, a DMA page limit).
pub fn open_pci_with(addr: &str, cfg: Config, opts: &PciOptions) -> Result<Device<Mmio>> {
    cfg.validate()?;
    let opts = PciOptions {
        min_bar_size: opts.min_bar_size.max(bar_size_needed()),
        ..opts.clone()
    };
    let dev = PciDevice::open(addr, DEVICE_IDS, &opts)?;
    let msix = dev.msix();
    let (bar, dma) = dev.into_parts();
    let mut dev = Device::new(bar.leak(), dma, cfg)?;
    dev.msix = msix;
    Ok(dev)
}
