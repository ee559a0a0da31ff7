//! `switchboard bench webhooks`: signed NOTIFY_START + NOTIFY_END over loopback HTTP
//! against the real app on a fresh database with N contacts; reports the NOTIFY_START
//! round trip (the caller waits on it) and the sustained rate of durably committed
//! events, then the same load against a bare axum endpoint that does nothing, and the
//! ratios; and how far the call follow-ups (note, task, auto-created card), run by the
//! job workers as in the server, fall behind: their lag at the steady rate and how fast
//! the backlog left by the flat-out phase drains. Bounded in count and time. The load
//! comes from a thread and runtime of its own (see `generate`), as from a PBX outside
//! the server's process.

use super::stats::Latency;
use super::target::BenchDb;
use crate::config::Config;
use sb_domain::entities::{Account, Card, CardKind};
use sb_domain::{AccountId, Phone, UserId};
use sb_store::cards::{self, CardPhone, CardWrite};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "0123456789abcdefABCD";
const KEY: &str = "a1b2c3d4e5f6a7b8c9d0";

pub async fn run(
    config: &Config,
    contacts: u64,
    calls: u64,
    concurrency: usize,
    max_seconds: u64,
    rate: Option<f64>,
) -> anyhow::Result<()> {
    let contacts = contacts.clamp(1, 10_000_000);
    let calls = calls.clamp(1, 1_000_000);
    let concurrency = concurrency.clamp(1, 256);
    let target = BenchDb::open(config).await?;
    println!("database: {:?} at {}", target.backend, target.location);
    let tmp = std::env::temp_dir().join(format!("sbbench_rec_{}", std::process::id()));
    let (app, admin) = super::target::fresh_app(&target, config, &tmp).await?;
    seed(&target.db, &admin.account, admin.user.id, contacts).await?;
    // Statistics as a running server has them: PostgreSQL's autovacuum analyses after a
    // bulk load (without statistics it may plan the caller-ID lookup as a scan). Nothing
    // runs ANALYZE on a SQLite database, so neither does the benchmark: with its STAT4
    // samples SQLite re-plans the caller-ID lookup for every new number (its range bounds
    // are binds), which cost a fifth of the throughput here.
    if target.backend == sb_store::Backend::Postgres {
        target.db.analyze().await?;
    }

    // The simulator answers the install's balance check; the load is sent by this bench.
    let sim = sb_pbxsim::PbxSim::start(sb_pbxsim::SimConfig::default(), "127.0.0.1:0".parse()?)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = sb_service::telephony::Settings {
        key: KEY.into(),
        secret: SECRET.into(),
        base_url: sim.base_url(),
        ..Default::default()
    };
    let view = sb_service::telephony::install(&app.state.ctx, &admin, "zadarma", "bench", settings)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    sb_service::telephony::bind_extension(
        &app.state.ctx,
        &admin,
        view.integration.id,
        "101",
        Some(admin.user.id),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hook = format!("{}{}", app.url(), view.webhook_path);
    // The job workers, as the server runs them: they finalize the calls (note, task,
    // auto-created card) while the webhooks come in.
    let ctx = app.state.ctx.clone();
    let job_workers = config
        .job_workers
        .unwrap_or_else(|| sb_service::jobs::default_workers(target.backend));
    let (jobs_stop, jobs_stop_rx) = tokio::sync::watch::channel(false);
    let workers = sb_service::jobs::spawn_workers(&ctx, job_workers, &jobs_stop_rx);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));

    let max = Duration::from_secs(max_seconds);
    println!("\nSwitchboard webhook endpoint, flat out: {calls} calls (NOTIFY_START + NOTIFY_END each), {concurrency} in flight");
    let flat = Load::Flat { concurrency };
    let crm = generate(&hook, contacts, calls, flat, max).await?;
    crm.print();
    let drained = drain_backlog(&ctx, max).await?;
    drained.print(job_workers);
    // The latency a PBX sees under a steady load the server can carry: by default half
    // the rate it just sustained (flat out, every request also waits behind the others
    // in flight: with 32 in flight at 10,000 events/s that alone is ~3 ms).
    let rate = match rate {
        Some(r) => r.clamp(1.0, 100_000.0),
        None => (crm.events_per_s / 2.0 / 2.0).max(1.0),
    };
    println!("\nSwitchboard webhook endpoint, steady load: {rate:.0} calls/s ({:.0} events/s) started on schedule", rate * 2.0);
    let steady = Load::Steady { first: calls, rate };
    let steady_from = wall_ms();
    let crm_paced = generate(&hook, contacts, calls, steady, max).await?;
    crm_paced.print();
    let lag = follow_up_lag(&ctx, steady_from, max).await?;
    println!(
        "  follow-up lag (call ended to its note written): {}",
        lag.line_ms()
    );

    let bare = bare_endpoint().await?;
    println!("\nBare axum endpoint that does nothing, flat out, same load:");
    let base = generate(&bare, contacts, calls, flat, max).await?;
    base.print();
    println!("\nBare axum endpoint, steady load, same rate:");
    let base_paced = generate(&bare, contacts, calls, steady, max).await?;
    base_paced.print();

    println!(
        "\nSummary ({} cores, {:?}, {} contacts):",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        target.backend,
        contacts
    );
    let ratio = |a: f64, b: f64| a / b.max(1.0);
    println!(
        "  NOTIFY_START at {rate:.0} calls/s: p50 {:.0} µs, p99 {:.0} µs (bare endpoint p50 {:.0} µs, p99 {:.0} µs; ratio p99 {:.1}x)",
        crm_paced.start.p50_us,
        crm_paced.start.p99_us,
        base_paced.start.p50_us,
        base_paced.start.p99_us,
        ratio(crm_paced.start.p99_us, base_paced.start.p99_us)
    );
    println!(
        "  NOTIFY_START flat out, {concurrency} in flight: p50 {:.0} µs, p99 {:.0} µs (bare endpoint p50 {:.0} µs, p99 {:.0} µs; ratio p99 {:.1}x)",
        crm.start.p50_us,
        crm.start.p99_us,
        base.start.p50_us,
        base.start.p99_us,
        ratio(crm.start.p99_us, base.start.p99_us)
    );
    println!(
        "  durably committed events/s {:.0} (bare endpoint requests/s {:.0}; ratio {:.2})",
        crm.events_per_s,
        base.events_per_s,
        ratio(crm.events_per_s, base.events_per_s)
    );
    println!(
        "  follow-up lag at {rate:.0} calls/s: p50 {:.0} ms, p99 {:.0} ms ({} calls); after flat out: backlog {} calls, drained at {:.0} calls/s ({job_workers} job workers)",
        lag.p50_ms, lag.p99_ms, lag.count, drained.backlog, drained.per_s
    );
    println!(
        "  errors: {} (non-200 answers)",
        crm.errors + crm_paced.errors
    );
    let _ = jobs_stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    let _ = stop_tx.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&tmp);
    target.finish().await;
    Ok(())
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The call follow-ups left when a phase of load ends, and how fast the workers then
/// cleared them.
struct Drained {
    backlog: i64,
    left: i64,
    elapsed: Duration,
    per_s: f64,
}

