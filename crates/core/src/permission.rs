//! The one permission check: `authorize(actor, action, resource)`.
//!
//! Every API calls [`authorize`] (through the services) before it reads anything non-public
//! or writes anything. The rules are a pure function of who acts, what they do and to what,
//! so the whole matrix is a table in the tests.

use crate::error::{CoreError, ErrorCode};
use crate::model::{ItemKind, ItemStatus, Origin, Role};

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A session cookie from `POST /api/v1/auth/login`.
    Session,
    /// A login-made bearer token (Flarum `session` / `session_remember`) or a `developer`
    /// token.
    AccessToken,
    /// A personal access token (`pat_...`).
    PersonalAccessToken,
    /// An API key sent as is (`Authorization: Bearer`, `X-API-Key`, emlog `api_key`,
    /// Qexo `token`, Flarum `Token`).
    ApiKey,
    /// An emlog signature `req_sign = md5(req_time . key)` made with an API key.
    SignedRequest,
    /// HTTP Basic with username and password, when the `auth.basic_enabled` setting is on.
    Basic,
}

impl CredentialKind {
    /// The spelling in the audit log, e.g. `api_key`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::AccessToken => "access_token",
            CredentialKind::PersonalAccessToken => "personal_access_token",
            CredentialKind::ApiKey => "api_key",
            CredentialKind::SignedRequest => "signed_request",
            CredentialKind::Basic => "basic",
        }
    }

    /// Whether the credential is a person's own sign-in (not a delegate or integration),
    /// which alone may mint and revoke credentials.
    pub fn is_interactive(self) -> bool {
        matches!(self, CredentialKind::Session | CredentialKind::AccessToken | CredentialKind::Basic)
    }
}

/// What an API key may delete, ulthon's `can_delete`: 0 nothing, 1 what was created through
/// an API key (origin `api`), 2 everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum DeleteGrant {
    #[default]
    Nothing,
    ApiOrigin,
    Everything,
}

impl DeleteGrant {
    /// The ulthon level: 0, 1 or 2.
    pub fn level(self) -> u8 {
        match self {
            DeleteGrant::Nothing => 0,
            DeleteGrant::ApiOrigin => 1,
            DeleteGrant::Everything => 2,
        }
    }

    pub fn from_level(level: u8) -> Option<DeleteGrant> {
        match level {
            0 => Some(DeleteGrant::Nothing),
            1 => Some(DeleteGrant::ApiOrigin),
            2 => Some(DeleteGrant::Everything),
            _ => None,
        }
    }

    /// A `can_delete` level as clients send it (ulthon: an integer 0, 1 or 2).
    /// Errors: `invalid_input` naming `field`.
    pub fn parse_level(value: i64, field: &str) -> Result<DeleteGrant, CoreError> {
        u8::try_from(value)
            .ok()
            .and_then(DeleteGrant::from_level)
            .ok_or_else(|| CoreError::invalid(field, "must be 0, 1 or 2", "必须是 0、1 或 2"))
    }
}

impl From<DeleteGrant> for u8 {
    fn from(grant: DeleteGrant) -> u8 {
        grant.level()
    }
}

impl TryFrom<u8> for DeleteGrant {
    type Error = String;

    fn try_from(level: u8) -> Result<Self, Self::Error> {
        DeleteGrant::from_level(level).ok_or_else(|| format!("can_delete must be 0, 1 or 2, not {level}"))
    }
}

/// The permission flags of an API key, exactly as the ulthon API document defines them:
/// `can_write_own` covers items created through an API key (origin `api`), `can_write_other`
/// everything else, `can_delete` as [`DeleteGrant`]. Every key may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct KeyGrant {
    pub can_write_own: bool,
    pub can_write_other: bool,
    pub can_delete: DeleteGrant,
}

