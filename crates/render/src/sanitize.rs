//! The one HTML sanitizer every body, comment and note goes through.
//!
//! The policy is an allowlist built for blog content (see [`sanitize_html`] for the full
//! list). It is an [`ammonia::Builder`] configured once, on first use, and shared by all
//! threads.
//!
//! # Decisions worth knowing
//!
//! * **Kept**: the usual text-level and block formatting, headings (with `id`, so table of
//!   contents links work), lists, tables, code blocks with a `language-*` class, images,
//!   links, `details`/`summary`, `figure`/`figcaption`, `sup`/`sub`, `kbd`, `mark`,
//!   `del`/`ins`, `abbr`, `ruby`, `video`/`audio` (with `controls`, never `autoplay`), the
//!   footnote markup comrak generates and GFM task-list checkboxes.
//! * **Removed with their content**: `script`, `style`, `iframe`, `object`, `embed`,
//!   `applet`, `template`, `noscript`, `svg`, `math`, `select`, `textarea`, `title`,
//!   `frame`/`frameset`/`noframes`, `noembed`, `xmp`. Other unknown elements (`form`,
//!   `button`, `font`, custom elements, …) are unwrapped: the element goes, its text stays.
//! * **Attributes**: no `on*` handler, no `style`, no `srcset`, no free-form `class`
//!   (only the classes comrak emits plus `language-*` on `code`/`pre`), `id` only on
//!   headings, `a`, `li`, `sup`, `dt` and `figure`.
//! * **URLs** (`href`, `src`, `poster`): relative URLs and the schemes `http`, `https`,
//!   `mailto`, `tel`, `ftp`, `ftps`, `xmpp`, `irc`, `ircs`, `magnet`, `geo`, `sms`. Anything
//!   else (`javascript:`, `vbscript:`, `file:`, …) drops the attribute. ammonia parses the
//!   URL the way browsers do (WHATWG URL), so `java&#9;script:`, leading control characters
//!   and mixed case are caught; a second, more suspicious check also ignores every Unicode
//!   space and invisible format character (`&#x2028;javascript:`, `java&#x200B;script:`).
//! * **`data:` URLs** are allowed in exactly one place: `<img src>` with a raster image type
//!   (`image/png`, `image/jpeg`, `image/gif`, `image/webp`, `image/avif`, `image/bmp`).
//!   Rich-text editors and WordPress/Halo exports paste screenshots inline as base64; a
//!   raster image cannot carry script, and an `<img>` never executes anything anyway.
//!   `data:image/svg+xml` and every other `data:` type (notably `data:text/html`) are
//!   dropped everywhere, including `href`.
//! * **Links** get `rel="noopener noreferrer nofollow"` (every `<a>`, internal ones too; it
//!   is harmless there). `target` is kept only when it is `_blank`.
//! * Task-list checkboxes: every `<input>` is forced to `type="checkbox" disabled`, so an
//!   author cannot put a live form control on a page.
//! * HTML comments are stripped (authors leave private notes in them).
//! * Nesting deeper than 128 elements is flattened before parsing, and formatting elements
//!   left open in bulk are closed, so hostile markup cannot make the HTML parser do
//!   quadratic work or blow up the output (see the `structure` module).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::Builder;

/// Elements that survive sanitizing (their allowed attributes are in [`tag_attributes`]).
#[rustfmt::skip]
const TAGS: &[&str] = &[
    // text-level
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "ins",
    "kbd", "mark", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "u", "var", "wbr",
    // embedded
    "img", "video", "audio", "source", "track",
    // grouping
    "address", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "hr", "li", "ol",
    "p", "pre", "ul",
    // sections
    "article", "aside", "footer", "header", "section", "h1", "h2", "h3", "h4", "h5", "h6",
    "hgroup",
    // tables
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    // interactive but inert (`input` is forced to a disabled checkbox), legacy
    "details", "summary", "input", "center",
];

