//! PBX webhook endpoints (P1): `/hooks/{provider}/{token}`. The raw request (headers,
//! query, body, peer address) goes to sb-service, which verifies it with the provider
//! and records it before we answer.

use crate::extract::read_limited;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sb_telephony::InboundRequest;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/{provider}/{token}", get(hook).post(hook))
}

const HOOK_BODY_LIMIT: usize = 256 * 1024;

async fn hook(
    State(st): State<AppState>,
    Path((provider, token)): Path<(String, String)>,
    req: Request,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let method = req.method().as_str().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match read_limited(req, HOOK_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            let text =
                format!("The webhook's body is larger than the limit of {HOOK_BODY_LIMIT} bytes");
            return (StatusCode::PAYLOAD_TOO_LARGE, text).into_response();
        }
    };
    let inbound = InboundRequest {
        method: &method,
        query: query.as_deref(),
        headers: &headers,
        content_type: content_type.as_deref(),
        body: &body,
        remote_ip: peer.map(|p| p.ip()),
    };
    let answer = sb_service::telephony::ingest::handle(&st.ctx, &provider, &token, &inbound).await;
    let mut res = (
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        answer.body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(answer.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}
