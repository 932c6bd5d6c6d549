//! Comments: threads, guest and user comments, moderation, per-item numbering, exact counts.
//!
//! Rules, in one place:
//! - A comment goes on an item the caller may see, that is published (or private, for
//!   those who may read it) and has `comments_allowed`. A reply's parent is on the same
//!   item and visible to the caller.
//! - Guests give a name and a valid e-mail; signed-in users comment under their display
//!   name. Bodies are Markdown, rendered and sanitized.
//! - New comments are `approved` or `pending` as the `comments.moderation` setting says
//!   (`off`, `guests` (default), `all`); a comment with more links than
//!   `comments.max_links` is `pending`; a filled honeypot stores it as `spam` while the
//!   answer looks like success. Moderators of the item (its author, editors, admins) are
//!   never held and never rate limited.
//! - Each item numbers its comments 1, 2, 3, ... in order of creation; a number is never
//!   reused, even after a delete.
//! - `items.comment_count` is the number of approved comments, kept in the same
//!   transaction as every insert, status change and delete.
//! - A commenter's e-mail, IP and user agent are in a [`CommentView`] only for callers
//!   allowed [`Action::Moderate`] on the comment's item.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use inkstone_render::{SourceFormat, auto_excerpt, render};
use serde_json::json;

use crate::Core;
use crate::abuse::{CaptchaAnswer, Limit, ip_subject};
use crate::content::Page;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::events::{DomainEvent, EventKind};
use crate::model::{ItemKind, ItemStatus, Origin, UserSummary};
use crate::permission::{Action, Actor, Resource, authorize};

/// Longest comment body, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;
/// Longest guest name, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest guest URL or avatar URL, in bytes.
pub const MAX_URL_BYTES: usize = 500;
/// Longest user agent kept, in characters (longer ones are cut).
pub const MAX_USER_AGENT_CHARS: usize = 500;
/// Most comments in one page of a list.
pub const MAX_PER_PAGE: i64 = 100;
/// Comments in a page of an item's thread when the caller does not say.
pub const DEFAULT_PER_PAGE: i64 = 50;
/// Characters of plain text in a comment event's `excerpt`.
pub const EVENT_EXCERPT_CHARS: usize = 200;

/// Comments from one address per minute.
pub const COMMENTS_PER_IP_MINUTE: Limit =
    Limit { name: "comment_ip_minute", max: 10, window: Duration::minutes(1) };
/// Comments from one address per hour.
pub const COMMENTS_PER_IP_HOUR: Limit =
    Limit { name: "comment_ip_hour", max: 60, window: Duration::hours(1) };

/// Where a comment is in moderation. Only `approved` comments are shown to readers and
/// counted in `items.comment_count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentStatus {
    Approved,
    /// Waiting for a moderator.
    Pending,
    Spam,
    /// Taken off the page by a moderator; `hidden_at` says when.
    Hidden,
    Trashed,
}

impl CommentStatus {
    pub const ALL: &'static [CommentStatus] = &[
        CommentStatus::Approved,
        CommentStatus::Pending,
        CommentStatus::Spam,
        CommentStatus::Hidden,
        CommentStatus::Trashed,
    ];

    /// The wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Approved => "approved",
            CommentStatus::Pending => "pending",
            CommentStatus::Spam => "spam",
            CommentStatus::Hidden => "hidden",
            CommentStatus::Trashed => "trashed",
        }
    }

    pub fn parse(text: &str) -> Option<CommentStatus> {
        CommentStatus::ALL.iter().copied().find(|s| s.as_str() == text)
    }

    /// Parses the wire spelling or fails with `invalid_input` naming `field`.
    pub fn parse_field(text: &str, field: &str) -> CoreResult<CommentStatus> {
        CommentStatus::parse(text).ok_or_else(|| {
            CoreError::invalid(
                field,
                format!("`{text}` is not one of: approved, pending, spam, hidden, trashed"),
                format!("`{text}` 不是可选值之一：approved, pending, spam, hidden, trashed"),
            )
        })
    }
}

