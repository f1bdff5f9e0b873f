//! Every form of the grammar (GRAMMAR.md), checked against the resolved model.
use regdsl::model::{Access, Layout, Mode, Width};

fn table(src: &str) -> regdsl::model::Table {
    let out = regdsl::compile("t.txt", src);
    let errs: Vec<String> = out.errors().map(|d| d.to_string()).collect();
    assert!(errs.is_empty(), "{errs:#?}");
    out.table.unwrap()
}

fn warnings(src: &str) -> Vec<String> {
    regdsl::compile("t.txt", src)
        .warnings()
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn single_register_row() {
    let t = table("CTRL 0x00000 - RW Device Control\n");
    let r = t.get("CTRL").unwrap();
    assert_eq!(r.layout, Layout::Single { address: 0 });
    assert_eq!(
        r.mode,
        Mode {
            access: Access::RW,
            width: Width::W32
        }
    );
    assert_eq!(r.description, "Device Control");
    assert_eq!((r.span.line, r.span.col), (1, 1));
    assert!(!r.is_array());
}

#[test]
fn numbers_hex_either_case_and_decimal() {
    let t = table("A 0X0F400 - RW a\nB 0xabcC - RW b\nC 4096 - RW c\nD 0x1_0000 - RW d\n");
    let addr = |n: &str| match t.get(n).unwrap().layout {
        Layout::Single { address } => address,
        _ => unreachable!(),
    };
    assert_eq!(addr("A"), 0xF400);
    assert_eq!(addr("B"), 0xABCC);
    assert_eq!(addr("C"), 4096);
    assert_eq!(addr("D"), 0x10000);
}

#[test]
fn array_row_indices_are_register_numbers() {
    let t = table("PXONRXCNT 0x04140 +4*0..7 RC Priority XON\nX 0x100 +0x10*3..5 RW x\n");
    let p = t.get("PXONRXCNT").unwrap();
    assert_eq!(p.layout.len(), 8);
    assert_eq!(p.layout.address(7), Some(0x04140 + 28));
    let x = t.get("X").unwrap();
    // Element i of +STEP*MIN..MAX is at OFFSET + STEP*(i-MIN).
    assert_eq!(x.layout.address(3), Some(0x100));
    assert_eq!(x.layout.address(5), Some(0x120));
    assert_eq!(x.layout.address(2), None);
    assert_eq!(x.layout.index_range(), Some((3, 5)));
}

#[test]
fn whitespace_tabs_indentation_blank_lines_unicode_no_final_newline() {
    let src = "\n   FACTPS\t    0x05B30 -\t\tRW  Function   Active\r\n\n\t  SW_FW_SYNC 0x10160 -   RW Software–Firmware Synchronization";
    let t = table(src);
    assert_eq!(t.get("FACTPS").unwrap().description, "Function   Active");
    let s = t.get("SW_FW_SYNC").unwrap();
    assert_eq!(s.description, "Software–Firmware Synchronization");
    assert_eq!((s.span.line, s.span.col), (4, 4));
}

#[test]
fn comments_hash_and_double_dash() {
    let src = "# heading comment\n-- another\nA 0x0 - RW first # trailing\nB 0x4 - RW second -- trailing too\nC 0x8 - RW a-b - c\nD 0xC - RW queue#3 x--y\n";
    let t = table(src);
    assert_eq!(t.get("A").unwrap().description, "first");
    assert_eq!(t.get("B").unwrap().description, "second");
    assert_eq!(t.get("C").unwrap().description, "a-b - c");
    assert_eq!(t.get("D").unwrap().description, "queue#3 x--y");
    assert_eq!(t.registers.len(), 4);
}

#[test]
fn split_array_with_three_ranges() {
    let src = "SRRCTL 0x01014 +0x40*0..63 RW Split Receive Control\n\
               SRRCTL 0x0D014 +0x40*64..127 RW Split Receive Control\n\
               SRRCTL 0x20000 +0x4*128..129 RW Split Receive Control\n";
    let t = table(src);
    assert_eq!(t.registers.len(), 1);
    let r = t.get("SRRCTL").unwrap();
    assert_eq!(r.layout.address(0), Some(0x01014));
    assert_eq!(r.layout.address(64), Some(0x0D014));
    assert_eq!(r.layout.address(129), Some(0x20004));
    assert_eq!(r.layout.len(), 130);
    // Segments sorted by index even when written out of order.
    let t = table("R 0xD000 +0x40*64..127 RW r\nR 0x1000 +0x40*0..63 RW r\n");
    match &t.get("R").unwrap().layout {
        Layout::Array { segments } => assert_eq!((segments[0].min, segments[1].min), (0, 64)),
        _ => unreachable!(),
    }
}

#[test]
fn alias_rows() {
    let src = "SRRCTL 0x01014 +0x40*0..63 RW Split\n\
               SRRCTL 0x0D014 +0x40*64..127 RW Split\n\
               SRRCTL 0x02100 +0x04*0..15 ALIAS 82598-compatible SRRCTL[0..15]\n\
               RAL 0x0A200 +8*0..127 RW Receive Address Low\n\
               RAL 0x05400 +8*0..15 ALIAS 82598-compatible\n\
               EIMC 0x00888 - WO mask clear\n\
               EIMC 0x00890 - ALIAS second address\n";
    let out = regdsl::compile("t.txt", src);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let t = out.table.unwrap();
    let s = t.get("SRRCTL").unwrap();
    assert_eq!(s.aliases.len(), 1);
    assert_eq!(s.aliases[0].layout.address(15), Some(0x02100 + 60));
    assert_eq!(s.aliases[0].description, "82598-compatible SRRCTL[0..15]");
    assert_eq!(s.layout.address(15), Some(0x01014 + 15 * 0x40));
    assert_eq!(
        t.get("RAL").unwrap().aliases[0].layout.address(1),
        Some(0x05408)
    );
    assert_eq!(
        t.get("EIMC").unwrap().aliases[0].layout,
        Layout::Single { address: 0x890 }
    );
    assert_eq!(t.registers.len(), 3);
}

#[test]
fn over_declares_a_64_bit_view() {
    let src = "GORCL 0x04088 - RC Low\nGORCH 0x0408C - RC High\nGORC64 0x04088 - RC64 over=GORCL,GORCH Good Octets (64-bit view)\n";
    let out = regdsl::compile("t.txt", src);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let t = out.table.unwrap();
    let g = t.get("GORC64").unwrap();
    assert_eq!(g.over, vec!["GORCL", "GORCH"]);
    assert_eq!(g.width(), Width::W64);
    assert_eq!(g.description, "Good Octets (64-bit view)");
    // Without the declaration: a warning per overlapped register, still a table.
    let w =
        warnings("GORCL 0x04088 - RC Low\nGORCH 0x0408C - RC High\nGORC64 0x04088 - RC64 view\n");
    assert_eq!(w.len(), 2, "{w:#?}");
}

#[test]
fn every_mode() {
    for (m, access, width) in [
        ("RO", Access::RO, Width::W32),
        ("RW", Access::RW, Width::W32),
        ("WO", Access::WO, Width::W32),
        ("RC", Access::RC, Width::W32),
        ("RCR", Access::RCR, Width::W32),
        ("W1C", Access::W1C, Width::W32),
        ("RO64", Access::RO, Width::W64),
        ("RW64", Access::RW, Width::W64),
        ("WO64", Access::WO, Width::W64),
        ("RC64", Access::RC, Width::W64),
        ("RCR64", Access::RCR, Width::W64),
        ("W1C64", Access::W1C, Width::W64),
    ] {
        let t = table(&format!("X 0x10 - {m} x\n"));
        let r = t.get("X").unwrap();
        assert_eq!(r.mode, Mode { access, width }, "{m}");
        assert_eq!(r.mode.to_string(), m);
    }
}

#[test]
fn fields_values_reset_and_sections() {
    let src = "\
@section Receive
SRRCTL 0x01014 +0x40*0..63 RW reset=0x00000402 Split and Replication Receive Control
  .BSIZEPACKET  4:0   RW  reset=2  Receive buffer size for packet buffer (1 KB units)
  .BSIZEHEADER  13:8       Receive buffer size for header buffer (64 B units)
  .RSV14        21:14 RSV write=0 Reserved
  .DESCTYPE     27:25 RW  Descriptor type
    =LEGACY       000b  Legacy
    =ADV_ONEBUF   001b  Advanced descriptor one buffer
    =ADV_HDRSPLIT 0x2   Advanced descriptor header splitting
    =ADV_ALWAYS   5     Advanced descriptor header splitting always use header buffer
  .DROP_EN      28  Drop enabled
@section General
CTRL 0x0 - RW Device Control
  .RST 26 RW Device Reset
";
    let t = table(src);
    let s = t.get("SRRCTL").unwrap();
    assert_eq!(s.section.as_deref(), Some("Receive"));
    assert_eq!(s.reset, Some(0x402));
    assert_eq!(s.fields.len(), 5);
    let b = &s.fields[0];
    assert_eq!(
        (b.name.as_str(), b.lsb, b.msb, b.access, b.reset),
        ("BSIZEPACKET", 0, 4, Some(Access::RW), Some(2))
    );
    assert_eq!(
        b.description,
        "Receive buffer size for packet buffer (1 KB units)"
    );
    let h = &s.fields[1];
    assert_eq!((h.access, h.lsb, h.msb), (None, 8, 13));
    let r = &s.fields[2];
    assert_eq!((r.access, r.write_value), (Some(Access::RSV), Some(0)));
    let d = &s.fields[3];
    let vals: Vec<(&str, u64)> = d
        .values
        .iter()
        .map(|v| (v.name.as_str(), v.value))
        .collect();
    assert_eq!(
        vals,
        [
            ("LEGACY", 0),
            ("ADV_ONEBUF", 1),
            ("ADV_HDRSPLIT", 2),
            ("ADV_ALWAYS", 5)
        ]
    );
    assert_eq!(d.values[1].description, "Advanced descriptor one buffer");
    assert_eq!(d.mask(), 0x0E00_0000);
    let e = &s.fields[4];
    assert_eq!((e.lsb, e.msb, e.access), (28, 28, None));
    assert_eq!(e.description, "Drop enabled");
    let c = t.get("CTRL").unwrap();
    assert_eq!(c.section.as_deref(), Some("General"));
    assert_eq!(c.fields[0].mask(), 1 << 26);
}

#[test]
fn field_on_64_bit_register_may_use_high_bits() {
    let t = table("Q 0x0 - RW64 q\n  .HI 63:32 hi\n  .LO 31:0 lo\n");
    assert_eq!(t.get("Q").unwrap().fields[0].mask(), 0xFFFF_FFFF_0000_0000);
}

#[test]
fn repeated_row_last_description_wins() {
    let src = "BPTC 0x040F4 - RC Broadcast Packets Transmitted Count\nBPTC 0x040F4 - RC Broadcast Packets Transmitted\n";
    let out = regdsl::compile("t.txt", src);
    assert_eq!(out.warnings().count(), 1);
    let t = out.table.unwrap();
    assert_eq!(t.registers.len(), 1);
    assert_eq!(
        t.get("BPTC").unwrap().description,
        "Broadcast Packets Transmitted"
    );
}

#[test]
fn registers_in_file_order_of_first_definition() {
    let t = table("B 0x4 +4*0..0 RW b\nA 0x0 - RW a\nB 0x100 +4*1..1 RW b\n");
    let names: Vec<&str> = t.registers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["B", "A"]);
}

