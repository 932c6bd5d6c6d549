//! Test app builder: the real HTTP application over a real SQLite file in a temp directory,
//! with a clock the test moves by hand.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use inkstone_core::accounts::{TokenRequest, UserInput};
use inkstone_core::model::{Role, User};
use inkstone_core::permission::Actor;
use inkstone_core::ports::Clock;
use inkstone_core::ports::{CaptchaDrawer, CaptchaPicture};
use inkstone_core::sealing::ServerKey;
use inkstone_core::{CaptchaBackend, Core, Services};
use inkstone_db_sqlite::SqliteStore;
use inkstone_http::AppState;
use inkstone_server::captcha::BuiltinCaptcha;
use inkstone_server::mail::{LettreMailer, OutboxMessage, read_outbox};
use serde_json::Value;
use tower::ServiceExt;

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A response as tests read it.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The application over a fresh database file.
pub struct TestApp {
    pub core: Arc<Core>,
    pub store: SqliteStore,
    pub clock: Arc<ManualClock>,
    pub router: Router,
    pub dir: tempfile::TempDir,
    /// The captcha drawer, which remembers the last answer for tests to type.
    pub captcha: Arc<RecordingCaptcha>,
    client_ip: Mutex<Option<IpAddr>>,
    /// The media service the router uses, over an in-memory opendal operator.
    pub media: inkstone_http::media::MediaService,
}

/// The real built-in captcha, remembering the answer of the last picture so a test can
/// answer like a person reading it.
#[derive(Debug, Default)]
pub struct RecordingCaptcha {
    last_answer: Mutex<Option<String>>,
}

impl RecordingCaptcha {
    pub fn last_answer(&self) -> Option<String> {
        self.last_answer.lock().unwrap().clone()
    }
}

impl CaptchaDrawer for RecordingCaptcha {
    fn draw(&self) -> CaptchaPicture {
        let picture = BuiltinCaptcha.draw();
        *self.last_answer.lock().unwrap() = Some(picture.answer.clone());
        picture
    }
}

/// A core's services for a test app in `dir`: a fresh server key, mail kept in `dir/outbox`,
/// the recording captcha.
fn services(dir: &std::path::Path, captcha: &Arc<RecordingCaptcha>) -> Services {
    Services {
        server_key: ServerKey::generate(),
        mailer: Arc::new(
            LettreMailer::outbox(&dir.join("outbox"), "Inkstone <inkstone@localhost>").expect("outbox"),
        ),
        captcha: CaptchaBackend::Builtin(captcha.clone()),
    }
}

impl TestApp {
    /// A new app with an empty database, its clock at 2026-01-01T00:00:00Z.
    pub async fn new() -> TestApp {
        TestApp::build(None).await
    }

    /// Like [`TestApp::new`], with the anonymous-read cache on.
    pub async fn with_response_cache(ttl: std::time::Duration) -> TestApp {
        TestApp::build(Some(ttl)).await
    }

