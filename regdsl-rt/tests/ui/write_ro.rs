regdsl_rt::registers!(inline "STATUS 0x00008 - RO Device Status");

fn main() {
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    regs.STATUS().write(1u32);
}
