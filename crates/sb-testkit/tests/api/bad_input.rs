use crate::{contact, ids_of};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

async fn raw_post(app: &TestApp, path: &str, body: &str) -> reqwest::Response {
    app.client
        .post(format!("{}{}", app.url, path))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn problem(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    json(r).await
}

async fn nothing_stored(app: &TestApp) {
    assert!(
        ids_of(app.get("/api/v4/contacts").await, "contacts")
            .await
            .is_empty(),
        "nothing of a refused batch is written"
    );
}

#[tokio::test]
async fn malformed_json_and_wrong_shapes_are_400() {
    for app in spawn_apps().await {
        let v = problem(
            raw_post(&app, "/api/v4/contacts", "[{\"name\": ").await,
            400,
        )
        .await;
        assert!(v["detail"].as_str().unwrap().contains("not valid JSON"));
        problem(raw_post(&app, "/api/v4/contacts", "").await, 400).await;
        problem(raw_post(&app, "/api/v4/contacts", "42").await, 400).await;
        let v = problem(
            app.post(
                "/api/v4/contacts",
                json!([contact("ok", "+34600000001"), {"name": 12}]),
            )
            .await,
            400,
        )
        .await;
        let e = &v["validation-errors"][0];
        assert_eq!(e["request_id"], "1");
        assert_eq!(e["errors"][0]["path"], "name");
        assert_eq!(e["errors"][0]["code"], "InvalidType");
        nothing_stored(&app).await;
    }
}

#[tokio::test]
async fn unknown_field_and_enum_name_the_item_and_field() {
    for app in spawn_apps().await {
        let body = json!([
            contact("fine", "+34600000001"),
            {"name": "bad enum", "request_id": "x7", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34600000002", "enum_code": "PAGER"}]}]},
            {"name": "bad field", "custom_fields_values": [{"field_id": 4242, "values": [{"value": "a"}]}]}
        ]);
        let v = problem(app.post("/api/v4/contacts", body).await, 400).await;
        let errs = v["validation-errors"].as_array().unwrap();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0]["request_id"], "x7");
        assert_eq!(
            errs[0]["errors"][0]["path"],
            "custom_fields_values.0.values.0.enum_code"
        );
        assert_eq!(errs[0]["errors"][0]["code"], "NotSupportedChoice");
        assert_eq!(errs[1]["request_id"], "2");
        assert_eq!(
            errs[1]["errors"][0]["path"],
            "custom_fields_values.0.field_id"
        );
        nothing_stored(&app).await;
    }
}

#[tokio::test]
async fn batches_over_the_limit_and_oversized_bodies_are_refused() {
    for app in spawn_apps().await {
        let items: Vec<Value> = (0..251).map(|i| json!({"name": format!("c{i}")})).collect();
        let v = problem(app.post("/api/v4/contacts", json!(items)).await, 400).await;
        assert!(v["detail"].as_str().unwrap().contains("250"));
        let huge = format!("[{{\"name\": \"{}\"}}]", "a".repeat(3 * 1024 * 1024));
        problem(raw_post(&app, "/api/v4/contacts", &huge).await, 413).await;
        problem(app.get("/api/v4/contacts?limit=251").await, 400).await;
        problem(app.get("/api/v4/contacts?page=zero").await, 400).await;
        nothing_stored(&app).await;
    }
}

#[tokio::test]
async fn a_bad_update_changes_nothing() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = crate::create_contacts(
            &app,
            &t,
            json!([contact("A", "+34600000001"), contact("B", "+34600000002")]),
        )
        .await;
        let body = json!([{"id": ids[0], "name": "A2"}, {"id": ids[1], "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "not-an-email"}]}]}]);
        let v = problem(app.patch("/api/v4/contacts", body).await, 400).await;
        assert_eq!(v["validation-errors"][0]["request_id"], "1");
        let a = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(
            a["name"], "A",
            "the valid item of a refused batch is not written either"
        );
        let v = problem(
            app.patch("/api/v4/contacts", json!([{"name": "no id"}]))
                .await,
            400,
        )
        .await;
        assert_eq!(
            v["validation-errors"][0]["errors"][0]["code"],
            "RequiredFilled"
        );
    }
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    for app in spawn_apps().await {
        problem(app.get("/api/v4/nothing-here").await, 404).await;
    }
}

/// Found by scripts/api-fuzz: bodies the OpenAPI document calls invalid get a 400
/// problem, not a 2xx. An empty batch was taken as "create nothing"; a one-object body
/// sent as an array was read as the object's fields in order (`[]` = all defaults).
#[tokio::test]
async fn bodies_of_the_wrong_shape_are_refused() {
    for app in spawn_apps().await {
        let v = problem(app.post("/api/v4/users", json!([])).await, 400).await;
        assert!(v["detail"].as_str().unwrap().contains("non-empty"));
        let pipelines = json(app.get("/api/v4/leads/pipelines").await).await;
        let p = &pipelines["_embedded"]["pipelines"][0];
        let (pid, sid) = (
            p["id"].as_i64().unwrap(),
            p["_embedded"]["statuses"][0]["id"].as_i64().unwrap(),
        );
        let path = format!("/api/v4/leads/pipelines/{pid}");
        for body in [json!([]), json!(["renamed"]), json!("renamed"), json!(7)] {
            let v = problem(app.patch(&path, body).await, 400).await;
            assert!(v["detail"].as_str().unwrap().contains("JSON object"));
        }
        let status = format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}");
        problem(app.patch(&status, json!([])).await, 400).await;
        let after = json(app.get("/api/v4/leads/pipelines").await).await;
        assert_eq!(after["_embedded"]["pipelines"][0]["name"], p["name"]);
        problem(
            app.post(
                "/api/v4/telephony/blacklist",
                json!([{"phone": "+34600000001"}]),
            )
            .await,
            400,
        )
        .await;
        let r = app
            .post(
                "/api/v4/telephony/blacklist",
                json!({"phone": "+34600000001"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
}
