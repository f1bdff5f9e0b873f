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
    // Keywords are lower case but `Self`, and have at most 8 letters: most names skip the list.
    let maybe =
        name.len() <= 8 && (name.starts_with(|c: char| c.is_ascii_lowercase()) || name == "Self");
    if maybe && KEYWORDS.contains(&name) {
        return Some(format!("`{name}` is a Rust keyword and cannot be a name"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::ident_problem;

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
}
