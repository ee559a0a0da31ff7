//! Leases on node numbers, the part of every id that tells which process made it (see
//! `sb_domain::ids`). Each process that writes to the database holds one number at a
//! time: it claims the lowest free (or expired) one at start-up, renews the lease while
//! it runs and gives it back when it stops. The table has no account: node numbers
//! belong to the database, like its migrations.
//!
//! A claim is one conditional upsert per number, which is atomic on both backends, so
//! two processes starting at once cannot take the same number. Lease times are Unix
//! milliseconds of the processes' own clocks; the lease lasts far longer than the clock
//! skew between machines kept by NTP.

use crate::{Db, DbConn, Result};

/// A number this process now holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    pub node: i64,
    /// The high-water mark of the ids the number's previous holder handed out.
    pub mark: i64,
}

/// Takes `node` for `holder` until `expires_at`, if it is free, expired or already this
/// holder's. Returns the previous holder's mark, or `None` when another process holds it.
pub async fn claim_one(
    db: &Db,
    node: i64,
    holder: &str,
    now: i64,
    expires_at: i64,
) -> Result<Option<Claimed>> {
    let mut tx = db.begin().await?;
    let mark: Option<i64> = sqlx::query_scalar(
        "insert into id_nodes (node, holder, expires_at, mark) values ($1, $2, $3, 0) \
         on conflict (node) do update set holder = excluded.holder, expires_at = excluded.expires_at \
         where id_nodes.expires_at < $4 or id_nodes.holder = excluded.holder \
         returning mark",
    )
    .bind(node)
    .bind(holder)
    .bind(expires_at)
    .bind(now)
    .fetch_optional(tx.raw())
    .await?;
    tx.commit().await?;
    Ok(mark.map(|mark| Claimed { node, mark }))
}

/// Takes the lowest number below `nodes` that is free or expired; `None` when every one
/// is held by a live process.
pub async fn claim_any(
    db: &Db,
    nodes: i64,
    holder: &str,
    now: i64,
    expires_at: i64,
) -> Result<Option<Claimed>> {
    for node in 0..nodes {
        if let Some(c) = claim_one(db, node, holder, now, expires_at).await? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Extends `holder`'s lease on `node` and records its high-water mark. `false` when the
/// lease was lost (it expired and another process took the number).
pub async fn renew(db: &Db, node: i64, holder: &str, expires_at: i64, mark: i64) -> Result<bool> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "update id_nodes set expires_at = $1, mark = case when mark < $2 then $2 else mark end \
         where node = $3 and holder = $4",
    )
    .bind(expires_at)
    .bind(mark)
    .bind(node)
    .bind(holder)
    .execute(tx.raw())
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n == 1)
}

/// Gives the number back (free at once), keeping the mark for its next holder.
pub async fn release(db: &Db, node: i64, holder: &str, mark: i64) -> Result<()> {
    renew(db, node, holder, 0, mark).await.map(|_| ())
}
