//! Runs inside the QEMU guest booted by `tests/qemu/run`: checks pci-dma against QEMU's
//! emulated Intel 82576 (igb) devices, then prints `N passed, N failed`.
//!
//! Usage: guest-probe [--expect N] [--backend auto|sysfs|vfio]
//!   N: how many 8086:10c9 devices the VM has (default 2). The backend (default auto) is how
//!   pci-dma reaches every device; `vfio` binds them to vfio-pci and maps DMA memory through
//!   the IOMMU (device addresses are IOVAs), or prints `SKIP:` with the reason where the
//!   machine has no IOMMU or the vfio modules are not loaded.

use std::path::Path;
use std::ptr;
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

use pci_dma::{
    virt_to_phys, Backend, DmaError, DmaMemory, PciDevice, PciError, PciId, PciOptions, Sysfs,
    HUGE_PAGE_SIZE,
};
use regdsl_rt::{Bus, Site};

const IGB: PciId = PciId::new(0x8086, 0x10c9);
const IXGBE: PciId = PciId::new(0x8086, 0x10fb);
/// The VM has 512 MiB of RAM: a device address at or above 4 GiB is no physical address, it
/// reaches memory only through the IOMMU.
const FOUR_GIB: u64 = 1 << 32;

// 82576 datasheet 8.x register offsets (queue 0).
const CTRL: usize = 0x0000;
const STATUS: usize = 0x0008;
const IMC: usize = 0x150c;
const TCTL: usize = 0x0400;
const RAL0: usize = 0x5400;
const TDBAL: usize = 0xe000;
const TDBAH: usize = 0xe004;
const TDLEN: usize = 0xe008;
const TDH: usize = 0xe010;
const TDT: usize = 0xe018;
const TXDCTL: usize = 0xe028;
const CTRL_RST: u32 = 1 << 26;
const TCTL_EN: u32 = 1 << 1;
const TCTL_PSP: u32 = 1 << 3;
const TXDCTL_ENABLE: u32 = 1 << 25;

#[derive(Default)]
struct Report {
    passed: u32,
    failed: u32,
}

impl Report {
    fn check(&mut self, name: &str, r: Result<String, String>) {
        match r {
            Ok(detail) => {
                self.passed += 1;
                println!("ok   {name}: {detail}");
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL {name}: {why}");
            }
        }
    }
}

fn reg(bar: &impl Bus, off: usize) -> u32 {
    bar.read32(off, Site::UNNAMED)
}

fn set(bar: &impl Bus, off: usize, v: u32) {
    bar.write32(off, v, Site::UNNAMED)
}

fn wait(mut done: impl FnMut() -> bool, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    done()
}

