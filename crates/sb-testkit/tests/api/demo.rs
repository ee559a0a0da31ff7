//! The demo's data (`switchboard demo`): what its managers find after signing in (their
//! language, leads on the board with their contacts, tasks overdue and due today, notes),
//! that a second start adds nothing, and that its calls land: a customer's on the card,
//! a stranger's as an incoming lead.

use sb_domain::entities::{CardKind, User};
use sb_domain::feed::note_types;
use sb_domain::pipelines::{LOST, WON};
use sb_domain::EntityKind;
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SimConfig};
use sb_service::sessions::{self, Client};
use sb_service::Actor;
use sb_testkit::{spawn_apps, TestApp};
use std::collections::{HashMap, HashSet};
use switchboard::demo::{self, DEMO_PASSWORD};

const HERE: Client<'static> = Client {
    ip: "192.0.2.10",
    user_agent: "tests",
};

/// The demo's managers and the language each sees the CRM in.
const MANAGERS: [(&str, &str); 3] = [
    ("maria@demo.switchboard", "es"),
    ("joao@demo.switchboard", "pt"),
    ("katalin@demo.switchboard", "hu"),
];

fn all<P: Default>(f: impl FnOnce(&mut P)) -> P {
    let mut p = P::default();
    f(&mut p);
    p
}

async fn leads(app: &TestApp, actor: &Actor) -> Vec<sb_service::leads::LeadView> {
    sb_service::leads::list(
        app.ctx(),
        actor,
        all(|p: &mut sb_service::leads::ListParams| {
            p.limit = 250;
            p.with_contacts = true;
        }),
    )
    .await
    .unwrap()
    .items
}

async fn cards(app: &TestApp, kind: CardKind) -> Vec<sb_domain::entities::Card> {
    sb_service::cards::list(
        app.ctx(),
        &app.admin,
        kind,
        all(|p: &mut sb_service::cards::ListParams| p.limit = 250),
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|v| v.card)
    .collect()
}

async fn tasks(app: &TestApp, actor: &Actor) -> Vec<sb_domain::feed::Task> {
    sb_service::tasks::list(
        app.ctx(),
        actor,
        all(|p: &mut sb_service::tasks::ListParams| {
            p.limit = 250;
            p.responsible = vec![actor.user.id.0];
        }),
    )
    .await
    .unwrap()
    .items
}

async fn notes(app: &TestApp, kind: EntityKind) -> Vec<sb_domain::feed::Note> {
    sb_service::notes::list(
        app.ctx(),
        &app.admin,
        kind,
        all(|p: &mut sb_service::notes::ListParams| p.limit = 250),
    )
    .await
    .unwrap()
    .items
}

/// Everything the seeding writes, by id and last change, so a second run that adds,
/// rewrites or removes anything shows.
async fn snapshot(app: &TestApp) -> Vec<(String, i64, i64)> {
    let mut out = Vec::new();
    let users = sb_service::users::list(app.ctx(), &app.admin)
        .await
        .unwrap();
    out.extend(
        users
            .iter()
            .map(|u| ("user".to_string(), u.id.0, u.updated_at)),
    );
    for kind in [CardKind::Contact, CardKind::Company] {
        out.extend(
            cards(app, kind)
                .await
                .into_iter()
                .map(|c| (format!("{kind:?}"), c.id, c.updated_at)),
        );
    }
    out.extend(
        leads(app, &app.admin)
            .await
            .into_iter()
            .map(|l| ("lead".to_string(), l.lead.id.0, l.lead.updated_at)),
    );
    for u in &users {
        let actor = Actor {
            user: u.clone(),
            account: app.admin.account.clone(),
        };
        out.extend(
            tasks(app, &actor)
                .await
                .into_iter()
                .map(|t| ("task".to_string(), t.id.0, t.updated_at)),
        );
    }
    for kind in [EntityKind::Leads, EntityKind::Contacts] {
        out.extend(
            notes(app, kind)
                .await
                .into_iter()
                .map(|n| ("note".to_string(), n.id.0, n.updated_at)),
        );
    }
    out.sort();
    out
}

async fn sign_in(app: &TestApp, email: &str) -> Actor {
    sessions::sign_in(app.ctx(), email, DEMO_PASSWORD, HERE)
        .await
        .unwrap_or_else(|e| panic!("{email} signs in with the demo password: {e}"))
        .2
}

