//! Rows pasted as datasheets print them (GRAMMAR.md, "Pasted rows"): each pasted block in
//! tests/data/pasted must give the same model as its native table (`regdsl dump --json`
//! compared, line numbers aside), and every row that cannot be read, or that would lose
//! something, gets a message that says which column and what to write.
use serde_json::Value;

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/pasted/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `dump --json` of a table without errors or warnings, without `line` and `file`.
fn json(name: &str, src: &str) -> Value {
    let out = regdsl::compile(name, src);
    let diags: Vec<String> = out.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(diags.is_empty(), "{name}: {diags:#?}");
    let mut v = regdsl::dump::to_json(out.table.as_ref().unwrap());
    strip(&mut v);
    v
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("line");
            m.remove("file");
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

fn same(pasted: &str, native: &str) {
    let a = json(pasted, &data(pasted));
    let b = json(native, &data(native));
    assert_eq!(a, b, "{pasted} and {native} differ");
    assert!(
        a["registers"].as_array().is_some_and(|r| !r.is_empty()),
        "{pasted}: no registers"
    );
}

#[test]
fn summary_8254x_equals_native() {
    same("8254x-summary.txt", "8254x-native.txt");
}

#[test]
fn summary_8254x_ranges_equal_native() {
    same("8254x-ranges.txt", "8254x-ranges-native.txt");
}

#[test]
fn summary_82599_equals_native() {
    same("82599-summary.txt", "82599-summary-native.txt");
}

#[test]
fn headings_and_field_tables_82599_equal_native() {
    same("82599-fields.txt", "82599-fields-native.txt");
}

#[test]
fn typed_field_table_82599_equals_native() {
    same("82599-typed-fields.txt", "82599-typed-fields-native.txt");
}

/// The messages of `src`, one line each.
fn diags(src: &str) -> Vec<String> {
    regdsl::compile("t.txt", src)
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect()
}

fn one(src: &str, want: &str) {
    assert_eq!(diags(src), vec![want.to_string()], "{src:?}");
}

// --- Nothing lost silently -------------------------------------------------------------

#[test]
fn value_before_the_access_of_a_field_is_not_description() {
    one(
        "CTRL 0x0 - RW Device Control\n  .SPEED 9:8 10b RO Speed selection\n",
        "t.txt:2:14: warning: `10b` looks like a value but is read as the start of the description; if it is the reset value write `.SPEED 9:8 RO reset=10b Speed selection`",
    );
}

#[test]
fn attribute_after_the_description_is_an_error() {
    one(
        "PBA 0x01000 - RW Packet Buffer Allocation reset=0x30\n",
        "t.txt:1:43: error: `reset=0x30` would be read as part of the description; attributes go before the description: `PBA 0x01000 - RW reset=0x30 Packet Buffer Allocation`",
    );
    one(
        "@columns name offset mode description\nPBA 0x01000 RW Packet Buffer Allocation reset=0x30\n",
        "t.txt:2:41: error: `reset=0x30` would be read as part of the description; `@columns name offset mode description` (line 1) reads attributes from columns only: add a `reset` column and write the value alone",
    );
}

#[test]
fn mode_value_or_bits_opening_a_description_are_warned() {
    one(
        "CTRL 0x0 - RW 0x30 Device Control\n",
        "t.txt:1:15: warning: `0x30` looks like a value but is read as the start of the description; if it is the reset value write `CTRL 0x0 - RW reset=0x30 Device Control`",
    );
    one(
        "CTRL 0x0 - RW Device Control\n  .X 3 RO RW Speed\n",
        "t.txt:2:11: warning: `RW` looks like a mode but is read as the start of the description; a row has one mode (write the description after it, or reword it)",
    );
    one(
        "CTRL 0x0 - RW Device Control\n  .LRST 3 RW 2:1 text\n",
        "t.txt:2:14: warning: `2:1` looks like a bit range but is read as the start of the description; if it is the field's bits, the row is in another order: name the columns with `@fields`",
    );
    // A register row under `@fields` is read as a field row: the error says so, the warning
    // says which directive to change.
    assert_eq!(
        diags("@fields name bits reset description\nCTRL 0x0 - RW Device\n"),
        [
            "t.txt:2:1: error: field `.CTRL` must follow a register row",
            "t.txt:2:12: warning: `RW` looks like a mode but is read as the start of the description; if it is a column, name it in `@fields name bits reset description` (line 1)"
        ]
    );
    // Plain numbers and words stay text.
    assert!(diags("CTRL 0x0 - RW 64 queues, see RO bits\n").is_empty());
}

#[test]
fn cr_crlf_and_lf_all_end_lines() {
    for nl in ["\n", "\r\n", "\r"] {
        let src = format!(
            "CTRL 0x0 - RW a{nl}STATUS 0x8 - RO b{nl}  .LINK 7 RO up{nl}EICR 0x800 - RX c{nl}"
        );
        let out = regdsl::compile("t.txt", &src);
        let msgs: Vec<String> = out.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec!["t.txt:4:14: error: unknown mode `RX` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS)"],
            "{nl:?}"
        );
        let ok = regdsl::compile("t.txt", &src.replace("RX", "RO"));
        let t = ok.table.expect("compiles");
        assert_eq!(t.registers.len(), 3, "{nl:?}");
        assert_eq!(t.get("STATUS").unwrap().fields.len(), 1, "{nl:?}");
        assert_eq!(t.get("STATUS").unwrap().description, "b", "{nl:?}");
    }
}

