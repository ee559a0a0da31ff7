//! Tasks (C8): a responsible user and a deadline are required; optionally about a lead,
//! contact or company the caller can see; completed with a result. Rights follow the
//! task's responsible user (`EntityKind::Tasks`).

use crate::cards::{check_batch_size, MAX_LIMIT};
use crate::events::{entity_visible, EventKind, Recorder};
use crate::Page;
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::entities::CardKind;
use sb_domain::feed::{note_types, parse_entity_kind, task_types, Note, Task, TaskType};
use sb_domain::fields::FieldError;
use sb_domain::tags::name_key;
use sb_domain::{Action, EntityKind, GroupId, LeadId, NoteId, TaskId, UserId, Visibility};
pub use sb_store::tasks::TaskOrder;
use sb_store::tasks::{self, TaskFilter};
use sb_store::users;
use serde_json::json;
use std::collections::HashMap;

/// Longest task text, in characters.
pub const MAX_TEXT_CHARS: usize = 65_535;

/// One item of a create or update batch, as the API parsed it.
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub request_id: Option<String>,
    pub id: Option<i64>,
    pub text: Option<String>,
    /// Unix seconds.
    pub complete_till: Option<i64>,
    pub responsible_user_id: Option<i64>,
    /// `leads`, `contacts`, `companies` (singular accepted).
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub task_type_id: Option<i64>,
    pub duration: Option<i64>,
    pub is_completed: Option<bool>,
    /// `result.text`.
    pub result_text: Option<String>,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRef {
    pub id: i64,
    pub request_id: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub limit: i64,
    pub ids: Vec<i64>,
    pub responsible: Vec<i64>,
    pub is_completed: Option<bool>,
    pub task_type_ids: Vec<i64>,
    pub entity_type: Option<EntityKind>,
    pub entity_ids: Vec<i64>,
    /// Unix seconds.
    pub complete_till_from: Option<i64>,
    pub complete_till_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    pub order_by: TaskOrder,
    pub desc: bool,
}

pub async fn list(ctx: &Ctx, actor: &Actor, p: ListParams) -> Result<Page<Task>, ServiceError> {
    let vis = actor.visibility(EntityKind::Tasks, Action::View);
    let limit = p.limit.clamp(1, MAX_LIMIT);
    let page = p.page.max(1);
    let f = TaskFilter {
        ids: p.ids,
        responsible: p.responsible,
        is_completed: p.is_completed,
        task_type_ids: p.task_type_ids,
        entity_type: p.entity_type,
        entity_ids: p.entity_ids,
        complete_till_from: p.complete_till_from.map(|s| s * 1000),
        complete_till_to: p.complete_till_to.map(|s| s * 1000 + 999),
        updated_from: p.updated_from.map(|s| s * 1000),
        updated_to: p.updated_to.map(|s| s * 1000 + 999),
        order_by: p.order_by,
        desc: p.desc,
        limit: limit + 1,
        offset: (page - 1) * limit,
    };
    let mut c = ctx.db.conn().await?;
    let mut items = tasks::list(&mut c, actor.account.id, &f, vis).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(Page {
        items,
        page,
        limit,
        has_next,
    })
}

/// The tasks about one lead, contact or company (open ones, or all), soonest deadline
/// first; `NotFound` when the caller cannot see that entity, as for its card.
pub async fn list_for(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    entity_id: i64,
    open_only: bool,
) -> Result<Vec<Task>, ServiceError> {
    if kind == EntityKind::Tasks {
        return Err(ServiceError::NotFound);
    }
    let mut c = ctx.db.conn().await?;
    if !entity_visible(&mut c, actor, kind, entity_id).await? {
        return Err(ServiceError::NotFound);
    }
    let f = TaskFilter {
        entity_type: Some(kind),
        entity_ids: vec![entity_id],
        is_completed: open_only.then_some(false),
        order_by: TaskOrder::CompleteTill,
        limit: MAX_LIMIT,
        ..Default::default()
    };
    Ok(tasks::list(
        &mut c,
        actor.account.id,
        &f,
        actor.visibility(EntityKind::Tasks, Action::View),
    )
    .await?)
}

