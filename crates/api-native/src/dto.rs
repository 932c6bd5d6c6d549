//! Wire shapes of the native API and their conversion from the core's types.

use chrono::{DateTime, SecondsFormat, Utc};
use inkstone_core::content::{ItemView, TermKey};
use inkstone_core::model::{Category, CustomField, Revision, Tag, TermRef, User, UserSummary};
use inkstone_core::ports::AccessToken;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// RFC 3339 in UTC with `Z`, second precision.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn rfc3339_opt(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(rfc3339)
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A category or tag reference.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermOut {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

impl From<&TermRef> for TermOut {
    fn from(t: &TermRef) -> Self {
        TermOut { id: t.id, name: t.name.clone(), slug: t.slug.clone() }
    }
}

/// A user as others see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar: Option<String>,
}

impl From<&UserSummary> for AuthorOut {
    fn from(u: &UserSummary) -> Self {
        AuthorOut {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            avatar: u.avatar.clone(),
        }
    }
}

/// An ordered key/value pair.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldDto {
    pub key: String,
    pub value: String,
}

impl From<CustomFieldDto> for CustomField {
    fn from(f: CustomFieldDto) -> Self {
        CustomField { key: f.key, value: f.value }
    }
}

/// A post or page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostOut {
    pub id: i64,
    /// `post` or `page`.
    pub kind: String,
    pub slug: String,
    pub title: String,
    /// `draft`, `scheduled`, `published`, `private` or `trashed`.
    pub status: String,
    /// `markdown` or `html`.
    pub format: String,
    /// The source. `null` when the post is password-protected and not unlocked.
    pub body: Option<String>,
    /// Sanitized HTML. `null` when locked.
    pub html: Option<String>,
    /// Plain-text excerpt. `null` when locked.
    pub excerpt: Option<String>,
    pub cover: Option<String>,
    pub cover_text: Option<String>,
    /// The primary category first.
    pub categories: Vec<TermOut>,
    pub tags: Vec<TermOut>,
    pub custom_fields: Vec<CustomFieldDto>,
    pub pinned: bool,
    pub pinned_in_category: bool,
    pub comments_allowed: bool,
    pub template: Option<String>,
    pub redirect_url: Option<String>,
    /// Whether a password is needed to read the body.
    pub protected: bool,
    /// The password; shown only to those who may edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// RFC 3339 UTC.
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub author: AuthorOut,
    /// `api`, `console` or `import`.
    pub origin: String,
    pub view_count: i64,
    pub like_count: i64,
    pub comment_count: i64,
    /// Send back as `version` in a PATCH to refuse overwriting someone else's change.
    pub version: i64,
    /// Editors only: the latest revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_revision_id: Option<i64>,
    /// Editors only: the revision readers see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_revision_id: Option<i64>,
    /// Editors only: the head holds edits not yet published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_unpublished_changes: Option<bool>,
}

impl From<ItemView> for PostOut {
    fn from(view: ItemView) -> Self {
        let ItemView { item, can_edit, locked } = view;

        PostOut {
            id: item.id,
            kind: item.kind.as_str().into(),
            slug: item.slug.clone(),
            status: item.status.as_str().into(),
            format: item.format.as_str().into(),
            body: (!locked).then(|| item.body.clone()),
            html: (!locked).then(|| item.html.clone()),
            excerpt: (!locked).then(|| item.excerpt.clone()),
            cover: item.cover.clone(),
            cover_text: item.cover_text.clone(),
            categories: item.categories.iter().map(TermOut::from).collect(),
            tags: item.tags.iter().map(TermOut::from).collect(),
            custom_fields: item
                .custom_fields
                .iter()
                .map(|f| CustomFieldDto { key: f.key.clone(), value: f.value.clone() })
                .collect(),
            pinned: item.pinned,
            pinned_in_category: item.pinned_in_category,
            comments_allowed: item.comments_allowed,
            template: item.template.clone(),
            redirect_url: item.redirect_url.clone(),
            protected: item.password.is_some(),
            password: if can_edit { item.password.clone() } else { None },
            published_at: rfc3339_opt(item.published_at),
            created_at: rfc3339(item.created_at),
            updated_at: rfc3339(item.updated_at),
            author: AuthorOut::from(&item.author),
            origin: item.origin.as_str().into(),
            view_count: item.view_count,
            like_count: item.like_count,
            comment_count: item.comment_count,
            version: item.version,
            head_revision_id: can_edit.then_some(item.head_revision_id),
            released_revision_id: if can_edit { item.released_revision_id } else { None },
            has_unpublished_changes: can_edit.then(|| item.has_unpublished_changes()),
            title: item.title,
        }
    }
}

/// A category or tag named by id or by slug (or name).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TermKeyDto {
    Id(i64),
    Slug(String),
}

impl From<TermKeyDto> for TermKey {
    fn from(key: TermKeyDto) -> Self {
        match key {
            TermKeyDto::Id(id) => TermKey::Id(id),
            TermKeyDto::Slug(slug) => TermKey::Text(slug),
        }
    }
}