#[test]
fn bom_is_skipped_and_nbsp_separates() {
    one(
        "\u{feff}CTRL 0x0 - RX a\n",
        "t.txt:1:12: error: unknown mode `RX` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS)",
    );
    let out = regdsl::compile(
        "t.txt",
        "CTRL\u{a0}0x0\u{a0}-\u{a0}RW\u{a0}Device\u{a0}Control\n",
    );
    assert_eq!(
        out.table.unwrap().get("CTRL").unwrap().description,
        "Device\u{a0}Control"
    );
}

#[test]
fn non_utf8_names_byte_offset_line_and_column() {
    let d = regdsl::decode(
        "t.txt",
        b"CTRL 0x0 - RW ok\r\nSTATUS 0x8 - RO d\xe9j\xe0 vu\n",
    )
    .unwrap_err();
    assert_eq!(
        d.to_string(),
        "t.txt:2:18: error: the file is not UTF-8: byte 0xE9 at byte offset 35 (line 2, column 18); save the table as UTF-8"
    );
    let d = regdsl::decode("t.txt", b"A 0x0 - RW \xc3\xa9\rB 0x4 - RW \xff").unwrap_err();
    assert_eq!((d.span.line, d.span.col, d.span.offset), (2, 12, 25));
}

// --- Pasted rows that cannot be read ----------------------------------------------------

#[test]
fn pasted_row_errors_name_the_column_and_the_directive() {
    let cols = "@columns ignore offset name description mode\n";
    one(
        &format!("{cols}General 00008h STATUS Device Status Rx\n"),
        "t.txt:2:37: error: unknown mode `Rx` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS; or a datasheet spelling: R/W, R, W, RC, RC/W, RC/WC, RC/W1C, RW1C, R/W1C, RWS, ...) (column 5 `mode` of `@columns ignore offset name description mode`, line 1)",
    );
    one(
        &format!("{cols}General 00008h\n"),
        "t.txt:2:15: error: expected a name, found end of line (column 3 `name` of `@columns ignore offset name description mode`, line 1)",
    );
    one(
        &format!("{cols}General 0x01000 + 0x40*n STATUS Device Status R\n"),
        "t.txt:2:26: error: expected the index range (`, n=0...63`) after the step, found `STATUS Device Status` (column 2 `offset` of `@columns ignore offset name description mode`, line 1)",
    );
    one(
        "@columns name offset mode\nPBA 0x01000 RW Packet Buffer\n",
        "t.txt:2:16: error: unexpected `Packet`: `@columns name offset mode` (line 1) has no column for it (add `description` for free text or `ignore` to skip a cell)",
    );
    one(
        "@columns name offset mode description\nCTRL 0x0 RW Device\n@fields name bits reset mode description\nSPEED 9:8 10b RX Speed\n",
        "t.txt:4:15: error: unknown field mode `RX` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, RSV or a datasheet spelling: R/W, R, W, RW1C, R/W1C, RWS, ...) (column 4 `mode` of `@fields name bits reset mode description`, line 3)",
    );
}