/// What a comment needs to know about its item (for permissions and events).
#[derive(Debug, Clone, PartialEq)]
pub struct CommentItem {
    pub id: i64,
    pub kind: ItemKind,
    pub title: String,
    pub status: ItemStatus,
    pub author_id: i64,
    pub origin: Origin,
}

impl CommentItem {
    /// The permission resource of the item.
    pub fn resource(&self) -> Resource {
        Resource::Item {
            kind: self.kind,
            author_id: self.author_id,
            status: self.status,
            origin: self.origin,
        }
    }
}

/// A comment as stored, with everything (e-mail, IP). Never handed to adapters: they get
/// a [`CommentView`].
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub item: CommentItem,
    pub parent_id: Option<i64>,
    /// 1-based position in the item's discussion; never reused.
    pub number: i64,
    pub status: CommentStatus,
    /// The signed-in commenter, if any.
    pub user: Option<UserSummary>,
    /// The user's display name at the time, or the guest's name.
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub author_avatar: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub like_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub hidden_at: Option<DateTime<Utc>>,
    /// Markdown source.
    pub body: String,
    /// Sanitized HTML of `body`.
    pub html: String,
}

/// What only moderators see about a commenter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommenterPrivate {
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A comment as one caller may see it. `private` is `Some` only for callers allowed
/// [`Action::Moderate`] on the comment's item: nothing else in the core hands out a
/// commenter's e-mail, IP or user agent.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentView {
    pub id: i64,
    pub item_id: i64,
    pub parent_id: Option<i64>,
    pub number: i64,
    pub status: CommentStatus,
    pub user: Option<UserSummary>,
    pub author_name: String,
    pub author_url: Option<String>,
    pub author_avatar: Option<String>,
    pub like_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub body: String,
    pub html: String,
    pub private: Option<CommenterPrivate>,
    /// The caller may change the body.
    pub can_edit: bool,
    /// The caller may change the status and delete.
    pub can_moderate: bool,
}

/// A new comment, as the caller wrote it.
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub parent_id: Option<i64>,
    /// Markdown.
    pub body: String,
    /// Guests only (ignored for signed-in users): required name and e-mail, optional
    /// http(s) URL and avatar URL.
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub author_avatar: Option<String>,
    /// The honeypot: a form leaves it empty (hidden from people). Filled, the comment is
    /// stored as spam and the answer looks like success.
    pub honeypot: Option<String>,
    /// For guests when the `comments.captcha` setting is on.
    pub captcha: CaptchaAnswer,
}

/// Where the request came from: kept with the comment, for moderators.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// A change to a comment; `None` leaves a part alone.
#[derive(Debug, Clone, Default)]
pub struct CommentPatch {
    /// New Markdown body (sets `edited_at`).
    pub body: Option<String>,
    /// New status (moderators; a commenter may only trash their own).
    pub status: Option<CommentStatus>,
}

/// Filters and paging of a comment list.
#[derive(Debug, Clone, Default)]
pub struct CommentListParams {
    /// Moderators only; others always see approved comments (plus their own pending).
    pub status: Option<CommentStatus>,
    /// For the moderation queue: comments on this item only.
    pub item_id: Option<i64>,
    /// 1-based; 1 when absent.
    pub page: Option<i64>,
    /// 1..=100; 50 when absent.
    pub per_page: Option<i64>,
}

/// Which comments a listing may include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentVisibility {
    /// Every status (moderators).
    All,
    /// Approved comments only.
    Approved,
    /// Approved comments and this user's pending ones.
    ApprovedAndPendingBy(i64),
}

/// A comment to insert, validated and rendered.
#[derive(Debug, Clone)]
pub struct CommentInsert {
    pub item_id: i64,
    pub parent_id: Option<i64>,
    pub status: CommentStatus,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub author_avatar: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub body: String,
    pub html: String,
    pub created_at: DateTime<Utc>,
}