/// Send one frame from queue 0 (advanced data descriptor, 82576 datasheet 7.2.2.3) and wait for
/// the card to write DD back into the descriptor: proves bus mastering and that the physical
/// addresses from pagemap are the ones the card reaches.
///
/// With `physical`, the ring and the frame are given to the card at their physical addresses
/// (pagemap) instead of their device addresses: behind the IOMMU (VFIO) those are not mapped,
/// so the card must never write DD back; this passes only if it does not.
fn tx_one_frame(bar: &impl Bus, dma: &dyn DmaMemory, physical: bool) -> Result<String, String> {
    let ring = dma.alloc(8 * 16, 128).map_err(|e| e.to_string())?;
    let buf = dma.alloc(64, 64).map_err(|e| e.to_string())?;
    let addr = |r: &pci_dma::DmaRegion| -> Result<u64, String> {
        if physical {
            virt_to_phys(r.virt()).map_err(|e| e.to_string())
        } else {
            Ok(r.phys())
        }
    };
    let (ring_at, buf_at) = (addr(&ring)?, addr(&buf)?);
    let mut frame = [0u8; 60];
    frame[0..6].copy_from_slice(&[0xff; 6]);
    frame[6..12].copy_from_slice(&[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    frame[12..14].copy_from_slice(&[0x88, 0xb5]); // local experimental EtherType
    frame[14..27].copy_from_slice(b"pci-dma probe");
    // SAFETY: `buf` is 64 bytes of DMA memory the card has not been told about yet.
    unsafe { ptr::copy_nonoverlapping(frame.as_ptr(), buf.virt(), frame.len()) };

    set(bar, TCTL, 0);
    set(bar, TXDCTL, 0);
    set(bar, TDBAL, ring_at as u32);
    set(bar, TDBAH, (ring_at >> 32) as u32);
    set(bar, TDLEN, ring.len() as u32);
    set(bar, TDH, 0);
    set(bar, TDT, 0);
    set(bar, TXDCTL, TXDCTL_ENABLE);
    if !wait(
        || reg(bar, TXDCTL) & TXDCTL_ENABLE != 0,
        Duration::from_millis(100),
    ) {
        return Err("TXDCTL.ENABLE does not read back".into());
    }
    set(bar, TCTL, TCTL_EN | TCTL_PSP);

    let len = frame.len() as u32;
    // DTYP=0011b (data), DCMD: EOP(24) IFCS(25) RS(27) DEXT(29); PAYLEN in olinfo 31:14.
    let cmd = len | (0b0011 << 20) | (1 << 24) | (1 << 25) | (1 << 27) | (1 << 29);
    let desc = ring.virt();
    // SAFETY: descriptor 0 is inside `ring`; the card reads it only after the TDT write.
    unsafe {
        ptr::write_volatile(desc as *mut u64, buf_at);
        ptr::write_volatile(desc.add(8) as *mut u32, cmd);
        ptr::write_volatile(desc.add(12) as *mut u32, len << 14);
    }
    fence(Ordering::Release);
    set(bar, TDT, 1);
    // SAFETY: reading the status word the card writes back; volatile, no reference made.
    let status = || unsafe { ptr::read_volatile(desc.add(12) as *const u32) };
    if physical {
        let dd = wait(|| status() & 1 != 0, Duration::from_millis(300));
        let tdh = reg(bar, TDH);
        set(bar, TCTL, 0);
        set(bar, TXDCTL, 0);
        return if dd {
            Err(format!(
                "the card wrote DD back into the ring given at physical {ring_at:#x}: DMA is \
                 not translated by the IOMMU"
            ))
        } else {
            Ok(format!(
                "ring at physical {ring_at:#x} (IOVA {:#x}): no DD write-back in 300 ms, \
                 status {:#x}, TDH {tdh}: the IOMMU blocked it",
                ring.phys(),
                status()
            ))
        };
    }
    if !wait(|| status() & 1 != 0, Duration::from_secs(2)) {
        return Err(format!(
            "no DD write-back (status {:#x}, TDH {}) at physical {:#x}",
            status(),
            reg(bar, TDH),
            ring.phys()
        ));
    }
    let tdh = reg(bar, TDH);
    set(bar, TCTL, 0);
    set(bar, TXDCTL, 0);
    if tdh != 1 {
        return Err(format!("DD written but TDH is {tdh}, not 1"));
    }
    Ok(format!(
        "descriptor at {:#x}, frame at {:#x}: DD written back, TDH 1",
        ring.phys(),
        buf.phys()
    ))
}

/// The DMA region's device address is what the backend promises: the physical address from
/// pagemap (sysfs), or an IOVA above RAM that is not the physical address (VFIO).
fn dma_address_check(r: &pci_dma::DmaRegion, backend: Backend) -> Result<String, String> {
    let phys = virt_to_phys(r.virt()).map_err(|e| e.to_string())?;
    let last = virt_to_phys(r.virt().wrapping_add(r.len() - 1)).map_err(|e| e.to_string())?;
    let dev = r.phys();
    if !dev.is_multiple_of(128) {
        return Err(format!("device address {dev:#x} is not 128-byte aligned"));
    }
    if backend == Backend::Vfio {
        if dev < FOUR_GIB || dev == phys {
            return Err(format!(
                "device address {dev:#x} (physical {phys:#x}) is not an IOVA above RAM"
            ));
        }
        return Ok(format!(
            "virt {:p} -> IOVA {dev:#x}, physical {phys:#x}",
            r.virt()
        ));
    }
    if phys != dev || last != dev + r.len() as u64 - 1 || dev == 0 {
        return Err(format!(
            "phys {dev:#x}, pagemap says {phys:#x} / last byte {last:#x}"
        ));
    }
    if dev + r.len() as u64 > 512 << 20 {
        return Err(format!("phys {dev:#x} beyond 512 MiB"));
    }
    Ok(format!("virt {:p} -> phys {dev:#x}", r.virt()))
}

/// Clear the bus-master bit (PCI 3.0 6.2.2, command bit 2) through sysfs `config`; says what
/// the command register read before and after.
fn clear_bus_master(sysfs: &Sysfs, addr: pci_dma::PciAddr) -> Result<String, String> {
    use std::os::unix::fs::FileExt;
    let path = sysfs.device_dir(addr).join("config");
    let r = (|| -> std::io::Result<(u16, u16)> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)?;
        let mut b = [0u8; 2];
        f.read_exact_at(&mut b, 4)?;
        let old = u16::from_le_bytes(b);
        f.write_all_at(&(old & !0x4).to_le_bytes(), 4)?;
        f.read_exact_at(&mut b, 4)?;
        Ok((old, u16::from_le_bytes(b)))
    })();
    match r {
        Ok((old, new)) if new & 0x4 == 0 => {
            Ok(format!("{old:#06x}, cleared to {new:#06x} before opening"))
        }
        Ok((old, new)) => Err(format!("bus master not cleared: {old:#06x} -> {new:#06x}")),
        Err(e) => Err(format!("bus master not cleared: {}: {e}", path.display())),
    }
}

