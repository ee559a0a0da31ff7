//! Data for specs/statistics.spec.mjs.

use super::SpecData;
use sb_pbxsim::{Scenario, ScenarioSpec};
use sb_testkit::TestApp;

/// The statistics spec's calls, all today and on the admin's extension 101: two answered
/// incoming calls (47 s and 73 s), one missed and one outgoing (40 s). The spec expects
/// incoming 3, outgoing 1, answered 3, missed 1, missed and not called back 1, talk time
/// 2:40 (160 s). The simulator is returned so that it lives as long as the spec runs.
pub async fn data(app: &TestApp) -> SpecData {
    app.ctx()
        .db
        .execute_admin("update accounts set timezone = 'UTC'")
        .await
        .unwrap();
    let sim = app.install_simulator().await.sim;
    for (scenario, number, talk) in [
        (Scenario::IncomingAnswered, "34600123987", 47),
        (Scenario::IncomingAnswered, "34600123988", 73),
        (Scenario::IncomingMissed, "34600123989", 0),
        (Scenario::Outgoing, "34600123990", 40),
    ] {
        let mut sp = ScenarioSpec::new(scenario);
        sp.caller = number.into();
        sp.extensions = vec!["101".into()];
        sp.talk_seconds = talk;
        let report = sim.run_scenario(sp).await.unwrap();
        assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
        app.drain_jobs().await;
        app.clock.advance(1_000);
    }
    (
        vec![("SB_STATS_MANAGER".into(), app.admin.user.name.clone())],
        Some(sim),
    )
}
