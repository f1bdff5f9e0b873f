//! Code generation: a [`Table`] to the Rust items of `registers!` (see `regdsl-rt`).
//!
//! Per register a module `NAME` holding a zero-sized `Reg` marker whose one `Register` impl has
//! types and literals only (its table `__Table`, its index there, mode, integer type, layout:
//! the runtime reads every spec constant from that table entry, `REGISTERS`, when it is used),
//! plus one constant per field (`Bits<Reg>` for single bits, `Field<Reg>` otherwise) and a
//! sub-module per field with named values. No function per field, nothing checked twice: that
//! keeps a 2,000-register table fast to compile (BENCHMARKS.md, "Compile time"). Then the
//! `Regs<B>` struct with one accessor per register, the index-set types of arrays (`idx`),
//! `REGISTERS`, `lookup` and the counter `Stats`. The per-register items are written as text
//! ([`expand_text`]), the fixed ones with `quote!`.

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
    expand_text(table)
        .parse()
        .expect("the generated text is Rust tokens")
}

/// [`expand`] as Rust source text: what `registers!` hands the compiler (one string to lex, not
/// hundreds of thousands of tokens through the proc-macro bridge). What is written per register
/// (modules, accessors, `REGISTERS` entries), nearly all of a large table's expansion, is
/// written as text directly; the fixed items as proc-macro2 tokens, printed.
pub fn expand_text(table: &Table) -> String {
    let errors = names::check(table);
    if !errors.is_empty() {
        return errors
            .iter()
            .map(|e| {
                let e = e.to_string();
                quote!(::core::compile_error!(#e);)
            })
            .collect::<TokenStream>()
            .to_string();
    }
    let sets = index::IndexSets::new(table);
    let mut out = String::with_capacity(table.registers.len() * 1024);
    for (i, r) in table.registers.iter().enumerate() {
        reg::module_text(r, i, &sets, &mut out);
    }
    out.push_str(&sets.module().to_string());
    out.push_str(&table::regs_struct(table));
    out.push_str(&table::info(table));
    out.push_str(&table::stats(table).to_string());
    out
}
