//! Friend links.

use async_trait::async_trait;
use inkstone_core::links::{FriendLink, LinkQuery, LinkRecordPatch, LinkRepository, NewLinkRecord};
use inkstone_core::{CoreError, CoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{SqliteStore, contains_pattern, db_error, from_millis, to_millis};

const LINK_COLUMNS: &str =
    "id, name, url, image, description, visible, sort_order, applied, created_at, updated_at";

fn link_from_row(row: &SqliteRow) -> Result<FriendLink, sqlx::Error> {
    Ok(FriendLink {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        image: row.try_get("image")?,
        description: row.try_get("description")?,
        visible: row.try_get("visible")?,
        sort_order: row.try_get("sort_order")?,
        applied: row.try_get("applied")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn push_filters(builder: &mut QueryBuilder<'_, Sqlite>, query: &LinkQuery) {
    builder.push(" FROM friend_links WHERE 1 = 1");
    if let Some(visible) = query.visible {
        builder.push(" AND visible = ").push_bind(visible);
    }
    if let Some(applied) = query.applied {
        builder.push(" AND applied = ").push_bind(applied);
    }
    if let Some(search) = &query.search {
        // LIKE ignores ASCII case.
        let pattern = contains_pattern(search);
        builder.push(" AND (name LIKE ").push_bind(pattern.clone());
        builder.push(" ESCAPE '\\' OR url LIKE ").push_bind(pattern.clone());
        builder.push(" ESCAPE '\\' OR description LIKE ").push_bind(pattern);
        builder.push(" ESCAPE '\\')");
    }
}

#[async_trait]
impl LinkRepository for SqliteStore {
    async fn insert_link(&self, link: NewLinkRecord) -> CoreResult<FriendLink> {
        let row = sqlx::query(&format!(
            "INSERT INTO friend_links (name, url, url_key, image, description, visible, sort_order, applied,
                created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {LINK_COLUMNS}"
        ))
        .bind(&link.name)
        .bind(&link.url)
        .bind(&link.url_key)
        .bind(&link.image)
        .bind(&link.description)
        .bind(link.visible)
        .bind(link.sort_order)
        .bind(link.applied)
        .bind(to_millis(link.created_at))
        .bind(to_millis(link.created_at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        self.changed();
        link_from_row(&row).map_err(db_error)
    }

    async fn link_by_id(&self, id: i64) -> CoreResult<Option<FriendLink>> {
        let row = sqlx::query(&format!("SELECT {LINK_COLUMNS} FROM friend_links WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(link_from_row).transpose().map_err(db_error)
    }

    async fn update_link(&self, id: i64, patch: LinkRecordPatch) -> CoreResult<FriendLink> {
        // One statement, so two managers changing different fields never undo each other.
        let (url, url_key) = patch.url.unzip();
        let row = sqlx::query(&format!(
            "UPDATE friend_links SET
                name = COALESCE(?1, name),
                url = COALESCE(?2, url),
                url_key = COALESCE(?3, url_key),
                image = CASE WHEN ?4 THEN ?5 ELSE image END,
                description = CASE WHEN ?6 THEN ?7 ELSE description END,
                visible = COALESCE(?8, visible),
                sort_order = COALESCE(?9, sort_order),
                updated_at = ?10
             WHERE id = ?11 RETURNING {LINK_COLUMNS}"
        ))
        .bind(patch.name)
        .bind(url)
        .bind(url_key)
        .bind(patch.image.is_some())
        .bind(patch.image.flatten())
        .bind(patch.description.is_some())
        .bind(patch.description.flatten())
        .bind(patch.visible)
        .bind(patch.sort_order)
        .bind(to_millis(patch.updated_at))
        .bind(id)
        .fetch_optional(&self.write)
        .await
        .map_err(db_error)?;
        let row = row.ok_or_else(CoreError::not_found)?;
        self.changed();
        link_from_row(&row).map_err(db_error)
    }

    async fn delete_link(&self, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM friend_links WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        if done.rows_affected() > 0 {
            self.changed();
        }
        Ok(done.rows_affected() > 0)
    }

    async fn list_links(&self, query: &LinkQuery) -> CoreResult<(Vec<FriendLink>, i64)> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*)");
        push_filters(&mut count, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?;
        if total == 0 || query.offset >= total {
            return Ok((Vec::new(), total));
        }
        let mut page = QueryBuilder::<Sqlite>::new(format!("SELECT {LINK_COLUMNS}"));
        push_filters(&mut page, query);
        page.push(" ORDER BY sort_order, created_at, id LIMIT ")
            .push_bind(query.limit)
            .push(" OFFSET ")
            .push_bind(query.offset);
        let rows = page.build().fetch_all(&self.read).await.map_err(db_error)?;
        let links = rows.iter().map(link_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((links, total))
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::ErrorCode;
    use inkstone_core::links::{LinkQuery, LinkRecordPatch, LinkRepository, NewLinkRecord, url_key};

    use crate::testing::{at, store};

    fn record(name: &str, url: &str, visible: bool, sort_order: i64, secs: i64) -> NewLinkRecord {
        NewLinkRecord {
            name: name.into(),
            url: url.into(),
            url_key: url_key(url),
            image: None,
            description: Some(format!("about {name}")),
            visible,
            sort_order,
            applied: !visible,
            created_at: at(secs),
        }
    }

    #[tokio::test]
    async fn links_are_listed_in_order_and_filtered() {
        let (_dir, store) = store().await;
        let b = store.insert_link(record("B", "https://b.org", true, 0, 2)).await.unwrap();
        let a = store.insert_link(record("A", "https://a.org", true, 0, 1)).await.unwrap();
        let c = store.insert_link(record("C 100%", "https://c.org", false, -1, 3)).await.unwrap();
        let all = LinkQuery { limit: 10, ..LinkQuery::default() };
        let (links, total) = store.list_links(&all).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(links.iter().map(|l| l.id).collect::<Vec<_>>(), vec![c.id, a.id, b.id]);
        let visible = LinkQuery { visible: Some(true), limit: 10, ..LinkQuery::default() };
        assert_eq!(store.list_links(&visible).await.unwrap().1, 2);
        let applied = LinkQuery { applied: Some(true), limit: 10, ..LinkQuery::default() };
        assert_eq!(store.list_links(&applied).await.unwrap().0, vec![c.clone()]);
        let search = LinkQuery { search: Some("100%".into()), limit: 10, ..LinkQuery::default() };
        assert_eq!(store.list_links(&search).await.unwrap().1, 1, "% is matched literally");
        let by_url = LinkQuery { search: Some("B.ORG".into()), limit: 10, ..LinkQuery::default() };
        assert_eq!(store.list_links(&by_url).await.unwrap().0, vec![b]);
        let second_page = LinkQuery { offset: 2, limit: 2, ..LinkQuery::default() };
        assert_eq!(store.list_links(&second_page).await.unwrap().0.len(), 1);
    }

    #[tokio::test]
    async fn duplicate_urls_conflict_on_insert_and_update() {
        let (_dir, store) = store().await;
        store.insert_link(record("A", "https://www.a.org/", true, 0, 1)).await.unwrap();
        let err = store.insert_link(record("A again", "http://a.org", true, 0, 2)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        let b = store.insert_link(record("B", "https://b.org", true, 0, 2)).await.unwrap();
        let patch = LinkRecordPatch {
            url: Some(("https://a.org".into(), url_key("https://a.org"))),
            updated_at: at(3),
            ..LinkRecordPatch::default()
        };
        assert_eq!(store.update_link(b.id, patch).await.unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(store.link_by_id(b.id).await.unwrap().unwrap().url, "https://b.org");
    }

    #[tokio::test]
    async fn a_patch_changes_only_what_it_names() {
        let (_dir, store) = store().await;
        let link = store.insert_link(record("A", "https://a.org", false, 0, 1)).await.unwrap();
        let approve =
            LinkRecordPatch { visible: Some(true), updated_at: at(5), ..LinkRecordPatch::default() };
        let approved = store.update_link(link.id, approve).await.unwrap();
        assert!(approved.visible && approved.applied);
        assert_eq!(approved.description.as_deref(), Some("about A"));
        assert_eq!(approved.updated_at, at(5));
        assert_eq!(approved.created_at, at(1));
        let clear = LinkRecordPatch {
            description: Some(None),
            image: Some(Some("/i.png".into())),
            name: Some("A2".into()),
            sort_order: Some(7),
            updated_at: at(6),
            ..LinkRecordPatch::default()
        };
        let changed = store.update_link(link.id, clear).await.unwrap();
        assert_eq!(
            (changed.description, changed.image.as_deref(), changed.name.as_str(), changed.sort_order),
            (None, Some("/i.png"), "A2", 7)
        );
        assert!(changed.visible, "untouched fields stay");
        let missing = LinkRecordPatch { updated_at: at(7), ..LinkRecordPatch::default() };
        assert_eq!(store.update_link(999, missing).await.unwrap_err().code, ErrorCode::NotFound);
        assert!(store.delete_link(link.id).await.unwrap());
        assert!(!store.delete_link(link.id).await.unwrap());
        assert_eq!(store.link_by_id(link.id).await.unwrap(), None);
    }
}
