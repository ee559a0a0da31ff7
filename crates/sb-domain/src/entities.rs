//! Entities of the CRM core as the rest of the system sees them.

use crate::fields::FieldValue;
use crate::{AccountId, CompanyId, GroupId, Rights, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub subdomain: String,
    /// ISO 3166 alpha-2; the default country for parsing phone numbers.
    pub country: String,
    pub currency: String,
    pub timezone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub name: String,
    pub email: String,
    pub lang: String,
    pub role: Role,
    pub group_id: Option<GroupId>,
    pub rights: Rights,
    pub is_active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
}

/// Contacts and companies share one shape: a "card" that telephony can identify by phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardKind {
    Contact,
    Company,
}

impl CardKind {
    pub fn plural(self) -> &'static str {
        match self {
            CardKind::Contact => "contacts",
            CardKind::Company => "companies",
        }
    }
    pub fn singular(self) -> &'static str {
        match self {
            CardKind::Contact => "contact",
            CardKind::Company => "company",
        }
    }
    pub fn entity_kind(self) -> crate::EntityKind {
        match self {
            CardKind::Contact => crate::EntityKind::Contacts,
            CardKind::Company => crate::EntityKind::Companies,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub id: i64,
    pub kind: CardKind,
    pub account_id: AccountId,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub responsible_user_id: Option<UserId>,
    /// Contacts only: the one company the contact belongs to.
    pub company_id: Option<CompanyId>,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
    pub is_deleted: bool,
    pub custom_fields: Vec<FieldValue>,
}

/// What telephony needs about a caller: who they are and who owns them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoneMatch {
    pub kind: CardKind,
    pub id: i64,
    pub name: String,
    pub responsible_user_id: Option<UserId>,
    pub phone_raw: String,
    /// True when the stored E.164 form equals the looked-up one (not only the digit suffix).
    pub exact: bool,
}
