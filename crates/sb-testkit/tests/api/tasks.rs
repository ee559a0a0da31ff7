//! Tasks (C8): create, complete, filter, rights and bad input.

use crate::ids_of;
use crate::leads::create_leads;
use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

pub async fn create_tasks(app: &TestApp, token: &str, items: Value) -> Vec<i64> {
    let r = app
        .call(Method::POST, "/api/v4/tasks", Some(token), Some(items))
        .await;
    assert_eq!(r.status(), 200, "create tasks");
    json(r).await["_embedded"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

fn now(app: &TestApp) -> i64 {
    sb_service::Clock::now_ms(app.clock.as_ref()) / 1000
}

fn with_tasks(view: Scope, add: Scope, edit: Scope) -> Rights {
    let mut r = Rights::manager_default();
    r.tasks = EntityRights {
        view,
        add,
        edit,
        delete: Scope::None,
        export: Scope::None,
    };
    r
}

#[tokio::test]
async fn a_task_is_created_filtered_and_completed_with_a_result() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let due = now(&app) + 3600;
        let r = app
            .post(
                "/api/v4/tasks",
                json!([
                    {"text": "Call back", "complete_till": due, "entity_type": "leads", "entity_id": lead, "request_id": "cb"},
                    {"text": "Meet", "complete_till": due + 60, "task_type_id": 2, "duration": 1800}
                ]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_embedded"]["tasks"][0]["request_id"], "cb");
        let ids: Vec<i64> = v["_embedded"]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect();
        let one = json(app.get(&format!("/api/v4/tasks/{}", ids[0])).await).await;
        assert_eq!(
            one["responsible_user_id"], app.admin.user.id.0,
            "defaults to the caller"
        );
        assert_eq!(one["entity_type"], "leads");
        assert_eq!(one["entity_id"], lead);
        assert_eq!(one["complete_till"], due);
        assert_eq!(one["is_completed"], false);
        assert_eq!(one["result"], json!([]));
        assert_eq!(one["task_type_id"], 1);

        let q = |s: &str| {
            let (app, s) = (&app, s.to_string());
            async move { ids_of(app.get(&format!("/api/v4/tasks?{s}")).await, "tasks").await }
        };
        assert_eq!(q("").await, ids);
        assert_eq!(
            q(&format!(
                "filter[entity_type]=leads&filter[entity_id][]={lead}"
            ))
            .await,
            vec![ids[0]]
        );
        assert_eq!(q("filter[task_type_id][]=2").await, vec![ids[1]]);
        assert_eq!(q("order[complete_till]=desc").await, vec![ids[1], ids[0]]);
        assert_eq!(
            q(&format!("filter[complete_till][to]={}", due + 10)).await,
            vec![ids[0]]
        );

        let r = app
            .patch(
                &format!("/api/v4/tasks/{}", ids[0]),
                json!({"is_completed": true, "result": {"text": "Talked, sent offer"}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["id"], ids[0]);
        let one = json(app.get(&format!("/api/v4/tasks/{}", ids[0])).await).await;
        assert_eq!(one["is_completed"], true);
        assert_eq!(one["result"], json!({"text": "Talked, sent offer"}));
        // The result became a note on the task's lead, once: completing it again (or
        // editing a completed task) writes no second note.
        let notes_of_lead = || async {
            let r = app.get(&format!("/api/v4/leads/{lead}/notes")).await;
            json(r).await["_embedded"]["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| (n["note_type"].clone(), n["params"]["text"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            notes_of_lead().await,
            vec![(json!("common"), json!("Talked, sent offer"))]
        );
        let r = app
            .patch(
                &format!("/api/v4/tasks/{}", ids[0]),
                json!({"is_completed": true, "result": {"text": "Again"}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(notes_of_lead().await.len(), 1);
        assert_eq!(q("filter[is_completed]=1").await, vec![ids[0]]);
        assert_eq!(q("filter[is_completed]=0").await, vec![ids[1]]);
        // Batch PATCH; echoing `result: []` is accepted.
        let r = app
            .patch(
                "/api/v4/tasks",
                json!([{"id": ids[1], "text": "Meet Ana", "result": []}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            json(app.get(&format!("/api/v4/tasks/{}", ids[1])).await).await["text"],
            "Meet Ana"
        );
        assert_eq!(app.get("/api/v4/tasks/1").await.status(), 204);
        assert_eq!(
            app.get("/api/v4/tasks?filter[is_completed]=maybe")
                .await
                .status(),
            400
        );
    }
}

#[tokio::test]
async fn bad_tasks_name_item_and_field_and_nothing_is_written() {
    for app in spawn_apps().await {
        let due = now(&app) + 3600;
        let r = app
            .post(
                "/api/v4/tasks",
                json!([
                    {"text": "ok", "complete_till": due},
                    {"request_id": "x"},
                    {"text": "t", "complete_till": due, "entity_type": "leads", "entity_id": 424242},
                    {"text": "t", "complete_till": due, "entity_type": "planets", "entity_id": 1},
                    {"text": "t", "complete_till": due, "task_type_id": 99, "responsible_user_id": 7}
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
        assert_eq!(errs[0]["request_id"], "x");
        assert_eq!(paths(0), vec!["text", "complete_till"]);
        assert_eq!(errs[1]["request_id"], "2");
        assert_eq!(paths(1), vec!["entity_id"]);
        assert_eq!(paths(2), vec!["entity_type"]);
        assert_eq!(paths(3), vec!["responsible_user_id", "task_type_id"]);
        assert_eq!(
            app.get("/api/v4/tasks").await.status(),
            204,
            "nothing written"
        );
        let r = app
            .post(
                "/api/v4/tasks",
                json!([{"text": "t", "complete_till": "tomorrow"}]),
            )
            .await;
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "complete_till"
        );
        let r = app
            .patch("/api/v4/tasks", json!([{"id": 5, "text": "x"}]))
            .await;
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "id"
        );
    }
}

#[tokio::test]
async fn rights_scope_tasks_and_their_entities() {
    for app in spawn_apps().await {
        let due = now(&app) + 3600;
        let (ana, ta) = app
            .user_with("ana", with_tasks(Scope::Own, Scope::All, Scope::Own), None)
            .await;
        let (_ro, tr) = app
            .user_with("ro", with_tasks(Scope::All, Scope::None, Scope::None), None)
            .await;
        let mut no_leads = Rights::manager_default();
        no_leads.leads = EntityRights::none();
        let (_nl, tn) = app.user_with("nl", no_leads, None).await;
        let t = app.admin_token.clone();
        let admins =
            create_tasks(&app, &t, json!([{"text": "admin's", "complete_till": due}])).await;
        let anas = create_tasks(&app, &ta, json!([{"text": "ana's", "complete_till": due}])).await;
        let get = |tok: &str, p: String| {
            let (app, tok) = (&app, tok.to_string());
            async move { app.call(Method::GET, &p, Some(&tok), None).await }
        };
        assert_eq!(
            ids_of(get(&ta, "/api/v4/tasks".into()).await, "tasks").await,
            anas
        );
        assert_eq!(
            get(&ta, format!("/api/v4/tasks/{}", admins[0]))
                .await
                .status(),
            204
        );
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/tasks/{}", admins[0]),
                Some(&ta),
                Some(json!({"is_completed": true})),
            )
            .await;
        assert_eq!(r.status(), 400, "outside the view scope it does not exist");
        // Ana may hand her task to the admin.
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/tasks/{}", anas[0]),
                Some(&ta),
                Some(json!({"responsible_user_id": app.admin.user.id.0})),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(get(&ta, "/api/v4/tasks".into()).await.status(), 204);
        // View-only: sees all, changes and adds nothing.
        assert_eq!(
            ids_of(get(&tr, "/api/v4/tasks".into()).await, "tasks")
                .await
                .len(),
            2
        );
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/tasks/{}", admins[0]),
                Some(&tr),
                Some(json!({"text": "x"})),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(
                Method::POST,
                "/api/v4/tasks",
                Some(&tr),
                Some(json!([{"text": "x", "complete_till": due}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        // A task about a lead the caller cannot see is refused.
        let lead = create_leads(&app, &t, json!([{"name": "Hidden"}])).await[0];
        let r = app
            .call(Method::POST, "/api/v4/tasks", Some(&tn), Some(json!([{"text": "x", "complete_till": due, "entity_type": "leads", "entity_id": lead}])))
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "entity_id"
        );
        let _ = ana;
        assert_eq!(
            ids_of(app.get("/api/v4/tasks").await, "tasks").await.len(),
            2
        );
    }
}

#[tokio::test]
async fn closest_task_at_follows_open_tasks_on_leads_contacts_and_companies() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let other = create_leads(&app, &t, json!([{"name": "Other"}])).await[0];
        let contact = crate::create_contacts(&app, &t, json!([{"name": "C"}])).await[0];
        let r = app.post("/api/v4/companies", json!([{"name": "Co"}])).await;
        let company = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        let closest = |path: String| {
            let app = &app;
            async move { json(app.get(&path).await).await["closest_task_at"].clone() }
        };
        let in_list = |path: &'static str, key: &'static str, id: i64| {
            let app = &app;
            async move {
                json(app.get(path).await).await["_embedded"][key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["id"] == id)
                    .unwrap()["closest_task_at"]
                    .clone()
            }
        };
        assert_eq!(closest(format!("/api/v4/leads/{lead}")).await, Value::Null);
        assert_eq!(
            closest(format!("/api/v4/contacts/{contact}")).await,
            Value::Null
        );
        let due = now(&app) + 3600;
        let ids = create_tasks(
            &app,
            &t,
            json!([
                {"text": "late", "complete_till": due + 100, "entity_type": "leads", "entity_id": lead},
                {"text": "soon", "complete_till": due, "entity_type": "leads", "entity_id": lead},
                {"text": "c", "complete_till": due + 50, "entity_type": "contacts", "entity_id": contact},
                {"text": "co", "complete_till": due + 7, "entity_type": "companies", "entity_id": company}
            ]),
        )
        .await;
        assert_eq!(closest(format!("/api/v4/leads/{lead}")).await, due);
        assert_eq!(in_list("/api/v4/leads", "leads", lead).await, due);
        assert_eq!(in_list("/api/v4/leads", "leads", other).await, Value::Null);
        assert_eq!(
            closest(format!("/api/v4/contacts/{contact}")).await,
            due + 50
        );
        assert_eq!(
            in_list("/api/v4/contacts", "contacts", contact).await,
            due + 50
        );
        assert_eq!(
            closest(format!("/api/v4/companies/{company}")).await,
            due + 7
        );
        assert_eq!(
            in_list("/api/v4/companies", "companies", company).await,
            due + 7
        );
        // Completing the soonest moves it to the next open one.
        let r = app
            .patch(
                &format!("/api/v4/tasks/{}", ids[1]),
                json!({"is_completed": true}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(closest(format!("/api/v4/leads/{lead}")).await, due + 100);
        // Rescheduling and moving a task to another entity.
        let r = app
            .patch(
                &format!("/api/v4/tasks/{}", ids[0]),
                json!({"entity_type": "contacts", "entity_id": contact, "complete_till": due + 10}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(closest(format!("/api/v4/leads/{lead}")).await, Value::Null);
        assert_eq!(
            closest(format!("/api/v4/contacts/{contact}")).await,
            due + 10
        );
        // Leads list filter.
        create_tasks(
            &app,
            &t,
            json!([{"text": "x", "complete_till": due + 500, "entity_type": "leads", "entity_id": other}]),
        )
        .await;
        let q = |f: String| {
            let app = &app;
            async move { ids_of(app.get(&format!("/api/v4/leads?{f}")).await, "leads").await }
        };
        assert_eq!(
            q(format!("filter[closest_task_at][from]={}", due + 400)).await,
            vec![other]
        );
        assert_eq!(
            q(format!("filter[closest_task_at][to]={}", due + 400)).await,
            Vec::<i64>::new()
        );
        assert_eq!(
            app.get("/api/v4/leads?filter[closest_task_at][from]=soon")
                .await
                .status(),
            400
        );
    }
}

fn type_names(v: &Value) -> Vec<(i64, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn custom_task_types_are_added_by_admins_listed_and_used() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let v = json(app.get("/api/v4/account?with=task_types").await).await;
        let builtin = &v["_embedded"]["task_types"];
        assert_eq!(
            type_names(builtin),
            vec![(1, "Follow-up".to_string()), (2, "Meeting".to_string())]
        );
        assert_eq!(builtin[0]["code"], "FOLLOW_UP");
        let r = app
            .post(
                "/api/v4/tasks/types",
                json!([{"name": "  Send  quote ", "color": "#00ff00", "request_id": "q"}, {"name": "Visit", "icon_id": 3}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let made = &v["_embedded"]["task_types"];
        assert_eq!(made[0]["request_id"], "q");
        assert_eq!(made[0]["name"], "Send quote");
        assert_eq!(made[0]["color"], "00FF00");
        assert_eq!(made[1]["icon_id"], 3);
        let quote = made[0]["id"].as_i64().unwrap();
        let v = json(app.get("/api/v4/account?with=task_types").await).await;
        let names: Vec<String> = type_names(&v["_embedded"]["task_types"])
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(names, vec!["Follow-up", "Meeting", "Send quote", "Visit"]);
        let v = json(app.get("/api/v4/tasks/types").await).await;
        assert_eq!(v["_total_items"], 4);
        // Tasks take the new type; an unknown one is refused naming the field.
        let due = now(&app) + 3600;
        let ids = create_tasks(
            &app,
            &t,
            json!([{"text": "Quote", "complete_till": due, "task_type_id": quote}]),
        )
        .await;
        let one = json(app.get(&format!("/api/v4/tasks/{}", ids[0])).await).await;
        assert_eq!(one["task_type_id"], quote);
        let r = app
            .post(
                "/api/v4/tasks",
                json!([{"text": "x", "complete_till": due, "task_type_id": 999}]),
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
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "task_type_id"
        );
        let r = app
            .patch(
                &format!("/api/v4/tasks/{}", ids[0]),
                json!({"task_type_id": 3}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let one = json(app.get(&format!("/api/v4/tasks/{}", ids[0])).await).await;
        assert_eq!(one["task_type_id"], quote, "nothing changed");
        let r = app
            .patch("/api/v4/tasks", json!([{"id": ids[0], "task_type_id": 2}]))
            .await;
        assert_eq!(r.status(), 200);
        // Another account has only the built-in types.
        let (_other, to) = app.other_account("other").await;
        let r = app
            .call(
                Method::POST,
                "/api/v4/tasks",
                Some(&to),
                Some(json!([{"text": "x", "complete_till": due, "task_type_id": quote}])),
            )
            .await;
        assert_eq!(r.status(), 400);
        let r = app
            .call(Method::GET, "/api/v4/tasks/types", Some(&to), None)
            .await;
        assert_eq!(json(r).await["_total_items"], 2);
    }
}

#[tokio::test]
async fn bad_task_types_name_the_field_and_only_admins_add_them() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/tasks/types",
                json!([{"name": "ok"},
                       {"name": "MEETING"},
                       {"name": "Ok"},
                       {"color": "#fff"},
                       {"name": "x".repeat(256)},
                       {"name": "y", "color": "red", "icon_id": -1}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let paths: Vec<(&str, Vec<&str>)> = errs
            .iter()
            .map(|e| {
                (
                    e["request_id"].as_str().unwrap(),
                    e["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x["path"].as_str().unwrap())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            vec![
                ("1", vec!["name"]),
                ("2", vec!["name"]),
                ("3", vec!["name", "color"]),
                ("4", vec!["name"]),
                ("5", vec!["color", "icon_id"]),
            ]
        );
        assert_eq!(errs[0]["errors"][0]["code"], "NotUnique");
        assert_eq!(
            json(app.get("/api/v4/tasks/types").await).await["_total_items"],
            2,
            "nothing stored"
        );
        assert_eq!(
            app.post("/api/v4/tasks/types", json!([{"name": 5}]))
                .await
                .status(),
            400
        );
        assert_eq!(
            app.post("/api/v4/tasks/types", json!([])).await.status(),
            400
        );
        let (_m, tm) = app
            .user_with("manager", Rights::manager_default(), None)
            .await;
        let r = app
            .call(
                Method::POST,
                "/api/v4/tasks/types",
                Some(&tm),
                Some(json!([{"name": "Mine"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(Method::GET, "/api/v4/tasks/types", Some(&tm), None)
            .await;
        assert_eq!(r.status(), 200, "anyone may read them");
    }
}
