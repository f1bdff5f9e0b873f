regdsl_rt::registers!(inline "EIMC 0x00888 - WO Interrupt Mask Clear");

fn main() {
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    let _ = regs.EIMC().read();
}
