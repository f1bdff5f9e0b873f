//! Every Snabb table loads verbatim, and every index of every register has the address that
//! Snabb's `lib.hardware.register` computes: OFFSET + STEP*(i-MIN). The expected addresses
//! come from a tiny reader written here, independent of the parser.
use std::collections::BTreeMap;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/snabb-tables"
    ))
}

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

/// name → index (None for `-`) → address, as Snabb computes it (a later row for the same
/// index replaces an earlier one, like Snabb's table assignment).
fn expected(src: &str) -> BTreeMap<String, BTreeMap<Option<u32>, u64>> {
    let mut out: BTreeMap<String, BTreeMap<Option<u32>, u64>> = BTreeMap::new();
    for line in src.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.is_empty() {
            continue;
        }
        let (name, offset, layout) = (w[0], num(w[1]), w[2]);
        let e = out.entry(name.to_string()).or_default();
        if layout == "-" {
            e.insert(None, offset);
        } else {
            let (step, range) = layout[1..].split_once('*').unwrap();
            let (lo, hi) = range.split_once("..").unwrap();
            let (step, lo, hi) = (num(step), num(lo), num(hi));
            for i in lo..=hi {
                e.insert(Some(i as u32), offset + step * (i - lo));
            }
        }
    }
    out
}

#[test]
fn every_snabb_table_loads_with_snabb_addresses() {
    let dir = dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("Snabb tables (tests/data) at {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(
        files.len() >= 25,
        "expected the 25 Snabb tables, found {}",
        files.len()
    );
    let mut checked = 0usize;
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let out = regdsl::compile_file(&path).unwrap();
        let errors: Vec<String> = out.errors().map(|d| d.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        let table = out.table.expect("a table without errors");
        let want = expected(&src);
        assert_eq!(
            table.registers.len(),
            want.len(),
            "{}: number of distinct names",
            path.display()
        );
        for (name, elems) in &want {
            let reg = table
                .get(name)
                .unwrap_or_else(|| panic!("{}: {name} missing", path.display()));
            let got: BTreeMap<Option<u32>, u64> = reg.layout.elements().into_iter().collect();
            assert_eq!(&got, elems, "{}: {name}", path.display());
            for (i, a) in elems {
                if let Some(i) = i {
                    assert_eq!(reg.layout.address(*i), Some(*a), "{name}[{i}]");
                }
                checked += 1;
            }
        }
    }
    // The corpus has thousands of array elements; make sure they were all looked at.
    assert!(checked > 5000, "only {checked} addresses checked");
}

#[test]
fn snabb_quirks_are_warnings_with_positions() {
    let path = dir().join("intel_mp_82599ES_array.txt");
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let out = regdsl::compile("82599ES_array.txt", &src);
    let w: Vec<String> = out.warnings().map(|d| d.to_string()).collect();
    assert!(out.table.is_some());
    // QBRC64 at 0x01034: a 64-bit register that is only 4-aligned.
    assert!(w.contains(&"82599ES_array.txt:22:13: warning: `QBRC64` at 0x01034 is not 8-byte aligned: the 64-bit register is accessed as two 32-bit halves".to_string()), "{w:#?}");
    // QPRDC repeated verbatim.
    assert!(
        w.iter()
            .any(|m| m.starts_with("82599ES_array.txt:41:1: warning: `QPRDC` is defined again")),
        "{w:#?}"
    );
    // RAL64 over RAL/RAH, not declared.
    assert!(
        w.iter()
            .any(|m| m.contains("overlaps `RAL[0]`") && m.contains("add `over=RAL` to `RAL64`")),
        "{w:#?}"
    );
}

#[test]
fn snabb_split_arrays() {
    let path = dir().join("intel10g_receive_registers_desc.txt");
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let t = regdsl::compile("rx.txt", &src).table.unwrap();
    let rdbal = t.get("RDBAL").unwrap();
    assert_eq!(rdbal.layout.address(0), Some(0x01000));
    assert_eq!(rdbal.layout.address(63), Some(0x01000 + 63 * 0x40));
    assert_eq!(rdbal.layout.address(64), Some(0x0D000));
    assert_eq!(rdbal.layout.address(127), Some(0x0D000 + 63 * 0x40));
    assert_eq!(rdbal.layout.address(128), None);
    assert_eq!(rdbal.layout.len(), 128);
}
