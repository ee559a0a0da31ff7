//! The feed of a card (contacts, companies, leads): notes, tasks, events and calls with
//! their recordings, newest first after the pinned notes; adding, editing and pinning a
//! note. Card pages embed it as an htmx fragment
//! (`<section id="feed" hx-get="/contacts/{id}/feed" hx-trigger="load">`); without htmx
//! the same URL is a page of its own (the fallback without JavaScript).
//!
//! Also the recording of a call, played from the feed behind the session
//! (`/calls/{id}/recording`), to users who may see one of the call's cards.

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::calls::RecordingStatus;
use sb_domain::entities::CardKind;
use sb_domain::feed::{note_types as nt, Event, Note, Task};
use sb_domain::{CallId, EntityKind};
use sb_service::notes::{self, CardFeed, FeedItem, NoteEdit, NoteInput};
use sb_service::ServiceError;
use serde::Deserialize;
use serde_json::{json, Value};

/// Items per page of the feed ("Show older" loads the next one).
pub const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for e in ["contacts", "companies", "leads"] {
        r = r
            .route(&format!("/{e}/{{id}}/feed"), get(show))
            .route(&format!("/{e}/{{id}}/notes"), post(add))
            .route(&format!("/{e}/{{id}}/notes/{{note}}"), post(edit))
            .route(&format!("/{e}/{{id}}/notes/{{note}}/edit"), get(edit_form))
            .route(&format!("/{e}/{{id}}/notes/{{note}}/pin"), post(pin))
            .route(&format!("/{e}/{{id}}/notes/{{note}}/unpin"), post(unpin));
    }
    r.route("/calls/{id}/recording", get(recording))
}

/// The entity of a feed URL, from its first path segment.
fn entity_of(ui: &Ui) -> Option<(&'static str, EntityKind)> {
    let first = ui.here.trim_start_matches('/').split('/').next()?;
    match first {
        "contacts" => Some(("contacts", EntityKind::Contacts)),
        "companies" => Some(("companies", EntityKind::Companies)),
        "leads" => Some(("leads", EntityKind::Leads)),
        _ => None,
    }
}

fn entity_or_404(ui: &Ui) -> Result<(&'static str, EntityKind), super::UiFail> {
    entity_of(ui).ok_or_else(|| ui.fail(ServiceError::NotFound))
}

/// What a recording of a call in the feed is now.
pub enum Recording {
    None,
    /// Being fetched from the PBX.
    Pending,
    Failed,
    /// Playable at `/calls/{id}/recording`.
    Stored(i64),
}

pub struct NoteRow {
    pub id: i64,
    pub type_label: String,
    pub text: String,
    pub author: String,
    pub when: String,
    pub pinned: bool,
    pub editable: bool,
}

pub struct TaskRow {
    pub text: String,
    pub deadline: String,
    pub responsible: String,
    pub done: bool,
    pub overdue: bool,
    pub result: Option<String>,
    pub when: String,
}

pub struct EventRow {
    pub what: String,
    /// A card the event names (linked, unlinked): its URL and label (empty: none).
    pub link_href: String,
    pub link_label: String,
    pub who: String,
    pub when: String,
}

pub struct CallRow {
    pub note_id: i64,
    pub inbound: bool,
    pub answered: bool,
    pub duration: String,
    pub manager: String,
    pub phone: String,
    pub when: String,
    pub pinned: bool,
    pub recording: Recording,
    /// What the manager wrote as the call's result (V5), if anything.
    pub result: String,
}

pub enum Row {
    Note(NoteRow),
    Task(TaskRow),
    Event(EventRow),
    Call(CallRow),
}

/// What the feed's templates show.
pub struct FeedData {
    pub entity: &'static str,
    pub id: i64,
    pub rows: Vec<Row>,
    /// The next (older) page, if any.
    pub next: Option<i64>,
    pub can_edit: bool,
    /// The note shown as an edit form.
    pub editing: Option<i64>,
    /// The add-note form's text after a refused post.
    pub draft: String,
    pub errors: FormErrors,
}

