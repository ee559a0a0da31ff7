//! `switchboard bench live`: how long a manager waits between the PBX's NOTIFY_INTERNAL
//! and the ringing pop-up's frame on their open `/live` WebSocket, with N agents
//! connected at once, and what each connected agent costs the server in memory.
//!
//! The bench seeds a fresh database (N managers who see only their own cards, so none
//! is a supervisor; an extension and a browser session each), then runs each server
//! node as a child process (`switchboard serve` on the same database, on a free
//! loopback port), so that the node's resident memory before and after the N sockets
//! connect is the server's alone. With two nodes (PostgreSQL only) the webhooks go to
//! node A and every WebSocket connects to node B. The load is `--calls` calls started
//! `--rate` per second, call k ringing agent k % N: NOTIFY_START from a number nobody
//! knows, NOTIFY_INTERNAL naming the agent's extension (the clock starts just before it
//! is sent), then NOTIFY_END; the clock stops when that agent's socket reads the
//! `ringing` frame of that call (matched by the caller's number, unique per call).
//! Everything is bounded in count and time, and stays on 127.0.0.1.

use super::stats::Latency;
use super::target::BenchDb;
use crate::config::Config;
use anyhow::Context;
use futures_util::StreamExt;
use sb_domain::entities::Role;
use sb_domain::integrations::ExtensionBinding;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope, UserId};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "0123456789abcdefABCD";
const KEY: &str = "a1b2c3d4e5f6a7b8c9d0";
/// WebSocket handshakes in flight at once.
const CONNECTING: usize = 64;
/// Longest wait for one handshake and its sync frame.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for a child server to answer /health.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the sockets may still deliver ringing frames after the last call was sent.
const DRAIN: Duration = Duration::from_secs(5);

pub struct LiveArgs {
    pub agents: u64,
    pub calls: u64,
    pub rate: f64,
    pub max_seconds: u64,
    pub nodes: u8,
}

pub async fn run(config: &Config, args: LiveArgs) -> anyhow::Result<()> {
    let args = LiveArgs {
        agents: args.agents.clamp(1, 10_000),
        calls: args.calls.clamp(1, 1_000_000),
        rate: args.rate.clamp(0.1, 10_000.0),
        max_seconds: args.max_seconds.clamp(1, 3_600),
        nodes: args.nodes,
    };
    if !(1..=2).contains(&args.nodes) {
        anyhow::bail!("--nodes is 1 or 2");
    }
    let url = config.database_url.as_str();
    if args.nodes == 2 && !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
        anyhow::bail!("--nodes 2 needs PostgreSQL (--database-url postgres://...): nodes share the live events through it; SQLite runs one node");
    }
    check_open_files(args.agents)?;
    let target = BenchDb::open(config).await?;
    println!("database: {:?} at {}", target.backend, target.location);
    let tmp = std::env::temp_dir().join(format!("sbbench_live_{}", std::process::id()));
    let result = bench(&target, config, &args, &tmp).await;
    let _ = std::fs::remove_dir_all(&tmp);
    target.finish().await;
    result
}

/// Both ends of every socket are open at once (the bench's and the server's), plus the
/// databases' and the webhooks' connections: refuse early rather than fail midway.
fn check_open_files(agents: u64) -> anyhow::Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(soft) = soft {
        if soft < agents + 256 {
            anyhow::bail!("{agents} agents need more open files than the limit of {soft}: raise it (ulimit -n) or use fewer --agents");
        }
    }
    Ok(())
}

struct Agent {
    user: UserId,
    token: String,
}

