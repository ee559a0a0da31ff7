//! The tenancy and rights matrix: every route of the application (read from the router
//! itself by `sb_web::route_table`, so a new route without a row here fails the test)
//! with who may use it, tried three ways on SQLite and PostgreSQL:
//!
//! 1. **Tenancy.** Account A's admin sends each request with account B's ids (in the
//!    path and in the body) and again with ids nobody has: the two answers must be the
//!    same (status and body, the ids themselves masked), nothing in the database may
//!    change, and no answer may show anything of B's.
//! 2. **Rights.** Managers of A whose rights are `none`, `own` and `group` for every
//!    entity (and `all`, for the admin-only rows) send each request with ids of the
//!    admin's records: each answer is a refusal (403/404) or the same as for an unknown
//!    id, nothing is written, and nothing of the admin's records shows.
//! 3. **Controls.** The admin sends each request with A's own ids and a valid body and
//!    must succeed, so the refusals above are the rights' doing, not a broken request.
//!
//! Rows: `METHOD PATH GATE [BODY]`; GATE is `public`, `self` (acts on the caller's own
//! session or profile only), `signed` (any user of the account), `admin`, or
//! `ACTION:ENTITY` (the right that governs it); BODY is JSON for
//! the API and a urlencoded form for pages, with `$kind` placeholders; a trailing
//! `! reason` skips the control, with the reason. A row starting `* ` stands for one
//! row per card kind (contacts, companies, leads) and `** ` for the contact and company
//! pages: `@` is the kind, `$SELF` its record, `$OTHER` / `OTHERS` the kind it links to.

use reqwest::Method;
use sb_domain::entities::Role;
use sb_domain::rights::EntityRights;
use sb_domain::{Rights, Scope};
use sb_service::users::NewUser;
use sb_testkit::ui::{Browser, PASSWORD};
use sb_testkit::{json, spawn_apps, TestApp};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const ROWS: &str = r#"
* GET /api/v4/@ view:@
* POST /api/v4/@ add:@ [{"name": "New one"}]
* PATCH /api/v4/@ edit:@ [{"id": $SELF, "name": "Renamed"}]
* GET /api/v4/@/{id} view:@
* PATCH /api/v4/@/{id} edit:@ {"name": "Renamed"}
* GET /api/v4/@/{id}/feed view:@
* GET /api/v4/@/links?filter[entity_id]=$SELF view:@
* GET /api/v4/@/{id}/links view:@
* POST /api/v4/@/link edit:@ [{"entity_id": $SELF, "to_entity_id": $OTHER, "to_entity_type": "OTHERS"}]
* POST /api/v4/@/unlink edit:@ [{"entity_id": $SELF, "to_entity_id": $OTHER, "to_entity_type": "OTHERS"}]
* POST /api/v4/@/{id}/link edit:@ [{"to_entity_id": $OTHER, "to_entity_type": "OTHERS"}]
* POST /api/v4/@/{id}/unlink edit:@ [{"to_entity_id": $OTHER, "to_entity_type": "OTHERS"}]
* GET /api/v4/@/notes view:@
* POST /api/v4/@/notes edit:@ [{"entity_id": $SELF, "note_type": "common", "params": {"text": "n"}}]
* PATCH /api/v4/@/notes edit:@ [{"id": $@_note, "entity_id": $SELF, "note_type": "common", "params": {"text": "edited"}}]
* GET /api/v4/@/{id}/notes view:@
* POST /api/v4/@/{id}/notes edit:@ [{"note_type": "common", "params": {"text": "n"}}]
* PATCH /api/v4/@/{id}/notes edit:@ [{"id": $@_note, "note_type": "common", "params": {"text": "edited"}}]
* GET /api/v4/@/{id}/notes/{note_id} view:@
* PATCH /api/v4/@/{id}/notes/{note_id} edit:@ {"note_type": "common", "params": {"text": "edited"}}
* POST /api/v4/@/{id}/notes/{note_id}/pin edit:@
* POST /api/v4/@/{id}/notes/{note_id}/unpin edit:@
* GET /api/v4/@/tags signed
* POST /api/v4/@/tags signed [{"name": "hot"}]
* GET /api/v4/@/custom_fields signed
* POST /api/v4/@/custom_fields admin [{"name": "Extra", "type": "text"}]
* GET /api/v4/@/custom_fields/{id} signed
* DELETE /api/v4/@/custom_fields/{id} admin

GET /health public
GET /ready public
GET /metrics public
GET /login public
POST /login public
GET /assets/{hash}/{name} public
GET /api/v4/openapi.json public
POST /oauth2/access_token public
GET /hooks/{provider}/{token} public
POST /hooks/{provider}/{token} public

GET /api/v4/account signed
GET /api/v4/users signed
GET /api/v4/users/{id} signed
POST /api/v4/users admin [{"name": "Newbie", "email": "newbie@example.test"}]
GET /api/v4/api_tokens signed
POST /api/v4/api_tokens admin {"name": "integration", "user_id": $user}
DELETE /api/v4/api_tokens/{jti} admin
POST /api/v4/oauth_clients admin {"name": "Widget", "redirect_uri": "https://widget.example/cb"}



