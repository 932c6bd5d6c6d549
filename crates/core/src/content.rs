//! Content use cases: writing, publishing, reading and listing posts and pages.

use chrono::{DateTime, Utc};
use inkstone_render::{Segmenter, auto_excerpt, render, slug};

use crate::Core;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::events::{DomainEvent, EventKind};
use crate::model::{BodyFormat, CustomField, Item, ItemKind, ItemStatus, Origin, Revision};
use crate::permission::{Action, Actor, Resource, authorize, list_visibility};
use crate::ports::{
    ItemQuery, ItemSave, ItemSort, ItemSortKey, NewRevision, PinOrder, SearchDocument, TagAssignment,
};

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest body accepted, in bytes (5 MiB).
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
/// Most custom fields on one item.
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// Most rows in one page of a list.
pub const MAX_PER_PAGE: i64 = 100;

/// How a caller names a category or tag: by id, or by slug or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKey {
    Id(i64),
    /// Matches a slug first, then a name (case-insensitively).
    Text(String),
}

/// A new item.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub kind: ItemKind,
    pub title: String,
    pub slug: Option<String>,
    pub format: BodyFormat,
    pub body: String,
    pub excerpt: Option<String>,
    pub cover: Option<String>,
    pub cover_text: Option<String>,
    /// Draft when absent.
    pub status: Option<ItemStatus>,
    pub published_at: Option<DateTime<Utc>>,
    pub password: Option<String>,
    pub redirect_url: Option<String>,
    pub pinned: bool,
    pub pinned_in_category: bool,
    pub comments_allowed: bool,
    pub template: Option<String>,
    /// The primary category first.
    pub categories: Vec<TermKey>,
    /// Tag names or slugs; unknown names create tags (authors and up).
    pub tags: Vec<String>,
    pub custom_fields: Vec<CustomField>,
    /// The system actor may write on someone's behalf; others always author as themselves.
    pub author_id: Option<i64>,
    /// Set by the adapter from the credential; the system actor may say `import`.
    pub origin: Origin,
    pub import_key: Option<String>,
    /// Only the system actor (imports) may backdate creation.
    pub created_at: Option<DateTime<Utc>>,
}

impl NewItem {
    /// A draft post with defaults for everything but title and body.
    pub fn post(title: impl Into<String>, body: impl Into<String>) -> NewItem {
        NewItem {
            kind: ItemKind::Post,
            title: title.into(),
            slug: None,
            format: BodyFormat::Markdown,
            body: body.into(),
            excerpt: None,
            cover: None,
            cover_text: None,
            status: None,
            published_at: None,
            password: None,
            redirect_url: None,
            pinned: false,
            pinned_in_category: false,
            comments_allowed: true,
            template: None,
            categories: Vec::new(),
            tags: Vec::new(),
            custom_fields: Vec::new(),
            author_id: None,
            origin: Origin::Console,
            import_key: None,
            created_at: None,
        }
    }
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct ItemPatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub format: Option<BodyFormat>,
    pub body: Option<String>,
    pub excerpt: Option<Option<String>>,
    pub cover: Option<Option<String>>,
    pub cover_text: Option<Option<String>>,
    pub published_at: Option<Option<DateTime<Utc>>>,
    pub password: Option<Option<String>>,
    pub redirect_url: Option<Option<String>>,
    pub pinned: Option<bool>,
    pub pinned_in_category: Option<bool>,
    pub comments_allowed: Option<bool>,
    pub template: Option<Option<String>>,
    pub categories: Option<Vec<TermKey>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Vec<CustomField>>,
    /// Fails with `edit_conflict` if the item's version is no longer this.
    pub expected_version: Option<i64>,
    /// Release the edit at once when the item stays published or private, in the same
    /// transaction (for APIs without revisions: emlog, ulthon); needs the publish right.
    /// Otherwise readers keep the released revision until the next publish.
    pub release: bool,
}

impl ItemPatch {
    fn touches_revision(&self) -> bool {
        self.title.is_some() || self.body.is_some() || self.format.is_some()
    }
}

/// An item as one caller may see it.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Item,
    /// The caller may edit it (and so sees revision ids and the password).
    pub can_edit: bool,
    /// Password-protected and the caller did not give the password: body, HTML and excerpt
    /// must not be shown.
    pub locked: bool,
}

/// Filters and paging of an item list, as the caller wrote them.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub kind: Option<ItemKind>,
    pub status: Option<ItemStatus>,
    pub category: Option<TermKey>,
    pub tag: Option<TermKey>,
    /// Username or id.
    pub author: Option<TermKey>,
    pub q: Option<String>,
    /// `published_at`, `created_at`, `updated_at`, `title`, `view_count`, `comment_count`
    /// or `relevance`, prefixed with `-` for descending.
    pub sort: Option<String>,
    /// 1-based; 1 when absent.
    pub page: Option<i64>,
    /// 1..=100; the site's page size when absent.
    pub per_page: Option<i64>,
    /// Only items whose title contains this text, taken literally (no wildcards), ignoring
    /// ASCII case; blank means no filter. Unlike `q`, the body is not searched.
    pub title_contains: Option<String>,
    /// How pinned items lead when no `sort` is given.
    pub pin_order: PinOrder,
    /// Only items published at or after this instant (see [`Core::month_bounds`]).
    pub published_since: Option<DateTime<Utc>>,
    /// Only items published before this instant.
    pub published_before: Option<DateTime<Utc>>,
}

