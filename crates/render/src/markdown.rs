//! Markdown (GFM) and HTML bodies to sanitized HTML.
//!
//! Markdown is parsed by comrak with the GitHub extensions a blog needs (tables, footnotes,
//! strikethrough, task lists, autolinks), CJK-friendly emphasis (so `**中文**，` is bold) and
//! heading ids (for table-of-contents links, unprefixed like Hexo and Hugo so links in
//! imported posts keep working). Raw HTML in Markdown is passed through by the parser and
//! then, like everything else, goes through [`crate::sanitize_html`]: the sanitizer, not the
//! Markdown parser, is the security boundary.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use comrak::nodes::NodeValue;
use comrak::{Arena, Options, format_html, parse_document};

use crate::sanitize::sanitize_html;
use crate::text::html_to_text;

/// The format a body's source is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// CommonMark with the GFM extensions listed in the [module docs](self); raw HTML
    /// allowed (and sanitized like everything else).
    Markdown,
    /// An HTML fragment (a WordPress/Halo body, a rich-text editor's output), sanitized
    /// as is.
    Html,
}

/// A rendered body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The whole body as sanitized HTML (the `<!-- more -->` marker removed).
    pub html: String,
    /// Plain text (as [`html_to_text`] makes it) of the part before the first
    /// `<!-- more -->` marker, when the source has one with some text before it.
    pub more_excerpt: Option<String>,
    /// Plain text of the whole body (for search and automatic excerpts): blocks on their own
    /// lines, code included, entities decoded; see [`html_to_text`].
    pub text: String,
}

/// Stands in for the more marker while the HTML goes through the sanitizer. Private-use
/// characters: plain text to every HTML tool, never produced by the pipeline itself, and
/// removed from the source first so an author cannot forge one.
const MORE_SENTINEL: &str = "\u{F8FF}\u{E000}inkstone-more\u{E000}\u{F8FF}";

/// Renders `source` to sanitized HTML plus its plain text. Never fails; never panics (a
/// parser panic, which would be a comrak bug, degrades to the source shown as escaped
/// text).
///
/// A `<!-- more -->` marker (any spacing or letter case: `<!--more-->`, `<!--  MORE -->`)
/// splits the excerpt from the rest: [`Rendered::more_excerpt`] gets the text before the
/// first one. In Markdown only a real HTML comment counts (not one shown in a code span or
/// code block); in HTML any occurrence in the source counts.
pub fn render(source: &str, format: SourceFormat) -> Rendered {
    let source =
        if source.contains(MORE_SENTINEL) { source.replace(MORE_SENTINEL, "") } else { source.to_string() };
    let (unsafe_html, has_marker) = match format {
        SourceFormat::Markdown => markdown_with_more_sentinel(&source),
        SourceFormat::Html => match find_more_marker(&source) {
            Some(range) => {
                let mut html = source;
                html.replace_range(range, MORE_SENTINEL);
                (html, true)
            }
            None => (source, false),
        },
    };
    let html = sanitize_html(&unsafe_html);
    if !has_marker || !html.contains(MORE_SENTINEL) {
        let text = html_to_text(&html);
        return Rendered { html, more_excerpt: None, text };
    }
    let marked_text = html_to_text(&html);
    let more_excerpt = marked_text
        .split_once(MORE_SENTINEL)
        .map(|(before, _)| before.trim().to_string())
        .filter(|before| !before.is_empty());
    let html = html.replace(MORE_SENTINEL, "");
    let text = html_to_text(&html);
    Rendered { html, more_excerpt, text }
}

/// The comrak options Inkstone renders Markdown with (GFM plus CJK-friendly emphasis and
/// heading ids; raw HTML passed through for the sanitizer to judge).
fn comrak_options() -> Options<'static> {
    let mut options = Options::default();
    let ext = &mut options.extension;
    ext.strikethrough = true;
    ext.table = true;
    ext.autolink = true;
    ext.tasklist = true;
    ext.footnotes = true;
    ext.cjk_friendly_emphasis = true;
    ext.header_id_prefix = Some(String::new());
    options.render.r#unsafe = true;
    options.render.tasklist_classes = true;
    options
}

/// Markdown to HTML exactly as [`render`] does it **before sanitizing**, with no more-marker
/// handling. The output may contain scripts: never serve it. It exists for conformance
/// tests and diagnostics (e.g. showing what the sanitizer removed).
pub fn markdown_to_html_unsanitized(source: &str) -> String {
    guarded(source, |source| {
        let arena = Arena::new();
        let options = comrak_options();
        let root = parse_document(&arena, source, &options);
        let mut html = String::new();
        // Writing into a String cannot fail.
        let _ = format_html(root, &options, &mut html);
        html
    })
}

