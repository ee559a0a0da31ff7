//! Built-in, protocol-accurate simulator of the Zadarma cloud PBX.
//!
//! It lets Switchboard be developed, demonstrated, tested end to end and
//! benchmarked without a real PBX: it serves the Zadarma REST API (signature
//! checked exactly as spec 1.2 describes) and plays calls by sending signed,
//! PHP-form-encoded NOTIFY_* webhooks to the CRM in the real order of spec 5,
//! obeying the CRM's reply to NOTIFY_START. It is written from
//! `shared/spec/zadarma.md` only and must NOT import `sb-telephony` (or share
//! any wire struct with it): the two are independent readings of the same spec,
//! so a format mistake on one side shows up as a failing test instead of both
//! sides agreeing on it. It must not import the CRM's other crates either; it
//! talks to Switchboard only over HTTP.
//!
//! * [`PbxSim::start`] binds the REST API (port 0 allowed): `GET
//!   /v1/info/balance/`, `/v1/info/timezone/`, `/v1/pbx/internal/`,
//!   `/v1/pbx/internal/<ext>/status/`, `/v1/request/callback/` (which then plays
//!   a click-to-call), `/v1/pbx/record/request/`, `/v1/statistics/pbx/`, `POST
//!   /v1/sms/send/`, `/v1/pbx/callinfo/url/` (checked with `zd_echo` like the real
//!   PBX), plus `GET /recordings/<token>.wav` serving a real, playable WAV tone.
//! * [`PbxSim::run_scenario`] plays one call ([`Scenario`]) and reports every
//!   delivery with the CRM's answer ([`ScenarioReport`]).
//! * [`PbxSim::run_load`] drives many calls for benchmarks ([`LoadReport`]).
//! * [`sign`] exposes the PBX-side signature rules for forging test traffic.
//!
//! Click-to-call: a correctly signed `GET /v1/request/callback/?from=<ext>&to=<n>`
//! is validated (`from` must be a configured extension, `to` 5–15 digits after
//! stripping non-digits, failure modes apply), answered at once with
//! `{"status":"success","from":..,"to":..,"time":..}`, and then, if a webhook
//! URL is set, a background [`Scenario::ClickToCall`] run sends the client leg
//! OUT_START → ANSWER → OUT_END (→ RECORD) with `internal=<from>`,
//! `destination=<to>`, one `out_` pbx_call_id; its report is kept for
//! [`PbxSim::callback_reports`].
//!
//! NOTIFY_START obedience: incoming calls send START first and wait for the
//! CRM's answer. A 2xx JSON object is read leniently: `hangup` ends the call
//! (END `cancel`); `{"redirect":"blacklist"}` ends it with END `busy` and no
//! INTERNAL; `{"redirect":"<known ext>"}` rings only that extension (the
//! scenario still decides answered/missed/busy); menu targets or unknown
//! extensions, empty, non-JSON, non-2xx or failed replies continue the default
//! route; `caller_name` is recorded. When an [`EventOrder`] puts START after
//! other events, the reply cannot steer the call ([`Routing::NotObeyed`]).
//!
//! Talk time is only reported (`duration`), never slept for.

mod audio;
mod config;
mod engine;
mod load;
mod server;
pub mod sign;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{FailureMode, SimConfig};
pub use engine::{
    EventOrder, Routing, Scenario, ScenarioOptions, ScenarioReport, ScenarioSpec, SentWebhook,
    StartReply,
};
pub use load::{LatencyStats, LoadReport, LoadSpec};

/// What can go wrong driving the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind the simulator: {0}")]
    Bind(#[from] std::io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("no webhook URL is set (config, set_webhook_url or /v1/pbx/callinfo/url/)")]
    NoWebhookUrl,
    #[error("invalid scenario: {0}")]
    InvalidSpec(String),
}

/// An SMS accepted by `/v1/sms/send/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentSms {
    pub number: String,
    pub message: String,
    pub caller_id: String,
}

/// One row of `/v1/statistics/pbx/`.
#[derive(Clone, Debug)]
pub(crate) struct CallRecord {
    pub call_id: String,
    pub sip: String,
    pub callstart: String,
    pub clid: String,
    pub destination: String,
    pub disposition: String,
    pub seconds: u32,
    pub is_recorded: bool,
    pub pbx_call_id: String,
    pub incoming: bool,
}

/// Statistics keep this many calls (load runs would otherwise grow forever).
const HISTORY_CAP: usize = 10_000;