impl FeedData {
    /// Whether note `id` is the one shown as an edit form.
    pub fn edits(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.editing == Some(*id.borrow())
    }

    pub fn base(&self) -> String {
        format!("/{}/{}", self.entity, self.id)
    }
}

#[derive(Template)]
#[template(path = "notes/panel.html")]
struct Panel {
    l: Layout,
    f: FeedData,
}

#[derive(Template)]
#[template(path = "notes/items.html")]
struct Items {
    l: Layout,
    f: FeedData,
}

#[derive(Template)]
#[template(path = "notes/page.html")]
struct FeedPage {
    l: Layout,
    f: FeedData,
    title: String,
}

#[derive(Deserialize, Default)]
struct FeedQuery {
    page: Option<i64>,
    /// `items`: only the items (the "Show older" button appends them).
    part: Option<String>,
}

async fn show(ui: Ui, Path(id): Path<i64>, Query(q): Query<FeedQuery>) -> UiResult {
    let (entity, kind) = entity_or_404(&ui)?;
    let pg = q.page.unwrap_or(1).max(1);
    let f = load(&ui, entity, kind, id, pg, None).await?;
    if ui.htmx && q.part.as_deref() == Some("items") {
        return Ok(page(&Items {
            l: ui.layout(entity),
            f,
        }));
    }
    answer(&ui, entity, kind, f, StatusCode::OK).await
}

/// The feed as htmx wants it (the panel) or, for a plain request, the page around it.
async fn answer(
    ui: &Ui,
    entity: &'static str,
    kind: EntityKind,
    f: FeedData,
    status: StatusCode,
) -> UiResult {
    if ui.htmx {
        // htmx swaps only 2xx answers: a refused form is shown as a 200 panel.
        return Ok(page(&Panel {
            l: ui.layout(entity),
            f,
        }));
    }
    let title = name_of(ui, kind, f.id).await.or_fail(ui)?;
    Ok((
        status,
        page(&FeedPage {
            l: ui.layout(entity),
            f,
            title,
        }),
    )
        .into_response())
}

async fn name_of(ui: &Ui, kind: EntityKind, id: i64) -> Result<String, ServiceError> {
    let card = match kind {
        EntityKind::Contacts => CardKind::Contact,
        EntityKind::Companies => CardKind::Company,
        _ => {
            let l = sb_service::leads::get(ui.ctx(), &ui.actor, id, false).await?;
            return Ok(l.lead.name);
        }
    };
    let c = sb_service::cards::get(ui.ctx(), &ui.actor, card, id).await?;
    Ok(c.card.name)
}

async fn load(
    ui: &Ui,
    entity: &'static str,
    kind: EntityKind,
    id: i64,
    pg: i64,
    editing: Option<i64>,
) -> Result<FeedData, super::UiFail> {
    let feed = notes::card_feed(ui.ctx(), &ui.actor, kind, id, pg, PAGE_SIZE)
        .await
        .or_fail(ui)?;
    let l = ui.layout(entity);
    let next = feed.page.has_next.then_some(pg + 1);
    Ok(FeedData {
        entity,
        id,
        rows: rows(&l, &feed, ui.ctx().now()),
        next,
        can_edit: l.can(entity, "edit"),
        editing,
        draft: String::new(),
        errors: FormErrors::none(),
    })
}

fn rows(l: &Layout, feed: &CardFeed, now: i64) -> Vec<Row> {
    feed.page
        .items
        .iter()
        .map(|item| match item {
            FeedItem::Note(n) if n.note_type == nt::CALL_IN || n.note_type == nt::CALL_OUT => {
                Row::Call(call_row(l, feed, n))
            }
            FeedItem::Note(n) => Row::Note(note_row(l, feed, n)),
            FeedItem::Task(t) => Row::Task(task_row(l, feed, t, now)),
            FeedItem::Event(e) => Row::Event(event_row(l, feed, e)),
        })
        .collect()
}

