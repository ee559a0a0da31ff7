//! Crash test: the simulated PBX sends a sustained mix of signed call events while the
//! server is killed with SIGKILL at random moments and started again, cycle after cycle
//! (on PostgreSQL the server's database connections are also terminated under it, and it
//! must recover without a restart). Then every event the PBX never got a 200 for is
//! delivered again, as a PBX would, and the job queue is left to finish.
//!
//! What must hold, and is checked:
//! - every event the server answered 200 is in its inbox (0 acknowledged events lost);
//! - the CRM the crashed server ends with (calls, notes, tasks, contacts, activity,
//!   recordings) equals, row for row, the CRM of a fresh server that got the same events
//!   once each, in order: no call twice, every follow-up done exactly once in effect;
//! - no job is left undone or dead-lettered.
//!
//! It prints cycles, events acknowledged, lost, duplicates and the time to be ready after
//! each restart. `SB_CRASH_CYCLES` sets the number of cycles per database
//! (default 4 here; `scripts/crash-test` runs 20). SQLite always; PostgreSQL too when
//! SWITCHBOARD_TEST_PG_URL is set. Bounded: every loop has a count and a deadline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rand::{Rng, SeedableRng};
use sb_pbxsim::{EventOrder, PbxSim, Scenario, ScenarioReport, ScenarioSpec, SimConfig};
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Known customers (contacts with a phone); the other callers are new numbers.
const CUSTOMERS: usize = 12;
/// Calls in flight at once.
const IN_FLIGHT: usize = 4;
/// Hard cap on calls per run, whatever the cycles.
const MAX_CALLS: u64 = 5_000;

