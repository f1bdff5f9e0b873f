//! The register definitions the card decodes (82599 datasheet section 8.2.3): name, address
//! ranges (82598-compatible aliases decode to the same storage), reset value, writable mask and
//! kind: the registers the model acts on, transcribed here independently of the table.
//!
//! Every other register of `registers/82599.txt` is plain read/write storage that the card
//! knows by name (traces and violations name it with its element index) and resets to the
//! table's reset value: [`TABLE`], generated from the table at build time, fills those
//! addresses; the card's own definitions take precedence where both name an address.
//! Offsets in neither are plain storage without a name (`?` in a trace).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Size of BAR0 (memory-mapped registers), 82599 datasheet 9.3.6.1.
pub const BAR0_LEN: usize = 0x20000;
pub const DWORDS: usize = BAR0_LEN / 4;

/// Rows of an array: element `i` in `min..=max` at `base + step * (i - min)`.
#[derive(Clone, Copy, Debug)]
pub struct Seg {
    pub base: u32,
    pub step: u32,
    pub min: u16,
    pub max: u16,
}

const fn one(base: u32) -> Seg {
    Seg {
        base,
        step: 0,
        min: 0,
        max: 0,
    }
}
const fn arr(base: u32, step: u32, min: u16, max: u16) -> Seg {
    Seg {
        base,
        step,
        min,
        max,
    }
}

/// How reads and writes behave, apart from register-specific side effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Read/write through the writable mask.
    Rw,
    /// Read only: writes ignored.
    Ro,
    /// Read-to-clear statistics counter: writes ignored.
    Rc,
    /// Cleared by reading, not a counter (fields of several counts): writes ignored.
    Rtc,
    /// Write only: reads return 0.
    Wo,
}

pub struct Def {
    pub name: &'static str,
    pub kind: Kind,
    pub reset: u32,
    pub wmask: u32,
    pub segs: &'static [Seg],
    pub aliases: &'static [Seg],
}

impl Def {
    pub fn is_array(&self) -> bool {
        self.segs[0].step != 0
    }
    /// Canonical byte address of element `i` (0 for single registers).
    pub fn addr(&self, i: u32) -> usize {
        for s in self.segs {
            if s.step == 0 {
                return s.base as usize;
            }
            if (u32::from(s.min)..=u32::from(s.max)).contains(&i) {
                return (s.base + s.step * (i - u32::from(s.min))) as usize;
            }
        }
        // Callers only pass indices inside the table; fall back to element 0.
        self.segs[0].base as usize
    }
}

macro_rules! defs {
    ($($id:ident : $kind:ident, $reset:expr, $mask:expr, [$($seg:expr),+], [$($al:expr),*];)*) => {
        /// Register ids: index into [`DEFS`].
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum R { $($id),* }
        pub static DEFS: &[Def] = &[$(Def {
            name: stringify!($id),
            kind: Kind::$kind,
            reset: $reset,
            wmask: $mask,
            segs: &[$($seg),+],
            aliases: &[$($al),*],
        }),*];
        impl R {
            pub fn def(self) -> &'static Def { &DEFS[self as usize] }
            fn from_u16(v: u16) -> R {
                const ALL: &[R] = &[$(R::$id),*];
                ALL[v as usize]
            }
        }
    };
}

const RXQ: [Seg; 2] = [arr(0x01000, 0x40, 0, 63), arr(0x0D000, 0x40, 64, 127)];
const fn rxq(off: u32) -> [Seg; 2] {
    [
        arr(RXQ[0].base + off, 0x40, 0, 63),
        arr(RXQ[1].base + off, 0x40, 64, 127),
    ]
}
const RDBAH_S: [Seg; 2] = rxq(0x04);
const RDLEN_S: [Seg; 2] = rxq(0x08);
const DCA_RX_S: [Seg; 2] = rxq(0x0C);
const RDH_S: [Seg; 2] = rxq(0x10);
const SRRCTL_S: [Seg; 2] = rxq(0x14);
const RDT_S: [Seg; 2] = rxq(0x18);
const RXDCTL_S: [Seg; 2] = rxq(0x28);

