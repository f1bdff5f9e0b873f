//! Table-wide items: `Regs<B>`, `REGISTERS`/`lookup`, and the counter `Stats`.

use super::reg::{ident, masks, mode_name, push_doc, push_str_lit};
use crate::model::{Layout, Register, Table};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `Regs<B>`: the struct and its fixed methods as tokens, then the accessors (one per register,
/// most of this part for a large table) as text in a second impl block.
pub(crate) fn regs_struct(t: &Table) -> String {
    use std::fmt::Write;
    let fixed = quote! {
        /// The registers of the table on a bus: one accessor per register, named as in the
        /// table. Holds only the bus (for [`::regdsl_rt::Mmio`], a pointer and a length).
        pub struct Regs<__Bus: ::regdsl_rt::Bus> {
            bus: __Bus,
        }
        impl<__Bus: ::regdsl_rt::Bus> Regs<__Bus> {
            /// The registers on `bus`.
            #[inline(always)]
            pub const fn new(bus: __Bus) -> Self {
                Regs { bus }
            }
            /// The bus the registers are reached through.
            #[inline(always)]
            pub fn bus(&self) -> &__Bus {
                &self.bus
            }
            /// The bus back.
            pub fn into_bus(self) -> __Bus {
                self.bus
            }
            // One generic body per kind of handle; each accessor only names its register (a
            // short body type-checks faster, which matters for large tables).
            #[doc(hidden)]
            #[inline(always)]
            pub fn __single<__R: ::regdsl_rt::Single>(&self) -> ::regdsl_rt::Reg<'_, __Bus, __R> {
                ::regdsl_rt::Reg::at_offset(&self.bus, __R::OFFSET, ::core::option::Option::None)
            }
            #[doc(hidden)]
            #[inline(always)]
            pub fn __array<__R: ::regdsl_rt::ArraySpec>(&self) -> ::regdsl_rt::Array<'_, __Bus, __R> {
                ::regdsl_rt::Array::new(&self.bus)
            }
            #[doc(hidden)]
            #[inline(always)]
            pub fn __single_mut<__R: ::regdsl_rt::Single>(&mut self) -> ::regdsl_rt::RegMut<'_, __Bus, __R> {
                ::regdsl_rt::RegMut::at_offset(&self.bus, __R::OFFSET, ::core::option::Option::None)
            }
            #[doc(hidden)]
            #[inline(always)]
            pub fn __array_mut<__R: ::regdsl_rt::ArraySpec>(&mut self) -> ::regdsl_rt::ArrayMut<'_, __Bus, __R> {
                ::regdsl_rt::ArrayMut::new(&self.bus)
            }
        }
    };
    let mut out = fixed.to_string();
    out.push_str("\n#[allow(non_snake_case)]\nimpl<__Bus: ::regdsl_rt::Bus> Regs<__Bus> {\n");
    for r in &t.registers {
        let id = &r.name;
        let doc = format!(
            "`{}` at {} ({}): {}",
            r.name,
            super::docs::layout(&r.layout),
            r.mode,
            super::docs::escape(&r.description)
        );
        let (kind, make) = match &r.layout {
            Layout::Single { .. } => ("Reg", "__single"),
            Layout::Array { .. } => ("Array", "__array"),
        };
        push_doc(&mut out, &doc);
        let _ = writeln!(
            out,
            "#[inline(always)]\npub fn {id}(&self) -> ::regdsl_rt::{kind}< '_, __Bus, {id}::Reg> {{ self.{make}() }}"
        );
        if r.mode.access.has_unique_accessor() {
            push_doc(
                &mut out,
                &format!(
                    "`{id}` with unique access: a read clears the register (a count or pending causes)."
                ),
            );
            let _ = writeln!(
                out,
                "#[inline(always)]\npub fn {id}_mut(&mut self) -> ::regdsl_rt::{kind}Mut< '_, __Bus, {id}::Reg> {{ self.{make}_mut() }}"
            );
        }
    }
    out.push_str("}\n");
    out
}

