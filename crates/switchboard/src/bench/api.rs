//! `switchboard bench api`: the real app on a fresh database, driven over loopback HTTP
//! through API v4 as a Kommo client would. Creates N leads in 250-lead batches
//! (`POST /api/v4/leads`, a few clients at once) with mixed stage, responsible user and
//! a numeric custom field, then times filtered lists (`GET /api/v4/leads?filter...`:
//! stage + responsible + custom-field range, `limit=50`). Bounded in count and time.

use super::stats::Latency;
use super::target::BenchDb;
use crate::config::Config;
use sb_domain::entities::Role;
use sb_domain::pipelines::StatusType;
use sb_domain::EntityKind;
use sb_service::custom_fields::FieldInput;
use sb_service::users::NewUser;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAX_LEADS: u64 = 1_000_000;
const MAX_LISTS: u64 = 100_000;
/// Leads per POST (the API's batch limit).
const BATCH: u64 = 250;
/// Values of the numeric field are spread over 0..FIELD_SPAN.
const FIELD_SPAN: u64 = 1_000;
/// Width of the custom-field range asked for in each list.
const RANGE_WIDTH: u64 = 100;
/// Creation stops early (and says so) past this.
const CREATE_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);
/// The list pass stops early (and says so) past this.
const LIST_TIME_LIMIT: Duration = Duration::from_secs(5 * 60);
/// Untimed lists first, so statement preparation and cold pages are not counted.
const WARMUP: u64 = 50;

pub async fn run(config: &Config, leads: u64, lists: u64, clients: usize) -> anyhow::Result<()> {
    if !(1..=MAX_LEADS).contains(&leads) {
        anyhow::bail!("--leads must be between 1 and {MAX_LEADS}");
    }
    if !(1..=MAX_LISTS).contains(&lists) {
        anyhow::bail!("--lists must be between 1 and {MAX_LISTS}");
    }
    let clients = clients.clamp(1, 64);
    let target = BenchDb::open(config).await?;
    println!("bench api: {leads} leads, {lists} filtered lists, {clients} clients");
    println!("database: {:?} at {}", target.backend, target.location);
    let tmp = std::env::temp_dir().join(format!("sbbench_api_rec_{}", std::process::id()));
    let outcome = bench(&target, config, &tmp, leads, lists, clients).await;
    let _ = std::fs::remove_dir_all(&tmp);
    let size = target.size_bytes();
    let backend = target.backend;
    target.finish().await;
    let s = outcome?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!();
    println!("==================== bench api: summary ====================");
    println!("cores          {cores} (shared: other builds/CI may run on the same cores)");
    println!("backend        {backend:?}");
    if let Some(b) = size {
        println!("database size  {:.0} MiB", b as f64 / 1_048_576.0);
    }
    println!(
        "leads          {} created of {} asked ({} failed batches), {} clients x {BATCH} per POST",
        s.created, leads, s.create_errors, clients
    );
    println!(
        "create         {:.0} leads/s ({:.1} s); POST p50 {:.1} ms, p99 {:.1} ms",
        s.leads_per_s,
        s.create_secs,
        s.post.p50_us / 1e3,
        s.post.p99_us / 1e3
    );
    println!(
        "list           {} GET (stage + responsible + field range, limit=50), {} clients",
        s.list.count, clients
    );
    println!(
        "  latency      p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        s.list.p50_us / 1e3,
        s.list.p99_us / 1e3,
        s.list.max_us / 1e3
    );
    println!("  throughput   {:.0} requests/s", s.lists_per_s);
    println!(
        "  answers      {} x 200, {} x 204, {} non-2xx/failed; {} leads returned in all",
        s.ok200, s.ok204, s.list_errors, s.returned
    );
    Ok(())
}

struct Summary {
    created: u64,
    create_errors: u64,
    create_secs: f64,
    leads_per_s: f64,
    post: Latency,
    list: Latency,
    lists_per_s: f64,
    ok200: u64,
    ok204: u64,
    list_errors: u64,
    returned: u64,
}

/// What the clients need to build requests.
struct Shape {
    base: String,
    token: String,
    pipeline: i64,
    statuses: Vec<i64>,
    users: Vec<i64>,
    field: i64,
}

