//! `/admin/account.php` (sign-in, sign-up, password reset) and `/admin/blogger.php`
//! (profile, password, avatar), emlog `admin/account.php` and `admin/blogger.php`.
//!
//! Replies use the emlog envelope with emlog's Chinese texts (its language file). Without
//! `resp=json` emlog answers with HTML pages and redirects; Inkstone has no such pages and
//! answers a success with a 302 (to `/` after sign-in, to the sign-in page otherwise) and
//! a failure with the same JSON error as with `resp=json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inkstone_core::abuse::CaptchaAnswer;
use inkstone_core::secrets::MIN_PASSWORD_LEN;
use inkstone_core::users::{ProfilePatch, Registration};
use inkstone_core::{Actor, CoreError, ErrorCode};
use inkstone_http::media::UploadRequest;

use crate::call::{Call, auth_cookie_name, cookie_session};
use crate::envelope::{EmlogError, EmlogResult, ok, ok_empty, respond};
use crate::users::photo_path;

/// Where emlog sends callers who must sign in first.
pub const SIGN_IN_PATH: &str = "/admin/account.php?action=signin";
/// Lifetime of the login cookie with `persist=1`: 360 days, as emlog.
pub const PERSIST_COOKIE_SECS: i64 = 360 * 24 * 60 * 60;
/// The cookie carrying the sealed e-mail between `doreset` and `doreset2`.
pub const RESET_TICKET_COOKIE: &str = "em_reset_ticket";
const RESET_TICKET_PURPOSE: &str = "emlog-password-reset";

/// The core error's Chinese text (emlog's messages come from its zh_CN language file),
/// keeping the status the envelope gives the code.
fn zh(error: &CoreError, fallback: &str) -> EmlogError {
    let msg = error.detail.as_ref().map(|d| d.zh.clone()).unwrap_or_else(|| fallback.to_string());
    EmlogError::from_core(error).with_msg(msg)
}

