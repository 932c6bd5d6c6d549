//! Every kind of credential over the real router: it works when valid; a missing, wrong,
//! expired, revoked or replayed one is refused (401 `unauthenticated` problem+json, or 403
//! for a cookie without its CSRF token) and changes nothing; a disabled user's credentials
//! all stop; API key flags follow ulthon's table; secrets are not stored or echoed in clear.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use inkstone_core::apikeys::emlog_signature;
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const PASSWORD: &str = "password123";

/// How a request proves who sends it.
#[derive(Debug, Clone)]
enum Cred {
    None,
    /// A whole `Authorization` header value (`Bearer ...`, `Token ...; userId=1`, `Basic ...`).
    Authorization(String),
    /// `X-API-Key: <key>`.
    ApiKeyHeader(String),
    /// emlog's `?req_time=&req_sign=md5(req_time . key)`, signed at `req_time` (Unix seconds;
    /// the app's clock when `None`).
    Signed {
        key: String,
        req_time: Option<i64>,
    },
    /// The session cookie (`inkstone_session=...`) and the `X-CSRF-Token` header, if any.
    Cookie {
        cookie: String,
        csrf: Option<String>,
    },
}

fn bearer(secret: &str) -> Cred {
    Cred::Authorization(format!("Bearer {secret}"))
}

/// Flarum's scheme, claiming to be user 1 (the admin): the claim must not be trusted.
fn token_scheme(secret: &str) -> Cred {
    Cred::Authorization(format!("Token {secret}; userId=1"))
}

fn basic(login: &str, password: &str) -> Cred {
    Cred::Authorization(format!("Basic {}", base64(format!("{login}:{password}").as_bytes())))
}

fn signed(key: &str) -> Cred {
    Cred::Signed { key: key.to_string(), req_time: None }
}

fn signed_at(key: &str, req_time: i64) -> Cred {
    Cred::Signed { key: key.to_string(), req_time: Some(req_time) }
}

/// Standard base64 with padding, written out so Basic credentials are built independently
/// of the server's decoder.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn send(app: &TestApp, method: Method, uri: &str, cred: &Cred, body: Option<Value>) -> TestResponse {
    let mut uri = uri.to_string();
    let mut headers: Vec<(&str, &str)> = Vec::new();
    match cred {
        Cred::None => {}
        Cred::Authorization(value) => headers.push(("authorization", value)),
        Cred::ApiKeyHeader(key) => headers.push(("x-api-key", key)),
        Cred::Signed { key, req_time } => {
            let req_time = req_time.unwrap_or_else(|| app.core.now().timestamp()).to_string();
            let separator = if uri.contains('?') { '&' } else { '?' };
            let req_sign = emlog_signature(&req_time, key);
            uri = format!("{uri}{separator}req_time={req_time}&req_sign={req_sign}");
        }
        Cred::Cookie { cookie, csrf } => {
            headers.push(("cookie", cookie));
            headers.extend(csrf.as_deref().map(|csrf| ("x-csrf-token", csrf)));
        }
    }
    app.call_with_headers(method, &uri, &headers, body).await
}

async fn me(app: &TestApp, cred: &Cred) -> TestResponse {
    send(app, Method::GET, "/api/v1/me", cred, None).await
}

async fn create(app: &TestApp, cred: &Cred, title: &str) -> TestResponse {
    send(app, Method::POST, "/api/v1/posts", cred, Some(json!({ "title": title }))).await
}

/// Asserts `GET /api/v1/me` answers 200 for `username`.
async fn assert_signed_in_as(app: &TestApp, cred: &Cred, username: &str, what: &str) {
    let response = me(app, cred).await;
    assert_eq!(response.status, StatusCode::OK, "{what}: {}", response.text());
    assert_eq!(response.json()["username"], username, "{what}");
}

/// Asserts a 401 `unauthenticated` problem that does not repeat `secret`.
fn assert_unauthenticated(response: &TestResponse, secret: Option<&str>, what: &str) {
    assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{what}: {}", response.text());
    let content_type = response.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("application/problem+json"), "{what}: {content_type}");
    assert_eq!(response.json()["code"], "unauthenticated", "{what}");
    if let Some(secret) = secret {
        assert!(!response.text().contains(secret), "{what}: the error echoes the credential");
        assert!(
            response
                .headers
                .values()
                .all(|v| !v.as_bytes().windows(secret.len()).any(|w| w == secret.as_bytes())),
            "{what}: a response header echoes the credential"
        );
    }
}

/// Asserts a 403 `forbidden` problem.
fn assert_forbidden(response: &TestResponse, what: &str) {
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{what}: {}", response.text());
    assert_eq!(response.json()["code"], "forbidden", "{what}");
}

/// Titles of every post, trashed ones included, as the admin sees them.
async fn all_titles(app: &TestApp, admin: &str) -> Vec<String> {
    let mut titles = Vec::new();
    for query in ["per_page=100", "per_page=100&status=trashed"] {
        let response = app.get(&format!("/api/v1/posts?{query}"), Some(admin)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        let page = response.json();
        assert!(page["total"].as_i64().unwrap() <= 100, "the test lists everything on one page");
        titles.extend(
            page["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_string()),
        );
    }
    titles
}

/// Asserts that trying to create a post titled `title` with `cred` is refused with 401 and
/// leaves no post behind.
async fn assert_cannot_create(app: &TestApp, admin: &str, cred: &Cred, secret: Option<&str>, title: &str) {
    let response = create(app, cred, title).await;
    assert_unauthenticated(&response, secret, title);
    assert!(!all_titles(app, admin).await.contains(&title.to_string()), "{title}: a post was created anyway");
}

/// Signs in with a password; the cookie and its CSRF token.
async fn cookie_login(app: &TestApp, login: &str, remember: bool) -> Cred {
    let response = app
        .post("/api/v1/auth/login", None, json!({"login": login, "password": PASSWORD, "remember": remember}))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let set_cookie = response.header("set-cookie").expect("a session cookie");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("inkstone_session="), "{set_cookie}");
    let csrf = response.json()["csrf_token"].as_str().expect("a CSRF token").to_string();
    Cred::Cookie { cookie, csrf: Some(csrf) }
}

/// The session cookie's value and CSRF token of a cookie credential.
fn cookie_secrets(cred: &Cred) -> (String, String) {
    let Cred::Cookie { cookie, csrf: Some(csrf) } = cred else { panic!("not a cookie with CSRF") };
    (cookie.trim_start_matches("inkstone_session=").to_string(), csrf.clone())
}

fn without_csrf(cred: &Cred, csrf: Option<&str>) -> Cred {
    let Cred::Cookie { cookie, .. } = cred else { panic!("not a cookie") };
    Cred::Cookie { cookie: cookie.clone(), csrf: csrf.map(str::to_string) }
}

/// Signs in for a bearer token: `session`, or `session_remember` with `remember`.
async fn sign_in_token(app: &TestApp, login: &str, remember: bool) -> String {
    let response = app
        .post("/api/v1/auth/token", None, json!({"login": login, "password": PASSWORD, "remember": remember}))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["kind"], if remember { "session_remember" } else { "session" });
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("tok_"), "{token}");
    token
}

