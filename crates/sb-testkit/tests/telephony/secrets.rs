//! No secret reaches the logs or /metrics: a full telephony day (install, calls in and
//! out with a recording, a forged webhook, users with passwords, tokens, an OAuth client)
//! logged at debug level, then every secret it used is looked for in what was written.
//! nextest runs each test in a process of its own, so this test owns the global logger.

use crate::{contact, rig, value};
use sb_pbxsim::{Scenario, ScenarioSpec, SimConfig};
use sb_testkit::json;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_reaches_the_logs_or_the_metrics() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(logs.clone())
        .with_ansi(false)
        .init();

    let mut secrets: Vec<(&str, String)> = Vec::new();
    for app in sb_testkit::spawn_apps().await {
        let rig = rig(app).await;
        let app = &rig.app;
        let token = rig.webhook_url.rsplit('/').next().unwrap().to_string();
        assert!(token.len() >= 16, "the webhook token is a secret: {token}");
        secrets.push(("webhook token", token.clone()));
        secrets.push(("PBX secret", SimConfig::default().secret));
        secrets.push(("admin's bearer token", app.admin_token.clone()));

        // A manager with a password, and tokens of every kind.
        let password = "correct horse battery staple";
        let r = app
            .post(
                "/api/v4/users",
                json!([{"name": "Mia", "email": "mia@example.test", "password": password}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        secrets.push(("a user's password", password.to_string()));
        let r = app
            .post(
                "/api/v4/api_tokens",
                json!({"name": "integration", "user_id": app.admin.user.id.0}),
            )
            .await;
        assert_eq!(r.status(), 201);
        secrets.push(("an API token", value(&json(r).await, "access_token")));
        let r = app
            .post(
                "/api/v4/oauth_clients",
                json!({"name": "Widget", "redirect_uri": "https://widget.example/cb"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        secrets.push((
            "an OAuth client secret",
            value(&json(r).await, "client_secret"),
        ));

        // Calls in (answered, with its recording fetched and played) and out.
        contact(app, "Ana", "+34 600 111 222", app.admin.user.id.0).await;
        let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
        sp.caller = "34600111222".into();
        let report = rig.sim.run_scenario(sp).await.unwrap();
        assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
        app.drain_jobs().await;
        app.clock.advance(20_000);
        app.drain_jobs().await;
        let r = app
            .post("/api/v4/calls/dial", json!({"phone": "+34 600 111 222"}))
            .await;
        assert_eq!(r.status(), 200);
        rig.sim
            .wait_callback_reports(1, std::time::Duration::from_secs(10))
            .await;
        app.drain_jobs().await;

        // A forged webhook on the real URL, and one on a mistyped URL carrying the token.
        let client = reqwest::Client::new();
        let r = client
            .post(&rig.webhook_url)
            .form(&[("event", "NOTIFY_START"), ("caller_id", "34600111222")])
            .header("Signature", "forged")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        let r = client
            .post(format!("{}/hooks/zadarrma/{token}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        // A request with a bad bearer token.
        let r = client
            .get(format!("{}/api/v4/contacts", app.url))
            .bearer_auth("not-a-real-token-0123456789")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        let metrics = client
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("/hooks/{provider}/{token}"), "{metrics}");
        for (what, s) in &secrets {
            assert!(!metrics.contains(s.as_str()), "{what} is on /metrics");
        }
    }

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The log is there and says what happened, by route.
    assert!(text.contains("/hooks/{provider}/{token}"), "{text}");
    assert!(text.contains("user_id="), "requests name their user");
    for (what, s) in &secrets {
        assert!(!text.contains(s.as_str()), "{what} is in the log");
    }
    for (_, token) in secrets.iter().filter(|(what, _)| *what == "webhook token") {
        assert!(
            !text.contains(&token[..12]),
            "part of a webhook token is in the log"
        );
    }
}
