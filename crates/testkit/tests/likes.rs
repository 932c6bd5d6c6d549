//! Likes over the real router: by users, by the visitor cookie and by address; idempotent
//! likes and unlikes; likers lists; what may be liked; rate limits; and exact counts when
//! many visitors like at once.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn assert_problem(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json()["code"], code, "{}", response.text());
}

async fn published_post(app: &TestApp, token: &str) -> i64 {
    app.create_post(token, json!({"title": "Hello", "body": "text", "status": "published"})).await["id"]
        .as_i64()
        .unwrap()
}

async fn like_count(app: &TestApp, post: i64) -> i64 {
    app.get(&format!("/api/v1/posts/{post}"), None).await.json()["like_count"].as_i64().unwrap()
}

/// A like or unlike with the given visitor cookie (and no credentials).
async fn as_visitor(app: &TestApp, method: Method, uri: &str, cookie: Option<&str>) -> TestResponse {
    let cookie = cookie.map(|c| format!("inkstone_visitor={c}"));
    let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
    app.call_with_headers(method, uri, &headers, None).await
}

fn visitor_id(n: usize) -> String {
    format!("visitor-{n:0>30}")
}

fn outcome(response: &TestResponse) -> (bool, bool, i64) {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    (
        body["liked"].as_bool().unwrap(),
        body["changed"].as_bool().unwrap(),
        body["like_count"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn users_like_once_unlike_and_the_post_shows_the_count() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (bob, reader) = app.user("bob", Role::Subscriber).await;
    let post = published_post(&app, &author).await;
    let url = format!("/api/v1/posts/{post}/likes");

    let first = app.call(Method::POST, &url, Some(&reader), None).await;
    assert_eq!(outcome(&first), (true, true, 1));
    assert!(first.header("set-cookie").is_none(), "users need no visitor cookie");
    assert_eq!(outcome(&app.call(Method::POST, &url, Some(&reader), None).await), (true, false, 1));
    assert_eq!(outcome(&app.call(Method::POST, &url, Some(&author), None).await), (true, true, 2));
    assert_eq!(like_count(&app, post).await, 2);

    let likers = app.get(&url, Some(&reader)).await.json();
    assert_eq!(likers["total"], 2);
    assert_eq!(likers["anonymous"], 0);
    assert_eq!(likers["liked"], true);
    assert_eq!(likers["items"][0]["user"]["username"], "alice", "newest first");
    assert_eq!(likers["items"][1]["user"]["id"], bob.id);
    assert!(likers["items"][1]["user"].get("email").is_none());

    assert_eq!(outcome(&app.call(Method::DELETE, &url, Some(&reader), None).await), (false, true, 1));
    assert_eq!(outcome(&app.call(Method::DELETE, &url, Some(&reader), None).await), (false, false, 1));
    assert_eq!(like_count(&app, post).await, 1);
    assert_eq!(app.get(&url, Some(&reader)).await.json()["liked"], false);
    let paged = app.get(&format!("{url}?per_page=1&page=2"), None).await.json();
    assert_eq!(paged["items"].as_array().unwrap().len(), 0);
    assert_eq!(paged["total"], 1);
}

#[tokio::test]
async fn anonymous_visitors_are_told_apart_by_their_cookie() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post = published_post(&app, &author).await;
    let url = format!("/api/v1/posts/{post}/likes");

    // No cookie: the answer sets one that lasts a year, and the like counts as that visitor.
    let first = as_visitor(&app, Method::POST, &url, None).await;
    assert_eq!(outcome(&first), (true, true, 1));
    let set_cookie = first.header("set-cookie").expect("a visitor cookie").to_string();
    assert!(set_cookie.starts_with("inkstone_visitor="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Max-Age=31536000", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie} lacks {attribute}");
    }
    let issued = set_cookie.split(';').next().unwrap().trim_start_matches("inkstone_visitor=").to_string();
    let again = as_visitor(&app, Method::POST, &url, Some(&issued)).await;
    assert_eq!(outcome(&again), (true, false, 1), "the same browser likes once");
    assert!(again.header("set-cookie").is_none(), "a valid cookie is kept");

    let other = visitor_id(2);
    assert_eq!(outcome(&as_visitor(&app, Method::POST, &url, Some(&other)).await), (true, true, 2));
    let likers = as_visitor(&app, Method::GET, &url, Some(&other)).await;
    assert_eq!(likers.header("cache-control"), Some("private, no-store"));
    let likers = likers.json();
    assert_eq!((likers["total"].as_i64(), likers["anonymous"].as_i64()), (Some(0), Some(2)));
    assert_eq!(likers["liked"], true);
    assert_eq!(likers["items"], json!([]), "anonymous likers are a count, not entries");
    assert_eq!(as_visitor(&app, Method::GET, &url, Some(&visitor_id(3))).await.json()["liked"], false);

    assert_eq!(outcome(&as_visitor(&app, Method::DELETE, &url, Some(&other)).await), (false, true, 1));
    // A malformed cookie is not an identity: a new one is issued.
    let forged = as_visitor(&app, Method::POST, &url, Some("x';--")).await;
    assert!(outcome(&forged).1, "a forged cookie counts as a new visitor");
    assert!(forged.header("set-cookie").is_some());
    assert_eq!(like_count(&app, post).await, 2);
}

#[tokio::test]
async fn without_a_cookie_the_address_is_the_visitor() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post = published_post(&app, &author).await;
    let url = format!("/api/v1/posts/{post}/likes");
    app.set_client_ip(Some("203.0.113.9"));
    let first = as_visitor(&app, Method::POST, &url, None).await;
    assert_eq!(outcome(&first), (true, true, 1));
    assert!(first.header("set-cookie").is_some(), "a cookie is offered for next time");
    assert_eq!(outcome(&as_visitor(&app, Method::POST, &url, None).await), (true, false, 1), "same address");
    app.set_client_ip(Some("2001:db8:1:2:aaaa::1"));
    assert_eq!(outcome(&as_visitor(&app, Method::POST, &url, None).await), (true, true, 2));
    app.set_client_ip(Some("2001:db8:1:2:bbbb::2"));
    assert_eq!(
        outcome(&as_visitor(&app, Method::POST, &url, None).await),
        (true, false, 2),
        "an IPv6 /64 is one visitor"
    );
    app.set_client_ip(Some("203.0.113.9"));
    assert_eq!(outcome(&as_visitor(&app, Method::DELETE, &url, None).await), (false, true, 1));
    assert_eq!(like_count(&app, post).await, 1);
}

