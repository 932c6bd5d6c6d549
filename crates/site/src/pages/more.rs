//! Pages beside the posts: public notes and friend links.

use axum::response::Response;
use inkstone_core::Actor;
use inkstone_core::links::LinkListParams;
use inkstone_core::notes::NoteListParams;

use super::{list_page, not_beyond_end};
use crate::reader::{PageOutput, Reader, SiteError};
use crate::seo;
use crate::views::{LinkCard, NoteCard, Pager};

/// `GET /notes`: public notes, newest first, `?page=N`.
pub(super) async fn notes(reader: Reader) -> Response {
    let result = notes_page(&reader).await;
    reader.finish(result).await
}

async fn notes_page(reader: &Reader) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let params = NoteListParams { page: Some(list_page(reader)?), ..NoteListParams::default() };
    let page = not_beyond_end(reader.core.list_notes(&Actor::Anonymous, params).await?)?;
    let notes: Vec<NoteCard> =
        page.items.iter().map(|view| NoteCard::new(&view.note, &reader.settings)).collect();
    let last_modified = page.items.iter().map(|view| view.note.updated_at).max();
    let heading = reader.text("notes.heading");
    let context = minijinja::context! {
        notes => notes,
        pager => Pager::new(&page, "/notes", None),
        meta => seo::list_meta(reader, &heading, None),
    };
    reader.respond(PageOutput::new("notes.html", context).last_modified(last_modified))
}

/// `GET /links`: the visible friend links, and the application form.
pub(super) async fn links(reader: Reader) -> Response {
    let result = links_page(&reader).await;
    reader.finish(result).await
}

async fn links_page(reader: &Reader) -> Result<Response, SiteError> {
    if let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let params = LinkListParams { page: Some(list_page(reader)?), ..LinkListParams::default() };
    let page = not_beyond_end(reader.core.list_links(&Actor::Anonymous, params).await?)?;
    let links: Vec<LinkCard> = page.items.iter().map(LinkCard::from).collect();
    let heading = reader.text("links.heading");
    let context = minijinja::context! {
        links => links,
        pager => Pager::new(&page, "/links", None),
        meta => seo::list_meta(reader, &heading, None),
    };
    reader.respond(PageOutput::new("links.html", context))
}