defs! {
    // General (datasheet 8.2.3.1)
    CTRL: Rw, 0, 0x0400_000C, [one(0x00000)], [];
    STATUS: Ro, 0x0008_0000, 0, [one(0x00008)], [];
    CTRL_EXT: Rw, 0, 0x1403_4000, [one(0x00018)], [];
    // Interrupts (8.2.3.5)
    EICR: Rw, 0, 0xFFFF_FFFF, [one(0x00800)], [];
    EICS: Wo, 0, 0x7FFF_FFFF, [one(0x00808)], [];
    EIAC: Rw, 0, 0xFFFF_FFFF, [one(0x00810)], [];
    EITR: Rw, 0, 0xFFFF_FFF8, [arr(0x00820, 4, 0, 23), arr(0x12300, 4, 24, 127)], [];
    EIMS: Rw, 0, 0x7FFF_FFFF, [one(0x00880)], [];
    EIMC: Wo, 0, 0x7FFF_FFFF, [one(0x00888)], [];
    EIAM: Rw, 0, 0xFFFF_FFFF, [one(0x00890)], [];
    GPIE: Rw, 0, 0xFFFF_FFFF, [one(0x00898)], [];
    // INT_ALLOC 5:0 and its valid bit 7 per entry (8.2.3.5.16); bit 6 reserved.
    IVAR: Rw, 0, 0xBFBF_BFBF, [arr(0x00900, 4, 0, 63)], [];
    IVAR_MISC: Rw, 0, 0x0000_BFBF, [one(0x00A00)], [];
    // MSI-X vectors 0..31 in [0], 32..63 in [1] (8.2.3.5). Bits 15:0 of [0] are the same
    // state as bits 15:0 of EICS/EIMS/EIMC/EIAM and live there (irq.rs).
    EICS_EX: Wo, 0, 0xFFFF_FFFF, [arr(0x00A90, 4, 0, 1)], [];
    EIMS_EX: Rw, 0, 0xFFFF_FFFF, [arr(0x00AA0, 4, 0, 1)], [];
    EIMC_EX: Wo, 0, 0xFFFF_FFFF, [arr(0x00AB0, 4, 0, 1)], [];
    EIAM_EX: Rw, 0, 0xFFFF_FFFF, [arr(0x00AD0, 4, 0, 1)], [];
    // EEPROM / flash (8.2.3.2)
    // FWE (5:4) resets to 01b, writes disabled (datasheet 8.2.3.2.1; the reference model's
    // 0x1730 has 11b, an encoding the datasheet calls not allowed). PRES, ARD and SIZE (14:11
    // = 2) as in the reference model: an EEPROM present and read.
    EEC: Rw, 0x0000_1710, 0x0000_0077, [one(0x10010)], [];
    EERD: Rw, 0, 0x0000_FFFD, [one(0x10014)], [];
    // Receive queues (8.2.3.8)
    RDBAL: Rw, 0, 0xFFFF_FF80, [RXQ[0], RXQ[1]], [];
    RDBAH: Rw, 0, 0xFFFF_FFFF, [RDBAH_S[0], RDBAH_S[1]], [];
    RDLEN: Rw, 0, 0x000F_FF80, [RDLEN_S[0], RDLEN_S[1]], [];
    // Reset: relaxed ordering bits 9, 13, 15 and reserved bit 12, which resets to 1b and must
    // be written 0b (datasheet 8.2.3.11.1; the reference model has 0xA200, bit 12 clear).
    DCA_RXCTRL: Rw, 0x0000_B200, 0x0000_BAE0 | 0xFF00_0000, [DCA_RX_S[0], DCA_RX_S[1]], [arr(0x02200, 4, 0, 15)];
    RDH: Rw, 0, 0x0000_FFFF, [RDH_S[0], RDH_S[1]], [];
    SRRCTL: Rw, 0x0000_0402, 0x1FC0_3F1F, [SRRCTL_S[0], SRRCTL_S[1]], [arr(0x02100, 4, 0, 15)];
    RDT: Rw, 0, 0x0000_FFFF, [RDT_S[0], RDT_S[1]], [];
    RXDCTL: Rw, 0, 0x4200_BFFF, [RXDCTL_S[0], RXDCTL_S[1]], [];
    RQSMR: Rw, 0, 0x0F0F_0F0F, [arr(0x02300, 4, 0, 31)], [];
    RDRXCTL: Rw, 0x0010_8800, 0x063E_0006, [one(0x02F00)], [];
    RXCTRL: Rw, 0, 0x0000_0001, [one(0x03000)], [];
    RXPBSIZE: Rw, 0, 0x000F_FC00, [arr(0x03C00, 4, 0, 7)], [];
    // Receive filtering (8.2.3.7)
    RXCSUM: Rw, 0, 0x0000_30FF, [one(0x05000)], [];
    RFCTL: Rw, 0, 0x0000_7FE0, [one(0x05008)], [];
    FCTRL: Rw, 0, 0x0000_0702, [one(0x05080)], [];
    VLNCTRL: Rw, 0x0000_8100, 0x7000_FFFF, [one(0x05088)], [];
    MCSTCTRL: Rw, 0, 0x0000_0007, [one(0x05090)], [];
    MTA: Rw, 0, 0xFFFF_FFFF, [arr(0x05200, 4, 0, 127)], [];
    VFTA: Rw, 0, 0xFFFF_FFFF, [arr(0x0A000, 4, 0, 127)], [];
    // 5-tuple filters (8.2.3.7.19-22); FTQF bit 31 enables the filter's queue assignment.
    SAQF: Rw, 0, 0xFFFF_FFFF, [arr(0x0E000, 4, 0, 127)], [];
    DAQF: Rw, 0, 0xFFFF_FFFF, [arr(0x0E200, 4, 0, 127)], [];
    SDPQF: Rw, 0, 0xFFFF_FFFF, [arr(0x0E400, 4, 0, 127)], [];
    FTQF: Rw, 0, 0xFFFF_FFFF, [arr(0x0E600, 4, 0, 127)], [];
    RAL: Rw, 0, 0xFFFF_FFFF, [arr(0x0A200, 8, 0, 127)], [arr(0x05400, 8, 0, 15)];
    RAH: Rw, 0, 0x8000_FFFF, [arr(0x0A204, 8, 0, 127)], [arr(0x05404, 8, 0, 15)];
    // MPSAR[2n] and [2n+1] of the datasheet: pools 31:0 and 63:32 of RAL/RAH[n] (8.2.3.7).
    MPSAR_LO: Rw, 0, 0xFFFF_FFFF, [arr(0x0A600, 8, 0, 127)], [];
    MPSAR_HI: Rw, 0, 0xFFFF_FFFF, [arr(0x0A604, 8, 0, 127)], [];
    PSRTYPE: Rw, 0, 0xE000_1F70, [arr(0x0EA00, 4, 0, 63)], [arr(0x05480, 4, 0, 15)];
    // Pools (virtualisation), 8.2.3.27: PFVTCTL, PFVFRE/PFVFTE, PFVML2FLT, PFUTA, PFVLVF(B),
    // PFVMVIR, mirror rules PFMRCTL/PFMRVLAN/PFMRVM.
    VT_CTL: Rw, 0, 0x6000_1F81, [one(0x051B0)], [];
    VFRE: Rw, 0, 0xFFFF_FFFF, [arr(0x051E0, 4, 0, 1)], [];
    VFTE: Rw, 0, 0xFFFF_FFFF, [arr(0x08110, 4, 0, 1)], [];
    VMOLR: Rw, 0, 0x1F00_0000, [arr(0x0F000, 4, 0, 63)], [];
    UTA: Rw, 0, 0xFFFF_FFFF, [arr(0x0F400, 4, 0, 127)], [];
    VLVF: Rw, 0, 0x8000_0FFF, [arr(0x0F100, 4, 0, 63)], [];
    VLVFB: Rw, 0, 0xFFFF_FFFF, [arr(0x0F200, 4, 0, 127)], [];
    VMVIR: Rw, 0, 0xC000_FFFF, [arr(0x08000, 4, 0, 63)], [];
    MRCTL: Rw, 0, 0x0000_3F0F, [arr(0x0F600, 4, 0, 3)], [];
    VMRVLAN: Rw, 0, 0xFFFF_FFFF, [arr(0x0F610, 4, 0, 7)], [];
    VMRVM: Rw, 0, 0xFFFF_FFFF, [arr(0x0F630, 4, 0, 7)], [];
    RETA: Rw, 0, 0xFFFF_FFFF, [arr(0x0EB00, 4, 0, 31)], [arr(0x05C00, 4, 0, 31)];
    RSSRK: Rw, 0, 0xFFFF_FFFF, [arr(0x0EB80, 4, 0, 9)], [arr(0x05C80, 4, 0, 9)];
    MRQC: Rw, 0, 0x01FF_800F, [one(0x0EC80)], [one(0x05818)];
    // Flow Director (8.2.3.21): FDIRCTRL.INIT_DONE and FDIRCMD.CMD are set/cleared by the
    // card (card.rs); the filter table is the card's own memory (fdir.rs).
    FDIRCTRL: Rw, 0, 0xFF1F_7FB3, [one(0x0EE00)], [];
    FDIRHKEY: Rw, 0, 0xFFFF_FFFF, [one(0x0EE68)], [];
    FDIRSKEY: Rw, 0, 0xFFFF_FFFF, [one(0x0EE6C)], [];
    FDIRM: Rw, 0, 0x0000_003F, [one(0x0EE70)], [];
    // The field masks (a set bit: not compared), see fdir.rs.
    FDIRSIP4M: Rw, 0, 0xFFFF_FFFF, [one(0x0EE40)], [];
    FDIRDIP4M: Rw, 0, 0xFFFF_FFFF, [one(0x0EE3C)], [];
    FDIRTCPM: Rw, 0, 0xFFFF_FFFF, [one(0x0EE44)], [];
    FDIRUDPM: Rw, 0, 0xFFFF_FFFF, [one(0x0EE48)], [];
    FDIRSCTPM: Rw, 0, 0xFFFF_FFFF, [one(0x0EE78)], [];
    FDIRIP6M: Rw, 0, 0xFFFF_FFFF, [one(0x0EE74)], [];
    FDIRSIPv6: Rw, 0, 0xFFFF_FFFF, [arr(0x0EE0C, 4, 0, 2)], [];
    FDIRIPSA: Rw, 0, 0xFFFF_FFFF, [one(0x0EE18)], [];
    FDIRIPDA: Rw, 0, 0xFFFF_FFFF, [one(0x0EE1C)], [];
    FDIRPORT: Rw, 0, 0xFFFF_FFFF, [one(0x0EE20)], [];
    FDIRVLAN: Rw, 0, 0xFFFF_FFFF, [one(0x0EE24)], [];
    FDIRHASH: Rw, 0, 0x7FFF_FFFF, [one(0x0EE28)], [];
    FDIRCMD: Rw, 0, 0x3F7F_9FFF, [one(0x0EE2C)], [];
    // Statistics (8.2.3.21.10-15), kept by the card (card.rs): FDIRFREE is not cleared by
    // reading; FDIRLEN, FDIRUSTAT and FDIRFSTAT are, as whole registers (Linux's
    // ixgbe_reinit_fdir_tables_82599 reads them to clear them).
    FDIRFREE: Rw, 0, 0x7FFF_FFFF, [one(0x0EE38)], [];
    FDIRLEN: Rtc, 0, 0, [one(0x0EE4C)], [];
    FDIRUSTAT: Rtc, 0, 0, [one(0x0EE50)], [];
    FDIRFSTAT: Rtc, 0, 0, [one(0x0EE54)], [];
    FDIRMATCH: Rc, 0, 0, [one(0x0EE58)], [];
    FDIRMISS: Rc, 0, 0, [one(0x0EE5C)], [];
    // MAC (8.2.3.22)
    HLREG0: Rw, 0x0801_2C0B, 0x18F3_8407, [one(0x04240)], [];
    MSCA: Rw, 0, 0x7FFF_FFFF, [one(0x0425C)], [];
    MSRWD: Rw, 0, 0xFFFF_FFFF, [one(0x04260)], [];
    MAXFRS: Rw, 0x05EE_0000, 0xFFFF_0000, [one(0x04268)], [];
    MFLCN: Rw, 0, 0x0000_0FFF, [one(0x04294)], [];
    AUTOC: Rw, 0xC19D_8284, 0xFFFF_FFFF, [one(0x042A0)], [];
    LINKS: Ro, 0, 0, [one(0x042A4)], [];
    AUTOC2: Rw, 0, 0xFFFF_FFFF, [one(0x042A8)], [];
    // Software/firmware synchronisation (datasheet 10.5.4): SWSM.SMBI/SWESMBI, SW_FW_SYNC
    // (the table's GSSR): software writes its bits 4:0; the firmware's 9:5 are its own.
    SWSM: Rw, 0, 0x0000_0003, [one(0x10140)], [];
    GSSR: Rw, 0, 0x0000_001F, [one(0x10160)], [];
    // Transmit (8.2.3.9)
    TDBAL: Rw, 0, 0xFFFF_FF80, [arr(0x06000, 0x40, 0, 127)], [];
    TDBAH: Rw, 0, 0xFFFF_FFFF, [arr(0x06004, 0x40, 0, 127)], [];
    TDLEN: Rw, 0, 0x000F_FF80, [arr(0x06008, 0x40, 0, 127)], [];
    // Relaxed ordering of descriptor reads, write-backs and data reads (bits 9, 11, 13) on
    // at reset (datasheet 8.2.3.11.2).
    DCA_TXCTRL: Rw, 0x0000_2A00, 0xFF00_2A20, [arr(0x0600C, 0x40, 0, 127)], [];
    TDH: Rw, 0, 0x0000_FFFF, [arr(0x06010, 0x40, 0, 127)], [];
    TDT: Rw, 0, 0x0000_FFFF, [arr(0x06018, 0x40, 0, 127)], [];
    TXDCTL: Rw, 0, 0x067F_7F7F, [arr(0x06028, 0x40, 0, 127)], [];
    TDWBAL: Rw, 0, 0xFFFF_FFFD, [arr(0x06038, 0x40, 0, 127)], [];
    TDWBAH: Rw, 0, 0xFFFF_FFFF, [arr(0x0603C, 0x40, 0, 127)], [];
    // BDPM and BPBFSM (bits 22, 23) set at reset (datasheet 8.2.3.10).
    RTTDCS: Rw, 0x00C0_0000, 0xFFFF_FFFF, [one(0x04900)], [];
    TXPBTHRESH: Rw, 0, 0x0000_03FF, [arr(0x04950, 4, 0, 7)], [];
    // Rate scheduler of the queue RTTDQSEL selects (8.2.3.10.13-16): RTTBCNRC is a window on
    // a per-queue array (card.rs).
    RTTDQSEL: Rw, 0, 0x0000_007F, [one(0x04904)], [];
    RTTBCNRC: Rw, 0, 0x80FF_FFFF, [one(0x04984)], [];
    DMATXCTL: Rw, 0x8100_0004, 0xFFFF_000B, [one(0x04A80)], [];
    DTXMXSZRQ: Rw, 0x0000_0010, 0x0000_0FFF, [one(0x08100)], [];
    MTQC: Rw, 0, 0x0000_000F, [one(0x08120)], [];
    TQSM: Rw, 0, 0x0F0F_0F0F, [arr(0x08600, 4, 0, 31)], [];
    TXPBSIZE: Rw, 0, 0x000F_FC00, [arr(0x0CC00, 4, 0, 7)], [];
    SECTXCTRL: Rw, 0x0000_0001, 0x0000_0007, [one(0x08800)], [];
    SECRXCTRL: Rw, 0x0000_0001, 0x0000_0003, [one(0x08D00)], [];
    // SECRX_RDY is computed on read (card.rs); SECRX_OFF_DIS 0: the offload is not fused off.
    SECRXSTAT: Ro, 0, 0, [one(0x08D04)], [];
    // Statistics (8.2.3.23), all read-to-clear
    QPRC: Rc, 0, 0, [arr(0x01030, 0x40, 0, 15)], [];
    QBRC_L: Rc, 0, 0, [arr(0x01034, 0x40, 0, 15)], [];
    QBRC_H: Rc, 0, 0, [arr(0x01038, 0x40, 0, 15)], [];
    QPRDC: Rc, 0, 0, [arr(0x01430, 0x40, 0, 15)], [];
    QPTC: Rc, 0, 0, [arr(0x08680, 4, 0, 15)], [arr(0x06030, 0x40, 0, 15)];
    QBTC_L: Rc, 0, 0, [arr(0x08700, 8, 0, 15)], [];
    QBTC_H: Rc, 0, 0, [arr(0x08704, 8, 0, 15)], [];
    RXDGPC: Rc, 0, 0, [one(0x02F50)], [];
    RXDGBCL: Rc, 0, 0, [one(0x02F54)], [];
    RXDGBCH: Rc, 0, 0, [one(0x02F58)], [];
    LXONTXC: Rc, 0, 0, [one(0x03F60)], [];
    LXOFFTXC: Rc, 0, 0, [one(0x03F68)], [];
    MPC: Rc, 0, 0, [arr(0x03FA0, 4, 0, 7)], [];
    CRCERRS: Rc, 0, 0, [one(0x04000)], [];
    ILLERRC: Rc, 0, 0, [one(0x04004)], [];
    ERRBC: Rc, 0, 0, [one(0x04008)], [];
    MLFC: Rc, 0, 0, [one(0x04034)], [];
    MRFC: Rc, 0, 0, [one(0x04038)], [];
    RLEC: Rc, 0, 0, [one(0x04040)], [];
    PRC64: Rc, 0, 0, [one(0x0405C)], [];
    PRC127: Rc, 0, 0, [one(0x04060)], [];
    PRC255: Rc, 0, 0, [one(0x04064)], [];
    PRC511: Rc, 0, 0, [one(0x04068)], [];
    PRC1023: Rc, 0, 0, [one(0x0406C)], [];
    PRC1522: Rc, 0, 0, [one(0x04070)], [];
    GPRC: Rc, 0, 0, [one(0x04074)], [];
    BPRC: Rc, 0, 0, [one(0x04078)], [];
    MPRC: Rc, 0, 0, [one(0x0407C)], [];
    GPTC: Rc, 0, 0, [one(0x04080)], [];
    GORCL: Rc, 0, 0, [one(0x04088)], [];
    GORCH: Rc, 0, 0, [one(0x0408C)], [];
    GOTCL: Rc, 0, 0, [one(0x04090)], [];
    GOTCH: Rc, 0, 0, [one(0x04094)], [];
    RUC: Rc, 0, 0, [one(0x040A4)], [];
    RFC: Rc, 0, 0, [one(0x040A8)], [];
    ROC: Rc, 0, 0, [one(0x040AC)], [];
    RJC: Rc, 0, 0, [one(0x040B0)], [];
    TORL: Rc, 0, 0, [one(0x040C0)], [];
    TORH: Rc, 0, 0, [one(0x040C4)], [];
    TPR: Rc, 0, 0, [one(0x040D0)], [];
    TPT: Rc, 0, 0, [one(0x040D4)], [];
    PTC64: Rc, 0, 0, [one(0x040D8)], [];
    PTC127: Rc, 0, 0, [one(0x040DC)], [];
    PTC255: Rc, 0, 0, [one(0x040E0)], [];
    PTC511: Rc, 0, 0, [one(0x040E4)], [];
    PTC1023: Rc, 0, 0, [one(0x040E8)], [];
    PTC1522: Rc, 0, 0, [one(0x040EC)], [];
    MPTC: Rc, 0, 0, [one(0x040F0)], [];
    BPTC: Rc, 0, 0, [one(0x040F4)], [];
    XEC: Rc, 0, 0, [one(0x04120)], [];
    LXONRXCNT: Rc, 0, 0, [one(0x041A4)], [];
    LXOFFRXCNT: Rc, 0, 0, [one(0x041A8)], [];
    RXNFGPC: Rc, 0, 0, [one(0x041B0)], [];
    RXNFGBCL: Rc, 0, 0, [one(0x041B4)], [];
    RXNFGBCH: Rc, 0, 0, [one(0x041B8)], [];
    TXDGPC: Rc, 0, 0, [one(0x087A0)], [];
    TXDGBCL: Rc, 0, 0, [one(0x087A4)], [];
    TXDGBCH: Rc, 0, 0, [one(0x087A8)], [];
    MNGPTC: Rc, 0, 0, [one(0x0CF90)], [];
}

