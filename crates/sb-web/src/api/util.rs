//! Small helpers shared by the API modules.

use crate::error::ApiError;
use sb_domain::EntityKind;

/// An id in a path that must be an integer (writes; reads answer 204 instead).
pub fn parse_path_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .map_err(|_| ApiError::bad_request("the id in the path must be an integer"))
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