impl Drained {
    fn print(&self, workers: usize) {
        println!(
            "  follow-up backlog when the load stopped: {} calls; {} finalized in {:.2} s by {workers} job workers: {:.0} calls/s{}",
            self.backlog,
            self.backlog - self.left,
            self.elapsed.as_secs_f64(),
            self.per_s,
            if self.left > 0 {
                format!(" ({} left at the time limit)", self.left)
            } else {
                String::new()
            }
        );
    }
}

async fn pending_finalize(ctx: &sb_service::Ctx) -> anyhow::Result<i64> {
    let mut c = ctx.db.conn().await?;
    Ok(sb_store::jobs::pending(&mut c, Some(sb_service::telephony::work::FINALIZE)).await?)
}

/// Waits (at most `max`) for the workers to finalize every ended call; the drain rate
/// is the backlog found at the start over the time it took.
async fn drain_backlog(ctx: &sb_service::Ctx, max: Duration) -> anyhow::Result<Drained> {
    let began = Instant::now();
    let backlog = pending_finalize(ctx).await?;
    let mut left = backlog;
    while left > 0 && began.elapsed() < max {
        tokio::time::sleep(Duration::from_millis(10)).await;
        left = pending_finalize(ctx).await?;
    }
    let elapsed = began.elapsed();
    Ok(Drained {
        backlog,
        left,
        elapsed,
        per_s: (backlog - left) as f64 / elapsed.as_secs_f64().max(1e-3),
    })
}

