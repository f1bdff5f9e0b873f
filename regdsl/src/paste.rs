//! Rows pasted as a datasheet prints them (GRAMMAR.md, "Pasted rows"): the `@columns` and
//! `@fields` layouts, datasheet offsets (`00008h`, `0x01000 + 0x40*n, n=0...63 and ...`,
//! `0x00000 / 0x00004`), datasheet access spellings (`R/W`, `RW1C`, `RC/W`, ...), reset values
//! (`0b`, `0x0`, `0000h`, `X`) and the 82599's section 8.2.3 heading lines. Everything here
//! turns into the same syntax rows as the native forms, so the model cannot tell them apart.
use crate::model::{Access, Span};
use crate::number::parse_number;
/// Numbers of offset expressions own their text (pasted rows are few; native rows borrow).
type Num = crate::syntax::Num<'static>;

/// A column of a pasted row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Name,
    Offset,
    Bits,
    Mode,
    Description,
    Reset,
    Ignore,
}

impl Col {
    pub fn word(self) -> &'static str {
        match self {
            Col::Name => "name",
            Col::Offset => "offset",
            Col::Bits => "bits",
            Col::Mode => "mode",
            Col::Description => "description",
            Col::Reset => "reset",
            Col::Ignore => "ignore",
        }
    }
    /// What a cell of this column holds, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Col::Name => "a name",
            Col::Offset => "an offset (`0x01000`, `01000h`, `0x01000 + 0x40*n, n=0...63`)",
            Col::Bits => "a bit or bit range (`26`, `15:13`)",
            Col::Mode => "a mode (`RW`, `R/W`, `RO`, `RW1C`, ...)",
            Col::Description => "a description",
            Col::Reset => "a reset value (`0b`, `0x0`, `0000h`, `X`)",
            Col::Ignore => "a cell to skip",
        }
    }
}

/// Register rows (`@columns`) or field rows (`@fields`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Register,
    Field,
}

impl RowKind {
    pub fn directive(self) -> &'static str {
        match self {
            RowKind::Register => "@columns",
            RowKind::Field => "@fields",
        }
    }
    pub fn allowed(self) -> &'static [Col] {
        match self {
            RowKind::Register => &[
                Col::Name,
                Col::Offset,
                Col::Mode,
                Col::Description,
                Col::Reset,
                Col::Ignore,
            ],
            RowKind::Field => &[
                Col::Name,
                Col::Bits,
                Col::Reset,
                Col::Mode,
                Col::Description,
                Col::Ignore,
            ],
        }
    }
    pub fn required(self) -> &'static [Col] {
        match self {
            RowKind::Register => &[Col::Name, Col::Offset, Col::Mode],
            RowKind::Field => &[Col::Name, Col::Bits],
        }
    }
}

/// An `@columns`/`@fields` directive in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub kind: RowKind,
    pub cols: Vec<Col>,
    /// The directive as written, for messages.
    pub text: String,
    pub line: u32,
}

impl Layout {
    pub fn parse_word(kind: RowKind, w: &str) -> Option<Col> {
        kind.allowed().iter().copied().find(|c| c.word() == w)
    }
}

/// The access a datasheet spelling means (case-insensitive); `None` if it is not one. The
/// language's own names (`RO`, `RW`, `WO`, `RC`, `RCR`, `W1C`, `RSV`) are included. The
/// mapping is GRAMMAR.md's table "Datasheet modes".
pub fn datasheet_access(s: &str) -> Option<Access> {
    // Every spelling starts with R or W: most words (descriptions) stop here.
    if s.len() > 8 || !matches!(s.as_bytes().first(), Some(b'R' | b'r' | b'W' | b'w')) {
        return None;
    }
    // Upper case on the stack: this runs for many tokens of every row.
    let mut buf = [0u8; 8];
    buf[..s.len()].copy_from_slice(s.as_bytes());
    buf.make_ascii_uppercase();
    let Ok(u) = std::str::from_utf8(&buf[..s.len()]) else {
        return None;
    };
    Some(match u {
        "RO" | "R" | "RO/V" | "ROV" | "ROS" | "RO/S" | "RO/LH" | "RO/LL" | "RO/SN" => Access::RO,
        "RW" | "R/W" | "RWS" | "RW/S" | "RW/SN" | "RW/V" | "RWV" | "RWL" | "R/W/S" => Access::RW,
        "WO" | "W" => Access::WO,
        // Counters: the 82599, 82576 and I350 datasheets (and Snabb's tables) print `RC`.
        "RC" | "R/C" => Access::RC,
        // Interrupt causes: read clears, and so does a write (of 1s). Not counters.
        "RC/W" | "RC/WC" | "RC/W1C" | "RCW" | "RC/W1" => Access::RTCW,
        "RTC" => Access::RTC,
        "RTCW" => Access::RTCW,
        "RCR" => Access::RCR,
        "W1C" | "RW1C" | "R/W1C" | "RWC" | "R/WC" | "RW/C" => Access::W1C,
        "RSV" | "RSVD" => Access::RSV,
        _ => return None,
    })
}

