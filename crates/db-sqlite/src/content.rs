//! Items, revisions, their terms and fields, and the FTS5 search rows.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::model::{
    BodyFormat, CustomField, Item, ItemKind, ItemStatus, Origin, Revision, TermRef, UserSummary,
};
use inkstone_core::ports::{
    ContentRepository, ItemQuery, ItemSave, ItemSortKey, PinOrder, TagAssignment, Visibility,
};
use inkstone_core::{CoreError, CoreResult, ErrorCode};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::{SqliteStore, contains_pattern, db_error, from_millis, to_millis};

/// An item row with its author and, as JSON arrays, its categories, tags and custom fields
/// in order: one row per item, so a page of items is one query.
const ITEM_SELECT: &str = "SELECT i.*, u.username AS author_username, u.display_name AS author_display_name,
    u.avatar AS author_avatar,
    (SELECT json_group_array(json_array(c.id, c.name, c.slug) ORDER BY x.position)
        FROM item_categories x JOIN categories c ON c.id = x.category_id WHERE x.item_id = i.id) AS categories_json,
    (SELECT json_group_array(json_array(t.id, t.name, t.slug) ORDER BY x.position)
        FROM item_tags x JOIN tags t ON t.id = x.tag_id WHERE x.item_id = i.id) AS tags_json,
    (SELECT json_group_array(json_array(f.key, f.value) ORDER BY f.position)
        FROM item_fields f WHERE f.item_id = i.id) AS fields_json
    FROM items i JOIN users u ON u.id = i.author_id";

fn parse_or<T>(text: &str, parse: fn(&str) -> Option<T>, fallback: T) -> T {
    parse(text).unwrap_or(fallback)
}

fn json_column<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> Result<Vec<T>, sqlx::Error> {
    let text: Option<String> = row.try_get(column)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e))),
    }
}

