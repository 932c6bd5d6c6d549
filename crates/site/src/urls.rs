//! The site's URL scheme: one place that says where every reader-facing thing lives.
//!
//! | what | path |
//! |---|---|
//! | home | `/` (`?page=N`) |
//! | post | `site.permalink`: `posts` → `/posts/{slug}`, `archives` → `/archives/{slug}`, `date` → `/{yyyy}/{mm}/{slug}` (publication month in the site's time zone); the other two forms and former slugs answer 301 to it |
//! | page | `/{slug}`, or `/pages/{slug}` when the slug is one of [`RESERVED`] (both always answer) |
//! | category, tag, author | `/categories/{slug}`, `/tags/{slug}`, `/authors/{username}` |
//! | archive | `/archives`, `/archives/{yyyy}/{mm}` |
//! | search, notes, friend links | `/search?q=`, `/notes`, `/links` |
//! | feeds | `/feed.xml` (RSS 2.0), `/atom.xml`; the same under `/categories/{slug}/` and `/tags/{slug}/` |
//! | crawlers | `/sitemap.xml`, `/robots.txt` |
//! | theme assets | `/assets/{name}.{hash}.{ext}` |
//! | forms | `POST /interact/comment`, `/interact/like`, `/interact/unlock`, `/links/apply` |

use chrono::Datelike;
use inkstone_core::Settings;
use inkstone_core::model::{Item, ItemKind};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// First path segments the site or an API owns: a page with such a slug lives under
/// `/pages/{slug}`.
pub const RESERVED: &[&str] = &[
    "admin",
    "api",
    "apis",
    "archives",
    "assets",
    "atom.xml",
    "authors",
    "categories",
    "favicon.ico",
    "feed.xml",
    "healthz",
    "index.php",
    "interact",
    "links",
    "media",
    "notes",
    "pages",
    "posts",
    "pub",
    "robots.txt",
    "search",
    "sitemap.xml",
    "tags",
];

/// Characters escaped in one path segment (RFC 3986 `pchar` minus sub-delims we never
/// want unescaped).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `text` escaped as one path segment.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The path of an item for readers (see the table above). Discussions have no page on
/// the site and get their post-style path.
pub fn item_path(item: &Item, settings: &Settings) -> String {
    let slug = segment(&item.slug);
    match item.kind {
        ItemKind::Page if RESERVED.contains(&item.slug.as_str()) => format!("/pages/{slug}"),
        ItemKind::Page => format!("/{slug}"),
        ItemKind::Post | ItemKind::Discussion => match settings.permalink() {
            "archives" => format!("/archives/{slug}"),
            "date" => {
                let at = item.published_at.unwrap_or(item.created_at).with_timezone(&settings.time_zone());
                format!("/{:04}/{:02}/{slug}", at.year(), at.month())
            }
            _ => format!("/posts/{slug}"),
        },
    }
}

pub fn category_path(slug: &str) -> String {
    format!("/categories/{}", segment(slug))
}

pub fn tag_path(slug: &str) -> String {
    format!("/tags/{}", segment(slug))
}

pub fn author_path(username: &str) -> String {
    format!("/authors/{}", segment(username))
}

pub fn archive_path(year: i32, month: u32) -> String {
    format!("/archives/{year:04}/{month:02}")
}

/// `path` (starting with `/`) on the site's public base URL (`site.url`).
pub fn absolute(settings: &Settings, path: &str) -> String {
    format!("{}{}", settings.site_url().trim_end_matches('/'), path)
}

/// `path` with `?page=N` (nothing for page 1, the canonical first page).
pub fn with_page(path: &str, page: i64) -> String {
    if page <= 1 { path.to_string() } else { format!("{path}?page={page}") }
}
