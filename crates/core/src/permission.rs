//! The one permission check: `authorize(actor, action, resource)`.
//!
//! Every API calls [`authorize`] (through the services) before it reads anything non-public
//! or writes anything. The rules are a pure function of who acts, what they do and to what,
//! so the whole matrix is a table in the tests.

use crate::error::{CoreError, ErrorCode};
use crate::model::{ItemKind, ItemStatus, Role};

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A session cookie from `POST /api/v1/auth/login`.
    Session,
    /// A personal access token (`pat_...`).
    PersonalAccessToken,
    /// HTTP Basic with username and password, when the `auth.basic_enabled` setting is on.
    Basic,
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
}

impl Scope {
    pub const ALL: &'static [Scope] =
        &[Scope::ContentRead, Scope::ContentWrite, Scope::TaxonomyWrite, Scope::SettingsWrite];

    /// The wire spelling, e.g. `content:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContentRead => "content:read",
            Scope::ContentWrite => "content:write",
            Scope::TaxonomyWrite => "taxonomy:write",
            Scope::SettingsWrite => "settings:write",
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
    /// Change an item's fields, trash or restore it.
    Edit,
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
}

/// What the action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The site as a whole (settings, taxonomies, one's own credentials).
    Site,
    /// A kind of item that does not exist yet.
    NewItem { kind: ItemKind },
    /// An existing item.
    Item { kind: ItemKind, author_id: i64, status: ItemStatus },
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
}

impl Denial {
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

fn required_scope(action: Action, resource: Resource) -> Option<Scope> {
    match action {
        Action::View | Action::ViewRevisions => match resource {
            Resource::Item { status, .. } if is_public(status) && action == Action::View => None,
            _ => Some(Scope::ContentRead),
        },
        Action::Create
        | Action::Edit
        | Action::Publish
        | Action::Delete
        | Action::Pin
        | Action::CreateTag => Some(Scope::ContentWrite),
        Action::ManageTaxonomy => Some(Scope::TaxonomyWrite),
        Action::ManageSettings => Some(Scope::SettingsWrite),
        // Tokens never mint or revoke credentials; only sessions and the CLI do.
        Action::ManageOwnCredentials => None,
    }
}

/// Decides whether `actor` may do `action` to `resource`.
///
/// Roles: admins may do everything; editors everything but settings; authors write and
/// publish their own posts (not pages) and create tags, but do not pin; contributors write their own posts
/// while unpublished and cannot publish; subscribers and anonymous callers read what is
/// public. Scopes of a personal access token narrow its owner's rights further, and tokens
/// cannot manage credentials.
pub fn authorize(actor: &Actor, action: Action, resource: Resource) -> Result<(), Denial> {
    let public_read =
        action == Action::View && matches!(resource, Resource::Item { status, .. } if is_public(status));
    let principal = match actor {
        Actor::Anonymous if public_read => return Ok(()),
        Actor::Anonymous => return Err(Denial::NotSignedIn),
        Actor::System => return Ok(()),
        Actor::User(principal) => principal,
    };
    if principal.credential == CredentialKind::PersonalAccessToken && action == Action::ManageOwnCredentials {
        return Err(Denial::Scope);
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
            return if action == Action::ManageSettings { Err(Denial::Role) } else { Ok(()) };
        }
        _ => {}
    }
    match (action, resource) {
        (Action::ManageOwnCredentials, _) => Ok(()),
        (Action::ManageSettings | Action::ManageTaxonomy | Action::Pin, _) => Err(Denial::Role),
        (Action::CreateTag, _) => match role {
            Role::Author => Ok(()),
            _ => Err(Denial::Role),
        },
        (Action::Create, Resource::NewItem { kind }) => match (role, kind) {
            (Role::Author | Role::Contributor, ItemKind::Post | ItemKind::Discussion) => Ok(()),
            (Role::Subscriber, ItemKind::Discussion) => Ok(()),
            _ => Err(Denial::Role),
        },
        (_, Resource::Item { kind, author_id, status }) => {
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
                (_, Action::Edit | Action::Delete)
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

/// [`authorize`] as a `CoreResult`, for services.
pub fn require(actor: &Actor, action: Action, resource: Resource) -> Result<(), CoreError> {
    authorize(actor, action, resource).map_err(Denial::into_error)
}

/// Which statuses `actor` sees in lists: everything, public plus their own, or public only.
pub fn list_visibility(actor: &Actor) -> crate::ports::Visibility {
    use crate::ports::Visibility;
    let probe = |author_id| Resource::Item { kind: ItemKind::Post, author_id, status: ItemStatus::Draft };
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
