//! Webhooks and their deliveries.

use chrono::{DateTime, Utc};
use inkstone_core::events::EventKind;
use inkstone_core::webhooks::{
    AttemptRecord, ClaimedDelivery, DeliveryAttempt, DeliveryStatus, NewWebhook, Webhook, WebhookDelivery,
    WebhookPatch, WebhookRepository,
};
use inkstone_core::{CoreError, CoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, db_error, from_millis, to_millis};

/// Every webhook column, with its events as one space-separated text.
const WEBHOOK_COLUMNS: &str = "w.id, w.url, w.active, w.description, w.secret_sealed, w.created_by, \
     w.created_at, w.updated_at, \
     (SELECT group_concat(e.event, ' ') FROM webhook_events e WHERE e.webhook_id = w.id) AS events";

fn webhook_from_row(row: &SqliteRow) -> Result<Webhook, sqlx::Error> {
    let events: Option<String> = row.try_get("events")?;
    let events: Vec<EventKind> = events.unwrap_or_default().split(' ').filter_map(EventKind::parse).collect();
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        // Stored in any order; shown in declaration order.
        events: EventKind::ALL.iter().copied().filter(|k| events.contains(k)).collect(),
        active: row.try_get("active")?,
        description: row.try_get("description")?,
        secret_sealed: row.try_get("secret_sealed")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn optional_millis(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
}

fn delivery_from_row(row: &SqliteRow) -> Result<WebhookDelivery, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(WebhookDelivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event: row.try_get("event")?,
        body: row.try_get("body")?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: row.try_get("attempts")?,
        next_attempt_at: optional_millis(row, "next_attempt_at")?,
        created_at: from_millis(row.try_get("created_at")?),
        completed_at: optional_millis(row, "completed_at")?,
        attempt_log: Vec::new(),
    })
}

fn attempt_from_row(row: &SqliteRow) -> Result<(i64, DeliveryAttempt), sqlx::Error> {
    let status_code: Option<i64> = row.try_get("status_code")?;
    Ok((
        row.try_get("delivery_id")?,
        DeliveryAttempt {
            attempt: row.try_get("attempt")?,
            at: from_millis(row.try_get("at")?),
            status_code: status_code.and_then(|c| u16::try_from(c).ok()),
            duration_ms: row.try_get("duration_ms")?,
            error: row.try_get("error")?,
            response_body: row.try_get("response_body")?,
        },
    ))
}

/// Puts each attempt under its delivery (attempts come ordered by delivery and number).
fn attach_attempts(deliveries: &mut [WebhookDelivery], attempts: Vec<(i64, DeliveryAttempt)>) {
    for (delivery_id, attempt) in attempts {
        if let Some(delivery) = deliveries.iter_mut().find(|d| d.id == delivery_id) {
            delivery.attempt_log.push(attempt);
        }
    }
}

