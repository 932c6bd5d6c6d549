//! Likes on items, comments and notes, by users or anonymous visitors; exact counts.
//!
//! A signed-in user likes as themselves. An anonymous visitor is recognized by the
//! `inkstone_visitor` cookie the API sets (see [`is_visitor_id`]); without it, by their
//! address. Neither is stored as sent: the liker key is a SHA-256 of the server key and
//! the cookie (`v:...`) or the address's rate-limit subject (`ip:...`, an IPv6 /64), so the
//! database alone links no like to a person or an address.
//!
//! At most one like per target and liker: liking twice keeps one like, unliking what was
//! not liked changes nothing, and the answer says whether anything changed. The target's
//! `like_count` moves in the same transaction as the like row.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::Core;
use crate::abuse::{Limit, ip_subject};
use crate::error::{CoreError, CoreResult};
use crate::model::UserSummary;
use crate::permission::{Action, Actor, Resource, authorize};
use crate::secrets::digest_parts;

/// Likes and unlikes from one address per minute.
pub const LIKES_PER_IP_MINUTE: Limit =
    Limit { name: "like_ip_minute", max: 60, window: Duration::minutes(1) };
/// Likes and unlikes from one address per hour.
pub const LIKES_PER_IP_HOUR: Limit = Limit { name: "like_ip_hour", max: 600, window: Duration::hours(1) };
/// Most likers in one page of a likers list.
pub const MAX_PER_PAGE: i64 = 100;
/// Likers in a page when the caller does not say.
pub const DEFAULT_PER_PAGE: i64 = 20;

/// What is liked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LikeTarget {
    /// A post, page or discussion.
    Item(i64),
    Comment(i64),
    Note(i64),
}

impl LikeTarget {
    /// The storage spelling of the kind: `item`, `comment` or `note`.
    pub fn kind(self) -> &'static str {
        match self {
            LikeTarget::Item(_) => "item",
            LikeTarget::Comment(_) => "comment",
            LikeTarget::Note(_) => "note",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            LikeTarget::Item(id) | LikeTarget::Comment(id) | LikeTarget::Note(id) => id,
        }
    }
}

/// Who likes, as stored: a user, or the keyed hash of an anonymous visitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Liker {
    User(i64),
    /// `v:<hex>` (visitor cookie) or `ip:<hex>` (address), never the raw value.
    Anonymous(String),
}

impl Liker {
    /// The stored key: `u:<id>`, `v:<hex>` or `ip:<hex>`.
    pub fn key(&self) -> String {
        match self {
            Liker::User(id) => format!("u:{id}"),
            Liker::Anonymous(key) => key.clone(),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Liker::User(id) => Some(*id),
            Liker::Anonymous(_) => None,
        }
    }
}

/// How an anonymous caller may be recognized: the visitor cookie they sent (if any) and
/// their address (if known).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visitor {
    /// The `inkstone_visitor` cookie; ignored unless [`is_visitor_id`].
    pub cookie: Option<String>,
    pub ip: Option<IpAddr>,
}

/// Whether `value` is a well-formed visitor id: 22 to 128 characters of URL-safe base64
/// (`A-Z a-z 0-9 - _`). The API issues 43-character ids.
pub fn is_visitor_id(value: &str) -> bool {
    (22..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new random visitor id (43 characters).
pub fn new_visitor_id() -> String {
    crate::secrets::new_secret("")
}

/// The result of a like or unlike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LikeOutcome {
    /// Whether the caller likes the target now.
    pub liked: bool,
    /// Whether this request changed anything (false for a repeated like or unlike).
    pub changed: bool,
    /// The target's like count after the request.
    pub like_count: i64,
}

/// A user who liked, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLike {
    pub user: UserSummary,
    pub liked_at: DateTime<Utc>,
}

/// A page of signed-in likers (newest first) and the count of anonymous ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikerPage {
    pub users: Vec<UserLike>,
    /// Signed-in likers in all.
    pub user_total: i64,
    /// Anonymous likers in all (shown as a number only).
    pub anonymous: i64,
}

/// The likers of a target as one caller sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Likers {
    pub page: LikerPage,
    pub like_count: i64,
    /// Whether the caller has liked the target.
    pub liked: bool,
    pub page_number: i64,
    pub per_page: i64,
}

/// Longest name a guest liker may show, in characters.
pub const MAX_LIKER_NAME_CHARS: usize = 50;

/// What a guest liker chooses to show of themselves on a public list of likes (emlog
/// `addlike`'s `name` and `avatar`). Ignored for signed-in users, who show their profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LikerProfile {
    /// At most [`MAX_LIKER_NAME_CHARS`] characters, no control characters.
    pub name: Option<String>,
    /// An http(s) URL of at most 500 bytes.
    pub avatar: Option<String>,
}

