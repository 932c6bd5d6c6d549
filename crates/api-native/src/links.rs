//! `/api/v1/friend-links`: friend links and the public application form.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use inkstone_core::abuse::CaptchaAnswer;
use inkstone_core::links::{FriendLink, LinkApplication, LinkInput, LinkListParams, LinkPatch};
use inkstone_core::permission::Actor;
use inkstone_http::{AppState, ClientIp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::{CaptchaAnswerDto, double_option, rfc3339};
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_links, create_link, get_link, update_link, delete_link, apply_for_link),
    components(schemas(LinkOut, LinkPage, LinkCreate, LinkPatchDto, LinkApplicationDto)),
    tags((name = "friend-links", description = "Friend links and the public application form"))
)]
pub struct Api;

/// The routes of this module, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/friend-links", get(list_links).post(create_link))
        .route("/friend-links/applications", post(apply_for_link))
        .route("/friend-links/{id}", get(get_link).patch(update_link).delete(delete_link))
}

/// A friend link.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkOut {
    pub id: i64,
    pub name: String,
    /// `http(s)` URL.
    pub url: String,
    /// Image URL or site path.
    pub image: Option<String>,
    pub description: Option<String>,
    /// Shown in public lists; applications start hidden.
    pub visible: bool,
    /// Lower first.
    pub sort_order: i64,
    /// Came through the public application form (pending while hidden).
    pub applied: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<FriendLink> for LinkOut {
    fn from(link: FriendLink) -> Self {
        LinkOut {
            id: link.id,
            name: link.name,
            url: link.url,
            image: link.image,
            description: link.description,
            visible: link.visible,
            sort_order: link.sort_order,
            applied: link.applied,
            created_at: rfc3339(link.created_at),
            updated_at: rfc3339(link.updated_at),
        }
    }
}

/// A page of friend links.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkPage {
    pub items: Vec<LinkOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Filters and paging of `GET /api/v1/friend-links`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinkListQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 500; 100 by default.
    pub per_page: Option<i64>,
    /// Managers: only visible (`true`) or only hidden (`false`) links; all when absent.
    /// Others always get the visible ones and may not ask for hidden ones.
    pub visible: Option<bool>,
    /// Managers only: only links that came through the application form (`true`) or not.
    /// Pending applications are `applied=true&visible=false`.
    pub applied: Option<bool>,
    /// Part of the name, URL or description (case-insensitive).
    pub q: Option<String>,
}

/// A new friend link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCreate {
    /// 1 to 100 characters.
    pub name: String,
    /// An `http` or `https` URL. No two links may point at the same URL (scheme, `www.`
    /// and a trailing slash do not count): 409 `conflict`.
    pub url: String,
    /// An `http(s)` URL or a site path starting with `/`.
    pub image: Option<String>,
    /// At most 500 characters.
    pub description: Option<String>,
    /// `true` by default.
    pub visible: Option<bool>,
    /// Lower first; 0 by default.
    pub sort_order: Option<i64>,
}

/// Changes to a friend link; absent fields stay, `null` clears `image` and `description`.
/// Setting `visible: true` on an application approves it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkPatchDto {
    pub name: Option<String>,
    pub url: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub image: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub visible: Option<bool>,
    pub sort_order: Option<i64>,
}

/// An application for a friend link, from the public form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkApplicationDto {
    /// 1 to 100 characters.
    pub name: String,
    /// An `http` or `https` URL.
    pub url: String,
    /// An `http(s)` URL or a site path starting with `/`.
    pub image: Option<String>,
    /// At most 500 characters.
    pub description: Option<String>,
    /// Required when the `links.application_captcha` setting is on (see
    /// `GET /api/v1/auth/captcha`).
    pub captcha: Option<CaptchaAnswerDto>,
}

fn clearable(value: Option<Option<String>>) -> Option<String> {
    value.map(Option::unwrap_or_default)
}

