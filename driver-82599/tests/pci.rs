//! Opening real hardware: the errors for a device that is not there or not an 82599, and the
//! driver's accesses through a mapped BAR. These tests use a fake sysfs tree (BAR0 a plain
//! file), so they never touch the machine's own PCI devices.

use driver_82599::backend::{self, DEVICE_IDS};
use driver_82599::{Config, Error};
use pci_dma::{FakeTree, PciError, PciId, PciOptions};
use std::path::PathBuf;

/// A fake tree holding one device of `id` at 0000:03:00.0 with a BAR0 as large as the table.
fn tree(name: &str, id: PciId) -> (FakeTree, PathBuf) {
    let t = FakeTree::new(name).unwrap();
    let len = backend::bar_size_needed().next_power_of_two();
    let dir = t.device("0000:03:00.0", id, len).unwrap();
    (t, dir)
}

#[test]
fn a_device_that_is_not_an_82599_is_refused() {
    let (t, _) = tree("wrong", PciId::new(0x8086, 0x10c9));
    let e = backend::open_pci_with("0000:03:00.0", Config::default(), t.options())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Pci(PciError::WrongDevice { .. })), "{e}");
}

#[test]
fn a_missing_device_and_a_bad_address_say_so() {
    let (t, _) = tree("missing", PciId::new(0x8086, 0x10fb));
    let e = backend::open_pci_with("0000:04:00.0", Config::default(), t.options())
        .err()
        .unwrap();
    assert!(
        matches!(e, Error::Pci(PciError::NoSuchDevice { .. })),
        "{e}"
    );
    let e = backend::open_pci_with("not-an-address", Config::default(), t.options())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Pci(PciError::BadAddress { .. })), "{e}");
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

/// A fake 82599 whose BAR0 is a plain file: the id check, unbind and bus mastering of the real
/// sysfs path, then the driver's own register accesses through the mapped BAR (volatile, at the
/// table's offsets). A file does not clear CTRL.RST, so this is also a card whose reset never
/// completes, reached through the real MMIO path: init ends in the bounded, typed error.
#[test]
fn the_real_mmio_path_reaches_the_bar_and_a_stuck_reset_times_out() {
    use pci_dma::{PciAddr, Sysfs};
    let (t, dir) = tree("mmio", PciId::new(0x8086, 0x10fb));
    let addr: PciAddr = "0000:03:00.0".parse().unwrap();
    let o = PciOptions {
        min_bar_size: backend::bar_size_needed(),
        ..t.options()
    };
    let bar = Sysfs::new(t.root()).open_bar(addr, DEVICE_IDS, &o).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("driver/unbind")).unwrap(),
        "0000:03:00.0"
    );
    let timeout = std::time::Duration::from_millis(50);
    let config = Config {
        wait_timeout: timeout,
        ..Config::default()
    };
    let sim = sim_82599::Sim::builder().ports(1).build();
    let t = std::time::Instant::now();
    let e = driver_82599::Device::new(bar.leak(), sim.dma(), config)
        .err()
        .expect("a file never clears CTRL.RST");
    assert!(matches!(e, Error::ResetTimeout(d) if d == timeout), "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
    // What the driver wrote went through the mapping into the file: every interrupt cause
    // masked (EIMC, 0x00888) and the reset requested (CTRL 0x00000: RST bit 26, LRST bit 3).
    let res = std::fs::read(dir.join("resource0")).unwrap();
    let word = |off: usize| u32::from_le_bytes(res[off..off + 4].try_into().unwrap());
    assert_eq!(word(0x00888), 0x7FFF_FFFF, "EIMC");
    assert_eq!(
        word(0x00000) & (1 << 26 | 1 << 3),
        1 << 26 | 1 << 3,
        "CTRL.RST|LRST"
    );
}

