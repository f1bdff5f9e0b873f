//! Names that pass `regdsl check` compile (issue 13.6): names of generated items, of the
//! runtime, of prelude types and of std modules are ordinary register, field and value names.

regdsl_rt::registers!(mod t, inline "
B        0x0000  -  RW   A register named like the bus parameter
R        0x0004  -  RC   A counter named like the spec parameter
regdsl_rt 0x0008 - RW   The runtime crate's name
Option   0x000C  -  RW   A prelude type
  .Some    0      RW   A prelude variant
  .None    1      RW   Another
  .Ok      2      RW   And another
  .Result  4:3    RW   A prelude type as a field
    =Err     01b  Prelude variant as a value
core     0x0010  -  RW   A std crate name
std      0x0014  -  RW   Another
Default  0x0018  -  RW   A prelude trait
u32      0x001C  -  RW   A primitive type
Int      0x0020  -  RW   A runtime trait
Bus      0x0024  -  RW   Another
Value    0x0028  -  RW   A runtime type
Counter  0x002C  -  RC   Another
S        0x0030  +0x4*0..3 RW  An array named like the segment alias
I        0x0040  -  RW   Named like the info alias
A        0x0044  -  RW   Named like the access alias
O        0x0048  -  RW   Named like the Option alias
E        0x004C  -  RW   Named like the empty-segment constant
N        0x0050  -  RW   Named like the empty-over constant
");

#[test]
fn names_of_generated_items_prelude_and_runtime_compile() {
    let mut mem = vec![0u32; 0x60 / 4];
    // SAFETY: `mem` is a live, aligned buffer of 0x60 bytes that outlives `regs`.
    let mut regs = t::Regs::new(unsafe { regdsl_rt::Mmio::new(mem.as_mut_ptr().cast(), 0x60) });
    regs.B().write(1u32);
    regs.Option().set(t::Option::Some | t::Option::Result::Err);
    assert_eq!(regs.Option().read().bits(), 0b1001);
    regs.u32().write(2u32);
    regs.S().at(3).write(3u32);
    let _ = regs.R_mut().read();
    let mut s = t::Stats::new();
    s.update(&mut regs);
    assert_eq!(t::REGISTERS.len(), 18);
}