impl KeyGrant {
    /// A `can_write_own` / `can_write_other` flag as clients send it (ulthon: an integer 0
    /// or 1). Errors: `invalid_input` naming `field`.
    pub fn parse_flag(value: i64, field: &str) -> Result<bool, CoreError> {
        match value {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CoreError::invalid(field, "must be 0 or 1", "必须是 0 或 1")),
        }
    }

    /// The grant from the three wire integers. Errors: `invalid_input` naming the field.
    pub fn from_wire(
        can_write_own: i64,
        can_write_other: i64,
        can_delete: i64,
    ) -> Result<KeyGrant, CoreError> {
        Ok(KeyGrant {
            can_write_own: KeyGrant::parse_flag(can_write_own, "can_write_own")?,
            can_write_other: KeyGrant::parse_flag(can_write_other, "can_write_other")?,
            can_delete: DeleteGrant::parse_level(can_delete, "can_delete")?,
        })
    }

    /// Read-only: all flags 0.
    pub const READ_ONLY: KeyGrant =
        KeyGrant { can_write_own: false, can_write_other: false, can_delete: DeleteGrant::Nothing };
    /// Everything: 1, 1, 2.
    pub const FULL: KeyGrant =
        KeyGrant { can_write_own: true, can_write_other: true, can_delete: DeleteGrant::Everything };
}

/// A narrowing of what a personal access token may do. A token without scopes may do
/// whatever its owner may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// Read non-public content (drafts, private items, revisions).
    #[serde(rename = "content:read")]
    ContentRead,
    /// Create, edit, publish, trash and delete content.
    #[serde(rename = "content:write")]
    ContentWrite,
    /// Create, edit and delete categories and tags.
    #[serde(rename = "taxonomy:write")]
    TaxonomyWrite,
    /// Change site settings.
    #[serde(rename = "settings:write")]
    SettingsWrite,
    /// Manage accounts and API keys, read the audit log.
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: &'static [Scope] =
        &[Scope::ContentRead, Scope::ContentWrite, Scope::TaxonomyWrite, Scope::SettingsWrite, Scope::Admin];

    /// The wire spelling, e.g. `content:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContentRead => "content:read",
            Scope::ContentWrite => "content:write",
            Scope::TaxonomyWrite => "taxonomy:write",
            Scope::SettingsWrite => "settings:write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.iter().copied().find(|s| s.as_str() == text)
    }
}

/// A signed-in user acting through one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub role: Role,
    pub credential: CredentialKind,
    /// `None`: everything the role allows. `Some`: only actions these scopes cover.
    pub scopes: Option<Vec<Scope>>,
    /// Set when acting through an API key (sent as is or as a signature): its flags narrow
    /// what the user may do.
    pub key: Option<KeyGrant>,
    /// Where the request came from, for the audit log.
    pub client: Option<std::net::IpAddr>,
}

