//! Tags of leads, contacts and companies. A tag belongs to one entity kind; its name is
//! unique per account and kind without regard to case, so "VoIP" and "voip" are one tag.
//! The case-folded key is computed here, not in SQL: SQLite's `lower()` folds ASCII only.

use crate::{AccountId, EntityKind, TagId};

pub const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub account_id: AccountId,
    pub entity: EntityKind,
    pub name: String,
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagRuleError {
    #[error("the tag name is empty")]
    EmptyName,
    #[error("the tag name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("tags belong to leads, contacts or companies")]
    UnsupportedEntity,
}

/// Checks a tag name; returns it trimmed with inner runs of whitespace collapsed.
pub fn check_name(name: &str) -> Result<String, TagRuleError> {
    let t = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return Err(TagRuleError::EmptyName);
    }
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(TagRuleError::NameTooLong);
    }
    Ok(t)
}

/// The key a tag name is unique by: trimmed, whitespace collapsed, lowercased (Unicode).
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether an entity kind carries tags.
pub fn check_entity(kind: EntityKind) -> Result<EntityKind, TagRuleError> {
    match kind {
        EntityKind::Leads | EntityKind::Contacts | EntityKind::Companies => Ok(kind),
        EntityKind::Tasks => Err(TagRuleError::UnsupportedEntity),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_and_whitespace() {
        assert_eq!(name_key("  VoIP   Call "), "voip call");
        assert_eq!(name_key("ÁRBOL"), "árbol");
        assert_eq!(check_name(" Hot  lead "), Ok("Hot lead".to_string()));
        assert_eq!(check_name("   "), Err(TagRuleError::EmptyName));
        assert_eq!(check_name(&"x".repeat(256)), Err(TagRuleError::NameTooLong));
        assert_eq!(
            check_entity(EntityKind::Tasks),
            Err(TagRuleError::UnsupportedEntity)
        );
        assert_eq!(check_entity(EntityKind::Leads), Ok(EntityKind::Leads));
    }
}
