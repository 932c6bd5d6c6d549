//! Webhooks: subscriptions to domain events, queued deliveries signed with HMAC-SHA256, retries and a delivery log.
//!
//! [`Core::emit`] calls [`Core::queue_webhook_deliveries`], which writes one pending
//! delivery per subscribed active webhook in one statement and wakes the delivery worker
//! (`inkstone_server::webhooks`); nothing here touches the network. The worker claims due
//! deliveries ([`Core::claim_webhook_deliveries`]), sends them and reports each attempt
//! ([`Core::record_webhook_attempt`]), which schedules the retry ([`retry_delay`]).
//!
//! Targets are checked twice against [`is_forbidden_address`]: literal addresses and
//! `localhost` when a webhook is saved, every resolved address at delivery. The setting
//! `webhooks.allow_private_targets` lifts both checks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha2::Sha256;

use crate::Core;
use crate::audit::AuditFacts;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::events::{DomainEvent, EventKind};
use crate::permission::{Action, Actor, Resource};
use crate::{paging, secrets};

/// Webhook secrets start with this; 32 random bytes in URL-safe base64 follow.
pub const SECRET_PREFIX: &str = "whsec_";
/// The event name of a test delivery queued by [`Core::ping_webhook`]; not subscribable.
pub const PING_EVENT: &str = "ping";
/// Attempts a delivery gets before it is marked failed.
pub const MAX_ATTEMPTS: i64 = 6;
/// How long one attempt may take (connect, TLS, request and response head), in seconds.
pub const ATTEMPT_TIMEOUT_SECS: u64 = 10;
/// How long a claimed delivery is reserved for the worker that claimed it: if that worker
/// dies before reporting, another picks the delivery up after this.
pub const CLAIM_LEASE: Duration = Duration::minutes(2);
/// Bytes of a receiver's response body kept in the delivery log.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;
/// Most webhooks a site may have.
pub const MAX_WEBHOOKS: usize = 50;
/// Longest accepted URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Default and largest page of a delivery log.
pub const DELIVERIES_PER_PAGE: i64 = 20;
pub const MAX_DELIVERIES_PER_PAGE: i64 = 100;

/// Audit event names of this module.
pub mod audit_events {
    pub const WEBHOOK_CREATED: &str = "webhook.created";
    pub const WEBHOOK_UPDATED: &str = "webhook.updated";
    pub const WEBHOOK_DELETED: &str = "webhook.deleted";
    pub const WEBHOOK_SECRET_ROTATED: &str = "webhook.secret_rotated";
}

/// A subscription of a URL to event kinds. The secret is kept only sealed with the server
/// key (see [`crate::sealing`]): the worker needs it raw to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    /// An absolute `http` or `https` URL.
    pub url: String,
    /// At least one, in [`EventKind::ALL`] order.
    pub events: Vec<EventKind>,
    pub active: bool,
    pub description: String,
    /// Nonce and ciphertext, base64. Never shown.
    pub secret_sealed: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook to insert.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<EventKind>,
    pub active: bool,
    pub description: String,
    pub secret_sealed: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Changes to a webhook; `None` leaves a field as it is. `updated_at` is always set.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<EventKind>>,
    pub active: Option<bool>,
    pub description: Option<String>,
    pub secret_sealed: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What an admin sends to create a webhook (see [`Core::create_webhook`]).
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    /// Event wire names such as `item.published`.
    pub events: Vec<String>,
    /// `None`: active.
    pub active: Option<bool>,
    pub description: Option<String>,
}

/// What an admin sends to change a webhook; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    pub description: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// A receiver answered 2xx.
    Succeeded,
    /// [`MAX_ATTEMPTS`] attempts failed.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "succeeded" => Some(DeliveryStatus::Succeeded),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One try at sending a delivery, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// 1-based.
    pub attempt: i64,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status; `None` when no response came (refused target,
    /// connection error, timeout).
    pub status_code: Option<u16>,
    /// From the start of the connection to the response head (or the failure), in ms.
    pub duration_ms: i64,
    /// Why the attempt failed, when it did.
    pub error: Option<String>,
    /// The first [`RESPONSE_EXCERPT_BYTES`] of the response body (lossy UTF-8).
    pub response_body: Option<String>,
}

