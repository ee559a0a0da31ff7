//! Property test of event delivery: a PBX may deliver a call's events late, twice or
//! three times, and interleaved with other calls', and the server may restart between
//! them. Whatever the interleaving, duplication and restarts, the CRM must end where a
//! clean delivery (each event once, in order) leads: the same call sessions, notes on
//! the cards, call-back tasks and auto-created contacts.
//!
//! Each case: one to four simulated calls (a mix of scenarios, known and unknown
//! callers) are played by the simulator against a clean app; the very events it sent
//! are then delivered to a second app, each one to three times, shuffled, in batches
//! with a restart (a new node on the same database) and maybe a job run between them.
//! Cases use numbers of their own, so they share the two apps without meeting.
//! `SB_PROPTEST_CASES` sets the cases per database; the seed is printed and
//! `SB_PROPTEST_SEED` replays a run.

use crate::notes;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rand::{Rng, SeedableRng};
use sb_domain::{EntityKind, IntegrationId};
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SentWebhook, SimConfig};
use sb_testkit::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

const SCENARIOS: [Scenario; 5] = [
    Scenario::IncomingAnswered,
    Scenario::IncomingMissed,
    Scenario::IncomingBusy,
    Scenario::InternalTransfer,
    Scenario::Outgoing,
];

/// One call of a case.
#[derive(Debug, Clone)]
struct CallPlan {
    scenario: usize,
    /// 0 and 1: the case's two known customers; 2: a number nobody knows.
    caller: u8,
    talk: u32,
    record: bool,
}

#[derive(Debug, Clone)]
struct Case {
    calls: Vec<CallPlan>,
    /// How many times each event is delivered (cycled over the events).
    copies: Vec<u8>,
    /// Orders the deliveries, cuts them into batches, decides the job runs between them.
    shuffle: u64,
    restarts: u8,
}

fn case() -> impl Strategy<Value = Case> {
    let call = (0..SCENARIOS.len(), 0u8..3, 1u32..600, any::<bool>()).prop_map(
        |(scenario, caller, talk, record)| CallPlan {
            scenario,
            caller,
            talk,
            record,
        },
    );
    (
        prop::collection::vec(call, 1..=4),
        prop::collection::vec(1u8..=3, 8..=8),
        any::<u64>(),
        0u8..=max_restarts(),
    )
        .prop_map(|(calls, copies, shuffle, restarts)| Case {
            calls,
            copies,
            shuffle,
            restarts,
        })
}

/// A clean app and a messy one (with the node the deliveries go to), each with the
/// simulator installed; the simulator posts to the clean one.
struct Pair {
    clean: TestApp,
    clean_integration: i64,
    messy: TestApp,
    messy_node: Option<TestApp>,
    messy_integration: i64,
    /// The webhook's path (the same on every node of the messy app).
    messy_hook: String,
    sim: PbxSim,
    next: AtomicU64,
}

impl Pair {
    fn node(&self) -> &TestApp {
        self.messy_node.as_ref().unwrap_or(&self.messy)
    }
}