/// Creates a token with `POST /api/v1/tokens`; its id and secret.
async fn new_token(app: &TestApp, interactive: &str, request: Value) -> (i64, String) {
    let response = app.post("/api/v1/tokens", Some(interactive), request).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    (body["id"].as_i64().unwrap(), body["secret"].as_str().unwrap().to_string())
}

/// Creates an API key with `POST /api/v1/api-keys`; its id and secret.
async fn new_key(app: &TestApp, admin: &str, request: Value) -> (i64, String) {
    let response = app.post("/api/v1/api-keys", Some(admin), request.clone()).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    for flag in ["can_write_own", "can_write_other", "can_delete"] {
        if let Some(asked) = request.get(flag) {
            assert_eq!(&body["api_key"][flag], asked, "{flag} as asked");
        }
    }
    let key = body["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("isk_"), "{key}");
    (body["api_key"]["id"].as_i64().unwrap(), key)
}

/// `secret` with its last character changed.
fn altered(secret: &str) -> String {
    let mut altered = secret.to_string();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    altered
}

fn full_key(name: &str) -> Value {
    json!({"name": name, "can_write_own": 1, "can_write_other": 1, "can_delete": 2})
}

/// A site with its first admin (user 1); the admin's personal access token.
async fn site() -> (TestApp, String) {
    let app = TestApp::new().await;
    let (admin, token) = app.user("admin", Role::Admin).await;
    assert_eq!(admin.id, 1, "the Token scheme tests claim userId=1 is the admin");
    (app, token)
}

async fn enable_basic(app: &TestApp, admin: &str) {
    let response = app.patch("/api/v1/settings", Some(admin), json!({"auth.basic_enabled": "true"})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["auth.basic_enabled"], "true");
}

#[test]
fn emlog_signature_is_the_md5_of_time_then_key() {
    // `printf '1767225600isk_example' | md5sum`
    assert_eq!(emlog_signature("1767225600", "isk_example"), "9c337d21b49cf03e44183795b3ec822b");
    // `printf 'alice:password123' | base64`
    assert_eq!(base64(b"alice:password123"), "YWxpY2U6cGFzc3dvcmQxMjM=");
    assert_eq!(base64(b"ab"), "YWI=");
}

#[tokio::test]
async fn every_credential_kind_identifies_its_user_and_may_write() {
    let (app, admin) = site().await;
    let (alice, _) = app.user("alice", Role::Author).await;
    enable_basic(&app, &admin).await;
    let cookie = cookie_login(&app, "alice", false).await;
    let session = sign_in_token(&app, "alice", false).await;
    let remember = sign_in_token(&app, "alice", true).await;
    let (_, developer) = new_token(&app, &session, json!({"name": "dev", "kind": "developer"})).await;
    assert!(developer.starts_with("tok_"), "{developer}");
    let (_, pat) = new_token(
        &app,
        &session,
        json!({"name": "ci", "scopes": ["content:read", "content:write"], "expires_in_days": 30}),
    )
    .await;
    assert!(pat.starts_with("pat_"), "{pat}");
    let mut key_request = full_key("alice's key");
    key_request["user_id"] = json!(alice.id);
    let (_, key) = new_key(&app, &admin, key_request).await;

    // (credential, how it is sent, origin of what it creates)
    let kinds = [
        ("session cookie with CSRF token", cookie, "console"),
        ("session token", bearer(&session), "console"),
        ("session token in the Token scheme", token_scheme(&session), "console"),
        ("session_remember token", bearer(&remember), "console"),
        ("developer token", bearer(&developer), "console"),
        ("personal access token with scopes and expiry", bearer(&pat), "console"),
        ("API key as Bearer", bearer(&key), "api"),
        ("API key as X-API-Key", Cred::ApiKeyHeader(key.clone()), "api"),
        ("API key in the Token scheme with userId=1", token_scheme(&key), "api"),
        ("signed request", signed(&key), "api"),
        ("Basic", basic("alice", PASSWORD), "console"),
    ];
    for (what, cred, origin) in &kinds {
        assert_signed_in_as(&app, cred, "alice", what).await;
        // A signature works once: the next one is made a second later.
        app.clock.advance(Duration::seconds(1));
        let created = create(&app, cred, what).await;
        assert_eq!(created.status, StatusCode::CREATED, "{what}: {}", created.text());
        let post = created.json();
        assert_eq!(post["author"]["username"], "alice", "{what}");
        assert_eq!(post["origin"], *origin, "{what}");
        app.clock.advance(Duration::seconds(1));
    }
    let titles = all_titles(&app, &admin).await;
    for (what, _, _) in &kinds {
        assert!(titles.contains(&what.to_string()), "{what} created its post");
    }
}

#[tokio::test]
async fn missing_and_wrong_credentials_are_refused_without_side_effects() {
    let (app, admin) = site().await;
    let (_, pat) = app.user("alice", Role::Author).await;
    enable_basic(&app, &admin).await;
    let (_, key) = new_key(&app, &admin, full_key("real key")).await;
    let altered_pat = altered(&pat);
    let unknown_pat = format!("pat_{}", "x".repeat(43));
    let unknown_tok = format!("tok_{}", "y".repeat(43));
    let unknown_key = format!("isk_{}", "z".repeat(43));

    // (what, credential, the secret it carries)
    let wrong = [
        ("no credential", Cred::None, None),
        ("unknown personal token", bearer(&unknown_pat), Some(unknown_pat.as_str())),
        ("personal token with its last character changed", bearer(&altered_pat), Some(altered_pat.as_str())),
        ("unknown sign-in token", bearer(&unknown_tok), Some(unknown_tok.as_str())),
        ("unknown API key as Bearer", bearer(&unknown_key), Some(unknown_key.as_str())),
        ("unknown API key as X-API-Key", Cred::ApiKeyHeader(unknown_key.clone()), Some(unknown_key.as_str())),
        ("unknown API key in the Token scheme", token_scheme(&unknown_key), Some(unknown_key.as_str())),
        ("empty X-API-Key", Cred::ApiKeyHeader(String::new()), None),
        ("Bearer without a token", Cred::Authorization("Bearer ".into()), None),
        ("signature made with an unknown key", signed(&unknown_key), None),
        ("real key's signature from 1970", Cred::Signed { key: key.clone(), req_time: Some(1) }, None),
        ("Basic with a wrong password", basic("alice", "wrong-password"), None),
        ("Basic for an unknown user", basic("nobody", PASSWORD), None),
        (
            "unsupported Authorization scheme",
            Cred::Authorization(format!("Digest {key}")),
            Some(key.as_str()),
        ),
    ];
    for (what, cred, secret) in &wrong {
        assert_unauthenticated(&me(&app, cred).await, *secret, what);
        assert_cannot_create(&app, &admin, cred, *secret, what).await;
    }
    let refused = me(&app, &bearer(&unknown_pat)).await;
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));

    // A query signature that is not an MD5 at all.
    let garbage = send(
        &app,
        Method::POST,
        "/api/v1/posts?req_time=1&req_sign=nothex",
        &Cred::None,
        Some(json!({"title": "garbage signature"})),
    )
    .await;
    assert_unauthenticated(&garbage, None, "garbage signature");

    // An unknown cookie leaves the caller anonymous: reading /me and writing both need someone.
    let stale = Cred::Cookie { cookie: "inkstone_session=forged".into(), csrf: Some("forged".into()) };
    assert_unauthenticated(&me(&app, &stale).await, Some("forged"), "unknown session cookie");
    assert_cannot_create(&app, &admin, &stale, None, "unknown session cookie").await;

    // A real cookie without its CSRF token may read but not write.
    let cookie = cookie_login(&app, "alice", false).await;
    for (what, csrf) in
        [("no CSRF token", None), ("wrong CSRF token", Some("forged")), ("empty CSRF token", Some(""))]
    {
        let cred = without_csrf(&cookie, csrf);
        assert_signed_in_as(&app, &cred, "alice", what).await;
        assert_forbidden(&create(&app, &cred, what).await, what);
        assert!(!all_titles(&app, &admin).await.contains(&what.to_string()), "{what}: created anyway");
    }
    let (_, csrf) = cookie_secrets(&cookie);
    let other = cookie_login(&app, "admin", false).await;
    let (_, other_csrf) = cookie_secrets(&other);
    assert_ne!(csrf, other_csrf);
    let crossed = without_csrf(&cookie, Some(&other_csrf));
    assert_forbidden(&create(&app, &crossed, "another session's CSRF token").await, "crossed CSRF");
    assert!(all_titles(&app, &admin).await.is_empty(), "nothing was created by any refused request");
}