/// One like as anyone who may see the target may list it: never the liker key, address or
/// user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikeEntry {
    /// The like's own id.
    pub id: i64,
    /// The signed-in liker, if any.
    pub user: Option<UserSummary>,
    /// A guest's chosen name (`None` for users and for guests who gave none).
    pub name: Option<String>,
    /// A guest's chosen avatar URL.
    pub avatar: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A guest's profile, checked: trimmed, empty parts dropped.
///
/// Errors: `invalid_input` (field `name`: too long or control characters; field
/// `avatar`: not an http(s) URL).
pub fn check_liker_profile(profile: LikerProfile) -> CoreResult<LikerProfile> {
    let name = profile.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if let Some(name) = &name
        && (name.chars().count() > MAX_LIKER_NAME_CHARS || name.chars().any(char::is_control))
    {
        return Err(CoreError::invalid(
            "name",
            format!("at most {MAX_LIKER_NAME_CHARS} characters, no control characters"),
            format!("最多 {MAX_LIKER_NAME_CHARS} 个字符，且不能包含控制字符"),
        ));
    }
    let avatar = crate::comments::check_web_url("avatar", profile.avatar)?;
    Ok(LikerProfile { name, avatar })
}

/// Likes, one per liker and target, with the target's count.
#[async_trait]
pub trait LikeRepository: Send + Sync {
    /// In one transaction: adds the like unless it exists and, if added, 1 to the target's
    /// `like_count`. Returns whether it was added and the count; `None` when the target
    /// does not exist.
    async fn add_like(
        &self,
        target: LikeTarget,
        liker: &Liker,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<(bool, i64)>>;
    /// In one transaction: removes the like if it exists and, if removed, 1 from the
    /// target's `like_count`. `None` when the target does not exist.
    async fn remove_like(&self, target: LikeTarget, liker: &Liker) -> CoreResult<Option<(bool, i64)>>;
    async fn has_like(&self, target: LikeTarget, liker: &Liker) -> CoreResult<bool>;
    /// Signed-in likers newest first (a page), their total and the anonymous total.
    async fn likers(&self, target: LikeTarget, offset: i64, limit: i64) -> CoreResult<LikerPage>;
    /// [`LikeRepository::add_like`] keeping what a guest shows of themselves (`profile`),
    /// and returning the new like's id when it was added: `None` when the target does not
    /// exist, else `(added, count, Some(id) when added)`.
    async fn add_like_with_profile(
        &self,
        target: LikeTarget,
        liker: &Liker,
        at: DateTime<Utc>,
        profile: &LikerProfile,
    ) -> CoreResult<Option<(bool, i64, Option<i64>)>>;
    /// Every like of the target, signed-in and guest alike, newest first (a page), with
    /// the total.
    async fn like_entries(
        &self,
        target: LikeTarget,
        offset: i64,
        limit: i64,
    ) -> CoreResult<(Vec<LikeEntry>, i64)>;
}

impl Core {
    /// The keyed hash that stands for an anonymous visitor: from the cookie when it is
    /// well-formed, else from the address; `None` when neither is known.
    fn anonymous_key(&self, visitor: &Visitor) -> Option<String> {
        let key = self.services.server_key.to_base64();
        let hash = |label: &str, value: &str| digest_parts(&["inkstone-liker", &key, label, value]);
        if let Some(cookie) = visitor.cookie.as_deref().filter(|c| is_visitor_id(c)) {
            return Some(format!("v:{}", hash("visitor", cookie)));
        }
        visitor.ip.map(|ip| format!("ip:{}", hash("ip", &ip_subject(ip))))
    }

    fn liker(&self, actor: &Actor, visitor: &Visitor) -> CoreResult<Liker> {
        if let Some(user_id) = actor.user_id() {
            return Ok(Liker::User(user_id));
        }
        self.anonymous_key(visitor).map(Liker::Anonymous).ok_or_else(|| {
            CoreError::invalid(
                "visitor",
                "cannot tell visitors apart: send the inkstone_visitor cookie",
                "无法识别访客：请携带 inkstone_visitor Cookie",
            )
        })
    }

    /// Checks that `actor` may see and like `target`; `not_found` when they may not see
    /// it (or it does not exist).
    async fn like_resource(&self, actor: &Actor, target: LikeTarget, action: Action) -> CoreResult<()> {
        let resource = match target {
            LikeTarget::Item(id) => {
                let item = self.repo.item_by_id(id).await?.ok_or_else(CoreError::not_found)?;
                crate::content::item_resource(&item)
            }
            LikeTarget::Comment(id) => {
                let comment = self.visible_comment(actor, id).await?;
                Resource::Comment {
                    item_author_id: comment.item.author_id,
                    author_id: comment.user.as_ref().map(|u| u.id),
                }
            }
            LikeTarget::Note(id) => {
                let note = self.repo.note_by_id(id).await?.ok_or_else(CoreError::not_found)?;
                crate::notes::note_resource(&note)
            }
        };
        if authorize(actor, Action::View, resource).is_err() {
            return Err(CoreError::not_found());
        }
        if action != Action::View {
            self.require(actor, action, resource).await?;
        }
        Ok(())
    }

