//! `articles/index`, `articles/read`, `articles/save`, `articles/update`,
//! `articles/delete`: ulthon's `post` table over the core's posts and pages.
//!
//! Mapping (ulthon → core): `type` "1" post / "2" page; `status` 1 published (or
//! scheduled) / 0 draft (or private); `source` `api` ↔ origin `api`, `admin` ↔ any other
//! origin; `poster` = cover; `desc` = the manual excerpt; `cover_text` = cover text;
//! `categorys` / `tags` = ids of the core's categories and tags; `uid` = the slug;
//! `articles/delete` = the core's trash (ulthon's soft delete: `delete_time`).

use std::collections::HashMap;

use inkstone_core::content::{ItemPatch, ItemView, ListParams, NewItem, TermKey};
use inkstone_core::model::{BodyFormat, Category, ItemKind, ItemStatus, Origin, Tag};
use inkstone_core::permission::Action;
use serde_json::{Value, json};

use crate::call::Call;
use crate::dates::{parse_publish_time, unix};
use crate::envelope::{UlthonError, UlthonResult, ok, ok_empty};

/// Page size of `articles/index` when `limit` is not given (the document's default).
pub const DEFAULT_LIMIT: i64 = 15;
/// Largest `limit` accepted (the core's page limit).
pub const MAX_LIMIT: i64 = 100;

const NOT_FOUND: &str = "文章不存在";

/// ulthon `type` of a kind: "1" article, "2" page.
fn type_of(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Page => "2",
        _ => "1",
    }
}

fn kind_of(text: &str) -> Result<ItemKind, UlthonError> {
    match text.trim() {
        "1" => Ok(ItemKind::Post),
        "2" => Ok(ItemKind::Page),
        _ => Err(UlthonError::parameter("type 只能是 \"1\"（文章）或 \"2\"（单页）")),
    }
}

/// ulthon `status`: 1 when the item is published or scheduled (its `publish_time` decides
/// when readers see it), 0 for drafts and private items.
fn status_of(status: ItemStatus) -> i64 {
    match status {
        ItemStatus::Published | ItemStatus::Scheduled => 1,
        _ => 0,
    }
}

fn source_of(origin: Origin) -> &'static str {
    if origin == Origin::Api { "api" } else { "admin" }
}

fn format_of(text: &str) -> Result<BodyFormat, UlthonError> {
    match text.trim() {
        "html" => Ok(BodyFormat::Html),
        "markdown" => Ok(BodyFormat::Markdown),
        _ => Err(UlthonError::parameter("content_type 只能是 html 或 markdown")),
    }
}

/// The `post` object of `articles/read` (and each entry of `articles/index`): `id`,
/// `uid`, `title`, `content` (the source as written), `content_html` (sanitized HTML),
/// `content_type`, `desc`, `cover_text`, `poster`, `type` (string), `status`, `source`,
/// `publish_time`, `create_time`, `update_time` (Unix seconds, 0 = none). A
/// password-protected body the key may not edit reads as empty strings.
pub fn post_json(view: &ItemView) -> Value {
    let item = &view.item;
    let (content, html) = if view.locked { ("", "") } else { (item.body.as_str(), item.html.as_str()) };
    json!({
        "id": item.id,
        "uid": item.slug,
        "title": item.title,
        "content": content,
        "content_html": html,
        "content_type": item.format.as_str(),
        "desc": item.excerpt_manual.as_deref().unwrap_or(""),
        "cover_text": item.cover_text.as_deref().unwrap_or(""),
        "poster": item.cover.as_deref().unwrap_or(""),
        "type": type_of(item.kind),
        "status": status_of(item.status),
        "source": source_of(item.origin),
        "publish_time": unix(item.published_at),
        "create_time": item.created_at.timestamp(),
        "update_time": item.updated_at.timestamp(),
    })
}

/// The core's categories and tags, to name the ids clients send and show.
struct Terms {
    categories: HashMap<i64, Category>,
    tags: HashMap<i64, Tag>,
}

impl Terms {
    async fn load(call: &Call) -> Result<Terms, UlthonError> {
        let categories = call.core().categories().await?.into_iter().map(|c| (c.id, c)).collect();
        let tags = call.core().tags().await?.into_iter().map(|t| (t.id, t)).collect();
        Ok(Terms { categories, tags })
    }

