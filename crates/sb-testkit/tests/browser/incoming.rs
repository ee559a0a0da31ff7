//! Data for specs/incoming.spec.mjs.

use super::Env;
use sb_testkit::TestApp;

/// For incoming.spec.mjs: three web-form leads waiting in the incoming stage and a lead
/// to link one of them to (the spec finds them by these names).
pub async fn data(app: &TestApp) -> Env {
    let main = sb_service::pipelines::list(app.ctx(), &app.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.is_main)
        .unwrap();
    let incoming = main.incoming_status().unwrap().id.0;
    for name in [
        "Web form: Ana",
        "Web form: spam",
        "Question about the big deal",
    ] {
        app.clock.advance(1000);
        let r = app
            .post(
                "/api/v4/leads",
                serde_json::json!([{"name": name, "pipeline_id": main.id.0, "status_id": incoming}]),
            )
            .await;
        assert_eq!(r.status(), 200, "seed {name}");
    }
    let r = app
        .post("/api/v4/leads", serde_json::json!([{"name": "Big deal"}]))
        .await;
    assert_eq!(r.status(), 200, "seed the target");
    vec![]
}