#[tokio::test]
async fn personal_token_stops_working_at_its_expiry() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let session = sign_in_token(&app, "alice", false).await;
    for days in [0, -1, 3651] {
        let response =
            app.post("/api/v1/tokens", Some(&session), json!({"name": "bad", "expires_in_days": days})).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{days} days: {}", response.text());
        assert_eq!(response.json()["field"], "expires_in_days");
    }
    let (id, pat) = new_token(&app, &session, json!({"name": "one day", "expires_in_days": 1})).await;
    let listed = app.get("/api/v1/tokens", Some(&session)).await.json();
    let entry = listed["items"].as_array().unwrap().iter().find(|t| t["id"] == id).expect("listed").clone();
    assert_eq!(entry["expires_at"], "2026-01-02T00:00:00Z");
    let cred = bearer(&pat);

    app.clock.advance(Duration::hours(23) + Duration::minutes(59));
    assert_signed_in_as(&app, &cred, "alice", "a minute before expiry").await;
    let created = create(&app, &cred, "just in time").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    app.clock.advance(Duration::minutes(2));
    assert_unauthenticated(&me(&app, &cred).await, Some(&pat), "a minute after expiry");
    assert_cannot_create(&app, &admin, &cred, Some(&pat), "too late").await;
}

#[tokio::test]
async fn session_token_ends_after_an_idle_hour_and_use_keeps_it_alive() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let used = sign_in_token(&app, "alice", false).await;
    let unused = sign_in_token(&app, "alice", false).await;
    let cred = bearer(&used);
    assert_signed_in_as(&app, &cred, "alice", "at sign-in").await;

    app.clock.advance(Duration::minutes(59));
    assert_signed_in_as(&app, &cred, "alice", "59 minutes after sign-in").await;
    app.clock.advance(Duration::minutes(2));
    assert_unauthenticated(&me(&app, &bearer(&unused)).await, Some(&unused), "unused for 61 minutes");
    assert_cannot_create(&app, &admin, &bearer(&unused), Some(&unused), "unused token").await;

    // Last used 59 minutes ago, twice over: still alive.
    app.clock.advance(Duration::minutes(57));
    assert_signed_in_as(&app, &cred, "alice", "59 minutes after the last use").await;
    app.clock.advance(Duration::minutes(59));
    assert_signed_in_as(&app, &cred, "alice", "again 59 minutes after the last use").await;
    let created = create(&app, &cred, "still alive").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    app.clock.advance(Duration::minutes(61));
    assert_unauthenticated(&me(&app, &cred).await, Some(&used), "idle for 61 minutes");
    assert_cannot_create(&app, &admin, &cred, Some(&used), "idle token").await;
}

