//! Every curl example of the ulthon API document (`seeds/apikey-cms-api.md`), run as
//! written by the real `curl` through `sh` against a real TCP server. Only the host
//! (`https://example.com`), the key (`your_api_key`), the ids the document made up (42,
//! 10) and the file path are replaced by this server's.

use std::process::Command;

use inkstone_core::permission::Actor;
use inkstone_core::taxonomy::{CategoryInput, TagInput};
use inkstone_testkit::TestApp;
use serde_json::{Value, json};

const LIST: &str = r#"curl -X GET \
"https://example.com/index.php/api/articles/index?page=1&limit=10" \
-H "Authorization: Bearer your_api_key""#;

const READ: &str = r#"curl -X GET \
"https://example.com/index.php/api/articles/read?id=1" \
-H "Authorization: Bearer your_api_key""#;

const SAVE_HTML: &str = r#"curl -X POST \
"https://example.com/index.php/api/articles/save" \
-H "Authorization: Bearer your_api_key" \
-H "Content-Type: application/json" \
-d '{
"title": "新文章标题",
"content": "文章内容",
"status": 1,
"publish_time": "2024-01-15 14:30:00",
"categorys": [1, 2],
"tags": [3]
}'"#;

const SAVE_MARKDOWN: &str = r##"curl -X POST \
"https://example.com/index.php/api/articles/save" \
-H "Authorization: Bearer your_api_key" \
-H "Content-Type: application/json" \
-d '{
"title": "Markdown 文章",
"content": "# 标题\n\n段落内容",
"content_type": "markdown",
"type": "1",
"status": 1,
"categorys": [1, 2],
"tags": [3]
}'"##;

const UPDATE: &str = r#"curl -X POST \
"https://example.com/index.php/api/articles/update" \
-H "Authorization: Bearer your_api_key" \
-H "Content-Type: application/json" \
-d '{
"id": 42,
"title": "修改后的标题",
"status": 1
}'"#;

const DELETE: &str = r#"curl -X POST \
"https://example.com/index.php/api/articles/delete" \
-H "Authorization: Bearer your_api_key" \
-d "id=42""#;

const ATTACHMENTS: &str = r#"curl -X GET \
"https://example.com/index.php/api/attachments/index?page=1&limit=10" \
-H "Authorization: Bearer your_api_key""#;

const UPLOAD: &str = r#"curl -X POST \
"https://example.com/index.php/api/attachments/upload" \
-H "Authorization: Bearer your_api_key" \
-F "file=@/path/to/image.png""#;

const ATTACHMENT_DELETE: &str = r#"curl -X POST \
"https://example.com/index.php/api/attachments/delete" \
-H "Authorization: Bearer your_api_key" \
-d "id=10""#;

const KEY_INFO: &str = r#"curl -X GET \
"https://example.com/index.php/api/api_key_info/info" \
-H "Authorization: Bearer your_api_key""#;

/// Runs a shell command line; returns curl's stdout (the body), which must be JSON, and
/// the raw text.
async fn run(command: String) -> (Value, String) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new("sh").arg("-c").arg(&command).output().expect("run sh")
    })
    .await
    .expect("join");
    assert!(output.status.success(), "curl failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("UTF-8 body");
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (json, text)
}

struct Replay {
    base: String,
    key: String,
}

impl Replay {
    async fn example(&self, example: &str, replacements: &[(&str, &str)]) -> (Value, String) {
        let mut command = example.to_string();
        for (from, to) in replacements {
            command = command.replace(from, to);
        }
        run(command.replace("https://example.com", &self.base).replace("your_api_key", &self.key)).await
    }
}

fn assert_success(body: &Value, msg: &str) {
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["msg"], msg, "{body}");
}

