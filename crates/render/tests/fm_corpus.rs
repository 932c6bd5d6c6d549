//! Front matter of every Markdown file of the shared corpus (real Hexo, Hugo, Zola, wiki.js and
//! VitePress sites): nothing panics, every file is either parsed or refused with a reason, and
//! the facts an importing user would check come out right.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use inkstone_render::front_matter::{
    FrontMatterKind, ImportError, ImportedDocument, TitleSource, parse_markdown_file,
};

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        dir.join("README.md").is_file(),
        "the test corpus is missing: expected it at {} (shared/corpus next to the workspace)",
        dir.display()
    );
    dir
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
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

enum Outcome {
    Parsed(Box<ImportedDocument>),
    Refused(String),
}

fn parse_path(path: &Path) -> Outcome {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let Ok(text) = String::from_utf8(bytes) else {
        return Outcome::Refused("not UTF-8".into());
    };
    let name = path.file_name().unwrap().to_string_lossy();
    match parse_markdown_file(&name, &text) {
        Ok(doc) => Outcome::Parsed(Box::new(doc)),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

fn doc(rel: &str) -> ImportedDocument {
    let path = corpus().join(rel);
    match parse_path(&path) {
        Outcome::Parsed(doc) => *doc,
        Outcome::Refused(reason) => panic!("{rel} was refused: {reason}"),
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn every_corpus_markdown_file_is_parsed_or_refused_with_a_reason() {
    let root = corpus();
    let mut files = Vec::new();
    for set in ["markdown-zh", "markdown-en", "sites"] {
        markdown_files(&root.join(set), &mut files);
    }
    assert!(files.len() > 500, "only {} Markdown files found", files.len());

    let mut parsed = 0;
    let mut refused = Vec::new();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_title: BTreeMap<String, usize> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut dated = 0;
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let outcome = std::panic::catch_unwind(|| parse_path(path))
            .unwrap_or_else(|_| panic!("parse_markdown_file panicked on {rel}"));
        match outcome {
            Outcome::Parsed(doc) => {
                parsed += 1;
                *by_kind.entry(format!("{:?}", doc.front_matter)).or_default() += 1;
                *by_title.entry(format!("{:?}", doc.title_source)).or_default() += 1;
                dated += usize::from(doc.date.is_some());
                assert!(!doc.title.trim().is_empty(), "{rel}: empty title");
                warnings.extend(doc.warnings.iter().map(|w| format!("{rel}: {w}")));
            }
            Outcome::Refused(reason) => {
                assert!(!reason.is_empty(), "{rel}: refused without a reason");
                refused.push(format!("{rel}: {reason}"));
            }
        }
    }
    println!("{} files: {parsed} parsed ({dated} with a date), {} refused", files.len(), refused.len());
    println!("front matter: {by_kind:?}; title from: {by_title:?}");
    for line in &refused {
        println!("  refused {line}");
    }
    for line in &warnings {
        println!("  warning {line}");
    }
    assert!(refused.is_empty(), "every corpus file should import");
}

#[test]
fn hexo_news_takes_the_date_from_the_file_name() {
    let d = doc("markdown-en/hexo-news/2019-10-14-hexo-4-released.md");
    assert_eq!(d.date, Some(utc("2019-10-14T00:00:00Z")));
    assert_eq!(d.title, "Hexo 4.0.0 Released");
    let mut files = Vec::new();
    markdown_files(&corpus().join("markdown-en/hexo-news"), &mut files);
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Outcome::Parsed(d) = parse_path(&path) else {
            panic!("{name} refused");
        };
        assert_eq!(d.title_source, TitleSource::FrontMatter, "{name}");
        let date = d.date.unwrap_or_else(|| panic!("{name} has no date"));
        // Posts with an explicit `date:` may differ by the time of day, never by more than a day.
        let from_name = chrono::NaiveDate::parse_from_str(&name[..10], "%Y-%m-%d").unwrap();
        let diff = (date.date_naive() - from_name).num_days().abs();
        assert!(diff <= 1, "{name}: {date}");
    }
}

#[test]
fn rust_blog_toml_files_get_title_date_and_more() {
    let d = doc("markdown-en/rust-blog/1.0-Timeline.md");
    assert_eq!(d.front_matter, FrontMatterKind::Toml);
    assert_eq!(d.title, "Rust 1.0: Scheduling the trains");
    assert_eq!(d.date, Some(utc("2014-12-12T00:00:00Z")));
    assert_eq!(d.authors, ["Aaron Turon"]);
    assert_eq!(d.aliases, ["2014/12/12/1.0-Timeline.html"]);
    assert_eq!(d.slug.as_deref(), Some("1.0-Timeline"));
    assert_eq!(
        d.excerpt.as_deref(),
        Some("As 2014 is drawing to a close, it's time to begin the Rust 1.0 release cycle!")
    );
    assert!(d.body.starts_with("As 2014 is drawing"));

    let d = doc("markdown-en/rust-blog/Rust-1.0@1.md");
    assert_eq!(d.title, "Announcing Rust 1.0");
    assert_eq!(d.date, Some(utc("2015-05-15T00:00:00Z")));
    assert_eq!(d.extra, [("release".to_string(), "true".to_string())]);

    let mut files = Vec::new();
    markdown_files(&corpus().join("markdown-en/rust-blog"), &mut files);
    assert!(files.len() >= 120);
    for path in files {
        let name = path.display().to_string();
        let Outcome::Parsed(d) = parse_path(&path) else {
            panic!("{name} refused");
        };
        assert_eq!(d.front_matter, FrontMatterKind::Toml, "{name}");
        assert_eq!(d.title_source, TitleSource::FrontMatter, "{name}");
        assert!(d.date.is_some(), "{name}: no date");
        assert!(!d.authors.is_empty(), "{name}: no authors");
    }
}

#[test]
fn hexo_unit_test_posts_without_opening_fence() {
    let d = doc("sites/hexo-theme-unit-test/source/_posts/tags.md");
    assert_eq!(d.front_matter, FrontMatterKind::YamlUnopened);
    assert_eq!(d.title, "Tags");
    assert_eq!(d.tags, ["Foo", "Bar", "Baz"]);
    assert_eq!(d.date, Some(utc("2013-12-24T23:29:53Z")));
    assert!(d.body.starts_with("This post contains 3 tags."));

    let d = doc("sites/hexo-theme-unit-test/source/_posts/categories.md");
    assert_eq!(d.categories, ["Foo", "Bar", "Baz"]);

    let d = doc("sites/hexo-theme-unit-test/source/_posts/no-title.md");
    assert_eq!(d.title_source, TitleSource::FileName);
    assert_eq!(d.title, "no title");
    assert_eq!(d.date, Some(utc("2013-12-25T22:57:49Z")));

    let d = doc("sites/hexo-theme-unit-test/source/_posts/markdown.md");
    assert_eq!(d.date, Some(utc("2018-07-24T23:31:06Z")), "unpadded month");
    assert_eq!(d.tags, ["Foo", "Bar"]);

    let d = doc("sites/hexo-theme-unit-test/source/_posts/中文測試.md");
    assert_eq!(d.title, "中文測試");

    let d = doc("sites/hexo-theme-unit-test/source/_posts/videos.md");
    assert!(d.body.contains("{% youtube TIbZDRXM-Tg %}"), "tag plugins stay in the body");

    let d = doc("sites/hexo-theme-unit-test/source/_posts/elements.md");
    assert!(d.body.contains("\n---\n"), "a later rule stays in the body");
}

#[test]
fn halo_docs_empty_tags_and_wiki_dates() {
    let d = doc("markdown-zh/halo-docs-v1/about.md");
    assert_eq!(d.title, "关于文档");
    assert!(d.tags.is_empty());
    assert!(!d.draft, "published: true");
    assert_eq!(d.date, Some(utc("2021-01-29T14:49:16.055Z")), "dateCreated");
    assert_eq!(d.updated, Some(utc("2021-07-09T03:07:32.915Z")), "date");
    assert_eq!(d.excerpt.as_deref(), Some("关于本文档站点的一些说明"));
    assert!(d.extra.contains(&("editor".to_string(), "markdown".to_string())));

    let mut files = Vec::new();
    markdown_files(&corpus().join("markdown-zh/halo-docs-v1"), &mut files);
    for path in files {
        let Outcome::Parsed(d) = parse_path(&path) else {
            panic!("{} refused", path.display());
        };
        assert!(d.tags.is_empty(), "{}", path.display());
        assert_eq!(d.title_source, TitleSource::FrontMatter, "{}", path.display());
    }
}

#[test]
fn cloudwego_author_html_is_kept_as_text() {
    let d = doc("markdown-zh/cloudwego-blog/news__1st_RPCKitex.md");
    assert_eq!(d.title, "高性能 RPC 框架 CloudWeGo-Kitex 内外统一的开源实践");
    assert_eq!(d.date, Some(utc("2022-09-20T00:00:00Z")));
    assert_eq!(d.authors, [r#"<a href="https://github.com/YangruiEmma" target="_blank">YangruiEmma</a>"#]);
    assert!(d.excerpt.as_deref().unwrap().starts_with("本文介绍了高性能 RPC 框架"));
    let link_title = d.extra.iter().find(|(k, _)| k == "linkTitle").map(|(_, v)| v.as_str());
    assert_eq!(link_title, Some("高性能 RPC 框架 CloudWeGo-Kitex 内外统一的开源实践"));

    for set in ["markdown-zh/cloudwego-blog", "markdown-en/cloudwego-blog"] {
        let mut files = Vec::new();
        markdown_files(&corpus().join(set), &mut files);
        for path in files {
            let Outcome::Parsed(d) = parse_path(&path) else {
                panic!("{} refused", path.display());
            };
            assert_eq!(d.title_source, TitleSource::FrontMatter, "{}", path.display());
            assert!(d.date.is_some(), "{}", path.display());
        }
    }
}

#[test]
fn loveit_draft_resources_and_shortcodes() {
    let d = doc("sites/hugo-loveit-exampleSite/content/posts/theme-documentation-basics/index.en.md");
    assert_eq!(d.title, "Theme Documentation - Basics");
    assert!(!d.draft);
    assert_eq!(d.date, Some(utc("2020-03-06T13:29:01Z")));
    assert_eq!(d.updated, Some(utc("2020-03-06T13:29:01Z")));
    assert_eq!(d.cover.as_deref(), Some("featured-image.jpg"), "resources: featured-image");
    assert_eq!(d.tags, ["installation", "configuration"]);
    assert_eq!(d.categories, ["documentation"]);
    assert_eq!(d.authors, ["Dillon"]);
    assert!(d.extra.contains(&("weight".to_string(), "1".to_string())));
    assert!(d.extra.contains(&("authorLink".to_string(), "https://dillonzq.com".to_string())));
    assert!(d.body.contains("{{< admonition note"));

    let d =
        doc("sites/hugo-loveit-exampleSite/content/posts/theme-documentation-mermaid-shortcode/index.en.md");
    assert!(!d.draft);
    assert_eq!(d.cover.as_deref(), Some("featured-image.png"));
    assert!(d.extra.contains(&("hiddenFromHomePage".to_string(), "true".to_string())));
    assert!(d.body.starts_with("{{< version 0.2.11 changed >}}"));

    let d = doc("sites/hugo-loveit-exampleSite/content/posts/emoji-support/index.zh-cn.md");
    assert_eq!(d.title, "Emoji 支持");
    assert_eq!(d.tags, ["emoji"]);

    let d = doc("sites/hugo-loveit-exampleSite/content/about/index.en.md");
    assert_eq!(d.cover.as_deref(), Some("/Apple-Devices-Preview.png"), "first of images");
    assert!(d.body.starts_with("{{< style"));

    let d = doc("sites/hugo-loveit-exampleSite/content/tags/content/_index.zh-cn.md");
    assert_eq!(d.title, "内容");
    assert_eq!(d.body, "");
}

#[test]
fn vitepress_files_without_front_matter_take_the_first_heading() {
    let d = doc("markdown-zh/vuejs-docs-zh-cn/best-practices__accessibility.md");
    assert_eq!(d.front_matter, FrontMatterKind::None);
    assert_eq!(d.title, "无障碍访问");
    assert_eq!(d.title_source, TitleSource::Heading);
    assert!(d.body.starts_with("# 无障碍访问 {#accessibility}"));

    let d = doc("markdown-zh/vuejs-docs-zh-cn/best-practices__performance.md");
    assert_eq!(d.front_matter, FrontMatterKind::Yaml);
    assert_eq!(d.title, "性能优化");
    assert_eq!(d.extra, [("outline".to_string(), "deep".to_string())]);
}

#[test]
fn refusals_name_the_problem() {
    let err = parse_markdown_file("x.md", "---\ntitle: a\n  bad: indent\n---\n").unwrap_err();
    let ImportError::BadFrontMatter(reason) = err else {
        panic!("{err:?}");
    };
    assert!(reason.contains("line 3"), "{reason}");
}
