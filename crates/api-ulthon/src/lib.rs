//! The ulthon_information dialect: `/index.php/api/...` (articles, attachments, key info)
//! with the per-key permission flags `can_write_own`, `can_write_other` and `can_delete`.

use axum::Router;
use inkstone_http::AppState;

/// The routes under `/index.php/api/`.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}
