//! Real posts from `shared/corpus/` (Chinese and English Markdown, Hexo and Hugo sites)
//! through the renderer: nothing panics, nothing executable survives, the plain text and
//! excerpts come out the way a reader would expect.
//!
//! Files are rendered whole, front matter included (splitting it off is front_matter.rs's
//! job); that only adds a little text. The test fails when the corpus is missing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use inkstone_render::{SourceFormat, auto_excerpt, render};
use scraper::{Html, Node};

/// A short form of the check in `xss.rs` (which has the full one).
fn executable_markup(html: &str) -> Option<String> {
    let fragment = Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Node::Element(element) = node.value() else { continue };
        let name = element.name();
        if ["script", "style", "iframe", "object", "embed", "form", "svg", "math"].contains(&name) {
            return Some(format!("<{name}> in output"));
        }
        for (attr, value) in element.attrs() {
            let url: String = value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
            if attr.starts_with("on")
                || attr == "style"
                || url.to_ascii_lowercase().starts_with("javascript:")
            {
                return Some(format!("{attr}=\"{value}\" on <{name}>"));
            }
        }
    }
    None
}

fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(dir.is_dir(), "the test corpus is required but {} is missing", dir.display());
    dir
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_post_renders() {
    let root = corpus();
    let mut files = Vec::new();
    for dir in ["markdown-zh", "markdown-en", "sites"] {
        markdown_files(&root.join(dir), &mut files);
    }
    assert!(files.len() >= 500, "only {} Markdown files found", files.len());

    let started = Instant::now();
    let mut with_marker = 0;
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let out = render(&source, SourceFormat::Markdown);
        let name = path.strip_prefix(&root).unwrap().display();
        if let Some(problem) = executable_markup(&out.html) {
            panic!("{name}: {problem}");
        }
        assert!(!out.html.contains('\u{F8FF}') && !out.text.contains('\u{F8FF}'), "{name}: marker leaked");
        if !source.trim().is_empty() {
            assert!(!out.text.is_empty(), "{name}: no text");
        }
        let excerpt = auto_excerpt(&out.text, 140);
        assert!(excerpt.chars().count() <= 140, "{name}: excerpt too long");
        if let Some(more) = &out.more_excerpt {
            with_marker += 1;
            assert!(
                out.text.starts_with(more.lines().next().unwrap_or("")),
                "{name}: excerpt is not a prefix"
            );
        }
    }
    eprintln!(
        "render corpus: {} Markdown files in {:?}, {with_marker} with a more marker",
        files.len(),
        started.elapsed()
    );
    assert!(with_marker >= 10, "more markers found in only {with_marker} files");
}

#[test]
fn hexo_excerpt_post() {
    let path = corpus().join("sites/hexo-theme-unit-test/source/_posts/excerpts.md");
    let source = std::fs::read_to_string(path).expect("excerpts.md");
    let out = render(&source, SourceFormat::Markdown);
    let more = out.more_excerpt.expect("a more excerpt");
    assert!(more.ends_with("The following contents should be invisible in home/archive page."), "{more}");
    assert!(!more.contains("Lorem ipsum"));
    assert!(out.text.contains("Lorem ipsum"));
}

#[test]
fn chinese_post_text_reads_naturally() {
    let dir = corpus().join("markdown-zh/cloudwego-blog");
    let mut files = Vec::new();
    markdown_files(&dir, &mut files);
    let path = files.first().expect("a cloudwego post");
    let source = std::fs::read_to_string(path).unwrap();
    let out = render(&source, SourceFormat::Markdown);
    // No raw Markdown syntax or tags in the text, and CJK excerpts are cut by characters.
    assert!(
        !out.text.contains("<p>") && !out.text.contains("**"),
        "{}",
        &out.text[..200.min(out.text.len())]
    );
    let excerpt = auto_excerpt(&out.text, 80);
    assert!(excerpt.chars().count() <= 80);
    assert!(excerpt.ends_with('…'));
}