pub(crate) struct State {
    pub webhook_url: Option<String>,
    pub failure: FailureMode,
    pub balance: f64,
    /// call_id_with_rec -> pbx_call_id, for recordings announced by NOTIFY_RECORD.
    pub recordings: HashMap<String, String>,
    pub recordings_by_call: HashMap<String, Vec<String>>,
    /// Download token -> expiry.
    pub links: HashMap<String, Instant>,
    pub history: VecDeque<CallRecord>,
    pub sms: Vec<SentSms>,
    pub callbacks: Vec<ScenarioReport>,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    pub http: reqwest::Client,
    pub audio: Bytes,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave this state inconsistent enough to matter.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn webhook_url(&self) -> Option<String> {
        self.lock().webhook_url.clone()
    }

    pub(crate) fn failure(&self) -> FailureMode {
        self.lock().failure.clone()
    }

    /// Cabinet-local time (spec 7: `call_start` carries no offset).
    pub(crate) fn local_now(&self) -> chrono::NaiveDateTime {
        chrono::Utc::now().naive_utc()
            + chrono::Duration::minutes(i64::from(self.config.utc_offset_minutes))
    }

    pub(crate) fn add_recording(&self, call_id: &str, pbx_call_id: &str) {
        let mut st = self.lock();
        if st
            .recordings
            .insert(call_id.to_owned(), pbx_call_id.to_owned())
            .is_none()
        {
            st.recordings_by_call
                .entry(pbx_call_id.to_owned())
                .or_default()
                .push(call_id.to_owned());
        }
    }

    pub(crate) fn add_history(&self, rec: CallRecord) {
        let mut st = self.lock();
        if st.history.len() >= HISTORY_CAP {
            st.history.pop_front();
        }
        st.history.push_back(rec);
    }
}

/// A running simulator. Dropping it stops the server too.
pub struct PbxSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl PbxSim {
    /// Binds `bind` (use `127.0.0.1:0` in tests) and serves the API.
    pub async fn start(config: SimConfig, bind: SocketAddr) -> Result<Self, SimError> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout)
            .no_proxy()
            .build()?;
        let state = State {
            webhook_url: config.webhook_url.clone(),
            failure: config.failure.clone(),
            balance: config.balance,
            recordings: HashMap::new(),
            recordings_by_call: HashMap::new(),
            links: HashMap::new(),
            history: VecDeque::new(),
            sms: Vec::new(),
            callbacks: Vec::new(),
        };
        let shared = Arc::new(Shared {
            config,
            base_url: format!("http://{addr}"),
            http,
            audio: Bytes::from(audio::tone_wav()),
            state: Mutex::new(state),
        });
        let app = server::router(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "pbxsim server stopped");
            }
        });
        tracing::info!(%addr, "pbxsim listening");
        Ok(Self {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: point the CRM's Zadarma base URL here.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Sets the NOTIFY_* URL directly (no `zd_echo` check, unlike the API).
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.shared.lock().webhook_url = url;
    }

    pub fn webhook_url(&self) -> Option<String> {
        self.shared.webhook_url()
    }

    pub fn set_failure(&self, mode: FailureMode) {
        self.shared.lock().failure = mode;
    }

    pub fn balance(&self) -> f64 {
        self.shared.lock().balance
    }

    /// SMS accepted by `/v1/sms/send/` so far.
    pub fn sent_sms(&self) -> Vec<SentSms> {
        self.shared.lock().sms.clone()
    }

    /// Plays one call against the webhook URL.
    pub async fn run_scenario(&self, spec: ScenarioSpec) -> Result<ScenarioReport, SimError> {
        engine::run(&self.shared, spec).await
    }

    /// Runs a bounded load against the webhook URL.
    pub async fn run_load(&self, spec: LoadSpec) -> Result<LoadReport, SimError> {
        load::run(Arc::clone(&self.shared), spec).await
    }

    /// Reports of the click-to-call calls started by `/v1/request/callback/`
    /// that have finished.
    pub fn callback_reports(&self) -> Vec<ScenarioReport> {
        self.shared.lock().callbacks.clone()
    }

    /// Waits until at least `n` click-to-call reports exist or `timeout` passes.
    pub async fn wait_callback_reports(&self, n: usize, timeout: Duration) -> Vec<ScenarioReport> {
        let deadline = Instant::now() + timeout;
        loop {
            let reports = self.callback_reports();
            if reports.len() >= n || Instant::now() >= deadline {
                return reports;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for PbxSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
