//! Likes, one per liker and target, with the target's count.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::CoreResult;
use inkstone_core::likes::{LikeEntry, LikeRepository, LikeTarget, Liker, LikerPage, LikerProfile, UserLike};
use inkstone_core::model::UserSummary;
use sqlx::Row;

use crate::{SqliteStore, db_error, from_millis, to_millis};

/// The table holding the target's `like_count`.
fn table(target: LikeTarget) -> &'static str {
    match target {
        LikeTarget::Item(_) => "items",
        LikeTarget::Comment(_) => "comments",
        LikeTarget::Note(_) => "notes",
    }
}

impl SqliteStore {
    /// In one transaction: checks the target exists, adds or removes the like, and moves
    /// the target's count by one when the like row changed.
    async fn change_like(
        &self,
        target: LikeTarget,
        liker: &Liker,
        add: Option<DateTime<Utc>>,
        profile: &LikerProfile,
    ) -> CoreResult<Option<(bool, i64, Option<i64>)>> {
        let table = table(target);
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = ?"))
            .bind(target.id())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        if exists.is_none() {
            return Ok(None);
        }
        let done = match add {
            Some(at) => sqlx::query(
                "INSERT INTO likes (target_kind, target_id, liker, user_id, created_at, name, avatar)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (target_kind, target_id, liker) DO NOTHING",
            )
            .bind(target.kind())
            .bind(target.id())
            .bind(liker.key())
            .bind(liker.user_id())
            .bind(to_millis(at))
            .bind(profile.name.as_deref())
            .bind(profile.avatar.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?,
            None => sqlx::query("DELETE FROM likes WHERE target_kind = ? AND target_id = ? AND liker = ?")
                .bind(target.kind())
                .bind(target.id())
                .bind(liker.key())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?,
        };
        let changed = done.rows_affected() > 0;
        let id = (changed && add.is_some()).then(|| done.last_insert_rowid());
        let delta = match (changed, add.is_some()) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => -1,
        };
        let count: i64 = sqlx::query_scalar(&format!(
            "UPDATE {table} SET like_count = like_count + ? WHERE id = ? RETURNING like_count"
        ))
        .bind(delta)
        .bind(target.id())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        if changed {
            self.changed();
        }
        Ok(Some((changed, count, id)))
    }
}

