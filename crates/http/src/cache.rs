//! Micro-caching of anonymous reads: a `GET` without credentials is answered from memory
//! when the same URL was rendered less than a TTL ago (1 s by default) and nothing readers
//! could see has changed in this process since. Changes made by other processes (the CLI,
//! other nodes) show within the TTL. Only `200` responses up to 1 MiB are kept, in at most
//! 16 MiB in all.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;

use crate::{AppState, SESSION_COOKIE, cookie};

const MAX_ENTRY_BYTES: usize = 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug)]
struct Entry {
    generation: u64,
    headers: HeaderMap,
    body: Bytes,
}

/// The per-node cache of rendered anonymous responses.
#[derive(Clone)]
pub struct ResponseCache {
    entries: moka::sync::Cache<String, Arc<Entry>>,
}

impl ResponseCache {
    /// A cache whose entries live at most `ttl`.
    pub fn new(ttl: Duration) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(MAX_TOTAL_BYTES)
            .weigher(|key: &String, entry: &Arc<Entry>| {
                u32::try_from(key.len() + entry.body.len() + 512).unwrap_or(u32::MAX)
            })
            .time_to_live(ttl)
            .build();
        ResponseCache { entries }
    }
}

fn cacheable_request(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.headers().contains_key(header::AUTHORIZATION)
        && cookie(request.headers(), SESSION_COOKIE).is_none()
}

/// Middleware: serves and fills the response cache when the state has one.
pub async fn cache_public_reads(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(cache) = state.response_cache.as_ref().filter(|_| cacheable_request(&request)) else {
        return next.run(request).await;
    };
    let key = request.uri().to_string();
    let generation = state.core.content_generation();
    if let Some(entry) = cache.entries.get(&key)
        && entry.generation == generation
    {
        let mut response = (StatusCode::OK, entry.body.clone()).into_response();
        *response.headers_mut() = entry.headers.clone();
        return response;
    }
    let response = next.run(request).await;
    let small = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|len| len <= MAX_ENTRY_BYTES as u64);
    if response.status() != StatusCode::OK || !small {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bytes = collected.to_bytes();
    let mut headers = parts.headers.clone();
    headers.remove(header::SET_COOKIE);
    cache.entries.insert(key, Arc::new(Entry { generation, headers, body: bytes.clone() }));
    Response::from_parts(parts, Body::from(bytes))
}
