//! The Inkstone server as a library: the full HTTP application, the background jobs and the
//! import, so the binary and the tests build exactly the same thing.

pub mod captcha;
pub mod config;
pub mod import;
pub mod keyfile;
pub mod mail;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use inkstone_core::Core;
use inkstone_http::AppState;
use tokio_util::sync::CancellationToken;

/// What the core needs beyond storage, as configured: the server key (from
/// `INKSTONE_SERVER_KEY` or `<data_dir>/server.key`, created on first start), the mailer
/// (SMTP or the file outbox) and the captcha backend.
///
/// Errors: an invalid server key, an unwritable data directory, or invalid mail or captcha
/// settings (see [`keyfile::load_or_create_server_key`], [`mail::mailer_from_config`],
/// [`captcha::captcha_from_config`]).
pub async fn services_from_config(config: &config::Config) -> anyhow::Result<inkstone_core::Services> {
    let data_dir = config.data_dir.clone();
    let from_env = config.server_key.clone();
    // File I/O with an fsync: kept off the async worker threads.
    let server_key = tokio::task::spawn_blocking(move || {
        keyfile::load_or_create_server_key(&data_dir, from_env.as_ref().map(config::Secret::expose))
    })
    .await??;
    Ok(inkstone_core::Services {
        server_key,
        mailer: mail::mailer_from_config(config)?,
        captcha: captcha::captcha_from_config(config)?,
    })
}

/// The whole HTTP application with the embedded default theme (see [`app_with_site`]).
pub fn app(state: AppState) -> Router {
    app_with_site(state, Arc::new(inkstone_site::Site::embedded()))
}

/// The whole HTTP application: `/healthz`, the native API and its docs, the stored media
/// files under `/media/` (outside the anonymous-read cache: that route answers conditional
/// and range requests itself), the emlog and ulthon dialects (outside that cache too:
/// their reads count views and their credentials travel in query strings and bodies), and
/// the public site, which owns every other path (its own page cache, and the 404 page).
pub fn app_with_site(state: AppState, site: Arc<inkstone_site::Site>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(inkstone_api_native::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), inkstone_http::cache::cache_public_reads))
        .merge(inkstone_api_native::media::public_router(state.clone()))
        .merge(inkstone_api_emlog::router(state.clone()))
        .merge(inkstone_api_ulthon::router(state.clone()))
        .merge(inkstone_site::router(state.clone(), site))
        .layer(axum::middleware::from_fn_with_state(state, inkstone_api_emlog::intercept))
        .layer(DefaultBodyLimit::max(inkstone_http::DEFAULT_BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Runs the periodic jobs until `stop` is raised: publishing scheduled items and
/// reloading settings every second, sweeping expired sessions every hour.
pub async fn run_jobs(core: Arc<Core>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    while !stop.is_cancelled() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => break,
        }
        match core.publish_due().await {
            Ok(ids) if !ids.is_empty() => tracing::info!(?ids, "published scheduled items"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "scheduled publishing failed"),
        }
        match core.reload_settings().await {
            Ok(true) => tracing::info!("settings changed; reloaded"),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "settings reload failed"),
        }
        if ticks.is_multiple_of(3600)
            && let Err(err) = core.sweep_sessions().await
        {
            tracing::warn!(error = %err, "session sweep failed");
        }
        ticks += 1;
    }
}
