//! Browser tests: each spec file of `tests/browser/specs/` runs in Playwright, driving
//! Debian's Chromium, against the real app started here on 127.0.0.1:0, once on SQLite
//! and once on PostgreSQL (when `SWITCHBOARD_TEST_PG_URL` is set). The spec gets the
//! app's URL and an admin's credentials through its environment; its screenshots land in
//! `$CARGO_TARGET_DIR` (or `target/`) under `browser-artifacts/<backend>/<spec>/`.
//!
//! Needs `node`, the npm packages of `tests/browser` and `chromium`: `scripts/browser-deps`
//! installs them (`scripts/test` runs it first).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Each spec's own data (made through the services before the browser starts), one
// module per spec.
mod alerts;
mod calls;
mod cards;
mod feed;
mod incoming;
mod statistics;
mod tasks;
mod telephony;

use futures_util::future::BoxFuture;
use sb_pbxsim::PbxSim;
use sb_store::Backend;
use sb_testkit::{spawn_apps, TestApp};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// The password the admin of every run signs in with (SB_ADMIN_PASSWORD).
const ADMIN_PASSWORD: &str = "browser-tests-secret";

#[tokio::test]
async fn smoke() {
    run_spec("smoke").await;
}

#[tokio::test]
async fn auth() {
    run_spec("auth").await;
}

#[tokio::test]
async fn board() {
    // The spec makes its own leads through the board's quick-add form.
    run_spec("board").await;
}

#[tokio::test]
async fn cards() {
    run_spec_with("cards", |app| {
        Box::pin(async move { (owned(cards::data(app).await), None) })
    })
    .await;
}

#[tokio::test]
async fn tasks() {
    run_spec_with("tasks", |app| {
        Box::pin(async move { (owned(tasks::data(app).await), None) })
    })
    .await;
}

#[tokio::test]
async fn incoming() {
    run_spec_with("incoming", |app| {
        Box::pin(async move { (owned(incoming::data(app).await), None) })
    })
    .await;
}

#[tokio::test]
async fn calls() {
    run_spec_with("calls", |app| Box::pin(calls::data(app))).await;
}

#[tokio::test]
async fn alerts() {
    run_spec_with("alerts", |app| Box::pin(alerts::data(app))).await;
}

#[tokio::test]
async fn feed() {
    run_spec_with("feed", |app| Box::pin(feed::data(app))).await;
}

#[tokio::test]
async fn telephony_settings() {
    run_spec_with("telephony-settings", |app| Box::pin(telephony::data(app))).await;
}

#[tokio::test]
async fn statistics() {
    run_spec_with("statistics", |app| Box::pin(statistics::data(app))).await;
}

