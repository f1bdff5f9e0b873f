regdsl_rt::registers!(inline "
EIMC 0x00888 - WO Interrupt Mask Clear
  .LSC 20 WO Link status change
");

fn main() {
    // `set` reads the register first: a write-only register cannot be read.
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    regs.EIMC().set(EIMC::LSC);
}
