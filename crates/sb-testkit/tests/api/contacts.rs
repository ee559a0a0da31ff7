use crate::{contact, create_contacts, ids_of};
use sb_testkit::{json, spawn_apps};
use serde_json::json;

#[tokio::test]
async fn a_contact_is_found_by_its_phone_in_every_format() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(
            &app,
            &t,
            json!([
                contact("Ana Garcia", "+34 91 123 45 67"),
                contact("Other", "+34 600 111 222")
            ]),
        )
        .await;
        for q in [
            "0034911234567",
            "911234567",
            "%2B34911234567",
            "34%20911%2023%2045%2067",
        ] {
            let found = ids_of(
                app.get(&format!("/api/v4/contacts?query={q}")).await,
                "contacts",
            )
            .await;
            assert_eq!(found, vec![ids[0]], "query {q} on {:?}", app.backend);
            let m = sb_service::cards::find_by_phone(
                app.ctx(),
                app.account().id,
                &q.replace("%2B", "+").replace("%20", " "),
            )
            .await
            .unwrap();
            assert_eq!(m.len(), 1, "find_by_phone {q}");
            assert_eq!(m[0].name, "Ana Garcia");
            assert_eq!(m[0].responsible_user_id, Some(app.admin.user.id));
        }
        // Text search still works for names.
        assert_eq!(
            ids_of(app.get("/api/v4/contacts?query=garc").await, "contacts").await,
            vec![ids[0]]
        );
    }
}

#[tokio::test]
async fn an_unparseable_phone_is_kept_and_matched_exactly() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(&app, &t, json!([contact("Desk", "ext. 12")])).await;
        let v = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(
            v["custom_fields_values"][0]["values"][0]["value"],
            "ext. 12"
        );
        let m = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "ext. 12")
            .await
            .unwrap();
        assert_eq!(m.len(), 1);
    }
}

#[tokio::test]
async fn pages_link_forward_until_the_last_and_empty_lists_are_204() {
    for app in spawn_apps().await {
        assert_eq!(app.get("/api/v4/contacts").await.status(), 204);
        let t = app.admin_token.clone();
        let items: Vec<_> = (0..5)
            .map(|i| contact(&format!("C{i}"), &format!("+34 600 000 00{i}")))
            .collect();
        create_contacts(&app, &t, json!(items)).await;
        let mut seen = Vec::new();
        let mut next = Some(format!("{}/api/v4/contacts?limit=2", app.url));
        let mut pages = 0;
        while let Some(url) = next {
            let r = app.client.get(&url).bearer_auth(&t).send().await.unwrap();
            let v = json(r).await;
            pages += 1;
            seen.extend(
                v["_embedded"]["contacts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap()),
            );
            next = v["_links"]["next"]["href"].as_str().map(str::to_string);
            if let Some(n) = &next {
                assert!(
                    n.starts_with(&app.url),
                    "absolute next link on the called host: {n}"
                );
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 5);
        assert_eq!(
            app.get("/api/v4/contacts?limit=2&page=4").await.status(),
            204
        );
    }
}

#[tokio::test]
async fn filters_and_order_work() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(
            &app,
            &t,
            json!([
                contact("A", "+34600000001"),
                contact("B", "+34600000002"),
                contact("C", "+34600000003")
            ]),
        )
        .await;
        let got = ids_of(
            app.get(&format!(
                "/api/v4/contacts?filter[id][]={}&filter[id][]={}",
                ids[0], ids[2]
            ))
            .await,
            "contacts",
        )
        .await;
        assert_eq!(got, vec![ids[0], ids[2]]);
        let got = ids_of(app.get("/api/v4/contacts?order[id]=desc").await, "contacts").await;
        assert_eq!(got, vec![ids[2], ids[1], ids[0]]);
        let now = sb_service::Clock::now_ms(app.clock.as_ref()) / 1000;
        assert_eq!(
            ids_of(
                app.get(&format!(
                    "/api/v4/contacts?filter[created_at][from]={}",
                    now + 3600
                ))
                .await,
                "contacts"
            )
            .await,
            Vec::<i64>::new()
        );
        assert_eq!(
            ids_of(
                app.get(&format!(
                    "/api/v4/contacts?filter[updated_at][from]={}&filter[updated_at][to]={}",
                    now - 60,
                    now + 60
                ))
                .await,
                "contacts"
            )
            .await
            .len(),
            3
        );
    }
}