/// What a spec's data setup returns: more environment variables for the spec.
pub type Env = Vec<(&'static str, String)>;

/// What a spec's data setup gives it: environment variables (ids) and a simulator to
/// keep alive while the spec runs.
pub type SpecData = (Vec<(String, String)>, Option<PbxSim>);

fn owned(env: Env) -> Vec<(String, String)> {
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Runs `specs/<spec>.spec.mjs` against a fresh app on each backend and fails, showing
/// Playwright's output, unless every test in it passes.
async fn run_spec(spec: &str) {
    run_spec_with(spec, |_| Box::pin(async { (Vec::new(), None) })).await;
}

/// [`run_spec`] after `setup` has made the spec's data in the app.
async fn run_spec_with(spec: &str, setup: impl for<'a> Fn(&'a TestApp) -> BoxFuture<'a, SpecData>) {
    let dir = browser_dir();
    let cli = dir.join("node_modules/@playwright/test/cli.js");
    assert!(
        cli.exists(),
        "{} is missing: run scripts/browser-deps (it installs Playwright with npm ci)",
        cli.display()
    );
    for app in spawn_apps().await {
        let backend = backend_name(app.backend);
        let artifacts = artifacts_root().join(backend).join(spec);
        // Last run's screenshots would pass for this run's.
        let _ = std::fs::remove_dir_all(&artifacts);
        std::fs::create_dir_all(&artifacts).unwrap();
        let email = admin_with_password(&app).await;
        let (env, _sim) = setup(&app).await;

        let started = Instant::now();
        let mut cmd = Command::new("node");
        cmd.arg(&cli)
            .args(["test", &format!("specs/{spec}.spec.mjs")])
            .current_dir(&dir)
            .env("BASE_URL", &app.url)
            .env("SB_ADMIN_EMAIL", &email)
            .env("SB_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SB_BACKEND", backend)
            .env("SB_ARTIFACTS", &artifacts)
            // Playwright stops itself a little before we would kill it, so it can close
            // the browser and say that it timed out.
            .env(
                "SB_GLOBAL_TIMEOUT_MS",
                (run_timeout().saturating_sub(Duration::from_secs(15)))
                    .as_millis()
                    .to_string(),
            )
            .envs(env)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .env("FORCE_COLOR", "0")
            .env_remove("NO_COLOR");
        let run = run_bounded(cmd, run_timeout()).await;
        let took = started.elapsed();
        eprintln!("browser: specs/{spec}.spec.mjs on {backend}: {took:.1?}");
        match run.code {
            // Shown with --no-capture: each test's time, and axe's lesser findings.
            Some(0) => eprintln!("{}", run.stdout),
            code => panic!(
                "specs/{spec}.spec.mjs failed on {backend} ({}, after {took:.1?}); screenshots in {}\n\
                 --- stdout ---\n{}\n--- stderr ---\n{}",
                match code {
                    Some(c) => format!("exit code {c}"),
                    None if run.timed_out => format!("killed after {:?}", run_timeout()),
                    None => "killed by a signal".to_string(),
                },
                artifacts.display(),
                run.stdout,
                run.stderr,
            ),
        }
    }
}

/// Gives the app's first admin a known password; returns their e-mail.
async fn admin_with_password(app: &TestApp) -> String {
    sb_service::users::set_password(app.ctx(), &app.admin, app.admin.user.id, ADMIN_PASSWORD)
        .await
        .expect("admin password set");
    app.admin.user.email.clone()
}

struct Run {
    code: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` with its output captured, killing it if it outlives `limit` (a hung browser
/// must not hang the suite).
async fn run_bounded(mut cmd: Command, limit: Duration) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("node starts (is Node.js installed?)");
    let stdout = tokio::spawn(read_all(child.stdout.take().expect("piped stdout")));
    let stderr = tokio::spawn(read_all(child.stderr.take().expect("piped stderr")));
    let (code, timed_out) = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => (status.expect("wait for node").code(), false),
        Err(_) => {
            // SIGKILL: Chromium, on the other end of Playwright's pipe, exits when it closes.
            let _ = child.kill().await;
            (None, true)
        }
    };
    // Output still buffered in a grandchild could keep the pipes open: bounded too.
    let collect = |h: tokio::task::JoinHandle<String>| async move {
        tokio::time::timeout(Duration::from_secs(10), h)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| "(output not collected)".into())
    };
    Run {
        code,
        timed_out,
        stdout: collect(stdout).await,
        stderr: collect(stderr).await,
    }
}

async fn read_all(mut r: impl AsyncRead + Unpin) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// How long one spec run (node, browser and all its tests) may take; SB_BROWSER_TIMEOUT_SECS
/// overrides it. Generous: two cores are shared with the rest of the suite.
fn run_timeout() -> Duration {
    let secs = std::env::var("SB_BROWSER_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(240);
    Duration::from_secs(secs)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn browser_dir() -> PathBuf {
    workspace_root().join("tests/browser")
}

/// `$CARGO_TARGET_DIR/browser-artifacts` (relative to the workspace when relative), else
/// the workspace's `target/browser-artifacts`.
fn artifacts_root() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|s| !s.is_empty()) {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    };
    target.join("browser-artifacts")
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}