/// Elements removed together with everything inside them.
#[rustfmt::skip]
const CLEAN_CONTENT_TAGS: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "applet", "template", "noscript", "svg",
    "math", "select", "textarea", "title", "frame", "frameset", "noframes", "noembed", "xmp",
    "head", "meta", "link", "base", "param", "canvas", "dialog",
];

/// Attributes allowed on every kept element.
const GENERIC_ATTRIBUTES: &[&str] = &["lang", "title", "dir"];

/// URL schemes allowed in `href`, `src` and `poster` (relative URLs are always allowed).
/// `data` is listed so `<img src="data:image/png…">` can pass; the attribute filter drops
/// every other use of `data:`.
#[rustfmt::skip]
const URL_SCHEMES: &[&str] = &[
    "http", "https", "mailto", "tel", "ftp", "ftps", "xmpp", "irc", "ircs", "magnet", "geo",
    "sms", "data",
];

/// `data:` media types allowed in `<img src>`.
const DATA_IMAGE_TYPES: &[&str] =
    &["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/avif", "image/bmp"];

fn tag_attributes() -> HashMap<&'static str, HashSet<&'static str>> {
    let table: &[(&str, &[&str])] = &[
        (
            "a",
            &[
                "href",
                "hreflang",
                "id",
                "aria-label",
                "aria-hidden",
                "data-footnote-ref",
                "data-footnote-backref",
                "data-footnote-backref-idx",
            ],
        ),
        ("abbr", &[]),
        ("bdo", &[]),
        ("data", &["value"]),
        ("del", &["datetime"]),
        ("ins", &["datetime"]),
        ("time", &["datetime"]),
        ("img", &["src", "alt", "width", "height"]),
        ("video", &["src", "poster", "controls", "width", "height", "loop", "muted", "playsinline"]),
        ("audio", &["src", "controls", "loop", "muted"]),
        ("source", &["src", "type", "media"]),
        ("track", &["src", "kind", "srclang", "label", "default"]),
        ("h1", &["id"]),
        ("h2", &["id"]),
        ("h3", &["id"]),
        ("h4", &["id"]),
        ("h5", &["id"]),
        ("h6", &["id"]),
        ("li", &["id", "value"]),
        ("sup", &["id"]),
        ("dt", &["id"]),
        ("figure", &["id"]),
        ("ol", &["start", "reversed"]),
        ("section", &["data-footnotes"]),
        ("code", &["class"]),
        ("pre", &["class"]),
        ("input", &["checked"]),
        ("details", &["open"]),
        ("col", &["span"]),
        ("colgroup", &["span"]),
        ("td", &["align", "colspan", "rowspan", "headers"]),
        ("th", &["align", "colspan", "rowspan", "headers", "scope", "abbr"]),
    ];
    table.iter().map(|(tag, attrs)| (*tag, attrs.iter().copied().collect())).collect()
}

fn tag_attribute_values() -> HashMap<&'static str, HashMap<&'static str, HashSet<&'static str>>> {
    let mut map: HashMap<&str, HashMap<&str, HashSet<&str>>> = HashMap::new();
    map.entry("a").or_default().insert("target", ["_blank"].into());
    map.entry("img").or_default().insert("loading", ["lazy", "eager"].into());
    map.entry("ol").or_default().insert("type", ["1", "a", "A", "i", "I"].into());
    map.entry("video").or_default().insert("preload", ["none", "metadata", "auto"].into());
    map.entry("audio").or_default().insert("preload", ["none", "metadata", "auto"].into());
    map
}

fn allowed_classes() -> HashMap<&'static str, HashSet<&'static str>> {
    let mut map: HashMap<&str, HashSet<&str>> = HashMap::new();
    map.insert("a", ["anchor", "footnote-backref"].into());
    map.insert("sup", ["footnote-ref"].into());
    map.insert("section", ["footnotes"].into());
    map.insert("ul", ["contains-task-list"].into());
    map.insert("ol", ["contains-task-list"].into());
    map.insert("li", ["task-list-item"].into());
    map.insert("input", ["task-list-item-checkbox"].into());
    map
}

