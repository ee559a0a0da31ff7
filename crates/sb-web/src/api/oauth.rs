//! `POST /oauth2/access_token`: authorization code and refresh token grants, JSON or
//! form-encoded (the PHP SDK sends forms), answered in Kommo's shapes.

use crate::error::ApiError;
use crate::extract::read_limited;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sb_service::auth::TokenRequest;
use sb_service::ServiceError;

pub fn router() -> Router<AppState> {
    Router::new().route("/oauth2/access_token", post(access_token))
}

async fn access_token(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = read_limited(req, 64 * 1024).await?;
    let parsed: Result<TokenRequest, String> = if is_form {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    };
    let tr = parsed.map_err(|e| {
        with_hint(
            ApiError::bad_request(format!("The token request could not be read: {e}")),
            "Send client_id, client_secret, grant_type and code or refresh_token as JSON or a form",
        )
    })?;
    match sb_service::auth::exchange(&st.ctx, tr).await {
        Ok(t) => Ok((StatusCode::OK, Json(t)).into_response()),
        Err(ServiceError::Unauthorized(m)) => Err(with_hint(
            ApiError::new(StatusCode::UNAUTHORIZED, m),
            "Check the integration's client_id and client_secret",
        )),
        Err(ServiceError::BadRequest(m)) => Err(with_hint(ApiError::bad_request(m.clone()), &m)),
        Err(e) => Err(e.into()),
    }
}

fn with_hint(mut e: ApiError, hint: &str) -> ApiError {
    e.hint = Some(hint.to_string());
    e
}
