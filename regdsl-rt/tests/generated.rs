//! Generated code on a register-file bus wrapped in the tracing bus: the exact access
//! sequences of read/write/set/clr/modify/wait, reserved and W1C bits, arrays, counters.

use regdsl_rt::{Bus, FieldError, Index, Site, Trace, TraceLog};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

// small.txt keeps two table warnings on purpose (an unaligned 64-bit register, an ALIAS range
// over RDT[68]); `registers!` reports them as `deprecated` uses, allowed here.
regdsl_rt::registers!(#[allow(deprecated)] mod small, "tests/tables/small.txt");
use small::*;

/// A register file: reads return what was written (or a preset); `CTRL.RST`/`LRST` self-clear
/// after `clear_after` reads; EICR is write-1-to-clear; GPRC, GORCL/H clear on read.
#[derive(Default)]
struct RegFile {
    mem: Mutex<HashMap<usize, u32>>,
    reads_of_ctrl: Mutex<u32>,
    clear_after: u32,
}

impl RegFile {
    fn with(values: &[(usize, u32)], clear_after: u32) -> Self {
        let f = RegFile {
            clear_after,
            ..Default::default()
        };
        f.mem.lock().unwrap().extend(values.iter().copied());
        f
    }
    fn get(&self, off: usize) -> u32 {
        *self.mem.lock().unwrap().get(&off).unwrap_or(&0)
    }
}

impl Bus for RegFile {
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
    fn read32(&self, offset: usize, _site: Site) -> u32 {
        let mut m = self.mem.lock().unwrap();
        let v = *m.get(&offset).unwrap_or(&0);
        if offset == 0 {
            let mut n = self.reads_of_ctrl.lock().unwrap();
            *n += 1;
            if *n >= self.clear_after {
                m.insert(0, v & !((1 << 26) | (1 << 3)));
            }
        }
        if [0x4074, 0x4088, 0x408C].contains(&offset) {
            m.insert(offset, 0);
        }
        v
    }
    fn write32(&self, offset: usize, value: u32, _site: Site) {
        let mut m = self.mem.lock().unwrap();
        if offset == 0x800 {
            let old = *m.get(&offset).unwrap_or(&0);
            m.insert(offset, old & !value);
        } else {
            m.insert(offset, value);
        }
    }
}

fn traced(f: RegFile) -> Regs<Trace<RegFile, TraceLog>> {
    Regs::new(Trace::new(f, TraceLog::new()).with_lookup(lookup))
}

fn log(regs: &Regs<Trace<RegFile, TraceLog>>) -> Vec<String> {
    regs.bus().sink().take()
}

#[test]
fn set_clr_modify_write_sequences() {
    let regs = traced(RegFile::with(&[(0, 0x0000_0008)], u32::MAX));
    regs.CTRL().set(CTRL::RST);
    regs.CTRL().clr(CTRL::LRST);
    regs.CTRL().write(CTRL::RST | CTRL::LRST);
    regs.CTRL().modify(|v| v.clr(CTRL::RST));
    assert_eq!(
        log(&regs),
        [
            "R 0x00000 0x00000008 CTRL",
            "W 0x00000 0x04000008 CTRL",
            "R 0x00000 0x04000008 CTRL",
            "W 0x00000 0x04000000 CTRL",
            "W 0x00000 0x04000008 CTRL",
            "R 0x00000 0x04000008 CTRL",
            "W 0x00000 0x00000008 CTRL",
        ]
    );
}

#[test]
fn reserved_bits_keep_the_required_value() {
    let regs = traced(RegFile::default());
    // CTRL.RSV31 is `write=0`: a write of all ones keeps bit 31 clear.
    regs.CTRL().write(0xFFFF_FFFFu32);
    // SRRCTL.RSV5 (7:5) keeps its reset value (0x402 -> bits 7:5 = 0).
    regs.SRRCTL().at(3).write(0xFFFF_FFFFu32);
    assert_eq!(
        log(&regs),
        [
            "W 0x00000 0x7FFFFFFF CTRL",
            "W 0x010D4 0xFFFFFF1F SRRCTL[3]"
        ]
    );
}

#[test]
fn wait_clear_polls_until_self_clearing_bits_drop() {
    let regs = traced(RegFile::with(&[(0, 0x0400_0008)], 3));
    let v = regs
        .CTRL()
        .wait_clear(CTRL::RST | CTRL::LRST, Duration::from_secs(5))
        .unwrap();
    assert!(v.is_clear(CTRL::RST));
    assert_eq!(
        log(&regs),
        [
            "R 0x00000 0x04000008 CTRL",
            "R 0x00000 0x04000008 CTRL",
            "R 0x00000 0x04000008 CTRL",
            "R 0x00000 0x00000000 CTRL",
        ]
    );
}

#[test]
fn wait_times_out_with_register_and_last_value() {
    let regs = traced(RegFile::with(&[(0x01028 + 0x40 * 2, 0)], u32::MAX));
    let e = regs
        .RXDCTL()
        .at(2)
        .wait_set(RXDCTL::ENABLE, Duration::from_millis(5))
        .unwrap_err();
    assert_eq!(
        (e.register, e.index, e.mask, e.last),
        ("RXDCTL", Some(2), 1 << 25, 0)
    );
    assert_eq!(
        e.to_string(),
        "timeout waiting on RXDCTL[2] (bits 0x2000000, last value 0x0)"
    );
    let lines = log(&regs);
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| l == "R 0x010A8 0x00000000 RXDCTL[2]"),
        "{lines:?}"
    );
    // The poll-count variant: exactly `polls` reads.
    let e = regs
        .RXDCTL()
        .at(2)
        .wait_set_polls(RXDCTL::ENABLE, 4)
        .unwrap_err();
    assert_eq!(e.last, 0);
    assert_eq!(log(&regs).len(), 4);
}

