//! Pure text functions for Inkstone: Markdown and HTML rendering (always sanitized),
//! excerpts, slugs, front matter of imported files and search segmentation.
//!
//! Nothing here touches I/O, a database or the clock; every function is deterministic.

pub mod excerpt;
pub mod front_matter;
pub mod markdown;
pub mod sanitize;
pub mod search;
pub mod slug;
pub mod text;

pub use excerpt::auto_excerpt;
pub use markdown::{Rendered, SourceFormat, render};
pub use sanitize::sanitize_html;
pub use search::Segmenter;
pub use slug::slugify;