fn png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(12, 8, |x, y| image::Rgb([(x * 20) as u8, (y * 30) as u8, 9]));
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_curl_example_of_the_document_gets_the_documented_shape() {
    let app = TestApp::new().await;
    let (admin, admin_token) = app.user("boss", inkstone_core::model::Role::Admin).await;
    for name in ["新闻", "教程"] {
        app.core.create_category(&Actor::System, CategoryInput::named(name)).await.unwrap();
    }
    for name in ["rust", "php", "排版"] {
        let input = TagInput { name: Some(name.into()), ..TagInput::default() };
        app.core.create_tag(&Actor::System, input).await.unwrap();
    }
    // Article 1: written in the back office, published.
    let first = app
        .create_post(
            &admin_token,
            json!({"title": "后台文章", "body": "<p>后台</p>", "format": "html", "status": "published"}),
        )
        .await;
    assert_eq!(first["id"], 1);
    let key = app.api_key(Some(admin.id), true, true, 2).await;
    let base = app.serve_on_loopback().await;
    let replay = Replay { base, key };

    // articles/index
    let (list, _) = replay.example(LIST, &[]).await;
    assert_success(&list, "success");
    assert_eq!(list["data"]["total"], 1);
    assert_eq!(list["data"]["page"], 1);
    let entry = &list["data"]["list"][0];
    for (field, kind) in [
        ("id", "int"),
        ("title", "string"),
        ("content", "string"),
        ("content_type", "string"),
        ("type", "string"),
        ("status", "int"),
        ("source", "string"),
        ("cover_text", "string"),
        ("create_time", "int"),
        ("update_time", "int"),
        ("categorys", "array"),
        ("tags", "array"),
    ] {
        let value = &entry[field];
        let ok = match kind {
            "int" => value.is_i64(),
            "string" => value.is_string(),
            _ => value.is_array(),
        };
        assert!(ok, "list entry `{field}` should be {kind}: {entry}");
    }
    assert_eq!(entry["type"], "1");
    assert_eq!(entry["status"], 1);
    assert_eq!(entry["source"], "admin");
    assert_eq!(entry["content_type"], "html");
    assert_eq!(entry["create_time"], 1_767_225_600, "2026-01-01T00:00:00Z by the test clock");

    // articles/read
    let (read, _) = replay.example(READ, &[]).await;
    assert_success(&read, "success");
    let post = &read["data"]["post"];
    assert_eq!(post["id"], 1);
    assert_eq!(post["title"], "后台文章");
    assert_eq!(post["content"], "<p>后台</p>");
    assert_eq!(post["content_html"], "<p>后台</p>");
    for field in ["desc", "cover_text", "poster", "type", "source", "content_type"] {
        assert!(post[field].is_string(), "`{field}`: {post}");
    }
    assert!(post["status"].is_i64());
    assert!(read["data"]["categories"].is_array() && read["data"]["tags"].is_array(), "{read}");

    // articles/save (HTML)
    let (saved, _) = replay.example(SAVE_HTML, &[]).await;
    assert_success(&saved, "创建成功");
    let html_id = saved["data"]["id"].as_i64().expect("id is an int");
    assert!(saved["data"]["uid"].is_string(), "{saved}");
    let (read, _) = replay.example(READ, &[("id=1", &format!("id={html_id}"))]).await;
    let post = &read["data"]["post"];
    assert_eq!(post["title"], "新文章标题");
    assert_eq!(post["content"], "文章内容");
    assert_eq!(post["status"], 1);
    assert_eq!(post["source"], "api");
    assert_eq!(post["type"], "1");
    assert_eq!(post["publish_time"], 1_705_329_000, "2024-01-15 14:30:00 in the site zone (UTC)");
    let categories: Vec<&Value> =
        read["data"]["categories"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(categories, [1, 2]);
    assert_eq!(read["data"]["categories"][0]["title"], "新闻");
    assert_eq!(read["data"]["tags"], json!([{"id": 3, "title": "排版"}]));

    // articles/save (Markdown)
    let (saved, _) = replay.example(SAVE_MARKDOWN, &[]).await;
    assert_success(&saved, "创建成功");
    let markdown_id = saved["data"]["id"].as_i64().unwrap();
    let (read, _) = replay.example(READ, &[("id=1", &format!("id={markdown_id}"))]).await;
    let post = &read["data"]["post"];
    assert_eq!(post["content_type"], "markdown");
    assert_eq!(post["content"], "# 标题\n\n段落内容");
    let html = post["content_html"].as_str().unwrap();
    assert!(html.starts_with("<h1") && html.contains(">标题<") && html.contains("<p>段落内容</p>"), "{html}");
    assert_eq!(post["publish_time"], 1_767_225_600, "status 1 without publish_time: now");

    // articles/update
    let id = html_id.to_string();
    let (updated, _) = replay.example(UPDATE, &[("42", &id)]).await;
    assert_success(&updated, "更新成功");
    assert_eq!(updated["data"], json!([]));
    let (read, _) = replay.example(READ, &[("id=1", &format!("id={id}"))]).await;
    assert_eq!(read["data"]["post"]["title"], "修改后的标题");

    // articles/delete (a form body)
    let (deleted, _) = replay.example(DELETE, &[("42", &id)]).await;
    assert_success(&deleted, "删除成功");
    assert_eq!(deleted["data"], json!([]));
    let (gone, _) = replay.example(READ, &[("id=1", &format!("id={id}"))]).await;
    assert_eq!((gone["code"].clone(), gone["msg"].clone()), (json!(500), json!("文章不存在")));

    // attachments/upload (multipart from a real file)
    let path = app.dir.path().join("image.png");
    std::fs::write(&path, png()).unwrap();
    let (uploaded, raw) = replay.example(UPLOAD, &[("/path/to/image.png", path.to_str().unwrap())]).await;
    assert_success(&uploaded, "上传成功");
    assert!(raw.contains(r#""msg":"上传成功""#), "Chinese stays raw: {raw}");
    assert!(raw.contains(r#""url":"\/media\/"#), "slashes escaped as PHP does: {raw}");
    let data = &uploaded["data"];
    assert!(data["id"].is_i64(), "{data}");
    assert_eq!(data["name"], "image.png");
    assert_eq!(data["size"], png().len());
    assert!(data["url"].as_str().unwrap().starts_with("/media/"), "{data}");
    let media_id = data["id"].as_i64().unwrap().to_string();
    let served = app.get(data["url"].as_str().unwrap(), None).await;
    assert_eq!(served.body, png(), "the URL serves the file");

    // attachments/index
    let (attachments, _) = replay.example(ATTACHMENTS, &[]).await;
    assert_success(&attachments, "success");
    assert_eq!(attachments["data"]["total"], 1);
    assert_eq!(attachments["data"]["page"], 1);
    let entry = &attachments["data"]["list"][0];
    assert_eq!(entry["id"].as_i64().unwrap().to_string(), media_id);
    assert_eq!(entry["name"], "image.png");
    assert_eq!(entry["type"], "image");
    assert_eq!(entry["source"], "api");
    assert_eq!(entry["size"], png().len());
    assert_eq!(entry["create_time"], 1_767_225_600);
    let save_name = entry["save_name"].as_str().unwrap();
    assert!(save_name.ends_with(".png") && entry["url"].as_str().unwrap().ends_with(save_name), "{entry}");

    // attachments/delete
    let (deleted, _) = replay.example(ATTACHMENT_DELETE, &[("id=10", &format!("id={media_id}"))]).await;
    assert_success(&deleted, "删除成功");
    let (attachments, _) = replay.example(ATTACHMENTS, &[]).await;
    assert_eq!(attachments["data"]["total"], 0);

    // api_key_info/info
    let (info, _) = replay.example(KEY_INFO, &[]).await;
    assert_success(&info, "success");
    assert_eq!(
        info["data"],
        json!({
            "admin_id": admin.id,
            "can_write_own": 1,
            "can_write_other": 1,
            "can_delete": 2,
            "permissions_text": {
                "can_write_own": "可管理自己的数据",
                "can_write_other": "可管理后台数据",
                "can_delete": "可删除所有数据",
            }
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_own_only_key_info_and_the_x_api_key_header() {
    let app = TestApp::new().await;
    let (admin, _) = app.user("boss", inkstone_core::model::Role::Admin).await;
    let key = app.api_key(Some(admin.id), true, false, 1).await;
    let base = app.serve_on_loopback().await;
    let replay = Replay { base, key };
    // The document's example reply, value for value.
    let expected = json!({
        "code": 0,
        "msg": "success",
        "data": {
            "admin_id": admin.id,
            "can_write_own": 1,
            "can_write_other": 0,
            "can_delete": 1,
            "permissions_text": {
                "can_write_own": "可管理自己的数据",
                "can_write_other": "不可管理后台数据",
                "can_delete": "仅删除API数据"
            }
        }
    });
    let (info, _) = replay.example(KEY_INFO, &[]).await;
    assert_eq!(info, expected);
    let (info, _) = replay.example(KEY_INFO, &[("Authorization: Bearer ", "X-API-Key: ")]).await;
    assert_eq!(info, expected, "X-API-Key works the same");
    let (saved, _) = replay.example(SAVE_MARKDOWN, &[("Authorization: Bearer ", "X-API-Key: ")]).await;
    assert_eq!(saved["code"], 500, "categories 1 and 2 do not exist here: {saved}");
    assert_eq!(saved["msg"], "分类不存在：1");

    // No key, a wrong key: 401 in the envelope (HTTP 200, as ThinkPHP's json() sends).
    let (missing, _) =
        run(format!("curl -s {base}/index.php/api/api_key_info/info", base = replay.base)).await;
    assert_eq!(missing, json!({"code": 401, "msg": "缺少 API Key", "data": []}));
    let wrong_key = Replay { base: replay.base.clone(), key: "isk_not_a_key".into() };
    let (wrong, _) = wrong_key.example(KEY_INFO, &[]).await;
    assert_eq!(wrong, json!({"code": 401, "msg": "API Key 无效或已禁用", "data": []}));
}