/// A reset cell: `Ok(None)` for "undefined" (`X`, `-`, `N/A`), else the value.
pub fn reset_value(s: &str) -> Result<Option<u64>, crate::number::NumError> {
    if matches!(s, "X" | "x" | "-" | "N/A" | "n/a" | "NA" | "–" | "—") {
        return Ok(None);
    }
    parse_number(s).map(Some)
}

/// Whether a field name means reserved bits.
pub fn is_reserved(name: &str) -> bool {
    ["reserved", "rsv", "rsvd"]
        .iter()
        .any(|r| name.eq_ignore_ascii_case(r))
}

/// One segment of an offset expression: `0x01000` (single), or
/// `0x0D000 + 0x40*(n-64), n=64...127` (an array: element `i` at `base + step*(i-k)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegExpr {
    pub base: Num,
    pub array: Option<ArrExpr>,
    /// `START-END` (the 8254x register summary): an array from `base` to `END`, the last
    /// element's address; the caller turns it into `array` (it needs the register's width
    /// and the name's element count).
    pub range: Option<RangeExpr>,
    /// The whole segment as written.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrExpr {
    pub step: Num,
    /// `k` of `(n-k)`; 0 for `n`.
    pub k: u64,
    pub min: Num,
    pub max: Num,
    /// `MIN...MAX`.
    pub range_span: Span,
}

/// `START-END [step STRIDE]`: the end (the last element's address) and the stated stride.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeExpr {
    pub end: Num,
    pub step: Option<Num>,
    /// `START-END` as written.
    pub span: Span,
}

/// An offset expression: address groups separated by `/` (the first is the register's own
/// address, the others aliases), each one or more segments joined by `and`.
pub type OffsetExpr = Vec<Vec<SegExpr>>;

/// Why an expression is not one, at byte `at` of the text parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub len: usize,
    pub message: String,
}

/// Positions in a text that starts at `base` (a span of its first byte).
#[derive(Clone, Copy)]
pub struct Origin<'a> {
    pub text: &'a str,
    pub base: Span,
}

impl Origin<'_> {
    pub fn span(&self, at: usize, len: usize) -> Span {
        Span {
            line: self.base.line,
            col: self.base.col + self.text[..at].chars().count() as u32,
            offset: self.base.offset + at,
            len,
        }
    }
}

struct Cursor<'a> {
    o: Origin<'a>,
    at: usize,
    /// The last `(byte, characters before it)` a span was made at: spans count characters from
    /// there, so an expression of any length costs linear time (a 180 KB line of segments
    /// took 100 ms when each span counted from the start).
    memo: std::cell::Cell<(usize, u32)>,
}

impl Cursor<'_> {
    /// `Origin::span`, counting characters from the last span made.
    fn span(&self, at: usize, len: usize) -> Span {
        let (mb, mc) = self.memo.get();
        let chars = if at >= mb {
            mc + self.o.text[mb..at].chars().count() as u32
        } else {
            mc - self.o.text[at..mb].chars().count() as u32
        };
        self.memo.set((at, chars));
        Span {
            line: self.o.base.line,
            col: self.o.base.col + chars,
            offset: self.o.base.offset + at,
            len,
        }
    }

    fn rest(&self) -> &str {
        &self.o.text[self.at..]
    }
    fn ws(&mut self) {
        let r = self.rest();
        self.at += r.len() - r.trim_start_matches([' ', '\t', '\u{a0}']).len();
    }
    fn eat(&mut self, lit: &str) -> bool {
        self.ws();
        if self.rest().starts_with(lit) {
            self.at += lit.len();
            true
        } else {
            false
        }
    }
    fn err<T>(&self, len: usize, message: String) -> Result<T, ExprError> {
        let rest = self.rest();
        let mut len = len.min(rest.len());
        while !rest.is_char_boundary(len) {
            len += 1;
        }
        Err(ExprError {
            at: self.at,
            len,
            message,
        })
    }
    fn found(&self) -> String {
        let t: String = self.rest().chars().take(20).collect();
        if t.is_empty() {
            "the end".into()
        } else {
            format!("`{t}`")
        }
    }
    fn number(&mut self, what: &str) -> Result<Num, ExprError> {
        self.ws();
        let r = self.rest();
        let len = r
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        let text = &r[..len];
        match parse_number(text) {
            Ok(value) if len > 0 => {
                let n = Num {
                    value,
                    text: text.to_string().into(),
                    span: self.span(self.at, len),
                };
                self.at += len;
                Ok(n)
            }
            Ok(_) => self.err(1, format!("expected {what}, found {}", self.found())),
            Err(e) => self.err(len.max(1), e.message(what)),
        }
    }
    /// The index variable, `n` (any one lower-case letter).
    fn var(&mut self) -> Option<char> {
        self.ws();
        let c = self.rest().chars().next()?;
        let after = self.rest()[c.len_utf8()..].chars().next();
        if c.is_ascii_lowercase() && !after.is_some_and(|a| a.is_ascii_alphanumeric()) {
            self.at += 1;
            Some(c)
        } else {
            None
        }
    }
}

