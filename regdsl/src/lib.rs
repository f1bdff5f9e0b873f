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
#[cfg(test)]
mod exhaustive;
pub mod explain;
pub mod fmt;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod fuzzing;
pub mod ident;
pub mod model;
pub mod number;
pub mod paste;
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
    // Each line is resolved as it is parsed: no vector of lines.
    let mut resolver = resolve::Resolver::new(file);
    resolver.reserve_for(src.len());
    let mut deny_warnings = false;
    let mut diagnostics = syntax::parse_each(file, src, |line| {
        deny_warnings |= matches!(line.item, syntax::Item::DenyWarnings { .. });
        resolver.line(line);
    });
    let resolved = resolver.finish();
    diagnostics.extend(resolved.diags);
    check::check(&resolved.table, &resolved.over_refs, &mut diagnostics);
    // Names the generated code cannot use: `check` reports what `registers!` would reject.
    diagnostics.extend(codegen::names::check(&resolved.table));
    if deny_warnings {
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

/// [`compile`] on a file. A file that is not UTF-8 compiles to one error that says where
/// ([`decode`]); only a file that cannot be read is an `Err`.
pub fn compile_file(path: &std::path::Path) -> std::io::Result<Outcome> {
    let bytes = std::fs::read(path)?;
    let file = path.display().to_string();
    Ok(match decode(&file, &bytes) {
        Ok(src) => compile(&file, src),
        Err(d) => Outcome {
            table: None,
            diagnostics: vec![d],
        },
    })
}

/// The text of a table file, or an error at the first byte that is not UTF-8: its byte
/// offset, line and column (characters, as everywhere), and what to do.
/// A control character other than tab and the line ends (NUL, ESC, ...: a binary file, or
/// UTF-16, whose every other byte is NUL) is an error there too.
pub fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    // The text before `at` is valid: count lines (LF, CRLF or CR end one) and characters.
    let span_at = |at: usize| {
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        model::Span {
            line: line_count(before),
            col: before[line_start..].chars().count() as u32 + 1,
            offset: at,
            len: 0,
        }
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let span = span_at(at);
        Diagnostic::error(
            file,
            span,
            format!(
                "the file is not UTF-8: byte 0x{:02X} at byte offset {at} (line {}, column {}); save the table as UTF-8",
                bytes[at], span.line, span.col
            ),
        )
        .with_label("not UTF-8")
    })?;
    let control = |b: &u8| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r');
    if let Some(at) = bytes.iter().position(control) {
        let span = span_at(at);
        return Err(Diagnostic::error(
            file,
            span,
            format!(
                "control character U+{:04X} at byte offset {at} (line {}, column {}): a table is \
                 text (is this a binary or UTF-16 file?); save it as UTF-8 text",
                bytes[at], span.line, span.col
            ),
        )
        .with_label("control character"));
    }
    Ok(text)
}

/// The number of the line that the end of `s` is on (1-based), lines ending at LF, CRLF or CR.
fn line_count(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut n = 1u32;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n = n.saturating_add(1);
        }
    }
    n
}

/// Diagnostics with the source line and a caret under the offending token (no colour).
#[cfg(feature = "cli")]
pub fn render(diags: &[Diagnostic], src: &str) -> String {
    diag::render(diags, src, false)
}
