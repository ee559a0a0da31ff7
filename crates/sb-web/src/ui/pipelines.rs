//! Pipelines and stages for administrators (`/settings/pipelines`, C6): create, rename,
//! make main and delete pipelines; add, rename, recolour, reorder (by the sort field)
//! and delete stages. The rules (10 pipelines, 100 stages, system stages only renamed,
//! the main pipeline and a pipeline with leads kept) are sb-service's; this page turns
//! its refusals into messages in the user's language.

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::pipelines::{
    Pipeline, StatusEdit, StatusType, MAX_PIPELINES, MAX_STATUSES, STATUS_COLORS,
};
use sb_service::pipelines::{self as svc, PipelineInput, StatusInput};
use sb_service::ServiceError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/pipelines", get(show).post(create))
        .route("/settings/pipelines/{id}", post(update))
        .route("/settings/pipelines/{id}/main", post(make_main))
        .route("/settings/pipelines/{id}/delete", post(delete))
        .route("/settings/pipelines/{id}/stages", post(add_stage))
        .route("/settings/pipelines/{id}/stages/{sid}", post(update_stage))
        .route(
            "/settings/pipelines/{id}/stages/{sid}/delete",
            post(delete_stage),
        )
}

/// What the admin just tried, to word the service's refusal.
#[derive(Clone, Copy)]
enum Doing {
    CreatePipeline,
    RenamePipeline,
    DeletePipeline,
    AddStage,
    EditStage,
    DeleteStage,
}

