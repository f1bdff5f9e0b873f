//! Code generation: a [`Table`] to the Rust items of `registers!` (see `regdsl-rt`).
//!
//! Per register a module `NAME` holding a zero-sized `Reg` marker that implements the runtime
//! spec traits with constants, plus one constant per field (`Bits<Reg>` for single bits,
//! `Field<Reg>` otherwise) and a sub-module per field with named values. No function per
//! field: that keeps a 2,000-register table fast to compile. Then the `Regs<B>` struct with
//! one accessor per register, the index-set types of arrays (`idx`), `REGISTERS`, `lookup`
//! and the counter `Stats`.

mod docs;
mod index;
pub(crate) mod names;
mod reg;
mod table;
#[cfg(test)]
mod tests;

use crate::model::Table;
use proc_macro2::TokenStream;
use quote::quote;

/// The items for `table`, or `compile_error!`s naming what cannot be generated.
pub fn expand(table: &Table) -> TokenStream {
    let errors = names::check(table);
    if !errors.is_empty() {
        return errors
            .iter()
            .map(|e| {
                let e = e.to_string();
                quote!(::core::compile_error!(#e);)
            })
            .collect();
    }
    let sets = index::IndexSets::new(table);
    let regs: TokenStream = table
        .registers
        .iter()
        .map(|r| reg::module(r, &sets))
        .collect();
    let idx = sets.module();
    let accessors = table::regs_struct(table);
    let info = table::info(table);
    let stats = table::stats(table);
    quote! {
        #regs
        #idx
        #accessors
        #info
        #stats
    }
}
