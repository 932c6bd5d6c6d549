//! Favorites, one per user and item, with `items.favorite_count` kept in the same
//! transaction as the row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::CoreResult;
use inkstone_core::favorites::FavoriteRepository;

use crate::{SqliteStore, db_error, from_millis, to_millis};

impl SqliteStore {
    /// In one transaction: checks the item exists, adds or removes the row, and moves the
    /// item's count by one when the row changed.
    async fn change_favorite(
        &self,
        user_id: i64,
        item_id: i64,
        add: Option<DateTime<Utc>>,
    ) -> CoreResult<Option<(bool, i64)>> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM items WHERE id = ?")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        if exists.is_none() {
            return Ok(None);
        }
        let done = match add {
            Some(at) => sqlx::query(
                "INSERT INTO favorites (user_id, item_id, created_at) VALUES (?, ?, ?)
                 ON CONFLICT (user_id, item_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(item_id)
            .bind(to_millis(at))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?,
            None => sqlx::query("DELETE FROM favorites WHERE user_id = ? AND item_id = ?")
                .bind(user_id)
                .bind(item_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?,
        };
        let changed = done.rows_affected() > 0;
        let delta = match (changed, add.is_some()) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => -1,
        };
        let count: i64 = sqlx::query_scalar(
            "UPDATE items SET favorite_count = MAX(favorite_count + ?, 0) WHERE id = ? RETURNING favorite_count",
        )
        .bind(delta)
        .bind(item_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        if changed {
            self.changed();
        }
        Ok(Some((changed, count)))
    }
}

#[async_trait]
impl FavoriteRepository for SqliteStore {
    async fn add_favorite(
        &self,
        user_id: i64,
        item_id: i64,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<(bool, i64)>> {
        self.change_favorite(user_id, item_id, Some(at)).await
    }

    async fn remove_favorite(&self, user_id: i64, item_id: i64) -> CoreResult<Option<(bool, i64)>> {
        self.change_favorite(user_id, item_id, None).await
    }

    async fn favorites_of_user(
        &self,
        user_id: i64,
        offset: i64,
        limit: i64,
    ) -> CoreResult<(Vec<(i64, DateTime<Utc>)>, i64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM favorites WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&self.read)
            .await
            .map_err(db_error)?;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT item_id, created_at FROM favorites WHERE user_id = ?
             ORDER BY created_at DESC, item_id DESC LIMIT ? OFFSET ?",
        )
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        Ok((rows.into_iter().map(|(id, at)| (id, from_millis(at))).collect(), total))
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::favorites::FavoriteRepository;
    use inkstone_core::ports::ContentRepository;

    use crate::comments::tests::user_and_item;
    use crate::testing::{at, store};

    #[tokio::test]
    async fn favorites_are_unique_per_user_and_counted_in_the_same_transaction() {
        let (_dir, store) = store().await;
        let (user, item) = user_and_item(&store).await;
        assert_eq!(store.add_favorite(user, item, at(1)).await.unwrap(), Some((true, 1)));
        assert_eq!(store.add_favorite(user, item, at(2)).await.unwrap(), Some((false, 1)));
        assert_eq!(store.item_by_id(item).await.unwrap().unwrap().favorite_count, 1);
        let (rows, total) = store.favorites_of_user(user, 0, 10).await.unwrap();
        assert_eq!((rows, total), (vec![(item, at(1))], 1));
        assert_eq!(store.remove_favorite(user, item).await.unwrap(), Some((true, 0)));
        assert_eq!(store.remove_favorite(user, item).await.unwrap(), Some((false, 0)));
        assert_eq!(store.item_by_id(item).await.unwrap().unwrap().favorite_count, 0);
        assert_eq!(store.add_favorite(user, 404, at(3)).await.unwrap(), None);
    }
}
