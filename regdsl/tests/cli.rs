//! The `regdsl` command line: exit codes and outputs.
use std::process::{Command, Output};

fn regdsl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regdsl"))
        .args(args)
        .output()
        .expect("run regdsl")
}

fn temp(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("regdsl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

const GOOD: &str = "RDBAL 0x01000 +0x40*0..63 RW Receive Descriptor Base Address Low\nRDBAL 0x0D000 +0x40*64..127 RW Receive Descriptor Base Address Low\nCTRL 0x0 - RW Device Control\n  .RST 26 RW reset=0 Device Reset\n";

#[test]
fn check_exit_codes() {
    let good = temp("good.txt", GOOD);
    let warn = temp("warn.txt", "A 0x0 - RW a\nA 0x0 - RW a again\n");
    let bad = temp("bad.txt", "A 0x0 - RX a\nB 0x2 - RW b\n");
    let out = regdsl(&["check", good.to_str().unwrap(), warn.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0 error(s), 1 warning(s)"), "{err}");
    let out = regdsl(&[
        "check",
        "--short",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let b = bad.display();
    assert!(
        err.contains(&format!("{b}:1:9: error: unknown mode `RX`")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{b}:2:3: error: `B` at 0x00002 is not 4-byte aligned"
        )),
        "{err}"
    );
    // The rendered form has the source line and a caret.
    let out = regdsl(&["check", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("A 0x0 - RX a") && err.contains("unknown mode"),
        "{err}"
    );
    let out = regdsl(&["check", "/nonexistent/table.txt"]);
    assert_eq!(out.status.code(), Some(2));
    // The summary says a file was not read, not just "0 error(s)"; a directory is not a file.
    let dir = std::env::temp_dir();
    let out = regdsl(&["check", good.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0 error(s), 0 warning(s); 1 file(s) not read"),
        "{err}"
    );
}

#[test]
fn fmt_check_and_write() {
    let p = temp("fmt.txt", "A\t0x0 -   RW a\nBB 0x4 - RO b\n");
    let out = regdsl(&["fmt", "--check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let out = regdsl(&["fmt", p.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "A  0x0 - RW a\nBB 0x4 - RO b\n"
    );
    let out = regdsl(&["fmt", "--write", p.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "A  0x0 - RW a\nBB 0x4 - RO b\n"
    );
    let out = regdsl(&["fmt", "--check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    // Several files, as `regdsl fmt --check registers/*.txt` (it was refused: one FILE):
    // each checked, each unformatted one named; --write rewrites each.
    let q = temp(
        "fmt2.txt",
        "C	0x8 - RW c
",
    );
    let r = temp(
        "fmt3.txt",
        "D	0xC - RW d
",
    );
    let paths = [
        p.to_str().unwrap(),
        q.to_str().unwrap(),
        r.to_str().unwrap(),
    ];
    let out = regdsl(&[&["fmt", "--check"][..], &paths].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains(paths[0]), "{err}");
    for f in &paths[1..] {
        assert!(err.contains(&format!("{f}: not formatted")), "{err}");
    }
    let out = regdsl(&[&["fmt", "--write"][..], &paths].concat());
    assert!(out.status.success());
    let out = regdsl(&[&["fmt", "--check"][..], &paths].concat());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&q).unwrap(), "C 0x8 - RW c\n");
    // A file not read: exit 2, the others still checked. Printing takes one file.
    let out = regdsl(&["fmt", "--check", paths[0], "/nonexistent.txt"]);
    assert_eq!(out.status.code(), Some(2));
    let out = regdsl(&["fmt", paths[0], paths[1]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give one to print"));
}

#[test]
fn dump_json_shape() {
    let p = temp("dump.txt", GOOD);
    let out = regdsl(&["dump", "--json", p.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let regs = v["registers"].as_array().unwrap();
    assert_eq!(regs[0]["name"], "RDBAL");
    assert_eq!(regs[0]["mode"], "RW");
    assert_eq!(regs[0]["width"], 32);
    assert_eq!(regs[0]["counter"], false);
    assert_eq!(regs[0]["clears_on_read"], false);
    // Arrays as ranges (GRAMMAR.md, "`dump --json`"), never element by element.
    assert_eq!(regs[0]["count"], 128);
    assert_eq!(
        regs[0]["segments"],
        serde_json::json!([
            {"base": 0x1000, "step": 0x40, "min": 0, "max": 63},
            {"base": 0xD000, "step": 0x40, "min": 64, "max": 127}
        ])
    );
    assert_eq!(
        regs[0]["resets"],
        serde_json::json!([
            {"min": 0, "max": 63, "reset": null},
            {"min": 64, "max": 127, "reset": null}
        ])
    );
    assert!(regs[0].get("elements").is_none());
    assert_eq!(regs[1]["address"], 0);
    assert!(regs[1].get("segments").is_none());
    assert!(regs[1].get("count").is_none());
    assert_eq!(regs[1]["fields"][0]["name"], "RST");
    assert_eq!(regs[1]["fields"][0]["lsb"], 26);
    assert_eq!(regs[1]["fields"][0]["msb"], 26);
    assert_eq!(regs[1]["fields"][0]["reset"], 0);
}

/// `resets` covers every index once, in order, whatever the overrides and segments: an
/// override across a split, one inside a segment, and a huge array in a few ranges.
#[test]
fn dump_resets_are_ranges() {
    let src = "A 0x1000 +0x4*0..3 RW reset=1 reset[2..5]=2 reset[7]=3 Split\n\
               A 0x2000 +0x4*4..9 RW Split\n\
               B 0x10000 +0x4*0..65535 RW reset=0 reset[65535]=9 Huge\n";
    let p = temp("ranges.txt", src);
    let out = regdsl(&["dump", "--json", p.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = |min, max, v: u64| serde_json::json!({"min": min, "max": max, "reset": v});
    assert_eq!(
        v["registers"][0]["resets"],
        serde_json::json!([
            r(0, 1, 1),
            r(2, 3, 2),
            r(4, 5, 2),
            r(6, 6, 1),
            r(7, 7, 3),
            r(8, 9, 1)
        ])
    );
    assert_eq!(v["registers"][1]["count"], 65536);
    assert_eq!(
        v["registers"][1]["resets"],
        serde_json::json!([r(0, 65534, 0), r(65535, 65535, 9)])
    );
    assert!(out.stdout.len() < 4000, "{} bytes", out.stdout.len());
}

#[test]
fn doc_markdown() {
    let p = temp("doc.txt", GOOD);
    let out = regdsl(&["doc", p.to_str().unwrap()]);
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("| Register | Address | Mode | Reset | Description |"),
        "{md}"
    );
    assert!(md.contains("RDBAL[0..127]"), "{md}");
    assert!(md.contains("### CTRL"), "{md}");
    assert!(
        md.contains("| RST | 26 | RW | 0x0 | Device Reset |"),
        "{md}"
    );
}

#[test]
fn dump_separates_counters_from_read_to_clear() {
    let p = temp(
        "rtc.txt",
        "GPRC 0x04074 - RC Good Packets\nQPRC 0x01030 +0x40*0..1 RCR Queue Packets\nICR 0x000C0 - RTC Interrupt Cause Read\nCTRL 0x0 - RW Control\n",
    );
    let out = regdsl(&["dump", "--json", p.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<(String, bool, bool)> = v["registers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["counter"].as_bool().unwrap(),
                r["clears_on_read"].as_bool().unwrap(),
            )
        })
        .collect();
    let k = |n: &str, c, r| (n.to_string(), c, r);
    assert_eq!(
        kinds,
        [
            k("GPRC", true, true),
            k("QPRC", true, false),
            k("ICR", false, true),
            k("CTRL", false, false)
        ]
    );
}

#[test]
fn dump_and_doc_show_element_resets() {
    let p = temp(
        "elements.txt",
        "RXPBSIZE 0x03C00 +0x04*0..7 RW reset=0 reset[0]=0x00080000 Receive Packet Buffer Size\n",
    );
    let out = regdsl(&["dump", "--json", p.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["registers"][0];
    assert_eq!(r["reset"], 0);
    assert_eq!(
        r["element_resets"],
        serde_json::json!([{"min": 0, "max": 0, "reset": 0x80000}])
    );
    assert_eq!(
        r["resets"],
        serde_json::json!([
            {"min": 0, "max": 0, "reset": 0x80000},
            {"min": 1, "max": 7, "reset": 0}
        ])
    );
    let out = regdsl(&["doc", p.to_str().unwrap()]);
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("| RW | `0x00000000`; [0]: `0x00080000` | Receive Packet Buffer Size |"),
        "{md}"
    );
}

#[test]
fn decode_shows_a_value_field_by_field() {
    let t = temp(
        "decode.txt",
        "CTRL 0x0 - RW Device Control\n  .LRST 3 RW Link reset\n  .SPEED 9:8 RW Speed\n    =S1G 10b 1 Gb/s\n  .RST 26 RW Device reset\nQ 0x100 +0x40*0..3 RW Queue\nQ 0x800 +0x40*4..7 RW Queue\nQ 0x2000 +0x40*0..7 ALIAS Queue (old range)\nZ 0x3000 +0*3..3 RW One element\n",
    );
    let t = t.to_str().unwrap();
    let out = regdsl(&["decode", t, "CTRL", "0x04000208"]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0], "CTRL at 0x00000 = 0x04000208  Device Control",
        "{s}"
    );
    // Highest bit first; a named value where one matches.
    assert!(
        lines[1].contains("26") && lines[1].contains("RST") && lines[1].ends_with("Device reset"),
        "{s}"
    );
    assert!(
        lines[2].contains("9:8") && lines[2].contains("0x2 = S1G"),
        "{s}"
    );
    assert!(lines[3].contains("LRST") && lines[3].contains(" 1 "), "{s}");
    assert_eq!(lines.len(), 4, "{s}");
    // Set bits outside every field are shown.
    let out = regdsl(&["decode", t, "CTRL", "0x80000001"]);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("bits no field defines are set: 0x80000001"),
        "{s}"
    );
    // An element by index, by address in its second segment, and through its alias.
    // A one-element array of stride 0 (`Z`) has its element at its base.
    for (what, index) in [
        ("Q[5]", 5),
        ("0x840", 5),
        ("0x2140", 5),
        ("Q[0]", 0),
        ("0x3000", 3),
    ] {
        let out = regdsl(&["decode", t, what, "7"]);
        let s = String::from_utf8_lossy(&out.stdout);
        let name = if what == "0x3000" { "Z" } else { "Q" };
        assert!(
            s.starts_with(&format!("{name}[{index}] at ")),
            "{what}: {s}"
        );
    }
    // Bad arguments: exit 2 with the reason.
    for (args, why) in [
        (["CTRL", "0x100000000"], "does not fit the 32-bit register"),
        (["Q", "1"], "is an array: name an element, `Q[0]`"),
        (["Q[8]", "1"], "`Q` has no element 8"),
        (["ctrl", "1"], "did you mean `CTRL`?"),
        (["0x44", "1"], "no register of the table is at 0x00044"),
        (["CTRL", "zz"], "expected a value"),
        (["CTRL[1]", "1"], "`CTRL` is not an array"),
        // `-` reads lines; with a VALUE it is not a register named `-`.
        (
            ["-", "1"],
            "`-` reads `REGISTER VALUE` lines from standard input",
        ),
    ] {
        let out = regdsl(&["decode", t, args[0], args[1]]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

#[test]
fn decode_reads_register_dumps_from_standard_input() {
    let t = temp(
        "decode-lines.txt",
        "CTRL 0x0 - RW Device Control\n  .RST 26 RW Device reset\nQ 0x100 +0x40*0..3 RW Queue\n",
    );
    // `REGISTER VALUE`, and `REGISTER OFFSET VALUE description` as `ixgbe regs` prints.
    let input = "CTRL 0x04000000\nQ[2]             0x00180 0x00000007  Queue\n\nNOPE 1\nCTRL\n";
    let out = decode_stdin(&t, input.as_bytes());
    let s = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(s.starts_with("CTRL at 0x00000 = 0x04000000"), "{s}");
    assert!(s.contains("Q[2] at 0x00180 = 0x00000007"), "{s}");
    assert!(err.contains("line 4: no register `NOPE`"), "{err}");
    assert!(err.contains("line 5: expected `REGISTER VALUE`"), "{err}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad line: exit 1 after the rest"
    );
}

#[test]
fn binary_and_utf16_tables_are_refused_where_they_stop_being_text() {
    // A NUL or an escape sequence is valid UTF-8: such a table was accepted, the control
    // characters kept in descriptions (and in `doc`, to a terminal), a UTF-16 file reported
    // as `C T R L` with a register name ` `.
    let utf16: Vec<u8> = "CTRL 0x0 - RW Device Control\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let dir = std::env::temp_dir().join(format!("regdsl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let u16_path = dir.join("utf16.txt");
    std::fs::write(&u16_path, utf16).unwrap();
    let esc = temp("escape.txt", "CTRL 0x0 - RW Device\x1b[31m Control\n");
    let nul = temp("nul.txt", "A 0x0 - RW a\nB 0x4 - RW b\0\n");
    for (path, at) in [(&u16_path, ":1:2:"), (&esc, ":1:21:"), (&nul, ":2:13:")] {
        for cmd in [&["check"][..], &["fmt"], &["doc"], &["dump", "--json"]] {
            let mut args = cmd.to_vec();
            args.push(path.to_str().unwrap());
            let out = regdsl(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "{}{at} error: control character U+00",
                    path.display()
                )),
                "{args:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
    // Tabs and CRLF line ends are text.
    let tabs = temp("tabs.txt", "A\t0x0\t-\tRW\ta\r\nB 0x4 - RW b\r\n");
    let out = regdsl(&["check", tabs.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn decode_goes_on_past_a_line_that_is_not_text() {
    // A line of standard input that is not UTF-8 ended the whole run ("stream did not
    // contain valid UTF-8", no line number, exit 2): now it is a bad line like any other.
    let t = temp("decode-bytes.txt", "CTRL 0x0 - RW Device Control\n");
    let out = decode_stdin(&t, b"CTRL 1\n\xff\xfe garbage\nCTRL 2\r\n");
    let s = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(s.matches("CTRL at 0x00000").count(), 2, "{s}");
    assert!(err.contains("line 2: not UTF-8 text"), "{err}");
}

/// `regdsl decode TABLE -` with `input` on its standard input.
fn decode_stdin(table: &std::path::Path, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_regdsl"))
        .args(["decode", table.to_str().unwrap(), "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
