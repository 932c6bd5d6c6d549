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

#[tokio::test]
async fn archive_months_and_month_bounds_follow_the_site_time_zone() {
    use inkstone_core::Actor;
    use inkstone_core::content::{ArchiveMonth, ListParams};
    use serde_json::json;
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", inkstone_core::model::Role::Author).await;
    app.set_setting("site.time_zone", "Asia/Shanghai").await;
    // 2025-12-31 23:00 and 2026-01-01 01:00 in Shanghai: two different months there.
    for (title, at) in [("Late", "2025-12-31T15:00:00Z"), ("Early", "2025-12-31T17:00:00Z")] {
        app.create_post(&token, json!({"title": title, "status": "published", "published_at": at})).await;
    }
    app.create_post(&token, json!({"title": "Draft"})).await;
    let months = app.core.archive_months().await.unwrap();
    assert_eq!(
        months,
        vec![
            ArchiveMonth { year: 2026, month: 1, count: 1 },
            ArchiveMonth { year: 2025, month: 12, count: 1 }
        ]
    );
    let (since, before) = app.core.month_bounds(2025, 12).unwrap();
    assert_eq!(since.to_rfc3339(), "2025-11-30T16:00:00+00:00");
    assert_eq!(before.to_rfc3339(), "2025-12-31T16:00:00+00:00");
    assert!(app.core.month_bounds(2025, 13).is_none());
    let params =
        ListParams { published_since: Some(since), published_before: Some(before), ..ListParams::default() };
    let december = app.core.list_items(&Actor::Anonymous, params).await.unwrap();
    let titles: Vec<&str> = december.items.iter().map(|v| v.item.title.as_str()).collect();
    assert_eq!(titles, ["Late"]);
}

#[tokio::test]
async fn a_changed_slug_is_remembered_for_readers_who_may_see_the_item() {
    use inkstone_core::Actor;
    use inkstone_core::model::ItemKind;
    use serde_json::json;
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", inkstone_core::model::Role::Author).await;
    let post =
        app.create_post(&token, json!({"title": "Hello", "slug": "hello", "status": "published"})).await;
    let id = post["id"].as_i64().unwrap();
    for slug in ["hello-world", "hello-again"] {
        let renamed = app.patch(&format!("/api/v1/posts/{id}"), Some(&token), json!({"slug": slug})).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
    }
    for old in ["hello", "hello-world"] {
        let found = app.core.item_by_former_slug(&Actor::Anonymous, ItemKind::Post, old).await.unwrap();
        assert_eq!(found.map(|item| item.slug), Some("hello-again".to_string()), "{old}");
    }
    assert!(
        app.core
            .item_by_former_slug(&Actor::Anonymous, ItemKind::Post, "hello-again")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.core.item_by_former_slug(&Actor::Anonymous, ItemKind::Page, "hello").await.unwrap().is_none()
    );
    // Taking the slug back removes it from the history; a hidden item is not revealed.
    app.patch(&format!("/api/v1/posts/{id}"), Some(&token), json!({"slug": "hello"})).await;
    assert!(
        app.core.item_by_former_slug(&Actor::Anonymous, ItemKind::Post, "hello").await.unwrap().is_none()
    );
    assert_eq!(
        app.post(&format!("/api/v1/posts/{id}/unpublish"), Some(&token), json!({})).await.status,
        StatusCode::OK
    );
    assert!(
        app.core
            .item_by_former_slug(&Actor::Anonymous, ItemKind::Post, "hello-again")
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_running_server_picks_up_an_edited_theme_and_keeps_the_old_one_when_the_edit_is_broken() {
    use inkstone_site::ThemeHandle;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    let handle =
        ThemeHandle::watching(dir.path().to_path_buf()).expect("an empty theme dir is the default theme");
    let before = handle.get().fingerprint.clone();
    std::fs::write(dir.path().join("templates/hello.html"), "Hello {{ name }}").unwrap();
    std::thread::sleep(inkstone_site::theme::RELOAD_CHECK + std::time::Duration::from_millis(200));
    let edited = handle.get();
    assert_ne!(edited.fingerprint, before);
    assert_eq!(edited.render("hello.html", minijinja::context! { name => "you" }).unwrap(), "Hello you");
    std::fs::write(dir.path().join("templates/hello.html"), "{% if %}").unwrap();
    std::thread::sleep(inkstone_site::theme::RELOAD_CHECK + std::time::Duration::from_millis(200));
    assert_eq!(
        handle.get().fingerprint,
        edited.fingerprint,
        "a broken edit leaves the last good theme in service"
    );
}
