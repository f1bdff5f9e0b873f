//! `regdsl doc`: a Markdown register reference, one table of registers per `@section`, then
//! the fields of every register that has any.
use std::fmt::Write;

use crate::model::{Layout, Register, Table};

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

fn addresses(l: &Layout) -> String {
    match l {
        Layout::Single { address } => format!("`0x{address:05X}`"),
        Layout::Array { segments } => segments
            .iter()
            .map(|s| {
                format!(
                    "`0x{:05X} + 0x{:X}*(n-{})`, n={}..{}",
                    s.base, s.step, s.min, s.min, s.max
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn name(r: &Register) -> String {
    match r.layout.index_range() {
        Some((lo, hi)) => format!("{}[{lo}..{hi}]", r.name),
        None => r.name.to_string(),
    }
}

/// `reset=`, then each `reset[...]=` with its elements: `` `0x00000000`; [0]: `0x00080000` ``.
fn reset_text(r: &Register) -> String {
    let mut parts: Vec<String> = r.reset.iter().map(|v| format!("`0x{v:08X}`")).collect();
    for e in &r.element_resets {
        let which = if e.min == e.max {
            e.min.to_string()
        } else {
            format!("{}..{}", e.min, e.max)
        };
        parts.push(format!("[{which}]: `0x{:08X}`", e.value));
    }
    parts.join("; ")
}

pub fn to_markdown(table: &Table) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Register reference: {}\n", table.file);
    let mut section: Option<Option<&str>> = None;
    for r in &table.registers {
        if section != Some(r.section.as_deref()) {
            section = Some(r.section.as_deref());
            let _ = writeln!(s, "\n## {}\n", r.section.as_deref().unwrap_or("Registers"));
            let _ = writeln!(s, "| Register | Address | Mode | Reset | Description |");
            let _ = writeln!(s, "|---|---|---|---|---|");
        }
        let mut addr = addresses(&r.layout);
        for a in &r.aliases {
            let _ = write!(addr, "; alias {}", addresses(&a.layout));
        }
        let reset = reset_text(r);
        let mut desc = md(&r.description);
        if !r.over.is_empty() {
            let _ = write!(desc, " (over {})", r.over.join(", "));
        }
        let _ = writeln!(
            s,
            "| [{}](#{}) | {addr} | {} | {reset} | {desc} |",
            name(r),
            r.name.to_lowercase(),
            r.mode
        );
    }
    for r in table.registers.iter().filter(|r| !r.fields.is_empty()) {
        let _ = writeln!(s, "\n### {}\n\n{}\n", r.name, md(&r.description));
        let _ = writeln!(s, "| Field | Bits | Access | Reset | Description |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for f in &r.fields {
            let bits = if f.msb == f.lsb {
                f.lsb.to_string()
            } else {
                format!("{}:{}", f.msb, f.lsb)
            };
            let access = f.access.unwrap_or(r.mode.access).as_str();
            let reset = f.reset.map(|v| format!("{v:#x}")).unwrap_or_default();
            let mut desc = md(&f.description);
            for v in &f.values {
                let _ = write!(
                    desc,
                    "<br>`{}` = {:#b}: {}",
                    v.name,
                    v.value,
                    md(&v.description)
                );
            }
            if let Some(w) = f.write_value {
                let _ = write!(desc, " (write {w:#x})");
            }
            let _ = writeln!(s, "| {} | {bits} | {access} | {reset} | {desc} |", f.name);
        }
    }
    s
}
