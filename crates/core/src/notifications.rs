//! Notifications: written by events and through the API, read and cleared by their recipient.
//!
//! Each notification belongs to one user. Events write them (a comment on your item, a
//! friend link application for every admin); those who may `ManageNotifications` write
//! them through the API. Their text is plain (no HTML) in the site's language at the time
//! they were written; clients escape it when they show it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::Core;
use crate::error::{CoreError, CoreResult};
use crate::events::{DomainEvent, EventKind};
use crate::locale::Locale;
use crate::model::UserStatus;
use crate::permission::{Action, Actor, Resource};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Largest page of notifications.
pub const MAX_NOTIFICATIONS_PAGE: i64 = 100;
/// Default page size.
pub const DEFAULT_NOTIFICATIONS_PAGE: i64 = 20;

/// Where a notification came from.
pub mod kinds {
    /// A comment on one of the recipient's items; `subject_id` is the comment.
    pub const COMMENT: &str = "comment";
    /// A friend link application; `subject_id` is the link.
    pub const FRIEND_LINK: &str = "friend_link";
    /// Written through `POST /api/v1/notifications`.
    pub const API: &str = "api";
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    /// The recipient.
    pub user_id: i64,
    /// See [`kinds`]: `comment`, `friend_link`, `api`.
    pub kind: String,
    pub title: String,
    /// Plain text; lines separated by `\n`.
    pub body: String,
    /// A URL or site path to open, when there is one.
    pub link: Option<String>,
    /// The id of what it is about (a comment, a link), by `kind`.
    pub subject_id: Option<i64>,
    /// Facts about the subject (an event's summary; never secrets). A JSON object.
    pub data: Value,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A notification to write, for a recipient named beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub subject_id: Option<i64>,
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

/// A page of one user's notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationQuery {
    pub user_id: i64,
    pub unread_only: bool,
    pub offset: i64,
    pub limit: i64,
}

/// A page of notifications with the counts a client shows.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationPage {
    /// Newest first.
    pub items: Vec<Notification>,
    /// Matching the query (all, or unread only).
    pub total: i64,
    /// The recipient's unread notifications, whatever the filter.
    pub unread: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Notifications per recipient. Every method that names a notification also names its
/// recipient and never touches anyone else's.
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    async fn insert_notification(
        &self,
        user_id: i64,
        notification: NewNotification,
    ) -> CoreResult<Notification>;
    /// Writes one copy for every active admin in one statement; returns how many.
    async fn insert_notification_for_admins(&self, notification: NewNotification) -> CoreResult<u64>;
    /// Newest first; the total matching and the user's unread count.
    async fn list_notifications(
        &self,
        query: &NotificationQuery,
    ) -> CoreResult<(Vec<Notification>, i64, i64)>;
    async fn notification(&self, user_id: i64, id: i64) -> CoreResult<Option<Notification>>;
    /// Sets or clears `read_at` (a notification already read keeps its first time);
    /// `None` if the user has no such notification.
    async fn set_notification_read(
        &self,
        user_id: i64,
        id: i64,
        read_at: Option<DateTime<Utc>>,
    ) -> CoreResult<Option<Notification>>;
    /// Marks every unread notification of the user read; returns how many.
    async fn mark_all_notifications_read(&self, user_id: i64, at: DateTime<Utc>) -> CoreResult<u64>;
    async fn delete_notification(&self, user_id: i64, id: i64) -> CoreResult<bool>;
    /// Deletes the user's read notifications; returns how many.
    async fn delete_read_notifications(&self, user_id: i64) -> CoreResult<u64>;
}

/// Who a notification written through the API is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipients {
    User(i64),
    /// Every active admin.
    Admins,
}

/// A notification written through the API.
#[derive(Debug, Clone)]
pub struct NotificationInput {
    pub to: Recipients,
    pub title: String,
    pub body: String,
    /// An `http(s)` URL or a path starting with `/`.
    pub link: Option<String>,
}