/// One month of the archive: posts published in it, in the site's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveMonth {
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    pub count: i64,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// The number of the last page (at least 1).
    pub fn last_page(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// What an import did with one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Created(i64),
    Updated(i64),
    Unchanged(i64),
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn check_title(title: &str) -> CoreResult<String> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(CoreError::invalid(
            "title",
            format!("at most {MAX_TITLE_CHARS} characters"),
            format!("最多 {MAX_TITLE_CHARS} 个字符"),
        ));
    }
    if title.chars().any(|c| c.is_control() && c != '\t') {
        return Err(CoreError::invalid("title", "contains control characters", "包含控制字符"));
    }
    Ok(title.to_string())
}

fn check_body(body: &str) -> CoreResult<()> {
    if body.len() > MAX_BODY_BYTES {
        return Err(CoreError::invalid(
            "body",
            format!("at most {MAX_BODY_BYTES} bytes"),
            format!("最多 {MAX_BODY_BYTES} 字节"),
        ));
    }
    Ok(())
}

pub(crate) fn check_url(field: &str, value: Option<String>) -> CoreResult<Option<String>> {
    let Some(value) = trimmed(value) else { return Ok(None) };
    let lower = value.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://") || value.starts_with('/'))
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.len() <= 2048;
    if ok {
        Ok(Some(value))
    } else {
        Err(CoreError::invalid(
            field,
            "must be an http(s) URL or a path starting with /",
            "必须是 http(s) 网址或以 / 开头的路径",
        ))
    }
}

fn check_custom_fields(fields: Vec<CustomField>) -> CoreResult<Vec<CustomField>> {
    if fields.len() > MAX_CUSTOM_FIELDS {
        return Err(CoreError::invalid(
            "custom_fields",
            format!("at most {MAX_CUSTOM_FIELDS} fields"),
            format!("最多 {MAX_CUSTOM_FIELDS} 个字段"),
        ));
    }
    for field in &fields {
        let key = field.key.trim();
        if key.is_empty() || key.chars().count() > 100 {
            return Err(CoreError::invalid(
                "custom_fields",
                "every key needs 1 to 100 characters",
                "每个字段名需要 1 到 100 个字符",
            ));
        }
        if field.value.len() > 64 * 1024 {
            return Err(CoreError::invalid(
                "custom_fields",
                "a value may be at most 64 KiB",
                "字段值最多 64 KiB",
            ));
        }
    }
    Ok(fields.into_iter().map(|f| CustomField { key: f.key.trim().to_string(), value: f.value }).collect())
}

/// The rendered, reader-facing content of an item.
struct Visible {
    title: String,
    format: BodyFormat,
    body: String,
    html: String,
    excerpt: String,
    search: SearchDocument,
}

impl Core {
    fn visible(
        &self,
        title: &str,
        format: BodyFormat,
        body: &str,
        excerpt_manual: Option<&str>,
        password: Option<&str>,
    ) -> Visible {
        let rendered = render(body, format.into());
        let excerpt = match (excerpt_manual, &rendered.more_excerpt) {
            (Some(manual), _) => manual.to_string(),
            (None, Some(more)) => more.clone(),
            (None, None) => auto_excerpt(&rendered.text, self.settings().excerpt_length()),
        };
        let segmenter = Segmenter::global();
        // A protected body must not be findable by those who cannot read it.
        let body_terms =
            if password.is_some() { String::new() } else { segmenter.index_terms(&rendered.text) };
        Visible {
            title: title.to_string(),
            format,
            body: body.to_string(),
            html: rendered.html,
            excerpt,
            search: SearchDocument { title: segmenter.index_terms(title), body: body_terms },
        }
    }

    async fn unique_slug(&self, kind: ItemKind, base: &str, except: Option<i64>) -> CoreResult<String> {
        let base = if base.is_empty() { "untitled" } else { base };
        if !self.repo.slug_taken(kind, base, except).await? {
            return Ok(base.to_string());
        }
        for n in 2..1000 {
            let candidate = format!("{base}-{n}");
            if !self.repo.slug_taken(kind, &candidate, except).await? {
                return Ok(candidate);
            }
        }
        Err(CoreError::new(ErrorCode::Conflict).with_field("slug"))
    }

    async fn chosen_slug(
        &self,
        kind: ItemKind,
        requested: Option<&str>,
        title: &str,
        except: Option<i64>,
    ) -> CoreResult<String> {
        match requested.map(str::trim).filter(|s| !s.is_empty()) {
            Some(requested) => {
                let slug = slug::normalize_user_slug(requested).ok_or_else(|| {
                    CoreError::invalid(
                        "slug",
                        "use letters, digits, `-` and `_` only (at most 200)",
                        "只能使用字母、数字、`-` 和 `_`（最多 200 个）",
                    )
                })?;
                if self.repo.slug_taken(kind, &slug, except).await? {
                    return Err(CoreError::new(ErrorCode::Conflict)
                        .with_field("slug")
                        .with_detail(format!("slug `{slug}` is taken"), format!("别名 `{slug}` 已被使用")));
                }
                Ok(slug)
            }
            None => self.unique_slug(kind, &slug::slugify(title), except).await,
        }
    }

    pub(crate) async fn resolve_category(&self, key: &TermKey) -> CoreResult<Option<i64>> {
        let categories = self.repo.categories(false).await?;
        Ok(match key {
            TermKey::Id(id) => categories.iter().find(|c| c.id == *id).map(|c| c.id),
            TermKey::Text(text) => categories
                .iter()
                .find(|c| c.slug == *text)
                .or_else(|| categories.iter().find(|c| c.name.eq_ignore_ascii_case(text)))
                .map(|c| c.id),
        })
    }

