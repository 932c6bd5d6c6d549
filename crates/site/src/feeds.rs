//! Machine-readable views of the site: RSS 2.0 and Atom feeds (site, category, tag),
//! `sitemap.xml` and `robots.txt`.
//!
//! Feeds hold the latest [`FEED_ENTRIES`] published posts, newest first, read as an
//! anonymous reader (so private posts and drafts never appear); a category's feed includes
//! its sub-categories, as the category page does. Password-protected posts keep their title,
//! link, dates, author and terms but neither excerpt nor content. Every document is cached
//! and validated like a page ([`Reader::respond_document`]): `ETag`, `Last-Modified` (the
//! newest entry's update), `304`, `Cache-Control: no-cache`.

use std::collections::HashMap;

use atom_syndication as atom;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, FixedOffset, Utc};
use inkstone_core::content::{ItemView, ListParams, TermKey};
use inkstone_core::model::{ItemKind, ItemStatus};
use inkstone_core::taxonomy::category_and_descendants;
use inkstone_core::{Actor, Settings};

use crate::reader::{Reader, SiteError};
use crate::views::PostFull;
use crate::{SiteState, urls};

/// `Content-Type` of the RSS feeds.
pub const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
/// `Content-Type` of the Atom feeds.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
/// `Content-Type` of `sitemap.xml`.
pub const SITEMAP_CONTENT_TYPE: &str = "application/xml; charset=utf-8";
/// `Content-Type` of `robots.txt`.
pub const ROBOTS_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
/// Posts in one feed: the latest published.
pub const FEED_ENTRIES: i64 = 20;
/// Most URLs in `sitemap.xml`: the limit of one sitemap file. Past it the newest items are
/// kept and the rest left out (a sitemap index is not made).
pub const SITEMAP_MAX_URLS: usize = 50_000;
/// Items read from the core per page while building the sitemap (the core's maximum).
const SITEMAP_PAGE_SIZE: i64 = 100;
/// The Atom namespace, for RSS's `atom:link`.
const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";
/// What generates the feeds, as they say.
const GENERATOR: &str = "Inkstone";

/// Routes of the feeds and crawler files.
pub fn routes() -> Router<SiteState> {
    Router::new()
        .route("/feed.xml", get(site_rss))
        .route("/atom.xml", get(site_atom))
        .route("/categories/{slug}/feed.xml", get(category_rss))
        .route("/categories/{slug}/atom.xml", get(category_atom))
        .route("/tags/{slug}/feed.xml", get(tag_rss))
        .route("/tags/{slug}/atom.xml", get(tag_atom))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
}

/// The two feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    /// RSS 2.0 with the content and Atom namespaces (`/feed.xml`).
    Rss,
    /// Atom 1.0 (`/atom.xml`).
    Atom,
}

impl FeedFormat {
    /// The file name of the feed under its page's path.
    pub fn file_name(self) -> &'static str {
        match self {
            FeedFormat::Rss => "feed.xml",
            FeedFormat::Atom => "atom.xml",
        }
    }

    /// The media type, as `<link rel=alternate type>` names it.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Atom => "application/atom+xml",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => RSS_CONTENT_TYPE,
            FeedFormat::Atom => ATOM_CONTENT_TYPE,
        }
    }
}

/// The path of a feed of the page at `page_path` (`/` for the site, a category or tag
/// path): `/feed.xml`, `/categories/rust/atom.xml`.
pub fn feed_path(page_path: &str, format: FeedFormat) -> String {
    format!("{}/{}", page_path.trim_end_matches('/'), format.file_name())
}

/// Which posts a feed holds.
enum Scope {
    Site,
    Category(String),
    Tag(String),
}

async fn site_rss(reader: Reader) -> Response {
    feed(reader, Scope::Site, FeedFormat::Rss).await
}

async fn site_atom(reader: Reader) -> Response {
    feed(reader, Scope::Site, FeedFormat::Atom).await
}

async fn category_rss(Path(slug): Path<String>, reader: Reader) -> Response {
    feed(reader, Scope::Category(slug), FeedFormat::Rss).await
}

async fn category_atom(Path(slug): Path<String>, reader: Reader) -> Response {
    feed(reader, Scope::Category(slug), FeedFormat::Atom).await
}

