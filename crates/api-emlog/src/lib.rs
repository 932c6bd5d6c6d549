//! The emlog pro dialect, wire-compatible with emlog pro 2.6 (`include/controller/api_controller.php`,
//! `admin/account.php`, `admin/blogger.php`, the front controller's `?action=`):
//!
//! - `/?rest-api=<action>` and `/index.php?rest-api=<action>`: the REST actions. `rest-api`
//!   must be the first query parameter, as in emlog; the gate `emlog.api_enabled` runs
//!   first (every action but `article_list` answers `api is closed` while it is off), then
//!   the action lookup (`api method is not exist`).
//! - `/?action=<action>` and `/index.php?action=<action>`: the front-end form actions
//!   (`addcom`, `likecom`, `addlike`, `unlike`).
//! - `/admin/account.php?action=…` and `/admin/blogger.php?action=…`: sign-in, sign-up,
//!   password reset, profile, password and avatar.
//!
//! Every reply is the envelope of [`envelope`]. Where Inkstone departs from emlog on
//! purpose, `docs/dialects/emlog.md` says so and why.

pub mod call;
pub mod dates;
pub mod envelope;
pub mod params;
pub mod php;
pub mod urls;

mod accounts;
mod articles;
mod interactions;
mod notes;
mod upload;
mod users;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::any;
use inkstone_http::AppState;

use crate::call::Call;
use crate::envelope::{EmlogError, EmlogResult, respond};

/// Which emlog entry point a `/` or `/index.php` request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// `?rest-api=<action>`
    RestApi(String),
    /// `?action=<action>`
    Action(String),
}

/// The entry point of a request, when its path is `/` or `/index.php` and its **first**
/// query parameter is `rest-api` or `action` (emlog reads only the first).
fn entry_of(uri: &Uri) -> Option<Entry> {
    if !matches!(uri.path(), "/" | "/index.php") {
        return None;
    }
    let (name, value) = form_urlencoded::parse(uri.query()?.as_bytes()).next()?;
    match name.as_ref() {
        "rest-api" => Some(Entry::RestApi(value.into_owned())),
        "action" => Some(Entry::Action(value.into_owned())),
        _ => None,
    }
}

/// Middleware for the whole application: answers `/` and `/index.php` requests meant for
/// emlog (see [`entry_of`]) and passes every other request on, so the site can own `/`.
pub async fn intercept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(entry) = entry_of(request.uri()) else { return next.run(request).await };
    let call = match Call::read(state, request).await {
        Ok(call) => call,
        Err(error) => return respond(Err(error)),
    };
    respond(match entry {
        Entry::RestApi(action) => rest_api(call, &action).await,
        Entry::Action(action) => front_action(call, &action).await,
    })
}

/// `/?rest-api=<action>`: the gate, then the action.
async fn rest_api(call: Call, action: &str) -> EmlogResult {
    if action != "article_list" && !call.core().settings().emlog_api_enabled() {
        return Err(EmlogError::api_closed());
    }
    match action {
        "article_post" => articles::article_post(call).await,
        "article_update" => articles::article_update(call).await,
        "article_list" => articles::article_list(call).await,
        "article_detail" => articles::article_detail(call).await,
        "draft_list" => articles::draft_list(call).await,
        "draft_detail" => articles::draft_detail(call).await,
        "sort_list" => articles::sort_list(call).await,
        "upload" => upload::upload(call).await,
        "note_post" => notes::note_post(call).await,
        "note_list" => notes::note_list(call).await,
        "userinfo" => users::userinfo(call).await,
        "user_detail" => users::user_detail(call).await,
        "comment_list" => interactions::comment_list(call).await,
        "comment_list_simple" => interactions::comment_list_simple(call).await,
        "like_list" => interactions::like_list(call).await,
        "unlike" => interactions::unlike(call).await,
        "collect" => interactions::collect(call).await,
        "uncollect" => interactions::uncollect(call).await,
        "my_collect_list" => interactions::my_collect_list(call).await,
        _ => Err(EmlogError::method_not_exist()),
    }
}

/// `/index.php?action=<action>`: the front-end form actions emlog clients call.
async fn front_action(call: Call, action: &str) -> EmlogResult {
    match action {
        "addcom" => interactions::add_comment(call).await,
        "likecom" => interactions::like_comment(call).await,
        "addlike" => interactions::add_like(call).await,
        "unlike" => interactions::unlike_front(call).await,
        _ => Err(EmlogError::method_not_exist()),
    }
}

async fn account_php(State(state): State<AppState>, request: Request) -> Response {
    match Call::read(state, request).await {
        Ok(call) => accounts::account(call).await,
        Err(error) => respond(Err(error)),
    }
}

async fn blogger_php(State(state): State<AppState>, request: Request) -> Response {
    match Call::read(state, request).await {
        Ok(call) => accounts::blogger(call).await,
        Err(error) => respond(Err(error)),
    }
}

/// The routes of emlog's admin scripts. The `/` and `/index.php` entry points are served
/// by [`intercept`], which the application layers over everything.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin/account.php", any(account_php))
        .route("/admin/blogger.php", any(blogger_php))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(uri: &str) -> Option<Entry> {
        entry_of(&uri.parse().unwrap())
    }

    #[test]
    fn only_a_first_rest_api_or_action_parameter_reaches_emlog() {
        assert_eq!(entry("/?rest-api=article_list&page=2"), Some(Entry::RestApi("article_list".into())));
        assert_eq!(entry("/index.php?rest-api=sort_list"), Some(Entry::RestApi("sort_list".into())));
        assert_eq!(entry("/index.php?action=addcom"), Some(Entry::Action("addcom".into())));
        assert_eq!(entry("/?foo=1&rest-api=article_list"), None);
        assert_eq!(entry("/"), None);
        assert_eq!(entry("/posts?rest-api=article_list"), None);
        assert_eq!(entry("/index.php/api/articles/index?rest-api=x"), None);
    }
}
