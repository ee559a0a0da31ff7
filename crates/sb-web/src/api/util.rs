//! Small helpers shared by the API modules.

use crate::error::ApiError;
use sb_domain::EntityKind;

/// An id in a path that must be an integer (writes; reads answer 204 instead).
pub fn parse_path_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .map_err(|_| ApiError::bad_request("the id in the path must be an integer"))
}

/// The body of `PATCH /api/v4/{e}/{id}`: one JSON object, parsed by `parse` like one item
/// of a batch, each item then given the path's id by `set_id`.
pub fn patch_one<T>(
    path_id: &str,
    body: serde_json::Value,
    parse: impl FnOnce(serde_json::Value) -> Result<Vec<T>, ApiError>,
    set_id: impl Fn(&mut T, i64),
) -> Result<Vec<T>, ApiError> {
    let id = parse_path_id(path_id)?;
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "PATCH on one entity takes one JSON object",
        ));
    }
    let mut inputs = parse(body)?;
    for i in &mut inputs {
        set_id(i, id);
    }
    Ok(inputs)
}

/// The one result of a `PATCH /api/v4/{e}/{id}`.
pub fn only<T>(items: &[T]) -> Result<&T, ApiError> {
    items
        .first()
        .ok_or_else(|| ApiError::bad_request("nothing to update"))
}

/// Leads, contacts and companies: the entities with notes, tags, links and feeds.
pub const CARD_ENTITIES: [EntityKind; 3] = [
    EntityKind::Leads,
    EntityKind::Contacts,
    EntityKind::Companies,
];

/// `lead|leads|contact|...` in filters.
pub fn parse_entity(s: &str) -> Result<EntityKind, ApiError> {
    sb_domain::feed::parse_entity_kind(s.trim()).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown entity type {s:?}: use lead, contact, company or task"
        ))
    })
}
