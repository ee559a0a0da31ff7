//! What `switchboard backup` and `restore` need from a SQLite database file: a
//! consistent copy of it taken while the server writes, its row counts and schema
//! version, and a check that a copy is whole. Plain rusqlite on the file, no [`crate::Db`]:
//! a backup only reads, so it opens no pool, runs no migration and leases no node number.

use crate::{DbConn, Result};
use rusqlite::{Connection, OpenFlags};
use sqlx::Executor;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The file a `sqlite:` URL names, without creating anything; `None` for a database in
/// memory or a URL of another scheme.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    Some(path.to_string())
}

fn open_read_only(path: &Path) -> Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    Ok(c)
}

/// Copies the database at `src` into a new file `dest` with SQLite's online backup API.
///
/// The copy is made in one step (all pages), so it is one read transaction: in WAL mode
/// the server's writers go on meanwhile, and the copy is the database as of the moment
/// that transaction began. Copying a few pages at a time would let the server write in
/// between, and SQLite restarts such a backup from the first page whenever another
/// connection writes, so under steady load it might never finish.
pub fn sqlite_snapshot(src: &Path, dest: &Path) -> Result<()> {
    let from = open_read_only(src)?;
    let mut to = Connection::open(dest)?;
    {
        use rusqlite::backup::{Backup, StepResult};
        let backup = Backup::new(&from, &mut to)?;
        // Busy only while a checkpoint or another process holds a lock for a moment;
        // a bounded number of tries, then SQLite's own error.
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                _ if tries < 200 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        Some("the database stayed locked for 10 s".into()),
                    )
                    .into())
                }
            }
        }
    }
    // The copy carries the source's WAL flag; leave it a single self-contained file.
    to.pragma_update(None, "journal_mode", "delete")?;
    // No process holds a node number in a copy: restored, its leases would look like
    // a running server's for a minute. The marks (the ids each number handed out) stay.
    let has_leases: i64 = to.query_row(
        "select count(*) from sqlite_master where type = 'table' and name = 'id_nodes'",
        [],
        |r| r.get(0),
    )?;
    if has_leases > 0 {
        to.execute("update id_nodes set expires_at = 0", [])?;
    }
    Ok(())
}

/// The tables of the database at `path` (SQLite's own excepted), by name.
fn tables(c: &Connection) -> Result<Vec<String>> {
    let mut stmt = c.prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// How many rows each table of the database at `path` holds.
pub fn sqlite_table_counts(path: &Path) -> Result<BTreeMap<String, i64>> {
    let c = open_read_only(path)?;
    // One read transaction, so the counts are of one moment even on a live database.
    c.execute_batch("begin")?;
    let mut out = BTreeMap::new();
    for t in tables(&c)? {
        let n: i64 = c.query_row(&format!("select count(*) from \"{t}\""), [], |r| r.get(0))?;
        out.insert(t, n);
    }
    c.execute_batch("commit")?;
    Ok(out)
}

/// The highest migration applied to the database at `path` (0 before any).
pub fn sqlite_schema_version(path: &Path) -> Result<i64> {
    let c = open_read_only(path)?;
    let has: i64 = c.query_row(
        "select count(*) from sqlite_master where type = 'table' and name = 'schema_migrations'",
        [],
        |r| r.get(0),
    )?;
    if has == 0 {
        return Ok(0);
    }
    let v: Option<i64> = c.query_row("select max(version) from schema_migrations", [], |r| {
        r.get(0)
    })?;
    Ok(v.unwrap_or(0))
}

/// Whether the database at `path` holds anything an operator would miss: a row in any
/// table but the migrations' own. A file that does not exist holds nothing.
pub fn sqlite_has_data(path: &Path) -> Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    Ok(sqlite_table_counts(path)?
        .iter()
        .any(|(t, n)| t != "schema_migrations" && *n > 0))
}

/// Node numbers leased by live processes (see [`crate::nodes`]) in the database at
/// `path`: a restore must not replace the database under a running server.
pub fn sqlite_live_leases(path: &Path, now_ms: i64) -> Result<i64> {
    if !path.exists() {
        return Ok(0);
    }
    let c = open_read_only(path)?;
    let has: i64 = c.query_row(
        "select count(*) from sqlite_master where type = 'table' and name = 'id_nodes'",
        [],
        |r| r.get(0),
    )?;
    if has == 0 {
        return Ok(0);
    }
    Ok(c.query_row(
        "select count(*) from id_nodes where expires_at > ?1",
        [now_ms],
        |r| r.get(0),
    )?)
}

/// SQLite's own check of every page and index of the file at `path`: `Ok(None)` when it
/// is whole, otherwise its first complaint.
pub fn sqlite_integrity(path: &Path) -> Result<Option<String>> {
    let c = open_read_only(path)?;
    let first: String = c.query_row("pragma integrity_check", [], |r| r.get(0))?;
    Ok((first != "ok").then_some(first))
}