/// Rate limits and lockouts: 429 with `Retry-After` and emlog's "too frequent" wording.
fn too_frequent(error: &CoreError) -> EmlogError {
    EmlogError::from_core(error).with_msg("操作太频繁，请稍后再试")
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn cookie_value(call: &Call, name: &str, value: &str, path: &str, max_age: Option<i64>) -> String {
    let max_age = max_age.map(|secs| format!("; Max-Age={secs}")).unwrap_or_default();
    let secure = if call.state.secure_cookies { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax{max_age}{secure}")
}

fn wants_json(call: &Call) -> bool {
    call.request_raw("resp") == Some("json")
}

/// A success: `ok_empty` with `resp=json`, else a 302 to `location`.
fn success(call: &Call, location: &str) -> Response {
    if wants_json(call) { respond(ok_empty()) } else { redirect(location) }
}

/// An e-mail address as emlog's `checkMail` accepts it (and the core's rule): something
/// before `@`, a dotted domain, no spaces.
fn looks_like_mail(mail: &str) -> bool {
    mail.len() <= 254
        && !mail.chars().any(|c| c.is_whitespace() || c.is_control())
        && mail.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

/// `/admin/account.php?action=…`: `dosignin`, `dosignup`, `doreset`, `doreset2`.
pub async fn account(call: Call) -> Response {
    let action = call.query.raw("action").unwrap_or("").to_string();
    match action.as_str() {
        "dosignin" => sign_in(call).await,
        "dosignup" => respond(sign_up(call).await),
        "doreset" => respond(reset(call).await),
        "doreset2" => respond(reset_finish(call).await),
        _ => respond(Err(EmlogError::method_not_exist())),
    }
}

/// `dosignin` (form `user` = username or e-mail, `pw`, `persist=1`, `login_code`,
/// `resp=json`): opens a session and sets the login cookie (`HttpOnly; Path=/;
/// SameSite=Lax`, `Secure` behind TLS; `Max-Age` 360 days with `persist=1`, a session
/// cookie otherwise). A caller already signed in gets a 302 to `/`, even with
/// `resp=json`, as in emlog.
///
/// Errors (400): `用户或密码错误` for a wrong login or password and also for a disabled
/// account (the core tells neither apart, so accounts cannot be probed; emlog says
/// `账号已被停用`). 429 `操作太频繁，请稍后再试` with `Retry-After` while the account or
/// address is locked out. `login_code` is not checked: Inkstone's sign-in has lockouts,
/// not a picture captcha.
async fn sign_in(call: Call) -> Response {
    if matches!(cookie_session(&call).await, Ok(Some(_))) {
        return redirect("/");
    }
    let login = call.form.text("user");
    let password = call.form.raw("pw").unwrap_or("").to_string();
    let (Some(login), false) = (login, password.is_empty()) else {
        return respond(Err(EmlogError::bad("用户或密码错误")));
    };
    let persist = call.form.int("persist") == Some(1);
    let outcome = match call.core().login(&login, &password, persist, call.client_ip()).await {
        Ok(outcome) => outcome,
        Err(error) => {
            return respond(Err(match error.code {
                ErrorCode::InvalidCredentials | ErrorCode::Unauthenticated => {
                    EmlogError::bad("用户或密码错误")
                }
                ErrorCode::RateLimited => too_frequent(&error),
                _ => EmlogError::from(error),
            }));
        }
    };
    let max_age = persist.then_some(PERSIST_COOKIE_SECS);
    let cookie = cookie_value(&call, &auth_cookie_name(call.core()), &outcome.session_token, "/", max_age);
    with_cookie(success(&call, "/"), &cookie)
}

/// A username for an emlog sign-up, which has none: the e-mail's local part reduced to
/// letters, digits, `_`, `-` and `.` (at most 24 characters, `user` when too short), with
/// `-2`, `-3`, … appended while it is taken.
async fn derive_username(call: &Call, mail: &str) -> String {
    let local = mail.split('@').next().unwrap_or("");
    let mut base: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(24)
        .collect::<String>()
        .to_lowercase();
    if base.chars().count() < 2 {
        base = "user".to_string();
    }
    for n in 1..=50 {
        let candidate = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        if call.core().user_by_login(&candidate).await.is_err() {
            return candidate;
        }
    }
    let suffix = &call.core().install_digest(&format!("username:{mail}:{}", call.core().now()))[..8];
    format!("{base}-{suffix}")
}

/// `dosignup` (form `mail`, `passwd`, `repasswd`, `login_code`, `mail_code`,
/// `resp=json`): creates an account with a derived username (see [`derive_username`]),
/// the role of setting `auth.default_role`, through the core's registration (its rate
/// limit and captcha). While `auth.registration` is not `open`, the reply is emlog's empty
/// 200 body.
///
/// Errors (400), in emlog's order: `错误的邮箱格式`, `验证码错误` (when
/// `auth.registration_captcha` is on), `该邮箱已被注册`, `密码不小于8位` (Inkstone's
/// minimum; emlog's is 6), `两次输入的密码不一致`; 429 when too many sign-ups come from
/// one address. `mail_code` is not used (Inkstone sends no sign-up code).
async fn sign_up(call: Call) -> EmlogResult {
    let core = call.core();
    let settings = core.settings();
    if settings.registration() != inkstone_core::model::RegistrationMode::Open {
        return Ok((StatusCode::OK, "").into_response());
    }
    let mail = call.form.text("mail").unwrap_or_default();
    let password = call.form.raw("passwd").unwrap_or("").to_string();
    let repeat = call.form.raw("repasswd").unwrap_or("").to_string();
    let code = call.form.text("login_code");
    if !looks_like_mail(&mail) {
        return Err(EmlogError::bad("错误的邮箱格式"));
    }
    if settings.registration_captcha() && code.is_none() {
        return Err(EmlogError::bad("验证码错误"));
    }
    if core.user_by_login(&mail).await.is_ok() {
        return Err(EmlogError::bad("该邮箱已被注册"));
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(EmlogError::bad(format!("密码不小于{MIN_PASSWORD_LEN}位")));
    }
    if password != repeat {
        return Err(EmlogError::bad("两次输入的密码不一致"));
    }
    let registration = Registration {
        username: derive_username(&call, &mail).await,
        email: mail.clone(),
        password,
        display_name: mail.split('@').next().map(str::to_string),
        invite: None,
        captcha: CaptchaAnswer {
            id: call.request_raw("captcha_id").map(str::to_string),
            answer: code,
            response: None,
        },
    };
    match core.register(registration, call.client_ip()).await {
        Ok(_) => Ok(success(&call, SIGN_IN_PATH)),
        Err(error) => Err(match error.code {
            ErrorCode::Forbidden => return Ok((StatusCode::OK, "").into_response()),
            ErrorCode::CaptchaFailed => EmlogError::bad("验证码错误"),
            ErrorCode::Conflict => EmlogError::bad("该邮箱已被注册"),
            ErrorCode::RateLimited => too_frequent(&error),
            ErrorCode::InvalidInput if error.field.as_deref() == Some("email") => {
                EmlogError::bad("错误的邮箱格式")
            }
            ErrorCode::InvalidInput => zh(&error, "parameter error"),
            _ => EmlogError::from(error),
        }),
    }
}

/// `doreset` (form `mail`, `login_code`): mails a reset code to the account through the
/// core (which sends nothing for an unknown address), and sets the cookie
/// [`RESET_TICKET_COOKIE`]: the e-mail sealed under the server key for 30 minutes (emlog
/// keeps it in the PHP session). The reply is the same whether or not the address is
/// registered; emlog answers `错误的注册邮箱` for an unknown one, which tells who has an
/// account.
///
/// Errors: 400 `错误的注册邮箱` (not an e-mail address), `邮件验证码发送失败，请检查邮件通知设置`
/// (the mail could not be handed over); 429 when too frequent.
async fn reset(call: Call) -> EmlogResult {
    let mail = call.form.text("mail").unwrap_or_default();
    if !looks_like_mail(&mail) {
        return Err(EmlogError::bad("错误的注册邮箱"));
    }
    let core = call.core();
    if let Err(error) = core.request_password_reset(&mail, call.client_ip()).await {
        return Err(match error.code {
            ErrorCode::RateLimited => too_frequent(&error),
            _ => EmlogError::bad("邮件验证码发送失败，请检查邮件通知设置"),
        });
    }
    let lifetime = inkstone_core::users::RESET_CODE_LIFETIME;
    let ticket = core.seal_ticket(RESET_TICKET_PURPOSE, &mail, lifetime);
    let cookie = cookie_value(&call, RESET_TICKET_COOKIE, &ticket, "/admin", Some(lifetime.num_seconds()));
    Ok(with_cookie(success(&call, "/admin/account.php?action=reset2"), &cookie))
}

/// `doreset2` (form `mail_code`, `passwd`, `repasswd`; the cookie from `doreset`): sets
/// the new password with the mailed code. Every session of the account ends.
///
/// Errors (400): `邮件验证码错误` (no or expired ticket cookie, a wrong, used or expired
/// code: after 5 wrong codes a new one must be asked for), `密码不小于8位`,
/// `两次输入的密码不一致`; 429 when too frequent.
async fn reset_finish(call: Call) -> EmlogResult {
    let code = call.form.text("mail_code");
    let password = call.form.raw("passwd").unwrap_or("").to_string();
    let repeat = call.form.raw("repasswd").unwrap_or("").to_string();
    let core = call.core();
    let mail = inkstone_http::cookie(call.headers(), RESET_TICKET_COOKIE)
        .and_then(|ticket| core.open_ticket(RESET_TICKET_PURPOSE, ticket));
    let (Some(mail), Some(code)) = (mail, code) else { return Err(EmlogError::bad("邮件验证码错误")) };
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(EmlogError::bad(format!("密码不小于{MIN_PASSWORD_LEN}位")));
    }
    if password != repeat {
        return Err(EmlogError::bad("两次输入的密码不一致"));
    }
    match core.complete_password_reset(&mail, &code, &password, call.client_ip()).await {
        Ok(()) => {
            let clear = cookie_value(&call, RESET_TICKET_COOKIE, "", "/admin", Some(0));
            Ok(with_cookie(success(&call, SIGN_IN_PATH), &clear))
        }
        Err(error) => Err(match error.code {
            ErrorCode::RateLimited => too_frequent(&error),
            ErrorCode::InvalidInput if error.field.as_deref() == Some("password") => {
                EmlogError::bad(format!("密码不小于{MIN_PASSWORD_LEN}位"))
            }
            ErrorCode::InvalidInput => EmlogError::bad("邮件验证码错误"),
            _ => EmlogError::from(error),
        }),
    }
}

/// `/admin/blogger.php?action=…` for the signed-in user (login cookie): `update`,
/// `change_password`, `update_avatar`. Without a valid cookie (or with one sent from
/// another site) emlog's 302 to the sign-in page, and nothing changes. The CSRF `token`
/// field is not needed, as in emlog for API clients (the cookie is `SameSite=Lax` and
/// cross-site requests are refused instead).
pub async fn blogger(call: Call) -> Response {
    let session = match cookie_session(&call).await {
        Ok(Some(session)) => session,
        _ => return redirect(SIGN_IN_PATH),
    };
    let keep = session.session.id_hash.clone();
    let actor = Actor::User(session.principal);
    let action = call.query.raw("action").unwrap_or("").to_string();
    respond(match action.as_str() {
        "update" => update_profile(&call, &actor).await,
        "change_password" => change_password(&call, &actor, &keep).await,
        "update_avatar" => update_avatar(call, &actor).await,
        _ => Err(EmlogError::method_not_exist()),
    })
}

/// `update` (form `name`, `description`, `username`): sets the display name and bio.
///
/// Errors (400): `昵称不能为空`; `用户名已被占用` (another account has that username);
/// `用户名已设置，不允许修改` (every Inkstone account has a username from sign-up, so a
/// different one is refused); the core's text for a name or bio that is too long.
async fn update_profile(call: &Call, actor: &Actor) -> EmlogResult {
    let core = call.core();
    let me = core.me(actor).await?;
    let Some(name) = call.form.text("name") else { return Err(EmlogError::bad("昵称不能为空")) };
    if let Some(username) = call.form.text("username")
        && username != me.username
    {
        return Err(match core.user_by_login(&username).await {
            Ok(other) if other.id != me.id => EmlogError::bad("用户名已被占用"),
            _ => EmlogError::bad("用户名已设置，不允许修改"),
        });
    }
    let patch = ProfilePatch {
        display_name: Some(name),
        bio: call.form.raw("description").map(|d| d.trim().to_string()),
        ..ProfilePatch::default()
    };
    match core.update_profile(actor, patch).await {
        Ok(_) => ok_empty(),
        Err(error) if error.code == ErrorCode::InvalidInput => Err(zh(&error, "parameter error")),
        Err(error) => Err(error.into()),
    }
}

/// `change_password` (form `new_passwd`, `new_passwd2`): sets a new password without the
/// current one, as emlog does, through the browser session only. The other sessions of
/// the account end; this one stays.
///
/// Errors (400): `密码不得小于8位` (Inkstone's minimum; emlog's is 6), `两次密码不一致`.
async fn change_password(call: &Call, actor: &Actor, keep: &str) -> EmlogResult {
    let password = call.form.raw("new_passwd").unwrap_or("").to_string();
    let repeat = call.form.raw("new_passwd2").unwrap_or("").to_string();
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(EmlogError::bad(format!("密码不得小于{MIN_PASSWORD_LEN}位")));
    }
    if password != repeat {
        return Err(EmlogError::bad("两次密码不一致"));
    }
    match call.core().set_password_in_session(actor, &password, Some(keep)).await {
        Ok(()) => ok_empty(),
        Err(error) if error.code == ErrorCode::InvalidInput => {
            Err(EmlogError::bad(format!("密码不得小于{MIN_PASSWORD_LEN}位")))
        }
        Err(error) => Err(error.into()),
    }
}

/// `update_avatar` (multipart field `image`): the file goes through the one upload
/// pipeline (type sniffed from the bytes, size limit, dedup) and must be an image; it then
/// becomes the profile avatar. Data: the relative path, `../media/<key>` (emlog
/// `../content/uploadfile/…`).
///
/// Errors (400): `请选择要上传的图片` (no `image` field), `只能上传图片文件` (not an
/// image: the upload is removed again); the upload pipeline's errors (size 413, type,
/// permission 403 for accounts that may not upload).
async fn update_avatar(mut call: Call, actor: &Actor) -> EmlogResult {
    let declared_length = call
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut multipart = call.multipart().await.map_err(|_| EmlogError::bad("请选择要上传的图片"))?;
    let state = call.state.clone();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(EmlogError::bad("请选择要上传的图片")),
            Err(_) => return Err(EmlogError::parameter()),
        };
        if field.name() != Some("image") {
            continue;
        }
        let request = UploadRequest {
            original_name: field.file_name().unwrap_or("avatar").to_string(),
            group_id: None,
            declared_length,
        };
        let media = match state.media.upload(actor, request, field).await {
            Ok(media) => media,
            Err(error) if error.code == ErrorCode::InvalidInput => return Err(zh(&error, "上传失败")),
            Err(error) => return Err(error.into()),
        };
        if !media.blob.mime.starts_with("image/") || media.blob.mime == "image/svg+xml" {
            let _ = state.core.delete_media(actor, media.id).await;
            return Err(EmlogError::bad("只能上传图片文件"));
        }
        let url = state.core.media_url(&media.blob.key);
        let patch = ProfilePatch { avatar: Some(url.clone()), ..ProfilePatch::default() };
        state.core.update_profile(actor, patch).await?;
        return ok(serde_json::Value::String(photo_path(&call.site_url(), Some(&url))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_addresses_are_checked_like_emlog() {
        assert!(looks_like_mail("a@b.example"));
        assert!(!looks_like_mail("a@b"));
        assert!(!looks_like_mail("@b.example"));
        assert!(!looks_like_mail("a b@c.example"));
        assert!(!looks_like_mail("a@.example"));
    }
}
