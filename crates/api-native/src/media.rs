//! Media: uploads (`/api/v1/media`), media groups (`/api/v1/media-groups`) and the public
//! file route `GET /media/{key}` that serves what was stored.
//!
//! The handlers only map shapes: uploads go through `inkstone_media::MediaService::upload`
//! (the one pipeline every API shares), records through the core.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use inkstone_core::media::{Media, MediaGroup, MediaListParams, MediaPatch, PUBLIC_PATH, PublicFile};
use inkstone_core::permission::{Action, Resource};
use inkstone_core::{Core, CoreError, ErrorCode};
use inkstone_http::AppState;
use inkstone_http::media::UploadRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::dto::{double_option, rfc3339};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(upload, list, get_one, update, delete, list_groups, create_group, update_group, delete_group, serve),
    tags((name = "media", description = "Uploads, the media library and its groups; stored files are served at /media/{key}"))
)]
pub struct Api;

/// The `/api/v1` media routes. Uploads are exempt from the default 8 MiB body limit: the
/// pipeline enforces the configured file limit as it streams.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/media", get(list).post(upload).layer(DefaultBodyLimit::disable()))
        .route("/media/{id}", get(get_one).patch(update).delete(delete))
        .route("/media-groups", get(list_groups).post(create_group))
        .route("/media-groups/{id}", axum::routing::patch(update_group).delete(delete_group))
}

/// The public file route, `GET /media/{*key}`. Mount it outside the anonymous-read cache
/// (it answers conditional and range requests itself).
pub fn public_router(state: AppState) -> Router {
    Router::new().route("/media/{*key}", get(serve)).with_state(state)
}

/// A media record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaOut {
    pub id: i64,
    /// The public address of the file: `<site.url>/media/<key>`.
    pub url: String,
    /// The public address of the thumbnail (raster images), else `null`.
    pub thumbnail_url: Option<String>,
    /// The storage key (server-chosen; never the uploaded name).
    pub key: String,
    /// The file's name on the uploader's machine.
    pub original_name: String,
    /// Sniffed from the bytes.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// Pixels, for images.
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail_width: Option<i64>,
    pub thumbnail_height: Option<i64>,
    /// Hex SHA-256 of the bytes (uploads of the same bytes share one stored file).
    pub sha256: String,
    pub group_id: Option<i64>,
    /// `api` (uploaded with an API key) or `console`.
    pub origin: String,
    pub uploader_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl MediaOut {
    /// The wire shape of `media`, with URLs from the site address.
    pub fn new(core: &Core, media: Media) -> MediaOut {
        let thumb = media.blob.thumbnail.as_ref();
        MediaOut {
            id: media.id,
            url: core.media_url(&media.blob.key),
            thumbnail_url: thumb.map(|t| core.media_url(&t.key)),
            thumbnail_width: thumb.map(|t| t.width),
            thumbnail_height: thumb.map(|t| t.height),
            key: media.blob.key,
            original_name: media.original_name,
            mime: media.blob.mime,
            size: media.blob.size,
            width: media.blob.width,
            height: media.blob.height,
            sha256: media.blob.sha256,
            group_id: media.group_id,
            origin: media.origin.to_string(),
            uploader_id: media.uploader_id,
            created_at: rfc3339(media.created_at),
            updated_at: rfc3339(media.updated_at),
        }
    }
}

/// A page of media records.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaPage {
    pub items: Vec<MediaOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is sniffed from the bytes and must be on the
    /// `media.allowed_types` allow-list; its name must not contain a path.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A media group to put it in; must come before `file` (or use the query parameter).
    group_id: Option<i64>,
}

/// Parameters of an upload.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// A media group to put the file in.
    pub group_id: Option<i64>,
}

/// Filters of `GET /api/v1/media`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListQuery {
    pub group_id: Option<i64>,
    /// A MIME type or prefix: `image`, `image/png`, `video/`.
    pub mime: Option<String>,
    /// Only this uploader's files (editors and admins; others always see their own).
    pub uploader_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Changes to a media record.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaPatchIn {
    /// A new display name (same rules as uploaded names).
    pub original_name: Option<String>,
    /// A group id, or `null` to take the file out of its group.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<Option<i64>>,
}

/// A media group.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaGroupOut {
    pub id: i64,
    pub name: String,
    /// Files in the group.
    pub media_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<MediaGroup> for MediaGroupOut {
    fn from(g: MediaGroup) -> Self {
        MediaGroupOut {
            id: g.id,
            name: g.name,
            media_count: g.media_count,
            created_at: rfc3339(g.created_at),
            updated_at: rfc3339(g.updated_at),
        }
    }
}