/// One event sent (or to be sent) to one webhook, with its attempts oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    /// The event wire name, or [`PING_EVENT`].
    pub event: String,
    /// The exact JSON body sent (see [`envelope`]).
    pub body: String,
    pub status: DeliveryStatus,
    /// Attempts made (or under way).
    pub attempts: i64,
    /// When the next attempt is due; `None` once succeeded or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// A delivery the repository reserved for one attempt: its attempt counter is already
/// incremented and its next attempt moved past the lease.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub body: String,
    /// The number of this attempt, 1-based.
    pub attempt: i64,
    pub url: String,
    pub secret_sealed: String,
}

/// An attempt to log and the state it leaves the delivery in, written in one transaction.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub attempt: DeliveryAttempt,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery ready to send: the URL, the body, and the signature to put in
/// `X-Inkstone-Signature`.
#[derive(Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub body: String,
    pub attempt: i64,
    pub url: String,
    /// `sha256=<hex HMAC-SHA256(secret, body)>`; `None` if the secret could not be opened
    /// with this server key (the attempt then fails without sending).
    pub signature: Option<String>,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("attempt", &self.attempt)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to, as the worker saw it.
#[derive(Debug, Clone, Default)]
pub struct AttemptOutcome {
    pub status_code: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the response body, at most [`RESPONSE_EXCERPT_BYTES`] bytes.
    pub response_body: Option<Vec<u8>>,
}

impl AttemptOutcome {
    /// Whether the receiver took the delivery: any 2xx status.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|code| (200..300).contains(&code))
    }
}

/// Webhooks and their deliveries.
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Inserts a webhook and its event subscriptions in one transaction.
    async fn insert_webhook(&self, webhook: NewWebhook) -> CoreResult<Webhook>;

    /// Every webhook, newest first.
    async fn webhooks(&self) -> CoreResult<Vec<Webhook>>;

    async fn webhook_by_id(&self, id: i64) -> CoreResult<Option<Webhook>>;

    /// Applies `patch` (subscriptions replaced when `events` is given) in one
    /// transaction. Errors: `not_found`.
    async fn update_webhook(&self, id: i64, patch: WebhookPatch) -> CoreResult<Webhook>;

    /// Deletes a webhook with its deliveries and their attempts; whether it existed.
    async fn delete_webhook(&self, id: i64) -> CoreResult<bool>;

    /// Queues `body` as a pending delivery due at `at` for every active webhook subscribed
    /// to `event`, in one statement; returns how many were queued.
    async fn queue_webhook_deliveries(&self, event: &str, body: &str, at: DateTime<Utc>) -> CoreResult<u64>;

    /// Queues one pending delivery due at `at` to one webhook.
    async fn insert_webhook_delivery(
        &self,
        webhook_id: i64,
        event: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<WebhookDelivery>;

    /// Reserves up to `limit` pending deliveries of active webhooks due at `now` (oldest
    /// due first): adds one to their attempts and moves their next attempt to
    /// `lease_until`, atomically, so two workers never claim the same attempt.
    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> CoreResult<Vec<ClaimedDelivery>>;

    /// Logs an attempt and sets the delivery's status and next attempt, in one
    /// transaction. The delivery is left alone if another claim took it since (its
    /// attempt counter moved on).
    async fn record_webhook_attempt(&self, record: AttemptRecord) -> CoreResult<()>;

    /// A page of a webhook's deliveries, newest first, with their attempts, and the total.
    async fn webhook_deliveries(
        &self,
        webhook_id: i64,
        offset: i64,
        limit: i64,
    ) -> CoreResult<(Vec<WebhookDelivery>, i64)>;

    /// One delivery with its attempts.
    async fn webhook_delivery_by_id(&self, id: i64) -> CoreResult<Option<WebhookDelivery>>;
}

/// How long to wait after failed attempt number `attempt` (1-based) before the next:
/// 1 min, 5 min, 30 min, 2 h, 12 h; `None` after the last of [`MAX_ATTEMPTS`].
pub fn retry_delay(attempt: i64) -> Option<Duration> {
    match attempt {
        1 => Some(Duration::minutes(1)),
        2 => Some(Duration::minutes(5)),
        3 => Some(Duration::minutes(30)),
        4 => Some(Duration::hours(2)),
        5 => Some(Duration::hours(12)),
        _ => None,
    }
}