/// Segments as `S { .. }` (`S` is `Seg` inside `REGISTERS`); suffixed literals leave the
/// compiler nothing to infer in a 2,000-entry initializer.
fn push_segments(out: &mut String, l: &Layout) {
    use std::fmt::Write;
    let one = |out: &mut String, base: u64, step: u64, min: u32, max: u32| {
        let _ = write!(
            out,
            "S {{ base: {base:#x}usize, step: {step:#x}usize, min: {min}u32, max: {max}u32 }}"
        );
    };
    match l {
        Layout::Single { address } => one(out, *address, 0, 0, 0),
        Layout::Array { segments } => {
            for (k, s) in segments.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                one(out, s.base, s.step, s.min, s.max);
            }
        }
    }
}

/// `&[a, b, ..]` with `each` writing an item, or for no item the name of a shared empty slice
/// (`empty.0`), noting in `empty.1` that the table needs it.
fn push_slice<T>(
    out: &mut String,
    items: &[T],
    empty: (char, &mut bool),
    mut each: impl FnMut(&mut String, &T),
) {
    if items.is_empty() {
        *empty.1 = true;
        out.push(empty.0);
        return;
    }
    out.push_str("&[");
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        each(out, item);
    }
    out.push(']');
}

/// `REGISTERS` and `lookup`: the entries, one per register, as text.
pub(crate) fn info(t: &Table) -> String {
    use std::fmt::Write;
    let mut entries = String::with_capacity(t.registers.len() * 300);
    let mut empty_segs = false;
    let mut empty_over = false;
    let mut empty_resets = false;
    for r in &t.registers {
        let m = masks(r);
        let access = mode_name(r.mode.access);
        entries.push_str("I { name: ");
        push_str_lit(&mut entries, &r.name);
        let _ = write!(
            entries,
            ", access: A::{access}, bits: {}u8, segments: ",
            r.width().bits()
        );
        let offset = match &r.layout {
            Layout::Single { address } => {
                empty_segs = true;
                entries.push('E');
                *address
            }
            Layout::Array { segments: s } => {
                entries.push_str("&[");
                push_segments(&mut entries, &r.layout);
                entries.push(']');
                s.first().map_or(0, |s| s.base)
            }
        };
        let _ = write!(entries, ", offset: {offset:#x}usize, aliases: ");
        push_slice(
            &mut entries,
            &r.aliases,
            ('E', &mut empty_segs),
            |out, a| push_segments(out, &a.layout),
        );
        entries.push_str(", over: ");
        push_slice(&mut entries, &r.over, ('N', &mut empty_over), |out, o| {
            push_str_lit(out, o)
        });
        match m.reset {
            Some(v) => {
                let _ = write!(entries, ", reset: O::Some({v:#x}u64)");
            }
            None => entries.push_str(", reset: O::None"),
        }
        entries.push_str(", element_resets: ");
        push_slice(
            &mut entries,
            &r.element_resets,
            ('R', &mut empty_resets),
            |out, e| {
                let _ = write!(
                    out,
                    "::regdsl_rt::info::ElementReset {{ min: {}u32, max: {}u32, value: {:#x}u64 }}",
                    e.min, e.max, e.value
                );
            },
        );
        let _ = write!(
            entries,
            ", writable: {:#x}u64, w1c: {:#x}u64, rsv_mask: {:#x}u64, rsv_value: {:#x}u64, description: ",
            m.writable, m.w1c, m.rsv_mask, m.rsv_value
        );
        push_str_lit(&mut entries, &r.description);
        entries.push_str(", },\n");
    }
    // The entries are also every register's spec (`Register` reads its constants from its own
    // entry): one table, evaluated once.
    let mut out = String::from(
        "#[doc(hidden)]\npub struct __Table;\nimpl ::regdsl_rt::Table for __Table {\n#[allow(clippy::large_stack_arrays)] // a constant table, not a stack array\nconst INFO: & 'static [::regdsl_rt::RegInfo] = ",
    );
    if t.registers.is_empty() {
        out.push_str("&[]");
    } else {
        out.push_str(
            "{\nuse ::core::option::Option as O;\nuse ::regdsl_rt::{Access as A, RegInfo as I, Seg as S};\n",
        );
        if empty_segs {
            out.push_str("const E: &[S] = &[];\n");
        }
        if empty_over {
            out.push_str("const N: &[&str] = &[];\n");
        }
        if empty_resets {
            out.push_str("const R: &[::regdsl_rt::info::ElementReset] = &[];\n");
        }
        out.push_str("&[\n");
        out.push_str(&entries);
        out.push_str("]\n}");
    }
    out.push_str(";\n}\n/// Every register of the table as data (for tracers and software devices).\npub static REGISTERS: &[::regdsl_rt::RegInfo] = <__Table as ::regdsl_rt::Table> ::INFO;\n");
    let lookup = quote! {
        /// The table's canonical name and index at byte `offset` (aliases resolve to their
        /// register; `over=` views come after the registers they overlay).
        pub fn lookup(offset: usize) -> ::core::option::Option<::regdsl_rt::Site> {
            ::regdsl_rt::lookup(REGISTERS, offset)
        }
    };
    out.push_str(&lookup.to_string());
    out
}

