//! `registers/82599.txt` against the reference register list (`registers.tsv`, the addresses
//! Linux's ixgbe macros compute): every 82599 register of the list is in the table with the same
//! element count and the same address for every index, and every register of the table is in the
//! list (or is a declared 64-bit view). Where Linux computes the 82598-compatible address, the
//! table must give the datasheet's address and declare Linux's as an ALIAS range. Every reset
//! value the table gives (per element) equals `reset_values.tsv`'s at that address, except
//! where the datasheet and that file disagree (listed, with the reason).
//!
//! The reference files are copies in `tests/data/` (sources named in its README).

use regdsl::model::{Layout, Register, Table, Width};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../registers/82599.txt");
const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

/// Registers of `registers.tsv` tagged 82599 that the table leaves out, and why.
const EXCLUDED: &[(&str, &str)] = &[
    (
        "FCDDC",
        "0x20000..: outside the 82599's 128 KiB BAR0 (datasheet 9.3.6.1); a later family's (X550) FCoE DDP context array, the 82599 reaches its contexts through FCDMARW",
    ),
    (
        "FCDFC",
        "0x28000..: outside the 82599's 128 KiB BAR0; a later family's FCoE filter context array (the 82599 uses FCFLT/FCFLTRW)",
    ),
    (
        "FCDFCD",
        "0x30000..: outside the 82599's 128 KiB BAR0; a later family's FCoE filter context data",
    ),
    ("PHY_GPIO", "wrongly tagged 82599 (reference README)"),
    ("MAC_GPIO", "wrongly tagged 82599 (reference README)"),
    ("PHYINT_STATUS0", "wrongly tagged 82599 (reference README)"),
    ("PHYINT_STATUS1", "wrongly tagged 82599 (reference README)"),
    ("PHYINT_STATUS2", "wrongly tagged 82599 (reference README)"),
    (
        "MSIXT",
        "MSI-X table: lives in BAR3, not in the BAR0 register map",
    ),
    (
        "MSIXPBA",
        "MSI-X pending bit array: lives in BAR3 next to the MSI-X table",
    ),
    (
        "VFTAVIND",
        "82598 VLAN pool index table: 0x0A200.. is RAL/RAH on the 82599",
    ),
    (
        "DTXCTL",
        "82598 address: 0x07E00 is TDBAL[120] on the 82599 (DMATXCTL replaced it)",
    ),
    (
        "TDHMPN",
        "82598 address: 0x07F08 is TDLEN[124] on the 82599 (TDHMPN2 replaced it)",
    ),
    (
        "TIC_DW",
        "82598 address: 0x07F10.. is TDH/TDT[124] on the 82599 (TIC_DW2 replaced it)",
    ),
    (
        "TDPROBE",
        "82598 address inside the 82599's Tx queue block 0x06000-0x07FFF",
    ),
    (
        "RXDATAWRPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "RXDESCWRPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "RXDATARDPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "RXDESCRDPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "TXDATAWRPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "TXDESCWRPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "TXDATARDPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
    (
        "TXDESCRDPTR",
        "82598 diagnostic: Linux's 8 elements 4 bytes apart overlap the next pointer block",
    ),
];

/// Registers for which `registers.tsv` gives (for some indices) the 82598-compatible alias: the
/// datasheet's own address of element `i`, which the table must use as the canonical one.
/// (Reference README; PSRTYPE[0..15] at 0x05480 is the same pattern.)
fn datasheet_address(name: &str, i: u32) -> Option<u64> {
    let i = u64::from(i);
    let split = |lo: u64, hi: u64| {
        if i < 64 {
            lo + 0x40 * i
        } else {
            hi + 0x40 * (i - 64)
        }
    };
    Some(match name {
        "RAL" => 0x0A200 + 8 * i,
        "RAH" => 0x0A204 + 8 * i,
        "SRRCTL" => split(0x01014, 0x0D014),
        "DCA_RXCTRL" => split(0x0100C, 0x0D00C),
        "PSRTYPE" => 0x0EA00 + 4 * i,
        "RETA" => 0x0EB00 + 4 * i,
        "RSSRK" => 0x0EB80 + 4 * i,
        "MRQC" => 0x0EC80,
        "QPTC" => 0x08680 + 4 * i,
        _ => return None,
    })
}

/// One register of `registers.tsv`.
struct TsvReg {
    name: String,
    kind: String,
    /// `None` for 2-D arrays, whose addresses the list does not write out.
    elements: Option<Vec<(Option<u32>, u64)>>,
    count: Option<u64>,
    line: usize,
}

fn hex(s: &str) -> Result<u64, String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| format!("not a hex number: `{s}`"))?;
    u64::from_str_radix(digits, 16).map_err(|e| format!("bad hex number `{s}`: {e}"))
}

