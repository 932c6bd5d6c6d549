//! Webhooks: subscriptions to domain events, queued deliveries signed with HMAC-SHA256, retries and a delivery log.
//!
//! `/api/v1/webhooks` (admins only). The secret is in the responses of create and
//! rotate-secret only.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use inkstone_core::webhooks::{
    DELIVERIES_PER_PAGE, DeliveryAttempt, Webhook, WebhookChanges, WebhookDelivery, WebhookInput,
};
use inkstone_http::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::rfc3339;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};
use crate::paging::paging_headers;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_webhooks, create_webhook, get_webhook, update_webhook, delete_webhook, rotate_secret,
        ping, deliveries, redeliver,
    ),
    tags((name = "webhooks", description = "Webhooks: event subscriptions, signed deliveries, retries and the delivery log")),
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route("/webhooks/{id}", get(get_webhook).patch(update_webhook).delete(delete_webhook))
        .route("/webhooks/{id}/rotate-secret", post(rotate_secret))
        .route("/webhooks/{id}/ping", post(ping))
        .route("/webhooks/{id}/deliveries", get(deliveries))
        .route("/webhooks/deliveries/{id}/redeliver", post(redeliver))
}

/// A webhook, never with its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookOut {
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The events it receives, e.g. `item.published`.
    pub events: Vec<String>,
    /// An inactive webhook is sent nothing.
    pub active: bool,
    pub description: String,
    /// The admin who made it.
    pub created_by: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Webhook> for WebhookOut {
    fn from(w: Webhook) -> Self {
        WebhookOut {
            id: w.id,
            url: w.url,
            events: w.events.iter().map(|k| k.as_str().to_string()).collect(),
            active: w.active,
            description: w.description,
            created_by: w.created_by,
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// Every webhook, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookOut>,
}

/// A new webhook.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    /// An absolute `http` or `https` URL. Loopback, private and other non-public
    /// addresses are refused unless the setting `webhooks.allow_private_targets` is on.
    pub url: String,
    /// At least one of `item.published`, `item.updated`, `item.deleted`,
    /// `comment.created`, `media.uploaded`, `friend_link.applied`.
    pub events: Vec<String>,
    /// Default true.
    pub active: Option<bool>,
    /// Up to 500 characters.
    pub description: Option<String>,
}

/// Changes to a webhook; absent fields stay as they are.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchDto {
    pub url: Option<String>,
    /// Replaces the subscriptions; at least one event.
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    pub description: Option<String>,
}

/// A webhook with its secret: shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookWithSecret {
    pub webhook: WebhookOut,
    /// `whsec_...`: the HMAC-SHA256 key of `X-Inkstone-Signature`.
    pub secret: String,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttemptOut {
    /// 1-based.
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status; null when there was no response.
    pub status_code: Option<u16>,
    /// Milliseconds from connecting to the end of reading the response excerpt.
    pub duration_ms: i64,
    /// Why the attempt failed (status, refused target, connection error, timeout).
    pub error: Option<String>,
    /// The first 1 KiB of the response body.
    pub response_body: Option<String>,
}

impl From<DeliveryAttempt> for DeliveryAttemptOut {
    fn from(a: DeliveryAttempt) -> Self {
        DeliveryAttemptOut {
            attempt: a.attempt,
            at: rfc3339(a.at),
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            response_body: a.response_body,
        }
    }
}

/// One event sent to one webhook, with every attempt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryOut {
    /// Sent as `X-Inkstone-Delivery`.
    pub id: i64,
    pub webhook_id: i64,
    /// The event name, or `ping`.
    pub event: String,
    /// `pending`, `succeeded` or `failed` (after 6 attempts).
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due; null once succeeded or failed.
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
    /// The JSON body sent: `{id, event, created_at, data}`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Oldest first.
    pub attempt_log: Vec<DeliveryAttemptOut>,
}

impl From<WebhookDelivery> for DeliveryOut {
    fn from(d: WebhookDelivery) -> Self {
        DeliveryOut {
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event,
            status: d.status.as_str().to_string(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
            completed_at: d.completed_at.map(rfc3339),
            payload: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::Null),
            attempt_log: d.attempt_log.into_iter().map(DeliveryAttemptOut::from).collect(),
        }
    }
}

/// A page of a delivery log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Paging of `GET /api/v1/webhooks/{id}/deliveries`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; 20 by default.
    pub per_page: Option<i64>,
}

/// Webhooks, newest first (admins). Never their secrets.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhookList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<WebhookList>> {
    let items = state.core.webhooks(&auth.actor).await?.into_iter().map(WebhookOut::from).collect();
    Ok(axum::Json(WebhookList { items }))
}

/// Create a webhook (admins). The secret is in this response only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookCreate,
    responses((status = 201, body = WebhookWithSecret), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<WebhookCreate>,
) -> ApiResult<impl IntoResponse> {
    let input = WebhookInput {
        url: input.url,
        events: input.events,
        active: input.active,
        description: input.description,
    };
    let (webhook, secret) = state.core.create_webhook(&auth.actor, input).await?;
    let location = format!("/api/v1/webhooks/{}", webhook.id);
    let body = WebhookWithSecret { webhook: webhook.into(), secret };
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(body)))
}

/// One webhook (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<WebhookOut>> {
    Ok(axum::Json(state.core.webhook(&auth.actor, id).await?.into()))
}

/// Change a webhook's URL, events, active flag or description (admins).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    request_body = WebhookPatchDto,
    responses((status = 200, body = WebhookOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<WebhookPatchDto>,
) -> ApiResult<axum::Json<WebhookOut>> {
    let changes = WebhookChanges {
        url: input.url,
        events: input.events,
        active: input.active,
        description: input.description,
    };
    Ok(axum::Json(state.core.update_webhook(&auth.actor, id, changes).await?.into()))
}

/// Delete a webhook with its delivery log (admins); pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_webhook(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace a webhook's secret (admins). The new secret is in this response only; the old
/// one stops working at once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookWithSecret), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<WebhookWithSecret>> {
    let (webhook, secret) = state.core.rotate_webhook_secret(&auth.actor, id).await?;
    Ok(axum::Json(WebhookWithSecret { webhook: webhook.into(), secret }))
}

/// Queue a `ping` delivery to the webhook now (admins), whatever it subscribes to.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 202, body = DeliveryOut, description = "Queued; see the delivery log for the outcome"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "The webhook is inactive")),
    security(("bearer" = []), ("session" = [])))]
pub async fn ping(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    let delivery = state.core.ping_webhook(&auth.actor, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(DeliveryOut::from(delivery))))
}

/// A webhook's delivery log, newest first, each delivery with its attempts (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path), DeliveryListQuery),
    responses((status = 200, body = DeliveryPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
    Query(query): Query<DeliveryListQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(DELIVERIES_PER_PAGE);
    let (items, total) = state.core.webhook_deliveries(&auth.actor, id, page, per_page).await?;
    let body =
        DeliveryPage { items: items.into_iter().map(DeliveryOut::from).collect(), total, page, per_page };
    Ok((paging_headers(&uri, page, per_page, total), axum::Json(body)))
}

/// Send a delivery's body again, as a new delivery due now (admins). The body, and so its
/// `id`, is unchanged.
#[utoipa::path(post, path = "/api/v1/webhooks/deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 202, body = DeliveryOut, description = "The new delivery, queued"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "The webhook is inactive")),
    security(("bearer" = []), ("session" = [])))]
pub async fn redeliver(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    let delivery = state.core.redeliver_webhook_delivery(&auth.actor, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(DeliveryOut::from(delivery))))
}
