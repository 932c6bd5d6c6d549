//! Abuse limits: fixed-window rate limits and failure lockouts kept in the database (so
//! every node of a site shares them), and captcha challenges.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::audit::{AuditFacts, events};
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::ports::{CaptchaChallenge, RateWindow};
use crate::{CaptchaBackend, Core, secrets};

/// A rate limit: at most `max` hits per `window`, counted from the first hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Prefix of the counter's key, e.g. `login_fail_account`.
    pub name: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// The limits Inkstone applies. Failure limits lock the subject out for the rest of the
/// window once reached; attempt limits refuse hits beyond `max`.
pub mod limits {
    use super::Limit;
    use chrono::Duration;

    /// Wrong passwords for one account before it is locked for 15 minutes.
    pub const LOGIN_FAILURES_PER_ACCOUNT: Limit =
        Limit { name: "login_fail_account", max: 5, window: Duration::minutes(15) };
    /// Wrong passwords from one address (any account) before it is locked for 15 minutes.
    pub const LOGIN_FAILURES_PER_IP: Limit =
        Limit { name: "login_fail_ip", max: 20, window: Duration::minutes(15) };
    /// Sign-in attempts from one address per minute, right or wrong.
    pub const LOGIN_ATTEMPTS_PER_IP: Limit =
        Limit { name: "login_ip", max: 30, window: Duration::minutes(1) };
    /// Registrations from one address per hour.
    pub const REGISTRATIONS_PER_IP: Limit = Limit { name: "register_ip", max: 5, window: Duration::hours(1) };
    /// Password reset requests from one address per hour.
    pub const RESET_REQUESTS_PER_IP: Limit = Limit { name: "reset_ip", max: 10, window: Duration::hours(1) };
    /// Password reset e-mails per account per hour.
    pub const RESET_REQUESTS_PER_ACCOUNT: Limit =
        Limit { name: "reset_account", max: 3, window: Duration::hours(1) };
    /// Tokens and keys one user may create per hour.
    pub const TOKENS_PER_USER: Limit = Limit { name: "token_user", max: 20, window: Duration::hours(1) };
    /// Tokens and keys created from one address per hour.
    pub const TOKENS_PER_IP: Limit = Limit { name: "token_ip", max: 30, window: Duration::hours(1) };
    /// Captcha pictures drawn for one address per 10 minutes.
    pub const CAPTCHAS_PER_IP: Limit = Limit { name: "captcha_ip", max: 60, window: Duration::minutes(10) };
    /// Wrong passwords for protected items from one address before it is locked for 15
    /// minutes (the site's unlock form; any item).
    pub const ITEM_PASSWORD_FAILURES_PER_IP: Limit =
        Limit { name: "item_password_fail_ip", max: 10, window: Duration::minutes(15) };
}

/// How long a built-in captcha may be answered.
pub const CAPTCHA_LIFETIME: Duration = Duration::minutes(10);

/// The counter subject for a client address: the address itself for IPv4, its /64 for
/// IPv6 (one subscriber usually holds a whole /64).
pub fn ip_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn rate_limited(retry_after: u64) -> CoreError {
    let mut error = CoreError::new(ErrorCode::RateLimited).with_detail(
        format!("too many attempts; try again in {retry_after} seconds"),
        format!("尝试次数过多，请在 {retry_after} 秒后重试"),
    );
    error.retry_after_secs = Some(retry_after);
    error
}

fn retry_after(window: RateWindow, limit: &Limit, now: DateTime<Utc>) -> u64 {
    (window.window_start + limit.window - now).num_seconds().max(1) as u64
}

/// What a client shows to ask for a captcha.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptchaOffer {
    /// A built-in picture; answer with its `id` and the characters read.
    Image { id: String, png: Vec<u8>, expires_at: DateTime<Utc> },
    /// A third-party widget; answer with the response token it yields.
    Widget { provider: String, site_key: String },
}

/// A caller's answer to a captcha: `id` and `answer` for the built-in picture, `response`
/// for a third-party widget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptchaAnswer {
    pub id: Option<String>,
    pub answer: Option<String>,
    pub response: Option<String>,
}

fn captcha_failed() -> CoreError {
    CoreError::new(ErrorCode::CaptchaFailed)
        .with_field("captcha")
        .with_detail("the captcha is missing, expired or wrong", "验证码缺失、已过期或错误")
}

impl Core {
    fn limit_key(limit: &Limit, subject: &str) -> String {
        format!("{}:{}", limit.name, subject.to_lowercase())
    }

    /// Counts one attempt against `limit` for `subject`. Errors: `rate_limited` (with
    /// `retry_after_secs`) once the window holds more than `max` attempts.
    pub async fn rate_limit(&self, limit: &Limit, subject: &str) -> CoreResult<()> {
        let now = self.now();
        let window = self.repo.hit_rate_limit(&Self::limit_key(limit, subject), limit.window, now).await?;
        if window.count > limit.max {
            self.audit(
                events::RATE_LIMITED,
                AuditFacts::default().target(format!("{}:{subject}", limit.name)),
            )
            .await;
            return Err(rate_limited(retry_after(window, limit, now)));
        }
        Ok(())
    }