/// A change to write; `None` leaves a part alone.
#[derive(Debug, Clone)]
pub struct CommentUpdate {
    /// Body, HTML and the edit time.
    pub body: Option<(String, String, DateTime<Utc>)>,
    /// New status; moving to `hidden` sets `hidden_at` to `updated_at`, moving away from it
    /// clears it.
    pub status: Option<CommentStatus>,
    pub updated_at: DateTime<Utc>,
}

/// A page of a comment list, resolved to ids.
#[derive(Debug, Clone)]
pub struct CommentQuery {
    pub item_id: Option<i64>,
    /// Only comments on items by this author (an author's moderation queue).
    pub items_by: Option<i64>,
    pub status: Option<CommentStatus>,
    pub visibility: CommentVisibility,
    /// Newest first (the moderation queue) or oldest first (a thread, by number).
    pub newest_first: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Comments and their per-item numbering and counts.
#[async_trait]
pub trait CommentRepository: Send + Sync {
    /// In one transaction: takes the item's next number (`items.comment_seq + 1`), checks
    /// that the parent (if any) is on the same item, inserts, and adds 1 to
    /// `items.comment_count` when the comment is approved. Errors: `not_found` when the
    /// item is gone; `invalid_input` (field `parent_id`) for a parent that is gone or on
    /// another item.
    async fn insert_comment(&self, comment: CommentInsert) -> CoreResult<Comment>;
    async fn comment_by_id(&self, id: i64) -> CoreResult<Option<Comment>>;
    /// A page and the total matching.
    async fn list_comments(&self, query: &CommentQuery) -> CoreResult<(Vec<Comment>, i64)>;
    /// In one transaction: applies the change and moves `items.comment_count` by the
    /// change in approval. `None` when there is no such comment.
    async fn update_comment(&self, id: i64, update: CommentUpdate) -> CoreResult<Option<Comment>>;
    /// In one transaction: deletes the comment and its likes (replies stay, without a
    /// parent) and takes 1 from `items.comment_count` if it was approved.
    async fn delete_comment(&self, id: i64) -> CoreResult<bool>;
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn check_comment_body(body: &str) -> CoreResult<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(CoreError::invalid("body", "a comment needs some text", "评论内容不能为空"));
    }
    if body.chars().count() > MAX_COMMENT_CHARS {
        return Err(CoreError::invalid(
            "body",
            format!("at most {MAX_COMMENT_CHARS} characters"),
            format!("最多 {MAX_COMMENT_CHARS} 个字符"),
        ));
    }
    Ok(body.to_string())
}

fn check_guest_name(name: Option<String>) -> CoreResult<String> {
    let Some(name) = trimmed(name) else {
        return Err(CoreError::invalid("author_name", "guests must give a name", "游客评论需要填写昵称"));
    };
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "author_name",
            format!("at most {MAX_NAME_CHARS} characters, no control characters"),
            format!("最多 {MAX_NAME_CHARS} 个字符，且不能包含控制字符"),
        ));
    }
    Ok(name)
}

fn check_guest_email(email: Option<String>) -> CoreResult<String> {
    let Some(email) = trimmed(email) else {
        return Err(CoreError::invalid(
            "author_email",
            "guests must give an e-mail address",
            "游客评论需要填写邮箱",
        ));
    };
    crate::accounts::check_email(&email)
        .map_err(|_| CoreError::invalid("author_email", "not an e-mail address", "不是有效的邮箱地址"))
}

/// An absolute http(s) URL, or `None` when empty.
pub(crate) fn check_web_url(field: &str, value: Option<String>) -> CoreResult<Option<String>> {
    let Some(value) = trimmed(value) else { return Ok(None) };
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let ok = rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && value.len() <= MAX_URL_BYTES
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(value))
    } else {
        Err(CoreError::invalid(
            field,
            format!("must be an http(s) URL of at most {MAX_URL_BYTES} bytes"),
            format!("必须是 http(s) 网址，最多 {MAX_URL_BYTES} 字节"),
        ))
    }
}

