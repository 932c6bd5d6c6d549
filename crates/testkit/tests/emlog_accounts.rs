//! emlog's account and profile endpoints over the real router: `/admin/account.php`
//! (dosignin, dosignup, doreset, doreset2), `/admin/blogger.php` (update,
//! change_password, update_avatar), `userinfo`, `user_detail`, and the login cookie's
//! precedence over `api_key`.

use std::io::Cursor;

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const SIGN_IN: &str = "/admin/account.php?action=dosignin";

fn assert_error(response: &TestResponse, status: StatusCode, msg: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({"code": 1, "msg": msg, "data": ""}), "{}", response.text());
}

fn assert_ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["msg"], "ok", "{body}");
    body["data"].clone()
}

async fn app() -> TestApp {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    app.set_setting("site.url", "https://blog.example").await;
    app
}

fn cookie_name(app: &TestApp) -> String {
    inkstone_api_emlog::call::auth_cookie_name(&app.core)
}

/// Signs in through `dosignin` and returns the `Cookie` header value.
async fn sign_in(app: &TestApp, user: &str, password: &str) -> String {
    let response =
        app.form(Method::POST, SIGN_IN, &[], &[("user", user), ("pw", password), ("resp", "json")]).await;
    assert_eq!(assert_ok(&response), "");
    let set = response.header("set-cookie").expect("login cookie").to_string();
    set.split(';').next().unwrap().to_string()
}

fn png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(8, 6, |x, y| image::Rgb([x as u8 * 20, y as u8 * 30, 7]));
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

#[tokio::test]
async fn sign_in_sets_the_login_cookie_and_answers_in_chinese() {
    let app = app().await;
    let (alice, _) = app.user("alice", Role::Author).await;

    let wrong =
        app.form(Method::POST, SIGN_IN, &[], &[("user", "alice"), ("pw", "nope"), ("resp", "json")]).await;
    assert_error(&wrong, StatusCode::BAD_REQUEST, "用户或密码错误");
    let unknown = app
        .form(Method::POST, SIGN_IN, &[], &[("user", "nobody"), ("pw", "password123"), ("resp", "json")])
        .await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "用户或密码错误");

    let response = app
        .form(Method::POST, SIGN_IN, &[], &[("user", "alice"), ("pw", "password123"), ("resp", "json")])
        .await;
    assert_eq!(assert_ok(&response), "");
    let set = response.header("set-cookie").unwrap();
    assert!(set.starts_with(&format!("{}=", cookie_name(&app))), "{set}");
    assert!(cookie_name(&app).len() == "EM_AUTHCOOKIE_".len() + 32);
    for part in ["HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Max-Age"), "a session cookie without persist: {set}");

    // By e-mail, remembered: 360 days.
    let persist = app
        .form(
            Method::POST,
            SIGN_IN,
            &[],
            &[("user", "alice@example.com"), ("pw", "password123"), ("persist", "1"), ("resp", "json")],
        )
        .await;
    assert_ok(&persist);
    assert!(persist.header("set-cookie").unwrap().contains("Max-Age=31104000"));
    let cookie = persist.header("set-cookie").unwrap().split(';').next().unwrap().to_string();

    // userinfo with the cookie: HEAD's types (uid and create_time ints).
    let info = assert_ok(
        &app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &cookie)], None).await,
    );
    assert_eq!(
        info,
        json!({"userinfo": {
            "uid": alice.id, "nickname": "alice", "role": "writer", "photo": "",
            "avatar": "https://blog.example/admin/views/images/avatar.svg",
            "email": "alice@example.com", "description": "", "ip": "",
            "create_time": alice.created_at.timestamp(),
        }})
    );
    // Already signed in: a 302, even with resp=json.
    let again = app
        .form(
            Method::POST,
            SIGN_IN,
            &[("cookie", &cookie)],
            &[("user", "alice"), ("pw", "x"), ("resp", "json")],
        )
        .await;
    assert_eq!(again.status, StatusCode::FOUND);
    // Without resp=json a success is a redirect to the site, with the cookie.
    let html = app.form(Method::POST, SIGN_IN, &[], &[("user", "alice"), ("pw", "password123")]).await;
    assert_eq!(html.status, StatusCode::FOUND);
    assert_eq!(html.header("location"), Some("/"));
    assert!(html.header("set-cookie").is_some());
    // userinfo needs the cookie.
    assert_error(&app.get("/?rest-api=userinfo", None).await, StatusCode::UNAUTHORIZED, "auth cookie error");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_with_a_429() {
    let app = app().await;
    app.user("alice", Role::Author).await;
    for _ in 0..5 {
        let wrong = app
            .form(Method::POST, SIGN_IN, &[], &[("user", "alice"), ("pw", "nope"), ("resp", "json")])
            .await;
        assert_error(&wrong, StatusCode::BAD_REQUEST, "用户或密码错误");
    }
    let locked = app
        .form(Method::POST, SIGN_IN, &[], &[("user", "alice"), ("pw", "password123"), ("resp", "json")])
        .await;
    assert_error(&locked, StatusCode::TOO_MANY_REQUESTS, "操作太频繁，请稍后再试");
    assert!(locked.header("retry-after").is_some());
}

