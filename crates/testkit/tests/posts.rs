//! The native posts API over the real router and a real SQLite file.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_testkit::TestApp;
use serde_json::{Value, json};

fn id_of(post: &Value) -> i64 {
    post["id"].as_i64().expect("post id")
}

async fn total(app: &TestApp, query: &str, token: Option<&str>) -> i64 {
    let response = app.get(&format!("/api/v1/posts?{query}"), token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["total"].as_i64().unwrap()
}

#[tokio::test]
async fn lifecycle_from_draft_to_deletion() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let post = app.create_post(&token, json!({"title": "First", "body": "Hello *world*"})).await;
    let id = id_of(&post);
    assert_eq!(post["status"], "draft");
    assert_eq!(post["html"], "<p>Hello <em>world</em></p>\n");
    assert_eq!(post["published_at"], Value::Null);
    let url = format!("/api/v1/posts/{id}");

    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND, "drafts are hidden");
    assert_eq!(total(&app, "", None).await, 0);

    let published = app.post(&format!("{url}/publish"), Some(&token), json!({})).await.json();
    assert_eq!(published["status"], "published");
    assert_eq!(published["published_at"], "2026-01-01T00:00:00Z");
    assert_eq!(app.get(&url, None).await.json()["title"], "First");

    app.clock.advance(Duration::minutes(5));
    let unpublished = app.call(Method::POST, &format!("{url}/unpublish"), Some(&token), None).await.json();
    assert_eq!(unpublished["status"], "draft");
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);

    let trashed = app.call(Method::POST, &format!("{url}/trash"), Some(&token), None).await.json();
    assert_eq!(trashed["status"], "trashed");
    assert_eq!(total(&app, "", Some(&token)).await, 0, "trash is not listed by default");
    assert_eq!(total(&app, "status=trashed", Some(&token)).await, 1);
    let publish_trashed = app.post(&format!("{url}/publish"), Some(&token), json!({})).await;
    assert_eq!(publish_trashed.status, StatusCode::CONFLICT);
    assert_eq!(publish_trashed.json()["code"], "invalid_state");

    let restored = app.call(Method::POST, &format!("{url}/restore"), Some(&token), None).await.json();
    assert_eq!(restored["status"], "draft", "restored to the status it had");

    let deleted = app.call(Method::DELETE, &url, Some(&token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&url, Some(&token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{url}/revisions"), Some(&token)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn editing_a_published_post_waits_for_the_next_publish() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let post = app
        .create_post(&token, json!({"title": "Old title", "body": "old body", "status": "published"}))
        .await;
    let id = id_of(&post);
    let url = format!("/api/v1/posts/{id}");

    let edited = app.patch(&url, Some(&token), json!({"title": "New title", "body": "new body"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let edited = edited.json();
    assert_eq!(edited["has_unpublished_changes"], true);
    assert_eq!(edited["title"], "Old title", "readers still see the released revision");

    let public = app.get(&url, None).await.json();
    assert_eq!(public["title"], "Old title");
    assert_eq!(public["body"], "old body");
    assert!(public.get("head_revision_id").is_none(), "revision ids are for editors");

    let revisions = app.get(&format!("{url}/revisions"), Some(&token)).await.json();
    let items = revisions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "New title");
    assert_eq!(items[0]["is_head"], true);
    assert_eq!(items[0]["is_released"], false);
    assert_eq!(items[1]["is_released"], true);
    let head_id = items[0]["id"].as_i64().unwrap();
    let head = app.get(&format!("{url}/revisions/{head_id}"), Some(&token)).await.json();
    assert_eq!(head["body"], "new body");
    assert_eq!(head["html"], "<p>new body</p>\n");
    assert_eq!(
        app.get(&format!("{url}/revisions"), None).await.status,
        StatusCode::UNAUTHORIZED,
        "history needs sign-in"
    );

    let search_old = total(&app, "q=old", None).await;
    assert_eq!(search_old, 1, "search follows what readers see");

    let republished = app.post(&format!("{url}/publish"), Some(&token), json!({})).await.json();
    assert_eq!(republished["has_unpublished_changes"], false);
    let public = app.get(&url, None).await.json();
    assert_eq!(public["title"], "New title");
    assert_eq!(public["html"], "<p>new body</p>\n");
    assert_eq!(public["published_at"], post["published_at"], "re-publishing keeps the date");
    assert_eq!(total(&app, "q=new", None).await, 1);
    assert_eq!(total(&app, "q=old", None).await, 0);
}

#[tokio::test]
async fn stale_versions_are_refused() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let post = app.create_post(&token, json!({"title": "T"})).await;
    let url = format!("/api/v1/posts/{}", id_of(&post));
    let version = post["version"].as_i64().unwrap();
    assert_eq!(
        app.patch(&url, Some(&token), json!({"title": "A", "version": version})).await.status,
        StatusCode::OK
    );
    let stale = app.patch(&url, Some(&token), json!({"title": "B", "version": version})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json()["code"], "edit_conflict");
    assert_eq!(app.get(&url, Some(&token)).await.json()["title"], "A");
}

#[tokio::test]
async fn scheduled_posts_publish_at_their_time() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let post = app
        .create_post(
            &token,
            json!({"title": "Later", "status": "published", "published_at": "2026-01-01T01:00:00Z"}),
        )
        .await;
    assert_eq!(post["status"], "scheduled");
    let url = format!("/api/v1/posts/{}", id_of(&post));
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);
    assert!(app.core.publish_due().await.unwrap().is_empty(), "not yet");

    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.core.publish_due().await.unwrap(), vec![id_of(&post)]);
    let public = app.get(&url, None).await.json();
    assert_eq!(public["status"], "published");
    assert_eq!(public["published_at"], "2026-01-01T01:00:00Z");

    let past = app
        .create_post(
            &token,
            json!({"title": "Backdated", "status": "scheduled", "published_at": "2025-06-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past["status"], "published", "a past time publishes at once");
    let missing = app.post("/api/v1/posts", Some(&token), json!({"title": "x", "status": "scheduled"})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.json()["field"], "published_at");
}

#[tokio::test]
async fn permissions_of_anonymous_callers_roles_and_scopes() {
    let app = TestApp::new().await;
    let (_, author) = app.user("author", Role::Author).await;
    let (_, other_author) = app.user("other", Role::Author).await;
    let (_, contributor) = app.user("contrib", Role::Contributor).await;
    let (_, subscriber) = app.user("reader", Role::Subscriber).await;
    let (_, editor) = app.user("editor", Role::Editor).await;

    let anonymous = app.post("/api/v1/posts", None, json!({"title": "x"})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("content-type"), Some("application/problem+json"));
    let bad_token = app.post("/api/v1/posts", Some("pat_nope"), json!({"title": "x"})).await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.post("/api/v1/posts", Some(&subscriber), json!({"title": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    let page = app.post("/api/v1/posts", Some(&author), json!({"title": "About", "kind": "page"})).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "pages need an editor");

    let draft = app.create_post(&contributor, json!({"title": "Contribution"})).await;
    let draft_url = format!("/api/v1/posts/{}", id_of(&draft));
    let publish = app.post(&format!("{draft_url}/publish"), Some(&contributor), json!({})).await;
    assert_eq!(publish.status, StatusCode::FORBIDDEN);
    let direct =
        app.post("/api/v1/posts", Some(&contributor), json!({"title": "x", "status": "published"})).await;
    assert_eq!(direct.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&draft_url, Some(&other_author)).await.status,
        StatusCode::NOT_FOUND,
        "others' drafts are hidden"
    );
    assert_eq!(app.get(&draft_url, Some(&editor)).await.status, StatusCode::OK);
    assert_eq!(
        app.post(&format!("{draft_url}/publish"), Some(&editor), json!({})).await.status,
        StatusCode::OK
    );
    let edit_published = app.patch(&draft_url, Some(&contributor), json!({"title": "changed"})).await;
    assert_eq!(edit_published.status, StatusCode::FORBIDDEN, "contributors cannot change published posts");

    let mine = app.create_post(&author, json!({"title": "Mine", "status": "published"})).await;
    let mine_url = format!("/api/v1/posts/{}", id_of(&mine));
    assert_eq!(
        app.patch(&mine_url, Some(&other_author), json!({"title": "hijack"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &mine_url, Some(&other_author), None).await.status,
        StatusCode::FORBIDDEN
    );
    let self_pin = app.patch(&mine_url, Some(&author), json!({"pinned": true})).await;
    assert_eq!(
        self_pin.status,
        StatusCode::FORBIDDEN,
        "pinning puts a post before everyone else's: editors only"
    );
    assert_eq!(app.patch(&mine_url, Some(&editor), json!({"pinned": true})).await.status, StatusCode::OK);

    app.create_post(&author, json!({"title": "Secret draft"})).await;
    assert_eq!(total(&app, "", None).await, 2, "anonymous: published only");
    assert_eq!(total(&app, "", Some(&author)).await, 3, "authors also see their drafts");
    assert_eq!(total(&app, "", Some(&other_author)).await, 2);
    assert_eq!(total(&app, "", Some(&editor)).await, 3);
    assert_eq!(total(&app, "status=draft", None).await, 0);

    let user = app.core.user_by_login("author").await.unwrap();
    let (_, read_only) = app
        .core
        .create_token(
            &inkstone_core::Actor::System,
            inkstone_core::accounts::TokenRequest {
                scopes: Some(vec![inkstone_core::permission::Scope::ContentRead]),
                ..inkstone_core::accounts::TokenRequest::personal(user.id, "ro")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        app.post("/api/v1/posts", Some(&read_only), json!({"title": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(total(&app, "", Some(&read_only)).await, 3, "content:read sees own drafts");
    let mint = app.post("/api/v1/tokens", Some(&author), json!({"name": "more"})).await;
    assert_eq!(mint.status, StatusCode::FORBIDDEN, "tokens cannot mint tokens");
}

#[tokio::test]
async fn filters_sorting_and_pagination() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    let (_, author) = app.user("bob", Role::Author).await;
    let parent = app.post("/api/v1/categories", Some(&editor), json!({"name": "技术"})).await.json();
    let child = app
        .post("/api/v1/categories", Some(&editor), json!({"name": "Rust", "parent_id": parent["id"]}))
        .await
        .json();
    assert_eq!(parent["slug"], "ji-shu");
    for n in 1..=12 {
        let category = if n % 2 == 0 { json!([child["slug"]]) } else { json!([]) };
        app.clock.advance(Duration::minutes(1));
        app.create_post(
            &editor,
            json!({"title": format!("Post {n:02}"), "status": "published", "categories": category,
                   "tags": if n % 3 == 0 { json!(["three"]) } else { json!([]) }}),
        )
        .await;
    }
    app.create_post(&author, json!({"title": "Bob's", "status": "published"})).await;
    app.create_post(&editor, json!({"title": "Page", "kind": "page", "status": "published"})).await;

    assert_eq!(total(&app, "kind=post", None).await, 13);
    assert_eq!(total(&app, "kind=page", None).await, 1);
    assert_eq!(total(&app, "", None).await, 14);
    assert_eq!(total(&app, &format!("category={}", parent["id"]), None).await, 6, "subcategories included");
    assert_eq!(total(&app, "category=rust", None).await, 6);
    assert_eq!(total(&app, "category=nope", None).await, 0);
    assert_eq!(total(&app, "tag=three", None).await, 4);
    assert_eq!(total(&app, "author=bob", None).await, 1);
    assert_eq!(total(&app, "author=nobody", None).await, 0);

    let first = app.get("/api/v1/posts?kind=post&per_page=5", None).await;
    let body = first.json();
    assert_eq!(body["total"], 13);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 5);
    assert_eq!(body["items"][0]["title"], "Bob's", "newest first");
    let link = first.header("link").unwrap();
    assert!(link.contains("</api/v1/posts?"), "links carry the full path: {link}");
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    assert!(link.contains("kind=post"), "other parameters are kept: {link}");
    let last = app.get("/api/v1/posts?kind=post&per_page=5&page=3", None).await.json();
    assert_eq!(last["items"].as_array().unwrap().len(), 3);
    let beyond = app.get("/api/v1/posts?kind=post&per_page=5&page=9", None).await.json();
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 13);

    let by_title = app.get("/api/v1/posts?kind=post&sort=title&per_page=2", None).await.json();
    assert_eq!(by_title["items"][0]["title"], "Bob's");
    assert_eq!(by_title["items"][1]["title"], "Post 01");
    let by_title_desc = app.get("/api/v1/posts?kind=post&sort=-title&per_page=1", None).await.json();
    assert_eq!(by_title_desc["items"][0]["title"], "Post 12");

    for bad in [
        "page=0",
        "page=-1",
        "per_page=0",
        "per_page=101",
        "page=abc",
        "sort=colour",
        "kind=video",
        "status=gone",
        "colour=red",
    ] {
        let response = app.get(&format!("/api/v1/posts?{bad}"), None).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", response.text());
        assert_eq!(response.json()["code"], "invalid_input", "{bad}");
    }
}

#[tokio::test]
async fn pinned_posts_lead_and_category_pins_lead_in_their_category() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    app.post("/api/v1/categories", Some(&editor), json!({"name": "News", "slug": "news"})).await;
    let old_pinned =
        app.create_post(&editor, json!({"title": "Pinned", "status": "published", "pinned": true})).await;
    app.clock.advance(Duration::hours(1));
    let category_pin = app
        .create_post(
            &editor,
            json!({"title": "Category pin", "status": "published", "categories": ["news"],
                                      "pinned_in_category": true}),
        )
        .await;
    app.clock.advance(Duration::hours(1));
    app.create_post(&editor, json!({"title": "Newest", "status": "published", "categories": ["news"]})).await;

    let all = app.get("/api/v1/posts", None).await.json();
    assert_eq!(all["items"][0]["id"], old_pinned["id"]);
    assert_eq!(all["items"][1]["title"], "Newest");
    let news = app.get("/api/v1/posts?category=news", None).await.json();
    assert_eq!(news["items"][0]["id"], category_pin["id"]);
    assert_eq!(news["items"][1]["title"], "Newest");
}

#[tokio::test]
async fn search_finds_chinese_and_english_words() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    app.create_post(
        &token,
        json!({"title": "并发编程入门", "body": "我们在学习异步编程和并发。", "status": "published"}),
    )
    .await;
    app.create_post(
        &token,
        json!({"title": "Lighthouse notes", "body": "Keeping a lighthouse lit.", "status": "published"}),
    )
    .await;
    app.create_post(&token, json!({"title": "草稿", "body": "异步 draft", "status": "draft"})).await;

    assert_eq!(total(&app, "q=异步", None).await, 1, "two-character Chinese word; drafts stay hidden");
    assert_eq!(total(&app, "q=并发", None).await, 1);
    assert_eq!(total(&app, "q=异步", Some(&token)).await, 2, "the author finds their draft too");
    assert_eq!(total(&app, "q=LIGHTHOUSE", None).await, 1, "case-insensitive");
    assert_eq!(total(&app, "q=light", None).await, 1, "prefix of the last word");
    assert_eq!(total(&app, "q=lighthouse%20异步", None).await, 0, "all words must match");
    assert_eq!(total(&app, "q=%22%29%28*", None).await, 0, "FTS syntax in the query is inert");
    let hit = app.get("/api/v1/posts?q=%E5%B9%B6%E5%8F%91", None).await.json();
    assert_eq!(hit["items"][0]["title"], "并发编程入门");

    for n in 0..4 {
        app.create_post(
            &token,
            json!({"title": format!("Beacon {}", 4 - n), "body": "beacon", "status": "published"}),
        )
        .await;
    }
    let sorted = app.get("/api/v1/posts?q=beacon&sort=title&per_page=3", None).await.json();
    assert_eq!(sorted["total"], 4);
    let titles: Vec<&str> =
        sorted["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Beacon 1", "Beacon 2", "Beacon 3"]);
    let second = app.get("/api/v1/posts?q=beacon&sort=title&per_page=3&page=2", None).await.json();
    assert_eq!(second["items"][0]["title"], "Beacon 4");
    let beyond = app.get("/api/v1/posts?q=beacon&per_page=3&page=7", None).await.json();
    assert_eq!(beyond["total"], 4, "the total is known past the last page");
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn slugs_are_unique_and_work_for_chinese_titles() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let first = app.create_post(&token, json!({"title": "你好世界"})).await;
    let second = app.create_post(&token, json!({"title": "你好世界"})).await;
    assert_eq!(first["slug"], "ni-hao-shi-jie");
    assert_eq!(second["slug"], "ni-hao-shi-jie-2");
    let taken =
        app.post("/api/v1/posts", Some(&token), json!({"title": "x", "slug": "ni-hao-shi-jie"})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.json()["field"], "slug");
    let emoji = app.create_post(&token, json!({"title": "🎉🎉"})).await;
    assert!(!emoji["slug"].as_str().unwrap().is_empty());
    let by_slug = app.get("/api/v1/posts/by-slug/ni-hao-shi-jie", Some(&token)).await;
    assert_eq!(by_slug.json()["id"], first["id"]);
    let custom = app.create_post(&token, json!({"title": "x", "slug": "中文-别名"})).await;
    assert_eq!(custom["slug"], "中文-别名");
    let invalid = app.post("/api/v1/posts", Some(&token), json!({"title": "x", "slug": "a/b"})).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn every_field_round_trips() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    app.post("/api/v1/categories", Some(&editor), json!({"name": "A", "slug": "a"})).await;
    app.post("/api/v1/categories", Some(&editor), json!({"name": "B", "slug": "b"})).await;
    let post = app
        .create_post(
            &editor,
            json!({"title": "Full", "slug": "full", "format": "html", "body": "<p onclick=\"x()\">Hi<script>bad()</script></p>",
                   "excerpt": "Manual excerpt", "cover": "https://img.example.com/c.png", "cover_text": "Cover",
                   "status": "private", "redirect_url": "https://example.com/elsewhere", "pinned": true,
                   "pinned_in_category": true, "comments_allowed": false, "template": "wide",
                   "categories": ["b", "a"], "tags": ["x", "Y", "x"],
                   "custom_fields": [{"key": "mood", "value": "happy"}, {"key": "music", "value": "jazz"}]}),
        )
        .await;
    assert_eq!(post["format"], "html");
    assert_eq!(post["html"], "<p>Hi</p>", "sanitized");
    assert_eq!(post["excerpt"], "Manual excerpt");
    assert_eq!(post["status"], "private");
    assert_eq!(post["categories"][0]["slug"], "b", "primary category first");
    assert_eq!(post["categories"][1]["slug"], "a");
    assert_eq!(post["tags"].as_array().unwrap().len(), 2, "duplicate tags collapse");
    assert_eq!(post["custom_fields"][1]["key"], "music");
    assert_eq!(post["comments_allowed"], false);
    assert_eq!(post["template"], "wide");
    assert_eq!(post["redirect_url"], "https://example.com/elsewhere");
    let url = format!("/api/v1/posts/{}", id_of(&post));
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND, "private posts are hidden");

    let cleared = app
        .patch(
            &url,
            Some(&editor),
            json!({"cover": null, "excerpt": null, "custom_fields": [], "tags": ["z"]}),
        )
        .await
        .json();
    assert_eq!(cleared["cover"], Value::Null);
    assert_eq!(cleared["excerpt"], "Hi", "automatic again");
    assert_eq!(cleared["custom_fields"], json!([]));
    assert_eq!(cleared["tags"][0]["name"], "z");
    assert_eq!(cleared["cover_text"], "Cover", "absent fields stay");
    let tags = app.get("/api/v1/tags", None).await.json();
    assert_eq!(tags["items"].as_array().unwrap().len(), 3, "tags outlive their posts");
}

#[tokio::test]
async fn password_protected_posts_hide_their_body() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let post = app
        .create_post(&token, json!({"title": "Locked", "body": "secret words", "password": "opensesame", "status": "published"}))
        .await;
    let url = format!("/api/v1/posts/{}", id_of(&post));
    let locked = app.get(&url, None).await.json();
    assert_eq!(locked["protected"], true);
    assert_eq!(locked["body"], Value::Null);
    assert_eq!(locked["html"], Value::Null);
    assert_eq!(locked["excerpt"], Value::Null);
    assert!(locked.get("password").is_none());
    assert_eq!(app.get(&format!("{url}?password=wrong"), None).await.json()["body"], Value::Null);
    assert_eq!(app.get(&format!("{url}?password=opensesame"), None).await.json()["body"], "secret words");
    assert_eq!(total(&app, "q=secret", None).await, 0, "protected bodies are not searchable");
    assert_eq!(app.get(&url, Some(&token)).await.json()["password"], "opensesame");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let post = app.create_post(&token, json!({"title": "Keep me", "body": "body"})).await;
    let url = format!("/api/v1/posts/{}", id_of(&post));

    let send_raw = |body: &'static str| {
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/posts")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        app.send(request)
    };
    let malformed = send_raw("{\"title\": ").await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(malformed.header("content-type"), Some("application/problem+json"));
    assert_eq!(malformed.json()["code"], "invalid_input");
    let unknown = send_raw("{\"title\": \"x\", \"colour\": \"red\"}").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.json()["detail"].as_str().unwrap().contains("colour"), "{}", unknown.text());
    let wrong_type = send_raw("{\"title\": 42}").await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);

    let huge = "x".repeat(9 * 1024 * 1024);
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/posts")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(format!("{{\"title\": \"big\", \"body\": \"{huge}\"}}")))
        .unwrap();
    let too_large = app.send(request).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json()["code"], "payload_too_large");

    let long_title = app.post("/api/v1/posts", Some(&token), json!({"title": "长".repeat(501)})).await;
    assert_eq!(long_title.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(long_title.json()["field"], "title");
    let bad_cover = app.patch(&url, Some(&token), json!({"cover": "javascript:alert(1)"})).await;
    assert_eq!(bad_cover.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_category =
        app.patch(&url, Some(&token), json!({"title": "changed", "categories": ["missing"]})).await;
    assert_eq!(unknown_category.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_category.json()["field"], "categories");

    for bad_id in ["abc", "-1", "99999999999999999999", "0"] {
        let response = app.get(&format!("/api/v1/posts/{bad_id}"), Some(&token)).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{bad_id}");
        assert_eq!(response.json()["code"], "not_found");
    }
    let wrong_method = app.call(Method::PUT, &url, Some(&token), Some(json!({}))).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.header("content-type"), Some("application/problem+json"));

    let after = app.get(&url, Some(&token)).await.json();
    assert_eq!(after["title"], "Keep me", "nothing changed");
    assert_eq!(after["version"], post["version"]);
    assert_eq!(total(&app, "", Some(&token)).await, 1, "nothing was created");
    let revisions = app.get(&format!("{url}/revisions"), Some(&token)).await.json();
    assert_eq!(revisions["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn errors_speak_the_callers_language() {
    let app = TestApp::new().await;
    let request = |lang: &'static str| {
        axum::http::Request::builder()
            .uri("/api/v1/posts/12345")
            .header("accept-language", lang)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let zh = app.send(request("zh-CN,zh;q=0.9")).await;
    assert_eq!(zh.json()["title"], "资源不存在");
    assert_eq!(zh.header("content-language"), Some("zh-CN"));
    let en = app.send(request("en-US")).await;
    assert_eq!(en.json()["title"], "Not found");
    app.core.set_setting(&inkstone_core::Actor::System, "site.language", "zh-CN").await.unwrap();
    let default = app.get("/api/v1/posts/12345", None).await;
    assert_eq!(default.json()["title"], "资源不存在", "the site language is the default");
}

#[tokio::test]
async fn views_are_counted_for_public_posts_only() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let public = app.create_post(&token, json!({"title": "Seen", "status": "published"})).await;
    let draft = app.create_post(&token, json!({"title": "Unseen"})).await;
    for _ in 0..3 {
        app.call(Method::POST, &format!("/api/v1/posts/{}/views", id_of(&public)), None, None).await;
    }
    let counted =
        app.call(Method::POST, &format!("/api/v1/posts/{}/views", id_of(&public)), None, None).await;
    assert_eq!(counted.json()["view_count"], 4);
    let hidden = app.call(Method::POST, &format!("/api/v1/posts/{}/views", id_of(&draft)), None, None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let sorted = app.get("/api/v1/posts?sort=-view_count", None).await.json();
    assert_eq!(sorted["items"][0]["view_count"], 4);
}
