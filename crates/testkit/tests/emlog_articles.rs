//! emlog posts, drafts and categories over the real router: `article_post`,
//! `article_update`, `article_list`, `article_detail`, `draft_list`, `draft_detail`,
//! `sort_list`, replayed as emlog clients send them (form bodies, `rest-api` first), with
//! every field's name, JSON type and value checked, and the same items read natively.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use inkstone_core::content::{ListParams, NewItem};
use inkstone_core::model::{ItemStatus, Role};
use inkstone_core::permission::Actor;
use inkstone_core::ports::PinOrder;
use inkstone_core::taxonomy::CategoryInput;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const SITE: &str = "http://blog.example";

struct Emlog {
    app: TestApp,
    key: String,
    admin_token: String,
    admin_id: i64,
}

async fn emlog() -> Emlog {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    app.set_setting("site.url", SITE).await;
    app.set_setting("site.time_zone", "Asia/Shanghai").await;
    let (admin, admin_token) = app.user("emer", Role::Admin).await;
    let key = app.api_key(None, true, true, 2).await;
    Emlog { app, key, admin_token, admin_id: admin.id }
}

impl Emlog {
    async fn post(&self, action: &str, fields: &[(&str, &str)]) -> TestResponse {
        let mut all: Vec<(&str, &str)> = vec![("api_key", self.key.as_str())];
        all.extend_from_slice(fields);
        self.app.form(Method::POST, &format!("/?rest-api={action}"), &[], &all).await
    }

    async fn get(&self, action_and_query: &str) -> TestResponse {
        self.app.get(&format!("/?rest-api={action_and_query}"), None).await
    }

    async fn get_with_key(&self, action_and_query: &str) -> TestResponse {
        self.app.get(&format!("/?rest-api={action_and_query}&api_key={}", self.key), None).await
    }

    async fn article(&self, fields: &[(&str, &str)]) -> i64 {
        let response = self.post("article_post", fields).await;
        let data = ok_data(&response);
        assert!(data["article_id"].is_i64(), "article_id is an int: {data}");
        self.app.clock.advance(Duration::seconds(10));
        data["article_id"].as_i64().unwrap()
    }

    async fn category(&self, name: &str, slug: &str, parent: Option<i64>, order: i64) -> i64 {
        let input = CategoryInput {
            name: name.into(),
            slug: Some(slug.into()),
            parent_id: parent,
            sort_order: order,
            ..CategoryInput::default()
        };
        self.app.core.create_category(&Actor::System, input).await.expect("category").id
    }

    async fn list(&self, query: &str) -> Value {
        ok_data(&self.get(&format!("article_list{query}")).await)
    }
}

fn ok_data(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=UTF-8"));
    let body = response.json();
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["msg"], "ok", "{body}");
    body["data"].clone()
}

fn assert_error(response: &TestResponse, status: StatusCode, msg: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({"code": 1, "msg": msg, "data": ""}), "{}", response.text());
}

