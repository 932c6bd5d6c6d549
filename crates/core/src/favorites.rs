//! Favorites: a signed-in user's bookmarks of items (emlog's `collect` family).
//!
//! Rules, in one place:
//! - Only a signed-in user favorites, as themselves; they may favorite what they may read
//!   (`Action::View` on the item). An item they may not read is `not_found`, never a hint
//!   that it exists.
//! - One favorite per user and item: a second add and a remove of what was not favorited
//!   change nothing, and the answer says so.
//! - `items.favorite_count` moves in the same transaction as the favorite row.
//! - A user's list shows only the items they may still read, newest favorite first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Core;
use crate::content::{Page, item_resource};
use crate::error::{CoreError, CoreResult};
use crate::model::Item;
use crate::permission::{Action, Actor, authorize};

/// Most favorites in one page of a list.
pub const MAX_PER_PAGE: i64 = 100;
/// Favorites in a page when the caller does not say.
pub const DEFAULT_PER_PAGE: i64 = 20;

/// The result of adding or removing a favorite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FavoriteOutcome {
    /// Whether the caller has the item among their favorites now.
    pub favorited: bool,
    /// Whether this request changed anything (false for a repeated add or remove).
    pub changed: bool,
    /// The item's `favorite_count` after the request.
    pub favorite_count: i64,
}

/// One of a user's favorites: the item as stored and when it was favorited.
#[derive(Debug, Clone, PartialEq)]
pub struct Favorite {
    pub item: Item,
    pub favorited_at: DateTime<Utc>,
}

/// Favorites, one per user and item, with the item's count.
#[async_trait]
pub trait FavoriteRepository: Send + Sync {
    /// In one transaction: adds the favorite unless it exists and, if added, 1 to
    /// `items.favorite_count`. Returns whether it was added and the count; `None` when
    /// the item does not exist.
    async fn add_favorite(
        &self,
        user_id: i64,
        item_id: i64,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<(bool, i64)>>;
    /// In one transaction: removes the favorite if it exists and, if removed, 1 from
    /// `items.favorite_count`. `None` when the item does not exist.
    async fn remove_favorite(&self, user_id: i64, item_id: i64) -> CoreResult<Option<(bool, i64)>>;
    /// The user's favorites newest first (item id and time), one page, with their total.
    async fn favorites_of_user(
        &self,
        user_id: i64,
        offset: i64,
        limit: i64,
    ) -> CoreResult<(Vec<(i64, DateTime<Utc>)>, i64)>;
}

impl Core {
    /// The signed-in user and the item, when they may read it.
    async fn favorite_target(&self, actor: &Actor, item_id: i64) -> CoreResult<(i64, Item)> {
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        let item = self.repo.item_by_id(item_id).await?.ok_or_else(CoreError::not_found)?;
        if authorize(actor, Action::View, item_resource(&item)).is_err() {
            return Err(CoreError::not_found());
        }
        Ok((user_id, item))
    }

    /// Adds item `item_id` to the actor's favorites. Idempotent: a second add changes
    /// nothing (`changed: false`).
    ///
    /// Errors: `unauthenticated` (nobody signed in); `not_found` (no such item, or one the
    /// actor may not read).
    pub async fn add_favorite(&self, actor: &Actor, item_id: i64) -> CoreResult<FavoriteOutcome> {
        let (user_id, item) = self.favorite_target(actor, item_id).await?;
        let (changed, favorite_count) =
            self.repo.add_favorite(user_id, item.id, self.now()).await?.ok_or_else(CoreError::not_found)?;
        Ok(FavoriteOutcome { favorited: true, changed, favorite_count })
    }

    /// Takes item `item_id` out of the actor's favorites. Idempotent.
    ///
    /// Errors: as [`Core::add_favorite`].
    pub async fn remove_favorite(&self, actor: &Actor, item_id: i64) -> CoreResult<FavoriteOutcome> {
        let (user_id, item) = self.favorite_target(actor, item_id).await?;
        let (changed, favorite_count) =
            self.repo.remove_favorite(user_id, item.id).await?.ok_or_else(CoreError::not_found)?;
        Ok(FavoriteOutcome { favorited: false, changed, favorite_count })
    }

    /// The actor's favorites, newest first, one page (default 20, at most 100). Items the
    /// actor may no longer read (unpublished, trashed) are left out of the page; `total`
    /// counts every favorite row.
    ///
    /// Errors: `unauthenticated`; `invalid_input` (paging).
    pub async fn my_favorites(
        &self,
        actor: &Actor,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> CoreResult<Page<Favorite>> {
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
        let offset = crate::paging::offset(page, per_page)?;
        let (rows, total) = self.repo.favorites_of_user(user_id, offset, per_page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for (item_id, favorited_at) in rows {
            let Some(item) = self.repo.item_by_id(item_id).await? else { continue };
            if authorize(actor, Action::View, item_resource(&item)).is_ok() {
                items.push(Favorite { item, favorited_at });
            }
        }
        Ok(Page { items, total, page, per_page })
    }
}
