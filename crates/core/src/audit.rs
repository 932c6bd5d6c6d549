//! The security event log: sign-ins and their failures, lockouts, credentials made, used
//! and revoked, and permission denials. Admins read it through the API; it never holds a
//! secret.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::Core;
use crate::error::CoreResult;
use crate::permission::{Action, Actor, Denial, Resource, authorize};
use crate::ports::{AuditEvent, AuditQuery, NewAuditEvent};

/// Event names, stable for clients filtering the log.
pub mod events {
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGIN_LOCKED: &str = "login.locked";
    pub const LOGOUT: &str = "logout";
    pub const PASSWORD_CHANGED: &str = "password.changed";
    pub const PASSWORD_RESET_REQUESTED: &str = "password.reset_requested";
    pub const PASSWORD_RESET_COMPLETED: &str = "password.reset_completed";
    pub const PASSWORD_RESET_FAILED: &str = "password.reset_failed";
    pub const USER_REGISTERED: &str = "user.registered";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_UPDATED: &str = "user.updated";
    pub const INVITE_CREATED: &str = "invite.created";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_USED: &str = "token.used";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const API_KEY_CREATED: &str = "api_key.created";
    pub const API_KEY_USED: &str = "api_key.used";
    pub const API_KEY_UPDATED: &str = "api_key.updated";
    pub const API_KEY_REVOKED: &str = "api_key.revoked";
    pub const API_KEY_REFUSED: &str = "api_key.refused";
    pub const SIGNATURE_REPLAYED: &str = "signature.replayed";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const PERMISSION_DENIED: &str = "permission.denied";
}

/// What an event is about, besides its name.
#[derive(Debug, Clone, Default)]
pub struct AuditFacts {
    pub user_id: Option<i64>,
    pub credential: Option<&'static str>,
    pub ip: Option<IpAddr>,
    pub target: Option<String>,
    pub detail: Value,
}

impl AuditFacts {
    /// Facts about whoever `actor` is.
    pub fn of(actor: &Actor) -> AuditFacts {
        match actor.principal() {
            Some(p) => AuditFacts {
                user_id: Some(p.user_id),
                credential: Some(p.credential.as_str()),
                ip: p.client,
                ..AuditFacts::default()
            },
            None => AuditFacts::default(),
        }
    }

    pub fn user(mut self, user_id: i64) -> AuditFacts {
        self.user_id = Some(user_id);
        self
    }

    pub fn ip(mut self, ip: Option<IpAddr>) -> AuditFacts {
        self.ip = ip.or(self.ip);
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> AuditFacts {
        self.target = Some(target.into());
        self
    }

    pub fn detail(mut self, detail: Value) -> AuditFacts {
        self.detail = detail;
        self
    }
}

/// Largest page of the audit log.
pub const MAX_PAGE: i64 = 200;

impl Core {
    /// Records a security event. A failure to record is logged, not returned: losing an
    /// audit row must not fail the request it describes.
    pub async fn audit(&self, event: &str, facts: AuditFacts) {
        let record = NewAuditEvent {
            at: self.now(),
            event: event.to_string(),
            user_id: facts.user_id,
            credential: facts.credential.map(str::to_string),
            ip: facts.ip.map(|ip| ip.to_string()),
            target: facts.target,
            detail: if facts.detail.is_null() { json!({}) } else { facts.detail },
        };
        if let Err(err) = self.repo.insert_audit_event(record).await {
            tracing::error!(event, error = %err, "cannot write the audit log");
        }
    }

    /// The permission check every use case runs: [`authorize`], with a `permission.denied`
    /// event recorded when a signed-in caller is refused.
    ///
    /// Errors: `unauthenticated` (nobody signed in), `forbidden` (with the reason).
    pub async fn require(&self, actor: &Actor, action: Action, resource: Resource) -> CoreResult<()> {
        match authorize(actor, action, resource) {
            Ok(()) => Ok(()),
            Err(Denial::NotSignedIn) => Err(Denial::NotSignedIn.into_error()),
            Err(denial) => {
                let facts = AuditFacts::of(actor).detail(json!({
                    "action": action.as_str(),
                    "resource": resource.describe(),
                    "reason": denial.as_str(),
                }));
                self.audit(crate::audit::events::PERMISSION_DENIED, facts).await;
                Err(denial.into_error())
            }
        }
    }

    /// A page of the audit log, newest first, with the total. Admins only.
    ///
    /// Errors: permission; `invalid_input` for a page size outside 1..=200.
    pub async fn audit_log(&self, actor: &Actor, query: AuditQuery) -> CoreResult<(Vec<AuditEvent>, i64)> {
        self.require(actor, Action::ViewAuditLog, Resource::Site).await?;
        crate::paging::check_per_page(query.limit, MAX_PAGE)?;
        self.repo.audit_events(&query).await
    }
}