/// `sha256=` and the lower-case hex HMAC-SHA256 of `body` under `secret` (the whole
/// `whsec_...` string as UTF-8 bytes): the `X-Inkstone-Signature` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A random UUID (version 4), lower-case with hyphens.
pub fn new_event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The JSON body of a delivery: `{"id", "event", "created_at", "data"}`, where `id` is the
/// event's UUID (the same for every webhook told of the event and for redeliveries, so
/// receivers can drop duplicates) and `created_at` is RFC 3339 UTC with milliseconds.
pub fn envelope(id: &str, event: &str, created_at: DateTime<Utc>, data: &serde_json::Value) -> String {
    json!({
        "id": id,
        "event": event,
        "created_at": created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    let net = Ipv6Addr::new(net[0], net[1], net[2], net[3], net[4], net[5], net[6], net[7]);
    u128::from(ip) & mask == u128::from(net) & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    const NETS: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network", unspecified
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // carrier-grade NAT
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
        ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
    ];
    NETS.iter().any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

/// Whether a webhook may never be delivered to `ip` (unless the setting
/// `webhooks.allow_private_targets` is on): loopback, unspecified, private (RFC 1918),
/// carrier-grade NAT (100.64/10), link-local, IETF and benchmarking ranges,
/// documentation, multicast, reserved and broadcast addresses; for IPv6 also unique-local
/// (fc00::/7), site-local, discard, Teredo and documentation prefixes, and IPv4 addresses
/// embedded in IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
/// 6to4 `2002::/16`) judged as the IPv4 address they carry.
pub fn is_forbidden_address(ip: IpAddr) -> bool {
    let v6 = match ip {
        IpAddr::V4(v4) => return forbidden_v4(v4),
        IpAddr::V6(v6) => v6,
    };
    if v6.is_unspecified() || v6.is_loopback() {
        return true;
    }
    if let Some(v4) = v6.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let bits = u128::from(v6);
    if bits >> 32 == 0 {
        // IPv4-compatible (deprecated).
        return forbidden_v4(Ipv4Addr::from(bits as u32));
    }
    if in_v6(v6, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return forbidden_v4(Ipv4Addr::from(bits as u32));
    }
    if in_v6(v6, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        return forbidden_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    const NETS: &[([u16; 8], u32)] = &[
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),  // local-use NAT64
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64),      // discard
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),     // IETF protocol assignments, Teredo
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),     // documentation
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),      // unique-local
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),     // link-local
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),     // site-local (deprecated)
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),      // multicast
    ];
    NETS.iter().any(|(net, prefix)| in_v6(v6, *net, *prefix))
}

/// The host of a webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetHost {
    /// A name to resolve (lower case, IDNA-encoded).
    Domain(String),
    Ip(IpAddr),
}

/// A webhook URL taken apart for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub https: bool,
    pub host: TargetHost,
    pub port: u16,
    /// The `Host` header: the host (IPv6 in brackets) and the port when not the default.
    pub authority: String,
    /// The request target: path and query, e.g. `/hooks/inkstone?x=1`.
    pub path_and_query: String,
}

impl WebhookTarget {
    /// Parses and checks a webhook URL: absolute `http`/`https`, a host, no user name or
    /// password, at most [`MAX_URL_LEN`] bytes. The fragment is dropped. Numeric host
    /// spellings (`127.1`, `0x7f.0.0.1`) are read as the address they denote.
    ///
    /// Errors: `invalid_input` on field `url`.
    pub fn parse(text: &str) -> CoreResult<(WebhookTarget, String)> {
        let bad = |en: &str, zh: &str| CoreError::invalid("url", en, zh);
        let text = text.trim();
        if text.len() > MAX_URL_LEN {
            return Err(bad("at most 2048 bytes", "最多 2048 字节"));
        }
        let mut url = url::Url::parse(text)
            .map_err(|_| bad("not an absolute http(s) URL", "不是完整的 http(s) 网址"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("the scheme must be http or https", "协议必须是 http 或 https")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "a user name or password in the URL is not allowed",
                "网址中不能包含用户名或密码",
            ));
        }
        url.set_fragment(None);
        let host = match url.host() {
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    return Err(bad("the URL needs a host", "网址缺少主机名"));
                }
                TargetHost::Domain(name)
            }
            Some(url::Host::Ipv4(v4)) => TargetHost::Ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => TargetHost::Ip(IpAddr::V6(v6)),
            None => return Err(bad("the URL needs a host", "网址缺少主机名")),
        };
        let port = url.port_or_known_default().unwrap_or(if https { 443 } else { 80 });
        let host_text = url.host_str().unwrap_or_default();
        let authority = match url.port() {
            Some(port) => format!("{host_text}:{port}"),
            None => host_text.to_string(),
        };
        let mut path_and_query = url.path().to_string();
        if let Some(query) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        let target = WebhookTarget { https, host, port, authority, path_and_query };
        Ok((target, url.to_string()))
    }

    /// Whether the URL itself names a forbidden target: a forbidden literal address, or
    /// `localhost` and its subdomains. Names are judged again by what they resolve to at
    /// delivery.
    pub fn names_forbidden_host(&self) -> bool {
        match &self.host {
            TargetHost::Ip(ip) => is_forbidden_address(*ip),
            TargetHost::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
        }
    }
}

