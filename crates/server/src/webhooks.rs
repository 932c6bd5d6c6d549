//! The webhook delivery worker: claims due deliveries from the core, POSTs each signed body
//! to its webhook's URL and reports every attempt back (the core schedules retries).
//!
//! One attempt: parse the URL, resolve the host, refuse if ANY resolved address is
//! forbidden ([`is_forbidden_address`], unless the setting `webhooks.allow_private_targets`
//! is on), connect to the checked address itself (so a second DNS answer cannot swap it),
//! TLS with the webpki roots for `https`, one HTTP/1.1 request, no redirects followed, the
//! first 1 KiB of the response kept; all within [`ATTEMPT_TIMEOUT_SECS`]. At most
//! [`CONCURRENCY`] attempts run at once, on their own tasks: requests never wait on them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper_util::rt::TokioIo;
use inkstone_core::Core;
use inkstone_core::webhooks::{
    ATTEMPT_TIMEOUT_SECS, AttemptOutcome, DueDelivery, RESPONSE_EXCERPT_BYTES, TargetHost, WebhookTarget,
    is_forbidden_address,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_util::sync::CancellationToken;

/// Most attempts in flight at once.
pub const CONCURRENCY: usize = 4;
/// How often the worker looks for due deliveries when nothing wakes it (retries come due,
/// deliveries queued by another node).
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Sends one delivery attempt. Cheap to share behind an `Arc`.
pub struct Deliverer {
    tls: TlsConnector,
    timeout: Duration,
    user_agent: String,
}

impl Default for Deliverer {
    fn default() -> Self {
        Deliverer::new()
    }
}

impl Deliverer {
    /// A deliverer with the webpki root certificates (ring provider) and the
    /// [`ATTEMPT_TIMEOUT_SECS`] timeout.
    pub fn new() -> Deliverer {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Deliverer {
            tls: TlsConnector::from(Arc::new(config)),
            timeout: Duration::from_secs(ATTEMPT_TIMEOUT_SECS),
            user_agent: format!("Inkstone-Webhook/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The same with another per-attempt timeout (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> Deliverer {
        self.timeout = timeout;
        self
    }

    /// Makes one attempt at `delivery`; never fails, the outcome says what happened.
    pub async fn attempt(&self, delivery: &DueDelivery, allow_private: bool) -> AttemptOutcome {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let result =
            tokio::time::timeout_at(deadline, self.exchange(delivery, allow_private, deadline)).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok(Ok((status, body))) => AttemptOutcome {
                status_code: Some(status),
                duration_ms,
                error: None,
                response_body: Some(body),
            },
            Ok(Err(error)) => AttemptOutcome { duration_ms, error: Some(error), ..AttemptOutcome::default() },
            Err(_) => AttemptOutcome {
                duration_ms,
                error: Some(format!("timed out after {} s", self.timeout.as_secs_f32())),
                ..AttemptOutcome::default()
            },
        }
    }

    async fn exchange(
        &self,
        delivery: &DueDelivery,
        allow_private: bool,
        deadline: Instant,
    ) -> Result<(u16, Vec<u8>), String> {
        let (target, _) =
            WebhookTarget::parse(&delivery.url).map_err(|_| "the URL is not valid".to_string())?;
        let signature = delivery
            .signature
            .clone()
            .ok_or_else(|| "the webhook's secret cannot be opened with this server's key".to_string())?;
        let addresses = resolve(&target).await?;
        if !allow_private && let Some(bad) = addresses.iter().find(|a| is_forbidden_address(a.ip())) {
            return Err(format!(
                "refused: the target resolves to {}, a non-public address (setting webhooks.allow_private_targets)",
                bad.ip()
            ));
        }
        let stream = connect(&addresses).await?;
        let _ = stream.set_nodelay(true);
        let request = Request::post(target.path_and_query.as_str())
            .header(HOST, target.authority.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, self.user_agent.as_str())
            .header(CONNECTION, "close")
            .header("X-Inkstone-Event", delivery.event.as_str())
            .header("X-Inkstone-Delivery", delivery.id.to_string())
            .header("X-Inkstone-Attempt", delivery.attempt.to_string())
            .header("X-Inkstone-Signature", signature)
            .body(Full::new(Bytes::from(delivery.body.clone())))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        if target.https {
            let name = match &target.host {
                TargetHost::Domain(name) => ServerName::try_from(name.clone())
                    .map_err(|_| format!("`{name}` is not a valid TLS server name"))?,
                TargetHost::Ip(ip) => ServerName::IpAddress((*ip).into()),
            };
            let tls =
                self.tls.connect(name, stream).await.map_err(|e| format!("TLS handshake failed: {e}"))?;
            send(tls, request, deadline).await
        } else {
            send(stream, request, deadline).await
        }
    }
}

/// Every address of the target's host (the literal address itself, or what DNS answers).
async fn resolve(target: &WebhookTarget) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> = match &target.host {
        TargetHost::Ip(ip) => vec![SocketAddr::new(*ip, target.port)],
        TargetHost::Domain(name) => tokio::net::lookup_host((name.as_str(), target.port))
            .await
            .map_err(|e| format!("cannot resolve {name}: {e}"))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err("the host resolves to no address".into());
    }
    Ok(addresses)
}

/// Connects to the first of `addresses` that answers.
async fn connect(addresses: &[SocketAddr]) -> Result<TcpStream, String> {
    let mut last = String::new();
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(err) => last = format!("cannot connect to {address}: {err}"),
        }
    }
    Err(last)
}