fn check_title(title: &str) -> CoreResult<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(CoreError::invalid(
            "title",
            format!("needs 1 to {MAX_TITLE_CHARS} characters"),
            format!("需要 1 到 {MAX_TITLE_CHARS} 个字符"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(CoreError::invalid("title", "contains control characters", "包含控制字符"));
    }
    Ok(title.to_string())
}

fn check_body(body: &str) -> CoreResult<String> {
    let body = body.trim();
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(CoreError::invalid(
            "body",
            format!("at most {MAX_BODY_CHARS} characters"),
            format!("最多 {MAX_BODY_CHARS} 个字符"),
        ));
    }
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(CoreError::invalid("body", "contains control characters", "包含控制字符"));
    }
    Ok(body.replace("\r\n", "\n"))
}

/// Shortens `text` to `max` characters with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

fn text_field<'a>(data: &'a Value, key: &str) -> &'a str {
    data.get(key).and_then(Value::as_str).unwrap_or("")
}

impl Core {
    /// Writes the notifications `event` calls for (a comment for the item's author, a
    /// friend-link application for the site's admins). Other kinds write nothing.
    pub(crate) async fn notify_on(&self, event: &DomainEvent) -> CoreResult<()> {
        let locale = self.settings().language();
        match event.kind {
            EventKind::CommentCreated => {
                let Some(author_id) = event.data.get("item_author_id").and_then(Value::as_i64) else {
                    return Ok(());
                };
                if event.actor_id == Some(author_id) {
                    return Ok(());
                }
                let title = shorten(text_field(&event.data, "item_title"), 80);
                let who = match text_field(&event.data, "author_name") {
                    "" => match locale {
                        Locale::En => "Someone",
                        Locale::ZhCn => "有人",
                    },
                    name => name,
                };
                let excerpt = shorten(text_field(&event.data, "excerpt"), 200);
                let pending = matches!(text_field(&event.data, "status"), "pending" | "spam");
                let (title, mut body) = match locale {
                    Locale::En => (format!("New comment on “{title}”"), format!("{who}: {excerpt}")),
                    Locale::ZhCn => (format!("《{title}》有新评论"), format!("{who}：{excerpt}")),
                };
                if pending {
                    body.push_str(match locale {
                        Locale::En => "\n(awaiting moderation)",
                        Locale::ZhCn => "\n（待审核）",
                    });
                }
                let notification = NewNotification {
                    kind: kinds::COMMENT.into(),
                    title: shorten(&title, MAX_TITLE_CHARS),
                    body,
                    link: None,
                    subject_id: event.data.get("id").and_then(Value::as_i64).or(Some(event.subject_id)),
                    data: event.data.clone(),
                    created_at: self.now(),
                };
                self.repo.insert_notification(author_id, notification).await?;
            }
            EventKind::FriendLinkApplied => {
                let link = self.repo.link_by_id(event.subject_id).await?;
                let name = link.as_ref().map_or(text_field(&event.data, "name"), |l| &l.name);
                let url = link.as_ref().map_or(text_field(&event.data, "url"), |l| &l.url);
                let image = link.as_ref().and_then(|l| l.image.as_deref()).unwrap_or("");
                let description = link.as_ref().and_then(|l| l.description.as_deref()).unwrap_or("");
                // The Chinese wording is Qexo's ("友链申请 <name>", "站点名: ...").
                let (title, body) = match locale {
                    Locale::En => (
                        format!("Friend link application: {name}"),
                        format!("Site: {name}\nURL: {url}\nImage: {image}\nDescription: {description}"),
                    ),
                    Locale::ZhCn => (
                        format!("友链申请 {name}"),
                        format!("站点名: {name}\n链接: {url}\n图片: {image}\n描述: {description}"),
                    ),
                };
                let notification = NewNotification {
                    kind: kinds::FRIEND_LINK.into(),
                    title: shorten(&title, MAX_TITLE_CHARS),
                    body,
                    link: None,
                    subject_id: Some(event.subject_id),
                    data: event.data.clone(),
                    created_at: self.now(),
                };
                self.repo.insert_notification_for_admins(notification).await?;
            }
            _ => {}
        }
        Ok(())
    }

    fn reader_id(actor: &Actor) -> CoreResult<i64> {
        actor.user_id().ok_or_else(|| {
            CoreError::unauthenticated().with_detail("notifications belong to a signed-in user", "请先登录")
        })
    }