fn probe_device(rep: &mut Report, sysfs: &Sysfs, addr: pci_dma::PciAddr, backend: Backend) {
    let a = addr.to_string();
    let before = (sysfs.command(addr).ok(), sysfs.driver(addr));
    let wrong = PciOptions {
        backend,
        ..PciOptions::default()
    };
    rep.check(
        &format!("{a} refused for a wrong id list"),
        match PciDevice::open(&a, &[IXGBE], &wrong) {
            Err(PciError::WrongDevice { found, .. }) if found == IGB => {
                match (before, (sysfs.command(addr).ok(), sysfs.driver(addr))) {
                    ((Some(b), db), (Some(c), da)) if b == c && db == da => Ok(format!(
                        "WrongDevice, command register ({c:#06x}) and driver ({da:?}) untouched"
                    )),
                    (b, a) => Err(format!("command register, driver {b:?} -> {a:?}")),
                }
            }
            Err(e) => Err(format!("wrong error: {e}")),
            Ok(_) => Err("opened a device with an unsupported id".into()),
        },
    );

    // What Auto must choose: VFIO exactly when the device has a group and /dev/vfio/vfio.
    let expected = match backend {
        Backend::Auto if pci_dma::vfio::available(sysfs, Path::new("/dev"), addr) => Backend::Vfio,
        Backend::Auto => Backend::Sysfs,
        b => b,
    };
    let opts = PciOptions {
        min_bar_size: 0x20000,
        max_dma_pages: 4,
        backend,
        ..PciOptions::default()
    };
    // An earlier phase left bus mastering on: clear it (this device's id was checked above),
    // so the check after opening shows that the backend itself set it (VFIO: through the
    // device fd's config region).
    let cleared = clear_bus_master(sysfs, addr);
    let dev = match PciDevice::open(&a, &[IXGBE, IGB], &opts) {
        Ok(d) => {
            rep.check(
                &format!("{a} open"),
                Ok(format!(
                    "backend {:?}, BAR0 {:#x} bytes",
                    d.backend(),
                    d.bar().len()
                )),
            );
            d
        }
        Err(e) => {
            rep.check(&format!("{a} open"), Err(e.to_string()));
            return;
        }
    };
    let driver = sysfs.driver(addr);
    rep.check(
        &format!("{a} backend"),
        match (dev.backend(), driver.as_deref()) {
            (b, None) if b == expected && b == Backend::Sysfs => {
                Ok(format!("{b:?} (asked {backend:?}), no driver bound"))
            }
            (b, Some("vfio-pci")) if b == expected && b == Backend::Vfio => Ok(format!(
                "{b:?} (asked {backend:?}), bound to vfio-pci, IOMMU group {:?}",
                sysfs.iommu_group(addr)
            )),
            (b, d) => Err(format!(
                "{b:?} with driver {d:?}, expected {expected:?} (asked {backend:?})"
            )),
        },
    );
    rep.check(
        &format!("{a} bus master"),
        match (sysfs.command(addr), cleared) {
            (_, Err(why)) => Err(why),
            (Ok(c), Ok(was)) if c & 0x6 == 0x6 => Ok(format!("command {c:#06x} (was {was})")),
            (Ok(c), _) => Err(format!("command {c:#06x} lacks memory space/bus master")),
            (Err(e), _) => Err(e.to_string()),
        },
    );
    let bar = dev.bar();
    let status = reg(bar, STATUS);
    rep.check(
        &format!("{a} STATUS"),
        if status != 0xffff_ffff {
            Ok(format!("{status:#010x}"))
        } else {
            Err("reads all ones: BAR not decoded".into())
        },
    );
    // Reset the MAC (82576 datasheet 4.3.1: CTRL.RST self-clears), mask interrupts.
    set(bar, CTRL, reg(bar, CTRL) | CTRL_RST);
    let reset_done = wait(
        || reg(bar, CTRL) & CTRL_RST == 0,
        Duration::from_millis(100),
    );
    set(bar, IMC, 0xffff_ffff);
    rep.check(
        &format!("{a} reset"),
        if reset_done {
            Ok("CTRL.RST cleared".into())
        } else {
            Err("CTRL.RST did not clear in 100 ms".into())
        },
    );
    set(bar, RAL0, 0x1234_5678);
    let ral = reg(bar, RAL0);
    rep.check(
        &format!("{a} RAL0 write/read"),
        if ral == 0x1234_5678 {
            Ok("0x12345678 read back".into())
        } else {
            Err(format!("read {ral:#x}"))
        },
    );

    let dma = dev.dma();
    rep.check(
        &format!("{a} DMA alloc + device address"),
        (|| {
            let r = dma.alloc(4096, 128).map_err(|e| e.to_string())?;
            let detail = dma_address_check(&r, dev.backend())?;
            // SAFETY: the region is 4096 bytes, owned here, and the card does not know it.
            unsafe {
                ptr::write_volatile(r.virt().add(4095), 0xa5);
                if ptr::read_volatile(r.virt().add(4095)) != 0xa5 {
                    return Err("memory does not hold a written byte".into());
                }
            }
            Ok(detail)
        })(),
    );
    rep.check(
        &format!("{a} DMA size limits"),
        match (
            dma.alloc(HUGE_PAGE_SIZE, 4096),
            dma.alloc(HUGE_PAGE_SIZE + 1, 64),
        ) {
            (Ok(w), Err(DmaError::TooLarge { .. })) if w.phys() % HUGE_PAGE_SIZE as u64 == 0 => {
                Ok(format!("2 MiB piece at {:#x}, 2 MiB + 1 refused", w.phys()))
            }
            (w, t) => Err(format!("2 MiB: {w:?}, 2 MiB + 1: {t:?}")),
        },
    );
    rep.check(
        &format!("{a} TX DMA round trip"),
        tx_one_frame(bar, &*dma, false),
    );
    if dev.backend() == Backend::Vfio {
        rep.check(
            &format!("{a} TX at physical addresses blocked"),
            tx_one_frame(bar, &*dma, true),
        );
        // Leave the MAC as a reset left it after the blocked DMA.
        set(bar, CTRL, reg(bar, CTRL) | CTRL_RST);
        wait(
            || reg(bar, CTRL) & CTRL_RST == 0,
            Duration::from_millis(100),
        );
    }
}

