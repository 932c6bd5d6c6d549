//! Notifications: written by events and through the API, read and cleared by their recipient.

use async_trait::async_trait;

use crate::Core;
use crate::error::CoreResult;
use crate::events::DomainEvent;

/// Notifications per recipient.
#[async_trait]
pub trait NotificationRepository: Send + Sync {}

impl Core {
    /// Writes the notifications `event` calls for (a comment for the item's author, a
    /// friend-link application for the site's admins).
    pub(crate) async fn notify_on(&self, _event: &DomainEvent) -> CoreResult<()> {
        Ok(())
    }
}