/// Links in sanitized HTML: every `href` the sanitizer kept.
fn count_links(html: &str) -> usize {
    html.matches(" href=").count()
}

fn user_agent(value: Option<String>) -> Option<String> {
    trimmed(value).map(|ua| ua.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect())
}

/// Whether `actor` may moderate comments on `item`.
fn may_moderate(actor: &Actor, item: &CommentItem) -> bool {
    authorize(actor, Action::Moderate, item.resource()).is_ok()
}

fn comment_resource(comment: &Comment) -> Resource {
    Resource::Comment {
        item_author_id: comment.item.author_id,
        author_id: comment.user.as_ref().map(|u| u.id),
    }
}

fn is_own(actor: &Actor, comment: &Comment) -> bool {
    actor.user_id().is_some() && comment.user.as_ref().map(|u| u.id) == actor.user_id()
}

/// Whether a reader who may not moderate sees `comment`: approved, or their own pending.
fn reader_sees(actor: &Actor, comment: &Comment) -> bool {
    comment.status == CommentStatus::Approved
        || (comment.status == CommentStatus::Pending && is_own(actor, comment))
}

/// The view `actor` gets of `comment`.
pub(crate) fn comment_view(actor: &Actor, comment: Comment) -> CommentView {
    let can_moderate = may_moderate(actor, &comment.item);
    let can_edit = can_moderate
        || (is_own(actor, &comment)
            && matches!(comment.status, CommentStatus::Approved | CommentStatus::Pending)
            && authorize(actor, Action::Edit, comment_resource(&comment)).is_ok());
    let private = if can_moderate {
        Some(CommenterPrivate { email: comment.author_email, ip: comment.ip, user_agent: comment.user_agent })
    } else {
        None
    };
    CommentView {
        id: comment.id,
        item_id: comment.item.id,
        parent_id: comment.parent_id,
        number: comment.number,
        status: comment.status,
        user: comment.user,
        author_name: comment.author_name,
        author_url: comment.author_url,
        author_avatar: comment.author_avatar,
        like_count: comment.like_count,
        created_at: comment.created_at,
        updated_at: comment.updated_at,
        edited_at: comment.edited_at,
        hidden_at: comment.hidden_at,
        body: comment.body,
        html: comment.html,
        private,
        can_edit,
        can_moderate,
    }
}

fn closed_error() -> CoreError {
    CoreError::new(ErrorCode::InvalidState)
        .with_field("comments_allowed")
        .with_detail("comments are closed on this item", "此内容已关闭评论")
}

fn paging(params: &CommentListParams) -> CoreResult<(i64, i64)> {
    let page = params.page.unwrap_or(1);
    crate::paging::check_page(page)?;
    let per_page = params.per_page.unwrap_or(DEFAULT_PER_PAGE);
    crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
    Ok((page, per_page))
}

impl Core {
    /// The item a comment is about, if `actor` may see it; `not_found` otherwise.
    async fn comment_item(&self, actor: &Actor, item_id: i64) -> CoreResult<crate::model::Item> {
        let item = self.repo.item_by_id(item_id).await?.ok_or_else(CoreError::not_found)?;
        if authorize(actor, Action::View, crate::content::item_resource(&item)).is_err() {
            return Err(CoreError::not_found());
        }
        Ok(item)
    }

    /// A comment `actor` may see (its item visible, and the comment approved, their own
    /// pending one, or any status for moderators); `not_found` otherwise.
    pub(crate) async fn visible_comment(&self, actor: &Actor, id: i64) -> CoreResult<Comment> {
        let comment = self.repo.comment_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        if authorize(actor, Action::View, comment.item.resource()).is_err() {
            return Err(CoreError::not_found());
        }
        if !reader_sees(actor, &comment) && !may_moderate(actor, &comment.item) {
            return Err(CoreError::not_found());
        }
        Ok(comment)
    }

