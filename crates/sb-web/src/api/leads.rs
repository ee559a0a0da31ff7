//! `/api/v4/leads` (C5): list, get, batch create and update, and `/api/v4/leads/complex`.
//! Kommo's integer `price` is in major units; Switchboard keeps minor units, so the
//! conversion happens here, at the edge.

use crate::api::cards::{to_input as card_input, CardBody};
use crate::api::custom_fields::render_values;
use crate::api::hal::{ok, page, secs};
use crate::api::links::render_tag;
use crate::api::read::ReadResult;
use crate::api::util::{tags_of, IdRef, TagBody};
use crate::api::write::{self, Batch, Op};
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{double_option, parse_items, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use sb_domain::fields::{FieldDef, FieldValueInput};
use sb_service::leads::{
    ComplexInput, ContactLinkInput, LeadInput, LeadRef, LeadView, ListParams, OrderByField,
};
use sb_service::{Actor, Ctx, ServiceError};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v4/leads",
            get(list)
                .post(|api: Api, b: JsonBody| write::batch(Leads, Op::Create, api, b))
                .patch(|api: Api, b: JsonBody| write::batch(Leads, Op::Update, api, b)),
        )
        .route("/api/v4/leads/complex", post(complex))
        .route(
            "/api/v4/leads/{id}",
            get(get_one).patch(|api: Api, id: ApiPath<i64>, b: JsonBody| {
                write::update_one(Leads, api, id, b)
            }),
        )
}

/// Major units for the API (Kommo's integer price).
fn major(minor: i64) -> i64 {
    minor.div_euclid(100)
}

pub fn render_lead(links: &Links, defs: &[FieldDef], v: &LeadView) -> Value {
    let l = &v.lead;
    let tags: Vec<Value> = v.tags.iter().map(render_tag).collect();
    let companies: Vec<Value> = l
        .company_id
        .iter()
        .map(|c| json!({"id": c.0, "_links": {"self": links.href(&format!("/api/v4/companies/{}", c.0))}}))
        .collect();
    let mut embedded = json!({"tags": tags, "companies": companies});
    if let Some(contacts) = &v.contacts {
        embedded["contacts"] = json!(contacts
            .iter()
            .map(|c| json!({"id": c.contact_id.0, "is_main": c.is_main, "_links": {"self": links.href(&format!("/api/v4/contacts/{}", c.contact_id.0))}}))
            .collect::<Vec<_>>());
    }
    json!({
        "id": l.id.0, "name": l.name, "price": major(l.price),
        "responsible_user_id": l.responsible_user_id.map(|u| u.0), "group_id": 0,
        "status_id": l.status_id.0, "pipeline_id": l.pipeline_id.0, "loss_reason_id": l.loss_reason_id,
        "created_by": l.created_by.0, "updated_by": l.updated_by.0,
        "created_at": secs(l.created_at), "updated_at": secs(l.updated_at),
        "closed_at": l.closed_at.map(secs), "closest_task_at": l.closest_task_at.map(secs),
        "is_deleted": l.is_deleted, "custom_fields_values": render_values(defs, &l.custom_fields),
        "score": null, "account_id": l.account_id.0, "labor_cost": null,
        "_links": {"self": links.href(&format!("/api/v4/leads/{}", l.id.0))},
        "_embedded": embedded,
    })
}

