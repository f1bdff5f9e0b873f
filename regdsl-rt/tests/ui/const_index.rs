regdsl_rt::registers!(inline "RDT 0x01018 +0x40*0..127 RW Receive Descriptor Tail");

fn main() {
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    regs.RDT().at_const::<128>().write(0u32);
}
