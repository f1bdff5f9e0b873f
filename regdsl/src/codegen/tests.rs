//! Code generation on hand-built tables (independent of the parser).

use super::expand;
use super::reg::masks;
use crate::model::*;

fn sp() -> Span {
    Span {
        line: 3,
        col: 1,
        offset: 0,
        len: 1,
    }
}

fn reg(name: &str, access: Access, width: Width, layout: Layout) -> Register {
    Register {
        name: name.into(),
        mode: Mode { access, width },
        description: format!("{name} register").into(),
        layout,
        aliases: vec![],
        over: vec![],
        reset: None,
        element_resets: vec![],
        fields: vec![],
        section: None,
        span: sp(),
    }
}

fn field(name: &str, msb: u32, lsb: u32, access: Option<Access>) -> Field {
    Field {
        name: name.into(),
        lsb,
        msb,
        access,
        reset: None,
        write_value: None,
        description: format!("{name} field").into(),
        values: vec![],
        span: sp(),
    }
}

fn seg(base: u64, step: u64, min: u32, max: u32) -> Segment {
    Segment {
        base,
        step,
        min,
        max,
        span: sp(),
    }
}

fn single(a: u64) -> Layout {
    Layout::Single { address: a }
}

fn text(t: &Table) -> String {
    expand(t).to_string()
}

#[test]
fn single_register_module_and_accessor() {
    let mut ctrl = reg("CTRL", Access::RW, Width::W32, single(0));
    ctrl.reset = Some(0x8);
    ctrl.fields.push(field("RST", 26, 26, None));
    let t = Table {
        file: "t.txt".into(),
        registers: vec![ctrl],
    };
    let s = text(&t);
    assert!(s.contains("pub mod CTRL"), "{s}");
    // The spec impl has types and literals only; the constants are the table entry's.
    assert!(
        s.contains("impl :: regdsl_rt :: Register for Reg { type __Table = super :: __Table ; const __INDEX : usize = 0 ; type Mode = :: regdsl_rt :: mode :: RW ; type Int = u32 ; type __Layout = :: regdsl_rt :: Lone ; }"),
        "{s}"
    );
    assert!(s.contains("I { name : \"CTRL\" , access : A :: RW , bits : 32u8 , segments : E , offset : 0x0usize"), "{s}");
    assert!(s.contains("reset : O :: Some (0x8u64)"), "{s}");
    assert!(
        s.contains("pub static REGISTERS : & [:: regdsl_rt :: RegInfo] = < __Table as :: regdsl_rt :: Table > :: INFO ;"),
        "{s}"
    );
    assert!(
        s.contains("type __B = :: regdsl_rt :: Bits < Reg >;"),
        "{s}"
    );
    assert!(
        s.contains("pub const RST : __B = __B :: __new (0x4000000)"),
        "{s}"
    );
    // No multi-bit field: no alias for it (it would be unused).
    assert!(!s.contains("type __F"), "{s}");
    assert!(
        s.contains("pub fn CTRL (& self) -> :: regdsl_rt :: Reg < '_ , __Bus , CTRL :: Reg >"),
        "{s}"
    );
    // Only counters get a unique-access accessor.
    assert!(!s.contains("CTRL_mut"), "{s}");
}

#[test]
fn masks_of_reserved_w1c_and_readonly_fields() {
    let mut r = reg("SRRCTL", Access::RW, Width::W32, single(0x100));
    r.reset = Some(0x0000_0402);
    let mut rsv = field("RSV0", 31, 29, Some(Access::RSV));
    rsv.write_value = Some(0b101);
    r.fields.push(rsv);
    r.fields.push(field("RSV1", 7, 6, Some(Access::RSV))); // keeps the register reset bits: 0
    r.fields.push(field("BSIZE", 4, 0, None));
    r.fields.push(field("STAT", 8, 8, Some(Access::W1C)));
    r.fields.push(field("LINK", 9, 9, Some(Access::RO)));
    let m = masks(&r);
    assert_eq!(m.rsv_mask, 0xE000_00C0);
    assert_eq!(m.rsv_value, 0xA000_0000);
    assert_eq!(m.w1c, 0x100);
    assert_eq!(m.writable, 0x11F);
    assert_eq!(m.reset, Some(0x402));

    let mut w = reg("EICR", Access::W1C, Width::W32, single(0x800));
    w.fields.push(field("OTHER", 31, 31, Some(Access::RO)));
    let m = masks(&w);
    assert_eq!(m.w1c, 0x7FFF_FFFF);
    assert_eq!(m.writable, 0); // only fields count, and OTHER is RO
    let ro = reg("STATUS", Access::RO, Width::W32, single(0x8));
    assert_eq!(masks(&ro).writable, 0);
    let w64 = reg("TOTAL", Access::RW, Width::W64, single(0x10));
    assert_eq!(masks(&w64).writable, u64::MAX);
}