/// A media group's name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaGroupIn {
    pub name: String,
}

fn multipart_error(err: impl std::fmt::Display) -> ApiError {
    ApiError(CoreError::invalid(
        "file",
        format!("malformed multipart body: {err}"),
        format!("multipart 请求体格式错误：{err}"),
    ))
}

/// Reads a small text field (at most 64 bytes).
async fn small_field(mut field: axum::extract::multipart::Field<'_>, name: &str) -> ApiResult<String> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        text.extend_from_slice(&chunk);
        if text.len() > 64 {
            return Err(ApiError(CoreError::invalid(name, "too long", "过长")));
        }
    }
    String::from_utf8(text)
        .map_err(|_| ApiError(CoreError::invalid(name, "not UTF-8 text", "不是 UTF-8 文本")))
}

/// Upload a file.
///
/// `multipart/form-data` with the file in field `file` (and optionally `group_id` before
/// it). The body is streamed to storage; a file over the size limit is refused with 413
/// and nothing is kept. Its type is sniffed from the bytes (never the client's
/// Content-Type or name) and must be on the `media.allowed_types` allow-list (422
/// otherwise). Uploading the same bytes again reuses the stored file. Needs the right to
/// upload (contributors and up; API keys with `can_write_own`).
#[utoipa::path(post, path = "/api/v1/media", tag = "media", params(UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = MediaOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem, description = "Unknown group"),
              (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> ApiResult<Response> {
    // Refuse before reading the body: first who is asking, then how much they send.
    state.core.require(&auth.actor, Action::Upload, Resource::Site).await?;
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    state.media.check_declared_length(declared_length)?;
    let mut multipart = Multipart::from_request(request, &state).await.map_err(multipart_error)?;
    let mut group_id = query.group_id;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name().unwrap_or("") {
            "group_id" => {
                let text = small_field(field, "group_id").await?;
                let text = text.trim();
                group_id = if text.is_empty() {
                    None
                } else {
                    Some(text.parse().map_err(|_| {
                        ApiError(CoreError::invalid("group_id", "must be a number", "必须是数字"))
                    })?)
                };
            }
            "file" => {
                let request = UploadRequest {
                    original_name: field.file_name().unwrap_or("").to_string(),
                    group_id,
                    declared_length,
                };
                let media = state.media.upload(&auth.actor, request, field).await?;
                let location = format!("/api/v1/media/{}", media.id);
                let body = MediaOut::new(&state.core, media);
                return Ok(
                    (StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(body)).into_response()
                );
            }
            other => {
                return Err(ApiError(CoreError::invalid(
                    other,
                    "unknown form field; send `file` (and optionally `group_id` before it)",
                    "未知的表单字段；请发送 `file`（可在其前发送 `group_id`）",
                )));
            }
        }
    }
    Err(ApiError(CoreError::invalid("file", "no `file` field in the form", "表单中没有 `file` 字段")))
}

/// List the media library.
///
/// Newest first. Editors and admins see every file; others who may upload see their own.
#[utoipa::path(get, path = "/api/v1/media", tag = "media", params(MediaListQuery),
    responses((status = 200, body = MediaPage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(auth): Caller,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<MediaListQuery>,
) -> ApiResult<impl IntoResponse> {
    let params = MediaListParams {
        group_id: query.group_id,
        mime: query.mime,
        uploader_id: query.uploader_id,
        page: query.page,
        per_page: query.per_page,
    };
    let page = state.core.list_media(&auth.actor, params).await?;
    let headers = crate::paging::paging_headers(&uri, page.page, page.per_page, page.total);
    let body = MediaPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        items: page.items.into_iter().map(|m| MediaOut::new(&state.core, m)).collect(),
    };
    Ok((headers, axum::Json(body)))
}