#[tokio::test]
async fn the_demo_seeds_a_working_day_once() {
    for app in spawn_apps().await {
        let managers = demo::seed(app.ctx(), &app.admin).await.unwrap();
        assert_eq!(managers.len(), MANAGERS.len());
        let now = app.ctx().now();
        let day_end = demo::today_end(now, &app.account().timezone);
        let contacts: HashMap<i64, sb_domain::entities::Card> = cards(&app, CardKind::Contact)
            .await
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        assert_eq!(contacts.len(), 9, "{:?}", app.backend);

        let board = leads(&app, &app.admin).await;
        assert_eq!(board.len(), 14, "{:?}", app.backend);
        let stages: HashSet<i64> = board.iter().map(|l| l.lead.status_id.0).collect();
        assert!(stages.len() >= 3, "leads on {} stages", stages.len());
        assert!(stages.contains(&WON.0) && stages.contains(&LOST.0));
        assert!(
            board.iter().any(|l| !l.tags.is_empty()),
            "some leads are tagged"
        );
        for l in &board {
            let linked = l.contacts.as_deref().unwrap_or_default();
            assert_eq!(linked.len(), 1, "{} has its contact", l.lead.name);
            let contact = &contacts[&linked[0].contact_id.0];
            assert_eq!(
                l.lead.responsible_user_id, contact.responsible_user_id,
                "{} belongs to its contact's manager",
                l.lead.name
            );
            assert!(l.lead.price > 0, "{} has a price", l.lead.name);
        }

        for ((email, lang), seeded) in MANAGERS.iter().zip(&managers) {
            let actor = sign_in(&app, email).await;
            assert_eq!(actor.user.id, seeded.id);
            assert_eq!(actor.user.lang, *lang, "{email} sees their own language");
            let mine = tasks(&app, &actor).await;
            let open: Vec<_> = mine.iter().filter(|t| !t.is_completed).collect();
            let overdue = open.iter().filter(|t| t.complete_till < now).count();
            let today = open
                .iter()
                .filter(|t| t.complete_till >= now && t.complete_till <= day_end)
                .count();
            let later = open.iter().filter(|t| t.complete_till > day_end).count();
            assert_eq!(
                (overdue, today, later),
                (1, 2, 2),
                "{email}'s tasks on {:?}",
                app.backend
            );
            assert!(
                mine.iter().all(|t| t.entity_id.is_some()),
                "tasks are on cards"
            );
            // The manager sees their leads as the board would show them.
            let theirs = leads(&app, &actor)
                .await
                .into_iter()
                .filter(|l| l.lead.responsible_user_id == Some(actor.user.id))
                .count();
            assert!(theirs >= 4, "{email} has {theirs} leads");
        }
        let lead_notes = notes(&app, EntityKind::Leads).await;
        let contact_notes = notes(&app, EntityKind::Contacts).await;
        for n in lead_notes.iter().chain(&contact_notes) {
            assert_eq!(n.note_type, note_types::COMMON);
            assert!(managers.iter().any(|m| m.id == n.created_by));
        }
        assert_eq!((lead_notes.len(), contact_notes.len()), (3, 3));

        let before = snapshot(&app).await;
        let again = demo::seed(app.ctx(), &app.admin).await.unwrap();
        let ids = |v: &[User]| v.iter().map(|u| u.id).collect::<Vec<_>>();
        assert_eq!(ids(&again), ids(&managers));
        assert_eq!(snapshot(&app).await, before, "a second run changes nothing");
    }
}

#[tokio::test]
async fn the_demos_calls_land_on_cards_and_strangers_in_the_inbox() {
    for app in spawn_apps().await {
        let managers = demo::seed(app.ctx(), &app.admin).await.unwrap();
        let cfg = SimConfig {
            extensions: vec!["100".into(), "101".into(), "102".into(), "103".into()],
            ..SimConfig::default()
        };
        let sim = PbxSim::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let integration = demo::install(app.ctx(), &app.admin, &sim, &cfg, &managers)
            .await
            .unwrap();
        sim.set_webhook_url(Some(format!("{}{}", app.url, integration.webhook_path)));

        // Lucía Fernández, María's customer.
        let lucia = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "+34600111222")
            .await
            .unwrap()[0]
            .id;
        let mut known = ScenarioSpec::new(Scenario::IncomingAnswered);
        known.caller = "34600111222".into();
        let r = sim.run_scenario(known).await.unwrap();
        assert_eq!(
            r.start_reply.unwrap().redirect.as_deref(),
            Some("101"),
            "routed to María"
        );
        let mut stranger = ScenarioSpec::new(Scenario::IncomingMissed);
        stranger.caller = "34622000999".into();
        sim.run_scenario(stranger).await.unwrap();
        app.drain_jobs().await;

        let on_card = sb_service::notes::list_for(
            app.ctx(),
            &app.admin,
            EntityKind::Contacts,
            lucia,
            all(|p: &mut sb_service::notes::ListParams| p.limit = 50),
        )
        .await
        .unwrap()
        .items;
        assert!(
            on_card.iter().any(|n| n.note_type == note_types::CALL_IN),
            "the call is on Lucía's card: {on_card:?}"
        );

        let pipeline = sb_service::pipelines::ensure_main(app.ctx(), app.account().id)
            .await
            .unwrap();
        let incoming = pipeline.incoming_status().unwrap().id;
        let inbox: Vec<_> = leads(&app, &app.admin)
            .await
            .into_iter()
            .filter(|l| l.lead.status_id == incoming)
            .collect();
        assert_eq!(inbox.len(), 1, "the stranger waits in the inbox");
        let caller = inbox[0].contacts.as_deref().unwrap_or_default();
        assert_eq!(caller.len(), 1);
        let found = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "+34622000999")
            .await
            .unwrap();
        assert_eq!(found[0].id, caller[0].contact_id.0);
        sim.shutdown().await;
    }
}