/// Follow-up lag in milliseconds (the job times are whole milliseconds).
struct Lag {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Lag {
    fn line_ms(&self) -> String {
        format!(
            "p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} calls)",
            self.p50_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

/// For every call that ended since `since`, once all are finalized (waiting at most
/// `max`): the time from its finalize job's creation, in the commit NOTIFY_END's 200
/// waits for, to that job's completion, in the commit that wrote the call's note.
async fn follow_up_lag(ctx: &sb_service::Ctx, since: i64, max: Duration) -> anyhow::Result<Lag> {
    drain_backlog(ctx, max).await?;
    let mut c = ctx.db.conn().await?;
    let done =
        sb_store::jobs::completed_since(&mut c, sb_service::telephony::work::FINALIZE, since)
            .await?;
    let mut lags: Vec<Duration> = done
        .iter()
        .map(|(created, done)| Duration::from_millis(done.saturating_sub(*created).max(0) as u64))
        .collect();
    let l = Latency::of(&mut lags);
    Ok(Lag {
        count: l.count,
        p50_ms: l.p50_us / 1000.0,
        p99_ms: l.p99_us / 1000.0,
        max_ms: l.max_us / 1000.0,
    })
}

pub(super) async fn seed(
    db: &sb_store::Db,
    account: &Account,
    owner: UserId,
    n: u64,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut done = 0u64;
    while done < n {
        let end = (done + 5000).min(n);
        let batch: Vec<CardWrite> = (done..end)
            .map(|i| {
                let phone = Phone::parse(&number(i), &account.country);
                CardWrite {
                    card: Card {
                        id: sb_domain::next_id(1_800_000_000_000),
                        kind: CardKind::Contact,
                        account_id: AccountId(account.id.0),
                        name: format!("Contact {i}"),
                        first_name: String::new(),
                        last_name: String::new(),
                        responsible_user_id: Some(owner),
                        company_id: None,
                        created_by: owner,
                        updated_by: owner,
                        created_at: 0,
                        updated_at: 0,
                        is_deleted: false,
                        custom_fields: vec![],
                    },
                    phones: vec![CardPhone {
                        phone,
                        enum_code: Some("WORK".into()),
                    }],
                }
            })
            .collect();
        let mut tx = db.begin().await?;
        cards::insert_many(&mut tx, CardKind::Contact, &batch).await?;
        tx.commit().await?;
        done = end;
    }
    println!(
        "seeded {n} contacts in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn number(i: u64) -> String {
    format!("+34 6{:08}", i % 100_000_000)
}

struct Run {
    start: Latency,
    events_per_s: f64,
    errors: u64,
    events: u64,
    elapsed: Duration,
}

impl Run {
    fn print(&self) {
        println!("  NOTIFY_START round trip: {}", self.start.line());
        println!(
            "  {} events in {:.2} s: {:.0} events/s answered 200 (committed before the answer)",
            self.events,
            self.elapsed.as_secs_f64(),
            self.events_per_s
        );
    }
}

fn form(fields: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// One call: NOTIFY_START, then NOTIFY_END once START is answered. Returns when START was
/// answered (if it was) and how many of the two events got a 200. Even calls come from
/// known numbers, odd ones from unknown numbers.
async fn one_call(
    client: &reqwest::Client,
    url: &str,
    i: u64,
    contacts: u64,
) -> (Option<Instant>, u64) {
    let caller = if i.is_multiple_of(2) {
        number(i.wrapping_mul(2_654_435_761) % contacts).replace([' ', '+'], "")
    } else {
        format!("3493{:07}", i % 10_000_000)
    };
    let call_id = format!("in_{:040x}", (i as u128) << 64 | 0xbe11);
    let start = "2026-11-25 10:00:00".to_string();
    let f_start = vec![
        ("event", "NOTIFY_START".to_string()),
        ("call_start", start.clone()),
        ("pbx_call_id", call_id.clone()),
        ("caller_id", caller.clone()),
        ("called_did", "34911234567".to_string()),
    ];
    let f_end = vec![
        ("event", "NOTIFY_END".to_string()),
        ("call_start", start),
        ("pbx_call_id", call_id),
        ("caller_id", caller),
        ("called_did", "34911234567".to_string()),
        ("internal", "101".to_string()),
        ("duration", "42".to_string()),
        ("disposition", "answered".to_string()),
        ("status_code", "16".to_string()),
        ("is_recorded", "0".to_string()),
        ("call_id_with_rec", String::new()),
    ];
    let (mut answered, mut ok) = (None, 0);
    for (n, fields) in [f_start, f_end].into_iter().enumerate() {
        let sig = sb_pbxsim::sign::webhook_signature(SECRET, &fields);
        let r = client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("Signature", sig)
            .body(form(&fields))
            .send()
            .await;
        let good = match r {
            Ok(r) => {
                let st = r.status();
                let _ = r.bytes().await;
                st.is_success()
            }
            Err(_) => false,
        };
        if n == 0 && good {
            answered = Some(Instant::now());
        }
        ok += u64::from(good);
    }
    (answered, ok)
}

/// A phase of load.
#[derive(Clone, Copy)]
enum Load {
    /// `concurrency` senders, each sending its next call when the last is answered.
    Flat { concurrency: usize },
    /// Calls numbered from `first`, started `rate` per second.
    Steady { first: u64, rate: f64 },
}

/// Runs a phase of load from a thread and runtime of its own, as a PBX would send it
/// from outside the server's process: the load generator's tasks never queue behind
/// the server's on the same runtime (nor the server's behind them), so the figures are
/// the server's. It still shares the machine's cores.
async fn generate(
    url: &str,
    contacts: u64,
    calls: u64,
    load: Load,
    max: Duration,
) -> anyhow::Result<Run> {
    let url = url.to_string();
    let thread = std::thread::Builder::new()
        .name("bench-load".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                match load {
                    Load::Flat { concurrency } => {
                        drive(&url, contacts, calls, concurrency, max).await
                    }
                    Load::Steady { first, rate } => {
                        paced(&url, contacts, first, calls, rate, max).await
                    }
                }
            })
        })?;
    tokio::task::spawn_blocking(move || thread.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the load generator panicked"))?
}

/// Sends `calls` START+END pairs with `concurrency` workers, each sending its next call
/// as soon as the last one is answered: the most the endpoint sustains.
async fn drive(
    url: &str,
    contacts: u64,
    calls: u64,
    concurrency: usize,
    max: Duration,
) -> anyhow::Result<Run> {
    let client = client(concurrency)?;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let deadline = Instant::now() + max;
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, url) = (client.clone(), next.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut sent) = (0u64, 0u64);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= calls || Instant::now() > deadline {
                    break;
                }
                let t = Instant::now();
                let (answered, good) = one_call(&client, &url, i, contacts).await;
                if let Some(a) = answered {
                    lat.push(a - t);
                }
                ok += good;
                sent += 2;
            }
            (lat, ok, sent - ok)
        }));
    }
    collect(tasks, began).await
}

