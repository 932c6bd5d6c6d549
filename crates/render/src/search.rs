//! Word segmentation for the search index and for queries (jieba `cut_for_search`).
//!
//! The database does the full-text indexing (SQLite FTS5 with the `unicode61` tokenizer,
//! PostgreSQL `tsvector`); this module only turns text into space-separated *terms* so that
//! Chinese, which has no spaces, is split into words the database can index. Both sides go
//! through the same steps, so a term of a query is found when the indexed text contains it:
//!
//! 1. Normalize: lowercase; full-width ASCII (`Ｒｕｓｔ`, `１２３`) folded to ASCII; the English
//!    possessive `'s` / `’s` after a letter or digit dropped (`Rust's` -> `rust`); an
//!    apostrophe between two letters or digits dropped (`don't` -> `dont`).
//! 2. Split into runs of letters, digits and the connectors `+ # & . _ % -`.
//! 3. Runs that are plain ASCII or contain CJK characters are cut by jieba in search mode with
//!    HMM on: a long word yields its dictionary 2- and 3-character sub-words as well as itself
//!    (`中华人民共和国` -> `中华`, `华人`, `人民`, `共和`, `共和国`, `中华人民共和国`), and
//!    `rust-lang` yields `rust`, `lang` and `rust-lang`. Other runs (`café`, `привет`) are kept
//!    whole, plus their parts when they contain connectors.
//! 4. Tokens without any letter or digit (punctuation, symbols, emoji, spaces) are dropped.
//!
//! The dictionary is the 100,000 most frequent entries of jieba's default dictionary
//! (`data/jieba-dict-100k.txt`, see `data/README.md`), embedded in the binary and loaded on
//! first use: a few megabytes of memory instead of about 33 MB for the full dictionary.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;

/// The embedded dictionary: `word freq tag` per line, 100,000 lines.
const DICT: &str = include_str!("../data/jieba-dict-100k.txt");

/// At most this many terms are taken from one query (the rest are ignored), so a pasted
/// essay cannot build a huge `MATCH` expression.
pub const MAX_QUERY_TERMS: usize = 32;

/// Only this many characters of a query are read; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 1_000;

/// Cuts Chinese and Latin text into search terms.
///
/// Obtain it with [`Segmenter::global`]; loading the dictionary takes some tens of
/// milliseconds and a few megabytes, once per process.
pub struct Segmenter {
    jieba: Jieba,
    entries: usize,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}

/// One term with its byte span in the normalized text (used to drop compounds from queries).
struct Term {
    text: String,
    start: usize,
    end: usize,
}

