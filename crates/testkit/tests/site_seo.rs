//! What search engines and link previews read in a page's head: the description, the
//! canonical link, Open Graph, Twitter card, JSON-LD and the feeds of a page, rendered by
//! the default theme from `seo::post_meta`, `seo::list_meta` and `seo::home_meta`.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::{Request, StatusCode};
use inkstone_core::Actor;
use inkstone_core::model::Role;
use inkstone_site::views::PostFull;
use inkstone_site::{Reader, Site, SiteState, Theme, seo};
use inkstone_testkit::TestApp;
use scraper::{Html, Selector};
use serde_json::{Value, json};

const SITE: &str = "https://blog.example";

/// The reader of a request for `path`, as a page handler gets it.
async fn reader_for(app: &TestApp, path: &str) -> Reader {
    let state = SiteState::new(inkstone_http::AppState::new(app.core.clone()), Arc::new(Site::embedded()));
    let (mut parts, ()) = Request::get(path).body(()).unwrap().into_parts();
    Reader::from_request_parts(&mut parts, &state).await.unwrap()
}

/// A whole page (the home template in the default layout) with `meta` in its context.
fn render_page(reader: &Reader, meta: minijinja::Value) -> Html {
    let context =
        minijinja::context! { meta => meta, posts => Vec::<()>::new(), ..reader.layout_context(None) };
    let html = Theme::embedded().render("index.html", context).expect("the page renders");
    Html::parse_document(&html)
}

fn attr(document: &Html, selector: &str, name: &str) -> Option<String> {
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).next().and_then(|e| e.value().attr(name)).map(str::to_string)
}

fn property(document: &Html, property: &str) -> Option<String> {
    attr(document, &format!("meta[property='{property}']"), "content")
}

fn named(document: &Html, name: &str) -> Option<String> {
    attr(document, &format!("meta[name='{name}']"), "content")
}

fn all_properties(document: &Html, property: &str) -> Vec<String> {
    let selector = Selector::parse(&format!("meta[property='{property}']")).unwrap();
    document.select(&selector).filter_map(|e| e.value().attr("content")).map(str::to_string).collect()
}

/// The page's JSON-LD blocks, parsed; and a check that every other script is an external
/// file (the CSP allows no inline script, and a JSON-LD data block is never executed).
fn json_ld(document: &Html) -> Vec<Value> {
    let scripts = Selector::parse("script").unwrap();
    let mut blocks = Vec::new();
    for script in document.select(&scripts) {
        if script.value().attr("type") == Some("application/ld+json") {
            let text: String = script.text().collect();
            blocks.push(
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON-LD is JSON ({e}): {text}")),
            );
        } else {
            let src =
                script.value().attr("src").unwrap_or_else(|| panic!("inline script: {}", script.html()));
            assert!(src.starts_with("/assets/"), "{src}");
            assert!(script.inner_html().trim().is_empty(), "{}", script.html());
        }
    }
    blocks
}

async fn publish(app: &TestApp, token: &str, body: Value) -> PostFull {
    let created = app.create_post(token, body).await;
    let view = app.core.get_item(&Actor::Anonymous, created["id"].as_i64().unwrap(), None).await.unwrap();
    PostFull::new(&view, &app.core.settings())
}

async fn site(app: &TestApp) -> String {
    app.set_setting("site.url", SITE).await;
    app.set_setting("site.title", "Inkstone Notes").await;
    app.set_setting("site.description", "A blog about type systems").await;
    let (_, token) = app.user("ada", Role::Admin).await;
    let tech = app.post("/api/v1/categories", Some(&token), json!({"name": "Tech", "slug": "tech"})).await;
    assert_eq!(tech.status, StatusCode::CREATED);
    token
}

