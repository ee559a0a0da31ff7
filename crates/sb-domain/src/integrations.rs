//! PBX integrations of an account (C20): the connection settings, which extension
//! belongs to which user, and the numbers whose calls are rejected.

use crate::{AccountId, IntegrationId, Phone, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One connected PBX. `settings` is provider-specific JSON (API key and secret, base URL,
/// switches) that only the provider's service code reads.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    pub id: IntegrationId,
    pub account_id: AccountId,
    /// `zadarma`, ...
    pub provider: String,
    pub name: String,
    pub settings: Value,
    /// The unguessable path segment of the webhook URL that identifies this integration.
    /// At rest it is replaced by its keyed hash (the service seals and opens integrations).
    pub webhook_token: String,
    /// At rest only: the token encrypted with the configured key, for showing the URL to
    /// admins. Empty in clear.
    pub webhook_token_sealed: String,
    /// Who gets calls nobody else owns.
    pub default_user_id: Option<UserId>,
    pub is_active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

// Settings hold API secrets and the token is a credential: keep both out of logs.
impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integration")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field("settings", &"<redacted>")
            .field("webhook_token", &"<redacted>")
            .field("webhook_token_sealed", &"<redacted>")
            .field("default_user_id", &self.default_user_id)
            .field("is_active", &self.is_active)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// An extension of a PBX bound to a user: an extension has one user and a user one
/// extension per integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionBinding {
    pub account_id: AccountId,
    pub integration_id: IntegrationId,
    pub extension: String,
    pub user_id: UserId,
    pub created_at: i64,
}

/// A number whose incoming calls are rejected. Unique per account by its digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlacklistEntry {
    pub id: i64,
    pub account_id: AccountId,
    pub phone: Phone,
    pub note: String,
    /// `UserId(0)` when added by the system.
    pub created_by: UserId,
    pub created_at: i64,
}