async fn tag_rss(Path(slug): Path<String>, reader: Reader) -> Response {
    feed(reader, Scope::Tag(slug), FeedFormat::Rss).await
}

async fn tag_atom(Path(slug): Path<String>, reader: Reader) -> Response {
    feed(reader, Scope::Tag(slug), FeedFormat::Atom).await
}

async fn feed(reader: Reader, scope: Scope, format: FeedFormat) -> Response {
    let result = feed_response(&reader, scope, format).await;
    reader.finish(result).await
}

/// What a feed says about itself.
struct FeedHead {
    title: String,
    /// The HTML page the feed follows, absolute.
    page_url: String,
    /// The feed itself, absolute.
    self_url: String,
    description: String,
    language: &'static str,
    /// The newest entry's update.
    updated: Option<DateTime<Utc>>,
}

/// One post of a feed.
struct FeedEntry {
    post: PostFull,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
}

async fn feed_response(reader: &Reader, scope: Scope, format: FeedFormat) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let settings = &reader.settings;
    let site_title = settings.site_title();
    let site_description = settings.get("site.description").unwrap_or_default().trim();
    let mut params = ListParams {
        kind: Some(ItemKind::Post),
        status: Some(ItemStatus::Published),
        per_page: Some(FEED_ENTRIES),
        sort: Some("-published_at".into()),
        ..ListParams::default()
    };
    // A term feed is found by its exact slug (the page's URL), not by name as the API does.
    let (title, page_path, description) = match scope {
        Scope::Site => (site_title.to_string(), "/".to_string(), site_description.to_string()),
        Scope::Category(slug) => {
            let category = reader
                .core
                .categories()
                .await?
                .into_iter()
                .find(|c| c.slug == slug)
                .ok_or(SiteError::NotFound)?;
            params.category = Some(TermKey::Id(category.id));
            (
                format!("{site_title} · {}", category.name),
                urls::category_path(&category.slug),
                category.description.unwrap_or_default(),
            )
        }
        Scope::Tag(slug) => {
            let tag =
                reader.core.tags().await?.into_iter().find(|t| t.slug == slug).ok_or(SiteError::NotFound)?;
            params.tag = Some(TermKey::Id(tag.id));
            (
                format!("{site_title} · {}", tag.name),
                urls::tag_path(&tag.slug),
                tag.description.unwrap_or_default(),
            )
        }
    };
    let page = reader.core.list_items(&Actor::Anonymous, params).await?;
    let entries: Vec<FeedEntry> = page.items.iter().map(|view| FeedEntry::new(view, settings)).collect();
    let description = [description.trim(), site_description]
        .into_iter()
        .find(|d| !d.is_empty())
        .map_or_else(|| title.clone(), str::to_string);
    let head = FeedHead {
        page_url: urls::absolute(settings, &page_path),
        self_url: urls::absolute(settings, &feed_path(&page_path, format)),
        title,
        description,
        language: reader.locale.tag(),
        updated: entries.iter().map(|entry| entry.updated).max(),
    };
    let body = match format {
        FeedFormat::Rss => rss_document(&head, &entries, settings),
        FeedFormat::Atom => atom_document(&head, &entries, settings),
    }?;
    Ok(reader.respond_document(format.content_type(), body, head.updated))
}

impl FeedEntry {
    fn new(view: &ItemView, settings: &Settings) -> FeedEntry {
        let item = &view.item;
        FeedEntry {
            post: PostFull::new(view, settings),
            published: item.published_at.unwrap_or(item.created_at),
            updated: item.updated_at,
        }
    }

    /// Excerpt and content are for posts anyone may read: a protected post shows neither.
    fn is_open(&self) -> bool {
        !self.post.summary.protected && !self.post.locked
    }
}

/// An instant in the site's time zone, as feeds write dates.
fn local(at: DateTime<Utc>, settings: &Settings) -> DateTime<FixedOffset> {
    at.with_timezone(&settings.time_zone()).fixed_offset()
}