#[test]
fn reset_composed_from_fields_when_register_has_none() {
    let mut r = reg("X", Access::RW, Width::W32, single(0));
    let mut f = field("A", 7, 4, None);
    f.reset = Some(0x3);
    r.fields.push(f);
    assert_eq!(masks(&r).reset, Some(0x30));
}

#[test]
fn index_sets_are_shared_and_split_arrays_merge() {
    let rxdctl = reg(
        "RXDCTL",
        Access::RW,
        Width::W32,
        Layout::Array {
            segments: vec![seg(0x1028, 0x40, 0, 63), seg(0xD028, 0x40, 64, 127)],
        },
    );
    let rdt = reg(
        "RDT",
        Access::RW,
        Width::W32,
        Layout::Array {
            segments: vec![seg(0x1018, 0x40, 0, 127)],
        },
    );
    let gaps = reg(
        "G",
        Access::RW,
        Width::W32,
        Layout::Array {
            segments: vec![seg(0x2000, 4, 0, 3), seg(0x3000, 4, 8, 11)],
        },
    );
    let t = Table {
        file: "t.txt".into(),
        registers: vec![rxdctl, rdt, gaps],
    };
    let s = text(&t);
    assert_eq!(s.matches("pub struct I0To127 ;").count(), 1, "{s}");
    assert_eq!(
        s.matches("type __Layout = super :: idx :: I0To127").count(),
        2,
        "{s}"
    );
    assert!(s.contains("pub struct I0To3And8To11"), "{s}");
    // Nothing per index: `at_const` is checked against `RANGES` by one generic constant.
    assert!(!s.contains("ConstIndex"), "{s}");
    assert!(
        s.contains("const RANGES : & 'static [(u32 , u32)] = & [(0 , 3) , (8 , 11)]"),
        "{s}"
    );
    assert!(
        s.contains("const TEXT : & 'static str = \"0..=3, 8..=11\""),
        "{s}"
    );
    assert!(
        s.contains("S { base : 0xd028usize , step : 0x40usize , min : 64u32 , max : 127u32 }"),
        "{s}"
    );
}

#[test]
fn counters_get_unique_accessors_and_stats_skip_overlaid_pairs() {
    let gorcl = reg("GORCL", Access::RC, Width::W32, single(0x4088));
    let gorch = reg("GORCH", Access::RC, Width::W32, single(0x408C));
    let mut gorc = reg("GORC64", Access::RC, Width::W64, single(0x4088));
    gorc.over = vec!["GORCL".into(), "GORCH".into()];
    let qprc = reg(
        "QPRC",
        Access::RCR,
        Width::W32,
        Layout::Array {
            segments: vec![seg(0x1030, 0x40, 0, 15)],
        },
    );
    let t = Table {
        file: "t.txt".into(),
        registers: vec![gorcl, gorch, gorc, qprc],
    };
    let s = text(&t);
    assert!(s.contains("pub fn GORCL_mut (& mut self)"), "{s}");
    assert!(
        s.contains("pub fn QPRC_mut (& mut self) -> :: regdsl_rt :: ArrayMut"),
        "{s}"
    );
    let stats = &s[s.find("pub struct Stats").unwrap()..];
    assert!(
        stats.contains("pub GORC64 : :: regdsl_rt :: Counter"),
        "{stats}"
    );
    assert!(
        stats.contains("pub QPRC : [:: regdsl_rt :: Counter ; 16]"),
        "{stats}"
    );
    assert!(!stats.contains("GORCL"), "{stats}");
    assert!(!stats.contains("GORCH"), "{stats}");
}

#[test]
fn named_values_are_placed_constants() {
    let mut r = reg("SRRCTL", Access::RW, Width::W32, single(0x2100));
    let mut f = field("DESCTYPE", 27, 25, None);
    f.values.push(NamedValue {
        name: "ADV_ONEBUF".into(),
        value: 1,
        description: "Advanced, one buffer".into(),
        span: sp(),
    });
    r.fields.push(f);
    let t = Table {
        file: "t.txt".into(),
        registers: vec![r],
    };
    let s = text(&t);
    assert!(
        s.contains("type __F = :: regdsl_rt :: Field < Reg >;"),
        "{s}"
    );
    assert!(!s.contains("type __B"), "{s}");
    assert!(
        s.contains("pub const DESCTYPE : __F = __F :: __new (\"DESCTYPE\" , 25 , 3)"),
        "{s}"
    );
    assert!(
        s.contains(
            "pub mod DESCTYPE { type __V = :: regdsl_rt :: FieldValue < super :: Reg >; # [doc = "
        ),
        "{s}"
    );
    assert!(
        s.contains("pub const ADV_ONEBUF : __V = __V :: __new (0xe000000 , 0x2000000)"),
        "{s}"
    );
}

