//! Friend links and the public application form.

use async_trait::async_trait;

/// Friend links.
#[async_trait]
pub trait LinkRepository: Send + Sync {}
