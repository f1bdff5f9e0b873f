//! The engines' own state (what the card holds in its internal memories): per-port RX
//! configuration snapshot, RX queue state within a step, the RX packet buffer, batched
//! statistics. One `step` runs every engine of every port once.

use crate::card::{PortHw, Shared};
use crate::pool::{PoolCfg, VlanCfg};
use crate::regs::{self, R};
use crate::wire::{Sink, Source};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

/// Frames per TX queue per step: bounds one step's latency.
pub(crate) const TX_BUDGET: usize = 1024;
/// Largest frame the TX gather buffer holds (no TSO in the model).
pub(crate) const MAX_FRAME: usize = 16 * 1024;

/// RX filtering and RSS configuration, rebuilt when a register it depends on is written.
#[derive(Clone)]
pub(crate) struct RxCfg {
    pub rxen: bool,
    /// SECRXCTRL.RX_DIS: the Rx security path takes no new frame (datasheet 4.6.7).
    pub secrx_halted: bool,
    pub fctrl: u32,
    pub strip_crc: bool,
    pub max_len: usize,
    /// VLNCTRL.VET: a frame with this ether type at bytes 12-13 is VLAN tagged and may be 4
    /// bytes longer than `max_len` (datasheet 8.2.3.22.13, 8.2.3.22.8).
    pub vet: u16,
    pub lpbk: bool,
    pub txpad: bool,
    pub mcstctrl: u32,
    /// RXCSUM.PCSD: the descriptor's RSS field carries the RSS hash; clear, it carries the IP
    /// identification and fragment checksum (datasheet 7.1.6.2, 8.2.3.7.5).
    pub pcsd: bool,
    pub mrqc: u32,
    pub key: [u8; 40],
    pub reta: [u8; 128],
    /// Valid receive addresses (RAH.AV) with their pools (MPSAR).
    pub macs: Vec<([u8; 6], u64)>,
    /// Pools, when virtualisation is on (crate::pool).
    pub pools: Option<Box<PoolCfg>>,
    pub vlan: Box<VlanCfg>,
    /// Flow Director perfect filters, when on with filters in the table.
    pub fdir: Option<Box<crate::fdir::Table>>,
    /// None of pools, VLAN filter, Flow Director: the receive fast path.
    pub plain: bool,
    pub mta: [u32; 128],
    pub rqsm: [u8; 128],
    pub tqsm: [u8; 128],
    pub pb_limit: usize,
}

impl RxCfg {
    fn load(p: &PortHw) -> RxCfg {
        let r = &p.regs;
        let hl = r.get(R::HLREG0, 0);
        let mut key = [0u8; 40];
        for i in 0..10 {
            key[i as usize * 4..i as usize * 4 + 4]
                .copy_from_slice(&r.get(R::RSSRK, i).to_le_bytes());
        }
        let mut reta = [0u8; 128];
        for i in 0..32 {
            reta[i as usize * 4..i as usize * 4 + 4]
                .copy_from_slice(&r.get(R::RETA, i).to_le_bytes());
        }
        let mut macs = Vec::new();
        for i in 0..128 {
            let h = r.get(R::RAH, i);
            if h & regs::RAH_AV != 0 {
                let l = r.get(R::RAL, i).to_le_bytes();
                let h = h.to_le_bytes();
                let pools =
                    u64::from(r.get(R::MPSAR_LO, i)) | u64::from(r.get(R::MPSAR_HI, i)) << 32;
                macs.push(([l[0], l[1], l[2], l[3], h[0], h[1]], pools));
            }
        }
        let mut mta = [0u32; 128];
        for (i, m) in mta.iter_mut().enumerate() {
            *m = r.get(R::MTA, i as u32);
        }
        let map = |reg: R| {
            let mut m = [0u8; 128];
            for i in 0..32u32 {
                let v = r.get(reg, i).to_le_bytes();
                for k in 0..4 {
                    m[(i * 4 + k) as usize] = v[k as usize] & 0xF;
                }
            }
            m
        };
        // Frames longer than 1518 bytes (with CRC) need HLREG0.JUMBOEN and MAXFRS.MFS
        // (datasheet 8.2.3.22.13).
        let max_len = if hl & regs::HLREG0_JUMBOEN != 0 {
            (r.get(R::MAXFRS, 0) >> 16) as usize
        } else {
            1518
        };
        let mut c = RxCfg {
            rxen: r.get(R::RXCTRL, 0) & regs::RXCTRL_RXEN != 0,
            secrx_halted: r.get(R::SECRXCTRL, 0) & regs::SECRXCTRL_RX_DIS != 0,
            fctrl: r.get(R::FCTRL, 0),
            strip_crc: hl & regs::HLREG0_RXCRCSTRP != 0,
            max_len,
            vet: r.get(R::VLNCTRL, 0) as u16,
            lpbk: hl & regs::HLREG0_LPBK != 0,
            txpad: hl & regs::HLREG0_TXPADEN != 0,
            mcstctrl: r.get(R::MCSTCTRL, 0),
            pcsd: r.get(R::RXCSUM, 0) & regs::RXCSUM_PCSD != 0,
            mrqc: r.get(R::MRQC, 0),
            key,
            reta,
            macs,
            pools: PoolCfg::load(p).map(Box::new),
            vlan: Box::new(VlanCfg::load(p)),
            fdir: {
                let on = r.get(R::FDIRCTRL, 0) & 3 != 0;
                let t = p.fdir.lock().unwrap_or_else(|e| e.into_inner());
                (on && !t.is_empty()).then(|| {
                    let mut t = Box::new(t.clone());
                    t.masks = crate::card::Shared::fdir_masks(r);
                    t
                })
            },
            mta,
            rqsm: map(R::RQSMR),
            tqsm: map(R::TQSM),
            pb_limit: (r.get(R::RXPBSIZE, 0) & 0x000F_FC00) as usize,
            plain: false,
        };
        c.plain = c.pools.is_none() && !c.vlan.vfe && c.fdir.is_none();
        c
    }
}

