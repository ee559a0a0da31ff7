//! Data for specs/cards.spec.mjs.

use super::Env;
use sb_testkit::TestApp;

/// For cards.spec.mjs: a manager who sees only their own contacts (and their password),
/// a colleague's contact with a phone, and a contact and a company with hostile names.
pub async fn data(app: &TestApp) -> Env {
    use sb_domain::entities::CardKind;
    use sb_domain::rights::EntityRights;
    use sb_domain::{Rights, Scope};
    use sb_service::cards::CardInput;
    let mut rights = Rights::manager_default();
    let own = EntityRights {
        view: Scope::Own,
        add: Scope::All,
        edit: Scope::Own,
        delete: Scope::None,
        export: Scope::None,
    };
    rights.contacts = own;
    rights.companies = own;
    let marta = sb_testkit::ui::manager(app, "Marta", rights.clone(), "en").await;
    let pablo = sb_testkit::ui::manager(app, "Pablo", rights, "en").await;
    let card = |kind: CardKind, name: &str, owner: i64, phone: Option<&str>| {
        let input = CardInput {
            name: Some(name.into()),
            responsible_user_id: Some(owner),
            custom_fields_values: phone.map(|p| {
                vec![sb_domain::fields::FieldValueInput {
                    field_code: Some("PHONE".into()),
                    values: Some(vec![sb_domain::fields::ValueInput {
                        value: Some(serde_json::json!(p)),
                        enum_code: Some("WORK".into()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        };
        async move {
            sb_service::cards::create(app.ctx(), &app.admin, kind, vec![input])
                .await
                .expect("card created")[0]
                .id
        }
    };
    let admin = app.admin.user.id.0;
    card(
        CardKind::Contact,
        "Marta's Own Client",
        marta.id.0,
        Some("+34 600 000 001"),
    )
    .await;
    let theirs = card(
        CardKind::Contact,
        "Pablo's Secret Client",
        pablo.id.0,
        Some("+34 600 000 002"),
    )
    .await;
    let script = card(CardKind::Contact, "<script>alert(1)</script>", admin, None).await;
    let img = card(
        CardKind::Company,
        "\"><img src=x onerror=alert(1)>",
        admin,
        None,
    )
    .await;
    vec![
        ("SB_MANAGER_EMAIL", marta.email),
        ("SB_MANAGER_PASSWORD", sb_testkit::ui::PASSWORD.into()),
        ("SB_COLLEAGUE_CONTACT_ID", theirs.to_string()),
        ("SB_HOSTILE_CONTACT_ID", script.to_string()),
        ("SB_HOSTILE_COMPANY_ID", img.to_string()),
    ]
}
