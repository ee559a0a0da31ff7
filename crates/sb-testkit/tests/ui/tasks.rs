//! Tasks and the dashboard as a browser uses them: grouping by the account's day, the
//! create form's errors, completing with a result (a note on the card), the card's tasks
//! fragment, rights, escaping; the dashboard's tasks, missed calls and stages.

use reqwest::Method;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_service::tasks::TaskInput;
use sb_testkit::ui::{manager, Browser};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};

/// 2030-03-12 12:00 UTC (13:00 in the account's Europe/Madrid): far from midnight, so
/// "today" is the same day in the zone whatever the hour offsets below.
const NOON: i64 = 1_899_547_200_000;
const HOUR: i64 = 3_600_000;

async fn contact(app: &TestApp, token: &str, name: &str) -> i64 {
    let r = app
        .call(
            Method::POST,
            "/api/v4/contacts",
            Some(token),
            Some(json!([{ "name": name }])),
        )
        .await;
    assert_eq!(r.status(), 200, "contact created");
    json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap()
}

async fn task(app: &TestApp, text: &str, due_ms: i64, entity: Option<(&str, i64)>) -> i64 {
    let refs = sb_service::tasks::create(
        app.ctx(),
        &app.admin,
        vec![TaskInput {
            text: Some(text.into()),
            complete_till: Some(due_ms / 1000),
            entity_type: entity.map(|e| e.0.to_string()),
            entity_id: entity.map(|e| e.1),
            ..Default::default()
        }],
    )
    .await
    .expect("task created");
    refs[0].id
}

/// Where `needle` is in the page (fails the test when absent).
#[track_caller]
fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page:\n{body}"))
}

#[tokio::test]
async fn my_tasks_are_grouped_overdue_today_and_later_in_the_accounts_day() {
    for app in spawn_apps().await {
        app.clock.set(NOON);
        task(&app, "Overdue call", NOON - 2 * HOUR, None).await;
        task(&app, "This afternoon", NOON + 3 * HOUR, None).await;
        task(&app, "Next week", NOON + 7 * 24 * HOUR, None).await;
        let b = Browser::admin(&app).await;
        let p = b.get("/tasks").await;
        p.assert_status(200);
        let body = &p.body;
        let (overdue, today, later) = (
            at(body, "id=\"tasks-overdue\""),
            at(body, "id=\"tasks-today\""),
            at(body, "id=\"tasks-later\""),
        );
        let (a, t, n) = (
            at(body, "Overdue call"),
            at(body, "This afternoon"),
            at(body, "Next week"),
        );
        assert!(overdue < a && a < today, "overdue task under Overdue");
        assert!(today < t && t < later, "today's task under Today");
        assert!(later < n, "next week's task under Later");

        // An hour before midnight in Madrid (22:00 UTC) "this afternoon" has passed, and
        // a task at 23:30 Madrid time is still today.
        app.clock.set(NOON + 10 * HOUR);
        task(&app, "Late tonight", NOON + 10 * HOUR + HOUR / 2, None).await;
        let body = b.get("/tasks").await.body;
        let today = at(&body, "id=\"tasks-today\"");
        let later = at(&body, "id=\"tasks-later\"");
        assert!(at(&body, "This afternoon") < today, "now overdue");
        let late = at(&body, "Late tonight");
        assert!(today < late && late < later, "still today in the zone");

        // Completed tasks are another view.
        let done = b.get("/tasks?status=done").await;
        done.assert_status(200)
            .assert_lacks("Overdue call")
            .assert_has("No completed tasks yet.");
    }
}

#[tokio::test]
async fn a_task_without_a_deadline_is_refused_beside_the_field() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        b.get("/tasks").await.assert_status(200);
        let me = app.admin.user.id.0.to_string();
        let p = b
            .post_form(
                "/tasks",
                &[
                    ("text", "Send the contract"),
                    ("task_type_id", "1"),
                    ("responsible_user_id", &me),
                    ("complete_till", ""),
                ],
            )
            .await;
        p.assert_status(422);
        // The message sits beside the deadline, which is marked invalid; what was typed stays.
        let field = &p.body[at(&p.body, "id=\"task-deadline\"")..];
        let input_end = field.find('>').unwrap();
        assert!(field[..input_end].contains("aria-invalid=\"true\""));
        assert!(field[..input_end].contains("aria-describedby=\"task-deadline-error\""));
        p.assert_has(
            "<div class=\"error\" id=\"task-deadline-error\">This field is required.</div>",
        )
        .assert_has("Send the contract</textarea>");
        // A deadline that is no date is refused too, and nothing was created.
        b.post_form(
            "/tasks",
            &[
                ("text", "Send the contract"),
                ("responsible_user_id", &me),
                ("complete_till", "next tuesday"),
            ],
        )
        .await
        .assert_status(422)
        .assert_has("id=\"task-deadline-error\"");
        let all = sb_service::tasks::list(app.ctx(), &app.admin, Default::default())
            .await
            .unwrap();
        assert!(all.items.is_empty());
        // No text: the error is on the text.
        b.post_form(
            "/tasks",
            &[
                ("text", " "),
                ("responsible_user_id", &me),
                ("complete_till", "2030-03-12T15:00"),
            ],
        )
        .await
        .assert_status(422)
        .assert_has("id=\"task-text-error\"");
    }
}

