//! The public site's plumbing: theme loading and overrides, security headers, validators,
//! hashed assets, the 404 page and the archive/former-slug support in the core.

use axum::http::{Method, StatusCode};
use inkstone_site::Theme;
use inkstone_testkit::TestApp;

#[tokio::test]
async fn every_site_response_forbids_inline_script_and_the_home_page_revalidates() {
    let app = TestApp::new().await;
    let home = app.get("/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = home.header("content-security-policy").expect("CSP header");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    let html = home.text();
    let document = scraper::Html::parse_document(&html);
    let scripts = scraper::Selector::parse("script:not([type='application/ld+json'])").unwrap();
    for script in document.select(&scripts) {
        assert!(script.value().attr("src").is_some(), "inline script in the home page: {}", script.html());
        assert!(script.inner_html().trim().is_empty());
    }
    let etag = home.header("etag").expect("ETag").to_string();
    let again = app.call_with_headers(Method::GET, "/", &[("if-none-match", &etag)], None).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn assets_have_content_hashed_names_and_are_immutable() {
    let app = TestApp::new().await;
    let html = app.get("/", None).await.text();
    let document = scraper::Html::parse_document(&html);
    let stylesheet = scraper::Selector::parse("link[rel=stylesheet]").unwrap();
    let href =
        document.select(&stylesheet).next().and_then(|l| l.value().attr("href")).expect("a stylesheet");
    assert!(href.starts_with("/assets/style.") && href.ends_with(".css"), "{href}");
    let css = app.get(href, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(app.get("/assets/style.0000000000.css", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_paths_get_a_helpful_html_404_and_api_paths_keep_problem_json() {
    let app = TestApp::new().await;
    let missing = app.get("/no/such/page/here", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(missing.text().contains("action=\"/search\""), "the 404 page offers a search");
    let api = app.get("/api/v1/no-such-endpoint", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn a_theme_directory_overrides_templates_strings_and_assets_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::create_dir_all(dir.path().join("i18n")).unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(
        dir.path().join("templates/custom.html"),
        "<p>{{ t('nav.archives') }} {{ asset('style.css') }}</p>",
    )
    .unwrap();
    std::fs::write(dir.path().join("i18n/en.mine.json"), r#"{"nav.archives": "Old posts"}"#).unwrap();
    std::fs::write(dir.path().join("static/style.css"), "body { color: red }").unwrap();
    let theme = Theme::load(dir.path()).expect("the theme loads");
    let default = Theme::embedded();
    let html = theme.render("custom.html", minijinja::context! { lang => "en" }).unwrap();
    assert!(html.starts_with("<p>Old posts /assets/style."), "{html}");
    assert_ne!(theme.fingerprint, default.fingerprint);
    let hashed = html.trim_end_matches("</p>").rsplit('/').next().unwrap();
    assert_eq!(&theme.asset(hashed).expect("overridden asset").bytes[..], b"body { color: red }");
    assert!(default.asset(hashed).is_none());
    // A template that does not compile is refused with its file name.
    std::fs::write(dir.path().join("templates/broken.html"), "{% if %}").unwrap();
    let err = Theme::load(dir.path()).unwrap_err();
    assert!(err.contains("templates/broken.html"), "{err}");
}
