//! `/api/v4/tasks` (C8).

use crate::api::hal::{ok, page, secs};
use crate::api::read::ReadResult;
use crate::api::util::parse_entity;
use crate::api::write::{self, Batch, Op};
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_items, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::feed::{Task, TaskType};
use sb_service::tasks::{ListParams, TaskInput, TaskOrder, TaskRef, TaskTypeInput};
use sb_service::{Actor, Ctx, ServiceError};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v4/tasks",
            get(list)
                .post(|api: Api, b: JsonBody| write::batch(Tasks, Op::Create, api, b))
                .patch(|api: Api, b: JsonBody| write::batch(Tasks, Op::Update, api, b)),
        )
        .route(
            "/api/v4/tasks/{id}",
            get(get_one).patch(|api: Api, id: ApiPath<i64>, b: JsonBody| {
                write::update_one(Tasks, api, id, b)
            }),
        )
        .route("/api/v4/tasks/types", get(list_types).post(create_types))
}

pub fn render_task_type(t: &TaskType) -> Value {
    json!({"id": t.id, "name": t.name, "color": t.color, "icon_id": t.icon_id, "code": t.code})
}

/// `GET /api/v4/tasks/types`: the account's task types, built-in ones first (as in
/// `GET /api/v4/account?with=task_types`).
async fn list_types(Api { st, actor, links }: Api) -> ApiResult<Response> {
    let types = sb_service::tasks::task_types(&st.ctx, &actor).await?;
    let items: Vec<Value> = types.iter().map(render_task_type).collect();
    Ok(ok(
        json!({"_total_items": items.len(), "_links": {"self": links.href("/api/v4/tasks/types")},
               "_embedded": {"task_types": items}}),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct TaskTypeBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    icon_id: Option<i64>,
}

/// `POST /api/v4/tasks/types` (admins; Switchboard's own, Kommo has no public one).
async fn create_types(
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let inputs = parse_items::<TaskTypeBody>(body)?
        .into_iter()
        .map(|(rid, b)| TaskTypeInput {
            request_id: Some(rid),
            name: b.name,
            color: b.color,
            icon_id: b.icon_id,
        })
        .collect();
    let made = sb_service::tasks::create_types(&st.ctx, &actor, inputs).await?;
    let items: Vec<Value> = made
        .iter()
        .map(|(rid, t)| {
            let mut v = render_task_type(t);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    Ok(ok(
        json!({"_links": {"self": links.href("/api/v4/tasks/types")}, "_embedded": {"task_types": items}}),
    ))
}

pub fn render_task(links: &Links, t: &Task) -> Value {
    json!({
        "id": t.id.0, "created_by": t.created_by.0, "updated_by": t.updated_by.0,
        "created_at": secs(t.created_at), "updated_at": secs(t.updated_at),
        "responsible_user_id": t.responsible_user_id.0, "group_id": 0,
        "entity_id": t.entity_id, "entity_type": t.entity_type.map(|k| k.as_str()),
        "duration": t.duration, "is_completed": t.is_completed, "task_type_id": t.task_type_id,
        "text": t.text,
        // Kommo answers `[]` when there is no result (PHP's json_encode of an empty array).
        "result": match &t.result_text { Some(r) => json!({"text": r}), None => json!([]) },
        "complete_till": secs(t.complete_till), "account_id": t.account_id.0,
        "_links": {"self": links.href(&format!("/api/v4/tasks/{}", t.id.0))},
    })
}

fn bool_param(params: &Params, key: &str) -> Result<Option<bool>, ApiError> {
    match params.get(key).map(str::trim) {
        None | Some("") => Ok(None),
        Some("1") | Some("true") => Ok(Some(true)),
        Some("0") | Some("false") => Ok(Some(false)),
        Some(v) => Err(ApiError::bad_request(format!(
            "{key} must be 0 or 1, got {v:?}"
        ))),
    }
}

async fn list(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let (complete_till_from, complete_till_to) = params.range("filter[complete_till]")?;
    let (updated_from, updated_to) = params.range("filter[updated_at]")?;
    let (order_by, desc) = params.order(&[
        ("id", TaskOrder::Id),
        ("created_at", TaskOrder::CreatedAt),
        ("complete_till", TaskOrder::CompleteTill),
    ])?;
    let mut types = params.ints("filter[task_type_id]")?;
    types.extend(params.ints("filter[task_type]")?);
    let entity_type = match params.get("filter[entity_type]").map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(parse_entity(s)?),
    };
    let p = ListParams {
        page: pg,
        limit,
        ids: params.ints("filter[id]")?,
        responsible: params.ints("filter[responsible_user_id]")?,
        is_completed: bool_param(&params, "filter[is_completed]")?,
        task_type_ids: types,
        entity_type,
        entity_ids: params.ints("filter[entity_id]")?,
        complete_till_from,
        complete_till_to,
        updated_from,
        updated_to,
        order_by,
        desc,
    };
    let result = sb_service::tasks::list(&st.ctx, &actor, p).await?;
    Ok(page(
        &links,
        &params,
        "/api/v4/tasks",
        "tasks",
        result.map(|t| render_task(&links, t)),
        None,
    ))
}

async fn get_one(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ReadResult {
    let t = sb_service::tasks::get(&st.ctx, &actor, id).await?;
    Ok(ok(render_task(&links, &t)))
}

#[derive(Debug, Default, Deserialize)]
struct ResultBody {
    #[serde(default)]
    text: Option<String>,
}

/// `result` is `{"text": ...}`, or `[]`/`null` for none (clients echo what they read).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ResultField {
    Obj(ResultBody),
    Empty(#[allow(dead_code)] Vec<Value>),
}

#[derive(Debug, Default, Deserialize)]
struct TaskBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    complete_till: Option<i64>,
    #[serde(default)]
    responsible_user_id: Option<i64>,
    #[serde(default)]
    entity_type: Option<String>,
    #[serde(default)]
    entity_id: Option<i64>,
    #[serde(default)]
    task_type_id: Option<i64>,
    #[serde(default)]
    duration: Option<i64>,
    #[serde(default)]
    is_completed: Option<bool>,
    #[serde(default)]
    result: Option<ResultField>,
    #[serde(default)]
    created_by: Option<i64>,
    #[serde(default)]
    updated_by: Option<i64>,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    updated_at: Option<i64>,
}

/// Tasks, for the batch writes.
#[derive(Clone, Copy)]
struct Tasks;

impl Batch for Tasks {
    type Body = TaskBody;
    type Input = TaskInput;
    type Ref = TaskRef;

    fn plural(self) -> &'static str {
        "tasks"
    }
    fn input(self, request_id: String, b: TaskBody) -> TaskInput {
        TaskInput {
            request_id: Some(request_id),
            id: b.id,
            text: b.text,
            complete_till: b.complete_till,
            responsible_user_id: b.responsible_user_id,
            entity_type: b.entity_type,
            entity_id: b.entity_id,
            task_type_id: b.task_type_id,
            duration: b.duration,
            is_completed: b.is_completed,
            result_text: match b.result {
                Some(ResultField::Obj(r)) => r.text,
                _ => None,
            },
            created_by: b.created_by,
            updated_by: b.updated_by,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
    fn set_id(input: &mut TaskInput, id: i64) {
        input.id = Some(id);
    }
    async fn write(
        self,
        ctx: &Ctx,
        actor: &Actor,
        op: Op,
        inputs: Vec<TaskInput>,
    ) -> Result<Vec<TaskRef>, ServiceError> {
        match op {
            Op::Create => sb_service::tasks::create(ctx, actor, inputs).await,
            Op::Update => sb_service::tasks::update(ctx, actor, inputs).await,
        }
    }
}
