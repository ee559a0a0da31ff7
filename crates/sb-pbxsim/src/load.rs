//! Load mode for benchmarks: many simulated calls against the CRM, always
//! bounded in count and in time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng as _;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::engine::{self, Scenario, ScenarioSpec};
use crate::{Shared, SimError};

/// What to run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Calls in flight at once (at least 1).
    pub concurrency: usize,
    /// Call start rate; 0 = as fast as `concurrency` allows.
    pub calls_per_sec: f64,
    /// Hard cap on calls started.
    pub max_calls: u64,
    /// Hard cap on wall time: no call starts after it, and calls still running
    /// one webhook timeout later are aborted (counted as `timeout`).
    pub max_duration: Duration,
    /// Weighted scenario mix; empty = the default mix.
    pub mix: Vec<(Scenario, u32)>,
}

impl Default for LoadSpec {
    fn default() -> Self {
        Self {
            concurrency: 8,
            calls_per_sec: 50.0,
            max_calls: 500,
            max_duration: Duration::from_secs(30),
            mix: Vec::new(),
        }
    }
}

/// Latency summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencyStats {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl LatencyStats {
    fn from_samples(mut v: Vec<Duration>) -> Self {
        v.sort_unstable();
        let at = |q: f64| {
            if v.is_empty() {
                return Duration::ZERO;
            }
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
            v[i]
        };
        Self {
            count: v.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: v.last().copied().unwrap_or_default(),
        }
    }
}

/// What happened.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    pub calls_started: u64,
    pub calls_completed: u64,
    /// Webhook deliveries (duplicates included).
    pub events: u64,
    pub elapsed: Duration,
    pub events_per_sec: f64,
    pub calls_per_sec: f64,
    /// Deliveries by answer: HTTP status as text or `error` (no answer); plus,
    /// once per call, `timeout` (aborted at the deadline) and `call_error`.
    pub by_status: BTreeMap<String, u64>,
    pub by_scenario: BTreeMap<String, u64>,
    /// NOTIFY_START round trips (the caller waits on these).
    pub start_latency: LatencyStats,
    /// All deliveries.
    pub webhook_latency: LatencyStats,
}

struct CallSummary {
    scenario: Scenario,
    // (event, status, latency)
    deliveries: Vec<(String, Option<u16>, Duration)>,
}

const DEFAULT_MIX: [(Scenario, u32); 5] = [
    (Scenario::IncomingAnswered, 5),
    (Scenario::IncomingMissed, 2),
    (Scenario::InternalTransfer, 1),
    (Scenario::Outgoing, 1),
    (Scenario::ClickToCall, 1),
];

fn pick(mix: &[(Scenario, u32)]) -> Scenario {
    let total: u32 = mix.iter().map(|(_, w)| *w).sum();
    let mut r = rand::thread_rng().gen_range(0..total.max(1));
    for (sc, w) in mix {
        if r < *w {
            return *sc;
        }
        r -= w;
    }
    Scenario::IncomingAnswered
}

pub(crate) async fn run(sh: Arc<Shared>, spec: LoadSpec) -> Result<LoadReport, SimError> {
    if sh.webhook_url().is_none() {
        return Err(SimError::NoWebhookUrl);
    }
    let mut mix: Vec<(Scenario, u32)> = spec.mix.into_iter().filter(|(_, w)| *w > 0).collect();
    if mix.is_empty() {
        mix = DEFAULT_MIX.to_vec();
    }
    if sh.config.extensions.len() < 2 {
        mix.retain(|(s, _)| *s != Scenario::InternalTransfer);
    }
    if sh.config.extensions.is_empty() || mix.is_empty() {
        return Err(SimError::InvalidSpec(
            "load needs configured extensions and a non-empty mix".to_owned(),
        ));
    }
    let started = Instant::now();
    let deadline = started + spec.max_duration;
    let hard_deadline = deadline + sh.config.webhook_timeout;
    let permits = Arc::new(Semaphore::new(spec.concurrency.max(1)));
    let mut tasks: JoinSet<Result<CallSummary, SimError>> = JoinSet::new();
    let mut report = LoadReport::default();
    let mut summaries = Vec::new();
    let interval =
        (spec.calls_per_sec > 0.0).then(|| Duration::from_secs_f64(1.0 / spec.calls_per_sec));

    for i in 0..spec.max_calls {
        if let Some(iv) = interval {
            let at = started + iv.mul_f64(i as f64);
            if at >= deadline {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
        }
        let Ok(Ok(permit)) =
            tokio::time::timeout_at(deadline.into(), Arc::clone(&permits).acquire_owned()).await
        else {
            break;
        };
        if Instant::now() >= deadline {
            break;
        }
        // Collect finished calls as we go so memory stays flat.
        while let Some(done) = tasks.try_join_next() {
            summaries.push(done);
        }
        let scenario = pick(&mix);
        let mut call = ScenarioSpec::new(scenario);
        call.caller = format!("346{:08}", rand::thread_rng().gen_range(0..100_000_000u32));
        call.called_did = sh.config.did.clone();
        call.talk_seconds = rand::thread_rng().gen_range(5..300);
        let sh2 = Arc::clone(&sh);
        report.calls_started += 1;
        tasks.spawn(async move {
            let _permit = permit;
            let r = engine::run(&sh2, call).await?;
            Ok(CallSummary {
                scenario,
                deliveries: r
                    .webhooks
                    .into_iter()
                    .map(|w| (w.event, w.status, w.latency))
                    .collect(),
            })
        });
    }
    loop {
        match tokio::time::timeout_at(hard_deadline.into(), tasks.join_next()).await {
            Ok(Some(done)) => summaries.push(done),
            Ok(None) => break,
            Err(_) => {
                let left = tasks.len() as u64;
                tasks.abort_all();
                *report.by_status.entry("timeout".to_owned()).or_default() += left;
                break;
            }
        }
    }

    let mut start_lat = Vec::new();
    let mut all_lat = Vec::new();
    for done in summaries {
        let Ok(Ok(call)) = done else {
            *report.by_status.entry("call_error".to_owned()).or_default() += 1;
            continue;
        };
        report.calls_completed += 1;
        *report
            .by_scenario
            .entry(call.scenario.name().to_owned())
            .or_default() += 1;
        for (event, status, latency) in call.deliveries {
            report.events += 1;
            let key = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
            *report.by_status.entry(key).or_default() += 1;
            if event == "NOTIFY_START" {
                start_lat.push(latency);
            }
            all_lat.push(latency);
        }
    }
    report.elapsed = started.elapsed();
    let secs = report.elapsed.as_secs_f64().max(f64::EPSILON);
    #[allow(clippy::cast_precision_loss)]
    {
        report.events_per_sec = report.events as f64 / secs;
        report.calls_per_sec = report.calls_completed as f64 / secs;
    }
    report.start_latency = LatencyStats::from_samples(start_lat);
    report.webhook_latency = LatencyStats::from_samples(all_lat);
    Ok(report)
}
