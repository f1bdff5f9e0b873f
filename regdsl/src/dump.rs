//! `regdsl dump --json`: the resolved model as JSON (shape documented in GRAMMAR.md, "`dump
//! --json`"). Arrays are described by ranges, never element by element, so the output is
//! linear in the table's text, not in its element count: `segments` (element `i` of a
//! segment is at `base + step * (i - min)`), `count`, and `resets`, the resolved reset value
//! of every index as ranges (`reset[...]=` overrides applied); `element_resets` lists the
//! overrides as written.
use serde_json::{json, Map, Value};

use crate::model::{Layout, Register, Segment, Table};

pub fn to_json(table: &Table) -> Value {
    json!({
        "file": table.file,
        "registers": table.registers.iter().map(register).collect::<Vec<_>>(),
    })
}

/// An array's segments and element count; `reset` (of the register's own layout, not an
/// alias's) adds the resolved reset value of every index, as ranges.
fn layout(obj: &mut Map<String, Value>, l: &Layout, reset: Option<&Register>) {
    match l {
        Layout::Single { address } => {
            obj.insert("address".into(), json!(address));
        }
        Layout::Array { segments } => {
            obj.insert(
                "segments".into(),
                segments
                    .iter()
                    .map(|s| json!({"base": s.base, "step": s.step, "min": s.min, "max": s.max}))
                    .collect(),
            );
            obj.insert("count".into(), json!(l.len()));
            if let Some(r) = reset {
                obj.insert(
                    "resets".into(),
                    reset_ranges(r, segments)
                        .into_iter()
                        .map(|(min, max, v)| json!({"min": min, "max": max, "reset": v}))
                        .collect(),
                );
            }
        }
    }
}

/// `(min, max, reset)` for every index of `segments` (sorted, disjoint), in index order:
/// the `element_resets` (sorted, disjoint) that cover indices, and the register's `reset`
/// in the gaps. Adjacent ranges with the same value within a segment are not merged: one
/// range per override as written, so the output follows the table.
fn reset_ranges(r: &Register, segments: &[Segment]) -> Vec<(u32, u32, Option<u64>)> {
    let mut out = Vec::new();
    let resets = &r.element_resets;
    // Both lists are sorted: one pass over each.
    let mut j = 0;
    for s in segments {
        while j < resets.len() && resets[j].max < s.min {
            j += 1;
        }
        let mut at = s.min; // the first index of the segment not yet in `out`
        let mut done = false;
        for e in resets[j..].iter().take_while(|e| e.min <= s.max) {
            let lo = e.min.max(at);
            if lo > at {
                out.push((at, lo - 1, r.reset));
            }
            let hi = e.max.min(s.max);
            out.push((lo, hi, Some(e.value)));
            if hi == s.max {
                done = true;
                break;
            }
            at = hi + 1;
        }
        if !done {
            out.push((at, s.max, r.reset));
        }
    }
    out
}

fn register(r: &Register) -> Value {
    let mut obj = Map::new();
    obj.insert("name".into(), json!(r.name.as_str()));
    obj.insert("mode".into(), json!(r.mode.to_string()));
    obj.insert("access".into(), json!(r.mode.access.as_str()));
    obj.insert("width".into(), json!(r.width().bits()));
    obj.insert("counter".into(), json!(r.mode.access.is_counter()));
    obj.insert(
        "clears_on_read".into(),
        json!(r.mode.access.clears_on_read()),
    );
    obj.insert("description".into(), json!(r.description.as_str()));
    obj.insert("section".into(), json!(r.section.as_deref()));
    obj.insert("line".into(), json!(r.span.line));
    obj.insert("reset".into(), json!(r.reset));
    obj.insert(
        "element_resets".into(),
        r.element_resets
            .iter()
            .map(|e| json!({"min": e.min, "max": e.max, "reset": e.value}))
            .collect(),
    );
    layout(&mut obj, &r.layout, Some(r));
    obj.insert(
        "aliases".into(),
        r.aliases
            .iter()
            .map(|a| {
                let mut o = Map::new();
                o.insert("description".into(), json!(a.description.as_str()));
                o.insert("line".into(), json!(a.span.line));
                layout(&mut o, &a.layout, None);
                Value::Object(o)
            })
            .collect(),
    );
    obj.insert("over".into(), json!(r.over));
    obj.insert(
        "fields".into(),
        r.fields
            .iter()
            .map(|f| {
                json!({
                    "name": f.name.as_str(),
                    "lsb": f.lsb,
                    "msb": f.msb,
                    "access": f.access.map(|a| a.as_str()),
                    "reset": f.reset,
                    "write": f.write_value,
                    "description": f.description.as_str(),
                    "values": f.values.iter().map(|v| json!({
                        "name": v.name.as_str(), "value": v.value, "description": v.description.as_str(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    );
    Value::Object(obj)
}
