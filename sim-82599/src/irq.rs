//! Interrupts (datasheet 7.3): causes (EICR, EICS), masks (EIMS/EIMC), auto-clear (EIAC),
//! auto-mask (EIAM with GPIE.EIAME), the receive queues' causes mapped to vectors by IVAR
//! (7.3.4, 8.2.3.5.16), moderation by EITR (7.3.2.1), and the MSI-X messages a vector sends,
//! delivered as a write of 1 to an eventfd (as VFIO's `VFIO_DEVICE_SET_IRQS` binds a vector
//! to one).
//!
//! What is modelled:
//! - A receive descriptor written back on queue `q` whose `IVAR` entry (`INT_ALLOC0/2` of
//!   `IVAR[q / 2]`) is valid sets `EICR` bit `vector` (the RTxQ bits 15:0 in MSI-X mode; the
//!   same bits in MSI/legacy mode, where they all share one message, vector 0).
//! - A vector owes a message from the moment its cause bit is set (by a queue, an `EICS`
//!   write, or an `EIMS` write that unmasks a set cause). The message goes out when the
//!   cause is still set, the vector is unmasked in `EIMS`, PCIe mastering is on (an MSI-X
//!   message is a memory write) and the vector's `EITR` interval has passed since its last
//!   message (`ITR_INTERVAL` bits 11:3, in 2 us units; 0: no moderation). A held message
//!   is sent by the engine when the interval ends.
//! - On the message: the cause bit is cleared when `EIAC` has it (auto-clear), and the mask
//!   bit is cleared when `GPIE.EIAME` is set and `EIAM` has it (auto-mask, 7.3.1.4), which is
//!   what lets a driver poll without further messages until it re-arms with `EIMS`.
//!
//! Not modelled: vectors 16..63 (the `_EX` registers; an IVAR entry naming one is a strict
//! `Rule::Unmodelled`), transmit queue causes, the "other" causes' messages (`IVAR_MISC`;
//! their `EICR` bits are set), low-latency interrupts.

use crate::card::{PortHw, Shared};
use crate::regs::R;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

/// MSI-X vectors the model delivers (EICR.RTxQ, bits 15:0).
pub const VECTORS: usize = 16;

pub const GPIE_MSIX_MODE: u32 = 1 << 4;
pub const GPIE_EIAME: u32 = 1 << 30;
const QUEUE_BITS: u32 = 0xFFFF;
const IVAR_VALID: u32 = 1 << 7;

/// One port's interrupt state beyond its registers.
#[derive(Default)]
pub(crate) struct Irq {
    /// Vectors that owe a message (their cause was set since their last message).
    owed: AtomicU32,
    /// Owed vectors held back by moderation (the engine sends them when due).
    held: AtomicU32,
    /// Serialises the decision to send, the message and the auto-clear/mask.
    state: Mutex<State>,
    /// Messages sent per vector (for tests and `Sim::irq_count`).
    pub sent: [AtomicU64; VECTORS],
}

#[derive(Default)]
struct State {
    /// The eventfd each vector's messages go to (`None`: the message is lost, as an MSI-X
    /// table entry nobody programmed).
    fds: [Option<OwnedFd>; VECTORS],
    /// Card time (ns) of each vector's last message.
    last: [u64; VECTORS],
}

impl Irq {
    /// Binds (or unbinds) vector `v`'s messages to `fd`.
    pub fn set_fd(&self, v: usize, fd: Option<OwnedFd>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.fds[v] = fd;
    }

    /// Forgets owed messages and moderation (a reset: CTRL.RST clears the interrupt
    /// registers; the eventfds, like the MSI-X table in PCI space, stay bound).
    pub fn reset(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.owed.store(0, Ordering::Release);
        self.held.store(0, Ordering::Release);
        st.last = [0; VECTORS];
    }

    /// Card time (ns) of vector `v`'s last message (0: none yet).
    pub fn last_sent(&self, v: usize) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).last[v]
    }

    pub fn any_held(&self) -> bool {
        self.held.load(Ordering::Acquire) != 0
    }
}

/// The vector of receive queue `q` (`None`: no valid IVAR entry).
pub(crate) fn rx_vector(p: &PortHw, q: u32) -> Option<u32> {
    let ivar = p.regs.get(R::IVAR, (q / 2) & 63);
    let e = if q & 1 == 0 { ivar } else { ivar >> 16 } & 0xFF;
    (e & IVAR_VALID != 0).then_some(e & 0x3F)
}

/// The moderation interval of vector `v` in ns (EITR.ITR_INTERVAL, 2 us units).
fn interval_ns(p: &PortHw, v: u32) -> u64 {
    u64::from((p.regs.get(R::EITR, v) >> 3) & 0x1FF) * 2_000
}

impl Shared {
    /// A receive descriptor of queue `q` was written back (7.3.4: the queue's cause).
    pub(crate) fn rx_cause(&self, p: &PortHw, q: u32) {
        let Some(v) = rx_vector(p, q) else { return };
        if v as usize >= VECTORS {
            return; // flagged when the IVAR entry was written
        }
        self.set_cause(p, 1 << v);
    }

