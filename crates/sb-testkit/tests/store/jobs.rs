//! The durable job queue: claim, lease, retry, dead letter, restart.

use crate::tel_fixtures::{account, T};
use sb_domain::AccountId;
use sb_store::jobs::{self, FailOutcome, JobCounts, NewJob};
use sb_store::{Db, StoreError};
use std::collections::HashSet;

const LEASE: i64 = 30_000;

fn job(account: AccountId, kind: &str, run_at: i64, max_attempts: i64) -> NewJob {
    NewJob {
        account_id: account,
        kind: kind.into(),
        payload: r#"{"call":"in_1"}"#.into(),
        run_at,
        max_attempts,
        dedup_key: None,
    }
}

async fn enqueue(db: &Db, j: &NewJob) -> Option<i64> {
    let mut tx = db.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, j, T).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn counts(db: &Db, now: i64) -> JobCounts {
    let mut c = db.conn().await.unwrap();
    jobs::counts(&mut c, None, now).await.unwrap()
}

#[tokio::test]
async fn claim_complete_and_schedule() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let first = enqueue(&t.db, &job(a, "process_inbox", T, 5))
            .await
            .unwrap();
        let second = enqueue(&t.db, &job(a, "process_inbox", T - 10, 5))
            .await
            .unwrap();
        let later = enqueue(&t.db, &job(a, "fetch_recording", T + 60_000, 5))
            .await
            .unwrap();
        assert_eq!(
            counts(&t.db, T).await,
            JobCounts {
                queued: 3,
                due: 2,
                running: 0,
                dead: 0,
                done: 0
            }
        );

        let got = jobs::claim(&t.db, "w1", T, LEASE, 10).await.unwrap();
        assert_eq!(
            got.iter().map(|j| j.id).collect::<Vec<_>>(),
            vec![second, first],
            "due jobs, oldest run_at first"
        );
        assert!(got.iter().all(|j| j.attempts == 1
            && j.locked_by.as_deref() == Some("w1")
            && j.locked_until == Some(T + LEASE)));
        assert_eq!(got[1].payload, r#"{"call":"in_1"}"#);
        assert!(
            jobs::claim(&t.db, "w2", T + 1, LEASE, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased jobs are not claimed twice"
        );
        assert_eq!(
            counts(&t.db, T + 1).await,
            JobCounts {
                queued: 1,
                due: 0,
                running: 2,
                dead: 0,
                done: 0
            }
        );

        let mut tx = t.db.begin().await.unwrap();
        assert!(jobs::complete(&mut tx, a, first, T + 5).await.unwrap());
        assert!(
            !jobs::complete(&mut tx, a, first, T + 6).await.unwrap(),
            "already done"
        );
        assert!(jobs::complete(&mut tx, a, second, T + 5).await.unwrap());
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(jobs::next_run_at(&mut c).await.unwrap(), Some(T + 60_000));
        assert_eq!(jobs::pending(&mut c, None).await.unwrap(), 1);
        assert_eq!(
            jobs::pending(&mut c, Some("process_inbox")).await.unwrap(),
            0
        );
        drop(c);

        assert!(
            jobs::claim(&t.db, "w1", T + 59_999, LEASE, 10)
                .await
                .unwrap()
                .is_empty(),
            "not before run_at"
        );
        let got = jobs::claim(&t.db, "w1", T + 60_000, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![later]);
        assert_eq!(
            counts(&t.db, T + 60_001).await,
            JobCounts {
                queued: 0,
                due: 0,
                running: 1,
                dead: 0,
                done: 2
            }
        );

        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(jobs::purge_done(&mut tx, T + 6).await.unwrap(), 2);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again_after_a_restart() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let id = enqueue(&t.db, &job(a, "fetch_recording", T, 3))
            .await
            .unwrap();
        assert_eq!(
            jobs::claim(&t.db, "node-a", T, LEASE, 1)
                .await
                .unwrap()
                .len(),
            1
        );
        // node-a dies. A new process on a new connection pool sees the job again once the lease is over.
        let url = t.url.clone();
        let db2 = Db::connect(&url).await.unwrap();
        assert!(jobs::claim(&db2, "node-b", T + LEASE - 1, LEASE, 1)
            .await
            .unwrap()
            .is_empty());
        let again = jobs::claim(&db2, "node-b", T + LEASE, LEASE, 1)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            (
                again[0].id,
                again[0].attempts,
                again[0].locked_by.as_deref()
            ),
            (id, 2, Some("node-b"))
        );
        // The stale worker may still extend nothing; the new owner can.
        let mut tx = db2.begin().await.unwrap();
        assert!(
            !jobs::extend_lease(&mut tx, a, id, "node-a", T + 10 * LEASE)
                .await
                .unwrap()
        );
        assert!(jobs::extend_lease(&mut tx, a, id, "node-b", T + 3 * LEASE)
            .await
            .unwrap());
        tx.commit().await.unwrap();
        assert!(
            jobs::claim(&db2, "node-c", T + 2 * LEASE, LEASE, 1)
                .await
                .unwrap()
                .is_empty(),
            "extended lease holds"
        );
        // Lease runs out on the third and last attempt: dead-lettered, not claimed a fourth time.
        let third = jobs::claim(&db2, "node-c", T + 3 * LEASE, LEASE, 1)
            .await
            .unwrap();
        assert_eq!(third[0].attempts, 3);
        assert!(jobs::claim(&db2, "node-c", T + 4 * LEASE, LEASE, 1)
            .await
            .unwrap()
            .is_empty());
        let mut c = db2.conn().await.unwrap();
        let dead = jobs::get(&mut c, a, id).await.unwrap().unwrap();
        assert!(
            dead.is_dead && dead.done_at == Some(T + 4 * LEASE),
            "{dead:?}"
        );
        assert!(dead.last_error.unwrap().contains("lease expired"));
        drop(c);
        db2.close().await;
    }
}

