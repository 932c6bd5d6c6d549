//! Hostile input: every vector of `shared/corpus/xss/` rendered as HTML and as Markdown
//! must come out with no executable markup.
//!
//! The output is parsed by a real HTML parser (scraper/html5ever, as a browser would) and
//! checked by [`assert_inert`]. Property tests then throw random concatenations of vector
//! fragments and random strings at the renderer and at the sanitizer applied twice.
//!
//! The test fails (it does not skip) when the corpus is missing.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use inkstone_render::{Rendered, SourceFormat, render, sanitize_html};
use proptest::prelude::*;
use scraper::{Html, Node};

const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "meta", "link",
    "form", "svg", "math", "template",
];

const URL_ATTRIBUTES: &[&str] =
    &["href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset", "ping", "cite"];

const DANGEROUS_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:text/html", "livescript:"];

/// The only `data:` URLs the policy lets through: raster images in `<img src>`.
const RASTER_DATA: &[&str] = &[
    "data:image/png",
    "data:image/jpeg",
    "data:image/jpg",
    "data:image/gif",
    "data:image/webp",
    "data:image/avif",
    "data:image/bmp",
];

/// A URL as a browser would read its scheme: the parser has decoded character references;
/// control characters and whitespace are dropped (browsers strip or ignore them), lowercase.
/// Invisible format characters (zero-width spaces and joiners, bidi controls, BOM) are
/// dropped too, to be stricter than asked.
fn url_for_scheme_check(value: &str) -> String {
    value
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
        })
        .collect::<String>()
        .to_lowercase()
}

/// The first thing in `html` that could execute, described; `None` when it is inert.
fn violation(html: &str) -> Option<String> {
    let fragment = Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Node::Element(element) = node.value() else { continue };
        let name = element.name().to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            return Some(format!("<{name}> survived"));
        }
        for (attr, value) in element.attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") || attr == "style" {
                return Some(format!("{attr}= survived on <{name}>"));
            }
            let local = attr.rsplit(':').next().unwrap_or(&attr);
            if URL_ATTRIBUTES.contains(&attr.as_str()) || URL_ATTRIBUTES.contains(&local) {
                let url = url_for_scheme_check(value);
                if DANGEROUS_SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
                    return Some(format!("{attr}=\"{value}\" on <{name}>"));
                }
                // Policy: `data:` only for raster images in <img src>.
                if url.starts_with("data:")
                    && !(name == "img" && attr == "src" && RASTER_DATA.iter().any(|p| url.starts_with(p)))
                {
                    return Some(format!("{attr}=\"{value}\" on <{name}> (data: URL outside <img src>)"));
                }
            }
        }
    }
    None
}

/// Panics, naming `context`, if `html` contains anything that could execute.
fn assert_inert(html: &str, context: &str) {
    if let Some(problem) = violation(html) {
        panic!("{problem}\n  input: {context}\n  output: {html}");
    }
}

/// Renders `vector` both ways and checks every output, including a second sanitizing pass.
fn check_vector(vector: &str, source: &str) {
    let context = format!("[{source}] {vector:?}");
    for format in [SourceFormat::Html, SourceFormat::Markdown] {
        let Rendered { html, .. } = render(vector, format);
        assert_inert(&html, &format!("{context} as {format:?}"));
        assert_inert(&sanitize_html(&html), &format!("{context} as {format:?}, sanitized twice"));
    }
}

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/xss");
    assert!(dir.is_dir(), "the XSS corpus is required but {} is missing", dir.display());
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The contents of the fenced code blocks of a Markdown file, each whole and line by line.
fn owasp_vectors(markdown: &str) -> Vec<String> {
    let mut vectors = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            match block.take() {
                Some(lines) => {
                    vectors.push(lines.join("\n"));
                    if lines.len() > 1 {
                        vectors.extend(lines.iter().filter(|l| !l.trim().is_empty()).map(|l| l.to_string()));
                    }
                }
                None => block = Some(Vec::new()),
            }
        } else if let Some(lines) = &mut block {
            lines.push(line);
        }
    }
    vectors
}

/// html5sec `vectors.txt`: `<div id="N">vector//["'`-->]]>]</div>`, numbered from 1.
fn html5sec_vectors(text: &str) -> Vec<String> {
    let terminator = "//[\"'`-->]]>]</div>";
    text.split(terminator)
        .filter_map(|chunk| {
            let start = chunk.find("<div id=\"")?;
            let rest = &chunk[start + "<div id=\"".len()..];
            let close = rest.find("\">")?;
            rest[..close].parse::<u32>().ok()?;
            Some(rest[close + 2..].to_string())
        })
        .collect()
}

