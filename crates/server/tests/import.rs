//! `inkstone import markdown` over the shared corpus of real Markdown sites, with a server
//! running on the same data directory, checked through the HTTP API.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// `/work/shared/corpus`, which must exist: these tests fail rather than pass vacuously.
fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        dir.join("markdown-zh").is_dir() && dir.join("markdown-en").is_dir() && dir.join("sites").is_dir(),
        "the test corpus is missing: expected markdown-zh, markdown-en and sites under {}",
        dir.display()
    );
    dir
}

/// Files under `dir`, recursively, leaving out hidden files and directories; relative paths.
fn visible_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                walk(root, &entry.path(), out);
            } else if kind.is_file() {
                out.push(entry.path().strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn is_markdown(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown") || lower.ends_with(".mdx")
}

fn is_hexo_scaffold(path: &str) -> bool {
    path.split('/').any(|part| part == "scaffolds")
}

/// The summary an import prints on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Summary {
    imported: usize,
    updated: usize,
    unchanged: usize,
    skipped: usize,
    /// (path, reason), in the printed order.
    skips: Vec<(String, String)>,
}

#[track_caller]
fn parse_summary(stdout: &str) -> Summary {
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or_else(|| panic!("no summary on stdout"));
    let numbers: Vec<usize> = first
        .split(", ")
        .zip(["imported", "updated", "unchanged", "skipped"])
        .map(|(part, word)| {
            let n = part.strip_prefix(word).and_then(|n| n.trim().parse().ok());
            n.unwrap_or_else(|| panic!("bad summary line (expected `{word} N`): {first}"))
        })
        .collect();
    assert_eq!(numbers.len(), 4, "bad summary line: {first}");
    let skips = lines
        .map(|line| {
            let rest = line.strip_prefix("  skipped ").unwrap_or_else(|| panic!("unexpected line: {line:?}"));
            let (path, reason) =
                rest.split_once(": ").unwrap_or_else(|| panic!("a skip with no reason: {line:?}"));
            (path.to_string(), reason.trim().to_string())
        })
        .collect();
    Summary { imported: numbers[0], updated: numbers[1], unchanged: numbers[2], skipped: numbers[3], skips }
}

#[track_caller]
fn import(data: &Path, dir: &Path, extra: &[&str]) -> Summary {
    let mut args = vec!["import", "markdown"];
    args.extend_from_slice(extra);
    args.push(dir.to_str().unwrap());
    let out = cli(data, &args).expect_success("import markdown");
    parse_summary(&out.stdout)
}

/// Every file accounted for, every skip explained; returns the skip reasons grouped.
#[track_caller]
fn check_accounting(name: &str, files: &[String], summary: &Summary) -> BTreeMap<String, Vec<String>> {
    assert_eq!(
        summary.imported + summary.updated + summary.unchanged + summary.skipped,
        files.len(),
        "{name}: the summary does not account for all {} files: {summary:?}",
        files.len()
    );
    assert_eq!(summary.skips.len(), summary.skipped, "{name}: one line per skipped file");
    let known: HashSet<&str> = files.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, reason) in &summary.skips {
        assert!(known.contains(path.as_str()), "{name}: skipped a file that does not exist: {path}");
        assert!(seen.insert(path), "{name}: {path} reported twice");
        assert!(!reason.is_empty(), "{name}: {path} skipped with no reason");
        if !is_markdown(path) {
            assert!(reason.contains("not a Markdown file"), "{name}: {path}: {reason}");
        }
        if is_hexo_scaffold(path) {
            assert!(reason.contains("scaffold"), "{name}: {path}: {reason}");
        }
        grouped.entry(reason.clone()).or_default().push(path.clone());
    }
    for file in files.iter().filter(|f| !is_markdown(f) || is_hexo_scaffold(f)) {
        assert!(seen.contains(file), "{name}: {file} is not a post but was not skipped");
    }
    grouped
}

/// Posts matching `query` (at most 100), as the given caller sees them.
fn search(server: &Server, query: &[(&str, &str)], token: Option<&str>) -> Vec<Value> {
    let mut query = query.to_vec();
    query.push(("per_page", "100"));
    let page = get(&server.url("/api/v1/posts"), &query, token).expect(200, "GET /api/v1/posts");
    page["items"].as_array().unwrap().clone()
}

fn titled<'a>(items: &'a [Value], title: &str) -> Option<&'a Value> {
    items.iter().find(|item| item["title"] == title)
}