/// A host address inside the simulated memory, kept as a pointer (so it keeps its provenance:
/// an address rebuilt from an integer would not) and null until set.
#[derive(Clone, Copy)]
pub(crate) struct HostPtr(pub *mut u8);

impl Default for HostPtr {
    fn default() -> Self {
        HostPtr(core::ptr::null_mut())
    }
}

// SAFETY: it points into the simulated memory, which lives as long as the card and is shared
// with the driver anyway (`dma::Block` is Send + Sync); it is dereferenced only after the range
// was checked against that memory.
unsafe impl Send for HostPtr {}
// SAFETY: as for `Send`.
unsafe impl Sync for HostPtr {}

/// An RX queue as loaded for one step.
#[derive(Clone, Copy, Default)]
pub(crate) struct RxQ {
    pub stamp: u64,
    pub running: bool,
    pub head: u32,
    /// RDH when loaded for this step: a head that moved means descriptors were written back
    /// (the queue's interrupt cause, `irq.rs`).
    pub head0: u32,
    pub tail: u32,
    pub count: u32,
    /// Host address of the descriptor ring (checked against the simulated memory).
    pub ring: HostPtr,
    pub bsize: usize,
    pub drop_en: bool,
    /// RXDCTL.VME: strip VLAN tags (datasheet 7.1.1.2).
    pub vme: bool,
}

/// Write-back information computed when a frame is accepted.
#[derive(Clone, Copy, Default)]
pub(crate) struct Meta {
    pub queue: u32,
    pub lo: u32,
    pub hash: u32,
}

pub(crate) struct Buffered {
    pub meta: Meta,
    pub data: Vec<u8>,
}

/// Statistics collected during a step and added to the registers once at its end.
#[derive(Default)]
pub(crate) struct LocalStats {
    pub dirty: bool,
    pub gprc: u64,
    pub gorc: u64,
    pub bprc: u64,
    pub mprc: u64,
    pub tpr: u64,
    pub tor: u64,
    pub ruc: u64,
    pub roc: u64,
    pub prc: [u64; 6],
    pub gptc: u64,
    pub gotc: u64,
    pub mptc: u64,
    pub bptc: u64,
    pub ptc: [u64; 6],
    pub mpc: u64,
    pub qprc: [u64; 16],
    pub qbrc: [u64; 16],
    pub qprdc: [u64; 16],
    pub qptc: [u64; 16],
    pub qbtc: [u64; 16],
    pub fdirmatch: u64,
    pub fdirmiss: u64,
    pub m_rx: u64,
    pub m_tx: u64,
    pub m_lost_link: u64,
    pub m_lost_rxdis: u64,
    pub m_filtered: u64,
    pub m_dma_drops: u64,
    pub m_no_desc: u64,
    pub m_missed: u64,
    pub m_sink_err: u64,
}

