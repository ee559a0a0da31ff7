//! The durable job queue. Work that must survive a crash (processing an inbound event,
//! fetching a recording, delivering a webhook) is a row written in the same transaction
//! as whatever caused it. Workers claim due rows with a lease; a worker that dies lets
//! its lease run out and the job is claimed again. Attempts are counted at claim time,
//! so a job that kills its worker still ends up dead-lettered instead of looping.
//!
//! On PostgreSQL several nodes claim concurrently with `for update skip locked`; on
//! SQLite writes are serialised through one connection, so one UPDATE is enough.

use crate::cells::decode;
use crate::db::DbConn;
use crate::sql::Sql;
use crate::{Backend, Db, Result, StoreError};
use sb_domain::AccountId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub account_id: AccountId,
    pub kind: String,
    /// JSON text the job's handler reads.
    pub payload: String,
    /// Not before this time (Unix ms).
    pub run_at: i64,
    pub max_attempts: i64,
    /// Natural key: while a job of this kind and key exists (done or not), enqueueing
    /// another is a no-op. `None` never deduplicates.
    pub dedup_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub account_id: AccountId,
    pub kind: String,
    pub payload: String,
    pub dedup_key: Option<String>,
    pub run_at: i64,
    /// Claims so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub locked_until: Option<i64>,
    pub locked_by: Option<String>,
    pub done_at: Option<i64>,
    /// Gave up after `max_attempts`; `done_at` is set too.
    pub is_dead: bool,
    pub created_at: i64,
}

const COLUMNS: &str = "id, account_id, kind, payload, dedup_key, run_at, attempts, max_attempts, last_error, locked_until, locked_by, done_at, is_dead, created_at";

/// Longest error text kept on a job.
const MAX_ERROR_CHARS: usize = 2000;

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Job> {
    decode(r, |c| {
        Ok(Job {
            id: c.next()?,
            account_id: AccountId(c.next()?),
            kind: c.next()?,
            payload: c.next()?,
            dedup_key: c.next()?,
            run_at: c.next()?,
            attempts: c.next()?,
            max_attempts: c.next()?,
            last_error: c.next()?,
            locked_until: c.next()?,
            locked_by: c.next()?,
            done_at: c.next()?,
            is_dead: c.flag()?,
            created_at: c.next()?,
        })
    })
}

/// Enqueues a job. Returns its id, or `None` when `dedup_key` matched an existing job.
/// Pass the transaction of the change that requires the job, so both commit together.
pub async fn enqueue(c: &mut impl DbConn, job: &NewJob, now: i64) -> Result<Option<i64>> {
    let id = sb_domain::next_id(now);
    let done = sqlx::query(&format!(
        "insert into jobs ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, 0, $7, null, null, null, null, 0, $8) \
         on conflict (account_id, kind, dedup_key) do nothing"
    ))
    .bind(id)
    .bind(job.account_id.0)
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(job.dedup_key.clone())
    .bind(job.run_at)
    .bind(job.max_attempts.max(1))
    .bind(now)
    .execute(c.raw())
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// Enqueues several jobs with one statement (same rules as [`enqueue`], including
/// duplicates within the list).
pub async fn enqueue_many(c: &mut impl DbConn, jobs: &[NewJob], now: i64) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let shape = crate::sql::bulk_shape(c);
    let mut rest = jobs;
    let mut args = Vec::new();
    for size in crate::sql::statement_sizes(jobs.len(), shape.max_binds / 8) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let text = crate::sql::values_sql(
            &format!("insert into jobs ({COLUMNS}) values "),
            size,
            NEW_ROW,
            shape.anonymous,
        ) + NEW_CONFLICT;
        args.clear();
        for job in chunk {
            new_job_args(job, now, &mut args);
        }
        crate::sql::bind_all(sqlx::query(&text), &args)
            .execute(c.raw())
            .await?;
    }
    Ok(())
}

/// [`enqueue_many`] on the SQLite fast lane.
pub fn enqueue_many_lite(c: &crate::lite::LiteConn<'_>, jobs: &[NewJob], now: i64) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let mut insert = c.0.prepare_cached(&format!(
        "insert into jobs ({COLUMNS}) values {NEW_ROW}{NEW_CONFLICT}"
    ))?;
    let mut args = Vec::with_capacity(8);
    for job in jobs {
        args.clear();
        new_job_args(job, now, &mut args);
        insert.execute(rusqlite::params_from_iter(&args))?;
    }
    Ok(())
}

