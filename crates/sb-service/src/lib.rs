//! Use cases. Every function acts with its caller's rights (an [`Actor`]) or, for
//! telephony and jobs, explicitly as the system; it validates input, runs one
//! transaction in the store and returns domain types. This is where rights,
//! transactions, the call engine and background jobs live.
//!
//! Must not import axum or sqlx: the web layer calls in, the store is called out to.

pub mod accounts;
pub mod actor;
pub mod auth;
pub mod cards;
pub mod catalogs;
pub mod clock;
pub mod crypto;
pub mod custom_fields;
pub mod dashboard;
pub mod error;
pub mod events;
pub mod incoming;
pub mod jobs;
pub mod leads;
pub mod links;
pub mod nodes;
pub mod notes;
pub mod page;
pub mod pipelines;
pub mod recordings;
pub mod sessions;
pub mod tags;
pub mod tasks;
pub mod telephony;
pub mod users;

pub use actor::Actor;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ItemErrors, ServiceError};
pub use page::Page;

use std::sync::Arc;

/// Everything a use case needs, cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub db: sb_store::Db,
    pub clock: Arc<dyn Clock>,
    pub auth: Arc<auth::AuthKeys>,
    pub hub: Arc<dyn telephony::hub::Hub>,
    pub providers: Arc<telephony::Providers>,
    /// Group commit of webhook events.
    pub committer: Arc<telephony::ingest::Committer>,
    /// Integrations as webhooks see them (token, settings, extensions), kept in memory.
    pub routes: Arc<telephony::routes::Routes>,
    /// Where call recordings are kept (set by the server at start; without it, storing
    /// a recording fails and is retried).
    pub recordings: Option<recordings::Recordings>,
    /// This process's node number for ids, leased in this database.
    pub lease: Arc<nodes::NodeLease>,
    /// Integration alerts counted in memory between writes.
    pub alerts: Arc<telephony::alerts::Throttle>,
    /// Wakes a job worker when this process has just committed jobs to run now (a
    /// call ended), so follow-ups start without waiting for the worker's next poll.
    pub jobs_ready: Arc<tokio::sync::Notify>,
    /// Seals the secrets of integrations at rest, with the configured key.
    pub vault: Arc<crypto::Vault>,
}

impl Ctx {
    /// Builds the context: leases this process's node number for ids, loads (or
    /// creates, once) the token signing key. `key` seals secrets at rest: it comes from
    /// configuration, never from the database it protects.
    pub async fn new(
        db: sb_store::Db,
        clock: Arc<dyn Clock>,
        key: &crypto::SecretKey,
    ) -> Result<Ctx, ServiceError> {
        let lease = Arc::new(nodes::NodeLease::claim(&db).await?);
        let auth = Arc::new(auth::AuthKeys::load(&db).await?);
        let committer = Arc::new(telephony::ingest::Committer::start(db.clone()));
        Ok(Ctx {
            db,
            clock,
            auth,
            hub: Arc::new(telephony::hub::LocalHub::default()),
            providers: Arc::new(telephony::Providers::default()),
            committer,
            routes: Arc::default(),
            recordings: None,
            lease,
            alerts: Arc::default(),
            jobs_ready: Arc::default(),
            vault: Arc::new(crypto::Vault::new(key)),
        })
    }

    pub fn with_recordings(mut self, r: recordings::Recordings) -> Self {
        self.recordings = Some(r);
        self
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn next_id(&self) -> i64 {
        sb_domain::next_id(self.clock.now_ms())
    }
}