/// The keys of the recordings the database at `path` refers to (`calls.recording_path`),
/// for a backup whose recordings stay in S3 and are listed, not copied.
pub fn sqlite_recording_paths(path: &Path) -> Result<Vec<String>> {
    let c = open_read_only(path)?;
    let mut stmt = c.prepare(
        "select recording_path from calls where recording_path is not null order by recording_path",
    )?;
    let out = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(out)
}

/// A PostgreSQL snapshot exported for `pg_dump --snapshot`, held open by a read-only
/// repeatable-read transaction until [`PgSnapshot::release`]; the counts were taken in it.
pub struct PgSnapshot {
    tx: crate::Tx,
    pub id: String,
    pub tables: BTreeMap<String, i64>,
    pub schema_version: i64,
}

impl PgSnapshot {
    pub async fn export(db: &crate::Db) -> Result<PgSnapshot> {
        let mut tx = db.begin().await?;
        tx.raw()
            .execute("set transaction isolation level repeatable read, read only")
            .await?;
        let id: String = sqlx::query_scalar("select pg_export_snapshot()")
            .fetch_one(tx.raw())
            .await?;
        let tables = pg_counts_on(&mut tx).await?;
        let schema_version: Option<i64> = if tables.contains_key("schema_migrations") {
            sqlx::query_scalar("select max(version) from schema_migrations")
                .fetch_one(tx.raw())
                .await?
        } else {
            None
        };
        Ok(PgSnapshot {
            tx,
            id,
            tables,
            schema_version: schema_version.unwrap_or(0),
        })
    }

    /// Ends the transaction (and with it the snapshot).
    pub async fn release(self) {
        let _ = self.tx.rollback().await;
    }
}

async fn pg_counts_on(c: &mut impl DbConn) -> Result<BTreeMap<String, i64>> {
    let names: Vec<String> = sqlx::query_scalar(
        "select cast(table_name as text) from information_schema.tables \
         where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
    )
    .fetch_all(c.raw())
    .await?;
    let mut out = BTreeMap::new();
    for t in names {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from \"{t}\""))
            .fetch_one(c.raw())
            .await?;
        out.insert(t, n);
    }
    Ok(out)
}

/// How many rows each table of the PostgreSQL database holds.
pub async fn pg_table_counts(db: &crate::Db) -> Result<BTreeMap<String, i64>> {
    let mut c = db.conn().await?;
    pg_counts_on(&mut c).await
}

/// Whether the PostgreSQL database has any table of its own (a restore wants it empty).
pub async fn pg_has_data(db: &crate::Db) -> Result<bool> {
    let mut c = db.conn().await?;
    let n: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables \
         where table_schema = current_schema() and table_type = 'BASE TABLE'",
    )
    .fetch_one(c.raw())
    .await?;
    Ok(n > 0)
}

/// A fingerprint of each table's rows, whatever their order: equal exactly when the
/// rows are (a hash of their text). For the tests that prove a refused request wrote
/// nothing anywhere. Both backends, in one statement, so it is one moment of the database.
pub async fn table_fingerprints(db: &crate::Db) -> Result<BTreeMap<String, String>> {
    let mut c = db.conn().await?;
    let pg = db.backend() == crate::Backend::Postgres;
    let names: Vec<String> = if pg {
        sqlx::query_scalar(
            "select cast(table_name as text) from information_schema.tables \
             where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
        )
        .fetch_all(c.raw())
        .await?
    } else {
        sqlx::query_scalar(
            "select name from sqlite_master where type = 'table' \
             and name not like 'sqlite_%' order by 1",
        )
        .fetch_all(c.raw())
        .await?
    };
    let mut parts = Vec::new();
    for t in &names {
        let row = if pg {
            "cast(r as text)".to_string()
        } else {
            let cols: Vec<String> =
                sqlx::query_scalar(&format!("select name from pragma_table_info('{t}')"))
                    .fetch_all(c.raw())
                    .await?;
            cols.iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ")
        };
        parts.push(format!(
            "select '{t}' as t, count(*) as n, coalesce({agg}, '') as rows from \
             (select {row} as x from \"{t}\" r order by 1) s",
            agg = if pg {
                "string_agg(x, chr(10) order by x)"
            } else {
                "group_concat(x, char(10))"
            }
        ));
    }
    let mut out = BTreeMap::new();
    if parts.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, i64, String)> = sqlx::query_as(&parts.join(" union all "))
        .fetch_all(c.raw())
        .await?;
    for (t, n, text) in rows {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        out.insert(t, format!("{n} rows, {:016x}", h.finish()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_path_of_a_sqlite_url() {
        use super::sqlite_path;
        assert_eq!(
            sqlite_path("sqlite://data/switchboard.db?mode=rwc").as_deref(),
            Some("data/switchboard.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/sb/crm.db").as_deref(),
            Some("/var/lib/sb/crm.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