/// Counters accumulated by `Stats`: RC/RCR registers not overlaid by a 64-bit view (the view
/// is read instead, so no count is read twice).
pub(crate) fn counters(t: &Table) -> Vec<&Register> {
    let overlaid: Vec<&str> = t
        .registers
        .iter()
        .flat_map(|r| r.over.iter().map(String::as_str))
        .collect();
    t.registers
        .iter()
        .filter(|r| r.mode.access.is_counter() && !overlaid.contains(&r.name.as_str()))
        .collect()
}

pub(crate) fn stats(t: &Table) -> TokenStream {
    let cs = counters(t);
    let fields = cs.iter().map(|r| {
        let id = ident(&r.name);
        let doc = format!(
            "Total of `{}`: {}",
            r.name,
            super::docs::escape(&r.description)
        );
        if r.is_array() {
            let n = proc_macro2::Literal::usize_unsuffixed(r.layout.len() as usize);
            quote!(#[doc = #doc] pub #id: [::regdsl_rt::Counter; #n],)
        } else {
            quote!(#[doc = #doc] pub #id: ::regdsl_rt::Counter,)
        }
    });
    let inits = cs.iter().map(|r| {
        let id = ident(&r.name);
        if r.is_array() {
            let n = proc_macro2::Literal::usize_unsuffixed(r.layout.len() as usize);
            quote!(#id: [::regdsl_rt::Counter::new(); #n],)
        } else {
            quote!(#id: ::regdsl_rt::Counter::new(),)
        }
    });
    let updates = cs.iter().map(|r| {
        let id = ident(&r.name);
        let mid = format_ident!("{}_mut", r.name);
        if r.is_array() {
            quote!(::regdsl_rt::counter::update_array(&mut self.#id, regs.#mid());)
        } else {
            quote!(regs.#mid().accumulate(&mut self.#id);)
        }
    });
    let visits = cs.iter().map(|r| {
        let id = ident(&r.name);
        let name = &r.name;
        if r.is_array() {
            quote!(::regdsl_rt::counter::visit_array(&self.#id, #name, <#id::Reg as ::regdsl_rt::ArraySpec>::SEGMENTS, &mut f);)
        } else {
            quote!(f(#name, ::core::option::Option::None, self.#id.total());)
        }
    });
    quote! {
        /// 64-bit totals of every counter of the table (RC/RCR registers; 64-bit views instead
        /// of the low/high pairs they overlay). `update` reads each counter once.
        #[allow(non_snake_case)]
        #[derive(Clone, Debug)]
        pub struct Stats {
            #(#fields)*
        }
        impl ::core::default::Default for Stats {
            fn default() -> Self {
                Self::new()
            }
        }
        impl Stats {
            /// Every total zero.
            #[must_use]
            pub const fn new() -> Self {
                Stats { #(#inits)* }
            }
            /// Read every counter (unique access: read-to-clear counters are consumed here).
            pub fn update<__Bus: ::regdsl_rt::Bus>(&mut self, regs: &mut Regs<__Bus>) {
                #(#updates)*
            }
            /// Call `f(name, index, total)` for every counter.
            pub fn for_each(&self, mut f: impl FnMut(&'static str, ::core::option::Option<u32>, u64)) {
                #(#visits)*
            }
        }
    }
}
