//! Likes on items, comments and notes, by users or anonymous visitors; exact counts.

use async_trait::async_trait;

/// Likes, one per liker and target, with the target's count.
#[async_trait]
pub trait LikeRepository: Send + Sync {}