    async fn build(cache_ttl: Option<std::time::Duration>) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("inkstone.db")).await.expect("open database");
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let clock = Arc::new(ManualClock::new(start));
        let captcha = Arc::new(RecordingCaptcha::default());
        let services = services(dir.path(), &captcha);
        let core = Arc::new(Core::new(Arc::new(store.clone()), clock.clone(), services).await.expect("core"));
        let mut state = AppState::new(core.clone());
        state.response_cache = cache_ttl.map(inkstone_http::cache::ResponseCache::new);
        let media = state.media.clone();
        let router = inkstone_server::app(state);
        TestApp { core, store, clock, router, dir, captcha, client_ip: Mutex::new(None), media }
    }

    /// A second core over the same database file, as another process (the command line,
    /// say) would open it: what it writes reaches this app only through the database, never
    /// through this app's content generation.
    pub async fn another_process(&self) -> Arc<Core> {
        let store = SqliteStore::open(&self.dir.path().join("inkstone.db")).await.expect("open database");
        let services = services(self.dir.path(), &self.captcha);
        Arc::new(Core::new(Arc::new(store), self.clock.clone(), services).await.expect("core"))
    }

    /// Serves the app on a free port of 127.0.0.1 (real TCP, peer addresses recorded) until
    /// the test's runtime ends; returns the base URL, e.g. `http://127.0.0.1:41234`.
    pub async fn serve_on_loopback(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let service = self.router.clone().into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, service).await;
        });
        format!("http://{address}")
    }

    /// The test clock's time in Unix seconds (for signed requests).
    pub fn clock_now_secs(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// The messages the server has "sent", oldest first.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        read_outbox(&self.dir.path().join("outbox"))
    }

    /// Makes the following requests come from `ip` (as the real server records the peer
    /// address); `None`: no address, as before.
    pub fn set_client_ip(&self, ip: Option<&str>) {
        *self.client_ip.lock().unwrap() = ip.map(|ip| ip.parse().expect("an IP address"));
    }

    /// The raw bytes of the database file and its write-ahead log, to check what is (not)
    /// stored in clear.
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for name in ["inkstone.db", "inkstone.db-wal"] {
            if let Ok(mut content) = std::fs::read(self.dir.path().join(name)) {
                bytes.append(&mut content);
            }
        }
        bytes
    }

    /// Creates a user with `role` and password `password123`, and a token for them.
    pub async fn user(&self, username: &str, role: Role) -> (User, String) {
        let user = self
            .core
            .create_user(
                &Actor::System,
                UserInput {
                    username: username.into(),
                    email: format!("{username}@example.com"),
                    display_name: None,
                    role,
                    password: "password123".into(),
                },
            )
            .await
            .expect("create user");
        let (_, token) = self
            .core
            .create_token(&Actor::System, TokenRequest::personal(user.id, "test"))
            .await
            .expect("create token");
        (user, token)
    }

    /// Sends a request through the whole router.
    pub async fn send(&self, mut request: Request<Body>) -> TestResponse {
        if let Some(ip) = *self.client_ip.lock().unwrap() {
            request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 40000)));
        }
        let response = self.router.clone().oneshot(request).await.expect("router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        TestResponse { status, headers, body }
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> =
            authorization.iter().map(|value| (header::AUTHORIZATION.as_str(), value.as_str())).collect();
        self.call_with_headers(method, uri, &headers, body).await
    }

    /// A request with these headers and, when given, a JSON body.
    pub async fn call_with_headers(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::GET, uri, token, None).await
    }

    pub async fn post(&self, uri: &str, token: Option<&str>, body: Value) -> TestResponse {
        self.call(Method::POST, uri, token, Some(body)).await
    }

    pub async fn patch(&self, uri: &str, token: Option<&str>, body: Value) -> TestResponse {
        self.call(Method::PATCH, uri, token, Some(body)).await
    }

    /// Creates a post through the API and returns its JSON; panics unless 201.
    pub async fn create_post(&self, token: &str, body: Value) -> Value {
        let response = self.post("/api/v1/posts", Some(token), body).await;
        assert_eq!(response.status, StatusCode::CREATED, "create failed: {}", response.text());
        response.json()
    }

    /// One pass of the webhook delivery worker: an attempt at every delivery due by the
    /// test clock (real HTTP, 10 s timeout each); returns how many attempts were made.
    pub async fn deliver_webhooks(&self) -> usize {
        let deliverer = Arc::new(inkstone_server::webhooks::Deliverer::new());
        let stop = tokio_util::sync::CancellationToken::new();
        inkstone_server::webhooks::deliver_due(&self.core, &deliverer, &stop).await
    }

    /// Starts the webhook delivery worker in the background, as `inkstone serve` does: woken
    /// whenever deliveries are queued, until the test's runtime ends.
    pub fn start_webhook_worker(&self) {
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(inkstone_server::webhooks::run_webhook_worker(self.core.clone(), stop));
    }

    /// Rebuilds the router with other media limits (same storage, no response cache), e.g.
    /// a small upload limit.
    pub fn with_media_limits(mut self, limits: inkstone_http::media::MediaLimits) -> TestApp {
        let mut state = AppState::new(self.core.clone());
        state.media =
            inkstone_http::media::MediaService::new(self.core.clone(), self.media.operator().clone(), limits);
        self.media = state.media.clone();
        self.router = inkstone_server::app(state);
        self
    }

    /// Every key in media storage, sorted.
    pub async fn stored_media_keys(&self) -> Vec<String> {
        let entries = self.media.operator().list_with("/").recursive(true).await.expect("list media storage");
        let mut keys: Vec<String> = entries
            .into_iter()
            .filter(|e| !e.path().ends_with('/'))
            .map(|e| e.path().trim_start_matches('/').to_string())
            .collect();
        keys.sort();
        keys
    }

    /// The bytes stored under `key`, if any.
    pub async fn stored_media(&self, key: &str) -> Option<Vec<u8>> {
        self.media.operator().read(key).await.ok().map(|b| b.to_vec())
    }

    /// Sets a site setting as the system actor; panics if the value is refused.
    pub async fn set_setting(&self, key: &str, value: &str) {
        self.core.set_setting(&Actor::System, key, value).await.expect("setting accepted");
    }

    /// Creates an API key (bound to `user_id`, or acting as the first admin) with these
    /// ulthon flags (`can_delete` 0, 1 or 2) and returns its secret.
    pub async fn api_key(
        &self,
        user_id: Option<i64>,
        can_write_own: bool,
        can_write_other: bool,
        can_delete: u8,
    ) -> String {
        use inkstone_core::apikeys::ApiKeyRequest;
        use inkstone_core::permission::{DeleteGrant, KeyGrant};
        let can_delete = match can_delete {
            0 => DeleteGrant::Nothing,
            1 => DeleteGrant::ApiOrigin,
            _ => DeleteGrant::Everything,
        };
        let request = ApiKeyRequest {
            name: format!("test key {}", self.clock_now_secs()),
            user_id,
            grant: KeyGrant { can_write_own, can_write_other, can_delete },
            allowed_ips: Vec::new(),
        };
        self.core.create_api_key(&Actor::System, request).await.expect("api key created").1
    }

    /// A `application/x-www-form-urlencoded` request (`POST` unless `method` says otherwise)
    /// with these extra headers.
    pub async fn form(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let body: String = form_urlencoded_body(fields);
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::from(body)).unwrap()).await
    }

    /// A `multipart/form-data` `POST` to `uri`: the text `fields` first, then `bytes` as
    /// file field `file_field` named `file_name` with `content_type`, with extra headers.
    #[allow(clippy::too_many_arguments)]
    pub async fn multipart(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
        file_field: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> TestResponse {
        const BOUNDARY: &str = "inkstone-test-boundary-7d3f9a";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::CONTENT_LENGTH, body.len());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::from(body)).unwrap()).await
    }

    /// `POST /api/v1/media` with a multipart body holding `bytes` as field `file` named
    /// `file_name`, plus `fields` (sent before the file), with an optional bearer token.
    pub async fn upload_media(
        &self,
        token: Option<&str>,
        file_name: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> =
            authorization.iter().map(|value| (header::AUTHORIZATION.as_str(), value.as_str())).collect();
        self.multipart("/api/v1/media", &headers, fields, "file", file_name, "image/png", bytes).await
    }
}

/// Encodes name/value pairs as an `application/x-www-form-urlencoded` body.
pub fn form_urlencoded_body(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}
