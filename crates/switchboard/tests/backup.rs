//! `switchboard backup` while a server writes, then `switchboard restore` into a fresh
//! directory: the restored database is the snapshot, table by table and row by row, every
//! contact acknowledged before the backup began is in it, every recording comes back
//! byte for byte, and the restored instance serves it. A damaged archive is refused and
//! nothing is written. SQLite, and PostgreSQL when SWITCHBOARD_TEST_PG_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{command, serve, token, Node};

/// The write load: at most this many requests (a contact, a note on it and a recording
/// file each), and at most this long.
const MAX_WRITES: usize = 2_000;
const MAX_LOAD: Duration = Duration::from_secs(60);
/// Writes acknowledged before the backup starts, and after it ends.
const BEFORE: usize = 40;
const AFTER: usize = 20;

/// SIGTERM, as an operator's service manager stops it: the node gives its lease back.
fn stop_gracefully(mut node: Node) {
    let pid = node.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while node.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(dir: &Path, db_url: &str, args: &[&str]) -> Output {
    command(dir, db_url).args(args).output().unwrap()
}

/// What the load wrote and the server acknowledged, in order.
#[derive(Default)]
struct Written {
    contacts: Vec<i64>,
}

/// Creates a contact with a note, and stores a recording file the way the recordings
/// worker does (`data/recordings/{account}/{call}.mp3`), until `stop` or the bounds.
async fn write_load(
    node: String,
    token: String,
    recordings: PathBuf,
    stop: Arc<AtomicBool>,
    written: Arc<Mutex<Written>>,
) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    for i in 0..MAX_WRITES {
        if stop.load(Ordering::Relaxed) || started.elapsed() > MAX_LOAD {
            break;
        }
        let v: serde_json::Value = client
            .post(format!("{node}/api/v4/contacts"))
            .bearer_auth(&token)
            .json(&serde_json::json!([{ "name": format!("Load {i}"), "first_name": "Load" }]))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = v["_embedded"]["contacts"][0]["id"].as_i64().unwrap();
        client
            .post(format!("{node}/api/v4/contacts/{id}/notes"))
            .bearer_auth(&token)
            .json(&serde_json::json!([{ "note_type": "common", "params": { "text": format!("note {i}") } }]))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let audio: Vec<u8> = (0..4096u32 + i as u32)
            .map(|b| (b * 31 + i as u32) as u8)
            .collect();
        let dir = recordings.join("1");
        std::fs::create_dir_all(&dir).unwrap();
        // Whole or not at all, as object_store's local store writes.
        let tmp = dir.join(format!(".{id}.tmp"));
        std::fs::write(&tmp, &audio).unwrap();
        std::fs::rename(&tmp, dir.join(format!("{id}.mp3"))).unwrap();
        written.lock().unwrap().contacts.push(id);
    }
}

async fn wait_for(written: &Mutex<Written>, n: usize) {
    let deadline = Instant::now() + MAX_LOAD;
    while written.lock().unwrap().contacts.len() < n {
        assert!(
            Instant::now() < deadline,
            "the load did not reach {n} writes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every row of every table, as text, sorted: two databases are equal when these are.
fn dump_sqlite(path: &Path) -> BTreeMap<String, Vec<String>> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let tables: Vec<String> = c
        .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = BTreeMap::new();
    for t in tables {
        let mut stmt = c.prepare(&format!("select * from \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.insert(t, rows);
    }
    out
}

/// The contacts table as (id → row).
fn contacts(path: &Path) -> BTreeMap<i64, String> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let mut stmt = c
        .prepare("select id, name, first_name, created_at, updated_at from contacts")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            format!(
                "{:?}|{:?}|{:?}|{:?}",
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?
            ),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Unpacks the entry `name` of the archive into `dest`.
fn extract(archive: &Path, name: &str, dest: &Path) {
    let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == name {
            let mut body = Vec::new();
            e.read_to_end(&mut body).unwrap();
            std::fs::write(dest, body).unwrap();
            return;
        }
    }
    panic!("{name} is not in the archive");
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let key = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(key, std::fs::read(&p).unwrap());
            }
        }
    }
    out.remove(".switchboard-check");
    out
}

