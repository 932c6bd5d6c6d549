//! `/api/v1/api-keys` and `/api/v1/audit-log`.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use inkstone_core::apikeys::ApiKeyRequest;
use inkstone_core::permission::{DeleteGrant, KeyGrant};
use inkstone_core::ports::{ApiKeyPatch, AuditQuery};
use inkstone_http::AppState;

use crate::dto_identity::*;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};
use crate::paging::paging_headers;

/// Default page size of the audit log.
const AUDIT_PER_PAGE: i64 = 50;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api-keys/{id}", get(get_api_key).patch(update_api_key).delete(revoke_api_key))
        .route("/audit-log", get(audit_log))
}

/// API keys, newest first (admins). Never their secrets.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = ApiKeyList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<ApiKeyList>> {
    let items = state.core.api_keys(&auth.actor).await?.into_iter().map(ApiKeyOut::from).collect();
    Ok(axum::Json(ApiKeyList { items }))
}

/// Create an API key (admins) with ulthon's flags. The key is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyCreate,
    responses((status = 201, body = CreatedApiKey), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<ApiKeyCreate>,
) -> ApiResult<impl IntoResponse> {
    let request = ApiKeyRequest {
        grant: KeyGrant::from_wire(input.can_write_own, input.can_write_other, input.can_delete)?,
        name: input.name,
        user_id: input.user_id,
        allowed_ips: input.allowed_ips,
    };
    let (key, secret) = state.core.create_api_key(&auth.actor, request).await?;
    let location = format!("/api/v1/api-keys/{}", key.id);
    let body = CreatedApiKey { api_key: key.into(), key: secret };
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(body)))
}

/// One API key (admins).
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    responses((status = 200, body = ApiKeyOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_api_key(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ApiKeyOut>> {
    Ok(axum::Json(state.core.api_key(&auth.actor, id).await?.into()))
}

/// Change an API key (admins): name, flags (those given are merged with the current
/// ones), allow list, enabled.
#[utoipa::path(patch, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    request_body = ApiKeyPatchDto,
    responses((status = 200, body = ApiKeyOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_api_key(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<ApiKeyPatchDto>,
) -> ApiResult<axum::Json<ApiKeyOut>> {
    let patch = ApiKeyPatch {
        name: input.name,
        can_write_own: input.can_write_own.map(|v| KeyGrant::parse_flag(v, "can_write_own")).transpose()?,
        can_write_other: input
            .can_write_other
            .map(|v| KeyGrant::parse_flag(v, "can_write_other"))
            .transpose()?,
        can_delete: input.can_delete.map(|v| DeleteGrant::parse_level(v, "can_delete")).transpose()?,
        allowed_ips: input.allowed_ips.map(Option::unwrap_or_default),
        enabled: input.enabled,
    };
    Ok(axum::Json(state.core.update_api_key(&auth.actor, id, patch).await?.into()))
}

/// Delete an API key (admins); requests sent or signed with it fail from now on.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.revoke_api_key(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The security event log, newest first (admins): sign-ins and their failures, lockouts,
/// credentials made, used and revoked, account changes, permission denials.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditListQuery),
    responses((status = 200, body = AuditPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<AuditListQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(AUDIT_PER_PAGE);
    let audit_query = AuditQuery {
        event: query.event.map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
        user_id: query.user_id,
        offset: inkstone_core::paging::offset(page, per_page)?,
        limit: per_page,
    };
    let (events, total) = state.core.audit_log(&auth.actor, audit_query).await?;
    let body =
        AuditPage { items: events.into_iter().map(AuditEventOut::from).collect(), total, page, per_page };
    Ok((paging_headers(&uri, page, per_page, total), axum::Json(body)))
}