POST /api/v4/leads/complex add:leads [{"name": "Complex", "_embedded": {"contacts": [{"name": "Complex contact"}]}}]
GET /api/v4/leads/pipelines signed
POST /api/v4/leads/pipelines admin [{"name": "New pipeline", "_embedded": {"statuses": [{"name": "First"}]}}]
GET /api/v4/leads/pipelines/{id} signed
PATCH /api/v4/leads/pipelines/{id} admin {"name": "Renamed"}
DELETE /api/v4/leads/pipelines/{id} admin
GET /api/v4/leads/pipelines/{id}/statuses signed
POST /api/v4/leads/pipelines/{id}/statuses admin [{"name": "Review"}]
GET /api/v4/leads/pipelines/{id}/statuses/{status_id} signed
PATCH /api/v4/leads/pipelines/{id}/statuses/{status_id} admin {"name": "Renamed"}
DELETE /api/v4/leads/pipelines/{id}/statuses/{status_id} admin

GET /api/v4/tasks view:tasks
POST /api/v4/tasks add:tasks [{"text": "Call back", "complete_till": 4102444800, "entity_id": $lead, "entity_type": "leads"}]
PATCH /api/v4/tasks edit:tasks [{"id": $task, "text": "Edited"}]
GET /api/v4/tasks/{id} view:tasks
PATCH /api/v4/tasks/{id} edit:tasks {"text": "Edited"}
GET /api/v4/tasks/types signed
POST /api/v4/tasks/types admin [{"name": "Visit"}]

GET /api/v4/catalogs signed
POST /api/v4/catalogs admin [{"name": "Products"}]
GET /api/v4/catalogs/{id} signed
GET /api/v4/catalogs/{id}/custom_fields signed
POST /api/v4/catalogs/{id}/custom_fields admin [{"name": "SKU", "type": "text"}]
GET /api/v4/catalogs/{id}/elements signed
POST /api/v4/catalogs/{id}/elements signed [{"name": "Headset"}]
PATCH /api/v4/catalogs/{id}/elements signed [{"id": $element, "name": "Renamed"}]
GET /api/v4/catalogs/{id}/elements/{element_id} signed

GET /api/v4/events signed
GET /api/v4/events/types signed
GET /api/v4/events/{id} view:leads

GET /api/v4/telephony/integrations admin
POST /api/v4/telephony/integrations admin {"key": "k", "secret": "s", "name": "Second PBX"} ! installing checks the key against a PBX; the admin's PBX is the simulator already installed
GET /api/v4/telephony/integrations/{id} admin
PATCH /api/v4/telephony/integrations/{id} admin {"name": "Renamed PBX"}
GET /api/v4/telephony/integrations/{id}/pbx admin
PUT /api/v4/telephony/integrations/{id}/extensions/{ext} admin {"user_id": $user}
DELETE /api/v4/telephony/integrations/{id}/extensions/{ext} admin
GET /api/v4/telephony/blacklist admin
POST /api/v4/telephony/blacklist signed {"phone": "+34 666 000 111"}
DELETE /api/v4/telephony/blacklist/{id} admin
GET /api/v4/telephony/alerts admin
GET /api/v4/telephony/statistics signed
POST /api/v4/calls signed [{"direction": "inbound", "duration": 5, "source": "pbx", "phone": "+34600999888", "uniq": "matrix-1", "call_status": 4, "responsible_user_id": $user}]
POST /api/v4/calls/dial signed {"phone": "+34611222333"}
GET /api/v4/calls/live signed
GET /api/v4/calls/{id}/recording view:leads

GET / signed
GET /search signed
GET /profile self
POST /profile/lang self lang=en
POST /profile/password self current_password=correct+horse+battery&new_password=correct+horse+battery&confirm_password=correct+horse+battery
POST /logout self
GET /live signed ! a WebSocket handshake, covered by the live-call tests
GET /alerts admin
POST /alerts/dismiss admin integration_id=$integration&code=webhook_bad_signature

** GET /@ view:@
** GET /@/new add:@
** POST /@ add:@ name=New+one
** GET /@/{id} view:@
** GET /@/{id}/edit edit:@
** POST /@/{id} edit:@ name=Renamed
** POST /@/{id}/delete delete:@
** POST /@/{id}/link edit:@ to_type=OTHERS&to_id=$OTHER
** POST /@/{id}/unlink edit:@ to_type=OTHERS&to_id=$OTHER
** GET /@/{id}/feed view:@
** POST /@/{id}/notes edit:@ text=n
** GET /@/{id}/notes/{note}/edit edit:@
** POST /@/{id}/notes/{note} edit:@ text=edited
** POST /@/{id}/notes/{note}/pin edit:@
** POST /@/{id}/notes/{note}/unpin edit:@


GET /leads view:leads
GET /leads/list view:leads
POST /leads/move edit:leads lead_id=$lead&pipeline_id=$pipeline&status_id=$status
POST /leads/quick add:leads pipeline_id=$pipeline&status_id=$status&name=Quick
GET /leads/{id} view:leads
POST /leads/{id}/edit edit:leads name=Renamed
POST /leads/{id}/delete delete:leads
POST /leads/{id}/link edit:leads to=contacts&to_id=$contact
POST /leads/{id}/unlink edit:leads to=contacts&to_id=$contact
GET /leads/{id}/feed view:leads
POST /leads/{id}/notes edit:leads text=n
GET /leads/{id}/notes/{note}/edit edit:leads
POST /leads/{id}/notes/{note} edit:leads text=edited
POST /leads/{id}/notes/{note}/pin edit:leads
POST /leads/{id}/notes/{note}/unpin edit:leads

