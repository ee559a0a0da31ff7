//! Users, groups and rights (C1), for admins only: `/settings/users` lists the account's
//! users and creates users and groups; `/settings/users/{id}` edits one (name, role,
//! group, language), deactivates or reactivates them (which ends their sessions, in
//! the service) and sets their rights matrix: entity × action × scope. Every handler
//! asks the service's admin check first, so a manager gets the 403 page.

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::entities::{Group, Role, User};
use sb_domain::rights::EntityRights;
use sb_domain::{GroupId, Rights, Scope, UserId};
use sb_service::users::{self, NewUser, UserUpdate};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/users", get(list).post(create))
        .route("/settings/users/{id}", get(show).post(update))
        .route("/settings/users/{id}/active", post(set_active))
        .route("/settings/users/{id}/rights", post(set_rights))
        .route("/settings/groups", post(create_group))
}

/// The entities of the rights matrix, in its row order.
const ENTITIES: [&str; 4] = ["leads", "contacts", "companies", "tasks"];
/// The actions of the rights matrix, in its column order.
const ACTIONS: [&str; 5] = ["view", "add", "edit", "delete", "export"];

/// One option of a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    group: String,
    lang: String,
    active: bool,
}

/// The create form as typed (kept after a refused attempt).
#[derive(Default, Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "users/index.html")]
struct UsersPage {
    l: Layout,
    users: Vec<UserRow>,
    groups: Vec<Group>,
    form: CreateForm,
    roles: Vec<Choice>,
    group_choices: Vec<Choice>,
    langs: Vec<Choice>,
    errors: FormErrors,
    group_errors: FormErrors,
    group_name: String,
    created: bool,
}

fn role_choices(l: &Layout, current: &str) -> Vec<Choice> {
    [
        ("manager", "users-role-manager"),
        ("admin", "users-role-admin"),
    ]
    .iter()
    .map(|(v, k)| Choice {
        value: (*v).into(),
        label: l.t(k),
        selected: current == *v,
    })
    .collect()
}

fn group_choices(l: &Layout, groups: &[Group], current: &str) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: l.t("users-no-group"),
        selected: current.is_empty(),
    }];
    out.extend(groups.iter().map(|g| Choice {
        value: g.id.0.to_string(),
        label: g.name.clone(),
        selected: g.id.0.to_string() == current,
    }));
    out
}

fn lang_choices(l: &Layout, current: &str) -> Vec<Choice> {
    l.langs()
        .iter()
        .map(|code| Choice {
            value: (*code).into(),
            label: l.t(&format!("lang-{code}")),
            selected: *code == current,
        })
        .collect()
}

fn role_label(l: &Layout, role: Role) -> String {
    l.t(match role {
        Role::Admin => "users-role-admin",
        Role::Manager => "users-role-manager",
    })
}

fn role_of(s: &str) -> Role {
    if s == "admin" {
        Role::Admin
    } else {
        Role::Manager
    }
}

/// A `<select>`'s group id ("" for none).
fn group_of(s: &str) -> Option<GroupId> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|g| *g != 0)
        .map(GroupId)
}

async fn list(ui: Ui) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    let created = ui.here.contains("created=1");
    render_list(
        &ui,
        CreateForm::default(),
        FormErrors::none(),
        FormErrors::none(),
        String::new(),
        created,
        StatusCode::OK,
    )
    .await
}

