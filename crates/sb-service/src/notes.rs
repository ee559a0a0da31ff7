//! Notes (C9) on leads, contacts and companies, and the card feed: notes, tasks and
//! events of one entity, newest first after its pinned notes. A note is readable and writable by whoever can
//! see its entity.

use crate::cards::{check_batch_size, MAX_LIMIT};
use crate::events::{entity_visible, view_scopes, EventKind, Recorder};
use crate::Page;
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::calls::RecordingStatus;
use sb_domain::feed::{note_types as nt, Event, Note, Task};
use sb_domain::fields::FieldError;
use sb_domain::{Action, CallId, EntityKind, NoteId, UserId, Visibility};
use sb_store::events::{self, EventFilter};
use sb_store::notes::{self, NoteFilter};
use sb_store::tasks::{self, TaskFilter, TaskOrder};
use sb_store::{custom_fields, pipelines, users};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Note types the API accepts.
pub const NOTE_TYPES: [&str; 6] = [
    nt::COMMON,
    nt::CALL_IN,
    nt::CALL_OUT,
    nt::SMS_IN,
    nt::SMS_OUT,
    nt::SERVICE_MESSAGE,
];

/// How far into a feed a client may page (notes, tasks and events are merged in memory).
pub const MAX_FEED_DEPTH: i64 = 10_000;

/// Notes belong to leads, contacts and companies.
pub fn check_entity(kind: EntityKind) -> Result<(), ServiceError> {
    if kind == EntityKind::Tasks {
        return Err(ServiceError::BadRequest("tasks have no notes".into()));
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    pub request_id: Option<String>,
    pub entity_id: Option<i64>,
    pub note_type: Option<String>,
    pub params: Option<Value>,
    pub responsible_user_id: Option<i64>,
    pub created_by: Option<i64>,
    /// Unix seconds.
    pub created_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoteRef {
    pub id: i64,
    pub entity_id: i64,
    pub request_id: String,
}

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub limit: i64,
    pub entity_ids: Vec<i64>,
    pub note_types: Vec<String>,
    pub ids: Vec<i64>,
    /// Unix seconds.
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
}

fn page_of<T>(mut items: Vec<T>, page: i64, limit: i64) -> Page<T> {
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Page {
        items,
        page,
        limit,
        has_next,
    }
}

/// Notes of a kind of entity, only on entities the caller may see.
pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    p: ListParams,
) -> Result<Page<Note>, ServiceError> {
    check_entity(kind)?;
    let limit = p.limit.clamp(1, MAX_LIMIT);
    let page = p.page.max(1);
    let mut scope = view_scopes(actor);
    scope.retain(|(k, _)| *k == kind);
    if !actor.is_admin() && actor.visibility(kind, Action::View) == Visibility::None {
        return Ok(page_of(Vec::new(), page, limit));
    }
    let f = NoteFilter {
        entity_type: Some(kind),
        entity_ids: p.entity_ids,
        note_types: p.note_types,
        ids: p.ids,
        updated_from: p.updated_from.map(|s| s * 1000),
        updated_to: p.updated_to.map(|s| s * 1000 + 999),
        limit: limit + 1,
        offset: (page - 1) * limit,
        scope,
        ..Default::default()
    };
    let mut c = ctx.db.conn().await?;
    let items = notes::list(&mut c, actor.account.id, &f).await?;
    Ok(page_of(items, page, limit))
}

/// Notes of one entity; `NotFound` when the caller cannot see it.
pub async fn list_for(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    mut p: ListParams,
) -> Result<Page<Note>, ServiceError> {
    check_entity(kind)?;
    let mut c = ctx.db.conn().await?;
    if !entity_visible(&mut c, actor, kind, entity_id).await? {
        return Err(ServiceError::NotFound);
    }
    drop(c);
    p.entity_ids = vec![entity_id];
    list(ctx, actor, kind, p).await
}

pub async fn get(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    id: i64,
) -> Result<Note, ServiceError> {
    check_entity(kind)?;
    let mut c = ctx.db.conn().await?;
    let note = notes::get(&mut c, actor.account.id, NoteId(id))
        .await?
        .filter(|n| n.entity_type == kind && n.entity_id == entity_id)
        .ok_or(ServiceError::NotFound)?;
    if !entity_visible(&mut c, actor, kind, entity_id).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(note)
}

