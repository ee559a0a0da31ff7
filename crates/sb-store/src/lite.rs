//! The SQLite fast lane for webhooks: the event writer and the caller-ID lookup run on
//! rusqlite connections of their own, called directly on the thread that needs them.
//!
//! Why not sqlx here: sqlx's SQLite driver gives every connection a thread of its own
//! and sends each statement (and each result row) over channels to it, so a write
//! batch of five statements was five cross-thread round trips, and a one-row lookup two
//! futex wake-ups and context switches. Under webhook load those hand-offs took more CPU
//! than SQLite itself (the connection threads used half the machine). Here a statement
//! is a function call on a cached prepared statement. The SQL text and the row decoding
//! are the same functions the sqlx path uses; PostgreSQL keeps the sqlx path.
//!
//! Writers take turns: every write transaction in the process, sqlx's or this lane's,
//! first takes the database's write gate, so two in-process writers never meet SQLite's
//! lock (whose busy handler would sleep for milliseconds).

use crate::Result;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use sb_domain::report::Chain;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The turn to write; held for the whole of a write transaction.
pub(crate) type Gate = Arc<tokio::sync::Mutex<()>>;

/// Read connections for [`Lite::read`] and a source of writer connections.
pub struct Lite {
    path: String,
    readers: Mutex<Vec<Connection>>,
    gate: Gate,
    /// Dropping it stops the checkpointer thread.
    _checkpointer: Option<std::sync::mpsc::Sender<()>>,
}

/// Write-ahead log pages after which a writer checkpoints in its own commit, should the
/// checkpointer thread fall behind (SQLite's default is 1,000).
pub(crate) const BACKSTOP_PAGES: i64 = 10_000;

/// How often the checkpointer copies the write-ahead log into the database file. Often,
/// so each copy is small: under webhook load (1,000 calls/s) NOTIFY_START's p99 was
/// 1.6 ms at 10 ms, 2.9 ms at 50 ms and 28 ms at 500 ms, large copies holding up the
/// writer. (Not the sync: without it the tail was no better.) A checkpoint with nothing
/// to copy costs a few microseconds.
///
/// The cost that remains: after each checkpoint that copied the whole log, the next
/// write starts the log over and syncs its new header (SQLite's guard against mixing two
/// generations of the log after a power cut), inside that commit. Rarer, larger
/// checkpoints (every 1,500 rows, finished with the writers held off, the restart done
/// by this thread) made NOTIFY_START's tail worse on a real disk, not better: copying
/// ~8,000 pages kept the disk and a core busy for 100 ms, and commits meanwhile took up
/// to 40 ms.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(10);

/// Read connections kept for reuse; more are opened under a burst and then closed.
const IDLE_READERS: usize = 8;

impl std::fmt::Debug for Lite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lite").field("path", &self.path).finish()
    }
}

/// A connection (or a transaction on one) of the fast lane, for the store functions
/// that take it.
pub struct LiteConn<'a>(pub(crate) &'a Connection);

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Read,
    Write,
    /// Copies the log into the file (see [`start_checkpointer`]); reads no tables.
    Checkpoint,
}

fn open(path: &str, role: Role) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = Connection::open_with_flags(path, flags)?;
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "synchronous", "normal")?;
    c.pragma_update(None, "foreign_keys", "on")?;
    c.set_prepared_statement_cache_capacity(32);
    match role {
        Role::Write => {
            // A modest cache: at the end of every write transaction SQLite walks the
            // cache's whole hash table (pcache1TruncateUnsafe), so its size is paid at
            // each commit (with 64 MiB that walk was a fifth of the writer's time). The
            // pages a webhook batch touches (the ends of a few tables and indexes, and
            // one leaf of each unique index) fit in far less. No memory map either (see
            // `Db::connect` and the readers below).
            c.pragma_update(None, "cache_size", -8192)?;
            // Checkpoints are the checkpointer thread's job; this is only a backstop.
            c.pragma_update_and_check(None, "wal_autocheckpoint", BACKSTOP_PAGES, |_| Ok(()))?;
        }
        Role::Read => {
            c.pragma_update(None, "query_only", "on")?;
            // No memory map here: in WAL mode a connection that finds the database
            // changed since its last read drops its cache and unmaps the whole file, so
            // under webhook load (a commit every millisecond) each lookup paid an munmap
            // (a TLB flush on every core) and page faults to map its pages again: a
            // third of the lookup's time. A few read() calls cost far less. The cache is
            // dropped just as often, so a small one is enough.
            c.pragma_update(None, "cache_size", -2048)?;
        }
        Role::Checkpoint => {
            c.pragma_update(None, "cache_size", -256)?;
        }
    }
    Ok(c)
}

