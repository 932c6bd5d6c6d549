//! Notifications over the native API: written by domain events (a comment for the item's
//! author, never for their own comment) and by those who may send them; listed, marked,
//! and deleted by their recipient only.

use axum::http::{Method, StatusCode};
use inkstone_core::events::{DomainEvent, EventKind};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn assert_problem(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json()["code"], code, "{}", response.text());
}

async fn inbox(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/notifications{query}"), Some(token)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap().to_string()).collect()
}

async fn send(app: &TestApp, token: &str, body: Value) -> TestResponse {
    app.post("/api/v1/notifications", Some(token), body).await
}

/// A `comment.created` event as the comment service emits it.
fn comment_event(
    comment_id: i64,
    item_author_id: i64,
    actor_id: Option<i64>,
    author_name: &str,
) -> DomainEvent {
    DomainEvent::new(
        EventKind::CommentCreated,
        comment_id,
        actor_id,
        json!({
            "id": comment_id, "item_id": 7, "item_title": "Hello world", "item_author_id": item_author_id,
            "parent_id": null, "author_name": author_name, "status": "approved", "excerpt": "Nice post!"
        }),
    )
}

#[tokio::test]
async fn a_comment_notifies_the_item_author_but_not_when_they_comment_themselves() {
    let app = TestApp::new().await;
    let (alice, alice_token) = app.user("alice", Role::Author).await;
    let (bob, bob_token) = app.user("bob", Role::Subscriber).await;

    app.core.emit(comment_event(11, alice.id, Some(bob.id), "Bob")).await;
    let page = inbox(&app, &alice_token, "").await;
    assert_eq!((page["total"].as_i64(), page["unread_count"].as_i64()), (Some(1), Some(1)));
    let note = &page["items"][0];
    assert_eq!(note["kind"], "comment");
    assert_eq!(note["title"], "New comment on “Hello world”");
    assert_eq!(note["body"], "Bob: Nice post!");
    assert_eq!(note["subject_id"], 11);
    assert_eq!(note["data"]["item_id"], 7);
    assert_eq!(note["read"], false);
    assert_eq!(note["read_at"], Value::Null);

    // A guest (no actor) comment notifies too; a pending one says so.
    let mut guest = comment_event(12, alice.id, None, "Guest");
    guest.data["status"] = json!("pending");
    app.core.emit(guest).await;
    let page = inbox(&app, &alice_token, "").await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["body"], "Guest: Nice post!\n(awaiting moderation)");

    // Her own comment on her own post: nothing new.
    app.core.emit(comment_event(13, alice.id, Some(alice.id), "Alice")).await;
    assert_eq!(inbox(&app, &alice_token, "").await["total"], 2);
    assert_eq!(inbox(&app, &bob_token, "").await["total"], 0, "the commenter gets nothing");

    // Other kinds write nothing.
    app.core.emit(DomainEvent::new(EventKind::ItemPublished, 7, Some(bob.id), json!({"id": 7}))).await;
    assert_eq!(inbox(&app, &alice_token, "").await["total"], 2);
}

#[tokio::test]
async fn the_recipient_lists_marks_and_deletes_their_notifications() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (alice, alice_token) = app.user("alice", Role::Subscriber).await;
    for n in 1..=3 {
        let sent = send(
            &app,
            &admin,
            json!({"user_id": alice.id, "title": format!("Note {n}"), "body": "line 1\nline 2"}),
        )
        .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
        assert_eq!(sent.json()["created"], 1);
    }

    let all = inbox(&app, &alice_token, "").await;
    assert_eq!(titles(&all), ["Note 3", "Note 2", "Note 1"], "newest first");
    assert_eq!(all["items"][0]["kind"], "api");
    assert_eq!(all["items"][0]["body"], "line 1\nline 2");
    let ids: Vec<i64> = all["items"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();

    let first_page = app.get("/api/v1/notifications?per_page=2", Some(&alice_token)).await;
    assert_eq!(titles(&first_page.json()), ["Note 3", "Note 2"]);
    assert!(first_page.header("link").unwrap().contains("page=2>; rel=\"next\""));

    let read = app
        .patch(&format!("/api/v1/notifications/{}", ids[0]), Some(&alice_token), json!({"read": true}))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["read"], true);
    assert_eq!(read.json()["read_at"], "2026-01-01T00:00:00Z");
    let unread = inbox(&app, &alice_token, "?unread=true").await;
    assert_eq!(titles(&unread), ["Note 2", "Note 1"]);
    assert_eq!((unread["total"].as_i64(), unread["unread_count"].as_i64()), (Some(2), Some(2)));
    assert_eq!(inbox(&app, &alice_token, "").await["unread_count"], 2);

    let again = app
        .patch(&format!("/api/v1/notifications/{}", ids[0]), Some(&alice_token), json!({"read": false}))
        .await;
    assert_eq!(again.json()["read"], false);
    assert_eq!(inbox(&app, &alice_token, "").await["unread_count"], 3);

    let all_read = app.call(Method::POST, "/api/v1/notifications/read-all", Some(&alice_token), None).await;
    assert_eq!(all_read.status, StatusCode::OK, "{}", all_read.text());
    assert_eq!(all_read.json()["count"], 3);
    assert_eq!(inbox(&app, &alice_token, "?unread=true").await["total"], 0);

    let one = format!("/api/v1/notifications/{}", ids[2]);
    assert_eq!(app.call(Method::DELETE, &one, Some(&alice_token), None).await.status, StatusCode::NO_CONTENT);
    assert_problem(&app.get(&one, Some(&alice_token)).await, StatusCode::NOT_FOUND, "not_found");

    // A new unread one survives deleting the read ones.
    send(&app, &admin, json!({"user_id": alice.id, "title": "Fresh"})).await;
    let cleared = app.call(Method::DELETE, "/api/v1/notifications", Some(&alice_token), None).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text());
    assert_eq!(cleared.json()["count"], 2);
    let left = inbox(&app, &alice_token, "").await;
    assert_eq!((titles(&left), left["unread_count"].as_i64()), (vec!["Fresh".to_string()], Some(1)));
}

