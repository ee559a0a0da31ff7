//! The card's feed (ui/notes.rs): notes, calls with their recordings, tasks and events in
//! order; adding, editing and pinning a note; the recording behind the session; rights.

use sb_domain::rights::{EntityRights, Scope};
use sb_domain::{EntityKind, Rights};
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec};
use sb_testkit::ui::{manager, Browser, PASSWORD};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::json;

/// Installs the PBX simulator as the app's Zadarma integration (extension 101 is the
/// admin's) and returns it, posting to the app's webhook.
pub async fn pbx(app: &TestApp) -> PbxSim {
    app.install_simulator().await.sim
}

/// An answered incoming call from `caller` (digits), its recording stored.
pub async fn recorded_call(app: &TestApp, sim: &PbxSim, caller: &str) {
    let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
    sp.caller = caller.into();
    let report = sim.run_scenario(sp).await.unwrap();
    assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
    app.drain_jobs().await;
    // The recording is fetched a little after the call.
    app.clock.advance(20_000);
    app.drain_jobs().await;
}

/// A contact with a phone, owned by `owner`; returns its id.
pub async fn contact(app: &TestApp, name: &str, phone: &str, owner: i64) -> i64 {
    let r = app.post("/api/v4/contacts", json!([{"name": name, "responsible_user_id": owner, "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone}]}]}])).await;
    assert_eq!(r.status(), 200);
    json(r).await["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap()
}

/// The id of the note on contact `cid` whose text is `text`.
async fn note_id(app: &TestApp, cid: i64, text: &str) -> i64 {
    let page = sb_service::notes::list_for(
        app.ctx(),
        &app.admin,
        EntityKind::Contacts,
        cid,
        sb_service::notes::ListParams {
            page: 1,
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    page.items
        .iter()
        .find(|n| n.params["text"] == text)
        .map(|n| n.id.0)
        .unwrap_or_else(|| panic!("no note {text:?}"))
}

#[track_caller]
fn pos(body: &str, text: &str) -> usize {
    body.find(text)
        .unwrap_or_else(|| panic!("{text:?} not in the feed:\n{body}"))
}

/// The `src` of the first `<audio>` of a page.
fn audio_src(body: &str) -> String {
    let i = pos(body, "<audio");
    let rest = &body[i..];
    let s = rest.find("src=\"").unwrap() + 5;
    rest[s..s + rest[s..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_feed_shows_notes_tasks_calls_and_events_newest_first_with_the_player() {
    for app in spawn_apps().await {
        let sim = pbx(&app).await;
        let admin = app.admin.user.id.0;
        let cid = contact(&app, "Lucía Fernández", "+34 600 777 888", admin).await;
        app.clock.advance(1_000);
        recorded_call(&app, &sim, "34600777888").await;
        app.clock.advance(1_000);
        let due = app.ctx().now() / 1000 + 86_400;
        let r = app
            .post(
                "/api/v4/tasks",
                json!([{"text": "Send the quote", "complete_till": due, "entity_type": "contacts", "entity_id": cid, "responsible_user_id": admin}]),
            )
            .await;
        assert_eq!(r.status(), 200);
        app.clock.advance(1_000);

        let b = Browser::admin(&app).await;
        // The empty form first: the page with the layout (the fallback without htmx).
        let full = b.get(&format!("/contacts/{cid}/feed")).await;
        full.assert_status(200)
            .assert_has("<h1>Lucía Fernández</h1>")
            .assert_has("id=\"site-nav\"")
            .assert_has("<label for=\"note-text\">");
        // Adding a note through htmx answers the refreshed feed, the note in it.
        let added = b
            .hx_post(
                &format!("/contacts/{cid}/notes"),
                &[("text", "Wants a quote for 20 seats")],
            )
            .await;
        added
            .assert_status(200)
            .assert_has("Wants a quote for 20 seats")
            .assert_lacks("<html");
        let feed = b.hx_get(&format!("/contacts/{cid}/feed")).await;
        let body = &feed.body;
        // Newest first: the note, the task, the call, the card's creation.
        let note = pos(body, "Wants a quote for 20 seats");
        let task = pos(body, "Send the quote");
        let call = pos(body, "Incoming call");
        let created = pos(body, "Contact created");
        assert!(
            note < task && task < call && call < created,
            "order:\n{body}"
        );
        feed.assert_has("Answered")
            .assert_has("0:47")
            .assert_has("+34600777888")
            .assert_has("due ")
            .assert_has(&app.admin.user.name);
        // The call's event only announced the note: it is not shown twice.
        assert_eq!(body.matches("Incoming call").count(), 1, "{body}");

        // The player plays the recording behind the session.
        let src = audio_src(body);
        assert!(
            src.starts_with("/calls/") && src.ends_with("/recording"),
            "{src}"
        );
        feed.assert_has("<audio class=\"recording\" controls preload=\"none\"");
        let audio = b.get(&src).await;
        audio.assert_status(200);
        assert_eq!(audio.headers["content-type"], "audio/wav");
        assert!(audio.headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private"));
        assert_eq!(audio.headers["accept-ranges"], "bytes");
        // A seek asks for a range.
        let r = reqwest::Client::new()
            .get(format!("{}{src}", app.url))
            .header(
                "cookie",
                format!("sb_session={}", b.cookie("sb_session").unwrap()),
            )
            .header("range", "bytes=0-3")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206);
        assert!(r.headers()["content-range"]
            .to_str()
            .unwrap()
            .starts_with("bytes 0-3/"));
        assert_eq!(&r.bytes().await.unwrap()[..], b"RIFF");
        // Signed out, there is no audio.
        let anon = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{src}", app.url))
            .send()
            .await
            .unwrap();
        assert_ne!(anon.status(), 200);
        drop(sim);
    }
}

#[tokio::test]
async fn notes_are_added_edited_and_pinned_first() {
    for app in spawn_apps().await {
        let cid = contact(&app, "Pedro Alves", "+34 600 222 999", app.admin.user.id.0).await;
        let b = Browser::admin(&app).await;
        b.get(&format!("/contacts/{cid}/feed"))
            .await
            .assert_status(200);
        // A plain form post (no JavaScript) goes back to the feed's page.
        let r = b
            .post_form(&format!("/contacts/{cid}/notes"), &[("text", "First note")])
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            r.location.as_deref(),
            Some(&*format!("/contacts/{cid}/feed"))
        );
        app.clock.advance(1_000);
        b.hx_post(
            &format!("/contacts/{cid}/notes"),
            &[("text", "Second note")],
        )
        .await
        .assert_status(200);
        let first = note_id(&app, cid, "First note").await;
        let feed = b.hx_get(&format!("/contacts/{cid}/feed")).await;
        assert!(pos(&feed.body, "Second note") < pos(&feed.body, "First note"));
        feed.assert_lacks("badge warn");

        // Pinning puts the older note first, with its badge; unpinning undoes it.
        let pinned = b
            .hx_post(&format!("/contacts/{cid}/notes/{first}/pin"), &[])
            .await;
        pinned.assert_status(200).assert_has("Pinned");
        assert!(pos(&pinned.body, "First note") < pos(&pinned.body, "Second note"));
        assert!(pinned
            .body
            .contains(&format!("/contacts/{cid}/notes/{first}/unpin")));
        let unpinned = b
            .hx_post(&format!("/contacts/{cid}/notes/{first}/unpin"), &[])
            .await;
        assert!(pos(&unpinned.body, "Second note") < pos(&unpinned.body, "First note"));

        // Editing: the inline form holds the text; saving answers the feed with the new text.
        let form = b
            .hx_get(&format!("/contacts/{cid}/notes/{first}/edit"))
            .await;
        form.assert_status(200)
            .assert_has(&format!("<label for=\"note-edit-{first}\">"))
            .assert_has(">First note</textarea>");
        let saved = b
            .hx_post(
                &format!("/contacts/{cid}/notes/{first}"),
                &[("text", "First note, corrected")],
            )
            .await;
        saved.assert_status(200).assert_has("First note, corrected");
        let n = sb_service::notes::get(app.ctx(), &app.admin, EntityKind::Contacts, cid, first)
            .await
            .unwrap();
        assert_eq!(n.params["text"], "First note, corrected");

        // An empty note is refused beside the field, in the user's language.
        let refused = b
            .hx_post(&format!("/contacts/{cid}/notes"), &[("text", "  ")])
            .await;
        refused
            .assert_status(200)
            .assert_has("aria-invalid=\"true\"")
            .assert_has("id=\"note-text-error\"")
            .assert_has("This field is required.");
        // Without htmx, the refusal is a 422 page with the same message.
        let refused = b
            .post_form(&format!("/contacts/{cid}/notes"), &[("text", "")])
            .await;
        refused
            .assert_status(422)
            .assert_has("This field is required.");

        // Leads and companies have the same feed.
        let r = app
            .post("/api/v4/leads", json!([{"name": "Office chairs"}]))
            .await;
        let lead = json(r).await["_embedded"]["leads"][0]["id"]
            .as_i64()
            .unwrap();
        b.hx_post(&format!("/leads/{lead}/notes"), &[("text", "Lead note")])
            .await
            .assert_status(200)
            .assert_has("Lead note");
        b.get(&format!("/leads/{lead}/feed"))
            .await
            .assert_status(200)
            .assert_has("<h1>Office chairs</h1>")
            .assert_has("Lead created");
        let r = app
            .post("/api/v4/companies", json!([{"name": "Acme"}]))
            .await;
        let company = json(r).await["_embedded"]["companies"][0]["id"]
            .as_i64()
            .unwrap();
        b.get(&format!("/companies/{company}/feed"))
            .await
            .assert_status(200)
            .assert_has("Company created");
        // A long feed pages: "Show older" loads the next items only, to append them.
        let many: Vec<sb_service::notes::NoteInput> = (0..60)
            .map(|i| sb_service::notes::NoteInput {
                note_type: Some("common".into()),
                params: Some(json!({ "text": format!("Bulk note {i:02}") })),
                ..Default::default()
            })
            .collect();
        sb_service::notes::create(
            app.ctx(),
            &app.admin,
            EntityKind::Companies,
            Some(company),
            many,
        )
        .await
        .unwrap();
        let first_page = b.hx_get(&format!("/companies/{company}/feed")).await;
        first_page.assert_has(&format!(
            "hx-get=\"/companies/{company}/feed?page=2&amp;part=items\""
        ));
        assert_eq!(first_page.body.matches("class=\"feed-note").count(), 50);
        let older = b
            .hx_get(&format!("/companies/{company}/feed?page=2&part=items"))
            .await;
        older
            .assert_status(200)
            .assert_lacks("id=\"feed-panel\"")
            .assert_lacks("page=3")
            .assert_has("Company created");
        assert_eq!(older.body.matches("class=\"feed-note").count(), 10);
        // Unknown ids are the 404 page.
        b.get("/contacts/999999/feed").await.assert_status(404);
    }
}

fn own_rights() -> Rights {
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
async fn a_manager_with_scope_own_gets_404_for_a_colleagues_feed_and_recording() {
    for app in spawn_apps().await {
        let sim = pbx(&app).await;
        let theirs = contact(
            &app,
            "Colleague's client",
            "+34 600 555 111",
            app.admin.user.id.0,
        )
        .await;
        recorded_call(&app, &sim, "34600555111").await;
        let admin = Browser::admin(&app).await;
        let feed = admin.hx_get(&format!("/contacts/{theirs}/feed")).await;
        let src = audio_src(&feed.body);
        admin.get(&src).await.assert_status(200);

        let m = manager(&app, "Olga", own_rights(), "en").await;
        let mine = contact(&app, "Olga's client", "+34 600 555 222", m.id.0).await;
        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        b.get(&format!("/contacts/{theirs}/feed"))
            .await
            .assert_status(404)
            .assert_lacks("Colleague");
        b.hx_get(&format!("/contacts/{theirs}/feed"))
            .await
            .assert_status(404);
        b.get(&src).await.assert_status(404);
        let unknown = src.replace("/calls/", "/calls/9");
        b.get(&unknown).await.assert_status(404);
        b.hx_post(&format!("/contacts/{theirs}/notes"), &[("text", "sneaky")])
            .await
            .assert_status(404);
        let their_note = note_id_any(&app, theirs).await;
        b.hx_post(&format!("/contacts/{theirs}/notes/{their_note}/pin"), &[])
            .await
            .assert_status(404);
        // Their own card's feed works, with the form.
        b.get(&format!("/contacts/{mine}/feed"))
            .await
            .assert_status(200)
            .assert_has("<label for=\"note-text\">");
        drop(sim);
    }
}

async fn note_id_any(app: &TestApp, cid: i64) -> i64 {
    let mut c = app.ctx().db.conn().await.unwrap();
    sb_store::notes::list_for_entity(&mut c, app.account().id, EntityKind::Contacts, cid, 10, 0)
        .await
        .unwrap()[0]
        .id
        .0
}

/// Whether `body` shows `text` as text: escaped the way askama writes it (`&#60;` for
/// `<`, `&#34;` for `"`) or with the named entities.
#[track_caller]
fn shows_as_text(body: &str, text: &str) {
    let numeric = text
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    let named = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(
        body.contains(&numeric) || body.contains(&named),
        "{text:?} not shown as text:\n{body}"
    );
    assert!(!body.contains(text), "{text:?} raw in the page:\n{body}");
}

#[tokio::test]
async fn hostile_note_text_is_shown_as_text() {
    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "\"><img src=x onerror=alert(1)>";
    for app in spawn_apps().await {
        let cid = contact(&app, SCRIPT, "+34 600 888 111", app.admin.user.id.0).await;
        let b = Browser::admin(&app).await;
        let page = b.get(&format!("/contacts/{cid}/feed")).await;
        page.assert_status(200);
        shows_as_text(&page.body, SCRIPT);
        for text in [SCRIPT, IMG] {
            b.hx_post(&format!("/contacts/{cid}/notes"), &[("text", text)])
                .await
                .assert_status(200);
        }
        let feed = b.hx_get(&format!("/contacts/{cid}/feed")).await;
        shows_as_text(&feed.body, SCRIPT);
        shows_as_text(&feed.body, IMG);
        let img = note_id(&app, cid, IMG).await;
        let form = b.hx_get(&format!("/contacts/{cid}/notes/{img}/edit")).await;
        shows_as_text(&form.body, IMG);
    }
}
