//! Interrupts (datasheet 7.3): causes (EICR, EICS, EICS_EX), masks (EIMS/EIMC and their
//! `_EX` pairs), auto-clear (EIAC), auto-mask (EIAM/EIAM_EX with GPIE.EIAME), the queues'
//! causes mapped to vectors by IVAR and the other causes by IVAR_MISC (7.3.4, 8.2.3.5),
//! moderation by EITR (7.3.2.1), and the MSI-X messages a vector sends, delivered as a
//! write of 1 to an eventfd (as VFIO's `VFIO_DEVICE_SET_IRQS` binds a vector to one).
//!
//! What is modelled, in MSI-X mode (GPIE.MSIX_MODE):
//! - 64 vectors, each with a queue cause, a mask bit and an auto-mask bit. Vector `v`'s bits
//!   are bit `v % 32` of `EICS_EX`/`EIMS_EX`/`EIMC_EX`/`EIAM_EX[v / 32]` (8.2.3.5).
//!   Vectors 0..15 are also bits 15:0 of `EICR` (RTxQ), `EICS`, `EIMS`, `EIMC` and `EIAM`:
//!   the model reads those bits as the same state as bits 15:0 of the `_EX[0]` registers
//!   (either register sets, clears and reads them; the 82598 has only those 16). Public
//!   82599 drivers use the `_EX` registers for every queue vector, which is right either
//!   way; a driver that puts a vector >= 16 into `EIMS` bits 30:16 enables an other cause
//!   instead (see the strict rules).
//! - A queue's cause: a receive descriptor written back on queue `q` whose IVAR entry
//!   (`INT_ALLOC0/2` of `IVAR[q / 2]`) is valid, or a transmit completion written back on
//!   queue `q` (DD with RS, or the head write-back) whose entry `INT_ALLOC1/3` is valid, sets
//!   its vector's cause (7.3.4).
//! - The other causes (`EICR` bits 30:16; the card sets `LSC`, bit 20, when its link goes up
//!   or down, and `EICS` sets any): each enabled in `EIMS` sends its message on the vector
//!   `IVAR_MISC` names (`INT_ALLOC1` for bits 29:16, `INT_ALLOC0` for the TCP timer, bit 30);
//!   without a valid entry they send nothing (their `EICR` bits are still set). Their
//!   message is gated by their `EIMS` bits only, not by the vector's `EIMS_EX` bit.
//! - A vector owes a message from the moment one of its causes is set (by a queue, a link
//!   change, `EICS`/`EICS_EX`, or a write that enables it while it is set). The message goes
//!   out when the cause is still set, enabled, PCIe mastering is on (an MSI-X message is a
//!   memory write) and the vector's `EITR` interval has passed since its last message
//!   (`ITR_INTERVAL` bits 11:3, in 2 us units; 0: no moderation; `EITR[0..63]`, the first 64
//!   of the 128 entries). A held message is sent by the engine when the interval ends.
//! - On the message: auto-clear of the queue cause: vectors 0..15 when `EIAC` has their bit;
//!   vectors 16..63, which no register shows and `EIAC` has no bit for, always (the only way
//!   their cause ever clears; drivers rely on it). Other causes auto-clear per `EIAC` (bit 30).
//!   Auto-mask (7.3.1.4) with `GPIE.EIAME`: the vector's `EIAM`/`EIAM_EX` bit masks it, an
//!   other cause's `EIAM` bit masks that cause; it is what lets a driver poll without further
//!   messages until it re-arms.
//!
//! In MSI/legacy mode every enabled cause (queue vectors 0..63 and other causes) sends one
//! message, vector 0's, moderated by `EITR[0]`.
//!
//! Strict rules: `EIMS`/`EICS` bit 31 and `IVAR`/`IVAR_MISC` reserved bits are
//! `ReservedBits`; `EITR[64..127]` (VF vectors) and `EITR.LLI_MODERATION` are
//! `Unmodelled`; in MSI-X mode, enabling an other cause in `EIMS` (bits 30:16) while
//! `IVAR_MISC` maps it to no vector is `CauseWithoutVector` (the message can never go; the
//! typical cause is a driver arming vector 16..30 through `EIMS` instead of `EIMS_EX`).
//!
//! Not modelled: low-latency interrupts, `EITR[64..127]` (VF vectors, EITRSEL), the MSI-X
//! table's own mask and PBA (the platform binds each vector to an eventfd instead), the
//! other causes the card never raises by itself (only LSC is raised by the card).

