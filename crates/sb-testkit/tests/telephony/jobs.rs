//! The job runner on real call follow-ups: a claimed batch commits together, a failing
//! job in it undoes nothing of the others, a stopping worker gives back what it had not
//! started, and concurrent workers never run one job twice.

use crate::{contact, notes, rigs, Rig};
use sb_domain::EntityKind;
use sb_pbxsim::{Scenario, ScenarioSpec};
use sb_service::telephony::work::FINALIZE;
use sb_store::jobs::{self, NewJob};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `n` answered calls from the contact's number; returns the contact's id once the PBX
/// got a 200 for every event (their finalize jobs are then queued, not run).
async fn calls_from_a_contact(rig: &Rig, n: usize) -> i64 {
    let app = &rig.app;
    let cid = contact(app, "Queue Test", "+34 600 777 888", app.admin.user.id.0).await;
    for _ in 0..n {
        let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
        sp.caller = "34600777888".into();
        let report = rig.sim.run_scenario(sp).await.unwrap();
        assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
    }
    cid
}

/// The ids of the account's jobs of `kind`, oldest first.
async fn job_ids(rig: &Rig, kind: &str) -> Vec<i64> {
    let ctx = rig.app.ctx();
    let now = ctx.now();
    // Claimed and given straight back: the queue's only listing of open jobs.
    let claimed = jobs::claim(&ctx.db, "lister", now, 60_000, 1000)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    let mut tx = ctx.db.begin().await.unwrap();
    jobs::release(&mut tx, "lister", &ids).await.unwrap();
    tx.commit().await.unwrap();
    claimed
        .into_iter()
        .filter(|j| j.kind == kind)
        .map(|j| j.id)
        .collect()
}

async fn enqueue(rig: &Rig, job: NewJob) -> i64 {
    let ctx = rig.app.ctx();
    let mut tx = ctx.db.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, &job, ctx.now())
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn odd_job(rig: &Rig, kind: &str, payload: &str, run_at: i64) -> NewJob {
    NewJob {
        account_id: rig.app.account().id,
        kind: kind.into(),
        payload: payload.into(),
        run_at,
        max_attempts: 3,
        dedup_key: None,
    }
}

#[tokio::test]
async fn a_failing_job_in_a_batch_leaves_the_other_calls_logged() {
    for rig in rigs().await {
        let app = &rig.app;
        let cid = calls_from_a_contact(&rig, 3).await;
        let finals = job_ids(&rig, FINALIZE).await;
        assert_eq!(finals.len(), 3);
        // A call's job that fails first in the group transaction (its payload cannot be
        // read: dead-lettered at once), and after the calls a job of a kind no one
        // runs (retried later).
        let hopeless = enqueue(&rig, odd_job(&rig, FINALIZE, "not json", 0)).await;
        let failing = enqueue(&rig, odd_job(&rig, "test.unknown", "{}", app.ctx().now())).await;

        let ran = sb_service::jobs::run_due(app.ctx(), "w1", 50)
            .await
            .unwrap();
        assert_eq!(ran, 5, "one batch");

        let n = notes(app, EntityKind::Contacts, cid).await;
        assert_eq!(
            n.len(),
            3,
            "every call logged despite the failures around them"
        );
        let mut c = app.ctx().db.conn().await.unwrap();
        let account = app.account().id;
        for id in &finals {
            let j = jobs::get(&mut c, account, *id).await.unwrap().unwrap();
            assert!(j.done_at.is_some() && !j.is_dead && j.locked_by.is_none());
        }
        let f = jobs::get(&mut c, account, failing).await.unwrap().unwrap();
        assert!(f.done_at.is_none(), "retried later");
        assert!(f.last_error.unwrap().contains("unknown job kind"));
        assert!(f.run_at > app.ctx().now(), "after a backoff");
        let h = jobs::get(&mut c, account, hopeless).await.unwrap().unwrap();
        assert!(h.is_dead, "an unreadable payload is dead-lettered");
        drop(c);

        // Running the same calls' jobs again (a crash after the commit, a second node)
        // adds nothing: one note per call.
        let mut c = app.ctx().db.conn().await.unwrap();
        let mut again = Vec::new();
        for id in &finals {
            let j = jobs::get(&mut c, account, *id).await.unwrap().unwrap();
            again.push(odd_job(&rig, FINALIZE, &j.payload, app.ctx().now()));
        }
        drop(c);
        for j in again {
            enqueue(&rig, j).await;
        }
        assert_eq!(app.drain_jobs().await, 3);
        assert_eq!(notes(app, EntityKind::Contacts, cid).await.len(), 3);
    }
}

#[tokio::test]
async fn a_stopping_worker_gives_back_the_jobs_it_had_not_started() {
    for rig in rigs().await {
        let app = &rig.app;
        let cid = calls_from_a_contact(&rig, 3).await;
        let finals = job_ids(&rig, FINALIZE).await;
        // Stop is asked before each job: the first runs, then the worker is told to stop.
        let asked = AtomicUsize::new(0);
        let stop = || asked.fetch_add(1, Ordering::SeqCst) >= 1;
        let claimed = sb_service::jobs::run_batch(app.ctx(), "w1", 10, &stop)
            .await
            .unwrap();
        assert_eq!(claimed, 3);
        assert_eq!(notes(app, EntityKind::Contacts, cid).await.len(), 1);

        // The same moment (no lease to wait out): another worker gets the other two, as
        // if they had never been claimed.
        let now = app.ctx().now();
        let next = jobs::claim(&app.ctx().db, "w2", now, 60_000, 10)
            .await
            .unwrap();
        let ids: Vec<i64> = next.iter().map(|j| j.id).collect();
        assert_eq!(ids, finals[1..].to_vec());
        assert!(
            next.iter().all(|j| j.attempts == 1),
            "the given-back claim is not counted"
        );
        let mut tx = app.ctx().db.begin().await.unwrap();
        assert_eq!(
            jobs::release(&mut tx, "w1", &ids).await.unwrap(),
            0,
            "only the holder gives back"
        );
        assert_eq!(jobs::release(&mut tx, "w2", &ids).await.unwrap(), 2);
        tx.commit().await.unwrap();
        app.drain_jobs().await;
        assert_eq!(notes(app, EntityKind::Contacts, cid).await.len(), 3);
    }
}

#[tokio::test]
async fn concurrent_workers_log_each_call_once() {
    // Several workers claim together (on PostgreSQL with `for update skip locked`; on
    // SQLite they take turns): every job runs once, in a single claim.
    const CALLS: usize = 12;
    for rig in rigs().await {
        let app = &rig.app;
        let cid = calls_from_a_contact(&rig, CALLS).await;
        let finals = job_ids(&rig, FINALIZE).await;
        assert_eq!(finals.len(), CALLS);
        let workers = (0..4).map(|i| async move {
            let name = format!("w{i}");
            let mut ran = 0;
            for _ in 0..CALLS {
                let n = sb_service::jobs::run_due(app.ctx(), &name, 2)
                    .await
                    .unwrap();
                if n == 0 {
                    break;
                }
                ran += n;
            }
            ran
        });
        let ran: usize = futures_util::future::join_all(workers)
            .await
            .into_iter()
            .sum();
        assert_eq!(ran, CALLS, "no job claimed twice");
        assert_eq!(notes(app, EntityKind::Contacts, cid).await.len(), CALLS);
        let mut c = app.ctx().db.conn().await.unwrap();
        for id in finals {
            let j = jobs::get(&mut c, app.account().id, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(j.attempts, 1);
            assert!(j.done_at.is_some());
        }
    }
}
