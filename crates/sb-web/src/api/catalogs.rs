//! `/api/v4/catalogs` and their `elements` (lists, C15).

use crate::api::custom_fields::{field_inputs, fields_page, render_created, render_values};
use crate::api::hal::{ok, page, secs};
use crate::api::read::ReadResult;
use crate::api::Api;
use crate::error::ApiResult;
use crate::extract::{parse_items, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::catalogs::{Catalog, CatalogElement};
use sb_domain::fields::{FieldDef, FieldValueInput};
use sb_service::catalogs::{CatalogInput, ElementInput, ElementParams};
use sb_service::Page;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/catalogs", get(list).post(create))
        .route("/api/v4/catalogs/{id}", get(get_one))
        .route(
            "/api/v4/catalogs/{id}/elements",
            get(list_elements)
                .post(create_elements)
                .patch(update_elements),
        )
        .route(
            "/api/v4/catalogs/{id}/custom_fields",
            get(list_fields).post(create_fields),
        )
        .route(
            "/api/v4/catalogs/{id}/elements/{element_id}",
            get(get_element),
        )
}

pub fn render_catalog(links: &Links, k: &Catalog) -> Value {
    json!({
        "id": k.id.0, "name": k.name, "created_by": k.created_by.0, "updated_by": k.updated_by.0,
        "created_at": secs(k.created_at), "updated_at": secs(k.updated_at), "sort": k.sort,
        "type": k.catalog_type.as_str(), "can_add_elements": k.can_add_elements, "can_show_in_cards": true,
        "can_link_multiple": k.can_link_multiple, "can_be_deleted": true, "sdk_widget_code": null,
        "account_id": k.account_id.0,
        "_links": {"self": links.href(&format!("/api/v4/catalogs/{}", k.id.0))},
    })
}

pub fn render_element(links: &Links, defs: &[FieldDef], e: &CatalogElement) -> Value {
    json!({
        "id": e.id.0, "catalog_id": e.catalog_id.0, "name": e.name,
        "created_by": e.created_by.0, "updated_by": e.updated_by.0,
        "created_at": secs(e.created_at), "updated_at": secs(e.updated_at), "is_deleted": e.is_deleted,
        "custom_fields_values": render_values(defs, &e.custom_fields), "account_id": e.account_id.0,
        "_links": {"self": links.href(&format!("/api/v4/catalogs/{}/elements/{}", e.catalog_id.0, e.id.0))},
    })
}

async fn list(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let all = sb_service::catalogs::list(&st.ctx, &actor).await?;
    Ok(page(
        &links,
        &params,
        "/api/v4/catalogs",
        "catalogs",
        Page::of_all(all, pg, limit).map(|k| render_catalog(&links, k)),
        None,
    ))
}

async fn get_one(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ReadResult {
    let k = sb_service::catalogs::get(&st.ctx, &actor, id).await?;
    Ok(ok(render_catalog(&links, &k)))
}

#[derive(Debug, Default, Deserialize)]
struct CatalogBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    catalog_type: Option<String>,
    #[serde(default)]
    sort: Option<i64>,
    #[serde(default)]
    can_add_elements: Option<bool>,
    #[serde(default)]
    can_link_multiple: Option<bool>,
}

async fn create(Api { st, actor, links }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let inputs = parse_items::<CatalogBody>(body)?
        .into_iter()
        .map(|(rid, b)| CatalogInput {
            request_id: Some(rid),
            name: b.name,
            catalog_type: b.catalog_type,
            sort: b.sort,
            can_add_elements: b.can_add_elements,
            can_link_multiple: b.can_link_multiple,
        })
        .collect();
    let made = sb_service::catalogs::create(&st.ctx, &actor, inputs).await?;
    let items: Vec<Value> = made
        .iter()
        .map(|(rid, k)| {
            let mut v = render_catalog(&links, k);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    Ok(ok(
        json!({"_links": {"self": links.href("/api/v4/catalogs")}, "_embedded": {"catalogs": items}}),
    ))
}

async fn list_elements(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    params: Params,
) -> ReadResult {
    let (pg, limit) = params.paging()?;
    let p = ElementParams {
        page: pg,
        limit,
        ids: params.ints("filter[id]")?,
        query: params.get("query").map(str::to_string),
    };
    let result = sb_service::catalogs::list_elements(&st.ctx, &actor, id, p).await?;
    let defs = sb_service::catalogs::fields(&st.ctx, &actor, id).await?;
    Ok(page(
        &links,
        &params,
        &format!("/api/v4/catalogs/{id}/elements"),
        "elements",
        result.map(|e| render_element(&links, &defs, e)),
        None,
    ))
}

async fn get_element(
    Api { st, actor, links }: Api,
    ApiPath((id, element)): ApiPath<(i64, i64)>,
) -> ReadResult {
    let e = sb_service::catalogs::get_element(&st.ctx, &actor, id, element).await?;
    let defs = sb_service::catalogs::fields(&st.ctx, &actor, id).await?;
    Ok(ok(render_element(&links, &defs, &e)))
}

#[derive(Debug, Default, Deserialize)]
struct ElementBody {
    /// Updates only.
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    custom_fields_values: Option<Vec<FieldValueInput>>,
}

async fn create_elements(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let made =
        sb_service::catalogs::create_elements(&st.ctx, &actor, id, element_inputs(body)?).await?;
    render_written(&st, &actor, &links, id, &made).await
}

fn element_inputs(body: Value) -> Result<Vec<ElementInput>, crate::error::ApiError> {
    Ok(parse_items::<ElementBody>(body)?
        .into_iter()
        .map(|(rid, b)| ElementInput {
            request_id: Some(rid),
            id: b.id,
            name: b.name,
            custom_fields_values: b.custom_fields_values,
        })
        .collect())
}

/// The answer to an element create or update: the elements with their request ids.
async fn render_written(
    st: &AppState,
    actor: &sb_service::Actor,
    links: &Links,
    id: i64,
    made: &[(String, CatalogElement)],
) -> ApiResult<Response> {
    let defs = sb_service::catalogs::fields(&st.ctx, actor, id).await?;
    let items: Vec<Value> = made
        .iter()
        .map(|(rid, e)| {
            let mut v = render_element(links, &defs, e);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    Ok(ok(
        json!({"_links": {"self": links.href(&format!("/api/v4/catalogs/{id}/elements"))}, "_embedded": {"elements": items}}),
    ))
}

/// `PATCH /api/v4/catalogs/{id}/elements`: items carry `id`.
async fn update_elements(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let made =
        sb_service::catalogs::update_elements(&st.ctx, &actor, id, element_inputs(body)?).await?;
    render_written(&st, &actor, &links, id, &made).await
}

/// `GET /api/v4/catalogs/{id}/custom_fields`: the fields of the list's elements.
async fn list_fields(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    params: Params,
) -> ReadResult {
    let paging = params.paging()?;
    let defs = sb_service::catalogs::fields(&st.ctx, &actor, id).await?;
    Ok(fields_page(
        &links,
        &params,
        &format!("/api/v4/catalogs/{id}/custom_fields"),
        actor.account.id.0,
        defs,
        paging,
    ))
}

/// `POST /api/v4/catalogs/{id}/custom_fields` (administrators).
async fn create_fields(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let created =
        sb_service::catalogs::create_fields(&st.ctx, &actor, id, field_inputs(body)?).await?;
    Ok(ok(render_created(
        &links,
        actor.account.id.0,
        &format!("/api/v4/catalogs/{id}/custom_fields"),
        &created,
    )))
}
