//! Call statistics (`/calls/statistics`, `GET /api/v4/telephony/statistics`, the CSV
//! exports) from calls made through the PBX simulator: the figures per manager, a call
//! back clearing "missed, not called back", the page and the CSV holding the same
//! numbers, the export right, whose figures a manager sees, and periods read in the
//! account's time zone.

use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_pbxsim::{Scenario, ScenarioSpec};
use sb_testkit::pbx::Pbx;
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

/// One call through the simulator: `ext` rings (incoming) or dials (outgoing).
async fn call(pbx: &Pbx, app: &TestApp, s: Scenario, number: &str, ext: &str, talk: u32) {
    let mut sp = ScenarioSpec::new(s);
    sp.caller = number.to_string();
    sp.extensions = vec![ext.to_string()];
    sp.talk_seconds = talk;
    let report = pbx.sim.run_scenario(sp).await.unwrap();
    assert!(
        report.webhooks.iter().all(|w| w.status == Some(200)),
        "{:?}",
        report.events()
    );
    app.drain_jobs().await;
    // each call a second after the last, so "later" is well defined
    app.clock.advance(1_000);
}

async fn stats(app: &TestApp, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v4/telephony/statistics?{query}"))
        .await;
    assert_eq!(r.status(), 200, "{query}");
    json(r).await
}

