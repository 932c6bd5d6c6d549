//! API keys: site integration credentials with ulthon's permission flags, accepted as is
//! (ulthon `Authorization: Bearer` / `X-API-Key`, emlog `api_key`, Qexo `token`, Flarum
//! `Token`) or through an emlog signature `req_sign = md5(req_time . key)`.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use md5::{Digest, Md5};
use serde_json::json;

use crate::Core;
use crate::abuse::{ip_subject, limits};
use crate::accounts::TOUCH_INTERVAL;
use crate::audit::{AuditFacts, events};
use crate::error::{CoreError, CoreResult};
use crate::model::Role;
use crate::permission::{Action, Actor, CredentialKind, KeyGrant, Principal, Resource};
use crate::ports::{ApiKey, ApiKeyPatch, NewApiKey};
use crate::secrets;

/// API keys start with this.
pub const API_KEY_PREFIX: &str = "isk_";
/// Most entries in a key's IP allow list.
pub const MAX_ALLOWED_IPS: usize = 100;

/// A key to create (see [`Core::create_api_key`]).
#[derive(Debug, Clone, Default)]
pub struct ApiKeyRequest {
    pub name: String,
    /// The user the key acts as; `None`: the site's first active admin.
    pub user_id: Option<i64>,
    pub grant: KeyGrant,
    /// Addresses (`203.0.113.7`) or CIDR ranges (`10.0.0.0/8`); empty: anywhere.
    pub allowed_ips: Vec<String>,
}

fn check_key_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid("name", "needs 1 to 100 characters", "需要 1 到 100 个字符"));
    }
    Ok(name.to_string())
}

/// Canonical allow-list entries. Errors: `invalid_input` naming the bad entry.
fn check_allowed_ips(entries: Vec<String>) -> CoreResult<Vec<String>> {
    if entries.len() > MAX_ALLOWED_IPS {
        return Err(CoreError::invalid(
            "allowed_ips",
            format!("at most {MAX_ALLOWED_IPS} entries"),
            format!("最多 {MAX_ALLOWED_IPS} 项"),
        ));
    }
    let mut canonical = Vec::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let parsed = entry
            .parse::<ipnet::IpNet>()
            .map(|net| net.trunc().to_string())
            .or_else(|_| entry.parse::<IpAddr>().map(|ip| ip.to_string()));
        match parsed {
            Ok(value) if !canonical.contains(&value) => canonical.push(value),
            Ok(_) => {}
            Err(_) => {
                return Err(CoreError::invalid(
                    "allowed_ips",
                    format!("`{entry}` is not an IP address or CIDR range"),
                    format!("`{entry}` 不是 IP 地址或 CIDR 网段"),
                ));
            }
        }
    }
    Ok(canonical)
}

/// Whether `client` may use a key with this allow list. An unknown client address (no
/// socket, as in in-process calls) passes only an empty list.
pub fn ip_allowed(allowed: &[String], client: Option<IpAddr>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(ip) = client else { return false };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    allowed.iter().any(|entry| match entry.parse::<ipnet::IpNet>() {
        Ok(net) => net.contains(&ip),
        Err(_) => entry.parse::<IpAddr>().is_ok_and(|allowed| allowed == ip),
    })
}

/// emlog's signature: lower-case hex MD5 of the request time followed by the key.
pub fn emlog_signature(req_time: &str, key: &str) -> String {
    hex::encode(Md5::digest(format!("{req_time}{key}").as_bytes()))
}