async fn insert_events(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    webhook_id: i64,
    events: &[EventKind],
) -> CoreResult<()> {
    for kind in events {
        sqlx::query("INSERT INTO webhook_events (event, webhook_id) VALUES (?, ?)")
            .bind(kind.as_str())
            .bind(webhook_id)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

impl SqliteStore {
    async fn webhook_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        id: i64,
    ) -> CoreResult<Option<Webhook>> {
        let row = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = ?"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_error)?;
        row.as_ref().map(webhook_from_row).transpose().map_err(db_error)
    }
}

#[async_trait::async_trait]
impl WebhookRepository for SqliteStore {
    async fn insert_webhook(&self, webhook: NewWebhook) -> CoreResult<Webhook> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (url, active, description, secret_sealed, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&webhook.url)
        .bind(webhook.active)
        .bind(&webhook.description)
        .bind(&webhook.secret_sealed)
        .bind(webhook.created_by)
        .bind(to_millis(webhook.created_at))
        .bind(to_millis(webhook.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        insert_events(&mut tx, id, &webhook.events).await?;
        let stored = self.webhook_in(&mut tx, id).await?.ok_or_else(CoreError::not_found)?;
        tx.commit().await.map_err(db_error)?;
        Ok(stored)
    }

    async fn webhooks(&self) -> CoreResult<Vec<Webhook>> {
        let rows = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks w ORDER BY w.id DESC"))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(webhook_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn webhook_by_id(&self, id: i64) -> CoreResult<Option<Webhook>> {
        let row = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(webhook_from_row).transpose().map_err(db_error)
    }

    async fn update_webhook(&self, id: i64, patch: WebhookPatch) -> CoreResult<Webhook> {
        let mut tx = self.begin_write().await?;
        // One statement: a NULL parameter leaves its column as it is.
        let done = sqlx::query(
            "UPDATE webhooks SET url = COALESCE(?, url), active = COALESCE(?, active),
                description = COALESCE(?, description), secret_sealed = COALESCE(?, secret_sealed),
                updated_at = COALESCE(?, updated_at)
             WHERE id = ?",
        )
        .bind(&patch.url)
        .bind(patch.active)
        .bind(&patch.description)
        .bind(&patch.secret_sealed)
        .bind(patch.updated_at.map(to_millis))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Err(CoreError::not_found());
        }
        if let Some(events) = &patch.events {
            sqlx::query("DELETE FROM webhook_events WHERE webhook_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            insert_events(&mut tx, id, events).await?;
        }
        let stored = self.webhook_in(&mut tx, id).await?.ok_or_else(CoreError::not_found)?;
        tx.commit().await.map_err(db_error)?;
        Ok(stored)
    }

    async fn delete_webhook(&self, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn queue_webhook_deliveries(&self, event: &str, body: &str, at: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event, body, status, attempts, next_attempt_at, created_at)
             SELECT w.id, ?1, ?2, 'pending', 0, ?3, ?3
             FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id
             WHERE e.event = ?1 AND w.active = 1",
        )
        .bind(event)
        .bind(body)
        .bind(to_millis(at))
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn insert_webhook_delivery(
        &self,
        webhook_id: i64,
        event: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<WebhookDelivery> {
        let row = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event, body, status, attempts, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4) RETURNING *",
        )
        .bind(webhook_id)
        .bind(event)
        .bind(body)
        .bind(to_millis(at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        delivery_from_row(&row).map_err(db_error)
    }

    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> CoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?
             WHERE id IN (
                SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.active = 1
                ORDER BY d.next_attempt_at, d.id LIMIT ?)
             RETURNING id, webhook_id, event, body, attempts",
        )
        .bind(to_millis(lease_until))
        .bind(to_millis(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        let mut out = Vec::with_capacity(claimed.len());
        for row in &claimed {
            let webhook_id: i64 = row.try_get("webhook_id").map_err(db_error)?;
            let (url, secret_sealed): (String, String) =
                sqlx::query_as("SELECT url, secret_sealed FROM webhooks WHERE id = ?")
                    .bind(webhook_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
            out.push(ClaimedDelivery {
                id: row.try_get("id").map_err(db_error)?,
                webhook_id,
                event: row.try_get("event").map_err(db_error)?,
                body: row.try_get("body").map_err(db_error)?,
                attempt: row.try_get("attempts").map_err(db_error)?,
                url,
                secret_sealed,
            });
        }
        tx.commit().await.map_err(db_error)?;
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    async fn record_webhook_attempt(&self, record: AttemptRecord) -> CoreResult<()> {
        let attempt = &record.attempt;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO webhook_attempts
                (delivery_id, attempt, at, status_code, duration_ms, error, response_body)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(record.delivery_id)
        .bind(attempt.attempt)
        .bind(to_millis(attempt.at))
        .bind(attempt.status_code.map(i64::from))
        .bind(attempt.duration_ms)
        .bind(&attempt.error)
        .bind(&attempt.response_body)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let completed_at = (record.status != DeliveryStatus::Pending).then(|| to_millis(attempt.at));
        sqlx::query(
            "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, completed_at = ?
             WHERE id = ? AND attempts = ? AND status = 'pending'",
        )
        .bind(record.status.as_str())
        .bind(record.next_attempt_at.map(to_millis))
        .bind(completed_at)
        .bind(record.delivery_id)
        .bind(attempt.attempt)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn webhook_deliveries(
        &self,
        webhook_id: i64,
        offset: i64,
        limit: i64,
    ) -> CoreResult<(Vec<WebhookDelivery>, i64)> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        let rows = sqlx::query(
            "SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        )
        .bind(webhook_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
        let mut deliveries: Vec<WebhookDelivery> =
            rows.iter().map(delivery_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        if let (Some(newest), Some(oldest)) = (deliveries.first(), deliveries.last()) {
            let attempts = sqlx::query(
                "SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
                 WHERE d.webhook_id = ? AND a.delivery_id BETWEEN ? AND ?
                 ORDER BY a.delivery_id, a.attempt",
            )
            .bind(webhook_id)
            .bind(oldest.id)
            .bind(newest.id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
            let attempts =
                attempts.iter().map(attempt_from_row).collect::<Result<_, _>>().map_err(db_error)?;
            attach_attempts(&mut deliveries, attempts);
        }
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?")
            .bind(webhook_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok((deliveries, total))
    }

    async fn webhook_delivery_by_id(&self, id: i64) -> CoreResult<Option<WebhookDelivery>> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        let Some(mut delivery) = row.as_ref().map(delivery_from_row).transpose().map_err(db_error)? else {
            return Ok(None);
        };
        let attempts = sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt")
            .bind(id)
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        let attempts = attempts.iter().map(attempt_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        attach_attempts(std::slice::from_mut(&mut delivery), attempts);
        Ok(Some(delivery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, store};

    fn new_webhook(url: &str, events: &[EventKind], active: bool) -> NewWebhook {
        NewWebhook {
            url: url.into(),
            events: events.to_vec(),
            active,
            description: String::new(),
            secret_sealed: "sealed".into(),
            created_by: None,
            created_at: at(0),
        }
    }

    fn attempt(n: i64, secs: i64, code: Option<u16>) -> DeliveryAttempt {
        DeliveryAttempt {
            attempt: n,
            at: at(secs),
            status_code: code,
            duration_ms: 12,
            error: None,
            response_body: Some("ok".into()),
        }
    }

    #[tokio::test]
    async fn queueing_follows_subscriptions_and_claims_are_exclusive() {
        let (_dir, store) = store().await;
        let published = store
            .insert_webhook(new_webhook(
                "https://a.example/",
                &[EventKind::ItemPublished, EventKind::ItemDeleted],
                true,
            ))
            .await
            .unwrap();
        assert_eq!(published.events, [EventKind::ItemPublished, EventKind::ItemDeleted]);
        let inactive = store
            .insert_webhook(new_webhook("https://b.example/", &[EventKind::ItemPublished], false))
            .await
            .unwrap();
        let other = store
            .insert_webhook(new_webhook("https://c.example/", &[EventKind::CommentCreated], true))
            .await
            .unwrap();

        assert_eq!(store.queue_webhook_deliveries("item.published", "{}", at(10)).await.unwrap(), 1);
        assert_eq!(store.queue_webhook_deliveries("media.uploaded", "{}", at(10)).await.unwrap(), 0);
        assert_eq!(store.webhook_deliveries(inactive.id, 0, 10).await.unwrap().1, 0);
        assert_eq!(store.webhook_deliveries(other.id, 0, 10).await.unwrap().1, 0);

        assert!(store.claim_webhook_deliveries(at(9), at(200), 10).await.unwrap().is_empty(), "not due yet");
        let claimed = store.claim_webhook_deliveries(at(10), at(130), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].attempt, claimed[0].url.as_str()), (1, "https://a.example/"));
        assert!(store.claim_webhook_deliveries(at(20), at(140), 10).await.unwrap().is_empty(), "leased");

        let record = AttemptRecord {
            delivery_id: claimed[0].id,
            attempt: attempt(1, 11, Some(500)),
            status: DeliveryStatus::Pending,
            next_attempt_at: Some(at(71)),
        };
        store.record_webhook_attempt(record).await.unwrap();
        let again = store.claim_webhook_deliveries(at(71), at(191), 10).await.unwrap();
        assert_eq!(again[0].attempt, 2);
        let record = AttemptRecord {
            delivery_id: claimed[0].id,
            attempt: attempt(2, 72, Some(204)),
            status: DeliveryStatus::Succeeded,
            next_attempt_at: None,
        };
        store.record_webhook_attempt(record).await.unwrap();
        let delivery = store.webhook_delivery_by_id(claimed[0].id).await.unwrap().unwrap();
        assert_eq!(delivery.status, DeliveryStatus::Succeeded);
        assert_eq!((delivery.next_attempt_at, delivery.completed_at), (None, Some(at(72))));
        let codes: Vec<Option<u16>> = delivery.attempt_log.iter().map(|a| a.status_code).collect();
        assert_eq!(codes, [Some(500), Some(204)]);

        let patched = store
            .update_webhook(
                published.id,
                WebhookPatch { events: Some(vec![EventKind::MediaUploaded]), ..WebhookPatch::default() },
            )
            .await
            .unwrap();
        assert_eq!(patched.events, [EventKind::MediaUploaded]);
        assert_eq!(store.queue_webhook_deliveries("item.published", "{}", at(80)).await.unwrap(), 0);
        assert!(store.delete_webhook(published.id).await.unwrap());
        assert!(store.webhook_delivery_by_id(claimed[0].id).await.unwrap().is_none(), "log goes with it");
        assert_eq!(
            store.update_webhook(9999, WebhookPatch::default()).await.unwrap_err().code,
            inkstone_core::ErrorCode::NotFound
        );
    }
}
