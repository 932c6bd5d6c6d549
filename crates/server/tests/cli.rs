//! The `inkstone` binary as a user runs it: `serve` with its signals, the first admin, and
//! the `user`, `token`, `settings` and `--help` commands, over real SQLite files.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::*;
use serde_json::json;

/// Reads one HTTP/1.1 response with a Content-Length: (status, lower-cased head, body).
fn read_raw_response(reader: &mut BufReader<TcpStream>) -> (u16, String, String) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read response head");
        assert!(n > 0, "connection closed before a full response head; got: {head}");
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status line");
    let head = head.to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("content-length");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("read response body");
    (status, head, String::from_utf8(body).unwrap())
}

#[test]
fn serve_answers_logs_in_and_stops_cleanly_on_sigterm_finishing_requests_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data);

    let health = get(&server.url("/healthz"), &[], None);
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    assert!(server.stderr().contains("Created admin user `boss`."), "stderr: {}", server.stderr());
    assert!(!server.stderr().contains("one-time setup password"), "no generated password with the env admin");

    let me = login(&server, ADMIN, ADMIN_PASSWORD).expect(200, "login with the env admin");
    assert_eq!(me["user"]["username"], ADMIN);
    assert_eq!(me["user"]["role"], "admin");
    assert!(me["csrf_token"].as_str().is_some_and(|t| !t.is_empty()), "{me}");
    assert_eq!(login(&server, ADMIN, "wrong-password").status, 401);

    // A request in flight when SIGTERM arrives: its headers and half of its body are sent,
    // so the server is inside the handler waiting for the rest.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // First a full request on the same connection, so it is surely accepted and served.
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let (status, _, body) = read_raw_response(&mut reader);
    assert_eq!((status, body.as_str()), (200, "ok"));
    let login_body = json!({"login": ADMIN, "password": ADMIN_PASSWORD}).to_string();
    let (first, rest) = login_body.split_at(login_body.len() / 2);
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        login_body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    server.signal_term();
    // New connections are refused once the signal is handled...
    poll(Duration::from_secs(5), "refusing new connections after SIGTERM", || {
        TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", server.port).parse().unwrap(),
            Duration::from_millis(200),
        )
        .is_err()
        .then_some(())
    });
    // ...but the process waits for the request in flight.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.try_exit_status().is_none(),
        "the server exited with a request in flight:\n{}",
        server.stderr()
    );
    stream.write_all(rest.as_bytes()).unwrap();
    let (status, head, body) = read_raw_response(&mut reader);
    assert_eq!(status, 200, "the in-flight login after SIGTERM: {body}");
    assert!(head.contains("set-cookie: inkstone_session="), "{head}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["user"]["username"], ADMIN);

    let status = server.wait_exit(Duration::from_secs(20)).expect("exit after the last request");
    let stderr = server.stderr();
    assert!(status.success(), "exit status {status} after SIGTERM:\n{stderr}");
    assert!(stderr.contains("stopped cleanly"), "stderr: {stderr}");
}

/// The password from "Created admin user `admin` with one-time setup password: PASSWORD".
fn setup_password(stderr: &str) -> Option<String> {
    let line = stderr.lines().find(|l| l.contains("one-time setup password"))?;
    assert!(line.contains("`admin`"), "the generated admin is called admin: {line}");
    let (_, rest) = line.split_once("one-time setup password:")?;
    rest.split_whitespace().next().map(str::to_string)
}

