//! emlog comments, likes and favorites over the real router: `addcom` (held for review,
//! Chinese errors), `comment_list` (levels, stacks, private fields for moderators only),
//! `comment_list_simple`, `addlike` / `like_list` with guest names, `likecom`, `unlike`,
//! and the `collect` family with `favorite_count`.

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const UA: (&str, &str) = ("user-agent", "Mozilla/5.0 (emlog test)");

fn assert_error(response: &TestResponse, status: StatusCode, msg: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({"code": 1, "msg": msg, "data": ""}), "{}", response.text());
}

fn assert_ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["code"], 0, "{}", response.text());
    response.json()["data"].clone()
}

async fn app() -> TestApp {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    app.set_setting("site.url", "https://blog.example").await;
    app
}

async fn sign_in(app: &TestApp, user: &str) -> String {
    let response = app
        .form(
            Method::POST,
            "/admin/account.php?action=dosignin",
            &[],
            &[("user", user), ("pw", "password123"), ("resp", "json")],
        )
        .await;
    assert_ok(&response);
    response.header("set-cookie").unwrap().split(';').next().unwrap().to_string()
}

async fn post(app: &TestApp, token: &str) -> i64 {
    let body = json!({"title": "Hello", "body": "text", "status": "published", "cover": "https://cdn.example/c.png"});
    app.create_post(token, body).await["id"].as_i64().unwrap()
}

async fn addcom(app: &TestApp, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![UA];
    all.extend_from_slice(headers);
    app.form(Method::POST, "/index.php?action=addcom", &all, fields).await
}

#[tokio::test]
async fn addcom_holds_guests_for_review_and_answers_in_chinese() {
    let app = app().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let gid = post(&app, &token).await.to_string();
    let guest = |extra: &[(&'static str, &'static str)]| {
        let mut fields =
            vec![("comname", "路人"), ("commail", "g@example.com"), ("comment", "你好"), ("resp", "json")];
        fields.extend_from_slice(extra);
        fields
    };
    let mut fields = guest(&[]);
    fields.push(("gid", &gid));
    let held = addcom(&app, &[], &fields).await;
    assert_eq!(assert_ok(&held), "评论成功，请等待管理员审核");

    let missing = addcom(&app, &[], &guest(&[("gid", "9999")])).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "文章不存在");
    let no_name = addcom(&app, &[], &[("gid", &gid), ("comment", "x")]).await;
    assert_error(&no_name, StatusCode::BAD_REQUEST, "请填写昵称");
    let long_name = "名".repeat(40);
    let long = addcom(&app, &[], &[("gid", &gid), ("comname", &long_name), ("comment", "x")]).await;
    assert_error(&long, StatusCode::BAD_REQUEST, "昵称太长了");
    let mail =
        addcom(&app, &[], &[("gid", &gid), ("comname", "a"), ("commail", "nope"), ("comment", "x")]).await;
    assert_error(&mail, StatusCode::BAD_REQUEST, "请正确填写邮箱");
    let empty =
        addcom(&app, &[], &[("gid", &gid), ("comname", "a"), ("commail", "a@b.example"), ("comment", "")])
            .await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "评论内容不能为空");
    let robot = app
        .form(
            Method::POST,
            "/index.php?action=addcom",
            &[("user-agent", "Googlebot/2.1")],
            &[("gid", &gid), ("comname", "a"), ("commail", "a@b.example"), ("comment", "x")],
        )
        .await;
    assert_error(&robot, StatusCode::BAD_REQUEST, "非正常请求");

    // Closed comments.
    let closed = app
        .create_post(
            &token,
            json!({"title": "Closed", "body": "x", "status": "published", "comments_allowed": false}),
        )
        .await["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let mut fields = guest(&[]);
    fields.push(("gid", &closed));
    assert_error(&addcom(&app, &[], &fields).await, StatusCode::BAD_REQUEST, "该文章未开启评论");

    // A signed-in moderator's comment is approved: data {cid} (int).
    let cookie = sign_in(&app, "alice").await;
    let own =
        addcom(&app, &[("cookie", &cookie)], &[("gid", &gid), ("comment", "作者回复"), ("resp", "json")])
            .await;
    assert!(assert_ok(&own)["cid"].is_i64(), "{}", own.text());
}

