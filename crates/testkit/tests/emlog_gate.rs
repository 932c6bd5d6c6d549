//! The emlog entry points over the real router: `rest-api` must be the first query
//! parameter, the `emlog.api_enabled` gate runs before the action lookup, and replies use
//! emlog's envelope and content type.

use axum::http::StatusCode;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::json;

fn assert_emlog_error(response: &TestResponse, status: StatusCode, msg: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({"code": 1, "msg": msg, "data": ""}), "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=UTF-8"));
}

#[tokio::test]
async fn the_api_is_closed_by_default_and_the_gate_runs_before_the_method_lookup() {
    let app = TestApp::new().await;
    for uri in ["/?rest-api=sort_list", "/index.php?rest-api=note_list", "/?rest-api=no_such_method"] {
        assert_emlog_error(&app.get(uri, None).await, StatusCode::BAD_REQUEST, "api is closed");
    }
    app.set_setting("emlog.api_enabled", "true").await;
    let unknown = app.get("/?rest-api=no_such_method", None).await;
    assert_emlog_error(&unknown, StatusCode::BAD_REQUEST, "api method is not exist");
}

#[tokio::test]
async fn rest_api_must_be_the_first_query_parameter() {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    let late = app.get("/?foo=1&rest-api=no_such_method", None).await;
    // Not an emlog request: the public site's home page answers it.
    assert_eq!(late.status, StatusCode::OK, "{}", late.text());
    assert_eq!(late.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(late.text().starts_with("<!doctype html>"));
}
