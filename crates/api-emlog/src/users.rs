//! `userinfo` and `user_detail`, and the user fields every emlog reply shares.

use inkstone_core::model::{Role, User};
use serde_json::{Value, json};

use crate::call::{AuthMode, Call, authenticate};
use crate::envelope::{EmlogResult, ok};
use crate::php::htmlspecialchars;
use crate::urls::avatar_url;

/// emlog's three roles: `admin` for admins, `editor` for editors, `writer` for everyone
/// else (authors, contributors, subscribers; emlog has no finer roles).
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Editor => "editor",
        _ => "writer",
    }
}

/// emlog's raw `photo` path: a file on this site as `../<path>` (emlog stores
/// `../content/uploadfile/…`), anything else as stored, `""` when there is none.
pub(crate) fn photo_path(site_url: &str, avatar: Option<&str>) -> String {
    match avatar.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => match a.strip_prefix(site_url).filter(|rest| rest.starts_with('/')) {
            Some(rest) => format!("..{rest}"),
            None => a.to_string(),
        },
        None => String::new(),
    }
}

/// `GET /?rest-api=userinfo` (login cookie only): the signed-in user,
/// `{userinfo:{uid(int), nickname, role, photo, avatar, email, description, ip,
/// create_time(int)}}`. Types are those of emlog HEAD (`(int)` casts), not the older
/// document's strings. `ip` is `""`: Inkstone keeps no sign-in address with the user.
///
/// Errors: 401 `auth cookie error` without a valid cookie.
pub async fn userinfo(call: Call) -> EmlogResult {
    let actor = authenticate(&call, AuthMode::CookieOnly).await?;
    let user = call.core().me(&actor).await?;
    let site = call.site_url();
    ok(json!({ "userinfo": {
        "uid": user.id,
        "nickname": htmlspecialchars(&user.display_name),
        "role": role_name(user.role),
        "photo": photo_path(&site, user.avatar.as_deref()),
        "avatar": avatar_url(&site, user.avatar.as_deref()),
        "email": user.email,
        "description": htmlspecialchars(user.bio.as_deref().unwrap_or("")),
        "ip": "",
        "create_time": user.created_at.timestamp(),
    }}))
}

/// The public fields of `user_detail`.
fn detail(site: &str, user: &User) -> Value {
    json!({
        "uid": user.id,
        "nickname": htmlspecialchars(&user.display_name),
        "role": role_name(user.role),
        "avatar": avatar_url(site, user.avatar.as_deref()),
        "description": htmlspecialchars(user.bio.as_deref().unwrap_or("")),
        "create_time": user.created_at.timestamp(),
    })
}

/// `GET /?rest-api=user_detail&id=N` (API key or signature only):
/// `{userinfo:{uid, nickname, role, avatar, description, create_time}}`; an unknown (or
/// missing) id answers ok with `{"userinfo":[]}`, as emlog does.
///
/// Errors: 401 `auth param error` / `auth error`.
pub async fn user_detail(call: Call) -> EmlogResult {
    authenticate(&call, AuthMode::KeyOnly).await?;
    let id = call.query.int("id").unwrap_or(0);
    let site = call.site_url();
    match call.core().user(id).await {
        Ok(user) => ok(json!({ "userinfo": detail(&site, &user) })),
        Err(error) if error.code == inkstone_core::ErrorCode::NotFound => ok(json!({ "userinfo": [] })),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatars_are_absolute_and_photos_relative() {
        let site = "https://blog.example";
        assert_eq!(avatar_url(site, None), "https://blog.example/admin/views/images/avatar.svg");
        assert_eq!(avatar_url(site, Some("../content/a.jpg")), "https://blog.example/content/a.jpg");
        assert_eq!(avatar_url(site, Some("https://cdn.example/a.png")), "https://cdn.example/a.png");
        assert_eq!(photo_path(site, Some("https://blog.example/media/2026/a.png")), "../media/2026/a.png");
        assert_eq!(photo_path(site, Some("https://cdn.example/a.png")), "https://cdn.example/a.png");
        assert_eq!(photo_path(site, None), "");
        assert_eq!(htmlspecialchars("<b>&'\""), "&lt;b&gt;&amp;&#039;&quot;");
    }
}
