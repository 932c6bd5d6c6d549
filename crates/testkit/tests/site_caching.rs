//! The site's caching and compression, as a browser or a proxy sees them: gzip and brotli
//! when asked (the same bytes once decoded), `Vary`, immutable hashed assets, validators
//! shared by every encoding, and page validators that change when content does.

use std::io::Read;

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::json;

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    app.call_with_headers(Method::GET, path, headers, None).await
}

fn decode(response: &TestResponse) -> Vec<u8> {
    let mut out = Vec::new();
    match response.header("content-encoding") {
        Some("br") => {
            brotli::Decompressor::new(&response.body[..], 4096).read_to_end(&mut out).expect("valid brotli");
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(&response.body[..]).read_to_end(&mut out).expect("valid gzip");
        }
        None => out.clone_from(&response.body),
        Some(other) => panic!("unexpected encoding {other}"),
    }
    out
}

fn varies_on(response: &TestResponse, header: &str) -> bool {
    response
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(header))
}

async fn with_posts(app: &TestApp) -> String {
    let (_, token) = app.user("writer", Role::Author).await;
    for n in 0..5 {
        app.create_post(
            &token,
            json!({"title": format!("Post {n}"), "status": "published", "body": "Some text to compress. ".repeat(40)}),
        )
        .await;
    }
    token
}

#[tokio::test]
async fn pages_and_feeds_are_compressed_when_asked_and_decode_to_the_same_bytes() {
    let app = TestApp::new().await;
    with_posts(&app).await;
    for path in ["/", "/feed.xml", "/atom.xml", "/sitemap.xml"] {
        let plain = get(&app, path, &[]).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert_eq!(plain.header("content-encoding"), None, "{path}: identity unless asked");
        for encoding in ["br", "gzip"] {
            let packed = get(&app, path, &[("accept-encoding", encoding)]).await;
            assert_eq!(packed.status, StatusCode::OK, "{path}");
            assert_eq!(packed.header("content-encoding"), Some(encoding), "{path}");
            assert!(varies_on(&packed, "accept-encoding"), "{path}: {:?}", packed.headers);
            assert_eq!(packed.header("content-type"), plain.header("content-type"), "{path}");
            assert!(packed.body.len() < plain.body.len(), "{path}: {encoding} makes it smaller");
            assert_eq!(decode(&packed), plain.body, "{path}: {encoding} decodes to the identity body");
            // One weak validator for every encoding: a copy fetched compressed revalidates.
            assert_eq!(packed.header("etag"), plain.header("etag"), "{path}");
            let etag = packed.header("etag").unwrap();
            let again = get(&app, path, &[("accept-encoding", encoding), ("if-none-match", etag)]).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        }
        // A client preferring brotli among several gets it.
        let preferred = get(&app, path, &[("accept-encoding", "gzip;q=0.5, br;q=1.0")]).await;
        assert_eq!(preferred.header("content-encoding"), Some("br"), "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_revalidate_and_compress() {
    let app = TestApp::new().await;
    let html = get(&app, "/", &[]).await.text();
    let document = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("link[rel=stylesheet], script[src]").unwrap();
    let assets: Vec<String> = document
        .select(&selector)
        .filter_map(|e| e.value().attr("href").or_else(|| e.value().attr("src")))
        .map(str::to_string)
        .collect();
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "{assets:?}"
    );
    for asset in &assets {
        let response = get(&app, asset, &[]).await;
        assert_eq!(response.status, StatusCode::OK, "{asset}");
        assert_eq!(response.header("cache-control"), Some("public, max-age=31536000, immutable"), "{asset}");
        let etag = response.header("etag").expect("ETag").to_string();
        let again = get(&app, asset, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{asset}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("cache-control"), Some("public, max-age=31536000, immutable"));
        let packed = get(&app, asset, &[("accept-encoding", "br")]).await;
        if response.body.len() > 1024 {
            assert_eq!(packed.header("content-encoding"), Some("br"), "{asset}");
        }
        assert_eq!(decode(&packed), response.body, "{asset}");
    }
}

#[tokio::test]
async fn a_page_changes_its_validator_when_a_post_is_published() {
    let app = TestApp::new().await;
    let token = with_posts(&app).await;
    let first = get(&app, "/", &[]).await;
    let etag = first.header("etag").unwrap().to_string();
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    // Nothing changed: the same page, the same validator, and a 304 for a copy.
    let cached = get(&app, "/", &[]).await;
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    assert_eq!(cached.body, first.body);
    assert_eq!(get(&app, "/", &[("if-none-match", &etag)]).await.status, StatusCode::NOT_MODIFIED);
    // A draft changes nothing readers see.
    app.create_post(&token, json!({"title": "Hidden draft", "body": "x"})).await;
    let after_draft = get(&app, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(after_draft.status, StatusCode::NOT_MODIFIED, "a draft does not change the home page");

    app.clock.advance(chrono::Duration::minutes(5));
    app.create_post(&token, json!({"title": "Breaking news", "status": "published", "body": "New!"})).await;
    let fresh = get(&app, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(fresh.status, StatusCode::OK, "the old copy is stale");
    assert_ne!(fresh.header("etag"), Some(etag.as_str()));
    assert!(fresh.text().contains("Breaking news"));
    assert_ne!(fresh.header("last-modified"), first.header("last-modified"));
    let modified = fresh.header("last-modified").unwrap().to_string();
    assert_eq!(get(&app, "/", &[("if-modified-since", &modified)]).await.status, StatusCode::NOT_MODIFIED);
}
