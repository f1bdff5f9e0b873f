//! Names in the table must be usable as Rust identifiers in the generated code.

use crate::diag::Diagnostic;
use crate::ident::is_ident;
use crate::model::{Layout, Table};

/// Names the generated code uses itself: inside a register module (`__B`, `__F`: private aliases
/// of the field types; `__V` inside a field's value module), at the top, and as `Regs` methods.
const RESERVED_IN_MODULE: &[&str] = &["Reg", "super", "self", "Self", "crate", "__B", "__F"];
const RESERVED_VALUE: &[&str] = &["__V"];
const RESERVED_TOP: &[&str] = &["Regs", "Stats", "REGISTERS", "lookup", "idx"];
const RESERVED_METHOD: &[&str] = &[
    "new",
    "bus",
    "into_bus",
    "__single",
    "__array",
    "__single_mut",
    "__array_mut",
];

/// One error per name that cannot be generated (`regdsl check` reports them too): keywords,
/// names the generated code uses itself, names starting with `__` (reserved for generated
/// code), and a register `X_mut` next to a register `X` that has a `X_mut()` accessor.
pub(crate) fn check(t: &Table) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let file = t.file.as_str();
    let mut err = |span: crate::model::Span, what: String| {
        out.push(Diagnostic::error(file, span, what).with_label("not a usable name"))
    };
    // Registers with a `NAME_mut()` accessor, by name: a register `X_mut` clashes when `X` is
    // one of them. Borrowed names, built only when some register name ends in `_mut`.
    let has_mut_name = t.registers.iter().any(|r| r.name.ends_with("_mut"));
    let unique: std::collections::HashSet<&str> = if has_mut_name {
        t.registers
            .iter()
            .filter(|r| r.mode.access.has_unique_accessor())
            .map(|r| r.name.as_str())
            .collect()
    } else {
        Default::default()
    };
    for r in &t.registers {
        let clash = RESERVED_TOP.contains(&r.name.as_str())
            || RESERVED_METHOD.contains(&r.name.as_str())
            || (r.mode.access.has_unique_accessor()
                && RESERVED_METHOD
                    .iter()
                    .any(|m| m.strip_suffix("_mut") == Some(r.name.as_str())));
        if !is_ident(&r.name) || clash {
            err(
                r.span,
                format!("register name `{}` cannot be a Rust item name (a keyword, or a name the generated code uses: Regs, Stats, REGISTERS, lookup, idx, new, bus, into_bus)", r.name),
            );
        } else if r.name.starts_with("__") {
            err(
                r.span,
                format!(
                    "register name `{}`: names starting with `__` are reserved for generated code",
                    r.name
                ),
            );
        } else if r
            .name
            .strip_suffix("_mut")
            .is_some_and(|base| unique.contains(base))
        {
            err(
                r.span,
                format!("register name `{}` collides with the `{}()` accessor of register `{}` (read-to-clear and counter registers get one)", r.name, r.name, &r.name[..r.name.len() - 4]),
            );
        }
        if matches!(&r.layout, Layout::Array { .. }) && r.layout.is_empty() {
            err(
                r.span,
                format!("register array `{}` has no element", r.name),
            );
        }
        for f in &r.fields {
            if !is_ident(&f.name) || RESERVED_IN_MODULE.contains(&f.name.as_str()) {
                err(
                    f.span,
                    format!(
                        "field name `{}.{}` cannot be a Rust item name (a keyword, or Reg, __B, __F: names of the register's module)",
                        r.name, f.name
                    ),
                );
            }
            for v in &f.values {
                if !is_ident(&v.name) || RESERVED_VALUE.contains(&v.name.as_str()) {
                    err(
                        v.span,
                        format!(
                            "value name `{}.{}.{}` cannot be a Rust item name",
                            r.name, f.name, v.name
                        ),
                    );
                }
            }
        }
    }
    out
}
