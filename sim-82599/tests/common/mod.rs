//! Test helpers: raw register access by name and minimal RX/TX rings written by hand
//! (no driver), as a driver would lay them out.
#![allow(dead_code, unused_imports)]

use dma::{DmaMemory, DmaRegion};
use regdsl_rt::{Bus, Site};
use sim_82599::regs::R;
use sim_82599::{Port, Sim};
use std::time::Duration;
pub use testkit::frame::{counting, ipv4};

pub fn off(r: R, i: u32) -> usize {
    r.def().addr(i)
}
pub fn w(p: &Port, r: R, i: u32, v: u32) {
    p.write32(off(r, i), v, Site::UNNAMED)
}
pub fn rd(p: &Port, r: R, i: u32) -> u32 {
    p.read32(off(r, i), Site::UNNAMED)
}

/// A card whose links come up at once.
pub fn sim(ports: usize) -> Sim {
    Sim::builder()
        .ports(ports)
        .link_delay(Duration::ZERO)
        .reset_delay(Duration::ZERO)
        .build()
}

/// What a driver does once it has the card, before it enables anything: CTRL_EXT.DRV_LOAD
/// (8.2.3.1.3) and the filter tables the reset leaves undefined cleared (RAL/RAH[1..127], MTA,
/// VFTA, 5-tuple filters; 4.6.7). Strict mode flags receive or a queue enabled without them.
pub fn take_control(p: &Port) {
    let ext = rd(p, R::CTRL_EXT, 0);
    if ext & DRV_LOAD != 0 {
        return;
    }
    w(p, R::CTRL_EXT, 0, ext | DRV_LOAD);
    for i in 1..128 {
        w(p, R::RAL, i, 0);
        w(p, R::RAH, i, 0);
    }
    for r in [R::MTA, R::VFTA, R::FTQF, R::SAQF, R::DAQF, R::SDPQF] {
        for i in 0..128 {
            w(p, r, i, 0);
        }
    }
}

pub const DRV_LOAD: u32 = 1 << 28;

/// Takes SW_FW_SYNC.SW_MAC_CSR_SM (datasheet 10.5.4: SWSM.SMBI by reading 0, SWSM.SWESMBI
/// set, SW_FW_SYNC's bit set, SWSM given back), as a driver does before it writes AUTOC or
/// AUTOC2; strict mode flags those writes without it.
pub fn hold_mac_csr(p: &Port) {
    assert_eq!(rd(p, R::SWSM, 0) & 1, 0, "SWSM.SMBI free");
    w(p, R::SWSM, 0, 0b11);
    assert_eq!(rd(p, R::SWSM, 0) & 0b11, 0b11, "SWSM.SWESMBI held");
    let sync = rd(p, R::GSSR, 0);
    w(p, R::GSSR, 0, sync | (1 << 3));
    w(p, R::SWSM, 0, 0);
}

/// A global reset as the datasheet asks (5.2.5.3.2, 4.6.3.2): PCIe master disabled and its
/// requests drained (STATUS.PCIE_MASTER_ENABLE_STATUS reads 0), then CTRL.RST.
pub fn reset(p: &Port) {
    w(p, R::CTRL, 0, 1 << 2);
    assert_eq!(
        rd(p, R::STATUS, 0) & (1 << 19),
        0,
        "master requests drained"
    );
    w(p, R::CTRL, 0, (1 << 2) | (1 << 26));
}

/// Receive on: FCTRL first (while RXEN = 0), then RXEN with the Rx security path halted.
pub fn rx_enable(p: &Port, fctrl: u32) {
    w(p, R::FCTRL, 0, fctrl);
    rxen_halted(p);
}