#[test]
fn first_start_without_admin_env_prints_a_one_time_password_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    let server = Server::start_with_env(&data, &[]);
    let password = setup_password(&server.stderr())
        .unwrap_or_else(|| panic!("no setup password on stderr:\n{}", server.stderr()));
    assert!(password.len() >= 8, "a weak setup password: {password}");
    let me = login(&server, "admin", &password).expect(200, "login with the setup password");
    assert_eq!(me["user"]["role"], "admin");
    let (status, _) = server.stop();
    assert!(status.success());

    let server = Server::start_with_env(&data, &[]);
    let stderr = server.stderr();
    assert_eq!(setup_password(&stderr), None, "a second start printed a new password:\n{stderr}");
    assert!(!stderr.contains("Created admin user"), "{stderr}");
    login(&server, "admin", &password).expect(200, "the setup password still works after a restart");

    // The admin env does not create a second admin on an existing site either.
    drop(server);
    let server = Server::start(&data);
    assert!(!server.stderr().contains("Created admin user"), "{}", server.stderr());
    assert_eq!(login(&server, ADMIN, ADMIN_PASSWORD).status, 401);
}

#[test]
fn user_create_with_password_stdin_then_login() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let create = [
        "user",
        "create",
        "--username",
        "lin",
        "--email",
        "lin@example.com",
        "--role",
        "editor",
        "--password-stdin",
    ];

    // The CLI writes to the database the server is using.
    let out = cli_with_stdin(&data, &create, "correct horse battery\nignored second line\n")
        .expect_success("user create");
    assert_eq!(out.stdout, "", "a password read from stdin is not echoed");
    assert!(out.stderr.contains("lin"), "stderr: {}", out.stderr);
    let me = login(&server, "lin", "correct horse battery").expect(200, "login as the new user");
    assert_eq!(me["user"]["role"], "editor");
    assert_eq!(me["user"]["email"], "lin@example.com");
    login(&server, "lin@example.com", "correct horse battery").expect(200, "login by e-mail");

    // A duplicate username fails and changes nothing.
    let mut duplicate = create;
    duplicate[5] = "other@example.com";
    let stderr =
        cli_with_stdin(&data, &duplicate, "another password 1\n").expect_failure("duplicate username");
    assert!(stderr.contains("taken"), "unclear message for a duplicate username: {stderr}");
    assert_eq!(login(&server, "lin", "another password 1").status, 401);
    login(&server, "lin", "correct horse battery").expect(200, "the first user's password still works");

    // An unknown role.
    let stderr = cli_with_stdin(
        &data,
        &[
            "user",
            "create",
            "--username",
            "mo",
            "--email",
            "mo@example.com",
            "--role",
            "boss",
            "--password-stdin",
        ],
        "yet another password\n",
    )
    .expect_failure("bad role");
    assert!(stderr.contains("role") && stderr.contains("boss"), "unclear message for a bad role: {stderr}");
    assert_eq!(login(&server, "mo", "yet another password").status, 401);

    // Without --password-stdin a password is generated and printed, alone, on stdout.
    let out = cli(&data, &["user", "create", "--username", "ana", "--email", "ana@example.com"])
        .expect_success("user create");
    let generated = out.stdout.trim();
    assert_eq!(out.stdout.lines().count(), 1, "stdout: {}", out.stdout);
    let me = login(&server, "ana", generated).expect(200, "login with the generated password");
    assert_eq!(me["user"]["role"], "author", "the default role");
}

#[test]
fn token_create_prints_only_a_working_token() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);

    let out = cli(&data, &["token", "create", "--username", ADMIN, "--name", "deploy"])
        .expect_success("token create");
    assert!(out.stdout.ends_with('\n') && out.stdout.lines().count() == 1, "one line only: {:?}", out.stdout);
    let token = out.stdout.trim_end();
    assert!(token.starts_with("pat_") && !token.contains(char::is_whitespace), "not a bare token: {token:?}");

    let me = get(&server.url("/api/v1/me"), &[], Some(token)).expect(200, "GET /api/v1/me with the token");
    assert_eq!(me["username"], ADMIN);
    assert_eq!(get(&server.url("/api/v1/me"), &[], Some("pat_not-a-real-token")).status, 401);
    assert_eq!(get(&server.url("/api/v1/me"), &[], None).status, 401);

    let out =
        cli(&data, &["token", "create", "--username", ADMIN, "--name", "month", "--expires-in-days", "30"])
            .expect_success("token create with an expiry");
    get(&server.url("/api/v1/me"), &[], Some(out.stdout.trim())).expect(200, "an expiring token");

    let out =
        cli(&data, &["token", "create", "--username", ADMIN, "--name", "zero", "--expires-in-days", "0"]);
    assert_eq!(out.stdout, "", "no token printed on failure");
    let stderr = out.expect_failure("--expires-in-days 0");
    assert!(stderr.contains("expires"), "unclear message: {stderr}");

    let stderr = cli(&data, &["token", "create", "--username", "nobody", "--name", "x"])
        .expect_failure("unknown user");
    assert!(stderr.contains("nobody"), "unclear message: {stderr}");
}

