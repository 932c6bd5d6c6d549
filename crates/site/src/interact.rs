//! What readers do on pages, with or without JavaScript: comment, like, apply for a friend
//! link. Every form carries the visitor's form token (`_token`, see
//! [`Reader::verify_form`]).
//!
//! Each form posts `application/x-www-form-urlencoded`. Without JavaScript the answer is a
//! `303` back to the page the form was on (with a notice in the query and an anchor), or,
//! when the core refuses the input, a page with the form again, the fields kept and the
//! core's message in a `p.notice.notice-error[role=alert]`. With `Accept: application/json`
//! (what `site.js` sends) the answer is JSON: the result, or `{error, message, field}` with
//! the same status the page would have had.
//!
//! The rules (moderation, honeypot, link limits, captcha, rate limits, who may like what)
//! are the core's; these handlers only translate forms and answers.
//!
//! | route | what |
//! |---|---|
//! | `POST /interact/comment` | [`comment_section`] renders its form |
//! | `POST /interact/like` | `partials/like.html` renders its form |
//! | `POST /links/apply` | [`link_apply_section`] renders its form |
//! | `GET /interact/captcha` | a fresh built-in captcha picture (PNG, never cached); its id goes in the `inkstone_captcha` cookie the forms' posts are checked against |

mod captcha;
mod comments;
mod likes;
mod links;

use std::collections::HashMap;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use inkstone_core::abuse::{CaptchaAnswer, CaptchaOffer};
use inkstone_core::{CoreError, ErrorCode};
use minijinja::value::Value;
use serde::Serialize;

use crate::SiteState;
use crate::reader::{PageOutput, Reader, SiteError, core_message, error_status, with_retry_after};

pub use captcha::{CAPTCHA_COOKIE, CAPTCHA_PATH};
pub use comments::{
    CommentAuthor, CommentForm, CommentNode, CommentSection, MAX_DEPTH, MAX_THREAD_COMMENTS, ReplyTo,
    SectionQuery, comment_section, comment_thread,
};
pub use links::{LinkApplyForm, LinkApplySection, link_apply_section};

/// Routes of the forms and the captcha picture.
pub fn routes() -> Router<SiteState> {
    Router::new()
        .route("/interact/comment", post(comments::post_comment))
        .route("/interact/like", post(likes::post_like))
        .route(CAPTCHA_PATH, get(captcha::captcha_image))
        .route("/links/apply", post(links::post_apply))
}

/// The captcha a form shows, when one is required.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaptchaView {
    /// The built-in picture at `src` ([`CAPTCHA_PATH`]); the reader types what it shows in
    /// the `captcha_answer` field.
    Image { src: String, width: u32, height: u32 },
    /// A third-party widget. The default theme cannot load its script (the CSP allows only
    /// the site's own), so it asks for the widget's token in the `captcha_response` field.
    Widget { provider: String, site_key: String },
}

impl CaptchaView {
    /// What to show when `required`: the widget the core names, else the built-in picture.
    pub fn when(required: bool, core: &inkstone_core::Core) -> Option<CaptchaView> {
        if !required {
            return None;
        }
        Some(match core.captcha_widget() {
            Some(CaptchaOffer::Widget { provider, site_key }) => CaptchaView::Widget { provider, site_key },
            _ => CaptchaView::Image {
                src: CAPTCHA_PATH.to_string(),
                width: captcha::PICTURE_WIDTH,
                height: captcha::PICTURE_HEIGHT,
            },
        })
    }
}

/// A refused form, as the form shows it again.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FormError {
    /// The core's message in the site's language.
    pub message: String,
    /// The field at fault as the form names it (`author_name`, `body`, `captcha_answer`,
    /// ...), if the core named one.
    pub field: Option<String>,
}

impl FormError {
    fn from_core(err: &CoreError, reader: &Reader) -> FormError {
        let field = err.field.as_deref().map(|field| match field {
            // The core names the captcha as a whole; the form's input is the answer.
            "captcha" => "captcha_answer".to_string(),
            other => other.to_string(),
        });
        FormError { message: core_message(err, reader.locale), field }
    }
}