async fn bench(
    target: &BenchDb,
    config: &Config,
    tmp: &std::path::Path,
    leads: u64,
    lists: u64,
    clients: usize,
) -> anyhow::Result<Summary> {
    let (app, admin) = super::target::fresh_app(target, config, tmp).await?;
    let ctx = &app.state.ctx;
    let svc = |e: sb_service::ServiceError| anyhow::anyhow!("{e}");
    let field = sb_service::custom_fields::create(
        ctx,
        &admin,
        EntityKind::Leads,
        vec![FieldInput {
            name: Some("Bench amount".into()),
            field_type: Some("numeric".into()),
            ..Default::default()
        }],
    )
    .await
    .map_err(svc)?
    .into_iter()
    .next()
    .map(|(_, d)| d.id.0)
    .ok_or_else(|| anyhow::anyhow!("the custom field was not created"))?;
    let mut users = vec![admin.user.id.0];
    for i in 1..=2 {
        let u = sb_service::users::create_user(
            ctx,
            &admin,
            NewUser {
                name: format!("Bench manager {i}"),
                email: format!("bench.manager{i}@switchboard.local"),
                password: None,
                role: Role::Manager,
                group_id: None,
                rights: None,
                lang: None,
            },
        )
        .await
        .map_err(svc)?;
        users.push(u.id.0);
    }
    let main = sb_service::pipelines::ensure_main(ctx, admin.account.id)
        .await
        .map_err(svc)?;
    let statuses: Vec<i64> = main
        .statuses
        .iter()
        .filter(|s| s.status_type != StatusType::Incoming)
        .map(|s| s.id.0)
        .collect();
    if statuses.is_empty() {
        anyhow::bail!("the main pipeline has no stage a lead can be created in");
    }
    let (token, _) =
        sb_service::auth::create_api_token(ctx, &admin, admin.user.id, "bench api", None)
            .await
            .map_err(svc)?;
    println!(
        "main pipeline {} with {} stages used, {} responsible users, numeric field {field}",
        main.id.0,
        statuses.len(),
        users.len()
    );
    let shape = Arc::new(Shape {
        base: app.url(),
        token,
        pipeline: main.id.0,
        statuses,
        users,
        field,
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(120))
        .build()?;
    let result = async {
        let c = create(&client, &shape, leads, clients).await?;
        // Table statistics as a running server has them: PostgreSQL's autovacuum analyses
        // a table soon after a bulk load, but not within this run; without statistics
        // its planner picked a nested loop over field_values (>120 s for one list).
        let t = Instant::now();
        target.db.analyze().await?;
        println!("analyzed the tables in {:.1} s", t.elapsed().as_secs_f64());
        let l = list(&client, &shape, lists, clients).await?;
        anyhow::Ok((c, l))
    }
    .await;
    let _ = stop_tx.send(());
    let _ = server.await;
    let (c, l) = result?;
    Ok(Summary {
        created: c.created,
        create_errors: c.errors,
        create_secs: c.elapsed.as_secs_f64(),
        leads_per_s: c.created as f64 / c.elapsed.as_secs_f64().max(1e-9),
        post: c.post,
        list: l.latency,
        lists_per_s: l.latency.count as f64 / l.elapsed.as_secs_f64().max(1e-9),
        ok200: l.ok200,
        ok204: l.ok204,
        list_errors: l.errors,
        returned: l.returned,
    })
}

/// A cheap deterministic spread of `i` (so stage, owner and value are not correlated).
fn mix(i: u64, salt: u64) -> u64 {
    let mut x = i
        .wrapping_add(salt.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 29)
}

fn pick(v: &[i64], i: u64, salt: u64) -> i64 {
    v[(mix(i, salt) % v.len() as u64) as usize]
}

fn lead_body(shape: &Shape, from: u64, to: u64) -> Vec<u8> {
    let items: Vec<serde_json::Value> = (from..to)
        .map(|i| {
            json!({
                "name": format!("Bench lead {i}"),
                "price": (mix(i, 4) % 10_000) as i64,
                "pipeline_id": shape.pipeline,
                "status_id": pick(&shape.statuses, i, 1),
                "responsible_user_id": pick(&shape.users, i, 2),
                "custom_fields_values": [
                    {"field_id": shape.field, "values": [{"value": (mix(i, 3) % FIELD_SPAN) as i64}]}
                ],
            })
        })
        .collect();
    serde_json::to_vec(&items).unwrap_or_default()
}

struct Created {
    created: u64,
    errors: u64,
    elapsed: Duration,
    post: Latency,
}

async fn create(
    client: &reqwest::Client,
    shape: &Arc<Shape>,
    leads: u64,
    clients: usize,
) -> anyhow::Result<Created> {
    println!(
        "\ncreating {leads} leads: POST /api/v4/leads, {BATCH} per request, {clients} clients"
    );
    let batches = leads.div_ceil(BATCH);
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let deadline = began + CREATE_TIME_LIMIT;
    let url = format!("{}/api/v4/leads", shape.base);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, shape, next, done, url) = (
            client.clone(),
            shape.clone(),
            next.clone(),
            done.clone(),
            url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut created, mut errors) = (0u64, 0u64);
            let mut first_error: Option<String> = None;
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches || Instant::now() > deadline {
                    break;
                }
                let from = b * BATCH;
                let to = (from + BATCH).min(leads);
                let body = lead_body(&shape, from, to);
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&shape.token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let outcome = match r {
                    Ok(r) => {
                        let st = r.status();
                        let text = r.text().await.unwrap_or_default();
                        if st.is_success() {
                            Ok(())
                        } else {
                            Err(format!(
                                "{st}: {}",
                                text.chars().take(300).collect::<String>()
                            ))
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                lat.push(t.elapsed());
                match outcome {
                    Ok(()) => created += to - from,
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d * 10 / batches != (d - 1) * 10 / batches {
                    let secs = began.elapsed().as_secs_f64();
                    let n = (d * BATCH).min(leads);
                    println!(
                        "  {:>3}%  {n} leads  {:.1} s  {:.0} leads/s",
                        d * 100 / batches,
                        secs,
                        n as f64 / secs.max(1e-9)
                    );
                }
            }
            (lat, created, errors, first_error)
        }));
    }
    let mut lat = Vec::new();
    let (mut created, mut errors) = (0, 0);
    for t in tasks {
        let (l, c, e, fe) = t.await?;
        lat.extend(l);
        created += c;
        errors += e;
        if let Some(fe) = fe {
            println!("  a batch failed: {fe}");
        }
    }
    let elapsed = began.elapsed();
    if created + errors * BATCH < leads {
        println!("  stopped at the time limit ({CREATE_TIME_LIMIT:?})");
    }
    println!(
        "created {created} leads in {:.1} s: {:.0} leads/s ({errors} failed batches)",
        elapsed.as_secs_f64(),
        created as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    let post = Latency::of(&mut lat);
    println!("  POST round trip: {}", post.line());
    Ok(Created {
        created,
        errors,
        elapsed,
        post,
    })
}

