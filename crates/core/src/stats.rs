//! Page-view statistics: site PV, site UV and page PV per day, visitors as salted daily hashes.

use async_trait::async_trait;

/// Daily page-view counters.
#[async_trait]
pub trait StatsRepository: Send + Sync {}