#[tokio::test]
async fn sign_up_checks_in_emlog_order_and_derives_a_username() {
    let app = app().await;
    app.user("alice", Role::Author).await;
    let signup = |fields: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move { app.form(Method::POST, "/admin/account.php?action=dosignup", &[], &fields).await }
    };
    // Closed (the default): emlog's empty 200 body.
    let closed =
        signup(vec![("mail", "bob@example.com"), ("passwd", "password1"), ("repasswd", "password1")]).await;
    assert_eq!(closed.status, StatusCode::OK);
    assert!(closed.body.is_empty(), "{}", closed.text());

    app.set_setting("auth.registration", "open").await;
    app.set_setting("auth.default_role", "author").await;
    let bad = signup(vec![("mail", "not-mail"), ("passwd", "x"), ("repasswd", "y"), ("resp", "json")]).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "错误的邮箱格式");
    let taken =
        signup(vec![("mail", "alice@example.com"), ("passwd", "x"), ("repasswd", "y"), ("resp", "json")])
            .await;
    assert_error(&taken, StatusCode::BAD_REQUEST, "该邮箱已被注册");
    let short =
        signup(vec![("mail", "bob@example.com"), ("passwd", "12345"), ("repasswd", "y"), ("resp", "json")])
            .await;
    assert_error(&short, StatusCode::BAD_REQUEST, "密码不小于8位");
    let differ = signup(vec![
        ("mail", "bob@example.com"),
        ("passwd", "password1"),
        ("repasswd", "password2"),
        ("resp", "json"),
    ])
    .await;
    assert_error(&differ, StatusCode::BAD_REQUEST, "两次输入的密码不一致");
    let done = signup(vec![
        ("mail", "bob@example.com"),
        ("passwd", "password1"),
        ("repasswd", "password1"),
        ("resp", "json"),
    ])
    .await;
    assert_eq!(assert_ok(&done), "");
    let bob = app.core.user_by_login("bob@example.com").await.unwrap();
    assert_eq!((bob.username.as_str(), bob.role), ("bob", Role::Author));
    // The same local part again: a suffix.
    let other = signup(vec![
        ("mail", "bob@other.example"),
        ("passwd", "password1"),
        ("repasswd", "password1"),
        ("resp", "json"),
    ])
    .await;
    assert_ok(&other);
    assert_eq!(app.core.user_by_login("bob@other.example").await.unwrap().username, "bob-2");
    // The new account signs in with its e-mail; emlog calls an author a writer.
    let cookie = sign_in(&app, "bob@example.com", "password1").await;
    let info = assert_ok(
        &app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &cookie)], None).await,
    );
    assert_eq!(info["userinfo"]["role"], "writer");
    assert_eq!(info["userinfo"]["uid"], bob.id);
}

fn eight_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == 8).expect("a code").to_string()
}

