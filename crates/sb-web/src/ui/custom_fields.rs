//! Custom fields for administrators (`/settings/fields`, C10): per entity (contacts,
//! companies, leads) the list of fields, creating one of any type (with its options
//! for select, multiselect and radio buttons) and deleting one. sb-service checks the
//! rights and every rule; this page shows its refusals beside the fields.

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::fields::FieldType;
use sb_domain::EntityKind;
use sb_service::custom_fields::{self as svc, EnumInput, FieldInput};
use sb_service::ServiceError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/fields", get(show))
        .route("/settings/fields/{entity}", post(create))
        .route("/settings/fields/{entity}/{id}/delete", post(delete))
}

const ENTITIES: [(&str, EntityKind); 3] = [
    ("leads", EntityKind::Leads),
    ("contacts", EntityKind::Contacts),
    ("companies", EntityKind::Companies),
];

fn kind_of(name: &str) -> Option<EntityKind> {
    ENTITIES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

pub struct Tab {
    pub name: &'static str,
    pub current: bool,
}

pub struct FieldRow {
    pub id: i64,
    pub name: String,
    pub type_key: String,
    pub code: String,
    pub options: Vec<String>,
    pub deletable: bool,
}

pub struct TypeOpt {
    pub value: &'static str,
    pub key: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "custom_fields/index.html")]
struct FieldsPage {
    l: Layout,
    entity: &'static str,
    tabs: Vec<Tab>,
    fields: Vec<FieldRow>,
    types: Vec<TypeOpt>,
    errors: FormErrors,
    name: String,
    code: String,
    options: String,
    /// A refused deletion, in the user's words.
    delete_error: Option<String>,
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    entity: Option<String>,
}

/// The form as typed, kept to show again beside its errors.
#[derive(Deserialize, Default)]
struct FieldForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    field_type: String,
    #[serde(default)]
    code: String,
    /// One option per line.
    #[serde(default)]
    options: String,
}

async fn render(
    ui: &Ui,
    name: &'static str,
    form: FieldForm,
    errors: FormErrors,
    delete_error: Option<String>,
) -> UiResult {
    ui.actor.require_admin().or_fail(ui)?;
    let kind = kind_of(name).ok_or(ServiceError::NotFound).or_fail(ui)?;
    let defs = svc::list(ui.ctx(), &ui.actor, kind).await.or_fail(ui)?;
    let failed = !errors.is_empty() || delete_error.is_some();
    let chosen = if form.field_type.is_empty() {
        "text"
    } else {
        form.field_type.as_str()
    };
    let p = FieldsPage {
        l: ui.layout("custom_fields"),
        entity: name,
        tabs: ENTITIES
            .iter()
            .map(|(n, _)| Tab {
                name: n,
                current: *n == name,
            })
            .collect(),
        fields: defs
            .into_iter()
            .map(|d| FieldRow {
                id: d.id.0,
                type_key: format!("custom_fields-type-{}", d.field_type.as_str()),
                code: d.code.clone().unwrap_or_default(),
                options: d.enums.iter().map(|e| e.value.clone()).collect(),
                deletable: d.is_deletable && !d.is_predefined,
                name: d.name,
            })
            .collect(),
        types: FieldType::ALL
            .iter()
            .map(|t| TypeOpt {
                value: t.as_str(),
                key: format!("custom_fields-type-{}", t.as_str()),
                selected: t.as_str() == chosen,
            })
            .collect(),
        errors,
        name: form.name,
        code: form.code,
        options: form.options,
        delete_error,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page(&p)).into_response())
}

fn entity_name(s: &str) -> Option<&'static str> {
    ENTITIES.iter().find(|(n, _)| *n == s).map(|(n, _)| *n)
}

async fn show(ui: Ui, Query(q): Query<ShowQuery>) -> UiResult {
    let name = q.entity.as_deref().and_then(entity_name).unwrap_or("leads");
    render(&ui, name, FieldForm::default(), FormErrors::none(), None).await
}

/// The options' error paths (`enums.N.value`) all go to the one options box.
fn options_errors(mut fe: FormErrors) -> FormErrors {
    for (path, _) in fe.0.iter_mut() {
        if path.starts_with("enums") {
            *path = "options".into();
        }
    }
    fe
}

async fn create(ui: Ui, Path(ent): Path<String>, Form(f): Form<FieldForm>) -> UiResult {
    let Some(name) = entity_name(&ent) else {
        return Err(ui.fail(ServiceError::NotFound));
    };
    let kind = kind_of(name).ok_or(ServiceError::NotFound).or_fail(&ui)?;
    let options: Vec<EnumInput> = f
        .options
        .lines()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| EnumInput {
            value: Some(o.to_string()),
            sort: None,
        })
        .collect();
    let input = FieldInput {
        name: Some(f.name.clone()),
        field_type: Some(f.field_type.clone()),
        code: Some(f.code.clone()).filter(|c| !c.trim().is_empty()),
        enums: (!options.is_empty()).then_some(options),
        ..Default::default()
    };
    match svc::create(ui.ctx(), &ui.actor, kind, vec![input]).await {
        Ok(_) => Ok(ui.redirect(&format!("/settings/fields?entity={name}"))),
        Err(e) => {
            let fe = ui.form_errors(e)?;
            render(&ui, name, f, options_errors(fe), None).await
        }
    }
}

async fn delete(ui: Ui, Path((ent, id)): Path<(String, i64)>) -> UiResult {
    let Some(name) = entity_name(&ent) else {
        return Err(ui.fail(ServiceError::NotFound));
    };
    let kind = kind_of(name).ok_or(ServiceError::NotFound).or_fail(&ui)?;
    match svc::delete(ui.ctx(), &ui.actor, kind, id).await {
        Ok(()) => Ok(ui.redirect(&format!("/settings/fields?entity={name}"))),
        Err(ServiceError::Validation(_)) => {
            let msg = ui.tr.t("custom_fields-error-predefined");
            render(
                &ui,
                name,
                FieldForm::default(),
                FormErrors::none(),
                Some(msg),
            )
            .await
        }
        Err(e) => Err(ui.fail(e)),
    }
}
