//! Ports: what the core needs from the outside world. Storage backends implement the
//! repository traits; every method that writes several rows does so in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::CoreResult;
use crate::model::{
    AccessTokenKind, BodyFormat, Category, CustomField, Item, ItemKind, ItemStatus, Origin, Revision, Role,
    Tag, User, UserStatus,
};
use crate::permission::{DeleteGrant, KeyGrant, Scope};

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

/// A bearer token as stored (any [`AccessTokenKind`]): its secret only as a SHA-256 hex
/// digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: i64,
    pub user_id: i64,
    pub kind: AccessTokenKind,
    pub name: String,
    pub token_hash: String,
    /// The first characters of the token (`pat_abcd`), to tell tokens apart in lists.
    pub prefix: String,
    /// Only personal tokens have scopes; `None` means whatever the owner may.
    pub scopes: Option<Vec<Scope>>,
    /// A fixed expiry (personal tokens); idle expiry follows from the kind.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_ip: Option<String>,
}

/// A token to insert.
#[derive(Debug, Clone)]
pub struct NewAccessToken {
    pub user_id: i64,
    pub kind: AccessTokenKind,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub scopes: Option<Vec<Scope>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An API key as stored. The key is kept twice: a SHA-256 digest to find it when sent as
/// is, and sealed with the server key (see [`crate::sealing`]) because a signed request
/// (`req_sign = md5(req_time . key)`) can only be checked with the raw key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub key_hash: String,
    /// Nonce and ciphertext, base64.
    pub key_sealed: String,
    /// The first characters of the key, for lists (`isk_abcd`).
    pub prefix: String,
    /// The user the key acts as; `None`: the site's first active admin.
    pub user_id: Option<i64>,
    pub grant: KeyGrant,
    /// Addresses or CIDR ranges the key is accepted from; empty: anywhere.
    pub allowed_ips: Vec<String>,
    pub enabled: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_ip: Option<String>,
}

/// An API key to insert.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub key_hash: String,
    pub key_sealed: String,
    pub prefix: String,
    pub user_id: Option<i64>,
    pub grant: KeyGrant,
    pub allowed_ips: Vec<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Changes to an API key; `None` leaves a field as it is. Each flag stands alone, so two
/// changes to different flags never undo each other.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyPatch {
    pub name: Option<String>,
    pub can_write_own: Option<bool>,
    pub can_write_other: Option<bool>,
    pub can_delete: Option<DeleteGrant>,
    pub allowed_ips: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// An invitation to register, by a code stored as a SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: i64,
    pub code_hash: String,
    /// The role the new account gets.
    pub role: Role,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_by: Option<i64>,
    pub used_at: Option<DateTime<Utc>>,
}

/// An invitation to insert.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub code_hash: String,
    pub role: Role,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A pending password reset: one per user, its code stored as a SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub user_id: i64,
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
    /// Wrong codes tried so far.
    pub attempts: i64,
}

/// Profile and account fields to change; `None` leaves a field as it is. For `avatar` and
/// `bio`, `Some(None)` clears the value.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub avatar: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// A page of users.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// Matches username, display name or e-mail (substring, case-insensitive).
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A fixed-window counter after one more hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    /// Hits in the current window, this one included.
    pub count: i64,
    pub window_start: DateTime<Utc>,
}

/// A built-in captcha challenge waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptchaChallenge {
    pub id: String,
    /// SHA-256 hex of the lower-cased answer.
    pub answer_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// One security event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Dotted name, e.g. `login.failed`, `api_key.created`, `permission.denied`.
    pub event: String,
    /// The user who acted or was acted for, when known.
    pub user_id: Option<i64>,
    /// How they authenticated (`session`, `api_key`, ...), when they did.
    pub credential: Option<String>,
    pub ip: Option<String>,
    /// What the event is about, e.g. `api_key:3`, `item:12`, `account:alice`.
    pub target: Option<String>,
    /// Event-specific facts; never a secret.
    pub detail: serde_json::Value,
}

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    pub at: DateTime<Utc>,
    pub event: String,
    pub user_id: Option<i64>,
    pub credential: Option<String>,
    pub ip: Option<String>,
    pub target: Option<String>,
    pub detail: serde_json::Value,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Exact event name, or a prefix ending in `.` (`login.`).
    pub event: Option<String>,
    pub user_id: Option<i64>,
    pub offset: i64,
    pub limit: i64,
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
    /// Number of approved comments.
    CommentCount,
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
    /// Items whose title contains this text, taken literally (`%` and `_` are not
    /// wildcards), ignoring ASCII case.
    pub title_contains: Option<String>,
    /// How pinned items lead when `sort` is `None`.
    pub pin_order: PinOrder,
    /// Items published at or after this instant (month archives).
    pub published_since: Option<DateTime<Utc>>,
    /// Items published before this instant.
    pub published_before: Option<DateTime<Utc>>,
}

