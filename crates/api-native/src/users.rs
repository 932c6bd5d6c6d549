//! `/api/v1/users` and `/api/v1/invites`.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use inkstone_core::accounts::UserInput;
use inkstone_core::model::{Role, UserStatus};
use inkstone_core::ports::UserQuery;
use inkstone_core::users::{AccountPatch, ProfilePatch};
use inkstone_core::{CoreError, ErrorCode};
use inkstone_http::AppState;

use crate::dto_identity::*;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

/// Default page size of the user list.
const USERS_PER_PAGE: i64 = 20;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user).patch(update_user))
        .route("/invites", get(list_invites).post(create_invite))
        .route("/invites/{id}", axum::routing::delete(revoke_invite))
}

/// A JSON body that may also be empty (then `T::default()`).
pub(crate) fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        CoreError::new(ErrorCode::InvalidInput).with_detail(e.to_string(), format!("请求体无效：{e}")).into()
    })
}

/// List users in the order they joined (admins). Filter by `role`, `status` and `q` (part of the
/// username, display name or e-mail).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListQuery),
    responses((status = 200, body = UserPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<UserListQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(USERS_PER_PAGE);
    let user_query = UserQuery {
        role: query.role.as_deref().map(|r| Role::parse_field(r, "role")).transpose()?,
        status: query.status.as_deref().map(|s| UserStatus::parse_field(s, "status")).transpose()?,
        search: query.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
        offset: inkstone_core::paging::offset(page, per_page)?,
        limit: per_page,
    };
    let (users, total) = state.core.users(&auth.actor, user_query).await?;
    let body =
        UserPage { items: users.into_iter().map(|u| UserOut::new(u, true)).collect(), total, page, per_page };
    Ok((crate::paging::paging_headers(&uri, page, per_page, total), axum::Json(body)))
}

/// Create a user (admins). The account is active at once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserCreate,
    responses((status = 201, body = UserOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<UserCreate>,
) -> ApiResult<impl IntoResponse> {
    let input = UserInput {
        username: input.username,
        email: input.email,
        display_name: input.display_name,
        role: Role::parse_field(&input.role, "role")?,
        password: input.password,
    };
    let user = state.core.create_user(&auth.actor, input).await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(UserOut::new(user, true))))
}

/// A user's profile. Anyone may read it; `email`, `status` and `last_seen_at` are
/// included for the user themselves and for admins.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn get_user(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<UserOut>> {
    let user = state.core.user(id).await?;
    let private = state.core.may_see_private(&auth.actor, user.id);
    Ok(axum::Json(UserOut::new(user, private)))
}

/// Change an account (admins): profile, role, status. Disabling ends the user's sessions
/// and tokens and stops their API keys. The last active admin cannot be demoted or
/// disabled (409 `invalid_state`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    request_body = UserPatchDto,
    responses((status = 200, body = UserOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<UserPatchDto>,
) -> ApiResult<axum::Json<UserOut>> {
    let patch = AccountPatch {
        profile: ProfilePatch {
            display_name: input.display_name,
            email: input.email,
            // The core clears these with an empty string.
            avatar: input.avatar.map(Option::unwrap_or_default),
            bio: input.bio.map(Option::unwrap_or_default),
        },
        role: input.role.as_deref().map(|r| Role::parse_field(r, "role")).transpose()?,
        status: input.status.as_deref().map(|s| UserStatus::parse_field(s, "status")).transpose()?,
    };
    let user = state.core.update_account(&auth.actor, id, patch).await?;
    Ok(axum::Json(UserOut::new(user, true)))
}

/// Invitations to register, newest first (admins). Their codes are never shown again.
#[utoipa::path(get, path = "/api/v1/invites", tag = "users",
    responses((status = 200, body = InviteList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_invites(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<InviteList>> {
    let items = state.core.invites(&auth.actor).await?.into_iter().map(InviteOut::from).collect();
    Ok(axum::Json(InviteList { items }))
}

/// Make an invitation code (admins). The code is in this response only. The body is
/// optional.
#[utoipa::path(post, path = "/api/v1/invites", tag = "users", request_body(content = Option<InviteCreate>),
    responses((status = 201, body = CreatedInvite), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_invite(
    State(state): State<AppState>,
    Caller(auth): Caller,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    let input: InviteCreate = optional_body(&body)?;
    let role = input.role.as_deref().map(|r| Role::parse_field(r, "role")).transpose()?;
    let (invite, code) = state.core.create_invite(&auth.actor, role, input.expires_in_days).await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedInvite { invite: invite.into(), code })))
}

/// Withdraw an invitation (admins).
#[utoipa::path(delete, path = "/api/v1/invites/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revoke_invite(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.revoke_invite(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