    async fn resolve_categories(&self, keys: &[TermKey]) -> CoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(keys.len());
        for key in keys {
            let id = self.resolve_category(key).await?.ok_or_else(|| {
                let name = match key {
                    TermKey::Id(id) => id.to_string(),
                    TermKey::Text(text) => text.clone(),
                };
                CoreError::invalid(
                    "categories",
                    format!("no category `{name}`"),
                    format!("分类 `{name}` 不存在"),
                )
            })?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    async fn resolve_tags(&self, actor: &Actor, names: &[String]) -> CoreResult<Vec<TagAssignment>> {
        let mut assignments = Vec::with_capacity(names.len());
        let mut seen: Vec<String> = Vec::new();
        for name in names {
            let name = name.trim();
            if name.is_empty() || seen.iter().any(|s| s.to_lowercase() == name.to_lowercase()) {
                continue;
            }
            if name.chars().count() > 100 {
                return Err(CoreError::invalid(
                    "tags",
                    "a tag has at most 100 characters",
                    "标签最多 100 个字符",
                ));
            }
            seen.push(name.to_string());
            match self.repo.tag_by_name(name).await? {
                Some(tag) => assignments.push(TagAssignment::Existing(tag.id)),
                None => {
                    self.require(actor, Action::CreateTag, Resource::Site).await?;
                    let base = slug::slugify(name);
                    let slug = self.free_tag_slug(&base, &assignments).await?;
                    assignments.push(TagAssignment::New { name: name.to_string(), slug });
                }
            }
        }
        Ok(assignments)
    }

    async fn free_tag_slug(&self, base: &str, pending: &[TagAssignment]) -> CoreResult<String> {
        let base = if base.is_empty() { "tag" } else { base };
        let tags = self.repo.tags(false).await?;
        let taken = |candidate: &str| {
            tags.iter().any(|t| t.slug == candidate)
                || pending.iter().any(|p| matches!(p, TagAssignment::New { slug, .. } if slug == candidate))
        };
        let mut candidate = base.to_string();
        let mut n = 2;
        while taken(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        Ok(candidate)
    }

    /// Fetches an item the actor may see, or `not_found` (never revealing that a hidden
    /// item exists).
    async fn item_for(&self, actor: &Actor, id: i64, action: Action) -> CoreResult<Item> {
        let item = self.repo.item_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        self.permit_item(actor, item, action).await
    }

    /// `item` when `actor` may do `action` to it; `not_found` when they may not even see it.
    async fn permit_item(&self, actor: &Actor, item: Item, action: Action) -> CoreResult<Item> {
        let resource = item_resource(&item);
        if authorize(actor, Action::View, resource).is_err() {
            return Err(CoreError::not_found());
        }
        self.require(actor, action, resource).await?;
        Ok(item)
    }

    fn view(&self, actor: &Actor, item: Item, password: Option<&str>) -> ItemView {
        let can_edit = authorize(actor, Action::Edit, item_resource(&item)).is_ok();
        let locked = match (&item.password, can_edit) {
            (Some(expected), false) => {
                !password.is_some_and(|given| crate::secrets::constant_time_eq(given, expected))
            }
            _ => false,
        };
        ItemView { item, can_edit, locked }
    }

    /// Creates an item.
    ///
    /// Errors: `invalid_input` (bad field, unknown category), `conflict` (requested slug
    /// taken), `forbidden`/`unauthenticated` (the permission check).
    pub async fn create_item(&self, actor: &Actor, input: NewItem) -> CoreResult<ItemView> {
        self.require(actor, Action::Create, Resource::NewItem { kind: input.kind }).await?;
        let now = self.now();
        let author_id = match (actor, input.author_id) {
            (Actor::System, Some(author)) => author,
            (Actor::System, None) => {
                return Err(CoreError::invalid("author", "an author is required", "需要指定作者"));
            }
            (Actor::User(p), _) => p.user_id,
            (Actor::Anonymous, _) => return Err(CoreError::unauthenticated()),
        };
        if self.repo.user_by_id(author_id).await?.is_none() {
            return Err(CoreError::invalid("author", "no such user", "用户不存在"));
        }
        let title = check_title(&input.title)?;
        check_body(&input.body)?;
        let requested_status = input.status.unwrap_or(ItemStatus::Draft);
        if requested_status == ItemStatus::Trashed {
            return Err(CoreError::invalid(
                "status",
                "a new item cannot be trashed",
                "新内容不能直接放入回收站",
            ));
        }
        let (status, published_at) = schedule(requested_status, input.published_at, now)?;
        let origin = match actor {
            Actor::System => input.origin,
            Actor::User(p) if p.key.is_some() => Origin::Api,
            _ => Origin::Console,
        };
        let draft_resource =
            Resource::Item { kind: input.kind, author_id, status: ItemStatus::Draft, origin };
        if status != ItemStatus::Draft {
            self.require(actor, Action::Publish, draft_resource).await?;
        }
        if input.pinned || input.pinned_in_category {
            self.require(actor, Action::Pin, draft_resource).await?;
        }
        let slug = self.chosen_slug(input.kind, input.slug.as_deref(), &title, None).await?;
        let category_ids = self.resolve_categories(&input.categories).await?;
        let tags = self.resolve_tags(actor, &input.tags).await?;
        let custom_fields = check_custom_fields(input.custom_fields)?;
        let excerpt_manual = trimmed(input.excerpt);
        let password = trimmed(input.password);
        let visible =
            self.visible(&title, input.format, &input.body, excerpt_manual.as_deref(), password.as_deref());
        let created_at = match actor {
            Actor::System => input.created_at.unwrap_or(now),
            _ => now,
        };
        let release = matches!(status, ItemStatus::Published | ItemStatus::Private);
        let save = ItemSave {
            id: None,
            expected_version: 0,
            kind: input.kind,
            title: visible.title.clone(),
            slug,
            format: visible.format,
            body: visible.body.clone(),
            html: visible.html.clone(),
            excerpt: visible.excerpt.clone(),
            excerpt_manual,
            cover: check_url("cover", input.cover)?,
            cover_text: trimmed(input.cover_text),
            status,
            status_before_trash: None,
            published_at,
            password,
            redirect_url: check_url("redirect_url", input.redirect_url)?,
            pinned: input.pinned,
            pinned_in_category: input.pinned_in_category,
            comments_allowed: input.comments_allowed,
            template: trimmed(input.template),
            author_id,
            origin,
            category_ids,
            tags,
            custom_fields,
            import_key: input.import_key,
            created_at,
            updated_at: created_at,
            new_revision: Some(NewRevision {
                title: visible.title,
                format: visible.format,
                body: visible.body,
                html: visible.html,
                author_id: actor.user_id().unwrap_or(author_id),
                created_at: now,
            }),
            release_head: release,
            search: Some(visible.search),
        };
        let id = self.repo.save_item(save).await?;
        let item = self.repo.item_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        if item.status == ItemStatus::Published {
            self.emit(item_event(EventKind::ItemPublished, &item, actor)).await;
        }
        Ok(self.view(actor, item, None))
    }

    /// Applies a partial update. Title, body and format go to a new head revision; readers
    /// of a published item keep seeing the released revision until the next publish. Other
    /// fields apply at once.
    pub async fn update_item(&self, actor: &Actor, id: i64, patch: ItemPatch) -> CoreResult<ItemView> {
        let item = self.item_for(actor, id, Action::Edit).await?;
        if let Some(expected) = patch.expected_version
            && expected != item.version
        {
            return Err(CoreError::new(ErrorCode::EditConflict));
        }
        if patch.pinned.is_some_and(|p| p != item.pinned)
            || patch.pinned_in_category.is_some_and(|p| p != item.pinned_in_category)
        {
            self.require(actor, Action::Pin, item_resource(&item)).await?;
        }
        if patch.published_at.is_some() {
            self.require(actor, Action::Publish, item_resource(&item)).await?;
        }
        let now = self.now();
        let head = self.head_of(&item).await?;
        let new_revision = if patch.touches_revision() {
            let title = match &patch.title {
                Some(title) => check_title(title)?,
                None => head.title.clone(),
            };
            let body = patch.body.clone().unwrap_or_else(|| head.body.clone());
            check_body(&body)?;
            let format = patch.format.unwrap_or(head.format);
            (title != head.title || body != head.body || format != head.format).then(|| NewRevision {
                html: String::new(),
                title,
                format,
                body,
                author_id: actor.user_id().unwrap_or(item.author.id),
                created_at: now,
            })
        } else {
            None
        };
        let slug = match &patch.slug {
            Some(requested) if requested.trim() != item.slug => {
                self.chosen_slug(item.kind, Some(requested), &item.title, Some(item.id)).await?
            }
            _ => item.slug.clone(),
        };
        let category_ids = match &patch.categories {
            Some(keys) => self.resolve_categories(keys).await?,
            None => item.categories.iter().map(|c| c.id).collect(),
        };
        let tags = match &patch.tags {
            Some(names) => self.resolve_tags(actor, names).await?,
            None => item.tags.iter().map(|t| TagAssignment::Existing(t.id)).collect(),
        };
        let custom_fields = match patch.custom_fields {
            Some(fields) => check_custom_fields(fields)?,
            None => item.custom_fields.clone(),
        };
        let excerpt_manual = match patch.excerpt {
            Some(excerpt) => trimmed(excerpt),
            None => item.excerpt_manual.clone(),
        };
        let password = match patch.password {
            Some(password) => trimmed(password),
            None => item.password.clone(),
        };
        let (status, published_at) = match patch.published_at {
            Some(at) => reschedule(item.status, at, now)?,
            None => (item.status, item.published_at),
        };
        let release = patch.release
            && item.released_revision_id.is_some()
            && matches!(status, ItemStatus::Published | ItemStatus::Private);
        if release {
            self.require(actor, Action::Publish, item_resource(&item)).await?;
        }
        let visible = if item.shows_released() && !release {
            self.visible(&item.title, item.format, &item.body, excerpt_manual.as_deref(), password.as_deref())
        } else {
            let (title, format, body) = match &new_revision {
                Some(rev) => (rev.title.as_str(), rev.format, rev.body.as_str()),
                None => (head.title.as_str(), head.format, head.body.as_str()),
            };
            self.visible(title, format, body, excerpt_manual.as_deref(), password.as_deref())
        };
        let new_revision = new_revision.map(|mut rev| {
            rev.html = render(&rev.body, rev.format.into()).html;
            rev
        });
        let save = ItemSave {
            id: Some(item.id),
            expected_version: item.version,
            kind: item.kind,
            title: visible.title,
            slug,
            format: visible.format,
            body: visible.body,
            html: visible.html,
            excerpt: visible.excerpt,
            excerpt_manual,
            cover: match patch.cover {
                Some(cover) => check_url("cover", cover)?,
                None => item.cover.clone(),
            },
            cover_text: patch.cover_text.map_or(item.cover_text.clone(), trimmed),
            status,
            status_before_trash: item.status_before_trash,
            published_at,
            password,
            redirect_url: match patch.redirect_url {
                Some(url) => check_url("redirect_url", url)?,
                None => item.redirect_url.clone(),
            },
            pinned: patch.pinned.unwrap_or(item.pinned),
            pinned_in_category: patch.pinned_in_category.unwrap_or(item.pinned_in_category),
            comments_allowed: patch.comments_allowed.unwrap_or(item.comments_allowed),
            template: patch.template.map_or(item.template.clone(), trimmed),
            author_id: item.author.id,
            origin: item.origin,
            category_ids,
            tags,
            custom_fields,
            import_key: item.import_key.clone(),
            created_at: item.created_at,
            updated_at: now,
            new_revision,
            release_head: release,
            search: Some(visible.search),
        };
        self.repo.save_item(save).await?;
        let view = self.reload_view(actor, id).await?;
        self.emit(item_event(EventKind::ItemUpdated, &view.item, actor)).await;
        if release && view.item.status == ItemStatus::Published {
            self.emit(item_event(EventKind::ItemPublished, &view.item, actor)).await;
        }
        Ok(view)
    }

    async fn reload_view(&self, actor: &Actor, id: i64) -> CoreResult<ItemView> {
        let item = self.repo.item_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        Ok(self.view(actor, item, None))
    }

    async fn head_of(&self, item: &Item) -> CoreResult<Revision> {
        self.repo
            .revision(item.id, item.head_revision_id)
            .await?
            .ok_or_else(|| CoreError::internal(format!("item {} lost its head revision", item.id)))
    }

    /// Saves a status change. `release` makes the head revision what readers see.
    async fn transition(
        &self,
        item: Item,
        status: ItemStatus,
        published_at: Option<DateTime<Utc>>,
        status_before_trash: Option<ItemStatus>,
        release: bool,
    ) -> CoreResult<()> {
        let now = self.now();
        let shown_after = matches!(status, ItemStatus::Published | ItemStatus::Private)
            && (release || item.released_revision_id.is_some());
        let source_id = match item.released_revision_id {
            Some(released) if shown_after && !release => released,
            _ => item.head_revision_id,
        };
        let source = self
            .repo
            .revision(item.id, source_id)
            .await?
            .ok_or_else(|| CoreError::internal(format!("item {} lost revision {source_id}", item.id)))?;
        let visible = self.visible(
            &source.title,
            source.format,
            &source.body,
            item.excerpt_manual.as_deref(),
            item.password.as_deref(),
        );
        let save = ItemSave {
            id: Some(item.id),
            expected_version: item.version,
            kind: item.kind,
            title: visible.title,
            slug: item.slug,
            format: visible.format,
            body: visible.body,
            html: visible.html,
            excerpt: visible.excerpt,
            excerpt_manual: item.excerpt_manual,
            cover: item.cover,
            cover_text: item.cover_text,
            status,
            status_before_trash,
            published_at,
            password: item.password,
            redirect_url: item.redirect_url,
            pinned: item.pinned,
            pinned_in_category: item.pinned_in_category,
            comments_allowed: item.comments_allowed,
            template: item.template,
            author_id: item.author.id,
            origin: item.origin,
            category_ids: item.categories.iter().map(|c| c.id).collect(),
            tags: item.tags.iter().map(|t| TagAssignment::Existing(t.id)).collect(),
            custom_fields: item.custom_fields,
            import_key: item.import_key,
            created_at: item.created_at,
            updated_at: now,
            new_revision: None,
            release_head: release,
            search: Some(visible.search),
        };
        self.repo.save_item(save).await.map(|_| ())
    }

    /// Publishes an item (or releases a published item's pending edits). With `at` in the
    /// future the item is scheduled instead; `private` publishes it for its author and
    /// editors only.
    ///
    /// Errors: `invalid_state` for a trashed item; the permission check.
    pub async fn publish_item(
        &self,
        actor: &Actor,
        id: i64,
        at: Option<DateTime<Utc>>,
        private: bool,
    ) -> CoreResult<ItemView> {
        let item = self.item_for(actor, id, Action::Publish).await?;
        if item.status == ItemStatus::Trashed {
            return Err(trashed_error());
        }
        let now = self.now();
        let wanted = if private { ItemStatus::Private } else { ItemStatus::Published };
        let at = at.or(match item.status {
            ItemStatus::Scheduled => None,
            _ => item.published_at,
        });
        let (status, published_at) = schedule(wanted, at, now)?;
        let release = status != ItemStatus::Scheduled;
        self.transition(item, status, published_at, None, release).await?;
        let view = self.reload_view(actor, id).await?;
        if view.item.status == ItemStatus::Published {
            self.emit(item_event(EventKind::ItemPublished, &view.item, actor)).await;
        }
        Ok(view)
    }

    /// Takes an item back to draft; readers no longer see it.
    pub async fn unpublish_item(&self, actor: &Actor, id: i64) -> CoreResult<ItemView> {
        let item = self.item_for(actor, id, Action::Publish).await?;
        match item.status {
            ItemStatus::Trashed => return Err(trashed_error()),
            ItemStatus::Draft => return Ok(self.view(actor, item, None)),
            _ => {}
        }
        let published_at = if item.status == ItemStatus::Scheduled { None } else { item.published_at };
        self.transition(item, ItemStatus::Draft, published_at, None, false).await?;
        self.reload_view(actor, id).await
    }

    /// Moves an item to the trash, remembering its status for [`Core::restore_item`].
    pub async fn trash_item(&self, actor: &Actor, id: i64) -> CoreResult<ItemView> {
        let item = self.item_for(actor, id, Action::Trash).await?;
        if item.status == ItemStatus::Trashed {
            return Ok(self.view(actor, item, None));
        }
        let before = item.status;
        let published_at = item.published_at;
        self.transition(item, ItemStatus::Trashed, published_at, Some(before), false).await?;
        self.reload_view(actor, id).await
    }

    /// Brings a trashed item back to the status it had. Restoring something that was
    /// published needs the right to publish; without it the item comes back as a draft.
    pub async fn restore_item(&self, actor: &Actor, id: i64) -> CoreResult<ItemView> {
        let item = self.item_for(actor, id, Action::Edit).await?;
        if item.status != ItemStatus::Trashed {
            return Err(CoreError::new(ErrorCode::InvalidState)
                .with_detail("only trashed items can be restored", "只有回收站中的内容可以恢复"));
        }
        let mut status = item.status_before_trash.unwrap_or(ItemStatus::Draft);
        let draft_resource = Resource::Item {
            kind: item.kind,
            author_id: item.author.id,
            status: ItemStatus::Draft,
            origin: item.origin,
        };
        if status != ItemStatus::Draft && authorize(actor, Action::Publish, draft_resource).is_err() {
            status = ItemStatus::Draft;
        }
        let published_at = item.published_at;
        self.transition(item, status, published_at, None, false).await?;
        self.reload_view(actor, id).await
    }

    /// Deletes an item for good, with its revisions.
    pub async fn delete_item(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        let item = self.item_for(actor, id, Action::Delete).await?;
        if !self.repo.delete_item(id).await? {
            return Err(CoreError::not_found());
        }
        self.emit(item_event(EventKind::ItemDeleted, &item, actor)).await;
        Ok(())
    }

    /// Reads an item by id. `password` unlocks a protected body.
    pub async fn get_item(&self, actor: &Actor, id: i64, password: Option<&str>) -> CoreResult<ItemView> {
        let item = self.item_for(actor, id, Action::View).await?;
        Ok(self.view(actor, item, password))
    }

    /// Reads an item by kind and slug.
    pub async fn get_item_by_slug(
        &self,
        actor: &Actor,
        kind: ItemKind,
        slug: &str,
        password: Option<&str>,
    ) -> CoreResult<ItemView> {
        let item = self.repo.item_by_slug(kind, slug).await?.ok_or_else(CoreError::not_found)?;
        let item = self.permit_item(actor, item, Action::View).await?;
        Ok(self.view(actor, item, password))
    }

    /// Lists items the actor may see.
    ///
    /// Errors: `invalid_input` for a page below 1, a per_page outside 1..=100, or an unknown
    /// sort key. Unknown category, tag or author give an empty page.
    pub async fn list_items(&self, actor: &Actor, params: ListParams) -> CoreResult<Page<ItemView>> {
        let page = params.page.unwrap_or(1);
        crate::paging::check_page(page)?;
        let per_page = params.per_page.unwrap_or_else(|| self.settings().page_size());
        crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
        let sort = params.sort.as_deref().map(parse_sort).transpose()?;
        let empty = Page { items: Vec::new(), total: 0, page, per_page };
        let category_ids = match &params.category {
            Some(key) => match self.resolve_category(key).await? {
                Some(id) => Some(self.category_with_descendants(id).await?),
                None => return Ok(empty),
            },
            None => None,
        };
        let tag_id = match &params.tag {
            Some(key) => match self.resolve_tag(key).await? {
                Some(id) => Some(id),
                None => return Ok(empty),
            },
            None => None,
        };
        let author_id = match &params.author {
            Some(TermKey::Id(id)) => Some(*id),
            Some(TermKey::Text(name)) => match self.repo.user_by_login(name).await? {
                Some(user) if user.username.eq_ignore_ascii_case(name) => Some(user.id),
                _ => return Ok(empty),
            },
            None => None,
        };
        let search_terms = match params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                let terms = Segmenter::global().query_terms(q);
                if terms.is_empty() {
                    return Ok(empty);
                }
                Some(terms)
            }
            None => None,
        };
        let query = ItemQuery {
            kind: params.kind,
            status: params.status,
            visibility: list_visibility(actor),
            category_pins_first: category_ids.is_some(),
            category_ids,
            tag_id,
            author_id,
            search_terms,
            sort,
            offset: (page - 1) * per_page,
            limit: per_page,
            title_contains: params.title_contains.filter(|t| !t.trim().is_empty()),
            pin_order: params.pin_order,
            published_since: params.published_since,
            published_before: params.published_before,
        };
        let (items, total) = self.repo.list_items(&query).await?;
        let items = items.into_iter().map(|item| self.view(actor, item, None)).collect();
        Ok(Page { items, total, page, per_page })
    }

