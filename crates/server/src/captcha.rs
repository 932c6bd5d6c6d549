//! Captcha backends: pictures drawn by the server (the default, no third party involved) or
//! a third-party widget whose tokens the provider's `siteverify` endpoint checks.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use async_trait::async_trait;
use inkstone_core::CaptchaBackend;
use inkstone_core::ports::{CaptchaDrawer, CaptchaPicture, CaptchaVerifier};
use inkstone_core::{CoreError, CoreResult};
use serde::Deserialize;

use crate::config::Config;

/// The characters drawn: upper case (answers are compared case-insensitively) with the
/// easily confused ones left out (0/O/Q/D, 1/I/L, 2/Z, 5/S, 6/G, 8/B, 9/g, U/V).
pub const CAPTCHA_ALPHABET: &[char] =
    &['A', 'C', 'E', 'F', 'H', 'J', 'K', 'M', 'N', 'P', 'R', 'T', 'W', 'X', 'Y', '3', '4', '7'];
/// Characters per picture.
pub const CAPTCHA_LENGTH: u32 = 5;
/// Picture size in pixels.
pub const CAPTCHA_WIDTH: u32 = 220;
pub const CAPTCHA_HEIGHT: u32 = 80;

/// How long a provider may take to answer before the request is refused.
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// The captcha backend the configuration asks for: `builtin` (also when no provider is
/// set) or `recaptcha`, `hcaptcha`, `turnstile` with their site key and secret.
///
/// Errors: an unknown provider; a third-party provider without site key or secret (the
/// message names the config key and environment variable to set); a `captcha_verify_url`
/// that is not http(s).
pub fn captcha_from_config(config: &Config) -> anyhow::Result<CaptchaBackend> {
    let provider = config.captcha_provider.as_deref().unwrap_or("builtin");
    if provider == "builtin" {
        if config.captcha_verify_url.is_some() {
            tracing::warn!("captcha_verify_url is ignored: the captcha provider is builtin");
        }
        return Ok(CaptchaBackend::Builtin(Arc::new(BuiltinCaptcha)));
    }
    let Some(default_url) = siteverify_url(provider) else {
        bail!(
            "captcha_provider (INKSTONE_CAPTCHA_PROVIDER) `{provider}` is unknown; expected builtin, \
             recaptcha, hcaptcha or turnstile"
        );
    };
    let site_key = config.captcha_site_key.as_deref();
    let secret = config.captcha_secret.as_ref().map(|s| s.expose());
    let missing: Vec<&str> = [
        site_key.is_none().then_some("a site key (captcha_site_key / INKSTONE_CAPTCHA_SITE_KEY)"),
        secret.is_none().then_some("a secret (captcha_secret / INKSTONE_CAPTCHA_SECRET)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        bail!("captcha provider `{provider}` needs {}", missing.join(" and "));
    }
    let url = config.captcha_verify_url.as_deref().unwrap_or(default_url);
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("captcha_verify_url (INKSTONE_CAPTCHA_VERIFY_URL) `{url}` is not an http(s) URL");
    }
    let verifier = SiteVerify::new(provider, site_key.unwrap_or_default(), secret.unwrap_or_default(), url);
    tracing::info!(provider, "captcha responses are verified by the provider");
    Ok(CaptchaBackend::Remote(Arc::new(verifier)))
}

/// The provider's `siteverify` endpoint, or `None` for an unknown provider.
pub fn siteverify_url(provider: &str) -> Option<&'static str> {
    match provider {
        "recaptcha" => Some("https://www.google.com/recaptcha/api/siteverify"),
        "hcaptcha" => Some("https://api.hcaptcha.com/siteverify"),
        "turnstile" => Some("https://challenges.cloudflare.com/turnstile/v0/siteverify"),
        _ => None,
    }
}

/// Draws [`CAPTCHA_LENGTH`] characters from [`CAPTCHA_ALPHABET`] with noise, a wave and
/// dots, as a [`CAPTCHA_WIDTH`] x [`CAPTCHA_HEIGHT`] PNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinCaptcha;

