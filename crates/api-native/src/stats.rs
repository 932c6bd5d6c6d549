//! `/api/v1/stats`: the page-view beacon and the statistics reports.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use inkstone_core::stats::{Hit, HitOutcome};
use inkstone_core::{CoreError, ErrorCode};
use inkstone_http::{AppState, ClientIp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(record_hit, daily_stats, top_pages),
    components(schemas(HitIn, HitOut, HitTodayCounts, HitTotalCounts, DayStatsOut, StatsOut, StatsTotals, PageStatsOut, TopPagesOut)),
    tags((name = "stats", description = "Page-view statistics: the beacon and the reports"))
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stats", get(daily_stats))
        .route("/stats/hits", post(record_hit))
        .route("/stats/pages", get(top_pages))
}

/// A page view, sent by a page of the site. The body may be empty.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HitIn {
    /// The page's path (`location.pathname`), starting with `/`; query and fragment are
    /// dropped. When absent the `Referer`'s path is counted (browsers often send only the
    /// origin to another origin, so pages should send it).
    pub path: Option<String>,
}

/// The day's counters after a counted hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitTodayCounts {
    pub site_pv: i64,
    /// Distinct visitors of the site today.
    pub site_uv: i64,
    pub page_pv: i64,
    /// Distinct visitors of this page today.
    pub page_uv: i64,
}

/// All-time counters after a counted hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitTotalCounts {
    pub site_pv: i64,
    /// Sum of daily UVs (visitor-days).
    pub site_uv: i64,
    pub page_pv: i64,
}

/// What became of a hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitOut {
    pub counted: bool,
    /// Why it was not counted: `no_allowed_domains` (the `stats.allowed_domains` setting is
    /// empty), `no_referer`, `referer_not_allowed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The day counted (`YYYY-MM-DD`, site time zone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// The path counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today: Option<HitTodayCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<HitTotalCounts>,
}

/// A date range, `YYYY-MM-DD` days in the site's time zone, both ends included.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day; 29 days before `to` by default.
    pub from: Option<String>,
    /// Last day; today by default. At most 366 days from `from`.
    pub to: Option<String>,
}

/// A date range and how many pages to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PagesQuery {
    /// First day; 29 days before `to` by default.
    pub from: Option<String>,
    /// Last day; today by default. At most 366 days from `from`.
    pub to: Option<String>,
    /// 1 to 100; 10 by default.
    pub limit: Option<i64>,
}

/// One day's site counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayStatsOut {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub site_pv: i64,
    pub site_uv: i64,
}

/// Sums over the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsTotals {
    pub site_pv: i64,
    /// Sum of daily UVs (visitor-days): one person on two days counts twice.
    pub site_uv: i64,
}

/// Site counters for every day of the range (zeros included).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub from: String,
    pub to: String,
    pub days: Vec<DayStatsOut>,
    pub total: StatsTotals,
}

/// One page's counters over the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageStatsOut {
    pub path: String,
    pub pv: i64,
    /// Sum of daily page UVs (visitor-days).
    pub uv: i64,
}

/// The most viewed pages of the range, by PV.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopPagesOut {
    pub from: String,
    pub to: String,
    pub items: Vec<PageStatsOut>,
}

fn day_text(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Count a page view (anyone; no credentials are read, so a beacon may send the body as
/// `text/plain` to avoid a CORS preflight). Counted only when the `Referer`'s host is on
/// the `stats.allowed_domains` list, exactly or as a subdomain (`example.com` covers
/// `blog.example.com`, not `badexample.com`); otherwise answered 200 with
/// `counted: false` and a `reason`, counting nothing. Visitors are told apart by a salted
/// hash of address and user agent that is kept for the day only. 429 after 60 counted hits
/// a minute from one address.
#[utoipa::path(post, path = "/api/v1/stats/hits", tag = "stats", request_body(content = Option<HitIn>),
    params(("Referer" = Option<String>, Header, description = "The page viewed; its host must be allowed")),
    responses((status = 200, body = HitOut), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn record_hit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    let input: HitIn = if body.iter().all(u8::is_ascii_whitespace) {
        HitIn::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            CoreError::new(ErrorCode::InvalidInput).with_detail(e.to_string(), format!("请求体无效：{e}"))
        })?
    };
    let hit = Hit {
        referer: header_text(&headers, header::REFERER),
        path: input.path,
        user_agent: header_text(&headers, header::USER_AGENT),
        client,
    };
    let out = match state.core.record_hit(hit).await? {
        HitOutcome::Counted { day, path, counts } => HitOut {
            counted: true,
            reason: None,
            day: Some(day_text(day)),
            path: Some(path),
            today: Some(HitTodayCounts {
                site_pv: counts.site_pv,
                site_uv: counts.site_uv,
                page_pv: counts.page_pv,
                page_uv: counts.page_uv,
            }),
            total: Some(HitTotalCounts {
                site_pv: counts.total_site_pv,
                site_uv: counts.total_site_uv,
                page_pv: counts.total_page_pv,
            }),
        },
        HitOutcome::NotCounted(reason) => HitOut {
            counted: false,
            reason: Some(reason.as_str().to_string()),
            day: None,
            path: None,
            today: None,
            total: None,
        },
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(out)))
}

/// Site PV and UV for every day of a range, and totals (editors and admins).
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", params(RangeQuery),
    responses((status = 200, body = StatsOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn daily_stats(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Query(query): Query<RangeQuery>,
) -> ApiResult<axum::Json<StatsOut>> {
    let report = state.core.stats_report(&auth.actor, query.from.as_deref(), query.to.as_deref()).await?;
    Ok(axum::Json(StatsOut {
        from: day_text(report.from),
        to: day_text(report.to),
        days: report
            .days
            .into_iter()
            .map(|d| DayStatsOut { day: day_text(d.day), site_pv: d.pv, site_uv: d.uv })
            .collect(),
        total: StatsTotals { site_pv: report.total_pv, site_uv: report.total_uv },
    }))
}

/// The most viewed pages of a range (editors and admins).
#[utoipa::path(get, path = "/api/v1/stats/pages", tag = "stats", params(PagesQuery),
    responses((status = 200, body = TopPagesOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn top_pages(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Query(query): Query<PagesQuery>,
) -> ApiResult<axum::Json<TopPagesOut>> {
    let (from, to, pages) =
        state.core.top_pages(&auth.actor, query.from.as_deref(), query.to.as_deref(), query.limit).await?;
    Ok(axum::Json(TopPagesOut {
        from: day_text(from),
        to: day_text(to),
        items: pages.into_iter().map(|p| PageStatsOut { path: p.path, pv: p.pv, uv: p.uv }).collect(),
    }))
}
