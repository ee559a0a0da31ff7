//! Lists (catalogs, C15): creation, elements, and linking elements to leads.

use crate::ids_of;
use crate::leads::create_leads;
use reqwest::Method;
use sb_domain::Rights;
use sb_testkit::{json, spawn_apps};
use serde_json::json;

#[tokio::test]
async fn lists_and_elements_link_to_leads() {
    for app in spawn_apps().await {
        assert_eq!(app.get("/api/v4/catalogs").await.status(), 204);
        let r = app
            .post("/api/v4/catalogs", json!([{"name": "Products", "type": "products", "request_id": "p"}, {"name": "Plan", "can_link_multiple": false}]))
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_embedded"]["catalogs"][0]["request_id"], "p");
        assert_eq!(v["_embedded"]["catalogs"][0]["type"], "products");
        let products = v["_embedded"]["catalogs"][0]["id"].as_i64().unwrap();
        let plans = v["_embedded"]["catalogs"][1]["id"].as_i64().unwrap();
        assert!(products >= 1000);
        assert_eq!(
            json(app.get(&format!("/api/v4/catalogs/{products}")).await).await["name"],
            "Products"
        );
        assert_eq!(
            ids_of(app.get("/api/v4/catalogs").await, "catalogs")
                .await
                .len(),
            2
        );

        let (_m, tm) = app.user_with("mia", Rights::manager_default(), None).await;
        let r = app
            .call(
                Method::POST,
                "/api/v4/catalogs",
                Some(&tm),
                Some(json!([{"name": "Mine"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        // Anyone adds elements.
        let r = app
            .call(
                Method::POST,
                &format!("/api/v4/catalogs/{products}/elements"),
                Some(&tm),
                Some(json!([{"name": "Headset"}, {"name": "Desk phone"}])),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let headset = v["_embedded"]["elements"][0]["id"].as_i64().unwrap();
        assert_eq!(v["_embedded"]["elements"][0]["catalog_id"], products);
        let found = ids_of(
            app.get(&format!("/api/v4/catalogs/{products}/elements?query=head"))
                .await,
            "elements",
        )
        .await;
        assert_eq!(found, vec![headset]);
        let one = json(
            app.get(&format!("/api/v4/catalogs/{products}/elements/{headset}"))
                .await,
        )
        .await;
        assert_eq!(one["name"], "Headset");
        assert_eq!(
            app.get(&format!("/api/v4/catalogs/{plans}/elements/{headset}"))
                .await
                .status(),
            204
        );
        let r = app
            .post(
                &format!("/api/v4/catalogs/{plans}/elements"),
                json!([{"name": "Basic"}, {"name": "Pro"}]),
            )
            .await;
        let v = json(r).await;
        let (basic, pro) = (
            v["_embedded"]["elements"][0]["id"].as_i64().unwrap(),
            v["_embedded"]["elements"][1]["id"].as_i64().unwrap(),
        );

        // Link elements to a lead, with quantities.
        let t = app.admin_token.clone();
        let lead = create_leads(&app, &t, json!([{"name": "Deal"}])).await[0];
        let r = app
            .post(&format!("/api/v4/leads/{lead}/link"), json!([{"to_entity_id": headset, "to_entity_type": "catalog_elements", "metadata": {"catalog_id": products, "quantity": 3}},
                                                              {"to_entity_id": basic, "to_entity_type": "catalog_elements", "metadata": {"catalog_id": plans}}]))
            .await;
        assert_eq!(r.status(), 200);
        let v = json(
            app.get(&format!(
                "/api/v4/leads/{lead}/links?filter[to_catalog_id]={products}"
            ))
            .await,
        )
        .await;
        assert_eq!(v["_embedded"]["links"][0]["to_entity_id"], headset);
        assert_eq!(v["_embedded"]["links"][0]["metadata"]["quantity"], 3.0);
        // A single-link list refuses a second element; a negative quantity is refused.
        let r = app
            .post(&format!("/api/v4/leads/{lead}/link"), json!([{"to_entity_id": pro, "to_entity_type": "catalog_elements", "metadata": {"catalog_id": plans}},
                                                              {"to_entity_id": headset, "to_entity_type": "catalog_elements", "metadata": {"catalog_id": products, "quantity": -1}}]))
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(
            v["validation-errors"][0]["errors"][0]["path"],
            "to_entity_id"
        );
        assert_eq!(
            v["validation-errors"][1]["errors"][0]["path"],
            "metadata.quantity"
        );
        let r = app
            .post(
                &format!("/api/v4/leads/{lead}/unlink"),
                json!([{"to_entity_id": basic, "to_entity_type": "catalog_elements"}]),
            )
            .await;
        assert_eq!(r.status(), 204);
        let v = json(app.get(&format!("/api/v4/leads/{lead}/links")).await).await;
        assert_eq!(v["_total_items"], 1);
    }
}

#[tokio::test]
async fn bad_lists_and_elements_name_item_and_field() {
    for app in spawn_apps().await {
        let r = app.post("/api/v4/catalogs", json!([{"name": "ok"}, {"name": "", "request_id": "e"}, {"name": "x", "type": "planets"}])).await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(v["validation-errors"][0]["request_id"], "e");
        assert_eq!(v["validation-errors"][0]["errors"][0]["path"], "name");
        assert_eq!(v["validation-errors"][1]["errors"][0]["path"], "type");
        assert_eq!(
            app.get("/api/v4/catalogs").await.status(),
            204,
            "nothing written"
        );
        let r = app
            .post(
                "/api/v4/catalogs",
                json!([{"name": "Closed", "can_add_elements": false}, {"name": "Open"}]),
            )
            .await;
        let v = json(r).await;
        let (closed, open) = (
            v["_embedded"]["catalogs"][0]["id"].as_i64().unwrap(),
            v["_embedded"]["catalogs"][1]["id"].as_i64().unwrap(),
        );
        assert_eq!(
            app.post(
                &format!("/api/v4/catalogs/{closed}/elements"),
                json!([{"name": "x"}])
            )
            .await
            .status(),
            403
        );
        let r = app.post(&format!("/api/v4/catalogs/{open}/elements"), json!([{"name": "a"}, {"name": " "}, {"name": "b", "custom_fields_values": [{"field_id": 1, "values": [{"value": "v"}]}]}])).await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(v["validation-errors"][0]["errors"][0]["path"], "name");
        assert_eq!(
            v["validation-errors"][1]["errors"][0]["path"],
            "custom_fields_values.0.field_id"
        );
        assert_eq!(
            app.get(&format!("/api/v4/catalogs/{open}/elements"))
                .await
                .status(),
            204
        );
        assert_eq!(
            app.post("/api/v4/catalogs/1/elements", json!([{"name": "x"}]))
                .await
                .status(),
            404
        );
    }
}

#[tokio::test]
async fn elements_are_updated_with_their_list_custom_fields() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/catalogs",
                json!([{"name": "Products", "type": "products"}]),
            )
            .await;
        let products = json(r).await["_embedded"]["catalogs"][0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            app.get(&format!("/api/v4/catalogs/{products}/custom_fields"))
                .await
                .status(),
            204
        );
        let r = app
            .post(
                &format!("/api/v4/catalogs/{products}/custom_fields"),
                json!([{"name": "SKU", "type": "text", "code": "SKU", "request_id": "s"},
                       {"name": "Price", "type": "numeric"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let f = &v["_embedded"]["custom_fields"];
        assert_eq!(f[0]["request_id"], "s");
        assert_eq!(f[0]["entity_type"], "catalogs");
        assert_eq!(f[0]["catalog_id"], products);
        assert!(f[0]["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "/api/v4/catalogs/{products}/custom_fields/{}",
                f[0]["id"]
            )));
        let (sku, price) = (f[0]["id"].as_i64().unwrap(), f[1]["id"].as_i64().unwrap());
        let v = json(
            app.get(&format!("/api/v4/catalogs/{products}/custom_fields"))
                .await,
        )
        .await;
        assert_eq!(v["_total_items"], 2);
        assert_eq!(
            app.get(&format!("/api/v4/leads/custom_fields?filter[id][]={sku}"))
                .await
                .status(),
            204,
            "a list's fields are not the leads'"
        );
        // Elements carry the values; reads show them with their names.
        let r = app
            .post(
                &format!("/api/v4/catalogs/{products}/elements"),
                json!([{"name": "Headset", "custom_fields_values": [{"field_id": sku, "values": [{"value": "H-1"}]}]},
                       {"name": "Desk phone"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let els = &v["_embedded"]["elements"];
        assert_eq!(els[0]["custom_fields_values"][0]["field_name"], "SKU");
        let (headset, phone) = (
            els[0]["id"].as_i64().unwrap(),
            els[1]["id"].as_i64().unwrap(),
        );
        // PATCH: name, one field replaced, another added; the other element renamed.
        let r = app
            .patch(
                &format!("/api/v4/catalogs/{products}/elements"),
                json!([{"id": headset, "custom_fields_values": [{"field_id": price, "values": [{"value": 49.5}]}], "request_id": "h"},
                       {"id": phone, "name": "Desk phone 2"}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["_embedded"]["elements"][0]["request_id"], "h");
        assert_eq!(v["_embedded"]["elements"][1]["name"], "Desk phone 2");
        let one = json(
            app.get(&format!("/api/v4/catalogs/{products}/elements/{headset}"))
                .await,
        )
        .await;
        assert_eq!(one["name"], "Headset");
        let fields: Vec<(i64, serde_json::Value)> = one["custom_fields_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["field_id"].as_i64().unwrap(),
                    f["values"][0]["value"].clone(),
                )
            })
            .collect();
        assert!(fields.contains(&(sku, json!("H-1"))), "{fields:?}");
        assert!(fields.contains(&(price, json!(49.5))), "{fields:?}");
        let r = app
            .patch(
                &format!("/api/v4/catalogs/{products}/elements"),
                json!([{"id": headset, "custom_fields_values": [{"field_id": sku, "values": []}]}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let one = json(
            app.get(&format!("/api/v4/catalogs/{products}/elements/{headset}"))
                .await,
        )
        .await;
        assert_eq!(one["custom_fields_values"].as_array().unwrap().len(), 1);
        assert_eq!(one["custom_fields_values"][0]["field_id"], price);
        // A manager edits elements of an open list but adds no fields.
        let (_m, tm) = app.user_with("mia", Rights::manager_default(), None).await;
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/catalogs/{products}/elements"),
                Some(&tm),
                Some(json!([{"id": phone, "name": "Desk phone 3"}])),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .call(
                Method::POST,
                &format!("/api/v4/catalogs/{products}/custom_fields"),
                Some(&tm),
                Some(json!([{"name": "Mine", "type": "text"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(
                Method::GET,
                &format!("/api/v4/catalogs/{products}/custom_fields"),
                Some(&tm),
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn bad_element_updates_name_item_and_field_and_nothing_changes() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/catalogs",
                json!([{"name": "Open"}, {"name": "Closed", "can_add_elements": false}, {"name": "Other"}]),
            )
            .await;
        let v = json(r).await;
        let id = |i: usize| v["_embedded"]["catalogs"][i]["id"].as_i64().unwrap();
        let (open, closed, other) = (id(0), id(1), id(2));
        let r = app
            .post(
                &format!("/api/v4/catalogs/{open}/custom_fields"),
                json!([{"name": "Size", "type": "numeric"}]),
            )
            .await;
        let size = json(r).await["_embedded"]["custom_fields"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post(
                &format!("/api/v4/catalogs/{open}/elements"),
                json!([{"name": "a"}]),
            )
            .await;
        let a = json(r).await["_embedded"]["elements"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post(
                &format!("/api/v4/catalogs/{other}/elements"),
                json!([{"name": "elsewhere"}]),
            )
            .await;
        let elsewhere = json(r).await["_embedded"]["elements"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .patch(
                &format!("/api/v4/catalogs/{open}/elements"),
                json!([{"id": a, "name": "renamed"},
                       {"name": "no id"},
                       {"id": elsewhere, "name": "another list's"},
                       {"id": a, "name": " "},
                       {"id": a, "custom_fields_values": [{"field_id": size, "values": [{"value": "big"}]}]},
                       {"id": a, "custom_fields_values": [{"field_id": 1, "values": [{"value": "v"}]}]}]),
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
        let paths: Vec<(&str, &str)> = v["validation-errors"]
            .as_array()
            .unwrap()
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
                ("3", "name"),
                ("4", "custom_fields_values.0.values.0.value"),
                ("5", "custom_fields_values.0.field_id"),
            ]
        );
        let one = json(
            app.get(&format!("/api/v4/catalogs/{open}/elements/{a}"))
                .await,
        )
        .await;
        assert_eq!(one["name"], "a", "nothing written");
        let r = app
            .patch(
                &format!("/api/v4/catalogs/{open}/elements"),
                json!([{"id": "x"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            app.patch(
                &format!("/api/v4/catalogs/{closed}/elements"),
                json!([{"id": a, "name": "x"}])
            )
            .await
            .status(),
            403
        );
        assert_eq!(
            app.patch(
                "/api/v4/catalogs/1/elements",
                json!([{"id": a, "name": "x"}])
            )
            .await
            .status(),
            404
        );
        let r = app
            .post(
                &format!("/api/v4/catalogs/{open}/custom_fields"),
                json!([{"name": "", "type": "text"}, {"name": "x", "type": "planets"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(v["validation-errors"][0]["errors"][0]["path"], "name");
        assert_eq!(v["validation-errors"][1]["errors"][0]["path"], "type");
        assert_eq!(
            app.post(
                "/api/v4/catalogs/1/custom_fields",
                json!([{"name": "x", "type": "text"}])
            )
            .await
            .status(),
            404
        );
    }
}
