//! Inkstone's repository ports on SQLite: one file, WAL journal, one writer connection and
//! a pool of readers, FTS5 for search. Times are stored as Unix milliseconds.

mod abuse;
mod audit;
mod comments;
mod content;
mod favorites;
mod identity;
mod likes;
mod links;
mod media;
mod notes;
mod notifications;
mod stats;
mod taxonomy;
mod webhooks;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use inkstone_core::ports::{ChangeCounter, SettingsRepository};
use inkstone_core::{CoreError, CoreResult, ErrorCode};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Schema migrations, applied in order at open.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "comments_likes_notes", include_str!("../migrations/0002_comments_likes_notes.sql")),
    (3, "media", include_str!("../migrations/0003_media.sql")),
    (4, "links_notifications_stats", include_str!("../migrations/0004_links_notifications_stats.sql")),
    (5, "webhooks", include_str!("../migrations/0005_webhooks.sql")),
    (6, "favorites", include_str!("../migrations/0006_favorites.sql")),
    (7, "emlog_people", include_str!("../migrations/0007_emlog_people.sql")),
    (8, "site", include_str!("../migrations/0008_site.sql")),
    (9, "publication_order", include_str!("../migrations/0009_publication_order.sql")),
];

/// The SQLite store. Clones share the pools.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Readers (several connections).
    read: SqlitePool,
    /// The single writer: writes queue here instead of failing on a busy database.
    write: SqlitePool,
    /// Committed changes readers could see, made through this store.
    generation: Arc<AtomicU64>,
}

/// Converts a stored millisecond timestamp.
pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A LIKE pattern matching `text` anywhere, with `\` as the escape character.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(crate) fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Maps a database error: unique violations become `conflict`; anything else is logged
/// and becomes `internal`.
pub(crate) fn db_error(err: sqlx::Error) -> CoreError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        return CoreError::new(ErrorCode::Conflict);
    }
    CoreError::internal(err)
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> CoreResult<SqliteStore> {
        let options = SqliteConnectOptions::new().filename(path);
        SqliteStore::open_with(options).await
    }

    /// Opens a database from a `sqlite:` URL, e.g. `sqlite:///var/lib/inkstone/db.sqlite`.
    pub async fn open_url(url: &str) -> CoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url).map_err(|e| {
            CoreError::invalid(
                "database_url",
                format!("not a SQLite URL: {e}"),
                format!("不是 SQLite 地址：{e}"),
            )
        })?;
        SqliteStore::open_with(options).await
    }

    async fn open_with(options: SqliteConnectOptions) -> CoreResult<SqliteStore> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect::<Vec<_>>();
        let migrator = Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT };
        migrator.run(&write).await.map_err(|e| CoreError::internal(format!("migration failed: {e}")))?;
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get() as u32 * 2).max(4);
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .connect_with(options.read_only(true))
            .await
            .map_err(db_error)?;
        Ok(SqliteStore { read, write, generation: Arc::new(AtomicU64::new(0)) })
    }

    /// Waits for queries in flight, checkpoints the WAL into the main file and closes.
    pub async fn close(&self) {
        self.read.close().await;
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.write).await {
            tracing::warn!(error = %err, "WAL checkpoint at close failed");
        }
        self.write.close().await;
    }

    /// Records that a change readers could see was committed.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Starts a write transaction that holds the write lock from its first statement, so a
    /// concurrent writer in another process waits (busy timeout) instead of failing midway.
    pub(crate) async fn begin_write(&self) -> CoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.write.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)
    }
}

impl ChangeCounter for SqliteStore {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

#[async_trait::async_trait]
impl SettingsRepository for SqliteStore {
    async fn all_settings(&self) -> CoreResult<Vec<(String, String)>> {
        sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
            .fetch_all(&self.read)
            .await
            .map_err(db_error)
    }

    async fn set_setting(&self, key: &str, value: &str) -> CoreResult<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        self.changed();
        Ok(())
    }

    async fn delete_setting(&self, key: &str) -> CoreResult<()> {
        sqlx::query("DELETE FROM settings WHERE key = ?")
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        self.changed();
        Ok(())
    }
}

/// Helpers for the unit tests of every module.
#[cfg(test)]
pub(crate) mod testing {
    use chrono::{DateTime, TimeZone, Utc};

    use crate::SqliteStore;

    /// A migrated store in a fresh temporary directory, deleted when the guard drops.
    pub(crate) async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(&dir.path().join("test.sqlite")).await.expect("open store");
        (dir, store)
    }

    /// A time `secs` seconds after a fixed origin, whole milliseconds as the store keeps.
    pub(crate) fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).single().expect("valid time")
    }
}