fn text_param(
    params: &Map<String, Value>,
    key: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) {
    let path = format!("params.{key}");
    match params.get(key) {
        None | Some(Value::Null) if required => errors.push(FieldError::required(path)),
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if required && s.trim().is_empty() => {
            errors.push(FieldError::required(path))
        }
        Some(Value::String(s)) if s.chars().count() > 65_535 => errors.push(FieldError::new(
            "InvalidLength",
            path,
            "The value is too long.",
        )),
        Some(Value::String(_)) => {}
        Some(_) => errors.push(FieldError::invalid_type(path, "string")),
    }
}

fn int_param(
    params: &Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
    required: bool,
    errors: &mut Vec<FieldError>,
) {
    let path = format!("params.{key}");
    match params.get(key) {
        None | Some(Value::Null) if required => errors.push(FieldError::required(path)),
        None | Some(Value::Null) => {}
        Some(v) => match v.as_i64() {
            Some(n) if range.contains(&n) => {}
            Some(_) => errors.push(FieldError::not_supported(path)),
            None => errors.push(FieldError::invalid_type(path, "int")),
        },
    }
}

/// Checks a note's type and params; returns the params to store.
fn check_params(
    note_type: Option<&str>,
    params: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> Option<(String, Value)> {
    let Some(t) = note_type.map(str::trim) else {
        errors.push(FieldError::required("note_type"));
        return None;
    };
    if !NOTE_TYPES.contains(&t) {
        errors.push(FieldError::not_supported("note_type"));
        return None;
    }
    let empty = Map::new();
    let p = match params {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            errors.push(FieldError::invalid_type("params", "object"));
            return None;
        }
    };
    let before = errors.len();
    match t {
        nt::COMMON => text_param(p, "text", true, errors),
        nt::SERVICE_MESSAGE => {
            text_param(p, "text", true, errors);
            text_param(p, "service", false, errors);
        }
        nt::SMS_IN | nt::SMS_OUT => {
            text_param(p, "text", true, errors);
            text_param(p, "phone", true, errors);
        }
        _ => {
            // call_in / call_out
            text_param(p, "uniq", false, errors);
            int_param(p, "duration", 0..=i64::from(u32::MAX), true, errors);
            text_param(p, "source", true, errors);
            text_param(p, "phone", true, errors);
            text_param(p, "link", false, errors);
            if let Some(Value::String(l)) = p.get("link") {
                if !(l.is_empty() || l.starts_with("http://") || l.starts_with("https://")) {
                    errors.push(FieldError::new(
                        "InvalidUrl",
                        "params.link",
                        "This value is not a valid URL.",
                    ));
                }
            }
            text_param(p, "call_result", false, errors);
            int_param(p, "call_status", 1..=7, false, errors);
            match p.get("call_responsible") {
                None | Some(Value::Null) | Some(Value::String(_)) | Some(Value::Number(_)) => {}
                Some(_) => errors.push(FieldError::invalid_type(
                    "params.call_responsible",
                    "int or string",
                )),
            }
        }
    }
    (errors.len() == before).then(|| (t.to_string(), Value::Object(p.clone())))
}

