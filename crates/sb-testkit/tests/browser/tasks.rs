//! Data for specs/tasks.spec.mjs.

use super::Env;
use sb_testkit::TestApp;

/// The tasks spec's data: a contact to attach a task to, an overdue task and one for
/// later, and an API token to read the contact's notes with (SB_CONTACT_ID, SB_API_TOKEN).
pub async fn data(app: &TestApp) -> Env {
    let r = app
        .post(
            "/api/v4/contacts",
            serde_json::json!([{"name": "Ana García"}]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let contact = sb_testkit::json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let now = sb_service::Clock::now_ms(app.clock.as_ref());
    for (text, due) in [
        ("Send the price list", now - 3 * 3_600_000),
        ("Quarterly review", now + 9 * 24 * 3_600_000),
    ] {
        sb_service::tasks::create(
            app.ctx(),
            &app.admin,
            vec![sb_service::tasks::TaskInput {
                text: Some(text.into()),
                complete_till: Some(due / 1000),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    }
    vec![
        ("SB_CONTACT_ID", contact.to_string()),
        ("SB_API_TOKEN", app.admin_token.clone()),
    ]
}
