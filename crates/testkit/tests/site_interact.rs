//! What readers do on the site's pages, through the real router: the comment form (form
//! token, moderation, honeypot, threads, closed items, captcha, rate limit), likes on
//! posts, comments and notes, the friend link application, each without JavaScript (303
//! and pages) and with it (JSON); and the comment partials rendered by the theme.

use axum::http::{Method, StatusCode};
use inkstone_core::Actor;
use inkstone_core::model::Role;
use inkstone_site::Theme;
use inkstone_site::interact::{CommentSection, SectionQuery};
use inkstone_testkit::{TestApp, TestResponse};
use scraper::{Html, Selector};
use serde_json::{Value, json};

// ----- helpers -----

/// A browser: its visitor cookie (plus any other cookies) and the form token the site
/// puts in its pages for that visitor.
struct Browser {
    cookie: String,
    token: String,
}

impl Browser {
    fn new(app: &TestApp, name: &str) -> Browser {
        let visitor = format!("{name}-visitor-0123456789abcdef");
        // The token pages carry for this visitor (see `Reader::form_token_for`); the
        // token-from-a-page test checks it against a rendered form.
        let token = app.core.install_digest(&format!("site-form\u{0}{visitor}"))[..32].to_string();
        Browser { cookie: format!("inkstone_visitor={visitor}"), token }
    }
}

fn select<'a>(document: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|_| panic!("selector {css}"));
    document.select(&selector).collect()
}

/// Posts `fields` (with the browser's `_token` first unless `fields` has one) to `uri`,
/// as a form; `json` adds `Accept: application/json` as site.js does.
async fn submit(
    app: &TestApp,
    uri: &str,
    browser: &Browser,
    json: bool,
    fields: &[(&str, &str)],
) -> TestResponse {
    let mut all: Vec<(&str, &str)> = Vec::new();
    if !fields.iter().any(|(name, _)| *name == "_token") {
        all.push(("_token", &browser.token));
    }
    all.extend_from_slice(fields);
    let mut headers = vec![("cookie", browser.cookie.as_str()), ("user-agent", "site-test/1.0")];
    if json {
        headers.push(("accept", "application/json"));
    }
    app.form(Method::POST, uri, &headers, &all).await
}

/// A published post by `token`'s user: (id, slug).
async fn published_post(app: &TestApp, token: &str, extra: Value) -> (i64, String) {
    let mut body = json!({"title": "Hello readers", "body": "text", "status": "published"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let post = app.create_post(token, body).await;
    (post["id"].as_i64().unwrap(), post["slug"].as_str().unwrap().to_string())
}

async fn admin(app: &TestApp) -> String {
    app.user("admin", Role::Admin).await.1
}

async fn guest_comment(
    app: &TestApp,
    browser: &Browser,
    post: i64,
    json: bool,
    extra: &[(&str, &str)],
) -> TestResponse {
    let post = post.to_string();
    let mut fields = vec![
        ("item_id", post.as_str()),
        ("parent_id", ""),
        ("author_name", "Reader"),
        ("author_email", "reader@example.org"),
        ("author_url", ""),
        ("body", "A thoughtful comment."),
        ("website", ""),
    ];
    for (name, value) in extra {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => fields.push((name, value)),
        }
    }
    submit(app, "/interact/comment", browser, json, &fields).await
}

/// Every comment of `post` as its moderator (admin) sees them: `[(id, status, parent_id)]`.
async fn stored_comments(app: &TestApp, admin: &str, post: i64) -> Vec<(i64, String, Option<i64>)> {
    let list = app.get(&format!("/api/v1/posts/{post}/comments?per_page=100"), Some(admin)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["id"].as_i64().unwrap(), c["status"].as_str().unwrap().to_string(), c["parent_id"].as_i64())
        })
        .collect()
}

/// Comments of `post` anyone sees through the native API.
async fn public_comments(app: &TestApp, post: i64) -> Vec<Value> {
    app.get(&format!("/api/v1/posts/{post}/comments"), None).await.json()["items"].as_array().unwrap().clone()
}

fn location(response: &TestResponse) -> &str {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text());
    response.header("location").expect("a Location")
}

// ----- the form token -----

