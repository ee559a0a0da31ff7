//! The webhook hot path, one interface for both backends: [`EventWriter`] commits
//! inbound call events (inbox row + call session merge + follow-up jobs, in one
//! transaction) with group commit, and [`find_caller`] answers the caller-ID question
//! of a ringing call. The service calls them without knowing the backend; which lane
//! does the work (sqlx, or on a SQLite file the rusqlite fast lane of [`crate::lite`])
//! is decided here.
//!
//! Group commit (B5): one writer takes every event waiting and writes them in one
//! transaction, answering each only after the commit. SQLite has a single writer and
//! PostgreSQL pays a flush per commit, so under load many events share one commit
//! instead of queueing for one each. A batch that fails is retried event by event, so
//! one bad event cannot hold back the others. On SQLite an event that finds no one
//! writing and nothing queued is committed by its own request instead (see
//! [`EventWriter::commit_here`]).

use crate::calls::{self, Applied, BatchItem};
use crate::jobs::{self, NewJob};
use crate::lite::{LiteConn, LiteWriter};
use crate::{blacklist, cards, Db, Result, StoreError};
use sb_domain::entities::PhoneMatch;
use sb_domain::report::Chain;
use sb_domain::{AccountId, Phone, Visibility};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// One inbound event for the [`EventWriter`]: what it says about its call, and the jobs
/// its effect calls for (the service's rules; computed inside the transaction that
/// applies it, so the jobs commit with the event).
pub trait Inbound: Send + Sync + 'static {
    /// The inbox row and session patch.
    fn item(&self) -> BatchItem<'_>;
    /// Appends the follow-up jobs of this event, given what applying it did.
    fn follow_ups(&self, applied: &Applied, jobs: &mut Vec<NewJob>);
}

type Reply = oneshot::Sender<Result<Option<Applied>, String>>;

/// SQLite: the writer connection, shared by the writer thread and the fast path.
type SharedWriter = Arc<std::sync::Mutex<LiteWriter>>;

const MAX_BATCH: usize = 256;

/// Group commit of inbound events (see the module's documentation).
pub struct EventWriter<E: Inbound> {
    tx: mpsc::Sender<(E, Reply)>,
    /// SQLite file: the fast lane's writer connection.
    lite: Option<SharedWriter>,
}

impl<E: Inbound> EventWriter<E> {
    /// Starts the writer. On SQLite it is a thread of its own writing through the fast
    /// lane's connection ([`crate::lite`]): as a task it queued behind every request
    /// task at each await, and each statement was a hand-off to the connection's
    /// thread. A PostgreSQL connection is a socket driven by the runtime that opened
    /// it, so there the writer is a task of that runtime (on another runtime every
    /// reply waited for the busy one to relay it). Call it from within that runtime.
    pub fn start(db: Db) -> EventWriter<E> {
        let (tx, rx) = mpsc::channel::<(E, Reply)>(4096);
        let writer = match db.lite().map(|l| l.writer()) {
            None => {
                // PostgreSQL, or SQLite in memory (no second connection can open it).
                tokio::spawn(run_writer(db, rx));
                return EventWriter { tx, lite: None };
            }
            Some(Ok(w)) => Arc::new(std::sync::Mutex::new(w)),
            Some(Err(e)) => {
                // Every write then fails (webhooks answer 500 and the PBX retries later).
                tracing::error!(error = %Chain(&e), "the event writer could not open the database");
                return EventWriter { tx, lite: None };
            }
        };
        let thread_writer = writer.clone();
        let spawned = std::thread::Builder::new()
            .name("sb-committer".into())
            .spawn(move || run_lite_writer(&thread_writer, rx));
        if let Err(e) = spawned {
            tracing::error!(error = %Chain(&e), "the event writer thread could not start");
        }
        EventWriter {
            tx,
            lite: Some(writer),
        }
    }

