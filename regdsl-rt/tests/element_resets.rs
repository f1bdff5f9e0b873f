//! Per-element reset values (`reset[I]=V`, `reset[I..J]=V`) in generated code: `Reg::reset_at`
//! on the register module and `RegInfo::reset_of` in `REGISTERS`.

regdsl_rt::registers!(mod t, inline "
PBSIZE  0x03C00 +0x04*0..7  RW  reset[0]=0x00080000 reset[1..7]=0  Packet Buffer Size (as the 82599's RXPBSIZE)
  .SIZE 19:10 RW Size in KB
Q       0x20000 +0x40*0..3  RW  reset=5 reset[6]=1 reset[2..3]=2  split array, default 5
Q       0x30000 +0x40*4..7  RW  second segment
WIDE    0x40000 +0x08*2..3  RW64 reset[3]=0x100000000  64-bit
CTRL    0x00000 -           RW  reset=0x8  Device Control
");
use t::*;

#[test]
fn reset_at_gives_each_elements_reset() {
    assert_eq!(PBSIZE::Reg::reset_at(0), Some(0x0008_0000));
    assert_eq!(PBSIZE::Reg::reset_at(1), Some(0));
    assert_eq!(PBSIZE::Reg::reset_at(7), Some(0));
    assert_eq!(PBSIZE::Reg::reset_at(8), None);
    let q: Vec<_> = (0..9).map(Q::Reg::reset_at).collect();
    let (d, one, two) = (Some(5), Some(1), Some(2));
    assert_eq!(q, [d, d, two, two, d, d, one, d, None]);
    assert_eq!(WIDE::Reg::reset_at(1), None);
    assert_eq!(WIDE::Reg::reset_at(2), None);
    assert_eq!(WIDE::Reg::reset_at(3), Some(0x1_0000_0000u64));
    // A const fn: usable in constants.
    const RX0: Option<u32> = PBSIZE::Reg::reset_at(0);
    assert_eq!(RX0, Some(0x0008_0000));
    // `RESET` stays the register's `reset=` (none for PBSIZE).
    assert_eq!(<PBSIZE::Reg as regdsl_rt::Register>::RESET, None);
    assert_eq!(<Q::Reg as regdsl_rt::Register>::RESET, Some(5));
}

#[test]
fn reg_info_reset_of_matches_the_table() {
    let info = |n: &str| REGISTERS.iter().find(|r| r.name == n).unwrap();
    let pb = info("PBSIZE");
    assert_eq!(pb.reset, None);
    assert_eq!(pb.reset_of(Some(0)), Some(0x0008_0000));
    assert_eq!(pb.reset_of(Some(5)), Some(0));
    assert_eq!(pb.reset_of(Some(8)), None);
    assert_eq!(pb.reset_of(None), None);
    let q = info("Q");
    let each: Vec<_> = (0..9).map(|i| q.reset_of(Some(i))).collect();
    assert_eq!(
        each,
        [
            Some(5),
            Some(5),
            Some(2),
            Some(2),
            Some(5),
            Some(5),
            Some(1),
            Some(5),
            None
        ]
    );
    let ctrl = info("CTRL");
    assert!(ctrl.element_resets.is_empty());
    assert_eq!(ctrl.reset_of(None), Some(8));
    assert_eq!(ctrl.reset_of(Some(0)), None);
    assert_eq!(info("WIDE").reset_of(Some(3)), Some(0x1_0000_0000));
}