#[test]
fn markdown_corpus_imports_completely_and_reimports_without_duplicates() {
    let corpus = corpus_dir();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let token = create_token(&data, ADMIN);
    let mut expected_total = 0;
    let mut report = String::new();

    for set in ["markdown-zh", "markdown-en", "sites"] {
        let dir = corpus.join(set);
        let files = visible_files(&dir);
        let markdown = files.iter().filter(|f| is_markdown(f) && !is_hexo_scaffold(f)).count();
        assert!(markdown > 40, "{set}: only {markdown} Markdown files in the corpus");

        let first = import(&data, &dir, &[]);
        let grouped = check_accounting(set, &files, &first);
        assert_eq!(first.unchanged, 0, "{set}: nothing of it was imported before: {first:?}");
        assert_eq!(first.updated, 0, "{set}: another directory's posts were overwritten: {first:?}");
        let accepted = first.imported;
        // Measured: every non-scaffold Markdown file of the corpus imports.
        assert!(
            accepted * 100 >= markdown * 97,
            "{set}: only {accepted} of {markdown} Markdown files imported; skipped: {grouped:#?}"
        );
        expected_total += first.imported as i64;
        assert_eq!(
            post_total(&server, &[], Some(&token)),
            expected_total,
            "{set}: posts after the first import"
        );

        report.push_str(&format!(
            "{set}: {} files, {markdown} posts: imported {}, updated {}, skipped {}\n",
            files.len(),
            first.imported,
            first.updated,
            first.skipped
        ));
        for (reason, paths) in &grouped {
            report.push_str(&format!("  {} x {reason}\n", paths.len()));
        }

        // The same import again changes nothing and duplicates nothing.
        let again = import(&data, &dir, &[]);
        check_accounting(set, &files, &again);
        assert_eq!(
            (again.imported, again.updated, again.unchanged, again.skipped),
            (0, 0, accepted, first.skipped),
            "{set}: a re-import is not a no-op"
        );
        assert_eq!(again.skips, first.skips, "{set}: different skips the second time");
        assert_eq!(
            post_total(&server, &[], Some(&token)),
            expected_total,
            "{set}: posts after the re-import"
        );
    }
    println!("{report}");

    // No file of the corpus is a draft: everything is public, or scheduled if dated ahead.
    let public = post_total(&server, &[], None);
    let scheduled = post_total(&server, &[("status", "scheduled")], Some(&token));
    assert_eq!(post_total(&server, &[("status", "draft")], Some(&token)), 0);
    assert_eq!(public + scheduled, expected_total, "anonymous readers see {public} of {expected_total}");

    // Hexo news keep the date that is only in the file name (2019-10-14-hexo-4-released.md).
    let items = search(&server, &[("q", "Hexo 4.0.0 Released")], None);
    let hexo4 = titled(&items, "Hexo 4.0.0 Released").unwrap_or_else(|| {
        panic!("Hexo 4.0.0 Released not found: {:?}", items.iter().map(|i| &i["title"]).collect::<Vec<_>>())
    });
    assert_eq!(hexo4["status"], "published");
    assert_eq!(hexo4["published_at"], "2019-10-14T00:00:00Z");

    // A Chinese post (markdown-zh/halo-docs-v1/about.md, "关于文档") is found by a
    // two-character word of its body, and every hit contains the word.
    let items = search(&server, &[("q", "感谢")], None);
    assert!(
        titled(&items, "关于文档").is_some(),
        "q=感谢 misses 关于文档: {:?}",
        items.iter().map(|i| &i["title"]).collect::<Vec<_>>()
    );
    for item in &items {
        let text = format!("{} {}", item["title"].as_str().unwrap(), item["body"].as_str().unwrap_or(""));
        assert!(text.contains("感谢"), "q=感谢 matched {} which does not contain it", item["title"]);
    }

    // Tags survive (sites/hexo-theme-unit-test/source/_posts/tags.md: Foo, Bar, Baz).
    let items = search(&server, &[("tag", "baz")], None);
    let tagged =
        titled(&items, "Tags").unwrap_or_else(|| panic!("the Tags post is not tagged baz: {items:?}"));
    let mut tags: Vec<&str> =
        tagged["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    tags.sort();
    assert_eq!(tags, ["Bar", "Baz", "Foo"]);
}

#[test]
fn status_draft_imports_drafts_that_anonymous_readers_do_not_see() {
    let corpus = corpus_dir();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let token = create_token(&data, ADMIN);
    let dir = corpus.join("sites/hexo-theme-unit-test");
    let files = visible_files(&dir);

    let summary = import(&data, &dir, &["--status", "draft"]);
    check_accounting("hexo-theme-unit-test", &files, &summary);
    assert!(summary.imported >= 10, "{summary:?}");
    assert_eq!(post_total(&server, &[], None), 0, "anonymous readers see imported drafts");
    assert_eq!(post_total(&server, &[("status", "draft")], Some(&token)), summary.imported as i64);
    assert_eq!(post_total(&server, &[("status", "published")], Some(&token)), 0);
}

#[test]
fn importing_a_second_directory_never_overwrites_the_first() {
    // Two different sites with the same layout, as every Hexo site has
    // source/_posts/hello-world.md.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let token = create_token(&data, ADMIN);
    for (site, title) in [("site-a", "甲站的文章"), ("site-b", "乙站的文章")] {
        let posts = tmp.path().join(site).join("source/_posts");
        std::fs::create_dir_all(&posts).unwrap();
        std::fs::write(
            posts.join("hello-world.md"),
            format!("---\ntitle: {title}\n---\n\n{title}的正文。\n"),
        )
        .unwrap();
    }

    let a = import(&data, &tmp.path().join("site-a"), &[]);
    assert_eq!((a.imported, a.updated), (1, 0));
    let b = import(&data, &tmp.path().join("site-b"), &[]);
    let titles: Vec<Value> = search(&server, &[], Some(&token)).iter().map(|i| i["title"].clone()).collect();
    assert_eq!(
        (b.imported, b.updated),
        (1, 0),
        "importing site-b replaced site-a's post with the same relative path; posts now: {titles:?}"
    );
    assert_eq!(post_total(&server, &[], Some(&token)), 2, "{titles:?}");
}
