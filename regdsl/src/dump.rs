//! `regdsl dump --json`: the resolved model as JSON. Arrays list every index with its address
//! and its reset value (`reset[...]=` resolved); `element_resets` lists the overrides as written.
use serde_json::{json, Map, Value};

use crate::model::{Layout, Register, Table};

pub fn to_json(table: &Table) -> Value {
    json!({
        "file": table.file,
        "registers": table.registers.iter().map(register).collect::<Vec<_>>(),
    })
}

/// An array's elements; `reset` (of the register's own layout, not an alias's) gives each its
/// resolved reset value.
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
            obj.insert(
                "elements".into(),
                l.elements()
                    .into_iter()
                    .map(|(i, a)| match reset {
                        Some(r) => json!({"index": i, "address": a, "reset": r.reset_of(i)}),
                        None => json!({"index": i, "address": a}),
                    })
                    .collect(),
            );
        }
    }
}

fn register(r: &Register) -> Value {
    let mut obj = Map::new();
    obj.insert("name".into(), json!(r.name));
    obj.insert("mode".into(), json!(r.mode.to_string()));
    obj.insert("access".into(), json!(r.mode.access.as_str()));
    obj.insert("width".into(), json!(r.width().bits()));
    obj.insert("counter".into(), json!(r.mode.access.is_counter()));
    obj.insert(
        "clears_on_read".into(),
        json!(r.mode.access.clears_on_read()),
    );
    obj.insert("description".into(), json!(r.description));
    obj.insert("section".into(), json!(r.section));
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
                o.insert("description".into(), json!(a.description));
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
                    "name": f.name,
                    "lsb": f.lsb,
                    "msb": f.msb,
                    "access": f.access.map(|a| a.as_str()),
                    "reset": f.reset,
                    "write": f.write_value,
                    "description": f.description,
                    "values": f.values.iter().map(|v| json!({
                        "name": v.name, "value": v.value, "description": v.description,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    );
    Value::Object(obj)
}