/// Parses an offset expression from the start of `o.text`; returns it and the bytes read (the
/// expression ends where the grammar does: the caller checks what follows).
pub fn offset_expr(o: Origin) -> Result<(OffsetExpr, usize), ExprError> {
    let mut c = Cursor {
        o,
        at: 0,
        memo: std::cell::Cell::new((0, 0)),
    };
    let mut groups = vec![vec![segment(&mut c)?]];
    loop {
        let save = c.at;
        if c.eat("/") {
            groups.push(vec![segment(&mut c)?]);
        } else if c.eat("and") && c.rest().starts_with([' ', '\t']) {
            groups.last_mut().expect("a group").push(segment(&mut c)?);
        } else {
            c.at = save;
            break;
        }
    }
    Ok((groups, c.at))
}

fn segment(c: &mut Cursor) -> Result<SegExpr, ExprError> {
    c.ws();
    let start = c.at;
    let base = c.number("an offset")?;
    // `05200h-053FCh`: a range, written without blanks (`0x1000 - ...` is an offset and an
    // undefined reset).
    let dash = ["-", "–"].into_iter().find(|d| c.rest().starts_with(d));
    if let Some(d) = dash {
        let after = &c.rest()[d.len()..];
        if after.starts_with(|ch: char| ch.is_ascii_digit()) {
            c.at += d.len();
            let end = c.number("the last address of the range")?;
            let span = c.span(start, c.at - start);
            let save = c.at;
            let step = if c.eat("step") && c.rest().starts_with([' ', '\t']) {
                Some(c.number("the stride after `step`")?)
            } else {
                c.at = save;
                None
            };
            let mut s = seg(c, start, base, None);
            s.range = Some(RangeExpr { end, step, span });
            return Ok(s);
        }
    }
    let save = c.at;
    if !c.eat("+") {
        c.at = save;
        return Ok(seg(c, start, base, None));
    }
    // `STEP*n`, `STEP*(n-K)` or `n*STEP`.
    let (step, var, k) = if let Some(v) = c.var() {
        if !c.eat("*") {
            return c.err(1, format!("expected `*` after `{v}`, found {}", c.found()));
        }
        (c.number("the step")?, v, 0)
    } else {
        let step = c.number("the step after `+`")?;
        if !c.eat("*") {
            return c.err(
                1,
                format!("expected `*` after the step, found {}", c.found()),
            );
        }
        if c.eat("(") {
            let Some(v) = c.var() else {
                return c.err(1, format!("expected `n` after `(`, found {}", c.found()));
            };
            if !c.eat("-") {
                return c.err(1, format!("expected `-` after `({v}`, found {}", c.found()));
            }
            let k = c.number("the first index of the segment")?;
            if !c.eat(")") {
                return c.err(1, format!("expected `)`, found {}", c.found()));
            }
            (step, v, k.value)
        } else if let Some(v) = c.var() {
            (step, v, 0)
        } else {
            return c.err(
                1,
                format!("expected `n` or `(n-64)` after `*`, found {}", c.found()),
            );
        }
    };
    // `, n=0...63`
    if !c.eat(",") {
        return c.err(
            1,
            format!(
                "expected the index range (`, {var}=0...63`) after the step, found {}",
                c.found()
            ),
        );
    }
    if c.var() != Some(var) || !c.eat("=") {
        return c.err(
            1,
            format!(
                "expected `{var}=` and the index range (`{var}=0...63`), found {}",
                c.found()
            ),
        );
    }
    let min = c.number("the first index")?;
    if !(c.eat("...") || c.eat("..") || c.eat("…") || c.eat("-")) {
        return c.err(
            1,
            format!(
                "expected `...` between the first and last index, found {}",
                c.found()
            ),
        );
    }
    let max = c.number("the last index")?;
    let range_span = Span {
        len: max.span.offset + max.span.len - min.span.offset,
        ..min.span
    };
    Ok(seg(
        c,
        start,
        base,
        Some(ArrExpr {
            step,
            k,
            min,
            max,
            range_span,
        }),
    ))
}

