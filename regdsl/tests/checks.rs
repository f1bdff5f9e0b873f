//! One test per check, each with the exact one-line diagnostic (file:line:col: severity: reason).
fn diags(src: &str) -> Vec<String> {
    regdsl::compile("t.txt", src)
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect()
}

fn one(src: &str, expected: &str) {
    assert_eq!(diags(src), [expected]);
}

#[test]
fn syntax_missing_layout() {
    one("CTRL 0x0\n", "t.txt:1:9: error: expected a layout (`-` or `+STEP*MIN..MAX`) after the offset, found end of line");
}

#[test]
fn syntax_bad_number() {
    one(
        "CTRL 0x00g0 - RW x\n",
        "t.txt:1:10: error: unexpected `g0` after the number",
    );
    one("CTRL ox10 - RW x\n", "t.txt:1:6: error: expected an offset (hex `0x1F` or `1Fh`, decimal `31` or binary `11111b`), found `ox10`");
}

#[test]
fn syntax_bad_layout() {
    one(
        "RDBAL 0x1000 +0x40-0..63 RW x\n",
        "t.txt:1:19: error: expected `*` after the step, found `-0..63`",
    );
    one(
        "RDBAL 0x1000 +0x40*0:63 RW x\n",
        "t.txt:1:21: error: expected `..` between the first and last index, found `:63`",
    );
    one("RDBAL 0x1000 * RW x\n", "t.txt:1:14: error: expected a layout: `-` (one register) or `+STEP*MIN..MAX` (an array), found `*`");
}

#[test]
fn unknown_mode() {
    one("CTRL 0x0 - RX Device Control\n", "t.txt:1:12: error: unknown mode `RX` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS)");
}

#[test]
fn name_twice_at_different_addresses() {
    one(
        "CTRL 0x0 - RW a\nCTRL 0x4 - RW b\n",
        "t.txt:2:6: error: `CTRL` is defined twice at different addresses: 0x00004 here, 0x00000 at line 1 (only arrays can be split over several rows)",
    );
    one(
        "X 0x0 - RW a\nX 0x100 +4*0..3 RW b\n",
        "t.txt:2:9: error: `X` is defined twice: as a single register at line 1 and as an array here",
    );
}

#[test]
fn same_row_again_is_a_warning() {
    one(
        "CTRL 0x0 - RW a\nCTRL 0x0 - RW b\n",
        "t.txt:2:1: warning: `CTRL` is defined again with the same address and layout as at line 1; the last description wins",
    );
}

#[test]
fn same_name_other_mode() {
    one(
        "CTRL 0x0 - RW a\nCTRL 0x0 - RO b\n",
        "t.txt:2:12: error: `CTRL` has mode RO here but RW at line 1",
    );
}

#[test]
fn split_array_ranges_overlap() {
    one(
        "RDBAL 0x01000 +0x40*0..63 RW a\nRDBAL 0x0D000 +0x40*60..127 RW a\n",
        "t.txt:2:21: error: index range 60..127 of split array `RDBAL` overlaps its segment 0..63 at line 1",
    );
}

#[test]
fn split_array_segments_share_bytes() {
    one(
        "R 0x1000 +4*0..3 RW a\nR 0x1000 +4*4..7 RW a\n",
        "t.txt:2:3: error: `R[4]` at 0x01000 overlaps `R[0]` at 0x01000: the segments of a split array must not share addresses",
    );
}

#[test]
fn undeclared_overlap_is_a_warning() {
    one(
        "TCTL 0x00400 - RW TX Control\nTCTL_EXT 0x00400 - RW Extended TX Control\n",
        "t.txt:2:1: warning: `TCTL_EXT` (0x00400..=0x00403) overlaps `TCTL` (0x00400..=0x00403, line 1): undeclared overlap; if deliberate, add `over=TCTL` to `TCTL_EXT`",
    );
    one(
        "A 0x100 +4*0..3 RW a\nB 0x200 - RW b\nA 0x200 +4*0..0 ALIAS a\n",
        "t.txt:3:3: warning: `A[0]` (ALIAS) (0x00200..=0x00203) overlaps `B` (0x00200..=0x00203, line 2): an ALIAS range overlapping another register; if deliberate, add `over=B` to `A`",
    );
}