/// `0x00000`, or `i=0..63: 0x01000+0x40*i; i=64..127: 0x0D000+0x40*(i-64)`, or `i=0: 0x11068; ...`.
fn parse_segments(s: &str) -> Result<Vec<(Option<u32>, u64)>, String> {
    let s = s.trim();
    if !s.starts_with("i=") {
        return Ok(vec![(None, hex(s)?)]);
    }
    let mut out = Vec::new();
    for part in s.split(';') {
        let part = part.trim();
        let (range, expr) = part
            .strip_prefix("i=")
            .and_then(|p| p.split_once(':'))
            .ok_or_else(|| format!("bad segment `{part}`"))?;
        let (lo, hi) = match range.split_once("..") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (range.trim(), range.trim()),
        };
        let num = |t: &str| {
            t.parse::<u32>()
                .map_err(|e| format!("bad index `{t}` in `{part}`: {e}"))
        };
        let (lo, hi) = (num(lo)?, num(hi)?);
        let expr = expr.trim();
        // BASE, BASE+STEP*i or BASE+STEP*(i-K)
        let (base, step, k) = match expr.split_once('+') {
            None => (hex(expr)?, 0, 0),
            Some((base, rest)) => {
                let (step, var) = rest
                    .split_once('*')
                    .ok_or_else(|| format!("bad expression `{expr}`"))?;
                let k = match var {
                    "i" => 0,
                    v => {
                        let inner = v
                            .strip_prefix("(i-")
                            .and_then(|v| v.strip_suffix(')'))
                            .ok_or_else(|| format!("bad index term `{v}` in `{expr}`"))?;
                        u64::from(num(inner)?)
                    }
                };
                (hex(base)?, hex(step)?, k)
            }
        };
        for i in lo..=hi {
            let offset = u64::from(i)
                .checked_sub(k)
                .ok_or_else(|| format!("index {i} below the offset {k} in `{part}`"))?;
            out.push((Some(i), base + step * offset));
        }
    }
    Ok(out)
}

fn read_tsv(path: &Path) -> Result<Vec<TsvReg>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or("empty registers.tsv")?;
    let cols: HashMap<&str, usize> = header
        .split('\t')
        .enumerate()
        .map(|(i, c)| (c, i))
        .collect();
    let col = |name: &str| {
        cols.get(name)
            .copied()
            .ok_or(format!("registers.tsv has no `{name}` column"))
    };
    let (c_kind, c_name, c_count, c_segs, c_applies) = (
        col("kind")?,
        col("name")?,
        col("count")?,
        col("segments")?,
        col("applies")?,
    );
    let mut out = Vec::new();
    for (n, line) in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |c: usize| f.get(c).copied().unwrap_or("");
        if get(c_applies) != "82599" {
            continue;
        }
        let kind = get(c_kind).to_string();
        let elements = if kind == "reg_array2d" {
            None
        } else {
            Some(
                parse_segments(get(c_segs))
                    .map_err(|e| format!("registers.tsv line {}: {e}", n + 1))?,
            )
        };
        // `128`, `2 (unknown(eval 0..1))`, `8 (comment)`, or empty for 2-D arrays.
        let count = get(c_count)
            .split_whitespace()
            .next()
            .and_then(|c| c.parse().ok());
        out.push(TsvReg {
            name: get(c_name).to_string(),
            kind,
            elements,
            count,
            line: n + 1,
        });
    }
    Ok(out)
}