    /// `{id, title, pid}` for each of the item's categories (primary first).
    fn categories_json(&self, view: &ItemView) -> Value {
        let list: Vec<Value> = view
            .item
            .categories
            .iter()
            .map(|c| {
                let pid = self.categories.get(&c.id).and_then(|c| c.parent_id).unwrap_or(0);
                json!({ "id": c.id, "title": c.name, "pid": pid })
            })
            .collect();
        Value::Array(list)
    }

    /// `{id, title}` for each of the item's tags.
    fn tags_json(view: &ItemView) -> Value {
        Value::Array(view.item.tags.iter().map(|t| json!({ "id": t.id, "title": t.name })).collect())
    }

    /// Category ids as the core takes them. Errors: `分类不存在：<id>`.
    fn category_keys(&self, ids: &[i64]) -> Result<Vec<TermKey>, UlthonError> {
        ids.iter()
            .map(|id| match self.categories.contains_key(id) {
                true => Ok(TermKey::Id(*id)),
                false => Err(UlthonError::business(format!("分类不存在：{id}"))),
            })
            .collect()
    }

    /// Tag ids as the core takes them (names of existing tags). Errors: `标签不存在：<id>`.
    fn tag_names(&self, ids: &[i64]) -> Result<Vec<String>, UlthonError> {
        ids.iter()
            .map(|id| match self.tags.get(id) {
                Some(tag) => Ok(tag.name.clone()),
                None => Err(UlthonError::business(format!("标签不存在：{id}"))),
            })
            .collect()
    }
}

/// The article `id` parameter. Errors: `参数错误：缺少 id`.
fn required_id(call: &Call) -> Result<i64, UlthonError> {
    match call.params.int("id")? {
        Some(id) if id > 0 => Ok(id),
        Some(_) => Err(UlthonError::business(NOT_FOUND)),
        None => Err(UlthonError::parameter("缺少 id")),
    }
}

/// An article the key may see and that is not deleted (trashed items are ulthon's
/// soft-deleted rows: not found).
async fn live_article(call: &Call, id: i64) -> Result<ItemView, UlthonError> {
    let view = call
        .core()
        .get_item(&call.actor(), id, None)
        .await
        .map_err(|e| UlthonError::not_found_as(e, NOT_FOUND))?;
    if view.item.status == ItemStatus::Trashed || view.item.kind == ItemKind::Discussion {
        return Err(UlthonError::business(NOT_FOUND));
    }
    Ok(view)
}

/// The body a save or update sends, as (format, source): `content_type` `markdown` takes
/// `content` (rendered by the core; any `content_html` is ignored, as ulthon overwrites
/// it); `html` takes `content_html` when it is not empty, else `content`. `default_format`
/// applies when `content_type` is absent (html on save; on update the item's own format,
/// or html when only `content_html` is sent).
fn body_of(
    call: &Call,
    default_format: BodyFormat,
) -> Result<(Option<BodyFormat>, Option<String>), UlthonError> {
    let content = call.params.text("content")?;
    let content_html = call.params.text("content_html")?.filter(|h| !h.trim().is_empty());
    let format = match call.params.text("content_type")?.filter(|t| !t.trim().is_empty()) {
        Some(text) => Some(format_of(&text)?),
        None if content.is_none() && content_html.is_some() => Some(BodyFormat::Html),
        None => None,
    };
    let body = match format.unwrap_or(default_format) {
        BodyFormat::Markdown => content,
        BodyFormat::Html => content_html.or(content),
    };
    Ok((format, body))
}

fn status_param(call: &Call) -> Result<Option<bool>, UlthonError> {
    match call.params.int("status")? {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(_) => Err(UlthonError::parameter("status 只能是 0（草稿）或 1（发布）")),
    }
}

fn publish_time_param(call: &Call) -> Result<Option<chrono::DateTime<chrono::Utc>>, UlthonError> {
    match call.params.text("publish_time")? {
        Some(text) => parse_publish_time(&text, call.core().settings().time_zone()),
        None => Ok(None),
    }
}

/// A text field that may be cleared: absent → `None`; given (even empty) → `Some`.
fn clearable(call: &Call, name: &str) -> Result<Option<Option<String>>, UlthonError> {
    Ok(call.params.text(name)?.map(|v| Some(v).filter(|v| !v.trim().is_empty())))
}

