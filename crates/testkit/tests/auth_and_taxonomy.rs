//! Sessions, CSRF, personal access tokens, categories, tags and settings over HTTP.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn session_cookie(response: &TestResponse) -> String {
    let set_cookie = response.header("set-cookie").expect("a session cookie");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    set_cookie.split(';').next().unwrap().to_string()
}

async fn with_cookie(
    app: &TestApp,
    method: Method,
    uri: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    let mut headers = vec![("cookie", cookie)];
    headers.extend(csrf.map(|csrf| ("x-csrf-token", csrf)));
    app.call_with_headers(method, uri, &headers, body).await
}

#[tokio::test]
async fn login_session_csrf_and_logout() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;

    let wrong = app.post("/api/v1/auth/login", None, json!({"login": "alice", "password": "nope"})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["code"], "invalid_credentials");
    let unknown =
        app.post("/api/v1/auth/login", None, json!({"login": "nobody", "password": "password123"})).await;
    assert_eq!(unknown.json()["code"], "invalid_credentials", "unknown users look like wrong passwords");

    let login = app
        .post("/api/v1/auth/login", None, json!({"login": "ALICE@example.com", "password": "password123"}))
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    let cookie = session_cookie(&login);
    let body = login.json();
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["role"], "author");
    let csrf = body["csrf_token"].as_str().unwrap().to_string();

    let me = with_cookie(&app, Method::GET, "/api/v1/me", &cookie, None, None).await;
    assert_eq!(me.json()["email"], "alice@example.com");

    let post = json!({"title": "By cookie"});
    let no_csrf = with_cookie(&app, Method::POST, "/api/v1/posts", &cookie, None, Some(post.clone())).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let bad_csrf =
        with_cookie(&app, Method::POST, "/api/v1/posts", &cookie, Some("forged"), Some(post.clone())).await;
    assert_eq!(bad_csrf.status, StatusCode::FORBIDDEN);
    let created = with_cookie(&app, Method::POST, "/api/v1/posts", &cookie, Some(&csrf), Some(post)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["origin"], "console");

    let logout = with_cookie(&app, Method::POST, "/api/v1/auth/logout", &cookie, Some(&csrf), None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = with_cookie(&app, Method::GET, "/api/v1/me", &cookie, None, None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "the session is gone");
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    let login =
        app.post("/api/v1/auth/login", None, json!({"login": "alice", "password": "password123"})).await;
    let cookie = session_cookie(&login);
    app.clock.advance(Duration::hours(11));
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/me", &cookie, None, None).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::hours(11));
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/me", &cookie, None, None).await.status,
        StatusCode::OK,
        "use moves the idle expiry"
    );
    app.clock.advance(Duration::hours(13));
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/me", &cookie, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn personal_access_tokens_are_shown_once_listed_and_revoked() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    let login =
        app.post("/api/v1/auth/login", None, json!({"login": "alice", "password": "password123"})).await;
    let cookie = session_cookie(&login);
    let csrf = login.json()["csrf_token"].as_str().unwrap().to_string();

    let created = with_cookie(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &cookie,
        Some(&csrf),
        Some(json!({"name": "deploy", "scopes": ["content:read"], "expires_in_days": 30})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created = created.json();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("pat_"));
    assert_eq!(created["expires_at"], "2026-01-31T00:00:00Z");

    assert_eq!(app.get("/api/v1/me", Some(&secret)).await.json()["username"], "alice");
    let list = with_cookie(&app, Method::GET, "/api/v1/tokens", &cookie, None, None).await;
    let listed = list.json();
    let items = listed["items"].as_array().unwrap();
    assert!(items.iter().any(|t| t["name"] == "deploy" && t["scopes"] == json!(["content:read"])));
    assert!(!list.text().contains(&secret), "secrets are never listed");

    let bad_scope = with_cookie(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &cookie,
        Some(&csrf),
        Some(json!({"name": "x", "scopes": ["root"]})),
    )
    .await;
    assert_eq!(bad_scope.status, StatusCode::UNPROCESSABLE_ENTITY);

    let id = created["id"].as_i64().unwrap();
    let revoked =
        with_cookie(&app, Method::DELETE, &format!("/api/v1/tokens/{id}"), &cookie, Some(&csrf), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&secret)).await.status, StatusCode::UNAUTHORIZED);

    let (_, expiring) = {
        let user = app.core.user_by_login("alice").await.unwrap();
        let request = inkstone_core::accounts::TokenRequest {
            expires_in_days: Some(1),
            ..inkstone_core::accounts::TokenRequest::personal(user.id, "short")
        };
        app.core.create_token(&inkstone_core::Actor::System, request).await.unwrap()
    };
    assert_eq!(app.get("/api/v1/me", Some(&expiring)).await.status, StatusCode::OK);
    app.clock.advance(Duration::days(2));
    assert_eq!(app.get("/api/v1/me", Some(&expiring)).await.status, StatusCode::UNAUTHORIZED, "expired");
}