async fn install(app: &TestApp, sim: &PbxSim) -> (i64, String) {
    let cfg = sim.config();
    let r = app
        .post(
            "/api/v4/telephony/integrations",
            json!({"key": cfg.key, "secret": cfg.secret, "base_url": sim.base_url(), "name": "PBX"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v = sb_testkit::json(r).await;
    let id = v["id"].as_i64().unwrap();
    for (ext, user) in [("100", app.admin.user.id.0)] {
        let r = app
            .call(
                reqwest::Method::PUT,
                &format!("/api/v4/telephony/integrations/{id}/extensions/{ext}"),
                Some(&app.admin_token.clone()),
                Some(json!({"user_id": user})),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let url = v["webhook_url"].as_str().unwrap();
    (id, url[app.url.len()..].to_string())
}

async fn pair(messy: TestApp) -> Pair {
    let db = match messy.backend {
        sb_store::Backend::Sqlite => sb_testkit::TestDb::sqlite().await,
        sb_store::Backend::Postgres => sb_testkit::TestDb::postgres().await.unwrap(),
    };
    let clean = sb_testkit::spawn_app_on(db).await;
    let sim = PbxSim::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (clean_integration, clean_hook) = install(&clean, &sim).await;
    let (messy_integration, messy_hook) = install(&messy, &sim).await;
    sim.set_webhook_url(Some(format!("{}{clean_hook}", clean.url)));
    Pair {
        clean,
        clean_integration,
        messy,
        messy_node: None,
        messy_integration,
        messy_hook,
        sim,
        next: AtomicU64::new(0),
    }
}

async fn known_customer(app: &TestApp, name: &str, number: &str) {
    let r = app
        .post(
            "/api/v4/contacts",
            json!([{"name": name, "responsible_user_id": app.admin.user.id.0,
                    "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": format!("+{number}")}]}]}]),
        )
        .await;
    assert_eq!(r.status(), 200);
}

/// What the managers see of the case's numbers and calls, without ids and times. Not the
/// session's `caller_name`: that is what the reply to NOTIFY_START told the PBX, so it
/// depends on what was known when START arrived (a contact auto-created by an END
/// delivered before it has a name by then).
async fn seen(
    app: &TestApp,
    integration: i64,
    numbers: &[String],
    calls: &[String],
) -> BTreeMap<String, Value> {
    let admin = app.admin.user.id.0;
    let mut out = BTreeMap::new();
    for n in numbers {
        let found = sb_service::cards::find_by_phone(app.ctx(), app.account().id, n)
            .await
            .unwrap();
        let mut cards = Vec::new();
        for m in found {
            let mut ns: Vec<Value> = notes(app, EntityKind::Contacts, m.id)
                .await
                .into_iter()
                .map(|note| {
                    let mut p = note.params.clone();
                    if let Some(o) = p.as_object_mut() {
                        if o.get("call_responsible").and_then(Value::as_i64) == Some(admin) {
                            o.insert("call_responsible".into(), json!("admin"));
                        }
                        if o.get("link").is_some_and(|l| !l.is_null()) {
                            o.insert("link".into(), json!("<recording>"));
                        }
                    }
                    json!([note.note_type, p])
                })
                .collect();
            ns.sort_by_key(|v| v.to_string());
            cards.push(json!({"name": m.name, "notes": ns}));
        }
        cards.sort_by_key(|v| v.to_string());
        out.insert(format!("number {n}"), json!(cards));
        let mut tasks: Vec<String> = crate::open_tasks(app)
            .await
            .into_iter()
            .filter(|t| t.text.contains(n.as_str()))
            .map(|t| format!("{} for admin={}", t.text, t.responsible_user_id.0 == admin))
            .collect();
        tasks.sort();
        out.insert(format!("tasks {n}"), json!(tasks));
    }
    let mut c = app.ctx().db.conn().await.unwrap();
    for id in calls {
        let s = sb_store::calls::get_by_provider_id(
            &mut c,
            app.account().id,
            IntegrationId(integration),
            id,
        )
        .await
        .unwrap();
        let v = s.map(|s| {
            let d = s.data;
            json!({
                "direction": format!("{:?}", d.direction), "state": format!("{:?}", d.state),
                "customer": d.customer_phone, "extension": d.extension, "final": d.extension_final,
                "user": d.user_id.map(|u| u.0 == admin), "disposition": d.disposition,
                "duration": d.duration_s, "recording": d.recording_id.is_some(),
                "recording_status": format!("{:?}", d.recording_status),
                "answered": d.answered_at.is_some(), "ended": d.ended_at.is_some(),
                "contact": d.contact_id.is_some(), "note": d.note_id.is_some(),
            })
        });
        out.insert(format!("call {id}"), json!(v));
    }
    out
}

async fn deliver(app: &TestApp, hook: &str, w: &SentWebhook) -> u16 {
    app.client
        .post(format!("{}{hook}", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("Signature", &w.signature)
        .body(w.body.clone())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Lets time pass (the recording is fetched a little after the call) and runs the jobs.
async fn settle(app: &TestApp) {
    app.clock.advance(60_000);
    app.drain_jobs().await;
}

async fn run_case(p: &mut Pair, case: &Case) -> Result<(), TestCaseError> {
    let n = p.next.fetch_add(1, Ordering::Relaxed);
    let known: Vec<String> = (0..2).map(|k| format!("3460{:06}{k}", n)).collect();
    for (k, number) in known.iter().enumerate() {
        let name = format!("Case {n} customer {k}");
        known_customer(&p.clean, &name, number).await;
        known_customer(&p.messy, &name, number).await;
    }
    let mut numbers = known.clone();
    // The clean delivery: the simulator plays the calls, one after the other.
    let mut sent: Vec<SentWebhook> = Vec::new();
    let mut calls = Vec::new();
    for (i, plan) in case.calls.iter().enumerate() {
        let mut spec = ScenarioSpec::new(SCENARIOS[plan.scenario]);
        spec.caller = match plan.caller {
            0 | 1 => known[plan.caller as usize].clone(),
            _ => {
                let fresh = format!("3470{:06}{i}", n);
                numbers.push(fresh.clone());
                fresh
            }
        };
        spec.extensions = match spec.scenario {
            Scenario::InternalTransfer => vec!["100".into(), "101".into()],
            _ => vec!["100".into()],
        };
        spec.talk_seconds = plan.talk;
        spec.options.record = Some(plan.record);
        let report = p.sim.run_scenario(spec).await.unwrap();
        for w in &report.webhooks {
            prop_assert_eq!(w.status, Some(200), "the clean app refused {}", w.event);
        }
        calls.push(report.pbx_call_id.clone());
        sent.extend(report.webhooks);
    }
    settle(&p.clean).await;

    // The messy delivery: copies, shuffled, in batches with restarts.
    let mut rng = rand::rngs::StdRng::seed_from_u64(case.shuffle);
    let mut deliveries: Vec<&SentWebhook> = Vec::new();
    for (i, w) in sent.iter().enumerate() {
        for _ in 0..case.copies[i % case.copies.len()] {
            deliveries.push(w);
        }
    }
    for i in (1..deliveries.len()).rev() {
        deliveries.swap(i, rng.gen_range(0..=i));
    }
    let mut cuts: Vec<usize> = (0..case.restarts)
        .map(|_| rng.gen_range(0..=deliveries.len()))
        .collect();
    cuts.sort_unstable();
    let mut at = 0;
    for cut in cuts.into_iter().chain([deliveries.len()]) {
        for w in &deliveries[at..cut] {
            let status = deliver(p.node(), &p.messy_hook, w).await;
            prop_assert_eq!(status, 200, "the messy app refused {}", w.event);
        }
        at = cut;
        if at < deliveries.len() {
            if rng.gen_bool(0.5) {
                settle(p.node()).await;
            }
            // A restart: the rest goes to a new process on the same database.
            let fresh = p.messy.another_node().await;
            p.messy_node = Some(fresh);
        }
    }
    settle(p.node()).await;

    let want = seen(&p.clean, p.clean_integration, &numbers, &calls).await;
    let got = seen(p.node(), p.messy_integration, &numbers, &calls).await;
    for (k, v) in &want {
        prop_assert_eq!(
            got.get(k),
            Some(v),
            "{} differs after the messy delivery",
            k
        );
    }
    Ok(())
}

fn max_restarts() -> u8 {
    std::env::var("SB_PROPTEST_RESTARTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

/// Cases per database: by default 1,000 on SQLite (~100 s on 2 cores) and 200 on
/// PostgreSQL (~100 s: every delivery there is a commit over a socket).
fn cases(backend: sb_store::Backend) -> u32 {
    std::env::var("SB_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(match backend {
            sb_store::Backend::Sqlite => 1000,
            sb_store::Backend::Postgres => 200,
        })
}

#[test]
fn any_interleaving_duplication_and_restarts_converge_to_the_clean_delivery() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seed: u64 = std::env::var("SB_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    for messy in rt.block_on(sb_testkit::spawn_apps()) {
        let backend = messy.backend;
        let p = std::cell::RefCell::new(rt.block_on(pair(messy)));
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let config = Config {
            cases: cases(backend),
            failure_persistence: None,
            max_shrink_iters: 200,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
        let started = std::time::Instant::now();
        let result = runner.run(&case(), |c| rt.block_on(run_case(&mut p.borrow_mut(), &c)));
        if let Err(e) = result {
            panic!("{backend:?}: {e}\nreplay with SB_PROPTEST_SEED={seed}");
        }
        println!(
            "{backend:?}: {} cases converged in {:.1} s (seed {seed})",
            cases(backend),
            started.elapsed().as_secs_f64()
        );
    }
}