GET /tasks view:tasks
POST /tasks add:tasks text=Call+back&complete_till=2099-12-31T10:00&entity_type=leads&entity_id=$lead
POST /tasks/{id}/complete edit:tasks result=done
GET /tasks/for/{entity}/{id} view:leads
POST /tasks/for/{entity}/{id} add:tasks text=Call+back&complete_till=2099-12-31T10:00
POST /tasks/for/{entity}/{id}/{task}/complete edit:tasks result=done

GET /incoming view:leads
POST /incoming/{id}/accept edit:leads
POST /incoming/{id}/decline edit:leads
GET /incoming/{id}/link edit:leads
POST /incoming/{id}/link edit:leads target_lead_id=$lead
GET /incoming/{id}/calls/{call}/recording view:leads

GET /calls/live signed
GET /calls/live/board signed
POST /calls/dial signed phone=+34611222333
POST /calls/blacklist signed phone=+34666000222
GET /calls/{id}/result view:leads
POST /calls/{id}/result edit:leads text=done
GET /calls/{id}/recording view:leads
GET /calls/statistics signed
GET /calls/statistics.csv signed
GET /calls/log.csv signed

GET /settings/users admin
POST /settings/users admin name=New+user&email=new.user@example.test&role=manager
GET /settings/users/{id} admin
POST /settings/users/{id} admin name=Renamed&role=manager
POST /settings/users/{id}/active admin active=false
POST /settings/users/{id}/rights admin leads_view=all
POST /settings/groups admin name=Team
GET /settings/fields admin
POST /settings/fields/{entity} admin name=Extra&type=text
POST /settings/fields/{entity}/{id}/delete admin
GET /settings/pipelines admin
POST /settings/pipelines admin name=New+pipeline
POST /settings/pipelines/{id} admin name=Renamed
POST /settings/pipelines/{id}/main admin
POST /settings/pipelines/{id}/delete admin
POST /settings/pipelines/{id}/stages admin name=Review
POST /settings/pipelines/{id}/stages/{sid} admin name=Renamed
POST /settings/pipelines/{id}/stages/{sid}/delete admin
GET /settings/telephony admin
POST /settings/telephony admin name=Second&key=k&secret=s ! installing checks the key against a PBX; the admin's PBX is the simulator already installed
GET /settings/telephony/{id} admin
POST /settings/telephony/{id} admin auto_create=incoming_lead&auto_create_at=end&return_timeout_s=20
POST /settings/telephony/{id}/active admin active=true
POST /settings/telephony/{id}/extensions admin extension=103&user_id=$spare
POST /settings/telephony/{id}/extensions/unbind admin extension=101
GET /settings/blacklist admin
POST /settings/blacklist admin phone=+34666000333
POST /settings/blacklist/{id}/delete admin
"#;

#[derive(Debug, Clone, PartialEq)]
enum Gate {
    Public,
    /// The caller's own session or profile: tried by the control only.
    Own,
    Signed,
    Admin,
    /// The action's right on the entity decides.
    Right(String, String),
}

#[derive(Debug, Clone)]
struct Row {
    method: Method,
    path: String,
    /// What the path's query adds (with placeholders), `?` included.
    query: String,
    gate: Gate,
    body: Option<String>,
    /// Why the admin's own request is not tried (when it is not).
    no_control: Option<String>,
}

impl Row {
    fn api(&self) -> bool {
        self.path.starts_with("/api/")
    }
    fn writes(&self) -> bool {
        self.method != Method::GET
    }
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The rows, the per-kind ones written out.
fn lines() -> Vec<String> {
    // (kind, its record, the kind its link rows link to, that record)
    const KINDS: [[&str; 4]; 3] = [
        ["contacts", "contact", "companies", "company"],
        ["companies", "company", "contacts", "contact"],
        ["leads", "lead", "contacts", "contact"],
    ];
    let mut out = Vec::new();
    for line in ROWS.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (kinds, tpl) = match (line.strip_prefix("** "), line.strip_prefix("* ")) {
            (Some(t), _) => (&KINDS[..2], t),
            (None, Some(t)) => (&KINDS[..], t),
            (None, None) => {
                out.push(line.to_string());
                continue;
            }
        };
        for [kind, one, others, other] in kinds {
            out.push(
                tpl.replace("$SELF", &format!("${one}"))
                    .replace("$OTHER", &format!("${other}"))
                    .replace("OTHERS", others)
                    .replace('@', kind),
            );
        }
    }
    out
}

fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    for line in lines().iter() {
        let (line, no_control) = match line.split_once(" ! ") {
            Some((l, why)) => (l, Some(why.to_string())),
            None => (line.as_str(), None),
        };
        let mut parts = line.splitn(4, ' ');
        let method = parts.next().unwrap().parse().unwrap();
        let raw = parts.next().unwrap();
        let (path, query) = match raw.split_once('?') {
            Some((p, q)) => (p.to_string(), format!("?{q}")),
            None => (raw.to_string(), String::new()),
        };
        let gate = match parts.next().unwrap_or_default() {
            "public" => Gate::Public,
            "self" => Gate::Own,
            "signed" => Gate::Signed,
            "admin" => Gate::Admin,
            g => {
                let (a, e) = g.split_once(':').unwrap_or_else(|| panic!("gate {g:?}"));
                Gate::Right(a.into(), e.into())
            }
        };
        out.push(Row {
            method,
            path,
            query,
            gate,
            body: parts.next().map(str::to_string),
            no_control,
        });
    }
    out
}