// Field bits used by the model (datasheet 8.2.3).
pub const CTRL_PCIE_MASTER_DISABLE: u32 = 1 << 2;
pub const CTRL_LRST: u32 = 1 << 3;
pub const CTRL_RST: u32 = 1 << 26;
pub const STATUS_LINK_UP: u32 = 1 << 7;
pub const STATUS_PCIE_MASTER_ENABLE: u32 = 1 << 19;
pub const CTRL_EXT_DRV_LOAD: u32 = 1 << 28;
/// SWSM.SMBI (the read sets it; the agent that read 0 holds it) and SWSM.SWESMBI.
pub const SWSM_SMBI: u32 = 1 << 0;
pub const SWSM_SWESMBI: u32 = 1 << 1;
/// SW_FW_SYNC.SW_MAC_CSR_SM: software owns the MAC registers it shares with the firmware.
pub const GSSR_SW_MAC_CSR_SM: u32 = 1 << 3;
/// SW_FW_SYNC.FW_MAC_CSR_SM: the firmware owns them.
pub const GSSR_FW_MAC_CSR_SM: u32 = 1 << 8;
pub const EEC_ARD: u32 = 1 << 9;
pub const EERD_START: u32 = 1 << 0;
pub const EERD_DONE: u32 = 1 << 1;
pub const RDRXCTL_CRCSTRIP: u32 = 1 << 1;
pub const RDRXCTL_DMAIDONE: u32 = 1 << 3;
pub const EICR_LSC: u32 = 1 << 20;
pub const RXCTRL_RXEN: u32 = 1 << 0;
pub const FCTRL_MPE: u32 = 1 << 8;
pub const FCTRL_UPE: u32 = 1 << 9;
pub const FCTRL_BAM: u32 = 1 << 10;
pub const HLREG0_RXCRCSTRP: u32 = 1 << 1;
pub const HLREG0_JUMBOEN: u32 = 1 << 2;
pub const HLREG0_TXPADEN: u32 = 1 << 10;
pub const HLREG0_LPBK: u32 = 1 << 15;
pub const AUTOC_RESTART_AN: u32 = 1 << 12;
pub const AUTOC_LMS_SHIFT: u32 = 13;
pub const AUTOC_LMS_MASK: u32 = 0b111 << AUTOC_LMS_SHIFT;
pub const AUTOC_LMS_10G_SERIAL: u32 = 0b011;
pub const AUTOC2_PMA_PMD_SERIAL_SHIFT: u32 = 16;
pub const AUTOC2_PMA_PMD_SERIAL_MASK: u32 = 0b11 << AUTOC2_PMA_PMD_SERIAL_SHIFT;
pub const AUTOC2_PMA_PMD_SFI: u32 = 0b10;
pub const RTTDCS_ARBDIS: u32 = 1 << 6;
pub const RXCSUM_PCSD: u32 = 1 << 13;
pub const LINKS_UP_VALUE: u32 = (1 << 31) | (1 << 30) | (0b11 << 28) | (1 << 7);
pub const MSCA_MDICMD: u32 = 1 << 30;
pub const XDCTL_ENABLE: u32 = 1 << 25;
pub const SRRCTL_BSIZEPACKET: u32 = 0x1F;
pub const SRRCTL_DROP_EN: u32 = 1 << 28;
pub const DMATXCTL_TE: u32 = 1 << 0;
pub const DMATXCTL_VT_SHIFT: u32 = 16;
pub const RAH_AV: u32 = 1 << 31;
pub const MCSTCTRL_MFE: u32 = 1 << 2;
pub const TDWBAL_EN: u32 = 1 << 0;
pub const SECRXCTRL_RX_DIS: u32 = 1 << 1;
pub const SECRXSTAT_SECRX_RDY: u32 = 1 << 0;
pub const RXDCTL_VME: u32 = 1 << 30;
pub const VLNCTRL_VFE: u32 = 1 << 30;
pub const VT_CTL_VT_ENA: u32 = 1 << 0;
pub const VT_CTL_DIS_DEF_POOL: u32 = 1 << 29;
pub const VT_CTL_RPL_EN: u32 = 1 << 30;
pub const VMOLR_AUPE: u32 = 1 << 24;
pub const VMOLR_ROMPE: u32 = 1 << 25;
pub const VMOLR_ROPE: u32 = 1 << 26;
pub const VMOLR_BAM: u32 = 1 << 27;
pub const VMOLR_MPE: u32 = 1 << 28;
pub const VLVF_VI_EN: u32 = 1 << 31;
pub const MRCTL_VPME: u32 = 1 << 0;
pub const MRCTL_UPME: u32 = 1 << 1;
pub const MRCTL_DPME: u32 = 1 << 2;
pub const MRCTL_VLME: u32 = 1 << 3;
pub const MTQC_VT_ENA: u32 = 1 << 1;
pub const RTTBCNRC_RS_ENA: u32 = 1 << 31;
pub const FDIRCTRL_INIT_DONE: u32 = 1 << 3;
pub const FDIRCTRL_PERFECT_MATCH: u32 = 1 << 4;
pub const FDIRCMD_QUEUE_EN: u32 = 1 << 15;
pub const FDIRCMD_DROP: u32 = 1 << 9;
pub const FDIRCMD_IPV6: u32 = 1 << 7;
pub const FDIRCMD_IPV6DMATCH: u32 = 1 << 4;