/// Renders Markdown, replacing the first more marker found in a raw HTML node with
/// [`MORE_SENTINEL`]. Returns the unsanitized HTML and whether a marker was found.
fn markdown_with_more_sentinel(source: &str) -> (String, bool) {
    let mut found = false;
    let html = guarded(source, |source| {
        let arena = Arena::new();
        let options = comrak_options();
        let root = parse_document(&arena, source, &options);
        for node in root.descendants() {
            let mut ast = node.data_mut();
            let literal = match &mut ast.value {
                NodeValue::HtmlBlock(block) => &mut block.literal,
                NodeValue::HtmlInline(literal) => literal,
                _ => continue,
            };
            if let Some(range) = find_more_marker(literal) {
                literal.replace_range(range, MORE_SENTINEL);
                found = true;
                break;
            }
        }
        let mut html = String::new();
        let _ = format_html(root, &options, &mut html);
        html
    });
    (html, found)
}

/// Runs `render_markdown`, turning a panic into the source shown as escaped text.
fn guarded(source: &str, render_markdown: impl FnOnce(&str) -> String) -> String {
    catch_unwind(AssertUnwindSafe(|| render_markdown(source))).unwrap_or_else(|_| {
        let mut html = String::with_capacity(source.len() + 16);
        html.push_str("<pre>");
        for c in source.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                _ => html.push(c),
            }
        }
        html.push_str("</pre>");
        html
    })
}