/// The kind of record a path parameter names, from the segments before it.
fn kind_of(segs: &[&str], i: usize) -> String {
    let before = |k: usize| if i >= k { segs[i - k] } else { "" };
    match segs[i] {
        "{id}" => match before(1) {
            "contacts" => "contact".into(),
            "companies" => "company".into(),
            "leads" => "lead".into(),
            "tasks" => "task".into(),
            "pipelines" => "pipeline".into(),
            "catalogs" => "catalog".into(),
            "integrations" | "telephony" => "integration".into(),
            "blacklist" => "blacklist".into(),
            "calls" => "call".into(),
            "users" => "user".into(),
            "events" => "event".into(),
            "incoming" => "incoming".into(),
            "custom_fields" => format!("{}_field", before(2)),
            "{entity}" if before(2) == "fields" => "leads_field".into(),
            "{entity}" => "lead".into(),
            "api_tokens" => "jti".into(),
            other => panic!("no kind for {{id}} after {other:?}"),
        },
        "{note_id}" | "{note}" => format!("{}_note", before(3)),
        "{status_id}" | "{sid}" => "status".into(),
        "{element_id}" => "element".into(),
        "{ext}" => "ext".into(),
        "{jti}" => "jti".into(),
        "{call}" => "call".into(),
        "{task}" => "task".into(),
        "{entity}" => "entity".into(),
        other => panic!("no kind for {other}"),
    }
}

type Ids = BTreeMap<String, String>;

/// The row's path and body with these ids; and whether it names any record.
fn fill(row: &Row, ids: &Ids) -> (String, Option<String>, bool) {
    let segs: Vec<&str> = row.path.split('/').collect();
    let mut named = false;
    let path = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.starts_with('{') {
                let k = kind_of(&segs, i);
                named |= k != "entity";
                ids.get(&k)
                    .unwrap_or_else(|| panic!("no {k} for {}", row.label()))
                    .clone()
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let substitute = |b: &str, named: &mut bool| {
        let mut b = b.to_string();
        // Longest names first, so `$contacts_note` is not read as `$contact`.
        let mut keys: Vec<&String> = ids.keys().collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
        for k in keys {
            let p = format!("${k}");
            if b.contains(&p) {
                *named = true;
                b = b.replace(&p, &ids[k]);
            }
        }
        b
    };
    let path = path + &substitute(&row.query, &mut named);
    let body = row.body.as_ref().map(|b| substitute(b, &mut named));
    (path, body, named)
}

/// A caller: an API token and a signed-in browser.
struct Who {
    name: &'static str,
    token: String,
    browser: Browser,
}

#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

async fn send(app: &TestApp, who: &Who, row: &Row, path: &str, body: Option<&str>) -> Answer {
    let label = format!("{} {path} as {}", row.method, who.name);
    match tokio::time::timeout(
        std::time::Duration::from_secs(30),
        send_now(app, who, row, path, body),
    )
    .await
    {
        Ok(a) => a,
        Err(_) => panic!("{label}: no answer in 30 s"),
    }
}

async fn send_now(app: &TestApp, who: &Who, row: &Row, path: &str, body: Option<&str>) -> Answer {
    if std::env::var_os("SB_MATRIX_TRACE").is_some() {
        eprintln!("{} {path} as {}", row.method, who.name);
    }
    if row.api() {
        let mut rb = app
            .client
            .request(row.method.clone(), format!("{}{path}", app.url))
            .bearer_auth(&who.token);
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        } else if row.writes() {
            rb = rb.header("content-type", "application/json").body("{}");
        }
        let r = rb.send().await.expect("request reaches the app");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // An event stream never ends: its status and type are the answer.
        let stream = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = match stream {
            true => "(event stream)".to_string(),
            false => r.text().await.unwrap_or_default(),
        };
        Answer {
            status,
            location,
            body,
        }
    } else {
        let fields: Vec<(String, String)> = body
            .map(|b| {
                b.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.replace('+', " ")))
                    .collect()
            })
            .unwrap_or_default();
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let p = if row.writes() {
            who.browser.post_form(path, &f).await
        } else {
            who.browser.get(path).await
        };
        Answer {
            status: p.status,
            location: p.location,
            body: p.body,
        }
    }
}

/// The answer with every id of `ids` (and the unknown ones) masked, for comparing two
/// answers that differ only in the ids asked for.
fn masked(a: &Answer, all: &[&Ids]) -> (u16, Option<String>, String) {
    let mut vals: Vec<&String> = all
        .iter()
        .flat_map(|ids| ids.iter().filter(|(k, _)| *k != "entity" && *k != "ext"))
        .map(|(_, v)| v)
        .collect();
    vals.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let m = |s: &str| {
        let mut s = s.to_string();
        for v in &vals {
            s = s.replace(v.as_str(), "<id>");
        }
        s
    };
    (a.status, a.location.as_deref().map(m), m(&a.body))
}

fn refused(a: &Answer) -> bool {
    matches!(a.status, 403 | 404)
}

