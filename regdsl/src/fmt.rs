//! `regdsl fmt`: the canonical layout of a table. Columns are aligned within each paragraph
//! (rows between blank lines or `@section` lines); register rows start in column 1, field rows
//! are indented by 2, named values by 4. Tokens, descriptions and comments are kept as written,
//! so the formatted table has the same model. Runs of blank lines become one. Rows pasted in a
//! datasheet's order (`@columns`, `@fields`, headings) are kept as written.
use crate::diag::Diagnostic;
use crate::syntax::{self, Item, Line};

/// The formatted text, or the syntax errors that prevent formatting.
pub fn format(file: &str, src: &str) -> Result<String, Vec<Diagnostic>> {
    let (lines, diags) = syntax::parse(file, src);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(format_lines(&lines))
}

/// The aligned columns of one row, and the free text after them (attributes, description).
fn columns(item: &Item) -> Option<(usize, Vec<String>, String)> {
    Some(match item {
        Item::Register(Some(r)) => (
            0,
            vec![
                r.name.text.to_string(),
                r.offset.text.to_string(),
                r.layout.text.to_string(),
                r.mode_tok.text.to_string(),
            ],
            tail(&r.attrs, r.description),
        ),
        Item::Field(Some(f)) => (
            1,
            vec![
                format!(".{}", f.name.text),
                f.bits.text.to_string(),
                f.access
                    .as_ref()
                    .map(|(_, t)| t.text.to_string())
                    .unwrap_or_default(),
            ],
            tail(&f.attrs, f.description),
        ),
        Item::Value(Some(v)) => (
            2,
            vec![format!("={}", v.name.text), v.value.text.to_string()],
            v.description.to_string(),
        ),
        _ => return None,
    })
}

fn tail(attrs: &[syntax::Attr], description: &str) -> String {
    let mut parts: Vec<&str> = attrs.iter().map(|a| &*a.text).collect();
    parts.push(description);
    parts.join(" ")
}

const INDENT: [&str; 3] = ["", "  ", "    "];

fn width(s: &str) -> usize {
    s.chars().count()
}

fn format_lines(lines: &[Line]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        match &lines[i].item {
            Item::Blank => {
                if out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(String::new());
                }
                i += 1;
            }
            Item::Section { title, .. } => {
                out.push(with_comment(format!("@section {title}"), lines[i].comment));
                i += 1;
            }
            Item::DenyWarnings { .. } => {
                out.push(with_comment("@deny warnings".into(), lines[i].comment));
                i += 1;
            }
            Item::Width { width, .. } => {
                out.push(with_comment(
                    format!("@width {}", width.bits()),
                    lines[i].comment,
                ));
                i += 1;
            }
            _ => {
                let end = lines[i..]
                    .iter()
                    .position(|l| {
                        matches!(
                            l.item,
                            Item::Blank
                                | Item::Section { .. }
                                | Item::Width { .. }
                                | Item::DenyWarnings { .. }
                        )
                    })
                    .map_or(lines.len(), |p| i + p);
                paragraph(&lines[i..end], &mut out);
                i = end;
            }
        }
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn paragraph(lines: &[Line], out: &mut Vec<String>) {
    // Column widths per row kind (register, field, value).
    let mut widths: [Vec<usize>; 3] = [vec![0; 4], vec![0; 3], vec![0; 2]];
    for l in lines {
        if let Some((kind, cols, _)) = columns(&l.item) {
            for (w, c) in widths[kind].iter_mut().zip(&cols) {
                *w = (*w).max(width(c));
            }
        }
    }
    // A comment line is indented like the row it stands above.
    let mut next_kind = vec![0; lines.len()];
    let mut next = 0;
    for (n, l) in lines.iter().enumerate().rev() {
        next_kind[n] = next;
        if let Some((kind, _, _)) = columns(&l.item) {
            next = kind;
        }
    }
    for (n, l) in lines.iter().enumerate() {
        // Pasted rows and `@columns`/`@fields` lines are kept as written (their columns are the
        // datasheet's), indented by their kind.
        let verbatim = match &l.item {
            Item::Directive { text } => Some((0, text)),
            Item::Pasted { text, kind, .. } => Some((*kind as usize, text)),
            _ => None,
        };
        if let Some((kind, text)) = verbatim {
            out.push(with_comment(format!("{}{text}", INDENT[kind]), l.comment));
            continue;
        }
        let Some((kind, cols, desc)) = columns(&l.item) else {
            let next = next_kind[n];
            let text = l.comment.unwrap_or("");
            out.push(format!("{}{text}", INDENT[next]));
            continue;
        };
        let mut s = INDENT[kind].to_string();
        for (c, &w) in cols.iter().zip(&widths[kind]) {
            if w == 0 {
                continue;
            }
            s.push_str(c);
            s.extend(std::iter::repeat_n(' ', w - width(c) + 1));
        }
        s.push_str(&desc);
        out.push(with_comment(
            s.trim_end_matches(syntax::is_blank).to_string(),
            l.comment,
        ));
    }
}

fn with_comment(mut s: String, comment: Option<&str>) -> String {
    if let Some(c) = comment {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(c);
    }
    s
}