/// Adds notes, all or nothing. With `path_entity` (POST `/{e}/{id}/notes`) every note
/// goes on that entity; otherwise each item names its `entity_id`.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    path_entity: Option<i64>,
    items: Vec<NoteInput>,
) -> Result<Vec<NoteRef>, ServiceError> {
    check_entity(kind)?;
    check_batch_size(items.len())?;
    let mut c = ctx.db.conn().await?;
    let user_ids: Vec<i64> = users::list(&mut c, actor.account.id)
        .await?
        .into_iter()
        .map(|u| u.id.0)
        .collect();
    let now = ctx.now();
    let mut out = Vec::with_capacity(items.len());
    let mut refs = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    let mut visible: Vec<(i64, bool)> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let entity_id = path_entity.or(item.entity_id);
        match entity_id {
            None => errors.push(FieldError::required("entity_id")),
            Some(id) => {
                let seen = match visible.iter().find(|v| v.0 == id) {
                    Some(v) => v.1,
                    None => {
                        let ok = entity_visible(&mut c, actor, kind, id).await?;
                        visible.push((id, ok));
                        ok
                    }
                };
                if !seen {
                    errors.push(FieldError::not_supported("entity_id"));
                }
            }
        }
        for (path, v) in [
            ("responsible_user_id", item.responsible_user_id),
            ("created_by", item.created_by),
        ] {
            if v.is_some_and(|u| u != 0 && !user_ids.contains(&u)) {
                errors.push(FieldError::not_supported(path));
            }
        }
        let checked = check_params(item.note_type.as_deref(), item.params.as_ref(), &mut errors);
        let (Some(entity_id), Some((note_type, params)), true) =
            (entity_id, checked, errors.is_empty())
        else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        let by = UserId(
            item.created_by
                .filter(|u| *u != 0)
                .unwrap_or(actor.user.id.0),
        );
        let created_at = item.created_at.map(|s| s * 1000).unwrap_or(now);
        let n = Note {
            id: NoteId(ctx.next_id()),
            account_id: actor.account.id,
            entity_type: kind,
            entity_id,
            note_type,
            params,
            created_by: by,
            updated_by: by,
            responsible_user_id: Some(UserId(
                item.responsible_user_id
                    .filter(|u| *u != 0)
                    .unwrap_or(actor.user.id.0),
            )),
            created_at,
            updated_at: created_at.max(now),
            is_pinned: false,
        };
        refs.push(NoteRef {
            id: n.id.0,
            entity_id,
            request_id: rid,
        });
        out.push(n);
    }
    drop(c);
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let mut rec = Recorder::new(ctx, actor);
    for n in &out {
        let t = match n.note_type.as_str() {
            nt::COMMON => Some(EventKind::CommonNoteAdded),
            nt::CALL_IN => Some(EventKind::IncomingCall),
            nt::CALL_OUT => Some(EventKind::OutgoingCall),
            _ => None,
        };
        if let Some(t) = t {
            rec.record(
                t,
                kind,
                n.entity_id,
                json!([]),
                json!([{"note": {"id": n.id.0}}]),
            );
        }
    }
    let mut tx = ctx.db.begin().await?;
    notes::insert_many(&mut tx, &out).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(refs)
}

/// One item of a note update batch: `id` names the note; only the text params of
/// `common`, `service_message` and `sms_in|out` notes can change.
#[derive(Debug, Clone, Default)]
pub struct NoteEdit {
    pub request_id: Option<String>,
    pub id: Option<i64>,
    /// Optional; when given it must be the note's own type.
    pub note_type: Option<String>,
    pub params: Option<Value>,
}

/// The params keys an edit may change, by note type (`None`: not editable). Call
/// records are what the PBX reported and stay as they are.
fn editable_params(note_type: &str) -> Option<&'static [&'static str]> {
    match note_type {
        nt::COMMON | nt::SMS_IN | nt::SMS_OUT => Some(&["text"]),
        nt::SERVICE_MESSAGE => Some(&["text", "service"]),
        _ => None,
    }
}

fn not_found_id() -> FieldError {
    FieldError::new("NotFound", "id", "Entity not found.")
}

/// A note of `kind` (on `entity` when given) that the caller may write: the same rule
/// as adding one, i.e. its entity is inside the caller's view scope. `visible` caches
/// entity checks across a batch.
async fn writable_note(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    kind: EntityKind,
    entity: Option<i64>,
    id: i64,
    visible: &mut Vec<(i64, bool)>,
) -> Result<Option<Note>, ServiceError> {
    let n = notes::get(c, actor.account.id, NoteId(id)).await?;
    writable(c, actor, kind, entity, n, visible).await
}