#[tokio::test]
async fn failures_retry_with_the_callers_backoff_then_dead_letter() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let id = enqueue(&t.db, &job(a, "deliver_webhook", T, 3))
            .await
            .unwrap();
        let mut now = T;
        for attempt in 1..=3 {
            let got = jobs::claim(&t.db, "w", now, LEASE, 10).await.unwrap();
            assert_eq!(got.len(), 1, "attempt {attempt}");
            assert_eq!(got[0].attempts, attempt);
            let backoff = 1_000 * 2_i64.pow(attempt as u32);
            let mut tx = t.db.begin().await.unwrap();
            let outcome = jobs::fail(
                &mut tx,
                a,
                id,
                &format!("HTTP 503 on attempt {attempt}"),
                now + backoff,
                now,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            if attempt < 3 {
                assert_eq!(
                    outcome,
                    FailOutcome::Retry {
                        run_at: now + backoff
                    }
                );
                assert!(
                    jobs::claim(&t.db, "w", now + backoff - 1, LEASE, 10)
                        .await
                        .unwrap()
                        .is_empty(),
                    "not before the backoff"
                );
                now += backoff;
            } else {
                assert_eq!(outcome, FailOutcome::Dead);
            }
        }
        assert!(jobs::claim(&t.db, "w", now + 1_000_000, LEASE, 10)
            .await
            .unwrap()
            .is_empty());
        let mut c = t.db.conn().await.unwrap();
        let dead = jobs::list_dead(&mut c, Some(a), 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(
            (dead[0].id, dead[0].done_at, dead[0].last_error.as_deref()),
            (id, Some(now), Some("HTTP 503 on attempt 3"))
        );
        assert_eq!(
            jobs::counts(&mut c, Some(a), now).await.unwrap(),
            JobCounts {
                dead: 1,
                ..Default::default()
            }
        );
        drop(c);

        let mut tx = t.db.begin().await.unwrap();
        assert!(
            matches!(
                jobs::fail(&mut tx, a, id, "x", now, now).await,
                Err(StoreError::NotFound)
            ),
            "a dead job cannot fail again"
        );
        jobs::requeue(&mut tx, a, id, now).await.unwrap();
        assert!(
            matches!(
                jobs::requeue(&mut tx, a, id, now).await,
                Err(StoreError::NotFound)
            ),
            "only dead jobs"
        );
        tx.commit().await.unwrap();
        let got = jobs::claim(&t.db, "w", now, LEASE, 10).await.unwrap();
        assert_eq!((got[0].id, got[0].attempts), (id, 1));
    }
}

#[tokio::test]
async fn a_dedup_key_enqueues_once_and_enqueue_rolls_back_with_its_transaction() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut j = job(a, "fetch_recording", T, 5);
        j.dedup_key = Some("in_1".into());
        assert!(enqueue(&t.db, &j).await.is_some());
        assert!(enqueue(&t.db, &j).await.is_none(), "same kind and key");
        let mut other_kind = j.clone();
        other_kind.kind = "transcribe".into();
        assert!(enqueue(&t.db, &other_kind).await.is_some());
        let no_key = job(a, "fetch_recording", T, 5);
        assert!(
            enqueue(&t.db, &no_key).await.is_some() && enqueue(&t.db, &no_key).await.is_some(),
            "no key, no dedup"
        );

        let mut tx = t.db.begin().await.unwrap();
        jobs::enqueue(&mut tx, &job(a, "lost", T, 5), T)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(jobs::pending(&mut c, None).await.unwrap(), 4);
        assert_eq!(jobs::pending(&mut c, Some("lost")).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn concurrent_workers_claim_each_job_once() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut tx = t.db.begin().await.unwrap();
        for i in 0..60 {
            jobs::enqueue(&mut tx, &job(a, "k", T + i, 5), T)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut handles = Vec::new();
        for w in 0..4 {
            let db = t.db.clone();
            handles.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = jobs::claim(&db, &format!("w{w}"), T + 1_000, LEASE, 7)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        break;
                    }
                    mine.extend(got.into_iter().map(|j| j.id));
                }
                mine
            }));
        }
        let mut seen = HashSet::new();
        let mut total = 0;
        for h in handles {
            let ids = h.await.unwrap();
            total += ids.len();
            seen.extend(ids);
        }
        assert_eq!((total, seen.len()), (60, 60), "{:?}", t.backend());
    }
}

