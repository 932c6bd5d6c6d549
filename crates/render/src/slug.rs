//! URL slugs: generated from titles ([`slugify`]) and chosen by users ([`normalize_user_slug`]).

/// Longest slug [`slugify`] returns, in bytes (= characters, the output is ASCII).
pub const MAX_GENERATED_SLUG_LEN: usize = 80;

/// Longest slug a user may choose, in characters (see [`is_valid_slug`]).
pub const MAX_USER_SLUG_CHARS: usize = 200;

/// A lowercase ASCII slug for `title`: only `[a-z0-9-]`, no leading, trailing or doubled
/// `-`, at most [`MAX_GENERATED_SLUG_LEN`] bytes (a longer one is cut at the last `-` that
/// keeps it within the limit, or hard at the limit when the first word alone is longer).
///
/// * Latin letters lose their accents (`Café` -> `cafe`, `ß` -> `ss`); other scripts are
///   transliterated with `deunicode` (`Привет` -> `privet`, `テスト` -> `tesuto`).
/// * Every Chinese character becomes its own pinyin syllable, without tones:
///   `你好世界` -> `ni-hao-shi-jie`, `Rust异步编程` -> `rust-yi-bu-bian-cheng`.
/// * Apostrophes are dropped (`don't` -> `dont`, `Rust’s` -> `rusts`); every other run of
///   punctuation, symbols, emoji and spaces becomes one `-`.
///
/// Returns `""` when nothing in the title is a letter or digit (empty, only emoji or
/// punctuation); the caller then needs a fallback (an id, a date, "untitled").
pub fn slugify(title: &str) -> String {
    let mut raw = String::with_capacity(title.len() * 2);
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            raw.push(c.to_ascii_lowercase());
        } else if is_apostrophe(c) {
            // Dropped: "don't" -> "dont".
        } else if c.is_alphanumeric() {
            let latin = deunicode::deunicode_char(c).unwrap_or("");
            if is_han(c) {
                raw.push('-');
                raw.push_str(latin);
                raw.push('-');
            } else {
                raw.push_str(latin);
            }
        } else if deunicode::deunicode_char(c).is_some_and(str::is_empty) {
            // Combining marks, zero-width joiners, soft hyphens: part of the word.
        } else {
            raw.push('-');
        }
    }

    let mut slug = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if is_apostrophe(c) {
            // A transliteration may contain one (deunicode output of some letters).
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    truncate_at_dash(slug, MAX_GENERATED_SLUG_LEN)
}

/// Cuts an ASCII slug to at most `max` bytes at a `-` boundary when there is one.
fn truncate_at_dash(mut slug: String, max: usize) -> String {
    if slug.len() <= max {
        return slug;
    }
    // A `-` at index `max` means the first `max` bytes end on a whole word.
    let cut = match slug[..=max].rfind('-') {
        Some(i) if i > 0 => i,
        _ => max,
    };
    slug.truncate(cut);
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´')
}

/// Han ideographs (CJK Unified, extensions and compatibility blocks, and `〇`).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{323AF}'
    )
}

/// Whether `s` may be stored as a slug chosen by a user, as it is.
///
/// Accepted: 1 to [`MAX_USER_SLUG_CHARS`] characters, each a Unicode letter or digit that is
/// not uppercase (so `关于我们`, `café`, `hello-world_2` are fine; `Hello` is not, lowercase
/// it first or use [`normalize_user_slug`]), `-` or `_`; at least one letter or digit.
/// Rejected: whitespace, `/`, `.`, `%`, `?`, `#` and every other punctuation or symbol, so
/// a slug is always a single, unambiguous path segment. Numeric slugs (`2024`) are valid;
/// a route that also takes numeric ids must decide which wins.
pub fn is_valid_slug(s: &str) -> bool {
    let mut chars = 0;
    let mut has_alnum = false;
    for c in s.chars() {
        chars += 1;
        if chars > MAX_USER_SLUG_CHARS {
            return false;
        }
        if c.is_alphanumeric() {
            if c.is_uppercase() {
                return false;
            }
            has_alnum = true;
        } else if c != '-' && c != '_' {
            return false;
        }
    }
    has_alnum
}

