//! Notes and their tags.

use inkstone_core::notes::NoteRepository;

use crate::SqliteStore;

#[async_trait::async_trait]
impl NoteRepository for SqliteStore {}