impl Lite {
    pub(crate) fn open(path: &str, gate: Gate) -> Result<Lite> {
        // One now, so a database the lane cannot open fails at start, not on a webhook.
        let first = open(path, Role::Read)?;
        Ok(Lite {
            path: path.to_string(),
            readers: Mutex::new(vec![first]),
            gate,
            _checkpointer: start_checkpointer(path),
        })
    }

    /// Runs `f` on a read connection, on the calling thread. Meant for a few indexed
    /// lookups (tens of microseconds, no system call when the file is in the page
    /// cache): less than a hand-off to another thread would cost. Longer reads belong
    /// on the pooled connections.
    pub fn read<T>(&self, f: impl FnOnce(&LiteConn<'_>) -> Result<T>) -> Result<T> {
        let idle = match self.readers.lock() {
            Ok(mut v) => v.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        let conn = match idle {
            Some(c) => c,
            None => open(&self.path, Role::Read)?,
        };
        let out = f(&LiteConn(&conn));
        if let Ok(mut v) = self.readers.lock() {
            if v.len() < IDLE_READERS {
                v.push(conn);
            }
        }
        out
    }

    /// A writer connection, for one thread that is not an async runtime's (it waits for
    /// its turn to write by blocking).
    pub fn writer(&self) -> Result<LiteWriter> {
        Ok(LiteWriter {
            conn: open(&self.path, Role::Write)?,
            gate: self.gate.clone(),
        })
    }
}

/// A connection that writes, owned by one thread.
pub struct LiteWriter {
    conn: Connection,
    gate: Gate,
}

impl LiteWriter {
    /// Runs `f` in one write transaction, committed if `f` succeeds and rolled back if
    /// it fails. Blocks while another writer of this database has its turn.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&LiteConn<'_>) -> Result<T>) -> Result<T> {
        let _turn = self.gate.blocking_lock();
        write(&mut self.conn, f)
    }

    /// [`Self::transaction`] if no other writer has the turn now, `None` if one has;
    /// never waits for the turn, so an async task may call it.
    pub fn try_transaction<T>(
        &mut self,
        f: impl FnOnce(&LiteConn<'_>) -> Result<T>,
    ) -> Option<Result<T>> {
        let _turn = self.gate.try_lock().ok()?;
        Some(write(&mut self.conn, f))
    }
}

/// One write transaction on `conn`, whose writer has the turn.
fn write<T>(conn: &mut Connection, f: impl FnOnce(&LiteConn<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = f(&LiteConn(&tx))?;
    tx.commit()?;
    Ok(out)
}

impl LiteConn<'_> {
    /// Runs a query built with [`crate::sql::Sql`] (its `$N` binds are taken in order)
    /// on a cached prepared statement, decoding each row with `f`.
    pub(crate) fn rows<T>(
        &self,
        sql: &crate::sql::Sql,
        mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.0.prepare_cached(&sql.text)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(sql.args()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(f(r)?);
        }
        Ok(out)
    }
}

/// Copies the write-ahead log into the database file from a thread of its own, so the
/// writer never pays for it: in its commit, SQLite's automatic checkpoint copied ~1,000
/// pages and synced both files every few hundred batches, and every webhook of that
/// batch waited for it. A passive checkpoint takes no lock a writer or reader waits for.
/// Returns the handle whose drop stops the thread (`None` if it could not start; the
/// writers' own checkpoints then keep the log bounded).
fn start_checkpointer(path: &str) -> Option<std::sync::mpsc::Sender<()>> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let path = path.to_string();
    let spawned = std::thread::Builder::new()
        .name("sb-checkpoint".into())
        .spawn(move || {
            let mut conn = None;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                if conn.is_none() {
                    conn = open(&path, Role::Checkpoint)
                        .map_err(
                            |e| tracing::warn!(error = %Chain(&e), "checkpointer cannot open the database"),
                        )
                        .ok();
                }
                if let Some(c) = &conn {
                    let r = c.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
                    if let Err(e) = r {
                        tracing::warn!(error = %Chain(&e), "checkpoint failed");
                        conn = None;
                    }
                }
            }
        });
    spawned.ok().map(|_| stop)
}
