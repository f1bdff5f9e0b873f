//! The driver's memory and the card's DMA: strict-mode checks that the driver stops the card
//! before it releases memory the card may write (issue 14.1).
//!
//! - A region released while an enabled queue still uses it (its descriptor ring, or the
//!   buffer of a receive or transmit descriptor handed to the card, between head and tail) is
//!   flagged when it is released ([`Rule::ReleasedWhileInUse`]).
//! - The card about to write into released memory (a receive buffer or descriptor ring, a
//!   transmit descriptor ring's write-back) is flagged ([`Rule::DmaIntoReleasedMemory`]); the
//!   write is not made and the queue stops.

use crate::card::{PortHw, Shared};
use crate::dma;
use crate::regs::R;
use crate::strict::Rule;
use regdsl_rt::Dir;

impl Shared {
    /// The driver released `phys..phys + len`.
    pub(crate) fn check_release(&self, phys: u64, len: usize) {
        if !self.cfg.strict {
            return;
        }
        let end = phys.saturating_add(len as u64);
        let hit = |a: u64, n: u64| a < end && phys < a.saturating_add(n);
        for p in &self.ports {
            if p.resetting() {
                continue;
            }
            for q in 0..128u32 {
                if p.rx_en.test(q) {
                    self.check_queue(p, q, true, phys, len, &hit);
                }
                if p.tx_en.test(q) {
                    self.check_queue(p, q, false, phys, len, &hit);
                }
            }
        }
    }

    fn check_queue(
        &self,
        p: &PortHw,
        q: u32,
        rx: bool,
        phys: u64,
        len: usize,
        hit: &dyn Fn(u64, u64) -> bool,
    ) {
        let (bal, bah, rlen, head, tail, dir) = if rx {
            (R::RDBAL, R::RDBAH, R::RDLEN, R::RDH, R::RDT, "RX")
        } else {
            (R::TDBAL, R::TDBAH, R::TDLEN, R::TDH, R::TDT, "TX")
        };
        let base = u64::from(p.regs.get(bal, q)) | (u64::from(p.regs.get(bah, q)) << 32);
        let bytes = u64::from(p.regs.get(rlen, q));
        if bytes == 0 {
            return;
        }
        let off = bal.def().addr(q);
        let what = if hit(base, bytes) {
            Some(format!(
                "the driver released {phys:#x}..{:#x}, which holds the descriptor ring of {dir} queue {q} ({base:#x}, {bytes} bytes), while the queue is enabled: disable the queue and wait for ENABLE to read 0 first",
                phys + len as u64
            ))
        } else {
            // Descriptors the card owns (head up to tail): a receive buffer may be written
            // into at any time, a transmit buffer read (and sent) at any time.
            let count = (bytes / 16) as u32;
            let (h, t) = (p.regs.get(head, q), p.regs.get(tail, q));
            let ring = self.mem.translate(base, bytes as usize);
            let mut i = h;
            let mut found = None;
            while let (Some(ring), true) = (ring, i != t && h < count && t < count) {
                let addr = dma::rd64(ring.wrapping_add(i as usize * 16), 0);
                // A transmit context descriptor holds no buffer address.
                let context = !rx && {
                    let cmd = dma::rd32(ring.wrapping_add(i as usize * 16), 8);
                    cmd & (1 << 29) != 0 && (cmd >> 20) & 0xF == 0x2
                };
                if hit(addr, 1) && !context {
                    found = Some(format!(
                        "the driver released {phys:#x}..{:#x}, which holds the buffer ({addr:#x}) of {dir} queue {q}'s descriptor {i}, handed to the card and not {}, while the queue is enabled: disable the queue and wait for ENABLE to read 0 first",
                        phys + len as u64,
                        if rx { "written back" } else { "sent" }
                    ));
                    break;
                }
                i = if i + 1 == count { 0 } else { i + 1 };
            }
            found
        };
        if let Some(detail) = what {
            self.violation(p, Dir::W, off, 0, Rule::ReleasedWhileInUse, detail);
        }
    }

    /// Whether the card may write `addr..addr + len` for `what` of queue `q`: `false` (and a
    /// violation in strict mode) when the driver released that memory.
    pub(crate) fn may_write(&self, p: &PortHw, what: &str, q: u32, addr: u64, len: usize) -> bool {
        let Some((a, b)) = self.mem.released_overlap(addr, len) else {
            return true;
        };
        if self.cfg.strict {
            let reg = if what.starts_with("RX") {
                R::RDBAL
            } else {
                R::TDBAL
            };
            self.violation(
                p,
                Dir::W,
                reg.def().addr(q),
                0,
                Rule::DmaIntoReleasedMemory,
                format!(
                    "the card was to write {what} of queue {q} at {addr:#x} ({len} bytes), memory the driver released ({a:#x}..{b:#x}); the queue is stopped"
                ),
            );
        }
        false
    }
}