impl CaptchaDrawer for BuiltinCaptcha {
    fn draw(&self) -> CaptchaPicture {
        use captcha::filters::{Dots, Noise, Wave};
        let mut picture = captcha::Captcha::new();
        picture
            .set_chars(CAPTCHA_ALPHABET)
            .add_chars(CAPTCHA_LENGTH)
            .apply_filter(Noise::new(0.2))
            .apply_filter(Wave::new(2.0, 8.0))
            .view(CAPTCHA_WIDTH, CAPTCHA_HEIGHT)
            .apply_filter(Dots::new(8).min_radius(2).max_radius(4));
        let png = picture.as_png().expect("PNG encoding of an in-memory RGB picture cannot fail");
        CaptchaPicture { answer: picture.chars_as_string(), png }
    }
}

/// A [`CaptchaVerifier`] speaking the `siteverify` exchange shared by reCAPTCHA, hCaptcha
/// and Turnstile: POST form `secret`, `response`, optional `remoteip`; JSON reply with a
/// boolean `success`.
#[derive(Clone)]
pub struct SiteVerify {
    provider: String,
    site_key: String,
    secret: String,
    url: String,
    agent: ureq::Agent,
}

impl SiteVerify {
    /// A verifier posting to `url` (normally [`siteverify_url`] of `provider`), giving up
    /// after [`VERIFY_TIMEOUT`].
    pub fn new(provider: &str, site_key: &str, secret: &str, url: &str) -> SiteVerify {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_global(Some(VERIFY_TIMEOUT))
                .http_status_as_error(false)
                .build(),
        );
        SiteVerify {
            provider: provider.to_string(),
            site_key: site_key.to_string(),
            secret: secret.to_string(),
            url: url.to_string(),
            agent,
        }
    }

    /// Blocking; run on a blocking thread.
    fn post(&self, response: &str, client: Option<IpAddr>) -> Result<bool, String> {
        #[derive(Deserialize)]
        struct Reply {
            success: bool,
        }
        let client = client.map(|ip| ip.to_string());
        let mut form = vec![("secret", self.secret.as_str()), ("response", response)];
        if let Some(ip) = &client {
            form.push(("remoteip", ip.as_str()));
        }
        let mut reply = self.agent.post(&self.url).send_form(form).map_err(|err| err.to_string())?;
        let status = reply.status();
        if !status.is_success() {
            return Err(format!("HTTP status {status}"));
        }
        let reply: Reply = reply.body_mut().read_json().map_err(|err| format!("unexpected reply: {err}"))?;
        Ok(reply.success)
    }
}