    /// The item of `kind` that used to be at `slug`, when the actor may see it: old links
    /// follow it to its current slug. `None` when no item left that slug, or the one that
    /// did is hidden from the actor.
    pub async fn item_by_former_slug(
        &self,
        actor: &Actor,
        kind: ItemKind,
        slug: &str,
    ) -> CoreResult<Option<Item>> {
        let Some(item) = self.repo.item_by_former_slug(kind, slug).await? else { return Ok(None) };
        Ok(authorize(actor, Action::View, item_resource(&item)).is_ok().then_some(item))
    }

    /// The published posts just before and after `item` in publication order, as (older,
    /// newer): the previous/next links under a post. Items published at the same instant
    /// are ordered by id. Both `None` unless `item` is itself a published post. Everyone
    /// sees the same posts (only published ones count); password-protected ones come
    /// locked for an `actor` who may not edit them.
    pub async fn adjacent_posts(
        &self,
        actor: &Actor,
        item: &Item,
    ) -> CoreResult<(Option<ItemView>, Option<ItemView>)> {
        let published_at = match item.published_at {
            Some(at) if item.kind == ItemKind::Post && item.status == ItemStatus::Published => at,
            _ => return Ok((None, None)),
        };
        let (older, newer) = self.repo.adjacent_published(ItemKind::Post, published_at, item.id).await?;
        let view = |item: Option<Item>| item.map(|item| self.view(actor, item, None));
        Ok((view(older), view(newer)))
    }