#[tokio::test]
async fn comments_need_the_visitors_form_token_and_a_token_from_a_page_works() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (post, _) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "alice");
    let post_id = post.to_string();
    let fields = [
        ("item_id", post_id.as_str()),
        ("author_name", "Reader"),
        ("author_email", "reader@example.org"),
        ("body", "Hello"),
    ];

    // No token, a wrong one, another visitor's, or no visitor cookie: 403, nothing stored.
    let missing =
        app.form(Method::POST, "/interact/comment", &[("cookie", browser.cookie.as_str())], &fields).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.text().contains("Reload the page"), "{}", missing.text());
    let wrong = submit(
        &app,
        "/interact/comment",
        &browser,
        false,
        &[&[("_token", "0123456789abcdef0123456789abcdef")][..], &fields].concat(),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let other = Browser::new(&app, "mallory");
    let stolen = submit(
        &app,
        "/interact/comment",
        &Browser { cookie: other.cookie.clone(), token: browser.token.clone() },
        true,
        &fields,
    )
    .await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
    assert_eq!(stolen.json()["error"], "form_expired");
    let no_cookie = app
        .form(
            Method::POST,
            "/interact/comment",
            &[],
            &[&[("_token", browser.token.as_str())][..], &fields].concat(),
        )
        .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(stored_comments(&app, &admin, post).await.is_empty(), "nothing stored without a good token");

    // A refused comment shows the form again: its token is the visitor's, and it works.
    let refused = guest_comment(&app, &browser, post, false, &[("body", "  ")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let page = Html::parse_document(&refused.text());
    let token =
        select(&page, "form#comment-form input[name=_token]")[0].value().attr("value").unwrap().to_string();
    assert_eq!(token, browser.token, "the page carries the visitor's token");
    let accepted = submit(
        &app,
        "/interact/comment",
        &browser,
        false,
        &[&[("_token", token.as_str())][..], &fields].concat(),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text());
    assert_eq!(stored_comments(&app, &admin, post).await.len(), 1);
}

// ----- comments -----

#[tokio::test]
async fn a_guest_comment_waits_for_moderation_by_default_and_is_published_when_moderation_is_off() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (post, slug) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "guest");

    let held = guest_comment(&app, &browser, post, false, &[]).await;
    assert_eq!(location(&held), format!("/posts/{slug}?comment=pending#comments"));
    let stored = stored_comments(&app, &admin, post).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1, "pending");
    assert!(public_comments(&app, post).await.is_empty(), "pending comments are not public");

    app.set_setting("comments.moderation", "off").await;
    let published = guest_comment(&app, &browser, post, false, &[("body", "Now *published*")]).await;
    let id = stored_comments(&app, &admin, post).await.iter().find(|c| c.1 == "approved").unwrap().0;
    assert_eq!(location(&published), format!("/posts/{slug}?comment=approved#comment-{id}"));
    let public = public_comments(&app, post).await;
    assert_eq!(public.len(), 1);
    assert_eq!(public[0]["author"]["name"], "Reader");
    assert_eq!(public[0]["html"].as_str().unwrap().trim(), "<p>Now <em>published</em></p>");
    assert!(public[0].get("moderation").is_none(), "the e-mail stays private");
}

#[tokio::test]
async fn json_answers_say_the_status_and_where_the_comment_is_or_why_not() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (post, slug) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "js");

    let pending = guest_comment(&app, &browser, post, true, &[]).await;
    assert_eq!(pending.status, StatusCode::CREATED, "{}", pending.text());
    let body = pending.json();
    assert_eq!(body["status"], "pending");
    assert_eq!(body["url"], format!("/posts/{slug}?comment=pending#comments"));
    assert_eq!(body["message"], "Thank you, your comment is awaiting moderation.");
    assert!(body["id"].as_i64().is_some());

    app.set_setting("comments.moderation", "off").await;
    let approved = guest_comment(&app, &browser, post, true, &[]).await.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["url"], format!("/posts/{slug}?comment=approved#comment-{}", approved["id"]));

    let invalid = guest_comment(&app, &browser, post, true, &[("author_email", "not mail")]).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.json()["error"], "invalid_input");
    assert_eq!(invalid.json()["field"], "author_email");
    assert_eq!(invalid.json()["message"], "not an e-mail address");

    // Without JavaScript the refusal is the form again, fields kept, in the site language.
    app.set_setting("site.language", "zh-CN").await;
    let page =
        guest_comment(&app, &browser, post, false, &[("author_email", "not mail"), ("body", "keep <me>")])
            .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let document = Html::parse_document(&page.text());
    assert_eq!(select(&document, "h1").len(), 1);
    let notice = select(&document, "form#comment-form p.notice.notice-error[role=alert]");
    assert_eq!(notice[0].text().collect::<String>(), "不是有效的邮箱地址");
    assert_eq!(select(&document, "textarea[name=body]")[0].text().collect::<String>(), "keep <me>");
    let email = select(&document, "input[name=author_email]")[0];
    assert_eq!(email.value().attr("value"), Some("not mail"));
    assert_eq!(email.value().attr("aria-invalid"), Some("true"));
    assert_eq!(select(&document, "a[href='/posts/hello-readers']").len(), 1, "a link back to the post");
    assert_eq!(stored_comments(&app, &admin, post).await.len(), 2, "the refused ones are not stored");
}

