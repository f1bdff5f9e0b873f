regdsl_rt::registers!(inline "
SRRCTL 0x01014 - RW Split and Replication Receive Control
  .BSIZEPACKET 4:0 RW Receive buffer size
");

fn main() {
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    regs.SRRCTL().set(regdsl_rt::val!(SRRCTL::BSIZEPACKET, 32));
}
