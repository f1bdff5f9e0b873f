//! The card's state shared between the driver's register accesses and the engines: register
//! files, queue enable bits, timers (reset, link), faults, strict-mode records, trace.

use crate::dma::{DmaFault, SimMemory};
use crate::fault::FaultState;
use crate::regs::{self, Decoded, Kind, RegFile, R};
use crate::secrx::SecRx;
use crate::strict::{Rule, Violation};
use crate::trace::Tracer;
use regdsl_rt::{Dir, Site};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A set of queues (128 bits), lock-free.
#[derive(Default)]
pub(crate) struct QueueBits([AtomicU64; 2]);

impl QueueBits {
    pub fn set(&self, q: u32, on: bool) {
        let (w, b) = ((q / 64) as usize & 1, 1u64 << (q % 64));
        if on {
            self.0[w].fetch_or(b, Ordering::AcqRel);
        } else {
            self.0[w].fetch_and(!b, Ordering::AcqRel);
        }
    }
    pub fn test(&self, q: u32) -> bool {
        self.0[(q / 64) as usize & 1].load(Ordering::Acquire) & (1 << (q % 64)) != 0
    }
    pub fn clear(&self) {
        self.0[0].store(0, Ordering::Release);
        self.0[1].store(0, Ordering::Release);
    }
    pub fn snapshot(&self) -> [u64; 2] {
        [
            self.0[0].load(Ordering::Acquire),
            self.0[1].load(Ordering::Acquire),
        ]
    }
}

/// Time as the card sees it: real, or advanced by hand (`Sim::advance`).
pub(crate) enum Clock {
    Real(Instant),
    Manual(AtomicU64),
}

impl Clock {
    pub fn now(&self) -> u64 {
        match self {
            // +1 so that 0 can mean "no deadline".
            Clock::Real(t) => t.elapsed().as_nanos() as u64 + 1,
            Clock::Manual(n) => n.load(Ordering::Acquire) + 1,
        }
    }
}

/// Counts the model keeps for itself (not registers): what left the card and where frames
/// were lost outside the datasheet's counters.
#[derive(Default)]
pub(crate) struct ModelStats {
    pub tx_frames: AtomicU64,
    pub rx_frames: AtomicU64,
    pub lost_link_down: AtomicU64,
    pub lost_rx_disabled: AtomicU64,
    pub filtered: AtomicU64,
    pub dma_error_drops: AtomicU64,
    pub no_descriptor: AtomicU64,
    pub missed: AtomicU64,
    pub sink_errors: AtomicU64,
    pub offload_drops: AtomicU64,
}

pub(crate) struct PortHw {
    pub idx: usize,
    pub regs: RegFile,
    /// ENABLE as last written to RXDCTL/TXDCTL.
    pub rx_en: QueueBits,
    pub tx_en: QueueBits,
    /// Queues stopped by a DMA fault on a bad address (cleared by re-enabling).
    pub rx_stop: QueueBits,
    pub tx_stop: QueueBits,
    /// TDH read since the last TDT write: the driver looked at what the card had not sent
    /// (strict mode: [`Rule::TxDisabledWithPending`]).
    pub tx_head_read: QueueBits,
    pub reset_at: AtomicU64,
    pub link_at: AtomicU64,
    /// The link as the port reports it (LINKS, STATUS): up when this end's PHY is up and,
    /// cabled to another port ([`crate::Wire::Pair`]), that end's too: one cable, one link.
    pub link_up: AtomicBool,
    /// This end's own link state, as its timers and faults drive it.
    pub phy_up: AtomicBool,
    /// The port at the other end of a `Wire::Pair` cable (`NO_PEER`: none).
    pub peer: std::sync::atomic::AtomicUsize,
    pub faults: FaultState,
    /// Bumped by writes to registers the RX filter/RSS snapshot depends on.
    pub cfg_gen: AtomicU64,
    /// Bumped by every reset: engines drop what they hold.
    pub reset_gen: AtomicU64,
    pub tracer: Tracer,
    pub model: ModelStats,
    /// The Rx security path's halt handshake (datasheet 4.6.7).
    pub secrx: SecRx,
    /// Per TX queue: its rate scheduler configuration (RTTBCNRC as written with RTTDQSEL
    /// selecting the queue, 8.2.3.10.16).
    pub rate: Box<[AtomicU32]>,
    /// Per TX queue: the card time (ps) from which a rate-limited queue may send again; set to
    /// now when its RTTBCNRC is written (the scheduler starts afresh).
    pub rate_next: Box<[AtomicU64]>,
    /// Per TX queue: the card time (ps) since which a rate-limited queue is known empty (the
    /// step that sent its last descriptor or found it empty, or its RTTBCNRC write), or
    /// `u64::MAX`.
    pub rate_idle: Box<[AtomicU64]>,
    /// Per TX queue: the card time (ps) of the last TDT write of a rate-limited queue, or
    /// `u64::MAX`: where its idle time ends (tx.rs).
    pub rate_fill: Box<[AtomicU64]>,
    /// The Flow Director filter table (datasheet 7.1.2.7).
    pub fdir: Mutex<crate::fdir::Table>,
    /// `Shared::passes` when CTRL.PCIE_MASTER_DISABLE last went 0 -> 1 (odd: a pass, which
    /// may still issue DMA, was running).
    pub master_pass: AtomicU64,
    /// STATUS.PCIE_MASTER_ENABLE_STATUS was read as 0 since the master was disabled: no
    /// request can be pending (what a reset needs, 5.2.5.3.2).
    pub master_idle_seen: AtomicBool,
    /// Filter-table elements written since power-up (their values are undefined until then).
    pub written: Written,
    /// Interrupt state beyond the registers: owed messages, moderation, the vectors' eventfds.
    pub irq: crate::irq::Irq,
}

/// The filter tables a reset leaves undefined (datasheet 8.2.3.7: RAL/RAH[1..127], MTA, VFTA,
/// the 5-tuple filters), as bit sets of the elements written since power-up.
#[derive(Default)]
pub(crate) struct Written {
    pub ral: QueueBits,
    pub rah: QueueBits,
    pub mta: QueueBits,
    pub vfta: QueueBits,
    pub ftqf: QueueBits,
    pub saqf: QueueBits,
    pub daqf: QueueBits,
    pub sdpqf: QueueBits,
}