#[tokio::test]
async fn a_post_has_open_graph_twitter_and_blog_posting_json_ld_with_absolute_urls() {
    let app = TestApp::new().await;
    let token = site(&app).await;
    let post = publish(
        &app,
        &token,
        json!({
            "title": "Lifetimes in practice",
            "slug": "lifetimes",
            "status": "published",
            "published_at": "2025-12-01T08:00:00Z",
            "excerpt": "How borrowing really works.",
            "body": "Long body.",
            "cover": "/media/cover.png",
            "cover_text": "A crab",
            "categories": ["tech"],
            "tags": ["rust", "types"],
        }),
    )
    .await;
    let reader = reader_for(&app, "/posts/lifetimes").await;
    let page = render_page(&reader, seo::post_meta(&reader, &post));
    let url = format!("{SITE}/posts/lifetimes");
    assert_eq!(attr(&page, "link[rel=canonical]", "href"), Some(url.clone()));
    assert_eq!(named(&page, "description").as_deref(), Some("How borrowing really works."));
    assert_eq!(property(&page, "og:title").as_deref(), Some("Lifetimes in practice"));
    assert_eq!(property(&page, "og:description").as_deref(), Some("How borrowing really works."));
    assert_eq!(property(&page, "og:type").as_deref(), Some("article"));
    assert_eq!(property(&page, "og:url"), Some(url.clone()));
    assert_eq!(property(&page, "og:site_name").as_deref(), Some("Inkstone Notes"));
    assert_eq!(property(&page, "og:locale").as_deref(), Some("en_US"));
    assert_eq!(property(&page, "og:image").as_deref(), Some("https://blog.example/media/cover.png"));
    assert_eq!(property(&page, "og:image:alt").as_deref(), Some("A crab"));
    assert_eq!(property(&page, "article:published_time").as_deref(), Some("2025-12-01T08:00:00Z"));
    assert!(property(&page, "article:modified_time").is_some());
    assert_eq!(property(&page, "article:author").as_deref(), Some("https://blog.example/authors/ada"));
    assert_eq!(property(&page, "article:section").as_deref(), Some("Tech"));
    assert_eq!(all_properties(&page, "article:tag"), ["rust", "types"]);
    assert_eq!(named(&page, "twitter:card").as_deref(), Some("summary_large_image"));
    assert_eq!(named(&page, "twitter:image").as_deref(), Some("https://blog.example/media/cover.png"));
    assert_eq!(named(&page, "twitter:title").as_deref(), Some("Lifetimes in practice"));

    let blocks = json_ld(&page);
    assert_eq!(blocks.len(), 1);
    let ld = &blocks[0];
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "BlogPosting");
    assert_eq!(ld["headline"], "Lifetimes in practice");
    assert_eq!(ld["description"], "How borrowing really works.");
    assert_eq!(ld["datePublished"], "2025-12-01T08:00:00Z");
    assert_eq!(ld["dateModified"], post.summary.updated.iso.as_str());
    assert_eq!(
        ld["author"],
        json!({"@type": "Person", "name": "ada", "url": "https://blog.example/authors/ada"})
    );
    assert_eq!(ld["publisher"]["@type"], "Organization");
    assert_eq!(ld["publisher"]["name"], "Inkstone Notes");
    assert_eq!(ld["image"], json!(["https://blog.example/media/cover.png"]));
    assert_eq!(ld["mainEntityOfPage"], json!({"@type": "WebPage", "@id": url}));
    assert_eq!(ld["keywords"], "rust, types");

    // Without a cover: a plain summary card and no image anywhere.
    let plain =
        publish(&app, &token, json!({"title": "No picture", "status": "published", "body": "Text only."}))
            .await;
    let page = render_page(&reader, seo::post_meta(&reader, &plain));
    assert_eq!(named(&page, "twitter:card").as_deref(), Some("summary"));
    assert_eq!(property(&page, "og:image"), None);
    assert!(json_ld(&page)[0].get("image").is_none());
}

#[tokio::test]
async fn a_hostile_title_cannot_break_out_of_the_json_ld_block() {
    let app = TestApp::new().await;
    let token = site(&app).await;
    let hostile = "</script><script>alert(1)</script> & 'quotes' <!--";
    let post = publish(
        &app,
        &token,
        json!({"title": hostile, "slug": "hostile", "status": "published", "body": "x", "tags": ["</script>"]}),
    )
    .await;
    let reader = reader_for(&app, "/posts/hostile").await;
    let context = minijinja::context! { meta => seo::post_meta(&reader, &post), posts => Vec::<()>::new(), ..reader.layout_context(None) };
    let html = Theme::embedded().render("index.html", context).unwrap();
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert_eq!(html.matches("</script>").count(), 2, "site.js and the JSON-LD block close once each: {html}");
    let page = Html::parse_document(&html);
    let blocks = json_ld(&page);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0]["headline"], hostile);
    assert_eq!(blocks[0]["keywords"], "</script>");
    assert_eq!(property(&page, "og:title").as_deref(), Some(hostile));
    assert_eq!(all_properties(&page, "article:tag"), ["</script>"]);
}

#[tokio::test]
async fn a_protected_post_describes_the_site_not_its_secret() {
    let app = TestApp::new().await;
    let token = site(&app).await;
    let post = publish(
        &app,
        &token,
        json!({"title": "Locked", "status": "published", "password": "pw", "excerpt": "secret-excerpt", "body": "secret-body"}),
    )
    .await;
    let reader = reader_for(&app, "/posts/locked").await;
    let context = minijinja::context! { meta => seo::post_meta(&reader, &post), posts => Vec::<()>::new(), ..reader.layout_context(None) };
    let html = Theme::embedded().render("index.html", context).unwrap();
    assert!(!html.contains("secret-"), "{html}");
    let page = Html::parse_document(&html);
    assert_eq!(named(&page, "description").as_deref(), Some("A blog about type systems"));
    assert!(json_ld(&page)[0].get("description").is_none());
}