    /// Months with published posts, newest first, counted in the site's time zone (the
    /// archive page). Everyone sees the same: only published posts count.
    pub async fn archive_months(&self) -> CoreResult<Vec<ArchiveMonth>> {
        use chrono::Datelike;
        let tz = self.settings().time_zone();
        let mut months: Vec<ArchiveMonth> = Vec::new();
        for at in self.repo.published_post_times().await?.into_iter().rev() {
            let local = at.with_timezone(&tz);
            match months.last_mut() {
                Some(last) if last.year == local.year() && last.month == local.month() => last.count += 1,
                _ => months.push(ArchiveMonth { year: local.year(), month: local.month(), count: 1 }),
            }
        }
        Ok(months)
    }

    /// The first instant of month `month` of `year` in the site's time zone and the first
    /// instant of the next month, for [`ListParams::published_since`]/`published_before`.
    /// `None` for a month that does not exist.
    pub fn month_bounds(&self, year: i32, month: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        use chrono::{NaiveDate, TimeZone};
        let tz = self.settings().time_zone();
        let start = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let at = |date: NaiveDate| {
            tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
        };
        Some((at(start)?, at(next)?))
    }

    async fn resolve_tag(&self, key: &TermKey) -> CoreResult<Option<i64>> {
        let tags = self.repo.tags(false).await?;
        Ok(match key {
            TermKey::Id(id) => tags.iter().find(|t| t.id == *id).map(|t| t.id),
            TermKey::Text(text) => tags
                .iter()
                .find(|t| t.slug == *text)
                .or_else(|| tags.iter().find(|t| t.name.to_lowercase() == text.to_lowercase()))
                .map(|t| t.id),
        })
    }