/// Parses event names; at least one, each a known kind, duplicates dropped, in
/// [`EventKind::ALL`] order. Errors: `invalid_input` on field `events`.
fn check_events(names: &[String]) -> CoreResult<Vec<EventKind>> {
    let mut kinds = Vec::new();
    for name in names {
        let name = name.trim();
        let Some(kind) = EventKind::parse(name) else {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(CoreError::invalid(
                "events",
                format!("`{name}` is not an event; known events: {}", known.join(", ")),
                format!("`{name}` 不是可订阅的事件；可用事件：{}", known.join(", ")),
            ));
        };
        kinds.push(kind);
    }
    let kinds: Vec<EventKind> = EventKind::ALL.iter().copied().filter(|k| kinds.contains(k)).collect();
    if kinds.is_empty() {
        return Err(CoreError::invalid("events", "subscribe to at least one event", "至少订阅一个事件"));
    }
    Ok(kinds)
}

fn check_description(text: Option<String>) -> CoreResult<String> {
    let text = text.unwrap_or_default().trim().to_string();
    if text.chars().count() > 500 {
        return Err(CoreError::invalid("description", "at most 500 characters", "最多 500 个字符"));
    }
    Ok(text)
}

impl Core {
    /// Whether webhooks may go to private and loopback addresses (setting
    /// `webhooks.allow_private_targets`).
    pub fn webhooks_allow_private_targets(&self) -> bool {
        self.settings().get("webhooks.allow_private_targets") == Some("true")
    }

    /// Checks a URL for a webhook and returns it in canonical form.
    /// Errors: `invalid_input` on `url` (shape, or a forbidden target while the setting is off).
    fn check_webhook_url(&self, url: &str) -> CoreResult<String> {
        let (target, canonical) = WebhookTarget::parse(url)?;
        if target.names_forbidden_host() && !self.webhooks_allow_private_targets() {
            return Err(CoreError::invalid(
                "url",
                "loopback, private and other non-public addresses are not allowed \
                 (setting webhooks.allow_private_targets)",
                "不允许回环、内网等非公网地址（设置 webhooks.allow_private_targets）",
            ));
        }
        Ok(canonical)
    }

    /// The handle the delivery worker waits on; notified whenever deliveries are queued.
    pub fn webhook_wakeup(&self) -> &tokio::sync::Notify {
        &self.webhook_wakeup
    }

