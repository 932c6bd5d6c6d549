//! Short notes (emlog 微语, Qexo 说说): Markdown bodies, tags, privacy, free JSON values.
//!
//! `GET/POST /api/v1/notes` and `GET/PATCH/DELETE /api/v1/notes/{id}`; likes are in
//! [`crate::likes`].

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use inkstone_core::notes::{NewNote, NoteListParams, NotePatch, NoteView};
use inkstone_http::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::{AuthorOut, rfc3339};
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_notes, create_note, get_note, update_note, delete_note),
    components(schemas(NoteOut, NotePage, NoteCreate, NotePatchDto)),
    tags((name = "notes", description = "Short notes (emlog 微语, Qexo 说说) with tags, privacy and free JSON values"))
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notes", get(list_notes).post(create_note))
        .route("/notes/{id}", get(get_note).patch(update_note).delete(delete_note))
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    pub id: i64,
    /// Markdown source.
    pub body: String,
    /// Sanitized HTML.
    pub html: String,
    /// Free-form tags, in the order given.
    pub tags: Vec<String>,
    /// Visible only to its author and to editors and admins.
    pub private: bool,
    /// The free JSON object given with the note.
    #[schema(value_type = Object)]
    pub values: serde_json::Value,
    pub like_count: i64,
    pub author: AuthorOut,
    /// `api` (made with an API key) or `console`.
    pub origin: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub updated_at: String,
    /// Whether you may change and delete it.
    pub can_edit: bool,
}

impl From<NoteView> for NoteOut {
    fn from(view: NoteView) -> Self {
        let note = view.note;
        NoteOut {
            id: note.id,
            body: note.body,
            html: note.html,
            tags: note.tags,
            private: note.private,
            values: serde_json::Value::Object(note.values),
            like_count: note.like_count,
            author: AuthorOut::from(&note.author),
            origin: note.origin.as_str().into(),
            created_at: rfc3339(note.created_at),
            updated_at: rfc3339(note.updated_at),
            can_edit: view.can_edit,
        }
    }
}

/// A page of notes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotePage {
    pub items: Vec<NoteOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A new note (authors, editors, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteCreate {
    /// Markdown, 1 to 20,000 characters.
    pub body: String,
    /// Up to 20 tags of up to 50 characters; duplicates (ignoring case) are dropped.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub private: bool,
    /// Any JSON object up to 16 KiB.
    #[schema(value_type = Option<Object>)]
    pub values: Option<serde_json::Value>,
}

/// Changes to a note; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePatchDto {
    pub body: Option<String>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    pub private: Option<bool>,
    /// Replaces the whole object.
    #[schema(value_type = Option<Object>)]
    pub values: Option<serde_json::Value>,
}

/// Filters and paging of the note list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoteListQuery {
    /// Notes with this tag (ignoring case).
    pub tag: Option<String>,
    /// Notes by this user id.
    pub author: Option<i64>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; the site's page size by default.
    pub per_page: Option<i64>,
}

/// Notes, newest first: public ones, your own private ones, and (editors, admins) all.
#[utoipa::path(get, path = "/api/v1/notes", tag = "notes", params(NoteListQuery),
    responses((status = 200, body = NotePage, description = "A page; `Link` has first, prev, next and last"),
              (status = 422, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn list_notes(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<NoteListQuery>,
) -> ApiResult<impl IntoResponse> {
    let params = NoteListParams {
        tag: query.tag,
        author_id: query.author,
        page: query.page,
        per_page: query.per_page,
    };
    let page = state.core.list_notes(&auth.actor, params).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    let body = NotePage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        items: page.items.into_iter().map(NoteOut::from).collect(),
    };
    Ok((headers, axum::Json(body)))
}

/// Write a note (authors and up). Made with an API key, its `origin` is `api`.
#[utoipa::path(post, path = "/api/v1/notes", tag = "notes", request_body = NoteCreate,
    responses((status = 201, body = NoteOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_note(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<NoteCreate>,
) -> ApiResult<impl IntoResponse> {
    let new = NewNote { body: input.body, tags: input.tags, private: input.private, values: input.values };
    let view = state.core.create_note(&auth.actor, new).await?;
    let location = format!("/api/v1/notes/{}", view.note.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(NoteOut::from(view))))
}

/// One note (404 for a private note you may not see).
#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = i64, Path)),
    responses((status = 200, body = NoteOut), (status = 404, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn get_note(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<NoteOut>> {
    Ok(axum::Json(state.core.get_note(&auth.actor, id).await?.into()))
}

/// Change a note (its author, editors, admins).
#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = i64, Path)),
    request_body = NotePatchDto,
    responses((status = 200, body = NoteOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_note(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<NotePatchDto>,
) -> ApiResult<axum::Json<NoteOut>> {
    let patch =
        NotePatch { body: input.body, tags: input.tags, private: input.private, values: input.values };
    Ok(axum::Json(state.core.update_note(&auth.actor, id, patch).await?.into()))
}

/// Delete a note for good, with its likes.
#[utoipa::path(delete, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_note(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_note(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
