//! The incoming-leads inbox (`/incoming`) as a signed-in browser uses it: a call from an
//! unknown number (through the PBX simulator) with its metadata and player, a web-form
//! lead, accept / decline / link through the page's forms, rights and languages.

use reqwest::Method;
use sb_domain::pipelines::{Pipeline, LOST};
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SimConfig};
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

/// The simulator as the app's PBX, unknown callers becoming incoming leads.
async fn pbx(app: &TestApp) -> PbxSim {
    let cfg = SimConfig::default();
    let sim = PbxSim::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let r = app.post("/api/v4/telephony/integrations", json!({"key": cfg.key, "secret": cfg.secret, "base_url": sim.base_url(), "name": "Office PBX"})).await;
    assert_eq!(r.status(), 201);
    let v = json(r).await;
    let integration = v["id"].as_i64().unwrap();
    let r = app
        .patch(
            &format!("/api/v4/telephony/integrations/{integration}"),
            json!({"settings": {"auto_create": "incoming_lead"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    sim.set_webhook_url(Some(v["webhook_url"].as_str().unwrap().to_string()));
    sim
}

async fn main_pipeline(app: &TestApp) -> Pipeline {
    sb_service::pipelines::list(app.ctx(), &app.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.is_main)
        .unwrap()
}

fn working(p: &Pipeline) -> Vec<i64> {
    let mut v: Vec<_> = p.statuses.iter().filter(|s| !s.is_system()).collect();
    v.sort_by_key(|s| (s.sort, s.id));
    v.into_iter().map(|s| s.id.0).collect()
}

/// A lead created through the API as `token`'s user (in the incoming stage when
/// `incoming`); returns its id.
async fn api_lead(app: &TestApp, token: &str, name: &str, incoming: bool) -> i64 {
    let mut body = json!({"name": name});
    if incoming {
        let p = main_pipeline(app).await;
        body["pipeline_id"] = json!(p.id.0);
        body["status_id"] = json!(p.incoming_status().unwrap().id.0);
    }
    let r = app
        .call(
            Method::POST,
            "/api/v4/leads",
            Some(token),
            Some(json!([body])),
        )
        .await;
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["leads"][0]["id"]
        .as_i64()
        .unwrap()
}

async fn lead(app: &TestApp, id: i64) -> Value {
    json(app.get(&format!("/api/v4/leads/{id}")).await).await
}

fn leads_rights(view: Scope, edit: Scope) -> Rights {
    let mut r = Rights::manager_default();
    r.leads = EntityRights {
        view,
        add: Scope::All,
        edit,
        delete: Scope::None,
        export: Scope::None,
    };
    r
}

#[tokio::test]
async fn a_call_shows_with_its_metadata_and_player_and_is_accepted() {
    for app in spawn_apps().await {
        let sim = pbx(&app).await;
        let b = Browser::admin(&app).await;
        b.get("/incoming")
            .await
            .assert_status(200)
            .assert_has("Incoming leads")
            .assert_has("Nothing waiting");
        let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
        sp.caller = "34655000222".into();
        sim.run_scenario(sp).await.unwrap();
        app.drain_jobs().await;
        let item = sb_service::incoming::list(app.ctx(), &app.admin, Default::default())
            .await
            .unwrap()
            .items
            .remove(0);
        let (id, call) = (item.lead.id.0, item.calls[0].call_id.0);
        let player = format!("/incoming/{id}/calls/{call}/recording");
        let p = b.get("/incoming").await;
        p.assert_status(200)
            .assert_has("Call from +34655000222")
            .assert_has("Incoming call from")
            .assert_has("0:47")
            .assert_has("34911234567")
            .assert_has(&format!(
                "<audio controls preload=\"none\" src=\"{player}\""
            ))
            .assert_has(&format!("action=\"/incoming/{id}/accept\""))
            .assert_has("1 waiting");
        // The player plays once the recording is stored.
        app.clock.advance(20_000);
        app.drain_jobs().await;
        let audio = b.get(&player).await;
        assert_eq!(audio.status, 200);
        assert_eq!(audio.headers["content-type"], "audio/wav");
        // Another lead's path to the same call plays nothing.
        let form = api_lead(&app, &app.admin_token.clone(), "Web form", true).await;
        b.get(&format!("/incoming/{form}/calls/{call}/recording"))
            .await
            .assert_status(404);
        // Filters.
        b.get("/incoming?category=forms")
            .await
            .assert_has("Web form")
            .assert_lacks("Call from +34655000222");

        // Accept onto the second stage, for a manager.
        let m = manager(&app, "Marta", Rights::manager_default(), "en").await;
        let stage = working(&main_pipeline(&app).await)[1];
        let done = b
            .post_form(
                &format!("/incoming/{id}/accept"),
                &[
                    ("status_id", &stage.to_string()),
                    ("responsible_user_id", &m.id.0.to_string()),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location.as_deref(), Some("/incoming?done=accepted"));
        b.get("/incoming?done=accepted")
            .await
            .assert_has("The lead was accepted.")
            .assert_lacks("Call from +34655000222");
        let l = lead(&app, id).await;
        assert_eq!(l["status_id"], stage);
        assert_eq!(l["responsible_user_id"], m.id.0);
        // Sorted: its inbox pages are gone.
        b.get(&player).await.assert_status(404);
        b.post_form(&format!("/incoming/{id}/decline"), &[])
            .await
            .assert_status(404);
        drop(sim);
    }
}

#[tokio::test]
async fn forms_are_declined_and_linked_through_the_page() {
    for app in spawn_apps().await {
        let token = app.admin_token.clone();
        let b = Browser::admin(&app).await;
        let spam = api_lead(&app, &token, "Cheap pills", true).await;
        let real = api_lead(&app, &token, "Question about Big deal", true).await;
        let target = api_lead(&app, &token, "Big deal", false).await;
        b.get("/incoming")
            .await
            .assert_has("Cheap pills")
            .assert_has("Form")
            .assert_lacks("<audio");

        // Decline through htmx: a client-side redirect back to the inbox.
        let r = b.hx_post(&format!("/incoming/{spam}/decline"), &[]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.headers["hx-redirect"], "/incoming?done=declined");
        assert_eq!(lead(&app, spam).await["status_id"], LOST.0);
        b.get("/incoming").await.assert_lacks("Cheap pills");

        // Link: search by name, then pick the lead.
        let p = b.get(&format!("/incoming/{real}/link?q=Big")).await;
        p.assert_status(200)
            .assert_has("Link to an existing lead")
            .assert_has(&format!("name=\"target_lead_id\" value=\"{target}\""));
        // An incoming lead is never offered.
        assert!(!p.has(&format!("name=\"target_lead_id\" value=\"{real}\"")));
        b.get(&format!("/incoming/{real}/link?q=nothing-like-this"))
            .await
            .assert_has("No lead matches.");
        let done = b
            .post_form(
                &format!("/incoming/{real}/link"),
                &[("target_lead_id", &target.to_string())],
            )
            .await;
        assert_eq!(done.location.as_deref(), Some("/incoming?done=linked"));
        assert_eq!(lead(&app, real).await["status_id"], LOST.0);
        b.get("/incoming?done=linked")
            .await
            .assert_has("The call now shows on the lead you chose.")
            .assert_has("Nothing waiting");
        // A form without the session's token is refused before anything happens.
        let other = api_lead(&app, &token, "Later", true).await;
        b.post_without_csrf(&format!("/incoming/{other}/decline"), &[])
            .await
            .assert_status(403);
        assert_ne!(lead(&app, other).await["status_id"], LOST.0);
    }
}

#[tokio::test]
async fn managers_see_and_sort_what_their_rights_allow_in_their_language() {
    for app in spawn_apps().await {
        let own = manager(&app, "Ana", leads_rights(Scope::Own, Scope::Own), "es").await;
        let viewer = manager(&app, "Vera", leads_rights(Scope::All, Scope::None), "en").await;
        let bob = manager(&app, "Bob", leads_rights(Scope::Own, Scope::Own), "en").await;
        let (bob_token, _) =
            sb_service::auth::create_api_token(app.ctx(), &app.admin, bob.id, "t", None)
                .await
                .unwrap();
        let bobs = api_lead(&app, &bob_token, "Form from Bob", true).await;

        // Own scope, in Spanish: the page speaks Spanish and hides a colleague's lead.
        let a = Browser::sign_in(&app, &own.email, PASSWORD).await;
        a.get("/incoming")
            .await
            .assert_status(200)
            .assert_has("Leads entrantes")
            .assert_lacks("Form from Bob");
        a.get(&format!("/incoming/{bobs}/link"))
            .await
            .assert_status(404);
        a.post_form(&format!("/incoming/{bobs}/accept"), &[])
            .await
            .assert_status(404);

        // Seeing everything without the edit right: listed, no controls, refused anyway.
        let v = Browser::sign_in(&app, &viewer.email, PASSWORD).await;
        v.get("/incoming")
            .await
            .assert_has("Form from Bob")
            .assert_lacks(&format!("action=\"/incoming/{bobs}/accept\""));
        v.post_form(&format!("/incoming/{bobs}/accept"), &[])
            .await
            .assert_status(403);
        v.post_form(&format!("/incoming/{bobs}/decline"), &[])
            .await
            .assert_status(403);

        // A stage the lead's pipeline does not work in: refused with a message.
        let b = Browser::sign_in(&app, &bob.email, PASSWORD).await;
        b.post_form(
            &format!("/incoming/{bobs}/accept"),
            &[("status_id", &LOST.0.to_string())],
        )
        .await
        .assert_status(422);
        // The owner accepts with the defaults: the first working stage.
        let done = b
            .post_form(
                &format!("/incoming/{bobs}/accept"),
                &[("status_id", ""), ("responsible_user_id", "")],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let l = lead(&app, bobs).await;
        assert_eq!(l["status_id"], working(&main_pipeline(&app).await)[0]);
        assert_eq!(l["responsible_user_id"], bob.id.0);
    }
}
