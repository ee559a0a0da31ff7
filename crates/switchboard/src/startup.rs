//! Startup: database and migrations, first-start bootstrap, bind, serve until shutdown.

use crate::config::{Config, LimitsConfig};
use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use sb_service::accounts::{FirstLogin, NewAccount};
use sb_service::crypto::SecretKey;
use sb_service::recordings::Recordings;
use sb_service::telephony::hub::SharedHub;
use sb_service::{Clock, Ctx, SystemClock};
use sb_web::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

pub struct App {
    pub addr: SocketAddr,
    workers: bool,
    job_workers: Option<usize>,
    pub state: AppState,
    pub first_login: Option<FirstLogin>,
    listener: TcpListener,
    limits: LimitsConfig,
}

impl App {
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        let db = sb_store::Db::connect(&config.database_url)
            .await
            .with_context(|| format!("opening the database {}", redact(&config.database_url)))?;
        Self::build_on(db, config, clock).await
    }

    /// Starts the app on an already opened database (benchmarks open their own).
    pub async fn build_on(
        db: sb_store::Db,
        config: &Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        db.migrate().await.context("applying database migrations")?;
        let recordings = match &config.recordings_s3 {
            Some(s3) => {
                let r = Recordings::s3(s3)?;
                // Storing is retried, so the server starts without waiting for the
                // storage (an unreachable endpoint takes seconds to time out), and says
                // what it found as soon as it knows.
                let check = r.clone();
                tokio::spawn(async move {
                    match check.check().await {
                        Ok(()) => tracing::info!("call recordings are kept in the {}", check.place),
                        Err(e) => tracing::warn!(
                            "{e:#}; each recording is tried again for about six hours"
                        ),
                    }
                });
                r
            }
            None => Recordings::local(&config.recordings_dir)?,
        };
        let key = secret_key(config)?;
        let mut ctx = Ctx::new(db, clock, &key)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_recordings(recordings);
        let sealed = sb_service::telephony::at_rest::seal_stored(&ctx)
            .await
            .map_err(|e| anyhow::anyhow!("encrypting the secrets of stored integrations: {e}"))?;
        if sealed > 0 {
            tracing::info!("encrypted the secrets of {sealed} integrations stored in clear");
        }
        if ctx.db.backend() == sb_store::Backend::Postgres {
            // Several nodes may share this database: live pop-ups reach all of them, and so do
            // changes to what their webhooks keep in memory.
            ctx.hub = Arc::new(SharedHub::start(ctx.db.clone(), ctx.routes.clone()).await);
        }
        let a = &config.account;
        let first_login = sb_service::accounts::bootstrap(
            &ctx,
            NewAccount {
                name: a.name.clone(),
                subdomain: a.subdomain.clone(),
                country: a.country.clone(),
                currency: a.currency.clone(),
                timezone: a.timezone.clone(),
                admin_name: a.admin_name.clone(),
                admin_email: a.admin_email.clone(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the first account: {e}"))?;
        let listener = TcpListener::bind(&config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr()?;
        let mut state = AppState::new(ctx, config.public_url.clone());
        state.secure_cookies = config.secure_cookies;
        state.limits = config.limits.web();
        Ok(App {
            limits: config.limits.clone(),
            addr,
            workers: config.workers,
            job_workers: config.job_workers,
            state,
            first_login,
            listener,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = sb_web::router(self.state.clone());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let ctx = &self.state.ctx;
        let count = self
            .job_workers
            .unwrap_or_else(|| sb_service::jobs::default_workers(ctx.db.backend()));
        let workers = match self.workers {
            true => sb_service::jobs::spawn_workers(ctx, count, &stop_rx),
            false => Vec::new(),
        };
        serve(self.listener, router, &self.limits, shutdown).await;
        // Drain: each worker finishes the job in hand and gives back the rest of its
        // batch, which the next start runs at once; unfinished jobs stay queued.
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        self.state.ctx.hub.close();
        self.state.ctx.lease.release().await;
        self.state.ctx.db.close().await;
        Ok(())
    }
}

/// Serves HTTP/1.1 (with upgrades, for the live sockets) until `shutdown` resolves, then
/// lets the requests in flight finish. A client has `header_timeout_secs` to send a
/// request's headers, on a new connection and between the requests of a kept-alive one,
/// after which its connection is closed; a head larger than `max_header_bytes` is
/// answered 431. At most `max_connections` are served at once: one more is answered 503
/// and closed, so that file descriptors are never exhausted.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: &LimitsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_secs))
        .max_header_size(limits.max_header_bytes);
    let max = limits.max_connections;
    let places = Arc::new(Semaphore::new(max));
    let telling = Arc::new(Semaphore::new(64));
    let (close_tx, close_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, or the peer gave up during the handshake:
                    // the listener stays usable, so wait a little and go on.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(place) = places.clone().try_acquire_owned() else {
            // A few are told why; past those, a flood is simply closed.
            if let Ok(telling) = telling.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    turn_away(stream, max).await;
                    drop(telling);
                });
            }
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req)
        });
        let http = http.clone();
        let mut close = close_rx.clone();
        tokio::spawn(async move {
            let conn = http
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let done = tokio::select! {
                r = conn.as_mut() => r,
                _ = close.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = done {
                // A slow or oversized head, a client gone: nothing to answer any more.
                tracing::debug!(error = %e, "connection ended");
            }
            drop(place);
        });
    }
    drop(listener);
    let _ = close_tx.send(true);
    // Every connection gives its place back when it ends.
    let _ = places.acquire_many(max as u32).await;
}

