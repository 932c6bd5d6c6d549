//! What search engines and link previews read in a page's head: description, canonical
//! link, Open Graph and Twitter card meta, JSON-LD, and the feeds of the page.
//!
//! Pages put the result in their context as `meta`; `partials/meta.html` prints it (and
//! falls back to the site's title and description on a page without `meta`). The shape of
//! `meta` is [`Meta`]. JSON-LD is built here with `serde_json` and printed with minijinja's
//! `tojson`, which escapes `<`, `>`, `&` and `'`: no title can close the script element.

use inkstone_core::{Locale, Settings};
use minijinja::value::Value;
use serde::Serialize;
use serde_json::json;

use crate::feeds::{FeedFormat, feed_path};
use crate::reader::Reader;
use crate::urls;
use crate::views::PostFull;

/// Longest `description` (characters): search engines cut longer ones anyway.
pub const DESCRIPTION_CHARS: usize = 200;

/// What `partials/meta.html` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// `og:title`, `twitter:title`.
    pub title: String,
    /// `<meta name=description>`, `og:description`; the site's description when the page
    /// has none. Plain text, at most [`DESCRIPTION_CHARS`].
    pub description: String,
    /// `og:type`: `website` or `article`.
    pub og_type: &'static str,
    /// `og:site_name`.
    pub site_name: String,
    /// `og:locale`: `en_US` or `zh_CN`.
    pub locale: &'static str,
    /// Absolute URL of the cover image (`og:image`, `twitter:image`), if any.
    pub image: Option<String>,
    /// The cover's alternative text.
    pub image_alt: Option<String>,
    /// `summary_large_image` with an image, else `summary`.
    pub twitter_card: &'static str,
    /// `article:*` properties of a post or page.
    pub article: Option<ArticleMeta>,
    /// Feeds of this page besides the site's own (a category's or tag's).
    pub feeds: Vec<FeedLink>,
    /// A schema.org object (`BlogPosting`, `Article`, `WebSite`), printed with `tojson`.
    pub json_ld: Option<serde_json::Value>,
}

/// Open Graph `article:*` properties.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleMeta {
    /// RFC 3339.
    pub published_time: Option<String>,
    /// RFC 3339.
    pub modified_time: String,
    /// Absolute URL of the author's page.
    pub author: String,
    /// The primary category's name.
    pub section: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
}

/// A `<link rel=alternate>` to a feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedLink {
    pub title: String,
    /// `application/rss+xml` or `application/atom+xml`.
    #[serde(rename = "type")]
    pub media_type: &'static str,
    /// Site-relative.
    pub href: String,
}

/// `meta` of a post or page's own page (Open Graph `article`, JSON-LD `BlogPosting` for a
/// post, `Article` for a page).
pub fn post_meta(reader: &Reader, post: &PostFull) -> Value {
    Value::from_serialize(article(&reader.settings, post))
}

/// `meta` of a list page (home, category, tag, archive, author, search, notes, links):
/// its title and, when it has one, its description. On a category or tag page (the path
/// `/categories/{slug}` or `/tags/{slug}`) it adds that term's feeds; on `/` it is
/// [`home_meta`].
pub fn list_meta(reader: &Reader, title: &str, description: Option<&str>) -> Value {
    Value::from_serialize(listing(&reader.settings, reader.uri.path(), title, description))
}

/// `meta` of the home page: the site's title and description, JSON-LD `WebSite` with its
/// search action.
pub fn home_meta(reader: &Reader) -> Value {
    let settings = &reader.settings;
    let description = settings.get("site.description");
    Value::from_serialize(listing(settings, "/", settings.site_title(), description))
}

/// [`post_meta`] without a request.
pub fn article(settings: &Settings, post: &PostFull) -> Meta {
    let summary = &post.summary;
    let site_name = settings.site_title().to_string();
    let description = describe(Some(&summary.excerpt), settings);
    let image = summary.cover.as_deref().and_then(|cover| absolute_media_url(settings, cover));
    let author_url = urls::absolute(settings, &summary.author.url);
    let published = summary.published.as_ref().map(|date| date.iso.clone());
    let tags: Vec<String> = summary.tags.iter().map(|tag| tag.name.clone()).collect();
    let section = summary.categories.first().map(|category| category.name.clone());
    let language = settings.language().tag();
    let mut json_ld = json!({
        "@context": "https://schema.org",
        "@type": if summary.kind == "page" { "Article" } else { "BlogPosting" },
        "headline": summary.title,
        "url": summary.absolute_url,
        "mainEntityOfPage": { "@type": "WebPage", "@id": summary.absolute_url },
        "dateModified": summary.updated.iso,
        "author": { "@type": "Person", "name": summary.author.name, "url": author_url },
        "publisher": { "@type": "Organization", "name": site_name, "url": site_home(settings) },
        "inLanguage": language,
    });
    let fields = json_ld.as_object_mut().expect("a JSON object");
    if let Some(published) = &published {
        fields.insert("datePublished".into(), json!(published));
    }
    if !description.is_empty() && !summary.protected {
        fields.insert("description".into(), json!(description));
    }
    if let Some(image) = &image {
        fields.insert("image".into(), json!([image]));
    }
    if !tags.is_empty() {
        fields.insert("keywords".into(), json!(tags.join(", ")));
    }
    if let Some(section) = &section {
        fields.insert("articleSection".into(), json!(section));
    }
    Meta {
        title: summary.title.clone(),
        description: if summary.protected { describe(None, settings) } else { description },
        og_type: "article",
        site_name,
        locale: og_locale(settings.language()),
        twitter_card: if image.is_some() { "summary_large_image" } else { "summary" },
        image_alt: image
            .as_ref()
            .map(|_| summary.cover_text.clone().unwrap_or_else(|| summary.title.clone())),
        image,
        article: Some(ArticleMeta {
            published_time: published,
            modified_time: summary.updated.iso.clone(),
            author: author_url,
            section,
            tags,
        }),
        feeds: Vec::new(),
        json_ld: Some(json_ld),
    }
}