#[test]
fn per_element_reset_values() {
    let t = table(
        "RXPBSIZE 0x03C00 +0x04*0..7 RW reset[0]=0x00080000 reset[1..7]=0 Receive Packet Buffer Size\n\
         Q 0x20000 +0x40*0..3 RW reset=5 reset[6]=1 reset[0X2..3]=10b q\n\
         Q 0x30000 +0x40*4..7 RW\n",
    );
    let r = t.get("RXPBSIZE").unwrap();
    assert_eq!(r.reset, None);
    assert_eq!(r.reset_of(Some(0)), Some(0x80000));
    assert_eq!(r.reset_of(Some(1)), Some(0));
    assert_eq!(r.reset_of(Some(7)), Some(0));
    assert_eq!(r.reset_of(Some(8)), None);
    assert_eq!(r.reset_of(None), None);
    assert_eq!(r.description, "Receive Packet Buffer Size");
    let q = t.get("Q").unwrap();
    let each: Vec<_> = (0..8).map(|i| q.reset_of(Some(i))).collect();
    let [d, one, two] = [Some(5), Some(1), Some(2)];
    assert_eq!(each, [d, d, two, two, d, d, one, d]);
    let spans: Vec<_> = q
        .element_resets
        .iter()
        .map(|e| (e.min, e.max, e.span.col))
        .collect();
    assert_eq!(spans, [(2, 3, 49), (6, 6, 38)]);
    // A single register: `reset_of(None)` is `reset=`.
    let c = table("CTRL 0x0 - RW reset=0x8 c\n");
    assert_eq!(c.get("CTRL").unwrap().reset_of(None), Some(8));
    assert_eq!(c.get("CTRL").unwrap().reset_of(Some(0)), None);
    // `name[0]=x` that is not an attribute key is description text, as before.
    let d = table("D 0x0 +4*0..1 RW Reset[0]=1 is text\n");
    assert_eq!(d.get("D").unwrap().description, "Reset[0]=1 is text");
    assert!(d.get("D").unwrap().element_resets.is_empty());
}

#[test]
fn empty_and_comment_only_tables() {
    assert!(table("").registers.is_empty());
    assert!(table("# nothing\n\n   \n").registers.is_empty());
}

/// Every example in GRAMMAR.md (the untagged code blocks) is a valid table without warnings.
#[test]
fn grammar_md_examples_compile() {
    let md = include_str!("../GRAMMAR.md");
    let mut blocks = 0;
    let mut rest = md;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let (tag, body) = after.split_once('\n').unwrap();
        let end = body.find("```").unwrap();
        if tag.is_empty() {
            let out = regdsl::compile("GRAMMAR.md", &body[..end]);
            let d: Vec<String> = out.diagnostics.iter().map(|d| d.to_string()).collect();
            assert!(d.is_empty(), "{}\n{d:#?}", &body[..end]);
            blocks += 1;
        }
        rest = &body[end + 3..];
    }
    assert!(blocks >= 8, "only {blocks} examples");
}
