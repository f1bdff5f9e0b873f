regdsl_rt::registers!(inline "GPRC 0x04074 - RC Good Packets Received Count");

fn main() {
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    let _ = regs.GPRC().read();
}
