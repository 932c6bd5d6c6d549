//! `upload`: resource files through the one media pipeline (`MediaService::upload`).
//!
//! emlog `Api_Controller::upload` and `upload2local`: a multipart body with the file in
//! field `file`, an optional media group `sid`, and (as PHP's `$_REQUEST` allows) the
//! credentials in the query or anywhere in the body. Inkstone stores files under its own
//! keys and serves them at `<site.url>/media/<key>`; `file_path` and `thum_file` present
//! that address the way emlog presents its `content/uploadfile/…` paths:
//! `../media/<key>`, so a client that turns them into a cover or a URL (by dropping the
//! `../` and prefixing the site URL) reaches the file.

use bytes::{Bytes, BytesMut};
use inkstone_core::media::Media;
use inkstone_core::permission::Actor;
use inkstone_core::{CoreError, ErrorCode};
use inkstone_http::media::UploadRequest;
use serde_json::{Map, Value, json};

use crate::call::{AuthMode, Call, authenticate};
use crate::envelope::{EmlogError, EmlogResult, ok};

/// Most bytes of a file held in memory while waiting for credentials sent after it (the
/// server's default body limit, which any unauthenticated request has anyway).
const PENDING_LIMIT: u64 = inkstone_http::DEFAULT_BODY_LIMIT as u64;

/// Longest text field read from an upload form.
const TEXT_FIELD_LIMIT: usize = 4096;

fn upload_error() -> EmlogError {
    EmlogError::bad("Upload error")
}

