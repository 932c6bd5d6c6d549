//! Media: uploaded files' records, deduplication by SHA-256, groups, ownership.

use async_trait::async_trait;

/// Media records and groups.
#[async_trait]
pub trait MediaRepository: Send + Sync {}