    /// Writes a comment on item `item_id` (a reply when `input.parent_id` is set) and
    /// tells subscribers (`comment.created`, except for spam).
    ///
    /// Returns the comment as the caller sees it. When the honeypot was filled the comment
    /// is stored as `spam` but the view shows the status it would otherwise have had.
    ///
    /// Errors: `not_found` (no such item, or hidden from the caller); `invalid_state`
    /// (comments closed, or the item is not published); `invalid_input` (body, guest name
    /// or e-mail, URLs, a parent on another item); `captcha_failed`; `rate_limited` (10 a
    /// minute and 60 an hour per address); the permission check.
    pub async fn create_comment(
        &self,
        actor: &Actor,
        item_id: i64,
        input: NewComment,
        client: ClientInfo,
    ) -> CoreResult<CommentView> {
        let item = self.comment_item(actor, item_id).await?;
        let resource = crate::content::item_resource(&item);
        self.require(actor, Action::Comment, resource).await?;
        if !matches!(item.status, ItemStatus::Published | ItemStatus::Private) {
            return Err(CoreError::new(ErrorCode::InvalidState)
                .with_detail("comments open when the item is published", "内容发布后才能评论"));
        }
        if !item.comments_allowed {
            return Err(closed_error());
        }
        let moderator = authorize(actor, Action::Moderate, resource).is_ok();
        if !moderator && let Some(ip) = client.ip {
            let subject = ip_subject(ip);
            self.rate_limit(&COMMENTS_PER_IP_MINUTE, &subject).await?;
            self.rate_limit(&COMMENTS_PER_IP_HOUR, &subject).await?;
        }
        let settings = self.settings();
        let body = check_comment_body(&input.body)?;
        let (user_id, author_name, author_email, author_url, author_avatar) = match actor.user_id() {
            Some(user_id) => {
                let user = self.repo.user_by_id(user_id).await?.ok_or_else(CoreError::unauthenticated)?;
                (Some(user_id), user.display_name, None, None, None)
            }
            None => {
                let name = check_guest_name(input.author_name)?;
                let email = check_guest_email(input.author_email)?;
                let url = check_web_url("author_url", input.author_url)?;
                let avatar = check_web_url("author_avatar", input.author_avatar)?;
                if settings.comment_captcha() {
                    self.verify_captcha(&input.captcha, client.ip).await?;
                }
                (None, name, Some(email), url, avatar)
            }
        };
        if let Some(parent_id) = input.parent_id {
            let parent = match self.visible_comment(actor, parent_id).await {
                Ok(parent) => parent,
                Err(err) if err.code == ErrorCode::NotFound => {
                    return Err(CoreError::invalid("parent_id", "no such comment", "回复的评论不存在"));
                }
                Err(err) => return Err(err),
            };
            if parent.item.id != item.id {
                return Err(CoreError::invalid(
                    "parent_id",
                    "a reply must be on the same item as its parent",
                    "回复必须与被回复的评论属于同一内容",
                ));
            }
        }
        let html = render(&body, SourceFormat::Markdown).html;
        let held = !moderator
            && match settings.comment_moderation() {
                "off" => false,
                "all" => true,
                _ => actor.user_id().is_none(),
            };
        let apparent = if held || (!moderator && count_links(&html) > settings.comment_max_links()) {
            CommentStatus::Pending
        } else {
            CommentStatus::Approved
        };
        let honeypot = !moderator && trimmed(input.honeypot).is_some();
        let status = if honeypot { CommentStatus::Spam } else { apparent };
        let insert = CommentInsert {
            item_id: item.id,
            parent_id: input.parent_id,
            status,
            user_id,
            author_name,
            author_email,
            author_url,
            author_avatar,
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: user_agent(client.user_agent),
            body,
            html,
            created_at: self.now(),
        };
        let comment = self.repo.insert_comment(insert).await?;
        if status != CommentStatus::Spam {
            self.emit(comment_event(&comment, actor)).await;
        }
        let mut view = comment_view(actor, comment);
        if honeypot {
            view.status = apparent;
            view.private = None;
        }
        Ok(view)
    }

