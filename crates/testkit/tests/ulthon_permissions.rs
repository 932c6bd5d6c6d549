//! The ulthon key flags over the dialect: the document's three combinations (read-only,
//! own-only, full) against every write endpoint and both sources, and the 401s.

use axum::http::{Method, StatusCode};
use inkstone_core::model::Role;
use inkstone_core::permission::Actor;
use inkstone_core::ports::ApiKeyPatch;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const API: &str = "/index.php/api";

fn envelope(response: TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "ulthon answers HTTP 200: {}", response.text());
    let body = response.json();
    assert!(body["code"].is_i64() && body["msg"].is_string(), "envelope: {body}");
    body
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> Value {
    let auth = format!("Bearer {key}");
    envelope(
        app.call_with_headers(Method::POST, &format!("{API}{path}"), &[("authorization", &auth)], Some(body))
            .await,
    )
}

async fn form(app: &TestApp, key: &str, path: &str, fields: &[(&str, &str)]) -> Value {
    envelope(app.form(Method::POST, &format!("{API}{path}"), &[("x-api-key", key)], fields).await)
}

async fn upload(app: &TestApp, key: &str, name: &str, bytes: &[u8]) -> Value {
    let auth = format!("Bearer {key}");
    let response = app
        .multipart(
            &format!("{API}/attachments/upload"),
            &[("authorization", &auth)],
            &[],
            "file",
            name,
            "image/png",
            bytes,
        )
        .await;
    envelope(response)
}

