//! Operations endpoints (B6): liveness, readiness (the database answers) and metrics.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

async fn health() -> impl IntoResponse {
    Json(json!({"healthy": true, "version": env!("CARGO_PKG_VERSION")}))
}

async fn ready(State(st): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match st.ctx.db.ping().await {
        Ok(()) => Ok(Json(json!({"ready": true, "database": "ok"}))),
        Err(e) => {
            tracing::warn!(error = %sb_domain::report::Chain(&e), "readiness check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is not reachable",
            ))
        }
    }
}

async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        st.metrics.render(),
    )
}