    /// One comment. Errors: `not_found` (also when the caller may not see it).
    pub async fn get_comment(&self, actor: &Actor, id: i64) -> CoreResult<CommentView> {
        let comment = self.visible_comment(actor, id).await?;
        Ok(comment_view(actor, comment))
    }

    /// The comments of an item, oldest first (by number), one page. Readers get approved
    /// comments and their own pending ones; moderators of the item get every status, or
    /// those with `params.status`.
    ///
    /// Errors: `not_found` (item hidden or missing); `invalid_input` (paging, a status
    /// filter from a caller who may not moderate).
    pub async fn item_comments(
        &self,
        actor: &Actor,
        item_id: i64,
        params: CommentListParams,
    ) -> CoreResult<Page<CommentView>> {
        let item = self.comment_item(actor, item_id).await?;
        let (page, per_page) = paging(&params)?;
        let moderator = authorize(actor, Action::Moderate, crate::content::item_resource(&item)).is_ok();
        let visibility = match (moderator, actor.user_id()) {
            (true, _) => CommentVisibility::All,
            (false, Some(user_id)) => CommentVisibility::ApprovedAndPendingBy(user_id),
            (false, None) => CommentVisibility::Approved,
        };
        if params.status.is_some() && !moderator {
            return Err(CoreError::invalid(
                "status",
                "only moderators filter by status",
                "只有审核者可以按状态筛选",
            ));
        }
        let query = CommentQuery {
            item_id: Some(item.id),
            items_by: None,
            status: params.status,
            visibility,
            newest_first: false,
            offset: (page - 1) * per_page,
            limit: per_page,
        };
        let (comments, total) = self.repo.list_comments(&query).await?;
        let items = comments.into_iter().map(|c| comment_view(actor, c)).collect();
        Ok(Page { items, total, page, per_page })
    }

    /// The moderation queue: comments on every item the caller may moderate (editors and
    /// admins: all; authors: their own items), newest first, filtered by status and item.
    ///
    /// Errors: `unauthenticated`, `forbidden` (the caller moderates nothing), paging.
    pub async fn moderation_queue(
        &self,
        actor: &Actor,
        params: CommentListParams,
    ) -> CoreResult<Page<CommentView>> {
        let (page, per_page) = paging(&params)?;
        let probe = |author_id| Resource::Item {
            kind: ItemKind::Post,
            author_id,
            status: ItemStatus::Published,
            origin: Origin::Console,
        };
        let items_by = if authorize(actor, Action::Moderate, probe(-1)).is_ok() {
            None
        } else {
            let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
            self.require(actor, Action::Moderate, probe(user_id)).await?;
            Some(user_id)
        };
        let query = CommentQuery {
            item_id: params.item_id,
            items_by,
            status: params.status,
            visibility: CommentVisibility::All,
            newest_first: true,
            offset: (page - 1) * per_page,
            limit: per_page,
        };
        let (comments, total) = self.repo.list_comments(&query).await?;
        let items = comments.into_iter().map(|c| comment_view(actor, c)).collect();
        Ok(Page { items, total, page, per_page })
    }

