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
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The turn to write; held for the whole of a write transaction.
pub(crate) type Gate = Arc<tokio::sync::Mutex<()>>;

/// Read connections for [`Lite::read`] and a source of writer connections.
pub struct Lite {
    path: String,
    readers: Mutex<Vec<Connection>>,
    gate: Gate,
}

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
            // The writer keeps a large cache and maps nothing (see `Db::connect`).
            c.pragma_update(None, "cache_size", -65536)?;
        }
        Role::Read => {
            c.pragma_update(None, "query_only", "on")?;
            // Reads come from a map of the file; the cache holds only pages found in the
            // write-ahead log, and a small one is cheaper to drop when the writer commits.
            c.pragma_update(None, "cache_size", -4096)?;
            c.pragma_update_and_check(None, "mmap_size", 2_147_418_112_i64, |_| Ok(()))?;
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&LiteConn(&tx))?;
        tx.commit()?;
        Ok(out)
    }
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
