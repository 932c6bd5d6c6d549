//! Lists of posts: category (with its descendants), tag, archive by month, author and
//! search, plus the archive's index of months.

use axum::extract::Path;
use axum::response::Response;
use inkstone_core::Actor;
use inkstone_core::content::{ItemView, Page, TermKey};
use minijinja::value::Value;

use super::{not_beyond_end, published_posts};
use crate::reader::{PageOutput, Reader, SiteError};
use crate::views::{ArchiveYearView, AuthorLink, CategoryView, Pager, PostSummary, TermLink};
use crate::{seo, urls};

fn last_modified(page: &Page<ItemView>) -> Option<chrono::DateTime<chrono::Utc>> {
    page.items.iter().map(|view| view.item.updated_at).max()
}

/// Renders `list.html`: `heading`, the posts and pager, and `extra` variables.
fn list_response(
    reader: &Reader,
    template: &str,
    heading: &str,
    description: Option<&str>,
    page: &Page<ItemView>,
    path: &str,
    extra: Value,
) -> Result<Response, SiteError> {
    let context = minijinja::context! {
        heading => heading,
        description => description,
        posts => PostSummary::list(page, &reader.settings),
        pager => Pager::new(page, path, None),
        meta => seo::list_meta(reader, heading, description),
        ..extra
    };
    reader.respond(PageOutput::new(template, context).last_modified(last_modified(page)))
}

/// `GET /categories/{slug}`: posts of the category and its descendants, its sub-categories
/// and description.
pub(super) async fn category(reader: Reader, Path(slug): Path<String>) -> Response {
    let result = category_page(&reader, &slug).await;
    reader.finish(result).await
}

async fn category_page(reader: &Reader, slug: &str) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let all = reader.core.categories().await?;
    let category = all.iter().find(|c| c.slug == slug).ok_or(SiteError::NotFound)?;
    let mut children: Vec<_> = all.iter().filter(|c| c.parent_id == Some(category.id)).collect();
    children.sort_by_key(|c| (c.sort_order, c.id));
    let parent = category.parent_id.and_then(|id| all.iter().find(|c| c.id == id)).map(CategoryView::new);
    let mut params = published_posts(reader)?;
    params.category = Some(TermKey::Id(category.id));
    let page = not_beyond_end(reader.core.list_items(&Actor::Anonymous, params).await?)?;
    let view = CategoryView::new(category);
    let path = urls::category_path(&category.slug);
    let extra = minijinja::context! {
        kind => "category",
        category => view,
        parent => parent,
        subcategories => children.into_iter().map(CategoryView::new).collect::<Vec<_>>(),
    };
    list_response(
        reader,
        "category.html",
        &category.name,
        category.description.as_deref(),
        &page,
        &path,
        extra,
    )
}

/// `GET /tags/{slug}`: posts with the tag.
pub(super) async fn tag(reader: Reader, Path(slug): Path<String>) -> Response {
    let result = tag_page(&reader, &slug).await;
    reader.finish(result).await
}

async fn tag_page(reader: &Reader, slug: &str) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let tags = reader.core.tags().await?;
    let tag = tags.iter().find(|t| t.slug == slug).ok_or(SiteError::NotFound)?;
    let mut params = published_posts(reader)?;
    params.tag = Some(TermKey::Id(tag.id));
    let page = not_beyond_end(reader.core.list_items(&Actor::Anonymous, params).await?)?;
    let path = urls::tag_path(&tag.slug);
    let heading = reader.text("tag.heading").replace("{name}", &tag.name);
    let extra = minijinja::context! {
        kind => "tag",
        tag => TermLink { id: tag.id, name: tag.name.clone(), slug: tag.slug.clone(), url: path.clone() },
    };
    let description = tag.description.as_deref().filter(|d| !d.trim().is_empty());
    list_response(reader, "list.html", &heading, description, &page, &path, extra)
}

/// `GET /archives`: months with published posts, grouped by year, newest first.
pub(super) async fn archives(reader: Reader) -> Response {
    let result = archives_page(&reader).await;
    reader.finish(result).await
}

async fn archives_page(reader: &Reader) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let months = reader.core.archive_months().await?;
    let total: i64 = months.iter().map(|m| m.count).sum();
    let heading = reader.text("archive.heading");
    let context = minijinja::context! {
        years => ArchiveYearView::group(&months),
        total => total,
        meta => seo::list_meta(reader, &heading, None),
    };
    reader.respond(PageOutput::new("archives.html", context))
}

