// The note names the array's own range, not a fixed example.
regdsl_rt::registers!(inline "
RXDCTL 0x01028 +0x40*0..63 RW Receive Descriptor Control
RXDCTL 0x0D028 +0x40*64..95 RW Receive Descriptor Control
");

fn main() {
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    regs.RXDCTL().at_const::<96>().write(0u32);
}
