//! The job runner: claims due jobs from the durable queue (sb_store::jobs), runs each by
//! its kind, and records the outcome: done, or failed with a backoff until its attempts
//! run out and it is dead-lettered. Knows no job kind itself; each family of jobs (today
//! telephony's, [`crate::telephony::work`]) says which kinds it runs and what a
//! dead-lettered one leaves behind.

use crate::{Ctx, ServiceError};
use sb_domain::report::Chain;
use sb_store::jobs::{self, FailOutcome, Job};
use sb_store::Tx;

/// How long a claimed job is held before another worker may take it over. Short, so
/// that the jobs a crashed (SIGKILLed) worker held run again within seconds of its
/// restart; a live worker keeps its leases alive with a heartbeat every quarter of it
/// ([`heartbeat`]), however long its jobs take (a slow recording download).
const LEASE_MS: i64 = 20_000;

/// The wait after failed attempt number `attempts`: doubling from 5 s (from the tenth
/// attempt on, ~43 minutes each).
fn backoff_ms(attempts: i64) -> i64 {
    (5_000_i64 << (attempts.clamp(1, 10) - 1)).min(3_600_000)
}

/// Why a job did not complete.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt, after a backoff, until its attempts run out.
    #[error(transparent)]
    Failed(#[from] ServiceError),
    /// Running it again cannot help (its payload cannot be read): dead-lettered at once,
    /// rather than retried for nothing or run for the wrong thing.
    #[error("{0}")]
    Hopeless(String),
}

/// Jobs the background worker claims at once. A batch of database-only jobs shares one
/// transaction, so this also bounds how long that transaction holds SQLite's turn to
/// write (webhooks wait for it): a finalize costs a few hundred microseconds.
const BATCH: i64 = 32;

/// The longest a group transaction runs on SQLite before it commits and the next one
/// begins (see [`run_group`]): while it runs, webhooks cannot commit. A finalize takes
/// a few hundred microseconds, so this is still several jobs per commit.
const GROUP_TURN: std::time::Duration = std::time::Duration::from_millis(3);

/// How often an idle worker looks for jobs that came due by time (a retry's backoff, a
/// recording's delay) or were enqueued by another node; jobs enqueued by this process's
/// webhooks wake it at once ([`Ctx::jobs_ready`]).
const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs one claimed job by its kind, in transactions of its own.
async fn run(ctx: &Ctx, job: &Job) -> Result<(), JobError> {
    if let Some(done) = crate::telephony::work::run(ctx, job).await {
        return done;
    }
    Err(unknown(job))
}

fn unknown(job: &Job) -> JobError {
    ServiceError::Internal(anyhow::anyhow!("unknown job kind {}", job.kind)).into()
}

/// Records a failed attempt in `tx`: a retry after the backoff, or the dead letter (and
/// what its kind leaves behind then).
async fn record_failure(
    ctx: &Ctx,
    tx: &mut Tx,
    job: &Job,
    error: JobError,
) -> Result<(), ServiceError> {
    match error {
        JobError::Hopeless(e) => {
            jobs::bury(tx, job.account_id, job.id, &e, ctx.now()).await?;
            tracing::error!(job = job.id, kind = %job.kind, error = %e, "job dead-lettered without retrying");
            crate::telephony::work::gave_up(ctx, tx, job, &e).await?;
        }
        JobError::Failed(e) => {
            let outcome = jobs::fail(
                tx,
                job.account_id,
                job.id,
                &e.to_string(),
                ctx.now() + backoff_ms(job.attempts),
                ctx.now(),
            )
            .await?;
            let dead = matches!(outcome, FailOutcome::Dead);
            tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, error = %Chain(&e), dead, "job failed");
            if dead {
                let error = e.to_string();
                crate::telephony::work::gave_up(ctx, tx, job, &error).await?;
            }
        }
    }
    Ok(())
}

