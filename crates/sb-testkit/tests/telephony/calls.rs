use crate::{contact, notes, open_tasks, played_recording, rigs};
use reqwest::Method;
use sb_domain::EntityKind;
use sb_pbxsim::{EventOrder, FailureMode, Routing, Scenario, ScenarioSpec};
use sb_testkit::json;
use serde_json::json;

fn spec(s: Scenario, caller: &str) -> ScenarioSpec {
    let mut sp = ScenarioSpec::new(s);
    sp.caller = caller.to_string();
    sp
}

#[tokio::test]
async fn a_known_caller_is_named_routed_to_the_owner_and_logged_with_the_recording() {
    for rig in rigs().await {
        let app = &rig.app;
        let cid = contact(app, "Иван Петров", "+34 600 111 222", app.admin.user.id.0).await;
        let report = rig
            .sim
            .run_scenario(spec(Scenario::IncomingAnswered, "34600111222"))
            .await
            .unwrap();
        let reply = report.start_reply.clone().unwrap();
        assert_eq!(
            reply.redirect.as_deref(),
            Some("101"),
            "routed to the owner's extension"
        );
        assert_eq!(
            reply.caller_name.as_deref(),
            Some("Ivan Petrov"),
            "name in Latin letters for the IP phone"
        );
        assert_eq!(report.routing, Routing::Extension("101".into()));
        assert!(
            report.webhooks.iter().all(|w| w.status == Some(200)),
            "{:?}",
            report.events()
        );
        app.drain_jobs().await;
        let n = notes(app, EntityKind::Contacts, cid).await;
        assert_eq!(n.len(), 1, "one call note on the card");
        assert_eq!(n[0].note_type, "call_in");
        assert_eq!(n[0].params["duration"], 47);
        assert_eq!(n[0].params["call_status"], 4);
        assert_eq!(n[0].params["call_responsible"], app.admin.user.id.0);
        assert_eq!(n[0].params["virtual_number"], "34911234567");
        let link = n[0].params["link"].as_str().unwrap().to_string();
        // The recording is fetched through the signed API a little later and kept locally.
        assert_eq!(app.get(&link).await.status(), 409, "not downloaded yet");
        app.clock.advance(20_000);
        app.drain_jobs().await;
        played_recording(app, &link).await;
        assert!(
            open_tasks(app).await.is_empty(),
            "an answered call leaves no task"
        );
    }
}

#[tokio::test]
async fn a_missed_call_from_an_unknown_number_creates_a_contact_and_one_callback_task() {
    for rig in rigs().await {
        let app = &rig.app;
        let report = rig
            .sim
            .run_scenario(spec(Scenario::IncomingMissed, "34655000111"))
            .await
            .unwrap();
        assert_eq!(
            report.routing,
            Routing::Default,
            "an unknown caller gets no redirect"
        );
        assert!(report.start_reply.unwrap().redirect.is_none());
        app.drain_jobs().await;
        let found = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "655000111")
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "the unknown caller became a contact");
        let n = notes(app, EntityKind::Contacts, found[0].id).await;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].params["call_status"], 6);
        let tasks = open_tasks(app).await;
        assert_eq!(tasks.len(), 1, "a call-back task");
        assert_eq!(
            tasks[0].responsible_user_id, app.admin.user.id,
            "for the default user"
        );
        assert!(tasks[0].text.contains("+34655000111"));
        // Another missed call from the same number within the hour: no second task.
        app.clock.advance(10 * 60 * 1000);
        rig.sim
            .run_scenario(spec(Scenario::IncomingMissed, "34655000111"))
            .await
            .unwrap();
        app.drain_jobs().await;
        assert_eq!(open_tasks(app).await.len(), 1);
        assert_eq!(
            notes(app, EntityKind::Contacts, found[0].id).await.len(),
            2,
            "both calls are on the card"
        );
        assert_eq!(
            sb_service::cards::find_by_phone(app.ctx(), app.account().id, "655000111")
                .await
                .unwrap()
                .len(),
            1,
            "no duplicate contact"
        );
        // After the hour, a new missed call is a new task.
        app.clock.advance(61 * 60 * 1000);
        rig.sim
            .run_scenario(spec(Scenario::IncomingMissed, "34655000111"))
            .await
            .unwrap();
        app.drain_jobs().await;
        assert_eq!(open_tasks(app).await.len(), 2);
    }
}

