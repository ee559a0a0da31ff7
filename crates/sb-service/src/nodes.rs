//! This process's node number, the part of every id that keeps ids made by several
//! processes on one database apart (`sb_domain::ids`, `sb_store::nodes`).
//!
//! The id generator is one per process, so is the number: the first database a process
//! opens gives it the lowest free one; a process that opens more databases (tests do)
//! takes the same number in each. A task renews the lease while the [`NodeLease`] lives
//! and records how far the ids went, so whoever takes the number next starts above.

use crate::ServiceError;
use sb_domain::ids::{IDS, NODES};
use sb_domain::report::Chain;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::Mutex;

/// How long a lease lasts without renewal: a node that died frees its number after this.
const LEASE: Duration = Duration::from_secs(60);
/// How often a live node renews.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// A node that could not renew for this long stops (see [`keep`]): well inside the lease,
/// so it is gone before anyone else may take its number.
const GIVE_UP_AFTER: Duration = Duration::from_secs(40);

/// Who holds a number: one random name per process.
fn holder() -> &'static str {
    static HOLDER: OnceLock<String> = OnceLock::new();
    HOLDER.get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
}

/// Whether this process has a node number yet.
static NUMBERED: AtomicBool = AtomicBool::new(false);

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The lease on this process's node number in one database, renewed in the background
/// until [`NodeLease::release`] or until it is dropped.
#[derive(Debug)]
pub struct NodeLease {
    db: sb_store::Db,
    /// Held by each renewal and by the release, so that no renewal in flight extends
    /// the lease again after it was given back; `true` once it was. The renewing task
    /// holds it weakly: it stops when the lease is released or dropped.
    released: Arc<Mutex<bool>>,
}

impl NodeLease {
    /// Claims this process's number in `db` (the lowest free one if the process has none
    /// yet) and starts renewing it. Fails when every number is held by a live process,
    /// or when this process's number is held by another process in this database.
    pub async fn claim(db: &sb_store::Db) -> Result<NodeLease, ServiceError> {
        let now = wall_ms();
        let until = now + LEASE.as_millis() as i64;
        let claimed = if NUMBERED.load(Ordering::Acquire) {
            let node = IDS.node();
            sb_store::nodes::claim_one(db, node, holder(), now, until)
                .await?
                .ok_or_else(|| {
                    ServiceError::Conflict(format!(
                        "this process writes ids as node {node}, which another process holds in this database"
                    ))
                })?
        } else {
            sb_store::nodes::claim_any(db, NODES, holder(), now, until)
                .await?
                .ok_or_else(|| {
                    ServiceError::Conflict(format!(
                        "all {NODES} node numbers for ids are held by running processes on this database; stop one, or wait {}s for a stopped one's lease to end",
                        LEASE.as_secs()
                    ))
                })?
        };
        IDS.set_node(claimed.node, claimed.mark);
        NUMBERED.store(true, Ordering::Release);
        tracing::debug!(node = claimed.node, "leased a node number for ids");
        let released = Arc::new(Mutex::new(false));
        tokio::spawn(keep(db.clone(), Arc::downgrade(&released)));
        Ok(NodeLease {
            db: db.clone(),
            released,
        })
    }

    /// The number this process's ids carry.
    pub fn node(&self) -> i64 {
        IDS.node()
    }

    /// Gives the number back at once (a clean stop), recording how far the ids went.
    pub async fn release(&self) {
        let mut released = self.released.lock().await;
        *released = true;
        if let Err(e) = sb_store::nodes::release(&self.db, IDS.node(), holder(), IDS.mark()).await {
            tracing::warn!(error = %Chain(&e), "could not give back the node number; it frees itself when its lease ends");
        }
    }
}

/// Renews the lease until it is released or its [`NodeLease`] is dropped.
///
/// Fail-stop: if the lease is lost, or cannot be renewed for [`GIVE_UP_AFTER`] (the
/// database unreachable, or this process paused), another process may soon hold the
/// number, and ids made here could then collide with its own. Rather than risk that,
/// the process exits with an error; started again, it leases a number afresh.
async fn keep(db: sb_store::Db, released: Weak<Mutex<bool>>) {
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.tick().await;
    let mut renewed_at = wall_ms();
    loop {
        tick.tick().await;
        let Some(released) = released.upgrade() else {
            return;
        };
        let guard = released.lock().await;
        if *guard {
            return;
        }
        let node = IDS.node();
        let now = wall_ms();
        let lost = match sb_store::nodes::renew(
            &db,
            node,
            holder(),
            now + LEASE.as_millis() as i64,
            IDS.mark(),
        )
        .await
        {
            Ok(true) => {
                renewed_at = now;
                false
            }
            Ok(false) => true,
            Err(e) => {
                tracing::warn!(node, error = %Chain(&e), "renewing the node number's lease failed; trying again");
                false
            }
        };
        drop(guard);
        if lost || now - renewed_at > GIVE_UP_AFTER.as_millis() as i64 {
            tracing::error!(
                node,
                lost,
                "the lease on this process's node number for ids is lost or could not be renewed for {}s; stopping so that no id is made twice (started again, the process leases a number afresh)",
                GIVE_UP_AFTER.as_secs()
            );
            std::process::exit(70);
        }
    }
}