#[tokio::test]
async fn the_home_page_has_website_json_ld_with_a_search_action() {
    let app = TestApp::new().await;
    site(&app).await;
    app.set_setting("site.language", "zh-CN").await;
    let reader = reader_for(&app, "/").await;
    let page = render_page(&reader, seo::home_meta(&reader));
    assert_eq!(property(&page, "og:type").as_deref(), Some("website"));
    assert_eq!(property(&page, "og:locale").as_deref(), Some("zh_CN"));
    assert_eq!(property(&page, "og:url").as_deref(), Some("https://blog.example/"));
    assert_eq!(named(&page, "twitter:card").as_deref(), Some("summary"));
    let ld = &json_ld(&page)[0];
    assert_eq!(ld["@type"], "WebSite");
    assert_eq!(ld["name"], "Inkstone Notes");
    assert_eq!(ld["url"], "https://blog.example/");
    assert_eq!(ld["description"], "A blog about type systems");
    assert_eq!(ld["potentialAction"]["@type"], "SearchAction");
    assert_eq!(
        ld["potentialAction"]["target"]["urlTemplate"],
        "https://blog.example/search?q={search_term_string}"
    );
    assert_eq!(ld["potentialAction"]["query-input"], "required name=search_term_string");
    // `list_meta` on `/` is the same as `home_meta`.
    let listed =
        render_page(&reader, seo::list_meta(&reader, "Inkstone Notes", Some("A blog about type systems")));
    assert_eq!(json_ld(&listed), json_ld(&page));
}

#[tokio::test]
async fn category_and_tag_pages_link_their_own_feeds_and_other_lists_only_the_site_feeds() {
    let app = TestApp::new().await;
    site(&app).await;
    let feeds = |page: &Html| -> Vec<(String, String, String)> {
        let selector = Selector::parse("link[rel=alternate]").unwrap();
        page.select(&selector)
            .map(|l| {
                let get = |n: &str| l.value().attr(n).unwrap_or_default().to_string();
                (get("type"), get("title"), get("href"))
            })
            .collect()
    };
    let reader = reader_for(&app, "/categories/tech?page=2").await;
    let page = render_page(&reader, seo::list_meta(&reader, "Tech", None));
    assert_eq!(
        feeds(&page),
        [
            ("application/rss+xml".into(), "Inkstone Notes".into(), "/feed.xml".into()),
            ("application/atom+xml".into(), "Inkstone Notes".into(), "/atom.xml".into()),
            (
                "application/rss+xml".into(),
                "Inkstone Notes · Tech".into(),
                "/categories/tech/feed.xml".into()
            ),
            (
                "application/atom+xml".into(),
                "Inkstone Notes · Tech".into(),
                "/categories/tech/atom.xml".into()
            ),
        ]
    );
    assert_eq!(
        attr(&page, "link[rel=canonical]", "href").as_deref(),
        Some("https://blog.example/categories/tech?page=2")
    );
    assert_eq!(property(&page, "og:title").as_deref(), Some("Tech"));
    assert_eq!(named(&page, "description").as_deref(), Some("A blog about type systems"));
    assert!(json_ld(&page).is_empty());
    // The linked feeds exist.
    for (_, _, href) in feeds(&page) {
        assert_eq!(app.get(&href, None).await.status, StatusCode::OK, "{href}");
    }
    let reader = reader_for(&app, "/tags/rust").await;
    let page = render_page(&reader, seo::list_meta(&reader, "rust", None));
    assert_eq!(feeds(&page)[3].2, "/tags/rust/atom.xml");
    let reader = reader_for(&app, "/archives/2025/12").await;
    assert_eq!(feeds(&render_page(&reader, seo::list_meta(&reader, "December", None))).len(), 2);
}

#[tokio::test]
async fn the_real_home_page_has_the_head_tags_and_no_inline_script() {
    let app = TestApp::new().await;
    site(&app).await;
    let response = app.get("/", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let page = Html::parse_document(&response.text());
    assert_eq!(attr(&page, "link[rel=canonical]", "href").as_deref(), Some("https://blog.example/"));
    assert_eq!(named(&page, "description").as_deref(), Some("A blog about type systems"));
    assert_eq!(property(&page, "og:site_name").as_deref(), Some("Inkstone Notes"));
    assert_eq!(property(&page, "og:url").as_deref(), Some("https://blog.example/"));
    assert_eq!(property(&page, "og:type").as_deref(), Some("website"));
    assert_eq!(named(&page, "twitter:card").as_deref(), Some("summary"));
    // Whether or not the home page passes `meta` yet, no script runs inline.
    for block in json_ld(&page) {
        assert_eq!(block["@type"], "WebSite");
    }
}