/// `n` if the caller may write it (see [`writable_note`]).
async fn writable(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    kind: EntityKind,
    entity: Option<i64>,
    n: Option<Note>,
    visible: &mut Vec<(i64, bool)>,
) -> Result<Option<Note>, ServiceError> {
    let Some(n) = n.filter(|n| n.entity_type == kind && entity.is_none_or(|e| e == n.entity_id))
    else {
        return Ok(None);
    };
    let seen = match visible.iter().find(|v| v.0 == n.entity_id) {
        Some(v) => v.1,
        None => {
            let ok = entity_visible(c, actor, kind, n.entity_id).await?;
            visible.push((n.entity_id, ok));
            ok
        }
    };
    Ok(seen.then_some(n))
}

/// Edits notes, all or nothing (`PATCH /{e}/notes`, `/{e}/{id}/notes`,
/// `/{e}/{id}/notes/{note_id}`). Unknown notes, notes of another entity and notes on
/// entities outside the caller's view all answer `NotFound` on `id`. No event is
/// written: Kommo's event log has no type for an edited note.
///
/// The notes are read inside the write transaction (see [`notes::lock_many`]): two
/// concurrent edits of one note take turns, and the second merges its params into what
/// the first wrote instead of writing the first one's keys (or a pin set meanwhile) back.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    path_entity: Option<i64>,
    items: Vec<NoteEdit>,
) -> Result<Vec<NoteRef>, ServiceError> {
    check_entity(kind)?;
    check_batch_size(items.len())?;
    let mut tx = ctx.db.begin().await?;
    let ids: Vec<NoteId> = items.iter().filter_map(|i| i.id.map(NoteId)).collect();
    let stored: HashMap<i64, Note> = notes::lock_many(&mut tx, actor.account.id, &ids)
        .await?
        .into_iter()
        .map(|n| (n.id.0, n))
        .collect();
    let now = ctx.now();
    let mut out: Vec<Note> = Vec::with_capacity(items.len());
    let mut refs = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    let mut visible: Vec<(i64, bool)> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let current = match item.id {
            None => {
                errors.push(FieldError::required("id"));
                None
            }
            // A note edited earlier in the batch is edited again from that version.
            Some(id) => match out.iter().rev().find(|n| n.id.0 == id) {
                Some(n) => Some(n.clone()),
                None => {
                    let n = stored.get(&id).cloned();
                    writable(&mut tx, actor, kind, path_entity, n, &mut visible).await?
                }
            },
        };
        let Some(mut note) = current else {
            if errors.is_empty() {
                errors.push(not_found_id());
            }
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        if item
            .note_type
            .as_deref()
            .is_some_and(|t| t.trim() != note.note_type)
        {
            errors.push(FieldError::new(
                "NotSupportedChoice",
                "note_type",
                "A note's type cannot be changed.",
            ));
        }
        let keys = editable_params(&note.note_type);
        match (keys, item.params.as_ref()) {
            (None, _) => errors.push(FieldError::new(
                "NotSupportedChoice",
                "note_type",
                format!(
                    "{} notes cannot be edited; only common, service_message, sms_in and sms_out",
                    note.note_type
                ),
            )),
            (Some(_), None | Some(Value::Null)) => errors.push(FieldError::required("params")),
            (Some(_), Some(v)) if !v.is_object() => {
                errors.push(FieldError::invalid_type("params", "object"))
            }
            (Some(keys), Some(v)) => {
                let mut merged = match &note.params {
                    Value::Object(m) => m.clone(),
                    _ => Map::new(),
                };
                for (k, val) in v.as_object().into_iter().flatten() {
                    if keys.contains(&k.as_str()) {
                        merged.insert(k.clone(), val.clone());
                    } else {
                        errors.push(FieldError::not_supported(format!("params.{k}")));
                    }
                }
                let merged = Value::Object(merged);
                if let Some((_, p)) =
                    check_params(Some(&note.note_type), Some(&merged), &mut errors)
                {
                    note.params = p;
                }
            }
        }
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        }
        note.updated_by = actor.user.id;
        note.updated_at = now;
        refs.push(NoteRef {
            id: note.id.0,
            entity_id: note.entity_id,
            request_id: rid,
        });
        out.retain(|n| n.id != note.id);
        out.push(note);
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    for n in &out {
        notes::update(&mut tx, n).await?;
    }
    tx.commit().await?;
    Ok(refs)
}