impl Principal {
    /// A user acting with all their role's rights through `credential`.
    pub fn new(user_id: i64, role: Role, credential: CredentialKind) -> Principal {
        Principal { user_id, role, credential, scopes: None, key: None, client: None }
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User(Principal),
    /// The operator at the command line (whoever can read the data directory) and the
    /// server's own jobs, such as the scheduler. Allowed everything.
    System,
}

impl Actor {
    pub fn user_id(&self) -> Option<i64> {
        self.principal().map(|p| p.user_id)
    }

    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::User(p) => Some(p),
            Actor::Anonymous | Actor::System => None,
        }
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read an item (its state decides whether that needs rights).
    View,
    /// Read an item's revisions.
    ViewRevisions,
    /// Create an item of a kind.
    Create,
    /// Change an item's fields or restore it from the trash.
    Edit,
    /// Move an item to the trash (for roles, like `Edit`; for API keys, like `Delete`:
    /// ulthon's `articles/delete` is a soft delete).
    Trash,
    /// Publish, schedule, make private, or unpublish.
    Publish,
    /// Delete permanently.
    Delete,
    /// Pin an item site-wide or in its categories: it shows before everyone else's.
    Pin,
    /// Create, change or delete a category or change or delete a tag.
    ManageTaxonomy,
    /// Create a new tag while writing an item.
    CreateTag,
    /// Change site settings.
    ManageSettings,
    /// Create, list and revoke one's own tokens.
    ManageOwnCredentials,
    /// List, create, change and disable accounts; make invitations.
    ManageUsers,
    /// Create, list, change and revoke API keys.
    ManageApiKeys,
    /// Read the security event log.
    ViewAuditLog,
    /// Write a comment on an item (`Resource::Item`). Open to anonymous visitors on public
    /// items; whether the item takes comments is the comment service's rule.
    Comment,
    /// Like an item, a comment or a note: allowed to whoever may see it.
    Like,
    /// Approve, hold, mark as spam, hide or trash comments, and see commenters' e-mail, IP
    /// and user agent: on one item's comments (`Resource::Item`, its author may) or on all
    /// of them (`Resource::Site`, editors and admins).
    Moderate,
    /// Upload media (`Resource::Site`).
    Upload,
    /// Read the media library (`Resource::Site`) or one record in it (`Resource::Media`):
    /// those who may upload read their own uploads, editors and admins everyone's. An API
    /// key reads as its user, whatever its write flags.
    BrowseMedia,
    /// Create, change and delete friend links and review applications.
    ManageLinks,
    /// Read page-view statistics.
    ViewStats,
    /// Read, mark and delete one's own notifications.
    ReadNotifications,
    /// Send notifications to other users through the API.
    ManageNotifications,
    /// Create, change and delete webhooks and read their delivery log.
    ManageWebhooks,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: &'static [Action] = &[
        Action::View,
        Action::ViewRevisions,
        Action::Create,
        Action::Edit,
        Action::Trash,
        Action::Publish,
        Action::Delete,
        Action::Pin,
        Action::ManageTaxonomy,
        Action::CreateTag,
        Action::ManageSettings,
        Action::ManageOwnCredentials,
        Action::ManageUsers,
        Action::ManageApiKeys,
        Action::ViewAuditLog,
        Action::Comment,
        Action::Like,
        Action::Moderate,
        Action::Upload,
        Action::BrowseMedia,
        Action::ManageLinks,
        Action::ViewStats,
        Action::ReadNotifications,
        Action::ManageNotifications,
        Action::ManageWebhooks,
    ];

    /// The spelling in the audit log, e.g. `manage_taxonomy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::ViewRevisions => "view_revisions",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Trash => "trash",
            Action::Publish => "publish",
            Action::Delete => "delete",
            Action::Pin => "pin",
            Action::ManageTaxonomy => "manage_taxonomy",
            Action::CreateTag => "create_tag",
            Action::ManageSettings => "manage_settings",
            Action::ManageOwnCredentials => "manage_own_credentials",
            Action::ManageUsers => "manage_users",
            Action::ManageApiKeys => "manage_api_keys",
            Action::ViewAuditLog => "view_audit_log",
            Action::Comment => "comment",
            Action::Like => "like",
            Action::Moderate => "moderate",
            Action::Upload => "upload",
            Action::BrowseMedia => "browse_media",
            Action::ManageLinks => "manage_links",
            Action::ViewStats => "view_stats",
            Action::ReadNotifications => "read_notifications",
            Action::ManageNotifications => "manage_notifications",
            Action::ManageWebhooks => "manage_webhooks",
        }
    }
}

/// What the action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The site as a whole (settings, taxonomies, one's own credentials).
    Site,
    /// A kind of item that does not exist yet.
    NewItem { kind: ItemKind },
    /// An existing item.
    Item { kind: ItemKind, author_id: i64, status: ItemStatus, origin: Origin },
    /// A comment: who wrote the item it is on, and who wrote it (`None` for a guest).
    Comment { item_author_id: i64, author_id: Option<i64> },
    /// A note that does not exist yet.
    NewNote,
    /// A short note (emlog 微语, Qexo 说说).
    Note { author_id: i64, private: bool, origin: Origin },
    /// An uploaded file.
    Media { uploader_id: i64, origin: Origin },
}

impl Resource {
    /// The spelling in the audit log, e.g. `item`, `new_post`.
    pub fn describe(self) -> String {
        match self {
            Resource::Site => "site".into(),
            Resource::NewItem { kind } => format!("new_{kind}"),
            Resource::Item { kind, .. } => kind.to_string(),
            Resource::Comment { .. } => "comment".into(),
            Resource::NewNote => "new_note".into(),
            Resource::Note { .. } => "note".into(),
            Resource::Media { .. } => "media".into(),
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Nobody is signed in and the action needs someone.
    NotSignedIn,
    /// The role does not allow it.
    Role,
    /// The token's scopes do not cover it.
    Scope,
    /// The item belongs to someone else.
    NotOwner,
    /// The item's state does not allow it for this role (a contributor editing a published
    /// post).
    State,
    /// The API key's flags do not allow it.
    KeyFlags,
}

impl Denial {
    /// The spelling in the audit log, e.g. `key_flags`.
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::NotSignedIn => "not_signed_in",
            Denial::Role => "role",
            Denial::Scope => "scope",
            Denial::NotOwner => "not_owner",
            Denial::State => "state",
            Denial::KeyFlags => "key_flags",
        }
    }

