//! Errors as `application/problem+json`, in the shape Kommo clients parse.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sb_service::{ItemErrors, ServiceError};
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub validation: Option<Vec<ItemErrors>>,
    pub hint: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: detail.into(),
            validation: None,
            hint: None,
            retry_after: None,
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn validation(items: Vec<ItemErrors>) -> Self {
        ApiError {
            validation: Some(items),
            ..ApiError::new(StatusCode::BAD_REQUEST, "Request validation failed")
        }
    }
    pub fn body(&self) -> Value {
        let mut v = json!({
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "type": format!("https://httpstatus.es/{}", self.status.as_u16()),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(items) = &self.validation {
            v["validation-errors"] = json!(items);
        }
        if let Some(h) = &self.hint {
            v["hint"] = json!(h);
        }
        v
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unauthorized(m) => ApiError::new(StatusCode::UNAUTHORIZED, m),
            ServiceError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            ServiceError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "Not found"),
            ServiceError::Validation(items) => ApiError::validation(items),
            ServiceError::BadRequest(m) => ApiError::bad_request(m),
            ServiceError::Conflict(m) => {
                ApiError::new(StatusCode::CONFLICT, format!("Conflict: {m}"))
            }
            ServiceError::Upstream(m) => ApiError::new(StatusCode::BAD_GATEWAY, m),
            ServiceError::Internal(err) => {
                // Logged once here, inside the request span; never sent to the client.
                tracing::error!(error = ?err, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error; the server log has the details under this request's id",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body().to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "No such route")
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
}

pub type ApiResult<T> = Result<T, ApiError>;
