//! Posts, drafts and categories: `article_post`, `article_update`, `article_list`,
//! `article_detail`, `draft_list`, `draft_detail`, `sort_list` (emlog
//! `include/controller/api_controller.php`).
//!
//! Every read and write goes through the core; this module maps emlog's form fields to
//! [`NewItem`] / [`ItemPatch`] / [`ListParams`] and items back to emlog's shapes: ids as
//! integers, `"y"`/`"n"` flags, `Y-m-d H:i:s` dates in the site time zone, `fields` as an
//! object or `[]`, absolute cover and avatar URLs, and the HTML escaping emlog applies to
//! the same fields. Where Inkstone departs from emlog, `docs/dialects/emlog.md` says why.

use inkstone_core::content::{ItemPatch, ItemView, ListParams, NewItem, TermKey, manual_excerpt_html};
use inkstone_core::model::{BodyFormat, Category, CustomField, Item, ItemKind, ItemStatus};
use inkstone_core::permission::Actor;
use inkstone_core::ports::PinOrder;
use inkstone_core::{CoreError, ErrorCode};
use serde_json::{Map, Value, json};

use crate::call::{AuthMode, Call, authenticate};
use crate::dates;
use crate::envelope::{EmlogError, EmlogResult, ok, ok_empty};
use crate::params::{Params, yes_no};
use crate::php::{htmlspecialchars, rawurlencode};
use crate::urls::{absolute_url, avatar_url, is_http_url};

/// What a password-protected post shows in lists instead of its excerpt (emlog
/// `Log_Model::getLogsForHome`), in both `description` and `description_raw`.
pub const LOCKED_DESCRIPTION: &str = "<p>[该文章已加密，请点击标题输入密码访问]</p>";

/// The title of a draft that has none (emlog `Log_Model::getList`).
pub const UNTITLED: &str = "无标题";

/// Longest page a list returns (the core's limit); emlog has none.
const MAX_COUNT: i64 = inkstone_core::content::MAX_PER_PAGE;

/// A cover as emlog clients send it (`../content/uploadfile/…`, `content/…`, `/…` or an
/// absolute URL) in the form Inkstone stores: an absolute URL, or a path from the site
/// root.
pub fn stored_cover(cover: &str) -> String {
    let cover = cover.trim();
    if is_http_url(cover) {
        return cover.to_string();
    }
    let mut path = cover;
    while let Some(rest) = path.strip_prefix("../") {
        path = rest;
    }
    let path = path.strip_prefix("./").unwrap_or(path);
    format!("/{}", path.trim_start_matches('/'))
}

/// emlog `getFirstImage`: the target of the first Markdown image `![…](…)`, else the
/// `src` of the first `<img>` (quotes and backslashes trimmed).
pub fn first_image(content: &str) -> Option<String> {
    let mut rest = content;
    while let Some(start) = rest.find("![") {
        let after = &rest[start + 2..];
        // `.*?` does not cross lines in PCRE without /s.
        let line_end = after.find('\n').unwrap_or(after.len());
        let line = &after[..line_end];
        if let Some(close) = line.find("](")
            && let Some(end) = line[close + 2..].find(')')
        {
            return Some(line[close + 2..close + 2 + end].to_string());
        }
        rest = after;
    }
    let lower = content.to_ascii_lowercase();
    let img = lower.find("<img")?;
    let tag_end = lower[img..].find('>').map_or(lower.len(), |e| img + e);
    let tag = &content[img..tag_end];
    let tag_lower = &lower[img..tag_end];
    let src = tag_lower.find("src=")?;
    let value = &tag[src + 4..];
    let value = match value.chars().next() {
        Some(quote @ ('"' | '\'')) => value[1..].split(quote).next().unwrap_or(""),
        _ => value.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or(""),
    };
    let value = value.trim_matches(['\\', '"']);
    (!value.is_empty()).then(|| value.to_string())
}