#[tokio::test]
async fn comment_lists_nest_levels_and_hide_private_fields_from_non_moderators() {
    let app = app().await;
    let (_, token) = app.user("alice", Role::Author).await;
    app.user("bob", Role::Subscriber).await;
    app.set_setting("comments.moderation", "off").await;
    let id = post(&app, &token).await;
    let gid = id.to_string();
    app.set_client_ip(Some("203.0.113.9"));
    // A chain of six replies: 1 <- 2 <- 3 <- 4 <- 5 <- 6.
    let mut cids: Vec<i64> = Vec::new();
    for n in 0..6 {
        let pid = cids.last().map(|c| c.to_string()).unwrap_or_default();
        let text = format!("第{n}条\n换行");
        let fields = [
            ("gid", gid.as_str()),
            ("comname", "路人"),
            ("commail", "Guest@Example.com"),
            ("comment", &text),
            ("pid", &pid),
            ("resp", "json"),
        ];
        let response = addcom(&app, &[], &fields).await;
        cids.push(assert_ok(&response)["cid"].as_i64().expect("approved: {cid}"));
        app.clock.advance(chrono::Duration::seconds(3));
    }
    app.set_client_ip(None);
    app.clock.advance(chrono::Duration::minutes(5));

    let list = assert_ok(&app.get(&format!("/?rest-api=comment_list&id={id}"), None).await);
    assert_eq!(list["commentStacks"], json!([cids[0]]));
    assert_eq!(list["commentPageUrl"], "");
    let first = &list["comments"][cids[0].to_string()];
    assert_eq!(first["cid"], cids[0].to_string(), "columns are strings");
    assert_eq!(first["gid"], gid);
    assert_eq!(first["pid"], "0");
    assert_eq!(first["uid"], "0");
    assert_eq!(first["hide"], "n");
    assert_eq!(first["like_count"], "0");
    assert_eq!(first["poster"], "路人");
    assert_eq!(first["level"], 0);
    assert_eq!(first["children"], json!([cids[1]]));
    assert_eq!(first["date"], "5 分钟前");
    assert_eq!(
        (first["mail"].as_str(), first["ip"].as_str(), first["agent"].as_str()),
        (Some(""), Some(""), Some(""))
    );
    let fifth = &list["comments"][cids[4].to_string()];
    assert_eq!(fifth["level"], 4);
    let sixth = &list["comments"][cids[5].to_string()];
    assert_eq!(sixth["level"], 4, "no deeper than 4");
    assert_eq!(sixth["pid"], cids[3].to_string(), "moved up to its grandparent");
    assert_eq!(list["comments"][cids[3].to_string()]["children"], json!([cids[4], cids[5]]));

    // A subscriber's cookie sees no private fields either; the item's author does.
    let bob = sign_in(&app, "bob").await;
    let uri = format!("/?rest-api=comment_list&id={id}");
    let as_bob = assert_ok(&app.call_with_headers(Method::GET, &uri, &[("cookie", &bob)], None).await);
    assert_eq!(as_bob["comments"][cids[0].to_string()]["mail"], "");
    let alice = sign_in(&app, "alice").await;
    let as_mod = assert_ok(&app.call_with_headers(Method::GET, &uri, &[("cookie", &alice)], None).await);
    let private = &as_mod["comments"][cids[0].to_string()];
    assert_eq!(private["mail"], "Guest@Example.com");
    assert_eq!(private["ip"], "203.0.113.9");
    assert_eq!(private["agent"], "Mozilla/5.0 (emlog test)");

    // comment_list_simple: a tree of any depth, ints, cravatar only for moderators.
    let simple = assert_ok(&app.get(&format!("/?rest-api=comment_list_simple&id={id}"), None).await);
    let root = &simple["comments"][0];
    assert_eq!(root["cid"], cids[0]);
    assert_eq!(root["pid"], 0);
    assert_eq!(root["avatar"], "https://blog.example/admin/views/images/avatar.svg");
    assert!(root.get("mail").is_none() && root.get("ip").is_none());
    let mut node = root;
    for cid in &cids[1..] {
        node = &node["children"][0];
        assert_eq!(node["cid"], *cid);
    }
    assert!(node.get("children").is_none(), "a leaf has no children key");
    let simple_mod = assert_ok(
        &app.call_with_headers(
            Method::GET,
            &format!("/?rest-api=comment_list_simple&id={id}"),
            &[("cookie", &alice)],
            None,
        )
        .await,
    );
    assert_eq!(
        simple_mod["comments"][0]["avatar"],
        format!("//cravatar.cn/avatar/{:x}?s=120", md5_of("guest@example.com"))
    );

    // No comments: an empty array; no id: parameter error.
    let other = post(&app, &token).await;
    let empty = assert_ok(&app.get(&format!("/?rest-api=comment_list&id={other}"), None).await);
    assert_eq!(empty, json!({"comments": [], "commentStacks": [], "commentPageUrl": ""}));
    assert_error(&app.get("/?rest-api=comment_list", None).await, StatusCode::BAD_REQUEST, "parameter error");
}

