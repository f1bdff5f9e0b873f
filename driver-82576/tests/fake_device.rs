//! The driver against a small software model of the 82576 (no VM needed): reset, MDIC and the
//! PHY, link after the auto-negotiation restart, queue enables, read-to-clear counters, and a
//! loopback engine (what is sent on queue 0 is received on queue 0). DMA memory is heap memory
//! whose device address is far from its virtual address, so a mix-up cannot go unnoticed.
//! Faults: a reset that never completes, an MDIC that never answers, a link that never comes up.

use dma::testing::HeapDma;
use driver_82576::QueueDevice;
use driver_82576::{Config, Device, Error};
use regdsl_rt::{Bus, Site};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Device address = virtual address + this (the heap test double of the DMA contract).
const PHYS_OFFSET: u64 = HeapDma::PHYS_OFFSET;

#[derive(Default)]
struct Faults {
    reset_stuck: bool,
    mdic_silent: bool,
    no_link: bool,
    eeprom_done: bool,
}

#[derive(Default)]
struct State {
    regs: HashMap<usize, u32>,
    phy: [u16; 32],
    link: bool,
    autoneg_restarts: u32,
    faults: Faults,
    tx_frames: Vec<Vec<u8>>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<State>>);

const CTRL: usize = 0x0;
const STATUS: usize = 0x8;
const EECD: usize = 0x10;
const MDIC: usize = 0x20;
const RCTL: usize = 0x100;
const TCTL: usize = 0x400;
const RAL0: usize = 0x5400;
const RAH0: usize = 0x5404;
const ENABLE: u32 = 1 << 25;

fn q(base: usize, off: usize) -> usize {
    base + off
}

impl State {
    fn get(&self, off: usize) -> u32 {
        *self.regs.get(&off).unwrap_or(&0)
    }
    fn add(&mut self, off: usize, n: u32) {
        let v = self.get(off).wrapping_add(n);
        self.regs.insert(off, v);
    }
    fn power_on(&mut self) {
        self.regs.clear();
        self.regs.insert(RAL0, 0x1200_5452);
        self.regs.insert(RAH0, 0x8000_5634);
        self.phy = [0; 32];
        self.phy[0] = 0x1140;
        self.phy[1] = 0x7949;
        self.link = false;
    }
    /// Sends every descriptor between TDH and TDT of queue 0; loops each frame back into
    /// receive queue 0 when receive is on and the queue enabled.
    fn transmit(&mut self) {
        let (base, len) = (
            u64::from(self.get(0xE000)) | u64::from(self.get(0xE004)) << 32,
            self.get(0xE008) as usize / 16,
        );
        let (mut h, t) = (self.get(0xE010) as usize, self.get(0xE018) as usize);
        if self.get(TCTL) & 2 == 0 || self.get(0xE028) & ENABLE == 0 || len == 0 {
            return;
        }
        while h != t {
            let d = (base - PHYS_OFFSET) as usize as *mut u8;
            // SAFETY: the driver gave this ring (device address base, `len` descriptors); the
            // model translates device addresses back to the heap memory they stand for.
            let (addr, cmd) = unsafe {
                let d = d.add(h * 16);
                (
                    std::ptr::read_volatile(d as *const u64),
                    std::ptr::read_volatile(d.add(8) as *const u32),
                )
            };
            let n = (cmd & 0xFFFF) as usize;
            let mut frame = vec![0u8; n];
            // SAFETY: the buffer the descriptor names, `n` bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    (addr - PHYS_OFFSET) as usize as *const u8,
                    frame.as_mut_ptr(),
                    n,
                );
                std::ptr::write_volatile(d.add(h * 16 + 12) as *mut u32, 1);
            }
            self.add(0x4080, 1);
            self.add(0x40D4, 1);
            self.add(0x4090, n as u32 + 4);
            self.receive(&frame);
            self.tx_frames.push(frame);
            h = (h + 1) % len;
        }
        self.regs.insert(0xE010, h as u32);
    }
    fn receive(&mut self, frame: &[u8]) {
        if self.get(RCTL) & 2 == 0 || self.get(0xC028) & ENABLE == 0 || !self.link {
            return;
        }
        let base = u64::from(self.get(0xC000)) | u64::from(self.get(0xC004)) << 32;
        let len = self.get(0xC008) as usize / 16;
        let (h, t) = (self.get(0xC010) as usize, self.get(0xC018) as usize);
        if h == t || len == 0 {
            self.add(0x040A0, 1);
            return;
        }
        // SAFETY: as in `transmit`: descriptor `h` of the receive ring and its buffer.
        unsafe {
            let d = ((base - PHYS_OFFSET) as usize as *mut u8).add(h * 16);
            let buf = std::ptr::read_volatile(d as *const u64);
            std::ptr::copy_nonoverlapping(
                frame.as_ptr(),
                (buf - PHYS_OFFSET) as usize as *mut u8,
                frame.len(),
            );
            let wb = 0x3u64 | (frame.len() as u64) << 32;
            std::ptr::write_volatile(d as *mut u64, 0);
            std::ptr::write_volatile(d.add(8) as *mut u64, wb);
        }
        self.regs.insert(0xC010, ((h + 1) % len) as u32);
        self.add(0x4074, 1);
        self.add(0x40D0, 1);
        self.add(0x4088, frame.len() as u32 + 4);
    }
}

