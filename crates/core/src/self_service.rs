//! What a person does for their own account outside the native forms: tickets a browser
//! carries between the steps of a flow (sealed under the server key, so the client learns
//! nothing and can forge nothing), and setting a new password from a browser session.

use chrono::Duration;
use serde_json::json;

use crate::Core;
use crate::accounts::hash_password;
use crate::audit::{AuditFacts, events};
use crate::error::{CoreError, CoreResult};
use crate::permission::{Action, Actor, CredentialKind, Resource};
use crate::secrets;

impl Core {
    /// Seals `value` for a client to carry (a cookie) until `ttl` has passed: encrypted and
    /// authenticated under the server key (ChaCha20-Poly1305), bound to `purpose`. The
    /// result is URL- and cookie-safe base64. Used by emlog's two-step password reset,
    /// which keeps the e-mail between the steps.
    pub fn seal_ticket(&self, purpose: &str, value: &str, ttl: Duration) -> String {
        let expires = (self.now() + ttl).timestamp();
        let plain = json!({ "p": purpose, "e": expires, "v": value }).to_string();
        self.services.server_key.seal(&plain).replace('+', "-").replace('/', "_")
    }

    /// Opens a [`Core::seal_ticket`] result: the value, or `None` when it was sealed for
    /// another purpose or under another key, was tampered with, or has expired.
    pub fn open_ticket(&self, purpose: &str, sealed: &str) -> Option<String> {
        let standard = sealed.trim().replace('-', "+").replace('_', "/");
        let plain = self.services.server_key.open(&standard)?;
        let ticket: serde_json::Value = serde_json::from_str(&plain).ok()?;
        let fresh = ticket["e"].as_i64().is_some_and(|e| e > self.now().timestamp());
        (ticket["p"] == purpose && fresh).then(|| ticket["v"].as_str().map(str::to_string)).flatten()
    }

    /// Sets the actor's password without asking for the current one, for platforms whose
    /// signed-in profile page works that way (emlog `blogger.php?action=change_password`).
    /// Only a browser session may (not a token, key or Basic auth). Every other session and
    /// login-made token of the user ends; the session whose id hash is `keep_session`
    /// stays.
    ///
    /// Errors: `unauthenticated`; `forbidden` through any credential but a session;
    /// `invalid_input` (the new password: at least 8 characters).
    pub async fn set_password_in_session(
        &self,
        actor: &Actor,
        new_password: &str,
        keep_session: Option<&str>,
    ) -> CoreResult<()> {
        self.require(actor, Action::ManageOwnCredentials, Resource::Site).await?;
        let principal = actor.principal().ok_or_else(CoreError::unauthenticated)?;
        if principal.credential != CredentialKind::Session {
            return Err(CoreError::forbidden().with_detail(
                "only a browser session sets a password without the current one",
                "只有浏览器登录会话可以不验证原密码修改密码",
            ));
        }
        let me = self.me(actor).await?;
        secrets::check_new_password(new_password)?;
        let hash = hash_password(new_password.to_string()).await?;
        self.repo.set_password_hash(me.id, &hash, keep_session).await?;
        self.audit(events::PASSWORD_CHANGED, AuditFacts::of(actor)).await;
        Ok(())
    }
}
