//! Pipelines and stages (C6): the default pipeline, admin-only changes, limits and the
//! system-stage rules.

use reqwest::Method;
use sb_domain::Rights;
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

pub async fn pipelines(app: &TestApp) -> Vec<Value> {
    let r = app.get("/api/v4/leads/pipelines").await;
    assert_eq!(r.status(), 200);
    let v = json(r).await;
    v["_embedded"]["pipelines"].as_array().unwrap().clone()
}

/// The main pipeline's id and its first working stage's id.
pub async fn main_pipeline(app: &TestApp) -> (i64, i64) {
    let ps = pipelines(app).await;
    let main = ps.iter().find(|p| p["is_main"] == true).unwrap();
    let first = main["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == 0 && s["is_editable"] == true)
        .unwrap();
    (main["id"].as_i64().unwrap(), first["id"].as_i64().unwrap())
}

async fn delete(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.call(Method::DELETE, path, Some(token), None).await
}

fn err_at(v: &Value, item: usize) -> (String, String, String) {
    let e = &v["validation-errors"][item];
    (
        e["request_id"].as_str().unwrap().to_string(),
        e["errors"][0]["path"].as_str().unwrap().to_string(),
        e["errors"][0]["code"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_new_account_has_one_main_pipeline_with_system_stages() {
    for app in spawn_apps().await {
        let r = app.get("/api/v4/leads/pipelines").await;
        assert_eq!(r.headers()["content-type"], "application/hal+json");
        let v = json(r).await;
        assert_eq!(v["_total_items"], 1);
        let p = &v["_embedded"]["pipelines"][0];
        assert_eq!(p["is_main"], true);
        assert_eq!(p["account_id"], app.account().id.0);
        let statuses = p["_embedded"]["statuses"].as_array().unwrap();
        assert_eq!(statuses.len(), 7);
        assert_eq!(statuses[0]["type"], 1);
        assert_eq!(statuses[0]["is_editable"], false);
        let ids: Vec<i64> = statuses.iter().map(|s| s["id"].as_i64().unwrap()).collect();
        assert!(ids.contains(&142) && ids.contains(&143));
        let pid = p["id"].as_i64().unwrap();
        let one = json(app.get(&format!("/api/v4/leads/pipelines/{pid}")).await).await;
        assert_eq!(one["name"], p["name"]);
        let st = json(
            app.get(&format!("/api/v4/leads/pipelines/{pid}/statuses"))
                .await,
        )
        .await;
        assert_eq!(st["_total_items"], 7);
        let won = json(
            app.get(&format!("/api/v4/leads/pipelines/{pid}/statuses/142"))
                .await,
        )
        .await;
        assert_eq!(won["pipeline_id"], pid);
        assert!(won["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .starts_with(&app.url));
        assert_eq!(app.get("/api/v4/leads/pipelines/1").await.status(), 204);
        assert_eq!(
            app.get(&format!("/api/v4/leads/pipelines/{pid}/statuses/1"))
                .await
                .status(),
            204
        );
        // A second account gets its own.
        let (_other, ot) = app.other_account("second").await;
        let r = app
            .call(Method::GET, "/api/v4/leads/pipelines", Some(&ot), None)
            .await;
        let v = json(r).await;
        assert_ne!(v["_embedded"]["pipelines"][0]["id"], pid);
        assert_eq!(
            app.get(&format!(
                "/api/v4/leads/pipelines/{}",
                v["_embedded"]["pipelines"][0]["id"]
            ))
            .await
            .status(),
            204
        );
    }
}

#[tokio::test]
async fn admins_create_edit_and_delete_pipelines_and_stages() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/leads/pipelines",
                json!([{"name": "Partners", "sort": 20, "is_main": false, "request_id": "p1", "_embedded": {"statuses": [
                    {"name": "Intro", "sort": 10, "color": "#fffeb2"},
                    {"name": "Pilot", "sort": 20, "color": "#FFF000"},
                    {"id": 142, "name": "Signed"}
                ]}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        let p = &v["_embedded"]["pipelines"][0];
        assert_eq!(p["request_id"], "p1");
        let pid = p["id"].as_i64().unwrap();
        let names: Vec<&str> = p["_embedded"]["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            vec![
                "Incoming leads",
                "Intro",
                "Pilot",
                "Signed",
                "Closed - lost"
            ]
        );
        assert_eq!(pipelines(&app).await.len(), 2);

        // Stages.
        let r = app
            .post(
                &format!("/api/v4/leads/pipelines/{pid}/statuses"),
                json!([{"name": "Review", "sort": 30}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let sid = json(r).await["_embedded"]["statuses"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .patch(
                &format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}"),
                json!({"name": "Legal review", "color": "#87f2c0"}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let s = json(r).await;
        assert_eq!(
            (s["name"].as_str(), s["color"].as_str()),
            (Some("Legal review"), Some("#87f2c0"))
        );
        let r = app
            .patch(
                &format!("/api/v4/leads/pipelines/{pid}/statuses/143"),
                json!({"name": "Dropped"}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = delete(
            &app,
            &format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}"),
            &app.admin_token,
        )
        .await;
        assert_eq!(r.status(), 204);
        assert_eq!(
            app.get(&format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}"))
                .await
                .status(),
            204
        );

        // The pipeline itself: rename, make main, the old main can then go.
        let old_main = pipelines(&app)
            .await
            .iter()
            .find(|p| p["is_main"] == true)
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = app
            .patch(
                &format!("/api/v4/leads/pipelines/{pid}"),
                json!({"name": "Partner deals", "is_main": true}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(
            (v["name"].as_str(), v["is_main"].as_bool()),
            (Some("Partner deals"), Some(true))
        );
        let main_count = pipelines(&app)
            .await
            .iter()
            .filter(|p| p["is_main"] == true)
            .count();
        assert_eq!(main_count, 1);
        let r = delete(
            &app,
            &format!("/api/v4/leads/pipelines/{old_main}"),
            &app.admin_token,
        )
        .await;
        assert_eq!(r.status(), 204);
        assert_eq!(pipelines(&app).await.len(), 1);
    }
}

#[tokio::test]
async fn limits_and_system_stage_rules_are_400_naming_item_and_field() {
    for app in spawn_apps().await {
        let (pid, _) = main_pipeline(&app).await;
        let r = app
            .post(
                "/api/v4/leads/pipelines",
                json!([{"name": "Z", "_embedded": {"statuses": [{"name": "a", "color": "red"}]}}]),
            )
            .await;
        assert_eq!(err_at(&json(r).await, 0).1, "_embedded.statuses.0.color");
        // 1 exists: 9 more fit, the tenth does not; nothing of the batch is written.
        let batch: Vec<Value> = (0..10)
            .map(|i| json!({"name": format!("P{i}"), "request_id": format!("r{i}")}))
            .collect();
        let r = app.post("/api/v4/leads/pipelines", json!(batch)).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v = json(r).await;
        assert_eq!(
            err_at(&v, 0),
            ("r9".into(), "".into(), "LimitExceeded".into())
        );
        assert_eq!(pipelines(&app).await.len(), 1);
        let batch: Vec<Value> = (0..9).map(|i| json!({"name": format!("P{i}")})).collect();
        assert_eq!(
            app.post("/api/v4/leads/pipelines", json!(batch))
                .await
                .status(),
            200
        );
        let r = app
            .post("/api/v4/leads/pipelines", json!([{"name": "Eleventh"}]))
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(pipelines(&app).await.len(), 10);

        // 100 stages: the default has 7.
        let stages: Vec<Value> = (0..93)
            .map(|i| json!({"name": format!("S{i}"), "sort": 100 + i}))
            .collect();
        assert_eq!(
            app.post(
                &format!("/api/v4/leads/pipelines/{pid}/statuses"),
                json!(stages)
            )
            .await
            .status(),
            200
        );
        let r = app
            .post(
                &format!("/api/v4/leads/pipelines/{pid}/statuses"),
                json!([{"name": "one too many"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(err_at(&json(r).await, 0).2, "LimitExceeded");

        // System stages: only the name.
        let r = app
            .patch(
                &format!("/api/v4/leads/pipelines/{pid}/statuses/142"),
                json!({"color": "#fff000"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            err_at(&json(r).await, 0),
            ("142".into(), "color".into(), "NotEditable".into())
        );
        let r = app
            .patch(
                &format!("/api/v4/leads/pipelines/{pid}/statuses/142"),
                json!({"sort": 1}),
            )
            .await;
        assert_eq!(err_at(&json(r).await, 0).1, "sort");
        let r = delete(
            &app,
            &format!("/api/v4/leads/pipelines/{pid}/statuses/143"),
            &app.admin_token,
        )
        .await;
        assert_eq!(r.status(), 400);
        assert_eq!(err_at(&json(r).await, 0).1, "id");
        let r = delete(
            &app,
            &format!("/api/v4/leads/pipelines/{pid}"),
            &app.admin_token,
        )
        .await;
        assert_eq!(r.status(), 400);
        assert_eq!(err_at(&json(r).await, 0).2, "NotEditable");

        // Colors from the palette, names not empty.
        let (other, _) = {
            let ps = pipelines(&app).await;
            let o = ps.iter().find(|p| p["is_main"] == false).unwrap();
            (o["id"].as_i64().unwrap(), ())
        };
        let r = app
            .post(&format!("/api/v4/leads/pipelines/{other}/statuses"), json!([{"name": "ok"}, {"name": "x", "color": "#123456", "request_id": "c"}, {"name": " "}]))
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        assert_eq!(
            err_at(&v, 0),
            ("c".into(), "color".into(), "NotSupportedChoice".into())
        );
        assert_eq!(
            err_at(&v, 1),
            ("2".into(), "name".into(), "RequiredFilled".into())
        );
        let st = json(
            app.get(&format!("/api/v4/leads/pipelines/{other}/statuses"))
                .await,
        )
        .await;
        assert_eq!(st["_total_items"], 3, "nothing written");
    }
}

#[tokio::test]
async fn only_admins_change_pipelines() {
    for app in spawn_apps().await {
        let (pid, sid) = main_pipeline(&app).await;
        let (_u, t) = app.user_with("max", Rights::manager_default(), None).await;
        let r = app
            .call(Method::GET, "/api/v4/leads/pipelines", Some(&t), None)
            .await;
        assert_eq!(r.status(), 200);
        for (m, path, body) in [
            (
                Method::POST,
                "/api/v4/leads/pipelines".to_string(),
                Some(json!([{"name": "Mine"}])),
            ),
            (
                Method::PATCH,
                format!("/api/v4/leads/pipelines/{pid}"),
                Some(json!({"name": "Mine"})),
            ),
            (
                Method::DELETE,
                format!("/api/v4/leads/pipelines/{pid}"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v4/leads/pipelines/{pid}/statuses"),
                Some(json!([{"name": "Mine"}])),
            ),
            (
                Method::PATCH,
                format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}"),
                Some(json!({"name": "Mine"})),
            ),
            (
                Method::DELETE,
                format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}"),
                None,
            ),
        ] {
            let r = app.call(m.clone(), &path, Some(&t), body).await;
            assert_eq!(r.status(), 403, "{m} {path}");
        }
        let ps = pipelines(&app).await;
        assert_eq!(ps.len(), 1);
        assert_ne!(ps[0]["name"], "Mine");
        assert_eq!(ps[0]["_embedded"]["statuses"].as_array().unwrap().len(), 7);
    }
}
