//! `switchboard bench ui`: the web UI's heaviest everyday pages, timed as a signed-in
//! browser asks for them over loopback HTTP: the contacts list (first page, and a
//! search), a contact's card, and that card's feed holding `--feed` items (notes, call
//! notes, tasks), on a database of `--contacts` contacts. One client, requests one after
//! another, so the figures are each page's own time (server work plus a loopback round
//! trip), not throughput. Bounded in count and time.

use super::stats::Latency;
use super::target::BenchDb;
use crate::config::Config;
use serde_json::json;
use std::time::{Duration, Instant};

const MAX_CONTACTS: u64 = 1_000_000;
const MAX_FEED: u64 = 2_000;
const MAX_REQUESTS: u64 = 20_000;
const TIME_LIMIT: Duration = Duration::from_secs(5 * 60);
const WARMUP: u64 = 30;
const PASSWORD: &str = "bench-password-1";

pub async fn run(config: &Config, contacts: u64, feed: u64, requests: u64) -> anyhow::Result<()> {
    if !(1..=MAX_CONTACTS).contains(&contacts) {
        anyhow::bail!("--contacts must be between 1 and {MAX_CONTACTS}");
    }
    if !(1..=MAX_FEED).contains(&feed) {
        anyhow::bail!("--feed must be between 1 and {MAX_FEED}");
    }
    if !(1..=MAX_REQUESTS).contains(&requests) {
        anyhow::bail!("--requests must be between 1 and {MAX_REQUESTS}");
    }
    let target = BenchDb::open(config).await?;
    println!("bench ui: {contacts} contacts, a card with {feed} feed items, {requests} requests per page");
    println!("database: {:?} at {}", target.backend, target.location);
    let tmp = std::env::temp_dir().join(format!("sbbench_ui_rec_{}", std::process::id()));
    let outcome = bench(&target, config, &tmp, contacts, feed, requests).await;
    let _ = std::fs::remove_dir_all(&tmp);
    let backend = target.backend;
    target.finish().await;
    let pages = outcome?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!();
    println!("==================== bench ui: summary ====================");
    println!("cores          {cores} (shared: other builds/CI may run on the same cores)");
    println!("backend        {backend:?}, {contacts} contacts, feed of {feed} items");
    for p in &pages {
        println!(
            "{:<34} p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({} x 200, {} failed, {} KiB)",
            p.name,
            p.latency.p50_us / 1e3,
            p.latency.p99_us / 1e3,
            p.latency.max_us / 1e3,
            p.latency.count,
            p.errors,
            p.bytes / 1024
        );
    }
    Ok(())
}

struct PageTimes {
    name: String,
    latency: Latency,
    errors: u64,
    bytes: usize,
}

async fn bench(
    target: &BenchDb,
    config: &Config,
    tmp: &std::path::Path,
    contacts: u64,
    feed: u64,
    requests: u64,
) -> anyhow::Result<Vec<PageTimes>> {
    let (app, admin) = super::target::fresh_app(target, config, tmp).await?;
    let ctx = app.state.ctx.clone();
    let svc = |e: sb_service::ServiceError| anyhow::anyhow!("{e}");
    super::webhooks::seed(&target.db, &admin.account, admin.user.id, contacts).await?;
    sb_service::users::set_password(&ctx, &admin, admin.user.id, PASSWORD)
        .await
        .map_err(svc)?;
    let (token, _) =
        sb_service::auth::create_api_token(&ctx, &admin, admin.user.id, "bench ui", None)
            .await
            .map_err(svc)?;
    let base = app.url();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    let result = async {
        let api = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let card = fill_card(&api, &base, &token, feed).await?;
        target.db.analyze().await?;
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        let cookie = sign_in(&browser, &base, &admin.user.email).await?;
        let pages = [
            ("contacts list, page 1".to_string(), "/contacts".to_string()),
            (
                "contacts list, search".to_string(),
                "/contacts?q=Contact%2042".to_string(),
            ),
            ("contact card".to_string(), format!("/contacts/{card}")),
            (
                format!("contact feed ({feed} items)"),
                format!("/contacts/{card}/feed"),
            ),
        ];
        let mut out = Vec::new();
        for (name, path) in pages {
            out.push(time_page(&browser, &base, &cookie, name, &path, requests).await);
        }
        anyhow::Ok(out)
    }
    .await;
    let _ = stop_tx.send(());
    let _ = server.await;
    result
}