fn rss_document(head: &FeedHead, entries: &[FeedEntry], settings: &Settings) -> Result<Vec<u8>, SiteError> {
    let mut channel = rss::Channel::default();
    channel.set_title(head.title.clone());
    channel.set_link(head.page_url.clone());
    channel.set_description(head.description.clone());
    channel.set_language(head.language.to_string());
    channel.set_generator(GENERATOR.to_string());
    channel.set_last_build_date(head.updated.map(|at| local(at, settings).to_rfc2822()));
    // `<atom:link rel="self">`, which feed validators ask of RSS too. Written as a plain
    // extension element: the `rss` crate's typed one needs its `builders` feature.
    let self_link = rss::extension::Extension {
        name: "atom:link".into(),
        attrs: [
            ("href".to_string(), head.self_url.clone()),
            ("rel".to_string(), "self".to_string()),
            ("type".to_string(), FeedFormat::Rss.media_type().to_string()),
        ]
        .into(),
        ..rss::extension::Extension::default()
    };
    let links = [("link".to_string(), vec![self_link])].into();
    channel
        .set_extensions([("atom".to_string(), links)].into_iter().collect::<rss::extension::ExtensionMap>());
    channel.set_namespaces(
        [("atom".to_string(), ATOM_NAMESPACE.to_string())]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    );
    let site_url = settings.site_url().trim_end_matches('/');
    let items = entries
        .iter()
        .map(|entry| {
            let summary = &entry.post.summary;
            let mut item = rss::Item::default();
            item.set_title(summary.title.clone());
            item.set_link(summary.absolute_url.clone());
            item.set_guid(rss::Guid { value: summary.absolute_url.clone(), permalink: true });
            item.set_pub_date(local(entry.published, settings).to_rfc2822());
            // RSS's own `<author>` wants an e-mail address, which readers must not see.
            let mut creator = rss::extension::dublincore::DublinCoreExtension::default();
            creator.set_creators(vec![summary.author.name.clone()]);
            item.set_dublin_core_ext(creator);
            let terms = summary.categories.iter().chain(&summary.tags);
            item.set_categories(
                terms
                    .map(|term| rss::Category {
                        name: term.name.clone(),
                        domain: Some(urls::absolute(settings, &term.url)),
                    })
                    .collect::<Vec<_>>(),
            );
            if entry.is_open() {
                if !summary.excerpt.trim().is_empty() {
                    item.set_description(summary.excerpt.clone());
                }
                item.set_content(absolute_links(&entry.post.html, site_url));
            }
            item
        })
        .collect::<Vec<_>>();
    channel.set_items(items);
    channel.write_to(Vec::new()).map_err(|err| SiteError::Render(format!("RSS feed: {err}")))
}

fn atom_document(head: &FeedHead, entries: &[FeedEntry], settings: &Settings) -> Result<Vec<u8>, SiteError> {
    let site_url = settings.site_url().trim_end_matches('/');
    let mut feed = atom::Feed::default();
    feed.set_id(head.self_url.clone());
    feed.set_title(atom::Text::plain(head.title.clone()));
    feed.set_subtitle(Some(atom::Text::plain(head.description.clone())));
    feed.set_lang(Some(head.language.to_string()));
    // An empty feed still needs `updated`: the epoch keeps its bytes (and ETag) stable.
    if let Some(updated) = head.updated {
        feed.set_updated(local(updated, settings));
    }
    feed.set_generator(Some(atom::Generator { value: GENERATOR.into(), ..atom::Generator::default() }));
    feed.set_links(vec![
        atom::Link {
            href: head.page_url.clone(),
            rel: "alternate".into(),
            mime_type: Some("text/html".into()),
            ..atom::Link::default()
        },
        atom::Link {
            href: head.self_url.clone(),
            rel: "self".into(),
            mime_type: Some(FeedFormat::Atom.media_type().into()),
            ..atom::Link::default()
        },
    ]);
    let scheme = |path: &str| Some(urls::absolute(settings, path));
    let feed_entries = entries
        .iter()
        .map(|entry| {
            let summary = &entry.post.summary;
            let mut out = atom::Entry::default();
            out.set_id(summary.absolute_url.clone());
            out.set_title(atom::Text::plain(summary.title.clone()));
            out.set_updated(local(entry.updated, settings));
            out.set_published(Some(local(entry.published, settings)));
            out.set_authors(vec![atom::Person {
                name: summary.author.name.clone(),
                uri: Some(urls::absolute(settings, &summary.author.url)),
                ..atom::Person::default()
            }]);
            out.set_links(vec![atom::Link {
                href: summary.absolute_url.clone(),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..atom::Link::default()
            }]);
            let categories = summary.categories.iter().map(|term| (term, "/categories/"));
            let tags = summary.tags.iter().map(|term| (term, "/tags/"));
            out.set_categories(
                categories
                    .chain(tags)
                    .map(|(term, base)| atom::Category {
                        term: term.name.clone(),
                        scheme: scheme(base),
                        label: Some(term.name.clone()),
                    })
                    .collect::<Vec<_>>(),
            );
            if entry.is_open() {
                if !summary.excerpt.trim().is_empty() {
                    out.set_summary(Some(atom::Text::plain(summary.excerpt.clone())));
                }
                let mut content = atom::Content::default();
                content.set_content_type(Some("html".to_string()));
                content.set_value(Some(absolute_links(&entry.post.html, site_url)));
                out.set_content(Some(content));
            }
            out
        })
        .collect::<Vec<_>>();
    feed.set_entries(feed_entries);
    feed.write_to(Vec::new()).map_err(|err| SiteError::Render(format!("Atom feed: {err}")))
}

