//! Likes on items, comments and notes, by users or anonymous visitors; exact counts.
//!
//! `POST` likes, `DELETE` unlikes and `GET` lists likers, on `/api/v1/posts/{id}/likes`,
//! `/api/v1/comments/{id}/likes` and `/api/v1/notes/{id}/likes`.
//!
//! Anonymous callers are recognized by the `inkstone_visitor` cookie (HttpOnly,
//! SameSite=Lax, one year), which these endpoints set when it is missing; a request
//! without it counts as its address (stored only as a keyed hash).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use inkstone_core::likes::{LikeOutcome, LikeTarget, Likers};
use inkstone_http::{AppState, ClientIp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::{AuthorOut, rfc3339};
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Path, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(like_post, unlike_post, post_likers, like_comment, unlike_comment, comment_likers,
          like_note, unlike_note, note_likers),
    components(schemas(LikeOut, LikersOut, LikerOut)),
    tags((name = "likes", description = "Likes on posts, comments and notes, by users and anonymous visitors"))
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/posts/{id}/likes", get(post_likers).post(like_post).delete(unlike_post))
        .route("/comments/{id}/likes", get(comment_likers).post(like_comment).delete(unlike_comment))
        .route("/notes/{id}/likes", get(note_likers).post(like_note).delete(unlike_note))
}

/// The result of a like or unlike.
#[derive(Debug, Serialize, ToSchema)]
pub struct LikeOut {
    /// Whether you like it now.
    pub liked: bool,
    /// Whether this request changed anything: `false` for a second like or an unlike of
    /// what you had not liked.
    pub changed: bool,
    /// The like count after the request.
    pub like_count: i64,
}

impl From<LikeOutcome> for LikeOut {
    fn from(outcome: LikeOutcome) -> Self {
        LikeOut { liked: outcome.liked, changed: outcome.changed, like_count: outcome.like_count }
    }
}

/// A signed-in user who liked.
#[derive(Debug, Serialize, ToSchema)]
pub struct LikerOut {
    pub user: AuthorOut,
    /// RFC 3339 UTC.
    pub liked_at: String,
}

/// Who liked: signed-in likers by name (newest first, paged), anonymous ones as a number.
#[derive(Debug, Serialize, ToSchema)]
pub struct LikersOut {
    pub items: Vec<LikerOut>,
    /// Signed-in likers in all (what `items` pages through).
    pub total: i64,
    /// Anonymous likers in all; they are not listed.
    pub anonymous: i64,
    /// `total + anonymous`.
    pub like_count: i64,
    /// Whether you (or, anonymous, your browser) liked it.
    pub liked: bool,
    pub page: i64,
    pub per_page: i64,
}

impl From<Likers> for LikersOut {
    fn from(likers: Likers) -> Self {
        LikersOut {
            items: likers
                .page
                .users
                .iter()
                .map(|like| LikerOut { user: AuthorOut::from(&like.user), liked_at: rfc3339(like.liked_at) })
                .collect(),
            total: likers.page.user_total,
            anonymous: likers.page.anonymous,
            like_count: likers.like_count,
            liked: likers.liked,
            page: likers.page_number,
            per_page: likers.per_page,
        }
    }
}

/// Paging of a likers list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LikersQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; 20 by default.
    pub per_page: Option<i64>,
}

