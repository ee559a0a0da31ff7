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