impl Written {
    fn bits(&self, r: R) -> Option<&QueueBits> {
        Some(match r {
            R::RAL => &self.ral,
            R::RAH => &self.rah,
            R::MTA => &self.mta,
            R::VFTA => &self.vfta,
            R::FTQF => &self.ftqf,
            R::SAQF => &self.saqf,
            R::DAQF => &self.daqf,
            R::SDPQF => &self.sdpqf,
            _ => return None,
        })
    }
    /// The first table with an element not yet written (RAL/RAH from 1: entry 0 is loaded
    /// from the EEPROM), as `NAME[i]`.
    pub fn first_unwritten(&self) -> Option<String> {
        let tables = [
            (R::RAL, &self.ral, 1),
            (R::RAH, &self.rah, 1),
            (R::MTA, &self.mta, 0),
            (R::VFTA, &self.vfta, 0),
            (R::FTQF, &self.ftqf, 0),
            (R::SAQF, &self.saqf, 0),
            (R::DAQF, &self.daqf, 0),
            (R::SDPQF, &self.sdpqf, 0),
        ];
        for (r, bits, from) in tables {
            if let Some(i) = (from..128u32).find(|&i| !bits.test(i)) {
                return Some(format!("{}[{i}]", r.def().name));
            }
        }
        None
    }
}

/// `PortHw::peer` of a port with no `Wire::Pair` cable.
pub(crate) const NO_PEER: usize = usize::MAX;

pub(crate) struct Config {
    pub strict: bool,
    pub reset_ns: u64,
    pub link_ns: u64,
}

pub(crate) struct Shared {
    pub ports: Vec<PortHw>,
    pub mem: Arc<SimMemory>,
    pub cfg: Config,
    pub clock: Clock,
    pub violations: Mutex<Vec<Violation>>,
    pub dma_faults: Mutex<Vec<DmaFault>>,
    pub stop: AtomicBool,
    /// Bumped by tail writes, to wake an idle engine thread.
    pub doorbell: AtomicU64,
    /// Engine passes begun and ended: odd while a pass runs (see `secrx`).
    pub passes: AtomicU64,
}

impl PortHw {
    pub fn new(idx: usize, mac: [u8; 6]) -> PortHw {
        PortHw {
            idx,
            regs: RegFile::new(idx as u32, mac),
            rx_en: QueueBits::default(),
            tx_en: QueueBits::default(),
            rx_stop: QueueBits::default(),
            tx_stop: QueueBits::default(),
            tx_head_read: QueueBits::default(),
            reset_at: AtomicU64::new(0),
            link_at: AtomicU64::new(0),
            link_up: AtomicBool::new(false),
            phy_up: AtomicBool::new(false),
            peer: std::sync::atomic::AtomicUsize::new(NO_PEER),
            faults: FaultState::default(),
            cfg_gen: AtomicU64::new(1),
            reset_gen: AtomicU64::new(0),
            tracer: Tracer::default(),
            model: ModelStats::default(),
            secrx: SecRx::default(),
            rate: (0..128).map(|_| AtomicU32::new(0)).collect(),
            rate_next: (0..128).map(|_| AtomicU64::new(0)).collect(),
            rate_idle: (0..128).map(|_| AtomicU64::new(u64::MAX)).collect(),
            rate_fill: (0..128).map(|_| AtomicU64::new(u64::MAX)).collect(),
            fdir: Mutex::new(crate::fdir::Table::default()),
            master_pass: AtomicU64::new(0),
            master_idle_seen: AtomicBool::new(false),
            written: Written::default(),
            irq: crate::irq::Irq::default(),
        }
    }

    /// CTRL.PCIE_MASTER_DISABLE: the card issues no new DMA (datasheet 5.2.5.3.2).
    pub fn master_disabled(&self) -> bool {
        self.regs.get(R::CTRL, 0) & regs::CTRL_PCIE_MASTER_DISABLE != 0
    }

    pub fn resetting(&self) -> bool {
        self.regs.get(R::CTRL, 0) & (regs::CTRL_RST | regs::CTRL_LRST) != 0
    }

    /// Descriptors in the RX ring of `q` (0 when RDLEN is not set).
    pub fn rx_count(&self, q: u32) -> u32 {
        self.regs.get(R::RDLEN, q) / 16
    }
    pub fn tx_count(&self, q: u32) -> u32 {
        self.regs.get(R::TDLEN, q) / 16
    }

    /// An RX queue runs once enabled with a ring, not stopped, not in reset.
    pub fn rx_can_run(&self, q: u32) -> bool {
        self.rx_en.test(q)
            && self.rx_count(q) != 0
            && !self.rx_stop.test(q)
            && !self.resetting()
            && !self.master_disabled()
    }
    /// A TX queue also needs DMATXCTL.TE (datasheet 4.6.8).
    pub fn tx_can_run(&self, q: u32) -> bool {
        self.tx_en.test(q)
            && self.tx_count(q) != 0
            && !self.tx_stop.test(q)
            && self.regs.get(R::DMATXCTL, 0) & regs::DMATXCTL_TE != 0
            && !self.resetting()
            && !self.master_disabled()
    }

    pub fn set_link(&self, up: bool) {
        if self.link_up.swap(up, Ordering::AcqRel) == up {
            return;
        }
        self.regs
            .set(R::LINKS, 0, if up { regs::LINKS_UP_VALUE } else { 0 });
        let st = self.regs.cell(R::STATUS, 0);
        if up {
            st.fetch_or(regs::STATUS_LINK_UP, Ordering::AcqRel);
        } else {
            st.fetch_and(!regs::STATUS_LINK_UP, Ordering::AcqRel);
        }
        // Link status change interrupt cause (datasheet 8.2.3.5.1): it owes a message
        // (irq.rs; sent by `Shared::set_phy`).
        self.regs
            .cell(R::EICR, 0)
            .fetch_or(regs::EICR_LSC, Ordering::AcqRel);
        self.irq.owe_other(regs::EICR_LSC);
    }
}