/// The project's register table, for the names and reset values of the registers the card
/// stores without acting on them. (The table's addresses are checked against the Linux
/// driver's register list in `tests/registers_82599.rs`, and the card's own definitions
/// against the table in `tests/table.rs`.)
#[allow(dead_code, non_snake_case, non_camel_case_types, clippy::all)]
mod table {
    regdsl_rt::registers!("../registers/82599.txt");
}

/// Every register of `registers/82599.txt` (`regdsl_rt::RegInfo`: name, elements, aliases,
/// overlays, reset values), as generated from the table.
pub static TABLE: &[regdsl_rt::RegInfo] = table::REGISTERS;

/// What a BAR0 dword decodes to.
#[derive(Clone, Copy, Debug)]
pub struct Decoded {
    pub id: R,
    pub index: Option<u32>,
    /// Canonical dword (aliases resolved).
    pub dword: usize,
}

const NONE: u32 = u32::MAX;
/// Decode entries from here up (below [`NONE`]) are `TABLE_ID + k`: register `k` of [`TABLE`],
/// plain storage with a name. One comparison tells them and unknown offsets from the card's
/// own registers, as before.
const TABLE_ID: u32 = 1 << 31;

/// Each dword of each element of a table register (its own addresses and its aliases), with
/// the element index (0 for a single register) and which dword of the element it is (64-bit
/// registers cover two: low, then high).
fn table_dwords(r: &regdsl_rt::RegInfo, mut put: impl FnMut(usize, u32, usize)) {
    let dwords = (usize::from(r.bits) / 8).div_ceil(4);
    let mut elem = |addr: usize, i: u32| {
        for k in 0..dwords {
            put(addr / 4 + k, i, k);
        }
    };
    if !r.is_array() {
        elem(r.offset, 0);
        for a in r.aliases {
            elem(a.base, 0);
        }
        return;
    }
    for s in r.segments.iter().chain(r.aliases) {
        for i in s.min..=s.max {
            elem(s.base + s.step * (i - s.min) as usize, i);
        }
    }
}

