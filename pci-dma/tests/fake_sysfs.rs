//! Opening devices in a fake sysfs tree built in a temporary directory: the machine's own PCI
//! devices are never written or mapped (the real /sys is only listed, read-only).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use pci_dma::{Backend, FakeTree, PciAddr, PciDevice, PciError, PciId, Sysfs};
use regdsl_rt::{Bus, Site};

const IGB: PciId = PciId::new(0x8086, 0x10c9);
const IXGBE: PciId = PciId::new(0x8086, 0x10fb);
const BAR_LEN: usize = 128 * 1024;

/// A fake device of `id` at `addr` with a 128 KiB BAR0 holding 0x80080783 at 0x8.
fn fake_device(t: &FakeTree, addr: &str, id: PciId) -> PathBuf {
    let dir = t.device(addr, id, BAR_LEN).unwrap();
    let mut bar = fs::read(dir.join("resource0")).unwrap();
    bar[8..12].copy_from_slice(&0x8008_0783u32.to_le_bytes());
    fs::write(dir.join("resource0"), &bar).unwrap();
    dir
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    ["vendor", "device", "config", "resource0", "driver/unbind"]
        .iter()
        .map(|f| {
            let p = dir.join(f);
            (
                f.to_string(),
                fs::read(&p).unwrap(),
                fs::metadata(&p).unwrap().modified().unwrap(),
            )
        })
        .collect()
}

fn addr(s: &str) -> PciAddr {
    s.parse().unwrap()
}

