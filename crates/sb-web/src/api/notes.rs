//! Notes (`/api/v4/{leads|contacts|companies}/notes`, `.../{id}/notes`) and the card
//! feed (`.../{id}/feed`, a Switchboard extension) (C9).

use crate::api::events::render_event;
use crate::api::hal::{ok, page, secs};
use crate::api::read::ReadResult;
use crate::api::tasks::render_task;
use crate::api::util::CARD_ENTITIES;
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_items, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use sb_domain::feed::Note;
use sb_domain::EntityKind;
use sb_service::notes::{FeedItem, ListParams, NoteEdit, NoteInput, NoteRef};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for kind in CARD_ENTITIES {
        let base = format!("/api/v4/{}", kind.as_str());
        r = r
            .route(
                &format!("{base}/notes"),
                get(move |api: Api, p: Params| list(kind, api, p, None))
                    .post(move |api: Api, b: JsonBody| create(kind, api, b, None))
                    .patch(move |api: Api, b: JsonBody| update(kind, api, b, None, None)),
            )
            .route(
                &format!("{base}/{{id}}/notes"),
                get(move |api: Api, id: ApiPath<i64>, p: Params| list(kind, api, p, Some(id.0)))
                    .post(move |api: Api, id: ApiPath<i64>, b: JsonBody| {
                        create(kind, api, b, Some(id.0))
                    })
                    .patch(move |api: Api, id: ApiPath<i64>, b: JsonBody| {
                        update(kind, api, b, Some(id.0), None)
                    }),
            )
            .route(
                &format!("{base}/{{id}}/notes/{{note_id}}"),
                get(move |api: Api, ids: ApiPath<(i64, i64)>| get_one(kind, api, ids)).patch(
                    move |api: Api, ids: ApiPath<(i64, i64)>, b: JsonBody| {
                        update(kind, api, b, Some(ids.0 .0), Some(ids.0 .1))
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}/notes/{{note_id}}/pin"),
                post(move |api: Api, ids: ApiPath<(i64, i64)>| pin(kind, api, ids, true)),
            )
            .route(
                &format!("{base}/{{id}}/notes/{{note_id}}/unpin"),
                post(move |api: Api, ids: ApiPath<(i64, i64)>| pin(kind, api, ids, false)),
            )
            .route(
                &format!("{base}/{{id}}/feed"),
                get(move |api: Api, id: ApiPath<i64>, p: Params| feed(kind, api, id, p)),
            );
    }
    r
}

pub fn render_note(links: &Links, n: &Note) -> Value {
    json!({
        "id": n.id.0, "entity_id": n.entity_id, "created_by": n.created_by.0, "updated_by": n.updated_by.0,
        "created_at": secs(n.created_at), "updated_at": secs(n.updated_at),
        "responsible_user_id": n.responsible_user_id.map(|u| u.0), "group_id": 0,
        "note_type": n.note_type, "params": n.params, "account_id": n.account_id.0, "is_pinned": n.is_pinned,
        "_links": {"self": links.href(&format!("/api/v4/{}/{}/notes/{}", n.entity_type.as_str(), n.entity_id, n.id.0))},
    })
}

async fn list(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    params: Params,
    entity: Option<i64>,
) -> ReadResult {
    let (pg, limit) = params.paging()?;
    let (updated_from, updated_to) = params.range("filter[updated_at]")?;
    let mut note_types = params.list("filter[note_type]");
    note_types.extend(params.list("note_type"));
    let p = ListParams {
        page: pg,
        limit,
        entity_ids: params.ints("filter[entity_id]")?,
        note_types,
        ids: params.ints("filter[id]")?,
        updated_from,
        updated_to,
    };
    let (result, path) = match entity {
        None => (
            sb_service::notes::list(&st.ctx, &actor, kind, p).await,
            format!("/api/v4/{}/notes", kind.as_str()),
        ),
        Some(id) => (
            sb_service::notes::list_for(&st.ctx, &actor, kind, id, p).await,
            format!("/api/v4/{}/{id}/notes", kind.as_str()),
        ),
    };
    let result = result?;
    Ok(page(
        &links,
        &params,
        &path,
        "notes",
        result.map(|n| render_note(&links, n)),
        None,
    ))
}

