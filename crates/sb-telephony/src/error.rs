//! Errors the web and service layers can act on.

use std::net::IpAddr;

/// Why an inbound webhook was refused. Suggested HTTP mapping: 401, 401, 403, 400
/// (see [`WebhookError::http_status`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing Signature header")]
    MissingSignature,
    #[error("signature mismatch")]
    BadSignature,
    /// Source address not in the allow list. An unknown peer is reported as `0.0.0.0`.
    #[error("source address {0} not allowed")]
    ForbiddenSource(IpAddr),
    #[error("malformed webhook: {0}")]
    Malformed(String),
}

impl WebhookError {
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::MissingSignature | WebhookError::BadSignature => 401,
            WebhookError::ForbiddenSource(_) => 403,
            WebhookError::Malformed(_) => 400,
        }
    }
}

/// Outbound PBX API failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PbxError {
    /// HTTP 401 or an "auth" error message: wrong key/secret or IP-restricted key.
    #[error("PBX authentication failed: {0}")]
    Auth(String),
    /// The PBX refused the request (`{"status":"error","message":..}`) or our own input
    /// was unusable before sending (e.g. no digits in a number). Carries the message.
    #[error("PBX rejected the request: {0}")]
    Rejected(String),
    /// HTTP 429 / rate-limit message.
    #[error("PBX rate limit exceeded")]
    RateLimited,
    #[error("PBX unreachable: {0}")]
    Unreachable(String),
    #[error("PBX request timed out")]
    Timeout,
    /// Unparseable answer, unexpected shape, 5xx, oversized download.
    #[error("PBX protocol error: {0}")]
    Protocol(String),
}

impl PbxError {
    /// Worth retrying later (with back-off).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            PbxError::RateLimited
                | PbxError::Unreachable(_)
                | PbxError::Timeout
                | PbxError::Protocol(_)
        )
    }
}
