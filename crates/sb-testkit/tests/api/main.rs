//! API black-box tests: the real app on 127.0.0.1:0 over a fresh database, on SQLite
//! and (when `SWITCHBOARD_TEST_PG_URL` is set) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod bad_input;
mod catalogs;
mod concurrent_updates;
mod contacts;
mod custom_fields;
mod demo;
mod events;
mod incoming;
mod kommo_compat;
mod leads;
mod limits;
mod links;
mod matrix;
mod notes;
mod openapi;
mod ops;
mod pipelines;
mod rights;
mod sessions;
mod tasks;

use serde_json::{json, Value};

/// A contact body with one phone.
pub fn contact(name: &str, phone: &str) -> Value {
    json!({"name": name, "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone, "enum_code": "WORK"}]}]})
}

/// Creates contacts through the API and returns their ids.
pub async fn create_contacts(app: &sb_testkit::TestApp, token: &str, items: Value) -> Vec<i64> {
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v4/contacts",
            Some(token),
            Some(items),
        )
        .await;
    assert_eq!(r.status(), 200, "create contacts");
    let v = sb_testkit::json(r).await;
    v["_embedded"]["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

/// Ids in a list answer (empty for 204).
pub async fn ids_of(r: reqwest::Response, key: &str) -> Vec<i64> {
    if r.status() == 204 {
        return vec![];
    }
    assert_eq!(r.status(), 200);
    let v = sb_testkit::json(r).await;
    v["_embedded"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}
