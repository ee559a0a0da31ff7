//! No secret reaches the logs, /metrics, the API's and pages' answers or the database: a
//! full telephony day (install, calls in and out with a recording, a forged webhook, users
//! with passwords, tokens, an OAuth client) logged at debug level, then every secret it
//! used is looked for in what was written and answered, and in the database's rows and file.
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

        // Every answer an admin can read after the fact, from the API and the pages (not the
        // live-call stream, which never ends; its events carry no credential). The
        // webhook URL is shown to admins on the integration's views (it is pasted into the
        // PBX); no other secret is ever answered after its one-time display at creation.
        let id = rig.integration;
        let mut answers: Vec<(String, String)> = Vec::new();
        for path in [
            "/api/v4/telephony/integrations".to_string(),
            format!("/api/v4/telephony/integrations/{id}"),
            format!("/api/v4/telephony/integrations/{id}/pbx"),
            "/api/v4/telephony/alerts".into(),
            "/api/v4/telephony/statistics".into(),
            "/api/v4/users".into(),
            "/api/v4/api_tokens".into(),
            "/api/v4/oauth_clients".into(),
            "/api/v4/calls".into(),
            "/api/v4/account".into(),
            "/api/v4/events".into(),
            "/api/v4/contacts".into(),
        ] {
            let r = app.get(&path).await;
            assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
            answers.push((path, r.text().await.unwrap()));
        }
        let browser = sb_testkit::ui::Browser::admin(app).await;
        for path in [
            "/".to_string(),
            "/settings/telephony".into(),
            format!("/settings/telephony/{id}"),
            "/settings/users".into(),
            "/calls/live".into(),
            "/calls/statistics".into(),
            "/calls/log.csv".into(),
            "/alerts".into(),
            "/profile".into(),
        ] {
            let p = browser.get(&path).await;
            assert!(p.status < 500, "{path}: {}", p.status);
            answers.push((path, p.body));
        }
        let shows_url = |path: &str| {
            path.starts_with("/api/v4/telephony/integrations") && !path.ends_with("/pbx")
                || path.starts_with("/settings/telephony")
        };
        for (path, body) in &answers {
            for (what, s) in &secrets {
                if *what == "webhook token" && shows_url(path) {
                    continue;
                }
                assert!(
                    !body.contains(s.as_str()),
                    "{what} is in the answer to {path}"
                );
            }
        }
        // The settings page still shows the webhook URL to paste into the PBX.
        let page = &answers
            .iter()
            .find(|(p, _)| *p == format!("/settings/telephony/{id}"))
            .unwrap()
            .1;
        assert!(page.contains(&token), "the page shows the webhook URL");

        // The database: the integrations' rows as stored, and the SQLite file itself.
        let mut c = app.ctx().db.conn().await.unwrap();
        let rows = sb_store::integrations::all_accounts(&mut c).await.unwrap();
        drop(c);
        assert!(!rows.is_empty());
        let stored = serde_json::to_string(&rows).unwrap();
        for (what, s) in &secrets {
            assert!(
                !stored.contains(s.as_str()),
                "{what} is in the integrations' rows"
            );
        }
        if let Some(path) = sqlite_path(app.db_url()) {
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            for (what, s) in &secrets {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{what} is in the SQLite file"
                );
            }
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

/// The file of a `sqlite://path?...` URL.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://")?;
    Some(rest.split('?').next().unwrap_or(rest).to_string())
}
