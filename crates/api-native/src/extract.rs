//! Extractors whose rejections are problem+json.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use inkstone_core::{CoreError, ErrorCode};
use inkstone_http::{AppState, Auth};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Malformed JSON, unknown fields, wrong types and oversized bodies become
/// `invalid_input` / `payload_too_large` problems that say what is wrong.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(ApiError(json_rejection(rejection))),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> CoreError {
    let text = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => CoreError::new(ErrorCode::InvalidInput)
            .with_detail("send the body as application/json", "请求体须为 application/json"),
        JsonRejection::BytesRejection(_) if text.contains("length limit") => {
            CoreError::new(ErrorCode::PayloadTooLarge)
        }
        _ => CoreError::new(ErrorCode::InvalidInput).with_detail(text.clone(), format!("请求体无效：{text}")),
    }
}

/// Query parameters, rejected as `invalid_input`. A query-string signature (`req_time`,
/// `req_sign`) is a credential, not a parameter: it is taken out before the rest is read.
pub struct Query<T>(pub T);

/// Query keys that carry credentials (see `inkstone_http::Carriers::signed_query`).
const CREDENTIAL_PARAMS: &[&str] = &["req_time", "req_sign"];

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let kept: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                form_urlencoded::parse(query.as_bytes())
                    .filter(|(key, _)| !CREDENTIAL_PARAMS.contains(&key.as_ref())),
            )
            .finish();
        let uri: axum::http::Uri = format!("/?{kept}").parse().map_err(|_| {
            ApiError(
                CoreError::new(ErrorCode::InvalidInput)
                    .with_detail("malformed query string", "查询字符串格式错误"),
            )
        })?;
        axum::extract::Query::<T>::try_from_uri(&uri).map(|q| Query(q.0)).map_err(
            |rejection: QueryRejection| {
                let text = rejection.body_text();
                ApiError(
                    CoreError::new(ErrorCode::InvalidInput)
                        .with_detail(text.clone(), format!("查询参数无效：{text}")),
                )
            },
        )
    }
}

/// Path parameters; a malformed id is `not_found` (no such resource can exist).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|_: PathRejection| ApiError(CoreError::not_found()))
    }
}

/// The authenticated caller (possibly anonymous).
pub struct Caller(pub Auth);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        inkstone_http::authenticate(&state.core, parts).await.map(Caller).map_err(ApiError)
    }
}
