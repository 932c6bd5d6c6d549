//! ulthon's reply envelope `{code, msg, data}` and its errors.
//!
//! ulthon_information answers through `json_message($data, $code, $msg)` and ThinkPHP's
//! `json()`: `code` 0 success, 401 credentials, 403 permission, 500 business error (a
//! missing parameter, an unknown id). The HTTP status is 200 in every case (ThinkPHP
//! `json()` sends 200 unless told otherwise); clients read `code`. On failure `data` is
//! `[]` (PHP's empty array). The body is `json_encode(…, JSON_UNESCAPED_UNICODE)`, ThinkPHP's
//! default: Chinese stays raw and `/` is written `\/`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inkstone_core::{CoreError, ErrorCode};
use serde_json::{Value, json};

/// What every ulthon handler returns.
pub type UlthonResult = Result<Response, UlthonError>;

/// `Content-Type` of every ulthon reply (ThinkPHP `Json` response).
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Envelope `code` of a success.
pub const CODE_OK: i64 = 0;
/// Envelope `code` of a missing, unknown or disabled API key.
pub const CODE_UNAUTHORIZED: i64 = 401;
/// Envelope `code` of a key whose flags do not allow the write.
pub const CODE_FORBIDDEN: i64 = 403;
/// Envelope `code` of a business error (bad parameter, unknown id, refused file).
pub const CODE_BUSINESS: i64 = 500;

/// Serializes like PHP's `json_encode($v, JSON_UNESCAPED_UNICODE)`: non-ASCII raw, `/`
/// escaped as `\/`. A `/` only occurs inside JSON strings, so escaping every one is exact.
pub fn php_json(value: &Value) -> Vec<u8> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    text.replace('/', "\\/").into_bytes()
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, php_json(value)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// `{"code":0,"msg":msg,"data":data}` with HTTP 200. `msg` is `success` for reads and the
/// documented Chinese text for writes (`创建成功`, `更新成功`, `删除成功`, `上传成功`).
pub fn ok(msg: &str, data: Value) -> UlthonResult {
    Ok(json_response(StatusCode::OK, &json!({ "code": CODE_OK, "msg": msg, "data": data })))
}

/// Success with nothing to return: `data` is `[]`, as the document shows.
pub fn ok_empty(msg: &str) -> UlthonResult {
    ok(msg, json!([]))
}

/// A failure: envelope `code` and the Chinese `msg`; `data` is `[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UlthonError {
    pub code: i64,
    pub msg: String,
    /// HTTP status: 200 for everything ulthon's controllers answer, 404 for paths no
    /// controller serves.
    pub status: StatusCode,
    /// Seconds for a `Retry-After` header (rate limits).
    pub retry_after_secs: Option<u64>,
}

impl UlthonError {
    fn new(code: i64, msg: impl Into<String>) -> Self {
        UlthonError { code, msg: msg.into(), status: StatusCode::OK, retry_after_secs: None }
    }

    /// Code 500 with `msg`: a business error.
    pub fn business(msg: impl Into<String>) -> Self {
        UlthonError::new(CODE_BUSINESS, msg)
    }