#[test]
// Counts reads in a wall-clock wait: under Miri each read takes long enough to change the count.
#[cfg_attr(miri, ignore)]
fn waits_back_off_instead_of_hammering_the_bus() {
    // A bit that never sets: default pacing (8 back-to-back polls, then pauses doubling from
    // 10 us to 10 ms). A 50 ms wait is about 8 + 10 + 4 reads; a spinning loop made thousands.
    let regs = traced(RegFile::with(&[(0x01028 + 0x40 * 2, 0)], u32::MAX));
    let t = std::time::Instant::now();
    let e = regs
        .RXDCTL()
        .at(2)
        .wait_set(RXDCTL::ENABLE, Duration::from_millis(50));
    assert!(e.is_err());
    assert!(t.elapsed() >= Duration::from_millis(50));
    let reads = log(&regs).len();
    assert!((9..=40).contains(&reads), "{reads} reads in a 50 ms wait");
    // Configured per call: no spins, 5 ms pauses from the start: about 50/5 + 1 reads.
    let poll = regdsl_rt::Poll::new(Duration::from_millis(50))
        .spins(0)
        .pauses(Duration::from_millis(5), Duration::from_millis(5));
    assert!(regs.RXDCTL().at(2).wait_set(RXDCTL::ENABLE, poll).is_err());
    let reads = log(&regs).len();
    assert!((2..=12).contains(&reads), "{reads} reads with 5 ms pauses");
    // A bit that is already set costs one read and no pause.
    let regs = traced(RegFile::with(&[(0x01028, 1 << 25)], u32::MAX));
    assert!(regs
        .RXDCTL()
        .at(0)
        .wait_set(RXDCTL::ENABLE, Duration::from_secs(5))
        .is_ok());
    assert_eq!(log(&regs).len(), 1);
}

#[test]
fn modify_never_writes_back_w1c_ones() {
    let regs = traced(RegFile::with(&[(0x800, 0x0010_0003)], u32::MAX));
    // Changing nothing must not clear the pending causes.
    regs.EICR().modify(|v| v);
    // set() of a W1C bit clears exactly that bit.
    regs.EICR().set(EICR::LSC);
    assert_eq!(
        log(&regs),
        [
            "R 0x00800 0x00100003 EICR",
            "W 0x00800 0x00000000 EICR",
            "R 0x00800 0x00100003 EICR",
            "W 0x00800 0x00100000 EICR",
        ]
    );
    assert_eq!(regs.bus().inner().get(0x800), 0x3);
}

