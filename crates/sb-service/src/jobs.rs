//! The job runner: claims due jobs from the durable queue (sb_store::jobs), runs each by
//! its kind, and records the outcome: done, or failed with a backoff until its attempts
//! run out and it is dead-lettered. Knows no job kind itself; each family of jobs (today
//! telephony's, [`crate::telephony::work`]) says which kinds it runs and what a
//! dead-lettered one leaves behind.

use crate::{Ctx, ServiceError};
use sb_domain::report::Chain;
use sb_store::jobs::{self, FailOutcome, Job};

/// How long a claimed job is held before another worker may take it over.
const LEASE_MS: i64 = 120_000;

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

/// Runs one claimed job by its kind.
async fn run(ctx: &Ctx, job: &Job) -> Result<(), JobError> {
    if let Some(done) = crate::telephony::work::run(ctx, job).await {
        return done;
    }
    Err(ServiceError::Internal(anyhow::anyhow!("unknown job kind {}", job.kind)).into())
}

/// Claims and runs the jobs that are due; returns how many ran.
pub async fn run_due(ctx: &Ctx, worker: &str, limit: i64) -> Result<usize, ServiceError> {
    let now = ctx.now();
    let claimed = jobs::claim(&ctx.db, worker, now, LEASE_MS, limit).await?;
    let n = claimed.len();
    for job in claimed {
        let result = run(ctx, &job).await;
        let mut tx = ctx.db.begin().await?;
        match result {
            Ok(()) => {
                jobs::complete(&mut tx, job.account_id, job.id, ctx.now()).await?;
            }
            Err(JobError::Hopeless(e)) => {
                jobs::bury(&mut tx, job.account_id, job.id, &e, ctx.now()).await?;
                tracing::error!(job = job.id, kind = %job.kind, error = %e, "job dead-lettered without retrying");
                crate::telephony::work::gave_up(ctx, &mut tx, &job, &e).await?;
            }
            Err(JobError::Failed(e)) => {
                let outcome = jobs::fail(
                    &mut tx,
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
                    crate::telephony::work::gave_up(ctx, &mut tx, &job, &error).await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(n)
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

/// The background worker: polls for due jobs until `stop` says so.
pub async fn worker(ctx: Ctx, mut stop: tokio::sync::watch::Receiver<bool>) {
    let name = format!("worker-{}", std::process::id());
    loop {
        crate::telephony::alerts::flush_due(&ctx).await;
        let ran = match run_due(&ctx, &name, 20).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %Chain(&e), "job worker");
                0
            }
        };
        if ran == 0 {
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
                _ = stop.changed() => {}
            }
        }
        if *stop.borrow() {
            break;
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