#[tokio::test]
async fn likes_on_comments_and_notes_follow_what_the_caller_may_see() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (_, reader) = app.user("bob", Role::Subscriber).await;
    let post = published_post(&app, &author).await;
    let approved =
        app.post(&format!("/api/v1/posts/{post}/comments"), Some(&reader), json!({"body": "hi"})).await;
    let approved = approved.json()["id"].as_i64().unwrap();
    let pending = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            None,
            json!({"body": "held", "author_name": "G", "author_email": "g@example.org"}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();

    let url = format!("/api/v1/comments/{approved}/likes");
    assert_eq!(outcome(&as_visitor(&app, Method::POST, &url, Some(&visitor_id(1))).await), (true, true, 1));
    assert_eq!(outcome(&app.call(Method::POST, &url, Some(&author), None).await), (true, true, 2));
    let comment = app.get(&format!("/api/v1/comments/{approved}"), None).await.json();
    assert_eq!(comment["like_count"], 2);
    let hidden = format!("/api/v1/comments/{pending}/likes");
    assert_problem(
        &as_visitor(&app, Method::POST, &hidden, Some(&visitor_id(1))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(&app.get(&hidden, None).await, StatusCode::NOT_FOUND, "not_found");

    let public_note = app.post("/api/v1/notes", Some(&author), json!({"body": "public"})).await.json();
    let private_note =
        app.post("/api/v1/notes", Some(&author), json!({"body": "secret", "private": true})).await.json();
    let note_url = format!("/api/v1/notes/{}/likes", public_note["id"]);
    assert_eq!(outcome(&app.call(Method::POST, &note_url, Some(&reader), None).await), (true, true, 1));
    assert_eq!(app.get(&format!("/api/v1/notes/{}", public_note["id"]), None).await.json()["like_count"], 1);
    let private_url = format!("/api/v1/notes/{}/likes", private_note["id"]);
    assert_problem(
        &app.call(Method::POST, &private_url, Some(&reader), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(outcome(&app.call(Method::POST, &private_url, Some(&author), None).await), (true, true, 1));

    let draft =
        app.create_post(&author, json!({"title": "Draft", "body": "x"})).await["id"].as_i64().unwrap();
    let draft_url = format!("/api/v1/posts/{draft}/likes");
    assert_problem(
        &as_visitor(&app, Method::POST, &draft_url, Some(&visitor_id(1))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.call(Method::POST, "/api/v1/posts/999/likes", Some(&reader), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // A deleted comment takes its likes along; a deleted note too.
    let deleted =
        app.call(Method::DELETE, &format!("/api/v1/comments/{approved}"), Some(&author), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_problem(&app.get(&url, None).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn likes_are_rate_limited_per_address() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post = published_post(&app, &author).await;
    let url = format!("/api/v1/posts/{post}/likes");
    app.set_client_ip(Some("198.51.100.20"));
    for n in 0..60 {
        let response = as_visitor(&app, Method::POST, &url, Some(&visitor_id(n))).await;
        assert_eq!(response.status, StatusCode::OK, "like {n}: {}", response.text());
    }
    let limited = as_visitor(&app, Method::POST, &url, Some(&visitor_id(61))).await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(like_count(&app, post).await, 60, "the refused like was not counted");
    app.clock.advance(Duration::seconds(61));
    assert_eq!(outcome(&as_visitor(&app, Method::POST, &url, Some(&visitor_id(61))).await).2, 61);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_visitors_liking_at_once_leave_an_exact_count() {
    let app = Arc::new(TestApp::new().await);
    let (_, author) = app.user("alice", Role::Author).await;
    let post = published_post(&app, &author).await;
    let mut tasks = Vec::new();
    // 50 distinct visitors, 20 of them twice: exactly 50 likes.
    for n in (0..50).chain(0..20) {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let request = Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/posts/{post}/likes"))
                .header("cookie", format!("inkstone_visitor={}", visitor_id(n)))
                .body(Body::empty())
                .unwrap();
            app.send(request).await
        }));
    }
    let mut changed = 0;
    for task in tasks {
        let response = task.await.unwrap();
        let body: Value = response.json();
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        if body["changed"] == true {
            changed += 1;
        }
    }
    assert_eq!(changed, 50);
    assert_eq!(like_count(&app, post).await, 50);
    let likers = app.get(&format!("/api/v1/posts/{post}/likes"), None).await.json();
    assert_eq!(likers["anonymous"], 50);

    // And 50 unlikes at once bring it back to zero.
    let mut tasks = Vec::new();
    for n in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let request = Request::builder()
                .method(Method::DELETE)
                .uri(format!("/api/v1/posts/{post}/likes"))
                .header("cookie", format!("inkstone_visitor={}", visitor_id(n)))
                .body(Body::empty())
                .unwrap();
            app.send(request).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(like_count(&app, post).await, 0);
}
