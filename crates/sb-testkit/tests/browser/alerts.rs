//! Data for specs/alerts.spec.mjs.

use super::SpecData;
use sb_testkit::TestApp;
use serde_json::json;

/// For alerts.spec.mjs: two open alerts, three forged webhooks (bad signature) and an
/// unreachable PBX (click-to-call after the simulator stopped).
pub async fn data(app: &TestApp) -> SpecData {
    let pbx = app.install_simulator().await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .post(&pbx.webhook_url)
            .form(&[("event", "NOTIFY_START"), ("caller_id", "34600111222")])
            .header("Signature", "forged")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    pbx.sim.shutdown().await;
    let r = app
        .post("/api/v4/calls/dial", json!({"phone": "+34 600 111 222"}))
        .await;
    assert_eq!(r.status(), 502);
    (vec![], None)
}