impl Bus for Fake {
    // The table has no 8- or 16-bit registers: generated code never makes these accesses.
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        unreachable!("8-bit read at {offset:#x}")
    }
    fn write8(&self, offset: usize, _value: u8, _site: Site) {
        unreachable!("8-bit write at {offset:#x}")
    }
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        unreachable!("16-bit read at {offset:#x}")
    }
    fn write16(&self, offset: usize, _value: u16, _site: Site) {
        unreachable!("16-bit write at {offset:#x}")
    }
    fn read32(&self, off: usize, _site: Site) -> u32 {
        let mut s = self.0.lock().unwrap();
        match off {
            CTRL => {
                let v = s.get(CTRL);
                if v & (1 << 26) != 0 && !s.faults.reset_stuck {
                    s.regs.insert(CTRL, v & !(1 << 26));
                }
                v
            }
            STATUS => 0x80 | 1 | if s.link { 2 } else { 0 },
            EECD => {
                if s.faults.eeprom_done {
                    1 << 9
                } else {
                    0
                }
            }
            // Read-to-clear statistics (the high octet halves clear the pair).
            0x4000..=0x4100 if off != 0x4088 && off != 0x4090 => {
                let v = s.get(off);
                s.regs.insert(off, 0);
                if off == 0x408C || off == 0x4094 {
                    s.regs.insert(off - 4, 0);
                }
                v
            }
            _ => s.get(off),
        }
    }

    fn write32(&self, off: usize, v: u32, _site: Site) {
        let mut s = self.0.lock().unwrap();
        match off {
            CTRL if v & (1 << 26) != 0 => {
                s.power_on();
                s.regs.insert(CTRL, v);
            }
            MDIC => {
                if s.faults.mdic_silent {
                    s.regs.insert(MDIC, v & !(1 << 28));
                    return;
                }
                let (data, reg, phy, op) =
                    (v & 0xFFFF, (v >> 16) & 31, (v >> 21) & 31, (v >> 26) & 3);
                let out = if phy != 1 {
                    v | (1 << 30)
                } else if op == 0b10 {
                    (v & !0xFFFF) | u32::from(s.phy[reg as usize])
                } else {
                    if reg == 0 && data & (1 << 9) != 0 && data & (1 << 12) != 0 {
                        s.autoneg_restarts += 1;
                        if !s.faults.no_link {
                            s.link = true;
                            s.phy[1] |= 0x24;
                        }
                    }
                    s.phy[reg as usize] = (data & !(1 << 9)) as u16;
                    v
                };
                s.regs.insert(MDIC, out | (1 << 28));
            }
            0xC0 | 0x1580 => {
                let old = s.get(off);
                s.regs.insert(off, old & !v);
            }
            0xE018 => {
                s.regs.insert(off, v);
                s.transmit();
            }
            _ => {
                s.regs.insert(off, v);
            }
        }
    }
}

fn small() -> Config {
    Config {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 256,
        link_timeout: Duration::from_millis(50),
        eeprom_timeout: Duration::from_millis(1),
        wait_timeout: Duration::from_millis(20),
        ..Config::default()
    }
}

fn fake(f: Faults) -> Fake {
    let dev = Fake::default();
    {
        let mut s = dev.0.lock().unwrap();
        s.power_on();
        s.faults = f;
    }
    dev
}

