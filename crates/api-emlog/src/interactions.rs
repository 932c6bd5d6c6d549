//! Comments, likes and favorites: the REST lists (`comment_list`, `comment_list_simple`,
//! `like_list`), `unlike`, the `collect` family, and the front actions `addcom`,
//! `likecom`, `addlike`, `unlike`.
//!
//! Every rule (moderation, captcha, rate limits, who may see what) is the core's; these
//! handlers map emlog's fields and Chinese messages onto it.

use std::collections::HashMap;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use inkstone_core::comments::{ClientInfo, CommentListParams, CommentStatus, CommentView, NewComment};
use inkstone_core::likes::{LikeTarget, LikerProfile, Visitor};
use inkstone_core::{Actor, CoreError, ErrorCode};
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

use crate::call::{AuthMode, Call, authenticate, cookie_session};
use crate::dates::{datetime, smart_date};
use crate::envelope::{EmlogError, EmlogResult, ok, ok_empty};
use crate::php::htmlspecialchars;
use crate::urls::{avatar_url, default_avatar};

/// emlog `comment_pnum`: top-level comments per page of `comment_list` (`comment_paging=y`).
pub const COMMENTS_PER_PAGE: usize = 10;
/// emlog's deepest reply level in `comment_list`; deeper replies move up to their
/// grandparent.
pub const MAX_COMMENT_LEVEL: i64 = 4;
/// The text `addcom` answers when the comment waits for a moderator.
pub const HELD_FOR_REVIEW: &str = "评论成功，请等待管理员审核";
/// emlog's limits on `addcom` fields, in bytes.
const MAX_NAME_BYTES: usize = 100;
const MAX_COMMENT_BYTES: usize = 60_000;
/// Pages of 100 read for lists emlog does not page (comments, likes).
const WHOLE_LIST_PAGES: i64 = 100;

/// The caller of an open action: the login cookie's user when a valid one is sent, else
/// anonymous (a bad cookie on a read is ignored rather than refused).
async fn viewer(call: &Call) -> Actor {
    match cookie_session(call).await {
        Ok(Some(session)) => Actor::User(session.principal),
        _ => Actor::Anonymous,
    }
}

/// The caller of a front form action: the cookie's user, anonymous without a cookie.
///
/// Errors: 401 `auth cookie error` for a bad cookie or one sent from another site.
async fn poster(call: &Call) -> Result<Actor, EmlogError> {
    Ok(cookie_session(call).await?.map(|s| Actor::User(s.principal)).unwrap_or(Actor::Anonymous))
}

/// emlog's bot filter on front actions: an empty user agent, or one naming a bot,
/// crawler, spider or robot, is `非正常请求`.
fn abnormal_agent(call: &Call) -> bool {
    let agent = call.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    let lower = agent.to_ascii_lowercase();
    agent.is_empty() || ["bot", "crawl", "spider", "robot"].iter().any(|word| lower.contains(word))
}