    /// Revisions of an item, newest first.
    pub async fn revisions(&self, actor: &Actor, id: i64) -> CoreResult<(Item, Vec<Revision>)> {
        let item = self.item_for(actor, id, Action::ViewRevisions).await?;
        let revisions = self.repo.revisions(id).await?;
        Ok((item, revisions))
    }

    /// One revision of an item.
    pub async fn revision(&self, actor: &Actor, id: i64, revision_id: i64) -> CoreResult<(Item, Revision)> {
        let item = self.item_for(actor, id, Action::ViewRevisions).await?;
        let revision = self.repo.revision(id, revision_id).await?.ok_or_else(CoreError::not_found)?;
        Ok((item, revision))
    }

    /// Publishes every scheduled item whose time has come; returns their ids. Run by the
    /// server's scheduler every second and at start-up, so nothing is missed across a
    /// restart.
    pub async fn publish_due(&self) -> CoreResult<Vec<i64>> {
        let due = self.repo.due_scheduled(self.now()).await?;
        let mut published = Vec::with_capacity(due.len());
        for id in due {
            let Some(item) = self.repo.item_by_id(id).await? else { continue };
            if item.status != ItemStatus::Scheduled {
                continue;
            }
            let at = item.published_at;
            let summary = item_event(EventKind::ItemPublished, &item, &Actor::System);
            match self.transition(item, ItemStatus::Published, at, None, true).await {
                Ok(()) => {
                    published.push(id);
                    self.emit(summary).await;
                }
                Err(err) if err.code == ErrorCode::EditConflict => {}
                Err(err) => return Err(err),
            }
        }
        Ok(published)
    }

