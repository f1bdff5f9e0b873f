// Constant indices at the ends of each segment build and reach the right elements (the
// out-of-range ones are in tests/ui/const_index*.rs).
regdsl_rt::registers!(inline "
RXDCTL 0x01028 +0x40*0..63 RW Receive Descriptor Control
RXDCTL 0x0D028 +0x40*64..95 RW Receive Descriptor Control
");

fn main() {
    let mut bar = vec![0u32; 0x10000 / 4];
    // SAFETY: `bar` is a live, aligned buffer of 0x10000 bytes.
    let regs = Regs::new(unsafe { regdsl_rt::Mmio::new(bar.as_mut_ptr().cast(), 0x10000) });
    regs.RXDCTL().at_const::<0>().write(1u32);
    regs.RXDCTL().at_const::<63>().write(2u32);
    regs.RXDCTL().at_const::<64>().write(3u32);
    regs.RXDCTL().at_const::<95>().write(4u32);
    drop(regs);
    assert_eq!(bar[0x1028 / 4], 1);
    assert_eq!(bar[(0x1028 + 0x40 * 63) / 4], 2);
    assert_eq!(bar[0xD028 / 4], 3);
    assert_eq!(bar[(0xD028 + 0x40 * 31) / 4], 4);
}