fn seg(c: &Cursor, start: usize, base: Num, array: Option<ArrExpr>) -> SegExpr {
    SegExpr {
        base,
        array,
        range: None,
        text: c.o.text[start..c.at].to_string(),
        span: c.span(start, c.at - start),
    }
}

/// A section 8.2.3 heading: `Title — NAME[n] (offset expression; MODE)`.
pub struct Heading<'a> {
    pub title: &'a str,
    /// The name (without `[n]`) and where it is (byte range in the text).
    pub name: (usize, &'a str),
    /// The expression text and where it starts.
    pub expr_at: usize,
    pub expr: &'a str,
    pub mode_at: usize,
    pub mode: &'a str,
}

/// Recognises a heading line (the row's text without comment and trailing blanks). Only the
/// shape is checked here: `... NAME (X; MODE)` where X starts with a digit.
pub fn heading(text: &str) -> Option<Heading<'_>> {
    let body = text.strip_suffix(')')?;
    // The `(` matching the final `)`: expressions hold `(n-64)`.
    let mut depth = 0usize;
    let mut open = None;
    for (i, ch) in body.char_indices().rev() {
        match ch {
            ')' => depth += 1,
            '(' if depth == 0 => {
                open = Some(i);
                break;
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    let open = open?;
    let inner = &body[open + 1..];
    let semi = inner.rfind(';')?;
    let expr = &inner[..semi];
    let expr_trim = expr.trim_start();
    if !expr_trim.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mode = inner[semi + 1..].trim();
    let mode_at =
        open + 1 + semi + 1 + (inner[semi + 1..].len() - inner[semi + 1..].trim_start().len());
    let pre = body[..open].trim_end();
    let name_start = pre
        .rfind(|c: char| c.is_whitespace() || c == '—' || c == '–')
        .map_or(0, |i| i + pre[i..].chars().next().map_or(1, char::len_utf8));
    let name_full = &pre[name_start..];
    let name = match name_full.find('[') {
        Some(b) if name_full.ends_with(']') => &name_full[..b],
        _ => name_full,
    };
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let title = pre[..name_start]
        .trim_end()
        .trim_end_matches(['—', '–', '-'])
        .trim_end();
    Some(Heading {
        title,
        name: (name_start, name),
        expr_at: open + 1 + (expr.len() - expr_trim.len()),
        expr: expr_trim.trim_end(),
        mode_at,
        mode,
    })
}

/// A register name cell: `RDBAL[n]` reads as `RDBAL` (the datasheet's index suffix).
pub fn strip_index(name: &str) -> &str {
    match name.find('[') {
        Some(b) if b > 0 && name.ends_with(']') => &name[..b],
        _ => name,
    }
}

/// The element range a summary prints in a name, `MTA[127:0]` (also `[0:127]`, `[0-127]`,
/// `[0..127]`): the name without it, and `(first, last, span of the brackets)`. `None` for
/// a name without one or with a letter (`RDBAL[n]`).
pub fn name_range(name: &str, span: Span) -> Option<(&str, u32, u32, Span)> {
    let b = name.find('[').filter(|&b| b > 0 && name.ends_with(']'))?;
    let inner = &name[b + 1..name.len() - 1];
    let (x, y) = [":", "...", "..", "-"]
        .iter()
        .find_map(|sep| inner.split_once(sep))?;
    let (x, y): (u32, u32) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
    let at = Span {
        col: span.col + name[..b].chars().count() as u32,
        offset: span.offset + b,
        len: name.len() - b,
        ..span
    };
    Some((&name[..b], x.min(y), x.max(y), at))
}

/// What a token of a datasheet row looks like, to suggest a layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guess {
    Offset,
    Mode,
    Name,
    Word,
}

fn guess(t: &str) -> Guess {
    let t0 = strip_index(t);
    // `05200h-053FCh`: a range of offsets.
    let first = t.split_once('-').map_or(t, |(a, _)| a);
    if t.starts_with("0x")
        || t.starts_with("0X")
        || (first.ends_with(['h', 'H']) && parse_number(first).is_ok())
    {
        Guess::Offset
    } else if datasheet_access(t).is_some() && t.len() >= 2 || matches!(t, "R" | "W") {
        Guess::Mode
    } else if t0.len() >= 2
        && t0
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && t0.starts_with(|c: char| c.is_ascii_uppercase())
    {
        Guess::Name
    } else {
        Guess::Word
    }
}

/// A `@columns` line that reads a register row whose tokens are `toks`, if the row looks like
/// a datasheet summary row (an offset, an upper-case name and a mode in some order).
pub fn suggest_columns(toks: &[&str]) -> Option<String> {
    let kinds: Vec<Guess> = toks.iter().map(|t| guess(t)).collect();
    let off = kinds.iter().position(|&k| k == Guess::Offset)?;
    let name = kinds.iter().position(|&k| k == Guess::Name)?;
    let mode = kinds.iter().rposition(|&k| k == Guess::Mode)?;
    // `NAME OFFSET ...` is a native row with a mistake, not a datasheet row.
    if mode <= off.max(name) || (name == 0 && off == 1) {
        return None;
    }
    let first = off.min(name);
    let second = off.max(name);
    let mut cols = vec!["ignore"; first];
    cols.push(if first == off { "offset" } else { "name" });
    cols.extend(std::iter::repeat_n("ignore", second - first - 1));
    cols.push(if second == off { "offset" } else { "name" });
    if mode > second + 1 {
        cols.push("description");
    }
    cols.push("mode");
    cols.extend(std::iter::repeat_n("ignore", toks.len() - mode - 1));
    Some(format!("@columns {}", cols.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin<'_> {
        Origin {
            text,
            base: Span {
                line: 1,
                col: 1,
                offset: 0,
                len: 0,
            },
        }
    }

    #[test]
    fn expressions() {
        let t = "0x01000 + 0x40*n, n=0...63 and 0x0D000 + 0x40*(n-64), n=64...127; RW";
        let (e, used) = offset_expr(origin(t)).unwrap();
        assert_eq!(&t[used..], "; RW");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].len(), 2);
        let a = e[0][1].array.as_ref().unwrap();
        assert_eq!(
            (
                e[0][1].base.value,
                a.step.value,
                a.k,
                a.min.value,
                a.max.value
            ),
            (0xD000, 0x40, 64, 64, 127)
        );
        let (e, _) = offset_expr(origin("0x00000 / 0x00004")).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1][0].base.value, 4);
        let (e, used) = offset_expr(origin("00008h STATUS")).unwrap();
        assert_eq!((e[0][0].base.value, used), (8, 6));
        let err = offset_expr(origin("0x01000 + 0x40*n")).unwrap_err();
        assert!(err.message.contains("index range"), "{err:?}");
    }

    #[test]
    fn headings() {
        let h = heading("Device Control Register — CTRL (0x00000 / 0x00004; RW)").unwrap();
        assert_eq!(
            (h.title, h.name.1, h.expr, h.mode),
            ("Device Control Register", "CTRL", "0x00000 / 0x00004", "RW")
        );
        let h = heading(
            "RDBAL[n] (0x01000 + 0x40*n, n=0...63 and 0x0D000 + 0x40*(n-64), n=64...127; RW)",
        )
        .unwrap();
        assert_eq!((h.title, h.name.1, h.mode), ("", "RDBAL", "RW"));
        let h = heading("Extended Interrupt Cause Register- EICR (0x00800; RW1C)").unwrap();
        assert_eq!(
            (h.title, h.name.1),
            ("Extended Interrupt Cause Register", "EICR")
        );
        assert!(heading("CTRL 0x0 - RW Device Control (see below)").is_none());
    }

    #[test]
    fn modes() {
        for (s, a) in [
            ("R/W", Access::RW),
            ("r", Access::RO),
            ("W", Access::WO),
            ("RC/W", Access::RTCW),
            ("rc/wc", Access::RTCW),
            ("RC/W1C", Access::RTCW),
            ("RC", Access::RC),
            ("RW1C", Access::W1C),
            ("R/W1C", Access::W1C),
            ("RWS", Access::RW),
            ("rw", Access::RW),
        ] {
            assert_eq!(datasheet_access(s), Some(a), "{s}");
        }
        assert_eq!(datasheet_access("Device"), None);
    }

    #[test]
    fn suggestions() {
        let row = ["General", "00008h", "STATUS", "Device", "Status", "R"];
        assert_eq!(
            suggest_columns(&row).unwrap(),
            "@columns ignore offset name description mode"
        );
        let row = [
            "0x00008", "STATUS", "Device", "Status", "Register", "General", "RO", "PERST", "8-2",
        ];
        assert_eq!(
            suggest_columns(&row).unwrap(),
            "@columns offset name description mode ignore ignore"
        );
    }
}
