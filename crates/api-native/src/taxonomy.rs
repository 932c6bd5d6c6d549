//! `/api/v1/categories` and `/api/v1/tags`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use inkstone_core::taxonomy::{CategoryInput, CategoryNode, CategoryPatch, TagInput, category_tree};
use inkstone_http::AppState;

use crate::dto::*;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

fn node_out(node: CategoryNode) -> CategoryOut {
    let mut out = CategoryOut::from(node.category);
    out.children = Some(node.children.into_iter().map(node_out).collect());
    out
}

/// List categories, flat (ordered by parent, order, name) or as a tree with `?tree=true`.
#[utoipa::path(get, path = "/api/v1/categories", tag = "taxonomy", params(CategoryListQuery),
    responses((status = 200, body = CategoryList)))]
pub async fn list_categories(
    State(state): State<AppState>,
    Query(query): Query<CategoryListQuery>,
) -> ApiResult<axum::Json<CategoryList>> {
    let categories = state.core.categories().await?;
    let items = if query.tree.unwrap_or(false) {
        category_tree(&categories).into_iter().map(node_out).collect()
    } else {
        categories.into_iter().map(CategoryOut::from).collect()
    };
    Ok(axum::Json(CategoryList { items }))
}

/// Get a category.
#[utoipa::path(get, path = "/api/v1/categories/{id}", tag = "taxonomy", params(("id" = i64, Path)),
    responses((status = 200, body = CategoryOut), (status = 404, body = Problem)))]
pub async fn get_category(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<CategoryOut>> {
    Ok(axum::Json(state.core.category(id).await?.into()))
}

/// Create a category (editors and admins).
#[utoipa::path(post, path = "/api/v1/categories", tag = "taxonomy", request_body = CategoryCreate,
    responses((status = 201, body = CategoryOut), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_category(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<CategoryCreate>,
) -> ApiResult<impl IntoResponse> {
    let input = CategoryInput {
        name: input.name,
        slug: input.slug,
        description: input.description,
        parent_id: input.parent_id,
        sort_order: input.sort_order,
        template: input.template,
        cover: input.cover,
    };
    let category = state.core.create_category(&auth.actor, input).await?;
    let location = format!("/api/v1/categories/{}", category.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(CategoryOut::from(category))))
}

/// Change a category; moving it under its own descendant is refused.
#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "taxonomy", params(("id" = i64, Path)),
    request_body = CategoryPatchDto,
    responses((status = 200, body = CategoryOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_category(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<CategoryPatchDto>,
) -> ApiResult<axum::Json<CategoryOut>> {
    let patch = CategoryPatch {
        name: input.name,
        slug: input.slug,
        description: input.description,
        parent_id: input.parent_id,
        sort_order: input.sort_order,
        template: input.template,
        cover: input.cover,
    };
    Ok(axum::Json(state.core.update_category(&auth.actor, id, patch).await?.into()))
}

/// Delete a category; its children move up and its posts lose it.
#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "taxonomy", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = []), ("session" = [])))]
pub async fn delete_category(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_category(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List tags by name.
#[utoipa::path(get, path = "/api/v1/tags", tag = "taxonomy", responses((status = 200, body = TagList)))]
pub async fn list_tags(State(state): State<AppState>) -> ApiResult<axum::Json<TagList>> {
    let items = state.core.tags().await?.into_iter().map(TagOut::from).collect();
    Ok(axum::Json(TagList { items }))
}

/// Get a tag.
#[utoipa::path(get, path = "/api/v1/tags/{id}", tag = "taxonomy", params(("id" = i64, Path)),
    responses((status = 200, body = TagOut), (status = 404, body = Problem)))]
pub async fn get_tag(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<axum::Json<TagOut>> {
    Ok(axum::Json(state.core.tag(id).await?.into()))
}

fn tag_input(input: TagWriteDto) -> TagInput {
    TagInput { name: input.name, slug: input.slug, color: input.color, description: input.description }
}

/// Create a tag (authors and up).
#[utoipa::path(post, path = "/api/v1/tags", tag = "taxonomy", request_body = TagWriteDto,
    responses((status = 201, body = TagOut), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_tag(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<TagWriteDto>,
) -> ApiResult<impl IntoResponse> {
    let tag = state.core.create_tag(&auth.actor, tag_input(input)).await?;
    let location = format!("/api/v1/tags/{}", tag.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(TagOut::from(tag))))
}

/// Change a tag (editors and admins).
#[utoipa::path(patch, path = "/api/v1/tags/{id}", tag = "taxonomy", params(("id" = i64, Path)), request_body = TagWriteDto,
    responses((status = 200, body = TagOut), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_tag(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<TagWriteDto>,
) -> ApiResult<axum::Json<TagOut>> {
    Ok(axum::Json(state.core.update_tag(&auth.actor, id, tag_input(input)).await?.into()))
}

/// Delete a tag (editors and admins).
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "taxonomy", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = []), ("session" = [])))]
pub async fn delete_tag(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_tag(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