#[test]
fn over_without_overlap_and_unknown_over() {
    one(
        "A 0x0 - RW a\nB 0x8 - RW over=A b\n",
        "t.txt:2:17: warning: `B` is declared `over=A` but they share no bytes",
    );
    one(
        "B 0x8 - RW over=NOPE b\n",
        "t.txt:1:17: error: `over=` names `NOPE`, which is not a register of this table",
    );
}

#[test]
fn misaligned_32_bit_register() {
    one("X 0x1002 - RW x\n", "t.txt:1:3: error: `X` at 0x01002 is not 4-byte aligned (32-bit registers need 4-byte alignment)");
    one("X 0x1000 +6*0..3 RW x\n", "t.txt:1:11: error: stride 0x00006 of `X` is not 4-byte aligned (32-bit registers need 4-byte alignment)");
}

#[test]
fn misaligned_64_bit_register_is_a_warning() {
    one(
        "QBRC64 0x01034 +0x40*0..15 RC64 Queue Bytes Received Count\n",
        "t.txt:1:8: warning: `QBRC64` at 0x01034 is not 8-byte aligned: the 64-bit register is accessed as two 32-bit halves",
    );
    one("Q 0x01032 - RC64 q\n", "t.txt:1:3: error: `Q` at 0x01032 is not 4-byte aligned (64-bit registers need 4-byte alignment)");
}

#[test]
fn stride_smaller_than_width() {
    one(
        "Q 0x1000 +4*0..3 RW64 q\n",
        "t.txt:1:11: error: stride 4 of `Q` is smaller than its width (64 bits = 8 bytes): elements would overlap",
    );
}

#[test]
fn reversed_and_oversized_ranges() {
    one(
        "Y 0x100 +0x40*5..3 RW y\n",
        "t.txt:1:15: error: reversed index range `5..3`: the first index must not exceed the last",
    );
    one(
        "Y 0x100 +4*0..70000 RW y\n",
        "t.txt:1:12: error: `Y` would have 70001 elements; arrays have at most 65536",
    );
    one(
        "Y 0xFFFFFFFFFFFFFF00 +0x40*0..10 RW y\n",
        "t.txt:1:22: error: `Y` runs past the 64-bit address space",
    );
}

#[test]
fn overlapping_fields() {
    one(
        "C 0x0 - RW c\n  .RST 26 RW reset\n  .DESCTYPE 27:25 RW type\n",
        "t.txt:3:13: error: bits 27:25 of field `DESCTYPE` overlap field `RST` (bit 26, line 2)",
    );
}

#[test]
fn field_beyond_register_width() {
    one(
        "C 0x0 - RW c\n  .X 35 x\n",
        "t.txt:2:6: error: bit 35 is beyond the 32-bit register `C` (bits 31:0)",
    );
    one(
        "C 0x0 - RW c\n  .X 33:31 x\n",
        "t.txt:2:6: error: bits 33:31 are beyond the 32-bit register `C` (bits 31:0)",
    );
}

#[test]
fn reversed_bit_range() {
    one(
        "C 0x0 - RW c\n  .X 13:15 x\n",
        "t.txt:2:6: error: reversed bit range `13:15`: write the high bit first (`15:13`)",
    );
}

#[test]
fn named_value_too_wide() {
    one(
        "S 0x0 - RW s\n  .DESCTYPE 27:25 RW type\n    =BIG 1000b too wide\n",
        "t.txt:3:10: error: value 1000b (8) is too wide for the 3-bit field `DESCTYPE` (at most 7)",
    );
    one(
        "S 0x0 - RW s\n  .F 3:0 reset=0x10 f\n",
        "t.txt:2:16: error: reset value 0x10 (16) is too wide for the 4-bit field `F` (at most 15)",
    );
    one(
        "S 0x0 - RW reset=0x1_0000_0000 s\n",
        "t.txt:1:18: error: reset value 0x1_0000_0000 does not fit the 32-bit register `S`",
    );
}

