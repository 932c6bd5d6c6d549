//! Friend links over the native API: managing them (editors and admins only), what the
//! public sees, URL validation, and the public application form (hidden until approved,
//! a notification for every admin, captcha when configured, switchable off, one per URL,
//! rate limited per address).

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
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

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post("/api/v1/friend-links", Some(token), body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

/// The names in a list response, in order.
async fn names(app: &TestApp, uri: &str, token: Option<&str>) -> Vec<String> {
    let response = app.get(uri, token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
}

fn application(name: &str, url: &str) -> Value {
    json!({"name": name, "url": url, "image": format!("{url}/avatar.png"), "description": "技术分享"})
}

async fn apply(app: &TestApp, body: Value) -> TestResponse {
    app.post("/api/v1/friend-links/applications", None, body).await
}

#[tokio::test]
async fn editors_manage_links_and_the_public_sees_the_visible_ones() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("ed", Role::Editor).await;

    let shown = create(
        &app,
        &editor,
        json!({"name": "张三的博客", "url": "https://zhangsan.com", "image": "https://zhangsan.com/a.jpg",
               "description": "一个热爱技术的程序员", "sort_order": 2}),
    )
    .await;
    assert_eq!(shown["visible"], true, "visible unless said otherwise");
    assert_eq!(shown["applied"], false);
    assert_eq!(shown["description"], "一个热爱技术的程序员");
    let first =
        create(&app, &editor, json!({"name": "First", "url": "https://first.org", "sort_order": 1})).await;
    let hidden =
        create(&app, &editor, json!({"name": "Hidden", "url": "http://hidden.net/blog", "visible": false}))
            .await;
    let hidden_uri = format!("/api/v1/friend-links/{}", hidden["id"]);

    assert_eq!(names(&app, "/api/v1/friend-links", None).await, ["First", "张三的博客"], "by sort order");
    assert_eq!(names(&app, "/api/v1/friend-links", Some(&editor)).await, ["Hidden", "First", "张三的博客"]);
    assert_eq!(names(&app, "/api/v1/friend-links?visible=false", Some(&editor)).await, ["Hidden"]);
    assert_eq!(names(&app, "/api/v1/friend-links?q=ZHANGSAN", Some(&editor)).await, ["张三的博客"]);
    assert_eq!(app.get(&hidden_uri, None).await.status, StatusCode::NOT_FOUND, "hidden from the public");
    assert_eq!(app.get(&hidden_uri, Some(&editor)).await.json()["name"], "Hidden");
    let asked = app.get("/api/v1/friend-links?visible=false", None).await;
    assert_problem(&asked, StatusCode::UNAUTHORIZED, "unauthenticated");

    let shown_now = app.patch(&hidden_uri, Some(&editor), json!({"visible": true, "sort_order": 5})).await;
    assert_eq!(shown_now.status, StatusCode::OK, "{}", shown_now.text());
    assert_eq!(names(&app, "/api/v1/friend-links", None).await, ["First", "张三的博客", "Hidden"]);

    let shown_uri = format!("/api/v1/friend-links/{}", shown["id"]);
    let cleared = app.patch(&shown_uri, Some(&editor), json!({"description": null, "name": "张三"})).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text());
    assert_eq!(cleared.json()["description"], Value::Null);
    assert_eq!(cleared.json()["image"], "https://zhangsan.com/a.jpg", "untouched fields stay");
    assert_eq!(app.get(&shown_uri, None).await.json()["name"], "张三");

    let first_uri = format!("/api/v1/friend-links/{}", first["id"]);
    assert_eq!(
        app.call(Method::DELETE, &first_uri, Some(&editor), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&first_uri, Some(&editor)).await.status, StatusCode::NOT_FOUND);
    let again = app.call(Method::DELETE, &first_uri, Some(&editor), None).await;
    assert_problem(&again, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(names(&app, "/api/v1/friend-links", None).await, ["张三", "Hidden"]);
}

#[tokio::test]
async fn authors_and_visitors_cannot_manage_links() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    let (_, author) = app.user("alice", Role::Author).await;
    let link = create(&app, &editor, json!({"name": "A", "url": "https://a.org", "visible": false})).await;
    let uri = format!("/api/v1/friend-links/{}", link["id"]);
    let body = json!({"name": "B", "url": "https://b.org"});

    assert_problem(
        &app.post("/api/v1/friend-links", Some(&author), body.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.post("/api/v1/friend-links", None, body).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_problem(
        &app.patch(&uri, Some(&author), json!({"visible": true})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let delete = app.call(Method::DELETE, &uri, Some(&author), None).await;
    assert_problem(&delete, StatusCode::FORBIDDEN, "forbidden");
    let pending = app.get("/api/v1/friend-links?applied=true", Some(&author)).await;
    assert_problem(&pending, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.get(&uri, Some(&author)).await.status, StatusCode::NOT_FOUND);
    assert!(names(&app, "/api/v1/friend-links", Some(&author)).await.is_empty());
    let unchanged = app.get(&uri, Some(&editor)).await.json();
    assert_eq!((unchanged["name"].as_str(), unchanged["visible"].as_bool()), (Some("A"), Some(false)));
}

#[tokio::test]
async fn bad_urls_and_fields_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    for (body, field) in [
        (json!({"name": "x", "url": "javascript:alert(1)"}), "url"),
        (json!({"name": "x", "url": "ftp://files.example.org"}), "url"),
        (json!({"name": "x", "url": "https://"}), "url"),
        (json!({"name": "x", "url": "example.org"}), "url"),
        (json!({"name": "x", "url": "https://a.org/has space"}), "url"),
        (json!({"name": "  ", "url": "https://a.org"}), "name"),
        (json!({"name": "x".repeat(101), "url": "https://a.org"}), "name"),
        (json!({"name": "x", "url": "https://a.org", "image": "javascript:alert(1)"}), "image"),
        (json!({"name": "x", "url": "https://a.org", "description": "字".repeat(501)}), "description"),
    ] {
        let response = app.post("/api/v1/friend-links", Some(&editor), body.clone()).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(response.json()["field"], field, "{body}");
    }
    let unknown = app
        .post("/api/v1/friend-links", Some(&editor), json!({"name": "x", "url": "https://a.org", "hue": 1}))
        .await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(names(&app, "/api/v1/friend-links", Some(&editor)).await.is_empty());

    create(&app, &editor, json!({"name": "A", "url": "https://www.a.org/"})).await;
    let same_site =
        app.post("/api/v1/friend-links", Some(&editor), json!({"name": "A2", "url": "http://A.org"})).await;
    assert_problem(&same_site, StatusCode::CONFLICT, "conflict");
    let b = create(&app, &editor, json!({"name": "B", "url": "https://b.org"})).await;
    let moved = app
        .patch(&format!("/api/v1/friend-links/{}", b["id"]), Some(&editor), json!({"url": "https://a.org"}))
        .await;
    assert_problem(&moved, StatusCode::CONFLICT, "conflict");
    let bad = app
        .patch(&format!("/api/v1/friend-links/{}", b["id"]), Some(&editor), json!({"url": "mailto:b@b.org"}))
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn an_application_is_hidden_until_approved_and_notifies_every_admin() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Role::Admin).await;
    let (_, boss) = app.user("boss", Role::Admin).await;
    let (_, editor) = app.user("ed", Role::Editor).await;

    let applied = apply(&app, application("王五的博客", "https://wangwu.com")).await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.text());
    let link = applied.json();
    assert_eq!((link["visible"].as_bool(), link["applied"].as_bool()), (Some(false), Some(true)));
    assert!(names(&app, "/api/v1/friend-links", None).await.is_empty(), "not shown before approval");
    assert_eq!(
        app.get(&format!("/api/v1/friend-links/{}", link["id"]), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        names(&app, "/api/v1/friend-links?applied=true&visible=false", Some(&editor)).await,
        ["王五的博客"]
    );

    for admin in [&root, &boss] {
        let inbox = app.get("/api/v1/notifications", Some(admin)).await.json();
        assert_eq!(inbox["total"], 1, "{inbox}");
        assert_eq!(inbox["unread_count"], 1);
        let note = &inbox["items"][0];
        assert_eq!(note["kind"], "friend_link");
        assert_eq!(note["subject_id"], link["id"]);
        assert_eq!(note["title"], "Friend link application: 王五的博客");
        let body = note["body"].as_str().unwrap();
        assert!(body.contains("https://wangwu.com") && body.contains("技术分享"), "{body}");
        assert_eq!(note["data"]["url"], "https://wangwu.com");
    }
    assert_eq!(app.get("/api/v1/notifications", Some(&editor)).await.json()["total"], 0, "admins only");

    let approve = app
        .patch(&format!("/api/v1/friend-links/{}", link["id"]), Some(&editor), json!({"visible": true}))
        .await;
    assert_eq!(approve.status, StatusCode::OK, "{}", approve.text());
    assert_eq!(names(&app, "/api/v1/friend-links", None).await, ["王五的博客"]);
}

#[tokio::test]
async fn applications_in_chinese_sites_notify_in_chinese() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Role::Admin).await;
    set_settings(&app, &root, json!({"site.language": "zh-CN"})).await;
    assert_eq!(
        apply(&app, application("张三的博客", "https://zhangsan.com")).await.status,
        StatusCode::CREATED
    );
    let note = &app.get("/api/v1/notifications", Some(&root)).await.json()["items"][0];
    assert_eq!(note["title"], "友链申请 张三的博客", "Qexo's wording");
    assert!(note["body"].as_str().unwrap().starts_with("站点名: 张三的博客\n链接: https://zhangsan.com"));
}

