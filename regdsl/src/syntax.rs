//! Lines of a table file → syntax rows with spans. One line is one row; a row that has a
//! syntax error is kept as `None` so that the rows under it (fields, values) do not cause
//! follow-up errors. See `GRAMMAR.md`.
use crate::diag::Diagnostic;
use crate::model::{Access, Mode, Span, Width};
use crate::number::{parse_number, LayoutParts};

/// A token as written, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok {
    pub text: String,
    pub span: Span,
}

impl Tok {
    /// The `len` bytes of this token from byte `at`, as a token of its own (its span points
    /// there, for diagnostics).
    fn slice(&self, at: usize, len: usize) -> Tok {
        Tok {
            text: self.text[at..at + len].to_string(),
            span: self.span_at(at, len),
        }
    }

    /// The span of `len` bytes from byte `at` of this token.
    fn span_at(&self, at: usize, len: usize) -> Span {
        Span {
            col: self.span.col + self.text[..at].chars().count() as u32,
            offset: self.span.offset + at,
            len,
            ..self.span
        }
    }
}

/// A number as written (`0x01000`, `64`, `001b`) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num {
    pub value: u64,
    pub text: String,
    pub span: Span,
}

/// `-` or `+STEP*MIN..MAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutSyn {
    pub text: String,
    pub span: Span,
    /// `None` for `-`.
    pub array: Option<ArraySyn>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArraySyn {
    pub step: Num,
    pub min: Num,
    pub max: Num,
    /// `MIN..MAX`.
    pub range_span: Span,
}

/// The MODE column of a register row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeSyn {
    Reg(Mode),
    Alias,
}

/// `reset=V`, `reset[I]=V`, `reset[I..J]=V`, `write=V`, `over=A,B`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Without the index: `reset` for `reset[3]=0`.
    pub key: String,
    pub text: String,
    pub span: Span,
    /// The elements `[I]` or `[I..J]` an attribute is given for (`reset[...]=` only).
    pub index: Option<IndexSel>,
    pub value: AttrValue,
}

/// `[I]` (then `min` and `max` are the same number) or `[I..J]` (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSel {
    pub min: Num,
    pub max: Num,
    /// From `[` to `]`.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    Num(Num),
    Names(Vec<Tok>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegRow {
    pub name: Tok,
    pub offset: Num,
    pub layout: LayoutSyn,
    pub mode: ModeSyn,
    pub mode_tok: Tok,
    pub attrs: Vec<Attr>,
    pub description: String,
}

/// Bits `msb:lsb` or one bit `n` (then `msb == lsb`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitsSyn {
    pub msb: Num,
    pub lsb: Num,
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    /// Without the leading `.`; the span covers the dot too.
    pub name: Tok,
    pub bits: BitsSyn,
    pub access: Option<(Access, Tok)>,
    pub attrs: Vec<Attr>,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueRow {
    /// Without the leading `=`; the span covers it too.
    pub name: Tok,
    pub value: Num,
    pub description: String,
}

/// What a line holds. `None` rows had a syntax error (already reported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Blank,
    Comment,
    Section {
        title: String,
        span: Span,
    },
    /// `@deny warnings`: the table's warnings are errors.
    DenyWarnings {
        span: Span,
    },
    /// `@width 8|16|32|64`: the width of the register rows below whose mode has no width
    /// suffix, until the next `@width`.
    Width {
        width: Width,
        span: Span,
    },
    Register(Option<RegRow>),
    Field(Option<FieldRow>),
    Value(Option<ValueRow>),
    /// A line starting with `@` that is not a known directive.
    BadDirective,
}

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub number: u32,
    pub item: Item,
    /// A comment (from `#` or `--` to end of line), as written, without trailing blanks.
    pub comment: Option<String>,
}

/// Register modes, in the order listed in messages.
pub const REGISTER_MODES: &[&str] = &[
    "RO", "RW", "WO", "RC", "RCR", "W1C", "RTC", "RO64", "RW64", "WO64", "RC64", "RCR64", "W1C64",
    "RTC64",
];
/// Field access modes.
pub const FIELD_MODES: &[&str] = &["RO", "RW", "WO", "RC", "RCR", "W1C", "RTC", "RSV"];

pub fn parse_access(s: &str) -> Option<Access> {
    Some(match s {
        "RO" => Access::RO,
        "RW" => Access::RW,
        "WO" => Access::WO,
        "RC" => Access::RC,
        "RCR" => Access::RCR,
        "W1C" => Access::W1C,
        "RTC" => Access::RTC,
        "RSV" => Access::RSV,
        _ => return None,
    })
}