    async fn like_rate_limit(&self, visitor: &Visitor) -> CoreResult<()> {
        if let Some(ip) = visitor.ip {
            let subject = ip_subject(ip);
            self.rate_limit(&LIKES_PER_IP_MINUTE, &subject).await?;
            self.rate_limit(&LIKES_PER_IP_HOUR, &subject).await?;
        }
        Ok(())
    }

    /// Likes `target` as `actor` (or, anonymous, as `visitor`). Idempotent.
    ///
    /// Errors: `not_found` (no such target, or hidden from the caller); `invalid_input`
    /// (an anonymous caller with neither cookie nor address); `rate_limited` (60 a minute,
    /// 600 an hour per address); the permission check.
    pub async fn like(
        &self,
        actor: &Actor,
        target: LikeTarget,
        visitor: &Visitor,
    ) -> CoreResult<LikeOutcome> {
        self.like_resource(actor, target, Action::Like).await?;
        let liker = self.liker(actor, visitor)?;
        self.like_rate_limit(visitor).await?;
        let (changed, like_count) =
            self.repo.add_like(target, &liker, self.now()).await?.ok_or_else(CoreError::not_found)?;
        Ok(LikeOutcome { liked: true, changed, like_count })
    }

    /// Takes back a like. Idempotent. Errors: as [`Core::like`].
    pub async fn unlike(
        &self,
        actor: &Actor,
        target: LikeTarget,
        visitor: &Visitor,
    ) -> CoreResult<LikeOutcome> {
        self.like_resource(actor, target, Action::Like).await?;
        let liker = self.liker(actor, visitor)?;
        self.like_rate_limit(visitor).await?;
        let (changed, like_count) =
            self.repo.remove_like(target, &liker).await?.ok_or_else(CoreError::not_found)?;
        Ok(LikeOutcome { liked: false, changed, like_count })
    }

    /// Who liked `target`: signed-in likers newest first, one page (default 20, at most
    /// 100), and the number of anonymous likers; plus whether the caller liked it.
    ///
    /// Errors: `not_found` (target missing or hidden), paging.
    pub async fn likers(
        &self,
        actor: &Actor,
        target: LikeTarget,
        visitor: &Visitor,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> CoreResult<Likers> {
        self.like_resource(actor, target, Action::View).await?;
        let page_number = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
        let offset = crate::paging::offset(page_number, per_page)?;
        let likers = self.repo.likers(target, offset, per_page).await?;
        let liked = match self.liker(actor, visitor) {
            Ok(liker) => self.repo.has_like(target, &liker).await?,
            Err(_) => false,
        };
        let like_count = likers.user_total + likers.anonymous;
        Ok(Likers { page: likers, like_count, liked, page_number, per_page })
    }
}

impl Core {
    /// [`Core::like`] for a caller who may give a public name and avatar (a guest: kept
    /// with the like and listed by [`Core::like_entries`]; a signed-in user: ignored).
    /// Returns the outcome and, when the like was added, its id.
    ///
    /// Errors: as [`Core::like`], plus `invalid_input` for the profile (see
    /// [`check_liker_profile`]), checked before anything is stored.
    pub async fn like_with_profile(
        &self,
        actor: &Actor,
        target: LikeTarget,
        visitor: &Visitor,
        profile: LikerProfile,
    ) -> CoreResult<(LikeOutcome, Option<i64>)> {
        self.like_resource(actor, target, Action::Like).await?;
        let profile =
            if actor.user_id().is_some() { LikerProfile::default() } else { check_liker_profile(profile)? };
        let liker = self.liker(actor, visitor)?;
        self.like_rate_limit(visitor).await?;
        let (changed, like_count, id) = self
            .repo
            .add_like_with_profile(target, &liker, self.now(), &profile)
            .await?
            .ok_or_else(CoreError::not_found)?;
        Ok((LikeOutcome { liked: true, changed, like_count }, id))
    }

    /// Every like of `target` (users by their profile, guests by the name and avatar they
    /// chose, or neither), newest first, one page (default 20, at most 100), with the total.
    /// Anyone who may see the target may list them; no liker key, address or user agent is
    /// handed out.
    ///
    /// Errors: `not_found` (target missing or hidden), paging.
    pub async fn like_entries(
        &self,
        actor: &Actor,
        target: LikeTarget,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> CoreResult<crate::content::Page<LikeEntry>> {
        self.like_resource(actor, target, Action::View).await?;
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
        let offset = crate::paging::offset(page, per_page)?;
        let (items, total) = self.repo.like_entries(target, offset, per_page).await?;
        Ok(crate::content::Page { items, total, page, per_page })
    }
}