fn decode_table() -> &'static [(u32, u32)] {
    static T: OnceLock<Box<[(u32, u32)]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = vec![(NONE, 0u32); DWORDS].into_boxed_slice();
        // The table's registers first (overlays only where nothing else is: a 64-bit view
        // decodes as its 32-bit halves), then the card's own over them.
        for overlay in [false, true] {
            for (k, r) in TABLE.iter().enumerate() {
                if r.over.is_empty() == overlay {
                    continue;
                }
                table_dwords(r, |dw, i, _| {
                    if dw < DWORDS && (!overlay || t[dw].0 == NONE) {
                        t[dw] = (TABLE_ID + k as u32, i);
                    }
                });
            }
        }
        for (id, d) in DEFS.iter().enumerate() {
            let mut put = |addr: u32, idx: u32| {
                let dw = addr as usize / 4;
                if dw < DWORDS {
                    t[dw] = (id as u32, idx);
                }
            };
            for s in d.segs.iter().chain(d.aliases) {
                if s.step == 0 {
                    put(s.base, 0);
                } else {
                    for i in s.min..=s.max {
                        put(s.base + s.step * u32::from(i - s.min), u32::from(i));
                    }
                }
            }
        }
        t
    })
}

/// Decode a byte offset (4-aligned, inside BAR0).
pub fn decode(offset: usize) -> Option<Decoded> {
    let (id, idx) = *decode_table().get(offset / 4)?;
    if id >= TABLE_ID {
        return None;
    }
    let r = R::from_u16(id as u16);
    let d = r.def();
    Some(Decoded {
        id: r,
        index: d.is_array().then_some(idx),
        dword: d.addr(idx) / 4,
    })
}

