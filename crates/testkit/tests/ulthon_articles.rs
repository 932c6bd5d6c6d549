//! ulthon articles over the core: bodies, categories and tags, publish times, server-owned
//! times, lists, and the same article read through the native API.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_core::permission::Actor;
use inkstone_core::taxonomy::{CategoryInput, TagInput};
use inkstone_testkit::TestApp;
use serde_json::{Value, json};

const API: &str = "/index.php/api";
/// 2026-01-01T00:00:00Z, where the test clock starts.
const START: i64 = 1_767_225_600;

struct Site {
    app: TestApp,
    admin: String,
    key: String,
}

async fn site() -> Site {
    let app = TestApp::new().await;
    let (admin, admin_token) = app.user("boss", Role::Admin).await;
    for name in ["新闻", "教程", "杂谈"] {
        app.core.create_category(&Actor::System, CategoryInput::named(name)).await.unwrap();
    }
    for name in ["rust", "php", "排版"] {
        app.core
            .create_tag(&Actor::System, TagInput { name: Some(name.into()), ..TagInput::default() })
            .await
            .unwrap();
    }
    let key = app.api_key(Some(admin.id), true, true, 2).await;
    Site { app, admin: admin_token, key }
}

impl Site {
    async fn post(&self, path: &str, body: Value) -> Value {
        let auth = format!("Bearer {}", self.key);
        let response = self
            .app
            .call_with_headers(Method::POST, &format!("{API}{path}"), &[("authorization", &auth)], Some(body))
            .await;
        assert_eq!(response.status, StatusCode::OK);
        response.json()
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Value {
        let response =
            self.app.form(Method::POST, &format!("{API}{path}"), &[("x-api-key", &self.key)], fields).await;
        assert_eq!(response.status, StatusCode::OK);
        response.json()
    }

    async fn get(&self, path_and_query: &str) -> Value {
        let response = self
            .app
            .call_with_headers(
                Method::GET,
                &format!("{API}{path_and_query}"),
                &[("x-api-key", &self.key)],
                None,
            )
            .await;
        assert_eq!(response.status, StatusCode::OK);
        response.json()
    }

    async fn save(&self, body: Value) -> i64 {
        let saved = self.post("/articles/save", body).await;
        assert_eq!(saved["code"], 0, "{saved}");
        saved["data"]["id"].as_i64().unwrap()
    }

    async fn read(&self, id: i64) -> Value {
        let read = self.get(&format!("/articles/read?id={id}")).await;
        assert_eq!(read["code"], 0, "{read}");
        read["data"].clone()
    }

    async fn native(&self, id: i64) -> Value {
        let response = self.app.get(&format!("/api/v1/posts/{id}"), Some(&self.admin)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn markdown_is_rendered_by_the_core_and_sanitized() {
    let s = site().await;
    let source = "**粗体**\n\n<script>alert(1)</script>\n\n[链接](javascript:alert(2))";
    let id = s.save(json!({"title": "md", "content": source, "content_type": "markdown"})).await;
    let post = &s.read(id).await["post"];
    assert_eq!(post["content"], source, "the source as written");
    assert_eq!(post["content_type"], "markdown");
    let html = post["content_html"].as_str().unwrap();
    assert!(html.contains("<strong>粗体</strong>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("javascript:"), "sanitized: {html}");

    // HTML: content_html wins over content; it is sanitized too. The default type is html.
    let id = s
        .save(json!({"title": "html", "content": "plain", "content_html": "<p onclick=\"x()\">hi</p><script>bad()</script>"}))
        .await;
    let post = &s.read(id).await["post"];
    assert_eq!(post["content_type"], "html");
    assert_eq!(post["content_html"], "<p>hi</p>");
    // Switching an article to markdown on update renders the new content.
    let updated =
        s.post("/articles/update", json!({"id": id, "content": "# 新", "content_type": "markdown"})).await;
    assert_eq!(updated["code"], 0, "{updated}");
    let post = &s.read(id).await["post"];
    assert_eq!((post["content_type"].clone(), post["content"].clone()), (json!("markdown"), json!("# 新")));
    assert!(post["content_html"].as_str().unwrap().starts_with("<h1"), "{post}");
    // Content alone keeps the article's format.
    s.post("/articles/update", json!({"id": id, "content": "*斜体*"})).await;
    let post = &s.read(id).await["post"];
    assert_eq!(post["content_type"], "markdown");
    assert_eq!(post["content_html"].as_str().unwrap().trim(), "<p><em>斜体</em></p>");
}

#[tokio::test]
async fn categorys_and_tags_are_id_arrays_replaced_whole() {
    let s = site().await;
    let id = s.save(json!({"title": "t", "categorys": [1, 2], "tags": [1, 2]})).await;
    let data = s.read(id).await;
    assert_eq!(ids(&data["categories"]), [1, 2]);
    assert_eq!(data["categories"][1], json!({"id": 2, "title": "教程", "pid": 0}));
    assert_eq!(ids(&data["tags"]), [1, 2]);

    let done = s.post("/articles/update", json!({"id": id, "categorys": [3], "tags": [3]})).await;
    assert_eq!(done["msg"], "更新成功");
    let data = s.read(id).await;
    assert_eq!((ids(&data["categories"]), ids(&data["tags"])), (vec![3], vec![3]), "replaced, not added");

    s.post("/articles/update", json!({"id": id, "title": "only the title"})).await;
    let data = s.read(id).await;
    assert_eq!((ids(&data["categories"]), ids(&data["tags"])), (vec![3], vec![3]), "absent: unchanged");

    s.post("/articles/update", json!({"id": id, "categorys": [], "tags": []})).await;
    let data = s.read(id).await;
    assert_eq!((ids(&data["categories"]), ids(&data["tags"])), (vec![], vec![]), "empty arrays clear");

    // Form bodies: PHP arrays and comma lists.
    let form = s
        .form(
            "/articles/update",
            &[("id", &id.to_string()), ("categorys[]", "2"), ("categorys[]", "1"), ("tags", "3,1")],
        )
        .await;
    assert_eq!(form["code"], 0, "{form}");
    let data = s.read(id).await;
    assert_eq!((ids(&data["categories"]), ids(&data["tags"])), (vec![2, 1], vec![3, 1]), "in the order sent");

    // Unknown ids: a business error, and nothing of the request applied.
    let before = s.native(id).await;
    for (body, msg) in [
        (json!({"id": id, "title": "x", "categorys": [99]}), "分类不存在：99"),
        (json!({"id": id, "title": "x", "tags": [1, 98]}), "标签不存在：98"),
        (json!({"id": id, "title": "x", "tags": ["abc"]}), "参数错误：tags 必须是 ID 数组，如 [1, 2]"),
    ] {
        let refused = s.post("/articles/update", body).await;
        assert_eq!(refused, json!({"code": 500, "msg": msg, "data": []}));
    }
    assert_eq!(s.native(id).await, before, "nothing changed");
    let total_before = s.get("/articles/index").await["data"]["total"].clone();
    let refused = s.post("/articles/save", json!({"title": "new", "categorys": [1, 77]})).await;
    assert_eq!(refused["msg"], "分类不存在：77");
    assert_eq!(s.get("/articles/index").await["data"]["total"], total_before, "nothing created");
}

#[tokio::test]
async fn publish_time_defaults_as_documented_and_the_times_are_the_servers() {
    let s = site().await;
    // status 1 without (or with an empty) publish_time: now.
    for body in [json!({"title": "a", "status": 1}), json!({"title": "b", "status": "1", "publish_time": ""})]
    {
        let id = s.save(body).await;
        let post = &s.read(id).await["post"];
        assert_eq!((post["status"].clone(), post["publish_time"].clone()), (json!(1), json!(START)));
    }
    // A draft has none; its first publish fills in the time of that publish.
    let draft = s.save(json!({"title": "draft", "create_time": 5, "update_time": 6})).await;
    let post = &s.read(draft).await["post"];
    assert_eq!((post["status"].clone(), post["publish_time"].clone()), (json!(0), json!(0)));
    assert_eq!(
        (post["create_time"].clone(), post["update_time"].clone()),
        (json!(START), json!(START)),
        "not settable"
    );
    s.app.clock.advance(Duration::hours(1));
    let done = s
        .post("/articles/update", json!({"id": draft, "status": 1, "create_time": 7, "update_time": 8}))
        .await;
    assert_eq!(done["code"], 0, "{done}");
    let post = &s.read(draft).await["post"];
    assert_eq!((post["status"].clone(), post["publish_time"].clone()), (json!(1), json!(START + 3600)));
    assert_eq!(
        (post["create_time"].clone(), post["update_time"].clone()),
        (json!(START), json!(START + 3600))
    );
    assert_eq!(s.native(draft).await["status"], "published");

    // A draft saved with a time keeps it when published; a given time wins over both.
    let dated = s.save(json!({"title": "dated", "status": 0, "publish_time": "2025-06-01 08:00:00"})).await;
    s.post("/articles/update", json!({"id": dated, "status": 1})).await;
    assert_eq!(s.read(dated).await["post"]["publish_time"], 1_748_764_800);
    let given = s.save(json!({"title": "given"})).await;
    s.post("/articles/update", json!({"id": given, "status": 1, "publish_time": "2025-12-31 23:00:00"}))
        .await;
    assert_eq!(s.read(given).await["post"]["publish_time"], START - 3600);

    // A future time with status 1 schedules (status still reads 1); 0 takes it back.
    let later = s.save(json!({"title": "later", "status": 1, "publish_time": "2026-02-01 00:00:00"})).await;
    assert_eq!(s.read(later).await["post"]["status"], 1);
    assert_eq!(s.native(later).await["status"], "scheduled");
    s.form("/articles/update", &[("id", &later.to_string()), ("status", "0")]).await;
    assert_eq!(s.read(later).await["post"]["status"], 0);
    assert_eq!(s.native(later).await["status"], "draft");

    // The site's time zone reads the wall time; a malformed time changes nothing.
    s.app.set_setting("site.time_zone", "Asia/Shanghai").await;
    let zoned = s.save(json!({"title": "zoned", "status": 1, "publish_time": "2024-01-15 14:30:00"})).await;
    assert_eq!(s.read(zoned).await["post"]["publish_time"], 1_705_300_200);
    let bad =
        s.post("/articles/update", json!({"id": zoned, "title": "nope", "publish_time": "15/01/2024"})).await;
    assert_eq!(bad["code"], 500);
    assert!(bad["msg"].as_str().unwrap().starts_with("参数错误：publish_time"), "{bad}");
    assert_eq!(s.read(zoned).await["post"]["title"], "zoned");
}

#[tokio::test]
async fn an_article_saved_here_reads_the_same_through_the_native_api() {
    let s = site().await;
    let id = s
        .save(json!({
            "title": "手机排版",
            "content": "正文 **一**",
            "content_type": "markdown",
            "desc": "摘要",
            "cover_text": "封面文案",
            "poster": "/uploads/poster.jpg",
            "type": "2",
            "status": 1,
            "categorys": [2],
            "tags": [3, 1],
        }))
        .await;
    let data = s.read(id).await;
    let post = &data["post"];
    let native = s.native(id).await;
    assert_eq!(native["kind"], "page");
    assert_eq!(post["type"], "2");
    assert_eq!(native["title"], post["title"]);
    assert_eq!(native["body"], post["content"]);
    assert_eq!(native["html"], post["content_html"]);
    assert_eq!(native["format"], post["content_type"]);
    assert_eq!(native["excerpt"], post["desc"]);
    assert_eq!(native["cover"], post["poster"]);
    assert_eq!(native["cover_text"], post["cover_text"]);
    assert_eq!(native["slug"], post["uid"]);
    assert_eq!(native["origin"], "api");
    assert_eq!(native["status"], "published");
    assert_eq!(native["published_at"], "2026-01-01T00:00:00Z");
    assert_eq!(post["publish_time"], START);
    assert_eq!(ids(&native["categories"]), ids(&data["categories"]));
    assert_eq!(ids(&native["tags"]), ids(&data["tags"]));

    // The same article through emlog's `article_detail`.
    s.app.set_setting("emlog.api_enabled", "true").await;
    let emlog = s.app.get(&format!("/?rest-api=article_detail&id={id}"), None).await.json();
    assert_eq!(emlog["code"], 0, "{emlog}");
    let article = &emlog["data"]["article"];
    assert_eq!(article["id"], id);
    assert_eq!(article["title"], post["title"]);
    assert_eq!(article["type"], "page");
    assert_eq!(article["content"], post["content_html"]);
    assert_eq!(article["content_raw"], post["content"]);
    assert_eq!(article["excerpt_raw"], post["desc"]);
    let site_url = s.app.core.settings().site_url().to_string();
    assert_eq!(article["cover"], format!("{site_url}/uploads/poster.jpg"), "absolute, as emlog sends covers");
    assert_eq!(article["date"], "2026-01-01 00:00:00", "publish_time in the site time zone");
    let names = |tags: &Value| -> Vec<String> {
        let mut names: Vec<String> =
            tags.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
        names.sort();
        names
    };
    let ulthon_tags: Vec<Value> =
        data["tags"].as_array().unwrap().iter().map(|t| json!({"name": t["title"]})).collect();
    assert_eq!(names(&article["tags"]), names(&Value::Array(ulthon_tags)));
    assert_eq!(article["sort_id"], data["categories"][0]["id"]);

    // An edit of a published article is live at once, everywhere.
    s.app.clock.advance(Duration::minutes(5));
    let done = s.post("/articles/update", json!({"id": id, "title": "改过的", "content": "新正文"})).await;
    assert_eq!(done["code"], 0);
    let native = s.native(id).await;
    assert_eq!((native["title"].clone(), native["body"].clone()), (json!("改过的"), json!("新正文")));
    assert_eq!(native["has_unpublished_changes"], false);
    let public = s.app.get(&format!("/api/v1/posts/{id}"), None).await.json();
    assert_eq!(public["title"], "改过的", "readers see it");
    assert_eq!(s.read(id).await["post"]["update_time"], START + 300);
}

#[tokio::test]
async fn lists_filter_page_and_hide_deleted_articles() {
    let s = site().await;
    let a = s.save(json!({"title": "Rust 入门", "content": "所有权", "categorys": [1], "status": 1})).await;
    s.app.clock.advance(Duration::seconds(1));
    let b = s.save(json!({"title": "关于", "type": "2", "status": 1})).await;
    s.app.clock.advance(Duration::seconds(1));
    let c = s.save(json!({"title": "PHP 笔记", "categorys": [2]})).await;
    let list = |v: &Value| -> Vec<i64> {
        v["data"]["list"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
    };

    let all = s.get("/articles/index").await;
    assert_eq!(all["data"]["total"], 3);
    assert_eq!(list(&all), [c, b, a], "newest first, drafts included");
    assert_eq!(all["data"]["list"][0]["categorys"], json!([{"id": 2, "title": "教程", "pid": 0}]));
    assert_eq!(list(&s.get("/articles/index?type=2").await), [b]);
    assert_eq!(list(&s.get("/articles/index?type=1").await), [c, a]);
    assert_eq!(list(&s.get("/articles/index?category_id=1").await), [a]);
    assert_eq!(list(&s.get("/articles/index?keyword=Rust").await), [a]);
    let paged = s.get("/articles/index?page=2&limit=2").await;
    assert_eq!(
        (list(&paged), paged["data"]["total"].clone(), paged["data"]["page"].clone()),
        (vec![a], json!(3), json!(2))
    );
    let too_many = s.get("/articles/index?limit=101").await;
    assert_eq!(too_many, json!({"code": 500, "msg": "参数错误：limit 最大为 100", "data": []}));

    let deleted = s.form("/articles/delete", &[("id", &b.to_string())]).await;
    assert_eq!(deleted["msg"], "删除成功");
    assert_eq!(list(&s.get("/articles/index").await), [c, a]);
    for (path, msg) in [("/articles/update", "文章不存在"), ("/articles/delete", "文章不存在")] {
        let again = s.post(path, json!({"id": b, "title": "x"})).await;
        assert_eq!(again, json!({"code": 500, "msg": msg, "data": []}), "{path}");
    }
    let missing = s.post("/articles/read", json!({})).await;
    assert_eq!(missing, json!({"code": 500, "msg": "参数错误：缺少 id", "data": []}));
    let untitled = s.post("/articles/save", json!({"content": "x"})).await;
    assert_eq!(untitled, json!({"code": 500, "msg": "标题不能为空", "data": []}));
    let bad_json = s
        .app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri(format!("{API}/articles/save"))
                .header("x-api-key", &s.key)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(
        bad_json.json(),
        json!({"code": 500, "msg": "参数错误：请求体不是有效的 JSON 对象", "data": []})
    );
}
