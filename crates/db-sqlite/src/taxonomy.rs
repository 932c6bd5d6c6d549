//! Categories and tags.

use async_trait::async_trait;
use inkstone_core::CoreResult;
use inkstone_core::model::{Category, Tag};
use inkstone_core::ports::{CategoryWrite, TagWrite, TaxonomyRepository};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, db_error};

const CATEGORY_SELECT: &str = "SELECT c.*, COALESCE(n.count, 0) AS item_count FROM categories c
    LEFT JOIN (SELECT ic.category_id, COUNT(*) AS count FROM item_categories ic JOIN items i ON i.id = ic.item_id
        WHERE i.status = 'published' GROUP BY ic.category_id) n ON n.category_id = c.id";
const CATEGORY_SELECT_PLAIN: &str = "SELECT c.*, 0 AS item_count FROM categories c";

const TAG_SELECT: &str = "SELECT t.*, COALESCE(n.count, 0) AS item_count FROM tags t
    LEFT JOIN (SELECT it.tag_id, COUNT(*) AS count FROM item_tags it JOIN items i ON i.id = it.item_id
        WHERE i.status = 'published' GROUP BY it.tag_id) n ON n.tag_id = t.id";
const TAG_SELECT_PLAIN: &str = "SELECT t.*, 0 AS item_count FROM tags t";

fn category_from_row(row: &SqliteRow) -> Result<Category, sqlx::Error> {
    Ok(Category {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        slug: row.try_get("slug")?,
        description: row.try_get("description")?,
        parent_id: row.try_get("parent_id")?,
        sort_order: row.try_get("sort_order")?,
        template: row.try_get("template")?,
        cover: row.try_get("cover")?,
        item_count: row.try_get("item_count")?,
    })
}

fn tag_from_row(row: &SqliteRow) -> Result<Tag, sqlx::Error> {
    Ok(Tag {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        slug: row.try_get("slug")?,
        color: row.try_get("color")?,
        description: row.try_get("description")?,
        item_count: row.try_get("item_count")?,
    })
}

impl SqliteStore {
    async fn category_by_id(&self, id: i64) -> CoreResult<Category> {
        let row = sqlx::query(&format!("{CATEGORY_SELECT} WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_error)?
            .ok_or_else(inkstone_core::CoreError::not_found)?;
        category_from_row(&row).map_err(db_error)
    }

    async fn tag_by_id(&self, id: i64) -> CoreResult<Tag> {
        let row = sqlx::query(&format!("{TAG_SELECT} WHERE t.id = ?"))
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_error)?
            .ok_or_else(inkstone_core::CoreError::not_found)?;
        tag_from_row(&row).map_err(db_error)
    }
}

#[async_trait]
impl TaxonomyRepository for SqliteStore {
    async fn categories(&self, with_counts: bool) -> CoreResult<Vec<Category>> {
        let select = if with_counts { CATEGORY_SELECT } else { CATEGORY_SELECT_PLAIN };
        let rows = sqlx::query(&format!("{select} ORDER BY COALESCE(c.parent_id, 0), c.sort_order, c.name"))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(category_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn insert_category(&self, category: CategoryWrite) -> CoreResult<Category> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO categories (name, slug, description, parent_id, sort_order, template, cover)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&category.name)
        .bind(&category.slug)
        .bind(&category.description)
        .bind(category.parent_id)
        .bind(category.sort_order)
        .bind(&category.template)
        .bind(&category.cover)
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        self.changed();
        self.category_by_id(id).await
    }

    async fn update_category(&self, id: i64, category: CategoryWrite) -> CoreResult<Category> {
        sqlx::query(
            "UPDATE categories SET name = ?, slug = ?, description = ?, parent_id = ?, sort_order = ?,
             template = ?, cover = ? WHERE id = ?",
        )
        .bind(&category.name)
        .bind(&category.slug)
        .bind(&category.description)
        .bind(category.parent_id)
        .bind(category.sort_order)
        .bind(&category.template)
        .bind(&category.cover)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        self.changed();
        self.category_by_id(id).await
    }

    async fn delete_category(&self, id: i64) -> CoreResult<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE categories SET parent_id = (SELECT parent_id FROM categories WHERE id = ?1) WHERE parent_id = ?1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let done = sqlx::query("DELETE FROM categories WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn tags(&self, with_counts: bool) -> CoreResult<Vec<Tag>> {
        let select = if with_counts { TAG_SELECT } else { TAG_SELECT_PLAIN };
        let rows = sqlx::query(&format!("{select} ORDER BY t.name COLLATE NOCASE"))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(tag_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn tag_by_name(&self, name: &str) -> CoreResult<Option<Tag>> {
        let row = sqlx::query(&format!("{TAG_SELECT_PLAIN} WHERE t.name = ? COLLATE NOCASE"))
            .bind(name)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(tag_from_row).transpose().map_err(db_error)
    }

    async fn insert_tag(&self, tag: TagWrite) -> CoreResult<Tag> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tags (name, slug, color, description) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(&tag.name)
        .bind(&tag.slug)
        .bind(&tag.color)
        .bind(&tag.description)
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        self.changed();
        self.tag_by_id(id).await
    }

    async fn update_tag(&self, id: i64, tag: TagWrite) -> CoreResult<Tag> {
        sqlx::query("UPDATE tags SET name = ?, slug = ?, color = ?, description = ? WHERE id = ?")
            .bind(&tag.name)
            .bind(&tag.slug)
            .bind(&tag.color)
            .bind(&tag.description)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        self.changed();
        self.tag_by_id(id).await
    }

    async fn delete_tag(&self, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM tags WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }
}
