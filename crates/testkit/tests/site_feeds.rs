//! The site's feeds (RSS 2.0 and Atom for the site, each category and each tag),
//! `sitemap.xml` and `robots.txt`, read back as a feed reader and a crawler would.

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const SITE: &str = "https://blog.example";

/// What `seed` made: the API JSON of each item.
struct Seeded {
    token: String,
    english: Value,
    chinese: Value,
    protected: Value,
    nested: Value,
    draft: Value,
    private: Value,
    trashed: Value,
    page: Value,
}

async fn category(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post("/api/v1/categories", Some(token), body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

/// A site at `SITE` with categories `tech` > `rust` and `life`, published posts in English
/// and Chinese, a protected one, one only in the sub-category, a draft, a private post, a
/// trashed post and a page.
async fn seed(app: &TestApp) -> Seeded {
    app.set_setting("site.url", SITE).await;
    app.set_setting("site.title", "墨砚 Inkstone").await;
    app.set_setting("site.description", "Notes on Rust and 中文").await;
    let (_, token) = app.user("editor", Role::Admin).await;
    let tech = category(app, &token, json!({"name": "技术", "slug": "tech"})).await;
    category(app, &token, json!({"name": "Rust", "slug": "rust", "parent_id": tech["id"]})).await;
    category(app, &token, json!({"name": "Life", "slug": "life"})).await;
    let english = app
        .create_post(
            &token,
            json!({
                "title": "Hello <Rust> & friends",
                "slug": "hello-rust",
                "status": "published",
                "published_at": "2025-12-01T08:00:00Z",
                "body": "Intro paragraph.\n\n<!-- more -->\n\nSee [the about page](/about) and ![a cat](/media/cat.png).\n\n<script>alert(1)</script><p onclick=\"x()\">clicky</p>",
                "categories": ["tech"],
                "tags": ["rust", "intro"],
            }),
        )
        .await;
    let chinese = app
        .create_post(
            &token,
            json!({
                "title": "你好，世界",
                "slug": "ni-hao",
                "status": "published",
                "published_at": "2025-12-03T08:00:00Z",
                "body": "这是一篇中文文章，讨论排版与「标点」。",
                "categories": ["life"],
                "tags": ["中文"],
            }),
        )
        .await;
    let protected = app
        .create_post(
            &token,
            json!({
                "title": "Locked notes",
                "slug": "locked",
                "status": "published",
                "published_at": "2025-12-02T08:00:00Z",
                "password": "open sesame",
                "body": "The secret text zebra-quartz.",
                "tags": ["rust"],
            }),
        )
        .await;
    let nested = app
        .create_post(
            &token,
            json!({
                "title": "Borrowing explained",
                "slug": "borrowing",
                "status": "published",
                "published_at": "2025-11-20T08:00:00Z",
                "body": "Ownership and borrowing.",
                "categories": ["rust"],
            }),
        )
        .await;
    let draft = app
        .create_post(
            &token,
            json!({"title": "Unfinished draft", "slug": "draft-one", "body": "wip", "categories": ["rust"], "tags": ["rust"]}),
        )
        .await;
    let private = app
        .create_post(
            &token,
            json!({"title": "Private diary", "slug": "diary", "status": "private", "body": "mine", "tags": ["intro"]}),
        )
        .await;
    let trashed = app
        .create_post(
            &token,
            json!({"title": "Gone soon", "slug": "gone", "status": "published", "published_at": "2025-12-04T08:00:00Z", "body": "bye"}),
        )
        .await;
    let trash = app.post(&format!("/api/v1/posts/{}/trash", trashed["id"]), Some(&token), json!({})).await;
    assert!(trash.status.is_success(), "{}", trash.text());
    let page = app
        .create_post(
            &token,
            json!({"kind": "page", "title": "About", "slug": "about", "status": "published", "body": "Who writes here."}),
        )
        .await;
    Seeded { token, english, chinese, protected, nested, draft, private, trashed, page }
}

fn post_url(post: &Value) -> String {
    format!("{SITE}/posts/{}", post["slug"].as_str().unwrap())
}

fn rss(response: &TestResponse) -> rss::Channel {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/rss+xml; charset=utf-8"));
    rss::Channel::read_from(&response.body[..]).expect("valid RSS 2.0")
}

fn atom(response: &TestResponse) -> atom_syndication::Feed {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/atom+xml; charset=utf-8"));
    atom_syndication::Feed::read_from(&response.body[..]).expect("valid Atom 1.0")
}

fn titles_rss(channel: &rss::Channel) -> Vec<&str> {
    channel.items().iter().map(|item| item.title().unwrap_or_default()).collect()
}

fn titles_atom(feed: &atom_syndication::Feed) -> Vec<&str> {
    feed.entries().iter().map(|entry| entry.title().as_str()).collect()
}

#[tokio::test]
async fn the_site_rss_feed_holds_published_posts_newest_first_with_sanitized_content() {
    let app = TestApp::new().await;
    let seeded = seed(&app).await;
    let response = app.get("/feed.xml", None).await;
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert!(response.header("etag").is_some() && response.header("last-modified").is_some());
    let text = response.text();
    assert!(text.contains("xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""), "{text}");
    let channel = rss(&response);
    assert_eq!(channel.title(), "墨砚 Inkstone");
    assert_eq!(channel.link(), format!("{SITE}/"));
    assert_eq!(channel.description(), "Notes on Rust and 中文");
    assert_eq!(channel.language(), Some("en"));
    let self_link = &channel.extensions()["atom"]["link"][0];
    assert_eq!(self_link.attrs["rel"], "self");
    assert_eq!(self_link.attrs["href"], format!("{SITE}/feed.xml"));
    // Posts only, published and public, newest first; no draft, private, trashed or page.
    assert_eq!(
        titles_rss(&channel),
        ["你好，世界", "Locked notes", "Hello <Rust> & friends", "Borrowing explained"]
    );
    for hidden in [&seeded.draft, &seeded.private, &seeded.trashed, &seeded.page] {
        assert!(
            !text.contains(hidden["title"].as_str().unwrap()),
            "{} leaked into the feed",
            hidden["title"]
        );
    }
    // Chinese text is intact, and lastBuildDate is the newest entry's update.
    let chinese = &channel.items()[0];
    assert_eq!(chinese.link(), Some(post_url(&seeded.chinese).as_str()));
    assert!(chinese.content().unwrap().contains("这是一篇中文文章，讨论排版与「标点」。"));
    let newest_update = ["english", "chinese", "protected", "nested"]
        .iter()
        .map(|key| {
            let post = match *key {
                "english" => &seeded.english,
                "chinese" => &seeded.chinese,
                "protected" => &seeded.protected,
                _ => &seeded.nested,
            };
            chrono::DateTime::parse_from_rfc3339(post["updated_at"].as_str().unwrap()).unwrap()
        })
        .max()
        .unwrap();
    let built = chrono::DateTime::parse_from_rfc2822(channel.last_build_date().unwrap()).unwrap();
    assert_eq!(built, newest_update);

    let english = &channel.items()[2];
    assert_eq!(english.link(), Some(post_url(&seeded.english).as_str()));
    assert_eq!(english.link(), Some(format!("{SITE}/posts/hello-rust").as_str()));
    let guid = english.guid().unwrap();
    assert!(guid.is_permalink());
    assert_eq!(guid.value(), post_url(&seeded.english));
    let published = chrono::DateTime::parse_from_rfc2822(english.pub_date().unwrap()).unwrap();
    assert_eq!(published.to_rfc3339(), "2025-12-01T08:00:00+00:00");
    assert_eq!(english.dublin_core_ext().unwrap().creators(), ["editor"]);
    let terms: Vec<&str> = english.categories().iter().map(|c| c.name()).collect();
    assert_eq!(terms, ["技术", "rust", "intro"]);
    assert_eq!(english.categories()[0].domain(), Some(format!("{SITE}/categories/tech").as_str()));
    assert_eq!(english.description(), Some("Intro paragraph."));
    let content = english.content().expect("full content");
    assert!(content.contains("clicky"), "{content}");
    assert!(
        !content.contains("<script") && !content.contains("onclick") && !content.contains("alert(1)"),
        "{content}"
    );
    // Site-relative links are absolute: a feed reader has no page to resolve them against.
    assert!(content.contains(&format!("href=\"{SITE}/about\"")), "{content}");
    assert!(content.contains(&format!("src=\"{SITE}/media/cat.png\"")), "{content}");
    // The protected post: title, link and date, but neither excerpt nor content.
    let locked = &channel.items()[1];
    assert_eq!(locked.link(), Some(post_url(&seeded.protected).as_str()));
    assert_eq!(locked.content(), None);
    assert_eq!(locked.description(), None);
    assert!(!text.contains("zebra-quartz"));
    let locked_xml =
        text.split("<title>Locked notes</title>").nth(1).and_then(|rest| rest.split("</item>").next());
    let locked_xml = locked_xml.expect("the locked item");
    assert!(!locked_xml.contains("content:encoded") && !locked_xml.contains("<description>"), "{locked_xml}");
}

#[tokio::test]
async fn the_site_atom_feed_says_the_same_in_atom() {
    let app = TestApp::new().await;
    let seeded = seed(&app).await;
    let feed = atom(&app.get("/atom.xml", None).await);
    assert_eq!(feed.title().as_str(), "墨砚 Inkstone");
    assert_eq!(feed.id(), format!("{SITE}/atom.xml"));
    assert_eq!(feed.lang(), Some("en"));
    let link = |rel: &str| feed.links().iter().find(|l| l.rel() == rel).map(|l| l.href().to_string());
    assert_eq!(link("self"), Some(format!("{SITE}/atom.xml")));
    assert_eq!(link("alternate"), Some(format!("{SITE}/")));
    assert_eq!(
        titles_atom(&feed),
        ["你好，世界", "Locked notes", "Hello <Rust> & friends", "Borrowing explained"]
    );
    let newest = feed.entries().iter().map(|e| *e.updated()).max().unwrap();
    assert_eq!(*feed.updated(), newest);

    let english = &feed.entries()[2];
    assert_eq!(english.id(), post_url(&seeded.english));
    assert_eq!(english.links()[0].href(), post_url(&seeded.english));
    assert_eq!(english.published().unwrap().to_rfc3339(), "2025-12-01T08:00:00+00:00");
    assert_eq!(
        english.updated().to_rfc3339(),
        chrono::DateTime::parse_from_rfc3339(seeded.english["updated_at"].as_str().unwrap())
            .unwrap()
            .to_rfc3339()
    );
    assert_eq!(english.authors()[0].name(), "editor");
    assert_eq!(english.authors()[0].uri(), Some(format!("{SITE}/authors/editor").as_str()));
    let terms: Vec<&str> = english.categories().iter().map(|c| c.term()).collect();
    assert_eq!(terms, ["技术", "rust", "intro"]);
    assert_eq!(english.summary().map(|s| s.as_str()), Some("Intro paragraph."));
    let content = english.content().expect("content");
    assert_eq!(content.content_type(), Some("html"));
    let html = content.value().unwrap();
    assert!(html.contains("clicky") && !html.contains("<script") && !html.contains("onclick"), "{html}");
    assert!(html.contains(&format!("src=\"{SITE}/media/cat.png\"")), "{html}");
    assert!(feed.entries()[0].content().unwrap().value().unwrap().contains("讨论排版与「标点」"));
    let locked = &feed.entries()[1];
    assert!(locked.content().is_none() && locked.summary().is_none());
}

#[tokio::test]
async fn category_feeds_include_sub_categories_and_tag_feeds_hold_only_their_posts() {
    let app = TestApp::new().await;
    seed(&app).await;
    let tech = rss(&app.get("/categories/tech/feed.xml", None).await);
    assert_eq!(tech.title(), "墨砚 Inkstone · 技术");
    assert_eq!(tech.link(), format!("{SITE}/categories/tech"));
    assert_eq!(titles_rss(&tech), ["Hello <Rust> & friends", "Borrowing explained"]);
    assert_eq!(
        tech.extensions()["atom"]["link"][0].attrs["href"],
        format!("{SITE}/categories/tech/feed.xml")
    );
    let rust = atom(&app.get("/categories/rust/atom.xml", None).await);
    assert_eq!(rust.title().as_str(), "墨砚 Inkstone · Rust");
    assert_eq!(titles_atom(&rust), ["Borrowing explained"]);
    let life = atom(&app.get("/categories/life/atom.xml", None).await);
    assert_eq!(titles_atom(&life), ["你好，世界"]);

    // The tag `rust` has the protected post and the English one (the draft is not shown).
    let tag = rss(&app.get("/tags/rust/feed.xml", None).await);
    assert_eq!(tag.title(), "墨砚 Inkstone · rust");
    assert_eq!(titles_rss(&tag), ["Locked notes", "Hello <Rust> & friends"]);
    assert!(tag.items()[0].content().is_none());
    let tags = app.get("/api/v1/tags", None).await.json();
    let chinese_slug = tags
        .as_array()
        .or_else(|| tags["items"].as_array())
        .unwrap()
        .iter()
        .find(|t| t["name"] == "中文")
        .map(|t| t["slug"].as_str().unwrap().to_string())
        .expect("the Chinese tag");
    let chinese = atom(&app.get(&format!("/tags/{chinese_slug}/atom.xml"), None).await);
    assert_eq!(chinese.title().as_str(), "墨砚 Inkstone · 中文");
    assert_eq!(titles_atom(&chinese), ["你好，世界"]);
    // `intro` is on a private post and the English one: only the public one is listed.
    assert_eq!(titles_rss(&rss(&app.get("/tags/intro/feed.xml", None).await)), ["Hello <Rust> & friends"]);

    for missing in [
        "/categories/nope/feed.xml",
        "/categories/nope/atom.xml",
        "/tags/nope/feed.xml",
        "/tags/nope/atom.xml",
    ] {
        let response = app.get(missing, None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"), "{missing}");
    }
}

#[tokio::test]
async fn feeds_answer_304_to_both_validators_and_change_when_a_post_is_published() {
    let app = TestApp::new().await;
    let seeded = seed(&app).await;
    for path in ["/feed.xml", "/atom.xml", "/tags/rust/atom.xml", "/sitemap.xml"] {
        let first = app.get(path, None).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.header("etag").expect("ETag").to_string();
        let modified = first.header("last-modified").expect("Last-Modified").to_string();
        let by_tag = app.call_with_headers(Method::GET, path, &[("if-none-match", &etag)], None).await;
        assert_eq!(by_tag.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(by_tag.body.is_empty());
        assert_eq!(by_tag.header("etag"), Some(etag.as_str()));
        let by_date =
            app.call_with_headers(Method::GET, path, &[("if-modified-since", &modified)], None).await;
        assert_eq!(by_date.status, StatusCode::NOT_MODIFIED, "{path}");
        let stale = app.call_with_headers(Method::GET, path, &[("if-none-match", "W/\"other\"")], None).await;
        assert_eq!(stale.status, StatusCode::OK, "{path}");
        assert_eq!(stale.body, first.body, "{path}: the cached copy is the same document");
    }
    let before = app.get("/feed.xml", None).await;
    let etag = before.header("etag").unwrap().to_string();
    app.clock.advance(chrono::Duration::hours(1));
    app.create_post(
        &seeded.token,
        json!({"title": "Fresh news", "slug": "fresh", "status": "published", "body": "New.", "tags": ["rust"]}),
    )
    .await;
    let after = app.call_with_headers(Method::GET, "/feed.xml", &[("if-none-match", &etag)], None).await;
    assert_eq!(after.status, StatusCode::OK, "a new post makes the old copy stale");
    assert_ne!(after.header("etag"), Some(etag.as_str()));
    assert_eq!(titles_rss(&rss(&after))[0], "Fresh news");
    assert_ne!(after.header("last-modified"), before.header("last-modified"));
}

#[tokio::test]
async fn a_feed_holds_the_latest_twenty_posts_and_an_empty_site_has_a_valid_empty_feed() {
    let app = TestApp::new().await;
    let empty = rss(&app.get("/feed.xml", None).await);
    assert!(empty.items().is_empty());
    assert!(atom(&app.get("/atom.xml", None).await).entries().is_empty());
    let (_, token) = app.user("writer", Role::Author).await;
    for n in 1..=23 {
        app.create_post(
            &token,
            json!({
                "title": format!("Post {n:02}"),
                "status": "published",
                "published_at": format!("2025-10-{n:02}T12:00:00Z"),
                "body": format!("Body {n}."),
            }),
        )
        .await;
    }
    let channel = rss(&app.get("/feed.xml", None).await);
    let expected: Vec<String> = (4..=23).rev().map(|n| format!("Post {n:02}")).collect();
    assert_eq!(titles_rss(&channel), expected);
    assert_eq!(atom(&app.get("/atom.xml", None).await).entries().len(), 20);
}

/// The `<loc>` values of a sitemap, in order, with their `<lastmod>`.
fn sitemap_urls(xml: &str) -> Vec<(String, Option<String>)> {
    xml.split("<url>")
        .skip(1)
        .map(|url| {
            let between = |open: &str, close: &str| {
                url.split_once(open).and_then(|(_, rest)| rest.split_once(close)).map(|(v, _)| v.to_string())
            };
            (between("<loc>", "</loc>").expect("loc"), between("<lastmod>", "</lastmod>"))
        })
        .collect()
}

#[tokio::test]
async fn the_sitemap_lists_every_published_url_and_nothing_hidden() {
    let app = TestApp::new().await;
    let seeded = seed(&app).await;
    let response = app.get("/sitemap.xml", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("application/xml; charset=utf-8"));
    let xml = response.text();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    let urls = sitemap_urls(&xml);
    let locs: Vec<&str> = urls.iter().map(|(loc, _)| loc.as_str()).collect();
    let mut expected = vec![format!("{SITE}/")];
    for post in [&seeded.english, &seeded.chinese, &seeded.protected, &seeded.nested] {
        expected.push(post_url(post));
    }
    expected.push(format!("{SITE}/about"));
    // `tech` has posts of its own and below it; `rust` and `life` their own.
    expected.extend(["tech", "rust", "life"].map(|slug| format!("{SITE}/categories/{slug}")));
    expected.extend(["rust", "intro"].map(|slug| format!("{SITE}/tags/{slug}")));
    for url in &expected {
        assert!(locs.contains(&url.as_str()), "{url} missing from {locs:?}");
    }
    assert_eq!(locs.iter().filter(|loc| loc.contains("/tags/")).count(), 3, "rust, intro and 中文: {locs:?}");
    assert_eq!(locs.len(), expected.len() + 1, "{locs:?}");
    for hidden in [&seeded.draft, &seeded.private, &seeded.trashed] {
        let slug = hidden["slug"].as_str().unwrap();
        assert!(!locs.iter().any(|loc| loc.ends_with(&format!("/{slug}"))), "{slug} is listed");
    }
    // Each item's lastmod is its update; the home page's the newest post's.
    let english = urls.iter().find(|(loc, _)| *loc == post_url(&seeded.english)).unwrap();
    let updated =
        chrono::DateTime::parse_from_rfc3339(seeded.english["updated_at"].as_str().unwrap()).unwrap();
    let lastmod = chrono::DateTime::parse_from_rfc3339(english.1.as_deref().unwrap()).unwrap();
    assert_eq!(lastmod, updated);
    assert!(urls[0].1.is_some());

    // The permalink setting moves post URLs, and the sitemap follows.
    app.set_setting("site.permalink", "date").await;
    let dated = app.get("/sitemap.xml", None).await.text();
    assert!(dated.contains(&format!("<loc>{SITE}/2025/12/hello-rust</loc>")), "{dated}");
    assert!(!dated.contains("/posts/hello-rust"));
}

#[tokio::test]
async fn the_sitemap_pages_through_every_item() {
    let app = TestApp::new().await;
    app.set_setting("site.url", SITE).await;
    let (_, token) = app.user("writer", Role::Author).await;
    for n in 0..215 {
        app.create_post(&token, json!({"title": format!("Item {n}"), "slug": format!("item-{n}"), "status": "published", "body": "x"}))
            .await;
    }
    let xml = app.get("/sitemap.xml", None).await.text();
    let urls = sitemap_urls(&xml);
    assert_eq!(urls.len(), 216, "the home page and 215 posts");
    for n in 0..215 {
        assert!(xml.contains(&format!("<loc>{SITE}/posts/item-{n}</loc>")), "item-{n}");
    }
}

#[tokio::test]
async fn robots_txt_opens_the_site_closes_the_machinery_and_names_the_sitemap() {
    let app = TestApp::new().await;
    app.set_setting("site.url", SITE).await;
    let response = app.get("/robots.txt", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("text/plain; charset=utf-8"));
    let text = response.text();
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            "User-agent: *",
            "Allow: /",
            "Disallow: /api/",
            "Disallow: /admin/",
            "Disallow: /interact/",
            "Sitemap: https://blog.example/sitemap.xml"
        ]
    );
}
