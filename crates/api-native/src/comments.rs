//! Comments: threads, guest and user comments, moderation, per-item numbering, exact counts.
//!
//! `GET/POST /api/v1/posts/{id}/comments`, the moderation queue `GET /api/v1/comments`
//! and `GET/PATCH/DELETE /api/v1/comments/{id}`. The rules are the core's
//! (`inkstone_core::comments`); this module only maps shapes.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use inkstone_core::abuse::CaptchaAnswer;
use inkstone_core::comments::{
    ClientInfo, CommentListParams, CommentPatch, CommentStatus, CommentView, NewComment,
};
use inkstone_core::content::Page;
use inkstone_http::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::{AuthorOut, CaptchaAnswerDto, rfc3339};
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_post_comments, create_comment, moderation_queue, get_comment, update_comment, delete_comment),
    components(schemas(CommentOut, CommentAuthorOut, CommenterPrivateOut, CommentPage, CommentCreate, CommentPatchDto)),
    tags((name = "comments", description = "Threaded comments by guests and users, moderation, per-post numbering"))
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/posts/{id}/comments", get(list_post_comments).post(create_comment))
        .route("/comments", get(moderation_queue))
        .route("/comments/{id}", get(get_comment).patch(update_comment).delete(delete_comment))
}

/// Who wrote a comment, as everyone sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAuthorOut {
    /// The user's display name (at the time), or the guest's name.
    pub name: String,
    /// A guest's website.
    pub url: Option<String>,
    /// A guest's avatar URL.
    pub avatar: Option<String>,
    /// The signed-in commenter; `null` for a guest.
    pub user: Option<AuthorOut>,
}

/// What only those who may moderate the post see about a commenter.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommenterPrivateOut {
    /// A guest's e-mail (`null` for users).
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    pub id: i64,
    /// The post (or page, or discussion) it is on.
    pub post_id: i64,
    /// The comment it replies to; `null` for a top-level comment (or when the parent was
    /// deleted).
    pub parent_id: Option<i64>,
    /// Position in the post's discussion, from 1, in order of writing; never reused.
    pub number: i64,
    /// `approved`, `pending`, `spam`, `hidden` or `trashed`.
    pub status: String,
    pub author: CommentAuthorOut,
    /// Markdown source.
    pub body: String,
    /// Sanitized HTML.
    pub html: String,
    pub like_count: i64,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub updated_at: String,
    /// When the body was last changed.
    pub edited_at: Option<String>,
    /// When a moderator hid it (while `hidden`).
    pub hidden_at: Option<String>,
    /// Whether you may change the body.
    pub can_edit: bool,
    /// Whether you may change the status and delete.
    pub can_moderate: bool,
    /// Only for those who may moderate the post: e-mail, IP and user agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation: Option<CommenterPrivateOut>,
}

impl From<CommentView> for CommentOut {
    fn from(view: CommentView) -> Self {
        CommentOut {
            id: view.id,
            post_id: view.item_id,
            parent_id: view.parent_id,
            number: view.number,
            status: view.status.as_str().into(),
            author: CommentAuthorOut {
                name: view.author_name,
                url: view.author_url,
                avatar: view.author_avatar,
                user: view.user.as_ref().map(AuthorOut::from),
            },
            body: view.body,
            html: view.html,
            like_count: view.like_count,
            created_at: rfc3339(view.created_at),
            updated_at: rfc3339(view.updated_at),
            edited_at: view.edited_at.map(rfc3339),
            hidden_at: view.hidden_at.map(rfc3339),
            can_edit: view.can_edit,
            can_moderate: view.can_moderate,
            moderation: view.private.map(|p| CommenterPrivateOut {
                email: p.email,
                ip: p.ip,
                user_agent: p.user_agent,
            }),
        }
    }
}

/// A page of comments.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentPage {
    pub items: Vec<CommentOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl From<Page<CommentView>> for CommentPage {
    fn from(page: Page<CommentView>) -> Self {
        CommentPage {
            total: page.total,
            page: page.page,
            per_page: page.per_page,
            items: page.items.into_iter().map(CommentOut::from).collect(),
        }
    }
}

/// A new comment. Signed-in users need only `body` (and `parent_id` for a reply); guests
/// also give `author_name` and `author_email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentCreate {
    /// Markdown, 1 to 10,000 characters. Raw HTML is sanitized away.
    pub body: String,
    /// The comment this replies to, on the same post.
    pub parent_id: Option<i64>,
    /// Guests: 1 to 50 characters.
    pub author_name: Option<String>,
    /// Guests: required; shown only to moderators.
    pub author_email: Option<String>,
    /// Guests: an http(s) URL.
    pub author_url: Option<String>,
    /// Guests: an http(s) image URL.
    pub author_avatar: Option<String>,
    /// The honeypot. Leave it out or empty; a comment form renders it hidden from people.
    /// When filled, the comment is kept as spam and the answer still looks like success.
    pub website: Option<String>,
    /// Guests, when the `comments.captcha` setting is on (see `GET /api/v1/auth/captcha`).
    pub captcha: Option<CaptchaAnswerDto>,
}

