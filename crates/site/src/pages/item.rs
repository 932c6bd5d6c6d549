//! A post or page on its own page, the redirects that lead to it (other permalink
//! shapes, former slugs, redirect links) and the password form of protected items.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::Duration;
use inkstone_core::abuse::{ip_subject, limits};
use inkstone_core::content::ItemView;
use inkstone_core::model::{Item, ItemKind};
use inkstone_core::{Actor, ErrorCode};
use minijinja::value::Value;
use percent_encoding::percent_decode_str;

use crate::reader::{PageOutput, Reader, SiteError, core_message};
use crate::views::{PostFull, PostSummary};
use crate::{interact, seo, urls};

/// Name prefix of the cookies that hold a protected item's password, sealed under the
/// server key: `inkstone_unlock_{item id}`.
pub const UNLOCK_COOKIE_PREFIX: &str = "inkstone_unlock_";

/// How long an unlock cookie (and the sealed password in it) lasts.
const UNLOCK_TTL_SECS: i64 = 24 * 60 * 60;

/// The unlock cookie's name for item `id`.
pub fn unlock_cookie_name(id: i64) -> String {
    format!("{UNLOCK_COOKIE_PREFIX}{id}")
}

fn unlock_purpose(id: i64) -> String {
    format!("site-unlock:{id}")
}

/// `GET /posts/{slug}`, `/archives/{slug}`: a post (any permalink shape answers).
pub(super) async fn post_at(reader: Reader, Path(slug): Path<String>) -> Response {
    let result = item_page(&reader, ItemKind::Post, &slug).await;
    reader.finish(result).await
}

/// Whether `year`/`month` are the first segments of a dated permalink (`2024/05`).
pub(super) fn is_dated(year: &str, month: &str) -> bool {
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && month.len() == 2
        && month.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
}

/// `GET /{slug}`, `/pages/{slug}`: a page.
pub(super) async fn page_at(reader: Reader, Path(slug): Path<String>) -> Response {
    let result = item_page(&reader, ItemKind::Page, &slug).await;
    reader.finish(result).await
}

/// Whether the reader sent any unlock cookie: their pages may differ from the shared ones.
fn has_unlock_cookie(reader: &Reader) -> bool {
    reader
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(UNLOCK_COOKIE_PREFIX))
}

/// The request's query, `?` included, or nothing.
fn query_suffix(reader: &Reader) -> String {
    reader.uri.query().map(|q| format!("?{q}")).unwrap_or_default()
}

fn decoded(path: &str) -> String {
    percent_decode_str(path).decode_utf8_lossy().into_owned()
}

