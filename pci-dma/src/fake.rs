//! A fake sysfs tree in a temporary directory, for tests of code built on this crate: devices
//! with `vendor`/`device` files, a config space, a `resource0` file as BAR0 and `driver/unbind`.
//! Open them with [`FakeTree::options`]; the machine's own PCI devices are never involved.

use crate::device::{Backend, PciOptions};
use crate::ids::PciId;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary sysfs root, removed (with everything in it) when dropped.
pub struct FakeTree {
    root: PathBuf,
}

impl FakeTree {
    /// An empty tree in a new temporary directory; `name` makes it recognisable.
    pub fn new(name: &str) -> std::io::Result<Self> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "pci-dma-fake-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root)?;
        Ok(FakeTree { root })
    }

    /// The tree's root (what `PciOptions::sysfs_root` points at).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Adds device `addr` (`0000:03:00.0`) with id `id`: `vendor` and `device` files, a 256-byte
    /// config space holding the ids and command 0x0400 (INTx disabled only), a zeroed
    /// `resource0` of `bar_len` bytes, and `driver/unbind` (as if a kernel driver held it).
    /// Returns the device's directory.
    pub fn device(&self, addr: &str, id: PciId, bar_len: usize) -> std::io::Result<PathBuf> {
        let dir = self.root.join("bus/pci/devices").join(addr);
        fs::create_dir_all(dir.join("driver"))?;
        fs::write(dir.join("vendor"), format!("{:#06x}\n", id.vendor))?;
        fs::write(dir.join("device"), format!("{:#06x}\n", id.device))?;
        let mut cfg = vec![0u8; 256];
        cfg[0..2].copy_from_slice(&id.vendor.to_le_bytes());
        cfg[2..4].copy_from_slice(&id.device.to_le_bytes());
        cfg[4..6].copy_from_slice(&0x0400u16.to_le_bytes());
        fs::write(dir.join("config"), &cfg)?;
        fs::write(dir.join("resource0"), vec![0u8; bar_len])?;
        fs::write(dir.join("driver/unbind"), b"")?;
        Ok(dir)
    }

    /// Writes the command register (config offset 4) of device `addr`, e.g. `0x0402` for a
    /// device whose memory decoding a kernel driver turned on, bus mastering off.
    pub fn set_command(&self, addr: &str, command: u16) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let path = self.root.join("bus/pci/devices").join(addr).join("config");
        let f = fs::OpenOptions::new().write(true).open(path)?;
        f.write_all_at(&command.to_le_bytes(), crate::config::COMMAND)
    }

    /// Options that open this tree's devices with the sysfs backend, without needing root.
    pub fn options(&self) -> PciOptions {
        PciOptions {
            sysfs_root: self.root.clone(),
            dev_root: self.root.join("dev"),
            backend: Backend::Sysfs,
            require_root: false,
            ..PciOptions::default()
        }
    }
}

impl Drop for FakeTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}