/// Keeps `language-*` classes (the ones comrak puts on fenced code, e.g. `language-rust`,
/// `language-c++`, `language-föö`) and nothing else. A class cannot run anything; the
/// prefix keeps authors from borrowing the site's own classes.
fn filter_code_class(value: &str) -> Option<Cow<'_, str>> {
    let kept: Vec<&str> = value
        .split_ascii_whitespace()
        .filter(|class| {
            class.strip_prefix("language-").is_some_and(|lang| !lang.is_empty() && lang.len() <= 100)
        })
        .collect();
    if kept.is_empty() { None } else { Some(Cow::Owned(kept.join(" "))) }
}

/// Characters a browser (or an older one, or a lenient URL consumer) may ignore in a URL:
/// controls, whitespace of any kind, and invisible format characters (zero-width spaces,
/// joiners, bidi controls, soft hyphen, BOM).
fn is_ignorable_in_url(c: char) -> bool {
    c.is_control()
        || c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// The scheme `url` would have if every ignorable character were dropped, lowercase;
/// `None` for a relative URL. Deliberately more suspicious than a browser: ammonia already
/// rejected what the WHATWG parser sees as a bad scheme, and this also rejects what some
/// other reader might (`\u{2028}javascript:`, `java\u{200B}script:`).
fn probable_scheme(url: &str) -> Option<String> {
    let probe: String = url.chars().filter(|c| !is_ignorable_in_url(*c)).take_while(|c| *c != ':').collect();
    let is_scheme = probe.len() < url.len()
        && url.contains(':')
        && probe.starts_with(|c: char| c.is_ascii_alphabetic())
        && probe.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| probe.to_ascii_lowercase())
}

/// True for `data:image/png;base64,…` and the other raster types in [`DATA_IMAGE_TYPES`].
fn is_raster_data_image(url: &str) -> bool {
    let probe: String =
        url.chars().filter(|c| !is_ignorable_in_url(*c)).collect::<String>().to_ascii_lowercase();
    let Some(rest) = probe.strip_prefix("data:") else { return false };
    let media_type = rest.split([';', ',']).next().unwrap_or("");
    DATA_IMAGE_TYPES.contains(&media_type)
}

/// Runs after ammonia's own allowlist and scheme checks, so it only refines what passed.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "href" | "src" | "poster" => match probable_scheme(value).as_deref() {
            None => Some(Cow::Borrowed(value)),
            Some("data") => (element == "img" && attribute == "src" && is_raster_data_image(value))
                .then_some(Cow::Borrowed(value)),
            Some(scheme) => URL_SCHEMES.contains(&scheme).then_some(Cow::Borrowed(value)),
        },
        "class" if element == "code" || element == "pre" => filter_code_class(value),
        _ => Some(Cow::Borrowed(value)),
    }
}

static BUILDER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(CLEAN_CONTENT_TAGS.iter().copied().collect())
        .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
        .tag_attributes(tag_attributes())
        .tag_attribute_values(tag_attribute_values())
        .allowed_classes(allowed_classes())
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .id_prefix(None)
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .attribute_filter(filter_attribute);
    builder
});

/// Returns `html` (an HTML fragment, any size, any garbage) as a safe HTML fragment:
/// everything that could run script, load active content, restyle the page or leak data is
/// removed, and the result is well-formed (every element closed, attributes quoted).
///
/// Never fails and never panics. Text is kept; disallowed elements are unwrapped (their
/// text stays) except the script-like ones listed in the [module docs](self), which are
/// removed with their content. The policy is described in detail in the module docs.
pub fn sanitize_html(html: &str) -> String {
    match structure::limit(html) {
        Some(flattened) => BUILDER.clean(&flattened).to_string(),
        None => BUILDER.clean(html).to_string(),
    }
}

