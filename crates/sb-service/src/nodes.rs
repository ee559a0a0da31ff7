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
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::watch;

/// How long a lease lasts without renewal: a node that died frees its number after this.
const LEASE: Duration = Duration::from_secs(60);
/// How often a live node renews (a third of the lease: two renewals may fail in a row).
const RENEW_EVERY: Duration = Duration::from_secs(20);

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
    stop: watch::Sender<bool>,
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
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(keep(db.clone(), stopped));
        Ok(NodeLease {
            db: db.clone(),
            stop,
        })
    }

    /// The number this process's ids carry.
    pub fn node(&self) -> i64 {
        IDS.node()
    }

    /// Gives the number back at once (a clean stop), recording how far the ids went.
    pub async fn release(&self) {
        let _ = self.stop.send(true);
        if let Err(e) = sb_store::nodes::release(&self.db, IDS.node(), holder(), IDS.mark()).await {
            tracing::warn!(error = %Chain(&e), "could not give back the node number; it frees itself when its lease ends");
        }
    }
}

/// Renews the lease until told to stop (or until the lease's owner is gone).
async fn keep(db: sb_store::Db, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = stopped.changed() => {
                if r.is_err() || *stopped.borrow() {
                    return;
                }
            }
        }
        let node = IDS.node();
        let until = wall_ms() + LEASE.as_millis() as i64;
        match sb_store::nodes::renew(&db, node, holder(), until, IDS.mark()).await {
            Ok(true) => {}
            Ok(false) => {
                // Paused longer than the lease (a suspended VM, a stalled database) and the
                // number went to another process: take a free one before minting more.
                tracing::error!(
                    node,
                    "the lease on this node's number was lost; taking another"
                );
                let now = wall_ms();
                match sb_store::nodes::claim_any(&db, NODES, holder(), now, until).await {
                    Ok(Some(c)) => IDS.set_node(c.node, c.mark),
                    Ok(None) => tracing::error!("no node number is free; ids may collide"),
                    Err(e) => tracing::error!(error = %Chain(&e), "claiming a node number failed"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "renewing the node number's lease failed; trying again")
            }
        }
    }
}