#[tokio::test]
async fn a_filled_honeypot_is_stored_as_spam_but_answered_like_a_pending_comment() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (post, slug) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "bot");

    let honest = guest_comment(&app, &browser, post, false, &[]).await;
    let bot = guest_comment(&app, &browser, post, false, &[("website", "https://spam.example")]).await;
    assert_eq!(location(&bot), location(&honest));
    assert_eq!(location(&bot), format!("/posts/{slug}?comment=pending#comments"));
    let bot_json = guest_comment(&app, &browser, post, true, &[("website", "https://spam.example")]).await;
    assert_eq!(bot_json.status, StatusCode::CREATED);
    assert_eq!(bot_json.json()["status"], "pending");
    assert_eq!(bot_json.json()["message"], "Thank you, your comment is awaiting moderation.");
    let statuses: Vec<String> = stored_comments(&app, &admin, post).await.into_iter().map(|c| c.1).collect();
    assert_eq!(statuses, ["pending", "spam", "spam"]);

    // `?comment=spam` (should anything send it) reads exactly like pending.
    let item = app.core.get_item(&Actor::Anonymous, post, None).await.unwrap().item;
    let render = |comment: &str| {
        let app = &app;
        let item = item.clone();
        let comment = comment.to_string();
        async move {
            let query = SectionQuery { reply: None, comment: Some(comment) };
            let section =
                CommentSection::build(&app.core, &Actor::Anonymous, None, &item, &query).await.unwrap();
            render_comments(&section)
        }
    };
    let spam = render("spam").await;
    let pending = render("pending").await;
    assert_eq!(spam, pending);
    let document = Html::parse_fragment(&spam);
    let notice = select(&document, "p.notice[role=status]");
    assert_eq!(notice[0].text().collect::<String>(), "Thank you, your comment is awaiting moderation.");
}

