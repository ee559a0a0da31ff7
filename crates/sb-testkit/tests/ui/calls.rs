//! Telephony in the browser: the live socket behind the call pop-ups (who gets which
//! call, re-sync after a reconnect, refused origins), click-to-call from the UI with
//! readable failures, the call's result on its note, "create contact" from a pop-up,
//! the card's blacklist button and the live board. Calls come from the PBX simulator.

use futures_util::{SinkExt, StreamExt};
use sb_domain::Rights;
use sb_pbxsim::{FailureMode, Scenario, ScenarioSpec};
use sb_service::cards::CardInput;
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{json, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `/live` as browser `b` does, with `origin` as the page's origin.
async fn open(app: &TestApp, b: &Browser, origin: Option<&str>) -> Result<Ws, u16> {
    let url = format!("{}/live", app.url.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    let h = req.headers_mut();
    h.insert("cookie", HeaderValue::from_str(&b.cookie_header()).unwrap());
    if let Some(o) = origin {
        h.insert("origin", HeaderValue::from_str(o).unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("websocket: {e}"),
    }
}

async fn socket(app: &TestApp, b: &Browser) -> Ws {
    let mut ws = open(app, b, Some(&app.url)).await.expect("socket opens");
    let first = next(&mut ws).await.expect("the sync frame");
    assert_eq!(first["type"], "sync", "{first}");
    ws
}

/// The next JSON frame, or None after 3 s of silence.
async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(3), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// The next `call` frame of kind `kind` (frames of other kinds are skipped).
async fn next_call(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = next(ws)
            .await
            .unwrap_or_else(|| panic!("no {kind} frame came"));
        if f["type"] == "call" && f["kind"] == kind {
            return f;
        }
    }
}

/// No call frame within `ms` (board frames may come).
async fn quiet(ws: &mut Ws, ms: u64) {
    let until = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(m) = tokio::time::timeout_at(until, ws.next()).await {
        if let Some(Ok(Message::Text(t))) = m {
            let f: Value = serde_json::from_str(t.as_str()).unwrap();
            assert_ne!(f["type"], "call", "this user must not see the call: {f}");
        }
    }
}

/// A manager with an extension on the simulated PBX.
async fn with_extension(
    app: &TestApp,
    pbx: i64,
    name: &str,
    ext: &str,
    lang: &str,
) -> sb_domain::entities::User {
    let u = manager(app, name, Rights::manager_default(), lang).await;
    let r = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v4/telephony/integrations/{pbx}/extensions/{ext}"),
            Some(&app.admin_token.clone()),
            Some(json!({"user_id": u.id.0})),
        )
        .await;
    assert_eq!(r.status(), 200);
    u
}

async fn contact(app: &TestApp, name: &str, phone: &str, owner: i64) -> i64 {
    let defs = sb_service::cards::field_defs(
        app.ctx(),
        app.account().id,
        sb_domain::entities::CardKind::Contact,
    )
    .await
    .unwrap();
    assert!(defs.iter().any(|d| d.is_phone()));
    sb_service::cards::create(
        app.ctx(),
        &app.admin,
        sb_domain::entities::CardKind::Contact,
        vec![CardInput {
            name: Some(name.into()),
            responsible_user_id: Some(owner),
            custom_fields_values: Some(vec![sb_domain::fields::FieldValueInput {
                field_code: Some("PHONE".into()),
                values: Some(vec![sb_domain::fields::ValueInput {
                    value: Some(json!(phone)),
                    enum_code: Some("WORK".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }]),
            ..Default::default()
        }],
    )
    .await
    .unwrap()[0]
        .id
}

fn incoming(caller: &str, ext: &str, scenario: Scenario) -> ScenarioSpec {
    let mut sp = ScenarioSpec::new(scenario);
    sp.caller = caller.into();
    sp.extensions = vec![ext.into()];
    sp
}

#[tokio::test]
async fn the_pop_up_follows_a_call_for_the_manager_concerned_only() {
    for app in sb_testkit::spawn_apps().await {
        let pbx = app.install_simulator().await;
        let maria = with_extension(&app, pbx.integration, "Maria", "102", "es").await;
        with_extension(&app, pbx.integration, "Bob", "100", "en").await;
        let id = contact(&app, "Marta Ruiz", "+34 600 123 987", maria.id.0).await;
        let mb = Browser::sign_in(&app, "maria@example.test", PASSWORD).await;
        let bb = Browser::sign_in(&app, "bob@example.test", PASSWORD).await;
        let mut m1 = socket(&app, &mb).await;
        // A second tab of the same user gets the same pop-up.
        let mut m2 = socket(&app, &mb).await;
        let mut bw = socket(&app, &bb).await;

        let report = pbx
            .sim
            .run_scenario(incoming("34600123987", "102", Scenario::IncomingAnswered))
            .await
            .unwrap();
        assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
        for ws in [&mut m1, &mut m2] {
            let ring = next_call(ws, "ringing").await;
            assert_eq!(ring["name"], "Marta Ruiz", "{ring}");
            assert_eq!(ring["href"], format!("/contacts/{id}"));
            assert_eq!(ring["responsible_name"], "Maria");
            assert_eq!(ring["phone"], "+34600123987");
            assert_eq!(ring["our_number"], "+34911234567");
            assert_eq!(ring["direction"], "inbound");
            let call = ring["call_id"].as_i64().unwrap();
            let ans = next_call(ws, "answered").await;
            assert_eq!(ans["call_id"], call);
            assert_eq!(ans["user_id"], maria.id.0);
            assert!(ans["answered_at"].as_i64().is_some());
            let end = next_call(ws, "ended").await;
            assert_eq!(end["call_id"], call);
        }
        // Bob's extension was not rung and the caller is not his.
        quiet(&mut bw, 500).await;

        // A page elsewhere cannot open the socket with Maria's cookie, and nobody
        // opens it without signing in.
        assert_eq!(
            open(&app, &mb, Some("http://evil.example")).await.err(),
            Some(403)
        );
        assert!(open(&app, &Browser::new(&app), Some(&app.url))
            .await
            .is_err());
    }
}

#[tokio::test]
async fn a_reconnecting_tab_gets_the_calls_still_in_progress() {
    for app in sb_testkit::spawn_apps().await {
        let pbx = app.install_simulator().await;
        let maria = with_extension(&app, pbx.integration, "Maria", "102", "es").await;
        contact(&app, "Marta Ruiz", "+34 600 123 987", maria.id.0).await;
        let mb = Browser::sign_in(&app, "maria@example.test", PASSWORD).await;
        let mut ws = socket(&app, &mb).await;
        let mut sp = incoming("34600123987", "102", Scenario::IncomingAnswered);
        sp.options.gap = Duration::from_millis(700);
        let sim = std::sync::Arc::new(pbx.sim);
        let run = tokio::spawn({
            let sim = sim.clone();
            async move { sim.run_scenario(sp).await.unwrap() }
        });
        let ans = next_call(&mut ws, "answered").await;
        // The network drops: a new socket re-syncs the call in conversation.
        drop(ws);
        let mut again = open(&app, &mb, Some(&app.url)).await.unwrap();
        let sync = next(&mut again).await.unwrap();
        assert_eq!(sync["type"], "sync");
        let calls = sync["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1, "{sync}");
        assert_eq!(calls[0]["call_id"], ans["call_id"]);
        assert_eq!(calls[0]["kind"], "answered");
        assert_eq!(calls[0]["name"], "Marta Ruiz");
        assert!(calls[0]["answered_at"].as_i64().is_some());
        // Asking again (the page does after a hiccup) gives the same.
        again.send(Message::text("sync")).await.unwrap();
        let sync2 = next(&mut again).await.unwrap();
        assert_eq!(sync2["calls"].as_array().unwrap().len(), 1);
        // And the end still reaches the new socket.
        next_call(&mut again, "ended").await;
        run.await.unwrap();
        let sync3 = {
            again.send(Message::text("sync")).await.unwrap();
            loop {
                let f = next(&mut again).await.unwrap();
                if f["type"] == "sync" {
                    break f;
                }
            }
        };
        assert!(sync3["calls"].as_array().unwrap().is_empty(), "{sync3}");
    }
}

#[tokio::test]
async fn click_to_call_from_the_ui_rings_the_managers_extension_or_says_why_not() {
    for app in sb_testkit::spawn_apps().await {
        let pbx = app.install_simulator().await;
        with_extension(&app, pbx.integration, "Maria", "102", "es").await;
        let mb = Browser::sign_in(&app, "maria@example.test", PASSWORD).await;
        mb.get("/").await.assert_status(200);
        let p = mb
            .hx_post("/calls/dial", &[("phone", "+34 600 123 987")])
            .await;
        p.assert_status(200)
            .assert_has("Primero sonará tu teléfono");
        let reports = pbx
            .sim
            .wait_callback_reports(1, Duration::from_secs(5))
            .await;
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].rung, vec!["102".to_string()]);

        pbx.sim.set_failure(FailureMode::NoMoney);
        let p = mb
            .hx_post("/calls/dial", &[("phone", "+34 600 123 987")])
            .await;
        p.assert_has("se ha quedado sin saldo");
        assert_eq!(p.headers["x-sb-status"], "502");
        pbx.sim.set_failure(FailureMode::None);

        let p = mb.hx_post("/calls/dial", &[("phone", "12")]).await;
        p.assert_has("no se puede marcar");

        // A manager without an extension is told who can fix it.
        manager(&app, "Ned", Rights::manager_default(), "en").await;
        let nb = Browser::sign_in(&app, "ned@example.test", PASSWORD).await;
        nb.get("/").await;
        nb.hx_post("/calls/dial", &[("phone", "+34600123987")])
            .await
            .assert_has("You have no PBX extension yet");
        // Ned's live socket hears of his own failure, translated.
        let mut ws = socket(&app, &nb).await;
        nb.hx_post("/calls/dial", &[("phone", "+34600123987")])
            .await;
        let err = next_call(&mut ws, "error").await;
        assert!(err["message"]
            .as_str()
            .unwrap()
            .contains("You have no PBX extension yet"));
    }
}

#[tokio::test]
async fn the_result_of_a_call_goes_on_its_note_and_can_link_a_lead() {
    for app in sb_testkit::spawn_apps().await {
        let pbx = app.install_simulator().await;
        let maria = with_extension(&app, pbx.integration, "Maria", "102", "es").await;
        let id = contact(&app, "Marta Ruiz", "+34 600 123 987", maria.id.0).await;
        let mb = Browser::sign_in(&app, "maria@example.test", PASSWORD).await;
        let mut ws = socket(&app, &mb).await;
        pbx.sim
            .run_scenario(incoming("34600123987", "102", Scenario::IncomingAnswered))
            .await
            .unwrap();
        let call = next_call(&mut ws, "ended").await["call_id"]
            .as_i64()
            .unwrap();
        // The result may be written before the call's note exists (jobs not run yet).
        let form = mb.hx_get(&format!("/calls/{call}/result")).await;
        form.assert_status(200)
            .assert_has("Resultado de la llamada")
            .assert_has("Crear una oportunidad nueva");
        let saved = mb
            .hx_post(
                &format!("/calls/{call}/result"),
                &[
                    ("text", "Quiere un presupuesto para 20 licencias"),
                    ("lead", "new"),
                    ("lead_name", "Licencias Marta"),
                ],
            )
            .await;
        saved
            .assert_status(200)
            .assert_has("Guardado en la nota de la llamada.");
        app.drain_jobs().await;
        // The card's feed shows the result with the call.
        mb.hx_get(&format!("/contacts/{id}/feed"))
            .await
            .assert_has("Quiere un presupuesto para 20 licencias");
        // The new lead is linked to the contact and shows the call too.
        let leads = json(app.get("/api/v4/leads?query=Licencias").await).await;
        let lead = leads["_embedded"]["leads"][0]["id"].as_i64().unwrap();
        // Its card has a call button beside the contact's phone.
        mb.get(&format!("/leads/{lead}"))
            .await
            .assert_has("Licencias Marta")
            .assert_has("data-dial=\"+34 600 123 987\"");
        mb.hx_get(&format!("/leads/{lead}/feed"))
            .await
            .assert_has("Quiere un presupuesto para 20 licencias");
        // The call's note says it for programs too (Kommo's call_result).
        let notes = json(
            app.get(&format!(
                "/api/v4/contacts/{id}/notes?filter[note_type]=call_in"
            ))
            .await,
        )
        .await;
        assert_eq!(
            notes["_embedded"]["notes"][0]["params"]["call_result"],
            "Quiere un presupuesto para 20 licencias"
        );

        // Another manager whose rights do not reach the card cannot read or write it.
        let mut own = Rights::manager_default();
        own.contacts.view = sb_domain::Scope::Own;
        manager(&app, "Olga", own, "en").await;
        let ob = Browser::sign_in(&app, "olga@example.test", PASSWORD).await;
        ob.get("/").await;
        ob.hx_get(&format!("/calls/{call}/result"))
            .await
            .assert_status(404);
        ob.hx_post(&format!("/calls/{call}/result"), &[("text", "x")])
            .await
            .assert_status(404);
    }
}

#[tokio::test]
async fn an_unknown_caller_offers_create_contact_and_the_board_shows_managers() {
    for app in sb_testkit::spawn_apps().await {
        let pbx = app.install_simulator().await;
        with_extension(&app, pbx.integration, "Maria", "102", "es").await;
        let mb = Browser::sign_in(&app, "maria@example.test", PASSWORD).await;
        let mut ws = socket(&app, &mb).await;
        pbx.sim
            .run_scenario(incoming("34699000111", "102", Scenario::IncomingMissed))
            .await
            .unwrap();
        let ring = next_call(&mut ws, "ringing").await;
        assert!(ring["name"].is_null() && ring["href"].is_null(), "{ring}");
        assert_eq!(ring["phone"], "+34699000111");
        // The pop-up's "create contact" opens the form with the number filled in.
        mb.get("/contacts/new?phone=%2B34699000111")
            .await
            .assert_status(200)
            .assert_has("value=\"+34699000111\"");

        // The board: Maria is free and missed one call today.
        let ab = Browser::admin(&app).await;
        let board = ab.get("/calls/live").await;
        board.assert_status(200).assert_has("Maria");
        assert!(board.body.contains("data-agent-state=\"free\""));
        assert!(board.body.contains("<span class=\"badge bad\">1</span>"));
        // A manager who sees only their own cards is no supervisor.
        let mut own = Rights::manager_default();
        own.contacts.view = sb_domain::Scope::Own;
        manager(&app, "Olga", own, "en").await;
        let ob = Browser::sign_in(&app, "olga@example.test", PASSWORD).await;
        ob.get("/calls/live").await.assert_status(403);
        ob.get("/").await.assert_lacks("href=\"/calls/live\"");

        // The card's blacklist button.
        mb.hx_post("/calls/blacklist", &[("phone", "+34 699 000 111")])
            .await
            .assert_has("lista negra");
        let bl = json(app.get("/api/v4/telephony/blacklist").await).await;
        assert_eq!(bl["_embedded"]["blacklist"][0]["phone"], "+34699000111");
    }
}

#[tokio::test]
async fn the_pop_up_reaches_a_browser_on_another_node() {
    // PostgreSQL: the PBX's webhooks reach node A, Maria's browser is on node B.
    for app in sb_testkit::spawn_apps().await {
        if app.backend != sb_store::Backend::Postgres {
            continue;
        }
        let pbx = app.install_simulator().await;
        let maria = with_extension(&app, pbx.integration, "Maria", "102", "es").await;
        contact(&app, "Marta Ruiz", "+34 600 123 987", maria.id.0).await;
        let b = app.another_node().await;
        let mb = Browser::sign_in(&b, "maria@example.test", PASSWORD).await;
        let mut ws = socket(&b, &mb).await;
        pbx.sim
            .run_scenario(incoming("34600123987", "102", Scenario::IncomingAnswered))
            .await
            .unwrap();
        let ring = next_call(&mut ws, "ringing").await;
        assert_eq!(ring["name"], "Marta Ruiz");
        next_call(&mut ws, "answered").await;
        next_call(&mut ws, "ended").await;
    }
}
