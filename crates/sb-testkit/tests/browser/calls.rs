//! Data for specs/calls.spec.mjs: the PBX simulator as the account's telephony, two
//! managers with extensions (Maria on 102, Bob on 100), Maria's customer Marta Ruiz, and
//! a small control server on 127.0.0.1 through which the spec makes the simulator call
//! (`POST /ring`), reads the click-to-call requests it received (`GET /callbacks`) and
//! sets its failure mode (`POST /failure`).

use super::SpecData;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use sb_domain::Rights;
use sb_pbxsim::{FailureMode, PbxSim, Scenario, ScenarioSpec};
use sb_testkit::ui::{manager, PASSWORD};
use sb_testkit::TestApp;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

async fn bind(app: &TestApp, pbx: i64, ext: &str, user: i64) {
    let r = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v4/telephony/integrations/{pbx}/extensions/{ext}"),
            Some(&app.admin_token.clone()),
            Some(json!({"user_id": user})),
        )
        .await;
    assert_eq!(r.status(), 200);
}

pub async fn data(app: &TestApp) -> SpecData {
    let pbx = app.install_simulator().await;
    let maria = manager(app, "Maria", Rights::manager_default(), "en").await;
    let bob = manager(app, "Bob", Rights::manager_default(), "en").await;
    bind(app, pbx.integration, "102", maria.id.0).await;
    bind(app, pbx.integration, "100", bob.id.0).await;
    let r = app
        .post(
            "/api/v4/contacts",
            json!([{"name": "Marta Ruiz", "responsible_user_id": maria.id.0,
                "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34 600 123 987", "enum_code": "WORK"}]}]}]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let contact = sb_testkit::json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let control = control(Arc::new(pbx.sim)).await;
    (
        vec![
            ("SB_CALLS_CONTROL".into(), control),
            ("SB_MARIA".into(), maria.email),
            ("SB_BOB".into(), bob.email),
            ("SB_MANAGER_PASSWORD".into(), PASSWORD.into()),
            ("SB_CALLS_CONTACT".into(), contact.to_string()),
        ],
        None,
    )
}

/// Starts the control server (it lives, with the simulator, until the test ends).
async fn control(sim: Arc<PbxSim>) -> String {
    let app = Router::new()
        .route("/ring", post(ring))
        .route("/callbacks", get(callbacks))
        .route("/failure", post(failure))
        .with_state(sim);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// `{"caller", "ext", "scenario": "answered"|"missed", "gap_ms"}`: the call runs in the
/// background, one event every `gap_ms`.
async fn ring(State(sim): State<Arc<PbxSim>>, Json(b): Json<Value>) -> Json<Value> {
    let mut sp = ScenarioSpec::new(match b["scenario"].as_str() {
        Some("missed") => Scenario::IncomingMissed,
        _ => Scenario::IncomingAnswered,
    });
    sp.caller = b["caller"].as_str().unwrap_or("34600123987").into();
    sp.extensions = vec![b["ext"].as_str().unwrap_or("102").into()];
    sp.options.gap = Duration::from_millis(b["gap_ms"].as_u64().unwrap_or(1000).min(10_000));
    tokio::spawn(async move {
        if let Err(e) = sim.run_scenario(sp).await {
            eprintln!("simulated call failed: {e}");
        }
    });
    Json(json!({"started": true}))
}

async fn callbacks(State(sim): State<Arc<PbxSim>>) -> Json<Value> {
    let all: Vec<Value> = sim
        .callback_reports()
        .iter()
        .map(|r| json!({"rung": r.rung, "caller": r.caller}))
        .collect();
    Json(json!(all))
}

async fn failure(State(sim): State<Arc<PbxSim>>, Json(b): Json<Value>) -> Json<Value> {
    sim.set_failure(match b["mode"].as_str() {
        Some("no_money") => FailureMode::NoMoney,
        _ => FailureMode::None,
    });
    Json(json!({"ok": true}))
}