#[tokio::test]
async fn password_reset_keeps_the_mail_in_a_sealed_cookie_between_the_steps() {
    let app = app().await;
    app.user("alice", Role::Author).await;
    let reset = "/admin/account.php?action=doreset";
    let reset2 = "/admin/account.php?action=doreset2";

    assert_error(
        &app.form(Method::POST, reset, &[], &[("mail", "nope"), ("resp", "json")]).await,
        StatusCode::BAD_REQUEST,
        "错误的注册邮箱",
    );
    // An unknown address answers like a known one, and nothing is sent.
    let unknown =
        app.form(Method::POST, reset, &[], &[("mail", "ghost@example.com"), ("resp", "json")]).await;
    assert_ok(&unknown);
    assert!(app.outbox().is_empty());

    let asked = app.form(Method::POST, reset, &[], &[("mail", "alice@example.com"), ("resp", "json")]).await;
    assert_ok(&asked);
    let ticket = asked.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert!(ticket.starts_with("em_reset_ticket="), "{ticket}");
    assert!(!ticket.contains("alice"), "the e-mail is sealed, not in clear: {ticket}");
    let code = eight_digits(&app.outbox()[0].text);

    let no_ticket = app
        .form(
            Method::POST,
            reset2,
            &[],
            &[("mail_code", &code), ("passwd", "newpass123"), ("repasswd", "newpass123")],
        )
        .await;
    assert_error(&no_ticket, StatusCode::BAD_REQUEST, "邮件验证码错误");
    let forged = app
        .form(
            Method::POST,
            reset2,
            &[("cookie", "em_reset_ticket=alice%40example.com")],
            &[("mail_code", &code), ("passwd", "newpass123"), ("repasswd", "newpass123")],
        )
        .await;
    assert_error(&forged, StatusCode::BAD_REQUEST, "邮件验证码错误");
    let wrong = app
        .form(
            Method::POST,
            reset2,
            &[("cookie", &ticket)],
            &[("mail_code", "00000000"), ("passwd", "newpass123"), ("repasswd", "newpass123")],
        )
        .await;
    assert_error(&wrong, StatusCode::BAD_REQUEST, "邮件验证码错误");
    let differ = app
        .form(
            Method::POST,
            reset2,
            &[("cookie", &ticket)],
            &[("mail_code", &code), ("passwd", "newpass123"), ("repasswd", "other12345")],
        )
        .await;
    assert_error(&differ, StatusCode::BAD_REQUEST, "两次输入的密码不一致");
    let done = app
        .form(
            Method::POST,
            reset2,
            &[("cookie", &ticket)],
            &[("mail_code", &code), ("passwd", "newpass123"), ("repasswd", "newpass123"), ("resp", "json")],
        )
        .await;
    assert_eq!(assert_ok(&done), "");
    sign_in(&app, "alice", "newpass123").await;

    // The ticket dies with the clock.
    let asked = app.form(Method::POST, reset, &[], &[("mail", "alice@example.com"), ("resp", "json")]).await;
    let ticket = asked.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let code = eight_digits(&app.outbox().last().unwrap().text);
    app.clock.advance(chrono::Duration::minutes(31));
    let late = app
        .form(
            Method::POST,
            reset2,
            &[("cookie", &ticket)],
            &[("mail_code", &code), ("passwd", "another123"), ("repasswd", "another123")],
        )
        .await;
    assert_error(&late, StatusCode::BAD_REQUEST, "邮件验证码错误");
}

