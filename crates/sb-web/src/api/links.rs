//! Links (`/api/v4/{e}/{id}/link|unlink|links` and the mass forms
//! `/api/v4/{e}/link|unlink|links`, Kommo §11) and tags
//! (`/api/v4/{e}/tags`, §12) of leads, contacts and companies.

use crate::api::hal::{collection, no_content, ok, page};
use crate::api::read::ReadResult;
use crate::api::util::CARD_ENTITIES;
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_items, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use sb_domain::tags::Tag;
use sb_domain::EntityKind;
use sb_service::links::{Link, LinkInput};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for kind in CARD_ENTITIES {
        let base = format!("/api/v4/{}", kind.as_str());
        r = r
            .route(
                &format!("{base}/link"),
                post(move |api: Api, b: JsonBody| link_many(kind, api, b)),
            )
            .route(
                &format!("{base}/unlink"),
                post(move |api: Api, b: JsonBody| unlink_many(kind, api, b)),
            )
            .route(
                &format!("{base}/links"),
                get(move |api: Api, p: Params| list_many(kind, api, p)),
            )
            .route(
                &format!("{base}/{{id}}/link"),
                post(move |api: Api, id: ApiPath<i64>, b: JsonBody| link(kind, api, id, b)),
            )
            .route(
                &format!("{base}/{{id}}/unlink"),
                post(move |api: Api, id: ApiPath<i64>, b: JsonBody| unlink(kind, api, id, b)),
            )
            .route(
                &format!("{base}/{{id}}/links"),
                get(move |api: Api, id: ApiPath<i64>, p: Params| list(kind, api, id, p)),
            )
            .route(
                &format!("{base}/tags"),
                get(move |api: Api, p: Params| list_tags(kind, api, p))
                    .post(move |api: Api, b: JsonBody| create_tags(kind, api, b)),
            );
    }
    r
}

pub fn render_link(l: &Link) -> Value {
    json!({
        "entity_id": l.entity_id, "entity_type": l.entity_type.as_str(),
        "to_entity_id": l.to_entity_id, "to_entity_type": l.to_entity_type, "metadata": l.metadata,
    })
}

fn render_links(links: &Links, kind: EntityKind, id: Option<i64>, items: &[Link]) -> Response {
    let path = match id {
        Some(id) => format!("/api/v4/{}/{id}/links", kind.as_str()),
        None => format!("/api/v4/{}/links", kind.as_str()),
    };
    collection(
        links,
        &path,
        "links",
        items.iter().map(render_link).collect(),
    )
}

/// The `filter[to_entity_id|to_entity_type|to_catalog_id]` of a links list.
fn filter_links(params: &Params, all: Vec<Link>) -> ApiResult<Vec<Link>> {
    let to_ids = params.ints("filter[to_entity_id]")?;
    let to_types = params.list("filter[to_entity_type]");
    let to_catalogs = params.ints("filter[to_catalog_id]")?;
    Ok(all
        .into_iter()
        .filter(|l| to_ids.is_empty() || to_ids.contains(&l.to_entity_id))
        .filter(|l| to_types.is_empty() || to_types.contains(&l.to_entity_type))
        .filter(|l| {
            to_catalogs.is_empty()
                || l.metadata["catalog_id"]
                    .as_i64()
                    .is_some_and(|c| to_catalogs.contains(&c))
        })
        .collect())
}

async fn list(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    params: Params,
) -> ReadResult {
    // Parsed before the lookup so a bad filter is a 400 even for an unknown entity.
    filter_links(&params, vec![])?;
    let all = sb_service::links::list(&st.ctx, &actor, kind, id).await?;
    let items = filter_links(&params, all)?;
    Ok(render_links(&links, kind, Some(id), &items))
}

