//! No lost updates: two PATCHes of different fields of one entity, sent at the same
//! time, both take effect. (Each update used to read the rows it builds on before its
//! write transaction and then rewrite whole rows, so the later write put back the
//! fields the earlier one had changed.) Many rounds, because one round only races when
//! both requests read before either writes.

use crate::leads::create_leads;
use crate::tasks::create_tasks;
use crate::{contact, create_contacts};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

const ROUNDS: usize = 25;

/// Sends both PATCHes to `path` at once, then reads the entity back; returns how many
/// rounds lost a change. `bodies(round)` gives the two bodies; `kept(round, entity)`
/// says whether both changes of the round are there.
async fn race(
    app: &TestApp,
    path: &str,
    bodies: impl Fn(usize) -> (Value, Value),
    kept: impl Fn(usize, &Value) -> bool,
) -> usize {
    let mut lost = 0;
    for round in 0..ROUNDS {
        let (a, b) = bodies(round);
        let (ra, rb) = tokio::join!(app.patch(path, a), app.patch(path, b));
        assert_eq!(ra.status(), 200, "{path}: {}", ra.text().await.unwrap());
        assert_eq!(rb.status(), 200, "{path}: {}", rb.text().await.unwrap());
        let now = json(app.get(path).await).await;
        if !kept(round, &now) {
            lost += 1;
        }
    }
    lost
}

/// Checked after every backend ran, so a failure shows each backend's count.
fn assert_no_lost_rounds(lost: &[(sb_store::Backend, usize)]) {
    assert!(
        lost.iter().all(|(_, n)| *n == 0),
        "rounds (of {ROUNDS}) that lost a change: {lost:?}"
    );
}

