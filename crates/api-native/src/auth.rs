//! `/api/v1/auth`, `/api/v1/me`, `/api/v1/tokens` and `/api/v1/settings`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use inkstone_core::CoreError;
use inkstone_core::abuse::{CaptchaAnswer, CaptchaOffer};
use inkstone_core::accounts::TokenRequest;
use inkstone_core::model::AccessTokenKind;
use inkstone_core::permission::Scope;
use inkstone_core::users::{ProfilePatch, Registration};
use inkstone_http::{AppState, ClientIp};

use crate::dto::*;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path};

/// Sign in with username or e-mail. Sets the HttpOnly session cookie and returns the CSRF
/// token to send as `X-CSRF-Token` on unsafe requests.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
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

/// Sign in for a bearer token: `session` (ends after 1 hour without use) or, with
/// `remember`, `session_remember` (5 years). Signing out ends both kinds.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenLoginRequest,
    responses((status = 200, body = TokenLoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login_for_token(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(input): Json<TokenLoginRequest>,
) -> ApiResult<axum::Json<TokenLoginResponse>> {
    let (token, secret) =
        state.core.login_for_token(&input.login, &input.password, input.remember, client).await?;
    Ok(axum::Json(TokenLoginResponse {
        token: secret,
        kind: token.kind.as_str().into(),
        user_id: token.user_id,
        idle_timeout_secs: token.kind.idle_timeout().map_or(0, |d| d.num_seconds()),
    }))
}

/// Sign out everywhere: every session and sign-in token (`session`, `session_remember`)
/// of yours ends and the cookie is cleared. Personal and developer tokens stay.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)),
    security(("session" = []), ("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, Caller(auth): Caller) -> ApiResult<impl IntoResponse> {
    if auth.actor.user_id().is_some() {
        state.core.logout(&auth.actor).await?;
    }
    let cookie = inkstone_http::session_cookie(None, 0, state.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]))
}

/// A captcha challenge for registration (when the `auth.registration_captcha` setting is
/// on): a built-in picture, or the third-party widget configured on the server.
#[utoipa::path(get, path = "/api/v1/auth/captcha", tag = "auth",
    responses((status = 200, body = CaptchaOut), (status = 429, body = Problem)))]
pub async fn captcha(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
) -> ApiResult<impl IntoResponse> {
    let body = match state.core.new_captcha(client).await? {
        CaptchaOffer::Image { id, png, expires_at } => CaptchaOut::Image {
            id,
            image: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)),
            expires_at: rfc3339(expires_at),
        },
        CaptchaOffer::Widget { provider, site_key } => CaptchaOut::Widget { provider, site_key },
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)))
}

/// Create an account, as the `auth.registration` setting allows (`closed` by default).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = MeOut), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(input): Json<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let captcha = input.captcha.unwrap_or_default();
    let registration = Registration {
        username: input.username,
        email: input.email,
        password: input.password,
        display_name: input.display_name,
        invite: input.invite,
        captcha: CaptchaAnswer { id: captcha.id, answer: captcha.answer, response: captcha.response },
    };
    let user = state.core.register(registration, client).await?;
    Ok((StatusCode::CREATED, axum::Json(MeOut::from(user))))
}

/// E-mail a password reset code. Answers 202 whether or not the account exists.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202), (status = 429, body = Problem)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(input): Json<ResetRequest>,
) -> ApiResult<StatusCode> {
    state.core.request_password_reset(&input.login, client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the e-mailed code; every session and sign-in token of the
/// account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses((status = 204), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(input): Json<ResetConfirm>,
) -> ApiResult<StatusCode> {
    state.core.complete_password_reset(&input.login, &input.code, &input.password, client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeOut), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn me(State(state): State<AppState>, Caller(auth): Caller) -> ApiResult<axum::Json<MeOut>> {
    Ok(axum::Json(state.core.me(&auth.actor).await?.into()))
}

/// Change your profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", request_body = ProfileUpdate,
    responses((status = 200, body = MeOut), (status = 401, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<ProfileUpdate>,
) -> ApiResult<axum::Json<MeOut>> {
    let patch = ProfilePatch {
        display_name: input.display_name,
        email: input.email,
        avatar: input.avatar,
        bio: input.bio,
    };
    Ok(axum::Json(state.core.update_profile(&auth.actor, patch).await?.into()))
}

/// Change your password. Your other sessions and sign-in tokens end; this session stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)),
    security(("session" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    let keep = auth.session.as_ref().map(|s| s.session.id_hash.as_str());
    state.core.change_password(&auth.actor, &input.current_password, &input.new_password, keep).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your tokens of every kind (never their secrets), newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    responses((status = 200, body = TokenList), (status = 401, body = Problem)), security(("session" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<TokenList>> {
    let items = state.core.tokens(&auth.actor).await?.into_iter().map(TokenOut::from).collect();
    Ok(axum::Json(TokenList { items }))
}

/// Create a personal access token (`pat_...`) or a developer token. Its secret is in
/// this response only. Only a person signed in (cookie, sign-in token or Basic) may.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenCreate,
    responses((status = 201, body = CreatedToken), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)),
    security(("session" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<TokenCreate>,
) -> ApiResult<impl IntoResponse> {
    let user_id = auth.actor.user_id().ok_or_else(CoreError::unauthenticated)?;
    let kind = match input.kind.as_deref() {
        None => AccessTokenKind::Personal,
        Some(kind) => AccessTokenKind::parse_field(kind, "kind")?,
    };
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
    let request =
        TokenRequest { user_id, name: input.name, kind, scopes, expires_in_days: input.expires_in_days };
    let (token, secret) = state.core.create_token(&auth.actor, request).await?;
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