#[tokio::test]
async fn updates_replace_a_field_and_keep_the_others() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(&app, &t, json!([{"name": "Ana", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+34 91 123 45 67"}]},
            {"field_code": "EMAIL", "values": [{"value": "ana@example.test", "enum_code": "PRIV"}]}]}])).await;
        let r = app.patch(&format!("/api/v4/contacts/{}", ids[0]), json!({"name": "Ana B", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34 600 999 888", "enum_code": "MOB"}]}]})).await;
        assert_eq!(r.status(), 200);
        let v = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(v["name"], "Ana B");
        let cf = v["custom_fields_values"].as_array().unwrap();
        assert_eq!(cf.len(), 2);
        assert!(
            ids_of(
                app.get("/api/v4/contacts?query=911234567").await,
                "contacts"
            )
            .await
            .is_empty(),
            "the old number no longer matches"
        );
        assert_eq!(
            ids_of(
                app.get("/api/v4/contacts?query=600999888").await,
                "contacts"
            )
            .await,
            ids
        );
    }
}

#[tokio::test]
async fn companies_and_the_contact_company_link() {
    for app in spawn_apps().await {
        let r = app.post("/api/v4/companies", json!([{"name": "Acme SL", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34 93 555 12 12"}]}]}])).await;
        assert_eq!(r.status(), 200);
        let company = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        let t = app.admin_token.clone();
        let mut body = contact("Worker", "+34 600 123 123");
        body["_embedded"] = json!({"companies": [{"id": company}]});
        let ids = create_contacts(&app, &t, json!([body])).await;
        let v = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(v["_embedded"]["companies"][0]["id"], company);
        let m = sb_service::cards::find_by_phone(app.ctx(), app.account().id, "935551212")
            .await
            .unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind, sb_domain::entities::CardKind::Company);
        assert_eq!(m[0].name, "Acme SL");
    }
}

fn tag_names(v: &serde_json::Value) -> Vec<String> {
    v["_embedded"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn contacts_and_companies_carry_tags_like_leads() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let mut body = contact("A", "+34600000001");
        body["_embedded"] = json!({"tags": [{"name": "vip"}, {"name": "Hot"}]});
        let ids = create_contacts(&app, &t, json!([body, contact("B", "+34600000002")])).await;
        let c = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(tag_names(&c), vec!["Hot", "vip"]);
        assert!(c["_embedded"]["tags"][0]["id"].as_i64().is_some());
        // The names went to the contacts' directory, not the leads'.
        let dir = json(app.get("/api/v4/contacts/tags").await).await;
        assert_eq!(dir["_embedded"]["tags"].as_array().unwrap().len(), 2);
        assert_eq!(app.get("/api/v4/leads/tags").await.status(), 204);
        let vip = c["_embedded"]["tags"][1]["id"].as_i64().unwrap();
        // tags_to_add / tags_to_delete by name and id, on one card and in a batch.
        let r = app
            .patch(
                &format!("/api/v4/contacts/{}", ids[0]),
                json!({"tags_to_add": [{"name": "new"}], "tags_to_delete": [{"name": "HOT"}]}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let c = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(tag_names(&c), vec!["new", "vip"]);
        let r = app
            .patch(
                "/api/v4/contacts",
                json!([{"id": ids[1], "tags_to_add": [{"id": vip}]},
                       {"id": ids[0], "_embedded": {"tags": [{"id": vip}]}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let c = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert_eq!(
            tag_names(&c),
            vec!["vip"],
            "_embedded.tags replaces the set"
        );
        // List reads and the tag filter.
        let l = json(app.get("/api/v4/contacts").await).await;
        assert_eq!(tag_names(&l["_embedded"]["contacts"][1]), vec!["vip"]);
        let newt = json(app.get("/api/v4/contacts/tags?query=new").await).await["_embedded"]
            ["tags"][0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            ids_of(
                app.get(&format!("/api/v4/contacts?filter[tags][]={vip}"))
                    .await,
                "contacts"
            )
            .await,
            ids
        );
        assert_eq!(
            ids_of(
                app.get(&format!("/api/v4/contacts?filter[tags][]={newt}"))
                    .await,
                "contacts"
            )
            .await,
            Vec::<i64>::new()
        );
        // Companies, and the complex lead create's contact.
        let r = app
            .post(
                "/api/v4/companies",
                json!([{"name": "Co", "_embedded": {"tags": [{"name": "partner"}]}}]),
            )
            .await;
        let co = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        let k = json(app.get(&format!("/api/v4/companies/{co}")).await).await;
        assert_eq!(tag_names(&k), vec!["partner"]);
        let r = app
            .patch(
                &format!("/api/v4/companies/{co}"),
                json!({"_embedded": {"tags": []}}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let k = json(app.get(&format!("/api/v4/companies/{co}")).await).await;
        assert!(tag_names(&k).is_empty());
        let r = app
            .post(
                "/api/v4/leads/complex",
                json!([{"name": "L", "_embedded": {"contacts": [{"name": "C", "_embedded": {"tags": [{"name": "from-complex"}]}}]}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let cid = json(r).await[0]["contact_id"].as_i64().unwrap();
        let c = json(app.get(&format!("/api/v4/contacts/{cid}")).await).await;
        assert_eq!(tag_names(&c), vec!["from-complex"]);
    }
}

#[tokio::test]
async fn bad_card_tags_name_the_field_and_nothing_is_stored() {
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await;
        let r = app
            .post("/api/v4/leads/tags", json!([{"name": "lead-only"}]))
            .await;
        let lead_tag = json(r).await["_embedded"]["tags"][0]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .patch(
                "/api/v4/contacts",
                json!([{"id": ids[0], "tags_to_add": [{"name": "ok"}]},
                       {"id": ids[0], "_embedded": {"tags": [{"id": lead_tag}]}},
                       {"id": ids[0], "tags_to_add": [{}]},
                       {"id": ids[0], "tags_to_delete": [{"name": " "}]},
                       {"id": ids[0], "tags_to_add": "x"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        assert_eq!(
            errs[0]["errors"][0]["path"], "tags_to_add",
            "type error first"
        );
        let r = app
            .patch(
                "/api/v4/contacts",
                json!([{"id": ids[0], "tags_to_add": [{"name": "ok"}]},
                       {"id": ids[0], "_embedded": {"tags": [{"id": lead_tag}]}},
                       {"id": ids[0], "tags_to_add": [{}]},
                       {"id": ids[0], "tags_to_delete": [{"name": " "}]}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        assert!(r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        let v = json(r).await;
        let errs = v["validation-errors"].as_array().unwrap();
        let paths: Vec<&str> = errs
            .iter()
            .map(|e| e["errors"][0]["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            vec![
                "_embedded.tags.0.id",
                "tags_to_add.0.name",
                "tags_to_delete.0.name"
            ]
        );
        assert_eq!(
            app.get("/api/v4/contacts/tags").await.status(),
            204,
            "nothing stored"
        );
        let c = json(app.get(&format!("/api/v4/contacts/{}", ids[0])).await).await;
        assert!(tag_names(&c).is_empty());
        assert_eq!(
            app.get("/api/v4/contacts?filter[tags][]=x").await.status(),
            400
        );
    }
}

#[tokio::test]
async fn tagging_a_card_needs_its_edit_right() {
    use sb_domain::rights::EntityRights;
    use sb_domain::{Rights, Scope};
    for app in spawn_apps().await {
        let t = app.admin_token.clone();
        let ids = create_contacts(&app, &t, json!([contact("A", "+34600000001")])).await;
        let mut ro = Rights::manager_default();
        ro.contacts = EntityRights {
            view: Scope::All,
            add: Scope::None,
            edit: Scope::None,
            delete: Scope::None,
            export: Scope::None,
        };
        let (_u, tr) = app.user_with("ro", ro, None).await;
        let r = app
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v4/contacts/{}", ids[0]),
                Some(&tr),
                Some(json!({"tags_to_add": [{"name": "x"}]})),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(
                reqwest::Method::POST,
                "/api/v4/contacts",
                Some(&tr),
                Some(json!([{"name": "N", "_embedded": {"tags": [{"name": "x"}]}}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(app.get("/api/v4/contacts/tags").await.status(), 204);
        // The reader sees tags set by others.
        app.patch(
            &format!("/api/v4/contacts/{}", ids[0]),
            json!({"tags_to_add": [{"name": "seen"}]}),
        )
        .await;
        let r = app
            .call(
                reqwest::Method::GET,
                &format!("/api/v4/contacts/{}", ids[0]),
                Some(&tr),
                None,
            )
            .await;
        assert_eq!(tag_names(&json(r).await), vec!["seen"]);
    }
}