    /// Converts to the error APIs render: `unauthenticated` when nobody is signed in,
    /// `forbidden` otherwise.
    pub fn into_error(self) -> CoreError {
        let (en, zh) = match self {
            Denial::NotSignedIn => ("sign in first", "请先登录"),
            Denial::Role => ("your role does not allow this", "你的角色不允许此操作"),
            Denial::Scope => ("the token's scopes do not cover this", "令牌的权限范围不包含此操作"),
            Denial::NotOwner => ("this belongs to someone else", "这不是你的内容"),
            Denial::State => (
                "your role does not allow this in the item's current state",
                "你的角色不能在内容当前状态下执行此操作",
            ),
            Denial::KeyFlags => ("the API key's permissions do not allow this", "API Key 权限不足"),
        };
        let code =
            if self == Denial::NotSignedIn { ErrorCode::Unauthenticated } else { ErrorCode::Forbidden };
        CoreError::new(code).with_detail(en, zh)
    }
}

/// Whether an item in `status` is visible to everyone.
pub fn is_public(status: ItemStatus) -> bool {
    status == ItemStatus::Published
}

/// Whether anyone, signed in or not, may do `action` to `resource`: read what is public,
/// and comment on or like it.
fn open_to_anyone(action: Action, resource: Resource) -> bool {
    match (action, resource) {
        (Action::View | Action::Comment | Action::Like, Resource::Item { status, .. }) => is_public(status),
        (Action::View | Action::Like, Resource::Comment { .. }) | (Action::View, Resource::Media { .. }) => {
            true
        }
        (Action::View | Action::Like, Resource::Note { private, .. }) => !private,
        _ => false,
    }
}

fn required_scope(action: Action, resource: Resource) -> Option<Scope> {
    match action {
        Action::View | Action::ViewRevisions => match resource {
            _ if action == Action::View && open_to_anyone(action, resource) => None,
            _ => Some(Scope::ContentRead),
        },
        Action::Comment | Action::Like | Action::Moderate | Action::Upload => Some(Scope::ContentWrite),
        Action::ViewStats | Action::ReadNotifications | Action::BrowseMedia => Some(Scope::ContentRead),
        Action::ManageLinks | Action::ManageWebhooks => Some(Scope::SettingsWrite),
        Action::ManageNotifications => Some(Scope::Admin),
        Action::Create
        | Action::Edit
        | Action::Trash
        | Action::Publish
        | Action::Delete
        | Action::Pin
        | Action::CreateTag => Some(Scope::ContentWrite),
        Action::ManageTaxonomy => Some(Scope::TaxonomyWrite),
        Action::ManageSettings => Some(Scope::SettingsWrite),
        Action::ManageUsers | Action::ManageApiKeys | Action::ViewAuditLog => Some(Scope::Admin),
        // Only interactive credentials mint or revoke credentials; checked separately.
        Action::ManageOwnCredentials => None,
    }
}

/// What an API key's flags allow, before the acting user's role is asked. Keys read
/// whatever their user may; they write content by origin (ulthon's table), delete by
/// `can_delete`, create tags when they may write at all, and never manage the site,
/// people or credentials.
fn key_allows(grant: KeyGrant, action: Action, resource: Resource) -> bool {
    let may_write = |origin: Origin| {
        if origin == Origin::Api { grant.can_write_own } else { grant.can_write_other }
    };
    match (action, resource) {
        (Action::View | Action::ViewRevisions | Action::ReadNotifications | Action::BrowseMedia, _) => true,
        (Action::Create | Action::Upload, _) => grant.can_write_own,
        (Action::CreateTag | Action::Comment | Action::Like, _) => {
            grant.can_write_own || grant.can_write_other
        }
        (Action::Moderate | Action::ManageLinks, _) => grant.can_write_other,
        (Action::ViewStats, _) => true,
        (
            Action::Edit | Action::Publish | Action::Pin,
            Resource::Item { origin, .. } | Resource::Note { origin, .. } | Resource::Media { origin, .. },
        ) => may_write(origin),
        (Action::Edit, Resource::Comment { .. }) => grant.can_write_other,
        (
            Action::Trash | Action::Delete,
            Resource::Item { origin, .. } | Resource::Note { origin, .. } | Resource::Media { origin, .. },
        ) => match grant.can_delete {
            DeleteGrant::Everything => true,
            DeleteGrant::ApiOrigin => origin == Origin::Api,
            DeleteGrant::Nothing => false,
        },
        (Action::Trash | Action::Delete, Resource::Comment { .. }) => {
            grant.can_delete == DeleteGrant::Everything
        }
        _ => false,
    }
}

