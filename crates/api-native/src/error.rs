//! RFC 9457 problem details for the native API, localized per request.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use inkstone_core::{CoreError, ErrorCode, Locale};
use inkstone_http::AppState;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem details document (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:inkstone:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Localized summary of the code.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Localized explanation, when there is more to say than the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `not_found`, `invalid_input`.
    pub code: String,
    /// The input field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The HTTP status of an error code in the native API.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidInput | ErrorCode::CaptchaFailed => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict | ErrorCode::EditConflict | ErrorCode::InvalidState => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Renders `error` as problem+json in `locale`.
pub fn problem_response(error: &CoreError, locale: Locale) -> Response {
    let status = status_of(error.code);
    let problem = Problem {
        kind: format!("urn:inkstone:problem:{}", error.code),
        title: error.code.title(locale).to_string(),
        status: status.as_u16(),
        detail: error.detail.as_ref().map(|d| d.get(locale).to_string()),
        code: error.code.as_str().to_string(),
        field: error.field.clone(),
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.tag()));
    if let Some(seconds) = error.retry_after_secs {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if error.code == ErrorCode::Unauthenticated {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// A handler error: rendered in English here, then re-rendered in the request's language
/// by [`localize_problems`], which knows the request headers.
#[derive(Debug)]
pub struct ApiError(pub CoreError);

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem_response(&self.0, Locale::En);
        response.extensions_mut().insert(self.0);
        response
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

/// Middleware: renders errors in the caller's language and turns framework rejections
/// that escaped the typed extractors (unknown route, wrong method) into problem+json.
pub async fn localize_problems(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let locale = inkstone_http::locale(&state.core, request.headers());
    let response = next.run(request).await;
    if let Some(error) = response.extensions().get::<CoreError>() {
        return problem_response(error, locale);
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let error = match status {
            StatusCode::NOT_FOUND => CoreError::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => CoreError::new(ErrorCode::InvalidInput)
                .with_detail("this method is not allowed here", "此处不允许该请求方法"),
            StatusCode::PAYLOAD_TOO_LARGE => CoreError::new(ErrorCode::PayloadTooLarge),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => CoreError::new(ErrorCode::InvalidInput)
                .with_detail("send the body as application/json", "请求体须为 application/json"),
            s if s.is_server_error() => CoreError::new(ErrorCode::Internal),
            _ => CoreError::new(ErrorCode::InvalidInput),
        };
        let mut rendered = problem_response(&error, locale);
        if status == StatusCode::METHOD_NOT_ALLOWED {
            *rendered.status_mut() = status;
        }
        return rendered;
    }
    response
}
