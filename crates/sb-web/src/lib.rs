//! HTTP: the Kommo-compatible REST API v4, OAuth2 token endpoint, PBX webhook
//! endpoints and operations endpoints (health, readiness, metrics). Handlers are thin:
//! extract, call one service function, render. Errors become `application/problem+json`
//! in Kommo's shape, including malformed input caught by our own extractors.
//!
//! Must not import sqlx or sb-store: all data goes through sb-service.

pub mod api;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod params;
pub mod state;

pub use state::AppState;

use axum::Router;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .merge(ops::router())
        .merge(api::router())
        .merge(hooks::router())
        .merge(openapi::router())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", request_id = %rid, method = %req.method(), path = %req.uri().path())
                })
                .on_response(|res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1000.0, "response");
                }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