/// The table's name for a list name: Linux suffixes the 82599 variant of a few registers.
/// Arrays the datasheet makes longer than Linux's macros: the table follows the datasheet
/// (which wins where the sources disagree); every index Linux has must still match.
fn datasheet_count(name: &str) -> Option<u64> {
    match name {
        // 82599 datasheet 8.2.3.5.12: EITR[n], n = 0..127 (0x00820 + 4n up to 23, then
        // 0x12300 + 4(n-24)); Linux defines the PF's 64.
        "EITR" => Some(128),
        // PFMRVLAN[n], n = 0..7: rule n's 64 VLAN filters in [n] (0-31) and [n+4] (32-63), as
        // PFMRVM; Linux defines 4, Snabb's intel_mp table (tests/data) 0x0F610 +0x04*0..7.
        "VMRVLAN" => Some(8),
        _ => None,
    }
}

fn table_name(tsv_name: &str) -> &str {
    tsv_name.strip_suffix("_82599").unwrap_or(tsv_name)
}

fn compare(reg: &Register, t: &TsvReg, mismatches: &mut Vec<String>) -> usize {
    let name = &reg.name;
    let Some(elements) = &t.elements else {
        return 0; // 2-D: the list gives no addresses; presence is all we can check.
    };
    if let Some(count) = t.count {
        if count != elements.len() as u64 {
            mismatches.push(format!(
                "registers.tsv line {}: {}: count {count} but the segments give {} elements",
                t.line,
                t.name,
                elements.len()
            ));
        }
    }
    let want_len = datasheet_count(name).unwrap_or(elements.len() as u64);
    if reg.layout.len() != want_len {
        mismatches.push(format!(
            "{name}: {} elements in the table, {} in registers.tsv ({})",
            reg.layout.len(),
            elements.len(),
            t.name
        ));
    }
    let tsv_at: BTreeMap<Option<u32>, u64> = elements.iter().copied().collect();
    let known_alias = datasheet_address(name, 0).is_some();
    for (&index, &want) in &tsv_at {
        let label = match index {
            Some(i) => format!("{name}[{i}]"),
            None => name.to_string(),
        };
        let have = match (index, &reg.layout) {
            (None, Layout::Single { address }) => Some(*address),
            (Some(i), layout @ Layout::Array { .. }) => layout.address(i),
            (None, Layout::Array { .. }) => {
                mismatches.push(format!(
                    "{label}: an array in the table, a single register in registers.tsv"
                ));
                continue;
            }
            (Some(_), Layout::Single { .. }) => {
                mismatches.push(format!(
                    "{label}: a single register in the table, an array in registers.tsv"
                ));
                continue;
            }
        };
        if have == Some(want) {
            continue;
        }
        let alias_has = |a: &regdsl::model::Alias| match (index, &a.layout) {
            (None, Layout::Single { address }) => *address == want,
            (Some(i), l) => l.address(i) == Some(want),
            _ => false,
        };
        if known_alias && reg.aliases.iter().any(alias_has) {
            continue; // registers.tsv gives the 82598-compatible alias, declared in the table
        }
        mismatches.push(format!(
            "{label}: registers.tsv ({}) gives {want:#07x}, the table {}{}",
            t.name,
            have.map_or("has no such index".to_string(), |a| format!("{a:#07x}")),
            if known_alias {
                " and no ALIAS row has it"
            } else {
                ""
            }
        ));
    }
    // Canonical addresses of the alias registers are the datasheet's; every ALIAS element is the
    // address registers.tsv gives for that index.
    if known_alias {
        for (index, have) in reg.layout.elements() {
            let want = datasheet_address(name, index.unwrap_or(0));
            if want != Some(have) {
                mismatches.push(format!(
                    "{name}{}: canonical address {have:#07x}, the datasheet's is {:#07x}",
                    index.map_or(String::new(), |i| format!("[{i}]")),
                    want.unwrap_or(0)
                ));
            }
        }
    }
    for alias in &reg.aliases {
        for (index, have) in alias.layout.elements() {
            if tsv_at.get(&index) != Some(&have) {
                mismatches.push(format!(
                    "{name}{} ALIAS (line {}): {have:#07x} is not the address registers.tsv gives ({})",
                    index.map_or(String::new(), |i| format!("[{i}]")),
                    alias.span.line,
                    tsv_at.get(&index).map_or("none".to_string(), |a| format!("{a:#07x}"))
                ));
            }
        }
    }
    elements.len()
}

