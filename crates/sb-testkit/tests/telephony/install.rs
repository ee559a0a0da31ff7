use crate::rig;
use reqwest::Method;
use sb_pbxsim::{FailureMode, PbxSim, SimConfig};
use sb_testkit::{json, spawn_apps};
use serde_json::json;

#[tokio::test]
async fn install_is_validated_against_the_pbx() {
    for app in spawn_apps().await {
        let sim = PbxSim::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let r = app.post("/api/v4/telephony/integrations", json!({"key": "a1b2c3d4e5f6a7b8c9d0", "secret": "wrong-secret", "base_url": sim.base_url()})).await;
        assert_eq!(r.status(), 502);
        let v = json(r).await;
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains("refused the key and secret"),
            "{v}"
        );
        let r = app
            .post(
                "/api/v4/telephony/integrations",
                json!({"key": "k", "secret": "s", "base_url": "http://127.0.0.1:1"}),
            )
            .await;
        assert_eq!(r.status(), 502);
        assert!(json(r).await["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"));
        assert_eq!(
            app.get("/api/v4/telephony/integrations").await.status(),
            204,
            "nothing installed"
        );
        let (_, mgr) = app
            .user_with("mgr", sb_domain::Rights::manager_default(), None)
            .await;
        let r = app.call(Method::POST, "/api/v4/telephony/integrations", Some(&mgr), Some(json!({"key": "a1b2c3d4e5f6a7b8c9d0", "secret": "0123456789abcdefABCD", "base_url": sim.base_url()}))).await;
        assert_eq!(r.status(), 403, "only admins install");
    }
}

#[tokio::test]
async fn settings_show_balance_extensions_and_the_webhook_url() {
    for app in spawn_apps().await {
        let rig = rig(app).await;
        let app = &rig.app;
        let v = json(
            app.get(&format!(
                "/api/v4/telephony/integrations/{}/pbx",
                rig.integration
            ))
            .await,
        )
        .await;
        assert_eq!(v["balance"], 18.1636);
        let exts = v["extensions"].as_array().unwrap();
        assert_eq!(exts.len(), 3);
        let e101 = exts.iter().find(|e| e["extension"] == "101").unwrap();
        assert_eq!(
            e101["available"], false,
            "a bound extension is not offered to another user"
        );
        // one extension per user, one user per extension
        let (u, _) = app
            .user_with("other", sb_domain::Rights::manager_default(), None)
            .await;
        let r = app
            .call(
                Method::PUT,
                &format!(
                    "/api/v4/telephony/integrations/{}/extensions/101",
                    rig.integration
                ),
                Some(&app.admin_token.clone()),
                Some(json!({"user_id": u.id.0})),
            )
            .await;
        assert_eq!(r.status(), 409);
        let v = json(
            app.get(&format!(
                "/api/v4/telephony/integrations/{}",
                rig.integration
            ))
            .await,
        )
        .await;
        assert!(
            v["settings"].get("secret").is_none(),
            "the secret is never shown"
        );
        assert_eq!(v["settings"]["route_to_owner"], true);
        // switches
        let r = app
            .patch(
                &format!("/api/v4/telephony/integrations/{}", rig.integration),
                json!({"settings": {"missed_call_tasks": false}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["settings"]["missed_call_tasks"], false);
        // echo validation (the PBX checks the URL this way)
        let r = app
            .client
            .get(format!("{}?zd_echo=abc123", rig.webhook_url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "abc123");
        rig.sim.set_failure(FailureMode::ServerError);
        let r = app
            .get(&format!(
                "/api/v4/telephony/integrations/{}/pbx",
                rig.integration
            ))
            .await;
        assert_eq!(r.status(), 502);
    }
}
