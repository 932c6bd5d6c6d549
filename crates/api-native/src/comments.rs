//! Comments: threads, guest and user comments, moderation, per-item numbering, exact counts.

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
