//! Lines of a table file → syntax rows with spans. One line is one row; a row that has a
//! syntax error is kept as `None` so that the rows under it (fields, values) do not cause
//! follow-up errors. See `GRAMMAR.md`.
use std::borrow::Cow;
use std::rc::Rc;

use crate::diag::Diagnostic;
use crate::model::{Access, Mode, Span, Width};
use crate::number::{parse_number, LayoutParts};
use crate::paste::{self, Col, Origin, RowKind};

/// A token as written (borrowed from the source), with its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tok<'a> {
    pub text: &'a str,
    pub span: Span,
}

impl<'a> Tok<'a> {
    /// The `len` bytes of this token from byte `at`, as a token of its own (its span points
    /// there, for diagnostics).
    fn slice(&self, at: usize, len: usize) -> Tok<'a> {
        Tok {
            text: &self.text[at..at + len],
            span: self.span_at(at, len),
        }
    }

    /// The span of `len` bytes from byte `at` of this token.
    fn span_at(&self, at: usize, len: usize) -> Span {
        // Tokens are short and mostly ASCII: then characters are bytes.
        let before = &self.text[..at];
        let chars = if before.is_ascii() {
            at
        } else {
            before.chars().count()
        };
        Span {
            col: self.span.col + chars as u32,
            offset: self.span.offset + at,
            len,
            ..self.span
        }
    }
}

/// A number as written (`0x01000`, `64`, `001b`) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num<'a> {
    pub value: u64,
    /// Borrowed from the source, except for numbers a pasted row implies (`0x{stride:X}`).
    pub text: Cow<'a, str>,
    pub span: Span,
}

/// `-` or `+STEP*MIN..MAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutSyn<'a> {
    pub text: Cow<'a, str>,
    pub span: Span,
    /// `None` for `-`. Boxed: rows are moved whole, and most are not arrays.
    pub array: Option<Box<ArraySyn<'a>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArraySyn<'a> {
    pub step: Num<'a>,
    pub min: Num<'a>,
    pub max: Num<'a>,
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
pub struct Attr<'a> {
    /// Without the index: `reset` for `reset[3]=0`.
    pub key: &'a str,
    pub text: Cow<'a, str>,
    pub span: Span,
    /// The elements `[I]` or `[I..J]` an attribute is given for (`reset[...]=` only).
    pub index: Option<IndexSel<'a>>,
    pub value: AttrValue<'a>,
}