fn cycles() -> usize {
    std::env::var("SB_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
        .clamp(1, 200)
}

fn seed() -> u64 {
    std::env::var("SB_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// One instance's files and database: the server runs there, again and again.
struct Instance {
    dir: PathBuf,
    db_url: String,
    port: u16,
    starts: usize,
}

/// A running `switchboard serve`; SIGKILLed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Instance {
    fn new(dir: PathBuf, db_url: String) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Instance {
            dir,
            db_url,
            port,
            starts: 0,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
        let mut c = support::command(&self.dir, &self.db_url);
        c.env("SWITCHBOARD_LOG_LEVEL", "warn");
        c
    }

    /// Starts the server and waits until `/ready` answers; returns the time that took.
    async fn start(&mut self) -> (Server, Duration) {
        self.starts += 1;
        let log =
            std::fs::File::create(self.dir.join(format!("server-{}.log", self.starts))).unwrap();
        let t0 = Instant::now();
        let child = self
            .command()
            .args(["--bind", &format!("127.0.0.1:{}", self.port), "serve"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start switchboard serve");
        let server = Server(child);
        let http = reqwest::Client::new();
        let deadline = t0 + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{}/ready", self.url())).send().await {
                if r.status().is_success() {
                    return (server, t0.elapsed());
                }
            }
            assert!(
                Instant::now() < deadline,
                "not ready in 60 s:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join(format!("server-{}.log", self.starts)))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn token(&self) -> String {
        support::token(&self.dir, &self.db_url)
    }
}

/// The account as both runs set it up: the PBX installed, two extensions for the admin,
/// the known customers. Returns the webhook URL.
async fn set_up(inst: &Instance, sim: &PbxSim) -> String {
    let token = inst.token();
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}{path}", inst.url());
    let users: Value = http
        .get(api("/api/v4/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = users["_embedded"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "admin@switchboard.local")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let cfg = sim.config();
    let r = http
        .post(api("/api/v4/telephony/integrations"))
        .bearer_auth(&token)
        .json(&json!({"key": cfg.key, "secret": cfg.secret, "base_url": sim.base_url(), "name": "Crash PBX"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    let id = v["id"].as_i64().unwrap();
    let r = http
        .post(api("/api/v4/users"))
        .bearer_auth(&token)
        .json(&json!([{"name": "Mia", "email": "mia@example.test", "password": "correct horse battery"}]))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let mia = r.json::<Value>().await.unwrap()["_embedded"]["users"][0]["id"]
        .as_i64()
        .unwrap();
    for (ext, user) in [("100", admin), ("101", mia)] {
        let r = http
            .put(api(&format!(
                "/api/v4/telephony/integrations/{id}/extensions/{ext}"
            )))
            .bearer_auth(&token)
            .json(&json!({"user_id": user}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let contacts: Vec<Value> = (0..CUSTOMERS)
        .map(|i| {
            json!({"name": format!("Customer {i:02}"), "responsible_user_id": if i % 2 == 0 { admin } else { mia },
                   "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": known_number(i)}]}]})
        })
        .collect();
    let r = http
        .post(api("/api/v4/contacts"))
        .bearer_auth(&token)
        .json(&contacts)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    v["webhook_url"].as_str().unwrap().to_string()
}

fn known_number(i: usize) -> String {
    format!("3460010{i:04}")
}

/// The `n`th call of the mix: scenario, caller, delivery quirks.
fn call_spec(n: u64, rng: &mut rand::rngs::StdRng) -> ScenarioSpec {
    const MIX: [(Scenario, u32); 5] = [
        (Scenario::IncomingAnswered, 4),
        (Scenario::IncomingMissed, 2),
        (Scenario::IncomingBusy, 1),
        (Scenario::InternalTransfer, 1),
        (Scenario::Outgoing, 2),
    ];
    let total: u32 = MIX.iter().map(|m| m.1).sum();
    let mut pick = rng.gen_range(0..total);
    let mut scenario = MIX[0].0;
    for (s, w) in MIX {
        if pick < w {
            scenario = s;
            break;
        }
        pick -= w;
    }
    let mut spec = ScenarioSpec::new(scenario);
    // Known customers call again and again; each new number calls once, so which call
    // creates its contact does not depend on timing.
    spec.caller = if rng.gen_bool(0.6) {
        known_number(rng.gen_range(0..CUSTOMERS))
    } else {
        format!("3470{n:07}")
    };
    spec.extensions = match scenario {
        Scenario::InternalTransfer => vec!["100".into(), "101".into()],
        Scenario::Outgoing => vec![if rng.gen_bool(0.5) { "100" } else { "101" }.into()],
        _ => Vec::new(),
    };
    spec.talk_seconds = rng.gen_range(3..300);
    spec.options.gap = Duration::from_millis(2);
    spec.options.duplicate = rng.gen_bool(0.15);
    spec.options.order = match rng.gen_range(0..10) {
        0 => EventOrder::Shuffle { seed: rng.gen() },
        1 => EventOrder::RecordBeforeEnd,
        2 => EventOrder::EndFirst,
        _ => EventOrder::Real,
    };
    spec
}

/// A delivered event, as the PBX sent it.
#[derive(Clone)]
struct Sent {
    event: String,
    call: String,
    fields: Vec<(String, String)>,
    body: String,
    signature: String,
}

impl Sent {
    fn key(&self) -> (String, String, BTreeSet<(String, String)>) {
        (
            self.event.clone(),
            self.call.clone(),
            self.fields.iter().cloned().collect(),
        )
    }
}

/// Every delivery of the run, in the order the calls ended, and the acknowledged ones.
#[derive(Default)]
struct Journal {
    /// Distinct events in the order first sent.
    events: Vec<Sent>,
    seen: HashMap<String, usize>,
    acked: BTreeSet<usize>,
    deliveries: u64,
}

impl Journal {
    fn add(&mut self, report: &ScenarioReport) {
        for w in &report.webhooks {
            self.deliveries += 1;
            let i = match self.seen.get(&w.body) {
                Some(&i) => i,
                None => {
                    let call = w
                        .field("pbx_call_id")
                        .unwrap_or(&report.pbx_call_id)
                        .to_string();
                    self.events.push(Sent {
                        event: w.event.clone(),
                        call,
                        fields: w.fields.clone(),
                        body: w.body.clone(),
                        signature: w.signature.clone(),
                    });
                    self.seen.insert(w.body.clone(), self.events.len() - 1);
                    self.events.len() - 1
                }
            };
            if w.status == Some(200) {
                self.acked.insert(i);
            }
        }
    }
}

/// Delivers one event again, as the PBX sent it; true on a 200.
async fn redeliver(http: &reqwest::Client, hook: &str, e: &Sent) -> bool {
    http.post(hook)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("Signature", &e.signature)
        .body(e.body.clone())
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

/// The simulated PBX's calls, IN_FLIGHT at a time, until `stop` (or MAX_CALLS).
fn start_load(
    sim: Arc<PbxSim>,
    journal: Arc<Mutex<Journal>>,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let next = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        for w in 0..IN_FLIGHT {
            let (sim, journal, stop, next) =
                (sim.clone(), journal.clone(), stop.clone(), next.clone());
            workers.push(tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed.wrapping_add(w as u64));
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= MAX_CALLS {
                        break;
                    }
                    let spec = call_spec(n, &mut rng);
                    match sim.run_scenario(spec).await {
                        Ok(report) => journal.lock().unwrap().add(&report),
                        Err(e) => panic!("the simulator failed: {e}"),
                    }
                    // A PBX's pace: a few calls per second per line, not a flood.
                    tokio::time::sleep(Duration::from_millis(rng.gen_range(5..40))).await;
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
        next.load(Ordering::Relaxed).min(MAX_CALLS)
    })
}

async fn pool(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .unwrap()
}

/// Waits until no job is pending; panics naming any dead-lettered one.
async fn jobs_finished(db: &sqlx::AnyPool, inst: &Instance) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let pending: i64 = sqlx::query("select count(*) from jobs where done_at is null")
            .fetch_one(db)
            .await
            .unwrap()
            .get(0);
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} jobs still pending after 180 s:\n{}",
            inst.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead: Vec<(String, Option<String>)> =
        sqlx::query("select kind, last_error from jobs where is_dead <> 0")
            .fetch_all(db)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    assert!(dead.is_empty(), "dead-lettered jobs: {dead:?}");
}

/// Acknowledged events missing from the inbox.
async fn lost_events(db: &sqlx::AnyPool, j: &Journal) -> Vec<String> {
    let rows =
        sqlx::query("select event, coalesce(provider_call_id, ''), payload from webhook_inbox")
            .fetch_all(db)
            .await
            .unwrap();
    let mut stored = BTreeSet::new();
    let mut stored_any_call = BTreeSet::new();
    for r in rows {
        let event: String = r.get(0);
        let call: String = r.get(1);
        let payload: String = r.get(2);
        let pairs: Vec<(String, String)> = serde_json::from_str(&payload).unwrap_or_default();
        let fields: BTreeSet<(String, String)> = pairs.into_iter().collect();
        stored_any_call.insert((event.clone(), fields.clone()));
        stored.insert((event, call, fields));
    }
    j.acked
        .iter()
        .map(|&i| &j.events[i])
        .filter(|e| {
            let k = e.key();
            !stored.contains(&k) && !stored_any_call.contains(&(k.0, k.2))
        })
        .map(|e| format!("{} {}", e.event, e.call))
        .collect()
}

/// What a user of the CRM sees, without the ids and times that differ between two
/// servers: every row a label, counted.
async fn crm_state(db: &sqlx::AnyPool, inst: &Instance) -> BTreeMap<String, usize> {
    let mut labels: HashMap<(String, i64), String> = HashMap::new();
    for (kind, table) in [
        ("contacts", "contacts"),
        ("companies", "companies"),
        ("leads", "leads"),
    ] {
        for r in sqlx::query(&format!("select id, name from {table}"))
            .fetch_all(db)
            .await
            .unwrap()
        {
            labels.insert(
                (kind.to_string(), r.get(0)),
                format!("{kind}:{}", r.get::<String, _>(1)),
            );
        }
    }
    let label = |kind: &str, id: Option<i64>| match id {
        None => "-".to_string(),
        Some(id) => labels
            .get(&(kind.to_string(), id))
            .cloned()
            .unwrap_or_else(|| format!("{kind}:?")),
    };
    let mut users: HashMap<i64, String> = HashMap::new();
    for r in sqlx::query("select id, email from users")
        .fetch_all(db)
        .await
        .unwrap()
    {
        users.insert(r.get(0), r.get(1));
    }
    let user = |id: Option<i64>| {
        id.and_then(|i| users.get(&i).cloned())
            .unwrap_or_else(|| "-".into())
    };
    let mut state = BTreeMap::new();
    let mut add = |s: String| *state.entry(s).or_insert(0) += 1;

    for r in sqlx::query("select name, responsible_user_id, is_deleted from contacts")
        .fetch_all(db)
        .await
        .unwrap()
    {
        add(format!(
            "contact {} owner={} deleted={}",
            r.get::<String, _>(0),
            user(r.get(1)),
            r.get::<i64, _>(2)
        ));
    }
    for r in sqlx::query("select name, responsible_user_id from leads")
        .fetch_all(db)
        .await
        .unwrap()
    {
        add(format!(
            "lead {} owner={}",
            r.get::<String, _>(0),
            user(r.get(1))
        ));
    }
    for r in sqlx::query("select entity_type, entity_id, raw from phones")
        .fetch_all(db)
        .await
        .unwrap()
    {
        let kind: String = r.get(0);
        add(format!(
            "phone {} {}",
            label(&kind, Some(r.get(1))),
            r.get::<String, _>(2)
        ));
    }
    let calls = sqlx::query(
        "select provider_call_id, direction, state, customer_phone, extension, user_id, disposition, duration_s, \
         recording_status, recording_path, contact_id, company_id, lead_id, note_id from call_sessions",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let recordings = inst.dir.join("data/recordings");
    for r in calls {
        let path: Option<String> = r.get(9);
        let audio = path.map(|p| {
            let bytes = std::fs::read(recordings.join(&p)).or_else(|_| std::fs::read(&p));
            match bytes {
                Ok(b) => format!(
                    "{} bytes, sum {}",
                    b.len(),
                    b.iter().map(|&x| u64::from(x)).sum::<u64>()
                ),
                Err(e) => format!("unreadable ({e})"),
            }
        });
        add(format!(
            "call {} {} {} customer={:?} ext={:?} user={} disposition={:?} duration={:?} recording={:?} audio={:?} contact={} company={} lead={} note={}",
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<String, _>(2),
            r.get::<Option<String>, _>(3),
            r.get::<Option<String>, _>(4),
            user(r.get(5)),
            r.get::<Option<String>, _>(6),
            r.get::<Option<i64>, _>(7),
            r.get::<Option<String>, _>(8),
            audio,
            label("contacts", r.get(10)),
            label("companies", r.get(11)),
            label("leads", r.get(12)),
            r.get::<Option<i64>, _>(13).is_some(),
        ));
    }
    for r in sqlx::query("select entity_type, entity_id, note_type, params from notes")
        .fetch_all(db)
        .await
        .unwrap()
    {
        let kind: String = r.get(0);
        let mut params: Value = serde_json::from_str(&r.get::<String, _>(3)).unwrap_or(Value::Null);
        if let Some(o) = params.as_object_mut() {
            for v in o.values_mut() {
                // Links name the server's own ids.
                if v.as_str()
                    .is_some_and(|s| s.starts_with('/') || s.starts_with("http"))
                {
                    *v = json!("<link>");
                }
                // So do user ids (the call's manager).
                if let Some(u) = v.as_i64().and_then(|id| users.get(&id)) {
                    *v = json!(u);
                }
            }
        }
        add(format!(
            "note on {} {} {}",
            label(&kind, Some(r.get(1))),
            r.get::<String, _>(2),
            params
        ));
    }
    for r in sqlx::query("select entity_type, entity_id, text, is_completed, responsible_user_id, phone_e164 from tasks")
        .fetch_all(db)
        .await
        .unwrap()
    {
        let kind: Option<String> = r.get(0);
        let entity = kind.map(|k| label(&k, r.get(1))).unwrap_or_else(|| "-".into());
        add(format!(
            "task on {entity} {:?} done={} for={} phone={:?}",
            r.get::<String, _>(2),
            r.get::<i64, _>(3),
            user(r.get(4)),
            r.get::<Option<String>, _>(5)
        ));
    }
    for r in sqlx::query("select type, entity_type, entity_id from events")
        .fetch_all(db)
        .await
        .unwrap()
    {
        let kind: String = r.get(1);
        add(format!(
            "event {} on {}",
            r.get::<String, _>(0),
            label(&kind, Some(r.get(2)))
        ));
    }
    state
}

/// Rows of `a` beyond `b`'s, and of `b` beyond `a`'s.
fn differences(
    a: &BTreeMap<String, usize>,
    b: &BTreeMap<String, usize>,
) -> (Vec<String>, Vec<String>) {
    let extra = |x: &BTreeMap<String, usize>, y: &BTreeMap<String, usize>| -> Vec<String> {
        x.iter()
            .filter_map(|(k, &n)| {
                let m = y.get(k).copied().unwrap_or(0);
                (n > m).then(|| format!("{}× {k}", n - m))
            })
            .collect()
    };
    (extra(a, b), extra(b, a))
}

#[derive(Default)]
struct Figures {
    ready: Vec<Duration>,
    terminated: u32,
    recovered: Vec<Duration>,
}

/// On PostgreSQL: terminates the server's connections, then waits until a call delivered
/// after that is acknowledged in full by the same process.
async fn terminate_backends(
    db: &sqlx::AnyPool,
    sim: &PbxSim,
    journal: &Mutex<Journal>,
    n: u64,
) -> Duration {
    sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
        .execute(db)
        .await
        .unwrap();
    let t0 = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(n);
    for _ in 0..200 {
        let mut spec = call_spec(MAX_CALLS + n * 1000 + rng.gen_range(0..1000), &mut rng);
        spec.options.order = EventOrder::Real;
        let report = sim.run_scenario(spec).await.unwrap();
        journal.lock().unwrap().add(&report);
        if report.webhooks.iter().all(|w| w.status == Some(200)) {
            return t0.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not recover from the terminated connections in 200 calls");
}

async fn crash_run(backend: &str, make_db: impl AsyncFn(&str) -> String) {
    let cycles = cycles();
    let seed = seed();
    println!("crash test on {backend}: {cycles} cycles, seed {seed} (SB_CRASH_SEED={seed} replays the choices)");
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sim = Arc::new(
        PbxSim::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap(),
    );

    // The crashed instance.
    let dir = tempfile::tempdir().unwrap();
    let mut inst = Instance::new(dir.path().to_path_buf(), make_db("crash").await);
    let (server, _) = inst.start().await;
    let hook = set_up(&inst, &sim).await;
    sim.set_webhook_url(Some(hook.clone()));
    let db = pool(&inst.db_url).await;
    let journal = Arc::new(Mutex::new(Journal::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let load = start_load(sim.clone(), journal.clone(), stop.clone(), seed);
    let mut figures = Figures::default();
    let mut server = Some(server);
    let run_deadline = Instant::now() + Duration::from_secs(60 + 20 * cycles as u64);
    for c in 0..cycles {
        if server.is_none() {
            let (s, ready) = inst.start().await;
            figures.ready.push(ready);
            server = Some(s);
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1200))).await;
        if backend == "PostgreSQL" && c % 2 == 0 {
            figures.terminated += 1;
            figures
                .recovered
                .push(terminate_backends(&db, &sim, &journal, c as u64).await);
            tokio::time::sleep(Duration::from_millis(rng.gen_range(50..400))).await;
        }
        // SIGKILL: no shutdown hook runs.
        drop(server.take());
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
        assert!(
            Instant::now() < run_deadline,
            "the crash cycles ran past their deadline"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let calls = load.await.unwrap();
    println!("  {cycles} cycles done at {:?}", started.elapsed());

    // The last start: every event never acknowledged is delivered again, in order.
    let (server, ready) = inst.start().await;
    figures.ready.push(ready);
    let http = reqwest::Client::new();
    let unacked: Vec<(usize, Sent)> = {
        let j = journal.lock().unwrap();
        (0..j.events.len())
            .filter(|i| !j.acked.contains(i))
            .map(|i| (i, j.events[i].clone()))
            .collect()
    };
    let redelivered = unacked.len();
    for (i, e) in unacked {
        let mut ok = false;
        for _ in 0..50 {
            if redeliver(&http, &hook, &e).await {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            ok,
            "{} of {} refused again and again:\n{}",
            e.event,
            e.call,
            inst.log_tail()
        );
        journal.lock().unwrap().acked.insert(i);
    }
    println!(
        "  redelivered {redelivered} events at {:?}",
        started.elapsed()
    );
    jobs_finished(&db, &inst).await;
    println!("  jobs finished at {:?}", started.elapsed());
    // The load has stopped: the journal is complete.
    let j = std::mem::take(&mut *journal.lock().unwrap());
    let lost = lost_events(&db, &j).await;
    let crashed = crm_state(&db, &inst).await;
    drop(server);

    // The reference: a fresh server, the same events once each, in order.
    let ref_dir = tempfile::tempdir().unwrap();
    let mut fresh = Instance::new(ref_dir.path().to_path_buf(), make_db("fresh").await);
    let (ref_server, _) = fresh.start().await;
    let ref_hook = set_up(&fresh, &sim).await;
    for e in &j.events {
        assert!(
            redeliver(&http, &ref_hook, e).await,
            "the fresh server refused {} of {}:\n{}",
            e.event,
            e.call,
            fresh.log_tail()
        );
    }
    println!(
        "  the fresh server got every event once at {:?}",
        started.elapsed()
    );
    let ref_db = pool(&fresh.db_url).await;
    jobs_finished(&ref_db, &fresh).await;
    let reference = crm_state(&ref_db, &fresh).await;
    drop(ref_server);

    let (extra, missing) = differences(&crashed, &reference);
    let mut ready = figures.ready.clone();
    ready.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let report = format!(
        "crash test on {backend}: {cycles} cycles (SIGKILL), {calls} calls, {} deliveries, {} distinct events, \
         acknowledged {} before the last start and {redelivered} delivered again after it; lost {} (must be 0), \
         duplicates {} (must be 0), missing follow-ups {} (must be 0); ready after restart p50 {:.0} ms, max {:.0} ms; \
         {} rows of CRM state compared with a fresh server's{}",
        j.deliveries,
        j.events.len(),
        j.events.len() - redelivered,
        lost.len(),
        extra.len(),
        missing.len(),
        ms(ready[ready.len() / 2]),
        ms(*ready.last().unwrap()),
        reference.values().sum::<usize>(),
        if figures.terminated > 0 {
            format!(
                "; connections terminated {} times, recovered without a restart each time (max {:.0} ms)",
                figures.terminated,
                figures.recovered.iter().map(|d| ms(*d)).fold(0.0, f64::max)
            )
        } else {
            String::new()
        }
    );
    println!("{report}");
    assert!(lost.is_empty(), "acknowledged events lost: {lost:?}");
    assert!(
        extra.is_empty() && missing.is_empty(),
        "the crashed server's CRM differs from a fresh server's\nonly after the crashes:\n{}\nonly on the fresh server:\n{}",
        extra.join("\n"),
        missing.join("\n")
    );
    assert!(
        j.events.len() > 10 * cycles,
        "too little load to prove anything: {} events",
        j.events.len()
    );
    sim.set_webhook_url(None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_loses_no_acknowledged_event_across_sigkills() {
    let holder = Arc::new(Mutex::new(Vec::<tempfile::TempDir>::new()));
    crash_run("SQLite", async |name: &str| {
        let d = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            d.path().join(format!("{name}.db")).display()
        );
        holder.lock().unwrap().push(d);
        url
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_loses_no_acknowledged_event_across_sigkills_and_dropped_connections() {
    if support::pg_admin_url().is_none() {
        return;
    }
    crash_run("PostgreSQL", async |name: &str| {
        support::pg_database(&format!("crash_{name}"))
            .await
            .unwrap()
    })
    .await;
}
