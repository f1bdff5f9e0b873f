regdsl_rt::registers!(inline "ICR 0x000C0 - RTC Interrupt Cause Read");

fn main() {
    // Reading consumes the pending causes: it needs `regs.ICR_mut()` (unique access).
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    let _ = regs.ICR().read();
}
