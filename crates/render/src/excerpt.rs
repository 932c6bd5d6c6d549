//! Automatic excerpts.

use crate::text::is_cjk;

/// The mark appended to a cut excerpt.
pub const ELLIPSIS: char = '…';

/// A sentence end must lie in the last 30 % of the window to be preferred over a cut at a
/// word boundary closer to the limit (otherwise a short first sentence would make a tiny
/// excerpt).
const SENTENCE_WINDOW_PERCENT: usize = 30;

/// Cuts plain `text` (e.g. [`crate::Rendered::text`]) to at most `max_chars` characters
/// (Unicode scalar values, not bytes; the appended `…` counts).
///
/// * Whitespace is normalized first: runs collapse to one space and the ends are trimmed; a
///   line break between two CJK characters disappears. If the result has at most
///   `max_chars` characters it is returned whole, without `…`.
/// * Otherwise the text is cut and `…` appended. The cut prefers a sentence end (`。！？；`
///   or `.!?` followed by a space) in the last ~30 % of the window, keeping a closing quote
///   or bracket right after it; else the last word boundary (never inside a run of Latin
///   letters or digits; between CJK characters every position is a boundary, so Chinese
///   text is cut right at the limit). Dangling spaces, commas and colons before the `…`
///   are dropped.
/// * A single run of Latin letters/digits longer than the whole window is the only thing
///   ever cut mid-word, since there is no other way to return anything.
/// * `max_chars == 0` gives an empty string. Never panics; never splits a UTF-8 sequence.
pub fn auto_excerpt(text: &str, max_chars: usize) -> String {
    let normalized = normalize_whitespace(text);
    // Only the first `max_chars + 1` characters matter.
    let chars: Vec<char> = normalized.chars().take(max_chars.saturating_add(1)).collect();
    if chars.len() <= max_chars {
        return normalized;
    }
    if max_chars == 0 {
        return String::new();
    }
    // Room for the content; the ellipsis takes the last character.
    let window = max_chars - 1;
    let cut = sentence_cut(&chars, window).unwrap_or_else(|| word_cut(&chars, window));
    let mut out: String = chars[..cut].iter().collect();
    let trimmed_len =
        out.trim_end_matches(|c: char| c.is_whitespace() || ",，、:：;-–—(（[【「『“‘".contains(c)).len();
    out.truncate(trimmed_len);
    if !out.ends_with(ELLIPSIS) {
        out.push(ELLIPSIS);
    }
    out
}

/// Collapses whitespace runs to one space (none between two CJK characters when the run
/// holds a line break) and trims both ends.
fn normalize_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut pending_newline = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
            pending_newline |= c == '\n' || c == '\r';
            continue;
        }
        if c.is_control() {
            continue;
        }
        if pending_space
            && let Some(last) = out.chars().next_back()
            && !(pending_newline && is_cjk(last) && is_cjk(c))
        {
            out.push(' ');
        }
        pending_space = false;
        pending_newline = false;
        out.push(c);
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

fn is_closing(c: char) -> bool {
    "”’」』）)]】》〉\"'".contains(c)
}

/// The end (exclusive index) of the last sentence in the last 30 % of `chars[..window]`.
fn sentence_cut(chars: &[char], window: usize) -> Option<usize> {
    let earliest = window - window * SENTENCE_WINDOW_PERCENT / 100;
    (earliest.max(1)..=window).rev().find(|&end| {
        // `end` is a candidate cut: chars[..end] is kept.
        let mut last = end - 1;
        // Let closing quotes/brackets ride along with the sentence end before them.
        while last > 0 && is_closing(chars[last]) {
            last -= 1;
        }
        let c = chars[last];
        let next = chars.get(end).copied();
        let ends_sentence = match c {
            '。' | '！' | '？' | '；' | '…' => true,
            '.' | '!' | '?' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        // Do not split a run of closing marks.
        let closes_cleanly = next.is_none_or(|n| !is_closing(n));
        ends_sentence && closes_cleanly
    })
}

/// The last position `<= window` that is not inside a run of Latin letters/digits.
fn word_cut(chars: &[char], window: usize) -> usize {
    (1..=window)
        .rev()
        .find(|&end| !(is_word_char(chars[end - 1]) && is_word_char(chars[end])))
        .unwrap_or(window)
}

#[cfg(test)]
mod tests {
    use super::auto_excerpt;

    fn len(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn short_text_is_returned_whole() {
        assert_eq!(auto_excerpt("  Hello,\n\n world  ", 100), "Hello, world");
        assert_eq!(auto_excerpt("中文", 2), "中文");
        assert_eq!(auto_excerpt("", 5), "");
        assert_eq!(auto_excerpt("abc", 0), "");
        assert_eq!(auto_excerpt("abc", 1), "…");
    }

    #[test]
    fn english_cuts_at_word_boundary() {
        let text = "The quick brown fox jumps over the lazy dog";
        let out = auto_excerpt(text, 20);
        assert_eq!(out, "The quick brown fox…");
        assert!(len(&out) <= 20);
        // Never mid-word: "jumps" is not split.
        let out = auto_excerpt(text, 23);
        assert_eq!(out, "The quick brown fox…");
    }

    #[test]
    fn english_prefers_sentence_end() {
        let text = "Rust is fast. It is also safe and quite pleasant to write.";
        assert_eq!(auto_excerpt(text, 18), "Rust is fast.…");
        // A decimal point is not a sentence end.
        let out = auto_excerpt("Version 3.14 brings many things", 14);
        assert_eq!(out, "Version 3.14…");
    }

    #[test]
    fn chinese_cuts_at_punctuation_or_limit() {
        let text = "今天天气很好。我们去公园散步，然后吃了午饭，最后回家休息。";
        let out = auto_excerpt(text, 9);
        assert_eq!(out, "今天天气很好。…");
        // No punctuation in the last 30 %: cut right at the limit.
        let text = "一二三四五六七八九十一二三四五六七八九十";
        let out = auto_excerpt(text, 10);
        assert_eq!(out, "一二三四五六七八九…");
        assert_eq!(len(&out), 10);
        // A closing quote rides along with the sentence end.
        assert_eq!(auto_excerpt("他说：“好的。”然后离开了房间", 9), "他说：“好的。”…");
    }

    #[test]
    fn never_exceeds_and_never_panics() {
        let text = "混合 mixed 文本。With English words, 标点！And more… 还有😀表情";
        for max in 0..60 {
            let out = auto_excerpt(text, max);
            assert!(len(&out) <= max, "{max}: {out}");
        }
        // A URL is cut at one of its punctuation boundaries; a giant word is cut hard
        // rather than dropped.
        assert_eq!(auto_excerpt("https://example.com/a/very/long/path", 10), "https://…");
        assert_eq!(auto_excerpt("Pneumonoultramicroscopic", 10), "Pneumonou…");
    }

    #[test]
    fn dangling_punctuation_is_trimmed() {
        assert_eq!(auto_excerpt("alpha, beta gamma delta", 9), "alpha…");
        assert_eq!(auto_excerpt("第一项，第二项，第三项，第四项", 9), "第一项，第二项…");
    }
}
