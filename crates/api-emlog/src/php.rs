//! The two PHP string functions whose exact output emlog clients see.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What PHP `rawurlencode` leaves alone: letters, digits and `-_.~` (RFC 3986 unreserved).
const RAWURLENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// PHP `htmlspecialchars` with its PHP 8 defaults (`ENT_QUOTES | ENT_SUBSTITUTE`): `&`,
/// `"`, `'`, `<` and `>` become entities. emlog escapes titles in details, author names,
/// category and tag names and commenters' names this way before sending them.
pub fn htmlspecialchars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// PHP `rawurlencode`: every UTF-8 byte but `A-Za-z0-9-_.~` percent-encoded, upper-case
/// hex (emlog tag URLs `?tag=<name>`).
pub fn rawurlencode(text: &str) -> String {
    utf8_percent_encode(text, RAWURLENCODE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_php_output() {
        assert_eq!(rawurlencode("C++ 语言~a.b-c_d"), "C%2B%2B%20%E8%AF%AD%E8%A8%80~a.b-c_d");
        assert_eq!(
            htmlspecialchars(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;"
        );
    }
}