/// The database's tables, each reduced to a fingerprint of its rows, leaving out what a
/// read legitimately touches: the sessions' and tokens' last use, node leases.
async fn fingerprint(app: &TestApp) -> BTreeMap<String, String> {
    let mut f = sb_store::backup::table_fingerprints(&app.ctx().db)
        .await
        .expect("fingerprints");
    for t in ["web_sessions", "access_tokens", "id_nodes"] {
        f.remove(t);
    }
    f
}

fn changed(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Everything a scope applies to, at `scope`; the rest of a manager's defaults.
fn rights_at(scope: Scope) -> Rights {
    let e = EntityRights {
        view: scope,
        add: scope,
        edit: scope,
        delete: scope,
        export: scope,
    };
    Rights {
        leads: e,
        contacts: e,
        companies: e,
        tasks: e,
    }
}

/// A manager with a manager's default rights, who never signs in.
async fn plain_user(app: &TestApp, admin: &sb_service::Actor, name: &str, email: &str) -> i64 {
    let n = NewUser {
        name: name.into(),
        email: email.into(),
        password: None,
        role: Role::Manager,
        group_id: None,
        rights: None,
        lang: None,
    };
    sb_service::users::create_user(app.ctx(), admin, n)
        .await
        .expect("user")
        .id
        .0
}

async fn person(
    app: &TestApp,
    name: &'static str,
    rights: Rights,
    group: Option<sb_domain::GroupId>,
) -> (Who, i64) {
    let u = sb_service::users::create_user(
        app.ctx(),
        &app.admin,
        NewUser {
            name: name.into(),
            email: format!("{name}@example.test"),
            password: Some(PASSWORD.into()),
            role: Role::Manager,
            group_id: group,
            rights: Some(rights),
            lang: Some("en".into()),
        },
    )
    .await
    .expect("user");
    let (token, _) = sb_service::auth::create_api_token(app.ctx(), &app.admin, u.id, "t", None)
        .await
        .expect("token");
    let browser = Browser::sign_in(app, &u.email, PASSWORD).await;
    (
        Who {
            name,
            token,
            browser,
        },
        u.id.0,
    )
}

async fn api(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Value {
    let r = app.call(method, path, Some(token), Some(body)).await;
    let status = r.status();
    assert!(status.is_success(), "fixture {path}: {status}");
    json(r).await
}

fn first_id(v: &Value, key: &str) -> String {
    v["_embedded"][key][0]["id"].to_string()
}

/// One account's records, each named with `mark`, owned by the admin of `token`; an
/// answered call from an unknown number through the PBX simulator, which becomes an
/// incoming lead with its recording.
async fn records(
    app: &TestApp,
    token: &str,
    admin_id: i64,
    users: [i64; 2],
    mark: &str,
) -> (Ids, sb_testkit::pbx::Pbx) {
    let [user_id, spare] = users;
    let mut ids = Ids::new();
    // What every user of an account sees (fields, pipelines, catalogs) is not marked
    // secret in A; in B everything is foreign.
    let shared = if mark == "Foreign" {
        "Foreign"
    } else {
        "Shared"
    };
    let pbx = app.install_simulator_as(token, admin_id).await;
    api(
        app,
        token,
        Method::PATCH,
        &format!("/api/v4/telephony/integrations/{}", pbx.integration),
        json!({"settings": {"auto_create": "incoming_lead"}}),
    )
    .await;
    let mut sp = sb_pbxsim::ScenarioSpec::new(sb_pbxsim::Scenario::IncomingAnswered);
    sp.caller = if mark == "Foreign" {
        "34655000777"
    } else {
        "34655000888"
    }
    .into();
    let report = pbx.sim.run_scenario(sp).await.expect("call");
    assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
    app.drain_jobs().await;
    app.clock.advance(20_000);
    app.drain_jobs().await;
    ids.insert("integration".into(), pbx.integration.to_string());
    // Bound to the target user by the control (101 is the admin's).
    ids.insert("ext".into(), "102".into());
    ids.insert("user".into(), user_id.to_string());
    ids.insert("spare".into(), spare.to_string());
    ids.insert("entity".into(), "leads".into());
    let v = api(app, token, Method::POST, "/api/v4/contacts", json!([{"name": format!("{mark} contact"), "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": if mark == "Foreign" {"+34 91 000 77 77"} else {"+34 91 000 88 88"}}]}]}])).await;
    ids.insert("contact".into(), first_id(&v, "contacts"));
    let v = api(
        app,
        token,
        Method::POST,
        "/api/v4/companies",
        json!([{"name": format!("{mark} company")}]),
    )
    .await;
    ids.insert("company".into(), first_id(&v, "companies"));
    let v = api(
        app,
        token,
        Method::POST,
        "/api/v4/leads",
        json!([{"name": format!("{mark} lead")}]),
    )
    .await;
    ids.insert("lead".into(), first_id(&v, "leads"));
    for (e, one) in [
        ("contacts", "contact"),
        ("companies", "company"),
        ("leads", "lead"),
    ] {
        let v = api(app, token, Method::POST, &format!("/api/v4/{e}/notes"), json!([{"entity_id": ids[one].parse::<i64>().unwrap(), "note_type": "common", "params": {"text": format!("{mark} note")}}])).await;
        ids.insert(format!("{e}_note"), first_id(&v, "notes"));
        let v = api(
            app,
            token,
            Method::POST,
            &format!("/api/v4/{e}/custom_fields"),
            json!([{"name": format!("{shared} field"), "type": "text"}]),
        )
        .await;
        ids.insert(format!("{e}_field"), first_id(&v, "custom_fields"));
    }
    let v = api(app, token, Method::POST, "/api/v4/tasks", json!([{"text": format!("{mark} task"), "complete_till": 4102444800i64, "entity_id": ids["lead"].parse::<i64>().unwrap(), "entity_type": "leads"}])).await;
    ids.insert("task".into(), first_id(&v, "tasks"));
    let v = api(app, token, Method::POST, "/api/v4/leads/pipelines", json!([{"name": format!("{shared} pipeline"), "_embedded": {"statuses": [{"name": format!("{shared} stage")}]}}])).await;
    let p = &v["_embedded"]["pipelines"][0];
    ids.insert("pipeline".into(), p["id"].to_string());
    let stage = p["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap_or_default().contains(shared))
        .expect("the new stage");
    ids.insert("status".into(), stage["id"].to_string());
    let v = api(
        app,
        token,
        Method::POST,
        "/api/v4/catalogs",
        json!([{"name": format!("{shared} catalog")}]),
    )
    .await;
    let catalog = first_id(&v, "catalogs");
    let v = api(
        app,
        token,
        Method::POST,
        &format!("/api/v4/catalogs/{catalog}/elements"),
        json!([{"name": format!("{shared} element")}]),
    )
    .await;
    ids.insert("catalog".into(), catalog);
    ids.insert("element".into(), first_id(&v, "elements"));
    let v = api(
        app,
        token,
        Method::POST,
        "/api/v4/telephony/blacklist",
        json!({"phone": if mark == "Foreign" {"+34 666 000 777"} else {"+34 666 000 888"}}),
    )
    .await;
    ids.insert("blacklist".into(), v["id"].to_string());
    let v = api(
        app,
        token,
        Method::POST,
        "/api/v4/api_tokens",
        json!({"name": format!("{mark} token"), "user_id": user_id}),
    )
    .await;
    ids.insert("jti".into(), v["id"].as_str().expect("jti").to_string());
    let r = app
        .call(Method::GET, "/api/v4/events", Some(token), None)
        .await;
    ids.insert(
        "event".into(),
        json(r).await["_embedded"]["events"][0]["id"]
            .to_string()
            .trim_matches('"')
            .to_string(),
    );
    let admin = app_actor(app, token).await;
    let item = sb_service::incoming::list(app.ctx(), &admin, Default::default())
        .await
        .expect("incoming")
        .items
        .remove(0);
    ids.insert("incoming".into(), item.lead.id.0.to_string());
    ids.insert("call".into(), item.calls[0].call_id.0.to_string());
    // A forged webhook: an open alert for the admins to dismiss.
    let r = app
        .client
        .post(&pbx.webhook_url)
        .form(&[
            ("event", "NOTIFY_START"),
            ("call_start", "2026-12-01 10:00:00"),
            ("pbx_call_id", "in_forged"),
            ("caller_id", "34600000000"),
            ("called_did", "34910000000"),
        ])
        .header("Signature", "Zm9yZ2Vk")
        .send()
        .await
        .expect("webhook");
    assert!(r.status().is_client_error(), "a forged webhook is refused");
    sb_service::telephony::alerts::flush_due(app.ctx()).await;
    assert!(
        !sb_service::telephony::alerts::list(app.ctx(), &admin)
            .await
            .expect("alerts")
            .is_empty(),
        "the forged webhook raised an alert"
    );
    (ids, pbx)
}

