//! Telephony settings and the blacklist for admins: installing a PBX through the form
//! (checked with the simulator), the webhook URL, extensions bound one-to-one, the
//! switches and the allow list saved and read back, enabling and disabling, the
//! blacklist, and managers kept out.

use sb_domain::{IntegrationId, Rights};
use sb_pbxsim::{FailureMode, PbxSim, SimConfig};
use sb_service::telephony::settings::{AutoCreate, AutoCreateAt};
use sb_testkit::ui::{manager, Browser, Page, PASSWORD};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::json;

/// The HTML of the extension table's row for `ext`.
fn ext_row(p: &Page, ext: &str) -> String {
    let start = p
        .body
        .find(&format!("<tr id=\"ext-{ext}\">"))
        .unwrap_or_else(|| panic!("no row for extension {ext}:\n{}", p.body));
    let rest = &p.body[start..];
    rest[..rest.find("</tr>").unwrap()].to_string()
}

async fn settings_of(app: &TestApp, id: i64) -> sb_service::telephony::IntegrationView {
    sb_service::telephony::get(app.ctx(), &app.admin, IntegrationId(id))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_installs_a_pbx_through_the_form_checked_with_the_pbx() {
    for app in spawn_apps().await {
        let sim = PbxSim::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let cfg = sim.config().clone();
        let b = Browser::admin(&app).await;
        let list = b.get("/settings/telephony").await;
        list.assert_status(200)
            .assert_has("<label for=\"i-secret\">")
            .assert_has("type=\"password\"")
            .assert_has("<summary>Advanced</summary>")
            .assert_has("value=\"https://api.zadarma.com\"")
            .assert_has("No PBX is connected yet.");

        // Missing credentials: ours, translated, beside the fields.
        b.post_form(
            "/settings/telephony",
            &[("name", "Office"), ("key", ""), ("secret", "")],
        )
        .await
        .assert_status(422)
        .assert_has("<div class=\"error\" id=\"i-key-error\">This field is required.</div>")
        .assert_has("<div class=\"error\" id=\"i-secret-error\">This field is required.</div>")
        .assert_has("value=\"Office\"");

        // The PBX refuses a wrong secret: its refusal beside the form, nothing installed,
        // the typed secret never sent back.
        let refused = b
            .post_form(
                "/settings/telephony",
                &[
                    ("name", "Office"),
                    ("key", &cfg.key),
                    ("secret", "wrong-secret"),
                    ("base_url", &sim.base_url()),
                ],
            )
            .await;
        refused
            .assert_status(502)
            .assert_has("id=\"install-refused\"")
            .assert_has("The PBX did not accept the connection:")
            .assert_has("refused the key and secret")
            .assert_has(&format!("value=\"{}\"", sim.base_url()))
            .assert_lacks("wrong-secret");
        // An unreachable PBX says so.
        b.post_form(
            "/settings/telephony",
            &[
                ("key", &cfg.key),
                ("secret", &cfg.secret),
                ("base_url", "http://127.0.0.1:1"),
            ],
        )
        .await
        .assert_status(502)
        .assert_has("cannot be reached");
        assert!(sb_service::telephony::list(app.ctx(), &app.admin)
            .await
            .unwrap()
            .is_empty());

        // The right secret installs it and opens its page.
        let ok = b
            .post_form(
                "/settings/telephony",
                &[
                    ("name", "Office PBX"),
                    ("key", &cfg.key),
                    ("secret", &cfg.secret),
                    ("base_url", &sim.base_url()),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let to = ok.location.clone().unwrap();
        assert!(to.starts_with("/settings/telephony/"), "{to}");
        b.get(&to)
            .await
            .assert_status(200)
            .assert_has("The PBX is connected.");
        b.get("/settings/telephony")
            .await
            .assert_has("Office PBX")
            .assert_has("Zadarma")
            .assert_has("<span class=\"badge ok\">Enabled</span>");
    }
}

#[tokio::test]
async fn the_settings_page_shows_the_webhook_url_balance_and_pbx_steps() {
    for app in spawn_apps().await {
        let pbx = app.install_simulator().await;
        let b = Browser::admin(&app).await;
        let p = b
            .get(&format!("/settings/telephony/{}", pbx.integration))
            .await;
        p.assert_status(200)
            .assert_has(&format!(
                "<input id=\"webhook-url\" type=\"url\" value=\"{}\" readonly",
                pbx.webhook_url
            ))
            .assert_has("<label for=\"webhook-url\">")
            .assert_has("data-copy=\"webhook-url\"")
            .assert_has("Settings → Integrations and API → Notifications")
            .assert_has("<code>NOTIFY_OUT_END</code>")
            .assert_has("<code>NOTIFY_RECORD</code>")
            // The simulator's balance, 18.1636 EUR, as money in the user's language.
            .assert_has("<dd id=\"balance\">€18.16</dd>");
        // The PBX failing: its message instead of the figures, the page still works.
        pbx.sim.set_failure(FailureMode::ServerError);
        let down = b
            .get(&format!("/settings/telephony/{}", pbx.integration))
            .await;
        down.assert_status(200)
            .assert_has("id=\"pbx-error\"")
            .assert_has("The PBX did not answer:")
            .assert_has(&pbx.webhook_url)
            .assert_has("Save settings");
        // A bound extension stays listed even when the PBX cannot list them.
        assert!(ext_row(&down, "101").contains(&app.admin.user.name));
    }
}

#[tokio::test]
async fn an_extension_bound_to_one_user_is_not_offered_to_another() {
    for app in spawn_apps().await {
        let pbx = app.install_simulator().await;
        let ana = manager(&app, "Ana", Rights::manager_default(), "en").await;
        let bea = manager(&app, "Bea", Rights::manager_default(), "en").await;
        let b = Browser::admin(&app).await;
        let url = format!("/settings/telephony/{}", pbx.integration);
        let p = b.get(&url).await;
        // 101 is the admin's (install_simulator binds it): shown with an Unbind button.
        let r101 = ext_row(&p, "101");
        assert!(r101.contains(&app.admin.user.name) && r101.contains(">Unbind</button>"));
        assert!(!r101.contains("<select"), "{r101}");
        // The admin has an extension: not offered for 100.
        let r100 = ext_row(&p, "100");
        assert!(r100.contains(
            "<label class=\"visually-hidden\" for=\"bind-100\">User for extension 100</label>"
        ));
        assert!(r100.contains(&format!("<option value=\"{}\">Ana</option>", ana.id.0)));
        assert!(!r100.contains(&format!("value=\"{}\"", app.admin.user.id.0)));

        let ok = b
            .post_form(
                &format!("{url}/extensions"),
                &[("extension", "100"), ("user_id", &ana.id.0.to_string())],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let p = b.get(&format!("{url}?saved=ext")).await;
        p.assert_has("The extensions were saved.");
        let r100 = ext_row(&p, "100");
        assert!(r100.contains("Ana") && r100.contains(">Unbind</button>"));
        assert!(!r100.contains("<select"), "100 is taken: {r100}");
        // Ana has 100: 102 is offered to Bea only.
        let r102 = ext_row(&p, "102");
        assert!(r102.contains(&format!("<option value=\"{}\">Bea</option>", bea.id.0)));
        assert!(!r102.contains("Ana"), "{r102}");

        // Forcing it anyway is refused with a readable message.
        b.post_form(
            &format!("{url}/extensions"),
            &[("extension", "102"), ("user_id", &ana.id.0.to_string())],
        )
        .await
        .assert_status(422)
        .assert_has(
            "This extension already belongs to another user, or the user already has an extension.",
        );
        b.post_form(
            &format!("{url}/extensions"),
            &[("extension", "100"), ("user_id", &bea.id.0.to_string())],
        )
        .await
        .assert_status(422)
        .assert_has("id=\"ext-error\"");

        // Unbinding frees both.
        b.post_form(&format!("{url}/extensions/unbind"), &[("extension", "100")])
            .await
            .assert_status(303);
        let p = b.get(&url).await;
        let r100 = ext_row(&p, "100");
        assert!(r100.contains(&format!("<option value=\"{}\">Ana</option>", ana.id.0)));
        assert!(r100.contains(&format!("<option value=\"{}\">Bea</option>", bea.id.0)));
        let v = settings_of(&app, pbx.integration).await;
        assert_eq!(v.bindings.len(), 1, "only the admin's 101 is left");
    }
}

#[tokio::test]
async fn switches_and_the_allow_list_are_saved_and_read_back() {
    for app in spawn_apps().await {
        let pbx = app.install_simulator().await;
        let ana = manager(&app, "Ana", Rights::manager_default(), "en").await;
        let b = Browser::admin(&app).await;
        let url = format!("/settings/telephony/{}", pbx.integration);
        let p = b.get(&url).await;
        // Defaults: route to owner on, outgoing off.
        p.assert_has("name=\"route_to_owner\" type=\"checkbox\" value=\"1\" checked")
            .assert_has("name=\"auto_create_outgoing\" type=\"checkbox\" value=\"1\" >");

        let ana_id = ana.id.0.to_string();
        let form = |allow: &'static str| {
            vec![
                ("default_user_id", ana_id.clone()),
                ("auto_create", "contact_and_lead".to_string()),
                ("auto_create_at", "start".to_string()),
                ("auto_create_outgoing", "1".to_string()),
                ("return_timeout_s", "35".to_string()),
                ("missed_call_tasks", "1".to_string()),
                ("blacklist", "1".to_string()),
                ("ip_allowlist", allow.to_string()),
            ]
        };
        let fields = form("185.45.152.40/30\n 10.0.0.0/8 \n\n");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let ok = b.post_form(&url, &fields).await;
        assert_eq!(ok.status, 303, "{}", ok.body);

        let v = settings_of(&app, pbx.integration).await;
        let s = v.settings.unwrap();
        assert_eq!(s.auto_create, AutoCreate::ContactAndLead);
        assert_eq!(s.auto_create_at, AutoCreateAt::Start);
        assert!(s.auto_create_outgoing);
        assert!(!s.route_to_owner, "unticked");
        assert!(!s.show_caller_name, "unticked");
        assert!(s.missed_call_tasks && s.blacklist);
        assert_eq!(s.return_timeout_s, 35);
        assert_eq!(s.ip_allowlist, vec!["185.45.152.40/30", "10.0.0.0/8"]);
        assert_eq!(v.integration.default_user_id, Some(ana.id));
        assert_eq!(s.secret, pbx.sim.config().secret, "the secret is kept");

        let p = b.get(&format!("{url}?saved=settings")).await;
        p.assert_has("The settings were saved.")
            .assert_has("<option value=\"contact_and_lead\" selected>A contact and a lead</option>")
            .assert_has("<option value=\"start\" selected>When the call starts</option>")
            .assert_has("name=\"auto_create_outgoing\" type=\"checkbox\" value=\"1\" checked")
            .assert_has("name=\"route_to_owner\" type=\"checkbox\" value=\"1\" >")
            .assert_has("value=\"35\"")
            .assert_has("185.45.152.40/30\n10.0.0.0/8</textarea>")
            .assert_has(&format!(
                "<option value=\"{}\" selected>Ana</option>",
                ana.id.0
            ));

        // A bad network is refused beside the field, with what was typed; nothing saved.
        let fields = form("185.45.152.40/30\n10.0.0.0/33\nnot-a-net");
        let mut fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fields.retain(|(k, _)| *k != "auto_create_at");
        fields.push(("auto_create_at", "end"));
        let bad = b.post_form(&url, &fields).await;
        bad.assert_status(422)
            .assert_has("<div class=\"error\" id=\"s-allow-error\">Enter one network per line, such as 185.45.152.40/30.</div>")
            .assert_has("aria-invalid=\"true\" aria-describedby=\"s-allow-hint s-allow-error\"")
            .assert_has("10.0.0.0/33\nnot-a-net</textarea>")
            .assert_has("<option value=\"end\" selected>When the call ends</option>");
        let s = settings_of(&app, pbx.integration).await.settings.unwrap();
        assert_eq!(s.auto_create_at, AutoCreateAt::Start, "nothing saved");
        assert_eq!(s.ip_allowlist, vec!["185.45.152.40/30", "10.0.0.0/8"]);

        // Disabled and enabled again.
        b.post_form(&format!("{url}/active"), &[("active", "0")])
            .await
            .assert_status(303);
        assert!(
            !settings_of(&app, pbx.integration)
                .await
                .integration
                .is_active
        );
        b.get(&format!("{url}?saved=off"))
            .await
            .assert_has("<span class=\"badge bad\">Disabled</span>")
            .assert_has(">Enable</button>");
        b.get("/settings/telephony")
            .await
            .assert_has("<span class=\"badge bad\">Disabled</span>");
        b.post_form(&format!("{url}/active"), &[("active", "1")])
            .await
            .assert_status(303);
        assert!(
            settings_of(&app, pbx.integration)
                .await
                .integration
                .is_active
        );
    }
}

#[tokio::test]
async fn the_blacklist_takes_any_format_shows_it_international_and_removes() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        b.get("/settings/blacklist")
            .await
            .assert_status(200)
            .assert_has("No number is blacklisted.")
            .assert_has("<label for=\"b-phone\">")
            .assert_has("type=\"tel\"");
        // A local (Spanish) number.
        let ok = b
            .post_form(
                "/settings/blacklist",
                &[
                    ("phone", "(91) 123-45-67"),
                    ("note", "Robocalls <b>daily</b>"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let p = b.get("/settings/blacklist?done=added").await;
        p.assert_has("The number was added to the blacklist.")
            .assert_has("<td class=\"phone\">+34911234567</td>")
            .assert_has("Robocalls &#60;b&#62;daily&#60;/b&#62;")
            .assert_has(&format!("<td class=\"who\">{}</td>", app.admin.user.name));

        // The same number in another format: a readable duplicate message.
        b.post_form("/settings/blacklist", &[("phone", "+34 911 23 45 67")])
            .await
            .assert_status(422)
            .assert_has(
                "<div class=\"error\" id=\"b-phone-error\">This number is already on the blacklist.</div>",
            )
            .assert_has("value=\"+34 911 23 45 67\"");
        // Not a phone number: translated, beside the field.
        b.post_form("/settings/blacklist", &[("phone", "12")])
            .await
            .assert_status(422)
            .assert_has(
                "<div class=\"error\" id=\"b-phone-error\">This is not a phone number.</div>",
            );

        let entries = sb_service::telephony::blacklist_list(app.ctx(), &app.admin, 10, 0)
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        let id = entries[0].id;
        p.assert_has(&format!(
            "action=\"/settings/blacklist/{id}/delete\" class=\"inline\" data-confirm="
        ));
        let gone = b
            .post_form(&format!("/settings/blacklist/{id}/delete"), &[])
            .await;
        assert_eq!(gone.status, 303, "{}", gone.body);
        b.get("/settings/blacklist?done=removed")
            .await
            .assert_has("The number was removed from the blacklist.")
            .assert_lacks("+34911234567");
    }
}

#[tokio::test]
async fn the_blacklist_is_paginated() {
    for app in spawn_apps().await {
        for i in 0..51 {
            sb_service::telephony::blacklist_add(
                app.ctx(),
                &app.admin,
                &format!("+34 612 345 {i:03}"),
                "",
            )
            .await
            .unwrap();
            app.clock.advance(1_000);
        }
        let b = Browser::admin(&app).await;
        let p1 = b.get("/settings/blacklist").await;
        p1.assert_has("+34612345050")
            .assert_lacks("+34612345000</td>")
            .assert_has("href=\"/settings/blacklist?page=2\"");
        let p2 = b.get("/settings/blacklist?page=2").await;
        p2.assert_has("+34612345000")
            .assert_lacks("+34612345050")
            .assert_has("href=\"/settings/blacklist?page=1\"")
            .assert_lacks("?page=3");
    }
}

#[tokio::test]
async fn managers_get_neither_the_pages_nor_the_links() {
    for app in spawn_apps().await {
        let pbx = app.install_simulator().await;
        let m = manager(&app, "Mara", Rights::manager_default(), "en").await;
        let admin = Browser::admin(&app).await;
        admin
            .get("/")
            .await
            .assert_has("href=\"/settings/telephony\"")
            .assert_has("href=\"/settings/blacklist\"");
        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        b.get("/")
            .await
            .assert_lacks("href=\"/settings/telephony\"")
            .assert_lacks("href=\"/settings/blacklist\"");
        for path in [
            "/settings/telephony".to_string(),
            format!("/settings/telephony/{}", pbx.integration),
            "/settings/blacklist".to_string(),
        ] {
            b.get(&path).await.assert_status(403);
        }
        b.post_form("/settings/blacklist", &[("phone", "+34911234567")])
            .await
            .assert_status(403);
        b.post_form(
            &format!("/settings/telephony/{}/active", pbx.integration),
            &[("active", "0")],
        )
        .await
        .assert_status(403);
        b.post_form(
            &format!("/settings/telephony/{}/extensions", pbx.integration),
            &[("extension", "100"), ("user_id", &m.id.0.to_string())],
        )
        .await
        .assert_status(403);
        assert!(
            settings_of(&app, pbx.integration)
                .await
                .integration
                .is_active
        );
        assert!(
            sb_service::telephony::blacklist_list(app.ctx(), &app.admin, 10, 0)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// The switch the page uses is also in the API: PATCH `is_active`, alone or with settings.
#[tokio::test]
async fn the_api_enables_and_disables_an_integration() {
    for app in spawn_apps().await {
        let pbx = app.install_simulator().await;
        let url = format!("/api/v4/telephony/integrations/{}", pbx.integration);
        let r = app
            .call(
                reqwest::Method::PATCH,
                &url,
                Some(&app.admin_token.clone()),
                Some(json!({"is_active": false})),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json(r).await["is_active"], false);
        assert!(
            !settings_of(&app, pbx.integration)
                .await
                .integration
                .is_active
        );
        let r = app
            .call(
                reqwest::Method::PATCH,
                &url,
                Some(&app.admin_token.clone()),
                Some(json!({"is_active": true, "settings": {"ip_allowlist": ["10.0.0.0/40"]}})),
            )
            .await;
        assert_eq!(r.status(), 400, "a bad network refuses the whole change");
        assert!(
            !settings_of(&app, pbx.integration)
                .await
                .integration
                .is_active
        );
        let r = app
            .call(
                reqwest::Method::PATCH,
                &url,
                Some(&app.admin_token.clone()),
                Some(json!({"is_active": true, "settings": {"missed_call_tasks": false}})),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v = json(r).await;
        assert_eq!(v["is_active"], true);
        assert_eq!(v["settings"]["missed_call_tasks"], false);
    }
}

#[tokio::test]
async fn unreadable_settings_are_shown_and_fixed_by_saving_the_credentials_again() {
    for app in spawn_apps().await {
        let pbx = app.install_simulator().await;
        let id = pbx.integration;
        app.ctx()
            .db
            .execute_admin(&format!(
                "update integrations set settings = '{{\"key\": \"k\"}}' where id = {id}"
            ))
            .await
            .unwrap();
        let b = Browser::admin(&app).await;
        b.get("/settings/telephony")
            .await
            .assert_has("The stored settings of this integration cannot be read");
        let url = format!("/settings/telephony/{id}");
        let p = b.get(&url).await;
        p.assert_status(200)
            .assert_has("id=\"settings-alert\"")
            .assert_has("id=\"pbx-error\"")
            .assert_has(&pbx.webhook_url)
            // The credentials are open to be typed again.
            .assert_has("<details class=\"advanced\" open>");
        let cfg = pbx.sim.config().clone();
        let base = pbx.sim.base_url();
        let ok = b
            .post_form(
                &url,
                &[
                    ("auto_create", "contact"),
                    ("auto_create_at", "end"),
                    ("return_timeout_s", "20"),
                    ("key", &cfg.key),
                    ("secret", &cfg.secret),
                    ("base_url", &base),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        b.get(&url)
            .await
            .assert_lacks("id=\"settings-alert\"")
            .assert_lacks("id=\"pbx-error\"")
            .assert_has("€18.16");
    }
}