    /// Writes one event durably; returns the merge result (`None` for a redelivery).
    pub async fn commit(&self, e: E) -> Result<Option<Applied>> {
        if let Some(done) = self.commit_here(&e) {
            return done;
        }
        let (reply, rx) = oneshot::channel();
        self.tx
            .send((e, reply))
            .await
            .map_err(|_| StoreError::Writer("the event writer has stopped".into()))?;
        match rx.await {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(StoreError::Writer(e)),
            Err(_) => Err(StoreError::Writer(
                "the event writer dropped the event".into(),
            )),
        }
    }

    /// SQLite, when nothing is queued and no one is writing: the event is committed
    /// right here, on the request's own thread, as a batch of one; `None` when it must
    /// queue. Under a light load that is most events, and each then skips two thread
    /// hand-offs (to the writer thread and back): on a busy machine each waits for a
    /// free core, and those waits were most of NOTIFY_START's slow answers. Under load
    /// the queue is rarely empty and events go to the writer thread to be batched. The
    /// request's thread is held for the commit (a few hundred microseconds; longer when
    /// the commit starts the log over and syncs it), as it is for the caller-ID read.
    fn commit_here(&self, e: &E) -> Option<Result<Option<Applied>>> {
        let writer = self.lite.as_ref()?;
        if self.tx.capacity() < self.tx.max_capacity() {
            return None;
        }
        let mut conn = writer.try_lock().ok()?;
        conn.try_transaction(|c| write_lite_one(c, e))
    }
}

/// The writer task (PostgreSQL; SQLite in memory).
async fn run_writer<E: Inbound>(db: Db, mut rx: mpsc::Receiver<(E, Reply)>) {
    while let Some(first) = rx.recv().await {
        let batch = drain(first, &mut rx);
        let res = write_batch(&db, &batch).await;
        for (e, reply) in answer(batch, res) {
            let r = write_single(&db, &e).await;
            let _ = reply.send(r.map_err(|e| e.to_string()));
        }
    }
}

/// The SQLite writer: the same batches as [`run_writer`], written synchronously on the
/// writer's own thread.
fn run_lite_writer<E: Inbound>(writer: &SharedWriter, mut rx: mpsc::Receiver<(E, Reply)>) {
    while let Some(first) = rx.blocking_recv() {
        let batch = drain(first, &mut rx);
        let mut db = match writer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let all: Vec<&E> = batch.iter().map(|(e, _)| e).collect();
        let res = db.transaction(|c| write_lite(c, &all));
        for (e, reply) in answer(batch, res) {
            let r = db.transaction(|c| write_lite_one(c, &e));
            let _ = reply.send(r.map_err(|e| e.to_string()));
        }
    }
}

/// Takes every event waiting (up to [`MAX_BATCH`]).
fn drain<E>(first: (E, Reply), rx: &mut mpsc::Receiver<(E, Reply)>) -> Vec<(E, Reply)> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    batch
}

/// Answers every event of a committed batch; if the batch failed, logs it and gives the
/// events back to be written one by one.
fn answer<E>(batch: Vec<(E, Reply)>, res: Result<Vec<Option<Applied>>>) -> Vec<(E, Reply)> {
    match res {
        Ok(results) => {
            for ((_, reply), r) in batch.into_iter().zip(results) {
                let _ = reply.send(Ok(r));
            }
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %Chain(&e), size = batch.len(), "batch commit failed; retrying one by one");
            batch
        }
    }
}

/// The follow-up jobs of a batch's applied events.
fn jobs_for<'e, E: Inbound>(
    batch: impl Iterator<Item = &'e E>,
    out: &[Option<Applied>],
) -> Vec<NewJob> {
    let mut jobs = Vec::new();
    for (e, a) in batch.zip(out) {
        if let Some(a) = a {
            e.follow_ups(a, &mut jobs);
        }
    }
    jobs
}