/// A submitted form: its fields by name (the last value of a repeated name wins).
struct Form(HashMap<String, String>);

impl Form {
    fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The field as sent, `""` when absent.
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// The field when it holds more than blanks.
    fn opt(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|value| !value.trim().is_empty()).cloned()
    }

    /// The captcha answer: the picture's id from the field `captcha_id` or the
    /// [`CAPTCHA_COOKIE`], the characters from `captcha_answer`, a widget's token from
    /// `captcha_response`.
    fn captcha(&self, headers: &HeaderMap) -> CaptchaAnswer {
        let id = self.opt("captcha_id").or_else(|| captcha::cookie_id(headers));
        CaptchaAnswer { id, answer: self.opt("captcha_answer"), response: self.opt("captcha_response") }
    }
}

/// Whether the client asked for JSON (`site.js` sends `Accept: application/json`).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.to_ascii_lowercase().contains("application/json"))
}

/// `303 See Other` to `location` (a form's answer without JavaScript).
fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A JSON answer with `status`, never cached.
fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `{error, message, field}` with the status of `code`.
fn json_error(code: ErrorCode, message: &str, field: Option<&str>) -> Response {
    json(
        error_status(code),
        serde_json::json!({ "error": code.as_str(), "message": message, "field": field }),
    )
}

/// The answer to a form whose `_token` did not verify: `403` as JSON
/// (`{error: "form_expired"}`) or the error page, nothing changed.
async fn refuse(reader: &Reader, wants_json: bool, err: SiteError) -> Response {
    if wants_json {
        let message = match &err {
            SiteError::Status(_, message) => message.clone(),
            _ => reader.text("error.form_expired"),
        };
        return json(
            StatusCode::FORBIDDEN,
            serde_json::json!({ "error": "form_expired", "message": message, "field": "_token" }),
        );
    }
    reader.finish(Err(err)).await
}

/// The answer to a form the core refused: JSON, the 404 page, or `template` (the form
/// again with `context`, fields kept) with the error's status.
async fn refused_by_core(
    reader: &Reader,
    wants_json: bool,
    err: CoreError,
    context: impl FnOnce(FormError) -> Value,
) -> Response {
    let status = error_status(err.code);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        // Logged and shown without internals by the reader's error page.
        if wants_json {
            tracing::error!(error = %err, "site form failed");
            return json_error(ErrorCode::Internal, &reader.text("error.internal"), None);
        }
        return reader.finish(Err(SiteError::Core(err))).await;
    }
    let form_error = FormError::from_core(&err, reader);
    if wants_json {
        let response = json_error(err.code, &form_error.message, form_error.field.as_deref());
        return with_retry_after(response, Some(&err));
    }
    if status == StatusCode::NOT_FOUND {
        return reader.not_found().await;
    }
    let mut page = PageOutput::new("interact.html", context(form_error));
    page.status = status;
    page.shared = false;
    match reader.respond(page) {
        Ok(response) => with_retry_after(response, Some(&err)),
        Err(render) => reader.finish(Err(render)).await,
    }
}

/// Whether `url` may be a link or image source on a page: `http(s)://` or a site path
/// (`/...`, not `//host`). Anything else (`javascript:`, `data:`) is dropped, whatever
/// stored it.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"));
    (ok && !url.chars().any(|c| c.is_control() || c.is_whitespace())).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_site_urls_are_kept() {
        assert_eq!(safe_url(" https://a.example/x "), Some("https://a.example/x".into()));
        assert_eq!(safe_url("/media/a.png"), Some("/media/a.png".into()));
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("JaVaScRiPt:alert(1)"), None);
        assert_eq!(safe_url("//evil.example/a"), None);
        assert_eq!(safe_url("data:text/html,x"), None);
        assert_eq!(safe_url("https://a.example/\nx"), None);
    }

    #[test]
    fn json_is_asked_for_by_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_json(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json, text/plain;q=0.5"));
        assert!(wants_json(&headers));
    }
}