#[tokio::test]
async fn a_buried_job_is_dead_at_once_with_its_error() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let id = enqueue(&t.db, &job(a, "call.finalize", T, 8))
            .await
            .unwrap();
        let claimed = jobs::claim(&t.db, "w", T, LEASE, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let mut tx = t.db.begin().await.unwrap();
        jobs::bury(&mut tx, a, id, "the job's payload cannot be read", T + 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let j = jobs::get(&mut c, a, id).await.unwrap().unwrap();
        assert!(
            j.is_dead && j.done_at == Some(T + 1) && j.locked_by.is_none(),
            "{j:?}"
        );
        assert_eq!(j.attempts, 1, "seven attempts left unused");
        assert_eq!(
            j.last_error.as_deref(),
            Some("the job's payload cannot be read")
        );
        assert!(jobs::claim(&t.db, "w", T + 10_000_000, LEASE, 10)
            .await
            .unwrap()
            .is_empty());
        let dead = jobs::list_dead(&mut c, Some(a), 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        let mut tx = t.db.begin().await.unwrap();
        assert!(matches!(
            jobs::bury(&mut tx, a, id, "again", T + 2).await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn released_jobs_are_claimable_at_once_without_a_counted_attempt() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(enqueue(&t.db, &job(a, "k", T + i, 5)).await.unwrap());
        }
        let got = jobs::claim(&t.db, "w1", T + 10, LEASE, 10).await.unwrap();
        assert_eq!(got.len(), 3);
        let mut tx = t.db.begin().await.unwrap();
        jobs::complete(&mut tx, a, ids[0], T + 11).await.unwrap();
        assert_eq!(
            jobs::release(&mut tx, "w2", &ids).await.unwrap(),
            0,
            "not w2's"
        );
        assert_eq!(
            jobs::release(&mut tx, "w1", &ids).await.unwrap(),
            2,
            "the done one stays done"
        );
        tx.commit().await.unwrap();
        let again = jobs::claim(&t.db, "w2", T + 12, LEASE, 10).await.unwrap();
        assert_eq!(
            again.iter().map(|j| j.id).collect::<Vec<_>>(),
            ids[1..].to_vec()
        );
        assert!(again.iter().all(|j| j.attempts == 1));
    }
}

#[tokio::test]
async fn completing_a_batch_at_once_marks_only_the_open_jobs() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(enqueue(&t.db, &job(a, "k", T + i, 5)).await.unwrap());
        }
        let other = enqueue(&t.db, &job(b, "k", T, 5)).await.unwrap();
        jobs::claim(&t.db, "w1", T + 10, LEASE, 10).await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        jobs::complete(&mut tx, a, ids[0], T + 11).await.unwrap();
        let mut all = ids.clone();
        all.push(other);
        assert_eq!(
            jobs::complete_many(&mut tx, a, &all, T + 20).await.unwrap(),
            3,
            "another account's job is not touched"
        );
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let first = jobs::get(&mut c, a, ids[0]).await.unwrap().unwrap();
        assert_eq!(first.done_at, Some(T + 11));
        for id in &ids[1..] {
            let j = jobs::get(&mut c, a, *id).await.unwrap().unwrap();
            assert_eq!((j.done_at, j.locked_by), (Some(T + 20), None));
        }
        let o = jobs::get(&mut c, b, other).await.unwrap().unwrap();
        assert_eq!(o.done_at, None);
    }
}

#[tokio::test]
async fn a_heartbeat_keeps_only_its_own_live_leases() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let first = enqueue(&t.db, &job(a, "process_inbox", T, 5))
            .await
            .unwrap();
        let second = enqueue(&t.db, &job(a, "process_inbox", T, 5))
            .await
            .unwrap();
        let got = jobs::claim(&t.db, "w1", T, LEASE, 10).await.unwrap();
        assert_eq!(got.len(), 2);
        let mut tx = t.db.begin().await.unwrap();
        assert!(jobs::complete(&mut tx, a, first, T + 1).await.unwrap());
        // Another worker's heartbeat does not touch w1's jobs; w1's renews the open one.
        assert_eq!(
            jobs::renew_leases(&mut tx, "w2", &[first, second], T + 10 * LEASE)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            jobs::renew_leases(&mut tx, "w1", &[first, second], T + 3 * LEASE)
                .await
                .unwrap(),
            1,
            "the done job is left alone"
        );
        tx.commit().await.unwrap();
        assert!(
            jobs::claim(&t.db, "w2", T + 2 * LEASE, LEASE, 10)
                .await
                .unwrap()
                .is_empty(),
            "the renewed lease still holds after the first would have run out"
        );
        let later = jobs::claim(&t.db, "w2", T + 3 * LEASE + 1, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(later.iter().map(|j| j.id).collect::<Vec<_>>(), vec![second]);
    }
}
