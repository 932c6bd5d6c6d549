//! emlog's reply envelope `{code, msg, data}` and its errors.
//!
//! emlog `Output::ok` / `Output::error` (`include/lib/output.php`): success is HTTP 200
//! `{"code":0,"msg":"ok","data":…}` (`data` is `""` when there is nothing to return);
//! failure is HTTP 400 (401 for credentials) with `code` 1 and `data` `""`. The body is
//! `json_encode(…, JSON_UNESCAPED_UNICODE)`: Chinese stays raw and `/` is written `\/`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inkstone_core::{CoreError, ErrorCode};
use serde_json::{Value, json};

/// What every emlog handler returns.
pub type EmlogResult = Result<Response, EmlogError>;

/// `Content-Type` of every emlog reply.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// Serializes like PHP's `json_encode($v, JSON_UNESCAPED_UNICODE)`: non-ASCII text raw,
/// `/` escaped as `\/`. A `/` can only occur inside JSON strings, so escaping every one in
/// the serialized text is exact.
pub fn php_json(value: &Value) -> Vec<u8> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    text.replace('/', "\\/").into_bytes()
}

/// A JSON response with emlog's content type.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, php_json(value)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// `{"code":0,"msg":"ok","data":data}` with HTTP 200.
pub fn ok(data: Value) -> EmlogResult {
    Ok(json_response(StatusCode::OK, &json!({ "code": 0, "msg": "ok", "data": data })))
}

/// Success with nothing to return: `data` is `""`, as emlog sends it.
pub fn ok_empty() -> EmlogResult {
    ok(Value::String(String::new()))
}

/// An emlog failure: HTTP status plus the `msg` text; `code` is always 1 and `data` `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmlogError {
    pub status: StatusCode,
    pub msg: String,
    /// Seconds for a `Retry-After` header (rate limits).
    pub retry_after_secs: Option<u64>,
}

impl EmlogError {
    /// HTTP 400 with `msg`.
    pub fn bad(msg: impl Into<String>) -> Self {
        EmlogError { status: StatusCode::BAD_REQUEST, msg: msg.into(), retry_after_secs: None }
    }

    /// HTTP 401 with `msg` (`auth error`, `auth param error`, `auth cookie error`).
    pub fn auth(msg: impl Into<String>) -> Self {
        EmlogError { status: StatusCode::UNAUTHORIZED, msg: msg.into(), retry_after_secs: None }
    }

    /// `parameter error` (400): a required parameter is missing or empty.
    pub fn parameter() -> Self {
        EmlogError::bad("parameter error")
    }

    /// `api is closed` (400): the setting `emlog.api_enabled` is off.
    pub fn api_closed() -> Self {
        EmlogError::bad("api is closed")
    }

    /// `api method is not exist` (400): unknown `rest-api` action (emlog HEAD wording).
    pub fn method_not_exist() -> Self {
        EmlogError::bad("api method is not exist")
    }

    /// Replaces the message, keeping the status (for a dialect-specific text).
    pub fn with_msg(mut self, msg: impl Into<String>) -> Self {
        self.msg = msg.into();
        self
    }

    /// The emlog rendering of a core error, for the API controller (English literals):
    /// credentials → 401 `auth error`; `forbidden` → 403 `permission denied`; `not_found`
    /// → 400 `not found`; invalid input → 400 with the core's English detail (or
    /// `parameter error`); rate limits → 429 with `Retry-After`; too large → 413;
    /// internal errors → 500 `server error` (never the internals). Handlers override
    /// the message where emlog has a specific one.
    pub fn from_core(error: &CoreError) -> Self {
        let detail = error.detail.as_ref().map(|d| d.en.clone());
        let (status, msg) = match error.code {
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, "auth error".to_string())
            }
            ErrorCode::Forbidden => (StatusCode::FORBIDDEN, "permission denied".to_string()),
            ErrorCode::NotFound => (StatusCode::BAD_REQUEST, "not found".to_string()),
            ErrorCode::InvalidInput
            | ErrorCode::CaptchaFailed
            | ErrorCode::Conflict
            | ErrorCode::EditConflict
            | ErrorCode::InvalidState => {
                (StatusCode::BAD_REQUEST, detail.unwrap_or_else(|| "parameter error".to_string()))
            }
            ErrorCode::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "too many requests".to_string()),
            ErrorCode::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, detail.unwrap_or_else(|| "file too large".to_string()))
            }
            ErrorCode::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "server error".to_string()),
        };
        EmlogError { status, msg, retry_after_secs: error.retry_after_secs }
    }
}

impl From<CoreError> for EmlogError {
    fn from(error: CoreError) -> Self {
        if error.code == ErrorCode::Internal {
            tracing::error!(error = %error, "emlog request failed");
        }
        EmlogError::from_core(&error)
    }
}

impl IntoResponse for EmlogError {
    fn into_response(self) -> Response {
        let body = json!({ "code": 1, "msg": self.msg, "data": "" });
        let mut response = json_response(self.status, &body);
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Runs a handler result into a response.
pub fn respond(result: EmlogResult) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_are_escaped_and_chinese_stays_raw() {
        let body = String::from_utf8(php_json(&json!({ "url": "http://x/a", "msg": "评论成功" }))).unwrap();
        assert!(body.contains(r#""url":"http:\/\/x\/a""#), "{body}");
        assert!(body.contains(r#""msg":"评论成功""#), "{body}");
        let back: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(back["url"], "http://x/a", "still the same JSON value");
    }

    #[test]
    fn internal_errors_never_show_their_details() {
        let error = CoreError::new(ErrorCode::Internal).with_detail("disk /var/x failed", "磁盘失败");
        let rendered = EmlogError::from_core(&error);
        assert_eq!(rendered.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(rendered.msg, "server error");
    }
}
