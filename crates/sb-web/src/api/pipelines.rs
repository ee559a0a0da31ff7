//! `/api/v4/leads/pipelines` and their `statuses` (C6).

use crate::api::hal::{collection, no_content, ok};
use crate::api::read::ReadResult;
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_items, parse_one, ApiPath, JsonBody, Links};
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::pipelines::{Pipeline, Status, StatusEdit};
use sb_service::pipelines::{PipelineInput, StatusInput};
use sb_service::ServiceError;
use serde::Deserialize;
use serde_json::{json, Value};

const BASE: &str = "/api/v4/leads/pipelines";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list).post(create))
        .route(
            "/api/v4/leads/pipelines/{id}",
            get(get_one).patch(update).delete(delete),
        )
        .route(
            "/api/v4/leads/pipelines/{id}/statuses",
            get(list_statuses).post(create_statuses),
        )
        .route(
            "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
            get(get_status).patch(update_status).delete(delete_status),
        )
}

pub fn render_status(links: &Links, s: &Status) -> Value {
    json!({
        "id": s.id.0, "name": s.name, "sort": s.sort, "is_editable": s.is_editable,
        "pipeline_id": s.pipeline_id.0, "color": s.color, "type": s.status_type.as_i64(),
        "account_id": s.account_id.0, "descriptions": [],
        "_links": {"self": links.href(&format!("{BASE}/{}/statuses/{}", s.pipeline_id.0, s.id.0))},
    })
}

pub fn render_pipeline(links: &Links, p: &Pipeline) -> Value {
    let statuses: Vec<Value> = p.statuses.iter().map(|s| render_status(links, s)).collect();
    json!({
        "id": p.id.0, "name": p.name, "sort": p.sort, "is_main": p.is_main,
        "is_unsorted_on": p.is_unsorted_on, "is_archive": p.is_archive, "account_id": p.account_id.0,
        "_links": {"self": links.href(&format!("{BASE}/{}", p.id.0))},
        "_embedded": {"statuses": statuses},
    })
}

async fn list(Api { st, actor, links }: Api) -> ApiResult<Response> {
    let ps = sb_service::pipelines::list(&st.ctx, &actor).await?;
    let items = ps.iter().map(|p| render_pipeline(&links, p)).collect();
    Ok(collection(&links, BASE, "pipelines", items))
}

async fn get_one(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ReadResult {
    let p = sb_service::pipelines::get(&st.ctx, &actor, id).await?;
    Ok(ok(render_pipeline(&links, &p)))
}

#[derive(Debug, Default, Deserialize)]
struct StatusBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sort: Option<i64>,
    #[serde(default)]
    color: Option<String>,
    #[serde(default, rename = "type")]
    status_type: Option<i64>,
}

impl StatusBody {
    fn input(self, rid: String) -> StatusInput {
        StatusInput {
            request_id: Some(rid),
            id: self.id,
            name: self.name,
            sort: self.sort,
            color: self.color,
            status_type: self.status_type,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct PipelineEmbedded {
    #[serde(default)]
    statuses: Option<Vec<StatusBody>>,
}

#[derive(Debug, Default, Deserialize)]
struct PipelineBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sort: Option<i64>,
    #[serde(default)]
    is_main: Option<bool>,
    #[serde(default)]
    is_unsorted_on: Option<bool>,
    #[serde(default)]
    is_archive: Option<bool>,
    #[serde(default, rename = "_embedded")]
    embedded: Option<PipelineEmbedded>,
}

impl PipelineBody {
    fn input(self, rid: String) -> PipelineInput {
        PipelineInput {
            request_id: Some(rid.clone()),
            name: self.name,
            sort: self.sort,
            is_main: self.is_main,
            is_unsorted_on: self.is_unsorted_on,
            is_archive: self.is_archive,
            statuses: self.embedded.and_then(|e| e.statuses).map(|v| {
                v.into_iter()
                    .enumerate()
                    .map(|(j, s)| s.input(j.to_string()))
                    .collect()
            }),
        }
    }
}

async fn create(Api { st, actor, links }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let inputs = parse_items::<PipelineBody>(body)?
        .into_iter()
        .map(|(rid, b)| b.input(rid))
        .collect();
    let created = sb_service::pipelines::create(&st.ctx, &actor, inputs).await?;
    let items = created
        .iter()
        .map(|(rid, p)| {
            let mut v = render_pipeline(&links, p);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    Ok(collection(&links, BASE, "pipelines", items))
}

async fn update(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: PipelineBody = parse_one(body)?;
    let p = sb_service::pipelines::update(&st.ctx, &actor, id, b.input("0".into())).await?;
    Ok(ok(render_pipeline(&links, &p)))
}

async fn delete(Api { st, actor, .. }: Api, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    sb_service::pipelines::delete(&st.ctx, &actor, id).await?;
    Ok(no_content())
}

async fn list_statuses(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ReadResult {
    let v = sb_service::pipelines::list_statuses(&st.ctx, &actor, id).await?;
    let items = v.iter().map(|s| render_status(&links, s)).collect();
    Ok(collection(
        &links,
        &format!("{BASE}/{id}/statuses"),
        "statuses",
        items,
    ))
}

async fn create_statuses(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let inputs = parse_items::<StatusBody>(body)?
        .into_iter()
        .map(|(rid, b)| b.input(rid))
        .collect();
    let created = match sb_service::pipelines::create_statuses(&st.ctx, &actor, id, inputs).await {
        Err(ServiceError::NotFound) => {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "No such pipeline"))
        }
        other => other?,
    };
    let items = created
        .iter()
        .map(|(rid, s)| {
            let mut v = render_status(&links, s);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    Ok(collection(
        &links,
        &format!("{BASE}/{id}/statuses"),
        "statuses",
        items,
    ))
}

async fn get_status(
    Api { st, actor, links }: Api,
    ApiPath((pid, id)): ApiPath<(i64, i64)>,
) -> ReadResult {
    let s = sb_service::pipelines::get_status(&st.ctx, &actor, pid, id).await?;
    Ok(ok(render_status(&links, &s)))
}

async fn update_status(
    Api { st, actor, links }: Api,
    ApiPath((pid, id)): ApiPath<(i64, i64)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: StatusBody = parse_one(body)?;
    let edit = StatusEdit {
        name: b.name,
        sort: b.sort,
        color: b.color,
    };
    let s = sb_service::pipelines::update_status(&st.ctx, &actor, pid, id, edit).await?;
    Ok(ok(render_status(&links, &s)))
}

async fn delete_status(
    Api { st, actor, .. }: Api,
    ApiPath((pid, id)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    sb_service::pipelines::delete_status(&st.ctx, &actor, pid, id).await?;
    Ok(no_content())
}