/// Decides whether `actor` may do `action` to `resource`.
///
/// Roles: admins may do everything; editors everything but settings, people, API keys and
/// the audit log; authors write and publish their own posts (not pages) and create tags,
/// but do not pin; contributors write their own posts while unpublished and cannot
/// publish; subscribers and anonymous callers read what is public. Then, in this order:
/// only interactive sign-ins (session, access token, Basic) manage credentials; an API
/// key's flags narrow its user's rights (see [`KeyGrant`]); a personal access token's
/// scopes narrow its owner's rights.
pub fn authorize(actor: &Actor, action: Action, resource: Resource) -> Result<(), Denial> {
    let public_read = open_to_anyone(action, resource);
    let principal = match actor {
        Actor::Anonymous if public_read => return Ok(()),
        Actor::Anonymous => return Err(Denial::NotSignedIn),
        Actor::System => return Ok(()),
        Actor::User(principal) => principal,
    };
    if action == Action::ManageOwnCredentials && !principal.credential.is_interactive() {
        return Err(if principal.key.is_some() { Denial::KeyFlags } else { Denial::Scope });
    }
    if let Some(grant) = principal.key
        && !key_allows(grant, action, resource)
    {
        return Err(Denial::KeyFlags);
    }
    if let (Some(scopes), Some(needed)) = (&principal.scopes, required_scope(action, resource))
        && !scopes.contains(&needed)
    {
        return Err(Denial::Scope);
    }
    if public_read {
        return Ok(());
    }
    let role = principal.role;
    match role {
        Role::Admin => return Ok(()),
        Role::Editor => {
            return match action {
                Action::ManageSettings
                | Action::ManageUsers
                | Action::ManageApiKeys
                | Action::ViewAuditLog
                | Action::ManageWebhooks => Err(Denial::Role),
                _ => Ok(()),
            };
        }
        _ => {}
    }
    let own = |owner: i64| if owner == principal.user_id { Ok(()) } else { Err(Denial::NotOwner) };
    match (action, resource) {
        (Action::ManageOwnCredentials | Action::ReadNotifications, _) => Ok(()),
        (
            Action::ManageSettings
            | Action::ManageTaxonomy
            | Action::Pin
            | Action::ManageUsers
            | Action::ManageApiKeys
            | Action::ViewAuditLog
            | Action::ManageLinks
            | Action::ViewStats
            | Action::ManageNotifications
            | Action::ManageWebhooks,
            _,
        ) => Err(Denial::Role),
        (Action::BrowseMedia, Resource::Media { uploader_id, .. }) => match role {
            Role::Subscriber => Err(Denial::Role),
            _ => own(uploader_id),
        },
        (Action::Upload | Action::BrowseMedia, _) => match role {
            Role::Subscriber => Err(Denial::Role),
            _ => Ok(()),
        },
        // Signed-in readers comment on and like what they may see.
        (Action::Comment | Action::Like, Resource::Item { .. }) => authorize(actor, Action::View, resource),
        (Action::Moderate, Resource::Item { author_id, .. }) => match role {
            Role::Author => own(author_id),
            _ => Err(Denial::Role),
        },
        (Action::Moderate, _) => Err(Denial::Role),
        (_, Resource::Comment { item_author_id, author_id }) => match action {
            Action::View | Action::Like => Ok(()),
            // A commenter edits and withdraws their own words; an author moderates the
            // comments on their own items.
            Action::Edit | Action::Trash if author_id == Some(principal.user_id) => Ok(()),
            Action::Edit | Action::Trash | Action::Delete if role == Role::Author => own(item_author_id),
            _ => Err(Denial::NotOwner),
        },
        (Action::Create, Resource::NewNote) => match role {
            Role::Author => Ok(()),
            _ => Err(Denial::Role),
        },
        (_, Resource::Note { author_id, private, .. }) => match action {
            Action::View | Action::Like if !private => Ok(()),
            Action::View | Action::Like => own(author_id),
            Action::Edit | Action::Trash | Action::Delete if role == Role::Author => own(author_id),
            Action::Edit | Action::Trash | Action::Delete => Err(Denial::Role),
            _ => Err(Denial::Role),
        },
        (_, Resource::Media { uploader_id, .. }) => match action {
            Action::View => Ok(()),
            Action::Edit | Action::Trash | Action::Delete if role != Role::Subscriber => own(uploader_id),
            _ => Err(Denial::Role),
        },
        (Action::CreateTag, _) => match role {
            Role::Author => Ok(()),
            _ => Err(Denial::Role),
        },
        (Action::Create, Resource::NewItem { kind }) => match (role, kind) {
            (Role::Author | Role::Contributor, ItemKind::Post | ItemKind::Discussion) => Ok(()),
            (Role::Subscriber, ItemKind::Discussion) => Ok(()),
            _ => Err(Denial::Role),
        },
        (_, Resource::Item { kind, author_id, status, .. }) => {
            if role == Role::Subscriber && kind != ItemKind::Discussion {
                return Err(Denial::Role);
            }
            if author_id != principal.user_id {
                return Err(Denial::NotOwner);
            }
            match (role, action) {
                (_, Action::View | Action::ViewRevisions) => Ok(()),
                (Role::Author, _) if kind == ItemKind::Page => Err(Denial::Role),
                (Role::Author, _) => Ok(()),
                (_, Action::Publish) => Err(Denial::Role),
                (_, Action::Edit | Action::Trash | Action::Delete)
                    if matches!(status, ItemStatus::Draft | ItemStatus::Trashed) =>
                {
                    Ok(())
                }
                _ => Err(Denial::State),
            }
        }
        _ => Err(Denial::Role),
    }
}

