//! The built-in PBX simulator installed in a test app, as an admin sets up a PBX.

use crate::{json, TestApp};
use reqwest::Method;
use sb_pbxsim::{PbxSim, SimConfig};
use serde_json::json;

/// The simulator playing the app's Zadarma integration "Office PBX".
pub struct Pbx {
    pub sim: PbxSim,
    pub integration: i64,
    pub webhook_url: String,
}

impl TestApp {
    /// Starts the PBX simulator on 127.0.0.1, installs it as the app's Zadarma
    /// integration (through the API, as the admin), binds extension 101 to the admin
    /// and points the simulator's webhooks at the app. Keep the result alive as long
    /// as calls should flow.
    pub async fn install_simulator(&self) -> Pbx {
        let token = self.admin_token.clone();
        self.install_simulator_as(&token, self.admin.user.id.0)
            .await
    }

    /// [`TestApp::install_simulator`] by the admin whose API token is `token`, in their
    /// account, extension 101 bound to `user_id`.
    pub async fn install_simulator_as(&self, token: &str, user_id: i64) -> Pbx {
        let cfg = SimConfig::default();
        let sim = PbxSim::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let r = self
            .call(
                Method::POST,
                "/api/v4/telephony/integrations",
                Some(token),
                Some(json!({"key": cfg.key, "secret": cfg.secret, "base_url": sim.base_url(), "name": "Office PBX"})),
            )
            .await;
        assert_eq!(r.status(), 201, "install");
        let v = json(r).await;
        let integration = v["id"].as_i64().unwrap();
        let webhook_url = v["webhook_url"].as_str().unwrap().to_string();
        let r = self
            .call(
                Method::PUT,
                &format!("/api/v4/telephony/integrations/{integration}/extensions/101"),
                Some(token),
                Some(json!({"user_id": user_id})),
            )
            .await;
        assert_eq!(r.status(), 200, "bind extension");
        sim.set_webhook_url(Some(webhook_url.clone()));
        Pbx {
            sim,
            integration,
            webhook_url,
        }
    }
}