    /// Causes set (queue events, EICS): EICR bits, messages owed.
    pub(crate) fn set_cause(&self, p: &PortHw, bits: u32) {
        p.regs.cell(R::EICR, 0).fetch_or(bits, Ordering::AcqRel);
        let owed = bits & QUEUE_BITS;
        if owed != 0 {
            p.irq.owed.fetch_or(owed, Ordering::AcqRel);
            self.irq_eval(p);
        }
    }

    /// EIMS written: an unmasked cause that is set owes a message.
    pub(crate) fn unmasked(&self, p: &PortHw, bits: u32) {
        let set = bits & p.regs.get(R::EICR, 0) & QUEUE_BITS;
        if set != 0 {
            p.irq.owed.fetch_or(set, Ordering::AcqRel);
        }
        self.irq_eval(p);
    }

    /// Sends every owed message that may go now; holds the ones moderation delays.
    pub(crate) fn irq_eval(&self, p: &PortHw) {
        if p.irq.owed.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut st = p.irq.state.lock().unwrap_or_else(|e| e.into_inner());
        let owed = p.irq.owed.load(Ordering::Acquire);
        if owed == 0 || p.master_disabled() || p.resetting() {
            return;
        }
        let now = self.now();
        let gpie = p.regs.get(R::GPIE, 0);
        let eicr = p.regs.get(R::EICR, 0);
        let eims = p.regs.get(R::EIMS, 0);
        // A cause cleared by software since (EICR read or written) owes nothing any more.
        let mut owed_now = owed & eicr;
        let mut held = 0;
        if gpie & GPIE_MSIX_MODE == 0 {
            // MSI/legacy: one message (vector 0) for any unmasked cause; EITR[0] moderates.
            let ready = owed_now & eims;
            if ready != 0 {
                if now < st.last[0] + interval_ns(p, 0) && st.last[0] != 0 {
                    held = ready;
                } else {
                    self.send(p, &mut st, 0, now, ready, gpie);
                    owed_now &= !ready;
                }
            }
        } else {
            let mut ready = owed_now & eims;
            while ready != 0 {
                let v = ready.trailing_zeros();
                ready &= ready - 1;
                let last = st.last[v as usize];
                if last != 0 && now < last + interval_ns(p, v) {
                    held |= 1 << v;
                    continue;
                }
                self.send(p, &mut st, v as usize, now, 1 << v, gpie);
                owed_now &= !(1 << v);
            }
        }
        // Masked causes stay owed (sent when unmasked).
        p.irq.owed.store(owed_now, Ordering::Release);
        p.irq.held.store(held, Ordering::Release);
    }

    fn send(&self, p: &PortHw, st: &mut State, v: usize, now: u64, bits: u32, gpie: u32) {
        let eiac = p.regs.get(R::EIAC, 0) & bits;
        if eiac != 0 {
            p.regs.cell(R::EICR, 0).fetch_and(!eiac, Ordering::AcqRel);
        }
        if gpie & GPIE_EIAME != 0 {
            let eiam = p.regs.get(R::EIAM, 0) & bits;
            if eiam != 0 {
                p.regs.cell(R::EIMS, 0).fetch_and(!eiam, Ordering::AcqRel);
            }
        }
        st.last[v] = now;
        p.irq.sent[v].fetch_add(1, Ordering::Relaxed);
        if let Some(fd) = &st.fds[v] {
            let one = 1u64.to_ne_bytes();
            // SAFETY: writes 8 bytes from a live buffer to an fd this state owns. An eventfd
            // write fails only when its counter would overflow (the reader is long gone):
            // the message is lost then, as an MSI-X write nobody reads.
            let _ = unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        }
    }

    /// Strict checks of the interrupt registers (7.3, 8.2.3.5).
    pub(crate) fn irq_check(r: R, v: u32) -> Option<(crate::Rule, String)> {
        use crate::Rule;
        match r {
            R::EIMS | R::EICS if v & (1 << 31) != 0 => Some((
                Rule::ReservedBits,
                format!(
                    "{} bit 31 is reserved and must be written 0 (datasheet 8.2.3.5.3/8.2.3.5.4)",
                    r.def().name
                ),
            )),
            R::IVAR => {
                for (k, e) in [v, v >> 8, v >> 16, v >> 24].into_iter().enumerate() {
                    let e = e & 0xFF;
                    if e & (1 << 6) != 0 {
                        return Some((
                            Rule::ReservedBits,
                            format!("IVAR entry {k}: bit 6 is reserved (INT_ALLOC is 5:0, datasheet 8.2.3.5.16)"),
                        ));
                    }
                    if e & IVAR_VALID != 0 && (e & 0x3F) as usize >= VECTORS {
                        return Some((
                            Rule::Unmodelled,
                            format!(
                                "IVAR entry {k} maps to MSI-X vector {}: the simulated card models vectors 0..{} (EICR.RTxQ)",
                                e & 0x3F,
                                VECTORS - 1
                            ),
                        ));
                    }
                }
                None
            }
            // 7.3.1.4: EIAM auto-masks only with GPIE.EIAME; writing EIAM while GPIE leaves
            // it off is harmless, so no rule. EITR's CNT_WDIS and counter are not modelled.
            _ => None,
        }
    }
}