/// A change to a comment: a new `body` (the commenter, or moderators) and/or a new
/// `status` (moderators; a commenter may set `trashed` on their own).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentPatchDto {
    pub body: Option<String>,
    /// `approved`, `pending`, `spam`, `hidden` or `trashed`.
    pub status: Option<String>,
}

/// Paging (and, for moderators, a status filter) of a post's comments.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommentListQuery {
    /// Moderators only: one status. Readers always get approved comments and their own
    /// pending ones.
    pub status: Option<String>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; 50 by default.
    pub per_page: Option<i64>,
}

/// Filters of the moderation queue.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModerationQuery {
    /// One status; all statuses when absent.
    pub status: Option<String>,
    /// Comments on this post only.
    pub post_id: Option<i64>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; 50 by default.
    pub per_page: Option<i64>,
}

fn status_of(text: Option<&str>) -> ApiResult<Option<CommentStatus>> {
    Ok(text.map(|s| CommentStatus::parse_field(s, "status")).transpose()?)
}

/// A post's comments as a flat list, oldest first (by `number`), one page. Build threads
/// with `parent_id`. Readers see approved comments (and, signed in, their own pending
/// ones); those who may moderate the post see every status and the commenters' e-mail, IP
/// and user agent.
#[utoipa::path(get, path = "/api/v1/posts/{id}/comments", tag = "comments",
    params(("id" = i64, Path), CommentListQuery),
    responses((status = 200, body = CommentPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn list_post_comments(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
    Query(query): Query<CommentListQuery>,
) -> ApiResult<impl IntoResponse> {
    let params = CommentListParams {
        status: status_of(query.status.as_deref())?,
        item_id: None,
        page: query.page,
        per_page: query.per_page,
    };
    let page = state.core.item_comments(&auth.actor, id, params).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    Ok((headers, axum::Json(CommentPage::from(page))))
}

/// Comment on a post, or reply to one of its comments. The post must be published (or
/// private and readable by you) with comments allowed.
///
/// New comments are `approved`, or `pending` when the `comments.moderation` setting holds
/// them (`guests` by default) or they have more links than `comments.max_links`. Limits:
/// 10 comments a minute and 60 an hour per address (429).
#[utoipa::path(post, path = "/api/v1/posts/{id}/comments", tag = "comments", params(("id" = i64, Path)),
    request_body = CommentCreate,
    responses((status = 201, body = CommentOut), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`invalid_state`: comments closed or post not published"),
              (status = 422, body = Problem), (status = 429, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn create_comment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    inkstone_http::ClientIp(ip): inkstone_http::ClientIp,
    headers: HeaderMap,
    Json(input): Json<CommentCreate>,
) -> ApiResult<impl IntoResponse> {
    let captcha = input.captcha.unwrap_or_default();
    let new = NewComment {
        parent_id: input.parent_id,
        body: input.body,
        author_name: input.author_name,
        author_email: input.author_email,
        author_url: input.author_url,
        author_avatar: input.author_avatar,
        honeypot: input.website,
        captcha: CaptchaAnswer { id: captcha.id, answer: captcha.answer, response: captcha.response },
    };
    let client = ClientInfo {
        ip,
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
    };
    let view = state.core.create_comment(&auth.actor, id, new, client).await?;
    let location = format!("/api/v1/comments/{}", view.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(CommentOut::from(view))))
}

/// The moderation queue: comments on every post you may moderate (editors and admins: all;
/// authors: their own posts), newest first.
#[utoipa::path(get, path = "/api/v1/comments", tag = "comments", params(ModerationQuery),
    responses((status = 200, body = CommentPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn moderation_queue(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<ModerationQuery>,
) -> ApiResult<impl IntoResponse> {
    let params = CommentListParams {
        status: status_of(query.status.as_deref())?,
        item_id: query.post_id,
        page: query.page,
        per_page: query.per_page,
    };
    let page = state.core.moderation_queue(&auth.actor, params).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    Ok((headers, axum::Json(CommentPage::from(page))))
}

/// One comment (404 when you may not see it).
#[utoipa::path(get, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    responses((status = 200, body = CommentOut), (status = 404, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn get_comment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<CommentOut>> {
    Ok(axum::Json(state.core.get_comment(&auth.actor, id).await?.into()))
}

/// Edit a comment's body (sets `edited_at`) and/or moderate it: `approved`, `pending`,
/// `spam`, `hidden` (sets `hidden_at`) or `trashed`. The post's `comment_count` follows.
#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    request_body = CommentPatchDto,
    responses((status = 200, body = CommentOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_comment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<CommentPatchDto>,
) -> ApiResult<axum::Json<CommentOut>> {
    let patch = CommentPatch { body: input.body, status: status_of(input.status.as_deref())? };
    Ok(axum::Json(state.core.update_comment(&auth.actor, id, patch).await?.into()))
}

/// Delete a comment for good, with its likes (moderators). Replies stay, with
/// `parent_id` null; the comment's number is not reused.
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_comment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_comment(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
