//! The driver refuses a device that is not an 82576 before touching it: a fake sysfs tree in a
//! temporary directory (the machine's own devices are never opened).

use driver_82576::{backend, Config, Error};
use pci_dma::{Backend, PciError, PciId, PciOptions};
use std::fs;
use std::path::{Path, PathBuf};

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn tree(name: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!("driver-82576-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

/// vendor/device files, a 256-byte config space (command 0x0400) and a resource0 file.
fn device(root: &Path, addr: &str, id: PciId) -> PathBuf {
    let dir = root.join("bus/pci/devices").join(addr);
    fs::create_dir_all(dir.join("driver")).unwrap();
    fs::write(dir.join("vendor"), format!("{:#06x}\n", id.vendor)).unwrap();
    fs::write(dir.join("device"), format!("{:#06x}\n", id.device)).unwrap();
    let mut cfg = vec![0u8; 256];
    cfg[4..6].copy_from_slice(&0x0400u16.to_le_bytes());
    fs::write(dir.join("config"), &cfg).unwrap();
    fs::write(dir.join("resource0"), vec![0u8; 128 * 1024]).unwrap();
    fs::write(dir.join("driver/unbind"), b"").unwrap();
    dir
}

fn opts(root: &Path) -> PciOptions {
    PciOptions {
        sysfs_root: root.to_path_buf(),
        dev_root: root.join("dev"),
        backend: Backend::Sysfs,
        require_root: false,
        ..PciOptions::default()
    }
}

fn snapshot(dir: &Path) -> Vec<Vec<u8>> {
    ["config", "resource0", "driver/unbind"]
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn a_device_that_is_not_an_82576_is_left_untouched() {
    let t = tree("wrong");
    let ixgbe = PciId::new(0x8086, 0x10fb);
    let dir = device(&t.0, "0000:03:00.0", ixgbe);
    let before = snapshot(&dir);
    let e = backend::open_pci_with("0000:03:00.0", Config::default(), &opts(&t.0))
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
    let t = tree("find");
    for (i, id) in backend::DEVICE_IDS.iter().enumerate() {
        device(&t.0, &format!("0000:0{}:00.0", i + 1), *id);
    }
    device(&t.0, "0000:00:00.0", PciId::new(0x8086, 0x29c0));
    device(&t.0, "0000:09:00.0", PciId::new(0x8086, 0x10ca)); // 82576 VF: not supported
    let found = backend::find(&pci_dma::Sysfs::new(&t.0)).unwrap();
    assert_eq!(found.len(), backend::DEVICE_IDS.len());
    assert!(found.iter().all(|a| a.bus >= 1 && a.bus <= 8));
}

#[test]
fn bad_addresses_and_missing_devices_say_why() {
    let t = tree("missing");
    let e = backend::open_pci_with("0000:03:00", Config::default(), &opts(&t.0))
        .err()
        .unwrap();
    assert!(matches!(e, Error::Pci(PciError::BadAddress { .. })), "{e}");
    let e = backend::open_pci_with("0000:07:00.0", Config::default(), &opts(&t.0))
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
