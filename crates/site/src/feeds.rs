//! Machine-readable views of the site: RSS 2.0 and Atom feeds (site, category, tag),
//! `sitemap.xml` and `robots.txt`.

use axum::Router;

use crate::SiteState;

/// Routes of the feeds and crawler files.
pub fn routes() -> Router<SiteState> {
    Router::new()
}
