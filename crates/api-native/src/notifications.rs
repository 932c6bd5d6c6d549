//! `/api/v1/notifications`: the caller's own notifications, and sending them.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use inkstone_core::notifications::{Notification, NotificationInput, Recipients};
use inkstone_http::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::rfc3339;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_notifications, send_notification, mark_all_read, delete_read, get_notification,
        mark_notification, delete_notification
    ),
    components(schemas(
        NotificationOut, NotificationPage, NotificationSend, NotificationSent, NotificationMark, NotificationCount
    )),
    tags((name = "notifications", description = "Your notifications; sending them to others"))
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list_notifications).post(send_notification).delete(delete_read))
        .route("/notifications/read-all", post(mark_all_read))
        .route(
            "/notifications/{id}",
            get(get_notification).patch(mark_notification).delete(delete_notification),
        )
}

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    /// Where it came from: `comment` (a comment on your item), `friend_link` (an
    /// application), `api` (sent through this API).
    pub kind: String,
    pub title: String,
    /// Plain text (escape it to show it); lines separated by `\n`.
    pub body: String,
    /// A URL or site path to open.
    pub link: Option<String>,
    /// The id of the comment or friend link it is about, by `kind`.
    pub subject_id: Option<i64>,
    /// Facts about the subject (for a comment: `id`, `item_id`, `item_title`, `author_name`,
    /// `status`, `excerpt`, ...; for a friend link: `id`, `name`, `url`).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub read: bool,
    pub read_at: Option<String>,
    pub created_at: String,
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        NotificationOut {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            subject_id: n.subject_id,
            data: n.data,
            read: n.read_at.is_some(),
            read_at: n.read_at.map(rfc3339),
            created_at: rfc3339(n.created_at),
        }
    }
}

/// A page of your notifications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationOut>,
    /// Matching the filter.
    pub total: i64,
    /// Your unread notifications, whatever the filter.
    pub unread_count: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Filters and paging of `GET /api/v1/notifications`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; 20 by default.
    pub per_page: Option<i64>,
    /// Only unread notifications.
    #[serde(default)]
    pub unread: bool,
}

/// A notification to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSend {
    /// The recipient, an active user; every active admin when absent.
    pub user_id: Option<i64>,
    /// 1 to 200 characters.
    pub title: String,
    /// Plain text, at most 10,000 characters.
    #[serde(default)]
    pub body: String,
    /// An `http(s)` URL or a site path starting with `/`.
    pub link: Option<String>,
}

/// How many notifications were written.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSent {
    pub created: u64,
}

/// Mark a notification read or unread.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationMark {
    pub read: bool,
}

/// How many notifications a bulk change touched.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationCount {
    pub count: u64,
}

/// Your notifications, newest first, with your unread count (anyone signed in).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationListQuery),
    responses((status = 200, body = NotificationPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_notifications(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<NotificationListQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = state.core.notifications(&auth.actor, query.unread, query.page, query.per_page).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    let body = NotificationPage {
        items: page.items.into_iter().map(NotificationOut::from).collect(),
        total: page.total,
        unread_count: page.unread,
        page: page.page,
        per_page: page.per_page,
    };
    Ok((headers, axum::Json(body)))
}

/// Send a notification (kind `api`) to one user, or to every active admin when `user_id`
/// is absent (editors and admins).
#[utoipa::path(post, path = "/api/v1/notifications", tag = "notifications", request_body = NotificationSend,
    responses((status = 201, body = NotificationSent), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn send_notification(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<NotificationSend>,
) -> ApiResult<impl IntoResponse> {
    let input = NotificationInput {
        to: input.user_id.map_or(Recipients::Admins, Recipients::User),
        title: input.title,
        body: input.body,
        link: input.link,
    };
    let created = state.core.send_notification(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, axum::Json(NotificationSent { created })))
}

/// Mark all your notifications read; `count` is how many were unread.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = NotificationCount), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<NotificationCount>> {
    let count = state.core.mark_all_notifications_read(&auth.actor).await?;
    Ok(axum::Json(NotificationCount { count }))
}

/// Delete all your notifications that have been read (unread ones stay); `count` is how
/// many went.
#[utoipa::path(delete, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, body = NotificationCount), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_read(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<NotificationCount>> {
    let count = state.core.delete_read_notifications(&auth.actor).await?;
    Ok(axum::Json(NotificationCount { count }))
}

/// One of your notifications (anyone else's is 404).
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = NotificationOut), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_notification(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<NotificationOut>> {
    Ok(axum::Json(state.core.notification(&auth.actor, id).await?.into()))
}

/// Mark one of your notifications read or unread.
#[utoipa::path(patch, path = "/api/v1/notifications/{id}", tag = "notifications", params(("id" = i64, Path)),
    request_body = NotificationMark,
    responses((status = 200, body = NotificationOut), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn mark_notification(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<NotificationMark>,
) -> ApiResult<axum::Json<NotificationOut>> {
    Ok(axum::Json(state.core.mark_notification(&auth.actor, id, input.read).await?.into()))
}

/// Delete one of your notifications.
#[utoipa::path(delete, path = "/api/v1/notifications/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_notification(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_notification(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
