//! PCI devices through sysfs (Linux Documentation/PCI/sysfs-pci.rst): ids, driver unbinding,
//! the config space file, and `resource0` mapping.
//!
//! Every path goes through a root (default `/sys`), so tests build a fake tree in a temporary
//! directory and never touch the machine's devices.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use memmap2::MmapOptions;

use crate::bar::Bar;
use crate::config;
use crate::config::BusMaster;
use crate::device::PciOptions;
use crate::error::{is_root, PciError};
use crate::ids::{parse_id16, PciAddr, PciId};

/// A sysfs tree: the real `/sys` or a fake one.
#[derive(Clone, Debug)]
pub struct Sysfs {
    root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs::new("/sys")
    }
}

/// What `list` tells about one device (read-only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub addr: PciAddr,
    pub id: PciId,
    /// Name of the bound kernel driver, if any.
    pub driver: Option<String>,
    pub iommu_group: Option<u32>,
}

fn read_text(path: &Path) -> Result<String, PciError> {
    fs::read_to_string(path).map_err(|e| PciError::io(path, e))
}

fn write_text(path: &Path, text: &str) -> Result<(), PciError> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| PciError::io(path, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| PciError::io(path, e))
}

impl Sysfs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sysfs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn devices_dir(&self) -> PathBuf {
        self.root.join("bus/pci/devices")
    }

    /// `ROOT/bus/pci/devices/ADDR` (whether or not it exists).
    pub fn device_dir(&self, addr: PciAddr) -> PathBuf {
        self.devices_dir().join(addr.to_string())
    }

    fn existing_dir(&self, addr: PciAddr) -> Result<PathBuf, PciError> {
        let dir = self.device_dir(addr);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(PciError::NoSuchDevice { addr, path: dir })
        }
    }

    /// The vendor:device id, from the `vendor` and `device` files.
    pub fn id(&self, addr: PciAddr) -> Result<PciId, PciError> {
        let dir = self.existing_dir(addr)?;
        let read = |name: &str| -> Result<u16, PciError> {
            let path = dir.join(name);
            let text = read_text(&path)?;
            parse_id16(&path.display().to_string(), &text)
        };
        Ok(PciId::new(read("vendor")?, read("device")?))
    }

    /// Name of the bound driver (`driver` is a symlink to it), if any.
    pub fn driver(&self, addr: PciAddr) -> Option<String> {
        let link = self.device_dir(addr).join("driver");
        match fs::read_link(&link) {
            Ok(target) => target.file_name().map(|n| n.to_string_lossy().into_owned()),
            // A fake tree may use a plain directory.
            Err(_) if link.exists() => Some("(unknown)".to_string()),
            Err(_) => None,
        }
    }

    /// The IOMMU group number (`iommu_group` is a symlink to `kernel/iommu_groups/N`).
    pub fn iommu_group(&self, addr: PciAddr) -> Option<u32> {
        let target = fs::read_link(self.device_dir(addr).join("iommu_group")).ok()?;
        target.file_name()?.to_str()?.parse().ok()
    }

    /// Every PCI device, read-only. Devices whose ids do not parse are left out.
    pub fn list(&self) -> Result<Vec<DeviceInfo>, PciError> {
        let dir = self.devices_dir();
        let entries = fs::read_dir(&dir).map_err(|e| PciError::io(&dir, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| PciError::io(&dir, e))?;
            let Some(addr) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Ok(id) = self.id(addr) {
                out.push(DeviceInfo {
                    addr,
                    id,
                    driver: self.driver(addr),
                    iommu_group: self.iommu_group(addr),
                });
            }
        }
        out.sort_by_key(|d| d.addr);
        Ok(out)
    }

    /// Addresses of the devices with one of the `supported` ids.
    pub fn find(&self, supported: &[PciId]) -> Result<Vec<PciAddr>, PciError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|d| supported.contains(&d.id))
            .map(|d| d.addr)
            .collect())
    }

    /// The device's id if it is one of `supported`; reads only.
    pub fn check_supported(&self, addr: PciAddr, supported: &[PciId]) -> Result<PciId, PciError> {
        let found = self.id(addr)?;
        if supported.contains(&found) {
            Ok(found)
        } else {
            Err(PciError::WrongDevice {
                addr,
                found,
                supported: supported.to_vec(),
            })
        }
    }

    /// Refuse a device whose network interface is up: the host is using it.
    pub(crate) fn check_not_in_use(&self, addr: PciAddr) -> Result<(), PciError> {
        let Ok(ifaces) = fs::read_dir(self.device_dir(addr).join("net")) else {
            return Ok(());
        };
        for iface in ifaces.flatten() {
            let flags = fs::read_to_string(iface.path().join("flags")).unwrap_or_default();
            let flags = flags.trim().trim_start_matches("0x");
            // IFF_UP is bit 0 of the interface flags.
            if u32::from_str_radix(flags, 16).is_ok_and(|f| f & 1 != 0) {
                return Err(PciError::Busy {
                    addr,
                    reason: format!(
                        "network interface {} is up (bring it down first: ip link set {} down)",
                        iface.file_name().to_string_lossy(),
                        iface.file_name().to_string_lossy()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Unbind the device from its kernel driver, if it has one.
    pub fn unbind(&self, addr: PciAddr) -> Result<(), PciError> {
        let unbind = self.device_dir(addr).join("driver/unbind");
        if !unbind.exists() {
            return Ok(());
        }
        write_text(&unbind, &addr.to_string()).map_err(|e| match e {
            PciError::Io { err, .. } if err.raw_os_error() == Some(libc::EBUSY) => PciError::Busy {
                addr,
                reason: format!("driver {:?} refused to unbind", self.driver(addr)),
            },
            e => e,
        })
    }

    /// Set memory-space decoding and bus mastering in the command register (`config` file,
    /// offset 4, read-modify-write). Returns the new command value.
    pub fn enable_bus_master(&self, addr: PciAddr) -> Result<u16, PciError> {
        let path = self.device_dir(addr).join("config");
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| PciError::io(&path, e))?;
        let (_, new) = config::enable_bus_master(&f, 0).map_err(|e| PciError::io(&path, e))?;
        Ok(new)
    }

    /// The command register as it reads now.
    pub fn command(&self, addr: PciAddr) -> Result<u16, PciError> {
        let path = self.device_dir(addr).join("config");
        let f = File::open(&path).map_err(|e| PciError::io(&path, e))?;
        config::read_command(&f, 0).map_err(|e| PciError::io(&path, e))
    }

    /// Map BAR0 to read registers, touching nothing: id check (reads only), root check, then
    /// `resource0` opened and mapped read-only. The kernel driver stays bound, the command
    /// register (bus mastering, memory decoding) is not written, the device is not locked
    /// against its driver, and nothing can be written through the mapping (a write through
    /// the returned [`Bar`] panics, naming the register). For `regs`/`stats`-like tools that
    /// must not disturb a device the host is using.
    ///
    /// Refused with [`PciError::MemoryDecodingOff`] when the command register has memory-space
    /// decoding off: every read would return all ones, and turning it on is a write.
    pub fn map_bar_read_only(
        &self,
        addr: PciAddr,
        supported: &[PciId],
        opts: &PciOptions,
    ) -> Result<Bar, PciError> {
        let dir = self.checked_dir(addr, supported, opts, || {
            format!("reading the registers of PCI device {addr} (BAR mapping)")
        })?;
        if self.command(addr)? & config::CMD_MEMORY_SPACE == 0 {
            return Err(PciError::MemoryDecodingOff { addr });
        }
        Self::map_resource0(addr, &dir, opts, false)
    }

    /// Map BAR0 read-write to attach to a device another process (the primary) has taken
    /// and runs: id check, root check, then checks that it is taken by a user-space driver
    /// (no kernel driver bound, not bound to `vfio-pci`, whose container only the primary
    /// holds; memory decoding and bus mastering on, as the primary left them), then
    /// `resource0` mapped read-write. Nothing is written: no unbind, no command-register
    /// write, no lock (the primary holds the `resource0` lock; who may touch what is the
    /// caller's protocol, `driver_82599::share`). Refused with [`PciError::Busy`] naming
    /// what is missing.
    pub fn map_bar_shared(
        &self,
        addr: PciAddr,
        supported: &[PciId],
        opts: &PciOptions,
    ) -> Result<Bar, PciError> {
        let dir = self.checked_dir(addr, supported, opts, || {
            format!("attaching to PCI device {addr} (BAR mapping, hugepages)")
        })?;
        let busy = |reason: String| PciError::Busy { addr, reason };
        match self.driver(addr).as_deref() {
            None => {}
            Some("vfio-pci") => {
                return Err(busy(
                    "it is bound to vfio-pci: its VFIO container belongs to the primary, and a second process cannot share it (attach works with the sysfs backend)".into(),
                ))
            }
            Some(d) => {
                return Err(busy(format!(
                    "kernel driver {d} is bound to it: no user-space primary runs it"
                )))
            }
        }
        let cmd = self.command(addr)?;
        if cmd & config::CMD_MEMORY_SPACE == 0 {
            return Err(PciError::MemoryDecodingOff { addr });
        }
        if cmd & config::CMD_BUS_MASTER == 0 {
            return Err(busy(
                "bus mastering is off: no primary runs it (a secondary never turns it on)".into(),
            ));
        }
        Self::map_resource0(addr, &dir, opts, true)
    }

    /// The first checks of every way to map a device, in this order: it exists, its id is
    /// supported (reads only), and we are root when `opts` asks for it (`what`: what for).
    fn checked_dir(
        &self,
        addr: PciAddr,
        supported: &[PciId],
        opts: &PciOptions,
        what: impl FnOnce() -> String,
    ) -> Result<PathBuf, PciError> {
        let dir = self.existing_dir(addr)?;
        self.check_supported(addr, supported)?;
        if opts.require_root && !is_root() {
            return Err(PciError::NotRoot { what: what() });
        }
        Ok(dir)
    }

    /// Opens `dir`'s `resource0` (read-write when `write`, else read-only: a write through
    /// the [`Bar`] then panics), checks its size and maps it whole.
    fn map_resource0(
        addr: PciAddr,
        dir: &Path,
        opts: &PciOptions,
        write: bool,
    ) -> Result<Bar, PciError> {
        let res = dir.join("resource0");
        let file = if write {
            open_rw(&res)
        } else {
            File::open(&res)
        }
        .map_err(|e| PciError::io(&res, e))?;
        let size = file.metadata().map_err(|e| PciError::io(&res, e))?.len() as usize;
        Self::check_bar_size(addr, &res, size, opts)?;
        let mut map = MmapOptions::new();
        map.len(size);
        Ok(if write {
            let map = map.map_raw(&file).map_err(|e| PciError::io(&res, e))?;
            Bar::new(map, Box::new(file))
        } else {
            let map = map
                .map_raw_read_only(&file)
                .map_err(|e| PciError::io(&res, e))?;
            Bar::new_read_only(map, Box::new(file))
        })
    }

    fn check_bar_size(
        addr: PciAddr,
        res: &Path,
        size: usize,
        opts: &PciOptions,
    ) -> Result<(), PciError> {
        if size == 0 {
            return Err(PciError::io(
                res,
                io::Error::other("BAR0 has size 0 (not a memory BAR, or not assigned)"),
            ));
        }
        if size < opts.min_bar_size {
            return Err(PciError::BarTooSmall {
                addr,
                size,
                needed: opts.min_bar_size,
            });
        }
        Ok(())
    }

    /// Check, take, and map a device: id check (before anything is written), root check,
    /// in-use checks and an exclusive lock on `resource0`, unbind, bus mastering, map BAR0.
    pub fn open_bar(
        &self,
        addr: PciAddr,
        supported: &[PciId],
        opts: &PciOptions,
    ) -> Result<Bar, PciError> {
        let (bar, master) = self.open_bar_master(addr, supported, opts)?;
        // The caller keeps the device for the rest of the process: mastering stays on.
        std::mem::forget(master);
        Ok(bar)
    }

    /// As [`Sysfs::open_bar`], with the [`BusMaster`] guard that turns bus mastering off again.
    pub fn open_bar_master(
        &self,
        addr: PciAddr,
        supported: &[PciId],
        opts: &PciOptions,
    ) -> Result<(Bar, BusMaster), PciError> {
        let dir = self.checked_dir(addr, supported, opts, || {
            format!("taking PCI device {addr} (unbind, config write, BAR mapping)")
        })?;
        self.check_not_in_use(addr)?;

        let res = dir.join("resource0");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&res)
            .map_err(|e| PciError::io(&res, e))?;
        // One user at a time: an advisory lock held for as long as the mapping lives.
        // SAFETY: flock on a file descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = io::Error::last_os_error();
            return Err(if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                PciError::Busy {
                    addr,
                    reason: format!("another process holds {}", res.display()),
                }
            } else {
                PciError::io(&res, err)
            });
        }
        let size = file.metadata().map_err(|e| PciError::io(&res, e))?.len() as usize;
        Self::check_bar_size(addr, &res, size, opts)?;

        self.unbind(addr)?;
        self.enable_bus_master(addr)?;
        let cfg = dir.join("config");
        let master = BusMaster::new(open_rw(&cfg).map_err(|e| PciError::io(&cfg, e))?, 0);
        let map = MmapOptions::new()
            .len(size)
            .map_raw(&file)
            .map_err(|e| PciError::io(&res, e))?;
        Ok((Bar::new(map, Box::new(file)), master))
    }
}

fn open_rw(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}
