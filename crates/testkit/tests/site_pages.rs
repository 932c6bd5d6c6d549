//! The reading pages through the real router: every route, the permalink shapes and their
//! redirects, hidden posts, categories, month archives in a non-UTC zone, search in
//! Chinese and English, the password form, notes, links, escaping and the languages.

use axum::http::{Method, StatusCode, header};
use inkstone_core::model::{ItemStatus, Role};
use inkstone_testkit::{TestApp, TestResponse};
use scraper::{Html, Selector};
use serde_json::{Value, json};

fn page(response: &TestResponse) -> Html {
    Html::parse_document(&response.text())
}

fn all(document: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).map(|e| e.text().collect::<String>().trim().to_string()).collect()
}

fn attrs(document: &Html, selector: &str, name: &str) -> Vec<String> {
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).filter_map(|e| e.value().attr(name).map(str::to_string)).collect()
}

fn location(response: &TestResponse) -> &str {
    response.header("location").expect("a Location header")
}

async fn publish(app: &TestApp, token: &str, mut body: Value) -> Value {
    if body.get("status").is_none() {
        body["status"] = json!("published");
    }
    app.create_post(token, body).await
}

/// Every reading page has the layout's landmarks and exactly one `h1`.
fn assert_layout(response: &TestResponse) -> Html {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let document = page(response);
    for landmark in ["header.site-header", "main#main", "footer.site-footer", "html[lang]"] {
        assert_eq!(all(&document, landmark).len(), 1, "one {landmark}");
    }
    assert_eq!(all(&document, "h1").len(), 1, "exactly one h1");
    document
}

#[tokio::test]
async fn a_post_answers_at_every_permalink_shape_and_redirects_to_the_configured_one() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    publish(
        &app,
        &token,
        json!({"title": "Hello", "slug": "hello", "body": "Some *text*.", "tags": ["greeting"]}),
    )
    .await;

    let post = app.get("/posts/hello", None).await;
    let document = assert_layout(&post);
    assert_eq!(all(&document, "article.post h1.post-title"), ["Hello"]);
    assert_eq!(all(&document, "article.post .post-content em"), ["text"]);
    assert_eq!(attrs(&document, ".post-meta time", "datetime"), ["2026-01-01T00:00:00Z"]);
    assert_eq!(attrs(&document, ".post-meta a[rel=tag]", "href"), ["/tags/greeting"]);
    assert_eq!(attrs(&document, ".post-meta a[rel=author]", "href"), ["/authors/alice"]);
    assert_eq!(attrs(&document, "link[rel=canonical]", "href"), ["http://127.0.0.1:8080/posts/hello"]);
    assert_eq!(post.header("cache-control"), Some("no-cache"));

    for other in ["/archives/hello", "/2026/01/hello", "/2025/07/hello", "/pages/hello"] {
        let moved = app.get(other, None).await;
        if other == "/pages/hello" {
            assert_eq!(moved.status, StatusCode::NOT_FOUND, "a post is not a page");
            continue;
        }
        assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY, "{other}");
        assert_eq!(location(&moved), "/posts/hello");
    }
    assert_eq!(app.get("/2026/13/hello", None).await.status, StatusCode::NOT_FOUND);

    app.set_setting("site.permalink", "date").await;
    let moved = app.get("/posts/hello?x=1", None).await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&moved), "/2026/01/hello?x=1", "the query is kept");
    assert_layout(&app.get("/2026/01/hello", None).await);
    let home = page(&app.get("/", None).await);
    assert_eq!(attrs(&home, "article.post-card h2 a", "href"), ["/2026/01/hello"]);

    app.set_setting("site.permalink", "archives").await;
    assert_layout(&app.get("/archives/hello", None).await);
    assert_eq!(location(&app.get("/2026/01/hello", None).await), "/archives/hello");
}

