//! `switchboard simulate`: drive a running CRM with the built-in Zadarma simulator.
//! The simulator's REST API listens too, so the CRM's integration can point at it.

use clap::Args;
use sb_pbxsim::{LoadSpec, PbxSim, Scenario, ScenarioSpec, SimConfig};
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// The CRM's webhook URL for this PBX (shown in the telephony settings as webhook_url).
    #[arg(long)]
    pub crm_url: String,
    /// incoming_answered, incoming_missed, incoming_busy, blacklisted, internal_transfer,
    /// outgoing, click_to_call, or "mix" for a realistic blend.
    #[arg(long, default_value = "mix")]
    pub scenario: String,
    /// Calls per second.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Stop after this many calls.
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub max_seconds: u64,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// The caller's number for single scenarios.
    #[arg(long, default_value = "34600111222")]
    pub caller: String,
    /// The PBX API key and secret (must match the CRM's integration).
    #[arg(long, default_value = "a1b2c3d4e5f6a7b8c9d0")]
    pub key: String,
    #[arg(long, default_value = "0123456789abcdefABCD")]
    pub secret: String,
    /// Address for the simulator's REST API (the CRM's base_url for this PBX).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: String,
}

pub async fn run(a: SimulateArgs) -> anyhow::Result<()> {
    let cfg = SimConfig {
        key: a.key.clone(),
        secret: a.secret.clone(),
        webhook_url: Some(a.crm_url.clone()),
        ..SimConfig::default()
    };
    let sim = PbxSim::start(cfg, a.listen.parse()?)
        .await
        .map_err(|e| anyhow::anyhow!("starting the simulator on {}: {e}", a.listen))?;
    eprintln!(
        "simulated Zadarma API at {} -> webhooks to {}",
        sim.base_url(),
        a.crm_url
    );
    if a.scenario == "mix" || a.count > 1 {
        let mix = if a.scenario == "mix" {
            Vec::new()
        } else {
            vec![(
                a.scenario
                    .parse::<Scenario>()
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                1,
            )]
        };
        let spec = LoadSpec {
            concurrency: a.concurrency.max(1),
            calls_per_sec: a.rate,
            max_calls: a.count,
            max_duration: Duration::from_secs(a.max_seconds),
            mix,
        };
        let r = sim
            .run_load(spec)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let mut s = ScenarioSpec::new(
            a.scenario
                .parse::<Scenario>()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        s.caller = a.caller.clone();
        let r = sim
            .run_scenario(s)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("{}", serde_json::to_string_pretty(&r)?);
    }
    Ok(())
}
