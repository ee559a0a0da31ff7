//! Kommo's batch writes, one implementation over an input type: `POST /api/v4/{e}`
//! (create a batch), `PATCH /api/v4/{e}` (update a batch; the items carry `id`) and
//! `PATCH /api/v4/{e}/{id}` (update one: one object, the path's id).
//!
//! A resource says what one item of its body is, how it becomes the service's input and
//! which service functions write ([`Batch`]); the handlers here do the rest. The UI's page
//! modules write the same way: a form type, its input, the same service calls.

use crate::api::hal::{ok, write_ref};
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_items, ApiPath, JsonBody, Links};
use axum::response::Response;
use sb_service::{Actor, Ctx, ServiceError};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::future::Future;

/// What a write answers per item: the stored id, the client's request id, the time.
pub trait WriteRef {
    fn id(&self) -> i64;
    fn request_id(&self) -> &str;
    fn updated_at(&self) -> i64;
}

macro_rules! write_ref_for {
    ($($t:ty),*) => {$(
        impl WriteRef for $t {
            fn id(&self) -> i64 { self.id }
            fn request_id(&self) -> &str { &self.request_id }
            fn updated_at(&self) -> i64 { self.updated_at }
        }
    )*};
}
write_ref_for!(
    sb_service::cards::CardRef,
    sb_service::leads::LeadRef,
    sb_service::tasks::TaskRef
);

/// `POST` creates, `PATCH` updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
}

/// A resource written in Kommo's batch shape. `self` is the resource (a unit struct, or
/// the card kind for contacts and companies).
pub trait Batch: Copy + Send + Sync + 'static {
    /// One item of the body, in Kommo's shape.
    type Body: DeserializeOwned;
    /// What the service takes per item.
    type Input: Send;
    type Ref: WriteRef + Send + Sync;

    /// `leads`, `contacts`, ...: the segment after `/api/v4/` and the `_embedded` key.
    fn plural(self) -> &'static str;
    fn input(self, request_id: String, body: Self::Body) -> Self::Input;
    /// Gives an item of `PATCH /api/v4/{e}/{id}` the path's id.
    fn set_id(input: &mut Self::Input, id: i64);
    /// Creates or updates the items, all or nothing (the service's batch rules).
    fn write(
        self,
        ctx: &Ctx,
        actor: &Actor,
        op: Op,
        inputs: Vec<Self::Input>,
    ) -> impl Future<Output = Result<Vec<Self::Ref>, ServiceError>> + Send;
    /// One item of a batch's answer (contacts add members of their own).
    fn batch_item(self, links: &Links, r: &Self::Ref) -> Value {
        one_ref(self, links, r)
    }
}

fn collection<B: Batch>(r: B) -> String {
    format!("/api/v4/{}", r.plural())
}

/// One ref in Kommo's shape (the answer of `PATCH /api/v4/{e}/{id}`).
pub fn one_ref<B: Batch>(r: B, links: &Links, w: &B::Ref) -> Value {
    write_ref(
        links,
        &collection(r),
        w.id(),
        w.request_id(),
        w.updated_at(),
    )
}

/// The items of a batch body as the service's inputs.
pub fn inputs<B: Batch>(r: B, body: Value) -> Result<Vec<B::Input>, ApiError> {
    Ok(parse_items::<B::Body>(body)?
        .into_iter()
        .map(|(rid, b)| r.input(rid, b))
        .collect())
}

fn answer<B: Batch>(r: B, links: &Links, refs: &[B::Ref]) -> Response {
    let items: Vec<Value> = refs.iter().map(|w| r.batch_item(links, w)).collect();
    let path = collection(r);
    ok(json!({"_links": {"self": links.href(&path)}, "_embedded": {r.plural(): items}}))
}

/// `POST /api/v4/{e}` (create) and `PATCH /api/v4/{e}` (update; items carry `id`).
pub async fn batch<B: Batch>(
    r: B,
    op: Op,
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let refs = r.write(&st.ctx, &actor, op, inputs(r, body)?).await?;
    Ok(answer(r, &links, &refs))
}

/// `PATCH /api/v4/{e}/{id}`: answers the one ref, not a batch.
pub async fn update_one<B: Batch>(
    r: B,
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "PATCH on one entity takes one JSON object",
        ));
    }
    let mut items = inputs(r, body)?;
    for i in &mut items {
        B::set_id(i, id);
    }
    let refs = r.write(&st.ctx, &actor, Op::Update, items).await?;
    let one = refs
        .first()
        .ok_or_else(|| ApiError::bad_request("nothing to update"))?;
    Ok(ok(one_ref(r, &links, one)))
}