/// Get a media record.
#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media", params(("id" = i64, Path)),
    responses((status = 200, body = MediaOut), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<MediaOut>> {
    let media = state.core.get_media(&auth.actor, id).await?;
    Ok(axum::Json(MediaOut::new(&state.core, media)))
}

/// Rename a media record or move it between groups.
#[utoipa::path(patch, path = "/api/v1/media/{id}", tag = "media", params(("id" = i64, Path)), request_body = MediaPatchIn,
    responses((status = 200, body = MediaOut), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<MediaPatchIn>,
) -> ApiResult<axum::Json<MediaOut>> {
    let patch = MediaPatch { original_name: input.original_name, group_id: input.group_id };
    let media = state.core.update_media(&auth.actor, id, patch).await?;
    Ok(axum::Json(MediaOut::new(&state.core, media)))
}

/// Delete a media record; the stored file and thumbnail go when no other record shares
/// them.
#[utoipa::path(delete, path = "/api/v1/media/{id}", tag = "media", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.media.delete(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List media groups.
#[utoipa::path(get, path = "/api/v1/media-groups", tag = "media",
    responses((status = 200, body = [MediaGroupOut]), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_groups(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> ApiResult<axum::Json<Vec<MediaGroupOut>>> {
    let groups = state.core.list_media_groups(&auth.actor).await?;
    Ok(axum::Json(groups.into_iter().map(Into::into).collect()))
}

/// Create a media group (whoever may upload).
#[utoipa::path(post, path = "/api/v1/media-groups", tag = "media", request_body = MediaGroupIn,
    responses((status = 201, body = MediaGroupOut), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_group(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Json(input): Json<MediaGroupIn>,
) -> ApiResult<impl IntoResponse> {
    let group = state.core.create_media_group(&auth.actor, &input.name).await?;
    Ok((StatusCode::CREATED, axum::Json(MediaGroupOut::from(group))))
}

/// Rename a media group (editors and admins).
#[utoipa::path(patch, path = "/api/v1/media-groups/{id}", tag = "media", params(("id" = i64, Path)),
    request_body = MediaGroupIn,
    responses((status = 200, body = MediaGroupOut), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_group(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
    Json(input): Json<MediaGroupIn>,
) -> ApiResult<axum::Json<MediaGroupOut>> {
    let group = state.core.rename_media_group(&auth.actor, id, &input.name).await?;
    Ok(axum::Json(group.into()))
}

/// Delete a media group; its files stay, in no group (editors and admins).
#[utoipa::path(delete, path = "/api/v1/media-groups/{id}", tag = "media", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_group(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.core.delete_media_group(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a requested media path tries to leave the storage root: `..`, backslashes,
/// NUL, absolute paths, or percent-encodings (decoded or not) of any of those.
fn is_traversal(raw: &str, decoded: &str) -> bool {
    let raw = raw.to_ascii_lowercase();
    decoded.contains("..")
        || decoded.contains(['\\', '\0', '%'])
        || decoded.starts_with('/')
        || ["%2e", "%2f", "%5c", "%00", "%25"].iter().any(|p| raw.contains(p))
}

/// `Last-Modified` text (IMF-fixdate).
fn http_date(at: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(at.into())
}

/// An `If-Modified-Since` date in any of the three HTTP date formats.
fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(text.trim()).ok().map(DateTime::<Utc>::from)
}

/// One byte range, inclusive, or the reason not to send one.
#[derive(Debug, PartialEq, Eq)]
enum RangeAnswer {
    Whole,
    Part(u64, u64),
    Unsatisfiable,
}

/// Reads a `Range` header against a file of `size` bytes. Only single `bytes` ranges are
/// honoured; several ranges, other units and malformed values get the whole file.
fn parse_range(value: &str, size: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return RangeAnswer::Whole };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else { return RangeAnswer::Whole };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| if s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    match (first.is_empty(), last.is_empty()) {
        (true, true) => RangeAnswer::Whole,
        (true, false) => match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Part(size.saturating_sub(n), size - 1),
            None => RangeAnswer::Whole,
        },
        (false, true) => match number(first) {
            Some(start) if start >= size => RangeAnswer::Unsatisfiable,
            Some(start) => RangeAnswer::Part(start, size - 1),
            None => RangeAnswer::Whole,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= size {
                    RangeAnswer::Unsatisfiable
                } else {
                    RangeAnswer::Part(start, end.min(size - 1))
                }
            }
            _ => RangeAnswer::Whole,
        },
    }
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// Headers every answer about a stored file carries.
fn file_headers(file: &PublicFile, etag: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    put(header::ETAG, etag.to_string());
    put(header::LAST_MODIFIED, http_date(file.created_at));
    put(header::CACHE_CONTROL, "public, max-age=31536000, immutable".into());
    put(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    put(header::ACCEPT_RANGES, "bytes".into());
    let content_type =
        if file.mime == "text/plain" { "text/plain; charset=utf-8".into() } else { file.mime.clone() };
    if file.inline {
        put(header::CONTENT_TYPE, content_type);
    } else {
        // Active or unknown content: a download, and inert even if opened.
        put(header::CONTENT_TYPE, content_type);
        let name = file.key.rsplit('/').next().unwrap_or("download");
        put(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""));
        put(header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".into());
    }
    headers
}

/// A stored file.
///
/// Public. Strong `ETag` (the SHA-256), `Last-Modified`, `304` for `If-None-Match` /
/// `If-Modified-Since`, single `Range` requests (`206`, `416`), cached for a year
/// (`immutable`: a key's bytes never change), `X-Content-Type-Options: nosniff`. SVG,
/// HTML, XML and every type but passive images, audio, video, PDF and plain text come as
/// attachments with `Content-Security-Policy: default-src 'none'; sandbox`. Paths that try
/// to leave the storage root are refused (422, `invalid_input`, field `key`).
#[utoipa::path(get, path = "/media/{key}", tag = "media", params(("key" = String, Path, description = "A storage key, e.g. 2026/01/<32 hex>.png")),
    responses((status = 200, description = "The file"), (status = 206, description = "A byte range"),
              (status = 304, description = "Not modified"), (status = 422, body = Problem),
              (status = 404, body = Problem), (status = 416, description = "Range not satisfiable")))]
pub async fn serve(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let raw = uri.path().strip_prefix(PUBLIC_PATH).unwrap_or("");
    let decoded = percent_decode(raw).ok_or_else(|| ApiError(not_a_media_path()))?;
    if is_traversal(raw, &decoded) {
        return Err(ApiError(not_a_media_path()));
    }
    if !inkstone_http::media::is_storage_key(&decoded) {
        return Err(ApiError(CoreError::not_found()));
    }
    let file =
        state.core.public_media_file(&decoded).await?.ok_or_else(|| ApiError(CoreError::not_found()))?;
    let etag = format!("\"{}\"", file.etag);
    let mut headers = file_headers(&file, &etag);
    let size = u64::try_from(file.size).unwrap_or(0);

    let not_modified = match request_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(list) => etag_matches(list, &etag),
        None => request_headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date)
            .is_some_and(|since| file.created_at.timestamp() <= since.timestamp()),
    };
    if not_modified {
        headers.remove(header::CONTENT_TYPE);
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }

    let if_range_ok = match request_headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(value) if value.trim().starts_with('"') => value.trim() == etag,
        Some(value) => parse_http_date(value).is_some_and(|at| file.created_at.timestamp() <= at.timestamp()),
    };
    let range = match request_headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) if if_range_ok => parse_range(value, size),
        _ => RangeAnswer::Whole,
    };
    let (status, start, end) = match range {
        RangeAnswer::Whole => (StatusCode::OK, 0, size),
        RangeAnswer::Part(first, last) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            (StatusCode::PARTIAL_CONTENT, first, last + 1)
        }
        RangeAnswer::Unsatisfiable => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            headers.remove(header::CONTENT_TYPE);
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response());
        }
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    let body = if end > start {
        Body::from_stream(state.media.read_range(&file.key, start..end).await?)
    } else {
        Body::empty()
    };
    Ok((status, headers, body).into_response())
}

fn not_a_media_path() -> CoreError {
    CoreError::new(ErrorCode::InvalidInput).with_field("key").with_detail(
        "not a media path: paths may not contain .., backslashes, NUL or percent-encoded separators",
        "不是有效的媒体路径：路径中不能包含 ..、反斜杠、NUL 或百分号编码的分隔符",
    )
}

/// Percent-decodes a path; `None` when the result is not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw).decode_utf8().ok().map(|text| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeAnswer::Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeAnswer::Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeAnswer::Part(90, 99));
        assert_eq!(parse_range("bytes=95-200", 100), RangeAnswer::Part(95, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeAnswer::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeAnswer::Whole);
        assert_eq!(parse_range("items=0-1", 100), RangeAnswer::Whole);
        assert_eq!(parse_range("bytes=5-1", 100), RangeAnswer::Whole);
    }

    #[test]
    fn traversal_is_spotted_encoded_or_not() {
        for raw in ["../x", "2026/%2e%2e/x", "%2F etc", "a%5cb", "%252e%252e/x", "a%00"] {
            let decoded = percent_decode(raw).unwrap();
            assert!(is_traversal(raw, &decoded), "{raw}");
        }
        assert!(!is_traversal("2026/01/abc.png", "2026/01/abc.png"));
    }
}
