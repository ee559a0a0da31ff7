//! The board, the leads list and card, and the admin pages for pipelines and custom
//! fields, through HTTP as a browser uses them, on every backend.

use sb_domain::entities::CardKind;
use sb_domain::pipelines::{Pipeline, StatusType, WON};
use sb_domain::rights::Scope;
use sb_domain::{EntityKind, Rights};
use sb_service::leads::{LeadInput, TagInput};
use sb_service::pipelines::{PipelineInput, StatusInput};
use sb_service::Actor;
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{spawn_apps, TestApp};
use sb_web::ui::format::Formats;

async fn main_pipeline(app: &TestApp) -> Pipeline {
    sb_service::pipelines::ensure_main(app.ctx(), app.admin.account.id)
        .await
        .unwrap()
}

/// The regular stages of a pipeline, in order.
fn working(p: &Pipeline) -> Vec<i64> {
    p.statuses
        .iter()
        .filter(|s| !s.is_system())
        .map(|s| s.id.0)
        .collect()
}

async fn lead(app: &TestApp, actor: &Actor, name: &str, price: i64, stage: (i64, i64)) -> i64 {
    lead_with(
        app,
        actor,
        LeadInput {
            name: Some(name.into()),
            price: Some(price),
            pipeline_id: Some(stage.0),
            status_id: Some(stage.1),
            ..Default::default()
        },
    )
    .await
}

async fn lead_with(app: &TestApp, actor: &Actor, input: LeadInput) -> i64 {
    sb_service::leads::create(app.ctx(), actor, vec![input])
        .await
        .unwrap()[0]
        .id
}

/// How the page shows an amount of minor units (in whole units).
fn money(app: &TestApp, minor: i64) -> String {
    let a = &app.admin.account;
    Formats::new("en", &a.timezone, &a.currency).money(minor)
}

fn actor_of(app: &TestApp, user: sb_domain::entities::User) -> Actor {
    Actor {
        user,
        account: app.admin.account.clone(),
    }
}

