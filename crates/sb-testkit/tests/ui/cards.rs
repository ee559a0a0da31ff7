//! Contacts, companies and the global search, as a signed-in browser sees them.

use sb_domain::entities::CardKind;
use sb_domain::fields::{FieldDef, FieldValueInput, ValueInput};
use sb_domain::rights::EntityRights;
use sb_domain::{EntityKind, Rights, Scope};
use sb_service::cards::CardInput;
use sb_service::custom_fields::{EnumInput, FieldInput};
use sb_service::tags::TagRef;
use sb_service::Actor;
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{spawn_apps, TestApp};
use serde_json::json;

async fn defs(app: &TestApp, kind: CardKind) -> Vec<FieldDef> {
    sb_service::cards::field_defs(app.ctx(), app.account().id, kind)
        .await
        .unwrap()
}

fn by_code<'a>(defs: &'a [FieldDef], code: &str) -> &'a FieldDef {
    defs.iter()
        .find(|d| d.code.as_deref() == Some(code))
        .unwrap()
}

fn enum_id(d: &FieldDef, value: &str) -> String {
    d.enums
        .iter()
        .find(|e| e.value == value)
        .unwrap()
        .id
        .to_string()
}

fn phone(v: &str, code: &str) -> FieldValueInput {
    FieldValueInput {
        field_code: Some("PHONE".into()),
        values: Some(vec![ValueInput {
            value: Some(json!(v)),
            enum_code: Some(code.into()),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

/// A card written through the service as `actor`, owned by `owner` (else the actor).
async fn card(
    app: &TestApp,
    actor: &Actor,
    kind: CardKind,
    name: &str,
    owner: Option<i64>,
    fields: Vec<FieldValueInput>,
) -> i64 {
    sb_service::cards::create(
        app.ctx(),
        actor,
        kind,
        vec![CardInput {
            name: Some(name.into()),
            responsible_user_id: owner,
            custom_fields_values: Some(fields),
            ..Default::default()
        }],
    )
    .await
    .unwrap()[0]
        .id
}

fn own_only() -> Rights {
    let mut r = Rights::manager_default();
    let own = EntityRights {
        view: Scope::Own,
        add: Scope::All,
        edit: Scope::Own,
        delete: Scope::None,
        export: Scope::None,
    };
    r.contacts = own;
    r.companies = own;
    r.leads = own;
    r
}

#[tokio::test]
async fn lists_and_cards_show_fields_phones_tags_and_chosen_columns() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        b.get("/companies")
            .await
            .assert_status(200)
            .assert_has("No companies yet. Create the first one.")
            .assert_has("href=\"/companies/new\"");

        let field = sb_service::custom_fields::create(
            app.ctx(),
            &app.admin,
            EntityKind::Contacts,
            vec![FieldInput {
                name: Some("Segment".into()),
                field_type: Some("select".into()),
                enums: Some(vec![
                    EnumInput {
                        value: Some("Retail".into()),
                        sort: None,
                    },
                    EnumInput {
                        value: Some("Wholesale".into()),
                        sort: None,
                    },
                ]),
                ..Default::default()
            }],
        )
        .await
        .unwrap()
        .remove(0)
        .1;
        let ana = sb_service::cards::create(
            app.ctx(),
            &app.admin,
            CardKind::Contact,
            vec![CardInput {
                name: Some("Ana García".into()),
                custom_fields_values: Some(vec![
                    phone("+34 600 111 222", "MOB"),
                    FieldValueInput {
                        field_code: Some("EMAIL".into()),
                        values: Some(vec![ValueInput {
                            value: Some(json!("ana@example.test")),
                            enum_code: Some("PRIV".into()),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    },
                    FieldValueInput {
                        field_id: Some(field.id.0),
                        values: Some(vec![ValueInput {
                            value: Some(json!("Wholesale")),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    },
                ]),
                tags: Some(vec![TagRef {
                    id: None,
                    name: Some("vip".into()),
                }]),
                ..Default::default()
            }],
        )
        .await
        .unwrap()[0]
            .id;
        card(&app, &app.admin, CardKind::Contact, "Bruno", None, vec![]).await;

        let list = b.get("/contacts?sort=name&dir=asc").await;
        list.assert_status(200)
            .assert_has(&format!("href=\"/contacts/{ana}\""))
            .assert_has("Ana García")
            .assert_has("+34 600 111 222")
            .assert_has("ana@example.test")
            .assert_has("<span class=\"tag\">vip</span>")
            // A column only when chosen.
            .assert_lacks("<th scope=\"col\">Segment</th>");
        assert!(list.body.find("Ana García") < list.body.find("Bruno"));
        let desc = b.get("/contacts?sort=name&dir=desc").await;
        assert!(desc.body.find("Ana García") > desc.body.find("Bruno"));

        let with_col = b.get(&format!("/contacts?cols={}", field.id.0)).await;
        with_col
            .assert_has("<th scope=\"col\">Segment</th>")
            .assert_has("<td>Wholesale</td>");
        // Filters: by the field's option, by tag, by a phone in another format.
        let retail = enum_id(&field, "Retail");
        b.get(&format!("/contacts?f{}={retail}", field.id.0))
            .await
            .assert_lacks("Ana García")
            .assert_has("Nothing matches these filters.");
        let wholesale = enum_id(&field, "Wholesale");
        b.get(&format!("/contacts?f{}={wholesale}", field.id.0))
            .await
            .assert_has("Ana García")
            .assert_lacks("Bruno");
        b.get("/contacts?q=0034600111222")
            .await
            .assert_has("Ana García")
            .assert_lacks("Bruno");
        // Pages: one per page, the next page has the other.
        let p1 = b.get("/contacts?sort=name&dir=asc&limit=25").await;
        p1.assert_lacks("rel=\"next\"");

        let page = b.get(&format!("/contacts/{ana}")).await;
        page.assert_status(200)
            .assert_has("<h1>Ana García</h1>")
            .assert_has("href=\"tel:+34600111222\"")
            .assert_has("<span class=\"badge\">Mobile</span>")
            .assert_has("href=\"mailto:ana@example.test\"")
            .assert_has("<span class=\"badge\">Personal</span>")
            .assert_has("Wholesale")
            .assert_has("hx-get=\"/contacts/")
            .assert_has("id=\"feed\"")
            .assert_has(&format!("href=\"/contacts/{ana}/edit\""));
        // The form has the right input per field.
        let form = b.get(&format!("/contacts/{ana}/edit")).await;
        let defs = defs(&app, CardKind::Contact).await;
        let ph = by_code(&defs, "PHONE").id.0;
        let em = by_code(&defs, "EMAIL").id.0;
        form.assert_status(200)
            .assert_has(&format!(
                "name=\"cf{ph}\" type=\"tel\" value=\"+34 600 111 222\""
            ))
            .assert_has(&format!(
                "name=\"cf{em}\" type=\"email\" value=\"ana@example.test\""
            ))
            .assert_has(&format!(
                "<select id=\"cf{}\" name=\"cf{}\"",
                field.id.0, field.id.0
            ))
            .assert_has(&format!("for=\"cf{ph}-0\""));

        // In Spanish the phone's type is Spanish too.
        sb_service::sessions::set_lang(app.ctx(), &app.admin, "es")
            .await
            .unwrap();
        b.get(&format!("/contacts/{ana}"))
            .await
            .assert_has("<span class=\"badge\">Móvil</span>");
    }
}

#[tokio::test]
async fn a_contact_created_with_a_spanish_number_is_found_by_the_search_in_another_format() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let defs = defs(&app, CardKind::Contact).await;
        let ph = by_code(&defs, "PHONE");
        b.get("/contacts/new").await.assert_status(200);
        let created = b
            .post_form(
                "/contacts",
                &[
                    ("name", "Lucía Pérez"),
                    (&format!("cf{}", ph.id.0), "+34 600 111 222"),
                    (&format!("cf{}_type", ph.id.0), &enum_id(ph, "MOB")),
                    ("tags", "madrid, vip"),
                ],
            )
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        let to = created.location.clone().unwrap();
        let id: i64 = to.trim_start_matches("/contacts/").parse().unwrap();
        let stored = sb_service::cards::get(app.ctx(), &app.admin, CardKind::Contact, id)
            .await
            .unwrap();
        assert_eq!(stored.card.name, "Lucía Pérez");
        assert_eq!(stored.tags.len(), 2);
        let found = sb_service::cards::lookup_phone(app.ctx(), &app.admin, "600111222")
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, id);

        for typed in ["0034 600 111 222", "600-111-222", "+34600111222"] {
            let q = typed.replace('+', "%2B").replace(' ', "%20");
            let s = b.get(&format!("/search?q={q}")).await;
            s.assert_status(200)
                .assert_has(&format!("href=\"/contacts/{id}\""))
                .assert_has("Lucía Pérez")
                // The header's box keeps what was typed.
                .assert_has(&format!("name=\"q\" value=\"{typed}\""));
        }
        // Leads are found by name too, in their own group.
        let lead = sb_service::leads::create(
            app.ctx(),
            &app.admin,
            vec![sb_service::leads::LeadInput {
                name: Some("Lucía's order".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap()[0]
            .id;
        b.get("/search?q=Luc%C3%ADa")
            .await
            .assert_has("id=\"hits-contacts\"")
            .assert_has("id=\"hits-leads\"")
            .assert_has(&format!("href=\"/leads/{lead}\""))
            .assert_has("Lucía&#39;s order");
        b.get("/search?q=lucia%20nobody")
            .await
            .assert_has("Nothing found for");
        b.get("/search").await.assert_has("Type a name, an e-mail");
    }
}

#[tokio::test]
async fn an_edit_with_a_bad_email_shows_the_message_beside_the_field() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let id = card(&app, &app.admin, CardKind::Company, "Acme", None, vec![]).await;
        let defs = defs(&app, CardKind::Company).await;
        let em = by_code(&defs, "EMAIL");
        b.get(&format!("/companies/{id}/edit"))
            .await
            .assert_status(200);
        let refused = b
            .post_form(
                &format!("/companies/{id}"),
                &[
                    ("name", "Acme Renamed"),
                    (&format!("cf{}", em.id.0), "not-an-email"),
                    (&format!("cf{}_type", em.id.0), &enum_id(em, "WORK")),
                ],
            )
            .await;
        refused
            .assert_status(422)
            .assert_has(&format!(
                "<div class=\"error\" id=\"cf{}-error\">Enter a valid e-mail address.</div>",
                em.id.0
            ))
            .assert_has(&format!("aria-describedby=\"cf{}-error\"", em.id.0))
            .assert_has("value=\"not-an-email\" autocomplete=\"email\" aria-invalid=\"true\"")
            // What was typed stays in the form.
            .assert_has("value=\"Acme Renamed\"");
        let stored = sb_service::cards::get(app.ctx(), &app.admin, CardKind::Company, id)
            .await
            .unwrap();
        assert_eq!(stored.card.name, "Acme", "nothing was written");

        // In the user's language.
        sb_service::sessions::set_lang(app.ctx(), &app.admin, "hu")
            .await
            .unwrap();
        let hu = b
            .post_form(
                &format!("/companies/{id}"),
                &[("name", "Acme"), (&format!("cf{}", em.id.0), "nope")],
            )
            .await;
        hu.assert_status(422)
            .assert_lacks("Enter a valid e-mail address.");

        let ok = b
            .post_form(
                &format!("/companies/{id}"),
                &[
                    ("name", "Acme Renamed"),
                    (&format!("cf{}", em.id.0), "info@acme.test"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let stored = sb_service::cards::get(app.ctx(), &app.admin, CardKind::Company, id)
            .await
            .unwrap();
        assert_eq!(stored.card.name, "Acme Renamed");
    }
}

#[tokio::test]
async fn a_manager_with_scope_own_never_sees_a_colleagues_contact() {
    for app in spawn_apps().await {
        let marta = manager(&app, "Marta", own_only(), "en").await;
        let colleague = manager(&app, "Pablo", own_only(), "en").await;
        let mine = card(
            &app,
            &app.admin,
            CardKind::Contact,
            "Mine Contact",
            Some(marta.id.0),
            vec![phone("+34 600 000 001", "WORK")],
        )
        .await;
        let theirs = card(
            &app,
            &app.admin,
            CardKind::Contact,
            "Colleague Contact",
            Some(colleague.id.0),
            vec![phone("+34 600 000 002", "WORK")],
        )
        .await;
        let b = Browser::sign_in(&app, &marta.email, PASSWORD).await;
        b.get("/contacts")
            .await
            .assert_status(200)
            .assert_has("Mine Contact")
            .assert_lacks("Colleague Contact");
        b.get("/search?q=contact")
            .await
            .assert_has("Mine Contact")
            .assert_lacks("Colleague Contact");
        b.get("/search?q=0034600000002")
            .await
            .assert_lacks("Colleague Contact")
            .assert_has("Nothing found");
        b.get(&format!("/contacts/{mine}")).await.assert_status(200);
        let hidden = b.get(&format!("/contacts/{theirs}")).await;
        let unknown = b.get("/contacts/999999999").await;
        hidden.assert_status(404).assert_lacks("Colleague Contact");
        unknown.assert_status(404);
        b.get("/contacts/not-a-number")
            .await
            .assert_status(404)
            .assert_has("This record does not exist");
        // The same page as an unknown id (but for the address it was asked at).
        assert_eq!(
            hidden.body.replace(&theirs.to_string(), "ID"),
            unknown.body.replace("999999999", "ID"),
        );
        b.get(&format!("/contacts/{theirs}/edit"))
            .await
            .assert_status(404);
        // Writing to it is refused too, and nothing changes.
        let w = b
            .post_form(&format!("/contacts/{theirs}"), &[("name", "Taken")])
            .await;
        assert_ne!(w.status, 303, "{}", w.body);
        let stored = sb_service::cards::get(app.ctx(), &app.admin, CardKind::Contact, theirs)
            .await
            .unwrap();
        assert_eq!(stored.card.name, "Colleague Contact");
    }
}

#[tokio::test]
async fn hostile_names_render_as_text_in_lists_cards_and_search() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let script = "<script>alert(1)</script>";
        let img = "\"><img src=x onerror=alert(1)>";
        let c = card(&app, &app.admin, CardKind::Contact, script, None, vec![]).await;
        let k = card(&app, &app.admin, CardKind::Company, img, None, vec![]).await;
        sb_service::links::link(
            app.ctx(),
            &app.admin,
            EntityKind::Contacts,
            c,
            vec![sb_service::links::LinkInput {
                to_entity_id: Some(k),
                to_entity_type: Some("companies".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
        let pages = [
            b.get("/contacts").await,
            b.get("/companies").await,
            b.get(&format!("/contacts/{c}")).await,
            b.get(&format!("/companies/{k}")).await,
            b.get(&format!("/contacts/{c}/edit")).await,
            b.get("/search?q=alert").await,
            b.get(&format!("/contacts/{c}?link_to=companies&link_q=alert"))
                .await,
        ];
        for p in &pages {
            p.assert_status(200)
                .assert_lacks("<script>alert")
                .assert_lacks("<img src=x");
        }
        // askama writes the entities as numbers: &#60; is &lt;.
        let script_text = "&#60;script&#62;alert(1)&#60;/script&#62;";
        let img_text = "&#34;&#62;&#60;img src=x onerror=alert(1)&#62;";
        pages[0].assert_has(script_text);
        pages[1].assert_has(img_text);
        // The card shows its linked company's name, the search both.
        pages[2].assert_has(script_text).assert_has(img_text);
        pages[3].assert_has(img_text).assert_has(script_text);
        pages[5].assert_has(script_text).assert_has(img_text);
        pages[6].assert_has(img_text);
    }
}

#[tokio::test]
async fn links_are_made_and_undone_from_the_card() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let c = card(&app, &app.admin, CardKind::Contact, "Carla", None, vec![]).await;
        let k = card(&app, &app.admin, CardKind::Company, "Globex", None, vec![]).await;
        b.get(&format!("/contacts/{c}?link_to=companies&link_q=glob"))
            .await
            .assert_has(&format!("name=\"to_id\" value=\"{k}\""));
        let linked = b
            .post_form(
                &format!("/contacts/{c}/link"),
                &[("to_type", "companies"), ("to_id", &k.to_string())],
            )
            .await;
        assert_eq!(linked.status, 303, "{}", linked.body);
        b.get(&format!("/contacts/{c}"))
            .await
            .assert_has(&format!("<a href=\"/companies/{k}\">Globex</a>"));
        b.get(&format!("/companies/{k}"))
            .await
            .assert_has(&format!("<a href=\"/contacts/{c}\">Carla</a>"));
        b.post_form(
            &format!("/companies/{k}/unlink"),
            &[("to_type", "contacts"), ("to_id", &c.to_string())],
        )
        .await;
        let stored = sb_service::cards::get(app.ctx(), &app.admin, CardKind::Contact, c)
            .await
            .unwrap();
        assert_eq!(stored.card.company_id, None);
    }
}

#[tokio::test]
async fn posts_without_the_csrf_token_change_nothing() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let id = card(&app, &app.admin, CardKind::Contact, "Kept", None, vec![]).await;
        b.post_without_csrf("/contacts", &[("name", "Forged")])
            .await
            .assert_status(403);
        b.post_without_csrf(&format!("/contacts/{id}"), &[("name", "Forged")])
            .await
            .assert_status(403);
        let all = sb_service::cards::list(
            app.ctx(),
            &app.admin,
            CardKind::Contact,
            sb_service::cards::ListParams {
                page: 1,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(all.items.len(), 1);
        assert_eq!(all.items[0].card.name, "Kept");
    }
}

#[tokio::test]
async fn every_field_type_has_its_input_and_round_trips_through_the_form() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let mk = |name: &str, t: &str, enums: &[&str]| FieldInput {
            name: Some(name.into()),
            field_type: Some(t.into()),
            enums: (!enums.is_empty()).then(|| {
                enums
                    .iter()
                    .map(|e| EnumInput {
                        value: Some((*e).into()),
                        sort: None,
                    })
                    .collect()
            }),
            ..Default::default()
        };
        let made = sb_service::custom_fields::create(
            app.ctx(),
            &app.admin,
            EntityKind::Contacts,
            vec![
                mk("Nickname", "text", &[]),
                mk("Score", "numeric", &[]),
                mk("Opted in", "checkbox", &[]),
                mk("Interests", "multiselect", &["Golf", "Tennis", "Chess"]),
                mk("Met on", "date", &[]),
                mk("Site", "url", &[]),
                mk("Notes", "textarea", &[]),
                mk("Size", "radiobutton", &["Small", "Large"]),
                mk("Next call", "date_time", &[]),
                mk("Birthday", "birthday", &[]),
                mk("Budget", "price", &[]),
                mk("Tier", "select", &["Gold", "Silver"]),
            ],
        )
        .await
        .unwrap();
        let f: Vec<FieldDef> = made.into_iter().map(|(_, d)| d).collect();
        let key = |i: usize| format!("cf{}", f[i].id.0);
        let form = b.get("/contacts/new").await;
        form.assert_status(200)
            .assert_has(&format!("name=\"{}\" type=\"text\"", key(0)))
            .assert_has(&format!("name=\"{}\" type=\"number\" step=\"any\"", key(1)))
            .assert_has(&format!(
                "name=\"{}\" type=\"checkbox\" value=\"1\"",
                key(2)
            ))
            .assert_has(&format!(
                "type=\"checkbox\" name=\"{}\" value=\"{}\"",
                key(3),
                enum_id(&f[3], "Golf")
            ))
            .assert_has(&format!("name=\"{}\" type=\"date\"", key(4)))
            .assert_has(&format!("name=\"{}\" type=\"url\"", key(5)))
            .assert_has(&format!("<textarea id=\"{}\" name=\"{}\"", key(6), key(6)))
            .assert_has(&format!(
                "type=\"radio\" name=\"{}\" value=\"{}\"",
                key(7),
                enum_id(&f[7], "Large")
            ))
            .assert_has(&format!("name=\"{}\" type=\"datetime-local\"", key(8)))
            .assert_has(&format!("name=\"{}\" type=\"date\"", key(9)))
            .assert_has(&format!(
                "name=\"{}\" type=\"number\" step=\"any\"",
                key(10)
            ))
            .assert_has(&format!("<select id=\"{}\" name=\"{}\"", key(11), key(11)));
        let golf = enum_id(&f[3], "Golf");
        let chess = enum_id(&f[3], "Chess");
        let large = enum_id(&f[7], "Large");
        let gold = enum_id(&f[11], "Gold");
        let fields: Vec<(String, String)> = vec![
            ("name".into(), "Typed Everything".into()),
            (key(0), "Tito".into()),
            (key(1), "42.5".into()),
            (key(2), "1".into()),
            (key(3), golf.clone()),
            (key(3), chess.clone()),
            (key(4), "2026-03-15".into()),
            (key(5), "https://example.test/tito".into()),
            (key(6), "line one\nline two".into()),
            (key(7), large.clone()),
            (key(8), "2026-03-15T10:30".into()),
            (key(9), "1990-07-01".into()),
            (key(10), "1000".into()),
            (key(11), gold.clone()),
        ];
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let created = b.post_form("/contacts", &pairs).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let to = created.location.unwrap();
        let card = b.get(&to).await;
        card.assert_status(200)
            .assert_has("Tito")
            .assert_has("42.5")
            .assert_has("Yes")
            .assert_has("Golf")
            .assert_has("Chess")
            .assert_has("Mar 15, 2026")
            .assert_has("href=\"https://example.test/tito\"")
            .assert_has("line one\nline two")
            .assert_has("Large")
            .assert_has("Jul 1, 1990")
            .assert_has("1000")
            .assert_has("Gold");
        // The edit form shows each value in its input, as it was typed.
        let edit = b.get(&format!("{to}/edit")).await;
        edit.assert_has(&format!(
            "name=\"{}\" type=\"date\" value=\"2026-03-15\"",
            key(4)
        ))
        .assert_has(&format!(
            "name=\"{}\" type=\"datetime-local\" value=\"2026-03-15T10:30\"",
            key(8)
        ))
        .assert_has(&format!(
            "name=\"{}\" type=\"date\" value=\"1990-07-01\"",
            key(9)
        ))
        .assert_has(&format!(
            "name=\"{}\" type=\"checkbox\" value=\"1\" checked",
            key(2)
        ))
        .assert_has(&format!("value=\"{chess}\" checked"))
        .assert_has(&format!("value=\"{large}\" checked"))
        .assert_has(&format!("<option value=\"{gold}\" selected>Gold</option>"));
        // Emptying and unticking clears; what was not touched stays.
        let id: i64 = to.trim_start_matches("/contacts/").parse().unwrap();
        let saved = b
            .post_form(
                &to,
                &[
                    ("name", "Typed Everything"),
                    (&key(0), "Tito"),
                    (&key(3), &golf),
                    (&key(7), ""),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let stored = sb_service::cards::get(app.ctx(), &app.admin, CardKind::Contact, id)
            .await
            .unwrap();
        let has = |i: usize| {
            stored
                .card
                .custom_fields
                .iter()
                .find(|v| v.field_id == f[i].id)
                .map(|v| v.values.len())
                .unwrap_or(0)
        };
        assert_eq!(has(0), 1);
        assert_eq!(has(2), 0, "unticked");
        assert_eq!(has(3), 1, "one option left");
        assert_eq!(has(7), 0, "no choice");
        assert_eq!(has(4), 0, "an emptied date is cleared");
    }
}

#[tokio::test]
async fn a_card_of_a_deactivated_user_keeps_its_owner_through_an_edit() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let gone = manager(&app, "Gone", Rights::manager_default(), "en").await;
        let id = card(
            &app,
            &app.admin,
            CardKind::Contact,
            "Left Behind",
            Some(gone.id.0),
            vec![],
        )
        .await;
        sb_service::users::set_active(app.ctx(), &app.admin, gone.id, false)
            .await
            .unwrap();
        b.get(&format!("/contacts/{id}/edit"))
            .await
            .assert_has(&format!(
                "<option value=\"{}\" selected>Gone</option>",
                gone.id.0
            ));
        // The list's filter offers only active users.
        b.get("/contacts")
            .await
            .assert_lacks(&format!("<option value=\"{}\"", gone.id.0));
    }
}

#[tokio::test]
async fn a_card_is_deleted_from_its_page_by_whoever_holds_the_delete_right() {
    for app in spawn_apps().await {
        // Managers by default may delete their own cards only.
        let lena = manager(&app, "Lena", Rights::manager_default(), "en").await;
        let other = manager(&app, "Otto", Rights::manager_default(), "en").await;
        let mine = card(
            &app,
            &app.admin,
            CardKind::Contact,
            "Lena Customer",
            Some(lena.id.0),
            vec![phone("+34 600 444 555", "WORK")],
        )
        .await;
        let theirs = card(
            &app,
            &app.admin,
            CardKind::Contact,
            "Otto Customer",
            Some(other.id.0),
            vec![],
        )
        .await;
        let b = Browser::sign_in(&app, &lena.email, PASSWORD).await;
        // A colleague's card: seen, but no delete button, and a forged POST is refused.
        b.get(&format!("/contacts/{theirs}"))
            .await
            .assert_status(200)
            .assert_lacks(&format!("/contacts/{theirs}/delete"));
        b.post_form(&format!("/contacts/{theirs}/delete"), &[])
            .await
            .assert_status(403);
        b.post_without_csrf(&format!("/contacts/{mine}/delete"), &[])
            .await
            .assert_status(403);
        sb_service::cards::get(app.ctx(), &app.admin, CardKind::Contact, theirs)
            .await
            .unwrap();
        // Her own: the button asks first, then the card is gone everywhere.
        b.get(&format!("/contacts/{mine}"))
            .await
            .assert_has(&format!("action=\"/contacts/{mine}/delete\""))
            .assert_has("data-confirm=\"Delete this contact?");
        let r = b.post_form(&format!("/contacts/{mine}/delete"), &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        b.get("/contacts")
            .await
            .assert_lacks("Lena Customer")
            .assert_has("Otto Customer");
        b.get(&format!("/contacts/{mine}")).await.assert_status(404);
        b.get("/search?q=600444555")
            .await
            .assert_lacks("Lena Customer");
        // A call from its number is now a stranger's.
        let found = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "600444555")
            .await
            .unwrap();
        assert!(found.is_empty(), "{found:?}");
        // The activity log says who deleted it; deleting it again is an unknown card.
        let r = app
            .get(&format!(
                "/api/v4/events?filter[type]=contact_deleted&filter[entity]=contact&filter[entity_id]={mine}"
            ))
            .await;
        let v = sb_testkit::json(r).await;
        let ev = &v["_embedded"]["events"][0];
        assert_eq!(ev["type"], "contact_deleted", "{v}");
        assert_eq!(ev["created_by"], lena.id.0);
        b.post_form(&format!("/contacts/{mine}/delete"), &[])
            .await
            .assert_status(404);
        // Companies have the same button, for an admin.
        let firm = card(&app, &app.admin, CardKind::Company, "Firm", None, vec![]).await;
        let a = Browser::admin(&app).await;
        a.get(&format!("/companies/{firm}"))
            .await
            .assert_has("data-confirm=\"Delete this company?");
        let r = a.post_form(&format!("/companies/{firm}/delete"), &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        a.get("/companies").await.assert_lacks(">Firm<");
    }
}
