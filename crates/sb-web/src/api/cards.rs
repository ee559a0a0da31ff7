//! `/api/v4/contacts` and `/api/v4/companies` (C3, C4): one implementation for both
//! card kinds.

use crate::api::hal::{hal, no_content, page, secs};
use crate::api::leads::{tags_of, TagBody};
use crate::api::links::render_tag;
use crate::error::{ApiError, ApiResult};
use crate::extract::{double_option, parse_items, Auth, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::entities::{Card, CardKind};
use sb_domain::fields::{FieldDef, FieldValueInput};
use sb_service::cards::{CardInput, CardRef, CardView, ListParams};
use sb_service::ServiceError;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(kind_router(CardKind::Contact))
        .merge(kind_router(CardKind::Company))
}

fn kind_router(kind: CardKind) -> Router<AppState> {
    let base = format!("/api/v4/{}", kind.plural());
    Router::new()
        .route(
            &base,
            get(move |st: State<AppState>, a: Auth, l: Links, p: Params| list(kind, st, a, l, p))
                .post(move |st: State<AppState>, a: Auth, l: Links, b: JsonBody| create(kind, st, a, l, b))
                .patch(move |st: State<AppState>, a: Auth, l: Links, b: JsonBody| update(kind, st, a, l, b, None)),
        )
        .route(
            &format!("{base}/{{id}}"),
            get(move |st: State<AppState>, a: Auth, l: Links, id: Path<String>, p: Params| get_one(kind, st, a, l, id, p))
                .patch(move |st: State<AppState>, a: Auth, l: Links, id: Path<String>, b: JsonBody| async move {
                    let id = id.0.parse::<i64>().map_err(|_| ApiError::bad_request("the id in the path must be an integer"))?;
                    update(kind, st, a, l, b, Some(id)).await
                }),
        )
}

pub fn render_fields(defs: &[FieldDef], card: &Card) -> Value {
    if card.custom_fields.is_empty() {
        return Value::Null;
    }
    let items: Vec<Value> = card
        .custom_fields
        .iter()
        .filter_map(|fv| {
            let d = defs.iter().find(|d| d.id == fv.field_id)?;
            Some(json!({
                "field_id": d.id.0, "field_name": d.name, "field_code": d.code, "field_type": d.field_type.as_str(),
                "values": fv.values,
            }))
        })
        .collect();
    if items.is_empty() {
        Value::Null
    } else {
        json!(items)
    }
}

pub fn render_card(links: &Links, defs: &[FieldDef], v: &CardView) -> Value {
    let k = &v.card;
    let path = format!("/api/v4/{}/{}", k.kind.plural(), k.id);
    let tags: Vec<Value> = v.tags.iter().map(render_tag).collect();
    let mut embedded = json!({"tags": tags});
    if k.kind == CardKind::Contact {
        embedded["companies"] = match k.company_id {
            Some(c) => {
                json!([{"id": c.0, "_links": {"self": links.href(&format!("/api/v4/companies/{}", c.0))}}])
            }
            None => json!([]),
        };
    }
    let mut v = json!({
        "id": k.id, "name": k.name,
        "responsible_user_id": k.responsible_user_id.map(|u| u.0), "group_id": 0,
        "created_by": k.created_by.0, "updated_by": k.updated_by.0,
        "created_at": secs(k.created_at), "updated_at": secs(k.updated_at),
        "closest_task_at": v.closest_task_at.map(secs), "is_deleted": k.is_deleted,
        "custom_fields_values": render_fields(defs, k),
        "account_id": k.account_id.0,
        "_links": {"self": links.href(&path)},
        "_embedded": embedded,
    });
    if k.kind == CardKind::Contact {
        v["first_name"] = json!(k.first_name);
        v["last_name"] = json!(k.last_name);
        v["is_unsorted"] = json!(false);
    }
    v
}

async fn list(
    kind: CardKind,
    State(st): State<AppState>,
    Auth(actor): Auth,
    links: Links,
    params: Params,
) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let (created_from, created_to) = params.range("filter[created_at]")?;
    let (updated_from, updated_to) = params.range("filter[updated_at]")?;
    let (order_by, desc) = match params.order()? {
        None => (sb_service::cards::OrderByField::Id, false),
        Some((f, d)) => (
            match f.as_str() {
                "id" => sb_service::cards::OrderByField::Id,
                "created_at" => sb_service::cards::OrderByField::CreatedAt,
                "updated_at" => sb_service::cards::OrderByField::UpdatedAt,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "cannot order by {other:?}: use id, created_at or updated_at"
                    )))
                }
            },
            d,
        ),
    };
    let p = ListParams {
        page: pg,
        limit,
        ids: params.ints("filter[id]")?,
        responsible: params.ints("filter[responsible_user_id]")?,
        created_from,
        created_to,
        updated_from,
        updated_to,
        query: params.get("query").map(str::to_string),
        company_id: None,
        fields: params.field_filters()?,
        tag_ids: params.ints("filter[tags]")?,
        order_by,
        desc,
    };
    let result = sb_service::cards::list(&st.ctx, &actor, kind, p).await?;
    let defs = sb_service::cards::field_defs(&st.ctx, actor.account.id, kind).await?;
    let items: Vec<Value> = result
        .items
        .iter()
        .map(|k| render_card(&links, &defs, k))
        .collect();
    Ok(page(
        &links,
        &format!("/api/v4/{}", kind.plural()),
        &params,
        kind.plural(),
        items,
        result.page,
        result.has_next,
    ))
}