/// Canonical name and index of a BAR0 offset (for traces and violations), `None` if unknown.
pub fn lookup(offset: usize) -> Option<(&'static str, Option<u32>)> {
    let &(id, idx) = decode_table().get(offset / 4)?;
    match id {
        NONE => None,
        TABLE_ID.. => {
            let r = &TABLE[(id - TABLE_ID) as usize];
            Some((r.name, r.is_array().then_some(idx)))
        }
        _ => decode(offset).map(|d| (d.id.def().name, d.index)),
    }
}

/// The register storage of one port: one atomic per BAR0 dword, so the driver's tail writes
/// and the engine thread need no lock.
pub struct RegFile {
    pub dw: Box<[AtomicU32]>,
    pub reset: Box<[u32]>,
}

impl RegFile {
    pub fn new(lan_id: u32, mac: [u8; 6]) -> RegFile {
        let mut reset = vec![0u32; DWORDS].into_boxed_slice();
        // The table's reset values for the registers stored by name (element resets included;
        // a 64-bit register's halves low first). The card's own registers are set below.
        let names = decode_table();
        for (k, r) in TABLE.iter().enumerate() {
            let id = TABLE_ID + k as u32;
            table_dwords(r, |dw, i, half| {
                let Some(v) = r.reset_of(r.is_array().then_some(i)) else {
                    return;
                };
                if dw < DWORDS && names[dw].0 == id {
                    reset[dw] = (v >> (32 * half)) as u32;
                }
            });
        }
        for d in DEFS {
            if d.is_array() {
                for s in d.segs {
                    for i in s.min..=s.max {
                        reset[d.addr(u32::from(i)) / 4] = d.reset;
                    }
                }
            } else {
                reset[d.addr(0) / 4] = d.reset;
            }
        }
        // Per-element reset values (datasheet 8.2.3.8.9, 8.2.3.9.13, 8.2.3.9.16).
        reset[R::RXPBSIZE.def().addr(0) / 4] = 0x0008_0000; // 512 KB
        reset[R::TXPBSIZE.def().addr(0) / 4] = 0x0002_8000; // 160 KB
        reset[R::TXPBTHRESH.def().addr(0) / 4] = 0x96;
        // LAN ID of the function (STATUS 3:2); the MAC address loaded from the EEPROM.
        reset[R::STATUS.def().addr(0) / 4] |= (lan_id & 3) << 2;
        reset[R::RAL.def().addr(0) / 4] = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
        reset[R::RAH.def().addr(0) / 4] = u32::from(u16::from_le_bytes([mac[4], mac[5]])) | RAH_AV;
        let dw = reset.iter().map(|&v| AtomicU32::new(v)).collect();
        RegFile { dw, reset }
    }

