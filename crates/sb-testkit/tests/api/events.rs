//! Events (C9): every change records its event in its own transaction; the events API
//! filters them and shows only events about entities the caller may see.

use crate::custom_fields::create_fields;
use crate::leads::create_leads;
use crate::pipelines::main_pipeline;
use crate::tasks::create_tasks;
use crate::{contact, create_contacts};
use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v4/events?limit=250&{query}")).await;
    if r.status() == 204 {
        return vec![];
    }
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["events"]
        .as_array()
        .unwrap()
        .clone()
}

fn types(evs: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = evs
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn changes_record_their_events() {
    for app in spawn_apps().await {
        let (pid, _) = main_pipeline(&app).await;
        let t = app.admin_token.clone();
        let (bob, _) = app.user_with("bob", Rights::manager_default(), None).await;
        let field =
            create_fields(&app, "leads", json!([{"name": "Note", "type": "text"}])).await[0];
        let c = create_contacts(&app, &t, json!([contact("Ana", "+34600111222")])).await[0];
        let r = app
            .post("/api/v4/companies", json!([{"name": "Acme"}]))
            .await;
        let co = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        let lead = create_leads(
            &app,
            &t,
            json!([{"name": "Deal", "_embedded": {"contacts": [{"id": c}]}}]),
        )
        .await[0];
        let r = app
            .patch(
                &format!("/api/v4/leads/{lead}"),
                json!({"name": "Deal 2", "price": 300, "status_id": 142, "pipeline_id": pid, "responsible_user_id": bob.id.0,
                       "custom_fields_values": [{"field_id": field, "values": [{"value": "x"}]}],
                       "_embedded": {"companies": [{"id": co}]}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let evs = events(
            &app,
            &format!("filter[entity][]=lead&filter[entity_id][]={lead}"),
        )
        .await;
        assert_eq!(
            types(&evs),
            vec![
                "custom_field_value_changed",
                "entity_linked",
                "entity_linked",
                "entity_responsible_changed",
                "lead_added",
                "lead_status_changed",
                "name_field_changed",
                "sale_field_changed"
            ]
        );
        let status = evs
            .iter()
            .find(|e| e["type"] == "lead_status_changed")
            .unwrap();
        assert_eq!(status["value_after"][0]["lead_status"]["id"], 142);
        assert_eq!(status["value_before"][0]["lead_status"]["pipeline_id"], pid);
        assert!(status["id"].is_string(), "event ids are strings");
        assert_eq!(status["entity_type"], "lead");
        assert_eq!(status["created_by"], app.admin.user.id.0);
        let sale = evs
            .iter()
            .find(|e| e["type"] == "sale_field_changed")
            .unwrap();
        assert_eq!(sale["value_after"][0]["sale_field_value"]["sale"], 300);
        let id = status["id"].as_str().unwrap();
        let one = json(app.get(&format!("/api/v4/events/{id}")).await).await;
        assert_eq!(one["type"], "lead_status_changed");
        assert_eq!(app.get("/api/v4/events/1").await.status(), 204);

        // Contacts and companies: added, renamed, reassigned.
        let r = app
            .patch(
                &format!("/api/v4/contacts/{c}"),
                json!({"name": "Ana B", "responsible_user_id": bob.id.0}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let evs = events(
            &app,
            &format!("filter[entity][]=contact&filter[entity_id][]={c}"),
        )
        .await;
        assert_eq!(
            types(&evs),
            vec![
                "contact_added",
                "entity_responsible_changed",
                "name_field_changed"
            ]
        );
        assert_eq!(
            types(&events(&app, "filter[entity][]=company").await),
            vec!["company_added"]
        );

        // Tasks.
        let due = sb_service::Clock::now_ms(app.clock.as_ref()) / 1000 + 60;
        let task = create_tasks(&app, &t, json!([{"text": "Call", "complete_till": due}])).await[0];
        let r = app
            .patch(
                &format!("/api/v4/tasks/{task}"),
                json!({"is_completed": true, "result": {"text": "done"}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            types(&events(&app, "filter[entity][]=task").await),
            vec!["task_added", "task_completed"]
        );

        // Filters.
        assert_eq!(
            events(
                &app,
                "filter[type][]=contact_added&filter[type][]=company_added"
            )
            .await
            .len(),
            2
        );
        assert_eq!(
            events(&app, &format!("filter[created_by][]={}", bob.id.0))
                .await
                .len(),
            0
        );
        let now = sb_service::Clock::now_ms(app.clock.as_ref()) / 1000;
        assert!(
            events(&app, &format!("filter[created_at][from]={}", now + 10))
                .await
                .is_empty()
        );
        assert_eq!(
            events(
                &app,
                &format!(
                    "filter[created_at][from]={}&filter[created_at][to]={}",
                    now - 10,
                    now + 10
                )
            )
            .await
            .len(),
            events(&app, "").await.len()
        );
        assert_eq!(
            events(&app, "filter[entity][]=lead&filter[entity][]=contact")
                .await
                .len(),
            8 + 3
        );
        assert_eq!(
            app.get("/api/v4/events?filter[entity_id][]=1")
                .await
                .status(),
            400
        );
        assert_eq!(
            app.get("/api/v4/events?filter[entity][]=planet")
                .await
                .status(),
            400
        );
        let all = json(app.get("/api/v4/events?limit=2").await).await;
        assert!(all["_links"]["next"]["href"]
            .as_str()
            .unwrap()
            .starts_with(&app.url));
        let t = json(app.get("/api/v4/events/types").await).await;
        assert!(t["_total_items"].as_i64().unwrap() > 10);
    }
}

#[tokio::test]
async fn refused_batches_record_no_events() {
    for app in spawn_apps().await {
        let before = events(&app, "").await.len();
        let r = app
            .post(
                "/api/v4/leads",
                json!([{"name": "ok"}, {"name": "bad", "pipeline_id": 1}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let r = app
            .post(
                "/api/v4/contacts",
                json!([{"name": "ok"}, {"name": "bad", "responsible_user_id": 1}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(events(&app, "").await.len(), before);
    }
}

#[tokio::test]
async fn events_show_only_what_the_caller_may_see() {
    for app in spawn_apps().await {
        let mut r = Rights::manager_default();
        r.leads = EntityRights {
            view: Scope::Own,
            add: Scope::All,
            edit: Scope::Own,
            delete: Scope::None,
            export: Scope::None,
        };
        r.contacts = EntityRights::none();
        let (_ana, ta) = app.user_with("ana", r, None).await;
        let t = app.admin_token.clone();
        let admins = create_leads(&app, &t, json!([{"name": "Admin's"}])).await[0];
        let anas = create_leads(&app, &ta, json!([{"name": "Ana's"}])).await[0];
        create_contacts(&app, &t, json!([contact("Hidden", "+34600000009")])).await;
        let r = app
            .call(Method::GET, "/api/v4/events", Some(&ta), None)
            .await;
        let v = json(r).await;
        let evs = v["_embedded"]["events"].as_array().unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0]["entity_id"], anas);
        let hidden = events(
            &app,
            &format!("filter[entity][]=lead&filter[entity_id][]={admins}"),
        )
        .await;
        let id = hidden[0]["id"].as_str().unwrap();
        assert_eq!(
            app.call(
                Method::GET,
                &format!("/api/v4/events/{id}"),
                Some(&ta),
                None
            )
            .await
            .status(),
            204
        );
        let r = app
            .call(
                Method::GET,
                "/api/v4/events?filter[entity][]=contact",
                Some(&ta),
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
    }
}
