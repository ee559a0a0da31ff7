//! Data for specs/telephony-settings.spec.mjs.

use super::SpecData;
use sb_domain::Rights;
use sb_testkit::TestApp;

/// The PBX simulator installed as the account's integration (extension 101 bound to the
/// admin), two managers, Ana with extension 100 and Bea without one, and a blacklisted
/// number. The integration's id goes to the spec as SB_INTEGRATION; the simulator is
/// returned so that it answers while the spec runs.
pub async fn data(app: &TestApp) -> SpecData {
    let pbx = app.install_simulator().await;
    let (ana, _) = app.user_with("Ana", Rights::manager_default(), None).await;
    let (bea, _) = app.user_with("Bea", Rights::manager_default(), None).await;
    sb_service::telephony::bind_extension(
        app.ctx(),
        &app.admin,
        sb_domain::IntegrationId(pbx.integration),
        "100",
        Some(ana.id),
    )
    .await
    .unwrap();
    sb_service::telephony::blacklist_add(app.ctx(), &app.admin, "911 234 567", "Robocalls")
        .await
        .unwrap();
    (
        vec![
            ("SB_INTEGRATION".into(), pbx.integration.to_string()),
            ("SB_ANA".into(), ana.name.clone()),
            ("SB_BEA".into(), bea.name.clone()),
        ],
        Some(pbx.sim),
    )
}