    /// Errors with `rate_limited` if `subject` has reached `limit`'s failures in the
    /// current window (it is locked out); counts nothing.
    pub async fn check_lockout(&self, limit: &Limit, subject: &str) -> CoreResult<()> {
        let now = self.now();
        match self.repo.peek_rate_limit(&Self::limit_key(limit, subject), limit.window, now).await? {
            Some(window) if window.count >= limit.max => Err(rate_limited(retry_after(window, limit, now))),
            _ => Ok(()),
        }
    }

    /// Counts one failure; returns whether this one locked `subject` out.
    pub async fn count_failure(&self, limit: &Limit, subject: &str) -> CoreResult<bool> {
        let window =
            self.repo.hit_rate_limit(&Self::limit_key(limit, subject), limit.window, self.now()).await?;
        Ok(window.count == limit.max)
    }

    /// Forgets the failures of `subject` (after a success).
    pub async fn clear_failures(&self, limit: &Limit, subject: &str) -> CoreResult<()> {
        self.repo.clear_rate_limit(&Self::limit_key(limit, subject)).await
    }

    /// The third-party widget to embed when captchas are remote ([`CaptchaOffer::Widget`]);
    /// `None` when they are built-in pictures. Unlike [`Core::new_captcha`] it draws and
    /// stores nothing, so a page can say which kind to show before anyone asks for one.
    pub fn captcha_widget(&self) -> Option<CaptchaOffer> {
        match &self.services.captcha {
            CaptchaBackend::Remote(verifier) => Some(CaptchaOffer::Widget {
                provider: verifier.provider().to_string(),
                site_key: verifier.site_key().to_string(),
            }),
            CaptchaBackend::Builtin(_) => None,
        }
    }

    /// A captcha to show: a new built-in picture, or the widget to embed.
    ///
    /// Errors: `rate_limited` after 60 pictures for one address in 10 minutes.
    pub async fn new_captcha(&self, client: Option<IpAddr>) -> CoreResult<CaptchaOffer> {
        let drawer = match &self.services.captcha {
            CaptchaBackend::Remote(verifier) => {
                return Ok(CaptchaOffer::Widget {
                    provider: verifier.provider().to_string(),
                    site_key: verifier.site_key().to_string(),
                });
            }
            CaptchaBackend::Builtin(drawer) => drawer.clone(),
        };
        if let Some(ip) = client {
            self.rate_limit(&limits::CAPTCHAS_PER_IP, &ip_subject(ip)).await?;
        }
        let picture =
            tokio::task::spawn_blocking(move || drawer.draw()).await.map_err(CoreError::internal)?;
        let id = secrets::new_secret("");
        let expires_at = self.now() + CAPTCHA_LIFETIME;
        self.repo
            .insert_captcha(CaptchaChallenge {
                id: id.clone(),
                answer_hash: secrets::digest(&picture.answer.to_lowercase()),
                expires_at,
            })
            .await?;
        Ok(CaptchaOffer::Image { id, png: picture.png, expires_at })
    }

    /// Checks a captcha answer. A built-in challenge is used up by the check, right or
    /// wrong.
    ///
    /// Errors: `captcha_failed` when missing, expired, used or wrong; `internal` when a
    /// third-party provider cannot be reached.
    pub async fn verify_captcha(&self, answer: &CaptchaAnswer, client: Option<IpAddr>) -> CoreResult<()> {
        let ok = match &self.services.captcha {
            CaptchaBackend::Remote(verifier) => match answer.response.as_deref().map(str::trim) {
                Some(response) if !response.is_empty() => verifier.verify(response, client).await?,
                _ => false,
            },
            CaptchaBackend::Builtin(_) => match (&answer.id, &answer.answer) {
                (Some(id), Some(given)) => match self.repo.take_captcha(id.trim(), self.now()).await? {
                    Some(challenge) => secrets::constant_time_eq(
                        &secrets::digest(&given.trim().to_lowercase()),
                        &challenge.answer_hash,
                    ),
                    None => false,
                },
                _ => false,
            },
        };
        if ok { Ok(()) } else { Err(captcha_failed()) }
    }

    /// Removes expired captcha challenges, replay records and rate-limit windows older
    /// than a day.
    pub async fn sweep_abuse_records(&self) -> CoreResult<u64> {
        let now = self.now();
        Ok(self.repo.delete_expired_captchas(now).await?
            + self.repo.delete_expired_signatures(now).await?
            + self.repo.delete_stale_rate_limits(now - Duration::days(1)).await?)
    }
}

/// Detail for a lockout event.
pub(crate) fn lockout_detail(limit: &Limit) -> serde_json::Value {
    json!({ "limit": limit.name, "max": limit.max, "window_secs": limit.window.num_seconds() })
}
