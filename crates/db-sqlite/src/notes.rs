//! Notes and their tags.

use async_trait::async_trait;
use inkstone_core::model::{Origin, UserSummary};
use inkstone_core::notes::{Note, NoteQuery, NoteRepository, NoteVisibility, NoteWrite};
use inkstone_core::{CoreError, CoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::{SqliteStore, db_error, from_millis, to_millis};

/// A note row with its author and its tags as a JSON array, in order.
const NOTE_SELECT: &str = "SELECT n.*, u.username AS author_username, u.display_name AS author_display_name,
    u.avatar AS author_avatar,
    (SELECT json_group_array(t.tag ORDER BY t.position) FROM note_tags t WHERE t.note_id = n.id) AS tags_json
    FROM notes n JOIN users u ON u.id = n.author_id";

fn note_from_row(row: &SqliteRow) -> Result<Note, sqlx::Error> {
    let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
    let origin: String = row.try_get("origin")?;
    let tags: Option<String> = row.try_get("tags_json")?;
    let values: String = row.try_get("values_json")?;
    Ok(Note {
        id: row.try_get("id")?,
        author: UserSummary {
            id: row.try_get("author_id")?,
            username: row.try_get("author_username")?,
            display_name: row.try_get("author_display_name")?,
            avatar: row.try_get("author_avatar")?,
        },
        body: row.try_get("body")?,
        html: row.try_get("html")?,
        tags: match tags {
            Some(text) => serde_json::from_str(&text).map_err(decode)?,
            None => Vec::new(),
        },
        private: row.try_get("private")?,
        values: serde_json::from_str(&values).map_err(decode)?,
        like_count: row.try_get("like_count")?,
        origin: Origin::parse(&origin).unwrap_or(Origin::Console),
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

async fn note_in(conn: &mut SqliteConnection, id: i64) -> CoreResult<Option<Note>> {
    let sql = format!("{NOTE_SELECT} WHERE n.id = ?");
    let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await.map_err(db_error)?;
    row.as_ref().map(note_from_row).transpose().map_err(db_error)
}

async fn write_tags(conn: &mut SqliteConnection, id: i64, tags: &[String]) -> CoreResult<()> {
    sqlx::query("DELETE FROM note_tags WHERE note_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    for (position, tag) in tags.iter().enumerate() {
        sqlx::query("INSERT OR IGNORE INTO note_tags (note_id, tag, position) VALUES (?, ?, ?)")
            .bind(id)
            .bind(tag)
            .bind(position as i64)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

fn values_json(note: &NoteWrite) -> CoreResult<String> {
    serde_json::to_string(&note.values).map_err(CoreError::internal)
}

fn push_where(builder: &mut QueryBuilder<'_, Sqlite>, query: &NoteQuery) {
    builder.push(" WHERE 1 = 1");
    match query.visibility {
        NoteVisibility::All => {}
        NoteVisibility::Public => {
            builder.push(" AND n.private = 0");
        }
        NoteVisibility::PublicAndOwn(user_id) => {
            builder.push(" AND (n.private = 0 OR n.author_id = ").push_bind(user_id).push(")");
        }
    }
    if let Some(author_id) = query.author_id {
        builder.push(" AND n.author_id = ").push_bind(author_id);
    }
    if let Some(tag) = &query.tag {
        builder
            .push(" AND n.id IN (SELECT note_id FROM note_tags WHERE tag = ")
            .push_bind(tag.clone())
            .push(")");
    }
}

#[async_trait]
impl NoteRepository for SqliteStore {
    async fn insert_note(&self, note: NoteWrite) -> CoreResult<Note> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notes (author_id, private, origin, created_at, updated_at, values_json, body, html)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(note.author_id)
        .bind(note.private)
        .bind(note.origin.as_str())
        .bind(to_millis(note.created_at))
        .bind(to_millis(note.updated_at))
        .bind(values_json(&note)?)
        .bind(&note.body)
        .bind(&note.html)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        write_tags(&mut tx, id, &note.tags).await?;
        let stored =
            note_in(&mut tx, id).await?.ok_or_else(|| CoreError::internal("inserted note vanished"))?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(stored)
    }

    async fn update_note(&self, id: i64, note: NoteWrite) -> CoreResult<Option<Note>> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE notes SET private = ?, updated_at = ?, values_json = ?, body = ?, html = ? WHERE id = ?",
        )
        .bind(note.private)
        .bind(to_millis(note.updated_at))
        .bind(values_json(&note)?)
        .bind(&note.body)
        .bind(&note.html)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        write_tags(&mut tx, id, &note.tags).await?;
        let stored = note_in(&mut tx, id).await?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(stored)
    }

    async fn note_by_id(&self, id: i64) -> CoreResult<Option<Note>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        note_in(&mut conn, id).await
    }

    async fn list_notes(&self, query: &NoteQuery) -> CoreResult<(Vec<Note>, i64)> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM notes n");
        push_where(&mut count, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?;
        if total == 0 || query.offset >= total {
            return Ok((Vec::new(), total));
        }
        let mut page = QueryBuilder::<Sqlite>::new(NOTE_SELECT);
        push_where(&mut page, query);
        page.push(" ORDER BY n.created_at DESC, n.id DESC LIMIT ")
            .push_bind(query.limit)
            .push(" OFFSET ")
            .push_bind(query.offset);
        let rows = page.build().fetch_all(&self.read).await.map_err(db_error)?;
        let notes = rows.iter().map(note_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((notes, total))
    }

    async fn delete_note(&self, id: i64) -> CoreResult<bool> {
        // Tags cascade; likes go by the trigger `notes_delete_likes`.
        let done = sqlx::query("DELETE FROM notes WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::likes::{LikeRepository, LikeTarget, Liker};
    use inkstone_core::model::Origin;
    use inkstone_core::notes::{NoteQuery, NoteRepository, NoteVisibility, NoteWrite};

    use crate::comments::tests::user_and_item;
    use crate::testing::{at, store};

    fn write(author_id: i64, tags: &[&str], private: bool) -> NoteWrite {
        NoteWrite {
            author_id,
            body: "note".into(),
            html: "<p>note</p>".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            private,
            values: serde_json::json!({"mood": "good"}).as_object().unwrap().clone(),
            origin: Origin::Api,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    #[tokio::test]
    async fn notes_keep_tags_values_and_go_with_their_likes() {
        let (_dir, store) = store().await;
        let (user, _) = user_and_item(&store).await;
        let note = store.insert_note(write(user, &["Rust", "日常"], false)).await.unwrap();
        assert_eq!(note.tags, vec!["Rust", "日常"]);
        assert_eq!(note.values["mood"], "good");
        assert_eq!(note.origin, Origin::Api);
        store.insert_note(write(user, &["rust"], true)).await.unwrap();
        let query = |visibility, tag: Option<&str>| NoteQuery {
            visibility,
            tag: tag.map(str::to_string),
            author_id: None,
            offset: 0,
            limit: 10,
        };
        assert_eq!(store.list_notes(&query(NoteVisibility::Public, Some("RUST"))).await.unwrap().1, 1);
        assert_eq!(store.list_notes(&query(NoteVisibility::All, Some("rust"))).await.unwrap().1, 2);
        assert_eq!(store.list_notes(&query(NoteVisibility::PublicAndOwn(user), None)).await.unwrap().1, 2);

        let updated = store.update_note(note.id, write(user, &["x"], true)).await.unwrap().unwrap();
        assert_eq!((updated.tags.clone(), updated.private), (vec!["x".to_string()], true));
        let liker = Liker::User(user);
        assert_eq!(store.add_like(LikeTarget::Note(note.id), &liker, at(2)).await.unwrap(), Some((true, 1)));
        assert!(store.delete_note(note.id).await.unwrap());
        assert!(!store.has_like(LikeTarget::Note(note.id), &liker).await.unwrap());
        assert!(store.update_note(note.id, write(user, &[], false)).await.unwrap().is_none());
    }
}
