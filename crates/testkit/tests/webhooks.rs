//! Webhooks over real HTTP: a receiver on 127.0.0.1 gets deliveries signed with the secret
//! shown at creation, independently of the request that caused them; failing receivers
//! are retried on the backoff schedule by the test clock and end succeeded or failed with
//! every attempt logged; unsubscribed events and inactive webhooks get nothing; private
//! targets are refused when saved and when delivered; secrets are never stored or shown
//! again; only admins manage webhooks.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use chrono::Duration;
use hmac::{Hmac, Mac};
use inkstone_core::model::Role;
use inkstone_core::permission::Actor;
use inkstone_testkit::TestApp;
use serde_json::{Value, json};
use sha2::Sha256;

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct ReceiverState {
    requests: Mutex<Vec<Received>>,
    /// Answers in order; the last one repeats.
    script: Mutex<VecDeque<(u16, String)>>,
    /// `Location` sent with every answer, when set.
    location: Mutex<Option<String>>,
    /// Held for writing by a test to keep answers back; the request is recorded first.
    gate: tokio::sync::RwLock<()>,
}

/// A webhook receiver on a free port of 127.0.0.1.
#[derive(Clone)]
struct Receiver {
    state: Arc<ReceiverState>,
    url: String,
}

impl Receiver {
    async fn start(script: &[(u16, &str)]) -> Receiver {
        let state = Arc::new(ReceiverState::default());
        *state.script.lock().unwrap() = script.iter().map(|(code, body)| (*code, body.to_string())).collect();
        let handler_state = state.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = handler_state.clone();
            async move {
                let received = Received { path: uri.to_string(), headers, body: body.to_vec() };
                state.requests.lock().unwrap().push(received);
                let _open = state.gate.read().await;
                let (code, text) = {
                    let mut script = state.script.lock().unwrap();
                    if script.len() > 1 { script.pop_front().unwrap() } else { script[0].clone() }
                };
                let mut headers = HeaderMap::new();
                if let Some(location) = state.location.lock().unwrap().clone() {
                    headers.insert("location", location.parse().unwrap());
                }
                (StatusCode::from_u16(code).unwrap(), headers, text).into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/inkstone?site=test", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { state, url }
    }

    fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().unwrap().clone()
    }
}