    /// Counts one view of a public item; returns the new count.
    pub async fn record_view(&self, id: i64) -> CoreResult<i64> {
        let item = self.item_for(&Actor::Anonymous, id, Action::View).await?;
        self.repo.increment_views(item.id).await?.ok_or_else(CoreError::not_found)
    }

    /// Creates or updates the item with `input.import_key`. Missing categories are created.
    /// A re-import of unchanged content writes nothing.
    pub async fn import_item(&self, mut input: NewItem) -> CoreResult<ImportOutcome> {
        let actor = Actor::System;
        let key = input
            .import_key
            .clone()
            .ok_or_else(|| CoreError::invalid("import_key", "required for imports", "导入需要来源标识"))?;
        for key in &mut input.categories {
            if self.resolve_category(key).await?.is_none()
                && let TermKey::Text(name) = key
            {
                let category =
                    self.create_category(&actor, crate::taxonomy::CategoryInput::named(name.clone())).await?;
                *key = TermKey::Id(category.id);
            }
        }
        let Some(existing) = self.repo.item_by_import_key(&key).await? else {
            let view = self.create_item(&actor, input).await?;
            return Ok(ImportOutcome::Created(view.item.id));
        };
        let id = existing.id;
        let category_ids = self.resolve_categories(&input.categories).await?;
        let head = self.head_of(&existing).await?;
        let same_tags = {
            let mut old: Vec<String> = existing.tags.iter().map(|t| t.name.to_lowercase()).collect();
            let mut new: Vec<String> = input.tags.iter().map(|t| t.trim().to_lowercase()).collect();
            old.sort();
            new.sort();
            new.dedup();
            old == new
        };
        let unchanged = head.title == check_title(&input.title)?
            && head.body == input.body
            && head.format == input.format
            && existing.categories.iter().map(|c| c.id).collect::<Vec<_>>() == category_ids
            && same_tags
            && existing.custom_fields == input.custom_fields
            && existing.excerpt_manual == trimmed(input.excerpt.clone())
            && existing.cover == trimmed(input.cover.clone());
        if unchanged {
            return Ok(ImportOutcome::Unchanged(id));
        }
        let patch = ItemPatch {
            title: Some(input.title),
            format: Some(input.format),
            body: Some(input.body),
            excerpt: Some(input.excerpt),
            cover: Some(input.cover),
            categories: Some(input.categories),
            tags: Some(input.tags),
            custom_fields: Some(input.custom_fields),
            ..ItemPatch::default()
        };
        let view = self.update_item(&actor, id, patch).await?;
        if view.item.has_unpublished_changes() {
            self.publish_item(&actor, id, None, view.item.status == ItemStatus::Private).await?;
        }
        Ok(ImportOutcome::Updated(id))
    }