    /// Code 401 with `msg`.
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        UlthonError::new(CODE_UNAUTHORIZED, msg)
    }

    /// Code 403 with `msg`.
    pub fn forbidden(msg: impl Into<String>) -> Self {
        UlthonError::new(CODE_FORBIDDEN, msg)
    }

    /// `参数错误：<detail>` (500).
    pub fn parameter(detail: impl std::fmt::Display) -> Self {
        UlthonError::business(format!("参数错误：{detail}"))
    }

    /// `接口不存在`: a path under `/index.php/api/` that no controller serves (HTTP 404,
    /// code 404).
    pub fn no_such_endpoint() -> Self {
        UlthonError { status: StatusCode::NOT_FOUND, ..UlthonError::new(404, "接口不存在") }
    }

    /// Replaces `msg` of a `not_found` core error with `msg` (e.g. `文章不存在`); other
    /// errors pass through.
    pub fn not_found_as(error: CoreError, msg: &str) -> Self {
        if error.code == ErrorCode::NotFound && error.field.is_none() {
            UlthonError::business(msg)
        } else {
            UlthonError::from(error)
        }
    }

    /// The ulthon rendering of a core error: credentials → 401; `forbidden` → 403 with the
    /// core's Chinese reason (`API Key 权限不足`); `not_found` → 500 `资源不存在`; invalid
    /// input and state → 500 with the ulthon field name and the core's Chinese detail;
    /// rate limits → 500 `请求过于频繁，请稍后再试` with `Retry-After`; too large → 500 with
    /// the limit; internal → 500 `服务器内部错误` (never the internals).
    pub fn from_core(error: &CoreError) -> Self {
        let zh = error.detail.as_ref().map(|d| d.zh.clone());
        match error.code {
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => {
                UlthonError::unauthorized("API Key 无效或已禁用")
            }
            ErrorCode::Forbidden => UlthonError::forbidden(zh.unwrap_or_else(|| "权限不足".to_string())),
            ErrorCode::NotFound => {
                let what = match error.field.as_deref() {
                    Some(field) => format!("{}不存在", wire_field(field)),
                    None => "资源不存在".to_string(),
                };
                UlthonError::business(what)
            }
            ErrorCode::InvalidInput
            | ErrorCode::CaptchaFailed
            | ErrorCode::Conflict
            | ErrorCode::EditConflict
            | ErrorCode::InvalidState => {
                let detail = zh.unwrap_or_else(|| error.code.title(inkstone_core::Locale::ZhCn).to_string());
                match error.field.as_deref() {
                    Some(field) => UlthonError::parameter(format!("{}：{detail}", wire_field(field))),
                    None => UlthonError::business(detail),
                }
            }
            ErrorCode::RateLimited => UlthonError {
                retry_after_secs: error.retry_after_secs,
                ..UlthonError::business("请求过于频繁，请稍后再试")
            },
            ErrorCode::PayloadTooLarge => UlthonError::business(zh.unwrap_or_else(|| "文件过大".to_string())),
            ErrorCode::Internal => UlthonError::business("服务器内部错误"),
        }
    }
}

/// The ulthon name of a core field, for messages (`cover` is `poster`, …).
fn wire_field(field: &str) -> &str {
    match field {
        "cover" => "poster",
        "excerpt" => "desc",
        "published_at" => "publish_time",
        "categories" => "categorys",
        "body" => "content",
        "per_page" => "limit",
        "mime" => "type",
        other => other,
    }
}

impl From<CoreError> for UlthonError {
    fn from(error: CoreError) -> Self {
        if error.code == ErrorCode::Internal {
            tracing::error!(error = %error, "ulthon request failed");
        }
        UlthonError::from_core(&error)
    }
}

impl IntoResponse for UlthonError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code, "msg": self.msg, "data": [] });
        let mut response = json_response(self.status, &body);
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Runs a handler result into a response.
pub fn respond(result: UlthonResult) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_details() {
        let error = CoreError::new(ErrorCode::Internal).with_detail("disk /var/x failed", "磁盘失败");
        let rendered = UlthonError::from_core(&error);
        assert_eq!((rendered.code, rendered.msg.as_str()), (500, "服务器内部错误"));
    }

    #[test]
    fn invalid_fields_are_named_as_ulthon_names_them() {
        let error = CoreError::invalid("cover", "bad", "必须是 http(s) 网址或以 / 开头的路径");
        let rendered = UlthonError::from_core(&error);
        assert_eq!(rendered.code, 500);
        assert_eq!(rendered.msg, "参数错误：poster：必须是 http(s) 网址或以 / 开头的路径");
    }

    #[test]
    fn slashes_are_escaped_and_chinese_stays_raw() {
        let body = String::from_utf8(php_json(&json!({"url": "/media/a.png", "msg": "上传成功"}))).unwrap();
        assert_eq!(body, r#"{"msg":"上传成功","url":"\/media\/a.png"}"#);
    }
}