#[tokio::test]
async fn replies_thread_under_their_parent_and_a_parent_on_another_post_is_refused() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    app.set_setting("comments.moderation", "off").await;
    let (post, _) = published_post(&app, &admin, json!({})).await;
    let (other, _) = published_post(&app, &admin, json!({"title": "Other"})).await;
    let browser = Browser::new(&app, "threads");

    let first = guest_comment(&app, &browser, post, true, &[]).await.json()["id"].as_i64().unwrap();
    let parent = first.to_string();
    let reply =
        guest_comment(&app, &browser, post, true, &[("parent_id", &parent), ("body", "A reply")]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let reply_id = reply.json()["id"].as_i64().unwrap();
    let stored = stored_comments(&app, &admin, post).await;
    assert!(stored.contains(&(reply_id, "approved".into(), Some(first))), "{stored:?}");

    let elsewhere = guest_comment(&app, &browser, other, true, &[("parent_id", &parent)]).await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    assert_eq!(elsewhere.json()["field"], "parent_id");
    let garbage = guest_comment(&app, &browser, post, true, &[("parent_id", "x1")]).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert!(stored_comments(&app, &admin, other).await.is_empty());
    assert_eq!(stored_comments(&app, &admin, post).await.len(), 2);

    // Without JavaScript, a refused reply keeps its parent in the form.
    let page = guest_comment(&app, &browser, post, false, &[("parent_id", &parent), ("body", "")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let document = Html::parse_document(&page.text());
    assert_eq!(select(&document, "input[name=parent_id]")[0].value().attr("value"), Some(parent.as_str()));
    let nested =
        select(&document, &format!("li#comment-{first} > ol.comment-children > li#comment-{reply_id}"));
    assert_eq!(nested.len(), 1, "the reply is nested under its parent");
}

#[tokio::test]
async fn closed_and_hidden_items_take_no_comments() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (closed, _) = published_post(&app, &admin, json!({"comments_allowed": false})).await;
    let draft =
        app.create_post(&admin, json!({"title": "Draft", "body": "x", "status": "draft"})).await["id"]
            .as_i64()
            .unwrap();
    let browser = Browser::new(&app, "closed");

    let refused = guest_comment(&app, &browser, closed, true, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert_eq!(refused.json()["message"], "comments are closed on this item");
    let page = guest_comment(&app, &browser, closed, false, &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let document = Html::parse_document(&page.text());
    assert!(select(&document, "form#comment-form").is_empty(), "no form on a closed item");
    assert_eq!(select(&document, "p.comments-closed").len(), 1);

    let hidden = guest_comment(&app, &browser, draft, false, &[]).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(guest_comment(&app, &browser, draft, true, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(guest_comment(&app, &browser, 999_999, true, &[]).await.status, StatusCode::NOT_FOUND);
    assert!(stored_comments(&app, &admin, closed).await.is_empty());
}

#[tokio::test]
async fn the_captcha_is_asked_of_guests_when_the_setting_says_so() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    app.set_setting("comments.captcha", "true").await;
    let (post, _) = published_post(&app, &admin, json!({})).await;
    let mut browser = Browser::new(&app, "captcha");

    let none = guest_comment(&app, &browser, post, true, &[]).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.json()["error"], "captcha_failed");
    assert_eq!(none.json()["field"], "captcha_answer");

    // The form shows the picture from its own URL (so the page can be shared).
    let page = guest_comment(&app, &browser, post, false, &[]).await;
    let document = Html::parse_document(&page.text());
    let picture = select(&document, "form#comment-form img.captcha-image")[0];
    assert_eq!(picture.value().attr("src"), Some("/interact/captcha"));
    assert!(!picture.value().attr("alt").unwrap_or("").is_empty());
    assert_eq!(select(&document, "input[name=captcha_answer][aria-invalid=true]").len(), 1);
    assert_eq!(select(&document, "label[for=comment-captcha]").len(), 1);

    let image =
        app.call_with_headers(Method::GET, "/interact/captcha", &[("cookie", &browser.cookie)], None).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert_eq!(image.header("cache-control"), Some("no-store"));
    assert!(image.body.starts_with(b"\x89PNG"));
    let set = image.header("set-cookie").expect("the picture's id in a cookie");
    assert!(set.contains("HttpOnly") && set.contains("Path=/"), "{set}");
    let captcha_cookie = set.split(';').next().unwrap().to_string();
    browser.cookie = format!("{}; {captcha_cookie}", browser.cookie);
    let answer = app.captcha.last_answer().unwrap();

    let wrong = guest_comment(&app, &browser, post, true, &[("captcha_answer", "wrong")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    // The picture is used up by any check: the right answer needs a new one.
    let late = guest_comment(&app, &browser, post, true, &[("captcha_answer", &answer)]).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);

    let image =
        app.call_with_headers(Method::GET, "/interact/captcha", &[("cookie", &browser.cookie)], None).await;
    let captcha_cookie = image.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    browser.cookie = format!("{}; {captcha_cookie}", Browser::new(&app, "captcha").cookie);
    let answer = app.captcha.last_answer().unwrap();
    let right = guest_comment(&app, &browser, post, false, &[("captcha_answer", &answer)]).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text());
    assert_eq!(stored_comments(&app, &admin, post).await.len(), 1);

    // Signed-in readers are not asked (the core decides; the section shows no picture).
    let (reader, _) = app.user("member", Role::Subscriber).await;
    let item = app.core.get_item(&Actor::Anonymous, post, None).await.unwrap().item;
    let principal_actor = member_actor(&app, &reader).await;
    let section =
        CommentSection::build(&app.core, &principal_actor, Some(&reader), &item, &SectionQuery::default())
            .await
            .unwrap();
    assert!(section.captcha.is_none());
    let html = render_comments(&section);
    let document = Html::parse_fragment(&html);
    assert!(select(&document, "input[name=author_name]").is_empty());
    assert_eq!(
        select(&document, "p.comment-as a[href='/authors/member']")[0].text().collect::<String>(),
        "member"
    );
    assert!(app.core.captcha_widget().is_none(), "the test app draws built-in pictures");
}

#[tokio::test]
async fn ten_comments_a_minute_from_one_address_then_429() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (post, _) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "flood");
    app.set_client_ip(Some("203.0.113.9"));
    for n in 0..10 {
        let body = format!("comment {n}");
        let ok = guest_comment(&app, &browser, post, n % 2 == 0, &[("body", &body)]).await;
        assert!(ok.status == StatusCode::SEE_OTHER || ok.status == StatusCode::CREATED, "{n}: {}", ok.text());
    }
    let limited = guest_comment(&app, &browser, post, true, &[]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["error"], "rate_limited");
    assert!(limited.header("retry-after").is_some());
    let page = guest_comment(&app, &browser, post, false, &[("body", "kept text")]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.header("retry-after").is_some());
    let document = Html::parse_document(&page.text());
    assert_eq!(select(&document, "p.notice.notice-error[role=alert]").len(), 1);
    assert_eq!(select(&document, "textarea[name=body]")[0].text().collect::<String>(), "kept text");
    // Another address is not held back.
    app.set_client_ip(Some("203.0.113.10"));
    assert_eq!(guest_comment(&app, &browser, post, true, &[]).await.status, StatusCode::CREATED);
    assert_eq!(stored_comments(&app, &admin, post).await.len(), 11);
}

// ----- likes -----

#[tokio::test]
async fn likes_on_posts_comments_and_notes_work_without_and_with_javascript_once_each() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    app.set_setting("comments.moderation", "off").await;
    let (post, slug) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "liker");
    let comment = guest_comment(&app, &browser, post, true, &[]).await.json()["id"].as_i64().unwrap();
    let note = app.post("/api/v1/notes", Some(&admin), json!({"body": "A short note"})).await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    let note = note.json()["id"].as_i64().unwrap();
    let like = |kind: &'static str, id: i64, json: bool, browser: &'static str| {
        let app = &app;
        async move {
            let id = id.to_string();
            let browser = Browser::new(app, browser);
            submit(app, "/interact/like", &browser, json, &[("target_kind", kind), ("target_id", &id)]).await
        }
    };

    assert_eq!(location(&like("post", post, false, "one").await), format!("/posts/{slug}#like"));
    assert_eq!(
        location(&like("comment", comment, false, "one").await),
        format!("/posts/{slug}#comment-{comment}")
    );
    assert_eq!(location(&like("note", note, false, "one").await), format!("/notes#note-{note}"));

    let again = like("post", post, true, "one").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["liked"], true);
    assert_eq!(again.json()["count"], 1, "the same visitor liking again changes nothing");
    assert_eq!(again.json()["changed"], false);
    let second = like("post", post, true, "two").await.json();
    assert_eq!((second["count"].as_i64(), second["changed"].as_bool()), (Some(2), Some(true)));
    assert_eq!(like("comment", comment, true, "two").await.json()["count"], 2);
    assert_eq!(like("note", note, true, "one").await.json()["count"], 1);

    // The counts are the core's, as the native API shows them.
    assert_eq!(app.get(&format!("/api/v1/posts/{post}"), None).await.json()["like_count"], 2);
    assert_eq!(public_comments(&app, post).await[0]["like_count"], 2);
    assert_eq!(app.get(&format!("/api/v1/notes/{note}"), None).await.json()["like_count"], 1);

    // What may not be liked or seen.
    assert_eq!(like("post", 999_999, true, "one").await.status, StatusCode::NOT_FOUND);
    assert_eq!(like("post", 999_999, false, "one").await.status, StatusCode::NOT_FOUND);
    let bad = like("photo", post, true, "one").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["field"], "target_kind");
    let tokenless = app
        .form(
            Method::POST,
            "/interact/like",
            &[("cookie", Browser::new(&app, "three").cookie.as_str())],
            &[("target_kind", "post"), ("target_id", &post.to_string())],
        )
        .await;
    assert_eq!(tokenless.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/posts/{post}"), None).await.json()["like_count"], 2);
}

