//! HTTP validators: `ETag` and `Last-Modified` on the way out, `If-None-Match` and
//! `If-Modified-Since` on the way in (RFC 9110 section 13), for pages, feeds and assets.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A weak validator (`W/"…"`) of `bytes`: pages and feeds are the same for readers whatever
/// their encoding, so compressed and plain copies share it.
pub fn weak_etag(bytes: &[u8]) -> String {
    format!("W/\"{}\"", hex::encode(&Sha256::digest(bytes)[..12]))
}

fn opaque(tag: &str) -> &str {
    tag.trim().trim_start_matches("W/")
}

/// Whether the request's validators say its copy is current: `If-None-Match` (weak
/// comparison, `*` matches) when sent, else `If-Modified-Since` against `last_modified`
/// (whole seconds).
pub fn is_fresh(request: &HeaderMap, etag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    if let Some(value) = request.get(header::IF_NONE_MATCH) {
        let Ok(value) = value.to_str() else { return false };
        return value.split(',').any(|tag| tag.trim() == "*" || opaque(tag) == opaque(etag));
    }
    match (request.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()), last_modified) {
        (Some(since), Some(modified)) => httpdate::parse_http_date(since)
            .ok()
            .is_some_and(|since| DateTime::<Utc>::from(since).timestamp() >= modified.timestamp()),
        _ => false,
    }
}

/// `Last-Modified` value of an instant.
pub fn http_date(at: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(at.into())
}

/// Adds `ETag` (and `Last-Modified` when known) to `headers`.
pub fn set_validators(headers: &mut HeaderMap, etag: &str, last_modified: Option<DateTime<Utc>>) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(at) = last_modified
        && let Ok(value) = HeaderValue::from_str(&http_date(at))
    {
        headers.insert(header::LAST_MODIFIED, value);
    }
}

/// A `304 Not Modified` carrying the validators and cache headers of the full response.
pub fn not_modified(
    etag: &str,
    last_modified: Option<DateTime<Utc>>,
    cache_control: &'static str,
) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    set_validators(response.headers_mut(), etag, last_modified);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    response
}