    async fn category_with_descendants(&self, root: i64) -> CoreResult<Vec<i64>> {
        let categories = self.repo.categories(false).await?;
        Ok(crate::taxonomy::category_and_descendants(&categories, root))
    }
}

/// The author's own excerpt of `item` as sanitized HTML, rendered in the item's body format
/// (Markdown excerpts become paragraphs), or `None` when it has none. APIs that show
/// excerpts as HTML (emlog `description`, `excerpt`) use it.
pub fn manual_excerpt_html(item: &Item) -> Option<String> {
    item.excerpt_manual.as_deref().map(|excerpt| render(excerpt, item.format.into()).html)
}

/// The permission resource of an existing item.
pub fn item_resource(item: &Item) -> Resource {
    Resource::Item { kind: item.kind, author_id: item.author.id, status: item.status, origin: item.origin }
}

fn trashed_error() -> CoreError {
    CoreError::new(ErrorCode::InvalidState)
        .with_detail("the item is in the trash; restore it first", "内容在回收站中，请先恢复")
}

/// The status and time a publish-like request ends in: a future time schedules, a
/// published request without a time publishes now.
fn schedule(
    wanted: ItemStatus,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CoreResult<(ItemStatus, Option<DateTime<Utc>>)> {
    match wanted {
        ItemStatus::Draft => Ok((ItemStatus::Draft, at)),
        ItemStatus::Scheduled => match at {
            Some(at) if at > now => Ok((ItemStatus::Scheduled, Some(at))),
            Some(at) => Ok((ItemStatus::Published, Some(at))),
            None => Err(CoreError::invalid(
                "published_at",
                "a scheduled item needs a publish time",
                "定时发布需要发布时间",
            )),
        },
        ItemStatus::Published => match at {
            Some(at) if at > now => Ok((ItemStatus::Scheduled, Some(at))),
            at => Ok((ItemStatus::Published, Some(at.unwrap_or(now)))),
        },
        ItemStatus::Private => Ok((ItemStatus::Private, Some(at.unwrap_or(now)))),
        ItemStatus::Trashed => Err(trashed_error()),
    }
}

/// A new publish time for an item in `status`.
fn reschedule(
    status: ItemStatus,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CoreResult<(ItemStatus, Option<DateTime<Utc>>)> {
    match (status, at) {
        (ItemStatus::Published, Some(at)) if at > now => Ok((ItemStatus::Scheduled, Some(at))),
        (ItemStatus::Published | ItemStatus::Private, None) => Err(CoreError::invalid(
            "published_at",
            "a published item keeps a publish time; unpublish it instead",
            "已发布的内容必须有发布时间；请改为撤回发布",
        )),
        (ItemStatus::Scheduled, Some(at)) if at <= now => Ok((ItemStatus::Published, Some(at))),
        (ItemStatus::Scheduled, None) => Ok((ItemStatus::Draft, None)),
        (status, at) => Ok((status, at)),
    }
}

fn parse_sort(text: &str) -> CoreResult<ItemSort> {
    let (descending, key) = match text.strip_prefix('-') {
        Some(key) => (true, key),
        None => (false, text),
    };
    let key = match key {
        "published_at" => ItemSortKey::PublishedAt,
        "created_at" => ItemSortKey::CreatedAt,
        "updated_at" => ItemSortKey::UpdatedAt,
        "title" => ItemSortKey::Title,
        "view_count" => ItemSortKey::ViewCount,
        "comment_count" => ItemSortKey::CommentCount,
        "relevance" => ItemSortKey::Relevance,
        _ => {
            return Err(CoreError::invalid(
                "sort",
                "sort by published_at, created_at, updated_at, title, view_count, comment_count or relevance, with - for descending",
                "排序字段可为 published_at、created_at、updated_at、title、view_count、comment_count 或 relevance，前加 - 表示降序",
            ));
        }
    };
    Ok(ItemSort { key, descending })
}

/// The event told to webhooks about `item`: its id, kind, title, slug, status, author and
/// times (never its password or body).
fn item_event(kind: EventKind, item: &Item, actor: &Actor) -> DomainEvent {
    let data = serde_json::json!({
        "id": item.id,
        "kind": item.kind.as_str(),
        "title": item.title,
        "slug": item.slug,
        "status": item.status.as_str(),
        "author_id": item.author.id,
        "published_at": item.published_at,
        "updated_at": item.updated_at,
    });
    DomainEvent::new(kind, item.id, actor.user_id(), data)
}
