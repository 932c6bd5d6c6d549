//! Notifications: written by events and through the API, read and cleared by their recipient.

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
