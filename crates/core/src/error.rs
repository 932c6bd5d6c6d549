//! `CoreError`: what every use case returns on failure, with a stable [`ErrorCode`] that each
//! API renders in its own envelope (problem+json for the native API).

use std::fmt;

use crate::locale::Locale;

/// Stable, snake_case error codes. Clients match on these; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or a field fails validation (HTTP 400/422).
    InvalidInput,
    /// No credentials, or credentials that are not valid (401).
    Unauthenticated,
    /// Wrong login or password (401).
    InvalidCredentials,
    /// The caller is known but may not do this (403).
    Forbidden,
    /// The resource does not exist, or the caller may not know it exists (404).
    NotFound,
    /// A unique value (slug, username, e-mail) is taken (409).
    Conflict,
    /// The resource changed since it was read; reload and retry (409).
    EditConflict,
    /// The action does not apply to the resource's current state, such as publishing a
    /// trashed post (409).
    InvalidState,
    /// A required captcha is missing or wrong (422).
    CaptchaFailed,
    /// Too many attempts (429).
    RateLimited,
    /// The request body is larger than allowed (413).
    PayloadTooLarge,
    /// Something failed inside the server; details are logged, never shown (500).
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire, e.g. `not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::EditConflict => "edit_conflict",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::CaptchaFailed => "captcha_failed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Internal => "internal",
        }
    }

    /// A short, localized title for the code.
    pub fn title(self, locale: Locale) -> &'static str {
        use ErrorCode::*;
        match (self, locale) {
            (InvalidInput, Locale::En) => "Invalid input",
            (InvalidInput, Locale::ZhCn) => "请求参数无效",
            (Unauthenticated, Locale::En) => "Authentication required",
            (Unauthenticated, Locale::ZhCn) => "需要登录",
            (InvalidCredentials, Locale::En) => "Wrong login or password",
            (InvalidCredentials, Locale::ZhCn) => "用户名或密码错误",
            (Forbidden, Locale::En) => "Permission denied",
            (Forbidden, Locale::ZhCn) => "没有权限",
            (NotFound, Locale::En) => "Not found",
            (NotFound, Locale::ZhCn) => "资源不存在",
            (Conflict, Locale::En) => "Already exists",
            (Conflict, Locale::ZhCn) => "已存在",
            (EditConflict, Locale::En) => "Changed by someone else",
            (EditConflict, Locale::ZhCn) => "内容已被他人修改",
            (InvalidState, Locale::En) => "Not allowed in the current state",
            (InvalidState, Locale::ZhCn) => "当前状态不允许此操作",
            (CaptchaFailed, Locale::En) => "Captcha missing or wrong",
            (CaptchaFailed, Locale::ZhCn) => "验证码缺失或错误",
            (RateLimited, Locale::En) => "Too many requests",
            (RateLimited, Locale::ZhCn) => "请求过于频繁",
            (PayloadTooLarge, Locale::En) => "Request body too large",
            (PayloadTooLarge, Locale::ZhCn) => "请求体过大",
            (Internal, Locale::En) => "Internal server error",
            (Internal, Locale::ZhCn) => "服务器内部错误",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message in both languages the server speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub en: String,
    pub zh: String,
}

impl Message {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Message { en: en.into(), zh: zh.into() }
    }

    /// The text in `locale`.
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::ZhCn => &self.zh,
        }
    }
}

/// The error every core operation returns.
///
/// `detail` is safe to show to the caller; internal causes are logged where they happen
/// and never carried here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    pub code: ErrorCode,
    pub detail: Option<Message>,
    /// The input field at fault, as the caller named it (`title`, `per_page`, ...).
    pub field: Option<String>,
    /// For [`ErrorCode::RateLimited`]: seconds until a retry may succeed.
    pub retry_after_secs: Option<u64>,
}

impl CoreError {
    pub fn new(code: ErrorCode) -> Self {
        CoreError { code, detail: None, field: None, retry_after_secs: None }
    }

    /// A message in English and Chinese.
    pub fn with_detail(mut self, en: impl Into<String>, zh: impl Into<String>) -> Self {
        self.detail = Some(Message::new(en, zh));
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// An invalid field with a bilingual explanation.
    pub fn invalid(field: &str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        CoreError::new(ErrorCode::InvalidInput).with_field(field).with_detail(en, zh)
    }

    pub fn not_found() -> Self {
        CoreError::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> Self {
        CoreError::new(ErrorCode::Forbidden)
    }

    pub fn unauthenticated() -> Self {
        CoreError::new(ErrorCode::Unauthenticated)
    }

    /// An internal failure. The cause is logged here and not kept.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        CoreError::new(ErrorCode::Internal)
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {}", detail.en)?;
        }
        Ok(())
    }
}

impl std::error::Error for CoreError {}

/// Shorthand for core results.
pub type CoreResult<T> = Result<T, CoreError>;
