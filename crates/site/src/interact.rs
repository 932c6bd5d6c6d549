//! What readers do on pages, with or without JavaScript: comment, like, apply for a friend
//! link. Every form carries the visitor's form token (`_token`, see
//! [`Reader::verify_form`]).

use axum::Router;
use inkstone_core::model::Item;
use minijinja::value::Value;

use crate::SiteState;
use crate::reader::{Reader, SiteError};

/// Routes of the forms.
pub fn routes() -> Router<SiteState> {
    Router::new()
}

/// What `partials/comments.html` needs for an item: its approved comments as a thread,
/// whether and how the reader may comment (form fields, captcha), and the notice after a
/// comment was sent. Put it in the post page's context as `comments`.
///
/// Errors: a core failure reading the comments.
pub async fn comment_section(reader: &Reader, item: &Item) -> Result<Value, SiteError> {
    let _ = (reader, item);
    Ok(Value::from(()))
}
