//! Wire shapes of the identity endpoints (users, invitations, API keys, the audit log)
//! and their conversion from the core's types.

use chrono::{DateTime, Utc};
use inkstone_core::model::User;
use inkstone_core::ports::{ApiKey, AuditEvent, Invite};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::dto::{double_option, rfc3339};

fn rfc3339_opt(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(rfc3339)
}

// ----- users -----

/// A user. Everyone sees the profile; `email`, `status` and `last_seen_at` are present
/// only for the user themselves and for admins.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    pub bio: Option<String>,
    /// `admin`, `editor`, `author`, `contributor` or `subscriber`.
    pub role: String,
    pub created_at: String,
    /// Private: present only for the user themselves and admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `active` or `disabled`. Private: present only for the user themselves and admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Last sign-in with a password (RFC 3339), `null` if never. Private: present only
    /// for the user themselves and admins.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub last_seen_at: Option<Option<String>>,
}

impl UserOut {
    /// The profile, with the private fields when `private`.
    pub fn new(user: User, private: bool) -> Self {
        UserOut {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            avatar: user.avatar,
            bio: user.bio,
            role: user.role.as_str().into(),
            created_at: rfc3339(user.created_at),
            email: private.then_some(user.email),
            status: private.then(|| user.status.as_str().to_string()),
            last_seen_at: private.then(|| rfc3339_opt(user.last_seen_at)),
        }
    }
}

/// Filters and paging of `GET /api/v1/users`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; 20 by default.
    pub per_page: Option<i64>,
    /// Only this role: `admin`, `editor`, `author`, `contributor` or `subscriber`.
    pub role: Option<String>,
    /// Only this status: `active` or `disabled`.
    pub status: Option<String>,
    /// Part of the username, display name or e-mail (case-insensitive).
    pub q: Option<String>,
}

/// A page of users, in the order they joined.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A user to create (admins).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    pub username: String,
    pub email: String,
    /// The initial password.
    pub password: String,
    /// The username when absent.
    pub display_name: Option<String>,
    /// `admin`, `editor`, `author`, `contributor` or `subscriber`.
    pub role: String,
}

/// A partial account update (admins). Absent fields stay; `null` or `""` clears `avatar`
/// and `bio`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchDto {
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Avatar URL.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    /// `admin`, `editor`, `author`, `contributor` or `subscriber`. The last active admin
    /// cannot be demoted (409 `invalid_state`).
    pub role: Option<String>,
    /// `active` or `disabled`. Disabling ends the user's sessions and tokens and stops
    /// their API keys; the last active admin cannot be disabled.
    pub status: Option<String>,
}

// ----- invitations -----

/// An invitation to register (without its code).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteOut {
    pub id: i64,
    /// The role the new account gets.
    pub role: String,
    /// The admin who made it.
    pub created_by: Option<i64>,
    pub created_at: String,
    pub expires_at: String,
    /// The account registered with it, once used.
    pub used_by: Option<i64>,
    pub used_at: Option<String>,
}

impl From<Invite> for InviteOut {
    fn from(i: Invite) -> Self {
        InviteOut {
            id: i.id,
            role: i.role.as_str().into(),
            created_by: i.created_by,
            created_at: rfc3339(i.created_at),
            expires_at: rfc3339(i.expires_at),
            used_by: i.used_by,
            used_at: rfc3339_opt(i.used_at),
        }
    }
}

/// Invitations, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteList {
    pub items: Vec<InviteOut>,
}

/// An invitation to make.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteCreate {
    /// Any role but `admin`; the site's default role (`auth.default_role`) when absent.
    pub role: Option<String>,
    /// 1 to 90; 7 when absent.
    pub expires_in_days: Option<i64>,
}

/// A new invitation: the code is shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedInvite {
    pub invite: InviteOut,
    /// `inv_...`: give it to the person to register with.
    pub code: String,
}

// ----- API keys -----

