//! Notifications per recipient.

use inkstone_core::notifications::NotificationRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl NotificationRepository for SqliteStore {}
