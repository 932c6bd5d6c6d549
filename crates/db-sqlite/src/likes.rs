//! Likes, one per liker and target, with the target's count.

use inkstone_core::likes::LikeRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl LikeRepository for SqliteStore {}
