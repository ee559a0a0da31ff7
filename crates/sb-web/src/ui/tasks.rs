//! Tasks (C8): "my tasks" grouped as overdue, today and later in the account's time
//! zone, created with a responsible user and an exact deadline, completed with a result
//! (the service writes the result as a note on the task's lead, contact or company).
//! Also the "tasks of this card" fragment a card page embeds:
//! `GET /tasks/for/{entity}/{id}` (entity: leads, contacts, companies).

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::entities::User;
use sb_domain::feed::{parse_entity_kind, task_types, Task, TaskType};
use sb_domain::{Action, EntityKind, Visibility};
use sb_service::tasks::{self, ListParams, TaskInput, TaskOrder};
use sb_service::ServiceError;
use serde::Deserialize;
use std::collections::HashMap;

/// Tasks per page of the list.
const PER_PAGE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list).post(create))
        .route("/tasks/{id}/complete", post(complete))
        .route(
            "/tasks/for/{entity}/{id}",
            get(for_card).post(create_for_card),
        )
        .route(
            "/tasks/for/{entity}/{id}/{task}/complete",
            post(complete_for_card),
        )
}

/// A task as the pages show it.
struct TaskRow {
    id: i64,
    text: String,
    due: String,
    type_name: String,
    responsible: String,
    /// The card it is about, when the user may see it.
    entity: Option<EntityLink>,
    done: bool,
    result: Option<String>,
    overdue: bool,
}

/// A link to the lead, contact or company a task is about.
struct EntityLink {
    href: String,
    kind: String,
    name: String,
}

/// One option of a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// What the create form shows (as typed, after a refused attempt).
#[derive(Default, Deserialize)]
struct TaskForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    task_type_id: String,
    #[serde(default)]
    responsible_user_id: String,
    #[serde(default)]
    complete_till: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    entity_id: String,
    /// Where to go after creating (a path on this site).
    #[serde(default)]
    back: String,
}

#[derive(Template)]
#[template(path = "tasks/index.html")]
struct TasksPage {
    l: Layout,
    /// Open tasks by group, or done tasks in `done`.
    overdue: Vec<TaskRow>,
    today: Vec<TaskRow>,
    later: Vec<TaskRow>,
    done: Vec<TaskRow>,
    show_done: bool,
    responsible_filter: Option<Vec<Choice>>,
    filter_responsible: String,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    form: FormView,
    /// Where a task's "complete" form posts (`{complete_base}/{id}/complete`).
    complete_base: String,
    /// The element htmx replaces with the answer (None: a plain form post).
    complete_target: Option<String>,
    /// The `id` prefix of the result inputs.
    result_prefix: &'static str,
}

/// The create form's fields.
struct FormView {
    errors: FormErrors,
    text: String,
    types: Vec<Choice>,
    users: Vec<Choice>,
    complete_till: String,
    entity_type: String,
    entity_id: String,
    /// The card the new task will be about: (kind label, name).
    entity: Option<(String, String)>,
    back: String,
    /// The `id` prefix of the form's inputs (the card fragment sits inside another page).
    prefix: &'static str,
    action: String,
    /// The fragment's element id for htmx to swap (None on the tasks page).
    target: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    /// `` (me), `all`, or a user id.
    #[serde(default)]
    responsible: String,
    /// `open` (default) or `done`.
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
    /// Prefill of the create form from a card: `?entity=contacts&id=..`.
    #[serde(default)]
    entity: String,
    #[serde(default)]
    id: String,
}

/// A "back" target: only a path on this site.
fn safe_back(back: &str) -> Option<String> {
    (back.starts_with('/') && !back.starts_with("//") && !back.contains('\\'))
        .then(|| back.to_string())
}

fn kind_of(entity: &str) -> Option<EntityKind> {
    parse_entity_kind(entity.trim()).filter(|k| *k != EntityKind::Tasks)
}

fn kind_label(l: &Layout, kind: EntityKind) -> String {
    l.t(match kind {
        EntityKind::Leads => "tasks-about-lead",
        EntityKind::Contacts => "tasks-about-contact",
        EntityKind::Companies => "tasks-about-company",
        EntityKind::Tasks => "nav-tasks",
    })
}

fn type_name(l: &Layout, types: &[TaskType], id: i64) -> String {
    match id {
        task_types::FOLLOW_UP => l.t("tasks-type-follow-up"),
        task_types::MEETING => l.t("tasks-type-meeting"),
        _ => types
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.clone())
            .unwrap_or_default(),
    }
}

/// What the pages need besides the tasks: users, task types and entity names.
struct Lookups {
    users: Vec<User>,
    types: Vec<TaskType>,
    names: HashMap<(EntityKind, i64), String>,
}