// ----- friend links -----

#[tokio::test]
async fn a_link_application_is_stored_for_review_and_refusals_keep_the_fields() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let browser = Browser::new(&app, "friend");
    let fields = [
        ("name", "Friendly Blog"),
        ("url", "https://friend.example"),
        ("image", ""),
        ("description", "We write about ink."),
    ];
    let applied = submit(&app, "/links/apply", &browser, false, &fields).await;
    assert_eq!(location(&applied), "/links?applied=1#apply");
    let listed = app.get("/api/v1/friend-links?applied=true", Some(&admin)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
    let items = listed.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["name"].as_str(), items[0]["visible"].as_bool()),
        (Some("Friendly Blog"), Some(false))
    );
    let public = app.get("/api/v1/friend-links", None).await.json();
    assert_eq!(public["items"].as_array().unwrap().len(), 0, "pending applications are not public");

    let json_ok =
        submit(&app, "/links/apply", &browser, true, &[("name", "Other"), ("url", "https://other.example")])
            .await;
    assert_eq!(json_ok.status, StatusCode::CREATED, "{}", json_ok.text());
    assert_eq!(json_ok.json()["status"], "pending");

    let duplicate = submit(&app, "/links/apply", &browser, true, &fields).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let page =
        submit(&app, "/links/apply", &browser, false, &[("name", "Bad <b>"), ("url", "javascript:alert(1)")])
            .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let document = Html::parse_document(&page.text());
    let form = select(&document, "form#link-apply-form[action='/links/apply'][method=post]");
    assert_eq!(form.len(), 1);
    assert_eq!(select(&document, "#link-apply-form p.notice.notice-error[role=alert]").len(), 1);
    assert_eq!(select(&document, "input[name=name]")[0].value().attr("value"), Some("Bad <b>"));
    assert_eq!(select(&document, "input[name=url][aria-invalid=true]").len(), 1);

    app.set_setting("links.application_captcha", "true").await;
    let without =
        submit(&app, "/links/apply", &browser, true, &[("name", "C"), ("url", "https://c.example")]).await;
    assert_eq!(without.json()["error"], "captcha_failed");
    app.set_setting("links.applications_open", "false").await;
    let closed =
        submit(&app, "/links/apply", &browser, true, &[("name", "C"), ("url", "https://c.example")]).await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/friend-links?applied=true", Some(&admin)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_link_apply_partial_shows_the_form_and_the_notice() {
    let theme = Theme::embedded();
    let section = json!({"open": true, "applied": true, "captcha": null, "form": {"name": "", "url": "", "image": "", "description": ""}, "error": null});
    let html = theme
        .render(
            "partials/link-apply.html",
            minijinja::context! { lang => "en", link_apply => minijinja::Value::from_serialize(&section) },
        )
        .unwrap();
    let document = Html::parse_fragment(&html);
    assert_eq!(select(&document, "section#apply form#link-apply-form[action='/links/apply']").len(), 1);
    assert_eq!(
        select(&document, "p.notice[role=status]")[0].text().collect::<String>(),
        "Thank you, your application is waiting for review."
    );
    for name in ["name", "url", "image", "description"] {
        let field = select(&document, &format!("[name={name}]"));
        let id = field[0].value().attr("id").unwrap();
        assert_eq!(select(&document, &format!("label[for={id}]")).len(), 1, "{name} has a label");
    }
}

