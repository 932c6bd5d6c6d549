//! The reading pages: home, posts and pages, categories, tags, archives, authors, search,
//! notes and friend links, and the password form of protected posts.
//!
//! Every page reads through the core; lists read as [`Actor::Anonymous`] so that one
//! rendered page serves every reader (signed-in readers get the same lists, uncached).
//! Reading a post does not count a view: pages are cached and revalidated, so a count
//! made here would be wrong either way.

mod item;
mod lists;
mod more;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use inkstone_core::Actor;
use inkstone_core::content::{ListParams, Page};
use inkstone_core::model::{ItemKind, ItemStatus};
use inkstone_core::paging::MAX_PAGE_NUMBER;

use crate::SiteState;
use crate::reader::{PageOutput, Reader, SiteError};
use crate::seo;
use crate::views::{Pager, PostSummary};

pub use item::{UNLOCK_COOKIE_PREFIX, unlock_cookie_name};

/// The site's fallback (every path no route answers): posts at `/{yyyy}/{mm}/{slug}`,
/// else the 404 page. Dated posts are found here rather than by a route so that a route
/// `/{a}/{b}/{c}` does not shadow the fallbacks of nested APIs (`/api/v1/...`).
pub async fn fallback(reader: Reader) -> Response {
    let segments: Vec<&str> = reader.uri.path().trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [year, month, slug] if item::is_dated(year, month) && !slug.is_empty() => {
            let slug = percent_encoding::percent_decode_str(slug).decode_utf8_lossy().into_owned();
            let result = item::item_page(&reader, ItemKind::Post, &slug).await;
            reader.finish(result).await
        }
        _ => reader.not_found().await,
    }
}

/// Routes of the reading pages and of the unlock form.
pub fn routes() -> Router<SiteState> {
    Router::new()
        .route("/", get(home))
        .route("/posts/{slug}", get(item::post_at))
        .route("/archives/{slug}", get(item::post_at))
        .route("/{slug}", get(item::page_at))
        .route("/pages/{slug}", get(item::page_at))
        .route("/interact/unlock", post(item::unlock))
        .route("/categories/{slug}", get(lists::category))
        .route("/tags/{slug}", get(lists::tag))
        .route("/archives", get(lists::archives))
        .route("/archives/{year}/{month}", get(lists::archive_month))
        .route("/authors/{username}", get(lists::author))
        .route("/search", get(lists::search))
        .route("/notes", get(more::notes))
        .route("/links", get(more::links))
}

/// `?page=N` of a list, or not found for a number no list can reach.
fn list_page(reader: &Reader) -> Result<i64, SiteError> {
    let page = reader.page_number();
    if page > MAX_PAGE_NUMBER { Err(SiteError::NotFound) } else { Ok(page) }
}

/// Published posts of the current `?page`, newest first, pinned first.
fn published_posts(reader: &Reader) -> Result<ListParams, SiteError> {
    Ok(ListParams {
        kind: Some(ItemKind::Post),
        status: Some(ItemStatus::Published),
        page: Some(list_page(reader)?),
        ..ListParams::default()
    })
}

/// A page of a list; a page beyond the end is not found (the first page may be empty).
fn not_beyond_end<T>(page: Page<T>) -> Result<Page<T>, SiteError> {
    if page.items.is_empty() && page.page > 1 { Err(SiteError::NotFound) } else { Ok(page) }
}

/// `GET /`: the latest published posts, pinned first, `?page=N`.
async fn home(reader: Reader) -> Response {
    let result = home_page(&reader).await;
    reader.finish(result).await
}

async fn home_page(reader: &Reader) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let page = reader.core.list_items(&Actor::Anonymous, published_posts(reader)?).await?;
    let page = not_beyond_end(page)?;
    let posts = PostSummary::list(&page, &reader.settings);
    let last_modified = page.items.iter().map(|view| view.item.updated_at).max();
    let title = reader.settings.site_title().to_string();
    let description = reader.settings.get("site.description").filter(|d| !d.trim().is_empty());
    let context = minijinja::context! {
        posts => posts,
        pager => Pager::new(&page, "/", None),
        meta => seo::list_meta(reader, &title, description),
    };
    reader.respond(PageOutput::new("index.html", context).last_modified(last_modified))
}