    /// A page of the actor's own notifications, newest first, with their unread count.
    ///
    /// Errors: `unauthenticated`, permission, `invalid_input` (page, per_page 1..=100).
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> CoreResult<NotificationPage> {
        self.require(actor, Action::ReadNotifications, Resource::Site).await?;
        let user_id = Self::reader_id(actor)?;
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_NOTIFICATIONS_PAGE);
        crate::paging::check_per_page(per_page, MAX_NOTIFICATIONS_PAGE)?;
        let query = NotificationQuery {
            user_id,
            unread_only,
            offset: crate::paging::offset(page, per_page)?,
            limit: per_page,
        };
        let (items, total, unread) = self.repo.list_notifications(&query).await?;
        Ok(NotificationPage { items, total, unread, page, per_page })
    }

    /// One of the actor's notifications. Errors: `not_found` (also for anyone else's).
    pub async fn notification(&self, actor: &Actor, id: i64) -> CoreResult<Notification> {
        self.require(actor, Action::ReadNotifications, Resource::Site).await?;
        let user_id = Self::reader_id(actor)?;
        self.repo.notification(user_id, id).await?.ok_or_else(CoreError::not_found)
    }

    /// Marks one of the actor's notifications read or unread.
    ///
    /// Errors: `not_found` (also for anyone else's), permission.
    pub async fn mark_notification(&self, actor: &Actor, id: i64, read: bool) -> CoreResult<Notification> {
        self.require(actor, Action::ReadNotifications, Resource::Site).await?;
        let user_id = Self::reader_id(actor)?;
        let at = read.then(|| self.now());
        self.repo.set_notification_read(user_id, id, at).await?.ok_or_else(CoreError::not_found)
    }

    /// Marks all the actor's notifications read; returns how many were unread.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> CoreResult<u64> {
        self.require(actor, Action::ReadNotifications, Resource::Site).await?;
        let user_id = Self::reader_id(actor)?;
        self.repo.mark_all_notifications_read(user_id, self.now()).await
    }

    /// Deletes one of the actor's notifications. Errors: `not_found`, permission.
    pub async fn delete_notification(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ReadNotifications, Resource::Site).await?;
        let user_id = Self::reader_id(actor)?;
        if self.repo.delete_notification(user_id, id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }

    /// Deletes the actor's read notifications; returns how many went.
    pub async fn delete_read_notifications(&self, actor: &Actor) -> CoreResult<u64> {
        self.require(actor, Action::ReadNotifications, Resource::Site).await?;
        let user_id = Self::reader_id(actor)?;
        self.repo.delete_read_notifications(user_id).await
    }

    /// Writes a notification (kind `api`) for one active user or for every active admin;
    /// returns how many were written.
    ///
    /// Errors: `invalid_input` (title 1..=200 characters, body at most 10,000, link
    /// http(s) or a path, `user_id` not an active user); permission (`ManageNotifications`:
    /// editors and admins).
    pub async fn send_notification(&self, actor: &Actor, input: NotificationInput) -> CoreResult<u64> {
        self.require(actor, Action::ManageNotifications, Resource::Site).await?;
        let notification = NewNotification {
            kind: kinds::API.into(),
            title: check_title(&input.title)?,
            body: check_body(&input.body)?,
            link: crate::content::check_url("link", input.link)?,
            subject_id: None,
            data: json!({ "sent_by": actor.user_id() }),
            created_at: self.now(),
        };
        match input.to {
            Recipients::User(user_id) => {
                let active =
                    self.repo.user_by_id(user_id).await?.is_some_and(|u| u.status == UserStatus::Active);
                if !active {
                    return Err(CoreError::invalid(
                        "user_id",
                        "no active user has this id",
                        "没有此 id 的可用用户",
                    ));
                }
                self.repo.insert_notification(user_id, notification).await?;
                Ok(1)
            }
            Recipients::Admins => self.repo.insert_notification_for_admins(notification).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_by_characters() {
        assert_eq!(shorten("  短文本 ", 10), "短文本");
        assert_eq!(shorten("一二三四五六", 4), "一二三…");
    }

    #[test]
    fn bodies_keep_lines_but_no_other_controls() {
        assert_eq!(check_body("a\r\nb").unwrap(), "a\nb");
        assert!(check_body("a\u{7}b").is_err());
        assert!(check_title("").is_err());
        assert!(check_title("a\nb").is_err());
    }
}