/// Issue 14.4: the link set-up is for SFP+ only, so an 82599 with other media (here KX4
/// backplane, 0x10F7) is refused by id with the reason, before its BAR is mapped or written.
#[test]
fn an_82599_whose_media_the_driver_cannot_bring_up_is_refused_untouched() {
    let (t, dir) = tree("media", PciId::new(0x8086, 0x10F7));
    let before = std::fs::read(dir.join("resource0")).unwrap();
    let e = backend::open_pci_with("0000:03:00.0", Config::default(), t.options())
        .err()
        .unwrap();
    assert!(matches!(e, Error::UnsupportedMedia { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("backplane") && msg.contains("left untouched"),
        "{msg}"
    );
    assert_eq!(std::fs::read(dir.join("resource0")).unwrap(), before);
    assert!(
        !dir.join("driver/unbind").exists()
            || std::fs::read_to_string(dir.join("driver/unbind"))
                .unwrap()
                .is_empty(),
        "the kernel driver was unbound"
    );
    // Every id has a media; only the SFP+ parts are brought up.
    for id in DEVICE_IDS {
        assert!(backend::media(*id).is_some(), "{id}");
    }
    assert!(backend::link_ids().contains(&PciId::new(0x8086, 0x10FB)));
    assert!(!backend::link_ids().contains(&PciId::new(0x8086, 0x10F7)));
}

/// Issue 14.6: every register of the table lies inside the 82599's 128 KiB BAR0 (9.3.6.1), so a
/// real BAR0 is not refused as too small.
#[test]
fn the_table_fits_the_82599_bar0() {
    assert!(
        backend::bar_size_needed() <= 0x20000,
        "the table needs {:#x} bytes of BAR0",
        backend::bar_size_needed()
    );
}

/// Issue 14.1: an exit path through an error turns PCI bus mastering off again. The fake card
/// never finishes its reset (or, without hugepages, the DMA memory cannot be had): either way
/// the device was taken (unbound, bus mastering on) and the error path leaves the command
/// register's bus-master bit clear, with memory-space decoding kept.
#[test]
fn bus_mastering_is_off_again_after_a_failed_open() {
    let (t, dir) = tree("master-off", PciId::new(0x8086, 0x10fb));
    let config = Config {
        wait_timeout: std::time::Duration::from_millis(20),
        ..Config::default()
    };
    let e = backend::open_pci_with("0000:03:00.0", config, t.options())
        .err()
        .expect("a file never clears CTRL.RST");
    assert!(
        matches!(
            e,
            Error::ResetTimeout(_) | Error::Pci(PciError::NoHugepages { .. })
        ),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("driver/unbind")).unwrap(),
        "0000:03:00.0",
        "the device was taken"
    );
    let cfg = std::fs::read(dir.join("config")).unwrap();
    let command = u16::from_le_bytes([cfg[4], cfg[5]]);
    assert_eq!(
        command & pci_dma::config::CMD_BUS_MASTER,
        0,
        "{command:#06x}"
    );
    assert_ne!(
        command & pci_dma::config::CMD_MEMORY_SPACE,
        0,
        "{command:#06x}"
    );
}

#[test]
fn attaching_to_a_real_card_is_refused_without_a_primary_and_without_writing() {
    use driver_82599::share::{AttachConfig, ShareDir};
    use pci_dma::{FileLock, LockMode};
    let (t, dir) = tree("attach", PciId::new(0x8086, 0x10fb));
    let share = ShareDir::new(t.root().join("share"));
    std::fs::create_dir_all(share.path()).unwrap();
    let bar = std::fs::read(dir.join("resource0")).unwrap();
    // No primary holds `up`: refused before the device is even mapped.
    let e = backend::attach_pci_with("0000:03:00.0", &share, AttachConfig::queue(1), t.options())
        .err()
        .unwrap();
    assert!(matches!(e, Error::NoPrimary(_)), "{e}");
    // A primary's `up` held, but the device's bus mastering is off (no user-space driver runs
    // it): refused, nothing written (a secondary never turns mastering on).
    let _up = FileLock::try_lock(&share.path().join("up"), LockMode::Exclusive)
        .unwrap()
        .unwrap();
    let attach = || {
        backend::attach_pci_with("0000:03:00.0", &share, AttachConfig::queue(1), t.options())
            .err()
            .unwrap()
            .to_string()
    };
    // Still bound to a kernel driver: not a user-space primary's.
    let e = attach();
    assert!(e.contains("kernel driver"), "{e}");
    std::fs::remove_dir_all(dir.join("driver")).unwrap();
    t.set_command("0000:03:00.0", 0x0002).unwrap();
    let e = attach();
    assert!(e.contains("bus mastering is off"), "{e}");
    // Mastering on but the card's CTRL_EXT.DRV_LOAD clear (the fake BAR is zeroes): no
    // primary initialised it (or, without hugepages here, refused for want of them first).
    t.set_command("0000:03:00.0", 0x0006).unwrap();
    let e = attach();
    assert!(
        e.contains("DRV_LOAD") || e.contains("hugepage") || e.contains("root"),
        "{e}"
    );
    assert_eq!(std::fs::read(dir.join("resource0")).unwrap(), bar);
    assert_eq!(
        pci_dma::Sysfs::new(t.root())
            .command("0000:03:00.0".parse().unwrap())
            .unwrap(),
        0x0006,
        "the command register is not written"
    );
}
