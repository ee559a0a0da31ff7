//! Lists ("catalogs", C15): account-defined directories (products, suppliers, ...) whose
//! elements link to leads, contacts and companies, optionally with a quantity.

use crate::fields::FieldValue;
use crate::{AccountId, CatalogElementId, CatalogId, EntityKind, UserId};
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CatalogType {
    Regular,
    Invoices,
    Products,
    Suppliers,
}

impl CatalogType {
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogType::Regular => "regular",
            CatalogType::Invoices => "invoices",
            CatalogType::Products => "products",
            CatalogType::Suppliers => "suppliers",
        }
    }
    pub fn parse(s: &str) -> Option<CatalogType> {
        match s {
            "regular" => Some(CatalogType::Regular),
            "invoices" => Some(CatalogType::Invoices),
            "products" => Some(CatalogType::Products),
            "suppliers" => Some(CatalogType::Suppliers),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub id: CatalogId,
    pub account_id: AccountId,
    pub name: String,
    pub catalog_type: CatalogType,
    pub sort: i64,
    pub can_add_elements: bool,
    /// Whether an entity may link several elements of this catalog (else at most one).
    pub can_link_multiple: bool,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogElement {
    pub id: CatalogElementId,
    pub account_id: AccountId,
    pub catalog_id: CatalogId,
    pub name: String,
    pub custom_fields: Vec<FieldValue>,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
    pub is_deleted: bool,
}

/// An element linked to a lead, contact or company (Kommo's link with
/// `to_entity_type: catalog_elements` and `metadata.catalog_id/quantity`).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogLink {
    pub entity: EntityKind,
    pub entity_id: i64,
    pub catalog_id: CatalogId,
    pub element_id: CatalogElementId,
    pub quantity: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogRuleError {
    #[error("the name is empty")]
    EmptyName,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("the quantity must be a finite number, not negative")]
    InvalidQuantity,
    #[error("elements link to leads, contacts or companies")]
    UnsupportedEntity,
    #[error("this list allows one linked element per entity")]
    SingleLinkOnly,
    #[error("elements cannot be added to this list")]
    ClosedForElements,
}

/// Checks a catalog or element name; returns it trimmed.
pub fn check_name(name: &str) -> Result<String, CatalogRuleError> {
    let t = name.trim();
    if t.is_empty() {
        return Err(CatalogRuleError::EmptyName);
    }
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(CatalogRuleError::NameTooLong);
    }
    Ok(t.to_string())
}

/// A link quantity: absent means 1; negative, NaN or infinite is refused.
pub fn check_quantity(q: Option<f64>) -> Result<f64, CatalogRuleError> {
    match q {
        None => Ok(1.0),
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Some(_) => Err(CatalogRuleError::InvalidQuantity),
    }
}

impl Catalog {
    /// Whether an entity that already links `linked_others` other elements of this
    /// catalog may link one more.
    pub fn check_link(
        &self,
        entity: EntityKind,
        linked_others: usize,
    ) -> Result<(), CatalogRuleError> {
        if entity == EntityKind::Tasks {
            return Err(CatalogRuleError::UnsupportedEntity);
        }
        if !self.can_link_multiple && linked_others > 0 {
            return Err(CatalogRuleError::SingleLinkOnly);
        }
        Ok(())
    }

    pub fn check_add_element(&self) -> Result<(), CatalogRuleError> {
        if self.can_add_elements {
            Ok(())
        } else {
            Err(CatalogRuleError::ClosedForElements)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn catalog(multiple: bool) -> Catalog {
        Catalog {
            id: CatalogId(1000),
            account_id: AccountId(1),
            name: "Products".into(),
            catalog_type: CatalogType::Products,
            sort: 10,
            can_add_elements: true,
            can_link_multiple: multiple,
            created_by: UserId(1),
            updated_by: UserId(1),
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn rules() {
        assert_eq!(check_name("  Goods "), Ok("Goods".into()));
        assert_eq!(check_name(""), Err(CatalogRuleError::EmptyName));
        assert_eq!(check_quantity(None), Ok(1.0));
        assert_eq!(check_quantity(Some(2.5)), Ok(2.5));
        assert_eq!(
            check_quantity(Some(-1.0)),
            Err(CatalogRuleError::InvalidQuantity)
        );
        assert_eq!(
            check_quantity(Some(f64::NAN)),
            Err(CatalogRuleError::InvalidQuantity)
        );
        assert!(catalog(true).check_link(EntityKind::Leads, 3).is_ok());
        assert_eq!(
            catalog(false).check_link(EntityKind::Leads, 1),
            Err(CatalogRuleError::SingleLinkOnly)
        );
        assert!(catalog(false).check_link(EntityKind::Contacts, 0).is_ok());
        assert_eq!(
            catalog(true).check_link(EntityKind::Tasks, 0),
            Err(CatalogRuleError::UnsupportedEntity)
        );
        for t in [
            CatalogType::Regular,
            CatalogType::Invoices,
            CatalogType::Products,
            CatalogType::Suppliers,
        ] {
            assert_eq!(CatalogType::parse(t.as_str()), Some(t));
        }
        assert_eq!(CatalogType::parse("x"), None);
    }
}