#[test]
fn names_must_be_rust_identifiers() {
    one("RDBAL[0] 0x0 - RW x\n", "t.txt:1:1: error: `RDBAL[0]` is not a valid name: `[` is not allowed (names are Rust identifiers: letters, digits, `_`)");
    one("1X 0x0 - RW x\n", "t.txt:1:1: error: `1X` is not a valid name: names must start with a letter or `_` (they become Rust identifiers)");
    one(
        "C 0x0 - RW c\n  .type 3 x\n",
        "t.txt:2:3: error: `type` is a Rust keyword and cannot be a name",
    );
    one(
        "C 0x0 - RW c\n  .F 3:0 x\n    =self 1 x\n",
        "t.txt:3:5: error: `self` is a Rust keyword and cannot be a name",
    );
}

#[test]
fn field_names_unique_within_register() {
    one(
        "C 0x0 - RW c\n  .A 0 a\n  .A 1 a\n",
        "t.txt:3:3: error: field `A` is defined twice in `C` (first at line 2)",
    );
    one(
        "C 0x0 - RW c\n  .A 1:0 a\n    =X 0 x\n    =X 1 x\n",
        "t.txt:4:5: error: value `X` is defined twice for field `A` (first at line 3)",
    );
}

#[test]
fn rows_out_of_place() {
    one(
        "  .A 0 a\n",
        "t.txt:1:3: error: field `.A` must follow a register row",
    );
    one(
        "C 0x0 - RW c\n    =X 0 x\n",
        "t.txt:2:5: error: named value `=X` must follow a field row (`.NAME BITS ...`)",
    );
    one(
        "C 0x0 - RW c\nC 0x4 - ALIAS c\n  .A 0 a\n",
        "t.txt:3:3: error: field `.A` follows an ALIAS row (line 2): fields go under the register's own row",
    );
}

#[test]
fn alias_errors() {
    one(
        "SRRCTL 0x02100 +4*0..15 ALIAS x\n",
        "t.txt:1:1: error: ALIAS of `SRRCTL`, but no register `SRRCTL` is defined above (an ALIAS row adds an address range to an earlier register)",
    );
    one(
        "S 0x1014 +0x40*0..15 RW s\nS 0x2100 +4*8..16 ALIAS s\n",
        "t.txt:2:13: error: index 16 of this ALIAS is not an index of `S` (it has 0..15)",
    );
    one(
        "S 0x0 - RW s\nS 0x100 +4*0..1 ALIAS s\n",
        "t.txt:2:9: error: `S` is a single register: its ALIAS must have layout `-`",
    );
}

#[test]
fn attributes() {
    one(
        "C 0x0 - RW bogus=1 c\n",
        "t.txt:1:12: error: unknown attribute `bogus=` (expected `reset=`, `reset[I]=`, `write=` or `over=`)",
    );
    one(
        "C 0x0 - RW c\n  .A 0 RW write=1 a\n",
        "t.txt:2:11: error: `write=` belongs on RSV field rows",
    );
    one(
        "C 0x0 - RW reset=1 reset=2 c\n",
        "t.txt:1:20: error: `reset=` is given twice",
    );
}

#[test]
fn element_reset_syntax() {
    one(
        "X 0x0 +4*0..7 RW reset[0=1 x\n",
        "t.txt:1:25: error: expected `]` before `=` in `reset[I]=` or `reset[I..J]=`",
    );
    one(
        "X 0x0 +4*0..7 RW reset[]=1 x\n",
        "t.txt:1:24: error: expected an element index (`reset[3]=` or `reset[1..7]=`), found nothing",
    );
    one(
        "X 0x0 +4*0..7 RW reset[1..x]=1 x\n",
        "t.txt:1:27: error: expected an element index (hex `0x1F` or `1Fh`, decimal `31` or binary `11111b`), found `x`",
    );
    one(
        "X 0x0 +4*0..7 RW over[0]=Y x\n",
        "t.txt:1:18: error: only `reset` takes an element index: `over[...]=` is not an attribute (write `over=`)",
    );
    one(
        "X 0x0 +4*0..7 RW x\n  .A 0 RW reset[0]=1 a\n",
        "t.txt:2:11: error: per-element resets (`reset[I]=`) belong on register rows of arrays, not on field rows",
    );
    one(
        "X 0x0 +4*0..7 RW x\nX 0x100 +4*0..7 ALIAS reset[0]=1 y\n",
        "t.txt:2:23: error: attributes are not allowed on ALIAS rows",
    );
}