/// A contact of its own with `feed` items: 60% notes, 30% call notes (half with a
/// recording link), 10% tasks. Returns its id.
async fn fill_card(
    api: &reqwest::Client,
    base: &str,
    token: &str,
    feed: u64,
) -> anyhow::Result<i64> {
    let post = |path: &str, body: serde_json::Value| {
        api.post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let r = post(
        "/api/v4/contacts",
        json!([{"name": "Bench card", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+34 600 999 001", "enum_code": "WORK"}]}
        ]}]),
    )
    .await?;
    let v: serde_json::Value = r.error_for_status()?.json().await?;
    let id = v["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no contact id in {v}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let mut notes = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..feed {
        match i % 10 {
            0 => tasks.push(json!({
                "text": format!("Follow-up {i}"), "entity_id": id, "entity_type": "contacts",
                "complete_till": now + 86_400 * (i as i64 % 7), "task_type_id": 1
            })),
            1..=3 => notes.push(json!({
                "entity_id": id, "note_type": if i % 2 == 0 { "call_in" } else { "call_out" },
                "params": {
                    "uniq": format!("bench-call-{i}"), "duration": 30 + i, "source": "bench",
                    "phone": "+34600999001", "call_status": 4, "call_result": "talked",
                    "link": if i % 2 == 0 { format!("https://records.invalid/{i}.mp3") } else { String::new() }
                }
            })),
            _ => notes.push(json!({
                "entity_id": id, "note_type": "common",
                "params": {"text": format!("Note {i}: the customer asked about the offer and a second quote.")}
            })),
        }
    }
    for chunk in notes.chunks(100) {
        post("/api/v4/contacts/notes", json!(chunk))
            .await?
            .error_for_status()?;
    }
    for chunk in tasks.chunks(100) {
        post("/api/v4/tasks", json!(chunk))
            .await?
            .error_for_status()?;
    }
    println!("card {id}: {} notes and {} tasks", notes.len(), tasks.len());
    Ok(id)
}

/// Signs in through the form, as a browser; returns the Cookie header to send.
async fn sign_in(c: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let r = c.get(format!("{base}/login")).send().await?;
    let csrf = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sb_login_csrf="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("the sign-in page set no form token"))?
        .to_string();
    let r = c
        .post(format!("{base}/login"))
        .header("cookie", format!("sb_login_csrf={csrf}"))
        .form(&[("email", email), ("password", PASSWORD), ("_csrf", &csrf)])
        .send()
        .await?;
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sb_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("signing in failed: {}", r.status()))?
        .to_string();
    Ok(format!("sb_session={session}"))
}

async fn time_page(
    c: &reqwest::Client,
    base: &str,
    cookie: &str,
    name: String,
    path: &str,
    requests: u64,
) -> PageTimes {
    let url = format!("{base}{path}");
    let get = || {
        c.get(&url)
            .header("cookie", cookie)
            .header("accept", "text/html")
            .send()
    };
    for _ in 0..WARMUP {
        let _ = get().await;
    }
    let start = Instant::now();
    let mut samples = Vec::with_capacity(requests as usize);
    let mut errors = 0;
    let mut bytes = 0;
    for _ in 0..requests {
        if start.elapsed() > TIME_LIMIT {
            println!(
                "{name}: stopped at the {}-second limit",
                TIME_LIMIT.as_secs()
            );
            break;
        }
        let t = Instant::now();
        match get().await {
            Ok(r) if r.status().is_success() => match r.bytes().await {
                Ok(b) => {
                    samples.push(t.elapsed());
                    bytes = b.len();
                }
                Err(_) => errors += 1,
            },
            _ => errors += 1,
        }
    }
    PageTimes {
        name,
        latency: Latency::of(&mut samples),
        errors,
        bytes,
    }
}
