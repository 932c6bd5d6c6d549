//! The comment thread under an item, its form, and `POST /interact/comment`.

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use inkstone_core::comments::{ClientInfo, CommentListParams, CommentStatus, CommentView, NewComment};
use inkstone_core::model::{Item, ItemStatus, User};
use inkstone_core::{Actor, Core, CoreResult, Settings};
use minijinja::value::Value;
use serde::Serialize;

use super::{CaptchaView, Form, FormError, json, refuse, refused_by_core, safe_url, see_other, wants_json};
use crate::reader::{Reader, SiteError};
use crate::urls;
use crate::views::DateView;

/// Deepest nesting shown: replies that would go deeper are listed, in order, at this level
/// after their ancestor there (deep threads stay readable on a phone and within the
/// template engine's recursion limit).
pub const MAX_DEPTH: usize = 5;
/// Most comments of one item shown on its page (the oldest first).
pub const MAX_THREAD_COMMENTS: i64 = 2_000;

/// Who wrote a comment, as readers see them. URLs are `http(s)` or site paths only.
#[derive(Debug, Clone, Serialize)]
pub struct CommentAuthor {
    pub name: String,
    /// A guest's website (link it with `rel="nofollow ugc noopener"`).
    pub url: Option<String>,
    /// The author page of a signed-in commenter.
    pub profile: Option<String>,
    pub avatar: Option<String>,
}

/// One comment in a thread, with its replies.
#[derive(Debug, Clone, Serialize)]
pub struct CommentNode {
    pub id: i64,
    /// Position in the item's discussion, from 1.
    pub number: i64,
    pub author: CommentAuthor,
    pub date: DateView,
    pub edited: bool,
    /// The core's sanitized HTML (printed with `|safe`).
    pub html: String,
    pub like_count: i64,
    /// The reader's own comment, still waiting for a moderator.
    pub pending: bool,
    pub children: Vec<CommentNode>,
}

/// The comment being answered (`?reply={id}`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplyTo {
    pub id: i64,
    pub author: String,
}

/// The form's fields: empty, or as the reader sent them when the core refused them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CommentForm {
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
}

/// The signed-in reader, who comments under their own name.
#[derive(Debug, Clone, Serialize)]
pub struct CommentingAs {
    pub name: String,
    pub url: String,
}

/// What `partials/comments.html` reads as `comments`.
#[derive(Debug, Clone, Serialize)]
pub struct CommentSection {
    pub item_id: i64,
    /// Site path of the item.
    pub item_url: String,
    pub item_title: String,
    /// Whether the item takes comments (allowed, and published or private).
    pub open: bool,
    /// Comments shown in the thread.
    pub count: usize,
    pub thread: Vec<CommentNode>,
    pub reply_to: Option<ReplyTo>,
    /// After a comment was sent: `approved` or `pending` (also for spam: the honeypot
    /// must not tell bots).
    pub notice: Option<&'static str>,
    /// Required for guests when `comments.captcha` is on.
    pub captcha: Option<CaptchaView>,
    pub viewer: Option<CommentingAs>,
    pub form: CommentForm,
    /// Why the last submission was refused (the form page after a refusal).
    pub error: Option<FormError>,
}

/// What the page's query says to the comment section.
#[derive(Debug, Clone, Default)]
pub struct SectionQuery {
    /// `?reply={id}`: answer this comment.
    pub reply: Option<i64>,
    /// `?comment=approved|pending|spam`: the notice after a comment was sent.
    pub comment: Option<String>,
}

impl SectionQuery {
    fn of(reader: &Reader) -> SectionQuery {
        SectionQuery {
            reply: reader.query("reply").and_then(|id| id.trim().parse().ok()),
            comment: reader.query("comment"),
        }
    }
}

/// The comments `views` (oldest first) as a thread: replies under their parent, up to
/// [`MAX_DEPTH`] levels (deeper replies join the last level, in order); a reply whose
/// parent is not among them starts a thread of its own.
pub fn comment_thread(views: &[CommentView], settings: &Settings) -> Vec<CommentNode> {
    let by_id: HashMap<i64, usize> = views.iter().enumerate().map(|(index, view)| (view.id, index)).collect();
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (index, view) in views.iter().enumerate() {
        match view.parent_id.filter(|parent| *parent != view.id && by_id.contains_key(parent)) {
            Some(parent) => children.entry(parent).or_default().push(index),
            None => roots.push(index),
        }
    }
    // A node has one parent, so nothing reachable from a root is on a cycle: the walks
    // below end.
    fn descendants(
        id: i64,
        children: &HashMap<i64, Vec<usize>>,
        views: &[CommentView],
        out: &mut Vec<usize>,
    ) {
        for &index in children.get(&id).into_iter().flatten() {
            out.push(index);
            descendants(views[index].id, children, views, out);
        }
    }
    fn build(
        index: usize,
        depth: usize,
        children: &HashMap<i64, Vec<usize>>,
        views: &[CommentView],
        settings: &Settings,
    ) -> CommentNode {
        let view = &views[index];
        // Children of a node at `depth` are at `depth + 1`; on the last level every
        // descendant is a child, flat.
        let kids = if depth + 2 < MAX_DEPTH {
            children
                .get(&view.id)
                .into_iter()
                .flatten()
                .map(|&child| build(child, depth + 1, children, views, settings))
                .collect()
        } else {
            let mut flat = Vec::new();
            descendants(view.id, children, views, &mut flat);
            flat.sort_by_key(|&i| (views[i].number, views[i].id));
            flat.into_iter().map(|i| node(&views[i], Vec::new(), settings)).collect()
        };
        node(view, kids, settings)
    }
    roots.into_iter().map(|index| build(index, 0, &children, views, settings)).collect()
}

