//! Telephony end to end: the built-in PBX simulator (sb-pbxsim, written from the
//! protocol spec) plays the Zadarma cloud PBX against the real app; assertions are what
//! a manager would see. Runs on SQLite and, when configured, PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod alerts;
mod at_rest;
mod calls;
mod convergence;
mod install;
mod jobs;
mod recordings;
mod secrets;
mod unreadable;

use sb_pbxsim::PbxSim;
use sb_testkit::{json, TestApp};
use serde_json::{json, Value};

pub struct Rig {
    pub app: TestApp,
    pub sim: PbxSim,
    pub integration: i64,
    pub webhook_url: String,
}

/// An app with the simulator installed as its Zadarma integration, extension 101 bound
/// to the admin, and the simulator posting to the app's webhook URL.
pub async fn rig(app: TestApp) -> Rig {
    let pbx = app.install_simulator().await;
    assert!(pbx.webhook_url.starts_with(&app.url));
    Rig {
        app,
        sim: pbx.sim,
        integration: pbx.integration,
        webhook_url: pbx.webhook_url,
    }
}

pub async fn rigs() -> Vec<Rig> {
    let mut v = Vec::new();
    for app in sb_testkit::spawn_apps().await {
        v.push(rig(app).await);
    }
    v
}

/// Creates a contact with a phone, owned by `owner`; returns its id.
pub async fn contact(app: &TestApp, name: &str, phone: &str, owner: i64) -> i64 {
    let r = app.post("/api/v4/contacts", json!([{"name": name, "responsible_user_id": owner, "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone}]}]}])).await;
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap()
}

/// Plays a call's recording as the feed's player does: a WAV file; returns its bytes.
pub async fn played_recording(app: &TestApp, link: &str) -> Vec<u8> {
    let r = app.get(link).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/wav");
    let audio = r.bytes().await.unwrap().to_vec();
    assert_eq!(&audio[..4], b"RIFF");
    audio
}

/// Notes on an entity, as the feed shows them (newest first).
pub async fn notes(
    app: &TestApp,
    entity: sb_domain::EntityKind,
    id: i64,
) -> Vec<sb_domain::feed::Note> {
    let mut c = app.ctx().db.conn().await.unwrap();
    sb_store::notes::list_for_entity(&mut c, app.account().id, entity, id, 100, 0)
        .await
        .unwrap()
}

pub async fn open_tasks(app: &TestApp) -> Vec<sb_domain::feed::Task> {
    let mut c = app.ctx().db.conn().await.unwrap();
    let f = sb_store::tasks::TaskFilter {
        is_completed: Some(false),
        limit: 100,
        ..Default::default()
    };
    sb_store::tasks::list(&mut c, app.account().id, &f, sb_domain::Visibility::All)
        .await
        .unwrap()
}

pub fn value(v: &Value, k: &str) -> String {
    v[k].as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v[k].to_string())
}
