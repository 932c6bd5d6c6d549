//! Media records and groups.

use inkstone_core::media::MediaRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl MediaRepository for SqliteStore {}
