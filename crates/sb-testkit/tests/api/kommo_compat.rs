//! What real Kommo clients force on a server (spec/kommo-api.md sections 1-3): one test per point.

use crate::{contact, create_contacts};
use sb_testkit::{json, spawn_apps};
use serde_json::json;

#[tokio::test]
async fn access_tokens_are_jwts_with_exp() {
    for app in spawn_apps().await {
        let parts: Vec<&str> = app.admin_token.split('.').collect();
        assert_eq!(parts.len(), 3);
        use base64::Engine;
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        assert!(claims["exp"].is_i64());
        assert!(claims["account_id"].is_i64());
    }
}

#[tokio::test]
async fn an_empty_list_is_204_without_body() {
    for app in spawn_apps().await {
        let r = app.get("/api/v4/companies").await;
        assert_eq!(r.status(), 204);
        assert!(r.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn next_links_use_the_host_and_port_called() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        create_contacts(
            &app,
            &t,
            json!([contact("a", "+34600000001"), contact("b", "+34600000002")]),
        )
        .await;
        let port = app.url.rsplit(':').next().unwrap().to_string();
        let r = app
            .client
            .get(format!("http://localhost:{port}/api/v4/contacts?limit=1"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        let v = json(r).await;
        assert_eq!(
            v["_links"]["next"]["href"],
            format!("http://localhost:{port}/api/v4/contacts?limit=1&page=2")
        );
    }
}

#[tokio::test]
async fn writes_echo_request_id_and_success_has_no_status_key() {
    for app in spawn_apps().await {
        let mut a = contact("a", "+34600000001");
        a["request_id"] = json!("abc");
        let r = app
            .post("/api/v4/contacts", json!([a, contact("b", "+34600000002")]))
            .await;
        assert_eq!(r.headers()["content-type"], "application/hal+json");
        let v = json(r).await;
        for key in ["status", "error", "response"] {
            assert!(v.get(key).is_none(), "no top-level {key}");
        }
        assert_eq!(v["_embedded"]["contacts"][0]["request_id"], "abc");
        assert_eq!(v["_embedded"]["contacts"][1]["request_id"], "1");
        let id = v["_embedded"]["contacts"][0]["id"].as_i64().unwrap();
        let r = json(
            app.patch(
                "/api/v4/contacts",
                json!([{"id": id, "name": "a2", "request_id": "p1"}]),
            )
            .await,
        )
        .await;
        assert_eq!(r["_embedded"]["contacts"][0]["request_id"], "p1");
        let list = json(app.get("/api/v4/contacts").await).await;
        assert!(list.get("status").is_none());
    }
}

#[tokio::test]
async fn chunked_request_bodies_are_accepted() {
    for app in spawn_apps().await {
        let chunks: Vec<Result<&'static str, std::io::Error>> =
            vec![Ok("[{\"name\": \"chun"), Ok("ked\"}]")];
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let r = app
            .client
            .post(format!("{}/api/v4/contacts", app.url))
            .bearer_auth(&app.admin_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v = json(app.get("/api/v4/contacts?query=chunked").await).await;
        assert_eq!(v["_embedded"]["contacts"][0]["name"], "chunked");
    }
}

#[tokio::test]
async fn null_field_id_and_enum_id_are_accepted_next_to_codes() {
    for app in spawn_apps().await {
        let body = json!([{"name": "php", "custom_fields_values": [{"field_id": null, "field_code": "PHONE", "field_name": "Phone", "values": [{"value": "+34600000009", "enum_id": null, "enum_code": "WORK"}]}], "_links": null, "account_id": 1}]);
        let r = app.post("/api/v4/contacts", body).await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn api_paths_never_redirect() {
    for app in spawn_apps().await {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for path in [
            "/api/v4/contacts",
            "/api/v4/contacts/",
            "/api/v4/account",
            "/api/v4/account/",
        ] {
            let r = client
                .get(format!("{}{}", app.url, path))
                .bearer_auth(&app.admin_token)
                .send()
                .await
                .unwrap();
            assert!(!r.status().is_redirection(), "{path} redirected");
        }
    }
}