/// New records of the kinds a destructive row names, so that each destroys its own.
async fn fresh(app: &TestApp, pbx: &sb_testkit::pbx::Pbx, row: &Row, ids: &Ids, n: usize) -> Ids {
    let token = app.admin_token.clone();
    let mut ids = ids.clone();
    let named = kinds(row);
    for k in &named {
        match k.as_str() {
            "contact" | "company" | "lead" => {
                let plural = match k.as_str() {
                    "contact" => "contacts",
                    "company" => "companies",
                    _ => "leads",
                };
                let v = api(
                    app,
                    &token,
                    Method::POST,
                    &format!("/api/v4/{plural}"),
                    json!([{"name": format!("Doomed {n}")}]),
                )
                .await;
                ids.insert(k.clone(), first_id(&v, plural));
            }
            f if f.ends_with("_field") => {
                let e = f.trim_end_matches("_field");
                let v = api(
                    app,
                    &token,
                    Method::POST,
                    &format!("/api/v4/{e}/custom_fields"),
                    json!([{"name": format!("Doomed {n}"), "type": "text"}]),
                )
                .await;
                ids.insert(k.clone(), first_id(&v, "custom_fields"));
            }
            "pipeline" | "status" => {
                let v = api(app, &token, Method::POST, "/api/v4/leads/pipelines", json!([{"name": format!("Doomed {n}"), "_embedded": {"statuses": [{"name": format!("Doomed stage {n}")}]}}])).await;
                let p = &v["_embedded"]["pipelines"][0];
                ids.insert("pipeline".into(), p["id"].to_string());
                let st = p["_embedded"]["statuses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"].as_str().unwrap_or_default().starts_with("Doomed"))
                    .expect("stage");
                ids.insert("status".into(), st["id"].to_string());
            }
            "blacklist" => {
                let v = api(
                    app,
                    &token,
                    Method::POST,
                    "/api/v4/telephony/blacklist",
                    json!({"phone": format!("+34 666 200 {n:03}")}),
                )
                .await;
                ids.insert(k.clone(), v["id"].to_string());
            }
            "jti" => {
                let v = api(
                    app,
                    &token,
                    Method::POST,
                    "/api/v4/api_tokens",
                    json!({"name": format!("Doomed {n}"), "user_id": app.admin.user.id.0}),
                )
                .await;
                ids.insert(k.clone(), v["id"].as_str().expect("jti").to_string());
            }
            "incoming" => {
                let mut sp = sb_pbxsim::ScenarioSpec::new(sb_pbxsim::Scenario::IncomingAnswered);
                sp.caller = format!("34655100{n:03}");
                pbx.sim.run_scenario(sp).await.expect("call");
                app.drain_jobs().await;
                app.clock.advance(20_000);
                app.drain_jobs().await;
                let item = sb_service::incoming::list(app.ctx(), &app.admin, Default::default())
                    .await
                    .expect("incoming")
                    .items
                    .into_iter()
                    .find(|i| i.lead.id.0.to_string() != ids["incoming"])
                    .expect("the new incoming lead");
                ids.insert("incoming".into(), item.lead.id.0.to_string());
                ids.insert("call".into(), item.calls[0].call_id.0.to_string());
            }
            "user" => {
                let u = plain_user(
                    app,
                    &app.admin,
                    &format!("Doomed {n}"),
                    &format!("doomed{n}@example.test"),
                )
                .await;
                ids.insert(k.clone(), u.to_string());
            }
            _ => {}
        }
    }
    ids
}

