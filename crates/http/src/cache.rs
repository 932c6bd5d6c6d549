//! Micro-caching of anonymous reads: a `GET` without credentials is answered from memory
//! when the same URL was rendered less than a TTL ago (1 s by default) and nothing readers
//! could see has changed in this process since. Changes made by other processes (the CLI,
//! other nodes) show within the TTL: once a copy is older, one caller renders the URL again
//! while the others are still served the copy ([`Freshness`]). Only `200` responses up to
//! 1 MiB are kept, in at most 16 MiB in all, and only those computed for an anonymous
//! caller ([`AnonymousProbe`]) that do not say `no-store` or `private`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
/// How long a copy nobody asks for stays in memory (past its TTL it is only served while
/// one caller renders it again).
const IDLE: Duration = Duration::from_secs(60);

/// The age of a cached copy, and which one caller renders it again once it is older than
/// its time to live.
///
/// When a copy expires under load, every caller waiting on it would otherwise render it at
/// once (32 connections, 32 renders, a p99 in the hundreds of milliseconds). Instead the
/// first caller past the TTL claims the refresh and the others keep getting the old copy
/// until the new one is stored. A claim lapses after another TTL, so a render that never
/// finishes (its caller went away) does not keep the copy from being refreshed. A caller
/// whose refresh yields nothing to keep must drop the old copy.
#[derive(Debug)]
pub struct Freshness {
    stored_at: Instant,
    /// Milliseconds after `stored_at` from which the next caller may claim the refresh.
    refresh_due_ms: AtomicU64,
}

impl Freshness {
    /// A copy stored now, to be renewed after `ttl`.
    pub fn new(ttl: Duration) -> Freshness {
        Freshness { stored_at: Instant::now(), refresh_due_ms: AtomicU64::new(millis(ttl)) }
    }

    /// Whether the caller should render a new copy: `false` while the copy is younger than
    /// `ttl` and while another caller's claim on the refresh is under `ttl` old.
    pub fn claim_refresh(&self, ttl: Duration) -> bool {
        let age = millis(self.stored_at.elapsed());
        let due = self.refresh_due_ms.load(Ordering::Acquire);
        age >= due
            && self
                .refresh_due_ms
                .compare_exchange(due, age.saturating_add(millis(ttl)), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    headers: HeaderMap,
    body: Bytes,
    freshness: Freshness,
}

/// The per-node cache of rendered anonymous responses.
#[derive(Clone)]
pub struct ResponseCache {
    /// Behind an `Arc` of its own because the application state holding it is cloned for
    /// every request, and a bare moka cache clones several reference counts and channels.
    entries: Arc<moka::sync::Cache<String, Arc<Entry>>>,
    ttl: Duration,
}

impl ResponseCache {
    /// A cache whose entries are served for `ttl`, then renewed by one caller.
    pub fn new(ttl: Duration) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(MAX_TOTAL_BYTES)
            .weigher(|key: &String, entry: &Arc<Entry>| {
                u32::try_from(key.len() + entry.body.len() + 512).unwrap_or(u32::MAX)
            })
            .time_to_idle(IDLE.max(ttl.saturating_mul(2)))
            .build();
        ResponseCache { entries: Arc::new(entries), ttl }
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
    let mut refreshing = false;
    if let Some(entry) = cache.entries.get(&key)
        && entry.generation == generation
    {
        refreshing = entry.freshness.claim_refresh(cache.ttl);
        if !refreshing {
            let mut response = (StatusCode::OK, entry.body.clone()).into_response();
            *response.headers_mut() = entry.headers.clone();
            return response;
        }
    }
    let probe = AnonymousProbe::new();
    request.extensions_mut().insert(probe.clone());
    let response = next.run(request).await;
    let small = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|len| len <= MAX_ENTRY_BYTES as u64);
    if !storable(&response) || !small || !probe.anonymous() {
        if refreshing {
            // The URL no longer renders a copy to keep (the item is gone, say): the old
            // one must not be served on.
            cache.entries.invalidate(&key);
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bytes = collected.to_bytes();
    let mut headers = parts.headers.clone();
    headers.remove(header::SET_COOKIE);
    let freshness = Freshness::new(cache.ttl);
    cache.entries.insert(key, Arc::new(Entry { generation, headers, body: bytes.clone(), freshness }));
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_millis(100);

    #[test]
    fn a_copy_is_served_until_its_ttl_then_one_caller_at_a_time_renews_it() {
        let copy = Freshness::new(TTL);
        assert!(!copy.claim_refresh(TTL), "a fresh copy is served");
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert!(copy.claim_refresh(TTL), "the first caller past the TTL renders it again");
        assert!(!copy.claim_refresh(TTL), "the next ones keep getting the old copy meanwhile");
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert!(copy.claim_refresh(TTL), "a claim whose render never stored anything lapses");
    }

    #[test]
    fn of_many_callers_at_once_exactly_one_claims_the_refresh() {
        let copy = Arc::new(Freshness::new(TTL));
        std::thread::sleep(TTL + Duration::from_millis(50));
        let barrier = Arc::new(std::sync::Barrier::new(16));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (copy, barrier) = (copy.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    copy.claim_refresh(TTL)
                })
            })
            .collect();
        let claims = callers.into_iter().map(|caller| caller.join().expect("caller")).filter(|&c| c).count();
        assert_eq!(claims, 1);
    }
}