// ----- the partials -----

/// `partials/comments.html` with `section` as `comments`, in English.
fn render_comments(section: &CommentSection) -> String {
    Theme::embedded()
        .render(
            "partials/comments.html",
            minijinja::context! { lang => "en", comments => minijinja::Value::from_serialize(section) },
        )
        .expect("the partial renders")
}

/// The core actor of a signed-in `user`, as the site's reader gets it from a session.
async fn member_actor(app: &TestApp, user: &inkstone_core::model::User) -> Actor {
    let session = member_session(app, user).await;
    let auth = app.core.authenticate_session(&session, None).await.unwrap().expect("a session");
    Actor::User(auth.principal)
}

/// A session cookie value for `user` (password `password123`).
async fn member_session(app: &TestApp, user: &inkstone_core::model::User) -> String {
    app.core.login(&user.username, "password123", false, None).await.expect("login").session_token
}

#[tokio::test]
async fn a_signed_in_reader_comments_under_their_name_without_moderation_or_captcha() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    app.set_setting("comments.captcha", "true").await;
    let (post, slug) = published_post(&app, &admin, json!({})).await;
    let (member, _) = app.user("member", Role::Subscriber).await;
    let session = member_session(&app, &member).await;
    let mut browser = Browser::new(&app, "member");
    browser.cookie = format!("{}; inkstone_session={session}", browser.cookie);
    let answer = submit(
        &app,
        "/interact/comment",
        &browser,
        false,
        &[("item_id", &post.to_string()), ("body", "Signed in")],
    )
    .await;
    let stored = stored_comments(&app, &admin, post).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(location(&answer), format!("/posts/{slug}?comment=approved#comment-{}", stored[0].0));
    assert_eq!(public_comments(&app, post).await[0]["author"]["user"]["username"], "member");
}

