//! One ulthon request as handlers see it: the caller (an API key), and the parameters of
//! the query string and the body merged as ThinkPHP's `$request->param()` merges them.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::http::request::Parts;
use inkstone_core::Core;
use inkstone_core::permission::{Actor, Principal};
use inkstone_http::{AppState, Carriers};
use serde_json::Value;

use crate::envelope::UlthonError;

/// Largest JSON or form body read (the server's default body limit).
const BODY_LIMIT: usize = inkstone_http::DEFAULT_BODY_LIMIT;

/// The credential carriers ulthon accepts: `Authorization: Bearer <key>` and
/// `X-API-Key: <key>`; a credential that is not valid fails the request.
pub const CARRIERS: Carriers = Carriers {
    bearer: true,
    token_scheme: false,
    api_key_header: true,
    basic: false,
    session_cookie: false,
    signed_query: false,
    reject_invalid: true,
};

/// A request routed to an ulthon handler, its caller already known.
pub struct Call {
    pub state: AppState,
    pub parts: Parts,
    /// The API key's principal.
    pub principal: Principal,
    /// Query and body parameters; a body value wins over a query value of the same name.
    pub params: Params,
    /// A `multipart/form-data` body, left unread for uploads to stream (in a mutex so
    /// `&Call` can be held across awaits: a body is `Send` but not `Sync`).
    body: std::sync::Mutex<Option<Body>>,
}

/// Resolves the API key of a request.
///
/// Errors (code 401): `缺少 API Key` when neither header is sent; `API Key 无效或已禁用`
/// for an unknown, disabled or address-restricted key, and for a credential that is not an
/// API key (a user's access token: ulthon knows only keys).
pub async fn authenticate(core: &Core, parts: &Parts) -> Result<Principal, UlthonError> {
    let sent = parts.headers.contains_key(header::AUTHORIZATION)
        || parts.headers.contains_key(inkstone_http::API_KEY_HEADER);
    if !sent {
        return Err(UlthonError::unauthorized("缺少 API Key"));
    }
    let auth = inkstone_http::authenticate_with(core, CARRIERS, parts).await?;
    match auth.actor {
        Actor::User(principal) if principal.key.is_some() => Ok(principal),
        _ => Err(UlthonError::unauthorized("API Key 无效或已禁用")),
    }
}

impl Call {
    /// Authenticates, then reads the parameters: the query string, and a JSON object or
    /// url-encoded form body (PHP's `name[]=…` and `name[N]=…` make arrays). A multipart
    /// body stays unread for [`Call::multipart`].
    ///
    /// Errors: 401 as [`authenticate`]; 500 `参数错误` for a JSON body that is not an
    /// object, or a body over the server's limit.
    pub async fn read(state: AppState, request: Request) -> Result<Call, UlthonError> {
        let (parts, body) = request.into_parts();
        let principal = authenticate(&state.core, &parts).await?;
        let mut params = Params::from_form(parts.uri.query().unwrap_or("").as_bytes());
        let kind = inkstone_http::media_type(&parts.headers);
        let mut multipart = None;
        if kind == "multipart/form-data" {
            multipart = Some(body);
        } else {
            let bytes = axum::body::to_bytes(body, BODY_LIMIT)
                .await
                .map_err(|_| UlthonError::parameter("请求体过大"))?;
            let trimmed = bytes.iter().skip_while(|b| b.is_ascii_whitespace()).copied().next();
            if kind.contains("json") || (kind.is_empty() && trimmed == Some(b'{')) {
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    match serde_json::from_slice::<Value>(&bytes) {
                        Ok(Value::Object(map)) => params.merge(map.into_iter().collect()),
                        _ => return Err(UlthonError::parameter("请求体不是有效的 JSON 对象")),
                    }
                }
            } else if kind == "application/x-www-form-urlencoded" || kind.is_empty() {
                params.merge(Params::from_form(&bytes).0);
            }
        }
        Ok(Call { state, parts, principal, params, body: std::sync::Mutex::new(multipart) })
    }

    pub fn core(&self) -> &Core {
        &self.state.core
    }

    /// The caller as the core sees it.
    pub fn actor(&self) -> Actor {
        Actor::User(self.principal.clone())
    }

    /// The `Content-Length` the client declared, if any.
    pub fn declared_length(&self) -> Option<u64> {
        self.parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }

    /// The multipart body, once.
    ///
    /// Errors: 500 `请使用 multipart/form-data 上传文件` when the body is not multipart.
    pub async fn multipart(&mut self) -> Result<Multipart, UlthonError> {
        let not_multipart = || UlthonError::business("请使用 multipart/form-data 上传文件");
        let body = self.body.get_mut().unwrap_or_else(|e| e.into_inner()).take().ok_or_else(not_multipart)?;
        let request = Request::from_parts(self.parts.clone(), body);
        Multipart::from_request(request, &()).await.map_err(|_| not_multipart())
    }
}