    /// Changes a comment's body (its author while it is approved or pending, or a
    /// moderator; sets `edited_at`) and/or its status (moderators; a commenter may trash
    /// their own). Moving to `hidden` sets `hidden_at`.
    ///
    /// Errors: `not_found`; `invalid_input` (nothing to change, body); the permission
    /// check.
    pub async fn update_comment(
        &self,
        actor: &Actor,
        id: i64,
        patch: CommentPatch,
    ) -> CoreResult<CommentView> {
        let comment = self.visible_comment(actor, id).await?;
        if patch.body.is_none() && patch.status.is_none() {
            return Err(CoreError::invalid("body", "give a new body or status", "请提供新的内容或状态"));
        }
        let moderator = may_moderate(actor, &comment.item);
        let now = self.now();
        let body = match patch.body {
            Some(body) => {
                if !moderator {
                    self.require(actor, Action::Edit, comment_resource(&comment)).await?;
                    if !is_own(actor, &comment)
                        || !matches!(comment.status, CommentStatus::Approved | CommentStatus::Pending)
                    {
                        return Err(CoreError::forbidden().with_detail(
                            "only the commenter edits a shown or pending comment",
                            "只有评论者本人可以编辑已显示或待审核的评论",
                        ));
                    }
                }
                let body = check_comment_body(&body)?;
                if body == comment.body {
                    None
                } else {
                    let html = render(&body, SourceFormat::Markdown).html;
                    Some((body, html, now))
                }
            }
            None => None,
        };
        let status = match patch.status {
            Some(CommentStatus::Trashed) if !moderator => {
                self.require(actor, Action::Trash, comment_resource(&comment)).await?;
                Some(CommentStatus::Trashed)
            }
            Some(status) => {
                self.require(actor, Action::Moderate, comment.item.resource()).await?;
                Some(status)
            }
            None => None,
        }
        .filter(|status| *status != comment.status);
        if body.is_none() && status.is_none() {
            return Ok(comment_view(actor, comment));
        }
        let updated = self
            .repo
            .update_comment(id, CommentUpdate { body, status, updated_at: now })
            .await?
            .ok_or_else(CoreError::not_found)?;
        Ok(comment_view(actor, updated))
    }

    /// Deletes a comment for good, with its likes; its replies stay. Moderators of the
    /// item only (an author on their own items, editors, admins).
    ///
    /// Errors: `not_found`; the permission check.
    pub async fn delete_comment(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        let comment = self.visible_comment(actor, id).await?;
        self.require(actor, Action::Moderate, comment.item.resource()).await?;
        self.require(actor, Action::Delete, comment_resource(&comment)).await?;
        if !self.repo.delete_comment(id).await? {
            return Err(CoreError::not_found());
        }
        Ok(())
    }
}

/// The `comment.created` event: id, item, parent, author name, status and a plain-text
/// excerpt (never the e-mail or IP).
fn comment_event(comment: &Comment, actor: &Actor) -> DomainEvent {
    let text = render(&comment.body, SourceFormat::Markdown).text;
    let data = json!({
        "id": comment.id,
        "item_id": comment.item.id,
        "item_title": comment.item.title,
        "item_author_id": comment.item.author_id,
        "parent_id": comment.parent_id,
        "author_name": comment.author_name,
        "status": comment.status.as_str(),
        "excerpt": auto_excerpt(&text, EVENT_EXCERPT_CHARS),
    });
    DomainEvent::new(EventKind::CommentCreated, comment.id, actor.user_id(), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_kept_links() {
        let html = render(
            "see [a](https://a.example) and https://b.example and <a href=\"javascript:x\">c</a>",
            SourceFormat::Markdown,
        )
        .html;
        assert_eq!(count_links(&html), 2, "{html}");
    }

    #[test]
    fn guest_fields_are_checked() {
        assert!(check_guest_name(Some("  ".into())).is_err());
        assert!(check_guest_email(Some("not-mail".into())).is_err());
        assert_eq!(check_guest_email(Some(" a@b.example ".into())).unwrap(), "a@b.example");
        assert!(check_web_url("author_url", Some("javascript:alert(1)".into())).is_err());
        assert_eq!(check_web_url("author_url", Some("".into())).unwrap(), None);
    }
}