mod structure {
    //! A guard in front of the HTML tree builder.
    //!
    //! html5ever (inside ammonia) does work proportional to the depth of the open-element stack
    //! for every tag, and re-opens every unclosed formatting element (`<b>`, `<a>`, …) of a
    //! closed paragraph at each later piece of text. So 20 000 nested `<div>`s take seconds and
    //! `<p><b id=1>x</p>` repeated 10 000 times turns 185 KB into hundreds of megabytes. A
    //! comment box must not be able to do that.
    //!
    //! [`limit`] re-tokenizes such input and writes it back out with a bounded structure: at
    //! most [`MAX_DEPTH`] nested elements (deeper tags are dropped, their text kept), and every
    //! element closed explicitly before its parent closes. Input that stays within the limits
    //! is left untouched (`None`), so ordinary content is parsed byte for byte as written. The
    //! output still goes through the real sanitizer; this pass only bounds the work.

    use std::cell::RefCell;
    use std::collections::HashMap;

    use html5ever::TokenizerResult;
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::states::RawKind;
    use html5ever::tokenizer::{
        BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
    };

    /// Deepest element nesting kept (Chromium's parser caps the tree at 512; real posts
    /// rarely pass 20).
    pub(super) const MAX_DEPTH: usize = 128;
    /// Formatting elements left open when their parent closed, tolerated before rewriting.
    const MAX_STALE_FORMATTING: usize = 32;
    /// Input with at most this many `<` cannot exceed either limit: skip the pass.
    const SCREEN: usize = 32;

    /// `Some(rewritten)` when `html` nests deeper than [`MAX_DEPTH`] or leaves too many
    /// formatting elements open; `None` when it can be parsed as is.
    pub(super) fn limit(html: &str) -> Option<String> {
        if html.bytes().filter(|&b| b == b'<').take(SCREEN + 1).count() <= SCREEN {
            return None;
        }
        let sink = Sink {
            state: RefCell::new(State { out: String::with_capacity(html.len()), ..State::default() }),
        };
        let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
        tokenizer.end();
        let state = tokenizer.sink.state.into_inner();
        (state.dropped_any || state.stale_formatting > MAX_STALE_FORMATTING).then_some(state.out)
    }

    fn is_void(name: &str) -> bool {
        matches!(
            name,
            "area"
                | "base"
                | "basefont"
                | "bgsound"
                | "br"
                | "col"
                | "embed"
                | "frame"
                | "hr"
                | "image"
                | "img"
                | "input"
                | "keygen"
                | "link"
                | "meta"
                | "param"
                | "source"
                | "track"
                | "wbr"
        )
    }