/// `filter[statuses][N][pipeline_id]` / `[status_id]` pairs.
fn status_filters(params: &Params) -> Result<Vec<(i64, i64)>, ApiError> {
    let mut rows: Vec<(String, Option<i64>, Option<i64>)> = Vec::new();
    for (k, v) in &params.0 {
        let Some(rest) = k.strip_prefix("filter[statuses][") else {
            continue;
        };
        let Some((n, field)) = rest.split_once(']') else {
            return Err(ApiError::bad_request(format!("{k}: malformed filter key")));
        };
        let val = v
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("{k} must be an integer, got {v:?}")))?;
        let pos = match rows.iter().position(|r| r.0 == n) {
            Some(p) => p,
            None => {
                rows.push((n.to_string(), None, None));
                rows.len() - 1
            }
        };
        match field {
            "[pipeline_id]" => rows[pos].1 = Some(val),
            "[status_id]" => rows[pos].2 = Some(val),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "{k}: use filter[statuses][N][pipeline_id] and filter[statuses][N][status_id]"
                )))
            }
        }
    }
    rows.into_iter()
        .map(|(n, p, s)| match (p, s) {
            (Some(p), Some(s)) => Ok((p, s)),
            _ => Err(ApiError::bad_request(format!(
                "filter[statuses][{n}] needs both pipeline_id and status_id"
            ))),
        })
        .collect()
}

fn minor_range(params: &Params, key: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let (a, b) = params.range(key)?;
    Ok((
        a.map(|v| v.saturating_mul(100)),
        b.map(|v| v.saturating_mul(100)),
    ))
}

async fn list(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let (created_from, created_to) = params.range("filter[created_at]")?;
    let (updated_from, updated_to) = params.range("filter[updated_at]")?;
    let (closed_from, closed_to) = params.range("filter[closed_at]")?;
    let (closest_task_from, closest_task_to) = params.range("filter[closest_task_at]")?;
    let (price_from, price_to) = minor_range(&params, "filter[price]")?;
    let (order_by, desc) = params.order(&[
        ("id", OrderByField::Id),
        ("created_at", OrderByField::CreatedAt),
        ("updated_at", OrderByField::UpdatedAt),
    ])?;
    let with = params.with();
    let p = ListParams {
        page: pg,
        limit,
        ids: params.ints("filter[id]")?,
        names: params.list("filter[name]"),
        pipeline_ids: params.ints("filter[pipeline_id]")?,
        statuses: status_filters(&params)?,
        responsible: params.ints("filter[responsible_user_id]")?,
        created_by: params.ints("filter[created_by]")?,
        updated_by: params.ints("filter[updated_by]")?,
        price_from,
        price_to,
        created_from,
        created_to,
        updated_from,
        updated_to,
        closed_from,
        closed_to,
        closest_task_from,
        closest_task_to,
        fields: params.field_filters()?,
        tag_ids: params.ints("filter[tags]")?,
        query: params.get("query").map(str::to_string),
        with_contacts: with.iter().any(|w| w == "contacts"),
        only_deleted: with.iter().any(|w| w == "only_deleted"),
        order_by,
        desc,
    };
    let result = sb_service::leads::list(&st.ctx, &actor, p).await?;
    let defs = sb_service::leads::field_defs(&st.ctx, &actor).await?;
    Ok(page(
        &links,
        &params,
        "/api/v4/leads",
        "leads",
        result.map(|l| render_lead(&links, &defs, l)),
        None,
    ))
}

async fn get_one(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    params: Params,
) -> ReadResult {
    let with_contacts = params.with().iter().any(|w| w == "contacts");
    let l = sb_service::leads::get(&st.ctx, &actor, id, with_contacts).await?;
    let defs = sb_service::leads::field_defs(&st.ctx, &actor).await?;
    Ok(ok(render_lead(&links, &defs, &l)))
}

#[derive(Debug, Default, Deserialize)]
struct ContactRef {
    id: i64,
    #[serde(default)]
    is_main: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct LeadEmbedded {
    #[serde(default)]
    tags: Option<Vec<TagBody>>,
    #[serde(default)]
    contacts: Option<Vec<ContactRef>>,
    #[serde(default, deserialize_with = "double_option")]
    companies: Option<Option<Vec<IdRef>>>,
}

/// One lead of a write, in Kommo's shape; unknown and read-only keys are ignored.
#[derive(Debug, Default, Deserialize)]
struct LeadBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    price: Option<f64>,
    #[serde(default)]
    status_id: Option<i64>,
    #[serde(default)]
    pipeline_id: Option<i64>,
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
    embedded: Option<LeadEmbedded>,
}