/// Whether `role` could ever use `scope` (a token's scopes are never wider than its
/// owner).
pub fn role_covers_scope(role: Role, scope: Scope) -> bool {
    let probe = |action, resource| {
        let actor = Actor::User(Principal::new(0, role, CredentialKind::Session));
        authorize(&actor, action, resource).is_ok()
    };
    let own_draft = Resource::Item {
        kind: ItemKind::Post,
        author_id: 0,
        status: ItemStatus::Draft,
        origin: Origin::Console,
    };
    match scope {
        Scope::ContentRead => probe(Action::View, own_draft),
        Scope::ContentWrite => probe(Action::Edit, own_draft),
        Scope::TaxonomyWrite => probe(Action::ManageTaxonomy, Resource::Site),
        Scope::SettingsWrite => probe(Action::ManageSettings, Resource::Site),
        Scope::Admin => probe(Action::ManageUsers, Resource::Site),
    }
}

/// [`authorize`] as a `CoreResult`, for services.
pub fn require(actor: &Actor, action: Action, resource: Resource) -> Result<(), CoreError> {
    authorize(actor, action, resource).map_err(Denial::into_error)
}

/// Which statuses `actor` sees in lists: everything, public plus their own, or public only.
pub fn list_visibility(actor: &Actor) -> crate::ports::Visibility {
    use crate::ports::Visibility;
    let probe = |author_id| Resource::Item {
        kind: ItemKind::Post,
        author_id,
        status: ItemStatus::Draft,
        origin: Origin::Console,
    };
    match actor {
        Actor::System => Visibility::All,
        Actor::Anonymous => Visibility::Public,
        Actor::User(p) => {
            if authorize(actor, Action::View, probe(-1)).is_ok() {
                Visibility::All
            } else if authorize(actor, Action::View, probe(p.user_id)).is_ok() {
                Visibility::PublicAndOwn(p.user_id)
            } else {
                Visibility::Public
            }
        }
    }
}
