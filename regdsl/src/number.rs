//! Numbers (`0x1F`, `0X1f`, `1Fh`, `31`, `11111b`, `_` separators allowed) and array layouts
//! (`+STEP*MIN..MAX`), parsed with nom inside one token.
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::{recognize, verify};
use nom::sequence::{pair, preceded, terminated};
use nom::IResult;

/// Why a token is not what was expected, and where (byte position in the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumError {
    pub at: usize,
    pub kind: NumErrorKind,
    /// The text from `at` to the end of the token.
    pub found: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumErrorKind {
    /// No number at all here.
    NotANumber,
    /// Something specific was expected (a `*`, a `..`).
    Expected(&'static str),
    /// More than 64 bits.
    TooLarge(String),
    /// A number followed by garbage.
    Trailing,
}

impl NumError {
    /// A one-line message; `what` names the expected number ("an offset").
    pub fn message(&self, what: &str) -> String {
        let found = if self.found.is_empty() {
            "end of token".to_string()
        } else {
            format!("`{}`", self.found)
        };
        match &self.kind {
            NumErrorKind::NotANumber => format!(
                "expected {} (hex `0x1F` or `1Fh`, decimal `31` or binary `11111b`), found {found}",
                if what.is_empty() { "a number" } else { what }
            ),
            NumErrorKind::Expected(e) => format!("expected {e}, found {found}"),
            NumErrorKind::TooLarge(t) => format!("number `{t}` does not fit in 64 bits"),
            NumErrorKind::Trailing => format!("unexpected {found} after the number"),
        }
    }
}

fn hex_digits(s: &str) -> IResult<&str, &str> {
    preceded(
        alt((tag("0x"), tag("0X"))),
        verify(
            take_while1(|c: char| c.is_ascii_hexdigit() || c == '_'),
            |d: &str| d.chars().any(|c| c != '_'),
        ),
    )(s)
}

/// Datasheet hex (`00008h`, `1Fh`): starts with a decimal digit, as in Intel's manuals, so that
/// a name like `FFh` is not a number.
fn hex_h_digits(s: &str) -> IResult<&str, &str> {
    terminated(
        recognize(pair(
            take_while1(|c: char| c.is_ascii_digit()),
            take_while(|c: char| c.is_ascii_hexdigit() || c == '_'),
        )),
        alt((char('h'), char('H'))),
    )(s)
}

fn bin_digits(s: &str) -> IResult<&str, &str> {
    terminated(
        recognize(pair(
            take_while1(|c: char| c == '0' || c == '1'),
            take_while(|c: char| c == '0' || c == '1' || c == '_'),
        )),
        char('b'),
    )(s)
}

fn dec_digits(s: &str) -> IResult<&str, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_digit()),
        take_while(|c: char| c.is_ascii_digit() || c == '_'),
    ))(s)
}

/// A number at the start of `s`: `(value, bytes consumed)`.
fn number_prefix(s: &str) -> Result<(u64, usize), NumError> {
    match fast_prefix(s.as_bytes()) {
        Some(r) => Ok(r),
        None => nom_prefix(s),
    }
}

/// [`nom_prefix`]'s successes without its cost (the parser's hot path: every offset, bit
/// range, value and reset): the same four forms tried in the same order, digits summed in
/// place. `None` when `s` is not a number or does not fit: [`nom_prefix`] then says why.
/// `fast_prefix_agrees_with_nom` checks both on every short string of number characters.
fn fast_prefix(b: &[u8]) -> Option<(u64, usize)> {
    let run =
        |from: usize, f: fn(u8) -> bool| from + b[from..].iter().take_while(|&&c| f(c)).count();
    let hex_ = |c: u8| c.is_ascii_hexdigit() || c == b'_';
    let alnum_at = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let (start, end, radix, consumed) = if b.starts_with(b"0x") || b.starts_with(b"0X") {
        let e = run(2, hex_);
        if !b[2..e].iter().any(|&c| c != b'_') {
            return None;
        }
        (2, e, 16u32, e)
    } else {
        let d = run(0, |c| c.is_ascii_digit());
        if d == 0 {
            return None;
        }
        let h = run(d, hex_);
        if matches!(b.get(h), Some(b'h' | b'H')) && !alnum_at(h + 1) {
            (0, h, 16, h + 1)
        } else {
            let o = run(0, |c| c == b'0' || c == b'1');
            let o2 = run(o, |c| c == b'0' || c == b'1' || c == b'_');
            if o > 0 && b.get(o2) == Some(&b'b') {
                if alnum_at(o2 + 1) {
                    return None;
                }
                (0, o2, 2, o2 + 1)
            } else {
                let e = run(d, |c| c.is_ascii_digit() || c == b'_');
                (0, e, 10, e)
            }
        }
    };
    let mut v: u64 = 0;
    for &c in &b[start..end] {
        if c != b'_' {
            let digit = char::from(c).to_digit(radix)?;
            v = v
                .checked_mul(u64::from(radix))?
                .checked_add(u64::from(digit))?;
        }
    }
    Some((v, consumed))
}