#[test]
fn api_key_create_prints_only_a_key_whose_flags_hold_and_no_secret_reaches_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_with_env(
        &data,
        &[
            ("INKSTONE_ADMIN_USERNAME", ADMIN),
            ("INKSTONE_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("INKSTONE_LOG", "debug,sqlx=warn"),
        ],
    );

    let out = cli(&data, &["api-key", "create", "--name", "reader"]).expect_success("api-key create");
    assert_eq!(out.stdout.lines().count(), 1, "one line only: {:?}", out.stdout);
    let read_only = out.stdout.trim_end().to_string();
    assert!(read_only.starts_with("isk_"), "not a bare key: {read_only:?}");
    let out =
        cli(&data, &["api-key", "create", "--name", "writer", "--can-write-own", "1", "--can-delete", "1"])
            .expect_success("api-key create with flags");
    let writer = out.stdout.trim_end().to_string();

    let me = get(&server.url("/api/v1/me"), &[], Some(&read_only)).expect(200, "the key signs in");
    assert_eq!(me["username"], ADMIN, "an unbound key acts as the first admin");
    let refused =
        post_json(&server.url("/api/v1/posts"), &serde_json::json!({"title": "no"}), Some(&read_only));
    assert_eq!(refused.status, 403, "a read-only key cannot write");
    let created =
        post_json(&server.url("/api/v1/posts"), &serde_json::json!({"title": "yes"}), Some(&writer))
            .expect(201, "an own-writing key creates");
    assert_eq!(created["origin"], "api");

    for bad in [["--can-delete", "3"], ["--can-write-own", "2"]] {
        let out = cli(&data, &["api-key", "create", "--name", "bad", bad[0], bad[1]]);
        assert_eq!(out.stdout, "", "no key printed on failure");
        out.expect_failure("an out-of-range flag");
    }
    let list = cli(&data, &["api-key", "list"]).expect_success("api-key list");
    assert!(list.stdout.contains("reader") && list.stdout.contains("can_delete=1"), "{}", list.stdout);
    assert!(!list.stdout.contains(&read_only) && !list.stdout.contains(&writer), "list shows no secret");

    let id =
        list.stdout.lines().find(|l| l.contains("reader")).unwrap().split('\t').next().unwrap().to_string();
    cli(&data, &["api-key", "revoke", &id]).expect_success("api-key revoke");
    assert_eq!(get(&server.url("/api/v1/me"), &[], Some(&read_only)).status, 401, "revoked");

    let log = server.stderr();
    assert!(log.contains("listening"), "the log was captured: {log}");
    for secret in [&read_only, &writer] {
        assert!(!log.contains(secret.as_str()), "a key reached the log");
    }
}

