//! `/api/v1/posts`: posts and pages.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use inkstone_core::content::{ItemPatch, ListParams, NewItem, TermKey};
use inkstone_core::model::{BodyFormat, ItemKind, ItemStatus, Origin};
use inkstone_http::AppState;

use crate::dto::*;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

fn term_key(text: String) -> TermKey {
    match text.parse::<i64>() {
        Ok(id) => TermKey::Id(id),
        Err(_) => TermKey::Text(text),
    }
}

fn kind_of(text: Option<&str>, field: &str) -> ApiResult<Option<ItemKind>> {
    let kind = text.map(|k| ItemKind::parse_field(k, field)).transpose()?;
    if kind == Some(ItemKind::Discussion) {
        return Err(ItemKind::parse_field("discussion (not served here)", field).unwrap_err().into());
    }
    Ok(kind)
}

/// List posts and pages.
///
/// Anonymous callers see published items; authors also see their own; editors see all.
#[utoipa::path(get, path = "/api/v1/posts", tag = "posts", params(PostListQuery),
    responses((status = 200, body = PostPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(auth): Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(query): Query<PostListQuery>,
) -> ApiResult<impl IntoResponse> {
    let params = ListParams {
        kind: kind_of(query.kind.as_deref(), "kind")?,
        status: query.status.as_deref().map(|s| ItemStatus::parse_field(s, "status")).transpose()?,
        category: query.category.map(term_key),
        tag: query.tag.map(term_key),
        author: query.author.map(term_key),
        q: query.q,
        sort: query.sort,
        page: query.page,
        per_page: query.per_page,
        ..ListParams::default()
    };
    let page = state.core.list_items(&auth.actor, params).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    let body = PostPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        items: page.items.into_iter().map(PostOut::from).collect(),
    };
    Ok((headers, axum::Json(body)))
}

/// Create a post or page.
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", request_body = PostCreate,
    responses((status = 201, body = PostOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<PostCreate>,
) -> ApiResult<impl IntoResponse> {
    let new = NewItem {
        kind: kind_of(input.kind.as_deref(), "kind")?.unwrap_or(ItemKind::Post),
        title: input.title,
        slug: input.slug,
        format: input
            .format
            .as_deref()
            .map(|f| BodyFormat::parse_field(f, "format"))
            .transpose()?
            .unwrap_or(BodyFormat::Markdown),
        body: input.body,
        excerpt: input.excerpt,
        cover: input.cover,
        cover_text: input.cover_text,
        status: input.status.as_deref().map(|s| ItemStatus::parse_field(s, "status")).transpose()?,
        published_at: input.published_at,
        password: input.password,
        redirect_url: input.redirect_url,
        pinned: input.pinned,
        pinned_in_category: input.pinned_in_category,
        comments_allowed: input.comments_allowed.unwrap_or(true),
        template: input.template,
        categories: input.categories.into_iter().map(TermKey::from).collect(),
        tags: input.tags,
        custom_fields: input.custom_fields.into_iter().map(Into::into).collect(),
        author_id: None,
        origin: Origin::Console,
        import_key: None,
        created_at: None,
    };
    let view = state.core.create_item(&auth.actor, new).await?;
    let location = format!("/api/v1/posts/{}", view.item.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(PostOut::from(view))))
}

/// Get a post by id.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path), PasswordQuery),
    responses((status = 200, body = PostOut), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Query(query): Query<PasswordQuery>,
) -> ApiResult<axum::Json<PostOut>> {
    let view = state.core.get_item(&auth.actor, id, query.password.as_deref()).await?;
    Ok(axum::Json(view.into()))
}

/// Get a post or page by slug.
#[utoipa::path(get, path = "/api/v1/posts/by-slug/{slug}", tag = "posts", params(("slug" = String, Path), SlugQuery),
    responses((status = 200, body = PostOut), (status = 404, body = Problem)))]
pub async fn get_by_slug(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(slug): Path<String>,
    Query(query): Query<SlugQuery>,
) -> ApiResult<axum::Json<PostOut>> {
    let kind = kind_of(query.kind.as_deref(), "kind")?.unwrap_or(ItemKind::Post);
    let view = state.core.get_item_by_slug(&auth.actor, kind, &slug, query.password.as_deref()).await?;
    Ok(axum::Json(view.into()))
}