/// The nom grammar of a number, with errors.
fn nom_prefix(s: &str) -> Result<(u64, usize), NumError> {
    let err = |at: usize, kind| NumError {
        at,
        kind,
        found: s[at..].to_string(),
    };
    let (rest, digits, radix) = if let Ok((rest, d)) = hex_digits(s) {
        (rest, d, 16)
    } else if s.starts_with("0x") || s.starts_with("0X") {
        return Err(err(2, NumErrorKind::Expected("hex digits after `0x`")));
    } else if let Some((rest, d)) = hex_h_digits(s)
        .ok()
        .filter(|(rest, _)| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()))
    {
        (rest, d, 16)
    } else if let Ok((rest, d)) = bin_digits(s) {
        // `101b` is binary, but `101bad` is not a number.
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(err(s.len() - rest.len() - 1, NumErrorKind::Trailing));
        }
        (rest, d, 2)
    } else if let Ok((rest, d)) = dec_digits(s) {
        (rest, d, 10)
    } else {
        return Err(err(0, NumErrorKind::NotANumber));
    };
    let consumed = s.len() - rest.len();
    let value = if digits.contains('_') {
        u64::from_str_radix(&digits.replace('_', ""), radix)
    } else {
        u64::from_str_radix(digits, radix)
    };
    let value = value.map_err(|_| err(0, NumErrorKind::TooLarge(s[..consumed].to_string())))?;
    Ok((value, consumed))
}

/// Whether `s` is one whole number (`parse_number(s).is_ok()`, without building an error).
pub fn is_number(s: &str) -> bool {
    fast_whole(s.as_bytes()).is_some()
        || fast_prefix(s.as_bytes()).is_some_and(|(_, n)| n == s.len())
}

/// The commonest whole numbers in one pass: decimal digits only (`64`, at most 19: no
/// overflow) and `0x` with 1 to 16 hex digits (no `_`). `None` for anything else, which
/// [`fast_prefix`] and then nom read. `fast_prefix_agrees_with_nom` checks it.
fn fast_whole(b: &[u8]) -> Option<u64> {
    if let [b'0', b'x' | b'X', digits @ ..] = b {
        if digits.is_empty() || digits.len() > 16 {
            return None;
        }
        let mut v = 0u64;
        for &c in digits {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return None,
            };
            v = v << 4 | u64::from(d);
        }
        return Some(v);
    }
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Some(v)
}

/// A whole token that must be one number.
pub fn parse_number(s: &str) -> Result<u64, NumError> {
    if let Some(v) = fast_whole(s.as_bytes()) {
        return Ok(v);
    }
    let (v, n) = number_prefix(s)?;
    if n != s.len() {
        return Err(NumError {
            at: n,
            kind: NumErrorKind::Trailing,
            found: s[n..].to_string(),
        });
    }
    Ok(v)
}

/// The parts of `+STEP*MIN..MAX`: `(position, length, value)` of each number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutParts {
    pub step: (usize, usize, u64),
    pub min: (usize, usize, u64),
    pub max: (usize, usize, u64),
}

