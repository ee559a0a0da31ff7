//! THE rule for reads of things that are not there, once: Kommo answers a read of an id
//! that names nothing for the caller (unknown, another account's, outside the caller's
//! scope), and the list of such an entity's notes, feed, links or elements, with
//! `204 No Content` and no body, as it answers an empty list [kommo-api.md, "Empty list"].
//!
//! A read handler returns [`ReadResult`]: `?` on a service call turns
//! `ServiceError::NotFound` into that 204 and every other error into its problem+json.
//! Writes keep `ApiResult`, where NotFound is a 404. (A path id that is no integer never
//! gets here: `ApiPath` answers it 404.)

use crate::api::hal::no_content;
use crate::error::ApiError;
use axum::response::{IntoResponse, Response};
use sb_service::ServiceError;

pub enum ReadError {
    /// Nothing to show: 204.
    Absent,
    Api(ApiError),
}

pub type ReadResult = Result<Response, ReadError>;

impl From<ServiceError> for ReadError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => ReadError::Absent,
            e => ReadError::Api(e.into()),
        }
    }
}

impl From<ApiError> for ReadError {
    fn from(e: ApiError) -> Self {
        ReadError::Api(e)
    }
}

impl IntoResponse for ReadError {
    fn into_response(self) -> Response {
        match self {
            ReadError::Absent => no_content(),
            ReadError::Api(e) => e.into_response(),
        }
    }
}
