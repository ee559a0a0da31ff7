//! Two Switchboard processes on one database create contacts as fast as they can: every
//! contact is stored, and no id is handed out twice (ids carry a node number each
//! process leases in the database). SQLite, and PostgreSQL when SWITCHBOARD_TEST_PG_URL
//! is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// Per node: tasks × requests × contacts per request (bounded load).
const TASKS: usize = 4;
const REQUESTS: usize = 15;
const BATCH: usize = 50;

/// A `switchboard serve` child on 127.0.0.1:0; killed when dropped.
struct Node {
    child: Child,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(dir: &Path, db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir).env_remove("SWITCHBOARD_CONFIG").args([
        "--database-url",
        db_url,
        "--bind",
        "127.0.0.1:0",
    ]);
    c
}

fn serve(dir: &Path, db_url: &str) -> Node {
    let mut child = command(dir, db_url)
        .args(["--log-format", "json", "serve"])
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

fn token(dir: &Path, db_url: &str) -> String {
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

/// Creates TASKS × REQUESTS × BATCH contacts on `node`; returns their ids.
async fn create_contacts(node: String, token: String, tag: &'static str) -> Vec<i64> {
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (client, node, token) = (client.clone(), node.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for r in 0..REQUESTS {
                let body: Vec<_> = (0..BATCH)
                    .map(|i| serde_json::json!({ "name": format!("{tag} {t}-{r}-{i}") }))
                    .collect();
                let resp = client
                    .post(format!("{node}/api/v4/contacts"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                let text = resp.text().await.unwrap();
                assert!(status.is_success(), "{tag}: {status} {text}");
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let got = v["_embedded"]["contacts"].as_array().unwrap();
                assert_eq!(got.len(), BATCH);
                ids.extend(got.iter().map(|c| c["id"].as_i64().unwrap()));
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

async fn total_contacts(node: &str, token: &str) -> usize {
    let client = reqwest::Client::new();
    let mut n = 0;
    for page in 1.. {
        let resp = client
            .get(format!("{node}/api/v4/contacts?limit=250&page={page}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        if resp.status() == reqwest::StatusCode::NO_CONTENT {
            break;
        }
        let v: serde_json::Value = resp.json().await.unwrap();
        let got = v["_embedded"]["contacts"].as_array().unwrap().len();
        n += got;
        if got < 250 {
            break;
        }
    }
    n
}

async fn two_nodes_on(dir: &Path, db_url: &str) {
    // The first start creates the account; the second node starts on it.
    let a = serve(dir, db_url);
    let token = token(dir, db_url);
    let b = serve(dir, db_url);
    let (ids_a, ids_b) = tokio::join!(
        create_contacts(a.url.clone(), token.clone(), "a"),
        create_contacts(b.url.clone(), token.clone(), "b"),
    );
    let per_node = TASKS * REQUESTS * BATCH;
    assert_eq!((ids_a.len(), ids_b.len()), (per_node, per_node));
    let all: HashSet<i64> = ids_a.iter().chain(&ids_b).copied().collect();
    assert_eq!(all.len(), 2 * per_node, "an id was handed out twice");
    assert!(all.iter().all(|&id| id > 0 && id < (1 << 53)));
    // Both nodes see every contact.
    assert_eq!(total_contacts(&a.url, &token).await, 2 * per_node);
    assert_eq!(total_contacts(&b.url, &token).await, 2 * per_node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_sqlite_never_mint_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    two_nodes_on(dir.path(), &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_never_mint_the_same_id() {
    let Some(admin_url) = std::env::var("SWITCHBOARD_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    let name = format!("sbtest_{}", uuid_like());
    let admin = sb_store::Db::connect(&admin_url).await.unwrap();
    admin
        .execute_admin(&format!("create database {name}"))
        .await
        .unwrap();
    let url = sb_store::with_database_name(&admin_url, &name);
    let dir = tempfile::tempdir().unwrap();
    admin.close().await;
    // Left for the test run's clean-up (as the testkit's databases are): dropping a
    // database waits for a checkpoint, which took minutes while other tests ran.
    two_nodes_on(dir.path(), &url).await;
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
