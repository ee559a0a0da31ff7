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
pub mod ui;

pub use state::AppState;

use axum::Router;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What a request's log lines name it by: its route template (`/hooks/{provider}/{token}`),
/// or for a path no route matches, the path with every long segment masked (a mistyped
/// webhook URL still carries its token).
fn log_route<B>(req: &axum::http::Request<B>) -> String {
    if let Some(p) = req.extensions().get::<axum::extract::MatchedPath>() {
        return p.as_str().to_string();
    }
    mask_long_segments(req.uri().path())
}

fn mask_long_segments(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.len() >= 16 { "***" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// An address no route knows: a page for a browser, problem+json for a client.
async fn fallback(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path();
    let machine = ["/api/", "/hooks/", "/oauth"]
        .iter()
        .any(|p| path.starts_with(p));
    let browser = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if browser && !machine {
        return ui::not_found_page(&headers);
    }
    error::not_found().await.into_response()
}

/// Every route of a router as (method, path template), HEAD left out (a GET answers it),
/// sorted. Read from the router itself (axum keeps no public list of its routes, so this
/// reads the route ids, paths and `Allow` values of its debug form; a unit test below
/// pins that form), for the tests that must cover every route: a route added without a
/// row in the rights matrix fails it.
pub fn route_table(router: &Router) -> Vec<(String, String)> {
    let text = format!("{router:?}");
    // Only the routes proper: the fallback router's catch-alls come after this.
    let text = text.split(", fallback_router:").next().unwrap_or_default();
    let (routes, paths) = text
        .split_once("node: Node { paths: {")
        .unwrap_or((text, ""));
    let mut allow = std::collections::HashMap::new();
    for part in routes.split("RouteId(").skip(1) {
        let Some((id, rest)) = part.split_once("): MethodRouter(") else {
            continue;
        };
        let methods = rest
            .split_once("allow_header: Bytes(b\"")
            .and_then(|(_, m)| m.split_once('"'))
            .map(|(m, _)| m)
            .unwrap_or_default();
        allow.insert(id.to_string(), methods.to_string());
    }
    let mut table = Vec::new();
    for part in paths.split("RouteId(").skip(1) {
        let Some((id, rest)) = part.split_once("): \"") else {
            continue;
        };
        let Some((path, _)) = rest.split_once('"') else {
            continue;
        };
        for m in allow
            .get(id)
            .map(String::as_str)
            .unwrap_or_default()
            .split(',')
        {
            if !m.is_empty() && m != "HEAD" {
                table.push((m.to_string(), path.to_string()));
            }
        }
    }
    table.sort();
    table
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .merge(ops::router())
        .merge(api::router())
        .merge(hooks::router())
        .merge(openapi::router())
        .merge(ui::router(state.clone()))
        .fallback(fallback)
        // Limits before any route runs (see `state::limits`), inside the metrics and
        // trace layers, so a refused request is counted and logged with its id.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            state::limits::check,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.limits.body_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let rid = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The route's template, never the raw path: a webhook URL's last
                    // segment is the integration's secret. `user_id` is filled in by the
                    // extractor that authenticates the request.
                    tracing::info_span!(
                        "request",
                        request_id = %rid,
                        method = %req.method(),
                        route = %log_route(req),
                        user_id = tracing::field::Empty,
                    )
                })
                .on_response(
                    |res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            latency_ms = latency.as_secs_f64() * 1000.0,
                            "response"
                        );
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_route_table_lists_every_method_of_every_route_and_no_fallback() {
        use axum::routing::{delete, get, post};
        async fn h() {}
        let layered: axum::Router =
            axum::Router::new()
                .route("/b", post(h))
                .layer(axum::middleware::from_fn(
                    |r, n: axum::middleware::Next| async move { n.run(r).await },
                ));
        let r = axum::Router::new()
            .route("/a/{id}", get(h).post(h).patch(h))
            .route("/c", delete(h))
            .merge(layered)
            .fallback(h);
        let t = super::route_table(&r);
        let t: Vec<(&str, &str)> = t.iter().map(|(m, p)| (m.as_str(), p.as_str())).collect();
        assert_eq!(
            t,
            [
                ("DELETE", "/c"),
                ("GET", "/a/{id}"),
                ("PATCH", "/a/{id}"),
                ("POST", "/a/{id}"),
                ("POST", "/b"),
            ]
        );
    }

    #[test]
    fn unmatched_paths_are_logged_without_their_long_segments() {
        assert_eq!(
            super::mask_long_segments("/hooks/zadarrma/0123456789abcdef0123"),
            "/hooks/zadarrma/***"
        );
        assert_eq!(
            super::mask_long_segments("/api/v4/nothing/12"),
            "/api/v4/nothing/12"
        );
    }
}
