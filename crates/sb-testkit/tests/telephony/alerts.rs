//! The admins' notification centre (V9): refused webhooks, an unreachable PBX and
//! recordings given up reach the admins as counted alerts, with what to do and a link
//! to the setting, in their language; managers see no bell; a dismissed alert comes
//! back when the problem happens again.

use crate::{contact, rig, rigs, Rig};
use reqwest::Method;
use sb_domain::entities::Role;
use sb_domain::Rights;
use sb_pbxsim::{FailureMode, Scenario, ScenarioSpec};
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{json, TestApp};
use serde_json::{json, Value};

/// The open alerts as the API gives them (none: an empty list).
async fn alerts(app: &TestApp) -> Vec<Value> {
    let r = app.get("/api/v4/telephony/alerts").await;
    if r.status() == 204 {
        return vec![];
    }
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["alerts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn forged_webhook(rig: &Rig) -> u16 {
    reqwest::Client::new()
        .post(&rig.webhook_url)
        .form(&[
            ("event", "NOTIFY_START"),
            ("call_start", "2026-12-03 10:00:00"),
            ("pbx_call_id", "in_forged"),
            ("caller_id", "34600111222"),
            ("called_did", "34910000000"),
        ])
        .header("Signature", "forged")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn calls_stored(app: &TestApp) -> usize {
    let mut c = app.ctx().db.conn().await.unwrap();
    let f = sb_store::calls::CallFilter {
        limit: 100,
        ..Default::default()
    };
    sb_store::calls::list(&mut c, app.account().id, &f)
        .await
        .unwrap()
        .len()
}

/// The bell's badge on the dashboard, as its text ("" when there is none).
fn badge(body: &str) -> String {
    let Some(i) = body.find("class=\"bell-count\" aria-hidden=\"true\">") else {
        return String::new();
    };
    let rest = &body[i + "class=\"bell-count\" aria-hidden=\"true\">".len()..];
    rest[..rest.find('<').unwrap()].to_string()
}

#[tokio::test]
async fn forged_webhooks_are_refused_and_counted_for_the_admins_only() {
    for rig in rigs().await {
        let app = &rig.app;
        for _ in 0..3 {
            assert_eq!(forged_webhook(&rig).await, 401);
        }
        assert_eq!(
            calls_stored(app).await,
            0,
            "a forged webhook records no call"
        );

        let a = alerts(app).await;
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0]["code"], "webhook_bad_signature");
        assert_eq!(a[0]["count"], 3);
        assert_eq!(a[0]["integration_id"], rig.integration);
        assert_eq!(a[0]["integration_name"], "Office PBX");
        let settings = format!("/settings/telephony/{}", rig.integration);
        assert!(a[0]["_links"]["settings"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&settings));

        // The admin's bell shows one open alert; the page says what happened and what to do.
        let admin = Browser::admin(app).await;
        let home = admin.get("/").await;
        home.assert_status(200)
            .assert_has("href=\"/alerts\"")
            .assert_has("aria-label=\"Integration alerts: 1 open\"");
        assert_eq!(badge(&home.body), "1");
        admin
            .get("/alerts")
            .await
            .assert_status(200)
            .assert_has("Webhooks refused: bad signature")
            .assert_has("Happened 3 times")
            .assert_has("Make sure the key and secret saved here")
            .assert_has(&format!("href=\"{settings}\""))
            .assert_has(">Dismiss</button>");

        // A manager has no bell, no page and no API for them.
        manager(app, "Mia", Rights::manager_default(), "en").await;
        let m = Browser::sign_in(app, "mia@example.test", PASSWORD).await;
        m.get("/")
            .await
            .assert_status(200)
            .assert_lacks("href=\"/alerts\"");
        m.get("/alerts").await.assert_status(403);
        let (_, token) = app.user_with("Max", Rights::manager_default(), None).await;
        let r = app
            .call(Method::GET, "/api/v4/telephony/alerts", Some(&token), None)
            .await;
        assert_eq!(r.status(), 403);
    }
}