pub async fn get(ctx: &Ctx, actor: &Actor, id: i64) -> Result<Task, ServiceError> {
    let vis = actor.visibility(EntityKind::Tasks, Action::View);
    let mut c = ctx.db.conn().await?;
    tasks::get(&mut c, actor.account.id, TaskId(id), vis)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The task types an account offers: the built-in ones, then its own.
pub async fn task_types(ctx: &Ctx, actor: &Actor) -> Result<Vec<TaskType>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let mut out = TaskType::builtin().to_vec();
    out.extend(tasks::list_types(&mut c, actor.account.id).await?);
    Ok(out)
}

/// One item of a task-type create batch.
#[derive(Debug, Clone, Default)]
pub struct TaskTypeInput {
    pub request_id: Option<String>,
    pub name: Option<String>,
    pub color: Option<String>,
    pub icon_id: Option<i64>,
}

/// Longest task type name, in characters.
pub const MAX_TYPE_NAME_CHARS: usize = 255;

/// Adds an account's own task types (admins only), all or nothing. Kommo has no
/// public endpoint for this; Switchboard serves `POST /api/v4/tasks/types`. A name
/// already taken (the built-in ones included, in any case) is refused.
pub async fn create_types(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<TaskTypeInput>,
) -> Result<Vec<(String, TaskType)>, ServiceError> {
    actor.require_admin()?;
    check_batch_size(items.len())?;
    let existing = task_types(ctx, actor).await?;
    let mut taken: Vec<String> = existing.iter().map(|t| name_key(&t.name)).collect();
    let mut out = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let name = item
            .name
            .as_deref()
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "));
        match &name {
            None => errors.push(FieldError::required("name")),
            Some(n) if n.is_empty() => errors.push(FieldError::required("name")),
            Some(n) if n.chars().count() > MAX_TYPE_NAME_CHARS => errors.push(FieldError::new(
                "InvalidLength",
                "name",
                "This value is too long: at most 255 characters.",
            )),
            Some(n) if taken.contains(&name_key(n)) => errors.push(FieldError::new(
                "NotUnique",
                "name",
                "A task type with this name already exists.",
            )),
            Some(_) => {}
        }
        let color = match item.color.as_deref().filter(|c| !c.trim().is_empty()) {
            None => None,
            Some(c) => {
                let checked = crate::tags::check_color(c);
                if checked.is_none() {
                    errors.push(FieldError::not_supported("color"));
                }
                checked
            }
        };
        if item.icon_id.is_some_and(|i| i < 0) {
            errors.push(FieldError::not_supported("icon_id"));
        }
        match (name, errors.is_empty()) {
            (Some(name), true) => {
                taken.push(name_key(&name));
                out.push((
                    rid,
                    TaskType {
                        id: ctx.next_id(),
                        name,
                        color,
                        icon_id: item.icon_id,
                        code: None,
                    },
                ));
            }
            _ => all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            }),
        }
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    for (_, t) in &out {
        tasks::insert_type(
            &mut tx,
            &tasks::NewTaskType {
                account_id: actor.account.id,
                task_type: t.clone(),
                name_key: name_key(&t.name),
                created_by: actor.user.id,
                created_at: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

struct Checks {
    users: HashMap<i64, Option<GroupId>>,
    /// Ids of the account's task types (built-in and own).
    task_types: Vec<i64>,
}

async fn load_checks(ctx: &Ctx, actor: &Actor) -> Result<Checks, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let users = users::list(&mut c, actor.account.id)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.group_id))
        .collect();
    let mut task_types = vec![task_types::FOLLOW_UP, task_types::MEETING];
    task_types.extend(
        tasks::list_types(&mut c, actor.account.id)
            .await?
            .into_iter()
            .map(|t| t.id),
    );
    Ok(Checks { users, task_types })
}

