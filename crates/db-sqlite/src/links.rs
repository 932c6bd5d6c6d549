//! Friend links.

use inkstone_core::links::LinkRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl LinkRepository for SqliteStore {}
