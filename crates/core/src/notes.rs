//! Short notes (emlog 微语, Qexo 说说): Markdown bodies, tags, privacy, free JSON values.
//!
//! Authors and up write notes (`Action::Create` on `Resource::NewNote`). Everyone reads
//! public notes; a private note is visible to its author and to editors and admins only
//! (others get `not_found`). Authors edit and delete their own notes, editors all.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_render::{SourceFormat, render};

use crate::Core;
use crate::content::Page;
use crate::error::{CoreError, CoreResult};
use crate::model::{Origin, UserSummary};
use crate::permission::{Action, Actor, Resource, authorize};

/// Longest note body, in characters.
pub const MAX_NOTE_CHARS: usize = 20_000;
/// Most tags on a note.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Largest `values` object, in bytes of compact JSON.
pub const MAX_VALUES_BYTES: usize = 16 * 1024;
/// Most notes in one page of a list.
pub const MAX_PER_PAGE: i64 = 100;

/// A note.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: i64,
    pub author: UserSummary,
    /// Markdown source.
    pub body: String,
    /// Sanitized HTML of `body`.
    pub html: String,
    /// Free-form tags in the order given (no duplicates, case-insensitively).
    pub tags: Vec<String>,
    pub private: bool,
    /// A free JSON object.
    pub values: serde_json::Map<String, serde_json::Value>,
    pub like_count: i64,
    /// `api` when made through an API key, else `console` (or `import`).
    pub origin: Origin,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A note as one caller may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteView {
    pub note: Note,
    /// The caller may change and delete it.
    pub can_edit: bool,
}

/// A new note.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    /// Markdown, 1 to 20,000 characters.
    pub body: String,
    pub tags: Vec<String>,
    pub private: bool,
    /// A JSON object of at most 16 KiB; `None` for `{}`.
    pub values: Option<serde_json::Value>,
}

/// A partial update; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct NotePatch {
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
    pub private: Option<bool>,
    pub values: Option<serde_json::Value>,
}

/// Filters and paging of a note list.
#[derive(Debug, Clone, Default)]
pub struct NoteListParams {
    /// Notes with this tag (case-insensitive).
    pub tag: Option<String>,
    /// Notes by this user id.
    pub author_id: Option<i64>,
    /// 1-based; 1 when absent.
    pub page: Option<i64>,
    /// 1..=100; the site's page size when absent.
    pub per_page: Option<i64>,
}

/// The whole stored state of a note.
#[derive(Debug, Clone)]
pub struct NoteWrite {
    pub author_id: i64,
    pub body: String,
    pub html: String,
    pub tags: Vec<String>,
    pub private: bool,
    pub values: serde_json::Map<String, serde_json::Value>,
    pub origin: Origin,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which notes a listing includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteVisibility {
    /// Public notes only.
    Public,
    /// Public notes and this user's private ones.
    PublicAndOwn(i64),
    /// Everything.
    All,
}

/// A page of notes, newest first.
#[derive(Debug, Clone)]
pub struct NoteQuery {
    pub visibility: NoteVisibility,
    pub tag: Option<String>,
    pub author_id: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

/// Notes and their tags.
#[async_trait]
pub trait NoteRepository: Send + Sync {
    /// Inserts the note with its tags in one transaction.
    async fn insert_note(&self, note: NoteWrite) -> CoreResult<Note>;
    /// Replaces the note's fields and tags in one transaction (author, origin and
    /// creation time stay). `None` when there is no such note.
    async fn update_note(&self, id: i64, note: NoteWrite) -> CoreResult<Option<Note>>;
    async fn note_by_id(&self, id: i64) -> CoreResult<Option<Note>>;
    /// Newest first, with the total matching.
    async fn list_notes(&self, query: &NoteQuery) -> CoreResult<(Vec<Note>, i64)>;
    /// Deletes the note with its tags and likes.
    async fn delete_note(&self, id: i64) -> CoreResult<bool>;
}

/// The permission resource of a note.
pub fn note_resource(note: &Note) -> Resource {
    Resource::Note { author_id: note.author.id, private: note.private, origin: note.origin }
}

fn check_note_body(body: &str) -> CoreResult<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(CoreError::invalid("body", "a note needs some text", "微语内容不能为空"));
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(CoreError::invalid(
            "body",
            format!("at most {MAX_NOTE_CHARS} characters"),
            format!("最多 {MAX_NOTE_CHARS} 个字符"),
        ));
    }
    Ok(body.to_string())
}

fn check_tags(tags: Vec<String>) -> CoreResult<Vec<String>> {
    let mut kept: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() || kept.iter().any(|k| k.to_lowercase() == tag.to_lowercase()) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                "tags",
                format!("a tag has at most {MAX_TAG_CHARS} characters and no control characters"),
                format!("标签最多 {MAX_TAG_CHARS} 个字符，且不能包含控制字符"),
            ));
        }
        kept.push(tag.to_string());
    }
    if kept.len() > MAX_TAGS {
        return Err(CoreError::invalid(
            "tags",
            format!("at most {MAX_TAGS} tags"),
            format!("最多 {MAX_TAGS} 个标签"),
        ));
    }
    Ok(kept)
}

