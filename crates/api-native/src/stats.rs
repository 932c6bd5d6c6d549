//! Page-view statistics: site PV, site UV and page PV per day, visitors as salted daily hashes.

use axum::Router;
use inkstone_http::AppState;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi()]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
}