#[tokio::test]
async fn categories_form_a_tree_without_cycles() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    let (_, author) = app.user("author", Role::Author).await;
    let root =
        app.post("/api/v1/categories", Some(&editor), json!({"name": "Root", "slug": "root"})).await.json();
    let child = app
        .post(
            "/api/v1/categories",
            Some(&editor),
            json!({"name": "Child", "parent_id": root["id"], "sort_order": 2}),
        )
        .await
        .json();
    let grandchild = app
        .post("/api/v1/categories", Some(&editor), json!({"name": "Grandchild", "parent_id": child["id"]}))
        .await
        .json();
    assert_eq!(
        app.post("/api/v1/categories", Some(&author), json!({"name": "Nope"})).await.status,
        StatusCode::FORBIDDEN
    );
    let duplicate =
        app.post("/api/v1/categories", Some(&editor), json!({"name": "Other", "slug": "root"})).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);

    let cycle = app
        .patch(
            &format!("/api/v1/categories/{}", root["id"]),
            Some(&editor),
            json!({"parent_id": grandchild["id"]}),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", cycle.text());
    assert_eq!(cycle.json()["field"], "parent_id");

    let tree = app.get("/api/v1/categories?tree=true", None).await.json();
    assert_eq!(tree["items"][0]["name"], "Root");
    assert_eq!(tree["items"][0]["children"][0]["children"][0]["name"], "Grandchild");

    let deleted =
        app.call(Method::DELETE, &format!("/api/v1/categories/{}", child["id"]), Some(&editor), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let moved = app.get(&format!("/api/v1/categories/{}", grandchild["id"]), None).await.json();
    assert_eq!(moved["parent_id"], root["id"], "children move up to the deleted category's parent");
}

#[tokio::test]
async fn tags_are_created_by_authors_and_managed_by_editors() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    let (_, author) = app.user("author", Role::Author).await;
    let (_, contributor) = app.user("contrib", Role::Contributor).await;
    let tag = app.post("/api/v1/tags", Some(&author), json!({"name": "Rust 编程", "color": "#FF6600"})).await;
    assert_eq!(tag.status, StatusCode::CREATED, "{}", tag.text());
    let tag = tag.json();
    assert_eq!(tag["slug"], "rust-bian-cheng");
    assert_eq!(tag["color"], "#ff6600");
    assert_eq!(
        app.post("/api/v1/tags", Some(&author), json!({"name": "rust 编程"})).await.status,
        StatusCode::CONFLICT
    );
    let url = format!("/api/v1/tags/{}", tag["id"]);
    assert_eq!(app.patch(&url, Some(&author), json!({"name": "x"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.patch(&url, Some(&editor), json!({"color": "red"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let renamed = app.patch(&url, Some(&editor), json!({"name": "Rust"})).await.json();
    assert_eq!(renamed["name"], "Rust");
    assert_eq!(renamed["slug"], "rust-bian-cheng", "slugs stay unless changed");
    let new_tag =
        app.post("/api/v1/posts", Some(&contributor), json!({"title": "x", "tags": ["brand new"]})).await;
    assert_eq!(new_tag.status, StatusCode::FORBIDDEN, "contributors use existing tags only");
    let existing =
        app.post("/api/v1/posts", Some(&contributor), json!({"title": "x", "tags": ["RUST"]})).await;
    assert_eq!(existing.status, StatusCode::CREATED);
    assert_eq!(app.call(Method::DELETE, &url, Some(&editor), None).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn settings_are_public_in_part_and_changed_by_admins() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    let public = app.get("/api/v1/settings", None).await.json();
    assert_eq!(public["site.title"], "Inkstone");
    assert!(public.get("auth.basic_enabled").is_none());
    assert_eq!(
        app.patch("/api/v1/settings", Some(&editor), json!({"site.title": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = app
        .patch("/api/v1/settings", Some(&admin), json!({"site.title": "ok", "content.page_size": "0"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/settings", None).await.json()["site.title"], "Inkstone", "nothing written");
    let changed = app
        .patch("/api/v1/settings", Some(&admin), json!({"site.title": "墨砚", "content.page_size": "3"}))
        .await;
    assert_eq!(changed.json()["site.title"], "墨砚");
    for n in 0..4 {
        app.create_post(&admin, json!({"title": format!("p{n}"), "status": "published"})).await;
    }
    let page = app.get("/api/v1/posts", None).await.json();
    assert_eq!(page["per_page"], 3, "the page size setting applies");
}

#[tokio::test]
async fn docs_and_spec_are_served() {
    let app = TestApp::new().await;
    let spec = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    assert_eq!(spec.json()["openapi"], "3.1.0");
    let docs = app.get("/api/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text().contains("swagger"), "the bundled Swagger UI page");
    let asset = app.get("/api/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(asset.status, StatusCode::OK, "assets are embedded, nothing is fetched");
    assert!(asset.body.len() > 100_000);
}

#[tokio::test]
async fn repeated_login_failures_are_throttled() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    for _ in 0..5 {
        let wrong =
            app.post("/api/v1/auth/login", None, json!({"login": "alice", "password": "guess"})).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let locked =
        app.post("/api/v1/auth/login", None, json!({"login": "Alice", "password": "password123"})).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert_eq!(locked.json()["code"], "rate_limited");
    let retry: i64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    app.clock.advance(Duration::minutes(16));
    let again =
        app.post("/api/v1/auth/login", None, json!({"login": "alice", "password": "password123"})).await;
    assert_eq!(again.status, StatusCode::OK, "the window passed");
}

#[tokio::test]
async fn basic_auth_works_only_when_switched_on() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    let basic = |credentials: &'static str| {
        Request::builder()
            .uri("/api/v1/me")
            .header("authorization", format!("Basic {credentials}"))
            .body(Body::empty())
            .unwrap()
    };
    // "alice:password123" and "alice:wrong" in base64.
    let good = "YWxpY2U6cGFzc3dvcmQxMjM=";
    let bad = "YWxpY2U6d3Jvbmc=";
    let off = app.send(basic(good)).await;
    assert_eq!(off.status, StatusCode::UNAUTHORIZED);
    assert!(off.json()["detail"].as_str().unwrap().contains("auth.basic_enabled"));
    app.core.set_setting(&inkstone_core::Actor::System, "auth.basic_enabled", "true").await.unwrap();
    let on = app.send(basic(good)).await;
    assert_eq!(on.status, StatusCode::OK);
    assert_eq!(on.json()["username"], "alice");
    assert_eq!(app.send(basic(bad)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(basic("%%%")).await.status, StatusCode::UNAUTHORIZED);
}
