//! emlog notes over the real router: `note_post` with a key, a signature or the login
//! cookie, and `note_list` (private notes never listed, smartDate moving with the clock).

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn assert_ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["code"], 0, "{}", response.text());
    response.json()["data"].clone()
}

#[tokio::test]
async fn notes_are_posted_and_listed_with_relative_dates() {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    app.set_setting("site.url", "https://blog.example").await;
    let (alice, _) = app.user("alice", Role::Author).await;
    let key = app.api_key(Some(alice.id), true, false, 0).await;

    let posted = app
        .form(
            Method::POST,
            "/?rest-api=note_post",
            &[],
            &[("t", "**test** note"), ("author_uid", "1"), ("api_key", &key)],
        )
        .await;
    let first = assert_ok(&posted)["note_id"].as_i64().expect("note_id is an int");
    let secret = app
        .form(
            Method::POST,
            "/?rest-api=note_post",
            &[],
            &[("t", "secret"), ("private", "y"), ("api_key", &key)],
        )
        .await;
    assert_ok(&secret);
    let missing = app.form(Method::POST, "/?rest-api=note_post", &[], &[("api_key", &key)]).await;
    assert_eq!(missing.json(), json!({"code": 1, "msg": "parameter error", "data": ""}));
    let json_body = app.post(&format!("/?rest-api=note_post&api_key={key}"), None, json!({"t": "x"})).await;
    assert_eq!(json_body.json()["msg"], "parameter error", "a JSON body reads as empty, as in PHP");

    let time = app.clock_now_secs().to_string();
    let sign = format!("{:x}", md5::Md5::digest_of(format!("{time}{key}")));
    let signed = app
        .form(
            Method::POST,
            "/?rest-api=note_post",
            &[],
            &[("t", "signed"), ("req_time", &time), ("req_sign", &sign)],
        )
        .await;
    let third = assert_ok(&signed)["note_id"].as_i64().unwrap();

    app.clock.advance(chrono::Duration::seconds(47));
    let list = assert_ok(&app.get(&format!("/?rest-api=note_list&api_key={key}"), None).await);
    let notes = list["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "the private note is never listed: {list}");
    assert_eq!(notes[0]["id"], third);
    assert_eq!(
        notes[1],
        json!({"id": first, "t": "<p><strong>test</strong> note</p>\n", "t_raw": "**test** note", "date": "47 秒前",
               "author_id": alice.id, "author_name": "alice",
               "author_avatar": "https://blog.example/admin/views/images/avatar.svg", "ip": ""}),
    );
    app.clock.advance(chrono::Duration::hours(3));
    let later =
        assert_ok(&app.get(&format!("/?rest-api=note_list&api_key={key}&count=1&page=2"), None).await);
    assert_eq!(later["notes"][0]["id"], first);
    assert_eq!(later["notes"][0]["date"], "3 小时前");

    // With the login cookie: notes by the cookie's user only.
    app.user("bob", Role::Author).await;
    let login = app
        .form(
            Method::POST,
            "/admin/account.php?action=dosignin",
            &[],
            &[("user", "bob"), ("pw", "password123"), ("resp", "json")],
        )
        .await;
    let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let mine = app
        .form(
            Method::POST,
            "/?rest-api=note_post",
            &[("cookie", &cookie)],
            &[("t", "bob's"), ("author_uid", "1")],
        )
        .await;
    let bobs = assert_ok(&mine)["note_id"].as_i64().unwrap();
    let listed = assert_ok(
        &app.call_with_headers(
            Method::GET,
            "/?rest-api=note_list&author_uid=1",
            &[("cookie", &cookie)],
            None,
        )
        .await,
    );
    assert_eq!(listed["notes"].as_array().unwrap().len(), 1);
    assert_eq!(listed["notes"][0]["id"], bobs);
    assert_eq!(listed["notes"][0]["author_name"], "bob", "the cookie's user, not author_uid");
}

trait DigestOf {
    fn digest_of(text: String) -> u128;
}

impl DigestOf for md5::Md5 {
    fn digest_of(text: String) -> u128 {
        use md5::Digest;
        u128::from_be_bytes(md5::Md5::digest(text.as_bytes()).into())
    }
}