fn user_name(l: &Layout, feed: &CardFeed, id: i64) -> String {
    if id == 0 {
        return l.t("notes-system");
    }
    feed.users
        .get(&id)
        .cloned()
        .unwrap_or_else(|| l.t("notes-unknown-user"))
}

fn text_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn note_row(l: &Layout, feed: &CardFeed, n: &Note) -> NoteRow {
    let type_label = match n.note_type.as_str() {
        nt::COMMON => l.t("notes-type-common"),
        nt::SMS_IN => l.t("notes-type-sms-in"),
        nt::SMS_OUT => l.t("notes-type-sms-out"),
        nt::SERVICE_MESSAGE => l.t("notes-type-service"),
        _ => l.t("notes-type-other"),
    };
    NoteRow {
        id: n.id.0,
        type_label,
        text: text_of(&n.params, "text"),
        author: user_name(l, feed, n.created_by.0),
        when: l.datetime(n.created_at),
        pinned: n.is_pinned,
        editable: matches!(
            n.note_type.as_str(),
            nt::COMMON | nt::SMS_IN | nt::SMS_OUT | nt::SERVICE_MESSAGE
        ),
    }
}

fn call_row(l: &Layout, feed: &CardFeed, n: &Note) -> CallRow {
    let p = &n.params;
    let answered = p.get("call_status").and_then(Value::as_i64) == Some(4)
        || p.get("call_result").and_then(Value::as_str) == Some("answered");
    let manager = match p.get("call_responsible") {
        Some(Value::Number(u)) => u.as_i64().map(|u| user_name(l, feed, u)),
        Some(Value::String(s)) if !s.is_empty() => Some(
            s.parse::<i64>()
                .ok()
                .and_then(|u| feed.users.get(&u).cloned())
                .unwrap_or_else(|| s.clone()),
        ),
        _ => None,
    }
    .unwrap_or_else(|| user_name(l, feed, n.created_by.0));
    let recording = match feed.calls.get(&n.id.0) {
        Some(c) => match c.recording {
            Some(RecordingStatus::Stored) => Recording::Stored(c.call_id.0),
            Some(RecordingStatus::Pending) => Recording::Pending,
            Some(RecordingStatus::Failed) => Recording::Failed,
            None => Recording::None,
        },
        None => Recording::None,
    };
    CallRow {
        note_id: n.id.0,
        inbound: n.note_type == nt::CALL_IN,
        answered,
        duration: l.duration(p.get("duration").and_then(Value::as_i64).unwrap_or(0)),
        manager,
        phone: text_of(p, "phone"),
        when: l.datetime(n.created_at),
        pinned: n.is_pinned,
        recording,
        result: text_of(p, "result_text"),
    }
}

fn task_row(l: &Layout, feed: &CardFeed, t: &Task, now: i64) -> TaskRow {
    TaskRow {
        text: t.text.clone(),
        deadline: l.datetime(t.complete_till),
        responsible: user_name(l, feed, t.responsible_user_id.0),
        done: t.is_completed,
        overdue: !t.is_completed && t.complete_till < now,
        result: t.result_text.clone().filter(|r| !r.is_empty()),
        when: l.datetime(t.created_at),
    }
}

/// The first element of an event's `value_before`/`value_after` array, under `key`.
fn first<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_array()?.first()?.get(key)
}