#[test]
fn datasheet_rows_without_a_directive_get_the_directive_that_reads_them() {
    one(
        "General 00008h STATUS Device Status R\n",
        "t.txt:1:16: error: expected a layout: `-` (one register) or `+STEP*MIN..MAX` (an array), found `STATUS`; this reads as a datasheet row: put `@columns ignore offset name description mode` above such rows to paste them as printed",
    );
    one(
        "0x00008 STATUS Device Status Register General RO PERST 1\n",
        "t.txt:1:9: error: expected an offset (hex `0x1F` or `1Fh`, decimal `31` or binary `11111b`), found `STATUS`; this reads as a datasheet row: put `@columns offset name description mode ignore ignore` above such rows to paste them as printed",
    );
}

#[test]
fn bad_directives() {
    one(
        "@columns name offset description description mode\n",
        "t.txt:1:34: error: column `description` is named twice in `@columns` (a row has at most one free-text column; skip the others with `ignore`)",
    );
    one(
        "@columns name description\n",
        "t.txt:1:26: error: `@columns` needs a `offset` column (it has name description)",
    );
    one(
        "@fields name bits colour\n",
        "t.txt:1:19: error: unknown column `colour` in `@fields` (expected name, bits, reset, mode, description, ignore)",
    );
}

#[test]
fn heading_errors() {
    one(
        "Device Control Register — CTRL (0x00000 + 0x40*n; RW)\n",
        "t.txt:1:49: error: expected the index range (`, n=0...63`) after the step, found the end in the offset of heading `CTRL`",
    );
    one(
        "Device Control Register — CTRL (0x00000; RWX)\n",
        "t.txt:1:42: error: unknown mode `RWX` after `;` in the heading (`Title — NAME (OFFSET; MODE)`) (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS; or a datasheet spelling: R/W, R, W, RC, RC/W, RC/WC, RC/W1C, RW1C, R/W1C, RWS, ...)",
    );
    // A native row whose description ends in parentheses is not a heading.
    assert!(diags("CTRL 0x0 - RW Device Control (see 8.2.3; RW)\n").is_empty());
}

// --- Datasheet spellings ----------------------------------------------------------------

