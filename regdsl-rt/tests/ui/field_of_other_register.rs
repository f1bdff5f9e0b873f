regdsl_rt::registers!(inline "
CTRL 0x00000 - RW Device Control
  .RST 26 RW Device Reset
  .MODE 5:4 RW Mode
    =A 1 Mode A
STATUS 0x00008 - RW Device Status
  .LU 1 RW Link up
  .SPEED 7:6 RW Speed
    =FAST 3 Fast
");

fn main() {
    // A field, a named value or a field value of one register is refused by another's handle.
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(core::ptr::null_mut(), 0) });
    regs.STATUS().set(CTRL::RST);
    regs.STATUS().write(CTRL::MODE::A);
    regs.STATUS().modify(|v| v.with(CTRL::MODE.val(1)));
    let _ = regs.STATUS().read().get(CTRL::MODE);
    let _ = CTRL::RST | STATUS::LU;
}
