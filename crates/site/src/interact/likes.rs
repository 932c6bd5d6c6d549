//! `POST /interact/like`: the like button of posts, comments and notes.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use inkstone_core::CoreError;
use inkstone_core::likes::{LikeTarget, Visitor};

use super::{Form, json, refuse, refused_by_core, see_other, wants_json};
use crate::reader::Reader;
use crate::urls;

/// `target_kind` and `target_id` as the core's target: `post` (also `page`, `item`),
/// `comment` or `note`.
fn target(form: &Form) -> Result<LikeTarget, CoreError> {
    let id = form
        .get("target_id")
        .trim()
        .parse::<i64>()
        .map_err(|_| CoreError::invalid("target_id", "not a number", "不是数字"))?;
    match form.get("target_kind").trim() {
        "post" | "page" | "item" => Ok(LikeTarget::Item(id)),
        "comment" => Ok(LikeTarget::Comment(id)),
        "note" => Ok(LikeTarget::Note(id)),
        other => Err(CoreError::invalid(
            "target_kind",
            format!("`{other}` is not one of: post, comment, note"),
            format!("`{other}` 不是可选值之一：post, comment, note"),
        )),
    }
}

/// Where a reader without JavaScript returns after liking `target`: the post and its
/// like form (`#like`), the comment on its post (`#comment-{id}`), the note on the notes
/// page (`/notes#note-{id}`).
async fn back_to(reader: &Reader, target: LikeTarget) -> Result<String, CoreError> {
    let item_path = |item_id: i64| async move {
        let view = reader.core.get_item(&reader.actor, item_id, None).await?;
        Ok::<_, CoreError>(urls::item_path(&view.item, &reader.settings))
    };
    Ok(match target {
        LikeTarget::Item(id) => format!("{}#like", item_path(id).await?),
        LikeTarget::Comment(id) => {
            let comment = reader.core.get_comment(&reader.actor, id).await?;
            format!("{}#comment-{id}", item_path(comment.item_id).await?)
        }
        LikeTarget::Note(id) => format!("/notes#note-{id}"),
    })
}

/// `POST /interact/like` (`_token`, `target_kind`, `target_id`): likes the target as the
/// reader (a signed-in user, else the visitor cookie). Liking again changes nothing.
///
/// Answers `303` back to the target (see [`back_to`]), or with `Accept:
/// application/json` `200 {liked: true, count, changed}`. Refused: `403` bad token, `404`
/// a target the reader may not see, `400` a malformed target, `429` too many likes from
/// one address.
pub(super) async fn post_like(reader: Reader, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let json_wanted = wants_json(&reader.headers);
    if let Err(err) = reader.verify_form(form.get("_token")) {
        return refuse(&reader, json_wanted, err).await;
    }
    let result = async {
        let target = target(&form)?;
        let visitor = Visitor { cookie: reader.visitor.clone(), ip: reader.ip };
        let outcome = reader.core.like(&reader.actor, target, &visitor).await?;
        Ok::<_, CoreError>((target, outcome))
    }
    .await;
    match result {
        Ok((target, outcome)) => {
            if json_wanted {
                return json(
                    StatusCode::OK,
                    serde_json::json!({
                        "liked": outcome.liked,
                        "changed": outcome.changed,
                        "count": outcome.like_count,
                    }),
                );
            }
            match back_to(&reader, target).await {
                Ok(location) => see_other(&location),
                Err(err) => {
                    refused_by_core(&reader, false, err, |error| minijinja::context! { error => error }).await
                }
            }
        }
        Err(err) => {
            refused_by_core(&reader, json_wanted, err, |error| minijinja::context! { error => error }).await
        }
    }
}
