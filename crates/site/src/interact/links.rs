//! The friend link application form on `/links`, and `POST /links/apply`.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use inkstone_core::links::LinkApplication;
use minijinja::value::Value;
use serde::Serialize;

use super::{CaptchaView, Form, FormError, json, refuse, refused_by_core, see_other, wants_json};
use crate::reader::Reader;

/// Where a reader returns after applying (the notice shows at the form).
pub const APPLIED_LOCATION: &str = "/links?applied=1#apply";

/// The application form's fields: empty, or as sent when the core refused them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct LinkApplyForm {
    pub name: String,
    pub url: String,
    pub image: String,
    pub description: String,
}

/// What `partials/link-apply.html` reads as `link_apply`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinkApplySection {
    /// Whether the site takes applications (`links.applications_open`).
    pub open: bool,
    /// The page was reached after an application was stored (`?applied=1`).
    pub applied: bool,
    /// When `links.application_captcha` is on.
    pub captcha: Option<CaptchaView>,
    pub form: LinkApplyForm,
    pub error: Option<FormError>,
}

fn section(reader: &Reader) -> LinkApplySection {
    let settings = &reader.settings;
    LinkApplySection {
        open: settings.link_applications_open(),
        applied: reader.query("applied").is_some_and(|value| !value.is_empty() && value != "0"),
        captcha: CaptchaView::when(settings.link_application_captcha(), &reader.core),
        form: LinkApplyForm::default(),
        error: None,
    }
}

/// What `partials/link-apply.html` needs, for the `/links` page's context as
/// `link_apply`: whether applications are open, the thank-you notice after one was sent
/// (`?applied=1`), and the captcha when the settings require it. The same for every
/// reader of the same URL, so the page stays shareable.
pub fn link_apply_section(reader: &Reader) -> Value {
    Value::from_serialize(section(reader))
}

/// `POST /links/apply` (`_token`, `name`, `url`, `image`, `description`, and
/// `captcha_answer` when required): stores the application for the admins to review.
///
/// Answers `303` to [`APPLIED_LOCATION`], or with `Accept: application/json` `201
/// {status: "pending", id, message}`. Refused: the form again with the fields kept (400
/// fields or captcha, 403 applications closed, 409 the site is already listed or applied
/// for, 429 too many) or `{error, message, field}`; `403` for a bad `_token`.
pub(super) async fn post_apply(reader: Reader, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let json_wanted = wants_json(&reader.headers);
    if let Err(err) = reader.verify_form(form.get("_token")) {
        return refuse(&reader, json_wanted, err).await;
    }
    let application = LinkApplication {
        name: form.get("name").to_string(),
        url: form.get("url").to_string(),
        image: form.opt("image"),
        description: form.opt("description"),
        captcha: form.captcha(&reader.headers),
    };
    match reader.core.apply_for_link(&reader.actor, application, reader.ip).await {
        Ok(link) if json_wanted => json(
            StatusCode::CREATED,
            serde_json::json!({
                "status": "pending",
                "id": link.id,
                "message": reader.text("links.apply.notice"),
            }),
        ),
        Ok(_) => see_other(APPLIED_LOCATION),
        Err(err) => {
            let mut kept = section(&reader);
            kept.applied = false;
            kept.form = LinkApplyForm {
                name: form.get("name").to_string(),
                url: form.get("url").to_string(),
                image: form.get("image").to_string(),
                description: form.get("description").to_string(),
            };
            let back = minijinja::context! { url => "/links#apply", title => reader.text("nav.links") };
            refused_by_core(&reader, json_wanted, err, move |error| {
                kept.error = Some(error.clone());
                minijinja::context! { back => back, error => error, link_apply => kept }
            })
            .await
        }
    }
}