#[test]
fn init_programs_the_device_and_loops_frames_back() {
    let hw = fake(Faults::default());
    let cfg = Config {
        pool_size: 512,
        ..small()
    };
    let mut dev = Device::new(hw.clone(), Arc::new(HeapDma::new()), cfg).unwrap();
    assert!(
        !dev.eeprom_auto_read_done(),
        "the model never signals the auto-read"
    );
    assert!(dev.link().up);
    assert_eq!(dev.mac_addr(), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    {
        let s = hw.0.lock().unwrap();
        assert_eq!(s.autoneg_restarts, 1);
        let rctl = s.get(RCTL);
        assert_eq!(
            rctl & ((1 << 1) | (1 << 15) | (1 << 26)),
            (1 << 1) | (1 << 15) | (1 << 26)
        );
        assert_eq!(rctl & 0b11000, 0, "not promiscuous by default");
        let srrctl = s.get(q(0xC000, 0x0C));
        assert_eq!((srrctl >> 25) & 7, 1, "advanced one-buffer descriptors");
        assert_eq!(srrctl & 0x7F, 2, "2 KiB buffers");
        assert_eq!(s.get(q(0xC000, 0x08)), 64 * 16);
        assert_eq!(
            s.get(q(0xC000, 0x18)),
            63,
            "all but one descriptor given to the device"
        );
        assert_ne!(u64::from(s.get(0xC000)) | u64::from(s.get(0xC004)) << 32, 0);
        assert!(
            u64::from(s.get(0xC004)) << 32 >= PHYS_OFFSET,
            "device addresses, not virtual ones"
        );
    }
    let pool = dev.pool(0).unwrap().clone();
    let (mut tx, mut rx) = (Vec::new(), Vec::new());
    let mut octets = 0;
    for i in 0..200usize {
        let len = 60 + (i * 37) % 1455;
        let mut p = pool.alloc(len).unwrap();
        for (j, b) in p.iter_mut().enumerate() {
            *b = (i ^ j) as u8;
        }
        octets += len as u64 + 4;
        tx.push(p);
        if tx.len() == 16 {
            while !tx.is_empty() {
                dev.tx_batch(0, &mut tx).unwrap();
            }
            dev.rx_batch(0, &mut rx, 64).unwrap();
        }
    }
    while !tx.is_empty() {
        dev.tx_batch(0, &mut tx).unwrap();
    }
    dev.rx_batch(0, &mut rx, 64).unwrap();
    assert_eq!(rx.len(), 200);
    for (i, p) in rx.iter().enumerate() {
        assert_eq!(p.len(), 60 + (i * 37) % 1455);
        assert!(
            p.iter().enumerate().all(|(j, &b)| b == (i ^ j) as u8),
            "frame {i}"
        );
    }
    drop(rx);
    let s = dev.stats().clone();
    assert_eq!((s.tx_packets, s.rx_packets), (200, 200));
    assert_eq!((s.tx_bytes, s.rx_bytes), (octets, octets));
    assert_eq!(s.rx_no_buffer, 0);
    assert_eq!(s.queues[0].rx_packets, 200);
    assert_eq!(s.queues[0].tx_bytes, octets - 4 * 200);
    // Read-to-clear: a second read adds nothing.
    assert_eq!(dev.stats().rx_packets, 200);
}

#[test]
fn receive_without_room_is_counted_by_the_device_not_lost_silently() {
    let hw = fake(Faults::default());
    let mut dev = Device::new(hw.clone(), Arc::new(HeapDma::new()), small()).unwrap();
    let pool = dev.pool(0).unwrap().clone();
    // 63 descriptors are the device's; 70 frames without receiving in between.
    let mut tx = Vec::new();
    for _ in 0..70 {
        tx.push(pool.alloc(60).unwrap());
        while !tx.is_empty() {
            dev.tx_batch(0, &mut tx).unwrap();
        }
    }
    let mut rx = Vec::new();
    dev.rx_batch(0, &mut rx, 128).unwrap();
    assert_eq!(rx.len(), 63);
    let s = dev.stats();
    assert_eq!((s.rx_packets, s.rx_no_buffer), (63, 7));
}

#[test]
fn faults_end_in_typed_errors() {
    type IsExpected = fn(&Error) -> bool;
    let cases: [(Faults, IsExpected); 3] = [
        (
            Faults {
                reset_stuck: true,
                ..Faults::default()
            },
            |e| matches!(e, Error::ResetTimeout(_)),
        ),
        (
            Faults {
                mdic_silent: true,
                ..Faults::default()
            },
            |e| matches!(e, Error::MdicTimeout { reg: 0, .. }),
        ),
        (
            Faults {
                no_link: true,
                ..Faults::default()
            },
            |e| matches!(e, Error::LinkTimeout(_)),
        ),
    ];
    for (f, want) in cases {
        let e = Device::new(fake(f), Arc::new(HeapDma::new()), small())
            .err()
            .expect("init must fail");
        assert!(want(&e), "unexpected error: {e}");
    }
}

#[test]
fn eeprom_auto_read_is_reported_when_signalled() {
    let hw = fake(Faults {
        eeprom_done: true,
        ..Faults::default()
    });
    let dev = Device::new(hw, Arc::new(HeapDma::new()), small()).unwrap();
    assert!(dev.eeprom_auto_read_done());
}

#[test]
fn bad_configuration_is_refused_before_any_access() {
    let hw = fake(Faults::default());
    let cfg = Config {
        rx_ring: 100,
        ..small()
    };
    let e = Device::new(hw.clone(), Arc::new(HeapDma::new()), cfg)
        .err()
        .unwrap();
    assert!(e.to_string().contains("rx_ring = 100"), "{e}");
    assert_eq!(hw.0.lock().unwrap().get(CTRL), 0, "nothing written");
}

#[test]
fn mdic_error_from_a_missing_phy_is_reported() {
    use driver_82576::mdio::Mdio;
    use driver_82576::regs::{phy, Regs};
    let hw = fake(Faults::default());
    let regs = Regs::new(hw);
    let mdio = Mdio::new(&regs, 5, Duration::from_millis(10));
    let p = phy::Regs::new(&mdio);
    let _ = p.BMSR().read();
    let e = mdio.result().unwrap_err();
    assert!(matches!(e, Error::MdicError { reg: 1, .. }), "{e}");
    // The good address reads the model's BMSR.
    let mdio = Mdio::new(&regs, 1, Duration::from_millis(10));
    let v = phy::Regs::new(&mdio).BMSR().read().bits();
    mdio.result().unwrap();
    assert_eq!(v, 0x7949);
}