/// The answer to a connection past `max_connections`: 503, then closed.
async fn turn_away(mut stream: tokio::net::TcpStream, max: usize) {
    use tokio::io::AsyncWriteExt;
    // Said at most once a second, however many are turned away.
    static SAID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if SAID.swap(second, std::sync::atomic::Ordering::Relaxed) != second {
        tracing::warn!(
            "{max} connections are open, the limit (limits.max_connections): turning new ones away"
        );
    }
    let body = format!(
        "{{\"title\":\"Service Unavailable\",\"type\":\"https://httpstatus.es/503\",\"status\":503,\"detail\":\"The server has {max} connections open, its limit; try again shortly\"}}"
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// The key that seals secrets at rest: `secret_key` when configured, else the one kept in
/// `secret_key_file`, generated there (readable by this user only) on first start so that
/// the demo and a first `serve` need no setup. The key itself is never logged.
pub fn secret_key(config: &Config) -> anyhow::Result<SecretKey> {
    if let Some(k) = &config.secret_key {
        return SecretKey::parse(k.expose()).map_err(|e| anyhow::anyhow!("secret_key: {e}"));
    }
    let path = std::path::Path::new(&config.secret_key_file);
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return SecretKey::parse(&text)
                .map_err(|e| anyhow::anyhow!("the key file {}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => anyhow::bail!("reading the key file {}: {e}", path.display()),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = SecretKey::generate();
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(mut f) => {
            use std::io::Write;
            f.write_all(format!("{}\n", key.to_hex()).as_bytes())
                .with_context(|| format!("writing the key file {}", path.display()))?;
            tracing::info!(
                "generated the key that encrypts secrets at rest into {}: back it up with the database (or set secret_key)",
                path.display()
            );
            Ok(key)
        }
        // Another process of this installation wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the key file {}", path.display()))?;
            SecretKey::parse(&text)
                .map_err(|e| anyhow::anyhow!("the key file {}: {e}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("creating the key file {}", path.display())),
    }
}

/// Hides a password in a database URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::KeyText;

    #[test]
    fn the_key_is_generated_once_into_a_private_file_and_a_configured_key_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data").join("secret.key");
        let config = Config {
            secret_key_file: file.display().to_string(),
            ..Config::default()
        };
        let first = secret_key(&config).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The next start reads the same key back.
        assert_eq!(secret_key(&config).unwrap().to_hex(), first.to_hex());
        let hex = "ab".repeat(32);
        let configured = Config {
            secret_key: Some(KeyText::new(&hex)),
            ..config.clone()
        };
        assert_eq!(secret_key(&configured).unwrap().to_hex(), hex);
        // A broken key is an error that names where it came from, never the key.
        std::fs::write(&file, "not-a-key").unwrap();
        let e = secret_key(&config).unwrap_err().to_string();
        assert!(e.contains("secret.key") && !e.contains("not-a-key"), "{e}");
        let bad = Config {
            secret_key: Some(KeyText::new("short-key")),
            ..config
        };
        let e = secret_key(&bad).unwrap_err().to_string();
        assert!(e.contains("secret_key") && !e.contains("short-key"), "{e}");
    }
}