impl Shared {
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Run due timers of a port and of the other end of its cable (whose PHY its link
    /// depends on): reset completion, link up/down.
    pub fn poll_timers(&self, p: &PortHw) {
        self.poll_port_timers(p);
        if let Some(q) = self.peer_of(p) {
            self.poll_port_timers(q);
        }
    }

    fn poll_port_timers(&self, p: &PortHw) {
        let r = p.reset_at.load(Ordering::Acquire);
        let l = p.link_at.load(Ordering::Acquire);
        if r == 0 && l == 0 {
            return;
        }
        let now = self.now();
        if r != 0
            && now >= r
            && !p.faults.reset_never.load(Ordering::Relaxed)
            && p.reset_at
                .compare_exchange(r, 0, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            // Reset done: RST/LRST self-clear, EEPROM auto-read and DMA init done
            // (datasheet 4.6.3), and the link is brought up again.
            p.regs
                .cell(R::CTRL, 0)
                .fetch_and(!(regs::CTRL_RST | regs::CTRL_LRST), Ordering::AcqRel);
            p.regs
                .cell(R::EEC, 0)
                .fetch_or(regs::EEC_ARD, Ordering::AcqRel);
            p.regs
                .cell(R::RDRXCTL, 0)
                .fetch_or(regs::RDRXCTL_DMAIDONE, Ordering::AcqRel);
            self.arm_link(p, now);
        }
        if l != 0
            && now >= l
            && p.link_at
                .compare_exchange(l, 0, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            let flap = p.faults.flap_ns.load(Ordering::Relaxed);
            if p.faults.link_never.load(Ordering::Relaxed)
                || p.faults.an_restarts.load(Ordering::Relaxed) != 0
            {
                self.set_phy(p, false);
            } else if !p.phy_up.load(Ordering::Acquire) {
                self.set_phy(p, true);
                if flap != 0 {
                    p.link_at.store(now + flap, Ordering::Release);
                }
            } else if flap != 0 {
                self.set_phy(p, false);
                p.link_at.store(now + flap, Ordering::Release);
            }
        }
    }

    /// The other end of `p`'s `Wire::Pair` cable.
    pub fn peer_of(&self, p: &PortHw) -> Option<&PortHw> {
        self.ports.get(p.peer.load(Ordering::Acquire))
    }

    /// This end's PHY goes up or down; the link of both ends of a cable follows (up only when
    /// both PHYs are).
    pub fn set_phy(&self, p: &PortHw, up: bool) {
        p.phy_up.store(up, Ordering::Release);
        let both = |a: &PortHw| {
            let peer_up = match self.peer_of(a) {
                Some(b) => b.phy_up.load(Ordering::Acquire),
                None => true,
            };
            a.phy_up.load(Ordering::Acquire) && peer_up
        };
        p.set_link(both(p));
        self.irq_eval(p);
        if let Some(q) = self.peer_of(p) {
            q.set_link(both(q));
            self.irq_eval(q);
        }
    }

    pub fn arm_link(&self, p: &PortHw, now: u64) {
        p.link_at
            .store(now + self.cfg.link_ns.max(1), Ordering::Release);
    }

    fn begin_reset(&self, p: &PortHw, bits: u32) {
        p.regs.restore();
        p.master_idle_seen.store(false, Ordering::Release);
        p.rx_en.clear();
        p.tx_en.clear();
        p.rx_stop.clear();
        p.tx_stop.clear();
        p.tx_head_read.clear();
        p.secrx.reset();
        p.irq.reset();
        for r in p.rate.iter() {
            r.store(0, Ordering::Release);
        }
        *p.fdir.lock().unwrap_or_else(|e| e.into_inner()) = crate::fdir::Table::default();
        p.link_at.store(0, Ordering::Release);
        p.link_up.store(false, Ordering::Release);
        p.phy_up.store(false, Ordering::Release);
        // The other end of the cable loses the link with this one.
        if let Some(q) = self.peer_of(p) {
            self.set_phy(q, q.phy_up.load(Ordering::Acquire));
        }
        p.regs.set(R::CTRL, 0, bits);
        p.regs
            .cell(R::EEC, 0)
            .fetch_and(!regs::EEC_ARD, Ordering::AcqRel);
        p.regs
            .cell(R::RDRXCTL, 0)
            .fetch_and(!regs::RDRXCTL_DMAIDONE, Ordering::AcqRel);
        p.reset_gen.fetch_add(1, Ordering::AcqRel);
        p.cfg_gen.fetch_add(1, Ordering::AcqRel);
        p.reset_at
            .store(self.now() + self.cfg.reset_ns.max(1), Ordering::Release);
    }

    pub fn violation(&self, p: &PortHw, dir: Dir, off: usize, v: u32, rule: Rule, detail: String) {
        let (name, index) = regs::lookup(off).unwrap_or(("?", None));
        let v = Violation {
            port: p.idx,
            dir,
            offset: off,
            value: v,
            register: name.to_string(),
            index,
            rule,
            detail,
        };
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(v);
    }

    pub fn dma_fault(&self, f: DmaFault) {
        self.dma_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    /// An 8- or 16-bit access: the card's registers are 32-bit.
    pub fn narrow(&self, p: &PortHw, off: usize, bits: u32) {
        self.violation(
            p,
            Dir::R,
            off,
            0,
            Rule::BadAccess,
            format!("{bits}-bit access at {off:#x}: the 82599's registers are 32-bit"),
        );
    }

    pub fn read32(&self, p: &PortHw, off: usize, site: Site) -> u32 {
        // Gone from the bus: the read completes with all ones (as a PCIe master abort does).
        if p.faults.removed.load(Ordering::Acquire) {
            p.tracer.log(Dir::R, off, 0xFFFF_FFFF, site);
            return 0xFFFF_FFFF;
        }
        if off & 3 != 0 || off + 4 > regs::BAR0_LEN {
            self.violation(p, Dir::R, off, 0, Rule::BadAccess, bad_access(off));
            return 0xFFFF_FFFF;
        }
        self.poll_timers(p);
        let v = match regs::decode(off) {
            None => p.regs.dw[off / 4].load(Ordering::Acquire),
            Some(d) => self.read_reg(p, d),
        };
        p.tracer.log(Dir::R, off, v, site);
        v
    }

    fn read_reg(&self, p: &PortHw, d: Decoded) -> u32 {
        let cell = &p.regs.dw[d.dword];
        let i = d.index.unwrap_or(0);
        match d.id.def().kind {
            Kind::Rc | Kind::Rtc => return cell.swap(0, Ordering::AcqRel),
            Kind::Wo => return 0,
            _ => {}
        }
        match d.id {
            // Read-to-clear cause register (datasheet 8.2.3.5.1).
            R::EICR => cell.swap(0, Ordering::AcqRel),
            R::SECRXSTAT => self.secrx_status(p),
            // Bits 15:0 of element 0 are EIMS's/EIAM's (irq.rs).
            R::EIMS_EX | R::EIAM_EX => self.ex_read(p, d.id, i),
            R::RTTBCNRC => {
                p.rate[p.regs.get(R::RTTDQSEL, 0) as usize & 127].load(Ordering::Acquire)
            }
            R::STATUS => self.status(p, cell.load(Ordering::Acquire)),
            // 10.5.4: reading SWSM sets SMBI; the agent that read it as 0 holds the semaphore.
            R::SWSM => cell.fetch_or(regs::SWSM_SMBI, Ordering::AcqRel),
            // The firmware's bits: set while the firmware holds the resource (a fault).
            R::GSSR if p.faults.fw_mac_csr.load(Ordering::Acquire) => {
                cell.load(Ordering::Acquire) | regs::GSSR_FW_MAC_CSR_SM
            }
            R::RXDCTL if !p.rx_can_run(i) => cell.load(Ordering::Acquire) & !regs::XDCTL_ENABLE,
            R::TXDCTL if !p.tx_can_run(i) => cell.load(Ordering::Acquire) & !regs::XDCTL_ENABLE,
            R::TDH => {
                p.tx_head_read.set(i, true);
                cell.load(Ordering::Acquire)
            }
            _ => cell.load(Ordering::Acquire),
        }
    }

    pub fn write32(&self, p: &PortHw, off: usize, v: u32, site: Site) {
        if p.faults.removed.load(Ordering::Acquire) {
            p.tracer.log(Dir::W, off, v, site);
            return;
        }
        if off & 3 != 0 || off + 4 > regs::BAR0_LEN {
            self.violation(p, Dir::W, off, v, Rule::BadAccess, bad_access(off));
            return;
        }
        p.tracer.log(Dir::W, off, v, site);
        self.poll_timers(p);
        let Some(d) = regs::decode(off) else {
            p.regs.dw[off / 4].store(v, Ordering::Release);
            return;
        };
        let def = d.id.def();
        let cell = &p.regs.dw[d.dword];
        let i = d.index.unwrap_or(0);
        let old = cell.load(Ordering::Acquire);
        let new = (old & !def.wmask) | (v & def.wmask);
        if self.cfg.strict {
            self.check(p, d, off, v, old, new);
        }
        match def.kind {
            Kind::Ro | Kind::Rc | Kind::Rtc => return,
            Kind::Rw | Kind::Wo => {}
        }
        match d.id {
            R::CTRL => {
                let rst = v & (regs::CTRL_RST | regs::CTRL_LRST);
                if rst != 0 {
                    self.begin_reset(p, rst);
                } else {
                    cell.store(new, Ordering::Release);
                    self.master_written(p, old, new);
                    // Messages owed while mastering was off go out once it is back on.
                    self.irq_eval(p);
                }
            }
            // Write 1 to clear (8.2.3.5.1); EICS sets causes, EIMS/EIMC set/clear the mask.
            // A set cause owes an MSI-X message (irq.rs, datasheet 7.3).
            R::EICR => {
                cell.fetch_and(!v, Ordering::AcqRel);
            }
            R::EICS => self.set_cause(p, v & def.wmask),
            R::EIMS => {
                // Only a cause newly enabled owes a message (writing an enabled bit again
                // changes nothing).
                let old = cell.fetch_or(v & def.wmask, Ordering::AcqRel);
                self.unmasked(p, v & def.wmask & !old);
            }
            R::EIMC => {
                p.regs
                    .cell(R::EIMS, 0)
                    .fetch_and(!(v & def.wmask), Ordering::AcqRel);
            }
            R::EICS_EX | R::EIMS_EX | R::EIMC_EX | R::EIAM_EX => self.ex_written(p, d.id, i, v),
            R::AUTOC => {
                cell.store(new & !regs::AUTOC_RESTART_AN, Ordering::Release);
                if v & regs::AUTOC_RESTART_AN != 0 {
                    // Restart auto-negotiation: link goes down, comes up after the delay
                    // (unless a fault still wants more restarts).
                    FaultState::take(&p.faults.an_restarts);
                    self.set_phy(p, false);
                    self.arm_link(p, self.now());
                }
            }
            R::EERD => {
                // EEPROM read: done at once; the model's EEPROM reads as blank (0xFFFF).
                if v & regs::EERD_START != 0 {
                    cell.store(
                        (new & 0xFFFC) | regs::EERD_DONE | 0xFFFF_0000,
                        Ordering::Release,
                    );
                } else {
                    cell.store(new, Ordering::Release);
                }
            }
            R::MSCA => cell.store(new & !regs::MSCA_MDICMD, Ordering::Release),
            R::RXDCTL => {
                cell.store(new, Ordering::Release);
                let on = new & regs::XDCTL_ENABLE != 0;
                if on {
                    p.rx_stop.set(i, false);
                }
                p.rx_en.set(i, on);
            }
            R::TXDCTL => {
                cell.store(new, Ordering::Release);
                let on = new & regs::XDCTL_ENABLE != 0;
                if on {
                    p.tx_stop.set(i, false);
                }
                p.tx_en.set(i, on);
            }
            R::RDT | R::TDT => {
                if d.id == R::TDT
                    && p.rate[i as usize].load(Ordering::Acquire) & regs::RTTBCNRC_RS_ENA != 0
                {
                    // Where a rate-limited queue's idle time ends (tx.rs): stored before the
                    // tail, so an engine that sees the tail sees the time.
                    p.rate_fill[i as usize]
                        .store(self.now().saturating_mul(1000), Ordering::Release);
                }
                cell.store(new, Ordering::Release);
                self.doorbell.fetch_add(1, Ordering::Release);
                if d.id == R::TDT && p.tx_head_read.test(i) {
                    p.tx_head_read.set(i, false);
                }
            }
            R::SECRXCTRL => {
                cell.store(new, Ordering::Release);
                self.secrx_written(p, old, new);
            }
            R::FDIRCTRL => {
                // Init of the filter table: done at once (INIT_DONE), the table emptied.
                let on = new & 3 != 0;
                cell.store(
                    if on {
                        new | regs::FDIRCTRL_INIT_DONE
                    } else {
                        new & !regs::FDIRCTRL_INIT_DONE
                    },
                    Ordering::Release,
                );
                let mut t = p.fdir.lock().unwrap_or_else(|e| e.into_inner());
                *t =
                    crate::fdir::table(new, p.regs.get(R::FDIRHKEY, 0), p.regs.get(R::FDIRSKEY, 0));
                // An empty table: every filter free (8.2.3.21.10).
                p.regs.set(R::FDIRFREE, 0, t.free());
                p.cfg_gen.fetch_add(1, Ordering::AcqRel);
            }
            R::FDIRCMD => {
                self.fdir_command(p, off, v, new);
                // The command field reads 0 once the card has done it.
                cell.store(new & !3, Ordering::Release);
                p.cfg_gen.fetch_add(1, Ordering::AcqRel);
            }
            R::RTTBCNRC => {
                let q = p.regs.get(R::RTTDQSEL, 0) as usize & 127;
                p.rate[q].store(new, Ordering::Release);
                // The scheduler starts afresh: the queue counts as idle from now.
                let now_ps = self.now().saturating_mul(1000);
                p.rate_next[q].store(now_ps, Ordering::Release);
                p.rate_fill[q].store(u64::MAX, Ordering::Release);
                p.rate_idle[q].store(now_ps, Ordering::Release);
            }
            r if is_fdir_mask(r) => {
                // Part of the receive configuration (the lookup's masks).
                cell.store(new, Ordering::Release);
                p.cfg_gen.fetch_add(1, Ordering::AcqRel);
            }
            R::VFTA | R::FTQF | R::SAQF | R::DAQF | R::SDPQF => {
                cell.store(new, Ordering::Release);
                if let Some(b) = p.written.bits(d.id) {
                    b.set(i, true);
                }
                // The VLAN filter is part of the receive configuration (crate::pool).
                if d.id == R::VFTA {
                    p.cfg_gen.fetch_add(1, Ordering::AcqRel);
                }
            }
            R::FCTRL
            | R::RXCTRL
            | R::HLREG0
            | R::MAXFRS
            | R::MCSTCTRL
            | R::MTA
            | R::RAL
            | R::RAH
            | R::RXCSUM
            | R::VLNCTRL
            | R::MRQC
            | R::RETA
            | R::RSSRK
            | R::RQSMR
            | R::TQSM
            | R::RDRXCTL
            | R::SRRCTL
            | R::MPSAR_LO
            | R::MPSAR_HI
            | R::PSRTYPE
            | R::VT_CTL
            | R::VFRE
            | R::VMOLR
            | R::UTA
            | R::VLVF
            | R::VLVFB
            | R::MRCTL
            | R::VMRVLAN
            | R::VMRVM => {
                cell.store(new, Ordering::Release);
                if let Some(b) = p.written.bits(d.id) {
                    b.set(i, true);
                }
                p.cfg_gen.fetch_add(1, Ordering::AcqRel);
            }
            _ => cell.store(new, Ordering::Release),
        }
    }

    /// The filter the FDIR registers describe for command `cmd`, with its FDIRHASH.
    fn fdir_filter(p: &PortHw, cmd: u32) -> (u32, crate::fdir::Filter) {
        let r = &p.regs;
        let hash = r.get(R::FDIRHASH, 0);
        let port = r.get(R::FDIRPORT, 0);
        let vlan = r.get(R::FDIRVLAN, 0);
        let mut src = [0u8; 16];
        let v6 = cmd & regs::FDIRCMD_IPV6 != 0;
        if v6 {
            for i in 0..3 {
                src[4 * i..4 * i + 4].copy_from_slice(&r.get(R::FDIRSIPv6, i as u32).to_le_bytes());
            }
            src[12..].copy_from_slice(&r.get(R::FDIRIPSA, 0).to_le_bytes());
        } else {
            src[..4].copy_from_slice(&r.get(R::FDIRIPSA, 0).to_le_bytes());
        }
        let flex = (vlan >> 16) as u16;
        let f = crate::fdir::Filter {
            flow_type: (cmd >> 5) & 7,
            src,
            dst: r.get(R::FDIRIPDA, 0).to_le_bytes(),
            dst_match: cmd & regs::FDIRCMD_IPV6DMATCH != 0,
            sport: port as u16,
            dport: (port >> 16) as u16,
            vlan: vlan as u16,
            // Held in frame order (first byte in 23:16); compared as a number.
            flex: flex.swap_bytes(),
            pool: (cmd >> 24) & 0x3F,
            id: (hash >> 16) & 0x7FFF,
            queue: (cmd & regs::FDIRCMD_DROP == 0).then_some((cmd >> 16) & 0x7F),
        };
        (hash, f)
    }

    /// FDIRM and the field masks as the registers hold them.
    pub(crate) fn fdir_masks(r: &RegFile) -> crate::fdir::Masks {
        crate::fdir::Masks {
            fdirm: r.get(R::FDIRM, 0),
            sip4: r.get(R::FDIRSIP4M, 0),
            dip4: r.get(R::FDIRDIP4M, 0),
            ports: [
                r.get(R::FDIRUDPM, 0),
                r.get(R::FDIRTCPM, 0),
                r.get(R::FDIRSCTPM, 0),
            ],
            ip6: r.get(R::FDIRIP6M, 0),
        }
    }

    /// An FDIRCMD command (datasheet 7.1.2.7): add or remove the filter the FDIR registers describe
    /// (perfect filters: by bucket and software index; signature filters: by bucket and
    /// signature, FDIRHASH 30:16 either way).
    ///
    /// The statistics (8.2.3.21.10-13): a new filter counts in FDIRUSTAT.ADD and may make the
    /// longest bucket (FDIRLEN), a removed one in FDIRUSTAT.REMOVE; an add with the table full
    /// in FDIRFSTAT.FADD, a remove of a filter not there in FDIRFSTAT.FREMOVE (both a strict
    /// `FdirCommandFailed`); FDIRFREE.FREE follows the table.
    fn fdir_command(&self, p: &PortHw, off: usize, v: u32, cmd: u32) {
        use crate::fdir::Added;
        // No table before FDIRCTRL.INIT_DONE (a strict FdirBeforeInit): nothing done, nothing
        // counted.
        if p.regs.get(R::FDIRCTRL, 0) & regs::FDIRCTRL_INIT_DONE == 0 {
            return;
        }
        let (hash, f) = Self::fdir_filter(p, cmd);
        let mut t = p.fdir.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = hash & 0x7FFF;
        // Add 1 to the field at `shift` of `width` bits of `r`, saturating.
        let bump = |r: R, shift: u32, width: u32| {
            let max = (1u32 << width) - 1;
            let _ = p
                .regs
                .cell(r, 0)
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |x| {
                    let n = (x >> shift) & max;
                    (n < max).then(|| x + (1 << shift))
                });
        };
        let failed = match cmd & 3 {
            1 => match t.add(bucket, f) {
                Added::New { bucket_len } => {
                    bump(R::FDIRUSTAT, 0, 16);
                    let len = bucket_len.min(63) as u32;
                    let _ = p.regs.cell(R::FDIRLEN, 0).fetch_update(
                        Ordering::AcqRel,
                        Ordering::Acquire,
                        |x| (len > x & 0x3F).then_some((bucket & t.hash_mask) << 16 | len),
                    );
                    None
                }
                Added::Replaced => None,
                Added::Full => {
                    bump(R::FDIRFSTAT, 0, 8);
                    Some(format!("filter add with the table full (FDIRFREE.FREE = 0, {} filters): the card dropped the command and counted it in FDIRFSTAT.FADD; the driver must keep count of its filters and refuse the add (datasheet 7.1.2.7, 8.2.3.21.10)", t.capacity))
                }
            },
            2 => {
                if t.remove(bucket, f.id) {
                    bump(R::FDIRUSTAT, 16, 16);
                    None
                } else {
                    bump(R::FDIRFSTAT, 8, 8);
                    Some(format!("filter remove of bucket {bucket:#x} id {:#x}, which the table does not hold: counted in FDIRFSTAT.FREMOVE; the driver's list of filters is not the card's (datasheet 7.1.2.7, 8.2.3.21.13)", f.id))
                }
            }
            _ => None,
        };
        let coll = p.regs.get(R::FDIRFREE, 0) & 0x7FFF_0000;
        p.regs.set(R::FDIRFREE, 0, coll | t.free());
        drop(t);
        if let (Some(detail), true) = (failed, self.cfg.strict) {
            self.violation(p, Dir::W, off, v, Rule::FdirCommandFailed, detail);
        }
    }

    /// Strict-mode rules for one write (`new` is what the register would hold).
    fn check(&self, p: &PortHw, d: Decoded, off: usize, v: u32, old: u32, new: u32) {
        let i = d.index.unwrap_or(0);
        let bad = |rule: Rule, detail: String| self.violation(p, Dir::W, off, v, rule, detail);
        let rxen = || p.regs.get(R::RXCTRL, 0) & regs::RXCTRL_RXEN != 0;
        match d.id {
            R::FCTRL | R::RXCSUM if new != old && rxen() => bad(
                Rule::FilterChangedWhileRxEnabled,
                format!(
                    "{} changed from {old:#010x} to {new:#010x} while RXCTRL.RXEN = 1 (datasheet 8.2.3.7: write it only while receive is disabled)",
                    d.id.def().name
                ),
            ),
            R::CTRL
                if v & (regs::CTRL_RST | regs::CTRL_LRST) != 0
                    && !p.master_idle_seen.load(Ordering::Acquire) =>
            {
                bad(
                    Rule::ResetWithMasterActive,
                    format!(
                        "reset while PCIe master requests may be pending (CTRL.PCIE_MASTER_DISABLE {}, STATUS.PCIE_MASTER_ENABLE_STATUS not read as 0 since): set PCIE_MASTER_DISABLE, poll STATUS until the bit reads 0, then reset (datasheet 5.2.5.3.2, 4.6.3.2)",
                        if p.master_disabled() { "set" } else { "clear" }
                    ),
                )
            }
            R::RXCTRL
                if new & !old & regs::RXCTRL_RXEN != 0 && !self.secrx_halted(p) =>
            {
                bad(
                    Rule::RxEnabledWithSecurityPathActive,
                    format!(
                        "RXCTRL.RXEN set while the Rx security path is not halted (SECRXCTRL.RX_DIS = {}, SECRXSTAT.SECRX_RDY {}): set RX_DIS, poll SECRX_RDY until it reads 1, then set RXEN, then clear RX_DIS (82599 datasheet 4.6.7)",
                        u32::from(p.regs.get(R::SECRXCTRL, 0) & regs::SECRXCTRL_RX_DIS != 0),
                        if p.regs.get(R::SECRXCTRL, 0) & regs::SECRXCTRL_RX_DIS == 0 {
                            "not awaited"
                        } else {
                            "not yet read as 1 since RX_DIS was set"
                        }
                    ),
                )
            }
            R::MRQC | R::VT_CTL if pool_mode(d.id, old) != pool_mode(d.id, new) && rxen() => bad(
                Rule::PoolModeChangedWhileRxEnabled,
                format!(
                    "{} changed the queuing mode ({:#x} to {:#x}) while RXCTRL.RXEN = 1 (datasheet 4.6.10.1, 4.6.11.3: select the pool/RSS mode with receive off)",
                    d.id.def().name,
                    pool_mode(d.id, old),
                    pool_mode(d.id, new)
                ),
            ),
            R::FDIRCMD
                if v & 3 != 0 && p.regs.get(R::FDIRCTRL, 0) & regs::FDIRCTRL_INIT_DONE == 0 =>
            {
                bad(
                    Rule::FdirBeforeInit,
                    "FDIRCMD command before FDIRCTRL.INIT_DONE: the card is still initialising the filter table; write FDIRCTRL (PBALLOC) and poll INIT_DONE before adding filters (datasheet 7.1.2.7, FDIRCTRL.INIT_DONE; Linux's ixgbe_fdir_enable_82599 does the same)".into(),
                )
            }
            R::FDIRCMD if v & 3 == 1 && p.regs.get(R::FDIRCTRL, 0) & regs::FDIRCTRL_PERFECT_MATCH != 0 => {
                let (_, f) = Self::fdir_filter(p, v);
                if let Some(what) = Self::fdir_masks(&p.regs).unmasked(&f) {
                    bad(
                        Rule::FdirFilterNotMasked,
                        format!("perfect filter added with bits its table's masks ignore set in its {what} (FDIRSIP4M/FDIRDIP4M/FDIRTCPM/FDIRUDPM/FDIRSCTPM/FDIRIP6M): the card compares the frame's fields with those bits cleared, so this filter never matches; clear them in the filter (and its hash) as Linux's ixgbe does (datasheet 7.1.2.7)"),
                    )
                }
            }
            R::FDIRCTRL if new & 3 != 0 => {
                // The filters take 64 KB << (PBALLOC - 1) of the receive packet buffer.
                let fdir_kb = 64u32 << ((new & 3) - 1);
                let pb_kb: u32 = (0..8).map(|i| (p.regs.get(R::RXPBSIZE, i) >> 10) & 0x3FF).sum();
                if pb_kb + fdir_kb > 512 {
                    bad(
                        Rule::FdirOverPacketBuffer,
                        format!("Flow Director takes {fdir_kb} KB of the 512 KB receive packet buffer, but RXPBSIZE still gives {pb_kb} KB to the traffic classes: reduce RXPBSIZE first (the filters live in the receive packet buffer, datasheet 7.1.2.7 and FDIRCTRL.PBALLOC; Linux's ixgbe_configure_pb keeps 32 KB << PBALLOC out of RXPBSIZE)"),
                    )
                }
            }
            r if is_fdir_mask(r)
                && new != old
                && !p.fdir.lock().unwrap_or_else(|e| e.into_inner()).is_empty() => bad(
                Rule::FdirMaskWithFilters,
                format!("{} changed from {old:#x} to {new:#x} with filters in the table: they were hashed into buckets under the old masks, which the lookup no longer reaches; set the masks before adding filters (or remove them first)", d.id.def().name),
            ),
            R::RAH
                if new & !old & regs::RAH_AV != 0
                    && rxen()
                    && p.regs.get(R::VT_CTL, 0) & regs::VT_CTL_VT_ENA != 0
                    && p.regs.get(R::MPSAR_LO, i) | p.regs.get(R::MPSAR_HI, i) == 0 =>
            {
                bad(
                    Rule::AddressWithoutPool,
                    format!("RAH[{i}].AV set with pools and receive on while MPSAR[{i}] selects no pool: frames to the address are lost (or go to the default pool) until MPSAR is written; write MPSAR first (MAC addresses with pools: datasheet 4.6.10.1.4; Intel's shared code, ixgbe_set_rar_generic, selects the pool before it enables the address)"),
                )
            }
            R::TXPBSIZE | R::MTQC
                if p.regs.get(R::RTTDCS, 0) & regs::RTTDCS_ARBDIS == 0 =>
            {
                bad(
                    Rule::TxSetupWithArbiterOn,
                    format!(
                        "{} written while RTTDCS.ARBDIS = 0: disable the Tx descriptor arbiter around the packet-buffer and MTQC set-up (datasheet 4.6.11.3.1)",
                        d.id.def().name
                    ),
                )
            }
            R::AUTOC if v & regs::AUTOC_RESTART_AN != 0 => {
                let lms = (new & regs::AUTOC_LMS_MASK) >> regs::AUTOC_LMS_SHIFT;
                let pma = (p.regs.get(R::AUTOC2, 0) & regs::AUTOC2_PMA_PMD_SERIAL_MASK)
                    >> regs::AUTOC2_PMA_PMD_SERIAL_SHIFT;
                if lms != regs::AUTOC_LMS_10G_SERIAL || pma != regs::AUTOC2_PMA_PMD_SFI {
                    bad(
                        Rule::LinkModeNotForMedia,
                        format!(
                            "link restarted with AUTOC.LMS = {lms:03b}b and AUTOC2.10G_PMA_PMD_SERIAL = {pma:02b}b: the simulated card is an SFP+ part, which needs LMS = 011b (10 Gb/s serial) and the serial PMA/PMD = 10b (SFI) (datasheet 4.6.4, 8.2.3.22.1, 8.2.3.22.3)"
                        ),
                    );
                }
            }
            R::TXDCTL
                if old & !new & regs::XDCTL_ENABLE != 0
                    && p.regs.get(R::TDH, i) != p.regs.get(R::TDT, i)
                    && !p.tx_head_read.test(i) =>
            {
                bad(
                    Rule::TxDisabledWithPending,
                    format!(
                        "TX queue {i} disabled with descriptors the card has not sent (TDH {} != TDT {}) and TDH not read since the last TDT write: wait (bounded) for TDH to reach TDT, then count what is left as dropped, before clearing TXDCTL.ENABLE (datasheet 4.6.8.1)",
                        p.regs.get(R::TDH, i),
                        p.regs.get(R::TDT, i)
                    ),
                )
            }
            // 10.5.4: SW_FW_SYNC is written only while holding SWSM (SMBI and SWESMBI), and
            // the MAC registers shared with the firmware only while holding SW_MAC_CSR_SM.
            R::GSSR if !sw_semaphore_held(p) => bad(
                Rule::SemaphoreNotHeld,
                format!("SW_FW_SYNC written ({old:#x} to {new:#x}) without holding the software semaphore (SWSM.SMBI read as 0, then SWSM.SWESMBI set and read back; datasheet 10.5.4)"),
            ),
            R::AUTOC | R::AUTOC2
                if p.regs.get(R::GSSR, 0) & regs::GSSR_SW_MAC_CSR_SM == 0 =>
            {
                bad(
                    Rule::SemaphoreNotHeld,
                    format!(
                        "{} is shared with the firmware: write it while holding SW_FW_SYNC.SW_MAC_CSR_SM (taken under SWSM, datasheet 10.5.4)",
                        d.id.def().name
                    ),
                )
            }
            R::RDBAL | R::RDBAH | R::RDLEN | R::RDH if new != old && p.rx_en.test(i) => bad(
                Rule::RingChangedWhileEnabled,
                format!("RX ring register of queue {i} changed while RXDCTL[{i}].ENABLE = 1"),
            ),
            R::TDBAL | R::TDBAH | R::TDLEN | R::TDH if new != old && p.tx_en.test(i) => bad(
                Rule::RingChangedWhileEnabled,
                format!("TX ring register of queue {i} changed while TXDCTL[{i}].ENABLE = 1"),
            ),
            _ => {}
        }
        match d.id {
            R::RDBAL | R::TDBAL if v & 0x7F != 0 => bad(
                Rule::RingMisaligned,
                format!("ring base {v:#x} is not 128-byte aligned (bits 6:0 must be 0)"),
            ),
            R::RDLEN | R::TDLEN if v & !0x000F_FF80 != 0 || v == 0 => bad(
                Rule::RingMisaligned,
                format!("ring length {v:#x} is not a non-zero multiple of 128 bytes below 1 MB"),
            ),
            R::RDT | R::TDT => {
                let count = if d.id == R::RDT { p.rx_count(i) } else { p.tx_count(i) };
                if v >= count {
                    bad(
                        Rule::TailBeyondRing,
                        format!("tail {v} is beyond the ring of {count} descriptors"),
                    );
                }
            }
            R::EIMC if v & (1 << 31) != 0 => bad(
                Rule::ReservedBits,
                "EIMC bit 31 is reserved (write 0x7FFFFFFF to mask all)".into(),
            ),
            R::EIMS | R::EICS | R::IVAR | R::IVAR_MISC | R::EITR => {
                if let Some((rule, detail)) = Shared::irq_check(p, d.id, i, v) {
                    bad(rule, detail);
                }
            }
            R::DTXMXSZRQ if v & !0xFFF != 0 => bad(
                Rule::ReservedBits,
                format!("DTXMXSZRQ bits 31:12 are reserved: {v:#x} (the field is 11:0, max 0xFFF)"),
            ),
            R::DMATXCTL
                if (old >> regs::DMATXCTL_VT_SHIFT) != 0 && (v >> regs::DMATXCTL_VT_SHIFT) == 0 =>
            {
                bad(
                    Rule::VtClobbered,
                    format!(
                        "DMATXCTL.VT (31:16) overwritten with 0 (was {:#06x}): use read-modify-write",
                        old >> regs::DMATXCTL_VT_SHIFT
                    ),
                )
            }
            R::RXCTRL | R::RXDCTL | R::TXDCTL
                if (new & !old) & enable_bit(d.id) != 0
                    && p.regs.get(R::CTRL_EXT, 0) & regs::CTRL_EXT_DRV_LOAD == 0 =>
            {
                bad(
                    Rule::DriverNotLoaded,
                    format!(
                        "{} enabled while CTRL_EXT.DRV_LOAD = 0: tell the firmware a driver has the card first (datasheet 8.2.3.1.3)",
                        d.id.def().name
                    ),
                )
            }
            _ => {}
        }
        match d.id {
            R::RXCTRL if (new & !old) & regs::RXCTRL_RXEN != 0 => {
                if let Some(first) = p.written.first_unwritten() {
                    bad(
                        Rule::FiltersNotCleared,
                        format!(
                            "receive enabled with filter tables undefined since power-up ({first} never written): clear RAL/RAH[1..127], MTA, VFTA and the 5-tuple filters (FTQF, SAQF, DAQF, SDPQF) first (datasheet 4.6.7, 8.2.3.7)"
                        ),
                    );
                }
            }
            R::RXDCTL if v & regs::XDCTL_ENABLE != 0 && !p.rx_en.test(i) => {
                let (lo, hi, len) = (
                    p.regs.get(R::RDBAL, i),
                    p.regs.get(R::RDBAH, i),
                    p.regs.get(R::RDLEN, i),
                );
                if len == 0 || (lo == 0 && hi == 0) {
                    bad(
                        Rule::EnabledBeforeRing,
                        format!("RX queue {i} enabled before its ring was set (RDBAL {lo:#x} RDBAH {hi:#x} RDLEN {len:#x})"),
                    );
                }
                let (head, tail) = (p.regs.get(R::RDH, i), p.regs.get(R::RDT, i));
                if head != tail {
                    bad(
                        Rule::HeadNotAtTail,
                        format!("RX queue {i} enabled with RDH {head} != RDT {tail}: the card would fill descriptors from {head} while the driver reads from {tail}; write RDH and RDT (to 0) while the queue is disabled (datasheet 4.6.7.1; a queue a crashed process left keeps its head)"),
                    );
                }
            }
            R::TXDCTL if v & regs::XDCTL_ENABLE != 0 && !p.tx_en.test(i) => {
                let (lo, hi, len) = (
                    p.regs.get(R::TDBAL, i),
                    p.regs.get(R::TDBAH, i),
                    p.regs.get(R::TDLEN, i),
                );
                if len == 0 || (lo == 0 && hi == 0) {
                    bad(
                        Rule::EnabledBeforeRing,
                        format!("TX queue {i} enabled before its ring was set (TDBAL {lo:#x} TDBAH {hi:#x} TDLEN {len:#x})"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The queuing-mode part of MRQC (MRQE) and PFVTCTL (VT_ENA, DEF_PL, DIS_DEF_POOL).
fn pool_mode(r: R, v: u32) -> u32 {
    match r {
        R::MRQC => v & 0xF,
        _ => v & (regs::VT_CTL_VT_ENA | (0x3F << 7) | regs::VT_CTL_DIS_DEF_POOL),
    }
}

/// Software holds SWSM: SMBI and SWESMBI both set (10.5.4).
fn sw_semaphore_held(p: &PortHw) -> bool {
    let both = regs::SWSM_SMBI | regs::SWSM_SWESMBI;
    p.regs.get(R::SWSM, 0) & both == both
}

/// The bit that turns a unit on, for the DRV_LOAD rule.
fn enable_bit(r: R) -> u32 {
    match r {
        R::RXCTRL => regs::RXCTRL_RXEN,
        _ => regs::XDCTL_ENABLE,
    }
}

/// FDIRM and the field masks: part of the lookup's configuration, fixed while filters exist.
fn is_fdir_mask(r: R) -> bool {
    matches!(
        r,
        R::FDIRM
            | R::FDIRSIP4M
            | R::FDIRDIP4M
            | R::FDIRTCPM
            | R::FDIRUDPM
            | R::FDIRSCTPM
            | R::FDIRIP6M
    )
}

fn bad_access(off: usize) -> String {
    format!(
        "offset {off:#x} is not a 4-byte aligned offset inside BAR0 (0..{:#x})",
        regs::BAR0_LEN
    )
}