/// Starts `db_url` in `src`, backs it up under write load into `archive`, stops it.
/// Returns the contacts acknowledged before the backup began, and the API token.
async fn backup_under_load(src: &Path, db_url: &str, archive: &Path) -> (Vec<i64>, String) {
    let node = serve(src, db_url);
    let token = token(src, db_url);
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(Mutex::new(Written::default()));
    let load = tokio::spawn(write_load(
        node.url.clone(),
        token.clone(),
        src.join("data/recordings"),
        stop.clone(),
        written.clone(),
    ));
    wait_for(&written, BEFORE).await;
    let before = written.lock().unwrap().contacts.clone();
    let (dir, url, to) = (src.to_path_buf(), db_url.to_string(), archive.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        run(&dir, &url, &["backup", "--to", to.to_str().unwrap()])
    })
    .await
    .unwrap();
    let during = written.lock().unwrap().contacts.len() - before.len();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "backup failed: {stderr}");
    assert!(stderr.contains("backup written to"), "{stderr}");
    let n = written.lock().unwrap().contacts.len();
    wait_for(&written, n + AFTER).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    drop(node);
    eprintln!(
        "{} writes before the backup, {during} while it ran",
        before.len()
    );
    (before, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_into_a_fresh_directory_as_its_snapshot() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let url = "sqlite://data/switchboard.db?mode=rwc";
    let archive = work.path().join("crm.backup");
    let (before, token) = backup_under_load(src.path(), url, &archive).await;
    assert!(!work.path().join("crm.backup.partial").exists());

    let out = run(
        dst.path(),
        url,
        &["restore", "--from", archive.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "restore failed: {stderr}");

    // The restored database is the snapshot in the archive, every table row for row.
    let restored = dst.path().join("data/switchboard.db");
    let snapshot = work.path().join("snapshot.db");
    extract(&archive, "database.sqlite", &snapshot);
    let (got, want) = (dump_sqlite(&restored), dump_sqlite(&snapshot));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (t, rows) in &want {
        assert_eq!(&got[t], rows, "table {t} differs from the snapshot");
    }
    // ... which is the source as it was: every contact acknowledged before the backup
    // began, each as the source has it, and none the source does not have.
    let (restored_contacts, source_contacts) = (
        contacts(&restored),
        contacts(&src.path().join("data/switchboard.db")),
    );
    for id in &before {
        assert!(
            restored_contacts.contains_key(id),
            "contact {id} acknowledged before the backup is missing"
        );
    }
    for (id, row) in &restored_contacts {
        assert_eq!(source_contacts.get(id), Some(row), "contact {id}");
    }
    assert!(
        restored_contacts.len() < source_contacts.len(),
        "writes after the snapshot are not in it"
    );
    assert_eq!(got["notes"].len(), want["notes"].len());

    // Every recording comes back byte for byte: at least those the snapshot's contacts
    // had, and each equal to the source's file.
    let (src_rec, dst_rec) = (
        files_under(&src.path().join("data/recordings")),
        files_under(&dst.path().join("data/recordings")),
    );
    for id in restored_contacts.keys() {
        assert!(
            dst_rec.contains_key(&format!("1/{id}.mp3")),
            "recording of {id} is missing"
        );
    }
    for (key, bytes) in &dst_rec {
        assert_eq!(src_rec.get(key), Some(bytes), "recording {key} differs");
    }

    // The restored instance serves what it got, to the token made before the backup.
    let node = serve(dst.path(), url);
    let first = before[0];
    let client = reqwest::Client::new();
    let resp = client
        .get(format!("{}/api/v4/contacts/{first}", node.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["name"], "Load 0");

    // While it runs, a restore over it is refused even with --force.
    let out = run(
        dst.path(),
        url,
        &["restore", "--force", "--from", archive.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop the server first"));
    stop_gracefully(node);

    // A second restore over it is refused: the target has data now.
    let out = run(
        dst.path(),
        url,
        &["restore", "--from", archive.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has data"));
    // With --force it replaces the database, which is the snapshot again (the contacts
    // the restored server's start wrote nothing into; its lease is given back).
    let out = run(
        dst.path(),
        url,
        &["restore", "--force", "--from", archive.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dump_sqlite(&restored)["contacts"], want["contacts"]);
    assert!(!dst.path().join("data/switchboard.db-wal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_archive_is_refused_naming_the_entry_and_nothing_is_written() {
    let src = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let url = "sqlite://data/switchboard.db?mode=rwc";
    let archive = work.path().join("crm.backup");
    backup_under_load(src.path(), url, &archive).await;

    // One byte of one recording changed, where a bad disk or a copy would change it.
    let mut bytes = std::fs::read(&archive).unwrap();
    let (name, offset) = {
        let mut a = tar::Archive::new(bytes.as_slice());
        let e = a
            .entries()
            .unwrap()
            .map(Result::unwrap)
            .find(|e| e.path().unwrap().starts_with("recordings"))
            .unwrap();
        (
            e.path().unwrap().to_string_lossy().into_owned(),
            e.raw_file_position() as usize,
        )
    };
    bytes[offset + 100] ^= 0xff;
    let damaged = work.path().join("damaged.backup");
    std::fs::write(&damaged, &bytes).unwrap();

    let dst = tempfile::tempdir().unwrap();
    let out = run(
        dst.path(),
        url,
        &["restore", "--from", damaged.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&name) && stderr.contains("checksum"),
        "{stderr}"
    );
    assert!(!dst.path().join("data/switchboard.db").exists());
    assert!(files_under(&dst.path().join("data/recordings")).is_empty());
    let left: BTreeSet<_> = std::fs::read_dir(dst.path().join("data"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A cut-short archive (no manifest) is refused too.
    let cut = work.path().join("cut.backup");
    std::fs::write(&cut, &bytes[..offset]).unwrap();
    let out = run(
        dst.path(),
        url,
        &["restore", "--from", cut.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dst.path().join("data/switchboard.db").exists());
}

/// `psql -At` on `url`: one line per row, columns separated by `|`.
fn psql(url: &str, sql: &str) -> Vec<String> {
    let out = Command::new("psql")
        .args([url, "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql (PostgreSQL's client) on PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_backup_under_write_load_restores_into_an_empty_database() {
    let Some(src_url) = support::pg_database("bk").await else {
        return;
    };
    let dst_url = support::pg_database("rs").await.unwrap();
    let (src, dst, work) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let archive = work.path().join("crm.backup");
    let (before, token) = backup_under_load(src.path(), &src_url, &archive).await;

    let out = run(
        dst.path(),
        &dst_url,
        &["restore", "--from", archive.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "restore failed: {stderr}");

    // Every table came back (restore checked each count against the manifest); the
    // contacts are the source's as of the snapshot.
    let tables = "select table_name from information_schema.tables \
                  where table_schema = current_schema() order by 1";
    assert_eq!(psql(&dst_url, tables), psql(&src_url, tables));
    let rows = "select id, name, first_name, created_at, updated_at from contacts order by id";
    let restored: BTreeSet<String> = psql(&dst_url, rows).into_iter().collect();
    let source: BTreeSet<String> = psql(&src_url, rows).into_iter().collect();
    assert!(restored.is_subset(&source));
    assert!(
        restored.len() < source.len(),
        "writes after the snapshot are not in it"
    );
    for id in &before {
        assert!(
            restored.iter().any(|r| r.starts_with(&format!("{id}|"))),
            "contact {id} acknowledged before the backup is missing"
        );
    }
    let (src_rec, dst_rec) = (
        files_under(&src.path().join("data/recordings")),
        files_under(&dst.path().join("data/recordings")),
    );
    assert!(dst_rec.len() >= restored.len());
    for (key, bytes) in &dst_rec {
        assert_eq!(src_rec.get(key), Some(bytes), "recording {key} differs");
    }

    // The restored database serves, to the token made before the backup.
    let node = serve(dst.path(), &dst_url);
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v4/contacts/{}", node.url, before[0]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    stop_gracefully(node);

    // It has tables now: a second restore is refused.
    let out = run(
        dst.path(),
        &dst_url,
        &["restore", "--from", archive.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has tables"));
}
