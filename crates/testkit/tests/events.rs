//! The features tell each other: a comment reaches the item's author as a notification and
//! webhook subscribers as `comment.created`; a friend-link application reaches admins and
//! subscribers; an upload reaches subscribers as `media.uploaded`. Subscribers never see a
//! commenter's e-mail or IP.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use inkstone_core::model::Role;
use inkstone_testkit::TestApp;
use serde_json::{Value, json};

/// Starts a receiver on 127.0.0.1 that answers 204 and keeps every JSON body.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let kept = kept.clone();
        async move {
            kept.lock().unwrap().push(serde_json::from_slice::<Value>(&body).expect("a JSON body"));
            StatusCode::NO_CONTENT
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, bodies)
}

/// An app whose admin has a webhook for `events` pointing at a fresh receiver.
async fn subscribed(events: &[&str]) -> (TestApp, String, Arc<Mutex<Vec<Value>>>) {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let allowed =
        app.patch("/api/v1/settings", Some(&admin), json!({"webhooks.allow_private_targets": "true"})).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text());
    let (url, bodies) = receiver().await;
    let created = app.post("/api/v1/webhooks", Some(&admin), json!({"url": url, "events": events})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    (app, admin, bodies)
}

fn events_of(bodies: &Arc<Mutex<Vec<Value>>>) -> Vec<Value> {
    bodies.lock().unwrap().clone()
}

#[tokio::test]
async fn a_guest_comment_notifies_the_author_and_reaches_subscribers_without_private_details() {
    let (app, admin, bodies) = subscribed(&["comment.created"]).await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post =
        app.create_post(&author, json!({"title": "Ink", "body": "Hello", "status": "published"})).await;
    let post_id = post["id"].as_i64().unwrap();

    app.set_client_ip(Some("203.0.113.77"));
    let comment = app
        .post(
            &format!("/api/v1/posts/{post_id}/comments"),
            None,
            json!({"author_name": "读者", "author_email": "reader@example.com", "body": "写得好！"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text());
    let comment_id = comment.json()["id"].as_i64().unwrap();
    app.set_client_ip(None);

    let inbox = app.get("/api/v1/notifications", Some(&author)).await.json();
    assert_eq!(inbox["unread_count"], 1, "{inbox}");
    let text = inbox["items"][0].to_string();
    assert!(text.contains("读者") && text.contains("Ink"), "names the commenter and the post: {text}");
    assert!(!text.contains("reader@example.com") && !text.contains("203.0.113.77"), "{text}");
    let admin_inbox = app.get("/api/v1/notifications", Some(&admin)).await.json();
    assert_eq!(admin_inbox["total"], 0, "only the post's author hears of it: {admin_inbox}");

    assert_eq!(app.deliver_webhooks().await, 1);
    let delivered = events_of(&bodies);
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0]["event"], "comment.created");
    let data = &delivered[0]["data"];
    assert_eq!((data["id"].as_i64(), data["item_id"].as_i64()), (Some(comment_id), Some(post_id)));
    assert_eq!(data["author_name"], "读者");
    assert_eq!(data["status"], "pending", "guest comments wait for approval by default");
    let raw = delivered[0].to_string();
    assert!(!raw.contains("reader@example.com") && !raw.contains("203.0.113.77"), "{raw}");

    // The author commenting on their own post is not news to them.
    let own = app
        .post(&format!("/api/v1/posts/{post_id}/comments"), Some(&author), json!({"body": "Thanks!"}))
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text());
    assert_eq!(app.get("/api/v1/notifications", Some(&author)).await.json()["total"], 1);
    assert_eq!(app.deliver_webhooks().await, 1, "subscribers still hear of it");
}

#[tokio::test]
async fn a_friend_link_application_notifies_admins_and_subscribers() {
    let (app, admin, bodies) = subscribed(&["friend_link.applied"]).await;
    let applied = app
        .post(
            "/api/v1/friend-links/applications",
            None,
            json!({"name": "墨池", "url": "https://mochi.example.org/", "description": "A friend"}),
        )
        .await;
    assert!(applied.status.is_success(), "{}", applied.text());
    let inbox = app.get("/api/v1/notifications", Some(&admin)).await.json();
    assert_eq!(inbox["unread_count"], 1, "{inbox}");
    assert_eq!(app.deliver_webhooks().await, 1);
    let delivered = events_of(&bodies);
    assert_eq!(delivered[0]["event"], "friend_link.applied");
    assert_eq!(delivered[0]["data"]["url"], "https://mochi.example.org/");
    let public = app.get("/api/v1/friend-links", None).await.json();
    assert_eq!(public["items"].as_array().map(Vec::len), Some(0), "hidden until approved: {public}");
}

#[tokio::test]
async fn events_nobody_subscribed_to_are_not_delivered() {
    let (app, _admin, bodies) = subscribed(&["item.deleted"]).await;
    let (_, author) = app.user("alice", Role::Author).await;
    let post =
        app.create_post(&author, json!({"title": "Ink", "body": "Hello", "status": "published"})).await;
    let post_id = post["id"].as_i64().unwrap();
    let comment = app
        .post(&format!("/api/v1/posts/{post_id}/comments"), Some(&author), json!({"body": "Note to self"}))
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    assert_eq!(app.deliver_webhooks().await, 0);
    let deleted =
        app.call(axum::http::Method::DELETE, &format!("/api/v1/posts/{post_id}"), Some(&author), None).await;
    assert!(deleted.status.is_success(), "{}", deleted.text());
    assert_eq!(app.deliver_webhooks().await, 1);
    let delivered = events_of(&bodies);
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        (delivered[0]["event"].as_str(), delivered[0]["data"]["id"].as_i64()),
        (Some("item.deleted"), Some(post_id))
    );
}

#[tokio::test]
async fn an_upload_reaches_subscribers_with_its_public_url() {
    let (app, admin, bodies) = subscribed(&["media.uploaded"]).await;
    let uploaded = app.upload_media(Some(&admin), "墨.txt", b"ink and paper", &[]).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());
    let media = uploaded.json();
    assert_eq!(app.deliver_webhooks().await, 1);
    let delivered = events_of(&bodies);
    assert_eq!(delivered[0]["event"], "media.uploaded");
    let data = &delivered[0]["data"];
    assert_eq!(data["id"], media["id"]);
    assert_eq!(data["url"], media["url"]);
    assert_eq!((data["mime"].as_str(), data["size"].as_i64()), (Some("text/plain"), Some(13)));
    assert_eq!(data["original_name"], "墨.txt");
}