/// emlog removes every `[…]` (on one line) from a list description (its short codes).
fn strip_short_codes(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find([']', '\n']) {
            Some(close) if after.as_bytes()[close] == b']' => {
                out.push_str(&rest[..open]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&rest[..open + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// emlog `Tag_Model::addTag` input: tags stripped of HTML, full-width `，` read as `,`,
/// split on `,`, de-duplicated, trimmed, without empty ones and `"0"`.
pub fn split_tags(text: &str) -> Vec<String> {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in plain.replace('，', ",").split(',') {
        let tag = tag.trim();
        if tag.is_empty() || tag == "0" || tags.iter().any(|t| t == tag) {
            continue;
        }
        tags.push(tag.to_string());
    }
    tags
}

/// `field_keys[]` and `field_values[]` paired by position; pairs with an empty (or `"0"`)
/// name or value are skipped (emlog `Field::updateField`).
fn custom_fields(form: &Params) -> Vec<CustomField> {
    let keys = form.list("field_keys");
    let values = form.list("field_values");
    keys.iter()
        .enumerate()
        .filter_map(|(i, key)| {
            let key = key.trim();
            let value = values.get(i).map(|v| v.trim()).unwrap_or("");
            let empty = |s: &str| s.is_empty() || s == "0";
            (!empty(key) && !empty(value))
                .then(|| CustomField { key: key.to_string(), value: value.to_string() })
        })
        .collect()
}

fn fields_sent(form: &Params) -> bool {
    form.pairs().iter().any(|(k, _)| k.starts_with("field_keys[") || k.starts_with("field_values["))
}

/// The categories of a `sort_id`: none for -1, 0 or absent.
fn sort_categories(sort_id: Option<i64>) -> Vec<TermKey> {
    match sort_id {
        Some(id) if id > 0 => vec![TermKey::Id(id)],
        _ => Vec::new(),
    }
}

/// Reads the text fields of a multipart body into the form (a PHP client posting an
/// array with curl sends multipart).
async fn read_multipart_form(call: &mut Call) -> Result<(), EmlogError> {
    if !call.is_multipart() {
        return Ok(());
    }
    let mut multipart = call.multipart().await?;
    while let Ok(Some(field)) = multipart.next_field().await {
        let Some(name) = field.name().map(str::to_string) else { continue };
        if field.file_name().is_some() {
            continue;
        }
        let text = field.text().await.map_err(|_| EmlogError::parameter())?;
        call.form.push(name, text);
    }
    Ok(())
}

fn article_not_found() -> EmlogError {
    EmlogError::bad("Article not found")
}

/// `not_found` as emlog's text; every other core error as [`EmlogError::from_core`].
fn or_not_found(error: CoreError, not_found: fn() -> EmlogError) -> EmlogError {
    if error.code == ErrorCode::NotFound && error.field.is_none() {
        not_found()
    } else {
        EmlogError::from(error)
    }
}

/// The shapes emlog gives items, from one request's site URL and time zone.
struct Shaper {
    site_url: String,
    tz: chrono_tz::Tz,
}

impl Shaper {
    fn new(call: &Call) -> Shaper {
        Shaper { site_url: call.site_url(), tz: call.core().settings().time_zone() }
    }

    fn date(&self, item: &Item) -> String {
        dates::datetime(item.published_at.unwrap_or(item.created_at), self.tz)
    }

    /// The canonical address Inkstone serves a post at: `<site.url>/posts/<slug>`.
    fn url(&self, item: &Item) -> String {
        let section = if item.kind == ItemKind::Page { "pages" } else { "posts" };
        format!("{}/{section}/{}", self.site_url, item.slug)
    }

    fn tags(&self, item: &Item) -> Value {
        Value::Array(
            item.tags
                .iter()
                .map(|t| {
                    json!({
                        "name": htmlspecialchars(&t.name),
                        "url": format!("{}/?tag={}", self.site_url, rawurlencode(&t.name)),
                    })
                })
                .collect(),
        )
    }

    /// The author, category, counters, flags, tags and fields every shape shares.
    fn common(&self, item: &Item, out: &mut Map<String, Value>) {
        let primary = item.categories.first();
        out.insert("id".into(), json!(item.id));
        out.insert("date".into(), json!(self.date(item)));
        out.insert("author_id".into(), json!(item.author.id));
        out.insert("author_name".into(), json!(htmlspecialchars(&item.author.display_name)));
        out.insert("author_avatar".into(), json!(avatar_url(&self.site_url, item.author.avatar.as_deref())));
        out.insert("sort_id".into(), json!(primary.map_or(-1, |c| c.id)));
        out.insert("sort_name".into(), json!(primary.map(|c| htmlspecialchars(&c.name)).unwrap_or_default()));
        out.insert("views".into(), json!(item.view_count));
        out.insert("comnum".into(), json!(item.comment_count));
        out.insert("like_count".into(), json!(item.like_count));
        // Inkstone has no dislikes.
        out.insert("dislike_count".into(), json!(0));
        out.insert("collect_count".into(), json!(item.favorite_count));
        out.insert("top".into(), json!(yes_no(item.pinned)));
        out.insert("sortop".into(), json!(yes_no(item.pinned_in_category)));
        out.insert("tags".into(), self.tags(item));
        out.insert("fields".into(), fields_json(item));
    }

    /// One entry of `article_list.articles`.
    fn list_entry(&self, view: &ItemView) -> Value {
        let item = &view.item;
        let (description, description_raw) = if view.locked {
            (LOCKED_DESCRIPTION.to_string(), LOCKED_DESCRIPTION.to_string())
        } else {
            let html = manual_excerpt_html(item).unwrap_or_else(|| item.html.clone());
            let raw = item.excerpt_manual.clone().unwrap_or_else(|| item.body.clone());
            (strip_short_codes(&html), raw)
        };
        let mut out = Map::new();
        self.common(item, &mut out);
        out.insert("title".into(), json!(item.title));
        out.insert("cover".into(), json!(absolute_url(&self.site_url, item.cover.as_deref().unwrap_or(""))));
        out.insert("url".into(), json!(self.url(item)));
        out.insert("description".into(), json!(description));
        out.insert("description_raw".into(), json!(description_raw));
        out.insert("need_pwd".into(), json!(yes_no(item.password.is_some())));
        out.insert("parent_id".into(), json!(0));
        Value::Object(out)
    }

    /// `article_detail.article`.
    fn detail(&self, item: &Item) -> Value {
        let mut out = Map::new();
        self.common(item, &mut out);
        out.insert("title".into(), json!(htmlspecialchars(&item.title)));
        out.insert("type".into(), json!(if item.kind == ItemKind::Page { "page" } else { "blog" }));
        out.insert("content".into(), json!(item.html));
        out.insert("content_raw".into(), json!(item.body));
        out.insert("excerpt".into(), json!(manual_excerpt_html(item).unwrap_or_default()));
        out.insert("excerpt_raw".into(), json!(item.excerpt_manual.clone().unwrap_or_default()));
        out.insert("cover".into(), json!(absolute_url(&self.site_url, item.cover.as_deref().unwrap_or(""))));
        out.insert("parent_id".into(), json!(0));
        Value::Object(out)
    }

    /// One entry of `draft_list.drafts`: raw text and cover.
    fn draft_entry(&self, item: &Item) -> Value {
        let mut out = Map::new();
        self.common(item, &mut out);
        let title = if item.title.is_empty() { UNTITLED.to_string() } else { htmlspecialchars(&item.title) };
        out.insert("title".into(), json!(title));
        out.insert("cover".into(), json!(item.cover.clone().unwrap_or_default()));
        out.insert("excerpt".into(), json!(item.excerpt_manual.clone().unwrap_or_default()));
        out.insert("need_pwd".into(), json!(yes_no(item.password.is_some())));
        Value::Object(out)
    }

    /// `draft_detail.draft`: raw text and cover.
    fn draft_detail(&self, item: &Item) -> Value {
        let mut out = Map::new();
        self.common(item, &mut out);
        out.insert("title".into(), json!(item.title));
        out.insert("content".into(), json!(item.body));
        out.insert("excerpt".into(), json!(item.excerpt_manual.clone().unwrap_or_default()));
        out.insert("cover".into(), json!(item.cover.clone().unwrap_or_default()));
        Value::Object(out)
    }
}

/// emlog `fields`: `{key: value}` (a later key wins), or `[]` when there are none.
fn fields_json(item: &Item) -> Value {
    if item.custom_fields.is_empty() {
        return json!([]);
    }
    let mut map = Map::new();
    for field in &item.custom_fields {
        map.insert(field.key.clone(), json!(field.value));
    }
    Value::Object(map)
}

/// `POST /?rest-api=article_post` (key, signature or login cookie): creates a post from
/// emlog's form fields and answers `{"article_id": <int>}`.
///
/// Fields: `title`, `content` (Markdown; both required → `parameter error`), `excerpt`,
/// `cover` (stored as a site path or URL), `auto_cover=y` (first image of the content
/// when no cover), `sort_id` (-1: none), `tags` (see [`split_tags`]), `draft=y` (a draft;
/// otherwise published, or scheduled when `post_date` is in the future), `post_date`
/// (see [`dates::parse_post_date`]; now when missing or unreadable), `alias` (the slug),
/// `top`/`sortop` (`y` pins), `allow_remark` (`y` allows comments; default `n` as in
/// emlog HEAD), `password`, `link` (redirect), `template`, `field_keys[]` +
/// `field_values[]`. `author_uid` is ignored: the post belongs to the caller (the key's
/// user or the signed-in user).
pub async fn article_post(mut call: Call) -> EmlogResult {
    read_multipart_form(&mut call).await?;
    let actor = authenticate(&call, AuthMode::KeyOrCookie).await?;
    let form = &call.form;
    let (Some(title), Some(content)) = (form.text("title"), form.text("content")) else {
        return Err(EmlogError::parameter());
    };
    let tz = call.core().settings().time_zone();
    let mut cover = form.text("cover").map(|c| stored_cover(&c));
    if cover.is_none() && form.text("auto_cover").as_deref() == Some("y") {
        cover = first_image(&content).map(|c| stored_cover(&c));
    }
    let draft = form.text("draft").as_deref() == Some("y");
    let mut input = NewItem::post(title, content);
    input.format = BodyFormat::Markdown;
    input.excerpt = form.text("excerpt");
    input.cover = cover;
    input.status = Some(if draft { ItemStatus::Draft } else { ItemStatus::Published });
    input.published_at = form.text("post_date").and_then(|d| dates::parse_post_date(&d, tz));
    input.slug = form.text("alias");
    input.pinned = form.text("top").as_deref() == Some("y");
    input.pinned_in_category = form.text("sortop").as_deref() == Some("y");
    input.comments_allowed = form.text("allow_remark").as_deref() == Some("y");
    input.password = form.text("password");
    input.redirect_url = form.text("link");
    input.template = form.text("template");
    input.categories = sort_categories(form.int("sort_id"));
    input.tags = form.text("tags").map(|t| split_tags(&t)).unwrap_or_default();
    input.custom_fields = custom_fields(form);
    let view = call.core().create_item(&actor, input).await?;
    ok(json!({ "article_id": view.item.id }))
}

/// `POST /?rest-api=article_update` (key, signature or login cookie): changes a post or
/// draft. `id` and `title` are required (`parameter error`); every other field of
/// [`article_post`] changes only when it is sent (our divergence: emlog resets what was
/// not sent). `tags=` (sent empty) removes every tag; `draft=y` takes the post back to
/// draft, `draft=n` publishes it; a published post's edits are released at once, as in
/// emlog. Answers data `""`.
///
/// Errors: `Article not found` (400) for an unknown id or one the caller may not see;
/// `permission denied` (403) when the core refuses the change.
pub async fn article_update(mut call: Call) -> EmlogResult {
    read_multipart_form(&mut call).await?;
    let actor = authenticate(&call, AuthMode::KeyOrCookie).await?;
    let form = &call.form;
    let (Some(id), Some(title)) = (form.int("id").filter(|id| *id != 0), form.text("title")) else {
        return Err(EmlogError::parameter());
    };
    let core = call.core();
    let tz = core.settings().time_zone();
    let existing = core.get_item(&actor, id, None).await.map_err(|e| or_not_found(e, article_not_found))?;
    if existing.item.kind != ItemKind::Post || existing.item.status == ItemStatus::Trashed {
        return Err(article_not_found());
    }
    let mut patch = ItemPatch { title: Some(title), ..ItemPatch::default() };
    if form.has("content") {
        patch.body = Some(form.text("content").unwrap_or_default());
        patch.format = Some(BodyFormat::Markdown);
    }
    if form.has("excerpt") {
        patch.excerpt = Some(form.text("excerpt"));
    }
    if form.has("cover") {
        patch.cover = Some(form.text("cover").map(|c| stored_cover(&c)));
    }
    if form.has("sort_id") {
        patch.categories = Some(sort_categories(form.int("sort_id")));
    }
    if form.has("tags") {
        patch.tags = Some(form.text("tags").map(|t| split_tags(&t)).unwrap_or_default());
    }
    if fields_sent(form) {
        patch.custom_fields = Some(custom_fields(form));
    }
    if let Some(at) = form.text("post_date").and_then(|d| dates::parse_post_date(&d, tz)) {
        patch.published_at = Some(Some(at));
    }
    let draft = form.has("draft").then(|| form.text("draft").as_deref() == Some("y"));
    // emlog has no revisions: a published post's edit is what readers see at once.
    patch.release = draft != Some(true);
    let view = core.update_item(&actor, id, patch).await?;
    match (draft, view.item.status) {
        (Some(true), ItemStatus::Published | ItemStatus::Scheduled | ItemStatus::Private) => {
            core.unpublish_item(&actor, id).await?;
        }
        (Some(false), ItemStatus::Draft) => {
            core.publish_item(&actor, id, None, false).await?;
        }
        _ => {}
    }
    ok_empty()
}

/// `GET /?rest-api=article_list` (open to everyone, even while the API is closed): a page
/// of published posts, `{articles, page, total_pages, has_more}`.
///
/// Query: `page` (1; below 1 reads as 1), `count` (the setting `content.page_size`; 0 or
/// less reads as it; at most 100), `sort_id` (a category and its sub-categories), `uid`
/// (author), `keyword` (title only, literally), `tag` (an exact tag name; unknown or
/// empty is ignored, as in emlog), `order` (`views` or `comnum`, descending; otherwise
/// site-pinned, then category-pinned, then newest). `total_pages` is at least 1 and
/// `has_more` is `page < total_pages`. A password post shows [`LOCKED_DESCRIPTION`]
/// unless the cookie `em_logpwd_<id>` holds its password.
pub async fn article_list(call: Call) -> EmlogResult {
    let core = call.core();
    let query = &call.query;
    let page = query.int("page").filter(|p| *p >= 1).unwrap_or(1);
    let count =
        query.int("count").filter(|c| *c >= 1).unwrap_or_else(|| core.settings().page_size()).min(MAX_COUNT);
    let tag = match query.text("tag") {
        Some(name) => {
            let tags = core.tags().await?;
            tags.iter().find(|t| t.name.to_lowercase() == name.to_lowercase()).map(|t| TermKey::Id(t.id))
        }
        None => None,
    };
    let sort = match query.text("order").as_deref() {
        Some("views") => Some("-view_count".to_string()),
        Some("comnum") => Some("-comment_count".to_string()),
        _ => None,
    };
    let params = ListParams {
        kind: Some(ItemKind::Post),
        status: Some(ItemStatus::Published),
        category: query.int("sort_id").filter(|id| *id > 0).map(TermKey::Id),
        tag,
        author: query.int("uid").filter(|id| *id > 0).map(TermKey::Id),
        sort,
        page: Some(page),
        per_page: Some(count),
        title_contains: query.text("keyword"),
        pin_order: PinOrder::SiteThenCategory,
        ..ListParams::default()
    };
    let actor = Actor::Anonymous;
    let result = core.list_items(&actor, params).await?;
    let total_pages = result.last_page();
    let shaper = Shaper::new(&call);
    let mut articles = Vec::with_capacity(result.items.len());
    for view in result.items {
        let view = match (view.locked, password_cookie(&call, view.item.id)) {
            (true, Some(password)) => core.get_item(&actor, view.item.id, Some(&password)).await?,
            _ => view,
        };
        articles.push(shaper.list_entry(&view));
    }
    ok(json!({
        "articles": articles,
        "page": page,
        "total_pages": total_pages,
        "has_more": page < total_pages,
    }))
}

/// The password a reader entered for post `id` on the site (emlog cookie
/// `em_logpwd_<id>`).
fn password_cookie(call: &Call, id: i64) -> Option<String> {
    inkstone_http::cookie(call.headers(), &format!("em_logpwd_{id}")).map(|p| p.trim().to_string())
}

/// `GET /?rest-api=article_detail&id=…[&password=…]` (no credentials: read as a visitor):
/// `{article:{…}}` for a published post or page, and one more view.
///
/// Errors (400): `Article not found` (unknown, unpublished or not visible to visitors),
/// `Wrong password` (protected and `password` missing or wrong).
pub async fn article_detail(call: Call) -> EmlogResult {
    let core = call.core();
    let id = call.query.int("id").unwrap_or(0);
    let password = call.query.text("password");
    let actor = Actor::Anonymous;
    let view = core
        .get_item(&actor, id, password.as_deref())
        .await
        .map_err(|e| or_not_found(e, article_not_found))?;
    if view.item.status != ItemStatus::Published || view.item.kind == ItemKind::Discussion {
        return Err(article_not_found());
    }
    if view.locked {
        return Err(EmlogError::bad("Wrong password"));
    }
    let article = Shaper::new(&call).detail(&view.item);
    core.record_view(id).await.map_err(|e| or_not_found(e, article_not_found))?;
    let mut article = article;
    if let Some(views) = article.get_mut("views") {
        *views = json!(view.item.view_count + 1);
    }
    ok(json!({ "article": article }))
}

/// Whether the caller signed in with the login cookie (not a key or signature): emlog
/// then shows only the caller's own drafts.
fn cookie_user(actor: &Actor) -> Option<i64> {
    actor.principal().filter(|p| p.key.is_none()).map(|p| p.user_id)
}

/// `GET /?rest-api=draft_list[&count=…]` (key, signature or login cookie): the newest
/// drafts, `{drafts:[…]}`, page 1 only. A key sees the drafts its user may see (every
/// author's for an editor or admin); a signed-in user sees their own.
pub async fn draft_list(call: Call) -> EmlogResult {
    let actor = authenticate(&call, AuthMode::KeyOrCookie).await?;
    let core = call.core();
    let count = call
        .query
        .int("count")
        .filter(|c| *c >= 1)
        .unwrap_or_else(|| core.settings().page_size())
        .min(MAX_COUNT);
    let params = ListParams {
        kind: Some(ItemKind::Post),
        status: Some(ItemStatus::Draft),
        author: cookie_user(&actor).map(TermKey::Id),
        sort: Some("-published_at".to_string()),
        page: Some(1),
        per_page: Some(count),
        ..ListParams::default()
    };
    let page = core.list_items(&actor, params).await?;
    let shaper = Shaper::new(&call);
    let drafts: Vec<Value> = page.items.iter().map(|view| shaper.draft_entry(&view.item)).collect();
    ok(json!({ "drafts": drafts }))
}

fn draft_not_found() -> EmlogError {
    EmlogError::bad("Draft not found")
}

/// `GET /?rest-api=draft_detail&id=…` (key, signature or login cookie): `{draft:{…}}`
/// with the raw text.
///
/// Errors: `Draft not found` (400) when there is no such draft post the caller may see
/// (a signed-in user: only their own).
pub async fn draft_detail(call: Call) -> EmlogResult {
    let actor = authenticate(&call, AuthMode::KeyOrCookie).await?;
    let id = call.query.int("id").unwrap_or(0);
    let view = call.core().get_item(&actor, id, None).await.map_err(|e| or_not_found(e, draft_not_found))?;
    let item = &view.item;
    let foreign = cookie_user(&actor).is_some_and(|uid| uid != item.author.id);
    if item.kind != ItemKind::Post || item.status != ItemStatus::Draft || foreign {
        return Err(draft_not_found());
    }
    ok(json!({ "draft": Shaper::new(&call).draft_detail(item) }))
}

/// One category in emlog's `sort_list` shape (emlog `Sort_Model::getSorts`).
fn sort_entry(category: &Category) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sid".into(), json!(category.id));
    out.insert("lognum".into(), json!(category.item_count.to_string()));
    out.insert("sortname".into(), json!(htmlspecialchars(&category.name)));
    out.insert("alias".into(), json!(category.slug));
    out.insert("description".into(), json!(htmlspecialchars(category.description.as_deref().unwrap_or(""))));
    out.insert("kw".into(), json!(""));
    out.insert("title_origin".into(), json!(""));
    out.insert("title".into(), json!(""));
    out.insert("taxis".into(), json!(category.sort_order));
    out.insert("pid".into(), json!(category.parent_id.unwrap_or(0)));
    out.insert("template".into(), json!(htmlspecialchars(category.template.as_deref().unwrap_or(""))));
    out.insert("sortimg".into(), json!(htmlspecialchars(category.cover.as_deref().unwrap_or(""))));
    out.insert("page_count".into(), json!(0));
    out.insert("allow_user_post".into(), json!("y"));
    out
}

/// `GET /?rest-api=sort_list`: `{sorts:[…]}`, the top-level categories, each with
/// `children` (ordered by `taxis`) only when it has some. Order as emlog's PHP `sort()`
/// leaves it: categories without children first, then those with children, each group by
/// `sid`. Every category under a top-level one is listed as its child (emlog has two
/// levels).
pub async fn sort_list(call: Call) -> EmlogResult {
    let categories = call.core().categories().await?;
    let top_level: Vec<&Category> = categories.iter().filter(|c| c.parent_id.is_none()).collect();
    let mut entries: Vec<(bool, i64, Map<String, Value>)> = Vec::with_capacity(top_level.len());
    for parent in top_level {
        let mut entry = sort_entry(parent);
        let mut children: Vec<&Category> = descendants(&categories, parent.id);
        children.sort_by_key(|c| (c.sort_order, c.id));
        let has_children = !children.is_empty();
        if has_children {
            let children: Vec<Value> = children.into_iter().map(|c| Value::Object(sort_entry(c))).collect();
            entry.insert("children".into(), Value::Array(children));
        }
        entries.push((has_children, parent.id, entry));
    }
    entries.sort_by_key(|(has_children, id, _)| (*has_children, *id));
    let sorts: Vec<Value> = entries.into_iter().map(|(_, _, entry)| Value::Object(entry)).collect();
    ok(json!({ "sorts": sorts }))
}

/// Every category below `root`, at any depth.
fn descendants(categories: &[Category], root: i64) -> Vec<&Category> {
    let mut found: Vec<&Category> = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for child in categories.iter().filter(|c| c.parent_id == Some(parent)) {
            if !found.iter().any(|f| f.id == child.id) {
                found.push(child);
                frontier.push(child.id);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_covers_follow_emlog() {
        let site = "http://blog.example";
        assert_eq!(
            absolute_url(site, "../content/uploadfile/202307/a.png"),
            "http://blog.example/content/uploadfile/202307/a.png"
        );
        assert_eq!(absolute_url(site, "/media/2026/01/x.png"), "http://blog.example/media/2026/01/x.png");
        assert_eq!(absolute_url(site, "https://cdn.example/x.png"), "https://cdn.example/x.png");
        assert_eq!(absolute_url(site, ""), "");
        assert_eq!(avatar_url(site, None), "http://blog.example/admin/views/images/avatar.svg");
        assert_eq!(stored_cover("../content/uploadfile/a.png"), "/content/uploadfile/a.png");
        assert_eq!(stored_cover("content/a.png"), "/content/a.png");
        assert_eq!(stored_cover("HTTPS://x.example/a.png"), "HTTPS://x.example/a.png");
        assert_eq!(rawurlencode("C++ 语言"), "C%2B%2B%20%E8%AF%AD%E8%A8%80");
        assert_eq!(
            htmlspecialchars(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;"
        );
    }

    /// The server runs handlers on a multi-threaded runtime: their futures must be `Send`.
    #[allow(dead_code)]
    fn handlers_are_send(calls: [Call; 8]) {
        fn send<T: Send>(_: T) {}
        let [c1, c2, c3, c4, c5, c6, c7, c8] = calls;
        send(article_post(c1));
        send(article_update(c2));
        send(article_list(c3));
        send(article_detail(c4));
        send(draft_list(c5));
        send(draft_detail(c6));
        send(sort_list(c7));
        send(crate::upload::upload(c8));
    }

    #[test]
    fn tags_split_like_emlog() {
        assert_eq!(split_tags("PHP,MySQL， 中文 ,,0, PHP,<b>x</b>"), vec!["PHP", "MySQL", "中文", "x"]);
        assert!(split_tags("").is_empty());
    }

    #[test]
    fn first_images_markdown_then_html() {
        assert_eq!(first_image("a ![alt](/a.png) <img src=\"/b.png\">").as_deref(), Some("/a.png"));
        assert_eq!(first_image("x <IMG class=c src='/b.png'> y").as_deref(), Some("/b.png"));
        assert_eq!(first_image("![broken\n](x) none"), None);
        assert_eq!(first_image("no image"), None);
    }

    #[test]
    fn short_codes_are_removed_from_descriptions() {
        assert_eq!(strip_short_codes("<p>a [TOC] b [x</p>\n<p>y] c</p>"), "<p>a  b [x</p>\n<p>y] c</p>");
    }
}
