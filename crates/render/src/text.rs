//! HTML to plain text.
//!
//! The input is tokenized by html5ever's spec-compliant tokenizer (the same parser family
//! ammonia uses), so entities, attributes containing `>`, comments, CDATA-looking junk and
//! `<script>`/`<style>` raw text are all handled the way a browser handles them. No DOM is
//! built: the walk is a single streaming pass, linear in the input and free of recursion,
//! so hostile nesting depth cannot overflow the stack.

use std::cell::RefCell;

use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Plain text of an HTML fragment (sanitized or not; any size; never panics).
///
/// * Tags are dropped and character references decoded (`&amp;` → `&`, `&nbsp;` → space).
/// * Block elements (`p`, `li`, headings, `tr`, `pre`, `div`, …) and `<br>` end a line, so
///   words from different blocks never glue together; table cells are separated by a
///   space. Lines inside `<pre>` are kept as lines.
/// * Other whitespace runs collapse to one space, lines are trimmed, empty lines dropped.
///   A soft line break between two CJK characters is removed instead of becoming a space
///   (it is an artifact of hard-wrapped source, not a word boundary).
/// * Invisible or non-content parts are skipped: `script`, `style`, `template`, `noscript`,
///   `svg`, `textarea`, `title`, … as well as comrak's footnote reference numbers and `↩`
///   back-links, which would otherwise glue digits onto words. `alt` text is not included.
///
/// The result lines are joined with `\n` and have no leading or trailing whitespace.
pub fn html_to_text(html: &str) -> String {
    let sink = TextSink { state: RefCell::new(TextState::default()) };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // `feed` returns early only for a `<meta charset>` hint (the sink never asks for
    // script execution); resume until it reports the queue drained.
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    tokenizer.sink.state.into_inner().out
}

/// True for characters of scripts written without spaces between words (Han, kana, Hangul
/// is spaced but its compatibility forms and CJK punctuation are included for simplicity).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'   // radicals
        | '\u{3000}'..='\u{303F}' // CJK symbols and punctuation
        | '\u{3040}'..='\u{30FF}' // hiragana, katakana
        | '\u{3100}'..='\u{312F}' // bopomofo
        | '\u{31A0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}' // extension A
        | '\u{4E00}'..='\u{9FFF}' // unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{FE30}'..='\u{FE4F}' // compatibility forms
        | '\u{FF00}'..='\u{FFEF}' // full-width forms and punctuation
        | '\u{20000}'..='\u{3134F}' // extensions B..G
    )
}

/// How a tag affects the text flow.
enum Kind {
    /// Starts/ends a line.
    Block,
    /// Separates like a space (table cells).
    Cell,
    /// A line break (`br`).
    Break,
    /// Raw text content that is not shown (`script`, `style`, …): skip until its end tag.
    RawSkip(RawKind),
    /// Normal content that is not shown (`template`, `svg`, …): skip until the matching end tag.
    Skip,
    /// `plaintext`: everything after it is text.
    Plaintext,
    /// `pre`/`listing`: keeps line breaks.
    Pre,
    Inline,
}

fn kind_of(name: &str) -> Kind {
    match name {
        "address" | "article" | "aside" | "blockquote" | "body" | "caption" | "center" | "dd" | "details"
        | "dialog" | "dir" | "div" | "dl" | "dt" | "fieldset" | "figcaption" | "figure" | "footer"
        | "form" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "header" | "hgroup" | "hr" | "html"
        | "legend" | "li" | "main" | "menu" | "nav" | "ol" | "optgroup" | "option" | "p" | "section"
        | "summary" | "table" | "tbody" | "tfoot" | "thead" | "tr" | "ul" | "video" | "audio" => Kind::Block,
        "td" | "th" => Kind::Cell,
        "br" => Kind::Break,
        "pre" | "listing" => Kind::Pre,
        "script" => Kind::RawSkip(RawKind::ScriptData),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => Kind::RawSkip(RawKind::Rawtext),
        "title" | "textarea" => Kind::RawSkip(RawKind::Rcdata),
        "template" | "svg" | "head" | "select" | "object" | "applet" | "canvas" => Kind::Skip,
        "plaintext" => Kind::Plaintext,
        _ => Kind::Inline,
    }
}

/// Content skipped until the end tag named `name` balances the start tags seen.
struct Skipping {
    name: String,
    depth: usize,
    /// Inline skips (footnote markers) also end at any block boundary, so an unclosed
    /// marker in hand-written HTML cannot swallow the rest of the document.
    inline: bool,
}

#[derive(Default)]
struct TextState {
    out: String,
    /// Whitespace seen since the last character written.
    pending_space: bool,
    /// That whitespace contained a line break (a soft break in the source).
    pending_newline_in_space: bool,
    /// A block boundary seen since the last character written.
    pending_line: bool,
    /// Inside a raw-text element whose content is not shown.
    raw_skip: bool,
    skipping: Option<Skipping>,
    pre_depth: usize,
}

impl TextState {
    fn line_break(&mut self) {
        self.pending_line = true;
    }

