//! Small helpers and body shapes shared by the API modules.

use crate::error::ApiError;
use sb_domain::EntityKind;
use sb_service::tags::TagRef;
use serde::Deserialize;

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

/// `{"id": N}`: a thing named in a body's `_embedded` (a company of a card or a lead).
#[derive(Debug, Default, Deserialize)]
pub struct IdRef {
    pub id: i64,
}

/// A tag named in a card's or lead's body, by id or by name.
#[derive(Debug, Default, Deserialize)]
pub struct TagBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
}

pub fn tags_of(v: Option<Vec<TagBody>>) -> Option<Vec<TagRef>> {
    v.map(|v| {
        v.into_iter()
            .map(|t| TagRef {
                id: t.id,
                name: t.name,
            })
            .collect()
    })
}