/// A new post or page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostCreate {
    /// `post` (default) or `page`.
    pub kind: Option<String>,
    pub title: String,
    /// Generated from the title (Chinese as pinyin) when absent.
    pub slug: Option<String>,
    /// `markdown` (default) or `html`.
    pub format: Option<String>,
    #[serde(default)]
    pub body: String,
    /// A manual excerpt; automatic when absent.
    pub excerpt: Option<String>,
    pub cover: Option<String>,
    pub cover_text: Option<String>,
    /// `draft` (default), `published`, `scheduled` or `private`.
    pub status: Option<String>,
    /// RFC 3339; in the future with `published` or `scheduled`, the post is scheduled.
    pub published_at: Option<DateTime<Utc>>,
    pub password: Option<String>,
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub pinned_in_category: bool,
    pub comments_allowed: Option<bool>,
    pub template: Option<String>,
    /// Ids or slugs; the first is the primary category.
    #[serde(default)]
    pub categories: Vec<TermKeyDto>,
    /// Tag names; unknown ones are created.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldDto>,
}

/// A partial update. Absent fields stay; `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub format: Option<String>,
    pub body: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub excerpt: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub cover: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub cover_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub redirect_url: Option<Option<String>>,
    pub pinned: Option<bool>,
    pub pinned_in_category: Option<bool>,
    pub comments_allowed: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub template: Option<Option<String>>,
    pub categories: Option<Vec<TermKeyDto>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Vec<CustomFieldDto>>,
    /// The `version` you read; the update fails with 409 `edit_conflict` if it changed.
    pub version: Option<i64>,
}

/// Options of a publish.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// RFC 3339. In the future: schedule. Absent: now (or the post's own date).
    pub published_at: Option<DateTime<Utc>>,
    /// Publish privately (author and editors only).
    #[serde(default)]
    pub private: bool,
}

/// Filters of `GET /api/v1/posts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostListQuery {
    /// `post` or `page`; both when absent.
    pub kind: Option<String>,
    /// One status. Absent: all but `trashed` (anonymous callers see `published` only).
    pub status: Option<String>,
    /// Category id or slug; includes its subcategories.
    pub category: Option<String>,
    /// Tag id, slug or name.
    pub tag: Option<String>,
    /// Author id or username.
    pub author: Option<String>,
    /// Keywords in Chinese or English, matched against title and body.
    pub q: Option<String>,
    /// `published_at`, `created_at`, `updated_at`, `title`, `view_count` or `relevance`;
    /// prefix `-` for descending. Default: pinned first, then newest.
    pub sort: Option<String>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// 1 to 100; the site's page size by default.
    pub per_page: Option<i64>,
}

/// `?password=` for protected posts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PasswordQuery {
    /// The post's password, to unlock a protected body.
    pub password: Option<String>,
}

/// `?kind=` for slug lookups.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlugQuery {
    /// `post` (default) or `page`.
    pub kind: Option<String>,
    pub password: Option<String>,
}

/// A page of posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostPage {
    pub items: Vec<PostOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A revision of a post's title and body.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionOut {
    pub id: i64,
    pub post_id: i64,
    pub title: String,
    pub format: String,
    /// Present when one revision is fetched; lists leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub author_id: i64,
    pub created_at: String,
    /// The latest revision.
    pub is_head: bool,
    /// The revision readers see.
    pub is_released: bool,
}

impl RevisionOut {
    pub fn new(revision: Revision, head: i64, released: Option<i64>, full: bool) -> Self {
        RevisionOut {
            id: revision.id,
            post_id: revision.item_id,
            format: revision.format.as_str().into(),
            body: full.then(|| revision.body.clone()),
            html: full.then(|| revision.html.clone()),
            title: revision.title,
            author_id: revision.author_id,
            created_at: rfc3339(revision.created_at),
            is_head: revision.id == head,
            is_released: Some(revision.id) == released,
        }
    }
}

/// Revisions of a post, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    pub items: Vec<RevisionOut>,
}

/// A new view counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewCount {
    pub view_count: i64,
}

/// A category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    pub sort_order: i64,
    pub template: Option<String>,
    pub cover: Option<String>,
    /// Published posts filed directly under it.
    pub post_count: i64,
    /// Present in tree listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub children: Option<Vec<CategoryOut>>,
}

impl From<Category> for CategoryOut {
    fn from(c: Category) -> Self {
        CategoryOut {
            id: c.id,
            name: c.name,
            slug: c.slug,
            description: c.description,
            parent_id: c.parent_id,
            sort_order: c.sort_order,
            template: c.template,
            cover: c.cover,
            post_count: c.item_count,
            children: None,
        }
    }
}

/// `?tree=true` nests categories under their parents.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CategoryListQuery {
    pub tree: Option<bool>,
}

/// Categories.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryOut>,
}

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryCreate {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub sort_order: i64,
    pub template: Option<String>,
    pub cover: Option<String>,
}

/// A partial category update; `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatchDto {
    pub name: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    pub sort_order: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub template: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub cover: Option<Option<String>>,
}

/// A tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagOut {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub color: Option<String>,
    pub description: Option<String>,
    /// Published posts with the tag.
    pub post_count: i64,
}

