//! Property tests: random and mutated tables never panic (compile, render, fmt, dump, doc),
//! and `fmt` is idempotent and keeps the model.
use proptest::prelude::*;
use regdsl::model::{Span, Table};

fn strip(t: &mut Table) {
    for r in &mut t.registers {
        r.span = Span::default();
        let segs = |l: &mut regdsl::model::Layout| {
            if let regdsl::model::Layout::Array { segments } = l {
                segments.iter_mut().for_each(|s| s.span = Span::default());
            }
        };
        segs(&mut r.layout);
        r.element_resets
            .iter_mut()
            .for_each(|e| e.span = Span::default());
        for a in &mut r.aliases {
            a.span = Span::default();
            segs(&mut a.layout);
        }
        for f in &mut r.fields {
            f.span = Span::default();
            f.values.iter_mut().for_each(|v| v.span = Span::default());
        }
    }
}

/// Everything a user can run on `src` must return, whatever `src` is.
fn exercise(src: &str) {
    let out = regdsl::compile("p.txt", src);
    let _ = regdsl::render(&out.diagnostics, src);
    for d in &out.diagnostics {
        assert!(
            d.span.offset + d.span.len <= src.len(),
            "span past the end: {d}"
        );
        assert!(
            src.is_char_boundary(d.span.offset),
            "span inside a character: {d}"
        );
        assert!(
            src.is_char_boundary(d.span.offset + d.span.len),
            "span ends inside a character: {d}"
        );
        let _ = d.to_string();
    }
    if let Some(t) = &out.table {
        let _ = regdsl::dump::to_json(t).to_string();
        let _ = regdsl::doc::to_markdown(t);
    }
    assert_eq!(out.table.is_some(), !out.has_errors());
    if let Ok(f) = regdsl::fmt::format("p.txt", src) {
        round_trip(src, &f);
    }
}

/// `f` = fmt(src): formatting again changes nothing, and the model (and the number of errors
/// and warnings) is the same.
fn round_trip(src: &str, f: &str) {
    let again = regdsl::fmt::format("p.txt", f).expect("formatted text parses");
    assert_eq!(again, f, "fmt is not idempotent for {src:?}");
    let a = regdsl::compile("p.txt", src);
    let b = regdsl::compile("p.txt", f);
    assert_eq!(a.errors().count(), b.errors().count(), "{src:?}\n{f}");
    assert_eq!(a.warnings().count(), b.warnings().count(), "{src:?}\n{f}");
    match (a.table, b.table) {
        (Some(mut x), Some(mut y)) => {
            strip(&mut x);
            strip(&mut y);
            assert_eq!(x, y, "fmt changed the model of {src:?}");
        }
        (None, None) => {}
        _ => panic!("fmt changed validity of {src:?}"),
    }
}

fn token_soup() -> impl Strategy<Value = String> {
    let line = prop::collection::vec(prop::sample::select(regdsl::fuzzing::DICTIONARY), 0..8)
        .prop_map(|t| t.join(" "));
    prop::collection::vec(line, 0..25).prop_map(|l| l.join("\n"))
}

/// A valid table with random spacing: unique names, aligned, non-overlapping addresses.
fn valid_table() -> impl Strategy<Value = String> {
    let ws = prop::sample::select(vec![" ", "  ", "\t", " \t ", "     "]);
    let reg = (
        prop::bool::ANY,
        0u32..4,
        1u32..8,
        prop::sample::select(vec!["RW", "RO", "RC", "RCR", "W1C", "WO"]),
        prop::collection::vec((0u32..32, 0u32..4, prop::bool::ANY), 0..4),
        prop::sample::select(vec![
            "",
            "Device Control",
            "Software–Firmware Sync",
            "a - b",
        ]),
        ws.clone(),
        ws,
        prop::option::of(prop::sample::select(vec!["# c", "-- c"])),
        prop::bool::ANY,
    );
    (prop::collection::vec(reg, 1..12), prop::bool::ANY).prop_map(|(regs, section)| {
        let mut s = String::new();
        if section {
            s.push_str("@section Random Registers\n");
        }
        for (n, (array, lo, len, mode, fields, desc, w1, w2, comment, resets)) in
            regs.into_iter().enumerate()
        {
            let base = 0x1000 * (n as u64 + 1);
            let layout = if array {
                format!("+0x10*{lo}..{}", lo + len)
            } else {
                "-".to_string()
            };
            // Per-element resets: element `lo` and the rest of an array.
            let resets = if array && resets {
                format!("reset[{lo}]=0x1{w1}reset[{}..{}]=0{w2}", lo + 1, lo + len)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{w1}R{n}{w2}0x{base:05X}{w1}{layout}{w2}{mode} {resets}{desc}"
            ));
            if let Some(c) = comment {
                s.push_str(&format!(" {c}"));
            }
            s.push('\n');
            let mut used = 0u64;
            for (i, (lsb, extra, named)) in fields.into_iter().enumerate() {
                let msb = (lsb + extra).min(31);
                let mask = ((1u64 << (msb - lsb + 1)) - 1) << lsb;
                if used & mask != 0 {
                    continue;
                }
                used |= mask;
                s.push_str(&format!("{w2}.F{i}{w1}{msb}:{lsb}{w1}RW{w2}field {i}\n"));
                if named {
                    s.push_str(&format!("{w1}=V0 0b0 zero\n{w1}=V1 1 one\n").replace("0b0", "0"));
                }
            }
            if n % 3 == 2 {
                s.push_str("\n\n");
            }
        }
        s
    })
}

