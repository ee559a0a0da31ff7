//! What the tests that run the built `switchboard` binary share: the command for an
//! instance (a directory and a database), a `serve` child, an admin token from the CLI,
//! and fresh PostgreSQL databases. Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// `switchboard` in `dir` (so `data/...` is the instance's own) on `db_url`. The server
/// reads SWITCHBOARD_* as its configuration and refuses keys it does not know: it gets
/// none of the test run's (SWITCHBOARD_TEST_PG_URL, SWITCHBOARD_CONFIG, ...).
pub fn command(dir: &Path, db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("SWITCHBOARD_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir).args(["--database-url", db_url]);
    c
}

/// A `switchboard serve` child on 127.0.0.1:0; killed when dropped.
pub struct Node {
    pub child: Child,
    pub url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `switchboard serve` and waits until it says where it listens.
pub fn serve(dir: &Path, db_url: &str) -> Node {
    let mut child = command(dir, db_url)
        .args(["--bind", "127.0.0.1:0", "--log-format", "json", "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if let Some(url) = v["url"].as_str() {
                    let _ = tx.send(url.to_string());
                }
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server says where it listens");
    Node { child, url }
}

/// A long-lived API token for the first start's admin (`switchboard token create`).
pub fn token(dir: &Path, db_url: &str) -> String {
    let out = command(dir, db_url)
        .args(["token", "create", "--user", "admin@switchboard.local"])
        .output()
        .expect("run switchboard token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// A new, empty database `sbtest_{name}_{stamp}` on SWITCHBOARD_TEST_PG_URL's server;
/// `None` when that is not set. Left for the test run's clean-up (as the testkit's
/// databases are): dropping a database waits for a checkpoint, which took minutes while
/// other tests ran.
pub async fn pg_database(name: &str) -> Option<String> {
    let admin_url = pg_admin_url()?;
    let stamp = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let db_name = format!("sbtest_{name}_{stamp}");
    let admin = sb_store::Db::connect(&admin_url).await.unwrap();
    admin
        .execute_admin(&format!("create database {db_name}"))
        .await
        .unwrap();
    admin.close().await;
    Some(sb_store::with_database_name(&admin_url, &db_name))
}

/// SWITCHBOARD_TEST_PG_URL, when set: the PostgreSQL tests run only then.
pub fn pg_admin_url() -> Option<String> {
    std::env::var("SWITCHBOARD_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())
}