/// Sanitized HTML with its site-relative links (`href`, `src`, `poster` values starting
/// with one `/`) made absolute on `base`: a feed reader has no page URL to resolve them
/// against. Only attribute values inside tags change, never text (a code sample showing
/// `href="/x"` stays as written). Relies on the sanitizer's serialization: attribute values
/// in double quotes, `<` and `>` escaped in text.
pub fn absolute_links(html: &str, base: &str) -> String {
    const ATTRIBUTES: [&str; 3] = ["href", "src", "poster"];
    let mut out = String::with_capacity(html.len() + 64);
    let mut in_tag = false;
    let mut in_value = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let width = c.len_utf8();
        if in_value {
            if c == '"' {
                in_value = false;
            }
        } else if in_tag {
            match c {
                '>' => in_tag = false,
                '"' => {
                    in_value = true;
                    out.push(c);
                    let before = out[..out.len() - 1].trim_end_matches('=');
                    let name = before.rsplit(|ch: char| ch.is_whitespace()).next().unwrap_or("");
                    let value = &rest[1..];
                    if ATTRIBUTES.iter().any(|attr| name.eq_ignore_ascii_case(attr))
                        && value.starts_with('/')
                        && !value.starts_with("//")
                    {
                        out.push_str(base);
                    }
                    rest = &rest[width..];
                    continue;
                }
                _ => {}
            }
        } else if c == '<' {
            in_tag = true;
        }
        out.push(c);
        rest = &rest[width..];
    }
    out
}

/// `GET /sitemap.xml`.
async fn sitemap(reader: Reader) -> Response {
    let result = sitemap_response(&reader).await;
    reader.finish(result).await
}

/// One `<url>` of the sitemap.
struct SitemapUrl {
    loc: String,
    lastmod: Option<DateTime<Utc>>,
}