fn png(seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(9, 7, |x, y| image::Rgb([seed, (x * 9) as u8, (y * 11) as u8]));
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

/// What the back office sees of a post (every field, by the native API).
async fn post_snapshot(app: &TestApp, admin: &str, id: i64) -> Value {
    let response = app.get(&format!("/api/v1/posts/{id}"), Some(admin)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

async fn post_count(app: &TestApp, admin: &str) -> i64 {
    app.get("/api/v1/posts?per_page=100", Some(admin)).await.json()["total"].as_i64().unwrap()
}

fn assert_refused(body: &Value, what: &str) {
    assert_eq!(body["code"], 403, "{what}: {body}");
    assert_eq!(body["msg"], "API Key 权限不足", "{what}");
    assert_eq!(body["data"], json!([]), "{what}");
}

fn assert_done(body: &Value, msg: &str, what: &str) {
    assert_eq!(body["code"], 0, "{what}: {body}");
    assert_eq!(body["msg"], msg, "{what}");
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Admin,
    Api,
}

#[tokio::test]
async fn the_three_documented_combinations_on_every_write_endpoint_and_both_sources() {
    let app = TestApp::new().await;
    let (admin, admin_token) = app.user("boss", Role::Admin).await;
    let maker = app.api_key(Some(admin.id), true, true, 2).await;
    // (name, key, [save, update api, update admin, delete api, delete admin, upload,
    //  attachment delete api, attachment delete admin])
    let combos = [
        ("read-only", app.api_key(Some(admin.id), false, false, 0).await, [false; 8]),
        (
            "own-only",
            app.api_key(Some(admin.id), true, false, 1).await,
            [true, true, false, true, false, true, true, false],
        ),
        ("full", app.api_key(Some(admin.id), true, true, 2).await, [true; 8]),
    ];
    let mut seed = 0u8;
    for (name, key, allowed) in &combos {
        // articles/save
        let before = post_count(&app, &admin_token).await;
        let saved = post(&app, key, "/articles/save", json!({"title": format!("{name} saves")})).await;
        if allowed[0] {
            assert_done(&saved, "创建成功", name);
            let id = saved["data"]["id"].as_i64().unwrap();
            assert_eq!(post_snapshot(&app, &admin_token, id).await["origin"], "api");
        } else {
            assert_refused(&saved, &format!("{name} save"));
            assert_eq!(post_count(&app, &admin_token).await, before, "{name}: nothing created");
        }

        for (source, update_at, delete_at) in [(Source::Api, 1, 3), (Source::Admin, 2, 4)] {
            let what = format!("{name} key on a {source:?}-source article");
            let make = || async {
                match source {
                    Source::Admin => app
                        .create_post(&admin_token, json!({"title": "from the back office", "body": "x"}))
                        .await["id"]
                        .as_i64()
                        .unwrap(),
                    Source::Api => {
                        let made =
                            post(&app, &maker, "/articles/save", json!({"title": "from a script"})).await;
                        made["data"]["id"].as_i64().unwrap()
                    }
                }
            };
            // articles/update
            let id = make().await;
            let read = post(&app, key, "/articles/read", json!({"id": id})).await;
            let expected_source = if source == Source::Api { "api" } else { "admin" };
            assert_eq!(read["data"]["post"]["source"], expected_source, "{what}");
            let before = post_snapshot(&app, &admin_token, id).await;
            let body = json!({"id": id, "title": "changed", "status": 1, "tags": [], "poster": "/p.png"});
            let updated = post(&app, key, "/articles/update", body).await;
            if allowed[update_at] {
                assert_done(&updated, "更新成功", &what);
                let after = post_snapshot(&app, &admin_token, id).await;
                assert_eq!(
                    (after["title"].clone(), after["status"].clone()),
                    (json!("changed"), json!("published"))
                );
            } else {
                assert_refused(&updated, &format!("{what}: update"));
                assert_eq!(post_snapshot(&app, &admin_token, id).await, before, "{what}: nothing changed");
            }
            // articles/delete (form body, as the document's example)
            let id = make().await;
            let before = post_snapshot(&app, &admin_token, id).await;
            let deleted = form(&app, key, "/articles/delete", &[("id", &id.to_string())]).await;
            if allowed[delete_at] {
                assert_done(&deleted, "删除成功", &what);
                assert_eq!(post_snapshot(&app, &admin_token, id).await["status"], "trashed");
                let gone = post(&app, key, "/articles/read", json!({"id": id})).await;
                assert_eq!((gone["code"].clone(), gone["msg"].clone()), (json!(500), json!("文章不存在")));
            } else {
                assert_refused(&deleted, &format!("{what}: delete"));
                assert_eq!(post_snapshot(&app, &admin_token, id).await, before, "{what}: nothing changed");
            }
        }

        // attachments/upload
        seed += 1;
        let stored = app.stored_media_keys().await;
        let uploaded = upload(&app, key, "a.png", &png(seed)).await;
        if allowed[5] {
            assert_done(&uploaded, "上传成功", name);
        } else {
            assert_refused(&uploaded, &format!("{name} upload"));
            assert_eq!(app.stored_media_keys().await, stored, "{name}: nothing stored");
        }

        // attachments/delete
        for (source, at) in [(Source::Api, 6), (Source::Admin, 7)] {
            let what = format!("{name} key on a {source:?}-source attachment");
            seed += 1;
            let id = match source {
                Source::Admin => {
                    let made = app.upload_media(Some(&admin_token), "b.png", &png(seed), &[]).await;
                    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
                    made.json()["id"].as_i64().unwrap()
                }
                Source::Api => {
                    upload(&app, &maker, "c.png", &png(seed)).await["data"]["id"].as_i64().unwrap()
                }
            };
            let listed = post(&app, key, "/attachments/index", json!({"limit": 100})).await;
            let entry = listed["data"]["list"].as_array().unwrap().iter().find(|m| m["id"] == id).cloned();
            let expected_source = if source == Source::Api { "api" } else { "admin" };
            assert_eq!(entry.expect("every key lists the library")["source"], expected_source, "{what}");
            let url = format!("/api/v1/media/{id}");
            let before = app.get(&url, Some(&admin_token)).await.json();
            let deleted = form(&app, key, "/attachments/delete", &[("id", &id.to_string())]).await;
            if allowed[at] {
                assert_done(&deleted, "删除成功", &what);
                assert_eq!(app.get(&url, Some(&admin_token)).await.status, StatusCode::NOT_FOUND, "{what}");
            } else {
                assert_refused(&deleted, &format!("{what}: delete"));
                assert_eq!(app.get(&url, Some(&admin_token)).await.json(), before, "{what}: still there");
            }
        }
    }
}

#[tokio::test]
async fn a_missing_wrong_disabled_or_non_key_credential_gets_401_everywhere() {
    let app = TestApp::new().await;
    let (admin, admin_token) = app.user("boss", Role::Admin).await;
    let key = app.api_key(Some(admin.id), true, true, 2).await;
    let disabled = app.api_key(Some(admin.id), true, true, 2).await;
    let keys = app.core.api_keys(&Actor::System).await.unwrap();
    let disabled_id = keys.iter().map(|k| k.id).max().unwrap(); // the newest: `disabled`
    let patch = ApiKeyPatch { enabled: Some(false), ..ApiKeyPatch::default() };
    app.core.update_api_key(&Actor::System, disabled_id, patch).await.unwrap();
    let id =
        app.create_post(&admin_token, json!({"title": "kept", "body": "x"})).await["id"].as_i64().unwrap();
    let before = post_snapshot(&app, &admin_token, id).await;

    let paths = [
        "articles/index",
        "articles/read",
        "articles/save",
        "articles/update",
        "articles/delete",
        "attachments/index",
        "attachments/upload",
        "attachments/delete",
        "api_key_info/info",
    ];
    let bearer_disabled = format!("Bearer {disabled}");
    let bearer_user = format!("Bearer {admin_token}");
    type Headers<'a> = Vec<(&'a str, &'a str)>;
    let cases: [(&str, Headers, &str); 6] = [
        ("no key", vec![], "缺少 API Key"),
        ("wrong bearer", vec![("authorization", "Bearer isk_wrong")], "API Key 无效或已禁用"),
        ("wrong header", vec![("x-api-key", "isk_wrong")], "API Key 无效或已禁用"),
        ("disabled key", vec![("authorization", bearer_disabled.as_str())], "API Key 无效或已禁用"),
        ("disabled key header", vec![("x-api-key", disabled.as_str())], "API Key 无效或已禁用"),
        ("a user's token", vec![("authorization", bearer_user.as_str())], "API Key 无效或已禁用"),
    ];
    for path in paths {
        for (what, headers, msg) in &cases {
            let body = json!({"id": id, "title": "hijacked"});
            let response =
                app.call_with_headers(Method::POST, &format!("{API}/{path}"), headers, Some(body)).await;
            let body = envelope(response);
            assert_eq!(body, json!({"code": 401, "msg": msg, "data": []}), "{what} on {path}");
        }
    }
    assert_eq!(post_snapshot(&app, &admin_token, id).await, before, "nothing changed");
    let ok = envelope(
        app.call_with_headers(Method::GET, &format!("{API}/api_key_info/info"), &[("x-api-key", &key)], None)
            .await,
    );
    assert_eq!(ok["code"], 0);

    // Paths no controller serves answer in the envelope, not problem+json.
    for path in ["/index.php/api/articles/nope", "/index.php/api/", "/index.php/api"] {
        let response = app.call_with_headers(Method::GET, path, &[("x-api-key", &key)], None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.json(), json!({"code": 404, "msg": "接口不存在", "data": []}), "{path}");
        assert!(response.header("content-type").unwrap().starts_with("application/json"), "{path}");
    }
}

#[tokio::test]
async fn key_info_describes_each_combination_in_chinese() {
    let app = TestApp::new().await;
    let (admin, _) = app.user("boss", Role::Admin).await;
    for (own, other, delete, texts) in [
        (false, false, 0, ["不可管理自己的数据", "不可管理后台数据", "不可删除数据"]),
        (true, false, 1, ["可管理自己的数据", "不可管理后台数据", "仅删除API数据"]),
        (true, true, 2, ["可管理自己的数据", "可管理后台数据", "可删除所有数据"]),
    ] {
        let key = app.api_key(Some(admin.id), own, other, delete).await;
        let info = envelope(
            app.call_with_headers(
                Method::GET,
                &format!("{API}/api_key_info/info"),
                &[("x-api-key", &key)],
                None,
            )
            .await,
        );
        assert_eq!(
            info["data"],
            json!({
                "admin_id": admin.id,
                "can_write_own": i64::from(own),
                "can_write_other": i64::from(other),
                "can_delete": delete,
                "permissions_text": {"can_write_own": texts[0], "can_write_other": texts[1], "can_delete": texts[2]},
            })
        );
    }
}

#[tokio::test]
async fn a_read_only_key_reads_articles_and_the_whole_media_library() {
    let app = TestApp::new().await;
    let (admin, admin_token) = app.user("boss", Role::Admin).await;
    let (_, editor_token) = app.user("ed", Role::Editor).await;
    let read_only = app.api_key(Some(admin.id), false, false, 0).await;
    assert_eq!(
        app.upload_media(Some(&editor_token), "e.png", &png(1), &[]).await.status,
        StatusCode::CREATED
    );
    assert_eq!(app.upload_media(Some(&admin_token), "a.png", &png(2), &[]).await.status, StatusCode::CREATED);
    app.create_post(&admin_token, json!({"title": "draft", "body": "x"})).await;

    let listed = post(&app, &read_only, "/attachments/index", json!({})).await;
    assert_eq!(listed["data"]["total"], 2, "{listed}");
    let images =
        post(&app, &read_only, "/attachments/index", json!({"type": "image", "page": 1, "limit": 1})).await;
    assert_eq!(
        (images["data"]["total"].clone(), images["data"]["list"].as_array().unwrap().len()),
        (json!(2), 1)
    );
    let videos = post(&app, &read_only, "/attachments/index", json!({"type": "video"})).await;
    assert_eq!(videos["data"]["total"], 0);
    let native = app.get("/api/v1/media", Some(&read_only)).await;
    assert_eq!(native.status, StatusCode::OK, "the native library reads the same way: {}", native.text());
    assert_eq!(native.json()["total"], 2);
    let articles = post(&app, &read_only, "/articles/index", json!({})).await;
    assert_eq!(articles["data"]["total"], 1, "drafts included: the key reads as its admin");
}