/// Runs one job on its own. A database-only job's effects commit in the transaction
/// that marks it done (a crash before that commit leaves neither); any other job does
/// its work first and is marked done after.
async fn run_alone(ctx: &Ctx, job: &Job) -> Result<(), ServiceError> {
    let result = if crate::telephony::work::groupable(&job.kind) {
        let mut tx = ctx.db.begin().await?;
        match crate::telephony::work::run_in(ctx, &mut tx, job).await {
            Some(Ok(())) => {
                jobs::complete(&mut tx, job.account_id, job.id, ctx.now()).await?;
                tx.commit().await?;
                return Ok(());
            }
            Some(Err(e)) => {
                tx.rollback().await?;
                Err(e)
            }
            None => Err(unknown(job)),
        }
    } else {
        run(ctx, job).await
    };
    let mut tx = ctx.db.begin().await?;
    match result {
        Ok(()) => {
            jobs::complete(&mut tx, job.account_id, job.id, ctx.now()).await?;
        }
        Err(e) => record_failure(ctx, &mut tx, job, e).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// Runs database-only jobs in one transaction: one commit for the batch instead of two
/// per job (its effects, then its completion), which was most of a finalize's cost. Each
/// job's writes sit behind a savepoint, so a failing job is undone alone and its failure
/// recorded in the same transaction, while the others' work commits. Every job is marked
/// done in the transaction of its effects: a crash before the commit leaves the whole
/// batch to be claimed again when the lease ends, and re-running a job is a no-op for
/// work already done (a finalized call has its note).
///
/// On SQLite the transaction is also committed once it has run for [`GROUP_TURN`], the
/// rest left to the next: it holds the one turn to write, which webhooks wait for.
///
/// Returns how many were started (the rest were not, because `stop` said so or the turn
/// was up). On an error of the transaction itself (not of a job) nothing of it is kept,
/// and the error is returned.
async fn run_group(
    ctx: &Ctx,
    group: &[Job],
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<usize, ServiceError> {
    if group.is_empty() {
        return Ok(0);
    }
    let turn = (ctx.db.backend() == sb_store::Backend::Sqlite).then_some(GROUP_TURN);
    let began = std::time::Instant::now();
    let mut tx = ctx.db.begin().await?;
    let mut done: Vec<&Job> = Vec::with_capacity(group.len());
    let mut started = 0;
    for job in group {
        if stop() || turn.is_some_and(|t| started > 0 && began.elapsed() >= t) {
            break;
        }
        started += 1;
        jobs::mark(&mut tx).await?;
        match crate::telephony::work::run_in(ctx, &mut tx, job).await {
            Some(Ok(())) => {
                jobs::keep_since_mark(&mut tx).await?;
                done.push(job);
            }
            Some(Err(e)) => {
                jobs::undo_to_mark(&mut tx).await?;
                record_failure(ctx, &mut tx, job, e).await?;
            }
            None => {
                jobs::undo_to_mark(&mut tx).await?;
                record_failure(ctx, &mut tx, job, unknown(job)).await?;
            }
        }
    }
    let now = ctx.now();
    let mut accounts: Vec<_> = done.iter().map(|j| j.account_id).collect();
    accounts.sort_by_key(|a| a.0);
    accounts.dedup();
    for account in accounts {
        let ids: Vec<i64> = done
            .iter()
            .filter(|j| j.account_id == account)
            .map(|j| j.id)
            .collect();
        jobs::complete_many(&mut tx, account, &ids, now).await?;
    }
    tx.commit().await?;
    Ok(started)
}

/// Claims and runs the jobs that are due; returns how many ran.
pub async fn run_due(ctx: &Ctx, worker: &str, limit: i64) -> Result<usize, ServiceError> {
    run_batch(ctx, worker, limit, &|| false).await
}

/// Claims up to `limit` due jobs for `worker` and runs them: the database-only ones in
/// one group transaction ([`run_group`]), the others one by one. Before each job it
/// asks `stop`; once that says yes, the jobs not started are given back at once
/// ([`jobs::release`]) instead of staying leased for [`LEASE_MS`]. Returns how many
/// were claimed.
pub async fn run_batch(
    ctx: &Ctx,
    worker: &str,
    limit: i64,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<usize, ServiceError> {
    let claimed = jobs::claim(&ctx.db, worker, ctx.now(), LEASE_MS, limit).await?;
    let n = claimed.len();
    if n == 0 {
        return Ok(0);
    }
    let beat = heartbeat(ctx, worker, claimed.iter().map(|j| j.id).collect());
    let ran = run_claimed(ctx, worker, claimed, stop).await;
    beat.abort();
    ran.map(|()| n)
}

/// Renews the leases of `ids` every quarter lease until aborted. A task of its own, not
/// a branch beside the work: on SQLite the work's transaction holds the write turn, and
/// a renewal waiting for it must not stop the work from finishing.
fn heartbeat(ctx: &Ctx, worker: &str, ids: Vec<i64>) -> tokio::task::JoinHandle<()> {
    let (ctx, worker) = (ctx.clone(), worker.to_string());
    tokio::spawn(async move {
        let every = std::time::Duration::from_millis((LEASE_MS / 4) as u64);
        loop {
            tokio::time::sleep(every).await;
            let renewed = async {
                let mut tx = ctx.db.begin().await?;
                jobs::renew_leases(&mut tx, &worker, &ids, ctx.now() + LEASE_MS).await?;
                tx.commit().await?;
                Ok::<(), ServiceError>(())
            };
            if let Err(e) = renewed.await {
                tracing::warn!(error = %Chain(&e), "job leases not renewed; they may run out while the jobs run");
            }
        }
    })
}

async fn run_claimed(
    ctx: &Ctx,
    worker: &str,
    claimed: Vec<Job>,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(), ServiceError> {
    let (group, alone): (Vec<Job>, Vec<Job>) = claimed
        .into_iter()
        .partition(|j| crate::telephony::work::groupable(&j.kind));
    let mut unstarted: Vec<i64> = Vec::new();
    let mut one_by_one: Vec<&Job> = Vec::new();
    let mut next = 0;
    while next < group.len() {
        match run_group(ctx, &group[next..], stop).await {
            Ok(0) => {
                unstarted.extend(group[next..].iter().map(|j| j.id));
                break;
            }
            Ok(started) => next += started,
            Err(e) => {
                // Nothing of that transaction was kept; each job on its own, so only a
                // job that fails alone is counted as failed.
                tracing::warn!(error = %Chain(&e), size = group.len() - next, "job batch failed; running it one by one");
                one_by_one.extend(group[next..].iter());
                break;
            }
        }
    }
    one_by_one.extend(alone.iter());
    let mut first_error = None;
    for job in one_by_one {
        if stop() {
            unstarted.push(job.id);
            continue;
        }
        if let Err(e) = run_alone(ctx, job).await {
            tracing::error!(job = job.id, kind = %job.kind, error = %Chain(&e), "job outcome not recorded");
            first_error.get_or_insert(e);
        }
    }
    release_unstarted(ctx, worker, &unstarted).await;
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Gives back claimed jobs that were not started (see [`jobs::release`]). A failure is
/// logged: their leases then run out as after a crash.
async fn release_unstarted(ctx: &Ctx, worker: &str, ids: &[i64]) {
    if ids.is_empty() {
        return;
    }
    let released = async {
        let mut tx = ctx.db.begin().await?;
        let n = jobs::release(&mut tx, worker, ids).await?;
        tx.commit().await?;
        Ok::<u64, ServiceError>(n)
    };
    match released.await {
        Ok(n) => tracing::info!(
            released = n,
            "stopping: claimed jobs not started are queued again"
        ),
        Err(e) => {
            tracing::warn!(error = %Chain(&e), "claimed jobs could not be given back; they run when their lease ends")
        }
    }
}

/// Runs every due job until none is left (tests and the demo); bounded.
pub async fn drain(ctx: &Ctx) -> Result<usize, ServiceError> {
    let mut total = 0;
    for _ in 0..1000 {
        let n = run_due(ctx, "drain", 50).await?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(total)
}

/// The default number of workers: one on SQLite, whose writes take turns anyway (a
/// second worker would only wait for the first's transaction), a few on PostgreSQL,
/// where they claim apart (`for update skip locked`) and commit in parallel.
pub fn default_workers(backend: sb_store::Backend) -> usize {
    match backend {
        sb_store::Backend::Sqlite => 1,
        sb_store::Backend::Postgres => 4,
    }
}

/// Starts `count` background workers (at least one, at most 64) until `stop` says so.
pub fn spawn_workers(
    ctx: &Ctx,
    count: usize,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..count.clamp(1, 64))
        .map(|i| {
            // Unique among the nodes on one database: the node number is leased.
            let name = format!("worker-{}-{}-{i}", ctx.lease.node(), std::process::id());
            tokio::spawn(worker(ctx.clone(), name, i == 0, stop.clone()))
        })
        .collect()
}

/// A background worker: runs due jobs until `stop` says so, waking when this process
/// enqueues jobs and otherwise every [`IDLE_POLL`]. On stop it finishes the job in hand
/// and gives back the rest of its batch. `flush_alerts`: this one also writes the
/// integration alerts counted in memory (one worker does).
pub async fn worker(
    ctx: Ctx,
    name: String,
    flush_alerts: bool,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        if flush_alerts {
            crate::telephony::alerts::flush_due(&ctx).await;
        }
        let stopping = || *stop.borrow();
        let ran = match run_batch(&ctx, &name, BATCH, &stopping).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %Chain(&e), "job worker");
                0
            }
        };
        if ran as i64 >= BATCH {
            // Likely more waiting: another worker may help while this one goes on.
            ctx.jobs_ready.notify_one();
            continue;
        }
        tokio::select! {
            _ = ctx.jobs_ready.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_from_five_seconds_up_to_the_tenth_attempt() {
        let waits: Vec<i64> = (0..=12).map(super::backoff_ms).collect();
        assert_eq!(&waits[..5], &[5_000, 5_000, 10_000, 20_000, 40_000]);
        assert_eq!(waits[10], 2_560_000);
        assert_eq!(waits[12], 2_560_000);
    }
}