#[tokio::test]
async fn the_comment_partial_nests_replies_escapes_authors_and_drops_unsafe_links() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    app.set_setting("comments.moderation", "off").await;
    let (post, slug) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "render");
    let hostile = "<script>alert('x')</script>";
    let first = guest_comment(
        &app,
        &browser,
        post,
        true,
        &[("author_name", hostile), ("author_url", "https://site.example/me")],
    )
    .await
    .json()["id"]
        .as_i64()
        .unwrap();
    let parent = first.to_string();
    let reply = guest_comment(
        &app,
        &browser,
        post,
        true,
        &[("parent_id", &parent), ("body", "**bold** <img src=x onerror=alert(1)>")],
    )
    .await
    .json()["id"]
        .as_i64()
        .unwrap();

    let item = app.core.get_item(&Actor::Anonymous, post, None).await.unwrap().item;
    let query = SectionQuery { reply: Some(first), comment: Some("approved".into()) };
    let mut section = CommentSection::build(&app.core, &Actor::Anonymous, None, &item, &query).await.unwrap();
    assert_eq!(section.count, 2);
    assert_eq!(section.reply_to.as_ref().map(|r| r.id), Some(first));
    assert_eq!(section.item_url, format!("/posts/{slug}"));
    // Whatever stored it, a `javascript:` URL never becomes a link.
    let mut views = app.core.item_comments(&Actor::Anonymous, post, Default::default()).await.unwrap().items;
    views[1].author_url = Some("javascript:alert(1)".into());
    views[1].author_avatar = Some("javascript:alert(2)".into());
    let thread = inkstone_site::interact::comment_thread(&views, &app.core.settings());
    assert_eq!(thread[0].children[0].author.url, None);
    assert_eq!(thread[0].children[0].author.avatar, None);
    section.thread = thread;

    let html = render_comments(&section);
    assert!(!html.contains("<script>alert"), "the author name is escaped");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("onerror"), "the body is the core's sanitized HTML");
    let document = Html::parse_fragment(&html);
    let top = select(&document, "section#comments > ol.comment-list > li.comment");
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].value().attr("id"), Some(format!("comment-{first}").as_str()));
    let author = select(&document, &format!("#comment-{first} .comment-author a"))[0];
    assert_eq!(author.text().collect::<String>(), hostile);
    assert_eq!(author.value().attr("href"), Some("https://site.example/me"));
    assert_eq!(author.value().attr("rel"), Some("nofollow ugc noopener"));
    let nested =
        select(&document, &format!("li#comment-{first} > ol.comment-children > li.comment#comment-{reply}"));
    assert_eq!(nested.len(), 1);
    assert_eq!(
        select(&document, &format!("#comment-{reply} .comment-body strong"))[0].text().collect::<String>(),
        "bold"
    );
    assert!(select(&document, &format!("#comment-{reply} .comment-author a")).is_empty());
    assert_eq!(
        select(&document, &format!("#comment-{first} time[datetime]")).len(),
        2,
        "its own and its reply's"
    );
    assert_eq!(select(&document, &format!("a.comment-reply[href='?reply={reply}#comment-form']")).len(), 1);
    let like =
        select(&document, &format!("#comment-{reply} form.like-form[action='/interact/like'][method=post]"));
    assert_eq!(like.len(), 1);
    assert_eq!(
        select(&document, &format!("#comment-{reply} input[name=target_kind][value=comment]")).len(),
        1
    );
    let button = select(&document, &format!("#comment-{reply} button.like-button"))[0];
    assert_eq!(button.value().attr("aria-pressed"), Some("false"));
    assert_eq!(button.value().attr("aria-label"), Some("Like this comment (0)"));
    assert_eq!(
        select(&document, &format!("#comment-{reply} button.like-button span.like-count"))[0]
            .text()
            .collect::<String>(),
        "0"
    );
    assert_eq!(
        select(&document, "p.notice[role=status]")[0].text().collect::<String>(),
        "Thank you, your comment is published."
    );

    // The form: the contract's fields, the reply target, labels for every input.
    let form = select(&document, "form#comment-form[action='/interact/comment'][method=post]");
    assert_eq!(form.len(), 1);
    for name in ["_token", "item_id", "parent_id", "author_name", "author_email", "author_url", "website"] {
        assert_eq!(select(&document, &format!("form#comment-form input[name={name}]")).len(), 1, "{name}");
    }
    assert_eq!(select(&document, "form#comment-form textarea[name=body]").len(), 1);
    assert_eq!(select(&document, "form#comment-form button[type=submit]").len(), 1);
    assert_eq!(select(&document, "input[name=parent_id]")[0].value().attr("value"), Some(parent.as_str()));
    assert_eq!(
        select(&document, "input[name=item_id]")[0].value().attr("value"),
        Some(post.to_string().as_str())
    );
    for field in select(&document, "form#comment-form input:not([type=hidden]), form#comment-form textarea") {
        let id = field.value().attr("id").expect("an id");
        assert_eq!(select(&document, &format!("label[for={id}]")).len(), 1, "{id} has a label");
    }
    assert!(
        html.contains(inkstone_site::theme::FORM_TOKEN_PLACEHOLDER),
        "the token is filled in per visitor"
    );
}

