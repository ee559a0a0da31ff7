//! Settings or job payloads that cannot be read are errors and alerts, never defaults.

use crate::rigs;
use sb_domain::IntegrationId;
use sb_pbxsim::{Scenario, ScenarioSpec, SimConfig};
use sb_store::jobs::{self, NewJob};
use sb_testkit::{json, TestApp};
use serde_json::{json, Value};

/// What the webhook path writes for a call: its inbox events and session, and the
/// jobs queued (for any call).
async fn written(app: &TestApp, integration: i64, pbx_call: &str) -> (usize, bool, i64) {
    let mut c = app.ctx().db.conn().await.unwrap();
    let a = app.account().id;
    let inbox =
        sb_store::calls::list_inbox_for_call(&mut c, a, IntegrationId(integration), pbx_call)
            .await
            .unwrap()
            .len();
    let session =
        sb_store::calls::get_by_provider_id(&mut c, a, IntegrationId(integration), pbx_call)
            .await
            .unwrap()
            .is_some();
    let queued = jobs::pending(&mut c, None).await.unwrap();
    (inbox, session, queued)
}

async fn listed(app: &TestApp) -> Value {
    let v = json(app.get("/api/v4/telephony/integrations").await).await;
    v["_embedded"]["integrations"][0].clone()
}

#[tokio::test]
async fn unreadable_settings_refuse_webhooks_and_calls_and_alert_admins_until_saved_again() {
    for rig in rigs().await {
        let app = &rig.app;
        let id = rig.integration;
        // Not JSON at all, and JSON of the wrong shape.
        for corrupt in [
            "{\"key\": \"k\", \"secre",
            "{\"key\": \"k\", \"secret\": 9876543}",
        ] {
            app.ctx()
                .db
                .execute_admin(&format!(
                    "update integrations set settings = '{corrupt}' where id = {id}"
                ))
                .await
                .unwrap();
            // As another node's change would, or the snapshot's time running out.
            app.ctx().routes.invalidate();
            let queued = written(app, id, "none").await.2;
            let mut sp = ScenarioSpec::new(Scenario::IncomingMissed);
            sp.caller = "34655000111".into();
            let report = rig.sim.run_scenario(sp).await.unwrap();
            assert!(!report.webhooks.is_empty());
            assert!(
                report.webhooks.iter().all(|w| w.status == Some(503)),
                "correctly signed webhooks are refused with a 503 (the PBX retries): {:?}",
                report
                    .webhooks
                    .iter()
                    .map(|w| (&w.event, w.status))
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                written(app, id, &report.pbx_call_id).await,
                (0, false, queued),
                "nothing written"
            );
            app.drain_jobs().await;
            let found = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "655000111")
                .await
                .unwrap();
            assert!(found.is_empty(), "no card for the refused call");

            let i = listed(app).await;
            assert_eq!(i["alert"]["code"], "settings_unreadable", "{i}");
            assert!(i["alert"]["message"]
                .as_str()
                .unwrap()
                .contains("cannot be read"));
            assert!(i["settings"].is_null(), "{i}");
            let one = json(
                app.get(&format!("/api/v4/telephony/integrations/{id}"))
                    .await,
            )
            .await;
            assert_eq!(one["alert"], i["alert"]);
            assert!(
                !i["alert"].to_string().contains("9876543"),
                "no credential in the alert: {i}"
            );

            let r = app
                .post("/api/v4/calls/dial", json!({"phone": "+34611222333"}))
                .await;
            assert_eq!(r.status(), 400, "click-to-call is refused");
            let v = json(r).await;
            assert!(
                v["detail"].as_str().unwrap().contains("cannot be read"),
                "{v}"
            );

            // A patch of one switch cannot repair them; the whole settings can.
            let r = app
                .patch(
                    &format!("/api/v4/telephony/integrations/{id}"),
                    json!({"settings": {"blacklist": false}}),
                )
                .await;
            assert_eq!(r.status(), 400);
            let cfg = SimConfig::default();
            let r = app
                .patch(
                    &format!("/api/v4/telephony/integrations/{id}"),
                    json!({"settings": {"key": cfg.key, "secret": cfg.secret, "base_url": rig.sim.base_url()}}),
                )
                .await;
            assert_eq!(r.status(), 200, "saved again");
            let i = listed(app).await;
            assert!(i["alert"].is_null(), "the alert is gone: {i}");
            assert_eq!(i["settings"]["key"], cfg.key);

            let mut sp = ScenarioSpec::new(Scenario::IncomingMissed);
            sp.caller = "34655000222".into();
            let report = rig.sim.run_scenario(sp).await.unwrap();
            assert!(
                report.webhooks.iter().all(|w| w.status == Some(200)),
                "webhooks work again"
            );
            app.drain_jobs().await;
            let found = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "655000222")
                .await
                .unwrap();
            assert_eq!(found.len(), 1, "the call is handled again");
        }
    }
}

#[tokio::test]
async fn a_job_whose_payload_cannot_be_read_is_dead_after_one_run() {
    for rig in rigs().await {
        let app = &rig.app;
        let now = app.ctx().now();
        let mut ids = Vec::new();
        for (kind, payload) in [
            ("call.finalize", "{\"call_id\": \"in_1\""),
            ("call.recording", "{}"),
        ] {
            let mut tx = app.ctx().db.begin().await.unwrap();
            let id = jobs::enqueue(
                &mut tx,
                &NewJob {
                    account_id: app.account().id,
                    kind: kind.into(),
                    payload: payload.into(),
                    run_at: now,
                    max_attempts: 8,
                    dedup_key: None,
                },
                now,
            )
            .await
            .unwrap()
            .unwrap();
            tx.commit().await.unwrap();
            ids.push(id);
        }
        assert_eq!(app.drain_jobs().await, 2, "each ran once");
        let mut c = app.ctx().db.conn().await.unwrap();
        for id in ids {
            let j = jobs::get(&mut c, app.account().id, id)
                .await
                .unwrap()
                .unwrap();
            assert!(j.is_dead, "dead at once: {j:?}");
            assert_eq!(j.attempts, 1);
            let e = j.last_error.unwrap_or_default();
            assert!(e.contains("payload cannot be read"), "{e}");
        }
    }
}
