//! Notes (微语): `note_post` and `note_list`.

use inkstone_core::notes::{NewNote, NoteListParams};
use inkstone_core::permission::CredentialKind;
use serde_json::json;

use crate::call::{AuthMode, Call, authenticate};
use crate::dates::smart_date;
use crate::envelope::{EmlogError, EmlogResult, ok};
use crate::params::flag;
use crate::urls::avatar_url;

/// Largest `count` of `note_list` (emlog has no cap; the core pages at most 100).
const MAX_COUNT: i64 = 100;

/// `POST /?rest-api=note_post` (login cookie, else `api_key` or signature): form fields `t`
/// (required, Markdown), `private` (`y`/`n`, default `n`), `author_uid`. Returns
/// `{note_id}` (int).
///
/// The note's author is the caller: the cookie's user, or the API key's user. emlog trusts
/// `author_uid` with a key; Inkstone ignores it (a key would otherwise write as anyone).
///
/// Errors: 401 as [`authenticate`]; 400 `parameter error` without `t`; 403
/// `permission denied` when the caller may not write notes.
pub async fn note_post(call: Call) -> EmlogResult {
    let t = call.form.text("t");
    let private = flag(call.form.raw("private")) == Some(true);
    let actor = authenticate(&call, AuthMode::KeyOrCookie).await?;
    let Some(body) = t else { return Err(EmlogError::parameter()) };
    let view = call.core().create_note(&actor, NewNote { body, private, ..NewNote::default() }).await?;
    ok(json!({ "note_id": view.note.id }))
}

/// `GET /?rest-api=note_list` (login cookie, else `api_key` or signature): `page` (1),
/// `count` (20, at most 100 here), `author_uid` (0 = everyone; with the login cookie,
/// always the cookie's user, as emlog does). Newest first; private notes are never
/// listed.
///
/// `{notes:[{id, t (HTML), t_raw (Markdown), date (smartDate), author_id, author_name,
/// author_avatar, ip}]}`. `ip` is always `""`: Inkstone does not store the address a note
/// was written from.
pub async fn note_list(call: Call) -> EmlogResult {
    let page = call.query.int("page").filter(|p| *p >= 1).unwrap_or(1);
    let count = call.query.int("count").unwrap_or(20).clamp(1, MAX_COUNT);
    let mut author = call.query.int("author_uid").filter(|id| *id > 0);
    let actor = authenticate(&call, AuthMode::KeyOrCookie).await?;
    if let Some(principal) = actor.principal()
        && principal.credential == CredentialKind::Session
    {
        author = Some(principal.user_id);
    }
    let params = NoteListParams { author_id: author, page: Some(page), per_page: Some(count), tag: None };
    let core = call.core();
    // emlog never lists private notes, whoever asks: list as the public sees them, so
    // pages stay full.
    let notes = core.list_notes(&inkstone_core::Actor::Anonymous, params).await?;
    let (now, tz, site) = (core.now(), core.settings().time_zone(), call.site_url());
    let notes: Vec<_> = notes
        .items
        .into_iter()
        .map(|view| {
            let note = view.note;
            json!({
                "id": note.id,
                "t": note.html,
                "t_raw": note.body,
                "date": smart_date(note.created_at, now, tz),
                "author_id": note.author.id,
                "author_name": note.author.display_name,
                "author_avatar": avatar_url(&site, note.author.avatar.as_deref()),
                "ip": "",
            })
        })
        .collect();
    ok(json!({ "notes": notes }))
}
