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

/// Renders diagnostics with the source line and a caret under the offending token.
#[cfg(feature = "cli")]
pub fn render(diags: &[Diagnostic], src: &str, color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, Report};
    use std::sync::Arc;
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(120);
    let source: Arc<str> = Arc::from(src);
    let mut out = String::new();
    for d in diags {
        let severity = match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        // Keep the caret inside the text (a span at the very end has nothing to point at).
        let offset = d.span.offset.min(src.len());
        let len = d.span.len.min(src.len() - offset);
        let label = LabeledSpan::new_primary_with_span(d.label.clone(), (offset, len));
        let md = MietteDiagnostic::new(d.message.clone())
            .with_severity(severity)
            .with_label(label);
        let report = Report::new(md)
            .with_source_code(miette::NamedSource::new(d.file.clone(), source.clone()));
        let _ = handler.render_report(&mut out, report.as_ref());
        out.push('\n');
    }
    out
}
