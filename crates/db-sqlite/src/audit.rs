//! The security event log.

use async_trait::async_trait;
use inkstone_core::ports::{AuditEvent, AuditQuery, AuditRepository, NewAuditEvent};
use inkstone_core::{CoreError, CoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{SqliteStore, db_error, from_millis, to_millis};

fn event_from_row(row: &SqliteRow) -> Result<AuditEvent, sqlx::Error> {
    let detail: String = row.try_get("detail")?;
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: from_millis(row.try_get("at")?),
        event: row.try_get("event")?,
        user_id: row.try_get("user_id")?,
        credential: row.try_get("credential")?,
        ip: row.try_get("ip")?,
        target: row.try_get("target")?,
        detail: serde_json::from_str(&detail).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
    })
}

fn push_filters(builder: &mut QueryBuilder<'_, Sqlite>, query: &AuditQuery) {
    builder.push(" FROM audit_log WHERE 1 = 1");
    match query.event.as_deref() {
        // A prefix `login.` is the range [`login.`, `login/`): `/` follows `.` in every
        // encoding, and a range, unlike LIKE or GLOB, has no characters to escape and
        // walks the event index.
        Some(prefix) if prefix.ends_with('.') => {
            let upper = format!("{}/", &prefix[..prefix.len() - 1]);
            builder.push(" AND event >= ").push_bind(prefix.to_string());
            builder.push(" AND event < ").push_bind(upper);
        }
        Some(event) => {
            builder.push(" AND event = ").push_bind(event.to_string());
        }
        None => {}
    }
    if let Some(user_id) = query.user_id {
        builder.push(" AND user_id = ").push_bind(user_id);
    }
}

#[async_trait]
impl AuditRepository for SqliteStore {
    async fn insert_audit_event(&self, event: NewAuditEvent) -> CoreResult<()> {
        let detail = serde_json::to_string(&event.detail).map_err(CoreError::internal)?;
        sqlx::query(
            "INSERT INTO audit_log (at, event, user_id, credential, ip, target, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(to_millis(event.at))
        .bind(&event.event)
        .bind(event.user_id)
        .bind(&event.credential)
        .bind(&event.ip)
        .bind(&event.target)
        .bind(detail)
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn audit_events(&self, query: &AuditQuery) -> CoreResult<(Vec<AuditEvent>, i64)> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*)");
        push_filters(&mut count, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?;
        if total == 0 || query.offset >= total {
            return Ok((Vec::new(), total));
        }
        let mut page = QueryBuilder::<Sqlite>::new("SELECT *");
        push_filters(&mut page, query);
        page.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(query.limit)
            .push(" OFFSET ")
            .push_bind(query.offset);
        let rows = page.build().fetch_all(&self.read).await.map_err(db_error)?;
        let events = rows.iter().map(event_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((events, total))
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::ports::{AuditQuery, AuditRepository, NewAuditEvent};
    use serde_json::json;

    use crate::testing::{at, store};

    fn event(secs: i64, name: &str, user_id: Option<i64>) -> NewAuditEvent {
        NewAuditEvent {
            at: at(secs),
            event: name.to_string(),
            user_id,
            credential: user_id.map(|_| "session".to_string()),
            ip: Some("192.0.2.1".into()),
            target: Some(format!("event:{secs}")),
            detail: json!({ "n": secs }),
        }
    }

    fn query(event: Option<&str>, user_id: Option<i64>) -> AuditQuery {
        AuditQuery { event: event.map(str::to_string), user_id, offset: 0, limit: 100 }
    }

    #[tokio::test]
    async fn audit_events_filter_by_event_prefix_and_user_newest_first() {
        let (_dir, store) = store().await;
        // Inserted out of time order: the page is ordered by time, not by insertion.
        let events = [
            event(3, "login.failed", Some(1)),
            event(1, "login.succeeded", Some(1)),
            event(2, "login.failed", None),
            event(4, "logout", Some(2)),
            event(5, "login", Some(2)),
            event(6, "login_other.x", Some(2)),
            event(7, "api_key.created", Some(1)),
        ];
        for e in &events {
            store.insert_audit_event(e.clone()).await.unwrap();
        }
        let times = |q: AuditQuery| {
            let store = store.clone();
            async move {
                let (page, total) = store.audit_events(&q).await.unwrap();
                (page.iter().map(|e| e.at.timestamp() - 1_700_000_000).collect::<Vec<_>>(), total)
            }
        };

        assert_eq!(times(query(None, None)).await, (vec![7, 6, 5, 4, 3, 2, 1], 7));
        assert_eq!(times(query(Some("login.failed"), None)).await, (vec![3, 2], 2));
        assert_eq!(times(query(Some("login."), None)).await, (vec![3, 2, 1], 3));
        assert_eq!(times(query(Some("login"), None)).await, (vec![5], 1));
        assert_eq!(times(query(Some("log"), None)).await, (vec![], 0));
        assert_eq!(times(query(None, Some(1))).await, (vec![7, 3, 1], 3));
        assert_eq!(times(query(Some("login."), Some(1))).await, (vec![3, 1], 2));

        let paged = AuditQuery { offset: 2, limit: 2, ..query(None, None) };
        assert_eq!(times(paged).await, (vec![5, 4], 7));
        let beyond = AuditQuery { offset: 7, limit: 2, ..query(None, None) };
        assert_eq!(times(beyond).await, (vec![], 7));

        let (page, _) = store.audit_events(&query(Some("api_key.created"), None)).await.unwrap();
        let stored = &page[0];
        assert_eq!(stored.event, "api_key.created");
        assert_eq!(stored.user_id, Some(1));
        assert_eq!(stored.credential.as_deref(), Some("session"));
        assert_eq!(stored.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(stored.target.as_deref(), Some("event:7"));
        assert_eq!(stored.detail, json!({ "n": 7 }));
        assert_eq!(stored.at, at(7));
    }
}
