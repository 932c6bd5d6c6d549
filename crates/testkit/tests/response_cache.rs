//! The anonymous-read micro-cache never serves what this server has changed, and serves
//! changes made elsewhere within its time to live.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use inkstone_core::Actor;
use inkstone_core::content::ItemPatch;
use inkstone_core::model::Role;
use inkstone_testkit::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn writes_through_this_server_show_at_once() {
    let app = TestApp::with_response_cache(Duration::from_secs(60)).await;
    let (_, token) = app.user("writer", Role::Author).await;
    let post = app.create_post(&token, json!({"title": "One", "status": "published"})).await;
    let url = format!("/api/v1/posts/{}", post["id"]);
    assert_eq!(app.get(&url, None).await.json()["title"], "One");
    assert_eq!(app.get("/api/v1/posts", None).await.json()["total"], 1);

    app.patch(&url, Some(&token), json!({"title": "Two"})).await;
    app.post(&format!("{url}/publish"), Some(&token), json!({})).await;
    assert_eq!(app.get(&url, None).await.json()["title"], "Two", "a cached copy was not served");
    app.create_post(&token, json!({"title": "Another", "status": "published"})).await;
    assert_eq!(app.get("/api/v1/posts", None).await.json()["total"], 2);
}

#[tokio::test]
async fn callers_with_credentials_are_never_served_from_the_cache() {
    let app = TestApp::with_response_cache(Duration::from_secs(60)).await;
    let (_, token) = app.user("writer", Role::Author).await;
    app.create_post(&token, json!({"title": "Draft"})).await;
    assert_eq!(app.get("/api/v1/posts", None).await.json()["total"], 0);
    assert_eq!(app.get("/api/v1/posts", Some(&token)).await.json()["total"], 1, "drafts are the author's");
    let with_cookie =
        Request::builder().uri("/api/v1/posts").header("cookie", "inkstone_session=x").body(Body::empty());
    assert_eq!(app.send(with_cookie.unwrap()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn changes_from_other_processes_show_within_the_ttl() {
    let app = TestApp::with_response_cache(Duration::from_millis(300)).await;
    app.user("writer", Role::Admin).await;
    assert_eq!(app.get("/api/v1/settings", None).await.json()["site.title"], "Inkstone");
    // Another process (the CLI, another node) writes to the same database file.
    let other = inkstone_db_sqlite::SqliteStore::open(&app.dir.path().join("inkstone.db")).await.unwrap();
    inkstone_core::ports::SettingsRepository::set_setting(&other, "site.title", "Elsewhere").await.unwrap();
    app.core.reload_settings().await.unwrap();
    assert_eq!(
        app.get("/api/v1/settings", None).await.json()["site.title"],
        "Elsewhere",
        "a reload counts as a change"
    );

    let (_, token) = app.user("author", Role::Author).await;
    let post = app.create_post(&token, json!({"title": "Cached", "status": "published"})).await;
    let url = format!("/api/v1/posts/{}", post["id"]);
    assert_eq!(app.get(&url, None).await.json()["title"], "Cached");
    let retitle =
        ItemPatch { title: Some("Changed elsewhere".into()), release: true, ..ItemPatch::default() };
    app.another_process()
        .await
        .update_item(&Actor::System, post["id"].as_i64().unwrap(), retitle)
        .await
        .unwrap();
    assert_eq!(
        app.get(&url, None).await.json()["title"],
        "Cached",
        "within the TTL the cached copy may be served"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.get(&url, None).await.json()["title"], "Changed elsewhere", "after the TTL it is fresh");
}

#[tokio::test]
async fn an_expired_copy_is_renewed_by_the_first_caller_and_dropped_when_the_item_is_gone() {
    let ttl = Duration::from_millis(300);
    let app = TestApp::with_response_cache(ttl).await;
    let (_, token) = app.user("author", Role::Author).await;
    let post = app.create_post(&token, json!({"title": "Cached", "status": "published"})).await;
    let id = post["id"].as_i64().unwrap();
    let url = format!("/api/v1/posts/{id}");
    assert_eq!(app.get(&url, None).await.json()["title"], "Cached");
    let other = app.another_process().await;
    let retitle = ItemPatch { title: Some("Renamed".into()), release: true, ..ItemPatch::default() };
    other.update_item(&Actor::System, id, retitle).await.unwrap();
    assert_eq!(app.get(&url, None).await.json()["title"], "Cached", "within the TTL");

    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let callers = futures_util::future::join_all((0..8).map(|_| app.get(&url, None))).await;
    assert!(callers.iter().all(|r| r.status == StatusCode::OK));
    // The first caller renders the post again; the others get the old copy until the new
    // one is stored, or the new one if that render was already done (which of them is up
    // to the database threads; `Freshness` tests that only one caller renders).
    let titles: Vec<Value> = callers.iter().map(|r| r.json()["title"].clone()).collect();
    assert_eq!(titles[0], "Renamed", "{titles:?}");
    assert!(titles.iter().all(|t| *t == "Renamed" || *t == "Cached"), "{titles:?}");
    for _ in 0..3 {
        assert_eq!(app.get(&url, None).await.json()["title"], "Renamed", "then everyone gets the new one");
    }

    other.trash_item(&Actor::System, id).await.unwrap();
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND, "the refresh finds it gone");
    assert_eq!(
        app.get(&url, None).await.status,
        StatusCode::NOT_FOUND,
        "and the old copy is not served again"
    );
}

#[tokio::test]
async fn what_an_api_key_or_signature_reads_is_never_served_to_anyone_else() {
    use inkstone_core::apikeys::{ApiKeyRequest, emlog_signature};
    let app = TestApp::with_response_cache(Duration::from_secs(60)).await;
    let (_, token) = app.user("writer", Role::Admin).await;
    app.create_post(&token, json!({"title": "Secret draft"})).await;
    let (_, key) = app
        .core
        .create_api_key(
            &inkstone_core::Actor::System,
            ApiKeyRequest { name: "reader".into(), ..Default::default() },
        )
        .await
        .unwrap();

    let by_key =
        Request::builder().uri("/api/v1/posts").header("x-api-key", &key).body(Body::empty()).unwrap();
    assert_eq!(app.send(by_key).await.json()["total"], 1, "the key reads drafts");
    let time = app.clock_now_secs().to_string();
    let signed = format!("/api/v1/posts?req_time={time}&req_sign={}", emlog_signature(&time, &key));
    let response = app.get(&signed, None).await;
    assert_eq!(response.json()["total"], 1, "so does a signature: {}", response.text());
    assert_eq!(app.get("/api/v1/posts", None).await.json()["total"], 0, "anonymous readers do not");
    assert_eq!(
        app.get(&signed, None).await.status,
        StatusCode::UNAUTHORIZED,
        "not a cached copy of the signed read"
    );
}

#[tokio::test]
async fn captchas_are_never_shared_between_visitors() {
    let app = TestApp::with_response_cache(Duration::from_secs(60)).await;
    let first = app.get("/api/v1/auth/captcha", None).await;
    let second = app.get("/api/v1/auth/captcha", None).await;
    assert_eq!(first.header("cache-control"), Some("no-store"));
    assert_ne!(first.json()["id"], second.json()["id"], "each visitor gets their own challenge");
}
