//! PostgreSQL's LISTEN/NOTIFY, for events that every node sharing the database must
//! see (the live call pop-ups). Notifications are transient: a listener that is not
//! connected when one is sent never gets it, so they carry nothing that must last.

use crate::db::DbConn;
use crate::{Backend, Db, Result};
use sqlx::postgres::PgListener;

/// Most bytes in one notification's payload (PostgreSQL refuses 8,000 and more).
pub const MAX_PAYLOAD: usize = 7_900;

/// Sends `payload` to every connection listening on `channel`, this node's included.
/// Nothing to do on SQLite (one node).
pub async fn notify(db: &Db, channel: &str, payload: &str) -> Result<()> {
    if db.backend() != Backend::Postgres {
        return Ok(());
    }
    let mut c = db.conn().await?;
    sqlx::query("select pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(c.raw())
        .await?;
    Ok(())
}

/// A connection of its own that listens on one channel.
pub struct Listener(PgListener);

impl Listener {
    /// Listens on `channel`; `None` on SQLite.
    pub async fn connect(db: &Db, channel: &str) -> Result<Option<Listener>> {
        let Some(url) = db.pg_url() else {
            return Ok(None);
        };
        let mut l = PgListener::connect(url).await?;
        l.listen(channel).await?;
        Ok(Some(Listener(l)))
    }

    /// The next payload. A lost connection is opened again (and listens again) by the
    /// next call; what was sent meanwhile is lost.
    pub async fn recv(&mut self) -> Result<String> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}
