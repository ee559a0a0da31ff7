//! The incoming-leads inbox (C7, V7): leads put in the incoming stage by telephony (a
//! call from an unknown number, through the PBX simulator's signed webhooks, or logged
//! through `POST /api/v4/calls`) and by the API, then accepted, declined or linked with
//! the use cases the web inbox and the Kommo unsorted API share.

use reqwest::Method;
use sb_domain::calls::CallDirection;
use sb_domain::pipelines::{Pipeline, LOST};
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope, UserId};
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec};
use sb_service::incoming::{self, AcceptInput, Category, IncomingLead, IncomingQuery};
use sb_service::{Actor, ServiceError};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

/// The simulator installed as the app's Zadarma integration, extension 101 bound to the
/// admin, unknown callers becoming incoming leads. Keep it alive for the test.
async fn pbx(app: &TestApp) -> PbxSim {
    let pbx = app.install_simulator().await;
    let integration = pbx.integration;
    let r = app
        .patch(
            &format!("/api/v4/telephony/integrations/{integration}"),
            json!({"settings": {"auto_create": "incoming_lead"}}),
        )
        .await;
    assert_eq!(r.status(), 200, "settings");
    pbx.sim
}

/// An answered call from `caller` through the simulator, finalised.
async fn call_from(app: &TestApp, sim: &PbxSim, caller: &str) {
    let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
    sp.caller = caller.to_string();
    let report = sim.run_scenario(sp).await.unwrap();
    assert!(
        report.webhooks.iter().all(|w| w.status == Some(200)),
        "{:?}",
        report.events()
    );
    app.drain_jobs().await;
}

async fn main_pipeline(app: &TestApp) -> Pipeline {
    sb_service::pipelines::list(app.ctx(), &app.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.is_main)
        .unwrap()
}

/// The working stages of a pipeline, in order.
fn working(p: &Pipeline) -> Vec<i64> {
    let mut v: Vec<_> = p.statuses.iter().filter(|s| !s.is_system()).collect();
    v.sort_by_key(|s| (s.sort, s.id));
    v.into_iter().map(|s| s.id.0).collect()
}

/// Creates a lead through the API as `token`'s user; returns its id.
async fn api_lead(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = app
        .call(
            Method::POST,
            "/api/v4/leads",
            Some(token),
            Some(json!([body])),
        )
        .await;
    let status = r.status();
    let v = json(r).await;
    assert_eq!(status, 200, "{v}");
    v["_embedded"]["leads"][0]["id"].as_i64().unwrap()
}

/// A lead created through the API in the main pipeline's incoming stage.
async fn api_incoming(app: &TestApp, token: &str, name: &str) -> i64 {
    let p = main_pipeline(app).await;
    let incoming = p.incoming_status().unwrap().id.0;
    api_lead(
        app,
        token,
        json!({"name": name, "pipeline_id": p.id.0, "status_id": incoming}),
    )
    .await
}