fn item_from_row(row: &SqliteRow) -> Result<Item, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let format: String = row.try_get("format")?;
    let status: String = row.try_get("status")?;
    let before: Option<String> = row.try_get("status_before_trash")?;
    let origin: String = row.try_get("origin")?;
    Ok(Item {
        id: row.try_get("id")?,
        kind: parse_or(&kind, ItemKind::parse, ItemKind::Post),
        title: row.try_get("title")?,
        slug: row.try_get("slug")?,
        format: parse_or(&format, BodyFormat::parse, BodyFormat::Markdown),
        body: row.try_get("body")?,
        html: row.try_get("html")?,
        excerpt: row.try_get("excerpt")?,
        excerpt_manual: row.try_get("excerpt_manual")?,
        cover: row.try_get("cover")?,
        cover_text: row.try_get("cover_text")?,
        status: parse_or(&status, ItemStatus::parse, ItemStatus::Draft),
        status_before_trash: before.as_deref().and_then(ItemStatus::parse),
        published_at: row.try_get::<Option<i64>, _>("published_at")?.map(from_millis),
        password: row.try_get("password")?,
        redirect_url: row.try_get("redirect_url")?,
        pinned: row.try_get("pinned")?,
        pinned_in_category: row.try_get("pinned_in_category")?,
        comments_allowed: row.try_get("comments_allowed")?,
        template: row.try_get("template")?,
        author: UserSummary {
            id: row.try_get("author_id")?,
            username: row.try_get("author_username")?,
            display_name: row.try_get("author_display_name")?,
            avatar: row.try_get("author_avatar")?,
        },
        origin: parse_or(&origin, Origin::parse, Origin::Console),
        categories: json_column::<(i64, String, String)>(row, "categories_json")?
            .into_iter()
            .map(|(id, name, slug)| TermRef { id, name, slug })
            .collect(),
        tags: json_column::<(i64, String, String)>(row, "tags_json")?
            .into_iter()
            .map(|(id, name, slug)| TermRef { id, name, slug })
            .collect(),
        custom_fields: json_column::<(String, String)>(row, "fields_json")?
            .into_iter()
            .map(|(key, value)| CustomField { key, value })
            .collect(),
        view_count: row.try_get("view_count")?,
        like_count: row.try_get("like_count")?,
        favorite_count: row.try_get("favorite_count")?,
        comment_count: row.try_get("comment_count")?,
        head_revision_id: row.try_get("head_revision_id")?,
        released_revision_id: row.try_get("released_revision_id")?,
        version: row.try_get("version")?,
        import_key: row.try_get("import_key")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn revision_from_row(row: &SqliteRow) -> Result<Revision, sqlx::Error> {
    let format: String = row.try_get("format")?;
    Ok(Revision {
        id: row.try_get("id")?,
        item_id: row.try_get("item_id")?,
        title: row.try_get("title")?,
        format: parse_or(&format, BodyFormat::parse, BodyFormat::Markdown),
        body: row.try_get("body")?,
        html: row.try_get("html")?,
        author_id: row.try_get("author_id")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

/// Appends `FROM ... WHERE ...` of a list query (everything but order and paging).
///
/// With search terms the FTS5 table drives the join (`CROSS JOIN` fixes the order), so the
/// MATCH runs once instead of once per item.
fn push_from_where(builder: &mut QueryBuilder<'_, Sqlite>, query: &ItemQuery) {
    if let Some(terms) = &query.search_terms {
        let expression =
            inkstone_render::search::fts_match_expression(terms).unwrap_or_else(|| "\"\"".into());
        builder
            .push(" FROM item_search CROSS JOIN items i ON i.id = item_search.rowid WHERE item_search MATCH ")
            .push_bind(expression);
    } else {
        builder.push(" FROM items i WHERE 1 = 1");
    }
    match query.status {
        Some(status) => {
            builder.push(" AND i.status = ").push_bind(status.as_str());
        }
        None => {
            builder.push(" AND i.status <> 'trashed'");
        }
    }
    match query.visibility {
        Visibility::All => {}
        Visibility::Public => {
            builder.push(" AND i.status = 'published'");
        }
        Visibility::PublicAndOwn(user_id) => {
            builder.push(" AND (i.status = 'published' OR i.author_id = ").push_bind(user_id).push(")");
        }
    }
    if let Some(kind) = query.kind {
        builder.push(" AND i.kind = ").push_bind(kind.as_str());
    }
    if let Some(author_id) = query.author_id {
        builder.push(" AND i.author_id = ").push_bind(author_id);
    }
    if let Some(tag_id) = query.tag_id {
        builder
            .push(" AND i.id IN (SELECT item_id FROM item_tags WHERE tag_id = ")
            .push_bind(tag_id)
            .push(")");
    }
    if let Some(title) = &query.title_contains {
        builder.push(" AND i.title LIKE ").push_bind(contains_pattern(title)).push(" ESCAPE '\\'");
    }
    if let Some(since) = query.published_since {
        builder.push(" AND i.published_at >= ").push_bind(to_millis(since));
    }
    if let Some(before) = query.published_before {
        builder.push(" AND i.published_at < ").push_bind(to_millis(before));
    }
    if let Some(category_ids) = &query.category_ids {
        builder.push(" AND i.id IN (SELECT item_id FROM item_categories WHERE category_id IN (");
        let mut separated = builder.separated(", ");
        for id in category_ids {
            separated.push_bind(*id);
        }
        builder.push("))");
    }
}

/// One `ORDER BY` term: an expression over `items i` (and `item_search` when searching).
struct OrderTerm {
    expr: &'static str,
    descending: bool,
    nocase: bool,
}

fn order_terms(query: &ItemQuery) -> Vec<OrderTerm> {
    let term = |expr, descending| OrderTerm { expr, descending, nocase: false };
    let searching = query.search_terms.is_some();
    let Some(sort) = query.sort else {
        let mut terms = Vec::new();
        if query.pin_order == PinOrder::SiteThenCategory && !searching {
            terms.extend([
                term("i.pinned", true),
                term("i.pinned_in_category", true),
                term("COALESCE(i.published_at, i.created_at)", true),
                term("i.id", true),
            ]);
            return terms;
        }
        if query.category_pins_first {
            terms.push(term("i.pinned_in_category", true));
        }
        if searching {
            terms.extend([term("bm25(item_search, 10.0, 1.0)", false), term("i.id", true)]);
        } else {
            terms.extend([
                term("i.pinned", true),
                term("COALESCE(i.published_at, i.created_at)", true),
                term("i.id", true),
            ]);
        }
        return terms;
    };
    let expr = match sort.key {
        ItemSortKey::PublishedAt => "COALESCE(i.published_at, i.created_at)",
        ItemSortKey::CreatedAt => "i.created_at",
        ItemSortKey::UpdatedAt => "i.updated_at",
        ItemSortKey::Title => "i.title",
        ItemSortKey::ViewCount => "i.view_count",
        ItemSortKey::CommentCount => "i.comment_count",
        ItemSortKey::Relevance if searching => "bm25(item_search, 10.0, 1.0)",
        ItemSortKey::Relevance => "i.id",
    };
    vec![
        OrderTerm { expr, descending: sort.descending, nocase: sort.key == ItemSortKey::Title },
        term("i.id", sort.descending),
    ]
}

/// Appends ` ORDER BY ...`, naming each term by `name(index, term)`.
fn push_order_by(
    builder: &mut QueryBuilder<'_, Sqlite>,
    terms: &[OrderTerm],
    name: impl Fn(usize, &OrderTerm) -> String,
) {
    let clauses: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(index, term)| {
            let collate = if term.nocase { " COLLATE NOCASE" } else { "" };
            let direction = if term.descending { "DESC" } else { "ASC" };
            format!("{}{collate} {direction}", name(index, term))
        })
        .collect();
    builder.push(" ORDER BY ").push(clauses.join(", "));
}

/// The page of ids of a search with the number of all matches, in one full-text query: the
/// sort keys are computed in a subquery because FTS5's `bm25` cannot run in a window query.
fn search_page(query: &ItemQuery) -> QueryBuilder<'_, Sqlite> {
    let terms = order_terms(query);
    let mut builder =
        QueryBuilder::<Sqlite>::new("SELECT id, COUNT(*) OVER () AS total FROM (SELECT i.id AS id");
    for (index, term) in terms.iter().enumerate() {
        builder.push(format!(", {} AS o{index}", term.expr));
    }
    push_from_where(&mut builder, query);
    builder.push(")");
    push_order_by(&mut builder, &terms, |index, _| format!("o{index}"));
    builder.push(" LIMIT ").push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
    builder
}

impl SqliteStore {
    fn complete_one(&self, row: Option<SqliteRow>) -> CoreResult<Option<Item>> {
        row.as_ref().map(item_from_row).transpose().map_err(db_error)
    }
}

async fn write_terms(conn: &mut SqliteConnection, id: i64, save: &ItemSave) -> CoreResult<()> {
    for table in ["item_categories", "item_tags", "item_fields"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE item_id = ?"))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    for (position, category_id) in save.category_ids.iter().enumerate() {
        sqlx::query("INSERT INTO item_categories (item_id, category_id, position) VALUES (?, ?, ?)")
            .bind(id)
            .bind(category_id)
            .bind(position as i64)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    for (position, tag) in save.tags.iter().enumerate() {
        let tag_id = match tag {
            TagAssignment::Existing(tag_id) => *tag_id,
            TagAssignment::New { name, slug } => {
                sqlx::query_scalar("INSERT INTO tags (name, slug) VALUES (?, ?) RETURNING id")
                    .bind(name)
                    .bind(slug)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_error)?
            }
        };
        sqlx::query("INSERT OR IGNORE INTO item_tags (item_id, tag_id, position) VALUES (?, ?, ?)")
            .bind(id)
            .bind(tag_id)
            .bind(position as i64)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    for (position, field) in save.custom_fields.iter().enumerate() {
        sqlx::query("INSERT INTO item_fields (item_id, position, key, value) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(position as i64)
            .bind(&field.key)
            .bind(&field.value)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

#[async_trait]
impl ContentRepository for SqliteStore {
    async fn save_item(&self, save: ItemSave) -> CoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id = match save.id {
            None => {
                let result: Result<i64, sqlx::Error> = sqlx::query_scalar(
                    "INSERT INTO items (kind, title, slug, format, body, html, excerpt, excerpt_manual, cover,
                        cover_text, status, status_before_trash, published_at, password, redirect_url, pinned,
                        pinned_in_category, comments_allowed, template, author_id, origin, import_key,
                        created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(save.kind.as_str())
                .bind(&save.title)
                .bind(&save.slug)
                .bind(save.format.as_str())
                .bind(&save.body)
                .bind(&save.html)
                .bind(&save.excerpt)
                .bind(&save.excerpt_manual)
                .bind(&save.cover)
                .bind(&save.cover_text)
                .bind(save.status.as_str())
                .bind(save.status_before_trash.map(|s| s.as_str()))
                .bind(save.published_at.map(to_millis))
                .bind(&save.password)
                .bind(&save.redirect_url)
                .bind(save.pinned)
                .bind(save.pinned_in_category)
                .bind(save.comments_allowed)
                .bind(&save.template)
                .bind(save.author_id)
                .bind(save.origin.as_str())
                .bind(&save.import_key)
                .bind(to_millis(save.created_at))
                .bind(to_millis(save.updated_at))
                .fetch_one(&mut *tx)
                .await;
                result.map_err(|e| slug_conflict(db_error(e)))?
            }
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE items SET title = ?, slug = ?, format = ?, body = ?, html = ?, excerpt = ?,
                        excerpt_manual = ?, cover = ?, cover_text = ?, status = ?, status_before_trash = ?,
                        published_at = ?, password = ?, redirect_url = ?, pinned = ?, pinned_in_category = ?,
                        comments_allowed = ?, template = ?, updated_at = ?, version = version + 1
                     WHERE id = ? AND version = ?",
                )
                .bind(&save.title)
                .bind(&save.slug)
                .bind(save.format.as_str())
                .bind(&save.body)
                .bind(&save.html)
                .bind(&save.excerpt)
                .bind(&save.excerpt_manual)
                .bind(&save.cover)
                .bind(&save.cover_text)
                .bind(save.status.as_str())
                .bind(save.status_before_trash.map(|s| s.as_str()))
                .bind(save.published_at.map(to_millis))
                .bind(&save.password)
                .bind(&save.redirect_url)
                .bind(save.pinned)
                .bind(save.pinned_in_category)
                .bind(save.comments_allowed)
                .bind(&save.template)
                .bind(to_millis(save.updated_at))
                .bind(id)
                .bind(save.expected_version)
                .execute(&mut *tx)
                .await
                .map_err(|e| slug_conflict(db_error(e)))?;
                if done.rows_affected() == 0 {
                    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM items WHERE id = ?")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    return Err(match exists {
                        Some(_) => CoreError::new(ErrorCode::EditConflict),
                        None => CoreError::not_found(),
                    });
                }
                id
            }
        };
        if let Some(revision) = &save.new_revision {
            let revision_id: i64 = sqlx::query_scalar(
                "INSERT INTO revisions (item_id, title, format, body, html, author_id, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(id)
            .bind(&revision.title)
            .bind(revision.format.as_str())
            .bind(&revision.body)
            .bind(&revision.html)
            .bind(revision.author_id)
            .bind(to_millis(revision.created_at))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
            sqlx::query("UPDATE items SET head_revision_id = ? WHERE id = ?")
                .bind(revision_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        } else if save.id.is_none() {
            return Err(CoreError::internal("a new item needs its first revision"));
        }
        if save.release_head {
            sqlx::query("UPDATE items SET released_revision_id = head_revision_id WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        write_terms(&mut tx, id, &save).await?;
        if let Some(search) = &save.search {
            sqlx::query("DELETE FROM item_search WHERE rowid = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            sqlx::query("INSERT INTO item_search (rowid, title, body) VALUES (?, ?, ?)")
                .bind(id)
                .bind(&search.title)
                .bind(&search.body)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(id)
    }

    async fn item_by_id(&self, id: i64) -> CoreResult<Option<Item>> {
        let sql = format!("{ITEM_SELECT} WHERE i.id = ?");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.read).await.map_err(db_error)?;
        self.complete_one(row)
    }

    async fn item_by_slug(&self, kind: ItemKind, slug: &str) -> CoreResult<Option<Item>> {
        let sql = format!("{ITEM_SELECT} WHERE i.kind = ? AND i.slug = ?");
        let row = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(slug)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        self.complete_one(row)
    }

    async fn item_by_import_key(&self, import_key: &str) -> CoreResult<Option<Item>> {
        let sql = format!("{ITEM_SELECT} WHERE i.import_key = ?");
        let row = sqlx::query(&sql).bind(import_key).fetch_optional(&self.read).await.map_err(db_error)?;
        self.complete_one(row)
    }

    async fn list_items(&self, query: &ItemQuery) -> CoreResult<(Vec<Item>, i64)> {
        let count = |query: &ItemQuery| {
            let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*)");
            push_from_where(&mut count, query);
            count
        };
        // Ids first, rows second: sorting touches only small columns (the default order
        // reads the page straight from an index), and only one page of bodies is read.
        let (ids, total) = if query.search_terms.is_some() {
            let rows: Vec<(i64, i64)> =
                search_page(query).build_query_as().fetch_all(&self.read).await.map_err(db_error)?;
            let total = match rows.first() {
                Some((_, total)) => *total,
                None if query.offset == 0 => 0,
                None => count(query).build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?,
            };
            (rows.into_iter().map(|(id, _)| id).collect::<Vec<i64>>(), total)
        } else {
            let total: i64 =
                count(query).build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?;
            if total == 0 || query.offset >= total {
                return Ok((Vec::new(), total));
            }
            let mut page = QueryBuilder::<Sqlite>::new("SELECT i.id");
            push_from_where(&mut page, query);
            push_order_by(&mut page, &order_terms(query), |_, term| term.expr.to_string());
            page.push(" LIMIT ").push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
            let ids: Vec<i64> = page.build_query_scalar().fetch_all(&self.read).await.map_err(db_error)?;
            (ids, total)
        };
        if ids.is_empty() {
            return Ok((Vec::new(), total));
        }
        let mut select = QueryBuilder::<Sqlite>::new(ITEM_SELECT);
        select.push(" WHERE i.id IN (");
        let mut separated = select.separated(", ");
        for id in &ids {
            separated.push_bind(*id);
        }
        select.push(")");
        let rows = select.build().fetch_all(&self.read).await.map_err(db_error)?;
        let mut by_id: HashMap<i64, Item> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let item = item_from_row(row).map_err(db_error)?;
            by_id.insert(item.id, item);
        }
        let items: Vec<Item> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        Ok((items, total))
    }

    async fn item_by_former_slug(&self, kind: ItemKind, slug: &str) -> CoreResult<Option<Item>> {
        let sql = format!(
            "{ITEM_SELECT} WHERE i.id = (SELECT item_id FROM item_former_slugs WHERE kind = ? AND slug = ?)"
        );
        let row = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(slug)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        self.complete_one(row)
    }

    async fn adjacent_published(
        &self,
        kind: ItemKind,
        published_at: DateTime<Utc>,
        id: i64,
    ) -> CoreResult<(Option<Item>, Option<Item>)> {
        // Row values keep both lookups a range scan of `items_publication_order`.
        let fetch = |comparison: &'static str, direction: &'static str| async move {
            let sql = format!(
                "{ITEM_SELECT} WHERE i.id = (SELECT id FROM items
                    WHERE kind = ? AND status = 'published' AND (published_at, id) {comparison} (?, ?)
                    ORDER BY published_at {direction}, id {direction} LIMIT 1)"
            );
            let row = sqlx::query(&sql)
                .bind(kind.as_str())
                .bind(to_millis(published_at))
                .bind(id)
                .fetch_optional(&self.read)
                .await
                .map_err(db_error)?;
            self.complete_one(row)
        };
        Ok((fetch("<", "DESC").await?, fetch(">", "ASC").await?))
    }

    async fn published_post_times(&self) -> CoreResult<Vec<DateTime<Utc>>> {
        let times: Vec<i64> = sqlx::query_scalar(
            "SELECT published_at FROM items
             WHERE status = 'published' AND kind = 'post' AND published_at IS NOT NULL
             ORDER BY published_at",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        Ok(times.into_iter().map(from_millis).collect())
    }

    async fn slug_taken(&self, kind: ItemKind, slug: &str, except_id: Option<i64>) -> CoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM items WHERE kind = ? AND slug = ? AND id <> ?")
                .bind(kind.as_str())
                .bind(slug)
                .bind(except_id.unwrap_or(0))
                .fetch_optional(&self.read)
                .await
                .map_err(db_error)?;
        Ok(found.is_some())
    }

    async fn delete_item(&self, id: i64) -> CoreResult<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM item_search WHERE rowid = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let done = sqlx::query("DELETE FROM items WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn revisions(&self, item_id: i64) -> CoreResult<Vec<Revision>> {
        let rows = sqlx::query("SELECT * FROM revisions WHERE item_id = ? ORDER BY id DESC")
            .bind(item_id)
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(revision_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn revision(&self, item_id: i64, revision_id: i64) -> CoreResult<Option<Revision>> {
        let row = sqlx::query("SELECT * FROM revisions WHERE item_id = ? AND id = ?")
            .bind(item_id)
            .bind(revision_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(revision_from_row).transpose().map_err(db_error)
    }

    async fn due_scheduled(&self, now: DateTime<Utc>) -> CoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT id FROM items WHERE status = 'scheduled' AND published_at <= ? ORDER BY published_at",
        )
        .bind(to_millis(now))
        .fetch_all(&self.read)
        .await
        .map_err(db_error)
    }

    async fn increment_views(&self, id: i64) -> CoreResult<Option<i64>> {
        sqlx::query_scalar("UPDATE items SET view_count = view_count + 1 WHERE id = ? RETURNING view_count")
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_error)
    }
}

fn slug_conflict(err: CoreError) -> CoreError {
    if err.code == ErrorCode::Conflict {
        err.with_field("slug").with_detail("the slug is taken", "别名已被使用")
    } else {
        err
    }
}