fn manager_row(v: &Value, user: i64) -> &Value {
    v["_embedded"]["managers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == user)
        .unwrap_or_else(|| panic!("no row for {user} in {v}"))
}

async fn set_timezone(app: &TestApp, tz: &str) {
    app.ctx()
        .db
        .execute_admin(&format!("update accounts set timezone = '{tz}'"))
        .await
        .unwrap();
}

fn own_rights() -> Rights {
    let e = EntityRights {
        view: Scope::Own,
        add: Scope::Own,
        edit: Scope::Own,
        delete: Scope::Own,
        export: Scope::None,
    };
    Rights {
        leads: e,
        contacts: e,
        companies: e,
        tasks: e,
    }
}

#[tokio::test]
async fn figures_of_simulated_calls_in_the_api_the_page_and_the_csv() {
    for app in spawn_apps().await {
        set_timezone(&app, "UTC").await;
        let pbx = app.install_simulator().await;
        let admin = app.admin.user.id.0;
        let empty = stats(&app, "period=today").await;
        assert_eq!(empty["totals"]["incoming"], 0);
        let b = Browser::admin(&app).await;
        b.get("/calls/statistics")
            .await
            .assert_status(200)
            .assert_has("No calls in this period.")
            .assert_lacks("id=\"chart-days\"");

        call(
            &pbx,
            &app,
            Scenario::IncomingAnswered,
            "34600111222",
            "101",
            47,
        )
        .await;
        call(
            &pbx,
            &app,
            Scenario::IncomingMissed,
            "34655000111",
            "101",
            0,
        )
        .await;
        call(&pbx, &app, Scenario::Outgoing, "34677000222", "101", 30).await;

        let v = stats(&app, "period=today").await;
        let t = &v["totals"];
        assert_eq!(t["incoming"], 2, "{v}");
        assert_eq!(t["outgoing"], 1);
        assert_eq!(t["answered"], 2);
        assert_eq!(t["missed"], 1);
        assert_eq!(t["missed_not_called_back"], 1);
        assert_eq!(t["talk_time"], 77);
        assert_eq!(t["average_talk_time"], 39, "77 s over 2 answered calls");
        let row = manager_row(&v, admin);
        assert_eq!(row["incoming"], 2);
        assert_eq!(row["name"], app.admin.user.name.as_str());
        let today = v["days"].as_array().unwrap();
        assert_eq!(today.len(), 1);
        assert_eq!(
            (
                &today[0]["answered"],
                &today[0]["missed"],
                &today[0]["outgoing"]
            ),
            (&json!(1), &json!(1), &json!(1))
        );

        // Calling the missed number back clears it.
        call(&pbx, &app, Scenario::Outgoing, "34655000111", "101", 12).await;
        let v = stats(&app, "period=week").await;
        assert_eq!(v["totals"]["missed"], 1);
        assert_eq!(v["totals"]["missed_not_called_back"], 0, "{v}");
        assert_eq!(v["totals"]["outgoing"], 2);
        assert_eq!(v["totals"]["talk_time"], 89);
        assert_eq!(v["days"].as_array().unwrap().len(), 7);

        // The page shows the same figures, with its charts' data and the export links.
        let p = b.get("/calls/statistics?period=week").await;
        p.assert_status(200)
            .assert_has("id=\"chart-days\"")
            .assert_has("id=\"stats-data\"")
            .assert_has("href=\"/calls/statistics.csv?period=week\"")
            .assert_has("href=\"/calls/log.csv?period=week\"")
            .assert_has("<td class=\"num\" data-col=\"incoming\">2</td>")
            .assert_has("<td class=\"num\" data-col=\"outgoing\">2</td>")
            .assert_has("<td class=\"num\" data-col=\"not-called-back\">0</td>")
            .assert_has("<td class=\"num\" data-col=\"talk\">1:29</td>");

        // The table's CSV holds the same numbers.
        let csv = b.get("/calls/statistics.csv?period=week").await;
        csv.assert_status(200);
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        let cd = csv.headers["content-disposition"].to_str().unwrap();
        assert!(
            cd.starts_with("attachment; filename=\"call-statistics-"),
            "{cd}"
        );
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(
            lines[0],
            "Manager,Incoming,Outgoing,Answered,Missed,\"Missed, not called back\",Talk time (s),Average call (s),Average time to answer (s)"
        );
        let mine = lines
            .iter()
            .find(|l| l.starts_with(&format!("{},", app.admin.user.name)))
            .unwrap();
        assert!(
            mine.starts_with(&format!("{},2,2,3,1,0,89,30,", app.admin.user.name)),
            "{mine}"
        );
        assert!(lines.last().unwrap().starts_with("Total,2,2,3,1,0,89,30,"));

        // The log's CSV: one line per call, oldest first.
        let log = b.get("/calls/log.csv?period=week").await;
        log.assert_status(200);
        let cd = log.headers["content-disposition"].to_str().unwrap();
        assert!(cd.starts_with("attachment; filename=\"calls-"), "{cd}");
        let lines: Vec<&str> = log.body.lines().collect();
        assert_eq!(
            lines[0],
            "Time,Direction,Result,Manager,Number,Contact,Duration (s)"
        );
        assert_eq!(lines.len(), 5, "{}", log.body);
        assert!(lines[1].contains(",Incoming,Answered,"), "{}", lines[1]);
        assert!(lines[1].contains(",+34600111222,"), "{}", lines[1]);
        assert!(lines[1].ends_with(",47"));
        assert!(lines[2].contains(",Incoming,Missed,"), "{}", lines[2]);
        assert!(lines[4].contains(",Outgoing,Answered,"), "{}", lines[4]);
        assert!(lines[4].ends_with(",12"));
    }
}

#[tokio::test]
async fn export_needs_the_right_and_a_manager_sees_only_their_scope() {
    for app in spawn_apps().await {
        set_timezone(&app, "UTC").await;
        let pbx = app.install_simulator().await;
        let own = manager(&app, "Olga", own_rights(), "en").await;
        let all = manager(&app, "Andrés", Rights::manager_default(), "en").await;
        let r = app
            .call(
                Method::PUT,
                &format!(
                    "/api/v4/telephony/integrations/{}/extensions/102",
                    pbx.integration
                ),
                Some(&app.admin_token.clone()),
                Some(json!({"user_id": own.id.0})),
            )
            .await;
        assert_eq!(r.status(), 200);
        call(
            &pbx,
            &app,
            Scenario::IncomingAnswered,
            "34600111222",
            "101",
            20,
        )
        .await;
        call(
            &pbx,
            &app,
            Scenario::IncomingMissed,
            "34600333444",
            "102",
            0,
        )
        .await;
        call(
            &pbx,
            &app,
            Scenario::IncomingMissed,
            "34600333555",
            "102",
            0,
        )
        .await;

        // Olga (own rights) sees her row only, and no export.
        let b = Browser::sign_in(&app, "olga@example.test", PASSWORD).await;
        let p = b.get("/calls/statistics").await;
        p.assert_status(200)
            .assert_has("Olga")
            .assert_lacks(&app.admin.user.name)
            .assert_has("<td class=\"num\" data-col=\"missed\">2</td>")
            .assert_lacks("/calls/statistics.csv")
            .assert_lacks("/calls/log.csv");
        b.get("/calls/statistics.csv").await.assert_status(403);
        b.get("/calls/log.csv").await.assert_status(403);

        // Andrés (view all, no export) sees both managers' rows, still no export.
        let b = Browser::sign_in(&app, "andrés@example.test", PASSWORD).await;
        let p = b.get("/calls/statistics").await;
        p.assert_status(200)
            .assert_has("Olga")
            .assert_has(&app.admin.user.name)
            .assert_lacks("/calls/log.csv");
        b.get("/calls/log.csv?period=month")
            .await
            .assert_status(403);

        // A bad range is a message beside the field, not an error page.
        let p = b
            .get("/calls/statistics?period=range&from=2026-12-10&to=2026-12-01")
            .await;
        p.assert_status(200)
            .assert_has("The end date must not be before the start date.");
        let r = app.get("/api/v4/telephony/statistics?period=year").await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let r = app.get("/api/v4/telephony/statistics?from=100").await;
        assert_eq!(r.status(), 400);
        let _ = all;
    }
}

#[tokio::test]
async fn periods_follow_the_accounts_time_zone() {
    for app in spawn_apps().await {
        set_timezone(&app, "America/New_York").await;
        let pbx = app.install_simulator().await;
        // 2026-12-03 23:30 in New York is 2026-12-04 04:30 UTC.
        let at = 1_796_358_600_000_i64;
        app.clock.set(at);
        call(
            &pbx,
            &app,
            Scenario::IncomingMissed,
            "34655000111",
            "101",
            0,
        )
        .await;
        // The next morning, New York time (12:00 UTC on the 4th).
        app.clock.set(at + 7 * 3_600_000 + 30 * 60_000);
        let v = stats(&app, "period=today").await;
        assert_eq!(v["first_day"], "2026-12-04");
        assert_eq!(
            v["totals"]["missed"], 0,
            "the call was yesterday there: {v}"
        );
        // The local day of the call, as a range of seconds and as the page's dates.
        let day_start = at / 1000 - 23 * 3600 - 30 * 60;
        let v = stats(&app, &format!("from={day_start}&to={}", day_start + 86_400)).await;
        assert_eq!(v["totals"]["missed"], 1, "{v}");
        assert_eq!(v["days"][0]["date"], "2026-12-03");
        let b = Browser::admin(&app).await;
        let p = b
            .get("/calls/statistics?period=range&from=2026-12-03&to=2026-12-03")
            .await;
        p.assert_has("<td class=\"num\" data-col=\"missed\">1</td>");
        let p = b
            .get("/calls/statistics?period=range&from=2026-12-04&to=2026-12-04")
            .await;
        p.assert_has("No calls in this period.");
    }
}

#[tokio::test]
async fn group_rights_see_the_groups_managers_and_export_them() {
    for app in spawn_apps().await {
        set_timezone(&app, "UTC").await;
        let pbx = app.install_simulator().await;
        let sales = sb_service::users::create_group(app.ctx(), &app.admin, "Sales")
            .await
            .unwrap();
        let e = EntityRights {
            view: Scope::Group,
            add: Scope::Group,
            edit: Scope::Group,
            delete: Scope::Own,
            export: Scope::Group,
        };
        let group_rights = Rights {
            leads: e,
            contacts: e,
            companies: e,
            tasks: e,
        };
        let mut people = Vec::new();
        for (name, rights) in [("Gina", group_rights), ("Olga", own_rights())] {
            let u = sb_service::users::create_user(
                app.ctx(),
                &app.admin,
                sb_service::users::NewUser {
                    name: name.into(),
                    email: format!("{}@example.test", name.to_lowercase()),
                    password: Some(PASSWORD.into()),
                    role: sb_domain::entities::Role::Manager,
                    group_id: Some(sales.id),
                    rights: Some(rights),
                    lang: Some("en".into()),
                },
            )
            .await
            .unwrap();
            people.push(u);
        }
        let r = app
            .call(
                Method::PUT,
                &format!(
                    "/api/v4/telephony/integrations/{}/extensions/102",
                    pbx.integration
                ),
                Some(&app.admin_token.clone()),
                Some(json!({"user_id": people[1].id.0})),
            )
            .await;
        assert_eq!(r.status(), 200);
        call(
            &pbx,
            &app,
            Scenario::IncomingAnswered,
            "34600111222",
            "101",
            20,
        )
        .await;
        call(
            &pbx,
            &app,
            Scenario::IncomingAnswered,
            "34600333444",
            "102",
            33,
        )
        .await;

        let b = Browser::sign_in(&app, "gina@example.test", PASSWORD).await;
        b.get("/calls/statistics")
            .await
            .assert_status(200)
            .assert_has("Olga")
            .assert_has("Gina")
            .assert_lacks(&format!("<th scope=\"row\">{}</th>", app.admin.user.name))
            .assert_has("href=\"/calls/statistics.csv?period=today\"");
        let csv = b.get("/calls/statistics.csv").await;
        csv.assert_status(200);
        assert!(
            csv.body.contains("\r\nOlga,1,0,1,0,0,33,33,"),
            "{}",
            csv.body
        );
        assert!(
            csv.body.contains("\r\nTotal,1,0,1,0,0,33,33,"),
            "{}",
            csv.body
        );
        let log = b.get("/calls/log.csv").await;
        log.assert_status(200);
        assert_eq!(log.body.lines().count(), 2, "{}", log.body);
    }
}
