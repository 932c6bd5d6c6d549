//! Comments: threads, guest and user comments, moderation, per-item numbering, exact counts.

use async_trait::async_trait;

/// Comments and their per-item numbering and counts.
#[async_trait]
pub trait CommentRepository: Send + Sync {}