async fn get_one(
    kind: CardKind,
    State(st): State<AppState>,
    Auth(actor): Auth,
    links: Links,
    Path(id): Path<String>,
    _p: Params,
) -> ApiResult<Response> {
    // Unknown ids, other accounts' ids and ids outside the caller's scope all answer 204.
    let Ok(id) = id.parse::<i64>() else {
        return Ok(no_content());
    };
    match sb_service::cards::get(&st.ctx, &actor, kind, id).await {
        Ok(k) => {
            let defs = sb_service::cards::field_defs(&st.ctx, actor.account.id, kind).await?;
            Ok(hal(StatusCode::OK, render_card(&links, &defs, &k)))
        }
        Err(ServiceError::NotFound) => Ok(no_content()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct IdRef {
    id: i64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct EmbeddedBody {
    #[serde(default, deserialize_with = "double_option")]
    companies: Option<Option<Vec<IdRef>>>,
    #[serde(default)]
    tags: Option<Vec<TagBody>>,
}

/// One item of a write, in Kommo's shape; unknown and read-only keys are ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CardBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    responsible_user_id: Option<i64>,
    #[serde(default)]
    created_by: Option<i64>,
    #[serde(default)]
    updated_by: Option<i64>,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    updated_at: Option<i64>,
    #[serde(default)]
    custom_fields_values: Option<Vec<FieldValueInput>>,
    #[serde(default)]
    tags_to_add: Option<Vec<TagBody>>,
    #[serde(default)]
    tags_to_delete: Option<Vec<TagBody>>,
    #[serde(default, rename = "_embedded")]
    embedded: Option<EmbeddedBody>,
}

pub(crate) fn to_input(rid: String, b: CardBody) -> CardInput {
    let emb = b.embedded.unwrap_or_default();
    let company_id = emb
        .companies
        .map(|c| c.and_then(|v| v.first().map(|r| r.id)));
    CardInput {
        request_id: Some(rid),
        id: b.id,
        name: b.name,
        first_name: b.first_name,
        last_name: b.last_name,
        responsible_user_id: b.responsible_user_id,
        created_by: b.created_by,
        updated_by: b.updated_by,
        created_at: b.created_at,
        updated_at: b.updated_at,
        custom_fields_values: b.custom_fields_values,
        company_id,
        tags: tags_of(emb.tags),
        tags_to_add: tags_of(b.tags_to_add),
        tags_to_delete: tags_of(b.tags_to_delete),
    }
}

fn render_refs(links: &Links, kind: CardKind, refs: &[CardRef]) -> Value {
    let items: Vec<Value> = refs
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.id, "request_id": r.request_id, "updated_at": secs(r.updated_at),
                "_links": {"self": links.href(&format!("/api/v4/{}/{}", kind.plural(), r.id))},
            });
            if kind == CardKind::Contact {
                v["is_deleted"] = json!(false);
                v["is_unsorted"] = json!(false);
            }
            v
        })
        .collect();
    json!({"_links": {"self": links.href(&format!("/api/v4/{}", kind.plural()))}, "_embedded": {kind.plural(): items}})
}

async fn create(
    kind: CardKind,
    State(st): State<AppState>,
    Auth(actor): Auth,
    links: Links,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let inputs = parse_inputs(body)?;
    let refs = sb_service::cards::create(&st.ctx, &actor, kind, inputs).await?;
    Ok(hal(StatusCode::OK, render_refs(&links, kind, &refs)))
}

fn parse_inputs(body: Value) -> Result<Vec<CardInput>, ApiError> {
    Ok(parse_items::<CardBody>(body)?
        .into_iter()
        .map(|(rid, b)| to_input(rid, b))
        .collect())
}

async fn update(
    kind: CardKind,
    State(st): State<AppState>,
    Auth(actor): Auth,
    links: Links,
    JsonBody(body): JsonBody,
    path_id: Option<i64>,
) -> ApiResult<Response> {
    let single = path_id.is_some();
    let mut inputs = parse_inputs(body)?;
    if let Some(id) = path_id {
        if inputs.len() != 1 {
            return Err(ApiError::bad_request(
                "PATCH on one entity takes one JSON object",
            ));
        }
        for i in &mut inputs {
            i.id = Some(id);
        }
    }
    let refs = sb_service::cards::update(&st.ctx, &actor, kind, inputs).await?;
    if single {
        let r = &refs[..];
        if let Some(r) = r.first() {
            return Ok(hal(
                StatusCode::OK,
                json!({"id": r.id, "request_id": r.request_id, "updated_at": secs(r.updated_at), "_links": {"self": links.href(&format!("/api/v4/{}/{}", kind.plural(), r.id))}}),
            ));
        }
    }
    Ok(hal(StatusCode::OK, render_refs(&links, kind, &refs)))
}