/// A user-supplied slug trimmed of surrounding whitespace and lowercased, or `None` when the
/// result is not [`is_valid_slug`] (inner spaces, `/`, punctuation, empty, too long).
/// `"  Hello-World "` -> `Some("hello-world")`; `"关于 我们"` -> `None`.
pub fn normalize_user_slug(s: &str) -> Option<String> {
    let slug = s.trim().to_lowercase();
    is_valid_slug(&slug).then_some(slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chinese_becomes_pinyin_syllables() {
        assert_eq!(slugify("你好世界"), "ni-hao-shi-jie");
        assert_eq!(slugify("Rust异步编程"), "rust-yi-bu-bian-cheng");
        assert_eq!(slugify("中文Title混合"), "zhong-wen-title-hun-he");
        assert_eq!(slugify("2024年总结"), "2024-nian-zong-jie");
    }

    #[test]
    fn latin_titles() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("Don't Panic"), "dont-panic");
        assert_eq!(slugify("Rust’s async story"), "rusts-async-story");
        assert_eq!(slugify("  --Café  crème-- "), "cafe-creme");
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("Cafe\u{301}"), "cafe");
        assert_eq!(slugify("Hexo 4.0 released"), "hexo-4-0-released");
        assert_eq!(slugify("C++ & Rust"), "c-rust");
    }

    #[test]
    fn other_scripts() {
        assert_eq!(slugify("Привет мир"), "privet-mir");
        assert_eq!(slugify("日本語テスト"), "ri-ben-yu-tesuto");
    }

    #[test]
    fn nothing_to_transliterate_gives_empty() {
        assert_eq!(slugify(""), "");
        assert_eq!(slugify("🎉🦀"), "");
        assert_eq!(slugify("？！——"), "");
        assert_eq!(slugify("🎉 Release"), "release");
    }

    #[test]
    fn long_titles_are_cut_at_a_dash() {
        let title = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Aliquam justo turpis, tincidunt ac convallis id.";
        let slug = slugify(title);
        assert_eq!(slug, "lorem-ipsum-dolor-sit-amet-consectetur-adipiscing-elit-aliquam-justo-turpis");
        assert!(slug.len() <= MAX_GENERATED_SLUG_LEN);
        let one_word = "a".repeat(100);
        assert_eq!(slugify(&one_word).len(), MAX_GENERATED_SLUG_LEN);
        // A dash exactly after the 80th byte keeps the whole 80 bytes.
        let exact = format!("{} tail", "b".repeat(80));
        assert_eq!(slugify(&exact), "b".repeat(80));
    }

    #[test]
    fn user_slugs() {
        assert!(is_valid_slug("hello-world_2"));
        assert!(is_valid_slug("关于我们"));
        assert!(is_valid_slug("café"));
        assert!(is_valid_slug("2024"));
        assert!(!is_valid_slug(""));
        assert!(!is_valid_slug("---"));
        assert!(!is_valid_slug("Hello"));
        assert!(!is_valid_slug("a/b"));
        assert!(!is_valid_slug("a b"));
        assert!(!is_valid_slug("a.html"));
        assert!(!is_valid_slug("../etc"));
        assert!(!is_valid_slug("a%2Fb"));
        assert!(is_valid_slug(&"字".repeat(200)));
        assert!(!is_valid_slug(&"字".repeat(201)));
        assert_eq!(normalize_user_slug("  Hello-World "), Some("hello-world".into()));
        assert_eq!(normalize_user_slug(" 关于我们\n"), Some("关于我们".into()));
        assert_eq!(normalize_user_slug("关于 我们"), None);
        assert_eq!(normalize_user_slug("   "), None);
    }

    proptest! {
        #[test]
        fn slugify_output_is_always_clean(title in "\\PC{0,200}") {
            let slug = slugify(&title);
            prop_assert!(slug.len() <= MAX_GENERATED_SLUG_LEN);
            prop_assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{slug:?}");
            prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{slug:?}");
            prop_assert!(!slug.contains("--"), "{slug:?}");
        }

        #[test]
        fn slugify_mixed_scripts_is_clean(title in "[a-zA-Z0-9 '’你好世界中文编程🎉,.!-]{0,300}") {
            let slug = slugify(&title);
            prop_assert!(slug.len() <= MAX_GENERATED_SLUG_LEN);
            prop_assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{slug:?}");
            prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{slug:?}");
            prop_assert!(!slug.contains("--"), "{slug:?}");
        }

        #[test]
        fn slugify_is_a_valid_user_slug_when_not_empty(title in "\\PC{0,100}") {
            let slug = slugify(&title);
            prop_assert!(slug.is_empty() || is_valid_slug(&slug));
            prop_assert_eq!(slugify(&slug), slug.clone());
        }

        #[test]
        fn normalized_user_slugs_are_valid(s in "\\PC{0,50}") {
            if let Some(slug) = normalize_user_slug(&s) {
                prop_assert!(is_valid_slug(&slug));
                prop_assert!(!slug.contains('/') && !slug.contains(char::is_whitespace));
            }
        }
    }
}
