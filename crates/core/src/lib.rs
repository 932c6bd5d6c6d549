//! Inkstone's domain core: the model, the use cases, the one permission check and the
//! ports storage implements. No HTTP and no SQL here; every API is an adapter over [`Core`].

pub mod abuse;
pub mod accounts;
pub mod apikeys;
pub mod audit;
pub mod comments;
pub mod content;
pub mod error;
pub mod events;
pub mod favorites;
pub mod likes;
pub mod links;
pub mod locale;
pub mod media;
pub mod model;
pub mod notes;
pub mod notifications;
pub mod paging;
pub mod permission;
pub mod ports;
pub mod sealing;
pub mod secrets;
pub mod self_service;
pub mod settings;
pub mod stats;
pub mod taxonomy;
pub mod users;
pub mod webhooks;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

pub use error::{CoreError, CoreResult, ErrorCode};
pub use locale::Locale;
pub use permission::Actor;
pub use settings::Settings;

use ports::{CaptchaDrawer, CaptchaVerifier, Clock, Mailer, Repository};
use sealing::ServerKey;

/// Where captcha challenges come from.
#[derive(Clone)]
pub enum CaptchaBackend {
    /// Pictures drawn by the server; answers checked against the database.
    Builtin(Arc<dyn CaptchaDrawer>),
    /// A third-party widget (reCAPTCHA, hCaptcha, Turnstile) whose response tokens the
    /// provider verifies.
    Remote(Arc<dyn CaptchaVerifier>),
}

/// What the core needs beyond storage and time.
#[derive(Clone)]
pub struct Services {
    /// Seals secrets a legacy scheme must see raw (see [`sealing`]).
    pub server_key: ServerKey,
    pub mailer: Arc<dyn Mailer>,
    pub captcha: CaptchaBackend,
}

/// The use cases, over a repository and a clock. Cheap to share behind an `Arc`.
pub struct Core {
    repo: Arc<dyn Repository>,
    clock: Arc<dyn Clock>,
    services: Services,
    settings: RwLock<Arc<Settings>>,
    /// Settings reloads that found a change (made by another process).
    settings_changes: std::sync::atomic::AtomicU64,
    /// Wakes the webhook delivery worker when deliveries are queued.
    webhook_wakeup: tokio::sync::Notify,
}

impl Core {
    /// A core over `repo`, with settings loaded from it.
    pub async fn new(
        repo: Arc<dyn Repository>,
        clock: Arc<dyn Clock>,
        services: Services,
    ) -> CoreResult<Core> {
        let core = Core {
            repo,
            clock,
            services,
            settings: RwLock::new(Arc::new(Settings::default())),
            settings_changes: std::sync::atomic::AtomicU64::new(0),
            webhook_wakeup: tokio::sync::Notify::new(),
        };
        core.reload_settings().await?;
        Ok(core)
    }

    /// The current time by the core's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The settings as last loaded. Servers reload every second, so a change made by
    /// another process shows within two seconds.
    pub fn settings(&self) -> Arc<Settings> {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads settings from storage; returns whether they changed.
    pub async fn reload_settings(&self) -> CoreResult<bool> {
        let fresh = Settings::from_stored(self.repo.all_settings().await?);
        let mut current = self.settings.write().unwrap_or_else(|e| e.into_inner());
        let changed = **current != fresh;
        if changed {
            *current = Arc::new(fresh);
            self.settings_changes.fetch_add(1, std::sync::atomic::Ordering::Release);
        }
        Ok(changed)
    }

    /// The settings `actor` may read, in key order: all of them for those who may change
    /// them, the public `site.*` ones for everyone else.
    pub fn visible_settings(&self, actor: &Actor) -> Vec<(String, String)> {
        let all =
            permission::authorize(actor, permission::Action::ManageSettings, permission::Resource::Site)
                .is_ok();
        self.settings()
            .iter()
            .filter(|(key, _)| all || key.starts_with("site."))
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    /// Changes several settings: every value is validated before any is written.
    ///
    /// Errors: `invalid_input` (none given, unknown key, bad value), permission.
    pub async fn set_settings(&self, actor: &Actor, values: &[(String, String)]) -> CoreResult<()> {
        self.require(actor, permission::Action::ManageSettings, permission::Resource::Site).await?;
        if values.is_empty() {
            return Err(
                CoreError::new(ErrorCode::InvalidInput).with_detail("no settings given", "没有提供任何设置")
            );
        }
        for (key, value) in values {
            settings::validate(key, value)?;
        }
        for (key, value) in values {
            self.set_setting(actor, key, value).await?;
        }
        Ok(())
    }

    /// Changes a setting after validating it; returns the canonical value stored.
    ///
    /// Errors: `invalid_input` (unknown key, bad value), permission.
    pub async fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> CoreResult<String> {
        self.require(actor, permission::Action::ManageSettings, permission::Resource::Site).await?;
        let value = settings::validate(key, value)?;
        self.repo.set_setting(key, &value).await?;
        self.reload_settings().await?;
        Ok(value)
    }

    /// Grows with every committed change readers could see, made by this process. See
    /// [`ports::ChangeCounter`].
    pub fn content_generation(&self) -> u64 {
        self.repo.generation() + self.settings_changes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A stable, install-specific hex SHA-256 of `purpose` and the server key, for names
    /// that must differ between installations (emlog's `EM_AUTHCOOKIE_<hash>` cookie). It is
    /// one-way: it reveals nothing of the key.
    pub fn install_digest(&self, purpose: &str) -> String {
        secrets::digest_parts(&[purpose, &self.services.server_key.to_base64()])
    }

    /// Removes expired sessions, captcha challenges, replay records, old rate-limit
    /// windows and past days' visitor hashes; returns how many rows went.
    pub async fn sweep_sessions(&self) -> CoreResult<u64> {
        Ok(self.repo.delete_expired_sessions(self.now()).await?
            + self.sweep_abuse_records().await?
            + self.sweep_stats().await?)
    }
}