#[tokio::test]
async fn webhooks_from_outside_the_allow_list_are_refused_and_counted() {
    for rig in rigs().await {
        let app = &rig.app;
        let r = app
            .patch(
                &format!("/api/v4/telephony/integrations/{}", rig.integration),
                json!({"settings": {"ip_allowlist": ["185.45.152.40/30"]}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
        sp.caller = "34600111222".into();
        let report = rig.sim.run_scenario(sp).await.unwrap();
        assert!(!report.webhooks.is_empty());
        assert!(
            report.webhooks.iter().all(|w| w.status == Some(403)),
            "{:?}",
            report.webhooks.iter().map(|w| w.status).collect::<Vec<_>>()
        );
        assert_eq!(calls_stored(app).await, 0);

        let a = alerts(app).await;
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0]["code"], "webhook_forbidden_source");
        assert_eq!(a[0]["count"], report.webhooks.len());
        assert!(a[0]["detail"].as_str().unwrap().contains("127.0.0.1"));
        let page = Browser::admin(app).await.get("/alerts").await;
        page.assert_status(200)
            .assert_has("Webhooks refused: address not allowed")
            .assert_has("127.0.0.1")
            .assert_has("href=\"/settings/telephony\"");
    }
}

#[tokio::test]
async fn a_recording_given_up_raises_the_alert_and_dismissed_it_comes_back_next_time() {
    for rig in rigs().await {
        let app = &rig.app;
        contact(app, "Ana Gómez", "+34 600 333 444", app.admin.user.id.0).await;
        let call = |caller: &'static str| {
            let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
            sp.caller = caller.into();
            sp
        };
        // The PBX's API fails from now on: the recording's attempts all fail.
        rig.sim.set_failure(FailureMode::ServerError);
        let report = rig.sim.run_scenario(call("34600333444")).await.unwrap();
        assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
        let give_up = || async {
            for _ in 0..20 {
                app.drain_jobs().await;
                app.clock.advance(3_600_000);
            }
        };
        give_up().await;
        let a = alerts(app).await;
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0]["code"], "recording_failed");
        assert_eq!(a[0]["count"], 1);

        let admin = Browser::admin(app).await;
        admin
            .get("/alerts")
            .await
            .assert_has("Call recordings could not be fetched");
        let done = admin
            .post_form(
                "/alerts/dismiss",
                &[
                    ("integration_id", &rig.integration.to_string()),
                    ("code", "recording_failed"),
                ],
            )
            .await;
        done.assert_status(303);
        admin
            .get("/alerts")
            .await
            .assert_lacks("Call recordings could not be fetched")
            .assert_has("No problems.");
        assert_eq!(badge(&admin.get("/").await.body), "");
        assert!(alerts(app).await.is_empty());

        // The next recording given up brings it back, counted from then.
        rig.sim.run_scenario(call("34600333444")).await.unwrap();
        give_up().await;
        let a = alerts(app).await;
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0]["code"], "recording_failed");
        assert_eq!(a[0]["count"], 1);
        // (Hours have passed: the admin signs in again.)
        let admin = Browser::admin(app).await;
        assert_eq!(badge(&admin.get("/").await.body), "1");
    }
}

#[tokio::test]
async fn a_spanish_admin_reads_the_alerts_in_spanish_and_an_unreachable_pbx_is_one() {
    for app in sb_testkit::spawn_apps().await {
        let rig = rig(app).await;
        let app = &rig.app;
        sb_service::users::create_user(
            app.ctx(),
            &app.admin,
            sb_service::users::NewUser {
                name: "Lucía".into(),
                email: "lucia@example.test".into(),
                password: Some(PASSWORD.into()),
                role: Role::Admin,
                group_id: None,
                rights: None,
                lang: Some("es".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(forged_webhook(&rig).await, 401);
        // The PBX goes away: click-to-call fails, and the admins are told.
        let Rig {
            sim, integration, ..
        } = rig;
        sim.shutdown().await;
        let r = app
            .post("/api/v4/calls/dial", json!({"phone": "+34 600 111 222"}))
            .await;
        assert_eq!(r.status(), 502);
        let codes: Vec<Value> = alerts(app)
            .await
            .iter()
            .map(|a| a["code"].clone())
            .collect();
        assert!(codes.contains(&json!("pbx_unreachable")), "{codes:?}");

        let b = Browser::sign_in(app, "lucia@example.test", PASSWORD).await;
        let home = b.get("/").await;
        home.assert_has("aria-label=\"Avisos de integraciones: 2 abiertos\"");
        b.get("/alerts")
            .await
            .assert_status(200)
            .assert_has("Webhooks rechazados: firma no válida")
            .assert_has("Ocurrió una vez")
            .assert_has("No se puede conectar con la centralita")
            .assert_has(&format!("href=\"/settings/telephony/{integration}\""))
            .assert_has(">Descartar</button>");
    }
}