#[tokio::test]
async fn remembered_developer_and_personal_tokens_outlive_the_idle_hour() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let session = sign_in_token(&app, "alice", false).await;
    let remember = sign_in_token(&app, "alice", true).await;
    let (_, developer) = new_token(&app, &session, json!({"name": "dev", "kind": "developer"})).await;
    let (_, pat) = new_token(&app, &session, json!({"name": "forever"})).await;

    app.clock.advance(Duration::hours(2));
    assert_unauthenticated(&me(&app, &bearer(&session)).await, Some(&session), "session token, 2 h idle");
    for (what, secret) in [("session_remember", &remember), ("developer", &developer), ("personal", &pat)] {
        assert_signed_in_as(&app, &bearer(secret), "alice", &format!("{what} token, 2 h idle")).await;
    }

    app.clock.advance(Duration::days(400));
    for (what, secret) in [("session_remember", &remember), ("developer", &developer), ("personal", &pat)] {
        let what = format!("{what} token, 400 days idle");
        assert_signed_in_as(&app, &bearer(secret), "alice", &what).await;
        let created = create(&app, &bearer(secret), &what).await;
        assert_eq!(created.status, StatusCode::CREATED, "{what}: {}", created.text());
    }
    assert_eq!(all_titles(&app, &admin).await.len(), 3);
}

#[tokio::test]
async fn an_idle_cookie_session_can_no_longer_write() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let cookie = cookie_login(&app, "alice", false).await;
    let remembered = cookie_login(&app, "alice", true).await;
    let (session_value, _) = cookie_secrets(&cookie);

    app.clock.advance(Duration::hours(12) + Duration::minutes(1));
    assert_unauthenticated(&me(&app, &cookie).await, Some(&session_value), "cookie idle for 12 h");
    assert_cannot_create(&app, &admin, &cookie, Some(&session_value), "expired cookie with its CSRF token")
        .await;
    assert_signed_in_as(&app, &remembered, "alice", "remembered cookie after 12 h").await;
    let created = create(&app, &remembered, "remembered cookie").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
}

#[tokio::test]
async fn signatures_outside_the_time_window_are_refused_both_ways() {
    let (app, admin) = site().await;
    let (_, key) = new_key(&app, &admin, full_key("signer")).await;
    let now = app.core.now().timestamp();

    for (what, offset) in
        [("signed 601 s ago", -601), ("signed 601 s ahead", 601), ("signed a day ago", -86_400)]
    {
        let cred = signed_at(&key, now + offset);
        assert_unauthenticated(&me(&app, &cred).await, None, what);
        assert_cannot_create(&app, &admin, &cred, None, what).await;
    }
    for (what, offset) in [("signed 599 s ago", -599), ("signed 599 s ahead", 599), ("signed now", 0)] {
        assert_signed_in_as(&app, &signed_at(&key, now + offset), "admin", what).await;
    }

    // The window is a setting.
    let response =
        app.patch("/api/v1/settings", Some(&admin), json!({"auth.signature_window_secs": "60"})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    for (what, offset) in [("signed 120 s ago, 60 s window", -120), ("signed 120 s ahead, 60 s window", 120)]
    {
        let cred = signed_at(&key, now + offset);
        assert_unauthenticated(&me(&app, &cred).await, None, what);
        assert_cannot_create(&app, &admin, &cred, None, what).await;
    }
    assert_signed_in_as(&app, &signed_at(&key, now - 59), "admin", "signed 59 s ago, 60 s window").await;
}

#[tokio::test]
async fn a_signature_is_accepted_once() {
    let (app, admin) = site().await;
    let (_, key) = new_key(&app, &admin, full_key("signer")).await;
    let now = app.core.now().timestamp();
    let cred = signed_at(&key, now);

    let first = create(&app, &cred, "signed post").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert_eq!(first.json()["origin"], "api");
    let replay = create(&app, &cred, "signed post").await;
    assert_unauthenticated(&replay, None, "the same signed request again");
    let upper = format!(
        "/api/v1/posts?req_time={now}&req_sign={}",
        emlog_signature(&now.to_string(), &key).to_uppercase()
    );
    let shouted = send(&app, Method::POST, &upper, &Cred::None, Some(json!({"title": "signed post"}))).await;
    assert_unauthenticated(&shouted, None, "the same signature in upper case");
    app.clock.advance(Duration::minutes(5));
    assert_unauthenticated(&me(&app, &cred).await, None, "the same signature on another path, later");
    let titles = all_titles(&app, &admin).await;
    assert_eq!(titles.iter().filter(|t| *t == "signed post").count(), 1, "the replay created nothing");

    // Another signature (another time, or another key at the same time) is a new request.
    assert_signed_in_as(&app, &signed_at(&key, now + 1), "admin", "a new signature").await;
    let (_, other_key) = new_key(&app, &admin, full_key("other signer")).await;
    assert_signed_in_as(&app, &signed_at(&other_key, now), "admin", "another key, same time").await;
}

#[tokio::test]
async fn revoked_tokens_stop_working() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let session = sign_in_token(&app, "alice", false).await;
    let other_session = sign_in_token(&app, "alice", false).await;
    let (pat_id, pat) = new_token(&app, &session, json!({"name": "pat"})).await;
    let (developer_id, developer) =
        new_token(&app, &session, json!({"name": "dev", "kind": "developer"})).await;
    let listed = app.get("/api/v1/tokens", Some(&session)).await.json();
    let other_session_id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "session" && other_session.starts_with(t["prefix"].as_str().unwrap()))
        .expect("the second sign-in token is listed")["id"]
        .as_i64()
        .unwrap();

    // A delegate cannot revoke anything, not even itself.
    let by_pat = app.call(Method::DELETE, &format!("/api/v1/tokens/{developer_id}"), Some(&pat), None).await;
    assert_forbidden(&by_pat, "a personal token revoking a token");
    assert_signed_in_as(&app, &bearer(&developer), "alice", "after the refused revocation").await;

    for (what, id, secret) in [
        ("personal token", pat_id, &pat),
        ("developer token", developer_id, &developer),
        ("another session token", other_session_id, &other_session),
    ] {
        assert_signed_in_as(&app, &bearer(secret), "alice", &format!("{what} before revocation")).await;
        let url = format!("/api/v1/tokens/{id}");
        let revoked = app.call(Method::DELETE, &url, Some(&session), None).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{what}: {}", revoked.text());
        let what = format!("revoked {what}");
        assert_unauthenticated(&me(&app, &bearer(secret)).await, Some(secret), &what);
        assert_cannot_create(&app, &admin, &bearer(secret), Some(secret), &what).await;
        assert_eq!(app.call(Method::DELETE, &url, Some(&session), None).await.status, StatusCode::NOT_FOUND);
    }
    assert_signed_in_as(&app, &bearer(&session), "alice", "the revoking session").await;

    // Someone else's token cannot be revoked by id.
    app.user("bob", Role::Author).await;
    let bobs_session = sign_in_token(&app, "bob", false).await;
    let (bobs_id, bobs_pat) = new_token(&app, &bobs_session, json!({"name": "bob's"})).await;
    let foreign = app.call(Method::DELETE, &format!("/api/v1/tokens/{bobs_id}"), Some(&session), None).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.text());
    assert_signed_in_as(&app, &bearer(&bobs_pat), "bob", "bob's token after alice tried to revoke it").await;
    let remaining = app.get("/api/v1/tokens", Some(&session)).await.json();
    let ids: Vec<i64> =
        remaining["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert!(
        !ids.contains(&pat_id) && !ids.contains(&developer_id) && !ids.contains(&other_session_id),
        "{ids:?}"
    );
}