#[tokio::test]
async fn a_blacklisted_number_is_rejected_and_leaves_no_task() {
    for rig in rigs().await {
        let app = &rig.app;
        let r = app
            .post(
                "/api/v4/telephony/blacklist",
                json!({"phone": "+34 666 000 999", "note": "spam"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let r = app
            .post(
                "/api/v4/telephony/blacklist",
                json!({"phone": "0034666000999"}),
            )
            .await;
        assert_eq!(
            r.status(),
            409,
            "the same number in another format is already listed"
        );
        let report = rig
            .sim
            .run_scenario(spec(Scenario::Blacklisted, "34666000999"))
            .await
            .unwrap();
        assert_eq!(report.routing, Routing::Blacklist);
        assert!(report.rung.is_empty(), "no extension rang");
        app.drain_jobs().await;
        assert!(open_tasks(app).await.is_empty());
        assert!(
            sb_service::cards::find_by_phone(app.ctx(), app.account().id, "666000999")
                .await
                .unwrap()
                .is_empty(),
            "no contact for spam"
        );
        let list = json(app.get("/api/v4/telephony/blacklist").await).await;
        let id = list["_embedded"]["blacklist"][0]["id"].as_i64().unwrap();
        assert_eq!(list["_embedded"]["blacklist"][0]["phone"], "+34666000999");
        assert_eq!(
            app.call(
                Method::DELETE,
                &format!("/api/v4/telephony/blacklist/{id}"),
                Some(&app.admin_token.clone()),
                None
            )
            .await
            .status(),
            204
        );
        assert_eq!(app.get("/api/v4/telephony/blacklist").await.status(), 204);
    }
}

#[tokio::test]
async fn duplicated_and_shuffled_events_end_in_the_same_state() {
    for rig in rigs().await {
        let app = &rig.app;
        let cid = contact(app, "Ana", "+34 600 222 333", app.admin.user.id.0).await;
        for (i, order) in [
            EventOrder::EndFirst,
            EventOrder::Reverse,
            EventOrder::Shuffle { seed: 7 },
            EventOrder::RecordBeforeEnd,
        ]
        .into_iter()
        .enumerate()
        {
            let mut sp = spec(
                if i % 2 == 0 {
                    Scenario::IncomingMissed
                } else {
                    Scenario::IncomingAnswered
                },
                "34600222333",
            );
            sp.options.duplicate = true;
            sp.options.order = order;
            let report = rig.sim.run_scenario(sp).await.unwrap();
            assert!(
                report.webhooks.iter().all(|w| w.status == Some(200)),
                "{:?}",
                report
                    .webhooks
                    .iter()
                    .map(|w| (&w.event, w.status))
                    .collect::<Vec<_>>()
            );
            app.drain_jobs().await;
            app.clock.advance(20_000);
            app.drain_jobs().await;
            let n = notes(app, EntityKind::Contacts, cid).await;
            assert_eq!(
                n.len(),
                i + 1,
                "one note per call whatever the order ({order:?})"
            );
        }
        let n = notes(app, EntityKind::Contacts, cid).await;
        let answered = n.iter().filter(|n| n.params["call_status"] == 4).count();
        assert_eq!(answered, 2);
        assert_eq!(
            open_tasks(app).await.len(),
            1,
            "two missed calls within the hour: one task"
        );
    }
}

#[tokio::test]
async fn forged_webhooks_change_nothing() {
    for rig in rigs().await {
        let app = &rig.app;
        let body = "event=NOTIFY_END&call_start=2024-05-14+10%3A15%3A03&pbx_call_id=in_0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4&caller_id=34600111222&called_did=34911234567&duration=0&disposition=cancel&status_code=16&is_recorded=0&call_id_with_rec=";
        for sig in [
            None,
            Some("ZTdiNDdiYzNiYWYwMDU2MWZiMWIwNTBlM2Y4MjZkYTcyYzgwMGU5MA=="),
            Some("57R7w7rwBWH7GwUOP4JtpyyADpE="),
        ] {
            let mut rb = app
                .client
                .post(&rig.webhook_url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            if let Some(s) = sig {
                rb = rb.header("Signature", s);
            }
            let r = rb.send().await.unwrap();
            assert_eq!(r.status(), 401, "signature {sig:?}");
        }
        let r = app
            .client
            .post(&rig.webhook_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("garbage=%%%")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        let r = app
            .client
            .post(format!("{}x", rig.webhook_url))
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "an unknown webhook URL");
        app.drain_jobs().await;
        assert!(open_tasks(app).await.is_empty());
        assert!(
            sb_service::cards::find_by_phone(app.ctx(), app.account().id, "34600111222")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn click_to_call_rings_the_extension_then_the_customer_and_logs_the_call() {
    for rig in rigs().await {
        let app = &rig.app;
        let cid = contact(app, "Bea", "+34 611 222 333", app.admin.user.id.0).await;
        let r = app
            .post("/api/v4/calls/dial", json!({"phone": "+34 611 222 333"}))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["extension"], "101");
        let reports = rig
            .sim
            .wait_callback_reports(1, std::time::Duration::from_secs(10))
            .await;
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].rung, vec!["101".to_string()]);
        assert_eq!(reports[0].caller, "34611222333");
        app.drain_jobs().await;
        let n = notes(app, EntityKind::Contacts, cid).await;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].note_type, "call_out");
        // Errors come back clearly.
        let (_, t) = app
            .user_with("noext", sb_domain::Rights::manager_default(), None)
            .await;
        let r = app
            .call(
                Method::POST,
                "/api/v4/calls/dial",
                Some(&t),
                Some(json!({"phone": "+34611222333"})),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert!(json(r).await["detail"]
            .as_str()
            .unwrap()
            .contains("no PBX extension"));
        rig.sim.set_failure(FailureMode::NoMoney);
        let r = app
            .post("/api/v4/calls/dial", json!({"phone": "+34611222333"}))
            .await;
        assert_eq!(r.status(), 502);
        let v = json(r).await;
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains("refused the request"),
            "{v}"
        );
    }
}

#[tokio::test]
async fn bulk_call_logging_attaches_matched_calls_and_reports_the_rest() {
    for rig in rigs().await {
        let app = &rig.app;
        let cid = contact(app, "Carla", "+34 622 333 444", app.admin.user.id.0).await;
        // P6 off: an unknown number is reported, not created.
        app.patch(
            &format!("/api/v4/telephony/integrations/{}", rig.integration),
            json!({"settings": {"auto_create": "none"}}),
        )
        .await;
        let body = json!([
            {"uniq": "abc-1", "phone": "622333444", "source": "my_widget", "duration": 20, "call_status": 4, "direction": "inbound", "link": "https://pbx.test/r/1.mp3", "request_id": "0"},
            {"uniq": "abc-2", "phone": "+34 699 999 999", "source": "my_widget", "duration": 5, "direction": "outbound"},
            {"phone": "622333444", "source": "my_widget", "duration": 5, "direction": "sideways"}
        ]);
        let r = app.post("/api/v4/calls", body.clone()).await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_total_items"], 1);
        assert_eq!(v["_embedded"]["calls"][0]["entity_type"], "contact");
        assert_eq!(v["_embedded"]["calls"][0]["entity_id"], cid);
        assert_eq!(v["_embedded"]["calls"][0]["request_id"], "0");
        let errs = v["errors"].as_array().unwrap();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0]["request_id"], "1");
        assert_eq!(errs[1]["errors"][0]["path"], "direction");
        let n = notes(app, EntityKind::Contacts, cid).await;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].params["link"], "https://pbx.test/r/1.mp3");
        // Posting again (a retry) adds nothing.
        let again = json(app.post("/api/v4/calls", json!([body[0].clone()])).await).await;
        assert_eq!(
            again["_embedded"]["calls"][0]["id"],
            v["_embedded"]["calls"][0]["id"]
        );
        assert_eq!(notes(app, EntityKind::Contacts, cid).await.len(), 1);
        // P6 on: the unknown number becomes a contact.
        app.patch(
            &format!("/api/v4/telephony/integrations/{}", rig.integration),
            json!({"settings": {"auto_create": "contact", "auto_create_outgoing": true}}),
        )
        .await;
        let v = json(app.post("/api/v4/calls", json!([body[1].clone()])).await).await;
        assert_eq!(v["_total_items"], 1, "{v}");
        assert_eq!(
            sb_service::cards::find_by_phone(app.ctx(), app.account().id, "699999999")
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn the_live_stream_shows_who_is_calling_and_the_call_state() {
    for rig in rigs().await {
        let app = &rig.app;
        contact(app, "Dora", "+34 633 444 555", app.admin.user.id.0).await;
        let mut stream = live_stream(app).await;
        rig.sim
            .run_scenario(spec(Scenario::IncomingAnswered, "34633444555"))
            .await
            .unwrap();
        let text = until_ended(&mut stream, "the node").await;
        let ringing = text
            .split("\n\n")
            .find(|b| b.contains("event: ringing"))
            .expect("a ringing pop-up");
        assert!(ringing.contains("\"name\":\"Dora\""), "{ringing}");
        assert!(ringing.contains("\"phone\":\"+34633444555\""));
        assert!(ringing.contains("\"our_number\":\"34911234567\""));
        assert!(text.find("event: answered").unwrap() < text.find("event: ended").unwrap());
    }
}

#[tokio::test]
async fn calls_arriving_at_once_are_each_logged_once() {
    // Many calls in flight together: some events are committed by the request that
    // brought them, others wait and are written in batches by the event writer; each
    // call still ends as one session and one note, duplicates and reordering included.
    const CALLS: u64 = 24;
    for rig in rigs().await {
        let app = &rig.app;
        let cid = contact(app, "Busy Line", "+34 600 444 555", app.admin.user.id.0).await;
        let runs = (0..CALLS).map(|i| {
            let mut sp = spec(Scenario::IncomingAnswered, "34600444555");
            sp.options.duplicate = i % 2 == 0;
            if i % 3 == 0 {
                sp.options.order = EventOrder::Shuffle { seed: i };
            }
            rig.sim.run_scenario(sp)
        });
        for report in futures_util::future::join_all(runs).await {
            let report = report.unwrap();
            assert!(
                report.webhooks.iter().all(|w| w.status == Some(200)),
                "every delivery accepted"
            );
        }
        app.drain_jobs().await;
        app.clock.advance(20_000);
        app.drain_jobs().await;
        let n = notes(app, EntityKind::Contacts, cid).await;
        assert_eq!(n.len() as u64, CALLS, "one note per call");
        assert!(
            n.iter().all(|n| n.params["call_status"] == 4),
            "all answered"
        );
    }
}

#[tokio::test]
async fn the_live_pop_up_reaches_a_manager_connected_to_another_node() {
    // PostgreSQL: two nodes share the database; the PBX's webhooks reach node A while
    // the manager's browser is connected to node B (and another tab to node A).
    for rig in pg_rigs().await {
        let a = &rig.app;
        let b = a.another_node().await;
        contact(a, "Eva", "+34 644 555 666", a.admin.user.id.0).await;
        let mut streams = [live_stream(a).await, live_stream(&b).await];
        rig.sim
            .run_scenario(spec(Scenario::IncomingAnswered, "34644555666"))
            .await
            .unwrap();
        for (stream, node) in streams.iter_mut().zip(["node A", "node B"]) {
            let text = until_ended(stream, node).await;
            let ringing: Vec<&str> = text
                .split("\n\n")
                .filter(|b| b.contains("event: ringing"))
                .collect();
            assert_eq!(ringing.len(), 1, "one pop-up on {node}: {text}");
            assert!(ringing[0].contains("\"name\":\"Eva\""), "{}", ringing[0]);
            assert!(text.find("event: answered").unwrap() < text.find("event: ended").unwrap());
        }
    }
}

#[tokio::test]
async fn a_number_blacklisted_on_one_node_is_refused_by_the_others_at_once() {
    // PostgreSQL, two nodes: the PBX posts to node B, an admin blacklists a number on
    // node A. Node B keeps the integration in memory for a few seconds (routes::TTL);
    // A's change reaches it at once all the same.
    for rig in pg_rigs().await {
        let a = &rig.app;
        let b = a.another_node().await;
        rig.sim
            .set_webhook_url(Some(rig.webhook_url.replace(&a.url, &b.url)));
        let report = rig
            .sim
            .run_scenario(spec(Scenario::IncomingMissed, "34677000111"))
            .await
            .unwrap();
        assert_eq!(
            report.routing,
            Routing::Default,
            "node B knows the integration"
        );
        let r = a
            .post(
                "/api/v4/telephony/blacklist",
                json!({"phone": "+34 677 000 111"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        // Node B drops its snapshot when A's news arrives (an expired one is replaced,
        // not dropped).
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while b.ctx().routes.held() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "node A's news reaches node B"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let report = rig
            .sim
            .run_scenario(spec(Scenario::Blacklisted, "34677000111"))
            .await
            .unwrap();
        assert_eq!(report.routing, Routing::Blacklist);
    }
}

/// The rigs on PostgreSQL (the one backend where several nodes share a database).
async fn pg_rigs() -> Vec<crate::Rig> {
    rigs()
        .await
        .into_iter()
        .filter(|r| r.app.backend == sb_store::Backend::Postgres)
        .collect()
}

/// The admin's live pop-up stream (server-sent events) on one node.
async fn live_stream(
    node: &sb_testkit::TestApp,
) -> impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin {
    let r = node
        .client
        .get(format!("{}/api/v4/calls/live", node.url))
        .bearer_auth(&node.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    r.bytes_stream()
}

/// The stream's text up to the call's `ended` event (10 s at most).
async fn until_ended(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    node: &str,
) -> String {
    use futures_util::StreamExt;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !text.contains("event: ended") {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("live events arrive on {node}: {text}"))
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}