/// Pins or unpins one note (`POST /{e}/{id}/notes/{note_id}/pin|unpin`), with the
/// write rule of [`update`]; answers the note as it is now.
pub async fn set_pinned(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    id: i64,
    pinned: bool,
) -> Result<Note, ServiceError> {
    check_entity(kind)?;
    let mut c = ctx.db.conn().await?;
    let mut note = writable_note(&mut c, actor, kind, Some(entity_id), id, &mut Vec::new())
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    if note.is_pinned != pinned {
        let now = ctx.now();
        let mut tx = ctx.db.begin().await?;
        notes::set_pinned(
            &mut tx,
            actor.account.id,
            note.id,
            pinned,
            actor.user.id,
            now,
        )
        .await?;
        tx.commit().await?;
        note.is_pinned = pinned;
        note.updated_by = actor.user.id;
        note.updated_at = now;
    }
    Ok(note)
}

/// One entry of a card's feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    Note(Note),
    Task(Task),
    Event(Event),
}

impl FeedItem {
    pub fn created_at(&self) -> i64 {
        match self {
            FeedItem::Note(n) => n.created_at,
            FeedItem::Task(t) => t.created_at,
            FeedItem::Event(e) => e.created_at,
        }
    }
    fn is_pinned(&self) -> bool {
        matches!(self, FeedItem::Note(n) if n.is_pinned)
    }
    fn id(&self) -> i64 {
        match self {
            FeedItem::Note(n) => n.id.0,
            FeedItem::Task(t) => t.id.0,
            FeedItem::Event(e) => e.id,
        }
    }
}

/// The feed of one card (Switchboard's extension): its notes, the tasks about it that
/// the caller may see, and its events, newest first.
pub async fn feed(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    page: i64,
    limit: i64,
) -> Result<Page<FeedItem>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    feed_on(&mut c, actor, kind, entity_id, page, limit, Vec::new()).await
}

/// [`feed`] on a connection, with only the events of `event_types` (all when empty).
async fn feed_on(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    page: i64,
    limit: i64,
    event_types: Vec<String>,
) -> Result<Page<FeedItem>, ServiceError> {
    check_entity(kind)?;
    let limit = limit.clamp(1, MAX_LIMIT);
    let page = page.max(1);
    let depth = page * limit + 1;
    if depth > MAX_FEED_DEPTH {
        return Err(ServiceError::BadRequest(format!(
            "a feed can be paged {MAX_FEED_DEPTH} items deep; filter notes, tasks or events instead"
        )));
    }
    let account = actor.account.id;
    if !entity_visible(c, actor, kind, entity_id).await? {
        return Err(ServiceError::NotFound);
    }
    let ns = notes::list(
        c,
        account,
        &NoteFilter {
            entity_type: Some(kind),
            entity_ids: vec![entity_id],
            pinned_first: true,
            limit: depth,
            ..Default::default()
        },
    )
    .await?;
    let ts = tasks::list(
        c,
        account,
        &TaskFilter {
            entity_type: Some(kind),
            entity_ids: vec![entity_id],
            order_by: TaskOrder::CreatedAt,
            desc: true,
            limit: depth,
            ..Default::default()
        },
        actor.visibility(EntityKind::Tasks, Action::View),
    )
    .await?;
    let es = events::list(
        c,
        account,
        &EventFilter {
            types: event_types,
            entity_type: Some(kind),
            entity_ids: vec![entity_id],
            limit: depth,
            ..Default::default()
        },
    )
    .await?;
    let mut all: Vec<FeedItem> = ns
        .into_iter()
        .map(FeedItem::Note)
        .chain(ts.into_iter().map(FeedItem::Task))
        .chain(es.into_iter().map(FeedItem::Event))
        .collect();
    // Pinned notes head the feed (newest pinned first), then everything by time. The
    // notes query orders pinned ones first too, so none is cut off by `depth`.
    all.sort_by_key(|f| std::cmp::Reverse((f.is_pinned(), f.created_at(), f.id())));
    let items: Vec<FeedItem> = all
        .into_iter()
        .skip(((page - 1) * limit) as usize)
        .collect();
    Ok(page_of(items, page, limit))
}