impl Core {
    /// Creates an API key and returns it with its secret, shown only now. Admins (and the
    /// system actor) only.
    ///
    /// Errors: `invalid_input` (name, allow list, unknown or disabled bound user),
    /// `rate_limited` (as tokens), permission.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        request: ApiKeyRequest,
    ) -> CoreResult<(ApiKey, String)> {
        self.require(actor, Action::ManageApiKeys, Resource::Site).await?;
        let name = check_key_name(&request.name)?;
        let allowed_ips = check_allowed_ips(request.allowed_ips)?;
        if let Some(user_id) = request.user_id
            && self.active_user(user_id).await?.is_none()
        {
            return Err(CoreError::invalid("user_id", "no such active user", "用户不存在或已停用"));
        }
        if let Some(principal) = actor.principal() {
            self.rate_limit(&limits::TOKENS_PER_USER, &principal.user_id.to_string()).await?;
            if let Some(ip) = principal.client {
                self.rate_limit(&limits::TOKENS_PER_IP, &ip_subject(ip)).await?;
            }
        }
        let secret = secrets::new_secret(API_KEY_PREFIX);
        let key = self
            .repo
            .insert_api_key(NewApiKey {
                name,
                key_hash: secrets::digest(&secret),
                key_sealed: self.services.server_key.seal(&secret),
                prefix: secret.chars().take(API_KEY_PREFIX.len() + 4).collect(),
                user_id: request.user_id,
                grant: request.grant,
                allowed_ips,
                created_by: actor.user_id(),
                created_at: self.now(),
            })
            .await?;
        let facts = AuditFacts::of(actor).target(format!("api_key:{}", key.id)).detail(json!({
            "name": key.name,
            "user_id": key.user_id,
            "can_write_own": key.grant.can_write_own,
            "can_write_other": key.grant.can_write_other,
            "can_delete": key.grant.can_delete.level(),
        }));
        self.audit(events::API_KEY_CREATED, facts).await;
        Ok((key, secret))
    }

    /// Every API key, newest first. Admins only.
    pub async fn api_keys(&self, actor: &Actor) -> CoreResult<Vec<ApiKey>> {
        self.require(actor, Action::ManageApiKeys, Resource::Site).await?;
        self.repo.api_keys().await
    }

    /// One API key. Errors: `not_found`, permission.
    pub async fn api_key(&self, actor: &Actor, id: i64) -> CoreResult<ApiKey> {
        self.require(actor, Action::ManageApiKeys, Resource::Site).await?;
        self.repo.api_key_by_id(id).await?.ok_or_else(CoreError::not_found)
    }

    /// Changes a key's name, flags, allow list or enabled state.
    ///
    /// Errors: `not_found`, `invalid_input`, permission.
    pub async fn update_api_key(&self, actor: &Actor, id: i64, mut patch: ApiKeyPatch) -> CoreResult<ApiKey> {
        self.require(actor, Action::ManageApiKeys, Resource::Site).await?;
        if let Some(name) = &patch.name {
            patch.name = Some(check_key_name(name)?);
        }
        if let Some(ips) = patch.allowed_ips.take() {
            patch.allowed_ips = Some(check_allowed_ips(ips)?);
        }
        let key = self.repo.update_api_key(id, patch.clone()).await?;
        let facts = AuditFacts::of(actor).target(format!("api_key:{id}")).detail(json!({
            "enabled": patch.enabled,
            "can_write_own": patch.can_write_own,
            "can_write_other": patch.can_write_other,
            "can_delete": patch.can_delete.map(|d| d.level()),
            "allowed_ips_changed": patch.allowed_ips.is_some(),
        }));
        self.audit(events::API_KEY_UPDATED, facts).await;
        Ok(key)
    }

    /// Deletes a key; requests signed or sent with it fail from now on.
    ///
    /// Errors: `not_found`, permission.
    pub async fn revoke_api_key(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageApiKeys, Resource::Site).await?;
        if !self.repo.delete_api_key(id).await? {
            return Err(CoreError::not_found());
        }
        self.audit(events::API_KEY_REVOKED, AuditFacts::of(actor).target(format!("api_key:{id}"))).await;
        Ok(())
    }

    /// The principal a usable key acts as, or `None` (disabled, address not allowed, its
    /// user disabled, no active admin for an unbound key). Records use and refusals.
    async fn key_principal(
        &self,
        key: &ApiKey,
        credential: CredentialKind,
        client: Option<IpAddr>,
    ) -> CoreResult<Option<Principal>> {
        let refuse = |reason: &'static str| {
            AuditFacts { credential: Some(credential.as_str()), ..AuditFacts::default() }
                .ip(client)
                .target(format!("api_key:{}", key.id))
                .detail(json!({ "reason": reason }))
        };
        if !key.enabled {
            self.audit(events::API_KEY_REFUSED, refuse("disabled")).await;
            return Ok(None);
        }
        if !ip_allowed(&key.allowed_ips, client) {
            self.audit(events::API_KEY_REFUSED, refuse("address_not_allowed")).await;
            return Ok(None);
        }
        let user = match key.user_id {
            Some(user_id) => self.active_user(user_id).await?,
            None => self.repo.first_admin().await?,
        };
        let Some(user) = user else {
            self.audit(events::API_KEY_REFUSED, refuse("user_disabled")).await;
            return Ok(None);
        };
        let now = self.now();
        if key.last_used_at.is_none_or(|at| now - at > TOUCH_INTERVAL) {
            let ip = client.map(|ip| ip.to_string());
            self.repo.touch_api_key(key.id, now, ip.as_deref()).await?;
            let facts = AuditFacts { credential: Some(credential.as_str()), ..AuditFacts::default() }
                .user(user.id)
                .ip(client)
                .target(format!("api_key:{}", key.id));
            self.audit(events::API_KEY_USED, facts).await;
        }
        let role = if key.user_id.is_some() { user.role } else { Role::Admin };
        Ok(Some(Principal { key: Some(key.grant), client, ..Principal::new(user.id, role, credential) }))
    }

    /// Resolves an API key sent as is; `None` if unknown or unusable (see the refusals
    /// recorded in the audit log).
    pub async fn authenticate_api_key(
        &self,
        raw: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<Option<Principal>> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match self.repo.api_key_by_hash(&secrets::digest(raw)).await? {
            Some(key) => self.key_principal(&key, CredentialKind::ApiKey, client).await,
            None => Ok(None),
        }
    }

    /// Resolves an emlog signed request: `req_sign` must be `md5(req_time . key)` for an
    /// enabled key, `req_time` (Unix seconds) within the `auth.signature_window_secs`
    /// setting of now (default 10 minutes, either side), and the signature not seen
    /// before: each is accepted once (our divergence from emlog, where a signature is valid
    /// forever). `None` otherwise.
    pub async fn authenticate_signature(
        &self,
        req_time: &str,
        req_sign: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<Option<Principal>> {
        let req_time = req_time.trim();
        let req_sign = req_sign.trim().to_ascii_lowercase();
        let Ok(seconds) = req_time.parse::<i64>() else { return Ok(None) };
        let Some(signed_at) = DateTime::<Utc>::from_timestamp(seconds, 0) else { return Ok(None) };
        let window = self.settings().signature_window();
        let now = self.now();
        if (now - signed_at).abs() > window || req_sign.len() != 32 {
            return Ok(None);
        }
        let keys = self.repo.api_keys().await?;
        let Some(key) = keys.iter().find(|key| {
            self.services
                .server_key
                .open(&key.key_sealed)
                .is_some_and(|raw| secrets::constant_time_eq(&emlog_signature(req_time, &raw), &req_sign))
        }) else {
            return Ok(None);
        };
        // Remembered until it could no longer pass the time check anyway.
        if !self.repo.remember_signature(key.id, &req_sign, signed_at + window).await? {
            let facts = AuditFacts {
                credential: Some(CredentialKind::SignedRequest.as_str()),
                ..AuditFacts::default()
            }
            .ip(client)
            .target(format!("api_key:{}", key.id));
            self.audit(events::SIGNATURE_REPLAYED, facts).await;
            return Ok(None);
        }
        self.key_principal(key, CredentialKind::SignedRequest, client).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_emlog() {
        // `printf 12 | md5sum`
        assert_eq!(emlog_signature("1", "2"), "c20ad4d76fe97759aa27a0c99bff6710");
    }

    #[test]
    fn allow_lists_take_addresses_and_ranges() {
        let list =
            check_allowed_ips(vec!["10.1.2.3/8".into(), " 203.0.113.7 ".into(), "::1".into()]).unwrap();
        assert_eq!(list, ["10.0.0.0/8", "203.0.113.7", "::1"]);
        assert!(ip_allowed(&list, Some("10.200.0.1".parse().unwrap())));
        assert!(ip_allowed(&list, Some("::ffff:203.0.113.7".parse().unwrap())));
        assert!(!ip_allowed(&list, Some("203.0.113.8".parse().unwrap())));
        assert!(!ip_allowed(&list, None));
        assert!(ip_allowed(&[], None));
        assert!(check_allowed_ips(vec!["example.com".into()]).is_err());
    }
}