/// Size bucket of PRCxx/PTCxx (64, 65-127, 128-255, 256-511, 512-1023, 1024-1522).
#[inline]
pub(crate) fn bucket(wire_len: usize) -> Option<usize> {
    match wire_len {
        64 => Some(0),
        65..=127 => Some(1),
        128..=255 => Some(2),
        256..=511 => Some(3),
        512..=1023 => Some(4),
        1024..=1522 => Some(5),
        _ => None,
    }
}

impl LocalStats {
    pub(crate) fn flush(&mut self, p: &PortHw) {
        if !self.dirty {
            return;
        }
        let r = &p.regs;
        r.count(R::GPRC, 0, self.gprc);
        r.count64(R::GORCL, R::GORCH, 0, self.gorc);
        r.count(R::BPRC, 0, self.bprc);
        r.count(R::MPRC, 0, self.mprc);
        r.count(R::TPR, 0, self.tpr);
        r.count64(R::TORL, R::TORH, 0, self.tor);
        r.count(R::RUC, 0, self.ruc);
        r.count(R::ROC, 0, self.roc);
        r.count(R::GPTC, 0, self.gptc);
        r.count64(R::GOTCL, R::GOTCH, 0, self.gotc);
        r.count(R::TPT, 0, self.gptc);
        r.count(R::MPTC, 0, self.mptc);
        r.count(R::BPTC, 0, self.bptc);
        r.count(R::MPC, 0, self.mpc);
        r.count(R::FDIRMATCH, 0, self.fdirmatch);
        r.count(R::FDIRMISS, 0, self.fdirmiss);
        let prc = [
            R::PRC64,
            R::PRC127,
            R::PRC255,
            R::PRC511,
            R::PRC1023,
            R::PRC1522,
        ];
        let ptc = [
            R::PTC64,
            R::PTC127,
            R::PTC255,
            R::PTC511,
            R::PTC1023,
            R::PTC1522,
        ];
        for k in 0..6 {
            r.count(prc[k], 0, self.prc[k]);
            r.count(ptc[k], 0, self.ptc[k]);
        }
        for i in 0..16 {
            let q = i as u32;
            r.count(R::QPRC, q, self.qprc[i]);
            r.count64(R::QBRC_L, R::QBRC_H, q, self.qbrc[i]);
            r.count(R::QPRDC, q, self.qprdc[i]);
            r.count(R::QPTC, q, self.qptc[i]);
            r.count64(R::QBTC_L, R::QBTC_H, q, self.qbtc[i]);
        }
        let m = &p.model;
        let add = |a: &std::sync::atomic::AtomicU64, n: u64| {
            if n != 0 {
                a.fetch_add(n, Ordering::Relaxed);
            }
        };
        add(&m.rx_frames, self.m_rx);
        add(&m.tx_frames, self.m_tx);
        add(&m.lost_link_down, self.m_lost_link);
        add(&m.lost_rx_disabled, self.m_lost_rxdis);
        add(&m.filtered, self.m_filtered);
        add(&m.dma_error_drops, self.m_dma_drops);
        add(&m.no_descriptor, self.m_no_desc);
        add(&m.missed, self.m_missed);
        add(&m.sink_errors, self.m_sink_err);
        *self = LocalStats::default();
    }
}

pub(crate) struct PortEng {
    reset_gen: u64,
    cfg_gen: u64,
    pub cfg: RxCfg,
    pub rxq: Vec<RxQ>,
    pub touched: Vec<u32>,
    pub pb: VecDeque<Buffered>,
    pub pb_bytes: usize,
    pub pool: Vec<Vec<u8>>,
    /// Frame with its CRC appended, when CRC stripping is off.
    pub crcbuf: Vec<u8>,
    /// Frame with its VLAN tag stripped.
    pub vlanbuf: Vec<u8>,
    /// Per TX queue: its two context slots (7.2.3.2.3), the four dwords as written (dword 2
    /// has DEXT set in a slot that was written; zero: never since reset).
    pub tx_ctx: Vec<[[u32; 4]; 2]>,
    pub st: LocalStats,
    /// Per-packet faults were pending at the start of the step (those injected during a
    /// step apply from the next one): the fast RX path is off.
    pub faults: bool,
}

impl PortEng {
    fn new(p: &PortHw) -> PortEng {
        PortEng {
            reset_gen: p.reset_gen.load(Ordering::Acquire),
            cfg_gen: p.cfg_gen.load(Ordering::Acquire),
            cfg: RxCfg::load(p),
            rxq: vec![RxQ::default(); 128],
            touched: Vec::with_capacity(128),
            pb: VecDeque::new(),
            pb_bytes: 0,
            pool: Vec::new(),
            crcbuf: Vec::with_capacity(MAX_FRAME + 4),
            vlanbuf: Vec::with_capacity(MAX_FRAME + 4),
            tx_ctx: vec![[[0; 4]; 2]; 128],
            st: LocalStats::default(),
            faults: false,
        }
    }