/// A call note's call, as the card's player needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCall {
    pub call_id: CallId,
    /// `None` when the PBX made no recording of it.
    pub recording: Option<RecordingStatus>,
}

/// A card's feed as a page shows it: the items, and the names the items refer to by id
/// (users, stages, fields) and the call behind each call note, looked up once per page.
pub struct CardFeed {
    pub page: Page<FeedItem>,
    /// Every user of the account by id (authors, responsible users, managers on calls).
    pub users: HashMap<i64, String>,
    /// Stage id -> (pipeline name, stage name), when the page has a stage change.
    pub statuses: HashMap<i64, (String, String)>,
    /// Custom field id -> name, when the page has a field change.
    pub fields: HashMap<i64, String>,
    /// Note id -> its call, for call notes whose call Switchboard recorded.
    pub calls: HashMap<i64, FeedCall>,
}

/// Events a card's page leaves out of its feed: each only announces a note that the
/// feed shows itself.
const NOTE_EVENTS: [EventKind; 3] = [
    EventKind::IncomingCall,
    EventKind::OutgoingCall,
    EventKind::CommonNoteAdded,
];

/// The call id in a call note's `link`, when the link is Switchboard's own player URL
/// (`/api/v4/calls/{id}/recording`; a link a client gave through the API is not).
pub fn call_of_link(link: &str) -> Option<CallId> {
    link.strip_prefix("/api/v4/calls/")?
        .strip_suffix("/recording")?
        .parse()
        .ok()
        .map(CallId)
}

/// The feed of one card for its page (the web UI): like [`feed`] without the events
/// that only announce a note, with what it names resolved. `NotFound` when the caller
/// cannot see the card.
pub async fn card_feed(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    page: i64,
    limit: i64,
) -> Result<CardFeed, ServiceError> {
    let types: Vec<String> = EventKind::ALL
        .iter()
        .filter(|k| !NOTE_EVENTS.contains(k))
        .map(|k| k.as_str().to_string())
        .collect();
    let account = actor.account.id;
    let mut c = ctx.db.conn().await?;
    let page = feed_on(&mut c, actor, kind, entity_id, page, limit, types).await?;
    let users = users::list(&mut c, account)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.name))
        .collect();
    let has_event = |t: EventKind| {
        page.items
            .iter()
            .any(|i| matches!(i, FeedItem::Event(e) if e.event_type == t.as_str()))
    };
    let mut statuses = HashMap::new();
    if has_event(EventKind::LeadStatusChanged) {
        for p in pipelines::list(&mut c, account).await? {
            for st in p.statuses {
                statuses.insert(st.id.0, (p.name.clone(), st.name));
            }
        }
    }
    let mut fields = HashMap::new();
    if has_event(EventKind::CustomFieldValueChanged) {
        for d in custom_fields::list(&mut c, account, kind.as_str()).await? {
            fields.insert(d.id.0, d.name);
        }
    }
    let call_notes: Vec<(i64, CallId)> = page
        .items
        .iter()
        .filter_map(|i| match i {
            FeedItem::Note(n) if n.note_type == nt::CALL_IN || n.note_type == nt::CALL_OUT => {
                let call = n
                    .params
                    .get("link")
                    .and_then(Value::as_str)
                    .and_then(call_of_link)?;
                Some((n.id.0, call))
            }
            _ => None,
        })
        .collect();
    let mut calls = HashMap::new();
    if !call_notes.is_empty() {
        let ids: Vec<CallId> = call_notes.iter().map(|(_, c)| *c).collect();
        let found: HashMap<CallId, Option<RecordingStatus>> =
            sb_store::calls::get_many(&mut c, account, &ids)
                .await?
                .into_iter()
                .map(|s| (s.id, s.data.recording_status))
                .collect();
        for (note, call) in call_notes {
            if let Some(rec) = found.get(&call) {
                calls.insert(
                    note,
                    FeedCall {
                        call_id: call,
                        recording: *rec,
                    },
                );
            }
        }
    }
    Ok(CardFeed {
        page,
        users,
        statuses,
        fields,
        calls,
    })
}