impl Segmenter {
    /// The process-wide segmenter, loaded on first use (thread-safe; later calls are free).
    /// Call it at start-up to pay the load time there rather than on the first search.
    pub fn global() -> &'static Segmenter {
        static SEGMENTER: LazyLock<Segmenter> = LazyLock::new(Segmenter::load);
        &SEGMENTER
    }

    fn load() -> Segmenter {
        // The dictionary is a checked-in file with integer frequencies; the unit tests load it,
        // so a failure here is a build defect, not a runtime condition.
        let jieba =
            Jieba::with_dict(&mut DICT.as_bytes()).expect("the embedded jieba dictionary is well-formed");
        let entries = DICT.lines().filter(|l| !l.trim().is_empty()).count();
        Segmenter { jieba, entries }
    }

    /// Number of entries in the loaded dictionary (100,000).
    pub fn dictionary_len(&self) -> usize {
        self.entries
    }

    /// `text` as space-separated lowercase terms, for an FTS5 `unicode61` column (or a
    /// PostgreSQL `simple` tsvector). Terms keep their order and repetitions (so ranking sees
    /// term frequency); sub-words of long words come before the word. Empty when `text` has
    /// no letters or digits.
    pub fn index_terms(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + text.len() / 2);
        self.for_each_term(text, false, |term| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&term.text);
        });
        out
    }

    /// The terms of a user's query, lowercase, without punctuation, without duplicates, in
    /// query order; empty when there are none; at most [`MAX_QUERY_TERMS`], from the first
    /// [`MAX_QUERY_CHARS`] characters.
    ///
    /// Cut the same way as [`Segmenter::index_terms`], with one difference: a compound whose
    /// letters are all covered by its own sub-words is replaced by them (`rust-lang` -> `rust`,
    /// `lang`; `中华人民共和国` -> `中华`, `华人`, `人民`, `共和`, `共和国`), so requiring
    /// every term (AND) also finds texts where the parts are written apart.
    /// `"rust 异步"` gives `["rust", "异步"]`.
    pub fn query_terms(&self, query: &str) -> Vec<String> {
        // Bounds the work (the compound check below is quadratic in the number of terms).
        let query = match query.char_indices().nth(MAX_QUERY_CHARS) {
            Some((end, _)) => &query[..end],
            None => query,
        };
        let mut terms = Vec::new();
        self.for_each_term(query, true, |t| terms.push(t));
        let covered: Vec<bool> = terms.iter().map(|t| is_covered_by_parts(t, &terms)).collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (term, covered) in terms.into_iter().zip(covered) {
            if covered || !seen.insert(term.text.clone()) {
                continue;
            }
            out.push(term.text);
            if out.len() == MAX_QUERY_TERMS {
                break;
            }
        }
        out
    }

    /// Calls `emit` with every term of `text`, in order. `query`: see [`Self::cut_run`].
    fn for_each_term(&self, text: &str, query: bool, mut emit: impl FnMut(Term)) {
        let normalized = normalize(text);
        let mut run_start: Option<usize> = None;
        for (i, c) in normalized.char_indices().chain(std::iter::once((normalized.len(), ' '))) {
            if is_run_char(c) {
                run_start.get_or_insert(i);
            } else if let Some(start) = run_start.take() {
                self.cut_run(&normalized[start..i], start, query, &mut emit);
            }
        }
    }

    /// Cuts one run of word characters starting at byte `offset` of the normalized text.
    ///
    /// In a `query`, a run that is exactly a two-character dictionary word stays whole:
    /// jieba sometimes splits such a word when it stands alone (`用者` -> `用`, `者`) although
    /// the index holds it as a sub-word of the longer word it came from (`使用者`).
    fn cut_run(&self, run: &str, offset: usize, query: bool, emit: &mut impl FnMut(Term)) {
        if query && run.chars().count() == 2 && run.chars().all(is_cjk_script) && self.jieba.has_word(run) {
            emit(Term { text: run.to_string(), start: offset, end: offset + run.len() });
            return;
        }
        if run.is_ascii() || run.chars().any(is_cjk_script) {
            for token in self.jieba.cut_for_search(run, true) {
                if token.word.chars().any(char::is_alphanumeric) {
                    emit(Term {
                        text: token.word.to_string(),
                        start: offset + token.byte_start,
                        end: offset + token.byte_end,
                    });
                }
            }
            return;
        }
        // A word in another script: keep it whole, and offer its parts when it has connectors.
        let lead = run.len() - run.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
        let whole = run.trim_matches(|c: char| !c.is_alphanumeric());
        if whole.is_empty() {
            return;
        }
        let whole_start = offset + lead;
        if whole.contains(|c: char| !c.is_alphanumeric()) {
            let mut pos = 0;
            for part in whole.split(|c: char| !c.is_alphanumeric()) {
                if !part.is_empty() {
                    emit(Term {
                        text: part.to_string(),
                        start: whole_start + pos,
                        end: whole_start + pos + part.len(),
                    });
                }
                pos += part.len() + 1;
            }
        }
        emit(Term { text: whole.to_string(), start: whole_start, end: whole_start + whole.len() });
    }
}

/// Whether every letter or digit of `term` lies inside some shorter term nested in its span.
fn is_covered_by_parts(term: &Term, all: &[Term]) -> bool {
    let parts: Vec<&Term> = all
        .iter()
        .filter(|p| p.start >= term.start && p.end <= term.end && (p.end - p.start) < (term.end - term.start))
        .collect();
    if parts.is_empty() {
        return false;
    }
    term.text.char_indices().all(|(i, c)| {
        let at = term.start + i;
        !c.is_alphanumeric() || parts.iter().any(|p| p.start <= at && at < p.end)
    })
}

/// Characters that belong to a run handed to the cutter.
fn is_run_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-')
}

/// Han ideographs, kana, Hangul and CJK compatibility forms: text jieba should cut.
fn is_cjk_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'     // Hiragana, Katakana
        | '\u{3100}'..='\u{312F}'   // Bopomofo
        | '\u{3400}'..='\u{4DBF}'   // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2FA1F}' // CJK Extensions B.. and supplement
    )
}