#[tokio::test]
async fn other_users_notifications_are_not_found() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (alice, alice_token) = app.user("alice", Role::Author).await;
    let (_, bob_token) = app.user("bob", Role::Editor).await;
    send(&app, &admin, json!({"user_id": alice.id, "title": "For Alice"})).await;
    let id = inbox(&app, &alice_token, "").await["items"][0]["id"].as_i64().unwrap();
    let uri = format!("/api/v1/notifications/{id}");

    assert_problem(&app.get(&uri, Some(&bob_token)).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(
        &app.patch(&uri, Some(&bob_token), json!({"read": true})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.call(Method::DELETE, &uri, Some(&bob_token), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(
        app.call(Method::POST, "/api/v1/notifications/read-all", Some(&bob_token), None).await.json()["count"],
        0
    );
    assert_eq!(inbox(&app, &bob_token, "").await["total"], 0);
    assert_eq!(inbox(&app, &admin, "").await["total"], 0, "not even admins read others' notifications");

    let hers = inbox(&app, &alice_token, "").await;
    assert_eq!((hers["total"].as_i64(), hers["unread_count"].as_i64()), (Some(1), Some(1)), "untouched");
    assert_problem(
        &app.get("/api/v1/notifications", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_problem(
        &app.get("/api/v1/notifications/abc", Some(&alice_token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn sending_needs_manage_notifications_and_valid_input() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Role::Admin).await;
    let (_, boss) = app.user("boss", Role::Admin).await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    let (alice, author) = app.user("alice", Role::Author).await;

    let refused = send(&app, &author, json!({"user_id": alice.id, "title": "Hi"})).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    assert_problem(
        &app.post("/api/v1/notifications", None, json!({"title": "Hi"})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_eq!(inbox(&app, &author, "").await["total"], 0);

    // Without a user id: every active admin.
    let broadcast =
        send(&app, &editor, json!({"title": "系统维护通知", "body": "今晚 22:00 维护", "link": "/status"}))
            .await;
    assert_eq!(broadcast.status, StatusCode::CREATED, "{}", broadcast.text());
    assert_eq!(broadcast.json()["created"], 2);
    for admin in [&root, &boss] {
        let note = &inbox(&app, admin, "").await["items"][0];
        assert_eq!((note["title"].as_str(), note["link"].as_str()), (Some("系统维护通知"), Some("/status")));
    }
    assert_eq!(inbox(&app, &editor, "").await["total"], 0);

    for (body, field) in [
        (json!({"user_id": 999, "title": "Hi"}), "user_id"),
        (json!({"title": "  "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"title": "Hi", "body": "x".repeat(10_001)}), "body"),
        (json!({"title": "Hi", "link": "javascript:alert(1)"}), "link"),
    ] {
        let response = send(&app, &root, body.clone()).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(response.json()["field"], field, "{body}");
    }
    assert_eq!(inbox(&app, &root, "").await["total"], 1, "nothing written by refused requests");
    let bad_page = app.get("/api/v1/notifications?per_page=101", Some(&root)).await;
    assert_problem(&bad_page, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[test]
fn the_routes_are_in_the_openapi_document() {
    let spec = serde_json::to_value(inkstone_api_native::openapi()).unwrap();
    for path in ["/api/v1/notifications", "/api/v1/notifications/{id}", "/api/v1/notifications/read-all"] {
        assert!(spec["paths"].get(path).is_some(), "{path} is missing from the OpenAPI document");
    }
}