async fn sitemap_response(reader: &Reader) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let settings = &reader.settings;
    let mut items: Vec<SitemapUrl> = Vec::new();
    // Newest change of the posts in each category (before counting sub-categories) and tag.
    let mut category_changes: HashMap<i64, DateTime<Utc>> = HashMap::new();
    let mut tag_changes: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut newest_post: Option<DateTime<Utc>> = None;
    let mut page_number = 1;
    loop {
        let params = ListParams {
            status: Some(ItemStatus::Published),
            sort: Some("-published_at".into()),
            page: Some(page_number),
            per_page: Some(SITEMAP_PAGE_SIZE),
            ..ListParams::default()
        };
        let page = reader.core.list_items(&Actor::Anonymous, params).await?;
        for view in &page.items {
            let item = &view.item;
            // Discussions have no page of their own; an item that redirects elsewhere is
            // not a page a search engine should index.
            if !matches!(item.kind, ItemKind::Post | ItemKind::Page) || item.redirect_url.is_some() {
                continue;
            }
            if item.kind == ItemKind::Post {
                let newer = |at: &mut DateTime<Utc>| *at = (*at).max(item.updated_at);
                for category in &item.categories {
                    category_changes.entry(category.id).and_modify(newer).or_insert(item.updated_at);
                }
                for tag in &item.tags {
                    tag_changes.entry(tag.slug.clone()).and_modify(newer).or_insert(item.updated_at);
                }
                newest_post = newest_post.max(Some(item.updated_at));
            }
            items.push(SitemapUrl {
                loc: urls::absolute(settings, &urls::item_path(item, settings)),
                lastmod: Some(item.updated_at),
            });
        }
        // One URL is the home page's.
        if items.len() + 1 >= SITEMAP_MAX_URLS {
            items.truncate(SITEMAP_MAX_URLS - 1);
            tracing::warn!(limit = SITEMAP_MAX_URLS, "sitemap.xml is full: older items are left out");
            break;
        }
        if page.page >= page.last_page() || page.items.is_empty() {
            break;
        }
        page_number += 1;
    }
    let mut terms = Vec::new();
    // A category page lists its sub-categories' posts too, so a parent with posts only
    // below it is a page with posts.
    let categories = reader.core.categories().await?;
    for category in &categories {
        let newest = category_and_descendants(&categories, category.id)
            .iter()
            .filter_map(|id| category_changes.get(id).copied())
            .max();
        if newest.is_some() {
            terms.push(SitemapUrl {
                loc: urls::absolute(settings, &urls::category_path(&category.slug)),
                lastmod: newest,
            });
        }
    }
    let mut tags: Vec<_> = tag_changes.into_iter().collect();
    tags.sort();
    terms.extend(tags.into_iter().map(|(slug, at)| SitemapUrl {
        loc: urls::absolute(settings, &urls::tag_path(&slug)),
        lastmod: Some(at),
    }));
    let home = SitemapUrl { loc: urls::absolute(settings, "/"), lastmod: newest_post };
    let room = SITEMAP_MAX_URLS.saturating_sub(1 + items.len());
    terms.truncate(room);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in std::iter::once(&home).chain(&items).chain(&terms) {
        xml.push_str("<url><loc>");
        xml.push_str(&xml_escape(&url.loc));
        xml.push_str("</loc>");
        if let Some(at) = url.lastmod {
            xml.push_str("<lastmod>");
            xml.push_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            xml.push_str("</lastmod>");
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    let last_modified = items.iter().filter_map(|url| url.lastmod).max();
    Ok(reader.respond_document(SITEMAP_CONTENT_TYPE, xml, last_modified))
}

/// `text` escaped for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// `GET /robots.txt`: everything but the APIs, the admin and the form endpoints may be
/// crawled; the sitemap's address.
async fn robots(reader: Reader) -> Response {
    if let Some(hit) = reader.cached() {
        return hit;
    }
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /admin/\nDisallow: /interact/\n\nSitemap: {}\n",
        urls::absolute(&reader.settings, "/sitemap.xml")
    );
    reader.respond_document(ROBOTS_CONTENT_TYPE, body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_relative_links_in_tags_become_absolute_and_text_stays() {
        let html = r#"<p><a href="/posts/a">a</a> <img src="/media/x.png" alt="x"> <a href="//cdn.example/y">y</a> <a href="https://e.example/">e</a> <code>href="/kept"</code> <a title="a>b" href="/b">b</a></p>"#;
        let out = absolute_links(html, "https://blog.example");
        assert_eq!(
            out,
            r#"<p><a href="https://blog.example/posts/a">a</a> <img src="https://blog.example/media/x.png" alt="x"> <a href="//cdn.example/y">y</a> <a href="https://e.example/">e</a> <code>href="/kept"</code> <a title="a>b" href="https://blog.example/b">b</a></p>"#
        );
        assert_eq!(absolute_links("中文 <b>粗</b>", "https://x"), "中文 <b>粗</b>");
    }

    #[test]
    fn xml_escape_escapes_markup_and_quotes() {
        assert_eq!(xml_escape(r#"a&b<c>"d'"#), "a&amp;b&lt;c&gt;&quot;d&apos;");
    }

    #[test]
    fn feed_paths_sit_under_their_page() {
        assert_eq!(feed_path("/", FeedFormat::Rss), "/feed.xml");
        assert_eq!(feed_path("/categories/rust", FeedFormat::Atom), "/categories/rust/atom.xml");
    }
}
