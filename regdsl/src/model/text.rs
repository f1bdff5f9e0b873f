//! [`Text`]: the model's names and descriptions, inline up to 24 bytes.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// An immutable text of the model (a name or a description). Texts of up to 24 bytes are stored
/// inline (no allocation: the generated 10,000-register table has 70,000 of them), longer ones on the
/// heap. Reads as `&str` through `Deref` and [`Text::as_str`]; compares with `str`, `&str` and
/// `String`; quotes as a string literal (like `String`) and formats into identifiers
/// (`format_ident!`) in generated code.
///
/// ```
/// use regdsl::model::Text;
/// let t = Text::from("RDBAL");
/// assert_eq!(t, "RDBAL");
/// assert!(t.starts_with("RD"));
/// assert_eq!(t.as_str().len(), 5);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(compact_str::CompactString);

impl Text {
    /// The text as `&str`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(compact_str::CompactString::new(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(compact_str::CompactString::from(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::from(s.as_str())
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(s: std::borrow::Cow<'_, str>) -> Text {
        match s {
            std::borrow::Cow::Borrowed(s) => Text::from(s),
            std::borrow::Cow::Owned(s) => Text::from(s),
        }
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0.into_string()
    }
}

macro_rules! eq_str {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Text {
            fn eq(&self, other: &$t) -> bool {
                self.as_str() == &other[..]
            }
        }
        impl PartialEq<Text> for $t {
            fn eq(&self, other: &Text) -> bool {
                &self[..] == other.as_str()
            }
        }
    )*};
}
eq_str!(str, &str, String);

impl quote::ToTokens for Text {
    /// A string literal, as for `String`.
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        self.as_str().to_tokens(tokens)
    }
}

impl quote::IdentFragment for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn text_reads_compares_and_quotes_like_a_string() {
        let long = "Receive Descriptor Base Address Low (a description longer than 24 bytes)";
        for s in ["", "RDBAL", "ABCDEFGHIJKLMNOPQRSTUVWX", long] {
            let t = Text::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(&*t, s);
            let owned = s.to_string();
            assert_eq!(t, s);
            assert_eq!(t, *s);
            assert_eq!(t, owned);
            assert_eq!(s, t);
            assert_eq!(owned, t);
            assert_eq!(t.to_string(), s);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
            assert_eq!(String::from(t.clone()), s);
            assert_eq!(Text::from(s.to_string()), t);
            let q = quote::quote!(#t).to_string();
            let q_string = quote::quote!(#s).to_string();
            assert_eq!(q, q_string);
        }
        let id = quote::format_ident!("{}_mut", Text::from("GPRC"));
        assert_eq!(id.to_string(), "GPRC_mut");
    }
}