use crate::card::{PortHw, Shared};
use crate::regs::R;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

/// MSI-X vectors of the card (64 in non-IOV mode, 7.3.1).
pub const VECTORS: usize = 64;

pub const GPIE_MSIX_MODE: u32 = 1 << 4;
pub const GPIE_EIAME: u32 = 1 << 30;
/// `EICR`/`EIMS`/... bits that are vectors 0..15 (RTxQ).
const QUEUE_BITS: u32 = 0xFFFF;
/// The other causes (`EICR` bits 30:16; bit 31 is not a cause of its own).
const OTHER_BITS: u32 = 0x7FFF_0000;
/// The TCP timer cause, mapped by `IVAR_MISC.INT_ALLOC0`; the others by `INT_ALLOC1`.
const TCP_TIMER: u32 = 1 << 30;
const IVAR_VALID: u32 = 1 << 7;

/// One port's interrupt state beyond its registers.
pub(crate) struct Irq {
    /// Causes of vectors 16..63 (bit `v`; vectors 0..15's are `EICR` bits 15:0).
    ex_cause: AtomicU64,
    /// Vectors whose queue cause owes a message (set since their last message).
    owed: AtomicU64,
    /// Other causes (`EICR` bits 30:16) that owe a message.
    owed_other: AtomicU32,
    /// Vectors held back by moderation (the engine sends them when due).
    held: AtomicU64,
    /// Serialises the decision to send, the message and the auto-clear/mask.
    state: Mutex<State>,
    /// Messages sent per vector (for tests and `Sim::msix_count`).
    pub sent: [AtomicU64; VECTORS],
}