fn reference() -> PathBuf {
    let p = PathBuf::from(REFERENCE);
    assert!(
        p.join("ixgbe/registers.tsv").is_file(),
        "reference data missing at {REFERENCE} (ixgbe/registers.tsv)"
    );
    p
}

/// Compiles the table; panics (showing them) on errors. Returns the warnings too.
fn compile_table() -> (Table, String, usize) {
    let src = std::fs::read_to_string(TABLE).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let out = regdsl::compile("registers/82599.txt", &src);
    let rendered = regdsl::render(&out.diagnostics, &src);
    match out.table {
        Some(table) => (table, rendered, out.diagnostics.len()),
        None => panic!("registers/82599.txt does not compile:\n{rendered}"),
    }
}

#[test]
fn table_compiles_without_warnings() {
    let (table, rendered, count) = compile_table();
    assert!(
        count == 0,
        "registers/82599.txt has {count} diagnostics (warnings count too):\n{rendered}"
    );
    assert!(
        table.registers.len() > 500,
        "only {} registers",
        table.registers.len()
    );
}

#[test]
fn every_register_and_index_matches_registers_tsv() {
    let reference = reference();
    let (table, _, _) = compile_table();
    let tsv = read_tsv(&reference.join("ixgbe/registers.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let excluded: HashMap<&str, &str> = EXCLUDED.iter().copied().collect();
    let mut mismatches = Vec::new();
    let mut matched: HashMap<&str, &str> = HashMap::new();
    let (mut registers, mut indices) = (0, 0);
    for t in &tsv {
        if excluded.contains_key(t.name.as_str()) {
            if table.get(table_name(&t.name)).is_some() && table_name(&t.name) == t.name {
                mismatches.push(format!(
                    "{}: listed as left out ({}) but the table has it",
                    t.name,
                    excluded[t.name.as_str()]
                ));
            }
            continue;
        }
        let name = table_name(&t.name);
        let Some(reg) = table.get(name) else {
            mismatches.push(format!(
                "{}: in registers.tsv (line {}, {}) but not in the table",
                t.name, t.line, t.kind
            ));
            continue;
        };
        if let Some(other) = matched.insert(reg.name.as_str(), t.name.as_str()) {
            mismatches.push(format!(
                "{name}: stands for both {other} and {} of registers.tsv",
                t.name
            ));
        }
        registers += 1;
        indices += compare(reg, t, &mut mismatches);
    }
    for unused in EXCLUDED
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !tsv.iter().any(|t| t.name == *n))
    {
        mismatches.push(format!(
            "{unused}: listed as left out but registers.tsv has no 82599 register of that name"
        ));
    }
    // The other way round: every register of the table is in registers.tsv, or a 64-bit view.
    for reg in &table.registers {
        if matched.contains_key(reg.name.as_str()) {
            continue;
        }
        let view = reg.width() == Width::W64 && !reg.over.is_empty();
        if !view {
            mismatches.push(format!(
                "{} (line {}): not a register of registers.tsv, nor a 64-bit view with over=",
                reg.name, reg.span.line
            ));
        }
    }
    println!("checked {registers} registers, {indices} element addresses against registers.tsv");
    assert!(
        mismatches.is_empty(),
        "{} mismatches between registers/82599.txt and registers.tsv:\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
}

#[test]
fn segment_parser_reads_the_list_notations() {
    assert_eq!(parse_segments("0x00000").unwrap(), vec![(None, 0)]);
    assert_eq!(
        parse_segments("i=0: 0x11068; i=1..2: 0x110C0+0x4*i").unwrap(),
        vec![(Some(0), 0x11068), (Some(1), 0x110C4), (Some(2), 0x110C8)]
    );
    assert_eq!(
        parse_segments("i=63..64: 0x01000+0x40*i; i=65..65: 0x0D000+0x40*(i-64)").unwrap(),
        vec![
            (Some(63), 0x01FC0),
            (Some(64), 0x02000),
            (Some(65), 0x0D040)
        ]
    );
    assert!(parse_segments("i=0..1 0x0").is_err());
    assert!(parse_segments("i=0..1: 0x10+0x4*(j-1)").is_err());
}

/// Registers whose reset value in `reset_values.tsv` the table does not take, and why. Each
/// must account for at least one difference (else it is stale and the test says so).
const RESET_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "DCA_RXCTRL",
        "bit 12: the datasheet says default 1b (reserved, to be cleared); the reference says 0 \
         (reference README)",
    ),
    (
        "RDRXCTL",
        "bit 3 DMAIDONE: 0 at reset, set once the DMA init is done; the reference model gives \
         the value after that",
    ),
    (
        "RXPBSIZE",
        "the reference gives element 0's 512 KB in every element; the datasheet gives 0 in 1..7",
    ),
    (
        "TXPBSIZE",
        "the reference gives element 0's 160 KB in every element; the datasheet gives 0 in 1..7",
    ),
];