/// A field change's values as text ("a, b"), "—" when there are none.
fn values_text(v: Option<&Value>) -> String {
    let items: Vec<String> = v
        .and_then(|v| v.get("values"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|i| match i.get("value").unwrap_or(i) {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => if *b { "✓" } else { "✗" }.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

fn stage_name(feed: &CardFeed, v: Option<&Value>, other: Option<&Value>) -> String {
    let id = v.and_then(|v| v.get("id")).and_then(Value::as_i64);
    let pipe = |v: Option<&Value>| v.and_then(|v| v.get("pipeline_id")).and_then(Value::as_i64);
    match id.and_then(|i| feed.statuses.get(&i)) {
        // The pipeline is named only when the lead moved between pipelines.
        Some((p, s)) if pipe(v) != pipe(other) => format!("{p} · {s}"),
        Some((_, s)) => s.clone(),
        None => "—".into(),
    }
}

fn event_row(l: &Layout, feed: &CardFeed, e: &Event) -> EventRow {
    let (b, a) = (&e.value_before, &e.value_after);
    let change = |key: &str, from: String, to: String| {
        l.tr.tn(key, &[("from", from.into()), ("to", to.into())])
    };
    let mut link = (String::new(), String::new());
    let what = match e.event_type.as_str() {
        "lead_added" => l.t("notes-ev-lead-added"),
        "contact_added" => l.t("notes-ev-contact-added"),
        "company_added" => l.t("notes-ev-company-added"),
        "lead_deleted" => l.t("notes-ev-lead-deleted"),
        "lead_restored" => l.t("notes-ev-lead-restored"),
        "lead_status_changed" => {
            let (fb, fa) = (first(b, "lead_status"), first(a, "lead_status"));
            change(
                "notes-ev-stage",
                stage_name(feed, fb, fa),
                stage_name(feed, fa, fb),
            )
        }
        "entity_responsible_changed" => {
            let who = |v: &Value| {
                first(v, "responsible_user")
                    .and_then(|u| u.get("id"))
                    .and_then(Value::as_i64)
                    .map(|u| user_name(l, feed, u))
                    .unwrap_or_else(|| "—".into())
            };
            change("notes-ev-responsible", who(b), who(a))
        }
        "name_field_changed" => {
            let name = |v: &Value| {
                first(v, "name_field_value")
                    .map(|n| text_of(n, "name"))
                    .unwrap_or_default()
            };
            change("notes-ev-name", name(b), name(a))
        }
        "sale_field_changed" => {
            let sale = |v: &Value| {
                first(v, "sale_field_value")
                    .and_then(|s| s.get("sale"))
                    .and_then(Value::as_i64)
                    .map(|s| l.money(s.saturating_mul(100)))
                    .unwrap_or_else(|| "—".into())
            };
            change("notes-ev-sale", sale(b), sale(a))
        }
        "custom_field_value_changed" => {
            let (fb, fa) = (
                first(b, "custom_field_value"),
                first(a, "custom_field_value"),
            );
            let field = fa
                .or(fb)
                .and_then(|f| f.get("field_id"))
                .and_then(Value::as_i64)
                .and_then(|id| feed.fields.get(&id).cloned())
                .unwrap_or_else(|| l.t("notes-ev-a-field"));
            l.tr.tn(
                "notes-ev-field",
                &[
                    ("field", field.into()),
                    ("from", values_text(fb).into()),
                    ("to", values_text(fa).into()),
                ],
            )
        }
        t @ ("entity_linked" | "entity_unlinked") => {
            let side = if t == "entity_linked" { a } else { b };
            let ent = first(side, "link").and_then(|k| k.get("entity"));
            let other_id = ent.and_then(|x| x.get("id")).and_then(Value::as_i64);
            let other_type = ent.and_then(|x| x.get("type")).and_then(Value::as_str);
            let (path, label) = match other_type {
                Some("contact") => ("contacts", l.t("notes-entity-contact")),
                Some("company") => ("companies", l.t("notes-entity-company")),
                Some("lead") => ("leads", l.t("notes-entity-lead")),
                _ => ("", String::new()),
            };
            if let (Some(oid), false) = (other_id, path.is_empty()) {
                link = (format!("/{path}/{oid}"), label);
            }
            l.t(if t == "entity_linked" {
                "notes-ev-linked"
            } else {
                "notes-ev-unlinked"
            })
        }
        other => l.t1("notes-ev-other", "type", other),
    };
    EventRow {
        what,
        link_href: link.0,
        link_label: link.1,
        who: user_name(l, feed, e.created_by.0),
        when: l.datetime(e.created_at),
    }
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    text: String,
}

/// A refused note: the validation messages by field, "text" for the note's text.
fn note_errors(ui: &Ui, e: &ServiceError) -> Option<FormErrors> {
    let mut f = FormErrors::of(e, &ui.tr)?;
    for (path, _) in f.0.iter_mut() {
        if path.starts_with("params.text") || path == "params" {
            *path = "text".into();
        }
    }
    Some(f)
}

/// Whether a refusal is about the card itself (one the user may not see).
fn about_the_card(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Validation(items)
        if items.iter().flat_map(|i| i.errors.iter()).any(|fe| fe.path == "entity_id"))
}

async fn add(ui: Ui, Path(id): Path<i64>, Form(form): Form<NoteForm>) -> UiResult {
    let (entity, kind) = entity_or_404(&ui)?;
    let input = NoteInput {
        note_type: Some(nt::COMMON.into()),
        params: Some(json!({ "text": form.text })),
        ..Default::default()
    };
    match notes::create(ui.ctx(), &ui.actor, kind, Some(id), vec![input]).await {
        Ok(_) => done(&ui, entity, kind, id).await,
        Err(e) if about_the_card(&e) => Err(ui.fail(ServiceError::NotFound)),
        Err(e) => {
            let Some(errors) = note_errors(&ui, &e) else {
                return Err(ui.fail(e));
            };
            let mut f = load(&ui, entity, kind, id, 1, None).await?;
            f.errors = errors;
            f.draft = form.text;
            answer(&ui, entity, kind, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// After a change: the fresh feed (htmx) or back to the feed's page.
async fn done(ui: &Ui, entity: &'static str, kind: EntityKind, id: i64) -> UiResult {
    if ui.htmx {
        let f = load(ui, entity, kind, id, 1, None).await?;
        return answer(ui, entity, kind, f, StatusCode::OK).await;
    }
    Ok(ui.redirect(&format!("/{entity}/{id}/feed")))
}

#[derive(Template)]
#[template(path = "notes/one.html")]
struct OneRow {
    l: Layout,
    f: FeedData,
}

async fn edit_form(ui: Ui, Path((id, note)): Path<(i64, i64)>) -> UiResult {
    let (entity, kind) = entity_or_404(&ui)?;
    let n = notes::get(ui.ctx(), &ui.actor, kind, id, note)
        .await
        .or_fail(&ui)?;
    if !ui.htmx {
        let f = load(&ui, entity, kind, id, 1, Some(note)).await?;
        return answer(&ui, entity, kind, f, StatusCode::OK).await;
    }
    // Only this note's row, as a form, in place of the row.
    let feed = CardFeed {
        page: sb_service::Page {
            items: vec![FeedItem::Note(n)],
            page: 1,
            limit: 1,
            has_next: false,
        },
        users: Default::default(),
        statuses: Default::default(),
        fields: Default::default(),
        calls: Default::default(),
    };
    let l = ui.layout(entity);
    let f = FeedData {
        entity,
        id,
        rows: rows(&l, &feed, ui.ctx().now()),
        next: None,
        can_edit: l.can(entity, "edit"),
        editing: Some(note),
        draft: String::new(),
        errors: FormErrors::none(),
    };
    Ok(page(&OneRow { l, f }))
}

async fn edit(ui: Ui, Path((id, note)): Path<(i64, i64)>, Form(form): Form<NoteForm>) -> UiResult {
    let (entity, kind) = entity_or_404(&ui)?;
    let item = NoteEdit {
        id: Some(note),
        params: Some(json!({ "text": form.text })),
        ..Default::default()
    };
    match notes::update(ui.ctx(), &ui.actor, kind, Some(id), vec![item]).await {
        Ok(_) => done(&ui, entity, kind, id).await,
        Err(e) => {
            let unknown = matches!(&e, ServiceError::Validation(items)
                if items.iter().flat_map(|i| i.errors.iter()).any(|fe| fe.code == "NotFound"));
            if unknown {
                return Err(ui.fail(ServiceError::NotFound));
            }
            let Some(errors) = note_errors(&ui, &e) else {
                return Err(ui.fail(e));
            };
            let mut f = load(&ui, entity, kind, id, 1, Some(note)).await?;
            f.errors = errors;
            answer(&ui, entity, kind, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn set_pin(ui: Ui, id: i64, note: i64, pinned: bool) -> UiResult {
    let (entity, kind) = entity_or_404(&ui)?;
    notes::set_pinned(ui.ctx(), &ui.actor, kind, id, note, pinned)
        .await
        .or_fail(&ui)?;
    done(&ui, entity, kind, id).await
}

async fn pin(ui: Ui, Path((id, note)): Path<(i64, i64)>) -> UiResult {
    set_pin(ui, id, note, true).await
}

async fn unpin(ui: Ui, Path((id, note)): Path<(i64, i64)>) -> UiResult {
    set_pin(ui, id, note, false).await
}

/// A call's recording for the feed's `<audio>` player, with the session's rights (a
/// 404 for a call on no card the user may see). Answers a single `Range` (the player
/// seeks with it); recordings are small, so the whole file is read either way.
async fn recording(ui: Ui, Path(id): Path<i64>, headers: HeaderMap) -> UiResult {
    let (bytes, ct) = sb_service::telephony::work::recording_for(ui.ctx(), &ui.actor, CallId(id))
        .await
        .or_fail(&ui)?;
    let total = bytes.len() as u64;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|r| byte_range(r, total));
    let mut res = match range {
        None | Some(Ranged::Ignore) => bytes.into_response(),
        Some(Ranged::Unsatisfiable) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Some(Ranged::Part(start, end)) => {
            let part = bytes[start as usize..=end as usize].to_vec();
            let mut r = (StatusCode::PARTIAL_CONTENT, part).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Private: the audio is behind the session; a shared cache must never keep it.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(res)
}

#[derive(Debug, PartialEq)]
enum Ranged {
    /// Not a single byte range we understand: the whole file (RFC 9110 allows that).
    Ignore,
    Unsatisfiable,
    /// Inclusive byte positions.
    Part(u64, u64),
}

fn byte_range(h: &str, total: u64) -> Ranged {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ranged::Ignore;
    };
    if spec.contains(',') {
        return Ranged::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ranged::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        // The last `b` bytes.
        (true, false) => match b.parse::<u64>() {
            Ok(0) => return Ranged::Unsatisfiable,
            Ok(n) => Some((total.saturating_sub(n), total.saturating_sub(1))),
            Err(_) => None,
        },
        (false, true) => a.parse::<u64>().ok().map(|s| (s, total.saturating_sub(1))),
        (false, false) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => Some((s, e.min(total.saturating_sub(1)))),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        None => Ranged::Ignore,
        Some((s, _)) if total == 0 || s >= total => Ranged::Unsatisfiable,
        Some((s, e)) => Ranged::Part(s, e),
    }
}

#[cfg(test)]
mod tests {
    use super::{byte_range, Ranged};

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_writes_them() {
        assert_eq!(byte_range("bytes=0-99", 1000), Ranged::Part(0, 99));
        assert_eq!(byte_range("bytes=900-", 1000), Ranged::Part(900, 999));
        assert_eq!(byte_range("bytes=-100", 1000), Ranged::Part(900, 999));
        assert_eq!(byte_range("bytes=0-5000", 1000), Ranged::Part(0, 999));
        assert_eq!(byte_range("bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(byte_range("bytes=5-1", 1000), Ranged::Ignore);
        assert_eq!(byte_range("bytes=0-1,5-9", 1000), Ranged::Ignore);
        assert_eq!(byte_range("items=0-1", 1000), Ranged::Ignore);
    }
}