impl From<Tag> for TagOut {
    fn from(t: Tag) -> Self {
        TagOut {
            id: t.id,
            name: t.name,
            slug: t.slug,
            color: t.color,
            description: t.description,
            post_count: t.item_count,
        }
    }
}

/// Tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagOut>,
}

/// A new tag, or a partial update of one (`null` clears).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagWriteDto {
    pub name: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub color: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// Login by username or e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or e-mail.
    pub login: String,
    pub password: String,
    /// Keep the session for 30 days of inactivity instead of 12 hours.
    #[serde(default)]
    pub remember: bool,
}

/// The signed-in user with their e-mail and role.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub avatar: Option<String>,
    pub bio: Option<String>,
    /// `admin`, `editor`, `author`, `contributor` or `subscriber`.
    pub role: String,
    pub created_at: String,
}

impl From<User> for MeOut {
    fn from(u: User) -> Self {
        MeOut {
            id: u.id,
            username: u.username,
            email: u.email,
            display_name: u.display_name,
            avatar: u.avatar,
            bio: u.bio,
            role: u.role.as_str().into(),
            created_at: rfc3339(u.created_at),
        }
    }
}

/// A successful login. The session is also set as an HttpOnly cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: MeOut,
    /// Send as `X-CSRF-Token` with every unsafe request made with the cookie.
    pub csrf_token: String,
    pub expires_at: String,
}

/// A token you hold (without its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    /// `personal` (`pat_...`), `developer`, or the sign-in kinds `session` (1 hour idle) and
    /// `session_remember` (5 years idle).
    pub kind: String,
    pub name: String,
    /// The first characters, to recognise it.
    pub prefix: String,
    /// `null`: everything the owner may do.
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// The address it was last used from.
    pub last_ip: Option<String>,
}

impl From<AccessToken> for TokenOut {
    fn from(t: AccessToken) -> Self {
        TokenOut {
            id: t.id,
            kind: t.kind.as_str().into(),
            name: t.name,
            prefix: t.prefix,
            scopes: t.scopes.map(|s| s.iter().map(|s| s.as_str().to_string()).collect()),
            expires_at: rfc3339_opt(t.expires_at),
            created_at: rfc3339(t.created_at),
            last_used_at: rfc3339_opt(t.last_used_at),
            last_ip: t.last_ip,
        }
    }
}

/// A new token: the secret is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: TokenOut,
    /// Use as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenOut>,
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    pub name: String,
    /// `personal` (default): a `pat_...` token with optional scopes and expiry; or
    /// `developer`: a token that never expires and has all your rights.
    pub kind: Option<String>,
    /// Any of `content:read`, `content:write`, `taxonomy:write`, `settings:write`,
    /// `admin`, none wider than your role; absent for all of your rights.
    pub scopes: Option<Vec<String>>,
    /// 1 to 3650; never expires when absent.
    pub expires_in_days: Option<i64>,
}

/// Sign in for a bearer token instead of a cookie (Flarum's `POST /api/token`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenLoginRequest {
    /// Username or e-mail.
    pub login: String,
    pub password: String,
    /// A `session_remember` token (5 years idle) instead of `session` (1 hour idle).
    #[serde(default)]
    pub remember: bool,
}

/// A bearer token from signing in.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenLoginResponse {
    /// Use as `Authorization: Bearer <token>`.
    pub token: String,
    /// `session` or `session_remember`.
    pub kind: String,
    pub user_id: i64,
    /// Seconds of inactivity after which the token stops working.
    pub idle_timeout_secs: i64,
}

/// A captcha to show before registering.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaptchaOut {
    /// A built-in picture: send back `id` and the characters read as `captcha.id` and
    /// `captcha.answer`. Each picture can be answered once.
    Image {
        id: String,
        /// `data:image/png;base64,...`
        image: String,
        expires_at: String,
    },
    /// A third-party widget (`recaptcha`, `hcaptcha`, `turnstile`): render it with
    /// `site_key` and send its token as `captcha.response`.
    Widget { provider: String, site_key: String },
}

/// An answer to a captcha.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptchaAnswerDto {
    pub id: Option<String>,
    pub answer: Option<String>,
    pub response: Option<String>,
}

/// A sign-up, as the `auth.registration` setting allows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    /// The invitation code (`inv_...`), required when registration is `invite`.
    pub invite: Option<String>,
    /// Required when the `auth.registration_captcha` setting is on (see
    /// `GET /api/v1/auth/captcha`).
    pub captcha: Option<CaptchaAnswerDto>,
}

/// Ask for a password reset code by e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Username or e-mail.
    pub login: String,
}

/// Set a new password with the e-mailed code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// Username or e-mail.
    pub login: String,
    /// The 8-digit code from the e-mail.
    pub code: String,
    pub password: String,
}

/// Change your password. Your other sessions and sign-in tokens end.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes to your profile; absent fields stay, an empty `avatar` or `bio` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub bio: Option<String>,
}

/// Site settings, key to canonical value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingsDto {
    #[serde(flatten)]
    pub values: std::collections::BTreeMap<String, String>,
}