#[test]
fn element_reset_index_outside_the_array() {
    one(
        "X 0x0 +4*0..7 RW reset[8]=1 x\n",
        "t.txt:1:23: error: index 8 of `reset[8]=` is not an index of `X` (it has 0..7)",
    );
    // Indices of a split array are those of all its segments, whichever row names them.
    one(
        "X 0x0 +4*0..3 RW reset[2..6]=1 x\nX 0x100 +4*5..7 RW x\n",
        "t.txt:1:23: error: index 4 of `reset[2..6]=` is not an index of `X` (it has 0..3, 5..7)",
    );
    one(
        "X 0x0 +4*0..7 RW reset[5..3]=1 x\n",
        "t.txt:1:23: error: reversed index range in `reset[5..3]=`: the first index must not exceed the last",
    );
}

#[test]
fn element_reset_on_a_single_register() {
    one(
        "C 0x0 - RW reset[0]=1 c\n",
        "t.txt:1:17: error: `reset[0]=` on `C`, which is a single register: element resets are for arrays (write `reset=`)",
    );
}

#[test]
fn element_reset_given_twice() {
    one(
        "X 0x0 +4*0..7 RW reset[0..3]=1 reset[2]=0 x\n",
        "t.txt:1:37: error: element X[2] is given a reset twice: `reset[2]=` here and `reset[0..3]=` at line 1",
    );
    one(
        "X 0x0 +4*0..7 RW reset[1]=1 x\nX 0x100 +4*8..9 RW reset[0x1]=1 x\n",
        "t.txt:2:25: error: element X[1] is given a reset twice: `reset[0x1]=` here and `reset[1]=` at line 1",
    );
}

#[test]
fn element_reset_wider_than_the_register() {
    one(
        "X 0x0 +4*0..7 RW reset[0]=0x100000000 x\n",
        "t.txt:1:27: error: reset value 0x100000000 of `X[0]` does not fit the 32-bit register",
    );
}

#[test]
fn field_reset_differs_from_an_element_reset() {
    one(
        "X 0x0 +4*0..7 RW reset=0 reset[0]=0x80000 x\n  .SIZE 19:10 RW reset=0 s\n",
        "t.txt:2:3: warning: field `SIZE` has reset=0x0, but the reset value 0x00080000 of `X[0]` gives 0x200 in its bits",
    );
    one(
        "X 0x0 +4*0..7 RW reset=0x80000 reset[1..7]=0 x\n  .SIZE 19:10 RW reset=0x200 s\n",
        "t.txt:2:3: warning: field `SIZE` has reset=0x200, but the reset value 0x00000000 of `X[1..7]` gives 0x0 in its bits",
    );
    // `reset=` names no element when every element has its own: it is not compared.
    assert_eq!(
        diags("X 0x0 +4*0..1 RW reset=0x80000 reset[0..1]=0 x\n  .SIZE 19:10 RW reset=0 s\n"),
        Vec::<String>::new()
    );
}

#[test]
fn directives() {
    one(
        "@chapter X\n",
        "t.txt:1:1: error: unknown directive `@chapter` (expected `@section TITLE`, `@columns ...`, `@fields ...`, `@width 8|16|32|64` or `@deny warnings`)",
    );
    one(
        "@section\n",
        "t.txt:1:9: error: expected a section title after `@section`, found end of line",
    );
}