fn phone_of(card: &Value) -> Option<&str> {
    card["custom_fields_values"]
        .as_array()?
        .iter()
        .find(|f| f["field_code"] == "PHONE")?["values"][0]["value"]
        .as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_a_contact_keep_both_changes() {
    let mut lost_by_backend = Vec::new();
    let mut raced = Vec::new();
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let id = create_contacts(&app, &t, json!([contact("Start", "+34 600 000 999")])).await[0];
        let lost = race(
            &app,
            &format!("/api/v4/contacts/{id}"),
            |r| {
                (
                    json!({"name": format!("Name {r}")}),
                    json!({"custom_fields_values": [{"field_code": "PHONE", "values": [{"value": format!("+34 600 000 {r:03}"), "enum_code": "WORK"}]}]}),
                )
            },
            |r, c| {
                c["name"] == format!("Name {r}")
                    && phone_of(c) == Some(format!("+34 600 000 {r:03}").as_str())
            },
        )
        .await;
        lost_by_backend.push((app.backend, lost));
        raced.push((app, id));
    }
    assert_no_lost_rounds(&lost_by_backend);
    for (app, id) in raced {
        // The phone index follows the kept row.
        let m = sb_service::cards::find_by_phone(
            app.ctx(),
            app.account().id,
            &format!("+34 600 000 {:03}", ROUNDS - 1),
        )
        .await
        .unwrap();
        assert_eq!(m.len(), 1, "{:?}", app.backend);
        assert_eq!(m[0].id, id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_a_company_keep_both_changes() {
    let mut lost_by_backend = Vec::new();
    for app in spawn_apps().await {
        let (other, _) = app
            .user_with("Otto", sb_domain::Rights::manager_default(), None)
            .await;
        let users = [other.id.0, app.admin.user.id.0];
        let r = app
            .post("/api/v4/companies", json!([{"name": "Start"}]))
            .await;
        assert_eq!(r.status(), 200);
        let id = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        let lost = race(
            &app,
            &format!("/api/v4/companies/{id}"),
            |r| {
                (
                    json!({"name": format!("Co {r}")}),
                    json!({"responsible_user_id": users[r % 2]}),
                )
            },
            |r, c| c["name"] == format!("Co {r}") && c["responsible_user_id"] == users[r % 2],
        )
        .await;
        lost_by_backend.push((app.backend, lost));
    }
    assert_no_lost_rounds(&lost_by_backend);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_a_lead_keep_both_changes() {
    let mut lost_by_backend = Vec::new();
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let id = create_leads(&app, &t, json!([{"name": "Start", "price": 1}])).await[0];
        let lost = race(
            &app,
            &format!("/api/v4/leads/{id}"),
            |r| {
                (
                    json!({"name": format!("Deal {r}")}),
                    json!({"price": 100 + r}),
                )
            },
            |r, l| l["name"] == format!("Deal {r}") && l["price"] == 100 + r,
        )
        .await;
        lost_by_backend.push((app.backend, lost));
    }
    assert_no_lost_rounds(&lost_by_backend);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_a_task_keep_both_changes() {
    let mut lost_by_backend = Vec::new();
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let due = sb_service::Clock::now_ms(app.clock.as_ref()) / 1000 + 3600;
        let id = create_tasks(&app, &t, json!([{"text": "Start", "complete_till": due}])).await[0];
        let lost = race(
            &app,
            &format!("/api/v4/tasks/{id}"),
            |r| {
                (
                    json!({"text": format!("Call {r}")}),
                    json!({"complete_till": due + r as i64}),
                )
            },
            |r, x| x["text"] == format!("Call {r}") && x["complete_till"] == due + r as i64,
        )
        .await;
        lost_by_backend.push((app.backend, lost));
    }
    assert_no_lost_rounds(&lost_by_backend);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_a_note_keep_both_changes() {
    let mut lost_by_backend = Vec::new();
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let cid = create_contacts(&app, &t, json!([contact("Noa", "+34 600 000 998")])).await[0];
        let r = app
            .post(
                &format!("/api/v4/contacts/{cid}/notes"),
                json!([{"note_type": "service_message", "params": {"service": "Bot", "text": "Start"}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let nid = json(r).await["_embedded"]["notes"][0]["id"]
            .as_i64()
            .unwrap();
        // Each PATCH names one key of params; the note keeps the other as stored.
        let lost = race(
            &app,
            &format!("/api/v4/contacts/{cid}/notes/{nid}"),
            |r| {
                (
                    json!({"params": {"text": format!("Text {r}")}}),
                    json!({"params": {"service": format!("Service {r}")}}),
                )
            },
            |r, n| {
                n["params"]["text"] == format!("Text {r}")
                    && n["params"]["service"] == format!("Service {r}")
            },
        )
        .await;
        lost_by_backend.push((app.backend, lost));
    }
    assert_no_lost_rounds(&lost_by_backend);
}

/// A rights change rewrites the user's row: it must build on the row as it is when it
/// writes. Here another writer holds the user locked with a changed name; on
/// PostgreSQL the rights change is seen waiting for that lock before the other commits
/// (it used to read the row without a lock, wait only at its write, and then write the
/// old name back). On SQLite the rights change waits for its turn to write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rights_change_keeps_a_concurrent_change_of_the_user() {
    for app in spawn_apps().await {
        let (user, _) = app
            .user_with("Uma", sb_domain::Rights::manager_default(), None)
            .await;
        let group = sb_service::users::create_group(app.ctx(), &app.admin, "Sales")
            .await
            .unwrap();
        let db = &app.ctx().db;
        let account = app.account().id;
        let mut tx = db.begin().await.unwrap();
        let mut renamed = sb_store::users::lock(&mut tx, account, user.id)
            .await
            .unwrap()
            .unwrap();
        renamed.name = "Uma Renamed".into();
        sb_store::users::update(&mut tx, &renamed).await.unwrap();
        let mut rights = sb_domain::Rights::manager_default();
        rights.leads.edit = sb_domain::Scope::Own;
        let (set, ()) = tokio::join!(
            sb_service::users::set_rights(
                app.ctx(),
                &app.admin,
                user.id,
                rights.clone(),
                Some(group.id)
            ),
            async {
                if app.backend == sb_store::Backend::Postgres {
                    wait_for_a_lock_wait(db).await;
                }
                tx.commit().await.unwrap();
            }
        );
        let set = set.unwrap();
        assert_eq!(set.name, "Uma Renamed", "{:?}", app.backend);
        let now = sb_service::users::get(app.ctx(), &app.admin, user.id)
            .await
            .unwrap();
        assert_eq!(now.name, "Uma Renamed", "{:?}", app.backend);
        assert_eq!(now.group_id, Some(group.id));
        assert_eq!(now.rights, rights.normalised());
    }
}

/// Until some session of the database waits for a lock (PostgreSQL).
async fn wait_for_a_lock_wait(db: &sb_store::Db) {
    for _ in 0..1000 {
        if db.lock_waits().await.unwrap() > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no session waited for a lock within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_a_list_element_keep_both_changes() {
    let mut lost_by_backend = Vec::new();
    for app in spawn_apps().await {
        let r = app
            .post("/api/v4/catalogs", json!([{"name": "Products"}]))
            .await;
        let list = json(r).await["_embedded"]["catalogs"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post(
                &format!("/api/v4/catalogs/{list}/custom_fields"),
                json!([{"name": "SKU", "type": "text"}]),
            )
            .await;
        let sku = json(r).await["_embedded"]["custom_fields"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post(
                &format!("/api/v4/catalogs/{list}/elements"),
                json!([{"name": "Headset"}]),
            )
            .await;
        let id = json(r).await["_embedded"]["elements"][0]["id"]
            .as_i64()
            .unwrap();
        let path = format!("/api/v4/catalogs/{list}/elements");
        let mut lost = 0;
        for round in 0..ROUNDS {
            let (ra, rb) = tokio::join!(
                app.patch(&path, json!([{"id": id, "name": format!("Headset {round}")}])),
                app.patch(
                    &path,
                    json!([{"id": id, "custom_fields_values": [{"field_id": sku, "values": [{"value": format!("H-{round}")}]}]}])
                ),
            );
            assert_eq!(ra.status(), 200, "{}", ra.text().await.unwrap());
            assert_eq!(rb.status(), 200, "{}", rb.text().await.unwrap());
            let now = json(app.get(&format!("{path}/{id}")).await).await;
            let kept = now["name"] == format!("Headset {round}")
                && now["custom_fields_values"][0]["values"][0]["value"] == format!("H-{round}");
            if !kept {
                lost += 1;
            }
        }
        lost_by_backend.push((app.backend, lost));
    }
    assert_no_lost_rounds(&lost_by_backend);
}
