//! Short notes (emlog 微语, Qexo 说说): Markdown bodies, tags, privacy, free JSON values.

use async_trait::async_trait;

/// Notes and their tags.
#[async_trait]
pub trait NoteRepository: Send + Sync {}