#[test]
fn field_mode_without_width() {
    one("C 0x0 - RW c\n  .A 0 RW64 a\n", "t.txt:2:8: error: field modes have no width: write `RW` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, RSV)");
}

/// The "done" criterion: a table with several different mistakes lists every one.
#[test]
fn every_error_of_a_file_in_one_run() {
    let src = "\
CTRL   0x00000  -  RX  Device Control
STATUS 0x00006  -  RO  Device Status
RDBAL  0x01000  +0x40*0..63    RW  Receive Descriptor Base Address Low
RDBAL  0x0D000  +0x40*32..127  RW  Receive Descriptor Base Address Low
EICR   0x00800  -  RW  Interrupt Cause
  .RTXQ   15:0   RW  queues
  .FLOW   3      RW  overlaps RTXQ
  .BIG    40     RW  too high
SRRCTL 0x01014  +0x40*0..63    RW  Split
  .DESCTYPE 27:25 RW type
    =TOO_WIDE 1111b does not fit
Q64    0x01000  +4*0..3  RW64  stride too small
W 0x2000 +0x40*0.. RW missing max
";
    let out = regdsl::compile("t.txt", src);
    let lines: Vec<String> = out.errors().map(|d| d.to_string()).collect();
    assert_eq!(
        lines,
        [
            "t.txt:1:20: error: unknown mode `RX` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS)",
            "t.txt:2:8: error: `STATUS` at 0x00006 is not 4-byte aligned (32-bit registers need 4-byte alignment)",
            "t.txt:4:23: error: index range 32..127 of split array `RDBAL` overlaps its segment 0..63 at line 3",
            "t.txt:7:11: error: bit 3 of field `FLOW` overlaps field `RTXQ` (bits 15:0, line 6)",
            "t.txt:8:11: error: bit 40 is beyond the 32-bit register `EICR` (bits 31:0)",
            "t.txt:11:15: error: value 1111b (15) is too wide for the 3-bit field `DESCTYPE` (at most 7)",
            "t.txt:12:18: error: stride 4 of `Q64` is smaller than its width (64 bits = 8 bytes): elements would overlap",
            "t.txt:13:19: error: expected the last index after `..`, found end of token",
        ]
    );
    assert!(out.table.is_none());
    insta::assert_snapshot!(
        "every_error_rendered",
        regdsl::render(&out.diagnostics, src)
    );
}

#[test]
fn field_reset_disagrees_with_register_reset() {
    one(
        "S 0x0 - RW reset=0x402 s\n  .BSIZEPACKET 4:0 RW reset=3 size\n  .BSIZEHEADER 13:8 RW reset=4 header\n",
        "t.txt:2:3: warning: field `BSIZEPACKET` has reset=0x3, but the reset value 0x00000402 of `S` gives 0x2 in its bits",
    );
}

#[test]
fn writable_field_in_read_only_register() {
    one(
        "S 0x0 - RO s\n  .A 0 RW a\n  .B 1 b\n",
        "t.txt:2:3: warning: field `A` is RW but register `S` is RO",
    );
}

