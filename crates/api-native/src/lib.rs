//! Inkstone's native REST API under `/api/v1`, its OpenAPI 3.1 document at
//! `/api/v1/openapi.json` and an offline Swagger UI at `/api/docs`.

pub mod api_keys;
pub mod auth;
pub mod comments;
pub mod dto;
pub mod dto_identity;
pub mod error;
pub mod extract;
pub mod likes;
pub mod links;
pub mod media;
pub mod notes;
pub mod notifications;
pub mod paging;
pub mod posts;
pub mod stats;
pub mod taxonomy;
pub mod users;
pub mod webhooks;

use axum::Router;
use axum::routing::{get, post};
use inkstone_http::AppState;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pat_... | tok_... | isk_...")
                    .description(Some(
                        "A personal access token (`inkstone token create`, POST /api/v1/tokens), a sign-in \
                         token (POST /api/v1/auth/token) or an API key (`inkstone api-key create`, also \
                         accepted as `X-API-Key`).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                inkstone_http::SESSION_COOKIE,
                "Set by POST /api/v1/auth/login. Unsafe methods also need the X-CSRF-Token header.",
            ))),
        );
    }
}

/// The OpenAPI document of the native API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Inkstone API", description = "Inkstone's native REST API. Times are RFC 3339 UTC. \
        Errors are RFC 9457 problem+json with a stable `code`, in English or Chinese by Accept-Language. \
        Lists are `{items, total, page, per_page}` with RFC 8288 Link headers."),
    paths(
        auth::login, auth::login_for_token, auth::logout, auth::captcha, auth::register,
        auth::request_password_reset, auth::confirm_password_reset, auth::me, auth::update_me,
        auth::change_password, auth::list_tokens, auth::create_token, auth::revoke_token,
        auth::get_settings, auth::update_settings,
        posts::list, posts::create, posts::get, posts::get_by_slug, posts::update, posts::delete,
        posts::publish, posts::unpublish, posts::trash, posts::restore, posts::revisions, posts::revision,
        posts::record_view,
        taxonomy::list_categories, taxonomy::get_category, taxonomy::create_category, taxonomy::update_category,
        taxonomy::delete_category, taxonomy::list_tags, taxonomy::get_tag, taxonomy::create_tag,
        taxonomy::update_tag, taxonomy::delete_tag,
        users::list_users, users::create_user, users::get_user, users::update_user,
        users::list_invites, users::create_invite, users::revoke_invite,
        api_keys::list_api_keys, api_keys::create_api_key, api_keys::get_api_key, api_keys::update_api_key,
        api_keys::revoke_api_key, api_keys::audit_log,
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sign-in, registration, password reset, your profile and your tokens"),
        (name = "posts", description = "Posts and pages: writing, publishing, revisions"),
        (name = "taxonomy", description = "Categories (a tree) and tags"),
        (name = "settings", description = "Site settings"),
        (name = "users", description = "Users, profiles and invitations"),
        (name = "api-keys", description = "API keys for site integrations (ulthon flags, IP allow lists)"),
        (name = "audit", description = "The security event log"),
    )
)]
pub struct ApiDoc;

/// The `/api/v1` routes and the docs page, with problem+json errors in the caller's
/// language.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/token", post(auth::login_for_token))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/captcha", get(auth::captcha))
        .route("/auth/register", post(auth::register))
        .route("/auth/password-reset", post(auth::request_password_reset))
        .route("/auth/password-reset/confirm", post(auth::confirm_password_reset))
        .route("/me", get(auth::me).patch(auth::update_me))
        .route("/me/password", post(auth::change_password))
        .route("/tokens", get(auth::list_tokens).post(auth::create_token))
        .route("/tokens/{id}", axum::routing::delete(auth::revoke_token))
        .route("/settings", get(auth::get_settings).patch(auth::update_settings))
        .route("/posts", get(posts::list).post(posts::create))
        .route("/posts/by-slug/{slug}", get(posts::get_by_slug))
        .route("/posts/{id}", get(posts::get).patch(posts::update).delete(posts::delete))
        .route("/posts/{id}/publish", post(posts::publish))
        .route("/posts/{id}/unpublish", post(posts::unpublish))
        .route("/posts/{id}/trash", post(posts::trash))
        .route("/posts/{id}/restore", post(posts::restore))
        .route("/posts/{id}/revisions", get(posts::revisions))
        .route("/posts/{id}/revisions/{revision_id}", get(posts::revision))
        .route("/posts/{id}/views", post(posts::record_view))
        .route("/categories", get(taxonomy::list_categories).post(taxonomy::create_category))
        .route(
            "/categories/{id}",
            get(taxonomy::get_category).patch(taxonomy::update_category).delete(taxonomy::delete_category),
        )
        .route("/tags", get(taxonomy::list_tags).post(taxonomy::create_tag))
        .route("/tags/{id}", get(taxonomy::get_tag).patch(taxonomy::update_tag).delete(taxonomy::delete_tag))
        .merge(users::routes())
        .merge(api_keys::routes())
        .merge(comments::routes())
        .merge(likes::routes())
        .merge(notes::routes())
        .merge(media::routes())
        .merge(links::routes())
        .merge(notifications::routes())
        .merge(stats::routes())
        .merge(webhooks::routes())
        .fallback(|| async { error::ApiError(inkstone_core::CoreError::not_found()) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::localize_problems))
        .with_state(state);
    Router::new()
        .nest("/api/v1", api)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi()))
}

/// The whole OpenAPI document: [`ApiDoc`] and each feature module's part.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        comments::Api::openapi(),
        likes::Api::openapi(),
        notes::Api::openapi(),
        media::Api::openapi(),
        links::Api::openapi(),
        notifications::Api::openapi(),
        stats::Api::openapi(),
        webhooks::Api::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}
