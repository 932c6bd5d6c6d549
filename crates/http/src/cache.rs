//! Micro-caching of anonymous reads: a `GET` without credentials is answered from memory
//! when the same URL was rendered less than a TTL ago (1 s by default) and nothing readers
//! could see has changed in this process since. Changes made by other processes (the CLI,
//! other nodes) show within the TTL. Only `200` responses up to 1 MiB are kept, in at most
//! 16 MiB in all, and only those computed for an anonymous caller ([`AnonymousProbe`]) that
//! do not say `no-store` or `private`.

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
    /// Behind an `Arc` of its own because the application state holding it is cloned for
    /// every request, and a bare moka cache clones several reference counts and channels.
    entries: Arc<moka::sync::Cache<String, Arc<Entry>>>,
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
        ResponseCache { entries: Arc::new(entries) }
    }
}

/// Query parameters that carry credentials in some dialect (emlog's signature and
/// `api_key`, Qexo's `token`).
const CREDENTIAL_PARAMS: &[&str] = &["req_sign", "api_key", "token"];

fn cacheable_request(request: &Request) -> bool {
    let headers = request.headers();
    request.method() == Method::GET
        && !headers.contains_key(header::AUTHORIZATION)
        && !headers.contains_key(crate::API_KEY_HEADER)
        && cookie(headers, SESSION_COOKIE).is_none()
        && !form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .any(|(key, _)| CREDENTIAL_PARAMS.contains(&key.as_ref()))
}

/// Set on requests the cache may store; [`crate::authenticate_with`] clears it when the
/// caller turns out to be anyone but anonymous, so a response computed for a credential
/// that arrived some other way (a form field, a new header) is never kept for others.
#[derive(Debug, Clone, Default)]
pub struct AnonymousProbe(Arc<std::sync::atomic::AtomicBool>);

impl AnonymousProbe {
    fn new() -> Self {
        AnonymousProbe(Arc::new(std::sync::atomic::AtomicBool::new(true)))
    }

    /// Records that the request was made by someone.
    pub fn saw_credential(&self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }

    fn anonymous(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

fn storable(response: &Response) -> bool {
    let no_store = response.headers().get_all(header::CACHE_CONTROL).iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("no-store") || v.contains("private")
        })
    });
    response.status() == StatusCode::OK && !no_store
}

/// Middleware: serves and fills the response cache when the state has one.
pub async fn cache_public_reads(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
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
    let probe = AnonymousProbe::new();
    request.extensions_mut().insert(probe.clone());
    let response = next.run(request).await;
    let small = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|len| len <= MAX_ENTRY_BYTES as u64);
    if !storable(&response) || !small || !probe.anonymous() {
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