fn main() {
    let mut expect = 2usize;
    let mut backend = Backend::Auto;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--expect", Some(n)) => match n.parse() {
                Ok(n) => expect = n,
                Err(_) => {
                    eprintln!("guest-probe: --expect needs a number, got {n:?}");
                    std::process::exit(2);
                }
            },
            ("--backend", Some(b)) => {
                backend = match b.as_str() {
                    "auto" => Backend::Auto,
                    "sysfs" => Backend::Sysfs,
                    "vfio" => Backend::Vfio,
                    _ => {
                        eprintln!("guest-probe: --backend is auto, sysfs or vfio, got {b:?}");
                        std::process::exit(2);
                    }
                }
            }
            _ => {
                eprintln!("usage: guest-probe [--expect N] [--backend auto|sysfs|vfio]");
                std::process::exit(2);
            }
        }
    }

    let mut rep = Report::default();
    let sysfs = Sysfs::default();
    let found = sysfs.find(&[IGB]).unwrap_or_else(|e| {
        println!("FAIL listing PCI devices: {e}");
        Vec::new()
    });
    rep.check(
        "find 8086:10c9",
        if found.len() == expect {
            Ok(found
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" "))
        } else {
            Err(format!(
                "found {} devices, expected {expect}: {found:?}",
                found.len()
            ))
        },
    );
    if backend == Backend::Vfio {
        for &addr in &found {
            if let Some(why) = pci_dma::vfio::unavailable_reason(&sysfs, Path::new("/dev"), addr) {
                println!("SKIP: guest-probe: VFIO for {addr}: {why}");
                println!("{} passed, {} failed", rep.passed, rep.failed);
                std::process::exit(if rep.failed == 0 { 0 } else { 1 });
            }
        }
    }
    for addr in found {
        probe_device(&mut rep, &sysfs, addr, backend);
    }
    println!("{} passed, {} failed", rep.passed, rep.failed);
    std::process::exit(if rep.failed == 0 { 0 } else { 1 });
}