fn lead_input(rid: String, b: LeadBody) -> LeadInput {
    let emb = b.embedded.unwrap_or_default();
    LeadInput {
        request_id: Some(rid),
        id: b.id,
        name: b.name,
        // Negative prices stay negative so the service names the field.
        price: b.price.map(|p| (p * 100.0).round() as i64),
        status_id: b.status_id,
        pipeline_id: b.pipeline_id,
        responsible_user_id: b.responsible_user_id,
        created_by: b.created_by,
        updated_by: b.updated_by,
        created_at: b.created_at,
        updated_at: b.updated_at,
        custom_fields_values: b.custom_fields_values,
        tags: tags_of(emb.tags),
        tags_to_add: tags_of(b.tags_to_add),
        tags_to_delete: tags_of(b.tags_to_delete),
        contacts: emb.contacts.map(|v| {
            v.into_iter()
                .map(|c| ContactLinkInput {
                    id: c.id,
                    is_main: c.is_main.unwrap_or(false),
                })
                .collect()
        }),
        company_id: emb
            .companies
            .map(|c| c.and_then(|v| v.first().map(|r| r.id))),
    }
}

/// Leads, for the batch writes.
#[derive(Clone, Copy)]
struct Leads;

impl Batch for Leads {
    type Body = LeadBody;
    type Input = LeadInput;
    type Ref = LeadRef;

    fn plural(self) -> &'static str {
        "leads"
    }
    fn input(self, request_id: String, body: LeadBody) -> LeadInput {
        lead_input(request_id, body)
    }
    fn set_id(input: &mut LeadInput, id: i64) {
        input.id = Some(id);
    }
    async fn write(
        self,
        ctx: &Ctx,
        actor: &Actor,
        op: Op,
        inputs: Vec<LeadInput>,
    ) -> Result<Vec<LeadRef>, ServiceError> {
        match op {
            Op::Create => sb_service::leads::create(ctx, actor, inputs).await,
            Op::Update => sb_service::leads::update(ctx, actor, inputs).await,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ComplexEmbedded {
    #[serde(default)]
    contacts: Option<Vec<CardBody>>,
    #[serde(default)]
    companies: Option<Vec<CardBody>>,
}

#[derive(Debug, Default, Deserialize)]
struct ComplexBody {
    #[serde(flatten)]
    lead: LeadBody,
    #[serde(default, rename = "_embedded")]
    embedded: Option<ComplexEmbedded>,
}

async fn complex(Api { st, actor, .. }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    // The lead's own `_embedded.tags` is read from the same object as the contact.
    let tags: Vec<Option<Vec<TagBody>>> = match &body {
        Value::Array(a) => a
            .iter()
            .map(|it| serde_json::from_value(it["_embedded"]["tags"].clone()).ok())
            .collect(),
        other => vec![serde_json::from_value(other["_embedded"]["tags"].clone()).ok()],
    };
    let items = parse_items::<ComplexBody>(body)?;
    let inputs: Vec<ComplexInput> = items
        .into_iter()
        .zip(tags)
        .map(|((rid, b), tags)| {
            let emb = b.embedded.unwrap_or_default();
            let mut lead = lead_input(rid.clone(), b.lead);
            lead.tags = tags_of(tags);
            ComplexInput {
                lead,
                contact: emb
                    .contacts
                    .and_then(|v| v.into_iter().next())
                    .map(|c| card_input(rid.clone(), c)),
                company: emb
                    .companies
                    .and_then(|v| v.into_iter().next())
                    .map(|c| card_input(rid.clone(), c)),
            }
        })
        .collect();
    let out = sb_service::leads::create_complex(&st.ctx, &actor, inputs).await?;
    let body: Vec<Value> = out
        .iter()
        .map(|r| {
            json!({"id": r.id, "contact_id": r.contact_id, "company_id": r.company_id,
                   "request_id": [r.request_id], "merged": r.merged})
        })
        .collect();
    Ok(ok(json!(body)))
}