/// Polls `check` every 20 ms for up to 10 s of real time.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..500 {
        if check().await {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn allow_private(app: &TestApp, allow: bool) {
    app.core.set_setting(&Actor::System, "webhooks.allow_private_targets", &allow.to_string()).await.unwrap();
}

/// Creates a webhook through the API; returns its id and secret.
async fn create_webhook(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (i64, String) {
    let response = app.post("/api/v1/webhooks", Some(token), json!({ "url": url, "events": events })).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    (body["webhook"]["id"].as_i64().unwrap(), body["secret"].as_str().unwrap().to_string())
}

async fn deliveries(app: &TestApp, token: &str, webhook: i64) -> Vec<Value> {
    let response = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), Some(token)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["items"].as_array().unwrap().clone()
}

async fn publish(app: &TestApp, token: &str, title: &str) -> Value {
    app.create_post(token, json!({ "title": title, "body": "Hello **world**", "status": "published" })).await
}

#[tokio::test]
async fn a_published_post_arrives_signed_without_holding_up_the_request() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let receiver = Receiver::start(&[(200, "thanks")]).await;
    allow_private(&app, true).await;
    let (webhook, secret) = create_webhook(&app, &admin, &receiver.url, &["item.published"]).await;
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 43, "{secret}");
    app.start_webhook_worker();

    // The receiver holds its answer: the publishing request must not wait for it.
    let gate = receiver.state.gate.write().await;
    let post = tokio::time::timeout(StdDuration::from_secs(5), publish(&app, &admin, "Hooked"))
        .await
        .expect("publishing returns while the receiver is still busy");
    eventually("the delivery to arrive", async || !receiver.requests().is_empty()).await;
    let log = deliveries(&app, &admin, webhook).await;
    assert_eq!((log.len(), log[0]["status"].as_str()), (1, Some("pending")), "{log:?}");
    drop(gate);
    eventually("the delivery to succeed", async || {
        deliveries(&app, &admin, webhook).await[0]["status"] == "succeeded"
    })
    .await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/hooks/inkstone?site=test");
    assert_eq!(request.header("x-inkstone-signature"), hmac_hex(&secret, &request.body));
    assert_ne!(request.header("x-inkstone-signature"), hmac_hex("whsec_wrong", &request.body));
    assert_eq!(request.header("content-type"), "application/json");
    assert!(
        request.header("user-agent").starts_with("Inkstone-Webhook/"),
        "{}",
        request.header("user-agent")
    );
    assert_eq!(request.header("x-inkstone-event"), "item.published");
    let body = request.json();
    assert_eq!(body["event"], "item.published");
    assert_eq!(body["data"]["id"], post["id"]);
    assert_eq!(body["data"]["title"], "Hooked");
    assert_eq!(body["data"]["status"], "published");
    assert_eq!(body["created_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(body["id"].as_str().unwrap().len(), 36, "a UUID");

    let log = deliveries(&app, &admin, webhook).await;
    let delivery = &log[0];
    assert_eq!(request.header("x-inkstone-delivery"), delivery["id"].to_string());
    assert_eq!(delivery["payload"], body);
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    let attempt = &delivery["attempt_log"][0];
    assert_eq!((attempt["attempt"].as_i64(), attempt["status_code"].as_i64()), (Some(1), Some(200)));
    assert_eq!((attempt["error"].clone(), attempt["response_body"].as_str()), (Value::Null, Some("thanks")));

    // The secret is never stored in clear nor shown again.
    let bytes = app.database_bytes();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret in the database file");
    for uri in ["/api/v1/webhooks".to_string(), format!("/api/v1/webhooks/{webhook}")] {
        let text = app.get(&uri, Some(&admin)).await.text();
        assert!(!text.contains(&secret) && !text.contains("whsec_"), "{uri}: {text}");
    }
    let log_text = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), Some(&admin)).await.text();
    assert!(!log_text.contains(&secret) && !log_text.contains("whsec_"));

    // After a rotation, deliveries are signed with the new secret only.
    let rotated =
        app.post(&format!("/api/v1/webhooks/{webhook}/rotate-secret"), Some(&admin), json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text());
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    publish(&app, &admin, "After rotation").await;
    eventually("the second delivery", async || receiver.requests().len() == 2).await;
    let second = &receiver.requests()[1];
    assert_eq!(second.header("x-inkstone-signature"), hmac_hex(&new_secret, &second.body));
    assert_ne!(second.header("x-inkstone-signature"), hmac_hex(&secret, &second.body));
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_backoff_schedule_until_it_answers() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let receiver = Receiver::start(&[(500, "boom"), (500, "still down"), (200, "ok")]).await;
    allow_private(&app, true).await;
    let (webhook, secret) = create_webhook(&app, &admin, &receiver.url, &["item.published"]).await;
    publish(&app, &admin, "Retry me").await;

    assert_eq!(app.deliver_webhooks().await, 1);
    let delivery = deliveries(&app, &admin, webhook).await[0].clone();
    assert_eq!((delivery["status"].as_str(), delivery["attempts"].as_i64()), (Some("pending"), Some(1)));
    assert_eq!(delivery["next_attempt_at"], "2026-01-01T00:01:00Z", "one minute later");
    assert_eq!(app.deliver_webhooks().await, 0, "not due before the backoff");
    app.clock.advance(Duration::seconds(59));
    assert_eq!(app.deliver_webhooks().await, 0);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(app.deliver_webhooks().await, 1);
    let delivery = deliveries(&app, &admin, webhook).await[0].clone();
    assert_eq!(delivery["next_attempt_at"], "2026-01-01T00:06:00Z", "five minutes after the second");
    app.clock.advance(Duration::minutes(4));
    assert_eq!(app.deliver_webhooks().await, 0);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.deliver_webhooks().await, 1);

    let delivery = deliveries(&app, &admin, webhook).await[0].clone();
    assert_eq!(delivery["status"], "succeeded");
    assert_eq!(delivery["completed_at"], "2026-01-01T00:06:00Z");
    let log = delivery["attempt_log"].as_array().unwrap();
    let seen: Vec<(i64, i64, &str)> = log
        .iter()
        .map(|a| {
            (a["attempt"].as_i64().unwrap(), a["status_code"].as_i64().unwrap(), a["at"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, 500, "2026-01-01T00:00:00Z"),
            (2, 500, "2026-01-01T00:01:00Z"),
            (3, 200, "2026-01-01T00:06:00Z")
        ]
    );
    assert_eq!(log[0]["response_body"], "boom");
    assert!(log[0]["error"].as_str().unwrap().contains("500"));
    assert_eq!(log[2]["error"], Value::Null);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    for (n, request) in requests.iter().enumerate() {
        assert_eq!(request.body, requests[0].body, "the same body every time");
        assert_eq!(request.header("x-inkstone-signature"), hmac_hex(&secret, &request.body));
        assert_eq!(request.header("x-inkstone-attempt"), (n + 1).to_string());
    }
}

