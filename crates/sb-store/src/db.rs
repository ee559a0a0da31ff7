use crate::lite::{Gate, Lite};
use crate::{Result, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database handle. On SQLite, writes go through a pool of one connection (SQLite has
/// one writer; serialising in-process avoids lock upgrades failing with SQLITE_BUSY) and
/// reads through a separate pool; on PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// SQLite only: the turn to write (see [`crate::lite`]) and the fast lane.
    gate: Option<Gate>,
    lite: Option<Arc<Lite>>,
    /// PostgreSQL only: where to open a listening connection (see [`crate::notify`]).
    pg_url: Option<Secret>,
}

/// A database URL, which may hold a password: never printed.
#[derive(Clone)]
struct Secret(Arc<str>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Something store functions can run queries on: a pooled connection or a transaction.
pub trait DbConn: Send {
    #[doc(hidden)]
    fn raw(&mut self) -> &mut AnyConnection;
}

pub struct Conn(PoolConnection<Any>);
/// A write transaction; on SQLite it holds the database's turn to write until it ends.
pub struct Tx(
    Transaction<'static, Any>,
    #[allow(dead_code)] // held, never read: dropped when the transaction ends
    Option<OwnedMutexGuard<()>>,
);

impl DbConn for Conn {
    fn raw(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}
impl DbConn for Tx {
    fn raw(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}

impl Tx {
    /// Whether this is a PostgreSQL transaction (for the few statements that differ,
    /// such as `for update`, which SQLite does not need: it has one writer).
    pub fn is_postgres(&self) -> bool {
        self.0.backend_name().eq_ignore_ascii_case("postgresql")
    }
    pub async fn commit(self) -> Result<()> {
        Ok(self.0.commit().await?)
    }
    pub async fn rollback(self) -> Result<()> {
        Ok(self.0.rollback().await?)
    }
}

impl Db {
    /// Opens the database named by `url`: `sqlite://path?mode=rwc` (the file and its
    /// folder are created) or `postgres://...`. Any other scheme is refused.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(
                url.split(':').next().unwrap_or_default().to_string(),
            ));
        };
        match backend {
            Backend::Sqlite => {
                let path = ensure_sqlite_dir(url);
                let opts = AnyConnectOptions::from_str(url)?;
                let write = sqlite_pool(1, false).connect_with(opts.clone()).await?;
                let read = sqlite_pool(8, true).connect_with(opts).await?;
                let gate: Gate = Arc::new(tokio::sync::Mutex::new(()));
                let lite = match path {
                    Some(p) => Some(Arc::new(Lite::open(&p, gate.clone())?)),
                    None => None,
                };
                Ok(Db {
                    read,
                    write,
                    backend,
                    gate: Some(gate),
                    lite,
                    pg_url: None,
                })
            }
            Backend::Postgres => {
                let opts = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    gate: None,
                    lite: None,
                    pg_url: Some(Secret(url.into())),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pg_url(&self) -> Option<&str> {
        self.pg_url.as_ref().map(|s| &*s.0)
    }

    /// A write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let turn = self.turn().await;
        Ok(Tx(self.write.begin().await?, turn))
    }

    /// On SQLite, waits for the turn to write (see [`crate::lite`]).
    async fn turn(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.gate {
            Some(g) => Some(g.clone().lock_owned().await),
            None => None,
        }
    }

    /// The SQLite fast lane for the webhook path; `None` on PostgreSQL (and for an
    /// in-memory SQLite database, which other connections cannot open).
    pub fn lite(&self) -> Option<&Lite> {
        self.lite.as_deref()
    }

    /// A connection for reads.
    pub async fn conn(&self) -> Result<Conn> {
        Ok(Conn(self.read.acquire().await?))
    }

    /// Readiness: the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        let mut c = self.conn().await?;
        c.raw().execute("select 1").await?;
        Ok(())
    }

    /// How many sessions on this database wait for a lock another holds (PostgreSQL;
    /// always 0 on SQLite, whose writers take turns in-process). For diagnostics.
    pub async fn lock_waits(&self) -> Result<i64> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        let mut c = self.conn().await?;
        let n: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        )
        .fetch_one(c.raw())
        .await?;
        Ok(n)
    }

    /// Refreshes the planner's table statistics (after a bulk load).
    pub async fn analyze(&self) -> Result<()> {
        let _turn = self.turn().await;
        let mut c = self.write.acquire().await?;
        c.execute("analyze").await?;
        Ok(())
    }

    pub async fn migrate(&self) -> Result<()> {
        crate::migrations::run(self).await
    }

    /// Runs a statement outside any transaction (e.g. `create database` for tests).
    pub async fn execute_admin(&self, sql: &str) -> Result<()> {
        let _turn = self.turn().await;
        let mut c = self.write.acquire().await?;
        c.execute(sql).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

fn sqlite_pool(max: u32, mmap: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        // sqlx pings a connection before handing it out; for an in-process SQLite
        // connection that can not go stale, the ping is only a round trip to the
        // connection's thread (it added ~12 µs, and a cross-core wake-up, to every
        // pooled caller-ID lookup).
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute("pragma journal_mode = wal").await?;
                conn.execute("pragma synchronous = normal").await?;
                conn.execute("pragma busy_timeout = 10000").await?;
                conn.execute("pragma foreign_keys = on").await?;
                conn.execute("pragma cache_size = -65536").await?;
                // The fast lane's checkpointer thread copies the log (see crate::lite).
                conn.execute(
                    format!(
                        "pragma wal_autocheckpoint = {}",
                        crate::lite::BACKSTOP_PAGES
                    )
                    .as_str(),
                )
                .await?;
                // Reads go through a memory map of the file instead of a read() into
                // each connection's own cache: a caller-ID lookup on a database larger
                // than the cache then costs no system calls (at 1M contacts, ~800 MB, p99
                // of find_by_phone went from ~220 µs to ~65 µs). SQLite caps the value at
                // its compile-time maximum (2 GiB by default); the rest is read as before.
                //
                // Only readers map the file: the writer's transactions grow it, and a
                // mapped writer remaps after each growth (munmap costs every core a TLB
                // flush; under webhook load it took a tenth of the CPU).
                if mmap {
                    conn.execute("pragma mmap_size = 2147418112").await?;
                }
                Ok(())
            })
        })
}

/// Creates the folder of a SQLite file; returns the file's path (`None` for a database
/// in memory).
fn ensure_sqlite_dir(url: &str) -> Option<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            // A failure here surfaces as a clear connect error right after.
            let _ = std::fs::create_dir_all(parent);
        }
    }
    Some(path.to_string())
}

/// The same server URL naming another database: `postgres://u@h:5432/a?x` with `b` gives
/// `postgres://u@h:5432/b?x` (tests and benchmarks create a fresh database beside the given one).
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            super::with_database_name("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database_name("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_database_name("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