#[tokio::test]
async fn logout_ends_sessions_and_sign_in_tokens_but_not_developer_or_personal_tokens() {
    let (app, admin) = site().await;
    let (alice, _) = app.user("alice", Role::Author).await;
    app.user("bob", Role::Author).await;
    let cookie = cookie_login(&app, "alice", false).await;
    let session = sign_in_token(&app, "alice", false).await;
    let remember = sign_in_token(&app, "alice", true).await;
    let (_, developer) = new_token(&app, &session, json!({"name": "dev", "kind": "developer"})).await;
    let (_, pat) = new_token(&app, &session, json!({"name": "pat"})).await;
    let bobs = sign_in_token(&app, "bob", false).await;

    // Logging out is an unsafe request: a forged one (no CSRF token) ends nothing; nor can a
    // delegate (a personal token, an API key acting as alice) sign its owner out.
    let forged = send(&app, Method::POST, "/api/v1/auth/logout", &without_csrf(&cookie, None), None).await;
    assert_forbidden(&forged, "logout without the CSRF token");
    let mut key_request = full_key("alice's key");
    key_request["user_id"] = json!(alice.id);
    let (_, key) = new_key(&app, &admin, key_request).await;
    for (what, delegate) in [("personal token", &pat), ("API key", &key)] {
        let response = send(&app, Method::POST, "/api/v1/auth/logout", &bearer(delegate), None).await;
        assert_forbidden(&response, &format!("logout through a {what}"));
    }
    assert_signed_in_as(&app, &cookie, "alice", "cookie after the refused logouts").await;
    assert_signed_in_as(&app, &bearer(&session), "alice", "session token after the refused logouts").await;

    let logout = send(&app, Method::POST, "/api/v1/auth/logout", &cookie, None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.text());

    let (cookie_value, _) = cookie_secrets(&cookie);
    assert_unauthenticated(&me(&app, &cookie).await, Some(&cookie_value), "cookie after logout");
    assert_cannot_create(&app, &admin, &cookie, Some(&cookie_value), "cookie after logout").await;
    for (what, secret) in [("session token", &session), ("session_remember token", &remember)] {
        let what = format!("{what} after logout");
        assert_unauthenticated(&me(&app, &bearer(secret)).await, Some(secret), &what);
        assert_cannot_create(&app, &admin, &bearer(secret), Some(secret), &what).await;
    }
    for (what, secret) in [("developer token", &developer), ("personal token", &pat)] {
        let what = format!("{what} after logout");
        assert_signed_in_as(&app, &bearer(secret), "alice", &what).await;
        let created = create(&app, &bearer(secret), &what).await;
        assert_eq!(created.status, StatusCode::CREATED, "{what}: {}", created.text());
    }
    assert_signed_in_as(&app, &bearer(&bobs), "bob", "another user's session token").await;
}

#[tokio::test]
async fn disabled_or_deleted_api_keys_stop_working() {
    let (app, admin) = site().await;
    let (id, key) = new_key(&app, &admin, full_key("integration")).await;
    let url = format!("/api/v1/api-keys/{id}");
    let carriers = |key: &str| {
        [
            ("as Bearer", bearer(key)),
            ("as X-API-Key", Cred::ApiKeyHeader(key.to_string())),
            ("in the Token scheme", token_scheme(key)),
            ("signing", signed(key)),
        ]
    };
    for (what, cred) in carriers(&key) {
        assert_signed_in_as(&app, &cred, "admin", &format!("key {what}")).await;
        app.clock.advance(Duration::seconds(1));
    }

    let disabled = app.patch(&url, Some(&admin), json!({"enabled": false})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text());
    assert_eq!(disabled.json()["enabled"], false);
    for (what, cred) in carriers(&key) {
        let what = format!("disabled key {what}");
        assert_unauthenticated(&me(&app, &cred).await, Some(&key), &what);
        assert_cannot_create(&app, &admin, &cred, Some(&key), &what).await;
        app.clock.advance(Duration::seconds(1));
    }

    let enabled = app.patch(&url, Some(&admin), json!({"enabled": true})).await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text());
    for (what, cred) in carriers(&key) {
        assert_signed_in_as(&app, &cred, "admin", &format!("re-enabled key {what}")).await;
        app.clock.advance(Duration::seconds(1));
    }

    let deleted = app.call(Method::DELETE, &url, Some(&admin), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    assert_eq!(app.get(&url, Some(&admin)).await.status, StatusCode::NOT_FOUND);
    for (what, cred) in carriers(&key) {
        let what = format!("deleted key {what}");
        assert_unauthenticated(&me(&app, &cred).await, Some(&key), &what);
        assert_cannot_create(&app, &admin, &cred, Some(&key), &what).await;
        app.clock.advance(Duration::seconds(1));
    }
    assert!(all_titles(&app, &admin).await.is_empty());
}