async fn render_list(
    ui: &Ui,
    form: CreateForm,
    errors: FormErrors,
    group_errors: FormErrors,
    group_name: String,
    created: bool,
    status: StatusCode,
) -> UiResult {
    let all = users::list(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let groups = users::groups(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let l = ui.layout("users");
    let names: HashMap<GroupId, &str> = groups.iter().map(|g| (g.id, g.name.as_str())).collect();
    let rows = all
        .iter()
        .map(|u| UserRow {
            id: u.id.0,
            name: u.name.clone(),
            email: u.email.clone(),
            role: role_label(&l, u.role),
            group: u
                .group_id
                .and_then(|g| names.get(&g).map(|n| n.to_string()))
                .unwrap_or_default(),
            lang: l.t(&format!(
                "lang-{}",
                super::i18n::supported(&u.lang).unwrap_or("en")
            )),
            active: u.is_active,
        })
        .collect();
    let role = if form.role.is_empty() {
        "manager".to_string()
    } else {
        form.role.clone()
    };
    let lang = if form.lang.is_empty() {
        l.lang().to_string()
    } else {
        form.lang.clone()
    };
    let p = UsersPage {
        roles: role_choices(&l, &role),
        group_choices: group_choices(&l, &groups, &form.group_id),
        langs: lang_choices(&l, &lang),
        users: rows,
        groups,
        form,
        errors,
        group_errors,
        group_name,
        created,
        l,
    };
    Ok((status, page(&p)).into_response())
}

async fn create(ui: Ui, Form(f): Form<CreateForm>) -> UiResult {
    let n = NewUser {
        name: f.name.clone(),
        email: f.email.clone(),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
        role: role_of(&f.role),
        group_id: group_of(&f.group_id),
        rights: None,
        lang: Some(f.lang.clone()).filter(|l| !l.is_empty()),
    };
    match users::create_user(ui.ctx(), &ui.actor, n).await {
        Ok(_) => Ok(ui.redirect("/settings/users?created=1")),
        Err(e) => {
            let errors = ui.form_errors(e)?;
            let f = CreateForm {
                password: String::new(),
                ..f
            };
            render_list(
                &ui,
                f,
                errors,
                FormErrors::none(),
                String::new(),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct GroupForm {
    #[serde(default)]
    name: String,
}

async fn create_group(ui: Ui, Form(f): Form<GroupForm>) -> UiResult {
    match users::create_group(ui.ctx(), &ui.actor, &f.name).await {
        Ok(_) => Ok(ui.redirect("/settings/users#groups-h")),
        Err(e) => {
            let errors = ui.form_errors(e)?;
            render_list(
                &ui,
                CreateForm::default(),
                FormErrors::none(),
                errors,
                f.name,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---- One user ----------------------------------------------------------------------

/// One cell of the rights matrix: a `<select>` named `{entity}_{action}`.
struct RightCell {
    name: String,
    label: String,
    options: Vec<Choice>,
}

struct RightRow {
    entity: String,
    cells: Vec<RightCell>,
}

#[derive(Template)]
#[template(path = "users/edit.html")]
struct UserPage {
    l: Layout,
    user: User,
    is_self: bool,
    form: EditForm,
    roles: Vec<Choice>,
    group_choices: Vec<Choice>,
    langs: Vec<Choice>,
    errors: FormErrors,
    active_errors: FormErrors,
    actions: Vec<String>,
    rights: Vec<RightRow>,
    saved: Option<String>,
}

#[derive(Default, Deserialize)]
struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    lang: String,
}

fn scope_choices(l: &Layout, action: &str, current: Scope) -> Vec<Choice> {
    // "Add" has no scope: a user may add, or not (the service normalises it so).
    let scopes: &[Scope] = if action == "add" {
        &[Scope::All, Scope::None]
    } else {
        &[Scope::All, Scope::Group, Scope::Own, Scope::None]
    };
    scopes
        .iter()
        .map(|s| Choice {
            value: s.letter().into(),
            label: l.t(match s {
                Scope::All => "users-scope-all",
                Scope::Group => "users-scope-group",
                Scope::Own => "users-scope-own",
                Scope::None => "users-scope-none",
            }),
            selected: *s == current,
        })
        .collect()
}

fn entity_rights<'a>(r: &'a Rights, entity: &str) -> &'a EntityRights {
    match entity {
        "leads" => &r.leads,
        "contacts" => &r.contacts,
        "companies" => &r.companies,
        _ => &r.tasks,
    }
}

fn scope_of(r: &EntityRights, action: &str) -> Scope {
    match action {
        "view" => r.view,
        "add" => r.add,
        "edit" => r.edit,
        "delete" => r.delete,
        _ => r.export,
    }
}

fn rights_matrix(l: &Layout, r: &Rights) -> Vec<RightRow> {
    ENTITIES
        .iter()
        .map(|e| {
            let er = entity_rights(r, e);
            let entity = l.t(&format!("users-entity-{e}"));
            RightRow {
                cells: ACTIONS
                    .iter()
                    .map(|a| RightCell {
                        name: format!("{e}_{a}"),
                        label: l.tr.tn(
                            "users-right-label",
                            &[
                                ("entity", entity.clone().into()),
                                ("action", l.t(&format!("users-action-{a}")).into()),
                            ],
                        ),
                        options: scope_choices(l, a, scope_of(er, a)),
                    })
                    .collect(),
                entity,
            }
        })
        .collect()
}

async fn show(ui: Ui, Path(id): Path<i64>) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    let saved = ui
        .here
        .split_once("saved=")
        .map(|(_, s)| s.split('&').next().unwrap_or("").to_string());
    render_user(
        &ui,
        id,
        None,
        FormErrors::none(),
        FormErrors::none(),
        saved,
        StatusCode::OK,
    )
    .await
}

async fn render_user(
    ui: &Ui,
    id: i64,
    form: Option<EditForm>,
    errors: FormErrors,
    active_errors: FormErrors,
    saved: Option<String>,
    status: StatusCode,
) -> UiResult {
    let user = users::get(ui.ctx(), &ui.actor, UserId(id))
        .await
        .or_fail(ui)?;
    let groups = users::groups(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let l = ui.layout("users");
    let form = form.unwrap_or_else(|| EditForm {
        name: user.name.clone(),
        role: user.role.as_str().to_string(),
        group_id: user.group_id.map(|g| g.0.to_string()).unwrap_or_default(),
        lang: user.lang.clone(),
    });
    let saved = saved.and_then(|s| match s.as_str() {
        "profile" => Some(l.t("users-saved-profile")),
        "rights" => Some(l.t("users-saved-rights")),
        "active" => Some(l.t("users-saved-active")),
        _ => None,
    });
    let p = UserPage {
        roles: role_choices(&l, &form.role),
        group_choices: group_choices(&l, &groups, &form.group_id),
        langs: lang_choices(&l, &form.lang),
        actions: ACTIONS
            .iter()
            .map(|a| l.t(&format!("users-action-{a}")))
            .collect(),
        rights: rights_matrix(&l, &user.rights),
        is_self: user.id == ui.actor.user.id,
        user,
        form,
        errors,
        active_errors,
        saved,
        l,
    };
    Ok((status, page(&p)).into_response())
}

async fn update(ui: Ui, Path(id): Path<i64>, Form(f): Form<EditForm>) -> UiResult {
    let u = UserUpdate {
        name: Some(f.name.clone()),
        role: Some(role_of(&f.role)),
        group_id: Some(group_of(&f.group_id)),
        lang: Some(f.lang.clone()).filter(|l| !l.is_empty()),
    };
    match users::update(ui.ctx(), &ui.actor, UserId(id), u).await {
        Ok(_) => Ok(ui.redirect(&format!("/settings/users/{id}?saved=profile"))),
        Err(e) => {
            let errors = ui.form_errors(e)?;
            render_user(
                &ui,
                id,
                Some(f),
                errors,
                FormErrors::none(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

async fn set_active(ui: Ui, Path(id): Path<i64>, Form(f): Form<ActiveForm>) -> UiResult {
    let active = f.active == "1";
    match users::set_active(ui.ctx(), &ui.actor, UserId(id), active).await {
        Ok(_) => Ok(ui.redirect(&format!("/settings/users/{id}?saved=active"))),
        Err(e) => {
            let errors = ui.form_errors(e)?;
            render_user(
                &ui,
                id,
                None,
                FormErrors::none(),
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn set_rights(
    ui: Ui,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> UiResult {
    // Read first: the matrix leaves the user's group as it is (set_rights writes both).
    let user = users::get(ui.ctx(), &ui.actor, UserId(id))
        .await
        .or_fail(&ui)?;
    let current = user.rights.clone();
    let read = |entity: &str| {
        let was = *entity_rights(&current, entity);
        let get = |action: &str| {
            f.get(&format!("{entity}_{action}"))
                .and_then(|v| Scope::from_letter(v))
                .unwrap_or_else(|| scope_of(&was, action))
        };
        EntityRights {
            view: get("view"),
            add: get("add"),
            edit: get("edit"),
            delete: get("delete"),
            export: get("export"),
        }
    };
    let rights = Rights {
        leads: read("leads"),
        contacts: read("contacts"),
        companies: read("companies"),
        tasks: read("tasks"),
    };
    users::set_rights(ui.ctx(), &ui.actor, UserId(id), rights, user.group_id)
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect(&format!("/settings/users/{id}?saved=rights")))
}