async fn inbox(app: &TestApp, actor: &Actor, category: Option<Category>) -> Vec<IncomingLead> {
    incoming::list(
        app.ctx(),
        actor,
        IncomingQuery {
            page: 1,
            limit: 50,
            category,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
}

fn ids(items: &[IncomingLead]) -> Vec<i64> {
    items.iter().map(|i| i.lead.id.0).collect()
}

async fn lead(app: &TestApp, id: i64) -> Value {
    let r = app.get(&format!("/api/v4/leads/{id}")).await;
    assert_eq!(r.status(), 200);
    json(r).await
}

/// Events of one type on one lead, through the events API.
async fn events(app: &TestApp, lead: i64, kind: &str) -> Vec<Value> {
    let r = app
        .get(&format!(
            "/api/v4/events?filter[entity][]=lead&filter[entity_id][]={lead}&filter[type][]={kind}"
        ))
        .await;
    if r.status() == 204 {
        return vec![];
    }
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["events"]
        .as_array()
        .unwrap()
        .clone()
}

/// A lead's notes through the notes API.
async fn notes(app: &TestApp, lead: i64) -> Vec<Value> {
    let r = app.get(&format!("/api/v4/leads/{lead}/notes")).await;
    if r.status() == 204 {
        return vec![];
    }
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["notes"]
        .as_array()
        .unwrap()
        .clone()
}

fn actor(app: &TestApp, user: sb_domain::entities::User) -> Actor {
    Actor {
        user,
        account: app.account().clone(),
    }
}

fn error_path(e: &ServiceError) -> String {
    match e {
        ServiceError::Validation(items) => items[0].errors[0].path.clone(),
        other => panic!("a validation error, not {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_caller_waits_in_the_inbox_with_the_call_and_is_accepted() {
    for app in spawn_apps().await {
        let sim = pbx(&app).await;
        let admin = &app.admin;
        call_from(&app, &sim, "34655000222").await;
        let items = inbox(&app, admin, None).await;
        assert_eq!(items.len(), 1, "the call made an incoming lead");
        let it = &items[0];
        assert_eq!(it.category, Category::Sip);
        assert_eq!(it.lead.responsible_user_id, None, "nobody owns it yet");
        assert_eq!(it.contact.as_ref().unwrap().name, "+34655000222");
        assert_eq!(it.calls.len(), 1);
        let call = &it.calls[0];
        assert_eq!(call.phone.as_deref(), Some("+34655000222"));
        assert_eq!(call.duration_s, Some(47));
        assert_eq!(call.direction, CallDirection::Inbound);
        assert_eq!(call.virtual_number.as_deref(), Some("34911234567"));
        assert!(call.has_recording);
        let link = format!("/api/v4/calls/{}/recording", call.call_id.0);
        assert_eq!(call.recording_link.as_deref(), Some(link.as_str()));
        // The link is the one the lead's call note carries (the feed's player).
        let ns = notes(&app, it.lead.id.0).await;
        assert_eq!(ns.len(), 1);
        assert_eq!(ns[0]["note_type"], "call_in");
        assert_eq!(ns[0]["params"]["link"], link.as_str());
        // One lead, in the main pipeline, as a call.
        let s = incoming::summary(app.ctx(), admin).await.unwrap();
        let main = main_pipeline(&app).await;
        let ps = s
            .pipelines
            .iter()
            .find(|p| p.pipeline_id == main.id)
            .unwrap();
        assert_eq!((s.total, ps.total), (1, 1));
        assert_eq!(
            ps.categories,
            vec![(Category::Sip, 1), (Category::Forms, 0)]
        );
        assert_eq!(
            incoming::get(app.ctx(), admin, it.lead.id.0)
                .await
                .unwrap()
                .calls,
            it.calls
        );

        // Accepted onto the second working stage, for a manager.
        let (ana, _) = app.user_with("ana", Rights::manager_default(), None).await;
        let stage = working(&main)[1];
        let id = it.lead.id.0;
        let done = incoming::accept(
            app.ctx(),
            admin,
            id,
            AcceptInput {
                status_id: Some(stage),
                responsible_user_id: Some(ana.id),
            },
        )
        .await
        .unwrap();
        assert_eq!(done.category, Category::Sip);
        assert_eq!(done.contact_ids, vec![it.contact.as_ref().unwrap().id]);
        let l = lead(&app, id).await;
        assert_eq!(l["status_id"], stage);
        assert_eq!(l["responsible_user_id"], ana.id.0);
        assert!(inbox(&app, admin, None).await.is_empty(), "sorted");
        assert_eq!(incoming::summary(app.ctx(), admin).await.unwrap().total, 0);
        let moved = events(&app, id, "lead_status_changed").await;
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0]["value_after"][0]["lead_status"]["id"], stage);
        assert_eq!(
            events(&app, id, "entity_responsible_changed").await.len(),
            1
        );
        // Once sorted, it is no longer incoming.
        assert!(matches!(
            incoming::accept(app.ctx(), admin, id, AcceptInput::default()).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            incoming::get(app.ctx(), admin, id).await,
            Err(ServiceError::NotFound)
        ));

        // A call logged through the API from another unknown number: its link is the
        // client's, as on its note.
        let r = app
            .post(
                "/api/v4/calls",
                json!([{"uniq": "w-1", "phone": "+34 699 000 111", "source": "widget", "duration": 12, "direction": "inbound", "link": "https://pbx.test/r/9.mp3"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let items = inbox(&app, admin, None).await;
        assert_eq!(items.len(), 1, "{:?}", ids(&items));
        assert_eq!(items[0].category, Category::Sip);
        let call = &items[0].calls[0];
        assert_eq!(call.phone.as_deref(), Some("+34699000111"));
        assert_eq!(call.duration_s, Some(12));
        assert_eq!(
            call.recording_link.as_deref(),
            Some("https://pbx.test/r/9.mp3")
        );
        // Accepted without a stage or owner: the first working stage, and the one who
        // accepted it owns it.
        let id = items[0].lead.id.0;
        incoming::accept(app.ctx(), admin, id, AcceptInput::default())
            .await
            .unwrap();
        let l = lead(&app, id).await;
        assert_eq!(l["status_id"], working(&main)[0]);
        assert_eq!(l["responsible_user_id"], admin.user.id.0);
        drop(sim);
    }
}

#[tokio::test]
async fn a_lead_created_in_the_incoming_stage_is_a_form_and_declined_as_spam() {
    for app in spawn_apps().await {
        let admin = &app.admin;
        let token = app.admin_token.clone();
        let older = api_incoming(&app, &token, "Web form: Ana").await;
        app.clock.advance(1000);
        let newer = api_incoming(&app, &token, "Web form: spam").await;
        let regular = api_lead(&app, &token, json!({"name": "Regular"})).await;
        let items = inbox(&app, admin, None).await;
        assert_eq!(ids(&items), vec![newer, older], "newest first");
        assert!(items.iter().all(|i| i.category == Category::Forms));
        assert!(items.iter().all(|i| i.calls.is_empty()));
        assert!(!ids(&items).contains(&regular));
        assert!(inbox(&app, admin, Some(Category::Sip)).await.is_empty());
        assert_eq!(
            ids(&inbox(&app, admin, Some(Category::Forms)).await),
            vec![newer, older]
        );
        // Paged.
        let p = incoming::list(
            app.ctx(),
            admin,
            IncomingQuery {
                page: 2,
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((ids(&p.items), p.has_next), (vec![older], false));

        let done = incoming::decline(app.ctx(), admin, newer).await.unwrap();
        assert_eq!(done.lead.status_id, LOST);
        assert_eq!(done.category, Category::Forms);
        let l = lead(&app, newer).await;
        assert_eq!(l["status_id"], LOST.0);
        assert!(l["closed_at"].as_i64().is_some(), "{l}");
        assert_eq!(ids(&inbox(&app, admin, None).await), vec![older]);
        let moved = events(&app, newer, "lead_status_changed").await;
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0]["value_after"][0]["lead_status"]["id"], LOST.0);
        assert!(matches!(
            incoming::decline(app.ctx(), admin, newer).await,
            Err(ServiceError::NotFound)
        ));
        // A regular lead is not incoming: nothing to decline or accept.
        assert!(matches!(
            incoming::decline(app.ctx(), admin, regular).await,
            Err(ServiceError::NotFound)
        ));
        // Moving a lead into the incoming stage stays refused.
        let main = main_pipeline(&app).await;
        let r = app
            .patch(
                &format!("/api/v4/leads/{regular}"),
                json!({"status_id": main.incoming_status().unwrap().id.0}),
            )
            .await;
        assert_eq!(r.status(), 400);
    }
}

#[tokio::test]
async fn linking_puts_the_call_on_an_existing_lead_and_closes_the_incoming_one() {
    for app in spawn_apps().await {
        let sim = pbx(&app).await;
        let admin = &app.admin;
        let token = app.admin_token.clone();
        let target = api_lead(&app, &token, json!({"name": "Big deal"})).await;
        call_from(&app, &sim, "34655000333").await;
        let items = inbox(&app, admin, None).await;
        assert_eq!(items.len(), 1);
        let id = items[0].lead.id.0;
        let contact = items[0].contact.as_ref().unwrap().id;
        let original = notes(&app, id).await;
        assert_eq!(original.len(), 1);

        // Neither itself nor another incoming lead is a target.
        let other = api_incoming(&app, &token, "Form").await;
        let e = incoming::link(app.ctx(), admin, id, other)
            .await
            .unwrap_err();
        assert_eq!(error_path(&e), "target_lead_id");
        let e = incoming::link(app.ctx(), admin, id, id).await.unwrap_err();
        assert_eq!(error_path(&e), "target_lead_id");
        assert!(matches!(
            incoming::link(app.ctx(), admin, id, 1).await,
            Err(ServiceError::NotFound)
        ));

        let done = incoming::link(app.ctx(), admin, id, target).await.unwrap();
        assert_eq!(done.note_ids.len(), 1);
        // The target's notes (and so its feed) show the same call with the same player.
        let ns = notes(&app, target).await;
        assert_eq!(ns.len(), 1);
        assert_eq!(ns[0]["id"], done.note_ids[0].0);
        assert_eq!(ns[0]["note_type"], "call_in");
        assert_eq!(ns[0]["params"], original[0]["params"]);
        assert_eq!(ns[0]["created_at"], original[0]["created_at"]);
        let r = app.get(&format!("/api/v4/leads/{target}/feed")).await;
        assert_eq!(r.status(), 200);
        let feed = json(r).await.to_string();
        assert!(feed.contains("call_in"), "{feed}");
        assert_eq!(events(&app, target, "incoming_call").await.len(), 1);
        // The caller joins the target lead, so the next call finds it.
        let l = json(
            app.get(&format!("/api/v4/leads/{target}?with=contacts"))
                .await,
        )
        .await;
        let linked: Vec<i64> = l["_embedded"]["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(linked, vec![contact]);
        // The incoming lead is closed like a declined one and leaves the inbox.
        let l = lead(&app, id).await;
        assert_eq!(l["status_id"], LOST.0);
        assert!(l["closed_at"].as_i64().is_some());
        assert_eq!(ids(&inbox(&app, admin, None).await), vec![other]);
        // The call itself now belongs to the target lead.
        let mut c = app.ctx().db.conn().await.unwrap();
        let calls =
            sb_store::calls::for_leads(&mut c, app.account().id, &[sb_domain::LeadId(target)])
                .await
                .unwrap();
        assert_eq!(calls.len(), 1);
        drop(c);
        // The next call from that number lands on the target lead, not in the inbox.
        call_from(&app, &sim, "34655000333").await;
        assert_eq!(ids(&inbox(&app, admin, None).await), vec![other]);
        assert_eq!(notes(&app, target).await.len(), 2);
    }
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
async fn rights_and_stages_are_checked() {
    for app in spawn_apps().await {
        let (ana, ta) = app
            .user_with("ana", leads_rights(Scope::Own, Scope::Own), None)
            .await;
        let (bob, tb) = app
            .user_with("bob", leads_rights(Scope::Own, Scope::Own), None)
            .await;
        let (carl, _) = app
            .user_with("carl", leads_rights(Scope::All, Scope::None), None)
            .await;
        let (ana, bob, carl) = (actor(&app, ana), actor(&app, bob), actor(&app, carl));
        let anas = api_incoming(&app, &ta, "Ana's form").await;
        let bobs = api_incoming(&app, &tb, "Bob's form").await;
        // Own scope: each sees their own, nobody else's.
        assert_eq!(ids(&inbox(&app, &ana, None).await), vec![anas]);
        assert_eq!(ids(&inbox(&app, &bob, None).await), vec![bobs]);
        assert_eq!(incoming::summary(app.ctx(), &ana).await.unwrap().total, 1);
        assert!(matches!(
            incoming::accept(app.ctx(), &ana, bobs, AcceptInput::default()).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            incoming::decline(app.ctx(), &ana, bobs).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            incoming::get(app.ctx(), &ana, bobs).await,
            Err(ServiceError::NotFound)
        ));
        // Linking to a lead one cannot see is linking to nothing.
        assert!(matches!(
            incoming::link(app.ctx(), &ana, anas, bobs).await,
            Err(ServiceError::NotFound)
        ));
        // Seeing everything without the edit right: listed, not sorted.
        assert_eq!(inbox(&app, &carl, None).await.len(), 2);
        assert!(matches!(
            incoming::accept(app.ctx(), &carl, anas, AcceptInput::default()).await,
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            incoming::decline(app.ctx(), &carl, anas).await,
            Err(ServiceError::Forbidden(_))
        ));
        // Edit scope "own" of a lead somebody else owns: refused by the update rules.
        let (dora, _) = app
            .user_with("dora", leads_rights(Scope::All, Scope::Own), None)
            .await;
        let dora = actor(&app, dora);
        assert!(matches!(
            incoming::accept(app.ctx(), &dora, anas, AcceptInput::default()).await,
            Err(ServiceError::Forbidden(_))
        ));

        // Stages: system stages and another pipeline's are refused, with the field.
        let main = main_pipeline(&app).await;
        let r = app
            .post("/api/v4/leads/pipelines", json!([{"name": "Second", "_embedded": {"statuses": [{"name": "Intro", "sort": 10, "color": "#fffeb2"}]}}]))
            .await;
        assert_eq!(r.status(), 200);
        let second = sb_service::pipelines::list(app.ctx(), &app.admin)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.name == "Second")
            .unwrap();
        let foreign = working(&second)[0];
        for sid in [
            142,
            LOST.0,
            main.incoming_status().unwrap().id.0,
            foreign,
            1,
        ] {
            let e = incoming::accept(
                app.ctx(),
                &ana,
                anas,
                AcceptInput {
                    status_id: Some(sid),
                    responsible_user_id: None,
                },
            )
            .await
            .unwrap_err();
            assert_eq!(error_path(&e), "status_id", "stage {sid}");
        }
        // An unknown owner is refused too.
        let e = incoming::accept(
            app.ctx(),
            &ana,
            anas,
            AcceptInput {
                status_id: None,
                responsible_user_id: Some(UserId(1)),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(error_path(&e), "responsible_user_id");
        assert_eq!(ids(&inbox(&app, &ana, None).await), vec![anas], "unchanged");
        // The owner sorts it.
        incoming::accept(app.ctx(), &ana, anas, AcceptInput::default())
            .await
            .unwrap();
        assert!(inbox(&app, &ana, None).await.is_empty());
        assert_eq!(lead(&app, anas).await["status_id"], working(&main)[0]);
        // The inbox of one pipeline only.
        let only_second = incoming::list(
            app.ctx(),
            &app.admin,
            IncomingQuery {
                page: 1,
                limit: 50,
                pipeline_id: Some(second.id.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(only_second.items.is_empty());
    }
}

/// Two managers sort one lead at the same moment (one accepts, one declines): exactly
/// one of them does, the other finds nothing left to sort, and the lead's history has
/// one move. Many rounds, because a round only races when both read before either
/// writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sorting_one_lead_twice_at_once_sorts_it_once() {
    const ROUNDS: usize = 15;
    for app in spawn_apps().await {
        let admin = app.admin.clone();
        let token = app.admin_token.clone();
        let stage = working(&main_pipeline(&app).await)[1];
        for round in 0..ROUNDS {
            let id = api_incoming(&app, &token, &format!("Race {round}")).await;
            let (ctx_a, ctx_b) = (app.ctx().clone(), app.ctx().clone());
            let (actor_a, actor_b) = (admin.clone(), admin.clone());
            let a = tokio::spawn(async move {
                incoming::accept(
                    &ctx_a,
                    &actor_a,
                    id,
                    AcceptInput {
                        status_id: Some(stage),
                        responsible_user_id: None,
                    },
                )
                .await
            });
            let b = tokio::spawn(async move { incoming::decline(&ctx_b, &actor_b, id).await });
            let (a, b) = (a.await.unwrap(), b.await.unwrap());
            let want = match (&a, &b) {
                (Ok(_), Err(ServiceError::NotFound)) => stage,
                (Err(ServiceError::NotFound), Ok(_)) => LOST.0,
                other => panic!("round {round}: one sorts it, the other finds nothing: {other:?}"),
            };
            assert_eq!(lead(&app, id).await["status_id"], want, "round {round}");
            assert_eq!(
                events(&app, id, "lead_status_changed").await.len(),
                1,
                "round {round}: one move"
            );
        }
        assert!(inbox(&app, &admin, None).await.is_empty());
    }
}

#[tokio::test]
async fn the_inbox_is_the_accounts_own_and_counted_per_pipeline() {
    for app in spawn_apps().await {
        let sim = pbx(&app).await;
        let admin = &app.admin;
        let token = app.admin_token.clone();
        call_from(&app, &sim, "34655000444").await;
        let form = api_incoming(&app, &token, "Form").await;
        let r = app
            .post(
                "/api/v4/leads/pipelines",
                json!([{"name": "Partners", "_embedded": {"statuses": [{"name": "Intro", "sort": 10, "color": "#fffeb2"}]}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let partners = sb_service::pipelines::list(app.ctx(), admin)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.name == "Partners")
            .unwrap();
        let partner_form = api_lead(
            &app,
            &token,
            json!({"name": "Partner form", "pipeline_id": partners.id.0, "status_id": partners.incoming_status().unwrap().id.0}),
        )
        .await;
        let main = main_pipeline(&app).await;
        let s = incoming::summary(app.ctx(), admin).await.unwrap();
        assert_eq!(s.total, 3);
        let of = |p: &Pipeline| {
            s.pipelines
                .iter()
                .find(|x| x.pipeline_id == p.id)
                .unwrap()
                .clone()
        };
        assert_eq!(of(&main).total, 2);
        assert_eq!(
            of(&main).categories,
            vec![(Category::Sip, 1), (Category::Forms, 1)]
        );
        assert_eq!(
            of(&partners).categories,
            vec![(Category::Sip, 0), (Category::Forms, 1)]
        );
        let only = |pipeline: &Pipeline, category: Option<Category>| {
            let q = IncomingQuery {
                page: 1,
                limit: 50,
                pipeline_id: Some(pipeline.id.0),
                category,
            };
            let ctx = app.ctx().clone();
            let admin = admin.clone();
            async move { ids(&incoming::list(&ctx, &admin, q).await.unwrap().items) }
        };
        assert_eq!(only(&partners, None).await, vec![partner_form]);
        assert_eq!(only(&main, Some(Category::Forms)).await, vec![form]);
        assert_eq!(only(&main, Some(Category::Sip)).await.len(), 1);
        assert!(only(&partners, Some(Category::Sip)).await.is_empty());

        // Another account sees none of it and can sort none of it.
        let (other, _) = app.other_account("elsewhere").await;
        assert!(inbox(&app, &other, None).await.is_empty());
        assert_eq!(incoming::summary(app.ctx(), &other).await.unwrap().total, 0);
        assert!(matches!(
            incoming::decline(app.ctx(), &other, form).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            incoming::accept(app.ctx(), &other, form, AcceptInput::default()).await,
            Err(ServiceError::NotFound)
        ));

        // Declining the caller nobody owned: lost, and owned by whoever declined it.
        let call_lead = inbox(&app, admin, Some(Category::Sip)).await[0].lead.id.0;
        let done = incoming::decline(app.ctx(), admin, call_lead)
            .await
            .unwrap();
        assert_eq!(done.category, Category::Sip);
        assert_eq!(done.lead.responsible_user_id, Some(admin.user.id));
        assert_eq!(lead(&app, call_lead).await["status_id"], LOST.0);
        assert_eq!(incoming::summary(app.ctx(), admin).await.unwrap().total, 2);
        drop(sim);
    }
}