fn md5_of(text: &str) -> u128 {
    use md5::{Digest, Md5};
    u128::from_be_bytes(Md5::digest(text.as_bytes()).into())
}

#[tokio::test]
async fn likes_keep_guest_names_and_refuse_a_second_like() {
    let app = app().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let id = post(&app, &token).await;
    let gid = id.to_string();
    let visitor = "inkstone_visitor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let like = app
        .form(
            Method::POST,
            "/index.php?action=addlike",
            &[UA, ("cookie", visitor)],
            &[("gid", &gid), ("name", "snowsun"), ("avatar", "https://oss.example/a.png")],
        )
        .await;
    let like_id = assert_ok(&like)["id"].as_i64().expect("{id}");
    let again = app
        .form(Method::POST, "/index.php?action=addlike", &[UA, ("cookie", visitor)], &[("gid", &gid)])
        .await;
    assert_error(&again, StatusCode::BAD_REQUEST, "已经赞过了");
    let missing = app.form(Method::POST, "/index.php?action=addlike", &[UA], &[("gid", "9999")]).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "文章不存在");
    let long = "x".repeat(51);
    let long_name =
        app.form(Method::POST, "/index.php?action=addlike", &[UA], &[("gid", &gid), ("name", &long)]).await;
    assert_error(&long_name, StatusCode::BAD_REQUEST, "昵称太长了");

    app.clock.advance(chrono::Duration::hours(2));
    let cookie = sign_in(&app, "alice").await;
    let mine = app
        .form(Method::POST, "/index.php?action=addlike", &[UA, ("cookie", &cookie)], &[("gid", &gid)])
        .await;
    assert_ok(&mine);
    app.clock.advance(chrono::Duration::seconds(30));

    let list = assert_ok(&app.get(&format!("/?rest-api=like_list&id={id}"), None).await);
    let likes = list["likes"].as_array().unwrap();
    assert_eq!(likes.len(), 2);
    assert_eq!(likes[0]["poster"], "alice");
    assert_eq!(likes[0]["date"], "30 秒前");
    assert!(likes[0]["uid"].as_i64().unwrap() > 0);
    assert_eq!(
        likes[1],
        json!({"id": like_id, "gid": id, "uid": 0, "date": "2 小时前",
               "avatar": "https://oss.example/a.png", "poster": "snowsun"})
    );
    assert!(likes[1].get("ip").is_none() && likes[1].get("agent").is_none());
    assert_eq!(app.core.get_item_like_count(id).await, 2);

    // unlike: the front action refuses guests; the REST action needs the cookie.
    let guest_unlike = app
        .form(Method::POST, "/index.php?action=unlike", &[UA, ("cookie", visitor)], &[("gid", &gid)])
        .await;
    assert_error(&guest_unlike, StatusCode::BAD_REQUEST, "取消失败");
    let rest = app.form(Method::POST, "/?rest-api=unlike", &[], &[("id", &gid)]).await;
    assert_error(&rest, StatusCode::UNAUTHORIZED, "auth cookie error");
    let undo = app.form(Method::POST, "/?rest-api=unlike", &[("cookie", &cookie)], &[("id", &gid)]).await;
    assert_eq!(assert_ok(&undo), "");
    let twice = app.form(Method::POST, "/?rest-api=unlike", &[("cookie", &cookie)], &[("id", &gid)]).await;
    assert_error(&twice, StatusCode::BAD_REQUEST, "unlike failed");
    assert_eq!(app.core.get_item_like_count(id).await, 1);
}