    #[inline]
    pub fn get(&self, r: R, i: u32) -> u32 {
        self.dw[r.def().addr(i) / 4].load(Ordering::Acquire)
    }
    #[inline]
    pub fn cell(&self, r: R, i: u32) -> &AtomicU32 {
        &self.dw[r.def().addr(i) / 4]
    }
    #[inline]
    pub fn set(&self, r: R, i: u32, v: u32) {
        self.cell(r, i).store(v, Ordering::Release)
    }
    /// Add to a read-to-clear counter (saturating as the 82599's 32-bit counters do not wrap
    /// silently in software's view; they are read and cleared long before).
    #[inline]
    pub fn count(&self, r: R, i: u32, n: u64) {
        if n != 0 {
            self.cell(r, i).fetch_add(n as u32, Ordering::Relaxed);
        }
    }
    /// Add to a split 64-bit (L/H) octet counter, carrying into the high register.
    pub fn count64(&self, lo: R, hi: R, i: u32, n: u64) {
        if n == 0 {
            return;
        }
        let old = self.cell(lo, i).fetch_add(n as u32, Ordering::Relaxed);
        let carry = (u64::from(old) + (n & 0xFFFF_FFFF)) >> 32;
        let high = (n >> 32) + carry;
        if high != 0 {
            self.cell(hi, i).fetch_add(high as u32, Ordering::Relaxed);
        }
    }
    /// Restore every reset value (the register part of CTRL.RST, datasheet 4.2.1.6).
    pub fn restore(&self) {
        for (c, &v) in self.dw.iter().zip(self.reset.iter()) {
            c.store(v, Ordering::Relaxed);
        }
    }
}