fn check_values(values: Option<serde_json::Value>) -> CoreResult<serde_json::Map<String, serde_json::Value>> {
    match values {
        None | Some(serde_json::Value::Null) => Ok(serde_json::Map::new()),
        Some(serde_json::Value::Object(map)) => {
            let size = serde_json::to_vec(&map).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > MAX_VALUES_BYTES {
                return Err(CoreError::invalid(
                    "values",
                    format!("at most {MAX_VALUES_BYTES} bytes of JSON"),
                    format!("最多 {MAX_VALUES_BYTES} 字节的 JSON"),
                ));
            }
            Ok(map)
        }
        Some(_) => Err(CoreError::invalid("values", "must be a JSON object", "必须是 JSON 对象")),
    }
}

fn note_view(actor: &Actor, note: Note) -> NoteView {
    let can_edit = authorize(actor, Action::Edit, note_resource(&note)).is_ok();
    NoteView { note, can_edit }
}

impl Core {
    /// A note `actor` may see (with the permission for `action` checked), or `not_found`.
    async fn note_for(&self, actor: &Actor, id: i64, action: Action) -> CoreResult<Note> {
        let note = self.repo.note_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        let resource = note_resource(&note);
        if authorize(actor, Action::View, resource).is_err() {
            return Err(CoreError::not_found());
        }
        self.require(actor, action, resource).await?;
        Ok(note)
    }

    /// Writes a note (authors and up). Through an API key its origin is `api`.
    ///
    /// Errors: `invalid_input` (body, tags, values), the permission check.
    pub async fn create_note(&self, actor: &Actor, input: NewNote) -> CoreResult<NoteView> {
        self.require(actor, Action::Create, Resource::NewNote).await?;
        let author_id = actor
            .user_id()
            .ok_or_else(|| CoreError::invalid("author", "a note needs an author", "微语需要作者"))?;
        let body = check_note_body(&input.body)?;
        let html = render(&body, SourceFormat::Markdown).html;
        let origin = match actor.principal() {
            Some(p) if p.key.is_some() => Origin::Api,
            _ => Origin::Console,
        };
        let now = self.now();
        let note = self
            .repo
            .insert_note(NoteWrite {
                author_id,
                body,
                html,
                tags: check_tags(input.tags)?,
                private: input.private,
                values: check_values(input.values)?,
                origin,
                created_at: now,
                updated_at: now,
            })
            .await?;
        Ok(note_view(actor, note))
    }

    /// One note. Errors: `not_found` (also a private note the caller may not see).
    pub async fn get_note(&self, actor: &Actor, id: i64) -> CoreResult<NoteView> {
        let note = self.note_for(actor, id, Action::View).await?;
        Ok(note_view(actor, note))
    }

    /// Changes a note (its author if an author, editors, admins).
    ///
    /// Errors: `not_found`, `invalid_input`, the permission check.
    pub async fn update_note(&self, actor: &Actor, id: i64, patch: NotePatch) -> CoreResult<NoteView> {
        let note = self.note_for(actor, id, Action::Edit).await?;
        let (body, html) = match patch.body {
            Some(body) => {
                let body = check_note_body(&body)?;
                let html = render(&body, SourceFormat::Markdown).html;
                (body, html)
            }
            None => (note.body.clone(), note.html.clone()),
        };
        let tags = match patch.tags {
            Some(tags) => check_tags(tags)?,
            None => note.tags.clone(),
        };
        let values = match patch.values {
            Some(values) => check_values(Some(values))?,
            None => note.values.clone(),
        };
        let write = NoteWrite {
            author_id: note.author.id,
            body,
            html,
            tags,
            private: patch.private.unwrap_or(note.private),
            values,
            origin: note.origin,
            created_at: note.created_at,
            updated_at: self.now(),
        };
        let note = self.repo.update_note(id, write).await?.ok_or_else(CoreError::not_found)?;
        Ok(note_view(actor, note))
    }

    /// Deletes a note for good, with its tags and likes.
    ///
    /// Errors: `not_found`, the permission check.
    pub async fn delete_note(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.note_for(actor, id, Action::Delete).await?;
        if !self.repo.delete_note(id).await? {
            return Err(CoreError::not_found());
        }
        Ok(())
    }

    /// Notes newest first, one page: public ones, plus the caller's own private ones, or
    /// all for editors and admins. Filter by tag (case-insensitive) and author.
    ///
    /// Errors: `invalid_input` (page below 1, per_page outside 1..=100).
    pub async fn list_notes(&self, actor: &Actor, params: NoteListParams) -> CoreResult<Page<NoteView>> {
        let page = params.page.unwrap_or(1);
        crate::paging::check_page(page)?;
        let per_page = params.per_page.unwrap_or_else(|| self.settings().page_size());
        crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
        let probe = |author_id| Resource::Note { author_id, private: true, origin: Origin::Console };
        let visibility = if authorize(actor, Action::View, probe(-1)).is_ok() {
            NoteVisibility::All
        } else {
            match actor.user_id() {
                Some(user_id) if authorize(actor, Action::View, probe(user_id)).is_ok() => {
                    NoteVisibility::PublicAndOwn(user_id)
                }
                _ => NoteVisibility::Public,
            }
        };
        let query = NoteQuery {
            visibility,
            tag: params.tag.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            author_id: params.author_id,
            offset: (page - 1) * per_page,
            limit: per_page,
        };
        let (notes, total) = self.repo.list_notes(&query).await?;
        let items = notes.into_iter().map(|n| note_view(actor, n)).collect();
        Ok(Page { items, total, page, per_page })
    }
}