/// PHP `changeFileSize`: `N bytes`, `N KB`, `N MB`, `N GB`, with up to two decimals.
pub fn php_file_size(bytes: u64) -> String {
    let units = [(1u64 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    for (size, unit) in units {
        if bytes >= size {
            let value = ((bytes as f64 / size as f64) * 100.0).round() / 100.0;
            let text = format!("{value:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            return format!("{text} {unit}");
        }
    }
    if bytes == 0 { "N/A".to_string() } else { format!("{bytes} bytes") }
}

fn too_large(limit: u64) -> EmlogError {
    EmlogError::bad(format!("文件太大了，系统限制上传：{}", php_file_size(limit)))
}

/// emlog's texts for what the pipeline refuses: the type (`不能上传该类型文件`), the size
/// (`文件太大了，系统限制上传：…`), anything else about the file (`Upload error`); other
/// core errors as [`EmlogError::from_core`].
fn upload_failure(error: CoreError, limit: u64) -> EmlogError {
    let about_file = error.field.as_deref() == Some("file");
    match error.code {
        ErrorCode::PayloadTooLarge => too_large(limit),
        ErrorCode::InvalidInput if about_file => {
            let refused_type = error.detail.as_ref().is_some_and(|d| d.en.starts_with("files of type"));
            if refused_type { EmlogError::bad("不能上传该类型文件") } else { upload_error() }
        }
        _ => EmlogError::from(error),
    }
}

/// Whether the request carries an `api_key` or a whole signature yet.
fn credentials_sent(call: &Call) -> bool {
    let sent = |name: &str| call.request_raw(name).is_some_and(|v| !v.is_empty());
    sent("api_key") || (sent("req_sign") && sent("req_time"))
}

/// The media group of `sid`, when it names one (emlog stores any `sid`; Inkstone files
/// the upload in no group when there is no such group).
async fn group_of(call: &Call, actor: &Actor) -> Result<Option<i64>, EmlogError> {
    let Some(sid) = call.form.int("sid").or_else(|| call.query.int("sid")).filter(|s| *s > 0) else {
        return Ok(None);
    };
    let groups = call.core().list_media_groups(actor).await?;
    Ok(groups.iter().any(|g| g.id == sid).then_some(sid))
}

/// `POST /?rest-api=upload` (key or signature only), multipart with the file in `file`:
/// `{media_id, url, file_info:{file_name, mime_type, size, width, height, file_path,
/// thum_file?}}`. `url` is the file's absolute address; `width`/`height` are 0 for files
/// that are not images; `thum_file` appears when a thumbnail was made. `author_uid` is
/// ignored: the file belongs to the key's user.
///
/// Errors (400): `Upload error` (no file, an empty file, a malformed body);
/// `不能上传该类型文件` (a type `media.allowed_types` refuses, sniffed from the bytes);
/// `文件太大了，系统限制上传：<limit>` (over the upload limit); 401 as for every key action.
pub async fn upload(mut call: Call) -> EmlogResult {
    let limit = call.state.media.limits().max_upload_bytes;
    if !call.is_multipart() {
        authenticate(&call, AuthMode::KeyOnly).await?;
        return Err(upload_error());
    }
    let declared_length = call
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut multipart = call.multipart_for_upload().await?;
    let mut actor: Option<Actor> = None;
    let mut pending: Option<(String, Bytes)> = None;
    let mut uploaded: Option<Media> = None;
    let mut pending_too_large = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) if uploaded.is_some() => break,
            Err(_) => return Err(upload_error()),
        };
        let name = field.name().unwrap_or("").to_string();
        let Some(file_name) = field.file_name().map(str::to_string) else {
            let mut field = field;
            let mut text = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                text.extend_from_slice(&chunk);
                if text.len() > TEXT_FIELD_LIMIT {
                    return Err(EmlogError::parameter());
                }
            }
            call.form.push(name, String::from_utf8_lossy(&text).into_owned());
            continue;
        };
        if name != "file" || uploaded.is_some() || pending.is_some() {
            continue;
        }
        if actor.is_none() && credentials_sent(&call) {
            actor = Some(authenticate(&call, AuthMode::KeyOnly).await?);
        }
        match &actor {
            Some(actor) => {
                call.state
                    .media
                    .check_declared_length(declared_length)
                    .map_err(|e| upload_failure(e, limit))?;
                let request = UploadRequest {
                    original_name: file_name,
                    group_id: group_of(&call, actor).await?,
                    declared_length,
                };
                let media = call
                    .state
                    .media
                    .upload(actor, request, field)
                    .await
                    .map_err(|e| upload_failure(e, limit))?;
                uploaded = Some(media);
            }
            None => {
                // The credentials come after the file (PHP's array order): hold it.
                // Past the limit the rest of the file is skipped (to read the fields after
                // it) and the upload refused once the caller is known.
                let mut field = field;
                let mut bytes = BytesMut::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if (bytes.len() + chunk.len()) as u64 > limit.min(PENDING_LIMIT) {
                                pending_too_large = true;
                                break;
                            }
                            bytes.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(_) => return Err(upload_error()),
                    }
                }
                pending = Some((file_name, bytes.freeze()));
            }
        }
    }
    let actor = match actor {
        Some(actor) => actor,
        None => authenticate(&call, AuthMode::KeyOnly).await?,
    };
    if pending_too_large {
        return Err(too_large(limit.min(PENDING_LIMIT)));
    }
    let media = match (uploaded, pending) {
        (Some(media), _) => media,
        (None, Some((file_name, bytes))) => {
            let request = UploadRequest {
                original_name: file_name,
                group_id: group_of(&call, &actor).await?,
                declared_length: Some(bytes.len() as u64),
            };
            let body = futures_util::stream::iter([Ok::<Bytes, std::convert::Infallible>(bytes)]);
            call.state.media.upload(&actor, request, body).await.map_err(|e| upload_failure(e, limit))?
        }
        (None, None) => return Err(upload_error()),
    };
    ok(reply(&call, &media))
}

/// The emlog reply for a stored upload.
fn reply(call: &Call, media: &Media) -> Value {
    let core = call.core();
    let blob = &media.blob;
    let mut info = Map::new();
    info.insert("file_name".into(), json!(media.original_name));
    info.insert("mime_type".into(), json!(blob.mime));
    info.insert("size".into(), json!(blob.size));
    info.insert("width".into(), json!(blob.width.unwrap_or(0)));
    info.insert("height".into(), json!(blob.height.unwrap_or(0)));
    info.insert("file_path".into(), json!(format!("..{}{}", inkstone_core::media::PUBLIC_PATH, blob.key)));
    if let Some(thumb) = &blob.thumbnail {
        info.insert(
            "thum_file".into(),
            json!(format!("..{}{}", inkstone_core::media::PUBLIC_PATH, thumb.key)),
        );
    }
    json!({
        "media_id": media.id,
        "url": core.media_url(&blob.key),
        "file_info": Value::Object(info),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_php() {
        assert_eq!(php_file_size(2 * 1024 * 1024), "2 MB");
        assert_eq!(php_file_size(1536), "1.5 KB");
        assert_eq!(php_file_size(64 * 1024 * 1024), "64 MB");
        assert_eq!(php_file_size(1000), "1000 bytes");
        assert_eq!(php_file_size(0), "N/A");
        assert_eq!(php_file_size(1_234_567), "1.18 MB");
    }
}