/// The byte range of the first `<!--more-->` comment (ASCII whitespace allowed around
/// `more`, any letter case) in `s`.
pub(crate) fn find_more_marker(s: &str) -> Option<Range<usize>> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(pos) = s[from..].find("<!--") {
        let start = from + pos;
        let mut i = start + 4;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.len() >= i + 4 && bytes[i..i + 4].eq_ignore_ascii_case(b"more") {
            i += 4;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes[i..].starts_with(b"-->") {
                return Some(start..i + 3);
            }
        }
        from = start + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{SourceFormat, find_more_marker, render};

    fn md(source: &str) -> String {
        render(source, SourceFormat::Markdown).html
    }

    #[test]
    fn gfm_table() {
        let html = md("| a | b |\n|:--|--:|\n| 1 | 2 |\n");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains(r#"<th align="left">a</th>"#), "{html}");
        assert!(html.contains(r#"<td align="right">2</td>"#), "{html}");
    }

    #[test]
    fn footnotes() {
        let out = render("Hi[^x].\n\n[^x]: A greeting.\n", SourceFormat::Markdown);
        assert!(out.html.contains(r##"<a href="#fn-x" id="fnref-x" data-footnote-ref="""##), "{}", out.html);
        assert!(out.html.contains(r#"<li id="fn-x">"#), "{}", out.html);
        assert!(out.html.contains(r#"class="footnote-backref""#), "{}", out.html);
        assert_eq!(out.text, "Hi.\nA greeting.");
    }

    #[test]
    fn task_lists_and_strikethrough() {
        let html = md("- [x] done\n- [ ] ~~todo~~\n");
        assert!(html.contains(r#"<ul class="contains-task-list">"#), "{html}");
        assert!(html.contains(r#"<li class="task-list-item">"#), "{html}");
        // Attribute order is not specified; count them instead.
        assert_eq!(html.matches("<input ").count(), 2, "{html}");
        assert_eq!(html.matches(r#"class="task-list-item-checkbox""#).count(), 2, "{html}");
        assert_eq!(html.matches(r#"type="checkbox""#).count(), 2, "{html}");
        assert_eq!(html.matches(r#"disabled="""#).count(), 2, "{html}");
        assert_eq!(html.matches(r#"checked="""#).count(), 1, "{html}");
        assert!(html.contains("<del>todo</del>"), "{html}");
        assert_eq!(render("- [x] done\n- [ ] ~~todo~~\n", SourceFormat::Markdown).text, "done\ntodo");
    }

    #[test]
    fn autolinks() {
        let html = md("see https://example.com and www.rust-lang.org.\n");
        assert!(
            html.contains(r#"<a href="https://example.com" rel="noopener noreferrer nofollow">"#),
            "{html}"
        );
        assert!(html.contains(r#"href="http://www.rust-lang.org""#), "{html}");
    }

    #[test]
    fn cjk_emphasis() {
        assert_eq!(md("**中文**，好的\n"), "<p><strong>中文</strong>，好的</p>\n");
        assert_eq!(md("这是**“引号”**的例子\n"), "<p>这是<strong>“引号”</strong>的例子</p>\n");
    }

    #[test]
    fn headings_get_ids() {
        let html = md("## Getting started\n\n## 安装\n");
        assert!(html.contains(r#"<h2 id="getting-started">"#), "{html}");
        assert!(html.contains(r##"href="#getting-started""##), "{html}");
        assert!(html.contains(r#"<h2 id="安装">"#), "{html}");
    }

    #[test]
    fn fenced_code_keeps_language() {
        let out = render("```rust\nfn main() {}\n```\n", SourceFormat::Markdown);
        assert_eq!(out.html, "<pre><code class=\"language-rust\">fn main() {}\n</code></pre>\n");
        assert_eq!(out.text, "fn main() {}");
    }

    #[test]
    fn raw_html_is_sanitized() {
        let out = render(
            "Hi <script>alert(1)</script> <b onclick=x>there</b>\n\n<iframe src=x></iframe>\n",
            SourceFormat::Markdown,
        );
        assert_eq!(out.html, "<p>Hi  <b>there</b></p>\n\n");
        let out = render("[x](javascript:alert(1)) ![i](data:image/svg+xml,<svg>)", SourceFormat::Markdown);
        assert!(!out.html.contains("javascript"), "{}", out.html);
        assert!(!out.html.contains("data:"), "{}", out.html);
    }

    #[test]
    fn html_format_is_sanitized_directly() {
        let out = render("<p>a<script>x</script></p><p>b &amp; c</p>", SourceFormat::Html);
        assert_eq!(out.html, "<p>a</p><p>b &amp; c</p>");
        assert_eq!(out.text, "a\nb & c");
        assert_eq!(out.more_excerpt, None);
    }

    #[test]
    fn more_marker_markdown() {
        for marker in ["<!-- more -->", "<!--more-->", "<!--   MORE\t-->"] {
            let source = format!("# Title\n\nIntro **text**.\n\n{marker}\n\nRest of the post.\n");
            let out = render(&source, SourceFormat::Markdown);
            assert_eq!(out.more_excerpt.as_deref(), Some("Title\nIntro text."), "{marker}");
            assert_eq!(out.text, "Title\nIntro text.\nRest of the post.");
            assert!(!out.html.contains("more"), "{}", out.html);
            assert!(!out.html.contains('\u{F8FF}'), "{}", out.html);
            assert!(out.html.contains("<p>Rest of the post.</p>"), "{}", out.html);
        }
        // Inline marker.
        let out = render("one <!--more--> two\n", SourceFormat::Markdown);
        assert_eq!(out.more_excerpt.as_deref(), Some("one"));
        assert_eq!(out.text, "one two");
    }

    #[test]
    fn more_marker_in_code_does_not_count() {
        let source = "Use `<!-- more -->` like this:\n\n```\n<!-- more -->\n```\n\nEnd.\n";
        let out = render(source, SourceFormat::Markdown);
        assert_eq!(out.more_excerpt, None);
        assert!(out.html.contains("&lt;!-- more --&gt;"), "{}", out.html);
    }

    #[test]
    fn more_marker_html() {
        let out = render("<p>Before</p><!--more--><p>After</p>", SourceFormat::Html);
        assert_eq!(out.more_excerpt.as_deref(), Some("Before"));
        assert_eq!(out.html, "<p>Before</p><p>After</p>");
        assert_eq!(out.text, "Before\nAfter");
        // Nothing before the marker: no excerpt.
        let out = render("<!-- more --><p>After</p>", SourceFormat::Html);
        assert_eq!(out.more_excerpt, None);
    }

    #[test]
    fn forged_sentinel_is_ignored() {
        let forged = format!("a{}b", super::MORE_SENTINEL);
        let out = render(&forged, SourceFormat::Markdown);
        assert_eq!(out.more_excerpt, None);
        assert_eq!(out.text, "ab");
    }

    #[test]
    fn marker_finder() {
        assert_eq!(find_more_marker("x<!-- more -->y"), Some(1..14));
        assert_eq!(find_more_marker("<!-- mores -->"), None);
        assert_eq!(find_more_marker("<!-- more"), None);
        assert_eq!(find_more_marker("<!--<!--more-->"), Some(4..15));
        assert_eq!(find_more_marker("中文<!--more-->"), Some(6..17));
    }

    #[test]
    fn hostile_markdown_never_panics() {
        let deep_quotes = ">".repeat(50_000);
        let deep_lists = "- ".repeat(10_000);
        let brackets = "[".repeat(50_000) + &"]".repeat(50_000);
        let emphasis = "*a **b ".repeat(10_000);
        let html_nest = "<div>".repeat(20_000);
        for source in [&deep_quotes, &deep_lists, &brackets, &emphasis, &html_nest] {
            let _ = render(source, SourceFormat::Markdown);
            let _ = render(source, SourceFormat::Html);
        }
    }
}
