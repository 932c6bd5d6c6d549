//! Webhooks and their deliveries.

use inkstone_core::webhooks::WebhookRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl WebhookRepository for SqliteStore {}