/// Aborts the connection task when the attempt ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One HTTP/1.1 exchange over `io`: the status, and the start of the body read until
/// [`RESPONSE_EXCERPT_BYTES`], its end or `deadline`, whichever comes first.
async fn send<I>(io: I, request: Request<Full<Bytes>>, deadline: Instant) -> Result<(u16, Vec<u8>), String>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let _connection = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let response = sender.send_request(request).await.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut excerpt = Vec::new();
    let read = async {
        while excerpt.len() < RESPONSE_EXCERPT_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        excerpt.extend_from_slice(&data);
                    }
                }
                _ => break,
            }
        }
    };
    // The status is what counts: a body that stalls only shortens the excerpt.
    let _ = tokio::time::timeout_at(deadline, read).await;
    excerpt.truncate(RESPONSE_EXCERPT_BYTES);
    Ok((status, excerpt))
}

/// Makes an attempt at every delivery due by the core's clock, [`CONCURRENCY`] at a time,
/// until none is left or `stop` is raised (attempts under way still finish); returns how
/// many attempts were made. Deliveries that fail are due again only after their backoff,
/// so a pass ends.
pub async fn deliver_due(core: &Arc<Core>, deliverer: &Arc<Deliverer>, stop: &CancellationToken) -> usize {
    let mut running = JoinSet::new();
    let mut attempts = 0;
    loop {
        let free = CONCURRENCY - running.len();
        let mut claimed = 0;
        if free > 0 && !stop.is_cancelled() {
            match core.claim_webhook_deliveries(free as i64).await {
                Ok(batch) => {
                    claimed = batch.len();
                    for delivery in batch {
                        let (core, deliverer) = (core.clone(), deliverer.clone());
                        running.spawn(async move {
                            let outcome =
                                deliverer.attempt(&delivery, core.webhooks_allow_private_targets()).await;
                            if let Some(error) = &outcome.error {
                                tracing::info!(delivery = delivery.id, attempt = delivery.attempt, %error, "webhook attempt failed");
                            }
                            if let Err(err) = core.record_webhook_attempt(&delivery, outcome).await {
                                tracing::warn!(delivery = delivery.id, error = %err, "cannot record a webhook attempt");
                            }
                        });
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot claim webhook deliveries"),
            }
        }
        if running.is_empty() {
            return attempts;
        }
        // Wait for a slot when full, or when nothing more was due (then look again after).
        if claimed == 0 || running.len() == CONCURRENCY {
            let _ = running.join_next().await;
            attempts += 1;
        }
    }
}

/// Runs the delivery worker until `stop` is raised: a pass of [`deliver_due`] whenever
/// deliveries are queued (the core's wake-up) and every [`POLL_INTERVAL`].
pub async fn run_webhook_worker(core: Arc<Core>, stop: CancellationToken) {
    let deliverer = Arc::new(Deliverer::new());
    while !stop.is_cancelled() {
        deliver_due(&core, &deliverer, &stop).await;
        tokio::select! {
            _ = core.webhook_wakeup().notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = stop.cancelled() => break,
        }
    }
}