/// markdown-it fixtures: a title paragraph, then `.`-delimited input and expected output.
fn markdown_it_inputs(text: &str) -> Vec<String> {
    let mut inputs = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line != "." {
            continue;
        }
        let input: Vec<&str> = lines.by_ref().take_while(|l| *l != ".").collect();
        // Skip the expected output.
        for l in lines.by_ref() {
            if l == "." {
                break;
            }
        }
        inputs.push(input.join("\n") + "\n");
    }
    inputs
}

/// Every vector in the corpus, with where it came from.
fn corpus_vectors() -> Vec<(String, String)> {
    let dir = corpus_dir();
    let mut all = Vec::new();
    let mut add = |source: String, vectors: Vec<String>, at_least: usize| {
        assert!(
            vectors.len() >= at_least,
            "{source}: only {} vectors found, expected {at_least}+",
            vectors.len()
        );
        eprintln!("xss corpus {source}: {} vectors", vectors.len());
        all.extend(vectors.into_iter().map(|v| (source.clone(), v)));
    };

    let owasp = read(&dir.join("owasp-cheatsheet/XSS_Filter_Evasion_Cheat_Sheet.md"));
    add("owasp-cheatsheet".into(), owasp_vectors(&owasp), 100);

    add("html5sec".into(), html5sec_vectors(&read(&dir.join("html5sec/vectors.txt"))), 139);

    let dompurify: serde_json::Value =
        serde_json::from_str(&read(&dir.join("dompurify/expect.json"))).expect("expect.json is JSON");
    let payloads: Vec<String> = dompurify
        .as_array()
        .expect("an array")
        .iter()
        .map(|case| case["payload"].as_str().expect("string payload").to_string())
        .collect();
    add("dompurify".into(), payloads, 223);

    let pat = dir.join("payloadsallthethings");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&pat)
        .expect("payloadsallthethings/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "payloadsallthethings: {} lists", names.len());
    for path in names {
        let lines: Vec<String> =
            read(&path).lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
        add(format!("payloadsallthethings/{}", path.file_name().unwrap().to_string_lossy()), lines, 10);
    }
    let mut svgs: Vec<PathBuf> = std::fs::read_dir(pat.join("svg"))
        .expect("payloadsallthethings/svg/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    svgs.sort();
    add("payloadsallthethings/svg".into(), svgs.iter().map(|p| read(p)).collect(), 8);

    add("markdown-it/xss.txt".into(), markdown_it_inputs(&read(&dir.join("markdown-it/xss.txt"))), 13);
    add("markdown-it/fatal.txt".into(), markdown_it_inputs(&read(&dir.join("markdown-it/fatal.txt"))), 5);
    all
}

static VECTORS: LazyLock<Vec<(String, String)>> = LazyLock::new(corpus_vectors);

#[test]
fn every_corpus_vector_is_neutralized() {
    let vectors = &*VECTORS;
    for (source, vector) in vectors {
        check_vector(vector, source);
    }
    eprintln!("xss: {} corpus vectors checked, each as HTML and as Markdown", vectors.len());
}

#[test]
fn whole_corpus_files_are_neutralized() {
    // The files as single documents too: context from earlier vectors (unclosed comments,
    // raw-text elements, …) must not open a hole later.
    let dir = corpus_dir();
    for path in [
        "owasp-cheatsheet/XSS_Filter_Evasion_Cheat_Sheet.md",
        "html5sec/vectors.txt",
        "payloadsallthethings/MarioXSSVectors.txt",
        "payloadsallthethings/JHADDIX_XSS.txt",
        "payloadsallthethings/XSS_Polyglots.txt",
        "markdown-it/xss.txt",
    ] {
        check_vector(&read(&dir.join(path)), path);
    }
}

#[test]
fn dompurify_benign_cases_keep_their_content() {
    let cases: &[(&str, &str, &[&str])] = &[
        // (payload, expected plain text, substrings the HTML must keep)
        ("<p>hello</p>", "hello", &["<p>hello</p>"]),
        ("123456", "123456", &[]),
        ("<a href=\"#some-code-here\" id=\"location\">invisible", "invisible", &["href=\"#some-code-here\""]),
        (
            "<img src=data:image/jpeg,ab798ewqxbaudbuoibeqbla>",
            "",
            &["src=\"data:image/jpeg,ab798ewqxbaudbuoibeqbla\""],
        ),
        ("<input name=submit>123", "123", &[]),
        ("<b is=\"foo\">bar</b>", "bar", &["<b>bar</b>"]),
        ("<a href=data:,evilnastystuff>clickme</a>", "clickme", &[]),
        (
            "<div aria-labelledby=\"msg--title\" role=\"dialog\" class=\"msg\"><button class=\"modal-close\" \
             aria-label=\"close\" type=\"button\"><i class=\"icon-close\"></i>some button</button></div>",
            "some button",
            &["<i></i>"],
        ),
        (
            "<b href=\"javascript:alert(1)\" title=\"javascript:alert(2)\"></b>",
            "",
            &["title=\"javascript:alert(2)\""],
        ),
        ("<div><math></math></div>", "", &["<div></div>"]),
    ];
    let dir = corpus_dir();
    let corpus = read(&dir.join("dompurify/expect.json"));
    for (payload, text, keeps) in cases {
        let encoded = serde_json::to_string(payload).unwrap();
        assert!(corpus.contains(&encoded), "{payload} is not a DOMPurify case any more");
        let out = render(payload, SourceFormat::Html);
        assert_eq!(out.text, *text, "{payload} -> {}", out.html);
        for keep in *keeps {
            assert!(out.html.contains(keep), "{payload} -> {} (lost {keep})", out.html);
        }
        assert_inert(&out.html, payload);
    }
}

#[test]
fn the_checker_catches_what_it_should() {
    for bad in [
        "<script>x</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\" java\tscript:alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<a href=\"data:text/html,x\">x</a>",
        "<p style=\"x\">x</p>",
        "<svg></svg>",
    ] {
        assert!(violation(bad).is_some(), "checker missed {bad}");
    }
    assert_inert(
        "<p><a href=\"https://example.com/javascript:\">ok</a><img src=\"data:image/png;base64,AA\"></p>",
        "ok",
    );
}

/// Pieces to build random hostile input from: corpus lines plus syntax that tends to
/// confuse parsers.
static FRAGMENTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut fragments: Vec<String> = [
        "<",
        ">",
        "\"",
        "'",
        "`",
        "=",
        "/",
        "&",
        "&#",
        "&#x",
        ";",
        "&lt;",
        "&#106;",
        "&#x6A",
        "javascript:",
        "java\tscript:",
        "JaVaScRiPt:",
        "vbscript:",
        "data:text/html,",
        "data:image/png;base64,",
        "<!--",
        "-->",
        "--!>",
        "<!-- more -->",
        "<![CDATA[",
        "]]>",
        "<?",
        "<svg>",
        "<math>",
        "<mi>",
        "<mglyph>",
        "<style>",
        "</style>",
        "<script>",
        "</script>",
        "<noscript>",
        "<template>",
        "<textarea>",
        "<title>",
        "<xmp>",
        "<iframe>",
        "<plaintext>",
        "<a href=",
        "<img src=x ",
        "onerror=",
        " onload=alert(1)",
        "<p>",
        "</p>",
        "<b id=1>",
        "</b>",
        "<table>",
        "<td>",
        "<select>",
        "<option>",
        "<form>",
        "<button formaction=javascript:alert(1)>",
        "\t",
        "\n",
        "\n\n",
        "\0",
        "\u{FEFF}",
        "[x](",
        ")",
        "![i](",
        "<javascript:alert(1)>",
        "www.x.com",
        "```",
        "    ",
        "> ",
        "- [ ] ",
        "[^1]",
        "[^1]: ",
        "| a |",
        "|---|",
        "~~",
        "**",
        "_",
        "\\",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (_, vector) in VECTORS.iter() {
        if vector.len() <= 400 {
            fragments.push(vector.clone());
        }
        // Halves, so vectors get cut at arbitrary points.
        let mid = (0..=vector.len() / 2).rev().find(|&i| vector.is_char_boundary(i)).unwrap_or(0);
        fragments.push(vector[..mid].to_string());
        fragments.push(vector[mid..].to_string());
    }
    fragments
});

fn hostile_input() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(FRAGMENTS.clone()),
        1 => "[<>\"'=/a-zA-Z0-9:&#;!\\- \t\n]{0,24}",
        1 => any::<String>().prop_map(|s| s.chars().take(24).collect::<String>()),
    ];
    prop::collection::vec(piece, 1..10).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_hostile_input_is_neutralized(input in hostile_input()) {
        check_vector(&input, "proptest");
    }

    #[test]
    fn sanitizing_twice_stays_inert(input in hostile_input()) {
        let once = sanitize_html(&input);
        let twice = sanitize_html(&once);
        assert_inert(&once, &input);
        assert_inert(&twice, &input);
    }
}