#[test]
fn settings_from_the_cli_reach_a_running_server_within_two_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let title = || {
        let settings = get(&server.url("/api/v1/settings"), &[], None).expect(200, "GET /api/v1/settings");
        settings["site.title"].as_str().unwrap().to_string()
    };
    assert_ne!(title(), "新标题");

    cli(&data, &["settings", "set", "site.title", "新标题"]).expect_success("settings set site.title");
    let (_, took) = poll(Duration::from_secs(2), "the new title on GET /api/v1/settings", || {
        (title() == "新标题").then_some(())
    });
    assert!(took <= Duration::from_secs(2), "took {took:?}");
    let out = cli(&data, &["settings", "get", "site.title"]).expect_success("settings get");
    assert_eq!(out.stdout, "新标题\n");

    let before = cli(&data, &["settings", "get", "content.page_size"]).expect_success("settings get").stdout;
    let stderr = cli(&data, &["settings", "set", "content.page_size", "0"]).expect_failure("page size 0");
    assert!(stderr.contains("content.page_size") && stderr.contains("100"), "unclear message: {stderr}");
    let after = cli(&data, &["settings", "get", "content.page_size"]).expect_success("settings get").stdout;
    assert_eq!(before, after, "a refused value was stored");

    let stderr = cli(&data, &["settings", "set", "nope", "x"]).expect_failure("unknown key");
    for known in ["site.title", "site.url", "content.page_size"] {
        assert!(stderr.contains("nope") && stderr.contains(known), "the known keys are not listed: {stderr}");
    }
    cli(&data, &["settings", "get", "nope"]).expect_failure("settings get of an unknown key");

    let list = cli(&data, &["settings", "list"]).expect_success("settings list").stdout;
    assert!(list.lines().any(|l| l.starts_with("site.url=")), "{list}");
    assert!(list.lines().any(|l| l == "site.title=新标题"), "{list}");
}

#[test]
fn a_scheduled_post_is_published_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let token = create_token(&data, ADMIN);

    let due = Utc::now() + chrono::Duration::seconds(3);
    let due_text = due.to_rfc3339_opts(SecondsFormat::Millis, true);
    let post = post_json(
        &server.url("/api/v1/posts"),
        &json!({"title": "定时发布的文章", "body": "明天见。", "status": "published", "published_at": due_text}),
        Some(&token),
    )
    .expect(201, "create a post dated in the future");
    assert_eq!(post["status"], "scheduled", "{post}");
    let id = post["id"].as_i64().unwrap();
    let post_url = server.url(&format!("/api/v1/posts/{id}"));
    assert_ne!(get(&post_url, &[], None).status, 200, "a scheduled post is visible anonymously");
    assert_eq!(post_total(&server, &[], None), 0);

    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(Utc::now() < due, "the server stopped too late for this test to mean anything");

    while Utc::now() < due + chrono::Duration::milliseconds(300) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = Server::start(&data);
    let post_url = server.url(&format!("/api/v1/posts/{id}"));
    let (post, _) = poll(Duration::from_secs(3), "the scheduled post published after the restart", || {
        let resp = get(&post_url, &[], None);
        (resp.status == 200).then(|| resp.json())
    });
    assert_eq!(post["status"], "published");
    assert_eq!(
        post["published_at"],
        due.to_rfc3339_opts(SecondsFormat::Secs, true),
        "the scheduled time is kept"
    );
    assert_eq!(post_total(&server, &[], None), 1);
}

#[test]
fn help_names_the_environment_variables() {
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let mut command = bare_command();
        command.args(args).env("INKSTONE_DATABASE_URL", "sqlite:/very/secret/place.db");
        let out = run_command(command, None).expect_success("help");
        for name in ["INKSTONE_DATA_DIR", "INKSTONE_LISTEN", "INKSTONE_DATABASE_URL"] {
            assert!(
                out.stdout.contains(name),
                "`inkstone {}` does not mention {name}:\n{}",
                args.join(" "),
                out.stdout
            );
        }
        assert!(
            !out.stdout.contains("/very/secret/place.db"),
            "help shows the database URL:\n{}",
            out.stdout
        );
    }
}

