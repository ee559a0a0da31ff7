//! Notes (C9) and the card feed.

use crate::leads::create_leads;
use crate::tasks::create_tasks;
use crate::{contact, create_contacts, ids_of};
use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_testkit::{json, spawn_apps};
use serde_json::json;

fn call(uniq: &str) -> serde_json::Value {
    json!({"uniq": uniq, "duration": 60, "source": "switchboard", "link": "https://pbx.test/rec/1.mp3",
           "phone": "+34600111222", "call_status": 4, "call_result": "Talked", "call_responsible": 1})
}

#[tokio::test]
async fn notes_are_added_listed_and_read_on_each_entity() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let contact_id =
            create_contacts(&app, &t, json!([contact("Ana", "+34600111222")])).await[0];
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/notes"),
                json!([{"note_type": "common", "params": {"text": "Asked to call after 6pm"}, "request_id": "n1"},
                       {"note_type": "call_in", "params": call("u-1")}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let made = v["_embedded"]["notes"].as_array().unwrap();
        assert_eq!(made[0]["request_id"], "n1");
        assert_eq!(made[0]["entity_id"], lead);
        let common = made[0]["id"].as_i64().unwrap();
        let r = app
            .post("/api/v4/contacts/notes", json!([{"entity_id": contact_id, "note_type": "sms_out", "params": {"text": "Hi", "phone": "+34600111222"}},
                                                    {"entity_id": contact_id, "note_type": "service_message", "params": {"service": "Bot", "text": "Synced"}}]))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            ids_of(
                app.get(&format!("/api/v4/leads/{lead}/notes")).await,
                "notes"
            )
            .await
            .len(),
            2
        );
        let v = json(
            app.get("/api/v4/leads/notes?filter[note_type][]=call_in")
                .await,
        )
        .await;
        let ns = v["_embedded"]["notes"].as_array().unwrap();
        assert_eq!(ns.len(), 1);
        assert_eq!(ns[0]["params"]["link"], "https://pbx.test/rec/1.mp3");
        assert_eq!(ns[0]["params"]["call_status"], 4);
        let one = json(
            app.get(&format!("/api/v4/leads/{lead}/notes/{common}"))
                .await,
        )
        .await;
        assert_eq!(one["note_type"], "common");
        assert_eq!(one["params"]["text"], "Asked to call after 6pm");
        assert_eq!(one["responsible_user_id"], app.admin.user.id.0);
        assert!(one["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v4/leads/{lead}/notes/{common}")));
        assert_eq!(
            app.get(&format!("/api/v4/contacts/{contact_id}/notes/{common}"))
                .await
                .status(),
            204,
            "another entity's note"
        );
        assert_eq!(
            ids_of(
                app.get(&format!(
                    "/api/v4/contacts/notes?filter[entity_id][]={contact_id}"
                ))
                .await,
                "notes"
            )
            .await
            .len(),
            2
        );
        assert_eq!(app.get("/api/v4/companies/notes").await.status(), 204);
        assert_eq!(app.get("/api/v4/leads/1/notes").await.status(), 204);
        // The common note and the call were logged as events.
        let v = json(app.get(&format!("/api/v4/events?filter[entity][]=lead&filter[entity_id][]={lead}&filter[type][]=common_note_added&filter[type][]=incoming_call")).await).await;
        assert_eq!(v["_embedded"]["events"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn bad_notes_name_item_and_field_and_nothing_is_written() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let mut bad_call = call("u");
        bad_call["call_status"] = json!(9);
        bad_call["link"] = json!("ftp://x");
        bad_call.as_object_mut().unwrap().remove("phone");
        let r = app
            .post(
                "/api/v4/leads/notes",
                json!([
                    {"entity_id": lead, "note_type": "common", "params": {"text": "fine"}},
                    {"entity_id": lead, "note_type": "telegram", "request_id": "t"},
                    {"entity_id": lead, "note_type": "common", "params": {}},
                    {"entity_id": lead, "note_type": "call_out", "params": bad_call},
                    {"note_type": "common", "params": {"text": "where?"}},
                    {"entity_id": 31337, "note_type": "common", "params": {"text": "x"}},
                    {"entity_id": lead, "note_type": "sms_in", "params": "hello"}
                ]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let paths = |i: usize| -> Vec<&str> {
            errs[i]["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["path"].as_str().unwrap())
                .collect()
        };
        assert_eq!(errs[0]["request_id"], "t");
        assert_eq!(paths(0), vec!["note_type"]);
        assert_eq!(paths(1), vec!["params.text"]);
        assert_eq!(
            paths(2),
            vec!["params.phone", "params.link", "params.call_status"]
        );
        assert_eq!(paths(3), vec!["entity_id"]);
        assert_eq!(paths(4), vec!["entity_id"]);
        assert_eq!(paths(5), vec!["params"]);
        assert_eq!(
            app.get(&format!("/api/v4/leads/{lead}/notes"))
                .await
                .status(),
            204,
            "nothing written"
        );
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/notes"),
                json!([{"note_type": 5}]),
            )
            .await;
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "note_type"
        );
    }
}

#[tokio::test]
async fn notes_follow_the_rights_on_their_entity() {
    for app in spawn_apps().await {
        let mut r = Rights::manager_default();
        r.contacts = EntityRights {
            view: Scope::Own,
            add: Scope::All,
            edit: Scope::Own,
            delete: Scope::None,
            export: Scope::None,
        };
        let (_ana, ta) = app.user_with("ana", r, None).await;
        let t = app.admin_token.clone();
        let admins =
            create_contacts(&app, &t, json!([contact("Admin's", "+34600000001")])).await[0];
        let anas = create_contacts(&app, &ta, json!([contact("Ana's", "+34600000002")])).await[0];
        for c in [admins, anas] {
            let r = app
                .post(
                    &format!("/api/v4/contacts/{c}/notes"),
                    json!([{"note_type": "common", "params": {"text": "hi"}}]),
                )
                .await;
            assert_eq!(r.status(), 200);
        }
        let get = |p: String| {
            let (app, ta) = (&app, ta.clone());
            async move { app.call(Method::GET, &p, Some(&ta), None).await }
        };
        assert_eq!(
            get(format!("/api/v4/contacts/{admins}/notes"))
                .await
                .status(),
            204
        );
        assert_eq!(
            get(format!("/api/v4/contacts/{admins}/feed"))
                .await
                .status(),
            204
        );
        let v = json(get("/api/v4/contacts/notes".into()).await).await;
        let ns = v["_embedded"]["notes"].as_array().unwrap();
        assert_eq!(ns.len(), 1);
        assert_eq!(ns[0]["entity_id"], anas);
        let r = app
            .call(
                Method::POST,
                &format!("/api/v4/contacts/{admins}/notes"),
                Some(&ta),
                Some(json!([{"note_type": "common", "params": {"text": "sneaky"}}])),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "entity_id"
        );
        assert_eq!(
            ids_of(
                app.get(&format!("/api/v4/contacts/{admins}/notes")).await,
                "notes"
            )
            .await
            .len(),
            1
        );
        // No view right at all: nothing.
        let mut none = Rights::manager_default();
        none.contacts = EntityRights::none();
        let (_n, tn) = app.user_with("nobody", none, None).await;
        assert_eq!(
            app.call(Method::GET, "/api/v4/contacts/notes", Some(&tn), None)
                .await
                .status(),
            204
        );
    }
}

#[tokio::test]
async fn the_card_feed_merges_notes_tasks_and_events_newest_first() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        app.clock.advance(10_000);
        let due = sb_service::Clock::now_ms(app.clock.as_ref()) / 1000 + 3600;
        let task = create_tasks(&app, &t, json!([{"text": "Call", "complete_till": due, "entity_type": "leads", "entity_id": lead}])).await[0];
        app.clock.advance(10_000);
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/notes"),
                json!([{"note_type": "common", "params": {"text": "latest"}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(app.get(&format!("/api/v4/leads/{lead}/feed")).await).await;
        let items = v["_embedded"]["feed"].as_array().unwrap();
        let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
        // note + its event (newest), then the task, then lead_added.
        assert_eq!(kinds.len(), 4, "{kinds:?}");
        assert!(kinds[..2].contains(&"note") && kinds[..2].contains(&"event"));
        assert_eq!(kinds[2], "task");
        assert_eq!(items[2]["task"]["id"], task);
        assert_eq!(kinds[3], "event");
        assert_eq!(items[3]["event"]["type"], "lead_added");
        let times: Vec<i64> = items
            .iter()
            .map(|i| i["created_at"].as_i64().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {times:?}"
        );
        // Paging.
        let v = json(app.get(&format!("/api/v4/leads/{lead}/feed?limit=3")).await).await;
        assert!(v["_links"]["next"]["href"].is_string());
        let v = json(
            app.get(&format!("/api/v4/leads/{lead}/feed?limit=3&page=2"))
                .await,
        )
        .await;
        assert_eq!(v["_embedded"]["feed"].as_array().unwrap().len(), 1);
        assert_eq!(
            app.get(&format!("/api/v4/leads/{lead}/feed?limit=3&page=3"))
                .await
                .status(),
            204
        );
        assert_eq!(app.get("/api/v4/leads/1/feed").await.status(), 204);
    }
}

/// Adds notes on one entity and returns their ids.
async fn add_notes(app: &sb_testkit::TestApp, path: &str, items: serde_json::Value) -> Vec<i64> {
    let r = app.post(path, items).await;
    assert_eq!(r.status(), 200, "add notes");
    json(r).await["_embedded"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn notes_are_edited_on_every_path_and_only_their_text() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let ns = add_notes(
            &app,
            &format!("/api/v4/leads/{lead}/notes"),
            json!([{"note_type": "common", "params": {"text": "one"}},
                   {"note_type": "service_message", "params": {"service": "Bot", "text": "two"}},
                   {"note_type": "sms_in", "params": {"text": "three", "phone": "+34600111222"}}]),
        )
        .await;
        app.clock.advance(5_000);
        // The collection path, items carry id.
        let r = app
            .patch(
                "/api/v4/leads/notes",
                json!([{"id": ns[0], "note_type": "common", "params": {"text": "one, edited"}, "request_id": "e1"},
                       {"id": ns[1], "params": {"service": "Robot"}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_embedded"]["notes"][0]["request_id"], "e1");
        assert_eq!(v["_embedded"]["notes"][1]["entity_id"], lead);
        let one = |id: i64| {
            let app = &app;
            async move { json(app.get(&format!("/api/v4/leads/{lead}/notes/{id}")).await).await }
        };
        let n0 = one(ns[0]).await;
        assert_eq!(n0["params"]["text"], "one, edited");
        assert!(n0["updated_at"].as_i64().unwrap() > n0["created_at"].as_i64().unwrap());
        let n1 = one(ns[1]).await;
        assert_eq!(n1["params"], json!({"service": "Robot", "text": "two"}));
        // One entity's path (array) and one note's path (object).
        let r = app
            .patch(
                &format!("/api/v4/leads/{lead}/notes"),
                json!([{"id": ns[2], "params": {"text": "three, edited"}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let n2 = one(ns[2]).await;
        assert_eq!(n2["params"]["text"], "three, edited");
        assert_eq!(n2["params"]["phone"], "+34600111222");
        let r = app
            .patch(
                &format!("/api/v4/leads/{lead}/notes/{}", ns[0]),
                json!({"params": {"text": "final"}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["id"], ns[0]);
        assert_eq!(v["params"]["text"], "final");
        // No event type fits an edit: the log has none for it.
        let v = json(
            app.get(&format!(
                "/api/v4/events?filter[entity][]=lead&filter[entity_id][]={lead}"
            ))
            .await,
        )
        .await;
        let types: Vec<&str> = v["_embedded"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types.iter().filter(|t| **t == "common_note_added").count(),
            1,
            "{types:?}"
        );
    }
}

#[tokio::test]
async fn bad_note_edits_name_the_field_and_nothing_changes() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let other = create_leads(&app, &t, json!([{"name": "Other"}])).await[0];
        let ns = add_notes(
            &app,
            &format!("/api/v4/leads/{lead}/notes"),
            json!([{"note_type": "common", "params": {"text": "keep"}},
                   {"note_type": "call_in", "params": call("u-9")}]),
        )
        .await;
        let theirs = add_notes(
            &app,
            &format!("/api/v4/leads/{other}/notes"),
            json!([{"note_type": "common", "params": {"text": "x"}}]),
        )
        .await[0];
        let r = app
            .patch(
                &format!("/api/v4/leads/{lead}/notes"),
                json!([{"id": ns[0], "params": {"text": "changed"}},
                       {"params": {"text": "no id"}},
                       {"id": 999, "params": {"text": "unknown"}},
                       {"id": theirs, "params": {"text": "another lead's"}},
                       {"id": ns[1], "params": {"duration": 1}},
                       {"id": ns[0], "note_type": "sms_in", "params": {"text": "t"}},
                       {"id": ns[0], "params": {"text": " "}},
                       {"id": ns[0], "params": {"phone": "+1"}},
                       {"id": ns[0]},
                       {"id": ns[0], "params": "text"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert!(r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let paths: Vec<(&str, &str)> = errs
            .iter()
            .map(|e| {
                (
                    e["request_id"].as_str().unwrap(),
                    e["errors"][0]["path"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            vec![
                ("1", "id"),
                ("2", "id"),
                ("3", "id"),
                ("4", "note_type"),
                ("5", "note_type"),
                ("6", "params.text"),
                ("7", "params.phone"),
                ("8", "params"),
                ("9", "params"),
            ]
        );
        let n = json(
            app.get(&format!("/api/v4/leads/{lead}/notes/{}", ns[0]))
                .await,
        )
        .await;
        assert_eq!(n["params"]["text"], "keep", "nothing written");
        // Wrong shapes.
        let r = app
            .patch(
                &format!("/api/v4/leads/{lead}/notes/{}", ns[0]),
                json!([{"params": {"text": "a"}}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let r = app
            .patch(
                &format!("/api/v4/leads/{lead}/notes/x"),
                json!({"params": {"text": "a"}}),
            )
            .await;
        // Not an integer id: no such resource path (the one rule, see ApiPath).
        assert_eq!(r.status(), 404);
        let r = app
            .patch("/api/v4/leads/notes", json!([{"id": "x", "params": {}}]))
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            app.post(&format!("/api/v4/leads/{lead}/notes/999/pin"), json!({}))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.post(
                &format!("/api/v4/leads/{other}/notes/{}/pin", ns[0]),
                json!({})
            )
            .await
            .status(),
            404,
            "a note of another lead"
        );
    }
}

#[tokio::test]
async fn note_edits_and_pins_follow_the_rights_on_their_entity() {
    for app in spawn_apps().await {
        let mut r = Rights::manager_default();
        r.contacts = EntityRights {
            view: Scope::Own,
            add: Scope::All,
            edit: Scope::Own,
            delete: Scope::None,
            export: Scope::None,
        };
        let (_ana, ta) = app.user_with("ana", r, None).await;
        let t = app.admin_token.clone();
        let admins =
            create_contacts(&app, &t, json!([contact("Admin's", "+34600000001")])).await[0];
        let anas = create_contacts(&app, &ta, json!([contact("Ana's", "+34600000002")])).await[0];
        let hidden = add_notes(
            &app,
            &format!("/api/v4/contacts/{admins}/notes"),
            json!([{"note_type": "common", "params": {"text": "admin's"}}]),
        )
        .await[0];
        let mine = add_notes(
            &app,
            &format!("/api/v4/contacts/{anas}/notes"),
            json!([{"note_type": "common", "params": {"text": "ana's"}}]),
        )
        .await[0];
        let as_ana = |m: Method, p: String, b: Option<serde_json::Value>| {
            let (app, ta) = (&app, ta.clone());
            async move { app.call(m, &p, Some(&ta), b).await }
        };
        let r = as_ana(
            Method::PATCH,
            "/api/v4/contacts/notes".into(),
            Some(json!([{"id": hidden, "params": {"text": "sneaky"}}])),
        )
        .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "id"
        );
        let r = as_ana(
            Method::POST,
            format!("/api/v4/contacts/{admins}/notes/{hidden}/pin"),
            None,
        )
        .await;
        assert_eq!(r.status(), 404);
        let r = as_ana(
            Method::PATCH,
            format!("/api/v4/contacts/{anas}/notes/{mine}"),
            Some(json!({"params": {"text": "ana's, edited"}})),
        )
        .await;
        assert_eq!(r.status(), 200);
        let r = as_ana(
            Method::POST,
            format!("/api/v4/contacts/{anas}/notes/{mine}/pin"),
            None,
        )
        .await;
        assert_eq!(r.status(), 200);
        let n = json(
            app.get(&format!("/api/v4/contacts/{admins}/notes/{hidden}"))
                .await,
        )
        .await;
        assert_eq!(n["params"]["text"], "admin's");
        assert_eq!(n["is_pinned"], false);
        // No rights on contacts at all.
        let mut none = Rights::manager_default();
        none.contacts = EntityRights::none();
        let (_n, tn) = app.user_with("nobody", none, None).await;
        let r = app
            .call(
                Method::POST,
                &format!("/api/v4/contacts/{anas}/notes/{mine}/unpin"),
                Some(&tn),
                None,
            )
            .await;
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test]
async fn pinned_notes_read_as_pinned_and_head_the_feed() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        app.clock.advance(10_000);
        let old = add_notes(
            &app,
            &format!("/api/v4/leads/{lead}/notes"),
            json!([{"note_type": "common", "params": {"text": "old"}}]),
        )
        .await[0];
        app.clock.advance(10_000);
        add_notes(
            &app,
            &format!("/api/v4/leads/{lead}/notes"),
            json!([{"note_type": "common", "params": {"text": "new"}}]),
        )
        .await;
        let r = app
            .post(&format!("/api/v4/leads/{lead}/notes/{old}/pin"), json!({}))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["is_pinned"], true);
        let n = json(app.get(&format!("/api/v4/leads/{lead}/notes/{old}")).await).await;
        assert_eq!(n["is_pinned"], true);
        let v = json(app.get(&format!("/api/v4/leads/{lead}/notes")).await).await;
        let pinned: Vec<bool> = v["_embedded"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["is_pinned"].as_bool().unwrap())
            .collect();
        assert_eq!(pinned, vec![false, true], "lists keep their time order");
        let feed = |q: &'static str| {
            let app = &app;
            async move {
                json(app.get(&format!("/api/v4/leads/{lead}/feed{q}")).await).await["_embedded"]
                    ["feed"]
                    .as_array()
                    .unwrap()
                    .clone()
            }
        };
        let items = feed("").await;
        assert_eq!(items[0]["type"], "note");
        assert_eq!(items[0]["note"]["id"], old, "the pinned note comes first");
        assert_eq!(items.len(), 5, "two notes, their two events, lead_added");
        assert_eq!(feed("?limit=1").await[0]["note"]["id"], old);
        // Pinning twice is harmless; unpin restores the time order.
        let r = app
            .post(&format!("/api/v4/leads/{lead}/notes/{old}/pin"), json!({}))
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/notes/{old}/unpin"),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["is_pinned"], false);
        let items = feed("").await;
        assert_ne!(items[0]["note"]["id"], old, "back in time order");
    }
}
