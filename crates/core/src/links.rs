//! Friend links and the public application form.
//!
//! A friend link is a name, an `http(s)` URL, an optional image and description, a
//! visible flag and a sort order. Editors and admins (`Action::ManageLinks`) manage them;
//! everyone reads the visible ones. Visitors apply through a public form
//! ([`Core::apply_for_link`]): the application is stored as a hidden link with `applied`
//! set, and the site's admins get a notification (through the `friend_link.applied`
//! event). Approving an application is making the link visible.
//!
//! Two links never point at the same site page: URLs are compared by their
//! [`url_key`] (scheme, `www.` and a trailing slash ignored; host case-insensitive).

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::Core;
use crate::abuse::{CaptchaAnswer, Limit, ip_subject};
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::events::{DomainEvent, EventKind};
use crate::permission::{Action, Actor, Resource, authorize};

/// Applications from one address per hour.
pub const APPLICATIONS_PER_IP: Limit = Limit { name: "link_apply_ip", max: 5, window: Duration::hours(1) };
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest URL (link or image), in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Largest page of links.
pub const MAX_LINKS_PAGE: i64 = 500;
/// Default page size of link lists.
pub const DEFAULT_LINKS_PAGE: i64 = 100;

/// A friend link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendLink {
    pub id: i64,
    pub name: String,
    /// Absolute `http` or `https` URL.
    pub url: String,
    /// Absolute `http(s)` URL or a site path starting with `/`.
    pub image: Option<String>,
    pub description: Option<String>,
    /// Shown in public lists. Applications start hidden.
    pub visible: bool,
    /// Lower first; ties by creation time, then id.
    pub sort_order: i64,
    /// Came through the public application form. Pending review while also hidden.
    pub applied: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated link row to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLinkRecord {
    pub name: String,
    pub url: String,
    /// See [`url_key`]; unique.
    pub url_key: String,
    pub image: Option<String>,
    pub description: Option<String>,
    pub visible: bool,
    pub sort_order: i64,
    pub applied: bool,
    pub created_at: DateTime<Utc>,
}

/// Validated changes to a link; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkRecordPatch {
    /// The new URL and its key, together.
    pub url: Option<(String, String)>,
    pub name: Option<String>,
    pub image: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub visible: Option<bool>,
    pub sort_order: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A page of links as the repository filters it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkQuery {
    pub visible: Option<bool>,
    pub applied: Option<bool>,
    /// Substring of name, URL or description, case-insensitive.
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// Friend links.
#[async_trait]
pub trait LinkRepository: Send + Sync {
    /// Inserts a link. `conflict` when a link with the same `url_key` exists.
    async fn insert_link(&self, link: NewLinkRecord) -> CoreResult<FriendLink>;
    async fn link_by_id(&self, id: i64) -> CoreResult<Option<FriendLink>>;
    /// Applies the patch in one statement; `not_found` if there is no such link,
    /// `conflict` if the new URL's key is taken.
    async fn update_link(&self, id: i64, patch: LinkRecordPatch) -> CoreResult<FriendLink>;
    async fn delete_link(&self, id: i64) -> CoreResult<bool>;
    /// Links by sort order, creation time and id, and the total matching.
    async fn list_links(&self, query: &LinkQuery) -> CoreResult<(Vec<FriendLink>, i64)>;
}

/// A link as a manager writes it.
#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    pub name: String,
    pub url: String,
    pub image: Option<String>,
    pub description: Option<String>,
    /// Visible unless said otherwise.
    pub visible: Option<bool>,
    pub sort_order: Option<i64>,
}

/// Changes a manager makes; `None` leaves a field as it is, an empty string clears `image`
/// and `description`.
#[derive(Debug, Clone, Default)]
pub struct LinkPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub image: Option<String>,
    pub description: Option<String>,
    pub visible: Option<bool>,
    pub sort_order: Option<i64>,
}

/// What the public application form sends (Qexo `ask_friend`: name, url, image,
/// description, verify).
#[derive(Debug, Clone, Default)]
pub struct LinkApplication {
    pub name: String,
    pub url: String,
    pub image: Option<String>,
    pub description: Option<String>,
    /// Checked when the `links.application_captcha` setting is on.
    pub captcha: CaptchaAnswer,
}

/// Filters and paging of a link list as the caller wrote them.
#[derive(Debug, Clone, Default)]
pub struct LinkListParams {
    /// `Some(false)` or `None` for managers: hidden links too. Others may only ask for the
    /// visible ones and get those when they ask for nothing.
    pub visible: Option<bool>,
    pub applied: Option<bool>,
    pub q: Option<String>,
    /// 1-based; 1 when absent.
    pub page: Option<i64>,
    /// 1..=500; 100 when absent.
    pub per_page: Option<i64>,
}

