//! `fmt`: the canonical layout, exactly.
#[test]
fn canonical_layout() {
    let src = "\n\n# Receive registers\n@section Receive   # rx\nRDBAL\t0x01000 +0x40*0..63 RW   Receive Descriptor Base Address Low\nRDBAL 0x0D000\t+0x40*64..127 RW Receive Descriptor Base Address Low\n   SRRCTL 0x01014 +0x40*0..63 RW reset=0x402 Split   Receive -- trailing\n# fields\n .BSIZEPACKET 4:0 RW reset=2 Packet buffer size\n      .DESCTYPE 27:25 Descriptor type\n =LEGACY 000b Legacy\n  =ADV_ONEBUF  001b Advanced one buffer\n\n\n\nCTRL 0 - RW Device Control\n\n";
    let want = "\
# Receive registers
@section Receive # rx
RDBAL  0x01000 +0x40*0..63   RW Receive Descriptor Base Address Low
RDBAL  0x0D000 +0x40*64..127 RW Receive Descriptor Base Address Low
SRRCTL 0x01014 +0x40*0..63   RW reset=0x402 Split   Receive -- trailing
  # fields
  .BSIZEPACKET 4:0   RW reset=2 Packet buffer size
  .DESCTYPE    27:25    Descriptor type
    =LEGACY     000b Legacy
    =ADV_ONEBUF 001b Advanced one buffer

CTRL 0 - RW Device Control
";
    let got = regdsl::fmt::format("t.txt", src).unwrap();
    assert_eq!(got, want, "\n{got}");
    assert_eq!(regdsl::fmt::format("t.txt", &got).unwrap(), got);
}

#[test]
fn syntax_errors_block_formatting() {
    let e = regdsl::fmt::format("t.txt", "CTRL 0x0 - RX x\n").unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].message.starts_with("unknown mode `RX`"));
}

#[test]
fn semantic_errors_do_not_block_formatting() {
    // A misaligned register is an error of the table, not of its layout on the page.
    let f = regdsl::fmt::format("t.txt", "X   0x2 -  RW x\n").unwrap();
    assert_eq!(f, "X 0x2 - RW x\n");
}

#[test]
fn element_resets_are_kept_as_written() {
    let src = "RXPBSIZE\t0x03C00 +0x04*0..7 RW  reset[0]=0x00080000\treset[1..7]=0   Receive Packet Buffer Size\nQ 0x100 +4*0..1 RW reset=0 reset[0X1]=1b q\n";
    let want = "\
RXPBSIZE 0x03C00 +0x04*0..7 RW reset[0]=0x00080000 reset[1..7]=0 Receive Packet Buffer Size
Q        0x100   +4*0..1    RW reset=0 reset[0X1]=1b q
";
    let got = regdsl::fmt::format("t.txt", src).unwrap();
    assert_eq!(got, want, "\n{got}");
    assert_eq!(regdsl::fmt::format("t.txt", &got).unwrap(), got);
}