pub fn parse_mode(s: &str) -> Option<ModeSyn> {
    if s == "ALIAS" {
        return Some(ModeSyn::Alias);
    }
    let (base, width) = mode_width(s);
    match parse_access(base)? {
        Access::RSV => None,
        access => Some(ModeSyn::Reg(Mode { access, width })),
    }
}

/// A mode's width suffix (`RW64`, `RO8`): the mode without it and the width (32 without one;
/// the resolver applies `@width` then, see [`mode_has_width`]).
fn mode_width(s: &str) -> (&str, Width) {
    for (suffix, w) in [
        ("64", Width::W64),
        ("32", Width::W32),
        ("16", Width::W16),
        ("8", Width::W8),
    ] {
        if let Some(b) = s.strip_suffix(suffix) {
            if parse_access(b).is_some() {
                return (b, w);
            }
        }
    }
    (s, Width::W32)
}

/// Whether a mode token names its width (`RW8`, `RC64`); others take the `@width` default.
pub fn mode_has_width(s: &str) -> bool {
    mode_width(s).0.len() != s.len()
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r'
}

/// One source line split into tokens (byte positions within the line).
struct LineText<'a> {
    text: &'a str,
    number: u32,
    start: usize,
    /// (byte position, text, column) of each token.
    toks: Vec<(usize, &'a str, u32)>,
    /// End of the content (start of the comment, or line end).
    content_end: usize,
    comment: Option<&'a str>,
}

impl<'a> LineText<'a> {
    fn new(text: &'a str, number: u32, start: usize) -> Self {
        let mut toks = Vec::new();
        let mut content_end = text.len();
        let mut comment = None;
        let mut i = 0;
        // Column of byte `i`, kept up to date as tokens are found (linear in the line).
        let (mut col_at, mut col) = (0usize, 1u32);
        let bytes = text.as_bytes();
        while i < text.len() {
            if is_blank(bytes[i] as char) {
                i += 1;
                continue;
            }
            let rest = &text[i..];
            if rest.starts_with('#') || rest.starts_with("--") {
                content_end = i;
                comment = Some(rest.trim_end_matches(is_blank));
                break;
            }
            let len = rest.find(is_blank).unwrap_or(rest.len());
            col += text[col_at..i].chars().count() as u32;
            col_at = i;
            toks.push((i, &rest[..len], col));
            i += len;
        }
        LineText {
            text,
            number,
            start,
            toks,
            content_end,
            comment,
        }
    }

    fn span(&self, from: usize, len: usize) -> Span {
        Span {
            line: self.number,
            col: self.text[..from].chars().count() as u32 + 1,
            offset: self.start + from,
            len,
        }
    }

    fn tok(&self, i: usize) -> Option<Tok> {
        self.toks.get(i).map(|&(at, t, col)| Tok {
            text: t.to_string(),
            span: Span {
                line: self.number,
                col,
                offset: self.start + at,
                len: t.len(),
            },
        })
    }

    /// Where "found end of line" points: just after the last token.
    fn eol_span(&self) -> Span {
        let end = self
            .toks
            .last()
            .map(|&(at, t, _)| at + t.len())
            .unwrap_or(0);
        self.span(end, 0)
    }

    /// Text from token `i` to the end of the content (the description).
    fn rest_from(&self, i: usize) -> String {
        match self.toks.get(i) {
            Some(&(at, _, _)) => self.text[at..self.content_end]
                .trim_end_matches(is_blank)
                .to_string(),
            None => String::new(),
        }
    }
}

/// Parses a whole file. Never fails: problems become diagnostics.
pub fn parse(file: &str, src: &str) -> (Vec<Line>, Vec<Diagnostic>) {
    let mut p = Parser {
        file,
        diags: Vec::new(),
    };
    let mut lines = Vec::new();
    let mut start = 0;
    for (n, raw) in src.split('\n').enumerate() {
        let lt = LineText::new(raw, n as u32 + 1, start);
        start += raw.len() + 1;
        let item = p.line(&lt);
        lines.push(Line {
            number: lt.number,
            item,
            comment: lt.comment.map(str::to_string),
        });
    }
    // A final newline leaves an empty last "line": not a line of the file.
    if src.ends_with('\n') || src.is_empty() {
        lines.pop();
    }
    (lines, p.diags)
}

