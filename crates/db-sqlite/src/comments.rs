//! Comments and their per-item numbering and counts.

use async_trait::async_trait;
use inkstone_core::comments::{
    Comment, CommentInsert, CommentItem, CommentQuery, CommentRepository, CommentStatus, CommentUpdate,
    CommentVisibility,
};
use inkstone_core::model::{ItemKind, ItemStatus, Origin, UserSummary};
use inkstone_core::{CoreError, CoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::{SqliteStore, db_error, from_millis, to_millis};

/// A comment row with its item's facts and its user (when signed in).
const COMMENT_SELECT: &str =
    "SELECT c.*, i.kind AS item_kind, i.title AS item_title, i.status AS item_status,
    i.author_id AS item_author_id, i.origin AS item_origin,
    u.username AS user_username, u.display_name AS user_display_name, u.avatar AS user_avatar
    FROM comments c JOIN items i ON i.id = c.item_id LEFT JOIN users u ON u.id = c.user_id";

fn comment_from_row(row: &SqliteRow) -> Result<Comment, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let kind: String = row.try_get("item_kind")?;
    let item_status: String = row.try_get("item_status")?;
    let origin: String = row.try_get("item_origin")?;
    let user_id: Option<i64> = row.try_get("user_id")?;
    let username: Option<String> = row.try_get("user_username")?;
    let user = match (user_id, username) {
        (Some(id), Some(username)) => Some(UserSummary {
            id,
            username,
            display_name: row.try_get("user_display_name")?,
            avatar: row.try_get("user_avatar")?,
        }),
        _ => None,
    };
    Ok(Comment {
        id: row.try_get("id")?,
        item: CommentItem {
            id: row.try_get("item_id")?,
            kind: ItemKind::parse(&kind).unwrap_or(ItemKind::Post),
            title: row.try_get("item_title")?,
            status: ItemStatus::parse(&item_status).unwrap_or(ItemStatus::Draft),
            author_id: row.try_get("item_author_id")?,
            origin: Origin::parse(&origin).unwrap_or(Origin::Console),
        },
        parent_id: row.try_get("parent_id")?,
        number: row.try_get("number")?,
        // The CHECK constraint allows nothing else; a stray value hides the comment.
        status: CommentStatus::parse(&status).unwrap_or(CommentStatus::Hidden),
        user,
        author_name: row.try_get("author_name")?,
        author_email: row.try_get("author_email")?,
        author_url: row.try_get("author_url")?,
        author_avatar: row.try_get("author_avatar")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        like_count: row.try_get("like_count")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        edited_at: row.try_get::<Option<i64>, _>("edited_at")?.map(from_millis),
        hidden_at: row.try_get::<Option<i64>, _>("hidden_at")?.map(from_millis),
        body: row.try_get("body")?,
        html: row.try_get("html")?,
    })
}

async fn comment_in(conn: &mut SqliteConnection, id: i64) -> CoreResult<Option<Comment>> {
    let sql = format!("{COMMENT_SELECT} WHERE c.id = ?");
    let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await.map_err(db_error)?;
    row.as_ref().map(comment_from_row).transpose().map_err(db_error)
}

fn approved(status: &str) -> i64 {
    i64::from(status == CommentStatus::Approved.as_str())
}

fn push_where(builder: &mut QueryBuilder<'_, Sqlite>, query: &CommentQuery) {
    builder.push(" WHERE 1 = 1");
    if let Some(item_id) = query.item_id {
        builder.push(" AND c.item_id = ").push_bind(item_id);
    }
    if let Some(author_id) = query.items_by {
        builder
            .push(" AND c.item_id IN (SELECT id FROM items WHERE author_id = ")
            .push_bind(author_id)
            .push(")");
    }
    if let Some(status) = query.status {
        builder.push(" AND c.status = ").push_bind(status.as_str());
    }
    match query.visibility {
        CommentVisibility::All => {}
        CommentVisibility::Approved => {
            builder.push(" AND c.status = 'approved'");
        }
        CommentVisibility::ApprovedAndPendingBy(user_id) => {
            builder
                .push(" AND (c.status = 'approved' OR (c.status = 'pending' AND c.user_id = ")
                .push_bind(user_id)
                .push("))");
        }
    }
}

