//! Index sets of arrays: one type per distinct set of indices (shared by every array with the
//! same indices, so that an `Index` validated once serves them all), implementing `IndexSet`
//! with its ranges. Nothing is generated per index: `at_const::<N>()` is checked by one generic
//! constant in `regdsl-rt` against `RANGES`, so an array of 65,536 elements costs what one of
//! four does.

use super::reg::num;
use crate::model::{Layout, Register, Table};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::BTreeMap;

pub(crate) struct IndexSets {
    /// Merged ranges -> type name.
    sets: BTreeMap<Vec<(u32, u32)>, String>,
}

/// The array's index ranges, adjacent rows merged: `0..=63` + `64..=127` is `0..=127`.
pub(crate) fn ranges(layout: &Layout) -> Vec<(u32, u32)> {
    let Layout::Array { segments } = layout else {
        return Vec::new();
    };
    let mut v: Vec<(u32, u32)> = segments.iter().map(|s| (s.min, s.max)).collect();
    v.sort();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if last.1.checked_add(1) == Some(a) => last.1 = b,
            _ => out.push((a, b)),
        }
    }
    out
}

fn type_name(r: &[(u32, u32)]) -> String {
    let parts: Vec<String> = r.iter().map(|(a, b)| format!("{a}To{b}")).collect();
    format!("I{}", parts.join("And"))
}

pub(crate) fn text(r: &[(u32, u32)]) -> String {
    let parts: Vec<String> = r.iter().map(|(a, b)| format!("{a}..={b}")).collect();
    parts.join(", ")
}

impl IndexSets {
    pub(crate) fn new(t: &Table) -> Self {
        let mut sets = BTreeMap::new();
        for r in t.registers.iter().filter(|r| r.is_array()) {
            let rg = ranges(&r.layout);
            let name = type_name(&rg);
            sets.entry(rg).or_insert(name);
        }
        IndexSets { sets }
    }

    /// Path of the index-set type of `r` (an array), as seen from inside its module.
    pub(crate) fn path(&self, r: &Register) -> TokenStream {
        let name = &self.sets[&ranges(&r.layout)];
        let id = Ident::new(name, Span::call_site());
        quote!(super::idx::#id)
    }

    pub(crate) fn module(&self) -> TokenStream {
        let items = self.sets.iter().map(|(rg, name)| {
            let id = Ident::new(name, Span::call_site());
            let pairs = rg.iter().map(|&(a, b)| {
                let (a, b) = (num(a), num(b));
                quote!((#a, #b))
            });
            let txt = text(rg);
            let doc = format!("Array indices {txt}.");
            quote! {
                #[doc = #doc]
                pub struct #id;
                impl ::regdsl_rt::IndexSet for #id {
                    const RANGES: &'static [(u32, u32)] = &[#(#pairs),*];
                    const TEXT: &'static str = #txt;
                }
            }
        });
        quote! {
            /// Index sets of the register arrays: `Index<idx::I0To127>` is a validated index
            /// for every array with indices 0..=127.
            pub mod idx {
                #(#items)*
            }
        }
    }
}