/// `[I]` (then `min` and `max` are the same number) or `[I..J]` (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSel<'a> {
    pub min: Num<'a>,
    pub max: Num<'a>,
    /// From `[` to `]`.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue<'a> {
    Num(Num<'a>),
    Names(Vec<Tok<'a>>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegRow<'a> {
    pub name: Tok<'a>,
    pub offset: Num<'a>,
    pub layout: LayoutSyn<'a>,
    pub mode: ModeSyn,
    pub mode_tok: Tok<'a>,
    pub attrs: Vec<Attr<'a>>,
    pub description: &'a str,
}

/// Bits `msb:lsb` or one bit `n` (then `msb == lsb`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitsSyn<'a> {
    pub msb: Num<'a>,
    pub lsb: Num<'a>,
    pub text: &'a str,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow<'a> {
    /// Without the leading `.`; the span covers the dot too. Owned only where a pasted
    /// `Reserved` row is named after its low bit (`RSV4`).
    pub name: Name<'a>,
    pub bits: BitsSyn<'a>,
    pub access: Option<(Access, Tok<'a>)>,
    pub attrs: Vec<Attr<'a>>,
    pub description: &'a str,
}

/// A field name: as written, or made up (`RSV4`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name<'a> {
    pub text: Cow<'a, str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueRow<'a> {
    /// Without the leading `=`; the span covers it too.
    pub name: Tok<'a>,
    pub value: Num<'a>,
    pub description: &'a str,
}

/// What a line holds. `None` rows had a syntax error (already reported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Blank,
    Comment,
    Section {
        title: &'a str,
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
    Register(Option<RegRow<'a>>),
    Field(Option<FieldRow<'a>>),
    Value(Option<ValueRow<'a>>),
    /// A line starting with `@` that is not a known directive.
    BadDirective,
    /// `@columns ...` or `@fields ...` (as written, for `fmt`).
    Directive {
        text: &'a str,
    },
    /// A row pasted as a datasheet prints it (`@columns`/`@fields` rows, section 8.2.3
    /// headings): the text as written (for `fmt`) and the rows it stands for: register rows
    /// (segments of a split array, then ALIAS rows) or one field row.
    Pasted {
        text: &'a str,
        kind: RowKind,
        rows: Vec<Item<'a>>,
    },
}

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    pub number: u32,
    pub item: Item<'a>,
    /// A comment (from `#` or `--` to end of line), as written, without trailing blanks.
    pub comment: Option<&'a str>,
}

/// Register modes, in the order listed in messages.
pub const REGISTER_MODES: &[&str] = &["RO", "RW", "WO", "RC", "RCR", "W1C", "RTC", "RTCW"];
/// Field access modes.
pub const FIELD_MODES: &[&str] = &["RO", "RW", "WO", "RC", "RCR", "W1C", "RTC", "RTCW", "RSV"];

pub fn parse_access(s: &str) -> Option<Access> {
    Some(match s {
        "RO" => Access::RO,
        "RW" => Access::RW,
        "WO" => Access::WO,
        "RC" => Access::RC,
        "RCR" => Access::RCR,
        "W1C" => Access::W1C,
        "RTC" => Access::RTC,
        "RTCW" => Access::RTCW,
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

/// Separators between tokens: space, tab, and the no-break spaces that text copied from a PDF
/// carries (U+00A0, U+2007, U+202F, and U+FEFF, a byte-order mark pasted inside the file).
pub(crate) fn is_blank(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{feff}'
    )
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

/// Eight bytes from `i` on (the caller checks `i + 8 <= b.len()`).
fn word(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;
const fn splat(c: u8) -> u64 {
    0x0101_0101_0101_0101 * c as u64
}

/// The first byte at or after `i` of ASCII `b` that is neither a space nor a tab (`b.len()` if
/// none): eight bytes per step. For bytes below 0x80, `v + 0x7f` sets a byte's high bit exactly
/// when `v != 0`, without a carry into the next byte.
fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i + 8 <= b.len() {
        let w = word(b, i);
        let not_space = (w ^ splat(b' ')).wrapping_add(LOW7);
        let not_tab = (w ^ splat(b'\t')).wrapping_add(LOW7);
        let other = not_space & not_tab & HIGH;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// The first byte at or after `i` of ASCII `b` that is at most 0x20 (space, tab, line ends and
/// the other control bytes; `b.len()` if none): eight bytes per step. For bytes below 0x80,
/// `v + 0x5f` sets a byte's high bit exactly when `v > 0x20`, without a carry.
fn token_end(b: &[u8], mut i: usize) -> usize {
    while i + 8 <= b.len() {
        let low = !word(b, i).wrapping_add(splat(0x5f)) & HIGH;
        if low != 0 {
            return i + (low.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] > b' ' {
        i += 1;
    }
    i
}

impl<'a> LineText<'a> {
    /// The line at the start of `rest` (ASCII text), split into tokens in the same pass that
    /// finds its end: what [`LineText::new`] gives for that line, and where the next line
    /// starts (after the LF, CR or CRLF; `rest.len() + 1` at the end of the file).
    fn ascii(
        rest: &'a str,
        number: u32,
        start: usize,
        mut toks: Vec<(usize, &'a str, u32)>,
    ) -> (Self, usize) {
        toks.clear();
        let b = rest.as_bytes();
        let n = b.len();
        let mut i = 0;
        let mut comment_at = None;
        // What a byte ends: nothing, a token (blank), or a token and the line (line end).
        const TOKEN: u8 = 0;
        const BLANK: u8 = 1;
        const END: u8 = 2;
        const CLASS: [u8; 256] = {
            let mut t = [TOKEN; 256];
            t[b' ' as usize] = BLANK;
            t[b'\t' as usize] = BLANK;
            t[b'\n' as usize] = END;
            t[b'\r' as usize] = END;
            t
        };
        let class = |c: &u8| CLASS[usize::from(*c)];
        loop {
            i = skip_blanks(b, i);
            let Some(&c) = b.get(i) else { break };
            if class(&c) == END {
                break;
            }
            if c == b'#' || (c == b'-' && b.get(i + 1) == Some(&b'-')) {
                comment_at = Some(i);
                i += b[i..].iter().position(|c| class(c) == END).unwrap_or(n - i);
                break;
            }
            let at = i;
            i = token_end(b, i + 1);
            while i < n && class(&b[i]) == TOKEN {
                // A control byte that separates nothing: the token goes on.
                i = token_end(b, i + 1);
            }
            let col = u32::try_from(at + 1).unwrap_or(u32::MAX);
            toks.push((at, &rest[at..i], col));
        }
        let next = match b.get(i) {
            Some(b'\r') if b.get(i + 1) == Some(&b'\n') => i + 2,
            _ => i + 1,
        };
        let text = &rest[..i];
        let lt = LineText {
            text,
            number,
            start,
            toks,
            content_end: comment_at.unwrap_or(i),
            comment: comment_at.map(|c| text[c..].trim_end_matches(is_blank)),
        };
        (lt, next)
    }

    /// `toks` is a buffer to reuse (cleared here): one allocation per file, not per line.
    fn new(text: &'a str, number: u32, start: usize, mut toks: Vec<(usize, &'a str, u32)>) -> Self {
        toks.clear();
        let mut content_end = text.len();
        let mut comment = None;
        let mut i = 0;
        // Most lines are ASCII: bytes are characters, and columns are byte positions + 1.
        let b = text.as_bytes();
        let ascii_blank = |c: u8| matches!(c, b' ' | b'\t' | b'\r');
        if text.is_ascii() {
            while i < b.len() {
                let c = b[i];
                if ascii_blank(c) {
                    i += 1;
                    continue;
                }
                if c == b'#' || (c == b'-' && b.get(i + 1) == Some(&b'-')) {
                    content_end = i;
                    comment = Some(text[i..].trim_end_matches(is_blank));
                    break;
                }
                let len = b[i..]
                    .iter()
                    .position(|&c| ascii_blank(c))
                    .unwrap_or(b.len() - i);
                let col = u32::try_from(i + 1).unwrap_or(u32::MAX);
                toks.push((i, &text[i..i + len], col));
                i += len;
            }
        } else {
            // Column of byte `i`, kept up to date as tokens are found (linear in the line).
            let (mut col_at, mut col) = (0usize, 1u32);
            while i < text.len() {
                let rest = &text[i..];
                let c = rest.chars().next().expect("not at the end");
                if is_blank(c) {
                    i += c.len_utf8();
                    continue;
                }
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

    fn tok(&self, i: usize) -> Option<Tok<'a>> {
        self.toks.get(i).map(|&(at, t, col)| Tok {
            text: t,
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
    fn rest_from(&self, i: usize) -> &'a str {
        match self.toks.get(i) {
            Some(&(at, _, _)) => self.text[at..self.content_end].trim_end_matches(is_blank),
            None => "",
        }
    }
}

/// Parses a whole file. Never fails: problems become diagnostics.
pub fn parse<'a>(file: &str, src: &'a str) -> (Vec<Line<'a>>, Vec<Diagnostic>) {
    // One line per LF (CR-only files grow the vector as they go).
    let mut lines = Vec::with_capacity(src.bytes().filter(|&b| b == b'\n').count() + 1);
    let diags = parse_each(file, src, |line| lines.push(line.clone()));
    (lines, diags)
}

/// Parses a file line by line, handing each line to `each` as it is read (`compile` resolves
/// it at once, so no vector of lines is built). Returns the syntax diagnostics.
pub fn parse_each<'a>(file: &str, src: &'a str, each: impl FnMut(&Line<'a>)) -> Vec<Diagnostic> {
    parse_lines(file, src, true, each)
}

/// [`parse_each`]; `fast` allows the one-pass tokenizer of ASCII files (tests compare both).
fn parse_lines<'a>(
    file: &str,
    src: &'a str,
    fast: bool,
    mut each: impl FnMut(&Line<'a>),
) -> Vec<Diagnostic> {
    let mut p = Parser {
        file,
        diags: Vec::new(),
        layouts: [None, None],
        bare: None,
        width: Width::W32,
    };
    // A final line end leaves an empty last "line": not a line of the file.
    let last_is_empty = src.ends_with(['\n', '\r']) || src.is_empty() || src == "\u{feff}";
    // A byte-order mark is not part of the first line (columns count from after it).
    let mut start = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut number = 0u32;
    let mut toks = Vec::new();
    // The attribute vector of the last row, reused for the next (one allocation per file).
    let mut spare_attrs = Vec::new();
    // Most files are ASCII: then lines are split and tokenized in one pass over the bytes.
    let ascii = fast && src[start..].is_ascii();
    let mut line = Line {
        number: 0,
        item: Item::Blank,
        comment: None,
    };
    while start <= src.len() {
        if start == src.len() && last_is_empty {
            break;
        }
        let rest = &src[start..];
        number = number.saturating_add(1);
        let (lt, next) = if ascii {
            LineText::ascii(rest, number, start, std::mem::take(&mut toks))
        } else {
            // CR, CRLF and LF all end a line (their bytes are never inside a UTF-8 character).
            let (len, next) = match rest.bytes().position(|c| c == b'\n' || c == b'\r') {
                Some(i) if rest[i..].starts_with("\r\n") => (i, i + 2),
                Some(i) => (i, i + 1),
                None => (rest.len(), rest.len() + 1),
            };
            let lt = LineText::new(&rest[..len], number, start, std::mem::take(&mut toks));
            (lt, next)
        };
        // The line is built in place: `Parser::line` writes the item into `line.item`.
        line.number = lt.number;
        line.comment = lt.comment;
        p.line(&lt, &mut spare_attrs, &mut line.item);
        each(&line);
        if let Item::Register(Some(RegRow { attrs, .. }))
        | Item::Field(Some(FieldRow { attrs, .. })) = &mut line.item
        {
            spare_attrs = std::mem::take(attrs);
            spare_attrs.clear();
        }
        toks = lt.toks;
        start += next;
    }
    p.diags
}

struct Parser<'f> {
    file: &'f str,
    diags: Vec<Diagnostic>,
    /// The `@columns` and `@fields` layouts in force.
    layouts: [Option<Rc<paste::Layout>>; 2],
    /// How a row without `.`/`=` is read: after `@columns`, as a pasted register row; after
    /// `@fields`, as a pasted field row; `None`: a native register row.
    bare: Option<RowKind>,
    /// The `@width` in force (the resolver applies it; pasted ranges need it for their stride).
    width: Width,
}

type Res<T> = Result<T, Diagnostic>;

impl Parser<'_> {
    fn err(&self, span: Span, msg: impl Into<String>, label: &str) -> Diagnostic {
        Diagnostic::error(self.file, span, msg).with_label(label)
    }

    /// Parses one line into `out` (the item of the `Line` that `parse_lines` keeps across lines:
    /// written where it stays, one copy of a row fewer per line than returning it).
    /// `spare` is an empty vector that the row's attributes may use.
    fn line<'a>(&mut self, lt: &LineText<'a>, spare: &mut Vec<Attr<'a>>, out: &mut Item<'a>) {
        *out = self.item(lt, spare);
    }

    /// The item of one line (the body of [`Parser::line`], inlined there).
    #[inline(always)]
    fn item<'a>(&mut self, lt: &LineText<'a>, spare: &mut Vec<Attr<'a>>) -> Item<'a> {
        let Some(&(_, first, _)) = lt.toks.first() else {
            return if lt.comment.is_some() {
                Item::Comment
            } else {
                Item::Blank
            };
        };
        if first.starts_with('@') {
            return self.directive(lt);
        }
        // Rows that parse return from here, built in place (no moves of a whole row).
        let res = if first.starts_with('=') {
            match self.value_row(lt) {
                Ok(r) => return Item::Value(Some(r)),
                Err(d) => Err(d),
            }
        } else if let Some(h) = self.heading(lt) {
            h
        } else if first.starts_with('.') {
            match self.layouts[1].clone() {
                Some(l) => self.pasted_row(lt, &l),
                None => match self.field_row(lt, spare) {
                    Ok(r) => return Item::Field(Some(r)),
                    Err(d) => Err(d),
                },
            }
        } else {
            match self.bare {
                Some(RowKind::Field) => {
                    let l = self.layouts[1].clone().expect("`@fields` was given");
                    self.pasted_row(lt, &l)
                }
                Some(RowKind::Register) => {
                    let l = self.layouts[0].clone().expect("`@columns` was given");
                    self.pasted_row(lt, &l)
                }
                None => match self.register_row(lt, spare) {
                    Ok(r) => return Item::Register(Some(r)),
                    Err(d) => Err(self.suggest_layout(lt, d)),
                },
            }
        };
        let field = first.starts_with('.') || self.bare == Some(RowKind::Field);
        match res {
            Ok(item) => item,
            Err(d) => {
                self.diags.push(d);
                if field {
                    Item::Field(None)
                } else if first.starts_with('=') {
                    Item::Value(None)
                } else {
                    Item::Register(None)
                }
            }
        }
    }

    fn directive<'a>(&mut self, lt: &LineText<'a>) -> Item<'a> {
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
                Some(width) if lt.tok(2).is_none() => {
                    self.width = width;
                    Item::Width {
                        width,
                        span: tok.span,
                    }
                }
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
        let kind = match tok.text {
            "@section" => None,
            "@columns" => Some(RowKind::Register),
            "@fields" => Some(RowKind::Field),
            _ => {
                self.diags.push(self.err(
                    tok.span,
                    format!(
                        "unknown directive `{}` (expected `@section TITLE`, `@columns ...`, `@fields ...`, `@width 8|16|32|64` or `@deny warnings`)",
                        tok.text
                    ),
                    "unknown directive",
                ));
                return Item::BadDirective;
            }
        };
        if let Some(kind) = kind {
            return match self.layout_directive(lt, kind) {
                Ok(layout) => {
                    let k = kind as usize;
                    self.layouts[k] = layout.map(Rc::new);
                    // The last directive decides how rows without `.`/`=` are read; after
                    // `@fields native` they are register rows again (pasted if `@columns` holds).
                    self.bare = match (kind, &self.layouts[k]) {
                        (_, Some(_)) => Some(kind),
                        (RowKind::Field, None) if self.layouts[0].is_some() => {
                            Some(RowKind::Register)
                        }
                        _ => None,
                    };
                    Item::Directive {
                        text: lt.rest_from(0),
                    }
                }
                Err(d) => {
                    self.diags.push(d);
                    Item::BadDirective
                }
            };
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

    /// `@columns WORD...` / `@fields WORD...`; `native` alone goes back to the native rows
    /// (`Ok(None)`).
    fn layout_directive(&self, lt: &LineText, kind: RowKind) -> Res<Option<paste::Layout>> {
        let words: Vec<&str> = kind.allowed().iter().map(|c| c.word()).collect();
        let d = kind.directive();
        if lt.toks.len() == 2 && lt.toks[1].1 == "native" {
            return Ok(None);
        }
        if lt.toks.len() < 2 {
            return Err(self.err(
                lt.eol_span(),
                format!(
                    "expected the columns after `{d}` (from {}), or `native`, found end of line",
                    words.join(" ")
                ),
                "columns expected",
            ));
        }
        let mut cols: Vec<Col> = Vec::new();
        for i in 1..lt.toks.len() {
            let tok = lt.tok(i).expect("token");
            let Some(col) = paste::Layout::parse_word(kind, tok.text) else {
                return Err(self.err(
                    tok.span,
                    format!(
                        "unknown column `{}` in `{d}` (expected {})",
                        tok.text,
                        words.join(", ")
                    ),
                    "unknown column",
                ));
            };
            if col != Col::Ignore && cols.contains(&col) {
                let extra = if col == Col::Description {
                    " (a row has at most one free-text column; skip the others with `ignore`)"
                } else {
                    ""
                };
                return Err(self.err(
                    tok.span,
                    format!("column `{}` is named twice in `{d}`{extra}", tok.text),
                    "repeated column",
                ));
            }
            cols.push(col);
        }
        for req in kind.required() {
            if !cols.contains(req) {
                return Err(self.err(
                    lt.eol_span(),
                    format!(
                        "`{d}` needs a `{}` column (it has {})",
                        req.word(),
                        lt.rest_from(1)
                    ),
                    "column missing",
                ));
            }
        }
        Ok(Some(paste::Layout {
            kind,
            cols,
            text: lt.rest_from(0).to_string(),
            line: lt.number,
        }))
    }

    /// A section 8.2.3 heading line (`Device Control Register — CTRL (0x00000 / 0x00004; RW)`),
    /// or `None` when the line does not have a heading's shape.
    fn heading<'a>(&self, lt: &LineText<'a>) -> Option<Res<Item<'a>>> {
        let &(at0, first, _) = lt.toks.first()?;
        // `NAME NUMBER LAYOUT ...` is a native register row whatever its description says.
        if !first.starts_with('.')
            && lt.toks.len() > 3
            && parse_number(lt.toks[1].1).is_ok()
            && (lt.toks[2].1 == "-" || lt.toks[2].1.starts_with('+'))
        {
            return None;
        }
        let text = lt.text[at0..lt.content_end].trim_end_matches(is_blank);
        let h = paste::heading(text)?;
        Some(self.heading_rows(lt, at0, text, &h))
    }

    fn heading_rows<'a>(
        &self,
        lt: &LineText<'a>,
        at0: usize,
        text: &'a str,
        h: &paste::Heading<'a>,
    ) -> Res<Item<'a>> {
        let origin = |at: usize| Origin {
            text: &text[at..],
            base: lt.span(at0 + at, 0),
        };
        let (name_at, name) = h.name;
        let name = Tok {
            text: name,
            span: origin(name_at).span(0, name.len()),
        };
        let eo = Origin {
            text: h.expr,
            base: lt.span(at0 + h.expr_at, 0),
        };
        let expr_err = |e: paste::ExprError| {
            self.err(
                eo.span(e.at, e.len),
                format!("{} in the offset of heading `{}`", e.message, name.text),
                "offset expression",
            )
        };
        let (expr, used) = paste::offset_expr(eo).map_err(expr_err)?;
        if used != h.expr.len() {
            let rest = h.expr[used..].trim_start();
            let at = h.expr.len() - rest.len();
            return Err(expr_err(paste::ExprError {
                at,
                len: rest.len(),
                message: format!(
                    "unexpected `{rest}` after the offset (expected `/` and an alias, `and` and a segment, or `;`)"
                ),
            }));
        }
        let mode_tok = Tok {
            text: h.mode,
            span: origin(h.mode_at).span(0, h.mode.len()),
        };
        let mode = self.register_mode(
            &mode_tok,
            Some(" after `;` in the heading (`Title — NAME (OFFSET; MODE)`)"),
        )?;
        let rows = self.reg_rows(&name, &expr, mode, &mode_tok, Vec::new(), h.title)?;
        Ok(Item::Pasted {
            text,
            kind: RowKind::Register,
            rows,
        })
    }

    /// A register mode as a datasheet writes it: the language's (`RW`, `RC64`, `ALIAS`) or a
    /// datasheet spelling (`R/W`, `rw`, `RW1C`, ...).
    /// `where_` says where the mode stands in messages; with it, they list datasheet spellings
    /// too (native rows keep the short list).
    fn register_mode(&self, tok: &Tok, where_: Option<&str>) -> Res<ModeSyn> {
        // The usual spelling (`RW`): no access name ends in a width, so this is what
        // `parse_mode` gives it.
        match parse_access(tok.text) {
            Some(Access::RSV) | None => {}
            Some(access) => {
                return Ok(ModeSyn::Reg(Mode {
                    access,
                    width: Width::W32,
                }))
            }
        }
        // Upper case on the stack (no mode is longer than 8 bytes).
        let mut buf = [0u8; 8];
        let upper = match buf.get_mut(..tok.text.len()) {
            Some(b) => {
                b.copy_from_slice(tok.text.as_bytes());
                b.make_ascii_uppercase();
                std::str::from_utf8(b).unwrap_or("")
            }
            None => "",
        };
        if let Some(m) = parse_mode(upper) {
            return Ok(m);
        }
        match paste::datasheet_access(tok.text) {
            Some(Access::RSV) | None => {
                let datasheet = if where_.is_none() {
                    ""
                } else {
                    "; or a datasheet spelling: R/W, R, W, RC, RC/W, RC/WC, RC/W1C, RW1C, R/W1C, RWS, ..."
                };
                let where_ = where_.unwrap_or("");
                Err(self.err(
                    tok.span,
                    format!(
                        "unknown mode `{}`{where_} (expected {}, each with an optional width 8, 16 or 64 (RO8, RW16, RC64; 32 is the default), or ALIAS{datasheet})",
                        tok.text,
                        REGISTER_MODES.join(", ")
                    ),
                    "unknown mode",
                ))
            }
            Some(access) => Ok(ModeSyn::Reg(Mode {
                access,
                width: Width::W32,
            })),
        }
    }

    /// The register rows an offset expression stands for: the segments of its first address
    /// group with `mode`, then an ALIAS row for each segment of the other groups.
    fn reg_rows<'a>(
        &self,
        name: &Tok<'a>,
        expr: &paste::OffsetExpr,
        mode: ModeSyn,
        mode_tok: &Tok<'a>,
        attrs: Vec<Attr<'a>>,
        description: &'a str,
    ) -> Res<Vec<Item<'a>>> {
        let mut rows = Vec::new();
        for (g, group) in expr.iter().enumerate() {
            for seg in group {
                let (offset, layout) = self.seg_layout(seg)?;
                let alias = g > 0;
                rows.push(Item::Register(Some(RegRow {
                    name: *name,
                    offset,
                    layout,
                    mode: if alias { ModeSyn::Alias } else { mode },
                    mode_tok: *mode_tok,
                    attrs: if alias { Vec::new() } else { attrs.clone() },
                    description: if alias { "" } else { description },
                })));
            }
        }
        Ok(rows)
    }

    /// A segment of an offset expression as OFFSET and LAYOUT: element `i` of
    /// `BASE + STEP*(n-K), n=MIN...MAX` is at `BASE + STEP*(MIN-K) + STEP*(i-MIN)`.
    fn seg_layout<'a>(&self, seg: &paste::SegExpr) -> Res<(Num<'a>, LayoutSyn<'a>)> {
        if let Some(r) = &seg.range {
            // `pasted_row` turns ranges into arrays; a heading has no use for one.
            return Err(self.err(
                r.span,
                format!(
                    "a range of offsets (`{}`) is read in `@columns` rows only; a heading writes an array as `0x01000 + 0x40*n, n=0...63`",
                    seg.text
                ),
                "range here",
            ));
        }
        let Some(a) = &seg.array else {
            let layout = LayoutSyn {
                text: "-".into(),
                span: seg.span,
                array: None,
            };
            return Ok((seg.base.clone(), layout));
        };
        let base = if a.min.value >= a.k {
            (a.min.value - a.k)
                .checked_mul(a.step.value)
                .and_then(|d| d.checked_add(seg.base.value))
        } else {
            (a.k - a.min.value)
                .checked_mul(a.step.value)
                .and_then(|d| seg.base.value.checked_sub(d))
        };
        let Some(base) = base else {
            return Err(self.err(
                seg.span,
                "the first element of this segment is outside the 64-bit address space",
                "address out of range",
            ));
        };
        let offset = Num {
            value: base,
            text: if base == seg.base.value {
                seg.base.text.clone()
            } else {
                format!("0x{base:05X}").into()
            },
            span: seg.base.span,
        };
        let layout = LayoutSyn {
            text: seg.text.clone().into(),
            span: seg.span,
            array: Some(Box::new(ArraySyn {
                step: a.step.clone(),
                min: a.min.clone(),
                max: a.max.clone(),
                range_span: a.range_span,
            })),
        };
        Ok((offset, layout))
    }

    /// Turns the ranges of a summary row (`05200h-053FCh`, GRAMMAR.md "Register summaries")
    /// into arrays: the stride is the one stated (`step 8`), else the one that spreads the
    /// name's elements (`MTA[127:0]`) over the range, else the register's width; the
    /// elements are the name's, else `0..`. Every inconsistency is an error at the range.
    fn ranges(
        &self,
        expr: &mut paste::OffsetExpr,
        expr_span: Span,
        width: Width,
        count: Option<(u32, u32, Span)>,
        name: &str,
    ) -> Result<(), (Span, String)> {
        let segments = expr.iter().flatten().count();
        let Some(seg) = expr.iter_mut().flatten().find(|s| s.range.is_some()) else {
            // A name with an element range needs an array offset that agrees with it.
            if let Some((lo, hi, span)) = count {
                let n = u64::from(hi - lo) + 1;
                let segs: Vec<_> = expr.first().into_iter().flatten().collect();
                if segs.iter().all(|s| s.array.is_none()) {
                    return Err((
                        expr_span,
                        format!(
                            "`{name}[{hi}:{lo}]` names {n} elements but the offset is one address: give the range as printed (`START-END`, the first and the last element's address)"
                        ),
                    ));
                }
                let have: u64 = segs
                    .iter()
                    .filter_map(|s| s.array.as_ref())
                    .map(|a| a.max.value.saturating_sub(a.min.value).saturating_add(1))
                    .sum();
                if have != n {
                    return Err((
                        span,
                        format!(
                            "`{name}[{hi}:{lo}]` names {n} elements but the offset gives {have}"
                        ),
                    ));
                }
            }
            return Ok(());
        };
        if segments > 1 {
            let r = seg.range.as_ref().expect("a range");
            return Err((
                r.span,
                "a range of offsets (`START-END`) stands alone: write split arrays and aliases with `+ STEP*n, n=MIN...MAX`".into(),
            ));
        }
        let r = seg.range.take().expect("a range");
        let (start, end) = (seg.base.value, r.end.value);
        let text = &seg.text;
        if end < start {
            return Err((r.span, format!("the range `{text}` ends before it starts")));
        }
        let diff = end - start;
        let (lo, named) = match count {
            Some((lo, hi, _)) => (lo, Some(u64::from(hi - lo) + 1)),
            None => (0, None),
        };
        let step = match (&r.step, named) {
            (Some(s), _) => {
                if s.value == 0 || diff % s.value != 0 {
                    return Err((
                        s.span,
                        format!(
                            "the range `{text}` spans {diff:#x} bytes: not a multiple of the stride {:#x}",
                            s.value
                        ),
                    ));
                }
                s.value
            }
            (None, Some(1)) => width.bytes(),
            (None, Some(n)) => {
                if diff % (n - 1) != 0 || diff == 0 {
                    return Err((
                        r.span,
                        format!(
                            "`{name}` has {n} elements, which the range `{text}` ({diff:#x} bytes from the first to the last) cannot space equally"
                        ),
                    ));
                }
                diff / (n - 1)
            }
            (None, None) => {
                let w = width.bytes();
                if diff % w != 0 {
                    return Err((
                        r.span,
                        format!(
                            "the range `{text}` spans {diff:#x} bytes: not a multiple of the register width ({w} bytes); state the stride (`{text} step 8`) or the elements in the name (`{name}[15:0]`)"
                        ),
                    ));
                }
                w
            }
        };
        let n = diff / step + 1;
        if let Some(want) = named {
            if want != n {
                let span = count.map_or(r.span, |c| c.2);
                return Err((
                    span,
                    format!(
                        "`{name}` names {want} elements but the range `{text}` at stride {step:#x} holds {n}"
                    ),
                ));
            }
        }
        let Some(hi) = u32::try_from(n - 1).ok().and_then(|d| lo.checked_add(d)) else {
            return Err((
                r.span,
                format!("the range `{text}` at stride {step:#x} has too many elements ({n})"),
            ));
        };
        let num = |value: u64, text: String, span: Span| Num {
            value,
            text: text.into(),
            span,
        };
        let idx_span = count.map_or(r.span, |c| c.2);
        seg.array = Some(paste::ArrExpr {
            step: match r.step {
                Some(s) => s,
                None => num(step, format!("0x{step:X}"), r.span),
            },
            k: u64::from(lo),
            min: num(u64::from(lo), lo.to_string(), idx_span),
            max: num(u64::from(hi), hi.to_string(), idx_span),
            range_span: idx_span,
        });
        Ok(())
    }

    /// Which column is which in the message of a pasted row that cannot be read.
    fn col_err(&self, span: Span, l: &paste::Layout, k: usize, msg: String) -> Diagnostic {
        let col = l.cols[k];
        self.err(
            span,
            format!(
                "{msg} (column {} `{}` of `{}`, line {})",
                k + 1,
                col.word(),
                l.text,
                l.line
            ),
            &format!("{} expected", col.word()),
        )
    }

    /// A row read with an `@columns`/`@fields` layout. Columns before the description are read
    /// from the left, those after it from the right; an offset on the left may be an
    /// expression of several tokens.
    fn pasted_row<'a>(&mut self, lt: &LineText<'a>, l: &paste::Layout) -> Res<Item<'a>> {
        let n = lt.toks.len();
        let desc_at = l.cols.iter().position(|&c| c == Col::Description);
        let left = desc_at.unwrap_or(l.cols.len());
        let mut cells: Vec<Option<Tok>> = vec![None; l.cols.len()];
        let mut offset = None;
        let mut i = 0;
        for (k, &col) in l.cols[..left].iter().enumerate() {
            let Some(&(at, _, _)) = lt.toks.get(i) else {
                return Err(self.col_err(
                    lt.eol_span(),
                    l,
                    k,
                    format!("expected {}, found end of line", col.what()),
                ));
            };
            if col == Col::Offset {
                let o = Origin {
                    text: &lt.text[at..lt.content_end],
                    base: lt.span(at, 0),
                };
                let (e, used) = paste::offset_expr(o)
                    .map_err(|e| self.col_err(o.span(e.at, e.len), l, k, e.message))?;
                let end = at + used;
                i = lt.toks.partition_point(|&(a, _, _)| a < end);
                if let Some(&(a, t, _)) = lt.toks.get(i.wrapping_sub(1)) {
                    if a + t.len() > end {
                        return Err(self.col_err(
                            lt.span(end, a + t.len() - end),
                            l,
                            k,
                            format!(
                                "unexpected `{}` after the offset",
                                &lt.text[end..a + t.len()]
                            ),
                        ));
                    }
                }
                offset = Some((e, lt.span(at, end - at)));
            } else {
                cells[k] = lt.tok(i);
                i += 1;
            }
        }
        let mut j = n;
        if let Some(d) = desc_at {
            for k in (d + 1..l.cols.len()).rev() {
                let col = l.cols[k];
                if j <= i {
                    return Err(self.col_err(
                        lt.eol_span(),
                        l,
                        k,
                        format!("expected {}, found end of line", col.what()),
                    ));
                }
                j -= 1;
                let tok = lt.tok(j).expect("token");
                if col == Col::Offset {
                    let o = Origin {
                        text: tok.text,
                        base: tok.span,
                    };
                    let (e, used) = paste::offset_expr(o)
                        .map_err(|e| self.col_err(o.span(e.at, e.len), l, k, e.message))?;
                    if used != tok.text.len() {
                        return Err(self.col_err(
                            tok.span,
                            l,
                            k,
                            format!("expected {} in one token, found `{}` (an offset of several tokens must stand before the description)", col.what(), tok.text),
                        ));
                    }
                    offset = Some((e, tok.span));
                } else {
                    cells[k] = Some(tok);
                }
            }
        } else if let Some(tok) = lt.tok(i) {
            return Err(self.err(
                tok.span,
                format!(
                    "unexpected `{}`: `{}` (line {}) has no column for it (add `description` for free text or `ignore` to skip a cell)",
                    tok.text, l.text, l.line
                ),
                "no column for this",
            ));
        }
        let cell = |c: Col| l.cols.iter().position(|&x| x == c);
        let description = match desc_at {
            Some(_) if i < j => {
                let (a, _, _) = lt.toks[i];
                let (b, t, _) = lt.toks[j - 1];
                self.check_description(lt, i, j, &Fixes::Pasted(l))?;
                &lt.text[a..b + t.len()]
            }
            _ => "",
        };
        let reset = match cell(Col::Reset) {
            Some(k) => {
                let tok = cells[k].expect("reset cell");
                match paste::reset_value(tok.text) {
                    Ok(None) => Vec::new(),
                    Ok(Some(value)) => vec![Attr {
                        key: "reset",
                        text: format!("reset={}", tok.text).into(),
                        span: tok.span,
                        index: None,
                        value: AttrValue::Num(Num {
                            value,
                            text: tok.text.into(),
                            span: tok.span,
                        }),
                    }],
                    Err(e) => {
                        return Err(self.col_err(
                            tok.span,
                            l,
                            k,
                            format!(
                                "{}; `X` or `-` mark an undefined value",
                                e.message("a reset value")
                            ),
                        ))
                    }
                }
            }
            None => Vec::new(),
        };
        let k_name = cell(Col::Name).expect("name column");
        let mut name = cells[k_name].expect("name cell");
        match l.kind {
            RowKind::Register => {
                let count =
                    paste::name_range(name.text, name.span).map(|(_, lo, hi, span)| (lo, hi, span));
                name.text = paste::strip_index(name.text);
                let k = cell(Col::Mode).expect("mode column");
                let mode_tok = cells[k].expect("mode cell");
                let mode = self
                    .register_mode(&mode_tok, Some(""))
                    .map_err(|d| self.col_err(d.span, l, k, d.message))?;
                let (mut expr, expr_span) = offset.expect("offset column");
                let width = match mode {
                    ModeSyn::Reg(m) if mode_has_width(mode_tok.text) => m.width,
                    _ => self.width,
                };
                let k_off = cell(Col::Offset).expect("offset column");
                self.ranges(&mut expr, expr_span, width, count, name.text)
                    .map_err(|(span, msg)| self.col_err(span, l, k_off, msg))?;
                let rows = self.reg_rows(&name, &expr, mode, &mode_tok, reset, description)?;
                Ok(Item::Pasted {
                    text: lt.rest_from(0),
                    kind: RowKind::Register,
                    rows,
                })
            }
            RowKind::Field => {
                if let Some(t) = name.text.strip_prefix('.') {
                    name.text = t;
                }
                let mut name = Name {
                    text: Cow::Borrowed(name.text),
                    span: name.span,
                };
                let k = cell(Col::Bits).expect("bits column");
                let bits = self.bits(cells[k].as_ref().expect("bits cell"))?;
                let mut access = match cell(Col::Mode) {
                    Some(k) => {
                        let tok = cells[k].expect("mode cell");
                        match paste::datasheet_access(tok.text) {
                            Some(a) => Some((a, tok)),
                            None => {
                                return Err(self.col_err(
                                    tok.span,
                                    l,
                                    k,
                                    format!(
                                        "unknown field mode `{}` (expected {} or a datasheet spelling: R/W, R, W, RW1C, R/W1C, RWS, ...)",
                                        tok.text,
                                        FIELD_MODES.join(", ")
                                    ),
                                ))
                            }
                        }
                    }
                    None => None,
                };
                if paste::is_reserved(&name.text) {
                    // Several `Reserved` rows per register: each is named after its low bit.
                    name.text = format!("RSV{}", bits.lsb.value).into();
                    access = Some((
                        Access::RSV,
                        Tok {
                            text: "RSV",
                            span: name.span,
                        },
                    ));
                }
                Ok(Item::Pasted {
                    text: lt.rest_from(0),
                    kind: RowKind::Field,
                    rows: vec![Item::Field(Some(FieldRow {
                        name,
                        bits,
                        access,
                        attrs: reset,
                        description,
                    }))],
                })
            }
        }
    }

    /// A native register row that failed: if it reads as a datasheet summary row with some
    /// `@columns` layout, the message says which.
    fn suggest_layout(&mut self, lt: &LineText, mut d: Diagnostic) -> Diagnostic {
        let toks: Vec<&str> = lt.toks.iter().map(|t| t.1).collect();
        let Some(text) = paste::suggest_columns(&toks) else {
            return d;
        };
        let cols = text
            .split_whitespace()
            .skip(1)
            .filter_map(|w| paste::Layout::parse_word(RowKind::Register, w))
            .collect();
        let l = paste::Layout {
            kind: RowKind::Register,
            cols,
            text: text.clone(),
            line: lt.number,
        };
        let n = self.diags.len();
        let ok = self.pasted_row(lt, &l).is_ok();
        self.diags.truncate(n);
        if ok {
            d.message.push_str(&format!(
                "; this reads as a datasheet row: put `{text}` above such rows to paste them as printed"
            ));
        }
        d
    }

    /// Tokens `from..to` are a description: a token in it that is an attribute (`reset=`) is
    /// an error; a value, mode or bit range that opens it is a warning (it was probably meant
    /// as a column). `fixes` says what the row should have been.
    fn check_description(
        &mut self,
        lt: &LineText,
        from: usize,
        to: usize,
        fixes: &Fixes,
    ) -> Res<()> {
        for i in from..to {
            let (_, t, _) = lt.toks[i];
            let Some(eq) = byte_at(t, b'=') else { continue };
            let key = t[..eq].split('[').next().unwrap_or("");
            if !matches!(key, "reset" | "write" | "over") || eq + 1 == t.len() {
                continue;
            }
            let tok = lt.tok(i).expect("token");
            let fix = match fixes {
                Fixes::Native { attrs_at } => {
                    let mut parts: Vec<&str> = lt.toks[..*attrs_at].iter().map(|t| t.1).collect();
                    parts.push(t);
                    let rest: Vec<&str> = lt.toks[*attrs_at..]
                        .iter()
                        .enumerate()
                        .filter(|&(k, _)| k + attrs_at != i)
                        .map(|(_, t)| t.1)
                        .collect();
                    format!(
                        "attributes go before the description: `{}`",
                        clip(&format!("{} {}", parts.join(" "), rest.join(" ")))
                    )
                }
                Fixes::Pasted(l) => format!(
                    "`{}` (line {}) reads attributes from columns only: {}",
                    l.text,
                    l.line,
                    if key == "reset" {
                        "add a `reset` column and write the value alone"
                    } else {
                        "write the register natively"
                    }
                ),
            };
            return Err(self.err(
                tok.span,
                format!(
                    "`{}` would be read as part of the description; {fix}",
                    clip(t)
                ),
                "attribute in the description",
            ));
        }
        if from >= to {
            return Ok(());
        }
        let tok = lt.tok(from).expect("token");
        let t = tok.text;
        // Modes start with R or W, values and bit ranges with a digit: most words stop here.
        if !matches!(t.as_bytes()[0], b'0'..=b'9' | b'R' | b'r' | b'W' | b'w') {
            return Ok(());
        }
        let what = if paste::datasheet_access(t).is_some() && t.len() >= 2 {
            "a mode"
        } else if looks_like_value(t) {
            "a value"
        } else if looks_like_bits(t) {
            "a bit range"
        } else {
            return Ok(());
        };
        let fix = match fixes {
            Fixes::Native { attrs_at } => native_fix(lt, *attrs_at, from, what),
            Fixes::Pasted(l) => format!(
                "if it is a column, name it in `{}` (line {})",
                l.text, l.line
            ),
        };
        self.diags.push(
            Diagnostic::warning(
                self.file,
                tok.span,
                format!(
                    "`{}` looks like {what} but is read as the start of the description; {fix}",
                    clip(t)
                ),
            )
            .with_label("read as description"),
        );
        Ok(())
    }

    /// Token `i`, or an error saying what was expected there, after what (`after` is only
    /// called for the error: no text is built for rows that are whole).
    fn need<'a>(
        &self,
        lt: &LineText<'a>,
        i: usize,
        what: &str,
        after: impl FnOnce() -> String,
    ) -> Res<Tok<'a>> {
        lt.tok(i).ok_or_else(|| {
            self.err(
                lt.eol_span(),
                format!("expected {what} after {}, found end of line", after()),
                &format!("{what} expected"),
            )
        })
    }

    fn number<'a>(&self, tok: &Tok<'a>, what: &str) -> Res<Num<'a>> {
        match parse_number(tok.text) {
            Ok(value) => Ok(Num {
                value,
                text: Cow::Borrowed(tok.text),
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

    fn sub_num<'a>(tok: &Tok<'a>, at: usize, len: usize, value: u64) -> Num<'a> {
        let Tok { text, span } = tok.slice(at, len);
        Num {
            value,
            text: Cow::Borrowed(text),
            span,
        }
    }

    fn layout<'a>(&self, tok: &Tok<'a>) -> Res<LayoutSyn<'a>> {
        if tok.text == "-" {
            return Ok(LayoutSyn {
                text: Cow::Borrowed(tok.text),
                span: tok.span,
                array: None,
            });
        }
        let parts: LayoutParts = crate::number::parse_layout(tok.text)
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
            text: Cow::Borrowed(tok.text),
            span: tok.span,
            array: Some(Box::new(ArraySyn {
                step: Self::sub_num(tok, s_at, s_len, s),
                min,
                max,
                range_span,
            })),
        })
    }

    /// `key=value` and `key[I]=value`/`key[I..J]=value` tokens from index `i` on; returns
    /// them and the index after them.
    fn attrs<'a>(
        &self,
        lt: &LineText<'a>,
        mut i: usize,
        mut attrs: Vec<Attr<'a>>,
    ) -> Res<(Vec<Attr<'a>>, usize)> {
        while let Some(tok) = lt.tok(i) {
            let Some(eq) = byte_at(tok.text, b'=') else {
                break;
            };
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
                key,
                text: Cow::Borrowed(tok.text),
                span: tok.span,
                index,
                value,
            });
            i += 1;
        }
        Ok((attrs, i))
    }

    /// `[I]` or `[I..J]` in `tok.text[open..eq]` (`open` is at the `[`).
    fn index_sel<'a>(&self, tok: &Tok<'a>, open: usize, eq: usize) -> Res<IndexSel<'a>> {
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
    fn names<'a>(&self, tok: &Tok<'a>) -> Res<Vec<Tok<'a>>> {
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

    fn register_row<'a>(
        &mut self,
        lt: &LineText<'a>,
        spare: &mut Vec<Attr<'a>>,
    ) -> Res<RegRow<'a>> {
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
        let mode = self.register_mode(&mode_tok, None)?;
        let (attrs, next) = self.attrs(lt, 4, std::mem::take(spare))?;
        self.check_description(lt, next, lt.toks.len(), &Fixes::Native { attrs_at: 4 })?;
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

    fn field_row<'a>(&mut self, lt: &LineText<'a>, spare: &mut Vec<Attr<'a>>) -> Res<FieldRow<'a>> {
        let first = lt.tok(0).expect("first token");
        let name = Tok {
            text: &first.text[1..],
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
            let datasheet = || {
                tok.text
                    .contains(['/', '1'])
                    .then(|| paste::datasheet_access(tok.text))
                    .flatten()
            };
            if let Some(a) = parse_access(tok.text).or_else(datasheet) {
                access = Some((a, tok));
                next = 3;
            } else if let Some(ModeSyn::Reg(m)) = parse_mode(tok.text) {
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
        let attrs_at = next;
        let (attrs, next) = self.attrs(lt, next, std::mem::take(spare))?;
        self.check_description(lt, next, lt.toks.len(), &Fixes::Native { attrs_at })?;
        Ok(FieldRow {
            name: Name {
                text: Cow::Borrowed(name.text),
                span: name.span,
            },
            bits,
            access,
            attrs,
            description: lt.rest_from(next),
        })
    }

    fn bits<'a>(&self, tok: &Tok<'a>) -> Res<BitsSyn<'a>> {
        let (msb, lsb) = match byte_at(tok.text, b':').map(|c| (&tok.text[..c], &tok.text[c + 1..]))
        {
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
            text: tok.text,
            span: tok.span,
        })
    }

    fn value_row<'a>(&self, lt: &LineText<'a>) -> Res<ValueRow<'a>> {
        let first = lt.tok(0).expect("first token");
        let name = Tok {
            text: &first.text[1..],
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

/// What a row with a suspicious description should have been.
enum Fixes<'a> {
    /// A native row whose attributes start at token `attrs_at`.
    Native { attrs_at: usize },
    /// A row read with this layout.
    Pasted(&'a paste::Layout),
}

/// The first position of an ASCII byte in `s` (a plain loop: tokens are short, and
/// `str::find` sets up a memchr search for each).
fn byte_at(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// A number with an explicit radix (`10b`, `0x30`, `1Fh`): in a description's first word,
/// more likely a misplaced value than text.
fn looks_like_value(t: &str) -> bool {
    crate::number::is_number(t) && !t.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

fn looks_like_bits(t: &str) -> bool {
    byte_at(t, b':')
        .map(|c| (&t[..c], &t[c + 1..]))
        .is_some_and(|(h, l)| {
            !h.is_empty()
                && !l.is_empty()
                && (h.bytes().chain(l.bytes())).all(|b| b.is_ascii_digit())
        })
}

/// The row rewritten with the token at `at` (what opens the description) as what it looks
/// like: a value becomes `reset=V`, a mode moves before the attributes.
fn native_fix(lt: &LineText, attrs_at: usize, at: usize, what: &str) -> String {
    let toks: Vec<&str> = lt.toks.iter().map(|t| t.1).collect();
    let is_field = toks[0].starts_with('.');
    let row = |v: Vec<String>| format!("`{}`", clip(&v.join(" ")));
    let mut head: Vec<String> = toks[..attrs_at].iter().map(|s| s.to_string()).collect();
    let mut rest: Vec<String> = toks[attrs_at..].iter().map(|s| s.to_string()).collect();
    let k = at - attrs_at;
    match what {
        "a value" => {
            let v = rest.remove(k);
            // A mode after the value (`.SPEED 9:8 10b RO ...`) is the field's access.
            if is_field
                && attrs_at == 2
                && rest.get(k).is_some_and(|m| paste::datasheet_access(m).is_some())
            {
                let m = rest.remove(k);
                head.push(m);
            }
            rest.insert(k.min(rest.len()), format!("reset={v}"));
            head.extend(rest);
            format!("if it is the reset value write {}", row(head))
        }
        "a mode" if is_field && attrs_at == 2 => {
            let m = rest.remove(k);
            head.push(m);
            head.extend(rest);
            format!("if it is the field's access write it right after the bits: {}", row(head))
        }
        "a mode" => "a row has one mode (write the description after it, or reword it)".into(),
        _ => "if it is the field's bits, the row is in another order: name the columns with `@fields`".into(),
    }
}

/// Text quoted in a message, cut to 80 characters (a pasted line may be very long).
fn clip(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines and diagnostics of `src` with and without the one-pass ASCII tokenizer.
    fn both(src: &str) -> [(Vec<Line<'_>>, Vec<Diagnostic>); 2] {
        [true, false].map(|fast| {
            let mut lines = Vec::new();
            let diags = parse_lines("t.txt", src, fast, |l| lines.push(l.clone()));
            (lines, diags)
        })
    }

    /// The one-pass tokenizer of ASCII files gives what splitting lines and tokenizing each
    /// gives, on every string of up to 6 characters from those that separate lines, tokens
    /// and comments.
    #[test]
    fn ascii_tokenizer_agrees_with_the_general_one() {
        let checked = crate::exhaustive::each_string(b" \t\n\r#-a.", 0, 6, |s| {
            let [fast, general] = both(s);
            assert_eq!(fast, general, "{s:?}");
        });
        assert_eq!(checked, 299_593);
    }

    /// The same on longer strings (up to 40 bytes), where the eight-bytes-per-step scans of
    /// blanks and tokens run, with control bytes inside tokens and runs of blanks of every
    /// length: 100,000 strings from a fixed pseudo-random sequence.
    #[test]
    fn ascii_tokenizer_agrees_on_long_strings() {
        const CH: &[u8] = b"        \t\t\n\r#-aaaaaaaaZ.=\x01\x0b\x1f!~\x7f";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut buf = Vec::new();
        for _ in 0..100_000 {
            buf.clear();
            let len = next() % 41;
            for _ in 0..len {
                buf.push(CH[(next() % CH.len() as u64) as usize]);
            }
            let s = std::str::from_utf8(&buf).unwrap();
            let [fast, general] = both(s);
            assert_eq!(fast, general, "{s:?}");
        }
    }

    #[test]
    fn eight_byte_scans_agree_with_byte_loops() {
        let all: Vec<u8> = (0u8..0x80).collect();
        for &c in &all {
            for pos in 0..20 {
                for len in pos + 1..24 {
                    let mut b = vec![b'x'; len];
                    b[pos] = c;
                    let want = b.iter().position(|&v| v <= b' ').unwrap_or(len);
                    assert_eq!(token_end(&b, 0), want, "{c:#x} at {pos} of {len}");
                    let mut b = vec![b' '; len];
                    b[pos] = c;
                    if pos > 1 {
                        b[pos - 1] = b'\t';
                    }
                    let want = b
                        .iter()
                        .position(|&v| v != b' ' && v != b'\t')
                        .unwrap_or(len);
                    assert_eq!(skip_blanks(&b, 0), want, "{c:#x} at {pos} of {len}");
                }
            }
        }
    }

    /// `register_mode` reads an access name alone as a 32-bit mode before `parse_mode`: it
    /// must be what `parse_mode` gives.
    #[test]
    fn access_names_are_32_bit_modes() {
        for m in FIELD_MODES {
            match parse_access(m) {
                Some(Access::RSV) => assert_eq!(parse_mode(m), None),
                Some(access) => assert_eq!(
                    parse_mode(m),
                    Some(ModeSyn::Reg(Mode {
                        access,
                        width: Width::W32
                    })),
                    "{m}"
                ),
                None => panic!("{m}"),
            }
        }
    }

    /// The same on whole rows of every kind, with each line ending (LF, CRLF, CR, none).
    #[test]
    fn ascii_tokenizer_agrees_on_rows() {
        let rows = [
            "# comment",
            "@section Receive  -- trailing",
            "@width 16",
            "@deny warnings",
            "CTRL  0x00000  -  RW  reset=0x0  Device Control  # note",
            "  .SPEED   9:8   RW  reset=10b   Speed\t",
            "    =ADV   001b  Advanced -- c",
            "RAL  0x05400 +0x8*0..15  RW  reset[0]=1 Receive Address Low",
            "BAD 0x1g - RW",
            "  .X",
            "=",
            "",
            "   ",
            "X 0x0 - RO over=A,B  text",
        ];
        for end in ["\n", "\r\n", "\r", ""] {
            let src: String = rows.iter().map(|r| format!("{r}{end}")).collect();
            // After a byte-order mark the rest of the file is ASCII: the fast path runs too.
            for src in [src.clone(), format!("\u{feff}{src}")] {
                let [fast, general] = both(&src);
                assert!(!fast.0.is_empty());
                assert_eq!(fast, general, "{end:?}");
            }
        }
    }
}
