//! Daily page-view counters.

use inkstone_core::stats::StatsRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl StatsRepository for SqliteStore {}