#[tokio::test]
async fn a_receiver_that_always_fails_ends_failed_after_the_last_attempt() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let long_body = "x".repeat(5000);
    let receiver = Receiver::start(&[(503, long_body.as_str())]).await;
    allow_private(&app, true).await;
    let (webhook, _) = create_webhook(&app, &admin, &receiver.url, &["item.published"]).await;
    publish(&app, &admin, "Doomed").await;

    let waits = [1, 5, 30, 120, 720];
    assert_eq!(app.deliver_webhooks().await, 1);
    for minutes in waits {
        app.clock.advance(Duration::minutes(minutes) - Duration::seconds(1));
        assert_eq!(app.deliver_webhooks().await, 0, "early by a second after a {minutes} min wait");
        app.clock.advance(Duration::seconds(1));
        assert_eq!(app.deliver_webhooks().await, 1);
    }
    let delivery = deliveries(&app, &admin, webhook).await[0].clone();
    assert_eq!(delivery["status"], "failed");
    assert_eq!((delivery["attempts"].as_i64(), delivery["next_attempt_at"].clone()), (Some(6), Value::Null));
    let log = delivery["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 6);
    assert!(
        log.iter().all(|a| a["status_code"] == 503 && a["response_body"].as_str().unwrap().len() == 1024)
    );
    app.clock.advance(Duration::days(2));
    assert_eq!(app.deliver_webhooks().await, 0, "failed is final");
    assert_eq!(receiver.requests().len(), 6);

    // A redelivery starts over with the same body.
    let redelivered = app
        .post(&format!("/api/v1/webhooks/deliveries/{}/redeliver", delivery["id"]), Some(&admin), json!({}))
        .await;
    assert_eq!(redelivered.status, StatusCode::ACCEPTED, "{}", redelivered.text());
    assert_eq!(redelivered.json()["payload"], delivery["payload"]);
    assert_eq!(app.deliver_webhooks().await, 1);
    assert_eq!(receiver.requests()[6].body, receiver.requests()[0].body);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let elsewhere = Receiver::start(&[(200, "ok")]).await;
    let redirector = Receiver::start(&[(302, "")]).await;
    *redirector.state.location.lock().unwrap() = Some(elsewhere.url.clone());
    allow_private(&app, true).await;
    let (webhook, _) = create_webhook(&app, &admin, &redirector.url, &["item.published"]).await;
    publish(&app, &admin, "Moved").await;
    assert_eq!(app.deliver_webhooks().await, 1);
    let delivery = deliveries(&app, &admin, webhook).await[0].clone();
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempt_log"][0]["status_code"].as_i64()),
        (Some("pending"), Some(302))
    );
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn unsubscribed_events_and_inactive_webhooks_get_nothing() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let receiver = Receiver::start(&[(204, "")]).await;
    allow_private(&app, true).await;
    let (deletions, _) = create_webhook(&app, &admin, &receiver.url, &["item.deleted"]).await;
    let (inactive, _) =
        create_webhook(&app, &admin, &receiver.url, &["item.published", "item.updated"]).await;
    let patched =
        app.patch(&format!("/api/v1/webhooks/{inactive}"), Some(&admin), json!({ "active": false })).await;
    assert_eq!((patched.status, patched.json()["active"].clone()), (StatusCode::OK, json!(false)));

    let post = publish(&app, &admin, "Quiet").await;
    let edited = app
        .patch(&format!("/api/v1/posts/{}", post["id"]), Some(&admin), json!({ "title": "Quieter" }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(app.deliver_webhooks().await, 0);
    assert!(receiver.requests().is_empty());
    assert!(deliveries(&app, &admin, deletions).await.is_empty());
    assert!(deliveries(&app, &admin, inactive).await.is_empty());

    // A ping goes to an active webhook whatever it subscribes to; not to an inactive one.
    let refused = app.post(&format!("/api/v1/webhooks/{inactive}/ping"), Some(&admin), json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let ping = app.post(&format!("/api/v1/webhooks/{deletions}/ping"), Some(&admin), json!({})).await;
    assert_eq!(ping.status, StatusCode::ACCEPTED, "{}", ping.text());
    assert_eq!(app.deliver_webhooks().await, 1);
    assert_eq!(receiver.requests()[0].header("x-inkstone-event"), "ping");
    assert_eq!(receiver.requests()[0].json()["data"]["webhook_id"], deletions);
    assert_eq!(deliveries(&app, &admin, deletions).await[0]["status"], "succeeded");

    // Bad subscriptions are refused.
    for events in [json!([]), json!(["item.exploded"]), json!(["ping"])] {
        let response = app
            .post("/api/v1/webhooks", Some(&admin), json!({ "url": receiver.url, "events": events }))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{events}");
    }
}

#[tokio::test]
async fn private_targets_are_refused_when_saved_and_when_delivered() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let receiver = Receiver::start(&[(200, "ok")]).await;
    let port = receiver.url.split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
    for url in [
        receiver.url.clone(),
        format!("http://localhost:{port}/"),
        "http://[::1]/".into(),
        "http://[::ffff:127.0.0.1]/".into(),
        "http://127.1/".into(),
        "http://10.0.0.7/hook".into(),
        "http://172.20.1.1/".into(),
        "http://192.168.1.20/".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://100.64.0.1/".into(),
        "http://[fd00::1]/".into(),
        "http://[fe80::1]/".into(),
        "http://0.0.0.0/".into(),
        "ftp://example.com/".into(),
    ] {
        let response = app
            .post("/api/v1/webhooks", Some(&admin), json!({ "url": url, "events": ["item.published"] }))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", response.text());
        assert_eq!(response.json()["code"], "invalid_input");
    }

    // Saved while allowed, then the setting goes off: refused at delivery, by literal
    // address and by what a name resolves to.
    allow_private(&app, true).await;
    let (literal, _) = create_webhook(&app, &admin, &receiver.url, &["item.published"]).await;
    let named_url = format!("http://localhost:{port}/named");
    let (named, _) = create_webhook(&app, &admin, &named_url, &["item.published"]).await;
    allow_private(&app, false).await;
    let moved = app
        .patch(&format!("/api/v1/webhooks/{named}"), Some(&admin), json!({ "url": "http://10.1.1.1/" }))
        .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    publish(&app, &admin, "Private").await;
    assert_eq!(app.deliver_webhooks().await, 2);
    for webhook in [literal, named] {
        let delivery = deliveries(&app, &admin, webhook).await[0].clone();
        let attempt = &delivery["attempt_log"][0];
        assert_eq!(attempt["status_code"], Value::Null);
        assert!(attempt["error"].as_str().unwrap().starts_with("refused"), "{attempt}");
        assert_eq!(delivery["status"], "pending", "retried later, when the setting may allow it");
    }
    assert!(receiver.requests().is_empty());
}

#[tokio::test]
async fn only_admins_manage_webhooks() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let (_, editor) = app.user("editor", Role::Editor).await;
    allow_private(&app, true).await;
    let (webhook, _) = create_webhook(&app, &admin, "http://127.0.0.1:9/hook", &["item.published"]).await;
    let create = json!({ "url": "https://example.com/hook", "events": ["item.published"] });
    let paths = [
        ("GET", "/api/v1/webhooks".to_string()),
        ("POST", "/api/v1/webhooks".to_string()),
        ("GET", format!("/api/v1/webhooks/{webhook}")),
        ("PATCH", format!("/api/v1/webhooks/{webhook}")),
        ("DELETE", format!("/api/v1/webhooks/{webhook}")),
        ("POST", format!("/api/v1/webhooks/{webhook}/rotate-secret")),
        ("POST", format!("/api/v1/webhooks/{webhook}/ping")),
        ("GET", format!("/api/v1/webhooks/{webhook}/deliveries")),
    ];
    for (method, path) in &paths {
        for (token, expected) in
            [(Some(editor.as_str()), StatusCode::FORBIDDEN), (None, StatusCode::UNAUTHORIZED)]
        {
            let method: axum::http::Method = method.parse().unwrap();
            let body = (method != axum::http::Method::GET && method != axum::http::Method::DELETE)
                .then(|| create.clone());
            let response = app.call(method.clone(), path, token, body).await;
            assert_eq!(response.status, expected, "{method} {path}: {}", response.text());
        }
    }
    assert_eq!(app.get(&format!("/api/v1/webhooks/{webhook}"), Some(&admin)).await.status, StatusCode::OK);
    let deleted = app
        .call(axum::http::Method::DELETE, &format!("/api/v1/webhooks/{webhook}"), Some(&admin), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{webhook}"), Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_is_a_failed_attempt() {
    use inkstone_server::webhooks::{Deliverer, deliver_due};
    let app = TestApp::new().await;
    let (_, admin) = app.user("admin", Role::Admin).await;
    let receiver = Receiver::start(&[(200, "too late")]).await;
    allow_private(&app, true).await;
    let (webhook, _) = create_webhook(&app, &admin, &receiver.url, &["item.published"]).await;
    publish(&app, &admin, "Slow").await;
    let gate = receiver.state.gate.write().await;
    let deliverer = Arc::new(Deliverer::new().with_timeout(StdDuration::from_millis(300)));
    let stop = tokio_util::sync::CancellationToken::new();
    assert_eq!(deliver_due(&app.core, &deliverer, &stop).await, 1);
    drop(gate);
    let delivery = deliveries(&app, &admin, webhook).await[0].clone();
    let attempt = &delivery["attempt_log"][0];
    assert_eq!((delivery["status"].as_str(), attempt["status_code"].clone()), (Some("pending"), Value::Null));
    assert!(attempt["error"].as_str().unwrap().starts_with("timed out"), "{attempt}");
    assert!(attempt["duration_ms"].as_i64().unwrap() >= 300);
}