fn node(view: &CommentView, children: Vec<CommentNode>, settings: &Settings) -> CommentNode {
    let (profile, avatar) = match &view.user {
        Some(user) => (
            Some(urls::author_path(&user.username)),
            user.avatar
                .as_deref()
                .and_then(safe_url)
                .or_else(|| view.author_avatar.as_deref().and_then(safe_url)),
        ),
        None => (None, view.author_avatar.as_deref().and_then(safe_url)),
    };
    CommentNode {
        id: view.id,
        number: view.number,
        author: CommentAuthor {
            name: view.author_name.clone(),
            url: if view.user.is_some() { None } else { view.author_url.as_deref().and_then(safe_url) },
            profile,
            avatar,
        },
        date: DateView::new(view.created_at, settings),
        edited: view.edited_at.is_some(),
        html: view.html.clone(),
        like_count: view.like_count,
        pending: view.status == CommentStatus::Pending,
        children,
    }
}

fn count(nodes: &[CommentNode]) -> usize {
    nodes.iter().map(|node| 1 + count(&node.children)).sum()
}

impl CommentSection {
    /// The section of `item` as `actor` (signed in as `viewer`, if any) sees it: the
    /// comments they may see (approved, and their own pending ones), the reply target and
    /// notice from `query`, and what the form needs.
    ///
    /// Errors: `not_found` when the item is hidden from `actor`; a core failure.
    pub async fn build(
        core: &Core,
        actor: &Actor,
        viewer: Option<&User>,
        item: &Item,
        query: &SectionQuery,
    ) -> CoreResult<CommentSection> {
        let settings = core.settings();
        let mut views: Vec<CommentView> = Vec::new();
        let per_page = inkstone_core::comments::MAX_PER_PAGE;
        for page in 1..=(MAX_THREAD_COMMENTS / per_page) {
            let params = CommentListParams {
                page: Some(page),
                per_page: Some(per_page),
                ..CommentListParams::default()
            };
            let listed = core.item_comments(actor, item.id, params).await?;
            let done = listed.items.len() < per_page as usize || page * per_page >= listed.total;
            // A moderator's listing holds every status; the page shows what readers see.
            views.extend(listed.items.into_iter().filter(|view| match view.status {
                CommentStatus::Approved => true,
                CommentStatus::Pending => {
                    actor.user_id().is_some() && view.user.as_ref().map(|u| u.id) == actor.user_id()
                }
                _ => false,
            }));
            if done {
                break;
            }
        }
        let thread = comment_thread(&views, &settings);
        let reply_to = query
            .reply
            .and_then(|id| views.iter().find(|view| view.id == id))
            .map(|view| ReplyTo { id: view.id, author: view.author_name.clone() });
        let notice = match query.comment.as_deref() {
            Some("approved") => Some("approved"),
            Some("pending" | "spam") => Some("pending"),
            _ => None,
        };
        let guest = actor.user_id().is_none();
        Ok(CommentSection {
            item_id: item.id,
            item_url: urls::item_path(item, &settings),
            item_title: item.title.clone(),
            open: item.comments_allowed && matches!(item.status, ItemStatus::Published | ItemStatus::Private),
            count: count(&thread),
            thread,
            form: CommentForm { parent_id: reply_to.as_ref().map(|r| r.id), ..CommentForm::default() },
            reply_to,
            notice,
            captcha: CaptchaView::when(guest && settings.comment_captcha(), core),
            viewer: viewer.filter(|_| !guest).map(|user| CommentingAs {
                name: if user.display_name.trim().is_empty() {
                    user.username.clone()
                } else {
                    user.display_name.clone()
                },
                url: urls::author_path(&user.username),
            }),
            error: None,
        })
    }
}