/// Checks what create and update share; returns the entity the task is about when
/// the item names one (`Some(None)` detaches).
async fn check_item(
    ctx: &Ctx,
    actor: &Actor,
    ck: &Checks,
    item: &TaskInput,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Option<(EntityKind, i64)>>, ServiceError> {
    for (path, v) in [
        ("responsible_user_id", item.responsible_user_id),
        ("created_by", item.created_by),
        ("updated_by", item.updated_by),
    ] {
        if let Some(u) = v {
            if u != 0 && !ck.users.contains_key(&u) {
                errors.push(FieldError::not_supported(path));
            }
        }
    }
    if let Some(t) = &item.text {
        if t.trim().is_empty() {
            errors.push(FieldError::required("text"));
        } else if t.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError::new(
                "InvalidLength",
                "text",
                "The text is too long.",
            ));
        }
    }
    if let Some(t) = item.task_type_id {
        if !ck.task_types.contains(&t) {
            errors.push(FieldError::not_supported("task_type_id"));
        }
    }
    if item.duration.is_some_and(|d| d < 0) {
        errors.push(FieldError::new(
            "InvalidValue",
            "duration",
            "The duration is negative.",
        ));
    }
    if item.complete_till.is_some_and(|t| t <= 0) {
        errors.push(FieldError::invalid_type("complete_till", "timestamp"));
    }
    let entity = match (item.entity_type.as_deref(), item.entity_id) {
        (None, None) => None,
        (Some(t), id) => {
            let kind = parse_entity_kind(t.trim()).filter(|k| *k != EntityKind::Tasks);
            match (kind, id) {
                (None, _) => {
                    errors.push(FieldError::not_supported("entity_type"));
                    None
                }
                (Some(_), None) | (Some(_), Some(0)) => {
                    errors.push(FieldError::required("entity_id"));
                    None
                }
                (Some(k), Some(id)) => {
                    let mut c = ctx.db.conn().await?;
                    if entity_visible(&mut c, actor, k, id).await? {
                        Some(Some((k, id)))
                    } else {
                        errors.push(FieldError::not_supported("entity_id"));
                        None
                    }
                }
            }
        }
        (None, Some(0)) => Some(None),
        (None, Some(_)) => {
            errors.push(FieldError::required("entity_type"));
            None
        }
    };
    Ok(entity)
}

fn completion(rec: &mut Recorder<'_>, t: &Task) {
    rec.record(
        EventKind::TaskCompleted,
        EntityKind::Tasks,
        t.id.0,
        json!([]),
        json!([{"task": {"id": t.id.0, "result": {"text": t.result_text}}}]),
    );
}

/// The note a completed task's result becomes on the task's entity (C8): what was done
/// belongs in the card's feed with the rest of its history, not only on the task. None
/// for a task about nothing or completed without a result text.
fn result_note(ctx: &Ctx, actor: &Actor, t: &Task, now: i64) -> Option<Note> {
    let (kind, entity_id) = (t.entity_type?, t.entity_id?);
    let text = t
        .result_text
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    Some(Note {
        id: NoteId(ctx.next_id()),
        account_id: actor.account.id,
        entity_type: kind,
        entity_id,
        note_type: note_types::COMMON.to_string(),
        params: json!({"text": text}),
        created_by: actor.user.id,
        updated_by: actor.user.id,
        responsible_user_id: Some(t.responsible_user_id),
        created_at: now,
        updated_at: now,
        is_pinned: false,
    })
}

/// Writes the result notes of tasks just completed, with the event a note added by hand
/// would have.
async fn write_result_notes(
    tx: &mut sb_store::Tx,
    rec: &mut Recorder<'_>,
    notes: &[Note],
) -> Result<(), ServiceError> {
    if notes.is_empty() {
        return Ok(());
    }
    sb_store::notes::insert_many(tx, notes).await?;
    for n in notes {
        rec.record(
            EventKind::CommonNoteAdded,
            n.entity_type,
            n.entity_id,
            json!([]),
            json!([{"note": {"id": n.id.0}}]),
        );
    }
    Ok(())
}

/// The entities these tasks are about, for [`entity_names`].
pub fn entities_of(items: &[Task]) -> Vec<(EntityKind, i64)> {
    items
        .iter()
        .filter_map(|t| Some((t.entity_type?, t.entity_id?)))
        .collect()
}