#[test]
fn fields_and_named_values() {
    let regs = traced(RegFile::with(&[(8, (0b11 << 28) | 0x80)], u32::MAX));
    let s = regs.STATUS().read();
    assert!(s.is_set(STATUS::LINK_UP));
    assert_eq!(s.get(STATUS::SPEED), 0b11);
    assert!(s.is(STATUS::SPEED::S10G));
    assert!(!s.is(STATUS::SPEED::S1G));

    let q = regs.SRRCTL().at(1);
    q.modify(|v| v.with(SRRCTL::DESCTYPE::ADV_ONEBUF | SRRCTL::DROP_EN));
    // The fallible verb: checked before any access.
    let sizes =
        || Ok::<_, FieldError>(SRRCTL::BSIZEPACKET.try_val(2)? | SRRCTL::BSIZEHEADER.try_val(4)?);
    q.set(sizes().unwrap());
    let e = SRRCTL::BSIZEPACKET.try_val(32).unwrap_err();
    assert_eq!(
        e.to_string(),
        "value 0x20 does not fit field SRRCTL.BSIZEPACKET (5 bits)"
    );
    // The infallible verb panics with the same text.
    let p = std::panic::catch_unwind(|| SRRCTL::BSIZEPACKET.val(32)).unwrap_err();
    assert_eq!(
        p.downcast_ref::<String>().map(String::as_str),
        Some("value 0x20 does not fit field SRRCTL.BSIZEPACKET (5 bits)")
    );
    q.set(regdsl_rt::val!(SRRCTL::BSIZEPACKET, 31));
    assert_eq!(
        log(&regs),
        [
            "R 0x00008 0x30000080 STATUS",
            "R 0x01054 0x00000000 SRRCTL[1]",
            "W 0x01054 0x12000000 SRRCTL[1]",
            "R 0x01054 0x12000000 SRRCTL[1]",
            "W 0x01054 0x12000402 SRRCTL[1]",
            "R 0x01054 0x12000402 SRRCTL[1]",
            "W 0x01054 0x1200041F SRRCTL[1]",
        ]
    );
}

#[test]
fn ad_hoc_bits_like_snabb() {
    let regs = traced(RegFile::default());
    regs.RTTDCS().set(RTTDCS::TDPAC | RTTDCS::TDRM);
    regs.FCTTV()
        .at(0)
        .write(regdsl_rt::bits!(FCTTV::Reg; 0, 16));
    regs.EIMC()
        .write(regdsl_rt::Bits::<EIMC::Reg>::raw(0x7FFF_FFFF));
    assert_eq!(
        log(&regs),
        [
            "R 0x04900 0x00000000 RTTDCS",
            "W 0x04900 0x00000011 RTTDCS",
            "W 0x03200 0x00010001 FCTTV[0]",
            "W 0x00888 0x7FFFFFFF EIMC",
        ]
    );
}

#[test]
fn arrays_split_aliases_and_indices() {
    let regs = traced(RegFile::default());
    regs.RXDCTL().at(63).set(RXDCTL::ENABLE);
    regs.RXDCTL().at_const::<64>().write(0u32);
    let q = Index::<idx::I0To127>::new(127).unwrap();
    regs.RDT().at(q).write_publish(5u32);
    regs.TDT().at(q).write(6u32);
    // Resolved once, used later on the bus: the same register as `at`, both segments.
    let low = regs.RDT().element(Index::new(3).unwrap());
    let high = regdsl_rt::Element::<RDT::Reg>::new(q);
    assert_eq!((low.index(), low.offset()), (3, regs.RDT().at(3).offset()));
    assert_eq!(high.offset(), regs.RDT().at(127).offset());
    high.on(regs.bus()).write(7u32);
    assert!(regs.RDT().get(128).is_err());
    assert_eq!(
        regs.RDT().get(128).err().unwrap().to_string(),
        "index 128 out of range for register array RDT (valid: 0..=127)"
    );
    assert!(Index::<idx::I0To127>::new(128).is_none());
    assert_eq!(
        log(&regs),
        [
            "R 0x01FE8 0x00000000 RXDCTL[63]",
            "W 0x01FE8 0x02000000 RXDCTL[63]",
            "W 0x0D028 0x00000000 RXDCTL[64]",
            "W 0x02FD8 0x00000005 RDT[127]",
            "W 0x07FD8 0x00000006 TDT[127]",
            "W 0x02FD8 0x00000007 RDT[127]",
        ]
    );
    let offs: Vec<usize> = regs.RXDCTL().iter().map(|r| r.offset()).collect();
    assert_eq!(offs.len(), 128);
    assert_eq!(
        (offs[0], offs[63], offs[64], offs[127]),
        (0x1028, 0x1FE8, 0xD028, 0xDFE8)
    );
    assert_eq!(regs.FCTTV().iter().map(|r| r.index()).last(), Some(Some(3)));
    // lookup: canonical names, aliases resolved, overlays after what they overlay.
    let name = |o| lookup(o).map(|s| (s.name, s.index));
    assert_eq!(name(0xD028), Some(("RXDCTL", Some(64))));
    assert_eq!(name(0x2100 + 4 * 15), Some(("SRRCTL", Some(15))));
    assert_eq!(name(0x4088), Some(("GORCL", None)));
    assert_eq!(name(0x8C10), Some(("SYSTIM", None)));
    assert_eq!(name(0x2140), None);
    assert_eq!(name(0x1029), Some(("RXDCTL", Some(0))));
    assert_eq!(name(0x102C), None);
}

