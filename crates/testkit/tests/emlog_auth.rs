//! The error paths of emlog's rest API over the real router: missing parameters, each
//! credential failure (no credentials, wrong key, bad, stale or replayed signature), the
//! closed API, unknown methods, unknown articles, post passwords and JSON bodies, with
//! emlog's statuses and texts.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use md5::{Digest, Md5};
use serde_json::json;

async fn app_with_key() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    app.user("emer", Role::Admin).await;
    let key = app.api_key(None, true, true, 2).await;
    (app, key)
}

fn assert_error(response: &TestResponse, status: StatusCode, msg: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({"code": 1, "msg": msg, "data": ""}), "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=UTF-8"));
}

fn assert_ok(response: &TestResponse) -> serde_json::Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["code"], 0, "{}", response.text());
    response.json()["data"].clone()
}

/// `md5(req_time . key)`, as the emlog document computes it.
fn sign(req_time: &str, key: &str) -> String {
    hex::encode(Md5::digest(format!("{req_time}{key}").as_bytes()))
}

async fn post_article(app: &TestApp, credentials: &[(&str, &str)]) -> TestResponse {
    let mut fields = credentials.to_vec();
    fields.extend_from_slice(&[("title", "t"), ("content", "c")]);
    app.form(Method::POST, "/?rest-api=article_post", &[], &fields).await
}

#[tokio::test]
async fn missing_parameters_are_a_parameter_error_after_the_credentials() {
    let (app, key) = app_with_key().await;
    let only_title =
        app.form(Method::POST, "/?rest-api=article_post", &[], &[("api_key", &key), ("title", "t")]).await;
    assert_error(&only_title, StatusCode::BAD_REQUEST, "parameter error");
    let zero = app
        .form(
            Method::POST,
            "/?rest-api=article_post",
            &[],
            &[("api_key", &key), ("title", "0"), ("content", "c")],
        )
        .await;
    assert_error(&zero, StatusCode::BAD_REQUEST, "parameter error");
    // emlog checks credentials before parameters.
    let anonymous = app.form(Method::POST, "/?rest-api=article_post", &[], &[("title", "t")]).await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED, "auth param error");
}

#[tokio::test]
async fn a_json_body_is_not_read_so_the_parameters_are_missing() {
    let (app, key) = app_with_key().await;
    let uri = format!("/?rest-api=article_post&api_key={key}");
    let response = app.post(&uri, None, json!({"title": "t", "content": "c"})).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "parameter error");
}

#[tokio::test]
async fn credentials_fail_with_emlogs_401_texts() {
    let (app, key) = app_with_key().await;
    assert_error(&post_article(&app, &[]).await, StatusCode::UNAUTHORIZED, "auth param error");
    assert_error(
        &post_article(&app, &[("req_time", "1")]).await,
        StatusCode::UNAUTHORIZED,
        "auth param error",
    );
    assert_error(&post_article(&app, &[("api_key", "wrong")]).await, StatusCode::UNAUTHORIZED, "auth error");
    let now = app.clock_now_secs().to_string();
    let bad = sign(&now, "not the key");
    assert_error(
        &post_article(&app, &[("req_time", &now), ("req_sign", &bad)]).await,
        StatusCode::UNAUTHORIZED,
        "auth error",
    );
    // The right key in the query works too ($_REQUEST).
    let uri = format!("/?rest-api=article_post&api_key={key}");
    let data = assert_ok(&app.form(Method::POST, &uri, &[], &[("title", "t"), ("content", "c")]).await);
    assert!(data["article_id"].is_i64());
}