/// The service's refusal in the user's words: the limits and the system-stage rules
/// get their own messages; other field errors the shared ones.
fn message(ui: &Ui, doing: Doing, e: &ServiceError) -> Option<String> {
    let ServiceError::Validation(items) = e else {
        return FormErrors::of(e, &ui.tr).map(|f| f.all().join(" "));
    };
    let tr = &ui.tr;
    let mut out: Vec<String> = Vec::new();
    for fe in items.iter().flat_map(|i| i.errors.iter()) {
        let m = match (fe.code.as_str(), doing) {
            ("LimitExceeded", Doing::CreatePipeline) => {
                tr.t1("pipelines-error-too-many", "max", MAX_PIPELINES)
            }
            ("LimitExceeded", Doing::AddStage) => {
                tr.t1("pipelines-error-too-many-stages", "max", MAX_STATUSES)
            }
            ("NotEditable", Doing::EditStage) => tr.t("pipelines-error-system-stage"),
            ("NotEditable", Doing::DeleteStage) => tr.t("pipelines-error-system-undeletable"),
            ("NotEditable", Doing::DeletePipeline) if fe.path == "is_main" => {
                tr.t("pipelines-error-main-undeletable")
            }
            ("NotEditable", Doing::DeletePipeline) => tr.t("pipelines-error-has-leads"),
            ("NotSupportedChoice", _) if fe.path.ends_with("color") => {
                tr.t("pipelines-error-color")
            }
            ("RequiredFilled", _) => tr.t("pipelines-error-name-required"),
            ("InvalidLength", _) => tr.t("pipelines-error-name-long"),
            (code, _) => {
                let key = format!("error-{code}");
                if tr.has(&key) {
                    tr.t(&key)
                } else {
                    fe.detail.clone()
                }
            }
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Some(out.join(" "))
}

pub struct StageRow {
    pub id: i64,
    pub name: String,
    pub sort: i64,
    pub color: String,
    pub color_class: String,
    pub system: bool,
    pub incoming: bool,
}

pub struct PipeRow {
    pub id: i64,
    pub name: String,
    pub is_main: bool,
    pub current: bool,
}

pub struct ColorOpt {
    pub value: &'static str,
    pub class: String,
}

#[derive(Template)]
#[template(path = "pipelines/index.html")]
struct PipelinesPage {
    l: Layout,
    pipelines: Vec<PipeRow>,
    current: Option<PipeRow>,
    stages: Vec<StageRow>,
    colors: Vec<ColorOpt>,
    /// The refusal of the last action, in the user's words.
    error: Option<String>,
    /// The stage the error is about, if one.
    error_stage: Option<i64>,
    max_pipelines: usize,
    max_stages: usize,
    at_pipeline_limit: bool,
    at_stage_limit: bool,
}

impl PipelinesPage {
    fn stage_error(&self, id: &i64) -> Option<&str> {
        if self.error_stage == Some(*id) {
            self.error.as_deref()
        } else {
            None
        }
    }
    fn page_error(&self) -> Option<&str> {
        if self.error_stage.is_none() {
            self.error.as_deref()
        } else {
            None
        }
    }
}

fn color_class(color: &str) -> String {
    format!(
        "stage-{}",
        color.trim_start_matches('#').to_ascii_lowercase()
    )
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    pipeline: Option<String>,
}

async fn render(
    ui: &Ui,
    wanted: Option<i64>,
    error: Option<String>,
    error_stage: Option<i64>,
) -> UiResult {
    ui.actor.require_admin().or_fail(ui)?;
    let ps = svc::list(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let cur: Option<&Pipeline> = wanted
        .and_then(|w| ps.iter().find(|p| p.id.0 == w))
        .or_else(|| ps.iter().find(|p| p.is_main))
        .or_else(|| ps.first());
    let row = |p: &Pipeline| PipeRow {
        id: p.id.0,
        name: p.name.clone(),
        is_main: p.is_main,
        current: cur.is_some_and(|c| c.id == p.id),
    };
    let failed = error.is_some();
    let page_ = PipelinesPage {
        l: ui.layout("pipelines"),
        pipelines: ps.iter().map(row).collect(),
        current: cur.map(row),
        stages: cur
            .map(|p| {
                p.statuses
                    .iter()
                    .map(|s| StageRow {
                        id: s.id.0,
                        name: s.name.clone(),
                        sort: s.sort,
                        color: s.color.to_ascii_lowercase(),
                        color_class: color_class(&s.color),
                        system: s.is_system(),
                        incoming: s.status_type == StatusType::Incoming,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        colors: STATUS_COLORS
            .iter()
            .map(|c| ColorOpt {
                value: c,
                class: color_class(c),
            })
            .collect(),
        error,
        error_stage,
        max_pipelines: MAX_PIPELINES,
        max_stages: MAX_STATUSES,
        at_pipeline_limit: ps.len() >= MAX_PIPELINES,
        at_stage_limit: cur.is_some_and(|p| p.statuses.len() >= MAX_STATUSES),
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page(&page_)).into_response())
}

async fn show(ui: Ui, Query(q): Query<ShowQuery>) -> UiResult {
    let wanted = q.pipeline.as_deref().and_then(|s| s.trim().parse().ok());
    render(&ui, wanted, None, None).await
}

/// After a change: back to the pipeline, or the page again with the refusal.
async fn done<T>(
    ui: &Ui,
    pipeline: Option<i64>,
    stage: Option<i64>,
    doing: Doing,
    r: Result<T, ServiceError>,
) -> UiResult {
    match r {
        Ok(_) => Ok(ui.redirect(&match pipeline {
            Some(p) => format!("/settings/pipelines?pipeline={p}"),
            None => "/settings/pipelines".to_string(),
        })),
        Err(e) => match message(ui, doing, &e) {
            Some(m) => render(ui, pipeline, Some(m), stage).await,
            None => Err(ui.fail(e)),
        },
    }
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

async fn create(ui: Ui, Form(f): Form<NameForm>) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    let r = svc::create(
        ui.ctx(),
        &ui.actor,
        vec![PipelineInput {
            name: Some(f.name),
            ..Default::default()
        }],
    )
    .await;
    let id = r.as_ref().ok().and_then(|v| v.first().map(|(_, p)| p.id.0));
    done(&ui, id, None, Doing::CreatePipeline, r).await
}

async fn update(ui: Ui, Path(id): Path<i64>, Form(f): Form<NameForm>) -> UiResult {
    let r = svc::update(
        ui.ctx(),
        &ui.actor,
        id,
        PipelineInput {
            name: Some(f.name),
            ..Default::default()
        },
    )
    .await;
    done(&ui, Some(id), None, Doing::RenamePipeline, r).await
}

async fn make_main(ui: Ui, Path(id): Path<i64>) -> UiResult {
    let r = svc::update(
        ui.ctx(),
        &ui.actor,
        id,
        PipelineInput {
            is_main: Some(true),
            ..Default::default()
        },
    )
    .await;
    done(&ui, Some(id), None, Doing::RenamePipeline, r).await
}

async fn delete(ui: Ui, Path(id): Path<i64>) -> UiResult {
    match svc::delete(ui.ctx(), &ui.actor, id).await {
        Ok(()) => Ok(ui.redirect("/settings/pipelines")),
        Err(e) => done::<()>(&ui, Some(id), None, Doing::DeletePipeline, Err(e)).await,
    }
}

#[derive(Deserialize)]
struct StageForm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    sort: Option<String>,
}

impl StageForm {
    fn sort(&self) -> Option<i64> {
        self.sort.as_deref().and_then(|s| s.trim().parse().ok())
    }
    fn color(&self) -> Option<String> {
        self.color.clone().filter(|c| !c.trim().is_empty())
    }
}

async fn add_stage(ui: Ui, Path(id): Path<i64>, Form(f): Form<StageForm>) -> UiResult {
    let r = svc::create_statuses(
        ui.ctx(),
        &ui.actor,
        id,
        vec![StatusInput {
            name: Some(f.name.clone().unwrap_or_default()),
            color: f.color(),
            sort: f.sort(),
            ..Default::default()
        }],
    )
    .await;
    done(&ui, Some(id), None, Doing::AddStage, r).await
}

async fn update_stage(
    ui: Ui,
    Path((id, sid)): Path<(i64, i64)>,
    Form(f): Form<StageForm>,
) -> UiResult {
    let edit = StatusEdit {
        name: f.name.clone(),
        sort: f.sort(),
        color: f.color(),
    };
    let r = svc::update_status(ui.ctx(), &ui.actor, id, sid, edit).await;
    done(&ui, Some(id), Some(sid), Doing::EditStage, r).await
}

async fn delete_stage(ui: Ui, Path((id, sid)): Path<(i64, i64)>) -> UiResult {
    let r = svc::delete_status(ui.ctx(), &ui.actor, id, sid).await;
    done(&ui, Some(id), Some(sid), Doing::DeleteStage, r).await
}