/// `GET /archives/{yyyy}/{mm}`: posts published that month in the site's time zone.
pub(super) async fn archive_month(reader: Reader, Path((year, month)): Path<(String, String)>) -> Response {
    let result = archive_month_page(&reader, &year, &month).await;
    reader.finish(result).await
}

async fn archive_month_page(reader: &Reader, year: &str, month: &str) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let numeric = |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if !numeric(year, 4) || !numeric(month, 2) {
        return Err(SiteError::NotFound);
    }
    let (year, month): (i32, u32) = (year.parse().unwrap_or(0), month.parse().unwrap_or(0));
    let (since, before) = reader.core.month_bounds(year, month).ok_or(SiteError::NotFound)?;
    let mut params = published_posts(reader)?;
    params.published_since = Some(since);
    params.published_before = Some(before);
    // Newest first, with no pinned post leading out of its month's order.
    params.sort = Some("-published_at".to_string());
    let page = reader.core.list_items(&Actor::Anonymous, params).await?;
    if page.total == 0 {
        return Err(SiteError::NotFound);
    }
    let page = not_beyond_end(page)?;
    let heading = reader
        .text("archive.month_heading")
        .replace("{year}", &year.to_string())
        .replace("{month}", &format!("{month:02}"));
    let path = urls::archive_path(year, month);
    let extra = minijinja::context! { kind => "archive", year => year, month => month };
    list_response(reader, "list.html", &heading, None, &page, &path, extra)
}

/// `GET /authors/{username}`: an author's published posts, name, bio and avatar. Users
/// without a published post have no page (no listing of accounts).
pub(super) async fn author(reader: Reader, Path(username): Path<String>) -> Response {
    let result = author_page(&reader, &username).await;
    reader.finish(result).await
}

async fn author_page(reader: &Reader, username: &str) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let user = reader.core.user_by_login(username).await?;
    if !user.username.eq_ignore_ascii_case(username) {
        return Err(SiteError::NotFound);
    }
    let mut params = published_posts(reader)?;
    params.author = Some(TermKey::Id(user.id));
    let page = reader.core.list_items(&Actor::Anonymous, params).await?;
    if page.total == 0 {
        return Err(SiteError::NotFound);
    }
    let page = not_beyond_end(page)?;
    let author = AuthorLink::from(&inkstone_core::model::UserSummary::from(&user));
    let bio = user.bio.clone().filter(|b| !b.trim().is_empty());
    let path = urls::author_path(&user.username);
    let extra = minijinja::context! { kind => "author", author => author.clone(), bio => bio.clone() };
    list_response(reader, "author.html", &author.name, bio.as_deref(), &page, &path, extra)
}

/// `GET /search?q=`: published posts matching the words (Chinese is segmented by the
/// core); without `q`, the form alone.
pub(super) async fn search(reader: Reader) -> Response {
    let result = search_page(&reader).await;
    reader.finish(result).await
}

async fn search_page(reader: &Reader) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let q = reader.query("q").map(|q| q.trim().chars().take(200).collect::<String>()).unwrap_or_default();
    let heading = reader.text("search.heading");
    if q.is_empty() {
        let context = minijinja::context! { q => "", meta => seo::list_meta(reader, &heading, None) };
        return reader.respond(PageOutput::new("search.html", context));
    }
    let mut params = published_posts(reader)?;
    params.q = Some(q.clone());
    let page = not_beyond_end(reader.core.list_items(&Actor::Anonymous, params).await?)?;
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("q", &q).finish();
    let summary =
        reader.text("search.summary").replace("{count}", &page.total.to_string()).replace("{q}", &q);
    let context = minijinja::context! {
        q => q,
        searched => true,
        summary => summary,
        posts => PostSummary::list(&page, &reader.settings),
        pager => Pager::new(&page, "/search", Some(&query)),
        meta => seo::list_meta(reader, &heading, None),
    };
    let mut output = PageOutput::new("search.html", context).last_modified(last_modified(&page));
    output.canonical = Some(format!("/search?{}", pager_query(&query, page.page)));
    reader.respond(output)
}

fn pager_query(query: &str, page: i64) -> String {
    if page > 1 { format!("{query}&page={page}") } else { query.to_string() }
}
