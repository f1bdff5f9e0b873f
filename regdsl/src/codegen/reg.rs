//! One register's module: the `Reg` marker, its spec constants, field constants (as text).

use super::docs;
use super::index::IndexSets;
use crate::model::{Access, Field, Layout, Register, Width};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

pub(crate) fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// Unsuffixed decimal literal (readable expansion).
pub(crate) fn num(v: u32) -> Literal {
    Literal::u32_unsuffixed(v)
}

/// Unsuffixed hex literal (readable expansion).
pub(crate) fn hex(v: u64) -> Literal {
    format!("{v:#x}")
        .parse()
        .expect("a hex number is a literal")
}

/// The register's integer type.
pub(crate) fn int_name(w: Width) -> &'static str {
    match w {
        Width::W8 => "u8",
        Width::W16 => "u16",
        Width::W32 => "u32",
        Width::W64 => "u64",
    }
}

pub(crate) fn int_ty(w: Width) -> TokenStream {
    let t = ident(int_name(w));
    quote!(#t)
}

/// The register's mode marker (`regdsl_rt::mode::RW`) and `Access` name.
pub(crate) fn mode_name(a: Access) -> &'static str {
    match a {
        // RSV is a field mode; a register never has it (treated as read-only).
        Access::RSV => "RO",
        other => other.as_str(),
    }
}

fn ones(w: Width) -> u64 {
    match w {
        Width::W64 => u64::MAX,
        w => (1u64 << w.bits()) - 1,
    }
}

/// The bit masks a register's spec carries.
pub(crate) struct Masks {
    pub reset: Option<u64>,
    pub rsv_mask: u64,
    pub rsv_value: u64,
    pub w1c: u64,
    pub writable: u64,
}

fn field_access(r: &Register, f: &Field) -> Access {
    f.access.unwrap_or(r.mode.access)
}

pub(crate) fn masks(r: &Register) -> Masks {
    let all = ones(r.width());
    let reg_access = r.mode.access;
    // Reset: the register's, else composed from the fields' resets (other bits 0).
    let reset = r.reset.or_else(|| {
        r.fields.iter().any(|f| f.reset.is_some()).then(|| {
            r.fields
                .iter()
                .filter_map(|f| f.reset.map(|v| (v << f.lsb) & f.mask()))
                .fold(0, |a, b| a | b)
        })
    });
    let mut rsv_mask = 0;
    let mut rsv_value = 0;
    for f in r.fields.iter().filter(|f| f.access == Some(Access::RSV)) {
        rsv_mask |= f.mask();
        // The value the table requires: `write=`, else the field's reset, else the register's.
        let v = match f.write_value.or(f.reset) {
            Some(v) => v << f.lsb,
            None => reset.unwrap_or(0),
        };
        rsv_value |= v & f.mask();
    }
    let w1c = if reg_access == Access::W1C {
        let other: u64 = r
            .fields
            .iter()
            .filter(|f| field_access(r, f) != Access::W1C)
            .map(Field::mask)
            .fold(0, |a, b| a | b);
        all & !other
    } else {
        r.fields
            .iter()
            .filter(|f| f.access == Some(Access::W1C))
            .map(Field::mask)
            .fold(0, |a, b| a | b)
    };
    let writable = if !reg_access.writable() {
        0
    } else if r.fields.is_empty() {
        all
    } else {
        r.fields
            .iter()
            .filter(|f| field_access(r, f).writable())
            .map(Field::mask)
            .fold(0, |a, b| a | b)
    };
    Masks {
        reset,
        rsv_mask,
        rsv_value,
        w1c,
        writable,
    }
}

/// A string literal as proc-macro2's `Literal::string` writes it (the same text, so the expansion
/// is the same token for token).
pub(crate) fn push_str_lit(out: &mut String, s: &str) {
    out.push('"');
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        if ch == '\0' {
            let octal_next = chars
                .as_str()
                .starts_with(|n: char| ('0'..='7').contains(&n));
            out.push_str(if octal_next { r"\x00" } else { r"\0" });
        } else if ch == '\'' {
            out.push(ch);
        } else {
            out.extend(ch.escape_debug());
        }
    }
    out.push('"');
}

pub(crate) fn push_doc(out: &mut String, doc: &str) {
    out.push_str("#[doc = ");
    push_str_lit(out, doc);
    out.push_str("]\n");
}

