//! The register-table language. See `GRAMMAR.md`.
//!
//! [`compile`] parses a table, resolves it into a [`model::Table`] and checks it; every problem
//! of the file comes back as a [`Diagnostic`] with file, line and column.
pub mod check;
pub mod codegen;
pub mod diag;
pub mod doc;
#[cfg(feature = "cli")]
pub mod dump;
pub mod fmt;
pub mod ident;
pub mod model;
pub mod number;
pub mod resolve;
pub mod syntax;

pub use diag::{Diagnostic, Severity};

/// The result of compiling a table.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `Some` iff there is no error (warnings allowed).
    pub table: Option<model::Table>,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Parses, resolves and checks a table. `file` is used in diagnostics only.
pub fn compile(file: &str, src: &str) -> Outcome {
    let (lines, mut diagnostics) = syntax::parse(file, src);
    let resolved = resolve::resolve(file, &lines);
    diagnostics.extend(resolved.diags);
    check::check(&resolved.table, &resolved.over_refs, &mut diagnostics);
    // Names the generated code cannot use: `check` reports what `registers!` would reject.
    diagnostics.extend(codegen::names::check(&resolved.table));
    if lines
        .iter()
        .any(|l| matches!(l.item, syntax::Item::DenyWarnings { .. }))
    {
        for d in diagnostics.iter_mut().filter(|d| !d.is_error()) {
            d.severity = diag::Severity::Error;
            d.message
                .push_str(" (a warning; the table says `@deny warnings`)");
        }
    }
    diagnostics.sort_by_key(|d| (d.span.offset, d.span.line));
    let ok = !diagnostics.iter().any(Diagnostic::is_error);
    Outcome {
        table: ok.then_some(resolved.table),
        diagnostics,
    }
}

/// [`compile`] on a file; a file that is not UTF-8 is an `InvalidData` error.
pub fn compile_file(path: &std::path::Path) -> std::io::Result<Outcome> {
    let src = std::fs::read_to_string(path)?;
    Ok(compile(&path.display().to_string(), &src))
}

/// Diagnostics with the source line and a caret under the offending token (no colour).
#[cfg(feature = "cli")]
pub fn render(diags: &[Diagnostic], src: &str) -> String {
    diag::render(diags, src, false)
}