#[test]
fn names_that_are_not_rust_items_are_compile_errors_with_position() {
    let mut r = reg("CTRL", Access::RW, Width::W32, single(0));
    r.fields.push(field("Reg", 1, 1, None));
    let t = Table {
        file: "bad.txt".into(),
        registers: vec![r, reg("lookup", Access::RW, Width::W32, single(4))],
    };
    let s = text(&t);
    assert!(s.contains("compile_error ! (\"bad.txt:3:1: error: field name `CTRL.Reg` cannot be a Rust item name"), "{s}");
    assert!(s.contains("register name `lookup`"), "{s}");
    assert!(!s.contains("pub mod"), "{s}");
}

#[test]
fn names_the_generated_code_uses_are_refused() {
    let mut r = reg("CTRL", Access::RW, Width::W32, single(0));
    r.fields.push(field("__B", 1, 1, None));
    let mut f = field("MODE", 5, 4, None);
    f.values.push(NamedValue {
        name: "__V".into(),
        value: 1,
        description: Default::default(),
        span: sp(),
    });
    r.fields.push(f);
    let t = Table {
        file: "bad.txt".into(),
        registers: vec![r, reg("bus", Access::RW, Width::W32, single(4))],
    };
    let s = text(&t);
    assert!(s.contains("field name `CTRL.__B`"), "{s}");
    assert!(s.contains("value name `CTRL.MODE.__V`"), "{s}");
    assert!(s.contains("register name `bus`"), "{s}");
    assert!(!s.contains("pub mod"), "{s}");
}

#[test]
fn docs_carry_offset_mode_and_field_table() {
    let mut r = reg(
        "RXDCTL",
        Access::RW,
        Width::W32,
        Layout::Array {
            segments: vec![seg(0x1028, 0x40, 0, 63)],
        },
    );
    r.description = "Receive Descriptor Control [see 8.2.3]".into();
    r.fields.push(field("ENABLE", 25, 25, None));
    let t = Table {
        file: "t.txt".into(),
        registers: vec![r],
    };
    let s = text(&t);
    assert!(
        s.contains("**RXDCTL** — Receive Descriptor Control \\\\[see 8.2.3\\\\]"),
        "{s}"
    );
    assert!(
        s.contains("- Offset: `0x01028 + 0x40*(i-0)`, i = 0..=63"),
        "{s}"
    );
    assert!(s.contains("- Mode: RW (32-bit)"), "{s}");
    assert!(s.contains("| 25 | `ENABLE` |  |  | ENABLE field |"), "{s}");
}

#[test]
fn text_string_literals_match_proc_macro2() {
    // The per-register text must lex to the tokens the quote! version made: same literal text.
    for s in [
        "plain",
        "quote \" backslash \\ apostrophe ' tab \t newline \n",
        "nul \0 then nul before a digit \x007",
        "unicode — µs ✓ \u{200b} \u{7f}",
        "",
    ] {
        let mut out = String::new();
        super::reg::push_str_lit(&mut out, s);
        assert_eq!(out, proc_macro2::Literal::string(s).to_string(), "{s:?}");
    }
}

#[test]
fn expand_text_escapes_descriptions() {
    let mut r = reg("CTRL", Access::RW, Width::W32, single(0));
    r.description = "Control \"quoted\" \\ [x] | y".into();
    r.fields.push(field("RST", 26, 26, None));
    let t = Table {
        file: "t.txt".into(),
        registers: vec![
            r,
            reg(
                "RDT",
                Access::RW,
                Width::W64,
                Layout::Array {
                    segments: vec![seg(0x1018, 0x40, 0, 63), seg(0xD018, 0x40, 64, 127)],
                },
            ),
        ],
    };
    // A description with quotes and backslashes stays one string literal in `REGISTERS`.
    let text = super::expand_text(&t);
    let _: proc_macro2::TokenStream = text.parse().expect("the text lexes");
    assert!(
        text.contains(r#"description: "Control \"quoted\" \\ [x] | y""#),
        "{text}"
    );
}