/// A new job's row in `COLUMNS` order; the eight `?` are [`new_job_args`].
const NEW_ROW: &str = "(?, ?, ?, ?, ?, ?, 0, ?, null, null, null, null, 0, ?)";
const NEW_CONFLICT: &str = " on conflict (account_id, kind, dedup_key) do nothing";

fn new_job_args(job: &NewJob, now: i64, out: &mut Vec<crate::sql::Arg>) {
    out.extend([
        crate::sql::Arg::from(sb_domain::next_id(now)),
        job.account_id.0.into(),
        job.kind.as_str().into(),
        job.payload.as_str().into(),
        job.dedup_key.clone().into(),
        job.run_at.into(),
        job.max_attempts.max(1).into(),
        now.into(),
    ]);
}

/// Claims up to `limit` due jobs for `worker` until `now + lease_ms`, oldest `run_at`
/// first, counting an attempt on each. Jobs whose lease ran out on their last attempt
/// are dead-lettered here (their worker died running them).
pub async fn claim(db: &Db, worker: &str, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Job>> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "update jobs set done_at = $1, is_dead = 1, locked_until = null, locked_by = null, \
         last_error = coalesce(last_error || '; ', '') || 'lease expired on the last attempt' \
         where done_at is null and run_at <= $2 and attempts >= max_attempts and (locked_until is null or locked_until <= $3)",
    )
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(tx.raw())
    .await?;
    let lock = match db.backend() {
        Backend::Postgres => " for update skip locked",
        Backend::Sqlite => "",
    };
    let mut sql = Sql::new("update jobs set locked_until = ");
    sql.bind(now.saturating_add(lease_ms))
        .push(", locked_by = ")
        .bind(worker)
        .push(", attempts = attempts + 1 where id in (select id from jobs where done_at is null and run_at <= ")
        .bind(now)
        .push(" and attempts < max_attempts and (locked_until is null or locked_until <= ")
        .bind(now)
        .push(") order by run_at, id limit ")
        .bind(limit)
        .push(lock)
        .push(&format!(") returning {COLUMNS}"));
    let rows = sql.query().fetch_all(tx.raw()).await?;
    tx.commit().await?;
    let mut jobs: Vec<Job> = rows.iter().map(from_row).collect::<Result<_>>()?;
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