    fn raw_kind(name: &str) -> Option<RawKind> {
        match name {
            "script" => Some(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => Some(RawKind::Rawtext),
            "textarea" | "title" => Some(RawKind::Rcdata),
            _ => None,
        }
    }

    fn is_formatting(name: &str) -> bool {
        matches!(
            name,
            "a" | "b"
                | "big"
                | "code"
                | "em"
                | "font"
                | "i"
                | "nobr"
                | "s"
                | "small"
                | "strike"
                | "strong"
                | "tt"
                | "u"
        )
    }

    /// Elements that stop the search for an element to close implicitly.
    fn is_scope_boundary(name: &str) -> bool {
        matches!(
            name,
            "applet"
                | "caption"
                | "html"
                | "table"
                | "td"
                | "th"
                | "marquee"
                | "object"
                | "template"
                | "button"
                | "svg"
                | "math"
                | "foreignObject"
                | "desc"
        )
    }

    /// Start tags that close an open `<p>`.
    fn closes_p(name: &str) -> bool {
        matches!(
            name,
            "address"
                | "article"
                | "aside"
                | "blockquote"
                | "center"
                | "details"
                | "dialog"
                | "dir"
                | "div"
                | "dl"
                | "fieldset"
                | "figcaption"
                | "figure"
                | "footer"
                | "header"
                | "hgroup"
                | "main"
                | "menu"
                | "nav"
                | "ol"
                | "p"
                | "search"
                | "section"
                | "summary"
                | "ul"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "pre"
                | "listing"
                | "form"
                | "table"
                | "hr"
                | "xmp"
                | "li"
                | "dd"
                | "dt"
        )
    }

    fn is_heading(name: &str) -> bool {
        matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
    }

    #[derive(Default)]
    struct State {
        out: String,
        stack: Vec<String>,
        /// Start tags dropped for depth, by name, so their end tags are dropped too.
        dropped: HashMap<String, usize>,
        dropped_any: bool,
        stale_formatting: usize,
        foreign_depth: usize,
    }

    impl State {
        fn push_escaped(&mut self, text: &str, attribute: bool) {
            for c in text.chars() {
                match c {
                    '&' => self.out.push_str("&amp;"),
                    '<' if !attribute => self.out.push_str("&lt;"),
                    '>' if !attribute => self.out.push_str("&gt;"),
                    '"' if attribute => self.out.push_str("&quot;"),
                    _ => self.out.push(c),
                }
            }
        }

        fn emit_start(&mut self, tag: &Tag) {
            self.out.push('<');
            self.out.push_str(&tag.name);
            for attr in &tag.attrs {
                self.out.push(' ');
                self.out.push_str(&attr.name.local);
                self.out.push_str("=\"");
                self.push_escaped(&attr.value, true);
                self.out.push('"');
            }
            if tag.self_closing {
                self.out.push('/');
            }
            self.out.push('>');
        }

        fn emit_end(&mut self, name: &str) {
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
        }

        /// Closes `stack[pos]` and everything above it, explicitly.
        fn close_to(&mut self, pos: usize) {
            while self.stack.len() > pos {
                let Some(name) = self.stack.pop() else { break };
                if self.stack.len() > pos && is_formatting(&name) {
                    self.stale_formatting += 1;
                }
                if name == "svg" || name == "math" {
                    self.foreign_depth = self.foreign_depth.saturating_sub(1);
                }
                self.emit_end(&name);
            }
        }

        /// The topmost open element matching `wanted`, searching down to a boundary.
        fn find_open(&self, wanted: impl Fn(&str) -> bool, boundary: impl Fn(&str) -> bool) -> Option<usize> {
            for (pos, name) in self.stack.iter().enumerate().rev() {
                if wanted(name) {
                    return Some(pos);
                }
                if boundary(name) {
                    return None;
                }
            }
            None
        }

        /// The end tags a browser would imply before this start tag.
        fn implied_closes(&mut self, name: &str) {
            if closes_p(name)
                && let Some(pos) = self.find_open(|n| n == "p", is_scope_boundary)
            {
                self.close_to(pos);
            }
            let found = match name {
                "li" => self.find_open(|n| n == "li", |n| is_scope_boundary(n) || n == "ul" || n == "ol"),
                "dt" | "dd" => {
                    self.find_open(|n| n == "dt" || n == "dd", |n| is_scope_boundary(n) || n == "dl")
                }
                "tr" => self.find_open(|n| n == "tr", |n| n == "table" || n == "template" || n == "html"),
                "td" | "th" => self.find_open(
                    |n| n == "td" || n == "th",
                    |n| n == "tr" || n == "table" || n == "template" || n == "html",
                ),
                "option" | "optgroup" => self.find_open(|n| n == "option", |n| n != "option"),
                "a" => self.find_open(|n| n == "a", is_scope_boundary),
                "nobr" => self.find_open(|n| n == "nobr", is_scope_boundary),
                "button" => self.find_open(|n| n == "button", |n| is_scope_boundary(n) && n != "button"),
                h if is_heading(h) => self.find_open(is_heading, |_| true),
                _ => None,
            };
            if let Some(pos) = found {
                self.close_to(pos);
            }
        }

        fn start_tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
            let name: &str = &tag.name;
            if name == "plaintext" {
                // The rest of the input is text; written out escaped, without the element.
                return TokenSinkResult::Plaintext;
            }
            if let Some(kind) = raw_kind(name) {
                // Leaf elements whose content is raw text: never deepen the tree.
                self.emit_start(tag);
                return TokenSinkResult::RawData(kind);
            }
            let self_closed = tag.self_closing && (self.foreign_depth > 0 || name == "svg" || name == "math");
            if is_void(name) || self_closed {
                self.emit_start(tag);
                return TokenSinkResult::Continue;
            }
            self.implied_closes(name);
            if self.stack.len() >= MAX_DEPTH {
                *self.dropped.entry(name.to_string()).or_default() += 1;
                self.dropped_any = true;
                return TokenSinkResult::Continue;
            }
            self.emit_start(tag);
            if name == "svg" || name == "math" {
                self.foreign_depth += 1;
            }
            self.stack.push(name.to_string());
            TokenSinkResult::Continue
        }

        fn end_tag(&mut self, tag: &Tag) {
            let name: &str = &tag.name;
            if let Some(pos) = self.stack.iter().rposition(|n| n == name) {
                self.close_to(pos);
            } else if let Some(count) = self.dropped.get_mut(name).filter(|c| **c > 0) {
                *count -= 1;
            } else if raw_kind(name).is_some() {
                self.emit_end(name);
            } else if name == "br" {
                self.out.push_str("<br>");
            }
            // Any other stray end tag is dropped.
        }
    }

