//! The driver refuses a device that is not an 82576 before touching it: a fake sysfs tree in a
//! temporary directory (the machine's own devices are never opened).

use driver_82576::{backend, Config, Error};
use pci_dma::{FakeTree, PciError, PciId};
use std::fs;
use std::path::{Path, PathBuf};

/// A device of `id` at `addr` with a 128 KiB BAR0 (QEMU's igb size).
fn device(t: &FakeTree, addr: &str, id: PciId) -> PathBuf {
    t.device(addr, id, 128 * 1024).unwrap()
}

fn snapshot(dir: &Path) -> Vec<Vec<u8>> {
    ["config", "resource0", "driver/unbind"]
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn a_device_that_is_not_an_82576_is_left_untouched() {
    let t = FakeTree::new("wrong").unwrap();
    let ixgbe = PciId::new(0x8086, 0x10fb);
    let dir = device(&t, "0000:03:00.0", ixgbe);
    let before = snapshot(&dir);
    let e = backend::open_pci_with("0000:03:00.0", Config::default(), &t.options())
        .err()
        .expect("an 82599 must be refused");
    match &e {
        Error::Pci(PciError::WrongDevice {
            found, supported, ..
        }) => {
            assert_eq!(*found, ixgbe);
            assert_eq!(supported.as_slice(), backend::DEVICE_IDS);
        }
        other => panic!("wrong error: {other}"),
    }
    assert!(e.to_string().contains("8086:10fb"), "{e}");
    assert_eq!(snapshot(&dir), before, "nothing written");
}

#[test]
fn every_82576_id_is_recognised_and_found() {
    let t = FakeTree::new("find").unwrap();
    for (i, id) in backend::DEVICE_IDS.iter().enumerate() {
        device(&t, &format!("0000:0{}:00.0", i + 1), *id);
    }
    device(&t, "0000:00:00.0", PciId::new(0x8086, 0x29c0));
    device(&t, "0000:09:00.0", PciId::new(0x8086, 0x10ca)); // 82576 VF: not supported
    let found = backend::find(&pci_dma::Sysfs::new(t.root())).unwrap();
    assert_eq!(found.len(), backend::DEVICE_IDS.len());
    assert!(found.iter().all(|a| a.bus >= 1 && a.bus <= 8));
}

#[test]
fn bad_addresses_and_missing_devices_say_why() {
    let t = FakeTree::new("missing").unwrap();
    let e = backend::open_pci_with("0000:03:00", Config::default(), &t.options())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Pci(PciError::BadAddress { .. })), "{e}");
    let e = backend::open_pci_with("0000:07:00.0", Config::default(), &t.options())
        .err()
        .unwrap();
    assert!(
        matches!(e, Error::Pci(PciError::NoSuchDevice { .. })),
        "{e}"
    );
}

#[test]
fn the_bar_must_hold_the_register_table() {
    // The table's last register ends inside BAR0 (QEMU's igb BAR0 is 128 KiB).
    let need = backend::bar_size_needed();
    assert!(need > 0xE03C && need <= 128 * 1024, "{need:#x}");
}
