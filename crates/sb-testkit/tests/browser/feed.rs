//! Data for specs/feed.spec.mjs.

use super::SpecData;
use sb_pbxsim::{Scenario, ScenarioSpec};
use sb_testkit::TestApp;
use serde_json::json;

/// The feed spec's card: a contact with an answered, recorded call from the PBX
/// simulator; its id goes to the spec as SB_FEED_CONTACT. The simulator is returned so
/// that it lives as long as the spec runs.
pub async fn data(app: &TestApp) -> SpecData {
    let sim = app.install_simulator().await.sim;
    let r = app
        .post(
            "/api/v4/contacts",
            json!([{"name": "Marta Ruiz", "responsible_user_id": app.admin.user.id.0,
                "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34 600 123 987"}]}]}]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let contact = sb_testkit::json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    app.clock.advance(1_000);
    let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
    sp.caller = "34600123987".into();
    let report = sim.run_scenario(sp).await.unwrap();
    assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
    app.drain_jobs().await;
    app.clock.advance(20_000);
    app.drain_jobs().await;
    app.clock.advance(1_000);
    (
        vec![("SB_FEED_CONTACT".into(), contact.to_string())],
        Some(sim),
    )
}