#[tokio::test]
async fn a_disabled_users_credentials_all_stop_working() {
    let (app, admin) = site().await;
    let (bob, first_pat) = app.user("bob", Role::Author).await;
    enable_basic(&app, &admin).await;
    let cookie = cookie_login(&app, "bob", true).await;
    let session = sign_in_token(&app, "bob", true).await;
    let (_, developer) = new_token(&app, &session, json!({"name": "dev", "kind": "developer"})).await;
    let (_, pat) = new_token(&app, &session, json!({"name": "pat", "scopes": ["content:write"]})).await;
    let mut key_request = full_key("bob's key");
    key_request["user_id"] = json!(bob.id);
    let (_, key) = new_key(&app, &admin, key_request).await;

    let (cookie_value, _) = cookie_secrets(&cookie);
    let stored = [
        ("session cookie", cookie.clone(), cookie_value),
        ("sign-in token", bearer(&session), session.clone()),
        ("developer token", bearer(&developer), developer.clone()),
        ("personal token made by sign-in", bearer(&pat), pat.clone()),
        ("personal token made by the operator", bearer(&first_pat), first_pat.clone()),
    ];
    let keyed = [
        ("bound API key", bearer(&key), key.clone()),
        ("bound API key as X-API-Key", Cred::ApiKeyHeader(key.clone()), key.clone()),
        ("request signed with the bound key", signed(&key), key.clone()),
    ];
    let password = ("Basic", basic("bob", PASSWORD), PASSWORD.to_string());
    for (what, cred, _) in stored.iter().chain(&keyed).chain([&password]) {
        assert_signed_in_as(&app, cred, "bob", what).await;
        app.clock.advance(Duration::seconds(1));
    }

    let disabled =
        app.patch(&format!("/api/v1/users/{}", bob.id), Some(&admin), json!({"status": "disabled"})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text());
    assert_eq!(disabled.json()["status"], "disabled");
    for (what, cred, secret) in stored.iter().chain(&keyed).chain([&password]) {
        let what = format!("{what} of a disabled user");
        assert_unauthenticated(&me(&app, cred).await, Some(secret), &what);
        app.clock.advance(Duration::seconds(1));
        assert_cannot_create(&app, &admin, cred, Some(secret), &what).await;
        app.clock.advance(Duration::seconds(1));
    }
    let login = app.post("/api/v1/auth/login", None, json!({"login": "bob", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "a disabled user cannot sign in again");

    let enabled =
        app.patch(&format!("/api/v1/users/{}", bob.id), Some(&admin), json!({"status": "active"})).await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text());
    for (what, cred, secret) in &stored {
        let what = format!("{what} after re-enabling: it was deleted, not suspended");
        assert_unauthenticated(&me(&app, cred).await, Some(secret), &what);
    }
    for (what, cred, _) in keyed.iter().chain([&password]) {
        assert_signed_in_as(&app, cred, "bob", &format!("{what} after re-enabling")).await;
        app.clock.advance(Duration::seconds(1));
    }
    let created = create(&app, &bearer(&key), "bob is back").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(all_titles(&app, &admin).await, ["bob is back"]);
}

/// A write endpoint of the posts API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Patch,
    Publish,
    Unpublish,
    Trash,
    Restore,
    Delete,
}

/// Who made the item a key tries to write (ulthon's `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// No item: the request creates one.
    New,
    /// Created through an API key: origin `api`.
    ByKey,
    /// Created by a person: origin `console`.
    ByPerson,
}

/// The ulthon permission table: whether a read-only (0/0/0), an own-only (1/0/1) and a full
/// (1/1/2) key may do each write. `can_write_own` covers creating and changing what came
/// through the API, `can_write_other` changing the rest; `can_delete` 1 removes what came
/// through the API, 2 anything. Trashing is a delete (ulthon's delete is soft); publishing,
/// unpublishing and restoring are changes.
#[rustfmt::skip]
const KEY_TABLE: [(Write, Target, [bool; 3]); 13] = [
    //                                  read-only  own-only  full
    (Write::Create,    Target::New,      [false,    true,     true]),
    (Write::Patch,     Target::ByKey,    [false,    true,     true]),
    (Write::Patch,     Target::ByPerson, [false,    false,    true]),
    (Write::Publish,   Target::ByKey,    [false,    true,     true]),
    (Write::Publish,   Target::ByPerson, [false,    false,    true]),
    (Write::Unpublish, Target::ByKey,    [false,    true,     true]),
    (Write::Unpublish, Target::ByPerson, [false,    false,    true]),
    (Write::Trash,     Target::ByKey,    [false,    true,     true]),
    (Write::Trash,     Target::ByPerson, [false,    false,    true]),
    (Write::Restore,   Target::ByKey,    [false,    true,     true]),
    (Write::Restore,   Target::ByPerson, [false,    false,    true]),
    (Write::Delete,    Target::ByKey,    [false,    true,     true]),
    (Write::Delete,    Target::ByPerson, [false,    false,    true]),
];