/// [`list_meta`] without a request: `path` is the page's path (without query).
pub fn listing(settings: &Settings, path: &str, title: &str, description: Option<&str>) -> Meta {
    let site_name = settings.site_title().to_string();
    let description = describe(description, settings);
    let feeds = match path.strip_prefix('/').and_then(|rest| rest.split_once('/')) {
        Some(("categories" | "tags", slug)) if !slug.is_empty() && !slug.contains('/') => {
            [FeedFormat::Rss, FeedFormat::Atom]
                .into_iter()
                .map(|format| FeedLink {
                    title: format!("{site_name} · {title}"),
                    media_type: format.media_type(),
                    href: feed_path(path, format),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let json_ld = (path == "/").then(|| {
        let home = site_home(settings);
        let mut website = json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site_name,
            "url": home,
            "inLanguage": settings.language().tag(),
            "potentialAction": {
                "@type": "SearchAction",
                "target": {
                    "@type": "EntryPoint",
                    "urlTemplate": urls::absolute(settings, "/search?q={search_term_string}"),
                },
                "query-input": "required name=search_term_string",
            },
        });
        if !description.is_empty() {
            website["description"] = json!(description);
        }
        website
    });
    Meta {
        title: title.to_string(),
        description,
        og_type: "website",
        site_name,
        locale: og_locale(settings.language()),
        image: None,
        image_alt: None,
        twitter_card: "summary",
        article: None,
        feeds,
        json_ld,
    }
}

/// `og:locale` of a site language.
pub fn og_locale(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "en_US",
        Locale::ZhCn => "zh_CN",
    }
}

/// An image URL as link previews need it: absolute on `site.url` when site-relative,
/// `https:` added to a scheme-relative one, kept when http(s); `None` for anything else
/// (`data:`, `javascript:`, a relative path).
pub fn absolute_media_url(settings: &Settings, url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(url.to_string())
    } else if url.starts_with("//") {
        let scheme = settings.site_url().split_once("//").map_or("https:", |(scheme, _)| scheme);
        Some(format!("{scheme}{url}"))
    } else if url.starts_with('/') {
        Some(urls::absolute(settings, url))
    } else {
        None
    }
}

fn site_home(settings: &Settings) -> String {
    urls::absolute(settings, "/")
}

/// `text` (else the site's description, else its title) on one line, cut to
/// [`DESCRIPTION_CHARS`] with an ellipsis.
fn describe(text: Option<&str>, settings: &Settings) -> String {
    let text = [text.unwrap_or_default(), settings.get("site.description").unwrap_or_default()]
        .into_iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| settings.site_title().to_string());
    if text.chars().count() <= DESCRIPTION_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(DESCRIPTION_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_stored(vec![("site.url".into(), "https://blog.example".into())])
    }

    #[test]
    fn cover_urls_become_absolute_and_odd_schemes_are_dropped() {
        let s = settings();
        assert_eq!(
            absolute_media_url(&s, "/media/a.png").as_deref(),
            Some("https://blog.example/media/a.png")
        );
        assert_eq!(
            absolute_media_url(&s, "//cdn.example/a.png").as_deref(),
            Some("https://cdn.example/a.png")
        );
        assert_eq!(
            absolute_media_url(&s, "http://x.example/a.png").as_deref(),
            Some("http://x.example/a.png")
        );
        assert_eq!(absolute_media_url(&s, "javascript:alert(1)"), None);
        assert_eq!(absolute_media_url(&s, "data:image/png;base64,AAAA"), None);
    }

    #[test]
    fn descriptions_fall_back_and_are_cut_on_one_line() {
        let s = settings();
        assert_eq!(describe(Some("  a\n b  "), &s), "a b");
        assert_eq!(describe(None, &s), "Inkstone");
        let long = "字".repeat(300);
        let cut = describe(Some(&long), &s);
        assert_eq!(cut.chars().count(), DESCRIPTION_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn term_pages_get_their_feeds_and_only_the_home_page_gets_website_json_ld() {
        let s = settings();
        let category = listing(&s, "/categories/rust", "Rust", None);
        let hrefs: Vec<&str> = category.feeds.iter().map(|f| f.href.as_str()).collect();
        assert_eq!(hrefs, ["/categories/rust/feed.xml", "/categories/rust/atom.xml"]);
        assert!(category.json_ld.is_none());
        assert!(listing(&s, "/archives/2024/05", "May", None).feeds.is_empty());
        let home = listing(&s, "/", "Inkstone", None);
        assert_eq!(home.json_ld.unwrap()["@type"], "WebSite");
    }
}
