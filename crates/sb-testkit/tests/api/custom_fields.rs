//! Custom field definitions (C10) and filtering by custom-field values.

use crate::{create_contacts, ids_of};
use reqwest::Method;
use sb_domain::Rights;
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

async fn fields(app: &TestApp, entity: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v4/{entity}/custom_fields")).await;
    assert_eq!(r.status(), 200);
    let v = json(r).await;
    assert!(v["_total_items"].as_i64().unwrap() > 0);
    v["_embedded"]["custom_fields"].as_array().unwrap().clone()
}

/// Creates fields as the admin and returns their ids.
pub async fn create_fields(app: &TestApp, entity: &str, body: Value) -> Vec<i64> {
    let r = app
        .post(&format!("/api/v4/{entity}/custom_fields"), body)
        .await;
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn admins_create_list_get_and_delete_fields() {
    for app in spawn_apps().await {
        let before = fields(&app, "contacts").await;
        let codes: Vec<&str> = before.iter().filter_map(|f| f["code"].as_str()).collect();
        assert_eq!(codes, vec!["PHONE", "EMAIL", "POSITION"]);
        assert_eq!(before[0]["type"], "multitext");
        assert_eq!(before[0]["is_predefined"], true);
        assert_eq!(before[0]["enums"][0]["value"], "WORK");
        assert_eq!(app.get("/api/v4/leads/custom_fields").await.status(), 204);

        let r = app
            .post(
                "/api/v4/leads/custom_fields",
                json!([
                    {"name": "Source", "type": "select", "request_id": "s", "enums": [{"value": "Web"}, {"value": "Phone", "sort": 1}]},
                    {"name": "Budget", "type": "numeric", "code": "budget"}
                ]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let made = v["_embedded"]["custom_fields"].as_array().unwrap();
        assert_eq!(made[0]["request_id"], "s");
        assert_eq!(made[1]["request_id"], "1");
        assert_eq!(made[0]["entity_type"], "leads");
        assert_eq!(made[0]["enums"][0]["value"], "Phone", "options by sort");
        assert_eq!(made[1]["code"], "BUDGET");
        assert_eq!(made[1]["is_deletable"], true);
        let id = made[1]["id"].as_i64().unwrap();
        let one = json(app.get(&format!("/api/v4/leads/custom_fields/{id}")).await).await;
        assert_eq!(one["name"], "Budget");
        assert_eq!(fields(&app, "leads").await.len(), 2);
        let filtered = json(
            app.get("/api/v4/leads/custom_fields?filter[type][]=select")
                .await,
        )
        .await;
        assert_eq!(
            filtered["_embedded"]["custom_fields"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // Predefined fields stay.
        let phone = before[0]["id"].as_i64().unwrap();
        let r = app
            .call(
                Method::DELETE,
                &format!("/api/v4/contacts/custom_fields/{phone}"),
                Some(&app.admin_token),
                None,
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(v["validation-errors"][0]["errors"][0]["path"], "id");
        assert_eq!(fields(&app, "contacts").await.len(), 3);

        let r = app
            .call(
                Method::DELETE,
                &format!("/api/v4/leads/custom_fields/{id}"),
                Some(&app.admin_token),
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
        assert_eq!(
            app.get(&format!("/api/v4/leads/custom_fields/{id}"))
                .await
                .status(),
            204
        );
        // Not an integer id: no such resource path (the one rule, see ApiPath).
        assert_eq!(
            app.get("/api/v4/leads/custom_fields/nope").await.status(),
            404
        );
        let r = app
            .call(
                Method::DELETE,
                &format!("/api/v4/leads/custom_fields/{id}"),
                Some(&app.admin_token),
                None,
            )
            .await;
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test]
async fn managers_read_fields_but_cannot_change_them() {
    for app in spawn_apps().await {
        let (_u, t) = app.user_with("mia", Rights::manager_default(), None).await;
        let r = app
            .call(
                Method::GET,
                "/api/v4/contacts/custom_fields",
                Some(&t),
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .call(
                Method::POST,
                "/api/v4/contacts/custom_fields",
                Some(&t),
                Some(json!([{"name": "X", "type": "text"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let id = create_fields(&app, "contacts", json!([{"name": "X", "type": "text"}])).await[0];
        let r = app
            .call(
                Method::DELETE,
                &format!("/api/v4/contacts/custom_fields/{id}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(fields(&app, "contacts").await.len(), 4);
    }
}

#[tokio::test]
async fn bad_definitions_name_the_item_and_field_and_write_nothing() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/companies/custom_fields",
                json!([
                    {"name": "fine", "type": "text"},
                    {"name": "", "type": "bogus", "request_id": "x"},
                    {"name": "Choice", "type": "select"},
                    {"name": "Dup", "type": "text", "code": "PHONE"},
                    {"name": "Opts", "type": "radiobutton", "enums": [{"value": "a"}, {"value": "a"}]},
                    {"name": 5, "type": "text"}
                ]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        assert_eq!(errs.len(), 1, "type errors are reported first: {v}");
        assert_eq!(errs[0]["request_id"], "5");
        assert_eq!(errs[0]["errors"][0]["path"], "name");

        let r = app
            .post(
                "/api/v4/companies/custom_fields",
                json!([
                    {"name": "fine", "type": "text"},
                    {"name": "", "type": "bogus", "request_id": "x"},
                    {"name": "Choice", "type": "select"},
                    {"name": "Dup", "type": "text", "code": "PHONE"},
                    {"name": "Opts", "type": "radiobutton", "enums": [{"value": "a"}, {"value": "a"}]}
                ]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let paths = |i: usize| -> Vec<String> {
            errs[i]["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["path"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(errs[0]["request_id"], "x");
        assert_eq!(paths(0), vec!["name", "type"]);
        assert_eq!(errs[1]["request_id"], "2");
        assert_eq!(paths(1), vec!["enums"]);
        assert_eq!(paths(2), vec!["code"]);
        assert_eq!(errs[2]["errors"][0]["code"], "NotUnique");
        assert_eq!(paths(3), vec!["enums.1.value"]);
        let names: Vec<String> = fields(&app, "companies")
            .await
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        assert!(!names.contains(&"fine".to_string()), "nothing written");
    }
}

#[tokio::test]
async fn contacts_and_companies_filter_by_custom_field_values() {
    for app in spawn_apps().await {
        let ids = create_fields(
            &app,
            "contacts",
            json!([
                {"name": "Tier", "type": "select", "enums": [{"value": "Gold"}, {"value": "Silver"}]},
                {"name": "Age", "type": "numeric"},
                {"name": "Notes", "type": "text"}
            ]),
        )
        .await;
        let (tier, age, text) = (ids[0], ids[1], ids[2]);
        let defs = json(
            app.get(&format!("/api/v4/contacts/custom_fields/{tier}"))
                .await,
        )
        .await;
        let gold = defs["enums"][0]["id"].as_i64().unwrap();
        let t = app.admin_token.clone();
        let c = create_contacts(
            &app,
            &t,
            json!([
                {"name": "A", "custom_fields_values": [{"field_id": tier, "values": [{"enum_id": gold}]}, {"field_id": age, "values": [{"value": 30}]}]},
                {"name": "B", "custom_fields_values": [{"field_id": tier, "values": [{"value": "Silver"}]}, {"field_id": age, "values": [{"value": "45"}]}, {"field_id": text, "values": [{"value": "Likes Jazz"}]}]},
                {"name": "C"}
            ]),
        )
        .await;
        let q = |s: String| {
            let app = &app;
            async move { ids_of(app.get(&format!("/api/v4/contacts?{s}")).await, "contacts").await }
        };
        assert_eq!(
            q(format!("filter[custom_fields_values][{tier}][]={gold}")).await,
            vec![c[0]]
        );
        assert_eq!(
            q(format!("filter[custom_fields_values][{tier}][]=silver")).await,
            vec![c[1]]
        );
        assert_eq!(
            q(format!("filter[custom_fields_values][{age}][from]=40")).await,
            vec![c[1]]
        );
        assert_eq!(
            q(format!("filter[custom_fields_values][{age}][from]=20&filter[custom_fields_values][{age}][to]=50")).await,
            vec![c[0], c[1]]
        );
        assert_eq!(
            q(format!("filter[custom_fields_values][{text}]=likes%20jazz")).await,
            vec![c[1]]
        );
        assert_eq!(
            q("query=jazz".into()).await,
            vec![c[1]],
            "query searches field values"
        );
        // An update rewrites the index.
        let r = app
            .patch(
                &format!("/api/v4/contacts/{}", c[1]),
                json!({"custom_fields_values": [{"field_id": age, "values": [{"value": 20}]}]}),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(q(format!("filter[custom_fields_values][{age}][from]=40"))
            .await
            .is_empty());
        // Unknown fields and malformed keys are 400.
        assert_eq!(
            app.get("/api/v4/contacts?filter[custom_fields_values][999][]=x")
                .await
                .status(),
            400
        );
        assert_eq!(
            app.get("/api/v4/contacts?filter[custom_fields_values][abc][]=x")
                .await
                .status(),
            400
        );

        // Companies too.
        let cid = create_fields(
            &app,
            "companies",
            json!([{"name": "Sector", "type": "text"}]),
        )
        .await[0];
        let r = app
            .post("/api/v4/companies", json!([{"name": "Acme", "custom_fields_values": [{"field_id": cid, "values": [{"value": "Retail"}]}]}, {"name": "Other"}]))
            .await;
        let acme = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            ids_of(
                app.get(&format!(
                    "/api/v4/companies?filter[custom_fields_values][{cid}][]=retail"
                ))
                .await,
                "companies"
            )
            .await,
            vec![acme]
        );
    }
}