/// `GET articles/index`: `page` (1), `limit` (15, at most 100), `type` ("1"/"2"; absent:
/// both), `category_id` (that category and its children), `keyword` (the core's search
/// over title and body). Newest first (by creation). Reply `{list, total, page}`; each entry
/// is [`post_json`] with `categorys` and `tags`.
///
/// Errors: 500 `参数错误` for a `limit` over 100 or a bad `type`.
pub async fn index(call: Call) -> UlthonResult {
    let page = call.params.int("page").unwrap_or(None).filter(|p| *p >= 1).unwrap_or(1);
    let limit = call.params.int("limit").unwrap_or(None).filter(|l| *l >= 1).unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(UlthonError::parameter(format!("limit 最大为 {MAX_LIMIT}")));
    }
    let kind = call.params.text("type")?.filter(|t| !t.trim().is_empty()).map(|t| kind_of(&t)).transpose()?;
    let category = call.params.int("category_id")?.filter(|id| *id > 0).map(TermKey::Id);
    let params = ListParams {
        kind,
        status: None,
        category,
        tag: None,
        author: None,
        q: call.params.text("keyword")?.filter(|k| !k.trim().is_empty()),
        sort: Some("-created_at".into()),
        page: Some(page),
        per_page: Some(limit),
        ..ListParams::default()
    };
    let found = call.core().list_items(&call.actor(), params).await?;
    let terms = Terms::load(&call).await?;
    let list: Vec<Value> = found
        .items
        .iter()
        .map(|view| {
            let mut entry = post_json(view);
            entry["categorys"] = terms.categories_json(view);
            entry["tags"] = Terms::tags_json(view);
            entry
        })
        .collect();
    ok("success", json!({ "list": list, "total": found.total, "page": found.page }))
}

/// `GET articles/read?id=`: `{post, categories, tags}` (categories `{id, title, pid}`, tags
/// `{id, title}`).
///
/// Errors: 500 `参数错误：缺少 id`, `文章不存在` (also for deleted articles).
pub async fn read(call: Call) -> UlthonResult {
    let id = required_id(&call)?;
    let view = live_article(&call, id).await?;
    let terms = Terms::load(&call).await?;
    ok(
        "success",
        json!({
            "post": post_json(&view),
            "categories": terms.categories_json(&view),
            "tags": Terms::tags_json(&view),
        }),
    )
}

/// `POST articles/save` (JSON or form): creates an article with `source` `api`. `title`
/// required; `type` "1"; `status` 0; `content_type` html; with `status` 1 and no (or an
/// empty) `publish_time` the article is published now; a future `publish_time` with
/// `status` 1 schedules it. `create_time` / `update_time` are the server's. Reply
/// `{id, uid}` with `创建成功`.
///
/// Errors: 403 (key without `can_write_own`); 500 `标题不能为空`, `参数错误…`,
/// `分类不存在：<id>`, `标签不存在：<id>`. Nothing is created on any error.
pub async fn save(call: Call) -> UlthonResult {
    let title = call.params.text("title")?.unwrap_or_default();
    if title.trim().is_empty() {
        return Err(UlthonError::business("标题不能为空"));
    }
    let kind = match call.params.text("type")?.filter(|t| !t.trim().is_empty()) {
        Some(text) => kind_of(&text)?,
        None => ItemKind::Post,
    };
    let publish = status_param(&call)?.unwrap_or(false);
    let (format, body) = body_of(&call, BodyFormat::Html)?;
    let published_at = publish_time_param(&call)?;
    let terms = Terms::load(&call).await?;
    let categories = terms.category_keys(&call.params.id_list("categorys")?.unwrap_or_default())?;
    let tags = terms.tag_names(&call.params.id_list("tags")?.unwrap_or_default())?;
    let input = NewItem {
        kind,
        format: format.unwrap_or(BodyFormat::Html),
        excerpt: call.params.text("desc")?,
        cover: call.params.text("poster")?,
        cover_text: call.params.text("cover_text")?,
        status: Some(if publish { ItemStatus::Published } else { ItemStatus::Draft }),
        published_at,
        categories,
        tags,
        origin: Origin::Api,
        ..NewItem::post(title, body.unwrap_or_default())
    };
    let view = call.core().create_item(&call.actor(), input).await?;
    ok("创建成功", json!({ "id": view.item.id, "uid": view.item.slug }))
}

