//! Leads (C5): create, read, filter, update, complex create, rights and bad input.

use crate::custom_fields::create_fields;
use crate::pipelines::main_pipeline;
use crate::{contact, create_contacts, ids_of};
use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

/// Creates leads with `token` and returns their ids.
pub async fn create_leads(app: &TestApp, token: &str, items: Value) -> Vec<i64> {
    let r = app
        .call(Method::POST, "/api/v4/leads", Some(token), Some(items))
        .await;
    assert_eq!(r.status(), 200, "create leads");
    let v = json(r).await;
    v["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

async fn lead(app: &TestApp, id: i64) -> Value {
    let r = app.get(&format!("/api/v4/leads/{id}?with=contacts")).await;
    assert_eq!(r.status(), 200);
    json(r).await
}

fn with_leads(view: Scope, add: Scope, edit: Scope) -> Rights {
    let mut r = Rights::manager_default();
    r.leads = EntityRights {
        view,
        add,
        edit,
        delete: Scope::None,
        export: Scope::None,
    };
    r
}

#[tokio::test]
async fn a_lead_lands_in_the_first_working_stage_with_its_links() {
    for app in spawn_apps().await {
        let (pid, first) = main_pipeline(&app).await;
        let t = app.admin_token.clone();
        let contacts = create_contacts(
            &app,
            &t,
            json!([
                contact("Ana", "+34 600 111 222"),
                contact("Bea", "+34 600 333 444")
            ]),
        )
        .await;
        let r = app
            .post("/api/v4/companies", json!([{"name": "Acme"}]))
            .await;
        let company = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        let src = create_fields(&app, "leads", json!([{"name": "Source", "type": "select", "enums": [{"value": "Web"}, {"value": "Call"}]}])).await[0];
        let r = app
            .post(
                "/api/v4/leads",
                json!([{"name": "Big deal", "price": 1500, "request_id": "a",
                        "custom_fields_values": [{"field_id": src, "values": [{"value": "Call"}]}],
                        "_embedded": {"tags": [{"name": "voip"}, {"name": "VoIP "}],
                                      "contacts": [{"id": contacts[0]}, {"id": contacts[1], "is_main": true}],
                                      "companies": [{"id": company}]}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/hal+json");
        let v = json(r).await;
        let item = &v["_embedded"]["leads"][0];
        assert_eq!(item["request_id"], "a");
        let id = item["id"].as_i64().unwrap();
        let l = lead(&app, id).await;
        assert_eq!(l["name"], "Big deal");
        assert_eq!(l["price"], 1500);
        assert_eq!(
            (l["pipeline_id"].as_i64(), l["status_id"].as_i64()),
            (Some(pid), Some(first))
        );
        assert_eq!(l["responsible_user_id"], app.admin.user.id.0);
        assert_eq!(l["closed_at"], Value::Null);
        assert_eq!(l["custom_fields_values"][0]["values"][0]["value"], "Call");
        assert_eq!(l["custom_fields_values"][0]["field_type"], "select");
        let tags = l["_embedded"]["tags"].as_array().unwrap();
        assert_eq!(tags.len(), 1, "tags are one per name in any case");
        assert_eq!(tags[0]["name"], "voip");
        assert_eq!(l["_embedded"]["companies"][0]["id"], company);
        let cs = l["_embedded"]["contacts"].as_array().unwrap();
        assert_eq!(cs.len(), 2);
        let main: Vec<i64> = cs
            .iter()
            .filter(|c| c["is_main"] == true)
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(main, vec![contacts[1]]);
        // Without with=contacts there are none.
        let plain = json(app.get(&format!("/api/v4/leads/{id}")).await).await;
        assert!(plain["_embedded"].get("contacts").is_none());
        assert_eq!(app.get("/api/v4/leads/123").await.status(), 204);
        // Not an integer id: no such resource path (the one rule, see ApiPath).
        assert_eq!(app.get("/api/v4/leads/abc").await.status(), 404);
    }
}

#[tokio::test]
async fn closing_sets_closed_at_and_reopening_clears_it() {
    for app in spawn_apps().await {
        let (pid, first) = main_pipeline(&app).await;
        let t = app.admin_token.clone();
        let id = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let r = app
            .patch(
                &format!("/api/v4/leads/{id}"),
                json!({"status_id": 142, "pipeline_id": pid}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["id"], id);
        let l = lead(&app, id).await;
        assert_eq!(l["status_id"], 142);
        assert!(l["closed_at"].as_i64().is_some());
        let r = app
            .patch(
                "/api/v4/leads",
                json!([{"id": id, "status_id": first, "price": 10, "name": "Deal 2"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["_embedded"]["leads"][0]["id"], id);
        let l = lead(&app, id).await;
        assert_eq!(l["closed_at"], Value::Null);
        assert_eq!(
            (l["price"].as_i64(), l["name"].as_str()),
            (Some(10), Some("Deal 2"))
        );
        // Created straight into Closed-lost.
        let lost = create_leads(&app, &t, json!([{"name": "Lost", "status_id": 143}])).await[0];
        let l = lead(&app, lost).await;
        assert_eq!(
            (l["pipeline_id"].as_i64(), l["status_id"].as_i64()),
            (Some(pid), Some(143))
        );
        assert!(l["closed_at"].as_i64().is_some());
    }
}

#[tokio::test]
async fn lists_filter_by_stage_owner_price_dates_fields_and_query() {
    for app in spawn_apps().await {
        let (pid, first) = main_pipeline(&app).await;
        let t = app.admin_token.clone();
        let (bob, tb) = app.user_with("bob", Rights::manager_default(), None).await;
        let budget = create_fields(
            &app,
            "leads",
            json!([{"name": "Budget", "type": "numeric"}]),
        )
        .await[0];
        let c = create_contacts(&app, &t, json!([contact("Caller", "+34 91 555 66 77")])).await;
        let ids = create_leads(
            &app,
            &t,
            json!([
                {"name": "Alpha", "price": 100, "custom_fields_values": [{"field_id": budget, "values": [{"value": 5000}]}]},
                {"name": "Beta", "price": 900, "status_id": 142, "_embedded": {"contacts": [{"id": c[0]}]}},
                {"name": "Gamma", "price": 500, "responsible_user_id": bob.id.0}
            ]),
        )
        .await;
        let q = |s: &str| {
            let (app, s) = (&app, s.to_string());
            async move { ids_of(app.get(&format!("/api/v4/leads?{s}")).await, "leads").await }
        };
        assert_eq!(q("").await, ids);
        assert_eq!(
            q(&format!(
                "filter[statuses][0][pipeline_id]={pid}&filter[statuses][0][status_id]=142"
            ))
            .await,
            vec![ids[1]]
        );
        assert_eq!(
            q(&format!("filter[statuses][0][pipeline_id]={pid}&filter[statuses][0][status_id]={first}&filter[statuses][1][pipeline_id]={pid}&filter[statuses][1][status_id]=142")).await,
            ids
        );
        assert_eq!(q(&format!("filter[pipeline_id][]={pid}")).await, ids);
        assert_eq!(q("filter[pipeline_id][]=1").await, Vec::<i64>::new());
        assert_eq!(
            q(&format!("filter[responsible_user_id][]={}", bob.id.0)).await,
            vec![ids[2]]
        );
        assert_eq!(
            q("filter[price][from]=400&filter[price][to]=900").await,
            vec![ids[1], ids[2]]
        );
        assert_eq!(
            q(&format!(
                "filter[custom_fields_values][{budget}][from]=1000"
            ))
            .await,
            vec![ids[0]]
        );
        assert_eq!(q("query=gam").await, vec![ids[2]]);
        assert_eq!(
            q("query=915556677").await,
            vec![ids[1]],
            "by a contact's phone"
        );
        assert_eq!(q("order[id]=desc").await, vec![ids[2], ids[1], ids[0]]);
        let now = sb_service::Clock::now_ms(app.clock.as_ref()) / 1000;
        assert_eq!(
            q(&format!("filter[created_at][from]={}", now + 60)).await,
            Vec::<i64>::new()
        );
        assert_eq!(
            q(&format!(
                "filter[updated_at][from]={}&filter[updated_at][to]={}",
                now - 60,
                now + 60
            ))
            .await
            .len(),
            3
        );
        assert_eq!(
            q(&format!("filter[closed_at][from]={}", now - 60)).await,
            vec![ids[1]]
        );
        // Paging.
        let v = json(app.get("/api/v4/leads?limit=2").await).await;
        assert!(v["_links"]["next"]["href"]
            .as_str()
            .unwrap()
            .starts_with(&app.url));
        assert_eq!(q("limit=2&page=2").await, vec![ids[2]]);
        // Bad filters.
        assert_eq!(
            app.get("/api/v4/leads?filter[statuses][0][pipeline_id]=1")
                .await
                .status(),
            400
        );
        assert_eq!(
            app.get("/api/v4/leads?order[price]=asc").await.status(),
            400
        );
        assert_eq!(app.get("/api/v4/leads?limit=251").await.status(), 400);
        // Bob (manager, all scopes) sees all; with=contacts lists the contact.
        let r = app
            .call(Method::GET, "/api/v4/leads?with=contacts", Some(&tb), None)
            .await;
        let v = json(r).await;
        assert_eq!(
            v["_embedded"]["leads"][1]["_embedded"]["contacts"][0]["id"],
            c[0]
        );
    }
}

#[tokio::test]
async fn tags_are_replaced_added_and_removed() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let id = create_leads(
            &app,
            &t,
            json!([{"name": "T", "_embedded": {"tags": [{"name": "a"}, {"name": "b"}]}}]),
        )
        .await[0];
        let names = |l: &Value| -> Vec<String> {
            let mut v: Vec<String> = l["_embedded"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect();
            v.sort();
            v
        };
        let r = app
            .patch(
                &format!("/api/v4/leads/{id}"),
                json!({"tags_to_add": [{"name": "c"}], "tags_to_delete": [{"name": "A"}]}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(names(&lead(&app, id).await), vec!["b", "c"]);
        let r = app
            .patch(
                &format!("/api/v4/leads/{id}"),
                json!({"_embedded": {"tags": [{"name": "z"}]}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(names(&lead(&app, id).await), vec!["z"]);
        let r = app
            .patch(
                &format!("/api/v4/leads/{id}"),
                json!({"_embedded": {"tags": []}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(names(&lead(&app, id).await).is_empty());
    }
}

#[tokio::test]
async fn complex_creates_lead_contact_and_company_at_once() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/leads/complex",
                json!([{"name": "Inbound call", "price": 50,
                        "_embedded": {"tags": [{"name": "voip"}],
                                      "contacts": [{"first_name": "Ana", "last_name": "Gil", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34 600 123 456", "enum_code": "MOB"}]}]}],
                                      "companies": [{"name": "Gil SL"}]}},
                       {"name": "Only lead"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let arr = v.as_array().expect("a bare array");
        assert_eq!(arr.len(), 2);
        assert_eq!(arr[0]["request_id"], json!(["0"]));
        assert_eq!(arr[0]["merged"], false);
        assert_eq!(arr[1]["contact_id"], Value::Null);
        let (lid, cid, coid) = (
            arr[0]["id"].as_i64().unwrap(),
            arr[0]["contact_id"].as_i64().unwrap(),
            arr[0]["company_id"].as_i64().unwrap(),
        );
        let l = lead(&app, lid).await;
        assert_eq!(l["_embedded"]["contacts"][0]["id"], cid);
        assert_eq!(l["_embedded"]["contacts"][0]["is_main"], true);
        assert_eq!(l["_embedded"]["companies"][0]["id"], coid);
        assert_eq!(l["_embedded"]["tags"][0]["name"], "voip");
        let c = json(app.get(&format!("/api/v4/contacts/{cid}")).await).await;
        assert_eq!(c["name"], "Ana Gil");
        assert_eq!(c["_embedded"]["companies"][0]["id"], coid);
        assert_eq!(
            ids_of(
                app.get("/api/v4/contacts?query=600123456").await,
                "contacts"
            )
            .await,
            vec![cid]
        );
        // An existing contact by id.
        let r = app
            .post(
                "/api/v4/leads/complex",
                json!([{"name": "Again", "_embedded": {"contacts": [{"id": cid}]}}]),
            )
            .await;
        let v = json(r).await;
        assert_eq!(v[0]["contact_id"], cid);
        assert_eq!(
            ids_of(app.get("/api/v4/contacts").await, "contacts")
                .await
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn bad_leads_name_item_and_field_and_nothing_is_written() {
    for app in spawn_apps().await {
        let (pid, _) = main_pipeline(&app).await;
        let r = app
            .post(
                "/api/v4/leads/pipelines",
                json!([{"name": "Other", "_embedded": {"statuses": [{"name": "X"}]}}]),
            )
            .await;
        let other_status = json(r).await["_embedded"]["pipelines"][0]["_embedded"]["statuses"][1]
            ["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post(
                "/api/v4/leads",
                json!([
                    {"name": "fine"},
                    {"name": "bad stage", "pipeline_id": pid, "status_id": other_status, "request_id": "s"},
                    {"name": "bad pipeline", "pipeline_id": 5},
                    {"name": "bad price", "price": -1},
                    {"name": "bad contact", "_embedded": {"contacts": [{"id": 77}], "companies": [{"id": 78}]}},
                    {"name": "bad field", "custom_fields_values": [{"field_id": 9, "values": [{"value": "x"}]}]},
                    {"name": "bad owner", "responsible_user_id": 12345},
                    {"name": "bad tag", "_embedded": {"tags": [{"id": 1}]}}
                ]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let got: Vec<(String, String)> = errs
            .iter()
            .flat_map(|e| {
                e["errors"].as_array().unwrap().iter().map(move |x| {
                    (
                        e["request_id"].as_str().unwrap().to_string(),
                        x["path"].as_str().unwrap().to_string(),
                    )
                })
            })
            .collect();
        let want: Vec<(String, String)> = [
            ("s", "status_id"),
            ("2", "pipeline_id"),
            ("3", "price"),
            ("4", "_embedded.companies.0.id"),
            ("4", "_embedded.contacts.0.id"),
            ("5", "custom_fields_values.0.field_id"),
            ("6", "responsible_user_id"),
            ("7", "_embedded.tags.0.id"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
        assert_eq!(
            app.get("/api/v4/leads").await.status(),
            204,
            "nothing written"
        );
        let r = app.post("/api/v4/leads", json!([{"name": ["x"]}])).await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "name"
        );
        // PATCH: unknown id, and the incoming stage is not a target.
        let t = app.admin_token.clone();
        let id = create_leads(&app, &t, json!([{"name": "L"}])).await[0];
        let r = app
            .patch("/api/v4/leads", json!([{"id": 1, "name": "x"}]))
            .await;
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "id"
        );
        let ps = crate::pipelines::pipelines(&app).await;
        let incoming = ps.iter().find(|p| p["id"] == pid).unwrap()["_embedded"]["statuses"][0]
            ["id"]
            .as_i64()
            .unwrap();
        let r = app
            .patch(
                &format!("/api/v4/leads/{id}"),
                json!({"status_id": incoming, "name": "changed"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["validation-errors"][0]["errors"][0]["path"],
            "status_id"
        );
        assert_eq!(lead(&app, id).await["name"], "L");
        // Complex: the contact's errors are nested under the lead; nothing is written.
        let r = app
            .post(
                "/api/v4/leads/complex",
                json!([{"name": "C", "request_id": "x", "_embedded": {"contacts": [{"name": "N", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "1", "enum_code": "PAGER"}]}]}]}}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(v["validation-errors"][0]["request_id"], "x");
        assert_eq!(
            v["validation-errors"][0]["errors"][0]["path"],
            "_embedded.contacts.0.custom_fields_values.0.values.0.enum_code"
        );
        assert_eq!(app.get("/api/v4/contacts").await.status(), 204);
        assert_eq!(
            ids_of(app.get("/api/v4/leads").await, "leads").await,
            vec![id]
        );
    }
}

#[tokio::test]
async fn rights_scope_leads() {
    for app in spawn_apps().await {
        let (_ana, ta) = app
            .user_with("ana", with_leads(Scope::Own, Scope::All, Scope::Own), None)
            .await;
        let (_bob, tb) = app
            .user_with("bob", with_leads(Scope::Own, Scope::All, Scope::Own), None)
            .await;
        let (_ro, tr) = app
            .user_with("ro", with_leads(Scope::All, Scope::None, Scope::None), None)
            .await;
        let (_no, tn) = app
            .user_with(
                "no",
                with_leads(Scope::None, Scope::None, Scope::None),
                None,
            )
            .await;
        let mine = create_leads(&app, &ta, json!([{"name": "Ana's"}])).await;
        let theirs = create_leads(&app, &tb, json!([{"name": "Bob's"}])).await;
        let get = |t: &str, p: String| {
            let (app, t) = (&app, t.to_string());
            async move { app.call(Method::GET, &p, Some(&t), None).await }
        };
        assert_eq!(
            ids_of(get(&ta, "/api/v4/leads".into()).await, "leads").await,
            mine
        );
        assert_eq!(
            get(&ta, format!("/api/v4/leads/{}", theirs[0]))
                .await
                .status(),
            204
        );
        assert_eq!(
            ids_of(get(&ta, "/api/v4/leads?query=Bob".into()).await, "leads").await,
            Vec::<i64>::new()
        );
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/leads/{}", theirs[0]),
                Some(&ta),
                Some(json!({"name": "mine now"})),
            )
            .await;
        assert_eq!(r.status(), 400, "outside the view scope it does not exist");
        // View all, edit none: visible but not changeable; no adding.
        assert_eq!(
            ids_of(get(&tr, "/api/v4/leads".into()).await, "leads")
                .await
                .len(),
            2
        );
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/leads/{}", mine[0]),
                Some(&tr),
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(
                Method::POST,
                "/api/v4/leads",
                Some(&tr),
                Some(json!([{"name": "x"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(
                Method::POST,
                "/api/v4/leads/complex",
                Some(&tr),
                Some(json!([{"name": "x"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        // Nothing at all.
        assert_eq!(get(&tn, "/api/v4/leads".into()).await.status(), 204);
        assert_eq!(
            get(&tn, format!("/api/v4/leads/{}", mine[0]))
                .await
                .status(),
            204
        );
        assert_eq!(lead(&app, theirs[0]).await["name"], "Bob's");
        assert_eq!(
            ids_of(app.get("/api/v4/leads").await, "leads").await.len(),
            2
        );
    }
}
