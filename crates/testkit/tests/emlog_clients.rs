//! The emlog document's PHP (curl extension) and Python (`requests`) examples, run
//! literally (only the URL and the key substituted) against a real TCP server. Each
//! publishes a note with `api_key` and prints the response.
//!
//! Needs `php` with the curl extension and `python3` with `requests`. Without them the
//! tests print a skip note and pass, unless `INKSTONE_REQUIRE_CLIENTS=1` is set (as
//! `.ci/run` does), in which case they fail.

use std::process::Command;

use inkstone_core::model::Role;
use inkstone_core::notes::NoteListParams;
use inkstone_testkit::TestApp;
use serde_json::Value;

/// The PHP example of the emlog document, as printed there.
const PHP_EXAMPLE: &str = r#"<?php

// API秘钥，在后台系统-设置-API接口设置里可以找到
$apikey = 'your_api_key';

// 请求参数
$data = array(
    't' => '这是一篇测试微语笔记',
    'author_uid' => '1',
    'api_key' => $apikey
);

// 请求URL
$url = 'https://yourdomain/?rest-api=note_post';

$ch = curl_init();
curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($data));// 设置请求参数
curl_setopt($ch, CURLOPT_URL, $url);// 设置请求URL
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);// 设置返回结果不直接输出
$response = curl_exec($ch);// 执行请求并获取响应数据
curl_close($ch);// 关闭curl

echo $response; // 输出响应结果
"#;

/// The Python example of the emlog document, as printed there.
const PYTHON_EXAMPLE: &str = r#"import time
import hashlib
import requests

# API秘钥，在后台系统-设置-API接口设置里可以找到
apikey = 'your_api_key'

# 请求参数
data = {
    't': '这是一篇测试微语笔记',
    'author_uid': '1',
    'api_key': apikey
}

# 请求URL
url = 'https://yourdomain/?rest-api=note_post'
response = requests.post(url, data=data)
print(response.text) # 输出响应结果
"#;

/// Whether `program args` runs and exits 0; else a skip (or, when required, a failure).
fn available(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program).args(args).output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        if std::env::var("INKSTONE_REQUIRE_CLIENTS").as_deref() == Ok("1") {
            panic!("{what} is required (INKSTONE_REQUIRE_CLIENTS=1) but not available");
        }
        eprintln!("SKIPPED: {what} is not installed; set INKSTONE_REQUIRE_CLIENTS=1 to require it");
    }
    ok
}

async fn server() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    app.set_setting("emlog.api_enabled", "true").await;
    let (alice, _) = app.user("alice", Role::Author).await;
    let key = app.api_key(Some(alice.id), true, false, 0).await;
    let base = app.serve_on_loopback().await;
    (app, base, key)
}

fn substitute(script: &str, base: &str, key: &str) -> String {
    script.replace("https://yourdomain", base).replace("your_api_key", key)
}

/// Checks the printed reply (code 0, an int `note_id`) and that the note exists.
async fn check_printed(app: &TestApp, stdout: &[u8]) {
    let text = String::from_utf8_lossy(stdout);
    let reply: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert_eq!(reply["code"], 0, "{reply}");
    assert_eq!(reply["msg"], "ok", "{reply}");
    let id = reply["data"]["note_id"].as_i64().unwrap_or_else(|| panic!("note_id is not an int: {reply}"));
    let note = app.core.get_note(&inkstone_core::Actor::Anonymous, id).await.expect("the note exists");
    assert_eq!(note.note.body, "这是一篇测试微语笔记");
    let listed =
        app.core.list_notes(&inkstone_core::Actor::Anonymous, NoteListParams::default()).await.unwrap();
    assert_eq!(listed.total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_php_example_publishes_a_note() {
    if !available(
        "php",
        &["-r", "exit(function_exists('curl_init') ? 0 : 1);"],
        "php with the curl extension",
    ) {
        return;
    }
    let (app, base, key) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("note_post.php");
    std::fs::write(&script, substitute(PHP_EXAMPLE, &base, &key)).unwrap();
    let output =
        tokio::task::spawn_blocking(move || Command::new("php").arg(&script).output().expect("run php"))
            .await
            .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    check_printed(&app, &output.stdout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_python_example_publishes_a_note() {
    if !available("python3", &["-c", "import requests"], "python3 with requests") {
        return;
    }
    let (app, base, key) = server().await;
    let script = substitute(PYTHON_EXAMPLE, &base, &key);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg("-c").arg(&script).output().expect("run python3")
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    check_printed(&app, &output.stdout).await;
}