/// List friend links by sort order, then age. Anyone sees the visible ones; editors and
/// admins see all and filter by `visible`, `applied` and `q`.
#[utoipa::path(get, path = "/api/v1/friend-links", tag = "friend-links", params(LinkListQuery),
    responses((status = 200, body = LinkPage, description = "A page; `Link` has first, prev, next and last"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn list_links(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<LinkListQuery>,
) -> ApiResult<impl IntoResponse> {
    let params = LinkListParams {
        visible: query.visible,
        applied: query.applied,
        q: query.q,
        page: query.page,
        per_page: query.per_page,
    };
    let page = state.core.list_links(&auth.actor, params).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    let body = LinkPage {
        items: page.items.into_iter().map(LinkOut::from).collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    };
    Ok((headers, axum::Json(body)))
}

/// Add a friend link (editors and admins).
#[utoipa::path(post, path = "/api/v1/friend-links", tag = "friend-links", request_body = LinkCreate,
    responses((status = 201, body = LinkOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_link(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<LinkCreate>,
) -> ApiResult<impl IntoResponse> {
    let input = LinkInput {
        name: input.name,
        url: input.url,
        image: input.image,
        description: input.description,
        visible: input.visible,
        sort_order: input.sort_order,
    };
    let link = state.core.create_link(&auth.actor, input).await?;
    let location = format!("/api/v1/friend-links/{}", link.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(LinkOut::from(link))))
}

/// One friend link: a visible one for anyone, a hidden one for editors and admins (404 for
/// others).
#[utoipa::path(get, path = "/api/v1/friend-links/{id}", tag = "friend-links", params(("id" = i64, Path)),
    responses((status = 200, body = LinkOut), (status = 404, body = Problem)),
    security((), ("bearer" = []), ("session" = [])))]
pub async fn get_link(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<LinkOut>> {
    Ok(axum::Json(state.core.link(&auth.actor, id).await?.into()))
}

/// Change a friend link (editors and admins); `visible: true` approves an application.
#[utoipa::path(patch, path = "/api/v1/friend-links/{id}", tag = "friend-links", params(("id" = i64, Path)),
    request_body = LinkPatchDto,
    responses((status = 200, body = LinkOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_link(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<LinkPatchDto>,
) -> ApiResult<axum::Json<LinkOut>> {
    let patch = LinkPatch {
        name: input.name,
        url: input.url,
        image: clearable(input.image),
        description: clearable(input.description),
        visible: input.visible,
        sort_order: input.sort_order,
    };
    Ok(axum::Json(state.core.update_link(&auth.actor, id, patch).await?.into()))
}

/// Delete a friend link or reject an application (editors and admins).
#[utoipa::path(delete, path = "/api/v1/friend-links/{id}", tag = "friend-links", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_link(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_link(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Apply for a friend link (anyone; no credentials are read). The link is stored hidden
/// until an editor makes it visible, and every admin gets a notification. Refused with 403
/// when `links.applications_open` is off, 429 after 5 applications an hour from one
/// address, 422 `captcha_failed` when `links.application_captcha` is on and the captcha is
/// missing or wrong, 409 when a link to the same URL exists or was applied for.
#[utoipa::path(post, path = "/api/v1/friend-links/applications", tag = "friend-links",
    request_body = LinkApplicationDto,
    responses((status = 201, body = LinkOut, description = "The application, hidden"),
              (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem)))]
pub async fn apply_for_link(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(input): Json<LinkApplicationDto>,
) -> ApiResult<impl IntoResponse> {
    let captcha = input.captcha.unwrap_or_default();
    let application = LinkApplication {
        name: input.name,
        url: input.url,
        image: input.image,
        description: input.description,
        captcha: CaptchaAnswer { id: captcha.id, answer: captcha.answer, response: captcha.response },
    };
    // Anonymous on purpose: a visitor's session cookie without a CSRF token must not turn
    // a public form into a refusal.
    let link = state.core.apply_for_link(&Actor::Anonymous, application, client).await?;
    Ok((StatusCode::CREATED, axum::Json(LinkOut::from(link))))
}
