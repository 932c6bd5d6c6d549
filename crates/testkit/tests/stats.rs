//! Page-view statistics over the native API: the beacon counts only pages on allowed
//! hosts, visitors once per day by a salted daily hash whose salt and hashes are gone the
//! next day, no address is ever stored, hits are rate limited, and the reports check their
//! ranges and who may read them.

use axum::http::{Method, StatusCode};
use chrono::{Duration, NaiveDate};
use inkstone_core::model::Role;
use inkstone_core::stats::StatsRepository;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn assert_problem(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json()["code"], code, "{}", response.text());
}

async fn set_settings(app: &TestApp, admin: &str, values: Value) {
    let response = app.patch("/api/v1/settings", Some(admin), values).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

/// A beacon hit from the page `referer` (if any), with `user_agent` and an optional body.
async fn hit(app: &TestApp, referer: Option<&str>, user_agent: &str, body: Option<Value>) -> TestResponse {
    let mut headers = vec![("user-agent", user_agent)];
    if let Some(referer) = referer {
        headers.push(("referer", referer));
    }
    app.call_with_headers(Method::POST, "/api/v1/stats/hits", &headers, body).await
}

async fn counted(app: &TestApp, referer: &str, user_agent: &str) -> Value {
    let response = hit(app, Some(referer), user_agent, None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["counted"], true, "{body}");
    body
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/stats{query}"), Some(token)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

/// An app whose stats count `example.com` and its subdomains, and its admin's token.
async fn counting_app() -> (TestApp, String) {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    set_settings(&app, &admin, json!({"stats.allowed_domains": "example.com"})).await;
    (app, admin)
}

#[tokio::test]
async fn only_hits_from_allowed_referers_count() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let off = hit(&app, Some("https://example.com/a"), "UA", None).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_eq!(
        off.json(),
        json!({"counted": false, "reason": "no_allowed_domains"}),
        "an empty list counts nothing"
    );
    assert_eq!(off.header("cache-control"), Some("no-store"));

    set_settings(&app, &admin, json!({"stats.allowed_domains": "Example.com, blog.other.org"})).await;
    let first = counted(&app, "https://example.com/posts/hello?utm=x#top", "UA").await;
    assert_eq!(first["path"], "/posts/hello", "query and fragment are dropped");
    assert_eq!(first["day"], "2026-01-01");
    assert_eq!(first["today"], json!({"site_pv": 1, "site_uv": 1, "page_pv": 1, "page_uv": 1}));
    counted(&app, "https://www.example.com/", "UA").await;
    counted(&app, "http://blog.other.org:8080/x", "UA").await;
    for (referer, reason) in [
        (Some("https://badexample.com/"), "referer_not_allowed"),
        (Some("https://example.com.evil.org/"), "referer_not_allowed"),
        (Some("https://other.org/"), "referer_not_allowed"),
        (Some("not a url"), "no_referer"),
        (None, "no_referer"),
    ] {
        let response = hit(&app, referer, "UA", Some(json!({"path": "/posts/hello"}))).await;
        assert_eq!(response.json(), json!({"counted": false, "reason": reason}), "{referer:?}");
    }
    let day = &report(&app, &admin, "?from=2026-01-01&to=2026-01-01").await["days"][0];
    assert_eq!(
        (day["site_pv"].as_i64(), day["site_uv"].as_i64()),
        (Some(3), Some(1)),
        "only allowed hits count"
    );
}

#[tokio::test]
async fn visitors_count_once_a_day_and_anew_the_next_day_with_yesterdays_hashes_gone() {
    let (app, admin) = counting_app().await;
    // 2026-01-01T00:00Z is 08:00 in Shanghai: the site's day ends 16 hours later.
    set_settings(&app, &admin, json!({"site.time_zone": "Asia/Shanghai"})).await;

    app.set_client_ip(Some("192.0.2.10"));
    for n in 1..=3 {
        let body = counted(&app, "https://example.com/a", "Firefox").await;
        assert_eq!(body["today"]["site_pv"], n);
        assert_eq!(body["today"]["site_uv"], 1, "the same visitor counts once");
    }
    let other_page =
        hit(&app, Some("https://example.com/"), "Firefox", Some(json!({"path": "/b"}))).await.json();
    assert_eq!(other_page["path"], "/b", "the page's own path wins over the Referer's");
    assert_eq!(other_page["today"], json!({"site_pv": 4, "site_uv": 1, "page_pv": 1, "page_uv": 1}));
    let other_browser = counted(&app, "https://example.com/a", "Safari").await;
    assert_eq!(other_browser["today"], json!({"site_pv": 5, "site_uv": 2, "page_pv": 4, "page_uv": 2}));
    app.set_client_ip(Some("192.0.2.11"));
    let other_address = counted(&app, "https://example.com/a", "Firefox").await;
    assert_eq!(other_address["today"]["site_uv"], 3);
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    assert_eq!(app.store.visitor_record_days().await.unwrap(), vec![today]);

    app.clock.advance(Duration::hours(16));
    app.set_client_ip(Some("192.0.2.10"));
    let next_day = counted(&app, "https://example.com/a", "Firefox").await;
    assert_eq!(next_day["day"], "2026-01-02", "a new day in the site's time zone");
    assert_eq!(next_day["today"], json!({"site_pv": 1, "site_uv": 1, "page_pv": 1, "page_uv": 1}));
    assert_eq!(next_day["total"], json!({"site_pv": 7, "site_uv": 4, "page_pv": 6}));
    assert_eq!(
        app.store.visitor_record_days().await.unwrap(),
        vec![today.succ_opt().unwrap()],
        "yesterday's salt and visitor hashes are deleted"
    );

    app.set_client_ip(None);
    let days = report(&app, &admin, "?from=2025-12-31&to=2026-01-02").await;
    let rows: Vec<(String, i64, i64)> = days["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap().into(),
                d["site_pv"].as_i64().unwrap(),
                d["site_uv"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("2025-12-31".into(), 0, 0), ("2026-01-01".into(), 6, 3), ("2026-01-02".into(), 1, 1)],
        "every day of the range, zeros included"
    );
    assert_eq!(days["total"], json!({"site_pv": 7, "site_uv": 4}));
    let pages = app.get("/api/v1/stats/pages?from=2026-01-01&to=2026-01-02", Some(&admin)).await.json();
    assert_eq!(pages["items"], json!([{"path": "/a", "pv": 6, "uv": 4}, {"path": "/b", "pv": 1, "uv": 1}]));
    let top_one =
        app.get("/api/v1/stats/pages?from=2026-01-01&to=2026-01-02&limit=1", Some(&admin)).await.json();
    assert_eq!(top_one["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn no_address_is_ever_stored() {
    let (app, _admin) = counting_app().await;
    app.set_client_ip(Some("198.51.100.77"));
    for path in ["/a", "/b", "/c"] {
        counted(&app, &format!("https://example.com{path}"), "Mozilla/5.0 (X11; Linux x86_64)").await;
    }
    app.set_client_ip(Some("2001:db8:77:1::5"));
    counted(&app, "https://example.com/a", "Mozilla/5.0").await;
    let bytes = app.database_bytes();
    for needle in ["198.51.100.77", "2001:db8:77:1", "2001:db8:77:1::/64"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is stored in the database"
        );
    }
}

#[tokio::test]
async fn hits_are_rate_limited_per_address() {
    let (app, admin) = counting_app().await;
    app.set_client_ip(Some("192.0.2.50"));
    for _ in 0..60 {
        counted(&app, "https://example.com/", "UA").await;
    }
    let limited = hit(&app, Some("https://example.com/"), "UA", None).await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    app.set_client_ip(Some("192.0.2.51"));
    counted(&app, "https://example.com/", "UA").await;
    app.set_client_ip(Some("192.0.2.50"));
    app.clock.advance(Duration::minutes(1));
    counted(&app, "https://example.com/", "UA").await;
    app.set_client_ip(None);
    assert_eq!(report(&app, &admin, "").await["total"]["site_pv"], 62, "the refused hit was not counted");
}

#[tokio::test]
async fn beacon_bodies_are_checked_and_may_come_as_plain_text() {
    let (app, _admin) = counting_app().await;
    let text = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/stats/hits")
                .header("referer", "https://example.com/")
                .header("content-type", "text/plain;charset=UTF-8")
                .body(axum::body::Body::from(r#"{"path":"/from-beacon"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(text.status, StatusCode::OK, "{}", text.text());
    assert_eq!(text.json()["path"], "/from-beacon");
    for bad in [json!({"path": "no-slash"}), json!({"path": "//evil.org/x"}), json!({"path": "/a b"})] {
        let response = hit(&app, Some("https://example.com/"), "UA", Some(bad)).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(response.json()["field"], "path");
    }
    let unknown = hit(&app, Some("https://example.com/"), "UA", Some(json!({"page": "/a"}))).await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn reports_need_view_stats_and_a_valid_range() {
    let (app, admin) = counting_app().await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    let (_, author) = app.user("alice", Role::Author).await;
    counted(&app, "https://example.com/", "UA").await;

    assert_problem(&app.get("/api/v1/stats", None).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_problem(&app.get("/api/v1/stats", Some(&author)).await, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&app.get("/api/v1/stats/pages", Some(&author)).await, StatusCode::FORBIDDEN, "forbidden");
    let default = report(&app, &editor, "").await;
    assert_eq!((default["from"].as_str(), default["to"].as_str()), (Some("2025-12-03"), Some("2026-01-01")));
    assert_eq!(default["days"].as_array().unwrap().len(), 30);
    assert_eq!(default["total"]["site_pv"], 1);

    let year = report(&app, &admin, "?from=2025-01-01&to=2026-01-01").await;
    assert_eq!(year["days"].as_array().unwrap().len(), 366, "366 days is the most");
    for (query, field) in [
        ("?from=2025-01-01&to=2026-01-02", "to"),
        ("?from=2026-01-02&to=2026-01-01", "from"),
        ("?from=2026-13-01", "from"),
        ("?to=yesterday", "to"),
    ] {
        let response = app.get(&format!("/api/v1/stats{query}"), Some(&admin)).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(response.json()["field"], field, "{query}");
    }
    for limit in ["0", "101"] {
        let response = app.get(&format!("/api/v1/stats/pages?limit={limit}"), Some(&admin)).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    let pages = app.get("/api/v1/stats/pages", Some(&editor)).await.json();
    assert_eq!(pages["items"], json!([{"path": "/", "pv": 1, "uv": 1}]));
}

#[test]
fn the_routes_are_in_the_openapi_document() {
    let spec = serde_json::to_value(inkstone_api_native::openapi()).unwrap();
    for path in ["/api/v1/stats", "/api/v1/stats/hits", "/api/v1/stats/pages"] {
        assert!(spec["paths"].get(path).is_some(), "{path} is missing from the OpenAPI document");
    }
}
