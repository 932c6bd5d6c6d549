//! Search segmentation against real posts: a word a reader sees in a post, typed as a query,
//! must find that post (every query term is among the post's index terms).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use inkstone_render::Segmenter;
use inkstone_render::search::fts_match_expression;

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        dir.join("README.md").is_file(),
        "the test corpus is missing: expected it at {} (shared/corpus next to the workspace)",
        dir.display()
    );
    dir
}

fn read(rel: &str) -> String {
    let path = corpus().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn index_set(text: &str) -> HashSet<String> {
    Segmenter::global().index_terms(text).split(' ').filter(|t| !t.is_empty()).map(str::to_string).collect()
}

fn missing_terms(query: &str, index: &HashSet<String>) -> Vec<String> {
    Segmenter::global().query_terms(query).into_iter().filter(|t| !index.contains(t)).collect()
}

#[track_caller]
fn assert_found(query: &str, index: &HashSet<String>) {
    let terms = Segmenter::global().query_terms(query);
    assert!(!terms.is_empty(), "{query:?} gave no terms");
    let missing = missing_terms(query, index);
    assert!(missing.is_empty(), "query {query:?} -> {terms:?}: {missing:?} not indexed");
}

#[test]
fn chinese_words_from_real_posts_are_found() {
    let cases: &[(&str, &[&str])] = &[
        (
            "markdown-zh/cloudwego-blog/news__1st_httpHertz.md",
            &["框架", "变迁", "正式", "介绍", "关键词", "开源", "业务", "稳定性", "字节跳动"],
        ),
        (
            "markdown-zh/vuejs-docs-zh-cn/components__async.md",
            &["异步", "组件", "项目", "拆分", "服务器", "加载", "异步组件"],
        ),
        (
            "markdown-zh/halo-docs-v1/install__docker.md",
            &["镜像", "推荐", "阅读", "目录", "发布", "工作目录"],
        ),
    ];
    for (file, words) in cases {
        let text = read(file);
        let index = index_set(&text);
        for word in *words {
            assert!(text.contains(word), "{file} does not contain {word}");
            assert_found(word, &index);
        }
    }
}

#[test]
fn a_sentence_from_a_post_finds_its_words() {
    // From markdown-zh/cloudwego-blog: a sentence about low concurrency and gRPC throughput.
    let sentence = "我们再看下 **Streaming 请求**的压测性能对比，优化前 Streaming 请求的表现同样在低并发的情况下，相对 gRPC 框架没有优势。";
    let index = index_set(sentence);
    for word in ["并发", "性能", "对比", "优化", "请求", "框架", "优势", "grpc", "GRPC", "Streaming", "情况"]
    {
        assert_found(word, &index);
    }
    assert_found("gRPC 并发", &index);
    assert_found("Streaming请求", &index);
}

#[test]
fn the_example_sentence() {
    let index = index_set("我们在学习异步编程和并发");
    for word in ["异步", "编程", "并发", "学习", "异步编程"] {
        assert_found(word, &index);
    }
}

#[test]
fn every_two_character_chinese_term_of_a_post_finds_the_post() {
    let mut files = Vec::new();
    for set in ["cloudwego-blog", "halo-docs-v1", "hexo-docs-zh-cn", "vuejs-docs-zh-cn"] {
        let dir = corpus().join("markdown-zh").join(set);
        files.extend(
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "md")),
        );
    }
    files.sort();
    let mut checked = 0usize;
    let mut misses = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let index = index_set(&text);
        let words: HashSet<&String> = index
            .iter()
            .filter(|t| t.chars().count() == 2 && t.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)))
            .collect();
        for word in words {
            checked += 1;
            let missing = missing_terms(word, &index);
            if !missing.is_empty() {
                misses.push(format!("{word} -> {missing:?}"));
            }
        }
    }
    println!("{checked} two-character words checked, {} not found: {misses:?}", misses.len());
    assert!(checked > 1000, "only {checked} words checked");
    assert!(misses.is_empty(), "{misses:?}");
}

#[test]
fn english_terms_are_lowercased_and_consistent() {
    let text = read("markdown-en/rust-blog/Fearless-Concurrency.md");
    let index = index_set(&text);
    assert!(index.iter().all(|t| t.to_lowercase() == *t), "index terms are lowercase");
    for query in ["Concurrency", "concurrency", "FEARLESS", "Rust's", "rust", "ownership", "data races"] {
        assert_found(query, &index);
    }
    // `Rust's` is indexed and queried as `rust`; the possessive is not a separate term.
    let terms = Segmenter::global().query_terms("Rust's ownership");
    assert_eq!(terms, ["rust", "ownership"]);
    assert_eq!(Segmenter::global().index_terms("Rust's memory"), "rust memory");
}

#[test]
fn match_expression_for_a_mixed_query() {
    let terms = Segmenter::global().query_terms("Kitex 的 \"gRPC\" 性能");
    assert_eq!(terms, ["kitex", "的", "grpc", "性能"]);
    assert_eq!(fts_match_expression(&terms).as_deref(), Some(r#""kitex" "的" "grpc" "性能""#));
    let terms = Segmenter::global().query_terms("异步 rus");
    assert_eq!(fts_match_expression(&terms).as_deref(), Some(r#""异步" "rus"*"#));
    assert_eq!(fts_match_expression(&Segmenter::global().query_terms("？！")), None);
}