/// The comparison key of a link URL: host lower-cased without a leading `www.`, the port
/// if any, the path without trailing slashes, and the query; scheme and fragment dropped.
/// `https://WWW.Example.com/blog/` and `http://example.com/blog` share the key
/// `example.com/blog`.
pub fn url_key(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split('#').next().unwrap_or("");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
    let authority = authority.strip_prefix("www.").unwrap_or(&authority);
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut key = format!("{authority}{}", path.trim_end_matches('/'));
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        key.push('?');
        key.push_str(query);
    }
    key
}

fn clean_text(value: &str) -> String {
    value.trim().to_string()
}

fn check_name(name: &str) -> CoreResult<String> {
    let name = clean_text(name);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(CoreError::invalid(
            "name",
            format!("needs 1 to {MAX_NAME_CHARS} characters"),
            format!("需要 1 到 {MAX_NAME_CHARS} 个字符"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid("name", "contains control characters", "包含控制字符"));
    }
    Ok(name)
}

/// An absolute `http(s)` URL with a host and no whitespace. Errors: `invalid_input` naming
/// `field`.
fn check_link_url(field: &str, value: &str) -> CoreResult<String> {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        !host.is_empty() && !host.starts_with(':') && !host.starts_with('.')
    });
    if !host_ok || value.len() > MAX_URL_BYTES || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CoreError::invalid(
            field,
            "must be an http or https URL with a host",
            "必须是带域名的 http 或 https 网址",
        ));
    }
    Ok(value.to_string())
}

fn check_image(value: Option<String>) -> CoreResult<Option<String>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(path) if path.starts_with('/') && !path.starts_with("//") => {
            if path.len() > MAX_URL_BYTES || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(CoreError::invalid(
                    "image",
                    "must be an http(s) URL or a path starting with /",
                    "必须是 http(s) 网址或以 / 开头的路径",
                ));
            }
            Ok(Some(path.to_string()))
        }
        Some(url) => check_link_url("image", url).map(Some),
    }
}

fn check_description(value: Option<String>) -> CoreResult<Option<String>> {
    let Some(value) = value.map(|v| clean_text(&v)).filter(|v| !v.is_empty()) else { return Ok(None) };
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(CoreError::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_CHARS} characters"),
            format!("最多 {MAX_DESCRIPTION_CHARS} 个字符"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CoreError::invalid("description", "contains control characters", "包含控制字符"));
    }
    Ok(Some(value))
}

fn check_sort_order(value: i64) -> CoreResult<i64> {
    if (-1_000_000..=1_000_000).contains(&value) {
        Ok(value)
    } else {
        Err(CoreError::invalid(
            "sort_order",
            "must be from -1000000 to 1000000",
            "必须在 -1000000 到 1000000 之间",
        ))
    }
}

/// The error for a second link to the same site page.
fn duplicate_url() -> CoreError {
    CoreError::new(ErrorCode::Conflict).with_field("url").with_detail(
        "a friend link to this URL already exists or has already been applied for",
        "该网址的友链已存在或已提交过申请",
    )
}

fn map_conflict(error: CoreError) -> CoreError {
    if error.code == ErrorCode::Conflict { duplicate_url() } else { error }
}

impl Core {
    /// Whether `actor` may manage links (and so see hidden ones).
    pub fn may_manage_links(&self, actor: &Actor) -> bool {
        authorize(actor, Action::ManageLinks, Resource::Site).is_ok()
    }

    /// A page of links. Managers see every link (filter with `visible`, `applied`, `q`);
    /// everyone else sees the visible ones.
    ///
    /// Errors: `invalid_input` (paging); `unauthenticated`/`forbidden` when a non-manager
    /// asks for hidden links or filters by `applied`.
    pub async fn list_links(
        &self,
        actor: &Actor,
        params: LinkListParams,
    ) -> CoreResult<crate::content::Page<FriendLink>> {
        let manager = self.may_manage_links(actor);
        if !manager && (params.visible == Some(false) || params.applied.is_some()) {
            self.require(actor, Action::ManageLinks, Resource::Site).await?;
        }
        let page = params.page.unwrap_or(1);
        let per_page = params.per_page.unwrap_or(DEFAULT_LINKS_PAGE);
        crate::paging::check_per_page(per_page, MAX_LINKS_PAGE)?;
        let query = LinkQuery {
            visible: if manager { params.visible } else { Some(true) },
            applied: params.applied,
            search: params.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
            offset: crate::paging::offset(page, per_page)?,
            limit: per_page,
        };
        let (items, total) = self.repo.list_links(&query).await?;
        Ok(crate::content::Page { items, total, page, per_page })
    }

    /// One link: a visible one for anyone, a hidden one for managers.
    ///
    /// Errors: `not_found` (also for hidden links others may not see).
    pub async fn link(&self, actor: &Actor, id: i64) -> CoreResult<FriendLink> {
        let link = self.repo.link_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        if !link.visible && !self.may_manage_links(actor) {
            return Err(CoreError::not_found());
        }
        Ok(link)
    }