/// `POST articles/update` (JSON or form): changes the fields sent; `categorys` and `tags`
/// replace the whole set (an empty array clears it). `status` 1 publishes a draft (at
/// `publish_time`, else its stored time, else now); 0 takes a published article back to
/// draft. Edits to a published article are live at once (ulthon has no revisions: the
/// core's head revision is released). `create_time` / `update_time` cannot be set. Reply
/// `[]` with `更新成功`.
///
/// Permission (the core's): `source` api needs `can_write_own`, admin needs
/// `can_write_other`. Errors: 403; 500 `参数错误：缺少 id`, `文章不存在`, `分类不存在：<id>`,
/// `标签不存在：<id>`, `参数错误…`. A refused or invalid update changes nothing.
pub async fn update(call: Call) -> UlthonResult {
    let id = required_id(&call)?;
    let actor = call.actor();
    let core = call.core();
    let view = live_article(&call, id).await?;
    let resource = inkstone_core::content::item_resource(&view.item);
    let wanted = status_param(&call)?;
    let title = call.params.text("title")?;
    if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(UlthonError::business("标题不能为空"));
    }
    let (format, body) = body_of(&call, view.item.format)?;
    let published_at = publish_time_param(&call)?;
    let terms = Terms::load(&call).await?;
    let categories = call.params.id_list("categorys")?.map(|ids| terms.category_keys(&ids)).transpose()?;
    let tags = call.params.id_list("tags")?.map(|ids| terms.tag_names(&ids)).transpose()?;
    let mut patch = ItemPatch {
        title,
        format,
        body,
        excerpt: clearable(&call, "desc")?,
        cover: clearable(&call, "poster")?,
        cover_text: clearable(&call, "cover_text")?,
        categories,
        tags,
        expected_version: Some(view.item.version),
        ..ItemPatch::default()
    };
    let pending_edits = view.item.has_unpublished_changes();

    // Every permission check before any change: the edit itself, then the status change.
    core.require(&actor, Action::Edit, resource).await?;
    let status = view.item.status;
    let publishing = wanted == Some(true) && matches!(status, ItemStatus::Draft | ItemStatus::Private);
    let unpublishing =
        wanted == Some(false) && matches!(status, ItemStatus::Published | ItemStatus::Scheduled);
    if publishing || unpublishing || published_at.is_some() {
        core.require(&actor, Action::Publish, resource).await?;
    }
    // The field changes first: they are the part that can fail on input, and then nothing
    // has changed yet. A new publish time goes with the status change when there is one.
    if published_at.is_some() && !publishing && !unpublishing {
        patch.published_at = Some(published_at);
    }
    let touched = patch.title.is_some()
        || patch.body.is_some()
        || patch.format.is_some()
        || patch.excerpt.is_some()
        || patch.cover.is_some()
        || patch.cover_text.is_some()
        || patch.categories.is_some()
        || patch.tags.is_some()
        || patch.published_at.is_some();
    // ulthon has no revisions: an edit of a published article (and any edit still pending
    // from elsewhere) is live at once.
    patch.release = !publishing && !unpublishing;
    if touched || (patch.release && pending_edits) {
        core.update_item(&actor, id, patch).await?;
    }
    if publishing {
        core.publish_item(&actor, id, published_at, false).await?;
    } else if unpublishing {
        core.unpublish_item(&actor, id).await?;
        if published_at.is_some() {
            let at = ItemPatch { published_at: Some(published_at), ..ItemPatch::default() };
            core.update_item(&actor, id, at).await?;
        }
    }
    ok_empty("更新成功")
}

/// `POST articles/delete` (`id`, form or JSON): moves the article to the core's trash
/// (ulthon's soft delete); it no longer reads or lists here. Reply `[]` with `删除成功`.
///
/// Permission (the core's): `can_delete` ≥ 1 for `source` api, 2 for admin. Errors: 403;
/// 500 `参数错误：缺少 id`, `文章不存在`.
pub async fn delete(call: Call) -> UlthonResult {
    let id = required_id(&call)?;
    live_article(&call, id).await?;
    call.core().trash_item(&call.actor(), id).await?;
    ok_empty("删除成功")
}
