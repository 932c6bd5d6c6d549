//! Notes over the real router: writing, reading, changing and deleting; who may write;
//! private notes; tags, author filter and pages; free JSON values; origin through an API
//! key.

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn assert_problem(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json()["code"], code, "{}", response.text());
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post("/api/v1/notes", Some(token), body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

async fn list(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/notes?{query}"), token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn a_note_is_written_read_changed_and_deleted() {
    let app = TestApp::new().await;
    let (alice, author) = app.user("alice", Role::Author).await;
    let response = app
        .post(
            "/api/v1/notes",
            Some(&author),
            json!({
                "body": "今天 **很好** <script>alert(1)</script> <img src=x onerror=alert(1)>",
                "tags": ["日常", "Rust", "rust", "  "],
                "values": {"mood": "happy", "weather": {"temp": 21}},
            }),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let location = response.header("location").unwrap().to_string();
    let note = response.json();
    let html = note["html"].as_str().unwrap();
    assert!(html.contains("<strong>很好</strong>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("onerror"), "{html}");
    assert_eq!(note["tags"], json!(["日常", "Rust"]), "blank and duplicate tags dropped");
    assert_eq!(note["values"]["weather"]["temp"], 21);
    assert_eq!(note["private"], false);
    assert_eq!(note["author"]["id"], alice.id);
    assert_eq!(note["origin"], "console");
    assert_eq!(note["like_count"], 0);
    assert_eq!(location, format!("/api/v1/notes/{}", note["id"]));

    let read = app.get(&location, None).await.json();
    assert_eq!(read["body"], note["body"]);
    assert_eq!(read["can_edit"], false);

    app.clock.advance(chrono::Duration::minutes(1));
    let changed = app.patch(&location, Some(&author), json!({"body": "edited", "tags": ["x"]})).await.json();
    assert_eq!(changed["html"], "<p>edited</p>\n");
    assert_eq!(changed["tags"], json!(["x"]));
    assert_eq!(changed["values"]["mood"], "happy", "absent fields stay");
    assert_eq!(changed["updated_at"], "2026-01-01T00:01:00Z");
    assert_eq!(changed["created_at"], "2026-01-01T00:00:00Z");

    let deleted = app.call(Method::DELETE, &location, Some(&author), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_problem(&app.get(&location, Some(&author)).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(
        &app.call(Method::DELETE, &location, Some(&author), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn only_authors_and_up_write_and_only_owners_or_editors_change() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (_, other_author) = app.user("carol", Role::Author).await;
    let (_, contributor) = app.user("conny", Role::Contributor).await;
    let (_, subscriber) = app.user("bob", Role::Subscriber).await;
    let (_, editor) = app.user("ed", Role::Editor).await;

    assert_problem(
        &app.post("/api/v1/notes", None, json!({"body": "x"})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    for token in [&contributor, &subscriber] {
        assert_problem(
            &app.post("/api/v1/notes", Some(token), json!({"body": "x"})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let note = create(&app, &author, json!({"body": "mine"})).await;
    let url = format!("/api/v1/notes/{}", note["id"]);
    assert_problem(
        &app.patch(&url, Some(&other_author), json!({"body": "theirs"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.call(Method::DELETE, &url, Some(&subscriber), None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.patch(&url, Some(&editor), json!({"body": "fixed"})).await.json()["body"], "fixed");
    assert_eq!(app.get(&url, None).await.json()["body"], "fixed");

    let cases = [
        (json!({"body": ""}), "body"),
        (json!({"body": "x".repeat(20_001)}), "body"),
        (json!({"body": "x", "values": [1, 2]}), "values"),
        (json!({"body": "x", "values": {"big": "y".repeat(17 * 1024)}}), "values"),
        (json!({"body": "x", "tags": ["t".repeat(51)]}), "tags"),
        (json!({"body": "x", "tags": (0..21).map(|n| format!("t{n}")).collect::<Vec<_>>()}), "tags"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/v1/notes", Some(&author), body).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(response.json()["field"], field);
    }
    assert_eq!(list(&app, Some(&editor), "").await["total"], 1, "nothing else was written");
}

#[tokio::test]
async fn private_notes_are_seen_by_their_author_and_editors_only() {
    let app = TestApp::new().await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (_, other) = app.user("carol", Role::Author).await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    create(&app, &author, json!({"body": "public"})).await;
    let secret = create(&app, &author, json!({"body": "secret", "private": true})).await;
    let url = format!("/api/v1/notes/{}", secret["id"]);

    assert_problem(&app.get(&url, None).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(&app.get(&url, Some(&other)).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(
        &app.patch(&url, Some(&other), json!({"body": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(app.get(&url, Some(&author)).await.json()["body"], "secret");
    assert_eq!(app.get(&url, Some(&editor)).await.json()["can_edit"], true);

    assert_eq!(list(&app, None, "").await["total"], 1);
    assert_eq!(list(&app, Some(&other), "").await["total"], 1);
    assert_eq!(list(&app, Some(&author), "").await["total"], 2);
    assert_eq!(list(&app, Some(&editor), "").await["total"], 2);

    let public = app.patch(&url, Some(&author), json!({"private": false})).await.json();
    assert_eq!(public["private"], false);
    assert_eq!(list(&app, None, "").await["total"], 2);
}

#[tokio::test]
async fn notes_are_listed_newest_first_by_page_tag_and_author() {
    let app = TestApp::new().await;
    let (alice, author) = app.user("alice", Role::Author).await;
    let (_, other) = app.user("carol", Role::Author).await;
    for n in 1..=5 {
        let tags = if n % 2 == 0 { json!(["Even", "all"]) } else { json!(["all"]) };
        create(&app, &author, json!({"body": format!("note {n}"), "tags": tags})).await;
        app.clock.advance(chrono::Duration::seconds(1));
    }
    create(&app, &other, json!({"body": "carol's", "tags": ["even"]})).await;

    let response = app.get("/api/v1/notes?per_page=2&page=2&author=1", None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let page = response.json();
    assert_eq!(page["total"], 5);
    assert_eq!(page["per_page"], 2);
    let bodies: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["note 3", "note 2"]);
    let link = response.header("link").unwrap();
    assert!(link.contains("page=3") && link.contains("rel=\"next\""), "{link}");
    assert_eq!(alice.id, 1, "author=1 above is alice");

    assert_eq!(list(&app, None, "tag=even").await["total"], 3, "tags match ignoring case");
    assert_eq!(list(&app, None, &format!("tag=even&author={}", alice.id)).await["total"], 2);
    assert_eq!(list(&app, None, "tag=nope").await["total"], 0);
    assert_eq!(list(&app, None, "").await["items"][0]["body"], "carol's");
    assert_problem(
        &app.get("/api/v1/notes?per_page=0", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_problem(
        &app.get("/api/v1/notes?page=0", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
}

#[tokio::test]
async fn a_note_made_with_an_api_key_has_origin_api() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let response = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            json!({"name": "bot", "can_write_own": 1, "can_write_other": 0, "can_delete": 1}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let key = response.json()["key"].as_str().unwrap().to_string();
    let note = create(&app, &key, json!({"body": "from a bot"})).await;
    assert_eq!(note["origin"], "api");
    let url = format!("/api/v1/notes/{}", note["id"]);
    assert_eq!(app.patch(&url, Some(&key), json!({"body": "still mine"})).await.status, StatusCode::OK);
    let console_note = create(&app, &admin, json!({"body": "by hand"})).await;
    let console_url = format!("/api/v1/notes/{}", console_note["id"]);
    assert_problem(
        &app.patch(&console_url, Some(&key), json!({"body": "x"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.call(Method::DELETE, &console_url, Some(&key), None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.call(Method::DELETE, &url, Some(&key), None).await.status, StatusCode::NO_CONTENT);
}