#[tokio::test]
async fn the_like_partial_labels_the_button_for_the_post() {
    let html = Theme::embedded()
        .render(
            "partials/like.html",
            minijinja::context! { lang => "zh-CN", like_target => minijinja::context! { kind => "post", id => 7, count => 3 } },
        )
        .unwrap();
    let document = Html::parse_fragment(&html);
    let form = select(&document, "form.like-form#like[action='/interact/like'][method=post]");
    assert_eq!(form.len(), 1);
    assert_eq!(select(&document, "input[name=target_kind]")[0].value().attr("value"), Some("post"));
    assert_eq!(select(&document, "input[name=target_id]")[0].value().attr("value"), Some("7"));
    let button = select(&document, "button.like-button[type=submit]")[0];
    assert_eq!(button.value().attr("aria-label"), Some("赞这篇文章（3）"));
    assert_eq!(select(&document, "span.like-count")[0].text().collect::<String>(), "3");
}

#[tokio::test]
async fn deep_threads_stop_nesting_at_five_levels_and_keep_every_reply_in_order() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    app.set_setting("comments.moderation", "off").await;
    let (post, _) = published_post(&app, &admin, json!({})).await;
    let browser = Browser::new(&app, "deep");
    let mut ids = Vec::new();
    for n in 0..8 {
        let parent = ids.last().map(|id: &i64| id.to_string()).unwrap_or_default();
        let body = format!("level {n}");
        let answer =
            guest_comment(&app, &browser, post, true, &[("parent_id", &parent), ("body", &body)]).await;
        ids.push(answer.json()["id"].as_i64().unwrap());
    }
    let item = app.core.get_item(&Actor::Anonymous, post, None).await.unwrap().item;
    let section = CommentSection::build(&app.core, &Actor::Anonymous, None, &item, &SectionQuery::default())
        .await
        .unwrap();
    assert_eq!(section.count, 8);
    let document = Html::parse_fragment(&render_comments(&section));
    let deepest = "ol.comment-list > li > ol.comment-children > li > ol.comment-children > li > ol.comment-children > li > ol.comment-children > li";
    let at_five: Vec<String> =
        select(&document, deepest).iter().map(|li| li.value().attr("id").unwrap().to_string()).collect();
    let expected: Vec<String> = ids[4..].iter().map(|id| format!("comment-{id}")).collect();
    assert_eq!(at_five, expected, "levels 5 to 8 are listed in order at level 5");
    assert!(select(&document, &format!("{deepest} ol.comment-children")).is_empty());
}
