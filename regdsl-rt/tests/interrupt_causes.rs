//! Interrupt cause registers pasted as datasheets print them (`RC/W`, `RC/W1C`) are
//! read-to-clear and writable (`RTCW`), not counters: read through `NAME_mut()`, written
//! through the shared handle, and never read by `Stats` (whose `update` would consume the
//! pending causes). Counters printed `RC` stay counters.

use regdsl_rt::{Mmio, Trace, TraceLog};

regdsl_rt::registers!(mod gbe, inline "
@columns ignore offset name description mode
Interrupt   000C0h  ICR       Interrupt Cause Read            RC/W
Interrupt   000C8h  ICS       Interrupt Cause Set             W
Interrupt   01500h  EICR      Extended Interrupt Cause        RC/W1C
Statistics  04000h  CRCERRS   CRC Error Count                 RC
");
use gbe::*;

#[test]
fn interrupt_causes_are_writable_and_not_counted() {
    let mut mem = vec![0u64; 0x4008 / 8];
    let len = mem.len() * 8;
    // SAFETY: `mem` is live, 8-aligned and `len` bytes long until the end of the test.
    let mmio = unsafe { Mmio::new(mem.as_mut_ptr().cast(), len) };
    let log = TraceLog::new();
    let mut regs = Regs::new(Trace::new(mmio, &log));
    // Write 1s to clear: a write through the shared handle.
    regs.ICR().write(0x4u32);
    regs.EICR().write(0x1u32);
    assert_eq!(regs.ICR_mut().read().bits(), 0x4);
    assert_eq!(regs.EICR_mut().read().bits(), 0x1);
    log.take();
    let mut stats = Stats::new();
    stats.update(&mut regs);
    let lines = log.take();
    assert!(
        lines.iter().any(|l| l.ends_with(" CRCERRS")),
        "the RC counter is read by Stats: {lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.ends_with(" ICR") || l.ends_with(" EICR")),
        "Stats read an interrupt cause register: {lines:?}"
    );
    let mut names = Vec::new();
    stats.for_each(|n, _, _| names.push(n));
    assert_eq!(names, ["CRCERRS"]);
    let info = |n: &str| REGISTERS.iter().find(|r| r.name == n).unwrap().access;
    assert_eq!(info("ICR"), regdsl_rt::Access::RTCW);
    assert_eq!(info("EICR"), regdsl_rt::Access::RTCW);
    assert_eq!(info("CRCERRS"), regdsl_rt::Access::RC);
}