    /// Creates a webhook with a new secret `whsec_...`, returned only now. Admins only.
    ///
    /// Errors: `invalid_input` (url, events, description, more than [`MAX_WEBHOOKS`]),
    /// permission.
    pub async fn create_webhook(&self, actor: &Actor, input: WebhookInput) -> CoreResult<(Webhook, String)> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        let url = self.check_webhook_url(&input.url)?;
        let events = check_events(&input.events)?;
        let description = check_description(input.description)?;
        if self.repo.webhooks().await?.len() >= MAX_WEBHOOKS {
            return Err(CoreError::invalid(
                "url",
                format!("a site may have at most {MAX_WEBHOOKS} webhooks"),
                format!("一个站点最多 {MAX_WEBHOOKS} 个 Webhook"),
            ));
        }
        let secret = secrets::new_secret(SECRET_PREFIX);
        let webhook = self
            .repo
            .insert_webhook(NewWebhook {
                url,
                events,
                active: input.active.unwrap_or(true),
                description,
                secret_sealed: self.services.server_key.seal(&secret),
                created_by: actor.user_id(),
                created_at: self.now(),
            })
            .await?;
        let facts = AuditFacts::of(actor)
            .target(format!("webhook:{}", webhook.id))
            .detail(json!({ "url": webhook.url, "events": event_names(&webhook.events) }));
        self.audit(audit_events::WEBHOOK_CREATED, facts).await;
        Ok((webhook, secret))
    }

    /// Every webhook, newest first. Admins only.
    pub async fn webhooks(&self, actor: &Actor) -> CoreResult<Vec<Webhook>> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        self.repo.webhooks().await
    }

    /// One webhook. Errors: `not_found`, permission.
    pub async fn webhook(&self, actor: &Actor, id: i64) -> CoreResult<Webhook> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        self.repo.webhook_by_id(id).await?.ok_or_else(CoreError::not_found)
    }

    /// Changes a webhook's URL, events, active flag or description.
    ///
    /// Errors: `not_found`, `invalid_input` (as [`Core::create_webhook`]), permission.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: i64,
        changes: WebhookChanges,
    ) -> CoreResult<Webhook> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        let patch = WebhookPatch {
            url: changes.url.as_deref().map(|url| self.check_webhook_url(url)).transpose()?,
            events: changes.events.as_deref().map(check_events).transpose()?,
            active: changes.active,
            description: changes.description.map(|d| check_description(Some(d))).transpose()?,
            secret_sealed: None,
            updated_at: Some(self.now()),
        };
        let webhook = self.repo.update_webhook(id, patch.clone()).await?;
        let facts = AuditFacts::of(actor).target(format!("webhook:{id}")).detail(json!({
            "url": patch.url,
            "events": patch.events.as_deref().map(event_names),
            "active": patch.active,
        }));
        self.audit(audit_events::WEBHOOK_UPDATED, facts).await;
        Ok(webhook)
    }

    /// Deletes a webhook and its delivery log; pending deliveries are dropped.
    ///
    /// Errors: `not_found`, permission.
    pub async fn delete_webhook(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        if !self.repo.delete_webhook(id).await? {
            return Err(CoreError::not_found());
        }
        self.audit(audit_events::WEBHOOK_DELETED, AuditFacts::of(actor).target(format!("webhook:{id}")))
            .await;
        Ok(())
    }

    /// Replaces a webhook's secret with a new one, returned only now. Deliveries still
    /// pending are signed with the new secret when sent.
    ///
    /// Errors: `not_found`, permission.
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: i64) -> CoreResult<(Webhook, String)> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        let secret = secrets::new_secret(SECRET_PREFIX);
        let patch = WebhookPatch {
            secret_sealed: Some(self.services.server_key.seal(&secret)),
            updated_at: Some(self.now()),
            ..WebhookPatch::default()
        };
        let webhook = self.repo.update_webhook(id, patch).await?;
        let facts = AuditFacts::of(actor).target(format!("webhook:{id}"));
        self.audit(audit_events::WEBHOOK_SECRET_ROTATED, facts).await;
        Ok((webhook, secret))
    }

    /// Queues a `ping` delivery to the webhook, due now, whatever it subscribes to. Its
    /// data is `{"webhook_id", "url"}`.
    ///
    /// Errors: `not_found`, `invalid_state` (the webhook is inactive), permission.
    pub async fn ping_webhook(&self, actor: &Actor, id: i64) -> CoreResult<WebhookDelivery> {
        let webhook = self.webhook(actor, id).await?;
        if !webhook.active {
            return Err(inactive());
        }
        let now = self.now();
        let data = json!({ "webhook_id": webhook.id, "url": webhook.url });
        let body = envelope(&new_event_id(), PING_EVENT, now, &data);
        let delivery = self.repo.insert_webhook_delivery(webhook.id, PING_EVENT, &body, now).await?;
        self.webhook_wakeup.notify_one();
        Ok(delivery)
    }

    /// A page of a webhook's delivery log, newest first, each with its attempts, and the
    /// total. `per_page` 1..=[`MAX_DELIVERIES_PER_PAGE`].
    ///
    /// Errors: `not_found`, `invalid_input` (page, per_page), permission.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        webhook_id: i64,
        page: i64,
        per_page: i64,
    ) -> CoreResult<(Vec<WebhookDelivery>, i64)> {
        self.webhook(actor, webhook_id).await?;
        paging::check_per_page(per_page, MAX_DELIVERIES_PER_PAGE)?;
        let offset = paging::offset(page, per_page)?;
        self.repo.webhook_deliveries(webhook_id, offset, per_page).await
    }

    /// Queues a delivery's body again, as a new delivery due now (the body, and so the
    /// event `id` receivers deduplicate on, is unchanged).
    ///
    /// Errors: `not_found`, `invalid_state` (the webhook is inactive), permission.
    pub async fn redeliver_webhook_delivery(
        &self,
        actor: &Actor,
        delivery_id: i64,
    ) -> CoreResult<WebhookDelivery> {
        self.require(actor, Action::ManageWebhooks, Resource::Site).await?;
        let original =
            self.repo.webhook_delivery_by_id(delivery_id).await?.ok_or_else(CoreError::not_found)?;
        let webhook = self.repo.webhook_by_id(original.webhook_id).await?.ok_or_else(CoreError::not_found)?;
        if !webhook.active {
            return Err(inactive());
        }
        let delivery = self
            .repo
            .insert_webhook_delivery(webhook.id, &original.event, &original.body, self.now())
            .await?;
        self.webhook_wakeup.notify_one();
        Ok(delivery)
    }

    /// Queues a delivery of `event` for every active webhook subscribed to its kind: one
    /// statement, no network; then wakes the worker. Called by [`Core::emit`].
    pub(crate) async fn queue_webhook_deliveries(&self, event: &DomainEvent) -> CoreResult<()> {
        let now = self.now();
        let body = envelope(&new_event_id(), event.kind.as_str(), now, &event.data);
        let queued = self.repo.queue_webhook_deliveries(event.kind.as_str(), &body, now).await?;
        if queued > 0 {
            self.webhook_wakeup.notify_one();
        }
        Ok(())
    }

    /// Reserves up to `limit` due deliveries for one attempt each (see
    /// [`WebhookRepository::claim_webhook_deliveries`]) and signs them. For the worker.
    pub async fn claim_webhook_deliveries(&self, limit: i64) -> CoreResult<Vec<DueDelivery>> {
        let now = self.now();
        let claimed = self.repo.claim_webhook_deliveries(now, now + CLAIM_LEASE, limit).await?;
        Ok(claimed
            .into_iter()
            .map(|c| {
                let signature = self
                    .services
                    .server_key
                    .open(&c.secret_sealed)
                    .map(|secret| signature(&secret, c.body.as_bytes()));
                DueDelivery {
                    id: c.id,
                    webhook_id: c.webhook_id,
                    event: c.event,
                    body: c.body,
                    attempt: c.attempt,
                    url: c.url,
                    signature,
                }
            })
            .collect())
    }

    /// Logs an attempt at `delivery` and decides what follows: succeeded on a 2xx status,
    /// otherwise a retry after [`retry_delay`], or failed after [`MAX_ATTEMPTS`]. Returns
    /// the delivery's new status. For the worker.
    pub async fn record_webhook_attempt(
        &self,
        delivery: &DueDelivery,
        outcome: AttemptOutcome,
    ) -> CoreResult<DeliveryStatus> {
        let now = self.now();
        let succeeded = outcome.succeeded();
        let (status, next_attempt_at) = if succeeded {
            (DeliveryStatus::Succeeded, None)
        } else {
            match retry_delay(delivery.attempt).filter(|_| delivery.attempt < MAX_ATTEMPTS) {
                Some(delay) => (DeliveryStatus::Pending, Some(now + delay)),
                None => (DeliveryStatus::Failed, None),
            }
        };
        let response_body = outcome.response_body.map(|bytes| {
            let cut = &bytes[..bytes.len().min(RESPONSE_EXCERPT_BYTES)];
            String::from_utf8_lossy(cut).into_owned()
        });
        let error = if succeeded {
            None
        } else {
            Some(outcome.error.unwrap_or_else(|| match outcome.status_code {
                Some(code) => format!("the receiver answered HTTP {code}"),
                None => "no response".to_string(),
            }))
        };
        let attempt = DeliveryAttempt {
            attempt: delivery.attempt,
            at: now,
            status_code: outcome.status_code,
            duration_ms: outcome.duration_ms.max(0),
            error,
            response_body,
        };
        self.repo
            .record_webhook_attempt(AttemptRecord {
                delivery_id: delivery.id,
                attempt,
                status,
                next_attempt_at,
            })
            .await?;
        Ok(status)
    }
}