#[tokio::test]
async fn signatures_work_once_and_only_within_the_window() {
    let (app, key) = app_with_key().await;
    let now = app.clock_now_secs().to_string();
    let signature = sign(&now, &key);
    let first = post_article(&app, &[("req_time", &now), ("req_sign", &signature)]).await;
    assert!(assert_ok(&first)["article_id"].is_i64());
    // The same signature again: a replay.
    let replay = post_article(&app, &[("req_time", &now), ("req_sign", &signature)]).await;
    assert_error(&replay, StatusCode::UNAUTHORIZED, "auth error");

    // Signed now, sent 601 s later: outside the 600 s window.
    let signed_at = app.clock_now_secs().to_string();
    let stale = sign(&signed_at, &key);
    app.clock.advance(Duration::seconds(601));
    let late = post_article(&app, &[("req_time", &signed_at), ("req_sign", &stale)]).await;
    assert_error(&late, StatusCode::UNAUTHORIZED, "auth error");
    // A fresh signature at the new time works, on a GET too.
    let fresh_time = app.clock_now_secs().to_string();
    let fresh = sign(&fresh_time, &key);
    let uri = format!("/?rest-api=draft_list&req_time={fresh_time}&req_sign={fresh}");
    assert!(assert_ok(&app.get(&uri, None).await)["drafts"].is_array());
}

#[tokio::test]
async fn a_closed_api_answers_api_is_closed_except_article_list() {
    let (app, key) = app_with_key().await;
    app.set_setting("emlog.api_enabled", "false").await;
    assert_error(&post_article(&app, &[("api_key", &key)]).await, StatusCode::BAD_REQUEST, "api is closed");
    for uri in [
        "/?rest-api=article_detail&id=1",
        "/?rest-api=sort_list",
        "/?rest-api=draft_list",
        "/?rest-api=upload",
    ] {
        assert_error(&app.get(uri, None).await, StatusCode::BAD_REQUEST, "api is closed");
    }
    let list = assert_ok(&app.get("/?rest-api=article_list", None).await);
    assert_eq!(list["articles"], json!([]));
    assert_eq!(list["total_pages"], 1);
    assert_eq!(list["has_more"], false);
}

#[tokio::test]
async fn unknown_methods_articles_and_passwords() {
    let (app, key) = app_with_key().await;
    assert_error(
        &app.get("/?rest-api=article_delete", None).await,
        StatusCode::BAD_REQUEST,
        "api method is not exist",
    );
    assert_error(
        &app.get("/?rest-api=article_detail&id=424242", None).await,
        StatusCode::BAD_REQUEST,
        "Article not found",
    );
    assert_error(
        &app.get("/?rest-api=article_detail", None).await,
        StatusCode::BAD_REQUEST,
        "Article not found",
    );

    let created = app
        .form(
            Method::POST,
            "/?rest-api=article_post",
            &[],
            &[("api_key", &key), ("title", "锁"), ("content", "secret body"), ("password", "s3cret")],
        )
        .await;
    let id = assert_ok(&created)["article_id"].as_i64().unwrap();
    let uri = format!("/?rest-api=article_detail&id={id}");
    assert_error(&app.get(&uri, None).await, StatusCode::BAD_REQUEST, "Wrong password");
    assert_error(
        &app.get(&format!("{uri}&password=nope"), None).await,
        StatusCode::BAD_REQUEST,
        "Wrong password",
    );
    // A key does not unlock it either: article_detail reads as a visitor.
    assert_error(
        &app.get(&format!("{uri}&api_key={key}"), None).await,
        StatusCode::BAD_REQUEST,
        "Wrong password",
    );
    let unlocked = assert_ok(&app.get(&format!("{uri}&password=s3cret"), None).await);
    assert_eq!(unlocked["article"]["content_raw"], "secret body");
    assert_eq!(unlocked["article"]["views"], 1, "only the successful read counts");
}

#[tokio::test]
async fn draft_and_upload_actions_need_credentials() {
    let (app, _key) = app_with_key().await;
    assert_error(
        &app.get("/?rest-api=draft_detail&id=1", None).await,
        StatusCode::UNAUTHORIZED,
        "auth param error",
    );
    assert_error(
        &app.get("/?rest-api=draft_list&api_key=wrong", None).await,
        StatusCode::UNAUTHORIZED,
        "auth error",
    );
    let upload = app
        .multipart("/?rest-api=upload", &[], &[], "file", "a.png", "image/png", b"\x89PNG\r\n\x1a\n")
        .await;
    assert_error(&upload, StatusCode::UNAUTHORIZED, "auth param error");
}
