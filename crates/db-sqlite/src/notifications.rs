//! Notifications per recipient.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::CoreResult;
use inkstone_core::notifications::{
    NewNotification, Notification, NotificationQuery, NotificationRepository,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, db_error, from_millis, to_millis};

const COLUMNS: &str = "id, user_id, kind, title, body, link, subject_id, data, read_at, created_at";

fn notification_from_row(row: &SqliteRow) -> Result<Notification, sqlx::Error> {
    let data: String = row.try_get("data")?;
    Ok(Notification {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        subject_id: row.try_get("subject_id")?,
        data: serde_json::from_str(&data).unwrap_or_else(|_| serde_json::json!({})),
        read_at: row.try_get::<Option<i64>, _>("read_at")?.map(from_millis),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

#[async_trait]
impl NotificationRepository for SqliteStore {
    async fn insert_notification(
        &self,
        user_id: i64,
        notification: NewNotification,
    ) -> CoreResult<Notification> {
        let row = sqlx::query(&format!(
            "INSERT INTO notifications (user_id, kind, title, body, link, subject_id, data, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(user_id)
        .bind(&notification.kind)
        .bind(&notification.title)
        .bind(&notification.body)
        .bind(&notification.link)
        .bind(notification.subject_id)
        .bind(notification.data.to_string())
        .bind(to_millis(notification.created_at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        notification_from_row(&row).map_err(db_error)
    }

    async fn insert_notification_for_admins(&self, notification: NewNotification) -> CoreResult<u64> {
        let done = sqlx::query(
            "INSERT INTO notifications (user_id, kind, title, body, link, subject_id, data, created_at)
             SELECT id, ?, ?, ?, ?, ?, ?, ? FROM users WHERE role = 'admin' AND status = 'active'",
        )
        .bind(&notification.kind)
        .bind(&notification.title)
        .bind(&notification.body)
        .bind(&notification.link)
        .bind(notification.subject_id)
        .bind(notification.data.to_string())
        .bind(to_millis(notification.created_at))
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn list_notifications(
        &self,
        query: &NotificationQuery,
    ) -> CoreResult<(Vec<Notification>, i64, i64)> {
        // Both counts from one snapshot.
        let (all, unread): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(read_at IS NULL), 0) FROM notifications WHERE user_id = ?",
        )
        .bind(query.user_id)
        .fetch_one(&self.read)
        .await
        .map_err(db_error)?;
        let total = if query.unread_only { unread } else { all };
        if total == 0 || query.offset >= total {
            return Ok((Vec::new(), total, unread));
        }
        let filter = if query.unread_only { " AND read_at IS NULL" } else { "" };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = ?{filter} ORDER BY id DESC LIMIT ? OFFSET ?"
        ))
        .bind(query.user_id)
        .bind(query.limit)
        .bind(query.offset)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        let items = rows.iter().map(notification_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((items, total, unread))
    }

    async fn notification(&self, user_id: i64, id: i64) -> CoreResult<Option<Notification>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM notifications WHERE id = ? AND user_id = ?"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(notification_from_row).transpose().map_err(db_error)
    }

    async fn set_notification_read(
        &self,
        user_id: i64,
        id: i64,
        read_at: Option<DateTime<Utc>>,
    ) -> CoreResult<Option<Notification>> {
        let row = sqlx::query(&format!(
            "UPDATE notifications SET read_at = CASE WHEN ?1 IS NULL THEN NULL ELSE COALESCE(read_at, ?1) END
             WHERE id = ?2 AND user_id = ?3 RETURNING {COLUMNS}"
        ))
        .bind(read_at.map(to_millis))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.write)
        .await
        .map_err(db_error)?;
        row.as_ref().map(notification_from_row).transpose().map_err(db_error)
    }

    async fn mark_all_notifications_read(&self, user_id: i64, at: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL")
            .bind(to_millis(at))
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn delete_notification(&self, user_id: i64, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM notifications WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_read_notifications(&self, user_id: i64) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM notifications WHERE user_id = ? AND read_at IS NOT NULL")
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::model::{Role, UserStatus};
    use inkstone_core::notifications::{NewNotification, NotificationQuery, NotificationRepository};
    use inkstone_core::ports::{NewUser, UserPatch, UserRepository};
    use serde_json::json;

    use crate::SqliteStore;
    use crate::testing::{at, store};

    async fn user(store: &SqliteStore, name: &str, role: Role) -> i64 {
        let user = NewUser {
            username: name.into(),
            email: format!("{name}@example.com"),
            display_name: name.into(),
            role,
            status: UserStatus::Active,
            password_hash: "x".into(),
            created_at: at(0),
        };
        store.insert_user(user).await.unwrap().id
    }

    fn note(title: &str, secs: i64) -> NewNotification {
        NewNotification {
            kind: "api".into(),
            title: title.into(),
            body: "body".into(),
            link: None,
            subject_id: Some(3),
            data: json!({"k": 1}),
            created_at: at(secs),
        }
    }

    fn page(user_id: i64, unread_only: bool) -> NotificationQuery {
        NotificationQuery { user_id, unread_only, offset: 0, limit: 10 }
    }

    #[tokio::test]
    async fn admins_each_get_a_copy_and_only_active_admins() {
        let (_dir, store) = store().await;
        let first = user(&store, "root", Role::Admin).await;
        let second = user(&store, "boss", Role::Admin).await;
        let gone = user(&store, "former", Role::Admin).await;
        let editor = user(&store, "ed", Role::Editor).await;
        let disabled = UserPatch { status: Some(UserStatus::Disabled), ..UserPatch::default() };
        store.update_user(gone, disabled).await.unwrap();
        assert_eq!(store.insert_notification_for_admins(note("hi", 1)).await.unwrap(), 2);
        for (id, expected) in [(first, 1), (second, 1), (gone, 0), (editor, 0)] {
            assert_eq!(store.list_notifications(&page(id, false)).await.unwrap().1, expected);
        }
        let (items, _, unread) = store.list_notifications(&page(first, false)).await.unwrap();
        assert_eq!(unread, 1);
        assert_eq!(items[0].data, json!({"k": 1}));
        assert_eq!(items[0].subject_id, Some(3));
    }

    #[tokio::test]
    async fn read_state_counts_and_deletion_stay_with_the_recipient() {
        let (_dir, store) = store().await;
        let alice = user(&store, "alice", Role::Author).await;
        let bob = user(&store, "bob", Role::Author).await;
        let one = store.insert_notification(alice, note("one", 1)).await.unwrap();
        let two = store.insert_notification(alice, note("two", 2)).await.unwrap();
        store.insert_notification(alice, note("three", 3)).await.unwrap();
        let bobs = store.insert_notification(bob, note("bob's", 4)).await.unwrap();

        // Newest first.
        let (items, total, unread) = store.list_notifications(&page(alice, false)).await.unwrap();
        assert_eq!(
            (items.iter().map(|n| n.title.as_str()).collect::<Vec<_>>(), total, unread),
            (vec!["three", "two", "one"], 3, 3)
        );

        // Bob cannot touch Alice's, nor she his.
        assert_eq!(store.set_notification_read(bob, one.id, Some(at(9))).await.unwrap(), None);
        assert!(!store.delete_notification(alice, bobs.id).await.unwrap());
        assert_eq!(store.notification(alice, bobs.id).await.unwrap(), None);

        let read = store.set_notification_read(alice, one.id, Some(at(10))).await.unwrap().unwrap();
        assert_eq!(read.read_at, Some(at(10)));
        let again = store.set_notification_read(alice, one.id, Some(at(20))).await.unwrap().unwrap();
        assert_eq!(again.read_at, Some(at(10)), "the first reading time stays");
        let (items, total, unread) = store.list_notifications(&page(alice, true)).await.unwrap();
        assert_eq!((items.len(), total, unread), (2, 2, 2));
        let unread_again = store.set_notification_read(alice, one.id, None).await.unwrap().unwrap();
        assert_eq!(unread_again.read_at, None);

        assert_eq!(store.mark_all_notifications_read(alice, at(30)).await.unwrap(), 3);
        assert_eq!(store.list_notifications(&page(alice, false)).await.unwrap().2, 0);
        assert_eq!(store.list_notifications(&page(bob, false)).await.unwrap().2, 1, "bob's stay unread");
        store.set_notification_read(alice, two.id, None).await.unwrap();
        assert_eq!(store.delete_read_notifications(alice).await.unwrap(), 2);
        let (items, total, unread) = store.list_notifications(&page(alice, false)).await.unwrap();
        assert_eq!((items[0].id, total, unread), (two.id, 1, 1));
        assert!(store.delete_notification(alice, two.id).await.unwrap());
        assert_eq!(store.list_notifications(&page(bob, false)).await.unwrap().1, 1);
    }
}