/// Keeps a long-running job's lease alive. False when `worker` no longer holds it.
pub async fn extend_lease(
    c: &mut impl DbConn,
    account: AccountId,
    id: i64,
    worker: &str,
    until: i64,
) -> Result<bool> {
    let done = sqlx::query("update jobs set locked_until = $1 where account_id = $2 and id = $3 and locked_by = $4 and done_at is null")
        .bind(until)
        .bind(account.0)
        .bind(id)
        .bind(worker)
        .execute(c.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a job done; best in the transaction of the job's effects. False when it was
/// already done (another worker finished it after this one's lease ran out).
pub async fn complete(c: &mut impl DbConn, account: AccountId, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query("update jobs set done_at = $1, locked_until = null, locked_by = null where account_id = $2 and id = $3 and done_at is null")
        .bind(now)
        .bind(account.0)
        .bind(id)
        .execute(c.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks several jobs of one account done in one statement (a group transaction's
/// completions, written just before its commit so `done_at` is when the effects became
/// visible). Returns how many were still open.
pub async fn complete_many(
    c: &mut impl DbConn,
    account: AccountId,
    ids: &[i64],
    now: i64,
) -> Result<u64> {
    let mut done = 0;
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("update jobs set done_at = ");
        sql.bind(now)
            .push(", locked_until = null, locked_by = null where account_id = ")
            .bind(account.0)
            .push(" and done_at is null and id in ")
            .bind_list(chunk);
        done += sql.query().execute(c.raw()).await?.rows_affected();
    }
    Ok(done)
}

/// Gives claimed jobs back unstarted (a worker stopping with part of its batch not run):
/// their lease ends now and the attempt their claim counted is taken back, so the next
/// worker runs them at once, as if never claimed. Only jobs `worker` still holds.
pub async fn release(c: &mut impl DbConn, worker: &str, ids: &[i64]) -> Result<u64> {
    let mut released = 0;
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(
            "update jobs set locked_until = null, locked_by = null, \
             attempts = case when attempts > 0 then attempts - 1 else 0 end \
             where done_at is null and locked_by = ",
        );
        sql.bind(worker).push(" and id in ").bind_list(chunk);
        released += sql.query().execute(c.raw()).await?.rows_affected();
    }
    Ok(released)
}

/// Keeps the leases of the claimed jobs `worker` still holds alive until `until` (a
/// heartbeat while it works through them); done and given-back jobs are left alone.
pub async fn renew_leases(
    c: &mut impl DbConn,
    worker: &str,
    ids: &[i64],
    until: i64,
) -> Result<u64> {
    let mut renewed = 0;
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("update jobs set locked_until = ");
        sql.bind(until)
            .push(" where done_at is null and locked_by = ")
            .bind(worker)
            .push(" and id in ")
            .bind_list(chunk);
        renewed += sql.query().execute(c.raw()).await?.rows_affected();
    }
    Ok(renewed)
}

/// Marks a point in a group transaction to which one job's writes can be undone
/// ([`undo_to_mark`]) without losing those of the jobs before it.
pub async fn mark(tx: &mut crate::Tx) -> Result<()> {
    sqlx::query("savepoint job").execute(tx.raw()).await?;
    Ok(())
}

/// Keeps what was written since [`mark`] (in the transaction, to commit with it).
pub async fn keep_since_mark(tx: &mut crate::Tx) -> Result<()> {
    sqlx::query("release savepoint job")
        .execute(tx.raw())
        .await?;
    Ok(())
}

/// Undoes what was written since [`mark`]; on PostgreSQL this also clears the error
/// state a failed statement left the transaction in.
pub async fn undo_to_mark(tx: &mut crate::Tx) -> Result<()> {
    sqlx::query("rollback to savepoint job")
        .execute(tx.raw())
        .await?;
    sqlx::query("release savepoint job")
        .execute(tx.raw())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Will run again at this time.
    Retry { run_at: i64 },
    /// Out of attempts: dead-lettered.
    Dead,
}

/// Records a failed attempt: the job runs again at `next_run_at` (the caller computes
/// the backoff) or, out of attempts, is dead-lettered. `NotFound` when it is done.
pub async fn fail(
    c: &mut impl DbConn,
    account: AccountId,
    id: i64,
    error: &str,
    next_run_at: i64,
    now: i64,
) -> Result<FailOutcome> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let row = sqlx::query(
        "update jobs set last_error = $1, locked_until = null, locked_by = null, \
         run_at = case when attempts >= max_attempts then run_at else $2 end, \
         done_at = case when attempts >= max_attempts then $3 else null end, \
         is_dead = case when attempts >= max_attempts then 1 else 0 end \
         where account_id = $4 and id = $5 and done_at is null returning is_dead, run_at",
    )
    .bind(error)
    .bind(next_run_at)
    .bind(now)
    .bind(account.0)
    .bind(id)
    .fetch_optional(c.raw())
    .await?;
    let row = row.ok_or(StoreError::NotFound)?;
    decode(&row, |c| {
        let (dead, run_at) = (c.flag()?, c.next()?);
        Ok(if dead {
            FailOutcome::Dead
        } else {
            FailOutcome::Retry { run_at }
        })
    })
}

/// Dead-letters a job at once, whatever attempts it has left: running it again cannot
/// help (its payload cannot be read). Keeps `error` where failed attempts keep theirs.
/// `NotFound` when it is done.
pub async fn bury(
    c: &mut impl DbConn,
    account: AccountId,
    id: i64,
    error: &str,
    now: i64,
) -> Result<()> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let done = sqlx::query(
        "update jobs set last_error = $1, locked_until = null, locked_by = null, done_at = $2, is_dead = 1 \
         where account_id = $3 and id = $4 and done_at is null",
    )
    .bind(error)
    .bind(now)
    .bind(account.0)
    .bind(id)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Gives a dead job a fresh set of attempts. `NotFound` unless it is dead.
pub async fn requeue(c: &mut impl DbConn, account: AccountId, id: i64, run_at: i64) -> Result<()> {
    let done = sqlx::query("update jobs set done_at = null, is_dead = 0, attempts = 0, run_at = $1, locked_until = null, locked_by = null where account_id = $2 and id = $3 and is_dead = 1")
        .bind(run_at)
        .bind(account.0)
        .bind(id)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(c: &mut impl DbConn, account: AccountId, id: i64) -> Result<Option<Job>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from jobs where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Queue figures at `now`, for one account or the whole instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Not done and not held by a live lease (due or scheduled later).
    pub queued: i64,
    /// Of `queued`, those whose time has come.
    pub due: i64,
    /// Held by a live lease.
    pub running: i64,
    pub dead: i64,
    /// Completed successfully.
    pub done: i64,
}

pub async fn counts(
    c: &mut impl DbConn,
    account: Option<AccountId>,
    now: i64,
) -> Result<JobCounts> {
    // One bind per use of `now`: the builder numbers binds as it goes.
    let mut sql = Sql::new("select ");
    let conds: [&[&str]; 5] = [
        &[
            "done_at is null and (locked_until is null or locked_until <= ",
            ")",
        ],
        &[
            "done_at is null and run_at <= ",
            " and (locked_until is null or locked_until <= ",
            ")",
        ],
        &["done_at is null and locked_until > ", ""],
        &["is_dead = 1"],
        &["done_at is not null and is_dead = 0"],
    ];
    for (i, parts) in conds.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("cast(coalesce(sum(case when ");
        for (j, part) in parts.iter().enumerate() {
            if j > 0 {
                sql.bind(now);
            }
            sql.push(part);
        }
        sql.push(" then 1 else 0 end), 0) as bigint)");
    }
    sql.push(" from jobs");
    if let Some(a) = account {
        sql.push(" where account_id = ").bind(a.0);
    }
    let r = sql.query().fetch_one(c.raw()).await?;
    decode(&r, |c| {
        Ok(JobCounts {
            queued: c.next()?,
            due: c.next()?,
            running: c.next()?,
            dead: c.next()?,
            done: c.next()?,
        })
    })
}