struct Parser<'f> {
    file: &'f str,
    diags: Vec<Diagnostic>,
}

type Res<T> = Result<T, Diagnostic>;

impl Parser<'_> {
    fn err(&self, span: Span, msg: impl Into<String>, label: &str) -> Diagnostic {
        Diagnostic::error(self.file, span, msg).with_label(label)
    }

    fn line(&mut self, lt: &LineText) -> Item {
        let Some(&(_, first, _)) = lt.toks.first() else {
            return if lt.comment.is_some() {
                Item::Comment
            } else {
                Item::Blank
            };
        };
        let res = if first.starts_with('@') {
            return self.directive(lt);
        } else if first.starts_with('.') {
            self.field_row(lt).map(|r| Item::Field(Some(r)))
        } else if first.starts_with('=') {
            self.value_row(lt).map(|r| Item::Value(Some(r)))
        } else {
            self.register_row(lt).map(|r| Item::Register(Some(r)))
        };
        res.unwrap_or_else(|d| {
            self.diags.push(d);
            if first.starts_with('.') {
                Item::Field(None)
            } else if first.starts_with('=') {
                Item::Value(None)
            } else {
                Item::Register(None)
            }
        })
    }

    fn directive(&mut self, lt: &LineText) -> Item {
        let tok = lt.tok(0).expect("directive token");
        if tok.text == "@deny" {
            return match (lt.tok(1), lt.tok(2)) {
                (Some(w), None) if w.text == "warnings" => Item::DenyWarnings { span: tok.span },
                (w, _) => {
                    let span = w.map_or(lt.eol_span(), |w| w.span);
                    self.diags.push(self.err(
                        span,
                        "expected `warnings` after `@deny` (`@deny warnings` makes the table's warnings errors)",
                        "`warnings` expected",
                    ));
                    Item::BadDirective
                }
            };
        }
        if tok.text == "@width" {
            let w = lt.tok(1);
            return match w.as_ref().and_then(|w| {
                let n = w.text.parse::<u64>().ok()?;
                Width::from_bits(n)
            }) {
                Some(width) if lt.tok(2).is_none() => Item::Width {
                    width,
                    span: tok.span,
                },
                _ => {
                    let span = w.map_or(lt.eol_span(), |w| w.span);
                    self.diags.push(self.err(
                        span,
                        "expected 8, 16, 32 or 64 after `@width` (the width of the registers below)",
                        "register width expected",
                    ));
                    Item::BadDirective
                }
            };
        }
        if tok.text != "@section" {
            self.diags.push(self.err(
                tok.span,
                format!(
                    "unknown directive `{}` (expected `@section TITLE`, `@width 8|16|32|64` or `@deny warnings`)",
                    tok.text
                ),
                "unknown directive",
            ));
            return Item::BadDirective;
        }
        let title = lt.rest_from(1);
        if title.is_empty() {
            self.diags.push(self.err(
                lt.eol_span(),
                "expected a section title after `@section`, found end of line",
                "title expected",
            ));
            return Item::BadDirective;
        }
        Item::Section {
            title,
            span: tok.span,
        }
    }

    /// Token `i`, or an error saying what was expected there, after what (`after` is only
    /// called for the error: no text is built for rows that are whole).
    fn need(
        &self,
        lt: &LineText,
        i: usize,
        what: &str,
        after: impl FnOnce() -> String,
    ) -> Res<Tok> {
        lt.tok(i).ok_or_else(|| {
            self.err(
                lt.eol_span(),
                format!("expected {what} after {}, found end of line", after()),
                &format!("{what} expected"),
            )
        })
    }

    fn number(&self, tok: &Tok, what: &str) -> Res<Num> {
        match parse_number(&tok.text) {
            Ok(value) => Ok(Num {
                value,
                text: tok.text.clone(),
                span: tok.span,
            }),
            Err(e) => Err(self.sub_error(tok, e.at, &e.message(what))),
        }
    }

    /// An error at byte `at` of a token (the caret runs to the end of the token).
    fn sub_error(&self, tok: &Tok, at: usize, msg: &str) -> Diagnostic {
        let at = at.min(tok.text.len());
        let col = tok.span.col + tok.text[..at].chars().count() as u32;
        let span = Span {
            line: tok.span.line,
            col,
            offset: tok.span.offset + at,
            len: (tok.text.len() - at).max(if at == tok.text.len() { 0 } else { 1 }),
        };
        self.err(span, msg.to_string(), "here")
    }

    fn sub_num(tok: &Tok, at: usize, len: usize, value: u64) -> Num {
        let Tok { text, span } = tok.slice(at, len);
        Num { value, text, span }
    }

    fn layout(&self, tok: &Tok) -> Res<LayoutSyn> {
        if tok.text == "-" {
            return Ok(LayoutSyn {
                text: tok.text.clone(),
                span: tok.span,
                array: None,
            });
        }
        let parts: LayoutParts = crate::number::parse_layout(&tok.text)
            .map_err(|e| self.sub_error(tok, e.at, &e.message("")))?;
        let (s_at, s_len, s) = parts.step;
        let (lo_at, lo_len, lo) = parts.min;
        let (hi_at, hi_len, hi) = parts.max;
        let min = Self::sub_num(tok, lo_at, lo_len, lo);
        let max = Self::sub_num(tok, hi_at, hi_len, hi);
        let range_span = Span {
            len: max.span.offset + max.span.len - min.span.offset,
            ..min.span
        };
        Ok(LayoutSyn {
            text: tok.text.clone(),
            span: tok.span,
            array: Some(ArraySyn {
                step: Self::sub_num(tok, s_at, s_len, s),
                min,
                max,
                range_span,
            }),
        })
    }

    /// `key=value` and `key[I]=value`/`key[I..J]=value` tokens from index `i` on; returns
    /// them and the index after them.
    fn attrs(&self, lt: &LineText, mut i: usize) -> Res<(Vec<Attr>, usize)> {
        let mut attrs = Vec::new();
        while let Some(tok) = lt.tok(i) {
            let Some(eq) = tok.text.find('=') else { break };
            let head = &tok.text[..eq];
            let key_len = head
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(head.len());
            let key = &head[..key_len];
            // Either `key=` or `key[...]=`; anything else starts the description.
            if key.is_empty() || !(key_len == head.len() || head[key_len..].starts_with('[')) {
                break;
            }
            let index = if key_len < head.len() {
                Some(self.index_sel(&tok, key_len, eq)?)
            } else {
                None
            };
            let val_tok = tok.slice(eq + 1, tok.text.len() - eq - 1);
            let key_span = Span {
                len: eq + 1,
                ..tok.span
            };
            let value = match key {
                "reset" | "write" => AttrValue::Num(self.number(&val_tok, "a value")?),
                "over" => AttrValue::Names(self.names(&val_tok)?),
                _ => {
                    return Err(self.err(
                        key_span,
                        format!(
                            "unknown attribute `{key}=` (expected `reset=`, `reset[I]=`, `write=` or `over=`)"
                        ),
                        "unknown attribute",
                    ))
                }
            };
            if index.is_some() && key != "reset" {
                return Err(self.err(
                    key_span,
                    format!("only `reset` takes an element index: `{key}[...]=` is not an attribute (write `{key}=`)"),
                    "no index here",
                ));
            }
            attrs.push(Attr {
                key: key.to_string(),
                text: tok.text.clone(),
                span: tok.span,
                index,
                value,
            });
            i += 1;
        }
        Ok((attrs, i))
    }

    /// `[I]` or `[I..J]` in `tok.text[open..eq]` (`open` is at the `[`).
    fn index_sel(&self, tok: &Tok, open: usize, eq: usize) -> Res<IndexSel> {
        let sel = &tok.text[open..eq];
        let Some(inner) = sel.strip_prefix('[').and_then(|s| s.strip_suffix(']')) else {
            return Err(self.sub_error(
                tok,
                eq,
                "expected `]` before `=` in `reset[I]=` or `reset[I..J]=`",
            ));
        };
        let at = open + 1;
        let sub = |this: &Self, from: usize, text: &str| -> Res<Num> {
            let t = tok.slice(from, text.len());
            if text.is_empty() {
                return Err(this.err(
                    t.span,
                    "expected an element index (`reset[3]=` or `reset[1..7]=`), found nothing",
                    "index expected",
                ));
            }
            this.number(&t, "an element index")
        };
        let (min, max) = match inner.split_once("..") {
            None => {
                let n = sub(self, at, inner)?;
                (n.clone(), n)
            }
            Some((lo, hi)) => (sub(self, at, lo)?, sub(self, at + lo.len() + 2, hi)?),
        };
        let span = tok.span_at(open, sel.len());
        Ok(IndexSel { min, max, span })
    }

    /// `A,B,C` (the value of `over=`).
    fn names(&self, tok: &Tok) -> Res<Vec<Tok>> {
        let mut out = Vec::new();
        let mut at = 0;
        for part in tok.text.split(',') {
            if part.is_empty() {
                return Err(self.sub_error(
                    tok,
                    at,
                    "expected a register name in `over=A,B`, found nothing",
                ));
            }
            out.push(tok.slice(at, part.len()));
            at += part.len() + 1;
        }
        Ok(out)
    }

    fn register_row(&self, lt: &LineText) -> Res<RegRow> {
        let name = lt.tok(0).expect("first token");
        let off_tok = self.need(lt, 1, "an offset", || {
            format!("register name `{}`", name.text)
        })?;
        let offset = self.number(&off_tok, "an offset")?;
        let lay_tok = self.need(lt, 2, "a layout (`-` or `+STEP*MIN..MAX`)", || {
            "the offset".into()
        })?;
        let layout = self.layout(&lay_tok)?;
        let mode_tok = self.need(lt, 3, "a mode", || "the layout".into())?;
        let mode = parse_mode(&mode_tok.text).ok_or_else(|| {
            self.err(
                mode_tok.span,
                format!(
                    "unknown mode `{}` (expected {} or ALIAS)",
                    mode_tok.text,
                    REGISTER_MODES.join(", ")
                ),
                "unknown mode",
            )
        })?;
        let (attrs, next) = self.attrs(lt, 4)?;
        Ok(RegRow {
            name,
            offset,
            layout,
            mode,
            mode_tok,
            attrs,
            description: lt.rest_from(next),
        })
    }

    fn field_row(&self, lt: &LineText) -> Res<FieldRow> {
        let first = lt.tok(0).expect("first token");
        let name = Tok {
            text: first.text[1..].to_string(),
            span: first.span,
        };
        if name.text.is_empty() {
            return Err(self.err(
                first.span,
                "expected a field name right after `.`",
                "name expected",
            ));
        }
        let bits_tok = self.need(lt, 1, "a bit or bit range (`26`, `15:13`)", || {
            format!("field `{}`", name.text)
        })?;
        let bits = self.bits(&bits_tok)?;
        let mut next = 2;
        let mut access = None;
        if let Some(tok) = lt.tok(2) {
            if let Some(a) = parse_access(&tok.text) {
                access = Some((a, tok));
                next = 3;
            } else if let Some(ModeSyn::Reg(m)) = parse_mode(&tok.text) {
                return Err(self.err(
                    tok.span,
                    format!(
                        "field modes have no width: write `{}` (expected {})",
                        m.access.as_str(),
                        FIELD_MODES.join(", ")
                    ),
                    "field mode with a width",
                ));
            }
        }
        let (attrs, next) = self.attrs(lt, next)?;
        Ok(FieldRow {
            name,
            bits,
            access,
            attrs,
            description: lt.rest_from(next),
        })
    }

    fn bits(&self, tok: &Tok) -> Res<BitsSyn> {
        let (msb, lsb) = match tok.text.split_once(':') {
            None => {
                let n = self.number(tok, "a bit number")?;
                (n.clone(), n)
            }
            Some((hi, lo)) => {
                let hi_tok = tok.slice(0, hi.len());
                let lo_at = hi.len() + 1;
                let lo_tok = tok.slice(lo_at, lo.len());
                if hi.is_empty() {
                    return Err(self.sub_error(tok, 0, "expected the high bit before `:`"));
                }
                if lo.is_empty() {
                    return Err(self.err(
                        lo_tok.span,
                        format!("expected the low bit after `:` in `{}`", tok.text),
                        "bit expected",
                    ));
                }
                (
                    self.number(&hi_tok, "a bit number")?,
                    self.number(&lo_tok, "a bit number")?,
                )
            }
        };
        Ok(BitsSyn {
            msb,
            lsb,
            text: tok.text.clone(),
            span: tok.span,
        })
    }

    fn value_row(&self, lt: &LineText) -> Res<ValueRow> {
        let first = lt.tok(0).expect("first token");
        let name = Tok {
            text: first.text[1..].to_string(),
            span: first.span,
        };
        if name.text.is_empty() {
            return Err(self.err(
                first.span,
                "expected a value name right after `=`",
                "name expected",
            ));
        }
        let v_tok = self.need(lt, 1, "a value", || format!("value name `{}`", name.text))?;
        let value = self.number(&v_tok, "a value")?;
        Ok(ValueRow {
            name,
            value,
            description: lt.rest_from(2),
        })
    }
}