/// The kinds of record a row names, in its path, query and body.
fn kinds(row: &Row) -> Vec<String> {
    let segs: Vec<&str> = row.path.split('/').collect();
    let mut out: Vec<String> = (0..segs.len())
        .filter(|i| segs[*i].starts_with('{'))
        .map(|i| kind_of(&segs, i))
        .collect();
    let text = format!("{} {}", row.query, row.body.as_deref().unwrap_or_default());
    for part in text.split('$').skip(1) {
        let k: String = part
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        out.push(k);
    }
    out.sort();
    out.dedup();
    out
}

async fn app_actor(app: &TestApp, token: &str) -> sb_service::Actor {
    sb_service::auth::authenticate(app.ctx(), token)
        .await
        .expect("actor")
}

/// Ids of the same kinds that no account has.
fn unknown(like: &Ids) -> Ids {
    like.iter()
        .enumerate()
        .map(|(i, (k, v))| {
            // Each kind its own, so two of them never name the same record.
            let u = match k.as_str() {
                "entity" | "ext" => v.clone(),
                "jti" => "00000000-0000-4000-8000-000000000000".into(),
                _ => format!("9{:0>w$}", i + 1, w = v.len().max(8)),
            };
            (k.clone(), u)
        })
        .collect()
}

#[tokio::test]
async fn every_route_keeps_accounts_apart_and_rights_apply() {
    let table = rows();
    for app in spawn_apps().await {
        // The matrix covers exactly the router's routes.
        let routes: BTreeSet<(String, String)> =
            sb_web::route_table(&sb_web::router(app.state.clone()))
                .into_iter()
                .collect();
        let listed: BTreeSet<(String, String)> = table
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone()))
            .collect();
        let missing: Vec<_> = routes.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&routes).collect();
        assert!(
            missing.is_empty(),
            "routes without a row in the rights matrix: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "rows for routes that do not exist: {stale:?}"
        );
        assert_eq!(listed.len(), table.len(), "a route has two rows");

        // Account B and its records, all named "Foreign".
        let (other, tb) = app.other_account("foreign").await;
        let b_user = plain_user(&app, &other, "Foreign user", "user@foreign.test").await;
        let b_spare = plain_user(&app, &other, "Foreign spare", "spare@foreign.test").await;
        let (theirs, _pbx_b) =
            records(&app, &tb, other.user.id.0, [b_user, b_spare], "Foreign").await;
        // Account A: the admin's records, named "Secret", and the managers.
        let target = plain_user(&app, &app.admin, "Target user", "target@example.test").await;
        let spare = plain_user(&app, &app.admin, "Spare user", "spare@example.test").await;
        let (mine, pbx_a) = records(
            &app,
            &app.admin_token,
            app.admin.user.id.0,
            [target, spare],
            "Secret",
        )
        .await;
        sb_service::users::set_password(app.ctx(), &app.admin, app.admin.user.id, PASSWORD)
            .await
            .unwrap();
        let admin = Who {
            name: "admin",
            token: app.admin_token.clone(),
            browser: Browser::sign_in(&app, &app.admin.user.email, PASSWORD).await,
        };
        let group = sb_service::users::create_group(app.ctx(), &app.admin, "Team")
            .await
            .unwrap();
        let mut scoped = Vec::new();
        for (name, scope, g) in [
            ("none", Scope::None, None),
            ("own", Scope::Own, None),
            ("group", Scope::Group, Some(group.id)),
            ("all", Scope::All, None),
        ] {
            scoped.push((scope, person(&app, name, rights_at(scope), g).await.0));
        }
        let nobody = unknown(&mine);
        let all_ids = [&mine, &theirs, &nobody];
        let mut failures = Vec::new();
        let mut tried = 0usize;

        // 1. Tenancy.
        for row in table
            .iter()
            .filter(|r| !matches!(r.gate, Gate::Public | Gate::Own))
        {
            let (fp, fb, named) = fill(row, &theirs);
            if !named && row.writes() {
                continue; // nothing of B's to reach: the control tries it
            }
            let before = fingerprint(&app).await;
            let foreign = send(&app, &admin, row, &fp, fb.as_deref()).await;
            let after = fingerprint(&app).await;
            tried += 1;
            if foreign.body.contains("Foreign") {
                failures.push(format!(
                    "{}: the answer shows account B's records",
                    row.label()
                ));
            }
            if !named {
                continue;
            }
            if !changed(&before, &after).is_empty() {
                failures.push(format!(
                    "{}: B's ids wrote to {:?}",
                    row.label(),
                    changed(&before, &after)
                ));
            }
            let (up, ub, _) = fill(row, &nobody);
            let unknown = send(&app, &admin, row, &up, ub.as_deref()).await;
            tried += 1;
            let (f, u) = (masked(&foreign, &all_ids), masked(&unknown, &all_ids));
            if f != u {
                let at =
                    f.2.bytes()
                        .zip(u.2.bytes())
                        .take_while(|(a, b)| a == b)
                        .count();
                let near = |t: &str| {
                    t.get(at.saturating_sub(80)..(at + 120).min(t.len()))
                        .unwrap_or_default()
                        .to_string()
                };
                failures.push(format!(
                    "{}: B's ids answer {} ...{}..., unknown ids {} ...{}...",
                    row.label(),
                    f.0,
                    near(&f.2),
                    u.0,
                    near(&u.2)
                ));
            }
        }

        // 2. Rights.
        for row in table
            .iter()
            .filter(|r| !matches!(r.gate, Gate::Public | Gate::Own))
        {
            let scopes: &[Scope] = match &row.gate {
                Gate::Admin => &[Scope::None, Scope::Own, Scope::Group, Scope::All],
                Gate::Right(a, _) if a == "add" => &[Scope::None],
                _ => &[Scope::None, Scope::Own, Scope::Group],
            };
            let (p, b, named) = fill(row, &mine);
            if row.gate == Gate::Signed && row.writes() && !named {
                continue; // anyone may: the control tries it
            }
            for (scope, who) in scoped.iter().filter(|(s, _)| scopes.contains(s)) {
                let before = fingerprint(&app).await;
                let a = send(&app, who, row, &p, b.as_deref()).await;
                let after = fingerprint(&app).await;
                tried += 1;
                if a.body.contains("Secret") {
                    failures.push(format!(
                        "{} as {}: shows the admin's records",
                        row.label(),
                        who.name
                    ));
                }
                if row.gate == Gate::Signed {
                    continue;
                }
                if !changed(&before, &after).is_empty() {
                    failures.push(format!(
                        "{} as {}: wrote to {:?} ({} {:.200})",
                        row.label(),
                        who.name,
                        changed(&before, &after),
                        a.status,
                        a.body
                    ));
                }
                if refused(&a) {
                    continue;
                }
                // Not refused: then it must be what an unknown id gets (an admin-only
                // route with nothing to name must refuse).
                let same = match named {
                    true => {
                        let (up, ub, _) = fill(row, &nobody);
                        let u = send(&app, who, row, &up, ub.as_deref()).await;
                        tried += 1;
                        masked(&a, &all_ids) == masked(&u, &all_ids)
                    }
                    false => matches!(row.gate, Gate::Right(..)),
                };
                if !same {
                    failures.push(format!(
                        "{} as {} ({scope:?}): answered {} {:.200}",
                        row.label(),
                        who.name,
                        a.status,
                        a.body
                    ));
                }
            }
        }

        // 3. Controls: the admin, A's own ids; what destroys comes last, each on
        // records of its own.
        let last = |r: &Row| {
            let p = &r.path;
            let post = r.method != Method::GET;
            (r.path == "/logout") as u8 * 4
                + (p.ends_with("/password") || p.ends_with("/active")) as u8 * 2
                + (r.method == Method::DELETE
                    || p.ends_with("/delete")
                    || p.ends_with("/unbind")
                    || p.starts_with("/incoming/{id}/") && post) as u8
        };
        let mut controls: Vec<&Row> = table
            .iter()
            .filter(|r| r.gate != Gate::Public && r.no_control.is_none())
            .collect();
        controls.sort_by_key(|r| last(r));
        for (n, row) in controls.into_iter().enumerate() {
            let ids = match last(row) {
                0 => mine.clone(),
                _ => fresh(&app, &pbx_a, row, &mine, n).await,
            };
            let (p, b, _) = fill(row, &ids);
            let a = send(&app, &admin, row, &p, b.as_deref()).await;
            tried += 1;
            let to_login = a
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login"));
            if a.status >= 400 || (to_login && row.path != "/logout") {
                failures.push(format!(
                    "control {} as admin: {} {:.300}",
                    row.label(),
                    a.status,
                    a.body
                ));
            }
        }
        println!(
            "rights matrix on {:?}: {} routes, {} requests, {} failures",
            app.backend,
            table.len(),
            tried,
            failures.len()
        );
        let printable = |f: &String| {
            f.chars()
                .map(|c| {
                    if c.is_ascii_graphic() || c == ' ' {
                        c
                    } else {
                        '.'
                    }
                })
                .take(600)
                .collect::<String>()
        };
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures
                .iter()
                .map(printable)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