    struct Sink {
        state: RefCell<State>,
    }

    impl TokenSink for Sink {
        type Handle = ();

        fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
            let mut state = self.state.borrow_mut();
            match token {
                Token::TagToken(tag) if tag.kind == TagKind::StartTag => return state.start_tag(&tag),
                Token::TagToken(tag) => state.end_tag(&tag),
                Token::CharacterTokens(text) => state.push_escaped(&text, false),
                Token::CommentToken(_)
                | Token::DoctypeToken(_)
                | Token::NullCharacterToken
                | Token::EOFToken
                | Token::ParseError(_) => {}
            }
            TokenSinkResult::Continue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize_html;

    #[test]
    fn keeps_blog_formatting() {
        let html = "<h2 id=\"intro\">Intro</h2><p><strong>b</strong> <em>i</em> <del>d</del> \
                    <ins>n</ins> <mark>m</mark> <kbd>Ctrl</kbd> x<sup>2</sup> H<sub>2</sub>O</p>\
                    <details open><summary>More</summary><p>hidden</p></details>\
                    <figure><img src=\"/a.png\" alt=\"A\"><figcaption>cap</figcaption></figure>";
        assert_eq!(sanitize_html(html), html.replace("open>", "open=\"\">"));
    }

    #[test]
    fn keeps_code_language_class_only() {
        let out = sanitize_html(r#"<pre class="evil"><code class="language-rust big">x</code></pre>"#);
        assert_eq!(out, r#"<pre><code class="language-rust">x</code></pre>"#);
    }

    #[test]
    fn links_get_rel_and_lose_scripts() {
        let out = sanitize_html(r#"<a href="https://example.com" target="_blank" onclick="x()">e</a>"#);
        assert_eq!(
            out,
            r#"<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">e</a>"#
        );
        let out =
            sanitize_html(r#"<a href="java&#9;script:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a>"#);
        assert!(!out.to_lowercase().contains("javascript"), "{out}");
        let out = sanitize_html(r#"<a href="vbscript:msgbox(1)">x</a>"#);
        assert!(!out.contains("vbscript"), "{out}");
        // Invisible characters a lenient reader might skip.
        for prefix in ["&#x2028;", "&#x3000;", "&#x200B;", "&#xFEFF;", "java&#x200B;"] {
            let out = sanitize_html(&format!(r#"<a href="{prefix}javascript:alert(1)">x</a>"#));
            assert_eq!(out, r#"<a rel="noopener noreferrer nofollow">x</a>"#, "{prefix}");
        }
        // Relative URLs and ordinary schemes stay.
        for href in ["/post/1", "./a:b", "#fn-1", "?q=javascript:x", "mailto:a@b.c", "https://a.b/c:d"] {
            assert!(sanitize_html(&format!(r#"<a href="{href}">x</a>"#)).contains(href), "{href}");
        }
    }

    #[test]
    fn data_urls_only_for_raster_images() {
        let png = "data:image/png;base64,iVBORw0KGgo=";
        assert!(sanitize_html(&format!(r#"<img src="{png}">"#)).contains(png));
        assert!(!sanitize_html(r#"<img src="data:image/svg+xml;base64,PHN2Zz4=">"#).contains("data:"));
        assert!(!sanitize_html(&format!(r#"<a href="{png}">x</a>"#)).contains("data:"));
        assert!(
            !sanitize_html(r#"<a href="data:text/html,<script>alert(1)</script>">x</a>"#).contains("data:")
        );
    }

    #[test]
    fn removes_active_content() {
        let out = sanitize_html(
            "<script>alert(1)</script><style>p{}</style><iframe src=x></iframe>\
             <svg onload=alert(1)><text>t</text></svg><math><mi>x</mi></math>\
             <form action=x><button formaction=y>b</button></form>\
             <p style=\"color:red\" onmouseover=\"x\">ok</p>",
        );
        assert_eq!(out, "b<p>ok</p>");
    }

    #[test]
    fn inputs_are_inert_checkboxes() {
        let out = sanitize_html(r#"<input type="text" name="q" value="v" checked>"#);
        // Attribute order is not specified.
        let mut attrs: Vec<&str> =
            out.trim_start_matches("<input ").trim_end_matches('>').split(' ').collect();
        attrs.sort_unstable();
        assert_eq!(attrs, ["checked=\"\"", "disabled=\"\"", "type=\"checkbox\""], "{out}");
    }

    #[test]
    fn deep_nesting_is_flattened_quickly() {
        let start = std::time::Instant::now();
        let out = sanitize_html(&("<div>".repeat(50_000) + "x"));
        assert_eq!(out.matches("<div>").count(), super::structure::MAX_DEPTH, "{}", &out[..200]);
        assert!(out.contains('x'));
        let out = sanitize_html(&(0..20_000).map(|i| format!("<p><b title={i}>x</p>")).collect::<String>());
        assert!(out.len() < 2_000_000, "amplified to {} bytes", out.len());
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }

    #[test]
    fn ordinary_messy_html_is_not_rewritten() {
        // Unclosed paragraphs and list items are normal HTML, well under the limits.
        let html = "<p>one<p>two<ul><li>a<li>b</ul>".repeat(20);
        assert!(super::structure::limit(&html).is_none());
        assert_eq!(sanitize_html("<p><b>x</p>y"), "<p><b>x</b></p><b>y</b>");
    }

    #[test]
    fn footnote_markup_survives() {
        let html = "<p>Hi<sup class=\"footnote-ref\"><a href=\"#fn-x\" id=\"fnref-x\" data-footnote-ref=\"\">1</a></sup></p>\
            <section class=\"footnotes\" data-footnotes=\"\"><ol><li id=\"fn-x\"><p>Note <a href=\"#fnref-x\" \
            class=\"footnote-backref\" data-footnote-backref=\"\" data-footnote-backref-idx=\"1\" \
            aria-label=\"Back to reference 1\">↩</a></p></li></ol></section>";
        let out = sanitize_html(html);
        for needle in [
            "class=\"footnote-ref\"",
            "id=\"fnref-x\"",
            "href=\"#fn-x\"",
            "class=\"footnotes\"",
            "id=\"fn-x\"",
            "class=\"footnote-backref\"",
            "data-footnote-backref-idx=\"1\"",
        ] {
            assert!(out.contains(needle), "{needle} missing in {out}");
        }
    }

    #[test]
    fn ids_only_where_useful() {
        assert_eq!(
            sanitize_html(r#"<div id="x"><img id="y" src="a.png"></div>"#),
            r#"<div><img src="a.png"></div>"#
        );
    }
}
