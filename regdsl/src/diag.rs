//! Diagnostics: errors and warnings with a file position, rendered either as one line
//! (`Display`) or with a caret under the offending token ([`crate::render`]).
use crate::model::Span;

/// How bad a diagnostic is: errors reject the table, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a table, pointing at a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One-line reason.
    pub message: String,
    /// The offending token.
    pub span: Span,
    /// The file name as given to [`crate::compile`].
    pub file: String,
    /// Short text written next to the caret.
    pub label: Option<String>,
}

impl Diagnostic {
    pub fn error(file: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            file: file.to_string(),
            label: None,
        }
    }
    pub fn warning(file: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, span, message)
        }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.span.line, self.span.col, sev, self.message
        )
    }
}

/// At most this many diagnostics are rendered with source excerpts; the rest are counted
/// (`regdsl check --short` lists every one, one line each).
pub const RENDER_LIMIT: usize = 200;

/// Of a long line, at most this many characters are shown around the caret.
#[cfg(feature = "cli")]
const WINDOW: usize = 160;

/// Renders diagnostics with the source line and a caret under the offending token: at most
/// [`RENDER_LIMIT`] of them, then a count of the others. The cost is linear in the source and
/// the number of diagnostics: each excerpt is cut from a line index built once, and long
/// lines are shown as a window around the caret. Columns count characters, as everywhere.
#[cfg(feature = "cli")]
pub fn render(diags: &[Diagnostic], src: &str, color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, Report};
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(120);
    let lines = line_starts(src);
    let mut out = String::new();
    for d in diags.iter().take(RENDER_LIMIT) {
        let severity = match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let (excerpt, at, len) = Excerpt::new(src, &lines, d);
        let label = LabeledSpan::new_primary_with_span(d.label.clone(), (at, len));
        let md = MietteDiagnostic::new(d.message.clone())
            .with_severity(severity)
            .with_label(label);
        let report = Report::new(md).with_source_code(excerpt);
        let _ = handler.render_report(&mut out, report.as_ref());
        out.push('\n');
    }
    if diags.len() > RENDER_LIMIT {
        let rest = &diags[RENDER_LIMIT..];
        let errors = rest.iter().filter(|d| d.is_error()).count();
        out.push_str(&format!(
            "... and {} more ({errors} error(s), {} warning(s)) not shown; `regdsl check --short` lists every one\n",
            rest.len(),
            rest.len() - errors
        ));
    }
    out
}

/// Byte offset of the start of every line; lines end at LF, CRLF or CR, as in the parser.
#[cfg(feature = "cli")]
fn line_starts(src: &str) -> Vec<usize> {
    let b = src.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                i += 1;
                starts.push(i + 1);
            }
            b'\r' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// The lines around a diagnostic (one before, its own, one after), each cut to a window of at
/// most [`WINDOW`] characters, given to miette as the whole "source" with the real line
/// numbers and the caret's real column.
#[cfg(feature = "cli")]
struct Excerpt {
    text: String,
    name: String,
    /// 0-based number of the excerpt's first line in the file.
    first_line: usize,
    /// Where the caret starts in `text`, and its column in the file (0-based, characters).
    at: usize,
    col: usize,
}

#[cfg(feature = "cli")]
impl Excerpt {
    /// The excerpt, and the caret's start and length in it.
    fn new(src: &str, starts: &[usize], d: &Diagnostic) -> (Excerpt, usize, usize) {
        let mut offset = d.span.offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = starts.partition_point(|&s| s <= offset) - 1;
        let start_of = |l: usize| starts[l];
        let line_text = |l: usize| -> &str {
            let s = start_of(l);
            let e = starts.get(l + 1).copied().unwrap_or(src.len());
            src[s..e].trim_end_matches(['\n', '\r'])
        };
        let first = line.saturating_sub(1);
        let last = (line + 1).min(starts.len() - 1);
        let mut text = String::new();
        let (mut at, mut len) = (0, 0);
        for l in first..=last {
            if l > first {
                text.push('\n');
            }
            let t = line_text(l);
            if l == line {
                let in_line = (offset - start_of(l)).min(t.len());
                let (from, to) = window(t, in_line);
                if from > 0 {
                    text.push('…');
                }
                at = text.len() + in_line - from;
                len = d.span.len.min(to - in_line);
                text.push_str(&t[from..to]);
                if to < t.len() {
                    text.push('…');
                }
            } else {
                let (from, to) = window(t, 0);
                text.push_str(&t[from..to]);
                if to < t.len() {
                    text.push('…');
                }
            }
        }
        let col = (d.span.col as usize).saturating_sub(1);
        let e = Excerpt {
            text,
            name: d.file.clone(),
            first_line: first,
            at,
            col,
        };
        (e, at, len)
    }
}

/// Byte range of `line` to show around byte `at`: the whole line if short, else about
/// [`WINDOW`] characters from a little before `at`.
#[cfg(feature = "cli")]
fn window(line: &str, at: usize) -> (usize, usize) {
    if line.len() <= WINDOW {
        return (0, line.len());
    }
    let before: Vec<usize> = line[..at].char_indices().map(|(i, _)| i).collect();
    let from = before
        .len()
        .checked_sub(WINDOW / 3)
        .map_or(0, |k| before[k]);
    let to = line[from..]
        .char_indices()
        .nth(WINDOW)
        .map_or(line.len(), |(i, _)| from + i);
    (from, to.max(at))
}

#[cfg(feature = "cli")]
impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let c = self.text.as_str().read_span(span, before, after)?;
        let column = if span.offset() == self.at && before == 0 {
            self.col
        } else {
            c.column()
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line() + self.first_line,
            column,
            c.line_count(),
        )))
    }
}