/// What `partials/comments.html` needs for an item: its approved comments as a thread,
/// whether and how the reader may comment (form fields, captcha), and the notice after a
/// comment was sent. Put it in the post page's context as `comments`.
///
/// Reads `?reply={id}` (the form answers that comment) and `?comment=approved|pending|spam`
/// (the notice). The value is the same for every anonymous reader of the same URL (the
/// captcha picture loads from its own URL), so the page stays shareable; a signed-in
/// reader also sees their own pending comments.
///
/// Errors: a core failure reading the comments (`NotFound` when the item is hidden).
pub async fn comment_section(reader: &Reader, item: &Item) -> Result<Value, SiteError> {
    let section = CommentSection::build(
        &reader.core,
        &reader.actor,
        reader.viewer.as_ref(),
        item,
        &SectionQuery::of(reader),
    )
    .await?;
    Ok(Value::from_serialize(&section))
}

/// `POST /interact/comment`: a comment on `item_id` (a reply when `parent_id` is set) as
/// the reader, through the core's moderation, honeypot (`website`), captcha and rate
/// limits.
///
/// Answers `303` to `<item>?comment=approved#comment-{id}` or `<item>?comment=pending#comments`;
/// with `Accept: application/json`, `201 {status, id, url, message}`. Refused: the form
/// again (400 fields or captcha, 403 closed, 429 too many) or `{error, message, field}`;
/// `403` for a bad `_token`, `404` for an item the reader may not see.
pub(super) async fn post_comment(reader: Reader, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let json_wanted = wants_json(&reader.headers);
    if let Err(err) = reader.verify_form(form.get("_token")) {
        return refuse(&reader, json_wanted, err).await;
    }
    let not_found = || inkstone_core::CoreError::not_found();
    let item = match form.get("item_id").trim().parse::<i64>() {
        Ok(id) => reader.core.get_item(&reader.actor, id, None).await.map(|view| view.item),
        Err(_) => Err(not_found()),
    };
    let item = match item {
        Ok(item) => item,
        Err(err) => {
            return refused_by_core(
                &reader,
                json_wanted,
                err,
                |error| minijinja::context! { error => error },
            )
            .await;
        }
    };
    let kept = CommentForm {
        parent_id: form.get("parent_id").trim().parse().ok(),
        author_name: form.get("author_name").to_string(),
        author_email: form.get("author_email").to_string(),
        author_url: form.get("author_url").to_string(),
        body: form.get("body").to_string(),
    };
    let parent_id = match form.opt("parent_id") {
        None => None,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let err =
                    inkstone_core::CoreError::invalid("parent_id", "no such comment", "回复的评论不存在");
                return refused(&reader, json_wanted, err, &item, kept).await;
            }
        },
    };
    let input = NewComment {
        parent_id,
        body: form.get("body").to_string(),
        author_name: form.opt("author_name"),
        author_email: form.opt("author_email"),
        author_url: form.opt("author_url"),
        author_avatar: None,
        honeypot: form.opt("website"),
        captcha: form.captcha(&reader.headers),
    };
    let client = ClientInfo {
        ip: reader.ip,
        user_agent: reader.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
    };
    match reader.core.create_comment(&reader.actor, item.id, input, client).await {
        Ok(view) => {
            let path = urls::item_path(&item, &reader.settings);
            let approved = view.status == CommentStatus::Approved;
            let (status, location) = if approved {
                ("approved", format!("{path}?comment=approved#comment-{}", view.id))
            } else {
                ("pending", format!("{path}?comment=pending#comments"))
            };
            if json_wanted {
                let message = reader.text(&format!("comments.notice.{status}"));
                json(
                    StatusCode::CREATED,
                    serde_json::json!({ "status": status, "id": view.id, "url": location, "message": message }),
                )
            } else {
                see_other(&location)
            }
        }
        Err(err) => refused(&reader, json_wanted, err, &item, kept).await,
    }
}

/// The comment form again with the reader's fields and the core's reason.
async fn refused(
    reader: &Reader,
    json_wanted: bool,
    err: inkstone_core::CoreError,
    item: &Item,
    kept: CommentForm,
) -> Response {
    let section = if json_wanted {
        None
    } else {
        let query = SectionQuery { reply: kept.parent_id, comment: None };
        CommentSection::build(&reader.core, &reader.actor, reader.viewer.as_ref(), item, &query).await.ok()
    };
    let back = minijinja::context! {
        url => urls::item_path(item, &reader.settings),
        title => item.title.clone(),
    };
    refused_by_core(reader, json_wanted, err, move |error| {
        let error_copy = error.clone();
        let comments = section.map(|mut section| {
            section.form = CommentForm { parent_id: section.form.parent_id, ..kept };
            section.error = Some(error);
            section
        });
        minijinja::context! { back => back, error => error_copy, comments => comments }
    })
    .await
}