/// One register's module, as Rust source text. Written directly rather than as proc-macro2
/// tokens: for a large table the per-register modules are most of the expansion, and building,
/// printing and dropping their tokens one by one took most of the macro's own time (2,000
/// registers: 155 ms of tokens against a few ms of text; BENCHMARKS.md, "Compile time").
/// `expand` parses the text back into tokens, so the tests see the same expansion.
pub(crate) fn module_text(r: &Register, index: usize, sets: &IndexSets, out: &mut String) {
    use std::fmt::Write;
    let name = &r.name;
    let int = int_name(r.width());
    let mode = mode_name(r.mode.access);
    let m = masks(r);
    push_doc(out, &docs::register(r, &m));
    let _ = writeln!(out, "#[allow(non_snake_case)]\npub mod {name} {{");
    push_doc(
        out,
        &format!("Marker type of `{name}` (implements the spec traits)."),
    );
    // Types and literals only: every constant of the spec (name, reset, masks, offset, segments)
    // is read from the register's entry in `REGISTERS` (`__Table`) when it is used.
    let layout = match &r.layout {
        Layout::Single { .. } => "::regdsl_rt::Lone".to_string(),
        Layout::Array { .. } => sets.path(r).to_string(),
    };
    let _ = writeln!(
        out,
        "pub struct Reg;\nimpl ::regdsl_rt::Register for Reg {{\ntype __Table = super::__Table;\nconst __INDEX: usize = {index};\ntype Mode = ::regdsl_rt::mode::{mode};\ntype Int = {int};\ntype __Layout = {layout};\n}}"
    );
    if let Some(t) = reset_at(r, m.reset) {
        let _ = writeln!(out, "{t}");
    }
    // Short private aliases for the field types: the expansion of a large table is mostly field
    // constants, and every token costs the compiler time.
    if r.fields.iter().any(|f| f.width() == 1) {
        out.push_str("type __B = ::regdsl_rt::Bits<Reg>;\n");
    }
    if r.fields.iter().any(|f| f.width() > 1) {
        out.push_str("type __F = ::regdsl_rt::Field<Reg>;\n");
    }
    for f in &r.fields {
        field_text(f, out);
    }
    out.push_str("}\n");
}

/// `Reg::reset_at(i)` for an array with `reset[...]=` rows: a `const fn` (a `match` on the
/// index, nothing on the access path), generated only for those few registers. Indices that
/// are not the array's give `None`; other elements the register's `RESET`.
fn reset_at(r: &Register, default: Option<u64>) -> Option<TokenStream> {
    let Layout::Array { segments } = &r.layout else {
        return None;
    };
    if r.element_resets.is_empty() {
        return None;
    }
    let int = int_ty(r.width());
    let some = |v: u64| {
        let v = hex(v);
        quote!(::core::option::Option::Some(#v))
    };
    let arms = r.element_resets.iter().map(|e| {
        let (mn, mx, v) = (num(e.min), num(e.max), some(e.value));
        if e.min == e.max {
            quote!(#mn => #v,)
        } else {
            quote!(#mn..=#mx => #v,)
        }
    });
    let default = default.map_or_else(|| quote!(::core::option::Option::None), some);
    let segs = segments.iter().map(|s| {
        let (mn, mx) = (num(s.min), num(s.max));
        quote!(#mn..=#mx => #default,)
    });
    let doc = format!(
        "Reset value of `{}[i]`: the table gives some elements their own (`reset[...]=`); `None` for an index that is not one of the array's.",
        r.name
    );
    Some(quote! {
        impl Reg {
            #[doc = #doc]
            #[allow(unreachable_patterns)] // an override may cover a whole segment
            pub const fn reset_at(i: u32) -> ::core::option::Option<#int> {
                match i {
                    #(#arms)*
                    #(#segs)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    })
}

fn field_text(f: &Field, out: &mut String) {
    use std::fmt::Write;
    let id = &f.name;
    push_doc(out, &docs::field(f));
    if f.width() == 1 {
        let _ = writeln!(out, "pub const {id}: __B = __B::__new({:#x});", f.mask());
    } else {
        let _ = write!(out, "pub const {id}: __F = __F::__new(");
        push_str_lit(out, id);
        let _ = writeln!(out, ", {}, {});", f.lsb, f.width());
    }
    if f.values.is_empty() {
        return;
    }
    push_doc(out, &format!("Named values of field `{id}`."));
    let _ = writeln!(
        out,
        "pub mod {id} {{\ntype __V = ::regdsl_rt::FieldValue<super::Reg>;"
    );
    for v in &f.values {
        push_doc(out, &docs::value(f, v));
        let val = (v.value << f.lsb) & f.mask();
        let _ = writeln!(
            out,
            "pub const {}: __V = __V::__new({:#x}, {val:#x});",
            v.name,
            f.mask()
        );
    }
    out.push_str("}\n");
}