/// The names of these leads, contacts and companies (say, the ones tasks are about),
/// among those the caller may see: an entity outside their scope has no name here, so a
/// page shows no link to it.
pub async fn entity_names(
    ctx: &Ctx,
    actor: &Actor,
    entities: &[(EntityKind, i64)],
) -> Result<HashMap<(EntityKind, i64), String>, ServiceError> {
    let ids = |kind: EntityKind| -> Vec<i64> {
        let mut v: Vec<i64> = entities
            .iter()
            .filter(|e| e.0 == kind)
            .map(|e| e.1)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let a = actor.account.id;
    let mut out = HashMap::new();
    let mut c = ctx.db.conn().await?;
    let lead_ids: Vec<LeadId> = ids(EntityKind::Leads).into_iter().map(LeadId).collect();
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    if !lead_ids.is_empty() && vis != Visibility::None {
        for l in sb_store::leads::get_many(&mut c, a, &lead_ids, vis).await? {
            out.insert((EntityKind::Leads, l.id.0), l.name);
        }
    }
    for kind in [CardKind::Contact, CardKind::Company] {
        let ek = kind.entity_kind();
        let vis = actor.visibility(ek, Action::View);
        let wanted = ids(ek);
        if wanted.is_empty() || vis == Visibility::None {
            continue;
        }
        for card in sb_store::cards::get_many(&mut c, a, kind, &wanted, vis).await? {
            out.insert((ek, card.id), card.name);
        }
    }
    Ok(out)
}

/// Creates tasks, all or nothing.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<TaskInput>,
) -> Result<Vec<TaskRef>, ServiceError> {
    if !actor.can(EntityKind::Tasks, Action::Add) {
        return Err(ServiceError::Forbidden("you may not add tasks".into()));
    }
    check_batch_size(items.len())?;
    let ck = load_checks(ctx, actor).await?;
    let now = ctx.now();
    let mut out = Vec::with_capacity(items.len());
    let mut refs = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        if item.text.is_none() {
            errors.push(FieldError::required("text"));
        }
        if item.complete_till.is_none() {
            errors.push(FieldError::required("complete_till"));
        }
        let entity = check_item(ctx, actor, &ck, &item, &mut errors).await?;
        let (Some(text), Some(till), true) = (&item.text, item.complete_till, errors.is_empty())
        else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        let by = |v: Option<i64>| UserId(v.filter(|u| *u != 0).unwrap_or(actor.user.id.0));
        let created_at = item.created_at.map(|s| s * 1000).unwrap_or(now);
        let entity = entity.flatten();
        let done = item.is_completed.unwrap_or(false);
        let t = Task {
            id: TaskId(ctx.next_id()),
            account_id: actor.account.id,
            responsible_user_id: by(item.responsible_user_id),
            entity_type: entity.map(|e| e.0),
            entity_id: entity.map(|e| e.1),
            task_type_id: item.task_type_id.unwrap_or(task_types::FOLLOW_UP),
            text: text.trim().to_string(),
            complete_till: till * 1000,
            is_completed: done,
            result_text: item.result_text.clone().filter(|_| done),
            duration: item.duration.unwrap_or(0),
            phone_e164: None,
            created_by: by(item.created_by),
            updated_by: by(item.updated_by),
            created_at,
            updated_at: item
                .updated_at
                .map(|s| s * 1000)
                .unwrap_or(created_at.max(now)),
        };
        refs.push(TaskRef {
            id: t.id.0,
            request_id: rid,
            updated_at: t.updated_at,
        });
        out.push(t);
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let mut rec = Recorder::new(ctx, actor);
    let notes: Vec<Note> = out
        .iter()
        .filter(|t| t.is_completed)
        .filter_map(|t| result_note(ctx, actor, t, now))
        .collect();
    let mut tx = ctx.db.begin().await?;
    for t in &out {
        tasks::insert(&mut tx, t).await?;
        rec.added(
            EntityKind::Tasks,
            t.id.0,
            json!([{"task": {"id": t.id.0, "entity_type": t.entity_type.map(|k| k.as_str()), "entity_id": t.entity_id}}]),
        );
        if t.is_completed {
            completion(&mut rec, t);
        }
    }
    write_result_notes(&mut tx, &mut rec, &notes).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(refs)
}

/// Updates tasks (each names its `id`), all or nothing; `is_completed: true` with
/// `result.text` completes one.
///
/// The tasks are read inside the write transaction (see [`tasks::lock_many`]): two
/// concurrent updates of one task take turns, and the second builds on what the first
/// wrote instead of writing the fields the first changed back.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<TaskInput>,
) -> Result<Vec<TaskRef>, ServiceError> {
    check_batch_size(items.len())?;
    let ck = load_checks(ctx, actor).await?;
    // Checked before the write transaction: checking an entity reads on a connection
    // of its own, which must not wait while this request holds the turn to write.
    let mut checked = Vec::with_capacity(items.len());
    for item in items {
        let mut errors = Vec::new();
        let entity = match item.id {
            Some(_) => check_item(ctx, actor, &ck, &item, &mut errors).await?,
            None => None,
        };
        checked.push(Checked {
            item,
            entity,
            errors,
        });
    }
    let mut tx = ctx.db.begin().await?;
    let existing = lock_existing(&mut tx, actor, &checked).await?;
    let (writes, refs) = plan_updates(ctx, actor, &ck, checked, &existing)?;
    let mut rec = Recorder::new(ctx, actor);
    let now = ctx.now();
    let mut notes = Vec::new();
    for (t, old) in &writes {
        tasks::update(&mut tx, t).await?;
        rec.responsible(
            EntityKind::Tasks,
            t.id.0,
            Some(old.responsible_user_id),
            Some(t.responsible_user_id),
        );
        if t.is_completed && !old.is_completed {
            completion(&mut rec, t);
            notes.extend(result_note(ctx, actor, t, now));
        }
    }
    write_result_notes(&mut tx, &mut rec, &notes).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(refs)
}

