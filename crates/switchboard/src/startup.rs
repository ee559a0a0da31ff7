//! Startup: database and migrations, first-start bootstrap, bind, serve until shutdown.

use crate::config::Config;
use anyhow::Context;
use sb_service::accounts::{FirstLogin, NewAccount};
use sb_service::recordings::Recordings;
use sb_service::telephony::hub::SharedHub;
use sb_service::{Clock, Ctx, SystemClock};
use sb_web::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct App {
    pub addr: SocketAddr,
    workers: bool,
    job_workers: Option<usize>,
    pub state: AppState,
    pub first_login: Option<FirstLogin>,
    listener: TcpListener,
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
        let mut ctx = Ctx::new(db, clock)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_recordings(recordings);
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
        Ok(App {
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
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
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
