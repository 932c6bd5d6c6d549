//! Rate-limit windows and captcha challenges, kept in the database so every process using
//! it counts and answers against the same rows.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use inkstone_core::CoreResult;
use inkstone_core::ports::{AbuseRepository, CaptchaChallenge, RateWindow};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, db_error, from_millis, to_millis};

fn window_from_row(row: &SqliteRow) -> Result<RateWindow, sqlx::Error> {
    Ok(RateWindow { count: row.try_get("count")?, window_start: from_millis(row.try_get("window_start")?) })
}

fn challenge_from_row(row: &SqliteRow) -> Result<CaptchaChallenge, sqlx::Error> {
    Ok(CaptchaChallenge {
        id: row.try_get("id")?,
        answer_hash: row.try_get("answer_hash")?,
        expires_at: from_millis(row.try_get("expires_at")?),
    })
}

#[async_trait]
impl AbuseRepository for SqliteStore {
    async fn hit_rate_limit(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> CoreResult<RateWindow> {
        // One upsert, so concurrent hits (from this process or another) never lose a count.
        // Both CASEs read the row as it was before the update. A window has passed once
        // `now - window_start >= window`.
        let row = sqlx::query(
            "INSERT INTO rate_limits (key, count, window_start) VALUES (?1, 1, ?2)
             ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
                window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(to_millis(now))
        .bind(window.num_milliseconds())
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        window_from_row(&row).map_err(db_error)
    }

    async fn peek_rate_limit(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> CoreResult<Option<RateWindow>> {
        let row =
            sqlx::query("SELECT count, window_start FROM rate_limits WHERE key = ? AND window_start > ?")
                .bind(key)
                .bind(to_millis(now) - window.num_milliseconds())
                .fetch_optional(&self.read)
                .await
                .map_err(db_error)?;
        row.as_ref().map(window_from_row).transpose().map_err(db_error)
    }

    async fn clear_rate_limit(&self, key: &str) -> CoreResult<()> {
        sqlx::query("DELETE FROM rate_limits WHERE key = ?")
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete_stale_rate_limits(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < ?")
            .bind(to_millis(before))
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn insert_captcha(&self, challenge: CaptchaChallenge) -> CoreResult<()> {
        sqlx::query("INSERT INTO captcha_challenges (id, answer_hash, expires_at) VALUES (?, ?, ?)")
            .bind(&challenge.id)
            .bind(&challenge.answer_hash)
            .bind(to_millis(challenge.expires_at))
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn take_captcha(&self, id: &str, now: DateTime<Utc>) -> CoreResult<Option<CaptchaChallenge>> {
        // Deleting and returning in one statement makes the challenge single-use even when
        // two answers race. An expired one is deleted too: it can never be answered.
        let row =
            sqlx::query("DELETE FROM captcha_challenges WHERE id = ? RETURNING id, answer_hash, expires_at")
                .bind(id)
                .fetch_optional(&self.write)
                .await
                .map_err(db_error)?;
        let challenge = row.as_ref().map(challenge_from_row).transpose().map_err(db_error)?;
        Ok(challenge.filter(|c| c.expires_at > now))
    }

    async fn delete_expired_captchas(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM captcha_challenges WHERE expires_at <= ?")
            .bind(to_millis(now))
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use inkstone_core::ports::{AbuseRepository, CaptchaChallenge, RateWindow};

    use crate::SqliteStore;
    use crate::testing::{at, store};

    const MINUTE: Duration = Duration::minutes(1);

    #[tokio::test]
    async fn rate_limit_window_resets_after_it_passes() {
        let (_dir, store) = store().await;
        assert_eq!(store.peek_rate_limit("ip:a", MINUTE, at(0)).await.unwrap(), None);
        assert_eq!(
            store.hit_rate_limit("ip:a", MINUTE, at(0)).await.unwrap(),
            RateWindow { count: 1, window_start: at(0) }
        );
        assert_eq!(store.hit_rate_limit("ip:a", MINUTE, at(30)).await.unwrap().count, 2);
        assert_eq!(store.hit_rate_limit("ip:b", MINUTE, at(30)).await.unwrap().count, 1);
        let last_moment = at(60) - Duration::milliseconds(1);
        assert_eq!(
            store.peek_rate_limit("ip:a", MINUTE, last_moment).await.unwrap(),
            Some(RateWindow { count: 2, window_start: at(0) })
        );
        assert_eq!(store.hit_rate_limit("ip:a", MINUTE, last_moment).await.unwrap().count, 3);

        // At exactly one window after its start the window has passed.
        assert_eq!(store.peek_rate_limit("ip:a", MINUTE, at(60)).await.unwrap(), None);
        assert_eq!(
            store.hit_rate_limit("ip:a", MINUTE, at(60)).await.unwrap(),
            RateWindow { count: 1, window_start: at(60) }
        );
        assert_eq!(store.hit_rate_limit("ip:a", MINUTE, at(61)).await.unwrap().count, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_are_all_counted() {
        let (dir, first) = store().await;
        // A second store on the same file stands for a second process: its own writer
        // connection competes for the database lock.
        let second = SqliteStore::open(&dir.path().join("test.sqlite")).await.unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = if i % 2 == 0 { first.clone() } else { second.clone() };
                tokio::spawn(async move { store.hit_rate_limit("login:alice", MINUTE, at(1)).await.unwrap() })
            })
            .collect();
        let mut counts = Vec::new();
        for task in tasks {
            counts.push(task.await.unwrap().count);
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=50).collect::<Vec<i64>>());
        let window = first.peek_rate_limit("login:alice", MINUTE, at(2)).await.unwrap();
        assert_eq!(window, Some(RateWindow { count: 50, window_start: at(1) }));
        second.close().await;
    }

    #[tokio::test]
    async fn rate_limits_are_cleared_and_stale_ones_deleted() {
        let (_dir, store) = store().await;
        store.hit_rate_limit("a", MINUTE, at(0)).await.unwrap();
        store.hit_rate_limit("b", MINUTE, at(10)).await.unwrap();
        store.hit_rate_limit("c", MINUTE, at(20)).await.unwrap();
        store.clear_rate_limit("c").await.unwrap();
        assert_eq!(store.peek_rate_limit("c", MINUTE, at(20)).await.unwrap(), None);
        assert_eq!(store.delete_stale_rate_limits(at(10)).await.unwrap(), 1);
        assert_eq!(store.peek_rate_limit("a", MINUTE, at(20)).await.unwrap(), None);
        assert!(store.peek_rate_limit("b", MINUTE, at(20)).await.unwrap().is_some());
    }

    fn challenge(id: &str, expires_at: i64) -> CaptchaChallenge {
        CaptchaChallenge {
            id: id.to_string(),
            answer_hash: format!("answer-{id}"),
            expires_at: at(expires_at),
        }
    }

    #[tokio::test]
    async fn a_captcha_is_taken_once_and_not_after_expiry() {
        let (_dir, store) = store().await;
        store.insert_captcha(challenge("one", 300)).await.unwrap();
        store.insert_captcha(challenge("two", 300)).await.unwrap();

        assert_eq!(store.take_captcha("one", at(299)).await.unwrap(), Some(challenge("one", 300)));
        assert_eq!(store.take_captcha("one", at(299)).await.unwrap(), None);
        assert_eq!(store.take_captcha("two", at(300)).await.unwrap(), None);
        // An expired challenge is gone even for an earlier clock.
        assert_eq!(store.take_captcha("two", at(0)).await.unwrap(), None);
        assert_eq!(store.take_captcha("unknown", at(0)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn expired_captchas_are_deleted() {
        let (_dir, store) = store().await;
        store.insert_captcha(challenge("old", 100)).await.unwrap();
        store.insert_captcha(challenge("new", 300)).await.unwrap();
        assert_eq!(store.delete_expired_captchas(at(100)).await.unwrap(), 1);
        assert!(store.take_captcha("new", at(100)).await.unwrap().is_some());
    }
}