async fn bench(
    target: &BenchDb,
    config: &Config,
    args: &LiveArgs,
    tmp: &std::path::Path,
) -> anyhow::Result<()> {
    let n = args.agents;
    let began = Instant::now();
    let (hook_path, agents) = seed(target, config, n, tmp).await?;
    println!(
        "seeded {n} agents (extension, session, own-cards rights) in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    // The server nodes, children of this process; killed when `nodes` is dropped.
    let mut nodes = Vec::new();
    for name in ["A", "B"].into_iter().take(usize::from(args.nodes)) {
        nodes.push(Node::start(name, &target.url, tmp)?);
    }
    for node in &nodes {
        node.wait_healthy().await?;
    }
    let first = nodes.first().context("no node started")?;
    let live = nodes.last().context("no node started")?;
    let hook = format!("{}{}", first.url(), hook_path);
    println!(
        "{} node(s) up: webhooks to node A ({}), WebSockets to node {} ({})",
        nodes.len(),
        first.url(),
        live.name,
        live.url()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = live.rss_kib()?;

    // N sockets, each past its sync frame: a first batch (which also warms the node's
    // pools and caches up), then the rest, so that the memory of one more agent shows
    // apart from the warm-up.
    let t = Instant::now();
    let batch = (n / 10).clamp(1, CONNECTING as u64) as usize;
    let mut sockets = connect_all(live, &agents[..batch]).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_warm = live.rss_kib()?;
    sockets.extend(connect_all(live, &agents[batch..]).await?);
    let connect_s = t.elapsed().as_secs_f64() - 1.0;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = live.rss_kib()?;
    println!("{n} WebSockets open (sync frame read) in {connect_s:.1} s");

    // Readers: each records when its agent's ringing frames arrive.
    let calls = args.calls;
    let clock = Instant::now();
    let arrived: Arc<Vec<AtomicU64>> = Arc::new((0..calls).map(|_| AtomicU64::new(0)).collect());
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..calls).map(|_| AtomicU64::new(0)).collect());
    let counts = Arc::new(Counts::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    for (a, ws) in sockets.into_iter().enumerate() {
        let reader = Reader {
            agent: a as u64,
            agents: n,
            user: agents[a].user.0,
            arrived: arrived.clone(),
            counts: counts.clone(),
            clock,
        };
        readers.push(tokio::spawn(reader.run(ws, stop_rx.clone())));
    }

    // The load.
    let max = Duration::from_secs(args.max_seconds);
    println!(
        "sending up to {calls} calls at {:.0} calls/s (at most {} s)",
        args.rate, args.max_seconds
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(10))
        .build()?;
    let load_began = Instant::now();
    let deadline = load_began + max;
    let mut tasks = Vec::new();
    for k in 0..calls {
        let due = load_began + Duration::from_secs_f64(k as f64 / args.rate);
        if due > deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let ext = extension(k % n);
        let (client, hook, sent) = (client.clone(), hook.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            one_call(&client, &hook, k, &ext, &sent, clock).await
        }));
    }
    let calls_sent = tasks.len() as u64;
    let mut errors = 0u64;
    for t in tasks {
        errors += t.await.unwrap_or(3);
    }
    let load_s = load_began.elapsed().as_secs_f64();

    // The frames still on their way, then the sockets close.
    let drain_until = Instant::now() + DRAIN;
    while Instant::now() < drain_until {
        let got = (0..calls_sent as usize)
            .filter(|&k| arrived[k].load(Ordering::Relaxed) != 0)
            .count() as u64;
        if got >= calls_sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    for r in readers {
        let _ = tokio::time::timeout(Duration::from_secs(5), r).await;
    }
    let rss_end = live.rss_kib()?;
    let live_name = live.name;
    drop(nodes);

    let mut lat = Vec::new();
    let mut early = 0u64;
    for k in 0..calls_sent as usize {
        let (t0, t1) = (
            sent[k].load(Ordering::Relaxed),
            arrived[k].load(Ordering::Relaxed),
        );
        match (t0, t1) {
            (0, _) | (_, 0) => {}
            (t0, t1) if t1 >= t0 => lat.push(Duration::from_nanos(t1 - t0)),
            _ => early += 1,
        }
    }
    let received = lat.len() as u64 + early;
    let l = Latency::of(&mut lat);
    let cores = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1);
    let per_agent = rss_after.saturating_sub(rss_before) as f64 / n as f64;
    let ms = |us: f64| us / 1000.0;
    println!("\nSummary (NOTIFY_INTERNAL sent -> ringing frame read on the agent's socket):");
    println!(
        "  backend {:?}, nodes {}, cores {cores}",
        target.backend, args.nodes
    );
    println!("  agents {n} (sockets open), calls sent {calls_sent} in {load_s:.1} s, webhook errors {errors} (non-200 or failed)");
    println!(
        "  ringing frames received {received}, missing {}, misdelivered or duplicated {}",
        calls_sent.saturating_sub(received),
        counts.stray.load(Ordering::Relaxed)
    );
    println!(
        "  latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, mean {:.1} ms ({} samples)",
        ms(l.p50_us),
        ms(l.p90_us),
        ms(l.p99_us),
        ms(l.max_us),
        ms(l.mean_us),
        l.count
    );
    println!(
        "  node {} RSS: {rss_before} KiB before the sockets, {rss_after} KiB with {n} open and idle, {rss_end} KiB after the load",
        live_name
    );
    let rest = n.saturating_sub(batch as u64).max(1);
    let marginal = rss_after.saturating_sub(rss_warm) as f64 / rest as f64;
    println!("  memory per connected agent: {per_agent:.1} KiB ((after - before) / {n}); {marginal:.1} KiB per agent past the first {batch} ({rss_warm} KiB with those open)");
    println!(
        "  frames read by the bench's sockets: {} in all",
        counts.frames.load(Ordering::Relaxed)
    );
    Ok(())
}

fn extension(agent: u64) -> String {
    format!("{}", 1000 + agent)
}