pub(super) async fn item_page(reader: &Reader, kind: ItemKind, slug: &str) -> Result<Response, SiteError> {
    let unlocking = has_unlock_cookie(reader);
    if !unlocking && let Some(hit) = reader.cached() {
        return Ok(hit);
    }
    let view = match reader.core.get_item_by_slug(&reader.actor, kind, slug, None).await {
        Ok(view) => view,
        Err(err) if err.code == ErrorCode::NotFound => {
            let moved = reader.core.item_by_former_slug(&reader.actor, kind, slug).await?;
            return match moved {
                Some(item) => Err(SiteError::Redirect {
                    to: format!("{}{}", urls::item_path(&item, &reader.settings), query_suffix(reader)),
                    permanent: true,
                }),
                None => Err(SiteError::NotFound),
            };
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(to) = view.item.redirect_url.as_deref().filter(|to| !to.trim().is_empty()) {
        return Err(SiteError::Redirect { to: to.to_string(), permanent: false });
    }
    let canonical = urls::item_path(&view.item, &reader.settings);
    if decoded(reader.uri.path()) != decoded(&canonical) {
        return Err(SiteError::Redirect {
            to: format!("{canonical}{}", query_suffix(reader)),
            permanent: true,
        });
    }
    let (view, unlocked) =
        if view.locked && unlocking { unlock_with_cookie(reader, view).await? } else { (view, false) };
    render_item(reader, &view, unlocked, None).await
}

/// The item read with the password in the reader's unlock cookie, when it opens and is
/// still right.
async fn unlock_with_cookie(reader: &Reader, view: ItemView) -> Result<(ItemView, bool), SiteError> {
    let id = view.item.id;
    let password = inkstone_http::cookie(&reader.headers, &unlock_cookie_name(id))
        .and_then(|sealed| reader.core.open_ticket(&unlock_purpose(id), sealed));
    let Some(password) = password else { return Ok((view, false)) };
    let opened = reader.core.get_item(&reader.actor, id, Some(&password)).await?;
    if opened.locked { Ok((view, false)) } else { Ok((opened, true)) }
}

/// The theme template for an item: `post-{template}.html` / `page-{template}.html` when
/// the item names one the theme has, else `post.html` / `page.html`.
fn item_template(reader: &Reader, item: &Item) -> String {
    let base = if item.kind == ItemKind::Page { "page" } else { "post" };
    let chosen = item.template.as_deref().map(str::trim).filter(|name| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if let Some(name) = chosen {
        let candidate = format!("{base}-{name}.html");
        if reader.theme.has_template(&candidate) {
            return candidate;
        }
    }
    format!("{base}.html")
}

/// The published posts just before and after `item` (older, newer), when it is one.
async fn neighbours(
    reader: &Reader,
    item: &Item,
) -> Result<(Option<PostSummary>, Option<PostSummary>), SiteError> {
    let (older, newer) = reader.core.adjacent_posts(&Actor::Anonymous, item).await?;
    let summary = |view: Option<ItemView>| view.map(|view| PostSummary::new(&view.item, &reader.settings));
    Ok((summary(older), summary(newer)))
}

/// The item's page; `unlock_error` (status, message) shows the password form again with
/// the message.
async fn render_item(
    reader: &Reader,
    view: &ItemView,
    unlocked: bool,
    unlock_error: Option<(StatusCode, String)>,
) -> Result<Response, SiteError> {
    let item = &view.item;
    let post = PostFull::new(view, &reader.settings);
    let comments =
        if view.locked { Value::UNDEFINED } else { interact::comment_section(reader, item).await? };
    let (older, newer) = neighbours(reader, item).await?;
    let meta = seo::post_meta(reader, &post);
    let context = minijinja::context! {
        meta => meta,
        comments => comments,
        like_target => minijinja::context! { kind => "post", id => item.id, count => item.like_count },
        older => older,
        newer => newer,
        unlock_error => unlock_error.as_ref().map(|(_, message)| message.clone()),
        post => post,
    };
    let mut page = PageOutput::new(item_template(reader, item), context);
    page.canonical = Some(urls::item_path(item, &reader.settings));
    if unlocked {
        page.shared = false;
    }
    if let Some((status, _)) = unlock_error {
        page.status = status;
        page.shared = false;
    }
    reader.respond(page)
}

/// The fields of the unlock form.
#[derive(Debug, Default)]
struct UnlockForm {
    token: String,
    item_id: String,
    password: String,
}

impl UnlockForm {
    fn parse(body: &[u8]) -> UnlockForm {
        let mut form = UnlockForm::default();
        for (name, value) in form_urlencoded::parse(body) {
            match name.as_ref() {
                "_token" => form.token = value.into_owned(),
                "item_id" => form.item_id = value.into_owned(),
                "password" => form.password = value.into_owned(),
                _ => {}
            }
        }
        form
    }
}

/// `POST /interact/unlock` (`_token`, `item_id`, `password`): a right password sets the
/// item's unlock cookie (HttpOnly, SameSite=Lax, one day) and answers 303 to the item; a
/// wrong one shows the form again (403) and counts against
/// [`limits::ITEM_PASSWORD_FAILURES_PER_IP`] (429 once locked out).
pub(super) async fn unlock(reader: Reader, body: Bytes) -> Response {
    let result = unlock_page(&reader, UnlockForm::parse(&body)).await;
    reader.finish(result).await
}

async fn unlock_page(reader: &Reader, form: UnlockForm) -> Result<Response, SiteError> {
    reader.verify_form(&form.token)?;
    let id: i64 = form.item_id.trim().parse().map_err(|_| SiteError::NotFound)?;
    let view = reader.core.get_item(&reader.actor, id, None).await?;
    let path = urls::item_path(&view.item, &reader.settings);
    if !view.locked {
        return Ok(Redirect::to(&path).into_response());
    }
    let limit = limits::ITEM_PASSWORD_FAILURES_PER_IP;
    let subject = reader.ip.map(ip_subject).unwrap_or_else(|| "unknown".to_string());
    if let Err(err) = reader.core.check_lockout(&limit, &subject).await {
        let message = core_message(&err, reader.locale);
        return render_item(reader, &view, false, Some((StatusCode::TOO_MANY_REQUESTS, message))).await;
    }
    let opened = if form.password.is_empty() {
        None
    } else {
        Some(reader.core.get_item(&reader.actor, id, Some(&form.password)).await?).filter(|v| !v.locked)
    };
    if opened.is_none() {
        let locked_out = reader.core.count_failure(&limit, &subject).await?;
        let (status, message) = if locked_out {
            (StatusCode::TOO_MANY_REQUESTS, reader.text("unlock.locked_out"))
        } else {
            (StatusCode::FORBIDDEN, reader.text("unlock.wrong"))
        };
        return render_item(reader, &view, false, Some((status, message))).await;
    }
    let sealed =
        reader.core.seal_ticket(&unlock_purpose(id), &form.password, Duration::seconds(UNLOCK_TTL_SECS));
    let secure = if reader.state.app.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{}={sealed}; Path=/; Max-Age={UNLOCK_TTL_SECS}; HttpOnly; SameSite=Lax{secure}",
        unlock_cookie_name(id)
    );
    let mut response = Redirect::to(&path).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