/// An API key (never its secret). The flags are ulthon's integers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, to recognise it (`isk_abcd`).
    pub prefix: String,
    /// The user the key acts as; `null`: the site's first active admin.
    pub user_id: Option<i64>,
    /// 1: may create and change content made through the API.
    pub can_write_own: u8,
    /// 1: may change content made elsewhere (console, imports).
    pub can_write_other: u8,
    /// 0: may delete nothing; 1: content made through the API; 2: anything.
    pub can_delete: u8,
    /// Addresses or CIDR ranges the key is accepted from; empty: anywhere.
    pub allowed_ips: Vec<String>,
    /// A disabled key is refused.
    pub enabled: bool,
    /// The admin who made it.
    pub created_by: Option<i64>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// The address it was last used from.
    pub last_ip: Option<String>,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(k: ApiKey) -> Self {
        ApiKeyOut {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            user_id: k.user_id,
            can_write_own: k.grant.can_write_own.into(),
            can_write_other: k.grant.can_write_other.into(),
            can_delete: k.grant.can_delete.level(),
            allowed_ips: k.allowed_ips,
            enabled: k.enabled,
            created_by: k.created_by,
            created_at: rfc3339(k.created_at),
            last_used_at: rfc3339_opt(k.last_used_at),
            last_ip: k.last_ip,
        }
    }
}

/// API keys, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKeyOut>,
}

/// An API key to create (admins).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// 1 to 100 characters.
    pub name: String,
    /// The user the key acts as (their role applies, narrowed by the flags); the site's
    /// first active admin when absent.
    pub user_id: Option<i64>,
    /// 0 or 1: may create and change content made through the API.
    pub can_write_own: i64,
    /// 0 or 1: may change content made elsewhere (console, imports).
    pub can_write_other: i64,
    /// 0: delete nothing; 1: content made through the API; 2: anything.
    pub can_delete: i64,
    /// Addresses (`203.0.113.7`) or CIDR ranges (`10.0.0.0/8`); anywhere when absent or
    /// empty.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

/// A partial API key update. Flags given are merged with the key's current ones; `null`
/// or `[]` for `allowed_ips` accepts the key from anywhere.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyPatchDto {
    pub name: Option<String>,
    /// 0 or 1.
    pub can_write_own: Option<i64>,
    /// 0 or 1.
    pub can_write_other: Option<i64>,
    /// 0, 1 or 2.
    pub can_delete: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_ips: Option<Option<Vec<String>>>,
    pub enabled: Option<bool>,
}

/// A new API key: the secret is shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    pub api_key: ApiKeyOut,
    /// `isk_...`: send as `Authorization: Bearer`, `X-API-Key`, or use it to sign requests.
    pub key: String,
}

// ----- audit log -----

/// Filters and paging of `GET /api/v1/audit-log`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 200; 50 by default.
    pub per_page: Option<i64>,
    /// An event name (`login.failed`) or a prefix ending in `.` (`login.`).
    pub event: Option<String>,
    /// Only events of this user.
    pub user_id: Option<i64>,
}

/// One security event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventOut {
    pub id: i64,
    /// When it happened (RFC 3339).
    pub at: String,
    /// Dotted name, e.g. `login.failed`, `api_key.created`, `permission.denied`.
    pub event: String,
    /// The user who acted or was acted for, when known.
    pub user_id: Option<i64>,
    /// How they authenticated (`session`, `personal_access_token`, `api_key`,
    /// `signed_request`, ...), when they did.
    pub credential: Option<String>,
    /// The client address, when known.
    pub ip: Option<String>,
    /// What the event is about, e.g. `api_key:3`, `user:12`, `account:alice`.
    pub target: Option<String>,
    /// Event-specific facts; never a secret.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        AuditEventOut {
            id: e.id,
            at: rfc3339(e.at),
            event: e.event,
            user_id: e.user_id,
            credential: e.credential,
            ip: e.ip,
            target: e.target,
            detail: e.detail,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}