#[tokio::test]
async fn blogger_php_needs_the_cookie_and_updates_the_profile() {
    let app = app().await;
    let (alice, _) = app.user("alice", Role::Author).await;
    app.user("carol", Role::Author).await;
    let update = "/admin/blogger.php?action=update";

    let anonymous = app.form(Method::POST, update, &[], &[("name", "A")]).await;
    assert_eq!(anonymous.status, StatusCode::FOUND);
    assert_eq!(anonymous.header("location"), Some("/admin/account.php?action=signin"));

    let cookie = sign_in(&app, "alice", "password123").await;
    let with = |extra: &'static [(&'static str, &'static str)]| {
        let mut headers = vec![("cookie", cookie.as_str())];
        headers.extend_from_slice(extra);
        headers
    };
    assert_error(
        &app.form(Method::POST, update, &with(&[]), &[("name", "")]).await,
        StatusCode::BAD_REQUEST,
        "昵称不能为空",
    );
    assert_error(
        &app.form(Method::POST, update, &with(&[]), &[("name", "A"), ("username", "carol")]).await,
        StatusCode::BAD_REQUEST,
        "用户名已被占用",
    );
    assert_error(
        &app.form(Method::POST, update, &with(&[]), &[("name", "A"), ("username", "alice2")]).await,
        StatusCode::BAD_REQUEST,
        "用户名已设置，不允许修改",
    );
    // Cross-site with the cookie: sent to sign in, nothing changes.
    let cross = app
        .form(Method::POST, update, &with(&[("origin", "https://evil.example")]), &[("name", "Hacked")])
        .await;
    assert_eq!(cross.status, StatusCode::FOUND);
    assert_eq!(app.core.user(alice.id).await.unwrap().display_name, "alice");

    let done = app
        .form(
            Method::POST,
            update,
            &with(&[]),
            &[("name", "爱丽丝"), ("description", "写<字>的人"), ("username", "alice")],
        )
        .await;
    assert_eq!(assert_ok(&done), "");
    let info = assert_ok(
        &app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &cookie)], None).await,
    );
    assert_eq!(info["userinfo"]["nickname"], "爱丽丝");
    assert_eq!(info["userinfo"]["description"], "写&lt;字&gt;的人", "htmlspecialchars as emlog");

    // change_password
    let change = "/admin/blogger.php?action=change_password";
    assert_error(
        &app.form(Method::POST, change, &with(&[]), &[("new_passwd", "12345"), ("new_passwd2", "12345")])
            .await,
        StatusCode::BAD_REQUEST,
        "密码不得小于8位",
    );
    assert_error(
        &app.form(
            Method::POST,
            change,
            &with(&[]),
            &[("new_passwd", "newpass123"), ("new_passwd2", "newpass124")],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "两次密码不一致",
    );
    let other_session = sign_in(&app, "alice", "password123").await;
    let changed = app
        .form(
            Method::POST,
            change,
            &with(&[]),
            &[("new_passwd", "newpass123"), ("new_passwd2", "newpass123")],
        )
        .await;
    assert_eq!(assert_ok(&changed), "");
    let still = app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &cookie)], None).await;
    assert_ok(&still);
    let ended =
        app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &other_session)], None).await;
    assert_error(&ended, StatusCode::UNAUTHORIZED, "auth cookie error");
    sign_in(&app, "alice", "newpass123").await;

    // update_avatar: a real image becomes the avatar; data is the relative path.
    let avatar = "/admin/blogger.php?action=update_avatar";
    let uploaded = app.multipart(avatar, &with(&[]), &[], "image", "me.png", "image/png", &png()).await;
    let path = assert_ok(&uploaded);
    let path = path.as_str().expect("a string path");
    assert!(path.starts_with("../media/") && path.ends_with(".png"), "{path}");
    let info = assert_ok(
        &app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &cookie)], None).await,
    );
    assert_eq!(info["userinfo"]["photo"], path);
    assert_eq!(info["userinfo"]["avatar"], format!("https://blog.example/{}", &path[3..]));
    let text =
        app.multipart(avatar, &with(&[]), &[], "image", "me.png", "image/png", b"just some text").await;
    assert_eq!(text.status.as_u16() / 100, 4, "{}", text.text());
    assert_eq!(text.json()["code"], 1);
    let info = assert_ok(
        &app.call_with_headers(Method::GET, "/?rest-api=userinfo", &[("cookie", &cookie)], None).await,
    );
    assert_eq!(info["userinfo"]["photo"], path, "the avatar did not change");
}

#[tokio::test]
async fn user_detail_takes_a_key_and_a_bad_cookie_beats_a_good_key() {
    let app = app().await;
    let (alice, _) = app.user("alice", Role::Editor).await;
    let key = app.api_key(Some(alice.id), true, false, 0).await;

    let detail =
        assert_ok(&app.get(&format!("/?rest-api=user_detail&id={}&api_key={key}", alice.id), None).await);
    assert_eq!(
        detail,
        json!({"userinfo": {
            "uid": alice.id, "nickname": "alice", "role": "editor",
            "avatar": "https://blog.example/admin/views/images/avatar.svg",
            "description": "", "create_time": alice.created_at.timestamp(),
        }})
    );
    let unknown = assert_ok(&app.get(&format!("/?rest-api=user_detail&id=9999&api_key={key}"), None).await);
    assert_eq!(unknown, json!({"userinfo": []}));
    assert_error(
        &app.get("/?rest-api=user_detail&id=1", None).await,
        StatusCode::UNAUTHORIZED,
        "auth param error",
    );
    assert_error(
        &app.get("/?rest-api=user_detail&id=1&api_key=wrong", None).await,
        StatusCode::UNAUTHORIZED,
        "auth error",
    );

    // note_post: with a valid key it works; a bad login cookie alongside it wins.
    let posted = app.form(Method::POST, "/?rest-api=note_post", &[], &[("t", "hi"), ("api_key", &key)]).await;
    assert!(assert_ok(&posted)["note_id"].is_i64());
    let bad_cookie = format!("{}=not-a-session", cookie_name(&app));
    let refused = app
        .form(
            Method::POST,
            "/?rest-api=note_post",
            &[("cookie", &bad_cookie)],
            &[("t", "hi"), ("api_key", &key)],
        )
        .await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "auth cookie error");
}