/// Starts calls at a steady `rate` per second (open loop: a slow answer does not delay
/// the next call), `calls` in all, so time spent queued behind a slow answer shows in
/// START's latency instead of slowing the load down.
async fn paced(
    url: &str,
    contacts: u64,
    first: u64,
    calls: u64,
    rate: f64,
    max: Duration,
) -> anyhow::Result<Run> {
    let client = client(256)?;
    let began = Instant::now();
    let deadline = began + max;
    let mut tasks = Vec::new();
    for k in 0..calls {
        let due = began + Duration::from_secs_f64(k as f64 / rate);
        if due > deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        // Counted from now rather than from `due`: the timer wakes this loop up to a
        // millisecond late, which is the load generator's delay, not the server's.
        let sent = Instant::now();
        let (client, url) = (client.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let (answered, ok) = one_call(&client, &url, first + k, contacts).await;
            (
                answered.map(|a| vec![a - sent]).unwrap_or_default(),
                ok,
                2 - ok,
            )
        }));
    }
    collect(tasks, began).await
}

type Outcome = (Vec<Duration>, u64, u64);

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<Outcome>>,
    began: Instant,
) -> anyhow::Result<Run> {
    let mut lat = Vec::new();
    let (mut ok, mut err) = (0, 0);
    for t in tasks {
        let (l, o, e) = t.await?;
        lat.extend(l);
        ok += o;
        err += e;
    }
    let elapsed = began.elapsed();
    Ok(Run {
        start: Latency::of(&mut lat),
        events_per_s: ok as f64 / elapsed.as_secs_f64(),
        errors: err,
        events: ok,
        elapsed,
    })
}

/// An axum endpoint that reads the body and answers 200 with nothing: the floor.
async fn bare_endpoint() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(|_body: axum::body::Bytes| async { "" }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}/hook"))
}
