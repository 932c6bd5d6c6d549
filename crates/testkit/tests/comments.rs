//! Comments over the real router: guest and user comments, threads, moderation and who
//! sees commenters' e-mail and IP, the refusals (closed, unpublished, bad guests, another
//! post's parent), the honeypot, the link rule, captcha, rate limits, numbering, and exact
//! counts under concurrent writes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

// ----- helpers -----

fn assert_problem(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json()["code"], code, "{}", response.text());
}

/// A published post by `token`'s user; its id.
async fn published_post(app: &TestApp, token: &str, extra: Value) -> i64 {
    let mut body = json!({"title": "Hello", "body": "text", "status": "published"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.create_post(token, body).await["id"].as_i64().unwrap()
}

fn guest(body: &str) -> Value {
    json!({"body": body, "author_name": "Guest", "author_email": "guest@example.org"})
}

async fn comment(app: &TestApp, post: i64, token: Option<&str>, body: Value) -> TestResponse {
    app.post(&format!("/api/v1/posts/{post}/comments"), token, body).await
}

/// Writes a comment and returns it; panics unless 201.
async fn created(app: &TestApp, post: i64, token: Option<&str>, body: Value) -> Value {
    let response = comment(app, post, token, body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

async fn thread(app: &TestApp, post: i64, token: Option<&str>, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/posts/{post}/comments?{query}"), token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

async fn comment_count(app: &TestApp, post: i64) -> i64 {
    app.get(&format!("/api/v1/posts/{post}"), None).await.json()["comment_count"].as_i64().unwrap()
}

async fn set_settings(app: &TestApp, admin: &str, values: Value) {
    let response = app.patch("/api/v1/settings", Some(admin), values).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

async fn moderate(app: &TestApp, token: &str, id: i64, status: &str) -> TestResponse {
    app.patch(&format!("/api/v1/comments/{id}"), Some(token), json!({"status": status})).await
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

// ----- lifecycle -----

#[tokio::test]
async fn a_guest_comment_is_held_approved_hidden_and_deleted_with_the_count_following() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post = published_post(&app, &author, json!({})).await;
    app.set_client_ip(Some("198.51.100.7"));

    let headers = [("content-type", "application/json"), ("user-agent", "TestBrowser/1.0")];
    let response = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/posts/{post}/comments"))
                .header(headers[0].0, headers[0].1)
                .header(headers[1].0, headers[1].1)
                .body(Body::from(guest("First! <script>alert(1)</script> **bold**").to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let held = response.json();
    let comment_id = id(&held);
    assert_eq!(held["status"], "pending", "guest comments wait by default");
    assert_eq!(held["number"], 1);
    assert!(!held["html"].as_str().unwrap().contains("<script"), "{}", held["html"]);
    assert!(held["html"].as_str().unwrap().contains("<strong>bold</strong>"));
    assert!(held.get("moderation").is_none(), "the guest does not get moderator facts back");
    assert!(!response.text().contains("guest@example.org"));
    assert_eq!(comment_count(&app, post).await, 0, "pending comments are not counted");
    assert_eq!(thread(&app, post, None, "").await["total"], 0, "readers do not see pending comments");
    assert_problem(
        &app.get(&format!("/api/v1/comments/{comment_id}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // The post's author moderates its comments and sees who wrote them.
    let queue = thread(&app, post, Some(&author), "").await;
    assert_eq!(queue["total"], 1);
    let seen = &queue["items"][0];
    assert_eq!(seen["moderation"]["email"], "guest@example.org");
    assert_eq!(seen["moderation"]["ip"], "198.51.100.7");
    assert_eq!(seen["moderation"]["user_agent"], "TestBrowser/1.0");
    assert_eq!(seen["can_moderate"], true);

    let approved = moderate(&app, &author, comment_id, "approved").await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    assert_eq!(comment_count(&app, post).await, 1);
    let public = app.get(&format!("/api/v1/comments/{comment_id}"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.json().get("moderation").is_none());
    assert!(!public.text().contains("guest@example.org") && !public.text().contains("198.51.100.7"));
    let listed = thread(&app, post, None, "").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["author"]["name"], "Guest");

    app.clock.advance(Duration::minutes(3));
    let hidden = moderate(&app, &author, comment_id, "hidden").await.json();
    assert_eq!(hidden["status"], "hidden");
    assert_eq!(hidden["hidden_at"], "2026-01-01T00:03:00Z");
    assert_eq!(comment_count(&app, post).await, 0);
    assert_eq!(thread(&app, post, None, "").await["total"], 0);
    let back = moderate(&app, &author, comment_id, "approved").await.json();
    assert_eq!(back["hidden_at"], Value::Null);
    assert_eq!(comment_count(&app, post).await, 1);

    for status in ["spam", "trashed"] {
        assert_eq!(moderate(&app, &author, comment_id, status).await.json()["status"], status);
        assert_eq!(comment_count(&app, post).await, 0);
    }
    assert_eq!(thread(&app, post, Some(&author), "status=trashed").await["total"], 1);
    assert_eq!(thread(&app, post, Some(&author), "status=approved").await["total"], 0);
    let bad_status = moderate(&app, &author, comment_id, "gone").await;
    assert_problem(&bad_status, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");

    moderate(&app, &author, comment_id, "approved").await;
    let deleted =
        app.call(Method::DELETE, &format!("/api/v1/comments/{comment_id}"), Some(&author), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(comment_count(&app, post).await, 0, "deleting an approved comment uncounts it");
    assert_problem(
        &app.get(&format!("/api/v1/comments/{comment_id}"), Some(&author)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn signed_in_comments_are_approved_and_replies_thread_on_the_same_post_only() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (bob, reader) = app.user("bob", Role::Subscriber).await;
    let post = published_post(&app, &author, json!({})).await;
    let other = published_post(&app, &author, json!({"title": "Other"})).await;

    let top = created(&app, post, Some(&reader), json!({"body": "Nice post"})).await;
    assert_eq!(top["status"], "approved");
    assert_eq!(top["author"]["user"]["id"], bob.id);
    assert_eq!(top["author"]["name"], "bob");
    let reply = created(&app, post, None, {
        let mut g = guest("Agreed");
        g["parent_id"] = json!(id(&top));
        g
    })
    .await;
    assert_eq!(reply["parent_id"], id(&top));
    assert_eq!(reply["number"], 2);

    let elsewhere = comment(&app, other, Some(&reader), json!({"body": "x", "parent_id": id(&top)})).await;
    assert_problem(&elsewhere, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(elsewhere.json()["field"], "parent_id");
    let missing = comment(&app, post, Some(&reader), json!({"body": "x", "parent_id": 999})).await;
    assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // A reply to a pending comment the replier cannot see is refused the same way.
    let to_pending = comment(&app, post, None, {
        let mut g = guest("x");
        g["parent_id"] = json!(id(&reply));
        g
    })
    .await;
    assert_problem(&to_pending, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(comment_count(&app, other).await, 0, "refused replies leave nothing");

    // The guest's reply is pending: bob sees his own comment only; the author sees both.
    let seen_by_bob = thread(&app, post, Some(&reader), "").await;
    assert_eq!(seen_by_bob["total"], 1);
    assert_eq!(thread(&app, post, Some(&author), "").await["total"], 2);
    let own_pending = {
        let response = app
            .patch(
                "/api/v1/settings",
                Some(&app.user("root", Role::Admin).await.1),
                json!({"comments.moderation": "all"}),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK);
        created(&app, post, Some(&reader), json!({"body": "held now"})).await
    };
    assert_eq!(own_pending["status"], "pending");
    let mine = thread(&app, post, Some(&reader), "").await;
    assert_eq!(mine["total"], 2, "a reader sees their own pending comment");
    assert_eq!(thread(&app, post, None, "").await["total"], 1);
    let filter = app.get(&format!("/api/v1/posts/{post}/comments?status=pending"), Some(&reader)).await;
    assert_problem(&filter, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn refusals_closed_unpublished_bad_guests_and_bad_bodies() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let closed = published_post(&app, &author, json!({"comments_allowed": false})).await;
    let response = comment(&app, closed, None, guest("hi")).await;
    assert_problem(&response, StatusCode::CONFLICT, "invalid_state");
    assert_eq!(response.json()["field"], "comments_allowed");

    let draft =
        app.create_post(&author, json!({"title": "Draft", "body": "x"})).await["id"].as_i64().unwrap();
    assert_problem(&comment(&app, draft, None, guest("hi")).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(
        &comment(&app, draft, Some(&author), json!({"body": "hi"})).await,
        StatusCode::CONFLICT,
        "invalid_state",
    );
    assert_problem(
        &app.get(&format!("/api/v1/posts/{draft}/comments"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let trashed = published_post(&app, &author, json!({"title": "Trash"})).await;
    app.call(Method::POST, &format!("/api/v1/posts/{trashed}/trash"), Some(&author), None).await;
    assert_problem(&comment(&app, trashed, None, guest("hi")).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(&comment(&app, 4040, None, guest("hi")).await, StatusCode::NOT_FOUND, "not_found");

    let post = published_post(&app, &author, json!({"title": "Open"})).await;
    let cases = [
        (json!({"body": "hi", "author_name": "G"}), "author_email"),
        (json!({"body": "hi", "author_name": "G", "author_email": "not an address"}), "author_email"),
        (json!({"body": "hi", "author_email": "g@example.org"}), "author_name"),
        (
            json!({"body": "hi", "author_name": "x".repeat(51), "author_email": "g@example.org"}),
            "author_name",
        ),
        (json!({"body": "   ", "author_name": "G", "author_email": "g@example.org"}), "body"),
        (json!({"body": "x".repeat(10_001), "author_name": "G", "author_email": "g@example.org"}), "body"),
        (
            json!({"body": "hi", "author_name": "G", "author_email": "g@example.org", "author_url": "javascript:alert(1)"}),
            "author_url",
        ),
    ];
    for (body, field) in cases {
        let response = comment(&app, post, None, body).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(response.json()["field"], field, "{}", response.text());
    }
    let unknown = comment(&app, post, None, json!({"body": "hi", "email": "x@example.org"})).await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(thread(&app, post, Some(&author), "").await["total"], 0, "nothing was written");
}

// ----- spam defences -----

#[tokio::test]
async fn a_filled_honeypot_is_kept_as_spam_while_the_answer_looks_like_success() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let post = published_post(&app, &admin, json!({})).await;
    set_settings(&app, &admin, json!({"comments.moderation": "off"})).await;

    let mut bot = guest("Buy now");
    bot["website"] = json!("http://spam.example");
    let answer = created(&app, post, None, bot).await;
    assert_eq!(answer["status"], "approved", "the bot is told what a person would be told");
    assert_eq!(thread(&app, post, None, "").await["total"], 0, "but nobody sees it");
    assert_eq!(comment_count(&app, post).await, 0);
    let spam = thread(&app, post, Some(&admin), "status=spam").await;
    assert_eq!(spam["total"], 1);
    assert_eq!(spam["items"][0]["id"], answer["id"]);

    let person = created(&app, post, None, guest("Real comment")).await;
    assert_eq!(person["status"], "approved", "moderation off lets guests through");
    assert_eq!(comment_count(&app, post).await, 1);
}

#[tokio::test]
async fn more_links_than_allowed_hold_a_comment() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (_, reader) = app.user("bob", Role::Subscriber).await;
    let post = published_post(&app, &admin, json!({})).await;
    let two = created(
        &app,
        post,
        Some(&reader),
        json!({"body": "see https://a.example and [b](https://b.example)"}),
    )
    .await;
    assert_eq!(two["status"], "approved");
    let three = created(
        &app,
        post,
        Some(&reader),
        json!({"body": "https://a.example https://b.example https://c.example"}),
    )
    .await;
    assert_eq!(three["status"], "pending");
    set_settings(&app, &admin, json!({"comments.max_links": "5"})).await;
    let now_fine = created(
        &app,
        post,
        Some(&reader),
        json!({"body": "https://a.example https://b.example https://c.example"}),
    )
    .await;
    assert_eq!(now_fine["status"], "approved");
    let admin_links = created(
        &app,
        post,
        Some(&admin),
        json!({"body": "https://a https://b https://c https://d https://e https://f"}),
    )
    .await;
    assert_eq!(admin_links["status"], "approved", "moderators are never held");
    assert_eq!(comment_count(&app, post).await, 3);
}

#[tokio::test]
async fn guests_answer_a_captcha_when_the_setting_is_on() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (_, reader) = app.user("bob", Role::Subscriber).await;
    let post = published_post(&app, &admin, json!({})).await;
    set_settings(&app, &admin, json!({"comments.captcha": "true"})).await;

    assert_problem(
        &comment(&app, post, None, guest("hi")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "captcha_failed",
    );
    let challenge = app.get("/api/v1/auth/captcha", None).await.json();
    let mut wrong = guest("hi");
    wrong["captcha"] = json!({"id": challenge["id"], "answer": "definitely-wrong"});
    assert_problem(
        &comment(&app, post, None, wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "captcha_failed",
    );

    let challenge = app.get("/api/v1/auth/captcha", None).await.json();
    let mut right = guest("hi");
    right["captcha"] = json!({"id": challenge["id"], "answer": app.captcha.last_answer().unwrap()});
    created(&app, post, None, right.clone()).await;
    assert_problem(
        &comment(&app, post, None, right).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "captcha_failed",
    );
    created(&app, post, Some(&reader), json!({"body": "users need no captcha"})).await;
}

#[tokio::test]
async fn comments_are_rate_limited_per_address_by_minute_and_hour() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post = published_post(&app, &author, json!({})).await;
    app.set_client_ip(Some("203.0.113.5"));
    for n in 0..10 {
        created(&app, post, None, guest(&format!("comment {n}"))).await;
    }
    let limited = comment(&app, post, None, guest("one too many")).await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    app.set_client_ip(Some("203.0.113.6"));
    created(&app, post, None, guest("another address")).await;
    app.set_client_ip(Some("203.0.113.5"));
    created(&app, post, Some(&author), json!({"body": "the post's author is not limited"})).await;

    // 60 an hour: five more minutes of 10 reach it.
    for _ in 0..5 {
        app.clock.advance(Duration::seconds(61));
        for n in 0..10 {
            created(&app, post, None, guest(&format!("more {n}"))).await;
        }
    }
    app.clock.advance(Duration::seconds(61));
    assert_problem(
        &comment(&app, post, None, guest("hourly")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    app.clock.advance(Duration::hours(1));
    created(&app, post, None, guest("a new hour")).await;
}

// ----- who may moderate and edit -----

#[tokio::test]
async fn only_moderators_of_the_post_change_status_and_see_the_queue() {
    let app = TestApp::new().await;
    let (_, alice) = app.user("alice", Role::Author).await;
    let (_, carol) = app.user("carol", Role::Author).await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    let (_, reader) = app.user("bob", Role::Subscriber).await;
    let alices = published_post(&app, &alice, json!({})).await;
    let carols = published_post(&app, &carol, json!({"title": "Carol's"})).await;
    let on_alices = id(&created(&app, alices, None, guest("on alice")).await);
    let on_carols = id(&created(&app, carols, None, guest("on carol")).await);

    // A reader cannot even see a pending comment; an approved one they may not moderate.
    assert_problem(&moderate(&app, &reader, on_alices, "approved").await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(&app.get("/api/v1/comments", Some(&reader)).await, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&app.get("/api/v1/comments", None).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    let delete =
        app.call(Method::DELETE, &format!("/api/v1/comments/{on_alices}"), Some(&reader), None).await;
    assert_problem(&delete, StatusCode::NOT_FOUND, "not_found");

    // Carol cannot touch comments on Alice's post: she cannot even see the pending one.
    assert_problem(&moderate(&app, &carol, on_alices, "approved").await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(moderate(&app, &alice, on_alices, "approved").await.status, StatusCode::OK);
    assert_problem(&moderate(&app, &carol, on_alices, "spam").await, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(&moderate(&app, &reader, on_alices, "hidden").await, StatusCode::FORBIDDEN, "forbidden");
    let delete =
        app.call(Method::DELETE, &format!("/api/v1/comments/{on_alices}"), Some(&reader), None).await;
    assert_problem(&delete, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(comment_count(&app, alices).await, 1, "refused moderation changed nothing");

    let alices_queue = app.get("/api/v1/comments", Some(&alice)).await.json();
    assert_eq!(alices_queue["total"], 1, "an author's queue holds their own posts' comments");
    assert_eq!(alices_queue["items"][0]["id"], on_alices);
    let editors_queue = app.get("/api/v1/comments?status=pending", Some(&editor)).await.json();
    assert_eq!(editors_queue["total"], 1);
    assert_eq!(editors_queue["items"][0]["id"], on_carols);
    assert_eq!(editors_queue["items"][0]["moderation"]["email"], "guest@example.org");
    let by_post = app.get(&format!("/api/v1/comments?post_id={alices}"), Some(&editor)).await.json();
    assert_eq!(by_post["total"], 1);
    assert_eq!(moderate(&app, &editor, on_carols, "approved").await.status, StatusCode::OK);
    assert_eq!(comment_count(&app, carols).await, 1);
}

#[tokio::test]
async fn commenters_edit_and_withdraw_their_own_words_only() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (_, bob) = app.user("bob", Role::Subscriber).await;
    let (_, dave) = app.user("dave", Role::Subscriber).await;
    let post = published_post(&app, &author, json!({})).await;
    let mine = created(&app, post, Some(&bob), json!({"body": "typo"})).await;
    assert_eq!(mine["edited_at"], Value::Null);
    assert_eq!(mine["can_edit"], true);
    let url = format!("/api/v1/comments/{}", id(&mine));

    app.clock.advance(Duration::minutes(2));
    let edited = app.patch(&url, Some(&bob), json!({"body": "fixed *now*"})).await.json();
    assert_eq!(edited["body"], "fixed *now*");
    assert_eq!(edited["html"], "<p>fixed <em>now</em></p>\n");
    assert_eq!(edited["edited_at"], "2026-01-01T00:02:00Z");

    assert_problem(
        &app.patch(&url, Some(&dave), json!({"body": "mine now"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.patch(&url, Some(&bob), json!({"status": "approved"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.patch(&url, Some(&bob), json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_eq!(app.patch(&url, Some(&bob), json!({"status": "trashed"})).await.json()["status"], "trashed");
    assert_eq!(comment_count(&app, post).await, 0);
    assert_problem(&app.get(&url, Some(&bob)).await, StatusCode::NOT_FOUND, "not_found");
    let moderated = app.patch(&url, Some(&author), json!({"body": "edited by the author"})).await;
    assert_eq!(moderated.json()["body"], "edited by the author");
}

#[tokio::test]
async fn numbers_are_never_reused_after_a_delete() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let post = published_post(&app, &admin, json!({})).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let c = created(&app, post, Some(&admin), json!({"body": format!("#{n}")})).await;
        assert_eq!(c["number"], n);
        ids.push(id(&c));
    }
    for gone in [ids[2], ids[1]] {
        app.call(Method::DELETE, &format!("/api/v1/comments/{gone}"), Some(&admin), None).await;
    }
    let next = created(&app, post, Some(&admin), json!({"body": "#4"})).await;
    assert_eq!(next["number"], 4);
    let listed = thread(&app, post, None, "").await;
    let numbers: Vec<i64> =
        listed["items"].as_array().unwrap().iter().map(|c| c["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, vec![1, 4]);
    assert_eq!(comment_count(&app, post).await, 2);
}

#[tokio::test]
async fn a_thread_is_paged_oldest_first() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let post = published_post(&app, &admin, json!({})).await;
    for n in 1..=5 {
        created(&app, post, Some(&admin), json!({"body": format!("#{n}")})).await;
    }
    let response = app.get(&format!("/api/v1/posts/{post}/comments?per_page=2&page=2"), None).await;
    let page = response.json();
    assert_eq!((page["total"].as_i64(), page["page"].as_i64()), (Some(5), Some(2)));
    assert_eq!(page["items"][0]["number"], 3);
    assert_eq!(page["items"][1]["number"], 4);
    assert!(response.header("link").unwrap().contains("rel=\"next\""));
    let bad = app.get(&format!("/api/v1/posts/{post}/comments?per_page=101"), None).await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

// ----- concurrency -----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_comments_at_once_leave_an_exact_count_and_distinct_numbers() {
    let app = Arc::new(TestApp::new().await);
    let (_, admin) = app.user("root", Role::Admin).await;
    let post = published_post(&app, &admin, json!({})).await;
    set_settings(&app, &admin, json!({"comments.moderation": "off"})).await;

    let mut tasks = Vec::new();
    for n in 0..30u8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut request = Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/posts/{post}/comments"))
                .header("content-type", "application/json")
                .body(Body::from(guest(&format!("comment {n}")).to_string()))
                .unwrap();
            // Each from its own address, as many readers would be.
            let address: SocketAddr = format!("192.0.2.{}:50000", n + 1).parse().unwrap();
            request.extensions_mut().insert(ConnectInfo(address));
            app.send(request).await
        }));
    }
    for task in tasks {
        let response = task.await.unwrap();
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    }
    assert_eq!(comment_count(&app, post).await, 30);
    let listed = thread(&app, post, None, "per_page=100").await;
    let mut numbers: Vec<i64> =
        listed["items"].as_array().unwrap().iter().map(|c| c["number"].as_i64().unwrap()).collect();
    numbers.sort();
    assert_eq!(numbers, (1..=30).collect::<Vec<i64>>());
}