#[test]
fn datasheet_modes_offsets_and_resets() {
    use regdsl::model::Access;
    let src = "@columns name offset mode reset description\n\
        A 0x0_001C R/W 0000h a\nB 20h r X b\nC 0x24 W 0x0 c\nD 0x28 RC/W - d\nE 0x2C rc/wc 1b e\n\
        F 0x30 RW1C 0b f\nG 0x34 R/W1C 0x0 g\nH 0x38 RWS 0x0 h\nI 0x3C rw 0x0 i\n";
    let out = regdsl::compile("t.txt", src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let t = out.table.unwrap();
    let want = [
        ("A", Access::RW, 0x1C, Some(0)),
        ("B", Access::RO, 0x20, None),
        ("C", Access::WO, 0x24, Some(0)),
        ("D", Access::RTCW, 0x28, None),
        ("E", Access::RTCW, 0x2C, Some(1)),
        ("F", Access::W1C, 0x30, Some(0)),
        ("G", Access::W1C, 0x34, Some(0)),
        ("H", Access::RW, 0x38, Some(0)),
        ("I", Access::RW, 0x3C, Some(0)),
    ];
    for (name, access, addr, reset) in want {
        let r = t.get(name).unwrap();
        assert_eq!(r.mode.access, access, "{name}");
        assert_eq!(
            r.layout,
            regdsl::model::Layout::Single { address: addr },
            "{name}"
        );
        assert_eq!(r.reset, reset, "{name}");
    }
    // Native rows take datasheet modes in the MODE column too.
    let t = regdsl::compile("t.txt", "A 0x0 - R/W a\n  .X 3 RW1C b\n")
        .table
        .unwrap();
    assert_eq!(t.get("A").unwrap().fields[0].access, Some(Access::W1C));
}

#[test]
fn directives_hold_until_the_next_and_native_restores() {
    let src = "@columns offset name mode description\n0x00000 CTRL RW Device Control\n\
        @fields name bits reset description\nRST 26 0b Device Reset\n.LRST 3 0b Link Reset\n\
        @columns native\nSTATUS 0x00008 - RO Device Status\n  .LINK 7 RO Link up\n";
    // `@columns native` ends the register layout; `.LINK` is still read by `@fields` (name
    // bits reset description), where `RO` is not a reset value.
    one(src, "t.txt:8:11: error: expected a reset value (hex `0x1F` or `1Fh`, decimal `31` or binary `11111b`), found `RO`; `X` or `-` mark an undefined value (column 3 `reset` of `@fields name bits reset description`, line 3)");
    let src = src.replace(".LINK 7 RO Link up", ".LINK 7 0b Link up");
    let out = regdsl::compile("t.txt", &src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let t = out.table.unwrap();
    let ctrl = t.get("CTRL").unwrap();
    assert_eq!(
        ctrl.fields.iter().map(|f| &f.name[..]).collect::<Vec<_>>(),
        ["RST", "LRST"]
    );
    assert_eq!(t.get("STATUS").unwrap().fields[0].reset, Some(0));
}

#[test]
fn fmt_keeps_pasted_rows_and_the_model() {
    for name in [
        "8254x-summary.txt",
        "82599-summary.txt",
        "82599-fields.txt",
        "82599-typed-fields.txt",
    ] {
        let src = data(name);
        let f = regdsl::fmt::format(name, &src).unwrap();
        assert_eq!(
            regdsl::fmt::format(name, &f).unwrap(),
            f,
            "{name}: not idempotent"
        );
        assert_eq!(
            json(name, &f),
            json(name, &src),
            "{name}: fmt changed the model"
        );
    }
}

// --- Rendering --------------------------------------------------------------------------

#[test]
fn rendering_far_columns_and_many_errors() {
    // An error past column 65,536 (multi-byte characters before it): no panic, the header
    // gives the character column, the excerpt is a window around the caret.
    let src = format!("A{} 0x0 - RX d\n", "é".repeat(70_000));
    let out = regdsl::compile("t.txt", &src);
    let d = &out.diagnostics[0];
    assert_eq!(d.span.col, 70_009);
    let r = regdsl::render(&out.diagnostics, &src);
    assert!(r.contains("[t.txt:1:70009]"), "{r}");
    assert!(r.lines().all(|l| l.chars().count() < 400), "{r}");
    // More than 200 diagnostics: 200 rendered, the rest counted.
    let src: String = (0..250)
        .map(|i| format!("R{i} 0x{:X} - RX d\n", i * 4))
        .collect();
    let out = regdsl::compile("t.txt", &src);
    let r = regdsl::render(&out.diagnostics, &src);
    assert_eq!(r.matches("× unknown mode").count(), 200);
    assert!(r.ends_with("... and 50 more (50 error(s), 0 warning(s)) not shown; `regdsl check --short` lists every one\n"), "{r}");
}

#[test]
fn fields_native_returns_to_register_rows() {
    let src = "@columns name offset mode description\nCTRL 0x0 RW Device Control\n\
        @fields name bits reset description\nRST 26 0b Device Reset\n@fields native\n\
        STATUS 0x8 RO Device Status\n  .LINK 7 RO Link up\n";
    let out = regdsl::compile("t.txt", src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let t = out.table.unwrap();
    assert_eq!(t.get("STATUS").unwrap().fields[0].name, "LINK");
    assert_eq!(t.get("CTRL").unwrap().fields[0].name, "RST");
}

/// Found by the fuzz driver: a byte-order mark inside a line (after indentation) was part of the
/// name; the first `fmt` moved it to the start of the file, where the second one skipped it.
#[test]
fn bom_inside_a_line_is_a_blank() {
    let src = "     \u{feff}RAH 0x05404 +0x08*0..15 RW Receive Address High\r   ";
    let f = regdsl::fmt::format("t.txt", src).unwrap();
    assert_eq!(f, "RAH 0x05404 +0x08*0..15 RW Receive Address High\n");
    assert_eq!(regdsl::fmt::format("t.txt", &f).unwrap(), f);
}

/// Found by the fuzz driver: `fmt` trimmed a trailing vertical tab (Unicode whitespace, not a
/// blank of the language) off a description, changing the model.
#[test]
fn fmt_trims_only_blanks() {
    let src = "TCTL 0x00400 - RW Transmit Contro\u{b}\n";
    let f = regdsl::fmt::format("t.txt", src).unwrap();
    assert_eq!(f, src);
}

// --- Clears on read is not counting ---------------------------------------------------

/// Interrupt cause spellings (`RC/W`, `RC/WC`, `RC/W1C`) are read-to-clear and writable, not
/// counters; `RC` (the 82599's statistics) stays a counter; the 8254x's `R` is read only.
#[test]
fn interrupt_cause_spellings_are_not_counters() {
    let src = "@columns ignore offset name description mode\n\
               Interrupt   000C0h  ICR      Interrupt Cause Read        RC/W\n\
               Interrupt   000C4h  ICR2     Interrupt Cause Read        rc/wc\n\
               Interrupt   01500h  EICR     Extended Interrupt Cause    RC/W1C\n\
               Statistics  04000h  CRCERRS  CRC Error Count             RC\n\
               Statistics  04004h  ALGNERRC Alignment Error Count       R\n";
    let v = json("t.txt", src);
    let kinds: Vec<(&str, &str, bool, bool)> = v["registers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["access"].as_str().unwrap(),
                r["counter"].as_bool().unwrap(),
                r["clears_on_read"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ICR", "RTCW", false, true),
            ("ICR2", "RTCW", false, true),
            ("EICR", "RTCW", false, true),
            ("CRCERRS", "RC", true, true),
            ("ALGNERRC", "RO", false, false),
        ]
    );
    // The same in native rows, and the native names.
    let native = "ICR 0xC0 - RTCW a\nICR2 0xC4 - RTCW b\nEICR 0x1500 - RTC64 c\n";
    let v = json("n.txt", native);
    assert_eq!(v["registers"][1]["access"], "RTCW");
    assert_eq!(v["registers"][2]["mode"], "RTC64");
    assert_eq!(v["registers"][2]["counter"], false);
}

/// The "unknown mode" message lists every accepted spelling, widths included.
#[test]
fn unknown_mode_lists_widths() {
    one(
        "A 0x0 - RW12 a\n",
        "t.txt:1:9: error: unknown mode `RW12` (expected RO, RW, WO, RC, RCR, W1C, RTC, RTCW, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS)",
    );
}

// --- Offset ranges of a register summary ------------------------------------------------

const RANGE_LAYOUT: &str = "@columns offset name description mode\n";

/// Each inconsistent range is an error at file:line:col that names the column and says why.
#[test]
fn inconsistent_ranges_are_errors() {
    let cases = [
        (
            "05200h-053FEh MTA Multicast R/W\n",
            "t.txt:2:1: error: the range `05200h-053FEh` spans 0x1fe bytes: not a multiple of the register width (4 bytes); state the stride (`05200h-053FEh step 8`) or the elements in the name (`MTA[15:0]`) (column 1 `offset` of `@columns offset name description mode`, line 1)",
        ),
        (
            "05200h-053FCh MTA[126:0] Multicast R/W\n",
            "t.txt:2:1: error: `MTA` has 127 elements, which the range `05200h-053FCh` (0x1fc bytes from the first to the last) cannot space equally (column 1 `offset` of `@columns offset name description mode`, line 1)",
        ),
        (
            "05200h-053FCh step 4 MTA[63:0] Multicast R/W\n",
            "t.txt:2:25: error: `MTA` names 64 elements but the range `05200h-053FCh step 4` at stride 0x4 holds 128 (column 1 `offset` of `@columns offset name description mode`, line 1)",
        ),
        (
            "05200h-053FCh step 3 MTA Multicast R/W\n",
            "t.txt:2:20: error: the range `05200h-053FCh step 3` spans 0x1fc bytes: not a multiple of the stride 0x3 (column 1 `offset` of `@columns offset name description mode`, line 1)",
        ),
        (
            "053FCh-05200h MTA Multicast R/W\n",
            "t.txt:2:1: error: the range `053FCh-05200h` ends before it starts (column 1 `offset` of `@columns offset name description mode`, line 1)",
        ),
        (
            "05200h MTA[127:0] Multicast R/W\n",
            "t.txt:2:1: error: `MTA[127:0]` names 128 elements but the offset is one address: give the range as printed (`START-END`, the first and the last element's address) (column 1 `offset` of `@columns offset name description mode`, line 1)",
        ),
    ];
    for (row, want) in cases {
        one(&format!("{RANGE_LAYOUT}{row}"), want);
    }
}

/// A range takes the `@width` in force and a width suffix of the mode; a stated stride below
/// the width is the resolver's usual error.
#[test]
fn ranges_take_the_register_width() {
    let v = json(
        "t.txt",
        "@width 8\n@columns offset name description mode\n00h-07h A bytes RW\n10h-1Eh B halves RW16\n",
    );
    assert_eq!(v["registers"][0]["count"], 8);
    assert_eq!(v["registers"][0]["segments"][0]["step"], 1);
    assert_eq!(v["registers"][1]["count"], 8);
    assert_eq!(v["registers"][1]["segments"][0]["step"], 2);
}
