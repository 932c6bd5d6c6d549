//! `attachments/index`, `attachments/upload`, `attachments/delete`: ulthon's
//! `upload_files` over the core's media library and the one upload pipeline.
//!
//! Mapping: `name` = the uploaded file name; `save_name` = the stored file's name (the
//! server-chosen storage key's last part); `url` = the root-relative public path
//! `/media/<key>`; `type` = the top-level MIME type sniffed from the bytes (`image`,
//! `video`, `audio`, `text`, `application`); `source` `api` for what a key uploaded,
//! `admin` otherwise.

use inkstone_core::media::{Media, MediaListParams, PUBLIC_PATH};
use inkstone_core::permission::{Action, Resource};
use inkstone_http::media::UploadRequest;
use serde_json::{Value, json};

use crate::call::Call;
use crate::envelope::{UlthonError, UlthonResult, ok, ok_empty};

/// Page size of `attachments/index` when `limit` is not given (the document's default).
pub const DEFAULT_LIMIT: i64 = 20;
/// Largest `limit` accepted (the core's page limit).
pub const MAX_LIMIT: i64 = 100;

const NOT_FOUND: &str = "附件不存在";

/// The root-relative URL of a stored file, as ulthon writes its `/uploads/...` paths.
fn url_of(key: &str) -> String {
    format!("{PUBLIC_PATH}{key}")
}

fn type_of(mime: &str) -> &str {
    mime.split('/').next().unwrap_or("application")
}

/// One entry of `attachments/index`: `id`, `name`, `save_name`, `url`, `type`, `mime_type`,
/// `size` (bytes), `source`, `create_time` (Unix seconds).
pub fn attachment_json(media: &Media) -> Value {
    let key = &media.blob.key;
    json!({
        "id": media.id,
        "name": media.original_name,
        "save_name": key.rsplit('/').next().unwrap_or(key),
        "url": url_of(key),
        "type": type_of(&media.blob.mime),
        "mime_type": media.blob.mime,
        "size": media.blob.size,
        "source": if media.origin == inkstone_core::model::Origin::Api { "api" } else { "admin" },
        "create_time": media.created_at.timestamp(),
    })
}

/// `GET attachments/index`: `page` (1), `limit` (20, at most 100), `type` (`image`,
/// `video`, … or a full MIME type). Newest first. Reply `{list, total, page}`. A key reads
/// the library as its user may (every key may read).
///
/// Errors: 500 `参数错误` for a `limit` over 100 or a malformed `type`.
pub async fn index(call: Call) -> UlthonResult {
    let page = call.params.int("page").unwrap_or(None).filter(|p| *p >= 1).unwrap_or(1);
    let limit = call.params.int("limit").unwrap_or(None).filter(|l| *l >= 1).unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(UlthonError::parameter(format!("limit 最大为 {MAX_LIMIT}")));
    }
    let params = MediaListParams {
        mime: call.params.text("type")?.filter(|t| !t.trim().is_empty()),
        page: Some(page),
        per_page: Some(limit),
        ..MediaListParams::default()
    };
    let found = call.core().list_media(&call.actor(), params).await?;
    let list: Vec<Value> = found.items.iter().map(attachment_json).collect();
    ok("success", json!({ "list": list, "total": found.total, "page": found.page }))
}

/// `POST attachments/upload` (`multipart/form-data`, field `file`): stores the file through
/// the upload pipeline (type sniffed and checked against `media.allowed_types`, size
/// limit, deduplication, thumbnails) with `source` `api`. Other form fields are ignored.
/// Reply `{id, name, url, size}` (plus `save_name`, `type`, `mime_type`) with `上传成功`.
///
/// Errors: 403 (key without `can_write_own`), before a byte is read; 500
/// `请选择要上传的文件`, a refused type, the size limit. Nothing is stored on any error.
pub async fn upload(mut call: Call) -> UlthonResult {
    let actor = call.actor();
    call.core().require(&actor, Action::Upload, Resource::Site).await?;
    let declared_length = call.declared_length();
    call.state.media.check_declared_length(declared_length)?;
    let mut multipart = call.multipart().await?;
    let malformed = |_| UlthonError::business("上传失败：multipart 请求体格式错误");
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        if field.name() != Some("file") || field.file_name().is_none() {
            continue;
        }
        let request = UploadRequest {
            original_name: field.file_name().unwrap_or("").to_string(),
            group_id: None,
            declared_length,
        };
        let media = call.state.media.upload(&actor, request, field).await?;
        let entry = attachment_json(&media);
        return ok(
            "上传成功",
            json!({
                "id": media.id,
                "name": media.original_name,
                "url": entry["url"],
                "size": media.blob.size,
                "save_name": entry["save_name"],
                "type": entry["type"],
                "mime_type": entry["mime_type"],
            }),
        );
    }
    Err(UlthonError::business("请选择要上传的文件"))
}

/// `POST attachments/delete` (`id`): deletes the record; the stored file goes when no other
/// record shares it. Reply `[]` with `删除成功`.
///
/// Permission (the core's): `can_delete` ≥ 1 for `source` api, 2 for admin. Errors: 403;
/// 500 `参数错误：缺少 id`, `附件不存在`.
pub async fn delete(call: Call) -> UlthonResult {
    let id = match call.params.int("id")? {
        Some(id) if id > 0 => id,
        Some(_) => return Err(UlthonError::business(NOT_FOUND)),
        None => return Err(UlthonError::parameter("缺少 id")),
    };
    call.state.media.delete(&call.actor(), id).await.map_err(|e| UlthonError::not_found_as(e, NOT_FOUND))?;
    ok_empty("删除成功")
}