/// Lowercases, folds full-width ASCII and handles apostrophes (see the module docs).
fn normalize(text: &str) -> String {
    let folded: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < folded.len() {
        let c = folded[i];
        if matches!(c, '\'' | '’') && i > 0 && folded[i - 1].is_alphanumeric() {
            let next = folded.get(i + 1).copied();
            let after = folded.get(i + 2).copied();
            if next == Some('s') && !after.is_some_and(char::is_alphanumeric) {
                // Possessive: "rust's" -> "rust".
                i += 2;
                continue;
            }
            if next.is_some_and(char::is_alphanumeric) {
                // Contraction or name: "don't" -> "dont", "o'reilly" -> "oreilly".
                i += 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A safe SQLite FTS5 `MATCH` expression requiring every term (implicit AND): each term in
/// double quotes (an inner `"` doubled), separated by spaces; the last term gets a trailing
/// `*` (prefix match, for search-as-you-type) when it is ASCII letters and digits only.
/// `["rust", "异步"]` -> `"rust" "异步"`; `["异步", "rust"]` -> `"异步" "rust"*`.
/// `None` when `terms` has no non-empty term (the caller should return no results rather
/// than run an empty `MATCH`, which SQLite rejects).
pub fn fts_match_expression(terms: &[String]) -> Option<String> {
    let terms: Vec<&str> = terms.iter().map(String::as_str).filter(|t| !t.trim().is_empty()).collect();
    let (last, _) = terms.split_last()?;
    let mut expr = String::new();
    for (i, term) in terms.iter().enumerate() {
        if i > 0 {
            expr.push(' ');
        }
        expr.push('"');
        expr.push_str(&term.replace('"', "\"\""));
        expr.push('"');
    }
    if last.chars().all(|c| c.is_ascii_alphanumeric()) {
        expr.push('*');
    }
    Some(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_set(text: &str) -> HashSet<String> {
        Segmenter::global().index_terms(text).split(' ').map(str::to_string).collect()
    }

    #[test]
    fn dictionary_loads_all_entries() {
        let seg = Segmenter::global();
        assert_eq!(seg.dictionary_len(), 100_000);
        assert!(seg.jieba.has_word("异步"));
        assert!(seg.jieba.has_word("编程"));
    }

    #[test]
    fn mixed_query_splits_into_latin_and_chinese_terms() {
        assert_eq!(Segmenter::global().query_terms("rust 异步"), ["rust", "异步"]);
        assert_eq!(Segmenter::global().query_terms("Rust异步"), ["rust", "异步"]);
    }

    #[test]
    fn two_character_words_are_found_in_a_sentence() {
        let index = index_set("我们在学习异步编程和并发");
        for word in ["异步", "编程", "并发", "学习", "我们"] {
            for term in Segmenter::global().query_terms(word) {
                assert!(index.contains(&term), "{term} not in {index:?}");
            }
        }
    }

    #[test]
    fn punctuation_and_whitespace_are_not_terms() {
        let seg = Segmenter::global();
        assert_eq!(seg.index_terms("，。！？ ... --- \n\t 🎉"), "");
        assert!(seg.query_terms("  ？！  ").is_empty());
        assert_eq!(seg.index_terms("你好，世界！"), "你好 世界");
    }

    #[test]
    fn queries_are_deduplicated() {
        assert_eq!(Segmenter::global().query_terms("Rust rust RUST"), ["rust"]);
    }

    #[test]
    fn compounds_in_queries_become_their_parts() {
        let seg = Segmenter::global();
        assert_eq!(seg.query_terms("rust-lang"), ["rust", "lang"]);
        assert!(index_set("rust-lang").contains("rust-lang"));
        let q = seg.query_terms("中华人民共和国");
        assert!(!q.contains(&"中华人民共和国".to_string()), "{q:?}");
        let index = index_set("他是中华人民共和国公民");
        assert!(q.iter().all(|t| index.contains(t)), "{q:?} vs {index:?}");
    }

    #[test]
    fn apostrophes_and_full_width() {
        let seg = Segmenter::global();
        assert_eq!(seg.query_terms("Rust's"), ["rust"]);
        assert_eq!(seg.index_terms("Don’t panic"), "dont panic");
        assert_eq!(seg.index_terms("Ｒｕｓｔ１２３"), "rust123");
    }

    #[test]
    fn other_scripts_stay_whole() {
        let seg = Segmenter::global();
        assert_eq!(seg.index_terms("Café Привет"), "café привет");
        assert_eq!(seg.query_terms("café-crème"), ["café", "crème"]);
    }

    #[test]
    fn query_terms_are_capped() {
        let q: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(Segmenter::global().query_terms(&q).len(), MAX_QUERY_TERMS);
        let huge = "中华人民共和国".repeat(100_000);
        let started = std::time::Instant::now();
        assert!(!Segmenter::global().query_terms(&huge).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "a huge query is cut short");
    }

    #[test]
    fn match_expression_quotes_and_prefixes() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(fts_match_expression(&[]), None);
        assert_eq!(fts_match_expression(&t(&["", " "])), None);
        assert_eq!(fts_match_expression(&t(&["rust", "异步"])).as_deref(), Some(r#""rust" "异步""#));
        assert_eq!(fts_match_expression(&t(&["异步", "rus"])).as_deref(), Some(r#""异步" "rus"*"#));
        assert_eq!(fts_match_expression(&t(&[r#"a"b"#, "OR"])).as_deref(), Some(r#""a""b" "OR"*"#));
        assert_eq!(fts_match_expression(&t(&["node.js"])).as_deref(), Some(r#""node.js""#));
    }
}
