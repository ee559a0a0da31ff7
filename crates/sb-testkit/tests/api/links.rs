//! Links between leads, contacts and companies, and tag directories.

use crate::leads::create_leads;
use crate::{contact, create_contacts, ids_of};
use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

async fn company(app: &TestApp, name: &str) -> i64 {
    let r = app.post("/api/v4/companies", json!([{"name": name}])).await;
    json(r).await["_embedded"]["companies"][0]["id"]
        .as_i64()
        .unwrap()
}

async fn links(app: &TestApp, path: &str) -> Vec<(String, i64, Value)> {
    let r = app.get(path).await;
    if r.status() == 204 {
        return vec![];
    }
    let v = json(r).await;
    v["_embedded"]["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["to_entity_type"].as_str().unwrap().to_string(),
                l["to_entity_id"].as_i64().unwrap(),
                l["metadata"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn leads_contacts_and_companies_link_and_unlink() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let cs = create_contacts(
            &app,
            &t,
            json!([contact("A", "+34600000001"), contact("B", "+34600000002")]),
        )
        .await;
        let (co1, co2) = (company(&app, "One").await, company(&app, "Two").await);
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/link"),
                json!([{"to_entity_id": cs[0], "to_entity_type": "contacts", "metadata": {"is_main": true}},
                       {"to_entity_id": cs[1], "to_entity_type": "contacts", "metadata": null},
                       {"to_entity_id": co1, "to_entity_type": "companies"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_total_items"], 3);
        assert_eq!(v["_embedded"]["links"][0]["entity_type"], "leads");
        let got = links(&app, &format!("/api/v4/leads/{lead}/links")).await;
        assert_eq!(
            got,
            vec![
                ("contacts".to_string(), cs[0], json!({"main_contact": true})),
                (
                    "contacts".to_string(),
                    cs[1],
                    json!({"main_contact": false})
                ),
                ("companies".to_string(), co1, Value::Null),
            ]
        );
        // A second company replaces the first.
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/link"),
                json!([{"to_entity_id": co2, "to_entity_type": "companies"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let l = json(
            app.get(&format!("/api/v4/leads/{lead}?with=contacts"))
                .await,
        )
        .await;
        assert_eq!(l["_embedded"]["companies"][0]["id"], co2);
        assert_eq!(l["_embedded"]["contacts"].as_array().unwrap().len(), 2);
        // The contact side sees the lead; the company side sees it too.
        assert_eq!(
            links(&app, &format!("/api/v4/contacts/{}/links", cs[0])).await[0].1,
            lead
        );
        assert_eq!(
            links(&app, &format!("/api/v4/companies/{co2}/links")).await,
            vec![("leads".to_string(), lead, Value::Null)]
        );
        // Contact and company.
        let r = app
            .post(
                &format!("/api/v4/companies/{co1}/link"),
                json!([{"to_entity_id": cs[1], "to_entity_type": "contacts"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let c = json(app.get(&format!("/api/v4/contacts/{}", cs[1])).await).await;
        assert_eq!(c["_embedded"]["companies"][0]["id"], co1);
        assert!(links(&app, &format!("/api/v4/companies/{co1}/links"))
            .await
            .contains(&("contacts".to_string(), cs[1], Value::Null)));
        // Unlink.
        let r = app
            .post(&format!("/api/v4/leads/{lead}/unlink"), json!([{"to_entity_id": cs[0], "to_entity_type": "contacts"}, {"to_entity_id": co2, "to_entity_type": "companies"}]))
            .await;
        assert_eq!(r.status(), 204);
        let got = links(&app, &format!("/api/v4/leads/{lead}/links")).await;
        assert_eq!(
            got,
            vec![("contacts".to_string(), cs[1], json!({"main_contact": true}))],
            "the next contact becomes main"
        );
        let r = app
            .post(
                &format!("/api/v4/contacts/{}/unlink", cs[1]),
                json!([{"to_entity_id": co1, "to_entity_type": "companies"}]),
            )
            .await;
        assert_eq!(r.status(), 204);
        let c = json(app.get(&format!("/api/v4/contacts/{}", cs[1])).await).await;
        assert_eq!(c["_embedded"]["companies"], json!([]));
        assert_eq!(
            ids_of(
                app.get("/api/v4/contacts?query=600000002").await,
                "contacts"
            )
            .await,
            vec![cs[1]],
            "the phone index survives relinking"
        );
        // Filters and events.
        assert_eq!(
            links(
                &app,
                &format!("/api/v4/leads/{lead}/links?filter[to_entity_type]=companies")
            )
            .await,
            vec![]
        );
        let r = app.get(&format!("/api/v4/events?filter[entity][]=lead&filter[entity_id][]={lead}&filter[type][]=entity_unlinked")).await;
        assert_eq!(
            json(r).await["_embedded"]["events"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(app.get("/api/v4/leads/1/links").await.status(), 204);
    }
}

#[tokio::test]
async fn bad_links_name_item_and_field_and_nothing_is_linked() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let c = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await[0];
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/link"),
                json!([{"to_entity_id": c, "to_entity_type": "contacts"},
                       {"to_entity_id": lead, "to_entity_type": "leads", "request_id": "self"},
                       {"to_entity_id": 999, "to_entity_type": "companies"},
                       {"to_entity_type": "contacts"},
                       {"to_entity_id": 5, "to_entity_type": "catalog_elements", "metadata": {"quantity": 1}}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let first = |i: usize| {
            (
                errs[i]["request_id"].as_str().unwrap(),
                errs[i]["errors"][0]["path"].as_str().unwrap(),
            )
        };
        assert_eq!(first(0), ("self", "to_entity_type"));
        assert_eq!(first(1), ("2", "to_entity_id"));
        assert_eq!(first(2), ("3", "to_entity_id"));
        assert_eq!(first(3), ("4", "metadata.catalog_id"));
        assert!(
            links(&app, &format!("/api/v4/leads/{lead}/links"))
                .await
                .is_empty(),
            "nothing linked"
        );
    }
}

#[tokio::test]
async fn linking_needs_edit_on_the_source_and_view_on_the_target() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let mut ro = Rights::manager_default();
        ro.leads = EntityRights {
            view: Scope::All,
            add: Scope::None,
            edit: Scope::None,
            delete: Scope::None,
            export: Scope::None,
        };
        let (_u, tr) = app.user_with("ro", ro, None).await;
        let mut own = Rights::manager_default();
        own.contacts = EntityRights {
            view: Scope::Own,
            add: Scope::All,
            edit: Scope::Own,
            delete: Scope::None,
            export: Scope::None,
        };
        let (_o, to) = app.user_with("own", own, None).await;
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let c = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await[0];
        let body = json!([{"to_entity_id": c, "to_entity_type": "contacts"}]);
        let r = app
            .call(
                Method::POST,
                &format!("/api/v4/leads/{lead}/link"),
                Some(&tr),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(
                Method::POST,
                &format!("/api/v4/leads/{lead}/link"),
                Some(&to),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 400, "the contact is outside the caller's view");
        assert!(links(&app, &format!("/api/v4/leads/{lead}/links"))
            .await
            .is_empty());
        let r = app
            .call(
                Method::GET,
                &format!("/api/v4/contacts/{c}/links"),
                Some(&to),
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
    }
}

#[tokio::test]
async fn tag_directories_per_entity() {
    for app in spawn_apps().await {
        let r = app.post("/api/v4/leads/tags", json!([{"name": "voip", "request_id": "a"}, {"name": "Hot lead", "color": "#ff0000"}])).await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_embedded"]["tags"][0]["request_id"], "a");
        assert_eq!(v["_embedded"]["tags"][1]["color"], "FF0000");
        let v = json(app.get("/api/v4/leads/tags?query=HOT").await).await;
        let names: Vec<&str> = v["_embedded"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["Hot lead"]);
        assert_eq!(
            app.get("/api/v4/contacts/tags").await.status(),
            204,
            "tags belong to one entity kind"
        );
        let r = app
            .post(
                "/api/v4/leads/tags",
                json!([{"name": "VOIP"}, {"name": "ok", "color": "red"}, {"name": " "}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        assert_eq!(errs[0]["errors"][0]["code"], "NotUnique");
        assert_eq!(errs[1]["errors"][0]["path"], "color");
        assert_eq!(errs[2]["errors"][0]["path"], "name");
        assert_eq!(
            ids_of(app.get("/api/v4/leads/tags").await, "tags")
                .await
                .len(),
            2,
            "nothing written"
        );
        // A tag made here is used by name on a lead.
        let t = app.admin_token.clone();
        let lead = create_leads(
            &app,
            &t,
            json!([{"name": "L", "_embedded": {"tags": [{"name": "Voip"}]}}]),
        )
        .await[0];
        let l = json(app.get(&format!("/api/v4/leads/{lead}")).await).await;
        assert_eq!(l["_embedded"]["tags"][0]["name"], "voip");
        let mut no = Rights::manager_default();
        no.leads = EntityRights::none();
        let (_n, tn) = app.user_with("no", no, None).await;
        let r = app
            .call(
                Method::POST,
                "/api/v4/leads/tags",
                Some(&tn),
                Some(json!([{"name": "x"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(
            app.call(Method::GET, "/api/v4/leads/tags", Some(&tn), None)
                .await
                .status(),
            204
        );
    }
}

#[tokio::test]
async fn mass_link_unlink_and_list_carry_entity_ids() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ls = create_leads(&app, &t, json!([{"name": "A"}, {"name": "B"}])).await;
        let c = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await[0];
        let co = company(&app, "One").await;
        let r = app
            .post(
                "/api/v4/leads/link",
                json!([{"entity_id": ls[0], "to_entity_id": c, "to_entity_type": "contacts", "metadata": {"is_main": true}},
                       {"entity_id": ls[1], "to_entity_id": c, "to_entity_type": "contacts"},
                       {"entity_id": ls[1], "to_entity_id": co, "to_entity_type": "companies"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_total_items"], 3);
        assert_eq!(v["_embedded"]["links"][1]["entity_id"], ls[1]);
        assert!(v["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/api/v4/leads/links"));
        assert_eq!(
            links(&app, &format!("/api/v4/leads/{}/links", ls[1])).await,
            vec![
                ("contacts".to_string(), c, json!({"main_contact": true})),
                ("companies".to_string(), co, Value::Null),
            ],
            "a lead's first contact is its main one"
        );
        // The mass list: several entities, filters apply, unknown ids are skipped.
        let v = json(
            app.get(&format!(
                "/api/v4/leads/links?filter[entity_id][]={}&filter[entity_id][]={}&filter[entity_id][]=999",
                ls[0], ls[1]
            ))
            .await,
        )
        .await;
        let got: Vec<(i64, i64)> = v["_embedded"]["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["entity_id"].as_i64().unwrap(),
                    l["to_entity_id"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, vec![(ls[0], c), (ls[1], c), (ls[1], co)]);
        let r = app
            .get(&format!(
                "/api/v4/leads/links?filter[entity_id][0]={}&filter[to_entity_type]=companies",
                ls[1]
            ))
            .await;
        assert_eq!(json(r).await["_total_items"], 1);
        assert_eq!(
            app.get("/api/v4/contacts/links?filter[entity_id][]=999")
                .await
                .status(),
            204
        );
        // Mass unlink.
        let r = app
            .post(
                "/api/v4/leads/unlink",
                json!([{"entity_id": ls[0], "to_entity_id": c, "to_entity_type": "contacts"},
                       {"entity_id": ls[1], "to_entity_id": co, "to_entity_type": "companies"}]),
            )
            .await;
        assert_eq!(r.status(), 204);
        assert!(links(&app, &format!("/api/v4/leads/{}/links", ls[0]))
            .await
            .is_empty());
        assert_eq!(
            links(&app, &format!("/api/v4/leads/{}/links", ls[1])).await,
            vec![("contacts".to_string(), c, json!({"main_contact": true}))]
        );
        // The contact side of the same code.
        let r = app
            .post(
                "/api/v4/contacts/link",
                json!([{"entity_id": c, "to_entity_id": co, "to_entity_type": "companies"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let k = json(app.get(&format!("/api/v4/contacts/{c}")).await).await;
        assert_eq!(k["_embedded"]["companies"][0]["id"], co);
    }
}

#[tokio::test]
async fn bad_mass_links_name_the_item_and_nothing_changes() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let c = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await[0];
        let r = app
            .post(
                "/api/v4/leads/link",
                json!([{"entity_id": lead, "to_entity_id": c, "to_entity_type": "contacts"},
                       {"to_entity_id": c, "to_entity_type": "contacts", "request_id": "no-source"},
                       {"entity_id": 999, "to_entity_id": c, "to_entity_type": "contacts"},
                       {"entity_id": lead, "to_entity_id": lead, "to_entity_type": "leads"},
                       {"entity_id": "x", "to_entity_id": c, "to_entity_type": "contacts"}]),
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
        assert_eq!(errs[0]["request_id"], "4");
        assert_eq!(errs[0]["errors"][0]["path"], "entity_id", "wrong type");
        let r = app
            .post(
                "/api/v4/leads/link",
                json!([{"entity_id": lead, "to_entity_id": c, "to_entity_type": "contacts"},
                       {"to_entity_id": c, "to_entity_type": "contacts", "request_id": "no-source"},
                       {"entity_id": 999, "to_entity_id": c, "to_entity_type": "contacts"},
                       {"entity_id": lead, "to_entity_id": lead, "to_entity_type": "leads"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let first = |i: usize| {
            (
                errs[i]["request_id"].as_str().unwrap(),
                errs[i]["errors"][0]["path"].as_str().unwrap(),
            )
        };
        assert_eq!(first(0), ("no-source", "entity_id"));
        assert_eq!(first(1), ("2", "entity_id"));
        assert_eq!(first(2), ("3", "to_entity_type"));
        assert!(links(&app, &format!("/api/v4/leads/{lead}/links"))
            .await
            .is_empty());
        let r = app
            .post(
                "/api/v4/leads/unlink",
                json!([{"to_entity_id": c, "to_entity_type": "contacts"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(app.get("/api/v4/leads/links").await.status(), 400);
        assert_eq!(
            app.get("/api/v4/leads/links?filter[entity_id][]=x")
                .await
                .status(),
            400
        );
        assert_eq!(
            app.post("/api/v4/leads/link", json!([])).await.status(),
            400
        );
    }
}

#[tokio::test]
async fn mass_links_need_edit_on_every_source() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let mut ro = Rights::manager_default();
        ro.leads = EntityRights {
            view: Scope::All,
            add: Scope::None,
            edit: Scope::None,
            delete: Scope::None,
            export: Scope::None,
        };
        let (_u, tr) = app.user_with("ro", ro, None).await;
        let mut none = Rights::manager_default();
        none.leads = EntityRights::none();
        let (_n, tn) = app.user_with("none", none, None).await;
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let c = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await[0];
        let body = json!([{"entity_id": lead, "to_entity_id": c, "to_entity_type": "contacts"}]);
        for path in ["/api/v4/leads/link", "/api/v4/leads/unlink"] {
            let r = app
                .call(Method::POST, path, Some(&tr), Some(body.clone()))
                .await;
            assert_eq!(r.status(), 403, "{path}");
            let r = app
                .call(Method::POST, path, Some(&tn), Some(body.clone()))
                .await;
            assert_eq!(
                r.status(),
                400,
                "{path}: an invisible lead is an unknown one"
            );
        }
        assert_eq!(app.post("/api/v4/leads/link", body).await.status(), 200);
        let q = format!("/api/v4/leads/links?filter[entity_id][]={lead}");
        let r = app.call(Method::GET, &q, Some(&tr), None).await;
        assert_eq!(r.status(), 200, "viewing links needs only the view right");
        let r = app.call(Method::GET, &q, Some(&tn), None).await;
        assert_eq!(r.status(), 204);
    }
}