/// Adds the visitor cookie (for anonymous callers without one) to `response`.
fn with_cookie(mut response: Response, set_cookie: Option<String>) -> Response {
    if let Some(value) = set_cookie.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The like, unlike and likers operations on one target.
enum Op {
    Like,
    Unlike,
    Likers(LikersQuery),
}

async fn run(
    state: AppState,
    auth: inkstone_http::Auth,
    ip: Option<std::net::IpAddr>,
    headers: HeaderMap,
    target: LikeTarget,
    op: Op,
) -> ApiResult<Response> {
    let anonymous = auth.actor.user_id().is_none();
    let (visitor, set_cookie) = inkstone_http::visitor(&headers, ip, state.secure_cookies);
    // A list leaves cookies alone; only a like or unlike hands out a visitor id.
    let set_cookie = if anonymous && !matches!(op, Op::Likers(_)) { set_cookie } else { None };
    let core = &state.core;
    let response = match op {
        Op::Like => {
            axum::Json(LikeOut::from(core.like(&auth.actor, target, &visitor).await?)).into_response()
        }
        Op::Unlike => {
            axum::Json(LikeOut::from(core.unlike(&auth.actor, target, &visitor).await?)).into_response()
        }
        Op::Likers(query) => {
            let likers = core.likers(&auth.actor, target, &visitor, query.page, query.per_page).await?;
            let mut response = axum::Json(LikersOut::from(likers)).into_response();
            // `liked` depends on who asks: never share the answer through a cache.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
    };
    Ok(with_cookie(response, set_cookie))
}

macro_rules! like_endpoints {
    ($target:ident, $path:literal, $what:literal, $like:ident, $unlike:ident, $likers:ident) => {
        #[doc = concat!("Like a ", $what, ". Liking twice keeps one like (`changed: false`). Anonymous callers are \
            recognized by the `inkstone_visitor` cookie, set here when missing, else by their address. \
            Limit: 60 likes and unlikes a minute per address (429).")]
        #[utoipa::path(post, path = $path, tag = "likes", params(("id" = i64, Path)),
            responses((status = 200, body = LikeOut), (status = 404, body = Problem), (status = 429, body = Problem)),
            security((), ("bearer" = []), ("session" = [])))]
        pub async fn $like(
            State(state): State<AppState>,
            Caller(auth): Caller,
            ClientIp(ip): ClientIp,
            headers: HeaderMap,
            Path(id): Path<i64>,
        ) -> ApiResult<Response> {
            run(state, auth, ip, headers, LikeTarget::$target(id), Op::Like).await
        }

        #[doc = concat!("Take back your like of a ", $what, " (`changed: false` if there was none).")]
        #[utoipa::path(delete, path = $path, tag = "likes", params(("id" = i64, Path)),
            responses((status = 200, body = LikeOut), (status = 404, body = Problem), (status = 429, body = Problem)),
            security((), ("bearer" = []), ("session" = [])))]
        pub async fn $unlike(
            State(state): State<AppState>,
            Caller(auth): Caller,
            ClientIp(ip): ClientIp,
            headers: HeaderMap,
            Path(id): Path<i64>,
        ) -> ApiResult<Response> {
            run(state, auth, ip, headers, LikeTarget::$target(id), Op::Unlike).await
        }

        #[doc = concat!("Who liked a ", $what, ": signed-in likers newest first (paged), anonymous likers as a \
            count, and whether you liked it.")]
        #[utoipa::path(get, path = $path, tag = "likes", params(("id" = i64, Path), LikersQuery),
            responses((status = 200, body = LikersOut), (status = 404, body = Problem), (status = 422, body = Problem)),
            security((), ("bearer" = []), ("session" = [])))]
        pub async fn $likers(
            State(state): State<AppState>,
            Caller(auth): Caller,
            ClientIp(ip): ClientIp,
            headers: HeaderMap,
            Path(id): Path<i64>,
            Query(query): Query<LikersQuery>,
        ) -> ApiResult<Response> {
            run(state, auth, ip, headers, LikeTarget::$target(id), Op::Likers(query)).await
        }
    };
}

like_endpoints!(Item, "/api/v1/posts/{id}/likes", "post", like_post, unlike_post, post_likers);
like_endpoints!(
    Comment,
    "/api/v1/comments/{id}/likes",
    "comment",
    like_comment,
    unlike_comment,
    comment_likers
);
like_endpoints!(Note, "/api/v1/notes/{id}/likes", "note", like_note, unlike_note, note_likers);