#[test]
fn reset_values_agree_with_reset_values_tsv() {
    let reference = reference();
    let (table, _, _) = compile_table();
    let text = std::fs::read_to_string(reference.join("ixgbe/reset_values.tsv"))
        .unwrap_or_else(|e| panic!("reset_values.tsv: {e}"));
    // Every element of the table by its (datasheet) address.
    let mut at: HashMap<u64, (&Register, Option<u32>)> = HashMap::new();
    for r in &table.registers {
        for (i, a) in r.layout.elements() {
            at.insert(a, (r, i));
        }
    }
    let exceptions: HashMap<&str, &str> = RESET_EXCEPTIONS.iter().copied().collect();
    let mut used: std::collections::HashSet<&str> = Default::default();
    let (mut compared, mut mismatches) = (0, Vec::new());
    for (n, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 {
            continue;
        }
        let (addr, reset) = (hex(f[0]).unwrap(), hex(f[2]).unwrap());
        let Some(&(reg, i)) = at.get(&addr) else {
            continue;
        };
        let Some(want) = reg.reset_of(i) else {
            continue;
        };
        compared += 1;
        if want != reset && exceptions.contains_key(reg.name.as_str()) {
            used.insert(reg.name.as_str());
        } else if want != reset {
            let idx = i.map(|i| format!("[{i}]")).unwrap_or_default();
            mismatches.push(format!(
                "{}{idx} at {addr:#07x}: table resets to {want:#010x}, reset_values.tsv line {} \
                 ({}) to {reset:#010x}",
                reg.name,
                n + 1,
                f[1]
            ));
        }
    }
    assert!(compared > 0, "no reset value compared");
    for (name, why) in RESET_EXCEPTIONS {
        if !used.contains(name) {
            mismatches.push(format!("{name}: listed as differing ({why}) but agrees"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} reset values differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!(
        "{compared} element reset values compared with reset_values.tsv; differences only in {:?}",
        RESET_EXCEPTIONS.iter().map(|e| e.0).collect::<Vec<_>>()
    );
}