impl std::fmt::Debug for SiteVerify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteVerify")
            .field("provider", &self.provider)
            .field("site_key", &self.site_key)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl CaptchaVerifier for SiteVerify {
    fn provider(&self) -> &str {
        &self.provider
    }

    fn site_key(&self) -> &str {
        &self.site_key
    }

    async fn verify(&self, response: &str, client: Option<IpAddr>) -> CoreResult<bool> {
        // No widget answer at all: nothing a provider could accept, so spare the round trip.
        if response.trim().is_empty() {
            return Ok(false);
        }
        let this = self.clone();
        let response = response.to_string();
        let outcome = tokio::task::spawn_blocking(move || this.post(&response, client))
            .await
            .map_err(|err| CoreError::internal(format!("captcha verification task failed: {err}")))?;
        outcome.map_err(|err| {
            CoreError::internal(format!("captcha provider {} could not be asked: {err}", self.provider))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be_u32(bytes: &[u8]) -> u32 {
        u32::from_be_bytes(bytes.try_into().unwrap())
    }

    #[test]
    fn builtin_pictures_are_pngs_of_five_allowed_characters() {
        let mut answers = std::collections::HashSet::new();
        for _ in 0..5 {
            let picture = BuiltinCaptcha.draw();
            assert_eq!(&picture.png[..8], b"\x89PNG\r\n\x1a\n");
            assert_eq!(&picture.png[12..16], b"IHDR");
            assert_eq!(be_u32(&picture.png[16..20]), CAPTCHA_WIDTH);
            assert_eq!(be_u32(&picture.png[20..24]), CAPTCHA_HEIGHT);
            assert_eq!(picture.answer.chars().count(), CAPTCHA_LENGTH as usize, "{}", picture.answer);
            assert!(picture.answer.chars().all(|c| CAPTCHA_ALPHABET.contains(&c)), "{}", picture.answer);
            answers.insert(picture.answer);
        }
        assert!(answers.len() > 1, "answers vary");
    }

    #[test]
    fn every_alphabet_character_exists_in_the_font() {
        let supported = captcha::Captcha::new().supported_chars();
        assert!(CAPTCHA_ALPHABET.iter().all(|c| supported.contains(c)));
    }

    /// A stand-in provider on 127.0.0.1 accepting `good-token` with secret `s3cret`, and
    /// recording each form it receives.
    async fn fake_provider() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let app = axum::Router::new().route(
            "/siteverify",
            axum::routing::post(move |body: String| {
                let log = log.clone();
                async move {
                    let fields: Vec<&str> = body.split('&').collect();
                    let ok = fields.contains(&"secret=s3cret") && fields.contains(&"response=good-token");
                    log.lock().unwrap().push(body.clone());
                    axum::Json(serde_json::json!({ "success": ok, "error-codes": [] }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/siteverify"), seen)
    }

    fn config_for(provider: &str, url: &str) -> Config {
        let vars = [
            ("INKSTONE_CAPTCHA_PROVIDER", provider.to_string()),
            ("INKSTONE_CAPTCHA_SITE_KEY", "site-key".to_string()),
            ("INKSTONE_CAPTCHA_SECRET", "s3cret".to_string()),
            ("INKSTONE_CAPTCHA_VERIFY_URL", url.to_string()),
        ];
        Config::resolve_with_env(None, None, None, None, None, &|name| {
            vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    #[tokio::test]
    async fn siteverify_accepts_only_what_the_provider_accepts() {
        let (url, seen) = fake_provider().await;
        let CaptchaBackend::Remote(verifier) = captcha_from_config(&config_for("Turnstile", &url)).unwrap()
        else {
            panic!("a remote backend");
        };
        assert_eq!(verifier.provider(), "turnstile");
        assert_eq!(verifier.site_key(), "site-key");
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(verifier.verify("good-token", Some(client)).await.unwrap());
        assert!(!verifier.verify("bad-token", None).await.unwrap());
        assert!(!verifier.verify("", None).await.unwrap());
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "an empty response is refused without asking: {seen:?}");
        assert!(seen[0].contains("remoteip=203.0.113.7"), "{}", seen[0]);
        assert!(!seen[1].contains("remoteip"), "{}", seen[1]);
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_an_internal_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let verifier =
            SiteVerify::new("hcaptcha", "site-key", "s3cret", &format!("http://{addr}/siteverify"));
        let err = verifier.verify("good-token", None).await.unwrap_err();
        assert_eq!(err.code, inkstone_core::ErrorCode::Internal);
        assert!(!format!("{verifier:?}").contains("s3cret"));
    }

    #[test]
    fn provider_configuration_is_checked() {
        let builtin = Config::resolve_with_env(None, None, None, None, None, &|_| None).unwrap();
        assert!(matches!(captcha_from_config(&builtin).unwrap(), CaptchaBackend::Builtin(_)));

        let missing_secret = Config::resolve_with_env(None, None, None, None, None, &|name| match name {
            "INKSTONE_CAPTCHA_PROVIDER" => Some("recaptcha".into()),
            "INKSTONE_CAPTCHA_SITE_KEY" => Some("site".into()),
            _ => None,
        })
        .unwrap();
        let text = captcha_from_config(&missing_secret).err().unwrap().to_string();
        assert!(text.contains("INKSTONE_CAPTCHA_SECRET") && !text.contains("SITE_KEY"), "{text}");

        let missing_both = Config::resolve_with_env(None, None, None, None, None, &|name| {
            (name == "INKSTONE_CAPTCHA_PROVIDER").then(|| "hcaptcha".into())
        })
        .unwrap();
        let text = captcha_from_config(&missing_both).err().unwrap().to_string();
        assert!(
            text.contains("INKSTONE_CAPTCHA_SITE_KEY") && text.contains("INKSTONE_CAPTCHA_SECRET"),
            "{text}"
        );

        let text = captcha_from_config(&config_for("geetest", "https://x")).err().unwrap().to_string();
        assert!(text.contains("geetest") && text.contains("turnstile"), "{text}");
        let text = captcha_from_config(&config_for("hcaptcha", "ftp://x")).err().unwrap().to_string();
        assert!(text.contains("INKSTONE_CAPTCHA_VERIFY_URL"), "{text}");
        for provider in ["recaptcha", "hcaptcha", "turnstile"] {
            assert!(siteverify_url(provider).unwrap().starts_with("https://"));
        }
    }
}
