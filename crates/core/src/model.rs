//! The domain model (DESIGN section 2): users, content items, revisions, taxonomies.
//!
//! Ids are positive `i64`s assigned by the database. Times are UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Declares a string-valued enum with `as_str`, `parse` and `ALL`, serialized in snake_case.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire spelling; `None` for anything else.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Parses the wire spelling or fails with `invalid_input` naming `field`.
            pub fn parse_field(text: &str, field: &str) -> Result<$name, CoreError> {
                $name::parse(text).ok_or_else(|| {
                    let allowed = [$($text),+].join(", ");
                    CoreError::invalid(
                        field,
                        format!("`{text}` is not one of: {allowed}"),
                        format!("`{text}` 不是可选值之一：{allowed}"),
                    )
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// A user's role, from most to least trusted.
    Role {
        Admin = "admin",
        Editor = "editor",
        Author = "author",
        Contributor = "contributor",
        Subscriber = "subscriber",
    }
}

string_enum! {
    /// Whether a user may sign in.
    UserStatus { Active = "active", Disabled = "disabled" }
}

string_enum! {
    /// What a content item is.
    ItemKind { Post = "post", Page = "page", Discussion = "discussion" }
}

string_enum! {
    /// Where an item is in its lifecycle.
    ItemStatus {
        Draft = "draft",
        /// Waiting for its `published_at`; the scheduler publishes it then.
        Scheduled = "scheduled",
        Published = "published",
        /// Published but visible only to its author and editors.
        Private = "private",
        Trashed = "trashed",
    }
}

string_enum! {
    /// The language an item's body source is written in.
    BodyFormat { Markdown = "markdown", Html = "html" }
}

string_enum! {
    /// How an item came to be: through an API key, a signed-in person, or an import.
    Origin { Api = "api", Console = "console", Import = "import" }
}

string_enum! {
    /// A bearer token a user holds. Personal access tokens (`pat_...`) are delegates with
    /// optional scopes and expiry; the other three are Flarum's access token types.
    AccessTokenKind {
        Personal = "personal",
        /// Expires after 1 hour without use (Flarum `session`).
        Session = "session",
        /// Expires after 5 years without use (Flarum `session_remember`).
        SessionRemember = "session_remember",
        /// Never expires (Flarum `developer`).
        Developer = "developer",
    }
}

impl AccessTokenKind {
    /// How long the token lives without being used; `None`: until revoked or its fixed
    /// expiry.
    pub fn idle_timeout(self) -> Option<chrono::Duration> {
        match self {
            AccessTokenKind::Session => Some(chrono::Duration::hours(1)),
            AccessTokenKind::SessionRemember => Some(chrono::Duration::days(5 * 365)),
            AccessTokenKind::Personal | AccessTokenKind::Developer => None,
        }
    }

    /// Whether signing out revokes it (the login-made kinds).
    pub fn ends_with_logout(self) -> bool {
        matches!(self, AccessTokenKind::Session | AccessTokenKind::SessionRemember)
    }
}

string_enum! {
    /// How a user may join: anyone, nobody (admins create accounts), or with an invitation
    /// code.
    RegistrationMode { Open = "open", Closed = "closed", Invite = "invite" }
}

impl From<BodyFormat> for inkstone_render::SourceFormat {
    fn from(format: BodyFormat) -> Self {
        match format {
            BodyFormat::Markdown => inkstone_render::SourceFormat::Markdown,
            BodyFormat::Html => inkstone_render::SourceFormat::Html,
        }
    }
}

/// A person with an account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub avatar: Option<String>,
    pub bio: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A user as others see them: no e-mail, no hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar: Option<String>,
}

impl From<&User> for UserSummary {
    fn from(user: &User) -> Self {
        UserSummary {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            avatar: user.avatar.clone(),
        }
    }
}

/// A category: a node of the category tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    /// Position among its siblings, ascending.
    pub sort_order: i64,
    pub template: Option<String>,
    pub cover: Option<String>,
    /// Published, public items filed directly under this category.
    pub item_count: i64,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// CSS colour such as `#ff6600`.
    pub color: Option<String>,
    pub description: Option<String>,
    /// Published, public items with this tag.
    pub item_count: i64,
}

/// A category or tag as an item refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

/// One ordered key/value pair attached to an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub key: String,
    pub value: String,
}

/// A saved version of an item's title and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub id: i64,
    pub item_id: i64,
    pub title: String,
    pub format: BodyFormat,
    pub body: String,
    /// Sanitized HTML of `body`.
    pub html: String,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
}

/// A post, page or discussion.
///
/// `title`, `format`, `body`, `html` and `excerpt` are what readers see: for a published
/// item they come from its released revision, otherwise from its head revision. Edits to a
/// published item go to a new head revision and reach readers at the next publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: i64,
    pub kind: ItemKind,
    pub title: String,
    pub slug: String,
    pub format: BodyFormat,
    pub body: String,
    pub html: String,
    /// Plain-text excerpt: `excerpt_manual` if set, else the text before `<!-- more -->`,
    /// else an automatic cut of the body.
    pub excerpt: String,
    /// The excerpt the author wrote, if any.
    pub excerpt_manual: Option<String>,
    pub cover: Option<String>,
    pub cover_text: Option<String>,
    pub status: ItemStatus,
    /// The status to return to when a trashed item is restored.
    pub status_before_trash: Option<ItemStatus>,
    pub published_at: Option<DateTime<Utc>>,
    /// Readers must supply this to see the body. Stored as written: authors share it.
    pub password: Option<String>,
    pub redirect_url: Option<String>,
    pub pinned: bool,
    pub pinned_in_category: bool,
    pub comments_allowed: bool,
    pub template: Option<String>,
    pub author: UserSummary,
    pub origin: Origin,
    /// The primary category first.
    pub categories: Vec<TermRef>,
    pub tags: Vec<TermRef>,
    pub custom_fields: Vec<CustomField>,
    pub view_count: i64,
    pub like_count: i64,
    /// Users who saved it to their favorites (emlog `collect_count`).
    pub favorite_count: i64,
    pub comment_count: i64,
    pub head_revision_id: i64,
    pub released_revision_id: Option<i64>,
    /// Incremented by every save; guards against lost updates.
    pub version: i64,
    /// Where an imported item came from (`markdown:<relative path>`); re-imports match on it.
    pub import_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Item {
    /// Whether the head revision holds edits readers do not see yet.
    pub fn has_unpublished_changes(&self) -> bool {
        self.released_revision_id.is_some_and(|released| released != self.head_revision_id)
    }

    /// Whether readers see the released revision rather than the head.
    pub fn shows_released(&self) -> bool {
        matches!(self.status, ItemStatus::Published | ItemStatus::Private)
            && self.released_revision_id.is_some()
    }
}
