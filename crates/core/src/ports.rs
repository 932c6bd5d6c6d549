//! Ports: what the core needs from the outside world. Storage backends implement the
//! repository traits; every method that writes several rows does so in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::CoreResult;
use crate::model::{
    BodyFormat, Category, CustomField, Item, ItemKind, ItemStatus, Origin, Revision, Role, Tag, User,
    UserStatus,
};
use crate::permission::Scope;

/// The current time. Tests substitute a clock they move by hand.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A user to insert.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A signed-in browser session. The id and CSRF token are stored as SHA-256 hex digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_hash: String,
    pub remember: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A personal access token as stored: its secret only as a SHA-256 hex digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalAccessToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    /// The first characters of the token (`pat_abcd`), to tell tokens apart in lists.
    pub prefix: String,
    pub scopes: Option<Vec<Scope>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token to insert.
#[derive(Debug, Clone)]
pub struct NewPersonalAccessToken {
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub scopes: Option<Vec<Scope>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A tag an item save refers to: one that exists, or one to create in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagAssignment {
    Existing(i64),
    New { name: String, slug: String },
}

/// A revision to append as the item's new head.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub title: String,
    pub format: BodyFormat,
    pub body: String,
    pub html: String,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
}

/// The search document of an item: terms already segmented, space separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    pub title: String,
    pub body: String,
}

/// The whole stored state of an item, written in one transaction.
///
/// With `id: None` the item is inserted (and `new_revision` is required). With `id: Some`
/// the row is replaced if its version is still `expected_version`, otherwise the save fails
/// with `edit_conflict`. Categories, tags and custom fields are replaced as given; the
/// categories' first entry is the primary one.
#[derive(Debug, Clone)]
pub struct ItemSave {
    pub id: Option<i64>,
    pub expected_version: i64,
    pub kind: ItemKind,
    pub title: String,
    pub slug: String,
    pub format: BodyFormat,
    pub body: String,
    pub html: String,
    pub excerpt: String,
    pub excerpt_manual: Option<String>,
    pub cover: Option<String>,
    pub cover_text: Option<String>,
    pub status: ItemStatus,
    pub status_before_trash: Option<ItemStatus>,
    pub published_at: Option<DateTime<Utc>>,
    pub password: Option<String>,
    pub redirect_url: Option<String>,
    pub pinned: bool,
    pub pinned_in_category: bool,
    pub comments_allowed: bool,
    pub template: Option<String>,
    pub author_id: i64,
    pub origin: Origin,
    pub category_ids: Vec<i64>,
    pub tags: Vec<TagAssignment>,
    pub custom_fields: Vec<CustomField>,
    pub import_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Appended and made the head when present.
    pub new_revision: Option<NewRevision>,
    /// Make the head (after appending `new_revision`) the released revision.
    pub release_head: bool,
    /// Replaces the item's search row when present.
    pub search: Option<SearchDocument>,
}

/// Who may see which statuses in a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Published items only.
    Public,
    /// Published items plus everything by this author.
    PublicAndOwn(i64),
    /// Everything.
    All,
}

/// Sort keys for item lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSortKey {
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Title,
    ViewCount,
    /// Search relevance; only meaningful with search terms.
    Relevance,
}

/// A sort key and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemSort {
    pub key: ItemSortKey,
    pub descending: bool,
}

/// A page of an item list, with all filters resolved to ids.
#[derive(Debug, Clone)]
pub struct ItemQuery {
    pub kind: Option<ItemKind>,
    /// `None`: every status but trashed.
    pub status: Option<ItemStatus>,
    pub visibility: Visibility,
    /// Items in any of these categories (a category and its descendants).
    pub category_ids: Option<Vec<i64>>,
    pub tag_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Segmented search terms, all of which must match.
    pub search_terms: Option<Vec<String>>,
    /// `None`: pinned items first, then newest published first (or most relevant first
    /// when searching).
    pub sort: Option<ItemSort>,
    /// Whether pinned-in-category items lead (set when filtering by category).
    pub category_pins_first: bool,
    /// Zero-based row offset and row count.
    pub offset: i64,
    pub limit: i64,
}

/// Category fields to insert or replace.
#[derive(Debug, Clone)]
pub struct CategoryWrite {
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    pub sort_order: i64,
    pub template: Option<String>,
    pub cover: Option<String>,
}

/// Tag fields to insert or replace.
#[derive(Debug, Clone)]
pub struct TagWrite {
    pub name: String,
    pub slug: String,
    pub color: Option<String>,
    pub description: Option<String>,
}

/// Users.
#[async_trait]
pub trait UserRepository: Send + Sync {
    async fn count_users(&self) -> CoreResult<i64>;
    /// Fails with `conflict` when the username or e-mail is taken (case-insensitively).
    async fn insert_user(&self, user: NewUser) -> CoreResult<User>;
    async fn user_by_id(&self, id: i64) -> CoreResult<Option<User>>;
    /// By username or e-mail, case-insensitively.
    async fn user_by_login(&self, login: &str) -> CoreResult<Option<User>>;
    async fn touch_user(&self, id: i64, at: DateTime<Utc>) -> CoreResult<()>;
    /// The oldest active admin, if any.
    async fn first_admin(&self) -> CoreResult<Option<User>>;
}