    /// Adds a link (visible unless `visible: false`).
    ///
    /// Errors: `invalid_input` (name 1..=100 characters, URL http(s), image, description at
    /// most 500 characters, sort order); `conflict` (a link to the same URL exists);
    /// permission (editors and admins).
    pub async fn create_link(&self, actor: &Actor, input: LinkInput) -> CoreResult<FriendLink> {
        self.require(actor, Action::ManageLinks, Resource::Site).await?;
        let url = check_link_url("url", &input.url)?;
        let record = NewLinkRecord {
            name: check_name(&input.name)?,
            url_key: url_key(&url),
            url,
            image: check_image(input.image)?,
            description: check_description(input.description)?,
            visible: input.visible.unwrap_or(true),
            sort_order: check_sort_order(input.sort_order.unwrap_or(0))?,
            applied: false,
            created_at: self.now(),
        };
        self.repo.insert_link(record).await.map_err(map_conflict)
    }

    /// Changes some fields of a link; making an application visible approves it.
    ///
    /// Errors: as [`Core::create_link`], and `not_found`.
    pub async fn update_link(&self, actor: &Actor, id: i64, patch: LinkPatch) -> CoreResult<FriendLink> {
        self.require(actor, Action::ManageLinks, Resource::Site).await?;
        let url = patch.url.as_deref().map(|u| check_link_url("url", u)).transpose()?;
        let record = LinkRecordPatch {
            url: url.map(|u| {
                let key = url_key(&u);
                (u, key)
            }),
            name: patch.name.as_deref().map(check_name).transpose()?,
            image: patch.image.map(|i| check_image(Some(i))).transpose()?,
            description: patch.description.map(|d| check_description(Some(d))).transpose()?,
            visible: patch.visible,
            sort_order: patch.sort_order.map(check_sort_order).transpose()?,
            updated_at: self.now(),
        };
        self.repo.update_link(id, record).await.map_err(map_conflict)
    }

    /// Deletes a link (or rejects an application). Errors: `not_found`, permission.
    pub async fn delete_link(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageLinks, Resource::Site).await?;
        if self.repo.delete_link(id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }

    /// A visitor's application for a friend link: stored hidden with `applied` set, then
    /// the `friend_link.applied` event tells the admins (a notification each) and webhooks.
    ///
    /// Errors, in this order: `forbidden` when `links.applications_open` is off;
    /// `rate_limited` (5 an hour per address); `captcha_failed` when
    /// `links.application_captcha` is on; `invalid_input` (fields as
    /// [`Core::create_link`]); `conflict` (field `url`) when a link to the same URL exists
    /// or was applied for.
    pub async fn apply_for_link(
        &self,
        actor: &Actor,
        application: LinkApplication,
        client: Option<IpAddr>,
    ) -> CoreResult<FriendLink> {
        let settings = self.settings();
        if !settings.link_applications_open() {
            return Err(CoreError::forbidden()
                .with_detail("friend link applications are closed", "本站暂不接受友链申请"));
        }
        if let Some(ip) = client {
            self.rate_limit(&APPLICATIONS_PER_IP, &ip_subject(ip)).await?;
        }
        if settings.link_application_captcha() {
            self.verify_captcha(&application.captcha, client).await?;
        }
        let url = check_link_url("url", &application.url)?;
        let record = NewLinkRecord {
            name: check_name(&application.name)?,
            url_key: url_key(&url),
            url,
            image: check_image(application.image)?,
            description: check_description(application.description)?,
            visible: false,
            sort_order: 0,
            applied: true,
            created_at: self.now(),
        };
        let link = self.repo.insert_link(record).await.map_err(map_conflict)?;
        self.emit(DomainEvent::new(
            EventKind::FriendLinkApplied,
            link.id,
            actor.user_id(),
            json!({ "id": link.id, "name": link.name, "url": link.url }),
        ))
        .await;
        Ok(link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_keys_ignore_scheme_www_case_and_trailing_slash() {
        assert_eq!(url_key("https://WWW.Example.com/blog/"), "example.com/blog");
        assert_eq!(url_key("http://example.com/blog"), "example.com/blog");
        assert_eq!(url_key("https://example.com"), "example.com");
        assert_eq!(url_key("https://example.com/#top"), "example.com");
        assert_eq!(url_key("https://example.com:8443/?a=1"), "example.com:8443?a=1");
        assert_ne!(url_key("https://example.com/Blog"), url_key("https://example.com/blog"));
    }

    #[test]
    fn link_urls_must_be_http_with_a_host() {
        assert!(check_link_url("url", "https://example.com").is_ok());
        assert!(check_link_url("url", " http://例子.中国/路径 ").is_ok());
        for bad in ["javascript:alert(1)", "ftp://x.org", "https://", "https:///path", "//x.org", "x.org"] {
            assert!(check_link_url("url", bad).is_err(), "{bad}");
        }
        assert!(check_link_url("url", "https://a.org/with space").is_err());
        assert_eq!(check_image(Some("/media/a.png".into())).unwrap().as_deref(), Some("/media/a.png"));
        assert!(check_image(Some("//evil.org/a.png".into())).is_err());
        assert_eq!(check_image(Some("  ".into())).unwrap(), None);
    }
}