fn ids(list: &Value) -> Vec<i64> {
    list["articles"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect()
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_post_made_through_emlog_is_the_same_item_natively_and_reads_back_in_every_shape() {
    let e = emlog().await;
    let tech = e.category("技术", "tech", None, 0).await;
    let rust = e.category("Rust", "rust", Some(tech), 0).await;
    let id = e
        .article(&[
            ("title", "你好 & <emlog>"),
            (
                "content",
                "第一段 **粗体**\n\n![图](../content/uploadfile/202307/a.png)\n\n<img src=\"/b.png\">",
            ),
            ("excerpt", "摘要 *斜体*"),
            ("sort_id", &rust.to_string()),
            ("tags", "PHP,MySQL，中文,PHP,0, "),
            ("post_date", "2022-05-03 23:30:16"),
            ("auto_cover", "y"),
            ("allow_remark", "y"),
            ("top", "y"),
            ("sortop", "n"),
            ("alias", "hello-emlog"),
            ("template", "wide"),
            ("field_keys[]", "price"),
            ("field_values[]", "9.9"),
            ("field_keys[]", "color"),
            ("field_values[]", "#ffffff"),
        ])
        .await;

    // Natively: the same title, HTML, tags, category, cover, fields, status and origin.
    let native = e.app.get(&format!("/api/v1/posts/{id}"), Some(&e.admin_token)).await;
    assert_eq!(native.status, StatusCode::OK, "{}", native.text());
    let post = native.json();
    assert_eq!(post["title"], "你好 & <emlog>");
    assert_eq!(post["status"], "published");
    assert_eq!(post["format"], "markdown");
    assert_eq!(post["slug"], "hello-emlog");
    assert!(post["html"].as_str().unwrap().contains("<strong>粗体</strong>"), "{}", post["html"]);
    assert_eq!(post["cover"], "/content/uploadfile/202307/a.png");
    assert_eq!(post["categories"][0]["id"], rust);
    let tags: Vec<&str> =
        post["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, vec!["PHP", "MySQL", "中文"]);
    assert_eq!(
        post["custom_fields"],
        json!([{"key": "price", "value": "9.9"}, {"key": "color", "value": "#ffffff"}])
    );
    assert_eq!(post["pinned"], true);
    assert_eq!(post["pinned_in_category"], false);
    assert_eq!(post["comments_allowed"], true);
    assert_eq!(post["template"], "wide");
    assert_eq!(post["origin"], "api");
    assert_eq!(post["author"]["id"], e.admin_id);
    assert_eq!(post["published_at"], "2022-05-03T15:30:16Z", "read in Asia/Shanghai");

    // article_list: every field, with its JSON type.
    let list = e.list("").await;
    assert_eq!(keys(&list), sorted(&["articles", "page", "total_pages", "has_more"]));
    assert_eq!(list["page"], 1);
    assert_eq!(list["total_pages"], 1);
    assert_eq!(list["has_more"], false);
    let article = &list["articles"][0];
    assert_eq!(
        keys(article),
        sorted(&[
            "id",
            "title",
            "cover",
            "url",
            "description",
            "description_raw",
            "date",
            "author_id",
            "author_name",
            "author_avatar",
            "sort_id",
            "sort_name",
            "views",
            "comnum",
            "like_count",
            "dislike_count",
            "collect_count",
            "top",
            "sortop",
            "tags",
            "need_pwd",
            "fields",
            "parent_id",
        ])
    );
    assert_eq!(article["id"], id);
    assert_eq!(article["title"], "你好 & <emlog>", "list titles are raw");
    assert_eq!(article["cover"], format!("{SITE}/content/uploadfile/202307/a.png"));
    assert_eq!(article["url"], format!("{SITE}/posts/hello-emlog"));
    assert_eq!(article["description"], "<p>摘要 <em>斜体</em></p>\n");
    assert_eq!(article["description_raw"], "摘要 *斜体*");
    assert_eq!(article["date"], "2022-05-03 23:30:16");
    assert_eq!(article["author_id"], e.admin_id);
    assert_eq!(article["author_name"], "emer");
    assert_eq!(article["author_avatar"], format!("{SITE}/admin/views/images/avatar.svg"));
    assert_eq!(article["sort_id"], rust);
    assert_eq!(article["sort_name"], "Rust");
    for counter in ["views", "comnum", "like_count", "dislike_count", "collect_count", "parent_id"] {
        assert_eq!(article[counter], 0, "{counter} is the int 0");
    }
    assert_eq!(article["top"], "y");
    assert_eq!(article["sortop"], "n");
    assert_eq!(article["need_pwd"], "n");
    assert_eq!(
        article["tags"],
        json!([
            {"name": "PHP", "url": format!("{SITE}/?tag=PHP")},
            {"name": "MySQL", "url": format!("{SITE}/?tag=MySQL")},
            {"name": "中文", "url": format!("{SITE}/?tag=%E4%B8%AD%E6%96%87")},
        ])
    );
    assert_eq!(article["fields"], json!({"price": "9.9", "color": "#ffffff"}));

    // article_detail: every field; the title escaped as emlog does, one more view.
    let detail = ok_data(&e.get(&format!("article_detail&id={id}")).await);
    let article = &detail["article"];
    assert_eq!(
        keys(article),
        sorted(&[
            "title",
            "date",
            "id",
            "sort_id",
            "sort_name",
            "type",
            "author_id",
            "author_name",
            "author_avatar",
            "content",
            "content_raw",
            "excerpt",
            "excerpt_raw",
            "cover",
            "views",
            "comnum",
            "like_count",
            "dislike_count",
            "collect_count",
            "top",
            "sortop",
            "tags",
            "fields",
            "parent_id",
        ])
    );
    assert_eq!(article["title"], "你好 &amp; &lt;emlog&gt;");
    assert_eq!(article["type"], "blog");
    assert_eq!(article["id"], id);
    assert!(article["content"].as_str().unwrap().starts_with("<p>第一段 <strong>粗体</strong></p>"));
    assert!(article["content_raw"].as_str().unwrap().starts_with("第一段 **粗体**\n\n![图](../content"));
    assert_eq!(article["excerpt"], "<p>摘要 <em>斜体</em></p>\n");
    assert_eq!(article["excerpt_raw"], "摘要 *斜体*");
    assert_eq!(article["cover"], format!("{SITE}/content/uploadfile/202307/a.png"));
    assert_eq!(article["views"], 1);
    assert_eq!(article["fields"]["price"], "9.9");
    let again = ok_data(&e.get(&format!("article_detail&id={id}")).await);
    assert_eq!(again["article"]["views"], 2);

    // The raw body: Chinese as is, `/` escaped as `\/`.
    let raw = e.get(&format!("article_detail&id={id}")).await.text();
    assert!(raw.contains(r#""content_raw":"第一段 **粗体**"#), "{raw}");
    assert!(raw.contains(r#"..\/content\/uploadfile\/202307\/a.png"#), "{raw}");
}

#[tokio::test]
async fn a_native_post_reads_correctly_through_article_detail() {
    let e = emlog().await;
    let post = e
        .app
        .create_post(
            &e.admin_token,
            json!({
                "title": "Native",
                "body": "Body with [a link](https://x.example)",
                "status": "published",
                "tags": ["rust"],
                "cover": "https://cdn.example/c.png",
                "custom_fields": [],
            }),
        )
        .await;
    let id = post["id"].as_i64().unwrap();
    let detail = ok_data(&e.get(&format!("article_detail&id={id}")).await);
    let article = &detail["article"];
    assert_eq!(article["title"], "Native");
    assert_eq!(
        article["content"],
        "<p>Body with <a href=\"https://x.example\" rel=\"noopener noreferrer nofollow\">a link</a></p>\n"
    );
    assert_eq!(article["cover"], "https://cdn.example/c.png", "absolute covers unchanged");
    assert_eq!(article["sort_id"], -1);
    assert_eq!(article["sort_name"], "");
    assert_eq!(article["fields"], json!([]), "no fields: an empty array");
    assert_eq!(article["excerpt"], "");
    assert_eq!(article["tags"][0]["name"], "rust");
    assert_eq!(article["date"], "2026-01-01 08:00:00");

    assert_error(&e.get("article_detail&id=99999").await, StatusCode::BAD_REQUEST, "Article not found");
    let draft = e.app.create_post(&e.admin_token, json!({"title": "Draft", "body": "x"})).await;
    let draft_id = draft["id"].as_i64().unwrap();
    assert_error(
        &e.get(&format!("article_detail&id={draft_id}")).await,
        StatusCode::BAD_REQUEST,
        "Article not found",
    );
}

#[tokio::test]
async fn lists_order_filter_page_lock_and_hide_what_is_not_published() {
    let e = emlog().await;
    let parent = e.category("Parent", "parent", None, 0).await;
    let child = e.category("Child", "child", Some(parent), 0).await;
    let other = e.category("Other", "other", None, 0).await;
    let a = e.article(&[("title", "alpha 100%"), ("content", "a"), ("sort_id", &parent.to_string())]).await;
    let b = e
        .article(&[("title", "beta_x"), ("content", "b"), ("sort_id", &child.to_string()), ("tags", "t1")])
        .await;
    let c = e
        .article(&[("title", "gamma"), ("content", "c"), ("sort_id", &other.to_string()), ("sortop", "y")])
        .await;
    let d = e.article(&[("title", "delta"), ("content", "d"), ("top", "y")]).await;
    let locked = e.article(&[("title", "secret"), ("content", "hidden text"), ("password", "pw")]).await;
    let _draft = e.article(&[("title", "draft"), ("content", "x"), ("draft", "y")]).await;
    let _scheduled =
        e.article(&[("title", "later"), ("content", "x"), ("post_date", "2030-01-01 00:00:00")]).await;

    // Default order: site pins, then category pins, then newest; drafts and scheduled hidden.
    let all = e.list("").await;
    assert_eq!(ids(&all), vec![d, c, locked, b, a]);

    // The password lock text in both descriptions.
    let secret = all["articles"].as_array().unwrap().iter().find(|x| x["id"] == locked).unwrap().clone();
    assert_eq!(secret["need_pwd"], "y");
    assert_eq!(secret["description"], "<p>[该文章已加密，请点击标题输入密码访问]</p>");
    assert_eq!(secret["description_raw"], "<p>[该文章已加密，请点击标题输入密码访问]</p>");
    // The reader's password cookie unlocks it, as in emlog.
    let cookie = format!("em_logpwd_{locked}=pw");
    let with_cookie = e
        .app
        .call_with_headers(Method::GET, "/?rest-api=article_list", &[("cookie", cookie.as_str())], None)
        .await;
    let unlocked = ok_data(&with_cookie)["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == locked)
        .unwrap()
        .clone();
    assert_eq!(unlocked["description_raw"], "hidden text");

    // A parent category includes its children; keyword matches titles literally.
    assert_eq!(ids(&e.list(&format!("&sort_id={parent}")).await), vec![b, a]);
    assert_eq!(ids(&e.list(&format!("&sort_id={child}")).await), vec![b]);
    assert_eq!(ids(&e.list("&keyword=100%25").await), vec![a]);
    assert_eq!(ids(&e.list("&keyword=_").await), vec![b]);
    assert_eq!(ids(&e.list("&keyword=%25").await), vec![a]);
    assert_eq!(ids(&e.list("&keyword=hidden").await), Vec::<i64>::new(), "bodies are not searched");
    assert_eq!(ids(&e.list("&tag=t1").await), vec![b]);
    assert_eq!(ids(&e.list("&tag=no-such-tag").await).len(), 5, "an unknown tag is ignored");
    assert_eq!(ids(&e.list(&format!("&uid={}", e.admin_id)).await).len(), 5);
    assert_eq!(ids(&e.list("&uid=9999").await), Vec::<i64>::new());

    // order=views: most viewed first.
    for _ in 0..3 {
        ok_data(&e.get(&format!("article_detail&id={a}")).await);
    }
    ok_data(&e.get(&format!("article_detail&id={b}")).await);
    assert_eq!(ids(&e.list("&order=views").await)[..2], [a, b]);

    // Paging: total_pages at least 1, has_more = page < total_pages; count <= 0 reads as
    // the default; count is capped at 100.
    let page = e.list("&count=2&page=2").await;
    assert_eq!(ids(&page), vec![locked, b]);
    assert_eq!(page["page"], 2);
    assert_eq!(page["total_pages"], 3);
    assert_eq!(page["has_more"], true);
    let last = e.list("&count=2&page=3").await;
    assert_eq!(last["has_more"], false);
    let beyond = e.list("&count=2&page=9").await;
    assert_eq!(beyond["articles"], json!([]));
    assert_eq!(beyond["total_pages"], 3);
    assert_eq!(e.list("&count=0").await["articles"].as_array().unwrap().len(), 5);
    assert_eq!(e.list("&count=-3&page=-1").await["page"], 1);
    assert_eq!(e.list("&count=100000").await["total_pages"], 1);
    let none = e.list("&sort_id=9999").await;
    assert_eq!(none["articles"], json!([]));
    assert_eq!(none["total_pages"], 1);

    // The scheduled post appears once its time has come.
    e.app.clock.advance(Duration::days(5 * 365));
    e.app.core.publish_due().await.unwrap();
    assert_eq!(ids(&e.list("").await).len(), 6);
}

#[tokio::test]
async fn comment_counts_order_lists() {
    let e = emlog().await;
    let a = e.article(&[("title", "a"), ("content", "a"), ("allow_remark", "y")]).await;
    let b = e.article(&[("title", "b"), ("content", "b"), ("allow_remark", "y")]).await;
    for _ in 0..2 {
        let comment = e
            .app
            .post(&format!("/api/v1/posts/{a}/comments"), Some(&e.admin_token), json!({"body": "nice"}))
            .await;
        assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text());
    }
    assert_eq!(ids(&e.list("").await), vec![b, a]);
    let by_comments = e.list("&order=comnum").await;
    assert_eq!(ids(&by_comments), vec![a, b]);
    assert_eq!(by_comments["articles"][0]["comnum"], 2);
}

#[tokio::test]
async fn the_core_lists_titles_literally_pins_site_then_category_and_sorts_by_comments() {
    let e = emlog().await;
    let core = &e.app.core;
    let mut made = Vec::new();
    for (title, pinned, in_category) in
        [("50% off", false, false), ("a_b", false, true), ("plain", true, false)]
    {
        let mut input = NewItem::post(title, "body");
        input.status = Some(ItemStatus::Published);
        input.pinned = pinned;
        input.pinned_in_category = in_category;
        made.push(
            core.create_item(&Actor::System.clone(), NewItem { author_id: Some(e.admin_id), ..input })
                .await
                .unwrap()
                .item
                .id,
        );
        e.app.clock.advance(Duration::seconds(1));
    }
    let list = |params: ListParams| async move {
        core.list_items(&Actor::Anonymous, params)
            .await
            .unwrap()
            .items
            .iter()
            .map(|v| v.item.id)
            .collect::<Vec<_>>()
    };
    let titled = |text: &str| ListParams { title_contains: Some(text.into()), ..ListParams::default() };
    assert_eq!(list(titled("%")).await, vec![made[0]]);
    assert_eq!(list(titled("_")).await, vec![made[1]]);
    assert_eq!(list(titled("PLAIN")).await, vec![made[2]], "ASCII case is ignored");
    assert_eq!(list(titled("  ")).await.len(), 3, "blank is no filter");
    let pins = ListParams { pin_order: PinOrder::SiteThenCategory, ..ListParams::default() };
    assert_eq!(list(pins).await, vec![made[2], made[1], made[0]]);
    assert_eq!(list(ListParams::default()).await, vec![made[2], made[1], made[0]]);
    let by_comments = ListParams { sort: Some("-comment_count".into()), ..ListParams::default() };
    assert_eq!(list(by_comments).await.len(), 3);
}

#[tokio::test]
async fn article_update_changes_only_what_was_sent() {
    let e = emlog().await;
    let tech = e.category("Tech", "tech", None, 0).await;
    let id = e
        .article(&[
            ("title", "Original"),
            ("content", "original body"),
            ("excerpt", "original excerpt"),
            ("sort_id", &tech.to_string()),
            ("tags", "keep,these"),
            ("cover", "../content/c.png"),
            ("post_date", "2025-06-12 21:25:57"),
            ("field_keys[]", "price"),
            ("field_values[]", "9.9"),
        ])
        .await;

    // Only title and content sent: everything else stays (emlog would reset it).
    let updated = e
        .post("article_update", &[("id", &id.to_string()), ("title", "Renamed"), ("content", "new body")])
        .await;
    assert_eq!(ok_data(&updated), json!(""));
    let post = e.app.get(&format!("/api/v1/posts/{id}"), Some(&e.admin_token)).await.json();
    assert_eq!(post["title"], "Renamed");
    assert_eq!(post["status"], "published");
    assert_eq!(post["html"], "<p>new body</p>\n", "released at once, as emlog shows edits");
    assert_eq!(post["excerpt"], "original excerpt");
    assert_eq!(post["categories"][0]["id"], tech);
    assert_eq!(post["tags"].as_array().unwrap().len(), 2);
    assert_eq!(post["cover"], "/content/c.png");
    assert_eq!(post["published_at"], "2025-06-12T13:25:57Z");
    assert_eq!(post["custom_fields"][0]["key"], "price");
    let detail = ok_data(&e.get(&format!("article_detail&id={id}")).await);
    assert_eq!(detail["article"]["content_raw"], "new body");

    // Sent but empty tags clear them; a sent sort_id of -1 removes the category; draft=y
    // takes it back to draft.
    let cleared = e
        .post(
            "article_update",
            &[("id", &id.to_string()), ("title", "Renamed"), ("tags", ""), ("sort_id", "-1"), ("draft", "y")],
        )
        .await;
    ok_data(&cleared);
    let post = e.app.get(&format!("/api/v1/posts/{id}"), Some(&e.admin_token)).await.json();
    assert_eq!(post["tags"], json!([]));
    assert_eq!(post["categories"], json!([]));
    assert_eq!(post["status"], "draft");
    assert_eq!(post["custom_fields"][0]["value"], "9.9");

    // Missing id or title; an unknown id.
    assert_error(
        &e.post("article_update", &[("title", "x")]).await,
        StatusCode::BAD_REQUEST,
        "parameter error",
    );
    assert_error(
        &e.post("article_update", &[("id", &id.to_string())]).await,
        StatusCode::BAD_REQUEST,
        "parameter error",
    );
    assert_error(
        &e.post("article_update", &[("id", "99999"), ("title", "x")]).await,
        StatusCode::BAD_REQUEST,
        "Article not found",
    );

    // A read-only key may not change it: a clear error, nothing changed.
    let read_only = e.app.api_key(None, false, false, 0).await;
    let refused = e
        .app
        .form(
            Method::POST,
            "/?rest-api=article_update",
            &[],
            &[("api_key", read_only.as_str()), ("id", &id.to_string()), ("title", "Hijacked")],
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "permission denied");
    let post = e.app.get(&format!("/api/v1/posts/{id}"), Some(&e.admin_token)).await.json();
    assert_eq!(post["title"], "Renamed");
}

#[tokio::test]
async fn drafts_list_and_read_raw() {
    let e = emlog().await;
    let first = e
        .article(&[
            ("title", "这是一篇草稿"),
            ("content", "这是一篇草稿 **raw**"),
            ("draft", "y"),
            ("excerpt", "摘 *要*"),
            ("cover", "../content/d.png"),
        ])
        .await;
    let untitled = e.app.create_post(&e.admin_token, json!({"title": "", "body": "no title"})).await["id"]
        .as_i64()
        .unwrap();
    let _published = e.article(&[("title", "out"), ("content", "x")]).await;

    let drafts = ok_data(&e.get_with_key("draft_list").await);
    let list = drafts["drafts"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], untitled, "newest first");
    assert_eq!(list[0]["title"], "无标题");
    let draft = &list[1];
    assert_eq!(
        keys(draft),
        sorted(&[
            "id",
            "title",
            "cover",
            "excerpt",
            "date",
            "author_id",
            "author_name",
            "author_avatar",
            "sort_id",
            "sort_name",
            "views",
            "comnum",
            "like_count",
            "dislike_count",
            "collect_count",
            "top",
            "sortop",
            "tags",
            "need_pwd",
            "fields",
        ])
    );
    assert_eq!(draft["id"], first);
    assert_eq!(draft["cover"], "/content/d.png", "raw cover");
    assert_eq!(draft["excerpt"], "摘 *要*", "raw excerpt");
    assert_eq!(draft["sort_id"], -1);
    assert_eq!(draft["tags"], json!([]));
    assert_eq!(draft["fields"], json!([]));
    assert_eq!(draft["need_pwd"], "n");
    assert_eq!(ok_data(&e.get_with_key("draft_list&count=1").await)["drafts"].as_array().unwrap().len(), 1);

    let detail = ok_data(&e.get_with_key(&format!("draft_detail&id={first}")).await);
    let draft = &detail["draft"];
    assert_eq!(
        keys(draft),
        sorted(&[
            "title",
            "date",
            "id",
            "sort_id",
            "sort_name",
            "author_id",
            "author_name",
            "author_avatar",
            "content",
            "excerpt",
            "cover",
            "views",
            "comnum",
            "like_count",
            "dislike_count",
            "collect_count",
            "top",
            "sortop",
            "tags",
            "fields",
        ])
    );
    assert_eq!(draft["title"], "这是一篇草稿");
    assert_eq!(draft["content"], "这是一篇草稿 **raw**");
    assert_eq!(draft["date"], "2026-01-01 08:00:00");
    assert_error(&e.get_with_key("draft_detail&id=99999").await, StatusCode::BAD_REQUEST, "Draft not found");
    assert_error(
        &e.get_with_key(&format!("draft_detail&id={_published}")).await,
        StatusCode::BAD_REQUEST,
        "Draft not found",
    );
    assert_error(&e.get("draft_list").await, StatusCode::UNAUTHORIZED, "auth param error");
}

#[tokio::test]
async fn sort_list_is_emlogs_two_level_tree_in_its_order() {
    let e = emlog().await;
    let sport = e.category("体育栏目", "sport", None, 5).await;
    let lonely = e.category("Lonely", "lonely", None, 9).await;
    let football = e.category("足球", "football", Some(sport), 2).await;
    let tennis = e.category("网球", "tennis", Some(sport), 1).await;
    let empty = ok_data(&e.get("sort_list").await);
    assert_eq!(empty["sorts"].as_array().unwrap().len(), 2);
    e.article(&[("title", "match"), ("content", "x"), ("sort_id", &football.to_string())]).await;

    let data = ok_data(&e.get("sort_list").await);
    let sorts = data["sorts"].as_array().unwrap();
    // Childless parents first, then parents with children.
    assert_eq!(sorts[0]["sid"], lonely);
    assert!(sorts[0].get("children").is_none(), "no children key without children");
    let parent = &sorts[1];
    assert_eq!(parent["sid"], sport);
    assert_eq!(
        keys(parent),
        sorted(&[
            "sid",
            "lognum",
            "sortname",
            "alias",
            "description",
            "kw",
            "title_origin",
            "title",
            "taxis",
            "pid",
            "template",
            "sortimg",
            "page_count",
            "allow_user_post",
            "children",
        ])
    );
    assert_eq!(parent["sortname"], "体育栏目");
    assert_eq!(parent["alias"], "sport");
    assert_eq!(parent["lognum"], "0", "lognum is a string");
    assert_eq!(parent["taxis"], 5);
    assert_eq!(parent["pid"], 0);
    assert_eq!(parent["description"], "");
    assert_eq!(parent["template"], "");
    assert_eq!(parent["page_count"], 0);
    assert_eq!(parent["allow_user_post"], "y");
    let children = parent["children"].as_array().unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(children[0]["sid"], tennis, "children by taxis");
    assert_eq!(children[1]["sid"], football);
    assert_eq!(children[1]["pid"], sport);
    assert_eq!(children[1]["lognum"], "1");
    assert!(children[1].get("children").is_none());
}