#[test]
fn wrong_id_is_refused_and_nothing_is_touched() {
    let t = FakeTree::new("wrong").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", PciId::new(0x8086, 0x1533));
    let before = snapshot(&dir);
    let err = Sysfs::new(t.root())
        .open_bar(addr("0000:03:00.0"), &[IXGBE, IGB], &t.options())
        .unwrap_err();
    match &err {
        PciError::WrongDevice {
            found, supported, ..
        } => {
            assert_eq!(*found, PciId::new(0x8086, 0x1533));
            assert_eq!(supported, &vec![IXGBE, IGB]);
        }
        e => panic!("expected WrongDevice, got {e}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("8086:1533") && msg.contains("8086:10fb, 8086:10c9"),
        "{msg}"
    );
    // Same through the entry point, with VFIO allowed.
    let mut o = t.options();
    o.backend = Backend::Auto;
    assert!(matches!(
        PciDevice::open("0000:03:00.0", &[IXGBE], &o),
        Err(PciError::WrongDevice { .. })
    ));
    assert_eq!(
        snapshot(&dir),
        before,
        "a refused device must not be written"
    );
}

#[test]
fn open_unbinds_sets_bus_master_and_maps_resource0() {
    let t = FakeTree::new("open").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", IGB);
    let sysfs = Sysfs::new(t.root());
    let bar = sysfs
        .open_bar(addr("0000:03:00.0"), &[IXGBE, IGB], &t.options())
        .unwrap();

    assert_eq!(
        fs::read_to_string(dir.join("driver/unbind")).unwrap(),
        "0000:03:00.0"
    );
    let cfg = fs::read(dir.join("config")).unwrap();
    let cmd = u16::from_le_bytes([cfg[4], cfg[5]]);
    assert_eq!(cmd & 0x4, 0x4, "bus master bit 2 set: {cmd:#06x}");
    assert_eq!(
        cmd, 0x0406,
        "memory space + bus master added, INTx disable kept"
    );
    assert_eq!(cfg.len(), 256, "config file written in place");
    assert_eq!(&cfg[0..4], &[0x86, 0x80, 0xc9, 0x10], "ids untouched");
    assert_eq!(sysfs.command(addr("0000:03:00.0")).unwrap(), 0x0406);

    assert_eq!(bar.len(), BAR_LEN);
    assert_eq!(bar.read32(8, Site::UNNAMED), 0x8008_0783);
    bar.write32(0x10, 0xdead_beef, Site::UNNAMED);
    bar.write64(0x18, 0x0123_4567_89ab_cdef, Site::UNNAMED);
    assert_eq!(bar.read64(0x18, Site::UNNAMED), 0x0123_4567_89ab_cdef);
    // SAFETY: `bar` outlives `mmio` in this test.
    let mmio = unsafe { bar.mmio() };
    assert_eq!(mmio.read32(0x10, Site::UNNAMED), 0xdead_beef);
    drop(bar);
    // The mapping is shared: writes reached the file.
    let res = fs::read(dir.join("resource0")).unwrap();
    assert_eq!(&res[0x10..0x14], &0xdead_beefu32.to_le_bytes());
}

#[test]
#[should_panic(expected = "outside BAR")]
fn bar_access_outside_the_mapping_panics_with_a_message() {
    let t = FakeTree::new("oob").unwrap();
    fake_device(&t, "0000:03:00.0", IGB);
    let bar = Sysfs::new(t.root())
        .open_bar(addr("0000:03:00.0"), &[IGB], &t.options())
        .unwrap();
    bar.read32(BAR_LEN, Site::UNNAMED);
}

#[test]
fn second_open_is_busy_until_the_first_is_dropped() {
    let t = FakeTree::new("busy").unwrap();
    fake_device(&t, "0000:03:00.0", IGB);
    let sysfs = Sysfs::new(t.root());
    let a = addr("0000:03:00.0");
    let first = sysfs.open_bar(a, &[IGB], &t.options()).unwrap();
    let err = sysfs.open_bar(a, &[IGB], &t.options()).unwrap_err();
    assert!(matches!(err, PciError::Busy { .. }), "{err}");
    assert!(err.to_string().contains("another process holds"), "{err}");
    drop(first);
    sysfs.open_bar(a, &[IGB], &t.options()).unwrap();
}

#[test]
fn device_with_an_interface_up_is_busy_and_untouched() {
    let t = FakeTree::new("netup").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", IGB);
    fs::create_dir_all(dir.join("net/eth7")).unwrap();
    fs::write(dir.join("net/eth7/flags"), "0x1003\n").unwrap();
    let before = snapshot(&dir);
    let err = Sysfs::new(t.root())
        .open_bar(addr("0000:03:00.0"), &[IGB], &t.options())
        .unwrap_err();
    assert!(
        matches!(err, PciError::Busy { .. }) && err.to_string().contains("eth7"),
        "{err}"
    );
    assert_eq!(snapshot(&dir), before);
    // Interface down: allowed.
    fs::write(dir.join("net/eth7/flags"), "0x1002\n").unwrap();
    Sysfs::new(t.root())
        .open_bar(addr("0000:03:00.0"), &[IGB], &t.options())
        .unwrap();
}

#[test]
fn missing_device_bad_files_and_small_bar_are_clear_errors() {
    let t = FakeTree::new("errs").unwrap();
    let sysfs = Sysfs::new(t.root());
    let err = sysfs
        .open_bar(addr("0000:09:00.0"), &[IGB], &t.options())
        .unwrap_err();
    assert!(matches!(err, PciError::NoSuchDevice { .. }), "{err}");
    assert!(err.to_string().contains("0000:09:00.0"), "{err}");

    let dir = fake_device(&t, "0000:04:00.0", IGB);
    fs::write(dir.join("vendor"), "banana\n").unwrap();
    let err = sysfs.id(addr("0000:04:00.0")).unwrap_err();
    assert!(
        matches!(err, PciError::BadId { .. }) && err.to_string().contains("vendor"),
        "{err}"
    );

    let dir = fake_device(&t, "0000:05:00.0", IGB);
    fs::remove_file(dir.join("resource0")).unwrap();
    let err = sysfs
        .open_bar(addr("0000:05:00.0"), &[IGB], &t.options())
        .unwrap_err();
    assert!(
        matches!(err, PciError::Io { .. }) && err.to_string().contains("resource0"),
        "{err}"
    );

    let dir = fake_device(&t, "0000:06:00.0", IGB);
    let before = snapshot(&dir);
    let mut o = t.options();
    o.min_bar_size = 1 << 20;
    let err = sysfs
        .open_bar(addr("0000:06:00.0"), &[IGB], &o)
        .unwrap_err();
    assert!(matches!(err, PciError::BarTooSmall { .. }), "{err}");
    assert_eq!(snapshot(&dir), before, "refused before unbind");

    let err = PciDevice::open("03:00", &[IGB], &t.options())
        .err()
        .unwrap();
    assert!(matches!(err, PciError::BadAddress { .. }), "{err}");
}

#[test]
fn not_root_is_refused_before_writing() {
    if pci_dma::is_root() {
        println!("SKIP: running as root, the not-root refusal cannot be seen");
        return;
    }
    let t = FakeTree::new("notroot").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", IGB);
    let before = snapshot(&dir);
    let mut o = t.options();
    o.require_root = true;
    let err = Sysfs::new(t.root())
        .open_bar(addr("0000:03:00.0"), &[IGB], &o)
        .unwrap_err();
    assert!(matches!(err, PciError::NotRoot { .. }), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn list_and_find_read_the_tree() {
    let t = FakeTree::new("list").unwrap();
    fake_device(&t, "0000:03:00.0", IGB);
    fake_device(&t, "0000:02:00.0", IXGBE);
    fake_device(&t, "0000:04:00.1", IGB);
    fs::create_dir_all(t.root().join("bus/pci/devices/not-an-address")).unwrap();
    let sysfs = Sysfs::new(t.root());
    let all = sysfs.list().unwrap();
    let addrs: Vec<String> = all.iter().map(|d| d.addr.to_string()).collect();
    assert_eq!(addrs, ["0000:02:00.0", "0000:03:00.0", "0000:04:00.1"]);
    assert_eq!(all[0].id, IXGBE);
    assert_eq!(all[0].driver.as_deref(), Some("(unknown)"));
    let found = sysfs.find(&[IGB]).unwrap();
    assert_eq!(found, vec![addr("0000:03:00.0"), addr("0000:04:00.1")]);
}

#[test]
fn real_sysfs_lists_read_only() {
    let sysfs = Sysfs::default();
    if !Path::new("/sys/bus/pci/devices").is_dir() {
        println!("SKIP: no /sys/bus/pci/devices on this machine");
        return;
    }
    let all = sysfs.list().unwrap();
    let count = fs::read_dir("/sys/bus/pci/devices").unwrap().count();
    assert_eq!(all.len(), count, "every real device's ids parse");
    for d in &all {
        assert_ne!(d.id.vendor, 0xffff, "{}", d.addr);
    }
}

#[test]
fn vfio_is_chosen_only_with_an_iommu_group_and_dev_vfio() {
    let t = FakeTree::new("vfio").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", IGB);
    let sysfs = Sysfs::new(t.root());
    let a = addr("0000:03:00.0");
    let dev = t.root().join("dev");
    assert!(!pci_dma::vfio::available(&sysfs, &dev, a));
    fs::create_dir_all(t.root().join("kernel/iommu_groups/17")).unwrap();
    symlink(
        t.root().join("kernel/iommu_groups/17"),
        dir.join("iommu_group"),
    )
    .unwrap();
    assert_eq!(sysfs.iommu_group(a), Some(17));
    assert!(
        !pci_dma::vfio::available(&sysfs, &dev, a),
        "no /dev/vfio/vfio"
    );
    // Forced VFIO without vfio-pci loaded: a clear error, and the device is not unbound.
    let before = snapshot(&dir);
    let mut o = t.options();
    o.backend = Backend::Vfio;
    let err = PciDevice::open("0000:03:00.0", &[IGB], &o).err().unwrap();
    assert!(
        err.to_string().contains("vfio-pci driver is not loaded"),
        "{err}"
    );
    assert_eq!(snapshot(&dir), before);
    // The VFIO device path itself (container, group, BAR region, MAP_DMA at IOVAs) needs an
    // IOMMU: tests/qemu/run runs it inside QEMU with an emulated one (its vfio phases).
}

/// Issue 14.3: a read-only open maps BAR0 and reads it, and leaves everything else as it was:
/// the kernel driver bound (nothing written to `driver/unbind`), the command register (bus
/// mastering off), the BAR's contents; writes through the mapping are refused.
#[test]
fn a_read_only_open_reads_the_bar_and_touches_nothing() {
    let t = FakeTree::new("readonly").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", IXGBE);
    // As a kernel driver leaves it: memory decoding on, bus mastering off.
    t.set_command("0000:03:00.0", 0x0402).unwrap();
    let before = snapshot(&dir);
    let sysfs = Sysfs::new(t.root());
    let bar = sysfs
        .map_bar_read_only(addr("0000:03:00.0"), &[IXGBE], &t.options())
        .unwrap();
    assert!(bar.is_read_only());
    assert_eq!(bar.read32(8, Site::UNNAMED), 0x8008_0783);
    let write = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        bar.write32(0, 1, Site::new("CTRL", None))
    }));
    let msg = *write.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("CTRL") && msg.contains("read-only"), "{msg}");
    // Nor can it become an unchecked Mmio.
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bar.leak())).is_err());
    let bar = sysfs
        .map_bar_read_only(addr("0000:03:00.0"), &[IXGBE], &t.options())
        .unwrap();
    drop(bar);
    assert_eq!(snapshot(&dir), before, "something was written");
    assert_eq!(
        sysfs.command(addr("0000:03:00.0")).unwrap() & pci_dma::config::CMD_BUS_MASTER,
        0
    );
    // The same device opened to be driven is unbound and gets bus mastering: the snapshot
    // comparison above would have seen it.
    let bar = sysfs
        .open_bar(addr("0000:03:00.0"), &[IXGBE], &t.options())
        .unwrap();
    drop(bar);
    assert_ne!(snapshot(&dir), before);
    assert_ne!(
        sysfs.command(addr("0000:03:00.0")).unwrap() & pci_dma::config::CMD_BUS_MASTER,
        0
    );
}

/// A device whose memory decoding is off cannot be read without a config write: refused
/// with the reason, nothing written; a device of another id is refused as by `open_bar`.
#[test]
fn a_read_only_open_refuses_a_disabled_device_and_a_wrong_id() {
    let t = FakeTree::new("readonly-off").unwrap();
    let dir = fake_device(&t, "0000:03:00.0", IXGBE);
    let before = snapshot(&dir);
    let sysfs = Sysfs::new(t.root());
    let e = sysfs
        .map_bar_read_only(addr("0000:03:00.0"), &[IXGBE], &t.options())
        .unwrap_err();
    assert!(matches!(e, PciError::MemoryDecodingOff { .. }), "{e}");
    assert!(e.to_string().contains("--init"), "{e}");
    assert_eq!(snapshot(&dir), before);
    let e = sysfs
        .map_bar_read_only(addr("0000:03:00.0"), &[IGB], &t.options())
        .unwrap_err();
    assert!(matches!(e, PciError::WrongDevice { .. }), "{e}");
    assert_eq!(snapshot(&dir), before);
}
