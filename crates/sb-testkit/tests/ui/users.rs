//! Users and rights for admins: create, edit, the rights matrix taking effect,
//! deactivation ending sessions, groups, and managers kept out.

use reqwest::Method;
use sb_domain::entities::Role;
use sb_domain::{Rights, Scope};
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::json;

async fn contact_of(app: &TestApp, name: &str, responsible: i64) -> i64 {
    let r = app
        .call(
            Method::POST,
            "/api/v4/contacts",
            Some(&app.admin_token.clone()),
            Some(json!([{ "name": name, "responsible_user_id": responsible }])),
        )
        .await;
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_sign_in() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let list = b.get("/settings/users").await;
        list.assert_status(200)
            .assert_has(&app.admin.user.email)
            .assert_has("type=\"email\"")
            .assert_has("<label for=\"u-password\">");

        // Refused input comes back beside each field, with what was typed.
        let bad = b
            .post_form(
                "/settings/users",
                &[
                    ("name", ""),
                    ("email", "not-an-address"),
                    ("role", "manager"),
                    ("lang", "es"),
                    ("password", "short"),
                ],
            )
            .await;
        bad.assert_status(422)
            .assert_has("id=\"u-name-error\"")
            .assert_has(
                "<div class=\"error\" id=\"u-email-error\">Enter a valid e-mail address.</div>",
            )
            .assert_has(
                "<div class=\"error\" id=\"u-password-error\">Use at least 8 characters.</div>",
            )
            .assert_has("value=\"not-an-address\"");

        b.post_form("/settings/groups", &[("name", "Madrid team")])
            .await
            .assert_status(303);
        let groups = sb_service::users::groups(app.ctx(), &app.admin)
            .await
            .unwrap();
        let g = groups[0].id.0.to_string();
        let ok = b
            .post_form(
                "/settings/users",
                &[
                    ("name", "Lucía <b>Pérez</b>"),
                    ("email", "Lucia@Example.test"),
                    ("role", "manager"),
                    ("group_id", &g),
                    ("lang", "es"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let page = b.get("/settings/users?created=1").await;
        page.assert_has("Lucía &#60;b&#62;Pérez&#60;/b&#62;")
            .assert_has("lucia@example.test")
            .assert_has("Madrid team")
            .assert_has("Español");
        let lucia = sb_service::users::by_email(app.ctx(), &app.admin, "lucia@example.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lucia.role, Role::Manager);
        assert_eq!(lucia.lang, "es");
        // A second user with that e-mail is refused on the field.
        b.post_form(
            "/settings/users",
            &[
                ("name", "Other"),
                ("email", "lucia@example.test"),
                ("role", "manager"),
            ],
        )
        .await
        .assert_status(422)
        .assert_has("id=\"u-email-error\"");

        // She signs in with the initial password and sees Spanish.
        let lb = Browser::sign_in(&app, "lucia@example.test", PASSWORD).await;
        lb.get("/").await.assert_has("lang=\"es\"");

        // The admin edits her: role, group, language.
        let id = lucia.id.0;
        b.get(&format!("/settings/users/{id}"))
            .await
            .assert_status(200)
            .assert_has(
                "<label class=\"visually-hidden\" for=\"r-contacts_view\">Contacts: View</label>",
            );
        let saved = b
            .post_form(
                &format!("/settings/users/{id}"),
                &[
                    ("name", "Lucía Pérez"),
                    ("role", "manager"),
                    ("group_id", ""),
                    ("lang", "pt"),
                ],
            )
            .await;
        assert_eq!(
            saved.location.as_deref(),
            Some(&*format!("/settings/users/{id}?saved=profile"))
        );
        let u = sb_service::users::get(app.ctx(), &app.admin, lucia.id)
            .await
            .unwrap();
        assert_eq!(
            (u.name.as_str(), u.lang.as_str(), u.group_id),
            ("Lucía Pérez", "pt", None)
        );
        // An admin cannot take away their own role: the error is beside the role.
        let me = app.admin.user.id.0;
        b.post_form(
            &format!("/settings/users/{me}"),
            &[("name", "Admin"), ("role", "manager"), ("lang", "en")],
        )
        .await
        .assert_status(422)
        .assert_has("id=\"e-role-error\"");
        b.get("/settings/users/123456789").await.assert_status(404);
    }
}

#[tokio::test]
async fn a_rights_change_takes_effect_on_the_managers_next_page() {
    for app in spawn_apps().await {
        let m = manager(&app, "Marco", Rights::manager_default(), "en").await;
        let colleague = manager(&app, "Carla", Rights::manager_default(), "en").await;
        let theirs = contact_of(&app, "Carla's customer", colleague.id.0).await;
        let mb = Browser::sign_in(&app, &m.email, PASSWORD).await;
        mb.get(&format!("/tasks/for/contacts/{theirs}"))
            .await
            .assert_status(200);

        let b = Browser::admin(&app).await;
        let page = b.get(&format!("/settings/users/{}", m.id.0)).await;
        page.assert_status(200);
        // Every select of the matrix, as the form has them, with contacts' view set to own.
        let mut fields: Vec<(String, String)> = Vec::new();
        for e in ["leads", "contacts", "companies", "tasks"] {
            for a in ["view", "add", "edit", "delete", "export"] {
                let v = if (e, a) == ("contacts", "view") {
                    "M"
                } else {
                    "A"
                };
                fields.push((format!("{e}_{a}"), v.into()));
            }
        }
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = b
            .post_form(&format!("/settings/users/{}/rights", m.id.0), &f)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let u = sb_service::users::get(app.ctx(), &app.admin, m.id)
            .await
            .unwrap();
        assert_eq!(u.rights.contacts.view, Scope::Own);
        // Kommo's rule: editing needs seeing, so edit and delete follow view down.
        assert_eq!(u.rights.contacts.edit, Scope::Own);
        assert_eq!(u.rights.leads.view, Scope::All);
        b.get(&format!("/settings/users/{}?saved=rights", m.id.0))
            .await
            .assert_has("The rights were saved.");

        // His very next request: the colleague's contact is gone, as an unknown one.
        mb.get(&format!("/tasks/for/contacts/{theirs}"))
            .await
            .assert_status(404);
        let api = app
            .call(
                Method::GET,
                &format!("/api/v4/contacts/{theirs}"),
                Some(
                    &sb_service::auth::create_api_token(app.ctx(), &app.admin, m.id, "t", None)
                        .await
                        .unwrap()
                        .0,
                ),
                None,
            )
            .await;
        assert_eq!(api.status(), 204, "the API agrees");
    }
}

#[tokio::test]
async fn deactivating_a_user_ends_their_session_and_reactivating_lets_them_back() {
    for app in spawn_apps().await {
        let m = manager(&app, "Dora", Rights::manager_default(), "en").await;
        let mb = Browser::sign_in(&app, &m.email, PASSWORD).await;
        let b = Browser::admin(&app).await;
        b.get(&format!("/settings/users/{}", m.id.0))
            .await
            .assert_has("Deactivate");
        let r = b
            .post_form(
                &format!("/settings/users/{}/active", m.id.0),
                &[("active", "0")],
            )
            .await;
        assert_eq!(r.status, 303);
        // Her session is gone: the next page sends her to sign in.
        let after = mb.get("/tasks").await;
        assert_eq!(after.status, 303);
        assert!(after.location.unwrap().starts_with("/login"));
        b.get("/settings/users").await.assert_has("Deactivated");
        assert_eq!(mb.try_sign_in(&m.email, PASSWORD).await.status, 401);

        b.post_form(
            &format!("/settings/users/{}/active", m.id.0),
            &[("active", "1")],
        )
        .await;
        Browser::sign_in(&app, &m.email, PASSWORD).await;
        // An admin cannot deactivate themselves (the button is not offered either).
        let me = app.admin.user.id.0;
        b.get(&format!("/settings/users/{me}"))
            .await
            .assert_has("You cannot deactivate yourself.");
        b.post_form(&format!("/settings/users/{me}/active"), &[("active", "0")])
            .await
            .assert_status(422);
    }
}

#[tokio::test]
async fn a_manager_is_refused_the_users_pages() {
    for app in spawn_apps().await {
        let m = manager(&app, "Pia", Rights::manager_default(), "en").await;
        let mb = Browser::sign_in(&app, &m.email, PASSWORD).await;
        mb.get("/")
            .await
            .assert_status(200)
            .assert_lacks("href=\"/settings/users\"");
        mb.get("/settings/users")
            .await
            .assert_status(403)
            .assert_has("Not allowed");
        mb.get(&format!("/settings/users/{}", m.id.0))
            .await
            .assert_status(403);
        mb.post_form(
            &format!("/settings/users/{}/rights", m.id.0),
            &[("contacts_view", "A")],
        )
        .await
        .assert_status(403);
        mb.post_form(
            "/settings/users",
            &[
                ("name", "Sneaky"),
                ("email", "sneaky@example.test"),
                ("role", "admin"),
            ],
        )
        .await
        .assert_status(403);
        mb.post_form("/settings/groups", &[("name", "Mine")])
            .await
            .assert_status(403);
        assert!(
            sb_service::users::by_email(app.ctx(), &app.admin, "sneaky@example.test")
                .await
                .unwrap()
                .is_none()
        );
    }
}
