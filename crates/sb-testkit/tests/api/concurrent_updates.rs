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
