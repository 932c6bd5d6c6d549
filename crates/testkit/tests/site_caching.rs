//! The site's caching and compression, as a browser or a proxy sees them: gzip and brotli
//! when asked (the same bytes once decoded), `Vary`, immutable hashed assets, validators
//! shared by every encoding, page validators that change when content does, one shared
//! page carrying each visitor's own form token, and changes made by another process.

use std::io::Read;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use inkstone_core::Actor;
use inkstone_core::content::ItemPatch;
use inkstone_core::model::Role;
use inkstone_site::PAGE_TTL;
use inkstone_site::theme::FORM_TOKEN_PLACEHOLDER;
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

fn form_tokens(html: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("input[name=_token]").unwrap();
    document.select(&selector).filter_map(|e| e.value().attr("value")).map(str::to_string).collect()
}

#[tokio::test]
async fn one_shared_post_page_gives_every_visitor_their_own_form_token() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    app.create_post(
        &token,
        json!({"title": "Talk", "slug": "talk", "status": "published", "body": "Say something."}),
    )
    .await;
    let token_of =
        |visitor: &str| app.core.install_digest(&format!("site-form\u{0}{visitor}"))[..32].to_string();

    // A first-time reader gets a visitor cookie, and the forms carry its token.
    let first = get(&app, "/posts/talk", &[]).await;
    let set_cookie = first.header("set-cookie").expect("a visitor cookie").to_string();
    let visitor = set_cookie.trim_start_matches("inkstone_visitor=").split(';').next().unwrap().to_string();
    let first_tokens = form_tokens(&first.text());
    assert!(first_tokens.len() >= 2, "the comment form and the like button: {first_tokens:?}");
    assert!(first_tokens.iter().all(|t| *t == token_of(&visitor)), "{first_tokens:?}");

    // Two readers with cookies are served the cached page, each with their own token.
    let mut etags = Vec::new();
    for name in ["alice-visitor-0123456789abcdef", "bob-visitor-0123456789abcdef0"] {
        let cookie = format!("inkstone_visitor={name}");
        let page = get(&app, "/posts/talk", &[("cookie", &cookie)]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.header("set-cookie"), None, "a known visitor keeps their cookie");
        let html = page.text();
        assert!(!html.contains(FORM_TOKEN_PLACEHOLDER), "no placeholder reaches a reader");
        let tokens = form_tokens(&html);
        assert_eq!(tokens.len(), first_tokens.len());
        assert!(tokens.iter().all(|t| *t == token_of(name)), "{name}: {tokens:?}");
        assert_eq!(html.len(), first.text().len(), "the same page around the tokens");
        let etag = page.header("etag").unwrap().to_string();
        let again = get(&app, "/posts/talk", &[("cookie", &cookie), ("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{name}");
        etags.push(etag);
    }
    assert_ne!(etags[0], etags[1], "a copy with one visitor's token is not valid for another");
}

/// What another process (an import at the command line) writes reaches pages once they
/// are older than `PAGE_TTL`, and a page that is gone by then is not served any more.
#[tokio::test]
async fn another_process_s_changes_show_after_the_page_ttl_and_a_gone_page_is_dropped() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let post = app
        .create_post(
            &token,
            json!({"title": "First title", "slug": "news", "status": "published", "body": "Text."}),
        )
        .await;
    let id = post["id"].as_i64().unwrap();
    assert!(get(&app, "/posts/news", &[]).await.text().contains("First title"));

    let other = app.another_process().await;
    let retitle = ItemPatch { title: Some("Second title".into()), release: true, ..ItemPatch::default() };
    other.update_item(&Actor::System, id, retitle).await.expect("update from the other process");
    assert!(
        get(&app, "/posts/news", &[]).await.text().contains("First title"),
        "the rendered page is shared until it is PAGE_TTL old"
    );

    tokio::time::sleep(PAGE_TTL + Duration::from_millis(50)).await;
    // The first reader renders the page again; the others get the old copy until the new
    // one is stored, or the new one if that render was already done (which of them is up
    // to the database threads; `inkstone_http::cache::Freshness` tests that only one reader
    // renders).
    let readers = futures_util::future::join_all((0..8).map(|_| get(&app, "/posts/news", &[]))).await;
    assert!(readers.iter().all(|r| r.status == StatusCode::OK));
    assert!(readers[0].text().contains("Second title"));
    assert!(readers.iter().all(|r| r.text().contains("Second title") || r.text().contains("First title")));
    for _ in 0..3 {
        assert!(
            get(&app, "/posts/news", &[]).await.text().contains("Second title"),
            "then everyone gets the new one"
        );
    }

    other.trash_item(&Actor::System, id).await.expect("trash from the other process");
    tokio::time::sleep(PAGE_TTL + Duration::from_millis(50)).await;
    assert_eq!(
        get(&app, "/posts/news", &[]).await.status,
        StatusCode::NOT_FOUND,
        "the refresh finds it gone"
    );
    assert_eq!(
        get(&app, "/posts/news", &[]).await.status,
        StatusCode::NOT_FOUND,
        "and the old copy is not served to anyone after that"
    );
}
