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
//!   else (`javascript:`, `vbscript:`, `file:`, …) drops the attribute. The URL is parsed
//!   the way browsers do (WHATWG URL), so `java&#9;script:`, leading control characters and
//!   mixed case are all caught.
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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, Url};

/// Elements that survive sanitizing (their allowed attributes are in [`tag_attributes`]).
const TAGS: &[&str] = &[
    // text-level
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "br",
    "cite",
    "code",
    "data",
    "del",
    "dfn",
    "em",
    "i",
    "ins",
    "kbd",
    "mark",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "wbr", // embedded
    "img",
    "video",
    "audio",
    "source",
    "track", // grouping
    "address",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "ul", // sections
    "article",
    "aside",
    "footer",
    "header",
    "section",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hgroup", // tables
    "table",
    "caption",
    "colgroup",
    "col",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    // interactive but inert
    "details",
    "summary",
    "input",
    "center",
];

/// Elements removed together with everything inside them.
const CLEAN_CONTENT_TAGS: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "applet", "template", "noscript", "svg", "math",
    "select", "textarea", "title", "frame", "frameset", "noframes", "noembed", "xmp", "head", "meta", "link",
    "base", "param", "canvas", "dialog",
];

/// Attributes allowed on every kept element.
const GENERIC_ATTRIBUTES: &[&str] = &["lang", "title", "dir"];

/// URL schemes allowed in `href`, `src` and `poster` (relative URLs are always allowed).
/// `data` is listed so `<img src="data:image/png…">` can pass; the attribute filter drops
/// every other use of `data:`.
const URL_SCHEMES: &[&str] =
    &["http", "https", "mailto", "tel", "ftp", "ftps", "xmpp", "irc", "ircs", "magnet", "geo", "sms", "data"];

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

/// Keeps `language-*` classes (the ones comrak puts on fenced code) and nothing else.
fn filter_code_class(value: &str) -> Option<Cow<'_, str>> {
    let kept: Vec<&str> = value
        .split_ascii_whitespace()
        .filter(|class| {
            class.strip_prefix("language-").is_some_and(|lang| {
                !lang.is_empty()
                    && lang.len() <= 64
                    && lang.chars().all(|c| c.is_ascii_alphanumeric() || "-_+#.".contains(c))
            })
        })
        .collect();
    if kept.is_empty() { None } else { Some(Cow::Owned(kept.join(" "))) }
}

/// True for `data:image/png;base64,…` and the other raster types in [`DATA_IMAGE_TYPES`].
fn is_raster_data_image(url: &Url) -> bool {
    // For `data:` URLs the "path" is everything after the scheme: `image/png;base64,...`.
    let path = url.path();
    let media_type = path.split([';', ',']).next().unwrap_or("").trim().to_ascii_lowercase();
    DATA_IMAGE_TYPES.contains(&media_type.as_str())
}

/// Runs after ammonia's own allowlist and scheme checks, so it only refines what passed.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "href" | "src" | "poster" => {
            if let Ok(url) = Url::parse(value)
                && url.scheme() == "data"
                && !(element == "img" && attribute == "src" && is_raster_data_image(&url))
            {
                return None;
            }
            Some(Cow::Borrowed(value))
        }
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
    BUILDER.clean(html).to_string()
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
        assert_eq!(
            sanitize_html(r#"<input type="text" name="q" value="v" checked>"#),
            r#"<input checked="" type="checkbox" disabled="">"#
        );
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
