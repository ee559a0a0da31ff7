//! `switchboard demo`: the product's main job with no PBX contract (B4). One process:
//! the CRM, the built-in Zadarma simulator installed as the account's telephony,
//! demo data (managers with extensions, contacts, companies, leads, tasks, notes; see
//! [`seed`]), and a steady flow of realistic calls that land on the cards.

mod seed;

use crate::config::Config;
use crate::App;
use anyhow::Context;
use rand::seq::SliceRandom;
use rand::Rng;
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SimConfig};
use sb_service::telephony::settings::AutoCreate;
use sb_service::telephony::work::{RECORDING, RECORDING_DELAY_MS};
use sb_service::telephony::Settings;
use sb_service::Actor;
pub use seed::{seed, today_end};
use seed::{CONTACTS, MANAGERS};
use std::sync::Arc;
use std::time::Duration;

pub const DEMO_PASSWORD: &str = "switchboard-demo";

pub struct DemoOptions {
    /// Seconds between simulated calls (on average).
    pub every_s: f64,
    /// Stop the call flow after this many calls.
    pub max_calls: u64,
}

pub async fn run(mut config: Config, opts: DemoOptions) -> anyhow::Result<()> {
    if config.database_url == Config::default().database_url {
        // The demo keeps its own database so it never mixes with real data.
        config.database_url = "sqlite://data/demo.db?mode=rwc".into();
    }
    let app = App::build(&config).await?;
    let ctx = app.state.ctx.clone();
    let url = app.url();
    let admin = admin_actor(&app).await?;
    sb_service::users::set_password(&ctx, &admin, admin.user.id, DEMO_PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let sim_cfg = SimConfig {
        extensions: vec!["100".into(), "101".into(), "102".into(), "103".into()],
        ..SimConfig::default()
    };
    let sim = PbxSim::start(sim_cfg.clone(), "127.0.0.1:0".parse()?)
        .await
        .map_err(|e| anyhow::anyhow!("starting the PBX simulator: {e}"))?;
    let managers = seed(&ctx, &admin).await?;
    let integration = install(&ctx, &admin, &sim, &sim_cfg, &managers).await?;
    sim.set_webhook_url(Some(format!("{url}{}", integration.webhook_path)));
    let (token, _) =
        sb_service::auth::create_api_token(&ctx, &admin, admin.user.id, "demo", Some(30))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;

    println!();
    println!("  Switchboard demo is running at {url}");
    println!("  Sign in as {} / {DEMO_PASSWORD}", admin.user.email);
    println!("  (managers: maria@, joao@, katalin@demo.switchboard, same password)");
    println!(
        "  Simulated Zadarma PBX: {} (extensions 101-103 belong to the managers)",
        sim.base_url()
    );
    println!();
    println!("  Try the API with this token:");
    println!("    export TOKEN={token}");
    println!(
        "    curl -s -H \"Authorization: Bearer $TOKEN\" {url}/api/v4/contacts?query=600111222"
    );
    println!("    curl -N -H \"Authorization: Bearer $TOKEN\" {url}/api/v4/calls/live     # live call pop-ups");
    println!("    curl -s -H \"Authorization: Bearer $TOKEN\" -X POST {url}/api/v4/calls/dial -d '{{\"phone\":\"+34600111222\"}}'");
    println!();
    println!(
        "  A call comes in every ~{:.0} s; press Ctrl-C to stop.",
        opts.every_s
    );
    println!();

    // The simulator outlives the call flow: the last calls' recordings are still fetched
    // from it after the flow stops (see finish_recordings).
    let sim = Arc::new(sim);
    let flow = tokio::spawn(call_flow(Arc::clone(&sim), opts));
    app.run_until(async move {
        crate::startup::shutdown_signal().await;
        flow.abort();
        finish_recordings(&ctx).await;
        drop(sim);
    })
    .await?;
    Ok(())
}

/// Waits (a bounded while) for the recordings of the last calls to be fetched. The
/// simulator keeps them in memory and the app fetches each some seconds after its call
/// ends: stopping at once would leave jobs that the next start's new, empty simulator
/// can only refuse, with a warning at every retry. A second Ctrl-C stops at once.
async fn finish_recordings(ctx: &sb_service::Ctx) {
    let most = Duration::from_millis(RECORDING_DELAY_MS.unsigned_abs() + 10_000);
    let wait = async {
        let until = tokio::time::Instant::now() + most;
        let mut told = false;
        while tokio::time::Instant::now() < until {
            let pending = match ctx.db.conn().await {
                Ok(mut c) => sb_store::jobs::pending(&mut c, Some(RECORDING))
                    .await
                    .unwrap_or(0),
                Err(_) => 0,
            };
            if pending == 0 {
                break;
            }
            if !told {
                tracing::info!(
                    pending,
                    "fetching the last calls' recordings from the simulator (Ctrl-C again to stop now)"
                );
                told = true;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::select! {
        _ = wait => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn admin_actor(app: &App) -> anyhow::Result<Actor> {
    if let Some(fl) = &app.first_login {
        return Ok(Actor {
            user: fl.admin.clone(),
            account: fl.account.clone(),
        });
    }
    let ctx = &app.state.ctx;
    let email = Config::default().account.admin_email;
    let mut c = ctx.db.conn().await?;
    let (user, _) = sb_store::users::by_email(&mut c, &email)
        .await?
        .context("the demo database has no admin; delete data/demo.db and start again")?;
    let account = sb_store::accounts::get(&mut c, user.account_id)
        .await?
        .context("the admin's account is missing")?;
    Ok(Actor { user, account })
}

/// Installs the simulator as the account's Zadarma integration with the managers'
/// extensions bound, once; later starts only point it at the simulator's new port.
pub async fn install(
    ctx: &sb_service::Ctx,
    admin: &Actor,
    sim: &PbxSim,
    cfg: &SimConfig,
    managers: &[sb_domain::entities::User],
) -> anyhow::Result<sb_service::telephony::IntegrationView> {
    let installed = sb_service::telephony::list(ctx, admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(old) = installed.into_iter().next() {
        // The simulator listens on a new port each run: point the integration at it.
        let patch = serde_json::json!({ "base_url": sim.base_url() });
        return sb_service::telephony::update(ctx, admin, old.integration.id, patch, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"));
    }
    let settings = Settings {
        key: cfg.key.clone(),
        secret: cfg.secret.clone(),
        base_url: sim.base_url(),
        // A stranger's call becomes an incoming lead waiting in the inbox (with the
        // call on it) rather than a bare contact, so the demo shows that page at work.
        auto_create: AutoCreate::IncomingLead,
        ..Settings::default()
    };
    let v = sb_service::telephony::install(ctx, admin, "zadarma", "Zadarma (simulated)", settings)
        .await
        .map_err(|e| anyhow::anyhow!("installing the simulated PBX: {e}"))?;
    for (m, u) in MANAGERS.iter().zip(managers) {
        sb_service::telephony::bind_extension(ctx, admin, v.integration.id, m.ext, Some(u.id))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    sb_service::telephony::get(ctx, admin, v.integration.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A number nobody in the demo has (a mobile of one of the demo's markets), new each
/// time: with the integration's [`AutoCreate::IncomingLead`] each such call is one more
/// entry in the incoming-leads inbox.
fn stranger(rng: &mut impl Rng) -> String {
    // Country code and mobile prefix, then how many digits follow.
    const PLANS: [(&str, usize); 4] = [("346", 8), ("55119", 8), ("35191", 7), ("3670", 7)];
    let (prefix, digits) = PLANS.choose(rng).copied().unwrap_or(PLANS[0]);
    let mut n = prefix.to_string();
    for _ in 0..digits {
        n.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    n
}

/// Realistic calls: mostly known customers, some strangers; answered, missed, busy,
/// outgoing; with recordings. Bounded by `max_calls`.
async fn call_flow(sim: Arc<PbxSim>, opts: DemoOptions) {
    let scenarios = [
        (Scenario::IncomingAnswered, 5),
        (Scenario::IncomingMissed, 2),
        (Scenario::IncomingBusy, 1),
        (Scenario::Outgoing, 2),
        (Scenario::InternalTransfer, 1),
    ];
    for n in 0..opts.max_calls {
        let wait = {
            let mut rng = rand::thread_rng();
            opts.every_s * rng.gen_range(0.5..1.5)
        };
        tokio::time::sleep(Duration::from_secs_f64(wait.max(0.5))).await;
        let spec = {
            let mut rng = rand::thread_rng();
            let scenario = scenarios
                .choose_weighted(&mut rng, |s| s.1)
                .map(|s| s.0)
                .unwrap_or(Scenario::IncomingAnswered);
            let caller = if rng.gen_bool(0.75) {
                let (_, phone, _) = CONTACTS.choose(&mut rng).copied().unwrap_or(CONTACTS[0]);
                phone
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            } else {
                stranger(&mut rng)
            };
            let mut s = ScenarioSpec::new(scenario);
            s.caller = caller;
            s.talk_seconds = rng.gen_range(15..400);
            // A few seconds between the events, so that the pop-ups ring, show the
            // conversation's timer and end as a real call's would (faster).
            s.options.gap = Duration::from_millis(rng.gen_range(2_000..5_000));
            if scenario == Scenario::Outgoing {
                s.extensions = vec![["101", "102", "103"]
                    .choose(&mut rng)
                    .copied()
                    .unwrap_or("101")
                    .to_string()];
            }
            s
        };
        match sim.run_scenario(spec.clone()).await {
            Ok(r) => {
                tracing::info!(call = n + 1, scenario = %r.scenario, caller = %r.caller, disposition = %r.disposition, routed = ?r.routing, "demo call")
            }
            Err(e) => tracing::warn!(error = %sb_domain::report::Chain(&e), "demo call failed"),
        }
    }
}