/// Title, status and version of a post as the admin reads it.
async fn snapshot(app: &TestApp, admin: &str, id: i64) -> (String, String, i64) {
    let response = app.get(&format!("/api/v1/posts/{id}"), Some(admin)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let post = response.json();
    (
        post["title"].as_str().unwrap().into(),
        post["status"].as_str().unwrap().into(),
        post["version"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn api_key_flags_are_enforced_as_the_ulthon_table_says() {
    let (app, admin) = site().await;
    let (_, maker) = new_key(&app, &admin, full_key("maker")).await;
    let mut keys = Vec::new();
    for (name, own, other, delete) in [("read-only", 0, 0, 0), ("own-only", 1, 0, 1), ("full", 1, 1, 2)] {
        let request =
            json!({"name": name, "can_write_own": own, "can_write_other": other, "can_delete": delete});
        keys.push((name, new_key(&app, &admin, request).await.1));
    }

    for (write, target, allowed) in KEY_TABLE {
        for ((name, key), allowed) in keys.iter().zip(allowed) {
            let what = format!("{name} key: {write:?} on {target:?}");
            let id = match target {
                Target::New => None,
                Target::ByKey | Target::ByPerson => {
                    let (maker, origin) =
                        if target == Target::ByKey { (&maker, "api") } else { (&admin, "console") };
                    let post = app.create_post(maker, json!({"title": format!("{what} (original)")})).await;
                    assert_eq!(post["origin"], origin, "{what}");
                    let id = post["id"].as_i64().unwrap();
                    let setup = match write {
                        Write::Restore => Some("trash"),
                        Write::Unpublish => Some("publish"),
                        _ => None,
                    };
                    if let Some(setup) = setup {
                        let url = format!("/api/v1/posts/{id}/{setup}");
                        assert_eq!(
                            app.call(Method::POST, &url, Some(&admin), None).await.status,
                            StatusCode::OK
                        );
                    }
                    Some(id)
                }
            };
            let before = match id {
                Some(id) => Some(snapshot(&app, &admin, id).await),
                None => None,
            };
            let url = format!("/api/v1/posts/{}", id.unwrap_or_default());
            let changed_title = format!("{what} (changed)");
            let response = match write {
                Write::Create => create(&app, &bearer(key), &what).await,
                Write::Patch => app.patch(&url, Some(key), json!({"title": changed_title})).await,
                Write::Publish => app.call(Method::POST, &format!("{url}/publish"), Some(key), None).await,
                Write::Unpublish => {
                    app.call(Method::POST, &format!("{url}/unpublish"), Some(key), None).await
                }
                Write::Trash => app.call(Method::POST, &format!("{url}/trash"), Some(key), None).await,
                Write::Restore => app.call(Method::POST, &format!("{url}/restore"), Some(key), None).await,
                Write::Delete => app.call(Method::DELETE, &url, Some(key), None).await,
            };

            if !allowed {
                assert_forbidden(&response, &what);
                match (id, before) {
                    (Some(id), Some(before)) => {
                        assert_eq!(
                            snapshot(&app, &admin, id).await,
                            before,
                            "{what}: the item changed anyway"
                        );
                    }
                    _ => assert!(!all_titles(&app, &admin).await.contains(&what), "{what}: created anyway"),
                }
                continue;
            }
            let expected = match write {
                Write::Create => StatusCode::CREATED,
                Write::Delete => StatusCode::NO_CONTENT,
                _ => StatusCode::OK,
            };
            assert_eq!(response.status, expected, "{what}: {}", response.text());
            let Some(id) = id else {
                assert_eq!(response.json()["origin"], "api", "{what}");
                assert!(all_titles(&app, &admin).await.contains(&what), "{what}");
                continue;
            };
            if write == Write::Delete {
                let gone = app.get(&format!("/api/v1/posts/{id}"), Some(&admin)).await;
                assert_eq!(gone.status, StatusCode::NOT_FOUND, "{what}");
                continue;
            }
            let (title, status, _) = snapshot(&app, &admin, id).await;
            let (old_title, _, _) = before.unwrap();
            let (want_title, want_status) = match write {
                Write::Patch => (changed_title.as_str(), "draft"),
                Write::Publish => (old_title.as_str(), "published"),
                Write::Trash => (old_title.as_str(), "trashed"),
                _ => (old_title.as_str(), "draft"),
            };
            assert_eq!((title.as_str(), status.as_str()), (want_title, want_status), "{what}");
        }
    }

    // Even a full key writes content only: it manages no keys, settings or people.
    let full = &keys[2].1;
    let beyond = [
        ("a key creating a key", app.post("/api/v1/api-keys", Some(full), full_key("minted")).await),
        (
            "a key changing settings",
            app.patch("/api/v1/settings", Some(full), json!({"auth.basic_enabled": "true"})).await,
        ),
        (
            "a key disabling a user",
            app.patch("/api/v1/users/1", Some(full), json!({"status": "disabled"})).await,
        ),
        ("a key making a token", app.post("/api/v1/tokens", Some(full), json!({"name": "minted"})).await),
    ];
    for (what, response) in &beyond {
        assert_forbidden(response, what);
    }
    let listed = app.get("/api/v1/api-keys", Some(&admin)).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 4, "no key was minted");
    assert_signed_in_as(&app, &bearer(&admin), "admin", "the admin is still active").await;
    let settings = app.get("/api/v1/settings", Some(&admin)).await.json();
    assert_ne!(settings["auth.basic_enabled"], "true", "the setting did not change");

    // The flags hold whichever way the key is sent.
    let read_only = &keys[0].1;
    let carriers = [
        ("read-only key as X-API-Key", Cred::ApiKeyHeader(read_only.clone())),
        ("read-only key in the Token scheme", token_scheme(read_only)),
        ("request signed with the read-only key", signed(read_only)),
    ];
    for (what, cred) in &carriers {
        assert_signed_in_as(&app, cred, "admin", what).await;
        app.clock.advance(Duration::seconds(1));
        assert_forbidden(&create(&app, cred, what).await, what);
        assert!(!all_titles(&app, &admin).await.contains(&what.to_string()), "{what}: created anyway");
    }
}

#[tokio::test]
async fn an_api_key_allow_list_admits_only_its_addresses() {
    let (app, admin) = site().await;
    let mut request = full_key("office only");
    request["allowed_ips"] = json!(["203.0.113.0/24"]);
    let (_, key) = new_key(&app, &admin, request).await;

    app.set_client_ip(Some("203.0.113.9"));
    for (what, cred) in
        [("Bearer", bearer(&key)), ("X-API-Key", Cred::ApiKeyHeader(key.clone())), ("signed", signed(&key))]
    {
        assert_signed_in_as(&app, &cred, "admin", &format!("{what} from inside the range")).await;
        app.clock.advance(Duration::seconds(1));
    }
    let created = create(&app, &bearer(&key), "from the office").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 addresses.
    app.set_client_ip(Some("::ffff:203.0.113.9"));
    assert_signed_in_as(&app, &bearer(&key), "admin", "IPv4-mapped address inside the range").await;

    app.set_client_ip(Some("198.51.100.1"));
    for (what, cred) in
        [("Bearer", bearer(&key)), ("X-API-Key", Cred::ApiKeyHeader(key.clone())), ("signed", signed(&key))]
    {
        let what = format!("{what} from outside the range");
        assert_unauthenticated(&me(&app, &cred).await, Some(&key), &what);
        app.clock.advance(Duration::seconds(1));
        assert_cannot_create(&app, &admin, &cred, Some(&key), &what).await;
        app.clock.advance(Duration::seconds(1));
    }
    assert_signed_in_as(&app, &bearer(&admin), "admin", "the admin's own token from that address").await;

    app.set_client_ip(None);
    assert_unauthenticated(&me(&app, &bearer(&key)).await, Some(&key), "from an unknown address");
}

#[tokio::test]
async fn basic_auth_is_refused_until_the_setting_turns_it_on() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let right = basic("alice", PASSWORD);

    assert_unauthenticated(&me(&app, &right).await, Some(PASSWORD), "Basic while off");
    assert_cannot_create(&app, &admin, &right, Some(PASSWORD), "Basic while off").await;

    enable_basic(&app, &admin).await;
    assert_signed_in_as(&app, &right, "alice", "Basic once on").await;
    let created = create(&app, &right, "by Basic").await;
    assert_eq!(created.status, StatusCode::CREATED, "no CSRF token needed: {}", created.text());
    let wrong = basic("alice", "wrong-password");
    assert_unauthenticated(&me(&app, &wrong).await, Some("wrong-password"), "Basic with a wrong password");
    assert_cannot_create(&app, &admin, &wrong, Some("wrong-password"), "Basic with a wrong password").await;

    let off = app.patch("/api/v1/settings", Some(&admin), json!({"auth.basic_enabled": "false"})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_unauthenticated(&me(&app, &right).await, Some(PASSWORD), "Basic turned off again");
}

#[tokio::test]
async fn personal_token_scopes_are_never_wider_than_their_owner() {
    let (app, admin) = site().await;
    app.user("alice", Role::Author).await;
    let session = sign_in_token(&app, "alice", false).await;
    let count = |listed: Value| listed["items"].as_array().unwrap().len();
    let tokens_before = count(app.get("/api/v1/tokens", Some(&session)).await.json());

    for scope in ["settings:write", "admin", "taxonomy:write", "everything"] {
        let response =
            app.post("/api/v1/tokens", Some(&session), json!({"name": scope, "scopes": [scope]})).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{scope}: {}", response.text());
        assert_eq!(response.json()["code"], "invalid_input", "{scope}");
        assert_eq!(response.json()["field"], "scopes", "{scope}");
    }
    assert_eq!(count(app.get("/api/v1/tokens", Some(&session)).await.json()), tokens_before, "none was made");
    // The same scope is fine for someone whose role covers it.
    let admin_session = sign_in_token(&app, "admin", false).await;
    new_token(&app, &admin_session, json!({"name": "settings", "scopes": ["settings:write"]})).await;
    // And a narrow token narrows even an admin.
    let (_, admin_reader) =
        new_token(&app, &admin_session, json!({"name": "reader", "scopes": ["content:read"]})).await;
    assert_forbidden(
        &app.get("/api/v1/api-keys", Some(&admin_reader)).await,
        "content:read listing API keys",
    );
    let settings = app.patch("/api/v1/settings", Some(&admin_reader), json!({"site.title": "Narrow"})).await;
    assert_forbidden(&settings, "content:read changing settings");

    let draft = app.create_post(&session, json!({"title": "alice's draft"})).await;
    let url = format!("/api/v1/posts/{}", draft["id"]);
    let (_, reader) = new_token(&app, &session, json!({"name": "reader", "scopes": ["content:read"]})).await;
    let read = app.get(&url, Some(&reader)).await;
    assert_eq!(read.status, StatusCode::OK, "a content:read token reads its owner's draft: {}", read.text());
    assert_forbidden(&create(&app, &bearer(&reader), "by a reader").await, "content:read creating");
    assert_forbidden(
        &app.patch(&url, Some(&reader), json!({"title": "changed by a reader"})).await,
        "content:read editing",
    );
    assert_forbidden(
        &app.post("/api/v1/tokens", Some(&reader), json!({"name": "minted"})).await,
        "a token minting tokens",
    );
    assert_eq!(all_titles(&app, &admin).await, ["alice's draft"], "nothing was created or changed");

    let (_, writer) = new_token(&app, &session, json!({"name": "writer", "scopes": ["content:write"]})).await;
    let created = create(&app, &bearer(&writer), "by a writer").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
}

#[tokio::test]
async fn secrets_are_not_stored_in_clear_nor_shown_again() {
    let (app, admin) = site().await;
    let (_, first_pat) = app.user("alice", Role::Author).await;
    let cookie = cookie_login(&app, "alice", false).await;
    let (cookie_value, csrf) = cookie_secrets(&cookie);
    let session = sign_in_token(&app, "alice", false).await;
    let remember = sign_in_token(&app, "alice", true).await;
    let (_, developer) = new_token(&app, &session, json!({"name": "dev", "kind": "developer"})).await;
    let (_, pat) = new_token(&app, &session, json!({"name": "pat", "scopes": ["content:read"]})).await;
    let (key_id, key) = new_key(&app, &admin, full_key("integration-key-name")).await;
    // Use each once, so last-use records are written too.
    for cred in [
        cookie.clone(),
        bearer(&session),
        bearer(&remember),
        bearer(&developer),
        bearer(&pat),
        bearer(&key),
        signed(&key),
    ] {
        assert_eq!(me(&app, &cred).await.status, StatusCode::OK);
    }
    let created = create(&app, &cookie, "by cookie").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    let secrets = [
        ("session cookie", &cookie_value),
        ("CSRF token", &csrf),
        ("session token", &session),
        ("session_remember token", &remember),
        ("developer token", &developer),
        ("personal token", &pat),
        ("operator-made personal token", &first_pat),
        ("API key", &key),
    ];
    // A mistyped token is not recorded either.
    let mistyped = altered(&pat);
    assert_unauthenticated(&me(&app, &bearer(&mistyped)).await, Some(&mistyped), "a mistyped token");
    let secrets = secrets.into_iter().chain([("mistyped token", &mistyped)]);
    let secrets: Vec<_> = secrets.collect();
    let bytes = app.database_bytes();
    let stored = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    // The scan does see what is stored: the key's name and its recognisable prefix.
    assert!(stored("integration-key-name") && stored(&key[..8]), "the database scan finds stored rows");
    for (what, secret) in &secrets {
        assert!(secret.len() >= 32, "{what} is a high-entropy secret");
        assert!(!stored(secret), "the {what} is stored in clear");
    }

    let listings = [
        app.get("/api/v1/api-keys", Some(&admin)).await,
        app.get(&format!("/api/v1/api-keys/{key_id}"), Some(&admin)).await,
        app.patch(&format!("/api/v1/api-keys/{key_id}"), Some(&admin), json!({"name": "renamed"})).await,
        app.get("/api/v1/tokens", Some(&session)).await,
        app.get("/api/v1/audit-log?per_page=100", Some(&admin)).await,
    ];
    for listing in &listings {
        assert_eq!(listing.status, StatusCode::OK, "{}", listing.text());
        for (what, secret) in &secrets {
            assert!(
                !listing.text().contains(secret.as_str()),
                "the {what} is shown again: {}",
                listing.text()
            );
        }
    }
    let keys = listings[0].json();
    assert_eq!(keys["items"][0]["prefix"], &key[..8], "a key is recognisable by its prefix");
}