#[test]
#[should_panic(expected = "index 64 out of range for register array FCTTV (valid: 0..=3)")]
fn at_out_of_range_panics_naming_register_and_range() {
    let regs = traced(RegFile::default());
    regs.FCTTV().at(64).write(1u32);
}

#[test]
fn unaligned_64_bit_register_is_two_halves_low_first() {
    let regs = traced(RegFile::with(&[(0x8C0C, 0x2), (0x8C10, 0x1)], u32::MAX));
    assert_eq!(regs.SYSTIM().read().bits(), 0x1_0000_0002);
    regs.SYSTIM().write(0xAAAA_BBBB_CCCC_DDDDu64);
    assert_eq!(
        log(&regs),
        [
            "R 0x08C0C 0x00000002 SYSTIM",
            "R 0x08C10 0x00000001 SYSTIM",
            "W 0x08C0C 0xCCCCDDDD SYSTIM",
            "W 0x08C10 0xAAAABBBB SYSTIM",
        ]
    );
}

#[test]
fn counters_accumulate_without_losing_counts() {
    let f = RegFile::with(
        &[
            (0x4074, 7),
            (0x4088, 10),
            (0x408C, 1),
            (0x1030, 0xFFFF_FFF0),
        ],
        u32::MAX,
    );
    let mut regs = traced(f);
    let mut stats = Stats::new();
    stats.update(&mut regs);
    assert_eq!(stats.GPRC.total(), 7);
    assert_eq!(stats.GORC64.total(), (1 << 32) + 10);
    // RCR: the first reading is the base; a wrap is counted.
    regs.bus().inner().write32(0x1030, 0x10, Site::UNNAMED);
    regs.bus().inner().write32(0x4074, 5, Site::UNNAMED);
    stats.update(&mut regs);
    assert_eq!(stats.GPRC.total(), 12);
    assert_eq!(stats.QPRC[0].total(), 0x20);
    let mut seen = Vec::new();
    stats.for_each(|n, i, t| {
        if t != 0 {
            seen.push((n, i, t))
        }
    });
    assert_eq!(
        seen,
        [
            ("GPRC", None, 12),
            ("QPRC", Some(0), 0x20),
            ("GORC64", None, (1 << 32) + 10)
        ]
    );
    // Reads of a read-to-clear register need unique access.
    assert_eq!(regs.GPRC_mut().read().bits(), 0);
    let lines = log(&regs);
    assert!(
        lines.contains(&"R 0x04088 0x000000010000000A GORC64".to_string()),
        "{lines:?}"
    );
    // RTC (interrupt causes): read with unique access too, but never by `Stats`, whose
    // `update` would consume the pending causes.
    regs.bus().inner().write32(0xC0, 0x4, Site::UNNAMED);
    stats.update(&mut regs);
    let lines = log(&regs);
    assert!(!lines.iter().any(|l| l.ends_with(" ICR")), "{lines:?}");
    stats.for_each(|n, _, _| assert_ne!(n, "ICR"));
    assert_eq!(regs.ICR_mut().read().bits(), 0x4);
    assert_eq!(log(&regs), ["R 0x000C0 0x00000004 ICR"]);
}

#[test]
fn generated_constants_for_a_software_device() {
    use regdsl_rt::{ArraySpec, Register, Single};
    assert_eq!(<CTRL::Reg as Single>::OFFSET, 0);
    assert_eq!(<CTRL::Reg as Register>::RESET, Some(0));
    assert_eq!(<SRRCTL::Reg as ArraySpec>::offset(64), Some(0xD014));
    assert_eq!(<SRRCTL::Reg as ArraySpec>::offset(128), None);
    // A W1C register: every bit not in a field of another mode.
    assert_eq!(<EICR::Reg as Register>::W1C_MASK, 0xFFFF_FFFF);
    assert_eq!(<STATUS::Reg as Register>::WRITABLE, 0);
    let info = REGISTERS.iter().find(|r| r.name == "SRRCTL").unwrap();
    assert_eq!(info.reset, Some(0x402));
    assert_eq!(info.rsv_mask, 0xE0);
    assert_eq!(info.aliases.len(), 1);
    assert_eq!(info.offset_of(Some(70)), Some(0xD014 + 6 * 0x40));
}