/// `GET /api/v4/{e}/links?filter[entity_id][]=…`: the links of several entities.
async fn list_many(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    params: Params,
) -> ApiResult<Response> {
    let ids = params.ints("filter[entity_id]")?;
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "filter[entity_id] is required: the ids of the entities whose links to list",
        ));
    }
    filter_links(&params, vec![])?;
    let all = sb_service::links::list_many(&st.ctx, &actor, kind, &ids).await?;
    let items = filter_links(&params, all)?;
    Ok(render_links(&links, kind, None, &items))
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    is_main: Option<bool>,
    #[serde(default)]
    main_contact: Option<bool>,
    #[serde(default)]
    catalog_id: Option<i64>,
    #[serde(default)]
    quantity: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct LinkBody {
    /// The source entity, in the mass forms only (ignored on `/{e}/{id}/link`).
    #[serde(default)]
    entity_id: Option<i64>,
    #[serde(default)]
    to_entity_id: Option<i64>,
    #[serde(default)]
    to_entity_type: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

/// Link items with the `entity_id` each carries (used by the mass forms).
fn sourced_inputs(body: Value) -> Result<Vec<(Option<i64>, LinkInput)>, ApiError> {
    Ok(parse_items::<LinkBody>(body)?
        .into_iter()
        .map(|(rid, b)| {
            let m = b.metadata.unwrap_or_default();
            let input = LinkInput {
                request_id: Some(rid),
                to_entity_id: b.to_entity_id,
                to_entity_type: b.to_entity_type,
                is_main: m.is_main.or(m.main_contact),
                catalog_id: m.catalog_id,
                quantity: m.quantity,
            };
            (b.entity_id, input)
        })
        .collect())
}

fn inputs(body: Value) -> Result<Vec<LinkInput>, ApiError> {
    Ok(sourced_inputs(body)?.into_iter().map(|(_, i)| i).collect())
}

async fn link(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let made = sb_service::links::link(&st.ctx, &actor, kind, id, inputs(body)?).await?;
    Ok(render_links(&links, kind, Some(id), &made))
}

async fn link_many(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let made = sb_service::links::link_many(&st.ctx, &actor, kind, sourced_inputs(body)?).await?;
    Ok(render_links(&links, kind, None, &made))
}

async fn unlink_many(
    kind: EntityKind,
    Api { st, actor, .. }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    sb_service::links::unlink_many(&st.ctx, &actor, kind, sourced_inputs(body)?).await?;
    Ok(no_content())
}

async fn unlink(
    kind: EntityKind,
    Api { st, actor, .. }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    sb_service::links::unlink(&st.ctx, &actor, kind, id, inputs(body)?).await?;
    Ok(no_content())
}

pub fn render_tag(t: &Tag) -> Value {
    json!({"id": t.id.0, "name": t.name, "color": t.color})
}

async fn list_tags(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    params: Params,
) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let p = sb_service::tags::ListParams {
        page: pg,
        limit,
        ids: params.ints("filter[id]")?,
        name: params.get("filter[name]").map(str::to_string),
        query: params.get("query").map(str::to_string),
    };
    let result = sb_service::tags::list(&st.ctx, &actor, kind, p).await?;
    Ok(page(
        &links,
        &params,
        &format!("/api/v4/{}/tags", kind.as_str()),
        "tags",
        result.map(render_tag),
        None,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct TagBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    color: Option<String>,
}

async fn create_tags(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let inputs = parse_items::<TagBody>(body)?
        .into_iter()
        .map(|(rid, b)| sb_service::tags::TagInput {
            request_id: Some(rid),
            name: b.name,
            color: b.color,
        })
        .collect();
    let made = sb_service::tags::create(&st.ctx, &actor, kind, inputs).await?;
    let items: Vec<Value> = made
        .iter()
        .map(|(rid, t)| {
            let mut v = render_tag(t);
            v["request_id"] = json!(rid);
            v
        })
        .collect();
    Ok(ok(
        json!({"_links": {"self": links.href(&format!("/api/v4/{}/tags", kind.as_str()))}, "_embedded": {"tags": items}}),
    ))
}