async fn get_one(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    ApiPath((entity, id)): ApiPath<(i64, i64)>,
) -> ReadResult {
    let n = sb_service::notes::get(&st.ctx, &actor, kind, entity, id).await?;
    Ok(ok(render_note(&links, &n)))
}

#[derive(Debug, Default, Deserialize)]
struct NoteBody {
    #[serde(default)]
    entity_id: Option<i64>,
    #[serde(default)]
    note_type: Option<String>,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    responsible_user_id: Option<i64>,
    #[serde(default)]
    created_by: Option<i64>,
    #[serde(default)]
    created_at: Option<i64>,
}

fn render_refs(links: &Links, kind: EntityKind, refs: &[NoteRef]) -> Value {
    let items: Vec<Value> = refs
        .iter()
        .map(|r| {
            json!({"id": r.id, "entity_id": r.entity_id, "request_id": r.request_id,
                   "_links": {"self": links.href(&format!("/api/v4/{}/{}/notes/{}", kind.as_str(), r.entity_id, r.id))}})
        })
        .collect();
    json!({"_links": {"self": links.href(&format!("/api/v4/{}/notes", kind.as_str()))}, "_embedded": {"notes": items}})
}

async fn create(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
    entity: Option<i64>,
) -> ApiResult<Response> {
    let inputs: Vec<NoteInput> = parse_items::<NoteBody>(body)?
        .into_iter()
        .map(|(rid, b)| NoteInput {
            request_id: Some(rid),
            entity_id: b.entity_id,
            note_type: b.note_type,
            params: b.params,
            responsible_user_id: b.responsible_user_id,
            created_by: b.created_by,
            created_at: b.created_at,
        })
        .collect();
    let refs = sb_service::notes::create(&st.ctx, &actor, kind, entity, inputs).await?;
    Ok(ok(render_refs(&links, kind, &refs)))
}

#[derive(Debug, Default, Deserialize)]
struct NoteEditBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    note_type: Option<String>,
    #[serde(default)]
    params: Option<Value>,
}

/// PATCH of notes: a batch (`note_id` `None`, items carry `id`) or one object on
/// `/{e}/{id}/notes/{note_id}`. Items of `/{e}/{id}/notes` must be notes of that entity.
async fn update(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
    entity: Option<i64>,
    note_id: Option<i64>,
) -> ApiResult<Response> {
    if note_id.is_some() && !body.is_object() {
        return Err(ApiError::bad_request(
            "PATCH on one note takes one JSON object",
        ));
    }
    let inputs: Vec<NoteEdit> = parse_items::<NoteEditBody>(body)?
        .into_iter()
        .map(|(rid, b)| NoteEdit {
            request_id: Some(rid),
            id: note_id.or(b.id),
            note_type: b.note_type,
            params: b.params,
        })
        .collect();
    let refs = sb_service::notes::update(&st.ctx, &actor, kind, entity, inputs).await?;
    if note_id.is_some() {
        if let Some(r) = refs.first() {
            let n = sb_service::notes::get(&st.ctx, &actor, kind, r.entity_id, r.id).await?;
            let mut v = render_note(&links, &n);
            v["request_id"] = json!(r.request_id);
            return Ok(ok(v));
        }
    }
    Ok(ok(render_refs(&links, kind, &refs)))
}

/// `POST …/notes/{note_id}/pin|unpin` (no body): answers the note.
async fn pin(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    ApiPath((entity, id)): ApiPath<(i64, i64)>,
    pinned: bool,
) -> ApiResult<Response> {
    let n = sb_service::notes::set_pinned(&st.ctx, &actor, kind, entity, id, pinned).await?;
    Ok(ok(render_note(&links, &n)))
}

async fn feed(
    kind: EntityKind,
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    params: Params,
) -> ReadResult {
    let (pg, limit) = params.paging()?;
    let result = sb_service::notes::feed(&st.ctx, &actor, kind, id, pg, limit).await?;
    let items = result.map(|f| {
        let (t, body) = match f {
            FeedItem::Note(n) => ("note", render_note(&links, n)),
            FeedItem::Task(t) => ("task", render_task(&links, t)),
            FeedItem::Event(e) => ("event", render_event(&links, e)),
        };
        json!({"type": t, "created_at": secs(f.created_at()), t: body})
    });
    Ok(page(
        &links,
        &params,
        &format!("/api/v4/{}/{id}/feed", kind.as_str()),
        "feed",
        items,
        None,
    ))
}