    /// Pick up resets and configuration changes made by the driver since the last step.
    fn sync(&mut self, sh: &Shared, p: &PortHw) {
        let rg = p.reset_gen.load(Ordering::Acquire);
        if rg != self.reset_gen {
            self.reset_gen = rg;
            // Reset empties the packet buffer (datasheet 4.2.1.6).
            while let Some(b) = self.pb.pop_front() {
                self.pool.push(b.data);
            }
            self.pb_bytes = 0;
            self.st = LocalStats::default();
            self.tx_ctx.fill([[0; 4]; 2]);
        }
        // Once the driver released memory, every receive write is checked against it (the
        // general path; the fast one stays check-free).
        self.faults = p.faults.packet_faults() || sh.mem.any_released();
        // SeqCst: pairs with the SECRXCTRL.RX_DIS write (see `secrx`).
        let cg = p.cfg_gen.load(Ordering::SeqCst);
        if cg != self.cfg_gen {
            self.cfg_gen = cg;
            self.cfg = RxCfg::load(p);
        }
    }

    /// Write back RDH of the RX queues used in this step; raise the interrupt cause of each
    /// queue that wrote descriptors back (datasheet 7.3.4).
    fn finish(&mut self, sh: &Shared, p: &PortHw) {
        let same = p.reset_gen.load(Ordering::Acquire) == self.reset_gen;
        for &q in &self.touched {
            let rq = &self.rxq[q as usize];
            if same && rq.running {
                p.regs.set(R::RDH, q, rq.head);
                if rq.head != rq.head0 {
                    sh.rx_cause(p, q);
                }
            }
        }
        self.touched.clear();
        self.st.flush(p);
    }
}

pub(crate) struct Engine {
    pub ports: Vec<PortEng>,
    pub sinks: Vec<Vec<Sink>>,
    pub sources: Vec<Vec<Source>>,
    /// TX gather buffer (`offload::MAX_GATHER` bytes once a queue ran).
    pub frame: Vec<u8>,
    /// TSO segment buffer.
    pub seg: Vec<u8>,
    /// Frame read from a pcap/TAP source.
    pub src_frame: Vec<u8>,
    pub step_no: u64,
}

impl Engine {
    pub fn new(sh: &Shared) -> Engine {
        Engine {
            ports: sh.ports.iter().map(PortEng::new).collect(),
            sinks: sh.ports.iter().map(|_| Vec::new()).collect(),
            sources: sh.ports.iter().map(|_| Vec::new()).collect(),
            frame: vec![0; MAX_FRAME],
            seg: Vec::new(),
            src_frame: Vec::with_capacity(MAX_FRAME),
            step_no: 0,
        }
    }

    /// Run every engine once; returns how many frames moved.
    pub fn step(&mut self, sh: &Shared) -> usize {
        self.step_no += 1;
        // Odd while the pass runs: frames cross the Rx security path only inside a pass.
        sh.passes.fetch_add(1, Ordering::SeqCst);
        let mut work = 0;
        for (pe, p) in self.ports.iter_mut().zip(&sh.ports) {
            sh.poll_timers(p);
            pe.sync(sh, p);
            // Messages moderation held back (EITR), sent once their interval ended.
            if p.irq.any_held() {
                sh.irq_eval(p);
            }
        }
        // A port gone from the bus does no DMA (`Fault::Removed`).
        let gone = |p: &crate::card::PortHw| p.faults.removed.load(Ordering::Acquire);
        for (i, p) in sh.ports.iter().enumerate() {
            if !gone(p) {
                work += crate::rx::drain(&mut self.ports[i], sh, p, self.step_no);
            }
        }
        for i in 0..sh.ports.len() {
            if !gone(&sh.ports[i]) {
                work += crate::tx::run(self, sh, i);
            }
        }
        for i in 0..sh.ports.len() {
            work += crate::wire::poll_sources(self, sh, i);
        }
        for (pe, p) in self.ports.iter_mut().zip(&sh.ports) {
            pe.finish(sh, p);
        }
        for s in self.sinks.iter_mut().flatten() {
            s.flush();
        }
        sh.passes.fetch_add(1, Ordering::SeqCst);
        work
    }
}