/// How pinned items lead an item list in its default order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PinOrder {
    /// Items pinned site-wide first; with a category filter, items pinned in the category
    /// before them.
    #[default]
    Default,
    /// Items pinned site-wide, then items pinned in their category, then the rest, newest
    /// first, in every list (emlog's `top DESC, sortop DESC, date DESC`).
    SiteThenCategory,
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
    /// Inserts the user and marks the invitation with `invite_hash` used by them, in one
    /// transaction. Fails with `conflict` as [`UserRepository::insert_user`], and with
    /// `invalid_input` (field `invite`) when the invitation is unknown, used or expired
    /// at `user.created_at`; then nothing is written.
    async fn insert_invited_user(&self, user: NewUser, invite_hash: &str) -> CoreResult<User>;
    async fn user_by_id(&self, id: i64) -> CoreResult<Option<User>>;
    /// By username or e-mail, case-insensitively; a username match wins.
    async fn user_by_login(&self, login: &str) -> CoreResult<Option<User>>;
    async fn touch_user(&self, id: i64, at: DateTime<Utc>) -> CoreResult<()>;
    /// The oldest active admin, if any.
    async fn first_admin(&self) -> CoreResult<Option<User>>;
    /// Users ordered by id, and the total matching.
    async fn list_users(&self, query: &UserQuery) -> CoreResult<(Vec<User>, i64)>;
    /// Applies the patch and returns the user; `not_found` if there is none, `conflict` if
    /// the e-mail is taken. When the status becomes `disabled` the user's sessions and
    /// access tokens are deleted in the same transaction.
    async fn update_user(&self, id: i64, patch: UserPatch) -> CoreResult<User>;
    /// Replaces the password hash and, in the same transaction, deletes the user's
    /// sessions (all but `keep_session`, an id hash) and their session-kind access tokens
    /// (`session`, `session_remember`) and any pending password reset.
    async fn set_password_hash(
        &self,
        user_id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> CoreResult<()>;
}

/// Sessions, access tokens, API keys, invitations, password resets.
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
    /// Deletes every session of the user and their session-kind access tokens (`session`,
    /// `session_remember`) in one transaction; returns how many credentials went.
    async fn end_sessions_of_user(&self, user_id: i64) -> CoreResult<u64>;
    /// Deletes every expired session; returns how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> CoreResult<u64>;

    async fn insert_access_token(&self, token: NewAccessToken) -> CoreResult<AccessToken>;
    async fn access_token_by_hash(&self, token_hash: &str) -> CoreResult<Option<AccessToken>>;
    /// Newest first.
    async fn access_tokens_of_user(&self, user_id: i64) -> CoreResult<Vec<AccessToken>>;
    /// Deletes the token if it belongs to `user_id`; returns whether one was deleted.
    async fn delete_access_token(&self, user_id: i64, token_id: i64) -> CoreResult<bool>;
    async fn touch_access_token(&self, token_id: i64, at: DateTime<Utc>, ip: Option<&str>) -> CoreResult<()>;

    async fn insert_api_key(&self, key: NewApiKey) -> CoreResult<ApiKey>;
    async fn api_key_by_hash(&self, key_hash: &str) -> CoreResult<Option<ApiKey>>;
    async fn api_key_by_id(&self, id: i64) -> CoreResult<Option<ApiKey>>;
    /// Every key, newest first.
    async fn api_keys(&self) -> CoreResult<Vec<ApiKey>>;
    /// `not_found` if there is no such key.
    async fn update_api_key(&self, id: i64, patch: ApiKeyPatch) -> CoreResult<ApiKey>;
    async fn delete_api_key(&self, id: i64) -> CoreResult<bool>;
    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>, ip: Option<&str>) -> CoreResult<()>;
    /// Remembers that `signature` was accepted for key `key_id` until `expires_at`. Returns
    /// `false`, writing nothing, if it was already remembered (a replay).
    async fn remember_signature(
        &self,
        key_id: i64,
        signature: &str,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<bool>;
    /// Forgets signatures whose `expires_at` is before `now` (exclusive: a signature at the
    /// very end of its window is still remembered); returns how many.
    async fn delete_expired_signatures(&self, now: DateTime<Utc>) -> CoreResult<u64>;

    async fn insert_invite(&self, invite: NewInvite) -> CoreResult<Invite>;
    /// Newest first.
    async fn invites(&self) -> CoreResult<Vec<Invite>>;
    async fn invite_by_hash(&self, code_hash: &str) -> CoreResult<Option<Invite>>;
    async fn delete_invite(&self, id: i64) -> CoreResult<bool>;

    /// Replaces the user's pending reset.
    async fn put_password_reset(&self, reset: PasswordReset) -> CoreResult<()>;
    async fn password_reset(&self, user_id: i64) -> CoreResult<Option<PasswordReset>>;
    /// Counts one wrong code; returns the new number of attempts. `not_found` when no reset
    /// is pending.
    async fn count_password_reset_attempt(&self, user_id: i64) -> CoreResult<i64>;
    async fn delete_password_reset(&self, user_id: i64) -> CoreResult<()>;
}

