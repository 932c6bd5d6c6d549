//! Media over the real router: uploads, the library, groups, serving, and the refusals
//! (permissions, sizes, types, path traversal).

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use inkstone_core::model::Role;
use inkstone_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

fn png(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 7]));
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 200) as u8, 90, (y % 200) as u8]));
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg).unwrap();
    bytes
}

/// The path of a public URL (`http://127.0.0.1:8080/media/...` -> `/media/...`).
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    format!("/{}", rest.split_once('/').map_or("", |(_, path)| path))
}

async fn uploaded(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Value {
    let response = app.upload_media(Some(token), name, bytes, &[]).await;
    assert_eq!(response.status, StatusCode::CREATED, "upload of {name}: {}", response.text());
    response.json()
}

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    app.call_with_headers(Method::GET, path, headers, None).await
}

#[tokio::test]
async fn an_upload_is_stored_served_listed_changed_and_deleted() {
    let app = TestApp::new().await;
    let (author, token) = app.user("writer", Role::Author).await;
    let bytes = png(800, 600);
    let media = uploaded(&app, &token, "holiday photo.png", &bytes).await;
    assert_eq!(media["mime"], "image/png");
    assert_eq!(media["size"], bytes.len());
    assert_eq!((media["width"].as_i64(), media["height"].as_i64()), (Some(800), Some(600)));
    assert_eq!(media["original_name"], "holiday photo.png");
    assert_eq!(media["uploader_id"], author.id);
    assert_eq!(media["origin"], "console");
    assert_eq!(media["sha256"].as_str().unwrap().len(), 64);
    let url = media["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:8080/media/"), "{url}");
    assert!(!url.contains("holiday"), "the uploaded name is never the storage key: {url}");

    let served = fetch(&app, &path_of(url), &[]).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, bytes);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(served.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(
        served.header("etag").map(str::to_string),
        Some(format!("\"{}\"", media["sha256"].as_str().unwrap()))
    );
    assert!(served.header("last-modified").is_some());
    assert_eq!(served.header("content-disposition"), None, "a PNG is shown in place");

    // The thumbnail fits in 320x320 and keeps the aspect ratio.
    assert_eq!(
        (media["thumbnail_width"].as_i64(), media["thumbnail_height"].as_i64()),
        (Some(320), Some(240))
    );
    let thumb = fetch(&app, &path_of(media["thumbnail_url"].as_str().unwrap()), &[]).await;
    assert_eq!(thumb.status, StatusCode::OK);
    let size = imagesize::blob_size(&thumb.body).unwrap();
    assert_eq!((size.width, size.height), (320, 240));

    // A JPEG gets a JPEG thumbnail of the right size too.
    let photo = uploaded(&app, &token, "photo.jpg", &jpeg(1000, 500)).await;
    assert_eq!(photo["mime"], "image/jpeg");
    let thumb = fetch(&app, &path_of(photo["thumbnail_url"].as_str().unwrap()), &[]).await;
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));
    let size = imagesize::blob_size(&thumb.body).unwrap();
    assert_eq!((size.width, size.height), (320, 160));

    // A plain-text file: no dimensions, no thumbnail.
    let note = uploaded(&app, &token, "notes.txt", "买菜 and milk\n".as_bytes()).await;
    assert_eq!(note["mime"], "text/plain");
    assert_eq!(note["thumbnail_url"], Value::Null);
    assert_eq!(note["width"], Value::Null);

    let list = app.get("/api/v1/media?mime=image", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    assert_eq!(list.json()["total"], 2);
    assert_eq!(list.json()["items"][0]["id"], photo["id"], "newest first");
    assert_eq!(app.get("/api/v1/media", Some(&token)).await.json()["total"], 3);

    let id = media["id"].as_i64().unwrap();
    let renamed =
        app.patch(&format!("/api/v1/media/{id}"), Some(&token), json!({"original_name": "beach.png"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
    assert_eq!(renamed.json()["original_name"], "beach.png");
    let bad = app
        .patch(&format!("/api/v1/media/{id}"), Some(&token), json!({"original_name": "../beach.png"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&format!("/api/v1/media/{id}"), Some(&token)).await.json()["original_name"],
        "beach.png"
    );

    let before = app.stored_media_keys().await;
    assert_eq!(before.len(), 5, "three files and two thumbnails: {before:?}");
    let deleted = app.call(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, &path_of(url), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/media/{id}"), Some(&token)).await.status, StatusCode::NOT_FOUND);
    let after = app.stored_media_keys().await;
    assert_eq!(after.len(), 3, "the file and its thumbnail went: {after:?}");
    assert!(!after.iter().any(|k| url.ends_with(k.as_str())));
}

#[tokio::test]
async fn svg_payloads_are_only_ever_served_as_sandboxed_attachments() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/xss/payloadsallthethings/svg");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let media = uploaded(&app, &token, &name, &bytes).await;
        assert_eq!(media["mime"], "image/svg+xml", "{name}");
        assert_eq!(media["thumbnail_url"], Value::Null, "{name}: SVG is never rasterised");
        let served = fetch(&app, &path_of(media["url"].as_str().unwrap()), &[]).await;
        assert_eq!(served.status, StatusCode::OK, "{name}");
        assert_eq!(served.body, bytes, "{name}");
        let disposition = served.header("content-disposition").unwrap_or_default();
        assert!(disposition.starts_with("attachment"), "{name}: {disposition}");
        assert_eq!(served.header("content-security-policy"), Some("default-src 'none'; sandbox"), "{name}");
        assert_eq!(served.header("x-content-type-options"), Some("nosniff"), "{name}");
        seen += 1;
    }
    assert!(seen >= 8, "the whole corpus was uploaded ({seen})");

    // HTML is not on the default allow-list, whatever the client calls it.
    for (name, bytes) in [
        ("page.png", &b"<!doctype html><script>alert(1)</script>"[..]),
        ("readme.txt", &b"hello <script>alert(1)</script>"[..]),
    ] {
        let refused = app.upload_media(Some(&token), name, bytes, &[]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", refused.text());
        assert!(refused.json()["detail"].as_str().unwrap().contains("text/html"), "{}", refused.text());
    }
    assert_eq!(app.stored_media_keys().await.len(), seen, "refused files left nothing behind");

    // An admin may allow more types; XML then comes back as a sandboxed attachment too.
    let (_, admin) = app.user("boss", Role::Admin).await;
    let allowed = app
        .patch("/api/v1/settings", Some(&admin), json!({"media.allowed_types": "image/*, application/xml"}))
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text());
    let xml = uploaded(&app, &token, "feed.xml", b"<?xml version=\"1.0\"?><rss/>").await;
    assert_eq!(xml["mime"], "application/xml");
    let served = fetch(&app, &path_of(xml["url"].as_str().unwrap()), &[]).await;
    assert!(served.header("content-disposition").unwrap().starts_with("attachment"));
    assert_eq!(served.header("content-security-policy"), Some("default-src 'none'; sandbox"));
}

#[tokio::test]
async fn file_names_that_try_to_leave_the_storage_root_are_refused() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let bytes = png(4, 4);
    for name in [
        "../evil.png",
        "../../etc/passwd",
        "..\\\\evil.png",
        "dir/evil.png",
        "/etc/passwd",
        "C:\\\\Windows\\\\evil.png",
        "%2e%2e%2fevil.png",
        "..%2Fevil.png",
        "evil\u{1}.png",
        "..",
    ] {
        let response = app.upload_media(Some(&token), name, &bytes, &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {}", response.text());
        assert_eq!(response.json()["field"], "file", "{name:?}");
    }
    assert!(app.stored_media_keys().await.is_empty(), "nothing was stored");
    assert_eq!(app.get("/api/v1/media", Some(&token)).await.json()["total"], 0);
}

#[tokio::test]
async fn media_paths_that_try_to_leave_the_storage_root_are_refused() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let media = uploaded(&app, &token, "a.png", &png(4, 4)).await;
    let key = media["key"].as_str().unwrap().to_string();
    let (year, month) = (&key[..4], &key[5..7]);
    for path in [
        "/media/../inkstone.db".to_string(),
        "/media/..%2finkstone.db".to_string(),
        "/media/%2e%2e/%2e%2e/inkstone.db".to_string(),
        format!("/media/{year}/{month}/..%2F..%2F..%2Finkstone.db"),
        format!("/media/{year}/../../inkstone.db"),
        "/media/..%5c..%5cinkstone.db".to_string(),
        "/media/%252e%252e/inkstone.db".to_string(),
        "/media//etc/passwd".to_string(),
        "/media/%00".to_string(),
        format!("/media/{key}%00.png"),
        format!("/media/{year}%2f{month}%2f{}", &key[8..]),
    ] {
        let response = fetch(&app, &path, &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", response.text());
        assert_eq!(response.json()["field"], "key", "{path}");
        assert!(!response.body.starts_with(b"SQLite"), "{path}");
    }
    // Well-formed but unknown, or not a server-made key at all: not found.
    for path in
        ["/media/2026/01/00000000000000000000000000000000.png", "/media/inkstone.db", "/media/server.key"]
    {
        assert_eq!(fetch(&app, path, &[]).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(fetch(&app, &format!("/media/{key}"), &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_oversized_upload_is_refused_and_nothing_is_kept() {
    let limits = inkstone_http::media::MediaLimits { max_upload_bytes: 1024 * 1024, ..Default::default() };
    let app = TestApp::new().await.with_media_limits(limits);
    let (_, token) = app.user("writer", Role::Author).await;
    let mut big = png(8, 8);
    big.resize(2 * 1024 * 1024, 0);

    // Declared too large: refused before the body is read.
    let response = app.upload_media(Some(&token), "big.png", &big, &[]).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", response.text());
    assert_eq!(response.json()["code"], "payload_too_large");

    // No Content-Length (chunked): refused while streaming, the partial file removed.
    const BOUNDARY: &str = "b0undary";
    let mut head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n"
    )
    .into_bytes();
    head.extend_from_slice(&big[..64 * 1024]);
    let rest = big[64 * 1024..].to_vec();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = std::iter::once(Ok(head))
        .chain(rest.chunks(16 * 1024).map(|c| Ok(c.to_vec())))
        .chain(std::iter::once(Ok(format!("\r\n--{BOUNDARY}--\r\n").into_bytes())))
        .collect();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/media")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", response.text());

    assert!(app.stored_media_keys().await.is_empty(), "nothing left in storage");
    assert_eq!(app.get("/api/v1/media", Some(&token)).await.json()["total"], 0, "no record");

    // Right at the limit is fine.
    let mut exact = png(8, 8);
    exact.resize(1024 * 1024, 0);
    let ok = app.upload_media(Some(&token), "exact.png", &exact, &[]).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    assert_eq!(ok.json()["size"], 1024 * 1024);
}

#[tokio::test]
async fn the_same_bytes_are_stored_once_until_the_last_record_goes() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let (_, other) = app.user("other", Role::Editor).await;
    let bytes = png(400, 400);
    let first = uploaded(&app, &token, "one.png", &bytes).await;
    let second = uploaded(&app, &other, "two.png", &bytes).await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["url"], second["url"], "one stored file");
    assert_eq!(first["thumbnail_url"], second["thumbnail_url"]);
    assert_eq!(second["original_name"], "two.png");
    let stored = app.stored_media_keys().await;
    assert_eq!(stored.len(), 2, "one blob and one thumbnail: {stored:?}");

    let url = path_of(first["url"].as_str().unwrap());
    let delete = |token: String, id: i64| {
        let app = &app;
        async move { app.call(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&token), None).await.status }
    };
    assert_eq!(delete(token.clone(), first["id"].as_i64().unwrap()).await, StatusCode::NO_CONTENT);
    assert_eq!(app.stored_media_keys().await, stored, "still used by the second record");
    assert_eq!(fetch(&app, &url, &[]).await.body, bytes);
    assert_eq!(delete(other.clone(), second["id"].as_i64().unwrap()).await, StatusCode::NO_CONTENT);
    assert!(app.stored_media_keys().await.is_empty(), "the last record took the files along");
    assert_eq!(fetch(&app, &url, &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ranges_validators_and_not_modified() {
    let app = TestApp::new().await;
    let (_, token) = app.user("writer", Role::Author).await;
    let bytes: Vec<u8> = (0..1000u32).flat_map(|n| format!("line {n}\n").into_bytes()).collect();
    let media = uploaded(&app, &token, "lines.txt", &bytes).await;
    let path = path_of(media["url"].as_str().unwrap());
    let whole = fetch(&app, &path, &[]).await;
    assert_eq!(whole.header("content-type"), Some("text/plain; charset=utf-8"));
    let etag = whole.header("etag").unwrap().to_string();
    let modified = whole.header("last-modified").unwrap().to_string();
    let size = bytes.len();

    let part = fetch(&app, &path, &[("range", "bytes=0-9")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, &bytes[..10]);
    assert_eq!(part.header("content-range").map(str::to_string), Some(format!("bytes 0-9/{size}")));
    let tail = fetch(&app, &path, &[("range", "bytes=-5")]).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, &bytes[size - 5..]);
    let open = fetch(&app, &path, &[("range", "bytes=100-")]).await;
    assert_eq!(open.body, &bytes[100..]);
    let beyond = fetch(&app, &path, &[("range", &format!("bytes={size}-"))]).await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.header("content-range").map(str::to_string), Some(format!("bytes */{size}")));
    let stale = fetch(&app, &path, &[("range", "bytes=0-9"), ("if-range", "\"not-the-etag\"")]).await;
    assert_eq!((stale.status, stale.body.len()), (StatusCode::OK, size), "a changed validator gets it all");
    let fresh = fetch(&app, &path, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!(fresh.status, StatusCode::PARTIAL_CONTENT);

    let cached = fetch(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    let listed = fetch(&app, &path, &[("if-none-match", &format!("\"x\", W/{etag}"))]).await;
    assert_eq!(listed.status, StatusCode::NOT_MODIFIED);
    let changed = fetch(&app, &path, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(changed.status, StatusCode::OK);
    let since = fetch(&app, &path, &[("if-modified-since", &modified)]).await;
    assert_eq!(since.status, StatusCode::NOT_MODIFIED);
    let older = fetch(&app, &path, &[("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT")]).await;
    assert_eq!(older.status, StatusCode::OK);

    // HEAD tells the length without the body.
    let head = app.call_with_headers(Method::HEAD, &path, &[], None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("content-length").map(str::to_string), Some(size.to_string()));
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn only_those_who_may_upload_can_and_nothing_is_stored_otherwise() {
    let app = TestApp::new().await;
    let (_, subscriber) = app.user("reader", Role::Subscriber).await;
    let (_, admin) = app.user("boss", Role::Admin).await;
    let bytes = png(10, 10);

    let anonymous = app.upload_media(None, "a.png", &bytes, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.text());
    let refused = app.upload_media(Some(&subscriber), "a.png", &bytes, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());

    let key = |flags: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let mut request = json!({"name": "integration"});
            request.as_object_mut().unwrap().extend(flags.as_object().unwrap().clone());
            let response = app.post("/api/v1/api-keys", Some(&admin), request).await;
            assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
            response.json()["key"].as_str().unwrap().to_string()
        }
    };
    let read_only = key(json!({"can_write_own": 0, "can_write_other": 0, "can_delete": 0})).await;
    let refused = app.upload_media(Some(&read_only), "a.png", &bytes, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert!(app.stored_media_keys().await.is_empty(), "nothing stored for refused callers");
    assert_eq!(app.get("/api/v1/media", Some(&admin)).await.json()["total"], 0);
    assert_eq!(app.get("/api/v1/media", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/media", Some(&subscriber)).await.status, StatusCode::FORBIDDEN);

    // A key that may write its own uploads; its files have origin `api` and it may delete
    // them only with can_delete.
    let writer = key(json!({"can_write_own": 1, "can_write_other": 0, "can_delete": 0})).await;
    let media = uploaded(&app, &writer, "from-a-script.png", &bytes).await;
    assert_eq!(media["origin"], "api");
    let id = media["id"].as_i64().unwrap();
    let delete = app.call(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&writer), None).await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    let deleter = key(json!({"can_write_own": 1, "can_write_other": 0, "can_delete": 1})).await;
    let delete = app.call(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&deleter), None).await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn authors_manage_their_own_files_and_editors_everyone_s() {
    let app = TestApp::new().await;
    let (_, alice) = app.user("alice", Role::Author).await;
    let (bob_user, bob) = app.user("bob", Role::Contributor).await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    let from_alice = uploaded(&app, &alice, "a.png", &png(5, 5)).await;
    uploaded(&app, &bob, "b.png", &png(6, 6)).await;
    let alice_list = app.get("/api/v1/media", Some(&alice)).await.json();
    assert_eq!(alice_list["total"], 1, "authors see their own uploads");
    assert_eq!(app.get("/api/v1/media", Some(&editor)).await.json()["total"], 2);
    let by_bob = app.get(&format!("/api/v1/media?uploader_id={}", bob_user.id), Some(&editor)).await.json();
    assert_eq!(by_bob["total"], 1);
    let id = from_alice["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v1/media/{id}"), Some(&bob)).await.status, StatusCode::NOT_FOUND);
    let taken = app.call(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&bob), None).await;
    assert_eq!(taken.status, StatusCode::NOT_FOUND);
    let renamed =
        app.patch(&format!("/api/v1/media/{id}"), Some(&editor), json!({"original_name": "ed.png"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
    // The file itself is public.
    assert_eq!(fetch(&app, &path_of(from_alice["url"].as_str().unwrap()), &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn media_groups_hold_uploads() {
    let app = TestApp::new().await;
    let (_, author) = app.user("writer", Role::Author).await;
    let (_, editor) = app.user("ed", Role::Editor).await;
    let created = app.post("/api/v1/media-groups", Some(&author), json!({"name": "封面"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let group = created.json()["id"].as_i64().unwrap();
    let duplicate = app.post("/api/v1/media-groups", Some(&author), json!({"name": "封面"})).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);

    let group_text = group.to_string();
    let in_group = app.upload_media(Some(&author), "c.png", &png(3, 3), &[("group_id", &group_text)]).await;
    assert_eq!(in_group.status, StatusCode::CREATED, "{}", in_group.text());
    assert_eq!(in_group.json()["group_id"], group);
    let by_query =
        app.call(Method::GET, &format!("/api/v1/media?group_id={group}"), Some(&author), None).await;
    assert_eq!(by_query.json()["total"], 1);
    uploaded(&app, &author, "loose.png", &png(2, 2)).await;
    let groups = app.get("/api/v1/media-groups", Some(&author)).await.json();
    assert_eq!(groups[0]["media_count"], 1);

    let unknown = app.upload_media(Some(&author), "d.png", &png(3, 3), &[("group_id", "9999")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text());
    assert_eq!(unknown.json()["field"], "group_id");
    assert_eq!(
        app.stored_media_keys().await.len(),
        4,
        "two files and their thumbnails; nothing for the refused one"
    );

    let id = in_group.json()["id"].as_i64().unwrap();
    let out = app.patch(&format!("/api/v1/media/{id}"), Some(&author), json!({"group_id": null})).await;
    assert_eq!(out.json()["group_id"], Value::Null);
    let back = app.patch(&format!("/api/v1/media/{id}"), Some(&author), json!({"group_id": group})).await;
    assert_eq!(back.json()["group_id"], group);

    let rename =
        app.patch(&format!("/api/v1/media-groups/{group}"), Some(&author), json!({"name": "x"})).await;
    assert_eq!(rename.status, StatusCode::FORBIDDEN, "shared groups are the editors' to rename");
    let rename =
        app.patch(&format!("/api/v1/media-groups/{group}"), Some(&editor), json!({"name": "Covers"})).await;
    assert_eq!(rename.json()["name"], "Covers");
    let gone = app.call(Method::DELETE, &format!("/api/v1/media-groups/{group}"), Some(&editor), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let media = app.get(&format!("/api/v1/media/{id}"), Some(&author)).await.json();
    assert_eq!(media["group_id"], Value::Null, "the file stays, in no group");
}
