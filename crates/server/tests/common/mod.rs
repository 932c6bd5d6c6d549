//! Helpers for the tests that drive the real `inkstone` binary: running CLI commands,
//! starting servers on free ports (killed when dropped) and speaking HTTP to them.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_inkstone");

/// Admin credentials given through INKSTONE_ADMIN_USERNAME / INKSTONE_ADMIN_PASSWORD.
pub const ADMIN: &str = "boss";
pub const ADMIN_PASSWORD: &str = "s3cret-admin-pass";

/// A free TCP port on 127.0.0.1 (bound then released; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().unwrap().port()
}

/// `inkstone` with no INKSTONE_* variables inherited from the environment running the tests.
pub fn bare_command() -> Command {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("INKSTONE_") {
            command.env_remove(key);
        }
    }
    command.env("NO_COLOR", "1");
    command
}

/// `inkstone --data-dir DIR`.
pub fn command(data_dir: &Path) -> Command {
    let mut command = bare_command();
    command.arg("--data-dir").arg(data_dir);
    command
}

/// What a finished CLI command did.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics with the whole output unless the command succeeded.
    #[track_caller]
    pub fn expect_success(self, what: &str) -> Outcome {
        assert!(
            self.status.success(),
            "{what} failed ({}):\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command failed; returns its stderr.
    #[track_caller]
    pub fn expect_failure(self, what: &str) -> String {
        assert!(
            !self.status.success(),
            "{what} should fail but succeeded:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{what} panicked instead of failing cleanly:\n{}",
            self.stderr
        );
        self.stderr
    }
}

/// Runs a prepared command to completion, feeding `stdin` when given.
pub fn run_command(mut command: Command, stdin: Option<&str>) -> Outcome {
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn inkstone");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait for inkstone");
    Outcome {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `inkstone --data-dir DIR ARGS...`.
pub fn cli(data_dir: &Path, args: &[&str]) -> Outcome {
    let mut command = command(data_dir);
    command.args(args);
    run_command(command, None)
}

/// Runs `inkstone --data-dir DIR ARGS...` with `stdin` piped in.
pub fn cli_with_stdin(data_dir: &Path, args: &[&str], stdin: &str) -> Outcome {
    let mut command = command(data_dir);
    command.args(args);
    run_command(command, Some(stdin))
}

/// `inkstone token create` for `username`; returns the pat_ secret.
pub fn create_token(data_dir: &Path, username: &str) -> String {
    let out = cli(data_dir, &["token", "create", "--username", username, "--name", "tests"])
        .expect_success("token create");
    out.stdout.trim().to_string()
}

/// A running `inkstone serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub base: String,
    log: PathBuf,
    exited: Option<ExitStatus>,
}

impl Server {
    /// `inkstone serve` on `data_dir` with the admin from [`ADMIN`]/[`ADMIN_PASSWORD`].
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with_env(
            data_dir,
            &[("INKSTONE_ADMIN_USERNAME", ADMIN), ("INKSTONE_ADMIN_PASSWORD", ADMIN_PASSWORD)],
        )
    }

    /// `inkstone serve` on `data_dir` with extra environment variables, on a free port.
    /// Retries with another port if the chosen one was taken in the meantime.
    pub fn start_with_env(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut last_error = String::new();
        for attempt in 0..3 {
            let port = free_port();
            let mut command = command(data_dir);
            command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
            command.envs(env.iter().copied());
            std::fs::create_dir_all(data_dir).expect("create the data directory");
            let log = data_dir.join(format!("serve-{port}-{attempt}.log"));
            match Server::launch(command, port, log) {
                Ok(server) => return server,
                Err(stderr) if stderr.contains("cannot listen") => last_error = stderr,
                Err(stderr) => panic!("inkstone serve exited before answering /healthz:\n{stderr}"),
            }
        }
        panic!("inkstone serve could not find a free port:\n{last_error}")
    }

    /// Spawns a prepared `serve` command expected to listen on 127.0.0.1:`port`, with its
    /// stderr in `log`, and waits (up to 30 s) until /healthz answers. `Err` holds the
    /// stderr when the process exited first.
    pub fn launch(mut command: Command, port: u16, log: PathBuf) -> Result<Server, String> {
        let file = File::create(&log).expect("create server log");
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(file);
        let child = command.spawn().expect("spawn inkstone serve");
        let mut server = Server { child, port, base: format!("http://127.0.0.1:{port}"), log, exited: None };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                server.exited = Some(status);
                return Err(format!("({status}) {}", server.stderr()));
            }
            if try_get(&format!("{}/healthz", server.base)).is_ok_and(|resp| resp.status == 200) {
                return Ok(server);
            }
            assert!(
                Instant::now() < deadline,
                "inkstone serve did not answer /healthz within 30 s:\n{}",
                server.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM (with `kill -TERM PID`).
    pub fn signal_term(&self) {
        let status =
            Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// The exit status if the process has ended, without waiting.
    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().unwrap();
        }
        self.exited
    }

    /// Waits up to `limit` for the process to end.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_exit_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then waits (up to 20 s) for the exit; returns the status and the stderr.
    #[track_caller]
    pub fn stop(mut self) -> (ExitStatus, String) {
        self.signal_term();
        let status = self.wait_exit(Duration::from_secs(20));
        let stderr = self.stderr();
        let status =
            status.unwrap_or_else(|| panic!("inkstone serve did not exit within 20 s of SIGTERM:\n{stderr}"));
        (status, stderr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.try_exit_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: String,
}

impl Resp {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The JSON body, after asserting the status.
    #[track_caller]
    pub fn expect(&self, status: u16, what: &str) -> Value {
        assert_eq!(self.status, status, "{what}: unexpected status; body: {}", self.body);
        self.json()
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .timeout_global(Some(Duration::from_secs(60)))
                .build(),
        )
    })
}