/// Sessions and personal access tokens.
#[async_trait]
pub trait CredentialRepository: Send + Sync {
    async fn insert_session(&self, session: SessionRecord) -> CoreResult<()>;
    async fn session_by_hash(&self, id_hash: &str) -> CoreResult<Option<SessionRecord>>;
    /// Moves the idle expiry forward.
    async fn touch_session(
        &self,
        id_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> CoreResult<()>;
    /// Deletes every expired session; returns how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> CoreResult<u64>;
    async fn insert_token(&self, token: NewPersonalAccessToken) -> CoreResult<PersonalAccessToken>;
    async fn token_by_hash(&self, token_hash: &str) -> CoreResult<Option<PersonalAccessToken>>;
    async fn tokens_of_user(&self, user_id: i64) -> CoreResult<Vec<PersonalAccessToken>>;
    /// Deletes the token if it belongs to `user_id`; returns whether one was deleted.
    async fn delete_token(&self, user_id: i64, token_id: i64) -> CoreResult<bool>;
    async fn touch_token(&self, token_id: i64, at: DateTime<Utc>) -> CoreResult<()>;
}

/// Posts, pages and discussions with their revisions and search rows.
#[async_trait]
pub trait ContentRepository: Send + Sync {
    /// Writes the item (see [`ItemSave`]) and returns its id. `conflict` if the slug is
    /// taken for the kind; `edit_conflict` on a version mismatch; `not_found` if gone.
    async fn save_item(&self, save: ItemSave) -> CoreResult<i64>;
    async fn item_by_id(&self, id: i64) -> CoreResult<Option<Item>>;
    async fn item_by_slug(&self, kind: ItemKind, slug: &str) -> CoreResult<Option<Item>>;
    async fn item_by_import_key(&self, import_key: &str) -> CoreResult<Option<Item>>;
    /// A page of items and the total number matching.
    async fn list_items(&self, query: &ItemQuery) -> CoreResult<(Vec<Item>, i64)>;
    async fn slug_taken(&self, kind: ItemKind, slug: &str, except_id: Option<i64>) -> CoreResult<bool>;
    /// Deletes the item with its revisions, terms, fields and search row.
    async fn delete_item(&self, id: i64) -> CoreResult<bool>;
    /// Newest first.
    async fn revisions(&self, item_id: i64) -> CoreResult<Vec<Revision>>;
    async fn revision(&self, item_id: i64, revision_id: i64) -> CoreResult<Option<Revision>>;
    /// Ids of scheduled items whose time has come.
    async fn due_scheduled(&self, now: DateTime<Utc>) -> CoreResult<Vec<i64>>;
    /// Adds one view; returns the new count, or `None` if there is no such item.
    async fn increment_views(&self, id: i64) -> CoreResult<Option<i64>>;
}

/// Categories and tags.
#[async_trait]
pub trait TaxonomyRepository: Send + Sync {
    /// Every category, ordered by parent, order and name. `item_count` is filled only with
    /// `with_counts` (it costs a pass over the category links).
    async fn categories(&self, with_counts: bool) -> CoreResult<Vec<Category>>;
    async fn insert_category(&self, category: CategoryWrite) -> CoreResult<Category>;
    async fn update_category(&self, id: i64, category: CategoryWrite) -> CoreResult<Category>;
    /// Deletes the category; its children move to its parent and its items lose it, in one
    /// transaction.
    async fn delete_category(&self, id: i64) -> CoreResult<bool>;
    /// Every tag, ordered by name; `item_count` only `with_counts`.
    async fn tags(&self, with_counts: bool) -> CoreResult<Vec<Tag>>;
    async fn tag_by_name(&self, name: &str) -> CoreResult<Option<Tag>>;
    async fn insert_tag(&self, tag: TagWrite) -> CoreResult<Tag>;
    async fn update_tag(&self, id: i64, tag: TagWrite) -> CoreResult<Tag>;
    async fn delete_tag(&self, id: i64) -> CoreResult<bool>;
}

/// Site settings as raw key/value text; the core validates and types them.
#[async_trait]
pub trait SettingsRepository: Send + Sync {
    async fn all_settings(&self) -> CoreResult<Vec<(String, String)>>;
    async fn set_setting(&self, key: &str, value: &str) -> CoreResult<()>;
    async fn delete_setting(&self, key: &str) -> CoreResult<()>;
}

/// A counter of committed changes to what readers see (content, taxonomies, settings,
/// users), so per-node caches can tell when they are stale. Changes made by other
/// processes are not counted; caches bound that staleness with a short time to live.
pub trait ChangeCounter: Send + Sync {
    fn generation(&self) -> u64;
}

/// Everything the core stores. One backend implements all of it.
pub trait Repository:
    UserRepository
    + CredentialRepository
    + ContentRepository
    + TaxonomyRepository
    + SettingsRepository
    + ChangeCounter
{
}

impl<T> Repository for T where
    T: UserRepository
        + CredentialRepository
        + ContentRepository
        + TaxonomyRepository
        + SettingsRepository
        + ChangeCounter
{
}
