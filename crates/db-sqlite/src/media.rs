//! Media records and groups.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::media::{
    Blob, DeletedMedia, InsertedMedia, Media, MediaGroup, MediaPatch, MediaQuery, MediaRepository, NewMedia,
    Thumbnail,
};
use inkstone_core::model::Origin;
use inkstone_core::{CoreError, CoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, db_error, from_millis, to_millis};

const BLOB_COLUMNS: &str = "b.id AS blob_id, b.sha256, b.storage_key, b.mime, b.size, b.width, b.height, \
    b.thumb_key, b.thumb_mime, b.thumb_size, b.thumb_width, b.thumb_height, b.created_at AS blob_created_at";

fn media_select() -> String {
    format!(
        "SELECT m.id, m.original_name, m.group_id, m.origin, m.uploader_id, m.created_at, m.updated_at, \
         {BLOB_COLUMNS} FROM media m JOIN media_blobs b ON b.id = m.blob_id"
    )
}

fn blob_from_row(row: &SqliteRow) -> Result<Blob, sqlx::Error> {
    let thumb_key: Option<String> = row.try_get("thumb_key")?;
    let thumbnail = match thumb_key {
        Some(key) => Some(Thumbnail {
            key,
            mime: row.try_get::<Option<String>, _>("thumb_mime")?.unwrap_or_default(),
            size: row.try_get::<Option<i64>, _>("thumb_size")?.unwrap_or_default(),
            width: row.try_get::<Option<i64>, _>("thumb_width")?.unwrap_or_default(),
            height: row.try_get::<Option<i64>, _>("thumb_height")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Blob {
        id: row.try_get("blob_id")?,
        sha256: row.try_get("sha256")?,
        key: row.try_get("storage_key")?,
        mime: row.try_get("mime")?,
        size: row.try_get("size")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        thumbnail,
        created_at: from_millis(row.try_get("blob_created_at")?),
    })
}

fn media_from_row(row: &SqliteRow) -> Result<Media, sqlx::Error> {
    let origin: String = row.try_get("origin")?;
    Ok(Media {
        id: row.try_get("id")?,
        original_name: row.try_get("original_name")?,
        group_id: row.try_get("group_id")?,
        origin: Origin::parse(&origin).unwrap_or(Origin::Console),
        uploader_id: row.try_get("uploader_id")?,
        blob: blob_from_row(row)?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

const GROUP_SELECT: &str = "SELECT g.id, g.name, g.created_at, g.updated_at, \
    (SELECT COUNT(*) FROM media m WHERE m.group_id = g.id) AS media_count FROM media_groups g";

fn group_from_row(row: &SqliteRow) -> Result<MediaGroup, sqlx::Error> {
    Ok(MediaGroup {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        media_count: row.try_get("media_count")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn unknown_group() -> CoreError {
    CoreError::not_found()
        .with_field("group_id")
        .with_detail("no media group has this id", "没有这个媒体分组")
}

fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

impl SqliteStore {
    async fn media_row(&self, id: i64) -> CoreResult<Option<Media>> {
        let row = sqlx::query(&format!("{} WHERE m.id = ?", media_select()))
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_error)?;
        row.as_ref().map(media_from_row).transpose().map_err(db_error)
    }
}

#[async_trait]
impl MediaRepository for SqliteStore {
    async fn insert_media(&self, new: NewMedia) -> CoreResult<InsertedMedia> {
        let blob = &new.blob;
        let at = to_millis(new.created_at);
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM media_blobs WHERE sha256 = ?")
            .bind(&blob.sha256)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let (blob_id, blob_reused) = match existing {
            Some(id) => (id, true),
            None => {
                let thumb = blob.thumbnail.as_ref();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO media_blobs (sha256, storage_key, mime, size, width, height, thumb_key, \
                     thumb_mime, thumb_size, thumb_width, thumb_height, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(&blob.sha256)
                .bind(&blob.key)
                .bind(&blob.mime)
                .bind(blob.size)
                .bind(blob.width)
                .bind(blob.height)
                .bind(thumb.map(|t| &t.key))
                .bind(thumb.map(|t| &t.mime))
                .bind(thumb.map(|t| t.size))
                .bind(thumb.map(|t| t.width))
                .bind(thumb.map(|t| t.height))
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                (id, false)
            }
        };
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO media (blob_id, original_name, group_id, origin, uploader_id, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(blob_id)
        .bind(&new.original_name)
        .bind(new.group_id)
        .bind(new.origin.as_str())
        .bind(new.uploader_id)
        .bind(at)
        .bind(at)
        .fetch_one(&mut *tx)
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(err) if is_foreign_key_violation(&err) && new.group_id.is_some() => {
                return Err(unknown_group());
            }
            Err(err) => return Err(db_error(err)),
        };
        tx.commit().await.map_err(db_error)?;
        self.changed();
        let media =
            self.media_row(id).await?.ok_or_else(|| CoreError::internal("inserted media vanished"))?;
        Ok(InsertedMedia { media, blob_reused })
    }

    async fn media_by_id(&self, id: i64) -> CoreResult<Option<Media>> {
        let row = sqlx::query(&format!("{} WHERE m.id = ?", media_select()))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(media_from_row).transpose().map_err(db_error)
    }

    async fn blob_by_sha256(&self, sha256: &str) -> CoreResult<Option<Blob>> {
        let row = sqlx::query(&format!("SELECT {BLOB_COLUMNS} FROM media_blobs b WHERE b.sha256 = ?"))
            .bind(sha256)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(blob_from_row).transpose().map_err(db_error)
    }

    async fn blob_by_key(&self, key: &str) -> CoreResult<Option<Blob>> {
        let row = sqlx::query(&format!(
            "SELECT {BLOB_COLUMNS} FROM media_blobs b WHERE b.storage_key = ?1 OR b.thumb_key = ?1"
        ))
        .bind(key)
        .fetch_optional(&self.read)
        .await
        .map_err(db_error)?;
        row.as_ref().map(blob_from_row).transpose().map_err(db_error)
    }

    async fn list_media(&self, query: &MediaQuery) -> CoreResult<(Vec<Media>, i64)> {
        let filter = "WHERE (?1 IS NULL OR m.group_id = ?1) AND (?2 IS NULL OR substr(b.mime, 1, length(?2)) = ?2) \
             AND (?3 IS NULL OR m.uploader_id = ?3)";
        let rows = sqlx::query(&format!("{} {filter} ORDER BY m.id DESC LIMIT ?4 OFFSET ?5", media_select()))
            .bind(query.group_id)
            .bind(&query.mime_prefix)
            .bind(query.uploader_id)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM media m JOIN media_blobs b ON b.id = m.blob_id {filter}"
        ))
        .bind(query.group_id)
        .bind(&query.mime_prefix)
        .bind(query.uploader_id)
        .fetch_one(&self.read)
        .await
        .map_err(db_error)?;
        let items = rows.iter().map(media_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((items, total))
    }

    async fn update_media(
        &self,
        id: i64,
        patch: &MediaPatch,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<Media>> {
        let (set_group, group_id) = match patch.group_id {
            Some(group) => (1, group),
            None => (0, None),
        };
        let result = sqlx::query(
            "UPDATE media SET original_name = COALESCE(?1, original_name), \
             group_id = CASE WHEN ?2 = 1 THEN ?3 ELSE group_id END, updated_at = ?4 WHERE id = ?5",
        )
        .bind(&patch.original_name)
        .bind(set_group)
        .bind(group_id)
        .bind(to_millis(at))
        .bind(id)
        .execute(&self.write)
        .await;
        match result {
            Ok(done) if done.rows_affected() == 0 => return Ok(None),
            Ok(_) => {}
            Err(err) if is_foreign_key_violation(&err) => return Err(unknown_group()),
            Err(err) => return Err(db_error(err)),
        }
        self.changed();
        self.media_row(id).await
    }

    async fn delete_media(&self, id: i64) -> CoreResult<Option<DeletedMedia>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!("{} WHERE m.id = ?", media_select()))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let Some(media) = row.as_ref().map(media_from_row).transpose().map_err(db_error)? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM media WHERE id = ?").bind(id).execute(&mut *tx).await.map_err(db_error)?;
        let orphan = sqlx::query(
            "DELETE FROM media_blobs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM media WHERE blob_id = ?1) \
             RETURNING storage_key, thumb_key",
        )
        .bind(media.blob.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        let mut orphaned_keys = Vec::new();
        if let Some(row) = orphan {
            orphaned_keys.push(row.try_get::<String, _>("storage_key").map_err(db_error)?);
            if let Some(thumb) = row.try_get::<Option<String>, _>("thumb_key").map_err(db_error)? {
                orphaned_keys.push(thumb);
            }
        }
        Ok(Some(DeletedMedia { media, orphaned_keys }))
    }

    async fn insert_media_group(&self, name: &str, at: DateTime<Utc>) -> CoreResult<MediaGroup> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media_groups (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(to_millis(at))
        .bind(to_millis(at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        self.changed();
        self.media_group_by_id(id).await?.ok_or_else(|| CoreError::internal("inserted group vanished"))
    }

    async fn media_groups(&self) -> CoreResult<Vec<MediaGroup>> {
        let rows = sqlx::query(&format!("{GROUP_SELECT} ORDER BY g.name COLLATE NOCASE"))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(group_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn media_group_by_id(&self, id: i64) -> CoreResult<Option<MediaGroup>> {
        let row = sqlx::query(&format!("{GROUP_SELECT} WHERE g.id = ?"))
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_error)?;
        row.as_ref().map(group_from_row).transpose().map_err(db_error)
    }

    async fn rename_media_group(
        &self,
        id: i64,
        name: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<MediaGroup>> {
        let done = sqlx::query("UPDATE media_groups SET name = ?, updated_at = ? WHERE id = ?")
            .bind(name)
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.changed();
        self.media_group_by_id(id).await
    }

    async fn delete_media_group(&self, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM media_groups WHERE id = ?")
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
    use inkstone_core::media::{MediaRepository, NewMedia, StoredBlob};
    use inkstone_core::model::{Origin, Role, UserStatus};
    use inkstone_core::ports::{NewUser, UserRepository};

    use crate::testing::{at, store};

    fn blob(sha: &str, key: &str) -> StoredBlob {
        StoredBlob {
            sha256: sha.into(),
            key: key.into(),
            mime: "image/png".into(),
            size: 10,
            width: Some(2),
            height: Some(3),
            thumbnail: None,
        }
    }

    #[tokio::test]
    async fn media_share_a_blob_until_the_last_goes() {
        let (_dir, store) = store().await;
        let user = store
            .insert_user(NewUser {
                username: "u".into(),
                email: "u@example.com".into(),
                display_name: "U".into(),
                role: Role::Author,
                status: UserStatus::Active,
                password_hash: "x".into(),
                created_at: at(0),
            })
            .await
            .unwrap();
        let new = |key: &str| NewMedia {
            blob: blob("aa", key),
            original_name: "a.png".into(),
            group_id: None,
            origin: Origin::Console,
            uploader_id: user.id,
            created_at: at(1),
        };
        let first = store.insert_media(new("k1")).await.unwrap();
        let second = store.insert_media(new("k2")).await.unwrap();
        assert!(!first.blob_reused);
        assert!(second.blob_reused);
        assert_eq!(second.media.blob.key, "k1", "the second upload points at the first blob");
        let gone = store.delete_media(first.media.id).await.unwrap().unwrap();
        assert!(gone.orphaned_keys.is_empty());
        let gone = store.delete_media(second.media.id).await.unwrap().unwrap();
        assert_eq!(gone.orphaned_keys, vec!["k1".to_string()]);
        assert!(store.blob_by_sha256("aa").await.unwrap().is_none());
        let mut bad = new("k3");
        bad.group_id = Some(999);
        assert_eq!(store.insert_media(bad).await.unwrap_err().field.as_deref(), Some("group_id"));
        assert!(store.blob_by_sha256("aa").await.unwrap().is_none(), "nothing half-written");
    }
}