#[test]
fn config_file_is_honoured_and_env_and_flags_override_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("from-config");
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    let config = tmp.path().join("inkstone.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\nlisten = \"127.0.0.1:{file_port}\"\n", data.to_str().unwrap()),
    )
    .unwrap();
    let start = |env_listen: Option<u16>, flag_listen: Option<u16>, expected: u16, log: &str| {
        let mut command = bare_command();
        command.arg("--config").arg(&config).arg("serve");
        command.envs([("INKSTONE_ADMIN_USERNAME", ADMIN), ("INKSTONE_ADMIN_PASSWORD", ADMIN_PASSWORD)]);
        if let Some(port) = env_listen {
            command.env("INKSTONE_LISTEN", format!("127.0.0.1:{port}"));
        }
        if let Some(port) = flag_listen {
            command.args(["--listen", &format!("127.0.0.1:{port}")]);
        }
        Server::launch(command, expected, tmp.path().join(log))
            .unwrap_or_else(|stderr| panic!("serve did not listen on {expected}: {stderr}"))
    };
    let refused = |port: u16| TcpStream::connect(("127.0.0.1", port)).is_err();

    let server = start(None, None, file_port, "file.log");
    assert!(
        server.stderr().contains(&format!("listening on http://127.0.0.1:{file_port}")),
        "{}",
        server.stderr()
    );
    assert!(data.join("inkstone.db").is_file(), "data_dir from the config file is not used");
    drop(server);

    let server = start(Some(env_port), None, env_port, "env.log");
    assert!(refused(file_port), "INKSTONE_LISTEN does not override the config file");
    drop(server);

    let server = start(Some(env_port), Some(flag_port), flag_port, "flag.log");
    assert!(refused(file_port) && refused(env_port), "--listen does not override the config file and env");
    login(&server, ADMIN, ADMIN_PASSWORD).expect(200, "the same site whatever the port");
    drop(server);

    // A database URL puts the database where it says.
    let custom = tmp.path().join("elsewhere.db");
    let mut command = bare_command();
    command
        .args(["--config", config.to_str().unwrap(), "settings", "set", "site.title", "Elsewhere"])
        .env("INKSTONE_DATABASE_URL", format!("sqlite:{}", custom.display()));
    run_command(command, None).expect_success("settings set with INKSTONE_DATABASE_URL");
    assert!(custom.is_file(), "INKSTONE_DATABASE_URL ignored");
    let out = run_command(
        {
            let mut command = bare_command();
            command.args(["--config", config.to_str().unwrap(), "settings", "get", "site.title"]);
            command
        },
        None,
    );
    assert_eq!(out.expect_success("settings get").stdout, "Inkstone\n", "the default database was changed");

    // A config file with an unknown key is refused, naming the file.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "colour = \"blue\"\n").unwrap();
    let mut command = bare_command();
    command.arg("--config").arg(&bad).args(["settings", "list"]);
    let stderr = run_command(command, None).expect_failure("a bad config file");
    assert!(stderr.contains("bad.toml"), "{stderr}");
}

#[test]
fn cli_commands_fail_clearly_without_a_usable_setup() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let stderr = cli(&data, &["import", "markdown", tmp.path().join("missing").to_str().unwrap()])
        .expect_failure("import of a missing directory");
    assert!(stderr.contains("not a directory"), "{stderr}");
    let posts = tmp.path().join("posts");
    std::fs::create_dir_all(&posts).unwrap();
    std::fs::write(posts.join("a.md"), "---\ntitle: A\n---\nbody\n").unwrap();
    let stderr =
        cli(&data, &["import", "markdown", posts.to_str().unwrap()]).expect_failure("import with no admin");
    assert!(stderr.contains("admin"), "{stderr}");
    let stderr = cli(&data, &["import", "markdown", "--status", "private", posts.to_str().unwrap()])
        .expect_failure("import with a bad --status");
    assert!(stderr.contains("--status"), "{stderr}");
    let stderr = cli(&data, &["serve", "--listen", "nonsense"]).expect_failure("serve with a bad address");
    assert!(stderr.contains("HOST:PORT"), "{stderr}");
}