#[tokio::test]
async fn likecom_counts_one_like_per_visitor() {
    let app = app().await;
    let (_, token) = app.user("alice", Role::Author).await;
    app.set_setting("comments.moderation", "off").await;
    let gid = post(&app, &token).await.to_string();
    let fields = [("gid", gid.as_str()), ("comname", "a"), ("commail", "a@b.example"), ("comment", "x")];
    let cid = assert_ok(&addcom(&app, &[], &fields).await)["cid"].as_i64().unwrap();
    let visitor = "inkstone_visitor=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    for _ in 0..2 {
        let liked = app
            .form(
                Method::POST,
                "/index.php?action=likecom",
                &[UA, ("cookie", visitor)],
                &[("cid", &cid.to_string())],
            )
            .await;
        assert_eq!(assert_ok(&liked), "");
    }
    let list = assert_ok(&app.get(&format!("/?rest-api=comment_list&id={gid}"), None).await);
    assert_eq!(list["comments"][cid.to_string()]["like_count"], "1", "emlog would say 2; Inkstone keeps one");
    let missing = app.form(Method::POST, "/index.php?action=likecom", &[UA], &[("cid", "9999")]).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "评论不存在");
}

#[tokio::test]
async fn favorites_need_the_cookie_and_move_the_count() {
    let app = app().await;
    let (_, token) = app.user("alice", Role::Author).await;
    app.user("bob", Role::Subscriber).await;
    let id = post(&app, &token).await;
    let draft = app.create_post(&token, json!({"title": "Draft", "body": "x"})).await["id"].as_i64().unwrap();
    let bob = sign_in(&app, "bob").await;
    let cookie = [("cookie", bob.as_str())];
    let collect = |id: String| {
        let app = &app;
        async move { app.form(Method::POST, "/?rest-api=collect", &cookie, &[("id", &id)]).await }
    };

    assert_error(
        &app.form(Method::POST, "/?rest-api=collect", &[], &[("id", &id.to_string())]).await,
        StatusCode::UNAUTHORIZED,
        "auth cookie error",
    );
    assert_error(&collect("0".into()).await, StatusCode::BAD_REQUEST, "parameter error");
    assert_error(&collect("9999".into()).await, StatusCode::BAD_REQUEST, "article not found");
    assert_error(&collect(draft.to_string()).await, StatusCode::BAD_REQUEST, "article not found");
    assert_eq!(assert_ok(&collect(id.to_string()).await), "");
    assert_error(&collect(id.to_string()).await, StatusCode::BAD_REQUEST, "already collected");
    let item = app.core.get_item_for_test(id).await;
    assert_eq!(item.favorite_count, 1);

    let list =
        assert_ok(&app.call_with_headers(Method::GET, "/?rest-api=my_collect_list", &cookie, None).await);
    assert_eq!(list["page"], 1);
    assert_eq!(list["total_pages"], 1);
    assert_eq!(list["has_more"], false);
    let article = &list["articles"][0];
    assert_eq!(article["id"], id);
    assert_eq!(article["title"], "Hello");
    assert_eq!(article["url"], format!("https://blog.example/?post={id}"));
    assert_eq!(article["cover"], "https://cdn.example/c.png");
    assert_eq!(article["collect_count"], 1);
    assert_eq!(article["collect_date"], "2026-01-01 00:00:00", "Y-m-d H:i:s in the site zone (UTC here)");

    // Cross-site with the cookie is refused.
    let cross = app
        .form(
            Method::POST,
            "/?rest-api=uncollect",
            &[("cookie", bob.as_str()), ("origin", "https://evil.example")],
            &[("id", &id.to_string())],
        )
        .await;
    assert_error(&cross, StatusCode::UNAUTHORIZED, "auth cookie error");
    let undo = app.form(Method::POST, "/?rest-api=uncollect", &cookie, &[("id", &id.to_string())]).await;
    assert_eq!(assert_ok(&undo), "");
    let twice = app.form(Method::POST, "/?rest-api=uncollect", &cookie, &[("id", &id.to_string())]).await;
    assert_error(&twice, StatusCode::BAD_REQUEST, "uncollect failed");
    assert_eq!(app.core.get_item_for_test(id).await.favorite_count, 0);
}

/// Reads through the core, as the native API would.
trait CoreReads {
    async fn get_item_for_test(&self, id: i64) -> inkstone_core::model::Item;
    async fn get_item_like_count(&self, id: i64) -> i64;
}

impl CoreReads for std::sync::Arc<inkstone_core::Core> {
    async fn get_item_for_test(&self, id: i64) -> inkstone_core::model::Item {
        self.get_item(&inkstone_core::Actor::System, id, None).await.expect("item").item
    }

    async fn get_item_like_count(&self, id: i64) -> i64 {
        self.get_item_for_test(id).await.like_count
    }
}
