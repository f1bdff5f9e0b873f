//! Rustdoc for generated items: `cargo doc` is a browsable register reference.

use super::reg::Masks;
use crate::model::{Access, Field, Layout, NamedValue, Register, Segment, Width};

/// Keep table text from being read as markdown links, HTML or table separators.
pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '[' | ']' | '|' | '*' | '_' | '`' | '\\' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            c => o.push(c),
        }
    }
    o
}

fn digits(w: Width) -> usize {
    (w.bits() / 4) as usize
}

fn seg(s: &Segment) -> String {
    format!(
        "`0x{:05X} + 0x{:X}*(i-{})`, i = {}..={}",
        s.base, s.step, s.min, s.min, s.max
    )
}

pub(crate) fn layout(l: &Layout) -> String {
    match l {
        Layout::Single { address } => format!("`0x{address:05X}`"),
        Layout::Array { segments } => segments.iter().map(seg).collect::<Vec<_>>().join("; "),
    }
}

fn bits(f: &Field) -> String {
    if f.msb == f.lsb {
        f.lsb.to_string()
    } else {
        format!("{}:{}", f.msb, f.lsb)
    }
}

pub(crate) fn register(r: &Register, m: &Masks) -> String {
    let d = digits(r.width());
    let mut s = format!("**{}** — {}\n\n", r.name, escape(&r.description));
    s += &format!("- Offset: {}\n", layout(&r.layout));
    s += &format!("- Mode: {} ({}-bit)\n", r.mode, r.width().bits());
    if let Some(v) = m.reset {
        s += &format!("- Reset: `0x{v:0d$X}`\n");
    }
    for e in &r.element_resets {
        let which = if e.min == e.max {
            e.min.to_string()
        } else {
            format!("{}..{}", e.min, e.max)
        };
        s += &format!(
            "- Reset of `[{which}]`: `0x{:0d$X}` (`Reg::reset_at`)\n",
            e.value
        );
    }
    if m.rsv_mask != 0 {
        s += &format!(
            "- Reserved bits `0x{:0d$X}` are written as `0x{:0d$X}`\n",
            m.rsv_mask, m.rsv_value
        );
    }
    if let Some(sec) = &r.section {
        s += &format!("- Section: {}\n", escape(sec));
    }
    for a in &r.aliases {
        s += &format!(
            "- Alias: {} ({})\n",
            layout(&a.layout),
            escape(&a.description)
        );
    }
    if !r.over.is_empty() {
        s += &format!("- Overlays: {}\n", r.over.join(", "));
    }
    if matches!(r.mode.access, Access::RTC | Access::RTCW) {
        s += "- Clears on read (not a counter): read through `Regs::NAME_mut()`; not in `Stats`\n";
    }
    if r.mode.access.is_counter() {
        s += "- Counter: accumulate with `Regs::NAME_mut().accumulate(&mut counter)` or `Stats`\n";
    }
    if !r.fields.is_empty() {
        s += "\n| Bits | Field | Mode | Reset | Description |\n|---|---|---|---|---|\n";
        for f in &r.fields {
            let mode = f.access.map_or("", |a| a.as_str());
            let reset = f.reset.map(|v| format!("{v:#x}")).unwrap_or_default();
            s += &format!(
                "| {} | `{}` | {} | {} | {} |\n",
                bits(f),
                f.name,
                mode,
                reset,
                escape(&f.description)
            );
        }
    }
    s
}

pub(crate) fn field(f: &Field) -> String {
    let mut s = format!("Bits {}: {}", bits(f), escape(&f.description));
    if let Some(a) = f.access {
        s += &format!(" ({})", a.as_str());
    }
    if let Some(v) = f.reset {
        s += &format!(". Reset {v:#x}");
    }
    if let Some(v) = f.write_value {
        s += &format!(". Written as {v:#x}");
    }
    for v in &f.values {
        s += &format!(
            "\n- `{}` = {:#x}: {}",
            v.name,
            v.value,
            escape(&v.description)
        );
    }
    s
}

pub(crate) fn value(f: &Field, v: &NamedValue) -> String {
    format!("`{}` = {:#x}: {}", f.name, v.value, escape(&v.description))
}
