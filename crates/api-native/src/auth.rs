//! `/api/v1/auth`, `/api/v1/me`, `/api/v1/tokens` and `/api/v1/settings`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use inkstone_core::CoreError;
use inkstone_core::permission::Scope;
use inkstone_http::AppState;

use crate::dto::*;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path};

/// Sign in with username or e-mail. Sets the HttpOnly session cookie and returns the CSRF
/// token to send as `X-CSRF-Token` on unsafe requests.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    inkstone_http::ClientIp(client): inkstone_http::ClientIp,
    Json(input): Json<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let outcome = state.core.login(&input.login, &input.password, input.remember, client).await?;
    let max_age = (outcome.expires_at - state.core.now()).num_seconds();
    let cookie = inkstone_http::session_cookie(Some(&outcome.session_token), max_age, state.secure_cookies);
    let body = LoginResponse {
        user: outcome.user.into(),
        csrf_token: outcome.csrf_token,
        expires_at: rfc3339(outcome.expires_at),
    };
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)))
}

/// End the current session and clear its cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)),
    security(("session" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    Caller(_auth): Caller,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    if let Some(token) = inkstone_http::cookie(&headers, inkstone_http::SESSION_COOKIE) {
        state.core.logout(token).await?;
    }
    let cookie = inkstone_http::session_cookie(None, 0, state.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeOut), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn me(State(state): State<AppState>, Caller(auth): Caller) -> ApiResult<axum::Json<MeOut>> {
    Ok(axum::Json(state.core.me(&auth.actor).await?.into()))
}

/// Your personal access tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    responses((status = 200, body = TokenList), (status = 401, body = Problem)), security(("session" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<TokenList>> {
    let items = state.core.tokens(&auth.actor).await?.into_iter().map(TokenOut::from).collect();
    Ok(axum::Json(TokenList { items }))
}

/// Create a personal access token. Its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenCreate,
    responses((status = 201, body = CreatedToken), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("session" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<TokenCreate>,
) -> ApiResult<impl IntoResponse> {
    let user_id = auth.actor.user_id().ok_or_else(CoreError::unauthenticated)?;
    let scopes = input
        .scopes
        .map(|names| {
            names
                .iter()
                .map(|name| {
                    Scope::parse(name).ok_or_else(|| {
                        CoreError::invalid(
                            "scopes",
                            format!("unknown scope `{name}`"),
                            format!("未知的权限范围 `{name}`"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let (token, secret) =
        state.core.create_token(&auth.actor, user_id, &input.name, scopes, input.expires_in_days).await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedToken { token: token.into(), secret })))
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("session" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.revoke_token(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Site settings. Anonymous callers get the public ones (`site.*`); admins get all.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", responses((status = 200, body = SettingsDto)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<SettingsDto>> {
    let values = state.core.visible_settings(&auth.actor).into_iter().collect();
    Ok(axum::Json(SettingsDto { values }))
}

/// Change settings (admins). Every value is validated before any is written.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", request_body = SettingsDto,
    responses((status = 200, body = SettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_settings(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<SettingsDto>,
) -> ApiResult<axum::Json<SettingsDto>> {
    let values: Vec<(String, String)> = input.values.into_iter().collect();
    state.core.set_settings(&auth.actor, &values).await?;
    get_settings(State(state), Caller(auth)).await
}