// Issue 13.3: register widths 8, 16, 32, 64; `@width`; alignment by width.
fn widths(src: &str) -> Vec<(String, u32)> {
    let out = regdsl::compile("t.txt", src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    out.table
        .unwrap()
        .registers
        .iter()
        .map(|r| (r.name.to_string(), r.width().bits()))
        .collect()
}

#[test]
fn register_widths_by_directive_and_suffix() {
    let w = |n: &str, b| (n.to_string(), b);
    assert_eq!(
        widths("A 0x0 - RW a\n@width 8\nB 0x5 - RO b\nC 0x6 - RW16 c\n@width 16\nD 0x8 - RW d\nE 0x10 - RC64 e\n@width 32\nF 0x18 - RW f\n"),
        [w("A", 32), w("B", 8), w("C", 16), w("D", 16), w("E", 64), w("F", 32)]
    );
    // Alignment by width: 8-bit anywhere, 16-bit on even offsets, 32-bit on multiples of 4.
    one(
        "S 0x3 - RW16 s\n",
        "t.txt:1:3: error: `S` at 0x00003 is not 2-byte aligned (16-bit registers need 2-byte alignment)",
    );
    one(
        "@width 16\nQ 0x0 +0x1*0..3 RW q\n",
        "t.txt:2:8: error: stride 0x1 of `Q` is smaller than its width (16 bits = 2 bytes): elements would overlap",
    );
    assert!(diags("@width 8\nB 0x7 +0x1*0..7 RW b\n").is_empty());
    // A field must fit the register's width.
    one(
        "@width 8\nB 0x0 - RW b\n  .F 8 RW f\n",
        "t.txt:3:6: error: bit 8 is beyond the 8-bit register `B` (bits 7:0)",
    );
    one(
        "@width 12\n",
        "t.txt:1:8: error: expected 8, 16, 32 or 64 after `@width` (the width of the registers below)",
    );
}

#[test]
fn read_only_and_write_only_registers_share_an_offset_when_declared() {
    // Declared (the 16550's RBR/THR): no diagnostic. Undeclared: the overlap warning.
    assert!(diags("@width 8\nRBR 0x0 - RO rx\nTHR 0x0 - WO over=RBR tx\n").is_empty());
    let d = diags("@width 8\nRBR 0x0 - RO rx\nTHR 0x0 - WO tx\n");
    assert_eq!(d.len(), 1);
    assert!(
        d[0].contains("overlaps `RBR`") && d[0].contains("add `over=RBR` to `THR`"),
        "{d:?}"
    );
}

#[test]
fn width_directive_is_kept_by_fmt() {
    let src = "@width 8\nB 0x1 - RO b\n";
    let out = regdsl::fmt::format("t.txt", src).unwrap();
    assert!(out.starts_with("@width 8\n"), "{out}");
    assert_eq!(widths(&out), [("B".to_string(), 8)]);
}

#[test]
fn deny_warnings_makes_warnings_errors() {
    let src = "A 0x0 - RW a\nB 0x0 - RW b\n";
    assert_eq!(
        diags(src),
        ["t.txt:2:1: warning: `B` (0x00000..=0x00003) overlaps `A` (0x00000..=0x00003, line 1): undeclared overlap; if deliberate, add `over=A` to `B`"]
    );
    let out = regdsl::compile("t.txt", &format!("@deny warnings\n{src}"));
    assert!(out.has_errors() && out.table.is_none());
    assert_eq!(
        out.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        ["t.txt:3:1: error: `B` (0x00000..=0x00003) overlaps `A` (0x00000..=0x00003, line 2): undeclared overlap; if deliberate, add `over=A` to `B` (a warning; the table says `@deny warnings`)"]
    );
    one(
        "@deny errors\n",
        "t.txt:1:7: error: expected `warnings` after `@deny` (`@deny warnings` makes the table's warnings errors)",
    );
}

#[test]
fn names_the_generated_code_cannot_use_are_rejected_by_check() {
    // Issue 13.6: what `registers!` would reject, `regdsl check` reports with its position.
    one(
        "X 0x0 - RC x\nX_mut 0x4 - RW y\n",
        "t.txt:2:1: error: register name `X_mut` collides with the `X_mut()` accessor of register `X` (read-to-clear and counter registers get one)",
    );
    one(
        "__Bus 0x0 - RW x\n",
        "t.txt:1:1: error: register name `__Bus`: names starting with `__` are reserved for generated code",
    );
    one(
        "Regs 0x0 - RW x\n",
        "t.txt:1:1: error: register name `Regs` cannot be a Rust item name (a keyword, or a name the generated code uses: Regs, Stats, REGISTERS, lookup, idx, new, bus, into_bus)",
    );
    // Prelude, runtime and std names are ordinary names (regdsl-rt/tests/names.rs compiles them).
    assert!(diags("B 0x0 - RW b\nOption 0x4 - RW o\nregdsl_rt 0x8 - RW r\n").is_empty());
}