#[tokio::test]
async fn a_task_is_created_from_the_form_and_completed_with_a_result_that_lands_on_the_card() {
    for app in spawn_apps().await {
        app.clock.set(NOON);
        let t = app.admin_token.clone();
        let ana = contact(&app, &t, "Ana García").await;
        let b = Browser::admin(&app).await;
        // The card's "add a task" link prefills the entity.
        b.get(&format!("/tasks?entity=contacts&id={ana}"))
            .await
            .assert_status(200)
            .assert_has("Ana García")
            .assert_has(&format!("name=\"entity_id\" value=\"{ana}\""));
        let me = app.admin.user.id.0.to_string();
        let created = b
            .post_form(
                "/tasks",
                &[
                    ("text", "Call Ana about the offer"),
                    ("task_type_id", "1"),
                    ("responsible_user_id", &me),
                    ("complete_till", "2030-03-12T16:30"),
                    ("entity_type", "contacts"),
                    ("entity_id", &ana.to_string()),
                ],
            )
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        assert_eq!(created.location.as_deref(), Some("/tasks"));
        let list = sb_service::tasks::list(app.ctx(), &app.admin, Default::default())
            .await
            .unwrap();
        let task = &list.items[0];
        assert_eq!(task.entity_id, Some(ana));
        // 16:30 in Madrid is 15:30 UTC that day.
        assert_eq!(task.complete_till, NOON + 3 * HOUR + HOUR / 2);
        let page = b.get("/tasks").await;
        page.assert_has("Call Ana about the offer")
            .assert_has(&format!("href=\"/contacts/{ana}\""));

        let done = b
            .post_form(
                &format!("/tasks/{}/complete", task.id.0),
                &[
                    ("result", "Sent the offer, she calls back Friday"),
                    ("back", "/tasks"),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let notes = json(app.get(&format!("/api/v4/contacts/{ana}/notes")).await).await;
        let texts: Vec<&Value> = notes["_embedded"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["params"]["text"])
            .collect();
        assert_eq!(texts, vec!["Sent the offer, she calls back Friday"]);
        b.get("/tasks")
            .await
            .assert_lacks("Call Ana about the offer");
        b.get("/tasks?status=done")
            .await
            .assert_has("Call Ana about the offer")
            .assert_has("Sent the offer, she calls back Friday");
        // An unknown task is the 404 page.
        b.post_form("/tasks/123456789/complete", &[("result", "x")])
            .await
            .assert_status(404);
    }
}

fn own_only() -> Rights {
    let own = EntityRights {
        view: Scope::Own,
        add: Scope::All,
        edit: Scope::Own,
        delete: Scope::Own,
        export: Scope::None,
    };
    Rights {
        leads: own,
        contacts: own,
        companies: own,
        tasks: own,
    }
}

#[tokio::test]
async fn the_cards_tasks_fragment_lists_creates_and_completes_within_rights() {
    for app in spawn_apps().await {
        app.clock.set(NOON);
        let t = app.admin_token.clone();
        let hostile = contact(&app, &t, "<script>alert(1)</script>").await;
        task(
            &app,
            "\"><img src=x onerror=alert(1)>",
            NOON + HOUR,
            Some(("contacts", hostile)),
        )
        .await;
        let b = Browser::admin(&app).await;
        b.get("/tasks").await;
        let frag = b.hx_get(&format!("/tasks/for/contacts/{hostile}")).await;
        frag.assert_status(200)
            .assert_has("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;")
            .assert_lacks("<img src=x")
            .assert_lacks("<html");
        // Created through the fragment's form (htmx): the answer is the fragment again.
        let me = app.admin.user.id.0.to_string();
        let p = b
            .hx_post(
                &format!("/tasks/for/contacts/{hostile}"),
                &[
                    ("text", "Second step"),
                    ("responsible_user_id", &me),
                    ("complete_till", "2030-03-13T10:00"),
                ],
            )
            .await;
        p.assert_status(200)
            .assert_has("Second step")
            .assert_has(&format!("id=\"card-tasks-contacts-{hostile}\""));
        // A refused one shows its error inside the fragment.
        b.hx_post(
            &format!("/tasks/for/contacts/{hostile}"),
            &[("text", "No date"), ("responsible_user_id", &me)],
        )
        .await
        .assert_status(200)
        .assert_has("id=\"card-task-deadline-error\"");
        // The page's tasks list escapes the hostile text too, and links the contact by name.
        b.get("/tasks")
            .await
            .assert_has("&#60;script&#62;alert(1)&#60;/script&#62;")
            .assert_lacks("<script>alert(1)</script>");

        // A manager who sees only their own contacts: a colleague's card's tasks are
        // the same 404 as an unknown card's.
        manager(&app, "Olga", own_only(), "en").await;
        let olga = Browser::sign_in(&app, "olga@example.test", sb_testkit::ui::PASSWORD).await;
        olga.get(&format!("/tasks/for/contacts/{hostile}"))
            .await
            .assert_status(404);
        olga.get("/tasks/for/contacts/987654321")
            .await
            .assert_status(404);
        olga.get("/tasks/for/nonsense/1").await.assert_status(404);
        // Nor can she complete the admin's task, nor does she get the responsible filter.
        let admins = sb_service::tasks::list(app.ctx(), &app.admin, Default::default())
            .await
            .unwrap();
        let mine = olga.get("/tasks").await;
        mine.assert_status(200)
            .assert_lacks("Second step")
            .assert_lacks("id=\"f-responsible\"");
        olga.post_form(
            &format!("/tasks/{}/complete", admins.items[0].id.0),
            &[("result", "not mine")],
        )
        .await
        .assert_status(404);
    }
}

#[tokio::test]
async fn the_dashboard_shows_todays_and_overdue_tasks_missed_calls_and_stages() {
    for app in spawn_apps().await {
        app.clock.set(NOON);
        let b = Browser::admin(&app).await;
        // Empty states first.
        b.get("/")
            .await
            .assert_status(200)
            .assert_has("No tasks due today and none overdue.")
            .assert_has("No missed calls.")
            .assert_has("No leads in this pipeline yet.");

        task(&app, "Due this afternoon", NOON + 2 * HOUR, None).await;
        task(&app, "Call from yesterday", NOON - 20 * HOUR, None).await;
        task(&app, "Next month", NOON + 30 * 24 * HOUR, None).await;
        let t = app.admin_token.clone();
        let ana = contact(&app, &t, "Ana Missed").await;
        let _ = app
            .call(
                Method::PATCH,
                &format!("/api/v4/contacts/{ana}"),
                Some(&t),
                Some(json!({"custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+34 600 111 222"}]}]})),
            )
            .await;
        let me = app.admin.user.id.0;
        let r = app
            .post(
                "/api/v4/calls",
                json!([
                    {"direction": "inbound", "duration": 0, "source": "pbx", "phone": "+34600111222", "uniq": "m1", "call_status": 6, "responsible_user_id": me},
                    {"direction": "outbound", "duration": 95, "source": "pbx", "phone": "+34600111222", "uniq": "o1", "call_status": 4, "responsible_user_id": me}
                ]),
            )
            .await;
        assert_eq!(r.status(), 200, "calls logged");
        let r = app
            .post(
                "/api/v4/leads",
                json!([{"name": "Big deal", "price": 150000}, {"name": "Small deal", "price": 2500}]),
            )
            .await;
        assert_eq!(r.status(), 200);

        let p = b.get("/").await;
        p.assert_status(200)
            .assert_has("Due this afternoon")
            .assert_has("Call from yesterday")
            .assert_lacks("Next month");
        let missed = &p.body[at(&p.body, "id=\"dash-missed\"")..at(&p.body, "id=\"dash-calls\"")];
        assert!(missed.contains("+34600111222"), "{missed}");
        assert!(
            missed.contains(&format!("href=\"/contacts/{ana}\"")),
            "{missed}"
        );
        assert!(
            !missed.contains("1:35"),
            "the answered outbound call is not missed"
        );
        let recent = &p.body[at(&p.body, "id=\"dash-calls\"")..at(&p.body, "id=\"dash-stages\"")];
        assert!(
            recent.contains("Outgoing") && recent.contains("1:35"),
            "{recent}"
        );
        assert!(
            recent.contains("not answered"),
            "the missed one is there too: {recent}"
        );
        let stages = &p.body[at(&p.body, "id=\"dash-stages\"")..];
        assert!(
            stages.contains("data-w=\"20\""),
            "the fullest stage's bar: {stages}"
        );
        assert!(
            stages.contains("€152,500"),
            "the sum in whole euros: {stages}"
        );

        // In the user's language.
        sb_service::sessions::set_lang(app.ctx(), &app.admin, "es")
            .await
            .unwrap();
        b.get("/")
            .await
            .assert_has("Llamadas perdidas")
            .assert_has("Mis tareas");
    }
}