/// A task as an update leaves it, and as it was.
type TaskChange = (Task, Task);

/// An update item with what [`check_item`] found.
struct Checked {
    item: TaskInput,
    entity: Option<Option<(EntityKind, i64)>>,
    errors: Vec<FieldError>,
}

/// The tasks a batch names that the caller may see, by id, read and held in `tx`.
async fn lock_existing(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    items: &[Checked],
) -> Result<HashMap<i64, Task>, ServiceError> {
    let view = actor.visibility(EntityKind::Tasks, Action::View);
    let ids: Vec<TaskId> = items.iter().filter_map(|c| c.item.id.map(TaskId)).collect();
    Ok(tasks::lock_many(tx, actor.account.id, &ids, view)
        .await?
        .into_iter()
        .map(|t| (t.id.0, t))
        .collect())
}

/// Checks rights and every item against the tasks as stored and applies the changes;
/// returns each task with how it was. All items' errors are reported together, a task
/// the caller may not edit ends the batch at once.
fn plan_updates(
    ctx: &Ctx,
    actor: &Actor,
    ck: &Checks,
    items: Vec<Checked>,
    existing: &HashMap<i64, Task>,
) -> Result<(Vec<TaskChange>, Vec<TaskRef>), ServiceError> {
    let edit = actor.visibility(EntityKind::Tasks, Action::Edit);
    let now = ctx.now();
    let mut writes: Vec<(Task, Task)> = Vec::with_capacity(items.len());
    let mut refs = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    for (
        i,
        Checked {
            item,
            entity,
            errors,
        },
    ) in items.into_iter().enumerate()
    {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let Some(id) = item.id else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::required("id")],
            });
            continue;
        };
        // A task named twice in one batch: the second item finds nothing to change.
        let Some(current) = existing
            .get(&id)
            .filter(|_| !writes.iter().any(|w| w.0.id.0 == id))
            .cloned()
        else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::new("NotFound", "id", "Entity not found.")],
            });
            continue;
        };
        let group = ck
            .users
            .get(&current.responsible_user_id.0)
            .copied()
            .flatten();
        if !edit.covers(Some(current.responsible_user_id), group) {
            return Err(ServiceError::Forbidden(format!(
                "you may not edit task {id}"
            )));
        }
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        }
        let t = apply_changes(actor, current.clone(), &item, entity, now);
        refs.push(TaskRef {
            id,
            request_id: rid,
            updated_at: t.updated_at,
        });
        writes.push((t, current));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    Ok((writes, refs))
}

/// The task with a checked item's changes (`entity`: the entity it names, if any).
fn apply_changes(
    actor: &Actor,
    mut t: Task,
    item: &TaskInput,
    entity: Option<Option<(EntityKind, i64)>>,
    now: i64,
) -> Task {
    if let Some(s) = &item.text {
        t.text = s.trim().to_string();
    }
    if let Some(s) = item.complete_till {
        t.complete_till = s * 1000;
    }
    if let Some(u) = item.responsible_user_id.filter(|u| *u != 0) {
        t.responsible_user_id = UserId(u);
    }
    if let Some(e) = entity {
        t.entity_type = e.map(|x| x.0);
        t.entity_id = e.map(|x| x.1);
    }
    if let Some(k) = item.task_type_id {
        t.task_type_id = k;
    }
    if let Some(d) = item.duration {
        t.duration = d;
    }
    if let Some(done) = item.is_completed {
        t.is_completed = done;
    }
    if let Some(r) = &item.result_text {
        t.result_text = Some(r.clone());
    }
    t.updated_by = UserId(
        item.updated_by
            .filter(|u| *u != 0)
            .unwrap_or(actor.user.id.0),
    );
    t.updated_at = item.updated_at.map(|s| s * 1000).unwrap_or(now);
    t
}
