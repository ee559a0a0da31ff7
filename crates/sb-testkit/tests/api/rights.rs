use crate::{contact, create_contacts, ids_of};
use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_testkit::spawn_apps;
use serde_json::json;

fn with_contacts(view: Scope, add: Scope, edit: Scope) -> Rights {
    let mut r = Rights::manager_default();
    r.contacts = EntityRights {
        view,
        add,
        edit,
        delete: Scope::None,
        export: Scope::None,
    };
    r.companies = r.contacts;
    r
}

#[tokio::test]
async fn own_scope_never_shows_another_users_contact() {
    for app in spawn_apps().await {
        let (ana, ta) = app
            .user_with(
                "ana",
                with_contacts(Scope::Own, Scope::All, Scope::Own),
                None,
            )
            .await;
        let (_bob, tb) = app
            .user_with(
                "bob",
                with_contacts(Scope::Own, Scope::All, Scope::Own),
                None,
            )
            .await;
        let mine = create_contacts(
            &app,
            &ta,
            json!([contact("Ana's client", "+34 91 123 45 67")]),
        )
        .await;
        let theirs = create_contacts(
            &app,
            &tb,
            json!([contact("Bob's client", "+34 91 765 43 21")]),
        )
        .await;
        // list
        assert_eq!(
            ids_of(
                app.call(Method::GET, "/api/v4/contacts", Some(&ta), None)
                    .await,
                "contacts"
            )
            .await,
            mine
        );
        // get
        assert_eq!(
            app.call(
                Method::GET,
                &format!("/api/v4/contacts/{}", theirs[0]),
                Some(&ta),
                None
            )
            .await
            .status(),
            204
        );
        // search and filter
        assert!(ids_of(
            app.call(
                Method::GET,
                "/api/v4/contacts?query=917654321",
                Some(&ta),
                None
            )
            .await,
            "contacts"
        )
        .await
        .is_empty());
        assert!(ids_of(
            app.call(Method::GET, "/api/v4/contacts?query=Bob", Some(&ta), None)
                .await,
            "contacts"
        )
        .await
        .is_empty());
        assert!(ids_of(
            app.call(
                Method::GET,
                &format!("/api/v4/contacts?filter[id]={}", theirs[0]),
                Some(&ta),
                None
            )
            .await,
            "contacts"
        )
        .await
        .is_empty());
        // phone lookup with the user's rights
        let actor = sb_service::auth::authenticate(app.ctx(), &ta)
            .await
            .unwrap();
        assert!(
            sb_service::cards::lookup_phone(app.ctx(), &actor, "+34917654321")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            sb_service::cards::lookup_phone(app.ctx(), &actor, "911234567")
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(actor.user.id, ana.id);
        // update of an invisible contact: same answer as an unknown id
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/contacts/{}", theirs[0]),
                Some(&ta),
                Some(json!({"name": "x"})),
            )
            .await;
        let unknown = app
            .call(
                Method::PATCH,
                "/api/v4/contacts/123456",
                Some(&ta),
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(r.status(), unknown.status());
        assert_eq!(r.text().await.unwrap(), unknown.text().await.unwrap());
        // the admin sees both
        assert_eq!(
            ids_of(app.get("/api/v4/contacts").await, "contacts")
                .await
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn group_scope_sees_the_group_and_none_sees_nothing() {
    for app in spawn_apps().await {
        let g = sb_service::users::create_group(app.ctx(), &app.admin, "Sales")
            .await
            .unwrap();
        let (_, t1) = app
            .user_with(
                "g1",
                with_contacts(Scope::Group, Scope::All, Scope::Group),
                Some(g.id),
            )
            .await;
        let (_, t2) = app
            .user_with(
                "g2",
                with_contacts(Scope::Own, Scope::All, Scope::Own),
                Some(g.id),
            )
            .await;
        let (_, tout) = app
            .user_with(
                "out",
                with_contacts(Scope::Own, Scope::All, Scope::Own),
                None,
            )
            .await;
        let (_, tnone) = app
            .user_with(
                "blind",
                with_contacts(Scope::None, Scope::None, Scope::None),
                None,
            )
            .await;
        let a = create_contacts(&app, &t2, json!([contact("Group mate's", "+34600000011")])).await;
        create_contacts(&app, &tout, json!([contact("Outsider's", "+34600000012")])).await;
        assert_eq!(
            ids_of(
                app.call(Method::GET, "/api/v4/contacts", Some(&t1), None)
                    .await,
                "contacts"
            )
            .await,
            a
        );
        assert_eq!(
            app.call(Method::GET, "/api/v4/contacts", Some(&tnone), None)
                .await
                .status(),
            204
        );
        let r = app
            .call(
                Method::POST,
                "/api/v4/contacts",
                Some(&tnone),
                Some(json!([contact("x", "+34600000013")])),
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn view_without_edit_is_forbidden_to_change() {
    for app in spawn_apps().await {
        let (_, t) = app
            .user_with(
                "viewer",
                with_contacts(Scope::All, Scope::All, Scope::Own),
                None,
            )
            .await;
        let t_admin = app.admin_token.clone();
        let ids =
            create_contacts(&app, &t_admin, json!([contact("Admin's", "+34600000021")])).await;
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/contacts/{}", ids[0]),
                Some(&t),
                Some(json!({"name": "hacked"})),
            )
            .await;
        assert_eq!(r.status(), 403);
        let v = sb_testkit::json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(v["name"], "Admin's");
    }
}

#[tokio::test]
async fn accounts_are_isolated() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(&app, &t, json!([contact("Mine", "+34 91 123 45 67")])).await;
        let (other, ot) = app.other_account("other").await;
        assert_eq!(
            app.call(Method::GET, "/api/v4/contacts", Some(&ot), None)
                .await
                .status(),
            204
        );
        assert_eq!(
            app.call(
                Method::GET,
                &format!("/api/v4/contacts/{}", ids[0]),
                Some(&ot),
                None
            )
            .await
            .status(),
            204
        );
        assert!(ids_of(
            app.call(
                Method::GET,
                "/api/v4/contacts?query=911234567",
                Some(&ot),
                None
            )
            .await,
            "contacts"
        )
        .await
        .is_empty());
        assert!(
            sb_service::cards::find_by_phone(app.ctx(), other.account.id, "911234567")
                .await
                .unwrap()
                .is_empty()
        );
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v4/contacts/{}", ids[0]),
                Some(&ot),
                Some(json!({"name": "x"})),
            )
            .await;
        let unknown = app
            .call(
                Method::PATCH,
                "/api/v4/contacts/99",
                Some(&ot),
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.text().await.unwrap(), unknown.text().await.unwrap());
        // responsible_user_id of another account's user is refused
        let r = app
            .call(
                Method::POST,
                "/api/v4/contacts",
                Some(&ot),
                Some(json!([{"name": "x", "responsible_user_id": app.admin.user.id.0}])),
            )
            .await;
        assert_eq!(r.status(), 400);
    }
}
