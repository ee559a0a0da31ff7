//! Two Switchboard processes on one database create contacts as fast as they can: every
//! contact is stored, and no id is handed out twice (ids carry a node number each
//! process leases in the database). SQLite, and PostgreSQL when SWITCHBOARD_TEST_PG_URL
//! is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::path::Path;
use support::{serve, token};

/// Per node: tasks × requests × contacts per request (bounded load).
const TASKS: usize = 4;
const REQUESTS: usize = 15;
const BATCH: usize = 50;

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
    let Some(url) = support::pg_database("nodes").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    two_nodes_on(dir.path(), &url).await;
}