#[async_trait]
impl LikeRepository for SqliteStore {
    async fn add_like(
        &self,
        target: LikeTarget,
        liker: &Liker,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<(bool, i64)>> {
        Ok(self.change_like(target, liker, Some(at), &LikerProfile::default()).await?.map(|(c, n, _)| (c, n)))
    }

    async fn remove_like(&self, target: LikeTarget, liker: &Liker) -> CoreResult<Option<(bool, i64)>> {
        Ok(self.change_like(target, liker, None, &LikerProfile::default()).await?.map(|(c, n, _)| (c, n)))
    }

    async fn add_like_with_profile(
        &self,
        target: LikeTarget,
        liker: &Liker,
        at: DateTime<Utc>,
        profile: &LikerProfile,
    ) -> CoreResult<Option<(bool, i64, Option<i64>)>> {
        self.change_like(target, liker, Some(at), profile).await
    }

    async fn like_entries(
        &self,
        target: LikeTarget,
        offset: i64,
        limit: i64,
    ) -> CoreResult<(Vec<LikeEntry>, i64)> {
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM likes WHERE target_kind = ? AND target_id = ?")
                .bind(target.kind())
                .bind(target.id())
                .fetch_one(&self.read)
                .await
                .map_err(db_error)?;
        let rows = sqlx::query(
            "SELECT l.id AS like_id, l.name AS like_name, l.avatar AS like_avatar, l.created_at,
                    u.id AS user_id, u.username, u.display_name, u.avatar AS user_avatar
             FROM likes l LEFT JOIN users u ON u.id = l.user_id
             WHERE l.target_kind = ? AND l.target_id = ?
             ORDER BY l.created_at DESC, l.id DESC LIMIT ? OFFSET ?",
        )
        .bind(target.kind())
        .bind(target.id())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        let entries = rows
            .iter()
            .map(|row| {
                let user_id: Option<i64> = row.try_get("user_id")?;
                let user = match user_id {
                    Some(id) => Some(UserSummary {
                        id,
                        username: row.try_get("username")?,
                        display_name: row.try_get("display_name")?,
                        avatar: row.try_get("user_avatar")?,
                    }),
                    None => None,
                };
                Ok(LikeEntry {
                    id: row.try_get("like_id")?,
                    user,
                    name: row.try_get("like_name")?,
                    avatar: row.try_get("like_avatar")?,
                    created_at: from_millis(row.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_error)?;
        Ok((entries, total))
    }

    async fn has_like(&self, target: LikeTarget, liker: &Liker) -> CoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM likes WHERE target_kind = ? AND target_id = ? AND liker = ?")
                .bind(target.kind())
                .bind(target.id())
                .bind(liker.key())
                .fetch_optional(&self.read)
                .await
                .map_err(db_error)?;
        Ok(found.is_some())
    }

    async fn likers(&self, target: LikeTarget, offset: i64, limit: i64) -> CoreResult<LikerPage> {
        let (user_total, anonymous): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(user_id), COUNT(*) - COUNT(user_id) FROM likes WHERE target_kind = ? AND target_id = ?",
        )
        .bind(target.kind())
        .bind(target.id())
        .fetch_one(&self.read)
        .await
        .map_err(db_error)?;
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.avatar, l.created_at FROM likes l
             JOIN users u ON u.id = l.user_id
             WHERE l.target_kind = ? AND l.target_id = ? AND l.user_id IS NOT NULL
             ORDER BY l.id DESC LIMIT ? OFFSET ?",
        )
        .bind(target.kind())
        .bind(target.id())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        let users = rows
            .iter()
            .map(|row| {
                Ok(UserLike {
                    user: UserSummary {
                        id: row.try_get("id")?,
                        username: row.try_get("username")?,
                        display_name: row.try_get("display_name")?,
                        avatar: row.try_get("avatar")?,
                    },
                    liked_at: from_millis(row.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_error)?;
        Ok(LikerPage { users, user_total, anonymous })
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::likes::{LikeRepository, LikeTarget, Liker};
    use inkstone_core::ports::ContentRepository;

    use crate::comments::tests::user_and_item;
    use crate::testing::{at, store};

    #[tokio::test]
    async fn likes_are_unique_per_liker_and_counted_in_the_same_transaction() {
        let (_dir, store) = store().await;
        let (user, item) = user_and_item(&store).await;
        let target = LikeTarget::Item(item);
        let visitor = Liker::Anonymous("v:abc".into());
        assert_eq!(store.add_like(target, &Liker::User(user), at(1)).await.unwrap(), Some((true, 1)));
        assert_eq!(store.add_like(target, &Liker::User(user), at(2)).await.unwrap(), Some((false, 1)));
        assert_eq!(store.add_like(target, &visitor, at(3)).await.unwrap(), Some((true, 2)));
        let page = store.likers(target, 0, 10).await.unwrap();
        assert_eq!((page.user_total, page.anonymous, page.users.len()), (1, 1, 1));
        assert_eq!(page.users[0].user.id, user);
        assert_eq!(store.remove_like(target, &visitor).await.unwrap(), Some((true, 1)));
        assert_eq!(store.remove_like(target, &visitor).await.unwrap(), Some((false, 1)));
        assert_eq!(store.item_by_id(item).await.unwrap().unwrap().like_count, 1);
        assert_eq!(store.add_like(LikeTarget::Note(404), &visitor, at(4)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn like_entries_list_users_and_guests_with_their_chosen_names() {
        use inkstone_core::likes::LikerProfile;
        let (_dir, store) = store().await;
        let (user, item) = user_and_item(&store).await;
        let target = LikeTarget::Item(item);
        let guest =
            LikerProfile { name: Some("snowsun".into()), avatar: Some("https://a.example/x.png".into()) };
        let (added, count, id) = store
            .add_like_with_profile(target, &Liker::Anonymous("v:g".into()), at(1), &guest)
            .await
            .unwrap()
            .unwrap();
        assert!(added && count == 1 && id.is_some());
        let again = store
            .add_like_with_profile(target, &Liker::Anonymous("v:g".into()), at(2), &guest)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, (false, 1, None));
        store.add_like(target, &Liker::User(user), at(3)).await.unwrap();
        let (entries, total) = store.like_entries(target, 0, 10).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(entries[0].user.as_ref().map(|u| u.id), Some(user), "newest first");
        assert_eq!(entries[0].name, None);
        assert_eq!(entries[1].name.as_deref(), Some("snowsun"));
        assert_eq!(entries[1].avatar.as_deref(), Some("https://a.example/x.png"));
        assert_eq!(Some(entries[1].id), id);
    }

    #[tokio::test]
    async fn concurrent_likes_leave_an_exact_count() {
        let (_dir, store) = store().await;
        let (_, item) = user_and_item(&store).await;
        let mut tasks = Vec::new();
        for n in 0..40 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                // Every liker twice: the second is a no-op.
                let liker = Liker::Anonymous(format!("v:{}", n % 20));
                store.add_like(LikeTarget::Item(item), &liker, at(n)).await.unwrap()
            }));
        }
        let mut added = 0;
        for task in tasks {
            if task.await.unwrap().unwrap().0 {
                added += 1;
            }
        }
        assert_eq!(added, 20);
        assert_eq!(store.item_by_id(item).await.unwrap().unwrap().like_count, 20);
    }
}
