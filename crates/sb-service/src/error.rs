use sb_domain::fields::FieldError;
use sb_store::StoreError;

/// Validation errors of one item of a batch; `request_id` is the client's or the index.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemErrors {
    pub request_id: String,
    pub errors: Vec<FieldError>,
}

/// What a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing, expired or revoked credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The entity does not exist for this caller (also when it belongs to someone else's account).
    #[error("not found")]
    NotFound,
    #[error("validation failed")]
    Validation(Vec<ItemErrors>),
    /// A request that is well-formed but refused as a whole (with a message for the user).
    #[error("{0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A remote system (a PBX) refused or failed; the message is safe to show.
    #[error("upstream: {0}")]
    Upstream(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn one(request_id: impl Into<String>, e: FieldError) -> ServiceError {
        ServiceError::Validation(vec![ItemErrors {
            request_id: request_id.into(),
            errors: vec![e],
        }])
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict { field } => ServiceError::Conflict(field),
            other => ServiceError::Internal(anyhow::Error::new(other)),
        }
    }
}
