//! Comments and their per-item numbering and counts.

use inkstone_core::comments::CommentRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl CommentRepository for SqliteStore {}