#[tokio::test]
async fn applications_need_a_captcha_when_the_setting_says_so() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Role::Admin).await;
    set_settings(&app, &root, json!({"links.application_captcha": "true"})).await;

    let missing = apply(&app, application("A", "https://a.org")).await;
    assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    let challenge = app.get("/api/v1/auth/captcha", None).await.json();
    let id = challenge["id"].as_str().unwrap().to_string();
    let answer = app.captcha.last_answer().unwrap();
    let mut wrong = application("A", "https://a.org");
    wrong["captcha"] = json!({"id": id, "answer": format!("{answer}x")});
    assert_problem(&apply(&app, wrong).await, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    assert_eq!(app.get("/api/v1/notifications", Some(&root)).await.json()["total"], 0, "nothing applied");

    let challenge = app.get("/api/v1/auth/captcha", None).await.json();
    let mut right = application("A", "https://a.org");
    right["captcha"] = json!({"id": challenge["id"], "answer": app.captcha.last_answer().unwrap()});
    let done = apply(&app, right.clone()).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    let replay = apply(&app, right).await;
    assert_problem(&replay, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");

    set_settings(&app, &root, json!({"links.application_captcha": "false"})).await;
    assert_eq!(apply(&app, application("B", "https://b.org")).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn applications_can_be_closed() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Role::Admin).await;
    set_settings(&app, &root, json!({"links.applications_open": "false"})).await;
    let closed = apply(&app, application("A", "https://a.org")).await;
    assert_problem(&closed, StatusCode::FORBIDDEN, "forbidden");
    assert!(names(&app, "/api/v1/friend-links", Some(&root)).await.is_empty());
    assert_eq!(app.get("/api/v1/notifications", Some(&root)).await.json()["total"], 0);
    set_settings(&app, &root, json!({"links.applications_open": "true"})).await;
    assert_eq!(apply(&app, application("A", "https://a.org")).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_second_application_for_the_same_site_is_refused_clearly() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Role::Admin).await;
    assert_eq!(apply(&app, application("A", "https://a.org/blog")).await.status, StatusCode::CREATED);
    let twice = apply(&app, application("A again", "http://WWW.a.org/blog/")).await;
    assert_problem(&twice, StatusCode::CONFLICT, "conflict");
    assert_eq!(twice.json()["field"], "url");
    assert!(twice.json()["detail"].as_str().unwrap().contains("already"), "{}", twice.text());
    let zh = app
        .call_with_headers(
            Method::POST,
            "/api/v1/friend-links/applications",
            &[("accept-language", "zh-CN")],
            Some(application("A", "https://a.org/blog")),
        )
        .await;
    assert_eq!(zh.json()["detail"], "该网址的友链已存在或已提交过申请");
    create(&app, &root, json!({"name": "Listed", "url": "https://listed.org"})).await;
    assert_problem(
        &apply(&app, application("L", "https://listed.org")).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_eq!(app.get("/api/v1/notifications", Some(&root)).await.json()["total"], 1, "one application");
    let bad = apply(&app, application("Bad", "javascript:alert(1)")).await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn applications_are_rate_limited_per_address() {
    let app = TestApp::new().await;
    app.set_client_ip(Some("203.0.113.9"));
    for n in 0..5 {
        let response = apply(&app, application(&format!("Site {n}"), &format!("https://s{n}.org"))).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    }
    let sixth = apply(&app, application("Site 5", "https://s5.org")).await;
    assert_problem(&sixth, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let seconds: u64 = sixth.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&seconds), "{seconds}");
    app.set_client_ip(Some("203.0.113.10"));
    assert_eq!(apply(&app, application("Site 5", "https://s5.org")).await.status, StatusCode::CREATED);
    app.set_client_ip(Some("203.0.113.9"));
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(apply(&app, application("Site 6", "https://s6.org")).await.status, StatusCode::CREATED);
}

#[test]
fn the_routes_are_in_the_openapi_document() {
    let spec = serde_json::to_value(inkstone_api_native::openapi()).unwrap();
    for path in ["/api/v1/friend-links", "/api/v1/friend-links/{id}", "/api/v1/friend-links/applications"] {
        assert!(spec["paths"].get(path).is_some(), "{path} is missing from the OpenAPI document");
    }
}
