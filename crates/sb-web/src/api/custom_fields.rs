//! `/api/v4/{leads|contacts|companies}/custom_fields` (C10): field definitions.

use crate::api::hal::{no_content, ok, page};
use crate::api::read::ReadResult;
use crate::api::Api;
use crate::error::ApiResult;
use crate::extract::{parse_items, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::fields::{FieldDef, FieldValue};
use sb_domain::EntityKind;
use sb_service::custom_fields::{EnumInput, FieldInput};
use sb_service::Page;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for kind in crate::api::util::CARD_ENTITIES {
        let base = format!("/api/v4/{}/custom_fields", kind.as_str());
        r = r
            .route(
                &base,
                get(move |api: Api, p: Params| list(kind, api, p))
                    .post(move |api: Api, b: JsonBody| create(kind, api, b)),
            )
            .route(
                &format!("{base}/{{id}}"),
                get(move |api: Api, id: ApiPath<i64>| get_one(kind, api, id))
                    .delete(move |api: Api, id: ApiPath<i64>| delete(kind, api, id)),
            );
    }
    r
}

/// Custom field values in Kommo's read shape (of cards, leads and list elements);
/// `null` when there are none.
pub fn render_values(defs: &[FieldDef], values: &[FieldValue]) -> Value {
    let items: Vec<Value> = values
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

pub fn render_field(links: &Links, account_id: i64, d: &FieldDef) -> Value {
    // A list's element fields are stored under `catalogs:{id}` and served under
    // `/api/v4/catalogs/{id}/custom_fields`, with Kommo's `entity_type: catalogs`.
    let (entity, path, catalog_id) = match d.entity.strip_prefix("catalogs:") {
        Some(cid) => (
            "catalogs",
            format!("/api/v4/catalogs/{cid}/custom_fields/{}", d.id.0),
            cid.parse::<i64>().ok(),
        ),
        None => (
            d.entity.as_str(),
            format!("/api/v4/{}/custom_fields/{}", d.entity, d.id.0),
            None,
        ),
    };
    let enums = if d.enums.is_empty() {
        Value::Null
    } else {
        json!(d
            .enums
            .iter()
            .map(|e| json!({"id": e.id, "value": e.value, "sort": e.sort}))
            .collect::<Vec<_>>())
    };
    json!({
        "id": d.id.0, "name": d.name, "code": d.code, "sort": d.sort, "type": d.field_type.as_str(),
        "entity_type": entity, "catalog_id": catalog_id, "account_id": account_id,
        "is_predefined": d.is_predefined, "is_deletable": d.is_deletable, "is_api_only": false,
        "group_id": null, "required_statuses": [], "remind": null, "enums": enums,
        "_links": {"self": links.href(&path)},
    })
}

async fn list(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    params: Params,
) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let ids = params.ints("filter[id]")?;
    let types = params.list("filter[type]");
    let defs: Vec<FieldDef> = sb_service::custom_fields::list(&st.ctx, &actor, kind)
        .await?
        .into_iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id.0))
        .filter(|d| types.is_empty() || types.iter().any(|t| t == d.field_type.as_str()))
        .collect();
    Ok(fields_page(
        &links,
        &params,
        &format!("/api/v4/{}/custom_fields", kind.as_str()),
        actor.account.id.0,
        defs,
        (pg, limit),
    ))
}

/// A page of field definitions (read whole) with Kommo's `_total_items`.
pub(crate) fn fields_page(
    links: &Links,
    params: &Params,
    path: &str,
    account_id: i64,
    defs: Vec<FieldDef>,
    (pg, limit): (i64, i64),
) -> Response {
    let total = defs.len();
    let p = Page::of_all(defs, pg, limit);
    page(
        links,
        params,
        path,
        "custom_fields",
        p.map(|d| render_field(links, account_id, d)),
        Some(total),
    )
}

async fn get_one(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
) -> ReadResult {
    let d = sb_service::custom_fields::get(&st.ctx, &actor, kind, id).await?;
    Ok(ok(render_field(&links, actor.account.id.0, &d)))
}

#[derive(Debug, Default, Deserialize)]
struct EnumBody {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    sort: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct FieldBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    field_type: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    sort: Option<i64>,
    #[serde(default)]
    enums: Option<Vec<EnumBody>>,
}

async fn create(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let inputs = field_inputs(body)?;
    let created = sb_service::custom_fields::create(&st.ctx, &actor, kind, inputs).await?;
    Ok(ok(render_created(
        &links,
        actor.account.id.0,
        &format!("/api/v4/{}/custom_fields", kind.as_str()),
        &created,
    )))
}

/// A create batch of field definitions, as the services take it.
pub(crate) fn field_inputs(body: Value) -> Result<Vec<FieldInput>, crate::error::ApiError> {
    Ok(parse_items::<FieldBody>(body)?
        .into_iter()
        .map(|(rid, b)| FieldInput {
            request_id: Some(rid),
            name: b.name,
            field_type: b.field_type,
            code: b.code,
            sort: b.sort,
            enums: b.enums.map(|v| {
                v.into_iter()
                    .map(|e| EnumInput {
                        value: e.value,
                        sort: e.sort,
                    })
                    .collect()
            }),
        })
        .collect())
}

/// The answer to a create: the fields with their request ids.
pub(crate) fn render_created(
    links: &Links,
    account_id: i64,
    path: &str,
    created: &[(String, FieldDef)],
) -> Value {
    let items: Vec<Value> = created
        .iter()
        .map(|(rid, d)| {
            let mut v = render_field(links, account_id, d);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    json!({
        "_total_items": items.len(),
        "_links": {"self": links.href(path)},
        "_embedded": {"custom_fields": items},
    })
}

async fn delete(
    kind: EntityKind,
    Api { st, actor, .. }: Api,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    sb_service::custom_fields::delete(&st.ctx, &actor, kind, id).await?;
    Ok(no_content())
}
