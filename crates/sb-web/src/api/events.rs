//! `/api/v4/events` (C9): the activity log, with the caller's rights.

use crate::api::hal::{ok, page, secs};
use crate::api::read::ReadResult;
use crate::api::util::parse_entity;
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sb_domain::feed::{event_types as et, Event};
use sb_service::events::ListParams;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/events", get(list))
        .route("/api/v4/events/types", get(types))
        .route("/api/v4/events/{id}", get(get_one))
}

/// Kommo shows event ids as strings.
pub fn render_event(links: &Links, e: &Event) -> Value {
    json!({
        "id": e.id.to_string(), "type": e.event_type,
        "entity_id": e.entity_id, "entity_type": e.entity_type.singular(),
        "created_by": e.created_by.0, "created_at": secs(e.created_at),
        "value_after": e.value_after, "value_before": e.value_before, "account_id": e.account_id.0,
        "_links": {"self": links.href(&format!("/api/v4/events/{}", e.id))},
        "_embedded": {"entity": {"id": e.entity_id, "_links": {"self": links.href(&format!("/api/v4/{}/{}", e.entity_type.as_str(), e.entity_id))}}},
    })
}

async fn list(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let (created_from, created_to) = params.range("filter[created_at]")?;
    let entities = params
        .list("filter[entity]")
        .iter()
        .map(|s| parse_entity(s))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let p = ListParams {
        page: pg,
        limit,
        ids: params.ints("filter[id]")?,
        types: params.list("filter[type]"),
        entities,
        entity_ids: params.ints("filter[entity_id]")?,
        created_by: params.ints("filter[created_by]")?,
        created_from,
        created_to,
    };
    let result = sb_service::events::list(&st.ctx, &actor, p).await?;
    Ok(page(
        &links,
        &params,
        "/api/v4/events",
        "events",
        result.map(|e| render_event(&links, e)),
        None,
    ))
}

async fn get_one(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ReadResult {
    let e = sb_service::events::get(&st.ctx, &actor, id).await?;
    Ok(ok(render_event(&links, &e)))
}

async fn types(Api { links, .. }: Api) -> ApiResult<Response> {
    let all = [
        (et::LEAD_ADDED, "Lead added"),
        (et::LEAD_DELETED, "Lead deleted"),
        (et::LEAD_RESTORED, "Lead restored"),
        (et::LEAD_STATUS_CHANGED, "Lead stage changed"),
        (et::CONTACT_ADDED, "Contact added"),
        (et::COMPANY_ADDED, "Company added"),
        (et::ENTITY_RESPONSIBLE_CHANGED, "Responsible user changed"),
        (et::ENTITY_LINKED, "Linked"),
        (et::ENTITY_UNLINKED, "Unlinked"),
        (et::INCOMING_CALL, "Incoming call"),
        (et::OUTGOING_CALL, "Outgoing call"),
        (et::COMMON_NOTE_ADDED, "Note added"),
        (et::TASK_ADDED, "Task added"),
        (et::TASK_COMPLETED, "Task completed"),
        (et::CUSTOM_FIELD_VALUE_CHANGED, "Field value changed"),
        (et::NAME_FIELD_CHANGED, "Name changed"),
        (et::SALE_FIELD_CHANGED, "Sale changed"),
    ];
    let items: Vec<Value> = all
        .iter()
        .map(|(k, l)| json!({"key": k, "type": 0, "lang": l}))
        .collect();
    Ok(ok(
        json!({"_total_items": items.len(), "_links": {"self": links.href("/api/v4/events/types")}, "_embedded": {"events_types": items}}),
    ))
}