#[async_trait]
impl CommentRepository for SqliteStore {
    async fn insert_comment(&self, comment: CommentInsert) -> CoreResult<Comment> {
        let mut tx = self.begin_write().await?;
        let number: Option<i64> = sqlx::query_scalar(
            "UPDATE items SET comment_seq = comment_seq + 1 WHERE id = ? RETURNING comment_seq",
        )
        .bind(comment.item_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(number) = number else { return Err(CoreError::not_found()) };
        if let Some(parent_id) = comment.parent_id {
            let parent_item: Option<i64> = sqlx::query_scalar("SELECT item_id FROM comments WHERE id = ?")
                .bind(parent_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
            if parent_item != Some(comment.item_id) {
                return Err(CoreError::invalid(
                    "parent_id",
                    "the parent comment is gone or on another item",
                    "被回复的评论不存在或属于其他内容",
                ));
            }
        }
        let at = to_millis(comment.created_at);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (item_id, parent_id, number, status, user_id, created_at, updated_at,
                author_name, author_email, author_url, author_avatar, ip, user_agent, body, html)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(comment.item_id)
        .bind(comment.parent_id)
        .bind(number)
        .bind(comment.status.as_str())
        .bind(comment.user_id)
        .bind(at)
        .bind(at)
        .bind(&comment.author_name)
        .bind(&comment.author_email)
        .bind(&comment.author_url)
        .bind(&comment.author_avatar)
        .bind(&comment.ip)
        .bind(&comment.user_agent)
        .bind(&comment.body)
        .bind(&comment.html)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        if comment.status == CommentStatus::Approved {
            sqlx::query("UPDATE items SET comment_count = comment_count + 1 WHERE id = ?")
                .bind(comment.item_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        let stored =
            comment_in(&mut tx, id).await?.ok_or_else(|| CoreError::internal("inserted comment vanished"))?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(stored)
    }

    async fn comment_by_id(&self, id: i64) -> CoreResult<Option<Comment>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        comment_in(&mut conn, id).await
    }

    async fn list_comments(&self, query: &CommentQuery) -> CoreResult<(Vec<Comment>, i64)> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM comments c");
        push_where(&mut count, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?;
        if total == 0 || query.offset >= total {
            return Ok((Vec::new(), total));
        }
        let mut page = QueryBuilder::<Sqlite>::new(COMMENT_SELECT);
        push_where(&mut page, query);
        page.push(if query.newest_first {
            " ORDER BY c.created_at DESC, c.id DESC"
        } else {
            " ORDER BY c.item_id, c.number"
        });
        page.push(" LIMIT ").push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        let rows = page.build().fetch_all(&self.read).await.map_err(db_error)?;
        let comments = rows.iter().map(comment_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((comments, total))
    }

    async fn update_comment(&self, id: i64, update: CommentUpdate) -> CoreResult<Option<Comment>> {
        let mut tx = self.begin_write().await?;
        let current: Option<(i64, String)> =
            sqlx::query_as("SELECT item_id, status FROM comments WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
        let Some((item_id, old_status)) = current else { return Ok(None) };
        let at = to_millis(update.updated_at);
        if let Some((body, html, edited_at)) = &update.body {
            sqlx::query("UPDATE comments SET body = ?, html = ?, edited_at = ?, updated_at = ? WHERE id = ?")
                .bind(body)
                .bind(html)
                .bind(to_millis(*edited_at))
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        if let Some(status) = update.status {
            sqlx::query(
                "UPDATE comments SET status = ?1, updated_at = ?2,
                    hidden_at = CASE WHEN ?1 = 'hidden' THEN COALESCE(hidden_at, ?2) ELSE NULL END
                 WHERE id = ?3",
            )
            .bind(status.as_str())
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            let delta = approved(status.as_str()) - approved(&old_status);
            if delta != 0 {
                sqlx::query("UPDATE items SET comment_count = comment_count + ? WHERE id = ?")
                    .bind(delta)
                    .bind(item_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
        }
        let stored = comment_in(&mut tx, id).await?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(stored)
    }

    async fn delete_comment(&self, id: i64) -> CoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let gone: Option<(i64, String)> =
            sqlx::query_as("DELETE FROM comments WHERE id = ? RETURNING item_id, status")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
        let Some((item_id, status)) = gone else { return Ok(false) };
        if approved(&status) == 1 {
            sqlx::query("UPDATE items SET comment_count = comment_count - 1 WHERE id = ?")
                .bind(item_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        // The comment's likes go with it (trigger `comments_delete_likes`).
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(true)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use inkstone_core::comments::{CommentInsert, CommentRepository, CommentStatus, CommentUpdate};
    use inkstone_core::likes::{LikeRepository, LikeTarget, Liker};
    use inkstone_core::model::{BodyFormat, ItemKind, ItemStatus, Origin, Role, UserStatus};
    use inkstone_core::ports::{ContentRepository, ItemSave, NewRevision, NewUser, UserRepository};

    use crate::SqliteStore;
    use crate::testing::{at, store};

    pub(crate) async fn user_and_item(store: &SqliteStore) -> (i64, i64) {
        let user = store
            .insert_user(NewUser {
                username: "alice".into(),
                email: "alice@example.com".into(),
                display_name: "Alice".into(),
                role: Role::Author,
                status: UserStatus::Active,
                password_hash: "x".into(),
                created_at: at(0),
            })
            .await
            .unwrap();
        let item = store
            .save_item(ItemSave {
                id: None,
                expected_version: 0,
                kind: ItemKind::Post,
                title: "T".into(),
                slug: "t".into(),
                format: BodyFormat::Markdown,
                body: "b".into(),
                html: "<p>b</p>".into(),
                excerpt: "b".into(),
                excerpt_manual: None,
                cover: None,
                cover_text: None,
                status: ItemStatus::Published,
                status_before_trash: None,
                published_at: Some(at(0)),
                password: None,
                redirect_url: None,
                pinned: false,
                pinned_in_category: false,
                comments_allowed: true,
                template: None,
                author_id: user.id,
                origin: Origin::Console,
                category_ids: vec![],
                tags: vec![],
                custom_fields: vec![],
                import_key: None,
                created_at: at(0),
                updated_at: at(0),
                new_revision: Some(NewRevision {
                    title: "T".into(),
                    format: BodyFormat::Markdown,
                    body: "b".into(),
                    html: "<p>b</p>".into(),
                    author_id: user.id,
                    created_at: at(0),
                }),
                release_head: true,
                search: None,
            })
            .await
            .unwrap();
        (user.id, item)
    }

    fn insert(item_id: i64, status: CommentStatus, parent_id: Option<i64>) -> CommentInsert {
        CommentInsert {
            item_id,
            parent_id,
            status,
            user_id: None,
            author_name: "Guest".into(),
            author_email: Some("g@example.com".into()),
            author_url: None,
            author_avatar: None,
            ip: Some("192.0.2.1".into()),
            user_agent: None,
            body: "hi".into(),
            html: "<p>hi</p>".into(),
            created_at: at(1),
        }
    }

    async fn count(store: &SqliteStore, item: i64) -> i64 {
        store.item_by_id(item).await.unwrap().unwrap().comment_count
    }

    #[tokio::test]
    async fn counts_follow_approval_and_numbers_are_never_reused() {
        let (_dir, store) = store().await;
        let (_, item) = user_and_item(&store).await;
        let first = store.insert_comment(insert(item, CommentStatus::Approved, None)).await.unwrap();
        let second =
            store.insert_comment(insert(item, CommentStatus::Pending, Some(first.id))).await.unwrap();
        assert_eq!((first.number, second.number), (1, 2));
        assert_eq!(count(&store, item).await, 1, "only approved comments count");

        let approve = CommentUpdate { body: None, status: Some(CommentStatus::Approved), updated_at: at(2) };
        store.update_comment(second.id, approve).await.unwrap().unwrap();
        assert_eq!(count(&store, item).await, 2);
        let hide = CommentUpdate { body: None, status: Some(CommentStatus::Hidden), updated_at: at(3) };
        let hidden = store.update_comment(first.id, hide).await.unwrap().unwrap();
        assert_eq!(hidden.hidden_at, Some(at(3)));
        assert_eq!(count(&store, item).await, 1);
        let same = CommentUpdate { body: None, status: Some(CommentStatus::Approved), updated_at: at(4) };
        store.update_comment(second.id, same).await.unwrap();
        assert_eq!(count(&store, item).await, 1, "approving an approved comment changes nothing");

        assert!(store.delete_comment(second.id).await.unwrap());
        assert_eq!(count(&store, item).await, 0);
        assert!(!store.delete_comment(second.id).await.unwrap());
        let third = store.insert_comment(insert(item, CommentStatus::Approved, None)).await.unwrap();
        assert_eq!(third.number, 3, "number 2 is not handed out again");
        assert_eq!(count(&store, item).await, 1);
    }

    #[tokio::test]
    async fn a_reply_must_be_on_its_parents_item_and_deletes_keep_replies() {
        let (_dir, store) = store().await;
        let (_, item) = user_and_item(&store).await;
        let parent = store.insert_comment(insert(item, CommentStatus::Approved, None)).await.unwrap();
        let reply =
            store.insert_comment(insert(item, CommentStatus::Approved, Some(parent.id))).await.unwrap();
        let err = store.insert_comment(insert(item, CommentStatus::Approved, Some(9999))).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("parent_id"));
        assert_eq!(count(&store, item).await, 2, "the refused reply left no trace");
        let err = store.insert_comment(insert(9999, CommentStatus::Approved, None)).await.unwrap_err();
        assert_eq!(err.code, inkstone_core::ErrorCode::NotFound);

        store.add_like(LikeTarget::Comment(parent.id), &Liker::Anonymous("v:x".into()), at(2)).await.unwrap();
        assert!(store.delete_comment(parent.id).await.unwrap());
        let orphan = store.comment_by_id(reply.id).await.unwrap().unwrap();
        assert_eq!(orphan.parent_id, None);
        assert!(
            !store.has_like(LikeTarget::Comment(parent.id), &Liker::Anonymous("v:x".into())).await.unwrap()
        );
    }

    #[tokio::test]
    async fn deleting_an_item_takes_its_comments_and_all_their_likes() {
        let (_dir, store) = store().await;
        let (_, item) = user_and_item(&store).await;
        let comment = store.insert_comment(insert(item, CommentStatus::Approved, None)).await.unwrap();
        let liker = Liker::Anonymous("v:y".into());
        store.add_like(LikeTarget::Comment(comment.id), &liker, at(2)).await.unwrap();
        store.add_like(LikeTarget::Item(item), &liker, at(2)).await.unwrap();
        assert!(store.delete_item(item).await.unwrap());
        let left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM likes").fetch_one(&store.read).await.unwrap();
        assert_eq!(left, 0, "cascaded comment deletes fire the like cleanup too");
        assert!(store.comment_by_id(comment.id).await.unwrap().is_none());
    }
}
