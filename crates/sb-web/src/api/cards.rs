//! `/api/v4/contacts` and `/api/v4/companies` (C3, C4): one implementation for both
//! card kinds.

use crate::api::custom_fields::render_values;
use crate::api::hal::{ok, page, secs};
use crate::api::links::render_tag;
use crate::api::read::ReadResult;
use crate::api::util::{tags_of, IdRef, TagBody};
use crate::api::write::{self, Batch, Op};
use crate::api::Api;
use crate::error::ApiResult;
use crate::extract::{double_option, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::entities::CardKind;
use sb_domain::fields::{FieldDef, FieldValueInput};
use sb_service::cards::{CardInput, CardRef, CardView, ListParams, OrderByField};
use sb_service::{Actor, Ctx, ServiceError};
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
            get(move |api: Api, p: Params| list(kind, api, p))
                .post(move |api: Api, b: JsonBody| write::batch(kind, Op::Create, api, b))
                .patch(move |api: Api, b: JsonBody| write::batch(kind, Op::Update, api, b)),
        )
        .route(
            &format!("{base}/{{id}}"),
            get(move |api: Api, id: ApiPath<i64>| get_one(kind, api, id)).patch(
                move |api: Api, id: ApiPath<i64>, b: JsonBody| write::update_one(kind, api, id, b),
            ),
        )
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
        "custom_fields_values": render_values(defs, &k.custom_fields),
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
    Api { st, actor, links }: Api,
    params: Params,
) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let (created_from, created_to) = params.range("filter[created_at]")?;
    let (updated_from, updated_to) = params.range("filter[updated_at]")?;
    let (order_by, desc) = params.order(&[
        ("id", OrderByField::Id),
        ("created_at", OrderByField::CreatedAt),
        ("updated_at", OrderByField::UpdatedAt),
    ])?;
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
    Ok(page(
        &links,
        &params,
        &format!("/api/v4/{}", kind.plural()),
        kind.plural(),
        result.map(|k| render_card(&links, &defs, k)),
        None,
    ))
}

/// Unknown ids, other accounts' ids and ids outside the caller's scope all answer 204.
async fn get_one(
    kind: CardKind,
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
) -> ReadResult {
    let k = sb_service::cards::get(&st.ctx, &actor, kind, id).await?;
    let defs = sb_service::cards::field_defs(&st.ctx, actor.account.id, kind).await?;
    Ok(ok(render_card(&links, &defs, &k)))
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
pub struct CardBody {
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

/// Contacts and companies are written alike; `self` says which.
impl Batch for CardKind {
    type Body = CardBody;
    type Input = CardInput;
    type Ref = CardRef;

    fn plural(self) -> &'static str {
        CardKind::plural(self)
    }
    fn input(self, request_id: String, body: CardBody) -> CardInput {
        to_input(request_id, body)
    }
    fn set_id(input: &mut CardInput, id: i64) {
        input.id = Some(id);
    }
    async fn write(
        self,
        ctx: &Ctx,
        actor: &Actor,
        op: Op,
        inputs: Vec<CardInput>,
    ) -> Result<Vec<CardRef>, ServiceError> {
        match op {
            Op::Create => sb_service::cards::create(ctx, actor, self, inputs).await,
            Op::Update => sb_service::cards::update(ctx, actor, self, inputs).await,
        }
    }
    /// Kommo's contact refs say they are neither deleted nor unsorted.
    fn batch_item(self, links: &Links, r: &CardRef) -> Value {
        let mut v = write::one_ref(self, links, r);
        if self == CardKind::Contact {
            v["is_deleted"] = json!(false);
            v["is_unsorted"] = json!(false);
        }
        v
    }
}
