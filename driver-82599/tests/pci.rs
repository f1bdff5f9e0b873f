//! Opening real hardware: the errors for a device that is not there or not an 82599. These
//! tests use a fake sysfs tree, so they never touch the machine's own PCI devices.

use driver_82599::backend::{self, DEVICE_IDS};
use driver_82599::{Config, Error};
use pci_dma::{PciError, PciOptions};
use std::path::PathBuf;

fn fake_sysfs(name: &str, vendor: &str, device: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("drv82599-sysfs-{}-{name}", std::process::id()));
    let dev = root.join("bus/pci/devices/0000:03:00.0");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::write(dev.join("vendor"), format!("{vendor}\n")).unwrap();
    std::fs::write(dev.join("device"), format!("{device}\n")).unwrap();
    root
}

fn opts(root: PathBuf) -> PciOptions {
    PciOptions {
        sysfs_root: root.clone(),
        dev_root: root.join("dev"),
        require_root: false,
        ..PciOptions::default()
    }
}

#[test]
fn a_device_that_is_not_an_82599_is_refused() {
    let root = fake_sysfs("wrong", "0x8086", "0x10c9");
    let e = backend::open_pci_with("0000:03:00.0", Config::default(), opts(root.clone()))
        .err()
        .unwrap();
    assert!(matches!(e, Error::Pci(PciError::WrongDevice { .. })), "{e}");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_missing_device_and_a_bad_address_say_so() {
    let root = fake_sysfs("missing", "0x8086", "0x10fb");
    let e = backend::open_pci_with("0000:04:00.0", Config::default(), opts(root.clone()))
        .err()
        .unwrap();
    assert!(
        matches!(e, Error::Pci(PciError::NoSuchDevice { .. })),
        "{e}"
    );
    let e = backend::open_pci_with("not-an-address", Config::default(), opts(root.clone()))
        .err()
        .unwrap();
    assert!(matches!(e, Error::Pci(PciError::BadAddress { .. })), "{e}");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn the_id_list_has_the_common_sfp_part_and_no_virtual_functions() {
    let has = |d: u16| {
        DEVICE_IDS
            .iter()
            .any(|i| i.vendor == 0x8086 && i.device == d)
    };
    assert!(has(0x10FB));
    assert!(!has(0x10ED) && !has(0x152E));
    assert_eq!(DEVICE_IDS.len(), 16);
    assert!(
        backend::bar_size_needed() > 0x10000,
        "EEC at 0x10010 must be inside BAR0"
    );
}