fn read(resp: ureq::http::Response<ureq::Body>) -> Resp {
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let body = body.with_config().limit(256 * 1024 * 1024).read_to_string().expect("read the response body");
    Resp { status, body }
}

/// GET without credentials; `Err` when the connection fails.
pub fn try_get(url: &str) -> Result<Resp, ureq::Error> {
    agent().get(url).call().map(read)
}

/// GET with query parameters (percent-encoded here) and an optional bearer token.
#[track_caller]
pub fn get(url: &str, query: &[(&str, &str)], token: Option<&str>) -> Resp {
    let mut request = agent().get(url);
    for (key, value) in query {
        request = request.query(*key, *value);
    }
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    read(request.call().unwrap_or_else(|e| panic!("GET {url}: {e}")))
}

/// POST a JSON body with an optional bearer token.
#[track_caller]
pub fn post_json(url: &str, body: &Value, token: Option<&str>) -> Resp {
    let mut request = agent().post(url);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    read(request.send_json(body).unwrap_or_else(|e| panic!("POST {url}: {e}")))
}

/// POST /api/v1/auth/login; returns the status.
pub fn login(server: &Server, login: &str, password: &str) -> Resp {
    post_json(
        &server.url("/api/v1/auth/login"),
        &serde_json::json!({"login": login, "password": password}),
        None,
    )
}

/// `total` of GET /api/v1/posts with the given filters (one item per page).
#[track_caller]
pub fn post_total(server: &Server, query: &[(&str, &str)], token: Option<&str>) -> i64 {
    let mut query = query.to_vec();
    query.push(("per_page", "1"));
    let page = get(&server.url("/api/v1/posts"), &query, token).expect(200, "GET /api/v1/posts");
    page["total"].as_i64().unwrap_or_else(|| panic!("no total in {page}"))
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `limit`.
#[track_caller]
pub fn poll<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return (value, start.elapsed());
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