    fn push_text(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_whitespace() {
                if self.pre_depth > 0 && c == '\n' {
                    self.pending_line = true;
                } else {
                    self.pending_space = true;
                    if c == '\n' || c == '\r' {
                        self.pending_newline_in_space = true;
                    }
                }
                continue;
            }
            if c.is_control() {
                continue;
            }
            let last = self.out.chars().next_back();
            if let Some(last) = last {
                if self.pending_line {
                    self.out.push('\n');
                } else if self.pending_space && !(self.pending_newline_in_space && is_cjk(last) && is_cjk(c))
                {
                    self.out.push(' ');
                }
            }
            self.pending_line = false;
            self.pending_space = false;
            self.pending_newline_in_space = false;
            self.out.push(c);
        }
    }

    /// Handles a tag; returns the raw-text state the tokenizer must switch to, if any.
    fn tag(&mut self, tag: &Tag) -> Option<RawKind> {
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        let kind = kind_of(name);

        if let Some(skipping) = &mut self.skipping {
            if skipping.inline && matches!(kind, Kind::Block | Kind::Pre | Kind::Cell) {
                self.skipping = None;
            } else {
                if skipping.name == name && !(start && tag.self_closing) {
                    if start {
                        skipping.depth += 1;
                    } else {
                        skipping.depth -= 1;
                        if skipping.depth == 0 {
                            self.skipping = None;
                        }
                    }
                }
                return None;
            }
        }

        if start && is_footnote_marker(tag) {
            self.skipping = Some(Skipping { name: name.to_string(), depth: 1, inline: true });
            return None;
        }

        match kind {
            Kind::Block => self.line_break(),
            Kind::Cell => self.pending_space = true,
            Kind::Break => self.line_break(),
            Kind::Pre => {
                self.line_break();
                if start {
                    self.pre_depth += 1;
                } else {
                    self.pre_depth = self.pre_depth.saturating_sub(1);
                }
            }
            Kind::RawSkip(raw) if start => {
                self.raw_skip = true;
                return Some(raw);
            }
            Kind::RawSkip(_) => self.raw_skip = false,
            // Self-closing `<svg/>` is honoured by browsers (foreign element); a
            // self-closing `<template/>` is not, and its content is inert anyway.
            Kind::Skip if start && !(tag.self_closing && name == "svg") => {
                self.skipping = Some(Skipping { name: name.to_string(), depth: 1, inline: false });
            }
            Kind::Skip => {}
            // A `<plaintext>` start tag is handled by the sink (it switches the tokenizer).
            Kind::Plaintext | Kind::Inline => {}
        }
        None
    }
}

/// comrak's footnote reference (`<sup class="footnote-ref">`) and back-link
/// (`<a class="footnote-backref">`): numbers and arrows, not prose.
fn is_footnote_marker(tag: &Tag) -> bool {
    tag.attrs.iter().any(|attr| {
        let name: &str = &attr.name.local;
        match name {
            "data-footnote-backref" => true,
            "class" => {
                attr.value.split_ascii_whitespace().any(|c| c == "footnote-ref" || c == "footnote-backref")
            }
            _ => false,
        }
    })
}

struct TextSink {
    state: RefCell<TextState>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                if tag.kind == TagKind::StartTag && &*tag.name == "plaintext" && state.skipping.is_none() {
                    state.line_break();
                    return TokenSinkResult::Plaintext;
                }
                if let Some(raw) = state.tag(&tag) {
                    return TokenSinkResult::RawData(raw);
                }
            }
            Token::CharacterTokens(text) => {
                if !state.raw_skip && state.skipping.is_none() {
                    state.push_text(&text);
                }
            }
            Token::CommentToken(_)
            | Token::DoctypeToken(_)
            | Token::NullCharacterToken
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn blocks_do_not_glue_words() {
        assert_eq!(
            html_to_text("<h1>Title</h1><p>one</p><ul><li>two</li><li>three</li></ul>"),
            "Title\none\ntwo\nthree"
        );
        assert_eq!(html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"), "a b\nc");
        assert_eq!(html_to_text("a<br>b"), "a\nb");
    }

    #[test]
    fn inline_markup_is_transparent_and_entities_decode() {
        assert_eq!(
            html_to_text("<p>Fish &amp; <em>chips</em>&nbsp;&lt;3 &#x4E2D;&#25991;</p>"),
            "Fish & chips <3 中文"
        );
        assert_eq!(html_to_text("  lots \n\t of   space  "), "lots of space");
    }

    #[test]
    fn code_is_included_with_its_lines() {
        assert_eq!(
            html_to_text(
                "<p>Run:</p><pre><code class=\"language-sh\">cargo build\ncargo test\n</code></pre><p>done</p>"
            ),
            "Run:\ncargo build\ncargo test\ndone"
        );
    }

    #[test]
    fn hidden_content_is_skipped() {
        assert_eq!(
            html_to_text(
                "<script>var a = '<p>x</p>';</script><style>p{}</style>\
                 <template><p>t</p></template><svg><text>s</text></svg>ok<!-- note -->"
            ),
            "ok"
        );
        assert_eq!(html_to_text("<p title=\"a>b\">x</p>"), "x");
    }

    #[test]
    fn footnote_markers_are_skipped() {
        let html = "<p>Hi<sup class=\"footnote-ref\"><a href=\"#fn-x\" id=\"fnref-x\">1</a></sup>.</p>\
            <section class=\"footnotes\"><ol><li id=\"fn-x\"><p>A note. <a href=\"#fnref-x\" \
            class=\"footnote-backref\">↩</a></p></li></ol></section>";
        assert_eq!(html_to_text(html), "Hi.\nA note.");
        // An unclosed marker does not swallow the next block.
        assert_eq!(html_to_text("<p><sup class=\"footnote-ref\">1<p>next</p>"), "next");
    }

    #[test]
    fn cjk_soft_breaks_vanish() {
        assert_eq!(html_to_text("<p>第一行\n第二行 and\nmore</p>"), "第一行第二行 and more");
    }

    #[test]
    fn garbage_never_panics() {
        for s in
            ["<", "</", "<a", "&", "&#", "&#xD800;", "<!--", "<![CDATA[", "<script>", "<plaintext><b>x", "\0"]
        {
            let _ = html_to_text(s);
        }
        assert_eq!(html_to_text("<plaintext><b>x</b>"), "<b>x</b>");
    }
}
