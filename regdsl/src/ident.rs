//! Names are used as Rust identifiers as they are (upper case included).

/// Rust's strict and reserved keywords (2015-2024 editions); none of them can name a register,
/// field or value.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "try",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

/// Why `name` cannot be used as a Rust identifier, or `None` if it can.
pub fn ident_problem(name: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("a name cannot be empty".to_string());
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Some(format!(
            "`{name}` is not a valid name: names must start with a letter or `_` (they become Rust identifiers)"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Some(format!(
            "`{name}` is not a valid name: `{bad}` is not allowed (names are Rust identifiers: letters, digits, `_`)"
        ));
    }
    if name == "_" {
        return Some("`_` is not a valid name (it is Rust's placeholder)".to_string());
    }
    if is_keyword(name) {
        return Some(format!("`{name}` is a Rust keyword and cannot be a name"));
    }
    None
}

/// Whether `name` is one of [`KEYWORDS`].
#[inline]
fn is_keyword(name: &str) -> bool {
    // Keywords are lower case but `Self`, and have at most 8 letters: most names skip the list.
    let maybe =
        name.len() <= 8 && (matches!(name.as_bytes().first(), Some(b'a'..=b'z')) || name == "Self");
    maybe && KEYWORDS.contains(&name)
}

/// What [`ident_problem`] accepts, without building its message: the check for every name of a
/// table (the resolver's and codegen's), byte by byte (a non-ASCII character has no ASCII byte,
/// so it fails as it would as a `char`).
pub(crate) fn is_ident(name: &str) -> bool {
    let b = name.as_bytes();
    matches!(b.first(), Some(&c) if c == b'_' || c.is_ascii_alphabetic())
        && b[1..]
            .iter()
            .all(|&c| c == b'_' || c.is_ascii_alphanumeric())
        && name != "_"
        && !is_keyword(name)
}

#[cfg(test)]
mod tests {
    use super::{ident_problem, is_ident};

    #[test]
    fn identifiers() {
        assert_eq!(ident_problem("RDBAL"), None);
        assert_eq!(ident_problem("fw_rev"), None);
        assert_eq!(ident_problem("_X1"), None);
        assert!(ident_problem("1X").is_some());
        assert!(ident_problem("RDBAL[0]").is_some());
        assert!(ident_problem("type").is_some());
        assert!(ident_problem("Self").is_some());
        assert!(ident_problem("_").is_some());
        assert!(ident_problem("É").is_some());
    }

    /// `is_ident` accepts exactly what `ident_problem` accepts, on every name of up to 3
    /// characters from letters, digits, `_` and a few others, and on the keywords.
    #[test]
    fn is_ident_agrees_with_ident_problem() {
        crate::exhaustive::each_string(b"aZs_9-.Sf", 0, 3, |s| {
            assert_eq!(is_ident(s), ident_problem(s).is_none(), "{s:?}");
        });
        for k in ["type", "Self", "self", "async", "_", "1X", "É", "abstract"] {
            assert!(!is_ident(k), "{k}");
        }
        assert!(is_ident("RDBAL") && is_ident("fw_revision_x"));
    }
}
