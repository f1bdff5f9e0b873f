//! `registers!`: expands a regdsl table into typed register handles (see `regdsl-rt`, which
//! re-exports it; generated code refers to `::regdsl_rt`). The forms (a summary; the runnable
//! examples are in `regdsl-rt`'s crate docs, since the expansion needs `regdsl_rt`, which depends
//! on this crate):
//!
//! ```text
//! registers!("registers/82599.txt");                // items at the call site
//! registers!(pub mod ixgbe, "registers/82599.txt"); // items inside `pub mod ixgbe`
//! registers!(inline "CTRL 0x00000 - RW Device Control");
//! registers!(mod small, inline "...");
//! registers!(#[allow(deprecated)] mod dev, "t.txt"); // attributes of the module
//! ```
//! Paths are relative to the calling crate's `CARGO_MANIFEST_DIR`. Cargo rebuilds when the
//! file changes (the expansion includes it with `include_bytes!`). A table with errors
//! becomes one `compile_error!` per error: `file:line:col: error: reason`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

enum Source {
    File(LitStr),
    Inline(LitStr),
}

struct Input {
    /// Attributes of the module form (`#[allow(deprecated)] mod m, "..."`).
    attrs: Vec<syn::Attribute>,
    module: Option<(Visibility, Ident)>,
    source: Source,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let module = if input.peek(Token![pub]) || input.peek(Token![mod]) {
            let vis: Visibility = input.parse()?;
            input.parse::<Token![mod]>()?;
            let name: Ident = input.parse()?;
            input.parse::<Token![,]>()?;
            Some((vis, name))
        } else {
            None
        };
        let source = if input.peek(Ident) {
            let kw: Ident = input.parse()?;
            if kw != "inline" {
                return Err(syn::Error::new(
                    kw.span(),
                    "expected `inline \"table\"` or a path string",
                ));
            }
            Source::Inline(input.parse()?)
        } else {
            Source::File(input.parse()?)
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the table"));
        }
        if let (Some(a), None) = (attrs.first(), &module) {
            return Err(syn::Error::new_spanned(
                a,
                "attributes go with the module form: `registers!(#[attr] mod name, \"path\")`",
            ));
        }
        Ok(Input {
            attrs,
            module,
            source,
        })
    }
}

/// Expand a register table (a file relative to `CARGO_MANIFEST_DIR`, or `inline "..."`) into
/// typed register handles. See the crate documentation of `regdsl-rt`.
#[proc_macro]
pub fn registers(input: TokenStream) -> TokenStream {
    // Should an earlier expansion in this compiler process have panicked inside `generate`.
    proc_macro2::fallback::unforce();
    let input = syn::parse_macro_input!(input as Input);
    expand(input).into()
}

/// The items of `table`, handed to the compiler as one string (`regdsl::codegen::expand_text`:
/// what is written per register as text, the fixed items with proc-macro2's own token types,
/// printed). Building hundreds of thousands of tokens one by one through the compiler's
/// proc-macro bridge (each token a call into the compiler) took longer than lexing the text:
/// for a 2,000-register table 0.7 s against 0.4 s; writing the per-register text directly
/// instead of proc-macro2 tokens took the macro's own work from 184 to 36 ms (BENCHMARKS.md,
/// "Compile time"). Every token gets the call-site span either way.
fn generate(table: &regdsl::model::Table) -> Tokens {
    proc_macro2::fallback::force();
    let text = regdsl::codegen::expand_text(table);
    proc_macro2::fallback::unforce();
    match text.parse::<TokenStream>() {
        Ok(ts) => ts.into(),
        Err(e) => {
            let m =
                format!("registers!: the generated code does not lex ({e}); please report this");
            quote!(::core::compile_error!(#m);)
        }
    }
}

/// The table's warnings as compiler warnings, on stable Rust: proc macros cannot emit
/// warnings there, but a use of a `#[deprecated]` item is one, and its note is printed as
/// written. Each warning becomes such a use inside an anonymous constant (nothing is added to
/// the user's namespace):
/// `warning: use of deprecated constant `..::TABLE_WARNING`: regs.txt:7:1: warning: ...`.
/// A crate that denies warnings fails on them; a table can make them errors itself with
/// `@deny warnings`.
fn warnings(outcome: &regdsl::Outcome) -> Tokens {
    outcome
        .warnings()
        .map(|d| {
            let note = d.to_string();
            quote! {
                const _: () = {
                    #[deprecated(note = #note)]
                    const TABLE_WARNING: () = ();
                    TABLE_WARNING
                };
            }
        })
        .collect()
}

fn expand(input: Input) -> Tokens {
    let (file, src, track) = match &input.source {
        Source::Inline(lit) => ("<inline>".to_string(), lit.value(), None),
        Source::File(lit) => {
            let rel = lit.value();
            let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
            let path = std::path::Path::new(&dir).join(&rel);
            match std::fs::read(&path) {
                Ok(bytes) => match regdsl::decode(&rel, &bytes) {
                    Ok(s) => (rel, s.to_string(), Some(path.display().to_string())),
                    // Not UTF-8: the message gives the byte offset, line and column.
                    Err(d) => return syn::Error::new(lit.span(), d.to_string()).to_compile_error(),
                },
                Err(e) => {
                    let msg = format!("{rel}: cannot read register table {}: {e}", path.display());
                    return syn::Error::new(lit.span(), msg).to_compile_error();
                }
            }
        }
    };
    let outcome = regdsl::compile(&file, &src);
    let body = match &outcome.table {
        Some(table) if !outcome.has_errors() => {
            let warnings = warnings(&outcome);
            let items = generate(table);
            quote!(#warnings #items)
        }
        _ => {
            let errs: Tokens = outcome
                .errors()
                .map(|d| {
                    let m = d.to_string();
                    quote!(::core::compile_error!(#m);)
                })
                .collect();
            if errs.is_empty() {
                let m = format!("{file}: the register table has errors");
                quote!(::core::compile_error!(#m);)
            } else {
                errs
            }
        }
    };
    let track = track.map(|p| {
        quote!(
            const _: &[u8] = ::core::include_bytes!(#p);
        )
    });
    let attrs = &input.attrs;
    match input.module {
        Some((vis, name)) => quote! {
            #(#attrs)*
            #vis mod #name {
                #track
                #body
            }
        },
        None => quote! {
            #track
            #body
        },
    }
}