/// RXCTRL.RXEN = 1 as the datasheet prescribes (4.6.7): SECRXCTRL.RX_DIS set, SECRXSTAT.SECRX_RDY
/// awaited (at once on a card that is not threaded; on a threaded one, once the engine pass
/// running when RX_DIS was set has ended, which on a loaded machine can take a while), RXEN
/// set, RX_DIS cleared.
pub fn rxen_halted(p: &Port) {
    take_control(p);
    let sec = rd(p, R::SECRXCTRL, 0);
    w(p, R::SECRXCTRL, 0, sec | RX_DIS);
    let t = std::time::Instant::now();
    while rd(p, R::SECRXSTAT, 0) & SECRX_RDY == 0 && t.elapsed() < std::time::Duration::from_secs(5)
    {
        std::thread::yield_now();
    }
    assert_eq!(rd(p, R::SECRXSTAT, 0) & SECRX_RDY, SECRX_RDY);
    w(p, R::RXCTRL, 0, 1);
    w(p, R::SECRXCTRL, 0, sec & !RX_DIS);
}

pub const RX_DIS: u32 = 1 << 1;
pub const SECRX_RDY: u32 = 1 << 0;

pub const BAM: u32 = 1 << 10;
pub const MPE: u32 = 1 << 8;
pub const UPE: u32 = 1 << 9;
pub const ENABLE: u32 = 1 << 25;
pub const DROP_EN: u32 = 1 << 28;
pub const ADV_ONEBUF: u32 = 1 << 25;

pub struct Rx {
    pub ring: DmaRegion,
    pub bufs: DmaRegion,
    pub count: u32,
    pub bsize: usize,
    pub q: u32,
    pub next: u32,
}

pub struct Got {
    pub data: Vec<u8>,
    pub status: u32,
    pub len: u32,
    pub lo: u32,
    pub hash: u32,
}

fn rw64(p: *mut u8, v: u64) {
    // SAFETY: tests pass pointers inside a DmaRegion they own.
    unsafe { core::ptr::write_volatile(p as *mut u64, v) }
}
fn rr32(p: *mut u8) -> u32 {
    // SAFETY: as in `rw64`.
    unsafe { core::ptr::read_volatile(p as *const u32) }
}
fn ww32(p: *mut u8, v: u32) {
    // SAFETY: as in `rw64`.
    unsafe { core::ptr::write_volatile(p as *mut u32, v) }
}

impl Rx {
    /// Ring of `count` descriptors with `bsize_kb` KiB buffers; enables the queue and gives
    /// the card `count - 1` descriptors.
    pub fn setup(
        p: &Port,
        dma: &dyn DmaMemory,
        q: u32,
        count: u32,
        bsize_kb: u32,
        srrctl_extra: u32,
    ) -> Rx {
        take_control(p);
        let bsize = bsize_kb as usize * 1024;
        let ring = dma.alloc(count as usize * 16, 128).unwrap();
        let bufs = dma.alloc(count as usize * bsize, 128).unwrap();
        w(p, R::RDBAL, q, ring.phys() as u32);
        w(p, R::RDBAH, q, (ring.phys() >> 32) as u32);
        w(p, R::RDLEN, q, count * 16);
        w(p, R::SRRCTL, q, ADV_ONEBUF | bsize_kb | srrctl_extra);
        let rx = Rx {
            ring,
            bufs,
            count,
            bsize,
            q,
            next: 0,
        };
        for i in 0..count {
            rx.arm(i);
        }
        w(p, R::RXDCTL, q, ENABLE);
        w(p, R::RDT, q, count - 1);
        rx
    }

    pub fn desc(&self, i: u32) -> *mut u8 {
        self.ring.virt().wrapping_add(i as usize * 16)
    }

    /// Write the read format of descriptor `i` (buffer address, header address 0).
    pub fn arm(&self, i: u32) {
        let d = self.desc(i);
        rw64(d, self.bufs.phys() + (i as usize * self.bsize) as u64);
        rw64(d.wrapping_add(8), 0);
    }