#[tokio::test]
async fn the_board_shows_a_column_per_stage_with_count_and_sum() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        lead(
            &app,
            &app.admin,
            "Kitchen for Ana",
            100_000,
            (p.id.0, st[0]),
        )
        .await;
        lead(&app, &app.admin, "Roof for Bea", 25_050, (p.id.0, st[0])).await;
        lead(&app, &app.admin, "Won deal", 700, (p.id.0, WON.0)).await;
        let b = Browser::admin(&app).await;
        let page = b.get("/leads").await;
        page.assert_status(200);
        for s in p
            .statuses
            .iter()
            .filter(|s| s.status_type != StatusType::Incoming)
        {
            page.assert_has(&format!("data-status-id=\"{}\"", s.id.0));
            page.assert_has(&s.name);
        }
        page.assert_has("Kitchen for Ana")
            .assert_has("Roof for Bea")
            .assert_has("2 leads")
            .assert_has(&money(&app, 125_050))
            .assert_has("1 lead")
            .assert_has(&money(&app, 700))
            // Sortable only on the board page, and each card has its keyboard way.
            .assert_has("Sortable.min.js")
            .assert_has("data-move-url=\"/leads/move\"")
            .assert_has("<details class=\"move\">");
        // The incoming stage is no drop target.
        let incoming = p.incoming_status().unwrap().id.0;
        page.assert_lacks(&format!("data-status-id=\"{incoming}\""));
        // Other pages do not load Sortable.
        b.get("/leads/list").await.assert_lacks("Sortable.min.js");

        // A second pipeline: the switch shows it, its board is empty and says so.
        let other = sb_service::pipelines::create(
            app.ctx(),
            &app.admin,
            vec![PipelineInput {
                name: Some("Rentals".into()),
                statuses: Some(vec![StatusInput {
                    name: Some("Viewing".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
        )
        .await
        .unwrap()
        .remove(0)
        .1;
        b.get("/leads").await.assert_has("Rentals");
        b.get(&format!("/leads?pipeline={}", other.id.0))
            .await
            .assert_status(200)
            .assert_has("Viewing")
            .assert_lacks("Kitchen for Ana")
            .assert_has("No leads here yet.");
    }
}

#[tokio::test]
async fn moving_a_lead_persists_records_the_event_and_closes_on_won() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let id = lead(&app, &app.admin, "Fence", 5_000, (p.id.0, st[0])).await;
        let b = Browser::admin(&app).await;
        b.get("/leads").await.assert_status(200);
        // What app.js sends on a drop: the token in a header, answered 204.
        let r = b
            .hx_post(
                "/leads/move",
                &[
                    ("lead_id", &id.to_string()),
                    ("status_id", &st[1].to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let v = sb_service::leads::get(app.ctx(), &app.admin, id, false)
            .await
            .unwrap();
        assert_eq!(v.lead.status_id.0, st[1]);
        assert_eq!(v.lead.closed_at, None);

        // The no-JS form on the card: back to the board, the lead is won and closed.
        let r = b
            .post_form(
                "/leads/move",
                &[
                    ("lead_id", &id.to_string()),
                    ("status_id", &WON.0.to_string()),
                    ("pipeline_id", &p.id.0.to_string()),
                    ("back", &format!("/leads?pipeline={}", p.id.0)),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/leads?pipeline={}", p.id.0).as_str())
        );
        let v = sb_service::leads::get(app.ctx(), &app.admin, id, false)
            .await
            .unwrap();
        assert_eq!(v.lead.status_id, WON);
        assert!(v.lead.closed_at.is_some());
        let events = sb_service::events::list(
            app.ctx(),
            &app.admin,
            sb_service::events::ListParams {
                limit: 50,
                types: vec!["lead_status_changed".into()],
                entities: vec![EntityKind::Leads],
                entity_ids: vec![id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(events.items.len(), 2, "{:?}", events.items);
        // The board, reloaded, shows it in the won column.
        let board = b.get("/leads").await;
        let won_col = board
            .body
            .split(&format!("data-status-id=\"{}\"", WON.0))
            .nth(1)
            .unwrap();
        assert!(won_col.contains("Fence"));

        // The incoming stage is refused with a message, not a 500.
        let incoming = p.incoming_status().unwrap().id.0;
        let r = b
            .hx_post(
                "/leads/move",
                &[
                    ("lead_id", &id.to_string()),
                    ("status_id", &incoming.to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        // An unknown lead is refused with a message too.
        let r = b
            .hx_post(
                "/leads/move",
                &[("lead_id", "999999"), ("status_id", &st[0].to_string())],
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
    }
}

#[tokio::test]
async fn quick_add_puts_a_lead_in_the_column() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let b = Browser::admin(&app).await;
        b.get("/leads").await;
        let pid = p.id.0.to_string();
        let sid = st[1].to_string();
        let r = b
            .hx_post(
                "/leads/quick",
                &[
                    ("pipeline_id", &pid),
                    ("status_id", &sid),
                    ("name", "Garden <b>plan</b>"),
                    ("price", "99.5"),
                ],
            )
            .await;
        r.assert_status(200)
            .assert_has("Garden &#60;b&#62;plan&#60;/b&#62;")
            .assert_has("1 lead")
            .assert_has(&money(&app, 9_950))
            .assert_lacks("<html");
        let found = sb_service::leads::list(
            app.ctx(),
            &app.admin,
            sb_service::leads::ListParams {
                limit: 10,
                statuses: vec![(p.id.0, st[1])],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.items.len(), 1);
        assert_eq!(found.items[0].lead.price, 9_950);
        assert_eq!(found.items[0].lead.name, "Garden <b>plan</b>");

        // A wrong price is shown beside the field, in the column.
        let r = b
            .hx_post(
                "/leads/quick",
                &[
                    ("pipeline_id", &pid),
                    ("status_id", &sid),
                    ("name", "X"),
                    ("price", "lots"),
                ],
            )
            .await;
        r.assert_status(200)
            .assert_has("Enter the price as a number")
            .assert_has("aria-invalid=\"true\"")
            .assert_has("value=\"lots\"");
        // Without JS the form goes back to the board.
        let r = b
            .post_form(
                "/leads/quick",
                &[
                    ("pipeline_id", &pid),
                    ("status_id", &sid),
                    ("name", "Plain"),
                    ("price", ""),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        b.get("/leads")
            .await
            .assert_has("Plain")
            .assert_has("2 leads");
    }
}

#[tokio::test]
async fn the_list_filters_sorts_and_pages() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let m = manager(&app, "Lucia", Rights::manager_default(), "en").await;
        let ma = actor_of(&app, m.clone());
        lead(&app, &app.admin, "Alpha boiler", 10_000, (p.id.0, st[0])).await;
        lead(&app, &ma, "Beta windows", 90_000, (p.id.0, st[1])).await;
        lead_with(
            &app,
            &app.admin,
            LeadInput {
                name: Some("Gamma doors".into()),
                price: Some(50_000),
                pipeline_id: Some(p.id.0),
                status_id: Some(st[0]),
                tags: Some(vec![TagInput {
                    id: None,
                    name: Some("vip".into()),
                }]),
                ..Default::default()
            },
        )
        .await;
        let b = Browser::admin(&app).await;
        let all = b.get("/leads/list").await;
        all.assert_status(200)
            .assert_has("Alpha boiler")
            .assert_has("Beta windows")
            .assert_has("Gamma doors")
            .assert_has("Lucia");
        b.get("/leads/list?q=windows")
            .await
            .assert_has("Beta windows")
            .assert_lacks("Alpha boiler");
        b.get(&format!("/leads/list?responsible={}", m.id.0))
            .await
            .assert_has("Beta windows")
            .assert_lacks("Gamma doors");
        b.get(&format!("/leads/list?stage={}:{}", p.id.0, st[0]))
            .await
            .assert_has("Alpha boiler")
            .assert_has("Gamma doors")
            .assert_lacks("Beta windows");
        b.get("/leads/list?price_from=400&price_to=600")
            .await
            .assert_has("Gamma doors")
            .assert_lacks("Alpha boiler")
            .assert_lacks("Beta windows");
        let tags = sb_service::tags::list(
            app.ctx(),
            &app.admin,
            EntityKind::Leads,
            sb_service::tags::ListParams {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        b.get(&format!("/leads/list?tag={}", tags.items[0].id.0))
            .await
            .assert_has("Gamma doors")
            .assert_lacks("Beta windows");
        b.get("/leads/list?created_from=2000-01-01&created_to=2000-01-02")
            .await
            .assert_has("No lead matches these filters.");
        b.get("/leads/list?price_from=abc")
            .await
            .assert_has("Enter the price as a number");
        // Oldest first puts Alpha before Gamma.
        let asc = b.get("/leads/list?sort=created_asc").await;
        let (a, g) = (
            asc.body.find("Alpha boiler").unwrap(),
            asc.body.find("Gamma doors").unwrap(),
        );
        assert!(a < g);
        let desc = b.get("/leads/list?sort=created_desc").await;
        assert!(desc.body.find("Gamma doors").unwrap() < desc.body.find("Alpha boiler").unwrap());
    }
}

#[tokio::test]
async fn the_list_pages_and_an_empty_account_says_what_to_do() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        b.get("/leads/list")
            .await
            .assert_has("No leads yet. Add the first one on the board.");
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let items: Vec<LeadInput> = (0..55)
            .map(|i| LeadInput {
                name: Some(format!("Bulk {i:02}")),
                pipeline_id: Some(p.id.0),
                status_id: Some(st[0]),
                ..Default::default()
            })
            .collect();
        sb_service::leads::create(app.ctx(), &app.admin, items)
            .await
            .unwrap();
        let first = b.get("/leads/list?sort=id_asc").await;
        first
            .assert_has("Bulk 00")
            .assert_lacks("Bulk 54")
            .assert_has("rel=\"next\"");
        b.get("/leads/list?sort=id_asc&page=2")
            .await
            .assert_has("Bulk 54")
            .assert_has("rel=\"prev\"")
            .assert_lacks("Bulk 00");
        // The column shows its first 50 and links to the rest.
        b.get("/leads")
            .await
            .assert_has("55 leads")
            .assert_has(&format!("/leads/list?stage={}:{}", p.id.0, st[0]));
    }
}

#[tokio::test]
async fn the_card_shows_and_edits_a_lead_and_hides_what_a_manager_may_not_see() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let mut rights = Rights::manager_default();
        rights.leads.view = Scope::Own;
        rights.leads.edit = Scope::Own;
        rights.leads.delete = Scope::None;
        let m = manager(&app, "Olga", rights, "en").await;
        let ma = actor_of(&app, m.clone());
        let theirs = lead(&app, &app.admin, "Admin deal", 1_000, (p.id.0, st[0])).await;
        let mine = lead(&app, &ma, "Olga deal", 2_000, (p.id.0, st[0])).await;

        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        // A colleague's lead: the same 404 page as an unknown id.
        let hidden = b.get(&format!("/leads/{theirs}")).await;
        hidden.assert_status(404).assert_lacks("Admin deal");
        let unknown = b.get("/leads/123456789").await;
        unknown.assert_status(404);
        b.get("/leads/not-a-number").await.assert_status(404);
        b.get("/leads")
            .await
            .assert_lacks("Admin deal")
            .assert_has("Olga deal");
        b.get("/leads/list").await.assert_lacks("Admin deal");

        let card = b.get(&format!("/leads/{mine}")).await;
        card.assert_status(200)
            .assert_has("Olga deal")
            .assert_has(&format!(
                "<section id=\"feed\" class=\"card\" hx-get=\"/leads/{mine}/feed\" hx-trigger=\"load\" aria-labelledby=\"feed-h\"><h2 id=\"feed-h\">"
            ))
            // No delete right: no delete button.
            .assert_lacks(&format!("/leads/{mine}/delete"));
        // The service refuses a delete anyway.
        b.post_form(&format!("/leads/{mine}/delete"), &[])
            .await
            .assert_status(403);
        // Editing someone else's lead is a 404, as it can't be seen.
        b.post_form(&format!("/leads/{theirs}/edit"), &[("name", "Taken")])
            .await
            .assert_status(404);

        // Edit: name, price, stage, tags.
        let r = b
            .post_form(
                &format!("/leads/{mine}/edit"),
                &[
                    ("name", "Olga bigger deal"),
                    ("price", "1234.50"),
                    ("stage", &format!("{}:{}", p.id.0, st[2])),
                    ("responsible_user_id", &m.id.0.to_string()),
                    ("tags", "hot, spring"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let v = sb_service::leads::get(app.ctx(), &app.admin, mine, false)
            .await
            .unwrap();
        assert_eq!(v.lead.name, "Olga bigger deal");
        assert_eq!(v.lead.price, 123_450);
        assert_eq!(v.lead.status_id.0, st[2]);
        let mut tags: Vec<_> = v.tags.iter().map(|t| t.name.clone()).collect();
        tags.sort();
        assert_eq!(tags, ["hot", "spring"]);
        b.get(&format!("/leads/{mine}?saved=1"))
            .await
            .assert_has("The lead was saved.")
            .assert_has("hot");
        // A wrong price is shown beside the field.
        let r = b
            .post_form(
                &format!("/leads/{mine}/edit"),
                &[("name", "x"), ("price", "a lot")],
            )
            .await;
        r.assert_status(422)
            .assert_has("id=\"e-price-error\"")
            .assert_has("Enter the price as a number");
    }
}

#[tokio::test]
async fn the_card_edits_custom_fields_and_links_contacts() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let defs = sb_service::custom_fields::create(
            app.ctx(),
            &app.admin,
            EntityKind::Leads,
            vec![
                sb_service::custom_fields::FieldInput {
                    name: Some("Source".into()),
                    field_type: Some("select".into()),
                    enums: Some(vec![
                        sb_service::custom_fields::EnumInput {
                            value: Some("Web".into()),
                            sort: None,
                        },
                        sb_service::custom_fields::EnumInput {
                            value: Some("Phone".into()),
                            sort: None,
                        },
                    ]),
                    ..Default::default()
                },
                sb_service::custom_fields::FieldInput {
                    name: Some("Deadline".into()),
                    field_type: Some("date".into()),
                    ..Default::default()
                },
                sb_service::custom_fields::FieldInput {
                    name: Some("Signed".into()),
                    field_type: Some("checkbox".into()),
                    ..Default::default()
                },
                sb_service::custom_fields::FieldInput {
                    name: Some("Budget".into()),
                    field_type: Some("numeric".into()),
                    ..Default::default()
                },
            ],
        )
        .await
        .unwrap();
        let (source, deadline, signed, budget) = (&defs[0].1, &defs[1].1, &defs[2].1, &defs[3].1);
        let phone = source.enums.iter().find(|e| e.value == "Phone").unwrap();
        let id = lead(&app, &app.admin, "Pool", 0, (p.id.0, st[0])).await;
        let b = Browser::admin(&app).await;
        let card = b.get(&format!("/leads/{id}")).await;
        card.assert_has(&format!("name=\"cf{}\"", source.id.0))
            .assert_has("type=\"date\"")
            .assert_has("type=\"checkbox\"")
            .assert_has("type=\"number\" step=\"any\"");
        let ids: Vec<String> = [source, deadline, signed, budget]
            .iter()
            .map(|d| d.id.0.to_string())
            .collect();
        let r = b
            .post_form(
                &format!("/leads/{id}/edit"),
                &[
                    ("name", "Pool"),
                    ("price", "0"),
                    (&format!("cf{}", ids[0]), &phone.id.to_string()),
                    (&format!("cf{}", ids[1]), "2026-03-15"),
                    (&format!("cf{}", ids[2]), "1"),
                    (&format!("cf{}", ids[3]), "42.5"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let card = b.get(&format!("/leads/{id}")).await;
        card.assert_has("Phone")
            .assert_has("value=\"2026-03-15\"")
            .assert_has("42.5")
            .assert_has("checked");
        // A wrong number is filed beside its own field, the form keeps what was typed,
        // and nothing stored changes.
        let r = b
            .post_form(
                &format!("/leads/{id}/edit"),
                &[
                    ("name", "Pool"),
                    (&format!("cf{}", ids[0]), &phone.id.to_string()),
                    (&format!("cf{}", ids[3]), "many"),
                ],
            )
            .await;
        r.assert_status(422)
            .assert_has(&format!("id=\"cf{}-error\"", ids[3]))
            .assert_has("value=\"many\"");
        b.get(&format!("/leads/{id}"))
            .await
            .assert_has("value=\"2026-03-15\"")
            .assert_has("42.5");

        // Find a contact and link it, then unlink it.
        let c = sb_service::cards::create(
            app.ctx(),
            &app.admin,
            CardKind::Contact,
            vec![sb_service::cards::CardInput {
                name: Some("Pedro Pool".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap()[0]
            .id;
        b.get(&format!("/leads/{id}?find=Pedro"))
            .await
            .assert_has("Pedro Pool")
            .assert_has(&format!("value=\"{c}\""));
        let r = b
            .post_form(
                &format!("/leads/{id}/link"),
                &[("to", "contacts"), ("to_id", &c.to_string())],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        b.get(&format!("/leads/{id}"))
            .await
            .assert_has(&format!("href=\"/contacts/{c}\""));
        b.post_form(
            &format!("/leads/{id}/unlink"),
            &[("to", "contacts"), ("to_id", &c.to_string())],
        )
        .await;
        b.get(&format!("/leads/{id}"))
            .await
            .assert_lacks(&format!("href=\"/contacts/{c}\""));

        // Delete: gone from the board, the card is a 404.
        let r = b.post_form(&format!("/leads/{id}/delete"), &[]).await;
        assert_eq!(r.status, 303);
        b.get(&format!("/leads/{id}")).await.assert_status(404);
    }
}

#[tokio::test]
async fn hostile_lead_names_are_text_on_the_board_list_and_card() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let a = lead(
            &app,
            &app.admin,
            "<script>alert(1)</script>",
            0,
            (p.id.0, st[0]),
        )
        .await;
        let c = lead(
            &app,
            &app.admin,
            "\"><img src=x onerror=alert(1)>",
            0,
            (p.id.0, st[0]),
        )
        .await;
        let b = Browser::admin(&app).await;
        for path in [
            "/leads".to_string(),
            "/leads/list".to_string(),
            format!("/leads/{a}"),
            format!("/leads/{c}"),
        ] {
            let page = b.get(&path).await;
            page.assert_status(200)
                .assert_lacks("<script>alert(1)")
                .assert_lacks("<img src=x");
        }
        b.get("/leads")
            .await
            .assert_has("&#60;script&#62;alert(1)&#60;/script&#62;")
            .assert_has("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;");
        b.get(&format!("/leads/{a}"))
            .await
            .assert_has("&#60;script&#62;alert(1)&#60;/script&#62;");
    }
}

#[tokio::test]
async fn pipelines_and_stages_are_managed_with_readable_limits() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let b = Browser::admin(&app).await;
        let page = b.get("/settings/pipelines").await;
        page.assert_status(200)
            .assert_has(&p.name)
            .assert_has("It can only be renamed.");

        // Create, rename, add a stage, recolour and reorder it.
        let r = b
            .post_form("/settings/pipelines", &[("name", "Rentals")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let all = sb_service::pipelines::list(app.ctx(), &app.admin)
            .await
            .unwrap();
        let rentals = all.iter().find(|x| x.name == "Rentals").unwrap().clone();
        let base = format!("/settings/pipelines/{}", rentals.id.0);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/settings/pipelines?pipeline={}", rentals.id.0).as_str())
        );
        b.post_form(&base, &[("name", "Long rentals")]).await;
        let r = b
            .post_form(
                &format!("{base}/stages"),
                &[("name", "Viewing"), ("color", "#98cbff")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let got = sb_service::pipelines::get(app.ctx(), &app.admin, rentals.id.0)
            .await
            .unwrap();
        assert_eq!(got.name, "Long rentals");
        let viewing = got.statuses.iter().find(|s| s.name == "Viewing").unwrap();
        let r = b
            .post_form(
                &format!("{base}/stages/{}", viewing.id.0),
                &[("name", "Visit"), ("color", "#ffc8c8"), ("sort", "500")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let s =
            sb_service::pipelines::get_status(app.ctx(), &app.admin, rentals.id.0, viewing.id.0)
                .await
                .unwrap();
        assert_eq!(
            (s.name.as_str(), s.color.as_str(), s.sort),
            ("Visit", "#ffc8c8", 500)
        );
        // A colour outside the palette.
        b.post_form(
            &format!("{base}/stages/{}", viewing.id.0),
            &[("name", "Visit"), ("color", "#123456")],
        )
        .await
        .assert_status(422)
        .assert_has("Choose one of the offered colours.");

        // System stages: renamed yes, recoloured or deleted no, with the reason.
        let r = b
            .post_form(&format!("{base}/stages/142"), &[("name", "Signed")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        b.post_form(
            &format!("{base}/stages/142"),
            &[("name", "Signed"), ("color", "#fffeb2")],
        )
        .await
        .assert_status(422)
        .assert_has("This is a system stage: only its name can change");
        b.post_form(&format!("{base}/stages/143/delete"), &[])
            .await
            .assert_status(422)
            .assert_has("System stages (incoming leads, won, lost) can&#39;t be deleted.");
        // Deleting a regular stage works.
        let r = b
            .post_form(&format!("{base}/stages/{}/delete", viewing.id.0), &[])
            .await;
        assert_eq!(r.status, 303);

        // The main pipeline can't be deleted; one with leads neither.
        b.post_form(&format!("/settings/pipelines/{}/delete", p.id.0), &[])
            .await
            .assert_status(422)
            .assert_has("The main pipeline can&#39;t be deleted.");
        lead(&app, &app.admin, "Flat", 0, (rentals.id.0, WON.0)).await;
        b.post_form(&format!("{base}/delete"), &[])
            .await
            .assert_status(422)
            .assert_has("This pipeline still has leads.");

        // Ten pipelines at most.
        let have = sb_service::pipelines::list(app.ctx(), &app.admin)
            .await
            .unwrap()
            .len();
        let more: Vec<PipelineInput> = (have..10)
            .map(|i| PipelineInput {
                name: Some(format!("P{i}")),
                ..Default::default()
            })
            .collect();
        sb_service::pipelines::create(app.ctx(), &app.admin, more)
            .await
            .unwrap();
        b.post_form("/settings/pipelines", &[("name", "Eleventh")])
            .await
            .assert_status(422)
            .assert_has("An account can have at most 10 pipelines.");
        b.get("/settings/pipelines")
            .await
            .assert_has("An account can have at most 10 pipelines.");

        // A hundred stages at most, system stages included.
        let n = sb_service::pipelines::get(app.ctx(), &app.admin, rentals.id.0)
            .await
            .unwrap()
            .statuses
            .len();
        let stages: Vec<StatusInput> = (n..100)
            .map(|i| StatusInput {
                name: Some(format!("S{i}")),
                ..Default::default()
            })
            .collect();
        sb_service::pipelines::create_statuses(app.ctx(), &app.admin, rentals.id.0, stages)
            .await
            .unwrap();
        b.post_form(&format!("{base}/stages"), &[("name", "One more")])
            .await
            .assert_status(422)
            .assert_has("A pipeline can have at most 100 stages");
    }
}

#[tokio::test]
async fn custom_fields_are_created_and_deleted_one_by_one() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        b.get("/settings/fields")
            .await
            .assert_status(200)
            .assert_has("No custom fields yet.");
        // Every type is offered.
        let page = b.get("/settings/fields?entity=contacts").await;
        for t in sb_domain::fields::FieldType::ALL {
            page.assert_has(&format!("value=\"{}\"", t.as_str()));
        }
        let r = b
            .post_form(
                "/settings/fields/leads",
                &[
                    ("name", "Channel"),
                    ("type", "multiselect"),
                    ("options", "Web\nPhone\n\nFair"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let defs = sb_service::custom_fields::list(app.ctx(), &app.admin, EntityKind::Leads)
            .await
            .unwrap();
        let d = defs.iter().find(|d| d.name == "Channel").unwrap();
        let values: Vec<_> = d.enums.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(values, ["Web", "Phone", "Fair"]);
        b.get("/settings/fields?entity=leads")
            .await
            .assert_has("Channel")
            .assert_has("Multiselect");
        // A select needs options: the message is beside the options box.
        b.post_form(
            "/settings/fields/leads",
            &[("name", "Kind"), ("type", "select")],
        )
        .await
        .assert_status(422)
        .assert_has("id=\"cf-options-error\"")
        .assert_has("value=\"Kind\"");
        b.post_form("/settings/fields/leads", &[("name", ""), ("type", "text")])
            .await
            .assert_status(422)
            .assert_has("id=\"cf-name-error\"");
        // A text field for companies.
        let r = b
            .post_form(
                "/settings/fields/companies",
                &[("name", "VAT"), ("type", "text")],
            )
            .await;
        assert_eq!(r.status, 303);
        let r = b
            .post_form(&format!("/settings/fields/leads/{}/delete", d.id.0), &[])
            .await;
        assert_eq!(r.status, 303);
        let defs = sb_service::custom_fields::list(app.ctx(), &app.admin, EntityKind::Leads)
            .await
            .unwrap();
        assert!(defs.iter().all(|d| d.name != "Channel"));
        // Predefined contact fields stay, with a message.
        let contacts = sb_service::custom_fields::list(app.ctx(), &app.admin, EntityKind::Contacts)
            .await
            .unwrap();
        if let Some(phone) = contacts.iter().find(|d| d.is_predefined) {
            b.post_form(
                &format!("/settings/fields/contacts/{}/delete", phone.id.0),
                &[],
            )
            .await
            .assert_status(422)
            .assert_has("can&#39;t be deleted");
        }
    }
}

#[tokio::test]
async fn managers_get_the_refusal_page_on_settings() {
    for app in spawn_apps().await {
        let m = manager(&app, "Mika", Rights::manager_default(), "en").await;
        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        b.get("/settings/pipelines").await.assert_status(403);
        b.get("/settings/fields").await.assert_status(403);
        b.get("/leads")
            .await
            .assert_status(200)
            .assert_lacks("/settings/pipelines");
        b.post_form("/settings/pipelines", &[("name", "Mine")])
            .await
            .assert_status(403);
        b.post_form(
            "/settings/fields/leads",
            &[("name", "Mine"), ("type", "text")],
        )
        .await
        .assert_status(403);
        let all = sb_service::pipelines::list(app.ctx(), &app.admin)
            .await
            .unwrap();
        assert!(all.iter().all(|p| p.name != "Mine"));
    }
}

#[tokio::test]
async fn the_board_speaks_the_users_language() {
    for app in spawn_apps().await {
        let m = manager(&app, "Zsofi", Rights::manager_default(), "hu").await;
        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        b.get("/leads")
            .await
            .assert_has("Értékesítési folyamat")
            .assert_has("Hozzáadás");
        b.get("/leads/list").await.assert_has("Értékesítések");
    }
}

/// The two service functions the board and card added: totals inside the view scope,
/// and delete with its rights and event.
#[tokio::test]
async fn service_stage_totals_follow_the_scope_and_delete_checks_rights() {
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let mut rights = Rights::manager_default();
        rights.leads.view = Scope::Own;
        rights.leads.edit = Scope::Own;
        rights.leads.delete = Scope::Own;
        let m = manager(&app, "Teo", rights, "en").await;
        let ma = actor_of(&app, m);
        lead(&app, &app.admin, "A", 1_000, (p.id.0, st[0])).await;
        let own = lead(&app, &ma, "B", 300, (p.id.0, st[0])).await;
        let theirs = lead(&app, &app.admin, "C", 50, (p.id.0, WON.0)).await;
        let all = sb_service::leads::stage_totals(app.ctx(), &app.admin, p.id.0)
            .await
            .unwrap();
        let first = all.iter().find(|t| t.status_id.0 == st[0]).unwrap();
        assert_eq!((first.leads, first.price), (2, 1_300));
        let mine = sb_service::leads::stage_totals(app.ctx(), &ma, p.id.0)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!((mine[0].leads, mine[0].price), (1, 300));

        assert!(matches!(
            sb_service::leads::delete(app.ctx(), &ma, theirs).await,
            Err(sb_service::ServiceError::NotFound)
        ));
        sb_service::leads::delete(app.ctx(), &ma, own)
            .await
            .unwrap();
        assert!(matches!(
            sb_service::leads::get(app.ctx(), &app.admin, own, false).await,
            Err(sb_service::ServiceError::NotFound)
        ));
        let events = sb_service::events::list(
            app.ctx(),
            &app.admin,
            sb_service::events::ListParams {
                limit: 10,
                types: vec!["lead_deleted".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(events.items.len(), 1);
        assert_eq!(events.items[0].entity_id, own);
        // Seen but not deletable: refused.
        let mut view_only = Rights::manager_default();
        view_only.leads.delete = Scope::None;
        let v = manager(&app, "Vera", view_only, "en").await;
        let va = actor_of(&app, v);
        assert!(matches!(
            sb_service::leads::delete(app.ctx(), &va, theirs).await,
            Err(sb_service::ServiceError::Forbidden(_))
        ));
    }
}

#[tokio::test]
async fn the_list_filters_by_custom_fields_and_shows_chosen_ones_as_columns() {
    use sb_domain::fields::{FieldValueInput, ValueInput};
    use sb_service::custom_fields::{EnumInput, FieldInput};
    for app in spawn_apps().await {
        let p = main_pipeline(&app).await;
        let st = working(&p);
        let defs = sb_service::custom_fields::create(
            app.ctx(),
            &app.admin,
            EntityKind::Leads,
            vec![
                FieldInput {
                    name: Some("Source".into()),
                    field_type: Some("select".into()),
                    enums: Some(
                        ["Web", "Phone"]
                            .iter()
                            .map(|v| EnumInput {
                                value: Some(v.to_string()),
                                sort: None,
                            })
                            .collect(),
                    ),
                    ..Default::default()
                },
                FieldInput {
                    name: Some("Seats".into()),
                    field_type: Some("numeric".into()),
                    ..Default::default()
                },
            ],
        )
        .await
        .unwrap();
        let (source, seats) = (&defs[0].1, &defs[1].1);
        let option = |v: &str| source.enums.iter().find(|e| e.value == v).unwrap().id;
        for (name, from, n) in [("Web shop", "Web", 10), ("Call centre", "Phone", 30)] {
            lead_with(
                &app,
                &app.admin,
                LeadInput {
                    name: Some(name.into()),
                    pipeline_id: Some(p.id.0),
                    status_id: Some(st[0]),
                    custom_fields_values: Some(vec![
                        FieldValueInput {
                            field_id: Some(source.id.0),
                            values: Some(vec![ValueInput {
                                enum_id: Some(option(from)),
                                ..Default::default()
                            }]),
                            ..Default::default()
                        },
                        FieldValueInput {
                            field_id: Some(seats.id.0),
                            values: Some(vec![ValueInput {
                                value: Some(serde_json::json!(n)),
                                ..Default::default()
                            }]),
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                },
            )
            .await;
        }
        let b = Browser::admin(&app).await;
        let (s, n) = (source.id.0, seats.id.0);
        // Each field has its filter and its column choice, labelled.
        b.get("/leads/list")
            .await
            .assert_has(&format!("<label for=\"ff{s}\">Source</label>"))
            .assert_has(&format!("name=\"f{n}_from\""))
            .assert_has(&format!("name=\"cols\" value=\"{n}\""))
            .assert_has("Web shop")
            .assert_has("Call centre");
        b.get(&format!("/leads/list?f{s}={}", option("Web")))
            .await
            .assert_has("Web shop")
            .assert_lacks("Call centre");
        b.get(&format!("/leads/list?f{n}_from=20"))
            .await
            .assert_has("Call centre")
            .assert_lacks("Web shop");
        // A chosen column shows each lead's value; the pager keeps the choice.
        b.get(&format!("/leads/list?cols={n}&cols={s}&sort=created_asc"))
            .await
            .assert_has("<th scope=\"col\">Source</th>")
            .assert_has("<th scope=\"col\">Seats</th>")
            .assert_has("<td>10</td>")
            .assert_has("<td>Phone</td>");
    }
}
