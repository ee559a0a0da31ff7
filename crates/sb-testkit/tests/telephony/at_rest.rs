//! Secrets at rest: integrations are stored sealed with the configured key, a node with
//! another key says so instead of running on garbage, and rows stored in clear before
//! encryption are sealed at the next start and keep working.

use crate::rigs;
use sb_domain::integrations::Integration;
use sb_domain::IntegrationId;
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SimConfig};
use sb_testkit::{json, TestApp};
use serde_json::json;
use switchboard::config::KeyText;

/// The integration's row as the database holds it.
async fn stored(app: &TestApp, id: IntegrationId) -> Integration {
    let mut c = app.ctx().db.conn().await.unwrap();
    sb_store::integrations::all_accounts(&mut c)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.id == id)
        .unwrap()
}

#[tokio::test]
async fn a_node_with_another_key_says_so_and_refuses_the_integration() {
    for rig in rigs().await {
        let app = &rig.app;
        let path = format!("/api/v4/telephony/integrations/{}", rig.integration);
        let secret = SimConfig::default().secret;
        let row =
            serde_json::to_string(&stored(app, IntegrationId(rig.integration)).await).unwrap();
        assert!(!row.contains(&secret), "the PBX secret is sealed: {row}");

        let other = app
            .another_node_with(|c| c.secret_key = Some(KeyText::new(&"11".repeat(32))))
            .await;
        let v = json(other.get(&path).await).await;
        assert_eq!(v["alert"]["code"], "settings_unreadable", "{v}");
        let message = v["alert"]["message"].as_str().unwrap();
        assert!(message.contains("secret key"), "{message}");
        assert!(v["settings"].is_null(), "{v}");
        assert!(!v.to_string().contains(&secret));
        // Click-to-call through it is refused, naming the integration and the cause.
        let r = other
            .post("/api/v4/calls/dial", json!({"phone": "+34 600 111 222"}))
            .await;
        assert!(r.status().is_client_error(), "{}", r.status());
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Office PBX") && body.contains("secret key"),
            "{body}"
        );
        // Nothing was rewritten: the node with the right key still reads it.
        let v = json(app.get(&path).await).await;
        assert!(v["alert"].is_null(), "{v}");
        assert_eq!(v["settings"]["key"], SimConfig::default().key.as_str());
    }
}

#[tokio::test]
async fn integrations_stored_in_clear_are_sealed_at_start_and_keep_working() {
    for app in sb_testkit::spawn_apps().await {
        let cfg = SimConfig::default();
        let sim = PbxSim::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        // As a version before encryption wrote it.
        let token = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let id = IntegrationId(app.ctx().next_id());
        let clear = Integration {
            id,
            account_id: app.account().id,
            provider: "zadarma".into(),
            name: "Old PBX".into(),
            settings: json!({"key": cfg.key, "secret": cfg.secret, "base_url": sim.base_url()}),
            webhook_token: token.into(),
            webhook_token_sealed: String::new(),
            default_user_id: Some(app.admin.user.id),
            is_active: true,
            created_at: 1,
            updated_at: 1,
        };
        let mut tx = app.ctx().db.begin().await.unwrap();
        sb_store::integrations::insert(&mut tx, &clear)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // The next start (a node starting on the database) seals it, once.
        let node = app.another_node().await;
        let sealed = stored(&node, id).await;
        let row = serde_json::to_string(&sealed).unwrap();
        assert!(!row.contains(&cfg.secret) && !row.contains(token), "{row}");
        assert_eq!(
            sb_service::telephony::at_rest::seal_stored(node.ctx())
                .await
                .unwrap(),
            0,
            "sealed rows are left alone"
        );
        assert_eq!(stored(&node, id).await, sealed);

        // The admin sees the same URL and settings, and the PBX's webhooks are taken.
        let v = json(
            node.get(&format!("/api/v4/telephony/integrations/{}", id.0))
                .await,
        )
        .await;
        assert!(v["alert"].is_null(), "{v}");
        assert_eq!(v["settings"]["key"], cfg.key.as_str());
        let url = v["webhook_url"].as_str().unwrap().to_string();
        assert!(url.ends_with(&format!("/hooks/zadarma/{token}")), "{url}");
        sim.set_webhook_url(Some(url));
        let report = sim
            .run_scenario(ScenarioSpec::new(Scenario::IncomingMissed))
            .await
            .unwrap();
        assert!(!report.webhooks.is_empty());
        assert!(
            report.webhooks.iter().all(|w| w.status == Some(200)),
            "{:?}",
            report
                .webhooks
                .iter()
                .map(|w| (&w.event, w.status))
                .collect::<Vec<_>>()
        );
    }
}