fn inactive() -> CoreError {
    CoreError::new(ErrorCode::InvalidState)
        .with_detail("the webhook is inactive; activate it first", "该 Webhook 未启用，请先启用")
}

fn event_names(events: &[EventKind]) -> Vec<&'static str> {
    events.iter().map(|k| k.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_classifier() {
        let table: &[(&str, bool)] = &[
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("10.0.0.1", true),
            ("10.255.255.255", true),
            ("100.64.0.1", true),
            ("100.127.255.254", true),
            ("100.128.0.1", false),
            ("127.0.0.1", true),
            ("127.255.0.9", true),
            ("169.254.169.254", true),
            ("172.15.255.255", false),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("192.0.0.8", true),
            ("192.0.2.10", true),
            ("192.168.1.1", true),
            ("198.18.0.1", true),
            ("198.51.100.7", true),
            ("203.0.113.9", true),
            ("224.0.0.251", true),
            ("239.255.255.250", true),
            ("240.0.0.1", true),
            ("255.255.255.255", true),
            ("8.8.8.8", false),
            ("1.1.1.1", false),
            ("93.184.216.34", false),
            ("::", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:10.1.2.3", true),
            ("::ffff:8.8.8.8", false),
            ("::127.0.0.1", true),
            ("64:ff9b::a00:1", true),
            ("64:ff9b::808:808", false),
            ("64:ff9b:1::1", true),
            ("2002:7f00:1::", true),
            ("2002:0808:0808::1", false),
            ("100::1", true),
            ("2001::1", true),
            ("2001:db8::1", true),
            ("3fff::1", true),
            ("fc00::1", true),
            ("fd12:3456::1", true),
            ("fe80::1", true),
            ("fec0::1", true),
            ("ff02::1", true),
            ("2606:4700:4700::1111", false),
            ("2001:4860:4860::8888", false),
        ];
        for (text, forbidden) in table {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(is_forbidden_address(ip), *forbidden, "{text}");
        }
    }

    #[test]
    fn backoff_schedule() {
        let delays: Vec<i64> = (1..=MAX_ATTEMPTS).filter_map(retry_delay).map(|d| d.num_seconds()).collect();
        assert_eq!(delays, [60, 300, 1800, 7200, 43_200]);
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
        assert_eq!(retry_delay(0), None);
    }

    #[test]
    fn targets_parse_and_literal_hosts_are_judged() {
        let (target, canonical) =
            WebhookTarget::parse(" https://Hooks.Example.com:8443/in?x=1#frag ").unwrap();
        assert_eq!(canonical, "https://hooks.example.com:8443/in?x=1");
        assert_eq!(target.host, TargetHost::Domain("hooks.example.com".into()));
        assert_eq!((target.https, target.port), (true, 8443));
        assert_eq!(target.authority, "hooks.example.com:8443");
        assert_eq!(target.path_and_query, "/in?x=1");
        let (target, _) = WebhookTarget::parse("http://[::1]/x").unwrap();
        assert_eq!((target.authority.as_str(), target.port), ("[::1]", 80));
        assert!(target.names_forbidden_host());
        for url in [
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://2130706433/",
            "http://localhost:3000/",
            "http://a.localhost./",
            "http://[::ffff:192.168.0.1]/",
        ] {
            assert!(WebhookTarget::parse(url).unwrap().0.names_forbidden_host(), "{url}");
        }
        assert!(!WebhookTarget::parse("http://example.com/").unwrap().0.names_forbidden_host());
        for url in [
            "ftp://example.com/",
            "example.com/hook",
            "http://user:pw@example.com/",
            "http://",
            "http://exa mple.com/",
            "",
        ] {
            assert!(WebhookTarget::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let id = new_event_id();
        assert_eq!((id.len(), &id[14..15]), (36, "4"));
    }
}