/// The caller's number of call k: a Barcelona landline nobody in the database has, its
/// last 7 digits the call's number.
fn caller(k: u64) -> String {
    format!("3493{:07}", k % 10_000_000)
}

/// The call a ringing frame is about, from its phone's last 7 digits.
fn call_of(phone: &str) -> Option<u64> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let tail = digits.get(digits.len().checked_sub(7)?..)?;
    tail.parse().ok()
}

/// The fresh account: the integration, the agents with their extensions and sessions.
/// Returns the webhook's path and the agents.
async fn seed(
    target: &BenchDb,
    config: &Config,
    n: u64,
    tmp: &std::path::Path,
) -> anyhow::Result<(String, Vec<Agent>)> {
    let (app, admin) = super::target::fresh_app(target, config, tmp).await?;
    let ctx = app.state.ctx.clone();
    // The simulator answers the install's balance check; the webhooks are sent by this bench.
    let sim = sb_pbxsim::PbxSim::start(sb_pbxsim::SimConfig::default(), "127.0.0.1:0".parse()?)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = sb_service::telephony::Settings {
        key: KEY.into(),
        secret: SECRET.into(),
        base_url: sim.base_url(),
        ..Default::default()
    };
    let view = sb_service::telephony::install(&ctx, &admin, "zadarma", "bench", settings)
        .await
        .map_err(|e| anyhow::anyhow!("installing the integration: {e}"))?;
    let own = EntityRights {
        view: Scope::Own,
        add: Scope::Own,
        edit: Scope::Own,
        delete: Scope::Own,
        export: Scope::None,
    };
    let rights = Rights {
        leads: own,
        contacts: own,
        companies: own,
        tasks: own,
    };
    let mut users = Vec::new();
    for i in 0..n {
        let u = sb_service::users::create_user(
            &ctx,
            &admin,
            sb_service::users::NewUser {
                name: format!("Agent {i}"),
                email: format!("agent{i}@bench.test"),
                password: None,
                role: Role::Manager,
                group_id: None,
                rights: Some(rights.clone()),
                lang: Some("en".into()),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating agent {i}: {e}"))?;
        users.push(u.id);
    }
    // Extensions and sessions as the service would write them, in one transaction (a
    // session is what signing in leaves; the bench skips the password hashing).
    let now = ctx.now();
    let mut agents = Vec::new();
    let mut tx = target.db.begin().await?;
    for (i, user) in users.into_iter().enumerate() {
        let b = ExtensionBinding {
            account_id: admin.account.id,
            integration_id: view.integration.id,
            extension: extension(i as u64),
            user_id: user,
            created_at: now,
        };
        sb_store::integrations::bind_extension(&mut tx, &b)
            .await
            .with_context(|| format!("binding extension {}", b.extension))?;
        let token = sb_service::auth::random_hex(32);
        let s = sb_store::sessions::Session {
            account_id: admin.account.id,
            user_id: user,
            csrf: sb_service::auth::random_hex(32),
            created_at: now,
            last_seen_at: now,
            expires_at: now + sb_service::sessions::IDLE_MS,
            ip: "127.0.0.1".into(),
            user_agent: "switchboard bench live".into(),
        };
        sb_store::sessions::insert(&mut tx, &sb_service::auth::sha256_hex(&token), &s)
            .await
            .context("storing a session")?;
        agents.push(Agent { user, token });
    }
    tx.commit().await?;
    // This process serves nothing: its node lease and listeners go before the nodes start.
    ctx.hub.close();
    ctx.lease.release().await;
    drop(app);
    drop(sim);
    Ok((view.webhook_path, agents))
}

/// A server node: `switchboard serve` as a child process, killed on drop.
struct Node {
    name: &'static str,
    addr: String,
    child: std::process::Child,
}

impl Node {
    fn start(
        name: &'static str,
        database_url: &str,
        tmp: &std::path::Path,
    ) -> anyhow::Result<Node> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let exe = std::env::current_exe().context("finding this program")?;
        let recordings = tmp.join(format!("recordings_{name}"));
        let child = std::process::Command::new(exe)
            .arg("--database-url")
            .arg(database_url)
            .arg("--bind")
            .arg(&addr)
            .arg("serve")
            .env_remove("SWITCHBOARD_CONFIG")
            .env("SWITCHBOARD_LOG_LEVEL", "warn")
            .env("SWITCHBOARD_RECORDINGS_DIR", recordings)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting node {name}"))?;
        Ok(Node { name, addr, child })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let until = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = client.get(format!("{}/health", self.url())).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > until {
                anyhow::bail!(
                    "node {} did not answer /health within {} s",
                    self.name,
                    START_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The node's resident memory (VmRSS), in KiB.
    fn rss_kib(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no VmRSS in {path}"))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens every agent's socket, [`CONNECTING`] handshakes at a time, each past its sync
/// frame; in the agents' order.
async fn connect_all(node: &Node, agents: &[Agent]) -> anyhow::Result<Vec<Ws>> {
    let url = format!("ws://{}/live", node.addr);
    let origin = node.url();
    let opened: Vec<anyhow::Result<Ws>> = futures_util::stream::iter(agents.iter().enumerate())
        .map(|(i, a)| {
            let (url, origin) = (url.clone(), origin.clone());
            async move {
                tokio::time::timeout(CONNECT_TIMEOUT, open(&url, &origin, &a.token))
                    .await
                    .map_err(|_| anyhow::anyhow!("timed out"))
                    .and_then(|r| r)
                    .with_context(|| format!("opening agent {i}'s WebSocket"))
            }
        })
        .buffered(CONNECTING)
        .collect()
        .await;
    opened.into_iter().collect()
}

async fn open(url: &str, origin: &str, token: &str) -> anyhow::Result<Ws> {
    let mut req = url.into_client_request()?;
    let h = req.headers_mut();
    h.insert(
        "cookie",
        HeaderValue::from_str(&format!("sb_session={token}"))?,
    );
    h.insert("origin", HeaderValue::from_str(origin)?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str())?;
                if v["type"] == "sync" {
                    return Ok(ws);
                }
                anyhow::bail!("the first frame is not sync: {v}");
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => anyhow::bail!("the socket closed before its sync frame"),
        }
    }
}

#[derive(Default)]
struct Counts {
    /// Text frames of any kind.
    frames: AtomicU64,
    /// Ringing frames for a call that is not this agent's, or a second one.
    stray: AtomicU64,
}

struct Reader {
    agent: u64,
    agents: u64,
    user: i64,
    /// Per call: nanoseconds since `clock` when its ringing frame was read, 0 before.
    arrived: Arc<Vec<AtomicU64>>,
    counts: Arc<Counts>,
    clock: Instant,
}

impl Reader {
    async fn run(self, mut ws: Ws, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(t))) => self.frame(t.as_str()),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
            }
        }
        let _ = ws.close(None).await;
    }

    fn frame(&self, text: &str) {
        let at = (self.clock.elapsed().as_nanos() as u64).max(1);
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if v["type"] != "call" || v["kind"] != "ringing" {
            return;
        }
        let mine = v["user_id"].as_i64() == Some(self.user);
        let slot = v["phone"]
            .as_str()
            .and_then(call_of)
            .filter(|k| mine && k % self.agents == self.agent)
            .and_then(|k| self.arrived.get(k as usize));
        match slot {
            Some(s)
                if s.compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok() => {}
            _ => {
                self.counts.stray.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn form(fields: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Call k: NOTIFY_START, NOTIFY_INTERNAL to `ext` (its send time kept in `sent`), then
/// NOTIFY_END. Returns how many of the three were not answered 200.
async fn one_call(
    client: &reqwest::Client,
    url: &str,
    k: u64,
    ext: &str,
    sent: &[AtomicU64],
    clock: Instant,
) -> u64 {
    let caller = caller(k);
    let call_id = format!("in_{:040x}", (k as u128) << 64 | 0x11fe);
    let start = "2026-11-25 10:00:00".to_string();
    let base = |event: &str| {
        vec![
            ("event", event.to_string()),
            ("call_start", start.clone()),
            ("pbx_call_id", call_id.clone()),
            ("caller_id", caller.clone()),
            ("called_did", "34911234567".to_string()),
        ]
    };
    let mut internal = base("NOTIFY_INTERNAL");
    internal.push(("internal", ext.to_string()));
    let mut end = base("NOTIFY_END");
    end.extend([
        ("internal", ext.to_string()),
        ("duration", "0".to_string()),
        ("disposition", "no answer".to_string()),
        ("status_code", "19".to_string()),
        ("is_recorded", "0".to_string()),
        ("call_id_with_rec", String::new()),
    ]);
    let mut failed = 0;
    for (n, fields) in [base("NOTIFY_START"), internal, end]
        .into_iter()
        .enumerate()
    {
        let sig = sb_pbxsim::sign::webhook_signature(SECRET, &fields);
        if n == 1 {
            if let Some(s) = sent.get(k as usize) {
                s.store(
                    (clock.elapsed().as_nanos() as u64).max(1),
                    Ordering::Relaxed,
                );
            }
        }
        let good = match client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("Signature", sig)
            .body(form(&fields))
            .send()
            .await
        {
            Ok(r) => {
                let ok = r.status().is_success();
                let _ = r.bytes().await;
                ok
            }
            Err(_) => false,
        };
        failed += u64::from(!good);
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ringing_frame_names_its_call_by_the_callers_number() {
        assert_eq!(call_of("+34930001234"), Some(1234));
        assert_eq!(call_of(&caller(987_654)), Some(987_654));
        assert_eq!(call_of("+34"), None);
    }
}
