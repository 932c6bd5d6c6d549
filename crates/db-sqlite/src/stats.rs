//! Daily page-view counters, the day's salt and the day's visitor hashes. Days are stored
//! as `YYYY-MM-DD` text, which sorts as dates do.

use async_trait::async_trait;
use chrono::NaiveDate;
use inkstone_core::CoreResult;
use inkstone_core::stats::{DayStats, HitCounts, HitRecord, PageStats, StatsRepository};

use crate::{SqliteStore, db_error};

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(text: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Deletes salts and visitor hashes of days before `day` inside `tx`; returns the rows.
async fn purge_before(tx: &mut sqlx::SqliteConnection, day: &str) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for table in ["stats_salts", "stats_visitors", "stats_page_visitors"] {
        deleted += sqlx::query(&format!("DELETE FROM {table} WHERE day < ?"))
            .bind(day)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    Ok(deleted)
}

#[async_trait]
impl StatsRepository for SqliteStore {
    async fn daily_salt(&self, day: NaiveDate, fresh: &str) -> CoreResult<String> {
        let day = day_text(day);
        let stored: Option<String> = sqlx::query_scalar("SELECT salt FROM stats_salts WHERE day = ?")
            .bind(&day)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        if let Some(salt) = stored {
            return Ok(salt);
        }
        // The first hit of a day: a concurrent one may have stored the salt meanwhile, in
        // which case its salt wins.
        let mut tx = self.begin_write().await?;
        purge_before(&mut tx, &day).await.map_err(db_error)?;
        sqlx::query("INSERT INTO stats_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING")
            .bind(&day)
            .bind(fresh)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let salt: String = sqlx::query_scalar("SELECT salt FROM stats_salts WHERE day = ?")
            .bind(&day)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(salt)
    }

    async fn purge_visitors_before(&self, day: NaiveDate) -> CoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let deleted = purge_before(&mut tx, &day_text(day)).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(deleted)
    }

    async fn record_hit(&self, hit: &HitRecord) -> CoreResult<HitCounts> {
        let day = day_text(hit.day);
        let mut tx = self.begin_write().await?;
        let new_visitor = sqlx::query(
            "INSERT INTO stats_visitors (day, visitor) VALUES (?, ?) ON CONFLICT (day, visitor) DO NOTHING",
        )
        .bind(&day)
        .bind(&hit.visitor)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected() as i64;
        let new_page_visitor = sqlx::query(
            "INSERT INTO stats_page_visitors (day, path, visitor) VALUES (?, ?, ?)
             ON CONFLICT (day, path, visitor) DO NOTHING",
        )
        .bind(&day)
        .bind(&hit.path)
        .bind(&hit.visitor)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected() as i64;
        let (site_pv, site_uv): (i64, i64) = sqlx::query_as(
            "INSERT INTO stats_daily (day, pv, uv) VALUES (?, 1, ?)
             ON CONFLICT (day) DO UPDATE SET pv = pv + 1, uv = uv + excluded.uv RETURNING pv, uv",
        )
        .bind(&day)
        .bind(new_visitor)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let (page_pv, page_uv): (i64, i64) = sqlx::query_as(
            "INSERT INTO stats_pages (day, path, pv, uv) VALUES (?, ?, 1, ?)
             ON CONFLICT (day, path) DO UPDATE SET pv = pv + 1, uv = uv + excluded.uv RETURNING pv, uv",
        )
        .bind(&day)
        .bind(&hit.path)
        .bind(new_page_visitor)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let (total_site_pv, total_site_uv): (i64, i64) =
            sqlx::query_as("SELECT COALESCE(SUM(pv), 0), COALESCE(SUM(uv), 0) FROM stats_daily")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
        let total_page_pv: i64 =
            sqlx::query_scalar("SELECT COALESCE(SUM(pv), 0) FROM stats_pages WHERE path = ?")
                .bind(&hit.path)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(HitCounts { site_pv, site_uv, page_pv, page_uv, total_site_pv, total_site_uv, total_page_pv })
    }

    async fn daily_stats(&self, from: NaiveDate, to: NaiveDate) -> CoreResult<Vec<DayStats>> {
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT day, pv, uv FROM stats_daily WHERE day BETWEEN ? AND ? ORDER BY day")
                .bind(day_text(from))
                .bind(day_text(to))
                .fetch_all(&self.read)
                .await
                .map_err(db_error)?;
        rows.into_iter()
            .map(|(day, pv, uv)| Ok(DayStats { day: parse_day(&day)?, pv, uv }))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_error)
    }

    async fn top_pages(&self, from: NaiveDate, to: NaiveDate, limit: i64) -> CoreResult<Vec<PageStats>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT path, SUM(pv) AS total_pv, SUM(uv) FROM stats_pages WHERE day BETWEEN ? AND ?
             GROUP BY path ORDER BY total_pv DESC, path LIMIT ?",
        )
        .bind(day_text(from))
        .bind(day_text(to))
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(|(path, pv, uv)| PageStats { path, pv, uv }).collect())
    }

    async fn visitor_record_days(&self) -> CoreResult<Vec<NaiveDate>> {
        let days: Vec<String> = sqlx::query_scalar(
            "SELECT day FROM stats_salts UNION SELECT day FROM stats_visitors
             UNION SELECT day FROM stats_page_visitors ORDER BY day",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        days.iter().map(|d| parse_day(d)).collect::<Result<_, _>>().map_err(db_error)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use inkstone_core::stats::{HitCounts, HitRecord, StatsRepository};

    use crate::SqliteStore;
    use crate::testing::store;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn hit(d: u32, path: &str, visitor: &str) -> HitRecord {
        HitRecord { day: day(d), path: path.into(), visitor: visitor.into() }
    }

    #[tokio::test]
    async fn hits_upsert_daily_and_page_counters() {
        let (_dir, store) = store().await;
        let first = store.record_hit(&hit(1, "/a", "v1")).await.unwrap();
        assert_eq!(
            first,
            HitCounts {
                site_pv: 1,
                site_uv: 1,
                page_pv: 1,
                page_uv: 1,
                total_site_pv: 1,
                total_site_uv: 1,
                total_page_pv: 1
            }
        );
        let again = store.record_hit(&hit(1, "/a", "v1")).await.unwrap();
        assert_eq!((again.site_pv, again.site_uv, again.page_pv, again.page_uv), (2, 1, 2, 1));
        let other_page = store.record_hit(&hit(1, "/b", "v1")).await.unwrap();
        assert_eq!(
            (other_page.site_pv, other_page.site_uv, other_page.page_pv, other_page.page_uv),
            (3, 1, 1, 1)
        );
        let other_visitor = store.record_hit(&hit(1, "/a", "v2")).await.unwrap();
        assert_eq!((other_visitor.site_uv, other_visitor.page_pv, other_visitor.page_uv), (2, 3, 2));
        let next_day = store.record_hit(&hit(2, "/a", "v1")).await.unwrap();
        assert_eq!(
            (
                next_day.site_pv,
                next_day.site_uv,
                next_day.total_site_pv,
                next_day.total_site_uv,
                next_day.total_page_pv
            ),
            (1, 1, 5, 3, 4)
        );

        let days = store.daily_stats(day(1), day(2)).await.unwrap();
        assert_eq!(
            days.iter().map(|d| (d.day, d.pv, d.uv)).collect::<Vec<_>>(),
            vec![(day(1), 4, 2), (day(2), 1, 1)]
        );
        assert_eq!(store.daily_stats(day(2), day(9)).await.unwrap().len(), 1);
        let pages = store.top_pages(day(1), day(2), 10).await.unwrap();
        assert_eq!(
            pages.iter().map(|p| (p.path.as_str(), p.pv, p.uv)).collect::<Vec<_>>(),
            vec![("/a", 4, 3), ("/b", 1, 1)]
        );
        assert_eq!(store.top_pages(day(1), day(1), 1).await.unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_lose_no_count() {
        let (dir, first) = store().await;
        let second = SqliteStore::open(&dir.path().join("test.sqlite")).await.unwrap();
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = if i % 2 == 0 { first.clone() } else { second.clone() };
                tokio::spawn(async move {
                    store.record_hit(&hit(5, "/p", &format!("v{}", i % 10))).await.unwrap()
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let days = first.daily_stats(day(5), day(5)).await.unwrap();
        assert_eq!((days[0].pv, days[0].uv), (40, 10));
        second.close().await;
    }

    #[tokio::test]
    async fn a_new_day_salt_removes_earlier_salts_and_visitors() {
        let (_dir, store) = store().await;
        assert_eq!(store.daily_salt(day(1), "salt-one").await.unwrap(), "salt-one");
        assert_eq!(store.daily_salt(day(1), "ignored").await.unwrap(), "salt-one", "one salt per day");
        store.record_hit(&hit(1, "/a", "v1")).await.unwrap();
        assert_eq!(store.visitor_record_days().await.unwrap(), vec![day(1)]);

        assert_eq!(store.daily_salt(day(2), "salt-two").await.unwrap(), "salt-two");
        assert_eq!(store.visitor_record_days().await.unwrap(), vec![day(2)]);
        // Counters stay.
        assert_eq!(store.daily_stats(day(1), day(1)).await.unwrap()[0].pv, 1);

        store.record_hit(&hit(2, "/a", "v1")).await.unwrap();
        assert_eq!(store.purge_visitors_before(day(2)).await.unwrap(), 0);
        assert_eq!(store.purge_visitors_before(day(3)).await.unwrap(), 3);
        assert!(store.visitor_record_days().await.unwrap().is_empty());
    }
}