impl Default for Irq {
    fn default() -> Self {
        Irq {
            ex_cause: AtomicU64::new(0),
            owed: AtomicU64::new(0),
            owed_other: AtomicU32::new(0),
            held: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            sent: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

struct State {
    /// The eventfd each vector's messages go to (`None`: the message is lost, as an MSI-X
    /// table entry nobody programmed).
    fds: [Option<OwnedFd>; VECTORS],
    /// Card time (ns) of each vector's last message.
    last: [u64; VECTORS],
}

impl Default for State {
    fn default() -> Self {
        State {
            fds: std::array::from_fn(|_| None),
            last: [0; VECTORS],
        }
    }
}

impl Irq {
    /// Binds (or unbinds) vector `v`'s messages to `fd`.
    pub fn set_fd(&self, v: usize, fd: Option<OwnedFd>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.fds[v] = fd;
    }

    /// Forgets causes, owed messages and moderation (a reset: CTRL.RST clears the interrupt
    /// registers; the eventfds, like the MSI-X table in PCI space, stay bound).
    pub fn reset(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.ex_cause.store(0, Ordering::Release);
        self.owed.store(0, Ordering::Release);
        self.owed_other.store(0, Ordering::Release);
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

    /// An other cause was set by the card (the link changed): it owes a message.
    pub fn owe_other(&self, bits: u32) {
        self.owed_other
            .fetch_or(bits & OTHER_BITS, Ordering::AcqRel);
    }
}

/// The vector of entry `k` (8 bits each: INT_ALLOC in 5:0, valid in 7) of an `IVAR` or
/// `IVAR_MISC` value (`None`: not valid).
fn entry_vector(reg: u32, k: u32) -> Option<u32> {
    let e = (reg >> (8 * k)) & 0xFF;
    (e & IVAR_VALID != 0).then_some(e & 0x3F)
}

/// The vector of IVAR entry `k` (0..3) of `IVAR[n]` (`None`: not valid).
fn ivar_entry(p: &PortHw, n: u32, k: u32) -> Option<u32> {
    entry_vector(p.regs.get(R::IVAR, n & 63), k)
}

/// The vector of receive queue `q` (`INT_ALLOC0/2` of `IVAR[q / 2]`; `None`: not mapped).
pub(crate) fn rx_vector(p: &PortHw, q: u32) -> Option<u32> {
    ivar_entry(p, q / 2, if q & 1 == 0 { 0 } else { 2 })
}

/// The vector of transmit queue `q` (`INT_ALLOC1/3` of `IVAR[q / 2]`).
pub(crate) fn tx_vector(p: &PortHw, q: u32) -> Option<u32> {
    ivar_entry(p, q / 2, if q & 1 == 0 { 1 } else { 3 })
}

/// The vector `IVAR_MISC` gives the other causes in `bits` (`INT_ALLOC0`: TCP timer,
/// `INT_ALLOC1`: the rest; 8.2.3.5).
fn misc_vector(p: &PortHw, tcp_timer: bool) -> Option<u32> {
    entry_vector(p.regs.get(R::IVAR_MISC, 0), if tcp_timer { 0 } else { 1 })
}

/// A 64-bit vector set from the 16 queue bits of a legacy register and the two `_EX`
/// elements (bits 15:0 of element 0 are the legacy register's).
fn vectors(p: &PortHw, legacy: R, ex: R) -> u64 {
    u64::from(p.regs.get(legacy, 0) & QUEUE_BITS)
        | u64::from(p.regs.get(ex, 0) & !QUEUE_BITS)
        | u64::from(p.regs.get(ex, 1)) << 32
}

/// Vector mask bits (1: enabled).
fn mask(p: &PortHw) -> u64 {
    vectors(p, R::EIMS, R::EIMS_EX)
}

/// Vector causes.
fn cause(p: &PortHw) -> u64 {
    u64::from(p.regs.get(R::EICR, 0) & QUEUE_BITS) | p.irq.ex_cause.load(Ordering::Acquire)
}

/// Applies `f` (set or clear) to the vector bits `v` of a legacy register and its `_EX` pair.
fn update(p: &PortHw, legacy: R, ex: R, v: u64, set: bool) {
    let apply = |cell: &AtomicU32, bits: u32| {
        if bits != 0 {
            if set {
                cell.fetch_or(bits, Ordering::AcqRel);
            } else {
                cell.fetch_and(!bits, Ordering::AcqRel);
            }
        }
    };
    apply(p.regs.cell(legacy, 0), v as u32 & QUEUE_BITS);
    apply(p.regs.cell(ex, 0), v as u32 & !QUEUE_BITS);
    apply(p.regs.cell(ex, 1), (v >> 32) as u32);
}

/// The moderation interval of vector `v` in ns (EITR.ITR_INTERVAL, 2 us units).
fn interval_ns(p: &PortHw, v: u32) -> u64 {
    u64::from((p.regs.get(R::EITR, v) >> 3) & 0x1FF) * 2_000
}

/// The vector bits an `_EX` element `i` covers, from a 32-bit register value.
pub(crate) fn ex_bits(i: u32, v: u32) -> u64 {
    u64::from(v) << (32 * (i & 1))
}

impl Shared {
    /// A receive descriptor of queue `q` was written back (7.3.4: the queue's cause).
    pub(crate) fn rx_cause(&self, p: &PortHw, q: u32) {
        if let Some(v) = rx_vector(p, q) {
            self.set_vectors(p, 1 << v);
        }
    }

    /// A transmit completion of queue `q` was written back (DD or head write-back, 7.3.4).
    pub(crate) fn tx_cause(&self, p: &PortHw, q: u32) {
        if let Some(v) = tx_vector(p, q) {
            self.set_vectors(p, 1 << v);
        }
    }

    /// Vector causes set (queue events, `EICS_EX`): messages owed.
    pub(crate) fn set_vectors(&self, p: &PortHw, v: u64) {
        if v == 0 {
            return;
        }
        let low = v as u32 & QUEUE_BITS;
        if low != 0 {
            p.regs.cell(R::EICR, 0).fetch_or(low, Ordering::AcqRel);
        }
        if v >> 16 != 0 {
            p.irq
                .ex_cause
                .fetch_or(v & !u64::from(QUEUE_BITS), Ordering::AcqRel);
        }
        p.irq.owed.fetch_or(v, Ordering::AcqRel);
        self.irq_eval(p);
    }

    /// `EICS` written: causes set (vectors 0..15 and other causes), messages owed.
    pub(crate) fn set_cause(&self, p: &PortHw, bits: u32) {
        p.regs.cell(R::EICR, 0).fetch_or(bits, Ordering::AcqRel);
        p.irq
            .owed_other
            .fetch_or(bits & OTHER_BITS, Ordering::AcqRel);
        p.irq
            .owed
            .fetch_or(u64::from(bits & QUEUE_BITS), Ordering::AcqRel);
        self.irq_eval(p);
    }

    /// `EIMS` written: enabled causes that are set owe a message.
    pub(crate) fn unmasked(&self, p: &PortHw, bits: u32) {
        let eicr = p.regs.get(R::EICR, 0);
        let other = bits & eicr & OTHER_BITS;
        if other != 0 {
            p.irq.owed_other.fetch_or(other, Ordering::AcqRel);
        }
        self.unmasked_vectors(p, u64::from(bits & QUEUE_BITS));
    }

    /// Vectors enabled (`EIMS` bits 15:0, `EIMS_EX`): a set cause owes a message.
    pub(crate) fn unmasked_vectors(&self, p: &PortHw, v: u64) {
        let set = v & cause(p);
        if set != 0 {
            p.irq.owed.fetch_or(set, Ordering::AcqRel);
        }
        self.irq_eval(p);
    }

    /// `EICS_EX[i]`, `EIMS_EX[i]`, `EIMC_EX[i]`, `EIAM_EX[i]` written (the register's
    /// storage is not written by the caller: bits 15:0 of element 0 live in the legacy
    /// register).
    pub(crate) fn ex_written(&self, p: &PortHw, r: R, i: u32, v: u32) {
        let bits = ex_bits(i, v);
        match r {
            R::EICS_EX => self.set_vectors(p, bits),
            R::EIMS_EX => {
                let old = mask(p);
                update(p, R::EIMS, R::EIMS_EX, bits, true);
                self.unmasked_vectors(p, bits & !old);
            }
            R::EIMC_EX => update(p, R::EIMS, R::EIMS_EX, bits, false),
            R::EIAM_EX => {
                // Read/write: the element's bits are replaced.
                let all = ex_bits(i, u32::MAX);
                update(p, R::EIAM, R::EIAM_EX, all & !bits, false);
                update(p, R::EIAM, R::EIAM_EX, bits, true);
            }
            _ => {}
        }
    }

    /// What `EIMS_EX[i]`/`EIAM_EX[i]` read: element 0's bits 15:0 are the legacy register's.
    pub(crate) fn ex_read(&self, p: &PortHw, r: R, i: u32) -> u32 {
        let legacy = if r == R::EIMS_EX { R::EIMS } else { R::EIAM };
        let v = vectors(p, legacy, r);
        (v >> (32 * (i & 1))) as u32
    }

    /// Sends every owed message that may go now; holds the ones moderation delays.
    pub(crate) fn irq_eval(&self, p: &PortHw) {
        if p.irq.owed.load(Ordering::Acquire) == 0 && p.irq.owed_other.load(Ordering::Acquire) == 0
        {
            return;
        }
        let mut st = p.irq.state.lock().unwrap_or_else(|e| e.into_inner());
        let owed = p.irq.owed.load(Ordering::Acquire);
        let owed_o = p.irq.owed_other.load(Ordering::Acquire);
        if (owed == 0 && owed_o == 0) || p.master_disabled() || p.resetting() {
            return;
        }
        let now = self.now();
        let gpie = p.regs.get(R::GPIE, 0);
        let eicr = p.regs.get(R::EICR, 0);
        let eims = p.regs.get(R::EIMS, 0);
        // A cause cleared by software since (EICR read or written) owes nothing any more.
        let mut owed_now = owed & cause(p);
        let mut owed_o_now = owed_o & eicr & OTHER_BITS;
        let ready = owed_now & mask(p);
        let ready_o = owed_o_now & eims;
        let mut held = 0u64;
        if gpie & GPIE_MSIX_MODE == 0 {
            // MSI/legacy: one message (vector 0) for any enabled cause; EITR[0] moderates.
            if ready != 0 || ready_o != 0 {
                if st.last[0] != 0 && now < st.last[0] + interval_ns(p, 0) {
                    held = 1;
                } else {
                    self.send(p, &mut st, 0, now, ready, ready_o, gpie);
                    owed_now &= !ready;
                    owed_o_now &= !ready_o;
                }
            }
        } else {
            // The other causes' vectors (IVAR_MISC); unmapped ones stay owed.
            let tcp = misc_vector(p, true).filter(|_| ready_o & TCP_TIMER != 0);
            let rest = misc_vector(p, false).filter(|_| ready_o & !TCP_TIMER != 0);
            let bit = |v: Option<u32>| v.map_or(0, |v| 1u64 << v);
            let mut todo = ready | bit(tcp) | bit(rest);
            while todo != 0 {
                let v = todo.trailing_zeros();
                todo &= todo - 1;
                let last = st.last[v as usize];
                if last != 0 && now < last + interval_ns(p, v) {
                    held |= 1 << v;
                    continue;
                }
                let q = ready & (1 << v);
                let mut o = 0;
                if tcp == Some(v) {
                    o |= ready_o & TCP_TIMER;
                }
                if rest == Some(v) {
                    o |= ready_o & !TCP_TIMER;
                }
                self.send(p, &mut st, v as usize, now, q, o, gpie);
                owed_now &= !q;
                owed_o_now &= !o;
            }
        }
        // Masked causes stay owed (sent when enabled). Only the bits of this snapshot that
        // were sent or cleared are taken away: a cause raised since by another thread (the
        // test's `inject` while the card thread evaluates) was ORed in without this lock, and
        // storing the snapshot would lose its message.
        p.irq.owed.fetch_and(!(owed & !owed_now), Ordering::AcqRel);
        p.irq
            .owed_other
            .fetch_and(!(owed_o & !owed_o_now), Ordering::AcqRel);
        p.irq.held.store(held, Ordering::Release);
    }

    /// Vector `v`'s message for queue causes `q` and other causes `o`: auto-clear, auto-mask,
    /// the eventfd write.
    #[allow(clippy::too_many_arguments)]
    fn send(&self, p: &PortHw, st: &mut State, v: usize, now: u64, q: u64, o: u32, gpie: u32) {
        // Auto-clear: EIAC for vectors 0..15 and the other causes; always for 16..63.
        let eiac = p.regs.get(R::EIAC, 0) & ((q as u32 & QUEUE_BITS) | o);
        if eiac != 0 {
            p.regs.cell(R::EICR, 0).fetch_and(!eiac, Ordering::AcqRel);
        }
        let ex = q & !u64::from(QUEUE_BITS);
        if ex != 0 {
            p.irq.ex_cause.fetch_and(!ex, Ordering::AcqRel);
        }
        if gpie & GPIE_EIAME != 0 {
            let am = q & vectors(p, R::EIAM, R::EIAM_EX);
            update(p, R::EIMS, R::EIMS_EX, am, false);
            let amo = p.regs.get(R::EIAM, 0) & o;
            if amo != 0 {
                p.regs.cell(R::EIMS, 0).fetch_and(!amo, Ordering::AcqRel);
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
    pub(crate) fn irq_check(p: &PortHw, r: R, i: u32, v: u32) -> Option<(crate::Rule, String)> {
        use crate::Rule;
        match r {
            R::EIMS | R::EICS if v & (1 << 31) != 0 => Some((
                Rule::ReservedBits,
                format!(
                    "{} bit 31 is reserved and must be written 0 (datasheet 8.2.3.5.3/8.2.3.5.4)",
                    r.def().name
                ),
            )),
            R::EIMS if p.regs.get(R::GPIE, 0) & GPIE_MSIX_MODE != 0 => {
                let mut lost = 0;
                if misc_vector(p, false).is_none() {
                    lost |= v & OTHER_BITS & !TCP_TIMER;
                }
                if misc_vector(p, true).is_none() {
                    lost |= v & TCP_TIMER;
                }
                (lost != 0).then(|| {
                    (
                        Rule::CauseWithoutVector,
                        format!(
                            "EIMS enables other cause(s) {lost:#010x} in MSI-X mode, but IVAR_MISC maps them to no vector: their message can never be sent (map them with IVAR_MISC first; a queue vector 16..63 is enabled with EIMS_EX, not EIMS bits 30:16; datasheet 7.3.1, 8.2.3.5)"
                        ),
                    )
                })
            }
            R::IVAR => {
                for (k, e) in [v, v >> 8, v >> 16, v >> 24].into_iter().enumerate() {
                    if e & (1 << 6) != 0 {
                        return Some((
                            Rule::ReservedBits,
                            format!("IVAR entry {k}: bit 6 is reserved (INT_ALLOC is 5:0, datasheet 8.2.3.5.16)"),
                        ));
                    }
                }
                None
            }
            R::IVAR_MISC if v & !0x0000_BFBF != 0 => Some((
                Rule::ReservedBits,
                format!(
                    "IVAR_MISC {v:#010x}: bits 6, 14 and 31:16 are reserved (datasheet 8.2.3.5)"
                ),
            )),
            R::EITR if i >= VECTORS as u32 && v != 0 => Some((
                Rule::Unmodelled,
                format!("EITR[{i}] is a VF vector's (EITRSEL): the simulated card models EITR[0..63] of the 64 PF vectors"),
            )),
            R::EITR if v & (1 << 15) != 0 => Some((
                Rule::Unmodelled,
                format!("EITR[{i}].LLI_MODERATION: low-latency interrupts are not modelled"),
            )),
            // 7.3.1.4: EIAM auto-masks only with GPIE.EIAME; writing EIAM while GPIE leaves
            // it off is harmless, so no rule. EITR's CNT_WDIS and counter are not modelled.
            _ => None,
        }
    }
}
