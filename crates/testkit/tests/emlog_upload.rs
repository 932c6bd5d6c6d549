//! emlog `upload` over the real router: the reply's shape and types, the stored file served
//! at its URL, and emlog's texts for a refused type, a file too large and no file.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use inkstone_core::model::Role;
use inkstone_http::media::MediaLimits;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

const SITE: &str = "http://blog.example";
const BOUNDARY: &str = "emlog-upload-test-boundary";

/// One multipart part: a text field, or a file with its name and type.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

/// A multipart `POST` with the parts in the order given (PHP's curl sends an array's
/// entries in order, so the key may come after the file).
async fn multipart(app: &TestApp, uri: &str, parts: &[Part<'_>]) -> TestResponse {
    let mut body = Vec::new();
    for part in parts {
        match part {
            Part::Text(name, value) => body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            ),
            Part::File(name, file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

async fn app_with_key() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    app.set_setting("site.url", SITE).await;
    app.user("emer", Role::Admin).await;
    let key = app.api_key(None, true, false, 0).await;
    (app, key)
}

fn assert_error(response: &TestResponse, status: StatusCode, msg: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({"code": 1, "msg": msg, "data": ""}), "{}", response.text());
}

fn ok_data(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["code"], 0, "{}", response.text());
    response.json()["data"].clone()
}

#[tokio::test]
async fn a_png_upload_answers_emlogs_shape_and_its_url_serves_the_bytes() {
    let (app, key) = app_with_key().await;
    let bytes = png(800, 500);
    // The PHP example's order: file, sid, api_key.
    let response = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::File("file", "icon-1024.png", &bytes), Part::Text("sid", "1"), Part::Text("api_key", &key)],
    )
    .await;
    let data = ok_data(&response);
    let mut keys: Vec<&str> = data.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, vec!["file_info", "media_id", "url"]);
    assert!(data["media_id"].is_i64());
    let info = &data["file_info"];
    assert_eq!(info["file_name"], "icon-1024.png");
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["size"], bytes.len() as i64);
    assert_eq!(info["width"], 800);
    assert_eq!(info["height"], 500);
    let url = data["url"].as_str().unwrap();
    let path = url.strip_prefix(SITE).expect("an absolute URL on the site");
    assert!(path.starts_with("/media/"), "{url}");
    assert_eq!(info["file_path"], format!("..{path}"), "emlog-looking relative path");
    let thumb = info["thum_file"].as_str().expect("a thumbnail for a large image");
    assert!(thumb.starts_with("../media/") && thumb.contains("_thumb."), "{thumb}");
    // The raw reply escapes `/` as PHP does.
    assert!(response.text().contains(r#""file_path":"..\/media\/"#), "{}", response.text());

    let served = app.get(path, None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, bytes);
    let thumbnail = app.get(thumb.trim_start_matches(".."), None).await;
    assert_eq!(thumbnail.status, StatusCode::OK);

    // The same through the query key, streamed, and usable as a cover.
    let again = multipart(
        &app,
        &format!("/?rest-api=upload&api_key={key}"),
        &[Part::File("file", "b.png", &png(10, 10))],
    )
    .await;
    let small = ok_data(&again);
    assert_eq!(small["file_info"]["width"], 10);
    let file_path = small["file_info"]["file_path"].as_str().unwrap().to_string();
    let post = app
        .form(
            Method::POST,
            "/?rest-api=article_post",
            &[],
            &[("api_key", &key), ("title", "t"), ("content", "c"), ("cover", &file_path)],
        )
        .await;
    let id = ok_data(&post)["article_id"].as_i64().unwrap();
    let detail = ok_data(&app.get(&format!("/?rest-api=article_detail&id={id}"), None).await);
    assert_eq!(detail["article"]["cover"], small["url"]);
}

#[tokio::test]
async fn a_refused_type_is_emlogs_type_error() {
    let (app, key) = app_with_key().await;
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00fake zip content here";
    let response = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::Text("api_key", &key), Part::File("file", "a.zip", zip)],
    )
    .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "不能上传该类型文件");
    assert!(app.stored_media_keys().await.is_empty(), "nothing kept");
}

#[tokio::test]
async fn a_file_too_large_is_emlogs_size_error() {
    let (app, key) = app_with_key().await;
    let app = app.with_media_limits(MediaLimits { max_upload_bytes: 1024, ..MediaLimits::default() });
    let big = png(200, 200);
    assert!(big.len() > 1024);
    let streamed = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::Text("api_key", &key), Part::File("file", "a.png", &big)],
    )
    .await;
    assert_error(&streamed, StatusCode::BAD_REQUEST, "文件太大了，系统限制上传：1 KB");
    let held = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::File("file", "a.png", &big), Part::Text("api_key", &key)],
    )
    .await;
    assert_error(&held, StatusCode::BAD_REQUEST, "文件太大了，系统限制上传：1 KB");
    assert!(app.stored_media_keys().await.is_empty());
}

#[tokio::test]
async fn no_file_is_an_upload_error() {
    let (app, key) = app_with_key().await;
    let no_file =
        multipart(&app, "/?rest-api=upload", &[Part::Text("api_key", &key), Part::Text("sid", "1")]).await;
    assert_error(&no_file, StatusCode::BAD_REQUEST, "Upload error");
    let form = app.form(Method::POST, "/?rest-api=upload", &[], &[("api_key", &key)]).await;
    assert_error(&form, StatusCode::BAD_REQUEST, "Upload error");
    let other_field = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::Text("api_key", &key), Part::File("image", "a.png", &png(4, 4))],
    )
    .await;
    assert_error(&other_field, StatusCode::BAD_REQUEST, "Upload error");
    let wrong_key = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::File("file", "a.png", &png(4, 4)), Part::Text("api_key", "nope")],
    )
    .await;
    assert_error(&wrong_key, StatusCode::UNAUTHORIZED, "auth error");
    // A read-only key may not upload.
    let read_only = app.api_key(None, false, false, 0).await;
    let refused = multipart(
        &app,
        "/?rest-api=upload",
        &[Part::Text("api_key", &read_only), Part::File("file", "a.png", &png(4, 4))],
    )
    .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "permission denied");
}