fn list_url(shape: &Shape, i: u64) -> String {
    let a = mix(i, 11) % (FIELD_SPAN - RANGE_WIDTH);
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair(
        "filter[statuses][0][pipeline_id]",
        &shape.pipeline.to_string(),
    );
    s.append_pair(
        "filter[statuses][0][status_id]",
        &pick(&shape.statuses, i, 12).to_string(),
    );
    s.append_pair(
        "filter[responsible_user_id][]",
        &pick(&shape.users, i, 13).to_string(),
    );
    s.append_pair(
        &format!("filter[custom_fields_values][{}][from]", shape.field),
        &a.to_string(),
    );
    s.append_pair(
        &format!("filter[custom_fields_values][{}][to]", shape.field),
        &(a + RANGE_WIDTH).to_string(),
    );
    s.append_pair("limit", "50");
    format!("{}/api/v4/leads?{}", shape.base, s.finish())
}

struct Listed {
    latency: Latency,
    elapsed: Duration,
    ok200: u64,
    ok204: u64,
    errors: u64,
    returned: u64,
}

async fn list(
    client: &reqwest::Client,
    shape: &Arc<Shape>,
    lists: u64,
    clients: usize,
) -> anyhow::Result<Listed> {
    println!("\ntiming {lists} filtered lists (after {WARMUP} untimed), {clients} clients");
    for i in 0..WARMUP {
        let r = client
            .get(list_url(shape, u64::MAX - i))
            .bearer_auth(&shape.token)
            .send()
            .await?;
        let _ = r.bytes().await;
    }
    let next = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let deadline = began + LIST_TIME_LIMIT;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, shape, next) = (client.clone(), shape.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok200, mut ok204, mut errors, mut returned) = (0u64, 0u64, 0u64, 0u64);
            let mut first_error: Option<String> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= lists || Instant::now() > deadline {
                    break;
                }
                let url = list_url(&shape, i);
                let t = Instant::now();
                let r = client.get(&url).bearer_auth(&shape.token).send().await;
                let answer = match r {
                    Ok(r) => {
                        let st = r.status().as_u16();
                        let body = r.bytes().await.unwrap_or_default();
                        Ok((st, body))
                    }
                    Err(e) => Err(e.to_string()),
                };
                lat.push(t.elapsed());
                match answer {
                    Ok((200, body)) => {
                        ok200 += 1;
                        returned += serde_json::from_slice::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["_embedded"]["leads"].as_array().map(|a| a.len()))
                            .unwrap_or(0) as u64;
                    }
                    Ok((204, _)) => ok204 += 1,
                    Ok((st, body)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            format!(
                                "{st}: {}",
                                String::from_utf8_lossy(&body)
                                    .chars()
                                    .take(300)
                                    .collect::<String>()
                            )
                        });
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (lat, ok200, ok204, errors, returned, first_error)
        }));
    }
    let mut lat = Vec::new();
    let (mut ok200, mut ok204, mut errors, mut returned) = (0, 0, 0, 0);
    for t in tasks {
        let (l, a, b, e, r, fe) = t.await?;
        lat.extend(l);
        ok200 += a;
        ok204 += b;
        errors += e;
        returned += r;
        if let Some(fe) = fe {
            println!("  a list failed: {fe}");
        }
    }
    let elapsed = began.elapsed();
    if (lat.len() as u64) < lists {
        println!("  stopped at the time limit ({LIST_TIME_LIMIT:?})");
    }
    let latency = Latency::of(&mut lat);
    println!("  GET round trip: {}", latency.line());
    println!(
        "  {} requests in {:.2} s: {:.0} requests/s; {ok200} x 200, {ok204} x 204, {errors} other",
        latency.count,
        elapsed.as_secs_f64(),
        latency.count as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(Listed {
        latency,
        elapsed,
        ok200,
        ok204,
        errors,
        returned,
    })
}