/// Change some fields of a post. Title, body and format of a published post go to a new
/// head revision that readers see after the next publish.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path)), request_body = PostPatch,
    responses((status = 200, body = PostOut), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<PostPatch>,
) -> ApiResult<axum::Json<PostOut>> {
    let patch = ItemPatch {
        title: input.title,
        slug: input.slug,
        format: input.format.as_deref().map(|f| BodyFormat::parse_field(f, "format")).transpose()?,
        body: input.body,
        excerpt: input.excerpt,
        cover: input.cover,
        cover_text: input.cover_text,
        published_at: input.published_at,
        password: input.password,
        redirect_url: input.redirect_url,
        pinned: input.pinned,
        pinned_in_category: input.pinned_in_category,
        comments_allowed: input.comments_allowed,
        template: input.template,
        categories: input.categories.map(|c| c.into_iter().map(TermKey::from).collect()),
        tags: input.tags,
        custom_fields: input.custom_fields.map(|f| f.into_iter().map(Into::into).collect()),
        expected_version: input.version,
        release: false,
    };
    let view = state.core.update_item(&auth.actor, id, patch).await?;
    Ok(axum::Json(view.into()))
}

/// Delete a post permanently, with its revisions.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = []), ("session" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_item(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish now, schedule (future `published_at`), publish privately, or release a
/// published post's pending edits. The body is optional.
#[utoipa::path(post, path = "/api/v1/posts/{id}/publish", tag = "posts", params(("id" = i64, Path)),
    request_body(content = Option<PublishRequest>),
    responses((status = 200, body = PostOut), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<PostOut>> {
    let request: PublishRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PublishRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            inkstone_core::CoreError::new(inkstone_core::ErrorCode::InvalidInput)
                .with_detail(e.to_string(), format!("请求体无效：{e}"))
        })?
    };
    let view = state.core.publish_item(&auth.actor, id, request.published_at, request.private).await?;
    Ok(axum::Json(view.into()))
}

macro_rules! transition {
    ($name:ident, $path:literal, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "posts", params(("id" = i64, Path)),
            responses((status = 200, body = PostOut), (status = 404, body = Problem), (status = 409, body = Problem)),
            security(("bearer" = []), ("session" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            Caller(auth): Caller,
            Path(id): Path<i64>,
        ) -> ApiResult<axum::Json<PostOut>> {
            let view = state.core.$method(&auth.actor, id).await?;
            Ok(axum::Json(view.into()))
        }
    };
}

transition!(unpublish, "/api/v1/posts/{id}/unpublish", unpublish_item, "Take a post back to draft.");
transition!(trash, "/api/v1/posts/{id}/trash", trash_item, "Move a post to the trash.");
transition!(
    restore,
    "/api/v1/posts/{id}/restore",
    restore_item,
    "Restore a trashed post to its former status."
);

/// Revisions of a post, newest first (without bodies).
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions", tag = "posts", params(("id" = i64, Path)),
    responses((status = 200, body = RevisionList), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revisions(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<RevisionList>> {
    let (item, revisions) = state.core.revisions(&auth.actor, id).await?;
    let items = revisions
        .into_iter()
        .map(|r| RevisionOut::new(r, item.head_revision_id, item.released_revision_id, false))
        .collect();
    Ok(axum::Json(RevisionList { items }))
}

/// One revision with its body and HTML.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions/{revision_id}", tag = "posts",
    params(("id" = i64, Path), ("revision_id" = i64, Path)),
    responses((status = 200, body = RevisionOut), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revision(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path((id, revision_id)): Path<(i64, i64)>,
) -> ApiResult<axum::Json<RevisionOut>> {
    let (item, revision) = state.core.revision(&auth.actor, id, revision_id).await?;
    Ok(axum::Json(RevisionOut::new(revision, item.head_revision_id, item.released_revision_id, true)))
}

/// Count a view of a published post.
#[utoipa::path(post, path = "/api/v1/posts/{id}/views", tag = "posts", params(("id" = i64, Path)),
    responses((status = 200, body = ViewCount), (status = 404, body = Problem)))]
pub async fn record_view(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ViewCount>> {
    let view_count = state.core.record_view(id).await?;
    Ok(axum::Json(ViewCount { view_count }))
}
