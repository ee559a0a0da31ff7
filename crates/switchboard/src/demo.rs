//! `switchboard demo`: the product's main job with no PBX contract (B4). One process:
//! the CRM, the built-in Zadarma simulator installed as the account's telephony,
//! demo data (managers with extensions, contacts, companies), and a steady flow of
//! realistic calls that land on the cards.

use crate::config::Config;
use crate::App;
use anyhow::Context;
use rand::seq::SliceRandom;
use rand::Rng;
use sb_domain::entities::{CardKind, Role};
use sb_domain::fields::{FieldValueInput, ValueInput};
use sb_domain::Rights;
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SimConfig};
use sb_service::cards::CardInput;
use sb_service::telephony::Settings;
use sb_service::users::NewUser;
use sb_service::Actor;
use std::time::Duration;

pub const DEMO_PASSWORD: &str = "switchboard-demo";

pub struct DemoOptions {
    /// Seconds between simulated calls (on average).
    pub every_s: f64,
    /// Stop the call flow after this many calls.
    pub max_calls: u64,
}

struct Manager {
    name: &'static str,
    email: &'static str,
    ext: &'static str,
    lang: &'static str,
}

const MANAGERS: [Manager; 3] = [
    Manager {
        name: "María López",
        email: "maria@demo.switchboard",
        ext: "101",
        lang: "es",
    },
    Manager {
        name: "João Silva",
        email: "joao@demo.switchboard",
        ext: "102",
        lang: "pt",
    },
    Manager {
        name: "Nagy Katalin",
        email: "katalin@demo.switchboard",
        ext: "103",
        lang: "hu",
    },
];

const CONTACTS: [(&str, &str, usize); 9] = [
    ("Lucía Fernández", "+34 600 111 222", 0),
    ("Javier Romero", "+34 611 234 567", 0),
    ("Carmen Ruiz", "+34 91 555 12 34", 0),
    ("Ana Beatriz Costa", "+55 11 98765 4321", 1),
    ("Pedro Almeida", "+351 912 345 678", 1),
    ("Mariana Souza", "+55 21 99876 5432", 1),
    ("Kovács Péter", "+36 30 123 4567", 2),
    ("Szabó Eszter", "+36 20 987 6543", 2),
    ("Tóth Gábor", "+36 1 234 5678", 2),
];

const COMPANIES: [(&str, &str, usize); 3] = [
    ("Construcciones Atlántico SL", "+34 93 555 01 01", 0),
    ("Lisboa Digital Lda", "+351 21 555 0202", 1),
    ("Duna Logisztika Kft", "+36 1 555 0303", 2),
];

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

    let flow = tokio::spawn(call_flow(sim, opts));
    app.run_until(crate::startup::shutdown_signal()).await?;
    flow.abort();
    Ok(())
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

fn phone_field(phone: &str) -> Option<Vec<FieldValueInput>> {
    Some(vec![FieldValueInput {
        field_id: None,
        field_code: Some("PHONE".into()),
        values: Some(vec![ValueInput {
            value: Some(phone.into()),
            enum_id: None,
            enum_code: Some("WORK".into()),
        }]),
    }])
}

/// Managers (created once) and the demo cards (created once).
async fn seed(
    ctx: &sb_service::Ctx,
    admin: &Actor,
) -> anyhow::Result<Vec<sb_domain::entities::User>> {
    let mut managers = Vec::new();
    for m in &MANAGERS {
        let u = match sb_service::users::by_email(ctx, admin, m.email)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            Some(u) => u,
            None => sb_service::users::create_user(
                ctx,
                admin,
                NewUser {
                    name: m.name.into(),
                    email: m.email.into(),
                    password: Some(DEMO_PASSWORD.into()),
                    role: Role::Manager,
                    group_id: None,
                    rights: Some(Rights::manager_default()),
                    lang: Some(m.lang.into()),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        managers.push(u);
    }
    let existing = sb_service::cards::find_by_phone(ctx, admin.account.id, CONTACTS[0].1)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if existing.is_empty() {
        let companies: Vec<CardInput> = COMPANIES
            .iter()
            .map(|(n, p, owner)| CardInput {
                name: Some((*n).into()),
                responsible_user_id: Some(managers[*owner].id.0),
                custom_fields_values: phone_field(p),
                ..Default::default()
            })
            .collect();
        let company_refs = sb_service::cards::create(ctx, admin, CardKind::Company, companies)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let contacts: Vec<CardInput> = CONTACTS
            .iter()
            .map(|(n, p, owner)| CardInput {
                name: Some((*n).into()),
                responsible_user_id: Some(managers[*owner].id.0),
                custom_fields_values: phone_field(p),
                company_id: Some(Some(company_refs[*owner].id)),
                ..Default::default()
            })
            .collect();
        sb_service::cards::create(ctx, admin, CardKind::Contact, contacts)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(managers)
}

async fn install(
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

/// Realistic calls: mostly known customers, some strangers; answered, missed, busy,
/// outgoing; with recordings. Bounded by `max_calls`.
async fn call_flow(sim: PbxSim, opts: DemoOptions) {
    let scenarios = [
        (Scenario::IncomingAnswered, 5),
        (Scenario::IncomingMissed, 2),
        (Scenario::IncomingBusy, 1),
        (Scenario::Outgoing, 2),
        (Scenario::InternalTransfer, 1),
    ];
    let strangers = ["34622000111", "34633444555", "5511912345678", "36701234567"];
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
                strangers
                    .choose(&mut rng)
                    .copied()
                    .unwrap_or(strangers[0])
                    .to_string()
            };
            let mut s = ScenarioSpec::new(scenario);
            s.caller = caller;
            s.talk_seconds = rng.gen_range(15..400);
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