#[tokio::test]
async fn a_changed_slug_redirects_from_the_old_address() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let post = publish(&app, &token, json!({"title": "Moving", "slug": "old-name", "body": "text"})).await;
    let patched =
        app.patch(&format!("/api/v1/posts/{}", post["id"]), Some(&token), json!({"slug": "new-name"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    let moved = app.get("/posts/old-name", None).await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&moved), "/posts/new-name");
    assert_layout(&app.get("/posts/new-name", None).await);
    assert_eq!(app.get("/posts/never-was", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_live_at_their_slug_and_redirect_links_answer_302() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ed", Role::Editor).await;
    publish(&app, &token, json!({"kind": "page", "title": "About me", "slug": "about", "body": "Who I am."}))
        .await;
    publish(&app, &token, json!({"kind": "page", "title": "Tag list", "slug": "tags", "body": "All tags."}))
        .await;
    publish(
        &app,
        &token,
        json!({"title": "Elsewhere", "slug": "elsewhere", "body": "x", "redirect_url": "https://example.org/there"}),
    )
    .await;

    let about = assert_layout(&app.get("/about", None).await);
    assert_eq!(all(&about, "article.post h1.post-title"), ["About me"]);
    assert_eq!(location(&app.get("/pages/about", None).await), "/about");
    // A reserved first segment: the page lives under /pages/.
    let tags = assert_layout(&app.get("/pages/tags", None).await);
    assert_eq!(all(&tags, ".post-content"), ["All tags."]);
    assert_eq!(app.get("/no-such-page", None).await.status, StatusCode::NOT_FOUND);

    let redirect = app.get("/posts/elsewhere", None).await;
    assert_eq!(redirect.status, StatusCode::FOUND);
    assert_eq!(location(&redirect), "https://example.org/there");
}

#[tokio::test]
async fn drafts_private_scheduled_and_trashed_posts_are_not_found_for_anonymous_readers() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    publish(&app, &token, json!({"title": "Draft", "slug": "draft", "body": "x", "status": "draft"})).await;
    publish(&app, &token, json!({"title": "Private", "slug": "private", "body": "x", "status": "private"}))
        .await;
    publish(
        &app,
        &token,
        json!({"title": "Later", "slug": "later", "body": "x", "status": "scheduled", "published_at": "2026-06-01T00:00:00Z"}),
    )
    .await;
    let trashed = publish(&app, &token, json!({"title": "Gone", "slug": "gone", "body": "x"})).await;
    let trash =
        app.call(Method::POST, &format!("/api/v1/posts/{}/trash", trashed["id"]), Some(&token), None).await;
    assert_eq!(trash.status, StatusCode::OK);
    for slug in ["draft", "private", "later", "gone"] {
        let response = app.get(&format!("/posts/{slug}"), None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{slug}");
        assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
    }
    let home = page(&app.get("/", None).await);
    assert!(all(&home, "article.post-card").is_empty(), "nothing public on the home page");
    assert_eq!(app.get("/?page=2", None).await.status, StatusCode::NOT_FOUND, "beyond the end");
    assert_eq!(app.get("/?page=99999999", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_category_lists_its_descendants_posts_and_its_sub_categories() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ed", Role::Editor).await;
    let tech = app
        .post(
            "/api/v1/categories",
            Some(&token),
            json!({"name": "Tech", "slug": "tech", "description": "Machines."}),
        )
        .await
        .json();
    let rust = app
        .post(
            "/api/v1/categories",
            Some(&token),
            json!({"name": "Rust", "slug": "rust", "parent_id": tech["id"]}),
        )
        .await
        .json();
    assert!(rust["id"].is_i64(), "{rust}");
    publish(
        &app,
        &token,
        json!({"title": "Machines", "slug": "machines", "body": "x", "categories": [tech["id"]]}),
    )
    .await;
    publish(&app, &token, json!({"title": "Borrowing", "slug": "borrowing", "body": "x", "categories": [rust["id"]], "tags": ["memory"]}))
        .await;
    publish(&app, &token, json!({"title": "Elsewhere", "slug": "other", "body": "x"})).await;

    let response = app.get("/categories/tech", None).await;
    let document = assert_layout(&response);
    assert_eq!(all(&document, "h1"), ["Tech"]);
    assert_eq!(all(&document, ".list-description"), ["Machines."]);
    let mut titles = all(&document, "article.post-card h2 a");
    titles.sort();
    assert_eq!(titles, ["Borrowing", "Machines"]);
    assert_eq!(attrs(&document, "nav.subcategories a", "href"), ["/categories/rust"]);
    let feeds = attrs(&document, "head link[rel=alternate]", "href");
    assert!(feeds.contains(&"/categories/tech/feed.xml".to_string()), "{feeds:?}");
    assert!(feeds.contains(&"/categories/tech/atom.xml".to_string()), "{feeds:?}");
    for card in ["article.post-card time[datetime]", "article.post-card p.excerpt"] {
        assert_eq!(all(&document, card).len(), 2, "{card}");
    }

    let child = page(&app.get("/categories/rust", None).await);
    assert_eq!(all(&child, "article.post-card h2 a"), ["Borrowing"]);
    assert!(all(&child, "nav.subcategories").is_empty());
    assert_eq!(attrs(&child, ".breadcrumb a", "href"), ["/categories/tech"]);

    let tag = assert_layout(&app.get("/tags/memory", None).await);
    assert_eq!(all(&tag, "article.post-card h2 a"), ["Borrowing"]);
    assert!(attrs(&tag, "head link[rel=alternate]", "href").contains(&"/tags/memory/feed.xml".to_string()));
    assert_eq!(app.get("/categories/nope", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/tags/nope", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn month_archives_follow_the_site_time_zone() {
    let app = TestApp::new().await;
    app.set_setting("site.time_zone", "Asia/Shanghai").await;
    let (_, token) = app.user("alice", Role::Author).await;
    // 01:00 on 1 January in Shanghai, and 23:00 on 31 December.
    publish(
        &app,
        &token,
        json!({"title": "New year", "slug": "new-year", "body": "x", "published_at": "2025-12-31T17:00:00Z"}),
    )
    .await;
    publish(
        &app,
        &token,
        json!({"title": "Old year", "slug": "old-year", "body": "x", "published_at": "2025-12-31T15:00:00Z"}),
    )
    .await;

    let archive = assert_layout(&app.get("/archives", None).await);
    assert_eq!(attrs(&archive, ".archive-months a", "href"), ["/archives/2026/01", "/archives/2025/12"]);
    assert_eq!(all(&archive, ".archive-months .count"), ["1 posts", "1 posts"]);

    let january = assert_layout(&app.get("/archives/2026/01", None).await);
    assert_eq!(all(&january, "article.post-card h2 a"), ["New year"]);
    assert_eq!(attrs(&january, "article.post-card time", "datetime"), ["2026-01-01T01:00:00+08:00"]);
    let december = page(&app.get("/archives/2025/12", None).await);
    assert_eq!(all(&december, "article.post-card h2 a"), ["Old year"]);
    for missing in ["/archives/2025/11", "/archives/2025/13", "/archives/25/12", "/archives/2026/01?page=2"] {
        assert_eq!(app.get(missing, None).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
    // The dated permalink uses the same zone.
    app.set_setting("site.permalink", "date").await;
    assert_layout(&app.get("/2026/01/new-year", None).await);
    assert_eq!(location(&app.get("/posts/old-year", None).await), "/2025/12/old-year");
}

#[tokio::test]
async fn search_finds_chinese_and_english_words_and_keeps_the_query_in_pager_links() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    publish(&app, &token, json!({"title": "海边", "slug": "sea", "body": "夜里，远处的灯塔亮了起来。"}))
        .await;
    publish(
        &app,
        &token,
        json!({"title": "Ownership", "slug": "own", "body": "Rust checks ownership at compile time."}),
    )
    .await;
    for n in 0..3 {
        publish(
            &app,
            &token,
            json!({"title": format!("Lamp {n}"), "slug": format!("lamp-{n}"), "body": "a lamp post"}),
        )
        .await;
    }

    let form = assert_layout(&app.get("/search", None).await);
    assert_eq!(attrs(&form, "form.search-form[action='/search'] input[name=q]", "name"), ["q"]);
    assert!(all(&form, "p.search-summary").is_empty(), "no query, no results");

    let chinese = assert_layout(&app.get("/search?q=%E7%81%AF%E5%A1%94", None).await);
    assert_eq!(all(&chinese, "article.post-card h2 a"), ["海边"]);
    assert!(all(&chinese, "p.search-summary")[0].contains("灯塔"));
    assert_eq!(attrs(&chinese, "input[name=q]", "value"), ["灯塔"]);

    let english = page(&app.get("/search?q=ownership", None).await);
    assert_eq!(all(&english, "article.post-card h2 a"), ["Ownership"]);
    let nothing = page(&app.get("/search?q=zebra", None).await);
    assert!(all(&nothing, "article.post-card").is_empty());
    assert_eq!(all(&nothing, "p.search-summary"), ["0 results for “zebra”"]);

    app.set_setting("content.page_size", "2").await;
    let first = page(&app.get("/search?q=lamp", None).await);
    assert_eq!(all(&first, "article.post-card").len(), 2);
    assert_eq!(attrs(&first, "nav.pager a[rel=next]", "href"), ["/search?q=lamp&page=2"]);
    let second = page(&app.get("/search?q=lamp&page=2", None).await);
    assert_eq!(all(&second, "article.post-card").len(), 1);
    assert_eq!(attrs(&second, "nav.pager a[rel=prev]", "href"), ["/search?q=lamp"]);
    assert_eq!(app.get("/search?q=lamp&page=3", None).await.status, StatusCode::NOT_FOUND);
}

/// The visitor cookie (`name=value`) and form token a page gave.
fn visitor_and_token(response: &TestResponse, selector: &str) -> (String, String) {
    let cookie = response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("inkstone_visitor="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a visitor cookie");
    let token =
        attrs(&page(response), &format!("{selector} input[name=_token]"), "value").pop().expect("a token");
    (cookie, token)
}

#[tokio::test]
async fn a_protected_post_opens_with_its_password_and_wrong_ones_are_limited() {
    let app = TestApp::new().await;
    app.set_client_ip(Some("203.0.113.9"));
    let (_, token) = app.user("alice", Role::Author).await;
    let post = publish(
        &app,
        &token,
        json!({"title": "Secret", "slug": "secret", "body": "The treasure is here.", "password": "sesame"}),
    )
    .await;
    let id = post["id"].as_i64().unwrap().to_string();

    let locked = app.get("/posts/secret", None).await;
    let document = assert_layout(&locked);
    assert!(!locked.text().contains("treasure"), "the body stays hidden");
    assert!(all(&document, ".post-content").is_empty());
    assert_eq!(
        attrs(&document, "form.unlock-form[action='/interact/unlock'] input[name=item_id]", "value"),
        [id.as_str()]
    );
    let home = page(&app.get("/", None).await);
    assert!(!all(&home, "p.excerpt")[0].contains("treasure"));
    let (visitor, form_token) = visitor_and_token(&locked, "form.unlock-form");
    let headers = [("cookie", visitor.as_str())];

    let forged = app
        .form(
            Method::POST,
            "/interact/unlock",
            &headers,
            &[("_token", "nope"), ("item_id", &id), ("password", "sesame")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.header("set-cookie").is_none());

    let wrong = app
        .form(
            Method::POST,
            "/interact/unlock",
            &headers,
            &[("_token", &form_token), ("item_id", &id), ("password", "guess")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let wrong_page = page(&wrong);
    assert_eq!(all(&wrong_page, "p.notice-error[role=alert]").len(), 1);
    assert_eq!(all(&wrong_page, "form.unlock-form").len(), 1, "the form again");
    assert!(!wrong.text().contains("treasure"));

    let right = app
        .form(
            Method::POST,
            "/interact/unlock",
            &headers,
            &[("_token", &form_token), ("item_id", &id), ("password", "sesame")],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/posts/secret");
    let set = right.header("set-cookie").expect("an unlock cookie");
    assert!(set.starts_with(&format!("inkstone_unlock_{id}=")), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
    assert!(!set.contains("sesame"), "the password is sealed");
    let unlock = set.split(';').next().unwrap().to_string();

    let cookies = format!("{visitor}; {unlock}");
    let opened = app.call_with_headers(Method::GET, "/posts/secret", &[("cookie", &cookies)], None).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert_eq!(all(&page(&opened), ".post-content"), ["The treasure is here."]);
    assert_eq!(opened.header("cache-control"), Some("private, no-cache"));
    // Others still get the shared, locked page.
    let again = app.get("/posts/secret", None).await;
    assert!(!again.text().contains("treasure"));
    assert_eq!(again.header("cache-control"), Some("no-cache"));
    // A forged unlock cookie opens nothing.
    let forged_cookie = format!("inkstone_unlock_{id}=AAAA");
    let forged =
        app.call_with_headers(Method::GET, "/posts/secret", &[("cookie", &forged_cookie)], None).await;
    assert!(!forged.text().contains("treasure"));

    // Wrong guesses from one address end in a lockout, even for the right password.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let response = app
            .form(
                Method::POST,
                "/interact/unlock",
                &headers,
                &[("_token", &form_token), ("item_id", &id), ("password", "guess")],
            )
            .await;
        statuses.push(response.status);
    }
    assert_eq!(statuses[..8], [StatusCode::FORBIDDEN; 8]);
    assert_eq!(statuses[9], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let locked_out = app
        .form(
            Method::POST,
            "/interact/unlock",
            &headers,
            &[("_token", &form_token), ("item_id", &id), ("password", "sesame")],
        )
        .await;
    assert_eq!(locked_out.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked_out.header("set-cookie").is_none());
}

#[tokio::test]
async fn notes_and_friend_links_show_only_what_is_public() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ed", Role::Admin).await;
    let note = app
        .post("/api/v1/notes", Some(&token), json!({"body": "Rain **today**.", "tags": ["weather"]}))
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    app.clock.advance(chrono::Duration::minutes(1));
    app.post("/api/v1/notes", Some(&token), json!({"body": "Sun later."})).await;
    app.post("/api/v1/notes", Some(&token), json!({"body": "Only mine.", "private": true})).await;
    let notes = assert_layout(&app.get("/notes", None).await);
    assert_eq!(all(&notes, "article.note .note-content"), ["Sun later.", "Rain today."], "newest first");
    assert_eq!(all(&notes, "article.note .note-content strong"), ["today"]);
    assert_eq!(all(&notes, "article.note .chip"), ["#weather"]);
    assert_eq!(app.get("/notes?page=2", None).await.status, StatusCode::NOT_FOUND);

    let link = app
        .post(
            "/api/v1/friend-links",
            Some(&token),
            json!({"name": "Friend", "url": "https://friend.example", "description": "A good blog"}),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text());
    app.post(
        "/api/v1/friend-links",
        Some(&token),
        json!({"name": "Hidden", "url": "https://hidden.example", "visible": false}),
    )
    .await;
    let links = assert_layout(&app.get("/links", None).await);
    assert_eq!(attrs(&links, ".link-list a", "href"), ["https://friend.example"]);
    assert_eq!(all(&links, ".link-list p"), ["A good blog"]);
}

#[tokio::test]
async fn an_author_page_shows_their_published_posts_and_profile() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    app.user("reader", Role::Subscriber).await;
    let me = app
        .patch("/api/v1/me", Some(&token), json!({"display_name": "Alice Liddell", "bio": "Writes things."}))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    publish(&app, &token, json!({"title": "Mine", "slug": "mine", "body": "x"})).await;
    publish(
        &app,
        &token,
        json!({"title": "Unfinished", "slug": "unfinished", "body": "x", "status": "draft"}),
    )
    .await;
    let author = assert_layout(&app.get("/authors/alice", None).await);
    assert_eq!(all(&author, "h1"), ["Alice Liddell"]);
    assert_eq!(all(&author, ".list-description"), ["Writes things."]);
    assert_eq!(all(&author, "article.post-card h2 a"), ["Mine"]);
    assert!(!app.get("/authors/alice", None).await.text().contains("alice@example.com"));
    for missing in ["/authors/nobody", "/authors/reader", "/authors/alice@example.com"] {
        assert_eq!(app.get(missing, None).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn hostile_titles_are_escaped_everywhere() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    let hostile = "<script>alert(1)</script> & \"quotes\"";
    publish(&app, &token, json!({"title": hostile, "slug": "hostile", "body": "<script>alert(2)</script>fine", "tags": ["<b>bold</b>"]}))
        .await;
    for path in ["/", "/posts/hostile", "/search?q=fine", "/archives/2026/01"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        let html = response.text();
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<b>bold"), "{path}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"), "{path}");
    }
}

#[tokio::test]
async fn the_site_speaks_chinese_when_the_setting_says_so() {
    let app = TestApp::new().await;
    let (_, token) = app.user("alice", Role::Author).await;
    publish(&app, &token, json!({"title": "你好", "slug": "hello", "body": "正文", "password": "pw"})).await;
    app.set_setting("site.language", "zh-CN").await;
    let home = assert_layout(&app.get("/", None).await);
    assert_eq!(attrs(&home, "html", "lang"), ["zh-CN"]);
    assert_eq!(all(&home, ".skip-link"), ["跳到正文"]);
    assert_eq!(all(&home, ".site-nav a"), ["归档", "微语", "友情链接", "搜索"]);
    assert_eq!(all(&home, "p.excerpt"), ["这篇文章受密码保护。"]);
    let post = page(&app.get("/posts/hello", None).await);
    assert_eq!(all(&post, ".unlock-form label"), ["密码"]);
    assert_eq!(all(&post, ".unlock-form button"), ["解锁"]);
    let missing = page(&app.get("/nowhere", None).await);
    assert_eq!(all(&missing, "h1"), ["页面不存在"]);
    let archive = page(&app.get("/archives", None).await);
    assert_eq!(all(&archive, ".archive-months a"), ["2026 年 01 月"]);
}

#[tokio::test]
async fn posts_link_to_their_neighbours_and_lists_page_through() {
    let app = TestApp::new().await;
    app.set_setting("content.page_size", "2").await;
    let (_, token) = app.user("alice", Role::Editor).await;
    // p3 and p4 share an instant: publication order breaks the tie by id, so neither is
    // skipped by the other's links.
    let dates = ["2025-10-01T00:00:00Z", "2025-11-01T00:00:00Z", "2025-12-01T00:00:00Z"];
    let tied = ["2025-12-15T00:00:00Z"; 2];
    for (n, at) in dates.iter().chain(&tied).enumerate() {
        publish(
            &app,
            &token,
            json!({"title": format!("Post {n}"), "slug": format!("p{n}"), "body": "x", "published_at": at}),
        )
        .await;
    }
    // A page and a draft in between are not posts a reader pages through.
    publish(&app, &token, json!({"kind": "page", "title": "About", "slug": "about", "body": "x", "published_at": "2025-11-15T00:00:00Z"})).await;
    app.create_post(
        &token,
        json!({"title": "Draft", "slug": "draft", "body": "x", "published_at": "2025-11-20T00:00:00Z"}),
    )
    .await;

    let neighbours = |path: &'static str| {
        let app = &app;
        async move {
            let document = page(&app.get(path, None).await);
            (
                attrs(&document, "nav.post-nav a[rel=prev]", "href"),
                attrs(&document, "nav.post-nav a[rel=next]", "href"),
            )
        }
    };
    let none = Vec::<String>::new;
    assert_eq!(neighbours("/posts/p0").await, (none(), vec!["/posts/p1".to_string()]));
    assert_eq!(neighbours("/posts/p1").await, (vec!["/posts/p0".to_string()], vec!["/posts/p2".to_string()]));
    assert_eq!(neighbours("/posts/p2").await, (vec!["/posts/p1".to_string()], vec!["/posts/p3".to_string()]));
    assert_eq!(neighbours("/posts/p3").await, (vec!["/posts/p2".to_string()], vec!["/posts/p4".to_string()]));
    assert_eq!(neighbours("/posts/p4").await, (vec!["/posts/p3".to_string()], none()));

    let first = page(&app.get("/", None).await);
    assert_eq!(all(&first, "article.post-card h2 a"), ["Post 4", "Post 3"]);
    assert_eq!(attrs(&first, "nav.pager a[rel=next]", "href"), ["/?page=2"]);
    let second = page(&app.get("/?page=2", None).await);
    assert_eq!(all(&second, "article.post-card h2 a"), ["Post 2", "Post 1"]);
    assert_eq!(attrs(&second, "nav.pager a[rel=prev]", "href"), ["/"]);
    let third = page(&app.get("/?page=3", None).await);
    assert_eq!(all(&third, "article.post-card h2 a"), ["Post 0"]);
}

#[tokio::test]
async fn chinese_markdown_from_the_corpus_renders_as_readable_pages() {
    let app = TestApp::new().await;
    let (author, _) = app.user("importer", Role::Author).await;
    let source = std::path::Path::new("/work/shared/corpus/markdown-zh/cloudwego-blog");
    if !source.is_dir() {
        panic!("the corpus is missing at {}", source.display());
    }
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "news__1st_RPCKitex.md",
        "news__Kitex_perf_optimize_practices.md",
        "releases__Kitex__release-v030.md",
    ] {
        std::fs::copy(source.join(name), dir.path().join(name)).expect("corpus file");
    }
    let options =
        inkstone_server::import::ImportOptions { status: ItemStatus::Published, author_id: author.id };
    let report = inkstone_server::import::import_markdown(&app.core, dir.path(), &options, |_, _, _| {})
        .await
        .expect("import");
    assert_eq!(report.files.len(), 3, "{}", report.summary());

    let home = assert_layout(&app.get("/", None).await);
    let links = attrs(&home, "article.post-card h2 a", "href");
    assert_eq!(links.len(), 3, "{links:?}");
    let titles = all(&home, "article.post-card h2 a");
    assert!(titles.iter().any(|t| t.contains("Kitex")), "{titles:?}");
    for link in links {
        let response = app.get(&link, None).await;
        let document = assert_layout(&response);
        let text = all(&document, "article.post .post-content").join("");
        assert!(text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count() > 100, "{link}");
        let content = Selector::parse(".post-content").unwrap();
        let html = document.select(&content).map(|e| e.inner_html()).collect::<String>();
        assert!(!html.contains("<script") && !html.contains("target=\"_blank\" onclick"), "{link}");
    }
    let search = page(&app.get("/search?q=%E5%BC%80%E6%BA%90", None).await);
    assert!(!all(&search, "article.post-card").is_empty(), "开源 is found");
}
