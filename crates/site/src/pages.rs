//! The reading pages: home, posts and pages, categories, tags, archives, authors, search,
//! notes and friend links.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use inkstone_core::Actor;
use inkstone_core::content::ListParams;
use inkstone_core::model::{ItemKind, ItemStatus};

use crate::SiteState;
use crate::reader::{PageOutput, Reader, SiteError};
use crate::views::{Pager, PostSummary};

/// Routes of the reading pages.
pub fn routes() -> Router<SiteState> {
    Router::new().route("/", get(home))
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
    let params = ListParams {
        kind: Some(ItemKind::Post),
        status: Some(ItemStatus::Published),
        page: Some(reader.page_number()),
        ..ListParams::default()
    };
    let page = reader.core.list_items(&Actor::Anonymous, params).await?;
    if page.items.is_empty() && page.page > 1 {
        return Err(SiteError::NotFound);
    }
    let posts = PostSummary::list(&page, &reader.settings);
    let last_modified = page.items.iter().map(|view| view.item.updated_at).max();
    let context = minijinja::context! { posts => posts, pager => Pager::new(&page, "/", None) };
    reader.respond(PageOutput::new("index.html", context).last_modified(last_modified))
}