fn user_agent(call: &Call) -> Option<String> {
    call.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The anonymous visitor (cookie `inkstone_visitor`, else the address) and the
/// `Set-Cookie` to send back when the request had no visitor cookie.
fn visitor(call: &Call) -> (Visitor, Option<String>) {
    inkstone_http::visitor(call.headers(), call.client_ip(), call.state.secure_cookies)
}

fn with_set_cookie(result: EmlogResult, cookie: Option<String>) -> EmlogResult {
    let mut response: Response = result?;
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Every approved comment of item `id` the viewer may see, oldest first; empty when the
/// item is missing or hidden from the viewer (emlog lists nothing for an unknown id).
async fn approved_comments(call: &Call, actor: &Actor, id: i64) -> Result<Vec<CommentView>, EmlogError> {
    let mut all = Vec::new();
    for page in 1..=WHOLE_LIST_PAGES {
        let params =
            CommentListParams { page: Some(page), per_page: Some(100), ..CommentListParams::default() };
        let batch = match call.core().item_comments(actor, id, params).await {
            Ok(batch) => batch,
            Err(error) if error.code == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let done = batch.items.len() < 100;
        all.extend(batch.items.into_iter().filter(|c| c.status == CommentStatus::Approved));
        if done {
            break;
        }
    }
    Ok(all)
}

/// The comment's avatar as `comment_list_simple` picks it: its own, the user's photo,
/// cravatar of the e-mail (only when the caller may see the e-mail), the default svg.
fn simple_avatar(site: &str, comment: &CommentView) -> String {
    if let Some(own) = comment.author_avatar.as_deref().filter(|a| !a.is_empty()) {
        return own.to_string();
    }
    if let Some(photo) = comment.user.as_ref().and_then(|u| u.avatar.as_deref()).filter(|a| !a.is_empty()) {
        return avatar_url(site, Some(photo));
    }
    if let Some(mail) = comment.private.as_ref().and_then(|p| p.email.as_deref()) {
        let digest = Md5::digest(mail.trim().to_lowercase().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        return format!("//cravatar.cn/avatar/{hex}?s=120");
    }
    default_avatar(site)
}

/// The reply levels and effective parents of `comments` (oldest first), emlog's rule:
/// a top-level comment (or one whose parent is not listed) is level 0; a reply is its
/// parent's level + 1, and one that would be deeper than [`MAX_COMMENT_LEVEL`] moves up to
/// its grandparent (its `pid` is rewritten).
fn levels(comments: &[CommentView]) -> HashMap<i64, (i64, Option<i64>)> {
    let mut placed: HashMap<i64, (i64, Option<i64>)> = HashMap::new();
    for comment in comments {
        let mut parent = comment.parent_id.filter(|pid| placed.contains_key(pid));
        let mut level = parent.map_or(0, |pid| placed[&pid].0 + 1);
        if level > MAX_COMMENT_LEVEL
            && let Some(pid) = parent
        {
            parent = placed[&pid].1;
            level = parent.map_or(0, |gp| placed[&gp].0 + 1);
        }
        placed.insert(comment.id, (level, parent));
    }
    placed
}

/// `GET /?rest-api=comment_list&id=N[&page=P]` (no auth): emlog `Comment_Model::getComments`
/// `{comments, commentStacks, commentPageUrl}`.
///
/// - `comments`: every approved comment keyed by cid (`[]` when there are none), each with
///   the stored columns as strings (`cid, gid, pid, top, poster, avatar, uid, comment,
///   mail, url, ip, agent, hide, like_count`), `content` (sanitized HTML), `content_text`
///   (the text as written), `date` (smartDate), `children` (int cids) and `level` (int,
///   at most 4).
/// - `commentStacks`: top-level cids (ints), newest first (emlog `comment_order=newer`),
///   10 per page (`page`, default 1).
/// - `commentPageUrl`: HTML page links, `""` for one page.
///
/// `mail`, `ip` and `agent` are `""` unless the caller (login cookie) may moderate the
/// item: emlog shows them to everyone.
///
/// Errors: 400 `parameter error` without `id`.
pub async fn comment_list(call: Call) -> EmlogResult {
    let Some(id) = call.query.int("id").filter(|id| *id > 0) else { return Err(EmlogError::parameter()) };
    let page = call.query.int("page").filter(|p| *p >= 1).unwrap_or(1) as usize;
    let actor = viewer(&call).await;
    let comments = approved_comments(&call, &actor, id).await?;
    if comments.is_empty() {
        return ok(json!({ "comments": [], "commentStacks": [], "commentPageUrl": "" }));
    }
    let (now, tz, site) = (call.core().now(), call.core().settings().time_zone(), call.site_url());
    let placed = levels(&comments);
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut stacks = Vec::new();
    for comment in &comments {
        match placed[&comment.id].1 {
            Some(pid) => children.entry(pid).or_default().push(comment.id),
            None => stacks.push(comment.id),
        }
    }
    let mut map = Map::new();
    for comment in comments.iter().rev() {
        let (level, pid) = placed[&comment.id];
        let private = comment.private.as_ref();
        let field = |value: Option<&Option<String>>| value.and_then(|v| v.clone()).unwrap_or_default();
        map.insert(
            comment.id.to_string(),
            json!({
                "cid": comment.id.to_string(),
                "gid": comment.item_id.to_string(),
                "pid": pid.unwrap_or(0).to_string(),
                "top": "n",
                "poster": htmlspecialchars(&comment.author_name),
                "avatar": comment.author_avatar.clone().unwrap_or_default(),
                "uid": comment.user.as_ref().map_or(0, |u| u.id).to_string(),
                "comment": comment.body,
                "mail": field(private.map(|p| &p.email)),
                "url": comment.author_url.clone().unwrap_or_default(),
                "ip": field(private.map(|p| &p.ip)),
                "agent": field(private.map(|p| &p.user_agent)),
                "hide": "n",
                "like_count": comment.like_count.to_string(),
                "date": smart_date(comment.created_at, now, tz),
                "content": comment.html,
                "content_text": comment.body,
                "children": children.get(&comment.id).cloned().unwrap_or_default(),
                "level": level,
            }),
        );
    }
    stacks.reverse();
    let pages = stacks.len().div_ceil(COMMENTS_PER_PAGE).max(1);
    let shown: Vec<i64> =
        stacks.iter().skip((page - 1) * COMMENTS_PER_PAGE).take(COMMENTS_PER_PAGE).copied().collect();
    let page_url = if pages > 1 {
        (1..=pages)
            .map(|n| {
                if n == page {
                    format!("<span>{n}</span>")
                } else {
                    format!("<a href=\"{site}/?post={id}&comment-page={n}#comments\">{n}</a>")
                }
            })
            .collect::<Vec<_>>()
            .join("")
    } else {
        String::new()
    };
    ok(json!({ "comments": Value::Object(map), "commentStacks": shown, "commentPageUrl": page_url }))
}

/// `GET /?rest-api=comment_list_simple&id=N` (no auth): `{comments:[node]}`, a tree of any
/// depth, oldest first. A node is `{cid, gid, pid, uid, like_count (ints), top ("n"),
/// poster, avatar, url, content, content_text, date (smartDate), children?}`; `children`
/// only when there are replies. Avatar: the comment's own, the user's photo, cravatar of
/// the e-mail (only for callers who may moderate: a public e-mail hash can be reversed),
/// the default svg. No e-mail, no address, no paging.
///
/// Errors: 400 `parameter error` without `id`.
pub async fn comment_list_simple(call: Call) -> EmlogResult {
    let Some(id) = call.query.int("id").filter(|id| *id > 0) else { return Err(EmlogError::parameter()) };
    let actor = viewer(&call).await;
    let comments = approved_comments(&call, &actor, id).await?;
    let (now, tz, site) = (call.core().now(), call.core().settings().time_zone(), call.site_url());
    let listed: std::collections::HashSet<i64> = comments.iter().map(|c| c.id).collect();
    let mut nodes: HashMap<i64, Map<String, Value>> = HashMap::new();
    let mut order = Vec::new();
    for comment in &comments {
        let pid = comment.parent_id.filter(|p| listed.contains(p));
        let node = json!({
            "cid": comment.id,
            "gid": comment.item_id,
            "pid": pid.unwrap_or(0),
            "uid": comment.user.as_ref().map_or(0, |u| u.id),
            "top": "n",
            "like_count": comment.like_count,
            "poster": htmlspecialchars(&comment.author_name),
            "avatar": simple_avatar(&site, comment),
            "url": comment.author_url.clone().unwrap_or_default(),
            "content": comment.html,
            "content_text": comment.body,
            "date": smart_date(comment.created_at, now, tz),
        });
        if let Value::Object(map) = node {
            nodes.insert(comment.id, map);
        }
        order.push((comment.id, pid));
    }
    // Attach replies bottom-up: newest first, so every child is complete before its parent.
    let mut roots = Vec::new();
    for (cid, pid) in order.iter().rev() {
        let Some(node) = nodes.remove(cid) else { continue };
        match pid.and_then(|p| nodes.get_mut(&p)) {
            Some(parent) => {
                let list = parent.entry("children").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.insert(0, Value::Object(node));
                }
            }
            None => roots.insert(0, Value::Object(node)),
        }
    }
    ok(json!({ "comments": roots }))
}

/// `GET /?rest-api=like_list&id=N` (no auth): `{likes:[{id, gid, uid (ints), date
/// (smartDate), avatar, poster}]}`, newest first: users by their display name and avatar,
/// guests by the name and avatar they gave to `addlike` (else `""` and the default svg).
/// No `ip` or `agent`: the emlog document shows them to everyone; Inkstone does not keep
/// them with likes.
///
/// Errors: 400 `parameter error` without `id`.
pub async fn like_list(call: Call) -> EmlogResult {
    let Some(id) = call.query.int("id").filter(|id| *id > 0) else { return Err(EmlogError::parameter()) };
    let actor = viewer(&call).await;
    let (now, tz, site) = (call.core().now(), call.core().settings().time_zone(), call.site_url());
    let mut likes = Vec::new();
    for page in 1..=WHOLE_LIST_PAGES {
        let batch = match call.core().like_entries(&actor, LikeTarget::Item(id), Some(page), Some(100)).await
        {
            Ok(batch) => batch,
            Err(error) if error.code == ErrorCode::NotFound => break,
            Err(error) => return Err(error.into()),
        };
        let done = batch.items.len() < 100;
        for like in batch.items {
            let (poster, avatar) = match &like.user {
                Some(user) => (user.display_name.clone(), avatar_url(&site, user.avatar.as_deref())),
                None => (like.name.clone().unwrap_or_default(), avatar_url(&site, like.avatar.as_deref())),
            };
            likes.push(json!({
                "id": like.id,
                "gid": id,
                "uid": like.user.as_ref().map_or(0, |u| u.id),
                "date": smart_date(like.created_at, now, tz),
                "avatar": avatar,
                "poster": htmlspecialchars(&poster),
            }));
        }
        if done {
            break;
        }
    }
    ok(json!({ "likes": likes }))
}

/// `POST /?rest-api=unlike` (login cookie only), form `id`: takes back the user's like.
///
/// Errors: 401 `auth cookie error`; 400 `parameter error` without `id`; 400 `unlike
/// failed` when there was no like (or no such article).
pub async fn unlike(call: Call) -> EmlogResult {
    let id = call.form.int("id").filter(|id| *id > 0);
    let actor = authenticate(&call, AuthMode::CookieOnly).await?;
    let Some(id) = id else { return Err(EmlogError::parameter()) };
    match call.core().unlike(&actor, LikeTarget::Item(id), &Visitor::default()).await {
        Ok(outcome) if outcome.changed => ok_empty(),
        Ok(_) => Err(EmlogError::bad("unlike failed")),
        Err(error) if error.code == ErrorCode::RateLimited => Err(error.into()),
        Err(_) => Err(EmlogError::bad("unlike failed")),
    }
}

/// The favorite's article id (form `id`, must be > 0) and the cookie user.
async fn favorite_call(call: &Call) -> Result<(Actor, i64), EmlogError> {
    let id = call.form.int("id").or_else(|| call.query.int("id")).filter(|id| *id > 0);
    let actor = authenticate(call, AuthMode::CookieOnly).await?;
    let id = id.ok_or_else(EmlogError::parameter)?;
    Ok((actor, id))
}

/// `POST /?rest-api=collect` (login cookie only), form `id`: adds the article to the
/// user's favorites (`items.favorite_count`, emlog `collect_count`, moves with it).
///
/// Errors: 401 `auth cookie error`; 400 `parameter error` (no `id` > 0), `article not
/// found` (missing or not readable by the user), `already collected`, `collect failed`.
pub async fn collect(call: Call) -> EmlogResult {
    let (actor, id) = favorite_call(&call).await?;
    match call.core().add_favorite(&actor, id).await {
        Ok(outcome) if outcome.changed => ok_empty(),
        Ok(_) => Err(EmlogError::bad("already collected")),
        Err(error) if error.code == ErrorCode::NotFound => Err(EmlogError::bad("article not found")),
        Err(error) => Err(collect_failure(&error, "collect failed")),
    }
}

fn collect_failure(error: &CoreError, msg: &str) -> EmlogError {
    if error.code == ErrorCode::Internal {
        tracing::error!(error = %error, "emlog favorite failed");
    }
    EmlogError::bad(msg)
}

/// `POST /?rest-api=uncollect` (login cookie only), form `id`.
///
/// Errors: 401 `auth cookie error`; 400 `parameter error`, `article not found`,
/// `uncollect failed` (it was not a favorite).
pub async fn uncollect(call: Call) -> EmlogResult {
    let (actor, id) = favorite_call(&call).await?;
    match call.core().remove_favorite(&actor, id).await {
        Ok(outcome) if outcome.changed => ok_empty(),
        Ok(_) => Err(EmlogError::bad("uncollect failed")),
        Err(error) if error.code == ErrorCode::NotFound => Err(EmlogError::bad("article not found")),
        Err(error) => Err(collect_failure(&error, "uncollect failed")),
    }
}

/// `GET /?rest-api=my_collect_list` (login cookie only), `page` (1), `count` (20, at most
/// 100): the user's favorites, newest first, as small `article_list`-like summaries:
/// `{articles:[{id, title, cover, url, date, author_id, author_name, collect_count,
/// collect_date}], page, total_pages, has_more}`. `date` and `collect_date` are
/// `Y-m-d H:i:s` in the site zone; `cover` is absolute or `""`; `url` is
/// `<site.url>/?post=<id>`. Favorites of articles the user may no longer read are left out.
///
/// Errors: 401 `auth cookie error`.
pub async fn my_collect_list(call: Call) -> EmlogResult {
    let page = call.query.int("page").filter(|p| *p >= 1).unwrap_or(1);
    let count = call.query.int("count").unwrap_or(20).clamp(1, 100);
    let actor = authenticate(&call, AuthMode::CookieOnly).await?;
    let favorites = call.core().my_favorites(&actor, Some(page), Some(count)).await?;
    let (tz, site) = (call.core().settings().time_zone(), call.site_url());
    let total_pages = ((favorites.total + count - 1) / count).max(1);
    let articles: Vec<_> = favorites
        .items
        .into_iter()
        .map(|favorite| {
            let item = favorite.item;
            let cover = item
                .cover
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| avatar_url(&site, Some(c)))
                .unwrap_or_default();
            json!({
                "id": item.id,
                "title": item.title,
                "cover": cover,
                "url": format!("{site}/?post={}", item.id),
                "date": datetime(item.published_at.unwrap_or(item.created_at), tz),
                "author_id": item.author.id,
                "author_name": item.author.display_name,
                "collect_count": item.favorite_count,
                "collect_date": datetime(favorite.favorited_at, tz),
            })
        })
        .collect();
    ok(
        json!({ "articles": articles, "page": page, "total_pages": total_pages, "has_more": page < total_pages }),
    )
}

/// `addcom`'s core error in emlog's words.
fn comment_error(error: CoreError) -> EmlogError {
    let field = error.field.clone().unwrap_or_default();
    match error.code {
        ErrorCode::NotFound => EmlogError::bad("文章不存在"),
        ErrorCode::InvalidState => EmlogError::bad("该文章未开启评论"),
        ErrorCode::RateLimited => EmlogError::from_core(&error).with_msg("评论发布太频繁"),
        ErrorCode::CaptchaFailed => EmlogError::bad("验证码错误"),
        ErrorCode::InvalidInput => match field.as_str() {
            "author_name" => EmlogError::bad("昵称太长了"),
            "author_email" => EmlogError::bad("请正确填写邮箱"),
            "body" => EmlogError::bad("评论内容过长"),
            "author_url" | "author_avatar" => EmlogError::bad("非正常请求"),
            _ => EmlogError::bad(error.detail.map(|d| d.zh).unwrap_or_else(|| "非正常请求".into())),
        },
        ErrorCode::Unauthenticated | ErrorCode::Forbidden => EmlogError::bad("非正常请求"),
        _ => EmlogError::from(error),
    }
}

/// `POST /index.php?action=addcom` (form `gid`, `comname`, `comment`, `commail`, `comurl`,
/// `avatar`, `pid`, `imgcode`, `resp`): a comment through the core (moderation, captcha,
/// rate limits, honeypot). A signed-in caller (login cookie) comments as themselves.
/// Data: `{cid}` (int), or the string `评论成功，请等待管理员审核` when it waits for a
/// moderator. A `comurl` without `http` gets `https://` in front, as in emlog.
///
/// Errors (400), in emlog's order: `文章不存在`, `该文章未开启评论`, `评论发布太频繁` (429),
/// `请填写昵称`, `昵称太长了` (over 100 bytes, or the core's 50 characters),
/// `请正确填写邮箱` (guests must give one in Inkstone), `评论内容不能为空`, `评论内容过长`
/// (over 60000 bytes, or the core's 10000 characters), `验证码错误`, `非正常请求` (no or a
/// robot user agent). The field checks run before the article checks here.
pub async fn add_comment(call: Call) -> EmlogResult {
    let actor = poster(&call).await?;
    let Some(gid) = call.form.int("gid").filter(|g| *g > 0) else {
        return Err(EmlogError::bad("文章不存在"));
    };
    let name = call.form.text("comname");
    let comment = call.form.raw("comment").map(str::trim).unwrap_or("").to_string();
    let mail = call.form.text("commail");
    if actor.user_id().is_none() {
        match &name {
            None => return Err(EmlogError::bad("请填写昵称")),
            Some(n) if n.len() > MAX_NAME_BYTES => return Err(EmlogError::bad("昵称太长了")),
            _ => {}
        }
        if mail.as_deref().is_some_and(|m| !m.contains('@')) {
            return Err(EmlogError::bad("请正确填写邮箱"));
        }
    }
    if comment.is_empty() {
        return Err(EmlogError::bad("评论内容不能为空"));
    }
    if comment.len() > MAX_COMMENT_BYTES {
        return Err(EmlogError::bad("评论内容过长"));
    }
    if abnormal_agent(&call) {
        return Err(EmlogError::bad("非正常请求"));
    }
    let url =
        call.form.text("comurl").map(|u| if u.starts_with("http") { u } else { format!("https://{u}") });
    let input = NewComment {
        parent_id: call.form.int("pid").filter(|p| *p > 0),
        body: comment,
        author_name: name,
        author_email: mail,
        author_url: url,
        author_avatar: call.form.text("avatar"),
        honeypot: None,
        captcha: inkstone_core::abuse::CaptchaAnswer {
            id: call.request_raw("captcha_id").map(str::to_string),
            answer: call.form.text("imgcode"),
            response: None,
        },
    };
    let client = ClientInfo { ip: call.client_ip(), user_agent: user_agent(&call) };
    let view = call.core().create_comment(&actor, gid, input, client).await.map_err(comment_error)?;
    if view.status == CommentStatus::Approved {
        ok(json!({ "cid": view.id }))
    } else {
        ok(Value::String(HELD_FOR_REVIEW.to_string()))
    }
}

/// `POST /index.php?action=likecom` (form `cid`): likes a comment. Data `""`. emlog adds 1
/// on every call; the core keeps one like per visitor (cookie `inkstone_visitor`, set when
/// missing, else the address) or user, so a repeat answers ok and counts nothing.
///
/// Errors (400): `评论不存在`, `非正常请求` (robot user agent); 429 when too frequent.
pub async fn like_comment(call: Call) -> EmlogResult {
    let actor = poster(&call).await?;
    let Some(cid) = call.form.int("cid").filter(|c| *c > 0) else {
        return Err(EmlogError::bad("评论不存在"));
    };
    if abnormal_agent(&call) {
        return Err(EmlogError::bad("非正常请求"));
    }
    let (visitor, set_cookie) = visitor(&call);
    let result = match call.core().like(&actor, LikeTarget::Comment(cid), &visitor).await {
        Ok(_) => ok_empty(),
        Err(error) if error.code == ErrorCode::NotFound => Err(EmlogError::bad("评论不存在")),
        Err(error) if error.code == ErrorCode::RateLimited => {
            Err(EmlogError::from_core(&error).with_msg("操作太频繁"))
        }
        Err(_) => Err(EmlogError::bad("非正常请求")),
    };
    with_set_cookie(result, set_cookie)
}

/// `POST /index.php?action=addlike` (form `gid`, `name`, `avatar`): likes an article. A
/// guest is one visitor per `inkstone_visitor` cookie (set when missing) or address, and
/// the `name`/`avatar` they give show in `like_list`. Data `{id}` (the like's id).
///
/// Errors (400): `文章不存在`, `已经赞过了`, `操作太频繁` (429), `昵称太长了` (over 50
/// characters), `非正常请求` (robot user agent, or an avatar that is not an http(s) URL).
pub async fn add_like(call: Call) -> EmlogResult {
    let actor = poster(&call).await?;
    let Some(gid) = call.form.int("gid").filter(|g| *g > 0) else {
        return Err(EmlogError::bad("文章不存在"));
    };
    if abnormal_agent(&call) {
        return Err(EmlogError::bad("非正常请求"));
    }
    let profile = LikerProfile { name: call.form.text("name"), avatar: call.form.text("avatar") };
    let (visitor, set_cookie) = visitor(&call);
    let result = match call.core().like_with_profile(&actor, LikeTarget::Item(gid), &visitor, profile).await {
        Ok((outcome, Some(id))) if outcome.changed => ok(json!({ "id": id })),
        Ok(_) => Err(EmlogError::bad("已经赞过了")),
        Err(error) => Err(match error.code {
            ErrorCode::NotFound => EmlogError::bad("文章不存在"),
            ErrorCode::RateLimited => EmlogError::from_core(&error).with_msg("操作太频繁"),
            ErrorCode::InvalidInput if error.field.as_deref() == Some("name") => {
                EmlogError::bad("昵称太长了")
            }
            _ => EmlogError::bad("非正常请求"),
        }),
    };
    with_set_cookie(result, set_cookie)
}

/// `POST /index.php?action=unlike` (form `gid`): a signed-in user (login cookie) takes
/// back their like. Data `""`. As in emlog, a guest cannot unlike here.
///
/// Errors (400): `取消失败` (a guest, no like, no such article).
pub async fn unlike_front(call: Call) -> EmlogResult {
    let actor = poster(&call).await?;
    let gid = call.form.int("gid").filter(|g| *g > 0);
    let (Some(gid), Some(_)) = (gid, actor.user_id()) else { return Err(EmlogError::bad("取消失败")) };
    match call.core().unlike(&actor, LikeTarget::Item(gid), &Visitor::default()).await {
        Ok(outcome) if outcome.changed => ok_empty(),
        Err(error) if error.code == ErrorCode::RateLimited => {
            Err(EmlogError::from_core(&error).with_msg("操作太频繁"))
        }
        _ => Err(EmlogError::bad("取消失败")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use inkstone_core::comments::CommentStatus;

    fn comment(id: i64, parent: Option<i64>) -> CommentView {
        CommentView {
            id,
            item_id: 1,
            parent_id: parent,
            number: id,
            status: CommentStatus::Approved,
            user: None,
            author_name: "a".into(),
            author_url: None,
            author_avatar: None,
            like_count: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            edited_at: None,
            hidden_at: None,
            body: "b".into(),
            html: "<p>b</p>".into(),
            private: None,
            can_edit: false,
            can_moderate: false,
        }
    }

    #[test]
    fn replies_deeper_than_four_move_up_to_their_grandparent() {
        let chain: Vec<_> = (1..=7).map(|id| comment(id, (id > 1).then_some(id - 1))).collect();
        let placed = levels(&chain);
        assert_eq!(placed[&1], (0, None));
        assert_eq!(placed[&5], (4, Some(4)));
        assert_eq!(placed[&6], (4, Some(4)), "level 5 would be too deep: moved under 4");
        assert_eq!(placed[&7], (4, Some(4)), "a reply to 6 goes under 6's parent");
    }
}