/// Jobs not done yet (queued or running), optionally of one kind.
pub async fn pending(c: &mut impl DbConn, kind: Option<&str>) -> Result<i64> {
    let mut sql = Sql::new("select count(*) from jobs where done_at is null");
    if let Some(k) = kind {
        sql.push(" and kind = ").bind(k);
    }
    let r = sql.query().fetch_one(c.raw()).await?;
    Ok(r.try_get::<i64, _>(0)?)
}

/// When each job of `kind` created at or after `since` was created and completed (Unix
/// ms; dead ones left out), for measuring how far the work runs behind its cause.
pub async fn completed_since(
    c: &mut impl DbConn,
    kind: &str,
    since: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "select created_at, done_at from jobs where kind = $1 and created_at >= $2 and done_at is not null and is_dead = 0",
    )
    .bind(kind)
    .bind(since)
    .fetch_all(c.raw())
    .await?;
    rows.iter()
        .map(|r| decode(r, |c| Ok((c.next()?, c.next()?))))
        .collect()
}

/// When the next job becomes claimable (a worker sleeps until then), if any is waiting.
pub async fn next_run_at(c: &mut impl DbConn) -> Result<Option<i64>> {
    let r = sqlx::query("select min(case when locked_until is not null and locked_until > run_at then locked_until else run_at end) from jobs where done_at is null")
        .fetch_one(c.raw())
        .await?;
    Ok(r.try_get::<Option<i64>, _>(0)?)
}

/// Dead-lettered jobs, most recent first.
pub async fn list_dead(
    c: &mut impl DbConn,
    account: Option<AccountId>,
    limit: i64,
) -> Result<Vec<Job>> {
    let mut sql = Sql::new(&format!("select {COLUMNS} from jobs where is_dead = 1"));
    if let Some(a) = account {
        sql.push(" and account_id = ").bind(a.0);
    }
    sql.push(" order by done_at desc, id desc limit ")
        .bind(limit);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(from_row).collect()
}

/// Deletes jobs completed successfully before `before`; dead ones are kept for review.
/// Their dedup keys become free again.
pub async fn purge_done(c: &mut impl DbConn, before: i64) -> Result<u64> {
    let done =
        sqlx::query("delete from jobs where done_at is not null and is_dead = 0 and done_at < $1")
            .bind(before)
            .execute(c.raw())
            .await?;
    Ok(done.rows_affected())
}
