//! How much loading the embedded dictionary costs (printed, not asserted: timings vary).
//! Run alone: `cargo test -p inkstone-render --release --test search_dict_load -- --nocapture`.

use std::time::Instant;

use inkstone_render::Segmenter;

/// Resident set size of this process in KiB, where `/proc` exists.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn dictionary_load_cost() {
    let before = rss_kib();
    let started = Instant::now();
    let segmenter = Segmenter::global();
    let elapsed = started.elapsed();
    let after = rss_kib();
    let again = Instant::now();
    let _ = Segmenter::global();
    let second = again.elapsed();
    let cut_started = Instant::now();
    let terms = segmenter.index_terms("我们在学习异步编程和并发，Rust 的所有权让并发更安全。");
    let cut = cut_started.elapsed();
    match (before, after) {
        (Some(b), Some(a)) => println!(
            "dictionary ({} entries) loaded in {elapsed:?}, RSS {b} KiB -> {a} KiB (+{:.1} MiB); \
             second call {second:?}; first cut {cut:?}",
            segmenter.dictionary_len(),
            a.saturating_sub(b) as f64 / 1024.0
        ),
        _ => println!("dictionary loaded in {elapsed:?} (no /proc for RSS)"),
    }
    assert!(terms.contains("异步"), "{terms}");
}