/// Request parameters by name, as JSON values (form and query values are strings, PHP
/// arrays are arrays).
#[derive(Debug, Clone, Default)]
pub struct Params(pub BTreeMap<String, Value>);

impl Params {
    /// Parses `a=1&b[]=2&b[]=3&c[0]=4`: `b` and `c` become arrays.
    pub fn from_form(bytes: &[u8]) -> Params {
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(bytes) {
            let value = Value::String(value.into_owned());
            match name.find('[') {
                Some(open) if name.ends_with(']') && open > 0 => {
                    let entry =
                        map.entry(name[..open].to_string()).or_insert_with(|| Value::Array(Vec::new()));
                    match entry {
                        Value::Array(items) => items.push(value),
                        other => *other = Value::Array(vec![value]),
                    }
                }
                _ => {
                    map.insert(name.into_owned(), value);
                }
            }
        }
        Params(map)
    }

    fn merge(&mut self, other: BTreeMap<String, Value>) {
        self.0.extend(other);
    }

    /// The raw value; JSON `null` counts as absent (PHP `isset`).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A text parameter: strings as sent, numbers and booleans written out.
    ///
    /// Errors: `参数错误` when it is an array or object.
    pub fn text(&self, name: &str) -> Result<Option<String>, UlthonError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(if *b { "1" } else { "0" }.to_string())),
            Some(_) => Err(UlthonError::parameter(format!("{name} 必须是字符串"))),
        }
    }

    /// An integer parameter: a JSON integer or a string of digits. An empty string counts
    /// as absent.
    ///
    /// Errors: `参数错误` for anything else.
    pub fn int(&self, name: &str) -> Result<Option<i64>, UlthonError> {
        let bad = || UlthonError::parameter(format!("{name} 必须是整数"));
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Some(i)),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                _ => Err(bad()),
            },
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
            Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
            Some(_) => Err(bad()),
        }
    }

    /// A list of ids: a JSON array of integers (or digit strings), a comma-separated
    /// string (`"1,2"`), a single integer, or form fields `name[]=…`. An empty array or
    /// empty string is an empty list (it clears, in full-replace updates).
    ///
    /// Errors: `参数错误` for anything that is not an id.
    pub fn id_list(&self, name: &str) -> Result<Option<Vec<i64>>, UlthonError> {
        let bad = || UlthonError::parameter(format!("{name} 必须是 ID 数组，如 [1, 2]"));
        let one = |value: &Value| -> Result<Option<i64>, UlthonError> {
            match value {
                Value::Number(n) => n.as_i64().filter(|id| *id > 0).map(Some).ok_or_else(bad),
                Value::String(s) if s.trim().is_empty() => Ok(None),
                Value::String(s) => {
                    s.trim().parse::<i64>().ok().filter(|id| *id > 0).map(Some).ok_or_else(bad)
                }
                _ => Err(bad()),
            }
        };
        let values: Vec<Value> = match self.value(name) {
            None => return Ok(None),
            Some(Value::Array(items)) => items.clone(),
            Some(Value::String(s)) => s.split(',').map(|part| Value::String(part.to_string())).collect(),
            Some(other) => vec![other.clone()],
        };
        let mut ids = Vec::with_capacity(values.len());
        for value in &values {
            if let Some(id) = one(value)?
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        Ok(Some(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_form_arrays_and_lists_of_ids() {
        let params = Params::from_form(b"id=42&categorys[]=1&categorys[]=2&tags[0]=3&empty=");
        assert_eq!(params.int("id").unwrap(), Some(42));
        assert_eq!(params.id_list("categorys").unwrap(), Some(vec![1, 2]));
        assert_eq!(params.id_list("tags").unwrap(), Some(vec![3]));
        assert_eq!(params.id_list("empty").unwrap(), Some(vec![]));
        assert_eq!(params.id_list("missing").unwrap(), None);
        assert_eq!(params.int("empty").unwrap(), None);
    }

    #[test]
    fn json_values_of_either_type_are_read() {
        let mut params = Params::default();
        params.merge(
            json!({"id": "7", "status": 1, "tags": "1, 2,2", "categorys": [1, "2"], "title": 5, "bad": [[1]], "n": null})
                .as_object()
                .unwrap()
                .clone()
                .into_iter()
                .collect(),
        );
        assert_eq!(params.int("id").unwrap(), Some(7));
        assert_eq!(params.int("status").unwrap(), Some(1));
        assert_eq!(params.id_list("tags").unwrap(), Some(vec![1, 2]));
        assert_eq!(params.id_list("categorys").unwrap(), Some(vec![1, 2]));
        assert_eq!(params.text("title").unwrap().as_deref(), Some("5"));
        assert!(params.id_list("bad").is_err());
        assert!(params.int("title").is_ok());
        assert!(params.text("bad").is_err());
        assert_eq!(params.text("n").unwrap(), None);
        assert_eq!(params.id_list("n").unwrap(), None);
    }
}