/// `+STEP*MIN..MAX` (the caller handles `-`).
pub fn parse_layout(s: &str) -> Result<LayoutParts, NumError> {
    let expect = |at: usize, lit: &'static str, what: &'static str| -> Result<usize, NumError> {
        // What nom's `tag` does, without building its error.
        if s[at..].starts_with(lit) {
            Ok(at + lit.len())
        } else {
            Err(NumError {
                at,
                kind: NumErrorKind::Expected(what),
                found: s[at..].to_string(),
            })
        }
    };
    let num = |at: usize, what: &'static str| -> Result<(usize, usize, u64), NumError> {
        let (v, n) = number_prefix(&s[at..]).map_err(|mut e| {
            if e.kind == NumErrorKind::NotANumber {
                e.kind = NumErrorKind::Expected(what);
            }
            e.at += at;
            e.found = s[e.at..].to_string();
            e
        })?;
        Ok((at, n, v))
    };
    let at = expect(
        0,
        "+",
        "a layout: `-` (one register) or `+STEP*MIN..MAX` (an array)",
    )?;
    let step = num(at, "the step after `+`")?;
    let at = expect(step.0 + step.1, "*", "`*` after the step")?;
    let min = num(at, "the first index after `*`")?;
    let at = expect(min.0 + min.1, "..", "`..` between the first and last index")?;
    let max = num(at, "the last index after `..`")?;
    let end = max.0 + max.1;
    if end != s.len() {
        return Err(NumError {
            at: end,
            kind: NumErrorKind::Trailing,
            found: s[end..].to_string(),
        });
    }
    Ok(LayoutParts { step, min, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x01000"), Ok(0x1000));
        assert_eq!(parse_number("1__0"), Ok(10));
        assert_eq!(parse_number("0X0F400"), Ok(0xF400));
        assert_eq!(parse_number("0xabCD"), Ok(0xabcd));
        assert_eq!(parse_number("64"), Ok(64));
        assert_eq!(parse_number("001b"), Ok(1));
        assert_eq!(parse_number("1_000"), Ok(1000));
        assert_eq!(parse_number("0x1b"), Ok(0x1b));
        assert!(parse_number("0x").is_err());
        assert!(parse_number("12b3").is_err());
        assert!(parse_number("102b").is_err());
        assert!(parse_number("0x1_0000_0000_0000_0000").is_err());
        assert_eq!(parse_number("0xFFFF_FFFF_FFFF_FFFF"), Ok(u64::MAX));
        assert_eq!(parse_number("0x10g").unwrap_err().at, 4);
        assert_eq!(parse_number("00008h"), Ok(8));
        assert_eq!(parse_number("1Fh"), Ok(0x1F));
        assert_eq!(parse_number("0000h"), Ok(0));
        assert_eq!(parse_number("0x0_001F"), Ok(0x1F));
        assert_eq!(parse_number("10b"), Ok(2));
        assert_eq!(parse_number("1Bh"), Ok(0x1B));
        assert!(parse_number("FFh").is_err());
        assert!(parse_number("1Fhx").is_err());
    }

    #[test]
    fn layouts() {
        let p = parse_layout("+0x40*64..127").unwrap();
        assert_eq!(p.step, (1, 4, 0x40));
        assert_eq!(p.min, (6, 2, 64));
        assert_eq!(p.max, (10, 3, 127));
        assert_eq!(parse_layout("+4*0..7").unwrap().step.2, 4);
        let e = parse_layout("+0x40*0..").unwrap_err();
        assert_eq!(e.at, 9);
        assert_eq!(
            e.message(""),
            "expected the last index after `..`, found end of token"
        );
        let e = parse_layout("+0x40-0..3").unwrap_err();
        assert_eq!(e.message(""), "expected `*` after the step, found `-0..3`");
    }

    /// The fast path gives what the nom grammar gives, on every string of up to 4 characters
    /// from the ones numbers are made of (and a few longer ones).
    #[test]
    fn fast_prefix_agrees_with_nom() {
        let mut checked = 0;
        crate::exhaustive::each_string(b"0129aAbBfFhHxX_g", 1, 4, |s| {
            match fast_prefix(s.as_bytes()) {
                Some(fast) => {
                    assert_eq!(Ok(fast), nom_prefix(s), "{s:?}");
                    checked += 1;
                }
                // `is_number` relies on this too.
                None => assert!(nom_prefix(s).is_err(), "{s:?}"),
            }
            assert_eq!(is_number(s), parse_number(s).is_ok(), "{s:?}");
            if let Some(v) = fast_whole(s.as_bytes()) {
                assert_eq!(nom_prefix(s), Ok((v, s.len())), "{s:?}");
            }
        });
        assert!(checked > 1000, "{checked}");
        for s in [
            "0xFFFF_FFFF_FFFF_FFFF",
            "0x1_0000_0000_0000_0000",
            "18446744073709551615",
            "18446744073709551616",
            "1111111111111111111111111111111111111111111111111111111111111111b",
            "FFFFFFFFFFFFFFFFFh",
            "0FFFFFFFFFFFFFFFFh",
            "00008h",
            "0x0_001F",
            "9999999999999999999",
            "0xFFFFFFFFFFFFFFFF",
            "0x10000000000000000",
            "0x0123456789abcdef",
            "0XABCDEF",
        ] {
            if let Some(v) = fast_whole(s.as_bytes()) {
                assert_eq!(nom_prefix(s), Ok((v, s.len())), "{s:?}");
            }
            if let Some(fast) = fast_prefix(s.as_bytes()) {
                assert_eq!(Ok(fast), nom_prefix(s), "{s:?}");
            } else {
                assert!(nom_prefix(s).is_err(), "{s:?}");
            }
        }
    }
}