/// Rate-limit counters and captcha challenges, shared by every node through the database.
#[async_trait]
pub trait AbuseRepository: Send + Sync {
    /// Counts one hit on `key` in a fixed window of `window` starting at the first hit;
    /// a hit after the window has passed starts a new one. Atomic.
    async fn hit_rate_limit(&self, key: &str, window: Duration, now: DateTime<Utc>)
    -> CoreResult<RateWindow>;
    /// The current window of `key` without counting, if there is one that has not passed.
    async fn peek_rate_limit(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> CoreResult<Option<RateWindow>>;
    async fn clear_rate_limit(&self, key: &str) -> CoreResult<()>;
    /// Deletes windows that started before `before`; returns how many.
    async fn delete_stale_rate_limits(&self, before: DateTime<Utc>) -> CoreResult<u64>;

    async fn insert_captcha(&self, challenge: CaptchaChallenge) -> CoreResult<()>;
    /// Removes and returns the challenge (each is answerable once), if it has not expired.
    async fn take_captcha(&self, id: &str, now: DateTime<Utc>) -> CoreResult<Option<CaptchaChallenge>>;
    /// Deletes expired challenges; returns how many.
    async fn delete_expired_captchas(&self, now: DateTime<Utc>) -> CoreResult<u64>;
}

/// The security event log.
#[async_trait]
pub trait AuditRepository: Send + Sync {
    async fn insert_audit_event(&self, event: NewAuditEvent) -> CoreResult<()>;
    /// Newest first, and the total matching.
    async fn audit_events(&self, query: &AuditQuery) -> CoreResult<(Vec<AuditEvent>, i64)>;
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
    /// The item that was known by `slug` before its slug changed (the newest such change
    /// wins); `None` if no item of `kind` ever left that slug.
    async fn item_by_former_slug(&self, kind: ItemKind, slug: &str) -> CoreResult<Option<Item>>;
    /// The published items of `kind` just before and just after the point (`published_at`,
    /// `id`) in publication order, as (older, newer); items published at the same instant
    /// are ordered by id.
    async fn adjacent_published(
        &self,
        kind: ItemKind,
        published_at: DateTime<Utc>,
        id: i64,
    ) -> CoreResult<(Option<Item>, Option<Item>)>;
    /// Publication times of every published post, oldest first (month archives).
    async fn published_post_times(&self) -> CoreResult<Vec<DateTime<Utc>>>;
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

// Each feature's repository port lives beside its use cases.
pub use crate::comments::CommentRepository;
pub use crate::favorites::FavoriteRepository;
pub use crate::likes::LikeRepository;
pub use crate::links::LinkRepository;
pub use crate::media::MediaRepository;
pub use crate::notes::NoteRepository;
pub use crate::notifications::NotificationRepository;
pub use crate::stats::StatsRepository;
pub use crate::webhooks::WebhookRepository;

/// Everything the core stores. One backend implements all of it.
pub trait Repository:
    UserRepository
    + CredentialRepository
    + AbuseRepository
    + AuditRepository
    + ContentRepository
    + TaxonomyRepository
    + SettingsRepository
    + CommentRepository
    + LikeRepository
    + NoteRepository
    + MediaRepository
    + LinkRepository
    + NotificationRepository
    + StatsRepository
    + WebhookRepository
    + FavoriteRepository
    + ChangeCounter
{
}

impl<T> Repository for T where
    T: UserRepository
        + CredentialRepository
        + AbuseRepository
        + AuditRepository
        + ContentRepository
        + TaxonomyRepository
        + SettingsRepository
        + CommentRepository
        + LikeRepository
        + NoteRepository
        + MediaRepository
        + LinkRepository
        + NotificationRepository
        + StatsRepository
        + WebhookRepository
        + FavoriteRepository
        + ChangeCounter
{
}

/// An e-mail to send: plain text, one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Sends e-mail: over SMTP when configured, otherwise into a file outbox (the server's
/// choice). Errors: `internal` when the message could not be handed over.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: OutgoingMail) -> CoreResult<()>;
}

/// A drawn built-in captcha: the answer to check and the picture to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptchaPicture {
    /// What a person reads in the picture (compared case-insensitively).
    pub answer: String,
    /// PNG bytes.
    pub png: Vec<u8>,
}

/// Draws built-in captcha pictures. CPU-bound; the core calls it on a blocking thread.
pub trait CaptchaDrawer: Send + Sync {
    fn draw(&self) -> CaptchaPicture;
}

/// Checks a response token from a third-party captcha widget (reCAPTCHA, hCaptcha,
/// Turnstile all use the same `siteverify` exchange).
#[async_trait]
pub trait CaptchaVerifier: Send + Sync {
    /// The provider's name as configured (`recaptcha`, `hcaptcha`, `turnstile`).
    fn provider(&self) -> &str;
    /// The public site key the widget needs.
    fn site_key(&self) -> &str;
    /// Whether the provider accepts `response` (from `client`). Errors: `internal` when
    /// the provider cannot be reached (the caller refuses the request).
    async fn verify(&self, response: &str, client: Option<std::net::IpAddr>) -> CoreResult<bool>;
}
