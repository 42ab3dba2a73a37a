//! `repr()` building blocks: Python's quoting of strings, optional strings and lists.

use std::fmt::Write as _;

/// `s` as Python's `repr()` writes a `str`: single quotes (double quotes when `s` holds a
/// single quote and no double quote), with backslashes, the quote and control characters
/// escaped.
pub(crate) fn quote(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let code = u32::from(c);
                let _ = if code <= 0xff {
                    write!(out, "\\x{code:02x}")
                } else {
                    write!(out, "\\u{code:04x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// An optional string: `None` or its quoted form.
pub(crate) fn quote_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), quote)
}

/// A list of strings, as Python prints a `list[str]`.
pub(crate) fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_python() {
        assert_eq!(quote("wh_1"), "'wh_1'");
        assert_eq!(quote("it's"), "\"it's\"");
        assert_eq!(quote("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(quote("x\ny\\\u{1}"), "'x\\ny\\\\\\x01'");
        assert_eq!(quote_opt(None), "None");
        assert_eq!(quote_list(&["a", "b"]), "['a', 'b']");
    }
}