    /// Every completed frame (descriptors up to EOP), re-arming the descriptors.
    pub fn poll(&mut self, p: &Port) -> Vec<Got> {
        let mut out = Vec::new();
        let mut cur: Option<Got> = None;
        loop {
            let d = self.desc(self.next);
            let status = rr32(d.wrapping_add(8));
            if status & 1 == 0 {
                break;
            }
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            let len = rr32(d.wrapping_add(12)) & 0xFFFF;
            let lo = rr32(d);
            let hash = rr32(d.wrapping_add(4));
            let g = cur.get_or_insert(Got {
                data: Vec::new(),
                status,
                len: 0,
                lo,
                hash,
            });
            let n = (len as usize).min(self.bsize);
            let buf = self
                .bufs
                .virt()
                .wrapping_add(self.next as usize * self.bsize);
            let mut tmp = vec![0u8; n];
            // SAFETY: the card handed this buffer back (DD seen, acquire fence above).
            unsafe { core::ptr::copy_nonoverlapping(buf, tmp.as_mut_ptr(), n) };
            g.data.extend_from_slice(&tmp);
            g.len += len;
            g.status = status;
            self.arm(self.next);
            w(p, R::RDT, self.q, self.next);
            self.next = (self.next + 1) % self.count;
            if status & 2 != 0 {
                out.extend(cur.take());
            }
        }
        out
    }
}

pub struct Tx {
    pub ring: DmaRegion,
    pub bufs: DmaRegion,
    pub count: u32,
    pub q: u32,
    pub tail: u32,
}

pub const TX_CMD: u32 = (1 << 24) | (1 << 25) | (1 << 27) | (1 << 29) | (0x3 << 20);

impl Tx {
    /// Ring of `count` descriptors with 2 KiB buffers; TE set (read-modify-write), queue on.
    pub fn setup(p: &Port, dma: &dyn DmaMemory, q: u32, count: u32) -> Tx {
        take_control(p);
        let ring = dma.alloc(count as usize * 16, 128).unwrap();
        let bufs = dma.alloc(count as usize * 2048, 128).unwrap();
        w(p, R::TDBAL, q, ring.phys() as u32);
        w(p, R::TDBAH, q, (ring.phys() >> 32) as u32);
        w(p, R::TDLEN, q, count * 16);
        let d = rd(p, R::DMATXCTL, 0);
        w(p, R::DMATXCTL, 0, d | 1);
        w(p, R::TXDCTL, q, ENABLE);
        Tx {
            ring,
            bufs,
            count,
            q,
            tail: 0,
        }
    }

    pub fn desc(&self, i: u32) -> *mut u8 {
        self.ring.virt().wrapping_add(i as usize * 16)
    }

    /// Put one frame in the next descriptor with `cmd` (length added) and publish it.
    pub fn send_cmd(&mut self, p: &Port, frame: &[u8], cmd: u32, publish: bool) {
        let i = self.tail;
        let buf = self.bufs.virt().wrapping_add(i as usize * 2048);
        // SAFETY: the buffer belongs to descriptor `i`, not yet handed to the card.
        unsafe { core::ptr::copy_nonoverlapping(frame.as_ptr(), buf, frame.len()) };
        let d = self.desc(i);
        rw64(d, self.bufs.phys() + i as u64 * 2048);
        ww32(d.wrapping_add(8), cmd | frame.len() as u32);
        ww32(d.wrapping_add(12), (frame.len() as u32) << 14);
        self.tail = (self.tail + 1) % self.count;
        if publish {
            std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
            w(p, R::TDT, self.q, self.tail);
        }
    }

    pub fn send(&mut self, p: &Port, frame: &[u8]) {
        self.send_cmd(p, frame, TX_CMD, true)
    }

    pub fn dd(&self, i: u32) -> bool {
        rr32(self.desc(i).wrapping_add(12)) & 1 != 0
    }
}

pub const MAC0: [u8; 6] = [0x02, 0x00, 0x00, 0x82, 0x59, 0x00];
pub const MAC1: [u8; 6] = [0x02, 0x00, 0x00, 0x82, 0x59, 0x01];