/// The latest moment of a batch (the jobs' creation time).
fn latest(items: &[BatchItem<'_>]) -> i64 {
    items.iter().map(|it| it.now).max().unwrap_or_default()
}

/// A batch through sqlx: [`calls::apply_batch`] and the jobs, in one transaction.
async fn write_batch<E: Inbound>(db: &Db, batch: &[(E, Reply)]) -> Result<Vec<Option<Applied>>> {
    let mut tx = db.begin().await?;
    let items: Vec<BatchItem<'_>> = batch.iter().map(|(e, _)| e.item()).collect();
    let out = calls::apply_batch(&mut tx, &items).await?;
    let jobs = jobs_for(batch.iter().map(|(e, _)| e), &out);
    jobs::enqueue_many(&mut tx, &jobs, latest(&items)).await?;
    tx.commit().await?;
    Ok(out)
}

/// One event on its own through sqlx, the path a failed batch falls back to: its inbox
/// row, then [`calls::apply`], which creates the session or locks the one there (so a
/// session created meanwhile by another writer, which fails a batch, is merged into).
async fn write_single<E: Inbound>(db: &Db, e: &E) -> Result<Option<Applied>> {
    let it = e.item();
    let mut tx = db.begin().await?;
    if !calls::insert_inbox(&mut tx, it.inbox).await? {
        tx.commit().await?;
        return Ok(None);
    }
    let a = calls::apply(
        &mut tx,
        it.inbox.account_id,
        it.inbox.integration_id,
        it.provider_call_id,
        it.patch,
        it.now,
    )
    .await?;
    let mut jobs = Vec::new();
    e.follow_ups(&a, &mut jobs);
    jobs::enqueue_many(&mut tx, &jobs, it.now).await?;
    tx.commit().await?;
    Ok(Some(a))
}

/// One event on the fast lane, as a batch of one (`None` for a redelivery). SQLite has
/// one writer, and every writer of the process takes the same turn, so the session a
/// batch of one did not find cannot appear before it writes.
fn write_lite_one<E: Inbound>(c: &LiteConn<'_>, e: &E) -> Result<Option<Applied>> {
    Ok(write_lite(c, &[e])?.into_iter().next().flatten())
}

/// A batch on the fast lane: [`calls::apply_batch_lite`] and the jobs.
fn write_lite<E: Inbound>(c: &LiteConn<'_>, batch: &[&E]) -> Result<Vec<Option<Applied>>> {
    let items: Vec<BatchItem<'_>> = batch.iter().map(|e| e.item()).collect();
    let out = calls::apply_batch_lite(c, &items)?;
    let jobs = jobs_for(batch.iter().copied(), &out);
    jobs::enqueue_many_lite(c, &jobs, latest(&items))?;
    Ok(out)
}

/// What caller ID found for a number.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Caller {
    /// The number is on the account's blacklist (then `matches` is not looked up).
    pub blacklisted: bool,
    /// The contacts and companies with this number (see [`cards::find_by_phone`]).
    pub matches: Vec<PhoneMatch>,
}

/// Caller ID for a ringing call, as the system (every card of the account): the
/// blacklist first when `check_blacklist`, then the cards with this number. Two
/// indexed reads; on a SQLite file they run right here on the fast lane's read
/// connections, cheaper than a hand-off to a pooled connection's thread.
pub async fn find_caller(
    db: &Db,
    account: AccountId,
    phone: &Phone,
    check_blacklist: bool,
) -> Result<Caller> {
    let vis = [Visibility::All; 2];
    if let Some(lite) = db.lite() {
        return lite.read(|c| {
            if check_blacklist && blacklist::find_lite(c, account, phone)?.is_some() {
                return Ok(Caller {
                    blacklisted: true,
                    matches: Vec::new(),
                });
            }
            Ok(Caller {
                blacklisted: false,
                matches: cards::find_by_phone_lite(c, account, vis, phone)?,
            })
        });
    }
    let mut c = db.conn().await?;
    if check_blacklist && blacklist::find(&mut c, account, phone).await?.is_some() {
        return Ok(Caller {
            blacklisted: true,
            matches: Vec::new(),
        });
    }
    Ok(Caller {
        blacklisted: false,
        matches: cards::find_by_phone(&mut c, account, vis, phone).await?,
    })
}