fn sample_tables() -> Vec<String> {
    let mut v = vec![
        "CTRL 0x00000 - RW reset=0 Device Control\n  .RST 26 RW Reset\n  .DESCTYPE 29:27 RW t\n    =A 001b a\nRDBAL 0x01000 +0x40*0..63 RW x\nRDBAL 0x0D000 +0x40*64..127 RW x\nRDBAL 0x02000 +4*0..15 ALIAS y\nPB 0x03C00 +4*0..7 RW reset=0 reset[0]=0x80000 reset[2..3]=1 p\nGORC64 0x04088 - RC64 over=GORCL g\nGORCL 0x04088 - RC l\n".to_string(),
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/snabb-tables");
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
    for e in entries.flatten() {
        v.push(std::fs::read_to_string(e.path()).unwrap());
    }
    v
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DupLine(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let e = prop_oneof![
        (any::<usize>(), 0usize..12).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), "[ \t\n.=:#@x0-9A-Z+*-]{1,6}").prop_map(|(a, s)| Edit::Insert(a, s)),
        any::<usize>().prop_map(Edit::DupLine),
    ];
    prop::collection::vec(e, 1..6)
}

fn apply(src: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = src.chars().collect();
    for e in edits {
        match e {
            Edit::Delete(a, n) if !s.is_empty() => {
                let a = a % s.len();
                let b = (a + n).min(s.len());
                s.drain(a..b);
            }
            Edit::Insert(a, t) => {
                let a = a % (s.len() + 1);
                s.splice(a..a, t.chars());
            }
            Edit::DupLine(l) => {
                let text: String = s.iter().collect();
                let lines: Vec<&str> = text.split('\n').collect();
                let l = l % lines.len();
                let mut out = lines.clone();
                out.insert(l, lines[l]);
                s = out.join("\n").chars().collect();
            }
            _ => {}
        }
    }
    s.into_iter().collect()
}

proptest! {
    // 256 cases each (proptest's default; PROPTEST_CASES=N for more).

    #[test]
    fn random_text_never_panics(src in "[ \t\r\n#.=@a-zA-Z0-9_:+*\\-–é]{0,300}") {
        exercise(&src);
    }

    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        exercise(&src);
    }

    #[test]
    fn mutated_tables_never_panic(which in any::<usize>(), e in edits()) {
        let samples = sample_tables();
        let src = apply(&samples[which % samples.len()], &e);
        exercise(&src);
    }

    #[test]
    fn fmt_round_trips_valid_tables(src in valid_table()) {
        let out = regdsl::compile("p.txt", &src);
        prop_assert!(!out.has_errors(), "{:#?}\n{}", out.diagnostics, src);
        let f = regdsl::fmt::format("p.txt", &src).unwrap();
        round_trip(&src, &f);
    }
}

#[test]
fn fmt_round_trips_snabb_tables() {
    for src in sample_tables() {
        let f = regdsl::fmt::format("p.txt", &src).unwrap();
        round_trip(&src, &f);
    }
}

/// Inputs built to hit quadratic paths finish (a hang would stall the test run) and are
/// reported, not accepted silently.
#[test]
fn pathological_inputs_finish() {
    let mut many_segments = String::new();
    for i in (0..5000u32).rev() {
        many_segments.push_str(&format!("R 0x{:X} +4*{i}..{i} RW r\n", 0x100000 + 8 * i));
    }
    let out = regdsl::compile("p.txt", &many_segments);
    assert!(out
        .errors()
        .any(|d| d.message.contains("more than 1024 rows")));

    let same_address: String = (0..5000).map(|i| format!("R{i} 0x100 - RW r\n")).collect();
    let out = regdsl::compile("p.txt", &same_address);
    assert!(out.table.is_some());
    assert!(out.warnings().count() <= regdsl::check::MAX_OVERLAP_REPORTS + 1);

    let huge_arrays: String = (0..40)
        .map(|i| format!("A{i} 0x{:X} +4*0..65535 RW a\n", i << 20))
        .collect();
    let out = regdsl::compile("p.txt", &huge_arrays);
    assert!(out
        .warnings()
        .any(|d| d.message.starts_with("overlap check skipped")));

    let long_line = format!("X 0x0 - RW {}\n", "reset=1 ".repeat(20000));
    let out = regdsl::compile("p.txt", &long_line);
    assert_eq!(out.errors().count(), 19999);

    let over = format!("X 0x0 - RW64 over={} x\n", vec!["X"; 20000].join(","));
    let _ = regdsl::compile("p.txt", &over);

    let comments = "# c\n".repeat(50000) + "X 0x0 - RW x\n";
    assert!(regdsl::fmt::format("p.txt", &comments).is_ok());
    let fields: String = "C 0x0 - RW c\n".to_string() + &"  .F 0 f\n".repeat(50000);
    assert_eq!(regdsl::compile("p.txt", &fields).errors().count(), 49999);
}