async fn lookups(ui: &Ui, entities: &[(EntityKind, i64)]) -> Result<Lookups, super::UiFail> {
    let users = sb_service::users::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(ui)?;
    let types = tasks::task_types(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let names = tasks::entity_names(ui.ctx(), &ui.actor, entities)
        .await
        .or_fail(ui)?;
    Ok(Lookups {
        users,
        types,
        names,
    })
}

fn row(l: &Layout, lk: &Lookups, t: &Task, now: i64) -> TaskRow {
    let entity = match (t.entity_type, t.entity_id) {
        (Some(k), Some(id)) => lk.names.get(&(k, id)).map(|name| EntityLink {
            href: format!("/{}/{}", k.as_str(), id),
            kind: kind_label(l, k),
            name: name.clone(),
        }),
        _ => None,
    };
    TaskRow {
        id: t.id.0,
        text: t.text.clone(),
        due: l.datetime(t.complete_till),
        type_name: type_name(l, &lk.types, t.task_type_id),
        responsible: lk
            .users
            .iter()
            .find(|u| u.id == t.responsible_user_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        entity,
        done: t.is_completed,
        result: t.result_text.clone().filter(|r| !r.trim().is_empty()),
        overdue: !t.is_completed && t.complete_till < now,
    }
}

/// The create form, filled with `f` (a fresh one: the user as responsible and a
/// deadline one hour from now).
fn form_view(l: &Layout, lk: &Lookups, f: &TaskForm, errors: FormErrors, now: i64) -> FormView {
    let me = l.actor.user.id.0.to_string();
    let responsible = if f.responsible_user_id.is_empty() {
        me
    } else {
        f.responsible_user_id.clone()
    };
    let task_type = if f.task_type_id.is_empty() {
        task_types::FOLLOW_UP.to_string()
    } else {
        f.task_type_id.clone()
    };
    let entity = match (kind_of(&f.entity_type), f.entity_id.trim().parse::<i64>()) {
        (Some(k), Ok(id)) => lk
            .names
            .get(&(k, id))
            .map(|n| (kind_label(l, k), n.clone())),
        _ => None,
    };
    FormView {
        errors,
        text: f.text.clone(),
        types: lk
            .types
            .iter()
            .map(|t| Choice {
                value: t.id.to_string(),
                label: type_name(l, &lk.types, t.id),
                selected: t.id.to_string() == task_type,
            })
            .collect(),
        users: lk
            .users
            .iter()
            .filter(|u| u.is_active)
            .map(|u| Choice {
                value: u.id.0.to_string(),
                label: u.name.clone(),
                selected: u.id.0.to_string() == responsible,
            })
            .collect(),
        complete_till: if f.complete_till.is_empty() && is_fresh(f) {
            l.input_datetime(now + 3_600_000)
        } else {
            f.complete_till.clone()
        },
        entity_type: entity
            .as_ref()
            .map(|_| f.entity_type.trim().to_string())
            .unwrap_or_default(),
        entity_id: entity
            .as_ref()
            .map(|_| f.entity_id.trim().to_string())
            .unwrap_or_default(),
        entity,
        back: f.back.clone(),
        prefix: "task",
        action: "/tasks".into(),
        target: None,
    }
}

/// A fresh form (nothing typed yet) gets a suggested deadline; a refused one keeps what
/// was typed, an empty deadline included, so the error beside it makes sense.
fn is_fresh(f: &TaskForm) -> bool {
    f.text.is_empty() && f.back.is_empty() && f.responsible_user_id.is_empty()
}

/// The service's input from the form. A deadline that is not a date is sent as 0, which
/// the service refuses as a wrong value (an empty one: as missing).
fn input_of(l: &Layout, f: &TaskForm) -> TaskInput {
    let till = f.complete_till.trim();
    let complete_till = if till.is_empty() {
        None
    } else {
        Some(
            l.fmt
                .parse_input_datetime(till)
                .map(|ms| ms.div_euclid(1000))
                .unwrap_or(0),
        )
    };
    let entity_type = Some(f.entity_type.trim()).filter(|s| !s.is_empty());
    TaskInput {
        text: Some(f.text.clone()),
        complete_till,
        responsible_user_id: f.responsible_user_id.trim().parse().ok(),
        entity_type: entity_type.map(str::to_string),
        entity_id: entity_type.and(f.entity_id.trim().parse().ok()),
        task_type_id: f.task_type_id.trim().parse().ok(),
        ..Default::default()
    }
}

/// Whether the user sees others' tasks (and so gets the responsible filter).
fn sees_others(ui: &Ui) -> bool {
    !matches!(
        ui.actor.visibility(EntityKind::Tasks, Action::View),
        Visibility::Own(_) | Visibility::None
    )
}

async fn list(ui: Ui, Query(q): Query<ListQuery>) -> UiResult {
    let prefill = TaskForm {
        entity_type: q.entity.clone(),
        entity_id: q.id.clone(),
        ..Default::default()
    };
    render_list(&ui, &q, &prefill, FormErrors::none(), StatusCode::OK).await
}

async fn render_list(
    ui: &Ui,
    q: &ListQuery,
    f: &TaskForm,
    errors: FormErrors,
    status: StatusCode,
) -> UiResult {
    let l = ui.layout("tasks");
    let now = ui.ctx().now();
    let me = ui.actor.user.id.0;
    let others = sees_others(ui);
    let show_done = q.status == "done";
    let responsible: Vec<i64> = match q.responsible.as_str() {
        "all" if others => Vec::new(),
        s => match s.parse::<i64>() {
            Ok(id) if others => vec![id],
            _ => vec![me],
        },
    };
    let page_no = q.page.parse::<i64>().unwrap_or(1).max(1);
    let found = tasks::list(
        ui.ctx(),
        &ui.actor,
        ListParams {
            page: page_no,
            limit: PER_PAGE,
            responsible: responsible.clone(),
            is_completed: Some(show_done),
            order_by: TaskOrder::CompleteTill,
            desc: show_done,
            ..Default::default()
        },
    )
    .await
    .or_fail(ui)?;
    // The prefilled card's name comes with the tasks' entity names.
    let mut named = tasks::entities_of(&found.items);
    if let (Some(k), Ok(id)) = (kind_of(&f.entity_type), f.entity_id.trim().parse::<i64>()) {
        named.push((k, id));
    }
    let lk = lookups(ui, &named).await?;
    let (_, tomorrow) = l.fmt.day_bounds(now);
    let mut p = TasksPage {
        overdue: Vec::new(),
        today: Vec::new(),
        later: Vec::new(),
        done: Vec::new(),
        show_done,
        responsible_filter: None,
        filter_responsible: match responsible.as_slice() {
            [] => "all".into(),
            [one] if *one == me => String::new(),
            [one] => one.to_string(),
            _ => String::new(),
        },
        page: page_no,
        prev_href: None,
        next_href: None,
        form: form_view(&l, &lk, f, errors, now),
        complete_base: "/tasks".into(),
        complete_target: None,
        result_prefix: "result",
        l,
    };
    for t in &found.items {
        let r = row(&p.l, &lk, t, now);
        if show_done {
            p.done.push(r);
        } else if t.complete_till < now {
            p.overdue.push(r);
        } else if t.complete_till < tomorrow {
            p.today.push(r);
        } else {
            p.later.push(r);
        }
    }
    if others {
        let mut choices = vec![
            Choice {
                value: String::new(),
                label: p.l.t("tasks-filter-mine"),
                selected: p.filter_responsible.is_empty(),
            },
            Choice {
                value: "all".into(),
                label: p.l.t("tasks-filter-everyone"),
                selected: p.filter_responsible == "all",
            },
        ];
        choices.extend(lk.users.iter().filter(|u| u.id.0 != me).map(|u| Choice {
            value: u.id.0.to_string(),
            label: u.name.clone(),
            selected: p.filter_responsible == u.id.0.to_string(),
        }));
        p.responsible_filter = Some(choices);
    }
    let href = |n: i64| {
        let mut s = format!("/tasks?page={n}");
        if show_done {
            s.push_str("&status=done");
        }
        if !p.filter_responsible.is_empty() {
            s.push_str("&responsible=");
            s.push_str(&p.filter_responsible);
        }
        s
    };
    p.prev_href = (page_no > 1).then(|| href(page_no - 1));
    p.next_href = found.has_next.then(|| href(page_no + 1));
    Ok((status, page(&p)).into_response())
}

async fn create(ui: Ui, Form(f): Form<TaskForm>) -> UiResult {
    let l = ui.layout("tasks");
    match tasks::create(ui.ctx(), &ui.actor, vec![input_of(&l, &f)]).await {
        Ok(_) => {
            let back = safe_back(&f.back).unwrap_or_else(|| "/tasks".into());
            Ok(ui.redirect(&back))
        }
        Err(e) => {
            let errors = ui.form_errors(e)?;
            render_list(
                &ui,
                &ListQuery::default(),
                &f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct CompleteForm {
    #[serde(default)]
    result: String,
    #[serde(default)]
    back: String,
}

/// Completes task `id` with `result`; an id the user may not see is a 404.
async fn finish(ui: &Ui, id: i64, result: &str) -> Result<(), super::UiFail> {
    let input = TaskInput {
        id: Some(id),
        is_completed: Some(true),
        result_text: Some(result.trim().to_string()).filter(|r| !r.is_empty()),
        ..Default::default()
    };
    match tasks::update(ui.ctx(), &ui.actor, vec![input]).await {
        Ok(_) => Ok(()),
        Err(ServiceError::Validation(items))
            if items
                .iter()
                .flat_map(|i| i.errors.iter())
                .any(|e| e.path == "id") =>
        {
            Err(ui.fail(ServiceError::NotFound))
        }
        Err(e) => Err(ui.fail(e)),
    }
}

async fn complete(ui: Ui, Path(id): Path<i64>, Form(f): Form<CompleteForm>) -> UiResult {
    finish(&ui, id, &f.result).await?;
    let back = safe_back(&f.back).unwrap_or_else(|| "/tasks".into());
    Ok(ui.redirect(&back))
}

// ---- The card fragment -------------------------------------------------------------

#[derive(Template)]
#[template(path = "tasks/for_card.html")]
struct CardTasks {
    l: Layout,
    /// The fragment's element id.
    dom_id: String,
    rows: Vec<TaskRow>,
    can_add: bool,
    form: FormView,
    complete_base: String,
    complete_target: Option<String>,
    result_prefix: &'static str,
}

async fn card_fragment(
    ui: &Ui,
    entity: &str,
    id: i64,
    f: &TaskForm,
    errors: FormErrors,
) -> Result<CardTasks, super::UiFail> {
    let kind = kind_of(entity).ok_or_else(|| ui.fail(ServiceError::NotFound))?;
    let items = tasks::list_for(ui.ctx(), &ui.actor, kind, id, true)
        .await
        .or_fail(ui)?;
    let lk = lookups(ui, &tasks::entities_of(&items)).await?;
    let l = ui.layout("tasks");
    let now = ui.ctx().now();
    let rows = items.iter().map(|t| row(&l, &lk, t, now)).collect();
    let dom_id = format!("card-tasks-{}-{id}", kind.as_str());
    let base = format!("/tasks/for/{}/{id}", kind.as_str());
    let mut form = form_view(&l, &lk, f, errors, now);
    // The card is the task's entity: no need to say so inside the card.
    form.entity = None;
    form.entity_type = kind.as_str().to_string();
    form.entity_id = id.to_string();
    form.back = format!("/{}/{id}", kind.as_str());
    form.prefix = "card-task";
    form.action = base.clone();
    form.target = Some(dom_id.clone());
    Ok(CardTasks {
        can_add: l.can("tasks", "add"),
        l,
        complete_base: base.clone(),
        complete_target: Some(dom_id.clone()),
        result_prefix: "card-result",
        dom_id,
        rows,
        form,
    })
}

/// A fragment (htmx, or a card embedding it) is answered without the layout.
fn fragment(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(s) => (status, Html(s)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn for_card(ui: Ui, Path((entity, id)): Path<(String, i64)>) -> UiResult {
    let t = card_fragment(&ui, &entity, id, &TaskForm::default(), FormErrors::none()).await?;
    Ok(fragment(StatusCode::OK, &t))
}

async fn create_for_card(
    ui: Ui,
    Path((entity, id)): Path<(String, i64)>,
    Form(mut f): Form<TaskForm>,
) -> UiResult {
    let kind = kind_of(&entity).ok_or_else(|| ui.fail(ServiceError::NotFound))?;
    f.entity_type = kind.as_str().to_string();
    f.entity_id = id.to_string();
    let l = ui.layout("tasks");
    let errors = match tasks::create(ui.ctx(), &ui.actor, vec![input_of(&l, &f)]).await {
        Ok(_) => {
            if !ui.htmx {
                return Ok(ui.redirect(&format!("/{}/{id}", kind.as_str())));
            }
            f = TaskForm::default();
            FormErrors::none()
        }
        Err(e) => ui.form_errors(e)?,
    };
    let refused = !errors.is_empty();
    let t = card_fragment(&ui, &entity, id, &f, errors).await?;
    if refused && !ui.htmx {
        // Without htmx the fragment would replace the card: the tasks page shows the
        // form with its errors instead.
        let q = ListQuery::default();
        return render_list(&ui, &q, &f, t.form.errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // htmx swaps only 2xx answers by default: a refused form is answered 200 with its
    // errors in place.
    Ok(fragment(StatusCode::OK, &t))
}

async fn complete_for_card(
    ui: Ui,
    Path((entity, id, task)): Path<(String, i64, i64)>,
    Form(f): Form<CompleteForm>,
) -> UiResult {
    let kind = kind_of(&entity).ok_or_else(|| ui.fail(ServiceError::NotFound))?;
    finish(&ui, task, &f.result).await?;
    if !ui.htmx {
        return Ok(ui.redirect(&format!("/{}/{id}", kind.as_str())));
    }
    let t = card_fragment(&ui, &entity, id, &TaskForm::default(), FormErrors::none()).await?;
    Ok(fragment(StatusCode::OK, &t))
}
