//! People and their accounts over the native API: registration (closed, open, by
//! invitation, with a captcha), password reset by e-mailed code, password change, profiles,
//! account administration, brute-force lockouts over real TCP, rate limits, the one
//! permission check behind every non-public endpoint, and the audit log.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use inkstone_core::model::Role;
use inkstone_server::mail::OutboxMessage;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

// ----- helpers -----

/// A browser session: the cookie to send and the CSRF token for unsafe methods.
struct Session {
    cookie: String,
    csrf: String,
}

async fn login(app: &TestApp, login: &str, password: &str) -> TestResponse {
    app.post("/api/v1/auth/login", None, json!({"login": login, "password": password})).await
}

/// Signs in with a password and returns the session; panics unless it worked.
async fn session(app: &TestApp, name: &str, password: &str) -> Session {
    let response = login(app, name, password).await;
    assert_eq!(response.status, StatusCode::OK, "login of {name} failed: {}", response.text());
    let set_cookie = response.header("set-cookie").expect("a session cookie");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let csrf = response.json()["csrf_token"].as_str().expect("a CSRF token").to_string();
    Session { cookie, csrf }
}

/// A request authenticated by the session cookie (with the CSRF token).
async fn by_session(
    app: &TestApp,
    session: &Session,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> TestResponse {
    let headers = [("cookie", session.cookie.as_str()), ("x-csrf-token", session.csrf.as_str())];
    app.call_with_headers(method, uri, &headers, body).await
}

/// Signs in for a bearer sign-in token (`POST /api/v1/auth/token`).
async fn sign_in_token(app: &TestApp, name: &str, password: &str) -> String {
    let response = app.post("/api/v1/auth/token", None, json!({"login": name, "password": password})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["token"].as_str().expect("a token").to_string()
}

async fn set_settings(app: &TestApp, admin: &str, values: Value) {
    let response = app.patch("/api/v1/settings", Some(admin), values).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

/// How many users match `q` (part of a username or e-mail), as an admin sees it.
async fn users_matching(app: &TestApp, admin: &str, q: &str) -> i64 {
    let response = app.get(&format!("/api/v1/users?q={q}"), Some(admin)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["total"].as_i64().unwrap()
}

/// A page of the audit log read by an admin.
async fn audit(app: &TestApp, admin: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/audit-log?{query}"), Some(admin)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

fn registration(username: &str) -> Value {
    json!({"username": username, "email": format!("{username}@example.org"), "password": "correct horse"})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn assert_problem(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json()["code"], code, "{}", response.text());
}

/// The `Retry-After` seconds of a 429, checked to be in `1..=max`.
fn retry_after(response: &TestResponse, max: u64) -> u64 {
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let value = response.header("retry-after").expect("a Retry-After header");
    let seconds: u64 = value.parse().unwrap_or_else(|_| panic!("Retry-After {value:?} is not an integer"));
    assert!((1..=max).contains(&seconds), "Retry-After {seconds} outside 1..={max}");
    seconds
}

/// The only run of exactly eight digits in an e-mail text.
fn eight_digit_code(text: &str) -> String {
    let runs: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() == 8).collect();
    assert_eq!(runs.len(), 1, "expected one 8-digit code in {text:?}");
    runs[0].to_string()
}

/// The same code with its last digit changed.
fn wrong_code(code: &str) -> String {
    let last = code.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &code[..7], (last + 1) % 10)
}

// ----- 1. registration -----

#[tokio::test]
async fn registration_is_closed_by_default_and_open_makes_default_role_accounts() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;

    let closed = app.post("/api/v1/auth/register", None, registration("carol")).await;
    assert_problem(&closed, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(users_matching(&app, &admin, "carol").await, 0, "nothing was created");
    assert_eq!(login(&app, "carol", "correct horse").await.status, StatusCode::UNAUTHORIZED);

    set_settings(&app, &admin, json!({"auth.registration": "open"})).await;
    let created = app.post("/api/v1/auth/register", None, registration("carol")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["username"], "carol");
    assert_eq!(created.json()["role"], "subscriber", "auth.default_role is subscriber by default");
    assert_eq!(created.json()["email"], "carol@example.org");
    let carol = session(&app, "carol", "correct horse").await;
    let me = by_session(&app, &carol, Method::GET, "/api/v1/me", None).await;
    assert_eq!(me.json()["username"], "carol");

    set_settings(&app, &admin, json!({"auth.default_role": "contributor"})).await;
    let dan = app.post("/api/v1/auth/register", None, registration("dan")).await;
    assert_eq!(dan.status, StatusCode::CREATED, "{}", dan.text());
    assert_eq!(dan.json()["role"], "contributor", "the setting decides the role");

    let again = app
        .post("/api/v1/auth/register", None, with(registration("carol"), "email", json!("other@example.org")))
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "conflict");
    assert_eq!(users_matching(&app, &admin, "other@example.org").await, 0);
    let same_email = app
        .post("/api/v1/auth/register", None, with(registration("carla"), "email", json!("CAROL@example.org")))
        .await;
    assert_problem(&same_email, StatusCode::CONFLICT, "conflict");
    assert_eq!(users_matching(&app, &admin, "carla").await, 0);
    assert_eq!(
        login(&app, "carol", "correct horse").await.status,
        StatusCode::OK,
        "the first carol is untouched"
    );
}

#[tokio::test]
async fn invitation_codes_work_once_and_expire() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    set_settings(&app, &admin, json!({"auth.registration": "invite"})).await;

    let uninvited = app.post("/api/v1/auth/register", None, registration("dave")).await;
    assert_problem(&uninvited, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(users_matching(&app, &admin, "dave").await, 0);

    let invite = app.post("/api/v1/invites", Some(&admin), json!({"role": "author"})).await;
    assert_eq!(invite.status, StatusCode::CREATED, "{}", invite.text());
    let code = invite.json()["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("inv_"), "{code}");
    assert_eq!(invite.json()["invite"]["role"], "author");

    let dave =
        app.post("/api/v1/auth/register", None, with(registration("dave"), "invite", json!(code))).await;
    assert_eq!(dave.status, StatusCode::CREATED, "{}", dave.text());
    assert_eq!(dave.json()["role"], "author", "the invitation's role, not the default");
    let dave_id = dave.json()["id"].as_i64().unwrap();
    assert_eq!(login(&app, "dave", "correct horse").await.status, StatusCode::OK);

    let reused =
        app.post("/api/v1/auth/register", None, with(registration("erin"), "invite", json!(code))).await;
    assert_problem(&reused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(reused.json()["field"], "invite");
    assert_eq!(users_matching(&app, &admin, "erin").await, 0, "no second account from one code");

    let invites = app.get("/api/v1/invites", Some(&admin)).await.json();
    assert_eq!(invites["items"][0]["used_by"], dave_id);
    assert!(invites["items"][0]["used_at"].is_string());
    assert!(!invites.to_string().contains(&code), "the code is never shown again");

    let short = app.post("/api/v1/invites", Some(&admin), json!({"expires_in_days": 1})).await;
    let short_code = short.json()["code"].as_str().unwrap().to_string();
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    let expired = app
        .post("/api/v1/auth/register", None, with(registration("erin"), "invite", json!(short_code)))
        .await;
    assert_problem(&expired, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(expired.json()["field"], "invite");
    assert_eq!(users_matching(&app, &admin, "erin").await, 0);

    let garbage = app
        .post("/api/v1/auth/register", None, with(registration("erin"), "invite", json!("inv_nope")))
        .await;
    assert_problem(&garbage, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn registration_captcha_must_be_answered_once_and_right() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    set_settings(&app, &admin, json!({"auth.registration": "open", "auth.registration_captcha": "true"}))
        .await;

    let missing = app.post("/api/v1/auth/register", None, registration("carol")).await;
    assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    assert_eq!(users_matching(&app, &admin, "carol").await, 0);

    let (id, answer) = new_captcha(&app).await;
    let wrong = with(registration("carol"), "captcha", json!({"id": id, "answer": format!("{answer}x")}));
    let wrong = app.post("/api/v1/auth/register", None, wrong).await;
    assert_problem(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    assert_eq!(wrong.json()["field"], "captcha");
    assert_eq!(users_matching(&app, &admin, "carol").await, 0);
    let after_wrong = with(registration("carol"), "captcha", json!({"id": id, "answer": answer}));
    let after_wrong = app.post("/api/v1/auth/register", None, after_wrong).await;
    assert_problem(&after_wrong, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    assert_eq!(users_matching(&app, &admin, "carol").await, 0, "a wrong answer uses the picture up");

    let (id, answer) = new_captcha(&app).await;
    let right = with(registration("carol"), "captcha", json!({"id": id, "answer": answer}));
    let right = app.post("/api/v1/auth/register", None, right).await;
    assert_eq!(right.status, StatusCode::CREATED, "{}", right.text());
    assert_eq!(login(&app, "carol", "correct horse").await.status, StatusCode::OK);

    let (stale_id, stale_answer) = new_captcha(&app).await;
    app.clock.advance(Duration::minutes(11));
    let stale = with(registration("erin"), "captcha", json!({"id": stale_id, "answer": stale_answer}));
    let stale = app.post("/api/v1/auth/register", None, stale).await;
    assert_problem(&stale, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    assert_eq!(users_matching(&app, &admin, "erin").await, 0, "a picture works for 10 minutes");

    let replay = with(registration("mallory"), "captcha", json!({"id": id, "answer": answer}));
    let replay = app.post("/api/v1/auth/register", None, replay).await;
    assert_problem(&replay, StatusCode::UNPROCESSABLE_ENTITY, "captcha_failed");
    assert_eq!(users_matching(&app, &admin, "mallory").await, 0, "one answer, one account");
}

/// A new built-in captcha: its id and the answer a person would read.
async fn new_captcha(app: &TestApp) -> (String, String) {
    let response = app.get("/api/v1/auth/captcha", None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["kind"], "image");
    let image = body["image"].as_str().unwrap();
    // `iVBORw0KGgo` is the base64 of the PNG signature 89 50 4E 47 0D 0A 1A 0A.
    assert!(image.starts_with("data:image/png;base64,iVBORw0KGgo"), "{}", &image[..40.min(image.len())]);
    assert!(image.len() > 500, "a real picture, not a stub");
    let id = body["id"].as_str().unwrap().to_string();
    assert!(!id.is_empty());
    (id, app.captcha.last_answer().expect("the drawn answer"))
}

// ----- 2. password reset -----

/// Asks for a password reset code for `login` (answered 202) and returns the mail this
/// request sent, if any: the message that was not in the outbox before. (The outbox's order
/// cannot be used: mails written within one file-timestamp tick come back in random order.)
async fn reset_mail(app: &TestApp, login: &str) -> Option<OutboxMessage> {
    let before = app.outbox();
    let asked = app.post("/api/v1/auth/password-reset", None, json!({"login": login})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text());
    let mut new: Vec<OutboxMessage> = app.outbox().into_iter().filter(|m| !before.contains(m)).collect();
    assert!(new.len() <= 1, "one request, one mail at most: {new:?}");
    new.pop()
}

async fn confirm(app: &TestApp, code: &str, password: &str) -> TestResponse {
    let body = json!({"login": "alice", "code": code, "password": password});
    app.post("/api/v1/auth/password-reset/confirm", None, body).await
}

#[tokio::test]
async fn password_reset_by_mailed_code_ends_sign_ins_and_works_once() {
    let app = TestApp::new().await;
    let (alice, pat) = app.user("alice", Role::Author).await;
    let browser = session(&app, "alice", "password123").await;
    let sign_in = sign_in_token(&app, "alice", "password123").await;
    assert_eq!(app.get("/api/v1/me", Some(&sign_in)).await.status, StatusCode::OK);

    let unknown = app.post("/api/v1/auth/password-reset", None, json!({"login": "nobody"})).await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED, "unknown accounts look like known ones");
    assert!(app.outbox().is_empty(), "but nothing is sent");

    let asked = app.post("/api/v1/auth/password-reset", None, json!({"login": "alice"})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text());
    let outbox = app.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, alice.email);
    assert!(outbox[0].subject.contains("password reset code"), "{}", outbox[0].subject);
    assert!(outbox[0].text.contains("30 minutes"), "{}", outbox[0].text);
    let code = eight_digit_code(&outbox[0].text);

    let wrong = confirm(&app, &wrong_code(&code), "a new secret").await;
    assert_problem(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(wrong.json()["field"], "code");
    assert_eq!(login(&app, "alice", "password123").await.status, StatusCode::OK, "nothing changed");

    let done = confirm(&app, &code, "a new secret").await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text());
    assert_eq!(login(&app, "alice", "password123").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "alice", "a new secret").await.status, StatusCode::OK);
    let old_session = by_session(&app, &browser, Method::GET, "/api/v1/me", None).await;
    assert_eq!(old_session.status, StatusCode::UNAUTHORIZED, "the browser session ended");
    assert_eq!(app.get("/api/v1/me", Some(&sign_in)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some(&pat)).await.status, StatusCode::OK, "PATs stay");

    let again = confirm(&app, &code, "yet another one").await;
    assert_problem(&again, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(login(&app, "alice", "a new secret").await.status, StatusCode::OK);
    assert_eq!(login(&app, "alice", "yet another one").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_reset_code_dies_after_five_wrong_tries_or_thirty_minutes() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;

    let code = eight_digit_code(&reset_mail(&app, "alice").await.expect("a mail").text);
    for attempt in 1..=5 {
        let wrong = confirm(&app, &wrong_code(&code), "a new secret").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "wrong code #{attempt}");
    }
    let too_late = confirm(&app, &code, "a new secret").await;
    assert_problem(&too_late, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(login(&app, "alice", "password123").await.status, StatusCode::OK, "password unchanged");

    let code = eight_digit_code(&reset_mail(&app, "alice").await.expect("a mail").text);
    app.clock.advance(Duration::minutes(30));
    let expired = confirm(&app, &code, "a new secret").await;
    assert_problem(&expired, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(login(&app, "alice", "password123").await.status, StatusCode::OK, "password unchanged");

    let code = eight_digit_code(&reset_mail(&app, "alice").await.expect("a mail").text);
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        confirm(&app, &code, "a new secret").await.status,
        StatusCode::NO_CONTENT,
        "a fresh code works within 30 minutes"
    );
    assert_eq!(login(&app, "alice", "a new secret").await.status, StatusCode::OK);
}

#[tokio::test]
async fn password_reset_mails_are_limited_per_account_and_per_address() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    let mut sent = Vec::new();
    for _ in 1..=3 {
        sent.push(reset_mail(&app, "alice").await.expect("a mail"));
    }
    assert!(reset_mail(&app, "alice").await.is_none(), "at most 3 mails an hour reach one account");
    assert_eq!(app.outbox().len(), 3);
    let code = eight_digit_code(&sent[2].text);
    assert_eq!(
        confirm(&app, &code, "a new secret").await.status,
        StatusCode::NO_CONTENT,
        "the last one sent works"
    );

    app.set_client_ip(Some("203.0.113.50"));
    for n in 1..=10 {
        let asked =
            app.post("/api/v1/auth/password-reset", None, json!({"login": format!("nobody{n}")})).await;
        assert_eq!(asked.status, StatusCode::ACCEPTED, "request #{n}");
    }
    let refused = app.post("/api/v1/auth/password-reset", None, json!({"login": "nobody11"})).await;
    retry_after(&refused, 3600);
    app.set_client_ip(Some("203.0.113.51"));
    let elsewhere = app.post("/api/v1/auth/password-reset", None, json!({"login": "nobody12"})).await;
    assert_eq!(elsewhere.status, StatusCode::ACCEPTED, "another address is not limited");
}

#[tokio::test]
async fn password_reset_mail_speaks_the_site_language() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    app.user("alice", Role::Author).await;
    set_settings(&app, &admin, json!({"site.language": "zh-CN", "site.title": "墨池"})).await;

    let asked = app.post("/api/v1/auth/password-reset", None, json!({"login": "alice@example.com"})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let outbox = app.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, "alice@example.com");
    assert_eq!(outbox[0].subject, "墨池 密码重置验证码");
    assert!(outbox[0].text.contains("你的密码重置验证码是"), "{}", outbox[0].text);
    assert!(outbox[0].text.contains("30 分钟内有效"), "{}", outbox[0].text);
    assert!(!outbox[0].text.contains("Your password reset code"), "{}", outbox[0].text);
    let code = eight_digit_code(&outbox[0].text);
    let done = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"login": "alice", "code": code, "password": "新密码新密码新密码"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text());
    assert_eq!(login(&app, "alice", "新密码新密码新密码").await.status, StatusCode::OK);
}

// ----- 3. password change -----

#[tokio::test]
async fn password_change_keeps_this_session_and_ends_the_others() {
    let app = TestApp::new().await;
    let (_, pat) = app.user("alice", Role::Author).await;
    let here = session(&app, "alice", "password123").await;
    let elsewhere = session(&app, "alice", "password123").await;
    let sign_in = sign_in_token(&app, "alice", "password123").await;

    let change = |current: &str| json!({"current_password": current, "new_password": "a brand new one"});
    let wrong =
        by_session(&app, &here, Method::POST, "/api/v1/me/password", Some(change("not my password"))).await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(login(&app, "alice", "password123").await.status, StatusCode::OK, "nothing changed");
    let other = by_session(&app, &elsewhere, Method::GET, "/api/v1/me", None).await;
    assert_eq!(other.status, StatusCode::OK, "a wrong password ends nothing");

    let right =
        by_session(&app, &here, Method::POST, "/api/v1/me/password", Some(change("password123"))).await;
    assert_eq!(right.status, StatusCode::NO_CONTENT, "{}", right.text());
    let me = by_session(&app, &here, Method::GET, "/api/v1/me", None).await;
    assert_eq!(me.status, StatusCode::OK, "the session that changed it goes on");
    assert_eq!(me.json()["username"], "alice");
    let other = by_session(&app, &elsewhere, Method::GET, "/api/v1/me", None).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "the other session ended");
    assert_eq!(app.get("/api/v1/me", Some(&sign_in)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some(&pat)).await.status, StatusCode::OK, "PATs stay");
    assert_eq!(login(&app, "alice", "password123").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "alice", "a brand new one").await.status, StatusCode::OK);
}

// ----- 4. profile -----

#[tokio::test]
async fn profiles_change_and_hide_email_from_others() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (alice, alice_pat) = app.user("alice", Role::Subscriber).await;
    let (_, bob_pat) = app.user("bob", Role::Subscriber).await;

    let changed = app
        .patch(
            "/api/v1/me",
            Some(&alice_pat),
            json!({"display_name": "Alice A.", "bio": "Writes about ink."}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(changed.json()["display_name"], "Alice A.");
    assert_eq!(changed.json()["bio"], "Writes about ink.");
    let me = app.get("/api/v1/me", Some(&alice_pat)).await.json();
    assert_eq!(me["display_name"], "Alice A.");
    assert_eq!(me["bio"], "Writes about ink.");

    let taken = app.patch("/api/v1/me", Some(&alice_pat), json!({"email": "bob@example.com"})).await;
    assert_problem(&taken, StatusCode::CONFLICT, "conflict");
    assert_eq!(app.get("/api/v1/me", Some(&alice_pat)).await.json()["email"], "alice@example.com");

    let url = format!("/api/v1/users/{}", alice.id);
    let public = app.get(&url, None).await;
    assert_eq!(public.status, StatusCode::OK);
    let public = public.json();
    assert_eq!(public["display_name"], "Alice A.");
    assert_eq!(public["bio"], "Writes about ink.");
    for private in ["email", "status", "last_seen_at"] {
        assert!(public.get(private).is_none(), "{private} is shown to anonymous callers: {public}");
    }
    let by_bob = app.get(&url, Some(&bob_pat)).await.json();
    assert!(by_bob.get("email").is_none(), "another user sees no e-mail: {by_bob}");
    assert_eq!(app.get(&url, Some(&alice_pat)).await.json()["email"], "alice@example.com");
    let by_admin = app.get(&url, Some(&admin)).await.json();
    assert_eq!(by_admin["email"], "alice@example.com");
    assert_eq!(by_admin["status"], "active");
}

// ----- 5. admin -----

#[tokio::test]
async fn only_admins_list_users_and_the_last_admin_stays() {
    let app = TestApp::new().await;
    let (root, admin) = app.user("root", Role::Admin).await;
    let (alice, _) = app.user("alice", Role::Editor).await;
    let (sub_user, sub) = app.user("sub", Role::Subscriber).await;

    assert_problem(&app.get("/api/v1/users", Some(&sub)).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.get("/api/v1/users", None).await.status, StatusCode::UNAUTHORIZED);
    let all = app.get("/api/v1/users", Some(&admin)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text());
    let all = all.json();
    assert_eq!(all["total"], 3);
    let names: Vec<&str> =
        all["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["root", "alice", "sub"], "in the order they joined");
    assert_eq!(all["items"][2]["email"], "sub@example.com", "admins see e-mails");

    let root_url = format!("/api/v1/users/{}", root.id);
    let demote = app.patch(&root_url, Some(&admin), json!({"role": "editor"})).await;
    assert_problem(&demote, StatusCode::CONFLICT, "invalid_state");
    let disable = app.patch(&root_url, Some(&admin), json!({"status": "disabled"})).await;
    assert_problem(&disable, StatusCode::CONFLICT, "invalid_state");
    let me = app.get("/api/v1/me", Some(&admin)).await;
    assert_eq!(me.json()["role"], "admin", "still an admin and still signed in");

    let sub_session = session(&app, "sub", "password123").await;
    let disabled = app
        .patch(&format!("/api/v1/users/{}", sub_user.id), Some(&admin), json!({"status": "disabled"}))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text());
    assert_eq!(disabled.json()["status"], "disabled");
    assert_eq!(app.get("/api/v1/me", Some(&sub)).await.status, StatusCode::UNAUTHORIZED, "the PAT stops");
    let gone = by_session(&app, &sub_session, Method::GET, "/api/v1/me", None).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "the session ends");
    assert_problem(&login(&app, "sub", "password123").await, StatusCode::UNAUTHORIZED, "invalid_credentials");

    let promote =
        app.patch(&format!("/api/v1/users/{}", alice.id), Some(&admin), json!({"role": "admin"})).await;
    assert_eq!(promote.status, StatusCode::OK, "{}", promote.text());
    let demote = app.patch(&root_url, Some(&admin), json!({"role": "editor"})).await;
    assert_eq!(demote.status, StatusCode::OK, "with another admin it is allowed: {}", demote.text());
    assert_eq!(demote.json()["role"], "editor");
}

// ----- 6. brute force over real TCP -----

fn tcp_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

/// What a TCP login answered: status, `Retry-After`, body.
struct TcpAnswer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

/// `POST /api/v1/auth/login` over a real socket (the blocking client runs on a blocking
/// thread, so the server keeps running on this runtime).
async fn tcp_login(agent: &ureq::Agent, base: &str, login: &str, password: &str) -> TcpAnswer {
    let agent = agent.clone();
    let url = format!("{base}/api/v1/auth/login");
    let body = json!({"login": login, "password": password});
    tokio::task::spawn_blocking(move || {
        let mut response =
            agent.post(&url).header("accept-language", "en").send_json(&body).expect("TCP request");
        let retry_after = response.headers().get("retry-after").map(|v| {
            let v = v.to_str().unwrap();
            v.parse().unwrap_or_else(|_| panic!("Retry-After {v:?} is not an integer"))
        });
        let text = response.body_mut().read_to_string().expect("body");
        TcpAnswer {
            status: response.status().as_u16(),
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    })
    .await
    .expect("request thread")
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes_over_tcp() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (alice, _) = app.user("alice", Role::Author).await;
    app.user("bob", Role::Author).await;
    let base = app.serve_on_loopback().await;
    let agent = tcp_agent();

    for attempt in 1..=5 {
        let wrong = tcp_login(&agent, &base, "alice", &format!("guess-{attempt}")).await;
        assert_eq!(wrong.status, 401, "wrong password #{attempt}: {}", wrong.body);
        assert_eq!(wrong.body["code"], "invalid_credentials");
    }
    let locked = tcp_login(&agent, &base, "alice", "password123").await;
    assert_eq!(locked.status, 429, "even the right password is refused while locked: {}", locked.body);
    assert_eq!(locked.body["code"], "rate_limited");
    let wait = locked.retry_after.expect("a Retry-After header");
    assert!((1..=900).contains(&wait), "Retry-After {wait}");

    let bob = tcp_login(&agent, &base, "bob", "password123").await;
    assert_eq!(bob.status, 200, "the lock is on alice's account, not on the address: {}", bob.body);

    app.clock.advance(Duration::minutes(5));
    let still = tcp_login(&agent, &base, "alice", "password123").await;
    assert_eq!(still.status, 429);
    let later_wait = still.retry_after.expect("a Retry-After header");
    assert!(later_wait < wait && later_wait <= 600, "the wait shrinks: {wait} then {later_wait}");

    app.clock.advance(Duration::minutes(10));
    let back = tcp_login(&agent, &base, "alice", "password123").await;
    assert_eq!(back.status, 200, "15 minutes later the right password works: {}", back.body);
    assert_eq!(back.body["user"]["username"], "alice");

    let failed = audit(&app, &admin, "event=login.failed").await;
    assert_eq!(failed["total"], 5);
    for event in failed["items"].as_array().unwrap() {
        assert_eq!(event["user_id"], alice.id);
        assert_eq!(event["ip"], "127.0.0.1");
        assert_eq!(event["target"], "account:alice");
    }
    let locks = audit(&app, &admin, "event=login.locked").await;
    assert_eq!(locks["total"], 1, "{locks}");
    assert_eq!(locks["items"][0]["target"], "account:alice");
    assert_eq!(locks["items"][0]["detail"]["limit"], "login_fail_account");
    assert_eq!(locks["items"][0]["ip"], "127.0.0.1");
}

#[tokio::test]
async fn account_lockout_covers_every_login_name_of_the_account() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    // No client address: only the per-account limit is in play.
    for attempt in 1..=5 {
        let wrong = login(&app, "alice", &format!("guess-{attempt}")).await;
        assert_problem(&wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    // The same account, named by its e-mail address: it is locked all the same.
    let by_email = login(&app, "alice@example.com", "password123").await;
    retry_after(&by_email, 900);
    let by_other_case = login(&app, "Alice@Example.com", "password123").await;
    retry_after(&by_other_case, 900);
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_the_address_over_tcp() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    app.user("bob", Role::Author).await;
    let base = app.serve_on_loopback().await;
    let agent = tcp_agent();

    // Every request over loopback comes from 127.0.0.1: spray one guess at each of 20
    // usernames, so no account reaches its own limit.
    for n in 0..20 {
        let wrong = tcp_login(&agent, &base, &format!("user{n}"), "password123").await;
        assert_eq!(wrong.status, 401, "guess #{n}: {}", wrong.body);
    }
    let blocked = tcp_login(&agent, &base, "bob", "password123").await;
    assert_eq!(blocked.status, 429, "a different, valid account from the same address: {}", blocked.body);
    assert_eq!(blocked.body["code"], "rate_limited");
    let wait = blocked.retry_after.expect("a Retry-After header");
    assert!((1..=900).contains(&wait), "Retry-After {wait}");

    app.clock.advance(Duration::minutes(15));
    let back = tcp_login(&agent, &base, "bob", "password123").await;
    assert_eq!(back.status, 200, "{}", back.body);

    assert_eq!(audit(&app, &admin, "event=login.failed").await["total"], 20);
    let locks = audit(&app, &admin, "event=login.locked").await;
    assert_eq!(locks["total"], 1, "{locks}");
    assert_eq!(locks["items"][0]["detail"]["limit"], "login_fail_ip");
    assert_eq!(locks["items"][0]["ip"], "127.0.0.1");
}

// ----- 7. rate limits -----

#[tokio::test]
async fn token_creation_is_limited_to_twenty_an_hour() {
    let app = TestApp::new().await;
    app.user("alice", Role::Author).await;
    let browser = session(&app, "alice", "password123").await;
    let create = |n: i32| {
        let browser = &browser;
        let app = &app;
        async move {
            by_session(app, browser, Method::POST, "/api/v1/tokens", Some(json!({"name": format!("t{n}")})))
                .await
        }
    };
    for n in 1..=20 {
        let created = create(n).await;
        assert_eq!(created.status, StatusCode::CREATED, "token #{n}: {}", created.text());
    }
    let refused = create(21).await;
    retry_after(&refused, 3600);
    let listed = by_session(&app, &browser, Method::GET, "/api/v1/tokens", None).await.json();
    let personal = listed["items"].as_array().unwrap().iter().filter(|t| t["kind"] == "personal").count();
    assert_eq!(personal, 21, "20 made here plus the fixture's; the refused one was not made");

    app.clock.advance(Duration::hours(1));
    assert_eq!(create(22).await.status, StatusCode::CREATED, "a new hour, new tokens");
}

#[tokio::test]
async fn registrations_are_limited_to_five_an_hour_per_address() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    set_settings(&app, &admin, json!({"auth.registration": "open"})).await;

    app.set_client_ip(Some("203.0.113.9"));
    for n in 1..=5 {
        let created = app.post("/api/v1/auth/register", None, registration(&format!("reader{n}"))).await;
        assert_eq!(created.status, StatusCode::CREATED, "registration #{n}: {}", created.text());
    }
    let refused = app.post("/api/v1/auth/register", None, registration("reader6")).await;
    retry_after(&refused, 3600);

    app.set_client_ip(Some("198.51.100.20"));
    let elsewhere = app.post("/api/v1/auth/register", None, registration("reader7")).await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "another address is not limited: {}", elsewhere.text());

    app.set_client_ip(None);
    assert_eq!(users_matching(&app, &admin, "reader6").await, 0, "the refused one was not made");
    assert_eq!(users_matching(&app, &admin, "reader").await, 6);
}

// ----- 8. one permission function behind every endpoint -----

/// Which existing resource a row's `{id}` names.
#[derive(Debug, Clone, Copy)]
enum Target {
    Nothing,
    Post,
    Category,
    Tag,
    /// The subscriber themselves (trying to raise their own role).
    Subscriber,
    Invite,
    ApiKey,
    /// One of the subscriber's own tokens.
    OwnToken,
    /// The admin's comment on the post.
    Comment,
    /// The author's public note.
    Note,
    FriendLink,
    Webhook,
    /// A queued delivery of the webhook.
    Delivery,
    /// The admin's upload.
    Media,
    MediaGroup,
}

/// One non-public endpoint, called by a subscriber who must be refused.
struct Row {
    method: Method,
    /// The path as the OpenAPI document spells it; `{id}` is filled from `target`,
    /// `{revision_id}` with the post's revision.
    path: &'static str,
    target: Target,
    body: Option<Value>,
    /// `Action::as_str` of the permission decision that refuses it.
    action: &'static str,
    /// Allowed to a subscriber's own sign-in and refused only to a delegate (the PAT):
    /// called with the PAT alone.
    pat_only: bool,
    /// `Denial::as_str` of the refusal when it is not the role (e.g. `not_owner`).
    reason: Option<&'static str>,
}

fn row(method: Method, path: &'static str, target: Target, body: Option<Value>, action: &'static str) -> Row {
    Row { method, path, target, body, action, pat_only: false, reason: None }
}

/// Every non-public native endpoint.
///
/// To extend: when a route with a security requirement is added (it appears in the
/// OpenAPI document, which the test reads), add a row here with a body that is valid for
/// the endpoint (so that only the permission check can refuse it), the `Target` its `{id}`
/// names (add a variant and create the resource in the test if it is a new kind) and the
/// action its core use case asks [`Core::require`] for. Endpoints that any signed-in user
/// may call and that make no permission decision go to `NO_DECISION` instead, with a reason.
fn permission_table() -> Vec<Row> {
    use Target::*;
    let post = Method::POST;
    let patch = Method::PATCH;
    let delete = Method::DELETE;
    let get = Method::GET;
    let mut rows = vec![
        row(
            patch.clone(),
            "/api/v1/settings",
            Nothing,
            Some(json!({"site.title": "Defaced"})),
            "manage_settings",
        ),
        row(post.clone(), "/api/v1/posts", Nothing, Some(json!({"title": "Not mine to write"})), "create"),
        row(patch.clone(), "/api/v1/posts/{id}", Post, Some(json!({"title": "Defaced"})), "edit"),
        row(delete.clone(), "/api/v1/posts/{id}", Post, None, "delete"),
        row(post.clone(), "/api/v1/posts/{id}/publish", Post, Some(json!({})), "publish"),
        row(post.clone(), "/api/v1/posts/{id}/unpublish", Post, None, "publish"),
        row(post.clone(), "/api/v1/posts/{id}/trash", Post, None, "trash"),
        row(post.clone(), "/api/v1/posts/{id}/restore", Post, None, "edit"),
        row(get.clone(), "/api/v1/posts/{id}/revisions", Post, None, "view_revisions"),
        row(get.clone(), "/api/v1/posts/{id}/revisions/{revision_id}", Post, None, "view_revisions"),
        row(post.clone(), "/api/v1/categories", Nothing, Some(json!({"name": "Spam"})), "manage_taxonomy"),
        row(
            patch.clone(),
            "/api/v1/categories/{id}",
            Category,
            Some(json!({"name": "Spam"})),
            "manage_taxonomy",
        ),
        row(delete.clone(), "/api/v1/categories/{id}", Category, None, "manage_taxonomy"),
        row(post.clone(), "/api/v1/tags", Nothing, Some(json!({"name": "spam"})), "create_tag"),
        row(patch.clone(), "/api/v1/tags/{id}", Tag, Some(json!({"name": "spam"})), "manage_taxonomy"),
        row(delete.clone(), "/api/v1/tags/{id}", Tag, None, "manage_taxonomy"),
        row(get.clone(), "/api/v1/users", Nothing, None, "manage_users"),
        row(
            post.clone(),
            "/api/v1/users",
            Nothing,
            Some(
                json!({"username": "mallory", "email": "mallory@example.com", "password": "password123", "role": "admin"}),
            ),
            "manage_users",
        ),
        row(patch.clone(), "/api/v1/users/{id}", Subscriber, Some(json!({"role": "admin"})), "manage_users"),
        row(get.clone(), "/api/v1/invites", Nothing, None, "manage_users"),
        row(post.clone(), "/api/v1/invites", Nothing, Some(json!({"role": "editor"})), "manage_users"),
        row(delete.clone(), "/api/v1/invites/{id}", Invite, None, "manage_users"),
        row(get.clone(), "/api/v1/api-keys", Nothing, None, "manage_api_keys"),
        row(
            post.clone(),
            "/api/v1/api-keys",
            Nothing,
            Some(json!({"name": "sneaky", "can_write_own": 1, "can_write_other": 1, "can_delete": 2})),
            "manage_api_keys",
        ),
        row(get.clone(), "/api/v1/api-keys/{id}", ApiKey, None, "manage_api_keys"),
        row(
            patch.clone(),
            "/api/v1/api-keys/{id}",
            ApiKey,
            Some(json!({"can_delete": 2})),
            "manage_api_keys",
        ),
        row(delete.clone(), "/api/v1/api-keys/{id}", ApiKey, None, "manage_api_keys"),
        row(get.clone(), "/api/v1/audit-log", Nothing, None, "view_audit_log"),
        row(get.clone(), "/api/v1/comments", Nothing, None, "moderate"),
        row(patch.clone(), "/api/v1/comments/{id}", Comment, Some(json!({"status": "spam"})), "moderate"),
        Row {
            reason: Some("not_owner"),
            ..row(patch.clone(), "/api/v1/comments/{id}", Comment, Some(json!({"body": "Defaced"})), "edit")
        },
        row(delete.clone(), "/api/v1/comments/{id}", Comment, None, "moderate"),
        row(post.clone(), "/api/v1/notes", Nothing, Some(json!({"body": "Not mine to write"})), "create"),
        row(patch.clone(), "/api/v1/notes/{id}", Note, Some(json!({"body": "Defaced"})), "edit"),
        row(delete.clone(), "/api/v1/notes/{id}", Note, None, "delete"),
        row(
            post.clone(),
            "/api/v1/friend-links",
            Nothing,
            Some(json!({"name": "Spam", "url": "https://spam.example.com/"})),
            "manage_links",
        ),
        row(
            patch.clone(),
            "/api/v1/friend-links/{id}",
            FriendLink,
            Some(json!({"name": "Spam"})),
            "manage_links",
        ),
        row(delete.clone(), "/api/v1/friend-links/{id}", FriendLink, None, "manage_links"),
        row(
            post.clone(),
            "/api/v1/notifications",
            Nothing,
            Some(json!({"title": "Phishing", "body": "Click here"})),
            "manage_notifications",
        ),
        row(get.clone(), "/api/v1/stats", Nothing, None, "view_stats"),
        row(get.clone(), "/api/v1/stats/pages", Nothing, None, "view_stats"),
        row(get.clone(), "/api/v1/webhooks", Nothing, None, "manage_webhooks"),
        row(
            post.clone(),
            "/api/v1/webhooks",
            Nothing,
            Some(json!({"url": "https://hooks.example.com/steal", "events": ["item.published"]})),
            "manage_webhooks",
        ),
        row(get.clone(), "/api/v1/webhooks/{id}", Webhook, None, "manage_webhooks"),
        row(
            patch.clone(),
            "/api/v1/webhooks/{id}",
            Webhook,
            Some(json!({"active": false})),
            "manage_webhooks",
        ),
        row(delete.clone(), "/api/v1/webhooks/{id}", Webhook, None, "manage_webhooks"),
        row(post.clone(), "/api/v1/webhooks/{id}/rotate-secret", Webhook, None, "manage_webhooks"),
        row(post.clone(), "/api/v1/webhooks/{id}/ping", Webhook, None, "manage_webhooks"),
        row(get.clone(), "/api/v1/webhooks/{id}/deliveries", Webhook, None, "manage_webhooks"),
        row(post.clone(), "/api/v1/webhooks/deliveries/{id}/redeliver", Delivery, None, "manage_webhooks"),
        row(get.clone(), "/api/v1/media", Nothing, None, "browse_media"),
        row(post.clone(), "/api/v1/media", Nothing, None, "upload"),
        row(get.clone(), "/api/v1/media/{id}", Media, None, "browse_media"),
        row(
            patch.clone(),
            "/api/v1/media/{id}",
            Media,
            Some(json!({"original_name": "defaced.txt"})),
            "browse_media",
        ),
        row(delete.clone(), "/api/v1/media/{id}", Media, None, "browse_media"),
        row(get.clone(), "/api/v1/media-groups", Nothing, None, "upload"),
        row(post.clone(), "/api/v1/media-groups", Nothing, Some(json!({"name": "Spam"})), "upload"),
        row(
            patch.clone(),
            "/api/v1/media-groups/{id}",
            MediaGroup,
            Some(json!({"name": "Spam"})),
            "manage_taxonomy",
        ),
        row(delete.clone(), "/api/v1/media-groups/{id}", MediaGroup, None, "manage_taxonomy"),
    ];
    for (method, path, target, body) in [
        (get.clone(), "/api/v1/tokens", Nothing, None),
        (post.clone(), "/api/v1/tokens", Nothing, Some(json!({"name": "minted by a delegate"}))),
        (delete.clone(), "/api/v1/tokens/{id}", OwnToken, None),
        (
            post.clone(),
            "/api/v1/me/password",
            Nothing,
            Some(json!({"current_password": "password123", "new_password": "taken over"})),
        ),
    ] {
        rows.push(Row {
            method,
            path,
            target,
            body,
            action: "manage_own_credentials",
            pat_only: true,
            reason: None,
        });
    }
    rows
}

/// Signed-in endpoints that make no permission decision: they act on the caller alone.
const NO_DECISION: &[(&str, &str)] = &[
    ("GET", "/api/v1/me"),           // one's own account
    ("PATCH", "/api/v1/me"),         // one's own profile
    ("POST", "/api/v1/auth/logout"), // ends one's own sign-ins
    // One's own notifications: everyone signed in may read and clear them, and another
    // user's id is answered 404 (the notifications tests check that).
    ("GET", "/api/v1/notifications"),
    ("DELETE", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/read-all"),
    ("GET", "/api/v1/notifications/{id}"),
    ("PATCH", "/api/v1/notifications/{id}"),
    ("DELETE", "/api/v1/notifications/{id}"),
];

#[tokio::test]
async fn every_non_public_endpoint_is_refused_through_the_one_permission_check() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (_, author) = app.user("alice", Role::Author).await;
    let (subscriber, sub_pat) = app.user("sub", Role::Subscriber).await;
    let sub_session = session(&app, "sub", "password123").await;

    // Resources that exist. The post is published: drafts are hidden (404) from
    // subscribers, which is not a permission refusal.
    let post = app.create_post(&author, json!({"title": "Published", "body": "Hello"})).await;
    let post_id = post["id"].as_i64().unwrap();
    let published = app.post(&format!("/api/v1/posts/{post_id}/publish"), Some(&author), json!({})).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    let revisions = app.get(&format!("/api/v1/posts/{post_id}/revisions"), Some(&author)).await.json();
    let revision_id = revisions["items"][0]["id"].as_i64().expect("a revision");
    let category = app.post("/api/v1/categories", Some(&admin), json!({"name": "Essays"})).await.json();
    let tag = app.post("/api/v1/tags", Some(&admin), json!({"name": "ink"})).await.json();
    let invite = app.post("/api/v1/invites", Some(&admin), json!({"role": "author"})).await.json();
    let key = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            json!({"name": "feed", "can_write_own": 0, "can_write_other": 0, "can_delete": 0}),
        )
        .await
        .json();
    let tokens = by_session(&app, &sub_session, Method::GET, "/api/v1/tokens", None).await.json();
    let own_token = tokens["items"][0]["id"].as_i64().expect("the subscriber's PAT");
    let created_id = |response: TestResponse| -> i64 {
        assert!(response.status.is_success(), "{}", response.text());
        response.json()["id"].as_i64().unwrap_or_else(|| panic!("an id in {}", response.text()))
    };
    let comment = created_id(
        app.post(&format!("/api/v1/posts/{post_id}/comments"), Some(&admin), json!({"body": "First!"})).await,
    );
    let note = created_id(app.post("/api/v1/notes", Some(&author), json!({"body": "A short note"})).await);
    let friend_link = created_id(
        app.post(
            "/api/v1/friend-links",
            Some(&admin),
            json!({"name": "Ink", "url": "https://ink.example.org/"}),
        )
        .await,
    );
    let webhook = app
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            json!({"url": "https://hooks.example.com/inkstone", "events": ["item.published"]}),
        )
        .await
        .json();
    let webhook = webhook["webhook"]["id"].as_i64().unwrap_or_else(|| panic!("a webhook in {webhook}"));
    let delivery =
        created_id(app.post(&format!("/api/v1/webhooks/{webhook}/ping"), Some(&admin), json!({})).await);
    let media = created_id(app.upload_media(Some(&admin), "notes.txt", b"plain words", &[]).await);
    let media_group =
        created_id(app.post("/api/v1/media-groups", Some(&admin), json!({"name": "Covers"})).await);
    let id_of = |target: Target| -> String {
        let id = match target {
            Target::Nothing => return String::new(),
            Target::Post => post_id,
            Target::Category => category["id"].as_i64().unwrap(),
            Target::Tag => tag["id"].as_i64().unwrap(),
            Target::Subscriber => subscriber.id,
            Target::Invite => invite["invite"]["id"].as_i64().unwrap(),
            Target::ApiKey => key["api_key"]["id"].as_i64().unwrap(),
            Target::OwnToken => own_token,
            Target::Comment => comment,
            Target::Note => note,
            Target::FriendLink => friend_link,
            Target::Webhook => webhook,
            Target::Delivery => delivery,
            Target::Media => media,
            Target::MediaGroup => media_group,
        };
        id.to_string()
    };

    let table = permission_table();

    // The table is complete: every operation of the OpenAPI document that requires
    // credentials is in it or in NO_DECISION, and every row is a documented operation.
    let spec = app.get("/api/v1/openapi.json", None).await.json();
    let mut documented = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(security) = operation.get("security").and_then(Value::as_array) else { continue };
            if security.iter().any(|alternative| alternative.as_object().is_some_and(|o| o.is_empty())) {
                continue; // credentials optional: public
            }
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    assert!(documented.len() > 30, "the document lists the identity endpoints: {documented:?}");
    for (method, path) in &documented {
        let covered = table.iter().any(|r| r.method.as_str() == method && r.path == path)
            || NO_DECISION.contains(&(method.as_str(), path.as_str()));
        assert!(covered, "{method} {path} needs credentials but is not in the permission table");
    }
    for r in &table {
        assert!(
            documented.iter().any(|(m, p)| m == r.method.as_str() && p == r.path),
            "{} {} is in the table but not a documented operation needing credentials",
            r.method,
            r.path
        );
    }

    let denials = async || audit(&app, &admin, "event=permission.denied&per_page=1").await;
    let mut expected_total = denials().await["total"].as_i64().unwrap();
    assert_eq!(expected_total, 0);
    for via_session in [false, true] {
        for r in table.iter().filter(|r| !(via_session && r.pat_only)) {
            let uri =
                r.path.replace("{revision_id}", &revision_id.to_string()).replace("{id}", &id_of(r.target));
            let response = if via_session {
                by_session(&app, &sub_session, r.method.clone(), &uri, r.body.clone()).await
            } else {
                app.call(r.method.clone(), &uri, Some(&sub_pat), r.body.clone()).await
            };
            let via = if via_session { "session" } else { "personal_access_token" };
            assert_eq!(
                response.status,
                StatusCode::FORBIDDEN,
                "{} {uri} via {via}: {}",
                r.method,
                response.text()
            );
            assert_eq!(response.json()["code"], "forbidden");
            expected_total += 1;
            let log = denials().await;
            assert_eq!(log["total"], expected_total, "{} {uri} via {via} recorded one denial", r.method);
            let entry = &log["items"][0];
            assert_eq!(entry["detail"]["action"], r.action, "{} {uri} via {via}: {entry}", r.method);
            assert_eq!(entry["user_id"], subscriber.id);
            assert_eq!(entry["credential"], via);
            let reason = if r.pat_only { "scope" } else { r.reason.unwrap_or("role") };
            assert_eq!(entry["detail"]["reason"], reason, "{} {uri}: {entry}", r.method);
        }
    }

    // Nothing was changed by the refused calls.
    let still = app.get(&format!("/api/v1/posts/{post_id}"), None).await.json();
    assert_eq!((still["title"].as_str(), still["status"].as_str()), (Some("Published"), Some("published")));
    let category_url = format!("/api/v1/categories/{}", id_of(Target::Category));
    assert_eq!(app.get(&category_url, None).await.json()["name"], "Essays");
    assert_eq!(app.get(&format!("/api/v1/tags/{}", id_of(Target::Tag)), None).await.json()["name"], "ink");
    assert_eq!(app.get("/api/v1/settings", None).await.json()["site.title"], "Inkstone");
    let invites = app.get("/api/v1/invites", Some(&admin)).await.json();
    assert_eq!(invites["items"].as_array().unwrap().len(), 1);
    let key_now = app.get(&format!("/api/v1/api-keys/{}", id_of(Target::ApiKey)), Some(&admin)).await.json();
    assert_eq!(key_now["can_delete"], 0);
    assert_eq!(app.get("/api/v1/api-keys", Some(&admin)).await.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/users", Some(&admin)).await.json()["total"], 3, "no mallory");
    assert_eq!(app.get("/api/v1/me", Some(&sub_pat)).await.json()["role"], "subscriber");
    let tokens = by_session(&app, &sub_session, Method::GET, "/api/v1/tokens", None).await.json();
    assert_eq!(tokens["items"].as_array().unwrap().len(), 1, "no token minted, none revoked");
    assert_eq!(login(&app, "sub", "password123").await.status, StatusCode::OK, "password unchanged");
    let comment_now =
        app.get(&format!("/api/v1/comments/{}", id_of(Target::Comment)), Some(&admin)).await.json();
    assert_eq!(
        (comment_now["body"].as_str(), comment_now["status"].as_str()),
        (Some("First!"), Some("approved"))
    );
    let note_now = app.get(&format!("/api/v1/notes/{}", id_of(Target::Note)), None).await.json();
    assert_eq!(note_now["body"], "A short note");
    let link_now =
        app.get(&format!("/api/v1/friend-links/{}", id_of(Target::FriendLink)), Some(&admin)).await;
    assert_eq!(link_now.json()["name"], "Ink");
    let hooks = app.get("/api/v1/webhooks", Some(&admin)).await.json();
    assert_eq!(hooks["items"].as_array().map(Vec::len), Some(1), "no webhook added or removed: {hooks}");
    assert_eq!(hooks["items"][0]["active"], true);
}

// ----- 9. the audit log -----

#[tokio::test]
async fn audit_log_lists_login_events_newest_first_without_secrets() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("root", Role::Admin).await;
    let (alice, alice_pat) = app.user("alice", Role::Author).await;
    let (bob, _) = app.user("bob", Role::Author).await;
    let mut secrets = vec!["password123".to_string(), "hunter2-wrong".to_string(), admin.clone(), alice_pat];

    app.set_client_ip(Some("198.51.100.7"));
    assert_eq!(login(&app, "alice", "hunter2-wrong").await.status, StatusCode::UNAUTHORIZED);
    app.clock.advance(Duration::minutes(1));
    let alice_session = session(&app, "alice", "password123").await;
    secrets.push(alice_session.cookie.trim_start_matches("inkstone_session=").to_string());
    secrets.push(alice_session.csrf.clone());
    app.clock.advance(Duration::minutes(1));
    app.set_client_ip(None);
    let bob_token = sign_in_token(&app, "bob", "password123").await;
    secrets.push(bob_token.clone());
    let logout = app.call(Method::POST, "/api/v1/auth/logout", Some(&bob_token), None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);

    // Other events carrying secrets nearby: a token, an API key, an invitation, a reset.
    let made =
        by_session(&app, &alice_session, Method::POST, "/api/v1/tokens", Some(json!({"name": "ci"}))).await;
    secrets.push(made.json()["secret"].as_str().unwrap().to_string());
    let key = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            json!({"name": "feed", "can_write_own": 1, "can_write_other": 0, "can_delete": 0}),
        )
        .await;
    secrets.push(key.json()["key"].as_str().unwrap().to_string());
    let invite = app.post("/api/v1/invites", Some(&admin), json!({})).await;
    secrets.push(invite.json()["code"].as_str().unwrap().to_string());
    let code = eight_digit_code(&reset_mail(&app, "alice").await.expect("a mail").text);
    let reset = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"login": "alice", "code": code, "password": "reset-secret-42"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    secrets.push(code);
    secrets.push("reset-secret-42".into());

    let logins = audit(&app, &admin, "event=login.").await;
    let items = logins["items"].as_array().unwrap();
    let seen: Vec<(&str, Option<&str>, Option<i64>)> = items
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["ip"].as_str(), e["user_id"].as_i64()))
        .collect();
    assert_eq!(
        seen,
        [
            ("login.succeeded", None, Some(bob.id)),
            ("login.succeeded", Some("198.51.100.7"), Some(alice.id)),
            ("login.failed", Some("198.51.100.7"), Some(alice.id)),
        ],
        "newest first, only login.* (no logout): {logins}"
    );
    assert_eq!(logins["total"], 3);
    let times: Vec<&str> = items.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(items[1]["detail"]["via"], "session");
    assert_eq!(items[0]["detail"]["via"], "access_token");

    let exact = audit(&app, &admin, "event=login.failed").await;
    assert_eq!(exact["total"], 1);
    let mine = audit(&app, &admin, &format!("event=login.&user_id={}", alice.id)).await;
    assert_eq!(mine["total"], 2);
    assert_eq!(audit(&app, &admin, "event=logout").await["total"], 1);

    for per_page in ["0", "201"] {
        let bad = app.get(&format!("/api/v1/audit-log?per_page={per_page}"), Some(&admin)).await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(bad.json()["field"], "per_page");
    }
    assert_eq!(app.get("/api/v1/audit-log", None).await.status, StatusCode::UNAUTHORIZED);

    let everything = app.get("/api/v1/audit-log?per_page=200", Some(&admin)).await;
    assert_eq!(everything.status, StatusCode::OK);
    let all = everything.json();
    assert!(all["total"].as_i64().unwrap() < 200, "one page holds the whole log");
    let events: Vec<&str> =
        all["items"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    for expected in
        ["token.created", "api_key.created", "invite.created", "password.reset_completed", "logout"]
    {
        assert!(events.contains(&expected), "{expected} missing from {events:?}");
    }
    let text = everything.text();
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "the audit log contains the secret {secret:?}");
    }
}
